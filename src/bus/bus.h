/* The fan-out bus: events published to a topic reach every subscriber of that topic. The core
 * publishes each table's events to the topic "ROOM/TABLE" and subscribes its local fan-out to the
 * topics of the tables it hosts. The in-process backend (inproc.c) calls subscribers synchronously,
 * in subscription order; a later networked backend relays between nodes behind the same calls.
 * Loop thread only. Topics are copied; events are borrowed for the duration of the call. */
#ifndef PARLEY_BUS_BUS_H
#define PARLEY_BUS_BUS_H

#include "core/core.h"

typedef struct bus_sub bus_sub_t;
typedef void (*bus_deliver_cb)(void *ud, core_event_t *ev);

bus_t *bus_inproc_new(void);
/* All subscriptions must have been removed. NULL is a no-op. */
void bus_free(bus_t *b);
bus_sub_t *bus_subscribe(bus_t *b, const char *topic, bus_deliver_cb cb, void *ud);
/* Safe to call from inside a delivery callback of the same topic. */
void bus_unsubscribe(bus_t *b, bus_sub_t *sub);
/* Returns the number of subscribers reached. */
unsigned bus_publish(bus_t *b, const char *topic, core_event_t *ev);

#endif
