/* The chat core: rooms, tables, members and the events between them. It knows nothing of sockets,
 * HTTP or JSON. Protocol adapters create one session per client and receive events through the
 * session_ops_t they pass in; they call the core_* commands on the loop thread.
 *
 * Errors: commands return 0 or a negative CORE_E* code; core_err_code() names it with the
 * protocol's error-code string (docs/PROTOCOL.md, "Error codes").
 *
 * Lifetimes: rooms and tables are owned by the core. A table pointer stays valid until the table
 * closes (an overflow table closes when its last person leaves); don't keep one across commands.
 * Strings returned by getters are owned by the object and valid while it lives. */
#ifndef PARLEY_CORE_CORE_H
#define PARLEY_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rate.h"
#include "core/wordlist.h"
#include "util/rbuf.h"

typedef struct core core_t;
typedef struct room room_t;
typedef struct table table_t;
typedef struct session session_t;
typedef struct store store_t;
typedef struct bus bus_t;

enum {
    CORE_OK = 0,
    CORE_EBADREQ = -1000, /* bad_request */
    CORE_EHELLOFIRST,     /* hello_first */
    CORE_EALREADYHELLO,   /* already_hello */
    CORE_ENICKINVALID,    /* nick_invalid */
    CORE_ENICKRESERVED,   /* nick_reserved */
    CORE_ENICKTAKEN,      /* nick_taken */
    CORE_EBADCOLOUR,      /* bad_colour */
    CORE_ENOROOM,         /* no_such_room */
    CORE_EINROOM,         /* already_in_room */
    CORE_ENOTINROOM,      /* not_in_room */
    CORE_ENOTABLE,        /* no_such_table */
    CORE_EATTABLE,        /* already_at_table */
    CORE_ETABLEFULL,      /* table_full */
    CORE_EREADONLY,       /* read_only */
    CORE_ENOUSER,         /* no_such_user */
    CORE_ETEXTEMPTY,      /* text_empty */
    CORE_ETEXTLONG,       /* text_too_long */
    CORE_ESTORE,          /* store_failed */
    CORE_EROOMNAME,       /* bad_request: invalid room name (REST) */
    CORE_EROOMEXISTS,     /* room_exists */
    CORE_ECAPACITY,       /* bad_request: capacity out of range */
    CORE_EMODERATED,      /* moderated: the text holds a listed word (the adapter words it) */
    CORE_EINTERNAL,       /* internal */
    CORE_ETOOMANYIGNORES, /* too_many_ignores */
    CORE_ENOINVITE,       /* no_such_invite */
    CORE_EFORBIDDEN,      /* forbidden: the right needed (host) is missing */
    CORE_ENOFOLDER,       /* no_such_folder */
    CORE_EFOLDEREXISTS,   /* folder_exists */
    CORE_EFOLDERNAME,     /* bad_request: invalid folder path */
    CORE_ENOTEMPTY,       /* not_empty: a folder with rooms or folders, a room with people */
    CORE_ENOGROUP,        /* no_such_user_group */
    CORE_ENOBAN,          /* no_such_ban */
    CORE_EBADACL,         /* bad_request: an invalid access-list entry or group */
    CORE_ESTAGEURL,       /* bad_request: a stage link that is no plain http(s) URL */
    CORE_ESTAGETEXT,      /* bad_request: a stage text too long or holding control characters */
    /* recording and playback (record.c) */
    CORE_EALREADYREC,   /* already_recording */
    CORE_ENOTREC,       /* not_recording */
    CORE_EALREADYPLAY,  /* already_playing */
    CORE_ENOTPLAY,      /* not_playing */
    CORE_ENOREC,        /* no_such_recording */
    CORE_ERECEMPTY,     /* recording_empty: nothing to play */
    CORE_ERECTITLE,     /* bad_request: a title too long or holding control characters */
    CORE_EPLAYSPEED,    /* bad_request: a speed out of range */
    CORE_ETOOMANYPLAY,  /* too_many_playbacks: CORE_PLAY_MAX run already */
    CORE_ENOEVENT,      /* no_such_event */
    CORE_EEVENTEXISTS,  /* event_exists */
    CORE_EEVENTNOTOPEN, /* event_not_open: the event has not opened yet */
    CORE_EEVENTENDED,   /* event_ended */
    CORE_ENOMESSAGE,    /* no_such_message: not in the table's in-memory history */
    CORE_EEVENTSPEC,    /* bad_request: an invalid event name, title, schedule or capacity */
    CORE_ESTOREBUSY,    /* store_busy: the store's queue is full (a slow disk); try again */
};

/* Protocol error-code string ("no_such_room") and an English message for a CORE_E* code. */
const char *core_err_code(int err);
const char *core_err_message(int err);

/* Access rights, ordered (access.c; docs/ARCHITECTURE.md, "Access"). */
typedef enum core_right {
    CORE_RIGHT_NONE = 0,    /* the object is invisible */
    CORE_RIGHT_READ_ONLY,   /* a lurker: counted, not listed, cannot write */
    CORE_RIGHT_MODERATED,   /* writes pass the moderated word list */
    CORE_RIGHT_PARTICIPANT, /* read and write */
    CORE_RIGHT_HOST,        /* read, write, eject, broadcast, edit */
} core_right_t;

/* "none", "read_only", "moderated", "participant", "host". */
const char *core_right_name(core_right_t r);
/* 0 or CORE_EBADACL. */
int core_right_parse(const char *name, core_right_t *out);

/* One-shot timers for the core's scheduled work (playback, event schedules). The core has no loop
 * of its own: the embedding program lends it one (src/util/timer.c wraps libuv's), tests a fake. */
typedef struct core_timers {
    /* Calls fn(arg) once, ms from now, on the loop thread (never from inside start). Returns a
     * handle for stop, or NULL when no timer could be started. */
    void *(*start)(void *ud, uint64_t ms, void (*fn)(void *arg), void *arg);
    /* Cancels a timer that has not fired: fn is never called. A handle is gone once fn ran. */
    void (*stop)(void *ud, void *timer);
    void *ud;
} core_timers_t;

typedef struct core_config {
    int default_capacity; /* table capacity of rooms that don't set one (default 32) */
    int history_on_entry; /* messages replayed on enter/hop (default 50) */
    size_t max_text;      /* longest say/pm text in bytes (default 4000) */
    /* Words refused in moderated rooms (borrowed; must outlive the core). NULL: none. */
    const wordlist_t *words;
    /* The right of a class where no folder, room or table in the chain has an access list. With
     * access_defaults false (a zeroed config) both are CORE_RIGHT_PARTICIPANT. */
    bool access_defaults;
    core_right_t registered_default; /* registered accounts */
    core_right_t guests_default;     /* guests and provisional accounts */
    /* A monotonic clock in ms for the message rates (the loop's: uv_now); NULL: CLOCK_MONOTONIC.
     * Tests inject their own. */
    int64_t (*clock_ms)(void *ud);
    void *clock_ud;
    /* The loop's timers. Without them (start NULL) the core's scheduled features refuse to start
     * (CORE_EINTERNAL). */
    core_timers_t timers;
    /* A wall clock in ms since the epoch for event schedules (ud: clock_ud); NULL: CLOCK_REALTIME.
     * Tests inject their own. */
    int64_t (*wall_ms)(void *ud);
} core_config_t;

typedef enum core_event_type {
    EV_MESSAGE,        /* room, table, msg_id, ts, nick, colour, text */
    EV_PRIVATE,        /* room, table, msg_id, ts, nick (from), to_nick, colour, text */
    EV_MEMBER_ENTERED, /* room, table, nick, colour */
    EV_MEMBER_LEFT,    /* room, table, nick, reason ("left" | "disconnected" | "access" |
                          "ejected"); "ejected": to_nick the host, text the reason given (NULL:
                          none) */
    EV_MEMBER_HOPPED,  /* room, nick, colour, table (from), to_table */
    EV_LURKERS,        /* room, table, count */
    EV_COLOUR,         /* room, table, nick, colour */
    /* Sent to one session directly, not through a table: */
    EV_INVITED,         /* invite, nick (from), colour, room */
    EV_INVITE_ACCEPTED, /* invite, at (the private table; its room is table_room(at)) */
    EV_INVITE_DECLINED, /* invite, nick (by) */
    EV_RIGHTS,          /* room, table, right: the session's right changed (NONE: it is out) */
    EV_EJECTED,         /* room, table (0: the room), nick (by), reason, ts (ban end; 0: none) */
    /* Through the tables again: */
    EV_BROADCAST,     /* room, table, ts, nick (the host), colour, text */
    EV_ROOM_UPDATED,  /* room, in (the room, read its settings) */
    EV_TABLE_UPDATED, /* room, table, text (the table's topic), nick (the host; NULL: admin) */
    EV_STAGE,         /* room, in (the room, read room_stage()), nick (the host) */
    /* recording and playback (record.c), to the table concerned: */
    EV_RECORDING, /* room, table, recording, reason ("started" | "stopped"), nick (by; NULL: the
                     server), text (the title) */
    EV_PLAYBACK,  /* room, table, recording, reason ("started" | "stopped" | "finished"), nick
                     (by; NULL: the server), loop, speed */
    /* Hosted events (event.c), sent to each person concerned once, not through a table: */
    EV_EVENT_STATE, /* room (the event's name), text (state: "open" | "ended"), reason */
    EV_UNWATCHED,   /* room, reason: the session no longer watches the room */
    /* Through every table where the renamed session is a member (not lurking), to it too: */
    EV_NICK, /* room, table, nick (old), to_nick (new), colour, count (the rename's serial: one
                rename reaches a client once per shared table; adapters that announce it once per
                client, as IRC does, compare the serial) */
    /* Through the table, to its members: */
    EV_MEMBER_RIGHTS, /* room, table, nick, right: a member (not a lurker) became a host there or
                         stopped being one (IRC's MODE +o/-o; the JSON protocol has no event for
                         it: a client sees its own change as EV_RIGHTS) */
} core_event_type_t;

#define CORE_EVENT_SLOTS 11

/* One event, built by the core and handed to every recipient. Recipients must not change the
 * fields; they may fill enc[slot] (their wire format's slot) with the encoded form on first use so
 * that the event is encoded once per wire format, not once per recipient. The core drops those
 * references after the fan-out; a recipient that queues the encoding takes its own reference. */
typedef struct core_event {
    core_event_type_t type;
    const char *room;
    uint32_t table;
    uint32_t to_table;
    uint64_t msg_id;
    int64_t ts;
    const char *nick;
    const char *from_fold; /* EV_MESSAGE, EV_PRIVATE: the sender's folded nick (ignore lists) */
    /* EV_MESSAGE, EV_PRIVATE: the sender's session when it lives in this process (a pointer
     * compare tells a recipient it is the sender); NULL otherwise: compare nick. */
    const session_t *origin;
    /* EV_MESSAGE, EV_PRIVATE, EV_MEMBER_ENTERED, EV_MEMBER_HOPPED: the account nick is logged in
     * as (NULL: a guest, or a stored or played message) - IRC's account-tag and extended-join */
    const char *account;
    const char *colour;
    const char *to_nick;
    const char *text;
    size_t text_len;
    const char *reason;
    uint32_t count;
    uint64_t invite;    /* EV_INVITE_*: the invitation's id */
    const table_t *at;  /* EV_INVITE_ACCEPTED */
    const room_t *in;   /* EV_ROOM_UPDATED, EV_STAGE */
    core_right_t right; /* EV_RIGHTS */
    /* Recording and playback (record.c). EV_MESSAGE: recording != 0 marks a played message (the
     * recording it comes from, its round and the time it was first said). */
    uint64_t recording;
    uint32_t round;
    int64_t original_ts;
    bool loop;    /* EV_PLAYBACK */
    double speed; /* EV_PLAYBACK */
    /* EV_MESSAGE: a question forwarded by a host or monitor (core_forward): whose it was; NULL on
     * ordinary messages. */
    const char *asked_by;
    /* EV_MEMBER_HOPPED: the same hop goes to both tables (both), and this copy is the second, for
     * the destination (echo): watchers of the room, who get every table's events, take one. */
    bool both, echo;
    rbuf_t *enc[CORE_EVENT_SLOTS];
} core_event_t;

/* Encoding-cache slots, one per wire format. IRC has three variants of each line: plain, with the
 * server-time tag, and with every tag (message-tags); over a WebSocket each variant is also
 * cached as its frames, text (text.ircv3.net) or binary (binary.ircv3.net). */
enum {
    CORE_SLOT_JSON_WS = 0,
    CORE_SLOT_JSON_LINE = 1,
    CORE_SLOT_IRC = 2,
    CORE_SLOT_IRC_TIME = 3,
    CORE_SLOT_IRC_TAGS = 4,
    CORE_SLOT_IRC_WS = 5,  /* 5..7: the three variants as WebSocket text frames */
    CORE_SLOT_IRC_WSB = 8, /* 8..10: as binary frames */
};

/* Drops an event's cached encodings (sets the slots to NULL). */
void core_event_release(core_event_t *ev);

/* How the core reaches a session's protocol adapter. ctx is the adapter's pointer from
 * core_session_new(). Neither callback may call back into the core. */
typedef struct session_ops {
    /* Queue ev for this client. */
    void (*deliver)(void *ctx, core_event_t *ev);
    /* The say that produced msg_id is durable (status 0) or could not be stored (CORE_ESTORE). */
    void (*say_done)(void *ctx, uint64_t msg_id, int status);
    /* Optional: a fan-out is about to deliver to this client; prefetch what deliver() touches
     * beyond ctx itself (its connection), so that the misses of many recipients overlap. */
    void (*warm)(void *ctx);
} session_ops_t;

/* ---- the core ---- */

/* store may be NULL (nothing is stored; say_done then reports success at once, from inside
 * core_say). bus is the fan-out bus events travel through. Both are borrowed. */
core_t *core_new(const core_config_t *cfg, store_t *store, bus_t *bus);
/* Frees all rooms; every session must have been freed before. NULL is a no-op. */
void core_free(core_t *c);
/* Replaces the moderation word list (borrowed, as in core_config_t; NULL: none). The old list may
 * be freed once this returns: the core keeps no other reference to it. */
void core_set_words(core_t *c, const wordlist_t *words);
/* Replaces the rights of registered accounts and of guests where no access list applies
 * (core_config_t's defaults); everyone inside is re-evaluated at once. */
void core_set_defaults(core_t *c, core_right_t registered, core_right_t guests);

typedef struct core_stats {
    uint64_t rooms;
    uint64_t tables;
    uint64_t sessions;    /* sessions that said hello */
    uint64_t messages_in; /* says and pms accepted */
    uint64_t deliveries;  /* events handed to sessions */
    uint64_t moderated;   /* says and pms refused by the word list */
    uint64_t ejections;   /* people ejected by hosts */
    uint64_t bans;        /* ejections that came with a ban */
    uint64_t broadcasts;  /* host broadcasts */
    uint64_t recordings;  /* recordings running now */
    uint64_t playbacks;   /* playbacks running now */
} core_stats_t;
void core_get_stats(const core_t *c, core_stats_t *out);

/* ---- rooms ---- */

typedef struct room_spec {
    const char *name;   /* [a-z0-9][a-z0-9_-]{0,31} */
    const char *folder; /* NULL: "/" for a new room, unchanged for a replaced one */
    const char *title;  /* NULL: the name */
    const char *topic;  /* NULL: "" */
    int capacity;       /* 0: the default; else 1..10000 */
    bool moderated;     /* says and pms holding a listed word are refused (CORE_EMODERATED) */
} room_spec_t;

/* Creates a room and stores it (if the core has a store). CORE_EROOMEXISTS if it exists.
 * With replace true, an existing room gets the new title, topic, capacity and moderated flag
 * instead. */
int core_room_create(core_t *c, const room_spec_t *spec, bool replace, room_t **out);
/* Loads the rooms kept in the store (and table 1's recent history of each). */
int core_rooms_load(core_t *c);
/* Public rooms only: private rooms (below) are invisible here. */
room_t *core_room_find(core_t *c, const char *name);
/* A public room, or else a private room s is in (NULL otherwise). */
room_t *core_room_find_for(const session_t *s, const char *name);
/* Calls fn for each room in name order. */
void core_rooms_foreach(core_t *c, void (*fn)(void *ud, room_t *r), void *ud);

const char *room_name(const room_t *r);
const char *room_title(const room_t *r);
const char *room_topic(const room_t *r);
int room_capacity(const room_t *r);
bool room_moderated(const room_t *r);
bool room_private(const room_t *r);
const char *room_folder(const room_t *r); /* the folder's path, "/" for the root */
unsigned room_table_count(const room_t *r);
unsigned room_user_count(const room_t *r); /* members + lurkers, all tables */
/* Says accepted in r (all its tables, closed overflow tables included) in the last minute (rate.h:
 * the last 50 to 60 s), by the core's clock. */
unsigned room_messages_per_minute(const room_t *r);
/* Tables in number order: first, then next until NULL. */
table_t *room_table_first(const room_t *r);
table_t *room_table_next(const table_t *t);
table_t *room_table_find(const room_t *r, uint32_t number);

uint32_t table_number(const table_t *t);
int64_t table_opened(const table_t *t);   /* when the table opened (ms since the epoch) */
const char *table_name(const table_t *t); /* "Lobby", "Lobby #2" */
const room_t *table_room(const table_t *t);
unsigned table_users(const table_t *t); /* members + lurkers */
unsigned table_lurkers(const table_t *t);
unsigned table_messages_per_minute(const table_t *t); /* as room_messages_per_minute */
const char *table_topic(const table_t *t); /* set by a host or the admin API; "" by default */
/* Who set the topic (a host's nick; "": the admin API, or unknown) and when (ms since the epoch;
 * 0: no topic, or set before this was kept): IRC's RPL_TOPICWHOTIME. */
const char *table_topic_by(const table_t *t);
int64_t table_topic_at(const table_t *t);
/* Whether a live ban keeps s out of r (table 0) or out of table `table` of r (a ban of the whole
 * room counts too): for adapters that say why an entry failed (IRC's 474). */
bool core_banned(const session_t *s, const room_t *r, uint32_t table);
/* Non-lurking members in arrival order. */
void table_members_foreach(const table_t *t,
                           void (*fn)(void *ud, const char *nick, const char *colour), void *ud);
/* The same with each member's right at the table as last evaluated (hosts are channel operators
 * on IRC). */
void table_members_rights_foreach(const table_t *t,
                                  void (*fn)(void *ud, const char *nick, core_right_t right),
                                  void *ud);
/* Recent EV_MESSAGE events of the table, oldest first, at most history_on_entry. */
void table_history_foreach(const table_t *t, void (*fn)(void *ud, const core_event_t *ev),
                           void *ud);
/* As table_history_foreach, but as session s sees it: skips messages from nicks s ignores
 * (the history replayed on enter, hop and accept). */
void core_table_history_for(const session_t *s, const table_t *t,
                            void (*fn)(void *ud, const core_event_t *ev), void *ud);

/* ---- sessions ---- */

session_t *core_session_new(core_t *c, const session_ops_t *ops, void *ctx);
/* Leaves every room (table-mates see member_left "disconnected"), releases the nickname and frees
 * the session. Pending say_done callbacks for it are dropped. NULL is a no-op. */
void core_session_free(session_t *s);

/* ---- identity ----
 * Who a session is, for access checks (the rights themselves are decided by access.c). A session
 * starts as a guest; an adapter that authenticated an account (auth/) says so with
 * core_session_identify(), before or after hello. After hello the change applies at once: the
 * session's rights are re-evaluated everywhere it is (a provisional account validated while
 * inside, a sysop flag granted). */
typedef enum core_class {
    CORE_CLASS_GUEST = 0,   /* no account */
    CORE_CLASS_PROVISIONAL, /* an account whose e-mail is not validated yet: guest rights */
    CORE_CLASS_REGISTERED,  /* a validated account */
} core_class_t;

typedef struct core_identity {
    const char *account; /* the account name (copied); NULL for a guest */
    core_class_t cls;    /* CORE_CLASS_GUEST iff account is NULL */
    bool sysop;          /* the group's sysop: host rights everywhere, the admin API */
} core_identity_t;

/* CORE_EBADREQ for an inconsistent identity (an account without a class, a guest sysop). */
int core_session_identify(session_t *s, const core_identity_t *id);
/* NULL for a guest. */
const char *core_session_account(const session_t *s);
core_class_t core_session_class(const session_t *s);
bool core_session_sysop(const session_t *s);

/* The client's network address (an IP address as text, no port), for guest bans: a guest ejected
 * with a ban stays out under a new nickname. Only a 64-bit hash of it is kept. Set it once, when
 * the client connects (a change after hello re-evaluates the session's rights). */
void core_session_set_address(session_t *s, const char *address);

/* A reserved nick is refused (CORE_ENICKRESERVED) unless the session is identified as the account
 * of that name (the bootstrap sysop account is called "sysop"). */
int core_hello(session_t *s, const char *nick, const char *colour /* NULL: from the nick */);
bool core_session_ready(const session_t *s); /* hello done */
/* The nick as held by the session that said hello with it (compared folded, as core_hello
 * does: "BOB" finds "Bob"), or NULL when nobody holds it. Valid while that session lives. */
const char *core_nick_held(core_t *c, const char *nick);
/* A room where core_pm(s, room, to, ...) can reach `to` (both at one table, `to` not lurking): the
 * first of s's rooms in entry order. CORE_ENOUSER (nobody has that nick), CORE_ENOTINROOM (no
 * table shared). For adapters whose private messages name no room (IRC). */
int core_pm_room(const session_t *s, const char *to, room_t **out);
const char *core_session_nick(const session_t *s);
/* Presence: called when a nick comes online (hello, the new nick of a rename) or goes offline
 * (the session freed, the old nick of a rename), with the nick as held and its folded form
 * (core_nick_fold). One hook per core (NULL: none); it may not call back into the core but
 * read-only accessors. For adapters that watch nicks (IRC MONITOR, WHOWAS). */
typedef void (*core_presence_fn)(void *ud, const char *nick, const char *fold, bool online);
void core_set_presence_hook(core_t *c, core_presence_fn fn, void *ud);
/* A nick's folded form, as uniqueness is decided (NFKC + case folding); the caller frees it.
 * NULL for invalid UTF-8. */
char *core_nick_fold(const char *nick);
/* Renames a session after hello, with hello's rules (core_check_nick; a reserved nick only for
 * the account of that name; unique when folded, though a change of case of one's own nick is
 * allowed). Every table where s is a member (not lurking) gets EV_NICK; rights are re-evaluated
 * (guest access lists name nicks). The old nick string (core_session_nick) is freed: adapters
 * that key on it re-key around the call. Renaming to the very same nick is a no-op success.
 * CORE_EHELLOFIRST, CORE_ENICKINVALID, CORE_ENICKRESERVED, CORE_ENICKTAKEN, and CORE_EFORBIDDEN
 * for an account's session (an account's nick is its name). */
int core_session_rename(session_t *s, const char *nick);
const char *core_session_colour(const session_t *s);
int core_set_colour(session_t *s, const char *colour);

/* The table the session is at in room r, or NULL. */
table_t *core_session_table(const session_t *s, const room_t *r);
bool core_session_lurking(const session_t *s, const room_t *r);

int core_enter(session_t *s, room_t *r, bool lurk, table_t **out);
int core_hop(session_t *s, room_t *r, uint32_t number, table_t **out);
int core_leave(session_t *s, room_t *r);
/* Fans the message out at once (the sender gets it too) and queues it for the store; say_done
 * reports durability later. *msg_id and *ts receive the message's id and time. In a moderated
 * room a text holding a listed word is refused with CORE_EMODERATED: nobody gets it, nothing is
 * stored. core_pm likewise. */
int core_say(session_t *s, room_t *r, const char *text, size_t len, uint64_t *msg_id, int64_t *ts);
int core_pm(session_t *s, room_t *r, const char *to, const char *text, size_t len, uint64_t *msg_id,
            int64_t *ts);

/* ---- ignoring (ignore.c) ----
 * A session ignoring a nick gets no EV_MESSAGE or EV_PRIVATE from it (matched by folded nick; the
 * person need not be online). The list lives as long as the session. */
#define CORE_MAX_IGNORES 100
/* CORE_EBADREQ (yourself), CORE_ENICKINVALID, CORE_ENICKRESERVED, CORE_ETOOMANYIGNORES. Ignoring
 * a nick already ignored is a no-op success. */
int core_ignore(session_t *s, const char *nick);
/* Never fails for a valid nick that is not ignored (a no-op). */
int core_unignore(session_t *s, const char *nick);
/* The ignored nicks (as given to core_ignore) sorted by folded form. */
void core_ignored_foreach(const session_t *s, void (*fn)(void *ud, const char *nick), void *ud);

/* ---- private tables (private.c) ----
 * An invitation to a 1-on-1 private room. It dies after CORE_INVITE_TTL_MS, when it is answered, or
 * when either side's session is freed. A private room is not listed, not findable with
 * core_room_find, not stored, cannot be entered with core_enter, and is freed when both have left.
 */
#define CORE_INVITE_TTL_MS (5 * 60 * 1000)
/* Invites `to` (a member, not lurking, at s's table of r) to a private room; the invitee gets
 * EV_INVITED. CORE_EREADONLY if s lurks, CORE_ENOUSER for anyone else (s itself included). */
int core_invite(session_t *s, room_t *r, const char *to, uint64_t *invite);
/* The invitee accepts: both are placed in a new private room (*out: its table); the inviter gets
 * EV_INVITE_ACCEPTED. CORE_ENOINVITE for an unknown, expired or someone else's invitation. */
int core_invite_accept(session_t *s, uint64_t invite, table_t **out);
/* The invitee declines; the inviter gets EV_INVITE_DECLINED. CORE_ENOINVITE as above. */
int core_invite_decline(session_t *s, uint64_t invite);

/* ---- folders (folder.c) ----
 * Rooms live in a folder tree. "/" is the root; a path is "/" or "/a/b" with each segment
 * [a-z0-9][a-z0-9_-]{0,31}, at most CORE_FOLDER_DEPTH deep. Every change is stored at once (if the
 * core has a store) and, where it can change rights, re-evaluated for the people inside. */
#define CORE_FOLDER_DEPTH 8
typedef struct folder folder_t;
bool core_valid_folder_path(const char *path);
folder_t *core_folder_find(core_t *c, const char *path);
/* The parent must exist: CORE_EFOLDERNAME, CORE_ENOFOLDER, CORE_EFOLDEREXISTS, CORE_ESTORE. */
int core_folder_create(core_t *c, const char *path);
/* Only an empty folder (no rooms, no folders): CORE_ENOTEMPTY; the root: CORE_EFORBIDDEN. Its
 * access list goes with it. */
int core_folder_delete(core_t *c, const char *path);
/* Gives a folder (with everything in it) a new path, whose parent must exist: a rename, a move, or
 * both. CORE_EFOLDERNAME (also: the new paths would be too deep), CORE_ENOFOLDER,
 * CORE_EFOLDEREXISTS, CORE_EFORBIDDEN (the root), CORE_EBADREQ (into itself), CORE_ESTORE. */
int core_folder_rename(core_t *c, const char *from, const char *to);
/* Folders in path order (the root first). */
void core_folders_foreach(core_t *c, void (*fn)(void *ud, folder_t *f), void *ud);
const char *folder_path(const folder_t *f);
/* Rooms directly in f, in name order. */
void folder_rooms_foreach(const folder_t *f, void (*fn)(void *ud, room_t *r), void *ud);
/* Moves r to the folder at path: CORE_ENOFOLDER, CORE_ESTORE. Rights are re-evaluated. */
int core_room_move(core_t *c, room_t *r, const char *path);
/* Deletes an empty room with its access lists, table topics, bans and stored messages:
 * CORE_ENOTEMPTY while anyone is in it, CORE_EFORBIDDEN for a hosted event's room (it goes with
 * its event, core_event_delete). Its watchers get EV_UNWATCHED "room_deleted". */
int core_room_delete(core_t *c, room_t *r);

/* ---- access lists and user groups (access.c) ----
 * An access list hangs on a folder, a room or a table (by number, whether open or not). Resolving
 * a session's right walks table -> room -> folder -> parents -> root; the first object that has a
 * list decides alone. Within it: an entry naming the account wins; else the highest right among
 * the user groups holding the account; else `registered` (registered accounts) or `guests` (guests
 * and provisional accounts); else none. No list anywhere: the configured default of the class.
 * Sysops are host everywhere; a live ban makes it none; in a moderated room a participant is
 * moderated. */
typedef enum core_who {
    CORE_WHO_USER,       /* name: an account */
    CORE_WHO_GROUP,      /* name: a user group */
    CORE_WHO_REGISTERED, /* no name */
    CORE_WHO_GUESTS,     /* no name */
} core_who_t;

typedef struct core_acl_entry {
    core_who_t who;
    const char *name; /* CORE_WHO_USER, CORE_WHO_GROUP; else NULL */
    core_right_t right;
} core_acl_entry_t;

#define CORE_ACL_MAX   256   /* entries in one list */
#define CORE_MAX_TABLE 10000 /* highest table number an access list or topic may name */

/* The object of an access list: a folder (folder set), a room (room set, table 0) or a table of a
 * room (room and table set). */
typedef struct core_acl_ref {
    const char *folder;
    const char *room;
    uint32_t table;
} core_acl_ref_t;

/* Replaces the object's list (n == 0 removes it: the object inherits again). The entries are
 * copied. CORE_ENOFOLDER, CORE_ENOROOM, CORE_EBADACL (a bad entry or name, a duplicate, too many),
 * CORE_ESTORE. The rights of everyone in the affected rooms are re-evaluated at once. */
int core_acl_set(core_t *c, const core_acl_ref_t *ref, const core_acl_entry_t *e, size_t n);
/* Calls fn for each entry of the object's own list; *has says whether it has one.
 * CORE_ENOFOLDER, CORE_ENOROOM, CORE_EBADACL (a bad table number). */
int core_acl_get(core_t *c, const core_acl_ref_t *ref,
                 void (*fn)(void *ud, const core_acl_entry_t *e), void *ud, bool *has);

/* User groups: named sets of accounts, defined by the sysop. A group name follows the room-name
 * rule; an account name is 1 to 64 bytes of printable UTF-8. core_group_set creates or replaces
 * (members copied, duplicates dropped): CORE_EBADACL, CORE_ESTORE. Rights are re-evaluated. */
#define CORE_GROUP_MAX 10000 /* members in one group */
int core_group_set(core_t *c, const char *name, const char *const *accounts, size_t n);
int core_group_delete(core_t *c, const char *name); /* CORE_ENOGROUP */
/* Groups in name order; members sorted. */
void core_groups_foreach(core_t *c,
                         void (*fn)(void *ud, const char *name, const char *const *members,
                                    size_t n),
                         void *ud);

/* A session's right in a room (table 0: the room itself, which decides whether it is listed and
 * enterable) or at one of its tables. */
core_right_t core_right(const session_t *s, const room_t *r, uint32_t table);
/* The right of an anonymous guest (no nickname, no address): what the public REST API shows. */
core_right_t core_right_anonymous(const room_t *r);

/* ---- host powers (host.c) ----
 * Each needs host rights (the room's for eject from the room, broadcast and room edits; the
 * table's for eject from a table and table edits) and that s is in r or watches it (core_watch):
 * else CORE_EFORBIDDEN / CORE_ENOTINROOM. */
#define CORE_MAX_BAN_SECS (10LL * 365 * 24 * 3600)

/* Ejects the member or lurker `nick` of r from the room (table false) or from their table (true:
 * they leave the room too, but may come back to another table). ban_secs > 0 bans them from the
 * room (or that table) for that long: keyed by account, else by folded nickname and by address.
 * They get EV_EJECTED, table-mates member_left "ejected". CORE_ENOUSER (nobody of that name is
 * in r), CORE_EFORBIDDEN (also: a sysop, or a host ejected by a non-sysop), CORE_EBADREQ (ban out
 * of range). *until (may be NULL) gets the ban's end (ms) or 0. reason may be NULL. */
int core_eject(session_t *s, room_t *r, const char *nick, bool table, int64_t ban_secs,
               const char *reason, int64_t *until);
/* Sends EV_BROADCAST to every table of r. CORE_ETEXTEMPTY, CORE_ETEXTLONG. */
int core_broadcast(session_t *s, room_t *r, const char *text, size_t len, int64_t *ts);

/* Room settings to change: NULL / -1 leaves one as it is. */
typedef struct core_room_edit {
    const char *title;
    const char *topic;
    int capacity;       /* 0: keep; else 1..10000 */
    int moderated;      /* -1: keep; 0 or 1 */
    const char *folder; /* admin only (core_room_update) */
} core_room_edit_t;
/* A host edits r (not its folder): stored, and everyone in r gets EV_ROOM_UPDATED.
 * CORE_ECAPACITY, CORE_EBADREQ (a folder given), CORE_ESTORE. */
int core_edit_room(session_t *s, room_t *r, const core_room_edit_t *e);
/* The same for the admin API, with folder moves: CORE_ENOFOLDER as well. */
int core_room_update(core_t *c, room_t *r, const core_room_edit_t *e);
/* A host sets the topic of table `table` of r (open or not; at most 1000 bytes): stored, and the
 * people at it get EV_TABLE_UPDATED. CORE_ENOTABLE (out of range), CORE_ETEXTLONG. */
int core_edit_table(session_t *s, room_t *r, uint32_t table, const char *topic);
int core_table_update(core_t *c, room_t *r, uint32_t table, const char *topic);

/* ---- the stage (stage.c) ----
 * What a room's clients show around the chat, set by its hosts while it runs: a banner, a link
 * (shown as an image if link_image) and a "now speaking" line. Plain text and a plain http(s) URL;
 * rendering them safely is the clients' job. Stored (if the core has a store) and deleted with the
 * room. */
#define CORE_STAGE_BANNER_MAX   200
#define CORE_STAGE_TITLE_MAX    100
#define CORE_STAGE_SPEAKING_MAX 100
#define CORE_STAGE_URL_MAX      500

/* A room's current stage; NULL: not set (link_title is "" when the link has none). Owned by the
 * room, valid until the next change. */
typedef struct core_stage {
    const char *banner;
    const char *link_url;
    const char *link_title;
    bool link_image;
    const char *speaking;
} core_stage_t;
/* Never NULL (private rooms have an empty stage). */
const core_stage_t *room_stage(const room_t *r);

/* A change: a field whose set_ flag is false is kept; set to NULL or "" it is cleared. */
typedef struct core_stage_edit {
    bool set_banner, set_link, set_speaking;
    const char *banner;
    const char *link_url; /* NULL or "": no link */
    const char *link_title;
    bool link_image;
    const char *speaking;
} core_stage_edit_t;
/* A host of r (the room's right) changes its stage: stored, and everyone in r (every table,
 * lurkers too) gets one EV_STAGE with all three values. CORE_ESTAGEURL (not http:// or https://
 * with a host, longer than CORE_STAGE_URL_MAX, or holding spaces or control characters),
 * CORE_ESTAGETEXT (a text over its maximum or holding control characters), CORE_ESTORE,
 * CORE_ENOTINROOM, CORE_EFORBIDDEN (no host, or a private room). Nothing changes on error. */
int core_stage_set(session_t *s, room_t *r, const core_stage_edit_t *e);

/* Live bans (expired ones are dropped as they are met). who is "account:NAME" or "nick:FOLD";
 * addr is "" or the 16-hex-digit hash of the banned guest's address; by and reason may be "". */
typedef struct core_ban_info {
    const char *room;
    uint32_t table; /* 0: the whole room */
    const char *who;
    const char *addr;
    int64_t until; /* ms since the epoch */
    const char *by;
    const char *reason;
} core_ban_info_t;
void core_bans_foreach(core_t *c, void (*fn)(void *ud, const core_ban_info_t *b), void *ud);
/* Lifts a ban: CORE_ENOROOM, CORE_ENOBAN, CORE_ESTORE. */
int core_ban_lift(core_t *c, const char *room, uint32_t table, const char *who);

/* ---- recording and playback (record.c) ----
 * A recording belongs to a (room, table number): it goes on when an overflow table closes and
 * reopens under the same number, and stops when stopped, when the room is deleted, or at
 * CORE_REC_MAX_MSGS messages. It keeps every say (EV_MESSAGE) and host broadcast (EV_BROADCAST)
 * reaching that table; not private messages and not played messages. Recordings live in the store
 * (none without one: CORE_ESTORE) and outlive their room. Everyone at the table gets EV_RECORDING
 * when one starts or stops.
 *
 * A playback plays a recording into an open table: message i at start + offset_i / speed, looped
 * rounds every duration / speed (duration = stopped - started, at least 1 s). Played messages are
 * EV_MESSAGE with recording, round and original_ts set, a fresh msg_id and ts; they join the
 * table's history but are neither stored nor recorded. One playback per table; it ends when
 * stopped, finished, its table closes, its room or its recording is deleted, or the core is freed.
 * Everyone at the table gets EV_PLAYBACK when one starts, stops or finishes. */
#define CORE_REC_MAX_MSGS   50000 /* messages in one recording; it stops at this size */
#define CORE_REC_TITLE_MAX  200   /* bytes */
#define CORE_PLAY_SPEED_MIN 0.1
#define CORE_PLAY_SPEED_MAX 100.0
#define CORE_PLAY_MAX       64 /* playbacks at once in one core (each holds its recording) */

/* A running recording as the table shows it; owned by the core, valid until it stops. */
typedef struct core_rec_info {
    uint64_t id;
    const char *title; /* "" for none */
    const char *started_by;
    int64_t since; /* ms since the epoch */
    uint32_t messages;
} core_rec_info_t;
/* The recording running at t's number, or NULL. */
const core_rec_info_t *table_recording(const table_t *t);

/* A playback as the table shows it; valid until it ends. */
typedef struct core_play_info {
    uint64_t recording;
    bool loop;
    double speed;
    uint32_t round; /* 1, 2, ... */
} core_play_info_t;
/* The playback at t, or NULL. */
const core_play_info_t *table_playback(const table_t *t);

/* A host of the table (table 0: s's own table of r) starts or stops its recording. s must be in
 * r: CORE_ENOTINROOM; CORE_ENOTABLE (not open when starting, or a table s has no right at);
 * CORE_EFORBIDDEN (no host there, or a private room); CORE_EALREADYREC; CORE_ENOTREC;
 * CORE_ERECTITLE; CORE_ESTORE. title may be NULL. *id (may be NULL) gets the recording's id. */
int core_record_start(session_t *s, room_t *r, uint32_t table, const char *title, uint64_t *id);
int core_record_stop(session_t *s, room_t *r, uint32_t table);
/* The same without a session (hosted events): by is the nick named as its starter. The table
 * (1..CORE_MAX_TABLE) need not be open. core_record_end's EV_RECORDING names no one (by NULL).
 * CORE_ENOROOM (NULL or private), CORE_ENOTABLE, CORE_EALREADYREC, CORE_ENOTREC, CORE_ERECTITLE,
 * CORE_ESTORE. */
int core_record_begin(core_t *c, room_t *r, uint32_t table, const char *by, const char *title,
                      uint64_t *id);
int core_record_end(core_t *c, room_t *r, uint32_t table);
/* Stops every recording (stored as stopped) and playback: call while the store is still open,
 * before the program closes it (core_free alone cannot store the stops). */
void core_recordings_close(core_t *c);

/* A stored recording (strings valid during the callback). stopped_ms 0: still running. */
typedef struct core_recording {
    uint64_t id;
    const char *room;
    uint32_t table;
    const char *title;
    const char *started_by;
    int64_t started_ms;
    int64_t stopped_ms;
    uint32_t messages;
} core_recording_t;

typedef struct core_rec_msg {
    uint32_t seq;
    int64_t offset_ms;
    int64_t ts;
    bool broadcast;
    const char *nick;
    const char *colour;
    uint32_t table;
    const char *text;
    size_t text_len;
} core_rec_msg_t;

/* The recordings of the room named room (NULL: all), oldest first: CORE_ESTORE. */
int core_recordings_foreach(core_t *c, const char *room,
                            void (*fn)(void *ud, const core_recording_t *rec), void *ud);
/* The same for a host of r (its room right): CORE_ENOROOM (r NULL, or no right in it),
 * CORE_EFORBIDDEN. */
int core_recordings_for(session_t *s, room_t *r, void (*fn)(void *ud, const core_recording_t *rec),
                        void *ud);
/* One recording: CORE_ENOREC, CORE_ESTORE. */
int core_recording_get(core_t *c, uint64_t id, void (*fn)(void *ud, const core_recording_t *rec),
                       void *ud);
/* Messages with seq > after, at most limit (1..1000), in order; *n gets how many. */
int core_recording_msgs(core_t *c, uint64_t id, uint32_t after, int limit,
                        void (*fn)(void *ud, const core_rec_msg_t *m), void *ud, int *n);
/* Deletes a recording and its messages, stopping it first if it runs and ending its playbacks:
 * CORE_ENOREC, CORE_ESTORE. core_recording_delete_as needs a host of its room (by name; a sysop
 * when the room is gone): CORE_EFORBIDDEN. */
int core_recording_delete(core_t *c, uint64_t id);
int core_recording_delete_as(session_t *s, uint64_t id);

/* A host of the table (table 0: s's own) plays recording `recording` into it. s must be in r.
 * CORE_ENOTINROOM, CORE_ENOTABLE, CORE_EFORBIDDEN, CORE_EPLAYSPEED (outside
 * CORE_PLAY_SPEED_MIN..MAX), CORE_EALREADYPLAY, CORE_ETOOMANYPLAY, CORE_ENOREC, CORE_ERECEMPTY,
 * CORE_ESTORE, CORE_EINTERNAL (no timers). */
int core_play(session_t *s, room_t *r, uint32_t table, uint64_t recording, bool loop, double speed);
/* CORE_ENOTPLAY, and the errors of core_play's checks. */
int core_play_stop(session_t *s, room_t *r, uint32_t table);

/* The right an account (no session needed) has in r (table 0: the room) — the REST API's check
 * for a host exporting a recording. */
core_right_t core_account_right(core_t *c, const char *account, core_class_t cls, bool sysop,
                                const room_t *r, uint32_t table);
/* ---- hosted events (event.c) ----
 * An auditorium event: three rooms in folder "/events" (the stage NAME, where speakers and hosts
 * talk and everyone else lurks; NAME-audience, whose tables overflow every audience_capacity
 * people; NAME-backstage, for hosts, speakers and monitors) with access lists over three user
 * groups NAME-hosts, NAME-speakers and NAME-monitors holding its role lists. A person's role is
 * host (a sysop or in the hosts list), else speaker, else monitor, else audience. The schedule
 * (opens, closes) runs on the core's timers; an ended event has nobody in its rooms and lets
 * nobody join again. Everything is stored (if the core has a store) and reloaded by
 * core_rooms_load. */
typedef struct event event_t;

#define CORE_EVENT_NAME_MAX         20  /* [a-z0-9][a-z0-9_-]{0,19} */
#define CORE_EVENT_TITLE_MAX        200 /* bytes, no control characters */
#define CORE_EVENT_DEFAULT_AUDIENCE 40

typedef enum core_event_state {
    CORE_EVENT_SCHEDULED = 0, /* before opens */
    CORE_EVENT_OPEN,
    CORE_EVENT_ENDED, /* for good: closes passed, or ended by a host or the admin API */
} core_event_state_t;

typedef enum core_event_role {
    CORE_ROLE_AUDIENCE = 0,
    CORE_ROLE_MONITOR,
    CORE_ROLE_SPEAKER,
    CORE_ROLE_HOST,
} core_event_role_t;

/* The role lists, indexes of core_event_spec_t.lists. */
enum { CORE_EVENT_HOSTS = 0, CORE_EVENT_SPEAKERS, CORE_EVENT_MONITORS, CORE_EVENT_NLISTS };

typedef struct core_event_spec {
    const char *name;
    const char *title;     /* NULL: the name */
    int64_t opens, closes; /* ms since the epoch; 0: none (open from creation / until ended) */
    int audience_capacity; /* 0: CORE_EVENT_DEFAULT_AUDIENCE; else 1..10000 */
    bool moderated;        /* the audience room is moderated */
    /* Account names (need not exist yet), copied. */
    const char *const *lists[CORE_EVENT_NLISTS];
    size_t nlists[CORE_EVENT_NLISTS];
} core_event_spec_t;

/* A change: NULL, -1 or a false set_ flag keeps a value. */
typedef struct core_event_edit {
    const char *title;
    bool set_opens, set_closes;
    int64_t opens, closes; /* 0: none */
    int audience_capacity; /* 0: keep */
    int moderated;         /* -1: keep */
    bool set_list[CORE_EVENT_NLISTS];
    const char *const *lists[CORE_EVENT_NLISTS];
    size_t nlists[CORE_EVENT_NLISTS];
} core_event_edit_t;

/* Creates the event, its groups, rooms and access lists, stores it and arms its schedule.
 * CORE_EEVENTSPEC, CORE_EBADACL (a bad account name), CORE_EEVENTEXISTS, CORE_EROOMEXISTS (one of
 * its room names is taken), CORE_EINTERNAL (a schedule needs timers the core was not lent),
 * CORE_ESTORE. An event whose closes has passed is created ended. */
int core_event_create(core_t *c, const core_event_spec_t *spec, event_t **out);
/* Changes an event that has not ended (CORE_EEVENTENDED): groups, the audience room and the
 * schedule (re-armed; it may open or end at once). Errors as core_event_create. */
int core_event_update(core_t *c, event_t *e, const core_event_edit_t *ed);
/* Ends an event now (the admin API): reason is the event_state reason ("ended by ..."). Everyone
 * in its rooms and every watcher of them gets EV_EVENT_STATE "ended" once, then is taken out of
 * the rooms without further events (they all leave) and stops watching; overflow tables close.
 * CORE_EEVENTENDED if it has ended already. */
int core_event_end(core_t *c, event_t *e, const char *reason);
/* A host of e (core_event_role) ends it, reason "ended by NICK": CORE_EFORBIDDEN otherwise. */
int core_event_end_by(session_t *s, event_t *e);
/* Deletes an ended event (CORE_ENOTEMPTY before), its rooms (CORE_ENOTEMPTY while someone is in
 * one) and groups. Stored messages of the rooms go with them. */
int core_event_delete(core_t *c, event_t *e);
event_t *core_event_find(core_t *c, const char *name);
/* Calls fn for each event in name order. */
void core_events_foreach(core_t *c, void (*fn)(void *ud, event_t *e), void *ud);

const char *event_name(const event_t *e);
const char *event_title(const event_t *e);
int64_t event_opens(const event_t *e);  /* 0: none */
int64_t event_closes(const event_t *e); /* 0: none */
int event_audience_capacity(const event_t *e);
bool event_moderated(const event_t *e);
core_event_state_t event_state(const event_t *e);
const char *core_event_state_name(core_event_state_t st); /* "scheduled", "open", "ended" */
room_t *event_stage(const event_t *e);
room_t *event_audience(const event_t *e);
room_t *event_backstage(const event_t *e);
/* People in its rooms, each counted once. */
unsigned event_users(const event_t *e);
/* The accounts of role list `which` (CORE_EVENT_HOSTS ...), sorted. */
void event_list_foreach(const event_t *e, int which, void (*fn)(void *ud, const char *account),
                        void *ud);
/* The event a room belongs to, or NULL. */
event_t *room_event(const room_t *r);

core_event_role_t core_event_role(const session_t *s, const event_t *e);
/* The core a session belongs to. */
core_t *core_session_core(const session_t *s);
const char *core_event_role_name(core_event_role_t role); /* "audience" ... "host" */

/* Where core_event_join placed s (NULL: not in that room; watching: watches the audience). */
typedef struct core_event_place {
    table_t *stage, *audience, *backstage;
    bool watching;
} core_event_place_t;
/* Joins e by role: the audience enters the stage (read-only, a lurker) and the audience room;
 * a speaker the stage and the backstage; a monitor and a host the stage and the backstage, and
 * they watch the audience room. Rooms s is in already are kept. CORE_EEVENTENDED,
 * CORE_EEVENTNOTOPEN (the audience before opens), or an error of core_enter or core_watch. */
int core_event_join(session_t *s, event_t *e, core_event_place_t *out);
/* Leaves e's rooms and stops watching them. Never fails for a ready session. */
int core_event_leave(session_t *s, event_t *e);

/* Watching: s also gets the events of every table of r (message, broadcast, member_entered,
 * member_left, member_hopped, lurkers, table_updated), tables opened later too, without sitting
 * at one: not counted, not listed. Each event reaches s once, also at a table s sits at. Needs
 * host rights in r (CORE_EFORBIDDEN; CORE_ENOROOM when r is invisible to s); watching again is a
 * no-op. A watcher whose right falls below host gets EV_UNWATCHED "access"; watching ends with
 * the session, the room, or the event's end. At most CORE_MAX_WATCHES rooms (CORE_EBADREQ). */
#define CORE_MAX_WATCHES 32
int core_watch(session_t *s, room_t *r);
/* A no-op when s does not watch r. */
int core_unwatch(session_t *s, room_t *r);
bool core_watching(const session_t *s, const room_t *r);

/* Forwards message msg_id of table `table` of r (an event's room) from its in-memory history to
 * table 1 of the event's backstage (to_stage false: needs host rights in r and participant in the
 * backstage) or stage (true: needs host rights on the stage; r is the audience or the backstage).
 * It is said there by s as "<nick> asks: <text>" (cut to max_text), asked_by the original nick; a
 * message that was forwarded already keeps its text and asked_by. CORE_EBADREQ (r is no event's,
 * or the stage as a source for the stage), CORE_ENOTABLE, CORE_ENOMESSAGE, CORE_EFORBIDDEN,
 * CORE_ESTORE. *at and *msg_id (may be NULL) get the new message's table and id. */
int core_forward(session_t *s, room_t *r, uint32_t table, uint64_t msg_id, bool to_stage,
                 table_t **at, uint64_t *new_id);

/* Validation helpers shared with other layers. */
int core_check_nick(const char *nick); /* 0, CORE_ENICKINVALID or CORE_ENICKRESERVED */
bool core_valid_room_name(const char *name);
bool core_valid_colour(const char *colour); /* "#rrggbb" */

#endif
