/* The IRC gateway's private parts, shared by its modules:
 *   client.c   the client: lines in, the command table, flood control, ping, closing; the
 *              TCP transport
 *   ws.c       the WebSocket transport (GET /irc, ircv3.net "websocket")
 *   out.c      building lines: numerics, replies, the shared encodings of events
 *   reg.c      registration: CAP, NICK, USER, PASS, the welcome burst, PING/PONG, QUIT
 *   info.c     MOTD, LUSERS, VERSION, TIME, ISUPPORT
 *   chan.c     channels = tables: JOIN, PART, NAMES, TOPIC, the error table
 *   msg.c      PRIVMSG, NOTICE, TAGMSG
 *   query.c    WHO, WHOIS, LIST, AWAY
 *   op.c       MODE, KICK, INVITE
 *   event.c    core events -> IRC lines (session_ops_t)
 *   colour.c   web colours <-> IRC formatting
 *   label.c    labeled-response
 *   acctreg.c  draft/account-registration: REGISTER, VERIFY
 *   history.c  CHATHISTORY, batches, the history replayed on JOIN
 *   sasl.c     accounts: AUTHENTICATE (SASL PLAIN, SCRAM-SHA-256), PASS account:password,
 *              account-notify
 *   presence.c away-notify, invite-notify, SETNAME, telling the IRC clients sharing a channel
 *   monitor.c  MONITOR and WHOWAS, fed by the core's presence hook */
#ifndef PARLEY_PROTO_IRC_IRC_INT_H
#define PARLEY_PROTO_IRC_IRC_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <uthash.h>

#include "core/core.h"
#include "group.h"
#include "proto/irc/irc.h"
#include "proto/irc/parse.h"
#include "util/bucket.h"
#include "util/buf.h"
#include "util/lines.h"
#include "util/list.h"

/* IRCv3 capabilities (reg.c's table lists their names). */
enum {
    IRC_CAP_CAP_NOTIFY = 1u << 0,
    IRC_CAP_ECHO_MESSAGE = 1u << 1,
    IRC_CAP_MESSAGE_TAGS = 1u << 2,
    IRC_CAP_MULTI_PREFIX = 1u << 3,
    IRC_CAP_SERVER_TIME = 1u << 4,
    IRC_CAP_SASL = 1u << 5,
    IRC_CAP_ACCOUNT_NOTIFY = 1u << 6,
    IRC_CAP_ACCOUNT_TAG = 1u << 7,
    IRC_CAP_EXTENDED_JOIN = 1u << 8,
    IRC_CAP_BATCH = 1u << 9,
    IRC_CAP_CHATHISTORY = 1u << 10, /* draft/chathistory */
    IRC_CAP_LABELED_RESPONSE = 1u << 11,
    IRC_CAP_ACCOUNT_REGISTRATION = 1u << 12, /* draft/account-registration */
    IRC_CAP_AWAY_NOTIFY = 1u << 20,
    IRC_CAP_SETNAME = 1u << 21,
    IRC_CAP_INVITE_NOTIFY = 1u << 22,
};

typedef struct irc_sasl irc_sasl_t;       /* sasl.c */
typedef struct irc_acctreg irc_acctreg_t; /* acctreg.c */

/* A channel the client is on: a table of a room (table 1 is "#room", N is "#room/N"). */
typedef struct irc_chan {
    char *room; /* owned */
    uint32_t table;
} irc_chan_t;

typedef struct irc_client irc_client_t;
struct ws;

/* How lines reach a client: a TCP (or TLS) connection, CR LF lines (client.c), or a WebSocket,
 * one line per message without CR LF (ws.c). Lines are built once (out.c, CR LF terminated);
 * wire() turns them into the transport's form, and cached event encodings keep that form in the
 * transport's three slots (one per variant, IRC_V_*). */
typedef struct irc_transport {
    const char *name;
    /* The first of the client's three event-cache slots (CORE_SLOT_IRC*). */
    int (*slot)(const irc_client_t *c);
    /* lines (CR LF terminated) -> a new reference to their wire form. */
    rbuf_t *(*wire)(const irc_client_t *c, rbuf_t *lines);
    /* Queues a wire-form buffer (a reference is taken). A reader past the output cap is dropped
     * by the transport (from the next pass) and error_sent is set. */
    void (*send)(irc_client_t *c, rbuf_t *wire);
    /* Sends the line (CR LF terminated) last and closes once it is written; c may be freed. */
    void (*quit)(irc_client_t *c, const char *line, size_t len);
    void (*peer)(const irc_client_t *c, char *out, size_t len);
} irc_transport_t;

struct irc_client {
    /* What a delivery reads first, together in the first cache line (event.c). */
    const irc_transport_t *tr;
    conn_t *conn;   /* the connection (over a WebSocket: the one under it) */
    session_t *s;   /* created at accept, said hello at registration */
    buf_t *capture; /* a labelled command's response being gathered (label.c) */
    uint32_t caps;  /* IRC_CAP_* enabled */
    bool registered;
    bool error_sent;
    bool got_user;        /* USER seen */
    bool cap_pending;     /* CAP LS or REQ seen before registration: wait for CAP END */
    bool ping_sent;       /* the idle timer sent a PING that has not been answered by any line */
    uint16_t cap_version; /* 302 after CAP LS 302 */
    struct ws *ws;        /* the WebSocket transport's; NULL over TCP */
    app_t *app;
    group_t *group;
    lines_t in;
    list_t node;       /* every client (irc_close_all) */
    char *nick;        /* NICK before registration (owned); the core keeps it afterwards */
    irc_chan_t *chans; /* NULL when on none */
    uint32_t nchans;
    bucket_t commands, messages, violations;
    char *away;             /* AWAY message (owned); NULL: here */
    irc_sasl_t *sasl;       /* an AUTHENTICATE exchange or PASS check under way (sasl.c) */
    char *pass;             /* PASS before registration (owned, wiped) */
    irc_acctreg_t *acctreg; /* a REGISTER waiting for VERIFY (acctreg.c) */
    char label[200];        /* its label, escaped */
    char *label_later;      /* the label of a command answered later (label.c; owned) */
    bool label_deferred;    /* the running command is answered later */
    UT_hash_handle hh;      /* registered clients by nick as held (irc__client_by_nick) */
    uint32_t last_rename;   /* serial of the last EV_NICK told (once per rename, not per table) */
    char *realname;         /* USER's or SETNAME's (owned); NULL before USER */
    struct irc_monitor *monitor; /* MONITOR's list (monitor.c) */
    uint32_t nmonitor;
};

/* ---- client.c ---- */
/* The server name ([irc] server_name) and the client's name in replies ("*" before
 * registration). */
const char *irc__server(const irc_client_t *c);
const char *irc__nick(const irc_client_t *c);
/* Queues b, lines ending in CR LF (a reference is taken). A reader past the output cap is closed
 * (from the next pass). */
void irc__send(irc_client_t *c, rbuf_t *b);
/* A new client over transport tr on conn (and ws for a WebSocket). The transport then binds
 * its connection to it, and irc__client_start checks it may stay (shutdown, a group) and makes
 * its core session: 0, or a negative errno after irc__quit (c may be freed). */
irc_client_t *irc__client_new(app_t *app, const irc_transport_t *tr, conn_t *conn, struct ws *ws);
int irc__client_start(irc_client_t *c, group_t *g);
/* Frees the client (its transport is closing). */
void irc__client_free(irc_client_t *c);
/* One line from the client (no CR LF; NULL: one too long). Returns nonzero when no further line
 * may be read (c may have been freed then). */
int irc__line(irc_client_t *c, const char *line, size_t len);
/* Sends ERROR :reason and closes the connection after flushing; c is freed later (on_close). */
void irc__quit(irc_client_t *c, const char *reason);
irc_stats_t *irc__stats(void);
/* The registered IRC client holding nick (exactly as core_nick_held gives it), or NULL (nobody,
 * or someone on another transport). */
irc_client_t *irc__client_by_nick(const char *nick);
/* Calls fn for every registered IRC client. fn must not close clients. */
void irc__clients_foreach(void (*fn)(irc_client_t *o, void *ud), void *ud);
/* Called once registration completed: the client is found by its nick from then on. */
void irc__client_registered(irc_client_t *c);
/* Every client (irc_client_t.node). */
list_t *irc__clients(void);
/* core_session_rename, keeping the by-nick index right (it keys on the core's string). */
int irc__client_rename(irc_client_t *c, const char *nick);
/* The MOTD's lines (info.c reads them from client.c's state); n 0: none. */
void irc__motd(const char *const **lines, size_t *n);

/* ---- out.c ---- */
/* A line built in a fixed buffer, cut (at a UTF-8 boundary) to fit 512 bytes with its CR LF. */
void irc__sendf(irc_client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ":server NUM nick " + the formatted rest. */
void irc__numeric(irc_client_t *c, const char *num, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "FAIL CMD CODE [context] :text" (IRCv3 standard replies). */
void irc__fail(irc_client_t *c, const char *cmd, const char *code, const char *context,
               const char *text);
/* A NOTICE from the server to the client. */
void irc__notice(irc_client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Everyone's user@host: the same for web and IRC users, who the core does not tell apart. */
#define IRC_USERHOST "parley@parley"
/* The channel of table n of room: "#room" for table 1, "#room/N" otherwise. */
void irc__chan_name(char *out, size_t len, const char *room, uint32_t table);
#define IRC_CHAN_MAX 48

/* The encoded variants of an event, each cached once per event (core_event_t.enc). */
enum { IRC_V_PLAIN, IRC_V_TIME, IRC_V_TAGS, IRC_V_COUNT };
int irc__variant(const irc_client_t *c);
/* A shared line buffer: "@tags " (per variant) + ":source CMD target :text" cut into lines that
 * fit 512 bytes (the text split at its newlines and UTF-8 boundaries). text may be NULL (no
 * trailing parameter). msg_id 0: no msgid tag; ts 0: now. */
rbuf_t *irc__encode(int variant, uint64_t msg_id, int64_t ts, const char *source, const char *cmd,
                    const char *target, const char *text, size_t text_len);
/* As irc__encode, with the sender's account (account-tag: "account=" in the IRC_V_TAGS variant,
 * which clients with message-tags or account-tag get); account NULL: none. */
rbuf_t *irc__encode_acct(int variant, uint64_t msg_id, int64_t ts, const char *account,
                         const char *source, const char *cmd, const char *target, const char *text,
                         size_t text_len);
/* The parameters of a JOIN for clients with extended-join "JOIN chan account|* :realname" (the
 * realname is not kept: the nick stands for it). */
void irc__join_target(char *out, size_t len, const char *chan, const char *account);

/* "2019-01-04T14:33:26.123Z" for ms since the epoch (server-time's format). */
void irc__format_time(char *out, size_t len, int64_t ms);

/* ---- reg.c ---- */
int irc__cmd_cap(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_nick(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_user(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_pass(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_ping(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_pong(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_quit(irc_client_t *c, const irc_msg_t *m);
/* Completes registration if NICK and USER are in and nothing (CAP, a login) is pending. */
void irc__register_complete(irc_client_t *c);

/* ---- history.c ---- */
int irc__cmd_chathistory(irc_client_t *c, const irc_msg_t *m);
int irc__history_max(void); /* ISUPPORT CHATHISTORY */
/* A batch: an id (empty if c has no `batch`, and then open/close send nothing), BATCH +id type
 * [arg], BATCH -id. */
void irc__batch_id(const irc_client_t *c, char *id, size_t len);
void irc__batch_open(irc_client_t *c, const char *id, const char *type, const char *arg);
void irc__batch_close(irc_client_t *c, const char *id);
/* Appends the CR LF lines of data to out, each tagged batch=id (as they are if id is ""); lines
 * of a batch nested inside (tagged batch= already) keep their own tag. */
void irc__append_in_batch(buf_t *out, const char *data, size_t len, const char *id);
void irc__send_buf(irc_client_t *c, const buf_t *b);
/* The table's recent history after a JOIN (in a chathistory batch), unless c has
 * draft/chathistory. */
void irc__replay(irc_client_t *c, const table_t *t, const char *chan);

/* ---- colour.c ---- */
/* The text of a message event as IRC shows it: the sender's colour as a mIRC code on each line if
 * the sender is not an IRC user. Valid until the next call. */
const char *irc__text_out(const core_event_t *ev, size_t *len);
/* The text of a PRIVMSG or NOTICE from c as the web shows it: IRC formatting removed, and a
 * foreground colour it starts with made c's colour. Valid until the next call. */
const char *irc__text_in(irc_client_t *c, const char *text, size_t *len);

/* ---- acctreg.c ---- */
int irc__cmd_register(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_verify(irc_client_t *c, const irc_msg_t *m);
const char *irc__acctreg_value(void); /* the capability's value */
void irc__acctreg_close(irc_client_t *c);

/* ---- label.c ---- */
/* Before a command: starts capturing c's output if m has a label c may use. */
void irc__label_begin(irc_client_t *c, const irc_msg_t *m);
/* After it: sends the captured response, labelled (ACK if empty). */
void irc__label_end(irc_client_t *c);
/* irc__send's hook: true if b was captured. */
bool irc__label_capture(irc_client_t *c, const rbuf_t *b);
void irc__label_drop(irc_client_t *c); /* closing */
/* A command whose answer comes later (SASL's password check, REGISTER): its label is kept for
 * that answer, and nothing (no ACK) is sent for it now (lines it sent go out unlabelled). */
void irc__label_defer(irc_client_t *c);
/* The later answer begins: it is captured under the kept label (if any) until irc__label_end. */
void irc__label_resume(irc_client_t *c);

/* ---- sasl.c ---- */
int irc__cmd_authenticate(irc_client_t *c, const irc_msg_t *m);
const char *irc__sasl_mechs(void); /* the sasl capability's value */
/* The session becomes the account (900, account-notify); false if the account may not log in
 * here (the client was told). */
bool irc__log_in(irc_client_t *c, const store_account_t *acc);
/* Whether c may use nick: anyone but an account's name, which only that account may use. */
bool irc__nick_allowed(irc_client_t *c, const char *nick);
/* Starts the check of c->pass (PASS) if there is one and c is not logged in: 1 while it runs
 * (registration completes from its answer), 0 if there is nothing to check, negative if c was
 * refused (and is closing). */
int irc__pass_login(irc_client_t *c);
/* Registration is completing: true while a password check runs (registration goes on from its
 * answer); an exchange waiting for the client is aborted (906), as sasl-3.1 says. */
bool irc__sasl_busy(irc_client_t *c);
/* The client is closing: its exchange is dropped (or left to its pending answer to free). */
void irc__sasl_close(irc_client_t *c);

/* ---- info.c ---- */
void irc__welcome(irc_client_t *c); /* 001-005, LUSERS, MOTD */
void irc__isupport(irc_client_t *c);
int irc__cmd_motd(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_lusers(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_version(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_time(irc_client_t *c, const irc_msg_t *m);

/* ---- chan.c ---- */
/* Parses "#room" or "#room/N" (N 1..CORE_MAX_TABLE). false for anything else. */
bool irc__chan_parse(const char *name, char *room, size_t roomlen, uint32_t *table);
/* Answers a core error of command cmd about target (a channel or nick) with its numeric. */
void irc__core_error(irc_client_t *c, const char *cmd, const char *target, int err);
irc_chan_t *irc__chan_find(irc_client_t *c, const char *room);
/* The table the client sits at in the room of channel name, if it is that channel's (*r: the
 * room, if visible); NULL when the client is not on the channel. */
table_t *irc__my_table(irc_client_t *c, const char *name, room_t **r);
/* Tells the client it is on table t now (JOIN, topic, NAMES) and records the channel. Reads the
 * core only, so event.c may call it from a delivery. */
void irc__joined(irc_client_t *c, const room_t *r, const table_t *t);
/* An invitation to a private table is offered as channel "#~invite-N" (JOIN it to accept). */
#define IRC_INVITE_CHAN "#~invite-"
/* The client is not on channel name: 442, or 403 if there is no such channel. */
void irc__not_on(irc_client_t *c, const char *cmd, const char *name);
/* irc__my_table, answering 442 or 403 (irc__not_on) for command cmd when it is NULL. */
table_t *irc__on_chan(irc_client_t *c, const char *cmd, const char *name, room_t **r);
void irc__chan_set(irc_client_t *c, const char *room, uint32_t table);
void irc__chan_drop(irc_client_t *c, const char *room);
int irc__cmd_join(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_part(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_names(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_topic(irc_client_t *c, const irc_msg_t *m);

/* ---- query.c ---- */
int irc__cmd_who(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_whois(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_list(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_away(irc_client_t *c, const irc_msg_t *m);
/* 301 <nick> :<away message> if nick (as held) is an IRC user who is away. */
void irc__tell_away(irc_client_t *c, const char *nick);

/* ---- presence.c ---- */
#define IRC_REALNAME_MAX 200
/* Sends the formatted line to every other registered IRC client that has all of caps and sits
 * at a table with c (each once, however many tables are shared). */
void irc__peers_sendf(irc_client_t *c, uint32_t caps, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same to those of them on channel ch (c's) only. */
void irc__chan_peers_sendf(irc_client_t *c, const irc_chan_t *ch, uint32_t caps, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));
/* The realname WHO and WHOIS show for nick (as held): an IRC user's own, else the nick. */
const char *irc__realname(const char *nick);
int irc__cmd_setname(irc_client_t *c, const irc_msg_t *m);

/* ---- monitor.c ---- */
#define IRC_MONITOR_MAX 100
/* Sets the presence hook on the client's group's core (idempotent). */
void irc__monitor_start(irc_client_t *c);
void irc__monitor_free(irc_client_t *c);
void irc__monitor_deinit(void);
int irc__cmd_monitor(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_whowas(irc_client_t *c, const irc_msg_t *m);

/* ---- op.c ---- */
int irc__cmd_mode(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_kick(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_invite(irc_client_t *c, const irc_msg_t *m);

/* ---- msg.c ---- */
int irc__cmd_privmsg(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_notice(irc_client_t *c, const irc_msg_t *m);
int irc__cmd_tagmsg(irc_client_t *c, const irc_msg_t *m);
void irc__say_done(void *ctx, uint64_t msg_id, int status);

/* ---- event.c ---- */
void irc__deliver(void *ctx, core_event_t *ev);

#endif
