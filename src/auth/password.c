/* Passwords (see password.h). One job carries the password copy, the hash and the result between
 * the loop and the queue's thread; the copy is wiped before the job is freed. */
#include "auth/password.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <utf8proc.h>

#include "util/xmalloc.h"

typedef struct pw_job {
    password_limits_t lim;
    bool verify;
    int status;
    bool rehash;
    password_hash_cb hash_cb;
    password_verify_cb verify_cb;
    void *ud;
    char hash[PASSWORD_HASH_MAX];
    size_t len;
    char pw[]; /* len bytes, wiped when done */
} pw_job_t;

static void limits(password_limits_t lim, unsigned long long *ops, size_t *mem)
{
    switch (lim) {
    case PASSWORD_LIMITS_MIN:
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
        break;
    case PASSWORD_LIMITS_MODERATE:
        *ops = crypto_pwhash_OPSLIMIT_MODERATE;
        *mem = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    case PASSWORD_LIMITS_SENSITIVE:
        *ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
        *mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
        break;
    default:
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    }
}

int password_check(const char *pw, size_t len)
{
    if (len < PASSWORD_MIN || len > PASSWORD_MAX || memchr(pw, '\0', len))
        return -EINVAL;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)pw;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return -EILSEQ;
        i += (size_t)n;
    }
    return 0;
}

int password_hash_sync(password_limits_t lim, const char *pw, size_t len,
                       char out[PASSWORD_HASH_MAX])
{
    unsigned long long ops;
    size_t mem;
    int err = password_check(pw, len);
    if (err < 0)
        return err;
    limits(lim, &ops, &mem);
    return crypto_pwhash_str(out, pw, len, ops, mem) == 0 ? 0 : -ENOMEM;
}

int password_verify_sync(password_limits_t lim, const char *hash, const char *pw, size_t len,
                         bool *rehash)
{
    unsigned long long ops;
    size_t mem;
    limits(lim, &ops, &mem);
    if (rehash)
        *rehash = false;
    if (hash == NULL || crypto_pwhash_str_verify(hash, pw, len) != 0)
        return -EACCES;
    if (rehash)
        *rehash = crypto_pwhash_str_needs_rehash(hash, ops, mem) != 0;
    return 0;
}

static void pw_work(void *arg)
{
    pw_job_t *j = arg;
    if (j->verify)
        j->status = password_verify_sync(j->lim, j->hash, j->pw, j->len, &j->rehash);
    else
        j->status = password_hash_sync(j->lim, j->pw, j->len, j->hash);
}

static void pw_done(void *arg, bool cancelled)
{
    pw_job_t *j = arg;
    int status = cancelled ? -ECANCELED : j->status;
    if (j->verify)
        j->verify_cb(j->ud, status, j->rehash);
    else
        j->hash_cb(j->ud, status, status == 0 ? j->hash : NULL);
    sodium_memzero(j->pw, j->len);
    free(j);
}

static pw_job_t *pw_job_new(password_limits_t lim, const char *pw, size_t len)
{
    pw_job_t *j = xcalloc(1, sizeof *j + len + 1);
    j->lim = lim;
    j->len = len;
    memcpy(j->pw, pw, len);
    return j;
}

static int pw_submit(workq_t *q, pw_job_t *j)
{
    int err = workq_submit(q, pw_work, pw_done, j);
    if (err < 0) {
        sodium_memzero(j->pw, j->len);
        free(j);
    }
    return err;
}

int password_hash(workq_t *q, password_limits_t lim, const char *pw, size_t len,
                  password_hash_cb cb, void *ud)
{
    int err = password_check(pw, len);
    if (err < 0)
        return err;
    pw_job_t *j = pw_job_new(lim, pw, len);
    j->hash_cb = cb;
    j->ud = ud;
    return pw_submit(q, j);
}

int password_verify(workq_t *q, password_limits_t lim, const char *hash, const char *pw, size_t len,
                    password_verify_cb cb, void *ud)
{
    if (strlen(hash) >= PASSWORD_HASH_MAX)
        return -EINVAL;
    pw_job_t *j = pw_job_new(lim, pw, len);
    j->verify = true;
    j->verify_cb = cb;
    j->ud = ud;
    strcpy(j->hash, hash);
    return pw_submit(q, j);
}

void password_random(char *out, size_t n)
{
    unsigned char raw[48];
    size_t want = n - 1;
    randombytes_buf(raw, sizeof raw);
    char b64[sizeof raw * 2];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (want > strlen(b64))
        want = strlen(b64);
    memcpy(out, b64, want);
    out[want] = '\0';
    sodium_memzero(raw, sizeof raw);
}
