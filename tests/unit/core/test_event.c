/* Unit tests of hosted events (event.c): creation (rooms, access lists, groups), roles, the
 * schedule on a fake clock (scheduled -> open -> ended, each announced), joining by role,
 * read-only audience on the stage, watching (every table, tables opened later, no duplicates),
 * forwarding (texts, asked_by, rights, unknown messages), a clean end (nobody left, overflow tables
 * closed, timers stopped, watchers dropped) and persistence across a reopened store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
#include "fake_timers.h"
#include "store_fixture.h"

#define BASE 1800000000000LL /* the fake wall clock's start, ms since the epoch */

static fake_timers_t ft;

static int64_t fake_wall(void *ud)
{
    return BASE + ((fake_timers_t *)ud)->now;
}

static core_config_t event_config(void)
{
    core_config_t cfg = {.history_on_entry = 20, .max_text = 60};
    memset(&ft, 0, sizeof(ft));
    fake_timers_config(&ft, &cfg);
    cfg.wall_ms = fake_wall;
    return cfg;
}

static void open_core(fixture_t *f)
{
    store_options_t opt = {.dir = f->dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    int64_t now = ft.now; /* a reopened core keeps the test's clock */
    core_config_t cfg = event_config();
    f->core = core_new(&cfg, f->st, f->bus);
    ft.now = now;
    assert_int_equal(core_rooms_load(f->core), 0);
}

static fake_t *person(core_t *c, const char *nick, bool account, bool sysop)
{
    fake_t *p = fake_hello(c, nick);
    if (account) {
        core_identity_t id = {nick, CORE_CLASS_REGISTERED, sysop};
        assert_int_equal(core_session_identify(p->s, &id), 0);
    }
    return p;
}

static const char *const hosts[] = {"hank"}, *const speakers[] = {"sam"},
                         *const monitors[] = {"mona"};

static event_t *make_event(core_t *c, const char *name, int64_t opens, int64_t closes, int cap)
{
    core_event_spec_t spec = {.name = name,
                              .title = "Ask Ada",
                              .opens = opens,
                              .closes = closes,
                              .audience_capacity = cap,
                              .lists = {hosts, speakers, monitors},
                              .nlists = {1, 1, 1}};
    event_t *e = NULL;
    assert_int_equal(core_event_create(c, &spec, &e), 0);
    return e;
}

static int count(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

static const rec_t *find(const fake_t *f, core_event_type_t type, const char *text)
{
    for (int i = 0; i < f->nev; i++)
        if (f->ev[i].type == type && (text == NULL || strcmp(f->ev[i].text, text) == 0))
            return &f->ev[i];
    return NULL;
}

static core_right_t right_of(const core_acl_entry_t *e, size_t n, core_who_t who, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].who == who && (name == NULL || strcmp(e[i].name, name) == 0))
            return e[i].right;
    return (core_right_t)-1;
}

struct acl_copy {
    core_acl_entry_t e[8];
    char names[8][40];
    size_t n;
};

static void copy_entry(void *ud, const core_acl_entry_t *e)
{
    struct acl_copy *a = ud;
    a->e[a->n] = *e;
    if (e->name) {
        snprintf(a->names[a->n], sizeof(a->names[0]), "%s", e->name);
        a->e[a->n].name = a->names[a->n];
    }
    a->n++;
}

static void test_create_rooms_acls_roles(void **state)
{
    fixture_t *f = *state;
    open_core(f);
    core_t *c = f->core;
    event_t *e = make_event(c, "ada", 0, 0, 0);
    assert_int_equal(event_state(e), CORE_EVENT_OPEN);
    assert_int_equal(event_audience_capacity(e), CORE_EVENT_DEFAULT_AUDIENCE);
    assert_string_equal(room_folder(event_stage(e)), "/events");
    assert_ptr_equal(core_room_find(c, "ada-audience"), event_audience(e));
    assert_ptr_equal(room_event(core_room_find(c, "ada-backstage")), e);
    assert_int_equal(room_capacity(event_audience(e)), 40);

    struct acl_copy a = {0};
    bool has;
    core_acl_ref_t ref = {NULL, "ada", 0};
    assert_int_equal(core_acl_get(c, &ref, copy_entry, &a, &has), 0);
    assert_int_equal(right_of(a.e, a.n, CORE_WHO_GROUP, "ada-hosts"), CORE_RIGHT_HOST);
    assert_int_equal(right_of(a.e, a.n, CORE_WHO_GROUP, "ada-speakers"), CORE_RIGHT_PARTICIPANT);
    assert_int_equal(right_of(a.e, a.n, CORE_WHO_GROUP, "ada-monitors"), CORE_RIGHT_READ_ONLY);
    assert_int_equal(right_of(a.e, a.n, CORE_WHO_GUESTS, NULL), CORE_RIGHT_READ_ONLY);
    a.n = 0;
    ref.room = "ada-audience";
    assert_int_equal(core_acl_get(c, &ref, copy_entry, &a, &has), 0);
    assert_int_equal(right_of(a.e, a.n, CORE_WHO_GROUP, "ada-monitors"), CORE_RIGHT_HOST);
    assert_int_equal(right_of(a.e, a.n, CORE_WHO_REGISTERED, NULL), CORE_RIGHT_PARTICIPANT);
    a.n = 0;
    ref.room = "ada-backstage";
    assert_int_equal(core_acl_get(c, &ref, copy_entry, &a, &has), 0);
    assert_int_equal(a.n, 3); /* no class entry: invisible to everyone else */

    fake_t *hank = person(c, "hank", true, false), *sam = person(c, "sam", true, false);
    fake_t *mona = person(c, "mona", true, false), *gus = person(c, "gus", false, false);
    fake_t *root = person(c, "root", true, true), *reg = person(c, "reg", true, false);
    assert_int_equal(core_event_role(hank->s, e), CORE_ROLE_HOST);
    assert_int_equal(core_event_role(root->s, e), CORE_ROLE_HOST);
    assert_int_equal(core_event_role(sam->s, e), CORE_ROLE_SPEAKER);
    assert_int_equal(core_event_role(mona->s, e), CORE_ROLE_MONITOR);
    assert_int_equal(core_event_role(gus->s, e), CORE_ROLE_AUDIENCE);
    assert_int_equal(core_event_role(reg->s, e), CORE_ROLE_AUDIENCE);
    assert_int_equal(core_right(gus->s, event_backstage(e), 0), CORE_RIGHT_NONE);

    /* bad specs and clashes change nothing */
    core_event_spec_t bad = {.name = "a-name-longer-than-20"};
    assert_int_equal(core_event_create(c, &bad, NULL), CORE_EEVENTSPEC);
    bad = (core_event_spec_t){.name = "x", .opens = BASE + 10, .closes = BASE + 10};
    assert_int_equal(core_event_create(c, &bad, NULL), CORE_EEVENTSPEC);
    bad = (core_event_spec_t){.name = "x", .audience_capacity = 10001};
    assert_int_equal(core_event_create(c, &bad, NULL), CORE_EEVENTSPEC);
    bad = (core_event_spec_t){.name = "x", .title = "two\nlines"};
    assert_int_equal(core_event_create(c, &bad, NULL), CORE_EEVENTSPEC);
    bad = (core_event_spec_t){.name = "ada"};
    assert_int_equal(core_event_create(c, &bad, NULL), CORE_EEVENTEXISTS);
    room_spec_t taken = {.name = "bob-audience"};
    assert_int_equal(core_room_create(c, &taken, false, NULL), 0);
    bad = (core_event_spec_t){.name = "bob"};
    assert_int_equal(core_event_create(c, &bad, NULL), CORE_EROOMEXISTS);
    assert_null(core_event_find(c, "bob"));
    /* an event's room goes only with its event */
    assert_int_equal(core_room_delete(c, event_backstage(e)), CORE_EFORBIDDEN);

    fake_t *all[] = {hank, sam, mona, gus, root, reg};
    for (size_t i = 0; i < 6; i++)
        fake_free(all[i]);
    close_all(f);
}

static void count_recording(void *ud, const core_recording_t *rec)
{
    assert_int_equal(rec->table, 1);
    assert_int_not_equal(rec->stopped_ms, 0);
    assert_true(rec->messages >= 1);
    (*(int *)ud)++;
}

static void test_schedule_and_join(void **state)
{
    fixture_t *f = *state;
    open_core(f);
    core_t *c = f->core;
    /* opens in 2 hours (armed in hourly steps), closes half an hour later */
    int64_t opens = BASE + 2 * 3600 * 1000, closes = opens + 1800 * 1000;
    event_t *e = make_event(c, "ada", opens, closes, 2);
    assert_int_equal(event_state(e), CORE_EVENT_SCHEDULED);
    assert_int_equal(fake_timers_pending(&ft), 1);

    fake_t *hank = person(c, "hank", true, false), *sam = person(c, "sam", true, false);
    fake_t *mona = person(c, "mona", true, false), *gus = person(c, "gus", false, false);
    core_event_place_t at;
    assert_int_equal(core_event_join(gus->s, e, &at), CORE_EEVENTNOTOPEN);
    assert_int_equal(core_enter(gus->s, event_audience(e), false, NULL), CORE_EEVENTNOTOPEN);
    assert_int_equal(core_event_join(hank->s, e, &at), 0); /* hosts may prepare */
    assert_non_null(at.stage);
    assert_non_null(at.backstage);
    assert_null(at.audience);
    assert_true(at.watching);
    assert_false(core_session_lurking(hank->s, event_stage(e)));
    assert_int_equal(core_event_join(sam->s, e, &at), 0);
    assert_false(core_session_lurking(sam->s, event_stage(e)));
    assert_false(at.watching);
    assert_int_equal(core_event_join(mona->s, e, &at), 0);
    assert_true(core_session_lurking(mona->s, event_stage(e))); /* monitors read the stage */
    assert_true(at.watching);
    assert_true(core_watching(mona->s, event_audience(e)));
    /* joining again keeps what is there */
    assert_int_equal(core_event_join(mona->s, e, &at), 0);

    fake_clear(hank);
    fake_timers_advance(&ft, 3600 * 1000); /* one step: still scheduled */
    assert_int_equal(event_state(e), CORE_EVENT_SCHEDULED);
    assert_int_equal(fake_timers_pending(&ft), 1);
    fake_timers_advance(&ft, 3600 * 1000);
    assert_int_equal(event_state(e), CORE_EVENT_OPEN);
    const rec_t *ev = find(hank, EV_EVENT_STATE, "open");
    assert_non_null(ev);
    assert_string_equal(ev->room, "ada");
    assert_int_equal(count(hank, EV_EVENT_STATE), 1); /* once, though in two rooms and watching */
    assert_non_null(table_recording(room_table_first(event_stage(e)))); /* the stage records */

    /* the audience: a lurker on the stage, talking at its table */
    assert_int_equal(core_event_join(gus->s, e, &at), 0);
    assert_non_null(at.audience);
    assert_null(at.backstage);
    assert_true(core_session_lurking(gus->s, event_stage(e)));
    assert_int_equal(core_say(gus->s, event_stage(e), "hi", 2, NULL, NULL), CORE_EREADONLY);
    assert_int_equal(core_say(gus->s, event_audience(e), "hi", 2, NULL, NULL), 0);
    assert_int_equal(core_say(sam->s, event_stage(e), "welcome", 7, NULL, NULL), 0);
    assert_non_null(find(gus, EV_MESSAGE, "welcome"));
    assert_non_null(find(mona, EV_MESSAGE, "hi")); /* watched */
    assert_null(find(sam, EV_MESSAGE, "hi"));

    /* overflow tables open as the audience grows: 2 per table */
    fake_t *aud[4];
    char nick[16];
    for (int i = 0; i < 4; i++) {
        snprintf(nick, sizeof(nick), "aud%d", i);
        aud[i] = person(c, nick, false, false);
        assert_int_equal(core_event_join(aud[i]->s, e, &at), 0);
    }
    assert_int_equal(room_table_count(event_audience(e)), 3);
    assert_int_equal(room_user_count(event_stage(e)), 3 + 5);
    assert_int_equal(event_users(e), 3 + 5);

    /* a host ends it: everyone told once, everybody out, overflow tables closed, timer stopped */
    fake_t *everyone[] = {hank, sam, mona, gus, aud[0], aud[1], aud[2], aud[3]};
    for (int i = 0; i < 8; i++)
        fake_clear(everyone[i]);
    assert_int_equal(core_event_end_by(gus->s, e), CORE_EFORBIDDEN);
    assert_int_equal(core_event_end_by(hank->s, e), 0);
    assert_int_equal(event_state(e), CORE_EVENT_ENDED);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(count(everyone[i], EV_EVENT_STATE), 1);
        ev = find(everyone[i], EV_EVENT_STATE, "ended");
        assert_non_null(ev);
        assert_string_equal(ev->reason, "ended by hank");
        assert_int_equal(everyone[i]->nev, 1); /* and nothing else: no member_left storm */
    }
    assert_int_equal(room_user_count(event_stage(e)), 0);
    assert_int_equal(room_user_count(event_audience(e)), 0);
    assert_int_equal(room_user_count(event_backstage(e)), 0);
    assert_int_equal(room_table_count(event_audience(e)), 1);
    assert_false(core_watching(mona->s, event_audience(e)));
    assert_int_equal(fake_timers_pending(&ft), 0);
    assert_null(table_recording(room_table_first(event_stage(e))));
    int nrec = 0;
    assert_int_equal(core_recordings_foreach(c, "ada", count_recording, &nrec), 0);
    assert_int_equal(nrec, 1); /* kept: one recording of the stage, stopped, with the say */
    assert_int_equal(core_event_join(gus->s, e, &at), CORE_EEVENTENDED);
    assert_int_equal(core_event_join(hank->s, e, &at), CORE_EEVENTENDED);
    assert_int_equal(core_enter(gus->s, event_stage(e), false, NULL), CORE_EEVENTENDED);
    assert_int_equal(core_event_end_by(hank->s, e), CORE_EEVENTENDED);
    core_event_edit_t ed = {.title = "Again", .moderated = -1};
    assert_int_equal(core_event_update(c, e, &ed), CORE_EEVENTENDED);

    /* a second event ends by itself at closes; deleting needs ended and empty rooms */
    event_t *e2 = make_event(c, "bob", 0, BASE + ft.now + 5000, 0);
    assert_int_equal(core_event_delete(c, e2), CORE_ENOTEMPTY);
    assert_int_equal(core_event_join(gus->s, e2, &at), 0);
    fake_clear(gus);
    fake_timers_advance(&ft, 5000);
    assert_int_equal(event_state(e2), CORE_EVENT_ENDED);
    ev = find(gus, EV_EVENT_STATE, "ended");
    assert_non_null(ev);
    assert_string_equal(ev->reason, "closed");
    assert_null(core_session_table(gus->s, event_audience(e2)));
    assert_int_equal(core_event_delete(c, e2), 0);
    assert_null(core_event_find(c, "bob"));
    assert_null(core_room_find(c, "bob-audience"));

    for (int i = 0; i < 8; i++)
        fake_free(everyone[i]);
    close_all(f);
}

static void test_watch_and_forward(void **state)
{
    fixture_t *f = *state;
    open_core(f);
    core_t *c = f->core;
    event_t *e = make_event(c, "ada", 0, 0, 2);
    fake_t *hank = person(c, "hank", true, false), *sam = person(c, "sam", true, false);
    fake_t *mona = person(c, "mona", true, false), *a1 = person(c, "a1", false, false);
    fake_t *a2 = person(c, "a2", false, false), *a3 = person(c, "a3", false, false);
    core_event_place_t at;
    fake_t *all[] = {hank, sam, mona, a1, a2, a3};
    for (int i = 0; i < 6; i++)
        assert_int_equal(core_event_join(all[i]->s, e, &at), 0);
    room_t *aud = event_audience(e);
    assert_int_equal(table_number(core_session_table(a3->s, aud)), 2); /* opened after the watch */
    assert_int_equal(core_watch(a1->s, aud), CORE_EFORBIDDEN);
    assert_int_equal(core_watch(a1->s, event_backstage(e)), CORE_ENOROOM);

    for (int i = 0; i < 6; i++)
        fake_clear(all[i]);
    uint64_t q;
    assert_int_equal(core_say(a3->s, aud, "What is a loop?", 15, &q, NULL), 0);
    assert_int_equal(count(mona, EV_MESSAGE), 1);
    assert_int_equal(count(hank, EV_MESSAGE), 1);
    assert_int_equal(count(a1, EV_MESSAGE), 0);
    /* a host who also sits at a watched table gets its events once */
    assert_int_equal(core_enter(hank->s, aud, false, NULL), 0);
    assert_int_equal(table_number(core_session_table(hank->s, aud)), 2);
    fake_clear(hank);
    assert_int_equal(core_say(a3->s, aud, "again", 5, NULL, NULL), 0);
    assert_int_equal(count(hank, EV_MESSAGE), 1);
    /* a hop reaches a watcher once, also one sitting at either table */
    assert_int_equal(core_hop(a1->s, aud, 3, NULL), CORE_ENOTABLE);
    assert_int_equal(core_leave(a2->s, aud), 0); /* table 1: a1; table 2: a3, hank */
    fake_clear(hank);
    fake_clear(mona);
    assert_int_equal(core_hop(a3->s, aud, 1, NULL), 0); /* hank sits at the source */
    assert_int_equal(count(mona, EV_MEMBER_HOPPED), 1);
    assert_int_equal(count(hank, EV_MEMBER_HOPPED), 1);
    fake_clear(hank);
    fake_clear(mona);
    assert_int_equal(core_hop(a1->s, aud, 2, NULL), 0); /* hank sits at the destination */
    assert_int_equal(count(mona, EV_MEMBER_HOPPED), 1);
    assert_int_equal(count(hank, EV_MEMBER_HOPPED), 1);
    assert_int_equal(core_leave(hank->s, aud), 0);
    assert_int_equal(core_enter(a2->s, aud, false, NULL), 0);
    fake_clear(a2);
    assert_int_equal(core_say(a2->s, aud, "What is a loop?", 15, &q, NULL), 0);
    uint32_t qt = table_number(core_session_table(a2->s, aud));

    /* forwarding to the backstage: monitors and hosts; texts and asked_by */
    table_t *to;
    uint64_t id;
    assert_int_equal(core_forward(a1->s, aud, qt, q, false, &to, &id), CORE_EFORBIDDEN);
    assert_int_equal(core_forward(sam->s, aud, qt, q, false, &to, &id), CORE_EFORBIDDEN);
    assert_int_equal(core_forward(mona->s, aud, qt, 999999, false, &to, &id), CORE_ENOMESSAGE);
    assert_int_equal(core_forward(mona->s, aud, 7, q, false, &to, &id), CORE_ENOTABLE);
    room_spec_t plain = {.name = "plain"};
    room_t *pr;
    assert_int_equal(core_room_create(c, &plain, false, &pr), 0);
    assert_int_equal(core_forward(mona->s, pr, 1, q, false, &to, &id), CORE_EBADREQ);
    for (int i = 0; i < 6; i++)
        fake_clear(all[i]);
    assert_int_equal(core_forward(mona->s, aud, qt, q, false, &to, &id), 0);
    assert_ptr_equal(table_room(to), event_backstage(e));
    const char *want = "a2 asks: What is a loop?";
    assert_non_null(find(hank, EV_MESSAGE, want));
    assert_non_null(find(sam, EV_MESSAGE, want));
    assert_string_equal(find(sam, EV_MESSAGE, want)->nick, "mona");
    assert_null(find(a2, EV_MESSAGE, want));
    const core_event_t *last = NULL;
    for (unsigned i = 0; i < to->hist_len; i++)
        last = &to->hist[(to->hist_head + i) % 20]->ev;
    assert_string_equal(last->asked_by, "a2");

    /* to the stage: hosts only; the question and who asked stay */
    uint64_t id2;
    assert_int_equal(core_forward(mona->s, event_backstage(e), 1, id, true, &to, &id2),
                     CORE_EFORBIDDEN);
    assert_int_equal(core_forward(sam->s, event_backstage(e), 1, id, true, &to, &id2),
                     CORE_EFORBIDDEN);
    assert_int_equal(core_forward(hank->s, event_stage(e), 1, id, true, &to, &id2), CORE_EBADREQ);
    assert_int_equal(core_forward(hank->s, event_backstage(e), 1, id, true, &to, &id2), 0);
    assert_ptr_equal(table_room(to), event_stage(e));
    assert_non_null(find(a1, EV_MESSAGE, want));
    assert_non_null(find(a3, EV_MESSAGE, want));
    assert_string_equal(find(a1, EV_MESSAGE, want)->nick, "hank");

    /* a long question is cut to max_text (60) on a character boundary */
    char longq[80];
    memset(longq, 'x', sizeof(longq));
    memcpy(longq + 50, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
    assert_int_equal(core_say(a2->s, aud, longq, 58, &q, NULL), 0);
    fake_clear(sam);
    assert_int_equal(core_forward(hank->s, aud, qt, q, false, &to, &id), 0);
    const rec_t *m = fake_last(sam);
    assert_int_equal(m->text_len, 59); /* "a2 asks: " + 50 x's; no half of an é */
    assert_int_equal(memcmp(m->text, "a2 asks: xxxx", 13), 0);

    /* rights falling below host end a watch; so does the end of the session */
    core_event_edit_t ed = {.moderated = -1, .set_list = {false, false, true}};
    fake_clear(mona);
    assert_int_equal(core_event_update(c, e, &ed), 0); /* no monitors any more */
    assert_false(core_watching(mona->s, aud));
    assert_non_null(find(mona, EV_UNWATCHED, NULL));
    assert_true(core_watching(hank->s, aud));
    assert_int_equal(c->watch_sessions, 1);
    /* leaving the event leaves its rooms and stops watching */
    assert_int_equal(core_event_leave(a1->s, e), 0);
    assert_null(core_session_table(a1->s, event_stage(e)));
    assert_null(core_session_table(a1->s, aud));
    assert_int_equal(core_event_leave(sam->s, e), 0);
    assert_null(core_session_table(sam->s, event_backstage(e)));
    assert_int_equal(core_event_join(sam->s, e, &at), 0);
    fake_free(hank);
    assert_int_equal(c->watch_sessions, 0);
    for (int i = 1; i < 6; i++)
        fake_free(all[i]);
    close_all(f);
}

static void test_persisted(void **state)
{
    fixture_t *f = *state;
    open_core(f);
    int64_t opens = BASE + 60000;
    event_t *e = make_event(f->core, "ada", opens, opens + 60000, 25);
    core_event_edit_t ed = {.title = "Ask Ada Lovelace", .moderated = 1};
    assert_int_equal(core_event_update(f->core, e, &ed), 0);
    make_event(f->core, "bob", 0, 0, 0);
    close_all(f);

    open_core(f);
    e = core_event_find(f->core, "ada");
    assert_non_null(e);
    assert_string_equal(event_title(e), "Ask Ada Lovelace");
    assert_string_equal(room_title(event_audience(e)), "Ask Ada Lovelace (audience)");
    assert_int_equal(event_opens(e), opens);
    assert_int_equal(event_closes(e), opens + 60000);
    assert_int_equal(event_audience_capacity(e), 25);
    assert_true(event_moderated(e));
    assert_int_equal(event_state(e), CORE_EVENT_SCHEDULED);
    fake_t *sam = person(f->core, "sam", true, false);
    assert_int_equal(core_event_role(sam->s, e), CORE_ROLE_SPEAKER);
    fake_free(sam);
    assert_int_equal(fake_timers_pending(&ft), 1); /* the schedule is armed again */
    event_t *bob = core_event_find(f->core, "bob");
    assert_int_equal(core_event_end(f->core, bob, "ended by admin"), 0);
    close_all(f);

    /* time passed while it was down: ada opened and closed; bob stays ended */
    ft.now += 200000;
    open_core(f);
    assert_int_equal(event_state(core_event_find(f->core, "ada")), CORE_EVENT_ENDED);
    assert_int_equal(event_state(core_event_find(f->core, "bob")), CORE_EVENT_ENDED);
    assert_int_equal(fake_timers_pending(&ft), 0);
    assert_int_equal(core_event_delete(f->core, core_event_find(f->core, "bob")), 0);
    close_all(f);
    open_core(f);
    assert_null(core_event_find(f->core, "bob"));
    assert_null(core_room_find(f->core, "bob"));
    assert_non_null(core_event_find(f->core, "ada"));
    close_all(f);
}

/* The store fixture's setup with the fake clock back at its start. */
static int ev_setup(void **state)
{
    memset(&ft, 0, sizeof(ft));
    return setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_rooms_acls_roles, ev_setup, teardown),
        cmocka_unit_test_setup_teardown(test_schedule_and_join, ev_setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_and_forward, ev_setup, teardown),
        cmocka_unit_test_setup_teardown(test_persisted, ev_setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
