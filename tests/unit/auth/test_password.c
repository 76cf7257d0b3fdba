/* Unit tests for src/auth/password: the rules, argon2id hash and verify (MIN limits, so fast), and
 * the asynchronous forms reporting on the loop thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "auth/password.h"

static void test_rules(void **state)
{
    assert_int_equal(password_check("1234567", 7), -EINVAL);
    assert_int_equal(password_check("12345678", 8), 0);
    char big[PASSWORD_MAX + 2];
    memset(big, 'a', sizeof big);
    assert_int_equal(password_check(big, PASSWORD_MAX), 0);
    assert_int_equal(password_check(big, PASSWORD_MAX + 1), -EINVAL);
    assert_int_equal(password_check("abcd\0efgh", 9), -EINVAL);
    assert_int_equal(password_check("abcdefg\xff", 8), -EILSEQ);
    assert_int_equal(password_check("p\xc3\xa4ssw\xc3\xb6rd", 10), 0); /* UTF-8 */
}

static void test_hash_verify_sync(void **state)
{
    char h[PASSWORD_HASH_MAX];
    bool rehash = true;
    assert_int_equal(password_hash_sync(PASSWORD_LIMITS_MIN, "correct horse", 13, h), 0);
    assert_true(strncmp(h, "$argon2id$", 10) == 0);
    assert_int_equal(password_verify_sync(PASSWORD_LIMITS_MIN, h, "correct horse", 13, &rehash), 0);
    assert_false(rehash);
    assert_int_equal(password_verify_sync(PASSWORD_LIMITS_MIN, h, "correct horsf", 13, NULL),
                     -EACCES);
    assert_int_equal(
        password_verify_sync(PASSWORD_LIMITS_INTERACTIVE, h, "correct horse", 13, &rehash), 0);
    assert_true(rehash); /* made with other limits */
    assert_int_equal(password_verify_sync(PASSWORD_LIMITS_MIN, "garbage", "x", 1, NULL), -EACCES);
    assert_int_equal(password_hash_sync(PASSWORD_LIMITS_MIN, "short", 5, h), -EINVAL);
}

typedef struct res {
    int calls;
    int status;
    bool rehash;
    char hash[PASSWORD_HASH_MAX];
} res_t;

static void on_hash(void *ud, int status, const char *hash)
{
    res_t *r = ud;
    r->calls++;
    r->status = status;
    if (hash)
        strcpy(r->hash, hash);
}

static void on_verify(void *ud, int status, bool rehash)
{
    res_t *r = ud;
    r->calls++;
    r->status = status;
    r->rehash = rehash;
}

static void test_async(void **state)
{
    uv_loop_t loop;
    workq_t *q;
    res_t h = {0}, good = {0}, bad = {0};
    uv_loop_init(&loop);
    assert_int_equal(workq_new(&loop, &q), 0);
    assert_int_equal(password_hash(q, PASSWORD_LIMITS_MIN, "s3cret-pass", 11, on_hash, &h), 0);
    assert_int_equal(h.calls, 0);
    assert_int_equal(password_hash(q, PASSWORD_LIMITS_MIN, "short", 5, on_hash, &h), -EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.status, 0);
    assert_int_equal(
        password_verify(q, PASSWORD_LIMITS_MIN, h.hash, "s3cret-pass", 11, on_verify, &good), 0);
    assert_int_equal(
        password_verify(q, PASSWORD_LIMITS_MIN, h.hash, "s3cret-pasS", 11, on_verify, &bad), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(good.calls, 1);
    assert_int_equal(good.status, 0);
    assert_int_equal(bad.calls, 1);
    assert_int_equal(bad.status, -EACCES);

    /* Stopping the queue reports what it did not run as cancelled. */
    res_t c = {0};
    assert_int_equal(password_hash(q, PASSWORD_LIMITS_MIN, "s3cret-pass", 11, on_hash, &c), 0);
    assert_int_equal(password_hash(q, PASSWORD_LIMITS_MIN, "s3cret-pass", 11, on_hash, &c), 0);
    workq_free(q, false);
    assert_int_equal(c.calls, 2);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_random(void **state)
{
    char a[17], b[17];
    password_random(a, sizeof a);
    password_random(b, sizeof b);
    assert_int_equal(strlen(a), 16);
    assert_string_not_equal(a, b);
    assert_int_equal(password_check(a, strlen(a)), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_hash_verify_sync),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
