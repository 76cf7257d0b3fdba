/* store_history_query (store.h): IRCv3 chathistory's selectors as one or two ranges of the
 * backend's history_range (store_backend.h). */
#include <stdint.h>

#include "store/store.h"
#include "store/store_backend.h"

typedef struct range_ctx {
    const store_backend_ops_t *ops;
    store_backend_t *be;
    const char *room;
    uint32_t table;
    store_msg_cb cb;
    void *ud;
    int n; /* handed to cb so far */
} range_ctx_t;

/* Messages with lo < key < hi, up to limit, from the newest or the oldest end. */
static int range(range_ctx_t *c, bool by_ts, int64_t lo, int64_t hi, bool newest, int limit)
{
    int k = 0;
    if (limit <= 0 || lo >= hi)
        return 0;
    int err = c->ops->history_range(c->be, c->room, c->table, by_ts, lo, hi, newest, limit, c->cb,
                                    c->ud, &k);
    c->n += k;
    return err;
}

/* A reference's key: an id or a ts; ids above INT64_MAX are past every stored one. */
static int64_t key(const store_hq_ref_t *r)
{
    if (r->by == STORE_HQ_TS)
        return r->ts;
    return r->id > INT64_MAX ? INT64_MAX : (int64_t)r->id;
}

static bool ref_ok(const store_hq_ref_t *r)
{
    return r->by == STORE_HQ_ID || r->by == STORE_HQ_TS;
}

static void count_only(void *ud, const store_msg_t *m)
{
}

/* Half the limit before key k, half from k on (k included); a side with fewer messages leaves its
 * share to the other. The side after k is counted first (without handing anything out), so the
 * messages still go out oldest first. */
static int around(range_ctx_t *c, bool by_ts, int64_t k, int limit)
{
    int64_t from = k == INT64_MIN ? k : k - 1; /* lo is exclusive */
    range_ctx_t probe = *c;
    probe.cb = count_only;
    probe.n = 0;
    int err = range(&probe, by_ts, from, INT64_MAX, false, limit - limit / 2);
    if (err == 0)
        err = range(c, by_ts, INT64_MIN, k, true, limit - probe.n);
    if (err == 0)
        err = range(c, by_ts, from, INT64_MAX, false, limit - c->n);
    return err;
}

/* BETWEEN with one bound by id and the other by ts: both by ts. */
static int between(range_ctx_t *c, const store_hist_q_t *q)
{
    int64_t a = key(&q->ref), b = key(&q->end);
    bool by_ts = q->ref.by == STORE_HQ_TS;
    if (q->ref.by != q->end.by) {
        const store_hq_ref_t *id_ref = q->ref.by == STORE_HQ_ID ? &q->ref : &q->end;
        int64_t ts;
        int err = c->ops->msg_ts(c->be, id_ref->id, &ts);
        if (err < 0)
            return err;
        if (id_ref == &q->ref)
            a = ts;
        else
            b = ts;
        by_ts = true;
    }
    return a <= b ? range(c, by_ts, a, b, false, q->limit) : range(c, by_ts, b, a, true, q->limit);
}

int store_history_query(store_t *st, const char *room, uint32_t table, const store_hist_q_t *q,
                        store_msg_cb cb, void *ud, int *n)
{
    range_ctx_t c = {.room = room, .table = table, .cb = cb, .ud = ud};
    int err = store__backend(st, &c.ops, &c.be);
    if (n)
        *n = 0;
    if (err < 0)
        return err;
    if (q == NULL || q->limit <= 0 || (q->kind != STORE_HQ_LATEST && !ref_ok(&q->ref)) ||
        (q->kind == STORE_HQ_BETWEEN && !ref_ok(&q->end)))
        return STORE_EINVAL;
    store_hist_q_t qq = *q;
    if (qq.limit > STORE_HISTORY_QUERY_MAX)
        qq.limit = STORE_HISTORY_QUERY_MAX;
    bool by_ts = qq.ref.by == STORE_HQ_TS;
    int64_t k = key(&qq.ref);
    switch (qq.kind) {
    case STORE_HQ_BEFORE: err = range(&c, by_ts, INT64_MIN, k, true, qq.limit); break;
    case STORE_HQ_AFTER: err = range(&c, by_ts, k, INT64_MAX, false, qq.limit); break;
    case STORE_HQ_LATEST:
        err =
            range(&c, by_ts, qq.ref.by == STORE_HQ_NONE ? INT64_MIN : k, INT64_MAX, true, qq.limit);
        break;
    case STORE_HQ_AROUND: err = around(&c, by_ts, k, qq.limit); break;
    case STORE_HQ_BETWEEN: err = between(&c, &qq); break;
    default: err = STORE_EINVAL;
    }
    if (n)
        *n = c.n;
    return err;
}
