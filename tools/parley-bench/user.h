/* parley-bench worker internals: one worker process drives its share of the emulated users on one
 * libuv loop. worker.c owns the loop, the users array and the run's clock; user.c is one user's
 * life (connect, set up, talk, hop, leave) and its delivery accounting, independent of the wire
 * protocol; a user_proto_t (proto_ws.c: Parley's JSON over WebSocket, proto_irc.c: IRC) turns that
 * life into wire messages and feeds what comes back through the user_* calls below. Loop-thread
 * only. */
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
typedef struct user_proto user_proto_t;

typedef struct worker {
    uv_loop_t loop;
    const bench_opts_t *o;
    const user_proto_t *proto; /* &proto_ws or &proto_irc, from o->proto */
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
    int out_fd;   /* reports to the parent */
    char tag[16]; /* "pb<run tag>;", made on first use */
    /* The phases' ends in uv_hrtime() ns: users connect until connects_to (the startup less
     * --settle), the run phase is [run_from, run_to), the shutdown ends at shutdown_to. */
    uint64_t connects_to_ns, run_from_ns, run_to_ns, shutdown_to_ns;
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
    bool registered; /* IRC: 001 seen */
    uint64_t rng;
    const char *room;
    const bench_target_t *target;
    uint8_t src;                                               /* 0: no bind; else 127.0.0.src */
    uint64_t start_at, leave_at, next_msg, next_hop, deadline; /* uv_hrtime() ns; 0 = none */
    uint64_t setup_start;
    uint64_t cmd_seq;
    uint32_t unacked; /* says without an ok or error yet */
    /* this user's view of its table, kept in server order (see user.c); IRC: of its channel */
    int64_t table;
    int64_t members; /* ws: people at the table; IRC: channel members, this user included */
    int64_t lurkers; /* ws: lurkers at the table; IRC: names counted so far from 353 replies */
    struct {
        uint64_t seq, sent_ns;
    } acks[USER_ACK_RING];
};

/* One protocol's side of a user. Every hook may end the connection (wsc_abort). */
struct user_proto {
    void (*open)(user_t *u);                           /* connected (ws: upgraded): set up */
    void (*input)(user_t *u, const char *m, size_t n); /* one message (ws) or line (IRC) */
    int (*say)(user_t *u, uint64_t seq, uint64_t now); /* sends say seq; 0 or a negative error */
    void (*hop)(user_t *u);                            /* starts a hop; NULL: not supported */
    void (*leave)(user_t *u);                          /* says goodbye and calls wsc_close() */
};

extern const user_proto_t proto_ws;
extern const user_proto_t proto_irc;

/* ---- for the protocols (user.c) ---- */
/* Writes u's nickname (--nick-prefix, worker, user number). */
void user_nick(const user_t *u, char *out, size_t cap);
/* Writes the text of say seq sent at now: the run tag, t=, u=, s=, padded to --text-size. Returns
 * its length (< cap). */
int user_say_text(const user_t *u, char *out, size_t cap, uint64_t seq, uint64_t now);
/* Setup is complete: the table view is filled in; the user starts talking (or leaves). */
void user_entered(user_t *u);
/* A message with this text reached u: counted if it is of this run (own echoes too, see user.c). */
void user_delivered(user_t *u, const char *text, size_t len);
/* The server answered say seq (ok = it took it). */
void user_answered(user_t *u, uint64_t seq, bool ok);
/* The decimal number right after the first `key` in [p, end); *ok = false if there is none. */
uint64_t user_num_after(const char *p, const char *end, const char *key, bool *ok);

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
