/* UTF-8 checks shared by the wire layers (WebSocket text frames, IRC lines). */
#ifndef PARLEY_UTIL_UTF8_H
#define PARLEY_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether len bytes at p are well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *p, size_t len);

#endif
