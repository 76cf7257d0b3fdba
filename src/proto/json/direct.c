/* The direct socket transport: the JSON protocol as newline-delimited JSON over raw TCP on its own
 * listener ([server] json_listen; docs/PROTOCOL.md, "Direct socket"). One JSON object per line; a
 * close is told by a last {"type":"close"} line. Sessions belong to the default chat group. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "net/server.h"
#include "proto/json/json_proto.h"
#include "util/lines.h"
#include "util/log.h"
#include "util/xmalloc.h"

typedef struct direct {
    conn_t *conn;
    app_t *app;
    jsess_t *js;
    lines_t in;
    bool close_sent;
    bool pinged; /* idle: the keepalive line went out and nothing came back yet */
} direct_t;

/* The last line of a closing connection (forced past the output cap). */
static void send_close_line(direct_t *d, uint16_t code, const char *reason)
{
    if (d->close_sent)
        return;
    d->close_sent = true;
    rbuf_t *b = json_close_line(code, reason);
    conn_send_force(d->conn, b);
    rbuf_unref(b);
}

static int tr_send(void *t, uint64_t seq, rbuf_t *msg)
{
    direct_t *d = t;
    if (d->close_sent)
        return -EPIPE;
    int rc = conn_send(d->conn, msg);
    if (rc == -ENOBUFS) {
        server_t *srv = conn_server(d->conn);
        char reason[96], peer[64];
        snprintf(reason, sizeof(reason), "slow reader: output queue over %zu bytes",
                 server_options(srv)->output_cap);
        conn_peer(d->conn, peer, sizeof(peer));
        log_info("dropping slow direct reader %s: %zu bytes queued", peer,
                 conn_queued_bytes(d->conn));
        server_stats(srv)->slow_dropped++;
        send_close_line(d, 1008, reason);
        conn_close_soon(d->conn); /* we may be inside a fan-out */
    }
    return rc;
}

static void tr_close(void *t, uint16_t code, const char *reason)
{
    direct_t *d = t;
    d->js = NULL; /* the session decides its own fate */
    send_close_line(d, code, reason);
    conn_close(d->conn, true); /* frees d through on_close */
}

/* Closes the connection and ends its session (a close this transport decides). */
static void end(direct_t *d, uint16_t code, const char *reason)
{
    jsess_t *js = d->js;
    tr_close(d, code, reason);
    json_session_free(js);
}

static void tr_peer(void *t, char *out, size_t outlen)
{
    conn_peer(((direct_t *)t)->conn, out, outlen);
}

static void tr_rebind(void *t, jsess_t *js)
{
    ((direct_t *)t)->js = js;
}

static const json_transport_t direct_transport = {
    "direct", CORE_SLOT_JSON_LINE, tr_send, tr_close, tr_peer, tr_rebind};

static int on_line(void *ud, const char *line, size_t len)
{
    direct_t *d = ud;
    conn_t *c = d->conn;
    json_session_input(d->js, line, len);
    if (conn_closing(c))
        return 1;         /* d is gone */
    return d->close_sent; /* a slow reader: read no further commands */
}

/* [server] idle_timeout, as for a WebSocket (http/ws.c): after half of it without a byte from
 * the client it gets {"type":"keepalive"}, after the other half the close message 1001. */
static void idle_arm(direct_t *d)
{
    d->pinged = false;
    if (d->app->cfg->idle_timeout > 0)
        conn_timer_start(d->conn, (uint64_t)d->app->cfg->idle_timeout * 500);
}

static void on_timer(conn_t *c)
{
    direct_t *d = conn_data(c);
    if (d->pinged) {
        /* a peer gone silent is a lost connection: on_close detaches the session (resume) */
        send_close_line(d, 1001, "idle timeout");
        conn_close(c, true);
        return;
    }
    /* not a session message (no sequence number): straight onto the connection */
    static const char line[] = "{\"type\":\"keepalive\"}\n";
    rbuf_t *b = rbuf_from(line, sizeof(line) - 1);
    conn_send(c, b);
    rbuf_unref(b);
    d->pinged = true;
    conn_timer_start(c, (uint64_t)d->app->cfg->idle_timeout * 500);
}

static void on_read(conn_t *c, const char *data, size_t len)
{
    direct_t *d = conn_data(c);
    if (d->close_sent)
        return; /* closing soon: the rest is not read */
    idle_arm(d);
    int rc = lines_feed(&d->in, data, len, d->app->cfg->max_message, on_line, d);
    if (rc == -EMSGSIZE) {
        json_t *o = json_pack("{s:s,s:n,s:s,s:s}", "type", "error", "id", "code",
                              "message_too_long", "message", "a line is longer than max_message");
        rbuf_t *b = json_encode(CORE_SLOT_JSON_LINE, o);
        json_decref(o);
        conn_send_force(c, b);
        rbuf_unref(b);
        end(d, 1009, "message too big");
    }
}

static void on_close(conn_t *c)
{
    direct_t *d = conn_data(c);
    server_stats(conn_server(c))->direct--;
    if (d->js)
        json_session_gone(d->js); /* the peer left, or a slow reader (which ends) */
    lines_deinit(&d->in);
    free(d);
}

static const conn_handler_t direct_handler = {on_read, on_close, on_timer};

void json_direct_accept(void *ud, conn_t *c)
{
    app_t *app = ud;
    direct_t *d = xcalloc(1, sizeof(*d));
    d->conn = c;
    d->app = app;
    conn_set_handler(c, &direct_handler, d);
    server_stats(conn_server(c))->direct++;
    if (app->stopping) {
        end(d, 1001, "going away");
        return;
    }
    d->js = json_session_new(&direct_transport, d, group_default(app), NULL);
    idle_arm(d);
}

const char json_direct_refuse_full[] =
    "{\"type\":\"close\",\"code\":1013,\"reason\":\"server full: too many connections\"}\n";
const char json_direct_refuse_per_address[] =
    "{\"type\":\"close\",\"code\":1013,\"reason\":\"too many connections from your address\"}\n";
