/* Host powers: ejecting (with an optional ban), broadcasting to every table of a room, and editing
 * room and table settings, plus the admin API's versions of the edits (no session, no rights).
 * The rights are checked here on each call (access.c resolves them); an edit that can change
 * rights (the moderated flag, the folder) re-evaluates the room's people. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define TABLE_TOPIC_MAX 1000

/* s must be in r (a public room), or watch it, with host rights on the room (table 0) or a
 * table. */
static int need_host(const session_t *s, const room_t *r, uint32_t table)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL || (session__member(s, r) == NULL && !core_watching(s, r)))
        return CORE_ENOTINROOM;
    if (r->priv || core_right(s, r, table) < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    return 0;
}

int core_eject(session_t *s, room_t *r, const char *nick, bool table, int64_t ban_secs,
               const char *reason, int64_t *until)
{
    core_t *c = s->core;
    int rc = need_host(s, r, 0);
    if (rc < 0 && rc != CORE_EFORBIDDEN)
        return rc;
    if (r->priv)
        return CORE_EFORBIDDEN;
    if (ban_secs < 0 || ban_secs > CORE_MAX_BAN_SECS)
        return CORE_EBADREQ;
    session_t *dst = nick__find(c, nick);
    struct member *dm = dst && dst != s ? session__member(dst, r) : NULL;
    if (dm == NULL)
        return rc < 0 ? rc : CORE_ENOUSER; /* a non-host learns nothing about who is there */
    uint32_t tn = table ? dm->table->number : 0;
    if (core_right(s, r, tn) < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    if (dst->sysop || (!s->sysop && core_right(dst, r, tn) >= CORE_RIGHT_HOST))
        return CORE_EFORBIDDEN;

    int64_t end = 0;
    if (ban_secs > 0) {
        end = core__now_ms() + ban_secs * 1000;
        const char *key = dst->account ? dst->account : dst->fold;
        size_t kl = strlen(key);
        char *who = xmalloc(kl + 9);
        memcpy(who, dst->account ? "account:" : "nick:", dst->account ? 8 : 5);
        memcpy(who + (dst->account ? 8 : 5), key, kl + 1);
        rc = access__ban_add(r, tn, who, dst->account ? 0 : dst->addr, end, s->nick, reason);
        free(who);
        if (rc < 0)
            return rc;
    }
    core_event_t ev = {.type = EV_EJECTED,
                       .room = r->name,
                       .table = tn,
                       .nick = s->nick,
                       .reason = reason ? reason : "",
                       .ts = end};
    log_info("%s ejected %s from %s%s%s (ban %lld s)", s->nick, dst->nick, r->name,
             table ? " table " : "", table ? dm->table->name : "", (long long)ban_secs);
    session__drop_by(dm, "ejected", s->nick, reason && reason[0] ? reason : NULL);
    session__send(dst, &ev);
    c->stats.ejections++;
    if (ban_secs > 0)
        c->stats.bans++;
    if (ban_secs > 0)
        access__reeval_room(r); /* the same account elsewhere, or a guest on the same address */
    if (until)
        *until = end;
    return 0;
}

int core_broadcast(session_t *s, room_t *r, const char *text, size_t len, int64_t *ts)
{
    int rc = need_host(s, r, 0);
    if (rc == 0)
        rc = core__check_text(s->core, text, len);
    if (rc < 0)
        return rc;
    core_event_t ev = {
        .type = EV_BROADCAST,
        .room = r->name,
        .ts = core__now_ms(),
        .nick = s->nick,
        .colour = s->colour,
        .text = text,
        .text_len = len,
    };
    /* Each table's copy names its table, so each is encoded on its own. */
    list_foreach_safe(it, tmp, &r->tables)
    {
        table_t *t = list_entry(it, table_t, link);
        ev.table = t->number;
        room__publish(t, &ev);
        core_event_release(&ev);
        record__add(r, t->number, &ev);
    }
    s->core->stats.broadcasts++;
    if (ts)
        *ts = ev.ts;
    return 0;
}

int core_room_update(core_t *c, room_t *r, const core_room_edit_t *e)
{
    if (r == NULL || r->priv)
        return CORE_ENOROOM;
    if (e->capacity < 0 || e->capacity > CORE_MAX_CAPACITY)
        return CORE_ECAPACITY;
    if (e->moderated < -1 || e->moderated > 1 || (e->title && e->title[0] == '\0'))
        return CORE_EBADREQ;
    room_spec_t spec = {
        .name = r->name,
        .folder = e->folder,
        .title = e->title ? e->title : r->title,
        .topic = e->topic ? e->topic : r->topic,
        .capacity = e->capacity ? e->capacity : r->capacity,
        .moderated = e->moderated >= 0 ? e->moderated == 1 : r->moderated,
    };
    int rc = core_room_create(c, &spec, true, NULL); /* re-evaluates rights if they may change */
    if (rc < 0)
        return rc;
    core_event_t ev = {.type = EV_ROOM_UPDATED, .room = r->name, .in = r};
    list_foreach_safe(it, tmp, &r->tables)
    {
        room__publish(list_entry(it, table_t, link), &ev); /* one encoding for all tables */
    }
    core_event_release(&ev);
    return 0;
}

int core_edit_room(session_t *s, room_t *r, const core_room_edit_t *e)
{
    int rc = need_host(s, r, 0);
    if (rc < 0)
        return rc;
    if (e->folder)
        return CORE_EBADREQ; /* moving rooms is for the sysop's admin API */
    return core_room_update(s->core, r, e);
}

void access__tconf_topic(struct tconf *tc, const char *topic, const char *by, int64_t at)
{
    free(tc->topic);
    free(tc->topic_by);
    tc->topic = topic && topic[0] ? xstrdup(topic) : NULL;
    tc->topic_by = tc->topic && by && by[0] ? xstrdup(by) : NULL;
    tc->topic_at = tc->topic ? at : 0;
}

/* Sets the topic (by: the host's nick, NULL for the admin API) and tells the table. */
static int table_update(core_t *c, room_t *r, uint32_t table, const char *topic, const char *by)
{
    if (r == NULL || r->priv)
        return CORE_ENOROOM;
    if (table == 0 || table > CORE_MAX_TABLE)
        return CORE_ENOTABLE;
    if (topic == NULL)
        topic = "";
    size_t len = strlen(topic);
    if (len > TABLE_TOPIC_MAX)
        return CORE_ETEXTLONG;
    int64_t now = core__now_ms();
    if (c->store) {
        int rc = store_table_topic_put(c->store, r->name, table, topic, by, now);
        if (rc < 0) {
            log_error("storing a table topic of %s: %s", r->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    struct tconf *tc = access__tconf(r, table, len > 0);
    if (tc) {
        access__tconf_topic(tc, topic, by, now);
        if (tc->topic == NULL && tc->acl == NULL) {
            list_remove(&tc->link);
            free(tc);
        }
    }
    table_t *t = room_table_find(r, table);
    if (t) {
        core_event_t ev = {.type = EV_TABLE_UPDATED,
                           .room = r->name,
                           .table = table,
                           .nick = by,
                           .text = topic,
                           .text_len = len};
        room__publish(t, &ev);
        core_event_release(&ev);
    }
    return 0;
}

/* A host of the room or, by the table's own list, of that table. A table where s has none does
 * not exist for it (no_such_table, as for hop), also when s is no host at all: forbidden would
 * tell that the table is there. */
int core_edit_table(session_t *s, room_t *r, uint32_t table, const char *topic)
{
    int rc = need_host(s, r, 0);
    if (rc < 0 && rc != CORE_EFORBIDDEN)
        return rc;
    if (table == 0 || table > CORE_MAX_TABLE || core_right(s, r, table) == CORE_RIGHT_NONE)
        return CORE_ENOTABLE;
    if (r->priv || core_right(s, r, table) < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    return table_update(s->core, r, table, topic, s->nick);
}

int core_table_update(core_t *c, room_t *r, uint32_t table, const char *topic)
{
    return table_update(c, r, table, topic, NULL);
}

const char *table_topic_by(const table_t *t)
{
    const struct tconf *tc = access__tconf(t->room, t->number, false);
    return tc && tc->topic_by ? tc->topic_by : "";
}

int64_t table_topic_at(const table_t *t)
{
    const struct tconf *tc = access__tconf(t->room, t->number, false);
    return tc && tc->topic ? tc->topic_at : 0;
}

const char *table_topic(const table_t *t)
{
    const struct tconf *tc = access__tconf(t->room, t->number, false);
    return tc && tc->topic ? tc->topic : "";
}
