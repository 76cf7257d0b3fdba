/* One worker process: its share of the users on one libuv loop, a progress report to the parent
 * every second, the --rate ticker, and a hard end so that every run finishes by itself. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "user.h"
#include "util/xmalloc.h"

#define TICK_MS 5

double worker_rand01(uint64_t *s)
{
    /* splitmix64: a good stream from any seed, cheap enough per event */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* Integer comparisons only: receivers ask for every delivery. */
phase_t worker_phase(const worker_t *w, uint64_t now)
{
    if (w->finishing)
        return PHASE_DONE;
    if (now < w->run_from_ns)
        return PHASE_STARTUP;
    if (now < w->run_to_ns)
        return PHASE_RUN;
    if (now < w->shutdown_to_ns)
        return PHASE_SHUTDOWN;
    return PHASE_GRACE;
}

/* Writes one whole report; the parent reads fixed-size records. */
static void report(worker_t *w, bool final)
{
    w->st.phase = worker_phase(w, uv_hrtime());
    w->st.final = final;
    const char *p = (const char *)&w->st;
    size_t left = sizeof(w->st);
    while (left) {
        ssize_t n = write(w->out_fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the parent is gone; nothing to report to */
        p += n;
        left -= (size_t)n;
    }
}

static void on_progress(uv_timer_t *t)
{
    report(t->data, false);
}

/* --rate: the worker's share of the total rate, spread round-robin over the users that are up. */
static void on_tick(uv_timer_t *t)
{
    worker_t *w = t->data;
    const bench_opts_t *o = w->o;
    uint64_t now = uv_hrtime();
    phase_t ph = worker_phase(w, now);
    if (ph >= PHASE_SHUTDOWN) {
        uv_timer_stop(t);
        return;
    }
    if (o->quiet_startup && now < w->connects_to_ns) {
        w->ticker_last_ns = now;
        return;
    }
    double share = o->rate / o->procs;
    w->credit += share * (double)(now - w->ticker_last_ns) / 1e9;
    w->ticker_last_ns = now;
    if (w->credit > share * 0.1 + 1)
        w->credit = share * 0.1 + 1; /* no bursts after a stall */
    while (w->credit >= 1 && !list_empty(&w->talkers)) {
        list_t *n = w->talkers.next;
        list_remove(n);
        list_push_back(&w->talkers, n);
        user_say(list_entry(n, user_t, talk_node));
        w->credit -= 1;
    }
    if (list_empty(&w->talkers))
        w->credit = 0;
}

static void finish(worker_t *w)
{
    if (w->finishing)
        return;
    w->finishing = true;
    uv_close((uv_handle_t *)&w->progress, NULL);
    uv_close((uv_handle_t *)&w->ticker, NULL);
    uv_close((uv_handle_t *)&w->hard_end, NULL);
    for (size_t i = 0; i < w->nusers; i++)
        user_deinit(&w->users[i]);
}

void worker_user_done(worker_t *w)
{
    if (w->active > 0 && --w->active == 0)
        finish(w);
}

static void on_hard_end(uv_timer_t *t)
{
    worker_t *w = t->data;
    for (size_t i = 0; i < w->nusers && !w->finishing; i++)
        user_cut(&w->users[i]);
    finish(w); /* also when no user was left to cut */
}

int worker_run(const bench_opts_t *o, int proc, int out_fd)
{
    worker_t *w = xcalloc(1, sizeof(*w));
    w->o = o;
    w->proto = o->proto == PROTO_IRC ? &proto_irc : &proto_ws;
    w->proc = proc;
    w->out_fd = out_fd;
    w->connects_to_ns = o->t0 + (uint64_t)((o->startup - o->settle) * 1e9);
    w->run_from_ns = o->t0 + (uint64_t)(o->startup * 1e9);
    w->run_to_ns = o->t0 + (uint64_t)((o->startup + o->duration) * 1e9);
    w->shutdown_to_ns = o->t0 + (uint64_t)((o->startup + o->duration + o->shutdown) * 1e9);
    stats_init(&w->st);
    list_init(&w->talkers);
    if (uv_loop_init(&w->loop) != 0) {
        free(w);
        return 1;
    }
    for (uint32_t i = (uint32_t)proc; i < (uint32_t)o->users; i += (uint32_t)o->procs)
        w->nusers++;
    w->users = xcalloc(w->nusers ? w->nusers : 1, sizeof(user_t));
    w->st.users = w->nusers;
    w->active = w->nusers;
    size_t k = 0;
    for (uint32_t i = (uint32_t)proc; i < (uint32_t)o->users; i += (uint32_t)o->procs)
        user_init(&w->users[k++], w, i);

    uv_timer_init(&w->loop, &w->progress);
    uv_timer_init(&w->loop, &w->ticker);
    uv_timer_init(&w->loop, &w->hard_end);
    w->progress.data = w->ticker.data = w->hard_end.data = w;
    uv_timer_start(&w->progress, on_progress, 1000, 1000);
    uint64_t now = uv_hrtime();
    if (o->mode == MODE_CHAT && o->rate > 0) {
        w->ticker_last_ns = now;
        uv_timer_start(&w->ticker, on_tick, TICK_MS, TICK_MS);
    }
    double total = o->startup + o->duration + o->shutdown + 2 * BENCH_CLOSE_GRACE_S + 1.0;
    uint64_t end = o->t0 + (uint64_t)(total * 1e9);
    uv_timer_start(&w->hard_end, on_hard_end, end > now ? (end - now) / 1000000 : 0, 0);
    for (size_t i = 0; i < w->nusers; i++)
        user_start(&w->users[i]);
    if (w->nusers == 0)
        finish(w);

    uv_run(&w->loop, UV_RUN_DEFAULT);
    report(w, true);
    int rc = uv_loop_close(&w->loop) == 0 ? 0 : 1;
    wsc_global_cleanup();
    free(w->users);
    free(w);
    return rc;
}
