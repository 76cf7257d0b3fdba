/* SQLite backend, recordings part: a table's recordings and their messages (schema: migration 5
 * in sqlite_store.c).
 *
 * Begin, end and delete run on the writer connection under wlock; message inserts run on the
 * writer thread inside write_batch's transaction. An insert names its recording and is skipped
 * when the recording is gone (deleted while its messages waited in the queue), so a deleted
 * recording leaves no orphans and fails no batch. Reads copy their rows before calling back. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define REC_COLS "id, room, tbl, title, started_by, started_ms, stopped_ms, messages"

enum {
    W_REC_BEGIN,
    W_REC_END,
    W_REC_DEL,
    W_REC_MSG,
    W_REC_COUNT,
    R_REC_GET,
    R_REC_LIST,
    R_REC_LIST_ALL,
    R_REC_MSGS,
    N_REC,
};
_Static_assert(N_REC <= SQLITE__N_REC, "sqlite_int.h's statement count");

static const sqlite__sql_t rec_sql[N_REC] = {
    [W_REC_BEGIN] = {true, "INSERT INTO recordings(room, tbl, title, started_by, started_ms) "
                           "VALUES(?1, ?2, ?3, ?4, ?5)"},
    [W_REC_END] = {true, "UPDATE recordings SET stopped_ms = ?2, messages = max(messages, ?3) "
                         "WHERE id = ?1"},
    [W_REC_DEL] = {true, "DELETE FROM recordings WHERE id = ?1"},
    [W_REC_MSG] = {true, "INSERT INTO recording_msgs(recording, seq, offset_ms, ts, kind, nick, "
                         "colour, tbl, text) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
                         "WHERE EXISTS(SELECT 1 FROM recordings WHERE id = ?1)"},
    [W_REC_COUNT] = {true, "UPDATE recordings SET messages = max(messages, ?2) WHERE id = ?1"},
    [R_REC_GET] = {false, "SELECT " REC_COLS " FROM recordings WHERE id = ?1"},
    [R_REC_LIST] = {false, "SELECT " REC_COLS " FROM recordings WHERE room = ?1 ORDER BY id"},
    [R_REC_LIST_ALL] = {false, "SELECT " REC_COLS " FROM recordings ORDER BY id"},
    [R_REC_MSGS] = {false, "SELECT seq, offset_ms, ts, kind, nick, colour, tbl, text "
                           "FROM recording_msgs WHERE recording = ?1 AND seq > ?2 "
                           "ORDER BY seq LIMIT ?3"},
};

/* Closes what a crash left running: its end is its last message, or its start. */
static const char recover_sql[] =
    "UPDATE recordings SET "
    "stopped_ms = coalesce((SELECT max(ts) FROM recording_msgs WHERE recording = recordings.id),"
    " started_ms),"
    "messages = (SELECT count(*) FROM recording_msgs WHERE recording = recordings.id) "
    "WHERE stopped_ms IS NULL";

int sqlite_record__prepare(store_backend_t *be)
{
    int err = sqlite__prepare(be, rec_sql, N_REC, be->rec);
    if (err < 0)
        return err;
    /* The store opens before anything can record, so whatever is running now was left so. */
    int rc = sqlite3_exec(be->wdb, recover_sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sqlite__map_err(be->wdb, rc, "closing interrupted recordings");
    int n = sqlite3_changes(be->wdb);
    if (n > 0)
        log_warn("store: closed %d recording%s left running", n, n == 1 ? "" : "s");
    return 0;
}

void sqlite_record__finalize(store_backend_t *be)
{
    sqlite__finalize(be->rec, N_REC);
}

int sqlite_record__insert(store_backend_t *be, const store_rec_msg_t *m)
{
    sqlite3_stmt *st = be->rec[W_REC_MSG];
    sqlite3_bind_int64(st, 1, (int64_t)m->recording);
    sqlite3_bind_int64(st, 2, m->seq);
    sqlite3_bind_int64(st, 3, m->offset_ms);
    sqlite3_bind_int64(st, 4, m->ts);
    sqlite__bind_str(st, 5, m->broadcast ? "broadcast" : "message");
    sqlite__bind_str(st, 6, m->nick ? m->nick : "");
    sqlite__bind_str(st, 7, m->colour);
    sqlite3_bind_int64(st, 8, m->table);
    sqlite3_bind_text64(st, 9, m->text ? m->text : "", m->text ? m->text_len : 0, SQLITE_STATIC,
                        SQLITE_UTF8);
    int err = sqlite__step_done(st, "recording message insert");
    if (err < 0)
        return err;
    st = be->rec[W_REC_COUNT];
    sqlite3_bind_int64(st, 1, (int64_t)m->recording);
    sqlite3_bind_int64(st, 2, m->seq);
    return sqlite__step_done(st, "recording count");
}

int sqlite_recording_begin(store_backend_t *be, const store_recording_t *rec, uint64_t *id)
{
    sqlite3_stmt *st = be->rec[W_REC_BEGIN];
    uv_mutex_lock(&be->wlock);
    sqlite__bind_str(st, 1, rec->room);
    sqlite3_bind_int64(st, 2, rec->table);
    sqlite__bind_str(st, 3, rec->title ? rec->title : "");
    sqlite__bind_str(st, 4, rec->started_by ? rec->started_by : "");
    sqlite3_bind_int64(st, 5, rec->started_ms);
    int err = sqlite__step_done(st, "recording begin");
    if (err == 0)
        *id = (uint64_t)sqlite3_last_insert_rowid(be->wdb);
    uv_mutex_unlock(&be->wlock);
    return err;
}

/* Runs writer statement st (bound with id as ?1) and reports STORE_ENOTFOUND if no row changed. */
static int write_id(store_backend_t *be, sqlite3_stmt *st, const char *what)
{
    int err = sqlite__step_done(st, what);
    if (err == 0 && sqlite3_changes(be->wdb) == 0)
        err = STORE_ENOTFOUND;
    uv_mutex_unlock(&be->wlock);
    return err;
}

int sqlite_recording_end(store_backend_t *be, uint64_t id, int64_t stopped_ms, uint32_t messages)
{
    sqlite3_stmt *st = be->rec[W_REC_END];
    uv_mutex_lock(&be->wlock);
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, stopped_ms);
    sqlite3_bind_int64(st, 3, messages);
    return write_id(be, st, "recording end");
}

int sqlite_recording_delete(store_backend_t *be, uint64_t id)
{
    sqlite3_stmt *st = be->rec[W_REC_DEL];
    uv_mutex_lock(&be->wlock);
    sqlite3_bind_int64(st, 1, (int64_t)id);
    return write_id(be, st, "recording delete"); /* its messages go by ON DELETE CASCADE */
}

typedef struct rec_row {
    store_recording_t r;
    char *room, *title, *by;
} rec_row_t;

/* Runs a recordings query (bound already) and hands each row to cb after the reset. */
static int rec_rows(store_backend_t *be, sqlite3_stmt *st,
                    void (*cb)(void *ud, const store_recording_t *r), void *ud, bool one)
{
    rec_row_t *rows = NULL;
    size_t n = 0, cap = 0;
    int err = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows = xgrow(rows, &cap, n, 16, sizeof *rows);
        rec_row_t *w = &rows[n++];
        w->room = sqlite__col_dup(st, 1);
        w->title = sqlite__col_dup(st, 3);
        w->by = sqlite__col_dup(st, 4);
        w->r = (store_recording_t){
            .id = (uint64_t)sqlite3_column_int64(st, 0),
            .room = w->room ? w->room : "",
            .table = (uint32_t)sqlite3_column_int64(st, 2),
            .title = w->title ? w->title : "",
            .started_by = w->by ? w->by : "",
            .started_ms = sqlite3_column_int64(st, 5),
            .stopped_ms = sqlite3_column_int64(st, 6), /* NULL reads as 0: running */
            .messages = (uint32_t)sqlite3_column_int64(st, 7),
        };
    }
    if (rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "recordings");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (err == 0 && one && n == 0)
        err = STORE_ENOTFOUND;
    for (size_t i = 0; i < n; i++) {
        if (err == 0)
            cb(ud, &rows[i].r);
        free(rows[i].room);
        free(rows[i].title);
        free(rows[i].by);
    }
    free(rows);
    return err;
}

int sqlite_recording_get(store_backend_t *be, uint64_t id,
                         void (*cb)(void *ud, const store_recording_t *r), void *ud)
{
    sqlite3_stmt *st = be->rec[R_REC_GET];
    sqlite3_bind_int64(st, 1, (int64_t)id);
    return rec_rows(be, st, cb, ud, true);
}

int sqlite_recordings_list(store_backend_t *be, const char *room,
                           void (*cb)(void *ud, const store_recording_t *r), void *ud)
{
    sqlite3_stmt *st = be->rec[room ? R_REC_LIST : R_REC_LIST_ALL];
    if (room)
        sqlite__bind_str(st, 1, room);
    return rec_rows(be, st, cb, ud, false);
}

typedef struct msg_row {
    store_rec_msg_t m;
    char *nick, *colour, *text;
} msg_row_t;

int sqlite_recording_msgs(store_backend_t *be, uint64_t id, uint32_t after, int limit,
                          void (*cb)(void *ud, const store_rec_msg_t *m), void *ud, int *n)
{
    sqlite3_stmt *st = be->rec[R_REC_MSGS];
    msg_row_t *rows = xcalloc((size_t)limit, sizeof *rows);
    int err = 0, rc = SQLITE_DONE, k = 0;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, limit);
    while (k < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        msg_row_t *w = &rows[k++];
        const unsigned char *kind = sqlite3_column_text(st, 3);
        w->nick = sqlite__col_dup(st, 4);
        w->colour = sqlite__col_dup(st, 5);
        w->text = sqlite__col_dup(st, 7);
        w->m = (store_rec_msg_t){
            .recording = id,
            .seq = (uint32_t)sqlite3_column_int64(st, 0),
            .offset_ms = sqlite3_column_int64(st, 1),
            .ts = sqlite3_column_int64(st, 2),
            .broadcast = kind && strcmp((const char *)kind, "broadcast") == 0,
            .nick = w->nick ? w->nick : "",
            .colour = w->colour ? w->colour : "",
            .table = (uint32_t)sqlite3_column_int64(st, 6),
            .text = w->text ? w->text : "",
            .text_len = (size_t)sqlite3_column_bytes(st, 7),
        };
    }
    if (k < limit && rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "recording messages");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    for (int i = 0; i < k; i++) {
        if (err == 0)
            cb(ud, &rows[i].m);
        free(rows[i].nick);
        free(rows[i].colour);
        free(rows[i].text);
    }
    free(rows);
    *n = err == 0 ? k : 0;
    return err;
}
