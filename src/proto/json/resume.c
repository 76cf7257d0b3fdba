/* Session resume (docs/PROTOCOL.md, "Resume"; docs/ARCHITECTURE.md, "Resume"): a JSON session
 * that said hello gets a random token; when its transport goes away without `quit` it is detached
 * (still in its rooms, nick held) for [server] resume_window seconds, and a new connection on any
 * transport may take it back with {"type":"resume","token","last_seq"}.
 *
 * Owns: the registry of resumable sessions (a hash by the token's first half; the whole token is
 * compared in constant time), each session's replay ring (references to what it sent: while
 * attached the last RING_MAX messages of at most output_cap bytes, and none older than two
 * windows; while detached everything, up to output_cap bytes), the detached sessions in a FIFO by
 * deadline (all windows are equally long) served by one timer, a sweep timer that ages attached
 * rings, and tombstones of ended sessions (so that a late resume hears "expired" or "gap" rather
 * than "unknown"). The jsess_t stays session.c's; this file reads its body (session_int.h). */
#include <errno.h>
#include <malloc.h>
#include <string.h>

#include <sodium.h>

#include "net/server.h"
#include "proto/json/replay.h"
#include "proto/json/session_int.h"
#include "util/log.h"
#include "util/xmalloc.h"

#include <uthash.h> /* group.h sets its allocator */

#define TOKEN_BYTES 32
#define KEY_BYTES   16 /* the hash key: the token's first half */
#define RING_MAX    512
#define TOMB_MAX    16384
#define TOMB_MS     (3600 * 1000)
#define TRIM_BYTES  (4 << 20) /* a sweep that drops more gives free memory back to the system */
#define CODE_TAKEN  4000      /* the close code of a connection whose session resumed elsewhere */

enum { ENDED_EXPIRED, ENDED_GAP };

struct jresume {
    uint8_t token[TOKEN_BYTES];
    UT_hash_handle hh;
    jsess_t *js;
    replay_t ring;
    list_t node;        /* detached: in `detached`, by deadline */
    uint64_t deadline;  /* loop ms the window ends (detached) */
    uint64_t mark;      /* the sweep drops what is numbered up to mark (attached) */
    uint64_t token_seq; /* the number of the hello answer that carried the token */
    bool over;          /* detached past output_cap: ends with reason gap */
};

typedef struct tomb {
    uint8_t token[TOKEN_BYTES];
    UT_hash_handle hh;
    list_t node; /* `tombs`, oldest first */
    uint64_t at; /* loop ms */
    uint8_t why; /* ENDED_* */
} tomb_t;

static struct {
    struct jresume *live; /* by token */
    list_t detached;
    tomb_t *tomb_index;
    list_t tombs;
    unsigned ntombs;
    uv_loop_t *loop; /* NULL until the first resumable session */
    uv_timer_t expiry, sweep;
    json_resume_stats_t stats;
} rs;

static uint64_t window_ms(const jsess_t *js)
{
    return (uint64_t)js->group->app->cfg->resume_window * 1000;
}

static size_t output_cap(const jsess_t *js)
{
    return server_options(js->group->app->server)->output_cap;
}

/* ---- tombstones ---- */

static void tomb_pop(void)
{
    tomb_t *t = list_entry(rs.tombs.next, tomb_t, node);
    list_remove(&t->node);
    HASH_DEL(rs.tomb_index, t);
    rs.ntombs--;
    free(t);
}

static void tombs_age(void)
{
    uint64_t now = uv_now(rs.loop);
    while (!list_empty(&rs.tombs) &&
           (rs.ntombs > TOMB_MAX || list_entry(rs.tombs.next, tomb_t, node)->at + TOMB_MS <= now))
        tomb_pop();
}

static void tomb_add(const uint8_t *token, int why)
{
    tomb_t *t = xcalloc(1, sizeof(*t));
    memcpy(t->token, token, TOKEN_BYTES);
    t->at = uv_now(rs.loop);
    t->why = (uint8_t)why;
    HASH_ADD(hh, rs.tomb_index, token, KEY_BYTES, t);
    list_push_back(&rs.tombs, &t->node);
    rs.ntombs++;
    tombs_age();
}

static tomb_t *tomb_find(const uint8_t *token)
{
    tomb_t *t;
    tombs_age();
    HASH_FIND(hh, rs.tomb_index, token, KEY_BYTES, t);
    return t && sodium_memcmp(t->token, token, TOKEN_BYTES) == 0 ? t : NULL;
}

/* ---- timers ---- */

static void on_expiry(uv_timer_t *h);

static void expiry_arm(void)
{
    if (list_empty(&rs.detached)) {
        uv_timer_stop(&rs.expiry);
        return;
    }
    uint64_t now = uv_now(rs.loop);
    uint64_t due = list_entry(rs.detached.next, struct jresume, node)->deadline;
    uv_timer_start(&rs.expiry, on_expiry, due > now ? due - now : 0, 0);
}

/* Ends the sessions whose window passed (or that went over output_cap while detached), exactly
 * as a disconnect did before resume existed: they leave their rooms. */
static void on_expiry(uv_timer_t *h)
{
    uint64_t now = uv_now(rs.loop);
    while (!list_empty(&rs.detached)) {
        struct jresume *r = list_entry(rs.detached.next, struct jresume, node);
        if (r->deadline > now)
            break;
        log_debug("detached session %s: %s", core_session_nick(r->js->s),
                  r->over ? "over output_cap" : "resume window over");
        json_session_free(r->js); /* unlinks r; others' deliveries may add to the list */
    }
    expiry_arm();
}

/* Ages the attached sessions' rings: what was there at the previous sweep (a window ago) goes. */
static void on_sweep(uv_timer_t *h)
{
    struct jresume *r, *tmp;
    size_t freed = 0;
    HASH_ITER(hh, rs.live, r, tmp)
    {
        if (r->js->tr == NULL)
            continue;
        size_t before = r->ring.bytes;
        replay_drop_upto(&r->ring, r->mark);
        freed += before - r->ring.bytes;
        r->mark = r->js->seq;
    }
    if (freed > TRIM_BYTES)
        malloc_trim(0); /* give the pages back: idle rings should not keep a burst's memory */
}

static void timers_init(jsess_t *js)
{
    if (rs.loop)
        return;
    rs.loop = js->group->app->loop;
    list_init(&rs.detached);
    list_init(&rs.tombs);
    uv_timer_init(rs.loop, &rs.expiry);
    uv_timer_init(rs.loop, &rs.sweep);
    uv_unref((uv_handle_t *)&rs.expiry);
    uv_unref((uv_handle_t *)&rs.sweep);
    uint64_t ms = window_ms(js);
    uv_timer_start(&rs.sweep, on_sweep, ms, ms);
}

/* ---- the session's side ---- */

void jresume__start(jsess_t *js, json_t *result)
{
    int window = js->group->app->cfg->resume_window;
    if (window == 0 || js->resume)
        return;
    timers_init(js);
    struct jresume *r = xcalloc(1, sizeof(*r));
    struct jresume *dup;
    do {
        randombytes_buf(r->token, TOKEN_BYTES);
        HASH_FIND(hh, rs.live, r->token, KEY_BYTES, dup);
    } while (dup);
    r->js = js;
    r->token_seq = js->seq + 1; /* the hello's answer, next */
    replay_init(&r->ring, r->token_seq);
    list_init(&r->node);
    HASH_ADD(hh, rs.live, token, KEY_BYTES, r);
    js->resume = r;
    char hex[TOKEN_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof(hex), r->token, TOKEN_BYTES);
    json_object_set_new(result, "resume", json_string(hex));
    json_object_set_new(result, "resume_window", json_integer(window));
    sodium_memzero(hex, sizeof(hex));
}

void jresume__sent(jsess_t *js, rbuf_t *b)
{
    struct jresume *r = js->resume;
    replay_push(&r->ring, b);
    if (js->tr) {
        replay_bound(&r->ring, RING_MAX, output_cap(js));
    } else if (!r->over && r->ring.bytes > output_cap(js)) {
        /* we may be inside a fan-out: end it from the timer, at once */
        r->over = true;
        r->deadline = 0;
        list_remove(&r->node);
        list_push_front(&rs.detached, &r->node);
        expiry_arm();
    }
}

void jresume__detach(jsess_t *js)
{
    struct jresume *r = js->resume;
    r->deadline = uv_now(rs.loop) + window_ms(js);
    list_push_back(&rs.detached, &r->node);
    rs.stats.detached++;
    if (list_entry(rs.detached.next, struct jresume, node) == r)
        expiry_arm();
}

static void unlink_detached(struct jresume *r)
{
    if (!list_linked(&r->node))
        return;
    bool head = rs.detached.next == &r->node;
    list_remove(&r->node);
    rs.stats.detached--;
    if (head)
        expiry_arm();
}

void jresume__free(jsess_t *js)
{
    struct jresume *r = js->resume;
    if (r == NULL)
        return;
    js->resume = NULL;
    if (rs.loop) /* not after json_resume_shutdown */
        tomb_add(r->token, r->over ? ENDED_GAP : ENDED_EXPIRED);
    HASH_DEL(rs.live, r);
    unlink_detached(r);
    replay_deinit(&r->ring);
    sodium_memzero(r->token, sizeof(r->token));
    free(r);
}

/* ---- the resume command ---- */

static void send_failed(jsess_t *js, json_t *id, const char *reason, const char *message)
{
    if (strcmp(reason, "expired") == 0)
        rs.stats.expired++;
    else if (strcmp(reason, "gap") == 0)
        rs.stats.gap++;
    else
        rs.stats.unknown++;
    jsess__send_obj(js, json_pack("{s:s,s:O,s:s,s:s}", "type", "resume_failed", "id",
                                  id ? id : json_null(), "reason", reason, "message", message));
}

static void send_error(jsess_t *js, json_t *id, const char *message)
{
    jsess__send_obj(js, json_pack("{s:s,s:O,s:s,s:s}", "type", "error", "id", id ? id : json_null(),
                                  "code", "bad_request", "message", message));
}

/* The live session of the token in js's group, else NULL with *why set (tomb's reason or -1). */
static struct jresume *find(const jsess_t *js, const char *hex, int *why)
{
    uint8_t token[TOKEN_BYTES];
    size_t len = 0;
    struct jresume *r = NULL;
    *why = -1;
    if (strlen(hex) != TOKEN_BYTES * 2 ||
        sodium_hex2bin(token, sizeof(token), hex, TOKEN_BYTES * 2, NULL, &len, NULL) != 0 ||
        len != TOKEN_BYTES)
        return NULL;
    if (rs.loop == NULL)
        return NULL; /* nothing was ever resumable */
    HASH_FIND(hh, rs.live, token, KEY_BYTES, r);
    if (r && (sodium_memcmp(r->token, token, TOKEN_BYTES) != 0 || r->js->group != js->group))
        r = NULL;
    if (r == NULL) {
        tomb_t *t = tomb_find(token);
        if (t)
            *why = t->why;
    }
    sodium_memzero(token, sizeof(token));
    return r;
}

/* Moves js's connection to the resumed session old and replays what followed last. */
static void take_over(jsess_t *js, jsess_t *old, uint64_t last, json_t *id)
{
    struct jresume *r = old->resume;
    if (old->tr) { /* still attached elsewhere: that connection ends, the session goes on */
        const json_transport_t *otr = old->tr;
        old->tr = NULL;
        otr->close(old->t, CODE_TAKEN, "resumed on another connection");
    }
    unlink_detached(r);
    const json_transport_t *tr = js->tr;
    void *t = js->t;
    js->tr = NULL;
    tr->rebind(t, old);
    old->tr = tr;
    old->t = t;
    jsess__set_address(old);
    replay_drop_upto(&r->ring, last);
    for (uint64_t seq = r->ring.first; seq < replay_next(&r->ring); seq++) {
        rbuf_t *b = replay_get(&r->ring, seq);
        rbuf_t *nb = json_reencode(b, old->slot, tr->slot);
        if (nb != b)
            replay_set(&r->ring, seq, nb);
        rbuf_unref(nb);
    }
    old->slot = (uint8_t)tr->slot;
    r->mark = last;
    /* resumed carries the number the client has (it is not counted), then the rest in order */
    json_t *o = json_pack("{s:s,s:O,s:s,s:I}", "type", "resumed", "id", id ? id : json_null(),
                          "nick", core_session_nick(old->s), "next_seq", (json_int_t)last + 1);
    rbuf_t *b = json_encode(old->slot, o);
    json_decref(o);
    int rc = tr->send(t, last, b);
    rbuf_unref(b);
    for (uint64_t seq = last + 1; rc == 0 && seq <= old->seq; seq++)
        rc = tr->send(t, seq, replay_get(&r->ring, seq));
    if (rc == -ENOBUFS)
        old->ending = true;
    rs.stats.ok++;
    char peer[64];
    tr->peer(t, peer, sizeof(peer));
    log_info("session %s resumed over %s from %s: %llu messages replayed",
             core_session_nick(old->s), tr->name, peer, (unsigned long long)(old->seq - last));
}

int jresume__cmd(jsess_t *js, json_t *req, json_t **result)
{
    json_t *id = json_object_get(req, "id");
    json_t *ls = json_object_get(req, "last_seq");
    const char *token;
    if (json_arg_str(req, "token", &token) < 0 || !json_is_integer(ls) ||
        json_integer_value(ls) < 0)
        return CORE_EBADREQ;
    if (core_session_ready(js->s) || js->seq > 1) {
        send_error(js, id, "resume must be a new connection's first command, instead of hello");
        return DEFERRED;
    }
    uint64_t last = (uint64_t)json_integer_value(ls);
    int why;
    struct jresume *r = find(js, token, &why);
    if (r == NULL) {
        if (why == ENDED_GAP)
            send_failed(js, id, "gap", "messages were lost: say hello again and reload history");
        else if (why == ENDED_EXPIRED)
            send_failed(js, id, "expired", "the session has ended: say hello again");
        else
            send_failed(js, id, "unknown", "no such session: say hello again");
        return DEFERRED;
    }
    jsess_t *old = r->js;
    if (last < r->token_seq || last > old->seq) {
        send_error(js, id, "last_seq must be the number of the last message received");
        return DEFERRED;
    }
    if (last + 1 < r->ring.first) {
        r->over = true;
        jsess__end(old, CODE_TAKEN, "resumed on another connection, with messages lost");
        send_failed(js, id, "gap", "messages were lost: say hello again and reload history");
        return DEFERRED;
    }
    take_over(js, old, last, id);
    json_session_free(js); /* the new connection's own session: no hello, no rooms */
    return DEFERRED;
}

/* ---- metrics and shutdown ---- */

void json_resume_get_stats(json_resume_stats_t *out)
{
    *out = rs.stats;
}

void json_resume_shutdown(void)
{
    if (rs.loop == NULL)
        return;
    while (!list_empty(&rs.tombs))
        tomb_pop();
    uv_close((uv_handle_t *)&rs.expiry, NULL);
    uv_close((uv_handle_t *)&rs.sweep, NULL);
    rs.loop = NULL;
}
