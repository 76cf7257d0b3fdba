/* HTTP/1.1 on a connection: llhttp parses requests (keep-alive and pipelining included), the router
 * answers them, and limits give bad input its documented answer (docs/PROTOCOL.md, "HTTP answers").
 * The per-connection parser state exists only while the connection speaks HTTP: a WebSocket
 * upgrade frees it. */
#ifndef PARLEY_HTTP_HTTP_H
#define PARLEY_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "app.h"
#include "net/conn.h"

/* Header fields in one request (beyond: 431). The head's and one line's size and the body's are
 * the configuration's [limits] max_head, max_header and max_body. */
#define HTTP_MAX_HEADERS 64

typedef struct http_conn http_conn_t;

/* A complete request, valid during the handler call. */
typedef struct http_request {
    int method;              /* llhttp_method_t */
    const char *method_name; /* "GET" */
    const char *target;      /* as sent: "/api/v1/rooms?x=1" */
    const char *path;        /* target before '?', not percent-decoded */
    const char *query;       /* after '?', or "" */
    const char *body;
    size_t body_len;
    bool keep_alive;
    bool upgrade;
    http_conn_t *hc;
    struct group *group; /* the chat group the request is for (set by the router) */
} http_request_t;

/* Installs the HTTP handler on a fresh connection. */
void http_accept(app_t *app, conn_t *c);

app_t *http_app(const http_request_t *r);
/* The chat group the request addresses (group.h); never NULL inside a handler. */
struct group *http_group(const http_request_t *r);
conn_t *http_conn(const http_request_t *r);
/* Case-insensitive lookup; NULL if absent. */
const char *http_header(const http_request_t *r, const char *name);

/* Queues a whole response. extra_headers is NULL or lines each ending in "\r\n". Any status >= 400,
 * or a request without keep-alive, closes the connection after the answer. body may be NULL when
 * len is 0; with head_only the body is not sent (HEAD) but Content-Length still says len. */
void http_respond(const http_request_t *r, int status, const char *content_type, const void *body,
                  size_t len, const char *extra_headers, bool head_only);
void http_respond_text(const http_request_t *r, int status, const char *text);
/* Takes the reference to obj. */
void http_respond_json(const http_request_t *r, int status, json_t *obj);
/* {"error": {"code": code, "message": message}} */
void http_respond_error(const http_request_t *r, int status, const char *code, const char *message);

/* A chunked answer (Transfer-Encoding: chunked) for a body built piece by piece in bounded
 * memory: begin (status 2xx; extra_headers as for http_respond), any number of chunks (each
 * copied into the output queue at once), end. All within the handler call. */
void http_chunked_begin(const http_request_t *r, int status, const char *content_type,
                        const char *extra_headers);
void http_chunk(const http_request_t *r, const void *data, size_t len);
void http_chunked_end(const http_request_t *r);

/* Hands the connection to another protocol (WebSocket). After the current handler returns, the HTTP
 * state is freed and bytes that followed the request are passed to the new handler's on_read. */
void http_hand_over(const http_request_t *r, const conn_handler_t *h, void *data);

/* Answering later (a handler waiting for a password hash or a brute-force delay). http_later()
 * keeps the request's answer pending after the handler returns; the request's headers and body are
 * gone then (copy what you need first), and the connection reads no further request until the
 * answer. Answer with http_later_request() and any http_respond*(), then call http_later_end(),
 * which frees the handle and resumes the connection (pipelined requests are handled then). */
typedef struct http_later http_later_t;
http_later_t *http_later(const http_request_t *r);
/* The request to answer, or NULL if the connection has closed meanwhile (just end it then). */
const http_request_t *http_later_request(http_later_t *l);
void http_later_end(http_later_t *l);
/* fn(ud) is called if the connection closes while the answer is pending (a long wait that
 * should end with it); fn may call http_later_end. */
void http_later_on_gone(http_later_t *l, void (*fn)(void *ud), void *ud);

const char *http_status_text(int status);
/* The Strict-Transport-Security header line (with its CRLF) for a response on c: "" unless c
 * speaks TLS and [tls] hsts_max_age is set. Valid until the next call. */
const char *http_hsts(app_t *app, const conn_t *c);

/* The router (router.c): answers one complete request. */
void http_route(const http_request_t *r);

#endif
