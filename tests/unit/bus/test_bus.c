/* Unit tests of the in-process bus: order, topic separation, unsubscribing during delivery and
 * nested publishing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bus/bus.h"

typedef struct probe {
    bus_t *bus;
    char log[128];
    bus_sub_t *self;   /* this probe's subscription */
    bus_sub_t *victim; /* unsubscribed when this probe is called (if set) */
    bool drop_self;
    const char *republish; /* topic published again from inside the callback (once) */
    char tag;
} probe_t;

static char order[128];

static void probe_cb(void *ud, core_event_t *ev)
{
    probe_t *p = ud;
    size_t n = strlen(order);
    order[n] = p->tag;
    order[n + 1] = '\0';
    n = strlen(p->log);
    p->log[n] = (char)('0' + ev->count);
    p->log[n + 1] = '\0';
    if (p->victim) {
        bus_unsubscribe(p->bus, p->victim);
        p->victim = NULL;
    }
    if (p->drop_self && p->self) {
        bus_unsubscribe(p->bus, p->self);
        p->self = NULL;
    }
    if (p->republish) {
        const char *t = p->republish;
        p->republish = NULL;
        core_event_t inner = {.count = ev->count + 1};
        bus_publish(p->bus, t, &inner);
    }
}

static probe_t *probe(bus_t *b, probe_t *p, char tag, const char *topic)
{
    memset(p, 0, sizeof(*p));
    p->bus = b;
    p->tag = tag;
    p->self = bus_subscribe(b, topic, probe_cb, p);
    assert_non_null(p->self);
    return p;
}

static void test_order_and_topics(void **state)
{
    bus_t *b = bus_inproc_new();
    probe_t x, y, z;
    probe(b, &x, 'x', "lobby/1");
    probe(b, &y, 'y', "lobby/1");
    probe(b, &z, 'z', "lobby/2");
    order[0] = '\0';
    core_event_t ev = {.count = 1};
    assert_int_equal(bus_publish(b, "lobby/1", &ev), 2);
    assert_string_equal(order, "xy");
    assert_string_equal(z.log, "");
    assert_int_equal(bus_publish(b, "lobby/2", &ev), 1);
    assert_int_equal(bus_publish(b, "lobby/3", &ev), 0);
    assert_int_equal(bus_publish(b, "lobby", &ev), 0);
    assert_string_equal(order, "xyz");
    /* the topic string is copied */
    char topic[16] = "games/1";
    probe_t g;
    probe(b, &g, 'g', topic);
    strcpy(topic, "xxxxx/9");
    assert_int_equal(bus_publish(b, "games/1", &ev), 1);
    bus_unsubscribe(b, x.self);
    bus_unsubscribe(b, y.self);
    assert_int_equal(bus_publish(b, "lobby/1", &ev), 0);
    /* a topic can be subscribed again after it emptied */
    probe(b, &x, 'x', "lobby/1");
    assert_int_equal(bus_publish(b, "lobby/1", &ev), 1);
    bus_unsubscribe(b, x.self);
    bus_unsubscribe(b, z.self);
    bus_unsubscribe(b, g.self);
    bus_unsubscribe(b, NULL);
    bus_free(b);
    bus_free(NULL);
}

static void test_unsubscribe_during_delivery(void **state)
{
    bus_t *b = bus_inproc_new();
    probe_t x, y, z;
    probe(b, &x, 'x', "t");
    probe(b, &y, 'y', "t");
    probe(b, &z, 'z', "t");
    /* x drops y (not yet called) and itself: only x and z are called */
    x.victim = y.self;
    x.drop_self = true;
    order[0] = '\0';
    core_event_t ev = {.count = 1};
    assert_int_equal(bus_publish(b, "t", &ev), 2);
    assert_string_equal(order, "xz");
    order[0] = '\0';
    assert_int_equal(bus_publish(b, "t", &ev), 1);
    assert_string_equal(order, "z");
    /* the last subscriber drops itself: the topic goes away after the publish */
    z.drop_self = true;
    assert_int_equal(bus_publish(b, "t", &ev), 1);
    assert_int_equal(bus_publish(b, "t", &ev), 0);
    bus_free(b);
}

static void test_unsubscribe_earlier(void **state)
{
    bus_t *b = bus_inproc_new();
    probe_t x, y;
    probe(b, &x, 'x', "t");
    probe(b, &y, 'y', "t");
    y.victim = x.self; /* already called this round */
    x.self = NULL;
    order[0] = '\0';
    core_event_t ev = {.count = 1};
    assert_int_equal(bus_publish(b, "t", &ev), 2);
    assert_int_equal(bus_publish(b, "t", &ev), 1);
    assert_string_equal(order, "xyy");
    bus_unsubscribe(b, y.self);
    bus_free(b);
}

static void test_nested_publish(void **state)
{
    bus_t *b = bus_inproc_new();
    probe_t x, y, o;
    probe(b, &x, 'x', "t");
    probe(b, &y, 'y', "t");
    probe(b, &o, 'o', "other");
    /* x publishes to t again from inside t's delivery, and y drops x during the inner publish:
     * x must stay allocated until the outer publish is done */
    x.republish = "t";
    y.victim = x.self;
    order[0] = '\0';
    core_event_t ev = {.count = 1};
    assert_int_equal(bus_publish(b, "t", &ev), 2);
    /* outer x -> inner (x, then y drops x) -> outer y */
    assert_string_equal(order, "xxyy");
    assert_string_equal(x.log, "12");
    assert_string_equal(y.log, "21");
    /* publishing another topic from a callback works too */
    y.republish = "other";
    order[0] = '\0';
    assert_int_equal(bus_publish(b, "t", &ev), 1);
    assert_string_equal(order, "yo");
    bus_unsubscribe(b, y.self);
    bus_unsubscribe(b, o.self);
    bus_free(b);
}

static void test_free_with_subs(void **state)
{
    /* bus_free() requires no subscriptions, but must not leak if some are left */
    bus_t *b = bus_inproc_new();
    probe_t x, y;
    probe(b, &x, 'x', "a");
    probe(b, &y, 'y', "b");
    bus_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_topics),
        cmocka_unit_test(test_unsubscribe_during_delivery),
        cmocka_unit_test(test_unsubscribe_earlier),
        cmocka_unit_test(test_nested_publish),
        cmocka_unit_test(test_free_with_subs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
