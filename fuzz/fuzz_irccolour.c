/* libFuzzer harness for src/util/irccolour.c: strips and converts arbitrary bytes with a random
 * output capacity (from the first input byte) and checks the contracts: output within cap and
 * NUL-terminated, no formatting byte left in stripped text nor in a converted line past its colour
 * prefix, progress for cap >= 5, an fg that is "" or "#rrggbb".
 *
 * Build and run (bounded; the module under test is compiled in, instrumented):
 *     make && clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE \
 *        -o build/fuzz_irccolour fuzz/fuzz_irccolour.c src/util/irccolour.c -lm
 *     build/fuzz_irccolour -runs=2000000 -max_len=2048 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/irccolour.h"

static int is_format(unsigned char c)
{
    return c == 0x02 || c == 0x03 || c == 0x04 || c == 0x0f || c == 0x11 || c == 0x16 ||
           c == 0x1d || c == 0x1e || c == 0x1f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = (size_t)data[0] % 64 + 1;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char *out = malloc(cap), fg[IRCCOLOUR_HEX_LEN];
    size_t n = irccolour_strip(in, len, out, cap, fg);
    if (n > cap - 1 || out[n] != '\0' || (fg[0] && (fg[0] != '#' || strlen(fg) != 7)))
        abort();
    for (size_t i = 0; i < n; i++)
        if (is_format((unsigned char)out[i]))
            abort();
    size_t used = 0;
    n = irccolour_to_irc(len % 2 ? "#e06c75" : NULL, in, len, out, cap, &used);
    if (n > cap - 1 || out[n] != '\0' || used > len || (cap >= 5 && len > 0 && used == 0))
        abort();
    size_t from = n >= 3 && out[0] == 0x03 ? 3 : 0;
    for (size_t i = from; i < n; i++)
        if (is_format((unsigned char)out[i]) && !(out[i] == 0x02 && i < from + 2))
            abort();
    free(out);
    return 0;
}
