/* util/timer.c: one-shot libuv timers that free themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <uv.h>

#include "util/timer.h"

struct ctx {
    uv_loop_t *loop;
    int fired[4];
    uint64_t at[4];
    int order[4];
    int norder;
    void *again; /* a timer started from inside a callback */
};

struct arg {
    struct ctx *c;
    int i;
};

static void on_fire(void *p)
{
    struct arg *a = p;
    a->c->fired[a->i]++;
    a->c->at[a->i] = uv_now(a->c->loop);
    a->c->order[a->c->norder++] = a->i;
}

static void fire_and_restart(void *p)
{
    struct arg *a = p;
    on_fire(p);
    static struct arg next;
    next = (struct arg){a->c, 3};
    a->c->again = uvtimer_start(a->c->loop, 5, on_fire, &next);
}

static void test_fire_order_and_stop(void **state)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct ctx c = {.loop = &loop};
    struct arg a0 = {&c, 0}, a1 = {&c, 1}, a2 = {&c, 2};
    uint64_t t0 = uv_now(&loop);
    assert_non_null(uvtimer_start(&loop, 30, on_fire, &a0));
    assert_non_null(uvtimer_start(&loop, 10, fire_and_restart, &a1));
    void *stopped = uvtimer_start(&loop, 20, on_fire, &a2);
    assert_non_null(stopped);
    uvtimer_stop(&loop, stopped);
    uvtimer_stop(&loop, NULL);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* returns: nothing left alive */
    assert_int_equal(c.fired[0], 1);
    assert_int_equal(c.fired[1], 1);
    assert_int_equal(c.fired[2], 0);
    assert_int_equal(c.fired[3], 1);
    assert_non_null(c.again);
    assert_int_equal(c.norder, 3);
    assert_int_equal(c.order[0], 1); /* 10 ms */
    assert_int_equal(c.order[1], 3); /* 10 + 5 ms */
    assert_int_equal(c.order[2], 0); /* 30 ms */
    assert_true(c.at[1] - t0 >= 10);
    assert_true(c.at[0] - t0 >= 30);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle closed and freed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fire_order_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
