#include "net/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/conn_int.h"
#include "net/server.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* Plaintext encrypted per pass at most; the rest waits for the write to complete. */
#define TLS_FLUSH_MAX (256 * 1024)
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

struct tls {
    char *cert_file;
    char *key_file;
    SSL_CTX *ctx; /* for new connections; each SSL holds its own reference */
};

/* A connection's TLS state. The BIOs belong to ssl. */
struct tls_conn {
    SSL *ssl;
    BIO *rbio; /* ciphertext from the peer, waiting for SSL_read */
    BIO *wbio; /* ciphertext for the peer, waiting for the flush */
    bool handshake_done : 1;
    bool failed : 1;      /* handshake failed: only its alert is still sent */
    bool notify_sent : 1; /* our close_notify is in wbio or gone */
};

/* The latest OpenSSL error as text, and clears the queue. */
static const char *ssl_error(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, len, "unknown error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

static int readable(const char *what, const char *path, char *err, size_t errlen)
{
    if (path == NULL || path[0] == '\0') {
        snprintf(err, errlen, "[tls] %s is not set", what);
        return -EINVAL;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "cannot read [tls] %s %s: %s", what, path, strerror(e));
        return -e;
    }
    fclose(f);
    return 0;
}

/* A fresh SSL_CTX with our policy and the files' certificate and key. */
static int load_ctx(const char *cert, const char *key, SSL_CTX **out, char *err, size_t errlen)
{
    char why[256];
    EVP_PKEY *pkey = NULL;
    FILE *f = NULL;
    int rc;
    *out = NULL;
    if ((rc = readable("cert_file", cert, err, errlen)) < 0 ||
        (rc = readable("key_file", key, err, errlen)) < 0)
        return rc;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        snprintf(err, errlen, "cannot create a TLS context: %s", ssl_error(why, sizeof why));
        return -ENOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* no per-session server memory: TLS 1.3 resumes with stateless tickets */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    rc = -EINVAL;
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
        snprintf(err, errlen, "cannot set the TLS 1.2 ciphers: %s", ssl_error(why, sizeof why));
        goto out;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "[tls] cert_file %s is not a PEM certificate (chain): %s", cert,
                 ssl_error(why, sizeof why));
        goto out;
    }
    if ((f = fopen(key, "r")) != NULL)
        pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (pkey == NULL) {
        snprintf(err, errlen, "[tls] key_file %s is not a usable PEM private key: %s", key,
                 ssl_error(why, sizeof why));
        goto out;
    }
    if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "[tls] key_file %s does not match the certificate in %s: %s", key,
                 cert, ssl_error(why, sizeof why));
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_free(pkey);
    if (f)
        fclose(f);
    if (rc < 0)
        SSL_CTX_free(ctx);
    else
        *out = ctx;
    return rc;
}

int tls_new(const char *cert_file, const char *key_file, tls_t **out, char *err, size_t errlen)
{
    SSL_CTX *ctx;
    *out = NULL;
    int rc = load_ctx(cert_file, key_file, &ctx, err, errlen);
    if (rc < 0)
        return rc;
    tls_t *t = xcalloc(1, sizeof(*t));
    t->cert_file = xstrdup(cert_file);
    t->key_file = xstrdup(key_file);
    t->ctx = ctx;
    *out = t;
    return 0;
}

int tls_reload(tls_t *t, char *err, size_t errlen)
{
    SSL_CTX *ctx;
    int rc = load_ctx(t->cert_file, t->key_file, &ctx, err, errlen);
    if (rc < 0)
        return rc;
    SSL_CTX_free(t->ctx); /* open connections keep their own references */
    t->ctx = ctx;
    return 0;
}

void tls_describe(const tls_t *t, char *out, size_t outlen)
{
    X509 *x = SSL_CTX_get0_certificate(t->ctx);
    char subject[256] = "?", until[64] = "?";
    if (x) {
        X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
        BIO *b = BIO_new(BIO_s_mem());
        if (b && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
            int n = BIO_read(b, until, sizeof(until) - 1);
            until[n > 0 ? n : 0] = '\0';
        }
        BIO_free(b);
    }
    snprintf(out, outlen, "%s, valid until %s", subject, until);
}

void tls_free(tls_t *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t->cert_file);
    free(t->key_file);
    free(t);
}

/* ---- the transport ---- */

/* An emptied memory BIO keeps its largest buffer; give it back so an idle connection holds only
 * OpenSSL's per-connection state (its record buffers go with SSL_MODE_RELEASE_BUFFERS). */
static void bio_trim(BIO *b)
{
    BUF_MEM *bm = NULL;
    if (BIO_ctrl_pending(b) != 0)
        return;
    BIO_get_mem_ptr(b, &bm);
    if (bm && bm->max > 0)
        BIO_set_mem_buf(b, BUF_MEM_new(), BIO_CLOSE); /* frees the old one */
}

static void handshake_failed(conn_t *c, const char *why)
{
    char peer[64];
    c->tls->failed = true;
    server_stats(c->server)->tls_handshake_failures++;
    conn_peer(c, peer, sizeof(peer));
    log_info("TLS handshake with %s failed: %s", peer, why);
    /* with flush the alert OpenSSL wrote goes out first; a refused connection just goes */
    conn_close(c, !c->closing);
}

static void tls_read(conn_t *c, const char *data, size_t len)
{
    struct tls_conn *t = c->tls;
    char why[256];
    if (t->failed)
        return;
    BIO_write(t->rbio, data, (int)len);
    if (!t->handshake_done) {
        ERR_clear_error();
        int r = SSL_do_handshake(t->ssl);
        if (r != 1) {
            int e = SSL_get_error(t->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (BIO_ctrl_pending(t->wbio))
                    server__want_flush(c->server, c);
                return;
            }
            handshake_failed(c, e == SSL_ERROR_SSL ? ssl_error(why, sizeof why)
                                                   : "connection broke off");
            return;
        }
        t->handshake_done = true;
        server_stats(c->server)->tls++;
        server__want_flush(c->server, c); /* our last flight, and any refusal queued */
        if (!c->closing)
            server__ready(c); /* the listener's handler takes over */
        if (c->handle_closing)
            return;
    }
    size_t cap;
    char *buf = server__scratch(c->server, &cap); /* data was copied into rbio: reuse it */
    while (!c->handle_closing) {
        size_t got = 0;
        ERR_clear_error();
        if (SSL_read_ex(t->ssl, buf, cap, &got) == 1) {
            conn__deliver(c, buf, got);
            continue;
        }
        int e = SSL_get_error(t->ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            conn_close(c, true); /* the peer's close_notify: answer with ours */
        } else {
            log_debug("TLS read failed: %s", ssl_error(why, sizeof why));
            conn_close(c, false);
        }
        break;
    }
    if (c->handle_closing)
        return;
    bio_trim(t->rbio);
    if (BIO_ctrl_pending(t->wbio))
        server__want_flush(c->server, c);
}

/* Encrypts the queued plaintext (up to TLS_FLUSH_MAX) into wbio, adds a close_notify when a
 * flushing close has nothing left, and writes all ciphertext in one write. */
static void tls_flush(conn_t *c)
{
    struct tls_conn *t = c->tls;
    char why[256];
    if (t->handshake_done && !t->failed) {
        size_t done = 0, off;
        rbuf_t *b;
        while (done < TLS_FLUSH_MAX && (b = conn__queue_head(c, &off)) != NULL) {
            size_t n = 0;
            ERR_clear_error();
            if (SSL_write_ex(t->ssl, b->data + off, b->len - off, &n) != 1) {
                log_debug("TLS write failed: %s", ssl_error(why, sizeof why));
                conn_close(c, false);
                return;
            }
            conn__queue_consume(c, n);
            done += n;
        }
        if (c->close_after_flush && c->qlen == 0 && !t->notify_sent) {
            t->notify_sent = true;
            SSL_shutdown(t->ssl);
        }
    }
    size_t pend = BIO_ctrl_pending(t->wbio);
    if (pend == 0) {
        conn__drained(c);
        return;
    }
    rbuf_t *ct = rbuf_new(pend);
    BIO_read(t->wbio, ct->data, (int)pend);
    bio_trim(t->wbio);
    int rc = conn__write(c, ct);
    rbuf_unref(ct);
    if (rc == 1 && c->qlen > 0)
        server__want_flush(c->server, c); /* more than TLS_FLUSH_MAX was queued */
    else if (rc == 1)
        conn__drained(c);
}

static bool tls_pending(conn_t *c)
{
    struct tls_conn *t = c->tls;
    if (BIO_ctrl_pending(t->wbio) > 0)
        return true;
    return t->handshake_done && !t->failed && !t->notify_sent;
}

static void tls_conn_free(conn_t *c)
{
    struct tls_conn *t = c->tls;
    if (t->handshake_done)
        server_stats(c->server)->tls--;
    SSL_free(t->ssl);
    free(t);
    c->tls = NULL;
}

static const conn_transport_t tls_transport = {"tls", tls_read, tls_flush, tls_pending,
                                               tls_conn_free};

void tls_conn_start(conn_t *c, tls_t *tls)
{
    struct tls_conn *t = xcalloc(1, sizeof(*t));
    t->ssl = SSL_new(tls->ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
        log_error("out of memory for a TLS connection");
        abort(); /* as xmalloc does */
    }
    BIO_set_mem_eof_return(t->rbio, -1); /* empty means "wait for more", not EOF */
    BIO_set_mem_eof_return(t->wbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_accept_state(t->ssl);
    c->tls = t;
    c->tr = &tls_transport;
}
