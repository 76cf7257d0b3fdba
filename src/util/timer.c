#include <stdlib.h>

#include <uv.h>

#include "util/timer.h"
#include "util/xmalloc.h"

struct uvtimer {
    uv_timer_t h;
    void (*fn)(void *arg);
    void *arg;
};

static void on_close(uv_handle_t *h)
{
    free(h->data);
}

static void on_fire(uv_timer_t *h)
{
    struct uvtimer *t = h->data;
    void (*fn)(void *) = t->fn;
    void *arg = t->arg;
    uv_close((uv_handle_t *)&t->h, on_close); /* before fn, which may start the next timer */
    fn(arg);
}

void *uvtimer_start(void *ud, uint64_t ms, void (*fn)(void *arg), void *arg)
{
    struct uvtimer *t = xcalloc(1, sizeof(*t));
    if (uv_timer_init(ud, &t->h) < 0) {
        free(t);
        return NULL;
    }
    t->h.data = t;
    t->fn = fn;
    t->arg = arg;
    if (uv_timer_start(&t->h, on_fire, ms, 0) < 0) {
        uv_close((uv_handle_t *)&t->h, on_close);
        return NULL;
    }
    return t;
}

void uvtimer_stop(void *ud, void *timer)
{
    struct uvtimer *t = timer;
    if (t == NULL)
        return;
    uv_timer_stop(&t->h);
    uv_close((uv_handle_t *)&t->h, on_close);
}
