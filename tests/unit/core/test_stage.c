/* Unit tests of the stage (stage.c): only hosts (and sysops) set it; bad URLs and texts are refused
 * and change nothing; everyone in the room, every table and lurkers, gets one EV_STAGE; a late
 * entrant reads the current values; absent fields are kept, NULL or "" clears; the stage is stored,
 * found back after reopening, and goes with a deleted room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

#include "core/core_int.h"
#include "fake_session.h"
#include "store/store.h"

static int count_type(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

static void identify(fake_t *f, const char *account, bool sysop)
{
    core_identity_t id = {account, CORE_CLASS_REGISTERED, sysop};
    assert_int_equal(core_session_identify(f->s, &id), 0);
}

static void test_rights_validation_fanout(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 2, 10, 4000);
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT},
                              {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT}};
    core_acl_ref_t ref = {NULL, "lobby", 0};
    assert_int_equal(core_acl_set(w.core, &ref, acl, 3), 0);
    fake_t *hank = fake_hello(w.core, "hank"), *gus = fake_hello(w.core, "gus");
    fake_t *mia = fake_hello(w.core, "mia"), *lou = fake_hello(w.core, "lou");
    fake_t *root = fake_hello(w.core, "root"), *out = fake_hello(w.core, "out");
    identify(hank, "hank", false);
    identify(root, "root", true);
    assert_int_equal(core_enter(hank->s, w.lobby, false, NULL), 0);
    assert_int_equal(core_enter(gus->s, w.lobby, false, NULL), 0);
    assert_int_equal(core_enter(mia->s, w.lobby, false, NULL), 0); /* table 2 */
    assert_int_equal(core_enter(lou->s, w.lobby, true, NULL), 0);  /* a lurker */
    assert_int_equal(table_number(core_session_table(mia->s, w.lobby)), 2);
    const core_stage_t *st = room_stage(w.lobby);
    assert_null(st->banner);
    assert_null(st->link_url);
    assert_null(st->speaking);

    core_stage_edit_t e = {.set_banner = true, .banner = "Tonight: Ada"};
    assert_int_equal(core_stage_set(gus->s, w.lobby, &e), CORE_EFORBIDDEN);
    assert_int_equal(core_stage_set(out->s, w.lobby, &e), CORE_ENOTINROOM);
    assert_null(room_stage(w.lobby)->banner);

    /* refused values change nothing and reach nobody */
    const char *bad_urls[] = {"javascript:alert(1)", "data:text/html,x", "https://",
                              "https:///x",          "http://a b/",      "http://x/\x01",
                              "ftp://x.org/",        "http://x/\x7f"};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        core_stage_edit_t b = {.set_link = true, .link_url = bad_urls[i]};
        assert_int_equal(core_stage_set(hank->s, w.lobby, &b), CORE_ESTAGEURL);
    }
    char big[600];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "https://x.org/", 14);
    core_stage_edit_t b = {.set_link = true, .link_url = big};
    assert_int_equal(core_stage_set(hank->s, w.lobby, &b), CORE_ESTAGEURL);
    big[CORE_STAGE_URL_MAX] = '\0';
    b.link_title = "t";
    assert_int_equal(core_stage_set(hank->s, w.lobby, &b), 0); /* exactly the maximum */
    fake_clear(gus);
    big[CORE_STAGE_BANNER_MAX + 1] = '\0';
    b = (core_stage_edit_t){.set_banner = true, .banner = big};
    assert_int_equal(core_stage_set(hank->s, w.lobby, &b), CORE_ESTAGETEXT);
    b = (core_stage_edit_t){.set_speaking = true, .speaking = "line\nbreak"};
    assert_int_equal(core_stage_set(hank->s, w.lobby, &b), CORE_ESTAGETEXT);
    assert_int_equal(count_type(gus, EV_STAGE), 0);

    /* a host sets all three: one event each for everyone in the room */
    fake_t *all[] = {hank, gus, mia, lou};
    for (int i = 0; i < 4; i++)
        fake_clear(all[i]);
    e = (core_stage_edit_t){.set_banner = true,
                            .banner = "<b>Tonight</b>",
                            .set_link = true,
                            .link_url = "https://example.org/a.png",
                            .link_title = "Ada",
                            .link_image = true,
                            .set_speaking = true,
                            .speaking = "Ada"};
    assert_int_equal(core_stage_set(hank->s, w.lobby, &e), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(count_type(all[i], EV_STAGE), 1);
        const rec_t *r = fake_last(all[i]);
        assert_string_equal(r->room, "lobby");
        assert_string_equal(r->nick, "hank");
    }
    st = room_stage(w.lobby);
    assert_string_equal(st->banner, "<b>Tonight</b>");
    assert_string_equal(st->link_url, "https://example.org/a.png");
    assert_string_equal(st->link_title, "Ada");
    assert_true(st->link_image);
    assert_string_equal(st->speaking, "Ada");

    /* a late entrant reads the same; absent fields are kept, NULL and "" clear */
    fake_t *late = fake_hello(w.core, "late");
    assert_int_equal(core_enter(late->s, w.lobby, false, NULL), 0);
    assert_string_equal(room_stage(w.lobby)->speaking, "Ada");
    e = (core_stage_edit_t){
        .set_speaking = true, .speaking = NULL, .set_banner = true, .banner = ""};
    assert_int_equal(core_stage_set(root->s, w.lobby, &e), CORE_ENOTINROOM);
    assert_int_equal(core_enter(root->s, w.lobby, false, NULL), 0);
    assert_int_equal(core_stage_set(root->s, w.lobby, &e), 0); /* sysops are hosts */
    st = room_stage(w.lobby);
    assert_null(st->banner);
    assert_null(st->speaking);
    assert_string_equal(st->link_title, "Ada");
    assert_int_equal(count_type(late, EV_STAGE), 1);
    e = (core_stage_edit_t){.set_link = true};
    assert_int_equal(core_stage_set(hank->s, w.lobby, &e), 0);
    assert_null(room_stage(w.lobby)->link_url);
    assert_null(room_stage(w.lobby)->link_title);

    fake_t *people[] = {hank, gus, mia, lou, root, out, late};
    for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++)
        fake_free(people[i]);
    world_deinit(&w);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

typedef struct stored {
    uv_loop_t loop;
    store_t *st;
    bus_t *bus;
    core_t *core;
} stored_t;

static void open_all(stored_t *f, const char *dir)
{
    store_options_t opt = {.dir = dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    core_config_t cfg = {.history_on_entry = 10};
    f->core = core_new(&cfg, f->st, f->bus);
    assert_int_equal(core_rooms_load(f->core), 0);
}

static void close_all(stored_t *f)
{
    core_free(f->core);
    store_close(f->st);
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void test_persisted(void **state)
{
    (void)state;
    char dir[] = "/tmp/parley-stage-XXXXXX";
    assert_non_null(mkdtemp(dir));
    stored_t f = {0};
    assert_int_equal(uv_loop_init(&f.loop), 0);
    f.bus = bus_inproc_new();
    open_all(&f, dir);
    room_spec_t hs = {.name = "hall"}, ds = {.name = "doomed"}, ks = {.name = "kept"};
    room_t *hall, *doomed, *kept;
    assert_int_equal(core_room_create(f.core, &hs, false, &hall), 0);
    assert_int_equal(core_room_create(f.core, &ds, false, &doomed), 0);
    assert_int_equal(core_room_create(f.core, &ks, false, &kept), 0);
    fake_t *root = fake_hello(f.core, "root");
    identify(root, "root", true);
    room_t *rooms[] = {hall, doomed, kept};
    for (int i = 0; i < 3; i++)
        assert_int_equal(core_enter(root->s, rooms[i], false, NULL), 0);
    core_stage_edit_t e = {.set_banner = true,
                           .banner = "Welcome",
                           .set_link = true,
                           .link_url = "http://example.org/",
                           .set_speaking = true,
                           .speaking = "Bob"};
    assert_int_equal(core_stage_set(root->s, hall, &e), 0);
    assert_int_equal(core_stage_set(root->s, doomed, &e), 0);
    e = (core_stage_edit_t){.set_speaking = true, .speaking = "Só eu"};
    assert_int_equal(core_stage_set(root->s, kept, &e), 0);
    e = (core_stage_edit_t){.set_banner = true, .set_link = true, .set_speaking = true};
    assert_int_equal(core_stage_set(root->s, doomed, &e), 0); /* cleared: no row left */
    assert_int_equal(
        core_stage_set(root->s, doomed, &(core_stage_edit_t){.set_banner = true, .banner = "x"}),
        0);
    fake_free(root);
    assert_int_equal(core_room_delete(f.core, doomed), 0);
    close_all(&f);

    open_all(&f, dir);
    const core_stage_t *st = room_stage(core_room_find(f.core, "hall"));
    assert_string_equal(st->banner, "Welcome");
    assert_string_equal(st->link_url, "http://example.org/");
    assert_string_equal(st->link_title, "");
    assert_false(st->link_image);
    assert_string_equal(st->speaking, "Bob");
    st = room_stage(core_room_find(f.core, "kept"));
    assert_null(st->banner);
    assert_null(st->link_url);
    assert_string_equal(st->speaking, "Só eu");
    room_t *again;
    assert_int_equal(core_room_create(f.core, &ds, false, &again), 0);
    assert_null(room_stage(again)->banner); /* the deleted room's stage went with it */
    close_all(&f);
    open_all(&f, dir);
    assert_null(room_stage(core_room_find(f.core, "doomed"))->banner);
    close_all(&f);

    bus_free(f.bus);
    assert_int_equal(uv_loop_close(&f.loop), 0);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rights_validation_fanout),
        cmocka_unit_test(test_persisted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
