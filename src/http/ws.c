#include "http/ws.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <wslay/wslay.h>

#include "group.h"
#include "net/server.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

/* Receiving state, allocated when bytes arrive and freed once they were all whole frames and no
 * fragmented message is open: an idle WebSocket keeps only struct ws. */
struct ws_rx {
    wslay_frame_context_ptr fctx;
    uint64_t fed;      /* bytes given to wslay since fctx was made */
    uint64_t consumed; /* bytes of whole frames among them */
    uint64_t frame_got;
    buf_t msg;  /* the message being assembled */
    buf_t ctrl; /* the control frame being assembled */
    uint8_t frame_op;
    uint8_t msg_op; /* OP_TEXT or OP_BINARY: the message being assembled */
    bool frame_started;
    bool in_msg;
};

struct ws {
    conn_t *conn;
    group_t *group; /* the chat group it belongs to (its app: group->app) */
    const ws_handler_t *h;
    void *data;
    struct ws_rx *rx; /* NULL while idle */
    bool close_sent;
    uint16_t close_code; /* the code of the close frame sent; 0: none */
    bool pinged;         /* idle: a ping went out at idle_timeout / 2 and nothing came back yet */
    int subprotocol;     /* index in h->subprotocols; -1: none */
};

/* The input of the on_read being handled (one loop thread: one at a time). */
static struct {
    const char *p;
    size_t len;
} input;

/* ---- output: one shared encoder context writing into the buffer being built ---- */

static wslay_frame_context_ptr encoder;
static struct {
    char *out;
    size_t off, cap;
} enc;

static ssize_t enc_send(const uint8_t *data, size_t len, int flags, void *ud)
{
    if (enc.off + len > enc.cap)
        return WSLAY_ERR_INVALID_CALLBACK;
    memcpy(enc.out + enc.off, data, len);
    enc.off += len;
    return (ssize_t)len;
}

static ssize_t no_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
    return 0;
}

static int no_mask(uint8_t *buf, size_t len, void *ud)
{
    return -1; /* a server never masks */
}

static size_t header_len(uint64_t payload, bool masked)
{
    size_t n = 2 + (payload < 126 ? 0 : payload < 65536 ? 2 : 8);
    return n + (masked ? 4 : 0);
}

static rbuf_t *frame(uint8_t opcode, const void *payload, size_t len)
{
    static const struct wslay_frame_callbacks cbs = {enc_send, no_recv, no_mask};
    if (encoder == NULL && wslay_frame_context_init(&encoder, &cbs, NULL) != 0)
        abort();
    rbuf_t *b = rbuf_new(header_len(len, false) + len);
    enc.out = b->data;
    enc.off = 0;
    enc.cap = b->len;
    struct wslay_frame_iocb io = {
        .fin = 1,
        .opcode = opcode,
        .payload_length = len,
        .data = payload,
        .data_length = len,
    };
    ssize_t r = wslay_frame_send(encoder, &io);
    if (r != (ssize_t)len || enc.off != b->len) {
        log_error("websocket frame encoding failed (%zd)", r);
        abort();
    }
    return b;
}

rbuf_t *ws_frame_text(const void *payload, size_t len)
{
    return frame(OP_TEXT, payload, len);
}

void ws_frame_append(buf_t *b, bool binary, const void *payload, size_t len)
{
    rbuf_t *f = frame(binary ? OP_BINARY : OP_TEXT, payload, len);
    buf_append(b, f->data, f->len);
    rbuf_unref(f);
}

void ws_global_cleanup(void)
{
    if (encoder)
        wslay_frame_context_free(encoder);
    encoder = NULL;
}

/* ---- accessors ---- */

void ws_set_data(ws_t *ws, void *data)
{
    ws->data = data;
}

void *ws_data(const ws_t *ws)
{
    return ws->data;
}

void ws_peer(const ws_t *ws, char *out, size_t outlen)
{
    conn_peer(ws->conn, out, outlen);
}

conn_t *ws_conn(const ws_t *ws)
{
    return ws->conn;
}

int ws_subprotocol(const ws_t *ws)
{
    return ws->subprotocol;
}

struct group *ws_group(const ws_t *ws)
{
    return ws->group;
}

app_t *ws_app(const ws_t *ws)
{
    return ws->group->app;
}

/* ---- sending and closing ---- */

static rbuf_t *close_frame(uint16_t code, const char *reason)
{
    char payload[125];
    size_t rlen = strlen(reason);
    if (rlen > sizeof(payload) - 2)
        rlen = sizeof(payload) - 2;
    payload[0] = (char)(code >> 8);
    payload[1] = (char)(code & 0xff);
    memcpy(payload + 2, reason, rlen);
    return frame(OP_CLOSE, payload, rlen + 2);
}

uint16_t ws_close_code(const ws_t *ws)
{
    return ws->close_code;
}

void ws_close(ws_t *ws, uint16_t code, const char *reason)
{
    conn_t *c = ws->conn;
    if (!ws->close_sent) {
        ws->close_sent = true;
        ws->close_code = code;
        rbuf_t *b = close_frame(code, reason);
        conn_send_force(c, b);
        rbuf_unref(b);
        log_debug("websocket closed by server: %u %s", code, reason);
    }
    conn_close(c, true); /* frees ws through on_close */
}

int ws_send(ws_t *ws, rbuf_t *b)
{
    if (ws->close_sent)
        return -EPIPE;
    int rc = conn_send(ws->conn, b);
    if (rc == -ENOBUFS) {
        char reason[96], peer[64];
        size_t cap = server_options(ws->group->app->server)->output_cap;
        snprintf(reason, sizeof(reason), "slow reader: output queue over %zu bytes", cap);
        conn_peer(ws->conn, peer, sizeof(peer));
        log_info("dropping slow reader %s: %zu bytes queued", peer, conn_queued_bytes(ws->conn));
        server_stats(ws->group->app->server)->slow_dropped++;
        /* We are inside a fan-out: queue the close frame now, tear down on the next pass. */
        ws->close_sent = true;
        ws->close_code = 1008;
        rbuf_t *cf = close_frame(1008, reason);
        conn_send_force(ws->conn, cf);
        rbuf_unref(cf);
        conn_close_soon(ws->conn);
    }
    return rc;
}

/* ---- input ---- */

static ssize_t feed(uint8_t *buf, size_t len, int flags, void *ud)
{
    struct ws_rx *rx = ud;
    size_t n = len < input.len ? len : input.len;
    memcpy(buf, input.p, n);
    input.p += n;
    input.len -= n;
    rx->fed += n;
    return (ssize_t)n;
}

static void rx_free(struct ws_rx *rx)
{
    if (rx == NULL)
        return;
    if (rx->fctx)
        wslay_frame_context_free(rx->fctx);
    buf_deinit(&rx->msg);
    buf_deinit(&rx->ctrl);
    free(rx);
}

/* Checks a frame's header on its first chunk. Returns false after closing the connection. */
static bool frame_begins(ws_t *ws, const struct wslay_frame_iocb *io)
{
    size_t max = ws->group->app->cfg->max_message;
    if (!io->mask) {
        ws_close(ws, 1002, "protocol error: unmasked frame");
        return false;
    }
    if (io->rsv) {
        ws_close(ws, 1002, "protocol error: reserved bits set");
        return false;
    }
    switch (io->opcode) {
    case OP_CONT:
        if (!ws->rx->in_msg) {
            ws_close(ws, 1002, "protocol error: continuation without a started message");
            return false;
        }
        break;
    case OP_TEXT:
    case OP_BINARY:
        if (ws->rx->in_msg) {
            ws_close(ws, 1002, "protocol error: new message inside a fragmented one");
            return false;
        }
        if (io->opcode == OP_BINARY && !ws->h->binary) {
            ws_close(ws, 1003, "binary messages are not supported");
            return false;
        }
        ws->rx->in_msg = true;
        ws->rx->msg_op = io->opcode;
        buf_init(&ws->rx->msg, max);
        break;
    case OP_CLOSE:
    case OP_PING:
    case OP_PONG: buf_init(&ws->rx->ctrl, 125); break;
    default: ws_close(ws, 1002, "protocol error: unknown opcode"); return false;
    }
    if ((io->opcode == OP_CONT || io->opcode == OP_TEXT || io->opcode == OP_BINARY) &&
        ws->rx->msg.len + io->payload_length > max) {
        ws_close(ws, 1009, "message too big");
        return false;
    }
    ws->rx->frame_op = io->opcode;
    return true;
}

static void control_done(ws_t *ws)
{
    const char *p = ws->rx->ctrl.base ? ws->rx->ctrl.base : "";
    size_t len = ws->rx->ctrl.len;
    if (ws->rx->frame_op == OP_PING) {
        rbuf_t *b = frame(OP_PONG, p, len);
        ws_send(ws, b);
        rbuf_unref(b);
    } else if (ws->rx->frame_op == OP_CLOSE) {
        if (len == 1)
            ws_close(ws, 1002, "protocol error: bad close frame");
        else if (len > 2 && !utf8_valid(p + 2, len - 2))
            ws_close(ws, 1007, "invalid UTF-8");
        else
            ws_close(ws, 1000, "bye");
        return;
    }
    buf_deinit(&ws->rx->ctrl);
}

static void message_done(ws_t *ws)
{
    conn_t *c = ws->conn;
    ws->rx->in_msg = false;
    if (ws->rx->msg_op == OP_TEXT &&
        !utf8_valid(ws->rx->msg.base ? ws->rx->msg.base : "", ws->rx->msg.len)) {
        ws_close(ws, 1007, "invalid UTF-8");
        return;
    }
    size_t len;
    char *text = buf_steal(&ws->rx->msg, &len);
    ws->h->on_text(ws, text, len);
    free(text);
    (void)c;
}

/* [server] idle_timeout: the timer runs for half of it from the last byte received; when it
 * fires the first time the peer gets a ping, the second time (still nothing) a close 1001. */
static void idle_arm(ws_t *ws)
{
    int idle = ws->group->app->cfg->idle_timeout;
    ws->pinged = false;
    if (idle > 0)
        conn_timer_start(ws->conn, (uint64_t)idle * 500);
}

static void ws_on_timer(conn_t *c)
{
    ws_t *ws = conn_data(c);
    if (ws->pinged) {
        ws_close(ws, 1001, "idle timeout");
        return;
    }
    rbuf_t *b = frame(OP_PING, "idle", 4);
    ws_send(ws, b);
    rbuf_unref(b);
    ws->pinged = true;
    conn_timer_start(c, (uint64_t)ws->group->app->cfg->idle_timeout * 500);
}

static void ws_on_read(conn_t *c, const char *data, size_t len)
{
    static const struct wslay_frame_callbacks cbs = {NULL, feed, no_mask};
    ws_t *ws = conn_data(c);
    if (ws->close_sent)
        return; /* closing: input is ignored */
    idle_arm(ws);
    input.p = data;
    input.len = len;
    if (ws->rx == NULL) {
        ws->rx = xcalloc(1, sizeof(*ws->rx));
        if (wslay_frame_context_init(&ws->rx->fctx, &cbs, ws->rx) != 0)
            abort();
    }
    for (;;) {
        struct wslay_frame_iocb io;
        ssize_t r = wslay_frame_recv(ws->rx->fctx, &io);
        if (r == WSLAY_ERR_WANT_READ)
            break;
        if (r < 0) {
            ws_close(ws, 1002, "protocol error: invalid frame");
            return;
        }
        if (!ws->rx->frame_started) {
            if (!frame_begins(ws, &io))
                return;
            ws->rx->frame_started = true;
            ws->rx->frame_got = 0;
        }
        buf_t *dst = ws->rx->frame_op >= OP_CLOSE ? &ws->rx->ctrl : &ws->rx->msg;
        if (io.data_length && buf_append(dst, io.data, io.data_length) < 0) {
            ws_close(ws, 1009, "message too big");
            return;
        }
        ws->rx->frame_got += io.data_length;
        if (ws->rx->frame_got < io.payload_length)
            continue;
        /* the frame is whole */
        ws->rx->consumed += header_len(io.payload_length, io.mask) + io.payload_length;
        ws->rx->frame_started = false;
        if (ws->rx->frame_op >= OP_CLOSE)
            control_done(ws);
        else if (io.fin)
            message_done(ws);
        if (conn_closing(c) || ws->close_sent)
            return;
    }
    if (ws->rx->fed == ws->rx->consumed && !ws->rx->frame_started && !ws->rx->in_msg) {
        /* between messages: drop the receiving state (4 KiB of wslay) until more bytes come */
        rx_free(ws->rx);
        ws->rx = NULL;
    }
}

static void ws_on_close(conn_t *c)
{
    ws_t *ws = conn_data(c);
    if (ws->h->on_close)
        ws->h->on_close(ws);
    server_stats(ws->group->app->server)->websockets--;
    rx_free(ws->rx);
    free(ws);
}

static const conn_handler_t ws_conn_handler = {
    .on_read = ws_on_read,
    .on_close = ws_on_close,
    .on_timer = ws_on_timer,
};

/* ---- the handshake ---- */

/* Does a comma-separated header value contain token (case-insensitive)? */
static bool has_token(const char *value, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - p) == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p = end;
    }
    return false;
}

static bool valid_key(const char *key)
{
    unsigned char out[32];
    size_t len = strlen(key);
    if (len != 24)
        return false;
    int n = EVP_DecodeBlock(out, (const unsigned char *)key, (int)len);
    return n == 18 && key[22] == '=' && key[23] == '='; /* 16 bytes + 2 padding */
}

void ws_upgrade(const http_request_t *r, const ws_handler_t *h)
{
    app_t *app = http_app(r);
    const char *upgrade = http_header(r, "Upgrade");
    const char *connection = http_header(r, "Connection");
    const char *version = http_header(r, "Sec-WebSocket-Version");
    const char *key = http_header(r, "Sec-WebSocket-Key");

    if (strcmp(r->method_name, "GET") != 0) {
        http_respond(r, 405, "text/plain", "use GET\n", 8, "Allow: GET\r\n", false);
        return;
    }
    if (!upgrade || !has_token(upgrade, "websocket") || !connection ||
        !has_token(connection, "upgrade")) {
        http_respond(r, 426, "text/plain", "WebSocket upgrade required\n", 27,
                     "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n", false);
        return;
    }
    if (!version || strcmp(version, "13") != 0) {
        http_respond(r, 400, "text/plain", "unsupported WebSocket version\n", 30,
                     "Sec-WebSocket-Version: 13\r\n", false);
        return;
    }
    if (!key || !valid_key(key)) {
        http_respond_text(r, 400, "bad Sec-WebSocket-Key");
        return;
    }
    if (app->stopping) {
        http_respond_text(r, 503, "shutting down");
        return;
    }

    /* the first subprotocol offered that the handler speaks */
    int sub = -1;
    const char *offered = http_header(r, "Sec-WebSocket-Protocol");
    char proto_line[128] = "";
    if (offered && h->subprotocols) {
        const char *p = offered;
        while (sub < 0 && *p) {
            p += strspn(p, " \t,");
            size_t n = strcspn(p, " \t,");
            for (int i = 0; n && h->subprotocols[i]; i++)
                if (strlen(h->subprotocols[i]) == n && strncmp(p, h->subprotocols[i], n) == 0)
                    sub = i;
            p += n;
        }
        if (sub >= 0)
            snprintf(proto_line, sizeof(proto_line), "Sec-WebSocket-Protocol: %s\r\n",
                     h->subprotocols[sub]);
    }

    unsigned char digest[SHA_DIGEST_LENGTH];
    char accept[64];
    char keybuf[128];
    snprintf(keybuf, sizeof(keybuf), "%s" WS_GUID, key);
    SHA1((const unsigned char *)keybuf, strlen(keybuf), digest);
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);

    char head[384];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "%s%s"
                     "\r\n",
                     accept, proto_line, http_hsts(app, http_conn(r)));
    conn_t *c = http_conn(r);
    conn_send_copy(c, head, (size_t)n);

    ws_t *ws = xcalloc(1, sizeof(*ws));
    ws->conn = c;
    ws->group = http_group(r);
    ws->h = h;
    ws->subprotocol = sub;
    http_hand_over(r, &ws_conn_handler, ws);
    idle_arm(ws);
    server_stats(app->server)->websockets++;
    h->on_open(ws);
}
