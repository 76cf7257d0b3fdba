/* Unit tests of core_history_query (src/core/history.c) over the real store: the store's selectors
 * through the core, the visibility rule (rooms and tables a session may not read), ignored
 * nicknames, malformed queries, a core without a store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/history.h"
#include "store_fixture.h"

static void open_all(fixture_t *f)
{
    store_options_t opt = {.dir = f->dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    core_config_t cfg = {.default_capacity = 32, .history_on_entry = 10, .max_text = 4000};
    f->core = core_new(&cfg, f->st, f->bus);
}

static void collect(void *ud, const core_event_t *ev)
{
    char buf[64];
    assert_int_equal(ev->type, EV_MESSAGE);
    assert_true(ev->ts > 0);
    snprintf(buf, sizeof buf, "%s:%.*s ", ev->nick, (int)ev->text_len, ev->text);
    strcat(ud, buf);
}

static int query(fake_t *who, const char *room, uint32_t table, const store_hist_q_t *q, char *out)
{
    int n = -1;
    out[0] = '\0';
    int rc = core_history_query(who->s, room, table, q, collect, out, &n);
    assert_int_equal(n, rc == 0 ? n : 0);
    return rc;
}

static void say(fixture_t *f, fake_t *a, room_t *r, const char *text, uint64_t *id)
{
    int64_t ts;
    int before = a->ndone;
    assert_int_equal(core_say(a->s, r, text, strlen(text), id, &ts), 0);
    for (int i = 0; i < 10000 && a->ndone == before; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(a->ndone, before + 1);
    assert_int_equal(a->done_status[before], 0);
}

static void test_selectors_and_rights(void **state)
{
    fixture_t *f = *state;
    open_all(f);
    room_spec_t ls = {.name = "lobby"}, ss = {.name = "staff"};
    room_t *lobby, *staff;
    assert_int_equal(core_room_create(f->core, &ls, false, &lobby), 0);
    assert_int_equal(core_room_create(f->core, &ss, false, &staff), 0);
    fake_t *a = fake_hello(f->core, "alice");
    fake_t *b = fake_hello(f->core, "bob");
    fake_t *g = fake_hello(f->core, "gus"); /* never enters: may still read lobby */
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    assert_int_equal(core_enter(b->s, lobby, false, NULL), 0);
    assert_int_equal(core_enter(a->s, staff, false, NULL), 0);
    uint64_t id[5], sid;
    say(f, a, lobby, "one", &id[0]);
    say(f, b, lobby, "two", &id[1]);
    say(f, a, staff, "secret", &sid);
    say(f, a, lobby, "three", &id[2]);
    say(f, b, lobby, "four", &id[3]);
    say(f, a, lobby, "five", &id[4]);

    char got[512];
    store_hist_q_t latest = {.kind = STORE_HQ_LATEST, .limit = 3};
    assert_int_equal(query(g, "lobby", 1, &latest, got), 0);
    assert_string_equal(got, "alice:three bob:four alice:five ");
    store_hist_q_t before = {.kind = STORE_HQ_BEFORE, .ref = {STORE_HQ_ID, id[2], 0}, .limit = 10};
    assert_int_equal(query(g, "lobby", 1, &before, got), 0);
    assert_string_equal(got, "alice:one bob:two ");
    store_hist_q_t around = {.kind = STORE_HQ_AROUND, .ref = {STORE_HQ_ID, id[2], 0}, .limit = 2};
    assert_int_equal(query(g, "lobby", 1, &around, got), 0);
    assert_string_equal(got, "bob:two alice:three ");
    store_hist_q_t between = {.kind = STORE_HQ_BETWEEN,
                              .ref = {STORE_HQ_ID, id[0], 0},
                              .end = {STORE_HQ_ID, id[4], 0},
                              .limit = 10};
    assert_int_equal(query(g, "lobby", 1, &between, got), 0);
    assert_string_equal(got, "bob:two alice:three bob:four ");
    store_hist_q_t after = {.kind = STORE_HQ_AFTER, .ref = {STORE_HQ_TS, 0, 0}, .limit = 1};
    assert_int_equal(query(g, "lobby", 1, &after, got), 0);
    assert_string_equal(got, "alice:one ");
    assert_int_equal(query(g, "staff", 1, &latest, got), 0);
    assert_string_equal(got, "alice:secret ");

    /* no such room or table; a malformed query */
    assert_int_equal(query(g, "nowhere", 1, &latest, got), CORE_ENOROOM);
    assert_int_equal(query(g, "lobby", 0, &latest, got), CORE_ENOTABLE);
    store_hist_q_t bad = {.kind = STORE_HQ_BEFORE, .limit = 5};
    assert_int_equal(query(g, "lobby", 1, &bad, got), CORE_EBADREQ);
    assert_int_equal(query(g, "lobby", 1, NULL, got), CORE_EBADREQ);
    bad = (store_hist_q_t){.kind = STORE_HQ_LATEST, .limit = 0};
    assert_int_equal(query(g, "lobby", 1, &bad, got), CORE_EBADREQ);
    /* an unknown msgid in a mixed BETWEEN: nothing */
    store_hist_q_t gone = {.kind = STORE_HQ_BETWEEN,
                           .ref = {STORE_HQ_ID, 99999, 0},
                           .end = {STORE_HQ_TS, 0, 1},
                           .limit = 10};
    assert_int_equal(query(g, "lobby", 1, &gone, got), 0);
    assert_string_equal(got, "");

    /* staff made invisible to guests: gus can no longer read it, even by name */
    core_acl_entry_t none[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE}};
    core_acl_ref_t sref = {NULL, "staff", 0};
    assert_int_equal(core_acl_set(f->core, &sref, none, 1), 0);
    assert_int_equal(query(g, "staff", 1, &latest, got), CORE_ENOROOM);
    assert_string_equal(got, "");
    /* a table-level list: lobby's table 1 closed to guests, the room still visible */
    core_acl_entry_t ro[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY}};
    core_acl_ref_t t1 = {NULL, "lobby", 1};
    assert_int_equal(core_acl_set(f->core, &t1, ro, 1), 0);
    assert_int_equal(query(g, "lobby", 1, &latest, got), 0); /* read-only may read */
    assert_int_equal(core_acl_set(f->core, &t1, none, 1), 0);
    assert_int_equal(query(g, "lobby", 1, &latest, got), CORE_ENOTABLE);

    fake_free(a);
    fake_free(b);
    fake_free(g);
    close_all(f);
}

static void test_ignored_nicks(void **state)
{
    fixture_t *f = *state;
    open_all(f);
    room_spec_t ls = {.name = "lobby"};
    room_t *lobby;
    assert_int_equal(core_room_create(f->core, &ls, false, &lobby), 0);
    fake_t *a = fake_hello(f->core, "alice");
    fake_t *b = fake_hello(f->core, "bob");
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    assert_int_equal(core_enter(b->s, lobby, false, NULL), 0);
    uint64_t id;
    say(f, a, lobby, "hi", &id);
    say(f, b, lobby, "spam", &id);
    say(f, a, lobby, "bye", &id);
    assert_int_equal(core_ignore(a->s, "BOB"), 0);
    char got[256];
    store_hist_q_t latest = {.kind = STORE_HQ_LATEST, .limit = 10};
    assert_int_equal(query(a, "lobby", 1, &latest, got), 0);
    assert_string_equal(got, "alice:hi alice:bye ");
    int n = -1;
    got[0] = '\0';
    assert_int_equal(core_history_query(a->s, "lobby", 1, &latest, collect, got, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(query(b, "lobby", 1, &latest, got), 0);
    assert_string_equal(got, "alice:hi bob:spam alice:bye ");
    fake_free(a);
    fake_free(b);
    close_all(f);
}

static void test_no_store(void **state)
{
    fixture_t *f = *state;
    core_config_t cfg = {.default_capacity = 32, .history_on_entry = 10, .max_text = 4000};
    f->core = core_new(&cfg, NULL, f->bus);
    room_spec_t ls = {.name = "lobby"};
    assert_int_equal(core_room_create(f->core, &ls, false, NULL), 0);
    fake_t *a = fake_hello(f->core, "alice");
    char got[64];
    store_hist_q_t latest = {.kind = STORE_HQ_LATEST, .limit = 10};
    assert_int_equal(query(a, "lobby", 1, &latest, got), CORE_ESTORE);
    fake_free(a);
    close_all(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_selectors_and_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored_nicks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
