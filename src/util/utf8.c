#include "util/utf8.h"

#include <utf8proc.h>

bool utf8_valid(const char *p, size_t len)
{
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)p;
    utf8proc_ssize_t left = (utf8proc_ssize_t)len;
    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(s, left, &cp);
        if (n <= 0)
            return false;
        s += n;
        left -= n;
    }
    return true;
}
