#include "util/rbuf.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static size_t live;

rbuf_t *rbuf_new(size_t len)
{
    rbuf_t *b = xmalloc(sizeof(*b) + len);
    b->refs = 1;
    b->len = len;
    live++;
    return b;
}

rbuf_t *rbuf_from(const void *p, size_t len)
{
    rbuf_t *b = rbuf_new(len);
    if (len)
        memcpy(b->data, p, len);
    return b;
}

void rbuf_unref(rbuf_t *b)
{
    if (b == NULL)
        return;
    if (--b->refs == 0) {
        live--;
        free(b);
    }
}

size_t rbuf_live(void)
{
    return live;
}
