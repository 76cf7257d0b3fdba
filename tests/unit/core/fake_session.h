/* A fake protocol adapter for the core's unit tests: each fake session records the events the core
 * delivers to it (copied, since events are borrowed) and its say_done calls. Header-only; include
 * after <cmocka.h>. */
#ifndef PARLEY_TESTS_UNIT_CORE_FAKE_SESSION_H
#define PARLEY_TESTS_UNIT_CORE_FAKE_SESSION_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "core/core.h"
#include "util/rbuf.h"

#define FAKE_MAX_EVENTS 128
#define FAKE_MAX_DONE   32

typedef struct rec {
    core_event_type_t type;
    char room[40];
    uint32_t table;
    uint32_t to_table;
    uint64_t msg_id;
    int64_t ts;
    char nick[100];
    char colour[8];
    char to_nick[100];
    char text[256];
    size_t text_len;
    char reason[16];
    uint32_t count;
    uint64_t invite;
    core_right_t right;
    const table_t *at;  /* borrowed: valid while the private room lives */
    uint64_t recording; /* a played message, EV_RECORDING, EV_PLAYBACK */
    uint32_t round;
} rec_t;

typedef struct fake {
    session_t *s;
    rec_t ev[FAKE_MAX_EVENTS];
    int nev;
    uint64_t done_id[FAKE_MAX_DONE];
    int done_status[FAKE_MAX_DONE];
    int ndone;
    bool encode;                     /* put an rbuf into ev->enc[0] like a protocol layer would */
    rbuf_t *queued[FAKE_MAX_EVENTS]; /* references it "queued" (encode mode) */
    int nqueued;
} fake_t;

static inline void fake_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static inline void fake_deliver(void *ctx, core_event_t *ev)
{
    fake_t *f = ctx;
    assert_true(f->nev < FAKE_MAX_EVENTS);
    rec_t *r = &f->ev[f->nev++];
    memset(r, 0, sizeof(*r));
    r->type = ev->type;
    fake_copy(r->room, sizeof(r->room), ev->room);
    r->table = ev->table;
    r->to_table = ev->to_table;
    r->msg_id = ev->msg_id;
    r->ts = ev->ts;
    fake_copy(r->nick, sizeof(r->nick), ev->nick);
    fake_copy(r->colour, sizeof(r->colour), ev->colour);
    fake_copy(r->to_nick, sizeof(r->to_nick), ev->to_nick);
    if (ev->text) {
        size_t n = ev->text_len < sizeof(r->text) - 1 ? ev->text_len : sizeof(r->text) - 1;
        memcpy(r->text, ev->text, n);
    }
    r->text_len = ev->text_len;
    fake_copy(r->reason, sizeof(r->reason), ev->reason);
    r->count = ev->count;
    r->invite = ev->invite;
    r->right = ev->right;
    r->at = ev->at;
    r->recording = ev->recording;
    r->round = ev->round;
    if (f->encode) {
        if (ev->enc[CORE_SLOT_JSON_WS] == NULL)
            ev->enc[CORE_SLOT_JSON_WS] = rbuf_from("frame", 5);
        f->queued[f->nqueued++] = rbuf_ref(ev->enc[CORE_SLOT_JSON_WS]);
    }
}

static inline void fake_say_done(void *ctx, uint64_t msg_id, int status)
{
    fake_t *f = ctx;
    assert_true(f->ndone < FAKE_MAX_DONE);
    f->done_id[f->ndone] = msg_id;
    f->done_status[f->ndone++] = status;
}

static const session_ops_t fake_ops = {.deliver = fake_deliver, .say_done = fake_say_done};

static inline fake_t *fake_new(core_t *c)
{
    fake_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->s = core_session_new(c, &fake_ops, f);
    assert_non_null(f->s);
    return f;
}

/* A fake that has said hello as nick. */
static inline fake_t *fake_hello(core_t *c, const char *nick)
{
    fake_t *f = fake_new(c);
    assert_int_equal(core_hello(f->s, nick, NULL), 0);
    return f;
}

static inline void fake_clear(fake_t *f)
{
    f->nev = 0;
    f->ndone = 0;
}

static inline void fake_drop_queue(fake_t *f)
{
    for (int i = 0; i < f->nqueued; i++)
        rbuf_unref(f->queued[i]);
    f->nqueued = 0;
}

/* Frees the core session (if not yet freed) and the fake. */
static inline void fake_free(fake_t *f)
{
    if (f == NULL)
        return;
    core_session_free(f->s);
    fake_drop_queue(f);
    free(f);
}

static inline const rec_t *fake_last(const fake_t *f)
{
    assert_true(f->nev > 0);
    return &f->ev[f->nev - 1];
}

/* A core with an in-process bus and no store. */
typedef struct world {
    bus_t *bus;
    core_t *core;
    room_t *lobby;
} world_t;

static inline void world_init(world_t *w, int capacity, int history, size_t max_text)
{
    core_config_t cfg = {.default_capacity = 32, .history_on_entry = history, .max_text = max_text};
    w->bus = bus_inproc_new();
    w->core = core_new(&cfg, NULL, w->bus);
    room_spec_t spec = {
        .name = "lobby", .title = "Lobby", .topic = "Say hello", .capacity = capacity};
    assert_int_equal(core_room_create(w->core, &spec, false, &w->lobby), 0);
}

static inline void world_deinit(world_t *w)
{
    core_free(w->core);
    bus_free(w->bus);
}

#endif
