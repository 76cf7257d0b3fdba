/* Each chat group's accounts service (see group.h): built over the group's own store, so accounts,
 * tokens, sysops and the banned list of one group are unknown to every other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "proto/irc/irc.h"
#include "proto/json/json_proto.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* The base of g's validation links into out. */
static void group_url(const group_t *g, char *out, size_t outlen)
{
    const app_t *app = g->app;
    const char *base = app->public_url ? app->public_url : "http://localhost";
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    if (g == app->default_group)
        snprintf(out, outlen, "%.*s", (int)bl, base);
    else
        snprintf(out, outlen, "%.*s/g/%s", (int)bl, base, g->name);
}

/* Adds [accounts] banned to the group's banned list. */
static int seed_banned(group_t *g)
{
    char *list = xstrdup(g->app->cfg->accounts.banned), *save = NULL;
    int rc = 0;
    for (char *p = strtok_r(list, ", \t", &save); p && rc == 0; p = strtok_r(NULL, ", \t", &save)) {
        int err = auth_ban(g->auth, p);
        if (err == AUTH_EBADREQ) {
            log_error("[accounts] banned: '%s' is neither an e-mail address nor a domain", p);
            rc = -EINVAL;
        } else if (err < 0 && err != AUTH_EEXIST) {
            log_error("group %s: [accounts] banned: %s", g->name, auth_err_message(err));
            rc = err;
        }
    }
    free(list);
    return rc;
}

/* An account's class or flags changed: its sessions on every transport are re-identified. */
static void account_changed(void *ud, const store_account_t *acc)
{
    json_account_changed(ud, acc);
    irc_account_changed(ud, acc);
}

int group_accounts_open(group_t *g)
{
    const config_t *cfg = g->app->cfg;
    char url[1024];
    group_url(g, url, sizeof url);
    auth_config_t acfg = {
        .name = g->name,
        .hash_limits = (password_limits_t)cfg->accounts.hash_limits,
        .session_days = cfg->accounts.session_days,
        .validation_hours = cfg->accounts.validation_hours,
        .public_url = url,
        .tmpl = g->app->mail_tmpl,
        .login_free_failures = cfg->accounts.login_free_failures,
        .login_delay_ms = cfg->accounts.login_delay_ms,
        .login_max_delay_ms = cfg->accounts.login_max_delay_ms,
        .login_max_failures = cfg->accounts.login_max_failures,
        .login_window_s = cfg->accounts.login_window,
        .scram_iterations = (uint32_t)cfg->accounts.scram_iterations,
    };
    int rc = auth_new(g->app->loop, g->store, g->app->mailer, &acfg, &g->auth);
    if (rc < 0) {
        log_error("group %s: cannot start the accounts service: %s", g->name, strerror(-rc));
        return rc;
    }
    auth_set_changed(g->auth, account_changed, g->auth);
    auth_set_revoked(g->auth, json_tokens_revoked, g->auth);
    if ((rc = seed_banned(g)) < 0)
        return rc;
    if (g->app->bootstrap_sysops && (rc = auth_bootstrap(g->auth)) < 0) {
        log_error("group %s: sysop bootstrap: %s", g->name, auth_err_message(rc));
        return rc;
    }
    return 0;
}

void group_accounts_close(group_t *g)
{
    auth_free(g->auth);
    g->auth = NULL;
}

void groups_accounts_url(app_t *app)
{
    char url[1024];
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        group_url(g, url, sizeof url);
        if (g->auth)
            auth_set_public_url(g->auth, url);
    }
}
