/* WebSocket (RFC 6455) on a connection: the upgrade handshake and the framing, parsed with wslay's
 * frame API. Messages reach the protocol handler whole and validated (text, UTF-8, within
 * max_message); every frame-level violation closes with the code in docs/PROTOCOL.md.
 *
 * Memory: the wslay frame context (4 KiB) exists only while a frame is arriving; an idle WebSocket
 * holds no input buffer. Output frames are built once into shared buffers (ws_frame_text) and
 * queued by reference (ws_send). */
#ifndef PARLEY_HTTP_WS_H
#define PARLEY_HTTP_WS_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "util/buf.h"
#include "util/rbuf.h"

typedef struct ws ws_t;

typedef struct ws_handler {
    /* The handshake answer is queued; the handler may send. */
    void (*on_open)(ws_t *ws);
    /* One complete text message (valid UTF-8, at most max_message bytes). msg is NUL-terminated
     * and valid only during the call. */
    void (*on_text)(ws_t *ws, const char *msg, size_t len);
    /* The connection is closing: release the handler's state. Sending is no longer possible. */
    void (*on_close)(ws_t *ws);
    /* Subprotocols the handler speaks (Sec-WebSocket-Protocol), NULL-terminated; NULL: none. The
     * first the client offers that is listed is chosen (ws_subprotocol); a client offering only
     * others, or none, gets no subprotocol. */
    const char *const *subprotocols;
    /* Binary messages are accepted and reach on_text unchecked (no UTF-8 check); otherwise they
     * are refused with close 1003. */
    bool binary;
} ws_handler_t;

/* Answers GET /ws: validates the handshake (400/405/426/503 on failure) or switches the connection
 * to WebSocket with handler h. */
void ws_upgrade(const http_request_t *r, const ws_handler_t *h);

void ws_set_data(ws_t *ws, void *data);
void *ws_data(const ws_t *ws);
app_t *ws_app(const ws_t *ws);
struct group *ws_group(const ws_t *ws);
/* The connection under the WebSocket: it outlives ws (for conn_closing after a handler closed
 * it); its handler and timer are the WebSocket's. */
conn_t *ws_conn(const ws_t *ws);
/* Writes "ip:port" of the peer into out (for logs). */
void ws_peer(const ws_t *ws, char *out, size_t outlen);

/* The index in the handler's subprotocols of the one chosen at the handshake; -1: none. */
int ws_subprotocol(const ws_t *ws);

/* Builds one complete unmasked text frame around payload (the caller owns the reference). */
rbuf_t *ws_frame_text(const void *payload, size_t len);
/* Appends a complete unmasked frame (binary: opcode 2, else text) to b (grown as needed). */
void ws_frame_append(buf_t *b, bool binary, const void *payload, size_t len);

/* Queues a frame by reference. Past the output cap the reader is dropped (close 1008) and -ENOBUFS
 * returned; -EPIPE when closing. */
int ws_send(ws_t *ws, rbuf_t *frame);
/* Sends a close frame and closes the connection once it is written (2 s at most). */
void ws_close(ws_t *ws, uint16_t code, const char *reason);

/* The code of the close frame the server sent (its own close, or its answer to the peer's: 1000);
 * 0 when none was sent (the peer vanished). For on_close. */
uint16_t ws_close_code(const ws_t *ws);

/* Frees the shared frame encoder (at exit, for leak checkers). */
void ws_global_cleanup(void);

#endif
