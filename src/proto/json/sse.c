#include "proto/json/sse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static rbuf_t *tail, *heartbeat;

rbuf_t *sse_event_head(uint64_t seq)
{
    char head[48];
    int n = snprintf(head, sizeof(head), "id: %llu\ndata: ", (unsigned long long)seq);
    return rbuf_from(head, (size_t)n);
}

static rbuf_t *shared(rbuf_t **slot, const char *s)
{
    if (*slot == NULL)
        *slot = rbuf_from(s, strlen(s));
    return rbuf_ref(*slot);
}

rbuf_t *sse_event_tail(void)
{
    return shared(&tail, "\n");
}

rbuf_t *sse_heartbeat(void)
{
    return shared(&heartbeat, ": keep-alive\n\n");
}

int sse_parse_id(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 19 || strspn(s, "0123456789") != n)
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    *out = v;
    return 0;
}

void sse_global_cleanup(void)
{
    if (tail)
        rbuf_unref(tail);
    if (heartbeat)
        rbuf_unref(heartbeat);
    tail = heartbeat = NULL;
}
