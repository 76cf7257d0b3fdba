/* Shared by the core's unit tests over the real store: a temporary directory, a loop and a bus
 * (setup/teardown for cmocka), and close_all() for the core and store a test opened in it.
 * Include after <cmocka.h>. */
#ifndef PARLEY_TESTS_UNIT_CORE_STORE_FIXTURE_H
#define PARLEY_TESTS_UNIT_CORE_STORE_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fake_session.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];
    uv_loop_t loop;
    store_t *st;
    bus_t *bus;
    core_t *core;
} fixture_t;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/parley-core-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->bus = bus_inproc_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bus_free(f->bus);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void close_all(fixture_t *f)
{
    core_free(f->core);
    f->core = NULL;
    store_close(f->st);
    f->st = NULL;
    uv_run(&f->loop, UV_RUN_DEFAULT); /* lets the store's async handle close */
}

#endif
