/* Recording and playback of tables (core.h, "recording and playback").
 *
 * A running recording is a struct recording in its room's list, keyed by table number, so it
 * survives its overflow table closing. Every say and broadcast published at a table passes
 * record__add(), which queues the message for the store's writer thread (never waiting for it);
 * the recording's row is written synchronously when it begins and ends (rare host actions).
 *
 * A playback is owned by its table (table.play) and listed in core.playbacks. It holds the whole
 * recording in memory (loaded once, at most CORE_REC_MAX_MSGS messages) and one pending core timer:
 * for the next message due, computed from the round's start, so late timers never add up. Played
 * messages are published and put into history here; they never reach core_say, so they are
 * neither stored nor recorded. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* ---- recording ---- */

static struct recording *rec_find(const room_t *r, uint32_t table)
{
    list_foreach(it, &r->recordings)
    {
        struct recording *rec = list_entry(it, struct recording, link);
        if (rec->table == table)
            return rec;
    }
    return NULL;
}

const core_rec_info_t *table_recording(const table_t *t)
{
    struct recording *rec = rec_find(t->room, t->number);
    return rec ? &rec->info : NULL;
}

/* Tells the table (if open) that the recording started or stopped. */
static void rec_announce(struct recording *rec, const char *state, const char *by)
{
    table_t *t = room_table_find(rec->room, rec->table);
    if (t == NULL)
        return;
    core_event_t ev = {
        .type = EV_RECORDING,
        .room = rec->room->name,
        .table = rec->table,
        .recording = rec->info.id,
        .reason = state,
        .nick = by,
        .text = rec->info.title,
        .text_len = strlen(rec->info.title),
    };
    room__publish(t, &ev);
    core_event_release(&ev);
}

static void rec_free(core_t *c, struct recording *rec)
{
    list_remove(&rec->link);
    c->nrecordings--;
    free((char *)rec->info.title);
    free((char *)rec->info.started_by);
    free(rec);
}

/* Stops rec: stored as stopped (when store), announced, freed. */
static void rec_stop(core_t *c, struct recording *rec, const char *by, bool store)
{
    if (store && c->store) {
        /* Its end on the clock of its offsets, so duration and offsets always agree. */
        int64_t stopped = rec->info.since + (core__clock_ms(c) - rec->started_mono);
        int rc = store_recording_end(c->store, rec->info.id, stopped, rec->info.messages);
        if (rc < 0) /* the next start closes it from its stored messages */
            log_error("storing the end of recording %llu: %s", (unsigned long long)rec->info.id,
                      store_strerror(rc));
    }
    rec_announce(rec, "stopped", by);
    rec_free(c, rec);
}

int core_record_begin(core_t *c, room_t *r, uint32_t table, const char *by, const char *title,
                      uint64_t *id)
{
    if (r == NULL || r->priv)
        return CORE_ENOROOM;
    if (table == 0 || table > CORE_MAX_TABLE)
        return CORE_ENOTABLE;
    if (title == NULL)
        title = "";
    if (!core__plain_text(title, CORE_REC_TITLE_MAX))
        return CORE_ERECTITLE;
    if (rec_find(r, table))
        return CORE_EALREADYREC;
    if (c->store == NULL)
        return CORE_ESTORE;
    store_recording_t sr = {
        .room = r->name,
        .table = table,
        .title = title,
        .started_by = by ? by : "",
        .started_ms = core__now_ms(),
    };
    uint64_t rid;
    int rc = store_recording_begin(c->store, &sr, &rid);
    if (rc < 0) {
        log_error("storing a new recording of %s: %s", r->name, store_strerror(rc));
        return CORE_ESTORE;
    }
    struct recording *rec = xcalloc(1, sizeof(*rec));
    rec->info = (core_rec_info_t){
        .id = rid,
        .title = xstrdup(title),
        .started_by = xstrdup(sr.started_by),
        .since = sr.started_ms,
    };
    rec->room = r;
    rec->table = table;
    rec->started_mono = core__clock_ms(c);
    list_push_back(&r->recordings, &rec->link);
    c->nrecordings++;
    rec_announce(rec, "started", by);
    if (id)
        *id = rid;
    return 0;
}

int core_record_end(core_t *c, room_t *r, uint32_t table)
{
    if (r == NULL || r->priv)
        return CORE_ENOROOM;
    struct recording *rec = rec_find(r, table);
    if (rec == NULL)
        return CORE_ENOTREC;
    rec_stop(c, rec, NULL, true);
    return 0;
}

void record__add(room_t *r, uint32_t table, const core_event_t *ev)
{
    if (list_empty(&r->recordings))
        return;
    struct recording *rec = rec_find(r, table);
    if (rec == NULL || ev->recording != 0)
        return; /* not recording here, or a played message (never recorded) */
    core_t *c = r->core;
    int64_t offset = core__clock_ms(c) - rec->started_mono;
    store_rec_msg_t m = {
        .recording = rec->info.id,
        .seq = rec->info.messages + 1,
        .offset_ms = offset > 0 ? offset : 0,
        .ts = ev->ts,
        .broadcast = ev->type == EV_BROADCAST,
        .nick = ev->nick,
        .colour = ev->colour,
        .table = table,
        .text = ev->text,
        .text_len = ev->text_len,
    };
    int rc = store_recording_append(c->store, &m, NULL, NULL);
    if (rc < 0) {
        log_error("recording %llu: %s", (unsigned long long)rec->info.id, store_strerror(rc));
        return;
    }
    if (++rec->info.messages >= CORE_REC_MAX_MSGS)
        rec_stop(c, rec, NULL, true); /* full */
}

/* ---- session commands: who may ---- */

/* s is in r and host at table (0: its own table), which must be open if `open`. */
static int need_table_host(session_t *s, room_t *r, uint32_t *table, bool open)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    struct member *m = r ? session__member(s, r) : NULL;
    if (m == NULL)
        return CORE_ENOTINROOM;
    if (*table == 0)
        *table = m->table->number;
    if (*table > CORE_MAX_TABLE || core_right(s, r, *table) == CORE_RIGHT_NONE)
        return CORE_ENOTABLE;
    if (r->priv || core_right(s, r, *table) < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    if (open && room_table_find(r, *table) == NULL)
        return CORE_ENOTABLE;
    return 0;
}

int core_record_start(session_t *s, room_t *r, uint32_t table, const char *title, uint64_t *id)
{
    int rc = need_table_host(s, r, &table, true);
    return rc < 0 ? rc : core_record_begin(s->core, r, table, s->nick, title, id);
}

int core_record_stop(session_t *s, room_t *r, uint32_t table)
{
    int rc = need_table_host(s, r, &table, false);
    if (rc < 0)
        return rc;
    struct recording *rec = rec_find(r, table);
    if (rec == NULL)
        return CORE_ENOTREC;
    rec_stop(s->core, rec, s->nick, true);
    return 0;
}

/* ---- stored recordings ---- */

struct list_ctx {
    void (*fn)(void *ud, const core_recording_t *rec);
    void *ud;
};

static void list_one(void *ud, const store_recording_t *sr)
{
    struct list_ctx *lc = ud;
    core_recording_t r = {
        .id = sr->id,
        .room = sr->room,
        .table = sr->table,
        .title = sr->title,
        .started_by = sr->started_by,
        .started_ms = sr->started_ms,
        .stopped_ms = sr->stopped_ms,
        .messages = sr->messages,
    };
    lc->fn(lc->ud, &r);
}

static int store_err(int rc)
{
    return rc == STORE_ENOTFOUND ? CORE_ENOREC : CORE_ESTORE;
}

int core_recordings_foreach(core_t *c, const char *room,
                            void (*fn)(void *ud, const core_recording_t *rec), void *ud)
{
    if (c->store == NULL)
        return CORE_ESTORE;
    struct list_ctx lc = {fn, ud};
    int rc = store_recordings_list(c->store, room, list_one, &lc);
    return rc < 0 ? store_err(rc) : 0;
}

int core_recordings_for(session_t *s, room_t *r, void (*fn)(void *ud, const core_recording_t *rec),
                        void *ud)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL || r->priv || core_right(s, r, 0) == CORE_RIGHT_NONE)
        return CORE_ENOROOM;
    if (core_right(s, r, 0) < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    return core_recordings_foreach(s->core, r->name, fn, ud);
}

int core_recording_get(core_t *c, uint64_t id, void (*fn)(void *ud, const core_recording_t *rec),
                       void *ud)
{
    if (c->store == NULL)
        return CORE_ESTORE;
    struct list_ctx lc = {fn, ud};
    int rc = store_recording_get(c->store, id, list_one, &lc);
    return rc < 0 ? store_err(rc) : 0;
}

struct msgs_ctx {
    void (*fn)(void *ud, const core_rec_msg_t *m);
    void *ud;
};

static void msg_one(void *ud, const store_rec_msg_t *sm)
{
    struct msgs_ctx *mc = ud;
    core_rec_msg_t m = {
        .seq = sm->seq,
        .offset_ms = sm->offset_ms,
        .ts = sm->ts,
        .broadcast = sm->broadcast,
        .nick = sm->nick,
        .colour = sm->colour,
        .table = sm->table,
        .text = sm->text,
        .text_len = sm->text_len,
    };
    mc->fn(mc->ud, &m);
}

int core_recording_msgs(core_t *c, uint64_t id, uint32_t after, int limit,
                        void (*fn)(void *ud, const core_rec_msg_t *m), void *ud, int *n)
{
    if (c->store == NULL)
        return CORE_ESTORE;
    struct msgs_ctx mc = {fn, ud};
    int rc = store_recording_msgs(c->store, id, after, limit, msg_one, &mc, n);
    return rc < 0 ? store_err(rc) : 0;
}

/* ---- playback ---- */

/* One message to play: the strings follow in the same allocation. */
struct play_msg {
    int64_t offset_ms;
    int64_t ts;
    size_t text_len;
    const char *nick, *colour, *fold, *text;
};

struct playback {
    core_play_info_t info;
    core_t *core;
    table_t *table;
    struct play_msg **msgs;
    size_t n, next;    /* next: the index due next in this round */
    int64_t start;     /* core__clock_ms() at the start of round 1 */
    int64_t period_ms; /* the recording's duration: stopped - started, at least 1 s */
    void *timer;
    list_t link; /* core.playbacks */
};

const core_play_info_t *table_playback(const table_t *t)
{
    return t->play ? &t->play->info : NULL;
}

static void play_announce(struct playback *p, const char *state, const char *by)
{
    table_t *t = p->table;
    core_event_t ev = {
        .type = EV_PLAYBACK,
        .room = t->room->name,
        .table = t->number,
        .recording = p->info.recording,
        .round = p->info.round,
        .reason = state,
        .nick = by,
        .loop = p->info.loop,
        .speed = p->info.speed,
    };
    room__publish(t, &ev);
    core_event_release(&ev);
}

/* Ends p: its timer stopped, announced with state (unless NULL), freed. */
static void play_end(struct playback *p, const char *state, const char *by)
{
    core_t *c = p->core;
    core__timer_stop(c, p->timer);
    p->timer = NULL;
    if (state)
        play_announce(p, state, by);
    p->table->play = NULL;
    list_remove(&p->link);
    c->nplaybacks--;
    for (size_t i = 0; i < p->n; i++)
        free(p->msgs[i]);
    free(p->msgs);
    free(p);
}

/* When message i of round `round` is due, on the core's clock. */
static int64_t play_due(const struct playback *p, uint32_t round, size_t i)
{
    double at = ((double)(round - 1) * (double)p->period_ms + (double)p->msgs[i]->offset_ms) /
                p->info.speed;
    return p->start + (int64_t)(at + 0.5); /* at >= 0: rounded to the nearest ms */
}

static void play_fire(void *arg);

/* Arms the timer for the next message. false if no timer could be started. */
static bool play_arm(struct playback *p)
{
    int64_t wait = play_due(p, p->info.round, p->next) - core__clock_ms(p->core);
    p->timer = core__timer_start(p->core, wait > 0 ? (uint64_t)wait : 0, play_fire, p);
    return p->timer != NULL;
}

static void play_send(struct playback *p, const struct play_msg *m)
{
    table_t *t = p->table;
    core_t *c = p->core;
    core_event_t ev = {
        .type = EV_MESSAGE,
        .room = t->room->name,
        .table = t->number,
        .msg_id = core__next_msg_id(c),
        .ts = core__now_ms(),
        .nick = m->nick,
        .from_fold = m->fold,
        .colour = m->colour,
        .text = m->text,
        .text_len = m->text_len,
        .recording = p->info.recording,
        .round = p->info.round,
        .original_ts = m->ts,
    };
    room__publish(t, &ev);
    core_event_release(&ev);
    room__history_add(t, &ev);
}

/* The timer: plays every message due by now (a late timer catches up in order), then arms the
 * next one, starts the next round, or finishes. */
static void play_fire(void *arg)
{
    struct playback *p = arg;
    p->timer = NULL;
    int64_t now = core__clock_ms(p->core);
    while (p->next < p->n && play_due(p, p->info.round, p->next) <= now)
        play_send(p, p->msgs[p->next++]);
    if (p->next == p->n) {
        if (!p->info.loop) {
            play_end(p, "finished", NULL);
            return;
        }
        p->info.round++;
        p->next = 0;
    }
    if (!play_arm(p)) {
        log_error("playback at %s: no timer", p->table->topic);
        play_end(p, "stopped", NULL);
    }
}

static struct play_msg *play_msg_new(const store_rec_msg_t *m)
{
    char *fold = nick__fold(m->nick);
    const char *f = fold ? fold : "";
    size_t nl = strlen(m->nick), cl = strlen(m->colour), fl = strlen(f);
    struct play_msg *pm = xmalloc(sizeof(*pm) + nl + cl + fl + m->text_len + 4);
    char *d = (char *)(pm + 1);
    pm->offset_ms = m->offset_ms;
    pm->ts = m->ts;
    pm->text_len = m->text_len;
    pm->nick = memcpy(d, m->nick, nl + 1);
    d += nl + 1;
    pm->colour = memcpy(d, m->colour, cl + 1);
    d += cl + 1;
    pm->fold = memcpy(d, f, fl + 1);
    d += fl + 1;
    memcpy(d, m->text, m->text_len);
    d[m->text_len] = '\0';
    pm->text = d;
    free(fold);
    return pm;
}

struct load_ctx {
    struct playback *p;
    size_t cap;
    uint32_t last;
};

static void load_one(void *ud, const store_rec_msg_t *m)
{
    struct load_ctx *lc = ud;
    struct playback *p = lc->p;
    p->msgs = xgrow(p->msgs, &lc->cap, p->n, 64, sizeof(*p->msgs));
    p->msgs[p->n++] = play_msg_new(m);
    lc->last = m->seq;
}

static void load_head(void *ud, const store_recording_t *sr)
{
    struct playback *p = ud;
    int64_t stopped = sr->stopped_ms ? sr->stopped_ms : core__now_ms();
    p->period_ms = stopped - sr->started_ms;
}

/* Loads recording id into p: 0, CORE_ENOREC, CORE_ESTORE. */
static int play_load(core_t *c, struct playback *p, uint64_t id)
{
    int rc = store_recording_get(c->store, id, load_head, p);
    if (rc < 0)
        return store_err(rc);
    struct load_ctx lc = {p, 0, 0};
    for (;;) {
        int n = 0;
        rc = store_recording_msgs(c->store, id, lc.last, STORE_REC_PAGE, load_one, &lc, &n);
        if (rc < 0)
            return CORE_ESTORE;
        if (n < STORE_REC_PAGE || p->n >= CORE_REC_MAX_MSGS)
            break;
    }
    /* A round lasts the recording, and at least until its last message (and 1 s). */
    if (p->n && p->period_ms < p->msgs[p->n - 1]->offset_ms)
        p->period_ms = p->msgs[p->n - 1]->offset_ms;
    if (p->period_ms < 1000)
        p->period_ms = 1000;
    return 0;
}

int core_play(session_t *s, room_t *r, uint32_t table, uint64_t recording, bool loop, double speed)
{
    core_t *c = s->core;
    int rc = need_table_host(s, r, &table, true);
    if (rc < 0)
        return rc;
    if (!(speed >= CORE_PLAY_SPEED_MIN && speed <= CORE_PLAY_SPEED_MAX))
        return CORE_EPLAYSPEED;
    table_t *t = room_table_find(r, table);
    if (t->play)
        return CORE_EALREADYPLAY;
    if (c->nplaybacks >= CORE_PLAY_MAX)
        return CORE_ETOOMANYPLAY;
    if (c->store == NULL)
        return CORE_ESTORE;
    struct playback *p = xcalloc(1, sizeof(*p));
    p->core = c;
    p->table = t;
    p->info = (core_play_info_t){.recording = recording, .loop = loop, .speed = speed, .round = 1};
    rc = play_load(c, p, recording);
    if (rc == 0 && p->n == 0)
        rc = CORE_ERECEMPTY;
    if (rc == 0) {
        p->start = core__clock_ms(c);
        if (!play_arm(p))
            rc = CORE_EINTERNAL; /* no timers lent */
    }
    if (rc < 0) {
        for (size_t i = 0; i < p->n; i++)
            free(p->msgs[i]);
        free(p->msgs);
        free(p);
        return rc;
    }
    t->play = p;
    list_push_back(&c->playbacks, &p->link);
    c->nplaybacks++;
    play_announce(p, "started", s->nick);
    return 0;
}

int core_play_stop(session_t *s, room_t *r, uint32_t table)
{
    int rc = need_table_host(s, r, &table, false);
    if (rc < 0)
        return rc;
    table_t *t = room_table_find(r, table);
    if (t == NULL || t->play == NULL)
        return CORE_ENOTPLAY;
    play_end(t->play, "stopped", s->nick);
    return 0;
}

/* ---- the end of things ---- */

int core_recording_delete(core_t *c, uint64_t id)
{
    if (c->store == NULL)
        return CORE_ESTORE;
    int rc = store_recording_delete(c->store, id);
    if (rc < 0)
        return store_err(rc);
    list_foreach_safe(it, tmp, &c->playbacks)
    {
        struct playback *p = list_entry(it, struct playback, link);
        if (p->info.recording == id)
            play_end(p, "stopped", NULL);
    }
    list_foreach(it, &c->rooms_by_name)
    {
        room_t *r = list_entry(it, room_t, link);
        list_foreach_safe(jt, tmp, &r->recordings)
        {
            struct recording *rec = list_entry(jt, struct recording, link);
            if (rec->info.id == id)
                rec_stop(c, rec, NULL, false); /* its row is gone */
        }
    }
    return 0;
}

static void note_room(void *ud, const core_recording_t *rec)
{
    char **room = ud;
    *room = xstrdup(rec->room);
}

int core_recording_delete_as(session_t *s, uint64_t id)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    char *name = NULL;
    int rc = core_recording_get(s->core, id, note_room, &name);
    if (rc < 0)
        return rc;
    room_t *r = core_room_find(s->core, name);
    free(name);
    if (!s->sysop && (r == NULL || core_right(s, r, 0) < CORE_RIGHT_HOST))
        return CORE_EFORBIDDEN;
    return core_recording_delete(s->core, id);
}

void record__table_closing(table_t *t)
{
    if (t->play)
        play_end(t->play, NULL, NULL);
}

void record__room_deleted(room_t *r)
{
    core_t *c = r->core;
    list_foreach_safe(it, tmp, &r->recordings)
    {
        rec_stop(c, list_entry(it, struct recording, link), NULL, true);
    }
    list_foreach(it, &r->tables)
    {
        table_t *t = list_entry(it, table_t, link);
        if (t->play)
            play_end(t->play, "stopped", NULL);
    }
}

void core_recordings_close(core_t *c)
{
    list_foreach_safe(it, tmp, &c->playbacks)
    {
        play_end(list_entry(it, struct playback, link), "stopped", NULL);
    }
    list_foreach(it, &c->rooms_by_name)
    {
        room_t *r = list_entry(it, room_t, link);
        list_foreach_safe(jt, tmp, &r->recordings)
        {
            rec_stop(c, list_entry(jt, struct recording, link), NULL, true);
        }
    }
}

void record__free_all(core_t *c)
{
    list_foreach_safe(it, tmp, &c->playbacks)
    {
        play_end(list_entry(it, struct playback, link), NULL, NULL);
    }
    list_foreach(it, &c->rooms_by_name)
    {
        room_t *r = list_entry(it, room_t, link);
        list_foreach_safe(jt, tmp, &r->recordings)
        {
            rec_free(c, list_entry(jt, struct recording, link));
        }
    }
}
