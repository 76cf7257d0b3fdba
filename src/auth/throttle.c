/* Failed-attempt counting (see throttle.h): a uthash of keys plus a list in order of last use, so
 * the oldest is found in O(1) when the table is full. */
#include "auth/throttle.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "util/list.h"
#include "util/xmalloc.h"

typedef struct entry {
    int fails;
    int inflight;
    uint64_t last; /* of the last failure (or creation) */
    list_t lru;    /* throttle.lru, least recently touched first */
    UT_hash_handle hh;
    char key[];
} entry_t;

struct throttle {
    throttle_config_t cfg;
    entry_t *map;
    list_t lru;
    unsigned n;
};

throttle_t *throttle_new(const throttle_config_t *cfg)
{
    throttle_t *t = xcalloc(1, sizeof *t);
    t->cfg = *cfg;
    list_init(&t->lru);
    return t;
}

static void entry_drop(throttle_t *t, entry_t *e)
{
    HASH_DEL(t->map, e);
    list_remove(&e->lru);
    t->n--;
    free(e);
}

void throttle_free(throttle_t *t)
{
    if (t == NULL)
        return;
    while (!list_empty(&t->lru))
        entry_drop(t, list_entry(t->lru.next, entry_t, lru));
    free(t);
}

/* The entry of key, forgetting its failures if the window has passed; created if create. */
static entry_t *entry_get(throttle_t *t, const char *key, uint64_t now, bool create)
{
    entry_t *e = NULL;
    size_t len = strlen(key);
    if (len > THROTTLE_KEY_MAX)
        len = THROTTLE_KEY_MAX;
    HASH_FIND(hh, t->map, key, len, e);
    if (e && e->fails > 0 && now - e->last >= (uint64_t)t->cfg.window_s * 1000) {
        e->fails = 0;
        if (e->inflight == 0) {
            entry_drop(t, e);
            e = NULL;
        }
    }
    if (e == NULL && create) {
        if (t->n >= THROTTLE_MAX_KEYS)
            entry_drop(t, list_entry(t->lru.next, entry_t, lru));
        e = xcalloc(1, sizeof *e + len + 1);
        memcpy(e->key, key, len);
        e->last = now;
        list_init(&e->lru);
        HASH_ADD(hh, t->map, key, len, e);
        t->n++;
    }
    if (e) {
        list_remove(&e->lru);
        list_push_back(&t->lru, &e->lru);
    }
    return e;
}

int64_t throttle_begin(throttle_t *t, const char *const keys[2], uint64_t now, int *retry_s)
{
    int worst = 0;
    uint64_t worst_last = now;
    for (int i = 0; i < 2; i++) {
        entry_t *e = keys[i] ? entry_get(t, keys[i], now, false) : NULL;
        if (e && e->fails + e->inflight > worst) {
            worst = e->fails + e->inflight;
            worst_last = e->last;
        }
    }
    if (worst >= t->cfg.max_failures) {
        uint64_t until = worst_last + (uint64_t)t->cfg.window_s * 1000;
        *retry_s = until > now ? (int)((until - now + 999) / 1000) : 1;
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (keys[i])
            entry_get(t, keys[i], now, true)->inflight++;
    if (worst < t->cfg.free_failures)
        return 0;
    int64_t delay = t->cfg.delay_ms;
    for (int i = t->cfg.free_failures; i < worst && delay < t->cfg.max_delay_ms; i++)
        delay *= 2;
    return delay < t->cfg.max_delay_ms ? delay : t->cfg.max_delay_ms;
}

void throttle_end(throttle_t *t, const char *const keys[2], bool ok, uint64_t now)
{
    for (int i = 0; i < 2; i++) {
        entry_t *e = keys[i] ? entry_get(t, keys[i], now, !ok) : NULL;
        if (e == NULL)
            continue; /* forgotten meanwhile (table full) */
        if (e->inflight > 0)
            e->inflight--;
        if (!ok) {
            e->fails++;
            e->last = now;
        } else if (i == 0) {
            e->fails = 0;
        }
        if (e->fails == 0 && e->inflight == 0)
            entry_drop(t, e);
    }
}

int throttle_failures(throttle_t *t, const char *key, uint64_t now)
{
    entry_t *e = entry_get(t, key, now, false);
    return e ? e->fails : 0;
}
