#include "net/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"
#include "net/proxy.h"
#include "net/tls.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define uthash_malloc(sz)    xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#include <uthash.h>

#define SCRATCH_LEN      (64 * 1024)
#define DEADLINE_CLASSES 8

/* Connections waiting for a timer of one duration, oldest (earliest deadline) first. */
struct deadline_class {
    uint64_t ms;
    list_t list;
};

/* Open connections from one peer address: an IPv4 address (as an IPv4-mapped IPv6 one) or an
 * IPv6 /64, the block one host usually gets. Only addresses with connections have an entry. */
struct peer_count {
    uint8_t addr[16];
    unsigned n;
    UT_hash_handle hh;
};

/* One listening socket: what it calls for an accepted connection and how it refuses one. */
struct listener {
    uv_tcp_t tcp;
    server_t *server;
    server_listen_opts_t o;
    bool listening;
};

#define MAX_LISTENERS 16

struct server {
    uv_loop_t *loop;
    server_options_t opt;
    server_accept_cb accept_cb; /* server_listen's */
    void *accept_ud;
    struct listener listeners[MAX_LISTENERS];
    unsigned nlisteners;
    uv_prepare_t flusher;
    list_t conns;
    list_t pending; /* connections with output to flush before the loop polls */
    uv_timer_t ticker;
    uint64_t ticker_due; /* loop time the ticker fires at; UINT64_MAX: stopped */
    struct deadline_class dq[DEADLINE_CLASSES];
    unsigned ndq;
    server_stats_t stats;
    struct peer_count *peers; /* only with opt.max_per_address */
    char scratch[SCRATCH_LEN];
};

static const char refuse_503[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "Retry-After: 5\r\n"
                                 "Connection: close\r\n"
                                 "Content-Length: 35\r\n"
                                 "\r\n"
                                 "server full: too many connections\r\n";

static const char refuse_429[] = "HTTP/1.1 429 Too Many Requests\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "Retry-After: 5\r\n"
                                 "Connection: close\r\n"
                                 "Content-Length: 40\r\n"
                                 "\r\n"
                                 "too many connections from your address\r\n";

/* Before the loop sleeps: write each connection's pending output in one call (Redis's
 * handleClientsWithPendingWrites). Connections re-added during the walk wait for the next pass. */
static void on_prepare(uv_prepare_t *p)
{
    server_t *s = p->data;
    list_t batch;
    list_init(&batch);
    if (list_empty(&s->pending))
        return;
    /* move the whole pending list to batch */
    batch.next = s->pending.next;
    batch.prev = s->pending.prev;
    batch.next->prev = &batch;
    batch.prev->next = &batch;
    list_init(&s->pending);
    while (!list_empty(&batch)) {
        list_t *it = batch.next;
        list_remove(it);
        conn__flush(list_entry(it, conn_t, flush_node));
    }
}

server_t *server_new(uv_loop_t *loop, const server_options_t *opt, server_accept_cb cb, void *ud)
{
    server_t *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->opt = *opt;
    s->accept_cb = cb;
    s->accept_ud = ud;
    list_init(&s->conns);
    list_init(&s->pending);
    uv_prepare_init(loop, &s->flusher);
    s->flusher.data = s;
    uv_prepare_start(&s->flusher, on_prepare);
    uv_unref((uv_handle_t *)&s->flusher);
    uv_timer_init(loop, &s->ticker);
    s->ticker.data = s;
    s->ticker_due = UINT64_MAX;
    return s;
}

/* The address c counts for: the client a trusted proxy forwards for, else the socket's peer (an
 * IPv6 peer's /64). false when it counts for none: its address is unknown (a connection reset
 * before we asked) or it is a trusted proxy speaking for itself. */
static bool peer_key(const server_t *s, const conn_t *c, addr_t *key)
{
    struct sockaddr_storage ss;
    if (c->client) {
        *key = *c->client;
    } else {
        if (conn__peer_addr(c, &ss) != 0 || addr_from_sockaddr((struct sockaddr *)&ss, key) < 0)
            return false;
        if (s->opt.trusted && addr_list_match(s->opt.trusted, key))
            return false;
    }
    if (!addr_is_v4(key))
        memset(key->b + 8, 0, 8);
    return true;
}

/* The count entry of c's address, created at 0 if missing; NULL if c counts for none. */
static struct peer_count *peer_lookup(server_t *s, conn_t *c)
{
    addr_t key;
    if (!peer_key(s, c, &key))
        return NULL;
    struct peer_count *p;
    HASH_FIND(hh, s->peers, key.b, sizeof(key.b), p);
    if (p == NULL) {
        p = xcalloc(1, sizeof(*p));
        memcpy(p->addr, key.b, sizeof(key.b));
        HASH_ADD(hh, s->peers, addr, sizeof(p->addr), p);
    }
    return p;
}

static void peer_release(server_t *s, conn_t *c)
{
    struct peer_count *p = c->peer;
    c->peer = NULL;
    server_peer_release(s, p);
}

int server_peer_take(server_t *s, conn_t *c, server_peer_t **out)
{
    *out = NULL;
    if (s->opt.max_per_address <= 0)
        return 0;
    if (c->peer) {
        *out = c->peer;
        c->peer = NULL;
        return 0;
    }
    struct peer_count *p = peer_lookup(s, c);
    if (p == NULL)
        return 0;
    if (p->n >= (unsigned)s->opt.max_per_address) {
        if (p->n == 0) {
            HASH_DELETE(hh, s->peers, p);
            free(p);
        }
        s->stats.refused_per_address++;
        return -EMFILE;
    }
    p->n++;
    *out = p;
    return 0;
}

void server_peer_release(server_t *s, server_peer_t *p)
{
    if (p && --p->n == 0) {
        HASH_DELETE(hh, s->peers, p);
        free(p);
    }
}

void server_conn_uncount(conn_t *c)
{
    peer_release(c->server, c);
}

/* Whether c's peer (the socket's, or the one a PROXY header named) is a trusted proxy. */
static bool from_trusted(const server_t *s, const conn_t *c)
{
    struct sockaddr_storage ss;
    addr_t a;
    if (s->opt.trusted == NULL || s->opt.trusted->n == 0)
        return false;
    if (conn__peer_addr(c, &ss) != 0 || addr_from_sockaddr((struct sockaddr *)&ss, &a) < 0)
        return false;
    return addr_list_match(s->opt.trusted, &a);
}

int server_conn_forwarded(conn_t *c, const char *xff, size_t len)
{
    server_t *s = c->server;
    addr_t a;
    if (!from_trusted(s, c))
        return 0;
    bool have = xff && addr_forwarded_for(s->opt.trusted, xff, len, &a) == 0;
    if (!have && c->client == NULL)
        return 0;
    if (have && c->client && memcmp(c->client, &a, sizeof(a)) == 0)
        return 0; /* the same client as the previous request */
    peer_release(s, c);
    free(c->client);
    c->client = NULL;
    if (have) {
        c->client = xmalloc(sizeof(a));
        *c->client = a;
    }
    if (s->opt.max_per_address <= 0)
        return 0;
    struct peer_count *p = peer_lookup(s, c);
    if (p && p->n >= (unsigned)s->opt.max_per_address) {
        s->stats.refused++;
        s->stats.refused_per_address++;
        return -EMFILE;
    }
    if (p) {
        p->n++;
        c->peer = p;
    }
    return 0;
}

/* Answers a connection we will not serve and closes it; it lives for at most the close grace
 * period (2 s) and counts against max_connections meanwhile. */
static void refuse(server_t *s, conn_t *c, const char *answer, size_t len)
{
    s->stats.refused++;
    conn_send_copy(c, answer, len);
    conn_close(c, true);
}

static void on_connection(uv_stream_t *stream, int status)
{
    struct listener *l = stream->data;
    server_t *s = l->server;
    if (status < 0) {
        /* EMFILE/ENFILE: libuv has already accepted and closed the waiting connections with
         * its reserve descriptor; we carry on. */
        log_warn("accept failed: %s", uv_strerror(status));
        s->stats.refused++;
        return;
    }
    conn_t *c = conn__new(s);
    if (uv_accept(stream, conn__stream(c)) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    c->listener = l;
    list_push_back(&s->conns, &c->all_node);
    s->stats.open++;
    conn__start(c);
    if (l->o.proxy != PROXY_OFF) {
        conn__proxy_begin(c, l->o.proxy);
        conn_timer_start(c, s->opt.handshake_ms);
        return; /* conn.c calls server__admit once the header is in */
    }
    server__admit(c);
}

void server__admit(conn_t *c)
{
    server_t *s = c->server;
    struct listener *l = c->listener;
    /* the one being admitted is counted in open already */
    bool full = s->stats.open > (unsigned)s->opt.max_connections;
    if (l->o.tls) {
        /* a refusal is queued as plaintext and goes out once the handshake is done */
        tls_conn_start(c, l->o.tls);
        conn_timer_start(c, s->opt.handshake_ms);
    }
    if (full) {
        refuse(s, c, l->o.refuse_full, strlen(l->o.refuse_full));
        return;
    }
    if (s->opt.max_per_address > 0) {
        struct peer_count *p = peer_lookup(s, c);
        if (p && p->n >= (unsigned)s->opt.max_per_address) {
            s->stats.refused_per_address++;
            refuse(s, c, l->o.refuse_per_address, strlen(l->o.refuse_per_address));
            return;
        }
        if (p) {
            p->n++;
            c->peer = p;
        }
    }
    s->stats.accepted++;
    if (l->o.tls == NULL)
        l->o.cb(l->o.ud, c);
}

void server__ready(conn_t *c)
{
    conn_timer_stop(c);
    c->listener->o.cb(c->listener->o.ud, c);
}

void server__setup_failed(conn_t *c, const char *why)
{
    char peer[64];
    server_stats_t *st = &c->server->stats;
    if (c->proxy)
        st->proxy_failures++;
    else
        st->tls_handshake_failures++;
    conn_peer(c, peer, sizeof(peer));
    log_info("closing %s: %s", peer, why);
    conn_close(c, false);
}

conn_t *server_adopt(server_t *s, int fd, server_accept_cb cb, void *ud)
{
    conn_t *c = conn__new(s);
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return NULL;
    }
    list_push_back(&s->conns, &c->all_node);
    s->stats.open++;
    s->stats.accepted++;
    conn__start(c);
    cb(ud, c);
    return c;
}

int server_listen(server_t *s, const char *host, int port, int *bound_port)
{
    server_listen_opts_t o = {s->accept_cb, s->accept_ud, refuse_503, refuse_429, NULL, PROXY_OFF};
    return server_listen_with(s, host, port, &o, bound_port);
}

int server_listen_with(server_t *s, const char *host, int port, const server_listen_opts_t *o,
                       int *bound_port)
{
    struct sockaddr_storage ss;
    int rc;
    if (strchr(host, ':'))
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    else
        rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc < 0)
        return rc;
    if (s->nlisteners == MAX_LISTENERS)
        return UV_EMFILE;
    struct listener *l = &s->listeners[s->nlisteners];
    l->server = s;
    l->o = *o;
    if (l->o.refuse_full == NULL)
        l->o.refuse_full = refuse_503;
    if (l->o.refuse_per_address == NULL)
        l->o.refuse_per_address = refuse_429;
    uv_tcp_init(s->loop, &l->tcp);
    l->tcp.data = l;
    rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, 4096, on_connection);
    if (rc < 0) {
        uv_close((uv_handle_t *)&l->tcp, NULL);
        return rc;
    }
    s->nlisteners++;
    l->listening = true;
    int len = sizeof(ss);
    uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
    if (bound_port)
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

void server_stop_listening(server_t *s)
{
    for (unsigned i = 0; i < s->nlisteners; i++) {
        struct listener *l = &s->listeners[i];
        if (l->listening) {
            l->listening = false;
            uv_close((uv_handle_t *)&l->tcp, NULL);
        }
    }
}

void server_foreach_conn(server_t *s, void (*fn)(conn_t *c, void *ud), void *ud)
{
    list_foreach_safe(it, tmp, &s->conns)
    {
        fn(list_entry(it, conn_t, all_node), ud);
    }
}

void server_free(server_t *s)
{
    if (s == NULL)
        return;
    server_stop_listening(s);
    uv_close((uv_handle_t *)&s->flusher, NULL);
    uv_close((uv_handle_t *)&s->ticker, NULL);
    /* the loop must run once more for the close callbacks before s is gone */
    uv_run(s->loop, UV_RUN_NOWAIT);
    free(s);
}

unsigned server_open_conns(const server_t *s)
{
    return s->stats.open;
}

uv_loop_t *server_loop(const server_t *s)
{
    return s->loop;
}

const server_options_t *server_options(const server_t *s)
{
    return &s->opt;
}

server_stats_t *server_stats(server_t *s)
{
    return &s->stats;
}

char *server__scratch(server_t *s, size_t *len)
{
    *len = sizeof(s->scratch);
    return s->scratch;
}

void server__want_flush(server_t *s, conn_t *c)
{
    if (!list_linked(&c->flush_node))
        list_push_back(&s->pending, &c->flush_node);
}

static void on_tick(uv_timer_t *t);

static void arm(server_t *s)
{
    uint64_t first = UINT64_MAX;
    for (unsigned i = 0; i < s->ndq; i++)
        if (!list_empty(&s->dq[i].list)) {
            uint64_t d = list_entry(s->dq[i].list.next, conn_t, deadline_node)->deadline;
            if (d < first)
                first = d;
        }
    s->ticker_due = first;
    if (first == UINT64_MAX) {
        uv_timer_stop(&s->ticker);
        return;
    }
    uint64_t now = uv_now(s->loop);
    uv_timer_start(&s->ticker, on_tick, first > now ? first - now : 0, 0);
}

static void on_tick(uv_timer_t *t)
{
    server_t *s = t->data;
    uint64_t now = uv_now(s->loop);
    for (unsigned i = 0; i < s->ndq; i++) {
        list_t *l = &s->dq[i].list;
        while (!list_empty(l)) {
            conn_t *c = list_entry(l->next, conn_t, deadline_node);
            if (c->deadline > now)
                break;
            list_remove(&c->deadline_node);
            conn__deadline(c); /* may set a new deadline or close c */
        }
    }
    arm(s);
}

void server__deadline_set(server_t *s, conn_t *c, uint64_t ms)
{
    list_remove(&c->deadline_node);
    struct deadline_class *dq = NULL;
    for (unsigned i = 0; i < s->ndq && !dq; i++)
        if (s->dq[i].ms == ms)
            dq = &s->dq[i];
    if (dq == NULL) {
        if (s->ndq == DEADLINE_CLASSES) {
            log_error("too many distinct connection timer durations");
            abort();
        }
        dq = &s->dq[s->ndq++];
        dq->ms = ms;
        list_init(&dq->list);
    }
    c->deadline = uv_now(s->loop) + ms;
    list_push_back(&dq->list, &c->deadline_node);
    /* Re-arming on every read of every WebSocket (idle_timeout) would cost a timer restart each:
     * the ticker is moved only when this deadline comes first. If c was the earliest before, the
     * ticker fires early once, finds nothing due and re-arms. */
    if (c->deadline < s->ticker_due)
        arm(s);
}

void server__deadline_clear(server_t *s, conn_t *c)
{
    if (list_linked(&c->deadline_node)) {
        list_remove(&c->deadline_node);
        arm(s); /* an armed timer with nothing to wait for would keep the loop alive */
    }
}

void server__conn_gone(server_t *s, conn_t *c)
{
    server__deadline_clear(s, c);
    peer_release(s, c);
    list_remove(&c->all_node);
    list_remove(&c->flush_node);
    s->stats.open--;
}
