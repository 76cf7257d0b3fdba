/* One emulated user.
 *
 * Life: WAITING until its start moment; SETUP while connecting and setting up (ws: upgrade, hello,
 * enter; IRC: registration and JOIN), bounded by BENCH_CONNECT_TIMEOUT_S; UP while it talks and
 * hops; DRAINING while it waits for the answers to its last says before leaving (so that say->ok
 * is measured for every say); LEAVING after its goodbye (ws: quit and its close frame; IRC: QUIT),
 * each of the last two bounded by BENCH_CLOSE_GRACE_S; DONE. The wire side is the worker's
 * user_proto_t.
 *
 * Delivery accounting. Every say carries "pb<run tag>;t=<send ns>;u=<user>;s=<seq>;". Every
 * receiver counts the message events of this run it gets and records now - t as the delivery
 * latency. The number of deliveries the server owes for one say is the population of the sender's
 * table at the moment the server fanned it out. The sender learns that moment exactly: the server
 * sends the sender's own copy of the message after every member event that preceded the fan-out, on
 * the same connection, so when the echo arrives the sender's table view (built from the enter/hop
 * replies and the member and lurkers events, applied in arrival order) is the table as it was then.
 * So the sender adds members + lurkers to `expected` when its echo arrives. A user that leaves
 * keeps reading until the server answers its close frame, so its own echoes and everything owed to
 * it arrive first. IRC servers echo nothing by default; proto_irc.c gets the same moment from a
 * PING sent with each PRIVMSG (see there).
 */
#include "user.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const wsc_handler_t handler;

static uint64_t secs_ns(double s)
{
    return (uint64_t)(s * 1e9);
}

/* An exponentially distributed gap with the given mean: the gaps of a Poisson process. */
static uint64_t exp_gap(user_t *u, double mean)
{
    double x = worker_rand01(&u->rng);
    return secs_ns(-log(1.0 - x) * mean);
}

void user_init(user_t *u, worker_t *w, uint32_t index)
{
    const bench_opts_t *o = w->o;
    memset(u, 0, sizeof(*u));
    u->w = w;
    u->index = index;
    u->rng = o->seed ^ ((uint64_t)index * 0x9E3779B97F4A7C15ull) ^ 0xD1B54A32D192ED03ull;
    (void)worker_rand01(&u->rng);
    u->room = o->rooms[index % (uint32_t)o->nrooms];
    u->target = &o->targets[index % (uint32_t)o->ntargets];
    if (o->source_addrs > 0)
        u->src = (uint8_t)(1 + index % (uint32_t)o->source_addrs);
    u->lurk = o->mode == MODE_CHAT && worker_rand01(&u->rng) < o->lurk_fraction;
    u->start_at = o->t0 + (uint64_t)(worker_rand01(&u->rng) * (double)(w->connects_to_ns - o->t0));
    u->leave_at =
        o->t0 + secs_ns(o->startup + o->duration) + secs_ns(worker_rand01(&u->rng) * o->shutdown);
    list_init(&u->talk_node);
    uv_timer_init(&w->loop, &u->timer);
    u->timer.data = u;
}

void user_deinit(user_t *u)
{
    uv_close((uv_handle_t *)&u->timer, NULL);
}

/* ---- timer: one per user, armed for the earliest thing it waits for ---- */

static void on_timer(uv_timer_t *t);

static void rearm(user_t *u)
{
    uint64_t next = 0;
    switch (u->state) {
    case U_WAITING: next = u->start_at; break;
    case U_SETUP:
    case U_DRAINING:
    case U_LEAVING: next = u->deadline; break;
    case U_UP:
        next = u->leave_at;
        if (u->next_msg && u->next_msg < next)
            next = u->next_msg;
        if (u->next_hop && u->next_hop < next)
            next = u->next_hop;
        break;
    default: uv_timer_stop(&u->timer); return;
    }
    uint64_t now = uv_hrtime();
    uint64_t ms = next > now ? (next - now + 999999) / 1000000 : 0;
    uv_timer_start(&u->timer, on_timer, ms, 0);
}

/* ---- sending ---- */

void user_nick(const user_t *u, char *out, size_t cap)
{
    snprintf(out, cap, "%s%d_%u", u->w->o->nick_prefix, u->w->proc, u->index);
}

int user_say_text(const user_t *u, char *out, size_t cap, uint64_t seq, uint64_t now)
{
    const bench_opts_t *o = u->w->o;
    int n = snprintf(out, cap, "pb%08x;t=%llu;u=%u;s=%llu;", o->run_tag, (unsigned long long)now,
                     u->index, (unsigned long long)seq);
    if (n < 0 || (size_t)n >= cap)
        abort();
    while (n < o->text_size && (size_t)n < cap - 1)
        out[n++] = 'x';
    out[n] = '\0';
    return n;
}

void user_say(user_t *u)
{
    if (u->state != U_UP || u->lurk)
        return;
    uint64_t now = uv_hrtime();
    uint64_t seq = ++u->cmd_seq;
    u->acks[seq % USER_ACK_RING].seq = seq;
    u->acks[seq % USER_ACK_RING].sent_ns = now;
    stats_t *st = &u->w->st;
    if (u->w->proto->say(u, seq, now) == 0) {
        u->unacked++;
        st->sent++;
        if (worker_phase(u->w, now) == PHASE_RUN)
            st->sent_run++;
    }
}

/* ---- the timer ---- */

static void connect_now(user_t *u)
{
    worker_t *w = u->w;
    struct sockaddr_in src;
    if (u->src) {
        memset(&src, 0, sizeof(src));
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7f000000u | u->src);
    }
    u->setup_start = uv_hrtime();
    if (!w->st.first_connect_ns || u->setup_start < w->st.first_connect_ns)
        w->st.first_connect_ns = u->setup_start;
    w->st.started++;
    u->state = U_SETUP;
    u->deadline = u->setup_start + secs_ns(BENCH_CONNECT_TIMEOUT_S);
    int r = wsc_connect(&w->loop, u->target, u->src ? &src : NULL, &handler, u, &u->c);
    if (r < 0) {
        u->c = NULL;
        w->st.errs[EK_CONNECT]++;
        w->st.failed++;
        u->state = U_DONE;
        worker_user_done(w);
    }
}

static void close_now(user_t *u)
{
    u->state = U_LEAVING;
    u->deadline = uv_hrtime() + secs_ns(BENCH_CLOSE_GRACE_S);
    u->w->proto->leave(u);
}

/* Stops talking; closes once every say is answered (or the grace is over). */
static void leave_now(user_t *u)
{
    list_remove(&u->talk_node);
    if (u->unacked == 0) {
        close_now(u);
        return;
    }
    u->state = U_DRAINING;
    u->deadline = uv_hrtime() + secs_ns(BENCH_CLOSE_GRACE_S);
}

static void say_answered(user_t *u)
{
    if (u->unacked)
        u->unacked--;
    if (u->unacked == 0 && u->state == U_DRAINING) {
        close_now(u);
        rearm(u);
    }
}

static void on_timer(uv_timer_t *t)
{
    user_t *u = t->data;
    uint64_t now = uv_hrtime();
    const bench_opts_t *o = u->w->o;
    switch (u->state) {
    case U_WAITING: connect_now(u); break;
    case U_SETUP:
        if (now >= u->deadline)
            wsc_abort(u->c, EK_TIMEOUT);
        break;
    case U_DRAINING:
        if (now >= u->deadline)
            close_now(u);
        break;
    case U_LEAVING:
        if (now >= u->deadline)
            wsc_abort(u->c, EK_CLOSE_TIMEOUT);
        break;
    case U_UP:
        if (now >= u->leave_at) {
            leave_now(u);
            break;
        }
        if (u->next_msg && now >= u->next_msg) {
            user_say(u);
            if (u->state == U_UP)
                u->next_msg = now + exp_gap(u, o->msg_interval);
        }
        if (u->state == U_UP && u->next_hop && now >= u->next_hop) {
            if (!u->hop_pending)
                u->w->proto->hop(u);
            if (u->state == U_UP)
                u->next_hop = now + exp_gap(u, o->hop_interval);
        }
        break;
    default: break;
    }
    rearm(u);
}

void user_start(user_t *u)
{
    rearm(u);
}

void user_cut(user_t *u)
{
    if (u->c)
        wsc_abort(u->c, EK_CUT);
    else if (u->state == U_WAITING) {
        u->w->st.failed++;
        u->w->st.errs[EK_CUT]++;
        u->state = U_DONE;
        worker_user_done(u->w);
    }
    uv_timer_stop(&u->timer);
}

/* ---- input ---- */

uint64_t user_num_after(const char *p, const char *end, const char *key, bool *ok)
{
    size_t kl = strlen(key);
    const char *k = memmem(p, (size_t)(end - p), key, kl);
    if (k == NULL) {
        *ok = false;
        return 0;
    }
    uint64_t v = 0;
    const char *d = k + kl;
    if (d >= end || *d < '0' || *d > '9')
        *ok = false;
    for (; d < end && *d >= '0' && *d <= '9'; d++)
        v = v * 10 + (uint64_t)(*d - '0');
    return v;
}

/* Digits at *p up to stop (advancing *p past stop); false if the layout differs. */
static bool num_then(const char **p, const char *end, char stop, uint64_t *v)
{
    const char *d = *p;
    *v = 0;
    if (d >= end || *d < '0' || *d > '9')
        return false;
    for (; d < end && *d >= '0' && *d <= '9'; d++)
        *v = *v * 10 + (uint64_t)(*d - '0');
    if (d >= end || *d != stop)
        return false;
    *p = d + 1;
    return true;
}

void user_delivered(user_t *u, const char *text, size_t len)
{
    worker_t *w = u->w;
    if (w->tag[0] == '\0')
        snprintf(w->tag, sizeof(w->tag), "pb%08x;", w->o->run_tag);
    if (len < 11 || memcmp(text, w->tag, 11) != 0)
        return; /* not from this run */
    bool ok = true;
    const char *end = text + len, *p = text + 11;
    uint64_t t, from;
    /* what user_say writes: "t=<ns>;u=<user>;" right after the tag; else search for the keys */
    if (!(end - p > 2 && p[0] == 't' && p[1] == '=' && (p += 2, num_then(&p, end, ';', &t)) &&
          end - p > 2 && p[0] == 'u' && p[1] == '=' && (p += 2, num_then(&p, end, ';', &from)))) {
        t = user_num_after(text, end, ";t=", &ok);
        from = user_num_after(text, end, ";u=", &ok);
    }
    if (!ok) {
        w->st.errs[EK_PROTOCOL]++;
        return;
    }
    uint64_t now = wsc_read_ns();
    w->st.received++;
    uint64_t us = now > t ? (now - t) / 1000 : 0;
    hist_record(&w->st.latency, us);
    if (worker_phase(w, now) == PHASE_RUN) {
        w->st.received_run++;
        hist_record(&w->st.latency_run, us);
    }
    if (from == u->index) {
        w->st.echoed++;
        w->st.expected += (uint64_t)(u->members + u->lurkers);
    }
}

void user_entered(user_t *u)
{
    worker_t *w = u->w;
    const bench_opts_t *o = w->o;
    uint64_t now = uv_hrtime();
    u->state = U_UP;
    u->entered = true;
    w->st.entered++;
    if (worker_phase(w, now) != PHASE_STARTUP)
        w->st.entered_late++;
    w->st.up++;
    if (now > w->st.last_entered_ns)
        w->st.last_entered_ns = now;
    hist_record(&w->st.connect, (now - u->setup_start) / 1000);
    if (o->mode == MODE_CONNECT) {
        leave_now(u);
        return;
    }
    if (o->mode == MODE_CHAT) {
        if (!u->lurk && o->rate > 0)
            list_push_back(&w->talkers, &u->talk_node);
        else if (!u->lurk)
            u->next_msg = now + exp_gap(u, o->msg_interval);
        if (o->hop_interval > 0)
            u->next_hop = now + exp_gap(u, o->hop_interval);
    }
    rearm(u);
}

void user_answered(user_t *u, uint64_t seq, bool ok)
{
    worker_t *w = u->w;
    if (ok) {
        w->st.acked++;
        if (u->acks[seq % USER_ACK_RING].seq == seq)
            hist_record(&w->st.ack, (uv_hrtime() - u->acks[seq % USER_ACK_RING].sent_ns) / 1000);
    }
    say_answered(u);
}

/* ---- the connection ---- */

static void on_text(wsc_t *c, const char *m, size_t n)
{
    user_t *u = wsc_data(c);
    u->w->proto->input(u, m, n);
}

static void on_open(wsc_t *c)
{
    user_t *u = wsc_data(c);
    u->w->proto->open(u);
}

static void on_end(wsc_t *c, int how, int close_code)
{
    user_t *u = wsc_data(c);
    worker_t *w = u->w;
    if (close_code)
        w->st.closes[stats_close_index(close_code)]++;
    if (how != WSC_END_CLEAN)
        w->st.errs[how]++;
    if (u->state == U_UP || u->state == U_DRAINING || u->state == U_LEAVING) {
        w->st.up--;
        if (how == WSC_END_CLEAN)
            w->st.left++;
    }
    if (u->entered && how != WSC_END_CLEAN)
        w->st.dropped++;
    if (!u->entered)
        w->st.failed++;
    list_remove(&u->talk_node);
    u->c = NULL;
    u->state = U_DONE;
    uv_timer_stop(&u->timer);
    worker_user_done(w);
}

static const wsc_handler_t handler = {on_open, on_text, on_end};
