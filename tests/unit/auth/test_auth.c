/* Unit tests for src/auth/auth: the accounts service over a real temporary store and loop (no
 * mailer): registration checks, login and tokens, password change and revocation, validation by
 * code, the brute-force refusal, shutdown with operations pending, the banned list, sysops, SCRAM
 * credentials derived at registration, login, password change and sysop creation (checked with a
 * real SCRAM exchange), the password check for SASL PLAIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/auth.h"
#include "auth/scram.h"

typedef struct fx {
    char dir[64];
    uv_loop_t loop;
    store_t *st;
    mail_template_t tmpl;
    auth_t *a;
    /* the last report */
    int calls;
    int status;
    int retry;
    char token[AUTH_TOKEN_LEN + 1];
    char name[64];
    int cls;
    int changed;
    char reply[128]; /* auth_scram_final's */
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    char err[128];
    snprintf(f->dir, sizeof f->dir, "/tmp/parley-auth-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    uv_loop_init(&f->loop);
    store_options_t opt = {.dir = f->dir};
    if (store_open(&f->loop, &opt, &f->st) < 0 ||
        mail_template_init(&f->tmpl, NULL, err, sizeof err) < 0)
        return -1;
    auth_config_t cfg = {.hash_limits = PASSWORD_LIMITS_MIN,
                         .session_days = 30,
                         .validation_hours = 48,
                         .public_url = "http://chat.test/",
                         .tmpl = &f->tmpl,
                         .login_free_failures = 1,
                         .login_delay_ms = 5,
                         .login_max_delay_ms = 10,
                         .login_max_failures = 3,
                         .login_window_s = 60};
    if (auth_new(&f->loop, f->st, NULL, &cfg, &f->a) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    auth_free(f->a);
    store_close(f->st);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    mail_template_deinit(&f->tmpl);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void on_done(void *ud, int status, const auth_result_t *res)
{
    fx_t *f = ud;
    f->calls++;
    f->status = status;
    f->retry = res->retry_after_s;
    f->token[0] = '\0';
    if (res->token)
        snprintf(f->token, sizeof f->token, "%s", res->token);
    snprintf(f->reply, sizeof f->reply, "%.*s", (int)res->reply_len, res->reply ? res->reply : "");
    if (res->account) {
        snprintf(f->name, sizeof f->name, "%s", res->account->name);
        f->cls = res->account->cls;
    }
}

static void on_changed(void *ud, const store_account_t *acc)
{
    fx_t *f = ud;
    f->changed++;
}

/* Runs the loop until the pending report arrives; returns its status. */
static int wait(fx_t *f)
{
    int before = f->calls;
    while (f->calls == before)
        uv_run(&f->loop, UV_RUN_ONCE);
    return f->status;
}

static int reg(fx_t *f, const char *name, const char *email, const char *pw)
{
    int rc = auth_register(f->a, name, email, pw, strlen(pw), on_done, f);
    return rc < 0 ? rc : wait(f);
}

static int login(fx_t *f, const char *who, const char *pw)
{
    int rc = auth_login(f->a, who, pw, strlen(pw), "10.0.0.1", on_done, f);
    return rc < 0 ? rc : wait(f);
}

static void test_register_and_login(void **state)
{
    fx_t *f = *state;
    assert_int_equal(reg(f, "Alice", "Alice@Example.org", "password1"), 0);
    assert_string_equal(f->name, "Alice");
    assert_int_equal(f->cls, 1);
    assert_int_equal(reg(f, "ALICE", "b@example.org", "password1"), AUTH_ENAMETAKEN);
    assert_int_equal(reg(f, "bob", "alice@example.ORG", "password1"), AUTH_EEMAILTAKEN);
    assert_int_equal(reg(f, "b", "b@example.org", "password1"), AUTH_ENICKINVALID);
    assert_int_equal(reg(f, "guest", "b@example.org", "password1"), AUTH_ENICKRESERVED);
    assert_int_equal(reg(f, "bob", "b@example.org", "pw"), AUTH_EWEAKPW);
    assert_int_equal(reg(f, "bob", "b at example.org", "password1"), AUTH_EBADEMAIL);
    assert_true(auth_name_is_account(f->a, "aLiCe"));
    assert_false(auth_name_is_account(f->a, "bob"));

    assert_int_equal(login(f, "alice", "password1"), 0);
    assert_int_equal(strlen(f->token), AUTH_TOKEN_LEN);
    char token[AUTH_TOKEN_LEN + 1];
    strcpy(token, f->token);
    store_account_t acc;
    assert_int_equal(auth_token_account(f->a, token, &acc), 0);
    assert_string_equal(acc.name, "Alice");
    store_account_deinit(&acc);
    assert_int_equal(login(f, "ALICE@example.org", "password1"), 0);
    assert_int_equal(login(f, "alice", "password2"), AUTH_EUNAUTHORIZED);
    assert_int_equal(login(f, "nobody", "password1"), AUTH_EUNAUTHORIZED);
    assert_int_equal(auth_login(f->a, "", "x", 1, "1", on_done, f), AUTH_EBADREQ);

    assert_int_equal(auth_logout(f->a, token), 0);
    assert_int_equal(auth_token_account(f->a, token, &acc), AUTH_EUNAUTHORIZED);
    assert_int_equal(auth_logout(f->a, token), AUTH_EUNAUTHORIZED);
    assert_int_equal(auth_token_account(f->a, "short", &acc), AUTH_EUNAUTHORIZED);
}

static void test_password_change_revokes_others(void **state)
{
    fx_t *f = *state;
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
    store_account_t acc;
    assert_int_equal(reg(f, "carol", "c@example.org", "password1"), 0);
    assert_int_equal(login(f, "carol", "password1"), 0);
    strcpy(t1, f->token);
    assert_int_equal(login(f, "carol", "password1"), 0);
    strcpy(t2, f->token);
    assert_int_equal(auth_password(f->a, t1, "password1", 9, "x", 1, on_done, f), AUTH_EWEAKPW);
    assert_int_equal(auth_password(f->a, t1, "wrong-one", 9, "password2", 9, on_done, f), 0);
    assert_int_equal(wait(f), AUTH_EUNAUTHORIZED);
    assert_int_equal(auth_password(f->a, t1, "password1", 9, "password2", 9, on_done, f), 0);
    assert_int_equal(wait(f), 0);
    assert_int_equal(auth_token_account(f->a, t1, &acc), 0);
    store_account_deinit(&acc);
    assert_int_equal(auth_token_account(f->a, t2, &acc), AUTH_EUNAUTHORIZED);
    assert_int_equal(login(f, "carol", "password2"), 0);
}

static void test_validate_by_code(void **state)
{
    fx_t *f = *state;
    store_account_t acc;
    char code[8], wrong[8];
    int64_t expires;
    auth_set_changed(f->a, on_changed, f);
    assert_int_equal(reg(f, "dave", "d@example.org", "password1"), 0);
    assert_int_equal(login(f, "dave", "password1"), 0);
    assert_int_equal(auth_token_account(f->a, f->token, &acc), 0);
    assert_int_equal(store_validation_get(f->st, acc.id, code, &expires), 0);
    store_account_deinit(&acc);
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    assert_int_equal(auth_validate_code(f->a, f->token, wrong, NULL), AUTH_EBADCODE);
    assert_int_equal(auth_validate_code(f->a, f->token, code, &acc), 0);
    assert_int_equal(acc.cls, 2);
    store_account_deinit(&acc);
    assert_int_equal(f->changed, 1);
    assert_int_equal(auth_validate_code(f->a, f->token, code, NULL), AUTH_EVALIDATED);
    assert_int_equal(auth_resend(f->a, f->token), AUTH_EVALIDATED);
    assert_int_equal(auth_validate_link(f->a, "nonsense", NULL), AUTH_EBADCODE);
}

static void test_brute_force_refusal(void **state)
{
    fx_t *f = *state;
    assert_int_equal(reg(f, "erin", "e@example.org", "password1"), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(f, "erin", "password0"), AUTH_EUNAUTHORIZED);
    assert_int_equal(login(f, "erin", "password1"), AUTH_ETOOMANY);
    assert_true(f->retry >= 1 && f->retry <= 60);
}

static void test_free_with_operations_pending(void **state)
{
    fx_t *f = *state;
    assert_int_equal(reg(f, "fred", "f@example.org", "password1"), 0);
    f->calls = 0;
    assert_int_equal(auth_login(f->a, "fred", "password1", 9, "1", on_done, f), 0);
    assert_int_equal(auth_register(f->a, "gina", "g@example.org", "password1", 9, on_done, f), 0);
    auth_free(f->a);
    f->a = NULL;
    assert_int_equal(f->calls, 2); /* both reported, with AUTH_ECLOSED */
    assert_int_equal(f->status, AUTH_ECLOSED);
}

static void collect(void *ud, const char *p)
{
    char *out = ud;
    strcat(out, p);
    strcat(out, " ");
}

static void test_banned_and_sysops(void **state)
{
    fx_t *f = *state;
    char list[256] = "";
    assert_int_equal(auth_ban(f->a, "Spam.Example"), 0);
    assert_int_equal(auth_ban(f->a, "bad@example.com"), 0);
    assert_int_equal(auth_ban(f->a, "spam.example"), AUTH_EEXIST);
    assert_int_equal(auth_ban(f->a, "not valid"), AUTH_EBADREQ);
    assert_int_equal(auth_ban(f->a, ".lead"), AUTH_EBADREQ);
    assert_true(auth_email_banned(f->a, "x@a.b.SPAM.example"));
    assert_true(auth_email_banned(f->a, "Bad@Example.com"));
    assert_false(auth_email_banned(f->a, "good@example.com"));
    assert_false(auth_email_banned(f->a, "x@notspam.example"));
    assert_int_equal(reg(f, "hank", "h@spam.example", "password1"), AUTH_EBANNED);
    assert_int_equal(auth_banned(f->a, collect, list), 0);
    assert_string_equal(list, "bad@example.com spam.example ");
    assert_int_equal(auth_unban(f->a, "spam.example"), 0);
    assert_int_equal(auth_unban(f->a, "spam.example"), AUTH_ENOTFOUND);

    int64_t n = -1;
    assert_int_equal(auth_bootstrap(f->a), 0);
    assert_int_equal(store_account_sysops(f->st, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(auth_bootstrap(f->a), 0); /* once only */
    assert_int_equal(store_account_sysops(f->st, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(auth_create_sysop(f->a, "Boss", "boss password"), 0);
    assert_int_equal(login(f, "boss", "boss password"), 0);
    assert_int_equal(auth_create_sysop(f->a, "1x", "boss password"), AUTH_ENICKINVALID);
    assert_int_equal(auth_create_sysop(f->a, "Other", "short"), AUTH_EWEAKPW);
}

/* A hash made with other limits verifies, and is renewed with the configured ones after login. */
static void test_rehash_after_login(void **state)
{
    fx_t *f = *state;
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash_sync(PASSWORD_LIMITS_INTERACTIVE, "password1", 9, hash), 0);
    store_account_t acc = {.name = "Old", .fold = "old", .pwhash = hash, .cls = 2, .created_ms = 1};
    assert_int_equal(store_account_add(f->st, &acc), 0);
    assert_int_equal(login(f, "old", "password1"), 0);
    store_account_t now;
    do { /* the renewal runs after the answer, on the same queue */
        uv_run(&f->loop, UV_RUN_ONCE);
        assert_int_equal(store_account_by_id(f->st, acc.id, &now), 0);
        bool same = strcmp(now.pwhash, hash) == 0;
        store_account_deinit(&now);
        if (!same)
            break;
    } while (true);
    assert_int_equal(login(f, "old", "password1"), 0);
    assert_int_equal(login(f, "old", "password2"), AUTH_EUNAUTHORIZED);
}

/* An expired token is refused and deleted. */
static void test_expired_token(void **state)
{
    fx_t *f = *state;
    store_account_t acc;
    assert_int_equal(reg(f, "ivy", "i@example.org", "password1"), 0);
    assert_int_equal(login(f, "ivy", "password1"), 0);
    assert_int_equal(auth_token_account(f->a, f->token, &acc), 0);
    /* A second token for the account, expired a second ago (as the store would hold it). */
    const char *old = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    uint8_t hash[STORE_HASH_LEN];
    int64_t account, expires;
    crypto_hash_sha256(hash, (const unsigned char *)old, strlen(old));
    int64_t now = (int64_t)time(NULL) * 1000;
    assert_int_equal(store_token_add(f->st, hash, acc.id, now - 5000, now - 1000), 0);
    store_account_deinit(&acc);
    assert_int_equal(auth_token_account(f->a, old, &acc), AUTH_EUNAUTHORIZED);
    assert_int_equal(store_token_get(f->st, hash, &account, &expires), STORE_ENOTFOUND);
    assert_int_equal(auth_token_account(f->a, f->token, &acc), 0); /* the live one still works */
    store_account_deinit(&acc);
}

/* ---- SCRAM credentials ---- */

/* Runs the loop until every queued job (the SCRAM derivations) has reported. */
static void settle(fx_t *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

static int scram_lookup(void *ud, const char *user, store_scram_t *out)
{
    return auth_scram_credentials(ud, user, out);
}

static void hmac256(const uint8_t *key, size_t klen, const char *msg, size_t mlen, uint8_t *out)
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &n);
}

/* A whole SCRAM-SHA-256 exchange as a client with user and pw against the accounts service, the
 * last step with scram_server_step (throttled false: its return code) or auth_scram_final (its
 * status). 0: authenticated, and the server's signature checked. */
static int scram_exchange(fx_t *f, const char *user, const char *pw, bool throttled)
{
    char cfirst[128], cfinal[512], *sfirst, *sfinal, am[1024], proof64[64], salt64[64];
    size_t n, saltlen;
    uint8_t salt[32], salted[32], ckey[32], skey[32], stored[32], sig[32], proof[32];
    unsigned iter;
    scram_server_t *s = scram_server_new(scram_lookup, f->a, auth_scram_iterations(f->a));
    snprintf(cfirst, sizeof cfirst, "n,,n=%s,r=clientnonce", user);
    int rc = scram_server_step(s, cfirst, strlen(cfirst), &sfirst, &n);
    assert_int_equal(rc, SCRAM_CONTINUE);
    char nonce[128];
    assert_int_equal(sscanf(sfirst, "r=%127[^,],s=%63[^,],i=%u", nonce, salt64, &iter), 3);
    assert_int_equal(sodium_base642bin(salt, sizeof salt, salt64, strlen(salt64), NULL, &saltlen,
                                       NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, (int)saltlen, (int)iter, EVP_sha256(), 32, salted);
    hmac256(salted, 32, "Client Key", 10, ckey);
    hmac256(salted, 32, "Server Key", 10, skey);
    SHA256(ckey, 32, stored);
    snprintf(am, sizeof am, "%s,%s,c=biws,r=%s", cfirst + 3, sfirst, nonce);
    hmac256(stored, 32, am, strlen(am), sig);
    for (int i = 0; i < 32; i++)
        proof[i] = ckey[i] ^ sig[i];
    sodium_bin2base64(proof64, sizeof proof64, proof, 32, sodium_base64_VARIANT_ORIGINAL);
    snprintf(cfinal, sizeof cfinal, "c=biws,r=%s,p=%s", nonce, proof64);
    if (throttled) {
        assert_int_equal(auth_scram_final(f->a, s, cfinal, strlen(cfinal), "10.0.0.3", on_done, f),
                         0);
        rc = wait(f);
        sfinal = strdup(f->reply);
    } else {
        rc = scram_server_step(s, cfinal, strlen(cfinal), &sfinal, &n);
    }
    if (rc == 0) {
        char want[64];
        hmac256(skey, 32, am, strlen(am), sig);
        assert_true(strncmp(sfinal, "v=", 2) == 0);
        sodium_bin2base64(want, sizeof want, sig, 32, sodium_base64_VARIANT_ORIGINAL);
        assert_string_equal(sfinal + 2, want);
        assert_string_equal(scram_server_user(s), user);
    }
    free(sfirst);
    free(sfinal);
    scram_server_free(s);
    return rc;
}

static int scram_login(fx_t *f, const char *user, const char *pw)
{
    return scram_exchange(f, user, pw, false);
}

/* auth_scram_final: the reply on success and failure, the brute-force count, a bad call. */
static void test_scram_final(void **state)
{
    fx_t *f = *state;
    assert_int_equal(reg(f, "Una", "u@example.org", "password1"), 0);
    settle(f);
    assert_int_equal(scram_exchange(f, "una", "password1", true), 0);
    assert_string_equal(f->name, "Una");
    assert_int_equal(scram_exchange(f, "una", "password2", true), AUTH_EUNAUTHORIZED);
    assert_string_equal(f->reply, "e=invalid-proof");
    assert_int_equal(scram_exchange(f, "nobody", "password1", true), AUTH_EUNAUTHORIZED);
    assert_string_equal(f->reply, "e=invalid-proof");
    /* 3 failures from the address (login_max_failures): refused, no reply */
    assert_int_equal(scram_exchange(f, "una", "password2", true), AUTH_EUNAUTHORIZED);
    assert_int_equal(scram_exchange(f, "una", "password1", true), AUTH_ETOOMANY);
    assert_string_equal(f->reply, "");
    assert_true(f->retry > 0);
    auth_stats_t st;
    auth_get_stats(f->a, &st);
    assert_int_equal(st.logins, 1);
    assert_int_equal(st.login_failures, 3);
    assert_int_equal(st.login_refused, 1);
    /* before the first step: refused at once */
    scram_server_t *s = scram_server_new(scram_lookup, f->a, 4096);
    assert_int_equal(auth_scram_final(f->a, s, "c=biws", 6, "1", on_done, f), AUTH_EBADREQ);
    assert_int_equal(auth_scram_final(f->a, NULL, "c=biws", 6, "1", on_done, f), AUTH_EBADREQ);
    scram_server_free(s);
}

static int check(fx_t *f, const char *who, const char *pw)
{
    int rc = auth_check_password(f->a, who, pw, strlen(pw), "10.0.0.2", on_done, f);
    return rc < 0 ? rc : wait(f);
}

static void test_scram_credentials(void **state)
{
    fx_t *f = *state;
    store_scram_t k;
    /* registration derives them (after the answer, on the hashing queue) */
    assert_int_equal(reg(f, "Sam", "sam@example.org", "pencil pencil"), 0);
    settle(f);
    assert_int_equal(auth_scram_credentials(f->a, "SAM", &k), 0);
    assert_int_equal(k.iterations, 4096);
    assert_int_equal(k.salt_len, SCRAM_SALT_LEN);
    assert_int_equal(scram_login(f, "Sam", "pencil pencil"), 0);
    assert_int_equal(scram_login(f, "sam", "pencil pencil"), 0); /* any spelling */
    assert_int_equal(scram_login(f, "Sam", "pencil pencil2"), SCRAM_EPROOF);
    assert_int_equal(scram_login(f, "nobody", "pencil pencil"), SCRAM_EUNKNOWNUSER);
    assert_int_equal(auth_scram_credentials(f->a, "nobody", &k), AUTH_ENOTFOUND);

    /* an account from before SCRAM gets them at its next login */
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash_sync(PASSWORD_LIMITS_MIN, "password1", 9, hash), 0);
    store_account_t acc = {.name = "Old", .fold = "old", .pwhash = hash, .cls = 2, .created_ms = 1};
    assert_int_equal(store_account_add(f->st, &acc), 0);
    assert_int_equal(auth_scram_credentials(f->a, "old", &k), AUTH_ENOTFOUND);
    assert_int_equal(scram_login(f, "old", "password1"), SCRAM_EUNKNOWNUSER);
    assert_int_equal(login(f, "old", "password2"), AUTH_EUNAUTHORIZED);
    settle(f);
    assert_int_equal(auth_scram_credentials(f->a, "old", &k), AUTH_ENOTFOUND);
    assert_int_equal(login(f, "old", "password1"), 0);
    settle(f);
    assert_int_equal(scram_login(f, "Old", "password1"), 0);

    /* a password change replaces them */
    char token[AUTH_TOKEN_LEN + 1];
    strcpy(token, f->token);
    assert_int_equal(auth_password(f->a, token, "password1", 9, "password2", 9, on_done, f), 0);
    assert_int_equal(wait(f), 0);
    settle(f);
    assert_int_equal(scram_login(f, "Old", "password1"), SCRAM_EPROOF);
    assert_int_equal(scram_login(f, "Old", "password2"), 0);

    /* a sysop's creation (synchronous) and the bootstrap sysop */
    assert_int_equal(auth_create_sysop(f->a, "Boss", "boss password"), 0);
    assert_int_equal(scram_login(f, "Boss", "boss password"), 0);
    assert_int_equal(auth_create_sysop(f->a, "Boss", "new boss password"), 0);
    assert_int_equal(scram_login(f, "Boss", "boss password"), SCRAM_EPROOF);
    assert_int_equal(scram_login(f, "Boss", "new boss password"), 0);
    assert_int_equal(auth_bootstrap(f->a), 0); /* a sysop exists: nothing */
}

static void test_scram_iterations_config(void **state)
{
    fx_t *f = *state;
    store_scram_t k;
    auth_free(f->a);
    auth_config_t cfg = {.hash_limits = PASSWORD_LIMITS_MIN,
                         .session_days = 30,
                         .validation_hours = 48,
                         .tmpl = &f->tmpl,
                         .login_max_failures = 3,
                         .login_window_s = 60,
                         .scram_iterations = 5000};
    assert_int_equal(auth_new(&f->loop, f->st, NULL, &cfg, &f->a), 0);
    assert_int_equal(auth_scram_iterations(f->a), 5000);
    assert_int_equal(reg(f, "Tess", "t@example.org", "password1"), 0);
    settle(f);
    assert_int_equal(auth_scram_credentials(f->a, "tess", &k), 0);
    assert_int_equal(k.iterations, 5000);
    assert_int_equal(scram_login(f, "tess", "password1"), 0);
    /* raised: the next login re-derives them with the new count */
    auth_free(f->a);
    cfg.scram_iterations = 6000;
    assert_int_equal(auth_new(&f->loop, f->st, NULL, &cfg, &f->a), 0);
    assert_int_equal(login(f, "tess", "password1"), 0);
    settle(f);
    assert_int_equal(auth_scram_credentials(f->a, "tess", &k), 0);
    assert_int_equal(k.iterations, 6000);
    /* below the RFC minimum: the minimum */
    auth_free(f->a);
    cfg.scram_iterations = 1;
    assert_int_equal(auth_new(&f->loop, f->st, NULL, &cfg, &f->a), 0);
    assert_int_equal(auth_scram_iterations(f->a), 4096);
}

static void test_check_password(void **state)
{
    fx_t *f = *state;
    assert_int_equal(reg(f, "Pat", "p@example.org", "password1"), 0);
    f->token[0] = 'x';
    assert_int_equal(check(f, "pat", "password1"), 0);
    assert_string_equal(f->name, "Pat");
    assert_string_equal(f->token, ""); /* no session token */
    assert_int_equal(check(f, "p@example.org", "password1"), 0);
    assert_int_equal(check(f, "pat", "password2"), AUTH_EUNAUTHORIZED);
    assert_int_equal(check(f, "nobody", "password1"), AUTH_EUNAUTHORIZED);
    assert_int_equal(auth_check_password(f->a, "", "x", 1, "1", on_done, f), AUTH_EBADREQ);
    /* the same brute-force counts as logins: 3 failures from this address refuse even the right
     * password; the name has 2, so a login from elsewhere still works */
    assert_int_equal(check(f, "pat", "password2"), AUTH_EUNAUTHORIZED);
    assert_int_equal(check(f, "pat", "password1"), AUTH_ETOOMANY);
    assert_int_equal(login(f, "pat", "password1"), 0);
    auth_stats_t st;
    auth_get_stats(f->a, &st);
    assert_int_equal(st.logins, 3);
    assert_int_equal(st.login_failures, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_and_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_change_revokes_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_by_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_brute_force_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_operations_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_banned_and_sysops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehash_after_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scram_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scram_iterations_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scram_final, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
