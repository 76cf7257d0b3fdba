/* Unit tests of the account calls of src/store (SQLite backend) on a fresh temporary directory:
 * accounts (with their SCRAM credentials), tokens, validations, ignore lists, the banned list, and
 * that they survive a reopen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store_fx.h"

typedef struct fx {
    char dir[64];
    uv_loop_t loop;
    store_t *st;
    char got[8][64];
    int ngot;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (store_fx_open("parley-acct", f->dir, &f->loop, &f->st) < 0)
        return -1;
    *state = f;
    return 0;
}

static void reopen(fx_t *f)
{
    store_close(f->st);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    store_options_t opt = {.dir = f->dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
}

static int teardown(void **state)
{
    fx_t *f = *state;
    int rc = store_fx_close(f->dir, &f->loop, f->st);
    free(f);
    return rc;
}

static void collect(void *ud, const char *s)
{
    fx_t *f = ud;
    snprintf(f->got[f->ngot++], 64, "%s", s);
}

static store_account_t alice(void)
{
    return (store_account_t){.name = "Alice",
                             .fold = "alice",
                             .email = "Alice@Example.org",
                             .email_fold = "alice@example.org",
                             .pwhash = "$argon2id$x",
                             .cls = 1,
                             .created_ms = 1000};
}

static void test_accounts(void **state)
{
    fx_t *f = *state;
    store_account_t a = alice(), got;
    assert_int_equal(store_account_add(f->st, &a), 0);
    assert_true(a.id > 0);
    store_account_t dup = alice();
    dup.email_fold = "other@example.org";
    assert_int_equal(store_account_add(f->st, &dup), STORE_EEXIST); /* same fold */
    dup = alice();
    dup.fold = "alice2";
    assert_int_equal(store_account_add(f->st, &dup), STORE_EEXIST); /* same e-mail */
    store_account_t nomail = {.name = "Root",
                              .fold = "root",
                              .pwhash = "h",
                              .cls = 2,
                              .sysop = true,
                              .must_change = true,
                              .created_ms = 5};
    store_account_t nomail2 = {.name = "Boss", .fold = "boss", .pwhash = "h", .cls = 2};
    assert_int_equal(store_account_add(f->st, &nomail), 0);
    assert_int_equal(store_account_add(f->st, &nomail2), 0); /* two without e-mail */

    int64_t n = 0;
    assert_int_equal(store_account_sysops(f->st, &n), 0);
    assert_int_equal(n, 1);

    assert_int_equal(store_account_by_fold(f->st, "alice", &got), 0);
    assert_int_equal(got.id, a.id);
    assert_string_equal(got.name, "Alice");
    assert_string_equal(got.email, "Alice@Example.org");
    assert_int_equal(got.cls, 1);
    assert_false(got.sysop);
    assert_null(got.colour);
    got.cls = 2;
    got.validated_ms = 77;
    free(got.colour);
    got.colour = strdup("#123456");
    assert_int_equal(store_account_update(f->st, &got), 0);
    store_account_deinit(&got);

    reopen(f);
    assert_int_equal(store_account_by_email(f->st, "alice@example.org", &got), 0);
    assert_int_equal(got.cls, 2);
    assert_int_equal(got.validated_ms, 77);
    assert_string_equal(got.colour, "#123456");
    store_account_deinit(&got);
    assert_int_equal(store_account_by_id(f->st, nomail.id, &got), 0);
    assert_true(got.sysop && got.must_change);
    assert_null(got.email);
    store_account_deinit(&got);
    assert_int_equal(store_account_by_fold(f->st, "nobody", &got), STORE_ENOTFOUND);
    got.id = 999;
    assert_int_equal(store_account_update(f->st, &got), STORE_ENOTFOUND);
}

static void test_tokens_and_validations(void **state)
{
    fx_t *f = *state;
    store_account_t a = alice();
    assert_int_equal(store_account_add(f->st, &a), 0);
    uint8_t t1[STORE_HASH_LEN] = {1}, t2[STORE_HASH_LEN] = {2}, t3[STORE_HASH_LEN] = {3};
    int64_t acc, exp;
    assert_int_equal(store_token_add(f->st, t1, a.id, 10, 100), 0);
    assert_int_equal(store_token_add(f->st, t2, a.id, 10, 200), 0);
    assert_int_equal(store_token_add(f->st, t3, a.id, 10, 300), 0);
    assert_int_equal(store_token_get(f->st, t2, &acc, &exp), 0);
    assert_int_equal(acc, a.id);
    assert_int_equal(exp, 200);
    assert_int_equal(store_token_del(f->st, t2), 0);
    assert_int_equal(store_token_del(f->st, t2), STORE_ENOTFOUND);
    assert_int_equal(store_tokens_purge(f->st, 150), 0); /* t1 expired */
    assert_int_equal(store_token_get(f->st, t1, &acc, &exp), STORE_ENOTFOUND);
    assert_int_equal(store_token_add(f->st, t1, a.id, 10, 1000), 0);
    assert_int_equal(store_tokens_del_account(f->st, a.id, t3), 0); /* all but t3 */
    assert_int_equal(store_token_get(f->st, t1, &acc, &exp), STORE_ENOTFOUND);
    assert_int_equal(store_token_get(f->st, t3, &acc, &exp), 0);
    assert_int_equal(store_tokens_del_account(f->st, a.id, NULL), 0);
    assert_int_equal(store_token_get(f->st, t3, &acc, &exp), STORE_ENOTFOUND);

    char code[8];
    assert_int_equal(store_validation_put(f->st, a.id, t1, "123456", 500), 0);
    assert_int_equal(store_validation_put(f->st, a.id, t2, "654321", 600), 0); /* replaces */
    assert_int_equal(store_validation_by_hash(f->st, t1, &acc, &exp), STORE_ENOTFOUND);
    assert_int_equal(store_validation_by_hash(f->st, t2, &acc, &exp), 0);
    assert_int_equal(acc, a.id);
    assert_int_equal(store_validation_get(f->st, a.id, code, &exp), 0);
    assert_string_equal(code, "654321");
    assert_int_equal(exp, 600);
    assert_int_equal(store_validation_del(f->st, a.id), 0);
    assert_int_equal(store_validation_get(f->st, a.id, code, &exp), STORE_ENOTFOUND);
}

static void test_ignores_and_banned(void **state)
{
    fx_t *f = *state;
    store_account_t a = alice();
    bool has = true;
    assert_int_equal(store_account_add(f->st, &a), 0);
    assert_int_equal(store_ignore_put(f->st, a.id, "bob", "Bob"), 0);
    assert_int_equal(store_ignore_put(f->st, a.id, "carol", "Carol"), 0);
    assert_int_equal(store_ignore_put(f->st, a.id, "bob", "BOB"), 0); /* replaces */
    assert_int_equal(store_ignore_del(f->st, a.id, "carol"), 0);
    assert_int_equal(store_ignores_load(f->st, a.id, collect, f), 0);
    assert_int_equal(f->ngot, 1);
    assert_string_equal(f->got[0], "BOB");

    f->ngot = 0;
    assert_int_equal(store_banned_add(f->st, "spam.example"), 0);
    assert_int_equal(store_banned_add(f->st, "bad@example.com"), 0);
    assert_int_equal(store_banned_add(f->st, "spam.example"), STORE_EEXIST);
    assert_int_equal(store_banned_has(f->st, "spam.example", &has), 0);
    assert_true(has);
    assert_int_equal(store_banned_has(f->st, "example.com", &has), 0);
    assert_false(has);
    assert_int_equal(store_banned_load(f->st, collect, f), 0);
    assert_int_equal(f->ngot, 2);
    assert_string_equal(f->got[0], "bad@example.com");
    assert_int_equal(store_banned_del(f->st, "bad@example.com"), 0);
    assert_int_equal(store_banned_del(f->st, "bad@example.com"), STORE_ENOTFOUND);
}

/* SCRAM credentials: none by default, written by add and update, read back after a reopen, and a
 * malformed row (a truncated key written behind the store's back) reads as none. */
static void test_scram_columns(void **state)
{
    fx_t *f = *state;
    store_account_t a = {.name = "Sam", .fold = "sam", .pwhash = "h", .cls = 1, .created_ms = 1};
    store_account_t got;
    assert_int_equal(store_account_add(f->st, &a), 0);
    assert_int_equal(store_account_by_id(f->st, a.id, &got), 0);
    assert_int_equal(got.scram.iterations, 0);
    store_account_deinit(&got);

    store_scram_t k = {.iterations = 4096, .salt_len = 16};
    for (int i = 0; i < 32; i++) {
        k.salt[i % 16] = (uint8_t)i;
        k.stored_key[i] = (uint8_t)(i + 1);
        k.server_key[i] = (uint8_t)(i + 2);
    }
    a.scram = k;
    assert_int_equal(store_account_update(f->st, &a), 0);
    reopen(f);
    assert_int_equal(store_account_by_fold(f->st, "sam", &got), 0);
    assert_int_equal(got.scram.iterations, 4096);
    assert_int_equal(got.scram.salt_len, 16);
    assert_memory_equal(got.scram.salt, k.salt, 16);
    assert_memory_equal(got.scram.stored_key, k.stored_key, 32);
    assert_memory_equal(got.scram.server_key, k.server_key, 32);
    store_account_deinit(&got);

    store_account_t b = {.name = "Bo", .fold = "bo", .pwhash = "h", .cls = 1, .created_ms = 1};
    b.scram = k;
    assert_int_equal(store_account_add(f->st, &b), 0);
    char path[128];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/parley.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE accounts SET scram_stored_key = x'0102' WHERE fold = 'bo'", NULL,
                     NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_account_by_fold(f->st, "bo", &got), 0);
    assert_int_equal(got.scram.iterations, 0);
    store_account_deinit(&got);
    /* clearing them */
    a.scram = (store_scram_t){0};
    assert_int_equal(store_account_update(f->st, &a), 0);
    assert_int_equal(store_account_by_fold(f->st, "sam", &got), 0);
    assert_int_equal(got.scram.iterations, 0);
    store_account_deinit(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_and_validations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignores_and_banned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scram_columns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
