/* Private to the SQLite backend: the backend's state and the helpers its files share
 * (sqlite_store.c: connections, rooms and message writes; sqlite_history.c: history reads;
 * sqlite_access.c: folders, access lists, user groups, bans and table topics; sqlite_accounts.c:
 * accounts, tokens, validations, ignore lists and the banned e-mail list). */
#ifndef PARLEY_STORE_SQLITE_SQLITE_INT_H
#define PARLEY_STORE_SQLITE_SQLITE_INT_H

#include <sqlite3.h>
#include <uv.h>

#include "store/store_backend.h"

enum {
    /* writer connection */
    W_BEGIN,
    W_COMMIT,
    W_ROLLBACK,
    W_MSG_INSERT,
    W_ROOM_PUT,
    W_SETTING_PUT,
    W_SETTING_DEL,
    /* read connection */
    R_LAST_ID,
    R_ROOMS,
    R_SETTING_GET,
    N_STMTS,
};

enum {
    A_BEGIN,
    A_COMMIT,
    A_ROLLBACK,
    A_ROOM_DEL,
    A_ROOM_DEL_MSGS,
    A_ROOM_DEL_ACLS,
    A_ROOM_DEL_BANS,
    A_ROOM_DEL_TOPICS,
    A_FOLDER_PUT,
    A_FOLDER_DEL,
    A_FOLDER_DEL_ACL,
    A_FOLDER_REN,
    A_FOLDER_REN_ROOMS,
    A_FOLDER_REN_ACLS,
    A_ACL_DEL,
    A_ACL_INS,
    A_GROUP_PUT,
    A_GROUP_DEL,
    A_GROUP_DEL_MEMBERS,
    A_GROUP_INS_MEMBER,
    A_BAN_PUT,
    A_BAN_DEL,
    A_TOPIC_PUT,
    A_TOPIC_DEL,
    A_ROOM_DEL_STAGE,
    A_STAGE_PUT,
    A_STAGE_DEL,
    R_FOLDERS,
    R_ACLS,
    R_GROUPS,
    R_BANS,
    R_TOPICS,
    R_STAGES,
    N_ACCESS_STMTS,
};

#define SQLITE__N_ACCT 24 /* sqlite_accounts.c's statements (its own enum) */
#define SQLITE__N_REC  10 /* sqlite_record.c's statements (its own enum) */
#define SQLITE__N_EVT  3  /* sqlite_events.c's statements (its own enum) */
#define SQLITE__N_HIST 5  /* sqlite_history.c's statements (its own enum) */

struct store_backend {
    sqlite3 *wdb;      /* writer connection; guarded by wlock */
    sqlite3 *rdb;      /* read connection; loop thread only */
    uv_mutex_t wlock;  /* serialises the writer thread and the loop's writes on wdb */
    bool wlock_inited; /* whether wlock needs destroying */
    sqlite3_stmt *stmt[N_STMTS];
    sqlite3_stmt *acc[N_ACCESS_STMTS];  /* sqlite_access.c */
    sqlite3_stmt *acct[SQLITE__N_ACCT]; /* sqlite_accounts.c */
    sqlite3_stmt *rec[SQLITE__N_REC];   /* sqlite_record.c */
    sqlite3_stmt *evt[SQLITE__N_EVT];   /* sqlite_events.c */
    sqlite3_stmt *hist[SQLITE__N_HIST]; /* sqlite_history.c */
};

/* A statement prepared once at open, on the writer connection or on the read one. */
typedef struct sqlite__sql {
    bool writer;
    const char *sql;
} sqlite__sql_t;
/* Prepares the n statements of defs into out[0..n). */
int sqlite__prepare(store_backend_t *be, const sqlite__sql_t *defs, int n, sqlite3_stmt **out);
/* Finalizes st[0..n) and sets them to NULL. */
void sqlite__finalize(sqlite3_stmt **st, int n);

/* Maps a SQLite result code to a store error and logs it with the connection's message. */
int sqlite__map_err(sqlite3 *db, int rc, const char *what);
/* Runs a statement that returns no rows, expecting SQLITE_DONE; resets it. */
int sqlite__step_done(sqlite3_stmt *st, const char *what);
void sqlite__bind_str(sqlite3_stmt *st, int i, const char *s);
/* A copy of a text column (NULL for NULL). */
char *sqlite__col_dup(sqlite3_stmt *st, int i);
int64_t sqlite__now_ms(void);

/* sqlite_access.c */
int sqlite_access__prepare(store_backend_t *be);
void sqlite_access__finalize(store_backend_t *be);
int sqlite_access__room_delete(store_backend_t *be, const char *name);
int sqlite_access__folder_put(store_backend_t *be, const char *path);
int sqlite_access__folder_delete(store_backend_t *be, const char *path);
int sqlite_access__folder_rename(store_backend_t *be, const char *from, const char *to);
int sqlite_access__folders_load(store_backend_t *be, void (*cb)(void *ud, const char *path),
                                void *ud);
int sqlite_access__acl_put(store_backend_t *be, const store_acl_t *acl);
int sqlite_access__group_put(store_backend_t *be, const store_group_t *group);
int sqlite_access__group_delete(store_backend_t *be, const char *name);
int sqlite_access__ban_put(store_backend_t *be, const store_ban_t *ban);
int sqlite_access__ban_delete(store_backend_t *be, const char *room, uint32_t table,
                              const char *who);
int sqlite_access__table_topic_put(store_backend_t *be, const char *room, uint32_t table,
                                   const char *topic, const char *by, int64_t at);
int sqlite_access__stage_put(store_backend_t *be, const store_stage_t *stage);
int sqlite_access__load(store_backend_t *be, const store_access_cb_t *cb, void *ud);

/* sqlite_events.c */
int sqlite_events__prepare(store_backend_t *be);
void sqlite_events__finalize(store_backend_t *be);
int sqlite_events__put(store_backend_t *be, const store_event_t *ev);
int sqlite_events__delete(store_backend_t *be, const char *name);
int sqlite_events__load(store_backend_t *be, void (*cb)(void *ud, const store_event_t *ev),
                        void *ud);

/* sqlite_history.c: the history reads (store_backend_ops_t's history, history_range, msg_ts) */
int sqlite_history__prepare(store_backend_t *be);
void sqlite_history__finalize(store_backend_t *be);
int sqlite_history__before(store_backend_t *be, const char *room, uint32_t table, uint64_t before,
                           int limit, store_msg_cb cb, void *ud, bool *more);
int sqlite_history__range(store_backend_t *be, const char *room, uint32_t table, bool by_ts,
                          int64_t lo, int64_t hi, bool newest, int limit, store_msg_cb cb, void *ud,
                          int *n);
int sqlite_history__msg_ts(store_backend_t *be, uint64_t id, int64_t *ts);

/* sqlite_accounts.c */
int sqlite_accounts__prepare(store_backend_t *be);
void sqlite_accounts__finalize(store_backend_t *be);
int sqlite_account_add(store_backend_t *be, store_account_t *a);
int sqlite_account_update(store_backend_t *be, const store_account_t *a);
int sqlite_account_get(store_backend_t *be, int by, int64_t key_id, const char *key,
                       store_account_t *out);
int sqlite_account_sysops(store_backend_t *be, int64_t *count);
int sqlite_token_add(store_backend_t *be, const uint8_t *hash, int64_t account, int64_t created,
                     int64_t expires);
int sqlite_token_get(store_backend_t *be, const uint8_t *hash, int64_t *account, int64_t *expires);
int sqlite_token_del(store_backend_t *be, const uint8_t *hash);
int sqlite_tokens_del_account(store_backend_t *be, int64_t account, const uint8_t *keep);
int sqlite_tokens_purge(store_backend_t *be, int64_t now);
int sqlite_validation_put(store_backend_t *be, int64_t account, const uint8_t *hash,
                          const char *code, int64_t expires);
int sqlite_validation_by_hash(store_backend_t *be, const uint8_t *hash, int64_t *account,
                              int64_t *expires);
int sqlite_validation_get(store_backend_t *be, int64_t account, char code[8], int64_t *expires);
int sqlite_validation_del(store_backend_t *be, int64_t account);
int sqlite_ignore_put(store_backend_t *be, int64_t account, const char *fold, const char *nick);
int sqlite_ignore_del(store_backend_t *be, int64_t account, const char *fold);
int sqlite_ignores_load(store_backend_t *be, int64_t account, void (*cb)(void *, const char *),
                        void *ud);
int sqlite_banned_add(store_backend_t *be, const char *pattern);
int sqlite_banned_del(store_backend_t *be, const char *pattern);
int sqlite_banned_has(store_backend_t *be, const char *pattern, bool *out);
int sqlite_banned_load(store_backend_t *be, void (*cb)(void *, const char *), void *ud);

/* sqlite_record.c: prepares its statements and closes the recordings a crash left running. */
int sqlite_record__prepare(store_backend_t *be);
void sqlite_record__finalize(store_backend_t *be);
/* Writer thread, inside write_batch's transaction (wlock held). */
int sqlite_record__insert(store_backend_t *be, const store_rec_msg_t *m);
int sqlite_recording_begin(store_backend_t *be, const store_recording_t *rec, uint64_t *id);
int sqlite_recording_end(store_backend_t *be, uint64_t id, int64_t stopped_ms, uint32_t messages);
int sqlite_recording_get(store_backend_t *be, uint64_t id,
                         void (*cb)(void *ud, const store_recording_t *r), void *ud);
int sqlite_recordings_list(store_backend_t *be, const char *room,
                           void (*cb)(void *ud, const store_recording_t *r), void *ud);
int sqlite_recording_msgs(store_backend_t *be, uint64_t id, uint32_t after, int limit,
                          void (*cb)(void *ud, const store_rec_msg_t *m), void *ud, int *n);
int sqlite_recording_delete(store_backend_t *be, uint64_t id);

#endif
