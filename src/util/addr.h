/* Client addresses as guest bans key them. */
#ifndef PARLEY_UTIL_ADDR_H
#define PARLEY_UTIL_ADDR_H

#include <stddef.h>

/* Turns a peer "ip:port" (conn_peer) into the address a guest ban keys: the IPv4 address, or the
 * /64 network of an IPv6 one (as the per-address connection limit counts), since one host easily
 * changes addresses within its /64. In place; peer holds len bytes. */
void addr_ban_key(char *peer, size_t len);

#endif
