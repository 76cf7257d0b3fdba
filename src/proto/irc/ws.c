/* The IRC gateway's WebSocket transport (ircv3.net "websocket"): GET /irc on the HTTP listeners
 * (the chat group by path or Host, as for /ws), subprotocols text.ircv3.net (text frames) and
 * binary.ircv3.net (binary frames; the gateway is UTF8ONLY all the same, so a line that is not
 * UTF-8 gets FAIL INVALID_UTF8 rather than a close). One IRC line per message, without CR LF
 * (a trailing CR LF or LF sent anyway is dropped). A client that names no subprotocol is spoken
 * to in text frames. The WebSocket layer's idle pings replace the IRC PING timer. */
#include <string.h>

#include "http/ws.h"
#include "proto/irc/irc_int.h"
#include "util/buf.h"

enum { SUB_TEXT, SUB_BINARY };
static const char *const subprotocols[] = {"text.ircv3.net", "binary.ircv3.net", NULL};

static bool is_binary(const irc_client_t *c)
{
    return ws_subprotocol(c->ws) == SUB_BINARY;
}

static int ws_tr_slot(const irc_client_t *c)
{
    return is_binary(c) ? CORE_SLOT_IRC_WSB : CORE_SLOT_IRC_WS;
}

/* Each CR LF terminated line becomes one frame; the frames go out as one buffer. */
static rbuf_t *ws_tr_wire(const irc_client_t *c, rbuf_t *lines)
{
    buf_t out;
    buf_init(&out, lines->len * 8 + 64); /* a frame header per line: at most 10 bytes */
    const char *p = lines->data, *end = lines->data + lines->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        const char *line_end = stop > p && stop[-1] == '\r' ? stop - 1 : stop;
        ws_frame_append(&out, is_binary(c), p, (size_t)(line_end - p));
        p = nl ? nl + 1 : end;
    }
    rbuf_t *b = rbuf_new(out.len);
    if (out.len)
        memcpy(b->data, out.base, out.len);
    buf_deinit(&out);
    return b;
}

static void ws_tr_send(irc_client_t *c, rbuf_t *wire)
{
    if (ws_send(c->ws, wire) < 0)
        c->error_sent = true; /* a slow reader: ws.c closes it (1008) */
}

static void ws_tr_quit(irc_client_t *c, const char *line, size_t len)
{
    if (line) {
        rbuf_t *lines = rbuf_new(len);
        memcpy(lines->data, line, len);
        rbuf_t *w = ws_tr_wire(c, lines);
        ws_send(c->ws, w);
        rbuf_unref(w);
        rbuf_unref(lines);
    }
    ws_close(c->ws, 1000, "");
}

static void ws_tr_peer(const irc_client_t *c, char *out, size_t len)
{
    ws_peer(c->ws, out, len);
}

static const irc_transport_t ws_transport = {"websocket", ws_tr_slot, ws_tr_wire,
                                             ws_tr_send,  ws_tr_quit, ws_tr_peer};

static void on_open(ws_t *ws)
{
    irc_client_t *c = irc__client_new(ws_app(ws), &ws_transport, ws_conn(ws), ws);
    ws_set_data(ws, c);
    irc__client_start(c, ws_group(ws));
}

static void on_text(ws_t *ws, const char *msg, size_t len)
{
    irc_client_t *c = ws_data(ws);
    if (c == NULL)
        return;
    if (len > 0 && msg[len - 1] == '\n')
        len--;
    if (len > 0 && msg[len - 1] == '\r')
        len--;
    irc__line(c, len > IRC_MAX_LINE ? NULL : msg, len);
}

static void on_close(ws_t *ws)
{
    irc_client_t *c = ws_data(ws);
    ws_set_data(ws, NULL);
    if (c)
        irc__client_free(c);
}

const ws_handler_t irc_ws_handler = {on_open, on_text, on_close, subprotocols, true};
