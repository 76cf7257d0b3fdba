/* Unit tests for src/util: buffers, shared buffers, lists, configuration. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/config.h"
#include "util/list.h"
#include "util/rbuf.h"

static void test_buf_append_and_max(void **state)
{
    buf_t b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "hello", 5), 0);
    assert_int_equal(buf_appends(&b, "world"), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.base, "helloworld");
    assert_int_equal(buf_append(&b, "!", 1), -E2BIG);
    assert_int_equal(b.len, 10); /* a refused append changes nothing */
    buf_consume(&b, 5);
    assert_string_equal(b.base, "world");
    assert_int_equal(buf_printf(&b, "%d", 42), 0);
    assert_string_equal(b.base, "world42");
    size_t len;
    char *s = buf_steal(&b, &len);
    assert_int_equal(len, 7);
    assert_string_equal(s, "world42");
    assert_null(b.base);
    free(s);
    buf_deinit(&b);
}

static void test_buf_printf_long(void **state)
{
    buf_t b;
    buf_init(&b, 4096);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(buf_printf(&b, "<%s>", big), 0);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.base[0], '<');
    assert_int_equal(b.base[1000], '>');
    buf_deinit(&b);
}

static void test_rbuf_refcount(void **state)
{
    size_t before = rbuf_live();
    rbuf_t *b = rbuf_from("abc", 3);
    assert_int_equal(rbuf_live(), before + 1);
    rbuf_ref(b);
    rbuf_unref(b);
    assert_int_equal(rbuf_live(), before + 1);
    assert_memory_equal(b->data, "abc", 3);
    rbuf_unref(b);
    assert_int_equal(rbuf_live(), before);
    rbuf_unref(NULL);
}

struct item {
    int v;
    list_t node;
};

static void test_list(void **state)
{
    list_t h;
    list_init(&h);
    struct item a = {.v = 1}, b = {.v = 2}, c = {.v = 3};
    list_push_back(&h, &a.node);
    list_push_back(&h, &b.node);
    list_push_front(&h, &c.node);
    int order[3], n = 0;
    list_foreach(it, &h) order[n++] = list_entry(it, struct item, node)->v;
    assert_int_equal(n, 3);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 2);
    list_foreach_safe(it, tmp, &h) list_remove(it);
    assert_true(list_empty(&h));
    list_remove(&a.node); /* removing twice is harmless */
    assert_false(list_linked(&a.node));
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/parley-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_config_file(void **state)
{
    char *path = write_tmp("[server]\nlisten = 127.0.0.1:9999\nmax_connections = 7\n"
                           "[limits]\noutput_cap = 65536\n[chat]\ndefault_capacity = 2\n"
                           "[room games]\ntitle = Games\ncapacity = 5\n[room lobby]\n"
                           "topic = hi\n");
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:9999");
    assert_int_equal(cfg.max_connections, 7);
    assert_int_equal(cfg.output_cap, 65536);
    assert_int_equal(cfg.default_capacity, 2);
    assert_int_equal(cfg.max_message, 16384); /* default kept */
    assert_int_equal(cfg.nrooms, 2);
    assert_string_equal(cfg.rooms[0].name, "games");
    assert_string_equal(cfg.rooms[0].title, "Games");
    assert_int_equal(cfg.rooms[0].capacity, 5);
    assert_null(cfg.rooms[1].title);
    assert_string_equal(cfg.rooms[1].topic, "hi");
    config_deinit(&cfg);
    unlink(path);
    free(path);
}

static void test_config_errors(void **state)
{
    const char *bad[] = {
        "[server]\nlisten_on = x\n",      /* unknown key */
        "[limits]\nmax_message = lots\n", /* not a number */
        "[chat]\ndefault_capacity = 0\n", /* out of range */
        "[room x]\ncolour = red\n",       /* unknown room key */
        "[server\nlisten = x\n",          /* syntax */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *path = write_tmp(bad[i]);
        config_t cfg;
        char err[256];
        config_init(&cfg);
        assert_true(config_load_file(&cfg, path, err, sizeof(err)) < 0);
        assert_true(strlen(err) > 0);
        config_deinit(&cfg);
        unlink(path);
        free(path);
    }
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, "/nonexistent/parley.ini", err, sizeof(err)), -ENOENT);
    config_deinit(&cfg);
}

static void test_parse_listen(void **state)
{
    char host[64];
    int port;
    assert_int_equal(config_parse_listen("0.0.0.0:8080", host, sizeof(host), &port), 0);
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 8080);
    assert_int_equal(config_parse_listen("[::1]:0", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_equal(config_parse_listen("localhost", host, sizeof(host), &port), -EINVAL);
    assert_int_equal(config_parse_listen("h:70000", host, sizeof(host), &port), -EINVAL);
    assert_int_equal(config_parse_listen(":80", host, sizeof(host), &port), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_max), cmocka_unit_test(test_buf_printf_long),
        cmocka_unit_test(test_rbuf_refcount),      cmocka_unit_test(test_list),
        cmocka_unit_test(test_config_file),        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_parse_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
