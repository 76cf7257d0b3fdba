/* The REST API under /api/v1/ and the operator endpoints /healthz and /metrics
 * (docs/PROTOCOL.md "REST API", docs/OPERATIONS.md "Metrics"). */
#ifndef PARLEY_HTTP_REST_H
#define PARLEY_HTTP_REST_H

#include "http/http.h"

void rest_handle(const http_request_t *r);
void rest_handle_ops(const http_request_t *r);

#endif
