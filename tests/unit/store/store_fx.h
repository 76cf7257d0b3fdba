/* A store in a fresh temporary directory for the store's unit tests: open it, and close it and
 * remove the directory again. Header-only. */
#ifndef PARLEY_TESTS_UNIT_STORE_STORE_FX_H
#define PARLEY_TESTS_UNIT_STORE_STORE_FX_H

#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "store/store.h"

/* Makes /tmp/PREFIX-XXXXXX in dir (at least 64 bytes), a loop and a store there: 0 or -1. */
static inline int store_fx_open(const char *prefix, char *dir, uv_loop_t *loop, store_t **st)
{
    snprintf(dir, 64, "/tmp/%s-XXXXXX", prefix);
    if (mkdtemp(dir) == NULL)
        return -1;
    uv_loop_init(loop);
    store_options_t opt = {.dir = dir};
    return store_open(loop, &opt, st) < 0 ? -1 : 0;
}

/* Closes the store, runs the loop out and removes dir: 0 or -1. */
static inline int store_fx_close(const char *dir, uv_loop_t *loop, store_t *st)
{
    store_close(st);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
