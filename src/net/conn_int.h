/* The body of conn_t and the transport interface, shared by conn.c, server.c and tls.c only. */
#ifndef PARLEY_NET_CONN_INT_H
#define PARLEY_NET_CONN_INT_H

#include <stdio.h>
#include <sys/socket.h>

#include "net/addr.h"
#include "net/conn.h"
#include "util/list.h"

/* How a connection's bytes cross the socket: plain TCP (conn.c) or TLS over memory BIOs (tls.c).
 * libuv does the socket I/O for both; a transport only turns socket bytes into the handler's
 * input and the output queue into socket bytes. */
typedef struct conn_transport {
    const char *name;
    /* Bytes from the socket, in the loop's scratch buffer. Plaintext goes to conn__deliver. Also
     * called while the connection closes (TLS must finish a handshake to say why). */
    void (*read)(conn_t *c, const char *data, size_t len);
    /* Writes what is queued; called once per loop pass when no write is in flight. */
    void (*flush)(conn_t *c);
    /* Whether the transport still has bytes of its own to send before the socket may be shut down
     * (TLS records, a close_notify). NULL: never. */
    bool (*pending)(conn_t *c);
    /* Frees the transport's state (from the close callback). NULL: nothing to free. */
    void (*free)(conn_t *c);
} conn_transport_t;

struct listener;
struct tls_conn;
struct proxy_parser;

struct conn {
    uv_tcp_t tcp;
    /* What queueing an event reads and writes (send_common), together after the handle. */
    server_t *server;
    /* output queue: a ring of buffer references; q is NULL while empty */
    rbuf_t **q;
    unsigned qhead, qlen, qcap; /* qcap: 0 or a power of two */
    unsigned qpeak;             /* the longest qlen since the queue last drained */
    unsigned qcap_hint;         /* the capacity that qpeak needed at the last drain; 0: none */
    size_t qoff;                /* bytes of the head buffer already written */
    size_t queued;              /* bytes in q not yet written */
    size_t inflight;            /* bytes handed to a uv_write not yet completed */
    bool writing : 1;
    bool closing : 1;
    bool close_after_flush : 1;
    bool handle_closing : 1;
    bool shutdown_sent : 1;
    bool peer_eof : 1;
    bool close_soon : 1;
    list_t flush_node; /* linked while waiting for the pre-poll flush */
    const conn_handler_t *handler;
    void *data;
    const conn_transport_t *tr;
    struct tls_conn *tls;          /* tls.c's state; NULL on plain TCP */
    struct listener *listener;     /* server.c: the listener that accepted it */
    struct proxy_parser *proxy;    /* while a PROXY header is awaited; then NULL */
    struct sockaddr_storage *addr; /* the client a PROXY header named; NULL: the socket's peer */
    list_t all_node;               /* server's list of connections */
    list_t deadline_node;          /* linked while the conn's timer runs (server.c) */
    uint64_t deadline;             /* loop time (ms) the timer fires at */
    struct peer_count *peer; /* the peer address's count of open connections; NULL: not counted */
    addr_t
        *client; /* the client a trusted proxy forwards for (server_conn_forwarded); NULL: peer */
};

static inline size_t iov_total(const uv_buf_t *iov, unsigned n)
{
    size_t t = 0;
    for (unsigned i = 0; i < n; i++)
        t += iov[i].len;
    return t;
}

/* For transports (conn.c): */
/* Hands plaintext to the handler (dropped while closing). */
void conn__deliver(conn_t *c, const char *data, size_t len);
/* The oldest queued buffer and how much of it is written already; NULL when the queue is empty. */
rbuf_t *conn__queue_head(conn_t *c, size_t *off);
/* Marks n bytes of the head buffer written (n at most what is left of it). */
void conn__queue_consume(conn_t *c, size_t n);
/* Writes b (a reference is taken while needed). 1: all written now; 0: the rest is in flight
 * (c->writing); negative: failed, and the connection is closing. */
int conn__write(conn_t *c, rbuf_t *b);
/* The queue drained: finish a flushing close if one waits. */
void conn__drained(conn_t *c);
/* The client's address: a PROXY header's, else the socket peer's. 0 or a negative libuv code. */
int conn__peer_addr(const conn_t *c, struct sockaddr_storage *ss);

#endif
