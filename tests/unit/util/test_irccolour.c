/* Unit tests for src/util/irccolour: nearest standard colour of web colours (the nick palette
 * included), the palette's hex values, web -> IRC lines (exact bytes: colour prefix, dropped
 * formatting, the ",digit" guard, LF splits, truncation at UTF-8 boundaries) and IRC -> web
 * stripping (every code, malformed and cut-off codes, the first foreground). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "util/irccolour.h"

static void test_nearest(void **state)
{
    static const struct {
        const char *web;
        int irc;
    } cases[] = {
        /* the core's nick palette (src/core/nick.c) */
        {"#b8860b", 7},
        {"#8e44ad", 13},
        {"#c678dd", 13},
        {"#c18401", 7},
        {"#0184bc", 10},
        {"#50a14f", 9},
        {"#be5046", 4},
        {"#2e86de", 11},
        {"#61afef", 11},
        {"#16a085", 10},
        {"#d35400", 7},
        {"#e06c75", 4},
        /* the standard colours map to themselves (but white and black) */
        {"#00007f", 2},
        {"#009300", 3},
        {"#ff0000", 4},
        {"#7f0000", 5},
        {"#9c009c", 6},
        {"#fc7f00", 7},
        {"#ffff00", 8},
        {"#00fc00", 9},
        {"#009393", 10},
        {"#00ffff", 11},
        {"#0000fc", 12},
        {"#ff00ff", 13},
        {"#7f7f7f", 14},
        {"#d2d2d2", 15},
        /* greys by lightness; white and black never chosen; either case */
        {"#ffffff", 15},
        {"#000000", 14},
        {"#808080", 14},
        {"#c0c0c0", 15},
        {"#FF0000", 4},
        {"#00007F", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = irccolour_nearest(cases[i].web);
        if (got != cases[i].irc)
            fail_msg("%s: got %d, want %d", cases[i].web, got, cases[i].irc);
    }
    const char *bad[] = {NULL,       "",        "#",   "ff0000", "#ff000",
                         "#ff00000", "#gg0000", "red", "#ff 000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(irccolour_nearest(bad[i]), -1);
}

static void test_hex(void **state)
{
    char out[IRCCOLOUR_HEX_LEN];
    assert_int_equal(irccolour_hex(0, out), 0);
    assert_string_equal(out, "#ffffff");
    assert_int_equal(irccolour_hex(4, out), 0);
    assert_string_equal(out, "#ff0000");
    assert_int_equal(irccolour_hex(15, out), 0);
    assert_string_equal(out, "#d2d2d2");
    assert_int_equal(irccolour_hex(16, out), 0);
    assert_string_equal(out, "#470000");
    assert_int_equal(irccolour_hex(52, out), 0);
    assert_string_equal(out, "#ff0000");
    assert_int_equal(irccolour_hex(98, out), 0);
    assert_string_equal(out, "#ffffff");
    assert_int_equal(irccolour_hex(99, out), -1);
    assert_int_equal(irccolour_hex(-1, out), -1);
    assert_int_equal(irccolour_hex(100, out), -1);
}

/* One to_irc call: checks the exact bytes and the input consumed. */
static void to_irc(const char *colour, const char *text, size_t cap, const char *want,
                   size_t want_used)
{
    char out[256];
    size_t used = 999;
    assert_true(cap <= sizeof out);
    size_t n = irccolour_to_irc(colour, text, strlen(text), out, cap, &used);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n + 1);
    assert_int_equal(used, want_used);
}

static void test_to_irc(void **state)
{
    to_irc("#e06c75", "hello", 64,
           "\x03"
           "04hello",
           5);
    to_irc("#0184bc", "5 apples", 64,
           "\x03"
           "105 apples",
           8);
    to_irc("#ff0000", "5 apples", 64,
           "\x03"
           "045 apples",
           8); /* two digits: 5 stays text */
    to_irc(NULL, "plain", 64, "plain", 5);
    to_irc("not a colour", "plain", 64, "plain", 5);
    /* formatting bytes, CR and NUL from the web are dropped */
    to_irc("#ff0000",
           "a\x02"
           "b\x03"
           "12c\x0f\x1d\x1f\x1e\x11\x16\x04"
           "d\re",
           64,
           "\x03"
           "04ab12cde",
           17);
    /* the ",digit" guard, only at the very start */
    to_irc("#ff0000", ",5 left", 64,
           "\x03"
           "04\x02\x02,5 left",
           7);
    to_irc("#ff0000", "a,5", 64,
           "\x03"
           "04a,5",
           3);
    to_irc(NULL, ",5", 64, ",5", 2);
    /* one line per call: LF ends it (consumed) */
    to_irc("#ff0000", "one\ntwo", 64,
           "\x03"
           "04one",
           4);
    to_irc(NULL, "\nx", 64, "", 1);
    /* truncation: cap counts the NUL; UTF-8 sequences are never split */
    to_irc(NULL, "abcdef", 4, "abc", 3);
    to_irc("#ff0000", "abcdef", 9,
           "\x03"
           "04abcde",
           5);
    to_irc("#ff0000", "abcdef", 8,
           "\x03"
           "04abcd",
           4);
    to_irc("#ff0000", ",5", 8,
           "\x03"
           "04\x02\x02,5",
           2);                             /* the guard fits too */
    to_irc(NULL, "a\xc3\xa9z", 3, "a", 1); /* é (2 bytes) does not fit in 1 */
    to_irc(NULL, "a\xc3\xa9z", 4, "a\xc3\xa9", 3);
    to_irc(NULL, "\xe2\x82\xac\xe2\x82\xac", 6, "\xe2\x82\xac", 3); /* € */
    /* below 8 bytes no prefix, so every call with cap >= 5 makes progress */
    to_irc("#ff0000", "abcdef", 7, "abcdef", 6);
    to_irc("#ff0000", "x", 3, "x", 1);
    to_irc("#ff0000", "\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80", 4);
    to_irc(NULL, "abc", 1, "", 0);
    to_irc(NULL,
           "\xc8\x02"
           "b",
           64,
           "\xc8"
           "b",
           3); /* a stray byte swallows nothing */
    /* a stray or cut-off sequence is copied as far as it goes */
    to_irc(NULL, "a\xe2\x82", 64, "a\xe2\x82", 3);
    to_irc(NULL,
           "\xff"
           "b",
           64,
           "\xff"
           "b",
           2);
    char out[8];
    assert_int_equal(irccolour_to_irc(NULL, "abc", 3, out, sizeof out, NULL), 3);
}

/* One strip call: checks the exact text and the first foreground. */
static void strip(const char *in, size_t len, size_t cap, const char *want, const char *want_fg)
{
    char out[256], fg[IRCCOLOUR_HEX_LEN] = "junk";
    assert_true(cap <= sizeof out);
    size_t n = irccolour_strip(in, len, out, cap, fg);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n + 1);
    assert_string_equal(fg, want_fg);
}

#define S(in, want, fg) strip(in, sizeof(in) - 1, 256, want, fg)

static void test_strip(void **state)
{
    S("plain text", "plain text", "");
    S("\x02"
      "bold\x02 \x1d"
      "it\x1d \x1f"
      "un\x1f \x1e"
      "st\x1e \x11"
      "mo\x11 \x16"
      "rv\x16",
      "bold it un st mo rv", "");
    S("\x03"
      "4red",
      "red", "#ff0000");
    S("\x03"
      "04red",
      "red", "#ff0000");
    S("\x03"
      "045 apples",
      "5 apples", "#ff0000"); /* two digits at most */
    S("\x03"
      "4,12on blue",
      "on blue", "#ff0000");
    S("\x03"
      "04,1,2",
      ",2", "#ff0000"); /* one background, then text */
    S("\x03"
      ",12comma",
      ",12comma", ""); /* no foreground: \x03 resets, rest is text */
    S("\x03"
      "4,x",
      ",x", "#ff0000"); /* a comma without a digit is text */
    S("\x03"
      "52x",
      "x", "#ff0000"); /* extended palette */
    S("\x03"
      "99x",
      "x", ""); /* 99: default */
    S("\x03"
      "4a\x03"
      "b",
      "ab", "#ff0000"); /* bare \x03 ends the colour */
    S("a\x03"
      "4b",
      "ab", ""); /* the first visible char decides */
    S("\x03"
      "4\x0f"
      "x",
      "x", ""); /* reset */
    S("\x03"
      "3\x03"
      "12x",
      "x", "#0000fc"); /* the one in effect */
    S("\x04"
      "FF8800hex",
      "hex", "#ff8800");
    S("\x04"
      "ff8800,000000on black",
      "on black", "#ff8800");
    S("\x04"
      "ff8800,00000x",
      ",00000x", "#ff8800"); /* a short background is text */
    S("\x04"
      "ff88",
      "ff88", ""); /* malformed hex: a reset, text stays */
    S("\x04"
      "zz8800x",
      "zz8800x", "");
    S("\x02\x03\x1f", "", ""); /* only codes */
    S("", "", "");
    /* cut off at the end of the input */
    S("x\x03", "x", "");
    S("x\x03"
      "1",
      "x", "");
    S("x\x03"
      "1,",
      "x,", "");
    S("x\x04"
      "ff",
      "xff", "");
    /* truncation to cap, at a UTF-8 boundary */
    strip("\x03"
          "4h\xc3\xa9llo",
          9, 3, "h", "#ff0000");
    strip("\x03"
          "4h\xc3\xa9llo",
          9, 4, "h\xc3\xa9", "#ff0000");
    strip("abc", 3, 1, "", "");
    /* a stray lead byte does not swallow the code after it (found by fuzz/fuzz_irccolour.c) */
    strip("\xc8\x11"
          "x",
          3, 256,
          "\xc8"
          "x",
          "");
    strip("\xe2\x82\x03"
          "4x",
          5, 256,
          "\xe2\x82"
          "x",
          ""); /* the stray bytes come first */
    /* a NULL fg is fine */
    char out[16];
    assert_int_equal(irccolour_strip("\x03"
                                     "4ab",
                                     4, out, sizeof out, NULL),
                     2);
    assert_string_equal(out, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_to_irc),
        cmocka_unit_test(test_strip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
