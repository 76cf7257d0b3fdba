#include "net/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
static const char v1_sig[6] = "PROXY ";

void proxy_init(proxy_parser_t *p, proxy_mode_t mode)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
}

int proxy_mode_parse(const char *s, proxy_mode_t *out)
{
    static const char *const names[] = {"off", "v1", "v2", "any"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (proxy_mode_t)i;
            return 0;
        }
    return -EINVAL;
}

const char *proxy_mode_name(proxy_mode_t m)
{
    switch (m) {
    case PROXY_V1: return "v1";
    case PROXY_V2: return "v2";
    case PROXY_ANY: return "any";
    default: return "off";
    }
}

/* After each of the first bytes: which version the buffer can still be (0: both, 1, 2) or
 * -EPROTO when it can be neither of those the mode allows. */
static int detect(proxy_parser_t *p)
{
    bool v1 =
        p->mode != PROXY_V2 && p->have <= sizeof(v1_sig) && memcmp(p->buf, v1_sig, p->have) == 0;
    bool v2 = p->mode != PROXY_V1 && memcmp(p->buf, v2_sig, p->have) == 0;
    if (!v1 && !v2)
        return -EPROTO;
    if (v1 && p->have == sizeof(v1_sig))
        return 1;
    if (v2 && p->have == sizeof(v2_sig))
        return 2;
    return 0;
}

/* A decimal port: 1 to 5 digits, at most 65535. */
static int parse_port(const char *s, uint16_t *out)
{
    size_t n = strlen(s);
    unsigned v = 0;
    if (n == 0 || n > 5)
        return -EPROTO;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EPROTO;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return -EPROTO;
    *out = (uint16_t)v;
    return 0;
}

/* "PROXY TCP4 SRC DST SPORT DPORT\r\n" (or TCP6, or UNKNOWN with anything after it). */
static int parse_v1(const proxy_parser_t *p, proxy_result_t *out)
{
    char line[PROXY_V1_MAX + 1];
    char *f[7];
    size_t nf = 0;
    if (p->have < 2 || p->buf[p->have - 2] != '\r')
        return -EPROTO;
    memcpy(line, p->buf, p->have - 2);
    line[p->have - 2] = '\0';
    for (char *s = line; nf < 7;) { /* fields separated by exactly one space */
        f[nf++] = s;
        char *sp = strchr(s, ' ');
        if (sp == NULL)
            break;
        *sp = '\0';
        s = sp + 1;
    }
    memset(out, 0, sizeof(*out));
    if (nf >= 2 && strcmp(f[1], "UNKNOWN") == 0) {
        out->family = AF_UNSPEC;
        return 0;
    }
    if (nf != 6)
        return -EPROTO;
    uint16_t sport, dport;
    if (parse_port(f[4], &sport) < 0 || parse_port(f[5], &dport) < 0)
        return -EPROTO;
    if (strcmp(f[1], "TCP4") == 0) {
        struct sockaddr_in *a = (struct sockaddr_in *)&out->src;
        struct in_addr dst;
        if (inet_pton(AF_INET, f[2], &a->sin_addr) != 1 || inet_pton(AF_INET, f[3], &dst) != 1)
            return -EPROTO;
        a->sin_family = AF_INET;
        a->sin_port = htons(sport);
    } else if (strcmp(f[1], "TCP6") == 0) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->src;
        struct in6_addr dst;
        if (inet_pton(AF_INET6, f[2], &a->sin6_addr) != 1 || inet_pton(AF_INET6, f[3], &dst) != 1)
            return -EPROTO;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(sport);
    } else {
        return -EPROTO;
    }
    out->family = out->src.ss_family;
    return 0;
}

/* The address block a v2 PROXY command needs for its family byte; -EPROTO for one we refuse. */
static int v2_addr_len(uint8_t fam)
{
    uint8_t transport = fam & 0x0f;
    if (transport != 0 && transport != 1) /* UNSPEC or STREAM: we serve TCP only */
        return -EPROTO;
    switch (fam >> 4) {
    case 0: return 0;   /* UNSPEC */
    case 1: return 12;  /* INET: two addresses, two ports */
    case 2: return 36;  /* INET6 */
    case 3: return 216; /* UNIX: two 108-byte paths */
    default: return -EPROTO;
    }
}

/* Checks the 16-byte head and sets how much to keep and skip. */
static int v2_head(proxy_parser_t *p)
{
    uint8_t vc = p->buf[12], fam = p->buf[13];
    size_t len = (size_t)p->buf[14] << 8 | p->buf[15];
    if ((vc >> 4) != 2 || (vc & 0x0f) > 1)
        return -EPROTO;
    size_t keep = 0;
    if ((vc & 0x0f) == 1) { /* PROXY */
        int need = v2_addr_len(fam);
        if (need < 0 || len < (size_t)need)
            return -EPROTO;
        keep = (size_t)need;
    }
    p->want = PROXY_V2_HEAD + keep;
    p->skip = len - keep;
    return 0;
}

static void parse_v2(const proxy_parser_t *p, proxy_result_t *out)
{
    const uint8_t *a = p->buf + PROXY_V2_HEAD;
    memset(out, 0, sizeof(*out));
    out->family = AF_UNSPEC;
    if ((p->buf[12] & 0x0f) == 0) /* LOCAL: a health check from the balancer itself */
        return;
    switch (p->buf[13] >> 4) {
    case 1: {
        struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
        s->sin_family = AF_INET;
        memcpy(&s->sin_addr, a, 4);
        memcpy(&s->sin_port, a + 8, 2);
        out->family = AF_INET;
        break;
    }
    case 2: {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
        s->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, a, 16);
        memcpy(&s->sin6_port, a + 32, 2);
        out->family = AF_INET6;
        break;
    }
    case 3: out->family = AF_UNIX; break;
    default: break;
    }
}

int proxy_feed(proxy_parser_t *p, const char *data, size_t len, size_t *used, proxy_result_t *out)
{
    size_t i = 0;
    *used = 0;
    while (i < len) {
        if (p->version == 0) {
            p->buf[p->have++] = (uint8_t)data[i++];
            int v = detect(p);
            if (v < 0)
                return v;
            p->version = v;
        } else if (p->version == 1) {
            if (p->have == PROXY_V1_MAX)
                return -EPROTO; /* no line end within the longest valid line */
            uint8_t ch = (uint8_t)data[i++];
            p->buf[p->have++] = ch;
            if (ch == '\n') {
                *used = i;
                return parse_v1(p, out) < 0 ? -EPROTO : 1;
            }
        } else if (p->have < PROXY_V2_HEAD || p->have < p->want) {
            size_t target = p->have < PROXY_V2_HEAD ? PROXY_V2_HEAD : p->want;
            size_t n = target - p->have < len - i ? target - p->have : len - i;
            memcpy(p->buf + p->have, data + i, n);
            p->have += n;
            i += n;
            if (p->have == PROXY_V2_HEAD && v2_head(p) < 0)
                return -EPROTO;
        } else {
            size_t n = p->skip < len - i ? p->skip : len - i;
            p->skip -= n;
            i += n;
        }
        if (p->version == 2 && p->have >= PROXY_V2_HEAD && p->have == p->want && p->skip == 0) {
            *used = i;
            parse_v2(p, out);
            return 1;
        }
    }
    *used = len;
    return 0;
}
