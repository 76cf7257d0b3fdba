/* The replay ring (replay.h). */
#include <stdlib.h>

#include "proto/json/replay.h"
#include "util/xmalloc.h"

void replay_init(replay_t *r, uint64_t next_seq)
{
    *r = (replay_t){.first = next_seq};
}

static rbuf_t **slot(const replay_t *r, uint32_t i)
{
    return &r->b[(r->head + i) % r->cap];
}

static void drop_oldest(replay_t *r)
{
    rbuf_t **b = slot(r, 0);
    r->bytes -= (*b)->len;
    rbuf_unref(*b);
    r->head = (r->head + 1) % r->cap;
    r->first++;
    if (--r->len == 0) {
        free(r->b); /* an idle ring keeps no array */
        r->b = NULL;
        r->cap = r->head = 0;
    }
}

void replay_deinit(replay_t *r)
{
    while (r->len > 0)
        drop_oldest(r);
}

void replay_push(replay_t *r, rbuf_t *b)
{
    if (r->len == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 8;
        rbuf_t **nb = xmalloc(cap * sizeof(*nb));
        for (uint32_t i = 0; i < r->len; i++)
            nb[i] = *slot(r, i);
        free(r->b);
        r->b = nb;
        r->cap = cap;
        r->head = 0;
    }
    r->len++;
    *slot(r, r->len - 1) = rbuf_ref(b);
    r->bytes += b->len;
}

void replay_drop_upto(replay_t *r, uint64_t seq)
{
    while (r->len > 0 && r->first <= seq)
        drop_oldest(r);
}

void replay_bound(replay_t *r, uint32_t max_len, size_t max_bytes)
{
    while (r->len > 0 && (r->len > max_len || r->bytes > max_bytes))
        drop_oldest(r);
}

rbuf_t *replay_get(const replay_t *r, uint64_t seq)
{
    if (seq < r->first || seq >= replay_next(r))
        return NULL;
    return *slot(r, (uint32_t)(seq - r->first));
}

void replay_set(replay_t *r, uint64_t seq, rbuf_t *b)
{
    rbuf_t **p = slot(r, (uint32_t)(seq - r->first));
    r->bytes = r->bytes - (*p)->len + b->len;
    rbuf_unref(*p);
    *p = rbuf_ref(b);
}
