/* A client connection: a TCP stream, its transport (plain or TLS, see conn_int.h and tls.h), the
 * protocol handler that owns it now (HTTP, then WebSocket), and its output queue. A connection on
 * a listener with a PROXY header or TLS gets its handler only once those are done (server.c).
 *
 * Output: conn_send() queues a reference to a shared buffer (the caller keeps its own reference).
 * Nothing is written at once: the server flushes every connection with pending output once per loop
 * pass, just before the loop polls, writing everything queued in one call (see server.c). Each
 * connection has an output cap; conn_send() refuses with -ENOBUFS past it and the caller decides
 * what a reader that falls behind gets (the WebSocket layer closes it with 1008).
 *
 * Input: handlers get bytes in a loop-wide scratch buffer valid only during the call, so an idle
 * connection holds no read buffer; a handler copies only an incomplete tail it must keep.
 *
 * Closing: conn_close() may be called from inside any callback of the connection; the handler's
 * on_close runs once, then the memory is freed after libuv's close callback, never during the
 * caller's stack frame. */
#ifndef PARLEY_NET_CONN_H
#define PARLEY_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "util/rbuf.h"

typedef struct conn conn_t;
typedef struct server server_t;

typedef struct conn_handler {
    /* Bytes from the peer. data is valid only during the call. */
    void (*on_read)(conn_t *c, const char *data, size_t len);
    /* The connection is closing (peer gone, error, conn_close): release protocol state. Called
     * once; nothing the handler queues afterwards is sent unless the close was a flushing one. */
    void (*on_close)(conn_t *c);
    /* The conn's timer fired (see conn_timer_start). May be NULL. */
    void (*on_timer)(conn_t *c);
} conn_handler_t;

void conn_set_handler(conn_t *c, const conn_handler_t *h, void *data);
void *conn_data(const conn_t *c);
server_t *conn_server(const conn_t *c);

/* Queues a reference to b. 0, -ENOBUFS (over the output cap; nothing queued) or -EPIPE (closing).
 */
int conn_send(conn_t *c, rbuf_t *b);
/* Like conn_send but ignores the cap (for a final close frame or error answer). */
int conn_send_force(conn_t *c, rbuf_t *b);
/* Copies len bytes into a new buffer and queues it, ignoring the cap. */
int conn_send_copy(conn_t *c, const void *p, size_t len);
size_t conn_queued_bytes(const conn_t *c);

/* Starts closing. With flush, what is queued is written first (for at most 2 seconds). */
void conn_close(conn_t *c, bool flush);
bool conn_closing(const conn_t *c);
/* Prefetches the fields that queueing an event touches (a fan-out warms its recipients first). */
void conn_prefetch(const conn_t *c);
/* conn_close(c, true) from the next pre-poll pass instead of now: for callers deep in a fan-out,
 * which must not have the connection's handler (and its core session) torn down under them. */
void conn_close_soon(conn_t *c);

/* One timer per connection (no handle of its own: see server__deadline_set); starting it again
 * re-arms it. Only a few distinct durations may be used per server. */
void conn_timer_start(conn_t *c, uint64_t ms);
void conn_timer_stop(conn_t *c);

void conn_read_stop(conn_t *c);
/* Writes "ip:port" of the peer into out: the client a PROXY header named, if any. */
void conn_peer(const conn_t *c, char *out, size_t outlen);
/* Whether the connection speaks TLS. */
bool conn_tls(const conn_t *c);

/* For server.c: */
conn_t *conn__new(server_t *s);
uv_stream_t *conn__stream(conn_t *c);
void conn__start(conn_t *c);
void conn__flush(conn_t *c);
/* Reads a PROXY header (proxy_mode_t mode) before anything else. */
void conn__proxy_begin(conn_t *c, int mode);

#endif
