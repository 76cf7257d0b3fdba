/* The IRC gateway (docs/PROTOCOL.md, "IRC gateway"): ordinary IRC clients on their own listener
 * ([irc] listen) become core sessions of one chat group ([irc] group), with a room's tables as
 * channels. Loop thread only; its state (the client list, counters, the MOTD) lives from
 * irc_init to irc_deinit. */
#ifndef PARLEY_PROTO_IRC_IRC_H
#define PARLEY_PROTO_IRC_IRC_H

#include <stdint.h>

#include "app.h"
#include "store/store.h"
#include "http/ws.h"
#include "net/server.h"

typedef struct irc_stats {
    unsigned connections; /* open IRC connections, registered or not */
    uint64_t commands;    /* commands read (every parsed line) */
    uint64_t messages;    /* PRIVMSG and NOTICE the core accepted */
    uint64_t refused;     /* lines refused: too long, not UTF-8, malformed, rate-limited */
} irc_stats_t;

/* Reads the MOTD file of [irc] motd_file (if any). 0 or a negative errno (logged). */
int irc_init(app_t *app);
void irc_deinit(void);
/* server_accept_cb of the IRC listener (ud: the app), and what a connection refused at the
 * connection limits gets. */
void irc_accept(void *ud, conn_t *c);
extern const char irc_refuse_full[];
extern const char irc_refuse_per_address[];
/* GET /irc on the HTTP listeners: IRC over WebSocket (proto/irc/ws.c). */
extern const ws_handler_t irc_ws_handler;
/* Sends every client ERROR :reason and closes it after flushing (shutdown). */
void irc_close_all(const char *reason);
const irc_stats_t *irc_stats(void);
/* The accounts service auth (of a group) says acc's class or flags changed (validated): IRC
 * clients logged in to it are re-identified (auth_changed_fn). */
void irc_account_changed(void *auth, const store_account_t *acc);

#endif
