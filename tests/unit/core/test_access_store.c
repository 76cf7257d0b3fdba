/* Unit tests of access control over the real store: folders, rooms in folders, access lists on
 * folders, rooms and tables, user groups, bans and table topics are stored at once and found back
 * after reopening; deletions stay deleted; expired bans are not loaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
#include "store_fixture.h"

static void open_all(fixture_t *f)
{
    store_options_t opt = {.dir = f->dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    core_config_t cfg = {.history_on_entry = 10};
    f->core = core_new(&cfg, f->st, f->bus);
    assert_int_equal(core_rooms_load(f->core), 0);
}

static void collect_entry(void *ud, const core_acl_entry_t *e)
{
    char buf[96];
    snprintf(buf, sizeof(buf), "%d:%s:%s;", (int)e->who, e->name ? e->name : "",
             core_right_name(e->right));
    strcat(ud, buf);
}

static void acl_str(core_t *c, const char *folder, const char *room, uint32_t table, char *out)
{
    core_acl_ref_t ref = {folder, room, table};
    bool has;
    out[0] = '\0';
    assert_int_equal(core_acl_get(c, &ref, collect_entry, out, &has), 0);
    if (!has)
        strcpy(out, "inherit");
}

static void collect_group(void *ud, const char *name, const char *const *m, size_t n)
{
    strcat(ud, name);
    strcat(ud, "=");
    for (size_t i = 0; i < n; i++) {
        strcat(ud, m[i]);
        strcat(ud, ",");
    }
    strcat(ud, ";");
}

static void collect_ban(void *ud, const core_ban_info_t *b)
{
    char buf[200];
    snprintf(buf, sizeof(buf), "%s/%u/%s/%s/%s/%s;", b->room, (unsigned)b->table, b->who,
             b->addr[0] ? "addr" : "-", b->by, b->reason);
    strcat(ud, buf);
}

static void test_persisted(void **state)
{
    fixture_t *f = *state;
    open_all(f);
    core_t *c = f->core;
    assert_int_equal(core_folder_create(c, "/events"), 0);
    assert_int_equal(core_folder_create(c, "/events/2026"), 0);
    assert_int_equal(core_folder_create(c, "/gone"), 0);
    assert_int_equal(core_folder_create(c, "/tmp_x"), 0);
    assert_int_equal(core_folder_create(c, "/tmp_x/sub"), 0);
    assert_int_equal(core_folder_create(c, "/tmp_xy"), 0); /* not below /tmp_x */
    room_spec_t ws = {.name = "work", .folder = "/tmp_x/sub"};
    assert_int_equal(core_room_create(c, &ws, false, NULL), 0);
    core_acl_entry_t wa[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_HOST}};
    core_acl_ref_t wr = {"/tmp_x/sub", NULL, 0};
    assert_int_equal(core_acl_set(c, &wr, wa, 1), 0);
    assert_int_equal(core_folder_rename(c, "/tmp_x", "/events/work"), 0);
    room_spec_t ps = {.name = "party", .folder = "/events/2026", .title = "Party"};
    room_spec_t ls = {.name = "lobby"};
    room_spec_t ds = {.name = "doomed", .folder = "/events"};
    room_t *party, *lobby, *doomed;
    assert_int_equal(core_room_create(c, &ps, false, &party), 0);
    assert_int_equal(core_room_create(c, &ls, false, &lobby), 0);
    assert_int_equal(core_room_create(c, &ds, false, &doomed), 0);
    core_acl_entry_t fa[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY},
                             {CORE_WHO_GROUP, "crew", CORE_RIGHT_HOST}};
    core_acl_entry_t ra[] = {{CORE_WHO_USER, "zoë", CORE_RIGHT_HOST},
                             {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_MODERATED}};
    core_acl_entry_t ta[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE}};
    core_acl_ref_t fr = {"/events", NULL, 0}, rr = {NULL, "party", 0}, tr = {NULL, "party", 3};
    core_acl_ref_t gr = {"/gone", NULL, 0}, dr = {NULL, "doomed", 2};
    assert_int_equal(core_acl_set(c, &fr, fa, 2), 0);
    assert_int_equal(core_acl_set(c, &rr, ra, 2), 0);
    assert_int_equal(core_acl_set(c, &tr, ta, 1), 0);
    assert_int_equal(core_acl_set(c, &gr, ta, 1), 0);
    assert_int_equal(core_acl_set(c, &dr, ta, 1), 0);
    const char *crew[] = {"zoë", "al"}, *temp[] = {"x"};
    assert_int_equal(core_group_set(c, "crew", crew, 2), 0);
    assert_int_equal(core_group_set(c, "empty", NULL, 0), 0);
    assert_int_equal(core_group_set(c, "temp", temp, 1), 0);
    assert_int_equal(core_group_delete(c, "temp"), 0);
    assert_int_equal(core_table_update(c, party, 2, "second"), 0);
    assert_int_equal(core_table_update(c, party, 4, "fourth"), 0);
    assert_int_equal(core_table_update(c, party, 4, ""), 0);
    core_room_edit_t e = {.topic = "fun", .moderated = 1};
    assert_int_equal(core_room_update(c, party, &e), 0);

    /* bans come from ejections: a host ejects a guest and an account */
    core_acl_entry_t la[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                             {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT},
                             {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT}};
    core_acl_ref_t lr = {NULL, "lobby", 0};
    assert_int_equal(core_acl_set(c, &lr, la, 3), 0);
    fake_t *hank = fake_hello(c, "hank"), *gus = fake_hello(c, "Gus"), *reg = fake_hello(c, "reg");
    core_identity_t hid = {"hank", CORE_CLASS_REGISTERED, false};
    core_identity_t rid = {"reg", CORE_CLASS_REGISTERED, false};
    assert_int_equal(core_session_identify(hank->s, &hid), 0);
    assert_int_equal(core_session_identify(reg->s, &rid), 0);
    core_session_set_address(gus->s, "203.0.113.9");
    fake_t *all[] = {hank, gus, reg};
    for (int i = 0; i < 3; i++)
        assert_int_equal(core_enter(all[i]->s, lobby, false, NULL), 0);
    assert_int_equal(core_eject(hank->s, lobby, "gus", false, 3600, "spam", NULL), 0);
    assert_int_equal(core_eject(hank->s, lobby, "reg", true, 3600, NULL, NULL), 0);
    assert_int_equal(core_enter(reg->s, lobby, false, NULL), 0);
    assert_int_equal(core_eject(hank->s, lobby, "reg", false, 1, NULL, NULL), 0);
    assert_int_equal(core_edit_table(hank->s, lobby, 1, "by hank"), 0); /* its setter is kept */
    for (int i = 0; i < 3; i++)
        fake_free(all[i]);
    /* a third ban that will have expired, and a lifted one */
    list_foreach(it, &lobby->bans)
    {
        struct ban *b = list_entry(it, struct ban, link);
        if (strcmp(b->who, "account:reg") == 0 && b->table == 0)
            assert_int_equal(store_ban_delete(f->st, "lobby", 0, "account:reg"), 0);
    }
    store_ban_t old = {"lobby", 0, "nick:old", "", core__now_ms() - 1000, "hank", ""};
    assert_int_equal(store_ban_put(f->st, &old), 0);
    /* deleting: a folder and a room take their lists along */
    assert_int_equal(core_folder_delete(c, "/gone"), 0);
    assert_int_equal(core_room_delete(c, doomed), 0);
    close_all(f);

    open_all(f);
    c = f->core;
    char buf[512] = "";
    assert_non_null(core_folder_find(c, "/events/2026"));
    assert_null(core_folder_find(c, "/gone"));
    assert_null(core_folder_find(c, "/tmp_x"));
    assert_non_null(core_folder_find(c, "/tmp_xy"));
    assert_non_null(core_folder_find(c, "/events/work/sub"));
    assert_string_equal(room_folder(core_room_find(c, "work")), "/events/work/sub");
    acl_str(c, "/events/work/sub", NULL, 0, buf);
    assert_string_equal(buf, "3::host;");
    party = core_room_find(c, "party");
    assert_non_null(party);
    assert_null(core_room_find(c, "doomed"));
    assert_string_equal(room_folder(party), "/events/2026");
    assert_string_equal(room_topic(party), "fun");
    assert_true(room_moderated(party));
    assert_string_equal(room_folder(core_room_find(c, "lobby")), "/");
    acl_str(c, "/events", NULL, 0, buf);
    assert_string_equal(buf, "3::read_only;1:crew:host;");
    acl_str(c, NULL, "party", 0, buf);
    assert_string_equal(buf, "0:zoë:host;2::moderated;");
    acl_str(c, NULL, "party", 3, buf);
    assert_string_equal(buf, "3::none;");
    acl_str(c, NULL, "party", 2, buf);
    assert_string_equal(buf, "inherit");
    acl_str(c, "/events/2026", NULL, 0, buf);
    assert_string_equal(buf, "inherit");
    buf[0] = '\0';
    core_groups_foreach(c, collect_group, buf);
    assert_string_equal(buf, "crew=al,zoë,;empty=;");
    assert_string_equal(table_topic(room_table_first(party)), "");
    struct tconf *tc = access__tconf(party, 2, false);
    assert_non_null(tc);
    assert_string_equal(tc->topic, "second");
    assert_null(tc->topic_by); /* the admin API */
    assert_true(tc->topic_at > 0 && tc->topic_at <= core__now_ms());
    tc = access__tconf(core_room_find(c, "lobby"), 1, false);
    assert_non_null(tc);
    assert_string_equal(tc->topic, "by hank");
    assert_string_equal(tc->topic_by, "hank");
    assert_true(tc->topic_at > 0 && tc->topic_at <= core__now_ms());
    assert_null(access__tconf(party, 4, false));
    buf[0] = '\0';
    core_bans_foreach(c, collect_ban, buf);
    assert_string_equal(buf, "lobby/0/nick:gus/addr/hank/spam;lobby/1/account:reg/-/hank/;");
    /* the loaded ban works: the guest's address keeps a new nick out */
    fake_t *g2 = fake_hello(c, "gus2");
    core_session_set_address(g2->s, "203.0.113.9");
    assert_int_equal(core_enter(g2->s, core_room_find(c, "lobby"), false, NULL), CORE_ENOROOM);
    fake_free(g2);
    assert_int_equal(core_ban_lift(c, "lobby", 0, "nick:gus"), 0);
    close_all(f);

    open_all(f);
    buf[0] = '\0';
    core_bans_foreach(f->core, collect_ban, buf);
    assert_string_equal(buf, "lobby/1/account:reg/-/hank/;");
    close_all(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_persisted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
