/* The native protocol: JSON messages (docs/PROTOCOL.md). codec.c turns core objects and events into
 * JSON; session.c runs one client session over a WebSocket and implements the core's session_ops.
 */
#ifndef PARLEY_PROTO_JSON_JSON_PROTO_H
#define PARLEY_PROTO_JSON_JSON_PROTO_H

#include <jansson.h>

#include "core/core.h"
#include "http/ws.h"

/* New references. */
json_t *json_room_summary(const room_t *r);
json_t *json_table_summary(const table_t *t);
json_t *json_table_view(const table_t *t);
json_t *json_event(const core_event_t *ev);
/* The table's history as an array of message events, oldest first. */
json_t *json_table_history(const table_t *t);

/* The WebSocket handler of the JSON protocol (GET /ws). */
extern const ws_handler_t json_ws_handler;

/* Closes every JSON WebSocket session with code and reason (shutdown). */
void json_ws_close_all(uint16_t code, const char *reason);

#endif
