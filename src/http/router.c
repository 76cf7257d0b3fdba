/* Which handler answers which URL. */
#include <string.h>

#include "http/http.h"
#include "http/rest.h"
#include "http/static.h"
#include "http/ws.h"
#include "proto/json/json_proto.h"

void http_route(const http_request_t *r)
{
    const char *p = r->path;
    if (strcmp(p, "/ws") == 0) {
        ws_upgrade(r, &json_ws_handler);
        return;
    }
    if (r->upgrade) {
        http_respond_text(r, 404, "no WebSocket endpoint here");
        return;
    }
    if (strncmp(p, "/api/", 5) == 0) {
        rest_handle(r);
        return;
    }
    if (strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0) {
        rest_handle_ops(r);
        return;
    }
    static_handle(r);
}
