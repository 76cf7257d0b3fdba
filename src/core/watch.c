/* Watching and forwarding, the two powers hosted events give hosts and monitors (core.h,
 * "hosted events"): a watcher gets the events of every table of a room without sitting at one
 * (a list per room that table_deliver in room.c walks only when it is not empty), and a forward
 * says a message of one event room's recent history again in another, marked with who asked. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "util/xmalloc.h"

static struct watch *watch_find(const session_t *s, const room_t *r)
{
    list_foreach(it, &s->watches)
    {
        struct watch *w = list_entry(it, struct watch, in_session);
        if (w->room == r)
            return w;
    }
    return NULL;
}

bool core_watching(const session_t *s, const room_t *r)
{
    return watch_find(s, r) != NULL;
}

static void watch_free(struct watch *w)
{
    list_remove(&w->in_room);
    list_remove(&w->in_session);
    w->session->core->watch_sessions--;
    free(w);
}

int core_watch(session_t *s, room_t *r)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL || r->priv)
        return CORE_ENOROOM;
    core_right_t right = core_right(s, r, 0);
    if (right == CORE_RIGHT_NONE)
        return CORE_ENOROOM;
    if (right < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    if (watch_find(s, r))
        return 0;
    unsigned n = 0;
    list_foreach(it, &s->watches)
    {
        n++;
    }
    if (n >= CORE_MAX_WATCHES)
        return CORE_EBADREQ;
    struct watch *w = xcalloc(1, sizeof(*w));
    w->session = s;
    w->room = r;
    list_push_back(&r->watchers, &w->in_room);
    list_push_back(&s->watches, &w->in_session);
    s->core->watch_sessions++;
    return 0;
}

int core_unwatch(session_t *s, room_t *r)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    struct watch *w = r ? watch_find(s, r) : NULL;
    if (w)
        watch_free(w);
    return 0;
}

static bool watched_type(core_event_type_t type)
{
    switch (type) {
    case EV_MESSAGE:
    case EV_BROADCAST:
    case EV_MEMBER_ENTERED:
    case EV_MEMBER_LEFT:
    case EV_MEMBER_HOPPED:
    case EV_LURKERS:
    case EV_NICK:
    case EV_TABLE_UPDATED: return true;
    default: return false;
    }
}

/* A hop that reaches both tables reaches a watcher through the first copy, unless it sits at
 * either table (then its own table hands it over); the second copy (echo) never. */
void event__watchers_deliver(table_t *t, core_event_t *ev)
{
    if (!watched_type(ev->type) || ev->echo)
        return;
    room_t *r = t->room;
    core_t *c = r->core;
    list_foreach(it, &r->watchers)
    {
        session_t *s = list_entry(it, struct watch, in_room)->session;
        struct member *m = session__member(s, r);
        if (m && (m->table == t ||
                  (ev->type == EV_MEMBER_HOPPED && ev->both && m->table->number == ev->to_table)))
            continue;
        if (ev->type == EV_MESSAGE && s->ignores && ignore__has(s->ignores, ev->from_fold))
            continue;
        s->ops->deliver(s->ctx, ev);
        c->stats.deliveries++;
    }
}

void event__watchers_drop(room_t *r, const char *reason, bool recheck)
{
    list_foreach_safe(it, tmp, &r->watchers)
    {
        struct watch *w = list_entry(it, struct watch, in_room);
        session_t *s = w->session;
        if (recheck && core_right(s, r, 0) >= CORE_RIGHT_HOST)
            continue;
        watch_free(w);
        if (reason) {
            core_event_t ev = {.type = EV_UNWATCHED, .room = r->name, .reason = reason};
            session__send(s, &ev);
        }
    }
}

void event__session_gone(session_t *s)
{
    list_foreach_safe(it, tmp, &s->watches)
    {
        watch_free(list_entry(it, struct watch, in_session));
    }
}

/* ---- forwarding ---- */

static const core_event_t *history_find(const table_t *t, uint64_t msg_id)
{
    unsigned cap = (unsigned)t->room->core->cfg.history_on_entry;
    for (unsigned i = 0; i < t->hist_len; i++) {
        const core_event_t *ev = &t->hist[(t->hist_head + i) % cap]->ev;
        if (ev->msg_id == msg_id)
            return ev;
    }
    return NULL;
}

/* "<nick> asks: <text>" cut to max bytes on a UTF-8 character boundary (malloc'd). */
static char *asks_text(const char *nick, const char *text, size_t tl, size_t max, size_t *len)
{
    size_t nl = strlen(nick), n = nl + 7 + tl;
    char *s = xmalloc(n + 1);
    memcpy(s, nick, nl);
    memcpy(s + nl, " asks: ", 7);
    memcpy(s + nl + 7, text, tl);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

int core_forward(session_t *s, room_t *r, uint32_t table, uint64_t msg_id, bool to_stage,
                 table_t **at, uint64_t *new_id)
{
    core_t *c = s->core;
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL)
        return CORE_ENOROOM;
    event_t *e = r->event;
    if (e == NULL || (to_stage && r == event_stage(e)) || (!to_stage && r == event_backstage(e)))
        return CORE_EBADREQ;
    if (event_state(e) == CORE_EVENT_ENDED)
        return CORE_EEVENTENDED;
    room_t *dst = to_stage ? event_stage(e) : event_backstage(e);
    bool ok = to_stage ? core_right(s, dst, 0) >= CORE_RIGHT_HOST
                       : core_right(s, r, 0) >= CORE_RIGHT_HOST &&
                             core_right(s, dst, 1) >= CORE_RIGHT_PARTICIPANT;
    if (!ok)
        return core_right(s, r, 0) == CORE_RIGHT_NONE ? CORE_ENOROOM : CORE_EFORBIDDEN;
    table_t *t = table ? room_table_find(r, table) : NULL;
    if (t == NULL)
        return CORE_ENOTABLE;
    const core_event_t *src = history_find(t, msg_id);
    if (src == NULL)
        return CORE_ENOMESSAGE;

    size_t len;
    char *text, *asked_by;
    if (src->asked_by) { /* forwarded before: the question and who asked it stay */
        len = src->text_len < c->cfg.max_text ? src->text_len : c->cfg.max_text;
        text = xmalloc(len + 1);
        memcpy(text, src->text, len);
        text[len] = '\0';
        asked_by = xstrdup(src->asked_by);
    } else {
        text = asks_text(src->nick, src->text, src->text_len, c->cfg.max_text, &len);
        asked_by = xstrdup(src->nick);
    }
    table_t *dt = room_table_first(dst);
    int rc = session__post(s, dst, dt, text, len, asked_by, new_id, NULL);
    free(text);
    free(asked_by);
    if (rc == 0 && at)
        *at = dt;
    return rc;
}
