/* E-mail messages: address and header checks, RFC 5322 formatting, and the {{name}} templates of
 * the account-validation mail. Pure functions, no I/O except mail_template_init() reading its
 * file; any thread. Sending is src/auth/mailer.h.
 *
 * Errors: 0 or a negative errno. Arguments are borrowed; strings returned through `out` pointers
 * are the caller's to free(). */
#ifndef PARLEY_AUTH_MAIL_H
#define PARLEY_AUTH_MAIL_H

#include <stddef.h>
#include <time.h>

#define MAIL_ADDR_MAX    254 /* RFC 5321 path limit */
#define MAIL_SUBJECT_MAX 512 /* bytes, before encoding */
#define MAIL_BODY_MAX    (64 * 1024)

/* 0 if `addr` is a plain addr-spec we are willing to put in a header and an SMTP envelope: one '@'
 * with something on both sides, at most MAIL_ADDR_MAX bytes, no whitespace, control characters or
 * any of <>()[],;:"\ (so no display names, lists, quoting or domain literals). Else -EINVAL. */
int mail_addr_check(const char *addr);

/* 0 if `subject` fits a header: at most MAIL_SUBJECT_MAX bytes, no CR, LF or other control
 * character except tab. Else -EINVAL (header injection is refused here, not escaped). */
int mail_subject_check(const char *subject);

/* The Subject header's value, folded with CRLF SP where needed: plain ASCII as is, anything else
 * (or text that looks like an encoded word) as RFC 2047 =?UTF-8?B?...?= words cut on character
 * boundaries. The subject must pass mail_subject_check(). */
char *mail_subject_encode(const char *subject);

typedef struct mail_msg {
    const char *from;    /* addr-spec */
    const char *to;      /* addr-spec */
    const char *subject; /* UTF-8 */
    const char *body;    /* UTF-8; LF, CRLF or CR line ends (all become CRLF) */
    time_t date;         /* 0: now */
} mail_msg_t;

/* Formats a complete RFC 5322 message: Date, From, To, Subject, Message-ID (random, at the
 * sender's domain), MIME-Version, Content-Type text/plain; charset=utf-8 and a body with CRLF line
 * ends, 8bit, or quoted-printable when a line is longer than 998 bytes. Dot-stuffing is left to
 * the SMTP client. Returns 0 with *out (NUL-terminated, *len bytes) or -EINVAL (bad address or
 * subject) or -EMSGSIZE (body over MAIL_BODY_MAX). */
int mail_format(const mail_msg_t *m, char **out, size_t *len);

/* Templates. A placeholder is {{name}} (spaces inside the braces allowed), name being letters,
 * digits and '_'. Its value is inserted verbatim. A placeholder whose name is not among `vars` is
 * an error (-ENOENT), so a typo in a template is not mailed to users; a "{{" that does not open a
 * well-formed placeholder is kept as text. */
typedef struct mail_var {
    const char *name;
    const char *value;
} mail_var_t;

int mail_render(const char *tmpl, const mail_var_t *vars, size_t nvars, char **out);

/* The account-validation mail. Its placeholders: {{nick}}, {{link}}, {{code}}, {{site}}. */
typedef struct mail_template {
    char *subject;
    char *body;
} mail_template_t;

/* Loads the validation template: the built-in text when `path` is NULL or "", else the file, whose
 * first line is "Subject: TEXT", followed by an empty line and the body. A file with placeholders
 * other than the four above is refused at load time. On error returns -errno or -EINVAL and writes
 * a message to err. Free with mail_template_deinit(). */
int mail_template_init(mail_template_t *t, const char *path, char *err, size_t errlen);
void mail_template_deinit(mail_template_t *t);

#endif
