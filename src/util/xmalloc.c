#include "util/xmalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "parley: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (p == NULL)
        oom(count * n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

void *xgrow(void *p, size_t *cap, size_t n, size_t first, size_t size)
{
    if (n < *cap)
        return p;
    size_t want = *cap ? *cap * 2 : first;
    if (want < *cap || (size && want > SIZE_MAX / size))
        oom(SIZE_MAX);
    *cap = want;
    return xrealloc(p, want * size);
}

char *xmemdup0(const void *p, size_t n)
{
    char *s = xmalloc(n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

char *xstrndup(const char *s, size_t n)
{
    return xmemdup0(s, strnlen(s, n));
}

char *xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}
