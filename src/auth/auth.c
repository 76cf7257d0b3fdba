/* The accounts service (see auth.h).
 *
 * Asynchronous operations are op_t objects linked in auth.ops until they report: a register waits
 * for the hash; a login first waits out its brute-force delay on a uv_timer (also used, with 0 ms,
 * to report a refusal later rather than from inside the call), then for the verify; a password
 * change verifies the old password, then hashes the new one. An op reports exactly once through
 * op_finish(), which unlinks it and frees it (after its timer's close callback if it has one).
 * auth_free() stops the hashing queue first (cancelled jobs finish their ops with AUTH_ECLOSED),
 * then finishes the ops still waiting on a timer.
 *
 * Secrets: session tokens and validation links are 32 random bytes in base64url, returned or
 * mailed once; the store keeps only their SHA-256. Password copies are wiped when an op ends. */
#include "auth/auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <utf8proc.h>

#include "auth/scram.h"
#include "auth/scram_store.h"
#include "auth/throttle.h"
#include "core/core.h"
#include "util/list.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define CLASS_PROVISIONAL 1
#define CLASS_REGISTERED  2

struct auth {
    uv_loop_t *loop;
    store_t *st;
    mailer_t *mailer; /* may be NULL */
    auth_config_t cfg;
    char *public_url;
    workq_t *q;
    throttle_t *thr;
    list_t ops; /* op_t.link: operations that have not reported */
    auth_changed_fn changed;
    void *changed_ud;
    auth_revoked_fn revoked;
    void *revoked_ud;
    auth_stats_t stats;
    char *name; /* for the log: the chat group's name */
};

typedef enum { OP_REGISTER, OP_LOGIN, OP_CHECK, OP_SCRAM, OP_PASSWORD } op_kind_t;

typedef struct op {
    auth_t *a;
    list_t link;
    op_kind_t kind;
    auth_cb cb;
    void *ud;
    uv_timer_t timer;
    bool has_timer;
    int refuse;      /* login: report this error when the timer fires (0: go on) */
    int retry_after; /* with AUTH_ETOOMANY */
    bool throttled;  /* a throttle_begin() to end */
    char keys[2][THROTTLE_KEY_MAX + 3];
    char addr[64];
    store_account_t acc;                    /* owned strings once filled */
    char *name, *fold, *email, *email_fold; /* register */
    char *who;                              /* login, check, scram */
    scram_server_t *scram;                  /* scram: the exchange (borrowed) */
    uint8_t keep[STORE_HASH_LEN];           /* password: the token that stays valid */
    char *pw, *pw2; /* wiped copies (scram: pw is the client-final message) */
    size_t pwlen, pw2len;
} op_t;

/* ---- errors ---- */

static const struct {
    int err;
    int status;
    const char *code;
    const char *message;
} errs[] = {
    {AUTH_EBADREQ, 400, "bad_request", "malformed request"},
    {AUTH_ENAMETAKEN, 409, "name_taken", "an account with that name exists"},
    {AUTH_EEMAILTAKEN, 409, "email_taken", "an account with that e-mail address exists"},
    {AUTH_ENICKINVALID, 400, "nick_invalid",
     "a name is 2 to 24 letters, digits, '_', '-' or '.', starting with a letter"},
    {AUTH_ENICKRESERVED, 400, "nick_reserved", "that name is reserved"},
    {AUTH_EWEAKPW, 400, "weak_password", "a password is 8 to 256 bytes of UTF-8 text"},
    {AUTH_EBADEMAIL, 400, "bad_email", "not a plain e-mail address (user@domain)"},
    {AUTH_EBANNED, 403, "email_banned", "that e-mail address may not register here"},
    {AUTH_EUNAUTHORIZED, 401, "unauthorized", "wrong name or password, or no valid token"},
    {AUTH_ETOOMANY, 429, "too_many_attempts", "too many failed attempts; try again later"},
    {AUTH_EBADCODE, 400, "bad_code", "wrong, unknown or expired validation code or link"},
    {AUTH_EVALIDATED, 409, "already_validated", "the account is validated already"},
    {AUTH_ENOMAIL, 503, "mail_disabled", "this server sends no mail"},
    {AUTH_ESTORE, 500, "store_failed", "the account store failed"},
    {AUTH_ECLOSED, 503, "shutting_down", "the server is shutting down"},
    {AUTH_EEXIST, 409, "exists", "already listed"},
    {AUTH_ENOTFOUND, 404, "not_found", "not listed"},
};

static int err_index(int err)
{
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].err == err)
            return (int)i;
    return -1;
}

const char *auth_err_code(int err)
{
    int i = err_index(err);
    return i < 0 ? "internal" : errs[i].code;
}

const char *auth_err_message(int err)
{
    int i = err_index(err);
    return i < 0 ? "internal error" : errs[i].message;
}

int auth_err_status(int err)
{
    int i = err_index(err);
    return i < 0 ? 500 : errs[i].status;
}

const char *auth_class_name(int cls)
{
    return cls == CLASS_REGISTERED ? "registered" : "provisional";
}

static int store_err(int err)
{
    return err == STORE_ECLOSED ? AUTH_ECLOSED : AUTH_ESTORE;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The SCRAM iteration count for new credentials. */
static uint32_t scram_iterations(const auth_t *a)
{
    return a->cfg.scram_iterations < SCRAM_MIN_ITERATIONS ? SCRAM_MIN_ITERATIONS
                                                          : a->cfg.scram_iterations;
}

/* Queues the SCRAM credentials of account id for password pw, whose hash is pwhash. */
static void scram_derive_later(auth_t *a, int64_t id, const char *pwhash, const char *pw,
                               size_t len)
{
    if (pw && scram_store_derive(a->q, a->st, id, pwhash, pw, len, scram_iterations(a)) < 0)
        log_warn("auth[%s]: cannot queue the SCRAM credentials of account %lld", a->name,
                 (long long)id);
}

/* ---- names, addresses, secrets ---- */

/* Checks an account name; *fold gets its NFKC-casefolded form (free it). */
static int name_check(const char *name, bool allow_reserved, char **fold)
{
    int rc = core_check_nick(name);
    if (rc == CORE_ENICKRESERVED && !allow_reserved)
        return AUTH_ENICKRESERVED;
    if (rc < 0 && rc != CORE_ENICKRESERVED)
        return AUTH_ENICKINVALID;
    *fold = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)name);
    return *fold ? 0 : AUTH_ENICKINVALID;
}

static char *lower_dup(const char *s)
{
    char *d = xstrdup(s);
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int email_check(const char *email, char **fold)
{
    if (mail_addr_check(email) < 0)
        return AUTH_EBADEMAIL;
    *fold = lower_dup(email);
    return 0;
}

/* Whether the lower-case address or its domain or a parent domain is banned. */
static bool banned_fold(auth_t *a, const char *email_fold)
{
    bool hit = false;
    if (store_banned_has(a->st, email_fold, &hit) == 0 && hit)
        return true;
    const char *d = strrchr(email_fold, '@');
    for (d = d ? d + 1 : email_fold; d && *d; d = strchr(d, '.')) {
        if (*d == '.')
            d++;
        if (store_banned_has(a->st, d, &hit) == 0 && hit)
            return true;
    }
    return false;
}

bool auth_email_banned(auth_t *a, const char *email)
{
    char *fold = lower_dup(email);
    bool hit = banned_fold(a, fold);
    free(fold);
    return hit;
}

/* A fresh secret: 32 random bytes as base64url in out, its SHA-256 in hash. */
static void secret_new(char out[AUTH_TOKEN_LEN + 1], uint8_t hash[STORE_HASH_LEN])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_hash_sha256(hash, (const unsigned char *)out, AUTH_TOKEN_LEN);
    sodium_memzero(raw, sizeof raw);
}

/* The SHA-256 of a secret given by a client; -1 if it cannot be one of ours. */
static int secret_hash(const char *s, uint8_t hash[STORE_HASH_LEN])
{
    if (s == NULL || strlen(s) != AUTH_TOKEN_LEN ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            AUTH_TOKEN_LEN)
        return -1;
    crypto_hash_sha256(hash, (const unsigned char *)s, AUTH_TOKEN_LEN);
    return 0;
}

/* A token hash's tag for auth_revoked_fn. */
static uint64_t hash_tag(const uint8_t hash[STORE_HASH_LEN])
{
    uint64_t tag;
    memcpy(&tag, hash, sizeof tag);
    return tag ? tag : 1; /* 0 means "no token" */
}

/* ---- the validation mail ---- */

/* ud: the account's name (logged instead of the address, as the mailer does). */
static void mail_done(void *ud, int status, const char *msg)
{
    char *name = ud;
    if (status == 0)
        log_info("auth: validation mail for '%s' handed to the relay", name);
    else
        log_warn("auth: validation mail for '%s' failed: %s", name, msg ? msg : "?");
    free(name);
}

/* Stores a new validation link and code for acc and mails them. */
static int validation_start(auth_t *a, const store_account_t *acc)
{
    char link[AUTH_TOKEN_LEN + 1], code[8];
    uint8_t hash[STORE_HASH_LEN];
    secret_new(link, hash);
    snprintf(code, sizeof code, "%06u", (unsigned)randombytes_uniform(1000000));
    int64_t expires = now_ms() + (int64_t)a->cfg.validation_hours * 3600 * 1000;
    int rc = store_validation_put(a->st, acc->id, hash, code, expires);
    if (rc < 0)
        return store_err(rc);
    if (a->mailer == NULL || !mailer_enabled(a->mailer) || acc->email == NULL) {
        log_warn("auth[%s]: mail is disabled: account '%s' cannot be validated by mail", a->name,
                 acc->name);
        return 0;
    }
    size_t n = strlen(a->public_url) + sizeof("/api/v1/auth/validate?token=") + AUTH_TOKEN_LEN;
    char *url = xmalloc(n), *subject = NULL, *body = NULL;
    snprintf(url, n, "%s/api/v1/auth/validate?token=%s", a->public_url, link);
    mail_var_t vars[] = {
        {"nick", acc->name}, {"link", url}, {"code", code}, {"site", a->public_url}};
    size_t nv = sizeof vars / sizeof vars[0];
    rc = mail_render(a->cfg.tmpl->subject, vars, nv, &subject);
    if (rc == 0)
        rc = mail_render(a->cfg.tmpl->body, vars, nv, &body);
    if (rc == 0) {
        char *name = xstrdup(acc->name);
        rc = mailer_send(a->mailer, acc->email, subject, body, mail_done, name);
        if (rc < 0)
            free(name);
    }
    if (rc < 0)
        log_warn("auth[%s]: cannot send the validation mail for '%s': %s", a->name, acc->name,
                 strerror(-rc));
    free(url);
    free(subject);
    free(body);
    return 0; /* the account exists either way; "resend" tries again */
}

/* ---- operations ---- */

static op_t *op_new(auth_t *a, op_kind_t kind, auth_cb cb, void *ud)
{
    op_t *op = xcalloc(1, sizeof *op);
    op->a = a;
    op->kind = kind;
    op->cb = cb;
    op->ud = ud;
    list_push_back(&a->ops, &op->link);
    return op;
}

static char *secret_dup(const char *s, size_t len)
{
    return xmemdup0(s, len);
}

static void op_free(op_t *op)
{
    if (op->pw)
        sodium_memzero(op->pw, op->pwlen);
    if (op->pw2)
        sodium_memzero(op->pw2, op->pw2len);
    free(op->pw);
    free(op->pw2);
    store_account_deinit(&op->acc);
    free(op->name);
    free(op->fold);
    free(op->email);
    free(op->email_fold);
    free(op->who);
    free(op);
}

static void on_timer_close(uv_handle_t *h)
{
    op_free(h->data);
}

/* Reports and frees the op. */
static void op_finish(op_t *op, int status, const auth_result_t *res)
{
    auth_result_t none = {0};
    list_remove(&op->link);
    if (res == NULL) {
        none.account = op->acc.id ? &op->acc : NULL;
        res = &none;
    }
    op->cb(op->ud, status, res);
    if (op->has_timer) {
        uv_timer_stop(&op->timer);
        uv_close((uv_handle_t *)&op->timer, on_timer_close);
    } else {
        op_free(op);
    }
}

/* Name and e-mail still free (checked again after hashing: another registration may have won). */
static int register_free(auth_t *a, const char *fold, const char *email_fold)
{
    store_account_t other;
    int rc = store_account_by_fold(a->st, fold, &other);
    store_account_deinit(&other);
    if (rc == 0)
        return AUTH_ENAMETAKEN;
    if (rc != STORE_ENOTFOUND)
        return store_err(rc);
    rc = store_account_by_email(a->st, email_fold, &other);
    store_account_deinit(&other);
    if (rc == 0)
        return AUTH_EEMAILTAKEN;
    return rc == STORE_ENOTFOUND ? 0 : store_err(rc);
}

static void register_hashed(void *ud, int status, const char *hash)
{
    op_t *op = ud;
    auth_t *a = op->a;
    int rc = status == -ECANCELED ? AUTH_ECLOSED : status < 0 ? AUTH_EWEAKPW : 0;
    if (rc == 0)
        rc = register_free(a, op->fold, op->email_fold);
    if (rc == 0) {
        op->acc = (store_account_t){.name = op->name,
                                    .fold = op->fold,
                                    .email = op->email,
                                    .email_fold = op->email_fold,
                                    .pwhash = xstrdup(hash),
                                    .cls = CLASS_PROVISIONAL,
                                    .created_ms = now_ms()};
        op->name = op->fold = op->email = op->email_fold = NULL; /* now owned by op->acc */
        int src = store_account_add(a->st, &op->acc);
        rc = src == STORE_EEXIST ? AUTH_ENAMETAKEN : src < 0 ? store_err(src) : 0;
        if (rc == 0) {
            log_info("auth[%s]: account '%s' registered (provisional)", a->name, op->acc.name);
            a->stats.registrations++;
            scram_derive_later(a, op->acc.id, hash, op->pw, op->pwlen);
            validation_start(a, &op->acc);
        } else {
            op->acc.id = 0;
        }
    }
    op_finish(op, rc, NULL);
}

int auth_register(auth_t *a, const char *name, const char *email, const char *pw, size_t pwlen,
                  auth_cb cb, void *ud)
{
    char *fold = NULL, *email_fold = NULL;
    int rc = name_check(name, false, &fold);
    if (rc == 0)
        rc = email_check(email, &email_fold);
    if (rc == 0 && password_check(pw, pwlen) < 0)
        rc = AUTH_EWEAKPW;
    if (rc == 0 && banned_fold(a, email_fold)) {
        log_warn("auth[%s]: registration of '%s' refused: %s is banned", a->name, name, email);
        rc = AUTH_EBANNED;
    }
    if (rc == 0)
        rc = register_free(a, fold, email_fold);
    if (rc < 0) {
        free(fold);
        free(email_fold);
        return rc;
    }
    op_t *op = op_new(a, OP_REGISTER, cb, ud);
    op->name = xstrdup(name);
    op->fold = fold;
    op->email = xstrdup(email);
    op->email_fold = email_fold;
    op->pw = secret_dup(pw, pwlen);
    op->pwlen = pwlen;
    rc = password_hash(a->q, a->cfg.hash_limits, pw, pwlen, register_hashed, op);
    if (rc < 0) {
        list_remove(&op->link);
        op_free(op);
        return rc == -ECANCELED ? AUTH_ECLOSED : AUTH_EWEAKPW;
    }
    return 0;
}

/* ---- login ---- */

static void login_end(op_t *op, bool ok)
{
    auth_t *a = op->a;
    const char *keys[2] = {op->keys[0], op->keys[1]};
    if (op->throttled)
        throttle_end(a->thr, keys, ok, uv_now(a->loop));
    op->throttled = false;
    if (!ok)
        a->stats.login_failures++;
    if (!ok)
        log_warn("auth[%s]: failed login for '%s' from %s (%d failures for the name, %d for the "
                 "address)",
                 a->name, op->who, op->addr, throttle_failures(a->thr, keys[0], uv_now(a->loop)),
                 throttle_failures(a->thr, keys[1], uv_now(a->loop)));
}

/* A password hash renewal after a login with a hash made under other limits. */
typedef struct rehash {
    auth_t *a;
    int64_t account;
    char *old; /* the hash verified: replaced only if still the same */
} rehash_t;

static void rehashed(void *ud, int status, const char *hash)
{
    rehash_t *r = ud;
    store_account_t acc;
    if (status == 0 && store_account_by_id(r->a->st, r->account, &acc) == 0) {
        if (acc.pwhash && strcmp(acc.pwhash, r->old) == 0) {
            free(acc.pwhash);
            acc.pwhash = xstrdup(hash);
            if (store_account_update(r->a->st, &acc) == 0)
                log_info("auth[%s]: password hash of '%s' renewed with the current limits",
                         r->a->name, acc.name);
        }
        store_account_deinit(&acc);
    }
    free(r->old);
    free(r);
}

static void rehash_start(auth_t *a, const op_t *op)
{
    rehash_t *r = xcalloc(1, sizeof *r);
    r->a = a;
    r->account = op->acc.id;
    r->old = xstrdup(op->acc.pwhash);
    if (password_hash(a->q, a->cfg.hash_limits, op->pw, op->pwlen, rehashed, r) < 0) {
        free(r->old);
        free(r);
    }
}

static void login_verified(void *ud, int status, bool rehash)
{
    op_t *op = ud;
    auth_t *a = op->a;
    if (status == -ECANCELED) {
        op_finish(op, AUTH_ECLOSED, NULL);
        return;
    }
    if (status < 0) {
        login_end(op, false);
        store_account_deinit(&op->acc);
        op_finish(op, AUTH_EUNAUTHORIZED, NULL);
        return;
    }
    login_end(op, true);
    /* Before the rehash: its done() then finds the credentials stored and keeps them. */
    if (op->acc.scram.iterations < scram_iterations(a))
        scram_derive_later(a, op->acc.id, op->acc.pwhash, op->pw, op->pwlen);
    if (rehash)
        rehash_start(a, op);
    if (op->kind == OP_CHECK) {
        log_info("auth[%s]: '%s' checked the password from %s", a->name, op->acc.name, op->addr);
        a->stats.logins++;
        op_finish(op, 0, NULL);
        return;
    }
    char token[AUTH_TOKEN_LEN + 1];
    uint8_t hash[STORE_HASH_LEN];
    secret_new(token, hash);
    int64_t now = now_ms();
    int64_t expires = now + (int64_t)a->cfg.session_days * 24 * 3600 * 1000;
    int rc = store_token_add(a->st, hash, op->acc.id, now, expires);
    if (rc < 0) {
        op_finish(op, store_err(rc), NULL);
        return;
    }
    log_info("auth[%s]: '%s' logged in from %s", a->name, op->acc.name, op->addr);
    a->stats.logins++;
    auth_result_t res = {.account = &op->acc, .token = token, .expires_ms = expires};
    op_finish(op, 0, &res);
    sodium_memzero(token, sizeof token);
}

/* A SCRAM exchange's last step, after the brute-force delay: reports the server-final message. */
static void scram_go(op_t *op)
{
    auth_t *a = op->a;
    char *reply = NULL;
    size_t len = 0;
    int rc = scram_server_step(op->scram, op->pw, op->pwlen, &reply, &len);
    if (rc == 0 && store_account_by_fold(a->st, op->keys[0] + 2, &op->acc) < 0) {
        rc = SCRAM_EUNKNOWNUSER; /* gone meanwhile: no "v=" after all */
        free(reply);
        reply = xstrdup("e=invalid-proof");
        len = strlen(reply);
    }
    login_end(op, rc == 0);
    if (rc == 0) {
        log_info("auth[%s]: '%s' authenticated with SCRAM-SHA-256 from %s", a->name, op->acc.name,
                 op->addr);
        a->stats.logins++;
    }
    auth_result_t res = {.account = rc == 0 ? &op->acc : NULL, .reply = reply, .reply_len = len};
    op_finish(op, rc == 0 ? 0 : AUTH_EUNAUTHORIZED, &res);
    free(reply);
}

/* The brute-force delay is over (or a refusal is due): look the account up and verify. */
static void login_go(uv_timer_t *t)
{
    op_t *op = t->data;
    auth_t *a = op->a;
    if (op->refuse) {
        auth_result_t res = {.retry_after_s = op->retry_after};
        log_warn("auth[%s]: login for '%s' from %s refused: too many failures", a->name, op->who,
                 op->addr);
        op_finish(op, op->refuse, &res);
        return;
    }
    if (op->kind == OP_SCRAM) {
        scram_go(op);
        return;
    }
    int rc = strchr(op->who, '@') ? store_account_by_email(a->st, op->keys[0] + 2, &op->acc)
                                  : store_account_by_fold(a->st, op->keys[0] + 2, &op->acc);
    if (rc == 0 && password_check(op->pw, op->pwlen) == 0)
        rc = password_verify(a->q, a->cfg.hash_limits, op->acc.pwhash, op->pw, op->pwlen,
                             login_verified, op);
    else if (rc == 0)
        rc = -EACCES; /* a password we would never have accepted */
    if (rc == 0)
        return;
    if (rc == -ECANCELED) {
        op_finish(op, AUTH_ECLOSED, NULL);
        return;
    }
    if (rc != STORE_ENOTFOUND && rc != -EACCES && rc != -EINVAL) {
        login_end(op, true); /* not the client's failure */
        op_finish(op, store_err(rc), NULL);
        return;
    }
    store_account_deinit(&op->acc);
    login_end(op, false);
    op_finish(op, AUTH_EUNAUTHORIZED, NULL);
}

/* A login (OP_LOGIN), a password check (OP_CHECK) or a SCRAM proof (OP_SCRAM, pw the
 * client-final message, scram the exchange): the same throttle, then login_go. */
static int login_start(auth_t *a, op_kind_t kind, const char *who, const char *pw, size_t pwlen,
                       const char *addr, scram_server_t *scram, auth_cb cb, void *ud)
{
    size_t wl = who ? strlen(who) : 0;
    if (wl == 0 || wl > MAIL_ADDR_MAX || pw == NULL)
        return AUTH_EBADREQ;
    op_t *op = op_new(a, kind, cb, ud);
    op->who = xstrdup(who);
    op->scram = scram;
    size_t max = kind == OP_SCRAM ? SCRAM_MESSAGE_MAX + 1 : PASSWORD_MAX + 1;
    op->pw = secret_dup(pw, pwlen > max ? max : pwlen);
    op->pwlen = pwlen > max ? max : pwlen;
    snprintf(op->addr, sizeof op->addr, "%s", addr ? addr : "?");
    char *key = strchr(who, '@') ? lower_dup(who)
                                 : (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)who);
    snprintf(op->keys[0], sizeof op->keys[0], "n:%s", key ? key : who);
    snprintf(op->keys[1], sizeof op->keys[1], "a:%s", op->addr);
    free(key);

    const char *keys[2] = {op->keys[0], op->keys[1]};
    int64_t delay = throttle_begin(a->thr, keys, uv_now(a->loop), &op->retry_after);
    if (delay < 0) {
        op->refuse = AUTH_ETOOMANY;
        a->stats.login_refused++;
        delay = 0;
    } else {
        op->throttled = true;
    }
    uv_timer_init(a->loop, &op->timer);
    op->timer.data = op;
    op->has_timer = true;
    uv_timer_start(&op->timer, login_go, (uint64_t)delay, 0);
    return 0;
}

int auth_login(auth_t *a, const char *who, const char *pw, size_t pwlen, const char *addr,
               auth_cb cb, void *ud)
{
    return login_start(a, OP_LOGIN, who, pw, pwlen, addr, NULL, cb, ud);
}

int auth_check_password(auth_t *a, const char *who, const char *pw, size_t pwlen, const char *addr,
                        auth_cb cb, void *ud)
{
    return login_start(a, OP_CHECK, who, pw, pwlen, addr, NULL, cb, ud);
}

int auth_scram_final(auth_t *a, scram_server_t *s, const char *msg, size_t len, const char *addr,
                     auth_cb cb, void *ud)
{
    const char *who = s ? scram_server_authcid(s) : NULL;
    if (who == NULL || msg == NULL)
        return AUTH_EBADREQ;
    return login_start(a, OP_SCRAM, who, msg, len, addr, s, cb, ud);
}

int auth_scram_credentials(auth_t *a, const char *name, store_scram_t *out)
{
    int rc = scram_store_lookup(a->st, name, out);
    return rc == STORE_ENOTFOUND ? AUTH_ENOTFOUND : rc < 0 ? store_err(rc) : 0;
}

uint32_t auth_scram_iterations(const auth_t *a)
{
    return scram_iterations(a);
}

/* ---- password change ---- */

static void password_hashed(void *ud, int status, const char *hash)
{
    op_t *op = ud;
    auth_t *a = op->a;
    if (status < 0) {
        op_finish(op, status == -ECANCELED ? AUTH_ECLOSED : AUTH_EWEAKPW, NULL);
        return;
    }
    store_account_t now;
    int rc = store_account_by_id(a->st, op->acc.id, &now);
    if (rc == 0) {
        free(now.pwhash);
        now.pwhash = xstrdup(hash);
        now.must_change = false;
        now.scram = (store_scram_t){0}; /* the old password's: gone with it */
        rc = store_account_update(a->st, &now);
        if (rc == 0)
            scram_derive_later(a, now.id, hash, op->pw2, op->pw2len);
    }
    if (rc == 0)
        rc = store_tokens_del_account(a->st, now.id, op->keep);
    if (rc == 0 && a->revoked)
        a->revoked(a->revoked_ud, now.id, hash_tag(op->keep), true);
    if (rc == 0) {
        store_account_deinit(&op->acc);
        op->acc = now;
        log_info("auth[%s]: '%s' changed the password; other sessions revoked", a->name, now.name);
    } else {
        store_account_deinit(&now);
    }
    op_finish(op, rc < 0 ? store_err(rc) : 0, NULL);
}

static void password_checked(void *ud, int status, bool rehash)
{
    op_t *op = ud;
    auth_t *a = op->a;
    int rc = status == -ECANCELED ? AUTH_ECLOSED : status < 0 ? AUTH_EUNAUTHORIZED : 0;
    if (rc == 0)
        rc = password_hash(a->q, a->cfg.hash_limits, op->pw2, op->pw2len, password_hashed, op);
    if (rc == 0)
        return;
    if (rc == AUTH_EUNAUTHORIZED)
        log_warn("auth[%s]: wrong old password in a password change for '%s'", a->name,
                 op->acc.name);
    op_finish(op, rc == -ECANCELED ? AUTH_ECLOSED : rc, NULL);
}

int auth_password(auth_t *a, const char *token, const char *old, size_t oldlen, const char *new_pw,
                  size_t newlen, auth_cb cb, void *ud)
{
    uint8_t keep[STORE_HASH_LEN];
    store_account_t acc;
    int rc = auth_token_account(a, token, &acc);
    if (rc < 0)
        return rc;
    if (password_check(new_pw, newlen) < 0) {
        store_account_deinit(&acc);
        return AUTH_EWEAKPW;
    }
    secret_hash(token, keep);
    op_t *op = op_new(a, OP_PASSWORD, cb, ud);
    op->acc = acc;
    memcpy(op->keep, keep, sizeof keep);
    op->pw = secret_dup(old, oldlen > PASSWORD_MAX ? PASSWORD_MAX : oldlen);
    op->pwlen = oldlen > PASSWORD_MAX ? PASSWORD_MAX : oldlen;
    op->pw2 = secret_dup(new_pw, newlen);
    op->pw2len = newlen;
    rc = password_verify(a->q, a->cfg.hash_limits, acc.pwhash, op->pw, op->pwlen, password_checked,
                         op);
    if (rc < 0) {
        list_remove(&op->link);
        op_free(op);
        return rc == -ECANCELED ? AUTH_ECLOSED : AUTH_EUNAUTHORIZED;
    }
    return 0;
}

/* ---- synchronous calls ---- */

int auth_token_account(auth_t *a, const char *token, store_account_t *out)
{
    uint8_t hash[STORE_HASH_LEN];
    int64_t account, expires;
    *out = (store_account_t){0};
    if (secret_hash(token, hash) < 0)
        return AUTH_EUNAUTHORIZED;
    int rc = store_token_get(a->st, hash, &account, &expires);
    if (rc == STORE_ENOTFOUND)
        return AUTH_EUNAUTHORIZED;
    if (rc < 0)
        return store_err(rc);
    if (expires <= now_ms()) {
        store_token_del(a->st, hash);
        return AUTH_EUNAUTHORIZED;
    }
    rc = store_account_by_id(a->st, account, out);
    return rc == STORE_ENOTFOUND ? AUTH_EUNAUTHORIZED : rc < 0 ? store_err(rc) : 0;
}

int auth_logout(auth_t *a, const char *token)
{
    uint8_t hash[STORE_HASH_LEN];
    int64_t account, expires;
    if (secret_hash(token, hash) < 0)
        return AUTH_EUNAUTHORIZED;
    int rc = store_token_get(a->st, hash, &account, &expires);
    if (rc == 0)
        rc = store_token_del(a->st, hash);
    if (rc == 0 && a->revoked)
        a->revoked(a->revoked_ud, account, hash_tag(hash), false);
    return rc == STORE_ENOTFOUND ? AUTH_EUNAUTHORIZED : rc < 0 ? store_err(rc) : 0;
}

/* Makes acc registered, drops its validation and tells the listener. */
static int validate(auth_t *a, store_account_t *acc)
{
    if (acc->cls == CLASS_REGISTERED) {
        store_validation_del(a->st, acc->id);
        return AUTH_EVALIDATED;
    }
    acc->cls = CLASS_REGISTERED;
    acc->validated_ms = now_ms();
    int rc = store_account_update(a->st, acc);
    if (rc < 0)
        return store_err(rc);
    store_validation_del(a->st, acc->id);
    log_info("auth[%s]: account '%s' validated", a->name, acc->name);
    a->stats.validations++;
    if (a->changed)
        a->changed(a->changed_ud, acc);
    return 0;
}

static int fill_out(store_account_t *acc, store_account_t *out, int rc)
{
    if (out && rc == 0)
        *out = *acc;
    else
        store_account_deinit(acc);
    return rc;
}

int auth_validate_link(auth_t *a, const char *link, store_account_t *out)
{
    uint8_t hash[STORE_HASH_LEN];
    int64_t account, expires;
    store_account_t acc = {0};
    if (secret_hash(link, hash) < 0)
        return AUTH_EBADCODE;
    int rc = store_validation_by_hash(a->st, hash, &account, &expires);
    if (rc == STORE_ENOTFOUND || (rc == 0 && expires <= now_ms()))
        return AUTH_EBADCODE;
    if (rc < 0)
        return store_err(rc);
    rc = store_account_by_id(a->st, account, &acc);
    if (rc < 0)
        return rc == STORE_ENOTFOUND ? AUTH_EBADCODE : store_err(rc);
    return fill_out(&acc, out, validate(a, &acc));
}

int auth_validate_code(auth_t *a, const char *token, const char *code, store_account_t *out)
{
    store_account_t acc;
    char want[8], key[32];
    int64_t expires;
    int retry;
    int rc = auth_token_account(a, token, &acc);
    if (rc < 0)
        return rc;
    if (acc.cls == CLASS_REGISTERED)
        return fill_out(&acc, out, AUTH_EVALIDATED);
    snprintf(key, sizeof key, "c:%lld", (long long)acc.id);
    const char *keys[2] = {key, NULL};
    uint64_t now = uv_now(a->loop);
    if (throttle_begin(a->thr, keys, now, &retry) < 0)
        return fill_out(&acc, out, AUTH_ETOOMANY);
    rc = store_validation_get(a->st, acc.id, want, &expires);
    bool ok = rc == 0 && expires > now_ms() && code && strlen(code) == 6 &&
              sodium_memcmp(want, code, 6) == 0;
    throttle_end(a->thr, keys, ok, now);
    if (!ok) {
        log_warn("auth[%s]: wrong validation code for '%s'", a->name, acc.name);
        return fill_out(&acc, out, rc < 0 && rc != STORE_ENOTFOUND ? store_err(rc) : AUTH_EBADCODE);
    }
    return fill_out(&acc, out, validate(a, &acc));
}

int auth_resend(auth_t *a, const char *token)
{
    store_account_t acc;
    int rc = auth_token_account(a, token, &acc);
    if (rc < 0)
        return rc;
    if (acc.cls == CLASS_REGISTERED)
        rc = AUTH_EVALIDATED;
    else if (a->mailer == NULL || !mailer_enabled(a->mailer) || acc.email == NULL)
        rc = AUTH_ENOMAIL;
    else
        rc = validation_start(a, &acc);
    store_account_deinit(&acc);
    return rc;
}

bool auth_name_is_account(auth_t *a, const char *nick)
{
    store_account_t acc;
    char *fold = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)nick);
    bool found = fold && store_account_by_fold(a->st, fold, &acc) == 0;
    if (found)
        store_account_deinit(&acc);
    free(fold);
    return found;
}

int auth_set_colour(auth_t *a, int64_t account, const char *colour)
{
    store_account_t acc;
    int rc = store_account_by_id(a->st, account, &acc);
    if (rc == 0) {
        free(acc.colour);
        acc.colour = xstrdup(colour);
        rc = store_account_update(a->st, &acc);
        store_account_deinit(&acc);
    }
    return rc < 0 ? store_err(rc) : 0;
}

int auth_ignore(auth_t *a, int64_t account, const char *nick, bool on)
{
    char *fold = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)nick);
    if (fold == NULL)
        return AUTH_EBADREQ;
    int rc =
        on ? store_ignore_put(a->st, account, fold, nick) : store_ignore_del(a->st, account, fold);
    free(fold);
    return rc < 0 ? store_err(rc) : 0;
}

int auth_ignores(auth_t *a, int64_t account, void (*cb)(void *ud, const char *nick), void *ud)
{
    int rc = store_ignores_load(a->st, account, cb, ud);
    return rc < 0 ? store_err(rc) : 0;
}

/* "user@domain" (a plain address) or a domain name; lower-cased into *out. */
static int ban_pattern(const char *pattern, char **out)
{
    if (pattern == NULL || pattern[0] == '\0' || strlen(pattern) > MAIL_ADDR_MAX)
        return AUTH_EBADREQ;
    if (strchr(pattern, '@')
            ? mail_addr_check(pattern) < 0
            : strspn(pattern, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789.-") != strlen(pattern) ||
                  pattern[0] == '.' || pattern[0] == '-')
        return AUTH_EBADREQ;
    *out = lower_dup(pattern);
    return 0;
}

int auth_ban(auth_t *a, const char *pattern)
{
    char *p;
    int rc = ban_pattern(pattern, &p);
    if (rc < 0)
        return rc;
    bool listed = false;
    rc = store_banned_has(a->st, p, &listed);
    if (rc == 0)
        rc = listed ? STORE_EEXIST : store_banned_add(a->st, p);
    if (rc == 0)
        log_info("auth[%s]: banned %s", a->name, p);
    free(p);
    return rc == STORE_EEXIST ? AUTH_EEXIST : rc < 0 ? store_err(rc) : 0;
}

int auth_unban(auth_t *a, const char *pattern)
{
    char *p;
    int rc = ban_pattern(pattern, &p);
    if (rc < 0)
        return rc == AUTH_EBADREQ ? AUTH_ENOTFOUND : rc;
    rc = store_banned_del(a->st, p);
    if (rc == 0)
        log_info("auth[%s]: unbanned %s", a->name, p);
    free(p);
    return rc == STORE_ENOTFOUND ? AUTH_ENOTFOUND : rc < 0 ? store_err(rc) : 0;
}

int auth_banned(auth_t *a, void (*cb)(void *ud, const char *pattern), void *ud)
{
    int rc = store_banned_load(a->st, cb, ud);
    return rc < 0 ? store_err(rc) : 0;
}

/* ---- sysops ---- */

static int sysop_put(auth_t *a, const char *name, const char *pw, bool one_time)
{
    char *fold = NULL, hash[PASSWORD_HASH_MAX];
    store_account_t acc;
    store_scram_t scram = {0};
    int rc = name_check(name, true, &fold);
    if (rc < 0)
        return rc;
    if (password_hash_sync(a->cfg.hash_limits, pw, strlen(pw), hash) < 0) {
        free(fold);
        return AUTH_EWEAKPW;
    }
    if (scram_creds_new(pw, strlen(pw), scram_iterations(a), &scram) < 0)
        scram = (store_scram_t){0}; /* not SASLprep-able: SASL PLAIN only */
    rc = store_account_by_fold(a->st, fold, &acc);
    if (rc == 0) {
        free(acc.pwhash);
        acc.pwhash = xstrdup(hash);
        acc.sysop = true;
        acc.cls = CLASS_REGISTERED;
        acc.must_change = one_time;
        acc.scram = scram;
        if (acc.validated_ms == 0)
            acc.validated_ms = now_ms();
        rc = store_account_update(a->st, &acc);
        if (rc == 0)
            store_tokens_del_account(a->st, acc.id, NULL); /* the old password's sessions */
        store_account_deinit(&acc);
    } else if (rc == STORE_ENOTFOUND) {
        store_account_t n = {.name = (char *)name,
                             .fold = fold,
                             .pwhash = hash,
                             .cls = CLASS_REGISTERED,
                             .sysop = true,
                             .must_change = one_time,
                             .created_ms = now_ms(),
                             .validated_ms = now_ms(),
                             .scram = scram};
        rc = store_account_add(a->st, &n);
    }
    free(fold);
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(&scram, sizeof scram);
    return rc < 0 ? store_err(rc) : 0;
}

int auth_create_sysop(auth_t *a, const char *name, const char *pw)
{
    int rc = sysop_put(a, name, pw, false);
    if (rc == 0)
        log_info("auth[%s]: '%s' is a sysop", a->name, name);
    return rc;
}

int auth_bootstrap(auth_t *a)
{
    int64_t n = 0;
    int rc = store_account_sysops(a->st, &n);
    if (rc < 0)
        return store_err(rc);
    if (n > 0)
        return 0;
    char pw[21];
    password_random(pw, sizeof pw);
    rc = sysop_put(a, "sysop", pw, true);
    if (rc == 0)
        log_warn("auth[%s]: no sysop account existed: created 'sysop' with the one-time password "
                 "%s (log in and change it: POST /api/v1/auth/password)",
                 a->name, pw);
    sodium_memzero(pw, sizeof pw);
    return rc;
}

/* ---- lifetime ---- */

int auth_new(uv_loop_t *loop, store_t *store, mailer_t *mailer, const auth_config_t *cfg,
             auth_t **out)
{
    *out = NULL;
    if (sodium_init() < 0)
        return -ENOMEM;
    auth_t *a = xcalloc(1, sizeof *a);
    a->loop = loop;
    a->st = store;
    a->mailer = mailer;
    a->cfg = *cfg;
    a->name = xstrdup(cfg->name ? cfg->name : "-");
    auth_set_public_url(a, cfg->public_url);
    list_init(&a->ops);
    throttle_config_t tc = {
        .free_failures = cfg->login_free_failures,
        .delay_ms = cfg->login_delay_ms,
        .max_delay_ms = cfg->login_max_delay_ms,
        .max_failures = cfg->login_max_failures,
        .window_s = cfg->login_window_s,
    };
    a->thr = throttle_new(&tc);
    int rc = workq_new(loop, &a->q);
    if (rc < 0) {
        throttle_free(a->thr);
        free(a->public_url);
        free(a->name);
        free(a);
        return rc;
    }
    store_tokens_purge(store, now_ms());
    *out = a;
    return 0;
}

void auth_set_public_url(auth_t *a, const char *url)
{
    free(a->public_url);
    a->public_url = xstrdup(url ? url : "");
    size_t ul = strlen(a->public_url);
    while (ul > 0 && a->public_url[ul - 1] == '/')
        a->public_url[--ul] = '\0';
    a->cfg.public_url = a->public_url;
}

void auth_get_stats(const auth_t *a, auth_stats_t *out)
{
    *out = a->stats;
}

void auth_set_revoked(auth_t *a, auth_revoked_fn fn, void *ud)
{
    a->revoked = fn;
    a->revoked_ud = ud;
}

uint64_t auth_token_tag(const char *token)
{
    uint8_t hash[STORE_HASH_LEN];
    return secret_hash(token, hash) < 0 ? 0 : hash_tag(hash);
}

void auth_set_changed(auth_t *a, auth_changed_fn fn, void *ud)
{
    a->changed = fn;
    a->changed_ud = ud;
}

void auth_free(auth_t *a)
{
    if (a == NULL)
        return;
    workq_free(a->q, false); /* ops waiting for a hash report AUTH_ECLOSED */
    while (!list_empty(&a->ops))
        op_finish(list_entry(a->ops.next, op_t, link), AUTH_ECLOSED, NULL);
    throttle_free(a->thr);
    free(a->public_url);
    free(a->name);
    free(a);
}
