/* Private to src/store: the table of operations a database backend provides to store.c. store.c
 * owns everything backend-independent (the writer thread, its queues, the uv_async handle,
 * callbacks, statistics); a backend owns its connections and prepared statements and translates its
 * errors into STORE_E* codes (logging the database's own message).
 *
 * Threads: write_batch() is called only on the writer thread; every other operation on the loop
 * thread. A backend that shares a connection between the two (room_put on the writer's connection)
 * serialises that use with its own lock. Callbacks (rooms_load, history) are invoked after the
 * backend's statement has been reset, so they may call back into the store. */
#ifndef PARLEY_STORE_STORE_BACKEND_H
#define PARLEY_STORE_STORE_BACKEND_H

#include "store/store.h"

typedef struct store_backend store_backend_t;

/* One item of the writer's queue: a chat message (store_msg_append) or a recording's message
 * (store_recording_append). */
typedef struct store__write {
    bool rec;
    store_msg_t msg;      /* !rec */
    store_rec_msg_t rmsg; /* rec */
} store__write_t;

typedef struct store_backend_ops {
    const char *name;
    /* Opens (creating and migrating) the database under opt->dir. */
    int (*open)(const store_options_t *opt, store_backend_t **out);
    /* Finalizes statements and closes connections. NULL is a no-op. */
    void (*close)(store_backend_t *be);

    int (*last_msg_id)(store_backend_t *be, uint64_t *out);
    int (*room_put)(store_backend_t *be, const store_room_t *room);
    int (*rooms_load)(store_backend_t *be, store_room_cb cb, void *ud);
    int (*setting_get)(store_backend_t *be, const char *key, char **value);
    int (*setting_put)(store_backend_t *be, const char *key, const char *value);
    int (*room_delete)(store_backend_t *be, const char *name);
    /* Access control: writes on the writer's connection (under its lock), loads on the reader. */
    int (*folder_put)(store_backend_t *be, const char *path);
    int (*folder_delete)(store_backend_t *be, const char *path);
    int (*folder_rename)(store_backend_t *be, const char *from, const char *to);
    int (*folders_load)(store_backend_t *be, void (*cb)(void *ud, const char *path), void *ud);
    int (*acl_put)(store_backend_t *be, const store_acl_t *acl);
    int (*group_put)(store_backend_t *be, const store_group_t *group);
    int (*group_delete)(store_backend_t *be, const char *name);
    int (*ban_put)(store_backend_t *be, const store_ban_t *ban);
    int (*ban_delete)(store_backend_t *be, const char *room, uint32_t table, const char *who);
    int (*table_topic_put)(store_backend_t *be, const char *room, uint32_t table, const char *topic,
                           const char *by, int64_t at);
    int (*stage_put)(store_backend_t *be, const store_stage_t *stage);
    int (*access_load)(store_backend_t *be, const store_access_cb_t *cb, void *ud);
    /* Hosted events: writes on the writer's connection (under its lock), loads on the reader. */
    int (*event_put)(store_backend_t *be, const store_event_t *ev);
    int (*event_delete)(store_backend_t *be, const char *name);
    int (*events_load)(store_backend_t *be, void (*cb)(void *ud, const store_event_t *ev),
                       void *ud);
    /* limit is already clamped to 1..STORE__HISTORY_MAX; more is never NULL. */
    int (*history)(store_backend_t *be, const char *room, uint32_t table, uint64_t before,
                   int limit, store_msg_cb cb, void *ud, bool *more);
    /* Up to limit (already clamped) messages of (room, table) with lo < key < hi, the key being
     * the id or (by_ts) the ts then the id; taken from the oldest end or (newest) the newest end;
     * handed to cb oldest first; *n (never NULL) how many. */
    int (*history_range)(store_backend_t *be, const char *room, uint32_t table, bool by_ts,
                         int64_t lo, int64_t hi, bool newest, int limit, store_msg_cb cb, void *ud,
                         int *n);
    /* The ts of message id (any room): STORE_ENOTFOUND. */
    int (*msg_ts)(store_backend_t *be, uint64_t id, int64_t *ts);

    /* Writer thread: writes n queued items (chat messages, recordings' messages) in one
     * transaction. All-or-nothing: on failure nothing of the batch is stored and the backend is
     * ready for the next call. */
    int (*write_batch)(store_backend_t *be, const struct store__write *const *w, size_t n);

    /* Recordings: the contract of the store_recording_* calls in store.h (loop thread). */
    int (*recording_begin)(store_backend_t *be, const store_recording_t *rec, uint64_t *id);
    int (*recording_end)(store_backend_t *be, uint64_t id, int64_t stopped_ms, uint32_t messages);
    int (*recording_get)(store_backend_t *be, uint64_t id,
                         void (*cb)(void *ud, const store_recording_t *r), void *ud);
    int (*recordings_list)(store_backend_t *be, const char *room,
                           void (*cb)(void *ud, const store_recording_t *r), void *ud);
    int (*recording_msgs)(store_backend_t *be, uint64_t id, uint32_t after, int limit,
                          void (*cb)(void *ud, const store_rec_msg_t *m), void *ud, int *n);
    int (*recording_delete)(store_backend_t *be, uint64_t id);

    /* Accounts: the contract of the store_account_* etc. calls in store.h (loop thread). */
    int (*account_add)(store_backend_t *be, store_account_t *a);
    int (*account_update)(store_backend_t *be, const store_account_t *a);
    /* by: 0 id (key_id), 1 fold, 2 email_fold (key) */
    int (*account_get)(store_backend_t *be, int by, int64_t key_id, const char *key,
                       store_account_t *out);
    int (*account_sysops)(store_backend_t *be, int64_t *count);
    int (*token_add)(store_backend_t *be, const uint8_t *hash, int64_t account, int64_t created,
                     int64_t expires);
    int (*token_get)(store_backend_t *be, const uint8_t *hash, int64_t *account, int64_t *expires);
    int (*token_del)(store_backend_t *be, const uint8_t *hash);
    int (*tokens_del_account)(store_backend_t *be, int64_t account, const uint8_t *keep);
    int (*tokens_purge)(store_backend_t *be, int64_t now);
    int (*validation_put)(store_backend_t *be, int64_t account, const uint8_t *hash,
                          const char *code, int64_t expires);
    int (*validation_by_hash)(store_backend_t *be, const uint8_t *hash, int64_t *account,
                              int64_t *expires);
    int (*validation_get)(store_backend_t *be, int64_t account, char code[8], int64_t *expires);
    int (*validation_del)(store_backend_t *be, int64_t account);
    int (*ignore_put)(store_backend_t *be, int64_t account, const char *fold, const char *nick);
    int (*ignore_del)(store_backend_t *be, int64_t account, const char *fold);
    int (*ignores_load)(store_backend_t *be, int64_t account, void (*cb)(void *, const char *),
                        void *ud);
    int (*banned_add)(store_backend_t *be, const char *pattern);
    int (*banned_del)(store_backend_t *be, const char *pattern);
    int (*banned_has)(store_backend_t *be, const char *pattern, bool *out);
    int (*banned_load)(store_backend_t *be, void (*cb)(void *, const char *), void *ud);
} store_backend_ops_t;

enum { STORE__BY_ID, STORE__BY_FOLD, STORE__BY_EMAIL };

/* store.c: the backend of an open store, for store_accounts.c. STORE_ECLOSED once closed. */
int store__backend(store_t *st, const store_backend_ops_t **ops, store_backend_t **be);

#define STORE__HISTORY_MAX 1000

extern const store_backend_ops_t sqlite_store_ops;

#endif
