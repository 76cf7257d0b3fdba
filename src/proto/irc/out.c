/* Building IRC lines: replies to one client (formatted into a stack buffer and cut to 512 bytes),
 * and the shared encodings of core events, each built once per variant and cached by event.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto/irc/irc_int.h"
#include "util/buf.h"

#define LINE_MAX_BYTES 512 /* with CR LF, without tags */

/* The largest n <= len at which s can be cut without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t n)
{
    if (n >= len)
        return len;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Bytes before the first CR or LF in len bytes at s. */
static size_t strcspn_n(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && s[n] != '\r' && s[n] != '\n')
        n++;
    return n;
}

/* prefix (taken as is) and the formatted rest, cut to fit, as one line. */
static void send_formatted(irc_client_t *c, const char *prefix, const char *fmt, va_list ap)
{
    char line[LINE_MAX_BYTES + 1];
    size_t pl = strlen(prefix);
    if (pl > LINE_MAX_BYTES - 2)
        pl = 0;
    memcpy(line, prefix, pl);
    int n = vsnprintf(line + pl, LINE_MAX_BYTES - 1 - pl, fmt, ap);
    if (n < 0)
        return;
    size_t len = utf8_cut(line, strlen(line), pl + (size_t)n);
    rbuf_t *b = rbuf_new(len + 2);
    memcpy(b->data, line, len);
    memcpy(b->data + len, "\r\n", 2);
    irc__send(c, b);
    rbuf_unref(b);
}

void irc__sendf(irc_client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_formatted(c, "", fmt, ap);
    va_end(ap);
}

void irc__numeric(irc_client_t *c, const char *num, const char *fmt, ...)
{
    char head[LINE_MAX_BYTES];
    snprintf(head, sizeof(head), ":%s %s %s ", irc__server(c), num, irc__nick(c));
    va_list ap;
    va_start(ap, fmt);
    send_formatted(c, head, fmt, ap);
    va_end(ap);
}

void irc__fail(irc_client_t *c, const char *cmd, const char *code, const char *context,
               const char *text)
{
    irc__sendf(c, ":%s FAIL %s %s%s%s :%s", irc__server(c), cmd, code, context ? " " : "",
               context ? context : "", text);
}

void irc__notice(irc_client_t *c, const char *fmt, ...)
{
    char head[LINE_MAX_BYTES];
    snprintf(head, sizeof(head), ":%s NOTICE %s :", irc__server(c), irc__nick(c));
    va_list ap;
    va_start(ap, fmt);
    send_formatted(c, head, fmt, ap);
    va_end(ap);
}

void irc__chan_name(char *out, size_t len, const char *room, uint32_t table)
{
    if (table <= 1)
        snprintf(out, len, "#%s", room);
    else
        snprintf(out, len, "#%s/%u", room, (unsigned)table);
}

void irc__join_target(char *out, size_t len, const char *chan, const char *account)
{
    snprintf(out, len, "%s %s", chan, account ? account : "*");
}

int irc__variant(const irc_client_t *c)
{
    if (c->caps & (IRC_CAP_MESSAGE_TAGS | IRC_CAP_ACCOUNT_TAG))
        return IRC_V_TAGS;
    return c->caps & IRC_CAP_SERVER_TIME ? IRC_V_TIME : IRC_V_PLAIN;
}

void irc__format_time(char *out, size_t len, int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03dZ", when, (int)(ms % 1000));
}

/* "@time=...;msgid=...;account=... " for the variant ("" for plain). */
static void tags(buf_t *b, int variant, uint64_t msg_id, int64_t ts, const char *account)
{
    if (variant == IRC_V_PLAIN)
        return;
    char when[40];
    irc__format_time(when, sizeof(when), ts);
    buf_printf(b, "@time=%s", when);
    if (variant == IRC_V_TAGS && msg_id)
        buf_printf(b, ";msgid=%llu", (unsigned long long)msg_id);
    if (variant == IRC_V_TAGS && account) /* account names have no character tags escape */
        buf_printf(b, ";account=%s", account);
    buf_appends(b, " ");
}

rbuf_t *irc__encode(int variant, uint64_t msg_id, int64_t ts, const char *source, const char *cmd,
                    const char *target, const char *text, size_t text_len)
{
    return irc__encode_acct(variant, msg_id, ts, NULL, source, cmd, target, text, text_len);
}

rbuf_t *irc__encode_acct(int variant, uint64_t msg_id, int64_t ts, const char *account,
                         const char *source, const char *cmd, const char *target, const char *text,
                         size_t text_len)
{
    if (ts == 0)
        ts = app_now_ms();
    buf_t tb, b;
    buf_init(&tb, 256);
    buf_init(&b, 16 * 1024 * 1024); /* max_text is at most 1 MiB: every line of it with its head */
    tags(&tb, variant, msg_id, ts, account);
    char head[LINE_MAX_BYTES];
    int hn = snprintf(head, sizeof(head), ":%s %s %s%s", source, cmd, target, text ? " :" : "");
    if (hn < 0 || (size_t)hn >= sizeof(head) - 16) {
        buf_deinit(&tb); /* a source and target this long do not exist */
        return NULL;
    }
    if (text == NULL) {
        buf_append(&b, tb.base ? tb.base : "", tb.len);
        buf_append(&b, head, (size_t)hn);
        buf_appends(&b, "\r\n");
    }
    /* the text: a line per line of it (CR and LF both end one; empty ones are dropped), each cut
     * at a UTF-8 boundary to fit 512 bytes with the head */
    size_t room = LINE_MAX_BYTES - 2 - (size_t)hn;
    size_t i = 0;
    while (text && i < text_len) {
        size_t end = i + strcspn_n(text + i, text_len - i);
        while (i < end) {
            size_t n = utf8_cut(text + i, end - i, room);
            if (n == 0)
                break;
            buf_append(&b, tb.base ? tb.base : "", tb.len);
            buf_append(&b, head, (size_t)hn);
            buf_append(&b, text + i, n);
            buf_appends(&b, "\r\n");
            i += n;
        }
        i = end + 1;
    }
    rbuf_t *r = NULL;
    if (b.len > 0) {
        r = rbuf_new(b.len);
        memcpy(r->data, b.base, b.len);
    }
    buf_deinit(&tb);
    buf_deinit(&b);
    return r;
}
