/* One JSON client session over any transport (json_transport_t: WebSocket, direct socket, SSE,
 * long-poll): parses commands, calls the core, sends replies, and receives the core's events
 * (encoded once per event and wire format into a shared buffer, see deliver()). The transports
 * are websocket.c, direct.c and tunnel.c; resuming a session on another one is resume.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json/session_int.h"
#include "util/flood.h"
#include "util/log.h"
#include "util/xmalloc.h"

static list_t sessions = {&sessions, &sessions};

/* The say being handled, for a store-less core that acks inside core_say (one loop thread, so one
 * at a time; kept here rather than in every session). */
static struct {
    jsess_t *js;
    json_t *id;
} saying;

typedef int (*cmd_fn)(jsess_t *js, json_t *req, json_t **result);

/* ---- sending ---- */

rbuf_t *json_encode(int slot, const json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    rbuf_t *b;
    if (slot == CORE_SLOT_JSON_WS) {
        b = ws_frame_text(s, len);
    } else {
        b = rbuf_new(len + 1);
        memcpy(b->data, s, len);
        b->data[len] = '\n';
    }
    free(s);
    return b;
}

rbuf_t *json_reencode(rbuf_t *b, int from, int to)
{
    if (from == to)
        return rbuf_ref(b);
    if (from == CORE_SLOT_JSON_LINE)
        return ws_frame_text(b->data, b->len - 1); /* without its "\n" */
    /* an unmasked server frame: 2 header bytes, then a 2- or 8-byte length for 126 and 127 */
    size_t len7 = (unsigned char)b->data[1] & 0x7f;
    size_t head = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
    rbuf_t *out = rbuf_new(b->len - head + 1);
    memcpy(out->data, b->data + head, b->len - head);
    out->data[out->len - 1] = '\n';
    return out;
}

rbuf_t *json_close_line(uint16_t code, const char *reason)
{
    json_t *o = json_pack("{s:s,s:i,s:s}", "type", "close", "code", code, "reason", reason);
    rbuf_t *b = json_encode(CORE_SLOT_JSON_LINE, o);
    json_decref(o);
    return b;
}

void jsess__send(jsess_t *js, rbuf_t *b)
{
    js->seq++;
    if (js->resume)
        jresume__sent(js, b);
    if (js->tr && js->tr->send(js->t, js->seq, b) == -ENOBUFS)
        js->ending = true; /* a slow reader: its transport closes it, no resume */
}

void jsess__send_obj(jsess_t *js, json_t *obj)
{
    rbuf_t *b = json_encode(js->slot, obj);
    json_decref(obj);
    if (b == NULL)
        return;
    jsess__send(js, b);
    rbuf_unref(b);
}

/* id may be NULL (sent as null). */
static void send_ok(jsess_t *js, json_t *id, json_t *result)
{
    json_t *o = json_pack("{s:s,s:O}", "type", "ok", "id", id ? id : json_null());
    if (result) {
        json_object_update(o, result);
        json_decref(result);
    }
    jsess__send_obj(js, o);
}

static void send_error(jsess_t *js, json_t *id, const char *code, const char *message)
{
    jsess__send_obj(js, json_pack("{s:s,s:O,s:s,s:s}", "type", "error", "id", id ? id : json_null(),
                                  "code", code, "message", message));
}

static void send_core_error(jsess_t *js, json_t *id, int err)
{
    send_error(js, id, core_err_code(err), core_err_message(err));
}

/* The moderated error quotes the refused text back (PROTOCOL.md, "Error codes"), which
 * core_err_message() cannot; text is the request's "text" as the client sent it. */
static void send_moderated(jsess_t *js, json_t *id, json_t *text)
{
    static const char pre[] = "Possible objectionable message NOT sent: \"";
    size_t tl = json_string_length(text), pl = sizeof(pre) - 1;
    char *msg = xmalloc(pl + tl + 1);
    memcpy(msg, pre, pl);
    memcpy(msg + pl, json_string_value(text), tl);
    msg[pl + tl] = '"';
    jsess__send_obj(js,
                    json_pack("{s:s,s:O,s:s,s:s%}", "type", "error", "id", id ? id : json_null(),
                              "code", core_err_code(CORE_EMODERATED), "message", msg, pl + tl + 1));
    free(msg);
}

/* ---- session_ops: events from the core ---- */

static void deliver(void *ctx, core_event_t *ev)
{
    jsess_t *js = ctx;
    rbuf_t **slot = &ev->enc[js->slot];
    if (*slot == NULL) {
        /* first recipient on this wire format: encode the whole frame (or line) once */
        json_t *o = json_event(ev);
        *slot = o ? json_encode(js->slot, o) : NULL;
        json_decref(o);
        if (*slot == NULL)
            return;
    }
    jsess__send(js, *slot);
}

static void say_done(void *ctx, uint64_t msg_id, int status)
{
    jsess_t *js = ctx;
    json_t *id = NULL;
    int64_t ts = 0;
    for (size_t i = 0; i < js->npending; i++) {
        if (js->pending[i].msg_id == msg_id) {
            id = js->pending[i].id;
            ts = js->pending[i].ts;
            js->pending[i] = js->pending[--js->npending];
            if (js->npending == 0) {
                free(js->pending); /* idle sessions keep no array */
                js->pending = NULL;
                js->cap = 0;
            }
            break;
        }
    }
    if (id == NULL) {
        if (saying.js != js || saying.id == NULL)
            return;
        id = json_incref(saying.id);
        ts = app_now_ms();
        saying.id = NULL; /* answered synchronously */
    }
    if (status == 0)
        send_ok(js, id, json_pack("{s:I,s:I}", "msg_id", (json_int_t)msg_id, "ts", (json_int_t)ts));
    else
        send_core_error(js, id, status);
    json_decref(id);
}

static const session_ops_t json_session_ops = {.deliver = deliver, .say_done = say_done};

/* ---- argument helpers ---- */

/* The room a command names. Entering and listing say no_such_room for an unknown name; every
 * other command says not_in_room, which is true and gives no hint whether the room exists. A
 * private room is found only by the two in it (and core_enter refuses it). */
static int arg_room_as(jsess_t *js, json_t *req, room_t **out, int missing)
{
    return json_arg_room(js->s, req, missing, out);
}

static int arg_room(jsess_t *js, json_t *req, room_t **out)
{
    return arg_room_as(js, req, out, CORE_ENOTINROOM);
}

/* ---- commands ---- */

/* The accounts service of the client's chat group. */
static auth_t *js_auth(const jsess_t *js)
{
    return js->group->auth;
}

static core_identity_t identity_of(const store_account_t *acc)
{
    /* A sysop whose one-time password is not changed yet has no sysop rights (as over REST). */
    bool registered = acc->cls == 2;
    return (core_identity_t){.account = acc->name,
                             .cls = registered ? CORE_CLASS_REGISTERED : CORE_CLASS_PROVISIONAL,
                             .sysop = acc->sysop && registered && !acc->must_change};
}

static const char *class_name(core_class_t cls)
{
    return cls == CORE_CLASS_REGISTERED    ? "registered"
           : cls == CORE_CLASS_PROVISIONAL ? "provisional"
                                           : "guest";
}

static void restore_ignore(void *ud, const char *nick)
{
    core_ignore(ud, nick); /* a nick now invalid or reserved is skipped */
}

/* hello with a token: the session becomes the account, its nick the account's name. Answers
 * itself (DEFERRED) when it refuses with an accounts error. */
static int hello_account(jsess_t *js, json_t *id, const char *token, const char *nick,
                         const char *colour)
{
    auth_t *a = js_auth(js);
    store_account_t acc;
    int rc = auth_token_account(a, token, &acc);
    if (rc < 0) {
        send_error(js, id, auth_err_code(rc), "the token is unknown or expired: log in again");
        return DEFERRED;
    }
    if (nick && strcmp(nick, acc.name) != 0) {
        send_error(js, id, "bad_request", "nick must be the account's name (or left out)");
        rc = DEFERRED;
    } else if (acc.cls != 2 && !group_allow_guests(js->group)) {
        send_error(js, id, "validation_required",
                   "this server admits validated accounts only: follow the link in your mail");
        rc = DEFERRED;
    }
    if (rc == 0) {
        core_identity_t ident = identity_of(&acc);
        core_session_identify(js->s, &ident);
        rc = core_hello(js->s, acc.name, colour ? colour : acc.colour);
        if (rc < 0) {
            core_identity_t guest = {0};
            core_session_identify(js->s, &guest);
        }
    }
    if (rc == 0) {
        js->account = acc.id;
        js->token_tag = auth_token_tag(token);
        if (colour && (acc.colour == NULL || strcmp(acc.colour, colour) != 0))
            auth_set_colour(a, acc.id, core_session_colour(js->s));
        auth_ignores(a, acc.id, restore_ignore, js->s);
    }
    store_account_deinit(&acc);
    return rc;
}

static int cmd_hello(jsess_t *js, json_t *req, json_t **result)
{
    const char *nick = NULL, *colour = NULL, *token = NULL;
    json_t *c = json_object_get(req, "colour");
    json_t *n = json_object_get(req, "nick");
    json_t *t = json_object_get(req, "token");
    json_t *id = json_object_get(req, "id");
    if ((t == NULL && !json_is_string(n)) || (n && !json_is_string(n)) ||
        (c && !json_is_string(c)) || (t && !json_is_string(t)))
        return CORE_EBADREQ;
    if (n && json_arg_str(req, "nick", &nick) < 0)
        return CORE_ENICKINVALID; /* an embedded NUL */
    if (c)
        colour = json_string_value(c);
    if (core_session_ready(js->s))
        return CORE_EALREADYHELLO;
    int rc = 0;
    if (t) {
        token = json_string_value(t);
        rc = hello_account(js, id, token, nick, colour);
    } else if (!group_allow_guests(js->group)) {
        send_error(js, id, "guests_not_allowed", "this server admits accounts only: log in");
        rc = DEFERRED;
    } else if (core_check_nick(nick) == 0 && auth_name_is_account(js_auth(js), nick)) {
        send_error(js, id, "nick_registered", "that nick is an account's name: log in to use it");
        rc = DEFERRED;
    } else {
        rc = core_hello(js->s, nick, colour);
    }
    if (rc != 0)
        return rc;
    *result = json_pack("{s:s,s:s,s:s,s:b}", "nick", core_session_nick(js->s), "colour",
                        core_session_colour(js->s), "class", class_name(core_session_class(js->s)),
                        "sysop", core_session_sysop(js->s));
    jresume__start(js, *result);
    return 0;
}

void json_tokens_revoked(void *ud, int64_t account, uint64_t tag, bool all_but)
{
    list_foreach_safe(it, tmp, &sessions)
    {
        jsess_t *js = list_entry(it, jsess_t, node);
        if (js->account != account || js_auth(js) != ud || (js->token_tag == tag) == all_but)
            continue;
        jsess__end(js, 1008,
                   all_but ? "the password was changed: log in again" : "logged out: log in again");
    }
}

void json_account_changed(void *ud, const store_account_t *acc)
{
    core_identity_t ident = identity_of(acc);
    list_foreach(it, &sessions)
    {
        jsess_t *js = list_entry(it, jsess_t, node);
        if (js->account != acc->id || js_auth(js) != ud)
            continue;
        core_session_identify(js->s, &ident);
        jsess__send_obj(js, json_pack("{s:s,s:s,s:s,s:b}", "type", "account", "name", acc->name,
                                      "class", class_name(ident.cls), "sysop", ident.sysop));
    }
}

struct room_list {
    json_t *a;
    const session_t *s;
};

/* Rooms the session has no right in are left out, with no hint that they exist. */
static void add_room(void *ud, room_t *r)
{
    struct room_list *rl = ud;
    core_right_t right = core_right(rl->s, r, 0);
    if (right == CORE_RIGHT_NONE)
        return;
    json_t *o = json_room_summary(r);
    json_object_set_new(o, "right", json_string(core_right_name(right)));
    json_array_append_new(rl->a, o);
}

static int cmd_rooms(jsess_t *js, json_t *req, json_t **result)
{
    json_t *a = json_array();
    struct room_list rl = {a, js->s};
    core_rooms_foreach(js->group->core, add_room, &rl);
    *result = json_pack("{s:o}", "rooms", a);
    return 0;
}

static int cmd_enter(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    table_t *t;
    json_t *lurk = json_object_get(req, "lurk");
    if (lurk && !json_is_boolean(lurk))
        return CORE_EBADREQ;
    int rc = arg_room_as(js, req, &r, CORE_ENOROOM);
    if (rc == 0)
        rc = core_enter(js->s, r, json_is_true(lurk), &t);
    if (rc < 0)
        return rc;
    *result = json_enter_result(js->s, r, t);
    return 0;
}

static int cmd_tables(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    int rc = arg_room_as(js, req, &r, CORE_ENOROOM);
    if (rc == 0 && core_right(js->s, r, 0) == CORE_RIGHT_NONE)
        rc = CORE_ENOROOM; /* as if it did not exist */
    if (rc < 0)
        return rc;
    json_t *a = json_array();
    for (table_t *t = room_table_first(r); t; t = room_table_next(t))
        if (core_right(js->s, r, table_number(t)) > CORE_RIGHT_NONE)
            json_array_append_new(a, json_table_summary(t));
    *result = json_pack("{s:s,s:o}", "room", room_name(r), "tables", a);
    return 0;
}

static int cmd_hop(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    table_t *t;
    json_t *num = json_object_get(req, "table");
    if (!json_is_integer(num))
        return CORE_EBADREQ;
    json_int_t n = json_integer_value(num);
    int rc = arg_room(js, req, &r);
    if (rc < 0)
        return rc;
    if (n < 1 || n > UINT32_MAX)
        return core_session_table(js->s, r) ? CORE_ENOTABLE : CORE_ENOTINROOM;
    rc = core_hop(js->s, r, (uint32_t)n, &t);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:o,s:o,s:s}", "table", json_table_view(t), "history",
                        json_table_history(js->s, t), "right",
                        core_right_name(core_right(js->s, r, table_number(t))));
    return 0;
}

static int cmd_leave(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    int rc = arg_room(js, req, &r);
    if (rc < 0)
        return rc;
    json_t *res = json_pack("{s:s}", "room", room_name(r)); /* leaving may free a private room */
    rc = core_leave(js->s, r);
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *result = res;
    return 0;
}

static int cmd_say(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    const char *text;
    uint64_t msg_id;
    int64_t ts;
    if (json_arg_str(req, "text", &text) < 0)
        return CORE_EBADREQ;
    int rc = arg_room(js, req, &r);
    if (rc < 0)
        return rc;
    json_t *id = json_object_get(req, "id");
    saying.js = js;
    saying.id = id ? id : json_null();
    rc = core_say(js->s, r, text, json_string_length(json_object_get(req, "text")), &msg_id, &ts);
    bool answered = saying.id == NULL;
    saying.js = NULL;
    saying.id = NULL;
    if (rc < 0 || answered)
        return rc < 0 ? rc : DEFERRED;
    if (js->npending == js->cap) {
        js->cap = js->cap ? js->cap * 2 : 4;
        js->pending = xrealloc(js->pending, js->cap * sizeof(*js->pending));
    }
    js->pending[js->npending++] = (pending_say_t){msg_id, ts, json_incref(id ? id : json_null())};
    return DEFERRED;
}

static int cmd_pm(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    const char *to, *text;
    uint64_t msg_id;
    int64_t ts;
    if (json_arg_str(req, "to", &to) < 0 || json_arg_str(req, "text", &text) < 0)
        return CORE_EBADREQ;
    int rc = arg_room(js, req, &r);
    if (rc == 0)
        rc = core_pm(js->s, r, to, text, json_string_length(json_object_get(req, "text")), &msg_id,
                     &ts);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:I,s:I}", "msg_id", (json_int_t)msg_id, "ts", (json_int_t)ts);
    return 0;
}

static int cmd_members(jsess_t *js, json_t *req, json_t **result)
{
    room_t *r;
    int rc = arg_room(js, req, &r);
    if (rc < 0)
        return rc;
    table_t *t = core_session_table(js->s, r);
    if (t == NULL)
        return CORE_ENOTINROOM;
    *result = json_table_view(t);
    return 0;
}

static int cmd_colour(jsess_t *js, json_t *req, json_t **result)
{
    const char *colour;
    if (json_arg_str(req, "colour", &colour) < 0)
        return CORE_EBADREQ;
    int rc = core_set_colour(js->s, colour);
    if (rc < 0)
        return rc;
    if (js->account)
        auth_set_colour(js_auth(js), js->account, core_session_colour(js->s));
    *result = json_pack("{s:s}", "colour", core_session_colour(js->s));
    return 0;
}

/* A guest's new nick, with hello's rules; an account's nick is its name (forbidden). */
static int cmd_nick(jsess_t *js, json_t *req, json_t **result)
{
    const char *nick;
    if (json_arg_str(req, "nick", &nick) < 0)
        return CORE_EBADREQ;
    if (core_check_nick(nick) == 0 && auth_name_is_account(js_auth(js), nick) &&
        core_session_account(js->s) == NULL) {
        send_error(js, json_object_get(req, "id"), "nick_registered",
                   "that nick is an account's name: log in to use it");
        return DEFERRED;
    }
    int rc = core_session_rename(js->s, nick);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s}", "nick", core_session_nick(js->s));
    return 0;
}

/* An account's ignore list is kept in the store too, and restored at its next hello. */
static int persist_ignore(jsess_t *js, json_t *req, int rc, bool on)
{
    if (rc == 0 && js->account)
        auth_ignore(js_auth(js), js->account, json_string_value(json_object_get(req, "nick")), on);
    return rc;
}

static int cmd_ignore(jsess_t *js, json_t *req, json_t **result)
{
    return persist_ignore(js, req, json_private_ignore(js->s, req, result), true);
}

static int cmd_unignore(jsess_t *js, json_t *req, json_t **result)
{
    return persist_ignore(js, req, json_private_unignore(js->s, req, result), false);
}

static int cmd_ping(jsess_t *js, json_t *req, json_t **result)
{
    *result = json_pack("{s:I}", "ts", (json_int_t)app_now_ms());
    return 0;
}

/* Ends the session at once, with no resume: the answer, then the close (1000 "quit"). */
static int cmd_quit(jsess_t *js, json_t *req, json_t **result)
{
    send_ok(js, json_object_get(req, "id"), NULL);
    jsess__end(js, 1000, "quit");
    return DEFERRED;
}

/* The command table: name, handler (fn, or sfn for a command that needs only the core session),
 * whether hello must have succeeded, and the flood cost: what
 * the command takes from the session's command allowance (2 for those that fan out to table-mates
 * or send a room's list or history), and whether it also takes one message from the message
 * allowance. */
static const struct command {
    const char *type;
    cmd_fn fn;
    int (*sfn)(session_t *s, json_t *req, json_t **result);
    bool needs_hello;
    uint8_t cost;
    bool message;
} commands[] = {
    {"hello", cmd_hello, NULL, false, 1, false},
    {"ping", cmd_ping, NULL, false, 1, false},
    {"resume", jresume__cmd, NULL, false, 2, false},
    {"quit", cmd_quit, NULL, false, 1, false},
    {"rooms", cmd_rooms, NULL, true, 2, false},
    {"enter", cmd_enter, NULL, true, 2, false},
    {"tables", cmd_tables, NULL, true, 1, false},
    {"hop", cmd_hop, NULL, true, 2, false},
    {"leave", cmd_leave, NULL, true, 2, false},
    {"say", cmd_say, NULL, true, 1, true},
    {"pm", cmd_pm, NULL, true, 1, true},
    {"members", cmd_members, NULL, true, 1, false},
    {"colour", cmd_colour, NULL, true, 2, false},
    {"nick", cmd_nick, NULL, true, 2, false},
    {"ignore", cmd_ignore, NULL, true, 1, false},
    {"unignore", cmd_unignore, NULL, true, 1, false},
    {"ignored", NULL, json_private_ignored, true, 1, false},
    {"invite", NULL, json_private_invite, true, 2, false},
    {"accept", NULL, json_private_accept, true, 2, false},
    {"decline", NULL, json_private_decline, true, 1, false},
    {"eject", NULL, json_host_eject, true, 2, false},
    {"broadcast", NULL, json_host_broadcast, true, 2, true},
    {"edit_room", NULL, json_host_edit_room, true, 2, false},
    {"edit_table", NULL, json_host_edit_table, true, 2, false},
    {"stage", NULL, json_host_stage, true, 2, false},
    /* recording and playback (record.c) */
    {"record", NULL, json_rec_record, true, 2, false},
    {"recordings", NULL, json_rec_recordings, true, 2, false},
    {"delete_recording", NULL, json_rec_delete, true, 2, false},
    {"play", NULL, json_rec_play, true, 2, false},
    {"stop_play", NULL, json_rec_stop_play, true, 2, false},
    {"events", NULL, json_event_list, true, 1, false},
    {"join_event", NULL, json_event_join, true, 2, false},
    {"leave_event", NULL, json_event_leave, true, 2, false},
    {"watch", NULL, json_event_watch, true, 2, false},
    {"unwatch", NULL, json_event_unwatch, true, 1, false},
    {"forward", NULL, json_event_forward, true, 2, true},
    {"end_event", NULL, json_event_end, true, 2, false},
};

/* Flood control (docs/PROTOCOL.md, "Flood control"). Every client message, even one that cannot
 * be read, takes its cost (1 if it names no command) from the command allowance, and a say or pm
 * one message from the message allowance; a message over either is answered rate_limited and not
 * run. The tokens of a command refused by the message allowance stay spent: the server did read
 * it. Refusals are counted in a third bucket that forgives one a second; the refusal that finds it
 * empty closes the connection. Returns false if the command must not run; the connection may be
 * closed (and js freed) by then. */
static bool flood_allow(jsess_t *js, json_t *id, const struct command *cmd)
{
    app_t *app = js->group->app;
    int v = flood_take(&app->cfg->flood, &js->commands, &js->messages, &js->violations,
                       uv_now(app->loop), cmd ? cmd->cost : 1, cmd && cmd->message);
    if (v == FLOOD_OK)
        return true;
    server_stats_t *st = server_stats(app->server);
    st->rate_limited++;
    send_error(js, id, "rate_limited",
               v & FLOOD_MESSAGES ? "slow down: too many messages"
                                  : "slow down: too many commands");
    if (v & FLOOD_EXCESS) {
        char peer[64];
        js->tr->peer(js->t, peer, sizeof(peer));
        log_info("closing flooding client %s (%s)", peer,
                 core_session_ready(js->s) ? core_session_nick(js->s) : "before hello");
        st->flood_dropped++;
        jsess__end(js, 1008, "flood: too many rate-limited commands");
    }
    return false;
}

static bool valid_id(json_t *id)
{
    if (id == NULL || json_is_null(id))
        return true;
    if (json_is_integer(id)) {
        json_int_t v = json_integer_value(id);
        return v > -(1LL << 53) && v < (1LL << 53);
    }
    return json_is_string(id) && json_string_length(id) <= 64;
}

static const struct command *command_find(json_t *type)
{
    for (size_t i = 0; json_is_string(type) && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].type, json_string_value(type)) == 0)
            return &commands[i];
    return NULL;
}

void json_session_input(jsess_t *js, const char *msg, size_t len)
{
    json_error_t jerr;
    json_t *req = json_loadb(msg, len, JSON_ALLOW_NUL, &jerr);
    json_t *id = NULL, *type = NULL;
    if (json_is_object(req)) {
        id = json_object_get(req, "id");
        type = json_object_get(req, "type");
    }
    const struct command *cmd = command_find(type);
    if (!flood_allow(js, valid_id(id) ? id : NULL, cmd))
        goto out; /* js may be gone */
    if (!json_is_object(req)) {
        send_error(js, NULL, "bad_json",
                   req ? "a message must be a JSON object" : "the message is not valid JSON");
        goto out;
    }
    if (!valid_id(id)) {
        send_error(js, NULL, "bad_request",
                   "id must be an integer or a string of at most 64 bytes");
        goto out;
    }
    if (!json_is_string(type)) {
        send_error(js, id, "bad_request", "type must be a string");
        goto out;
    }
    if (cmd == NULL) {
        send_error(js, id, "unknown_type", "no such command");
        goto out;
    }
    if (cmd->needs_hello && !core_session_ready(js->s)) {
        send_core_error(js, id, CORE_EHELLOFIRST);
        goto out;
    }
    json_t *result = NULL;
    int rc = cmd->fn ? cmd->fn(js, req, &result) : cmd->sfn(js->s, req, &result);
    if (rc == DEFERRED)
        goto out;
    if (rc == CORE_EMODERATED)
        send_moderated(js, id, json_object_get(req, "text"));
    else if (rc < 0)
        send_core_error(js, id, rc);
    else
        send_ok(js, id, result);
out:
    json_decref(req);
}

/* The client's address for guest bans: an IPv4 address, or the /64 network of an IPv6 one (as for
 * the per-address connection limit), since one host easily changes addresses within its /64. */
void jsess__set_address(jsess_t *js)
{
    char peer[80];
    unsigned char a6[16];
    js->tr->peer(js->t, peer, sizeof(peer));
    char *port = strrchr(peer, ':'); /* "ip:port", also for IPv6 */
    if (port)
        *port = '\0';
    if (inet_pton(AF_INET6, peer, a6) == 1) {
        memset(a6 + 8, 0, 8);
        inet_ntop(AF_INET6, a6, peer, sizeof(peer));
    }
    core_session_set_address(js->s, peer);
}

jsess_t *json_session_new(const json_transport_t *tr, void *t, group_t *g, json_t *welcome_extra)
{
    app_t *app = g->app;
    jsess_t *js = xcalloc(1, sizeof(*js));
    js->tr = tr;
    js->t = t;
    js->slot = (uint8_t)tr->slot;
    js->group = g;
    js->s = core_session_new(g->core, &json_session_ops, js);
    g->connections++;
    jsess__set_address(js);
    uint64_t now = uv_now(app->loop);
    bucket_init(&js->commands, now);
    bucket_init(&js->messages, now);
    bucket_init(&js->violations, now);
    list_push_back(&sessions, &js->node);
    const config_t *cfg = app->cfg;
    json_t *w = json_pack("{s:s,s:s,s:s,s:i,s:{s:I,s:I,s:i}}", "type", "welcome", "server",
                          "parley", "version", PARLEY_VERSION, "protocol", PARLEY_PROTOCOL,
                          "limits", "max_message", (json_int_t)cfg->max_message, "max_text",
                          (json_int_t)cfg->max_text, "history_on_entry", cfg->history_on_entry);
    if (welcome_extra)
        json_object_update(w, welcome_extra);
    jsess__send_obj(js, w);
    return js;
}

void json_session_gone(jsess_t *js)
{
    js->tr = NULL;
    js->t = NULL;
    if (js->ending || js->resume == NULL || js->group->app->stopping)
        json_session_free(js);
    else
        jresume__detach(js);
}

void jsess__end(jsess_t *js, uint16_t code, const char *reason)
{
    const json_transport_t *tr = js->tr;
    js->tr = NULL;
    js->ending = true;
    if (tr)
        tr->close(js->t, code, reason);
    json_session_free(js);
}

void json_session_free(jsess_t *js)
{
    if (js == NULL)
        return;
    jresume__free(js);
    list_remove(&js->node);
    core_session_free(js->s);
    js->group->connections--;
    for (size_t i = 0; i < js->npending; i++)
        json_decref(js->pending[i].id);
    free(js->pending);
    free(js);
}

void json_ws_close_guests(const group_t *g, uint16_t code, const char *reason)
{
    list_foreach_safe(it, tmp, &sessions)
    {
        jsess_t *js = list_entry(it, jsess_t, node);
        if (js->group == g && js->account == 0)
            jsess__end(js, code, reason);
    }
}

void json_ws_close_all(uint16_t code, const char *reason)
{
    list_foreach_safe(it, tmp, &sessions)
    {
        jsess_t *js = list_entry(it, jsess_t, node);
        jsess__end(js, code, reason);
    }
}
