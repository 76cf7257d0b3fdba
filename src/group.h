/* Chat groups: several virtual chat servers in one parleyd. Each group owns its own core (rooms,
 * tables, sessions), store (its own database) and bus, so nothing of one group is visible or
 * reachable from another: isolation is by construction, not by filtering.
 *
 * A request reaches a group by its path prefix "/g/NAME/" or else by its Host header; anything
 * else goes to the default group, which always exists and is named "default". Groups come from
 * the configuration ([group NAME] sections) or from the admin API; the latter are kept in the
 * default group's store (setting "groups") and can be changed and deleted over the API.
 *
 * Data: the default group's database is DATA_DIR/parley.db, group NAME's is
 * DATA_DIR/groups/NAME/parley.db. Deleting a group keeps its files.
 *
 * Loop thread only. Groups are owned by the app; a group_t pointer stays valid until the group is
 * deleted (only possible while nobody is connected to it) or the app shuts down. */
#ifndef PARLEY_GROUP_H
#define PARLEY_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <uthash.h>

#include "app.h"
#include "util/list.h"

#define GROUP_DEFAULT   "default"
#define GROUP_MAX_HOSTS 16

typedef struct group {
    char *name;
    char *title;
    char **hosts; /* lowercase host names without port */
    size_t nhosts;
    bool from_config; /* defined in the configuration file: not editable over the API */
    app_t *app;
    core_t *core;
    store_t *store;
    bus_t *bus;
    auth_t *auth; /* its accounts service (group_accounts.c) */
    /* The group's moderation word list when its admins set one (group_set_words), else NULL: the
     * configuration's list (app.words) applies. */
    wordlist_t *words;
    json_t *words_json; /* the words as given, a JSON array; NULL with words */
    /* Access settings its admins set (group_patch_settings), each -1 while the configuration's
     * [access] value applies: whether guests are admitted, and the default rights
     * (core_right_t) of registered accounts and of guests. */
    int8_t allow_guests, registered_right, guests_right;
    unsigned connections; /* JSON sessions alive now (detached ones waiting for a resume too) */
    /* The chat status's last hour (users, messages per minute), sampled once a minute by the
     * app's status timer (groups_open): 60 samples, ~1 KiB. */
    rate_history_t history;
    list_t link;       /* app.groups, in name order (the default group first) */
    UT_hash_handle hh; /* app.group_index by name */
} group_t;

typedef struct group_spec {
    const char *name;
    const char *title;        /* NULL: the name */
    const char *const *hosts; /* may be NULL when nhosts is 0 */
    size_t nhosts;
} group_spec_t;

enum {
    GROUP_EBADNAME = -3001, /* not [a-z0-9][a-z0-9_-]{0,31} */
    GROUP_EBADHOST = -3002, /* not a host name */
    GROUP_EEXISTS = -3003,
    GROUP_EHOSTTAKEN = -3004, /* a host already routes to another group */
    GROUP_ESTORE = -3005,     /* its store could not be opened or written */
    GROUP_EBUSY = -3006,      /* people are connected */
    GROUP_ECONFIG = -3007,    /* defined in the configuration file */
    GROUP_ENOTFOUND = -3008,
    GROUP_ETOOMANYHOSTS = -3009,
    GROUP_EWORDS = -3010,    /* not an array of at most GROUP_MAX_WORDS strings of 1..200 bytes */
    GROUP_ESETTINGS = -3011, /* a settings patch with an unknown key or a bad value */
};

const char *group_strerror(int err);
bool group_valid_name(const char *name);

/* Opens the default group and the configured ones, then those kept in the default group's store.
 * Rooms of the configuration are applied to their groups. 0 or a GROUP_E* (logged). */
int groups_open(app_t *app);
/* Closes every group's store, core and bus (the loop must still run close callbacks). */
void groups_close(app_t *app);

group_t *group_default(const app_t *app);
group_t *group_find(const app_t *app, const char *name);
/* The group whose hosts include host (a Host header value: case-insensitive, port ignored), or
 * NULL. */
group_t *group_for_host(const app_t *app, const char *host);

/* Admin API: creates a group, opens its store and persists it. */
int group_create(app_t *app, const group_spec_t *spec, group_t **out);
/* Replaces title and hosts of a group created over the API. */
int group_update(group_t *g, const char *title, const char *const *hosts, size_t nhosts);
/* Deletes a group created over the API that nobody is connected to (its files stay). */
int group_delete(group_t *g);

/* The group's moderated word list. words is a JSON array of strings (borrowed), or NULL to go back
 * to the configuration's list. Kept in the group's store. GROUP_EWORDS for a bad list. */
#define GROUP_MAX_WORDS    10000
#define GROUP_MAX_WORD_LEN 200
int group_set_words(group_t *g, json_t *words);
/* {"words": [...], "source": "admin" | "config"}: a new reference. */
json_t *group_words_json(const group_t *g);

/* group_accounts.c: the group's accounts service over its store, with the app's mailer; seeds
 * the banned list from the configuration and, with app->bootstrap_sysops, creates a "sysop"
 * account with a one-time password (logged) if the group has no sysop. 0 or an AUTH_E* / -errno
 * (logged). close: pending operations report shutting_down; NULL-safe, idempotent. */
int group_accounts_open(group_t *g);
void group_accounts_close(group_t *g);
/* After app->public_url changed: every group's validation links start there ("/g/NAME" added for
 * groups other than the default). */
void groups_accounts_url(app_t *app);

/* Whether the group admits guests (its own setting, else the configuration's). */
bool group_allow_guests(const group_t *g);
/* Applies a PATCH of the group's access settings: {"allow_guests": bool, "registered": right,
 * "guests": right}, any subset, null = back to the configuration's. Kept in the group's store;
 * the default rights apply at once to everyone inside. GROUP_ESETTINGS for a bad patch. */
int group_patch_settings(group_t *g, json_t *patch);
/* {"allow_guests", "registered", "guests", "overridden": [keys set by the admins]}. */
json_t *group_settings_json(const group_t *g);

/* The group's live totals over its public rooms: users (members + lurkers, a person in two rooms
 * counted twice), lurkers, and says in the last minute. Any pointer may be NULL. */
void group_status_totals(const group_t *g, unsigned *users, unsigned *lurkers, unsigned *mpm);
/* Samples every group's totals into its history (the status timer calls it once a minute). */
void groups_status_sample(app_t *app);

/* {"name","title","hosts":[...],"from_config","rooms","sessions"}: a new reference. */
json_t *group_json(const group_t *g);

#endif
