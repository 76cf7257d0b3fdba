/* TLS (OpenSSL 3) for connections: the server's certificate and key (one tls_t, shared by every
 * TLS listener) and the TLS transport of a connection. libuv still does the socket I/O: each
 * connection's SSL reads and writes memory BIOs (docs/ARCHITECTURE.md, "Transports"), and the
 * output queue is encrypted into one write per loop pass. TLS 1.2 and 1.3 only, ECDHE with AEAD
 * ciphers for 1.2, the server's cipher order, no compression, no renegotiation.
 *
 * Reloading builds a new SSL_CTX for new connections; connections already open keep a reference
 * to the one they started with, so they go on undisturbed. */
#ifndef PARLEY_NET_TLS_H
#define PARLEY_NET_TLS_H

#include <stddef.h>

#include "net/conn.h"

typedef struct tls tls_t;

/* Loads a PEM certificate (a chain allowed, the server's first) and its key. 0 or a negative
 * errno with a sentence for the operator in err; *out is the caller's (tls_free). */
int tls_new(const char *cert_file, const char *key_file, tls_t **out, char *err, size_t errlen);
/* Loads the same files again. On failure (-errno, err says why) the old certificate stays. */
int tls_reload(tls_t *t, char *err, size_t errlen);
/* "subject, valid until DATE" of the current certificate, for the log. */
void tls_describe(const tls_t *t, char *out, size_t outlen);
void tls_free(tls_t *t);

/* For server.c: c speaks TLS from now on, with t's current certificate. */
void tls_conn_start(conn_t *c, tls_t *t);

#endif
