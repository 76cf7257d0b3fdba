/* Server-Sent Events framing for the JSON tunnel (docs/PROTOCOL.md, "SSE"). An event is
 * "id: SEQ\ndata: JSON\n\n": the head and the closing "\n" are framed here, the JSON line between
 * them ("JSON\n", core_event_t's CORE_SLOT_JSON_LINE) is the buffer shared by every recipient. */
#ifndef PARLEY_PROTO_JSON_SSE_H
#define PARLEY_PROTO_JSON_SSE_H

#include <stdint.h>

#include "util/rbuf.h"

/* "id: SEQ\ndata: " (a new reference). */
rbuf_t *sse_event_head(uint64_t seq);
/* The "\n" that ends an event after its line (a shared reference: unref it like any other). */
rbuf_t *sse_event_tail(void);
/* A comment line that keeps proxies from timing the stream out (": keep-alive\n\n"). */
rbuf_t *sse_heartbeat(void);
/* Parses a Last-Event-ID (a decimal sequence number, at most 19 digits, no sign or spaces).
 * 0 or -EINVAL. */
int sse_parse_id(const char *s, uint64_t *out);
/* Frees the shared buffers (at exit, for leak checkers). */
void sse_global_cleanup(void);

#endif
