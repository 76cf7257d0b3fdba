/* The IRC gateway's shared line encoding (src/proto/irc/out.c, irc__encode): the tag variants,
 * texts cut into lines of at most 512 bytes at UTF-8 boundaries, line breaks, and lines without a
 * trailing parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/irc/irc_int.h"

static char *text_of(rbuf_t *b)
{
    char *s = malloc(b->len + 1);
    memcpy(s, b->data, b->len);
    s[b->len] = '\0';
    return s;
}

static void test_variants(void **state)
{
    const int64_t ts = 1796274748123; /* 2026-12-03T05:12:28.123Z */
    rbuf_t *b = irc__encode(IRC_V_PLAIN, 42, ts, "amy!parley@parley", "PRIVMSG", "#lobby", "hi", 2);
    char *s = text_of(b);
    assert_string_equal(s, ":amy!parley@parley PRIVMSG #lobby :hi\r\n");
    free(s);
    rbuf_unref(b);
    b = irc__encode(IRC_V_TIME, 42, ts, "amy!parley@parley", "PRIVMSG", "#lobby", "hi", 2);
    s = text_of(b);
    assert_string_equal(s,
                        "@time=2026-12-03T05:12:28.123Z :amy!parley@parley PRIVMSG #lobby :hi\r\n");
    free(s);
    rbuf_unref(b);
    b = irc__encode(IRC_V_TAGS, 42, ts, "amy!parley@parley", "PRIVMSG", "#lobby", "hi", 2);
    s = text_of(b);
    assert_string_equal(
        s, "@time=2026-12-03T05:12:28.123Z;msgid=42 :amy!parley@parley PRIVMSG #lobby :hi\r\n");
    free(s);
    rbuf_unref(b);
    /* no trailing parameter; no msgid without a message id */
    b = irc__encode(IRC_V_TAGS, 0, ts, "bo!parley@parley", "JOIN", "#lobby", NULL, 0);
    s = text_of(b);
    assert_string_equal(s, "@time=2026-12-03T05:12:28.123Z :bo!parley@parley JOIN #lobby\r\n");
    free(s);
    rbuf_unref(b);
}

static void test_long_and_multiline_texts(void **state)
{
    /* 700 two-byte characters, a CR LF, an empty line, a bare CR and a last line */
    size_t n = 700 * 2;
    char *text = malloc(n + 32);
    for (size_t i = 0; i < n; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);
    strcpy(text + n, "\r\n\nsecond\rthird");
    size_t len = strlen(text);
    rbuf_t *b = irc__encode(IRC_V_TIME, 1, 1, "x!parley@parley", "PRIVMSG", "#a", text, len);
    char *s = text_of(b), *save = NULL;
    const char *head = "@time=1970-01-01T00:00:00.001Z :x!parley@parley PRIVMSG #a :";
    size_t body = 0, lines = 0;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t ll = strlen(line);
        assert_true(ll > 0 && line[ll - 1] == '\r');
        line[--ll] = '\0';
        assert_memory_equal(line, head, strlen(head));
        const char *t = line + strlen(head);
        /* without its tags a line fits 512 bytes with CR LF */
        assert_true(strlen(line) - strlen("@time=1970-01-01T00:00:00.001Z ") + 2 <= 512);
        if (lines < 3)
            assert_true((unsigned char)t[0] == 0xc3); /* never cut inside a character */
        body += strlen(t);
        lines++;
    }
    assert_int_equal(lines, 5); /* 1,400 bytes in three lines, "second", "third" */
    assert_int_equal(body, n + strlen("second") + strlen("third"));
    free(s);
    rbuf_unref(b);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_long_and_multiline_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
