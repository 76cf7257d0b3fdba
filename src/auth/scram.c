/* SCRAM-SHA-256, server side (see scram.h).
 *
 * An exchange is two steps: client-first -> server-first (the salt, the iteration count and the
 * combined nonce), client-final -> server-final (the server's signature, or an error). The
 * messages that make up AuthMessage (client-first-bare, server-first) are kept between the steps;
 * everything secret (keys, the credentials looked up) is wiped when the exchange ends. Hashing is
 * OpenSSL (PBKDF2, HMAC, SHA-256, CRYPTO_memcmp), base64 and random bytes are libsodium. */
#include "auth/scram.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <utf8proc.h>

#include "util/xmalloc.h"

#define KEY_LEN    STORE_SCRAM_KEY_LEN
#define NONCE_RAW  18 /* random bytes of the server's nonce: 24 base64 characters */
#define NONCE_MAX  256
#define B64_MAX(n) (((n) + 2) / 3 * 4 + 1)

typedef enum { ST_FIRST, ST_FINAL, ST_DONE } state_t;

struct scram_server {
    scram_lookup_fn lookup;
    void *ud;
    uint32_t mock_iterations;
    state_t state;
    bool known;                  /* the user has credentials (else the exchange only pretends) */
    store_scram_t creds;         /* secret: wiped */
    char *user;                  /* unescaped authcid */
    char *gs2;                   /* the gs2 header, "n,," or "y,,", "n,a=NAME," ... */
    char *bare;                  /* client-first-message-bare */
    char *server_first;          /* server-first-message */
    char *nonce;                 /* client nonce + server nonce */
    char fixed_nonce[NONCE_MAX]; /* test hook; "" = random */
    bool authenticated;
};

/* ---- errors ---- */

const char *scram_err_value(int err)
{
    switch (err) {
    case SCRAM_EENCODING: return "invalid-encoding";
    case SCRAM_EEXTENSIONS: return "extensions-not-supported";
    case SCRAM_EPROOF:
    case SCRAM_EUNKNOWNUSER: /* not told apart on the wire (scram.h) */ return "invalid-proof";
    case SCRAM_ECBMISMATCH: return "channel-bindings-dont-match";
    case SCRAM_ECBUNSUPPORTED: return "channel-binding-not-supported";
    case SCRAM_EUSERNAME: return "invalid-username-encoding";
    default: return "other-error";
    }
}

/* ---- SASLprep ---- */

static bool maps_to_space(utf8proc_int32_t c) /* RFC 3454 C.1.2 */
{
    return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

static bool maps_to_nothing(utf8proc_int32_t c) /* RFC 3454 B.1 */
{
    return c == 0xAD || c == 0x34F || c == 0x1806 || (c >= 0x180B && c <= 0x180D) ||
           (c >= 0x200B && c <= 0x200D) || c == 0x2060 || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0xFEFF;
}

static bool prohibited(utf8proc_int32_t c)
{
    utf8proc_category_t cat = utf8proc_category(c);
    if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO ||
        cat == UTF8PROC_CATEGORY_CS || cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_ZL ||
        cat == UTF8PROC_CATEGORY_ZP)
        return true;
    return (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE || c == 0xFFFC || c == 0xFFFD ||
           (c >= 0x2FF0 && c <= 0x2FFB) || c == 0x340 || c == 0x341;
}

static bool plain_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return true;
}

int scram_saslprep(const char *pw, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (len == 0)
        return -EILSEQ;
    if (plain_ascii(pw, len)) {
        *out = xmemdup0(pw, len);
        *outlen = len;
        return 0;
    }
    /* Map (C.1.2 to space, B.1 to nothing) into a UTF-8 copy, then NFKC, then check. */
    char *mapped = xmalloc(len + 1), *norm = NULL;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)pw + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0 || c == 0) {
            rc = -EILSEQ;
            goto out;
        }
        if (maps_to_space(c))
            mapped[n++] = ' ';
        else if (!maps_to_nothing(c)) {
            memcpy(mapped + n, pw + i, (size_t)k);
            n += (size_t)k;
        }
        i += (size_t)k;
    }
    mapped[n] = '\0';
    utf8proc_uint8_t *nf = NULL;
    utf8proc_ssize_t nl = utf8proc_map((const utf8proc_uint8_t *)mapped, (utf8proc_ssize_t)n, &nf,
                                       UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
    norm = (char *)nf;
    if (nl <= 0) {
        rc = -EILSEQ;
        goto out;
    }
    for (utf8proc_ssize_t i = 0; i < nl;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(nf + i, nl - i, &c);
        if (k <= 0 || prohibited(c)) {
            rc = -EILSEQ;
            goto out;
        }
        i += k;
    }
    *out = norm;
    *outlen = (size_t)nl;
    norm = NULL;
out:
    sodium_memzero(mapped, len + 1);
    free(mapped);
    if (norm) {
        sodium_memzero(norm, strlen(norm));
        free(norm);
    }
    return rc;
}

/* ---- credentials ---- */

static void hmac(const uint8_t *key, size_t klen, const void *msg, size_t mlen,
                 uint8_t out[KEY_LEN])
{
    unsigned int olen = KEY_LEN;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen);
}

int scram_derive(const char *pw, size_t len, const uint8_t *salt, size_t salt_len,
                 uint32_t iterations, store_scram_t *out)
{
    uint8_t salted[KEY_LEN], client_key[KEY_LEN];
    char *prep = NULL;
    size_t plen = 0;
    *out = (store_scram_t){0};
    if (salt_len == 0 || salt_len > STORE_SCRAM_SALT_MAX || iterations < SCRAM_MIN_ITERATIONS ||
        iterations > SCRAM_MAX_ITERATIONS)
        return -EINVAL;
    int rc = scram_saslprep(pw, len, &prep, &plen);
    if (rc < 0)
        return rc;
    if (PKCS5_PBKDF2_HMAC(prep, (int)plen, salt, (int)salt_len, (int)iterations, EVP_sha256(),
                          KEY_LEN, salted) != 1) {
        rc = -ENOMEM;
        goto out;
    }
    hmac(salted, KEY_LEN, "Client Key", 10, client_key);
    SHA256(client_key, KEY_LEN, out->stored_key);
    hmac(salted, KEY_LEN, "Server Key", 10, out->server_key);
    memcpy(out->salt, salt, salt_len);
    out->salt_len = salt_len;
    out->iterations = iterations;
out:
    sodium_memzero(salted, sizeof salted);
    sodium_memzero(client_key, sizeof client_key);
    sodium_memzero(prep, plen);
    free(prep);
    return rc;
}

int scram_creds_new(const char *pw, size_t len, uint32_t iterations, store_scram_t *out)
{
    uint8_t salt[SCRAM_SALT_LEN];
    randombytes_buf(salt, sizeof salt);
    return scram_derive(pw, len, salt, sizeof salt, iterations, out);
}

/* ---- the exchange ---- */

static uint8_t mock_secret[KEY_LEN];
static pthread_once_t mock_once = PTHREAD_ONCE_INIT;

static void mock_init(void)
{
    randombytes_buf(mock_secret, sizeof mock_secret);
}

/* An unknown user's fake credentials: a salt that is stable for the name during the process. */
static void mock_creds(const char *user, uint32_t iterations, store_scram_t *out)
{
    uint8_t h[KEY_LEN];
    pthread_once(&mock_once, mock_init);
    hmac(mock_secret, sizeof mock_secret, user, strlen(user), h);
    *out = (store_scram_t){.iterations = iterations, .salt_len = SCRAM_SALT_LEN};
    memcpy(out->salt, h, SCRAM_SALT_LEN);
    randombytes_buf(out->stored_key, KEY_LEN);
    randombytes_buf(out->server_key, KEY_LEN);
}

scram_server_t *scram_server_new(scram_lookup_fn lookup, void *ud, uint32_t mock_iterations)
{
    scram_server_t *s = xcalloc(1, sizeof *s);
    s->lookup = lookup;
    s->ud = ud;
    s->mock_iterations =
        mock_iterations < SCRAM_MIN_ITERATIONS ? SCRAM_MIN_ITERATIONS : mock_iterations;
    return s;
}

/* Forgets the exchange's secrets (kept: the user name, once authenticated). */
static void wipe(scram_server_t *s)
{
    sodium_memzero(&s->creds, sizeof s->creds);
    free(s->gs2);
    free(s->bare);
    free(s->server_first);
    free(s->nonce);
    s->gs2 = s->bare = s->server_first = s->nonce = NULL;
}

void scram_server_free(scram_server_t *s)
{
    if (s == NULL)
        return;
    wipe(s);
    free(s->user);
    free(s);
}

void scram_server__set_nonce(scram_server_t *s, const char *nonce)
{
    snprintf(s->fixed_nonce, sizeof s->fixed_nonce, "%s", nonce);
}

const char *scram_server_user(const scram_server_t *s)
{
    return s->authenticated ? s->user : NULL;
}

const char *scram_server_authcid(const scram_server_t *s)
{
    return s->state == ST_FINAL || s->authenticated ? s->user : NULL;
}

/* A cursor over a message: attributes "x=value" separated by ','. */
typedef struct cur {
    const char *p, *end;
} cur_t;

/* Takes the attribute `name` at the cursor: its value in *v (length *vl), cursor past the next ','.
 */
static bool attr(cur_t *c, char name, const char **v, size_t *vl)
{
    if (c->end - c->p < 2 || c->p[0] != name || c->p[1] != '=')
        return false;
    const char *start = c->p + 2;
    const char *comma = memchr(start, ',', (size_t)(c->end - start));
    *v = start;
    *vl = (size_t)((comma ? comma : c->end) - start);
    c->p = comma ? comma + 1 : c->end;
    return true;
}

/* saslname: "=2C" is ',', "=3D" is '='; any other '=' is an error. NULL if invalid or empty. */
static char *unescape_name(const char *v, size_t vl)
{
    if (vl == 0)
        return NULL;
    char *out = xmalloc(vl + 1);
    size_t n = 0;
    for (size_t i = 0; i < vl; i++) {
        if (v[i] != '=') {
            out[n++] = v[i];
        } else if (vl - i >= 3 && (memcmp(v + i, "=2C", 3) == 0 || memcmp(v + i, "=3D", 3) == 0)) {
            out[n++] = v[i + 1] == '2' ? ',' : '=';
            i += 2;
        } else {
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    if (n == 0) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)out + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0 || c < 0x20 || c == 0x7F) {
            free(out);
            return NULL;
        }
        i += (size_t)k;
    }
    return out;
}

/* A nonce: printable ASCII but ',' (RFC 5802 "printable"). */
static bool nonce_ok(const char *v, size_t vl)
{
    if (vl == 0 || vl >= NONCE_MAX / 2)
        return false;
    for (size_t i = 0; i < vl; i++)
        if (v[i] < 0x21 || v[i] > 0x7E || v[i] == ',')
            return false;
    return true;
}

static char *b64(const uint8_t *bin, size_t len)
{
    char *out = xmalloc(B64_MAX(len));
    sodium_bin2base64(out, B64_MAX(len), bin, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Sets *out to "e=VALUE" and ends the exchange. */
static int fail(scram_server_t *s, int err, char **out, size_t *outlen)
{
    size_t n = strlen(scram_err_value(err)) + 3;
    *out = xmalloc(n);
    snprintf(*out, n, "e=%s", scram_err_value(err));
    *outlen = n - 1;
    s->state = ST_DONE;
    wipe(s);
    return err;
}

static int step_first(scram_server_t *s, const char *in, size_t len, char **out, size_t *outlen)
{
    cur_t c = {in, in + len};
    const char *v;
    size_t vl;
    /* gs2-header: cbind-flag "," [authzid] "," */
    if (len >= 2 && in[0] == 'p' && in[1] == '=')
        return SCRAM_ECBUNSUPPORTED;
    if (len < 3 || (in[0] != 'n' && in[0] != 'y') || in[1] != ',')
        return SCRAM_EENCODING;
    c.p = in + 2;
    char *authzid = NULL;
    if (c.p < c.end && *c.p == 'a') {
        if (!attr(&c, 'a', &v, &vl) || (authzid = unescape_name(v, vl)) == NULL)
            return SCRAM_EUSERNAME;
        if (c.p[-1] != ',') {
            free(authzid);
            return SCRAM_EENCODING;
        }
    } else if (c.p >= c.end || *c.p++ != ',') {
        return SCRAM_EENCODING;
    }
    s->gs2 = xstrndup(in, (size_t)(c.p - in));
    s->bare = xstrndup(c.p, (size_t)(c.end - c.p));
    /* client-first-message-bare: [reserved-mext ","] username "," nonce ["," extensions] */
    int rc = 0;
    if (c.end - c.p >= 2 && c.p[0] == 'm' && c.p[1] == '=')
        rc = SCRAM_EEXTENSIONS;
    else if (!attr(&c, 'n', &v, &vl) || (s->user = unescape_name(v, vl)) == NULL)
        rc = SCRAM_EUSERNAME;
    else if (authzid && strcmp(authzid, s->user) != 0)
        rc = SCRAM_EAUTHZID;
    else if (!attr(&c, 'r', &v, &vl) || !nonce_ok(v, vl))
        rc = SCRAM_EENCODING;
    free(authzid);
    if (rc < 0)
        return rc;

    s->known = s->lookup(s->ud, s->user, &s->creds) == 0 && s->creds.iterations > 0 &&
               s->creds.salt_len > 0 && s->creds.salt_len <= STORE_SCRAM_SALT_MAX;
    if (!s->known)
        mock_creds(s->user, s->mock_iterations, &s->creds);

    char snonce[NONCE_MAX];
    if (s->fixed_nonce[0]) {
        snprintf(snonce, sizeof snonce, "%s", s->fixed_nonce);
    } else {
        uint8_t raw[NONCE_RAW];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(snonce, sizeof snonce, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    }
    size_t nl = vl + strlen(snonce);
    s->nonce = xmalloc(nl + 1);
    memcpy(s->nonce, v, vl);
    memcpy(s->nonce + vl, snonce, strlen(snonce) + 1);
    char *salt = b64(s->creds.salt, s->creds.salt_len);
    size_t n = nl + strlen(salt) + 32;
    s->server_first = xmalloc(n);
    int w = snprintf(s->server_first, n, "r=%s,s=%s,i=%u", s->nonce, salt, s->creds.iterations);
    free(salt);
    *out = xstrdup(s->server_first);
    *outlen = (size_t)w;
    s->state = ST_FINAL;
    return SCRAM_CONTINUE;
}

static int step_final(scram_server_t *s, const char *in, size_t len, char **out, size_t *outlen)
{
    cur_t c = {in, in + len};
    const char *v;
    size_t vl;
    /* channel-binding "," nonce ["," extensions] "," proof: the proof is last. */
    char *want_cb = b64((const uint8_t *)s->gs2, strlen(s->gs2));
    bool cb_ok = attr(&c, 'c', &v, &vl) && vl == strlen(want_cb) && memcmp(v, want_cb, vl) == 0;
    free(want_cb);
    if (!cb_ok)
        return c.p > in ? SCRAM_ECBMISMATCH : SCRAM_EENCODING;
    if (!attr(&c, 'r', &v, &vl))
        return SCRAM_EENCODING;
    if (vl != strlen(s->nonce) || memcmp(v, s->nonce, vl) != 0)
        return SCRAM_ENONCE;
    const char *proof_at = NULL;
    for (const char *p = in; p + 3 <= c.end; p++)
        if (memcmp(p, ",p=", 3) == 0)
            proof_at = p;
    if (proof_at == NULL || proof_at < c.p - 1)
        return SCRAM_EENCODING;
    uint8_t proof[KEY_LEN];
    size_t plen = 0;
    const char *b64end = NULL;
    const char *pv = proof_at + 3;
    if (sodium_base642bin(proof, sizeof proof, pv, (size_t)(c.end - pv), NULL, &plen, &b64end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        b64end != c.end || plen != KEY_LEN)
        return SCRAM_EENCODING;

    /* AuthMessage = client-first-message-bare "," server-first-message ","
     *               client-final-message-without-proof */
    size_t bl = strlen(s->bare), fl = strlen(s->server_first), wl = (size_t)(proof_at - in);
    size_t ml = bl + 1 + fl + 1 + wl;
    char *msg = xmalloc(ml);
    memcpy(msg, s->bare, bl);
    msg[bl] = ',';
    memcpy(msg + bl + 1, s->server_first, fl);
    msg[bl + 1 + fl] = ',';
    memcpy(msg + bl + fl + 2, in, wl);

    uint8_t sig[KEY_LEN], client_key[KEY_LEN], stored[KEY_LEN];
    hmac(s->creds.stored_key, KEY_LEN, msg, ml, sig);
    for (size_t i = 0; i < KEY_LEN; i++)
        client_key[i] = proof[i] ^ sig[i];
    SHA256(client_key, KEY_LEN, stored);
    bool match = CRYPTO_memcmp(stored, s->creds.stored_key, KEY_LEN) == 0;
    int rc = !s->known ? SCRAM_EUNKNOWNUSER : match ? 0 : SCRAM_EPROOF;
    if (rc == 0) {
        hmac(s->creds.server_key, KEY_LEN, msg, ml, sig);
        char *v64 = b64(sig, KEY_LEN);
        *outlen = strlen(v64) + 2;
        *out = xmalloc(*outlen + 1);
        snprintf(*out, *outlen + 1, "v=%s", v64);
        free(v64);
        s->authenticated = true;
        s->state = ST_DONE;
        wipe(s);
    }
    sodium_memzero(client_key, sizeof client_key);
    sodium_memzero(sig, sizeof sig);
    free(msg);
    return rc;
}

int scram_server_step(scram_server_t *s, const char *in, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    int rc;
    if (s->state == ST_DONE)
        return fail(s, SCRAM_ESTATE, out, outlen);
    if (in == NULL || len == 0 || len > SCRAM_MESSAGE_MAX || memchr(in, '\0', len))
        return fail(s, SCRAM_EENCODING, out, outlen);
    if (s->state == ST_FIRST)
        rc = step_first(s, in, len, out, outlen);
    else
        rc = step_final(s, in, len, out, outlen);
    return rc < 0 ? fail(s, rc, out, outlen) : rc;
}
