/* The REST API under /api/v1/ and the operator endpoints /healthz and /metrics
 * (docs/PROTOCOL.md "REST API", docs/OPERATIONS.md "Metrics"). */
#ifndef PARLEY_HTTP_REST_H
#define PARLEY_HTTP_REST_H

#include "http/http.h"

void rest_handle(const http_request_t *r);
void rest_handle_ops(const http_request_t *r);
/* rest_admin.c: everything under /api/v1/admin/ (folders, rooms, access lists, groups, bans). */
void rest_admin_handle(const http_request_t *r);

/* Whether the request may use the admin API of its group: a sysop of the group (rest_sysop) or
 * the admin_token. If not, answers it (403 for an account that is no sysop, or when there is no
 * admin_token to check; 401 with WWW-Authenticate for a missing or wrong token) and returns
 * false. */
bool rest_require_admin(const http_request_t *r);
/* The same for the server-wide admin API (chat groups): the admin_token only. */
bool rest_require_admin_token(const http_request_t *r);
/* The error answer for a GROUP_E* code. */
void rest_group_error(const http_request_t *r, int err);

/* rest_settings.c: /api/v1/admin/words (GET, PUT, DELETE) of the request's group. */
void rest_words(const http_request_t *r);
/* rest_settings.c: /api/v1/admin/settings (GET, PATCH) of the request's group. */
void rest_settings(const http_request_t *r);

/* rest_admin.c: the error answer for a CORE_E* code (its HTTP status and error code), and the
 * request's body as a JSON object (a new reference), or NULL after answering 400. */
void rest_core_error(const http_request_t *r, int err);
json_t *rest_body_object(const http_request_t *r);

/* rest_events.c: /api/v1/admin/events[/NAME[/end]] (rest is what follows "/events") and the
 * public /api/v1/events of the request's group. */
void rest_events_admin(const http_request_t *r, const char *rest);
void rest_events_public(const http_request_t *r);

/* rest_status.c: /api/v1/admin/status (GET) of the request's group, the chat status. */
void rest_status(const http_request_t *r);

/* rest_groups.c: /api/v1/admin/groups[/NAME] (GET, POST; GET, PATCH, DELETE). */
void rest_groups(const http_request_t *r, const char *sub);

/* rest_auth.c: /api/v1/auth/... and /api/v1/admin/banned (docs/PROTOCOL.md, "Accounts"). */
void rest_auth_handle(const http_request_t *r);
void rest_banned_handle(const http_request_t *r);
/* Whether the request carries a sysop's session token (a registered sysop account whose password
 * is not a one-time one) or the configured admin_token. */
bool rest_sysop(const http_request_t *r);
/* An account as the REST API shows it (a new reference). */
json_t *rest_account_json(const store_account_t *a);
/* The account whose session token the request carries into *out (deinit it), or false. */
bool rest_account(const http_request_t *r, store_account_t *out);
/* rest_record.c: /api/v1/admin/recordings[/ID[/export]] (docs/PROTOCOL.md, "Recordings"). */
void rest_recordings(const http_request_t *r, const char *sub);
/* Whether it carries a valid session token of any account. */
bool rest_has_account(const http_request_t *r);

/* rest.c: the raw value of key in a query string "a=1&b=2" into out (truncated to outlen - 1). */
bool rest_query_get(const char *query, const char *key, char *out, size_t outlen);
/* 405 with an Allow header. */
void rest_not_allowed(const http_request_t *r, const char *allow);

#endif
