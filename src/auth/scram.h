/* SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash), the server side of one SASL exchange, and the
 * derivation of the credentials a server keeps (store_scram_t: salt, iterations, StoredKey,
 * ServerKey). Pure: no I/O, no loop; a protocol adapter (the IRC gateway's AUTHENTICATE) feeds it
 * the client's messages and sends what it answers.
 *
 * Supported: gs2 headers "n,," and "y,," (no channel binding; "p=" is refused with
 * channel-binding-not-supported), an authzid only if it equals the user name, no extensions
 * ("m=" is refused). Passwords go through scram_saslprep() (RFC 4013, see there) before hashing,
 * both when credentials are derived and by a conforming client; user names are looked up as the
 * accounts service does (any spelling of the account's name).
 *
 * Brute force: a server checks the client-final message through auth_scram_final() (auth.h), which
 * counts and delays attempts like password logins; scram_server_step() alone does not.
 *
 * An unknown user (or an account without credentials yet) gets a believable server-first message
 * (a salt derived from the name with a per-process secret), and the exchange then fails like a
 * wrong password, so the exchange does not tell which names exist: scram_server_step() returns
 * SCRAM_EUNKNOWNUSER for the caller's log, but the message sent is "e=invalid-proof".
 *
 * Threads: any, one exchange per thread at a time (the per-process secret is set up on first use
 * under a once-flag). Errors: 0 / SCRAM_CONTINUE or a negative SCRAM_E* code; -EINVAL, -EILSEQ for
 * argument errors of the helpers. Strings passed in are borrowed for the call. */
#ifndef PARLEY_AUTH_SCRAM_H
#define PARLEY_AUTH_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SCRAM_SALT_LEN       16   /* bytes of random salt for new credentials */
#define SCRAM_MIN_ITERATIONS 4096 /* RFC 7677's minimum */
#define SCRAM_MAX_ITERATIONS 10000000
#define SCRAM_MESSAGE_MAX    4096 /* longest client message accepted */

enum {
    SCRAM_CONTINUE = 1,      /* step: send *out, then feed the client's next message */
    SCRAM_EENCODING = -5100, /* invalid-encoding: not a SCRAM message */
    SCRAM_EEXTENSIONS,       /* extensions-not-supported ("m=" in client-first) */
    SCRAM_EPROOF,            /* invalid-proof: wrong password */
    SCRAM_ECBMISMATCH,       /* channel-bindings-dont-match: c= is not the gs2 header */
    SCRAM_ECBUNSUPPORTED,    /* channel-binding-not-supported ("p=" in the gs2 header) */
    SCRAM_EUNKNOWNUSER,      /* unknown-user (sent as invalid-proof, see above) */
    SCRAM_EUSERNAME,         /* invalid-username-encoding: bad "=" escape, empty, not UTF-8 */
    SCRAM_EAUTHZID,          /* other-error: an authzid other than the user name */
    SCRAM_ENONCE,            /* other-error: the final message's nonce is not the exchange's */
    SCRAM_ESTATE,            /* other-error: a step after the exchange ended */
};

/* The server-error-value (RFC 5802 section 7) sent for err, e.g. "invalid-proof". */
const char *scram_err_value(int err);

/* SASLprep (RFC 4013) of a password, approximated with utf8proc: ASCII without control characters
 * is returned as is; otherwise non-ASCII spaces become U+0020, characters "mapped to nothing" (soft
 * hyphen, zero-width joiners, variation selectors, ...) are removed, the result is NFKC, and
 * control characters, private use, non-characters, surrogates, unassigned code points and a string
 * that is empty afterwards are refused (-EILSEQ; -EILSEQ also for invalid UTF-8). *out (free it,
 * after wiping: it is a password) is NUL-terminated, *outlen its length. */
int scram_saslprep(const char *pw, size_t len, char **out, size_t *outlen);

/* Credentials for the password pw (SASLprep applied here) with the given salt and iterations:
 * SaltedPassword = PBKDF2-HMAC-SHA-256, StoredKey = H(HMAC(SaltedPassword, "Client Key")),
 * ServerKey = HMAC(SaltedPassword, "Server Key"). 0, -EINVAL (salt_len 1..STORE_SCRAM_SALT_MAX,
 * iterations SCRAM_MIN_ITERATIONS..SCRAM_MAX_ITERATIONS) or -EILSEQ (scram_saslprep). */
int scram_derive(const char *pw, size_t len, const uint8_t *salt, size_t salt_len,
                 uint32_t iterations, store_scram_t *out);
/* As scram_derive with SCRAM_SALT_LEN fresh random bytes of salt. */
int scram_creds_new(const char *pw, size_t len, uint32_t iterations, store_scram_t *out);

/* Fills *out with the credentials of user (the name as the client sent it, unescaped). 0, or a
 * negative value for "no such user or no credentials" (the exchange goes on pretending). */
typedef int (*scram_lookup_fn)(void *ud, const char *user, store_scram_t *out);

typedef struct scram_server scram_server_t;

/* lookup is called once, during the first step. mock_iterations: what an unknown user's fake
 * challenge says (use the configured iteration count, so it looks like the real ones). */
scram_server_t *scram_server_new(scram_lookup_fn lookup, void *ud, uint32_t mock_iterations);
/* Wipes and frees. NULL is a no-op. */
void scram_server_free(scram_server_t *s);

/* Feeds the client's next message (client-first, then client-final; raw bytes, not base64).
 * *out (free it) always gets what to send back, *outlen its length:
 *   - SCRAM_CONTINUE with the server-first message after client-first;
 *   - 0 with the server-final message "v=..." after a client-final with the right proof;
 *   - a negative SCRAM_E* code with "e=VALUE" (scram_err_value) on failure; the exchange is over
 *     (further steps answer SCRAM_ESTATE). A protocol without an error path at the first step
 *     (SASL in IRC) just aborts with its own failure reply. */
int scram_server_step(scram_server_t *s, const char *in, size_t len, char **out, size_t *outlen);
/* The user name authenticated (as the client sent it), once a step returned 0; else NULL. */
const char *scram_server_user(const scram_server_t *s);
/* The user name the client-first message named (unescaped), authenticated or not yet; NULL before
 * a successful first step. */
const char *scram_server_authcid(const scram_server_t *s);

/* Test hook: use nonce (printable, no ',') as the server's part of the nonce instead of random. */
void scram_server__set_nonce(scram_server_t *s, const char *nonce);

#endif
