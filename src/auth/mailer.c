/* The SMTP sender (see mailer.h) on a worker queue (src/util/workq.h).
 *
 * mailer_send() formats the message and submits a job_t; the queue's thread sends one job at a
 * time with a fresh curl easy handle, and the job's done callback reports it on the loop thread.
 * One message at a time is enough for validation mail and keeps the relay's view simple; the
 * queue bound and curl's timeouts bound the backlog. mailer_free() stops the queue without
 * draining it: the mail being sent finishes, the rest is reported -ECANCELED.
 *
 * libcurl's global state is set up by the first mailer and released by the last one freed
 * (curl_global_init is not thread-safe in every libcurl, so the count sits behind a mutex). */
#include "auth/mailer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "auth/mail.h"
#include "util/log.h"
#include "util/workq.h"
#include "util/xmalloc.h"

typedef struct job {
    mailer_t *m; /* for the worker's read-only settings */
    mail_done_cb cb;
    void *ud;
    int status;
    char *errmsg; /* NULL or owned: why the send failed */
    char *msg;    /* owned: the formatted message */
    size_t len;
    size_t off;                   /* bytes handed to curl so far */
    char rcpt[MAIL_ADDR_MAX + 3]; /* "<to>" */
} job_t;

struct mailer {
    uv_loop_t *loop;
    bool enabled;

    /* Read-only after mailer_new(), used by the worker. */
    char *url;           /* smtp://HOST:PORT/EHLO-NAME */
    char *from;          /* header address */
    char *envelope_from; /* "<from>" */
    char *username;      /* NULL: no AUTH */
    char *password;
    long use_ssl;
    long timeout;
    long connect_timeout;

    workq_t *q; /* NULL when disabled */
    bool closed;
};

static pthread_mutex_t curl_mu = PTHREAD_MUTEX_INITIALIZER;
static int curl_users;

static int mailer__curl_acquire(void)
{
    int err = 0;
    pthread_mutex_lock(&curl_mu);
    if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        err = -ENOMEM;
    else
        curl_users++;
    pthread_mutex_unlock(&curl_mu);
    return err;
}

static void mailer__curl_release(void)
{
    pthread_mutex_lock(&curl_mu);
    if (--curl_users == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&curl_mu);
}

static int mailer__errno(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return 0;
    case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
    case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    case CURLE_LOGIN_DENIED: return -EACCES;
    case CURLE_OUT_OF_MEMORY: return -ENOMEM;
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_WEIRD_SERVER_REPLY: return -EPROTO;
    default: return -EIO;
    }
}

static size_t mailer__read(char *dst, size_t size, size_t nitems, void *ud)
{
    job_t *j = ud;
    size_t n = size * nitems;
    if (n > j->len - j->off)
        n = j->len - j->off;
    memcpy(dst, j->msg + j->off, n);
    j->off += n;
    return n;
}

/* Worker thread, without mu: one SMTP session for one job. Sets j->status and j->errmsg. */
static void mailer__send_one(mailer_t *m, job_t *j)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = curl_slist_append(NULL, j->rcpt);
    CURLcode rc = CURLE_OUT_OF_MEMORY;

    if (c == NULL || rcpt == NULL)
        goto out;
    /* Each setopt below only fails for an unknown option or out of memory. */
    if ((rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) ||
        (rc = curl_easy_setopt(c, CURLOPT_URL, m->url)) ||
        (rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp")) ||
        (rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) ||
        (rc = curl_easy_setopt(c, CURLOPT_USE_SSL, m->use_ssl)) ||
        (rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, m->connect_timeout)) ||
        (rc = curl_easy_setopt(c, CURLOPT_TIMEOUT, m->timeout)) ||
        /* CURLOPT_TIMEOUT does not cover the QUIT that curl_easy_cleanup() sends and waits for
         * (curl's own wait is 120 s): bound every wait for a reply of the relay too. */
        (rc = curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, m->timeout)) ||
        (rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->envelope_from)) ||
        (rc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt)) ||
        (rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, mailer__read)) ||
        (rc = curl_easy_setopt(c, CURLOPT_READDATA, j)) ||
        (rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L)) ||
        (rc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len)))
        goto out;
    if (m->username && ((rc = curl_easy_setopt(c, CURLOPT_USERNAME, m->username)) ||
                        (rc = curl_easy_setopt(c, CURLOPT_PASSWORD, m->password))))
        goto out;
    rc = curl_easy_perform(c);
out:
    j->status = mailer__errno(rc);
    if (rc != CURLE_OK) {
        long code = 0;
        if (c)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        char text[CURL_ERROR_SIZE + 64];
        int n = snprintf(text, sizeof(text), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        if (code > 0 && n > 0 && (size_t)n < sizeof(text))
            snprintf(text + n, sizeof(text) - (size_t)n, " (last SMTP reply %ld)", code);
        j->errmsg = xstrdup(text);
        log_warn("mail: sending failed: %s", text);
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
}

static void mailer__work(void *arg)
{
    job_t *j = arg;
    mailer__send_one(j->m, j);
    free(j->msg); /* the bulk of the job; no longer needed */
    j->msg = NULL;
}

static void mailer__done(void *arg, bool cancelled)
{
    job_t *j = arg;
    if (cancelled) {
        j->status = -ECANCELED;
        j->errmsg = xstrdup("the mailer was closed before this mail was sent");
    }
    if (j->cb)
        j->cb(j->ud, j->status, j->errmsg);
    free(j->errmsg);
    free(j->msg);
    free(j);
}

static void mailer__free(mailer_t *m)
{
    free(m->url);
    free(m->from);
    free(m->envelope_from);
    free(m->username);
    free(m->password);
    free(m);
}

/* Copies the settings; 0 or -EINVAL. */
static int mailer__configure(mailer_t *m, const config_mail_t *cfg)
{
    const char *host = cfg->smtp_host;
    if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") !=
        strlen(host)) {
        log_error("mail: smtp_host '%s' is not a host name or IP address", host);
        return -EINVAL;
    }
    if (mail_addr_check(cfg->from) < 0) {
        log_error("mail: from '%s' is not a plain e-mail address (user@domain)", cfg->from);
        return -EINVAL;
    }
    char ehlo[256];
    size_t ehlo_len = sizeof(ehlo);
    if (uv_os_gethostname(ehlo, &ehlo_len) != 0 || ehlo[0] == '\0' ||
        strspn(ehlo, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
            strlen(ehlo))
        snprintf(ehlo, sizeof(ehlo), "localhost");

    bool v6 = strchr(host, ':') != NULL;
    size_t n = strlen(host) + strlen(ehlo) + 32;
    m->url = xmalloc(n);
    snprintf(m->url, n, "smtp://%s%s%s:%d/%s", v6 ? "[" : "", host, v6 ? "]" : "", cfg->smtp_port,
             ehlo);
    m->from = xstrdup(cfg->from);
    n = strlen(cfg->from) + 3;
    m->envelope_from = xmalloc(n);
    snprintf(m->envelope_from, n, "<%s>", cfg->from);
    if (cfg->username && cfg->username[0]) {
        m->username = xstrdup(cfg->username);
        m->password = xstrdup(cfg->password ? cfg->password : "");
        if (cfg->starttls == CONFIG_STARTTLS_OFF)
            log_warn("mail: starttls = off with a username: the password crosses the network "
                     "in clear");
    }
    m->use_ssl = cfg->starttls == CONFIG_STARTTLS_REQUIRED ? CURLUSESSL_ALL
                 : cfg->starttls == CONFIG_STARTTLS_TRY    ? CURLUSESSL_TRY
                                                           : CURLUSESSL_NONE;
    m->timeout = cfg->timeout > 0 ? cfg->timeout : 10;
    m->connect_timeout = cfg->connect_timeout > 0 ? cfg->connect_timeout : m->timeout;
    if (m->connect_timeout > m->timeout)
        m->connect_timeout = m->timeout;
    return 0;
}

int mailer_new(uv_loop_t *loop, const config_mail_t *cfg, mailer_t **out)
{
    mailer_t *m = xcalloc(1, sizeof *m);
    bool curl_held = false;
    int err = 0;

    *out = NULL;
    m->loop = loop;
    if (cfg->smtp_host == NULL || cfg->smtp_host[0] == '\0') {
        log_info("mail: no smtp_host configured; sending mail is disabled");
        *out = m;
        return 0;
    }
    err = mailer__configure(m, cfg);
    if (err < 0)
        goto out;
    err = mailer__curl_acquire();
    if (err < 0)
        goto out;
    curl_held = true;
    err = workq_new(loop, &m->q);
    if (err < 0) {
        log_error("mail: cannot start the sending thread");
        goto out;
    }
    m->enabled = true;
    log_info("mail: sending through %s as %s", m->url, m->from);
    *out = m;
    m = NULL;
out:
    if (m) {
        if (curl_held)
            mailer__curl_release();
        mailer__free(m);
    }
    return err;
}

void mailer_free(mailer_t *m)
{
    if (m == NULL || m->closed)
        return;
    m->closed = true;
    if (m->enabled) {
        /* Finishes the mail being sent; the queued ones are reported cancelled, all before
         * workq_free() returns (also when called from one of our callbacks). */
        workq_free(m->q, false);
        m->q = NULL;
        mailer__curl_release();
    }
    mailer__free(m);
}

int mailer_send(mailer_t *m, const char *to, const char *subject, const char *body, mail_done_cb cb,
                void *ud)
{
    if (!m->enabled)
        return -ENOTSUP;
    if (m->closed)
        return -ECANCELED;
    if (workq_outstanding(m->q) >= MAILER_QUEUE_MAX)
        return -ENOBUFS;

    mail_msg_t mm = {.from = m->from, .to = to, .subject = subject, .body = body};
    char *msg;
    size_t len;
    int err = mail_format(&mm, &msg, &len);
    if (err < 0)
        return err;

    job_t *j = xcalloc(1, sizeof *j);
    j->m = m;
    j->cb = cb;
    j->ud = ud;
    j->msg = msg;
    j->len = len;
    snprintf(j->rcpt, sizeof(j->rcpt), "<%s>", to);
    err = workq_submit(m->q, mailer__work, mailer__done, j);
    if (err < 0) {
        free(j->msg);
        free(j);
    }
    return err;
}

bool mailer_enabled(const mailer_t *m)
{
    return m->enabled;
}
