/* User groups: named lists of accounts that access lists name (`group:NAME`), stored, and looked
 * up by folded account name (so "ZOË" in a group is the account "Zoë"). A change re-evaluates
 * everyone's rights (access__reeval_all). */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

static struct ugroup *group_find(const core_t *c, const char *name)
{
    struct ugroup *g = NULL;
    HASH_FIND_STR(c->groups, name, g);
    return g;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool access__group_has(const core_t *c, const char *name, const char *account_fold)
{
    const struct ugroup *g = account_fold ? group_find(c, name) : NULL;
    return g && bsearch(&account_fold, g->folds, g->nfolds, sizeof(*g->folds), cmp_str) != NULL;
}

bool access__in_group(const core_t *c, const char *name, const session_t *s)
{
    return access__group_has(c, name, s->account_fold);
}

static void group_free(core_t *c, struct ugroup *g)
{
    HASH_DELETE(hh, c->groups, g);
    for (size_t i = 0; i < g->n; i++)
        free(g->members[i]);
    free(g->members);
    for (size_t i = 0; i < g->nfolds; i++)
        free(g->folds[i]);
    free(g->folds);
    free(g->name);
    free(g);
}

/* 1 to 64 bytes of valid UTF-8 without control characters. */
bool access__valid_account(const char *a)
{
    if (a == NULL || a[0] == '\0' || strlen(a) > 64)
        return false;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)a;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
            return false;
        p += n;
    }
    return true;
}

/* Installs a group (replacing one of that name) without storing it. */
void access__group_put(core_t *c, const char *name, const char *const *accounts, size_t n)
{
    struct ugroup *g = group_find(c, name);
    if (g)
        group_free(c, g);
    g = xcalloc(1, sizeof(*g));
    g->name = xstrdup(name);
    g->members = xmalloc((n ? n : 1) * sizeof(*g->members));
    for (size_t i = 0; i < n; i++)
        g->members[i] = xstrdup(accounts[i]);
    qsort(g->members, n, sizeof(*g->members), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (g->n > 0 && strcmp(g->members[g->n - 1], g->members[i]) == 0)
            free(g->members[i]);
        else
            g->members[g->n++] = g->members[i];
    }
    /* Lookups compare as account names do: "ZOË" in a group is the account "Zoë". */
    g->folds = xmalloc((g->n ? g->n : 1) * sizeof(*g->folds));
    for (size_t i = 0; i < g->n; i++)
        g->folds[i] = access__account_fold(g->members[i]);
    qsort(g->folds, g->n, sizeof(*g->folds), cmp_str);
    for (size_t i = 0; i < g->n; i++) {
        if (g->nfolds > 0 && strcmp(g->folds[g->nfolds - 1], g->folds[i]) == 0)
            free(g->folds[i]);
        else
            g->folds[g->nfolds++] = g->folds[i];
    }
    HASH_ADD_KEYPTR(hh, c->groups, g->name, strlen(g->name), g);
}

int core_group_set(core_t *c, const char *name, const char *const *accounts, size_t n)
{
    if (!core_valid_room_name(name) || n > CORE_GROUP_MAX)
        return CORE_EBADACL;
    for (size_t i = 0; i < n; i++)
        if (!access__valid_account(accounts[i]))
            return CORE_EBADACL;
    if (c->store) {
        store_group_t sg = {.name = name, .members = accounts, .n = n};
        int rc = store_group_put(c->store, &sg);
        if (rc < 0) {
            log_error("storing group %s: %s", name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    access__group_put(c, name, accounts, n);
    access__reeval_all(c);
    return 0;
}

int core_group_delete(core_t *c, const char *name)
{
    struct ugroup *g = name ? group_find(c, name) : NULL;
    if (g == NULL)
        return CORE_ENOGROUP;
    if (c->store) {
        int rc = store_group_delete(c->store, name);
        if (rc < 0) {
            log_error("deleting group %s: %s", name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    group_free(c, g);
    access__reeval_all(c);
    return 0;
}

void access__groups_free(core_t *c)
{
    while (c->groups)
        group_free(c, c->groups);
}

static int cmp_group(struct ugroup *a, struct ugroup *b)
{
    return strcmp(a->name, b->name);
}

void core_groups_foreach(core_t *c,
                         void (*fn)(void *ud, const char *name, const char *const *members,
                                    size_t n),
                         void *ud)
{
    HASH_SRT(hh, c->groups, cmp_group);
    for (struct ugroup *g = c->groups; g; g = g->hh.next)
        fn(ud, g->name, (const char *const *)g->members, g->n);
}
