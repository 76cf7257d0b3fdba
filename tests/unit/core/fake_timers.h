/* Fake core timers and clock for the core's unit tests: time moves only when the test calls
 * fake_timers_advance(), which fires the due timers in due order (ties in start order), each with
 * the clock set to its due time. Wire it with fake_timers_config(). Header-only. */
#ifndef PARLEY_TESTS_UNIT_CORE_FAKE_TIMERS_H
#define PARLEY_TESTS_UNIT_CORE_FAKE_TIMERS_H

#include <stdint.h>
#include <stdlib.h>

#include "core/core.h"

#define FAKE_TIMERS_MAX 64

typedef struct fake_timer {
    bool used;
    uint64_t seq;
    int64_t due;
    void (*fn)(void *arg);
    void *arg;
} fake_timer_t;

typedef struct fake_timers {
    int64_t now;
    uint64_t seq;
    fake_timer_t t[FAKE_TIMERS_MAX];
} fake_timers_t;

static inline void *fake_timer_start(void *ud, uint64_t ms, void (*fn)(void *arg), void *arg)
{
    fake_timers_t *ft = ud;
    for (int i = 0; i < FAKE_TIMERS_MAX; i++) {
        if (!ft->t[i].used) {
            ft->t[i] = (fake_timer_t){true, ++ft->seq, ft->now + (int64_t)ms, fn, arg};
            return &ft->t[i];
        }
    }
    return NULL;
}

static inline void fake_timer_stop(void *ud, void *timer)
{
    (void)ud;
    ((fake_timer_t *)timer)->used = false;
}

static inline int64_t fake_timers_clock(void *ud)
{
    return ((fake_timers_t *)ud)->now;
}

/* Points cfg's clock and timers at ft. */
static inline void fake_timers_config(fake_timers_t *ft, core_config_t *cfg)
{
    cfg->clock_ms = fake_timers_clock;
    cfg->clock_ud = ft;
    cfg->timers = (core_timers_t){fake_timer_start, fake_timer_stop, ft};
}

/* Timers pending now. */
static inline int fake_timers_pending(const fake_timers_t *ft)
{
    int n = 0;
    for (int i = 0; i < FAKE_TIMERS_MAX; i++)
        n += ft->t[i].used;
    return n;
}

/* Moves the clock ms forward, firing every timer that falls due on the way (also those started by
 * the callbacks). */
static inline void fake_timers_advance(fake_timers_t *ft, int64_t ms)
{
    int64_t end = ft->now + ms;
    for (;;) {
        fake_timer_t *next = NULL;
        for (int i = 0; i < FAKE_TIMERS_MAX; i++) {
            fake_timer_t *t = &ft->t[i];
            if (t->used && t->due <= end &&
                (next == NULL || t->due < next->due || (t->due == next->due && t->seq < next->seq)))
                next = t;
        }
        if (next == NULL)
            break;
        ft->now = next->due > ft->now ? next->due : ft->now;
        next->used = false;
        next->fn(next->arg);
    }
    ft->now = end;
}

#endif
