/* The line splitter (direct socket, IRC): lines across reads, CRLF, empty lines, the length limit,
 * and a callback that stops the feed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/lines.h"

struct got {
    char lines[8][64];
    int n;
    int stop_at; /* returns 7 after this many lines; 0: never */
};

static int collect(void *ud, const char *line, size_t len)
{
    struct got *g = ud;
    if (line == NULL) { /* an overlong line (skip_long) */
        strcpy(g->lines[g->n++], "<long>");
        return 0;
    }
    assert_true(len < sizeof(g->lines[0]));
    memcpy(g->lines[g->n], line, len);
    g->lines[g->n][len] = '\0';
    g->n++;
    return g->stop_at && g->n == g->stop_at ? 7 : 0;
}

static int feed(lines_t *lb, const char *s, size_t max, struct got *g)
{
    return lines_feed(lb, s, strlen(s), max, collect, g);
}

static void test_many_lines_in_one_read(void **state)
{
    lines_t lb = {0};
    struct got g = {0};
    assert_int_equal(feed(&lb, "one\ntwo\r\n\n\r\nthree\n", 16, &g), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.lines[0], "one");
    assert_string_equal(g.lines[1], "two");
    assert_string_equal(g.lines[2], "three");
    assert_null(lb.tail); /* nothing kept between complete lines */
}

static void test_a_line_across_reads_keeps_only_its_tail(void **state)
{
    lines_t lb = {0};
    struct got g = {0};
    assert_int_equal(feed(&lb, "ab", 16, &g), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(lb.len, 2);
    assert_int_equal(feed(&lb, "cd", 16, &g), 0);
    assert_int_equal(feed(&lb, "e\r", 16, &g), 0);
    assert_int_equal(feed(&lb, "\nfg\nh", 16, &g), 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.lines[0], "abcde");
    assert_string_equal(g.lines[1], "fg");
    assert_int_equal(lb.len, 1);
    lines_deinit(&lb);
    assert_null(lb.tail);
}

static void test_the_limit_counts_bytes_before_the_line_end(void **state)
{
    lines_t lb = {0};
    struct got g = {0};
    assert_int_equal(feed(&lb, "12345\n123456\r\n", 6, &g), 0); /* exactly max, CRLF too */
    assert_int_equal(g.n, 2);
    assert_int_equal(feed(&lb, "1234567\n", 6, &g), -EMSGSIZE);
    assert_int_equal(g.n, 2);
    /* over the limit across reads, before any newline */
    assert_int_equal(feed(&lb, "1234", 6, &g), 0);
    assert_int_equal(feed(&lb, "5678", 6, &g), -EMSGSIZE);
    assert_null(lb.tail);
    assert_int_equal(feed(&lb, "123", 6, &g), 0);
    assert_int_equal(feed(&lb, "4567\n", 6, &g), -EMSGSIZE);
    assert_null(lb.tail);
}

static void test_a_callback_stops_the_feed(void **state)
{
    lines_t lb = {0};
    struct got g = {.stop_at = 2};
    assert_int_equal(feed(&lb, "a\nb\nc\nd", 16, &g), 7);
    assert_int_equal(g.n, 2);
    assert_null(lb.tail); /* the rest is not read */
    g.stop_at = 0;
    assert_int_equal(feed(&lb, "x", 16, &g), 0);
    assert_int_equal(feed(&lb, "y\n", 16, &g), 0);
    assert_string_equal(g.lines[2], "xy");
    assert_null(lb.tail);
}

static void test_skip_long_reports_and_reads_on(void **state)
{
    lines_t lb = {.skip_long = true};
    struct got g = {0};
    assert_int_equal(feed(&lb, "ok\n1234567\nnext\n", 6, &g), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.lines[0], "ok");
    assert_string_equal(g.lines[1], "<long>");
    assert_string_equal(g.lines[2], "next");
    /* across reads: reported once, the rest skipped up to its newline, nothing kept */
    assert_int_equal(feed(&lb, "1234", 6, &g), 0);
    assert_int_equal(feed(&lb, "5678", 6, &g), 0);
    assert_null(lb.tail);
    assert_int_equal(feed(&lb, "9999999", 6, &g), 0);
    assert_int_equal(feed(&lb, "9\r\nlast\n", 6, &g), 0);
    assert_int_equal(g.n, 5);
    assert_string_equal(g.lines[3], "<long>");
    assert_string_equal(g.lines[4], "last");
    assert_null(lb.tail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_lines_in_one_read),
        cmocka_unit_test(test_a_line_across_reads_keeps_only_its_tail),
        cmocka_unit_test(test_the_limit_counts_bytes_before_the_line_end),
        cmocka_unit_test(test_a_callback_stops_the_feed),
        cmocka_unit_test(test_skip_long_reports_and_reads_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
