/* Private 1-on-1 rooms and the invitations that open them.
 *
 * An invitation lives in core.invites until it is answered, expires (checked lazily: when it is
 * answered and whenever a new one is made) or either session is freed. Accepting creates a private
 * room "~private-N" ('~' cannot start a public room name, so no public room can share it) of
 * capacity 2, kept in core.privates only: core_room_find, the room list and REST never see it, and
 * core_enter refuses it, so only the two seated here are ever in it. It is never stored and is
 * freed when the last of the two leaves (session.c calls private__maybe_free). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "util/xmalloc.h"

static void invite_free(struct invite *iv)
{
    list_remove(&iv->link);
    free(iv);
}

static void invites_expire(core_t *c, int64_t now)
{
    list_foreach_safe(it, tmp, &c->invites)
    {
        struct invite *iv = list_entry(it, struct invite, link);
        if (iv->expires <= now)
            invite_free(iv);
    }
}

/* s's live invitation id, or NULL. */
static struct invite *invite_find(session_t *s, uint64_t id)
{
    core_t *c = s->core;
    invites_expire(c, core__now_ms());
    list_foreach(it, &c->invites)
    {
        struct invite *iv = list_entry(it, struct invite, link);
        if (iv->id == id)
            return iv->to == s ? iv : NULL;
    }
    return NULL;
}

static void send_one(session_t *s, core_event_t *ev)
{
    s->ops->deliver(s->ctx, ev);
    s->core->stats.deliveries++;
    core_event_release(ev);
}

int core_invite(session_t *s, room_t *r, const char *to, uint64_t *invite)
{
    core_t *c = s->core;
    if (!s->ready)
        return CORE_EHELLOFIRST;
    table_t *t = r ? core_session_table(s, r) : NULL;
    if (t == NULL)
        return CORE_ENOTINROOM;
    if (core_session_lurking(s, r) || core_right(s, r, table_number(t)) < CORE_RIGHT_MODERATED)
        return CORE_EREADONLY;
    session_t *dst = nick__find(c, to);
    if (dst == NULL || dst == s || core_session_table(dst, r) != t || core_session_lurking(dst, r))
        return CORE_ENOUSER;

    int64_t now = core__now_ms();
    invites_expire(c, now);
    struct invite *iv = xcalloc(1, sizeof(*iv));
    iv->id = ++c->next_invite;
    iv->expires = now + CORE_INVITE_TTL_MS;
    iv->from = s;
    iv->to = dst;
    iv->moderated = core_right(s, r, table_number(t)) == CORE_RIGHT_MODERATED ||
                    core_right(dst, r, table_number(t)) == CORE_RIGHT_MODERATED;
    list_push_back(&c->invites, &iv->link);
    if (invite)
        *invite = iv->id;
    /* Someone who ignores s is not told; the invitation just expires. */
    if (!ignore__has(dst->ignores, s->fold)) {
        core_event_t ev = {.type = EV_INVITED,
                           .invite = iv->id,
                           .room = r->name,
                           .nick = s->nick,
                           .colour = s->colour};
        send_one(dst, &ev);
    }
    return 0;
}

int core_invite_accept(session_t *s, uint64_t invite, table_t **out)
{
    core_t *c = s->core;
    struct invite *iv = invite_find(s, invite);
    if (iv == NULL)
        return CORE_ENOINVITE;
    session_t *from = iv->from;
    bool moderated = iv->moderated;
    invite_free(iv);

    char name[32];
    snprintf(name, sizeof(name), "~private-%llu", (unsigned long long)++c->next_private);
    size_t tl = strlen(from->nick) + strlen(s->nick) + 4;
    char *title = xmalloc(tl);
    snprintf(title, tl, "%s & %s", from->nick, s->nick);
    room_spec_t spec = {
        .name = name, .title = title, .topic = "", .capacity = 2, .moderated = moderated};
    room_t *r = room__alloc(c, &spec);
    free(title);
    r->priv = true;
    HASH_ADD_KEYPTR(hh, c->privates, r->name, strlen(r->name), r);
    table_t *t = room_table_first(r);
    session__seat(from, t);
    session__seat(s, t);

    core_event_t ev = {.type = EV_INVITE_ACCEPTED, .invite = invite, .room = r->name, .at = t};
    send_one(from, &ev);
    if (out)
        *out = t;
    return 0;
}

int core_invite_decline(session_t *s, uint64_t invite)
{
    struct invite *iv = invite_find(s, invite);
    if (iv == NULL)
        return CORE_ENOINVITE;
    session_t *from = iv->from;
    invite_free(iv);
    core_event_t ev = {.type = EV_INVITE_DECLINED, .invite = invite, .nick = s->nick};
    send_one(from, &ev);
    return 0;
}

room_t *core_room_find_for(const session_t *s, const char *name)
{
    room_t *r = core_room_find(s->core, name);
    if (r || name == NULL)
        return r;
    HASH_FIND_STR(s->core->privates, name, r);
    return r && core_session_table(s, r) ? r : NULL;
}

void private__session_gone(session_t *s)
{
    list_foreach_safe(it, tmp, &s->core->invites)
    {
        struct invite *iv = list_entry(it, struct invite, link);
        if (iv->from == s || iv->to == s)
            invite_free(iv);
    }
}

void private__maybe_free(room_t *r)
{
    if (r->nusers > 0)
        return;
    HASH_DELETE(hh, r->core->privates, r);
    room__destroy(r);
}

void private__free_all(core_t *c)
{
    list_foreach_safe(it, tmp, &c->invites)
    {
        invite_free(list_entry(it, struct invite, link));
    }
    room_t *r, *tmp;
    HASH_ITER(hh, c->privates, r, tmp)
    {
        HASH_DELETE(hh, c->privates, r);
        room__destroy(r);
    }
}
