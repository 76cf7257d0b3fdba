/* Unit tests of the moderation word list: normalisation, whole-word matching, phrases, other
 * scripts and bad input. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/wordlist.h"

static bool match(const wordlist_t *wl, const char *text)
{
    return wordlist_match(wl, text, strlen(text));
}

static wordlist_t *list_of(const char *const *words, size_t n)
{
    wordlist_t *wl = wordlist_new();
    for (size_t i = 0; i < n; i++)
        assert_int_equal(wordlist_add(wl, words[i]), 0);
    return wl;
}

static void test_whole_word(void **state)
{
    const char *words[] = {"darn"};
    wordlist_t *wl = list_of(words, 1);
    const char *yes[] = {
        "darn",
        "DARN!",
        "oh, Darn.",
        "\xef\xbc\xa4\xef\xbc\xa1\xef\xbc\xb2\xef\xbc\xae", /* ＤＡＲＮ, fullwidth */
        "well darn",
        "darn-it",
        "(darn)",
        "1 darn 2",
        "\"darn\"",
        "darn\n",
        "x\tdarn",
        "da\xe2\x80\x8brn", /* a zero-width space is ignored, not a separator */
        "da\xc2\xadrn",     /* so is a soft hyphen */
        "😀darn",            /* a symbol separates */
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!match(wl, yes[i]))
            fail_msg("should match: %s", yes[i]);
    }
    const char *no[] = {
        "",
        "darned",
        "undarn",
        "darnation",
        "d a r n",
        "dar n",
        "darn_it",
        "d\xc3\xa1rn",
        /* dárn */ "darn2",
        "2darn",
        "dam",
        "hello there",
        "da\xcc\x81rn" /* d + a + combining acute: dárn, composed */,
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (match(wl, no[i]))
            fail_msg("should not match: %s", no[i]);
    }
    assert_int_equal(wordlist_count(wl), 1);
    wordlist_free(wl);
}

static void test_normalised_entries(void **state)
{
    wordlist_t *wl = wordlist_new();
    assert_int_equal(wordlist_add(wl, "  DaRn  "), 0);
    assert_int_equal(wordlist_add(wl, "darn"), 0); /* a repeat */
    assert_int_equal(wordlist_add(wl, "\xef\xbd\x84\xef\xbd\x81\xef\xbd\x92\xef\xbd\x8e"), 0);
    assert_int_equal(wordlist_count(wl), 1);
    assert_int_equal(wordlist_add(wl, ""), 0); /* ignored */
    assert_int_equal(wordlist_add(wl, " !? "), 0);
    assert_int_equal(wordlist_count(wl), 1);
    assert_int_equal(wordlist_add(wl, "bad\xff"), -EINVAL);
    assert_int_equal(wordlist_add(wl, "\xc3\x28"), -EINVAL);
    assert_int_equal(wordlist_count(wl), 1);
    assert_true(match(wl, "Darn"));
    /* The German sharp s folds to "ss". */
    assert_int_equal(wordlist_add(wl, "STRASSE"), 0);
    assert_true(match(wl, "die Stra\xc3\x9f"
                          "e!"));
    /* The ligature ﬁ is compatibility-decomposed to "fi". */
    assert_int_equal(wordlist_add(wl, "fish"), 0);
    assert_true(match(wl, "\xef\xac\x81sh"));
    wordlist_free(wl);
}

static void test_other_scripts(void **state)
{
    const char *words[] = {"\xd0\xb4\xd1\x83\xd1\x80\xd0\xb0\xd0\xba", /* дурак */
                           "\xce\xb2\xce\xbb\xce\xac\xce\xba\xce\xb1\xcf\x82" /* βλάκας */};
    wordlist_t *wl = list_of(words, 2);
    /* Ты ДУРАК! */
    assert_true(match(wl, "\xd0\xa2\xd1\x8b \xd0\x94\xd0\xa3\xd0\xa0\xd0\x90\xd0\x9a!"));
    /* дураки (plural) is another word */
    assert_false(match(wl, "\xd0\xb4\xd1\x83\xd1\x80\xd0\xb0\xd0\xba\xd0\xb8"));
    /* ΒΛΆΚΑΣ: final sigma and capital sigma fold alike */
    assert_true(match(wl, "\xce\x92\xce\x9b\xce\x86\xce\x9a\xce\x91\xce\xa3."));
    wordlist_free(wl);
}

static void test_phrases(void **state)
{
    const char *words[] = {"darn it", "heck"};
    wordlist_t *wl = list_of(words, 2);
    assert_int_equal(wordlist_count(wl), 2);
    assert_true(match(wl, "oh DARN   it!"));
    assert_true(match(wl, "darn-it"));
    assert_true(match(wl, "x heck y"));
    assert_false(match(wl, "darn"));
    assert_false(match(wl, "it darn"));
    assert_false(match(wl, "darn items"));
    assert_false(match(wl, "darn"));
    wordlist_free(wl);
}

static void test_bad_input(void **state)
{
    const char *words[] = {"darn"};
    wordlist_t *wl = list_of(words, 1);
    /* Invalid bytes separate words; they do not hide the rest of the text. */
    assert_true(match(wl, "\xff"
                          "darn"));
    assert_true(match(wl, "darn\xc3"));
    assert_true(match(wl, "\xe2\x82 darn \xf0\x9f"));
    assert_false(match(wl, "\xff\xfe\xfd"));
    assert_false(match(wl, "dar\xffn"));
    /* Embedded NUL is a separator; the length is what counts. */
    assert_true(wordlist_match(wl, "a\0darn", 6));
    assert_false(wordlist_match(wl, "darn", 3));
    assert_false(wordlist_match(wl, NULL, 0));
    assert_false(wordlist_match(wl, "darn", 0));
    wordlist_free(wl);
}

static void test_empty_and_null(void **state)
{
    wordlist_t *wl = wordlist_new();
    assert_false(match(wl, "anything at all"));
    assert_int_equal(wordlist_count(wl), 0);
    wordlist_free(wl);
    wordlist_free(NULL);
    assert_false(wordlist_match(NULL, "darn", 4));
    assert_int_equal(wordlist_count(NULL), 0);
}

static void test_many_words(void **state)
{
    wordlist_t *wl = wordlist_new();
    char w[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(w, sizeof(w), "word%d", i);
        assert_int_equal(wordlist_add(wl, w), 0);
    }
    assert_int_equal(wordlist_count(wl), 1000);
    assert_true(match(wl, "this is WORD999."));
    assert_false(match(wl, "this is word1000"));
    /* A long text of many words. */
    char text[4001];
    for (int i = 0; i < 4000; i++)
        text[i] = i % 5 == 4 ? ' ' : 'a';
    text[4000] = '\0';
    assert_false(match(wl, text));
    memcpy(text + 3995, "word7", 5);
    assert_true(match(wl, text));
    wordlist_free(wl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_word),    cmocka_unit_test(test_normalised_entries),
        cmocka_unit_test(test_other_scripts), cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_many_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
