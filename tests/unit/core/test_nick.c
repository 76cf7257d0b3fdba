/* Unit tests of renaming a session (core_session_rename, EV_NICK) and of the presence hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_session.h"

static int count_type(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

static void test_rename(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    room_t *duo;
    room_spec_t spec = {.name = "duo", .title = "Duo", .capacity = 8};
    assert_int_equal(core_room_create(w.core, &spec, false, &duo), 0);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "bob");
    fake_t *lurker = fake_hello(w.core, "lurky"), *early = fake_new(w.core);
    for (int i = 0; i < 2; i++) {
        room_t *r = i ? duo : w.lobby;
        assert_int_equal(core_enter(a->s, r, false, NULL), 0);
        assert_int_equal(core_enter(b->s, r, false, NULL), 0);
    }
    assert_int_equal(core_enter(lurker->s, w.lobby, true, NULL), 0);
    char colour[8];
    snprintf(colour, sizeof(colour), "%s", core_session_colour(a->s));
    fake_clear(a);
    fake_clear(b);
    assert_int_equal(core_session_rename(a->s, "Alicia"), 0);
    assert_string_equal(core_session_nick(a->s), "Alicia");
    assert_string_equal(core_session_colour(a->s), colour);
    assert_null(core_nick_held(w.core, "alice"));
    assert_string_equal(core_nick_held(w.core, "ALICIA"), "Alicia");
    /* one EV_NICK per shared table, to both, with one serial */
    assert_int_equal(count_type(b, EV_NICK), 2);
    assert_int_equal(count_type(a, EV_NICK), 2);
    const rec_t *e = fake_last(b);
    assert_string_equal(e->nick, "alice");
    assert_string_equal(e->to_nick, "Alicia");
    assert_int_equal(e->count, b->ev[0].count);
    assert_int_equal(count_type(lurker, EV_NICK), 1); /* a lurker reads the lobby too */
    /* a lurker's rename is nobody's business */
    fake_clear(b);
    assert_int_equal(core_session_rename(lurker->s, "lurker2"), 0);
    assert_int_equal(count_type(b, EV_NICK), 0);
    /* errors */
    assert_int_equal(core_session_rename(a->s, "bob"), CORE_ENICKTAKEN);
    assert_int_equal(core_session_rename(a->s, "BOB"), CORE_ENICKTAKEN);
    assert_int_equal(core_session_rename(a->s, "1x"), CORE_ENICKINVALID);
    assert_int_equal(core_session_rename(a->s, "Sysop"), CORE_ENICKRESERVED);
    assert_int_equal(core_session_rename(early->s, "early"), CORE_EHELLOFIRST);
    /* a change of case, and the same nick again (no event) */
    assert_int_equal(core_session_rename(a->s, "ALICIA"), 0);
    fake_clear(b);
    assert_int_equal(core_session_rename(a->s, "ALICIA"), 0);
    assert_int_equal(count_type(b, EV_NICK), 0);
    /* an account keeps its name */
    core_identity_t id = {.account = "bob", .cls = CORE_CLASS_REGISTERED};
    assert_int_equal(core_session_identify(b->s, &id), 0);
    assert_int_equal(core_session_rename(b->s, "robert"), CORE_EFORBIDDEN);
    /* the old nick is free for a hello */
    fake_t *c = fake_hello(w.core, "alice");
    assert_true(core_session_ready(c->s));
    fake_free(c);
    fake_free(a);
    fake_free(b);
    fake_free(lurker);
    fake_free(early);
    world_deinit(&w);
}

struct seen {
    char log[512];
};

static void presence(void *ud, const char *nick, const char *fold, bool online)
{
    struct seen *s = ud;
    size_t n = strlen(s->log);
    snprintf(s->log + n, sizeof(s->log) - n, "%c%s/%s ", online ? '+' : '-', nick, fold);
}

static void test_presence_hook(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    struct seen s = {""};
    core_set_presence_hook(w.core, presence, &s);
    fake_t *a = fake_hello(w.core, "Ann");
    assert_int_equal(core_session_rename(a->s, "Anna"), 0);
    assert_int_equal(core_session_rename(a->s, "ANNA"), 0); /* case only: no change of presence */
    fake_t *quiet = fake_new(w.core);                       /* never said hello */
    fake_free(quiet);
    fake_free(a);
    assert_string_equal(s.log, "+Ann/ann -Ann/ann +Anna/anna -ANNA/anna ");
    char *fold = core_nick_fold("ZOË");
    assert_string_equal(fold, "zoë");
    free(fold);
    assert_null(core_nick_fold(NULL));
    world_deinit(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rename),
        cmocka_unit_test(test_presence_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
