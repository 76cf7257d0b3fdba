#include "core/rate.h"

void rate_add(rate_t *r, int64_t now_ms)
{
    int64_t b = now_ms / RATE_BUCKET_MS;
    if (b > r->last) {
        /* clear the buckets between the last written one and b (all of them after a long pause) */
        int64_t from = b - r->last >= RATE_BUCKETS ? b - RATE_BUCKETS + 1 : r->last + 1;
        for (int64_t i = from; i <= b; i++)
            r->counts[i % RATE_BUCKETS] = 0;
        r->last = b;
    }
    /* a clock that went back (not the loop's) counts in the newest bucket */
    r->counts[r->last % RATE_BUCKETS]++;
}

uint32_t rate_per_minute(const rate_t *r, int64_t now_ms)
{
    int64_t b = now_ms / RATE_BUCKET_MS;
    if (b < r->last)
        b = r->last;
    uint32_t n = 0;
    /* buckets after r->last hold stale counts: they are logically empty */
    for (int64_t i = b - RATE_BUCKETS + 1; i <= r->last; i++)
        if (i >= 0)
            n += r->counts[i % RATE_BUCKETS];
    return n;
}

void rate_history_push(rate_history_t *h, const rate_sample_t *s)
{
    if (h->len < RATE_HISTORY) {
        h->s[(h->head + h->len) % RATE_HISTORY] = *s;
        h->len++;
    } else {
        h->s[h->head] = *s;
        h->head = (h->head + 1) % RATE_HISTORY;
    }
}

const rate_sample_t *rate_history_at(const rate_history_t *h, unsigned i)
{
    return &h->s[(h->head + i) % RATE_HISTORY];
}
