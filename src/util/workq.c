/* The worker queue (see workq.h).
 *
 * Jobs move queue -> (the worker, without mu) -> done under `mu`; the async callback moves `done`
 * to `ready` and runs the callbacks in order on the loop thread.
 *
 * Lifetime: workq_free() may be called from inside a done(). It then runs the remaining callbacks
 * itself and leaves the final free to the dispatcher that is running (`dispatching`/
 * `free_pending`). The uv_async_t is allocated separately because it must outlive the queue until
 * its close callback; it is referenced only while jobs are outstanding. */
#include "util/workq.h"

#include <errno.h>
#include <stdlib.h>

#include "util/list.h"
#include "util/xmalloc.h"

typedef struct job {
    list_t node;
    workq_work_fn work;
    workq_done_fn done;
    void *arg;
    bool cancelled;
} job_t;

struct workq {
    uv_async_t *async; /* owned; freed by its close callback */
    uv_thread_t thread;

    /* Shared with the worker, guarded by mu. */
    uv_mutex_t mu;
    uv_cond_t cond;
    list_t queue; /* submitted, not yet taken by the worker */
    list_t done;  /* worked (or cancelled), callbacks not yet run */
    bool closing;
    bool drain;

    /* Loop thread only. */
    list_t ready;       /* callbacks being run, in order */
    size_t outstanding; /* submitted, done() not yet run */
    int dispatching;    /* depth of workq__dispatch() on the stack */
    bool closed;
    bool free_pending;
};

static void workq__thread(void *arg)
{
    workq_t *q = arg;

    uv_mutex_lock(&q->mu);
    for (;;) {
        while (list_empty(&q->queue) && !q->closing)
            uv_cond_wait(&q->cond, &q->mu);
        if (list_empty(&q->queue) || (q->closing && !q->drain))
            break; /* what is still queued is cancelled by workq_free() */
        job_t *j = list_entry(q->queue.next, job_t, node);
        list_remove(&j->node);
        uv_mutex_unlock(&q->mu);

        j->work(j->arg);

        uv_mutex_lock(&q->mu);
        list_push_back(&q->done, &j->node);
        uv_async_send(q->async);
    }
    uv_mutex_unlock(&q->mu);
}

static void workq__free(workq_t *q)
{
    uv_cond_destroy(&q->cond);
    uv_mutex_destroy(&q->mu);
    free(q);
}

/* Loop thread: runs every finished job's done(), in order. Re-entrant: a callback may call
 * workq_free(), which drains `ready` itself; the outermost call then frees the queue. */
static void workq__dispatch(workq_t *q)
{
    uv_mutex_lock(&q->mu);
    while (!list_empty(&q->done)) {
        list_t *it = q->done.next;
        list_remove(it);
        list_push_back(&q->ready, it);
    }
    uv_mutex_unlock(&q->mu);

    q->dispatching++;
    while (!list_empty(&q->ready)) {
        job_t *j = list_entry(q->ready.next, job_t, node);
        list_remove(&j->node);
        if (--q->outstanding == 0 && q->async)
            uv_unref((uv_handle_t *)q->async);
        j->done(j->arg, j->cancelled);
        free(j);
    }
    q->dispatching--;
    if (q->dispatching == 0 && q->free_pending)
        workq__free(q);
}

static void on_async(uv_async_t *h)
{
    if (h->data)
        workq__dispatch(h->data);
}

static void on_async_close(uv_handle_t *h)
{
    free(h);
}

int workq_new(uv_loop_t *loop, workq_t **out)
{
    workq_t *q = xcalloc(1, sizeof *q);
    bool mu_inited = false, cond_inited = false, async_inited = false;
    int err = 0;

    *out = NULL;
    list_init(&q->queue);
    list_init(&q->done);
    list_init(&q->ready);
    if (uv_mutex_init(&q->mu) != 0) {
        err = -ENOMEM;
        goto out;
    }
    mu_inited = true;
    if (uv_cond_init(&q->cond) != 0) {
        err = -ENOMEM;
        goto out;
    }
    cond_inited = true;
    q->async = xmalloc(sizeof *q->async);
    if (uv_async_init(loop, q->async, on_async) != 0) {
        err = -ENOMEM;
        goto out;
    }
    q->async->data = q;
    uv_unref((uv_handle_t *)q->async); /* referenced while jobs are outstanding */
    async_inited = true;
    if (uv_thread_create(&q->thread, workq__thread, q) != 0) {
        err = -EAGAIN;
        goto out;
    }
    *out = q;
    q = NULL;
out:
    if (q) {
        if (async_inited)
            uv_close((uv_handle_t *)q->async, on_async_close);
        else
            free(q->async);
        if (cond_inited)
            uv_cond_destroy(&q->cond);
        if (mu_inited)
            uv_mutex_destroy(&q->mu);
        free(q);
    }
    return err;
}

int workq_submit(workq_t *q, workq_work_fn work, workq_done_fn done, void *arg)
{
    if (q->closed)
        return -ECANCELED;
    job_t *j = xcalloc(1, sizeof *j);
    list_init(&j->node);
    j->work = work;
    j->done = done;
    j->arg = arg;

    uv_mutex_lock(&q->mu);
    list_push_back(&q->queue, &j->node);
    uv_cond_signal(&q->cond);
    uv_mutex_unlock(&q->mu);
    if (q->outstanding++ == 0)
        uv_ref((uv_handle_t *)q->async);
    return 0;
}

size_t workq_outstanding(const workq_t *q)
{
    return q->outstanding;
}

void workq_free(workq_t *q, bool drain)
{
    if (q == NULL || q->closed)
        return;
    q->closed = true;

    uv_mutex_lock(&q->mu);
    q->closing = true;
    q->drain = drain;
    uv_cond_signal(&q->cond);
    uv_mutex_unlock(&q->mu);
    uv_thread_join(&q->thread);

    /* The thread is gone: no lock needed any more. */
    while (!list_empty(&q->queue)) {
        job_t *j = list_entry(q->queue.next, job_t, node);
        list_remove(&j->node);
        j->cancelled = true;
        list_push_back(&q->done, &j->node);
    }
    q->async->data = NULL;
    uv_close((uv_handle_t *)q->async, on_async_close);
    q->async = NULL;

    workq__dispatch(q);
    if (q->dispatching > 0)
        q->free_pending = true; /* called from a callback: the running dispatcher frees */
    else
        workq__free(q);
}
