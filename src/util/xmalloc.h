/* Allocation that cannot fail: on out-of-memory the process logs and aborts, so callers carry no
 * dead NULL checks. Every pointer returned is freed with free(). */
#ifndef PARLEY_UTIL_XMALLOC_H
#define PARLEY_UTIL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
/* Room for one more element in array p of *cap elements of size bytes, n of them in use: when
 * n == *cap, doubles *cap (from first when 0) and reallocates. Returns the array, perhaps moved. */
void *xgrow(void *p, size_t *cap, size_t n, size_t first, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Duplicates n bytes of p into a new NUL-terminated string (p may hold NULs). */
char *xmemdup0(const void *p, size_t n);

#endif
