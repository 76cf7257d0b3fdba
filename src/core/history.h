/* Stored history queries for a session (IRCv3 draft/chathistory in the IRC gateway; any adapter):
 * store_history_query() behind the same visibility rule as the rest of the core. A session may
 * read the stored messages of a table of a room it can see (core_room_find_for) when its right
 * there (core_right) is at least read-only, whether or not it is at that table; messages from
 * nicknames it ignores are left out, as in the history replayed on enter. Private rooms are never
 * stored: their queries answer nothing.
 *
 * Threads: loop thread (the store read is synchronous, on the store's read connection). */
#ifndef PARLEY_CORE_HISTORY_H
#define PARLEY_CORE_HISTORY_H

#include "core/core.h"
#include "store/store.h"

/* Runs q (store.h) on table `table` of room `room` as s sees it: fn gets each message as an
 * EV_MESSAGE event (valid during the call; no from_fold, no cached encodings), oldest first;
 * *n (may be NULL) how many. 0, CORE_ENOROOM (no such room, or not visible to s), CORE_ENOTABLE
 * (table 0, or a table s has no right to), CORE_EBADREQ (a malformed query), CORE_ESTORE (the
 * store failed, or none: a core without a store has no stored history). A query by message id
 * whose message is not stored (BETWEEN with mixed bounds) answers nothing. */
/* A stored message as the EV_MESSAGE event every adapter shows it as (pointers borrowed from m; no
 * from_fold, no cached encodings). */
core_event_t core_msg_event(const store_msg_t *m);

int core_history_query(const session_t *s, const char *room, uint32_t table,
                       const store_hist_q_t *q, void (*fn)(void *ud, const core_event_t *ev),
                       void *ud, int *n);

#endif
