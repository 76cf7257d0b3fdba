/* Unit tests of the status counters (core/rate.c) with an injected clock: the per-minute message
 * rate ring, the hour's history ring, and the core's per-room and per-table rates driven by
 * core_config_t.clock_ms. Nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rate.h"
#include "fake_session.h"

#define BASE 1000000000LL /* an arbitrary monotonic start, on a bucket boundary */

static void test_rate_window(void **state)
{
    rate_t r = {0};
    assert_int_equal(rate_per_minute(&r, BASE), 0);
    for (int i = 0; i < 3; i++)
        rate_add(&r, BASE + 500);
    assert_int_equal(rate_per_minute(&r, BASE + 500), 3);
    rate_add(&r, BASE + 25000); /* third bucket */
    assert_int_equal(rate_per_minute(&r, BASE + 25000), 4);
    /* the first bucket is in the window until the sixth bucket after it starts */
    assert_int_equal(rate_per_minute(&r, BASE + 59999), 4);
    assert_int_equal(rate_per_minute(&r, BASE + 60000), 1);
    assert_int_equal(rate_per_minute(&r, BASE + 79999), 1);
    assert_int_equal(rate_per_minute(&r, BASE + 80000), 0);
    /* a write after a gap clears the stale buckets it passes */
    rate_add(&r, BASE + 65000);
    assert_int_equal(rate_per_minute(&r, BASE + 65000), 2);
    rate_add(&r, BASE + 1000000);
    assert_int_equal(rate_per_minute(&r, BASE + 1000000), 1);
    /* an earlier time (a clock that went back) counts in the newest bucket */
    rate_add(&r, BASE + 999000 - 20000);
    assert_int_equal(rate_per_minute(&r, BASE + 1000000), 2);
}

static void test_rate_busy_ring(void **state)
{
    rate_t r = {0};
    /* one message a second for five minutes: always 51..60 in the window */
    for (int64_t s = 0; s < 300; s++) {
        rate_add(&r, BASE + s * 1000);
        uint32_t n = rate_per_minute(&r, BASE + s * 1000);
        if (s >= 59)
            assert_true(n >= 51 && n <= 60);
        else
            assert_int_equal(n, (uint32_t)s + 1);
    }
}

static void test_history_ring(void **state)
{
    rate_history_t h = {0};
    assert_int_equal(h.len, 0);
    for (unsigned i = 0; i < RATE_HISTORY + 7; i++) {
        rate_sample_t s = {.t = i * 60000, .users = i, .messages_per_minute = 2 * i};
        rate_history_push(&h, &s);
        assert_int_equal(h.len, i + 1 < RATE_HISTORY ? i + 1 : RATE_HISTORY);
    }
    for (unsigned i = 0; i < RATE_HISTORY; i++) {
        const rate_sample_t *s = rate_history_at(&h, i);
        assert_int_equal(s->users, i + 7);
        assert_int_equal(s->messages_per_minute, 2 * (i + 7));
        assert_int_equal(s->t, (int64_t)(i + 7) * 60000);
    }
    assert_true(sizeof(h) <= 1024 + 16);
}

static int64_t fake_now = BASE;

static int64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static void test_core_rates(void **state)
{
    world_t w;
    core_config_t cfg = {
        .default_capacity = 32, .history_on_entry = 10, .max_text = 4000, .clock_ms = fake_clock};
    w.bus = bus_inproc_new();
    w.core = core_new(&cfg, NULL, w.bus);
    room_spec_t spec = {.name = "duo", .title = "Duo", .capacity = 1};
    assert_int_equal(core_room_create(w.core, &spec, false, &w.lobby), 0);
    fake_t *a = fake_hello(w.core, "alice");
    fake_t *b = fake_hello(w.core, "bob");
    table_t *t = NULL;
    assert_int_equal(core_enter(a->s, w.lobby, false, &t), 0);
    assert_int_equal(core_enter(b->s, w.lobby, false, &t), 0);
    assert_int_equal(table_number(t), 2);
    fake_now = BASE;
    for (int i = 0; i < 3; i++)
        assert_int_equal(core_say(a->s, w.lobby, "hi", 2, NULL, NULL), 0);
    fake_now = BASE + 30000;
    assert_int_equal(core_say(b->s, w.lobby, "yo", 2, NULL, NULL), 0);
    assert_int_equal(table_messages_per_minute(room_table_find(w.lobby, 1)), 3);
    assert_int_equal(table_messages_per_minute(room_table_find(w.lobby, 2)), 1);
    assert_int_equal(room_messages_per_minute(w.lobby), 4);
    /* bob leaves: table 2 closes, the room keeps counting its says */
    assert_int_equal(core_leave(b->s, w.lobby), 0);
    assert_null(room_table_find(w.lobby, 2));
    assert_int_equal(room_messages_per_minute(w.lobby), 4);
    fake_now = BASE + 60000;
    assert_int_equal(room_messages_per_minute(w.lobby), 1);
    assert_int_equal(table_messages_per_minute(room_table_find(w.lobby, 1)), 0);
    fake_now = BASE + 90000;
    assert_int_equal(room_messages_per_minute(w.lobby), 0);
    fake_free(a);
    fake_free(b);
    world_deinit(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_window),
        cmocka_unit_test(test_rate_busy_ring),
        cmocka_unit_test(test_history_ring),
        cmocka_unit_test(test_core_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
