/* The core's private structures, shared by core.c, room.c, session.c and nick.c. Nothing outside
 * src/core (except the core's own unit tests) includes this.
 *
 * Object graph: the core owns rooms (hash by name plus a name-sorted list); a room owns its tables
 * (a list in number order); a table owns its history ring. A session is linked to each table it
 * sits at by one struct member, which sits in both the table's list (arrival order) and the
 * session's list, so either side can unlink it in O(1).
 *
 * Fan-out: every event of a table is published on the bus under the table's topic "ROOM/N"; the
 * table's bus subscriber (table_deliver in room.c) hands it to each session at the table. Who must
 * not get an event is handled by ordering (an entrant is linked after its member_entered is
 * published, a leaver unlinked before its member_left), except for colour (the changer is skipped
 * by nick) and private (only the two named nicks get it); these rules only use event fields, so
 * they would hold for a networked bus too.
 *
 * A say is delivered before it is handed to the store: a store that fails (at once or later) leaves
 * a message that was seen but is not stored and, per PROTOCOL.md, not in history. */
#ifndef PARLEY_CORE_CORE_INT_H
#define PARLEY_CORE_CORE_INT_H

#include <uthash.h>

#include "bus/bus.h"
#include "core/core.h"
#include "util/list.h"

#define CORE_DEFAULT_CAPACITY 32
#define CORE_DEFAULT_HISTORY  50
#define CORE_DEFAULT_MAX_TEXT 4000
#define CORE_MAX_CAPACITY     10000

struct core {
    core_config_t cfg;
    store_t *store; /* borrowed, may be NULL */
    bus_t *bus;     /* borrowed */

    room_t *rooms;        /* uthash by name */
    list_t rooms_by_name; /* room.link, sorted by name */

    session_t *nicks; /* uthash (hh_nick) by folded nick; ready sessions only */
    unsigned nsessions;
    uint64_t next_msg_id;
    uint32_t next_rename;      /* EV_NICK's serial */
    core_presence_fn presence; /* core_set_presence_hook; NULL: none */
    void *presence_ud;

    list_t pending; /* struct say_pending.link: says waiting for the store */
    core_stats_t stats;

    room_t *privates;     /* uthash (hh) by name: private rooms, in neither rooms nor the list */
    list_t invites;       /* struct invite.link, oldest first */
    uint64_t next_invite; /* last invitation id given */
    uint64_t next_private;

    folder_t *folders;      /* uthash (hh) by path; the root "/" always there */
    list_t folders_by_path; /* folder.link, sorted by path */
    folder_t *root;
    struct ugroup *groups; /* uthash (hh) by name */

    /* recording and playback (record.c) */
    list_t playbacks;     /* struct playback.link */
    unsigned nrecordings; /* running, over all rooms */
    unsigned nplaybacks;
    struct event *events;   /* uthash (hh) by name (event.c) */
    list_t events_by_name;  /* event.link */
    int64_t watch_sessions; /* sessions watching a room now (tests, metrics) */
};

/* An access list: entries in the order given (access.c). */
struct acl_entry {
    uint8_t who;   /* core_who_t */
    uint8_t right; /* core_right_t */
    char *name;    /* CORE_WHO_USER, CORE_WHO_GROUP */
    char *fold;    /* CORE_WHO_USER: the name as account names compare (access__account_fold) */
};
struct acl {
    size_t n;
    struct acl_entry e[];
};

struct folder {
    core_t *core;
    char *path;
    folder_t *parent; /* NULL for the root */
    struct acl *acl;  /* NULL: inherits */
    unsigned nfolders;
    list_t rooms;      /* room.in_folder, sorted by name */
    list_t link;       /* core.folders_by_path */
    UT_hash_handle hh; /* core.folders */
};

/* What a room keeps about one table number, whether the table is open or not (access.c). */
struct tconf {
    uint32_t number;
    char *topic;      /* NULL: none */
    char *topic_by;   /* who set it: a nick (NULL: unknown, the admin API) */
    int64_t topic_at; /* when (ms since the epoch; 0: unknown) */
    struct acl *acl;  /* NULL: inherits the room's */
    list_t link;      /* room.tconfs, in number order */
};

/* A ban from a room (table 0) or one of its tables (access.c). */
struct ban {
    uint32_t table;
    char *who;     /* "account:NAME" or "nick:FOLD" */
    uint64_t addr; /* hash of the guest's address; 0: none */
    int64_t until; /* core__now_ms() clock */
    char *by;
    char *reason;
    list_t link; /* room.bans */
};

struct ugroup {
    char *name;
    char **members; /* sorted (strcmp), no duplicates */
    size_t n;
    char **folds; /* the members as account names compare, sorted (strcmp), for lookups */
    size_t nfolds;
    UT_hash_handle hh; /* core.groups */
};

struct room {
    core_t *core;
    char *name;
    char *title;
    char *topic;
    int capacity;
    bool moderated;
    bool priv;     /* a private room (private.c): in core.privates, not in core.rooms */
    list_t tables; /* table.link, in number order; table 1 first and always there */
    unsigned ntables;
    unsigned nusers;     /* members + lurkers over all tables */
    list_t link;         /* in core.rooms_by_name */
    UT_hash_handle hh;   /* core.rooms, or core.privates for a private room */
    folder_t *folder;    /* NULL for a private room */
    list_t in_folder;    /* folder.rooms */
    struct acl *acl;     /* NULL: inherits the folder's */
    list_t tconfs;       /* struct tconf.link */
    list_t bans;         /* struct ban.link */
    rate_t rate;         /* says at all its tables (status counters) */
    core_stage_t stage;  /* stage.c; strings owned, NULL when unset */
    list_t recordings;   /* struct recording.link: running ones, by table number (record.c) */
    struct event *event; /* the hosted event it belongs to (event.c), or NULL */
    list_t watchers;     /* struct watch.in_room: sessions watching every table (event.c) */
};

/* One history entry: the event plus the strings it points at, in one allocation. */
typedef struct hist_msg {
    core_event_t
        ev; /* ev.room points at the room's name; nick, colour, from_fold, text into data */
    char data[];
} hist_msg_t;

struct table {
    room_t *room;
    uint32_t number;
    int64_t opened; /* ms since the epoch */
    char *name;     /* "Lobby" or "Lobby #2" */
    char *topic;    /* bus topic "lobby/2" */
    bus_sub_t *sub;
    list_t people; /* member.in_table, arrival order, members and lurkers */
    /* people's sessions in one array (nusers of them unless stale), for fan-out: a walk of the
     * list is a chain of cache misses that cannot be prefetched; rebuilt by the first delivery
     * after people changed */
    session_t **fan;
    unsigned fancap;
    bool fan_stale;
    unsigned nusers;
    unsigned nlurkers;
    hist_msg_t **hist;  /* ring of cfg.history_on_entry slots */
    unsigned hist_head; /* index of the oldest */
    unsigned hist_len;
    rate_t rate;           /* its says (status counters) */
    list_t link;           /* in room.tables */
    struct playback *play; /* record.c; NULL: none */
};

struct member {
    session_t *session;
    table_t *table;
    bool lurk;
    bool asked_lurk;   /* lurking by choice, not (only) for a read-only right */
    uint8_t right;     /* core_right_t at the table, as last evaluated (access__reeval_*) */
    list_t in_table;   /* table.people */
    list_t in_session; /* session.members */
};

struct session {
    core_t *core;
    const session_ops_t *ops;
    void *ctx;
    /* Nicks this session ignores (ignore.c); NULL when none, so an idle session pays a pointer.
     * Beside ops and ctx: a fan-out reads the three from one cache line. */
    struct ignore_set *ignores;
    bool ready;
    char *nick; /* as given; one allocation with fold */
    char *fold; /* NFKC + casefold, the uniqueness key */
    char colour[8];
    uint8_t cls; /* core_class_t */
    bool sysop;
    uint64_t addr;          /* hash of the client's address (guest bans); 0: unknown */
    char *account;          /* NULL: a guest */
    char *account_fold;     /* account as account names compare (access__account_fold) */
    list_t members;         /* member.in_session */
    list_t says;            /* say_pending.in_session: says waiting for the store */
    UT_hash_handle hh_nick; /* core.nicks by fold */
    list_t watches;         /* struct watch.in_session: rooms it watches (event.c) */
};

/* A session watching a room (core_watch): linked into both, like a member. */
struct watch {
    session_t *session;
    room_t *room;
    list_t in_room;    /* room.watchers */
    list_t in_session; /* session.watches */
};

/* An invitation to a private room (private.c). from and to are live: an invite dies with either
 * session. */
struct invite {
    uint64_t id;
    int64_t expires; /* core__now_ms() clock */
    session_t *from;
    session_t *to;
    /* Either of them wrote under moderation where the invitation was made: the private room is
     * moderated, so an invitation is no way around the word list. */
    bool moderated;
    list_t link; /* core.invites */
};

/* A say waiting for its store callback. c is NULL once the core is gone, s once the session is. */
struct say_pending {
    core_t *c;
    session_t *s;
    uint32_t table;
    list_t link;       /* core.pending */
    list_t in_session; /* session.says */
    char room[];
};

/* core.c */
int64_t core__now_ms(void);
/* The core's monotonic clock (cfg.clock_ms) in ms, for the message rates. */
int64_t core__clock_ms(const core_t *c);
/* The wall clock of event schedules (cfg.wall_ms, else core__now_ms). */
int64_t core__wall_ms(const core_t *c);
uint64_t core__next_msg_id(core_t *c);
/* cfg.timers: a handle, or NULL (no timers lent, or start failed). stop(NULL) is a no-op. */
void *core__timer_start(core_t *c, uint64_t ms, void (*fn)(void *arg), void *arg);
void core__timer_stop(core_t *c, void *timer);
/* 0, CORE_ETEXTEMPTY or CORE_ETEXTLONG. */
int core__check_text(const core_t *c, const char *text, size_t len);
/* A one-line text for hosts' settings (stage, recording titles): at most max bytes, no C0 control
 * characters and no DEL (UTF-8 beyond that is the text's own business). */
bool core__plain_text(const char *s, size_t max);

/* room.c */
/* Stores r's settings (if the core has a store): 0 or CORE_ESTORE. */
int room__store(room_t *r);
room_t *room__new(core_t *c, const room_spec_t *spec);
void room__free(room_t *r);
/* A room with its table 1 but registered nowhere (private rooms); room__destroy frees it. */
room_t *room__alloc(core_t *c, const room_spec_t *spec);
void room__destroy(room_t *r);
void room__update(room_t *r, const room_spec_t *spec);
/* The table s is placed at on entering: the lowest-numbered one with room where s has more than
 * none; opens an overflow table (the lowest free number s may use) when there is none. */
table_t *room__pick_table(room_t *r, const session_t *s);
/* Closes t if it is an empty overflow table. */
void room__maybe_close(table_t *t);
/* Hands ev to everyone at t (through the bus). The caller releases ev's encodings afterwards, so
 * one event published to two tables (a hop) is encoded once. */
void room__publish(table_t *t, core_event_t *ev);
void room__history_add(table_t *t, const core_event_t *ev);
void room__history_drop(table_t *t, uint64_t msg_id);

/* session.c */
/* Seats s at t (a member, not lurking) without any event: the caller announces it. */
void session__seat(session_t *s, table_t *t);
struct member *session__member(const session_t *s, const room_t *r);
/* Takes m out of its room (freeing m), tells the table-mates (member_left with reason, or the
 * lurker count) and closes an emptied overflow table. */
void session__drop(struct member *m, const char *reason);
/* The same for an ejection: the EV_MEMBER_LEFT names the host (by) and the reason given (text,
 * NULL: none). */
void session__drop_by(struct member *m, const char *reason, const char *by, const char *text);
/* Takes m (in a public room) out without telling anyone: everyone at its table is leaving too (a
 * hosted event's end), so the table-mates need no member_left. */
void session__drop_quiet(struct member *m);
/* Turns m into a lurker (member_left with reason and the lurker count to the table) or back into
 * a member (the lurker count and member_entered). */
void session__set_lurk(struct member *m, bool lurk, const char *reason);
/* Tells m's table that m's right there (m->right) changed between host and not
 * (EV_MEMBER_RIGHTS, IRC's MODE +o/-o). */
void session__publish_rights(struct member *m);
/* Hands ev to s alone and releases its encodings. */
void session__send(session_t *s, core_event_t *ev);
/* Says text at t of r as s (rights already checked): fans it out, stores it (say_done reports
 * durability) and keeps it in t's history; asked_by may be NULL (core_say's tail, core_forward).
 * 0 or CORE_ESTORE. */
int session__post(session_t *s, room_t *r, table_t *t, const char *text, size_t len,
                  const char *asked_by, uint64_t *msg_id, int64_t *ts);

/* access.c */
core_right_t access__right(const session_t *s, const room_t *r, uint32_t table);
/* Re-evaluates the right of everyone in r / of s everywhere / of everyone, applying changes at
 * once: none -> out of the room, read-only -> lurker, read-only up -> member again; each whose
 * right changed gets EV_RIGHTS. */
void access__reeval_room(room_t *r);
void access__reeval_session(session_t *s);
/* Publishes a copy of tmpl (room and table filled in) to every table where s is a member, not
 * lurking: what its table-mates may hear of it (EV_COLOUR, EV_NICK). */
void session__publish_visible(session_t *s, const core_event_t *tmpl);
void access__reeval_all(core_t *c);
/* The room's conf of table number (created if create), or NULL. */
struct tconf *access__tconf(room_t *r, uint32_t number, bool create);
/* Sets tc's topic ("" or NULL: none), its setter (NULL or "": unknown) and time. */
void access__tconf_topic(struct tconf *tc, const char *topic, const char *by, int64_t at);
void access__acl_free(struct acl *a);
/* An account name as account names compare (NFKC + case folding, like nicknames: "Zoë", "ZOË"
 * and "zoë" are one account); a malloc'd copy of the name itself if it cannot be folded. */
char *access__account_fold(const char *account);
/* Frees r's access lists, table confs and bans (room__destroy). */
void access__room_clear(room_t *r);
/* Adds (or replaces) a ban on r and stores it. */
int access__ban_add(room_t *r, uint32_t table, const char *who, uint64_t addr, int64_t until,
                    const char *by, const char *reason);
/* Loads access lists, groups, bans and table topics from the store (after the rooms). */
int access__load(core_t *c);
void access__free_all(core_t *c);

/* stage.c: frees r's stage; store_access_cb_t's stage callback (ud: the core). */
void stage__clear(room_t *r);
struct store_stage;
void stage__load(void *ud, const struct store_stage *sg);

/* record.c */
/* A running recording of (room, table number). */
struct recording {
    core_rec_info_t info; /* info.title, info.started_by owned */
    room_t *room;
    uint32_t table;
    int64_t started_mono; /* core__clock_ms() at the start */
    list_t link;          /* room.recordings */
};
/* Records ev (a say or a broadcast just published at table number `table` of r) if a recording
 * runs there. */
void record__add(room_t *r, uint32_t table, const core_event_t *ev);
/* t is closing: its playback ends (no event: nobody is left). */
void record__table_closing(table_t *t);
/* r is being deleted (core_room_delete): its recordings stop (stored) and playbacks end. */
void record__room_deleted(room_t *r);
/* core_free: frees every recording and playback without storing anything (the store may be
 * closed by then). */
void record__free_all(core_t *c);
/* event.c */
/* Whether s may enter r (a room of an event) with a plain enter: 0, CORE_EEVENTNOTOPEN or
 * CORE_EEVENTENDED (the audience only; the other roles may come in to prepare or look). */
int event__may_enter(const session_t *s, const room_t *r);
/* Hands ev (an event of table t) to the watchers of t's room who do not sit at t. */
void event__watchers_deliver(table_t *t, core_event_t *ev);
/* Drops s's watches without telling it (its session is being freed). */
void event__session_gone(session_t *s);
/* Drops r's watchers (each gets EV_UNWATCHED reason) before r goes or they lose the right. With
 * recheck, only those whose right fell below host. */
void event__watchers_drop(room_t *r, const char *reason, bool recheck);
/* Loads the stored events (core_rooms_load, after rooms and access lists). */
int event__load(core_t *c);
/* Frees every event and stops their timers (core_free, before the rooms). */
void event__free_all(core_t *c);

/* ugroup.c: whether s's account (an account_fold, as access__account_fold gives it) is in user
 * group `name`; whether a is a valid account name (1 to 64 bytes of UTF-8 without control
 * characters); installing a group without storing it (loading); freeing them all (core_free). */
bool access__in_group(const core_t *c, const char *name, const session_t *s);
bool access__group_has(const core_t *c, const char *name, const char *account_fold);
bool access__valid_account(const char *a);
void access__group_put(core_t *c, const char *name, const char *const *accounts, size_t n);
void access__groups_free(core_t *c);

/* folder.c */
/* Creates the root folder (core_new). */
void folder__init(core_t *c);
void folder__free_all(core_t *c);
/* Loads the folders from the store (before the rooms). */
int folder__load(core_t *c);
/* Puts r (in no folder) into f. */
void folder__attach(room_t *r, folder_t *f);
void folder__detach(room_t *r);
/* Whether f is folder `anc` or inside it. */
bool folder__within(const folder_t *f, const folder_t *anc);

/* ignore.c */
/* Whether set (may be NULL) holds fold (may be NULL: never). */
bool ignore__has(const struct ignore_set *set, const char *fold);
void ignore__free(struct ignore_set *set);

/* private.c */
/* Drops the invitations from or to s (its session is being freed). */
void private__session_gone(session_t *s);
/* Frees r (a private room) if nobody is left in it. */
void private__maybe_free(room_t *r);
/* Frees every invitation and private room (core_free). */
void private__free_all(core_t *c);

/* nick.c */
/* Returns the NFKC-casefolded form (free() it) or NULL for invalid UTF-8. */
char *nick__fold(const char *nick);
/* The ready session whose nickname compares equal to nick (folded), or NULL. nick may be NULL. */
session_t *nick__find(core_t *c, const char *nick);
/* Tells the presence hook (if any) that s's nick came online or went offline. */
void nick__presence(core_t *c, const session_t *s, bool online);
void nick__default_colour(const char *fold, char out[8]);

#endif
