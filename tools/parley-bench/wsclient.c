#include "wsclient.h"

#include <errno.h>
#include <netinet/ip.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "stats.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };
enum { ST_CONNECTING, ST_UPGRADING, ST_OPEN, ST_CLOSING, ST_DEAD };

#define HEAD_MAX        8192
#define MSG_MAX         (4u << 20)  /* larger server messages are a protocol error */
#define WRITE_QUEUE_MAX (8u << 20)  /* the server stopped reading us */
#define LINE_MAX_LEN    (16u << 10) /* line mode: IRC lines are 512 bytes, 8 KiB more of tags */

struct wsc {
    uv_tcp_t tcp;
    uv_connect_t creq;
    const wsc_handler_t *h;
    void *data;
    const bench_target_t *target;
    int state;
    bool handle_closed_quietly; /* wsc_connect failed: free without on_end */
    char accept[32];            /* the Sec-WebSocket-Accept we expect */
    char key[32];
    buf_t head; /* the upgrade answer, until its end */
    /* input: like the server's ws.c, the 4 KiB frame context exists only mid-frame */
    wslay_frame_context_ptr fctx;
    const char *in;
    size_t in_len;
    uint64_t fed, consumed, frame_got;
    bool frame_started;
    uint8_t frame_op;
    buf_t msg; /* a text message that came in pieces */
    uint8_t ctrl[128];
    size_t ctrl_len;
    size_t write_queued; /* bytes held by uv_write requests in flight */
};

typedef struct wreq {
    uv_write_t req;
    wsc_t *c;
    size_t len;
    char data[];
} wreq_t;

static char scratch[65536]; /* every read lands here; processed before the next one */

/* ---- encoder: one context for the process, frames built into enc_out ---- */

static wslay_frame_context_ptr encoder;
static buf_t enc_out;
static uint64_t mask_state = 0x9E3779B97F4A7C15ull;

static ssize_t enc_send(const uint8_t *data, size_t len, int flags, void *ud)
{
    if (buf_append(&enc_out, data, len) < 0)
        return WSLAY_ERR_INVALID_CALLBACK;
    return (ssize_t)len;
}

static ssize_t enc_no_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
    return WSLAY_ERR_INVALID_CALLBACK;
}

/* Masks only need to be unpredictable to proxies, not secret: xorshift is enough and cheap. */
static int enc_mask(uint8_t *buf, size_t len, void *ud)
{
    for (size_t i = 0; i < len; i++) {
        mask_state ^= mask_state << 13;
        mask_state ^= mask_state >> 7;
        mask_state ^= mask_state << 17;
        buf[i] = (uint8_t)(mask_state >> 24);
    }
    return 0;
}

static int encode(uint8_t op, const void *payload, size_t len)
{
    static const struct wslay_frame_callbacks cbs = {enc_send, enc_no_recv, enc_mask};
    if (encoder == NULL) {
        if (wslay_frame_context_init(&encoder, &cbs, NULL) != 0)
            abort();
        buf_init(&enc_out, MSG_MAX + 16);
        uint64_t seed;
        if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1 && seed)
            mask_state = seed;
    }
    buf_reset(&enc_out);
    struct wslay_frame_iocb io = {
        .fin = 1,
        .opcode = op,
        .mask = 1,
        .payload_length = len,
        .data = payload,
        .data_length = len,
    };
    ssize_t r = wslay_frame_send(encoder, &io);
    return r == (ssize_t)len ? 0 : -EINVAL;
}

void wsc_global_cleanup(void)
{
    if (encoder)
        wslay_frame_context_free(encoder);
    encoder = NULL;
    buf_deinit(&enc_out);
}

/* ---- life ---- */

void *wsc_data(const wsc_t *c)
{
    return c->data;
}

static void on_handle_closed(uv_handle_t *hd)
{
    wsc_t *c = hd->data;
    if (c->fctx)
        wslay_frame_context_free(c->fctx);
    buf_deinit(&c->head);
    buf_deinit(&c->msg);
    free(c);
}

static void end(wsc_t *c, int how, int close_code)
{
    if (c->state == ST_DEAD)
        return;
    c->state = ST_DEAD;
    if (c->h->on_end)
        c->h->on_end(c, how, close_code);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

void wsc_abort(wsc_t *c, int how)
{
    end(c, how, 0);
}

static void on_written(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    wsc_t *c = w->c;
    c->write_queued -= w->len;
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        end(c, EK_WRITE, 0);
}

/* Writes now what the kernel takes, queues a copy of the rest. */
static int raw_write(wsc_t *c, const char *p, size_t n)
{
    if (c->state == ST_DEAD)
        return -EPIPE;
    if (c->write_queued == 0) {
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (r == (int)n)
            return 0;
        if (r < 0 && r != UV_EAGAIN) {
            end(c, EK_WRITE, 0);
            return r;
        }
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        }
    }
    if (c->write_queued + n > WRITE_QUEUE_MAX) {
        end(c, EK_WRITE, 0);
        return -ENOBUFS;
    }
    wreq_t *w = xmalloc(sizeof(*w) + n);
    w->c = c;
    w->len = n;
    memcpy(w->data, p, n);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r < 0) {
        free(w);
        end(c, EK_WRITE, 0);
        return r;
    }
    c->write_queued += n;
    return 0;
}

static int send_frame(wsc_t *c, uint8_t op, const void *p, size_t len)
{
    if (encode(op, p, len) < 0) {
        end(c, EK_WRITE, 0);
        return -EINVAL;
    }
    return raw_write(c, enc_out.base, enc_out.len);
}

int wsc_send_text(wsc_t *c, const char *text, size_t len)
{
    if (c->state != ST_OPEN)
        return -ENOTCONN;
    if (c->target->irc)
        return raw_write(c, text, len);
    return send_frame(c, OP_TEXT, text, len);
}

void wsc_close(wsc_t *c)
{
    if (c->state == ST_OPEN && c->target->irc) {
        c->state = ST_CLOSING; /* the caller said goodbye (QUIT); the server's EOF ends it */
    } else if (c->state == ST_OPEN) {
        static const uint8_t bye[2] = {1000 >> 8, 1000 & 0xff};
        if (send_frame(c, OP_CLOSE, bye, sizeof(bye)) == 0)
            c->state = ST_CLOSING;
    } else if (c->state == ST_CONNECTING || c->state == ST_UPGRADING) {
        end(c, EK_TIMEOUT, 0);
    }
}

/* ---- frames in ---- */

static ssize_t feed(uint8_t *buf, size_t len, int flags, void *ud)
{
    wsc_t *c = ud;
    size_t n = len < c->in_len ? len : c->in_len;
    memcpy(buf, c->in, n);
    c->in += n;
    c->in_len -= n;
    c->fed += n;
    return (ssize_t)n;
}

static size_t header_len(uint64_t payload, bool masked)
{
    size_t n = 2 + (payload < 126 ? 0 : payload < 65536 ? 2 : 8);
    return n + (masked ? 4 : 0);
}

static void control_done(wsc_t *c)
{
    if (c->frame_op == OP_PING) {
        send_frame(c, OP_PONG, c->ctrl, c->ctrl_len);
    } else if (c->frame_op == OP_CLOSE) {
        int code = c->ctrl_len >= 2 ? (c->ctrl[0] << 8 | c->ctrl[1]) : 1005;
        if (c->state == ST_CLOSING) {
            end(c, WSC_END_CLEAN, code);
        } else {
            uint8_t echo[2] = {(uint8_t)(code >> 8), (uint8_t)code};
            send_frame(c, OP_CLOSE, echo, code == 1005 ? 0 : 2);
            end(c, EK_DROPPED, code);
        }
    }
}

static void frames_in(wsc_t *c, const char *data, size_t len)
{
    static const struct wslay_frame_callbacks cbs = {NULL, feed, NULL};
    c->in = data;
    c->in_len = len;
    if (c->fctx == NULL) {
        if (wslay_frame_context_init(&c->fctx, &cbs, c) != 0)
            abort();
        c->fed = c->consumed = 0;
    }
    while (c->state == ST_OPEN || c->state == ST_CLOSING) {
        struct wslay_frame_iocb io;
        ssize_t r = wslay_frame_recv(c->fctx, &io);
        if (r == WSLAY_ERR_WANT_READ)
            break;
        if (r < 0 || io.mask || io.rsv) {
            end(c, EK_PROTOCOL, 0);
            return;
        }
        if (!c->frame_started) {
            c->frame_started = true;
            c->frame_got = 0;
            c->frame_op = io.opcode;
            c->ctrl_len = 0;
            if (io.opcode == OP_BINARY || (io.opcode > OP_BINARY && io.opcode < OP_CLOSE) ||
                io.opcode > OP_PONG || (io.opcode >= OP_CLOSE && io.payload_length > 125)) {
                end(c, EK_PROTOCOL, 0);
                return;
            }
        }
        bool whole_now = c->frame_got == 0 && io.data_length == io.payload_length;
        c->frame_got += io.data_length;
        if (c->frame_op >= OP_CLOSE) {
            memcpy(c->ctrl + c->ctrl_len, io.data, io.data_length);
            c->ctrl_len += io.data_length;
        } else if (!(whole_now && io.fin && c->msg.len == 0) && io.data_length &&
                   buf_append(&c->msg, io.data, io.data_length) < 0) {
            end(c, EK_PROTOCOL, 0);
            return;
        }
        if (c->frame_got < io.payload_length)
            continue;
        c->consumed += header_len(io.payload_length, io.mask) + io.payload_length;
        c->frame_started = false;
        if (c->frame_op >= OP_CLOSE) {
            control_done(c);
        } else if (io.fin) {
            if (whole_now && c->msg.len == 0) {
                c->h->on_text(c, (const char *)io.data, io.data_length);
            } else {
                c->h->on_text(c, c->msg.base ? c->msg.base : "", c->msg.len);
                buf_reset(&c->msg);
            }
        }
    }
    if (c->state != ST_DEAD && c->fed == c->consumed && !c->frame_started) {
        wslay_frame_context_free(c->fctx);
        c->fctx = NULL;
        if (c->msg.len == 0)
            buf_deinit(&c->msg);
    }
}

/* ---- line mode: CRLF (or LF) terminated lines, each handed over without its terminator ---- */

static void lines_in(wsc_t *c, const char *data, size_t len)
{
    const char *p = data, *stop = data + len;
    while (p < stop && (c->state == ST_OPEN || c->state == ST_CLOSING)) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        if (nl == NULL) {
            if (buf_append(&c->msg, p, (size_t)(stop - p)) < 0)
                end(c, EK_PROTOCOL, 0);
            return;
        }
        const char *line = p;
        size_t n = (size_t)(nl - p);
        if (c->msg.len) {
            if (buf_append(&c->msg, p, n) < 0) {
                end(c, EK_PROTOCOL, 0);
                return;
            }
            line = c->msg.base;
            n = c->msg.len;
        }
        if (n && line[n - 1] == '\r')
            n--;
        if (n)
            c->h->on_text(c, line, n);
        buf_reset(&c->msg);
        p = nl + 1;
    }
}

/* ---- upgrade ---- */

static bool header_is(const char *line, size_t len, const char *name, const char **val,
                      size_t *vlen)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return false;
    const char *v = line + n + 1, *e = line + len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *val = v;
    *vlen = (size_t)(e - v);
    return true;
}

/* Checks the answer head (head.base[0..head_end)). Returns 0 or an err_kind_t. */
static int check_upgrade(wsc_t *c, size_t head_end)
{
    const char *p = c->head.base, *end_ = p + head_end;
    if (head_end < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0)
        return EK_HANDSHAKE;
    if (memcmp(p + 9, "503", 3) == 0)
        return EK_HTTP_503;
    if (memcmp(p + 9, "101", 3) != 0)
        return EK_HANDSHAKE;
    bool ok = false;
    const char *line = memchr(p, '\n', head_end);
    while (line && line + 1 < end_) {
        line++;
        const char *nl = memchr(line, '\n', (size_t)(end_ - line));
        if (!nl)
            break;
        size_t len = (size_t)(nl - line);
        if (len && line[len - 1] == '\r')
            len--;
        const char *v;
        size_t vlen;
        if (header_is(line, len, "Sec-WebSocket-Accept", &v, &vlen))
            ok = vlen == strlen(c->accept) && memcmp(v, c->accept, vlen) == 0;
        line = nl;
    }
    return ok ? 0 : EK_HANDSHAKE;
}

static void upgrade_in(wsc_t *c, const char *data, size_t len)
{
    if (buf_append(&c->head, data, len) < 0) {
        end(c, EK_HANDSHAKE, 0);
        return;
    }
    char *e = memmem(c->head.base, c->head.len, "\r\n\r\n", 4);
    if (e == NULL)
        return;
    size_t head_end = (size_t)(e - c->head.base) + 4;
    int bad = check_upgrade(c, head_end);
    if (bad) {
        end(c, bad, 0);
        return;
    }
    c->state = ST_OPEN;
    c->h->on_open(c);
    if (c->head.len > head_end && c->state != ST_DEAD)
        frames_in(c, c->head.base + head_end, c->head.len - head_end);
    if (c->state != ST_DEAD)
        buf_deinit(&c->head);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    *b = uv_buf_init(scratch, sizeof(scratch));
}

/* When the read being handled came in (0 outside one): one clock reading for all its messages. */
static uint64_t read_ns;

uint64_t wsc_read_ns(void)
{
    return read_ns ? read_ns : uv_hrtime();
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    wsc_t *c = s->data;
    if (n == 0 || c->state == ST_DEAD)
        return;
    if (n < 0) {
        if (c->state == ST_UPGRADING)
            end(c, EK_HANDSHAKE, 0);
        else if (c->state == ST_CLOSING && n == UV_EOF)
            end(c, WSC_END_CLEAN, 0);
        else
            end(c, EK_DROPPED, 0);
        return;
    }
    read_ns = uv_hrtime();
    if (c->state == ST_UPGRADING)
        upgrade_in(c, b->base, (size_t)n);
    else if (c->target->irc)
        lines_in(c, b->base, (size_t)n);
    else
        frames_in(c, b->base, (size_t)n);
    read_ns = 0;
}

static void make_key(wsc_t *c)
{
    unsigned char raw[16], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        abort();
    EVP_EncodeBlock((unsigned char *)c->key, raw, sizeof(raw)); /* 24 chars + NUL */
    char cat[64];
    int n = snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", c->key);
    if (EVP_Digest(cat, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1)
        abort();
    EVP_EncodeBlock((unsigned char *)c->accept, md, (int)mdlen); /* 28 chars + NUL */
}

static void on_connect(uv_connect_t *req, int status)
{
    wsc_t *c = req->data;
    if (c->state != ST_CONNECTING)
        return; /* aborted meanwhile */
    if (status < 0) {
        end(c, EK_CONNECT, 0);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (c->target->irc) {
        c->state = ST_OPEN;
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
            end(c, EK_CONNECT, 0);
        else
            c->h->on_open(c);
        return;
    }
    c->state = ST_UPGRADING;
    make_key(c);
    char req_text[512];
    int n = snprintf(req_text, sizeof(req_text),
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                     "User-Agent: parley-bench\r\n\r\n",
                     c->target->path, c->target->host_header, c->key);
    int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (r < 0) {
        end(c, EK_CONNECT, 0);
        return;
    }
    raw_write(c, req_text, (size_t)n);
}

int wsc_connect(uv_loop_t *loop, const bench_target_t *t, const struct sockaddr_in *src,
                const wsc_handler_t *h, void *data, wsc_t **out)
{
    wsc_t *c = xcalloc(1, sizeof(*c));
    c->h = h;
    c->data = data;
    c->target = t;
    c->state = ST_CONNECTING;
    buf_init(&c->head, HEAD_MAX);
    buf_init(&c->msg, t->irc ? LINE_MAX_LEN : MSG_MAX);
    c->tcp.data = c;
    c->creq.data = c;
    int r = uv_tcp_init_ex(loop, &c->tcp, t->addr.ss_family);
    if (r < 0) {
        free(c);
        return r;
    }
    if (src) {
        uv_os_fd_t fd;
        int one = 1;
        if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
            (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        r = uv_tcp_bind(&c->tcp, (const struct sockaddr *)src, 0);
    }
    if (r == 0)
        r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&t->addr, on_connect);
    if (r < 0) {
        c->state = ST_DEAD;
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        return r;
    }
    *out = c;
    return 0;
}
