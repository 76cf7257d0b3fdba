/* A worker thread with a job queue: work() runs off the loop, done() back on the loop thread.
 *
 * workq_submit() queues a job; the thread takes jobs one at a time in order and runs work(arg);
 * when it finishes, the job moves to a done list and a uv_async_t wakes the loop, where done(arg,
 * false) runs, in submission order and never from inside workq_submit(). This is the shape of the
 * mail sender (src/auth/mailer.c) and the password hasher (src/auth/password.c).
 *
 * Threads: every function is called on the loop thread of `loop`; work() must touch nothing the
 * loop thread uses without its own lock.
 * Loop liveness: the queue keeps the loop alive only while a done() is outstanding, so uv_run()
 * returns once every submitted job has been reported.
 * Errors: 0 or a negative errno. */
#ifndef PARLEY_UTIL_WORKQ_H
#define PARLEY_UTIL_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

typedef struct workq workq_t;

/* Worker thread. */
typedef void (*workq_work_fn)(void *arg);
/* Loop thread, exactly once per accepted job. cancelled: workq_free() dropped the job before its
 * work() ran. May call workq_submit() (while not freeing) or workq_free(). */
typedef void (*workq_done_fn)(void *arg, bool cancelled);

/* Starts the thread. 0 with *out, or -EAGAIN/-ENOMEM. */
int workq_new(uv_loop_t *loop, workq_t **out);

/* Queues a job. 0, or -ECANCELED once workq_free() has begun (done is then not called). */
int workq_submit(workq_t *q, workq_work_fn work, workq_done_fn done, void *arg);

/* Jobs submitted whose done() has not run yet. */
size_t workq_outstanding(const workq_t *q);

/* Stops the queue: with drain, the thread first runs every job queued; without, it finishes only
 * the job it is running and the rest are reported cancelled. Then every pending done() runs, the
 * uv handle is closed (its memory is released by the loop's next pass) and q is freed. NULL is a
 * no-op. May be called from a done(). */
void workq_free(workq_t *q, bool drain);

#endif
