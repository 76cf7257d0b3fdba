/* parley-bench worker internals: one worker process drives its share of the emulated users on one
 * libuv loop. worker.c owns the loop, the users array and the run's clock; user.c is one user's
 * state machine (connect, hello, enter, talk, hop, leave). Loop-thread only. */
#ifndef PARLEY_BENCH_USER_H
#define PARLEY_BENCH_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bench.h"
#include "stats.h"
#include "util/list.h"
#include "wsclient.h"

typedef struct user user_t;

typedef struct worker {
    uv_loop_t loop;
    const bench_opts_t *o;
    int proc;
    stats_t st;
    user_t *users; /* nusers, owned */
    size_t nusers;
    size_t active;  /* users not yet finished */
    list_t talkers; /* users that are up and may say (for --rate) */
    uv_timer_t progress, ticker, hard_end;
    uint64_t ticker_last_ns;
    double credit; /* says owed by the --rate ticker */
    bool finishing;
    int out_fd; /* reports to the parent */
} worker_t;

#define USER_ACK_RING 8

enum { U_WAITING, U_SETUP, U_UP, U_DRAINING, U_LEAVING, U_DONE };

struct user {
    worker_t *w;
    wsc_t *c; /* NULL unless connected */
    uv_timer_t timer;
    list_t talk_node; /* in w->talkers while up and not a lurker */
    uint32_t index;   /* global user number */
    uint8_t state;
    bool lurk;
    bool hop_pending;
    bool entered;
    uint64_t rng;
    const char *room;
    const bench_target_t *target;
    uint8_t src;                                               /* 0: no bind; else 127.0.0.src */
    uint64_t start_at, leave_at, next_msg, next_hop, deadline; /* uv_hrtime() ns; 0 = none */
    uint64_t setup_start;
    uint64_t cmd_seq;
    uint32_t unacked; /* says without an ok or error yet */
    /* this user's view of its table, kept in server order (see user.c) */
    int64_t table;
    int64_t members;
    int64_t lurkers;
    struct {
        uint64_t seq, sent_ns;
    } acks[USER_ACK_RING];
};

/* Prepares user u (global number index) of worker w; nothing is started. */
void user_init(user_t *u, worker_t *w, uint32_t index);
/* Arms the start timer. */
void user_start(user_t *u);
/* Sends one say now (used by the --rate ticker). */
void user_say(user_t *u);
/* Ends the user at once if it is still running (the hard end of the run). */
void user_cut(user_t *u);
/* Closes the user's timer handle; call once at the end, then run the loop until it is closed. */
void user_deinit(user_t *u);

/* worker.c */
double worker_rand01(uint64_t *state);
phase_t worker_phase(const worker_t *w, uint64_t now);
/* A user finished (done or failed); the worker ends when none is left. */
void worker_user_done(worker_t *w);
int worker_run(const bench_opts_t *o, int proc, int out_fd);

#endif
