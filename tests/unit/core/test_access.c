/* Unit tests of access rights: the permission matrix (every right x every action x every class),
 * inheritance through nested folders and its overrides (room over folder, table over room), user
 * groups, configurable defaults, rights changed while people are inside (removed, turned lurker,
 * turned member, with their events), bans and their expiry, host powers, and folder operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core_int.h"
#include "fake_session.h"

/* The scenario being checked, printed when a check fails. */
static char scen[160];
#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            print_error("%s: %s (line %d)\n", scen, #x, __LINE__);                                 \
            fail();                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_RC(call, want)                                                                       \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != (want)) {                                                                       \
            print_error("%s: %s gave %s, want %s (line %d)\n", scen, #call, core_err_code(rc_),    \
                        (want) == 0 ? "ok" : core_err_code(want), __LINE__);                       \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

typedef struct aworld {
    wordlist_t *words;
    bus_t *bus;
    core_t *core;
} aworld_t;

static void aworld_init(aworld_t *w, const core_config_t *extra)
{
    w->words = wordlist_new();
    assert_int_equal(wordlist_add(w->words, "darn"), 0);
    core_config_t cfg = {.history_on_entry = 10, .words = w->words};
    if (extra) {
        cfg.access_defaults = extra->access_defaults;
        cfg.registered_default = extra->registered_default;
        cfg.guests_default = extra->guests_default;
    }
    w->bus = bus_inproc_new();
    w->core = core_new(&cfg, NULL, w->bus);
}

static void aworld_deinit(aworld_t *w)
{
    core_free(w->core);
    bus_free(w->bus);
    wordlist_free(w->words);
}

static room_t *mkroom(aworld_t *w, const char *name, const char *folder, int capacity)
{
    room_t *r;
    room_spec_t spec = {.name = name, .folder = folder, .capacity = capacity};
    assert_int_equal(core_room_create(w->core, &spec, false, &r), 0);
    return r;
}

typedef enum { GUEST, PROVISIONAL, REGISTERED } cls_t;
static const char *const cls_names[] = {"guest", "provisional", "registered"};

/* A fake with hello done and the identity of cls (account = nick for accounts). */
static fake_t *person(aworld_t *w, const char *nick, cls_t cls, bool sysop)
{
    fake_t *f = fake_hello(w->core, nick);
    if (cls != GUEST) {
        core_identity_t id = {
            nick, cls == PROVISIONAL ? CORE_CLASS_PROVISIONAL : CORE_CLASS_REGISTERED, sysop};
        assert_int_equal(core_session_identify(f->s, &id), 0);
    }
    core_session_set_address(f->s, "192.0.2.1");
    return f;
}

static int count_type(const fake_t *f, core_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].type == type;
    return n;
}

static const rec_t *find_type(const fake_t *f, core_event_type_t type)
{
    for (int i = f->nev - 1; i >= 0; i--)
        if (f->ev[i].type == type)
            return &f->ev[i];
    return NULL;
}

static void set_acl(aworld_t *w, const char *folder, const char *room, uint32_t table,
                    const core_acl_entry_t *e, size_t n)
{
    core_acl_ref_t ref = {folder, room, table};
    assert_int_equal(core_acl_set(w->core, &ref, e, n), 0);
}

/* ---- the matrix ---- */

/* One subject of class cls whose class entry in the room's list is `right`. Around it: hank
 * (named host), pat (named participant). Capacity 2: hank and the subject share table 1, pat
 * opens table 2. Every action is tried and its answer checked against the right. */
static void matrix_one(cls_t cls, core_right_t right)
{
    aworld_t w;
    aworld_init(&w, NULL);
    snprintf(scen, sizeof(scen), "%s with %s", cls_names[cls], core_right_name(right));
    room_t *r = mkroom(&w, "den", NULL, 2);
    core_acl_entry_t acl[] = {
        {CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
        {CORE_WHO_USER, "pat", CORE_RIGHT_PARTICIPANT},
        {cls == REGISTERED ? CORE_WHO_REGISTERED : CORE_WHO_GUESTS, NULL, right},
        /* the other class gets nothing: the class entry must be the one that decides */
        {cls == REGISTERED ? CORE_WHO_GUESTS : CORE_WHO_REGISTERED, NULL, CORE_RIGHT_NONE},
    };
    set_acl(&w, NULL, "den", 0, acl, 4);
    fake_t *hank = person(&w, "hank", REGISTERED, false);
    fake_t *pat = person(&w, "pat", REGISTERED, false);
    fake_t *s = person(&w, "subj", cls, false);
    CHECK_RC(core_enter(hank->s, r, false, NULL), 0);

    /* list (the rooms command shows rooms whose right is above none) and tables */
    CHECK(core_right(s->s, r, 0) == right);
    CHECK(core_right(s->s, r, 1) == right);

    /* enter */
    table_t *t;
    if (right == CORE_RIGHT_NONE) {
        CHECK_RC(core_enter(s->s, r, false, &t), CORE_ENOROOM);
        CHECK_RC(core_say(s->s, r, "hi", 2, NULL, NULL), CORE_ENOTINROOM);
        CHECK_RC(core_hop(s->s, r, 1, NULL), CORE_ENOTINROOM);
        CHECK_RC(core_broadcast(s->s, r, "hi", 2, NULL), CORE_ENOTINROOM);
        core_room_edit_t e = {.topic = "x", .moderated = -1};
        CHECK_RC(core_edit_room(s->s, r, &e), CORE_ENOTINROOM);
        goto out;
    }
    CHECK_RC(core_enter(s->s, r, false, &t), 0);
    CHECK(table_number(t) == 1);
    CHECK(core_session_lurking(s->s, r) == (right == CORE_RIGHT_READ_ONLY));
    CHECK_RC(core_enter(pat->s, r, false, NULL), 0);
    CHECK(table_number(core_session_table(pat->s, r)) == 2);

    /* say and pm: read-only cannot write; moderated writes pass the word list */
    int write = right == CORE_RIGHT_READ_ONLY ? CORE_EREADONLY : 0;
    int dirty = right == CORE_RIGHT_READ_ONLY   ? CORE_EREADONLY
                : right == CORE_RIGHT_MODERATED ? CORE_EMODERATED
                                                : 0;
    CHECK_RC(core_say(s->s, r, "hello", 5, NULL, NULL), write);
    CHECK_RC(core_say(s->s, r, "oh darn", 7, NULL, NULL), dirty);
    CHECK_RC(core_pm(s->s, r, "hank", "psst", 4, NULL, NULL), write);
    CHECK_RC(core_pm(s->s, r, "hank", "darn", 4, NULL, NULL), dirty);
    uint64_t inv;
    CHECK_RC(core_invite(s->s, r, "hank", &inv), write);

    /* host powers */
    int host = right == CORE_RIGHT_HOST ? 0 : CORE_EFORBIDDEN;
    CHECK_RC(core_broadcast(s->s, r, "listen", 6, NULL), host);
    core_room_edit_t e = {.topic = "new topic", .moderated = -1};
    CHECK_RC(core_edit_room(s->s, r, &e), host);
    CHECK_RC(core_edit_table(s->s, r, 2, "table two"), host);
    /* a host, even of the room, may not eject another host; only a sysop may */
    CHECK_RC(core_eject(s->s, r, "hank", false, 0, NULL, NULL), CORE_EFORBIDDEN);

    /* hop to table 2, where pat is */
    CHECK_RC(core_hop(s->s, r, 2, &t), 0);
    CHECK(table_number(t) == 2);
    CHECK(core_session_lurking(s->s, r) == (right == CORE_RIGHT_READ_ONLY));
    CHECK_RC(core_eject(s->s, r, "pat", true, 0, "bye", NULL), host);
    if (right == CORE_RIGHT_HOST) {
        CHECK(core_session_table(pat->s, r) == NULL);
        CHECK(find_type(pat, EV_EJECTED) != NULL);
    }
out:
    fake_free(s);
    fake_free(pat);
    fake_free(hank);
    aworld_deinit(&w);
}

static void test_matrix_classes(void **state)
{
    for (int cls = GUEST; cls <= REGISTERED; cls++)
        for (int right = CORE_RIGHT_NONE; right <= CORE_RIGHT_HOST; right++)
            matrix_one((cls_t)cls, (core_right_t)right);
}

/* Sysops are host everywhere, whatever the lists say; host by a user entry likewise where the
 * classes have nothing. Only a sysop may eject a host; nobody may eject a sysop. */
static void test_matrix_sysop_and_named_host(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 0);
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                              {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_NONE},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, acl, 3);
    fake_t *root = person(&w, "root", REGISTERED, true);
    fake_t *hank = person(&w, "hank", REGISTERED, false);
    fake_t *g = person(&w, "gus", GUEST, false);
    snprintf(scen, sizeof(scen), "sysop and named host");
    CHECK(core_right(root->s, r, 0) == CORE_RIGHT_HOST);
    CHECK(core_right(hank->s, r, 0) == CORE_RIGHT_HOST);
    fake_t *all[] = {root, hank, g};
    for (int i = 0; i < 3; i++)
        CHECK_RC(core_enter(all[i]->s, r, false, NULL), 0);
    CHECK_RC(core_say(root->s, r, "darn", 4, NULL, NULL), 0);
    CHECK_RC(core_broadcast(hank->s, r, "hear ye", 7, NULL), 0);
    CHECK(find_type(g, EV_BROADCAST) != NULL);
    CHECK_RC(core_eject(hank->s, r, "root", false, 0, NULL, NULL), CORE_EFORBIDDEN);
    CHECK_RC(core_eject(g->s, r, "hank", false, 0, NULL, NULL), CORE_EFORBIDDEN);
    CHECK_RC(core_eject(g->s, r, "nobody", false, 0, NULL, NULL), CORE_EFORBIDDEN);
    CHECK_RC(core_eject(hank->s, r, "nobody", false, 0, NULL, NULL), CORE_ENOUSER);
    CHECK_RC(core_eject(hank->s, r, "gus", false, -1, NULL, NULL), CORE_EBADREQ);
    CHECK_RC(core_eject(root->s, r, "hank", false, 0, NULL, NULL), 0);
    CHECK(core_session_table(hank->s, r) == NULL);
    /* a moderated room: every non-host writer is moderated, hosts and sysops are not */
    core_room_edit_t e = {.moderated = 1};
    CHECK_RC(core_room_update(w.core, r, &e), 0);
    CHECK(core_right(g->s, r, 0) == CORE_RIGHT_MODERATED);
    CHECK(core_right(hank->s, r, 0) == CORE_RIGHT_HOST);
    CHECK_RC(core_say(g->s, r, "darn", 4, NULL, NULL), CORE_EMODERATED);
    CHECK_RC(core_say(root->s, r, "darn", 4, NULL, NULL), 0);
    fake_free(g);
    fake_free(hank);
    fake_free(root);
    aworld_deinit(&w);
}

/* Ejected with a ban: none in the room (or at that table) until it ends or is lifted. */
static void test_matrix_banned(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 0);
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                              {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, acl, 3);
    fake_t *hank = person(&w, "hank", REGISTERED, false);
    fake_t *reg = person(&w, "reg", REGISTERED, false);
    fake_t *g = person(&w, "gus", GUEST, false);
    snprintf(scen, sizeof(scen), "banned");
    fake_t *all[] = {hank, reg, g};
    for (int i = 0; i < 3; i++)
        CHECK_RC(core_enter(all[i]->s, r, false, NULL), 0);
    fake_clear(reg);
    int64_t until = 0;
    CHECK_RC(core_eject(hank->s, r, "gus", false, 60, "rude", &until), 0);
    CHECK(until > core__now_ms());
    const rec_t *ej = find_type(g, EV_EJECTED);
    CHECK(ej && strcmp(ej->room, "den") == 0 && ej->table == 0 && strcmp(ej->nick, "hank") == 0 &&
          strcmp(ej->reason, "rude") == 0 && ej->ts == until);
    const rec_t *left = find_type(reg, EV_MEMBER_LEFT);
    CHECK(left && strcmp(left->nick, "gus") == 0 && strcmp(left->reason, "ejected") == 0);
    /* every action now finds the room missing */
    CHECK(core_right(g->s, r, 0) == CORE_RIGHT_NONE);
    CHECK_RC(core_enter(g->s, r, false, NULL), CORE_ENOROOM);
    CHECK_RC(core_say(g->s, r, "x", 1, NULL, NULL), CORE_ENOTINROOM);
    /* by address: the same guest under a new nickname stays out; a registered account on that
     * address does not, nor does a guest elsewhere */
    fake_t *g2 = person(&w, "gus2", GUEST, false);
    CHECK_RC(core_enter(g2->s, r, false, NULL), CORE_ENOROOM);
    core_session_set_address(g2->s, "198.51.100.7");
    CHECK_RC(core_enter(g2->s, r, false, NULL), 0);
    CHECK(core_right(reg->s, r, 0) == CORE_RIGHT_PARTICIPANT);
    /* an account is banned by its name */
    CHECK_RC(core_eject(hank->s, r, "reg", false, 60, NULL, NULL), 0);
    CHECK_RC(core_enter(reg->s, r, false, NULL), CORE_ENOROOM);
    /* lifting and expiry */
    CHECK_RC(core_ban_lift(w.core, "den", 0, "account:reg"), 0);
    CHECK_RC(core_ban_lift(w.core, "den", 0, "account:reg"), CORE_ENOBAN);
    CHECK_RC(core_enter(reg->s, r, false, NULL), 0);
    list_foreach(it, &r->bans)
    {
        list_entry(it, struct ban, link)->until = core__now_ms() - 1; /* as if time passed */
    }
    CHECK_RC(core_enter(g->s, r, false, NULL), 0);
    CHECK(list_empty(&r->bans) || core_right(g->s, r, 0) == CORE_RIGHT_PARTICIPANT);
    fake_free(g2);
    fake_free(g);
    fake_free(reg);
    fake_free(hank);
    aworld_deinit(&w);
}

/* A table ban: the room stays visible, the table does not (placement and hop skip it). */
static void test_table_eject_and_ban(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 2);
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, acl, 2);
    fake_t *hank = person(&w, "hank", REGISTERED, false);
    fake_t *g = person(&w, "gus", GUEST, false);
    fake_t *m = person(&w, "mia", GUEST, false);
    snprintf(scen, sizeof(scen), "table ban");
    CHECK_RC(core_enter(hank->s, r, false, NULL), 0);
    CHECK_RC(core_enter(g->s, r, false, NULL), 0);
    CHECK_RC(core_enter(m->s, r, false, NULL), 0); /* table 2 */
    CHECK_RC(core_eject(hank->s, r, "gus", true, 60, NULL, NULL), 0);
    CHECK(find_type(g, EV_EJECTED)->table == 1);
    CHECK(core_right(g->s, r, 0) == CORE_RIGHT_PARTICIPANT);
    CHECK(core_right(g->s, r, 1) == CORE_RIGHT_NONE);
    table_t *t;
    CHECK_RC(core_enter(g->s, r, false, &t), 0);
    CHECK(table_number(t) == 2);
    CHECK_RC(core_hop(g->s, r, 1, NULL), CORE_ENOTABLE);
    fake_free(m);
    fake_free(g);
    fake_free(hank);
    aworld_deinit(&w);
}

/* ---- inheritance ---- */

static void test_inheritance(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    assert_int_equal(core_folder_create(w.core, "/a"), 0);
    assert_int_equal(core_folder_create(w.core, "/a/b"), 0);
    room_t *top = mkroom(&w, "top", NULL, 0);
    room_t *deep = mkroom(&w, "deep", "/a/b", 0);
    room_t *mid = mkroom(&w, "mid", "/a", 0);
    fake_t *g = person(&w, "gus", GUEST, false);
    fake_t *reg = person(&w, "reg", REGISTERED, false);
    snprintf(scen, sizeof(scen), "inheritance");
    /* no list anywhere: the built-in default */
    CHECK(core_right(g->s, deep, 0) == CORE_RIGHT_PARTICIPANT);
    /* the root's list reaches everything */
    core_acl_entry_t none[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE}};
    set_acl(&w, "/", NULL, 0, none, 1);
    CHECK(core_right(g->s, deep, 0) == CORE_RIGHT_NONE);
    CHECK(core_right(reg->s, deep, 0) == CORE_RIGHT_NONE); /* the list replaces the defaults */
    /* a nested folder's list replaces the root's for everything inside it */
    core_acl_entry_t ro[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY},
                             {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, "/a", NULL, 0, ro, 2);
    CHECK(core_right(g->s, mid, 0) == CORE_RIGHT_READ_ONLY);
    CHECK(core_right(g->s, deep, 0) == CORE_RIGHT_READ_ONLY);
    CHECK(core_right(g->s, top, 0) == CORE_RIGHT_NONE);
    core_acl_entry_t part[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, "/a/b", NULL, 0, part, 1);
    CHECK(core_right(g->s, deep, 0) == CORE_RIGHT_PARTICIPANT);
    CHECK(core_right(reg->s, deep, 0) == CORE_RIGHT_NONE);
    CHECK(core_right(g->s, mid, 0) == CORE_RIGHT_READ_ONLY);
    /* a room's own list overrides its folder's */
    core_acl_entry_t host[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_HOST}};
    set_acl(&w, NULL, "mid", 0, host, 1);
    CHECK(core_right(g->s, mid, 0) == CORE_RIGHT_HOST);
    /* a table's list overrides its room's, for that table only */
    set_acl(&w, NULL, "mid", 2, none, 1);
    CHECK(core_right(g->s, mid, 2) == CORE_RIGHT_NONE);
    CHECK(core_right(g->s, mid, 3) == CORE_RIGHT_HOST);
    /* ...but a table is reached through its room: none on the room hides every table */
    set_acl(&w, NULL, "top", 1, host, 1);
    CHECK(core_right(g->s, top, 1) == CORE_RIGHT_NONE);
    /* removing lists: inherit again */
    set_acl(&w, NULL, "mid", 0, NULL, 0);
    CHECK(core_right(g->s, mid, 0) == CORE_RIGHT_READ_ONLY);
    set_acl(&w, "/a", NULL, 0, NULL, 0);
    CHECK(core_right(g->s, mid, 0) == CORE_RIGHT_NONE);
    bool has = true;
    core_acl_ref_t ref = {"/a", NULL, 0};
    assert_int_equal(core_acl_get(w.core, &ref, NULL, NULL, &has), 0);
    CHECK(!has);
    /* moving a room moves it under another list */
    assert_int_equal(core_room_move(w.core, mid, "/a/b"), 0);
    CHECK(core_right(g->s, mid, 0) == CORE_RIGHT_PARTICIPANT);
    fake_free(reg);
    fake_free(g);
    aworld_deinit(&w);
}

static void test_entry_precedence_and_groups(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 0);
    const char *mods[] = {"ann", "bea"}, *kids[] = {"bea", "cid", "bea"};
    assert_int_equal(core_group_set(w.core, "mods", mods, 2), 0);
    assert_int_equal(core_group_set(w.core, "kids", kids, 3), 0);
    fake_t *ann = person(&w, "ann", REGISTERED, false);
    fake_t *bea = person(&w, "bea", REGISTERED, false);
    fake_t *cid = person(&w, "cid", PROVISIONAL, false);
    fake_t *dan = person(&w, "dan", REGISTERED, false);
    snprintf(scen, sizeof(scen), "precedence");
    core_acl_entry_t acl[] = {{CORE_WHO_GROUP, "kids", CORE_RIGHT_READ_ONLY},
                              {CORE_WHO_GROUP, "mods", CORE_RIGHT_HOST},
                              {CORE_WHO_USER, "ann", CORE_RIGHT_MODERATED},
                              {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE}};
    set_acl(&w, NULL, "den", 0, acl, 5);
    CHECK(core_right(ann->s, r, 0) == CORE_RIGHT_MODERATED); /* the user entry wins */
    CHECK(core_right(bea->s, r, 0) == CORE_RIGHT_HOST);      /* the highest group */
    CHECK(core_right(cid->s, r, 0) == CORE_RIGHT_READ_ONLY); /* groups before the class */
    CHECK(core_right(dan->s, r, 0) == CORE_RIGHT_PARTICIPANT);
    /* groups: sorted, without duplicates; bad names and members refused */
    const char *bad[] = {"ok", ""};
    CHECK_RC(core_group_set(w.core, "Bad Name", mods, 2), CORE_EBADACL);
    CHECK_RC(core_group_set(w.core, "x", bad, 2), CORE_EBADACL);
    CHECK_RC(core_group_delete(w.core, "nope"), CORE_ENOGROUP);
    struct ugroup *g = w.core->groups;
    HASH_FIND_STR(w.core->groups, "kids", g);
    CHECK(g && g->n == 2);
    /* bad lists are refused whole */
    core_acl_entry_t dup[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_HOST}};
    core_acl_entry_t noname[] = {{CORE_WHO_USER, NULL, CORE_RIGHT_HOST}};
    core_acl_entry_t badright[] = {{CORE_WHO_GUESTS, NULL, (core_right_t)9}};
    core_acl_ref_t ref = {NULL, "den", 0};
    CHECK_RC(core_acl_set(w.core, &ref, dup, 2), CORE_EBADACL);
    CHECK_RC(core_acl_set(w.core, &ref, noname, 1), CORE_EBADACL);
    CHECK_RC(core_acl_set(w.core, &ref, badright, 1), CORE_EBADACL);
    core_acl_ref_t missing = {NULL, "nowhere", 0}, nofolder = {"/x", NULL, 0};
    CHECK_RC(core_acl_set(w.core, &missing, dup, 0), CORE_ENOROOM);
    CHECK_RC(core_acl_set(w.core, &nofolder, dup, 0), CORE_ENOFOLDER);
    CHECK(core_right(bea->s, r, 0) == CORE_RIGHT_HOST); /* unchanged */

    /* account names compare as nicknames do (NFKC + case folding), in entries and groups */
    snprintf(scen, sizeof(scen), "account names folded");
    fake_t *zoe = person(&w, "Zo\xc3\xab", REGISTERED, false); /* Zoë */
    fake_t *hal = person(&w, "HAL", REGISTERED, false);
    const char *crew[] = {"ZO\xc3\x8b"}; /* ZOË */
    assert_int_equal(core_group_set(w.core, "crew", crew, 1), 0);
    core_acl_entry_t folded[] = {{CORE_WHO_USER, "hal", CORE_RIGHT_HOST},
                                 {CORE_WHO_GROUP, "crew", CORE_RIGHT_READ_ONLY},
                                 {CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, folded, 3);
    CHECK(core_right(hal->s, r, 0) == CORE_RIGHT_HOST);
    CHECK(core_right(zoe->s, r, 0) == CORE_RIGHT_READ_ONLY);
    HASH_FIND_STR(w.core->groups, "crew", g);
    CHECK(g && strcmp(g->members[0], "ZO\xc3\x8b") == 0); /* listed as given */
    /* one entry per account, however it is spelt */
    core_acl_entry_t twice[] = {{CORE_WHO_USER, "hal", CORE_RIGHT_HOST},
                                {CORE_WHO_USER, "Hal", CORE_RIGHT_NONE}};
    CHECK_RC(core_acl_set(w.core, &ref, twice, 2), CORE_EBADACL);
    fake_t *all[] = {ann, bea, cid, dan, zoe, hal};
    for (int i = 0; i < 6; i++)
        fake_free(all[i]);
    aworld_deinit(&w);
}

static void test_configured_defaults(void **state)
{
    aworld_t w;
    core_config_t cfg = {.access_defaults = true,
                         .registered_default = CORE_RIGHT_MODERATED,
                         .guests_default = CORE_RIGHT_READ_ONLY};
    aworld_init(&w, &cfg);
    room_t *r = mkroom(&w, "den", NULL, 0);
    fake_t *g = person(&w, "gus", GUEST, false);
    fake_t *p = person(&w, "pia", PROVISIONAL, false);
    fake_t *reg = person(&w, "reg", REGISTERED, false);
    snprintf(scen, sizeof(scen), "defaults");
    CHECK(core_right(g->s, r, 0) == CORE_RIGHT_READ_ONLY);
    CHECK(core_right(p->s, r, 0) == CORE_RIGHT_READ_ONLY);
    CHECK(core_right(reg->s, r, 0) == CORE_RIGHT_MODERATED);
    CHECK_RC(core_enter(g->s, r, false, NULL), 0);
    CHECK(core_session_lurking(g->s, r));
    CHECK(core_right_anonymous(r) == CORE_RIGHT_READ_ONLY);
    fake_free(reg);
    fake_free(p);
    fake_free(g);
    aworld_deinit(&w);
}

/* ---- rights changed while inside ---- */

static void test_change_while_inside(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 0);
    core_acl_entry_t base[] = {{CORE_WHO_REGISTERED, NULL, CORE_RIGHT_PARTICIPANT},
                               {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, base, 2);
    fake_t *g = person(&w, "gus", GUEST, false);
    fake_t *reg = person(&w, "reg", REGISTERED, false);
    fake_t *lurk = person(&w, "lou", GUEST, false);
    snprintf(scen, sizeof(scen), "change while inside");
    CHECK_RC(core_enter(reg->s, r, false, NULL), 0);
    CHECK_RC(core_enter(g->s, r, false, NULL), 0);
    CHECK_RC(core_enter(lurk->s, r, true, NULL), 0); /* lurking by choice */
    fake_clear(g);
    fake_clear(reg);
    fake_clear(lurk);

    /* guests -> read-only: gus becomes a lurker */
    core_acl_entry_t ro[] = {base[0], {CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY}};
    set_acl(&w, NULL, "den", 0, ro, 2);
    const rec_t *ev = find_type(g, EV_RIGHTS);
    CHECK(ev && ev->right == CORE_RIGHT_READ_ONLY && strcmp(ev->room, "den") == 0 &&
          ev->table == 1);
    CHECK(core_session_lurking(g->s, r));
    ev = find_type(reg, EV_MEMBER_LEFT);
    CHECK(ev && strcmp(ev->nick, "gus") == 0 && strcmp(ev->reason, "access") == 0);
    ev = find_type(reg, EV_LURKERS);
    CHECK(ev && ev->count == 2);
    CHECK(count_type(reg, EV_RIGHTS) == 0); /* reg's right did not change */
    CHECK(find_type(lurk, EV_RIGHTS)->right == CORE_RIGHT_READ_ONLY);
    CHECK_RC(core_say(g->s, r, "hi", 2, NULL, NULL), CORE_EREADONLY);
    CHECK(table_lurkers(core_session_table(reg->s, r)) == 2);
    fake_clear(g);
    fake_clear(reg);
    fake_clear(lurk);

    /* back up: gus is a member again, lou keeps lurking as she chose */
    set_acl(&w, NULL, "den", 0, base, 2);
    CHECK(find_type(g, EV_RIGHTS)->right == CORE_RIGHT_PARTICIPANT);
    CHECK(!core_session_lurking(g->s, r));
    CHECK(core_session_lurking(lurk->s, r));
    ev = find_type(reg, EV_MEMBER_ENTERED);
    CHECK(ev && strcmp(ev->nick, "gus") == 0);
    CHECK(find_type(reg, EV_LURKERS)->count == 1);
    CHECK(count_type(g, EV_MEMBER_ENTERED) == 0); /* not told of itself */
    CHECK_RC(core_say(g->s, r, "hi", 2, NULL, NULL), 0);
    fake_clear(g);
    fake_clear(reg);
    fake_clear(lurk);

    /* guests -> none: gus and lou are removed at once */
    core_acl_entry_t gone[] = {base[0], {CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE}};
    set_acl(&w, NULL, "den", 0, gone, 2);
    CHECK(find_type(g, EV_RIGHTS)->right == CORE_RIGHT_NONE);
    CHECK(core_session_table(g->s, r) == NULL);
    CHECK(core_session_table(lurk->s, r) == NULL);
    ev = find_type(reg, EV_MEMBER_LEFT);
    CHECK(ev && strcmp(ev->reason, "access") == 0);
    CHECK(room_user_count(r) == 1);
    CHECK_RC(core_enter(g->s, r, false, NULL), CORE_ENOROOM);

    /* an identity change applies at once: reg loses its account's rights as a guest would */
    fake_clear(reg);
    core_identity_t guest = {NULL, CORE_CLASS_GUEST, false};
    CHECK_RC(core_session_identify(reg->s, &guest), 0);
    CHECK(find_type(reg, EV_RIGHTS)->right == CORE_RIGHT_NONE);
    CHECK(core_session_table(reg->s, r) == NULL);
    /* ...and a sysop flag makes it host where it is */
    core_identity_t reg_id = {"reg", CORE_CLASS_REGISTERED, false};
    CHECK_RC(core_session_identify(reg->s, &reg_id), 0);
    CHECK_RC(core_enter(reg->s, r, false, NULL), 0);
    fake_clear(reg);
    core_identity_t sysop = {"reg", CORE_CLASS_REGISTERED, true};
    CHECK_RC(core_session_identify(reg->s, &sysop), 0);
    CHECK(find_type(reg, EV_RIGHTS)->right == CORE_RIGHT_HOST);
    fake_free(lurk);
    fake_free(reg);
    fake_free(g);
    aworld_deinit(&w);
}

static void test_group_change_while_inside(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 0);
    const char *crew[] = {"ann"};
    assert_int_equal(core_group_set(w.core, "crew", crew, 1), 0);
    core_acl_entry_t acl[] = {{CORE_WHO_GROUP, "crew", CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, acl, 1);
    fake_t *ann = person(&w, "ann", REGISTERED, false);
    snprintf(scen, sizeof(scen), "group change");
    CHECK_RC(core_enter(ann->s, r, false, NULL), 0);
    assert_int_equal(core_group_set(w.core, "crew", NULL, 0), 0);
    CHECK(core_session_table(ann->s, r) == NULL);
    CHECK(find_type(ann, EV_RIGHTS)->right == CORE_RIGHT_NONE);
    assert_int_equal(core_group_set(w.core, "crew", crew, 1), 0);
    CHECK_RC(core_enter(ann->s, r, false, NULL), 0);
    assert_int_equal(core_group_delete(w.core, "crew"), 0);
    CHECK(core_session_table(ann->s, r) == NULL);
    fake_free(ann);
    aworld_deinit(&w);
}

/* Tables with their own lists: placement skips what the entrant may not use, hop refuses it
 * as missing, read-only tables seat lurkers, and a hop changes lurker/member accordingly. */
static void test_table_lists(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 1);
    core_acl_entry_t none[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_NONE}};
    core_acl_entry_t ro[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY}};
    set_acl(&w, NULL, "den", 2, none, 1);
    set_acl(&w, NULL, "den", 3, ro, 1);
    fake_t *a = person(&w, "amy", GUEST, false), *b = person(&w, "ben", GUEST, false);
    fake_t *c = person(&w, "cal", GUEST, false);
    snprintf(scen, sizeof(scen), "table lists");
    table_t *t;
    CHECK_RC(core_enter(a->s, r, false, &t), 0);
    CHECK(table_number(t) == 1);
    CHECK_RC(core_enter(b->s, r, false, &t), 0);
    CHECK(table_number(t) == 3); /* 2 is closed to guests */
    CHECK(core_session_lurking(b->s, r));
    CHECK_RC(core_enter(c->s, r, false, &t), 0);
    CHECK(table_number(t) == 4);
    CHECK_RC(core_hop(c->s, r, 2, NULL), CORE_ENOTABLE);
    /* a table one has none at does not exist for it, for edit_table too (not forbidden) */
    CHECK_RC(core_edit_table(c->s, r, 2, "x"), CORE_ENOTABLE);
    CHECK_RC(core_edit_table(c->s, r, 3, "x"), CORE_EFORBIDDEN);
    CHECK_RC(core_leave(a->s, r), 0);
    fake_clear(c);
    CHECK_RC(core_hop(b->s, r, 1, &t), 0); /* read-only table 3 -> member at table 1 */
    CHECK(!core_session_lurking(b->s, r));
    CHECK(core_right(b->s, r, 1) == CORE_RIGHT_PARTICIPANT);
    CHECK_RC(core_say(b->s, r, "out of the gallery", 18, NULL, NULL), 0);
    /* a table's list changed while someone sits there */
    set_acl(&w, NULL, "den", 4, ro, 1);
    CHECK(core_session_lurking(c->s, r));
    CHECK(find_type(c, EV_RIGHTS)->table == 4);
    fake_free(c);
    fake_free(b);
    fake_free(a);
    aworld_deinit(&w);
}

/* ---- host powers ---- */

static void test_broadcast_and_edits(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    room_t *r = mkroom(&w, "den", NULL, 1);
    core_acl_entry_t acl[] = {{CORE_WHO_USER, "hank", CORE_RIGHT_HOST},
                              {CORE_WHO_GUESTS, NULL, CORE_RIGHT_PARTICIPANT}};
    set_acl(&w, NULL, "den", 0, acl, 2);
    fake_t *hank = person(&w, "hank", REGISTERED, false);
    fake_t *a = person(&w, "amy", GUEST, false), *b = person(&w, "ben", GUEST, false);
    snprintf(scen, sizeof(scen), "broadcast and edits");
    fake_t *all[] = {hank, a, b};
    for (int i = 0; i < 3; i++) {
        CHECK_RC(core_enter(all[i]->s, r, false, NULL), 0);
        CHECK(table_number(core_session_table(all[i]->s, r)) == (uint32_t)i + 1);
    }
    for (int i = 0; i < 3; i++)
        fake_clear(all[i]);
    int64_t ts;
    CHECK_RC(core_broadcast(hank->s, r, "closing soon", 12, &ts), 0);
    CHECK_RC(core_broadcast(hank->s, r, " ", 1, NULL), CORE_ETEXTEMPTY);
    for (int i = 0; i < 3; i++) {
        const rec_t *ev = find_type(all[i], EV_BROADCAST);
        CHECK(ev && ev->table == (uint32_t)i + 1 && strcmp(ev->text, "closing soon") == 0 &&
              strcmp(ev->nick, "hank") == 0 && ev->ts == ts);
    }
    core_room_edit_t e = {.title = "Den", .topic = "cosy", .capacity = 5, .moderated = 1};
    CHECK_RC(core_edit_room(hank->s, r, &e), 0);
    CHECK(strcmp(room_title(r), "Den") == 0 && strcmp(room_topic(r), "cosy") == 0);
    CHECK(room_capacity(r) == 5 && room_moderated(r));
    CHECK(strcmp(table_name(room_table_find(r, 2)), "Den #2") == 0);
    for (int i = 0; i < 3; i++)
        CHECK(count_type(all[i], EV_ROOM_UPDATED) == 1);
    CHECK(find_type(a, EV_RIGHTS)->right == CORE_RIGHT_MODERATED); /* moderated now */
    e = (core_room_edit_t){.folder = "/", .moderated = -1};
    CHECK_RC(core_edit_room(hank->s, r, &e), CORE_EBADREQ);
    e = (core_room_edit_t){.capacity = 10001, .moderated = -1};
    CHECK_RC(core_edit_room(hank->s, r, &e), CORE_ECAPACITY);

    CHECK_RC(core_edit_table(hank->s, r, 2, "the quiet table"), 0);
    CHECK(strcmp(find_type(a, EV_TABLE_UPDATED)->text, "the quiet table") == 0);
    CHECK(count_type(b, EV_TABLE_UPDATED) == 0);
    CHECK(strcmp(table_topic(room_table_find(r, 2)), "the quiet table") == 0);
    CHECK_RC(core_edit_table(hank->s, r, 0, "x"), CORE_ENOTABLE);
    CHECK_RC(core_edit_table(a->s, r, 2, "mine"), CORE_EFORBIDDEN);
    /* a topic set on a closed table number waits for it */
    CHECK_RC(core_edit_table(hank->s, r, 9, "nine"), 0);
    CHECK_RC(core_table_update(w.core, r, 2, ""), 0);
    CHECK(strcmp(table_topic(room_table_find(r, 2)), "") == 0);
    for (int i = 0; i < 3; i++)
        fake_free(all[i]);
    aworld_deinit(&w);
}

/* ---- folders ---- */

static void count_folder(void *ud, folder_t *f)
{
    strcat(ud, folder_path(f));
    strcat(ud, ";");
}

static void test_folders(void **state)
{
    aworld_t w;
    aworld_init(&w, NULL);
    core_t *c = w.core;
    CHECK(core_valid_folder_path("/"));
    CHECK(core_valid_folder_path("/events/2026"));
    CHECK(core_valid_folder_path("/a_b/c-d/0"));
    const char *bad[] = {"",
                         "events",
                         "/Events",
                         "//",
                         "/a/",
                         "/a//b",
                         "/-a",
                         "/a b",
                         "/abcdefghijklmnopqrstuvwxyz0123456",
                         "/1/2/3/4/5/6/7/8/9",
                         NULL};
    for (int i = 0; bad[i]; i++)
        assert_false(core_valid_folder_path(bad[i]));
    assert_int_equal(core_folder_create(c, "/"), CORE_EFOLDERNAME);
    assert_int_equal(core_folder_create(c, "/x/y"), CORE_ENOFOLDER);
    assert_int_equal(core_folder_create(c, "/events"), 0);
    assert_int_equal(core_folder_create(c, "/events"), CORE_EFOLDEREXISTS);
    assert_int_equal(core_folder_create(c, "/events/2026"), 0);
    assert_int_equal(core_folder_create(c, "/events-old"), 0);
    char buf[512] = "";
    core_folders_foreach(c, count_folder, buf);
    assert_string_equal(buf, "/;/events;/events-old;/events/2026;");
    room_t *r = mkroom(&w, "party", "/events/2026", 0);
    assert_string_equal(room_folder(r), "/events/2026");
    room_spec_t spec = {.name = "lost", .folder = "/nowhere"};
    assert_int_equal(core_room_create(c, &spec, false, NULL), CORE_ENOFOLDER);
    assert_int_equal(core_folder_delete(c, "/events"), CORE_ENOTEMPTY);
    assert_int_equal(core_folder_delete(c, "/events/2026"), CORE_ENOTEMPTY);
    assert_int_equal(core_folder_delete(c, "/"), CORE_EFORBIDDEN);
    assert_int_equal(core_folder_delete(c, "/nope"), CORE_ENOFOLDER);
    assert_int_equal(core_room_move(c, r, "/nope"), CORE_ENOFOLDER);
    assert_int_equal(core_room_move(c, r, "/events"), 0);
    assert_string_equal(room_folder(r), "/events");
    assert_int_equal(core_folder_delete(c, "/events/2026"), 0);
    /* renaming and moving folders, with what is inside */
    assert_int_equal(core_folder_create(c, "/events/a"), 0);
    assert_int_equal(core_folder_create(c, "/events/a/b"), 0);
    assert_int_equal(core_room_move(c, r, "/events/a/b"), 0);
    assert_int_equal(core_folder_rename(c, "/events/a", "/events/a/c"), CORE_EBADREQ);
    assert_int_equal(core_folder_rename(c, "/events/a", "/events-old"), CORE_EFOLDEREXISTS);
    assert_int_equal(core_folder_rename(c, "/events/a", "/x/y"), CORE_ENOFOLDER);
    assert_int_equal(core_folder_rename(c, "/nope", "/y"), CORE_ENOFOLDER);
    assert_int_equal(core_folder_rename(c, "/", "/y"), CORE_EFORBIDDEN);
    assert_int_equal(core_folder_rename(c, "/events/a", "/"), CORE_EFOLDERNAME);
    assert_int_equal(core_folder_create(c, "/d1"), 0);
    assert_int_equal(core_folder_create(c, "/d1/d2"), 0);
    assert_int_equal(core_folder_create(c, "/d1/d2/d3"), 0);
    assert_int_equal(core_folder_create(c, "/d1/d2/d3/d4"), 0);
    assert_int_equal(core_folder_create(c, "/d1/d2/d3/d4/d5"), 0);
    assert_int_equal(core_folder_create(c, "/d1/d2/d3/d4/d5/d6"), 0);
    assert_int_equal(core_folder_create(c, "/d1/d2/d3/d4/d5/d6/d7"), 0);
    assert_int_equal(core_folder_rename(c, "/events/a", "/d1/d2/d3/d4/d5/d6/d7/a"),
                     CORE_EFOLDERNAME); /* its b would be 9 deep */
    core_acl_entry_t ro[] = {{CORE_WHO_GUESTS, NULL, CORE_RIGHT_READ_ONLY}};
    set_acl(&w, "/events-old", NULL, 0, ro, 1);
    fake_t *watcher = person(&w, "wat", GUEST, false);
    assert_int_equal(core_enter(watcher->s, r, false, NULL), 0);
    assert_int_equal(core_folder_rename(c, "/events/a", "/events-old/z"), 0);
    assert_string_equal(room_folder(r), "/events-old/z/b");
    assert_null(core_folder_find(c, "/events/a"));
    assert_non_null(core_folder_find(c, "/events-old/z/b"));
    assert_true(core_session_lurking(watcher->s, r)); /* now under a read-only list */
    assert_int_equal(fake_last(watcher)->type, EV_RIGHTS);
    assert_int_equal(core_leave(watcher->s, r), 0);
    fake_free(watcher);
    buf[0] = '\0';
    core_folders_foreach(c, count_folder, buf);
    assert_string_equal(
        buf, "/;/d1;/d1/d2;/d1/d2/d3;/d1/d2/d3/d4;/d1/d2/d3/d4/d5;"
             "/d1/d2/d3/d4/d5/d6;/d1/d2/d3/d4/d5/d6/d7;/events;/events-old;/events-old/z;"
             "/events-old/z/b;");
    assert_int_equal(core_folder_delete(c, "/events-old"), CORE_ENOTEMPTY);
    assert_int_equal(core_room_move(c, r, "/events"), 0);
    /* replacing a room keeps its folder unless told */
    room_spec_t same = {.name = "party", .title = "Party"};
    assert_int_equal(core_room_create(c, &same, true, NULL), 0);
    assert_string_equal(room_folder(r), "/events");
    /* deleting rooms: only empty ones */
    fake_t *g = person(&w, "gus", GUEST, false);
    assert_int_equal(core_enter(g->s, r, false, NULL), 0);
    assert_int_equal(core_room_delete(c, r), CORE_ENOTEMPTY);
    assert_int_equal(core_leave(g->s, r), 0);
    assert_int_equal(core_room_delete(c, r), 0);
    assert_null(core_room_find(c, "party"));
    assert_int_equal(core_folder_delete(c, "/events"), 0);
    fake_free(g);
    aworld_deinit(&w);
}

static void test_names(void **state)
{
    core_right_t r;
    for (int i = CORE_RIGHT_NONE; i <= CORE_RIGHT_HOST; i++) {
        assert_int_equal(core_right_parse(core_right_name((core_right_t)i), &r), 0);
        assert_int_equal(r, i);
    }
    assert_int_equal(core_right_parse("read-only", &r), CORE_EBADACL);
    assert_int_equal(core_right_parse(NULL, &r), CORE_EBADACL);
    assert_string_equal(core_err_code(CORE_EFORBIDDEN), "forbidden");
    assert_string_equal(core_err_code(CORE_ENOTEMPTY), "not_empty");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_matrix_classes),
        cmocka_unit_test(test_matrix_sysop_and_named_host),
        cmocka_unit_test(test_matrix_banned),
        cmocka_unit_test(test_table_eject_and_ban),
        cmocka_unit_test(test_inheritance),
        cmocka_unit_test(test_entry_precedence_and_groups),
        cmocka_unit_test(test_configured_defaults),
        cmocka_unit_test(test_change_while_inside),
        cmocka_unit_test(test_group_change_while_inside),
        cmocka_unit_test(test_table_lists),
        cmocka_unit_test(test_broadcast_and_edits),
        cmocka_unit_test(test_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
