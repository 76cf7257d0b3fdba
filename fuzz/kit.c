#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/mail.h"
#include "auth/mailer.h"
#include "group.h"
#include "http/http.h"
#include "http/ws.h"
#include "proto/json/json_proto.h"
#include "util/log.h"

#define MAX_CLIENTS   32
#define SETTLE_PASSES 2000

static struct {
    uv_loop_t loop;
    config_t cfg;
    app_t app;
    mail_template_t tmpl;
    addr_list_t trusted;
    char dir[256];
    int fds[MAX_CLIENTS]; /* open client ends, -1: free slot */
    int listener;         /* 127.0.0.1:0, for connected pairs of TCP sockets */
    bool ready;
} kit;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void kit_cleanup(void)
{
    if (kit.dir[0])
        nftw(kit.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_accept(void *ud, conn_t *c)
{
    http_accept(ud, c);
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz kit: %s\n", what);
    abort();
}

app_t *kit_app(void)
{
    if (kit.ready)
        return &kit.app;
    for (int i = 0; i < MAX_CLIENTS; i++)
        kit.fds[i] = -1;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(kit.dir, sizeof kit.dir, "%s/parley-fuzz-XXXXXX", base);
    if (mkdtemp(kit.dir) == NULL)
        die("cannot make a temporary directory");
    atexit(kit_cleanup);
    signal(SIGPIPE, SIG_IGN); /* as parleyd: a client gone is a write error, not a death */
    log_set_level_name(getenv("FUZZ_LOG") ? getenv("FUZZ_LOG") : "error");

    config_t *cfg = &kit.cfg;
    config_init(cfg);
    config_set_str(&cfg->data_dir, kit.dir);
    config_set_str(&cfg->web_root, getenv("FUZZ_WEB_ROOT") ? getenv("FUZZ_WEB_ROOT") : "web");
    config_set_str(&cfg->admin_token, "fuzz-admin-token");
    config_set_str(&cfg->json_listen, "127.0.0.1:0");
    config_set_str(&cfg->trusted_proxies, "127.0.0.0/8, ::1");
    cfg->accounts.hash_limits = 0; /* min: a login must not cost the fuzzer 50 ms */
    cfg->max_connections_per_address = 8;
    char err[256];
    if (addr_list_parse(&kit.trusted, cfg->trusted_proxies, err, sizeof err) < 0)
        die(err);

    uv_loop_init(&kit.loop);
    app_t *app = &kit.app;
    app->loop = &kit.loop;
    app->cfg = cfg;
    app->started_ms = app_now_ms();
    app->words = wordlist_new();
    app->config_words = json_array();
    app->public_url = strdup("http://localhost:8080");
    if (mail_template_init(&kit.tmpl, "", err, sizeof err) < 0)
        die(err);
    app->mail_tmpl = &kit.tmpl;
    if (mailer_new(app->loop, &cfg->mail, &app->mailer) < 0)
        die("mailer");
    if (groups_open(app) < 0)
        die("cannot open the chat groups");
    server_options_t opt = {
        .max_connections = cfg->max_connections,
        .max_per_address = cfg->max_connections_per_address,
        .output_cap = cfg->output_cap,
        .trusted = &kit.trusted,
    };
    app->server = server_new(&kit.loop, &opt, on_accept, app);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    kit.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (kit.listener < 0 || bind(kit.listener, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        listen(kit.listener, 64) < 0)
        die("cannot listen on 127.0.0.1");
    kit.ready = true;
    return app;
}

int kit_connect(kit_client_t *k, server_accept_cb cb, void *ud)
{
    app_t *app = kit_app();
    int sv[2], slot = -1;
    k->fd = -1;
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
        if (kit.fds[i] < 0)
            slot = i;
    if (slot < 0)
        return -EMFILE;
    /* A real loopback TCP pair, so that the server sees a peer address (127.0.0.1, which the
     * kit trusts as a proxy: X-Forwarded-For and the per-address counts are exercised). */
    struct sockaddr_in sin;
    socklen_t slen = sizeof sin;
    if (getsockname(kit.listener, (struct sockaddr *)&sin, &slen) < 0)
        return -errno;
    sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sv[0] < 0)
        return -errno;
    if (connect(sv[0], (struct sockaddr *)&sin, slen) < 0 ||
        (sv[1] = accept4(kit.listener, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        int e = errno;
        close(sv[0]);
        return -e;
    }
    /* closing with a reset leaves no TIME_WAIT behind: a run opens hundreds of thousands */
    struct linger lin = {1, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    if (server_adopt(app->server, sv[1], cb ? cb : on_accept, cb ? ud : app) == NULL) {
        close(sv[0]);
        close(sv[1]);
        return -EINVAL;
    }
    kit.fds[slot] = k->fd = sv[0];
    return 0;
}

/* Reads and discards what waits on fd (or keeps up to cap bytes in buf); the count kept. */
static size_t drain(int fd, char *buf, size_t cap)
{
    char tmp[16384];
    size_t kept = 0;
    for (int i = 0; i < 4096; i++) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno != EAGAIN && getenv("FUZZ_KIT_DEBUG"))
            fprintf(stderr, "kit: read: %s\n", strerror(errno));
        if (n == 0 && getenv("FUZZ_KIT_DEBUG"))
            fprintf(stderr, "kit: read: EOF\n");
        if (n <= 0)
            break;
        if (buf && kept + 1 < cap) {
            size_t take = (size_t)n < cap - 1 - kept ? (size_t)n : cap - 1 - kept;
            memcpy(buf + kept, tmp, take);
            kept += take;
        }
    }
    if (buf && cap)
        buf[kept] = '\0';
    return kept;
}

void kit_run(void)
{
    for (int pass = 0; pass < 4; pass++)
        uv_run(&kit.loop, UV_RUN_NOWAIT);
}

void kit_send(kit_client_t *k, const void *p, size_t len)
{
    const char *c = p;
    for (int tries = 0; len > 0 && k->fd >= 0 && tries < 1000; tries++) {
        ssize_t n = write(k->fd, c, len);
        if (n > 0) {
            c += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN)
            return; /* the server closed: the rest is not wanted */
        kit_run();
        drain(k->fd, NULL, 0);
    }
}

size_t kit_recv(kit_client_t *k, char *buf, size_t cap)
{
    return k->fd >= 0 ? drain(k->fd, buf, cap) : 0;
}

size_t kit_expect(kit_client_t *k, char *buf, size_t cap, const char *needle)
{
    size_t got = 0;
    buf[0] = '\0';
    /* Loopback TCP may hand the bytes over a moment later on a busy machine: wait for them, up
     * to about 5 s, rather than guess a number of loop passes. */
    for (int i = 0; i < 5000 && k->fd >= 0 && strstr(buf, needle) == NULL && got + 1 < cap; i++) {
        kit_run();
        got += drain(k->fd, buf + got, cap - got);
        if (strstr(buf, needle) == NULL) {
            struct pollfd p = {.fd = k->fd, .events = POLLIN};
            poll(&p, 1, 1);
        }
    }
    return got;
}

int kit_ws_open(kit_client_t *k, const char *path, const char *subprotocol)
{
    char upgrade[512], answer[512];
    int n = snprintf(upgrade, sizeof(upgrade),
                     "GET %s HTTP/1.1\r\n"
                     "Host: localhost\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "%s%s%s"
                     "\r\n",
                     path, subprotocol ? "Sec-WebSocket-Protocol: " : "",
                     subprotocol ? subprotocol : "", subprotocol ? "\r\n" : "");
    if (kit_connect(k, NULL, NULL) < 0)
        return -1;
    kit_send(k, upgrade, (size_t)n);
    kit_expect(k, answer, sizeof answer, "\r\n\r\n");
    if (strncmp(answer, "HTTP/1.1 101 ", 13) == 0)
        return 0;
    server_stats_t *st = server_stats(kit_app()->server);
    fprintf(stderr, "kit: the handshake of %s got '%s' (open %u, accepted %llu)\n", path, answer,
            st->open, (unsigned long long)st->accepted);
    return -1;
}

void kit_hangup(kit_client_t *k)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (kit.fds[i] == k->fd && k->fd >= 0) {
            close(k->fd);
            kit.fds[i] = -1;
        }
    k->fd = -1;
}

void kit_settle(void)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (kit.fds[i] >= 0) {
            close(kit.fds[i]);
            kit.fds[i] = -1;
        }
    json_tunnels_free_all();
    for (int pass = 0; pass < SETTLE_PASSES && server_open_conns(kit.app.server) > 0; pass++)
        uv_run(&kit.loop, UV_RUN_NOWAIT);
    if (server_open_conns(kit.app.server) > 0)
        die("connections still open after the input");
}
