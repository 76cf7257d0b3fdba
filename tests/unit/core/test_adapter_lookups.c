/* Unit tests of the lookups protocol adapters without rooms in their commands need (the IRC
 * gateway): core_nick_held, core_pm_room (a room where a private message can reach a nick) and
 * table_members_rights_foreach (each member's right, for NAMES). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_session.h"

static void enter(fake_t *f, room_t *r)
{
    assert_int_equal(core_enter(f->s, r, false, NULL), 0);
}

static void test_nick_held(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_hello(w.core, "Alice");
    fake_t *b = fake_new(w.core); /* no hello: holds no nick */
    assert_string_equal(core_nick_held(w.core, "Alice"), "Alice");
    assert_string_equal(core_nick_held(w.core, "ALICE"), "Alice"); /* folded */
    assert_null(core_nick_held(w.core, "bob"));
    assert_null(core_nick_held(w.core, NULL));
    fake_free(a);
    assert_null(core_nick_held(w.core, "alice"));
    fake_free(b);
    world_deinit(&w);
}

static void test_pm_room_needs_a_shared_table(void **state)
{
    world_t w;
    world_init(&w, 2, 50, 4000);
    room_spec_t spec = {.name = "den", .title = "Den"};
    room_t *den;
    assert_int_equal(core_room_create(w.core, &spec, false, &den), 0);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "bob");
    fake_t *c = fake_hello(w.core, "carol"), *l = fake_hello(w.core, "lurky");
    room_t *r = NULL;
    assert_int_equal(core_pm_room(a->s, "nobody", &r), CORE_ENOUSER);
    assert_int_equal(core_pm_room(a->s, "bob", &r), CORE_ENOTINROOM); /* in no room */
    enter(a, w.lobby);
    enter(b, w.lobby);
    enter(c, w.lobby); /* capacity 2: carol sits at table 2 */
    assert_int_equal(core_pm_room(a->s, "carol", &r), CORE_ENOTINROOM);
    assert_int_equal(core_pm_room(a->s, "BOB", &r), 0);
    assert_ptr_equal(r, w.lobby);
    /* a shared table in a later room is found too */
    enter(a, den);
    enter(c, den);
    assert_int_equal(core_pm_room(a->s, "carol", &r), 0);
    assert_ptr_equal(r, den);
    assert_int_equal(core_pm(a->s, r, "carol", "hi", 2, NULL, NULL), 0);
    /* a lurker cannot receive private messages */
    assert_int_equal(core_enter(l->s, den, true, NULL), 0);
    assert_int_equal(core_pm_room(a->s, "lurky", &r), CORE_ENOTINROOM);
    fake_free(a);
    fake_free(b);
    fake_free(c);
    fake_free(l);
    world_deinit(&w);
}

static void collect(void *ud, const char *nick, core_right_t right)
{
    char *out = ud;
    strcat(out, nick);
    strcat(out, right == CORE_RIGHT_HOST ? "=host," : "=other,");
}

static void test_members_rights(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "bob");
    fake_t *l = fake_hello(w.core, "lurky");
    core_identity_t sysop = {.account = "alice", .cls = CORE_CLASS_REGISTERED, .sysop = true};
    assert_int_equal(core_session_identify(a->s, &sysop), 0);
    enter(a, w.lobby);
    enter(b, w.lobby);
    assert_int_equal(core_enter(l->s, w.lobby, true, NULL), 0);
    char out[128] = "";
    table_members_rights_foreach(room_table_first(w.lobby), collect, out);
    assert_string_equal(out, "alice=host,bob=other,"); /* lurkers are not listed */
    fake_free(a);
    fake_free(b);
    fake_free(l);
    world_deinit(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nick_held),
        cmocka_unit_test(test_pm_room_needs_a_shared_table),
        cmocka_unit_test(test_members_rights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
