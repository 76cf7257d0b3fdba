/* parley-bench: settings shared by every module of the load tester. The parent process fills one
 * bench_opts_t from the command line (main.c) before forking; each worker process gets its own copy
 * through fork() and never changes it. Strings point into argv or into storage owned by main.c. */
#ifndef PARLEY_BENCH_BENCH_H
#define PARLEY_BENCH_BENCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define BENCH_MAX_TARGETS       16
#define BENCH_MAX_ROOMS         256
#define BENCH_MAX_PROCS         64
#define BENCH_MAX_SOURCE_ADDRS  250
#define BENCH_CLOSE_GRACE_S     3.0 /* how long a leaving user waits for the server's close frame */
#define BENCH_CONNECT_TIMEOUT_S 15.0 /* TCP connect + upgrade + hello + enter (IRC: to 366) */
#define BENCH_IRC_TEXT_MAX      400  /* a say must fit one 512-byte IRC line */
#define BENCH_END_GRACE_S       6.0  /* after startup+duration+shutdown, before everything is cut */

typedef enum { MODE_CHAT = 0, MODE_IDLE, MODE_CONNECT } bench_mode_t;
/* What the users speak: Parley's JSON protocol over WebSocket, or IRC over plain TCP. */
typedef enum { PROTO_WS = 0, PROTO_IRC } bench_proto_t;

/* One --server URL (ws://HOST:PORT/PATH or irc://HOST:PORT), resolved once at start. */
typedef struct bench_target {
    char url[256];
    bool irc;              /* irc://: line mode, no upgrade */
    char host_header[128]; /* "HOST:PORT" for the Host header */
    char path[128];
    struct sockaddr_storage addr;
    bool loopback;
    bool ipv4;
} bench_target_t;

typedef struct bench_opts {
    int users;
    double startup, duration, shutdown; /* seconds */
    double settle;                      /* the startup's last seconds, without new connects */
    double msg_interval;                /* mean seconds between says per user */
    double hop_interval;                /* mean seconds between hops; 0 = never */
    double rate;                        /* total says/s over all procs; 0 = Poisson per user */
    bool quiet_startup;                 /* --rate says begin when users stop connecting */
    int procs;
    int source_addrs; /* 0 = let the kernel pick */
    const char *nick_prefix;
    uint64_t seed;
    bool json;
    double max_failures; /* percent */
    double lurk_fraction;
    int text_size;
    bench_mode_t mode;
    bench_proto_t proto;
    bool allow_remote;
    const char *rooms[BENCH_MAX_ROOMS];
    int nrooms;
    bench_target_t targets[BENCH_MAX_TARGETS];
    int ntargets;
    /* filled by main.c for the workers */
    uint64_t t0;      /* uv_hrtime() when the run started (CLOCK_MONOTONIC, shared by processes) */
    uint32_t run_tag; /* marks this run's messages, so foreign traffic is not counted */
} bench_opts_t;

#endif
