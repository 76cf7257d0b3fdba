/* Reference-counted immutable byte buffers: one encoded event (a whole WebSocket frame, an IRC
 * line) shared by every connection it is queued on. Loop-thread only: the count is not atomic.
 *
 * rbuf_new() returns a buffer with one reference owned by the caller; fill data[0..len) before
 * sharing it. rbuf_ref() adds a reference; rbuf_unref() drops one and frees the buffer with the
 * last. */
#ifndef PARLEY_UTIL_RBUF_H
#define PARLEY_UTIL_RBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct rbuf {
    uint32_t refs;
    size_t len;
    char data[];
} rbuf_t;

rbuf_t *rbuf_new(size_t len);
rbuf_t *rbuf_from(const void *p, size_t len);

static inline rbuf_t *rbuf_ref(rbuf_t *b)
{
    b->refs++;
    return b;
}

void rbuf_unref(rbuf_t *b);

/* Number of rbufs alive now (for leak checks in tests and /metrics). */
size_t rbuf_live(void);

#endif
