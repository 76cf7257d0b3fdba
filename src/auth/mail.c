/* E-mail messages and templates (see mail.h). Everything is built in a buf_t with a hard maximum;
 * the message is handed to the SMTP client (mailer.c) whole, so it can be checked and formatted
 * on the caller's thread and a bad subject or address fails at once instead of in the worker. */
#include "auth/mail.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "util/buf.h"
#include "util/xmalloc.h"

#define LINE_MAX_8BIT 998 /* RFC 5322 2.1.1 hard limit, without the CRLF */
#define QP_LINE_MAX   76  /* RFC 2045 6.7 rule 5, including the soft break's '=' */
#define FOLD_AT       78  /* RFC 5322 2.1.1 recommended header line length */
#define EW_CHUNK      36  /* subject bytes per encoded word: 48 base64 chars, 60-char word */
#define RENDER_MAX    (1024 * 1024)
#define TEMPLATE_MAX  (64 * 1024)

int mail_addr_check(const char *addr)
{
    if (addr == NULL)
        return -EINVAL;
    size_t len = strlen(addr);
    const char *at = strchr(addr, '@');
    if (len == 0 || len > MAIL_ADDR_MAX || at == NULL || at == addr || at[1] == '\0' ||
        strchr(at + 1, '@') != NULL)
        return -EINVAL;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("<>()[],;:\"\\", *p) != NULL)
            return -EINVAL;
    return 0;
}

int mail_subject_check(const char *subject)
{
    if (subject == NULL || strlen(subject) > MAIL_SUBJECT_MAX)
        return -EINVAL;
    for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
        if ((*p < ' ' && *p != '\t') || *p == 0x7f)
            return -EINVAL;
    return 0;
}

static void base64_append(buf_t *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        buf_append(b, q, 4);
    }
}

static bool subject_needs_encoding(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80)
            return true;
    return strstr(s, "=?") != NULL; /* would be read as an encoded word */
}

/* Encoded words of at most EW_CHUNK bytes each, never cutting a UTF-8 sequence. */
static void subject_encode_words(buf_t *b, const char *s)
{
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        size_t n = len - i < EW_CHUNK ? len - i : EW_CHUNK;
        while (n > 1 && i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80)
            n--; /* s[i + n] continues a character: end the word before that character */
        if (i > 0)
            buf_appends(b, "\r\n ");
        buf_appends(b, "=?UTF-8?B?");
        base64_append(b, (const unsigned char *)s + i, n);
        buf_appends(b, "?=");
        i += n;
    }
}

/* ASCII folded before a space once a line would pass FOLD_AT ("Subject: " starts the first). */
static void subject_fold(buf_t *b, const char *s)
{
    size_t col = strlen("Subject: ");
    const char *p = s;
    while (*p) {
        const char *word_end = p + 1 + strcspn(p + 1, " \t");
        size_t n = (size_t)(word_end - p);
        if (col + n > FOLD_AT && col > 0 && (*p == ' ' || *p == '\t')) {
            buf_appends(b, "\r\n");
            col = 0;
        }
        buf_append(b, p, n);
        col += n;
        p = word_end;
    }
}

char *mail_subject_encode(const char *subject)
{
    buf_t b;
    buf_init(&b, 8 * MAIL_SUBJECT_MAX);
    buf_append(&b, "", 0); /* an empty subject is "" too */
    if (subject_needs_encoding(subject))
        subject_encode_words(&b, subject);
    else
        subject_fold(&b, subject);
    return buf_steal(&b, NULL);
}

static void date_append(buf_t *b, time_t t)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
               months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void message_id_append(buf_t *b, const char *from, time_t t)
{
    unsigned char rnd[12];
    if (uv_random(NULL, NULL, rnd, sizeof(rnd), 0, NULL) != 0) {
        /* No entropy source: uniqueness, not secrecy, is what a Message-ID needs. */
        uint64_t x = uv_hrtime() ^ (uint64_t)(uintptr_t)b;
        for (size_t i = 0; i < sizeof(rnd); i++, x = x * 6364136223846793005ULL + 1)
            rnd[i] = (unsigned char)(x >> 56);
    }
    buf_printf(b, "Message-ID: <%lld.", (long long)t);
    for (size_t i = 0; i < sizeof(rnd); i++)
        buf_printf(b, "%02x", rnd[i]);
    buf_printf(b, "@%s>\r\n", strchr(from, '@') + 1);
}

/* Length of the longest line of `s` (lines end at CR, LF or CRLF). */
static size_t longest_line(const char *s)
{
    size_t max = 0;
    while (*s) {
        size_t n = strcspn(s, "\r\n");
        if (n > max)
            max = n;
        s += n;
        s += (s[0] == '\r' && s[1] == '\n') ? 2 : (s[0] != '\0');
    }
    return max;
}

/* One line (no line end) in quoted-printable, with soft breaks. */
static void qp_line(buf_t *b, const unsigned char *p, size_t n)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        char enc[4];
        bool last = i + 1 == n;
        bool plain =
            (p[i] >= 33 && p[i] <= 126 && p[i] != '=') || ((p[i] == ' ' || p[i] == '\t') && !last);
        size_t w = plain ? 1 : 3;
        if (plain)
            enc[0] = (char)p[i];
        else
            snprintf(enc, sizeof(enc), "=%02X", p[i]);
        /* Leave room for the soft break's '=' unless this is the last character. */
        if (col + w > (last ? QP_LINE_MAX : QP_LINE_MAX - 1)) {
            buf_appends(b, "=\r\n");
            col = 0;
        }
        buf_append(b, enc, w);
        col += w;
    }
}

/* The body with CRLF line ends, in 8bit or quoted-printable, always ending with CRLF. */
static void body_append(buf_t *b, const char *s, bool qp)
{
    while (*s) {
        size_t n = strcspn(s, "\r\n");
        if (qp)
            qp_line(b, (const unsigned char *)s, n);
        else
            buf_append(b, s, n);
        buf_appends(b, "\r\n");
        s += n;
        s += (s[0] == '\r' && s[1] == '\n') ? 2 : (s[0] != '\0');
    }
}

int mail_format(const mail_msg_t *m, char **out, size_t *len)
{
    const char *body = m->body ? m->body : "";
    *out = NULL;
    if (mail_addr_check(m->from) < 0 || mail_addr_check(m->to) < 0 ||
        mail_subject_check(m->subject) < 0)
        return -EINVAL;
    if (strlen(body) > MAIL_BODY_MAX)
        return -EMSGSIZE;

    bool qp = longest_line(body) > LINE_MAX_8BIT;
    time_t t = m->date ? m->date : time(NULL);
    char *subject = mail_subject_encode(m->subject);
    buf_t b;
    /* Worst case: every body byte as =XX plus soft breaks, and the headers. */
    buf_init(&b, 4 * MAIL_BODY_MAX + 16 * MAIL_SUBJECT_MAX);
    date_append(&b, t);
    buf_printf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", m->from, m->to, subject);
    message_id_append(&b, m->from, t);
    buf_printf(&b,
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: %s\r\n\r\n",
               qp ? "quoted-printable" : "8bit");
    body_append(&b, body, qp);
    free(subject);
    *out = buf_steal(&b, len);
    return 0;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* If `p` opens a well-formed placeholder, returns its length and the name's span; else 0. */
static size_t placeholder_at(const char *p, const char **name, size_t *name_len)
{
    const char *q = p + 2;
    if (p[0] != '{' || p[1] != '{')
        return 0;
    q += strspn(q, " ");
    *name = q;
    while (is_name_char(*q))
        q++;
    *name_len = (size_t)(q - *name);
    q += strspn(q, " ");
    if (*name_len == 0 || q[0] != '}' || q[1] != '}')
        return 0;
    return (size_t)(q + 2 - p);
}

/* Renders into b; on -ENOENT, *bad and *bad_len name the unknown placeholder. */
static int render(buf_t *b, const char *tmpl, const mail_var_t *vars, size_t nvars,
                  const char **bad, size_t *bad_len)
{
    const char *p = tmpl;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (open == NULL) {
            if (buf_appends(b, p) < 0)
                return -E2BIG;
            break;
        }
        const char *name;
        size_t name_len, n = placeholder_at(open, &name, &name_len);
        if (buf_append(b, p, (size_t)(open - p) + (n ? 0 : 1)) < 0)
            return -E2BIG;
        p = open + (n ? n : 1);
        if (n == 0)
            continue;
        size_t i = 0;
        while (i < nvars &&
               (strncmp(vars[i].name, name, name_len) != 0 || vars[i].name[name_len] != '\0'))
            i++;
        if (i == nvars) {
            *bad = name;
            *bad_len = name_len;
            return -ENOENT;
        }
        if (buf_appends(b, vars[i].value ? vars[i].value : "") < 0)
            return -E2BIG;
    }
    return 0;
}

int mail_render(const char *tmpl, const mail_var_t *vars, size_t nvars, char **out)
{
    buf_t b;
    const char *bad;
    size_t bad_len;
    buf_init(&b, RENDER_MAX);
    buf_append(&b, "", 0);
    *out = NULL;
    int err = render(&b, tmpl, vars, nvars, &bad, &bad_len);
    if (err < 0) {
        buf_deinit(&b);
        return err;
    }
    *out = buf_steal(&b, NULL);
    return 0;
}

static const char default_subject[] = "Confirm your {{site}} account";
static const char default_body[] =
    "Hello {{nick}},\n"
    "\n"
    "someone, hopefully you, asked for the account \"{{nick}}\" on {{site}} with this e-mail\n"
    "address. To confirm it, open this link:\n"
    "\n"
    "    {{link}}\n"
    "\n"
    "or enter this code: {{code}}\n"
    "\n"
    "If it was not you, ignore this message: the account stays unconfirmed.\n"
    "\n"
    "-- \n"
    "{{site}}\n";

static const mail_var_t template_vars[] = {
    {"nick", "x"}, {"link", "x"}, {"code", "x"}, {"site", "x"}};

/* Checks that `text` (part of the template file) uses only the validation mail's placeholders. */
static int template_check(const char *text, const char *path, char *err, size_t errlen)
{
    buf_t b;
    const char *bad;
    size_t bad_len;
    buf_init(&b, RENDER_MAX);
    int rc = render(&b, text, template_vars, sizeof(template_vars) / sizeof(template_vars[0]), &bad,
                    &bad_len);
    buf_deinit(&b);
    if (rc == -ENOENT)
        snprintf(err, errlen, "%s: unknown placeholder {{%.*s}} (known: nick, link, code, site)",
                 path, (int)bad_len, bad);
    else if (rc < 0)
        snprintf(err, errlen, "%s: template too large", path);
    return rc < 0 ? -EINVAL : 0;
}

/* Splits "Subject: TEXT\n\nBODY" (LF or CRLF) into t. */
static int template_parse(mail_template_t *t, const char *text, const char *path, char *err,
                          size_t errlen)
{
    static const char prefix[] = "Subject:";
    size_t line = strcspn(text, "\n");
    if (strncasecmp(text, prefix, sizeof(prefix) - 1) != 0 || text[line] != '\n') {
        snprintf(err, errlen, "%s: the first line must be \"Subject: ...\"", path);
        return -EINVAL;
    }
    const char *s = text + sizeof(prefix) - 1;
    s += strspn(s, " \t");
    size_t slen = (size_t)(text + line - s);
    if (slen > 0 && s[slen - 1] == '\r')
        slen--;
    const char *body = text + line + 1;
    if (body[0] == '\r')
        body++;
    if (body[0] != '\n') {
        snprintf(err, errlen, "%s: an empty line must follow the Subject line", path);
        return -EINVAL;
    }
    t->subject = xstrndup(s, slen);
    t->body = xstrdup(body + 1);
    if (mail_subject_check(t->subject) < 0) {
        snprintf(err, errlen, "%s: the subject is too long or has control characters", path);
        return -EINVAL;
    }
    int rc = template_check(t->subject, path, err, errlen);
    return rc < 0 ? rc : template_check(t->body, path, err, errlen);
}

int mail_template_init(mail_template_t *t, const char *path, char *err, size_t errlen)
{
    t->subject = t->body = NULL;
    err[0] = '\0';
    if (path == NULL || path[0] == '\0') {
        t->subject = xstrdup(default_subject);
        t->body = xstrdup(default_body);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char *text = xmalloc(TEMPLATE_MAX + 1);
    size_t n = fread(text, 1, TEMPLATE_MAX + 1, f);
    int rc = 0;
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -EIO;
    } else if (n > TEMPLATE_MAX || memchr(text, '\0', n) != NULL) {
        snprintf(err, errlen, "%s: not a text file of at most %d bytes", path, TEMPLATE_MAX);
        rc = -EINVAL;
    } else {
        text[n] = '\0';
        rc = template_parse(t, text, path, err, errlen);
    }
    free(text);
    fclose(f);
    if (rc < 0)
        mail_template_deinit(t);
    return rc;
}

void mail_template_deinit(mail_template_t *t)
{
    free(t->subject);
    free(t->body);
    t->subject = t->body = NULL;
}
