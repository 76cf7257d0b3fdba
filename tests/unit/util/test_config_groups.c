/* Unit tests for chat groups in src/util/config.c: [group NAME] sections and [room GROUP/NAME]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_load.h"

static void test_groups_and_their_rooms(void **state)
{
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(cfg.ngroups, 0);
    assert_int_equal(load(&cfg,
                          "[group acme]\ntitle = ACME\nhosts = a.example,b.example  c.example\n"
                          "[group empty]\n"
                          "[room lobby]\ntitle = Default lobby\n"
                          "[room acme/lobby]\ntitle = ACME lobby\n"
                          "[room acme/help]\n"
                          "[group acme]\nhosts = d.example\n",
                          err, sizeof(err)),
                     0);
    assert_int_equal(cfg.ngroups, 2);
    assert_string_equal(cfg.groups[0].name, "acme");
    assert_string_equal(cfg.groups[0].title, "ACME");
    /* a later hosts line replaces the earlier one */
    assert_int_equal(cfg.groups[0].nhosts, 1);
    assert_string_equal(cfg.groups[0].hosts[0], "d.example");
    assert_string_equal(cfg.groups[1].name, "empty"); /* a section without keys names a group */
    assert_null(cfg.groups[1].title);
    assert_int_equal(cfg.groups[1].nhosts, 0);

    assert_int_equal(cfg.nrooms, 3);
    assert_string_equal(cfg.rooms[0].name, "lobby");
    assert_null(cfg.rooms[0].group);
    assert_string_equal(cfg.rooms[0].title, "Default lobby");
    assert_string_equal(cfg.rooms[1].name, "lobby");
    assert_string_equal(cfg.rooms[1].group, "acme");
    assert_string_equal(cfg.rooms[1].title, "ACME lobby");
    assert_string_equal(cfg.rooms[2].name, "help");
    assert_string_equal(cfg.rooms[2].group, "acme");
    config_deinit(&cfg);
}

static void test_hosts_list_splitting(void **state)
{
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(
        load(&cfg, "[group g]\nhosts = a.example, b.example\t,c.example,,\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.groups[0].nhosts, 3);
    assert_string_equal(cfg.groups[0].hosts[0], "a.example");
    assert_string_equal(cfg.groups[0].hosts[1], "b.example");
    assert_string_equal(cfg.groups[0].hosts[2], "c.example");
    config_deinit(&cfg);
}

static void test_unknown_group_key(void **state)
{
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_true(load(&cfg, "[group g]\ncolour = red\n", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "unknown key 'colour' in [group g]"));
    config_deinit(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_and_their_rooms),
        cmocka_unit_test(test_hosts_list_splitting),
        cmocka_unit_test(test_unknown_group_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
