/* Unit tests of the core's tables: placement and overflow, hopping, lurkers, leaving, what each
 * event reaches, private messages, colours, history and the encoding cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_session.h"

#define NF 40

static fake_t *fakes[NF];

static fake_t *person(world_t *w, int i)
{
    char nick[16];
    snprintf(nick, sizeof(nick), "user%d", i);
    fakes[i] = fake_hello(w->core, nick);
    return fakes[i];
}

static void free_all(void)
{
    for (int i = 0; i < NF; i++) {
        fake_free(fakes[i]);
        fakes[i] = NULL;
    }
}

static uint32_t enter(fake_t *f, room_t *r, bool lurk)
{
    table_t *t = NULL;
    assert_int_equal(core_enter(f->s, r, lurk, &t), 0);
    assert_non_null(t);
    assert_ptr_equal(core_session_table(f->s, r), t);
    return table_number(t);
}

static void collect_nick(void *ud, const char *nick, const char *colour)
{
    strcat(ud, nick);
    strcat(ud, ",");
}

static void test_enter_overflow(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    for (int i = 0; i < 32; i++)
        assert_int_equal(enter(person(&w, i), w.lobby, false), 1);
    fake_t *last = person(&w, 32);
    assert_int_equal(enter(last, w.lobby, false), 2);
    table_t *t2 = room_table_find(w.lobby, 2);
    assert_non_null(t2);
    assert_string_equal(table_name(t2), "Lobby #2");
    assert_string_equal(table_name(room_table_first(w.lobby)), "Lobby");
    assert_int_equal(room_table_count(w.lobby), 2);
    assert_int_equal(room_user_count(w.lobby), 33);
    assert_int_equal(table_users(room_table_first(w.lobby)), 32);
    assert_int_equal(table_users(t2), 1);
    /* nobody at table 1 heard of the 33rd */
    assert_int_equal(fakes[31]->nev, 0);
    assert_int_equal(fakes[30]->nev, 1);
    assert_int_equal(last->nev, 0);
    free_all();
    world_deinit(&w);
}

static void test_overflow_reuse(void **state)
{
    world_t w;
    world_init(&w, 2, 50, 4000);
    for (int i = 0; i < 6; i++)
        assert_int_equal(enter(person(&w, i), w.lobby, false), (uint32_t)(i / 2 + 1));
    assert_int_equal(room_table_count(w.lobby), 3);
    assert_int_equal(core_leave(fakes[2]->s, w.lobby), 0);
    assert_int_equal(room_table_count(w.lobby), 3);
    assert_int_equal(core_leave(fakes[3]->s, w.lobby), 0); /* #2 empties and closes */
    assert_int_equal(room_table_count(w.lobby), 2);
    assert_null(room_table_find(w.lobby, 2));
    assert_int_equal(core_leave(fakes[3]->s, w.lobby), CORE_ENOTINROOM);
    /* the next entrant finds 1 and 3 full and reopens number 2 */
    assert_int_equal(enter(person(&w, 6), w.lobby, false), 2);
    assert_int_equal(enter(person(&w, 7), w.lobby, true), 2); /* lurkers count too */
    assert_int_equal(enter(person(&w, 8), w.lobby, false), 4);
    uint32_t order[4], n = 0;
    for (table_t *t = room_table_first(w.lobby); t; t = room_table_next(t))
        order[n++] = table_number(t);
    assert_int_equal(n, 4);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 3);
    assert_int_equal(order[3], 4);
    /* table 1 never closes */
    assert_int_equal(core_leave(fakes[0]->s, w.lobby), 0);
    assert_int_equal(core_leave(fakes[1]->s, w.lobby), 0);
    assert_non_null(room_table_find(w.lobby, 1));
    assert_int_equal(table_users(room_table_find(w.lobby, 1)), 0);
    /* a lurker leaving last closes an overflow table too */
    assert_int_equal(core_leave(fakes[6]->s, w.lobby), 0);
    assert_non_null(room_table_find(w.lobby, 2));
    assert_int_equal(core_leave(fakes[7]->s, w.lobby), 0);
    assert_null(room_table_find(w.lobby, 2));
    /* ...and so does a disconnect */
    fake_free(fakes[8]);
    fakes[8] = NULL;
    assert_null(room_table_find(w.lobby, 4));
    assert_int_equal(room_table_count(w.lobby), 2);
    free_all();
    world_deinit(&w);
}

static void test_enter_events(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = person(&w, 0), *b = person(&w, 1), *c = person(&w, 2);
    assert_int_equal(core_enter(a->s, NULL, false, NULL), CORE_ENOROOM);
    enter(a, w.lobby, false);
    assert_int_equal(a->nev, 0);
    enter(b, w.lobby, false);
    assert_int_equal(b->nev, 0);
    assert_int_equal(a->nev, 1);
    assert_int_equal(a->ev[0].type, EV_MEMBER_ENTERED);
    assert_string_equal(a->ev[0].room, "lobby");
    assert_int_equal(a->ev[0].table, 1);
    assert_string_equal(a->ev[0].nick, "user1");
    assert_string_equal(a->ev[0].colour, core_session_colour(b->s));

    enter(c, w.lobby, true);
    assert_int_equal(c->nev, 0);
    for (int i = 0; i < 2; i++) {
        fake_t *f = i ? b : a;
        assert_int_equal(fake_last(f)->type, EV_LURKERS);
        assert_int_equal(fake_last(f)->count, 1);
        assert_int_equal(fake_last(f)->table, 1);
    }
    assert_true(core_session_lurking(c->s, w.lobby));
    assert_false(core_session_lurking(a->s, w.lobby));
    assert_int_equal(core_enter(c->s, w.lobby, false, NULL), CORE_EINROOM);
    assert_int_equal(core_enter(a->s, w.lobby, true, NULL), CORE_EINROOM);

    table_t *t = room_table_first(w.lobby);
    char names[64] = "";
    table_members_foreach(t, collect_nick, names);
    assert_string_equal(names, "user0,user1,"); /* arrival order, no lurker */
    assert_int_equal(table_users(t), 3);
    assert_int_equal(table_lurkers(t), 1);

    /* the lurker is gone: count drops; a member leaves: member_left "left" */
    fake_clear(a);
    fake_clear(b);
    assert_int_equal(core_leave(c->s, w.lobby), 0);
    assert_int_equal(a->ev[0].type, EV_LURKERS);
    assert_int_equal(a->ev[0].count, 0);
    assert_int_equal(c->nev, 0);
    assert_int_equal(core_leave(b->s, w.lobby), 0);
    assert_int_equal(b->nev, 1); /* only the lurkers event from before */
    assert_int_equal(fake_last(a)->type, EV_MEMBER_LEFT);
    assert_string_equal(fake_last(a)->nick, "user1");
    assert_string_equal(fake_last(a)->reason, "left");
    assert_null(core_session_table(b->s, w.lobby));

    /* disconnect */
    enter(b, w.lobby, false);
    enter(c, w.lobby, true);
    fake_clear(a);
    fake_free(b);
    fakes[1] = NULL;
    assert_int_equal(a->nev, 1);
    assert_int_equal(a->ev[0].type, EV_MEMBER_LEFT);
    assert_string_equal(a->ev[0].nick, "user1");
    assert_string_equal(a->ev[0].reason, "disconnected");
    fake_free(c);
    fakes[2] = NULL;
    assert_int_equal(a->ev[1].type, EV_LURKERS);
    assert_int_equal(a->ev[1].count, 0);
    assert_int_equal(table_users(t), 1);
    free_all();
    world_deinit(&w);
}

static void test_hop(void **state)
{
    world_t w;
    world_init(&w, 2, 50, 4000);
    fake_t *f[5];
    for (int i = 0; i < 5; i++)
        f[i] = person(&w, i);
    table_t *t = NULL;
    assert_int_equal(core_hop(f[0]->s, w.lobby, 1, &t), CORE_ENOTINROOM);
    assert_int_equal(core_hop(f[0]->s, NULL, 1, &t), CORE_ENOROOM);
    enter(f[0], w.lobby, false); /* 1 */
    enter(f[1], w.lobby, false); /* 1 */
    enter(f[2], w.lobby, false); /* 2 */
    assert_int_equal(core_hop(f[0]->s, w.lobby, 7, &t), CORE_ENOTABLE);
    assert_int_equal(core_hop(f[0]->s, w.lobby, 1, &t), CORE_EATTABLE);
    assert_int_equal(core_hop(f[2]->s, w.lobby, 1, &t), CORE_ETABLEFULL);
    enter(f[3], w.lobby, false); /* 2 */
    assert_int_equal(core_hop(f[0]->s, w.lobby, 2, &t), CORE_ETABLEFULL);

    /* user3 leaves #2; user0 hops 1 -> 2 */
    assert_int_equal(core_leave(f[3]->s, w.lobby), 0);
    for (int i = 0; i < 5; i++)
        fake_clear(f[i]);
    assert_int_equal(core_hop(f[0]->s, w.lobby, 2, &t), 0);
    assert_int_equal(table_number(t), 2);
    assert_ptr_equal(core_session_table(f[0]->s, w.lobby), t);
    assert_int_equal(f[0]->nev, 0);
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(f[i]->nev, 1);
        assert_int_equal(f[i]->ev[0].type, EV_MEMBER_HOPPED);
        assert_string_equal(f[i]->ev[0].nick, "user0");
        assert_string_equal(f[i]->ev[0].colour, core_session_colour(f[0]->s));
        assert_int_equal(f[i]->ev[0].table, 1);
        assert_int_equal(f[i]->ev[0].to_table, 2);
    }
    assert_int_equal(f[3]->nev, 0);
    assert_int_equal(table_users(room_table_find(w.lobby, 1)), 1);
    assert_int_equal(table_users(t), 2);

    /* a lurker hops: lurkers counts to both tables */
    assert_int_equal(core_leave(f[2]->s, w.lobby), 0); /* #2: user0 */
    enter(f[4], w.lobby, true);                        /* #1: user1 + lurker user4 */
    for (int i = 0; i < 5; i++)
        fake_clear(f[i]);
    assert_int_equal(core_hop(f[4]->s, w.lobby, 2, &t), 0);
    assert_int_equal(f[4]->nev, 0);
    assert_int_equal(f[1]->nev, 1);
    assert_int_equal(f[1]->ev[0].type, EV_LURKERS);
    assert_int_equal(f[1]->ev[0].table, 1);
    assert_int_equal(f[1]->ev[0].count, 0);
    assert_int_equal(f[0]->nev, 1);
    assert_int_equal(f[0]->ev[0].type, EV_LURKERS);
    assert_int_equal(f[0]->ev[0].table, 2);
    assert_int_equal(f[0]->ev[0].count, 1);
    assert_int_equal(table_lurkers(t), 1);
    assert_int_equal(table_lurkers(room_table_find(w.lobby, 1)), 0);

    /* the last two leave #2 by hopping: it closes once empty */
    assert_int_equal(core_leave(f[1]->s, w.lobby), 0);
    assert_int_equal(core_hop(f[4]->s, w.lobby, 1, &t), 0);
    assert_non_null(room_table_find(w.lobby, 2));
    assert_int_equal(core_hop(f[0]->s, w.lobby, 1, &t), 0);
    assert_null(room_table_find(w.lobby, 2));
    assert_int_equal(room_table_count(w.lobby), 1);
    assert_int_equal(room_user_count(w.lobby), 2);
    free_all();
    world_deinit(&w);
}

static void test_say_reach(void **state)
{
    world_t w;
    world_init(&w, 2, 50, 4000);
    room_spec_t spec = {.name = "games", .title = "Games"};
    room_t *games;
    assert_int_equal(core_room_create(w.core, &spec, false, &games), 0);
    fake_t *a = person(&w, 0), *b = person(&w, 1), *c = person(&w, 2), *d = person(&w, 3);
    fake_t *l = person(&w, 4), *x = person(&w, 5);
    enter(a, w.lobby, false);
    enter(b, w.lobby, false);
    enter(c, w.lobby, false); /* #2 */
    enter(l, w.lobby, true);  /* #2 */
    enter(d, games, false);
    enter(a, games, false); /* a is in two rooms */
    for (int i = 0; i < 6; i++)
        fake_clear(fakes[i]);

    uint64_t id = 0, id2 = 0;
    int64_t ts = 0;
    assert_int_equal(core_say(x->s, w.lobby, "hi", 2, &id, &ts), CORE_ENOTINROOM);
    assert_int_equal(core_say(a->s, NULL, "hi", 2, &id, &ts), CORE_ENOROOM);
    assert_int_equal(core_say(a->s, w.lobby, "hello", 5, &id, &ts), 0);
    assert_true(id > 0);
    assert_true(ts > 1700000000000LL);
    /* a (the sender) and b got it; c and l at #2, d in games, x nowhere did not */
    assert_int_equal(a->nev, 1);
    assert_int_equal(b->nev, 1);
    assert_int_equal(c->nev + l->nev + d->nev + x->nev, 0);
    const rec_t *m = &b->ev[0];
    assert_int_equal(m->type, EV_MESSAGE);
    assert_string_equal(m->room, "lobby");
    assert_int_equal(m->table, 1);
    assert_int_equal(m->msg_id, id);
    assert_int_equal(m->ts, ts);
    assert_string_equal(m->nick, "user0");
    assert_string_equal(m->colour, core_session_colour(a->s));
    assert_string_equal(m->text, "hello");
    assert_int_equal(m->text_len, 5);
    /* no store: say_done came at once, inside core_say */
    assert_int_equal(a->ndone, 1);
    assert_int_equal(a->done_id[0], id);
    assert_int_equal(a->done_status[0], 0);

    /* at #2 the lurker hears c but may not speak */
    assert_int_equal(core_say(c->s, w.lobby, "yo", 2, &id2, &ts), 0);
    assert_true(id2 > id);
    assert_int_equal(l->nev, 1);
    assert_string_equal(l->ev[0].text, "yo");
    assert_int_equal(c->nev, 1);
    assert_int_equal(a->nev, 1);
    assert_int_equal(core_say(l->s, w.lobby, "me", 2, &id, &ts), CORE_EREADONLY);
    assert_int_equal(core_pm(l->s, w.lobby, "user2", "me", 2, &id, &ts), CORE_EREADONLY);

    /* a speaks in games: d hears it, lobby people do not */
    assert_int_equal(core_say(a->s, games, "gg", 2, &id, &ts), 0);
    assert_int_equal(d->nev, 1);
    assert_string_equal(d->ev[0].room, "games");
    assert_int_equal(b->nev, 1);
    assert_int_equal(a->nev, 2);
    free_all();
    world_deinit(&w);
}

/* A table fans out in batches of sessions (room.c): 40 people, more than two batches, with
 * ignorers spread over them; everyone else gets each say exactly once, in order. */
static void test_say_reach_many(void **state)
{
    world_t w;
    world_init(&w, NF, 0, 4000);
    for (int i = 0; i < NF; i++)
        enter(person(&w, i), w.lobby, false);
    for (int i = 3; i < NF; i += 7) /* 3, 10, 17, 24, 31, 38 ignore user0 */
        assert_int_equal(core_ignore(fakes[i]->s, "user0"), 0);
    for (int i = 0; i < NF; i++)
        fake_clear(fakes[i]);
    uint64_t id1 = 0, id2 = 0;
    int64_t ts = 0;
    assert_int_equal(core_say(fakes[0]->s, w.lobby, "one", 3, &id1, &ts), 0);
    assert_int_equal(core_say(fakes[1]->s, w.lobby, "two", 3, &id2, &ts), 0);
    for (int i = 0; i < NF; i++) {
        bool ignores = i >= 3 && (i - 3) % 7 == 0;
        int want = ignores ? 1 : 2;
        assert_int_equal(fakes[i]->nev, want);
        assert_int_equal(fakes[i]->ev[want - 1].msg_id, id2);
        if (!ignores)
            assert_int_equal(fakes[i]->ev[0].msg_id, id1);
    }
    free_all();
    world_deinit(&w);
}

static void count_history(void *ud, const core_event_t *ev)
{
    (*(int *)ud)++;
}

static void test_pm(void **state)
{
    world_t w;
    world_init(&w, 3, 50, 4000);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "Bob");
    fake_t *c = fake_hello(w.core, "carol"), *l = fake_hello(w.core, "lurky");
    fake_t *d = fake_hello(w.core, "dave"), *e = fake_hello(w.core, "eve");
    enter(a, w.lobby, false);
    enter(b, w.lobby, false);
    enter(c, w.lobby, false);
    enter(l, w.lobby, true);  /* #2 */
    enter(d, w.lobby, false); /* #2 */
    fake_t *all[] = {a, b, c, l, d, e};
    for (int i = 0; i < 6; i++)
        fake_clear(all[i]);
    uint64_t id = 0, id2 = 0;
    int64_t ts = 0;
    assert_int_equal(core_pm(e->s, w.lobby, "Bob", "x", 1, &id, &ts), CORE_ENOTINROOM);
    assert_int_equal(core_pm(a->s, w.lobby, "nobody", "x", 1, &id, &ts), CORE_ENOUSER);
    assert_int_equal(core_pm(a->s, w.lobby, "dave", "x", 1, &id, &ts), CORE_ENOUSER);  /* #2 */
    assert_int_equal(core_pm(a->s, w.lobby, "eve", "x", 1, &id, &ts), CORE_ENOUSER);   /* away */
    assert_int_equal(core_pm(d->s, w.lobby, "lurky", "x", 1, &id, &ts), CORE_ENOUSER); /* lurks */
    assert_int_equal(core_pm(a->s, w.lobby, "bob\xff", "x", 1, &id, &ts), CORE_ENOUSER);
    assert_int_equal(core_pm(a->s, w.lobby, NULL, "x", 1, &id, &ts), CORE_ENOUSER);
    assert_int_equal(core_pm(a->s, w.lobby, "BOB", " ", 1, &id, &ts), CORE_ETEXTEMPTY);
    assert_int_equal(core_say(a->s, w.lobby, "before", 6, &id, &ts), 0);
    for (int i = 0; i < 6; i++)
        fake_clear(all[i]);
    assert_int_equal(core_pm(a->s, w.lobby, "BOB", "psst", 4, &id2, &ts), 0);
    assert_true(id2 > id); /* one id sequence for says and pms */
    assert_int_equal(a->nev, 1);
    assert_int_equal(b->nev, 1);
    assert_int_equal(c->nev + l->nev + d->nev + e->nev, 0);
    for (int i = 0; i < 2; i++) {
        const rec_t *r = &all[i]->ev[0];
        assert_int_equal(r->type, EV_PRIVATE);
        assert_string_equal(r->nick, "alice");
        assert_string_equal(r->to_nick, "Bob");
        assert_string_equal(r->text, "psst");
        assert_int_equal(r->msg_id, id2);
        assert_int_equal(r->ts, ts);
        assert_int_equal(r->table, 1);
        assert_string_equal(r->colour, core_session_colour(a->s));
    }
    assert_int_equal(a->ndone, 0); /* pms are not stored */
    /* history holds says only */
    int n = 0;
    table_history_foreach(room_table_first(w.lobby), count_history, &n);
    assert_int_equal(n, 1);
    for (int i = 0; i < 6; i++)
        fake_free(all[i]);
    world_deinit(&w);
}

static void test_colour_events(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    room_spec_t spec = {.name = "games"};
    room_t *games;
    assert_int_equal(core_room_create(w.core, &spec, false, &games), 0);
    fake_t *a = person(&w, 0), *b = person(&w, 1), *c = person(&w, 2), *l = person(&w, 3);
    fake_t *x = person(&w, 4);
    enter(a, w.lobby, false);
    enter(b, w.lobby, false);
    enter(l, w.lobby, true);
    enter(a, games, false);
    enter(c, games, false);
    for (int i = 0; i < 5; i++)
        fake_clear(fakes[i]);
    assert_int_equal(core_set_colour(a->s, "#A1B2C3"), 0);
    assert_int_equal(a->nev, 0);
    assert_int_equal(x->nev, 0);
    fake_t *got[] = {b, l, c};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got[i]->nev, 1);
        assert_int_equal(got[i]->ev[0].type, EV_COLOUR);
        assert_string_equal(got[i]->ev[0].nick, "user0");
        assert_string_equal(got[i]->ev[0].colour, "#a1b2c3");
        assert_string_equal(got[i]->ev[0].room, i == 2 ? "games" : "lobby");
        assert_int_equal(got[i]->ev[0].table, 1);
    }
    /* a lurker's colour change is not announced */
    for (int i = 0; i < 5; i++)
        fake_clear(fakes[i]);
    assert_int_equal(core_set_colour(l->s, "#000000"), 0);
    assert_int_equal(a->nev + b->nev, 0);
    /* messages carry the new colour */
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(a->s, w.lobby, "x", 1, &id, &ts), 0);
    assert_string_equal(fake_last(b)->colour, "#a1b2c3");
    free_all();
    world_deinit(&w);
}

static void collect_history(void *ud, const core_event_t *ev)
{
    char *s = ud;
    char one[64];
    snprintf(one, sizeof(one), "%llu:%.*s:%s,", (unsigned long long)ev->msg_id, (int)ev->text_len,
             ev->text, ev->nick);
    assert_int_equal(ev->type, EV_MESSAGE);
    assert_string_equal(ev->room, "lobby");
    strcat(s, one);
}

static void test_history(void **state)
{
    world_t w;
    world_init(&w, 1, 3, 4000);
    fake_t *a = person(&w, 0), *b = person(&w, 1);
    enter(a, w.lobby, false);
    table_t *t1 = room_table_first(w.lobby);
    char h[256] = "";
    table_history_foreach(t1, collect_history, h);
    assert_string_equal(h, "");
    const char *texts[] = {"one", "two", "three", "four", "five"};
    uint64_t ids[5];
    int64_t ts;
    for (int i = 0; i < 5; i++)
        assert_int_equal(core_say(a->s, w.lobby, texts[i], strlen(texts[i]), &ids[i], &ts), 0);
    for (int i = 1; i < 5; i++)
        assert_int_equal(ids[i], ids[i - 1] + 1);
    table_history_foreach(t1, collect_history, h);
    char want[256];
    snprintf(want, sizeof(want), "%llu:three:user0,%llu:four:user0,%llu:five:user0,",
             (unsigned long long)ids[2], (unsigned long long)ids[3], (unsigned long long)ids[4]);
    assert_string_equal(h, want);
    /* the history survives its speaker */
    fake_free(a);
    fakes[0] = NULL;
    h[0] = '\0';
    table_history_foreach(t1, collect_history, h);
    assert_string_equal(h, want);
    /* an overflow table starts empty, and closes with its history */
    fake_t *c = person(&w, 2);
    enter(b, w.lobby, false);
    assert_int_equal(enter(c, w.lobby, false), 2);
    table_t *t2 = room_table_find(w.lobby, 2);
    h[0] = '\0';
    table_history_foreach(t2, collect_history, h);
    assert_string_equal(h, "");
    assert_int_equal(core_say(c->s, w.lobby, "hey", 3, &ids[0], &ts), 0);
    table_history_foreach(t2, collect_history, h);
    snprintf(want, sizeof(want), "%llu:hey:user2,", (unsigned long long)ids[0]);
    assert_string_equal(h, want);
    free_all();
    world_deinit(&w);
}

static void test_no_history(void **state)
{
    world_t w;
    world_init(&w, 0, 0, 4000);
    fake_t *a = person(&w, 0);
    enter(a, w.lobby, false);
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(a->s, w.lobby, "x", 1, &id, &ts), 0);
    char h[64] = "";
    table_history_foreach(room_table_first(w.lobby), collect_history, h);
    assert_string_equal(h, "");
    free_all();
    world_deinit(&w);
}

static void test_encode_cache(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    size_t base = rbuf_live();
    fake_t *a = person(&w, 0), *b = person(&w, 1), *c = person(&w, 2);
    a->encode = b->encode = c->encode = true;
    enter(a, w.lobby, false);
    enter(b, w.lobby, false);
    enter(c, w.lobby, false);
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(a->s, w.lobby, "hi", 2, &id, &ts), 0);
    /* three recipients share one encoding; only their own references keep it alive */
    assert_ptr_equal(a->queued[a->nqueued - 1], b->queued[b->nqueued - 1]);
    assert_ptr_equal(b->queued[b->nqueued - 1], c->queued[c->nqueued - 1]);
    assert_int_equal(a->queued[a->nqueued - 1]->refs, 3);
    assert_int_equal(core_hop(b->s, w.lobby, 1, NULL), CORE_EATTABLE);
    assert_int_equal(core_set_colour(b->s, "#111111"), 0);
    assert_int_equal(core_leave(c->s, w.lobby), 0);
    fake_drop_queue(a);
    fake_drop_queue(b);
    fake_drop_queue(c);
    assert_int_equal(rbuf_live(), base);
    free_all();
    assert_int_equal(rbuf_live(), base);
    world_deinit(&w);
}

static void test_hop_encoded_once(void **state)
{
    world_t w;
    world_init(&w, 2, 50, 4000);
    fake_t *a = person(&w, 0), *b = person(&w, 1), *c = person(&w, 2);
    enter(a, w.lobby, false); /* #1 */
    enter(b, w.lobby, false); /* #1 */
    enter(c, w.lobby, false); /* #2 */
    a->encode = b->encode = c->encode = true;
    size_t base = rbuf_live();
    assert_int_equal(core_hop(b->s, w.lobby, 2, NULL), 0);
    /* the old table-mate and the new one got the same encoding of one event */
    assert_int_equal(a->nqueued, 1);
    assert_int_equal(c->nqueued, 1);
    assert_int_equal(b->nqueued, 0);
    assert_ptr_equal(a->queued[0], c->queued[0]);
    assert_int_equal(a->queued[0]->refs, 2);
    fake_drop_queue(a);
    fake_drop_queue(c);
    assert_int_equal(rbuf_live(), base);
    free_all();
    world_deinit(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enter_overflow),
        cmocka_unit_test(test_overflow_reuse),
        cmocka_unit_test(test_enter_events),
        cmocka_unit_test(test_hop),
        cmocka_unit_test(test_say_reach_many),
        cmocka_unit_test(test_say_reach),
        cmocka_unit_test(test_pm),
        cmocka_unit_test(test_colour_events),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_no_history),
        cmocka_unit_test(test_encode_cache),
        cmocka_unit_test(test_hop_encoded_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
