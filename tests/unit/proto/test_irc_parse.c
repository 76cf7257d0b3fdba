/* The IRC line parser (src/proto/irc/parse.c): the parts of a message, tag unescaping, the size
 * limits (417), invalid UTF-8 and malformed lines (errors, never a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/irc/parse.h"

static irc_msg_t msg;

static int parse(const char *line)
{
    return irc_parse(line, strlen(line), &msg);
}

static void test_command_and_params(void **state)
{
    assert_int_equal(parse("privmsg #lobby :hello there"), 0);
    assert_null(msg.source);
    assert_string_equal(msg.command, "PRIVMSG");
    assert_int_equal(msg.nparams, 2);
    assert_string_equal(msg.params[0], "#lobby");
    assert_string_equal(msg.params[1], "hello there");
    assert_true(msg.trailing);
    assert_int_equal(parse("USER  guest 0   * :Real Name"), 0);
    assert_int_equal(msg.nparams, 4);
    assert_string_equal(msg.params[1], "0");
    assert_string_equal(msg.params[3], "Real Name");
    assert_int_equal(parse("PING x"), 0);
    assert_false(msg.trailing);
    assert_string_equal(msg.params[0], "x");
    assert_int_equal(parse("TOPIC #a :"), 0); /* an empty trailing parameter is one */
    assert_int_equal(msg.nparams, 2);
    assert_string_equal(msg.params[1], "");
    assert_int_equal(parse("QUIT"), 0);
    assert_int_equal(msg.nparams, 0);
    assert_int_equal(parse("CAP REQ :a b  "), 0);
    assert_string_equal(msg.params[1], "a b  ");
}

static void test_source(void **state)
{
    assert_int_equal(parse(":nick!u@h PRIVMSG bob :hi :) x"), 0);
    assert_string_equal(msg.source, "nick!u@h");
    assert_string_equal(msg.command, "PRIVMSG");
    assert_string_equal(msg.params[1], "hi :) x");
    assert_int_equal(parse(": PRIVMSG"), IRC_PARSE_BAD);
    assert_int_equal(parse(":only.source"), IRC_PARSE_BAD);
}

static void test_fifteen_params(void **state)
{
    assert_int_equal(parse("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"), 0);
    assert_int_equal(msg.nparams, 15);
    assert_string_equal(msg.params[13], "14");
    assert_string_equal(msg.params[14], "15 16 17"); /* the 15th takes the rest */
    assert_false(msg.trailing);
}

static void test_tags_unescaped(void **state)
{
    assert_int_equal(
        parse("@+example/x=a\\:b\\sc\\\\d\\re\\nf\\zg;id=1;novalue;empty= PRIVMSG #a :t"), 0);
    assert_int_equal(msg.ntags, 4);
    assert_string_equal(msg.tags[0].key, "+example/x");
    assert_string_equal(msg.tags[0].value, "a;b c\\d\re\nfzg");
    assert_string_equal(msg.tags[1].key, "id");
    assert_string_equal(msg.tags[1].value, "1");
    assert_string_equal(msg.tags[2].key, "novalue");
    assert_string_equal(msg.tags[2].value, "");
    assert_string_equal(msg.tags[3].value, "");
    assert_string_equal(msg.command, "PRIVMSG");
    assert_int_equal(parse("@a=b\\ PING x"), 0); /* a trailing backslash is dropped */
    assert_string_equal(msg.tags[0].value, "b");
    assert_int_equal(parse("@a;;b; PING"), 0);
    assert_int_equal(msg.ntags, 2);
    assert_int_equal(parse("@bad!key=1 PING"), IRC_PARSE_BAD);
    assert_int_equal(parse("@=1 PING"), IRC_PARSE_BAD);
    assert_int_equal(parse("@a=1"), IRC_PARSE_BAD); /* tags and no command */
}

static void test_escape_round_trip(void **state)
{
    char out[64];
    const char v[] = "a;b c\\d\re\nf";
    size_t n = irc_tag_escape(v, strlen(v), out, sizeof(out));
    assert_string_equal(out, "a\\:b\\sc\\\\d\\re\\nf");
    assert_int_equal(n, strlen(out));
    char line[128];
    snprintf(line, sizeof(line), "@k=%s PING", out);
    assert_int_equal(parse(line), 0);
    assert_string_equal(msg.tags[0].value, v);
    assert_int_equal(irc_tag_escape(v, strlen(v), out, 4), n); /* cut, NUL-terminated */
    assert_string_equal(out, "a\\:");
}

static char *repeat(char c, size_t n, const char *pre, const char *post)
{
    size_t a = strlen(pre), b = strlen(post);
    char *s = malloc(a + n + b + 1);
    memcpy(s, pre, a);
    memset(s + a, c, n);
    memcpy(s + a + n, post, b + 1);
    return s;
}

static void test_limits(void **state)
{
    /* 510 bytes of body is the most (512 with CR LF) */
    char *s = repeat('x', 510 - 14, "PRIVMSG #a :", "yz");
    assert_int_equal(strlen(s), 510);
    assert_int_equal(parse(s), 0);
    free(s);
    s = repeat('x', 511 - 12, "PRIVMSG #a :", "");
    assert_int_equal(parse(s), IRC_PARSE_TOOLONG);
    free(s);
    /* client tag data: at most 4094 bytes, which do not count against the 510 */
    s = repeat('v', 4094 - 2, "@k=", " PRIVMSG #a :hi");
    assert_int_equal(parse(s), 0);
    free(s);
    s = repeat('v', 4095 - 2, "@k=", " PRIVMSG #a :hi");
    assert_int_equal(parse(s), IRC_PARSE_TOOLONG);
    free(s);
    s = repeat('v', 9000, "@k=", " PING");
    assert_int_equal(parse(s), IRC_PARSE_TOOLONG);
    free(s);
}

static void test_bad_input_never_crashes(void **state)
{
    assert_int_equal(parse(""), IRC_PARSE_EMPTY);
    assert_int_equal(parse("   "), IRC_PARSE_EMPTY);
    assert_int_equal(parse("PRIVMSG #a :\xff\xfe"), IRC_PARSE_UTF8);
    assert_int_equal(parse("PRIVMSG #a :\xc0\xaf"), IRC_PARSE_UTF8); /* overlong */
    assert_int_equal(parse("@k=\xed\xa0\x80 PING"), IRC_PARSE_UTF8); /* a surrogate */
    assert_int_equal(irc_parse("PING a\0b", 8, &msg), IRC_PARSE_BAD);
    assert_int_equal(parse("PRIVMSG #a :caf\xc3\xa9 \xe2\x82\xac"), 0);
    assert_string_equal(msg.params[1], "caf\xc3\xa9 \xe2\x82\xac");
    /* every prefix of a busy line parses or fails cleanly */
    const char line[] = "@a=1\\s;+b :src CMD p1 :trail ing";
    for (size_t i = 0; i <= sizeof(line) - 1; i++) {
        int rc = irc_parse(line, i, &msg);
        assert_true(rc == 0 || rc == IRC_PARSE_BAD || rc == IRC_PARSE_EMPTY);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_and_params),      cmocka_unit_test(test_source),
        cmocka_unit_test(test_fifteen_params),          cmocka_unit_test(test_tags_unescaped),
        cmocka_unit_test(test_escape_round_trip),       cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_input_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
