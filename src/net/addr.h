/* Client addresses as the server's limits see them, lists of trusted proxies (addresses and CIDR
 * blocks) and the X-Forwarded-For parser (docs/OPERATIONS.md, "Behind a reverse proxy").
 *
 * An addr_t is 16 bytes: an IPv6 address, or an IPv4 one as ::ffff:a.b.c.d, so one comparison
 * serves both families. Parsing never allocates except for a list's entries (addr_list_deinit
 * frees them). Pure functions: no loop, no sockets; the fuzz_xff harness drives them. */
#ifndef PARLEY_NET_ADDR_H
#define PARLEY_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

typedef struct addr {
    uint8_t b[16];
} addr_t;

/* One address: "192.0.2.1", "2001:db8::1", "[2001:db8::1]", and with a port "192.0.2.1:80" or
 * "[2001:db8::1]:80" (some proxies add one), surrounded by optional blanks. 0 or -EINVAL. */
int addr_parse(const char *s, size_t len, addr_t *out);
/* 0, or -EAFNOSUPPORT for a family other than IPv4/IPv6. */
int addr_from_sockaddr(const struct sockaddr *sa, addr_t *out);
/* The textual form ("192.0.2.1", "2001:db8::1") into out (at least 46 bytes). */
void addr_format(const addr_t *a, char *out, size_t outlen);
bool addr_is_v4(const addr_t *a);

typedef struct addr_net {
    addr_t net;    /* masked */
    unsigned bits; /* prefix length in the 128-bit space (IPv4 /n is 96 + n) */
} addr_net_t;

typedef struct addr_list {
    addr_net_t *v;
    size_t n;
} addr_list_t;

#define ADDR_LIST_MAX 256

/* Parses "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8" (comma or blank separated) into l, replacing
 * what it held. 0 or -EINVAL with a message naming the bad item in err. At most ADDR_LIST_MAX
 * items. */
int addr_list_parse(addr_list_t *l, const char *spec, char *err, size_t errlen);
void addr_list_deinit(addr_list_t *l);
bool addr_list_match(const addr_list_t *l, const addr_t *a);

/* The client an X-Forwarded-For value names, seen from a trusted peer: walking the comma-separated
 * entries from the right, the first one not in trusted; the left-most if all are trusted. 0,
 * -ENOENT for a value without entries, -EINVAL when an entry that would be consulted is not an
 * address (the header is then ignored). */
int addr_forwarded_for(const addr_list_t *trusted, const char *value, size_t len, addr_t *out);

#endif
