/* ceiling: the machine's ceiling for fan-out over loopback TCP.
 *
 * Build (bench/run builds it this way):
 *     cc -O2 -Wall -Wextra -Werror -o build/ceiling bench/ceiling/ceiling.c
 * Run:
 *     build/ceiling [--conns N] [--seconds S] [--size BYTES] [--batches 1,16,64] [--json]
 *
 * What it measures: the most that any chat server on this machine could push to N clients, with no
 * WebSocket framing, no JSON and no chat logic at all. Two processes, as a server and a load
 * generator would be, so both cores work: the writer (the parent, playing the server) holds N
 * real TCP connections over 127.0.0.1 to the reader (a forked child, playing the clients). The
 * writer writes SIZE-byte lines ('x'... '\n') to all N sockets as fast as it can, round robin, one
 * write() per socket each time it is writable, with B lines batched into each write() (B = 1, 16,
 * 64: a server that writes every message on its own, or one that gathers 16 or 64 per client).
 * Both sides use TCP_NODELAY, non-blocking sockets and level-triggered epoll. The reader drains all
 * N sockets into a 256 KiB buffer and counts bytes.
 *
 * For each batch size it writes for a 0.25 s warm-up, then S seconds measured; the figures are
 * the reader's: bytes it read during the measured window, divided by its own elapsed time, and
 * messages = bytes / SIZE. The writer's write() calls per second are shown too.
 *
 * Bounded: N <= 9,000 (each process holds N sockets; the machine caps a process at 20,000 files),
 * S <= 30, and both processes set an alarm that ends them if a run overstays its bound.
 * Exit status 0 on success, 1 on failure, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   9000
#define MAX_SECONDS 30.0
#define MAX_BATCHES 8
#define WARMUP_S    0.25
#define READ_BUF    (256 * 1024)

struct result {
    int batch;
    double seconds;  /* the reader's measured window */
    uint64_t bytes;  /* read by the reader in that window */
    uint64_t writes; /* write() calls by the writer in its window */
    double wseconds; /* the writer's window */
};

static void die(const char *what)
{
    fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_nonblock_nodelay(int fd)
{
    int one = 1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        die("fcntl");
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        die("setsockopt TCP_NODELAY");
}

/* Reads or writes exactly n bytes on a (blocking) control pipe. */
static int full_io(int fd, void *buf, size_t n, bool wr)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = wr ? write(fd, p, n) : read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ---- the reader (child): accepts N connections, then drains them ---- */

/* Control: the writer sends 'R' (start the window) and 'Q' (end it; answer with the bytes read
 * and seconds elapsed since 'R'). EOF on the control pipe ends the reader. */
static void reader(int lfd, int nconns, int ctl_in, int res_out)
{
    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    for (int i = 0; i < nconns; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) {
                i--;
                continue;
            }
            die("accept");
        }
        set_nonblock_nodelay(fd);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl");
    }
    close(lfd);
    struct epoll_event cev = {.events = EPOLLIN, .data.fd = ctl_in};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl_in, &cev) < 0)
        die("epoll_ctl");
    char ready = 'K';
    if (full_io(res_out, &ready, 1, true) < 0)
        die("write ready");

    char *buf = malloc(READ_BUF);
    struct epoll_event *evs = calloc((size_t)nconns + 1, sizeof(*evs));
    if (!buf || !evs)
        die("malloc");
    uint64_t total = 0, mark = 0;
    double t0 = 0;
    for (;;) {
        int n = epoll_wait(ep, evs, nconns + 1, 1000);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ctl_in) {
                char c;
                if (full_io(ctl_in, &c, 1, false) < 0)
                    _exit(0); /* the writer is done */
                if (c == 'R') {
                    mark = total;
                    t0 = now_s();
                } else if (c == 'Q') {
                    struct result r = {.bytes = total - mark, .seconds = now_s() - t0};
                    if (full_io(res_out, &r, sizeof(r), true) < 0)
                        die("write result");
                }
                continue;
            }
            ssize_t got = read(fd, buf, READ_BUF);
            if (got > 0) {
                total += (uint64_t)got;
            } else if (got == 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
            } else if (errno != EAGAIN && errno != EINTR) {
                die("read");
            }
        }
    }
}

/* ---- the writer (parent) ---- */

struct wconn {
    int fd;
    size_t off; /* bytes of the current batch already written */
};

/* Writes batches of `batch` lines to every writable connection for WARMUP_S + seconds; tells the
 * reader when the measured window starts and ends. */
static struct result run_batch(int ep, struct wconn *cs, int nconns, struct epoll_event *evs,
                               const char *lines, size_t size, int batch, double seconds,
                               int ctl_out, int res_in)
{
    size_t len = size * (size_t)batch;
    for (int i = 0; i < nconns; i++)
        cs[i].off = 0;
    struct result r = {.batch = batch};
    uint64_t writes = 0;
    double start = now_s(), wstart = 0, end = start + WARMUP_S + seconds;
    bool measuring = false;
    for (;;) {
        double t = now_s();
        if (!measuring && t >= start + WARMUP_S) {
            if (full_io(ctl_out, "R", 1, true) < 0)
                die("write control");
            measuring = true;
            wstart = t;
            writes = 0;
        }
        if (t >= end)
            break;
        int n = epoll_wait(ep, evs, nconns, 10);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct wconn *c = &cs[evs[i].data.u32];
            ssize_t w = write(c->fd, lines + c->off, len - c->off);
            writes++;
            if (w > 0) {
                c->off += (size_t)w;
                if (c->off == len)
                    c->off = 0;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                die("write");
            }
        }
    }
    if (full_io(ctl_out, "Q", 1, true) < 0)
        die("write control");
    r.wseconds = now_s() - wstart;
    r.writes = writes;
    struct result rr;
    if (full_io(res_in, &rr, sizeof(rr), false) < 0)
        die("read result");
    r.bytes = rr.bytes;
    r.seconds = rr.seconds;
    return r;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ceiling [--conns N] [--seconds S] [--size BYTES] [--batches 1,16,64] "
            "[--json]\n"
            "  --conns N      loopback TCP connections (1..%d, default 1000)\n"
            "  --seconds S    measured seconds per batch size (0.1..%g, default 3)\n"
            "  --size BYTES   bytes per message line (2..65536, default 100)\n"
            "  --batches LIST messages per write() call (default 1,16,64)\n"
            "  --json         print one JSON object instead of a table\n",
            MAX_CONNS, MAX_SECONDS);
    exit(2);
}

int main(int argc, char **argv)
{
    int nconns = 1000;
    double seconds = 3.0;
    long size = 100;
    int batches[MAX_BATCHES] = {1, 16, 64}, nbatches = 3;
    bool json = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        char *end;
        if (strcmp(a, "--conns") == 0) {
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > MAX_CONNS)
                usage();
            nconns = (int)n;
        } else if (strcmp(a, "--seconds") == 0) {
            seconds = strtod(v, &end);
            if (*end || !(seconds >= 0.1 && seconds <= MAX_SECONDS))
                usage();
        } else if (strcmp(a, "--size") == 0) {
            size = strtol(v, &end, 10);
            if (*end || size < 2 || size > 65536)
                usage();
        } else if (strcmp(a, "--batches") == 0) {
            nbatches = 0;
            for (const char *p = v; *p;) {
                long b = strtol(p, &end, 10);
                if (end == p || b < 1 || b > 1024 || nbatches == MAX_BATCHES)
                    usage();
                batches[nbatches++] = (int)b;
                p = end;
                if (*p == ',')
                    p++;
                else if (*p)
                    usage();
            }
            if (nbatches == 0)
                usage();
        } else {
            usage();
        }
    }

    /* Each process needs N sockets plus a few; raise the soft limit towards the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 64 ? rl.rlim_max : (rlim_t)nconns + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)nconns + 16) {
            fprintf(stderr, "ceiling: %d connections need more open files than the limit (%llu)\n",
                    nconns, (unsigned long long)rl.rlim_cur);
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    /* The whole run's bound: set-up, a warm-up and a window per batch size, and slack. */
    unsigned bound = (unsigned)(30 + nbatches * (seconds + WARMUP_S + 2));
    alarm(bound);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0)
        die("socket");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t salen = sizeof(sa);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, nconns) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0)
        die("listen on 127.0.0.1");

    int ctl[2], res[2];
    if (pipe(ctl) < 0 || pipe(res) < 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(ctl[1]);
        close(res[0]);
        alarm(bound);
        reader(lfd, nconns, ctl[0], res[1]);
        _exit(0);
    }
    close(lfd);
    close(ctl[0]);
    close(res[1]);

    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    struct wconn *cs = calloc((size_t)nconns, sizeof(*cs));
    struct epoll_event *evs = calloc((size_t)nconns, sizeof(*evs));
    if (!cs || !evs)
        die("malloc");
    for (int i = 0; i < nconns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            die("connect to 127.0.0.1");
        set_nonblock_nodelay(fd);
        cs[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl");
    }
    char ready;
    if (full_io(res[0], &ready, 1, false) < 0) {
        fprintf(stderr, "ceiling: the reader did not start\n");
        return 1;
    }

    int maxb = 0;
    for (int b = 0; b < nbatches; b++)
        if (batches[b] > maxb)
            maxb = batches[b];
    char *lines = malloc((size_t)size * (size_t)maxb);
    if (!lines)
        die("malloc");
    for (int b = 0; b < maxb; b++) {
        memset(lines + (size_t)b * (size_t)size, 'x', (size_t)size - 1);
        lines[(size_t)(b + 1) * (size_t)size - 1] = '\n';
    }

    struct result results[MAX_BATCHES];
    for (int b = 0; b < nbatches; b++)
        results[b] = run_batch(ep, cs, nconns, evs, lines, (size_t)size, batches[b], seconds,
                               ctl[1], res[0]);

    close(ctl[1]); /* the reader exits on EOF */
    for (int i = 0; i < nconns; i++)
        close(cs[i].fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;

    if (json) {
        printf("{\"conns\": %d, \"seconds\": %g, \"size\": %ld, \"results\": [", nconns, seconds,
               size);
        for (int b = 0; b < nbatches; b++) {
            const struct result *r = &results[b];
            printf("%s\n  {\"batch\": %d, \"msgs_per_sec\": %.0f, \"bytes_per_sec\": %.0f, "
                   "\"writes_per_sec\": %.0f, \"seconds\": %.3f}",
                   b ? "," : "", r->batch, (double)r->bytes / (double)size / r->seconds,
                   (double)r->bytes / r->seconds, (double)r->writes / r->wseconds, r->seconds);
        }
        printf("\n]}\n");
    } else {
        printf("loopback TCP fan-out ceiling: %d connections, %ld-byte messages, %g s per batch "
               "size\n\n",
               nconns, size, seconds);
        printf("%10s %16s %12s %16s\n", "msgs/write", "messages/s", "MB/s", "write() calls/s");
        for (int b = 0; b < nbatches; b++) {
            const struct result *r = &results[b];
            printf("%10d %16.0f %12.1f %16.0f\n", r->batch,
                   (double)r->bytes / (double)size / r->seconds,
                   (double)r->bytes / r->seconds / 1e6, (double)r->writes / r->wseconds);
        }
    }
    free(lines);
    free(evs);
    free(cs);
    close(ep);
    return fflush(stdout) == 0 ? 0 : 1;
}
