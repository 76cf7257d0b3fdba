/* Failed-attempt counting for brute-force protection (login, validation codes).
 *
 * Each attempt names up to two keys ("the account", "the client address"); the worst of them
 * decides. After `free_failures` failures an attempt must wait delay_ms * 2^(n - free_failures)
 * (capped at max_delay_ms) before it is tried; at `max_failures` it is refused outright until the
 * key's failures are forgotten, `window_s` seconds after its last failure. Attempts still running
 * count as failures for the ones that start meanwhile, so parallel guesses gain nothing.
 *
 * Memory: at most THROTTLE_MAX_KEYS keys; past it the least recently failed is forgotten. Loop
 * thread only; times are in ms of any monotonic clock. */
#ifndef PARLEY_AUTH_THROTTLE_H
#define PARLEY_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define THROTTLE_MAX_KEYS 10000
#define THROTTLE_KEY_MAX  300

typedef struct throttle throttle_t;

typedef struct throttle_config {
    int free_failures; /* failures answered without delay */
    int delay_ms;      /* the first delay; doubles with each further failure */
    int max_delay_ms;
    int max_failures; /* refused at this many */
    int window_s;     /* failures forgotten this long after the last one */
} throttle_config_t;

throttle_t *throttle_new(const throttle_config_t *cfg);
void throttle_free(throttle_t *t);

/* Starts an attempt on keys (NULL entries ignored; each at most THROTTLE_KEY_MAX bytes). Returns
 * the delay in ms to wait before trying, or -1 if refused, with *retry_s the seconds until it
 * would be accepted again (nothing is started then). Every started attempt must be ended. */
int64_t throttle_begin(throttle_t *t, const char *const keys[2], uint64_t now, int *retry_s);
/* Ends an attempt: a failure counts on every key; a success forgets keys[0] (the account), not
 * the address. */
void throttle_end(throttle_t *t, const char *const keys[2], bool ok, uint64_t now);
/* The failures now counted for key (tests, logs). */
int throttle_failures(throttle_t *t, const char *key, uint64_t now);

#endif
