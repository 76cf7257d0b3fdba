/* Unit tests of src/store with the SQLite backend: each test gets a fresh temporary directory and a
 * real uv loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "util/log.h"

#define MAX_MSGS 2000

typedef struct fixture {
    char tmp[64];
    char dir[128]; /* a not-yet-existing subdirectory of tmp */
    uv_loop_t loop;
    uv_thread_t main_thread;
    bool in_append;
    /* completion tracking */
    int done_calls;
    int status[MAX_MSGS + 1];
    bool called[MAX_MSGS + 1];
    bool off_loop_thread;
    bool inside_append;
    /* history/rooms collection */
    uint64_t ids[MAX_MSGS];
    int n_ids;
    char last_text[2048];
    char rooms[8][64];
    int room_caps[8];
    int n_rooms;
} fixture_t;

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "/tmp/parley-store-XXXXXX");
    assert_non_null(mkdtemp(f->tmp));
    snprintf(f->dir, sizeof f->dir, "%s/data/sub", f->tmp);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->main_thread = uv_thread_self();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    /* Every handle must be closed by now. */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    rm_rf(f->tmp);
    free(f);
    return 0;
}

static store_t *open_store(fixture_t *f, int64_t max_pages, int delay_ms)
{
    store_options_t opt = {.dir = f->dir, .max_pages = max_pages, .commit_delay_ms = delay_ms};
    store_t *st = NULL;
    assert_int_equal(store_open(&f->loop, &opt, &st), 0);
    assert_non_null(st);
    return st;
}

static void close_store(fixture_t *f, store_t *st)
{
    store_close(st);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* lets the async handle close */
}

static void on_done(void *ud, uint64_t id, int status)
{
    fixture_t *f = ud;
    if (!uv_thread_equal(&f->main_thread, &(uv_thread_t){uv_thread_self()}))
        f->off_loop_thread = true;
    if (f->in_append)
        f->inside_append = true;
    assert_true(id >= 1 && id <= MAX_MSGS);
    assert_false(f->called[id]);
    f->called[id] = true;
    f->status[id] = status;
    f->done_calls++;
}

static int append(fixture_t *f, store_t *st, uint64_t id, const char *room, uint32_t table,
                  const char *text)
{
    char nick[32];
    snprintf(nick, sizeof nick, "nick%" PRIu64, id);
    store_msg_t m = {
        .id = id,
        .ts = 1700000000000 + (int64_t)id,
        .room = room,
        .table = table,
        .nick = nick,
        .colour = id % 2 ? "#ff0000" : NULL,
        .text = text,
        .text_len = strlen(text),
    };
    f->in_append = true;
    int rc = store_msg_append(st, &m, on_done, f);
    f->in_append = false;
    return rc;
}

static void run_until(fixture_t *f, int calls)
{
    while (f->done_calls < calls)
        uv_run(&f->loop, UV_RUN_ONCE);
}

static void on_msg(void *ud, const store_msg_t *m)
{
    fixture_t *f = ud;
    assert_true(f->n_ids < MAX_MSGS);
    f->ids[f->n_ids++] = m->id;
    assert_int_equal(m->text_len, strlen(m->text));
    snprintf(f->last_text, sizeof f->last_text, "%s", m->text);
    char nick[32];
    snprintf(nick, sizeof nick, "nick%" PRIu64, m->id);
    assert_string_equal(m->nick, nick);
    assert_int_equal(m->ts, 1700000000000 + (int64_t)m->id);
    if (m->id % 2)
        assert_string_equal(m->colour, "#ff0000");
    else
        assert_null(m->colour);
}

static void on_room(void *ud, const store_room_t *r)
{
    fixture_t *f = ud;
    assert_true(f->n_rooms < 8);
    snprintf(f->rooms[f->n_rooms], sizeof f->rooms[0], "%s|%s|%s", r->name,
             r->title ? r->title : "", r->topic ? r->topic : "");
    f->room_caps[f->n_rooms++] = r->capacity;
}

static int history(fixture_t *f, store_t *st, const char *room, uint32_t table, uint64_t before,
                   int limit, bool *more)
{
    f->n_ids = 0;
    return store_history(st, room, table, before, limit, on_msg, f, more);
}

static void test_open_creates_dir(void **state)
{
    fixture_t *f = *state;
    struct stat sb;
    assert_int_not_equal(stat(f->dir, &sb), 0);
    store_t *st = open_store(f, 0, 0);
    assert_int_equal(stat(f->dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0750);
    char db[256];
    snprintf(db, sizeof db, "%s/parley.db", f->dir);
    assert_int_equal(stat(db, &sb), 0);
    assert_int_equal(store_last_msg_id(st), 0);
    store_stats_t s;
    store_get_stats(st, &s);
    assert_int_equal(s.appended + s.failed + s.commits + s.queued, 0);
    close_store(f, st);

    /* Reopening an existing, migrated database works too. */
    st = open_store(f, 0, 0);
    close_store(f, st);
    store_close(NULL);
}

static void test_open_bad_dir(void **state)
{
    fixture_t *f = *state;
    char file[256];
    snprintf(file, sizeof file, "%s/file", f->tmp);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    store_options_t opt = {.dir = file};
    store_t *st = (store_t *)1;
    assert_int_equal(store_open(&f->loop, &opt, &st), STORE_EIO);
    assert_null(st);
}

static void test_rooms(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 0);
    store_room_t a = {.name = "lobby", .title = "The Lobby", .topic = "hi", .capacity = 10};
    store_room_t b = {.name = "games", .title = "Games", .topic = NULL, .capacity = 4};
    assert_int_equal(store_room_put(st, &a), 0);
    assert_int_equal(store_room_put(st, &b), 0);
    assert_int_equal(store_rooms_load(st, on_room, f), 0);
    assert_int_equal(f->n_rooms, 2);

    a.topic = "new topic";
    a.capacity = 20;
    assert_int_equal(store_room_put(st, &a), 0);
    close_store(f, st);

    st = open_store(f, 0, 0);
    f->n_rooms = 0;
    assert_int_equal(store_rooms_load(st, on_room, f), 0);
    assert_int_equal(f->n_rooms, 2);
    int lobby = strncmp(f->rooms[0], "lobby|", 6) == 0 ? 0 : 1;
    assert_string_equal(f->rooms[lobby], "lobby|The Lobby|new topic");
    assert_int_equal(f->room_caps[lobby], 20);
    assert_string_equal(f->rooms[1 - lobby], "games|Games|");
    assert_int_equal(f->room_caps[1 - lobby], 4);
    close_store(f, st);
}

static void test_settings(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 0);
    char *v = (char *)"sentinel";
    assert_int_equal(store_setting_get(st, "groups", &v), 0);
    assert_null(v);
    assert_int_equal(store_setting_put(st, "groups", "[1]"), 0);
    assert_int_equal(store_setting_put(st, "groups", "[1,2]"), 0); /* replaces */
    assert_int_equal(store_setting_put(st, "other", "x"), 0);
    close_store(f, st);

    st = open_store(f, 0, 0);
    assert_int_equal(store_setting_get(st, "groups", &v), 0);
    assert_string_equal(v, "[1,2]");
    free(v);
    assert_int_equal(store_setting_put(st, "groups", NULL), 0); /* deletes */
    assert_int_equal(store_setting_put(st, "nothing", NULL), 0);
    assert_int_equal(store_setting_get(st, "groups", &v), 0);
    assert_null(v);
    assert_int_equal(store_setting_get(st, "other", &v), 0);
    assert_string_equal(v, "x");
    free(v);
    close_store(f, st);
}

static bool loaded_moderated[8];

static void on_room_moderated(void *ud, const store_room_t *r)
{
    fixture_t *f = ud;
    on_room(f, r);
    loaded_moderated[f->n_rooms - 1] = r->moderated;
}

/* A database made before rooms.moderated existed (user_version 1) is migrated; its rooms come back
 * unmoderated, and the flag round-trips afterwards. */
static void test_rooms_moderated_migration(void **state)
{
    fixture_t *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/data", f->tmp);
    assert_int_equal(mkdir(path, 0750), 0);
    assert_int_equal(mkdir(f->dir, 0750), 0);
    snprintf(path, sizeof path, "%s/parley.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE rooms(name TEXT PRIMARY KEY NOT NULL, title TEXT,"
                     " topic TEXT, capacity INTEGER NOT NULL DEFAULT 0,"
                     " created_ms INTEGER NOT NULL);"
                     "CREATE TABLE messages(id INTEGER PRIMARY KEY, room TEXT NOT NULL,"
                     " tbl INTEGER NOT NULL, ts INTEGER NOT NULL, nick TEXT NOT NULL,"
                     " colour TEXT, text TEXT NOT NULL);"
                     "CREATE INDEX messages_room_tbl_id ON messages(room, tbl, id);"
                     "CREATE TABLE settings(key TEXT PRIMARY KEY NOT NULL, value TEXT);"
                     "INSERT INTO rooms VALUES('old', 'Old', '', 5, 1);"
                     "PRAGMA user_version = 1;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    store_t *st = open_store(f, 0, 0);
    assert_int_equal(store_rooms_load(st, on_room_moderated, f), 0);
    assert_int_equal(f->n_rooms, 1);
    assert_string_equal(f->rooms[0], "old|Old|");
    assert_false(loaded_moderated[0]);
    store_room_t r = {.name = "old", .title = "Old", .topic = "", .capacity = 5, .moderated = true};
    assert_int_equal(store_room_put(st, &r), 0);
    close_store(f, st);

    st = open_store(f, 0, 0);
    f->n_rooms = 0;
    assert_int_equal(store_rooms_load(st, on_room_moderated, f), 0);
    assert_int_equal(f->n_rooms, 1);
    assert_true(loaded_moderated[0]);
    close_store(f, st);
}

static void test_append_history(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 0);
    char text[64];
    /* ids 1..100: odd ids in lobby/1, even ids in lobby/2; 101..110 in other/1 */
    for (uint64_t id = 1; id <= 110; id++) {
        snprintf(text, sizeof text, "hello %" PRIu64 " \xc3\xa9", id);
        assert_int_equal(append(f, st, id, id <= 100 ? "lobby" : "other", id % 2 ? 1 : 2, text), 0);
    }
    assert_int_equal(f->done_calls, 0); /* never from inside append */
    run_until(f, 110);
    assert_false(f->off_loop_thread);
    assert_false(f->inside_append);
    for (int id = 1; id <= 110; id++)
        assert_int_equal(f->status[id], 0);
    store_stats_t s;
    store_get_stats(st, &s);
    assert_int_equal(s.appended, 110);
    assert_int_equal(s.failed, 0);
    assert_int_equal(s.queued, 0);
    assert_true(s.commits >= 1);
    close_store(f, st);

    st = open_store(f, 0, 0);
    assert_int_equal(store_last_msg_id(st), 110);

    bool more = false;
    /* newest 10 of lobby/1 (odd ids 81..99), oldest first */
    assert_int_equal(history(f, st, "lobby", 1, 0, 10, &more), 0);
    assert_int_equal(f->n_ids, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f->ids[i], 81 + 2 * i);
    assert_true(more);
    assert_string_equal(f->last_text, "hello 99 \xc3\xa9");

    /* page back from 81 */
    assert_int_equal(history(f, st, "lobby", 1, 81, 10, &more), 0);
    assert_int_equal(f->n_ids, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f->ids[i], 61 + 2 * i);
    assert_true(more);

    /* last page: 1..19 in 10 → exactly 10 left, none older */
    assert_int_equal(history(f, st, "lobby", 1, 21, 10, &more), 0);
    assert_int_equal(f->n_ids, 10);
    assert_int_equal(f->ids[0], 1);
    assert_false(more);

    /* limit larger than what's there */
    assert_int_equal(history(f, st, "lobby", 2, 0, 500, &more), 0);
    assert_int_equal(f->n_ids, 50);
    assert_int_equal(f->ids[0], 2);
    assert_int_equal(f->ids[49], 100);
    assert_false(more);

    /* limit clamps: 0 → 1, huge → 1000 */
    assert_int_equal(history(f, st, "other", 1, 0, 0, &more), 0);
    assert_int_equal(f->n_ids, 1);
    assert_int_equal(f->ids[0], 109);
    assert_true(more);
    assert_int_equal(history(f, st, "other", 1, 0, 1 << 30, NULL), 0);
    assert_int_equal(f->n_ids, 5);

    /* unknown room, other table */
    assert_int_equal(history(f, st, "nowhere", 1, 0, 10, &more), 0);
    assert_int_equal(f->n_ids, 0);
    assert_false(more);
    assert_int_equal(history(f, st, "lobby", 3, 0, 10, &more), 0);
    assert_int_equal(f->n_ids, 0);
    close_store(f, st);
}

static void test_group_commit(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 0);
    for (uint64_t id = 1; id <= 1000; id++)
        assert_int_equal(append(f, st, id, "lobby", 1, "quick"), 0);
    run_until(f, 1000);
    store_stats_t s;
    store_get_stats(st, &s);
    assert_int_equal(s.appended, 1000);
    assert_true(s.commits >= 1);
    assert_true(s.commits < 1000);
    for (int id = 1; id <= 1000; id++)
        assert_int_equal(f->status[id], 0);
    assert_int_equal(store_last_msg_id(st), 1000);
    close_store(f, st);
}

static int seq_status[8];
static int seq_n;

static void on_done_seq(void *ud, uint64_t id, int status)
{
    assert_true(seq_n < 8);
    seq_status[seq_n++] = status;
}

/* [store] group_commit_ms: a commit begins at least that long after the previous one began, so
 * appends made 50 ms apart (time enough to commit each alone) right after a commit share the next
 * commit; without the window each gets its own. */
static void test_group_commit_window(void **state)
{
    fixture_t *f = *state;
    store_options_t opt = {.dir = f->dir, .group_commit_ms = 1000};
    store_t *st = NULL;
    assert_int_equal(store_open(&f->loop, &opt, &st), 0);
    assert_int_equal(append(f, st, 1, "lobby", 1, "first"), 0);
    run_until(f, 1); /* committed: the window runs from when that commit began */
    for (uint64_t id = 2; id <= 6; id++) {
        assert_int_equal(append(f, st, id, "lobby", 1, "later"), 0);
        uv_run(&f->loop, UV_RUN_NOWAIT);
        uv_sleep(50);
    }
    run_until(f, 6);
    store_stats_t s;
    store_get_stats(st, &s);
    assert_int_equal(s.appended, 6);
    assert_int_equal(s.commits, 2);
    for (uint64_t id = 1; id <= 6; id++)
        assert_int_equal(f->status[id], 0);
    close_store(f, st);
}

/* max_queue: busy while that many appends wait for the writer (here a 300 ms commit), and no
 * longer once they are written; without max_queue never. */
static void test_busy_at_max_queue(void **state)
{
    fixture_t *f = *state;
    store_options_t opt = {.dir = f->dir, .commit_delay_ms = 300, .max_queue = 2};
    store_t *st = NULL;
    assert_int_equal(store_open(&f->loop, &opt, &st), 0);
    assert_false(store_busy(st));
    assert_int_equal(append(f, st, 1, "lobby", 1, "one"), 0);
    assert_false(store_busy(st));
    assert_int_equal(append(f, st, 2, "lobby", 1, "two"), 0);
    assert_true(store_busy(st));
    run_until(f, 2);
    assert_false(store_busy(st));
    assert_int_equal(f->status[1], 0);
    assert_int_equal(f->status[2], 0);
    close_store(f, st);

    opt.max_queue = 0;
    assert_int_equal(store_open(&f->loop, &opt, &st), 0);
    for (uint64_t id = 3; id <= 6; id++)
        assert_int_equal(append(f, st, id, "lobby", 1, "more"), 0);
    assert_false(store_busy(st));
    run_until(f, 6);
    close_store(f, st);
}

static void test_duplicate_id(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 50);
    /* One batch (the writer sleeps before committing): the duplicate fails alone. */
    store_msg_t m = {.id = 1, .room = "lobby", .table = 1, .nick = "n", .text = "a", .text_len = 1};
    seq_n = 0;
    assert_int_equal(store_msg_append(st, &m, on_done_seq, f), 0);
    m.text = "dup";
    m.text_len = 3;
    assert_int_equal(store_msg_append(st, &m, on_done_seq, f), 0);
    m.id = 2;
    m.text = "b";
    m.text_len = 1;
    assert_int_equal(store_msg_append(st, &m, on_done_seq, f), 0);
    while (seq_n < 3)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(seq_status[0], 0);
    assert_int_equal(seq_status[1], STORE_EEXIST);
    assert_int_equal(seq_status[2], 0);
    store_stats_t s;
    store_get_stats(st, &s);
    assert_int_equal(s.appended, 2);
    assert_int_equal(s.failed, 1);
    assert_int_equal(store_last_msg_id(st), 2);
    close_store(f, st);
}

static void test_full(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 16, 0);
    char text[1024];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    for (uint64_t id = 1; id <= 300; id++)
        assert_int_equal(append(f, st, id, "lobby", 1, text), 0);
    run_until(f, 300);
    int ok = 0, full = 0;
    for (int id = 1; id <= 300; id++) {
        if (f->status[id] == 0)
            ok++;
        else if (f->status[id] == STORE_EFULL)
            full++;
    }
    assert_int_equal(ok + full, 300);
    assert_true(ok > 0);
    assert_true(full > 0);
    store_stats_t s;
    store_get_stats(st, &s);
    assert_int_equal(s.appended, (uint64_t)ok);
    assert_int_equal(s.failed, (uint64_t)full);

    /* The writer keeps working: a later failure is reported again, not a hang. */
    assert_int_equal(append(f, st, 301, "lobby", 1, text), 0);
    run_until(f, 301);
    assert_int_equal(f->status[301], STORE_EFULL);
    bool more;
    assert_int_equal(history(f, st, "lobby", 1, 0, 1000, &more), 0);
    assert_int_equal(f->n_ids, ok);
    close_store(f, st);

    /* Without the limit the same database takes more. */
    st = open_store(f, 0, 0);
    int before = f->done_calls;
    assert_int_equal(append(f, st, 400, "lobby", 1, text), 0);
    run_until(f, before + 1);
    assert_int_equal(f->status[400], 0);
    assert_int_equal(history(f, st, "lobby", 1, 0, 1000, &more), 0);
    assert_int_equal(f->n_ids, ok + 1);
    assert_int_equal(store_last_msg_id(st), 400);
    close_store(f, st);
}

static void test_close_drains(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 20);
    for (uint64_t id = 1; id <= 200; id++)
        assert_int_equal(append(f, st, id, "lobby", 1, "drain me"), 0);
    store_close(st); /* callbacks run synchronously in here */
    assert_int_equal(f->done_calls, 200);
    for (int id = 1; id <= 200; id++)
        assert_int_equal(f->status[id], 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);

    st = open_store(f, 0, 0);
    assert_int_equal(store_last_msg_id(st), 200);
    bool more;
    assert_int_equal(history(f, st, "lobby", 1, 0, 1000, &more), 0);
    assert_int_equal(f->n_ids, 200);
    assert_false(more);
    close_store(f, st);
}

static store_t *closer_store;

static void on_done_close(void *ud, uint64_t id, int status)
{
    fixture_t *f = ud;
    on_done(ud, id, status);
    if (id == 1) {
        store_close(closer_store); /* closing from inside a callback is safe */
        assert_int_equal(append(f, closer_store, 99, "lobby", 1, "late"), STORE_ECLOSED);
    }
}

static void test_close_in_callback(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 0);
    closer_store = st;
    store_msg_t m = {.id = 1, .room = "lobby", .table = 1, .nick = "n", .text = "t", .text_len = 1};
    assert_int_equal(store_msg_append(st, &m, on_done_close, f), 0);
    m.id = 2;
    assert_int_equal(store_msg_append(st, &m, on_done, f), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->done_calls, 2);
    assert_int_equal(f->status[2], 0);
}

static void on_done_append(void *ud, uint64_t id, int status)
{
    fixture_t *f = ud;
    on_done(ud, id, status);
    /* store_close() runs this after the store stopped taking appends */
    assert_int_equal(append(f, closer_store, 100 + id, "lobby", 1, "late"), STORE_ECLOSED);
}

static void test_append_after_close(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 50);
    closer_store = st;
    store_msg_t m = {.id = 1, .room = "lobby", .table = 1, .nick = "n", .text = "t", .text_len = 1};
    assert_int_equal(store_msg_append(st, &m, on_done_append, f), 0);
    store_close(st);
    assert_int_equal(f->done_calls, 1);
    assert_int_equal(f->status[1], 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);

    assert_string_equal(store_strerror(STORE_ECLOSED), "store is closing");
    assert_string_equal(store_strerror(STORE_EFULL), "storage full");
    assert_string_equal(store_strerror(STORE_EIO), "storage I/O or database error");
    assert_string_equal(store_strerror(STORE_ENOTFOUND), "not found");
    assert_string_equal(store_strerror(STORE_EEXIST), "already exists");
    assert_string_equal(store_strerror(0), "success");
    assert_string_equal(store_strerror(-1), "unknown store error");
}

/* ---- recordings ---- */

static int rec_append(fixture_t *f, store_t *st, uint64_t rec, uint32_t seq, const char *text)
{
    store_rec_msg_t m = {
        .recording = rec,
        .seq = seq,
        .offset_ms = 100 * seq,
        .ts = 1700000000000 + 100 * seq,
        .broadcast = seq == 2,
        .nick = "hank",
        .colour = "#102030",
        .table = 3,
        .text = text,
        .text_len = strlen(text),
    };
    return store_recording_append(st, &m, on_done, f);
}

static void note_recording(void *ud, const store_recording_t *r)
{
    store_recording_t *out = ud;
    *out = *r; /* numbers only are read afterwards */
    out->room = out->title = out->started_by = NULL;
}

static void collect_rec_msg(void *ud, const store_rec_msg_t *m)
{
    fixture_t *f = ud;
    f->ids[f->n_ids++] = m->seq;
    snprintf(f->last_text, sizeof f->last_text, "%s %s %u %s %" PRId64, m->nick, m->colour,
             (unsigned)m->table, m->broadcast ? "broadcast" : "message", m->offset_ms);
}

static void count_recording(void *ud, const store_recording_t *r)
{
    fixture_t *f = ud;
    snprintf(f->rooms[f->n_rooms++], sizeof f->rooms[0], "%" PRIu64 " %s %s", r->id, r->room,
             r->title);
}

/* A recording's messages wait in the group commit window like any append, but its end and its
 * export (store_recording_msgs) see every message appended before them, at once. */
static void test_recording_barrier(void **state)
{
    fixture_t *f = *state;
    store_options_t opt = {.dir = f->dir, .group_commit_ms = 60000};
    store_t *st = NULL;
    assert_int_equal(store_open(&f->loop, &opt, &st), 0);
    store_recording_t in = {.room = "den",
                            .table = 1,
                            .title = "Talk",
                            .started_by = "hank",
                            .started_ms = 1700000000000};
    uint64_t id;
    assert_int_equal(store_recording_begin(st, &in, &id), 0);
    assert_int_equal(rec_append(f, st, id, 1, "x"), 0);
    run_until(f, 1); /* the first commit starts the 60 s window */
    for (uint32_t i = 2; i <= 4; i++)
        assert_int_equal(rec_append(f, st, id, i, "x"), 0);
    int n = 0;
    assert_int_equal(store_recording_msgs(st, id, 0, 1000, collect_rec_msg, f, &n), 0);
    assert_int_equal(n, 4); /* did not wait a minute: the barrier hurried the writer */
    assert_int_equal(rec_append(f, st, id, 5, "x"), 0);
    assert_int_equal(store_recording_end(st, id, 1700000009000, 5), 0);
    assert_int_equal(store_recording_msgs(st, id, 4, 1000, collect_rec_msg, f, &n), 0);
    assert_int_equal(n, 1);
    run_until(f, 5);
    close_store(f, st);
}

static void test_recordings(void **state)
{
    fixture_t *f = *state;
    store_t *st = open_store(f, 0, 0);
    store_recording_t in = {.room = "den",
                            .table = 3,
                            .title = "Talk",
                            .started_by = "hank",
                            .started_ms = 1700000000000};
    uint64_t a, b;
    assert_int_equal(store_recording_begin(st, &in, &a), 0);
    in.room = "lobby";
    in.title = "";
    assert_int_equal(store_recording_begin(st, &in, &b), 0);
    assert_true(b > a);
    for (uint32_t i = 1; i <= 5; i++)
        assert_int_equal(rec_append(f, st, a, i, "x"), 0);
    assert_int_equal(rec_append(f, st, b, 7, "y"), 0); /* seqs are callback ids here */
    run_until(f, 6);
    for (uint32_t i = 1; i <= 5; i++)
        assert_int_equal(f->status[i], 0);

    store_recording_t r;
    assert_int_equal(store_recording_get(st, a, note_recording, &r), 0);
    assert_int_equal(r.messages, 5); /* counted as they are written */
    assert_int_equal(r.stopped_ms, 0);
    assert_int_equal(r.table, 3);
    assert_int_equal(store_recording_get(st, b + 1, note_recording, &r), STORE_ENOTFOUND);

    /* pages, in order */
    int n = 0;
    assert_int_equal(store_recording_msgs(st, a, 0, 2, collect_rec_msg, f, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(store_recording_msgs(st, a, 2, 1000, collect_rec_msg, f, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(f->n_ids, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(f->ids[i], i + 1);
    assert_string_equal(f->last_text, "hank #102030 3 message 500");
    f->n_ids = 0;
    assert_int_equal(store_recording_msgs(st, a, 1, 1, collect_rec_msg, f, &n), 0);
    assert_string_equal(f->last_text, "hank #102030 3 broadcast 200");

    assert_int_equal(store_recordings_list(st, "den", count_recording, f), 0);
    assert_int_equal(f->n_rooms, 1);
    assert_int_equal(store_recordings_list(st, NULL, count_recording, f), 0);
    assert_int_equal(f->n_rooms, 3);
    assert_true(strstr(f->rooms[2], " lobby ") != NULL);

    assert_int_equal(store_recording_end(st, a, 1700000009000, 5), 0);
    assert_int_equal(store_recording_end(st, b + 7, 1, 0), STORE_ENOTFOUND);
    assert_int_equal(store_recording_get(st, a, note_recording, &r), 0);
    assert_int_equal(r.stopped_ms, 1700000009000);
    close_store(f, st);

    /* b was left running: the next open closes it at its last message */
    st = open_store(f, 0, 0);
    assert_int_equal(store_recording_get(st, b, note_recording, &r), 0);
    assert_int_equal(r.stopped_ms, 1700000000700);
    assert_int_equal(r.messages, 1);
    assert_int_equal(store_recording_get(st, a, note_recording, &r), 0);
    assert_int_equal(r.stopped_ms, 1700000009000); /* a stopped one is left as it was */

    /* deleting takes the messages; a message queued for a deleted recording is dropped */
    assert_int_equal(store_recording_delete(st, a), 0);
    assert_int_equal(store_recording_delete(st, a), STORE_ENOTFOUND);
    f->n_ids = 0;
    assert_int_equal(store_recording_msgs(st, a, 0, 100, collect_rec_msg, f, &n), 0);
    assert_int_equal(n, 0);
    memset(f->called, 0, sizeof f->called);
    f->done_calls = 0;
    assert_int_equal(rec_append(f, st, a, 6, "late"), 0);
    run_until(f, 1);
    assert_int_equal(f->status[6], 0);
    assert_int_equal(store_recording_msgs(st, a, 0, 100, collect_rec_msg, f, &n), 0);
    assert_int_equal(n, 0);
    close_store(f, st);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_bad_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rooms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rooms_moderated_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_at_max_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recording_barrier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_in_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_after_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recordings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
