/* SQLite backend, message history reads (schema: migrations 0 and 8 in sqlite_store.c): the paged
 * history of store_history() and the ranges that store_history_query() (store_history.c) is made
 * of. Read connection only; rows are copied before the callbacks run, so callbacks may call back
 * into the store. */
#include <stdint.h>
#include <stdlib.h>

#include "store/sqlite/sqlite_int.h"
#include "util/xmalloc.h"

enum { H_ID_ASC, H_ID_DESC, H_TS_ASC, H_TS_DESC, H_MSG_TS, N_HIST };
_Static_assert(N_HIST <= SQLITE__N_HIST, "sqlite_int.h's statement count");

#define COLS  "SELECT id, ts, nick, colour, text FROM messages WHERE room = ?1 AND tbl = ?2 "
#define BY_ID "AND id > ?3 AND id < ?4 ORDER BY id "
#define BY_TS "AND ts > ?3 AND ts < ?4 ORDER BY ts "

/* Bounds are exclusive; the ts orders break ties by id, so any two messages have one order. */
static const sqlite__sql_t hist_sql[N_HIST] = {
    [H_ID_ASC] = {false, COLS BY_ID "ASC LIMIT ?5"},
    [H_ID_DESC] = {false, COLS BY_ID "DESC LIMIT ?5"},
    [H_TS_ASC] = {false, COLS BY_TS "ASC, id ASC LIMIT ?5"},
    [H_TS_DESC] = {false, COLS BY_TS "DESC, id DESC LIMIT ?5"},
    [H_MSG_TS] = {false, "SELECT ts FROM messages WHERE id = ?1"},
};

int sqlite_history__prepare(store_backend_t *be)
{
    return sqlite__prepare(be, hist_sql, N_HIST, be->hist);
}

void sqlite_history__finalize(store_backend_t *be)
{
    sqlite__finalize(be->hist, N_HIST);
}

/* A copied row. */
typedef struct hrow {
    store_msg_t msg;
    char *s[3];
} hrow_t;

static void hrows_free(hrow_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 3; j++)
            free(rows[i].s[j]);
    free(rows);
}

/* Up to limit rows of (room, table) with lo < key < hi, from the oldest or the newest end, in
 * the statement's order (newest: descending). *rows (hrows_free it) gets them, *n how many. */
static int collect(store_backend_t *be, const char *room, uint32_t table, bool by_ts, int64_t lo,
                   int64_t hi, bool newest, int limit, hrow_t **rows, size_t *n)
{
    sqlite3_stmt *st =
        be->hist[by_ts ? (newest ? H_TS_DESC : H_TS_ASC) : (newest ? H_ID_DESC : H_ID_ASC)];
    hrow_t *r = xcalloc((size_t)limit + 1, sizeof *r);
    size_t k = 0;
    int err = 0, rc;
    sqlite__bind_str(st, 1, room);
    sqlite3_bind_int64(st, 2, (int64_t)table);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    sqlite3_bind_int(st, 5, limit);
    while (k < (size_t)limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        hrow_t *h = &r[k++];
        h->s[0] = sqlite__col_dup(st, 2);
        h->s[1] = sqlite__col_dup(st, 3);
        h->s[2] = sqlite__col_dup(st, 4);
        h->msg.id = (uint64_t)sqlite3_column_int64(st, 0);
        h->msg.ts = sqlite3_column_int64(st, 1);
        h->msg.room = room;
        h->msg.table = table;
        h->msg.nick = h->s[0];
        h->msg.colour = h->s[1];
        h->msg.text = h->s[2] ? h->s[2] : "";
        h->msg.text_len = (size_t)sqlite3_column_bytes(st, 4);
    }
    if (k < (size_t)limit && rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "history");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (err < 0) {
        hrows_free(r, k);
        return err;
    }
    *rows = r;
    *n = k;
    return 0;
}

int sqlite_history__range(store_backend_t *be, const char *room, uint32_t table, bool by_ts,
                          int64_t lo, int64_t hi, bool newest, int limit, store_msg_cb cb, void *ud,
                          int *n)
{
    hrow_t *rows;
    size_t k;
    int err = collect(be, room, table, by_ts, lo, hi, newest, limit, &rows, &k);
    if (err < 0)
        return err;
    for (size_t i = 0; i < k; i++) /* oldest first */
        cb(ud, &rows[newest ? k - 1 - i : i].msg);
    *n = (int)k;
    hrows_free(rows, k);
    return 0;
}

int sqlite_history__before(store_backend_t *be, const char *room, uint32_t table, uint64_t before,
                           int limit, store_msg_cb cb, void *ud, bool *more)
{
    hrow_t *rows;
    size_t k;
    int64_t hi = before == 0 || before > INT64_MAX ? INT64_MAX : (int64_t)before;
    /* one row more than asked tells whether older ones exist */
    int err = collect(be, room, table, false, INT64_MIN, hi, true, limit + 1, &rows, &k);
    if (err < 0)
        return err;
    *more = k > (size_t)limit;
    size_t shown = *more ? (size_t)limit : k;
    for (size_t i = shown; i-- > 0;)
        cb(ud, &rows[i].msg);
    hrows_free(rows, k);
    return 0;
}

int sqlite_history__msg_ts(store_backend_t *be, uint64_t id, int64_t *ts)
{
    sqlite3_stmt *st = be->hist[H_MSG_TS];
    sqlite3_bind_int64(st, 1, id > INT64_MAX ? INT64_MAX : (int64_t)id);
    int rc = sqlite3_step(st), err = 0;
    if (rc == SQLITE_ROW)
        *ts = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        err = STORE_ENOTFOUND;
    else
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "message ts");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}
