#include "listeners.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "net/proxy.h"
#include "net/tls.h"
#include "proto/irc/irc.h"
#include "proto/json/json_proto.h"
#include "util/log.h"

#define MAX_LISTENERS 16

struct listener_conf {
    char name[64];
    int protocol; /* config_proto_t */
    bool tls;
    int proxy; /* proxy_mode_t */
    bool implicit;
    bool optional; /* the IRC gateway's default address: a taken port is a warning */
    char host[256];
    int port; /* configured; 0: any */
    int bound;
};

static struct listener_conf lst[MAX_LISTENERS];
static unsigned nlst;
static tls_t *tls;

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(lst[0].name))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '-' || s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
              (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

/* Adds one listener to the table; -1 (logged) for a bad name or address. */
static int add(const char *name, const char *address, int protocol, int use_tls, int proxy,
               bool implicit)
{
    if (!valid_name(name)) {
        log_error("bad listener name '%s' (letters, digits, '-' and '_', at most 63)", name);
        return -1;
    }
    for (unsigned i = 0; i < nlst; i++)
        if (strcmp(lst[i].name, name) == 0) {
            log_error("two listeners are named '%s'", name);
            return -1;
        }
    if (nlst == MAX_LISTENERS) {
        log_error("too many listeners (at most %d)", MAX_LISTENERS);
        return -1;
    }
    if (address == NULL || address[0] == '\0') {
        log_error("[listener %s] has no address (want address = HOST:PORT)", name);
        return -1;
    }
    struct listener_conf *l = &lst[nlst];
    memset(l, 0, sizeof(*l));
    if (config_parse_listen(address, l->host, sizeof(l->host), &l->port) < 0) {
        log_error("bad address '%s' of listener %s (want HOST:PORT)", address, name);
        return -1;
    }
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->protocol = protocol;
    l->tls = use_tls;
    l->proxy = proxy;
    l->implicit = implicit;
    nlst++;
    return 0;
}

/* The IRC gateway's address ([irc] listen): as set ("" is off), or by default the HTTP
 * listener's host with port 6667, unless HTTP listens on a port picked at start (0: tests, tools),
 * where a fixed port would collide. false: no IRC listener. */
static bool irc_address(const config_t *cfg, char *out, size_t outlen, bool *optional)
{
    char host[256];
    int port;
    *optional = cfg->irc.listen == NULL;
    if (cfg->irc.listen) {
        snprintf(out, outlen, "%s", cfg->irc.listen);
        return out[0] != '\0';
    }
    if (cfg->listen[0] == '\0' || config_parse_listen(cfg->listen, host, sizeof(host), &port) < 0 ||
        port == 0)
        return false;
    snprintf(out, outlen, strchr(host, ':') ? "[%s]:6667" : "%s:6667", host);
    return true;
}

static void on_http(void *ud, conn_t *c)
{
    http_accept(ud, c);
}

/* The table from the configuration, and the certificate if any listener needs it. */
static int build(const config_t *cfg)
{
    bool want_tls = false;
    nlst = 0;
    if (cfg->listen[0] && add("default", cfg->listen, CONFIG_PROTO_HTTP, 0, 0, true) < 0)
        return -1;
    if (cfg->json_listen[0] && add("json", cfg->json_listen, CONFIG_PROTO_JSON, 0, 0, true) < 0)
        return -1;
    char irc[300];
    bool optional;
    if (irc_address(cfg, irc, sizeof(irc), &optional)) {
        /* named in the port file: a bare third port could not be told from the direct socket's */
        if (add("irc", irc, CONFIG_PROTO_IRC, 0, 0, false) < 0)
            return -1;
        lst[nlst - 1].optional = optional;
    }
    for (size_t i = 0; i < cfg->nlisteners; i++) {
        const config_listener_t *c = &cfg->listeners[i];
        if (add(c->name, c->address, c->protocol, c->tls, c->proxy, false) < 0)
            return -1;
        if (c->tls && cfg->tls.cert_file[0] == '\0') {
            log_error("listener %s has tls = on but [tls] cert_file is not set", c->name);
            return -1;
        }
        want_tls |= c->tls;
    }
    if (nlst == 0) {
        log_error("no listener: set [server] listen or add a [listener NAME]");
        return -1;
    }
    if (!want_tls)
        return 0;
    char err[512], desc[512];
    if (tls_new(cfg->tls.cert_file, cfg->tls.key_file, &tls, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    tls_describe(tls, desc, sizeof(desc));
    log_info("TLS certificate: %s", desc);
    return 0;
}

int listeners_open(app_t *app)
{
    if (build(app->cfg) < 0)
        return -1;
    for (unsigned i = 0; i < nlst; i++) {
        struct listener_conf *l = &lst[i];
        bool json = l->protocol == CONFIG_PROTO_JSON, irc = l->protocol == CONFIG_PROTO_IRC;
        server_listen_opts_t o = {
            .cb = json  ? json_direct_accept
                  : irc ? irc_accept
                        : on_http,
            .ud = app,
            .refuse_full = json  ? json_direct_refuse_full
                           : irc ? irc_refuse_full
                                 : NULL,
            .refuse_per_address = json  ? json_direct_refuse_per_address
                                  : irc ? irc_refuse_per_address
                                        : NULL,
            .tls = l->tls ? tls : NULL,
            .proxy = l->proxy,
        };
        int rc = server_listen_with(app->server, l->host, l->port, &o, &l->bound);
        if (rc < 0 && l->optional) {
            log_warn("IRC gateway off: cannot listen on %s:%d (%s); set [irc] listen", l->host,
                     l->port, uv_strerror(rc));
            l->bound = 0;
            continue;
        }
        if (rc < 0) {
            log_error("cannot listen on %s:%d (listener %s): %s", l->host, l->port, l->name,
                      uv_strerror(rc));
            return -1;
        }
        bool v6 = strchr(l->host, ':') != NULL;
        char where[300], extra[64] = "";
        snprintf(where, sizeof(where), "%s%s%s:%d", v6 ? "[" : "", l->host, v6 ? "]" : "",
                 l->bound);
        if (l->proxy)
            snprintf(extra, sizeof(extra), ", PROXY protocol %s", proxy_mode_name(l->proxy));
        if (json)
            log_info("direct JSON sockets%s on %s (listener %s%s)", l->tls ? " over TLS" : "",
                     where, l->name, extra);
        else if (irc)
            log_info("IRC gateway%s on %s (listener %s%s)", l->tls ? " over TLS" : "", where,
                     l->name, extra);
        else
            log_info("listening on %s://%s/ (listener %s%s)", l->tls ? "https" : "http", where,
                     l->name, extra);
    }
    return 0;
}

int listeners_write_port_file(const char *path)
{
    char tmp[4096];
    bool named = false;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -errno;
    /* first the implicit listeners' ports alone, as before named listeners existed */
    for (unsigned i = 0; i < nlst; i++) {
        if (lst[i].implicit)
            fprintf(f, "%d\n", lst[i].bound);
        else
            named = true;
    }
    static const char *const proto[] = {"http", "json", "irc"};
    for (unsigned i = 0; named && i < nlst; i++)
        if (lst[i].bound) /* 0: the IRC gateway's default port was taken */
            fprintf(f, "%s %s %s %d\n", lst[i].name, proto[lst[i].protocol],
                    lst[i].tls ? "on" : "off", lst[i].bound);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return -errno;
    return 0;
}

void listeners_local_url(char *out, size_t outlen)
{
    for (unsigned i = 0; i < nlst; i++)
        if (lst[i].protocol == CONFIG_PROTO_HTTP) {
            snprintf(out, outlen, "%s://localhost:%d", lst[i].tls ? "https" : "http", lst[i].bound);
            return;
        }
    snprintf(out, outlen, "http://localhost");
}

void listeners_reload_tls(void)
{
    char err[512], desc[512];
    if (tls == NULL)
        return;
    if (tls_reload(tls, err, sizeof(err)) < 0) {
        log_error("SIGHUP: TLS certificate not reloaded, the old one stays: %s", err);
        return;
    }
    tls_describe(tls, desc, sizeof(desc));
    log_info("SIGHUP: TLS certificate reloaded for new connections: %s", desc);
}

void listeners_free(void)
{
    tls_free(tls);
    tls = NULL;
    nlst = 0;
}
