/* The listener and the per-loop state every connection shares: the pending-flush list, the scratch
 * read buffer, limits and counters. One server per loop. */
#ifndef PARLEY_NET_SERVER_H
#define PARLEY_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "net/addr.h"
#include "net/conn.h"

typedef struct server_options {
    int max_connections; /* beyond it: HTTP 503 and close */
    /* open connections from one address (an IPv6 /64) beyond which: HTTP 429 and close; 0: none */
    int max_per_address;
    size_t output_cap; /* bytes queued per connection before conn_send refuses */
    /* ms for a PROXY header and a TLS handshake to complete on listeners with them */
    uint64_t handshake_ms;
    /* Reverse proxies whose X-Forwarded-For is believed (borrowed; NULL or empty: none). Their
     * connections are not counted against max_per_address; what they forward for is. */
    const addr_list_t *trusted;
} server_options_t;

typedef struct server_stats {
    uint64_t accepted;
    uint64_t refused;             /* every refused connection (503, 429, failed accept) */
    uint64_t refused_per_address; /* of those, refused at max_per_address (429) */
    uint64_t bytes_in;
    uint64_t bytes_out;
    /* incremented by protocol layers: */
    uint64_t slow_dropped;  /* closed for passing output_cap */
    uint64_t rate_limited;  /* commands refused by flood control */
    uint64_t flood_dropped; /* closed for flooding */
    unsigned open;
    unsigned websockets;             /* maintained by the WebSocket layer */
    unsigned direct;                 /* direct socket connections (proto/json/direct.c) */
    unsigned tls;                    /* connections with a completed TLS handshake */
    uint64_t tls_handshake_failures; /* bad handshakes, plain text to TLS ports, timeouts */
    uint64_t proxy_failures;         /* missing, late or malformed PROXY headers */
} server_stats_t;

/* Called for each accepted connection; installs its first handler. */
typedef void (*server_accept_cb)(void *ud, conn_t *c);

server_t *server_new(uv_loop_t *loop, const server_options_t *opt, server_accept_cb cb, void *ud);
/* Binds and listens with server_new's callback and HTTP refusals (503, 429). *bound_port gets the
 * port (useful with port 0). 0 or a negative libuv code. */
int server_listen(server_t *s, const char *host, int port, int *bound_port);

/* A further listener (at most 16 in all) with a callback of its own and the bytes it sends to a
 * connection refused at max_connections or max_per_address (static strings, borrowed; NULL: the
 * HTTP 503 and 429 answers). Every
 * listener shares the server's limits and counts. With tls (borrowed; it must outlive the server)
 * connections speak TLS and cb runs after the handshake; with proxy (proxy_mode_t) a PROXY header
 * comes first and names the client whose address counts, is logged and is seen by the core. */
struct tls;
typedef struct server_listen_opts {
    server_accept_cb cb;
    void *ud;
    const char *refuse_full;
    const char *refuse_per_address;
    struct tls *tls;
    int proxy;
} server_listen_opts_t;
int server_listen_with(server_t *s, const char *host, int port, const server_listen_opts_t *o,
                       int *bound_port);
void server_stop_listening(server_t *s);
/* A connection on a socket the caller opened (fd: a connected stream socket, e.g. one end of a
 * socketpair; the connection owns it), handed to cb as if accepted, without the connection
 * limits. NULL if libuv refuses the descriptor. The seam of the fuzz harnesses (fuzz/kit.c). */
conn_t *server_adopt(server_t *s, int fd, server_accept_cb cb, void *ud);
/* Per-address counts for sessions that outlive their connections (HTTP tunnels): a session
 * counts as one connection of its address. server_peer_take moves c's own count to the session
 * (c is no longer counted) or, if c has none, adds one, refusing with -EMFILE at
 * max_per_address. *out (NULL when nothing is counted) goes to server_peer_release. */
typedef struct peer_count server_peer_t;
int server_peer_take(server_t *s, conn_t *c, server_peer_t **out);
void server_peer_release(server_t *s, server_peer_t *p);
/* Stops counting c against its address (a connection carrying a session that counts already). */
void server_conn_uncount(conn_t *c);

/* The client of c's current request as a trusted proxy forwards it: xff is the request's
 * X-Forwarded-For value (all its header lines joined with commas; NULL: none). Ignored (0) unless
 * c's peer is a trusted proxy; then the forwarded address (none: the proxy itself) becomes what
 * conn_peer shows and what max_per_address counts. -EMFILE when that address is at
 * max_per_address (c is then not counted; answer 429 and close). */
int server_conn_forwarded(conn_t *c, const char *xff, size_t len);

/* Calls fn for every open connection (fn may close it). */
void server_foreach_conn(server_t *s, void (*fn)(conn_t *c, void *ud), void *ud);
/* Frees the server once every connection is closed and the loop has run their close callbacks. */
void server_free(server_t *s);
unsigned server_open_conns(const server_t *s);

uv_loop_t *server_loop(const server_t *s);
const server_options_t *server_options(const server_t *s);
server_stats_t *server_stats(server_t *s);

/* For conn.c */
char *server__scratch(server_t *s, size_t *len);
void server__want_flush(server_t *s, conn_t *c);
void server__conn_gone(server_t *s, conn_t *c);
/* Per-connection timers without a uv_timer_t each: connections wait in one FIFO list per
 * duration (so each list stays in deadline order) and one server timer fires for the earliest. */
void server__deadline_set(server_t *s, conn_t *c, uint64_t ms);
void server__deadline_clear(server_t *s, conn_t *c);
void conn__deadline(conn_t *c); /* conn.c: the connection's timer fired */
/* Connection setup (PROXY header, then admission, then TLS handshake, then the listener's cb):
 * admit checks the limits (refusing with the listener's answers) once the client is known;
 * ready hands a TLS connection to the listener's cb after its handshake; setup_failed counts and
 * closes a connection whose header or handshake was bad or late. */
void server__admit(conn_t *c);
void server__ready(conn_t *c);
void server__setup_failed(conn_t *c, const char *why);

#endif
