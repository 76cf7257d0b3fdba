/* fuzz_xff: the forwarded-address parser (net/addr.c). The input's first line is a trusted
 * proxy list (addr_list_parse), the rest an X-Forwarded-For value. Beyond "no crash", it checks
 * that an address found prints and parses back to itself, and that text holding a NUL is never an
 * address. */
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t llen = nl ? (size_t)(nl - text) : size;
    char *spec = malloc(llen + 1), err[128];
    memcpy(spec, text, llen);
    spec[llen] = '\0';
    addr_list_t trusted = {0};
    if (addr_list_parse(&trusted, spec, err, sizeof err) < 0)
        addr_list_parse(&trusted, "127.0.0.1, 10.0.0.0/8, fd00::/8", err, sizeof err);
    free(spec);
    const char *xff = nl ? nl + 1 : text + size;
    size_t xlen = (size_t)(text + size - xff);
    addr_t a, back;
    if (addr_forwarded_for(&trusted, xff, xlen, &a) == 0) {
        char s[64];
        addr_format(&a, s, sizeof s);
        if (addr_parse(s, strlen(s), &back) < 0 || memcmp(&a, &back, sizeof a) != 0)
            __builtin_trap();
    }
    /* inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4 (fuzz/regress/xff) */
    if (addr_parse(xff, xlen, &a) == 0 && memchr(xff, '\0', xlen))
        __builtin_trap();
    addr_list_deinit(&trusted);
    return 0;
}
