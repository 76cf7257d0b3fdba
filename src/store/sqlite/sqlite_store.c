/* SQLite backend of the store (see store_backend.h for the contract).
 *
 * Two connections to DIR/parley.db in WAL mode:
 *   - the writer connection: message batches from the writer thread and, under the same lock, the
 *     rare room puts from the loop thread. It carries max_page_count when a size limit is set.
 *   - the read connection (read-only): rooms_load, history and last_msg_id on the loop thread. WAL
 *     lets it read a consistent snapshot while the writer commits.
 * Every statement is prepared once at open and reset after each use, so no read transaction stays
 * open between calls. Errors are logged with sqlite3_errmsg() and mapped to STORE_E* here. */
#include "store/sqlite/sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>
#include <uv.h>

#include "util/log.h"
#include "util/xmalloc.h"

#define DB_FILE         "parley.db"
#define BUSY_TIMEOUT_MS 5000

/* Accounts (sqlite_accounts.c). class: 1 provisional, 2 registered. Tokens and validation links are
 * kept only as their SHA-256. Idempotent, as it runs twice (migrations 2 and 4). */
static const char accounts_schema[] =
    "CREATE TABLE IF NOT EXISTS accounts("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  fold TEXT NOT NULL UNIQUE,"
    "  email TEXT,"
    "  email_fold TEXT UNIQUE,"
    "  pwhash TEXT NOT NULL,"
    "  class INTEGER NOT NULL DEFAULT 1,"
    "  sysop INTEGER NOT NULL DEFAULT 0,"
    "  must_change INTEGER NOT NULL DEFAULT 0,"
    "  colour TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  validated_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tokens("
    "  hash BLOB PRIMARY KEY NOT NULL,"
    "  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS tokens_account ON tokens(account);"
    "CREATE TABLE IF NOT EXISTS validations("
    "  account INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  code TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ignores("
    "  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  fold TEXT NOT NULL,"
    "  nick TEXT NOT NULL,"
    "  PRIMARY KEY(account, fold));"
    "CREATE TABLE IF NOT EXISTS banned(pattern TEXT PRIMARY KEY NOT NULL,"
    "  created_ms INTEGER NOT NULL);";

/* Schema migrations: migrations[i] takes user_version i to i + 1. Append only; never edit one that
 * has shipped. */
static const char *const migrations[] = {
    "CREATE TABLE rooms("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  title TEXT,"
    "  topic TEXT,"
    "  capacity INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE messages("
    "  id INTEGER PRIMARY KEY,"
    "  room TEXT NOT NULL,"
    "  tbl INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  nick TEXT NOT NULL,"
    "  colour TEXT,"
    "  text TEXT NOT NULL);"
    "CREATE INDEX messages_room_tbl_id ON messages(room, tbl, id);"
    "CREATE TABLE settings(key TEXT PRIMARY KEY NOT NULL, value TEXT);",
    "ALTER TABLE rooms ADD COLUMN moderated INTEGER NOT NULL DEFAULT 0;",
    /* 2: accounts (sqlite_accounts.c). */
    accounts_schema,
    /* 3: folders, access lists, user groups, bans, table topics (sqlite_access.c). */
    "ALTER TABLE rooms ADD COLUMN folder TEXT NOT NULL DEFAULT '/';"
    "CREATE TABLE folders(path TEXT PRIMARY KEY NOT NULL);"
    "CREATE TABLE acls("
    "  scope TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  tbl INTEGER NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  who TEXT NOT NULL,"
    "  who_name TEXT NOT NULL,"
    "  rights TEXT NOT NULL,"
    "  PRIMARY KEY(scope, name, tbl, pos));"
    "CREATE TABLE user_groups(name TEXT PRIMARY KEY NOT NULL);"
    "CREATE TABLE user_group_members("
    "  grp TEXT NOT NULL REFERENCES user_groups(name) ON DELETE CASCADE,"
    "  account TEXT NOT NULL,"
    "  PRIMARY KEY(grp, account));"
    "CREATE TABLE bans("
    "  room TEXT NOT NULL,"
    "  tbl INTEGER NOT NULL,"
    "  who TEXT NOT NULL,"
    "  addr TEXT NOT NULL DEFAULT '',"
    "  until_ms INTEGER NOT NULL,"
    "  by_nick TEXT NOT NULL DEFAULT '',"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY(room, tbl, who));"
    "CREATE TABLE table_topics("
    "  room TEXT NOT NULL,"
    "  tbl INTEGER NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  PRIMARY KEY(room, tbl));",
    /* 4: room stages, set by hosts (sqlite_access.c). */
    "CREATE TABLE room_stage("
    "  room TEXT PRIMARY KEY NOT NULL,"
    "  banner TEXT,"
    "  link_url TEXT,"
    "  link_title TEXT,"
    "  link_image INTEGER NOT NULL DEFAULT 0,"
    "  speaking TEXT);",
    /* 5: recordings of tables and their messages (sqlite_record.c). */
    "CREATE TABLE recordings("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  room TEXT NOT NULL,"
    "  tbl INTEGER NOT NULL,"
    "  title TEXT NOT NULL DEFAULT '',"
    "  started_by TEXT NOT NULL DEFAULT '',"
    "  started_ms INTEGER NOT NULL,"
    "  stopped_ms INTEGER,"
    "  messages INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX recordings_room ON recordings(room, id);"
    "CREATE TABLE recording_msgs("
    "  recording INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL,"
    "  offset_ms INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  nick TEXT NOT NULL,"
    "  colour TEXT,"
    "  tbl INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"
    "  PRIMARY KEY(recording, seq)) WITHOUT ROWID;",
    /* 6: hosted events (sqlite_events.c). */
    "CREATE TABLE events("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  title TEXT NOT NULL,"
    "  opens_ms INTEGER,"
    "  closes_ms INTEGER,"
    "  audience_capacity INTEGER NOT NULL,"
    "  moderated INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL,"
    "  hosts TEXT NOT NULL DEFAULT '',"
    "  speakers TEXT NOT NULL DEFAULT '',"
    "  monitors TEXT NOT NULL DEFAULT '');",
    /* 7: SCRAM-SHA-256 credentials of accounts (sqlite_accounts.c); 0 iterations: none yet. */
    "ALTER TABLE accounts ADD COLUMN scram_iterations INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE accounts ADD COLUMN scram_salt BLOB;"
    "ALTER TABLE accounts ADD COLUMN scram_stored_key BLOB;"
    "ALTER TABLE accounts ADD COLUMN scram_server_key BLOB;",
    /* 8: history queries by time (sqlite_history.c). */
    "CREATE INDEX messages_room_tbl_ts ON messages(room, tbl, ts, id);",
    /* 9: who set a table's topic and when (ms; 0: before this migration), for IRC's 333. */
    "ALTER TABLE table_topics ADD COLUMN set_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE table_topics ADD COLUMN set_at INTEGER NOT NULL DEFAULT 0;",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static const sqlite__sql_t stmt_sql[N_STMTS] = {
    [W_BEGIN] = {true, "BEGIN IMMEDIATE"},
    [W_COMMIT] = {true, "COMMIT"},
    [W_ROLLBACK] = {true, "ROLLBACK"},
    [W_MSG_INSERT] = {true, "INSERT INTO messages(id, room, tbl, ts, nick, colour, text) "
                            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
    [W_ROOM_PUT] = {true, "INSERT INTO rooms(name, title, topic, capacity, created_ms, moderated, "
                          "folder) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(name) DO UPDATE "
                          "SET title = excluded.title, topic = excluded.topic, "
                          "capacity = excluded.capacity, moderated = excluded.moderated, "
                          "folder = excluded.folder"},
    [W_SETTING_PUT] = {true, "INSERT INTO settings(key, value) VALUES(?1, ?2) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value"},
    [W_SETTING_DEL] = {true, "DELETE FROM settings WHERE key = ?1"},
    [R_SETTING_GET] = {false, "SELECT value FROM settings WHERE key = ?1"},
    [R_LAST_ID] = {false, "SELECT max(id) FROM messages"},
    [R_ROOMS] = {false, "SELECT name, title, topic, capacity, moderated, folder FROM rooms "
                        "ORDER BY created_ms, name"},
};

/* A copied row, so callbacks run after the statement is reset (and may re-enter the store). */
typedef struct row {
    store_msg_t msg;
    store_room_t room;
    char *s[4];
} row_t;

/* Maps a SQLite result code to a store error and logs it with the connection's message. */
int sqlite__map_err(sqlite3 *db, int rc, const char *what)
{
    log_error("store: %s: %s (%d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    switch (rc & 0xff) {
    case SQLITE_FULL: return STORE_EFULL;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
            return STORE_EEXIST;
        return STORE_EIO;
    default: return STORE_EIO;
    }
}

int sqlite__prepare(store_backend_t *be, const sqlite__sql_t *defs, int n, sqlite3_stmt **out)
{
    for (int i = 0; i < n; i++) {
        sqlite3 *db = defs[i].writer ? be->wdb : be->rdb;
        int rc = sqlite3_prepare_v3(db, defs[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &out[i], NULL);
        if (rc != SQLITE_OK)
            return sqlite__map_err(db, rc, defs[i].sql);
    }
    return 0;
}

void sqlite__finalize(sqlite3_stmt **st, int n)
{
    for (int i = 0; i < n; i++) {
        sqlite3_finalize(st[i]);
        st[i] = NULL;
    }
}

/* Runs a statement that returns no rows, expecting SQLITE_DONE. */
int sqlite__step_done(sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc != SQLITE_DONE)
        err = sqlite__map_err(sqlite3_db_handle(st),
                              sqlite3_extended_errcode(sqlite3_db_handle(st)), what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("store: \"%.60s\": %s (%d)", sql, msg ? msg : sqlite3_errstr(rc), rc);
        sqlite3_free(msg);
        return (rc & 0xff) == SQLITE_FULL ? STORE_EFULL : STORE_EIO;
    }
    return 0;
}

/* Runs a PRAGMA that returns one row and hands back its first column as an integer or copies its
 * text (either out pointer may be NULL). */
static int pragma_query(sqlite3 *db, const char *sql, int64_t *ival, char *sval, size_t slen)
{
    sqlite3_stmt *st = NULL;
    int err = 0;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        err = sqlite__map_err(db, rc, sql);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = sqlite__map_err(db, rc == SQLITE_DONE ? SQLITE_ERROR : sqlite3_extended_errcode(db),
                              sql);
        goto out;
    }
    if (ival)
        *ival = sqlite3_column_int64(st, 0);
    if (sval) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(sval, slen, "%s", t ? (const char *)t : "");
    }
out:
    sqlite3_finalize(st);
    return err;
}

/* mkdir -p with mode 0750 for the components it creates. */
static int make_dirs(const char *dir)
{
    char *p = xstrdup(dir);
    int err = 0;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char saved = *c;
        *c = '\0';
        if (mkdir(p, 0750) < 0 && errno != EEXIST) {
            log_error("store: mkdir %s: %s", p, strerror(errno));
            err = STORE_EIO;
            goto out;
        }
        *c = saved;
        if (saved == '\0')
            break;
    }
    struct stat sb;
    if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        log_error("store: %s is not a directory", dir);
        err = STORE_EIO;
    }
out:
    free(p);
    return err;
}

static int open_conn(const char *path, int flags, sqlite3 **out)
{
    int err = 0;
    int rc = sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = sqlite__map_err(*out, rc, path);
        goto out;
    }
    sqlite3_extended_result_codes(*out, 1);
    rc = sqlite3_busy_timeout(*out, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) {
        err = sqlite__map_err(*out, rc, "busy_timeout");
        goto out;
    }
    err = exec_sql(*out, "PRAGMA foreign_keys = ON");
out:
    return err;
}

/* Brings the schema up to date, one transaction per migration. */
static int migrate(sqlite3 *db)
{
    int64_t version = 0;
    int err = pragma_query(db, "PRAGMA user_version", &version, NULL, 0);
    if (err < 0)
        goto out;
    if (version < 0 || (uint64_t)version > N_MIGRATIONS) {
        log_error("store: schema version %lld is newer than this build knows (%zu)",
                  (long long)version, N_MIGRATIONS);
        err = STORE_EIO;
        goto out;
    }
    for (size_t v = (size_t)version; v < N_MIGRATIONS; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %zu", v + 1);
        err = exec_sql(db, "BEGIN IMMEDIATE");
        if (err < 0)
            goto out;
        err = exec_sql(db, migrations[v]);
        if (err == 0)
            err = exec_sql(db, bump);
        if (err == 0)
            err = exec_sql(db, "COMMIT");
        if (err < 0) {
            if (!sqlite3_get_autocommit(db))
                exec_sql(db, "ROLLBACK");
            goto out;
        }
        log_info("store: schema migrated to version %zu", v + 1);
    }
out:
    return err;
}

static int open_writer(store_backend_t *be, const char *path, int64_t max_pages)
{
    char mode[16];
    int err = open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &be->wdb);
    if (err < 0)
        goto out;
    err = pragma_query(be->wdb, "PRAGMA journal_mode = WAL", NULL, mode, sizeof mode);
    if (err < 0)
        goto out;
    if (strcmp(mode, "wal") != 0) {
        log_error("store: %s: cannot enable WAL (journal_mode is %s)", path, mode);
        err = STORE_EIO;
        goto out;
    }
    /* The sender's ack waits for our commit, so a commit must survive power loss. */
    err = exec_sql(be->wdb, "PRAGMA synchronous = FULL");
    if (err < 0)
        goto out;
    err = migrate(be->wdb);
    if (err < 0)
        goto out;
    if (max_pages > 0) {
        /* Set after migrating, so a tiny test limit cannot break schema creation. */
        char sql[64];
        int64_t got = 0;
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)max_pages);
        err = pragma_query(be->wdb, sql, &got, NULL, 0);
        if (err < 0)
            goto out;
        log_info("store: max_page_count %lld", (long long)got);
    }
out:
    return err;
}

static void sqlite_close(store_backend_t *be)
{
    if (be == NULL)
        return;
    sqlite__finalize(be->stmt, N_STMTS);
    sqlite_access__finalize(be);
    sqlite_accounts__finalize(be);
    sqlite_record__finalize(be);
    sqlite_events__finalize(be);
    sqlite_history__finalize(be);
    /* The reader first: closing the writer, the last connection, checkpoints and removes the WAL.
     */
    if (be->rdb && sqlite3_close(be->rdb) != SQLITE_OK)
        log_error("store: close reader: %s", sqlite3_errmsg(be->rdb));
    if (be->wdb && sqlite3_close(be->wdb) != SQLITE_OK)
        log_error("store: close writer: %s", sqlite3_errmsg(be->wdb));
    if (be->wlock_inited)
        uv_mutex_destroy(&be->wlock);
    free(be);
}

static int sqlite_open(const store_options_t *opt, store_backend_t **out)
{
    store_backend_t *be = xcalloc(1, sizeof *be);
    char *path = NULL;
    int err = 0;

    *out = NULL;
    if (opt == NULL || opt->dir == NULL || opt->dir[0] == '\0') {
        log_error("store: no data directory");
        err = STORE_EIO;
        goto out;
    }
    if (uv_mutex_init(&be->wlock) != 0) {
        err = STORE_EIO;
        goto out;
    }
    be->wlock_inited = true;
    err = make_dirs(opt->dir);
    if (err < 0)
        goto out;
    size_t n = strlen(opt->dir) + sizeof("/" DB_FILE);
    path = xmalloc(n);
    snprintf(path, n, "%s/%s", opt->dir, DB_FILE);

    err = open_writer(be, path, opt->max_pages);
    if (err < 0)
        goto out;
    err = open_conn(path, SQLITE_OPEN_READONLY, &be->rdb);
    if (err < 0)
        goto out;
    err = sqlite__prepare(be, stmt_sql, N_STMTS, be->stmt);
    if (err == 0)
        err = sqlite_access__prepare(be);
    if (err == 0)
        err = sqlite_events__prepare(be);
    if (err == 0)
        err = sqlite_history__prepare(be);
    if (err == 0)
        err = sqlite_accounts__prepare(be);
    if (err == 0)
        err = sqlite_record__prepare(be);
    if (err < 0)
        goto out;
    *out = be;
    be = NULL;
out:
    sqlite_close(be);
    free(path);
    return err;
}

static int sqlite_last_msg_id(store_backend_t *be, uint64_t *out)
{
    sqlite3_stmt *st = be->stmt[R_LAST_ID];
    int err = 0;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "last message id");
        goto out;
    }
    int64_t id = sqlite3_column_int64(st, 0); /* NULL (no messages) reads as 0 */
    *out = id > 0 ? (uint64_t)id : 0;
out:
    sqlite3_reset(st);
    return err;
}

void sqlite__bind_str(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int64_t sqlite__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sqlite_room_put(store_backend_t *be, const store_room_t *room)
{
    sqlite3_stmt *st = be->stmt[W_ROOM_PUT];
    uv_mutex_lock(&be->wlock);
    sqlite__bind_str(st, 1, room->name);
    sqlite__bind_str(st, 2, room->title);
    sqlite__bind_str(st, 3, room->topic);
    sqlite3_bind_int(st, 4, room->capacity);
    sqlite3_bind_int64(st, 5, sqlite__now_ms());
    sqlite3_bind_int(st, 6, room->moderated ? 1 : 0);
    sqlite3_bind_text(st, 7, room->folder ? room->folder : "/", -1, SQLITE_STATIC);
    int err = sqlite__step_done(st, "room put");
    uv_mutex_unlock(&be->wlock);
    return err;
}

char *sqlite__col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xmemdup0(t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

static int sqlite_setting_put(store_backend_t *be, const char *key, const char *value)
{
    sqlite3_stmt *st = be->stmt[value ? W_SETTING_PUT : W_SETTING_DEL];
    uv_mutex_lock(&be->wlock);
    sqlite__bind_str(st, 1, key);
    if (value)
        sqlite__bind_str(st, 2, value);
    int err = sqlite__step_done(st, "setting put");
    uv_mutex_unlock(&be->wlock);
    return err;
}

static int sqlite_setting_get(store_backend_t *be, const char *key, char **value)
{
    sqlite3_stmt *st = be->stmt[R_SETTING_GET];
    int err = 0;
    sqlite__bind_str(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite__col_dup(st, 0);
    else if (rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "setting get");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static void rows_free(row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 4; j++)
            free(rows[i].s[j]);
    free(rows);
}

static int sqlite_rooms_load(store_backend_t *be, store_room_cb cb, void *ud)
{
    sqlite3_stmt *st = be->stmt[R_ROOMS];
    row_t *rows = NULL;
    size_t n = 0, cap = 0;
    int err = 0, rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows = xgrow(rows, &cap, n, 16, sizeof *rows);
        row_t *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->s[0] = sqlite__col_dup(st, 0);
        r->s[1] = sqlite__col_dup(st, 1);
        r->s[2] = sqlite__col_dup(st, 2);
        r->s[3] = sqlite__col_dup(st, 5);
        r->room.folder = r->s[3] ? r->s[3] : "/";
        r->room.name = r->s[0];
        r->room.title = r->s[1];
        r->room.topic = r->s[2];
        r->room.capacity = sqlite3_column_int(st, 3);
        r->room.moderated = sqlite3_column_int(st, 4) != 0;
    }
    if (rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), "rooms load");
    sqlite3_reset(st);
    if (err < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        cb(ud, &rows[i].room);
out:
    rows_free(rows, n);
    return err;
}

static int insert_msg(store_backend_t *be, const store_msg_t *m)
{
    sqlite3_stmt *st = be->stmt[W_MSG_INSERT];
    sqlite3_bind_int64(st, 1, (int64_t)m->id);
    sqlite__bind_str(st, 2, m->room);
    sqlite3_bind_int64(st, 3, (int64_t)m->table);
    sqlite3_bind_int64(st, 4, m->ts);
    sqlite__bind_str(st, 5, m->nick);
    sqlite__bind_str(st, 6, m->colour);
    /* Explicit length: the text carries its own. */
    sqlite3_bind_text64(st, 7, m->text ? m->text : "", m->text ? m->text_len : 0, SQLITE_STATIC,
                        SQLITE_UTF8);
    return sqlite__step_done(st, "message insert");
}

static int sqlite_write_batch(store_backend_t *be, const store__write_t *const *w, size_t n)
{
    uv_mutex_lock(&be->wlock);
    int err = sqlite__step_done(be->stmt[W_BEGIN], "begin");
    if (err < 0)
        goto out;
    for (size_t i = 0; i < n && err == 0; i++)
        err = w[i]->rec ? sqlite_record__insert(be, &w[i]->rmsg) : insert_msg(be, &w[i]->msg);
    if (err == 0)
        err = sqlite__step_done(be->stmt[W_COMMIT], "commit");
    /* SQLite may already have rolled back (e.g. on SQLITE_FULL); finish the job if not. */
    if (err < 0 && !sqlite3_get_autocommit(be->wdb))
        sqlite__step_done(be->stmt[W_ROLLBACK], "rollback");
out:
    uv_mutex_unlock(&be->wlock);
    return err;
}

const store_backend_ops_t sqlite_store_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .last_msg_id = sqlite_last_msg_id,
    .room_put = sqlite_room_put,
    .rooms_load = sqlite_rooms_load,
    .setting_get = sqlite_setting_get,
    .setting_put = sqlite_setting_put,
    .history = sqlite_history__before,
    .history_range = sqlite_history__range,
    .msg_ts = sqlite_history__msg_ts,
    .write_batch = sqlite_write_batch,
    .room_delete = sqlite_access__room_delete,
    .folder_put = sqlite_access__folder_put,
    .folder_delete = sqlite_access__folder_delete,
    .folder_rename = sqlite_access__folder_rename,
    .folders_load = sqlite_access__folders_load,
    .acl_put = sqlite_access__acl_put,
    .group_put = sqlite_access__group_put,
    .group_delete = sqlite_access__group_delete,
    .ban_put = sqlite_access__ban_put,
    .ban_delete = sqlite_access__ban_delete,
    .table_topic_put = sqlite_access__table_topic_put,
    .stage_put = sqlite_access__stage_put,
    .access_load = sqlite_access__load,
    .event_put = sqlite_events__put,
    .event_delete = sqlite_events__delete,
    .events_load = sqlite_events__load,
    .account_add = sqlite_account_add,
    .account_update = sqlite_account_update,
    .account_get = sqlite_account_get,
    .account_sysops = sqlite_account_sysops,
    .token_add = sqlite_token_add,
    .token_get = sqlite_token_get,
    .token_del = sqlite_token_del,
    .tokens_del_account = sqlite_tokens_del_account,
    .tokens_purge = sqlite_tokens_purge,
    .validation_put = sqlite_validation_put,
    .validation_by_hash = sqlite_validation_by_hash,
    .validation_get = sqlite_validation_get,
    .validation_del = sqlite_validation_del,
    .ignore_put = sqlite_ignore_put,
    .ignore_del = sqlite_ignore_del,
    .ignores_load = sqlite_ignores_load,
    .banned_add = sqlite_banned_add,
    .banned_del = sqlite_banned_del,
    .banned_has = sqlite_banned_has,
    .banned_load = sqlite_banned_load,
    .recording_begin = sqlite_recording_begin,
    .recording_end = sqlite_recording_end,
    .recording_get = sqlite_recording_get,
    .recordings_list = sqlite_recordings_list,
    .recording_msgs = sqlite_recording_msgs,
    .recording_delete = sqlite_recording_delete,
};
