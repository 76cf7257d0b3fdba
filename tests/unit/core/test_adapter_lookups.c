/* Unit tests of the lookups protocol adapters without rooms in their commands need (the IRC
 * gateway): core_nick_held, core_pm_room (a room where a private message can reach a nick),
 * table_members_rights_foreach (each member's right, for NAMES), and what IRC's numerics need:
 * EV_MEMBER_RIGHTS (MODE +o/-o), the host and reason on an ejection's member_left (KICK), the
 * topic's setter and time (333), a table's opening time (329) and core_banned (474). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
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

static int count_type(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

static const rec_t *last_of(const fake_t *f, core_event_type_t type)
{
    for (int i = f->nev - 1; i >= 0; i--)
        if (f->ev[i].type == type)
            return &f->ev[i];
    return NULL;
}

static void set_guests(world_t *w, core_right_t right)
{
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                              {CORE_WHO_GUESTS, NULL, right}};
    core_acl_ref_t ref = {NULL, "lobby", 0};
    assert_int_equal(core_acl_set(w->core, &ref, acl, 2), 0);
}

static fake_t *host(world_t *w)
{
    fake_t *h = fake_hello(w->core, "hank");
    core_identity_t id = {"hank", CORE_CLASS_REGISTERED, false};
    assert_int_equal(core_session_identify(h->s, &id), 0);
    return h;
}

/* A member made a host or no longer one: its table (itself included) gets EV_MEMBER_RIGHTS; a
 * change that is not about host gets none; a lurker made host is announced after it enters. */
static void test_member_rights_event(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    set_guests(&w, CORE_RIGHT_PARTICIPANT);
    fake_t *h = host(&w), *g = fake_hello(w.core, "gus");
    enter(h, w.lobby);
    enter(g, w.lobby);
    fake_clear(h);
    fake_clear(g);
    set_guests(&w, CORE_RIGHT_HOST);
    const rec_t *ev = last_of(h, EV_MEMBER_RIGHTS);
    assert_non_null(ev);
    assert_string_equal(ev->nick, "gus");
    assert_string_equal(ev->room, "lobby");
    assert_int_equal(ev->table, 1);
    assert_int_equal(ev->right, CORE_RIGHT_HOST);
    assert_int_equal(last_of(g, EV_MEMBER_RIGHTS)->right, CORE_RIGHT_HOST);
    fake_clear(h);
    set_guests(&w, CORE_RIGHT_PARTICIPANT);
    assert_int_equal(last_of(h, EV_MEMBER_RIGHTS)->right, CORE_RIGHT_PARTICIPANT);
    fake_clear(h);
    set_guests(&w, CORE_RIGHT_MODERATED); /* not about host */
    assert_int_equal(count_type(h, EV_MEMBER_RIGHTS), 0);
    set_guests(&w, CORE_RIGHT_READ_ONLY); /* gus lurks now */
    fake_clear(h);
    set_guests(&w, CORE_RIGHT_HOST);
    assert_int_equal(h->ev[h->nev - 1].type, EV_MEMBER_RIGHTS); /* after member_entered */
    assert_int_equal(count_type(h, EV_MEMBER_ENTERED), 1);
    fake_free(h);
    fake_free(g);
    world_deinit(&w);
}

/* An ejection's member_left names the host (to_nick) and the reason given (text). */
static void test_eject_names_the_host(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    set_guests(&w, CORE_RIGHT_PARTICIPANT);
    fake_t *h = host(&w), *g = fake_hello(w.core, "gus"), *m = fake_hello(w.core, "mia");
    enter(h, w.lobby);
    enter(g, w.lobby);
    enter(m, w.lobby);
    fake_clear(h);
    assert_int_equal(core_eject(h->s, w.lobby, "gus", true, 0, "calm down", NULL), 0);
    const rec_t *ev = last_of(h, EV_MEMBER_LEFT);
    assert_string_equal(ev->reason, "ejected");
    assert_string_equal(ev->to_nick, "hank");
    assert_string_equal(ev->text, "calm down");
    assert_int_equal(core_eject(h->s, w.lobby, "mia", true, 0, NULL, NULL), 0);
    ev = last_of(h, EV_MEMBER_LEFT);
    assert_string_equal(ev->to_nick, "hank");
    assert_string_equal(ev->text, ""); /* none given */
    fake_free(h);
    fake_free(g);
    fake_free(m);
    world_deinit(&w);
}

/* core_banned: a room ban counts for every table, a table ban for its table only. */
static void test_banned(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    set_guests(&w, CORE_RIGHT_PARTICIPANT);
    fake_t *h = host(&w), *g = fake_hello(w.core, "gus");
    core_session_set_address(g->s, "192.0.2.9");
    enter(h, w.lobby);
    enter(g, w.lobby);
    assert_false(core_banned(g->s, w.lobby, 0));
    assert_int_equal(core_eject(h->s, w.lobby, "gus", true, 60, NULL, NULL), 0);
    assert_false(core_banned(g->s, w.lobby, 0));
    assert_true(core_banned(g->s, w.lobby, 1));
    assert_false(core_banned(g->s, w.lobby, 2));
    enter(g, w.lobby); /* to table 2 */
    assert_int_equal(core_eject(h->s, w.lobby, "gus", false, 60, NULL, NULL), 0);
    assert_true(core_banned(g->s, w.lobby, 0));
    assert_true(core_banned(g->s, w.lobby, 2));
    assert_false(core_banned(h->s, w.lobby, 0));
    fake_free(h);
    fake_free(g);
    world_deinit(&w);
}

/* The topic's setter and time: a host's nick, "" for the admin API; the table's opening time. */
static void test_topic_setter_and_table_opening(void **state)
{
    int64_t before = core__now_ms();
    world_t w;
    world_init(&w, 0, 50, 4000); /* table 1 opens with its room */
    set_guests(&w, CORE_RIGHT_PARTICIPANT);
    fake_t *h = host(&w);
    enter(h, w.lobby);
    const table_t *t = core_session_table(h->s, w.lobby);
    assert_true(table_opened(t) >= before && table_opened(t) <= core__now_ms());
    assert_string_equal(table_topic_by(t), "");
    assert_int_equal(table_topic_at(t), 0);
    assert_int_equal(core_edit_table(h->s, w.lobby, 1, "tea"), 0);
    assert_string_equal(table_topic_by(t), "hank");
    assert_true(table_topic_at(t) >= before);
    assert_string_equal(last_of(h, EV_TABLE_UPDATED)->nick, "hank");
    assert_int_equal(core_table_update(w.core, w.lobby, 1, "coffee"), 0);
    assert_string_equal(table_topic_by(t), "");
    assert_true(table_topic_at(t) >= before);
    assert_int_equal(core_table_update(w.core, w.lobby, 1, ""), 0);
    assert_int_equal(table_topic_at(t), 0);
    fake_free(h);
    world_deinit(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nick_held),
        cmocka_unit_test(test_pm_room_needs_a_shared_table),
        cmocka_unit_test(test_members_rights),
        cmocka_unit_test(test_member_rights_event),
        cmocka_unit_test(test_eject_names_the_host),
        cmocka_unit_test(test_banned),
        cmocka_unit_test(test_topic_setter_and_table_opening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
