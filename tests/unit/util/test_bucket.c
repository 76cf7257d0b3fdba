/* Unit tests for src/util/bucket: token buckets with caller-supplied time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/bucket.h"
#include "util/flood.h"

/* How many unit-cost takes succeed at one instant. */
static int drain(bucket_t *b, const bucket_limit_t *lim, uint64_t now)
{
    int n = 0;
    while (n < 100000 && bucket_take(b, lim, now, 1))
        n++;
    return n;
}

static void test_burst_then_refill(void **state)
{
    bucket_limit_t lim = bucket_limit(5, 10);
    bucket_t b;
    uint64_t t = 1000;
    bucket_init(&b, t);
    assert_int_equal(drain(&b, &lim, t), 10);
    assert_false(bucket_take(&b, &lim, t + 199, 1)); /* one token takes 200 ms */
    assert_true(bucket_take(&b, &lim, t + 200, 1));
    assert_false(bucket_take(&b, &lim, t + 200, 1));
    assert_int_equal(drain(&b, &lim, t + 1200), 5);   /* 1 s later: 5 more */
    assert_int_equal(drain(&b, &lim, t + 60000), 10); /* never more than the burst */
}

static void test_sustained_rate(void **state)
{
    bucket_limit_t lim = bucket_limit(20, 40);
    bucket_t b;
    bucket_init(&b, 0);
    int ok = 0;
    for (uint64_t ms = 0; ms < 10000; ms++) /* one attempt every ms for 10 s */
        ok += bucket_take(&b, &lim, ms, 1);
    assert_int_equal(ok, 40 + 20 * 10 - 1); /* the burst, then 20/s (the last one due at 10 s) */
}

static void test_refused_take_changes_nothing(void **state)
{
    bucket_limit_t lim = bucket_limit(1, 3);
    bucket_t b;
    bucket_init(&b, 5000);
    assert_true(bucket_take(&b, &lim, 5000, 2));
    assert_false(bucket_take(&b, &lim, 5000, 2)); /* one left */
    assert_true(bucket_take(&b, &lim, 5000, 1));
    for (int i = 0; i < 50; i++)
        assert_false(bucket_take(&b, &lim, 5000 + 999, 1));
    assert_true(bucket_take(&b, &lim, 6000, 1));
}

static void test_cost_above_burst_needs_full_bucket(void **state)
{
    bucket_limit_t lim = bucket_limit(10, 2);
    bucket_t b;
    bucket_init(&b, 0);
    assert_true(bucket_take(&b, &lim, 0, 5));
    assert_false(bucket_take(&b, &lim, 100, 5)); /* half full */
    assert_true(bucket_take(&b, &lim, 200, 5));
}

static void test_zero_rate_is_unlimited(void **state)
{
    bucket_limit_t lim = bucket_limit(0, 10);
    bucket_t b;
    bucket_init(&b, 0);
    for (int i = 0; i < 100000; i++)
        assert_true(bucket_take(&b, &lim, 0, 3));
}

static void test_fractional_interval(void **state)
{
    bucket_limit_t lim = bucket_limit(3, 2); /* 333.33 ms per token */
    bucket_t b;
    bucket_init(&b, 0);
    int ok = 0;
    for (uint64_t ms = 0; ms <= 30000; ms++)
        ok += bucket_take(&b, &lim, ms, 1);
    assert_int_equal(ok, 2 + 90); /* the burst, then every 1/3 s (no drift from rounding) */
}

static void test_clamps(void **state)
{
    bucket_limit_t hi = bucket_limit(1000000, 1000000);
    bucket_limit_t max = bucket_limit(BUCKET_MAX_RATE, BUCKET_MAX_BURST);
    assert_int_equal(hi.interval, max.interval);
    assert_int_equal(hi.tolerance, max.tolerance);
    bucket_limit_t zero_burst = bucket_limit(5, 0);
    bucket_t b;
    bucket_init(&b, 0);
    assert_int_equal(drain(&b, &zero_burst, 0), 1);
}

static void test_tick_wrap(void **state)
{
    /* The tick counter (1/16 ms, 32 bits) wraps every 2^28 ms: across a wrap nothing changes. */
    bucket_limit_t lim = bucket_limit(5, 10);
    bucket_t b;
    uint64_t wrap = (uint64_t)1 << 28;
    uint64_t t = 3 * wrap - 500;
    bucket_init(&b, t);
    assert_int_equal(drain(&b, &lim, t), 10);
    assert_int_equal(drain(&b, &lim, t + 1000), 5); /* t + 1000 is past the wrap */
    assert_false(bucket_take(&b, &lim, t + 1100, 1));
}

static void test_long_idle_is_full(void **state)
{
    bucket_limit_t lim = bucket_limit(5, 10);
    bucket_t b;
    bucket_init(&b, 0);
    assert_int_equal(drain(&b, &lim, 0), 10);
    /* idle for 2, 25 and 40 days: the stored time looks far in the past or the future */
    uint64_t day = 24ULL * 3600 * 1000, t = 0;
    uint64_t gaps[] = {2 * day, 25 * day, 40 * day};
    for (int i = 0; i < 3; i++) {
        t += gaps[i];
        assert_int_equal(drain(&b, &lim, t), 10);
    }
    bucket_t fresh = {0}; /* never initialised: not stuck either */
    assert_true(bucket_take(&fresh, &lim, 123456789, 1));
}

/* flood_take (util/flood.c): the allowances every protocol applies to a connection. */
static void test_flood_take(void **state)
{
    config_flood_t f = {.messages_per_sec = 1,
                        .messages_burst = 2,
                        .commands_per_sec = 1,
                        .commands_burst = 4,
                        .max_violations = 2};
    bucket_t cmds, msgs, viol;
    bucket_init(&cmds, 0);
    bucket_init(&msgs, 0);
    bucket_init(&viol, 0);
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 0, 1, true), FLOOD_OK);
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 0, 1, true), FLOOD_OK);
    /* the third message is refused by the message allowance; its command token stays spent */
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 0, 1, true), FLOOD_MESSAGES);
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 0, 1, false), FLOOD_OK);
    /* the command allowance (4) is spent now: a second refusal, forgiven too (max 2) ... */
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 0, 1, false), FLOOD_COMMANDS);
    /* ... and the third is past max_violations */
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 0, 1, false),
                     FLOOD_COMMANDS | FLOOD_EXCESS);
    /* a second later one command token and one violation are back */
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 1000, 1, false), FLOOD_OK);
    assert_int_equal(flood_take(&f, &cmds, &msgs, &viol, 1000, 1, false), FLOOD_COMMANDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_sustained_rate),
        cmocka_unit_test(test_refused_take_changes_nothing),
        cmocka_unit_test(test_cost_above_burst_needs_full_bucket),
        cmocka_unit_test(test_zero_rate_is_unlimited),
        cmocka_unit_test(test_fractional_interval),
        cmocka_unit_test(test_clamps),
        cmocka_unit_test(test_tick_wrap),
        cmocka_unit_test(test_long_idle_is_full),
        cmocka_unit_test(test_flood_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
