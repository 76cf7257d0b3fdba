/* Ignore lists: the nicks whose messages and private messages a session does not want.
 *
 * A session's list is a small array sorted by folded nick (binary search on delivery), allocated on
 * the first ignore and freed when the last entry goes, so a session that ignores nobody costs one
 * NULL pointer and table_deliver (room.c) one NULL test. Entries are folded nicks, not sessions:
 * the person need not be online, and a later connection with that nick is ignored too. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "util/xmalloc.h"

struct ignore_ent {
    char *nick; /* as given; one allocation with fold */
    char *fold;
};

struct ignore_set {
    unsigned n, cap;
    struct ignore_ent *e; /* sorted by fold */
};

/* The index of fold in set, or -(insertion point) - 1. */
static long ignore_find(const struct ignore_set *set, const char *fold)
{
    long lo = 0, hi = (long)set->n - 1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        int cmp = strcmp(set->e[mid].fold, fold);
        if (cmp == 0)
            return mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

bool ignore__has(const struct ignore_set *set, const char *fold)
{
    return set && fold && ignore_find(set, fold) >= 0;
}

void ignore__free(struct ignore_set *set)
{
    if (set == NULL)
        return;
    for (unsigned i = 0; i < set->n; i++)
        free(set->e[i].nick);
    free(set->e);
    free(set);
}

/* Checks nick and returns its folded form (free() it) in *out. */
static int ignore_fold(const session_t *s, const char *nick, char **out)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    int rc = core_check_nick(nick);
    if (rc < 0)
        return rc;
    *out = nick__fold(nick);
    return *out ? 0 : CORE_ENICKINVALID;
}

int core_ignore(session_t *s, const char *nick)
{
    char *fold;
    int rc = ignore_fold(s, nick, &fold);
    if (rc < 0)
        return rc;
    if (strcmp(fold, s->fold) == 0) {
        rc = CORE_EBADREQ;
        goto out;
    }
    if (s->ignores == NULL)
        s->ignores = xcalloc(1, sizeof(*s->ignores));
    struct ignore_set *set = s->ignores;
    long pos = ignore_find(set, fold);
    if (pos >= 0)
        goto out; /* already ignored */
    if (set->n >= CORE_MAX_IGNORES) {
        rc = CORE_ETOOMANYIGNORES;
        goto out;
    }
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 4;
        if (set->cap > CORE_MAX_IGNORES)
            set->cap = CORE_MAX_IGNORES;
        set->e = xrealloc(set->e, set->cap * sizeof(*set->e));
    }
    size_t at = (size_t)(-pos - 1);
    memmove(&set->e[at + 1], &set->e[at], (set->n - at) * sizeof(*set->e));
    size_t nl = strlen(nick), fl = strlen(fold);
    set->e[at].nick = xmalloc(nl + fl + 2);
    memcpy(set->e[at].nick, nick, nl + 1);
    set->e[at].fold = set->e[at].nick + nl + 1;
    memcpy(set->e[at].fold, fold, fl + 1);
    set->n++;
out:
    free(fold);
    return rc;
}

int core_unignore(session_t *s, const char *nick)
{
    char *fold;
    int rc = ignore_fold(s, nick, &fold);
    if (rc < 0)
        return rc;
    struct ignore_set *set = s->ignores;
    long pos = set ? ignore_find(set, fold) : -1;
    free(fold);
    if (pos < 0)
        return 0;
    free(set->e[pos].nick);
    memmove(&set->e[pos], &set->e[pos + 1], (set->n - (size_t)pos - 1) * sizeof(*set->e));
    if (--set->n == 0) {
        ignore__free(set);
        s->ignores = NULL;
    }
    return 0;
}

void core_ignored_foreach(const session_t *s, void (*fn)(void *ud, const char *nick), void *ud)
{
    for (unsigned i = 0; s->ignores && i < s->ignores->n; i++)
        fn(ud, s->ignores->e[i].nick);
}
