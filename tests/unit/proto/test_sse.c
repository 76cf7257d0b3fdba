/* SSE framing: the event head and tail around a shared line, the heartbeat, Last-Event-ID. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/json/sse.h"

static void assert_buf(rbuf_t *b, const char *s)
{
    assert_int_equal(b->len, strlen(s));
    assert_memory_equal(b->data, s, b->len);
    rbuf_unref(b);
}

static void test_an_event_is_head_line_tail(void **state)
{
    rbuf_t *head = sse_event_head(42), *tail = sse_event_tail();
    char ev[64];
    size_t n = 0;
    memcpy(ev + n, head->data, head->len), n += head->len;
    memcpy(ev + n, "{\"type\":\"ok\"}\n", 14), n += 14;
    memcpy(ev + n, tail->data, tail->len), n += tail->len;
    ev[n] = '\0';
    assert_string_equal(ev, "id: 42\ndata: {\"type\":\"ok\"}\n\n");
    rbuf_unref(head);
    rbuf_unref(tail);
    assert_buf(sse_event_head(UINT64_MAX), "id: 18446744073709551615\ndata: ");
}

static void test_shared_buffers_are_shared(void **state)
{
    rbuf_t *a = sse_event_tail(), *b = sse_event_tail();
    assert_ptr_equal(a, b);
    rbuf_unref(a);
    rbuf_unref(b);
    rbuf_t *h = sse_heartbeat();
    assert_true(h->len > 2 && h->data[0] == ':'); /* a comment, ignored by EventSource */
    assert_memory_equal(h->data + h->len - 2, "\n\n", 2);
    rbuf_unref(h);
    sse_global_cleanup();
    assert_int_equal(rbuf_live(), 0);
}

static void test_last_event_id(void **state)
{
    uint64_t v = 7;
    assert_int_equal(sse_parse_id("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(sse_parse_id("1234567890123456789", &v), 0);
    assert_int_equal(v, 1234567890123456789ULL);
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "12a", "0x10", "12345678901234567890"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sse_parse_id(bad[i], &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_event_is_head_line_tail),
        cmocka_unit_test(test_shared_buffers_are_shared),
        cmocka_unit_test(test_last_event_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
