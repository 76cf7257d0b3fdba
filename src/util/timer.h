/* One-shot timers on a libuv loop, in the shape of core_timers_t (src/core/core.h): the loop the
 * program runs lent to code that has none of its own.
 *
 * Each timer is one allocation with its uv_timer_t; it frees itself once fired or stopped (the
 * handle is closed, so the loop must still run for the memory to go back).
 * Threads: the loop thread of `loop` only. */
#ifndef PARLEY_UTIL_TIMER_H
#define PARLEY_UTIL_TIMER_H

#include <stdint.h>

/* ud is the uv_loop_t. Calls fn(arg) once, ms from now; NULL if the timer could not start. */
void *uvtimer_start(void *ud, uint64_t ms, void (*fn)(void *arg), void *arg);
/* Cancels a timer that has not fired (fn is never called). NULL is a no-op. */
void uvtimer_stop(void *ud, void *timer);

#endif
