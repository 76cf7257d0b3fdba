/* The body of conn_t, shared by conn.c and server.c only. */
#ifndef PARLEY_NET_CONN_INT_H
#define PARLEY_NET_CONN_INT_H

#include <stdio.h>

#include "net/conn.h"
#include "util/list.h"

struct conn {
    uv_tcp_t tcp;
    server_t *server;
    const conn_handler_t *handler;
    void *data;
    list_t all_node;         /* server's list of connections */
    list_t deadline_node;    /* linked while the conn's timer runs (server.c) */
    uint64_t deadline;       /* loop time (ms) the timer fires at */
    list_t flush_node;       /* linked while waiting for the pre-poll flush */
    struct peer_count *peer; /* the peer address's count of open connections; NULL: not counted */
    /* output queue: a ring of buffer references; q is NULL while empty */
    rbuf_t **q;
    unsigned qhead, qlen, qcap;
    size_t qoff;     /* bytes of the head buffer already written */
    size_t queued;   /* bytes in q not yet written */
    size_t inflight; /* bytes handed to a uv_write not yet completed */
    bool writing : 1;
    bool closing : 1;
    bool close_after_flush : 1;
    bool handle_closing : 1;
    bool shutdown_sent : 1;
    bool peer_eof : 1;
    bool close_soon : 1;
};

static inline size_t iov_total(const uv_buf_t *iov, unsigned n)
{
    size_t t = 0;
    for (unsigned i = 0; i < n; i++)
        t += iov[i].len;
    return t;
}

#endif
