/* SQLite backend, hosted events: one row per event (schema: migration 6 in sqlite_store.c). Its
 * rooms, access lists and user groups live in their own tables (sqlite_access.c). */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/xmalloc.h"

enum { E_PUT, E_DEL, E_LOAD };

static const sqlite__sql_t evt_sql[SQLITE__N_EVT] = {
    [E_PUT] = {true, "INSERT OR REPLACE INTO events(name, title, opens_ms, closes_ms, "
                     "audience_capacity, moderated, state, hosts, speakers, monitors) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
    [E_DEL] = {true, "DELETE FROM events WHERE name = ?1"},
    [E_LOAD] = {false, "SELECT name, title, opens_ms, closes_ms, audience_capacity, moderated, "
                       "state, hosts, speakers, monitors FROM events ORDER BY name"},
};

int sqlite_events__prepare(store_backend_t *be)
{
    return sqlite__prepare(be, evt_sql, SQLITE__N_EVT, be->evt);
}

void sqlite_events__finalize(store_backend_t *be)
{
    sqlite__finalize(be->evt, SQLITE__N_EVT);
}

static void bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms)
        sqlite3_bind_int64(st, i, ms);
    else
        sqlite3_bind_null(st, i);
}

int sqlite_events__put(store_backend_t *be, const store_event_t *ev)
{
    sqlite3_stmt *st = be->evt[E_PUT];
    uv_mutex_lock(&be->wlock);
    sqlite__bind_str(st, 1, ev->name);
    sqlite__bind_str(st, 2, ev->title);
    bind_ms(st, 3, ev->opens);
    bind_ms(st, 4, ev->closes);
    sqlite3_bind_int(st, 5, ev->audience_capacity);
    sqlite3_bind_int(st, 6, ev->moderated);
    sqlite__bind_str(st, 7, ev->state);
    sqlite__bind_str(st, 8, ev->hosts ? ev->hosts : "");
    sqlite__bind_str(st, 9, ev->speakers ? ev->speakers : "");
    sqlite__bind_str(st, 10, ev->monitors ? ev->monitors : "");
    int err = sqlite__step_done(st, "event put");
    uv_mutex_unlock(&be->wlock);
    return err;
}

int sqlite_events__delete(store_backend_t *be, const char *name)
{
    sqlite3_stmt *st = be->evt[E_DEL];
    uv_mutex_lock(&be->wlock);
    sqlite__bind_str(st, 1, name);
    int err = sqlite__step_done(st, "event delete");
    uv_mutex_unlock(&be->wlock);
    return err;
}

/* One loaded row, its strings owned. */
typedef struct row {
    store_event_t ev;
    char *s[7];
} row_t;

static void row_free(row_t *r)
{
    for (int i = 0; i < 7; i++)
        free(r->s[i]);
}

/* Reads every row before calling back, so the callback may use the store. */
int sqlite_events__load(store_backend_t *be, void (*cb)(void *ud, const store_event_t *ev),
                        void *ud)
{
    sqlite3_stmt *st = be->evt[E_LOAD];
    row_t *rows = NULL;
    size_t n = 0, cap = 0;
    int rc, err = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows = xgrow(rows, &cap, n, 8, sizeof *rows);
        row_t *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        static const int text_cols[7] = {0, 1, 6, 7, 8, 9, -1};
        for (int i = 0; i < 6; i++)
            r->s[i] = sqlite__col_dup(st, text_cols[i]);
        r->ev = (store_event_t){
            .name = r->s[0],
            .title = r->s[1] ? r->s[1] : r->s[0],
            .opens = sqlite3_column_int64(st, 2),
            .closes = sqlite3_column_int64(st, 3),
            .audience_capacity = sqlite3_column_int(st, 4),
            .moderated = sqlite3_column_int(st, 5) != 0,
            .state = r->s[2] ? r->s[2] : "",
            .hosts = r->s[3] ? r->s[3] : "",
            .speakers = r->s[4] ? r->s[4] : "",
            .monitors = r->s[5] ? r->s[5] : "",
        };
    }
    if (rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "events load");
    sqlite3_reset(st);
    for (size_t i = 0; i < n; i++) {
        if (err == 0 && rows[i].ev.name)
            cb(ud, &rows[i].ev);
        row_free(&rows[i]);
    }
    free(rows);
    return err;
}
