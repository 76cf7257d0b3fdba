/* The store: a thin dispatch over a backend (store_backend.h) plus the backend-independent writer,
 * which runs on a worker queue (util/workq.h).
 *
 * Group commit: appends are copied into a pending_t and pushed on `queue` under `mu`. The first
 * append that finds no flush job waiting submits one; when the queue's thread runs it, the job
 * takes everything queued at once, writes it with one backend transaction and keeps the batch with
 * its statuses; its done callback, on the loop thread, runs the callbacks in order. Appends that
 * arrive while a batch is being written queue up for the next job, so a busy store commits in
 * groups. If a batch fails, its messages are retried one per transaction, so a message that cannot
 * be stored does not fail the others.
 *
 * Lifetime: store_close() stops taking appends, then drains the queue (workq_free with drain: every
 * job runs and reports), then closes the backend. It may be called from inside a done callback;
 * the store's memory is then freed by the flush_done that is running (`dispatching`/
 * `free_pending`). */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "util/list.h"
#include "util/log.h"
#include "util/workq.h"
#include "util/xmalloc.h"

typedef struct pending {
    list_t node;
    store__write_t w; /* strings point into the same allocation */
    store_done_cb cb;
    void *ud;
    int status;
} pending_t;

struct store {
    uv_loop_t *loop;
    const store_backend_ops_t *ops;
    store_backend_t *be;
    int commit_delay_ms;
    uint64_t group_commit_ns;
    uint64_t max_queue;      /* store_busy at this many queued appends; 0: never */
    uint64_t last_commit_ns; /* writer thread only: when the previous batch began */
    workq_t *q;              /* the writer */

    /* Shared with the writer thread, guarded by mu. */
    uv_mutex_t mu;
    uv_cond_t cond;      /* done_seq moved, or hurry was set */
    uint64_t enq_seq;    /* appends queued so far */
    uint64_t done_seq;   /* of those, the ones whose batch has been written (or failed) */
    bool hurry;          /* store_barrier() waits: the writer skips its group commit window */
    list_t queue;        /* appended, not yet taken by a flush job */
    bool flush_waiting;  /* a flush job is submitted and has not taken the queue yet */
    store_stats_t stats; /* .queued counts appended but not yet written */

    /* Loop thread only. */
    bool closing;    /* store_close() has begun: appends are refused */
    int dispatching; /* depth of flush_done() on the stack */
    bool closed;     /* backend closed; only the free may be pending */
    bool free_pending;
};

/* One flush: the batch it took, with statuses, until its done callback has run. */
typedef struct flush {
    store_t *st;
    list_t batch;
} flush_t;

static const store_backend_ops_t *pick_backend(const store_options_t *opt)
{
    /* One backend for now; a future option selects PostgreSQL here. */
    return &sqlite_store_ops;
}

static char *put_str(char **cursor, const char *s, size_t len)
{
    char *dst = *cursor;
    memcpy(dst, s, len);
    dst[len] = '\0';
    *cursor += len + 1;
    return dst;
}

static size_t str_len(const char *s)
{
    return s ? strlen(s) : 0;
}

/* One allocation holds the pending_t and copies of every string of m or rm (one of them). */
static pending_t *pending_new(const store_msg_t *m, const store_rec_msg_t *rm, store_done_cb cb,
                              void *ud)
{
    const char *room = m ? m->room : NULL;
    const char *nick = m ? m->nick : rm->nick, *colour = m ? m->colour : rm->colour;
    const char *text = m ? m->text : rm->text;
    size_t room_len = str_len(room), nick_len = str_len(nick), colour_len = str_len(colour);
    size_t text_len = text ? (m ? m->text_len : rm->text_len) : 0;
    pending_t *p = xcalloc(1, sizeof *p + room_len + nick_len + colour_len + text_len + 4);
    char *cursor = (char *)(p + 1);

    list_init(&p->node);
    p->w.rec = m == NULL;
    if (m)
        p->w.msg = *m;
    else
        p->w.rmsg = *rm;
    room = room ? put_str(&cursor, room, room_len) : NULL;
    nick = nick ? put_str(&cursor, nick, nick_len) : NULL;
    colour = colour ? put_str(&cursor, colour, colour_len) : NULL;
    text = put_str(&cursor, text ? text : "", text_len);
    if (m) {
        p->w.msg.room = room;
        p->w.msg.nick = nick;
        p->w.msg.colour = colour;
        p->w.msg.text = text;
        p->w.msg.text_len = text_len;
    } else {
        p->w.rmsg.nick = nick;
        p->w.rmsg.colour = colour;
        p->w.rmsg.text = text;
        p->w.rmsg.text_len = text_len;
    }
    p->cb = cb;
    p->ud = ud;
    p->status = 0;
    return p;
}

/* Writes one batch (list of pending_t), setting each status. Writer thread, without mu. Returns the
 * number of transactions committed. */
static uint64_t write_batch(store_t *st, list_t *batch, size_t n)
{
    const store__write_t **msgs = xmalloc(n * sizeof *msgs);
    uint64_t commits = 0;
    size_t i = 0;

    list_foreach(it, batch)
    {
        msgs[i++] = &list_entry(it, pending_t, node)->w;
    }
    int err = st->ops->write_batch(st->be, msgs, n);
    if (err == 0)
        commits++;
    if (err < 0 && n > 1) {
        /* Find the culprits: each message on its own, so one bad message (a duplicate id) fails
         * alone. Once a single one finds the store full, the rest would too: fail them without
         * trying (and without a log line each). */
        log_warn("store: batch of %zu failed (%s); retrying one by one", n, store_strerror(err));
        bool full = false;
        list_foreach(it, batch)
        {
            pending_t *p = list_entry(it, pending_t, node);
            const store__write_t *one = &p->w;
            p->status = full ? STORE_EFULL : st->ops->write_batch(st->be, &one, 1);
            full = p->status == STORE_EFULL;
            commits += p->status == 0;
        }
    } else {
        list_foreach(it, batch)
        {
            list_entry(it, pending_t, node)->status = err;
        }
    }
    free(msgs);
    return commits;
}

/* Writer thread: takes everything queued and writes it. */
static void flush_work(void *arg)
{
    flush_t *f = arg;
    store_t *st = f->st;
    size_t n = 0;

    /* Group commit window: appends made while we wait join this batch (flush_waiting is still
     * set, so they submit no job of their own). An idle store commits at once. */
    uint64_t now = uv_hrtime();
    uv_mutex_lock(&st->mu);
    while (st->group_commit_ns > 0 && !st->hurry &&
           now - st->last_commit_ns < st->group_commit_ns) {
        uint64_t wait_ns = st->group_commit_ns - (now - st->last_commit_ns);
        (void)uv_cond_timedwait(&st->cond, &st->mu, wait_ns);
        now = uv_hrtime();
    }
    st->last_commit_ns = now;
    uint64_t taken = st->enq_seq;
    while (!list_empty(&st->queue)) {
        list_t *it = st->queue.next;
        list_remove(it);
        list_push_back(&f->batch, it);
        n++;
    }
    st->flush_waiting = false;
    uv_mutex_unlock(&st->mu);
    if (n == 0)
        return;

    if (st->commit_delay_ms > 0)
        uv_sleep((unsigned)st->commit_delay_ms);
    uint64_t commits = write_batch(st, &f->batch, n);

    uv_mutex_lock(&st->mu);
    st->done_seq = taken;
    uv_cond_broadcast(&st->cond);
    st->stats.commits += commits;
    st->stats.queued -= n;
    list_foreach(it, &f->batch)
    {
        if (list_entry(it, pending_t, node)->status == 0)
            st->stats.appended++;
        else
            st->stats.failed++;
    }
    uv_mutex_unlock(&st->mu);
}

static void store__free(store_t *st)
{
    uv_cond_destroy(&st->cond);
    uv_mutex_destroy(&st->mu);
    free(st);
}

/* Loop thread: the batch's callbacks, in order. A callback may call store_close(); the store is
 * then freed here, once the outermost flush_done returns. The queue drains with workq_free(drain),
 * so a flush is never cancelled with messages in its batch. */
static void flush_done(void *arg, bool cancelled)
{
    flush_t *f = arg;
    store_t *st = f->st;

    st->dispatching++;
    while (!list_empty(&f->batch)) {
        pending_t *p = list_entry(f->batch.next, pending_t, node);
        list_remove(&p->node);
        if (p->cb)
            p->cb(p->ud, p->w.rec ? p->w.rmsg.seq : p->w.msg.id, p->status);
        free(p);
    }
    free(f);
    st->dispatching--;
    if (st->dispatching == 0 && st->free_pending)
        store__free(st);
}

int store_open(uv_loop_t *loop, const store_options_t *opt, store_t **out)
{
    store_t *st = xcalloc(1, sizeof *st);
    int err = 0;

    *out = NULL;
    st->loop = loop;
    st->ops = pick_backend(opt);
    st->commit_delay_ms = opt ? opt->commit_delay_ms : 0;
    st->max_queue = opt && opt->max_queue > 0 ? (uint64_t)opt->max_queue : 0;
    st->group_commit_ns =
        opt && opt->group_commit_ms > 0 ? (uint64_t)opt->group_commit_ms * 1000000 : 0;
    list_init(&st->queue);
    if (uv_mutex_init(&st->mu) != 0) {
        free(st);
        return STORE_EIO;
    }
    if (uv_cond_init(&st->cond) != 0) {
        uv_mutex_destroy(&st->mu);
        free(st);
        return STORE_EIO;
    }
    err = st->ops->open(opt, &st->be);
    if (err < 0)
        goto out;
    if (workq_new(loop, &st->q) < 0) {
        log_error("store: cannot start the writer thread");
        err = STORE_EIO;
        goto out;
    }
    log_info("store: opened %s/parley.db (%s)", opt->dir, st->ops->name);
    *out = st;
    st = NULL;
out:
    if (st) {
        if (st->be)
            st->ops->close(st->be);
        store__free(st);
    }
    return err;
}

void store_close(store_t *st)
{
    if (st == NULL || st->closing)
        return;
    st->closing = true;
    /* Every queued message is written and reported before this returns (callbacks may still read;
     * appends now fail with ECLOSED), without waiting out a group commit window. */
    uv_mutex_lock(&st->mu);
    st->hurry = true;
    uv_cond_broadcast(&st->cond);
    uv_mutex_unlock(&st->mu);
    workq_free(st->q, true);
    st->q = NULL;
    st->ops->close(st->be);
    st->be = NULL;
    st->closed = true;
    if (st->dispatching > 0)
        st->free_pending = true; /* called from a callback: the running flush_done frees */
    else
        store__free(st);
}

uint64_t store_last_msg_id(store_t *st)
{
    uint64_t id = 0;
    if (st->closed || st->ops->last_msg_id(st->be, &id) < 0)
        return 0;
    return id;
}

int store_room_put(store_t *st, const store_room_t *room)
{
    if (st->closed)
        return STORE_ECLOSED;
    return st->ops->room_put(st->be, room);
}

int store_setting_get(store_t *st, const char *key, char **value)
{
    *value = NULL;
    if (st->closed)
        return STORE_ECLOSED;
    return st->ops->setting_get(st->be, key, value);
}

int store_setting_put(store_t *st, const char *key, const char *value)
{
    if (st->closed)
        return STORE_ECLOSED;
    return st->ops->setting_put(st->be, key, value);
}

int store_rooms_load(store_t *st, store_room_cb cb, void *ud)
{
    if (st->closed)
        return STORE_ECLOSED;
    return st->ops->rooms_load(st->be, cb, ud);
}

int store_room_delete(store_t *st, const char *name)
{
    return st->closed ? STORE_ECLOSED : st->ops->room_delete(st->be, name);
}

int store_folder_put(store_t *st, const char *path)
{
    return st->closed ? STORE_ECLOSED : st->ops->folder_put(st->be, path);
}

int store_folder_delete(store_t *st, const char *path)
{
    return st->closed ? STORE_ECLOSED : st->ops->folder_delete(st->be, path);
}

int store_folder_rename(store_t *st, const char *from, const char *to)
{
    return st->closed ? STORE_ECLOSED : st->ops->folder_rename(st->be, from, to);
}

int store_folders_load(store_t *st, void (*cb)(void *ud, const char *path), void *ud)
{
    return st->closed ? STORE_ECLOSED : st->ops->folders_load(st->be, cb, ud);
}

int store_acl_put(store_t *st, const store_acl_t *acl)
{
    return st->closed ? STORE_ECLOSED : st->ops->acl_put(st->be, acl);
}

int store_group_put(store_t *st, const store_group_t *group)
{
    return st->closed ? STORE_ECLOSED : st->ops->group_put(st->be, group);
}

int store_group_delete(store_t *st, const char *name)
{
    return st->closed ? STORE_ECLOSED : st->ops->group_delete(st->be, name);
}

int store_ban_put(store_t *st, const store_ban_t *ban)
{
    return st->closed ? STORE_ECLOSED : st->ops->ban_put(st->be, ban);
}

int store_ban_delete(store_t *st, const char *room, uint32_t table, const char *who)
{
    return st->closed ? STORE_ECLOSED : st->ops->ban_delete(st->be, room, table, who);
}

int store_stage_put(store_t *st, const store_stage_t *stage)
{
    return st->closed ? STORE_ECLOSED : st->ops->stage_put(st->be, stage);
}

int store_event_put(store_t *st, const store_event_t *ev)
{
    return st->closed ? STORE_ECLOSED : st->ops->event_put(st->be, ev);
}

int store_event_delete(store_t *st, const char *name)
{
    return st->closed ? STORE_ECLOSED : st->ops->event_delete(st->be, name);
}

int store_events_load(store_t *st, void (*cb)(void *ud, const store_event_t *ev), void *ud)
{
    return st->closed ? STORE_ECLOSED : st->ops->events_load(st->be, cb, ud);
}

int store_table_topic_put(store_t *st, const char *room, uint32_t table, const char *topic,
                          const char *by, int64_t at)
{
    return st->closed ? STORE_ECLOSED
                      : st->ops->table_topic_put(st->be, room, table, topic, by, at);
}

int store_access_load(store_t *st, const store_access_cb_t *cb, void *ud)
{
    return st->closed ? STORE_ECLOSED : st->ops->access_load(st->be, cb, ud);
}

/* Queues p for the writer thread, submitting a flush job unless one is waiting. */
static void enqueue(store_t *st, pending_t *p)
{
    uv_mutex_lock(&st->mu);
    list_push_back(&st->queue, &p->node);
    st->stats.queued++;
    st->enq_seq++;
    bool submit = !st->flush_waiting;
    st->flush_waiting = true;
    uv_mutex_unlock(&st->mu);
    if (submit) {
        flush_t *f = xmalloc(sizeof *f);
        f->st = st;
        list_init(&f->batch);
        workq_submit(st->q, flush_work, flush_done, f); /* cannot fail before store_close */
    }
}

bool store_busy(store_t *st)
{
    if (st->max_queue == 0)
        return false;
    uv_mutex_lock(&st->mu);
    bool busy = st->stats.queued >= st->max_queue;
    uv_mutex_unlock(&st->mu);
    return busy;
}

int store_msg_append(store_t *st, const store_msg_t *msg, store_done_cb cb, void *ud)
{
    if (st->closing)
        return STORE_ECLOSED;
    enqueue(st, pending_new(msg, NULL, cb, ud));
    return 0;
}

int store_recording_append(store_t *st, const store_rec_msg_t *m, store_done_cb cb, void *ud)
{
    if (st->closing)
        return STORE_ECLOSED;
    enqueue(st, pending_new(NULL, m, cb, ud));
    return 0;
}

int store_recording_begin(store_t *st, const store_recording_t *rec, uint64_t *id)
{
    return st->closing ? STORE_ECLOSED : st->ops->recording_begin(st->be, rec, id);
}

/* Loop thread: waits until every append queued before the call is written (committed or failed),
 * telling the writer to skip its group commit window. For the rare reads that must see what was
 * just appended (a recording that ends, its export); bounded by one commit. */
static void store_barrier(store_t *st)
{
    uv_mutex_lock(&st->mu);
    uint64_t target = st->enq_seq;
    if (st->done_seq < target) {
        st->hurry = true;
        uv_cond_broadcast(&st->cond);
        while (st->done_seq < target)
            uv_cond_wait(&st->cond, &st->mu);
        st->hurry = false;
    }
    uv_mutex_unlock(&st->mu);
}

int store_recording_end(store_t *st, uint64_t id, int64_t stopped_ms, uint32_t messages)
{
    if (st->closing)
        return STORE_ECLOSED;
    store_barrier(st); /* its messages are stored before it is marked ended */
    return st->ops->recording_end(st->be, id, stopped_ms, messages);
}

int store_recording_get(store_t *st, uint64_t id, void (*cb)(void *ud, const store_recording_t *r),
                        void *ud)
{
    return st->closed ? STORE_ECLOSED : st->ops->recording_get(st->be, id, cb, ud);
}

int store_recordings_list(store_t *st, const char *room,
                          void (*cb)(void *ud, const store_recording_t *r), void *ud)
{
    return st->closed ? STORE_ECLOSED : st->ops->recordings_list(st->be, room, cb, ud);
}

int store_recording_msgs(store_t *st, uint64_t id, uint32_t after, int limit,
                         void (*cb)(void *ud, const store_rec_msg_t *m), void *ud, int *n)
{
    int local = 0;
    if (n)
        *n = 0;
    if (st->closed)
        return STORE_ECLOSED;
    if (!st->closing)
        store_barrier(st); /* a running recording's latest messages too */
    if (limit < 1)
        limit = 1;
    if (limit > STORE_REC_PAGE)
        limit = STORE_REC_PAGE;
    int err = st->ops->recording_msgs(st->be, id, after, limit, cb, ud, &local);
    if (n)
        *n = local;
    return err;
}

int store_recording_delete(store_t *st, uint64_t id)
{
    return st->closing ? STORE_ECLOSED : st->ops->recording_delete(st->be, id);
}

int store_history(store_t *st, const char *room, uint32_t table, uint64_t before, int limit,
                  store_msg_cb cb, void *ud, bool *more)
{
    bool more_local = false;
    if (more)
        *more = false;
    if (st->closed)
        return STORE_ECLOSED;
    if (limit < 1)
        limit = 1;
    if (limit > STORE__HISTORY_MAX)
        limit = STORE__HISTORY_MAX;
    int err = st->ops->history(st->be, room, table, before, limit, cb, ud, &more_local);
    if (err == 0 && more)
        *more = more_local;
    return err;
}

void store_get_stats(store_t *st, store_stats_t *out)
{
    uv_mutex_lock(&st->mu);
    *out = st->stats;
    uv_mutex_unlock(&st->mu);
}

int store__backend(store_t *st, const store_backend_ops_t **ops, store_backend_t **be)
{
    if (st->closed)
        return STORE_ECLOSED;
    *ops = st->ops;
    *be = st->be;
    return 0;
}

const char *store_strerror(int err)
{
    switch (err) {
    case STORE_OK: return "success";
    case STORE_EIO: return "storage I/O or database error";
    case STORE_EFULL: return "storage full";
    case STORE_ECLOSED: return "store is closing";
    case STORE_ENOTFOUND: return "not found";
    case STORE_EEXIST: return "already exists";
    case STORE_EINVAL: return "invalid query";
    default: return "unknown store error";
    }
}
