/* Unit tests for src/auth/throttle: free failures, doubling delays with a cap, the hard refusal
 * with its retry time, forgetting after the window, in-flight attempts, and the key bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "auth/throttle.h"

static const throttle_config_t cfg = {.free_failures = 3,
                                      .delay_ms = 1000,
                                      .max_delay_ms = 30000,
                                      .max_failures = 10,
                                      .window_s = 60};

static int64_t fail_once(throttle_t *t, const char *const keys[2], uint64_t now)
{
    int retry;
    int64_t d = throttle_begin(t, keys, now, &retry);
    if (d >= 0)
        throttle_end(t, keys, false, now);
    return d;
}

static void test_delays_grow_and_cap(void **state)
{
    throttle_t *t = throttle_new(&cfg);
    const char *keys[2] = {"n:alice", "a:1.2.3.4"};
    int64_t want[] = {0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (int i = 0; i < 10; i++)
        assert_int_equal(fail_once(t, keys, 1000), want[i]);
    assert_int_equal(throttle_failures(t, "n:alice", 1000), 10);
    int retry = 0;
    assert_int_equal(throttle_begin(t, keys, 1000, &retry), -1);
    assert_int_equal(retry, 60);
    assert_int_equal(throttle_begin(t, keys, 31000, &retry), -1);
    assert_int_equal(retry, 30);
    /* After the window everything is forgotten. */
    assert_int_equal(throttle_begin(t, keys, 61000, &retry), 0);
    throttle_end(t, keys, true, 61000);
    assert_int_equal(throttle_failures(t, "n:alice", 61000), 0);
    throttle_free(t);
}

static void test_worst_key_decides_and_success_forgets_account(void **state)
{
    throttle_t *t = throttle_new(&cfg);
    const char *a[2] = {"n:alice", "a:1.2.3.4"};
    const char *b[2] = {"n:bob", "a:1.2.3.4"};
    for (int i = 0; i < 4; i++)
        fail_once(t, a, 0);
    /* bob from the same address waits as the address does */
    int retry;
    assert_int_equal(throttle_begin(t, b, 0, &retry), 2000);
    throttle_end(t, b, true, 0);
    assert_int_equal(throttle_failures(t, "a:1.2.3.4", 0), 4); /* the address keeps its count */
    assert_int_equal(throttle_failures(t, "n:alice", 0), 4);
    throttle_end(t, (const char *[2]){"n:alice", NULL}, true, 0); /* an unmatched end: harmless */
    assert_int_equal(throttle_failures(t, "n:alice", 0), 0);
    throttle_free(t);
}

static void test_inflight_attempts_count(void **state)
{
    throttle_t *t = throttle_new(&cfg);
    const char *k[2] = {"n:carol", NULL};
    int retry;
    for (int i = 0; i < 3; i++)
        assert_int_equal(throttle_begin(t, k, 0, &retry), 0);
    assert_int_equal(throttle_begin(t, k, 0, &retry), 1000); /* three running */
    for (int i = 0; i < 6; i++)
        throttle_begin(t, k, 0, &retry);
    assert_int_equal(throttle_begin(t, k, 0, &retry), -1); /* ten in flight */
    throttle_free(t);                                      /* frees entries with attempts open */
}

static void test_bounded(void **state)
{
    throttle_t *t = throttle_new(&cfg);
    char key[32];
    for (int i = 0; i < THROTTLE_MAX_KEYS + 50; i++) {
        snprintf(key, sizeof key, "a:%d", i);
        const char *k[2] = {key, NULL};
        fail_once(t, k, (uint64_t)i);
    }
    assert_int_equal(throttle_failures(t, "a:0", THROTTLE_MAX_KEYS + 50), 0); /* evicted */
    snprintf(key, sizeof key, "a:%d", THROTTLE_MAX_KEYS + 49);
    assert_int_equal(throttle_failures(t, key, THROTTLE_MAX_KEYS + 50), 1);
    throttle_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delays_grow_and_cap),
        cmocka_unit_test(test_worst_key_decides_and_success_forgets_account),
        cmocka_unit_test(test_inflight_attempts_count),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
