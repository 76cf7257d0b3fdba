/* Shared by the config unit tests: loads INI text through a temporary file. Include after
 * <cmocka.h>. */
#ifndef PARLEY_TESTS_UNIT_UTIL_CONFIG_LOAD_H
#define PARLEY_TESTS_UNIT_UTIL_CONFIG_LOAD_H

#include <string.h>
#include <unistd.h>

#include "util/config.h"

static int load(config_t *cfg, const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/parley-config-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = config_load_file(cfg, path, err, errlen);
    unlink(path);
    return rc;
}

#endif
