/* parley-bench's client connection over a libuv TCP handle. For ws:// targets a minimal WebSocket
 * client (RFC 6455), just enough for the tool: HTTP upgrade with a checked Sec-WebSocket-Accept,
 * masked text frames out, whole text messages in (frames parsed with wslay's frame API), close
 * handshake, pings answered. For irc:// targets (target->irc) line mode: open once TCP is
 * connected, wsc_send_text() writes the bytes as given (the caller ends its lines with CRLF), every
 * received line is one "text message" without its CR LF, and wsc_close() only marks the end as
 * expected (the caller has sent QUIT): the server's EOF then ends it cleanly.
 *
 * Lifetime: wsc_connect() returns a client owned by this module. on_end is called exactly once when
 * the connection is over for any reason (also from wsc_abort()); after on_end returns the caller
 * must not use the pointer again, and the memory is freed once libuv has closed the handle. Every
 * callback may call wsc_close()/wsc_abort() on its own client. */
#ifndef PARLEY_BENCH_WSCLIENT_H
#define PARLEY_BENCH_WSCLIENT_H

#include <stddef.h>
#include <netinet/in.h>
#include <uv.h>

#include "bench.h"

typedef struct wsc wsc_t;

/* How a connection ended: WSC_END_CLEAN (our close was answered) or an err_kind_t (stats.h). */
#define WSC_END_CLEAN (-1)

typedef struct wsc_handler {
    void (*on_open)(wsc_t *c);                              /* upgrade accepted */
    void (*on_text)(wsc_t *c, const char *msg, size_t len); /* one whole text message (borrowed) */
    /* close_code: status of the server's close frame, 0 if none arrived. */
    void (*on_end)(wsc_t *c, int how, int close_code);
} wsc_handler_t;

/* Starts connecting to t, from src if not NULL (port 0: the kernel picks the port at connect time).
 * Returns 0 or a negative libuv error, in which case no callback is ever called. */
int wsc_connect(uv_loop_t *loop, const bench_target_t *t, const struct sockaddr_in *src,
                const wsc_handler_t *h, void *data, wsc_t **out);
void *wsc_data(const wsc_t *c);
/* Sends one text message (copied; in line mode raw bytes). Returns 0, or a negative error after
 * which the connection is being ended (on_end has been called). */
int wsc_send_text(wsc_t *c, const char *text, size_t len);
/* Starts the close handshake (status 1000; line mode: see above). on_end follows when the server
 * answers. */
void wsc_close(wsc_t *c);
/* The time the read being handled came in (one clock reading for all its messages), or now. */
uint64_t wsc_read_ns(void);
/* Ends the connection now; on_end(how, 0) is called before this returns. */
void wsc_abort(wsc_t *c, int how);
/* Frees the process-wide frame encoder (at exit, for leak checkers). */
void wsc_global_cleanup(void);

#endif
