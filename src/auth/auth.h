/* The accounts service of one chat group: registration with e-mail validation, login with session
 * tokens, logout, password change, the banned list and the sysop bootstrap, over the group's store
 * and a mailer. Built from its parts, not from global state, so each group has its own.
 *
 * Threads: loop thread only. Password hashing runs on the service's own worker queue
 * (util/workq.h); the asynchronous calls report through an auth_cb, always later, never from
 * inside the call. A call that fails at once returns the error and does not call cb.
 * Errors: 0 or a negative AUTH_E* code; auth_err_code() names it for the protocols
 * (docs/PROTOCOL.md, "Accounts"), auth_err_status() gives its HTTP status. Strings are borrowed for
 * the duration of a call. */
#ifndef PARLEY_AUTH_AUTH_H
#define PARLEY_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "auth/mail.h"
#include "auth/mailer.h"
#include "auth/password.h"
#include "auth/scram.h"
#include "store/store.h"

enum {
    AUTH_OK = 0,
    AUTH_EBADREQ = -5000, /* bad_request */
    AUTH_ENAMETAKEN,      /* name_taken */
    AUTH_EEMAILTAKEN,     /* email_taken */
    AUTH_ENICKINVALID,    /* nick_invalid */
    AUTH_ENICKRESERVED,   /* nick_reserved */
    AUTH_EWEAKPW,         /* weak_password */
    AUTH_EBADEMAIL,       /* bad_email */
    AUTH_EBANNED,         /* email_banned */
    AUTH_EUNAUTHORIZED,   /* unauthorized: wrong credentials, unknown or expired token */
    AUTH_ETOOMANY,        /* too_many_attempts */
    AUTH_EBADCODE,        /* bad_code: wrong, unknown or expired validation code or link */
    AUTH_EVALIDATED,      /* already_validated */
    AUTH_ENOMAIL,         /* mail_disabled */
    AUTH_ESTORE,          /* store_failed */
    AUTH_ECLOSED,         /* shutting_down */
    AUTH_EEXIST,          /* exists (banned list) */
    AUTH_ENOTFOUND,       /* not_found (banned list) */
};

const char *auth_err_code(int err);
const char *auth_err_message(int err);
int auth_err_status(int err);

#define AUTH_TOKEN_LEN 43 /* base64url of 32 random bytes */

typedef struct auth_config {
    const char *name; /* for log lines, "auth[NAME]: ..." (copied): the chat group */
    password_limits_t hash_limits;
    int session_days;       /* token lifetime */
    int validation_hours;   /* validation link and code lifetime */
    const char *public_url; /* "https://chat.example.org": the validation link's base (copied) */
    const mail_template_t *tmpl; /* the validation mail (borrowed; outlives the service) */
    /* Brute force (auth/throttle.h) */
    int login_free_failures;
    int login_delay_ms;
    int login_max_delay_ms;
    int login_max_failures;
    int login_window_s;
    /* SCRAM-SHA-256 credentials derived for new passwords: PBKDF2 rounds (below 4096: 4096) */
    uint32_t scram_iterations;
} auth_config_t;

typedef struct auth auth_t;

/* Told when an account's class or flags change (validated): connected sessions are re-identified
 * by whoever keeps them. */
typedef void (*auth_changed_fn)(void *ud, const store_account_t *acc);

/* store and mailer (NULL or disabled: no validation mail) are borrowed. 0 or -EAGAIN/-ENOMEM (the
 * hashing thread). */
int auth_new(uv_loop_t *loop, store_t *store, mailer_t *mailer, const auth_config_t *cfg,
             auth_t **out);
void auth_set_changed(auth_t *a, auth_changed_fn fn, void *ud);

/* Told when session tokens of an account stop being valid, so that connections that said hello
 * with them can be closed: with all_but false, the one token whose tag (auth_token_tag) is tag
 * (a logout); with all_but true, every token of the account except the one tagged tag (a
 * password change keeps the token it was made with). */
typedef void (*auth_revoked_fn)(void *ud, int64_t account, uint64_t tag, bool all_but);
void auth_set_revoked(auth_t *a, auth_revoked_fn fn, void *ud);
/* A token's tag: 64 bits of its hash, enough to tell an account's tokens apart (0 for a string
 * that is not a token). */
uint64_t auth_token_tag(const char *token);
/* Replaces the validation links' base (copied). */
void auth_set_public_url(auth_t *a, const char *url);
/* Stops the hashing queue; every operation still running reports AUTH_ECLOSED. NULL: no-op. */
void auth_free(auth_t *a);

/* What an operation reports. Everything is valid only during the callback. */
typedef struct auth_result {
    const store_account_t *account;
    const char *token;  /* login: the new session token; else NULL */
    int64_t expires_ms; /* login: when the token expires */
    int retry_after_s;  /* AUTH_ETOOMANY */
    const char *reply;  /* auth_scram_final: the server-final message (not on AUTH_ETOOMANY) */
    size_t reply_len;
} auth_result_t;

typedef void (*auth_cb)(void *ud, int status, const auth_result_t *res);

/* A provisional account, and its validation mail. At once: AUTH_EBADREQ, AUTH_ENICKINVALID,
 * AUTH_ENICKRESERVED, AUTH_EWEAKPW, AUTH_EBADEMAIL, AUTH_EBANNED, AUTH_ENAMETAKEN,
 * AUTH_EEMAILTAKEN; later the same name/e-mail checks again, AUTH_ESTORE. */
int auth_register(auth_t *a, const char *name, const char *email, const char *pw, size_t pwlen,
                  auth_cb cb, void *ud);
/* A new session token for the account named (or whose e-mail is) `who`. `addr` is the client's
 * address, for the brute-force count and the log. Later: AUTH_EUNAUTHORIZED (after the
 * brute-force delay), AUTH_ETOOMANY (res->retry_after_s). */
int auth_login(auth_t *a, const char *who, const char *pw, size_t pwlen, const char *addr,
               auth_cb cb, void *ud);
/* As auth_login, without a token: only whether `who`'s password is pw (SASL PLAIN in the IRC
 * gateway), with the same throttle, delays, log lines and counters. Reports 0 with res->account,
 * or AUTH_EUNAUTHORIZED / AUTH_ETOOMANY later; AUTH_EBADREQ at once. Like a login, it derives the
 * account's SCRAM credentials if it has none yet. */
int auth_check_password(auth_t *a, const char *who, const char *pw, size_t pwlen, const char *addr,
                        auth_cb cb, void *ud);
/* The SCRAM-SHA-256 credentials of the account named name (any spelling), for auth/scram.h's
 * lookup: 0, AUTH_ENOTFOUND (no such account, or none derived yet: it gets them at its next
 * password login or change), AUTH_ESTORE. Synchronous. */
int auth_scram_credentials(auth_t *a, const char *name, store_scram_t *out);
/* The iteration count new credentials get (for scram_server_new's mock_iterations). */
uint32_t auth_scram_iterations(const auth_t *a);
/* The last step of a SCRAM-SHA-256 exchange (auth/scram.h) whose client-first message s has
 * answered: msg is the client-final message. Counted like a login of the name the client gave,
 * from addr, with the same delays and refusals; then the proof is checked and cb reports 0 with
 * res->account and res->reply (the server-final "v=..." to send), or AUTH_EUNAUTHORIZED with
 * res->reply "e=..." (wrong proof, unknown user, malformed message), or AUTH_ETOOMANY (no reply;
 * the exchange stays unfinished). s is borrowed and must live until cb; free it afterwards.
 * At once: AUTH_EBADREQ (s has not answered a client-first message). */
int auth_scram_final(auth_t *a, scram_server_t *s, const char *msg, size_t len, const char *addr,
                     auth_cb cb, void *ud);

/* Changes the password of token's account from old to new (the one-time flag clears) and revokes
 * its other tokens. At once: AUTH_EUNAUTHORIZED, AUTH_EWEAKPW; later AUTH_EUNAUTHORIZED (old is
 * wrong). */
int auth_password(auth_t *a, const char *token, const char *old, size_t oldlen, const char *new_pw,
                  size_t newlen, auth_cb cb, void *ud);

/* Synchronous calls. */

/* The account of a valid, unexpired token: fills *out (store_account_deinit it). */
int auth_token_account(auth_t *a, const char *token, store_account_t *out);
int auth_logout(auth_t *a, const char *token);
/* Validates by the mail's link token, or by code for the account of token. Fills *out with the
 * registered account (may be NULL). AUTH_EBADCODE, AUTH_EVALIDATED, AUTH_ETOOMANY (code). */
int auth_validate_link(auth_t *a, const char *link, store_account_t *out);
int auth_validate_code(auth_t *a, const char *token, const char *code, store_account_t *out);
/* A new validation link and code mailed to the account of token. AUTH_EVALIDATED, AUTH_ENOMAIL. */
int auth_resend(auth_t *a, const char *token);

/* Whether nick (any spelling) is an account's name. */
bool auth_name_is_account(auth_t *a, const char *nick);
/* Persist a session's colour and ignore list for an account. */
int auth_set_colour(auth_t *a, int64_t account, const char *colour);
int auth_ignore(auth_t *a, int64_t account, const char *nick, bool on);
int auth_ignores(auth_t *a, int64_t account, void (*cb)(void *ud, const char *nick), void *ud);

/* The banned list: "user@domain" or "domain" (bans its subdomains too), compared in lower case.
 * add: AUTH_EBADREQ (not an address or domain), AUTH_EEXIST; del: AUTH_ENOTFOUND. */
int auth_ban(auth_t *a, const char *pattern);
int auth_unban(auth_t *a, const char *pattern);
int auth_banned(auth_t *a, void (*cb)(void *ud, const char *pattern), void *ud);
bool auth_email_banned(auth_t *a, const char *email);

/* Creates the sysop account name with password pw (hashed here, on the calling thread), or makes
 * an existing account a registered sysop with that password. */
int auth_create_sysop(auth_t *a, const char *name, const char *pw);
/* At start: if no sysop account exists, creates "sysop" with a random one-time password, written
 * to the log, that must be changed. */
int auth_bootstrap(auth_t *a);

/* Counters for /metrics. */
typedef struct auth_stats {
    uint64_t registrations;  /* accounts registered */
    uint64_t validations;    /* accounts validated (link or code) */
    uint64_t logins;         /* successful logins */
    uint64_t login_failures; /* wrong name or password */
    uint64_t login_refused;  /* refused past the brute-force limit (too_many_attempts) */
} auth_stats_t;
void auth_get_stats(const auth_t *a, auth_stats_t *out);

/* "provisional" or "registered" for a store class. */
const char *auth_class_name(int cls);

#endif
