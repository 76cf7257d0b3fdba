/* The storage interface. One store_t owns the database; everything else goes through these calls.
 *
 * Threads: every function here is called on the loop thread. Message appends are queued to a writer
 * thread that commits them in groups; their completion callbacks run later on the loop thread
 * (never from inside store_msg_append()). Reads (rooms, history) are synchronous on the loop thread
 * over a separate read connection; SQLite in WAL mode lets them run while the writer commits.
 *
 * Errors: 0 on success, a negative STORE_E* code on failure. Strings passed in are borrowed for the
 * duration of the call (appends copy what they need). */
#ifndef PARLEY_STORE_STORE_H
#define PARLEY_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

enum {
    STORE_OK = 0,
    STORE_EIO = -2001,     /* I/O or database error */
    STORE_EFULL = -2002,   /* disk or configured size limit full */
    STORE_ECLOSED = -2003, /* the store is closing */
    STORE_ENOTFOUND = -2004,
    STORE_EEXIST = -2005,
    STORE_EINVAL = -2006, /* a malformed query (store_history_query) */
};

typedef struct store store_t;

typedef struct store_options {
    const char *dir;     /* data directory; the database is DIR/parley.db (created, with DIR) */
    int64_t max_pages;   /* 0: unlimited; else PRAGMA max_page_count (emulates a small disk) */
    int commit_delay_ms; /* test hook: writer sleeps this long before each commit; 0 in prod */
    int group_commit_ms; /* a commit starts at least this long after the previous one began, so
                            that a busy store writes more messages per commit; 0: at once */
    int64_t max_queue;   /* appends waiting for the writer at which store_busy() says so; 0: none */
} store_options_t;

typedef struct store_room {
    const char *name;
    const char *title;
    const char *topic;
    int capacity;
    bool moderated;     /* says and pms are checked against the word list */
    const char *folder; /* the folder's path; NULL is "/" */
} store_room_t;

/* Access control (src/core/access.c, folder.c). The store keeps the core's names as text. */
typedef struct store_acl_entry {
    const char *who;   /* "user", "group", "registered", "guests" */
    const char *name;  /* the user or group; "" for the classes */
    const char *right; /* "none" ... "host" */
} store_acl_entry_t;

typedef struct store_acl {
    const char *scope; /* "folder", "room" or "table" */
    const char *name;  /* the folder's path or the room's name */
    uint32_t table;    /* "table": its number; else 0 */
    const store_acl_entry_t *entries;
    size_t n;
} store_acl_t;

typedef struct store_group {
    const char *name;
    const char *const *members;
    size_t n;
} store_group_t;

typedef struct store_ban {
    const char *room;
    uint32_t table; /* 0: the whole room */
    const char *who;
    const char *addr; /* "" or a hash of the address, hex */
    int64_t until;    /* ms since epoch */
    const char *by;
    const char *reason;
} store_ban_t;

/* A room's stage (host commands): what its clients show around the chat. NULL: not set. */
typedef struct store_stage {
    const char *room;
    const char *banner;
    const char *link_url; /* NULL: no link (then link_title and link_image mean nothing) */
    const char *link_title;
    bool link_image;
    const char *speaking;
} store_stage_t;

/* What store_access_load hands back, in this order: every access list, group, ban, table
 * topic and room stage (stage may be NULL: not wanted). Pointers are valid during the callback. */
typedef struct store_access_cb {
    void (*acl)(void *ud, const store_acl_t *acl);
    void (*group)(void *ud, const store_group_t *group);
    void (*ban)(void *ud, const store_ban_t *ban);
    /* by: who set it ("" unknown), at: when (ms since the epoch; 0 unknown) */
    void (*table_topic)(void *ud, const char *room, uint32_t table, const char *topic,
                        const char *by, int64_t at);
    void (*stage)(void *ud, const store_stage_t *stage);
} store_access_cb_t;

typedef struct store_msg {
    uint64_t id;
    int64_t ts; /* ms since epoch */
    const char *room;
    uint32_t table;
    const char *nick;
    const char *colour;
    const char *text;
    size_t text_len;
} store_msg_t;

/* Called on the loop thread once the message is durable (status 0) or failed (STORE_E*). */
typedef void (*store_done_cb)(void *ud, uint64_t msg_id, int status);
typedef void (*store_room_cb)(void *ud, const store_room_t *room);
typedef void (*store_msg_cb)(void *ud, const store_msg_t *msg);

/* Opens (creating and migrating) the store and starts its writer thread. */
int store_open(uv_loop_t *loop, const store_options_t *opt, store_t **out);
/* Commits everything queued, stops the writer, runs pending callbacks, closes. NULL is a no-op.
 * Must be called while the loop can still run close callbacks (it closes its uv_async handle). */
void store_close(store_t *st);

/* The highest message id ever stored (0 if none). */
uint64_t store_last_msg_id(store_t *st);

/* Inserts or updates a room (synchronously, on the writer's connection under its lock). */
int store_room_put(store_t *st, const store_room_t *room);
int store_rooms_load(store_t *st, store_room_cb cb, void *ud);
/* Deletes a room with its stored messages, access lists, bans, table topics and stage. */
int store_room_delete(store_t *st, const char *name);

/* Access control, all synchronous like store_room_put (rare operations). */
int store_folder_put(store_t *st, const char *path);
int store_folder_delete(store_t *st, const char *path); /* and its access list */
/* Renames a folder and everything below it: folders, rooms' folders, folders' access lists. */
int store_folder_rename(store_t *st, const char *from, const char *to);
/* Folder paths in path order (parents first); "/" is not stored. */
int store_folders_load(store_t *st, void (*cb)(void *ud, const char *path), void *ud);
/* Replaces the object's access list; n == 0 deletes it. */
int store_acl_put(store_t *st, const store_acl_t *acl);
/* Creates or replaces a group with its members. */
int store_group_put(store_t *st, const store_group_t *group);
int store_group_delete(store_t *st, const char *name);
/* Inserts or replaces the ban of (room, table, who). */
int store_ban_put(store_t *st, const store_ban_t *ban);
int store_ban_delete(store_t *st, const char *room, uint32_t table, const char *who);
/* Sets a table's topic ("" deletes it), with who set it (NULL or "": unknown) and when (ms since
 * the epoch). */
int store_table_topic_put(store_t *st, const char *room, uint32_t table, const char *topic,
                          const char *by, int64_t at);
/* Replaces a room's stage; one with nothing set (banner, link_url and speaking NULL) is deleted. */
int store_stage_put(store_t *st, const store_stage_t *stage);
int store_access_load(store_t *st, const store_access_cb_t *cb, void *ud);

/* ---- hosted events (sqlite_events.c) ----
 * An event's settings; its rooms, access lists and user groups are stored as such. Synchronous,
 * like store_room_put (rare operations). */
typedef struct store_event {
    const char *name;
    const char *title;
    int64_t opens, closes; /* ms since the epoch; 0: none */
    int audience_capacity;
    bool moderated;
    const char *state; /* "scheduled", "open" or "ended" */
    /* The role lists as account names joined by '\n' (names hold no control characters). */
    const char *hosts, *speakers, *monitors;
} store_event_t;

/* Inserts or replaces the event of that name. */
int store_event_put(store_t *st, const store_event_t *ev);
int store_event_delete(store_t *st, const char *name);
/* Every stored event in name order; pointers are valid during the callback. */
int store_events_load(store_t *st, void (*cb)(void *ud, const store_event_t *ev), void *ud);

/* Server settings: a small key/value table (the chat-group registry lives there). *value gets a
 * copy the caller frees, or NULL when the key is absent. */
int store_setting_get(store_t *st, const char *key, char **value);
/* value NULL deletes the key. Synchronous, like store_room_put. */
int store_setting_put(store_t *st, const char *key, const char *value);

/* Whether max_queue appends (store_options_t) wait for the writer: the disk is slower than the
 * messages come, and a new one should be refused rather than queued without bound. */
bool store_busy(store_t *st);

/* Queues a message for the writer thread. The message is copied. cb may be NULL. */
int store_msg_append(store_t *st, const store_msg_t *msg, store_done_cb cb, void *ud);

/* Messages of (room, table) with id < before (before == 0: no bound), newest `limit` of them,
 * handed to cb oldest first. *more (may be NULL) says whether older ones exist. */
int store_history(store_t *st, const char *room, uint32_t table, uint64_t before, int limit,
                  store_msg_cb cb, void *ud, bool *more);

/* ---- history queries (store_history.c) ----
 * The selectors of IRCv3 draft/chathistory over the stored messages of one table. A reference is
 * a message id (ids grow with time across the whole store, so an id of another table still
 * marks a point in time) or a timestamp (ms since the epoch). Bounds are exclusive unless said
 * otherwise; by timestamp, messages of the same ms are ordered by id. Whatever the selector,
 * messages are handed to cb oldest first. */
#define STORE_HISTORY_QUERY_MAX 1000 /* the largest limit; larger ones are clamped */

typedef enum store_hq_kind {
    STORE_HQ_BEFORE,  /* the `limit` newest messages before ref */
    STORE_HQ_AFTER,   /* the `limit` oldest messages after ref */
    STORE_HQ_LATEST,  /* the `limit` newest messages after ref (ref NONE: "*", any) */
    STORE_HQ_AROUND,  /* half the limit before ref, half from ref on (ref itself included); a
                       * side with fewer messages leaves its share to the other */
    STORE_HQ_BETWEEN, /* messages strictly between ref and end: from ref's side (the oldest
                       * after ref when ref < end, else the newest before ref) */
} store_hq_kind_t;

typedef enum store_hq_by { STORE_HQ_NONE = 0, STORE_HQ_ID, STORE_HQ_TS } store_hq_by_t;

typedef struct store_hq_ref {
    store_hq_by_t by;
    uint64_t id; /* STORE_HQ_ID */
    int64_t ts;  /* STORE_HQ_TS */
} store_hq_ref_t;

typedef struct store_hist_q {
    store_hq_kind_t kind;
    store_hq_ref_t ref; /* required but for LATEST */
    store_hq_ref_t end; /* BETWEEN only; by id and by ts may be mixed (an id then counts by the
                         * message's ts: STORE_ENOTFOUND if no such message is stored) */
    int limit;          /* 1..STORE_HISTORY_QUERY_MAX (0 or less: STORE_EINVAL) */
} store_hist_q_t;

/* Runs q on (room, table): cb per message, *n (may be NULL) how many. STORE_EINVAL for a
 * malformed query (a missing reference, a bad kind or limit), STORE_ENOTFOUND (above). */
int store_history_query(store_t *st, const char *room, uint32_t table, const store_hist_q_t *q,
                        store_msg_cb cb, void *ud, int *n);

/* ---- recordings (sqlite_record.c) ----
 * A recording of one table: its row, and its messages in order. Begin, end, get, list, read and
 * delete are synchronous (rare host actions; writes on the writer's connection under its lock);
 * message appends go through the writer thread like store_msg_append. A recording left running
 * (stopped_ms unset) by a crash is closed when the store next opens: stopped_ms becomes its last
 * message's ts (or started_ms), messages the number of its stored messages. */
typedef struct store_recording {
    uint64_t id;
    const char *room; /* the room's name, kept as text (the room may be gone) */
    uint32_t table;
    const char *title;      /* "" for none */
    const char *started_by; /* a nick */
    int64_t started_ms;     /* ms since epoch */
    int64_t stopped_ms;     /* 0: still running */
    uint32_t messages;
} store_recording_t;

typedef struct store_rec_msg {
    uint64_t recording;
    uint32_t seq;      /* 1, 2, ... within the recording */
    int64_t offset_ms; /* since the recording's start, on a monotonic clock */
    int64_t ts;        /* ms since epoch */
    bool broadcast;    /* a host's broadcast, else a say */
    const char *nick;
    const char *colour;
    uint32_t table;
    const char *text;
    size_t text_len;
} store_rec_msg_t;

/* Inserts rec (its id, stopped_ms and messages are ignored) and sets *id. */
int store_recording_begin(store_t *st, const store_recording_t *rec, uint64_t *id);
/* Sets stopped_ms and raises messages to at least `messages`. STORE_ENOTFOUND. */
int store_recording_end(store_t *st, uint64_t id, int64_t stopped_ms, uint32_t messages);
/* Queues a message of a recording for the writer thread (copied). A message of a recording that
 * is gone by the time it is written is dropped without error. cb (may be NULL) gets m->seq as its
 * msg_id. */
int store_recording_append(store_t *st, const store_rec_msg_t *m, store_done_cb cb, void *ud);
/* The recording id, handed to cb (pointers valid during the call). STORE_ENOTFOUND. */
int store_recording_get(store_t *st, uint64_t id, void (*cb)(void *ud, const store_recording_t *r),
                        void *ud);
/* The recordings of room (NULL: all), oldest first. */
int store_recordings_list(store_t *st, const char *room,
                          void (*cb)(void *ud, const store_recording_t *r), void *ud);
/* Messages of recording id with seq > after, at most limit (1..STORE_REC_PAGE) of them, in
 * order. *n (may be NULL) gets how many were handed to cb. */
#define STORE_REC_PAGE 1000
int store_recording_msgs(store_t *st, uint64_t id, uint32_t after, int limit,
                         void (*cb)(void *ud, const store_rec_msg_t *m), void *ud, int *n);
/* Deletes a recording with its messages. STORE_ENOTFOUND. */
int store_recording_delete(store_t *st, uint64_t id);

/* Counters for /metrics. */
typedef struct store_stats {
    uint64_t appended; /* messages durably written */
    uint64_t failed;   /* messages whose write failed */
    uint64_t commits;  /* transactions committed */
    uint64_t queued;   /* waiting for the writer now */
} store_stats_t;
void store_get_stats(store_t *st, store_stats_t *out);

const char *store_strerror(int err);

/* ---- accounts (store_accounts.c) ----
 * Rare operations, done synchronously on the loop thread: writes on the writer's connection under
 * its lock, reads on the read connection. Times are ms since the epoch. */

#define STORE_HASH_LEN 32 /* a token or validation link, stored only as its SHA-256 */

/* An account's SCRAM-SHA-256 credentials (RFC 5802/7677; src/auth/scram.h derives them): what a
 * server needs to check a SCRAM proof without knowing the password. Plain bytes, no heap. */
#define STORE_SCRAM_KEY_LEN  32 /* SHA-256 */
#define STORE_SCRAM_SALT_MAX 32
typedef struct store_scram {
    uint32_t iterations; /* 0: none stored (the account has not logged in since they were added) */
    uint8_t salt[STORE_SCRAM_SALT_MAX];
    size_t salt_len;
    uint8_t stored_key[STORE_SCRAM_KEY_LEN];
    uint8_t server_key[STORE_SCRAM_KEY_LEN];
} store_scram_t;

typedef struct store_account {
    int64_t id;
    /* Owned (free with store_account_deinit) when filled by a get; borrowed when passed in. */
    char *name;       /* as registered */
    char *fold;       /* NFKC + casefold of name: unique */
    char *email;      /* NULL: none (a sysop made on the command line) */
    char *email_fold; /* lower-case email: unique */
    char *pwhash;     /* "$argon2id$..." */
    char *colour;     /* "#rrggbb" or NULL */
    int cls;          /* 1 provisional, 2 registered (core_class_t's values) */
    bool sysop;
    bool must_change; /* the password is a one-time one and must be changed */
    int64_t created_ms;
    int64_t validated_ms; /* 0: never */
    store_scram_t scram;  /* written with the rest (set iterations to 0 when pwhash changes) */
} store_account_t;

void store_account_deinit(store_account_t *a);

/* Inserts a (its id is ignored) and sets a->id. STORE_EEXIST if fold or email_fold is taken. */
int store_account_add(store_t *st, store_account_t *a);
/* Rewrites every field of account a->id but fold and created_ms. STORE_ENOTFOUND. */
int store_account_update(store_t *st, const store_account_t *a);
/* Fill *out (deinit it afterwards) or STORE_ENOTFOUND. */
int store_account_by_id(store_t *st, int64_t id, store_account_t *out);
int store_account_by_fold(store_t *st, const char *fold, store_account_t *out);
int store_account_by_email(store_t *st, const char *email_fold, store_account_t *out);
/* How many sysop accounts exist. */
int store_account_sysops(store_t *st, int64_t *count);

/* Session tokens, by the SHA-256 of the token. */
int store_token_add(store_t *st, const uint8_t hash[STORE_HASH_LEN], int64_t account,
                    int64_t created_ms, int64_t expires_ms);
/* STORE_ENOTFOUND for an unknown token (an expired one is found: the caller decides). */
int store_token_get(store_t *st, const uint8_t hash[STORE_HASH_LEN], int64_t *account,
                    int64_t *expires_ms);
int store_token_del(store_t *st, const uint8_t hash[STORE_HASH_LEN]);
/* Deletes the account's tokens except keep (NULL: all). */
int store_tokens_del_account(store_t *st, int64_t account, const uint8_t *keep);
/* Deletes the tokens and validations expired before now_ms. */
int store_tokens_purge(store_t *st, int64_t now_ms);

/* The pending e-mail validation of an account (one at a time; put replaces). code: 6 digits. */
int store_validation_put(store_t *st, int64_t account, const uint8_t hash[STORE_HASH_LEN],
                         const char *code, int64_t expires_ms);
int store_validation_by_hash(store_t *st, const uint8_t hash[STORE_HASH_LEN], int64_t *account,
                             int64_t *expires_ms);
int store_validation_get(store_t *st, int64_t account, char code[8], int64_t *expires_ms);
int store_validation_del(store_t *st, int64_t account);

/* An account's ignore list: nicks by folded form. */
int store_ignore_put(store_t *st, int64_t account, const char *fold, const char *nick);
int store_ignore_del(store_t *st, int64_t account, const char *fold);
int store_ignores_load(store_t *st, int64_t account, void (*cb)(void *ud, const char *nick),
                       void *ud);

/* Banned e-mail addresses and domains (lower case). add: STORE_EEXIST; del: STORE_ENOTFOUND. */
int store_banned_add(store_t *st, const char *pattern);
int store_banned_del(store_t *st, const char *pattern);
int store_banned_has(store_t *st, const char *pattern, bool *out);
int store_banned_load(store_t *st, void (*cb)(void *ud, const char *pattern), void *ud);

#endif
