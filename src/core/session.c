/* Sessions and the commands they give: hello, colour, enter, hop, leave, say and pm.
 *
 * Every command that changes who sits at a table publishes its event in an order that keeps the
 * actor out of the recipients: an arrival is announced before the member is linked, a departure
 * after it is unlinked (see core_int.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* ---- helpers ---- */

struct member *session__member(const session_t *s, const room_t *r)
{
    list_foreach(it, &s->members)
    {
        struct member *m = list_entry(it, struct member, in_session);
        if (m->table->room == r)
            return m;
    }
    return NULL;
}

static void session_link(struct member *m, table_t *t)
{
    m->table = t;
    list_push_back(&t->people, &m->in_table);
    t->fan_stale = true;
    t->nusers++;
    t->room->nusers++;
    if (m->lurk)
        t->nlurkers++;
}

static void session_unlink(struct member *m)
{
    table_t *t = m->table;
    list_remove(&m->in_table);
    t->fan_stale = true;
    t->nusers--;
    t->room->nusers--;
    if (m->lurk)
        t->nlurkers--;
}

void session__drop(struct member *m, const char *reason)
{
    session__drop_by(m, reason, NULL, NULL);
}

void session__drop_by(struct member *m, const char *reason, const char *by, const char *text)
{
    table_t *t = m->table;
    session_unlink(m);
    list_remove(&m->in_session);
    core_event_t ev = {.room = t->room->name, .table = t->number};
    if (m->lurk) {
        ev.type = EV_LURKERS;
        ev.count = t->nlurkers;
    } else {
        ev.type = EV_MEMBER_LEFT;
        ev.nick = m->session->nick;
        ev.reason = reason;
        ev.to_nick = by;
        ev.text = text;
        ev.text_len = text ? strlen(text) : 0;
    }
    room__publish(t, &ev);
    core_event_release(&ev);
    free(m);
    room_t *r = t->room;
    room__maybe_close(t); /* t may be gone now */
    if (r->priv)
        private__maybe_free(r);
}

void session__drop_quiet(struct member *m)
{
    table_t *t = m->table;
    session_unlink(m);
    list_remove(&m->in_session);
    free(m);
    room__maybe_close(t); /* t may be gone now */
}

void session__set_lurk(struct member *m, bool lurk, const char *reason)
{
    table_t *t = m->table;
    core_event_t ev = {.room = t->room->name, .table = t->number};
    session_unlink(m); /* the changer hears neither event */
    if (lurk) {
        ev.type = EV_MEMBER_LEFT;
        ev.nick = m->session->nick;
        ev.reason = reason;
        room__publish(t, &ev);
        core_event_release(&ev);
    }
    ev = (core_event_t){
        .type = EV_LURKERS, .room = t->room->name, .table = t->number, .count = t->nlurkers + lurk};
    room__publish(t, &ev);
    core_event_release(&ev);
    if (!lurk) {
        ev = (core_event_t){.type = EV_MEMBER_ENTERED,
                            .room = t->room->name,
                            .table = t->number,
                            .nick = m->session->nick,
                            .account = m->session->account,
                            .colour = m->session->colour};
        room__publish(t, &ev);
        core_event_release(&ev);
    }
    m->lurk = lurk;
    session_link(m, t);
}

void session__publish_rights(struct member *m)
{
    table_t *t = m->table;
    core_event_t ev = {.type = EV_MEMBER_RIGHTS,
                       .room = t->room->name,
                       .table = t->number,
                       .nick = m->session->nick,
                       .right = (core_right_t)m->right};
    room__publish(t, &ev);
    core_event_release(&ev);
}

void session__send(session_t *s, core_event_t *ev)
{
    s->ops->deliver(s->ctx, ev);
    s->core->stats.deliveries++;
    core_event_release(ev);
}

/* Common checks of the commands that name a room the session must be in. */
static int session_in(const session_t *s, const room_t *r, struct member **out)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL)
        return CORE_ENOROOM;
    *out = session__member(s, r);
    return *out ? 0 : CORE_ENOTINROOM;
}

static void lower_colour(char dst[8], const char *src)
{
    for (int i = 0; i < 7; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[7] = '\0';
}

/* ---- lifetime ---- */

session_t *core_session_new(core_t *c, const session_ops_t *ops, void *ctx)
{
    session_t *s = xcalloc(1, sizeof(*s));
    s->core = c;
    s->ops = ops;
    s->ctx = ctx;
    list_init(&s->members);
    list_init(&s->says);
    list_init(&s->watches);
    c->nsessions++;
    return s;
}

void core_session_free(session_t *s)
{
    if (s == NULL)
        return;
    core_t *c = s->core;
    list_foreach_safe(it, tmp, &s->members)
    {
        session__drop(list_entry(it, struct member, in_session), "disconnected");
    }
    list_foreach_safe(it, tmp, &s->says)
    {
        struct say_pending *p = list_entry(it, struct say_pending, in_session);
        p->s = NULL; /* its say_done is dropped */
        list_remove(&p->in_session);
    }
    private__session_gone(s);
    event__session_gone(s);
    ignore__free(s->ignores);
    free(s->account);
    free(s->account_fold);
    if (s->ready) {
        HASH_DELETE(hh_nick, c->nicks, s);
        nick__presence(c, s, false);
    }
    c->nsessions--;
    free(s->nick);
    free(s);
}

/* ---- identity ---- */

int core_hello(session_t *s, const char *nick, const char *colour)
{
    core_t *c = s->core;
    if (s->ready)
        return CORE_EALREADYHELLO;
    int rc = core_check_nick(nick);
    if (rc < 0 && rc != CORE_ENICKRESERVED)
        return rc;
    if (colour && !core_valid_colour(colour))
        return CORE_EBADCOLOUR;
    char *fold = nick__fold(nick);
    if (fold == NULL)
        return CORE_ENICKINVALID;
    if (rc == CORE_ENICKRESERVED) {
        /* A reserved nick ("sysop") is allowed only to the account of that name. */
        char *acc = s->account ? nick__fold(s->account) : NULL;
        bool own = acc && strcmp(acc, fold) == 0;
        free(acc);
        if (!own) {
            free(fold);
            return CORE_ENICKRESERVED;
        }
    }
    session_t *other;
    HASH_FIND(hh_nick, c->nicks, fold, strlen(fold), other);
    if (other) {
        free(fold);
        return CORE_ENICKTAKEN;
    }
    size_t nl = strlen(nick), fl = strlen(fold);
    s->nick = xmalloc(nl + fl + 2);
    memcpy(s->nick, nick, nl + 1);
    s->fold = s->nick + nl + 1;
    memcpy(s->fold, fold, fl + 1);
    free(fold);
    if (colour)
        lower_colour(s->colour, colour);
    else
        nick__default_colour(s->fold, s->colour);
    s->ready = true;
    HASH_ADD_KEYPTR(hh_nick, c->nicks, s->fold, strlen(s->fold), s);
    nick__presence(c, s, true);
    return 0;
}

int core_session_identify(session_t *s, const core_identity_t *id)
{
    if ((id->account == NULL) != (id->cls == CORE_CLASS_GUEST) || id->cls > CORE_CLASS_REGISTERED ||
        (id->sysop && id->account == NULL))
        return CORE_EBADREQ;
    char *account = id->account ? xstrdup(id->account) : NULL;
    free(s->account);
    free(s->account_fold);
    s->account = account;
    s->account_fold = account ? access__account_fold(account) : NULL;
    s->cls = (uint8_t)id->cls;
    s->sysop = id->sysop;
    if (s->ready)
        access__reeval_session(s); /* a change of rights applies at once */
    return 0;
}

void core_session_set_address(session_t *s, const char *address)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)(address ? address : ""); *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    s->addr = address && address[0] ? (h ? h : 1) : 0;
    if (s->ready)
        access__reeval_session(s); /* an address ban may concern the new address */
}

const char *core_session_account(const session_t *s)
{
    return s->account;
}

core_class_t core_session_class(const session_t *s)
{
    return (core_class_t)s->cls;
}

bool core_session_sysop(const session_t *s)
{
    return s->sysop;
}

bool core_session_ready(const session_t *s)
{
    return s->ready;
}

const char *core_session_nick(const session_t *s)
{
    return s->nick;
}

const char *core_session_colour(const session_t *s)
{
    return s->ready ? s->colour : NULL;
}

void session__publish_visible(session_t *s, const core_event_t *tmpl)
{
    list_foreach(it, &s->members)
    {
        struct member *m = list_entry(it, struct member, in_session);
        if (m->lurk)
            continue;
        core_event_t ev = *tmpl;
        ev.room = m->table->room->name;
        ev.table = m->table->number;
        room__publish(m->table, &ev);
        core_event_release(&ev);
    }
}

/* A lurker's colour is nobody's business: only rooms where s is a member hear of it. */
int core_set_colour(session_t *s, const char *colour)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (!core_valid_colour(colour))
        return CORE_EBADCOLOUR;
    lower_colour(s->colour, colour);
    core_event_t ev = {.type = EV_COLOUR, .nick = s->nick, .colour = s->colour};
    session__publish_visible(s, &ev);
    return 0;
}

table_t *core_session_table(const session_t *s, const room_t *r)
{
    struct member *m = session__member(s, r);
    return m ? m->table : NULL;
}

bool core_session_lurking(const session_t *s, const room_t *r)
{
    struct member *m = session__member(s, r);
    return m && m->lurk;
}

/* ---- moving ---- */

/* The right decides where and how s may sit: none hides the room (no_such_room, as if missing),
 * read-only seats s as a lurker whatever it asked, and s is only placed at tables it may use. */
int core_enter(session_t *s, room_t *r, bool lurk, table_t **out)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL || r->priv) /* private rooms are entered by invitation only */
        return CORE_ENOROOM;
    if (session__member(s, r))
        return CORE_EINROOM;
    if (core_right(s, r, 0) == CORE_RIGHT_NONE)
        return CORE_ENOROOM;
    if (r->event) {
        int rc = event__may_enter(s, r);
        if (rc < 0)
            return rc;
    }
    table_t *t = room__pick_table(r, s);
    core_right_t right = core_right(s, r, t->number);
    bool asked = lurk;
    lurk = lurk || right == CORE_RIGHT_READ_ONLY;
    core_event_t ev = {.room = r->name, .table = t->number};
    if (lurk) {
        ev.type = EV_LURKERS;
        ev.count = t->nlurkers + 1;
    } else {
        ev.type = EV_MEMBER_ENTERED;
        ev.nick = s->nick;
        ev.account = s->account;
        ev.colour = s->colour;
    }
    room__publish(t, &ev);
    core_event_release(&ev);

    struct member *m = xcalloc(1, sizeof(*m));
    m->session = s;
    m->lurk = lurk;
    m->asked_lurk = asked;
    m->right = (uint8_t)right;
    list_push_back(&s->members, &m->in_session);
    session_link(m, t);
    if (out)
        *out = t;
    return 0;
}

void session__seat(session_t *s, table_t *t)
{
    struct member *m = xcalloc(1, sizeof(*m));
    m->session = s;
    m->right = CORE_RIGHT_PARTICIPANT;
    list_push_back(&s->members, &m->in_session);
    session_link(m, t);
}

/* A table s has no right at does not exist for it (no_such_table). Hopping to a read-only table
 * makes s a lurker there; hopping from one makes it a member again unless it chose to lurk. A
 * change between member and lurker is announced as a departure and an arrival of each kind. */
int core_hop(session_t *s, room_t *r, uint32_t number, table_t **out)
{
    struct member *m;
    int rc = session_in(s, r, &m);
    if (rc < 0)
        return rc;
    table_t *from = m->table;
    table_t *to = room_table_find(r, number);
    core_right_t right = to ? core_right(s, r, number) : CORE_RIGHT_NONE;
    if (right == CORE_RIGHT_NONE)
        return CORE_ENOTABLE;
    if (to == from)
        return CORE_EATTABLE;
    if (to->nusers >= (unsigned)r->capacity)
        return CORE_ETABLEFULL;

    bool lurk = m->asked_lurk || right == CORE_RIGHT_READ_ONLY;
    session_unlink(m);
    /* the same event goes to both tables, so it is encoded once */
    core_event_t hop = {.type = EV_MEMBER_HOPPED,
                        .room = r->name,
                        .table = from->number,
                        .to_table = to->number,
                        .nick = s->nick,
                        .account = s->account,
                        .colour = s->colour,
                        .both = !m->lurk && !lurk};
    if (m->lurk) {
        core_event_t ev = {
            .type = EV_LURKERS, .room = r->name, .table = from->number, .count = from->nlurkers};
        room__publish(from, &ev);
        core_event_release(&ev);
    } else {
        room__publish(from, &hop);
    }
    if (lurk) {
        core_event_t ev = {
            .type = EV_LURKERS, .room = r->name, .table = to->number, .count = to->nlurkers + 1};
        room__publish(to, &ev);
        core_event_release(&ev);
    } else {
        hop.echo = hop.both; /* the source table had it: watchers skip this copy */
        room__publish(to, &hop);
    }
    core_event_release(&hop);
    room__maybe_close(from);
    m->lurk = lurk;
    m->right = (uint8_t)right;
    session_link(m, to);
    if (out)
        *out = to;
    return 0;
}

int core_leave(session_t *s, room_t *r)
{
    struct member *m;
    int rc = session_in(s, r, &m);
    if (rc < 0)
        return rc;
    session__drop(m, "left");
    return 0;
}

/* ---- talking ---- */

static void say_stored(void *ud, uint64_t msg_id, int status)
{
    struct say_pending *p = ud;
    core_t *c = p->c;
    if (c == NULL)
        goto out; /* the core is gone */
    list_remove(&p->link);
    if (status != 0) {
        /* Not durable, so not history either (PROTOCOL.md, say). */
        log_warn("storing message %llu failed: %s", (unsigned long long)msg_id,
                 store_strerror(status));
        room_t *r = core_room_find(c, p->room);
        table_t *t = r ? room_table_find(r, p->table) : NULL;
        if (t)
            room__history_drop(t, msg_id);
    }
    session_t *s = p->s;
    if (s) {
        list_remove(&p->in_session);
        s->ops->say_done(s->ctx, msg_id, status == 0 ? 0 : CORE_ESTORE);
    }
out:
    free(p);
}

/* The event reaches the table before the store is asked, so a store that refuses the message at
 * once (CORE_ESTORE here) leaves it seen but not stored and not in history. say_done is then not
 * called. */
int core_say(session_t *s, room_t *r, const char *text, size_t len, uint64_t *msg_id, int64_t *ts)
{
    core_t *c = s->core;
    struct member *m;
    int rc = session_in(s, r, &m);
    if (rc < 0)
        return rc;
    core_right_t right = core_right(s, r, m->table->number);
    if (m->lurk || right < CORE_RIGHT_MODERATED)
        return CORE_EREADONLY;
    rc = core__check_text(c, text, len);
    if (rc < 0)
        return rc;
    if (right == CORE_RIGHT_MODERATED && wordlist_match(c->cfg.words, text, len)) {
        c->stats.moderated++;
        return CORE_EMODERATED;
    }

    return session__post(s, r, m->table, text, len, NULL, msg_id, ts);
}

int session__post(session_t *s, room_t *r, table_t *t, const char *text, size_t len,
                  const char *asked_by, uint64_t *msg_id, int64_t *ts)
{
    core_t *c = s->core;
    /* A disk slower than the messages: refuse before anyone sees it, rather than queue for the
     * writer without bound ([store] max_queue). */
    if (c->store && !r->priv && store_busy(c->store))
        return CORE_ESTOREBUSY;
    core_event_t ev = {
        .type = EV_MESSAGE,
        .room = r->name,
        .table = t->number,
        .msg_id = core__next_msg_id(c),
        .ts = core__now_ms(),
        .nick = s->nick,
        .from_fold = s->fold,
        .origin = s,
        .account = s->account,
        .colour = s->colour,
        .text = text,
        .text_len = len,
        .asked_by = asked_by,
    };
    if (msg_id)
        *msg_id = ev.msg_id;
    if (ts)
        *ts = ev.ts;
    c->stats.messages_in++;
    int64_t mono = core__clock_ms(c);
    rate_add(&t->rate, mono);
    rate_add(&r->rate, mono);
    room__publish(t, &ev);
    core_event_release(&ev);
    record__add(r, t->number, &ev);

    if (c->store == NULL || r->priv) { /* private rooms are ephemeral: acked unstored */
        room__history_add(t, &ev);
        s->ops->say_done(s->ctx, ev.msg_id, 0);
        return 0;
    }
    size_t rl = strlen(r->name);
    struct say_pending *p = xmalloc(sizeof(*p) + rl + 1);
    p->c = c;
    p->s = s;
    p->table = t->number;
    memcpy(p->room, r->name, rl + 1);
    store_msg_t sm = {
        .id = ev.msg_id,
        .ts = ev.ts,
        .room = r->name,
        .table = t->number,
        .nick = s->nick,
        .colour = s->colour,
        .text = text,
        .text_len = len,
    };
    list_push_back(&c->pending, &p->link);
    list_push_back(&s->says, &p->in_session);
    int rc = store_msg_append(c->store, &sm, say_stored, p);
    if (rc < 0) {
        log_error("queueing message %llu: %s", (unsigned long long)ev.msg_id, store_strerror(rc));
        list_remove(&p->link);
        list_remove(&p->in_session);
        free(p);
        return CORE_ESTORE;
    }
    room__history_add(t, &ev);
    return 0;
}

int core_pm(session_t *s, room_t *r, const char *to, const char *text, size_t len, uint64_t *msg_id,
            int64_t *ts)
{
    core_t *c = s->core;
    struct member *m;
    int rc = session_in(s, r, &m);
    if (rc < 0)
        return rc;
    core_right_t right = core_right(s, r, m->table->number);
    if (m->lurk || right < CORE_RIGHT_MODERATED)
        return CORE_EREADONLY;

    session_t *dst = nick__find(c, to);
    struct member *dm = dst ? session__member(dst, r) : NULL;
    if (dm == NULL || dm->table != m->table || dm->lurk)
        return CORE_ENOUSER;
    rc = core__check_text(c, text, len);
    if (rc < 0)
        return rc;
    if (right == CORE_RIGHT_MODERATED && wordlist_match(c->cfg.words, text, len)) {
        c->stats.moderated++;
        return CORE_EMODERATED;
    }

    core_event_t ev = {
        .type = EV_PRIVATE,
        .room = r->name,
        .table = m->table->number,
        .msg_id = core__next_msg_id(c),
        .ts = core__now_ms(),
        .nick = s->nick,
        .from_fold = s->fold,
        .origin = s,
        .account = s->account,
        .to_nick = dst->nick,
        .colour = s->colour,
        .text = text,
        .text_len = len,
    };
    if (msg_id)
        *msg_id = ev.msg_id;
    if (ts)
        *ts = ev.ts;
    c->stats.messages_in++;
    room__publish(m->table, &ev);
    core_event_release(&ev);
    return 0;
}
