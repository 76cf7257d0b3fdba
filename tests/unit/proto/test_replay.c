/* The replay ring: numbering, wrap-around while growing, dropping by sequence, the count and byte
 * bounds, replacing entries (re-encoding) and that it holds references, not copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/json/replay.h"

static rbuf_t *msg(uint64_t n)
{
    char s[32];
    int len = snprintf(s, sizeof(s), "m%llu", (unsigned long long)n);
    return rbuf_from(s, (size_t)len);
}

static void assert_msg(const replay_t *r, uint64_t seq)
{
    char s[32];
    rbuf_t *b = replay_get(r, seq);
    assert_non_null(b);
    int len = snprintf(s, sizeof(s), "m%llu", (unsigned long long)seq);
    assert_int_equal(b->len, (size_t)len);
    assert_memory_equal(b->data, s, b->len);
}

static void push_n(replay_t *r, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i <= to; i++) {
        rbuf_t *b = msg(i);
        replay_push(r, b);
        rbuf_unref(b);
    }
}

static void test_an_empty_ring_has_no_array(void **state)
{
    size_t live = rbuf_live();
    replay_t r;
    replay_init(&r, 7);
    assert_null(r.b);
    assert_int_equal(replay_next(&r), 7);
    assert_null(replay_get(&r, 6));
    assert_null(replay_get(&r, 7));
    push_n(&r, 7, 7);
    assert_non_null(r.b);
    assert_msg(&r, 7);
    replay_drop_upto(&r, 7);
    assert_null(r.b); /* emptied: the array went back */
    assert_int_equal(r.first, 8);
    assert_int_equal(r.bytes, 0);
    assert_int_equal(rbuf_live(), live);
}

static void test_numbering_survives_wrap_and_growth(void **state)
{
    replay_t r;
    replay_init(&r, 1);
    push_n(&r, 1, 6);
    replay_drop_upto(&r, 4); /* head moves: later pushes wrap */
    push_n(&r, 7, 40);       /* and grow the array while wrapped */
    assert_int_equal(r.first, 5);
    assert_int_equal(r.len, 36);
    for (uint64_t i = 5; i <= 40; i++)
        assert_msg(&r, i);
    assert_null(replay_get(&r, 4));
    assert_null(replay_get(&r, 41));
    assert_int_equal(replay_next(&r), 41);
    replay_deinit(&r);
    assert_null(r.b);
}

static void test_bounds_drop_the_oldest(void **state)
{
    replay_t r;
    replay_init(&r, 1);
    push_n(&r, 1, 20); /* "m1".."m9" are 2 bytes, "m10".."m20" 3 */
    replay_bound(&r, 16, (size_t)-1);
    assert_int_equal(r.len, 16);
    assert_int_equal(r.first, 5);
    replay_bound(&r, 512, 9); /* three of 3 bytes */
    assert_int_equal(r.len, 3);
    assert_int_equal(r.first, 18);
    assert_int_equal(r.bytes, 9);
    replay_bound(&r, 512, 0);
    assert_int_equal(r.len, 0);
    assert_int_equal(replay_next(&r), 21);
    assert_null(r.b);
}

static void test_drop_upto_beyond_and_before(void **state)
{
    replay_t r;
    replay_init(&r, 10);
    push_n(&r, 10, 12);
    replay_drop_upto(&r, 3); /* older than the ring: nothing */
    assert_int_equal(r.len, 3);
    replay_drop_upto(&r, 11);
    assert_int_equal(r.first, 12);
    assert_msg(&r, 12);
    replay_deinit(&r);
}

static void test_entries_are_shared_references(void **state)
{
    size_t live = rbuf_live();
    replay_t a, b;
    replay_init(&a, 1);
    replay_init(&b, 1);
    rbuf_t *m = msg(1);
    replay_push(&a, m);
    replay_push(&b, m);
    assert_ptr_equal(replay_get(&a, 1), replay_get(&b, 1));
    assert_int_equal(m->refs, 3);
    rbuf_unref(m);
    rbuf_t *other = rbuf_from("another", 7);
    replay_set(&a, 1, other); /* a re-encoding replaces the entry */
    rbuf_unref(other);
    assert_int_equal(a.bytes, 7);
    assert_int_equal(replay_get(&b, 1)->refs, 1);
    replay_deinit(&a);
    replay_deinit(&b);
    assert_int_equal(rbuf_live(), live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_empty_ring_has_no_array),
        cmocka_unit_test(test_numbering_survives_wrap_and_growth),
        cmocka_unit_test(test_bounds_drop_the_oldest),
        cmocka_unit_test(test_drop_upto_beyond_and_before),
        cmocka_unit_test(test_entries_are_shared_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
