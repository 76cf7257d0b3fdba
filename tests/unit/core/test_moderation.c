/* Unit tests of moderated rooms in the core: a say or pm holding a listed word is refused with
 * CORE_EMODERATED and reaches nobody; other rooms and other texts are unaffected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
#include "fake_session.h"

typedef struct mworld {
    wordlist_t *words;
    bus_t *bus;
    core_t *core;
    room_t *mod;   /* moderated */
    room_t *plain; /* not moderated */
    fake_t *a, *b;
} mworld_t;

static int setup(void **state)
{
    mworld_t *w = calloc(1, sizeof(*w));
    w->words = wordlist_new();
    assert_int_equal(wordlist_add(w->words, "darn"), 0);
    assert_int_equal(wordlist_add(w->words, "heck"), 0);
    core_config_t cfg = {.history_on_entry = 50, .words = w->words};
    w->bus = bus_inproc_new();
    w->core = core_new(&cfg, NULL, w->bus);
    room_spec_t ms = {.name = "kids", .moderated = true};
    room_spec_t ps = {.name = "pub"};
    assert_int_equal(core_room_create(w->core, &ms, false, &w->mod), 0);
    assert_int_equal(core_room_create(w->core, &ps, false, &w->plain), 0);
    assert_true(room_moderated(w->mod));
    assert_false(room_moderated(w->plain));
    w->a = fake_hello(w->core, "alice");
    w->b = fake_hello(w->core, "bob");
    room_t *rooms[] = {w->mod, w->plain};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(core_enter(w->a->s, rooms[i], false, NULL), 0);
        assert_int_equal(core_enter(w->b->s, rooms[i], false, NULL), 0);
    }
    fake_clear(w->a);
    fake_clear(w->b);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    mworld_t *w = *state;
    fake_free(w->a);
    fake_free(w->b);
    core_free(w->core);
    bus_free(w->bus);
    wordlist_free(w->words);
    free(w);
    return 0;
}

static unsigned count_history(const room_t *r)
{
    return room_table_first(r)->hist_len;
}

static void test_say_refused(void **state)
{
    mworld_t *w = *state;
    uint64_t id = 0;
    int64_t ts = 0;
    core_stats_t before, after;
    core_get_stats(w->core, &before);
    const char *bad[] = {"oh DARN!", "what the heck", "ＤＡＲＮ"};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(bad[i]);
        assert_int_equal(core_say(w->a->s, w->mod, bad[i], len, &id, &ts), CORE_EMODERATED);
    }
    assert_int_equal(w->a->nev, 0); /* not even the sender gets it */
    assert_int_equal(w->b->nev, 0);
    assert_int_equal(w->a->ndone, 0);
    assert_int_equal(count_history(w->mod), 0);
    core_get_stats(w->core, &after);
    assert_int_equal(after.messages_in, before.messages_in);
    assert_int_equal(after.deliveries, before.deliveries);

    /* A clean text right after is delivered as usual. */
    assert_int_equal(core_say(w->a->s, w->mod, "darned nice", 11, &id, &ts), 0);
    assert_int_equal(w->b->nev, 1);
    assert_string_equal(fake_last(w->b)->text, "darned nice");
    assert_int_equal(count_history(w->mod), 1);
}

static void test_plain_room_unaffected(void **state)
{
    mworld_t *w = *state;
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(w->a->s, w->plain, "oh darn", 7, &id, &ts), 0);
    assert_int_equal(w->b->nev, 1);
    assert_int_equal(fake_last(w->b)->type, EV_MESSAGE);
    assert_string_equal(fake_last(w->b)->text, "oh darn");
    assert_int_equal(core_pm(w->a->s, w->plain, "bob", "heck", 4, &id, &ts), 0);
    assert_int_equal(w->b->nev, 2);
    assert_int_equal(fake_last(w->b)->type, EV_PRIVATE);
}

static void test_pm_refused(void **state)
{
    mworld_t *w = *state;
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_pm(w->a->s, w->mod, "bob", "darn you", 8, &id, &ts), CORE_EMODERATED);
    assert_int_equal(w->a->nev, 0);
    assert_int_equal(w->b->nev, 0);
    /* The other checks come first: an unknown recipient is still no_such_user. */
    assert_int_equal(core_pm(w->a->s, w->mod, "carol", "darn", 4, &id, &ts), CORE_ENOUSER);
    assert_int_equal(core_pm(w->a->s, w->mod, "bob", "hello", 5, &id, &ts), 0);
    assert_int_equal(w->b->nev, 1);
    assert_string_equal(fake_last(w->b)->text, "hello");
}

static void test_other_errors_first(void **state)
{
    mworld_t *w = *state;
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(w->a->s, w->mod, "", 0, &id, &ts), CORE_ETEXTEMPTY);
    assert_int_equal(core_leave(w->a->s, w->mod), 0);
    assert_int_equal(core_say(w->a->s, w->mod, "darn", 4, &id, &ts), CORE_ENOTINROOM);
    assert_int_equal(core_enter(w->a->s, w->mod, true, NULL), 0);
    assert_int_equal(core_say(w->a->s, w->mod, "darn", 4, &id, &ts), CORE_EREADONLY);
    assert_string_equal(core_err_code(CORE_EMODERATED), "moderated");
}

static void test_flag_replace(void **state)
{
    mworld_t *w = *state;
    uint64_t id;
    int64_t ts;
    room_spec_t off = {.name = "kids", .moderated = false};
    assert_int_equal(core_room_create(w->core, &off, true, NULL), 0);
    assert_false(room_moderated(w->mod));
    /* the flag is part of the rights: those inside hear of the change */
    assert_int_equal(fake_last(w->b)->type, EV_RIGHTS);
    assert_int_equal(fake_last(w->b)->right, CORE_RIGHT_PARTICIPANT);
    fake_clear(w->b);
    assert_int_equal(core_say(w->a->s, w->mod, "darn", 4, &id, &ts), 0);
    assert_int_equal(w->b->nev, 1);
    room_spec_t on = {.name = "pub", .moderated = true};
    assert_int_equal(core_room_create(w->core, &on, true, NULL), 0);
    fake_clear(w->b);
    assert_int_equal(core_say(w->a->s, w->plain, "darn", 4, &id, &ts), CORE_EMODERATED);
    assert_int_equal(w->b->nev, 0);
}

static void test_no_word_list(void **state)
{
    /* A moderated room in a core without a word list refuses nothing. */
    bus_t *bus = bus_inproc_new();
    core_config_t cfg = {.history_on_entry = 5};
    core_t *c = core_new(&cfg, NULL, bus);
    room_spec_t ms = {.name = "kids", .moderated = true};
    room_t *r;
    assert_int_equal(core_room_create(c, &ms, false, &r), 0);
    fake_t *a = fake_hello(c, "alice");
    assert_int_equal(core_enter(a->s, r, false, NULL), 0);
    uint64_t id;
    int64_t ts;
    assert_int_equal(core_say(a->s, r, "darn", 4, &id, &ts), 0);
    fake_free(a);
    core_free(c);
    bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_say_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_room_unaffected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_errors_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_replace, setup, teardown),
        cmocka_unit_test(test_no_word_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
