/* The SMTP sender (see mailer.h), built like the store's writer (src/store/store.c).
 *
 * mailer_send() formats the message and pushes a job_t on `queue` under `mu`; the worker thread
 * takes one job at a time, sends it with a fresh curl easy handle, moves it with its status to
 * `done` and wakes the loop through `async`. On the loop thread the async callback moves `done` to
 * `ready` and runs the callbacks in order. One message at a time is enough for validation mail and
 * keeps the relay's view simple; the queue bound and curl's timeouts bound the backlog.
 *
 * Lifetime: mailer_free() may be called from inside a callback. It then runs the remaining
 * callbacks itself and leaves the final free to the dispatcher that is running (`dispatching`/
 * `free_pending`). The uv_async_t is allocated separately because it must outlive the mailer until
 * its close callback. The async handle is referenced only while callbacks are outstanding.
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
#include "util/list.h"
#include "util/log.h"
#include "util/xmalloc.h"

typedef struct job {
    list_t node;
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

    uv_async_t *async; /* owned; freed by its close callback */
    uv_thread_t thread;

    /* Shared with the worker, guarded by mu. */
    uv_mutex_t mu;
    uv_cond_t cond;
    list_t queue; /* accepted, not yet taken by the worker */
    list_t done;  /* sent or failed, callbacks not yet run */
    bool closing;

    /* Loop thread only. */
    list_t ready;       /* callbacks being run, in order */
    size_t outstanding; /* accepted, callback not yet run */
    int dispatching;    /* depth of mailer__dispatch() on the stack */
    bool closed;
    bool free_pending;
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

static void mailer__worker(void *arg)
{
    mailer_t *m = arg;

    uv_mutex_lock(&m->mu);
    for (;;) {
        while (list_empty(&m->queue) && !m->closing)
            uv_cond_wait(&m->cond, &m->mu);
        if (m->closing)
            break; /* what is still queued is cancelled by mailer_free() */
        job_t *j = list_entry(m->queue.next, job_t, node);
        list_remove(&j->node);
        uv_mutex_unlock(&m->mu);

        mailer__send_one(m, j);
        free(j->msg); /* the bulk of the job; no longer needed */
        j->msg = NULL;

        uv_mutex_lock(&m->mu);
        list_push_back(&m->done, &j->node);
        uv_async_send(m->async);
    }
    uv_mutex_unlock(&m->mu);
}

static void mailer__free(mailer_t *m)
{
    if (m->enabled) {
        uv_cond_destroy(&m->cond);
        uv_mutex_destroy(&m->mu);
    }
    free(m->url);
    free(m->from);
    free(m->envelope_from);
    free(m->username);
    free(m->password);
    free(m);
}

/* Loop thread: runs every finished job's callback, in order. Re-entrant: a callback may call
 * mailer_free(), which drains `ready` itself; the outermost call then frees the mailer. */
static void mailer__dispatch(mailer_t *m)
{
    uv_mutex_lock(&m->mu);
    while (!list_empty(&m->done)) {
        list_t *it = m->done.next;
        list_remove(it);
        list_push_back(&m->ready, it);
    }
    uv_mutex_unlock(&m->mu);

    m->dispatching++;
    while (!list_empty(&m->ready)) {
        job_t *j = list_entry(m->ready.next, job_t, node);
        list_remove(&j->node);
        if (--m->outstanding == 0 && m->async)
            uv_unref((uv_handle_t *)m->async);
        if (j->cb)
            j->cb(j->ud, j->status, j->errmsg);
        free(j->errmsg);
        free(j->msg);
        free(j);
    }
    m->dispatching--;
    if (m->dispatching == 0 && m->free_pending)
        mailer__free(m);
}

static void on_async(uv_async_t *h)
{
    if (h->data)
        mailer__dispatch(h->data);
}

static void on_async_close(uv_handle_t *h)
{
    free(h);
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
    bool curl_held = false, sync_inited = false, async_inited = false;
    int err = 0;

    *out = NULL;
    m->loop = loop;
    list_init(&m->queue);
    list_init(&m->done);
    list_init(&m->ready);
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
    if (uv_mutex_init(&m->mu) != 0) {
        err = -ENOMEM;
        goto out;
    }
    if (uv_cond_init(&m->cond) != 0) {
        uv_mutex_destroy(&m->mu);
        err = -ENOMEM;
        goto out;
    }
    sync_inited = true;
    m->enabled = true;

    m->async = xmalloc(sizeof *m->async);
    if (uv_async_init(loop, m->async, on_async) != 0) {
        err = -ENOMEM;
        goto out;
    }
    m->async->data = m;
    uv_unref((uv_handle_t *)m->async); /* referenced while mails are outstanding */
    async_inited = true;

    if (uv_thread_create(&m->thread, mailer__worker, m) != 0) {
        log_error("mail: cannot start the sending thread");
        err = -EAGAIN;
        goto out;
    }
    log_info("mail: sending through %s as %s", m->url, m->from);
    *out = m;
    m = NULL;
out:
    if (m) {
        if (async_inited)
            uv_close((uv_handle_t *)m->async, on_async_close);
        else
            free(m->async);
        if (curl_held)
            mailer__curl_release();
        m->enabled = sync_inited;
        mailer__free(m);
    }
    return err;
}

void mailer_free(mailer_t *m)
{
    if (m == NULL || m->closed)
        return;
    m->closed = true;
    if (!m->enabled) {
        mailer__free(m);
        return;
    }

    uv_mutex_lock(&m->mu);
    m->closing = true;
    uv_cond_signal(&m->cond);
    uv_mutex_unlock(&m->mu);
    uv_thread_join(&m->thread); /* finishes the mail being sent, if any */
    mailer__curl_release();

    while (!list_empty(&m->queue)) {
        job_t *j = list_entry(m->queue.next, job_t, node);
        list_remove(&j->node);
        j->status = -ECANCELED;
        j->errmsg = xstrdup("the mailer was closed before this mail was sent");
        list_push_back(&m->done, &j->node);
    }
    m->async->data = NULL;
    uv_close((uv_handle_t *)m->async, on_async_close);
    m->async = NULL;

    mailer__dispatch(m);
    if (m->dispatching > 0)
        m->free_pending = true; /* called from a callback: the running dispatcher frees */
    else
        mailer__free(m);
}

int mailer_send(mailer_t *m, const char *to, const char *subject, const char *body, mail_done_cb cb,
                void *ud)
{
    if (!m->enabled)
        return -ENOTSUP;
    if (m->closed)
        return -ECANCELED;
    if (m->outstanding >= MAILER_QUEUE_MAX)
        return -ENOBUFS;

    mail_msg_t mm = {.from = m->from, .to = to, .subject = subject, .body = body};
    char *msg;
    size_t len;
    int err = mail_format(&mm, &msg, &len);
    if (err < 0)
        return err;

    job_t *j = xcalloc(1, sizeof *j);
    list_init(&j->node);
    j->cb = cb;
    j->ud = ud;
    j->msg = msg;
    j->len = len;
    snprintf(j->rcpt, sizeof(j->rcpt), "<%s>", to);

    uv_mutex_lock(&m->mu);
    list_push_back(&m->queue, &j->node);
    uv_cond_signal(&m->cond);
    uv_mutex_unlock(&m->mu);
    if (m->outstanding++ == 0)
        uv_ref((uv_handle_t *)m->async);
    return 0;
}

bool mailer_enabled(const mailer_t *m)
{
    return m->enabled;
}
