/* Unit tests for src/auth/scram: the RFC 7677 test vector byte for byte, credential derivation,
 * SASLprep, and the failure cases of the exchange (wrong proof, unknown user, channel binding,
 * malformed messages, steps after the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/scram.h"

/* RFC 7677 section 3. */
#define V_SALT    "W22ZaJ0SNY7soEsUEjb6gQ=="
#define V_CFIRST  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE  "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_SFIRST  "r=rOprNGfwEbeRWgbNEkqO" V_SNONCE ",s=" V_SALT ",i=4096"
#define V_CFINAL0 "c=biws,r=rOprNGfwEbeRWgbNEkqO" V_SNONCE
#define V_CFINAL  V_CFINAL0 ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static int lookups;

/* "user" has the RFC's credentials (password "pencil"); nobody else exists. */
static int lookup(void *ud, const char *user, store_scram_t *out)
{
    lookups++;
    if (strcmp(user, "user") != 0)
        return -1;
    uint8_t salt[16];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(salt, sizeof salt, V_SALT, strlen(V_SALT), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    return scram_derive("pencil", 6, salt, n, 4096, out);
}

static scram_server_t *server(void)
{
    scram_server_t *s = scram_server_new(lookup, NULL, 4096);
    scram_server__set_nonce(s, V_SNONCE);
    return s;
}

/* Steps s with the string in; checks the return code and the exact answer. */
static void step(scram_server_t *s, const char *in, int want_rc, const char *want_out)
{
    char *out = NULL;
    size_t outlen = 0;
    int rc = scram_server_step(s, in, strlen(in), &out, &outlen);
    assert_int_equal(rc, want_rc);
    assert_non_null(out);
    assert_int_equal(outlen, strlen(want_out));
    assert_string_equal(out, want_out);
    free(out);
}

static void test_rfc7677_vector(void **state)
{
    scram_server_t *s = server();
    lookups = 0;
    step(s, V_CFIRST, SCRAM_CONTINUE, V_SFIRST);
    assert_int_equal(lookups, 1);
    assert_null(scram_server_user(s));
    step(s, V_CFINAL, 0, V_SFINAL);
    assert_string_equal(scram_server_user(s), "user");
    step(s, V_CFINAL, SCRAM_ESTATE, "e=other-error"); /* over */
    scram_server_free(s);
    scram_server_free(NULL);
}

static void test_derive(void **state)
{
    store_scram_t a, b;
    uint8_t salt[16] = {1, 2, 3};
    assert_int_equal(scram_derive("pencil", 6, salt, sizeof salt, 4096, &a), 0);
    assert_int_equal(a.iterations, 4096);
    assert_int_equal(a.salt_len, 16);
    assert_memory_equal(a.salt, salt, 16);
    assert_int_equal(scram_derive("pencil", 6, salt, sizeof salt, 4096, &b), 0);
    assert_memory_equal(a.stored_key, b.stored_key, 32);
    assert_int_equal(scram_derive("pencil", 6, salt, sizeof salt, 4097, &b), 0);
    assert_memory_not_equal(a.stored_key, b.stored_key, 32);
    assert_int_equal(scram_derive("pencil", 6, salt, sizeof salt, 4095, &b), -EINVAL);
    assert_int_equal(scram_derive("pencil", 6, salt, 0, 4096, &b), -EINVAL);
    assert_int_equal(scram_derive("pencil", 6, salt, 33, 4096, &b), -EINVAL);
    assert_int_equal(b.iterations, 0);
    assert_int_equal(scram_creds_new("pencil", 6, 4096, &a), 0);
    assert_int_equal(scram_creds_new("pencil", 6, 4096, &b), 0);
    assert_int_equal(a.salt_len, SCRAM_SALT_LEN);
    assert_memory_not_equal(a.salt, b.salt, SCRAM_SALT_LEN); /* random salt */
}

static void prep_is(const char *in, const char *want)
{
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(scram_saslprep(in, strlen(in), &out, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    free(out);
}

static void prep_refused(const char *in, size_t len)
{
    char *out = (char *)"x";
    size_t n = 1;
    assert_int_equal(scram_saslprep(in, len, &out, &n), -EILSEQ);
    assert_null(out);
    assert_int_equal(n, 0);
}

static void test_saslprep(void **state)
{
    prep_is("pencil", "pencil");
    prep_is("I\xc2\xadX", "IX"); /* RFC 4013 example: soft hyphen mapped to nothing */
    prep_is("user", "user");
    prep_is("\xc2\xaa", "a");      /* NFKC: feminine ordinal */
    prep_is("\xe2\x85\xa8", "IX"); /* NFKC: roman numeral nine */
    prep_is("a\xc2\xa0"
            "b",
            "a b");                            /* no-break space is a space */
    prep_is("caf\x65\xcc\x81", "caf\xc3\xa9"); /* composed */
    prep_refused("\x07", 1);                   /* control */
    prep_refused("a\x7f", 2);
    prep_refused("\xef\x80\x80", 3); /* private use U+F000 */
    prep_refused("\xc2\xad", 2);     /* empty once mapped */
    prep_refused("\xff\xfe", 2);     /* not UTF-8 */
    prep_refused("a\0b", 3);
    prep_refused("", 0);
    store_scram_t k;
    assert_int_equal(scram_derive("\x07pw", 3, (const uint8_t *)"salt", 4, 4096, &k), -EILSEQ);
}

/* One exchange with a client-first message that fails at once. */
static void first_fails(const char *cfirst, int err, const char *value)
{
    scram_server_t *s = server();
    char want[64];
    snprintf(want, sizeof want, "e=%s", value);
    step(s, cfirst, err, want);
    assert_null(scram_server_user(s));
    step(s, V_CFINAL, SCRAM_ESTATE, "e=other-error");
    scram_server_free(s);
}

static void test_client_first_errors(void **state)
{
    first_fails("p=tls-unique,,n=user,r=abc", SCRAM_ECBUNSUPPORTED,
                "channel-binding-not-supported");
    first_fails("x,,n=user,r=abc", SCRAM_EENCODING, "invalid-encoding");
    first_fails("n,,m=ext,n=user,r=abc", SCRAM_EEXTENSIONS, "extensions-not-supported");
    first_fails("n,,n=us=er,r=abc", SCRAM_EUSERNAME, "invalid-username-encoding");
    first_fails("n,,n=,r=abc", SCRAM_EUSERNAME, "invalid-username-encoding");
    first_fails("n,,r=abc", SCRAM_EUSERNAME, "invalid-username-encoding");
    first_fails("n,,n=user", SCRAM_EENCODING, "invalid-encoding");    /* no nonce */
    first_fails("n,,n=user,r=", SCRAM_EENCODING, "invalid-encoding"); /* empty nonce */
    first_fails("n,,n=user,r=a\x01", SCRAM_EENCODING, "invalid-encoding");
    first_fails("n,a=other,n=user,r=abc", SCRAM_EAUTHZID, "other-error");
    first_fails("n,a=user", SCRAM_EENCODING, "invalid-encoding");
    first_fails("n", SCRAM_EENCODING, "invalid-encoding");
    first_fails("n,", SCRAM_EENCODING, "invalid-encoding");
    first_fails("", SCRAM_EENCODING, "invalid-encoding");
    /* a NUL inside, and a message over the limit */
    scram_server_t *s = server();
    char *out;
    size_t n;
    assert_int_equal(scram_server_step(s, "n,,n=u\0,r=a", 11, &out, &n), SCRAM_EENCODING);
    free(out);
    scram_server_free(s);
    s = server();
    char *big = malloc(SCRAM_MESSAGE_MAX + 2);
    memset(big, 'a', SCRAM_MESSAGE_MAX + 1);
    memcpy(big, "n,,n=user,r=", 12);
    big[SCRAM_MESSAGE_MAX + 1] = '\0';
    step(s, big, SCRAM_EENCODING, "e=invalid-encoding");
    free(big);
    scram_server_free(s);
}

static void test_escapes_and_authzid(void **state)
{
    /* "=2C" and "=3D" unescape; the lookup sees the plain name (unknown here: pretends). */
    scram_server_t *s = server();
    char *out;
    size_t n;
    assert_int_equal(scram_server_step(s, "n,,n=a=2Cb=3Dc,r=xyz", 20, &out, &n), SCRAM_CONTINUE);
    assert_true(strncmp(out, "r=xyz" V_SNONCE ",s=", 5 + strlen(V_SNONCE) + 3) == 0);
    assert_non_null(strstr(out, ",i=4096"));
    free(out);
    scram_server_free(s);
    /* an authzid equal to the user, and "y" (client supports binding, thinks we do not) */
    s = server();
    step(s, "y,a=user,n=user,r=rOprNGfwEbeRWgbNEkqO", SCRAM_CONTINUE, V_SFIRST);
    /* c= must be base64("y,a=user,"), not "biws" */
    step(s, V_CFINAL, SCRAM_ECBMISMATCH, "e=channel-bindings-dont-match");
    scram_server_free(s);
}

static void final_fails(const char *cfinal, int err, const char *want)
{
    scram_server_t *s = server();
    step(s, V_CFIRST, SCRAM_CONTINUE, V_SFIRST);
    step(s, cfinal, err, want);
    assert_null(scram_server_user(s));
    scram_server_free(s);
}

static void test_client_final_errors(void **state)
{
    /* one bit of the proof changed: dHzb -> dHzc */
    final_fails(V_CFINAL0 ",p=dHzcZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", SCRAM_EPROOF,
                "e=invalid-proof");
    final_fails("c=eSws,r=rOprNGfwEbeRWgbNEkqO" V_SNONCE
                ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                SCRAM_ECBMISMATCH, "e=channel-bindings-dont-match");
    final_fails("c=biws,r=rOprNGfwEbeRWgbNEkqOXXX,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                SCRAM_ENONCE, "e=other-error");
    final_fails(V_CFINAL0, SCRAM_EENCODING, "e=invalid-encoding");           /* no proof */
    final_fails(V_CFINAL0 ",p=dHzb", SCRAM_EENCODING, "e=invalid-encoding"); /* short proof */
    final_fails(V_CFINAL0 ",p=!!!!", SCRAM_EENCODING, "e=invalid-encoding");
    final_fails("r=x,c=biws", SCRAM_EENCODING, "e=invalid-encoding");
    /* the wrong password */
    scram_server_t *s = scram_server_new(lookup, NULL, 4096);
    char *out;
    size_t n;
    assert_int_equal(scram_server_step(s, V_CFIRST, strlen(V_CFIRST), &out, &n), SCRAM_CONTINUE);
    free(out);
    step(s, "c=biws,r=wrong,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", SCRAM_ENONCE,
         "e=other-error");
    scram_server_free(s);
}

static void test_unknown_user_pretends(void **state)
{
    /* An unknown user gets a believable challenge, stable per name, and fails like a wrong
     * password on the wire. */
    char *o1, *o2;
    size_t n;
    scram_server_t *s = server();
    assert_int_equal(scram_server_step(s, "n,,n=nobody,r=abc", 17, &o1, &n), SCRAM_CONTINUE);
    scram_server_t *t = server();
    assert_int_equal(scram_server_step(t, "n,,n=nobody,r=abc", 17, &o2, &n), SCRAM_CONTINUE);
    assert_string_equal(o1, o2);
    assert_non_null(strstr(o1, ",i=4096"));
    free(o1);
    free(o2);
    step(s, "c=biws,r=abc" V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
         SCRAM_EUNKNOWNUSER, "e=invalid-proof");
    assert_null(scram_server_user(s));
    scram_server_free(s);
    scram_server_free(t);
    /* the mock honours the configured iteration count */
    s = scram_server_new(lookup, NULL, 10000);
    assert_int_equal(scram_server_step(s, "n,,n=nobody,r=abc", 17, &o1, &n), SCRAM_CONTINUE);
    assert_non_null(strstr(o1, ",i=10000"));
    free(o1);
    scram_server_free(s);
}

static void test_random_nonce(void **state)
{
    scram_server_t *s = scram_server_new(lookup, NULL, 4096);
    char *out;
    size_t n;
    assert_int_equal(scram_server_step(s, V_CFIRST, strlen(V_CFIRST), &out, &n), SCRAM_CONTINUE);
    /* r=CLIENTNONCE + 24 base64 characters */
    const char *comma = strchr(out, ',');
    assert_int_equal(comma - out, 2 + 20 + 24);
    assert_true(strncmp(out, "r=rOprNGfwEbeRWgbNEkqO", 22) == 0);
    assert_string_equal(comma, ",s=" V_SALT ",i=4096");
    free(out);
    scram_server_free(s);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7677_vector),
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_saslprep),
        cmocka_unit_test(test_client_first_errors),
        cmocka_unit_test(test_escapes_and_authzid),
        cmocka_unit_test(test_client_final_errors),
        cmocka_unit_test(test_unknown_user_pretends),
        cmocka_unit_test(test_random_nonce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
