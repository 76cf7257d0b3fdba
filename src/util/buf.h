/* Growable byte buffer with a hard maximum chosen by its owner (curl's dynbuf idea). The bytes are
 * always followed by a NUL that is not counted in len, so text can be passed to C string APIs. */
#ifndef PARLEY_UTIL_BUF_H
#define PARLEY_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *base; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* appends that would pass this fail with -E2BIG */
} buf_t;

void buf_init(buf_t *b, size_t max);
void buf_deinit(buf_t *b); /* frees the storage; the buffer may be used again */
void buf_reset(buf_t *b);  /* len = 0, keeps storage */
int buf_append(buf_t *b, const void *p, size_t n);
int buf_appends(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the first n bytes. */
void buf_consume(buf_t *b, size_t n);
/* Hands the storage to the caller (free() it) and re-initialises the buffer. */
char *buf_steal(buf_t *b, size_t *len);

#endif
