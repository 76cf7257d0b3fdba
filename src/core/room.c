/* Rooms and their tables: creation and loading, table placement, opening and closing overflow
 * tables, the per-table fan-out subscriber and the per-table history ring. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* ---- tables ---- */

static char *table_make_name(const room_t *r, uint32_t number)
{
    if (number == 1)
        return xstrdup(r->title);
    size_t n = strlen(r->title) + 16;
    char *s = xmalloc(n);
    snprintf(s, n, "%s #%u", r->title, (unsigned)number);
    return s;
}

/* Whether session s (at t) gets ev. Only event fields are used, so the rule holds wherever the
 * event came from. Ignore lists cost a NULL test for the (usual) session that ignores nobody. */
static bool table_wants(const session_t *s, const core_event_t *ev)
{
    switch (ev->type) {
    case EV_MESSAGE: return s->ignores == NULL || !ignore__has(s->ignores, ev->from_fold);
    case EV_PRIVATE:
        if (strcmp(s->nick, ev->nick) != 0 && strcmp(s->nick, ev->to_nick) != 0)
            return false;
        return s->ignores == NULL || !ignore__has(s->ignores, ev->from_fold);
    case EV_COLOUR: return strcmp(s->nick, ev->nick) != 0;
    default: return true;
    }
}

/* Sessions handed an event per step of table_deliver: enough to overlap their cache misses. */
#define DELIVER_BATCH 16

/* The fan-out array: the sessions of t->people in arrival order. */
static void table_fan_rebuild(table_t *t)
{
    if (t->fancap < t->nusers) {
        free(t->fan);
        t->fancap = t->nusers < 8 ? 8 : t->nusers + t->nusers / 4;
        t->fan = xmalloc(t->fancap * sizeof(*t->fan));
    }
    unsigned n = 0;
    list_foreach(it, &t->people) t->fan[n++] = list_entry(it, struct member, in_table)->session;
    t->fan_stale = false;
}

/* The table's bus subscriber: hands ev to everyone at the table. deliver() may not call back
 * into the core, so the people cannot change under us. A fan-out touches memory all over the
 * heap (each session and the protocol's state behind it), so it goes in steps over the table's
 * array of sessions: prefetch the next batch's sessions while this batch is handled; of this
 * batch, prefetch what each wanted one's deliver() reads first (ctx), then let the protocol
 * prefetch what lies behind ctx (warm: its connection), then deliver; the misses of a batch
 * overlap instead of queueing one behind another. */
static void table_deliver(void *ud, core_event_t *ev)
{
    table_t *t = ud;
    core_t *c = t->room->core;
    if (t->fan_stale)
        table_fan_rebuild(t);
    session_t **fan = t->fan;
    unsigned total = t->nusers;
    for (unsigned i = 0; i < total && i < DELIVER_BATCH; i++)
        __builtin_prefetch(fan[i]);
    for (unsigned at = 0; at < total; at += DELIVER_BATCH) {
        unsigned end = at + DELIVER_BATCH < total ? at + DELIVER_BATCH : total;
        for (unsigned i = end; i < total && i < end + DELIVER_BATCH; i++)
            __builtin_prefetch(fan[i]);
        session_t *batch[DELIVER_BATCH];
        size_t k = 0;
        for (unsigned i = at; i < end; i++)
            if (table_wants(fan[i], ev)) {
                __builtin_prefetch(fan[i]->ctx);
                batch[k++] = fan[i];
            }
        for (size_t i = 0; i < k; i++)
            if (batch[i]->ops->warm)
                batch[i]->ops->warm(batch[i]->ctx);
        for (size_t i = 0; i < k; i++)
            batch[i]->ops->deliver(batch[i]->ctx, ev);
        c->stats.deliveries += k;
    }
    if (!list_empty(&t->room->watchers)) /* one test for the rooms nobody watches */
        event__watchers_deliver(t, ev);
}

static table_t *table_open(room_t *r, uint32_t number, list_t *before)
{
    core_t *c = r->core;
    table_t *t = xcalloc(1, sizeof(*t));
    t->room = r;
    t->number = number;
    t->opened = core__now_ms();
    t->name = table_make_name(r, number);
    size_t n = strlen(r->name) + 16;
    t->topic = xmalloc(n);
    snprintf(t->topic, n, "%s/%u", r->name, (unsigned)number);
    list_init(&t->people);
    if (c->cfg.history_on_entry > 0)
        t->hist = xcalloc((size_t)c->cfg.history_on_entry, sizeof(*t->hist));
    list_insert_before(before, &t->link);
    r->ntables++;
    c->stats.tables++;
    if (c->bus)
        t->sub = bus_subscribe(c->bus, t->topic, table_deliver, t);
    return t;
}

static void table_close(table_t *t)
{
    core_t *c = t->room->core;
    record__table_closing(t);
    if (t->sub)
        bus_unsubscribe(c->bus, t->sub);
    list_remove(&t->link);
    t->room->ntables--;
    c->stats.tables--;
    for (unsigned i = 0; i < t->hist_len; i++)
        free(t->hist[(t->hist_head + i) % (unsigned)c->cfg.history_on_entry]);
    free(t->hist);
    free(t->fan);
    free(t->name);
    free(t->topic);
    free(t);
}

void room__publish(table_t *t, core_event_t *ev)
{
    core_t *c = t->room->core;
    if (c->bus)
        bus_publish(c->bus, t->topic, ev);
    else
        table_deliver(t, ev);
}

table_t *room__pick_table(room_t *r, const session_t *s)
{
    list_foreach(it, &r->tables)
    {
        table_t *t = list_entry(it, table_t, link);
        if (t->nusers < (unsigned)r->capacity && core_right(s, r, t->number) > CORE_RIGHT_NONE)
            return t;
    }
    /* The lowest number that is neither open nor closed to s. Table lists are few, so this ends
     * within (open tables + table lists + 1) numbers; a number without a list has the room's
     * right, which the caller checked is not none. */
    uint32_t number = 1;
    list_t *pos = &r->tables; /* insert the new table before this */
    list_foreach(it, &r->tables)
    {
        table_t *t = list_entry(it, table_t, link);
        while (number < t->number) {
            if (core_right(s, r, number) > CORE_RIGHT_NONE) {
                pos = it;
                goto found;
            }
            number++;
        }
        number = t->number + 1;
    }
    while (core_right(s, r, number) == CORE_RIGHT_NONE && number < CORE_MAX_TABLE)
        number++;
found:
    return table_open(r, number, pos);
}

void room__maybe_close(table_t *t)
{
    if (t->number >= 2 && t->nusers == 0)
        table_close(t);
}

/* ---- history ---- */

static void history_push(table_t *t, hist_msg_t *h)
{
    unsigned cap = (unsigned)t->room->core->cfg.history_on_entry;
    if (cap == 0) {
        free(h);
        return;
    }
    if (t->hist_len == cap) {
        free(t->hist[t->hist_head]);
        t->hist_head = (t->hist_head + 1) % cap;
        t->hist_len--;
    }
    t->hist[(t->hist_head + t->hist_len) % cap] = h;
    t->hist_len++;
}

void room__history_add(table_t *t, const core_event_t *ev)
{
    const char *fold = ev->from_fold ? ev->from_fold : "";
    size_t nl = strlen(ev->nick), cl = strlen(ev->colour), fl = strlen(fold);
    size_t al = ev->asked_by ? strlen(ev->asked_by) + 1 : 0;
    hist_msg_t *h = xmalloc(sizeof(*h) + nl + 1 + cl + 1 + fl + 1 + al + ev->text_len + 1);
    char *p = h->data;
    h->ev = (core_event_t){
        .type = EV_MESSAGE,
        .room = t->room->name,
        .table = t->number,
        .msg_id = ev->msg_id,
        .ts = ev->ts,
        .text_len = ev->text_len,
        .recording = ev->recording, /* a played message stays marked */
        .round = ev->round,
        .original_ts = ev->original_ts,
    };
    memcpy(p, ev->nick, nl + 1);
    h->ev.nick = p;
    p += nl + 1;
    memcpy(p, ev->colour, cl + 1);
    h->ev.colour = p;
    p += cl + 1;
    memcpy(p, fold, fl + 1);
    h->ev.from_fold = p;
    p += fl + 1;
    if (al) {
        memcpy(p, ev->asked_by, al);
        h->ev.asked_by = p;
        p += al;
    }
    if (ev->text_len)
        memcpy(p, ev->text, ev->text_len);
    p[ev->text_len] = '\0';
    h->ev.text = p;
    history_push(t, h);
}

void room__history_drop(table_t *t, uint64_t msg_id)
{
    unsigned cap = (unsigned)t->room->core->cfg.history_on_entry;
    for (unsigned i = 0; i < t->hist_len; i++) {
        if (t->hist[(t->hist_head + i) % cap]->ev.msg_id != msg_id)
            continue;
        free(t->hist[(t->hist_head + i) % cap]);
        for (unsigned j = i; j + 1 < t->hist_len; j++)
            t->hist[(t->hist_head + j) % cap] = t->hist[(t->hist_head + j + 1) % cap];
        t->hist_len--;
        return;
    }
}

void table_history_foreach(const table_t *t, void (*fn)(void *ud, const core_event_t *ev), void *ud)
{
    unsigned cap = (unsigned)t->room->core->cfg.history_on_entry;
    for (unsigned i = 0; i < t->hist_len; i++)
        fn(ud, &t->hist[(t->hist_head + i) % cap]->ev);
}

void core_table_history_for(const session_t *s, const table_t *t,
                            void (*fn)(void *ud, const core_event_t *ev), void *ud)
{
    unsigned cap = (unsigned)t->room->core->cfg.history_on_entry;
    for (unsigned i = 0; i < t->hist_len; i++) {
        const core_event_t *ev = &t->hist[(t->hist_head + i) % cap]->ev;
        if (s->ignores == NULL || !ignore__has(s->ignores, ev->from_fold))
            fn(ud, ev);
    }
}

/* ---- rooms ---- */

/* spec's strings may be the room's own (an update that keeps a value): copy before freeing. */
static void room_set(room_t *r, const room_spec_t *spec)
{
    char *title = xstrdup(spec->title ? spec->title : spec->name);
    char *topic = xstrdup(spec->topic ? spec->topic : "");
    free(r->title);
    free(r->topic);
    r->title = title;
    r->topic = topic;
    r->capacity = spec->capacity ? spec->capacity : r->core->cfg.default_capacity;
    r->moderated = spec->moderated;
}

room_t *room__alloc(core_t *c, const room_spec_t *spec)
{
    room_t *r = xcalloc(1, sizeof(*r));
    r->core = c;
    r->name = xstrdup(spec->name);
    room_set(r, spec);
    list_init(&r->tables);
    list_init(&r->tconfs);
    list_init(&r->bans);
    list_init(&r->recordings);
    list_init(&r->watchers);
    table_open(r, 1, &r->tables);
    return r;
}

/* Sessions are gone from r by now, so every table is empty. */
void room__destroy(room_t *r)
{
    event__watchers_drop(r, "room_deleted", false);
    list_foreach_safe(it, tmp, &r->tables)
    {
        table_close(list_entry(it, table_t, link));
    }
    access__room_clear(r);
    stage__clear(r);
    free(r->name);
    free(r->title);
    free(r->topic);
    free(r);
}

room_t *room__new(core_t *c, const room_spec_t *spec)
{
    room_t *r = room__alloc(c, spec);
    folder_t *f = spec->folder ? core_folder_find(c, spec->folder) : NULL;
    folder__attach(r, f ? f : c->root);
    HASH_ADD_KEYPTR(hh, c->rooms, r->name, strlen(r->name), r);
    list_t *pos = &c->rooms_by_name;
    list_foreach(it, &c->rooms_by_name)
    {
        if (strcmp(list_entry(it, room_t, link)->name, r->name) > 0) {
            pos = it;
            break;
        }
    }
    list_insert_before(pos, &r->link);
    c->stats.rooms++;
    return r;
}

void room__update(room_t *r, const room_spec_t *spec)
{
    room_set(r, spec);
    list_foreach(it, &r->tables)
    {
        table_t *t = list_entry(it, table_t, link);
        free(t->name);
        t->name = table_make_name(r, t->number);
    }
}

/* Sessions are gone by now (core_free's contract), so every table is empty. */
void room__free(room_t *r)
{
    core_t *c = r->core;
    HASH_DELETE(hh, c->rooms, r);
    list_remove(&r->link);
    folder__detach(r);
    c->stats.rooms--;
    room__destroy(r);
}

static int check_spec(const room_spec_t *spec)
{
    if (spec == NULL || !core_valid_room_name(spec->name))
        return CORE_EROOMNAME;
    if (spec->capacity < 0 || spec->capacity > CORE_MAX_CAPACITY)
        return CORE_ECAPACITY;
    return 0;
}

int room__store(room_t *r)
{
    core_t *c = r->core;
    if (c->store == NULL)
        return 0;
    store_room_t sr = {
        .name = r->name,
        .title = r->title,
        .topic = r->topic,
        .capacity = r->capacity,
        .moderated = r->moderated,
        .folder = room_folder(r),
    };
    int rc = store_room_put(c->store, &sr);
    if (rc < 0) {
        log_error("storing room %s: %s", r->name, store_strerror(rc));
        return CORE_ESTORE;
    }
    return 0;
}

int core_room_create(core_t *c, const room_spec_t *spec, bool replace, room_t **out)
{
    int rc = check_spec(spec);
    if (rc < 0)
        return rc;
    room_t *r = core_room_find(c, spec->name);
    if (r && !replace)
        return CORE_EROOMEXISTS;
    folder_t *f = spec->folder ? core_folder_find(c, spec->folder) : r ? r->folder : c->root;
    if (f == NULL)
        return CORE_ENOFOLDER;
    if (c->store) {
        store_room_t sr = {
            .name = spec->name,
            .title = spec->title ? spec->title : spec->name,
            .topic = spec->topic ? spec->topic : "",
            .capacity = spec->capacity ? spec->capacity : c->cfg.default_capacity,
            .moderated = spec->moderated,
            .folder = f->path,
        };
        int src = store_room_put(c->store, &sr);
        if (src < 0) {
            log_error("storing room %s: %s", spec->name, store_strerror(src));
            return CORE_ESTORE;
        }
    }
    if (r) {
        bool rights = r->moderated != spec->moderated || r->folder != f;
        room__update(r, spec);
        if (r->folder != f) {
            folder__detach(r);
            folder__attach(r, f);
        }
        if (rights)
            access__reeval_room(r);
    } else {
        room_spec_t placed = *spec;
        placed.folder = f->path;
        r = room__new(c, &placed);
    }
    if (out)
        *out = r;
    return 0;
}

static void load_room(void *ud, const store_room_t *sr)
{
    core_t *c = ud;
    room_spec_t spec = {.name = sr->name,
                        .title = sr->title,
                        .topic = sr->topic,
                        .capacity = sr->capacity,
                        .moderated = sr->moderated};
    /* A folder that is gone (or never loaded) puts the room at the root. */
    spec.folder = core_folder_find(c, sr->folder) ? sr->folder : "/";
    if (check_spec(&spec) < 0) {
        log_warn("ignoring stored room with a bad name or capacity: %s", sr->name);
        return;
    }
    room_t *r = core_room_find(c, sr->name);
    if (r) {
        room__update(r, &spec);
        folder__detach(r);
        folder__attach(r, core_folder_find(c, spec.folder));
    } else {
        room__new(c, &spec);
    }
}

static void load_msg(void *ud, const store_msg_t *m)
{
    /* The fold is NULL for a stored nick that is not valid UTF-8: such an entry matches no
     * ignore list (it is stored with an empty fold). */
    char *fold = nick__fold(m->nick ? m->nick : "");
    core_event_t ev = {
        .type = EV_MESSAGE,
        .msg_id = m->id,
        .ts = m->ts,
        .nick = m->nick ? m->nick : "",
        .colour = m->colour ? m->colour : "",
        .text = m->text,
        .text_len = m->text_len,
        .from_fold = fold,
    };
    room__history_add(ud, &ev);
    free(fold);
}

int core_rooms_load(core_t *c)
{
    if (c->store == NULL)
        return 0;
    int rc = folder__load(c);
    if (rc < 0)
        return rc;
    rc = store_rooms_load(c->store, load_room, c);
    if (rc < 0) {
        log_error("loading rooms: %s", store_strerror(rc));
        return CORE_ESTORE;
    }
    rc = access__load(c);
    if (rc == 0)
        rc = event__load(c);
    if (rc < 0)
        return rc;
    if (c->cfg.history_on_entry == 0)
        return 0;
    list_foreach(it, &c->rooms_by_name)
    {
        room_t *r = list_entry(it, room_t, link);
        table_t *t1 = room_table_first(r);
        rc = store_history(c->store, r->name, 1, 0, c->cfg.history_on_entry, load_msg, t1, NULL);
        if (rc < 0) {
            log_error("loading history of %s: %s", r->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    return 0;
}

room_t *core_room_find(core_t *c, const char *name)
{
    room_t *r = NULL;
    if (name)
        HASH_FIND_STR(c->rooms, name, r);
    return r;
}

void core_rooms_foreach(core_t *c, void (*fn)(void *ud, room_t *r), void *ud)
{
    list_foreach_safe(it, tmp, &c->rooms_by_name)
    {
        fn(ud, list_entry(it, room_t, link));
    }
}

/* ---- getters ---- */

const char *room_name(const room_t *r)
{
    return r->name;
}

const char *room_title(const room_t *r)
{
    return r->title;
}

const char *room_topic(const room_t *r)
{
    return r->topic;
}

int room_capacity(const room_t *r)
{
    return r->capacity;
}

bool room_moderated(const room_t *r)
{
    return r->moderated;
}

bool room_private(const room_t *r)
{
    return r->priv;
}

unsigned room_table_count(const room_t *r)
{
    return r->ntables;
}

unsigned room_user_count(const room_t *r)
{
    return r->nusers;
}

table_t *room_table_first(const room_t *r)
{
    return list_empty(&r->tables) ? NULL : list_entry(r->tables.next, table_t, link);
}

table_t *room_table_next(const table_t *t)
{
    return t->link.next == &t->room->tables ? NULL : list_entry(t->link.next, table_t, link);
}

table_t *room_table_find(const room_t *r, uint32_t number)
{
    list_foreach(it, &r->tables)
    {
        table_t *t = list_entry(it, table_t, link);
        if (t->number == number)
            return t;
        if (t->number > number)
            break;
    }
    return NULL;
}

uint32_t table_number(const table_t *t)
{
    return t->number;
}

int64_t table_opened(const table_t *t)
{
    return t->opened;
}

const char *table_name(const table_t *t)
{
    return t->name;
}

const room_t *table_room(const table_t *t)
{
    return t->room;
}

unsigned table_users(const table_t *t)
{
    return t->nusers;
}

unsigned table_lurkers(const table_t *t)
{
    return t->nlurkers;
}

unsigned table_messages_per_minute(const table_t *t)
{
    return rate_per_minute(&t->rate, core__clock_ms(t->room->core));
}

unsigned room_messages_per_minute(const room_t *r)
{
    return rate_per_minute(&r->rate, core__clock_ms(r->core));
}

void table_members_foreach(const table_t *t,
                           void (*fn)(void *ud, const char *nick, const char *colour), void *ud)
{
    list_foreach(it, &t->people)
    {
        const struct member *m = list_entry(it, struct member, in_table);
        if (!m->lurk)
            fn(ud, m->session->nick, m->session->colour);
    }
}

void table_members_rights_foreach(const table_t *t,
                                  void (*fn)(void *ud, const char *nick, core_right_t right),
                                  void *ud)
{
    list_foreach(it, &t->people)
    {
        const struct member *m = list_entry(it, struct member, in_table);
        if (!m->lurk)
            fn(ud, m->session->nick, (core_right_t)m->right);
    }
}
