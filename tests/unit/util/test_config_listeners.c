/* Unit tests for [listener NAME] and [tls] in src/util/config.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "config_load.h"

static void test_tls_defaults(void **state)
{
    config_t cfg;
    config_init(&cfg);
    assert_string_equal(cfg.tls.cert_file, "");
    assert_string_equal(cfg.tls.key_file, "");
    assert_int_equal(cfg.tls.hsts_max_age, 31536000);
    assert_int_equal(cfg.tls.handshake_timeout, 10);
    assert_int_equal(cfg.nlisteners, 0);
    config_deinit(&cfg);
}

static void test_listeners_and_tls(void **state)
{
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(load(&cfg,
                          "[tls]\ncert_file = /c.pem\nkey_file = /k.pem\nhsts_max_age = 0\n"
                          "handshake_timeout = 3\n"
                          "[listener public]\naddress = 0.0.0.0:443\ntls = on\n"
                          "proxy_protocol = v2\n"
                          "[listener bots]\naddress = [::1]:6697\nprotocol = json\n"
                          "[listener public]\nproxy_protocol = any\n"
                          "[listener ircs]\naddress = 127.0.0.1:6697\nprotocol = irc\ntls = on\n",
                          err, sizeof err),
                     0);
    assert_string_equal(cfg.tls.cert_file, "/c.pem");
    assert_string_equal(cfg.tls.key_file, "/k.pem");
    assert_int_equal(cfg.tls.hsts_max_age, 0);
    assert_int_equal(cfg.tls.handshake_timeout, 3);
    assert_int_equal(cfg.nlisteners, 3); /* a section named again adds to the same listener */
    config_listener_t *p = &cfg.listeners[0], *b = &cfg.listeners[1];
    assert_string_equal(p->name, "public");
    assert_string_equal(p->address, "0.0.0.0:443");
    assert_int_equal(p->protocol, CONFIG_PROTO_HTTP);
    assert_int_equal(p->tls, 1);
    assert_int_equal(p->proxy, 3);
    assert_string_equal(b->name, "bots");
    assert_string_equal(b->address, "[::1]:6697");
    assert_int_equal(b->protocol, CONFIG_PROTO_JSON);
    assert_int_equal(b->tls, 0);
    assert_int_equal(b->proxy, 0);
    assert_int_equal(cfg.listeners[2].protocol, CONFIG_PROTO_IRC);
    assert_int_equal(cfg.listeners[2].tls, 1);
    config_deinit(&cfg);
}

static void test_bad_listener_values(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[listener a]\ntls = yes\n", "[listener a] tls must be off or on"},
        {"[listener a]\nprotocol = gopher\n", "[listener a] protocol must be http, json or irc"},
        {"[listener a]\nproxy_protocol = v3\n",
         "[listener a] proxy_protocol must be off, v1, v2 or any"},
        {"[listener a]\nport = 80\n", "unknown key 'port' in [listener a]"},
        {"[tls]\nhandshake_timeout = 0\n", "[tls] handshake_timeout must be a whole number"},
        {"[tls]\nhsts_max_age = -1\n", "[tls] hsts_max_age must be a whole number"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        config_t cfg;
        char err[256];
        config_init(&cfg);
        assert_int_equal(load(&cfg, cases[i].text, err, sizeof err), -EINVAL);
        if (strstr(err, cases[i].want) == NULL)
            fail_msg("'%s' gave '%s', want '%s'", cases[i].text, err, cases[i].want);
        config_deinit(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_defaults),
        cmocka_unit_test(test_listeners_and_tls),
        cmocka_unit_test(test_bad_listener_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
