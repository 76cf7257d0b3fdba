/* Outgoing e-mail over SMTP (libcurl) without blocking the loop.
 *
 * mailer_send() checks and formats the message on the loop thread (mail.h) and queues it; one
 * worker thread per mailer sends the queue one message at a time, each bounded by the configured
 * connect and total timeouts; the result comes back to the loop thread through a uv_async_t and
 * the callback runs there, never from inside mailer_send().
 *
 * Threads: every function here is called on the loop thread of `loop`.
 * Loop liveness: the mailer keeps the loop alive only while a callback is outstanding, so
 * uv_run() returns once every accepted mail has been reported.
 * Errors: 0 or a negative errno. Arguments are borrowed for the duration of the call. */
#ifndef PARLEY_AUTH_MAILER_H
#define PARLEY_AUTH_MAILER_H

#include <stdbool.h>

#include <uv.h>

#include "util/config.h"

#define MAILER_QUEUE_MAX 1000 /* mails accepted but not yet sent or failed */

typedef struct mailer mailer_t;

/* Reports one accepted mail, exactly once: status 0 (the relay accepted it) or a negative errno
 * (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -EACCES for refused AUTH, -EPROTO for TLS or protocol
 * trouble, -EIO for anything else, -ECANCELED when mailer_free() dropped it unsent). `msg` is NULL
 * on success, else a human-readable reason (libcurl's, with the server's reply if any), valid only
 * during the call. The callback may call mailer_free(). */
typedef void (*mail_done_cb)(void *ud, int status, const char *msg);

/* Creates a mailer for `cfg` (copied; the config may be freed afterwards). With an empty smtp_host
 * the mailer is created disabled: no thread, and mailer_send() returns -ENOTSUP. Returns 0 with
 * *out, or -EINVAL (bad from address, logged) or -EAGAIN/-ENOMEM (thread or handle setup). */
int mailer_new(uv_loop_t *loop, const config_mail_t *cfg, mailer_t **out);

/* Waits for the worker to finish the mail it is sending (at most the configured timeout), reports
 * every mail still queued with -ECANCELED, runs the pending callbacks, closes the uv handle (its
 * memory is released by the loop's next pass) and frees the mailer. NULL is a no-op. May be called
 * from a mail_done_cb. The last mailer freed also releases libcurl's global state. */
void mailer_free(mailer_t *m);

/* Queues a mail to `to`. `subject` and `body` are UTF-8 (see mail_format()). Returns 0 and later
 * calls cb(ud, ...) once; or fails at once without calling cb: -ENOTSUP (mail disabled), -EINVAL
 * (bad address, CR/LF or other control characters in the subject), -EMSGSIZE (body too big),
 * -ENOBUFS (MAILER_QUEUE_MAX mails outstanding), -ECANCELED (mailer closing). cb may be NULL. */
int mailer_send(mailer_t *m, const char *to, const char *subject, const char *body, mail_done_cb cb,
                void *ud);

/* Whether mailer_send() can send at all (smtp_host configured). */
bool mailer_enabled(const mailer_t *m);

#endif
