#include "util/bucket.h"

#define TICKS_PER_MS 16

static uint32_t ticks(uint64_t now_ms)
{
    return (uint32_t)(now_ms * TICKS_PER_MS); /* modulo 2^32 on purpose */
}

bucket_limit_t bucket_limit(uint32_t per_sec, uint32_t burst)
{
    bucket_limit_t lim = {0, 0};
    if (per_sec == 0)
        return lim;
    if (per_sec > BUCKET_MAX_RATE)
        per_sec = BUCKET_MAX_RATE;
    if (burst < 1)
        burst = 1;
    if (burst > BUCKET_MAX_BURST)
        burst = BUCKET_MAX_BURST;
    lim.interval = (1000 * TICKS_PER_MS + per_sec / 2) / per_sec;
    lim.tolerance = burst * lim.interval;
    return lim;
}

void bucket_init(bucket_t *b, uint64_t now_ms)
{
    b->tat = ticks(now_ms);
}

bool bucket_take(bucket_t *b, const bucket_limit_t *lim, uint64_t now_ms, uint32_t cost)
{
    if (lim->interval == 0)
        return true;
    uint32_t now = ticks(now_ms);
    /* How far the bucket is from full, in ticks. Negative: full for a while. Beyond the tolerance
     * no real state can be: the stored time is from before a wrap of the tick counter. */
    int64_t ahead = (int32_t)(b->tat - now);
    if (ahead < 0 || ahead > (int64_t)lim->tolerance)
        ahead = 0;
    uint64_t need = (uint64_t)cost * lim->interval;
    if (need > lim->tolerance)
        need = lim->tolerance;
    if ((uint64_t)ahead + need > lim->tolerance)
        return false;
    b->tat = now + (uint32_t)((uint64_t)ahead + need);
    return true;
}
