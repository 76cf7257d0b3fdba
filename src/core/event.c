/* Hosted events (core.h, "hosted events"): three rooms, three user groups and a schedule, built
 * from what the core has already (rooms with overflow tables, access lists, user groups), plus
 * watching (a session gets the events of every table of a room without sitting at one) and
 * forwarding a question from one room to another.
 *
 * An event is an object of its own that points at its rooms; each room points back (room.event),
 * which is how core_enter asks whether the event lets someone in and how the core refuses to
 * delete an event's room on its own. The role lists live in the user groups NAME-hosts,
 * NAME-speakers and NAME-monitors (access.c), the one place rights are decided; the event reads
 * them back for roles and for the store.
 *
 * The schedule runs on the lent timers with one timer per event, armed for the next change and
 * never more than an hour ahead (a far-away time is reached in hourly steps, so a wall clock that
 * jumps is followed). State only moves forward: scheduled -> open -> ended. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define EVENT_STEP_MS     (3600 * 1000)
#define EVENT_MAX_MS      253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define EVENT_ROOM_TITLE  (CORE_EVENT_TITLE_MAX + 16)
#define EVENT_GROUP_NAME  (CORE_EVENT_NAME_MAX + 16)
#define EVENT_FOLDER      "/events"
#define EVENT_STAGE_SEATS 10000 /* the stage holds everyone at its table 1 */

struct event {
    core_t *core;
    char *name;
    char *title;
    int64_t opens, closes; /* 0: none */
    uint8_t state; /* core_event_state_t (capacity and moderation are the audience room's) */
    room_t *stage, *audience, *backstage;
    void *timer; /* the next step of the schedule, or NULL */
    list_t link; /* core.events_by_name */
    UT_hash_handle hh;
};

static const char *const list_suffix[CORE_EVENT_NLISTS] = {"-hosts", "-speakers", "-monitors"};
static const char *const state_names[] = {"scheduled", "open", "ended"};
static const char *const role_names[] = {"audience", "monitor", "speaker", "host"};

/* ---- getters ---- */

const char *core_event_state_name(core_event_state_t st)
{
    return (unsigned)st <= CORE_EVENT_ENDED ? state_names[st] : "ended";
}

const char *core_event_role_name(core_event_role_t role)
{
    return (unsigned)role <= CORE_ROLE_HOST ? role_names[role] : "audience";
}

const char *event_name(const event_t *e)
{
    return e->name;
}

const char *event_title(const event_t *e)
{
    return e->title;
}

int64_t event_opens(const event_t *e)
{
    return e->opens;
}

int64_t event_closes(const event_t *e)
{
    return e->closes;
}

int event_audience_capacity(const event_t *e)
{
    return room_capacity(e->audience);
}

bool event_moderated(const event_t *e)
{
    return room_moderated(e->audience);
}

core_event_state_t event_state(const event_t *e)
{
    return (core_event_state_t)e->state;
}

room_t *event_stage(const event_t *e)
{
    return e->stage;
}

room_t *event_audience(const event_t *e)
{
    return e->audience;
}

room_t *event_backstage(const event_t *e)
{
    return e->backstage;
}

event_t *room_event(const room_t *r)
{
    return r->event;
}

event_t *core_event_find(core_t *c, const char *name)
{
    event_t *e = NULL;
    if (name)
        HASH_FIND_STR(c->events, name, e);
    return e;
}

void core_events_foreach(core_t *c, void (*fn)(void *ud, event_t *e), void *ud)
{
    list_foreach_safe(it, tmp, &c->events_by_name)
    {
        fn(ud, list_entry(it, event_t, link));
    }
}

static void group_name(const char *event, int which, char out[EVENT_GROUP_NAME])
{
    snprintf(out, EVENT_GROUP_NAME, "%s%s", event, list_suffix[which]);
}

static const struct ugroup *event_group(const event_t *e, int which)
{
    char g[EVENT_GROUP_NAME];
    group_name(e->name, which, g);
    struct ugroup *u = NULL;
    HASH_FIND_STR(e->core->groups, g, u);
    return u;
}

void event_list_foreach(const event_t *e, int which, void (*fn)(void *ud, const char *account),
                        void *ud)
{
    const struct ugroup *g = which >= 0 && which < CORE_EVENT_NLISTS ? event_group(e, which) : NULL;
    for (size_t i = 0; g && i < g->n; i++)
        fn(ud, g->members[i]);
}

core_t *core_session_core(const session_t *s)
{
    return s->core;
}

core_event_role_t core_event_role(const session_t *s, const event_t *e)
{
    if (s->sysop)
        return CORE_ROLE_HOST;
    static const core_event_role_t roles[] = {CORE_ROLE_HOST, CORE_ROLE_SPEAKER, CORE_ROLE_MONITOR};
    for (int i = 0; i < CORE_EVENT_NLISTS && s->account_fold; i++) {
        char g[EVENT_GROUP_NAME];
        group_name(e->name, i, g);
        if (access__in_group(e->core, g, s))
            return roles[i];
    }
    return CORE_ROLE_AUDIENCE;
}

/* ---- the people of an event ---- */

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Everyone in e's rooms (and, with watchers, everyone watching them), each once: a malloc'd
 * array the caller frees. */
static session_t **event_people(const event_t *e, bool watchers, size_t *n)
{
    room_t *rooms[3] = {e->stage, e->audience, e->backstage};
    size_t cap = 1;
    for (int i = 0; i < 3; i++) {
        cap += rooms[i]->nusers;
        list_foreach(it, &rooms[i]->watchers)
        {
            cap++;
        }
    }
    session_t **v = xmalloc(cap * sizeof(*v));
    size_t k = 0;
    for (int i = 0; i < 3; i++) {
        list_foreach(tit, &rooms[i]->tables)
        {
            table_t *t = list_entry(tit, table_t, link);
            list_foreach(it, &t->people)
            {
                v[k++] = list_entry(it, struct member, in_table)->session;
            }
        }
        list_foreach(it, &rooms[i]->watchers)
        {
            if (watchers)
                v[k++] = list_entry(it, struct watch, in_room)->session;
        }
    }
    qsort(v, k, sizeof(*v), cmp_ptr);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    *n = u;
    return v;
}

unsigned event_users(const event_t *e)
{
    size_t n;
    free(event_people(e, false, &n));
    return (unsigned)n;
}

/* EV_EVENT_STATE to everyone in e's rooms and every watcher, once each, encoded once. */
static void event_announce(event_t *e, const char *reason)
{
    size_t n;
    session_t **v = event_people(e, true, &n);
    const char *state = core_event_state_name((core_event_state_t)e->state);
    core_event_t ev = {.type = EV_EVENT_STATE,
                       .room = e->name,
                       .text = state,
                       .text_len = strlen(state),
                       .reason = reason};
    for (size_t i = 0; i < n; i++) {
        v[i]->ops->deliver(v[i]->ctx, &ev);
        e->core->stats.deliveries++;
    }
    core_event_release(&ev);
    free(v);
}

/* ---- storing ---- */

/* The members of list `which` joined by '\n' (malloc'd). */
static char *list_text(const event_t *e, int which)
{
    const struct ugroup *g = event_group(e, which);
    size_t len = 1;
    for (size_t i = 0; g && i < g->n; i++)
        len += strlen(g->members[i]) + 1;
    char *s = xmalloc(len), *p = s;
    *p = '\0';
    for (size_t i = 0; g && i < g->n; i++) {
        size_t l = strlen(g->members[i]);
        if (p != s)
            *p++ = '\n';
        memcpy(p, g->members[i], l + 1);
        p += l;
    }
    return s;
}

static int event_store(event_t *e)
{
    core_t *c = e->core;
    if (c->store == NULL)
        return 0;
    char *lists[CORE_EVENT_NLISTS];
    for (int i = 0; i < CORE_EVENT_NLISTS; i++)
        lists[i] = list_text(e, i);
    store_event_t se = {
        .name = e->name,
        .title = e->title,
        .opens = e->opens,
        .closes = e->closes,
        .audience_capacity = room_capacity(e->audience),
        .moderated = room_moderated(e->audience),
        .state = core_event_state_name((core_event_state_t)e->state),
        .hosts = lists[CORE_EVENT_HOSTS],
        .speakers = lists[CORE_EVENT_SPEAKERS],
        .monitors = lists[CORE_EVENT_MONITORS],
    };
    int rc = store_event_put(c->store, &se);
    for (int i = 0; i < CORE_EVENT_NLISTS; i++)
        free(lists[i]);
    if (rc < 0) {
        log_error("storing event %s: %s", e->name, store_strerror(rc));
        return CORE_ESTORE;
    }
    return 0;
}

/* ---- the schedule ---- */

static void event_advance(event_t *e, const char *why);

static void event_tick(void *arg)
{
    event_t *e = arg;
    e->timer = NULL;
    event_advance(e, "scheduled");
}

/* Arms the timer for the next change of state (at most an hour ahead). CORE_EINTERNAL when one
 * is needed and none could be started. */
static int event_arm(event_t *e)
{
    core_t *c = e->core;
    core__timer_stop(c, e->timer);
    e->timer = NULL;
    int64_t due = e->state == CORE_EVENT_SCHEDULED ? e->opens
                  : e->state == CORE_EVENT_OPEN    ? e->closes
                                                   : 0;
    if (due == 0)
        return 0;
    int64_t ms = due - core__wall_ms(c);
    ms = ms < 0 ? 0 : ms > EVENT_STEP_MS ? EVENT_STEP_MS : ms;
    e->timer = core__timer_start(c, (uint64_t)ms, event_tick, e);
    if (e->timer == NULL) {
        log_error("event %s: no timer for its schedule", e->name);
        return CORE_EINTERNAL;
    }
    return 0;
}

/* The stage's table 1 records while the event is open (record.c; the recording is kept after the
 * end). A core without a store records nothing: that is logged, not an error of the event. */
static void event_record(event_t *e, bool on)
{
    int rc = on ? core_record_begin(e->core, e->stage, 1, e->name, e->title, NULL)
                : core_record_end(e->core, e->stage, 1);
    if (rc < 0 && rc != CORE_EALREADYREC && rc != CORE_ENOTREC)
        log_warn("event %s: %s the stage's recording: %s", e->name, on ? "starting" : "stopping",
                 core_err_message(rc));
}

/* Takes everyone out of r without an event each: they all got EV_EVENT_STATE and all leave, so
 * telling the ones still there who left would only cost a quadratic storm of member_left.
 * Emptied overflow tables close. */
static void room_empty(room_t *r)
{
    list_foreach_safe(tit, ttmp, &r->tables)
    {
        table_t *t = list_entry(tit, table_t, link);
        while (t->nusers > 1)
            session__drop_quiet(list_entry(t->people.next, struct member, in_table));
        if (t->nusers == 1) /* the last one may close t */
            session__drop_quiet(list_entry(t->people.next, struct member, in_table));
    }
}

static void event_finish(event_t *e, const char *reason)
{
    core__timer_stop(e->core, e->timer);
    e->timer = NULL;
    e->state = CORE_EVENT_ENDED;
    event_store(e);
    log_info("event %s ended (%s)", e->name, reason);
    event_announce(e, reason);
    room_t *rooms[3] = {e->stage, e->audience, e->backstage};
    for (int i = 0; i < 3; i++) {
        event__watchers_drop(rooms[i], NULL, false);
        room_empty(rooms[i]);
    }
    event_record(e, false); /* nobody is left to be told */
}

/* Moves e's state to what the clock says (forward only), telling the people inside, and re-arms
 * the timer. */
static void event_advance(event_t *e, const char *why)
{
    int64_t now = core__wall_ms(e->core);
    if (e->state == CORE_EVENT_SCHEDULED && (e->opens == 0 || now >= e->opens)) {
        e->state = CORE_EVENT_OPEN;
        event_store(e);
        log_info("event %s opened", e->name);
        event_announce(e, why);
        event_record(e, true);
    }
    if (e->state == CORE_EVENT_OPEN && e->closes && now >= e->closes) {
        event_finish(e, "closed");
        return;
    }
    event_arm(e);
}

/* ---- creating and changing ---- */

static bool valid_event_name(const char *name)
{
    return core_valid_room_name(name) && strlen(name) <= CORE_EVENT_NAME_MAX;
}

static bool valid_title(const char *t)
{
    return t[0] != '\0' && core__plain_text(t, CORE_EVENT_TITLE_MAX);
}

static int check_schedule(int64_t opens, int64_t closes)
{
    if (opens < 0 || closes < 0 || opens > EVENT_MAX_MS || closes > EVENT_MAX_MS)
        return CORE_EEVENTSPEC;
    if (opens && closes && closes <= opens)
        return CORE_EEVENTSPEC;
    return 0;
}

static int check_list(const char *const *a, size_t n)
{
    if (n > CORE_GROUP_MAX || (n > 0 && a == NULL))
        return CORE_EBADACL;
    for (size_t i = 0; i < n; i++)
        if (!access__valid_account(a[i]))
            return CORE_EBADACL;
    return 0;
}

/* Whether the schedule needs a timer the core was not lent. */
static bool needs_timer(const core_t *c, int64_t opens, int64_t closes)
{
    int64_t now = core__wall_ms(c);
    return c->cfg.timers.start == NULL && (opens > now || closes > now);
}

static int set_lists(core_t *c, const char *name, const bool *set, const char *const *const *lists,
                     const size_t *n)
{
    for (int i = 0; i < CORE_EVENT_NLISTS; i++) {
        if (!set[i])
            continue;
        char g[EVENT_GROUP_NAME];
        group_name(name, i, g);
        int rc = core_group_set(c, g, lists[i], n[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void room_titles(const char *title, char stage[EVENT_ROOM_TITLE],
                        char audience[EVENT_ROOM_TITLE], char backstage[EVENT_ROOM_TITLE])
{
    snprintf(stage, EVENT_ROOM_TITLE, "%s", title);
    snprintf(audience, EVENT_ROOM_TITLE, "%s (audience)", title);
    snprintf(backstage, EVENT_ROOM_TITLE, "%s (backstage)", title);
}

/* The rooms and their access lists (core.h, "hosted events"). */
static int make_rooms(core_t *c, const core_event_spec_t *spec, const char *title, room_t *out[3])
{
    char names[3][CORE_EVENT_NAME_MAX + 16], titles[3][EVENT_ROOM_TITLE];
    char gh[EVENT_GROUP_NAME], gs[EVENT_GROUP_NAME], gm[EVENT_GROUP_NAME];
    snprintf(names[0], sizeof(names[0]), "%s", spec->name);
    snprintf(names[1], sizeof(names[1]), "%s-audience", spec->name);
    snprintf(names[2], sizeof(names[2]), "%s-backstage", spec->name);
    room_titles(title, titles[0], titles[1], titles[2]);
    group_name(spec->name, CORE_EVENT_HOSTS, gh);
    group_name(spec->name, CORE_EVENT_SPEAKERS, gs);
    group_name(spec->name, CORE_EVENT_MONITORS, gm);
    const room_spec_t rs[3] = {
        {names[0], EVENT_FOLDER, titles[0], NULL, EVENT_STAGE_SEATS, false},
        {names[1], EVENT_FOLDER, titles[1], NULL, spec->audience_capacity, spec->moderated},
        {names[2], EVENT_FOLDER, titles[2], NULL, 0, false},
    };
    const core_acl_entry_t stage[] = {{CORE_WHO_GROUP, gh, CORE_RIGHT_HOST},
                                      {CORE_WHO_GROUP, gs, CORE_RIGHT_PARTICIPANT},
                                      {CORE_WHO_GROUP, gm, CORE_RIGHT_READ_ONLY},
                                      {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_READ_ONLY},
                                      {CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY}};
    const core_acl_entry_t audience[] = {{CORE_WHO_GROUP, gh, CORE_RIGHT_HOST},
                                         {CORE_WHO_GROUP, gm, CORE_RIGHT_HOST},
                                         {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT},
                                         {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    const core_acl_entry_t backstage[] = {{CORE_WHO_GROUP, gh, CORE_RIGHT_HOST},
                                          {CORE_WHO_GROUP, gm, CORE_RIGHT_PARTICIPANT},
                                          {CORE_WHO_GROUP, gs, CORE_RIGHT_PARTICIPANT}};
    const core_acl_entry_t *acls[3] = {stage, audience, backstage};
    const size_t nacl[3] = {5, 4, 3};
    for (int i = 0; i < 3; i++) {
        int rc = core_room_create(c, &rs[i], false, &out[i]);
        if (rc == 0) {
            core_acl_ref_t ref = {NULL, names[i], 0};
            rc = core_acl_set(c, &ref, acls[i], nacl[i]);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static event_t *event_add(core_t *c, const char *name, const char *title, room_t *rooms[3])
{
    event_t *e = xcalloc(1, sizeof(*e));
    e->core = c;
    e->name = xstrdup(name);
    e->title = xstrdup(title);
    e->stage = rooms[0];
    e->audience = rooms[1];
    e->backstage = rooms[2];
    for (int i = 0; i < 3; i++)
        rooms[i]->event = e;
    HASH_ADD_KEYPTR(hh, c->events, e->name, strlen(e->name), e);
    list_t *pos = &c->events_by_name;
    list_foreach(it, &c->events_by_name)
    {
        if (strcmp(list_entry(it, event_t, link)->name, name) > 0) {
            pos = it;
            break;
        }
    }
    list_insert_before(pos, &e->link);
    return e;
}

static void event_free(event_t *e)
{
    core_t *c = e->core;
    core__timer_stop(c, e->timer);
    HASH_DELETE(hh, c->events, e);
    list_remove(&e->link);
    room_t *rooms[3] = {e->stage, e->audience, e->backstage};
    for (int i = 0; i < 3; i++)
        if (rooms[i])
            rooms[i]->event = NULL;
    free(e->name);
    free(e->title);
    free(e);
}

int core_event_create(core_t *c, const core_event_spec_t *spec, event_t **out)
{
    if (spec == NULL || !valid_event_name(spec->name))
        return CORE_EEVENTSPEC;
    const char *title = spec->title ? spec->title : spec->name;
    int cap = spec->audience_capacity ? spec->audience_capacity : CORE_EVENT_DEFAULT_AUDIENCE;
    int rc = check_schedule(spec->opens, spec->closes);
    if (rc == 0 && (!valid_title(title) || cap < 1 || cap > CORE_MAX_CAPACITY))
        rc = CORE_EEVENTSPEC;
    for (int i = 0; i < CORE_EVENT_NLISTS && rc == 0; i++)
        rc = check_list(spec->lists[i], spec->nlists[i]);
    if (rc < 0)
        return rc;
    if (core_event_find(c, spec->name))
        return CORE_EEVENTEXISTS;
    char names[2][CORE_EVENT_NAME_MAX + 16];
    snprintf(names[0], sizeof(names[0]), "%s-audience", spec->name);
    snprintf(names[1], sizeof(names[1]), "%s-backstage", spec->name);
    if (core_room_find(c, spec->name) || core_room_find(c, names[0]) || core_room_find(c, names[1]))
        return CORE_EROOMEXISTS;
    if (needs_timer(c, spec->opens, spec->closes))
        return CORE_EINTERNAL;
    if (core_folder_find(c, EVENT_FOLDER) == NULL && (rc = core_folder_create(c, EVENT_FOLDER)) < 0)
        return rc;
    const bool all[CORE_EVENT_NLISTS] = {true, true, true};
    rc = set_lists(c, spec->name, all, spec->lists, spec->nlists);
    room_t *rooms[3] = {NULL, NULL, NULL};
    core_event_spec_t placed = *spec;
    placed.audience_capacity = cap;
    if (rc == 0)
        rc = make_rooms(c, &placed, title, rooms);
    if (rc < 0)
        return rc;
    event_t *e = event_add(c, spec->name, title, rooms);
    e->opens = spec->opens;
    e->closes = spec->closes;
    e->state = CORE_EVENT_SCHEDULED;
    rc = event_store(e);
    if (rc < 0)
        return rc;
    log_info("event %s created", e->name);
    event_advance(e, "scheduled"); /* opens (and records) or ends at once if its time has come */
    if (out)
        *out = e;
    return 0;
}

int core_event_update(core_t *c, event_t *e, const core_event_edit_t *ed)
{
    if (e->state == CORE_EVENT_ENDED)
        return CORE_EEVENTENDED;
    int64_t opens = ed->set_opens ? ed->opens : e->opens;
    int64_t closes = ed->set_closes ? ed->closes : e->closes;
    int rc = check_schedule(opens, closes);
    if (rc == 0 &&
        ((ed->title && !valid_title(ed->title)) || ed->audience_capacity < 0 ||
         ed->audience_capacity > CORE_MAX_CAPACITY || ed->moderated < -1 || ed->moderated > 1))
        rc = CORE_EEVENTSPEC;
    for (int i = 0; i < CORE_EVENT_NLISTS && rc == 0; i++)
        if (ed->set_list[i])
            rc = check_list(ed->lists[i], ed->nlists[i]);
    if (rc == 0 && needs_timer(c, opens, closes))
        rc = CORE_EINTERNAL;
    if (rc == 0)
        rc = set_lists(c, e->name, ed->set_list, ed->lists, ed->nlists);
    if (rc < 0)
        return rc;
    if (ed->title) {
        char t[3][EVENT_ROOM_TITLE];
        room_titles(ed->title, t[0], t[1], t[2]);
        room_t *rooms[3] = {e->stage, e->audience, e->backstage};
        for (int i = 0; i < 3 && rc == 0; i++) {
            core_room_edit_t re = {.title = t[i], .moderated = -1};
            rc = core_room_update(c, rooms[i], &re);
        }
        free(e->title);
        e->title = xstrdup(ed->title);
    }
    if (rc == 0 && (ed->audience_capacity || ed->moderated >= 0)) {
        core_room_edit_t re = {.capacity = ed->audience_capacity, .moderated = ed->moderated};
        rc = core_room_update(c, e->audience, &re);
    }
    if (rc < 0)
        return rc;
    e->opens = opens;
    e->closes = closes;
    rc = event_store(e);
    event_advance(e, "changed"); /* may open or end it at once */
    return rc;
}

int core_event_end(core_t *c, event_t *e, const char *reason)
{
    if (e->state == CORE_EVENT_ENDED)
        return CORE_EEVENTENDED;
    event_finish(e, reason ? reason : "ended");
    return 0;
}

int core_event_end_by(session_t *s, event_t *e)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (e == NULL)
        return CORE_ENOEVENT;
    if (core_event_role(s, e) != CORE_ROLE_HOST)
        return CORE_EFORBIDDEN;
    if (e->state == CORE_EVENT_ENDED)
        return CORE_EEVENTENDED;
    size_t n = strlen(s->nick) + 10;
    char *reason = xmalloc(n);
    snprintf(reason, n, "ended by %s", s->nick);
    event_finish(e, reason);
    free(reason);
    return 0;
}

int core_event_delete(core_t *c, event_t *e)
{
    room_t *rooms[3] = {e->stage, e->audience, e->backstage};
    if (e->state != CORE_EVENT_ENDED)
        return CORE_ENOTEMPTY;
    for (int i = 0; i < 3; i++)
        if (rooms[i]->nusers > 0)
            return CORE_ENOTEMPTY;
    if (c->store) {
        int rc = store_event_delete(c->store, e->name);
        if (rc < 0) {
            log_error("deleting event %s: %s", e->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    char *name = xstrdup(e->name);
    event_free(e); /* unmarks the rooms, which may now be deleted */
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        int r = core_room_delete(c, rooms[i]);
        rc = rc ? rc : r;
    }
    for (int i = 0; i < CORE_EVENT_NLISTS; i++) {
        char g[EVENT_GROUP_NAME];
        group_name(name, i, g);
        int r = core_group_delete(c, g);
        if (r < 0 && r != CORE_ENOGROUP)
            rc = rc ? rc : r;
    }
    log_info("event %s deleted", name);
    free(name);
    return rc;
}

/* ---- entering ---- */

int event__may_enter(const session_t *s, const room_t *r)
{
    const event_t *e = r->event;
    if (e->state == CORE_EVENT_OPEN || core_event_role(s, e) != CORE_ROLE_AUDIENCE)
        return 0;
    return e->state == CORE_EVENT_ENDED ? CORE_EEVENTENDED : CORE_EEVENTNOTOPEN;
}

/* s's table in r, entering r if s is not in it. */
static int join_room(session_t *s, room_t *r, table_t **t)
{
    struct member *m = session__member(s, r);
    if (m) {
        *t = m->table;
        return 0;
    }
    return core_enter(s, r, false, t);
}

int core_event_join(session_t *s, event_t *e, core_event_place_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (e == NULL)
        return CORE_ENOEVENT;
    if (e->state == CORE_EVENT_ENDED)
        return CORE_EEVENTENDED;
    core_event_role_t role = core_event_role(s, e);
    if (e->state == CORE_EVENT_SCHEDULED && role == CORE_ROLE_AUDIENCE)
        return CORE_EEVENTNOTOPEN;
    int rc = join_room(s, e->stage, &out->stage);
    if (rc == 0 && role == CORE_ROLE_AUDIENCE)
        rc = join_room(s, e->audience, &out->audience);
    if (rc == 0 && role != CORE_ROLE_AUDIENCE)
        rc = join_room(s, e->backstage, &out->backstage);
    if (rc == 0 && (role == CORE_ROLE_MONITOR || role == CORE_ROLE_HOST)) {
        rc = core_watch(s, e->audience);
        out->watching = rc == 0;
    }
    return rc;
}

int core_event_leave(session_t *s, event_t *e)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (e == NULL)
        return CORE_ENOEVENT;
    room_t *rooms[3] = {e->stage, e->audience, e->backstage};
    for (int i = 0; i < 3; i++) {
        core_unwatch(s, rooms[i]);
        struct member *m = session__member(s, rooms[i]);
        if (m)
            session__drop(m, "left");
    }
    return 0;
}

/* ---- loading and freeing ---- */

/* Splits a stored list ("a\nb") into a malloc'd array of pointers into the malloc'd copy *buf. */
static const char **split_list(const char *text, char **buf, size_t *n)
{
    *buf = xstrdup(text);
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == '\n';
    const char **v = xmalloc(cap * sizeof(*v));
    *n = 0;
    for (char *p = *buf, *next; p && *p; p = next) {
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        if (*p)
            v[(*n)++] = p;
    }
    return v;
}

static void load_event(void *ud, const store_event_t *se)
{
    core_t *c = ud;
    char names[2][CORE_EVENT_NAME_MAX + 16];
    room_t *rooms[3] = {NULL, NULL, NULL};
    if (valid_event_name(se->name) && core_event_find(c, se->name) == NULL) {
        snprintf(names[0], sizeof(names[0]), "%s-audience", se->name);
        snprintf(names[1], sizeof(names[1]), "%s-backstage", se->name);
        rooms[0] = core_room_find(c, se->name);
        rooms[1] = core_room_find(c, names[0]);
        rooms[2] = core_room_find(c, names[1]);
    }
    if (!rooms[0] || !rooms[1] || !rooms[2] || !valid_title(se->title)) {
        log_warn("ignoring stored event %s: a bad name or title, or its rooms are gone", se->name);
        return;
    }
    /* A group deleted over the admin API comes back from the event's own copy of its list. */
    const char *texts[CORE_EVENT_NLISTS] = {se->hosts, se->speakers, se->monitors};
    for (int i = 0; i < CORE_EVENT_NLISTS; i++) {
        char g[EVENT_GROUP_NAME];
        group_name(se->name, i, g);
        struct ugroup *u = NULL;
        HASH_FIND_STR(c->groups, g, u);
        if (u)
            continue;
        char *buf;
        size_t n;
        const char **v = split_list(texts[i], &buf, &n);
        if (check_list(v, n) == 0 && core_group_set(c, g, v, n) < 0)
            log_warn("event %s: could not restore group %s", se->name, g);
        free(v);
        free(buf);
    }
    event_t *e = event_add(c, se->name, se->title, rooms);
    e->opens = se->opens > 0 ? se->opens : 0;
    e->closes = se->closes > 0 ? se->closes : 0;
    e->state = strcmp(se->state, "ended") == 0  ? CORE_EVENT_ENDED
               : strcmp(se->state, "open") == 0 ? CORE_EVENT_OPEN
                                                : CORE_EVENT_SCHEDULED;
}

int event__load(core_t *c)
{
    int rc = store_events_load(c->store, load_event, c);
    if (rc < 0) {
        log_error("loading events: %s", store_strerror(rc));
        return CORE_ESTORE;
    }
    list_foreach_safe(it, tmp, &c->events_by_name)
    {
        event_t *e = list_entry(it, event_t, link);
        bool was_open = e->state == CORE_EVENT_OPEN;
        event_advance(e, "scheduled"); /* nobody is inside yet */
        if (was_open && e->state == CORE_EVENT_OPEN)
            event_record(e, true); /* a restart stopped the stage's recording: a new one */
    }
    return 0;
}

void event__free_all(core_t *c)
{
    list_foreach_safe(it, tmp, &c->events_by_name)
    {
        event_free(list_entry(it, event_t, link));
    }
}
