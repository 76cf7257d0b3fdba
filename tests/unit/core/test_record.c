/* Unit tests of recording and playback (record.c) over the real store and a fake clock: what a
 * recording keeps and in which order, two tables and two rooms never colliding, the size cap,
 * errors and rights; playback timing to the millisecond at speed 1 and 2 and over looped rounds,
 * stopping, its table closing, its recording deleted under it, and played messages never fed back
 * into a recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
#include "fake_timers.h"
#include "store_fixture.h"

typedef struct rec_world {
    fixture_t *f;
    fake_timers_t ft;
    room_t *den, *lobby;
    fake_t *hank, *gus, *mia;
} rw_t;

/* A core over the fixture's store with fake timers; den (capacity 2) and lobby; hank (a sysop, so
 * host everywhere) and gus (a guest) at den's table 1, mia at den's table 2. */
static void rw_open(rw_t *w, fixture_t *f)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->ft.now = 100000;
    store_options_t opt = {.dir = f->dir};
    assert_int_equal(store_open(&f->loop, &opt, &f->st), 0);
    core_config_t cfg = {.default_capacity = 32, .history_on_entry = 20, .max_text = 4000};
    fake_timers_config(&w->ft, &cfg);
    f->core = core_new(&cfg, f->st, f->bus);
    room_spec_t den = {.name = "den", .title = "Den", .capacity = 2};
    room_spec_t lobby = {.name = "lobby", .title = "Lobby"};
    assert_int_equal(core_room_create(f->core, &den, false, &w->den), 0);
    assert_int_equal(core_room_create(f->core, &lobby, false, &w->lobby), 0);
    w->hank = fake_hello(f->core, "hank");
    core_identity_t id = {"hank", CORE_CLASS_REGISTERED, true};
    assert_int_equal(core_session_identify(w->hank->s, &id), 0);
    w->gus = fake_hello(f->core, "gus");
    w->mia = fake_hello(f->core, "mia");
    assert_int_equal(core_enter(w->hank->s, w->den, false, NULL), 0);
    assert_int_equal(core_enter(w->gus->s, w->den, false, NULL), 0);
    assert_int_equal(core_enter(w->mia->s, w->den, false, NULL), 0);
    assert_int_equal(table_number(core_session_table(w->mia->s, w->den)), 2);
}

static void rw_close(rw_t *w)
{
    fake_free(w->hank);
    fake_free(w->gus);
    fake_free(w->mia);
    close_all(w->f);
}

/* Runs the loop until the store's writer has written everything queued. */
static void drain(fixture_t *f)
{
    store_stats_t ss;
    for (int i = 0; i < 10000; i++) {
        store_get_stats(f->st, &ss);
        if (ss.queued == 0)
            break;
        uv_run(&f->loop, UV_RUN_NOWAIT);
        uv_sleep(1);
    }
    uv_run(&f->loop, UV_RUN_NOWAIT);
    store_get_stats(f->st, &ss);
    assert_int_equal(ss.queued, 0);
}

static void say(fake_t *who, room_t *r, const char *text)
{
    assert_int_equal(core_say(who->s, r, text, strlen(text), NULL, NULL), 0);
}

typedef struct got {
    int n;
    char text[64][64];
    int64_t offset[64];
    bool broadcast[64];
    uint32_t seq[64];
} got_t;

static void add_msg(void *ud, const core_rec_msg_t *m)
{
    got_t *g = ud;
    assert_true(g->n < 64);
    snprintf(g->text[g->n], sizeof g->text[0], "%.*s", (int)m->text_len, m->text);
    g->offset[g->n] = m->offset_ms;
    g->broadcast[g->n] = m->broadcast;
    g->seq[g->n++] = m->seq;
}

static void read_rec(rw_t *w, uint64_t id, got_t *g)
{
    drain(w->f);
    memset(g, 0, sizeof(*g));
    int n = 0;
    assert_int_equal(core_recording_msgs(w->f->core, id, 0, 1000, add_msg, g, &n), 0);
    assert_int_equal(n, g->n);
}

static void note_rec(void *ud, const core_recording_t *r)
{
    *(core_recording_t *)ud = *r; /* only the numbers are read afterwards */
}

static int count(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

/* Played messages gus got, in order. */
static int played(const fake_t *f, const rec_t **out, int max)
{
    int n = 0;
    for (int i = 0; i < f->nev && n < max; i++)
        if (f->ev[i].type == EV_MESSAGE && f->ev[i].recording)
            out[n++] = &f->ev[i];
    return n;
}

static void test_content_order_rights(void **state)
{
    rw_t w;
    rw_open(&w, *state);
    core_t *c = w.f->core;
    uint64_t id, id2;
    assert_int_equal(core_record_start(w.gus->s, w.den, 0, "x", &id), CORE_EFORBIDDEN);
    assert_int_equal(core_record_start(w.hank->s, w.lobby, 0, "x", &id), CORE_ENOTINROOM);
    assert_int_equal(core_record_start(w.hank->s, w.den, 7, "x", &id), CORE_ENOTABLE);
    char big[CORE_REC_TITLE_MAX + 2];
    memset(big, 't', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(core_record_start(w.hank->s, w.den, 0, big, &id), CORE_ERECTITLE);
    assert_int_equal(core_record_start(w.hank->s, w.den, 0, "a\nb", &id), CORE_ERECTITLE);
    assert_int_equal(core_record_stop(w.hank->s, w.den, 0), CORE_ENOTREC);
    assert_null(table_recording(room_table_first(w.den)));

    fake_clear(w.gus);
    fake_clear(w.mia);
    assert_int_equal(core_record_start(w.hank->s, w.den, 0, "Talk", &id), 0);
    const rec_t *ev = fake_last(w.gus);
    assert_int_equal(ev->type, EV_RECORDING);
    assert_int_equal(ev->recording, id);
    assert_string_equal(ev->reason, "started");
    assert_string_equal(ev->nick, "hank");
    assert_string_equal(ev->text, "Talk");
    assert_int_equal(count(w.mia, EV_RECORDING), 0); /* another table */
    const core_rec_info_t *info = table_recording(room_table_first(w.den));
    assert_non_null(info);
    assert_int_equal(info->id, id);
    assert_string_equal(info->started_by, "hank");
    assert_int_equal(core_record_start(w.hank->s, w.den, 1, NULL, &id2), CORE_EALREADYREC);
    core_stats_t cs;
    core_get_stats(c, &cs);
    assert_int_equal(cs.recordings, 1);

    say(w.hank, w.den, "one");
    fake_timers_advance(&w.ft, 250);
    say(w.gus, w.den, "two");
    say(w.mia, w.den, "elsewhere"); /* table 2 */
    assert_int_equal(core_pm(w.gus->s, w.den, "hank", "secret", 6, NULL, NULL), 0);
    fake_timers_advance(&w.ft, 1000);
    assert_int_equal(core_broadcast(w.hank->s, w.den, "news", 4, NULL), 0);
    assert_int_equal(core_record_stop(w.gus->s, w.den, 0), CORE_EFORBIDDEN);
    fake_timers_advance(&w.ft, 750);
    fake_clear(w.gus);
    assert_int_equal(core_record_stop(w.hank->s, w.den, 0), 0);
    assert_string_equal(fake_last(w.gus)->reason, "stopped");
    assert_null(table_recording(room_table_first(w.den)));

    got_t g;
    read_rec(&w, id, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.text[0], "one");
    assert_string_equal(g.text[1], "two");
    assert_string_equal(g.text[2], "news");
    assert_int_equal(g.offset[0], 0);
    assert_int_equal(g.offset[1], 250);
    assert_int_equal(g.offset[2], 1250);
    assert_false(g.broadcast[1]);
    assert_true(g.broadcast[2]);
    core_recording_t r;
    assert_int_equal(core_recording_get(c, id, note_rec, &r), 0);
    assert_int_equal(r.messages, 3);
    assert_int_equal(r.stopped_ms - r.started_ms, 2000); /* on the offsets' clock */
    assert_int_equal(core_recording_get(c, id + 99, note_rec, &r), CORE_ENOREC);

    /* deleting: a participant may not, a sysop may; then it is gone */
    assert_int_equal(core_recording_delete_as(w.gus->s, id), CORE_EFORBIDDEN);
    assert_int_equal(core_recording_delete_as(w.hank->s, id), 0);
    assert_int_equal(core_recording_delete(c, id), CORE_ENOREC);
    rw_close(&w);
}

static void test_tables_and_rooms_never_collide(void **state)
{
    rw_t w;
    rw_open(&w, *state);
    fake_t *zed = fake_hello(w.f->core, "zed");
    assert_int_equal(core_enter(zed->s, w.lobby, false, NULL), 0);
    assert_int_equal(core_enter(w.hank->s, w.lobby, false, NULL), 0);
    uint64_t r1, r2, r3;
    assert_int_equal(core_record_start(w.hank->s, w.den, 1, NULL, &r1), 0);
    assert_int_equal(core_record_start(w.hank->s, w.den, 2, NULL, &r2), 0);
    assert_int_equal(core_record_start(w.hank->s, w.lobby, 0, NULL, &r3), 0);
    char text[32];
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof text, "den1 %d", i);
        say(w.gus, w.den, text);
        snprintf(text, sizeof text, "den2 %d", i);
        say(w.mia, w.den, text);
        snprintf(text, sizeof text, "lobby %d", i);
        say(zed, w.lobby, text);
    }
    uint64_t ids[3] = {r1, r2, r3};
    const char *prefix[3] = {"den1", "den2", "lobby"};
    for (int k = 0; k < 3; k++) {
        got_t g;
        read_rec(&w, ids[k], &g);
        assert_int_equal(g.n, 5);
        for (int i = 0; i < 5; i++) {
            snprintf(text, sizeof text, "%s %d", prefix[k], i);
            assert_string_equal(g.text[i], text);
            assert_int_equal(g.seq[i], i + 1);
        }
    }
    /* an overflow table that closes and reopens keeps its recording */
    assert_int_equal(core_leave(w.mia->s, w.den), 0); /* table 2 closes */
    assert_null(room_table_find(w.den, 2));
    assert_int_equal(core_enter(w.mia->s, w.den, false, NULL), 0);
    assert_int_equal(table_recording(room_table_find(w.den, 2))->id, r2);
    say(w.mia, w.den, "back");
    got_t g;
    read_rec(&w, r2, &g);
    assert_int_equal(g.n, 6);
    assert_string_equal(g.text[5], "back");
    /* a room deleted while recording: stopped and kept */
    assert_int_equal(core_leave(zed->s, w.lobby), 0);
    assert_int_equal(core_leave(w.hank->s, w.lobby), 0);
    assert_int_equal(core_room_delete(w.f->core, w.lobby), 0);
    core_recording_t r;
    assert_int_equal(core_recording_get(w.f->core, r3, note_rec, &r), 0);
    assert_int_not_equal(r.stopped_ms, 0);
    assert_int_equal(r.messages, 5);
    fake_free(zed);
    rw_close(&w);
}

static void test_cap_and_no_store(void **state)
{
    rw_t w;
    rw_open(&w, *state);
    uint64_t id;
    assert_int_equal(core_record_start(w.hank->s, w.den, 0, NULL, &id), 0);
    /* As if it held all but two messages already: the cap's message stops it. */
    struct recording *rec = list_entry(w.den->recordings.next, struct recording, link);
    rec->info.messages = CORE_REC_MAX_MSGS - 2;
    say(w.gus, w.den, "almost");
    assert_non_null(table_recording(room_table_first(w.den)));
    fake_clear(w.gus);
    say(w.gus, w.den, "full");
    assert_null(table_recording(room_table_first(w.den)));
    assert_int_equal(count(w.gus, EV_RECORDING), 1);
    assert_string_equal(fake_last(w.gus)->reason, "stopped");
    assert_string_equal(fake_last(w.gus)->nick, ""); /* the server stopped it */
    core_recording_t r;
    assert_int_equal(core_recording_get(w.f->core, id, note_rec, &r), 0);
    assert_int_equal(r.messages, CORE_REC_MAX_MSGS);
    rw_close(&w);

    world_t plain; /* without a store there is nothing to record into */
    world_init(&plain, 32, 10, 4000);
    fake_t *s = fake_hello(plain.core, "solo");
    core_identity_t sid = {"solo", CORE_CLASS_REGISTERED, true};
    assert_int_equal(core_session_identify(s->s, &sid), 0);
    assert_int_equal(core_enter(s->s, plain.lobby, false, NULL), 0);
    assert_int_equal(core_record_start(s->s, plain.lobby, 0, NULL, &id), CORE_ESTORE);
    assert_int_equal(core_play(s->s, plain.lobby, 0, 1, false, 1.0), CORE_ESTORE);
    fake_free(s);
    world_deinit(&plain);
}

/* Records offsets 0, 500 and 2000 ms at den's table 1 and stops at 3000: a 3 s recording. */
static uint64_t record_three(rw_t *w)
{
    uint64_t id;
    assert_int_equal(core_record_start(w->hank->s, w->den, 0, NULL, &id), 0);
    say(w->hank, w->den, "a");
    fake_timers_advance(&w->ft, 500);
    say(w->gus, w->den, "b");
    fake_timers_advance(&w->ft, 1500);
    say(w->hank, w->den, "c");
    fake_timers_advance(&w->ft, 1000);
    assert_int_equal(core_record_stop(w->hank->s, w->den, 0), 0);
    drain(w->f);
    return id;
}

static void test_playback_timing(void **state)
{
    rw_t w;
    rw_open(&w, *state);
    uint64_t id = record_three(&w);
    assert_int_equal(core_play(w.gus->s, w.den, 0, id, false, 1.0), CORE_EFORBIDDEN);
    assert_int_equal(core_play(w.hank->s, w.den, 0, id, false, 0.05), CORE_EPLAYSPEED);
    assert_int_equal(core_play(w.hank->s, w.den, 0, id, false, 101), CORE_EPLAYSPEED);
    assert_int_equal(core_play(w.hank->s, w.den, 0, id + 50, false, 1.0), CORE_ENOREC);
    assert_int_equal(core_play_stop(w.hank->s, w.den, 0), CORE_ENOTPLAY);
    w.f->core->nplaybacks = CORE_PLAY_MAX; /* as if that many played elsewhere */
    assert_int_equal(core_play(w.hank->s, w.den, 0, id, false, 1.0), CORE_ETOOMANYPLAY);
    w.f->core->nplaybacks = 0;

    const double speeds[] = {1.0, 2.0};
    for (int k = 0; k < 2; k++) {
        double sp = speeds[k];
        fake_clear(w.gus);
        fake_clear(w.mia);
        assert_int_equal(core_play(w.hank->s, w.den, 0, id, false, sp), 0);
        assert_int_equal(core_play(w.hank->s, w.den, 0, id, false, sp), CORE_EALREADYPLAY);
        assert_int_equal(fake_last(w.gus)->type, EV_PLAYBACK);
        assert_string_equal(fake_last(w.gus)->reason, "started");
        const core_play_info_t *pi = table_playback(room_table_first(w.den));
        assert_non_null(pi);
        assert_int_equal(pi->recording, id);
        assert_int_equal(fake_timers_pending(&w.ft), 1);
        const rec_t *p[8];
        fake_timers_advance(&w.ft, 0);
        assert_int_equal(played(w.gus, p, 8), 1);
        assert_string_equal(p[0]->text, "a");
        assert_string_equal(p[0]->nick, "hank");
        assert_int_equal(p[0]->round, 1);
        int64_t b_at = (int64_t)(500 / sp), c_at = (int64_t)(2000 / sp);
        fake_timers_advance(&w.ft, b_at - 1);
        assert_int_equal(played(w.gus, p, 8), 1);
        fake_timers_advance(&w.ft, 1);
        assert_int_equal(played(w.gus, p, 8), 2);
        assert_string_equal(p[1]->text, "b");
        assert_string_equal(p[1]->nick, "gus");
        fake_timers_advance(&w.ft, c_at - b_at - 1);
        assert_int_equal(played(w.gus, p, 8), 2);
        fake_timers_advance(&w.ft, 1);
        assert_int_equal(played(w.gus, p, 8), 3);
        assert_string_equal(fake_last(w.gus)->reason, "finished");
        assert_null(table_playback(room_table_first(w.den)));
        assert_int_equal(fake_timers_pending(&w.ft), 0);
        assert_int_equal(count(w.mia, EV_MESSAGE), 0); /* table 2 hears nothing */
    }
    /* played messages are in history, marked */
    int marked = 0;
    const table_t *t1 = room_table_first(w.den);
    const hist_msg_t *h;
    for (unsigned i = 0; i < t1->hist_len; i++) {
        h = t1->hist[(t1->hist_head + i) % 20];
        marked += h->ev.recording == id;
    }
    assert_int_equal(marked, 6);
    rw_close(&w);
}

static void test_loop_stop_and_endings(void **state)
{
    rw_t w;
    rw_open(&w, *state);
    core_t *c = w.f->core;
    uint64_t id = record_three(&w);
    fake_clear(w.gus);
    /* looped at speed 2: rounds every 1500 ms; offsets 0, 250, 1000 in each */
    assert_int_equal(core_play(w.hank->s, w.den, 0, id, true, 2.0), 0);
    const rec_t *p[16];
    fake_timers_advance(&w.ft, 1499);
    assert_int_equal(played(w.gus, p, 16), 3);
    fake_timers_advance(&w.ft, 1);
    assert_int_equal(played(w.gus, p, 16), 4);
    assert_int_equal(p[3]->round, 2);
    assert_string_equal(p[3]->text, "a");
    fake_timers_advance(&w.ft, 1500);
    assert_int_equal(played(w.gus, p, 16), 7);
    assert_int_equal(p[6]->round, 3);
    assert_int_equal(table_playback(room_table_first(w.den))->round, 3);
    /* a table recording while playing gets only live messages */
    uint64_t live;
    assert_int_equal(core_record_start(w.hank->s, w.den, 0, NULL, &live), 0);
    fake_timers_advance(&w.ft, 3000);
    say(w.gus, w.den, "live");
    assert_int_equal(core_play_stop(w.gus->s, w.den, 0), CORE_EFORBIDDEN);
    assert_int_equal(core_play_stop(w.hank->s, w.den, 0), 0);
    assert_string_equal(fake_last(w.gus)->reason, "stopped");
    assert_int_equal(fake_timers_pending(&w.ft), 0);
    int before = played(w.gus, p, 16);
    fake_timers_advance(&w.ft, 5000);
    assert_int_equal(played(w.gus, p, 16), before);
    assert_int_equal(core_record_stop(w.hank->s, w.den, 0), 0);
    got_t g;
    read_rec(&w, live, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.text[0], "live");

    /* its table closing ends a playback */
    assert_int_equal(core_play(w.hank->s, w.den, 2, id, true, 1.0), 0);
    assert_int_equal(fake_timers_pending(&w.ft), 1);
    assert_int_equal(core_leave(w.mia->s, w.den), 0); /* table 2 closes */
    assert_int_equal(fake_timers_pending(&w.ft), 0);
    core_stats_t cs;
    core_get_stats(c, &cs);
    assert_int_equal(cs.playbacks, 0);

    /* deleting its recording ends a playback */
    fake_clear(w.gus);
    assert_int_equal(core_play(w.hank->s, w.den, 0, id, true, 1.0), 0);
    assert_int_equal(core_recording_delete(c, id), 0);
    assert_string_equal(fake_last(w.gus)->reason, "stopped");
    assert_null(table_playback(room_table_first(w.den)));
    assert_int_equal(fake_timers_pending(&w.ft), 0);

    /* one running when the core goes: its timer is stopped (ASan sees any leak) */
    assert_int_equal(core_play(w.hank->s, w.den, 0, live, true, 1.0), 0);
    assert_int_equal(fake_timers_pending(&w.ft), 1);
    rw_close(&w);
    assert_int_equal(fake_timers_pending(&w.ft), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_content_order_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_and_rooms_never_collide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_and_no_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playback_timing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_stop_and_endings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
