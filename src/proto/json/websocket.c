/* The WebSocket transport of the JSON protocol (GET /ws): the ws_handler_t glue between
 * src/http/ws.c and a JSON session. A close the WebSocket layer decides (a broken frame, a slow
 * reader) ends the session; the peer's own close, or a lost connection, leaves it to
 * json_session_gone (detached, if it may be resumed). */
#include "proto/json/json_proto.h"

static int ws_tr_send(void *t, uint64_t seq, rbuf_t *msg)
{
    return ws_send(t, msg);
}

static void ws_tr_close(void *t, uint16_t code, const char *reason)
{
    ws_set_data(t, NULL);
    ws_close(t, code, reason);
}

static void ws_tr_peer(void *t, char *out, size_t outlen)
{
    ws_peer(t, out, outlen);
}

static void ws_tr_rebind(void *t, jsess_t *js)
{
    ws_set_data(t, js);
}

static const json_transport_t ws_transport = {"websocket", CORE_SLOT_JSON_WS, ws_tr_send,
                                              ws_tr_close, ws_tr_peer,        ws_tr_rebind};

static void on_open(ws_t *ws)
{
    ws_set_data(ws, json_session_new(&ws_transport, ws, ws_group(ws), NULL));
}

static void on_text(ws_t *ws, const char *msg, size_t len)
{
    json_session_input(ws_data(ws), msg, len);
}

/* A close the WebSocket layer decided for a broken frame ends the session; the peer's own close
 * (frame or TCP) only detaches it. */
static void on_close(ws_t *ws)
{
    jsess_t *js = ws_data(ws);
    if (js == NULL)
        return;
    uint16_t code = ws_close_code(ws);
    /* 1001 here is the idle timeout (ws.c; shutdown closes through ws_tr_close): a peer gone
     * silent is a lost connection, so its session is detached like one */
    if (code != 0 && code != 1000 && code != 1001)
        json_session_free(js);
    else
        json_session_gone(js);
}

const ws_handler_t json_ws_handler = {on_open, on_text, on_close, NULL, false};
