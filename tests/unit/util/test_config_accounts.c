/* Unit tests for [accounts] scram_iterations in src/util/config.c: its default, a value, and the
 * values refused (below RFC 7677's 4096, above 10,000,000, not a number). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_load.h"

static void test_scram_iterations(void **state)
{
    config_t cfg;
    char err[256] = "";
    config_init(&cfg);
    assert_int_equal(cfg.accounts.scram_iterations, 4096);
    assert_int_equal(load(&cfg, "[accounts]\nscram_iterations = 100000\n", err, sizeof err), 0);
    assert_int_equal(cfg.accounts.scram_iterations, 100000);
    config_deinit(&cfg);

    const char *bad[] = {"[accounts]\nscram_iterations = 4095\n",
                         "[accounts]\nscram_iterations = 10000001\n",
                         "[accounts]\nscram_iterations = many\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_init(&cfg);
        err[0] = '\0';
        assert_true(load(&cfg, bad[i], err, sizeof err) < 0);
        assert_non_null(strstr(err, "scram_iterations"));
        config_deinit(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scram_iterations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
