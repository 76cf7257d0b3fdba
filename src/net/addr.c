#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && blank((*s)[*len - 1]))
        (*len)--;
}

static void v4_mapped(addr_t *out, const void *v4)
{
    memset(out->b, 0, 10);
    out->b[10] = out->b[11] = 0xff;
    memcpy(out->b + 12, v4, 4);
}

bool addr_is_v4(const addr_t *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

/* A bare address of len bytes (no brackets, no port). */
static int parse_bare(const char *s, size_t len, addr_t *out)
{
    char tmp[INET6_ADDRSTRLEN];
    if (len == 0 || len >= sizeof(tmp) || memchr(s, '\0', len))
        return -EINVAL; /* inet_pton would stop at a NUL and take a prefix */
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    struct in_addr v4;
    if (inet_pton(AF_INET, tmp, &v4) == 1) {
        v4_mapped(out, &v4);
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, out->b) == 1)
        return 0;
    return -EINVAL;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int addr_parse(const char *s, size_t len, addr_t *out)
{
    trim(&s, &len);
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return -EINVAL;
        size_t rest = len - (size_t)(close + 1 - s);
        if (rest > 0 && (close[1] != ':' || !all_digits(close + 2, rest - 1)))
            return -EINVAL;
        addr_t a;
        if (parse_bare(s + 1, (size_t)(close - s - 1), &a) < 0 || addr_is_v4(&a))
            return -EINVAL;
        *out = a;
        return 0;
    }
    const char *colon = memchr(s, ':', len);
    if (colon && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL) {
        /* exactly one colon: IPv4 with a port */
        if (!all_digits(colon + 1, len - (size_t)(colon + 1 - s)))
            return -EINVAL;
        addr_t a;
        if (parse_bare(s, (size_t)(colon - s), &a) < 0 || !addr_is_v4(&a))
            return -EINVAL;
        *out = a;
        return 0;
    }
    return parse_bare(s, len, out);
}

int addr_from_sockaddr(const struct sockaddr *sa, addr_t *out)
{
    if (sa->sa_family == AF_INET) {
        v4_mapped(out, &((const struct sockaddr_in *)sa)->sin_addr);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -EAFNOSUPPORT;
}

void addr_format(const addr_t *a, char *out, size_t outlen)
{
    if (addr_is_v4(a))
        inet_ntop(AF_INET, a->b + 12, out, (socklen_t)outlen);
    else
        inet_ntop(AF_INET6, a->b, out, (socklen_t)outlen);
}

static void mask(addr_t *a, unsigned bits)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
        a->b[i] &= (uint8_t)(0xff00u >> keep);
    }
}

/* "ADDR" or "ADDR/BITS" (no port). */
static int parse_net(const char *s, size_t len, addr_net_t *out)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    if (parse_bare(s, alen, &out->net) < 0)
        return -EINVAL;
    unsigned max = addr_is_v4(&out->net) ? 32 : 128, bits = max;
    if (slash) {
        size_t blen = len - alen - 1;
        if (!all_digits(slash + 1, blen) || blen > 3)
            return -EINVAL;
        bits = (unsigned)atoi(slash + 1);
        if (bits > max)
            return -EINVAL;
    }
    out->bits = bits + (max == 32 ? 96 : 0);
    mask(&out->net, out->bits);
    return 0;
}

int addr_list_parse(addr_list_t *l, const char *spec, char *err, size_t errlen)
{
    addr_list_t nl = {0};
    const char *p = spec;
    int rc = 0;
    while (*p) {
        size_t skip = strspn(p, ", \t");
        p += skip;
        size_t len = strcspn(p, ", \t");
        if (len == 0)
            break;
        if (nl.n == ADDR_LIST_MAX) {
            snprintf(err, errlen, "more than %d addresses", ADDR_LIST_MAX);
            rc = -EINVAL;
            goto out;
        }
        nl.v = xrealloc(nl.v, (nl.n + 1) * sizeof(*nl.v));
        if (parse_net(p, len, &nl.v[nl.n]) < 0) {
            snprintf(err, errlen, "'%.*s' is not an address or ADDRESS/BITS", (int)len, p);
            rc = -EINVAL;
            goto out;
        }
        nl.n++;
        p += len;
    }
out:
    if (rc < 0) {
        free(nl.v);
        return rc;
    }
    addr_list_deinit(l);
    *l = nl;
    return 0;
}

void addr_list_deinit(addr_list_t *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

bool addr_list_match(const addr_list_t *l, const addr_t *a)
{
    for (size_t i = 0; i < l->n; i++) {
        addr_t m = *a;
        mask(&m, l->v[i].bits);
        if (memcmp(&m, &l->v[i].net, sizeof(m)) == 0)
            return true;
    }
    return false;
}

int addr_forwarded_for(const addr_list_t *trusted, const char *value, size_t len, addr_t *out)
{
    size_t end = len;
    bool any = false;
    addr_t a;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && value[start - 1] != ',')
            start--;
        const char *item = value + start;
        size_t ilen = end - start;
        end = start > 0 ? start - 1 : 0;
        trim(&item, &ilen);
        if (ilen == 0)
            continue; /* "a,,b" and a trailing comma: empty list elements (RFC 9110 5.6.1) */
        if (addr_parse(item, ilen, &a) < 0)
            return -EINVAL;
        any = true;
        *out = a;
        if (!addr_list_match(trusted, &a))
            return 0;
    }
    return any ? 0 : -ENOENT;
}
