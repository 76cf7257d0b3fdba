/* Everything one parleyd process runs on, shared by the adapters (HTTP, WebSocket, REST). Built and
 * torn down by main.c; handlers reach it through their connection's state. */
#ifndef PARLEY_APP_H
#define PARLEY_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "auth/auth.h"
#include "bus/bus.h"
#include "core/core.h"
#include "net/server.h"
#include "store/store.h"
#include "util/config.h"
#include "util/list.h"

#define PARLEY_VERSION  "0.1.0"
#define PARLEY_PROTOCOL 1

struct group;

typedef struct app {
    uv_loop_t *loop;
    config_t *cfg;
    server_t *server;
    /* The configuration's moderated word list, for every group whose admins set none; and its
     * words as a JSON array of strings (for the admin API). */
    const wordlist_t *words;
    json_t *config_words;
    /* Chat groups (group.h): each has its own core, store and bus. */
    struct group *default_group;
    struct group *group_index; /* uthash by name */
    list_t groups;             /* group.link, the default first, then by name */
    /* Accounts (src/auth): one mailer and validation template for every group's service, the
     * base of validation links (public_url, or http://localhost:PORT once listening), and whether
     * a group opened without a sysop account gets one (not under --create-sysop). */
    mailer_t *mailer;
    const mail_template_t *mail_tmpl;
    char *public_url;
    bool bootstrap_sysops;
    int64_t started_ms;
    /* Samples the groups' status history once a minute (groups_open starts it, unreferenced;
     * groups_close closes it). */
    uv_timer_t status_timer;
    bool status_timer_on;
    bool stopping;
} app_t;

/* Wall-clock milliseconds since the Unix epoch. */
int64_t app_now_ms(void);

#endif
