/* Access rights: access lists on folders, rooms and tables, bans, and applying a change of rights
 * at once to the people it concerns (docs/ARCHITECTURE.md, "Access"); user groups are ugroup.c.
 *
 * Resolution (access__right) walks table conf -> room -> folder -> parents and lets the first list
 * it meets decide; it allocates nothing and touches a handful of objects, so commands call it on
 * every action. The fan-out path never does: who sits at a table is kept consistent with the rights
 * by re-evaluating the people concerned whenever something that decides rights changes (a list, a
 * group, a session's identity, a room's folder or moderated flag). Each membership remembers the
 * right it was last evaluated at (member.right, one byte in existing padding) so a re-evaluation
 * knows what changed and tells only those whose right did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

static const char *const right_names[] = {"none", "read_only", "moderated", "participant", "host"};
static const char *const who_names[] = {"user", "group", "registered", "guests"};

const char *core_right_name(core_right_t r)
{
    return (unsigned)r <= CORE_RIGHT_HOST ? right_names[r] : "none";
}

int core_right_parse(const char *name, core_right_t *out)
{
    for (int i = 0; name && i <= CORE_RIGHT_HOST; i++) {
        if (strcmp(name, right_names[i]) == 0) {
            *out = (core_right_t)i;
            return 0;
        }
    }
    return CORE_EBADACL;
}

static int who_parse(const char *name, core_who_t *out)
{
    for (int i = 0; name && i <= CORE_WHO_GUESTS; i++) {
        if (strcmp(name, who_names[i]) == 0) {
            *out = (core_who_t)i;
            return 0;
        }
    }
    return CORE_EBADACL;
}

char *access__account_fold(const char *account)
{
    char *fold = nick__fold(account);
    return fold ? fold : xstrdup(account);
}

/* ---- access lists ---- */

void access__acl_free(struct acl *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->e[i].name);
        free(a->e[i].fold);
    }
    free(a);
}

/* Validates and copies entries; *out is NULL for n == 0. */
static int acl_build(const core_acl_entry_t *e, size_t n, struct acl **out)
{
    *out = NULL;
    if (n > CORE_ACL_MAX)
        return CORE_EBADACL;
    for (size_t i = 0; i < n; i++) {
        bool named = e[i].who == CORE_WHO_USER || e[i].who == CORE_WHO_GROUP;
        if ((unsigned)e[i].who > CORE_WHO_GUESTS || (unsigned)e[i].right > CORE_RIGHT_HOST)
            return CORE_EBADACL;
        if (named && !(e[i].who == CORE_WHO_USER ? access__valid_account(e[i].name)
                                                 : core_valid_room_name(e[i].name)))
            return CORE_EBADACL;
        if (!named && e[i].name && e[i].name[0])
            return CORE_EBADACL;
        for (size_t j = 0; j < i; j++)
            if (e[j].who == e[i].who && (!named || strcmp(e[j].name, e[i].name) == 0))
                return CORE_EBADACL; /* one entry per user, group or class */
    }
    /* One entry per account also as account names compare ("Ann" and "ann" are one). */
    for (size_t i = 0; i < n; i++) {
        if (e[i].who != CORE_WHO_USER)
            continue;
        char *fi = access__account_fold(e[i].name);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            if (e[j].who != CORE_WHO_USER)
                continue;
            char *fj = access__account_fold(e[j].name);
            dup = strcmp(fi, fj) == 0;
            free(fj);
        }
        free(fi);
        if (dup)
            return CORE_EBADACL;
    }
    if (n == 0)
        return 0;
    struct acl *a = xcalloc(1, sizeof(*a) + n * sizeof(a->e[0]));
    a->n = n;
    for (size_t i = 0; i < n; i++) {
        bool named = e[i].who == CORE_WHO_USER || e[i].who == CORE_WHO_GROUP;
        a->e[i] = (struct acl_entry){
            (uint8_t)e[i].who, (uint8_t)e[i].right, named ? xstrdup(e[i].name) : NULL,
            e[i].who == CORE_WHO_USER ? access__account_fold(e[i].name) : NULL};
    }
    *out = a;
    return 0;
}

/* The right a list gives s (NULL: an anonymous guest). Account names compare folded, as they
 * do everywhere (an entry for "hank" names the account "Hank"). */
static core_right_t acl_eval(const core_t *c, const struct acl *a, const session_t *s)
{
    const char *account = s ? s->account_fold : NULL;
    if (account) {
        for (size_t i = 0; i < a->n; i++)
            if (a->e[i].who == CORE_WHO_USER && strcmp(a->e[i].fold, account) == 0)
                return (core_right_t)a->e[i].right;
        int best = -1;
        for (size_t i = 0; i < a->n; i++) {
            if (a->e[i].who != CORE_WHO_GROUP || a->e[i].right <= best)
                continue;
            if (access__group_has(c, a->e[i].name, account))
                best = a->e[i].right;
        }
        if (best >= 0)
            return (core_right_t)best;
    }
    core_who_t cls = s && s->cls == CORE_CLASS_REGISTERED ? CORE_WHO_REGISTERED : CORE_WHO_GUESTS;
    for (size_t i = 0; i < a->n; i++)
        if (a->e[i].who == cls)
            return (core_right_t)a->e[i].right;
    return CORE_RIGHT_NONE;
}

struct tconf *access__tconf(room_t *r, uint32_t number, bool create)
{
    list_t *pos = &r->tconfs;
    list_foreach(it, &r->tconfs)
    {
        struct tconf *tc = list_entry(it, struct tconf, link);
        if (tc->number == number)
            return tc;
        if (tc->number > number) {
            pos = it;
            break;
        }
    }
    if (!create)
        return NULL;
    struct tconf *tc = xcalloc(1, sizeof(*tc));
    tc->number = number;
    list_insert_before(pos, &tc->link);
    return tc;
}

static void tconf_maybe_free(struct tconf *tc)
{
    if (tc->acl || tc->topic)
        return;
    list_remove(&tc->link);
    free(tc);
}

/* The right of the lists alone (no sysop, ban or moderated flag). */
static core_right_t list_right(const session_t *s, const room_t *r, uint32_t table)
{
    const core_t *c = r->core;
    if (r->priv)
        return CORE_RIGHT_PARTICIPANT; /* only its two are ever in it */
    if (table) {
        const struct tconf *tc = access__tconf((room_t *)r, table, false);
        if (tc && tc->acl)
            return acl_eval(c, tc->acl, s);
    }
    if (r->acl)
        return acl_eval(c, r->acl, s);
    for (const folder_t *f = r->folder; f; f = f->parent)
        if (f->acl)
            return acl_eval(c, f->acl, s);
    if (!c->cfg.access_defaults)
        return CORE_RIGHT_PARTICIPANT;
    return s && s->cls == CORE_CLASS_REGISTERED ? c->cfg.registered_default : c->cfg.guests_default;
}

/* ---- bans ---- */

static bool ban_key_matches(const struct ban *b, const session_t *s)
{
    const char *key = s->account ? s->account : s->fold;
    size_t pl = s->account ? 8 : 5;
    if (key == NULL)
        return false;
    return strncmp(b->who, s->account ? "account:" : "nick:", pl) == 0 &&
           strcmp(b->who + pl, key) == 0;
}

/* Whether a live ban keeps s (whose right by the lists is `pre`) out of r, or of its table.
 * Address bans catch guests and provisional accounts only, and never one the lists make host (on a
 * shared address, the host who banned would otherwise ban themselves). */
static bool banned(const session_t *s, const room_t *r, uint32_t table, core_right_t pre)
{
    if (list_empty(&r->bans))
        return false;
    int64_t now = core__now_ms();
    list_foreach(it, &r->bans)
    {
        const struct ban *b = list_entry(it, struct ban, link);
        if (b->until <= now || (b->table != 0 && b->table != table))
            continue;
        if (ban_key_matches(b, s))
            return true;
        if (b->addr && b->addr == s->addr && s->cls != CORE_CLASS_REGISTERED &&
            pre < CORE_RIGHT_HOST)
            return true;
    }
    return false;
}

static void ban_free(struct ban *b)
{
    list_remove(&b->link);
    free(b->who);
    free(b->by);
    free(b->reason);
    free(b);
}

static void ban_unstore(room_t *r, const struct ban *b)
{
    if (r->core->store == NULL)
        return;
    int rc = store_ban_delete(r->core->store, r->name, b->table, b->who);
    if (rc < 0)
        log_warn("deleting a ban in %s: %s", r->name, store_strerror(rc));
}

static void bans_expire(room_t *r)
{
    int64_t now = core__now_ms();
    list_foreach_safe(it, tmp, &r->bans)
    {
        struct ban *b = list_entry(it, struct ban, link);
        if (b->until <= now) {
            ban_unstore(r, b);
            ban_free(b);
        }
    }
}

static struct ban *ban_find(room_t *r, uint32_t table, const char *who)
{
    list_foreach(it, &r->bans)
    {
        struct ban *b = list_entry(it, struct ban, link);
        if (b->table == table && strcmp(b->who, who) == 0)
            return b;
    }
    return NULL;
}

static void ban_put(room_t *r, uint32_t table, const char *who, uint64_t addr, int64_t until,
                    const char *by, const char *reason)
{
    struct ban *b = ban_find(r, table, who);
    if (b)
        ban_free(b);
    b = xcalloc(1, sizeof(*b));
    b->table = table;
    b->who = xstrdup(who);
    b->addr = addr;
    b->until = until;
    b->by = xstrdup(by ? by : "");
    b->reason = xstrdup(reason ? reason : "");
    list_push_back(&r->bans, &b->link);
}

static void addr_hex(uint64_t addr, char out[17])
{
    if (addr)
        snprintf(out, 17, "%016llx", (unsigned long long)addr);
    else
        out[0] = '\0';
}

int access__ban_add(room_t *r, uint32_t table, const char *who, uint64_t addr, int64_t until,
                    const char *by, const char *reason)
{
    if (r->core->store) {
        char hex[17];
        addr_hex(addr, hex);
        store_ban_t sb = {r->name, table, who, hex, until, by ? by : "", reason ? reason : ""};
        int rc = store_ban_put(r->core->store, &sb);
        if (rc < 0) {
            log_error("storing a ban in %s: %s", r->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    ban_put(r, table, who, addr, until, by, reason);
    return 0;
}

void core_bans_foreach(core_t *c, void (*fn)(void *ud, const core_ban_info_t *b), void *ud)
{
    list_foreach(rit, &c->rooms_by_name)
    {
        room_t *r = list_entry(rit, room_t, link);
        bans_expire(r);
        list_foreach(it, &r->bans)
        {
            const struct ban *b = list_entry(it, struct ban, link);
            char hex[17];
            addr_hex(b->addr, hex);
            core_ban_info_t info = {r->name, b->table, b->who, hex, b->until, b->by, b->reason};
            fn(ud, &info);
        }
    }
}

int core_ban_lift(core_t *c, const char *room, uint32_t table, const char *who)
{
    room_t *r = core_room_find(c, room);
    if (r == NULL)
        return CORE_ENOROOM;
    bans_expire(r);
    struct ban *b = who ? ban_find(r, table, who) : NULL;
    if (b == NULL)
        return CORE_ENOBAN;
    if (c->store) {
        int rc = store_ban_delete(c->store, r->name, table, who);
        if (rc < 0) {
            log_error("lifting a ban in %s: %s", r->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    ban_free(b); /* rights only grow: nobody inside needs re-evaluating */
    return 0;
}

/* ---- resolution ---- */

core_right_t access__right(const session_t *s, const room_t *r, uint32_t table)
{
    if (s && s->sysop)
        return CORE_RIGHT_HOST;
    core_right_t right = list_right(s, r, table);
    if (right > CORE_RIGHT_NONE && s && banned(s, r, table, right))
        return CORE_RIGHT_NONE;
    if (right == CORE_RIGHT_PARTICIPANT && r->moderated)
        return CORE_RIGHT_MODERATED;
    return right;
}

/* An account's right without a session (core.h, recording and playback): a stand-in session
 * carrying only what access__right reads of an identity. */
core_right_t core_account_right(core_t *c, const char *account, core_class_t cls, bool sysop,
                                const room_t *r, uint32_t table)
{
    session_t s = {.core = c, .ready = true, .cls = (uint8_t)cls, .sysop = sysop};
    s.account = (char *)account;
    s.account_fold = account ? access__account_fold(account) : NULL;
    core_right_t right = core_right(&s, r, table);
    free(s.account_fold);
    return right;
}

core_right_t core_right(const session_t *s, const room_t *r, uint32_t table)
{
    /* A table is reachable only through its room. */
    core_right_t room = access__right(s, r, 0);
    if (table == 0 || room == CORE_RIGHT_NONE)
        return room;
    return access__right(s, r, table);
}

bool core_banned(const session_t *s, const room_t *r, uint32_t table)
{
    if (s == NULL || s->sysop)
        return false;
    core_right_t pre = list_right(s, r, table);
    return pre > CORE_RIGHT_NONE && banned(s, r, table, pre);
}

core_right_t core_right_anonymous(const room_t *r)
{
    return access__right(NULL, r, 0);
}

/* ---- applying changes ---- */

static void reeval_member(struct member *m)
{
    session_t *s = m->session;
    table_t *t = m->table;
    room_t *r = t->room;
    if (r->priv)
        return;
    core_right_t now = core_right(s, r, t->number);
    if (now == m->right)
        return;
    core_event_t ev = {.type = EV_RIGHTS, .room = r->name, .table = t->number, .right = now};
    if (now == CORE_RIGHT_NONE) {
        session__drop(m, "access"); /* r outlives this: public rooms are freed only when empty */
        session__send(s, &ev);
        return;
    }
    bool host_changed = (m->right == CORE_RIGHT_HOST) != (now == CORE_RIGHT_HOST);
    bool seen = !m->lurk;
    m->right = (uint8_t)now;
    session__send(s, &ev);
    if (host_changed && seen) /* a host made read-only: -o, then it lurks (member_left) */
        session__publish_rights(m);
    bool lurk = now == CORE_RIGHT_READ_ONLY || m->asked_lurk;
    if (lurk != m->lurk)
        session__set_lurk(m, lurk, "access");
    if (host_changed && !seen && !m->lurk) /* a lurker made host: member_entered, then +o */
        session__publish_rights(m);
}

void access__reeval_session(session_t *s)
{
    list_foreach_safe(it, tmp, &s->members)
    {
        reeval_member(list_entry(it, struct member, in_session));
    }
}

void access__reeval_room(room_t *r)
{
    if (!list_empty(&r->watchers))
        event__watchers_drop(r, "access", true);
    if (r->priv || r->nusers == 0)
        return;
    /* Dropping someone may close their table, so collect the sessions first. */
    session_t **v = xmalloc(r->nusers * sizeof(*v));
    size_t n = 0;
    list_foreach(tit, &r->tables)
    {
        table_t *t = list_entry(tit, table_t, link);
        list_foreach(it, &t->people)
        {
            v[n++] = list_entry(it, struct member, in_table)->session;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct member *m = session__member(v[i], r);
        if (m)
            reeval_member(m);
    }
    free(v);
}

void core_set_defaults(core_t *c, core_right_t registered, core_right_t guests)
{
    c->cfg.access_defaults = true;
    c->cfg.registered_default = registered;
    c->cfg.guests_default = guests;
    access__reeval_all(c);
}

void access__reeval_all(core_t *c)
{
    list_foreach(it, &c->rooms_by_name)
    {
        access__reeval_room(list_entry(it, room_t, link));
    }
}

/* ---- setting and reading lists ---- */

/* Finds ref's object: exactly one of *f (a folder) and *r (a room) is set. */
static int ref_resolve(core_t *c, const core_acl_ref_t *ref, folder_t **f, room_t **r)
{
    *f = NULL;
    *r = NULL;
    if (ref->folder) {
        *f = core_folder_find(c, ref->folder);
        return *f ? 0 : CORE_ENOFOLDER;
    }
    *r = core_room_find(c, ref->room);
    if (*r == NULL)
        return CORE_ENOROOM;
    return ref->table > CORE_MAX_TABLE ? CORE_EBADACL : 0;
}

static int acl_store(core_t *c, const core_acl_ref_t *ref, const core_acl_entry_t *e, size_t n)
{
    if (c->store == NULL)
        return 0;
    store_acl_entry_t *se = xmalloc((n ? n : 1) * sizeof(*se));
    for (size_t i = 0; i < n; i++) {
        bool named = e[i].who == CORE_WHO_USER || e[i].who == CORE_WHO_GROUP;
        se[i] = (store_acl_entry_t){who_names[e[i].who], named ? e[i].name : "",
                                    right_names[e[i].right]};
    }
    store_acl_t sa = {
        .scope = ref->folder  ? "folder"
                 : ref->table ? "table"
                              : "room",
        .name = ref->folder ? ref->folder : ref->room,
        .table = ref->folder ? 0 : ref->table,
        .entries = se,
        .n = n,
    };
    int rc = store_acl_put(c->store, &sa);
    free(se);
    if (rc < 0) {
        log_error("storing an access list of %s: %s", sa.name, store_strerror(rc));
        return CORE_ESTORE;
    }
    return 0;
}

/* Installs a built list on its object (taking a) and re-evaluates whom it may concern. */
static void acl_install(core_t *c, folder_t *f, room_t *r, uint32_t table, struct acl *a,
                        bool reeval)
{
    if (f) {
        access__acl_free(f->acl);
        f->acl = a;
        if (!reeval)
            return;
        list_foreach(it, &c->rooms_by_name)
        {
            room_t *x = list_entry(it, room_t, link);
            if (folder__within(x->folder, f))
                access__reeval_room(x);
        }
        return;
    }
    if (table) {
        struct tconf *tc = access__tconf(r, table, a != NULL);
        if (tc) {
            access__acl_free(tc->acl);
            tc->acl = a;
            tconf_maybe_free(tc);
        }
    } else {
        access__acl_free(r->acl);
        r->acl = a;
    }
    if (reeval)
        access__reeval_room(r);
}

int core_acl_set(core_t *c, const core_acl_ref_t *ref, const core_acl_entry_t *e, size_t n)
{
    folder_t *f;
    room_t *r;
    struct acl *a;
    int rc = ref_resolve(c, ref, &f, &r);
    if (rc == 0)
        rc = acl_build(e, n, &a);
    if (rc < 0)
        return rc;
    core_acl_ref_t canon = {f ? f->path : NULL, r ? r->name : NULL, r ? ref->table : 0};
    rc = acl_store(c, &canon, e, n);
    if (rc < 0) {
        access__acl_free(a);
        return rc;
    }
    if (canon.table)
        log_info("access list of room %s table %u: %zu entries", r->name, (unsigned)canon.table, n);
    else
        log_info("access list of %s %s: %zu entries", f ? "folder" : "room", f ? f->path : r->name,
                 n);
    acl_install(c, f, r, canon.table, a, true);
    return 0;
}

int core_acl_get(core_t *c, const core_acl_ref_t *ref,
                 void (*fn)(void *ud, const core_acl_entry_t *e), void *ud, bool *has)
{
    folder_t *f;
    room_t *r;
    int rc = ref_resolve(c, ref, &f, &r);
    if (rc < 0)
        return rc;
    const struct acl *a = NULL;
    if (f)
        a = f->acl;
    else if (ref->table) {
        const struct tconf *tc = access__tconf(r, ref->table, false);
        a = tc ? tc->acl : NULL;
    } else
        a = r->acl;
    *has = a != NULL;
    for (size_t i = 0; a && i < a->n; i++) {
        core_acl_entry_t ce = {(core_who_t)a->e[i].who, a->e[i].name, (core_right_t)a->e[i].right};
        fn(ud, &ce);
    }
    return 0;
}

void access__room_clear(room_t *r)
{
    access__acl_free(r->acl);
    r->acl = NULL;
    list_foreach_safe(it, tmp, &r->tconfs)
    {
        struct tconf *tc = list_entry(it, struct tconf, link);
        access__acl_free(tc->acl);
        free(tc->topic);
        free(tc->topic_by);
        list_remove(&tc->link);
        free(tc);
    }
    list_foreach_safe(it, tmp, &r->bans)
    {
        ban_free(list_entry(it, struct ban, link));
    }
}

void access__free_all(core_t *c)
{
    access__groups_free(c);
}

/* ---- loading ---- */

static void load_acl(void *ud, const store_acl_t *sa)
{
    core_t *c = ud;
    core_acl_entry_t *e = xcalloc(sa->n ? sa->n : 1, sizeof(*e));
    size_t n = 0;
    for (size_t i = 0; i < sa->n; i++) {
        core_acl_entry_t *x = &e[n];
        if (who_parse(sa->entries[i].who, &x->who) < 0 ||
            core_right_parse(sa->entries[i].right, &x->right) < 0) {
            log_warn("ignoring a stored access-list entry of %s", sa->name);
            continue;
        }
        x->name = x->who == CORE_WHO_USER || x->who == CORE_WHO_GROUP ? sa->entries[i].name : NULL;
        n++;
    }
    bool folder = strcmp(sa->scope, "folder") == 0;
    core_acl_ref_t ref = {folder ? sa->name : NULL, folder ? NULL : sa->name,
                          folder ? 0 : sa->table};
    folder_t *f;
    room_t *r;
    struct acl *a;
    if (ref_resolve(c, &ref, &f, &r) < 0 || acl_build(e, n, &a) < 0)
        log_warn("ignoring the stored access list of %s %s", sa->scope, sa->name);
    else
        acl_install(c, f, r, ref.table, a, false);
    free(e);
}

static void load_group(void *ud, const store_group_t *sg)
{
    if (core_valid_room_name(sg->name))
        access__group_put(ud, sg->name, sg->members, sg->n);
}

static void load_ban(void *ud, const store_ban_t *sb)
{
    core_t *c = ud;
    room_t *r = core_room_find(c, sb->room);
    if (r == NULL || sb->until <= core__now_ms()) {
        if (c->store)
            store_ban_delete(c->store, sb->room, sb->table, sb->who);
        return;
    }
    uint64_t addr = sb->addr && sb->addr[0] ? strtoull(sb->addr, NULL, 16) : 0;
    ban_put(r, sb->table, sb->who, addr, sb->until, sb->by, sb->reason);
}

static void load_topic(void *ud, const char *room, uint32_t table, const char *topic,
                       const char *by, int64_t at)
{
    room_t *r = core_room_find(ud, room);
    if (r == NULL || table == 0 || table > CORE_MAX_TABLE || topic == NULL || topic[0] == '\0')
        return;
    struct tconf *tc = access__tconf(r, table, true);
    access__tconf_topic(tc, topic, by, at);
}

int access__load(core_t *c)
{
    store_access_cb_t cb = {load_acl, load_group, load_ban, load_topic, stage__load};
    int rc = store_access_load(c->store, &cb, c);
    if (rc < 0) {
        log_error("loading access lists: %s", store_strerror(rc));
        return CORE_ESTORE;
    }
    return 0;
}
