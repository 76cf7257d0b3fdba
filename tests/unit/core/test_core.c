/* Unit tests of the core's identity and setup side: hello and nickname rules, colours, text rules,
 * error strings, rooms and stats. Tables and talk are in test_table.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_session.h"

static void test_hello_valid(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    const char *good[] = {"alice", "Bo",       "Zoë",  "Ωμέγα",
                          "名字",  "a1_b-c.d", "x١٢٣", "abcdefghijklmnopqrstuvwx" /* 24 */};
    fake_t *f[8];
    for (int i = 0; i < 8; i++) {
        f[i] = fake_new(w.core);
        assert_false(core_session_ready(f[i]->s));
        assert_int_equal(core_hello(f[i]->s, good[i], NULL), 0);
        assert_true(core_session_ready(f[i]->s));
        assert_string_equal(core_session_nick(f[i]->s), good[i]);
        assert_true(core_valid_colour(core_session_colour(f[i]->s)));
    }
    assert_int_equal(core_hello(f[0]->s, "other", NULL), CORE_EALREADYHELLO);
    assert_string_equal(core_session_nick(f[0]->s), "alice");
    for (int i = 0; i < 8; i++)
        fake_free(f[i]);
    world_deinit(&w);
}

static void test_hello_invalid(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *f = fake_new(w.core);
    const char *bad[] = {"",
                         "a",
                         "1abc",
                         "_abc",
                         ".abc",
                         "ab cd",
                         "ab!c",
                         "ab\xff",
                         "\xc3\x28x",
                         "ab\tc",
                         "é1\xe2\x82",
                         "abcdefghijklmnopqrstuvwxy" /* 25 */,
                         "a\xe2\x80\x8b" /* ZWSP, Cf */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(core_check_nick(bad[i]), CORE_ENICKINVALID);
        assert_int_equal(core_hello(f->s, bad[i], NULL), CORE_ENICKINVALID);
    }
    assert_int_equal(core_check_nick(NULL), CORE_ENICKINVALID);
    /* 24 code points of two bytes each is fine: the limit is in characters */
    assert_int_equal(core_check_nick("éééééééééééééééééééééééé"), 0);
    assert_int_equal(core_check_nick("ééééééééééééééééééééééééé"), CORE_ENICKINVALID);
    assert_false(core_session_ready(f->s));
    fake_free(f);
    world_deinit(&w);
}

static void test_hello_reserved(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *f = fake_new(w.core);
    const char *res[] = {"parley", "Server", "SYSTEM", "admin",
                         "SysOp",  "host",   "gUeSt",  "ａｄｍｉｎ" /* fullwidth folds to admin */};
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
        assert_int_equal(core_check_nick(res[i]), CORE_ENICKRESERVED);
        assert_int_equal(core_hello(f->s, res[i], NULL), CORE_ENICKRESERVED);
    }
    assert_int_equal(core_check_nick("admins"), 0);
    assert_int_equal(core_hello(f->s, "hostess", NULL), 0);
    fake_free(f);
    world_deinit(&w);
}

static void test_hello_taken(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_hello(w.core, "Zoë");
    fake_t *b = fake_new(w.core);
    assert_int_equal(core_hello(b->s, "ZOË", NULL), CORE_ENICKTAKEN);
    assert_int_equal(core_hello(b->s, "zoë", NULL), CORE_ENICKTAKEN);
    assert_int_equal(core_hello(b->s, "ＺＯË", NULL), CORE_ENICKTAKEN); /* fullwidth (NFKC) */
    /* a combining mark (category Mn) is neither letter nor digit, even where NFC would compose */
    assert_int_equal(core_hello(b->s, "Zoe\xcc\x88", NULL), CORE_ENICKINVALID);
    assert_int_equal(core_hello(b->s, "Zoe", NULL), 0);
    fake_t *c = fake_hello(w.core, "Straße");
    fake_t *d = fake_new(w.core);
    assert_int_equal(core_hello(d->s, "STRASSE", NULL), CORE_ENICKTAKEN);
    fake_t *e = fake_hello(w.core, "ﬁona"); /* U+FB01 ligature folds to "fi" */
    assert_int_equal(core_hello(d->s, "Fiona", NULL), CORE_ENICKTAKEN);
    fake_free(e);
    /* the nickname is released with the session */
    fake_free(a);
    assert_int_equal(core_hello(d->s, "ZOË", NULL), 0);
    fake_free(b);
    fake_free(c);
    fake_free(d);
    world_deinit(&w);
}

static void test_colour(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_new(w.core);
    assert_null(core_session_colour(a->s));
    assert_int_equal(core_set_colour(a->s, "#123456"), CORE_EHELLOFIRST);
    assert_int_equal(core_hello(a->s, "anna", "#12345"), CORE_EBADCOLOUR);
    assert_int_equal(core_hello(a->s, "anna", "#ABCDEF"), 0);
    assert_string_equal(core_session_colour(a->s), "#abcdef");
    assert_int_equal(core_set_colour(a->s, "red"), CORE_EBADCOLOUR);
    assert_int_equal(core_set_colour(a->s, "#00Ff0A"), 0);
    assert_string_equal(core_session_colour(a->s), "#00ff0a");

    assert_true(core_valid_colour("#a0B1c2"));
    assert_false(core_valid_colour("#a0B1c"));
    assert_false(core_valid_colour("#a0B1c22"));
    assert_false(core_valid_colour("a0B1c2"));
    assert_false(core_valid_colour("#g0b1c2"));
    assert_false(core_valid_colour(""));
    assert_false(core_valid_colour(NULL));

    /* the default colour depends only on the nickname (not on case); PROTOCOL.md's examples */
    fake_t *x = fake_hello(w.core, "alice");
    fake_t *y = fake_hello(w.core, "bob");
    assert_string_equal(core_session_colour(x->s), "#e06c75");
    assert_string_equal(core_session_colour(y->s), "#61afef");
    fake_free(x);
    fake_free(y);
    fake_t *b = fake_hello(w.core, "carol");
    char first[8];
    snprintf(first, sizeof(first), "%s", core_session_colour(b->s));
    fake_free(b);
    b = fake_hello(w.core, "CAROL");
    assert_string_equal(core_session_colour(b->s), first);
    fake_free(a);
    fake_free(b);
    world_deinit(&w);
}

static void test_hello_first(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_new(w.core);
    table_t *t = NULL;
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_enter(a->s, w.lobby, false, &t), CORE_EHELLOFIRST);
    assert_int_equal(core_hop(a->s, w.lobby, 1, &t), CORE_EHELLOFIRST);
    assert_int_equal(core_leave(a->s, w.lobby), CORE_EHELLOFIRST);
    assert_int_equal(core_say(a->s, w.lobby, "hi", 2, &id, &ts), CORE_EHELLOFIRST);
    assert_int_equal(core_pm(a->s, w.lobby, "bob", "hi", 2, &id, &ts), CORE_EHELLOFIRST);
    assert_int_equal(core_set_colour(a->s, "#000000"), CORE_EHELLOFIRST);
    assert_null(core_session_table(a->s, w.lobby));
    core_stats_t st;
    core_get_stats(w.core, &st);
    assert_int_equal(st.sessions, 0);
    fake_free(a);
    world_deinit(&w);
}

static void test_text_rules(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 10);
    fake_t *a = fake_hello(w.core, "alice");
    assert_int_equal(core_enter(a->s, w.lobby, false, NULL), 0);
    uint64_t id;
    int64_t ts;
    struct {
        const char *text;
        int rc;
    } cases[] = {
        {"", CORE_ETEXTEMPTY},
        {" ", CORE_ETEXTEMPTY},
        {" \t\r\n\v\f", CORE_ETEXTEMPTY},
        {"\xc2\xa0\xe3\x80\x80", CORE_ETEXTEMPTY},  /* NBSP, ideographic space */
        {"\xe2\x80\xa8 \xc2\x85", CORE_ETEXTEMPTY}, /* U+2028, NEL */
        {"0123456789", 0},
        {"0123456789a", CORE_ETEXTLONG},
        {" x ", 0},
        {"\xff\xfe", 0}, /* invalid UTF-8 does not crash and is not "empty" */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].text);
        assert_int_equal(core_say(a->s, w.lobby, cases[i].text, len, &id, &ts), cases[i].rc);
        assert_int_equal(core_pm(a->s, w.lobby, "alice", cases[i].text, len, &id, &ts),
                         cases[i].rc);
    }
    /* text with NUL bytes is measured by len, not strlen */
    assert_int_equal(core_say(a->s, w.lobby, "a\0b", 3, &id, &ts), 0);
    assert_int_equal(fake_last(a)->text_len, 3);
    fake_free(a);
    world_deinit(&w);
}

static void test_err_strings(void **state)
{
    struct {
        int err;
        const char *code;
    } map[] = {
        {CORE_EBADREQ, "bad_request"},         {CORE_EHELLOFIRST, "hello_first"},
        {CORE_EALREADYHELLO, "already_hello"}, {CORE_ENICKINVALID, "nick_invalid"},
        {CORE_ENICKRESERVED, "nick_reserved"}, {CORE_ENICKTAKEN, "nick_taken"},
        {CORE_EBADCOLOUR, "bad_colour"},       {CORE_ENOROOM, "no_such_room"},
        {CORE_EINROOM, "already_in_room"},     {CORE_ENOTINROOM, "not_in_room"},
        {CORE_ENOTABLE, "no_such_table"},      {CORE_EATTABLE, "already_at_table"},
        {CORE_ETABLEFULL, "table_full"},       {CORE_EREADONLY, "read_only"},
        {CORE_ENOUSER, "no_such_user"},        {CORE_ETEXTEMPTY, "text_empty"},
        {CORE_ETEXTLONG, "text_too_long"},     {CORE_ESTORE, "store_failed"},
        {CORE_EROOMNAME, "bad_request"},       {CORE_EROOMEXISTS, "room_exists"},
        {CORE_ECAPACITY, "bad_request"},       {CORE_EINTERNAL, "internal"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        assert_string_equal(core_err_code(map[i].err), map[i].code);
        assert_true(strlen(core_err_message(map[i].err)) > 0);
    }
    assert_string_equal(core_err_code(-1), "internal");
    assert_string_equal(core_err_code(12345), "internal");
    assert_non_null(core_err_message(-1));
}

static void add_name(void *ud, room_t *r)
{
    char *s = ud;
    strcat(s, room_name(r));
    strcat(s, ",");
}

static void test_rooms(void **state)
{
    bus_t *bus = bus_inproc_new();
    core_t *c = core_new(NULL, NULL, bus);
    room_t *r = NULL;
    const char *bad[] = {"",    "-ab", "_ab", "Lobby",
                         "a b", "a.b", "é",   "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(core_valid_room_name(bad[i]));
        room_spec_t spec = {.name = bad[i]};
        assert_int_equal(core_room_create(c, &spec, false, &r), CORE_EROOMNAME);
    }
    assert_false(core_valid_room_name(NULL));
    assert_true(core_valid_room_name("abcdefghijklmnopqrstuvwxyz012345"));
    assert_true(core_valid_room_name("0-a_b"));

    room_spec_t spec = {.name = "zoo", .capacity = 10001};
    assert_int_equal(core_room_create(c, &spec, false, &r), CORE_ECAPACITY);
    spec.capacity = -1;
    assert_int_equal(core_room_create(c, &spec, false, &r), CORE_ECAPACITY);
    spec.capacity = 0;
    assert_int_equal(core_room_create(c, &spec, false, &r), 0);
    assert_string_equal(room_name(r), "zoo");
    assert_string_equal(room_title(r), "zoo");
    assert_string_equal(room_topic(r), "");
    assert_int_equal(room_capacity(r), 32);
    assert_int_equal(room_table_count(r), 1);
    assert_int_equal(room_user_count(r), 0);
    assert_int_equal(table_number(room_table_first(r)), 1);
    assert_string_equal(table_name(room_table_first(r)), "zoo");
    assert_ptr_equal(table_room(room_table_first(r)), r);
    assert_null(room_table_next(room_table_first(r)));
    assert_null(room_table_find(r, 2));

    room_spec_t s2 = {.name = "games", .title = "Games", .topic = "Play nice", .capacity = 10000};
    room_t *g;
    assert_int_equal(core_room_create(c, &s2, false, &g), 0);
    assert_int_equal(core_room_create(c, &s2, false, &g), CORE_EROOMEXISTS);
    room_spec_t s3 = {.name = "abc", .title = "ABC", .capacity = 1};
    assert_int_equal(core_room_create(c, &s3, false, NULL), 0);

    char names[64] = "";
    core_rooms_foreach(c, add_name, names);
    assert_string_equal(names, "abc,games,zoo,");
    assert_ptr_equal(core_room_find(c, "games"), g);
    assert_null(core_room_find(c, "nope"));
    assert_null(core_room_find(c, NULL));

    /* replace keeps the room (and its people) but takes the new title, topic and capacity */
    s2.title = "Board Games";
    s2.topic = NULL;
    s2.capacity = 5;
    room_t *g2;
    assert_int_equal(core_room_create(c, &s2, true, &g2), 0);
    assert_ptr_equal(g2, g);
    assert_string_equal(room_title(g), "Board Games");
    assert_string_equal(table_name(room_table_first(g)), "Board Games");
    assert_string_equal(room_topic(g), "");
    assert_int_equal(room_capacity(g), 5);

    core_stats_t st;
    core_get_stats(c, &st);
    assert_int_equal(st.rooms, 3);
    assert_int_equal(st.tables, 3);
    assert_int_equal(core_rooms_load(c), 0); /* no store: nothing to load */
    core_free(c);
    bus_free(bus);
}

static void test_stats(void **state)
{
    world_t w;
    world_init(&w, 2, 50, 4000);
    fake_t *f[3];
    const char *nicks[] = {"alice", "bob", "carol"};
    for (int i = 0; i < 3; i++) {
        f[i] = fake_hello(w.core, nicks[i]);
        assert_int_equal(core_enter(f[i]->s, w.lobby, false, NULL), 0);
    }
    fake_t *anon = fake_new(w.core); /* no hello: not counted */
    core_stats_t st;
    core_get_stats(w.core, &st);
    assert_int_equal(st.rooms, 1);
    assert_int_equal(st.tables, 2);
    assert_int_equal(st.sessions, 3);
    assert_int_equal(st.messages_in, 0);
    assert_int_equal(st.deliveries, 1); /* bob saw alice enter */
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(f[0]->s, w.lobby, "hi", 2, &id, &ts), 0);      /* alice, bob */
    assert_int_equal(core_pm(f[0]->s, w.lobby, "bob", "x", 1, &id, &ts), 0); /* alice, bob */
    core_get_stats(w.core, &st);
    assert_int_equal(st.messages_in, 2);
    assert_int_equal(st.deliveries, 5);
    fake_free(f[2]); /* the overflow table closes */
    core_get_stats(w.core, &st);
    assert_int_equal(st.tables, 1);
    assert_int_equal(st.sessions, 2);
    fake_free(anon);
    fake_free(f[0]);
    fake_free(f[1]);
    world_deinit(&w);
}

static void test_identify(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *f = fake_new(w.core);
    assert_null(core_session_account(f->s));
    assert_int_equal(core_session_class(f->s), CORE_CLASS_GUEST);
    assert_false(core_session_sysop(f->s));
    core_identity_t bad1 = {.account = NULL, .cls = CORE_CLASS_REGISTERED};
    core_identity_t bad2 = {.account = "alice", .cls = CORE_CLASS_GUEST};
    core_identity_t bad3 = {.account = NULL, .cls = CORE_CLASS_GUEST, .sysop = true};
    assert_int_equal(core_session_identify(f->s, &bad1), CORE_EBADREQ);
    assert_int_equal(core_session_identify(f->s, &bad2), CORE_EBADREQ);
    assert_int_equal(core_session_identify(f->s, &bad3), CORE_EBADREQ);
    assert_null(core_session_account(f->s));
    char name[] = "alice";
    core_identity_t prov = {.account = name, .cls = CORE_CLASS_PROVISIONAL};
    assert_int_equal(core_session_identify(f->s, &prov), 0);
    name[0] = 'X'; /* copied, not borrowed */
    assert_string_equal(core_session_account(f->s), "alice");
    assert_int_equal(core_session_class(f->s), CORE_CLASS_PROVISIONAL);
    assert_int_equal(core_hello(f->s, "alice", NULL), 0);
    core_identity_t reg = {.account = "alice", .cls = CORE_CLASS_REGISTERED, .sysop = true};
    assert_int_equal(core_session_identify(f->s, &reg), 0);
    assert_int_equal(core_session_class(f->s), CORE_CLASS_REGISTERED);
    assert_true(core_session_sysop(f->s));
    fake_free(f);
    world_deinit(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_valid),    cmocka_unit_test(test_hello_invalid),
        cmocka_unit_test(test_hello_reserved), cmocka_unit_test(test_hello_taken),
        cmocka_unit_test(test_colour),         cmocka_unit_test(test_hello_first),
        cmocka_unit_test(test_text_rules),     cmocka_unit_test(test_err_strings),
        cmocka_unit_test(test_rooms),          cmocka_unit_test(test_stats),
        cmocka_unit_test(test_identify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
