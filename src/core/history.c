/* Stored history queries for a session (see history.h). */
#include "core/history.h"

#include <stdlib.h>

#include "core/core_int.h"

typedef struct hctx {
    const session_t *s;
    void (*fn)(void *ud, const core_event_t *ev);
    void *ud;
    int n;
} hctx_t;

core_event_t core_msg_event(const store_msg_t *m)
{
    return (core_event_t){
        .type = EV_MESSAGE,
        .room = m->room,
        .table = m->table,
        .msg_id = m->id,
        .ts = m->ts,
        .nick = m->nick,
        .colour = m->colour,
        .text = m->text,
        .text_len = m->text_len,
    };
}

static void on_msg(void *ud, const store_msg_t *m)
{
    hctx_t *h = ud;
    if (h->s->ignores) {
        char *fold = nick__fold(m->nick);
        bool skip = ignore__has(h->s->ignores, fold);
        free(fold);
        if (skip)
            return;
    }
    core_event_t ev = core_msg_event(m);
    h->n++;
    h->fn(h->ud, &ev);
}

int core_history_query(const session_t *s, const char *room, uint32_t table,
                       const store_hist_q_t *q, void (*fn)(void *ud, const core_event_t *ev),
                       void *ud, int *n)
{
    hctx_t h = {.s = s, .fn = fn, .ud = ud};
    if (n)
        *n = 0;
    room_t *r = core_room_find_for(s, room);
    if (r == NULL || core_right(s, r, 0) == CORE_RIGHT_NONE)
        return CORE_ENOROOM;
    if (table == 0 || core_right(s, r, table) == CORE_RIGHT_NONE)
        return CORE_ENOTABLE;
    if (q == NULL)
        return CORE_EBADREQ;
    if (s->core->store == NULL)
        return CORE_ESTORE;
    if (room_private(r))
        return 0;
    int rc = store_history_query(s->core->store, room_name(r), table, q, on_msg, &h, NULL);
    if (n)
        *n = h.n;
    return rc == STORE_EINVAL ? CORE_EBADREQ : rc == STORE_ENOTFOUND ? 0 : rc < 0 ? CORE_ESTORE : 0;
}
