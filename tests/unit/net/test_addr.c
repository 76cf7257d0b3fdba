/* net/addr.c: address and CIDR parsing, list matching, and X-Forwarded-For's right-most untrusted
 * address. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/addr.h"

static const char *fmt(const addr_t *a)
{
    static char s[64];
    addr_format(a, s, sizeof s);
    return s;
}

static void test_parse_forms(void **state)
{
    addr_t a;
    const char *good[][2] = {
        {"192.0.2.1", "192.0.2.1"},       {" 192.0.2.1 ", "192.0.2.1"},
        {"192.0.2.1:8080", "192.0.2.1"},  {"2001:db8::1", "2001:db8::1"},
        {"[2001:db8::1]", "2001:db8::1"}, {"[2001:db8::1]:443", "2001:db8::1"},
        {"::ffff:10.0.0.1", "10.0.0.1"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(addr_parse(good[i][0], strlen(good[i][0]), &a), 0);
        assert_string_equal(fmt(&a), good[i][1]);
    }
    const char *bad[] = {"",     "unknown", "1.2.3",   "1.2.3.4:",       "1.2.3.4:x", "[1.2.3.4]",
                         "[::1", "[::1]x",  "::1]:80", "1.2.3.4:123456", "999.1.1.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(addr_parse(bad[i], strlen(bad[i]), &a), -EINVAL);
    assert_int_equal(addr_parse("1.2.3.4\0junk", 12, &a), -EINVAL); /* no prefix of a NUL */
}

static void test_list(void **state)
{
    addr_list_t l = {0};
    char err[128];
    addr_t a;
    assert_int_equal(addr_list_parse(&l, "127.0.0.1, 10.0.0.0/8 fd00::/8", err, sizeof err), 0);
    assert_int_equal(l.n, 3);
    const char *in[] = {"127.0.0.1", "10.255.1.2", "fd12::3"};
    const char *out[] = {"127.0.0.2", "11.0.0.1", "fe00::1", "::ffff:11.0.0.1"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(addr_parse(in[i], strlen(in[i]), &a), 0);
        assert_true(addr_list_match(&l, &a));
    }
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(addr_parse(out[i], strlen(out[i]), &a), 0);
        assert_false(addr_list_match(&l, &a));
    }
    /* a bad list leaves the old one */
    assert_int_equal(addr_list_parse(&l, "10.0.0.0/33", err, sizeof err), -EINVAL);
    assert_string_equal(err, "'10.0.0.0/33' is not an address or ADDRESS/BITS");
    assert_int_equal(addr_list_parse(&l, "::/129", err, sizeof err), -EINVAL);
    assert_int_equal(addr_list_parse(&l, "10.0.0.1:80", err, sizeof err), -EINVAL);
    assert_int_equal(l.n, 3);
    assert_int_equal(addr_list_parse(&l, "0.0.0.0/0", err, sizeof err), 0);
    assert_int_equal(addr_parse("8.8.8.8", 7, &a), 0);
    assert_true(addr_list_match(&l, &a));
    assert_int_equal(addr_parse("::1", 3, &a), 0);
    assert_false(addr_list_match(&l, &a)); /* an IPv4 block holds no IPv6 address */
    assert_int_equal(addr_list_parse(&l, "", err, sizeof err), 0);
    assert_int_equal(l.n, 0);
    addr_list_deinit(&l);
}

static int xff(const addr_list_t *l, const char *v, char *out)
{
    addr_t a;
    int rc = addr_forwarded_for(l, v, strlen(v), &a);
    if (rc == 0)
        strcpy(out, fmt(&a));
    return rc;
}

static void test_forwarded_for(void **state)
{
    addr_list_t l = {0};
    char err[128], got[64];
    assert_int_equal(addr_list_parse(&l, "10.0.0.0/8, ::1", err, sizeof err), 0);
    assert_int_equal(xff(&l, "203.0.113.5", got), 0);
    assert_string_equal(got, "203.0.113.5");
    assert_int_equal(xff(&l, "192.0.2.1, 203.0.113.5, 10.0.0.7", got), 0);
    assert_string_equal(got, "203.0.113.5"); /* the right-most untrusted, not the forged left */
    assert_int_equal(xff(&l, "10.0.0.1, ::1", got), 0);
    assert_string_equal(got, "10.0.0.1"); /* all trusted: the left-most */
    assert_int_equal(xff(&l, " ,203.0.113.5:1234,, ", got), 0);
    assert_string_equal(got, "203.0.113.5");
    assert_int_equal(xff(&l, "[2001:db8::7]:80", got), 0);
    assert_string_equal(got, "2001:db8::7");
    assert_int_equal(xff(&l, "", got), -ENOENT);
    assert_int_equal(xff(&l, " , ", got), -ENOENT);
    assert_int_equal(xff(&l, "203.0.113.5, unknown", got), -EINVAL);
    assert_int_equal(xff(&l, "unknown, 203.0.113.5", got), 0); /* never consulted */
    addr_list_deinit(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_forwarded_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
