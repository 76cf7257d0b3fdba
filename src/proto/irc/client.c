/* One IRC connection: bytes -> lines (util/lines.c, skipping overlong ones with 417) -> parsed
 * messages (parse.c) -> the command table. Owns the client list, the counters and the MOTD.
 *
 * Idle check: one connection timer of [irc] ping_interval. Any line from the client re-arms it;
 * when it fires the server sends PING, and if it fires again before any line came, the client is
 * closed ("Ping timeout"). Registration has the same deadline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/addr.h"
#include "util/flood.h"
#include "util/log.h"
#include "util/xmalloc.h"

static list_t clients = {&clients, &clients};
static irc_client_t *by_nick; /* uthash: registered clients by nick */
static irc_stats_t stats;
static char **motd;
static size_t nmotd;

const char irc_refuse_full[] = "ERROR :Server full: too many connections\r\n";
const char irc_refuse_per_address[] = "ERROR :Too many connections from your address\r\n";

irc_stats_t *irc__stats(void)
{
    return &stats;
}

const irc_stats_t *irc_stats(void)
{
    return &stats;
}

list_t *irc__clients(void)
{
    return &clients;
}

void irc__motd(const char *const **lines, size_t *n)
{
    *lines = (const char *const *)motd;
    *n = nmotd;
}

irc_client_t *irc__client_by_nick(const char *nick)
{
    irc_client_t *c = NULL;
    if (nick)
        HASH_FIND_STR(by_nick, nick, c);
    return c;
}

void irc__client_registered(irc_client_t *c)
{
    const char *nick = core_session_nick(c->s); /* lives as long as the session */
    HASH_ADD_KEYPTR(hh, by_nick, nick, strlen(nick), c);
}

void irc__clients_foreach(void (*fn)(irc_client_t *o, void *ud), void *ud)
{
    for (irc_client_t *o = by_nick; o; o = o->hh.next)
        fn(o, ud);
}

int irc__client_rename(irc_client_t *c, const char *nick)
{
    HASH_DEL(by_nick, c);
    int rc = core_session_rename(c->s, nick);
    irc__client_registered(c);
    return rc;
}

const char *irc__server(const irc_client_t *c)
{
    return c->app->cfg->irc.server_name;
}

const char *irc__nick(const irc_client_t *c)
{
    if (c->registered)
        return core_session_nick(c->s);
    return c->nick ? c->nick : "*";
}

/* ---- MOTD ---- */

int irc_init(app_t *app)
{
    const char *path = app->cfg->irc.motd_file;
    if (path[0] == '\0')
        return 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int rc = -errno;
        log_error("cannot read [irc] motd_file %s: %s", path, strerror(-rc));
        return rc;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (nmotd < 200 && (n = getline(&line, &cap, f)) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) > 400)
            line[400] = '\0'; /* a 372 line must fit 512 bytes */
        motd = xrealloc(motd, (nmotd + 1) * sizeof(*motd));
        motd[nmotd++] = xstrdup(line);
    }
    free(line);
    fclose(f);
    return 0;
}

void irc_deinit(void)
{
    for (size_t i = 0; i < nmotd; i++)
        free(motd[i]);
    free(motd);
    motd = NULL;
    nmotd = 0;
    irc__monitor_deinit();
}

/* ---- output ---- */

void irc__send(irc_client_t *c, rbuf_t *b)
{
    if (c->error_sent || irc__label_capture(c, b))
        return;
    rbuf_t *w = c->tr->wire(c, b);
    c->tr->send(c, w);
    rbuf_unref(w);
}

void irc__quit(irc_client_t *c, const char *reason)
{
    char line[512];
    snprintf(line, sizeof(line) - 2, "ERROR :%s", reason); /* reasons are short */
    size_t n = strlen(line);
    memcpy(line + n, "\r\n", 2);
    bool was = c->error_sent;
    c->error_sent = true;
    c->tr->quit(c, was ? NULL : line, n + 2);
}

/* ---- the TCP transport ---- */

static int tcp_slot(const irc_client_t *c)
{
    return CORE_SLOT_IRC;
}

static rbuf_t *tcp_wire(const irc_client_t *c, rbuf_t *lines)
{
    return rbuf_ref(lines);
}

static void tcp_send(irc_client_t *c, rbuf_t *b)
{
    int rc = conn_send(c->conn, b);
    if (rc != -ENOBUFS)
        return;
    server_t *srv = conn_server(c->conn);
    char peer[64];
    conn_peer(c->conn, peer, sizeof(peer));
    log_info("dropping slow IRC reader %s: %zu bytes queued", peer, conn_queued_bytes(c->conn));
    server_stats(srv)->slow_dropped++;
    c->error_sent = true;
    char line[128];
    int n = snprintf(line, sizeof(line), "ERROR :Slow reader: output queue over %zu bytes\r\n",
                     server_options(srv)->output_cap);
    conn_send_copy(c->conn, line, (size_t)n);
    conn_close_soon(c->conn); /* we may be inside a fan-out */
}

static void tcp_quit(irc_client_t *c, const char *line, size_t len)
{
    if (line)
        conn_send_copy(c->conn, line, len);
    conn_close(c->conn, true);
}

static void tcp_peer(const irc_client_t *c, char *out, size_t len)
{
    conn_peer(c->conn, out, len);
}

static const irc_transport_t tcp_transport = {"tcp",    tcp_slot, tcp_wire,
                                              tcp_send, tcp_quit, tcp_peer};

/* ---- commands ---- */

typedef int (*irc_cmd_fn)(irc_client_t *c, const irc_msg_t *m);

/* The command table: name, handler, parameters needed (461 below), whether registration must be
 * complete (451), and whether it takes from the message allowance besides the command one. */
static const struct command {
    const char *name;
    irc_cmd_fn fn;
    uint8_t min_params;
    bool needs_reg;
    bool message;
} commands[] = {
    /* clang-format off */
    {"CAP", irc__cmd_cap, 1, false, false},
    {"NICK", irc__cmd_nick, 0, false, false},
    {"USER", irc__cmd_user, 4, false, false},
    {"PASS", irc__cmd_pass, 1, false, false},
    {"PING", irc__cmd_ping, 1, false, false},
    {"PONG", irc__cmd_pong, 0, false, false},
    {"QUIT", irc__cmd_quit, 0, false, false},
    {"JOIN", irc__cmd_join, 1, true, false},
    {"PART", irc__cmd_part, 1, true, false},
    {"NAMES", irc__cmd_names, 0, true, false},
    {"TOPIC", irc__cmd_topic, 1, true, false},
    {"PRIVMSG", irc__cmd_privmsg, 0, true, true},
    {"NOTICE", irc__cmd_notice, 0, true, true},
    {"TAGMSG", irc__cmd_tagmsg, 1, true, false},
    {"MOTD", irc__cmd_motd, 0, true, false},
    {"LUSERS", irc__cmd_lusers, 0, true, false},
    {"VERSION", irc__cmd_version, 0, true, false},
    {"TIME", irc__cmd_time, 0, true, false},
    {"WHO", irc__cmd_who, 0, true, false},
    {"WHOIS", irc__cmd_whois, 0, true, false},
    {"LIST", irc__cmd_list, 0, true, false},
    {"MODE", irc__cmd_mode, 1, true, false},
    {"KICK", irc__cmd_kick, 2, true, false},
    {"AWAY", irc__cmd_away, 0, true, false},
    {"INVITE", irc__cmd_invite, 2, true, false},
    {"AUTHENTICATE", irc__cmd_authenticate, 1, false, false},
    {"CHATHISTORY", irc__cmd_chathistory, 1, true, false},
    {"REGISTER", irc__cmd_register, 3, false, false},
    {"VERIFY", irc__cmd_verify, 2, false, false},
    {"SETNAME", irc__cmd_setname, 1, true, false},
    {"MONITOR", irc__cmd_monitor, 1, true, false},
    {"WHOWAS", irc__cmd_whowas, 0, true, false},
    /* clang-format on */
};

static const struct command *command_find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Flood control with the [flood] allowances of the JSON protocol: every line takes one command
 * token, PRIVMSG and NOTICE also a message token. A refused line gets a NOTICE (never for a
 * NOTICE) and is dropped; refusals past max_violations close the connection (Excess Flood).
 * Returns false if the line must not run; c may be closing then. */
static bool flood_allow(irc_client_t *c, const struct command *cmd)
{
    int v = flood_take(&c->app->cfg->flood, &c->commands, &c->messages, &c->violations,
                       uv_now(c->app->loop), 1, cmd && cmd->message);
    if (v == FLOOD_OK)
        return true;
    server_stats_t *st = server_stats(c->app->server);
    st->rate_limited++;
    stats.refused++;
    if (cmd == NULL || strcmp(cmd->name, "NOTICE") != 0)
        irc__fail(c, cmd ? cmd->name : "*", "RATE_LIMITED", NULL,
                  v & FLOOD_MESSAGES ? "too many messages" : "too many commands");
    if (v & FLOOD_EXCESS) {
        char peer[64];
        c->tr->peer(c, peer, sizeof(peer));
        log_info("closing flooding IRC client %s (%s)", peer, irc__nick(c));
        st->flood_dropped++;
        irc__quit(c, "Excess Flood");
    }
    return false;
}

/* A parsed line (rc: irc_parse's result) that passed flood control. */
static void dispatch(irc_client_t *c, int rc, const struct command *cmd, const irc_msg_t *m)
{
    if (rc == IRC_PARSE_TOOLONG) {
        stats.refused++;
        irc__numeric(c, "417", ":Input line was too long");
        return;
    }
    if (rc == IRC_PARSE_UTF8) {
        stats.refused++;
        irc__fail(c, m->command ? m->command : "*", "INVALID_UTF8", NULL,
                  "Message rejected: this server accepts UTF-8 only");
        return;
    }
    if (rc < 0) {
        stats.refused++;
        irc__fail(c, "*", "INVALID_MESSAGE", NULL, "Malformed message");
        return;
    }
    if (cmd == NULL) {
        if (c->registered)
            irc__numeric(c, "421", "%s :Unknown command", m->command);
        else
            irc__numeric(c, "451", ":You have not registered");
        return;
    }
    if (cmd->needs_reg && !c->registered) {
        irc__numeric(c, "451", ":You have not registered");
        return;
    }
    if (m->nparams < cmd->min_params) {
        irc__numeric(c, "461", "%s :Not enough parameters", cmd->name);
        return;
    }
    cmd->fn(c, m);
}

static void run(irc_client_t *c, const char *line, size_t len)
{
    static irc_msg_t m; /* 12 KiB; one loop thread, and commands never re-enter run() */
    stats.commands++;
    int rc = irc_parse(line, len, &m);
    if (rc == IRC_PARSE_EMPTY)
        return;
    const struct command *cmd = rc == 0 ? command_find(m.command) : NULL;
    if (!flood_allow(c, cmd))
        return;
    conn_t *conn = c->conn;
    if (rc == 0)
        irc__label_begin(c, &m);
    dispatch(c, rc, cmd, &m);
    if (!conn_closing(conn)) /* else c may be gone (its capture is dropped with it) */
        irc__label_end(c);
}

/* ---- the connection ---- */

/* A command may close the connection (QUIT, flood), which frees c at once (on_close, over either
 * transport): only the conn, which lives until libuv closes it, is looked at afterwards. */
int irc__line(irc_client_t *c, const char *line, size_t len)
{
    conn_t *conn = c->conn;
    if (c->error_sent)
        return 1;      /* closing: read no further */
    if (c->ws == NULL) /* the WebSocket's idle pings stand for the PING timer */
        conn_timer_start(conn, (uint64_t)c->app->cfg->irc.ping_interval * 1000);
    c->ping_sent = false;
    if (line == NULL) { /* longer than IRC_MAX_LINE */
        stats.refused++;
        irc__numeric(c, "417", ":Input line was too long");
        return 0;
    }
    run(c, line, len);
    return conn_closing(conn) || c->error_sent;
}

static int on_line(void *ud, const char *line, size_t len)
{
    return irc__line(ud, line, len);
}

static void on_read(conn_t *conn, const char *data, size_t len)
{
    irc_client_t *c = conn_data(conn);
    if (c->error_sent)
        return;
    lines_feed(&c->in, data, len, IRC_MAX_LINE, on_line, c);
}

static void on_timer(conn_t *conn)
{
    irc_client_t *c = conn_data(conn);
    int secs = c->app->cfg->irc.ping_interval;
    if (c->ping_sent) {
        char reason[64];
        snprintf(reason, sizeof(reason), "Ping timeout: %d seconds", 2 * secs);
        irc__quit(c, reason);
        return;
    }
    c->ping_sent = true;
    irc__sendf(c, "PING :%s", irc__server(c));
    conn_timer_start(conn, (uint64_t)secs * 1000);
}

void irc__client_free(irc_client_t *c)
{
    list_remove(&c->node);
    stats.connections--;
    if (c->registered)
        HASH_DEL(by_nick, c);
    free(c->away);
    irc__sasl_close(c);
    irc__label_drop(c);
    irc__acctreg_close(c);
    free(c->realname);
    irc__monitor_free(c);
    core_session_free(c->s);
    if (c->group)
        c->group->connections--;
    for (uint32_t i = 0; i < c->nchans; i++)
        free(c->chans[i].room);
    free(c->chans);
    free(c->nick);
    lines_deinit(&c->in);
    free(c);
}

static void on_close(conn_t *conn)
{
    irc__client_free(conn_data(conn));
}

static const conn_handler_t irc_handler = {on_read, on_close, on_timer};

static void irc_warm(void *ctx)
{
    conn_prefetch(((irc_client_t *)ctx)->conn);
}

static const session_ops_t irc_session_ops = {irc__deliver, irc__say_done, irc_warm};

/* The client's address, for guest bans. */
static void set_address(irc_client_t *c)
{
    char peer[80];
    c->tr->peer(c, peer, sizeof(peer));
    addr_ban_key(peer, sizeof(peer));
    core_session_set_address(c->s, peer);
}

irc_client_t *irc__client_new(app_t *app, const irc_transport_t *tr, conn_t *conn, struct ws *ws)
{
    irc_client_t *c = xcalloc(1, sizeof(*c));
    c->tr = tr;
    c->conn = conn;
    c->ws = ws;
    c->app = app;
    c->in.skip_long = true;
    list_push_back(&clients, &c->node);
    stats.connections++;
    uint64_t now = uv_now(app->loop);
    bucket_init(&c->commands, now);
    bucket_init(&c->messages, now);
    bucket_init(&c->violations, now);
    return c;
}

/* After the transport is bound to c: the checks that may refuse it, the core session. */
int irc__client_start(irc_client_t *c, group_t *g)
{
    if (c->app->stopping) {
        irc__quit(c, "Server shutting down");
        return -ESHUTDOWN;
    }
    c->group = g;
    if (c->group == NULL) {
        irc__quit(c, "No such chat group: check [irc] group");
        return -ENOENT;
    }
    c->group->connections++;
    c->s = core_session_new(c->group->core, &irc_session_ops, c);
    irc__monitor_start(c);
    set_address(c);
    return 0;
}

void irc_accept(void *ud, conn_t *conn)
{
    app_t *app = ud;
    irc_client_t *c = irc__client_new(app, &tcp_transport, conn, NULL);
    conn_set_handler(conn, &irc_handler, c);
    if (irc__client_start(c, group_find(app, app->cfg->irc.group)) < 0)
        return;
    conn_timer_start(conn, (uint64_t)app->cfg->irc.ping_interval * 1000);
}

void irc_close_all(const char *reason)
{
    list_foreach_safe(it, tmp, &clients)
    {
        irc_client_t *c = list_entry(it, irc_client_t, node);
        irc__quit(c, reason);
    }
}
