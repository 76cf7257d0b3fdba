/* Token buckets for flood control, kept as one 32-bit "theoretical arrival time" each (the GCRA
 * form of a token bucket), so that a bucket in every session costs 4 bytes. The rate and burst are
 * a separate bucket_limit_t shared by all buckets of one kind. The caller passes the time (ms from
 * any monotonic clock, e.g. uv_now), so the math is testable without a clock.
 *
 * Semantics: a full bucket holds `burst` tokens and refills at `per_sec` tokens a second;
 * bucket_take() succeeds and removes `cost` tokens if that many are there, else changes nothing.
 * A cost above the burst is charged as the burst (such a request needs a full bucket).
 *
 * Time is kept in 1/16 ms ticks modulo 2^32 (wrapping every 3.1 days). A bucket whose stored time
 * is further ahead than any real state allows is taken as stale (idle across a wrap) and full. */
#ifndef PARLEY_UTIL_BUCKET_H
#define PARLEY_UTIL_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

#define BUCKET_MAX_RATE  1000  /* per second; above this, ticks get too coarse */
#define BUCKET_MAX_BURST 10000 /* keeps every stored distance below 2^31 ticks */

typedef struct bucket_limit {
    uint32_t interval;  /* ticks per token; 0: no limit */
    uint32_t tolerance; /* ticks of credit a full bucket holds: burst * interval */
} bucket_limit_t;

typedef struct bucket {
    uint32_t tat; /* tick at which the bucket is full again */
} bucket_t;

/* per_sec 0 means no limit; otherwise per_sec is clamped to 1..BUCKET_MAX_RATE and burst to
 * 1..BUCKET_MAX_BURST. */
bucket_limit_t bucket_limit(uint32_t per_sec, uint32_t burst);
/* A full bucket at now_ms. */
void bucket_init(bucket_t *b, uint64_t now_ms);
/* True (and the tokens are taken) if the bucket holds cost tokens at now_ms. */
bool bucket_take(bucket_t *b, const bucket_limit_t *lim, uint64_t now_ms, uint32_t cost);

#endif
