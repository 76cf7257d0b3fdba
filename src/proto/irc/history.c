/* Stored history on IRC: the draft/chathistory command (ircv3.net "chathistory": BEFORE, AFTER,
 * LATEST, AROUND, BETWEEN with msgid= and timestamp= references, TARGETS) over
 * core_history_query(), replies in a `chathistory` batch when the client has `batch`; and the
 * replay of a table's recent messages on JOIN, as the web replays them on entry, for clients
 * without draft/chathistory (those fetch what they want: Ergo's behaviour, the spec's advice).
 *
 * Only messages are stored (no joins, parts or topics), and private messages never are: a nick
 * target answers an empty batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/history.h"
#include "proto/irc/irc_int.h"
#include "util/buf.h"

#define HISTORY_MAX 100 /* ISUPPORT CHATHISTORY: the largest limit; larger ones are clamped */

int irc__history_max(void)
{
    return HISTORY_MAX;
}

/* Batches and their ids: one counter for the process is enough (ids are per connection). */
static unsigned long batch_seq;

void irc__batch_id(const irc_client_t *c, char *id, size_t len)
{
    id[0] = '\0';
    if (c->caps & IRC_CAP_BATCH)
        snprintf(id, len, "b%lu", ++batch_seq);
}

void irc__batch_open(irc_client_t *c, const char *id, const char *type, const char *arg)
{
    if (id[0])
        irc__sendf(c, ":%s BATCH +%s %s%s%s", irc__server(c), id, type, arg ? " " : "",
                   arg ? arg : "");
}

void irc__batch_close(irc_client_t *c, const char *id)
{
    if (id[0])
        irc__sendf(c, ":%s BATCH -%s", irc__server(c), id);
}

void irc__append_in_batch(buf_t *out, const char *data, size_t len, const char *id)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        if (id[0] && strncmp(p, "@batch=", 7) == 0) {
            /* a line of an inner batch: its BATCH lines carry the outer tag, it keeps its own */
        } else if (id[0] && *p == '@') {
            buf_printf(out, "@batch=%s;", id);
            p++;
        } else if (id[0]) {
            buf_printf(out, "@batch=%s ", id);
        }
        buf_append(out, p, (size_t)(next - p));
        p = next;
    }
}

void irc__send_buf(irc_client_t *c, const buf_t *b)
{
    if (b->len == 0)
        return;
    rbuf_t *r = rbuf_new(b->len);
    memcpy(r->data, b->base, b->len);
    irc__send(c, r);
    rbuf_unref(r);
}

struct replay {
    irc_client_t *c;
    const char *chan;
    const char *batch;
    buf_t out;
};

static void one_message(void *ud, const core_event_t *ev)
{
    struct replay *rp = ud;
    char src[128];
    snprintf(src, sizeof(src), "%s!%s", ev->nick, IRC_USERHOST);
    size_t len;
    const char *text = irc__text_out(ev, &len);
    rbuf_t *b = irc__encode_acct(irc__variant(rp->c), ev->msg_id, ev->ts, ev->account, src,
                                 "PRIVMSG", rp->chan, text, len);
    if (b) {
        irc__append_in_batch(&rp->out, b->data, b->len, rp->batch);
        rbuf_unref(b);
    }
}

void irc__replay(irc_client_t *c, const table_t *t, const char *chan)
{
    if (c->caps & IRC_CAP_CHATHISTORY)
        return; /* it fetches what it wants */
    char id[24];
    irc__batch_id(c, id, sizeof(id));
    struct replay rp = {c, chan, id, {0}};
    buf_init(&rp.out, 64 * 1024 * 1024);
    core_table_history_for(c->s, t, one_message, &rp);
    if (rp.out.len) {
        irc__batch_open(c, id, "chathistory", chan);
        irc__send_buf(c, &rp.out);
        irc__batch_close(c, id);
    }
    buf_deinit(&rp.out);
}

/* ---- CHATHISTORY ---- */

/* "2019-01-04T14:33:26.123Z" (the fraction and the Z optional) -> ms since the epoch. */
static bool parse_time(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return false;
    int frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return false;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return true;
}

/* "msgid=N", "timestamp=T", or "*" where star is allowed. */
static bool parse_ref(const char *s, bool star, store_hq_ref_t *ref)
{
    *ref = (store_hq_ref_t){0};
    if (star && strcmp(s, "*") == 0)
        return true;
    if (strncmp(s, "msgid=", 6) == 0) {
        const char *d = s + 6;
        if (*d == '\0' || d[strspn(d, "0123456789")] || strlen(d) > 19)
            return false;
        ref->by = STORE_HQ_ID;
        ref->id = strtoull(d, NULL, 10);
        return ref->id != 0;
    }
    if (strncmp(s, "timestamp=", 10) == 0) {
        ref->by = STORE_HQ_TS;
        return parse_time(s + 10, &ref->ts);
    }
    return false;
}

static bool parse_limit(const char *s, int *limit)
{
    if (*s == '\0' || s[strspn(s, "0123456789")] || strlen(s) > 9)
        return false;
    *limit = atoi(s);
    if (*limit > HISTORY_MAX)
        *limit = HISTORY_MAX;
    return *limit > 0;
}

static const struct sub {
    const char *name;
    store_hq_kind_t kind;
    size_t nparams; /* after the subcommand */
} subs[] = {
    {"BEFORE", STORE_HQ_BEFORE, 3},   {"AFTER", STORE_HQ_AFTER, 3},
    {"LATEST", STORE_HQ_LATEST, 3},   {"AROUND", STORE_HQ_AROUND, 3},
    {"BETWEEN", STORE_HQ_BETWEEN, 4},
};

static void fail(irc_client_t *c, const char *code, const char *sub, const char *text)
{
    irc__fail(c, "CHATHISTORY", code, sub, text);
}

static void fail_on(irc_client_t *c, const char *code, const char *sub, const char *target,
                    const char *text)
{
    char ctx[600];
    snprintf(ctx, sizeof(ctx), "%s %s", sub, target);
    irc__fail(c, "CHATHISTORY", code, ctx, text);
}

static void latest_ts(void *ud, const core_event_t *ev)
{
    int64_t *latest = ud;
    if (ev->ts > *latest)
        *latest = ev->ts;
}

/* TARGETS ts1 ts2 limit: the channels the client is on with messages between the two times, with
 * the time of the latest (private messages are not stored, so no nicks). */
static void targets(irc_client_t *c, const irc_msg_t *m)
{
    store_hq_ref_t a, b;
    int limit;
    if (!parse_ref(m->params[1], false, &a) || !parse_ref(m->params[2], false, &b) ||
        a.by != STORE_HQ_TS || b.by != STORE_HQ_TS || !parse_limit(m->params[3], &limit)) {
        fail(c, "INVALID_PARAMS", "TARGETS", "Invalid timestamps or limit");
        return;
    }
    char id[24];
    irc__batch_id(c, id, sizeof(id));
    irc__batch_open(c, id, "draft/chathistory-targets", NULL);
    bool up = a.ts < b.ts;
    store_hist_q_t q = {.kind = STORE_HQ_BETWEEN, .ref = up ? b : a, .end = up ? a : b, .limit = 1};
    for (uint32_t i = 0; i < c->nchans && limit > 0; i++) {
        int64_t latest = 0;
        if (core_history_query(c->s, c->chans[i].room, c->chans[i].table, &q, latest_ts, &latest,
                               NULL) < 0 ||
            latest == 0)
            continue;
        char chan[IRC_CHAN_MAX], when[40];
        irc__chan_name(chan, sizeof(chan), c->chans[i].room, c->chans[i].table);
        irc__format_time(when, sizeof(when), latest);
        char line[256];
        snprintf(line, sizeof(line), "%s%s%s:%s CHATHISTORY TARGETS %s %s\r\n",
                 id[0] ? "@batch=" : "", id, id[0] ? " " : "", irc__server(c), chan, when);
        rbuf_t *r = rbuf_new(strlen(line));
        memcpy(r->data, line, strlen(line));
        irc__send(c, r);
        rbuf_unref(r);
        limit--;
    }
    irc__batch_close(c, id);
}

int irc__cmd_chathistory(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0];
    if (strcasecmp(name, "TARGETS") == 0) {
        if (m->nparams < 4)
            fail(c, "NEED_MORE_PARAMS", "TARGETS", "Missing parameters");
        else
            targets(c, m);
        return 0;
    }
    const struct sub *sub = NULL;
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcasecmp(subs[i].name, name) == 0)
            sub = &subs[i];
    if (sub == NULL) {
        fail(c, "INVALID_PARAMS", name, "Unknown subcommand");
        return 0;
    }
    if (m->nparams < 1 + sub->nparams) {
        fail(c, "NEED_MORE_PARAMS", sub->name, "Missing parameters");
        return 0;
    }
    const char *target = m->params[1];
    store_hist_q_t q = {.kind = sub->kind};
    bool between = sub->kind == STORE_HQ_BETWEEN;
    if (!parse_ref(m->params[2], sub->kind == STORE_HQ_LATEST, &q.ref) ||
        (between && !parse_ref(m->params[3], false, &q.end)) ||
        !parse_limit(m->params[between ? 4 : 3], &q.limit)) {
        fail_on(c, "INVALID_PARAMS", sub->name, target, "Invalid message reference or limit");
        return 0;
    }
    char room[40];
    uint32_t table = 0;
    bool chan = target[0] == '#';
    room_t *r = NULL;
    if (chan &&
        (!irc__chan_parse(target, room, sizeof(room), &table) ||
         (r = core_room_find_for(c->s, room)) == NULL || room_table_find(r, table) == NULL)) {
        fail_on(c, "INVALID_TARGET", sub->name, target, "No such channel");
        return 0;
    }
    if (!chan && !core_nick_held(c->group->core, target)) {
        fail_on(c, "INVALID_TARGET", sub->name, target, "No such nick");
        return 0;
    }
    char id[24];
    irc__batch_id(c, id, sizeof(id));
    struct replay rp = {c, target, id, {0}};
    buf_init(&rp.out, 64 * 1024 * 1024);
    int rc = chan ? core_history_query(c->s, room, table, &q, one_message, &rp, NULL) : 0;
    if (rc == 0) { /* a nick: private messages are not stored, the batch is empty */
        irc__batch_open(c, id, "chathistory", target);
        irc__send_buf(c, &rp.out);
        irc__batch_close(c, id);
    }
    buf_deinit(&rp.out);
    if (rc == CORE_ENOROOM || rc == CORE_ENOTABLE)
        fail_on(c, "INVALID_TARGET", sub->name, target, "No such channel");
    else if (rc == CORE_EBADREQ)
        fail_on(c, "INVALID_PARAMS", sub->name, target, "Invalid message reference or limit");
    else if (rc < 0)
        fail_on(c, "MESSAGE_ERROR", sub->name, target, "Messages could not be retrieved");
    return 0;
}
