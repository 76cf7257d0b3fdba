/* The REST API under /api/v1/ and the operator endpoints /healthz and /metrics
 * (docs/PROTOCOL.md "REST API", docs/OPERATIONS.md "Metrics"). */
#ifndef PARLEY_HTTP_REST_H
#define PARLEY_HTTP_REST_H

#include "http/http.h"

void rest_handle(const http_request_t *r);
void rest_handle_ops(const http_request_t *r);
/* rest_admin.c: everything under /api/v1/admin/ (folders, rooms, access lists, groups, bans). */
void rest_admin_handle(const http_request_t *r);

/* Whether the request may use the admin API; if not, answers it (403 when the API is off, 401
 * with WWW-Authenticate for a missing or wrong token) and returns false. */
bool rest_require_admin(const http_request_t *r);
/* The error answer for a GROUP_E* code. */
void rest_group_error(const http_request_t *r, int err);

/* rest_settings.c: /api/v1/admin/words (GET, PUT, DELETE) of the request's group. */
void rest_words(const http_request_t *r);

/* rest_groups.c: /api/v1/admin/groups[/NAME] (GET, POST; GET, PATCH, DELETE). */
void rest_groups(const http_request_t *r, const char *sub);

#endif
