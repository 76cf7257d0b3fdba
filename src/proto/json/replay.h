/* A session's replay ring (docs/ARCHITECTURE.md, "Resume"): references to the encoded messages a
 * JSON session sent, numbered by the session's sequence (consecutive, oldest first), so that a
 * client that lost some of them in flight can have them again.
 *
 * The ring holds references, not copies: pushing takes a reference of its own (the caller keeps
 * its own); dropping an entry releases it. The array grows by use (8, 16, … entries) and is
 * freed whenever the ring empties, so an idle ring costs the struct alone. Loop thread only. */
#ifndef PARLEY_PROTO_JSON_REPLAY_H
#define PARLEY_PROTO_JSON_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "util/rbuf.h"

typedef struct replay {
    rbuf_t **b;     /* NULL while empty */
    uint32_t head;  /* index of the oldest entry */
    uint32_t len;   /* entries */
    uint32_t cap;   /* slots in b */
    uint64_t first; /* seq of the oldest entry; while empty, the seq the next push gets */
    size_t bytes;   /* sum of the entries' lengths */
} replay_t;

/* An empty ring whose first push will be message next_seq. */
void replay_init(replay_t *r, uint64_t next_seq);
/* Drops every entry. */
void replay_deinit(replay_t *r);
/* Appends message first+len (the next in sequence), taking a reference to b. */
void replay_push(replay_t *r, rbuf_t *b);
/* Drops the entries numbered up to and including seq. */
void replay_drop_upto(replay_t *r, uint64_t seq);
/* Drops the oldest entries until at most max_len are left and they hold at most max_bytes. */
void replay_bound(replay_t *r, uint32_t max_len, size_t max_bytes);
/* The entry numbered seq (borrowed), NULL if not kept. */
rbuf_t *replay_get(const replay_t *r, uint64_t seq);
/* Replaces the entry numbered seq (kept) by b, taking a reference to b. */
void replay_set(replay_t *r, uint64_t seq, rbuf_t *b);
/* The seq after the newest entry (first + len). */
static inline uint64_t replay_next(const replay_t *r)
{
    return r->first + r->len;
}

#endif
