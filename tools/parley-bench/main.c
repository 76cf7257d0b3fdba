/* parley-bench: the shipped load tester for parleyd. This file reads the options, forks the worker
 * processes (worker.c), shows progress, adds up their reports and prints the result. See
 * docs/BENCHMARKS.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user.h"
#include "util/xmalloc.h"

#define EXIT_OK       0
#define EXIT_FAILURES 1
#define EXIT_USAGE    2

static const char usage_text[] =
    "Usage: parley-bench [options]\n"
    "Emulates chat users against parleyd over its WebSocket protocol (or any IRC server with\n"
    "--protocol irc) and reports throughput, delivery latency and losses. Every run ends by "
    "itself\n"
    "after startup+duration+shutdown plus a few seconds of grace.\n"
    "\n"
    "Load:\n"
    "  -u, --users N            emulated users (default 100)\n"
    "      --startup SECONDS    each user connects at a random moment within this (default 2)\n"
    "      --settle SECONDS     ... but not in the startup's last SECONDS, so that slow\n"
    "                           registrations finish before the run phase (default 0)\n"
    "  -d, --duration SECONDS   run time after startup; rates are measured here (default 10)\n"
    "      --shutdown SECONDS   each user leaves at a random moment within this (default 1)\n"
    "      --msg-interval SECS  mean seconds between says per user, Poisson (default 5)\n"
    "      --rate MSGS_PER_SEC  fixed total say rate, spread round-robin over connected users;\n"
    "                           overrides --msg-interval; says stop when the shutdown starts\n"
    "      --quiet-startup      with --rate: no says while users connect; they begin with the\n"
    "                           --settle seconds (a warm-up at the full rate), so that the run\n"
    "                           phase is steady, with every table full (users.late in the\n"
    "                           report counts users that entered after the run phase began)\n"
    "      --hop-interval SECS  mean seconds between table hops per user; 0 = never (default 0)\n"
    "      --lurk-fraction F    fraction of users that enter read-only (0..1, default 0)\n"
    "      --text-size BYTES    say text size, timestamp header included (default 100, max 4000;\n"
    "                           400 with --protocol irc)\n"
    "  -r, --rooms LIST         comma-separated room names; users spread round-robin (default "
    "lobby)\n"
    "      --idle               connect, hello, enter, then hold the connection until the run "
    "ends;\n"
    "                           prints a line on stderr once every user is up (memory "
    "measurements)\n"
    "      --connect-only       connect, hello, enter, then close at once; reports connects/s\n"
    "\n"
    "Targets and processes:\n"
    "      --protocol ws|irc    ws (default): Parley's JSON protocol over WebSocket; irc: IRC "
    "over\n"
    "                           plain TCP, or over WebSocket with a ws:// server (register,\n"
    "                           JOIN #ROOM, PRIVMSG; no --hop-interval)\n"
    "  -s, --server URL         ws://HOST:PORT/PATH, or irc://HOST:PORT or ws://HOST:PORT/PATH "
    "(path\n"
    "                           default /irc) with --protocol irc; repeat\n"
    "                           for several servers, users spread round-robin (default\n"
    "                           ws://127.0.0.1:8080/ws, irc://127.0.0.1:6667)\n"
    "      --allow-remote       allow servers that are not loopback addresses (off by default: "
    "this\n"
    "                           tool generates heavy load; point it only at machines you run)\n"
    "  -p, --procs N            worker processes; users are split among them (default 1). One "
    "process\n"
    "                           holds at most its open-file limit minus 64 connections\n"
    "      --source-addrs N     bind connections to 127.0.0.1 .. 127.0.0.N round-robin, so that\n"
    "                           ephemeral ports last for many connections (loopback IPv4 targets "
    "only)\n"
    "      --nick-prefix P      nicknames are P<proc>_<user> (default b)\n"
    "      --seed N             random seed: same seed, same schedule (default: random)\n"
    "\n"
    "Output:\n"
    "      --json               print one JSON object with every number on stdout\n"
    "      --max-failures PCT   exit 1 when failed users or lost deliveries exceed PCT percent\n"
    "                           (default 1)\n"
    "  -h, --help               show this help and exit\n"
    "\n"
    "Progress is shown on stderr once a second when stderr is a terminal.\n"
    "Exit status: 0 ok, 1 failures over the threshold (or a worker crashed), 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "parley-bench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'parley-bench --help'.\n");
    return EXIT_USAGE;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
        return a->sin6_addr.s6_addr[12] == 127;
    return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
}

/* Parses ws://HOST:PORT/PATH (irc://HOST:PORT, or ws://HOST:PORT/PATH for IRC over WebSocket,
 * with --protocol irc) and resolves HOST (only numeric addresses and localhost unless remote
 * targets are allowed). Returns 0 or EXIT_USAGE after printing why. */
static int add_target(bench_opts_t *o, const char *url, bool allow_remote)
{
    bool irc = o->proto == PROTO_IRC;
    bool lines = irc && strncmp(url, "irc://", 6) == 0; /* IRC over TCP; else over WebSocket */
    const char *scheme = lines ? "irc://" : "ws://";
    if (o->ntargets == BENCH_MAX_TARGETS)
        return usage_error("too many --server options (at most 16)%s", "");
    if (strncmp(url, scheme, strlen(scheme)) != 0)
        return usage_error(irc ? "--server %s: --protocol irc takes irc://HOST:PORT or "
                                 "ws://HOST:PORT/PATH URLs"
                               : "--server %s: only ws:// URLs are supported (irc:// needs "
                                 "--protocol irc)",
                           url);
    bench_target_t *t = &o->targets[o->ntargets];
    memset(t, 0, sizeof(*t));
    t->irc = lines;
    snprintf(t->url, sizeof(t->url), "%s", url);
    const char *h = url + strlen(scheme), *slash = strchr(h, '/');
    if (lines && slash && slash[1])
        return usage_error("--server %s: an irc:// URL has no path", url);
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    snprintf(t->path, sizeof(t->path), "%s", slash ? slash : irc ? "/irc" : "/ws");
    if (hl == 0 || hl >= sizeof(t->host_header))
        return usage_error("--server %s: bad host", url);
    memcpy(t->host_header, h, hl);
    char host[128], port[16];
    snprintf(port, sizeof(port), "%s", lines ? "6667" : "80");
    if (h[0] == '[') {
        const char *rb = memchr(h, ']', hl);
        if (!rb)
            return usage_error("--server %s: bad IPv6 address", url);
        snprintf(host, sizeof(host), "%.*s", (int)(rb - h - 1), h + 1);
        if (rb + 1 < h + hl && rb[1] == ':')
            snprintf(port, sizeof(port), "%.*s", (int)(h + hl - rb - 2), rb + 2);
    } else {
        const char *colon = memchr(h, ':', hl);
        snprintf(host, sizeof(host), "%.*s", (int)(colon ? colon - h : (long)hl), h);
        if (colon)
            snprintf(port, sizeof(port), "%.*s", (int)(h + hl - colon - 1), colon + 1);
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    bool name_ok = allow_remote || strcmp(host, "localhost") == 0;
    hints.ai_flags = name_ok ? 0 : AI_NUMERICHOST;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return usage_error(name_ok ? "--server %s: cannot resolve the host"
                                   : "--server %s: give a numeric loopback address "
                                     "(or --allow-remote)",
                           url);
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    t->loopback = is_loopback(&t->addr);
    t->ipv4 = t->addr.ss_family == AF_INET;
    if (!t->loopback && !allow_remote)
        return usage_error("--server %s is not a loopback address; parley-bench refuses remote "
                           "targets unless --allow-remote is given",
                           url);
    o->ntargets++;
    return 0;
}

static int split_rooms(bench_opts_t *o, char *list)
{
    o->nrooms = 0;
    for (char *save = NULL, *r = strtok_r(list, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
        size_t n = strlen(r);
        if (n == 0 || n > 32 || strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-_") != n)
            return usage_error("--rooms: bad room name '%s'", r);
        if (o->nrooms == BENCH_MAX_ROOMS)
            return usage_error("--rooms: at most 256 rooms%s", "");
        o->rooms[o->nrooms++] = r;
    }
    return o->nrooms ? 0 : usage_error("--rooms: no room given%s", "");
}

enum {
    O_STARTUP = 256,
    O_SHUTDOWN,
    O_MSG,
    O_HOP,
    O_RATE,
    O_SRC,
    O_PREFIX,
    O_SEED,
    O_JSON,
    O_MAXF,
    O_LURK,
    O_TEXT,
    O_IDLE,
    O_CONNECT,
    O_REMOTE,
    O_PROTO,
    O_QUIET,
    O_SETTLE,
};

static const struct option longopts[] = {
    {"users", required_argument, NULL, 'u'},
    {"startup", required_argument, NULL, O_STARTUP},
    {"duration", required_argument, NULL, 'd'},
    {"shutdown", required_argument, NULL, O_SHUTDOWN},
    {"msg-interval", required_argument, NULL, O_MSG},
    {"hop-interval", required_argument, NULL, O_HOP},
    {"rooms", required_argument, NULL, 'r'},
    {"server", required_argument, NULL, 's'},
    {"rate", required_argument, NULL, O_RATE},
    {"procs", required_argument, NULL, 'p'},
    {"source-addrs", required_argument, NULL, O_SRC},
    {"nick-prefix", required_argument, NULL, O_PREFIX},
    {"seed", required_argument, NULL, O_SEED},
    {"json", no_argument, NULL, O_JSON},
    {"max-failures", required_argument, NULL, O_MAXF},
    {"lurk-fraction", required_argument, NULL, O_LURK},
    {"text-size", required_argument, NULL, O_TEXT},
    {"idle", no_argument, NULL, O_IDLE},
    {"connect-only", no_argument, NULL, O_CONNECT},
    {"allow-remote", no_argument, NULL, O_REMOTE},
    {"protocol", required_argument, NULL, O_PROTO},
    {"quiet-startup", no_argument, NULL, O_QUIET},
    {"settle", required_argument, NULL, O_SETTLE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_args(bench_opts_t *o, int argc, char **argv)
{
    const char *servers[BENCH_MAX_TARGETS + 1];
    int nservers = 0;
    bool seeded = false;
    char *rooms = NULL;
    *o = (bench_opts_t){.users = 100,
                        .startup = 2,
                        .duration = 10,
                        .shutdown = 1,
                        .msg_interval = 5,
                        .procs = 1,
                        .nick_prefix = "b",
                        .max_failures = 1,
                        .text_size = 100};
    int c, rc = 0;
    while ((c = getopt_long(argc, argv, "u:d:r:s:p:h", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'u': ok = parse_int(optarg, 1, 1000000, &o->users); break;
        case O_STARTUP: ok = parse_double(optarg, 0, 3600, &o->startup); break;
        case 'd': ok = parse_double(optarg, 0, 86400, &o->duration); break;
        case O_SHUTDOWN: ok = parse_double(optarg, 0, 3600, &o->shutdown); break;
        case O_MSG: ok = parse_double(optarg, 0.001, 86400, &o->msg_interval); break;
        case O_HOP: ok = parse_double(optarg, 0, 86400, &o->hop_interval); break;
        case O_RATE: ok = parse_double(optarg, 0, 1e7, &o->rate); break;
        case 'p': ok = parse_int(optarg, 1, BENCH_MAX_PROCS, &o->procs); break;
        case O_SRC: ok = parse_int(optarg, 1, BENCH_MAX_SOURCE_ADDRS, &o->source_addrs); break;
        case O_MAXF: ok = parse_double(optarg, 0, 100, &o->max_failures); break;
        case O_LURK: ok = parse_double(optarg, 0, 1, &o->lurk_fraction); break;
        case O_TEXT: ok = parse_int(optarg, 1, 4000, &o->text_size); break;
        case O_JSON: o->json = true; break;
        case O_IDLE: o->mode = MODE_IDLE; break;
        case O_CONNECT: o->mode = MODE_CONNECT; break;
        case O_REMOTE: o->allow_remote = true; break;
        case O_QUIET: o->quiet_startup = true; break;
        case O_SETTLE: ok = parse_double(optarg, 0, 3600, &o->settle); break;
        case O_PROTO:
            ok = strcmp(optarg, "ws") == 0 || strcmp(optarg, "irc") == 0;
            o->proto = optarg[0] == 'i' ? PROTO_IRC : PROTO_WS;
            break;
        case 'r': rooms = optarg; break;
        case O_PREFIX:
            o->nick_prefix = optarg;
            ok = optarg[0] && strlen(optarg) <= 12 &&
                 ((optarg[0] | 32) >= 'a' && (optarg[0] | 32) <= 'z') &&
                 strspn(optarg,
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                     strlen(optarg);
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            o->seed = strtoull(optarg, &end, 0);
            ok = !errno && end != optarg && !*end;
            seeded = true;
            break;
        }
        case 's':
            if (nservers == BENCH_MAX_TARGETS)
                return usage_error("too many --server options (at most 16)%s", "");
            servers[nservers++] = optarg;
            break;
        case 'h': fputs(usage_text, stdout); exit(EXIT_OK);
        default: fprintf(stderr, "Try 'parley-bench --help'.\n"); return EXIT_USAGE;
        }
        if (!ok)
            return usage_error("bad value '%s' for an option", optarg);
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    static char default_rooms[] = "lobby";
    if ((rc = split_rooms(o, rooms ? rooms : default_rooms)) != 0)
        return rc;
    if (o->settle > o->startup)
        return usage_error("--settle: at most the --startup time%s", "");
    if (o->proto == PROTO_IRC && o->hop_interval > 0)
        return usage_error("--hop-interval is not supported with --protocol irc%s", "");
    if (o->proto == PROTO_IRC && o->text_size > BENCH_IRC_TEXT_MAX)
        return usage_error("--text-size: at most 400 with --protocol irc (one IRC line)%s", "");
    if (nservers == 0)
        servers[nservers++] =
            o->proto == PROTO_IRC ? "irc://127.0.0.1:6667" : "ws://127.0.0.1:8080/ws";
    for (int i = 0; i < nservers; i++)
        if ((rc = add_target(o, servers[i], o->allow_remote)) != 0)
            return rc;
    for (int i = 0; o->source_addrs && i < o->ntargets; i++)
        if (!o->targets[i].loopback || !o->targets[i].ipv4)
            return usage_error("--source-addrs needs IPv4 loopback servers (%s)",
                               o->targets[i].url);
    if (o->procs > o->users)
        o->procs = o->users;
    if (!seeded && RAND_bytes((unsigned char *)&o->seed, sizeof(o->seed)) != 1)
        o->seed = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ uv_hrtime();
    return 0;
}

/* Raises the soft open-file limit to the hard one and checks that a worker's share fits. */
static int check_fd_limit(const bench_opts_t *o)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    long per_proc = (o->users + o->procs - 1) / o->procs;
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)per_proc + 64 > rl.rlim_cur) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "%ld users per process do not fit the open-file limit %llu; "
                 "use more --procs",
                 per_proc, (unsigned long long)rl.rlim_cur);
        return usage_error("%s", msg);
    }
    return 0;
}

typedef struct child {
    pid_t pid;
    int fd;
    size_t got; /* bytes of the record being read */
    bool final;
    stats_t in;     /* the record being read */
    stats_t latest; /* the last whole record */
} child_t;

static void sum_latest(const child_t *ch, int n, stats_t *out)
{
    stats_init(out);
    for (int i = 0; i < n; i++)
        stats_merge(out, &ch[i].latest);
}

/* Reads reports until every worker sent its final one, closed its pipe, or the deadline passed. */
static void collect(const bench_opts_t *o, child_t *ch, stats_t *total)
{
    bool tty = isatty(STDERR_FILENO) && !getenv("PARLEY_BENCH_QUIET");
    double limit =
        o->startup + o->duration + o->shutdown + 2 * BENCH_CLOSE_GRACE_S + 1.0 + BENCH_END_GRACE_S;
    uint64_t deadline = o->t0 + (uint64_t)(limit * 1e9);
    stats_t shown, now;
    stats_init(&shown);
    uint64_t shown_at = o->t0, last_print = 0;
    bool all_up_said = false;
    int open = o->procs;
    struct pollfd pf[BENCH_MAX_PROCS];
    while (open > 0) {
        uint64_t t = uv_hrtime();
        if (t >= deadline) {
            fprintf(stderr, "parley-bench: workers did not finish in time; killing them\n");
            for (int i = 0; i < o->procs; i++)
                if (ch[i].fd >= 0)
                    kill(ch[i].pid, SIGKILL);
            break;
        }
        int n = 0;
        for (int i = 0; i < o->procs; i++)
            if (ch[i].fd >= 0)
                pf[n++] = (struct pollfd){.fd = ch[i].fd, .events = POLLIN};
        int wait_ms = (int)((deadline - t) / 1000000) + 1;
        if (wait_ms > 250)
            wait_ms = 250;
        if (poll(pf, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < o->procs; i++) {
            child_t *c = &ch[i];
            if (c->fd < 0)
                continue;
            bool ready = false;
            for (int k = 0; k < n; k++)
                if (pf[k].fd == c->fd && pf[k].revents)
                    ready = true;
            if (!ready)
                continue;
            ssize_t r = read(c->fd, (char *)&c->in + c->got, sizeof(c->in) - c->got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                close(c->fd);
                c->fd = -1;
                open--;
                continue;
            }
            c->got += (size_t)r;
            if (c->got == sizeof(c->in)) {
                c->latest = c->in;
                c->got = 0;
                c->final = c->in.final;
            }
        }
        sum_latest(ch, o->procs, &now);
        if (o->mode == MODE_IDLE && !all_up_said &&
            now.entered + now.failed >= (uint64_t)o->users) {
            fprintf(stderr, "%sparley-bench: all users up: %llu connected, %llu failed\n",
                    tty ? "\r\033[K" : "", (unsigned long long)now.up,
                    (unsigned long long)now.failed);
            all_up_said = true;
        }
        t = uv_hrtime();
        now.users = (uint64_t)o->users;
        if (tty && t - last_print >= 1000000000ull && t - o->t0 >= 1000000000ull) {
            fprintf(stderr, "\r\033[K");
            stats_print_progress(stderr, &now, &shown, (double)(t - shown_at) / 1e9);
            fflush(stderr);
            shown = now;
            shown_at = last_print = t;
        }
    }
    if (tty && last_print)
        fprintf(stderr, "\r\033[K");
    sum_latest(ch, o->procs, total);
}

int main(int argc, char **argv)
{
    static bench_opts_t o;
    int rc = parse_args(&o, argc, argv);
    if (rc != 0)
        return rc;
    if ((rc = check_fd_limit(&o)) != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    if (RAND_bytes((unsigned char *)&o.run_tag, sizeof(o.run_tag)) != 1)
        o.run_tag = (uint32_t)uv_hrtime();
    o.t0 = uv_hrtime();
    fflush(NULL);

    child_t *ch = xcalloc((size_t)o.procs, sizeof(*ch));
    for (int i = 0; i < o.procs; i++) {
        int fds[2];
        if (pipe(fds) != 0) {
            perror("parley-bench: pipe");
            exit(EXIT_FAILURES);
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("parley-bench: fork");
            exit(EXIT_FAILURES);
        }
        if (pid == 0) {
            close(fds[0]);
            for (int k = 0; k < i; k++)
                close(ch[k].fd);
            free(ch);
            int wrc = worker_run(&o, i, fds[1]);
            close(fds[1]);
            exit(wrc);
        }
        close(fds[1]);
        ch[i].pid = pid;
        ch[i].fd = fds[0];
    }

    stats_t total;
    collect(&o, ch, &total);
    bool crashed = false;
    for (int i = 0; i < o.procs; i++) {
        int status = 0;
        if (ch[i].fd >= 0)
            close(ch[i].fd);
        waitpid(ch[i].pid, &status, 0);
        if (!ch[i].final || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "parley-bench: worker %d ended badly (status %d)\n", i, status);
            crashed = true;
        }
    }
    /* users of a worker that never reported count as failed */
    for (int i = 0; i < o.procs; i++)
        if (!ch[i].final) {
            uint64_t n = 0;
            for (int u = i; u < o.users; u += o.procs)
                n++;
            total.users += n - ch[i].latest.users;
            total.failed += n - ch[i].latest.entered;
        }
    free(ch);

    stats_summary_t sum;
    stats_summarise(&total, &o, (double)(uv_hrtime() - o.t0) / 1e9, &sum);
    if (o.json)
        stats_print_json(stdout, &total, &o, &sum);
    else
        stats_print_human(stdout, &total, &o, &sum);
    fflush(stdout);
    return sum.over_threshold || crashed ? EXIT_FAILURES : EXIT_OK;
}
