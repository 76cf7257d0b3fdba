/* The fuzz harnesses' kit: one real parleyd app (config, chat groups with their SQLite stores in
 * a RAM-backed temporary directory, the server) built once per process, and client connections:
 * loopback TCP pairs whose server end the server adopts (server_adopt), so bytes reach the real
 * handlers (HTTP, WebSocket, direct socket) through libuv as from any client. 127.0.0.0/8 is a
 * trusted proxy of the kit's configuration, so X-Forwarded-For is believed.
 *
 * Everything runs on the calling thread's loop; no network, no listening socket. kit_settle()
 * after each input hangs up every client, ends tunnels and runs the loop until every connection
 * is closed, so inputs do not leak state into each other beyond what the store keeps. */
#ifndef PARLEY_FUZZ_KIT_H
#define PARLEY_FUZZ_KIT_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "net/server.h"

/* The app, built on the first call (aborts if it cannot be). */
app_t *kit_app(void);

/* A client: our end of the connection (-1 once hung up). */
typedef struct kit_client {
    int fd;
} kit_client_t;

/* Opens a client whose server side cb(ud, conn) takes (NULL: the HTTP handler). 0 or -errno. */
int kit_connect(kit_client_t *k, server_accept_cb cb, void *ud);
/* Sends len bytes (running the loop while the socket is full). */
void kit_send(kit_client_t *k, const void *p, size_t len);
/* Runs a few loop passes: the server reads, answers and flushes. */
void kit_run(void);
/* What the server sent since the last call, up to cap bytes (the rest is discarded); the
 * count. NUL-terminated (cap includes the NUL). */
size_t kit_recv(kit_client_t *k, char *buf, size_t cap);
/* Like kit_recv, but runs the loop (for about 5 s at most) until what came holds needle. */
size_t kit_expect(kit_client_t *k, char *buf, size_t cap, const char *needle);
void kit_hangup(kit_client_t *k);
/* Opens a client and upgrades it to a WebSocket on path (e.g. "/ws"), offering subprotocol
 * (NULL: none); 0, or -1 when no 101 came (the answer is printed). */
int kit_ws_open(kit_client_t *k, const char *path, const char *subprotocol);
/* Hangs up every client, ends tunnels and runs the loop until no connection is left. */
void kit_settle(void);

#endif
