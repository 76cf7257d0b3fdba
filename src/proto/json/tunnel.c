/* HTTP tunnels for clients that cannot open a WebSocket (docs/PROTOCOL.md, "SSE" and
 * "Long-poll"): one JSON session whose messages go down a Server-Sent Events stream or back in
 * long-poll answers, and whose commands come up in POST requests.
 *
 * A tunnel outlives its HTTP requests. It keeps the messages it sent in a queue numbered by the
 * session's sequence (the welcome is 1; a resumed session goes on with its own numbers): SSE drops
 * those already written once the queue passes the output cap, long-poll those the client
 * acknowledged (since=N); a queue past the cap with nothing it may drop is a slow reader, closed.
 * With no stream open and no poll waiting, the tunnel lives for [server] tunnel_grace seconds, then
 * it is freed and its session is detached (json_session_gone: it may be resumed) or ends.
 *
 * Tunnels are freed only from their own timers (never inside a fan-out or a request handler that
 * still uses them): a closed tunnel keeps its close message for the client until delivered or
 * until the grace period ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>
#include <sodium.h>

#include "group.h"
#include "http/rest.h"
#include "net/server.h"
#include "proto/json/json_proto.h"
#include "proto/json/sse.h"
#include "util/log.h"
#include "util/xmalloc.h"

#include <uthash.h> /* group.h sets its allocator */

#define ID_BYTES     16
#define TOKEN_BYTES  32
#define HEARTBEAT_MS 25000
#define POLL_WAIT_MS 25000
#define MAX_BATCH    64 /* commands in one POST */

typedef struct tmsg {
    uint64_t seq;
    rbuf_t *line; /* "JSON\n" */
} tmsg_t;

typedef struct tunnel {
    char id[ID_BYTES * 2 + 1];
    char token[TOKEN_BYTES * 2 + 1];
    UT_hash_handle hh;
    group_t *group;
    jsess_t *js; /* NULL once closed */
    bool sse;    /* else long-poll */
    bool closed; /* the close message is queued; no more input */
    bool done;   /* the close message reached the client: free at the next kick */
    bool slow;   /* over the output cap: close at the next kick */
    server_peer_t *peer;
    char peer_name[64];
    /* messages sent, oldest first: a ring */
    tmsg_t *q;
    unsigned qhead, qlen, qcap;
    size_t qbytes;
    uint64_t last;    /* the seq of the newest message queued */
    uint64_t popped;  /* the seq of the newest message dropped from the queue */
    uint64_t acked;   /* long-poll: the last seq the client acknowledged */
    conn_t *stream;   /* SSE: the open stream */
    uint64_t written; /* SSE: the last seq written to a stream */
    http_later_t *poll;
    uint64_t poll_since;
    uv_timer_t timer; /* heartbeat, poll wait or grace period */
    uv_timer_t kick;  /* 0 ms: work that must wait for the next loop pass */
    int handles;      /* open uv handles; the tunnel is freed after the last one's close */
} tunnel_t;

static tunnel_t *tunnels;
static unsigned ntunnels;

static const json_transport_t sse_transport, poll_transport;

static app_t *tun_app(const tunnel_t *t)
{
    return t->group->app;
}

/* ---- the queue ---- */

static void q_push(tunnel_t *t, uint64_t seq, rbuf_t *line)
{
    if (t->qlen == t->qcap) {
        unsigned cap = t->qcap ? t->qcap * 2 : 8;
        tmsg_t *q = xmalloc(cap * sizeof(*q));
        for (unsigned i = 0; i < t->qlen; i++)
            q[i] = t->q[(t->qhead + i) % t->qcap];
        free(t->q);
        t->q = q;
        t->qcap = cap;
        t->qhead = 0;
    }
    t->q[(t->qhead + t->qlen) % t->qcap] = (tmsg_t){seq, rbuf_ref(line)};
    t->last = seq;
    t->qlen++;
    t->qbytes += line->len;
}

static tmsg_t *q_at(const tunnel_t *t, unsigned i)
{
    return &t->q[(t->qhead + i) % t->qcap];
}

static void q_pop(tunnel_t *t)
{
    tmsg_t *m = q_at(t, 0);
    t->popped = m->seq;
    t->qbytes -= m->line->len;
    rbuf_unref(m->line);
    t->qhead = (t->qhead + 1) % t->qcap;
    if (--t->qlen == 0) {
        free(t->q); /* an idle tunnel keeps no queue */
        t->q = NULL;
        t->qcap = t->qhead = 0;
    }
}

/* ---- timers and freeing ---- */

static void on_handle_closed(uv_handle_t *h)
{
    tunnel_t *t = h->data;
    if (--t->handles == 0)
        free(t);
}

static void stream_write(tunnel_t *t, const tmsg_t *m, bool force);

/* Unlinks t, ends its requests and frees it (after its timers' close callbacks). */
static void tunnel_free(tunnel_t *t)
{
    HASH_DEL(tunnels, t);
    ntunnels--;
    if (t->js) {
        jsess_t *js = t->js;
        t->js = NULL;
        json_session_gone(js); /* detached, if it may be resumed */
    }
    if (t->stream) {
        conn_t *c = t->stream;
        t->stream = NULL;
        conn_set_handler(c, NULL, NULL);
        conn_close(c, true);
    }
    if (t->poll) {
        http_later_on_gone(t->poll, NULL, NULL); /* answering may close the connection */
        const http_request_t *r = http_later_request(t->poll);
        if (r)
            http_respond_error(r, 404, "no_such_session", "the session has ended");
        http_later_end(t->poll);
        t->poll = NULL;
    }
    while (t->qlen > 0)
        q_pop(t);
    server_peer_release(tun_app(t)->server, t->peer);
    uv_close((uv_handle_t *)&t->timer, on_handle_closed);
    uv_close((uv_handle_t *)&t->kick, on_handle_closed);
}

static void on_kick(uv_timer_t *h);

static void kick(tunnel_t *t)
{
    if (!uv_is_active((uv_handle_t *)&t->kick))
        uv_timer_start(&t->kick, on_kick, 0, 0);
}

static void on_timer(uv_timer_t *h);

static void grace_start(tunnel_t *t)
{
    uv_timer_start(&t->timer, on_timer, (uint64_t)tun_app(t)->cfg->tunnel_grace * 1000, 0);
}

/* ---- sending ---- */

/* Writes one queued message to the SSE stream: "id: SEQ\ndata: " + the shared line + "\n". */
static void stream_write(tunnel_t *t, const tmsg_t *m, bool force)
{
    rbuf_t *head = sse_event_head(m->seq), *tail = sse_event_tail();
    int rc = force ? conn_send_force(t->stream, head) : conn_send(t->stream, head);
    if (rc == 0) {
        conn_send_force(t->stream, m->line);
        conn_send_force(t->stream, tail);
        t->written = m->seq;
    } else if (rc == -ENOBUFS) {
        t->slow = true;
        kick(t);
    }
    rbuf_unref(head);
    rbuf_unref(tail);
}

/* Queues one message and writes it to the stream or wakes the waiting poll. */
static void tunnel_push(tunnel_t *t, uint64_t seq, rbuf_t *line, bool force)
{
    q_push(t, seq, line);
    size_t cap = server_options(tun_app(t)->server)->output_cap;
    if (t->stream)
        stream_write(t, q_at(t, t->qlen - 1), force);
    if (t->sse)
        while (t->qbytes > cap && t->qlen > 1 && q_at(t, 0)->seq <= t->written)
            q_pop(t);
    if (t->qbytes > cap && !force) {
        t->slow = true;
        kick(t);
    }
    if (t->poll)
        kick(t);
}

static int tr_send(void *p, uint64_t seq, rbuf_t *line)
{
    tunnel_t *t = p;
    if (t->closed || t->slow)
        return -EPIPE;
    tunnel_push(t, seq, line, false);
    return t->slow ? -ENOBUFS : 0;
}

/* Queues the close message (numbered after the last message) and forgets the session
 * (json_transport_t's contract); the tunnel stays until the client has the message or the grace
 * period ends. */
static void tr_close(void *p, uint16_t code, const char *reason)
{
    tunnel_t *t = p;
    if (t->closed)
        return;
    t->closed = true;
    t->js = NULL;
    rbuf_t *b = json_close_line(code, reason);
    tunnel_push(t, t->last + 1, b, true);
    rbuf_unref(b);
    server_peer_release(tun_app(t)->server, t->peer);
    t->peer = NULL;
    if (t->stream) {
        t->done = true; /* written: end the stream once it is flushed */
        kick(t);
    }
}

static void tr_peer(void *p, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", ((tunnel_t *)p)->peer_name);
}

static void tr_rebind(void *p, jsess_t *js)
{
    ((tunnel_t *)p)->js = js;
}

/* Closes the tunnel and ends its session (a close the tunnel decides). */
static void tunnel_end(tunnel_t *t, uint16_t code, const char *reason)
{
    jsess_t *js = t->js;
    tr_close(t, code, reason);
    json_session_free(js);
}

static const json_transport_t sse_transport = {
    "sse", CORE_SLOT_JSON_LINE, tr_send, tr_close, tr_peer, tr_rebind};
static const json_transport_t poll_transport = {
    "poll", CORE_SLOT_JSON_LINE, tr_send, tr_close, tr_peer, tr_rebind};

/* ---- long-poll answers ---- */

/* Answers the waiting poll with every message after its since (possibly none). */
static void poll_answer(tunnel_t *t)
{
    http_later_t *l = t->poll;
    t->poll = NULL;
    http_later_on_gone(l, NULL, NULL); /* answering may close the connection */
    const http_request_t *r = http_later_request(l);
    bool closing = false;
    if (r) {
        size_t len = 2;
        for (unsigned i = 0; i < t->qlen; i++)
            if (q_at(t, i)->seq > t->poll_since)
                len += q_at(t, i)->line->len + 1;
        char *body = xmalloc(len), *p = body;
        *p++ = '[';
        for (unsigned i = 0; i < t->qlen; i++) {
            const tmsg_t *m = q_at(t, i);
            if (m->seq <= t->poll_since)
                continue;
            if (p > body + 1)
                *p++ = ',';
            memcpy(p, m->line->data, m->line->len);
            p += m->line->len;
        }
        *p++ = ']';
        http_respond(r, 200, "application/json", body, (size_t)(p - body),
                     "Cache-Control: no-store\r\n", false);
        free(body);
        closing = t->closed && t->last > t->poll_since;
    }
    http_later_end(l);
    if (closing)
        t->done = true; /* the close message went out */
}

/* ---- timers ---- */

static void on_kick(uv_timer_t *h)
{
    tunnel_t *t = h->data;
    if (t->slow && !t->closed) {
        char reason[96];
        size_t cap = server_options(tun_app(t)->server)->output_cap;
        snprintf(reason, sizeof(reason), "slow reader: output queue over %zu bytes", cap);
        log_info("dropping slow %s reader %s", t->sse ? "SSE" : "long-poll", t->peer_name);
        server_stats(tun_app(t)->server)->slow_dropped++;
        tunnel_end(t, 1008, reason);
    }
    if (t->poll) {
        bool pending = t->qlen > 0 && q_at(t, t->qlen - 1)->seq > t->poll_since;
        if (pending) {
            poll_answer(t);
            if (!t->done)
                grace_start(t);
        }
    }
    if (t->done) {
        tunnel_free(t);
        return;
    }
}

static void on_timer(uv_timer_t *h)
{
    tunnel_t *t = h->data;
    if (t->stream) {
        rbuf_t *b = sse_heartbeat();
        if (conn_send(t->stream, b) == -ENOBUFS) {
            t->slow = true;
            kick(t);
        }
        rbuf_unref(b);
        uv_timer_start(&t->timer, on_timer, HEARTBEAT_MS, 0);
        return;
    }
    if (t->poll) { /* the wait is over: an empty answer */
        poll_answer(t);
        if (t->done)
            tunnel_free(t);
        else
            grace_start(t);
        return;
    }
    log_debug("tunnel %.8s… of %s: grace period over", t->id, t->peer_name);
    tunnel_free(t); /* nobody came back */
}

/* ---- the SSE stream connection ---- */

static void stream_read(conn_t *c, const char *data, size_t len)
{
    /* a client sends nothing on the stream; what it sends is ignored */
}

static void stream_closed(conn_t *c)
{
    tunnel_t *t = conn_data(c);
    if (t == NULL || t->stream != c)
        return;
    t->stream = NULL;
    if (!t->done)
        grace_start(t);
}

static const conn_handler_t stream_handler = {stream_read, stream_closed, NULL};

/* Switches the request's connection to an event stream of t and writes every message after
 * last. */
static void stream_attach(tunnel_t *t, const http_request_t *r, uint64_t last)
{
    static const char head[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream\r\n"
                               "Cache-Control: no-store\r\n"
                               "X-Accel-Buffering: no\r\n"
                               "Connection: close\r\n";
    static const char tail[] = "\r\n"
                               "retry: 2000\n\n";
    conn_t *c = http_conn(r);
    const char *hsts = http_hsts(http_app(r), c);
    if (t->stream) { /* the client came back before we saw its old stream go */
        conn_t *old = t->stream;
        t->stream = NULL;
        conn_close(old, true);
    }
    conn_send_copy(c, head, sizeof(head) - 1);
    conn_send_copy(c, hsts, strlen(hsts));
    conn_send_copy(c, tail, sizeof(tail) - 1);
    http_hand_over(r, &stream_handler, t);
    server_conn_uncount(c); /* the session counts for its address, not its stream */
    t->stream = c;
    uv_timer_start(&t->timer, on_timer, HEARTBEAT_MS, 0);
    for (unsigned i = 0; i < t->qlen; i++)
        if (q_at(t, i)->seq > last)
            stream_write(t, q_at(t, i), true);
    if (t->closed) {
        t->done = true;
        kick(t);
    }
}

/* ---- requests ---- */

static void respond_no_session(const http_request_t *r)
{
    http_respond_error(r, 404, "no_such_session", "no such session (or it has ended)");
}

/* The tunnel of the request's session id (path after prefix) with a valid token (header
 * Parley-Token or query token=), of kind sse, or NULL after a 404. */
static tunnel_t *tunnel_find(const http_request_t *r, const char *id, bool sse)
{
    char qtok[TOKEN_BYTES * 2 + 2];
    const char *token = http_header(r, "Parley-Token");
    if (token == NULL && rest_query_get(r->query, "token", qtok, sizeof(qtok)))
        token = qtok;
    tunnel_t *t = NULL;
    if (strlen(id) == ID_BYTES * 2)
        HASH_FIND_STR(tunnels, id, t);
    if (t == NULL || t->sse != sse || t->group != http_group(r) || token == NULL ||
        strlen(token) != TOKEN_BYTES * 2 || sodium_memcmp(token, t->token, TOKEN_BYTES * 2) != 0) {
        respond_no_session(r);
        return NULL;
    }
    return t;
}

/* A new tunnel for the request's client, or NULL after a refusal (429, 503). */
static tunnel_t *tunnel_new(const http_request_t *r, bool sse)
{
    app_t *app = http_app(r);
    if (app->stopping) {
        http_respond_error(r, 503, "shutting_down", "the server is shutting down");
        return NULL;
    }
    if (ntunnels >= (unsigned)app->cfg->max_connections) {
        http_respond_error(r, 503, "server_full", "server full: too many connections");
        return NULL;
    }
    server_peer_t *peer;
    if (server_peer_take(app->server, http_conn(r), &peer) < 0) {
        http_respond_error(r, 429, "too_many_connections",
                           "too many connections from your address");
        return NULL;
    }
    tunnel_t *t = xcalloc(1, sizeof(*t));
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, ID_BYTES);
    sodium_bin2hex(t->id, sizeof(t->id), raw, ID_BYTES);
    randombytes_buf(raw, TOKEN_BYTES);
    sodium_bin2hex(t->token, sizeof(t->token), raw, TOKEN_BYTES);
    sodium_memzero(raw, sizeof(raw));
    t->group = http_group(r);
    t->sse = sse;
    t->peer = peer;
    conn_peer(http_conn(r), t->peer_name, sizeof(t->peer_name));
    uv_timer_init(app->loop, &t->timer);
    uv_timer_init(app->loop, &t->kick);
    t->timer.data = t->kick.data = t;
    t->handles = 2;
    HASH_ADD_STR(tunnels, id, t);
    ntunnels++;
    return t;
}

static void open_session(tunnel_t *t)
{
    json_t *extra = json_pack("{s:s,s:s}", "session", t->id, "token", t->token);
    t->js = json_session_new(t->sse ? &sse_transport : &poll_transport, t, t->group, extra);
    json_decref(extra);
}

/* POST .../ID: one command object or an array of them, run in order; replies come down the
 * tunnel. 202 {"accepted": N}. */
static void post_commands(const http_request_t *r, tunnel_t *t)
{
    size_t max = http_app(r)->cfg->max_message, n = 1;
    if (t->closed) {
        respond_no_session(r);
        return;
    }
    char **texts = NULL;
    if (r->body_len > 0 && r->body[0] == '[') {
        json_t *batch = json_loadb(r->body, r->body_len, 0, NULL);
        n = json_array_size(batch);
        if (!json_is_array(batch) || n > MAX_BATCH) {
            json_decref(batch);
            http_respond_error(r, 400, "bad_request",
                               "the body must be a JSON object or an array of at most 64");
            return;
        }
        texts = xcalloc(n ? n : 1, sizeof(*texts));
        for (size_t i = 0; i < n; i++)
            texts[i] = json_dumps(json_array_get(batch, i), JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(batch);
    }
    bool too_long = false;
    for (size_t i = 0; i < n; i++)
        too_long |= (texts ? strlen(texts[i]) : r->body_len) > max;
    if (too_long) {
        http_respond_error(r, 413, "message_too_long", "a command is longer than max_message");
        goto out;
    }
    size_t done = 0;
    for (; done < n && !t->closed; done++) {
        if (texts)
            json_session_input(t->js, texts[done], strlen(texts[done]));
        else
            json_session_input(t->js, r->body, r->body_len);
    }
    http_respond_json(r, 202, json_pack("{s:I}", "accepted", (json_int_t)done));
out:
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
}

/* The waiting poll's connection closed: the client may be gone, so the grace period starts. */
static void poll_gone(void *ud)
{
    tunnel_t *t = ud;
    http_later_end(t->poll);
    t->poll = NULL;
    if (!t->done)
        grace_start(t);
}

/* GET /api/v1/poll/ID?since=N */
static void poll_get(const http_request_t *r, tunnel_t *t)
{
    char v[24];
    uint64_t since;
    if (!rest_query_get(r->query, "since", v, sizeof(v)) || sse_parse_id(v, &since) < 0 ||
        since < t->acked || since > t->last) {
        http_respond_error(r, 400, "bad_request",
                           "since must be the sequence number of the last message received");
        return;
    }
    t->acked = since;
    while (t->qlen > 0 && q_at(t, 0)->seq <= since)
        q_pop(t);
    if (t->poll) /* superseded: the older request gets an empty answer */
        poll_answer(t);
    t->poll = http_later(r);
    http_later_on_gone(t->poll, poll_gone, t);
    t->poll_since = since;
    uv_timer_start(&t->timer, on_timer, POLL_WAIT_MS, 0);
    if (t->qlen > 0 || t->done)
        kick(t);
}

/* GET /api/v1/stream */
static void stream_open(const http_request_t *r)
{
    tunnel_t *t = tunnel_new(r, true);
    if (t == NULL)
        return;
    stream_attach(t, r, 0);
    open_session(t);
}

/* GET /api/v1/stream/ID (Last-Event-ID) */
static void stream_reopen(const http_request_t *r, tunnel_t *t)
{
    char q[24];
    const char *last = http_header(r, "Last-Event-ID");
    if (last == NULL && rest_query_get(r->query, "last_event_id", q, sizeof(q)))
        last = q;
    uint64_t seq = 0;
    if (last && sse_parse_id(last, &seq) < 0) {
        http_respond_error(r, 400, "bad_request", "Last-Event-ID must be a sequence number");
        return;
    }
    if (seq < t->popped && !t->closed)
        tunnel_end(t, 1008, "missed messages are no longer buffered: open a new session");
    stream_attach(t, r, seq);
}

/* POST /api/v1/poll */
static void poll_open(const http_request_t *r)
{
    tunnel_t *t = tunnel_new(r, false);
    if (t == NULL)
        return;
    open_session(t);
    t->poll = http_later(r); /* answered at once with the welcome */
    http_later_on_gone(t->poll, poll_gone, t);
    t->poll_since = 0;
    kick(t);
}

bool json_tunnel_handle(const http_request_t *r)
{
    static const char stream[] = "/api/v1/stream", poll[] = "/api/v1/poll";
    const char *p = r->path, *id = NULL;
    bool sse;
    if (strncmp(p, stream, sizeof(stream) - 1) == 0) {
        p += sizeof(stream) - 1;
        sse = true;
    } else if (strncmp(p, poll, sizeof(poll) - 1) == 0) {
        p += sizeof(poll) - 1;
        sse = false;
    } else {
        return false;
    }
    if (*p == '/' && p[1] != '\0' && strchr(p + 1, '/') == NULL)
        id = p + 1;
    else if (*p != '\0')
        return false;
    if (id == NULL) { /* opening: GET a stream, POST a poll session */
        int open = sse ? HTTP_GET : HTTP_POST;
        if (r->method != open)
            rest_not_allowed(r, sse ? "GET" : "POST");
        else if (sse)
            stream_open(r);
        else
            poll_open(r);
        return true;
    }
    if (r->method != HTTP_GET && r->method != HTTP_POST) {
        rest_not_allowed(r, "GET, POST");
        return true;
    }
    tunnel_t *t = tunnel_find(r, id, sse);
    if (t == NULL)
        return true;
    if (r->method == HTTP_POST)
        post_commands(r, t);
    else if (sse)
        stream_reopen(r, t);
    else
        poll_get(r, t);
    return true;
}

unsigned json_tunnels_open(void)
{
    return ntunnels;
}

void json_tunnels_free_all(void)
{
    tunnel_t *t, *tmp;
    HASH_ITER(hh, tunnels, t, tmp)
    {
        if (t->poll)
            poll_answer(t);
        tunnel_free(t);
    }
    sse_global_cleanup();
}
