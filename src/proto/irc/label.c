/* labeled-response (ircv3.net): a command sent with a `label` tag by a client that negotiated the
 * capability has its response labelled. While the command runs, everything queued for the client
 * is captured (replies, and the events it causes for the client itself, such as its echo-message);
 * afterwards nothing becomes "ACK", one line carries the label, and several lines go in a
 * `labeled-response` batch whose BATCH +id line carries it (without `batch`, the lines go
 * unlabelled). An answer that comes later (SASL's password check, REGISTER's account creation)
 * carries the label of the command it answers in the same way (irc__label_defer, _resume); a
 * store failure reported after the message went out (FAIL PRIVMSG STORE_FAILED) does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/xmalloc.h"

#define LABEL_MAX 64 /* longer labels are ignored */

void irc__label_begin(irc_client_t *c, const irc_msg_t *m)
{
    if (!(c->caps & IRC_CAP_LABELED_RESPONSE))
        return;
    for (size_t i = 0; i < m->ntags; i++) {
        size_t n = strlen(m->tags[i].value);
        if (strcmp(m->tags[i].key, "label") != 0 || n == 0 || n > LABEL_MAX)
            continue;
        irc_tag_escape(m->tags[i].value, n, c->label, sizeof(c->label));
        c->capture = xcalloc(1, sizeof(*c->capture));
        buf_init(c->capture, 64 * 1024 * 1024);
        return;
    }
}

bool irc__label_capture(irc_client_t *c, const rbuf_t *b)
{
    if (c->capture == NULL)
        return false;
    buf_append(c->capture, b->data, b->len);
    return true;
}

void irc__label_defer(irc_client_t *c)
{
    if (c->capture == NULL)
        return;
    free(c->label_later);
    c->label_later = xstrdup(c->label);
    c->label_deferred = true;
}

void irc__label_resume(irc_client_t *c)
{
    if (c->label_later == NULL || c->capture) /* inside a command: its own label holds */
        return;
    snprintf(c->label, sizeof(c->label), "%s", c->label_later);
    free(c->label_later);
    c->label_later = NULL;
    c->capture = xcalloc(1, sizeof(*c->capture));
    buf_init(c->capture, 64 * 1024 * 1024);
}

void irc__label_drop(irc_client_t *c)
{
    free(c->label_later);
    c->label_later = NULL;
    if (c->capture) {
        buf_deinit(c->capture);
        free(c->capture);
        c->capture = NULL;
    }
}

void irc__label_end(irc_client_t *c)
{
    buf_t *cap = c->capture;
    if (cap == NULL)
        return;
    c->capture = NULL;
    if (c->label_deferred) { /* the answer comes later, labelled then */
        c->label_deferred = false;
        irc__send_buf(c, cap);
        buf_deinit(cap);
        free(cap);
        return;
    }
    size_t lines = 0;
    for (size_t i = 0; i < cap->len; i++)
        lines += cap->base[i] == '\n';
    buf_t out;
    buf_init(&out, 64 * 1024 * 1024 + 4096);
    char id[24] = "";
    if (lines == 0) {
        buf_printf(&out, "@label=%s :%s ACK\r\n", c->label, irc__server(c));
    } else if (lines == 1) {
        buf_printf(&out, "@label=%s%s", c->label, cap->base[0] == '@' ? ";" : " ");
        buf_append(&out, cap->base + (cap->base[0] == '@'), cap->len - (cap->base[0] == '@'));
    } else {
        irc__batch_id(c, id, sizeof(id));
        if (id[0])
            buf_printf(&out, "@label=%s :%s BATCH +%s labeled-response\r\n", c->label,
                       irc__server(c), id);
        irc__append_in_batch(&out, cap->base, cap->len, id);
        if (id[0])
            buf_printf(&out, ":%s BATCH -%s\r\n", irc__server(c), id);
    }
    irc__send_buf(c, &out);
    buf_deinit(&out);
    buf_deinit(cap);
    free(cap);
}
