/* The PROXY protocol header (v1 text, v2 binary; haproxy's proxy-protocol.txt) that a load
 * balancer sends before anything else on a connection, naming the real client. A pure parser: the
 * caller feeds bytes as they arrive and gets the client address once the header is complete, with
 * the count of bytes it used (the rest belongs to TLS or HTTP). The parser owns no heap memory. */
#ifndef PARLEY_NET_PROXY_H
#define PARLEY_NET_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef enum { PROXY_OFF = 0, PROXY_V1, PROXY_V2, PROXY_ANY } proxy_mode_t;

#define PROXY_V1_MAX   107 /* the longest v1 line, CRLF included */
#define PROXY_V2_HEAD  16  /* signature, version/command, family, length */
#define PROXY_V2_ADDRS 216 /* the largest address block (two unix paths) */

typedef struct proxy_parser {
    proxy_mode_t mode;
    uint8_t buf[PROXY_V2_HEAD + PROXY_V2_ADDRS]; /* v1 line or v2 head + address block */
    size_t have;                                 /* bytes in buf */
    size_t want; /* v2: bytes of buf to fill (head + the address block kept) */
    size_t skip; /* v2: bytes after those (TLVs) still to pass over */
    int version; /* 0 until the first bytes tell; then 1 or 2 */
} proxy_parser_t;

/* What the header said. family AF_UNSPEC: keep the socket's own address (v2 LOCAL, v1 UNKNOWN,
 * v2 UNSPEC); AF_UNIX: the client is a local socket (its path is not kept), also kept as the
 * socket's address; AF_INET/AF_INET6: src is the client (address and port). */
typedef struct proxy_result {
    int family;
    struct sockaddr_storage src;
} proxy_result_t;

void proxy_init(proxy_parser_t *p, proxy_mode_t mode);
/* Feeds len bytes. 1: the header is complete, *used bytes of data were part of it and *out is
 * set; 0: all len bytes used, more needed; -EPROTO: not a valid header for the mode (nothing more
 * should be fed). */
int proxy_feed(proxy_parser_t *p, const char *data, size_t len, size_t *used, proxy_result_t *out);
/* "off", "v1", "v2", "any" to the mode; -EINVAL if none matches. */
int proxy_mode_parse(const char *s, proxy_mode_t *out);
const char *proxy_mode_name(proxy_mode_t m);

#endif
