/* Counters of the chat status (docs/ARCHITECTURE.md, "Status counters"): a message rate kept as a
 * ring of RATE_BUCKETS buckets of RATE_BUCKET_MS each, and a history of RATE_HISTORY samples taken
 * once a minute. Both are plain values embedded in their owner (no allocation) and take the time
 * as an argument, so the caller chooses the clock (the core uses the loop's) and tests inject it.
 * Times are monotonic milliseconds for rate_t; a history sample's t is whatever the caller gives.
 */
#ifndef PARLEY_CORE_RATE_H
#define PARLEY_CORE_RATE_H

#include <stdint.h>

#define RATE_BUCKETS   6
#define RATE_BUCKET_MS 10000

typedef struct rate {
    int64_t last;                  /* index (now / RATE_BUCKET_MS) of the newest bucket written */
    uint32_t counts[RATE_BUCKETS]; /* bucket i at counts[i % RATE_BUCKETS] */
} rate_t;

/* Counts one message at now_ms: O(1), and O(RATE_BUCKETS) at most when buckets expire. */
void rate_add(rate_t *r, int64_t now_ms);
/* Messages counted in the current bucket and the RATE_BUCKETS - 1 before it: the last 50 to 60
 * seconds, reported as the messages per minute. */
uint32_t rate_per_minute(const rate_t *r, int64_t now_ms);

#define RATE_HISTORY 60 /* samples: one hour at one a minute */

typedef struct rate_sample {
    int64_t t; /* ms since the epoch */
    uint32_t users;
    uint32_t messages_per_minute;
} rate_sample_t;

typedef struct rate_history {
    rate_sample_t s[RATE_HISTORY];
    unsigned head; /* index of the oldest */
    unsigned len;
} rate_history_t;

/* Appends a sample, dropping the oldest when full. */
void rate_history_push(rate_history_t *h, const rate_sample_t *s);
/* The i-th sample, oldest first (i < h->len). */
const rate_sample_t *rate_history_at(const rate_history_t *h, unsigned i);

#endif
