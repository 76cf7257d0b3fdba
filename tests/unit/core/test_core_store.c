/* Unit tests of the core over the real store (SQLite in a temporary directory): the say_done path,
 * failed writes leaving history, loading rooms and history, ids continuing across restarts, and
 * store callbacks that outlive their session or the core. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"
#include "util/log.h"

static void open_all(fixture_t *f, int64_t max_pages, int history, size_t max_text)
{
    store_options_t opt = {.dir = f->dir, .max_pages = max_pages};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    core_config_t cfg = {.default_capacity = 32, .history_on_entry = history, .max_text = max_text};
    f->core = core_new(&cfg, f->st, f->bus);
}

/* Runs the loop until *count reaches want (the store wakes the loop when a batch is written). */
static void run_until(fixture_t *f, const int *count, int want)
{
    for (int i = 0; i < 10000 && *count < want; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_true(*count >= want);
}

static void count_history(void *ud, const core_event_t *ev)
{
    (*(int *)ud)++;
}

static void last_text(void *ud, const core_event_t *ev)
{
    snprintf(ud, 32, "%.*s", (int)ev->text_len, ev->text);
}

static void test_say_durable(void **state)
{
    fixture_t *f = *state;
    open_all(f, 0, 50, 4000);
    room_spec_t spec = {.name = "lobby", .title = "Lobby", .topic = "Say hello", .capacity = 7};
    room_t *lobby;
    assert_int_equal(core_room_create(f->core, &spec, false, &lobby), 0);
    fake_t *a = fake_hello(f->core, "alice");
    fake_t *b = fake_hello(f->core, "bob");
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    assert_int_equal(core_enter(b->s, lobby, false, NULL), 0);

    uint64_t id1, id2, idpm;
    int64_t ts;
    assert_int_equal(core_say(a->s, lobby, "hello", 5, &id1, &ts), 0);
    assert_int_equal(id1, 1);
    assert_int_equal(b->nev, 1); /* delivered at once, before it is durable */
    assert_int_equal(a->ndone, 0);
    run_until(f, &a->ndone, 1);
    assert_int_equal(a->done_id[0], id1);
    assert_int_equal(a->done_status[0], 0);

    /* bob says something and goes away before it is stored: his say_done is dropped */
    assert_int_equal(core_say(b->s, lobby, "bye", 3, &id2, &ts), 0);
    assert_int_equal(core_pm(a->s, lobby, "bob", "psst", 4, &idpm, &ts), 0);
    assert_true(idpm > id2);
    fake_free(b);
    store_stats_t ss;
    for (int i = 0; i < 10000; i++) {
        store_get_stats(f->st, &ss);
        if (ss.appended == 2)
            break;
        uv_run(&f->loop, UV_RUN_ONCE);
    }
    assert_int_equal(ss.appended, 2); /* pms are not stored */
    fake_free(a);
    close_all(f);

    /* restart: the room, its history and the id sequence come back */
    open_all(f, 0, 50, 4000);
    assert_null(core_room_find(f->core, "lobby"));
    assert_int_equal(core_rooms_load(f->core), 0);
    lobby = core_room_find(f->core, "lobby");
    assert_non_null(lobby);
    assert_string_equal(room_title(lobby), "Lobby");
    assert_string_equal(room_topic(lobby), "Say hello");
    assert_int_equal(room_capacity(lobby), 7);
    int n = 0;
    char text[32] = "";
    table_history_foreach(room_table_first(lobby), count_history, &n);
    table_history_foreach(room_table_first(lobby), last_text, text);
    assert_int_equal(n, 2);
    assert_string_equal(text, "bye");
    /* loaded entries carry the sender's fold: ignore lists filter them too */
    fake_t *z = fake_hello(f->core, "zoe");
    assert_int_equal(core_ignore(z->s, "ALICE"), 0);
    n = 0;
    core_table_history_for(z->s, room_table_first(lobby), count_history, &n);
    assert_int_equal(n, 1); /* bob's "bye" */
    assert_int_equal(core_ignore(z->s, "Bob"), 0);
    n = 0;
    core_table_history_for(z->s, room_table_first(lobby), count_history, &n);
    assert_int_equal(n, 0);
    assert_int_equal(core_unignore(z->s, "alice"), 0);
    assert_int_equal(core_unignore(z->s, "bob"), 0);
    core_table_history_for(z->s, room_table_first(lobby), count_history, &n);
    assert_int_equal(n, 2);
    fake_free(z);
    a = fake_hello(f->core, "alice");
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    uint64_t id3;
    assert_int_equal(core_say(a->s, lobby, "again", 5, &id3, &ts), 0);
    assert_int_equal(id3, id2 + 1);
    run_until(f, &a->ndone, 1);
    fake_free(a);
    close_all(f);
}

static void test_history_limit_on_load(void **state)
{
    fixture_t *f = *state;
    open_all(f, 0, 3, 4000);
    room_spec_t spec = {.name = "lobby"};
    room_t *lobby;
    assert_int_equal(core_room_create(f->core, &spec, false, &lobby), 0);
    fake_t *a = fake_hello(f->core, "alice");
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    uint64_t id;
    int64_t ts;
    const char *texts[] = {"1", "2", "3", "4", "5"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(core_say(a->s, lobby, texts[i], 1, &id, &ts), 0);
    run_until(f, &a->ndone, 5);
    fake_free(a);
    close_all(f);

    open_all(f, 0, 3, 4000);
    assert_int_equal(core_rooms_load(f->core), 0);
    lobby = core_room_find(f->core, "lobby");
    int n = 0;
    char text[32] = "";
    table_history_foreach(room_table_first(lobby), count_history, &n);
    table_history_foreach(room_table_first(lobby), last_text, text);
    assert_int_equal(n, 3);
    assert_string_equal(text, "5");
    close_all(f);
}

static void test_store_full(void **state)
{
    fixture_t *f = *state;
    open_all(f, 16, 1000, 4000);
    room_spec_t spec = {.name = "lobby"};
    room_t *lobby;
    assert_int_equal(core_room_create(f->core, &spec, false, &lobby), 0);
    fake_t *a = fake_hello(f->core, "alice");
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    char text[1024];
    memset(text, 'x', sizeof(text));
    uint64_t id;
    int64_t ts;
    for (int i = 0; i < 30; i++)
        assert_int_equal(core_say(a->s, lobby, text, sizeof(text), &id, &ts), 0);
    run_until(f, &a->ndone, 30);
    int ok = 0, failed = 0;
    for (int i = 0; i < 30; i++) {
        if (a->done_status[i] == 0)
            ok++;
        else if (a->done_status[i] == CORE_ESTORE)
            failed++;
    }
    assert_int_equal(ok + failed, 30);
    assert_true(ok > 0);
    assert_true(failed > 0);
    /* what could not be stored is not history either */
    int n = 0;
    table_history_foreach(room_table_first(lobby), count_history, &n);
    assert_int_equal(n, ok);
    fake_free(a);
    close_all(f);
}

static void test_core_gone_first(void **state)
{
    fixture_t *f = *state;
    open_all(f, 0, 50, 4000);
    room_spec_t spec = {.name = "lobby"};
    room_t *lobby;
    assert_int_equal(core_room_create(f->core, &spec, false, &lobby), 0);
    assert_int_equal(core_room_create(f->core, &spec, false, &lobby), CORE_EROOMEXISTS);
    spec.title = "The Lobby";
    assert_int_equal(core_room_create(f->core, &spec, true, &lobby), 0);
    fake_t *a = fake_hello(f->core, "alice");
    assert_int_equal(core_enter(a->s, lobby, false, NULL), 0);
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(a->s, lobby, "x", 1, &id, &ts), 0);
    fake_free(a);
    /* the core goes before the store has answered: the answer must find nothing */
    close_all(f);

    open_all(f, 0, 50, 4000);
    assert_int_equal(core_rooms_load(f->core), 0);
    lobby = core_room_find(f->core, "lobby");
    assert_string_equal(room_title(lobby), "The Lobby");
    close_all(f);
}

/* A moderated room keeps its flag across a restart; a refused say is not stored. */
static void test_moderated_room(void **state)
{
    fixture_t *f = *state;
    wordlist_t *words = wordlist_new();
    assert_int_equal(wordlist_add(words, "darn"), 0);
    store_options_t opt = {.dir = f->dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    core_config_t cfg = {.history_on_entry = 50, .words = words};
    f->core = core_new(&cfg, f->st, f->bus);
    room_spec_t spec = {.name = "kids", .moderated = true};
    room_t *kids;
    assert_int_equal(core_room_create(f->core, &spec, false, &kids), 0);
    fake_t *a = fake_hello(f->core, "alice");
    assert_int_equal(core_enter(a->s, kids, false, NULL), 0);
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(a->s, kids, "darn", 4, &id, &ts), CORE_EMODERATED);
    assert_int_equal(core_say(a->s, kids, "fine", 4, &id, &ts), 0);
    run_until(f, &a->ndone, 1);
    store_stats_t ss;
    store_get_stats(f->st, &ss);
    assert_int_equal(ss.appended, 1);
    fake_free(a);
    close_all(f);

    open_all(f, 0, 50, 4000);
    assert_int_equal(core_rooms_load(f->core), 0);
    kids = core_room_find(f->core, "kids");
    assert_non_null(kids);
    assert_true(room_moderated(kids));
    spec.moderated = false;
    assert_int_equal(core_room_create(f->core, &spec, true, NULL), 0);
    close_all(f);

    open_all(f, 0, 50, 4000);
    assert_int_equal(core_rooms_load(f->core), 0);
    assert_false(room_moderated(core_room_find(f->core, "kids")));
    close_all(f);
    wordlist_free(words);
}

int main(void)
{
    log_set_level(LOG_OFF); /* the full-disk test logs errors on purpose */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_say_durable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_limit_on_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_core_gone_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moderated_room, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
