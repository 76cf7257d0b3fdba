/* Unit tests for src/http: path cleaning for static files and WebSocket frame encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/static.h"
#include "http/ws.h"

static void test_clean_path_ok(void **state)
{
    char out[256];
    assert_int_equal(static_clean_path("/", out, sizeof(out)), 0);
    assert_string_equal(out, "/");
    assert_int_equal(static_clean_path("/js/app.js", out, sizeof(out)), 0);
    assert_string_equal(out, "/js/app.js");
    assert_int_equal(static_clean_path("/a%20b.html", out, sizeof(out)), 0);
    assert_string_equal(out, "/a b.html");
    assert_int_equal(static_clean_path("/x..y/z", out, sizeof(out)), 0); /* not a .. segment */
}

static void test_clean_path_rejects(void **state)
{
    char out[256];
    const char *bad[] = {"/../etc/passwd",
                         "/a/../../b",
                         "/%2e%2e/etc/passwd",
                         "/a/%2E%2E",
                         "/.",
                         "/a/./b",
                         "/%00",
                         "/a\\b",
                         "/%zz",
                         "/%2",
                         "relative",
                         "/a%5c..%5cb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(static_clean_path(bad[i], out, sizeof(out)), -EINVAL);
    char longpath[600];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    assert_int_equal(static_clean_path(longpath, out, 64), -EINVAL);
}

static void check_frame(size_t len, size_t header, unsigned char len7)
{
    char *payload = malloc(len + 1);
    memset(payload, 'p', len);
    rbuf_t *b = ws_frame_text(payload, len);
    assert_int_equal(b->len, header + len);
    unsigned char *d = (unsigned char *)b->data;
    assert_int_equal(d[0], 0x81); /* FIN + text */
    assert_int_equal(d[1], len7); /* unmasked */
    if (len7 == 126)
        assert_int_equal((d[2] << 8) | d[3], len);
    if (len7 == 127) {
        unsigned long long n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | d[2 + i];
        assert_int_equal(n, len);
    }
    assert_memory_equal(b->data + header, payload, len);
    rbuf_unref(b);
    free(payload);
}

static void test_frame_text(void **state)
{
    check_frame(0, 2, 0);
    check_frame(5, 2, 5);
    check_frame(125, 2, 125);
    check_frame(126, 4, 126);
    check_frame(65535, 4, 126);
    check_frame(65536, 10, 127);
    ws_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_path_ok),
        cmocka_unit_test(test_clean_path_rejects),
        cmocka_unit_test(test_frame_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
