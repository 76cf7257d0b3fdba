#include "net/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"
#include "net/proxy.h"
#include "net/server.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define CLOSE_GRACE_MS 2000
#define MAX_IOV        256

/* A uv_write in flight owns references to the buffers it writes. */
typedef struct write_req {
    uv_write_t req;
    conn_t *conn;
    unsigned n;
    rbuf_t *bufs[];
} write_req_t;

static void on_closed(uv_handle_t *h);
static void tcp_flush(conn_t *c);

static const conn_transport_t tcp_transport = {"tcp", conn__deliver, tcp_flush, NULL, NULL};

void conn_set_handler(conn_t *c, const conn_handler_t *h, void *data)
{
    c->handler = h;
    c->data = data;
}

void *conn_data(const conn_t *c)
{
    return c->data;
}

server_t *conn_server(const conn_t *c)
{
    return c->server;
}

uv_stream_t *conn__stream(conn_t *c)
{
    return (uv_stream_t *)&c->tcp;
}

size_t conn_queued_bytes(const conn_t *c)
{
    return c->queued;
}

void conn_prefetch(const conn_t *c)
{
    __builtin_prefetch(&c->server); /* the fields queueing reads and writes (conn_int.h) */
}

bool conn_closing(const conn_t *c)
{
    return c->closing;
}

void conn_close_soon(conn_t *c)
{
    if (c->closing)
        return;
    c->close_soon = true;
    server__want_flush(c->server, c);
}

conn_t *conn__new(server_t *s)
{
    conn_t *c = xcalloc(1, sizeof(*c));
    c->server = s;
    c->tr = &tcp_transport;
    uv_tcp_init(server_loop(s), &c->tcp);
    c->tcp.data = c;
    list_init(&c->all_node);
    list_init(&c->flush_node);
    list_init(&c->deadline_node);
    return c;
}

/* The queue's capacity is a power of two (so that positions wrap with a mask) from 16 up. When it
 * drains, its storage is freed (an idle connection holds none) and the capacity its longest
 * length since the last drain needed is remembered, so that a connection that got 60 events in
 * the last loop pass gets room for 64 at once in the next rather than growing 16, 32, 64 again
 * every pass (and one that got a burst once does not keep asking for that much). */
#define QUEUE_MIN_CAP 16u

static void queue_push(conn_t *c, rbuf_t *b)
{
    if (c->qlen == c->qcap) {
        unsigned cap = c->qcap ? c->qcap * 2 : c->qcap_hint ? c->qcap_hint : QUEUE_MIN_CAP;
        rbuf_t **q = xmalloc(cap * sizeof(*q));
        for (unsigned i = 0; i < c->qlen; i++)
            q[i] = c->q[(c->qhead + i) & (c->qcap - 1)];
        free(c->q);
        c->q = q;
        c->qcap = cap;
        c->qhead = 0;
    }
    c->q[(c->qhead + c->qlen) & (c->qcap - 1)] = b;
    c->qlen++;
    if (c->qlen > c->qpeak)
        c->qpeak = c->qlen;
    c->queued += b->len;
}

static rbuf_t *queue_at(const conn_t *c, unsigned i)
{
    return c->q[(c->qhead + i) & (c->qcap - 1)];
}

rbuf_t *conn__queue_head(conn_t *c, size_t *off)
{
    *off = c->qoff;
    return c->qlen ? queue_at(c, 0) : NULL;
}

static void queue_pop(conn_t *c)
{
    rbuf_t *b = c->q[c->qhead];
    c->qhead = (c->qhead + 1) & (c->qcap - 1);
    c->qlen--;
    c->queued -= b->len - c->qoff;
    c->qoff = 0;
    rbuf_unref(b);
    if (c->qlen == 0) {
        /* Idle connections keep no queue storage, only the size it needed. */
        unsigned cap = QUEUE_MIN_CAP;
        while (cap < c->qpeak)
            cap *= 2;
        c->qcap_hint = cap;
        c->qpeak = 0;
        free(c->q);
        c->q = NULL;
        c->qcap = c->qhead = 0;
    }
}

static int send_common(conn_t *c, rbuf_t *b, bool force)
{
    if (c->closing && !c->close_after_flush)
        return -EPIPE;
    if (!force && c->queued + c->inflight + b->len > server_options(c->server)->output_cap)
        return -ENOBUFS;
    if (b->len == 0)
        return 0;
    queue_push(c, rbuf_ref(b));
    server__want_flush(c->server, c);
    return 0;
}

int conn_send(conn_t *c, rbuf_t *b)
{
    return send_common(c, b, false);
}

int conn_send_force(conn_t *c, rbuf_t *b)
{
    return send_common(c, b, true);
}

int conn_send_copy(conn_t *c, const void *p, size_t len)
{
    rbuf_t *b = rbuf_from(p, len);
    int rc = send_common(c, b, true);
    rbuf_unref(b);
    return rc;
}

static void really_close(conn_t *c)
{
    if (c->handle_closing)
        return;
    c->handle_closing = true;
    list_remove(&c->flush_node);
    server__deadline_clear(c->server, c);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    free(req);
}

/* Called when output drained while a flushing close waits: half-close our side and keep reading
 * (and discarding) until the peer closes or the grace timer fires, so that data the peer sent
 * last does not turn our close into a reset that destroys the answer before it is read. */
static void maybe_finish_close(conn_t *c)
{
    if (!c->close_after_flush || c->qlen > 0 || c->writing || c->shutdown_sent)
        return;
    if (c->tr->pending && c->tr->pending(c)) {
        server__want_flush(c->server, c); /* a TLS close_notify first */
        return;
    }
    if (c->peer_eof) {
        really_close(c); /* nothing more can come: no need to linger */
        return;
    }
    c->shutdown_sent = true;
    uv_shutdown_t *req = xmalloc(sizeof(*req));
    if (uv_shutdown(req, conn__stream(c), on_shutdown) < 0) {
        free(req);
        really_close(c);
    }
}

static void on_write(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    conn_t *c = w->conn;
    for (unsigned i = 0; i < w->n; i++)
        rbuf_unref(w->bufs[i]);
    c->inflight = 0;
    c->writing = false;
    free(w);
    if (status < 0) {
        if (status != UV_ECANCELED) {
            log_debug("write failed: %s", uv_strerror(status));
            conn_close(c, false);
        }
        return;
    }
    if (c->qlen > 0 || (c->tr->pending && c->tr->pending(c)))
        server__want_flush(c->server, c);
    else
        maybe_finish_close(c);
}

void conn__drained(conn_t *c)
{
    maybe_finish_close(c);
}

/* Advances the queue past n written bytes. */
static void queue_advance(conn_t *c, size_t n)
{
    while (c->qlen > 0) {
        rbuf_t *b = queue_at(c, 0);
        size_t avail = b->len - c->qoff;
        if (n < avail) {
            c->qoff += n;
            c->queued -= n;
            return;
        }
        n -= avail;
        queue_pop(c);
    }
}

void conn__queue_consume(conn_t *c, size_t n)
{
    queue_advance(c, n);
}

/* Hands iov[0..n) (references to bufs, taken here) to one uv_write. 0 or negative (closing). */
static int write_async(conn_t *c, uv_buf_t *iov, rbuf_t **bufs, unsigned n)
{
    write_req_t *w = xmalloc(sizeof(*w) + n * sizeof(rbuf_t *));
    w->conn = c;
    w->n = n;
    for (unsigned i = 0; i < n; i++)
        w->bufs[i] = rbuf_ref(bufs[i]);
    int rc = uv_write(&w->req, conn__stream(c), iov, n, on_write);
    if (rc < 0) {
        for (unsigned i = 0; i < n; i++)
            rbuf_unref(w->bufs[i]);
        free(w);
        conn_close(c, false);
        return rc;
    }
    size_t total = iov_total(iov, n);
    server_stats(c->server)->bytes_out += total; /* counted when handed to the kernel queue */
    c->writing = true;
    c->inflight = total;
    return 0;
}

int conn__write(conn_t *c, rbuf_t *b)
{
    uv_buf_t iov = uv_buf_init(b->data, (unsigned)b->len);
    int r = uv_try_write(conn__stream(c), &iov, 1);
    if (r == UV_EAGAIN)
        r = 0;
    if (r < 0) {
        log_debug("write failed: %s", uv_strerror(r));
        conn_close(c, false);
        return r;
    }
    server_stats(c->server)->bytes_out += (uint64_t)r;
    if ((size_t)r == b->len)
        return 1;
    iov = uv_buf_init(b->data + r, (unsigned)(b->len - (size_t)r));
    return write_async(c, &iov, &b, 1);
}

/* Writes all that is queued: first with uv_try_write (no allocation when the socket has room), and
 * the remainder, if any, with one uv_write that holds references until it completes. */
void conn__flush(conn_t *c)
{
    if (c->close_soon && !c->closing) {
        c->close_soon = false;
        conn_close(c, true);
    }
    if (c->writing || c->handle_closing)
        return;
    c->tr->flush(c);
}

/* Plain TCP: the queued buffers themselves go to the socket, no copy. */
static void tcp_flush(conn_t *c)
{
    if (c->qlen == 0)
        return;
    uv_buf_t iov[MAX_IOV];
    server_stats_t *st = server_stats(c->server);

    while (c->qlen > 0) {
        unsigned n = c->qlen < MAX_IOV ? c->qlen : MAX_IOV;
        for (unsigned i = 0; i < n; i++) {
            rbuf_t *b = queue_at(c, i);
            size_t off = i == 0 ? c->qoff : 0;
            iov[i] = uv_buf_init(b->data + off, (unsigned)(b->len - off));
        }
        int r = uv_try_write(conn__stream(c), iov, n);
        if (r == UV_EAGAIN)
            r = 0;
        if (r < 0) {
            log_debug("write failed: %s", uv_strerror(r));
            conn_close(c, false);
            return;
        }
        st->bytes_out += (uint64_t)r;
        queue_advance(c, (size_t)r);
        if (c->qlen > 0 && (size_t)r < iov_total(iov, n))
            break; /* the socket is full: hand the rest to uv_write */
    }
    if (c->qlen == 0) {
        maybe_finish_close(c);
        return;
    }

    unsigned n = c->qlen < MAX_IOV ? c->qlen : MAX_IOV;
    rbuf_t *bufs[MAX_IOV];
    for (unsigned i = 0; i < n; i++) {
        rbuf_t *b = bufs[i] = queue_at(c, i);
        size_t off = i == 0 ? c->qoff : 0;
        iov[i] = uv_buf_init(b->data + off, (unsigned)(b->len - off));
    }
    if (write_async(c, iov, bufs, n) < 0)
        return;
    for (unsigned i = 0; i < n; i++)
        queue_pop(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn_t *c = h->data;
    size_t len;
    char *p = server__scratch(c->server, &len);
    *buf = uv_buf_init(p, (unsigned)len);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = stream->data;
    if (nread < 0) {
        c->peer_eof = true;
        if (c->closing)
            really_close(c);
        else
            conn_close(c, nread == UV_EOF);
        return;
    }
    if (nread == 0 || c->handle_closing)
        return;
    server_stats(c->server)->bytes_in += (uint64_t)nread;
    const char *data = buf->base;
    size_t len = (size_t)nread;
    if (c->proxy) {
        size_t used;
        proxy_result_t pr;
        int rc = proxy_feed(c->proxy, data, len, &used, &pr);
        if (rc < 0) {
            server__setup_failed(c, "malformed PROXY header");
            return;
        }
        if (rc == 0)
            return;
        free(c->proxy);
        c->proxy = NULL;
        if (pr.family == AF_INET || pr.family == AF_INET6) {
            c->addr = xmalloc(sizeof(*c->addr));
            *c->addr = pr.src;
        }
        server__admit(c); /* may refuse (and close) c, or start TLS */
        data += used;
        len -= used;
        if (len == 0 || c->handle_closing)
            return;
    }
    c->tr->read(c, data, len);
}

void conn__deliver(conn_t *c, const char *data, size_t len)
{
    if (c->closing)
        return; /* a closing connection's input is discarded */
    if (c->handler && c->handler->on_read)
        c->handler->on_read(c, data, len);
}

void conn__proxy_begin(conn_t *c, int mode)
{
    c->proxy = xmalloc(sizeof(*c->proxy));
    proxy_init(c->proxy, (proxy_mode_t)mode);
}

void conn__start(conn_t *c)
{
    uv_tcp_nodelay(&c->tcp, 1);
    uv_tcp_keepalive(&c->tcp, 1, 60);
    uv_read_start(conn__stream(c), on_alloc, on_read);
}

void conn_read_stop(conn_t *c)
{
    if (!c->handle_closing)
        uv_read_stop(conn__stream(c));
}

void conn_close(conn_t *c, bool flush)
{
    if (c->closing) {
        if (!flush && !c->handle_closing)
            really_close(c);
        return;
    }
    c->closing = true;
    const conn_handler_t *h = c->handler;
    if (h && h->on_close)
        h->on_close(c);
    c->handler = NULL;
    c->data = NULL;
    if (flush) {
        c->close_after_flush = true;
        conn_timer_start(c, CLOSE_GRACE_MS);
        maybe_finish_close(c);
        return;
    }
    really_close(c);
}

void conn__deadline(conn_t *c)
{
    if (c->closing) {
        really_close(c); /* the flush grace period ran out */
        return;
    }
    if (c->handler == NULL) {
        server__setup_failed(c, c->proxy ? "no PROXY header in time" : "TLS handshake timed out");
        return;
    }
    if (c->handler->on_timer)
        c->handler->on_timer(c);
}

void conn_timer_start(conn_t *c, uint64_t ms)
{
    if (!c->handle_closing)
        server__deadline_set(c->server, c, ms);
}

void conn_timer_stop(conn_t *c)
{
    server__deadline_clear(c->server, c);
}

static void on_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    while (c->qlen > 0)
        queue_pop(c);
    free(c->q);
    server__conn_gone(c->server, c);
    if (c->tr->free)
        c->tr->free(c);
    free(c->proxy);
    free(c->addr);
    free(c->client);
    free(c);
}

int conn__peer_addr(const conn_t *c, struct sockaddr_storage *ss)
{
    if (c->addr) {
        *ss = *c->addr;
        return 0;
    }
    int len = sizeof(*ss);
    return uv_tcp_getpeername(&c->tcp, (struct sockaddr *)ss, &len);
}

bool conn_tls(const conn_t *c)
{
    return c->tls != NULL;
}

void conn_peer(const conn_t *c, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    char ip[64] = "?";
    int port = 0;
    if (c->client) {
        addr_format(c->client, ip, sizeof(ip)); /* forwarded by a trusted proxy: no port */
    } else if (conn__peer_addr(c, &ss) == 0) {
        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        } else {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        }
    }
    snprintf(out, outlen, "%s:%d", ip, port);
}
