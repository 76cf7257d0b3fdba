/* Passwords: the rules (8..256 bytes of valid UTF-8) and argon2id hashing with libsodium's
 * crypto_pwhash_str family, run on a worker queue (util/workq.h) so the loop never hashes.
 *
 * Threads: password_hash()/password_verify() are called on the loop thread and report there, never
 * from inside the call; the _sync forms run on the calling thread (the command line, tests).
 * Errors: 0 or a negative errno. The password bytes are copied (and wiped after use). */
#ifndef PARLEY_AUTH_PASSWORD_H
#define PARLEY_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/workq.h"

#define PASSWORD_MIN      8
#define PASSWORD_MAX      256
#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* Hashing cost, named as in libsodium (config [accounts] hash_limits). */
typedef enum {
    PASSWORD_LIMITS_MIN = 0, /* the smallest libsodium allows: tests only */
    PASSWORD_LIMITS_INTERACTIVE,
    PASSWORD_LIMITS_MODERATE,
    PASSWORD_LIMITS_SENSITIVE,
} password_limits_t;

/* 0, -EINVAL (shorter than PASSWORD_MIN or longer than PASSWORD_MAX bytes, or a NUL inside) or
 * -EILSEQ (not UTF-8). */
int password_check(const char *pw, size_t len);

/* out gets the "$argon2id$..." string. 0, -EINVAL (see password_check) or -ENOMEM. */
int password_hash_sync(password_limits_t lim, const char *pw, size_t len,
                       char out[PASSWORD_HASH_MAX]);
/* 0 if pw matches hash, -EACCES if not (or hash is not one of ours). *rehash (may be NULL) says
 * whether hash was made with other limits than lim. */
int password_verify_sync(password_limits_t lim, const char *hash, const char *pw, size_t len,
                         bool *rehash);

/* status 0 with hash (valid during the call), or -ECANCELED (queue stopped), -EINVAL, -ENOMEM. */
typedef void (*password_hash_cb)(void *ud, int status, const char *hash);
/* status 0 (match), -EACCES (no match) or -ECANCELED; rehash as in password_verify_sync. */
typedef void (*password_verify_cb)(void *ud, int status, bool rehash);

/* Queue the work; on an immediate error (-EINVAL from password_check, -ECANCELED) cb is not
 * called. */
int password_hash(workq_t *q, password_limits_t lim, const char *pw, size_t len,
                  password_hash_cb cb, void *ud);
int password_verify(workq_t *q, password_limits_t lim, const char *hash, const char *pw, size_t len,
                    password_verify_cb cb, void *ud);

/* A random password of n - 1 printable characters (base64url of random bytes) into out[n]. */
void password_random(char *out, size_t n);

#endif
