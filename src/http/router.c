/* Which handler answers which URL, and for which chat group (group.h): a path "/g/NAME/..." is
 * group NAME's (the prefix is taken off before routing), else the group whose hosts hold the Host
 * header, else the default group. */
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "http/http.h"
#include "http/rest.h"
#include "http/static.h"
#include "http/ws.h"
#include "proto/irc/irc.h"
#include "proto/json/json_proto.h"

/* Sets r->group and strips a "/g/NAME" prefix from r->path. Returns false once it has answered
 * the request itself (an unknown group, or "/g/NAME" without its slash). */
static bool route_group(http_request_t *r)
{
    app_t *app = http_app(r);
    const char *p = r->path;
    if (strncmp(p, "/g/", 3) != 0) {
        r->group = group_for_host(app, http_header(r, "Host"));
        if (r->group == NULL)
            r->group = group_default(app);
        return true;
    }
    const char *name = p + 3, *slash = strchr(name, '/');
    size_t nl = slash ? (size_t)(slash - name) : strlen(name);
    char gname[64];
    group_t *g = NULL;
    if (nl > 0 && nl < sizeof(gname)) {
        memcpy(gname, name, nl);
        gname[nl] = '\0';
        g = group_find(app, gname);
    }
    r->group = g ? g : group_default(app); /* errors are answered by someone */
    if (g == NULL) {
        http_respond_error(r, 404, "no_such_group", "no such chat group");
        return false;
    }
    if (slash == NULL) {
        char loc[128];
        snprintf(loc, sizeof(loc), "Location: /g/%s/\r\n", g->name);
        http_respond(r, 301, "text/plain", "moved\n", 6, loc, false);
        return false;
    }
    r->path = slash;
    return true;
}

void http_route(const http_request_t *in)
{
    http_request_t req = *in;
    http_request_t *r = &req;
    if (!route_group(r))
        return;
    const char *p = r->path;
    if (strcmp(p, "/ws") == 0) {
        ws_upgrade(r, &json_ws_handler);
        return;
    }
    if (strcmp(p, "/irc") == 0 && http_app(r)->cfg->irc.websocket) {
        ws_upgrade(r, &irc_ws_handler);
        return;
    }
    if (r->upgrade) {
        http_respond_text(r, 404, "no WebSocket endpoint here");
        return;
    }
    if (json_tunnel_handle(r))
        return;
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
