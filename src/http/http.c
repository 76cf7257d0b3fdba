#include "http/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/xmalloc.h"

enum last_cb { CB_NONE, CB_URL, CB_FIELD, CB_VALUE };

struct http_conn {
    llhttp_t parser;
    app_t *app;
    conn_t *conn;
    /* The head: target, then each header name and value, NUL-separated; offsets index it. */
    buf_t head;
    struct {
        unsigned name, value;
    } hdr[HTTP_MAX_HEADERS];
    unsigned nhdr;
    enum last_cb last;
    size_t line_len; /* bytes of the header line being read (name and value) */
    buf_t body;
    int error_status;       /* set by a callback that rejects the request */
    const char *error_text; /* and its answer's text */
    bool started;           /* a byte of the current request has arrived */
    bool head_done;
    bool between; /* waiting for a next request (keepalive_timeout runs, not header_timeout) */
    bool handed_over;
    http_later_t *later; /* an answer pending (http_later) */
    buf_t stash;         /* bytes that arrived meanwhile */
    const conn_handler_t *next_handler;
    void *next_data;
};

struct http_later {
    http_conn_t *h; /* NULL once the connection closed */
    http_request_t req;
    void (*gone)(void *ud); /* http_later_on_gone */
    void *gone_ud;
};

static llhttp_settings_t settings;
static const conn_handler_t http_handler;

const char *http_status_text(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

static void reset_request(http_conn_t *h)
{
    buf_reset(&h->head);
    buf_deinit(&h->body);
    h->nhdr = 0;
    h->last = CB_NONE;
    h->error_status = 0;
    h->error_text = NULL;
    h->line_len = 0;
    h->started = false;
    h->head_done = false;
}

static int reject(http_conn_t *h, int status, const char *text)
{
    h->error_status = status;
    h->error_text = text;
    return -1;
}

static int append_head(http_conn_t *h, const char *at, size_t len)
{
    if (buf_append(&h->head, at, len) < 0)
        return reject(h, 431, "request head too large");
    return 0;
}

/* Header lines (name and value) longer than [limits] max_header are refused on their own, so
 * that one line cannot take the whole head. */
static int count_line(http_conn_t *h, size_t len)
{
    h->line_len += len;
    if (h->line_len > h->app->cfg->max_header)
        return reject(h, 431, "request header field too large");
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    http_conn_t *h = p->data;
    h->started = true;
    if (h->between) { /* the next request began: it has header_timeout to arrive */
        h->between = false;
        conn_timer_start(h->conn, (uint64_t)h->app->cfg->header_timeout * 1000);
    }
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *h = p->data;
    h->last = CB_URL;
    return append_head(h, at, len);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *h = p->data;
    if (h->last != CB_FIELD) {
        if (h->nhdr == HTTP_MAX_HEADERS)
            return reject(h, 431, "too many header fields");
        if (append_head(h, "", 1) < 0) /* terminate the target or the previous value */
            return -1;
        h->hdr[h->nhdr].name = (unsigned)h->head.len;
        h->hdr[h->nhdr].value = 0;
        h->nhdr++;
        h->line_len = 0;
    }
    h->last = CB_FIELD;
    if (count_line(h, len) < 0)
        return -1;
    return append_head(h, at, len);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *h = p->data;
    if (h->last != CB_VALUE) {
        if (append_head(h, "", 1) < 0)
            return -1;
        h->hdr[h->nhdr - 1].value = (unsigned)h->head.len;
    }
    h->last = CB_VALUE;
    if (count_line(h, len) < 0)
        return -1;
    return append_head(h, at, len);
}

static int on_headers_complete(llhttp_t *p)
{
    http_conn_t *h = p->data;
    if (append_head(h, "", 1) < 0)
        return -1;
    if (h->last == CB_FIELD) /* a name without a value */
        h->hdr[h->nhdr - 1].value = (unsigned)h->head.len - 1;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > h->app->cfg->max_body)
        return reject(h, 413, "request body too large"); /* before it is sent */
    h->head_done = true; /* the timer keeps running: the body must arrive in time too */
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *h = p->data;
    if (buf_append(&h->body, at, len) < 0)
        return reject(h, 413, "request body too large");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    return HPE_PAUSED; /* dispatch outside the parser (see http_on_read) */
}

const char *http_header(const http_request_t *r, const char *name)
{
    http_conn_t *h = r->hc;
    for (unsigned i = 0; i < h->nhdr; i++)
        if (strcasecmp(h->head.base + h->hdr[i].name, name) == 0)
            return h->head.base + h->hdr[i].value;
    return NULL;
}

struct group *http_group(const http_request_t *r)
{
    return r->group;
}

app_t *http_app(const http_request_t *r)
{
    return r->hc->app;
}

conn_t *http_conn(const http_request_t *r)
{
    return r->hc->conn;
}

const char *http_hsts(app_t *app, const conn_t *c)
{
    static char line[80];
    int age = app->cfg->tls.hsts_max_age;
    if (!conn_tls(c) || age <= 0)
        return "";
    snprintf(line, sizeof(line), "Strict-Transport-Security: max-age=%d\r\n", age);
    return line;
}

static void respond_raw(http_conn_t *h, int status, const char *ctype, const void *body, size_t len,
                        const char *extra, bool close, bool head_only)
{
    buf_t out;
    buf_init(&out, (size_t)-1);
    buf_printf(&out,
               "HTTP/1.1 %d %s\r\n"
               "Server: parley/" PARLEY_VERSION "\r\n"
               "Content-Length: %zu\r\n"
               "%s",
               status, http_status_text(status), len, http_hsts(h->app, h->conn));
    if (ctype)
        buf_printf(&out, "Content-Type: %s\r\n", ctype);
    if (extra)
        buf_appends(&out, extra);
    buf_appends(&out, close ? "Connection: close\r\n\r\n" : "\r\n");
    if (!head_only && len)
        buf_append(&out, body, len);
    conn_send_copy(h->conn, out.base, out.len);
    buf_deinit(&out);
    if (close)
        conn_close(h->conn, true);
}

void http_respond(const http_request_t *r, int status, const char *content_type, const void *body,
                  size_t len, const char *extra_headers, bool head_only)
{
    bool close = status >= 400 || !r->keep_alive || r->hc->app->stopping;
    respond_raw(r->hc, status, content_type, body, len, extra_headers, close, head_only);
}

void http_respond_text(const http_request_t *r, int status, const char *text)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "%s\n", text);
    http_respond(r, status, "text/plain; charset=utf-8", line, (size_t)n, NULL, false);
}

void http_respond_json(const http_request_t *r, int status, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (s == NULL) {
        http_respond_text(r, 500, "internal error");
        return;
    }
    http_respond(r, status, "application/json", s, strlen(s), NULL, false);
    free(s);
}

void http_respond_error(const http_request_t *r, int status, const char *code, const char *message)
{
    http_respond_json(r, status,
                      json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

void http_hand_over(const http_request_t *r, const conn_handler_t *handler, void *data)
{
    r->hc->handed_over = true;
    r->hc->next_handler = handler;
    r->hc->next_data = data;
}

/* ---- chunked answers (recording exports) ---- */

void http_chunked_begin(const http_request_t *r, int status, const char *content_type,
                        const char *extra_headers)
{
    buf_t out;
    buf_init(&out, (size_t)-1);
    buf_printf(&out,
               "HTTP/1.1 %d %s\r\n"
               "Server: parley/" PARLEY_VERSION "\r\n"
               "Transfer-Encoding: chunked\r\n"
               "Content-Type: %s\r\n"
               "%s",
               status, http_status_text(status), content_type, http_hsts(r->hc->app, r->hc->conn));
    if (extra_headers)
        buf_appends(&out, extra_headers);
    buf_appends(&out, "\r\n");
    conn_send_copy(r->hc->conn, out.base, out.len);
    buf_deinit(&out);
}

void http_chunk(const http_request_t *r, const void *data, size_t len)
{
    if (len == 0)
        return; /* an empty chunk would end the body */
    char head[24];
    int n = snprintf(head, sizeof head, "%zx\r\n", len);
    buf_t out;
    buf_init(&out, (size_t)-1);
    buf_append(&out, head, (size_t)n);
    buf_append(&out, data, len);
    buf_appends(&out, "\r\n");
    conn_send_copy(r->hc->conn, out.base, out.len);
    buf_deinit(&out);
}

void http_chunked_end(const http_request_t *r)
{
    conn_send_copy(r->hc->conn, "0\r\n\r\n", 5);
    if (!r->keep_alive || r->hc->app->stopping)
        conn_close(r->hc->conn, true);
}

static void fail(http_conn_t *h, int status, const char *text)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "%s\n", text);
    respond_raw(h, status, "text/plain; charset=utf-8", line, (size_t)n, NULL, true, false);
}

enum dispatch_result { D_KEEP, D_CLOSED, D_HANDED_OVER, D_LATER };

/* Waits for the next request on a keep-alive connection. */
static void wait_next(http_conn_t *h)
{
    h->between = true;
    conn_timer_start(h->conn, (uint64_t)h->app->cfg->keepalive_timeout * 1000);
}

/* Hands the request's X-Forwarded-For (every such header line, joined) to the server, which
 * believes it only from a trusted proxy. -EMFILE: the client is at max_connections_per_address. */
static int forwarded(http_conn_t *h)
{
    const server_options_t *o = server_options(conn_server(h->conn));
    if (o->trusted == NULL || o->trusted->n == 0)
        return 0;
    buf_t xff;
    buf_init(&xff, h->head.len + 1);
    for (unsigned i = 0; i < h->nhdr; i++)
        if (strcasecmp(h->head.base + h->hdr[i].name, "X-Forwarded-For") == 0) {
            if (xff.len)
                buf_append(&xff, ",", 1);
            buf_appends(&xff, h->head.base + h->hdr[i].value);
        }
    int rc = server_conn_forwarded(h->conn, xff.base, xff.len);
    buf_deinit(&xff);
    return rc;
}

/* Builds the request view and routes it. After D_CLOSED, h is gone. */
static enum dispatch_result dispatch(http_conn_t *h)
{
    http_request_t r = {0};
    char *target = h->head.base;
    r.method = h->parser.method;
    r.method_name = llhttp_method_name((llhttp_method_t)h->parser.method);
    r.target = target;
    r.keep_alive = llhttp_should_keep_alive(&h->parser);
    r.upgrade = h->parser.upgrade;
    r.hc = h;
    r.body = h->body.base ? h->body.base : "";
    r.body_len = h->body.len;
    /* split path and query in a copy so the target stays intact */
    size_t tlen = strlen(target);
    char *path = xmemdup0(target, tlen);
    char *q = strchr(path, '?');
    if (q) {
        *q = '\0';
        r.query = target + (q - path) + 1;
    } else {
        r.query = "";
    }
    r.path = path;
    conn_t *c = h->conn;
    conn_timer_stop(c);
    if (forwarded(h) < 0)
        fail(h, 429, "too many connections from your address");
    else
        http_route(&r);
    free(path);
    if (conn_closing(c))
        return D_CLOSED;
    if (h->handed_over)
        return D_HANDED_OVER;
    reset_request(h);
    if (h->later)
        return D_LATER; /* the keep-alive timer starts with the answer */
    wait_next(h);
    return D_KEEP;
}

static void free_http(http_conn_t *h)
{
    http_later_t *l = h->later;
    if (l) {
        l->h = NULL;
        if (l->gone)
            l->gone(l->gone_ud); /* may end l */
    }
    buf_deinit(&h->stash);
    buf_deinit(&h->head);
    buf_deinit(&h->body);
    free(h);
}

static void http_on_close(conn_t *c)
{
    http_conn_t *h = conn_data(c);
    if (h)
        free_http(h);
}

static void http_on_timer(conn_t *c)
{
    http_conn_t *h = conn_data(c);
    if (h->started)
        fail(h, 408, "request head not received in time");
    else
        conn_close(c, false); /* idle keep-alive connection */
}

static void http_on_read(conn_t *c, const char *data, size_t len)
{
    http_conn_t *h = conn_data(c);
    const char *p = data, *end = data + len;
    if (h->later) {
        if (buf_append(&h->stash, data, len) < 0)
            fail(h, 413, "too much sent while a request is pending");
        return;
    }
    while (p < end) {
        llhttp_errno_t err = llhttp_execute(&h->parser, p, (size_t)(end - p));
        if (err == HPE_OK)
            return;
        if (err == HPE_PAUSED) {
            const char *pos = llhttp_get_error_pos(&h->parser);
            llhttp_resume(&h->parser);
            enum dispatch_result d = dispatch(h);
            if (d == D_CLOSED)
                return;
            if (d == D_LATER) {
                buf_append(&h->stash, pos, (size_t)(end - pos)); /* within the stash's max */
                return;
            }
            if (d == D_HANDED_OVER) {
                const conn_handler_t *next = h->next_handler;
                conn_set_handler(c, next, h->next_data);
                free_http(h);
                if (pos < end)
                    next->on_read(c, pos, (size_t)(end - pos));
                return;
            }
            p = pos;
            continue;
        }
        if (err == HPE_PAUSED_UPGRADE) {
            /* Only reached for upgrade requests we did not dispatch (we always pause first). */
            fail(h, 400, "unexpected upgrade");
            return;
        }
        if (h->error_status)
            fail(h, h->error_status, h->error_text);
        else {
            log_debug("bad request: %s", llhttp_errno_name(err));
            fail(h, 400, "bad request");
        }
        return;
    }
}

static const conn_handler_t http_handler = {
    .on_read = http_on_read,
    .on_close = http_on_close,
    .on_timer = http_on_timer,
};

void http_accept(app_t *app, conn_t *c)
{
    static bool settings_ready;
    if (!settings_ready) {
        llhttp_settings_init(&settings);
        settings.on_message_begin = on_message_begin;
        settings.on_url = on_url;
        settings.on_header_field = on_header_field;
        settings.on_header_value = on_header_value;
        settings.on_headers_complete = on_headers_complete;
        settings.on_body = on_body;
        settings.on_message_complete = on_message_complete;
        settings_ready = true;
    }
    http_conn_t *h = xcalloc(1, sizeof(*h));
    h->app = app;
    h->conn = c;
    const config_t *cfg = app->cfg;
    buf_init(&h->head, cfg->max_head);
    buf_init(&h->body, cfg->max_body);
    buf_init(&h->stash, cfg->max_head + cfg->max_body + 4096);
    llhttp_init(&h->parser, HTTP_REQUEST, &settings);
    h->parser.data = h;
    conn_set_handler(c, &http_handler, h);
    conn_timer_start(c, (uint64_t)app->cfg->header_timeout * 1000);
}

http_later_t *http_later(const http_request_t *r)
{
    http_later_t *l = xcalloc(1, sizeof *l);
    l->h = r->hc;
    l->req = *r;
    l->req.target = l->req.path = l->req.query = l->req.body = "";
    l->req.body_len = 0;
    r->hc->later = l;
    return l;
}

void http_later_on_gone(http_later_t *l, void (*fn)(void *ud), void *ud)
{
    l->gone = fn;
    l->gone_ud = ud;
}

const http_request_t *http_later_request(http_later_t *l)
{
    return l->h && !conn_closing(l->h->conn) ? &l->req : NULL;
}

void http_later_end(http_later_t *l)
{
    http_conn_t *h = l->h;
    free(l);
    if (h == NULL)
        return;
    h->later = NULL;
    conn_t *c = h->conn;
    if (conn_closing(c))
        return;
    wait_next(h);
    if (h->stash.len > 0) {
        size_t len;
        char *data = buf_steal(&h->stash, &len);
        http_on_read(c, data, len); /* may close c and free h */
        free(data);
    }
}
