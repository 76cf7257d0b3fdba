/* parleyd's listening sockets (docs/OPERATIONS.md, "Listeners"): the implicit ones of [server]
 * listen (HTTP, named "default") and json_listen (direct sockets, named "json"), each
 * [listener NAME], and --tls-listen's (named "tls"); the TLS certificate they share, reloaded on
 * SIGHUP; and the port file. One set per process, owned here. */
#ifndef PARLEY_LISTENERS_H
#define PARLEY_LISTENERS_H

#include <stddef.h>

#include "app.h"

/* Validates the listeners of app->cfg, loads the certificate and listens on each on app->server.
 * 0 or -1 after logging what is wrong. */
int listeners_open(app_t *app);
/* Writes the port file (docs/OPERATIONS.md, "Command line"). 0 or a negative errno. */
int listeners_write_port_file(const char *path);
/* "http://localhost:PORT" (or https) of the first HTTP listener, for links in mail. */
void listeners_local_url(char *out, size_t outlen);
/* Loads the certificate and key again for new connections (SIGHUP); on failure logs an error
 * and keeps the old ones. */
void listeners_reload_tls(void);
/* Frees the certificate; after server_free. */
void listeners_free(void);

#endif
