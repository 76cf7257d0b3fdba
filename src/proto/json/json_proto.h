/* The native protocol: JSON messages (docs/PROTOCOL.md). codec.c turns core objects and events into
 * JSON; session.c runs one client session over a WebSocket and implements the core's session_ops.
 */
#ifndef PARLEY_PROTO_JSON_JSON_PROTO_H
#define PARLEY_PROTO_JSON_JSON_PROTO_H

#include <jansson.h>

#include "auth/auth.h"
#include "core/core.h"
#include "http/ws.h"

/* New references. */
json_t *json_room_summary(const room_t *r);
json_t *json_table_summary(const table_t *t);
json_t *json_table_view(const table_t *t);
json_t *json_event(const core_event_t *ev);
/* {"banner", "link": {"url", "title", "image"}, "speaking"}, null for what is not set. */
json_t *json_stage(const room_t *r);
/* The table's history as s sees it (no messages from nicks s ignores), oldest first. */
json_t *json_table_history(const session_t *s, const table_t *t);
/* The enter command's result for s at t of r: {room, table, history, right, stage}. */
json_t *json_enter_result(const session_t *s, const room_t *r, const table_t *t);
/* An event's summary {name, title, state, opens, closes, audience_capacity, rooms}, with s's
 * role when s is not NULL. */
json_t *json_event_summary(const event_t *e, const session_t *s);

/* An invitation id as the protocol's string. */
json_t *json_invite_id(uint64_t id);
/* A string argument. Strings may not contain U+0000 (JSON allows "\u0000"; C strings don't).
 * 0 or CORE_EBADREQ; *out is borrowed from req. */
int json_arg_str(json_t *req, const char *name, const char **out);
/* The room named by req's "room" as s may see it (core_room_find_for): 0, CORE_EBADREQ, or
 * `missing` when there is none (no_such_room or not_in_room, as the command words it). */
int json_arg_room(session_t *s, json_t *req, int missing, room_t **out);

/* private.c: the commands of private talk (ignore lists, invitations), with the signature of
 * session.c's command table minus the WebSocket session. */
int json_private_ignore(session_t *s, json_t *req, json_t **result);
int json_private_unignore(session_t *s, json_t *req, json_t **result);
int json_private_ignored(session_t *s, json_t *req, json_t **result);
int json_private_invite(session_t *s, json_t *req, json_t **result);
int json_private_accept(session_t *s, json_t *req, json_t **result);
int json_private_decline(session_t *s, json_t *req, json_t **result);

/* host.c: the host commands (eject, broadcast, edit_room, edit_table, stage), likewise. */
int json_host_eject(session_t *s, json_t *req, json_t **result);
int json_host_broadcast(session_t *s, json_t *req, json_t **result);
int json_host_edit_room(session_t *s, json_t *req, json_t **result);
int json_host_edit_table(session_t *s, json_t *req, json_t **result);
int json_host_stage(session_t *s, json_t *req, json_t **result);

/* ---- recording and playback (record.c) ---- */
/* Adds the table view's "recording" and "playback" members (null when none) to view. */
void json_table_view_rec(json_t *view, const table_t *t);
/* A stored recording as the protocol and the REST API show it (a new reference). */
json_t *json_recording(const core_recording_t *r);
/* The commands record, recordings, delete_recording, play and stop_play. */
int json_rec_record(session_t *s, json_t *req, json_t **result);
int json_rec_recordings(session_t *s, json_t *req, json_t **result);
int json_rec_delete(session_t *s, json_t *req, json_t **result);
int json_rec_play(session_t *s, json_t *req, json_t **result);
int json_rec_stop_play(session_t *s, json_t *req, json_t **result);
/* event.c: the commands of hosted events (events, join_event, leave_event, watch, unwatch,
 * forward, end_event), likewise. */
int json_event_list(session_t *s, json_t *req, json_t **result);
int json_event_join(session_t *s, json_t *req, json_t **result);
int json_event_leave(session_t *s, json_t *req, json_t **result);
int json_event_watch(session_t *s, json_t *req, json_t **result);
int json_event_unwatch(session_t *s, json_t *req, json_t **result);
int json_event_forward(session_t *s, json_t *req, json_t **result);
int json_event_end(session_t *s, json_t *req, json_t **result);

/* ---- sessions and their transports (session.c) ----
 * A JSON session is the same over every transport; the transport only carries encoded messages.
 * slot says which encoding its send() takes: CORE_SLOT_JSON_WS (a whole WebSocket text frame) or
 * CORE_SLOT_JSON_LINE (the JSON text and "\n"); events are encoded once per slot and shared.
 *
 * Every message a session sends has a sequence number (the welcome is 1, then 2, 3, …), the same
 * on every transport; the tunnels show it as their message ids. A session that said hello may
 * outlive its transport (resume.c, docs/PROTOCOL.md "Resume"): a transport that goes away on its
 * own calls json_session_gone and the session waits, detached, for a resume on any transport. */
typedef struct jsess jsess_t;
typedef struct json_transport {
    const char *name; /* "websocket", "direct", "sse", "poll" */
    int slot;         /* CORE_SLOT_JSON_WS or CORE_SLOT_JSON_LINE */
    /* Queues message number seq (takes its own reference). Never frees the session during the
     * call: a slow reader past the output cap gets -ENOBUFS and is closed from the next loop
     * pass (the transport then calls json_session_gone, and the session ends). */
    int (*send)(void *t, uint64_t seq, rbuf_t *msg);
    /* Closes with a code and reason (docs/PROTOCOL.md). The transport forgets its session at once
     * and never calls json_session_gone for it: the session decides its own fate. */
    void (*close)(void *t, uint16_t code, const char *reason);
    /* "ip:port" of the peer. */
    void (*peer)(void *t, char *out, size_t outlen);
    /* From now on the connection carries js (a resumed session) instead of its own. */
    void (*rebind)(void *t, jsess_t *js);
} json_transport_t;

struct group;
/* Opens a session of group g over transport tr (connection t) and sends the welcome, with the
 * members of welcome_extra (borrowed; NULL: none) added. The transport keeps the result until it
 * closes, then calls json_session_gone (or json_session_free, to end it whatever it is). */
jsess_t *json_session_new(const json_transport_t *tr, void *t, struct group *g,
                          json_t *welcome_extra);
/* One client message (len bytes at msg, at most max_message); may close the session (flood) or
 * hand the connection to another session (resume: the transport is rebound first). */
void json_session_input(jsess_t *js, const char *msg, size_t len);
/* The transport went away by itself (peer closed, network error, tunnel expired, slow reader):
 * the session is detached if it may be resumed, else ended (freed). */
void json_session_gone(jsess_t *js);
/* Leaves the core (rooms, tables) and frees; NULL is a no-op. */
void json_session_free(jsess_t *js);
/* obj encoded for slot (a new reference), NULL if it cannot be. */
rbuf_t *json_encode(int slot, const json_t *obj);
/* b (encoded for slot from) encoded for slot to (a new reference; b itself if from == to). */
rbuf_t *json_reencode(rbuf_t *b, int from, int to);
/* The close message {"type":"close","code","reason"} as a line (a new reference): what the
 * transports other than the WebSocket send last instead of a close frame. */
rbuf_t *json_close_line(uint16_t code, const char *reason);

/* resume.c: counts for /metrics: resumes by result (ok, expired, unknown, gap) and the sessions
 * detached now. */
typedef struct json_resume_stats {
    uint64_t ok, expired, unknown, gap;
    unsigned detached;
} json_resume_stats_t;
void json_resume_get_stats(json_resume_stats_t *out);
/* Stops resume's timers and forgets its tombstones (shutdown, after json_ws_close_all). */
void json_resume_shutdown(void);

/* direct.c: server_accept_cb (ud: the app) of the direct socket listener ([server] json_listen),
 * and what it answers to a connection refused at the connection limits. */
void json_direct_accept(void *ud, conn_t *c);
extern const char json_direct_refuse_full[];
extern const char json_direct_refuse_per_address[];

/* tunnel.c: answers /api/v1/stream[/ID] (SSE) and /api/v1/poll[/ID] (long-poll); false if the
 * path is neither. */
bool json_tunnel_handle(const http_request_t *r);
/* Tunnelled sessions alive now (those in their grace period included). */
unsigned json_tunnels_open(void);
/* Frees every tunnel (shutdown, after json_ws_close_all). */
void json_tunnels_free_all(void);

/* The WebSocket handler of the JSON protocol (GET /ws). */
extern const ws_handler_t json_ws_handler;

/* auth_changed_fn with ud = the auth_t that changed acc: re-identifies the sessions of acc in
 * that service's group (validated while connected) and tells them with an "account" event. */
void json_account_changed(void *ud, const store_account_t *acc);
/* auth_revoked_fn (ud: the group's auth_t): closes the connections that said hello with revoked
 * tokens (close 1008). */
void json_tokens_revoked(void *ud, int64_t account, uint64_t tag, bool all_but);

/* Closes the sessions of chat group g that said no hello with a token (guests, and connections
 * that said no hello yet), with code and reason (guests no longer admitted). */
void json_ws_close_guests(const struct group *g, uint16_t code, const char *reason);

/* Closes every JSON session, whatever its transport, with code and reason, and ends it; detached
 * sessions end too (shutdown). */
void json_ws_close_all(uint16_t code, const char *reason);

#endif
