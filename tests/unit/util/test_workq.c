/* Unit tests for src/util/workq: work off the loop, done on the loop thread in order, shutdown with
 * and without draining, re-entrant free from a done callback, loop liveness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <uv.h>

#include "util/workq.h"

typedef struct rec {
    uv_thread_t loop_thread;
    int order[64];
    int n;
    int cancelled;
    int worked;
    workq_t *q;
    bool free_in_done;
    uv_sem_t *gate; /* when set, the first work() posts started and waits on it */
    uv_sem_t *started;
} rec_t;

typedef struct item {
    rec_t *r;
    int i;
    uv_thread_t worker;
    bool worked;
} item_t;

static void work(void *arg)
{
    item_t *it = arg;
    if (it->i == 0 && it->r->gate) {
        uv_sem_post(it->r->started);
        uv_sem_wait(it->r->gate);
    }
    it->worker = uv_thread_self();
    it->worked = true;
}

static void done(void *arg, bool cancelled)
{
    item_t *it = arg;
    rec_t *r = it->r;
    uv_thread_t self = uv_thread_self();
    assert_true(uv_thread_equal(&self, &r->loop_thread));
    if (it->worked) {
        assert_false(cancelled);
        assert_false(uv_thread_equal(&it->worker, &r->loop_thread));
        r->worked++;
    } else {
        assert_true(cancelled);
        r->cancelled++;
    }
    r->order[r->n++] = it->i;
    if (r->free_in_done && r->q) {
        workq_t *q = r->q;
        r->q = NULL;
        workq_free(q, false);
    }
}

static void test_runs_in_order_and_loop_ends(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_t r = {.loop_thread = uv_thread_self()};
    item_t items[10];
    workq_t *q;
    assert_int_equal(workq_new(&loop, &q), 0);
    for (int i = 0; i < 10; i++) {
        items[i] = (item_t){.r = &r, .i = i};
        assert_int_equal(workq_submit(q, work, done, &items[i]), 0);
    }
    assert_int_equal(workq_outstanding(q), 10);
    assert_int_equal(r.n, 0);      /* never from inside submit */
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once everything is reported */
    assert_int_equal(r.n, 10);
    assert_int_equal(r.worked, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(r.order[i], i);
    assert_int_equal(workq_outstanding(q), 0);
    workq_free(q, false);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_idle_queue_does_not_hold_loop(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    workq_t *q;
    assert_int_equal(workq_new(&loop, &q), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    workq_free(q, true);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Without drain: the running job finishes, queued ones are cancelled; every done runs inside
 * workq_free, in order. */
static void run_free(bool drain, int expect_worked)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_sem_t gate, started;
    uv_sem_init(&gate, 0);
    uv_sem_init(&started, 0);
    rec_t r = {.loop_thread = uv_thread_self(), .gate = &gate, .started = &started};
    item_t items[5];
    workq_t *q;
    assert_int_equal(workq_new(&loop, &q), 0);
    for (int i = 0; i < 5; i++) {
        items[i] = (item_t){.r = &r, .i = i};
        assert_int_equal(workq_submit(q, work, done, &items[i]), 0);
    }
    /* Job 0 has been taken and waits on the gate, the others are queued; whether the worker takes
     * more before it sees the stop is up to the scheduler, hence "at least" below. */
    uv_sem_wait(&started);
    uv_sem_post(&gate);
    workq_free(q, drain);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.worked + r.cancelled, 5);
    assert_true(r.worked >= expect_worked);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r.order[i], i);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    uv_sem_destroy(&gate);
    uv_sem_destroy(&started);
}

static void test_free_drain_runs_everything(void **state)
{
    run_free(true, 5);
}

static void test_free_without_drain_reports_all(void **state)
{
    run_free(false, 1);
}

static void test_free_from_done(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec_t r = {.loop_thread = uv_thread_self(), .free_in_done = true};
    item_t items[4];
    assert_int_equal(workq_new(&loop, &r.q), 0);
    for (int i = 0; i < 4; i++) {
        items[i] = (item_t){.r = &r, .i = i};
        assert_int_equal(workq_submit(r.q, work, done, &items[i]), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_null(r.q);
    assert_int_equal(r.n, 4); /* the rest were reported by the nested free */
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void resubmit_done(void *arg, bool cancelled)
{
    int *count = arg;
    (*count)++;
}

static void nothing(void *arg)
{
}

static void test_submit_after_free_fails(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    workq_t *q;
    int count = 0;
    assert_int_equal(workq_new(&loop, &q), 0);
    assert_int_equal(workq_submit(q, nothing, resubmit_done, &count), 0);
    workq_free(q, true);
    assert_int_equal(count, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_in_order_and_loop_ends),
        cmocka_unit_test(test_idle_queue_does_not_hold_loop),
        cmocka_unit_test(test_free_drain_runs_everything),
        cmocka_unit_test(test_free_without_drain_reports_all),
        cmocka_unit_test(test_free_from_done),
        cmocka_unit_test(test_submit_after_free_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
