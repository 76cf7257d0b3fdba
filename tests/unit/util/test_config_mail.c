/* Unit tests for the [mail] section of src/util/config.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/config.h"

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/parley-config-mail-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int load(config_t *cfg, const char *text, char *err, size_t errlen)
{
    char *path = write_tmp(text);
    int rc = config_load_file(cfg, path, err, errlen);
    unlink(path);
    free(path);
    return rc;
}

static void test_mail_defaults(void **state)
{
    config_t cfg;
    config_init(&cfg);
    assert_string_equal(cfg.mail.smtp_host, ""); /* mail disabled */
    assert_int_equal(cfg.mail.smtp_port, 25);
    assert_int_equal(cfg.mail.starttls, CONFIG_STARTTLS_TRY);
    assert_string_equal(cfg.mail.username, "");
    assert_string_equal(cfg.mail.password, "");
    assert_string_equal(cfg.mail.from, "");
    assert_int_equal(cfg.mail.timeout, 10);
    assert_int_equal(cfg.mail.connect_timeout, 5);
    assert_string_equal(cfg.mail.template_file, "");
    config_deinit(&cfg);
}

static void test_mail_keys(void **state)
{
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(load(&cfg,
                          "[mail]\nsmtp_host = relay.example.org\nsmtp_port = 587\n"
                          "starttls = required\nusername = parley\npassword = s3cret\n"
                          "from = noreply@example.org\ntimeout = 30\nconnect_timeout = 7\n"
                          "template_file = /etc/parley/validate.txt\n",
                          err, sizeof(err)),
                     0);
    assert_string_equal(cfg.mail.smtp_host, "relay.example.org");
    assert_int_equal(cfg.mail.smtp_port, 587);
    assert_int_equal(cfg.mail.starttls, CONFIG_STARTTLS_REQUIRED);
    assert_string_equal(cfg.mail.username, "parley");
    assert_string_equal(cfg.mail.password, "s3cret");
    assert_string_equal(cfg.mail.from, "noreply@example.org");
    assert_int_equal(cfg.mail.timeout, 30);
    assert_int_equal(cfg.mail.connect_timeout, 7);
    assert_string_equal(cfg.mail.template_file, "/etc/parley/validate.txt");

    assert_int_equal(load(&cfg, "[mail]\nstarttls = off\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.mail.starttls, CONFIG_STARTTLS_OFF);
    assert_int_equal(load(&cfg, "[mail]\nstarttls = try\nsmtp_host =\n", err, sizeof(err)), 0);
    assert_int_equal(cfg.mail.starttls, CONFIG_STARTTLS_TRY);
    assert_string_equal(cfg.mail.smtp_host, "");
    assert_int_equal(cfg.mail.smtp_port, 587); /* kept from the earlier file */
    config_deinit(&cfg);
}

static void test_mail_errors(void **state)
{
    const char *bad[] = {
        "[mail]\nstarttls = yes\n",      /* not off|try|required */
        "[mail]\nstarttls = TRY\n",      /* names are lower case */
        "[mail]\nsmtp_port = 0\n",       /* out of range */
        "[mail]\nsmtp_port = 65536\n",   /* out of range */
        "[mail]\ntimeout = 0\n",         /* out of range */
        "[mail]\nconnect_timeout = x\n", /* not a number */
        "[mail]\nhost = relay\n",        /* unknown key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        config_t cfg;
        char err[256];
        config_init(&cfg);
        assert_true(load(&cfg, bad[i], err, sizeof(err)) < 0);
        assert_true(strlen(err) > 0);
        config_deinit(&cfg);
    }
    config_t cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(load(&cfg, "[mail]\nstarttls = sometimes\n", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "[mail] starttls must be off, try or required"));
    config_deinit(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail_defaults),
        cmocka_unit_test(test_mail_keys),
        cmocka_unit_test(test_mail_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
