/* The in-process bus: a hash of topics, each with its subscribers in subscription order, called
 * synchronously by bus_publish().
 *
 * Unsubscribing during a delivery of the same topic must not pull the list out from under the
 * publisher, so while a topic is being published (busy > 0) an unsubscribed entry is only marked
 * dead (and skipped); the outermost publish reaps dead entries and empty topics afterwards. */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "bus/bus.h"
#include "util/list.h"
#include "util/xmalloc.h"

typedef struct topic {
    char *name;
    list_t subs;   /* bus_sub.link */
    unsigned busy; /* publishes of this topic in progress (nested publishes allowed) */
    bool has_dead;
    UT_hash_handle hh;
} topic_t;

struct bus_sub {
    topic_t *topic;
    bus_deliver_cb cb;
    void *ud;
    bool dead;
    list_t link;
};

struct bus {
    topic_t *topics;
};

bus_t *bus_inproc_new(void)
{
    return xcalloc(1, sizeof(bus_t));
}

static void topic_free(bus_t *b, topic_t *t)
{
    list_foreach_safe(it, tmp, &t->subs)
    {
        free(list_entry(it, bus_sub_t, link));
    }
    HASH_DELETE(hh, b->topics, t);
    free(t->name);
    free(t);
}

/* Frees dead subscriptions and, if none is left, the topic. Not while the topic is busy. */
static void topic_reap(bus_t *b, topic_t *t)
{
    if (t->has_dead) {
        list_foreach_safe(it, tmp, &t->subs)
        {
            bus_sub_t *s = list_entry(it, bus_sub_t, link);
            if (s->dead) {
                list_remove(&s->link);
                free(s);
            }
        }
        t->has_dead = false;
    }
    if (list_empty(&t->subs))
        topic_free(b, t);
}

void bus_free(bus_t *b)
{
    if (b == NULL)
        return;
    topic_t *t, *tmp;
    HASH_ITER(hh, b->topics, t, tmp)
    {
        topic_free(b, t);
    }
    free(b);
}

bus_sub_t *bus_subscribe(bus_t *b, const char *topic, bus_deliver_cb cb, void *ud)
{
    topic_t *t;
    HASH_FIND_STR(b->topics, topic, t);
    if (t == NULL) {
        t = xcalloc(1, sizeof(*t));
        t->name = xstrdup(topic);
        list_init(&t->subs);
        HASH_ADD_KEYPTR(hh, b->topics, t->name, strlen(t->name), t);
    }
    bus_sub_t *s = xcalloc(1, sizeof(*s));
    s->topic = t;
    s->cb = cb;
    s->ud = ud;
    list_push_back(&t->subs, &s->link);
    return s;
}

void bus_unsubscribe(bus_t *b, bus_sub_t *sub)
{
    if (sub == NULL || sub->dead)
        return;
    topic_t *t = sub->topic;
    sub->dead = true;
    t->has_dead = true;
    if (t->busy == 0)
        topic_reap(b, t);
}

/* Subscribers added during the publish are reached too (they sit at the tail). */
unsigned bus_publish(bus_t *b, const char *topic, core_event_t *ev)
{
    topic_t *t;
    HASH_FIND_STR(b->topics, topic, t);
    if (t == NULL)
        return 0;
    unsigned n = 0;
    t->busy++;
    /* Entries are not freed while busy, so it->next stays valid across the callback. */
    list_foreach(it, &t->subs)
    {
        bus_sub_t *s = list_entry(it, bus_sub_t, link);
        if (s->dead)
            continue;
        s->cb(s->ud, ev);
        n++;
    }
    if (--t->busy == 0 && t->has_dead)
        topic_reap(b, t);
    return n;
}
