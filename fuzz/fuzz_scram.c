/* libFuzzer harness for the SCRAM-SHA-256 server (src/auth/scram.c): the input, split at its
 * first NUL byte, is a client-first and a client-final message fed to one exchange whose only
 * user "user" has password "pencil". Checks that every step answers (a message, and an "e=..."
 * on failure) and that a successful exchange names its user.
 *
 * Build and run (bounded; the module under test is compiled in, instrumented):
 *     make && clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE \
 *        -o build/fuzz_scram fuzz/fuzz_scram.c src/auth/scram.c build/libparley.a \
 *        $(pkg-config --libs libuv sqlite3 libsodium openssl libutf8proc jansson libcurl inih) \
 *        -lwslay -lpthread -lm
 *     mkdir -p /tmp/scram-corpus && build/fuzz_scram -runs=500000 -max_len=4200 \
 *        /tmp/scram-corpus fuzz/corpus/scram
 * (the seed is RFC 7677's exchange; new inputs go to the first directory, a scratch one). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/scram.h"

static int lookup(void *ud, const char *user, store_scram_t *out)
{
    static const uint8_t salt[16] = "0123456789abcdef";
    if (strcmp(user, "user") != 0)
        return -1;
    return scram_derive("pencil", 6, salt, sizeof salt, 4096, out);
}

static void step(scram_server_t *s, const char *in, size_t len, int *rc)
{
    char *out = NULL;
    size_t outlen = 0;
    *rc = scram_server_step(s, in, len, &out, &outlen);
    if (out == NULL || strlen(out) != outlen)
        abort();
    if (*rc < 0 && strncmp(out, "e=", 2) != 0)
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t first = nul ? (size_t)(nul - in) : size;
    scram_server_t *s = scram_server_new(lookup, NULL, 4096);
    int rc;
    step(s, in, first, &rc);
    if (nul)
        step(s, nul + 1, size - first - 1, &rc);
    if (rc == 0 && strcmp(scram_server_user(s), "user") != 0)
        abort();
    scram_server_free(s);
    return 0;
}
