/* parley-bench results: counters and log-bucketed latency histograms. A stats_t is plain data of a
 * fixed size with no pointers, so a worker can send it to the parent through a pipe as raw bytes
 * and the parent can add them up with stats_merge(). */
#ifndef PARLEY_BENCH_STATS_H
#define PARLEY_BENCH_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

/* HDR-style histogram of microsecond values: exact below 32, then 32 sub-buckets per power of two
 * (about 3 % resolution) up to 2^40 us. Histograms merge by adding buckets. */
#define HIST_SUB_BITS 5
#define HIST_SUB      (1 << HIST_SUB_BITS)
#define HIST_MAX_EXP  40
#define HIST_BUCKETS  ((HIST_MAX_EXP - HIST_SUB_BITS + 2) * HIST_SUB)

typedef struct hist {
    uint64_t count;
    uint64_t sum; /* microseconds */
    uint64_t min;
    uint64_t max;
    uint64_t b[HIST_BUCKETS];
} hist_t;

void hist_record(hist_t *h, uint64_t us);
void hist_merge(hist_t *dst, const hist_t *src);
/* The value (us) below which fraction q (0..1) of the samples lie; 0 when empty. */
uint64_t hist_quantile(const hist_t *h, double q);

/* Failures and odd events, by kind. */
typedef enum {
    EK_CONNECT,       /* TCP connect failed */
    EK_HANDSHAKE,     /* HTTP upgrade refused or malformed (not 101, bad accept key) */
    EK_HTTP_503,      /* the server was at max_connections */
    EK_TIMEOUT,       /* connect/upgrade/hello/enter did not finish in time */
    EK_HELLO,         /* hello refused */
    EK_ENTER,         /* enter refused */
    EK_PROTOCOL,      /* a bad frame or unparsable JSON from the server */
    EK_DROPPED,       /* the connection ended before the user left (EOF, reset, server close) */
    EK_CLOSE_TIMEOUT, /* the server did not answer our close frame in time */
    EK_WRITE,         /* a socket write failed */
    EK_CUT,           /* still connected when the run's hard end came */
    EK__COUNT
} err_kind_t;

const char *stats_err_name(err_kind_t k);

/* Error codes of docs/PROTOCOL.md, in its order; the last slot counts unknown codes. */
#define STATS_NCODES 21
int stats_code_index(const char *code, size_t len);
const char *stats_code_name(int i);

/* Close codes of docs/PROTOCOL.md; the last slot counts others. */
#define STATS_NCLOSES 9
int stats_close_index(int code);
int stats_close_code(int i);

typedef enum { PHASE_STARTUP = 0, PHASE_RUN, PHASE_SHUTDOWN, PHASE_GRACE, PHASE_DONE } phase_t;
const char *stats_phase_name(phase_t p);

typedef struct stats {
    uint32_t phase;
    uint32_t final;            /* 1 on a worker's last report */
    uint64_t users;            /* users this worker (or all) emulate */
    uint64_t started;          /* users that began connecting */
    uint64_t up;               /* users entered and still connected, now */
    uint64_t entered;          /* users that ever completed connect+hello+enter */
    uint64_t entered_late;     /* of those, users that entered after the run phase began */
    uint64_t failed;           /* users that never completed it */
    uint64_t left;             /* users that left cleanly (our close answered) */
    uint64_t dropped;          /* entered users whose connection ended otherwise */
    uint64_t sent;             /* say commands sent */
    uint64_t acked;            /* ok replies to say */
    uint64_t received;         /* message events of this run received */
    uint64_t expected;         /* deliveries the server owed for the says we saw echoed */
    uint64_t echoed;           /* own says echoed back to their sender */
    uint64_t sent_run;         /* says sent during the run phase */
    uint64_t received_run;     /* deliveries during the run phase */
    uint64_t hops;             /* successful hops */
    uint64_t hop_none;         /* hop wanted but no other table had room */
    uint64_t first_connect_ns; /* earliest connect start (uv_hrtime), 0 = none */
    uint64_t last_entered_ns;  /* latest enter ok */
    uint64_t errs[EK__COUNT];
    uint64_t codes[STATS_NCODES + 1];
    uint64_t closes[STATS_NCLOSES + 1];
    hist_t latency;     /* delivery: receive time - embedded send time */
    hist_t latency_run; /* the same, of the deliveries received in the run phase */
    hist_t ack;         /* say -> ok (durability) */
    hist_t connect;     /* connect start -> enter ok */
} stats_t;

void stats_init(stats_t *s);
void stats_merge(stats_t *dst, const stats_t *src);

/* Totals of a finished run as printed and as used for the exit status. */
typedef struct stats_summary {
    double elapsed_s;
    double run_s;      /* time spent in the run phase (rates are per run-phase second) */
    double lost_pct;   /* lost deliveries, percent of expected */
    double failed_pct; /* failed and dropped users, percent of users */
    bool over_threshold;
} stats_summary_t;

void stats_summarise(const stats_t *s, const bench_opts_t *o, double elapsed_s,
                     stats_summary_t *sum);
void stats_print_human(FILE *f, const stats_t *s, const bench_opts_t *o,
                       const stats_summary_t *sum);
void stats_print_json(FILE *f, const stats_t *s, const bench_opts_t *o, const stats_summary_t *sum);
/* One progress line (no newline handling: the caller decides how to overwrite). */
void stats_print_progress(FILE *f, const stats_t *now, const stats_t *prev, double dt_s);

#endif
