/* Unit tests of private talk: ignore lists (what they filter, their limits and memory) and
 * invitations to private 1-on-1 rooms (accepting, declining, expiry, visibility, freeing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_session.h"

/* Reach the core's internals (session.ignores, invitation expiry). */
#include "core/core_int.h"

static void enter(fake_t *f, room_t *r)
{
    assert_int_equal(core_enter(f->s, r, false, NULL), 0);
}

static int count_type(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

static void collect(void *ud, const char *nick)
{
    strcat(ud, nick);
    strcat(ud, ",");
}

static void test_ignore_list(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_hello(w.core, "alice");
    assert_null(a->s->ignores); /* an idle session pays one pointer */
    assert_int_equal(core_ignore(a->s, "ALICE"), CORE_EBADREQ);
    assert_int_equal(core_ignore(a->s, "x"), CORE_ENICKINVALID);
    assert_int_equal(core_ignore(a->s, "admin"), CORE_ENICKRESERVED);
    assert_null(a->s->ignores);
    assert_int_equal(core_ignore(a->s, "Zed"), 0);
    assert_int_equal(core_ignore(a->s, "bob"), 0);
    assert_int_equal(core_ignore(a->s, "BOB"), 0); /* already: no-op */
    char buf[256] = "";
    core_ignored_foreach(a->s, collect, buf);
    assert_string_equal(buf, "bob,Zed,");
    assert_int_equal(core_unignore(a->s, "nobody"), 0);
    assert_int_equal(core_unignore(a->s, "zed"), 0);
    assert_int_equal(core_unignore(a->s, "Bob"), 0);
    assert_null(a->s->ignores); /* freed with the last entry */
    for (int i = 0; i < CORE_MAX_IGNORES; i++) {
        char nick[16];
        snprintf(nick, sizeof(nick), "user%03d", i);
        assert_int_equal(core_ignore(a->s, nick), 0);
    }
    assert_int_equal(core_ignore(a->s, "onemore"), CORE_ETOOMANYIGNORES);
    assert_int_equal(core_ignore(a->s, "user050"), 0);
    buf[0] = '\0';
    assert_int_equal(core_unignore(a->s, "user000"), 0);
    assert_int_equal(core_ignore(a->s, "onemore"), 0);
    fake_free(a); /* frees the list (ASan checks) */
    world_deinit(&w);
}

static void test_ignore_filters(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    room_spec_t spec = {.name = "games"};
    room_t *games;
    assert_int_equal(core_room_create(w.core, &spec, false, &games), 0);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "Bob");
    fake_t *c = fake_hello(w.core, "carol");
    fake_t *all[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        enter(all[i], w.lobby);
        enter(all[i], games);
    }
    assert_int_equal(core_ignore(a->s, "BOB"), 0);
    assert_int_equal(core_ignore(a->s, "ghost"), 0); /* need not be online */
    for (int i = 0; i < 3; i++)
        fake_clear(all[i]);
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(b->s, w.lobby, "m1", 2, &id, &ts), 0);
    assert_int_equal(core_say(b->s, games, "m2", 2, &id, &ts), 0);
    assert_int_equal(core_pm(b->s, w.lobby, "alice", "p1", 2, &id, &ts), 0); /* ok, unseen */
    assert_int_equal(count_type(a, EV_MESSAGE) + count_type(a, EV_PRIVATE), 0);
    assert_int_equal(count_type(c, EV_MESSAGE), 2);
    assert_int_equal(count_type(b, EV_MESSAGE), 2);
    assert_int_equal(count_type(b, EV_PRIVATE), 1); /* the sender still gets its copy */
    /* others still reach alice; presence from bob still does */
    assert_int_equal(core_say(c->s, w.lobby, "m3", 2, &id, &ts), 0);
    assert_int_equal(count_type(a, EV_MESSAGE), 1);
    assert_int_equal(core_set_colour(b->s, "#123456"), 0);
    assert_int_equal(count_type(a, EV_COLOUR), 2);
    assert_int_equal(core_leave(b->s, games), 0);
    assert_int_equal(count_type(a, EV_MEMBER_LEFT), 1);
    /* alice's pm to bob is delivered: ignoring is one-way */
    fake_clear(b);
    assert_int_equal(core_pm(a->s, w.lobby, "bob", "hi", 2, &id, &ts), 0);
    assert_int_equal(count_type(b, EV_PRIVATE), 1);
    /* unignore restores */
    assert_int_equal(core_unignore(a->s, "bob"), 0);
    fake_clear(a);
    assert_int_equal(core_say(b->s, w.lobby, "m4", 2, &id, &ts), 0);
    assert_int_equal(core_pm(b->s, w.lobby, "alice", "p2", 2, &id, &ts), 0);
    assert_int_equal(count_type(a, EV_MESSAGE), 1);
    assert_int_equal(count_type(a, EV_PRIVATE), 1);
    for (int i = 0; i < 3; i++)
        fake_free(all[i]);
    world_deinit(&w);
}

static void collect_history(void *ud, const core_event_t *ev)
{
    strncat(ud, ev->text, ev->text_len);
    strcat(ud, ",");
}

/* The history replayed on enter and hop leaves out what ignored nicks said. */
static void test_ignore_history(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    room_spec_t spec = {.name = "games", .capacity = 2};
    room_t *games;
    assert_int_equal(core_room_create(w.core, &spec, false, &games), 0);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "Bob");
    fake_t *c = fake_hello(w.core, "carol");
    uint64_t id;
    int64_t ts;
    enter(b, w.lobby);
    enter(c, w.lobby);
    enter(b, games);
    enter(c, games);
    assert_int_equal(core_say(b->s, w.lobby, "b1", 2, &id, &ts), 0);
    assert_int_equal(core_say(c->s, w.lobby, "c1", 2, &id, &ts), 0);
    assert_int_equal(core_say(b->s, w.lobby, "b2", 2, &id, &ts), 0);
    assert_int_equal(core_say(b->s, games, "g1", 2, &id, &ts), 0);
    assert_int_equal(core_say(c->s, games, "g2", 2, &id, &ts), 0);
    assert_int_equal(core_ignore(a->s, "BOB"), 0);
    /* enter */
    table_t *t;
    assert_int_equal(core_enter(a->s, w.lobby, false, &t), 0);
    char h[64] = "";
    core_table_history_for(a->s, t, collect_history, h);
    assert_string_equal(h, "c1,");
    h[0] = '\0';
    core_table_history_for(c->s, t, collect_history, h); /* others still see everything */
    assert_string_equal(h, "b1,c1,b2,");
    h[0] = '\0';
    table_history_foreach(t, collect_history, h); /* the unfiltered walk (REST) too */
    assert_string_equal(h, "b1,c1,b2,");
    /* hop: games table 1 is full, so alice starts at 2 and hops to 1 once carol has left */
    assert_int_equal(core_enter(a->s, games, false, &t), 0);
    assert_int_equal(table_number(t), 2);
    assert_int_equal(core_leave(c->s, games), 0);
    assert_int_equal(core_hop(a->s, games, 1, &t), 0);
    h[0] = '\0';
    core_table_history_for(a->s, t, collect_history, h);
    assert_string_equal(h, "g2,");
    /* unignoring brings the lines back */
    assert_int_equal(core_unignore(a->s, "bob"), 0);
    h[0] = '\0';
    core_table_history_for(a->s, t, collect_history, h);
    assert_string_equal(h, "g1,g2,");
    fake_free(a);
    fake_free(b);
    fake_free(c);
    world_deinit(&w);
}

static uint64_t invite(fake_t *from, room_t *r, const char *to)
{
    uint64_t id = 0;
    assert_int_equal(core_invite(from->s, r, to, &id), 0);
    assert_true(id > 0);
    return id;
}

static void test_invite_accept(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "bob");
    fake_t *c = fake_hello(w.core, "carol"), *l = fake_hello(w.core, "lurky");
    fake_t *e = fake_hello(w.core, "eve");
    enter(a, w.lobby);
    enter(b, w.lobby);
    enter(c, w.lobby);
    assert_int_equal(core_enter(l->s, w.lobby, true, NULL), 0);
    uint64_t id;
    assert_int_equal(core_invite(e->s, w.lobby, "bob", &id), CORE_ENOTINROOM);
    assert_int_equal(core_invite(a->s, w.lobby, "alice", &id), CORE_ENOUSER);
    assert_int_equal(core_invite(a->s, w.lobby, "eve", &id), CORE_ENOUSER);
    assert_int_equal(core_invite(a->s, w.lobby, "lurky", &id), CORE_ENOUSER);
    assert_int_equal(core_invite(l->s, w.lobby, "bob", &id), CORE_EREADONLY);
    fake_clear(a);
    fake_clear(b);
    fake_clear(c);
    id = invite(a, w.lobby, "BOB");
    assert_int_equal(b->nev, 1);
    assert_int_equal(b->ev[0].type, EV_INVITED);
    assert_int_equal(b->ev[0].invite, id);
    assert_string_equal(b->ev[0].nick, "alice");
    assert_string_equal(b->ev[0].room, "lobby");
    assert_int_equal(a->nev + c->nev, 0);
    /* only the invitee can answer it */
    assert_int_equal(core_invite_accept(c->s, id, NULL), CORE_ENOINVITE);
    assert_int_equal(core_invite_decline(a->s, id), CORE_ENOINVITE);
    assert_int_equal(core_invite_accept(b->s, id + 100, NULL), CORE_ENOINVITE);
    table_t *t = NULL;
    assert_int_equal(core_invite_accept(b->s, id, &t), 0);
    assert_int_equal(core_invite_accept(b->s, id, NULL), CORE_ENOINVITE); /* used up */
    assert_non_null(t);
    room_t *pr = (room_t *)table_room(t);
    assert_true(room_private(pr));
    assert_string_equal(room_title(pr), "alice & bob");
    assert_int_equal(room_capacity(pr), 2);
    assert_int_equal(table_users(t), 2);
    assert_int_equal(a->nev, 1);
    assert_int_equal(a->ev[0].type, EV_INVITE_ACCEPTED);
    assert_int_equal(a->ev[0].invite, id);
    assert_ptr_equal(a->ev[0].at, t);
    assert_ptr_equal(core_session_table(a->s, pr), t);
    /* invisible to others, not enterable, not listed */
    char name[40];
    snprintf(name, sizeof(name), "%s", room_name(pr));
    assert_string_equal(name, "~private-1");
    assert_null(core_room_find(w.core, name));
    assert_null(core_room_find_for(c->s, name));
    assert_ptr_equal(core_room_find_for(a->s, name), pr);
    assert_int_equal(core_enter(c->s, pr, false, NULL), CORE_ENOROOM);
    assert_int_equal(core_enter(a->s, pr, false, NULL), CORE_ENOROOM);
    core_stats_t st;
    core_get_stats(w.core, &st);
    assert_int_equal(st.rooms, 1);
    /* messages flow (no store here: acked at once) */
    fake_clear(a);
    fake_clear(b);
    uint64_t mid;
    int64_t ts;
    assert_int_equal(core_say(a->s, pr, "hi", 2, &mid, &ts), 0);
    assert_int_equal(count_type(b, EV_MESSAGE), 1);
    assert_int_equal(a->ndone, 1);
    assert_int_equal(core_pm(b->s, pr, "alice", "yo", 2, &mid, &ts), 0);
    assert_int_equal(count_type(a, EV_PRIVATE), 1);
    /* leaving: the room lives while one is in it, then goes */
    assert_int_equal(core_leave(a->s, pr), 0);
    assert_ptr_equal(core_room_find_for(b->s, name), pr);
    assert_null(core_room_find_for(a->s, name));
    assert_int_equal(count_type(b, EV_MEMBER_LEFT), 1);
    assert_int_equal(core_leave(b->s, pr), 0);
    assert_null(core_room_find_for(b->s, name));
    assert_null(w.core->privates);
    /* a second room gets a new name; a disconnect frees it too */
    id = invite(b, w.lobby, "carol");
    assert_int_equal(core_invite_accept(c->s, id, &t), 0);
    assert_string_equal(room_title(table_room(t)), "bob & carol");
    assert_string_not_equal(room_name(table_room(t)), name);
    fake_free(b);
    fake_free(c);
    assert_null(w.core->privates);
    fake_free(a);
    fake_free(l);
    fake_free(e);
    world_deinit(&w);
}

static void test_invite_decline_expire(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "bob");
    fake_t *c = fake_hello(w.core, "carol");
    enter(a, w.lobby);
    enter(b, w.lobby);
    enter(c, w.lobby);
    uint64_t id = invite(a, w.lobby, "bob");
    fake_clear(a);
    assert_int_equal(core_invite_decline(b->s, id), 0);
    assert_int_equal(a->nev, 1);
    assert_int_equal(a->ev[0].type, EV_INVITE_DECLINED);
    assert_int_equal(a->ev[0].invite, id);
    assert_string_equal(a->ev[0].nick, "bob");
    assert_int_equal(core_invite_accept(b->s, id, NULL), CORE_ENOINVITE);
    /* expiry */
    id = invite(a, w.lobby, "bob");
    struct invite *iv = list_entry(w.core->invites.next, struct invite, link);
    assert_int_equal(iv->id, id);
    iv->expires = core__now_ms() - 1;
    assert_int_equal(core_invite_accept(b->s, id, NULL), CORE_ENOINVITE);
    assert_true(list_empty(&w.core->invites));
    /* the inviter leaving the server kills the invitation */
    id = invite(a, w.lobby, "bob");
    uint64_t id2 = invite(c, w.lobby, "bob");
    fake_free(a);
    assert_int_equal(core_invite_accept(b->s, id, NULL), CORE_ENOINVITE);
    assert_int_equal(core_invite_decline(b->s, id2), 0);
    /* someone who ignores the inviter is not told, but the invitation exists */
    assert_int_equal(core_ignore(b->s, "carol"), 0);
    fake_clear(b);
    id = invite(c, w.lobby, "bob");
    assert_int_equal(b->nev, 0);
    fake_free(c); /* and the invitee's list entry goes with the inviter */
    assert_true(list_empty(&w.core->invites));
    fake_free(b);
    world_deinit(&w);
}

/* An invitation is no way around the word list: a private table opened from a room where either
 * of the two writes under moderation is moderated; one opened by two participants is not. */
static void test_invite_keeps_moderation(void **state)
{
    world_t w;
    world_init(&w, 0, 50, 4000);
    wordlist_t *wl = wordlist_new();
    assert_int_equal(wordlist_add(wl, "darn"), 0);
    core_set_words(w.core, wl);
    fake_t *a = fake_hello(w.core, "alice"), *b = fake_hello(w.core, "bob");
    fake_t *c = fake_hello(w.core, "carol");
    enter(a, w.lobby);
    enter(b, w.lobby);
    enter(c, w.lobby);
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "carol", CORE_RIGHT_MODERATED},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    core_identity_t carol = {.account = "carol", .cls = CORE_CLASS_REGISTERED};
    assert_int_equal(core_session_identify(c->s, &carol), 0);
    core_acl_ref_t ref = {NULL, "lobby", 0};
    assert_int_equal(core_acl_set(w.core, &ref, acl, 2), 0);
    uint64_t mid;
    int64_t ts;
    assert_int_equal(core_say(c->s, w.lobby, "darn", 4, &mid, &ts), CORE_EMODERATED);

    table_t *t1 = NULL, *t2 = NULL;
    assert_int_equal(core_invite_accept(b->s, invite(a, w.lobby, "bob"), &t1), 0);
    assert_false(room_moderated(table_room(t1)));
    assert_int_equal(core_say(a->s, (room_t *)table_room(t1), "darn", 4, &mid, &ts), 0);
    /* carol invites, or is invited: moderated either way */
    assert_int_equal(core_invite_accept(a->s, invite(c, w.lobby, "alice"), &t2), 0);
    room_t *pr = (room_t *)table_room(t2);
    assert_true(room_moderated(pr));
    assert_int_equal(core_say(c->s, pr, "oh darn", 7, &mid, &ts), CORE_EMODERATED);
    assert_int_equal(core_pm(c->s, pr, "alice", "darn", 4, &mid, &ts), CORE_EMODERATED);
    assert_int_equal(core_leave(c->s, pr), 0);
    table_t *t3 = NULL;
    assert_int_equal(core_invite_accept(c->s, invite(b, w.lobby, "carol"), &t3), 0);
    assert_true(room_moderated(table_room(t3)));
    fake_free(a);
    fake_free(b);
    fake_free(c);
    world_deinit(&w);
    wordlist_free(wl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ignore_list),
        cmocka_unit_test(test_ignore_filters),
        cmocka_unit_test(test_ignore_history),
        cmocka_unit_test(test_invite_accept),
        cmocka_unit_test(test_invite_decline_expire),
        cmocka_unit_test(test_invite_keeps_moderation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
