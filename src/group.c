/* Chat groups (see group.h). */
#include "group.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timer.h"
#include "util/xmalloc.h"

#define REGISTRY_KEY  "groups"
#define WORDS_KEY     "moderation.words"
#define ACCESS_KEY    "access"
#define MAX_HOST_NAME 253

const char *group_strerror(int err)
{
    switch (err) {
    case GROUP_EBADNAME:
        return "a group name is 1 to 32 of a-z, 0-9, _ and -, starting with a "
               "letter or digit";
    case GROUP_EBADHOST: return "a host is a DNS name or an address, without port or path";
    case GROUP_EEXISTS: return "a group with that name exists";
    case GROUP_EHOSTTAKEN: return "that host already belongs to another group";
    case GROUP_ESTORE: return "the group's store could not be opened or written";
    case GROUP_EBUSY: return "people are connected to the group";
    case GROUP_ECONFIG: return "the group is defined in the configuration file";
    case GROUP_ENOTFOUND: return "no such group";
    case GROUP_ETOOMANYHOSTS: return "too many hosts";
    case GROUP_ESETTINGS:
        return "settings are an object of allow_guests (true, false or null), registered and "
               "guests (none, read_only, moderated, participant, host or null)";
    case GROUP_EWORDS: return "words must be an array of at most 10000 strings of 1 to 200 bytes";
    default: return "unknown error";
    }
}

bool group_valid_name(const char *name)
{
    /* the same rule as room names */
    return core_valid_room_name(name);
}

/* Host names: letters, digits, '-', '.', or an IPv6 literal in brackets. Written lowercased to
 * out (at least MAX_HOST_NAME + 1 bytes). */
static bool clean_host(const char *host, char *out)
{
    size_t n = strlen(host);
    if (n == 0 || n > MAX_HOST_NAME)
        return false;
    bool v6 = host[0] == '[';
    if (v6 && host[n - 1] != ']')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        bool ok = isalnum(c) || c == '-' || c == '.' || (v6 && (c == ':' || c == '[' || c == ']'));
        if (!ok)
            return false;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return true;
}

/* The host part of a Host header, lowercased, into out; false if it is not a host. */
static bool header_host(const char *value, char *out)
{
    char tmp[MAX_HOST_NAME + 1];
    size_t n = strlen(value);
    const char *end = value + n;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (close == NULL)
            return false;
        end = close + 1;
    } else {
        const char *colon = strchr(value, ':');
        if (colon)
            end = colon;
    }
    n = (size_t)(end - value);
    if (n == 0 || n > MAX_HOST_NAME)
        return false;
    memcpy(tmp, value, n);
    tmp[n] = '\0';
    if (n > 1 && tmp[n - 1] == '.') /* "example.com." is "example.com" */
        tmp[n - 1] = '\0';
    return clean_host(tmp, out);
}

group_t *group_default(const app_t *app)
{
    return app->default_group;
}

group_t *group_find(const app_t *app, const char *name)
{
    group_t *g = NULL;
    HASH_FIND_STR(app->group_index, name, g);
    return g;
}

group_t *group_for_host(const app_t *app, const char *host)
{
    char h[MAX_HOST_NAME + 1];
    if (host == NULL || !header_host(host, h))
        return NULL;
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        for (size_t i = 0; i < g->nhosts; i++)
            if (strcmp(g->hosts[i], h) == 0)
                return g;
    }
    return NULL;
}

/* Checks and lowercases hosts into a new array (*out, *nout); other than `self`, no group may
 * route them already, and no host may repeat. */
static int check_hosts(const app_t *app, const group_t *self, const char *const *hosts,
                       size_t nhosts, char ***out)
{
    char buf[MAX_HOST_NAME + 1];
    if (nhosts > GROUP_MAX_HOSTS)
        return GROUP_ETOOMANYHOSTS;
    char **list = nhosts ? xcalloc(nhosts, sizeof(*list)) : NULL;
    int err = 0;
    for (size_t i = 0; i < nhosts && err == 0; i++) {
        if (!clean_host(hosts[i], buf)) {
            err = GROUP_EBADHOST;
            break;
        }
        group_t *other = group_for_host(app, buf);
        for (size_t j = 0; j < i && other == NULL; j++)
            if (strcmp(list[j], buf) == 0)
                err = GROUP_EHOSTTAKEN;
        if (other && other != self)
            err = GROUP_EHOSTTAKEN;
        list[i] = xstrdup(buf);
    }
    if (err < 0) {
        for (size_t i = 0; i < nhosts; i++)
            free(list ? list[i] : NULL);
        free(list);
        return err;
    }
    *out = list;
    return 0;
}

static void free_hosts(group_t *g)
{
    for (size_t i = 0; i < g->nhosts; i++)
        free(g->hosts[i]);
    free(g->hosts);
    g->hosts = NULL;
    g->nhosts = 0;
}

static int64_t loop_clock(void *ud)
{
    return (int64_t)uv_now(ud);
}

struct totals {
    unsigned users, lurkers, mpm;
};

static void add_totals(void *ud, room_t *r)
{
    struct totals *t = ud;
    t->users += room_user_count(r);
    t->mpm += room_messages_per_minute(r);
    for (table_t *tb = room_table_first(r); tb; tb = room_table_next(tb))
        t->lurkers += table_lurkers(tb);
}

void group_status_totals(const group_t *g, unsigned *users, unsigned *lurkers, unsigned *mpm)
{
    struct totals t = {0};
    core_rooms_foreach(g->core, add_totals, &t);
    if (users)
        *users = t.users;
    if (lurkers)
        *lurkers = t.lurkers;
    if (mpm)
        *mpm = t.mpm;
}

void groups_status_sample(app_t *app)
{
    int64_t now = app_now_ms();
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        rate_sample_t smp = {.t = now};
        unsigned users, mpm;
        group_status_totals(g, &users, NULL, &mpm);
        smp.users = users;
        smp.messages_per_minute = mpm;
        rate_history_push(&g->history, &smp);
    }
}

static void on_status_timer(uv_timer_t *h)
{
    groups_status_sample(h->data);
}

static void group_free(group_t *g)
{
    if (g == NULL)
        return;
    group_accounts_close(g); /* its pending operations report while the store is open */
    if (g->core && g->store)
        core_recordings_close(g->core); /* stored as stopped while the store is open */
    store_close(g->store);              /* commits what is queued first */
    core_free(g->core);
    wordlist_free(g->words);
    json_decref(g->words_json);
    bus_free(g->bus);
    free_hosts(g);
    free(g->name);
    free(g->title);
    free(g);
}

/* Applies the configuration's rooms of group g (by name) over those loaded from its store. */
static int apply_config_rooms(group_t *g)
{
    const config_t *cfg = g->app->cfg;
    bool is_default = g == g->app->default_group;
    for (size_t i = 0; i < cfg->nrooms; i++) {
        const config_room_t *cr = &cfg->rooms[i];
        if (cr->group ? strcmp(cr->group, g->name) != 0 : !is_default)
            continue;
        room_t *existing = core_room_find(g->core, cr->name);
        room_spec_t spec = {
            .name = cr->name,
            .title = cr->title  ? cr->title
                     : existing ? room_title(existing)
                                : NULL,
            .topic = cr->topic  ? cr->topic
                     : existing ? room_topic(existing)
                                : NULL,
            .capacity = cr->capacity ? cr->capacity
                        : existing   ? room_capacity(existing)
                                     : 0,
            .moderated = cr->moderated >= 0 ? cr->moderated == 1
                         : existing         ? room_moderated(existing)
                                            : false,
        };
        int rc = core_room_create(g->core, &spec, true, NULL);
        if (rc < 0) {
            log_error("group %s: room '%s' from the configuration: %s", g->name, cr->name,
                      core_err_message(rc));
            return rc;
        }
    }
    return 0;
}

/* Builds a word list of a JSON array of strings; NULL if it is not one (GROUP_EWORDS). */
static wordlist_t *words_build(json_t *words)
{
    if (!json_is_array(words) || json_array_size(words) > GROUP_MAX_WORDS)
        return NULL;
    wordlist_t *wl = wordlist_new();
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w)
    {
        size_t len = json_string_length(w);
        if (!json_is_string(w) || len == 0 || len > GROUP_MAX_WORD_LEN ||
            strlen(json_string_value(w)) != len || wordlist_add(wl, json_string_value(w)) < 0) {
            wordlist_free(wl);
            return NULL;
        }
    }
    return wl;
}

/* Reads a setting kept as JSON: 1 with *out (NULL if it does not parse), 0 when absent, or
 * GROUP_ESTORE. */
static int setting_json(store_t *st, const char *key, json_t **out)
{
    char *s = NULL;
    json_error_t jerr;
    *out = NULL;
    if (store_setting_get(st, key, &s) < 0)
        return GROUP_ESTORE;
    if (s == NULL)
        return 0;
    *out = json_loads(s, 0, &jerr);
    free(s);
    return 1;
}

/* Installs the stored word list of g, if its admins set one. */
static int words_load(group_t *g)
{
    json_t *a;
    int rc = setting_json(g->store, WORDS_KEY, &a);
    if (rc <= 0)
        return rc;
    wordlist_t *wl = words_build(a);
    if (wl == NULL) {
        log_error("group %s: the stored word list is invalid; using the configuration's", g->name);
        json_decref(a);
        return 0;
    }
    g->words = wl;
    g->words_json = a;
    core_set_words(g->core, wl);
    return 0;
}

int group_set_words(group_t *g, json_t *words)
{
    wordlist_t *wl = NULL;
    char *s = NULL;
    if (words) {
        if ((wl = words_build(words)) == NULL)
            return GROUP_EWORDS;
        s = json_dumps(words, JSON_COMPACT);
    }
    int rc = store_setting_put(g->store, WORDS_KEY, s);
    free(s);
    if (rc < 0) {
        wordlist_free(wl);
        return GROUP_ESTORE;
    }
    core_set_words(g->core, wl ? wl : g->app->words);
    wordlist_free(g->words);
    json_decref(g->words_json);
    g->words = wl;
    g->words_json = words ? json_incref(words) : NULL;
    log_info("group %s: moderation word list %s (%zu words)", g->name,
             wl ? "set by an admin" : "back to the configuration's",
             wordlist_count(wl ? wl : g->app->words));
    return 0;
}

json_t *group_words_json(const group_t *g)
{
    if (g->words_json)
        return json_pack("{s:O,s:s}", "words", g->words_json, "source", "admin");
    return json_pack("{s:O,s:s}", "words", g->app->config_words, "source", "config");
}

bool group_allow_guests(const group_t *g)
{
    return g->allow_guests >= 0 ? g->allow_guests == 1 : g->app->cfg->allow_guests == 1;
}

static core_right_t effective(int8_t own, int config_value)
{
    return (core_right_t)(own >= 0 ? own : config_value);
}

/* Installs g's default rights in its core (re-evaluating everyone inside). */
static void settings_apply(group_t *g)
{
    const config_t *cfg = g->app->cfg;
    core_set_defaults(g->core, effective(g->registered_right, cfg->access.registered),
                      effective(g->guests_right, cfg->access.guests));
}

/* Reads one key of a settings object: 0 and *out unchanged when absent, -1 (null: back to the
 * configuration) or the value; GROUP_ESETTINGS for a bad one. */
static int settings_key(json_t *obj, const char *key, int8_t *out)
{
    json_t *v = json_object_get(obj, key);
    core_right_t right;
    if (v == NULL)
        return 0;
    if (json_is_null(v))
        *out = -1;
    else if (strcmp(key, "allow_guests") == 0 && json_is_boolean(v))
        *out = json_is_true(v) ? 1 : 0;
    else if (strcmp(key, "allow_guests") != 0 && json_is_string(v) &&
             core_right_parse(json_string_value(v), &right) == 0)
        *out = (int8_t)right;
    else
        return GROUP_ESETTINGS;
    return 0;
}

/* Parses a settings object over the three values; false for an unknown key or a bad value. */
static bool settings_parse(json_t *obj, int8_t *allow, int8_t *registered, int8_t *guests)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return false;
    json_object_foreach(obj, key, v)
    {
        if (strcmp(key, "allow_guests") != 0 && strcmp(key, "registered") != 0 &&
            strcmp(key, "guests") != 0)
            return false;
    }
    return settings_key(obj, "allow_guests", allow) == 0 &&
           settings_key(obj, "registered", registered) == 0 &&
           settings_key(obj, "guests", guests) == 0;
}

static json_t *settings_stored(const group_t *g)
{
    json_t *o = json_object();
    if (g->allow_guests >= 0)
        json_object_set_new(o, "allow_guests", json_boolean(g->allow_guests == 1));
    if (g->registered_right >= 0)
        json_object_set_new(o, "registered",
                            json_string(core_right_name((core_right_t)g->registered_right)));
    if (g->guests_right >= 0)
        json_object_set_new(o, "guests",
                            json_string(core_right_name((core_right_t)g->guests_right)));
    return o;
}

/* Loads the access settings kept for g; a stored value that no longer parses is logged and
 * ignored. */
static int settings_load(group_t *g)
{
    json_t *o;
    g->allow_guests = g->registered_right = g->guests_right = -1;
    int rc = setting_json(g->store, ACCESS_KEY, &o);
    if (rc < 0)
        return rc;
    if (rc > 0 && !settings_parse(o, &g->allow_guests, &g->registered_right, &g->guests_right)) {
        log_error("group %s: the stored access settings are invalid; using the configuration's",
                  g->name);
        g->allow_guests = g->registered_right = g->guests_right = -1;
    }
    json_decref(o);
    if (g->registered_right >= 0 || g->guests_right >= 0)
        settings_apply(g);
    return 0;
}

int group_patch_settings(group_t *g, json_t *patch)
{
    int8_t allow = g->allow_guests, reg = g->registered_right, guests = g->guests_right;
    if (!settings_parse(patch, &allow, &reg, &guests))
        return GROUP_ESETTINGS;
    int8_t old[3] = {g->allow_guests, g->registered_right, g->guests_right};
    g->allow_guests = allow;
    g->registered_right = reg;
    g->guests_right = guests;
    json_t *o = settings_stored(g);
    char *s = json_object_size(o) ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = store_setting_put(g->store, ACCESS_KEY, s);
    free(s);
    if (rc < 0) {
        g->allow_guests = old[0];
        g->registered_right = old[1];
        g->guests_right = old[2];
        return GROUP_ESTORE;
    }
    settings_apply(g);
    log_info("group %s: access settings changed: guests %s, registered %s, guests' right %s",
             g->name, group_allow_guests(g) ? "admitted" : "not admitted",
             core_right_name(effective(g->registered_right, g->app->cfg->access.registered)),
             core_right_name(effective(g->guests_right, g->app->cfg->access.guests)));
    return 0;
}

json_t *group_settings_json(const group_t *g)
{
    const config_t *cfg = g->app->cfg;
    json_t *over = json_array();
    if (g->allow_guests >= 0)
        json_array_append_new(over, json_string("allow_guests"));
    if (g->registered_right >= 0)
        json_array_append_new(over, json_string("registered"));
    if (g->guests_right >= 0)
        json_array_append_new(over, json_string("guests"));
    return json_pack("{s:b,s:s,s:s,s:o}", "allow_guests", group_allow_guests(g), "registered",
                     core_right_name(effective(g->registered_right, cfg->access.registered)),
                     "guests", core_right_name(effective(g->guests_right, cfg->access.guests)),
                     "overridden", over);
}

/* Builds a group: its store under its directory, bus and core, its rooms (the stored ones, the
 * configured ones, and a "lobby" when it has none), and links it into the app. */
static int group_open(app_t *app, const group_spec_t *spec, bool from_config, group_t **out)
{
    const config_t *cfg = app->cfg;
    group_t *g = xcalloc(1, sizeof(*g));
    char dir[4096];
    int err = 0;
    *out = NULL;
    g->app = app;
    g->name = xstrdup(spec->name);
    g->title = xstrdup(spec->title && spec->title[0] ? spec->title : spec->name);
    g->from_config = from_config;
    if (strcmp(spec->name, GROUP_DEFAULT) == 0)
        snprintf(dir, sizeof(dir), "%s", cfg->data_dir);
    else
        snprintf(dir, sizeof(dir), "%s/groups/%s", cfg->data_dir, spec->name);
    store_options_t sopt = {
        .dir = dir,
        .max_pages = cfg->max_db_pages,
        .commit_delay_ms = cfg->commit_delay_ms,
        .group_commit_ms = cfg->group_commit_ms,
        .max_queue = cfg->store_max_queue,
    };
    int rc = store_open(app->loop, &sopt, &g->store);
    if (rc < 0) {
        log_error("group %s: cannot open the store in %s: %s", g->name, dir, store_strerror(rc));
        err = GROUP_ESTORE;
        goto out;
    }
    core_config_t ccfg = {
        .clock_ms = loop_clock,
        .clock_ud = app->loop,
        .timers = {.start = uvtimer_start, .stop = uvtimer_stop, .ud = app->loop},
        .default_capacity = cfg->default_capacity,
        .history_on_entry = cfg->history_on_entry,
        .max_text = cfg->max_text,
        .words = app->words,
        .access_defaults = true,
        .registered_default = (core_right_t)cfg->access.registered,
        .guests_default = (core_right_t)cfg->access.guests,
    };
    g->bus = bus_inproc_new();
    g->core = core_new(&ccfg, g->store, g->bus);
    if (words_load(g) < 0 || settings_load(g) < 0) {
        err = GROUP_ESTORE;
        goto out;
    }
    if ((rc = core_rooms_load(g->core)) < 0) {
        log_error("group %s: loading rooms: %s", g->name, core_err_message(rc));
        err = GROUP_ESTORE;
        goto out;
    }
    if (app->default_group == NULL && strcmp(g->name, GROUP_DEFAULT) == 0)
        app->default_group = g; /* before apply_config_rooms, which asks */
    if (apply_config_rooms(g) < 0) {
        err = GROUP_ESTORE;
        goto out;
    }
    core_stats_t st;
    core_get_stats(g->core, &st);
    if (st.rooms == 0) {
        room_spec_t lobby = {.name = "lobby", .title = "Lobby", .topic = "Say hello"};
        if (core_room_create(g->core, &lobby, false, NULL) < 0) {
            err = GROUP_ESTORE;
            goto out;
        }
    }
    if ((err = check_hosts(app, NULL, spec->hosts, spec->nhosts, &g->hosts)) < 0)
        goto out;
    g->nhosts = spec->nhosts;
    if (group_accounts_open(g) < 0) {
        err = GROUP_ESTORE;
        goto out;
    }
    /* name order, the default group first */
    list_t *before = &app->groups;
    list_foreach(it, &app->groups)
    {
        group_t *o = list_entry(it, group_t, link);
        if (o != app->default_group && strcmp(o->name, g->name) > 0) {
            before = it;
            break;
        }
    }
    list_insert_before(before, &g->link);
    HASH_ADD_KEYPTR(hh, app->group_index, g->name, strlen(g->name), g);
    rate_sample_t first = {.t = app_now_ms()}; /* the history starts with the opening */
    rate_history_push(&g->history, &first);
    *out = g;
    log_info("group %s: open (%zu host%s, data in %s)", g->name, g->nhosts,
             g->nhosts == 1 ? "" : "s", dir);
    return 0;
out:
    if (app->default_group == g)
        app->default_group = NULL;
    group_free(g);
    return err;
}

/* The API-made groups as the JSON kept in the default store: [{"name","title","hosts"}]. */
static int registry_save(app_t *app)
{
    json_t *a = json_array();
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        if (g->from_config)
            continue;
        json_t *hosts = json_array();
        for (size_t i = 0; i < g->nhosts; i++)
            json_array_append_new(hosts, json_string(g->hosts[i]));
        json_array_append_new(
            a, json_pack("{s:s,s:s,s:o}", "name", g->name, "title", g->title, "hosts", hosts));
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    int rc = store_setting_put(app->default_group->store, REGISTRY_KEY, s);
    free(s);
    return rc < 0 ? GROUP_ESTORE : 0;
}

/* Opens the groups kept in the registry. A group that cannot be opened is logged and skipped (it
 * stays in the registry), so one broken directory does not keep the others down. */
static int registry_load(app_t *app)
{
    json_t *a;
    int rc = setting_json(app->default_group->store, REGISTRY_KEY, &a);
    if (rc <= 0)
        return rc;
    if (!json_is_array(a)) {
        log_error("groups: the stored registry is not a JSON array; ignored");
        json_decref(a);
        return 0;
    }
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *title = json_string_value(json_object_get(e, "title"));
        json_t *hs = json_object_get(e, "hosts");
        const char *hosts[GROUP_MAX_HOSTS];
        size_t nh = 0;
        for (size_t j = 0; j < json_array_size(hs) && nh < GROUP_MAX_HOSTS; j++)
            if (json_is_string(json_array_get(hs, j)))
                hosts[nh++] = json_string_value(json_array_get(hs, j));
        if (name == NULL || !group_valid_name(name) || group_find(app, name)) {
            log_error("groups: stored group '%s' is invalid or also configured; skipped",
                      name ? name : "?");
            continue;
        }
        group_spec_t spec = {.name = name, .title = title, .hosts = hosts, .nhosts = nh};
        group_t *g;
        int err = group_open(app, &spec, false, &g);
        if (err < 0)
            log_error("groups: stored group '%s' not opened: %s", name, group_strerror(err));
    }
    json_decref(a);
    return 0;
}

int groups_open(app_t *app)
{
    const config_t *cfg = app->cfg;
    list_init(&app->groups);
    group_t *g;
    const config_group_t *dcfg = NULL;
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (strcmp(cfg->groups[i].name, GROUP_DEFAULT) == 0)
            dcfg = &cfg->groups[i];
    group_spec_t spec = {.name = GROUP_DEFAULT, .title = dcfg ? dcfg->title : NULL};
    if (dcfg) {
        spec.hosts = (const char *const *)dcfg->hosts;
        spec.nhosts = dcfg->nhosts;
    }
    int rc = group_open(app, &spec, true, &g);
    for (size_t i = 0; i < cfg->ngroups && rc == 0; i++) {
        const config_group_t *cg = &cfg->groups[i];
        if (cg == dcfg)
            continue;
        group_spec_t s = {.name = cg->name,
                          .title = cg->title,
                          .hosts = (const char *const *)cg->hosts,
                          .nhosts = cg->nhosts};
        if (!group_valid_name(cg->name))
            rc = GROUP_EBADNAME;
        else
            rc = group_open(app, &s, true, &g);
        if (rc < 0)
            log_error("[group %s]: %s", cg->name, group_strerror(rc));
    }
    for (size_t i = 0; i < cfg->nrooms && rc == 0; i++) {
        const char *gn = cfg->rooms[i].group;
        if (gn && group_find(app, gn) == NULL) {
            log_error("[room %s/%s]: no group '%s' in the configuration", gn, cfg->rooms[i].name,
                      gn);
            rc = GROUP_ENOTFOUND;
        }
    }
    if (rc == 0)
        rc = registry_load(app);
    if (rc == 0 && !app->status_timer_on) {
        /* one timer for all groups; unreferenced, so it never keeps the loop alive */
        uv_timer_init(app->loop, &app->status_timer);
        app->status_timer.data = app;
        uv_timer_start(&app->status_timer, on_status_timer, 60000, 60000);
        uv_unref((uv_handle_t *)&app->status_timer);
        app->status_timer_on = true;
    }
    return rc;
}

void groups_close(app_t *app)
{
    if (app->status_timer_on) {
        uv_close((uv_handle_t *)&app->status_timer, NULL);
        app->status_timer_on = false;
    }
    if (app->groups.next == NULL)
        return; /* never opened */
    list_foreach_safe(it, tmp, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        list_remove(&g->link);
        HASH_DELETE(hh, app->group_index, g);
        group_free(g);
    }
    app->default_group = NULL;
}

int group_create(app_t *app, const group_spec_t *spec, group_t **out)
{
    if (!group_valid_name(spec->name))
        return GROUP_EBADNAME;
    if (group_find(app, spec->name))
        return GROUP_EEXISTS;
    char **hosts;
    int rc = check_hosts(app, NULL, spec->hosts, spec->nhosts, &hosts);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < spec->nhosts; i++)
        free(hosts[i]);
    free(hosts);
    group_t *g;
    if ((rc = group_open(app, spec, false, &g)) < 0)
        return rc;
    if ((rc = registry_save(app)) < 0) {
        list_remove(&g->link);
        HASH_DELETE(hh, app->group_index, g);
        group_free(g);
        return rc;
    }
    if (out)
        *out = g;
    return 0;
}

int group_update(group_t *g, const char *title, const char *const *hosts, size_t nhosts)
{
    if (g->from_config)
        return GROUP_ECONFIG;
    char **list;
    int rc = check_hosts(g->app, g, hosts, nhosts, &list);
    if (rc < 0)
        return rc;
    free_hosts(g);
    g->hosts = list;
    g->nhosts = nhosts;
    if (title) {
        free(g->title);
        g->title = xstrdup(title[0] ? title : g->name);
    }
    return registry_save(g->app);
}

int group_delete(group_t *g)
{
    app_t *app = g->app;
    if (g->from_config)
        return GROUP_ECONFIG;
    if (g->connections > 0)
        return GROUP_EBUSY;
    list_remove(&g->link);
    HASH_DELETE(hh, app->group_index, g);
    int rc = registry_save(app);
    log_info("group %s: deleted (its files stay)", g->name);
    group_free(g);
    return rc;
}

json_t *group_json(const group_t *g)
{
    core_stats_t st;
    core_get_stats(g->core, &st);
    json_t *hosts = json_array();
    for (size_t i = 0; i < g->nhosts; i++)
        json_array_append_new(hosts, json_string(g->hosts[i]));
    return json_pack("{s:s,s:s,s:o,s:b,s:I,s:I}", "name", g->name, "title", g->title, "hosts",
                     hosts, "from_config", g->from_config, "rooms", (json_int_t)st.rooms,
                     "sessions", (json_int_t)st.sessions);
}
