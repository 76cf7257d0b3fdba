/* A randomised (fixed-seed) churn of people entering, hopping, leaving and being ejected while
 * access lists, user groups, identities, folders and the moderated flag change under them. After
 * every step the core's invariants must hold: counts add up, nobody sits where their right is none,
 * each membership's remembered right is the one resolution gives, read-only people lurk, and
 * people lurk only by choice or by right. Run under ASan it also checks the lifetimes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
#include "fake_session.h"
#include "util/log.h"

#define NPEOPLE 12
#define NROOMS  3
#define STEPS   4000

static uint32_t seed = 12345;

static uint32_t rnd(uint32_t n)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
}

static const char *const accounts[] = {"ann", "bob", "cy", "dee"};

static void check_invariants(core_t *c)
{
    list_foreach(rit, &c->rooms_by_name)
    {
        room_t *r = list_entry(rit, room_t, link);
        unsigned users = 0;
        list_foreach(tit, &r->tables)
        {
            table_t *t = list_entry(tit, table_t, link);
            unsigned n = 0, lurkers = 0;
            assert_true(t->number == 1 || t->nusers > 0); /* emptied overflow tables close */
            list_foreach(it, &t->people)
            {
                struct member *m = list_entry(it, struct member, in_table);
                session_t *s = m->session;
                n++;
                lurkers += m->lurk;
                core_right_t right = core_right(s, r, t->number);
                assert_int_equal(m->right, right);
                assert_true(right > CORE_RIGHT_NONE);
                if (right == CORE_RIGHT_READ_ONLY)
                    assert_true(m->lurk);
                else
                    assert_int_equal(m->lurk, m->asked_lurk);
                assert_ptr_equal(session__member(s, r), m);
            }
            assert_int_equal(n, t->nusers);
            assert_int_equal(lurkers, t->nlurkers);
            users += n;
        }
        assert_int_equal(users, r->nusers);
    }
}

static core_right_t any_right(void)
{
    return (core_right_t)rnd(CORE_RIGHT_HOST + 1);
}

static void random_acl(core_t *c, room_t **rooms)
{
    core_acl_entry_t e[4];
    size_t n = 0;
    if (rnd(4) != 0) {
        e[n++] = (core_acl_entry_t){CORE_WHO_GUESTS, NULL, any_right()};
        if (rnd(2))
            e[n++] = (core_acl_entry_t){CORE_WHO_REGISTERED, NULL, any_right()};
        if (rnd(2))
            e[n++] = (core_acl_entry_t){CORE_WHO_USER, accounts[rnd(4)], any_right()};
        if (rnd(2))
            e[n++] = (core_acl_entry_t){CORE_WHO_GROUP, "crew", any_right()};
    }
    static const char *const folders[] = {"/", "/f", "/f/g"};
    core_acl_ref_t ref = {0};
    switch (rnd(3)) {
    case 0: ref.folder = folders[rnd(3)]; break;
    case 1: ref.room = room_name(rooms[rnd(NROOMS)]); break;
    default:
        ref.room = room_name(rooms[rnd(NROOMS)]);
        ref.table = 1 + rnd(3);
        break;
    }
    assert_int_equal(core_acl_set(c, &ref, e, n), 0);
}

static void step(core_t *c, room_t **rooms, fake_t **people)
{
    fake_t *f = people[rnd(NPEOPLE)];
    room_t *r = rooms[rnd(NROOMS)];
    switch (rnd(14)) {
    case 12: {
        /* a private room: invited and accepted */
        fake_t *g = people[rnd(NPEOPLE)];
        uint64_t id;
        table_t *t;
        if (core_invite(f->s, r, core_session_nick(g->s), &id) == 0 &&
            core_invite_accept(g->s, id, &t) == 0 && rnd(2))
            core_leave(g->s, (room_t *)table_room(t));
        break;
    }
    case 13: {
        /* a disconnect and a reconnect under the same nickname (not the sysop) */
        int i = 1 + (int)rnd(NPEOPLE - 1);
        char nick[32];
        snprintf(nick, sizeof(nick), "%s", core_session_nick(people[i]->s));
        fake_free(people[i]);
        people[i] = fake_hello(c, nick);
        core_session_set_address(people[i]->s, "192.0.2.1");
        break;
    }
    case 0:
    case 1: core_enter(f->s, r, rnd(4) == 0, NULL); break;
    case 2: core_leave(f->s, r); break;
    case 3:
    case 4: core_hop(f->s, r, 1 + rnd(4), NULL); break;
    case 5: random_acl(c, rooms); break;
    case 6: {
        const char *m[2] = {accounts[rnd(4)], accounts[rnd(4)]};
        assert_int_equal(core_group_set(c, "crew", m, rnd(3)), 0);
        break;
    }
    case 7: {
        if (f == people[0])
            break; /* stays the sysop */
        int who = (int)rnd(6);
        core_identity_t id = {NULL, CORE_CLASS_GUEST, false};
        if (who < 4)
            id = (core_identity_t){accounts[who],
                                   rnd(2) ? CORE_CLASS_REGISTERED : CORE_CLASS_PROVISIONAL,
                                   rnd(10) == 0};
        assert_int_equal(core_session_identify(f->s, &id), 0);
        break;
    }
    case 8: {
        /* mostly by someone who may (a host there), sometimes by anyone */
        uint32_t at = rnd(NPEOPLE);
        for (int i = 0; i < NPEOPLE && rnd(5); i++) {
            fake_t *h = people[(at + (uint32_t)i) % NPEOPLE];
            if (core_session_table(h->s, r) && core_right(h->s, r, 0) == CORE_RIGHT_HOST) {
                f = h;
                break;
            }
        }
        if (rnd(2)) { /* the sysop */
            f = people[0];
            core_enter(f->s, r, false, NULL);
        }
        fake_t *g = people[rnd(NPEOPLE)];
        core_eject(f->s, r, core_session_nick(g->s), rnd(2), rnd(3) ? 0 : 60, "churn", NULL);
        break;
    }
    case 9: {
        static const char *const folders[] = {"/", "/f", "/f/g"};
        assert_int_equal(core_room_move(c, r, folders[rnd(3)]), 0);
        break;
    }
    case 10: {
        core_room_edit_t e = {.moderated = (int)rnd(2), .capacity = 1 + (int)rnd(3)};
        assert_int_equal(core_room_update(c, r, &e), 0);
        break;
    }
    default:
        /* bans end (as if time passed) */
        list_foreach(it, &r->bans)
        {
            list_entry(it, struct ban, link)->until = core__now_ms() - 1;
        }
        core_session_set_address(f->s, rnd(2) ? "192.0.2.1" : "192.0.2.2");
        break;
    }
}

static void test_churn(void **state)
{
    const char *env = getenv("PARLEY_CHURN_SEED"); /* to explore other runs */
    log_set_level_name("warn"); /* thousands of list changes and ejections are logged at info */
    if (env)
        seed = (uint32_t)strtoul(env, NULL, 10);
    core_config_t cfg = {.history_on_entry = 2};
    bus_t *bus = bus_inproc_new();
    core_t *c = core_new(&cfg, NULL, bus);
    assert_int_equal(core_folder_create(c, "/f"), 0);
    assert_int_equal(core_folder_create(c, "/f/g"), 0);
    room_t *rooms[NROOMS];
    static const char *const names[] = {"r0", "r1", "r2"};
    for (int i = 0; i < NROOMS; i++) {
        room_spec_t spec = {.name = names[i], .capacity = 2};
        assert_int_equal(core_room_create(c, &spec, false, &rooms[i]), 0);
    }
    fake_t *people[NPEOPLE];
    for (int i = 0; i < NPEOPLE; i++) {
        char nick[16];
        snprintf(nick, sizeof(nick), "p%02d", i);
        people[i] = fake_hello(c, nick);
        core_session_set_address(people[i]->s, "192.0.2.1");
    }
    core_identity_t root = {"root", CORE_CLASS_REGISTERED, true};
    assert_int_equal(core_session_identify(people[0]->s, &root), 0);
    int counts[EV_MEMBER_RIGHTS + 1] = {0}, removed = 0, seated = 0; /* the last event type */
    for (int i = 0; i < STEPS; i++) {
        step(c, rooms, people);
        check_invariants(c);
        for (int j = 0; j < NPEOPLE; j++) {
            for (int k = 0; k < people[j]->nev; k++) {
                counts[people[j]->ev[k].type]++;
                removed +=
                    people[j]->ev[k].type == EV_RIGHTS && people[j]->ev[k].right == CORE_RIGHT_NONE;
            }
            fake_clear(people[j]);
        }
        for (int k = 0; k < NROOMS; k++)
            seated += (int)rooms[k]->nusers;
    }
    /* the churn did exercise what it is about */
    print_message("rights %d (none %d), ejected %d, left %d, lurkers %d, host changes %d, "
                  "seated %d\n",
                  counts[EV_RIGHTS], removed, counts[EV_EJECTED], counts[EV_MEMBER_LEFT],
                  counts[EV_LURKERS], counts[EV_MEMBER_RIGHTS], seated);
    if (env == NULL) {
        assert_true(counts[EV_RIGHTS] > 100 && removed > 20 && counts[EV_EJECTED] > 10);
        assert_true(counts[EV_MEMBER_LEFT] > 100 && counts[EV_LURKERS] > 100 && seated > STEPS);
    }
    for (int i = 0; i < NPEOPLE; i++)
        fake_free(people[i]);
    core_free(c);
    bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
