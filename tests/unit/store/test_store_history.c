/* Unit tests of store_history_query (src/store/store_history.c, SQLite backend): each chathistory
 * selector by message id and by timestamp, exclusive bounds, ties of timestamps, ids of other
 * tables as positions, empty results, limits and their clamp, malformed queries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store_fx.h"

typedef struct fx {
    char dir[64];
    uv_loop_t loop;
    store_t *st;
    int done;
    char got[4096]; /* "id id id " as handed to the callback */
} fx_t;

static void on_done(void *ud, uint64_t id, int status)
{
    fx_t *f = ud;
    assert_int_equal(status, 0);
    f->done++;
}

static void put(fx_t *f, uint64_t id, const char *room, uint32_t table, int64_t ts)
{
    char text[32];
    snprintf(text, sizeof text, "m%llu", (unsigned long long)id);
    store_msg_t m = {.id = id,
                     .ts = ts,
                     .room = room,
                     .table = table,
                     .nick = "n",
                     .text = text,
                     .text_len = strlen(text)};
    assert_int_equal(store_msg_append(f->st, &m, on_done, f), 0);
}

/* Table 1 of lobby holds ids 1 2 3 5 6 7 8 9 10 12 (ts = id * 1000, but 6 has 5000 like 5);
 * table 2 has 4 and 11, room "other" 13. */
static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (store_fx_open("parley-hist", f->dir, &f->loop, &f->st) < 0)
        return -1;
    for (uint64_t id = 1; id <= 13; id++) {
        uint32_t table = id == 4 || id == 11 ? 2 : 1;
        put(f, id, id == 13 ? "other" : "lobby", table, id == 6 ? 5000 : (int64_t)id * 1000);
    }
    for (int i = 0; f->done < 13 && i < 100000; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    *state = f;
    return f->done == 13 ? 0 : -1;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    int rc = store_fx_close(f->dir, &f->loop, f->st);
    free(f);
    return rc;
}

static void on_msg(void *ud, const store_msg_t *m)
{
    fx_t *f = ud;
    char text[32];
    snprintf(text, sizeof text, "m%llu", (unsigned long long)m->id);
    assert_string_equal(m->text, text);
    assert_string_equal(m->nick, "n");
    size_t l = strlen(f->got);
    snprintf(f->got + l, sizeof f->got - l, "%llu ", (unsigned long long)m->id);
}

static const store_hq_ref_t NONE = {0};

static store_hq_ref_t id(uint64_t v)
{
    return (store_hq_ref_t){.by = STORE_HQ_ID, .id = v};
}

static store_hq_ref_t ts(int64_t v)
{
    return (store_hq_ref_t){.by = STORE_HQ_TS, .ts = v};
}

/* Runs a query on lobby/table; returns its status, the ids in f->got. */
static int query(fx_t *f, uint32_t table, store_hq_kind_t kind, store_hq_ref_t ref,
                 store_hq_ref_t end, int limit)
{
    store_hist_q_t q = {.kind = kind, .ref = ref, .end = end, .limit = limit};
    int n = -1;
    f->got[0] = '\0';
    int rc = store_history_query(f->st, "lobby", table, &q, on_msg, f, &n);
    int words = 0;
    for (const char *p = f->got; *p; p++)
        words += *p == ' ';
    assert_int_equal(n, rc == 0 ? words : n);
    return rc;
}

#define Q(kind, ref, end, limit, want)                                                             \
    do {                                                                                           \
        assert_int_equal(query(f, 1, STORE_HQ_##kind, ref, end, limit), 0);                        \
        assert_string_equal(f->got, want);                                                         \
    } while (0)

static void test_latest(void **state)
{
    fx_t *f = *state;
    Q(LATEST, NONE, NONE, 3, "9 10 12 ");
    Q(LATEST, NONE, NONE, 100, "1 2 3 5 6 7 8 9 10 12 ");
    Q(LATEST, id(8), NONE, 100, "9 10 12 ");
    Q(LATEST, id(8), NONE, 2, "10 12 ");
    Q(LATEST, ts(8500), NONE, 10, "9 10 12 ");
    Q(LATEST, id(12), NONE, 10, "");
    Q(LATEST, ts(5000), NONE, 10, "7 8 9 10 12 "); /* both messages of 5000 excluded */
    assert_int_equal(query(f, 2, STORE_HQ_LATEST, NONE, NONE, 10), 0);
    assert_string_equal(f->got, "4 11 ");
    assert_int_equal(query(f, 3, STORE_HQ_LATEST, NONE, NONE, 10), 0); /* no such table */
    assert_string_equal(f->got, "");
}

static void test_before_after(void **state)
{
    fx_t *f = *state;
    Q(BEFORE, id(7), NONE, 3, "3 5 6 ");
    Q(BEFORE, id(4), NONE, 10, "1 2 3 "); /* an id of table 2 as a position */
    Q(BEFORE, id(1), NONE, 10, "");
    Q(BEFORE, ts(5000), NONE, 10, "1 2 3 ");
    Q(BEFORE, ts(5001), NONE, 1, "6 "); /* ties ordered by id */
    Q(BEFORE, id(UINT64_MAX), NONE, 2, "10 12 ");
    Q(AFTER, id(5), NONE, 2, "6 7 ");
    Q(AFTER, ts(5000), NONE, 2, "7 8 ");
    Q(AFTER, ts(4999), NONE, 1, "5 ");
    Q(AFTER, id(12), NONE, 10, "");
    Q(AFTER, id(0), NONE, 2, "1 2 ");
    Q(AFTER, ts(INT64_MIN), NONE, 1, "1 ");
}

static void test_around(void **state)
{
    fx_t *f = *state;
    Q(AROUND, id(7), NONE, 4, "5 6 7 8 ");
    Q(AROUND, id(7), NONE, 5, "5 6 7 8 9 ");
    Q(AROUND, id(7), NONE, 1, "7 ");
    Q(AROUND, id(1), NONE, 4, "1 2 3 5 ");    /* nothing before: the rest after */
    Q(AROUND, id(12), NONE, 4, "8 9 10 12 "); /* nothing after: the rest before */
    Q(AROUND, id(12), NONE, 100, "1 2 3 5 6 7 8 9 10 12 ");
    Q(AROUND, id(13), NONE, 3, "9 10 12 "); /* past the end */
    Q(AROUND, ts(5000), NONE, 4, "2 3 5 6 ");
    Q(AROUND, id(4), NONE, 2, "3 5 "); /* a position between two messages */
}

static void test_between(void **state)
{
    fx_t *f = *state;
    Q(BETWEEN, id(2), id(9), 3, "3 5 6 ");
    Q(BETWEEN, id(9), id(2), 3, "6 7 8 "); /* from the first bound's side */
    Q(BETWEEN, id(2), id(3), 10, "");
    Q(BETWEEN, id(3), id(3), 10, "");
    Q(BETWEEN, ts(2000), ts(9000), 100, "3 5 6 7 8 ");
    Q(BETWEEN, id(2), ts(9000), 100, "3 5 6 7 8 "); /* mixed: the id counts by its ts */
    Q(BETWEEN, id(11), ts(6000), 100, "7 8 9 10 ");
    Q(BETWEEN, ts(6000), id(11), 2, "7 8 ");
    assert_int_equal(query(f, 1, STORE_HQ_BETWEEN, id(999), ts(1), 10), STORE_ENOTFOUND);
}

static void test_limits_and_errors(void **state)
{
    fx_t *f = *state;
    assert_int_equal(query(f, 1, STORE_HQ_LATEST, NONE, NONE, 0), STORE_EINVAL);
    assert_int_equal(query(f, 1, STORE_HQ_LATEST, NONE, NONE, -1), STORE_EINVAL);
    assert_int_equal(query(f, 1, STORE_HQ_BEFORE, NONE, NONE, 5), STORE_EINVAL);
    assert_int_equal(query(f, 1, STORE_HQ_AFTER, NONE, NONE, 5), STORE_EINVAL);
    assert_int_equal(query(f, 1, STORE_HQ_AROUND, NONE, NONE, 5), STORE_EINVAL);
    assert_int_equal(query(f, 1, STORE_HQ_BETWEEN, id(1), NONE, 5), STORE_EINVAL);
    assert_int_equal(query(f, 1, (store_hq_kind_t)99, id(1), NONE, 5), STORE_EINVAL);
    store_hq_ref_t bad = {.by = (store_hq_by_t)7};
    assert_int_equal(query(f, 1, STORE_HQ_AFTER, bad, NONE, 5), STORE_EINVAL);
    assert_int_equal(store_history_query(f->st, "lobby", 1, NULL, on_msg, f, NULL), STORE_EINVAL);
    assert_string_equal(store_strerror(STORE_EINVAL), "invalid query");

    /* more than STORE_HISTORY_QUERY_MAX stored: a larger limit gets that many, the newest */
    int before = f->done;
    for (uint64_t i = 0; i < STORE_HISTORY_QUERY_MAX + 50; i++)
        put(f, 100 + i, "lobby", 5, 100000 + (int64_t)i);
    for (int i = 0; f->done < before + STORE_HISTORY_QUERY_MAX + 50 && i < 100000; i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    store_hist_q_t q = {.kind = STORE_HQ_LATEST, .limit = 100000};
    int n = 0;
    f->got[0] = '\0';
    assert_int_equal(store_history_query(f->st, "lobby", 5, &q, on_msg, f, &n), 0);
    assert_int_equal(n, STORE_HISTORY_QUERY_MAX);
    q = (store_hist_q_t){.kind = STORE_HQ_AFTER, .ref = id(0), .limit = 2};
    f->got[0] = '\0';
    assert_int_equal(store_history_query(f->st, "lobby", 5, &q, on_msg, f, &n), 0);
    assert_string_equal(f->got, "100 101 ");
    q = (store_hist_q_t){.kind = STORE_HQ_BEFORE, .ref = id(UINT64_MAX), .limit = 1};
    f->got[0] = '\0';
    assert_int_equal(store_history_query(f->st, "lobby", 5, &q, on_msg, f, &n), 0);
    assert_string_equal(f->got, "1149 ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_before_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_around, setup, teardown),
        cmocka_unit_test_setup_teardown(test_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
