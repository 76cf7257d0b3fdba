#include "util/addr.h"

#include <arpa/inet.h>
#include <string.h>

void addr_ban_key(char *peer, size_t len)
{
    unsigned char a6[16];
    char *port = strrchr(peer, ':'); /* "ip:port", also for IPv6 */
    if (port)
        *port = '\0';
    if (inet_pton(AF_INET6, peer, a6) == 1) {
        memset(a6 + 8, 0, 8);
        inet_ntop(AF_INET6, a6, peer, (socklen_t)len);
    }
}
