/* Unit tests for [moderation] and the rooms' moderated key in src/util/config.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_load.h"

static void test_moderation_keys(void **state)
{
    config_t cfg;
    char err[256] = "";
    config_init(&cfg);
    assert_string_equal(cfg.moderation.words, "");
    assert_string_equal(cfg.moderation.word_file, "");
    assert_int_equal(load(&cfg,
                          "[moderation]\nwords = darn, heck\nword_file = /etc/parley/words\n"
                          "[room kids]\nmoderated = true\n[room pub]\nmoderated = false\n"
                          "[room plain]\ntitle = Plain\n",
                          err, sizeof(err)),
                     0);
    assert_string_equal(cfg.moderation.words, "darn, heck");
    assert_string_equal(cfg.moderation.word_file, "/etc/parley/words");
    assert_int_equal(cfg.nrooms, 3);
    assert_int_equal(cfg.rooms[0].moderated, 1);
    assert_int_equal(cfg.rooms[1].moderated, 0);
    assert_int_equal(cfg.rooms[2].moderated, -1); /* not set: keep the stored value */
    config_deinit(&cfg);
}

static void test_moderated_errors(void **state)
{
    const char *bad[] = {"[room kids]\nmoderated = yes\n", "[room kids]\nmoderated = 1\n",
                         "[moderation]\nlist = darn\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        config_t cfg;
        char err[256] = "";
        config_init(&cfg);
        assert_true(load(&cfg, bad[i], err, sizeof(err)) < 0);
        assert_true(strlen(err) > 0);
        config_deinit(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moderation_keys),
        cmocka_unit_test(test_moderated_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
