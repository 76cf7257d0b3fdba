#include "util/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bucket.h"
#include "util/xmalloc.h"

void config_set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? xstrdup(value) : NULL;
}

void config_init(config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    config_set_str(&cfg->listen, "0.0.0.0:8080");
    config_set_str(&cfg->json_listen, "");
    config_set_str(&cfg->data_dir, "./var");
    config_set_str(&cfg->web_root, "./web");
    config_set_str(&cfg->admin_token, "");
    config_set_str(&cfg->public_url, "");
    config_set_str(&cfg->log_file, "");
    config_set_str(&cfg->log_level, "info");
    cfg->max_connections = 19000;
    cfg->max_connections_per_address = 64;
    cfg->header_timeout = 10;
    cfg->keepalive_timeout = 60;
    cfg->idle_timeout = 120;
    config_set_str(&cfg->trusted_proxies, "");
    cfg->max_head = 8192;
    cfg->max_header = 4096;
    cfg->max_body = 65536;
    cfg->max_message = 16384;
    cfg->max_text = 4000;
    cfg->output_cap = 1048576;
    cfg->default_capacity = 32;
    cfg->history_on_entry = 50;
    cfg->group_commit_ms = 5;
    cfg->store_max_queue = 100000;
    cfg->flood = (config_flood_t){.messages_per_sec = 5,
                                  .messages_burst = 20,
                                  .commands_per_sec = 20,
                                  .commands_burst = 60,
                                  .max_violations = 20};
    config_set_str(&cfg->mail.smtp_host, "");
    cfg->mail.smtp_port = 25;
    cfg->mail.starttls = CONFIG_STARTTLS_TRY;
    config_set_str(&cfg->mail.username, "");
    config_set_str(&cfg->mail.password, "");
    config_set_str(&cfg->mail.from, "");
    cfg->mail.timeout = 10;
    cfg->mail.connect_timeout = 5;
    config_set_str(&cfg->mail.template_file, "");
    config_set_str(&cfg->moderation.words, "");
    config_set_str(&cfg->moderation.word_file, "");
    cfg->access.registered = 3; /* participant */
    cfg->access.guests = 3;
    config_set_str(&cfg->accounts.banned, "");
    cfg->accounts.session_days = 30;
    cfg->accounts.validation_hours = 48;
    cfg->accounts.hash_limits = 1; /* interactive */
    cfg->accounts.login_free_failures = 3;
    cfg->accounts.login_delay_ms = 1000;
    cfg->accounts.login_max_delay_ms = 30000;
    cfg->accounts.login_max_failures = 20;
    cfg->accounts.login_window = 900;
    cfg->accounts.scram_iterations = 4096;
    cfg->allow_guests = 1;
    cfg->tunnel_grace = 30;
    cfg->resume_window = 60;
    config_set_str(&cfg->tls.cert_file, "");
    config_set_str(&cfg->tls.key_file, "");
    cfg->tls.hsts_max_age = 31536000;
    cfg->tls.handshake_timeout = 10;
    config_set_str(&cfg->irc.server_name, "parley.irc");
    config_set_str(&cfg->irc.network, "Parley");
    config_set_str(&cfg->irc.motd_file, "");
    config_set_str(&cfg->irc.group, "default");
    cfg->irc.ping_interval = 90;
    cfg->irc.websocket = 1;
}

void config_deinit(config_t *cfg)
{
    free(cfg->listen);
    free(cfg->json_listen);
    free(cfg->data_dir);
    free(cfg->web_root);
    free(cfg->admin_token);
    free(cfg->trusted_proxies);
    free(cfg->public_url);
    free(cfg->accounts.banned);
    free(cfg->port_file);
    free(cfg->log_file);
    free(cfg->log_level);
    free(cfg->mail.smtp_host);
    free(cfg->mail.username);
    free(cfg->mail.password);
    free(cfg->mail.from);
    free(cfg->mail.template_file);
    free(cfg->moderation.words);
    free(cfg->moderation.word_file);
    free(cfg->irc.listen);
    free(cfg->irc.server_name);
    free(cfg->irc.network);
    free(cfg->irc.motd_file);
    free(cfg->irc.group);
    for (size_t i = 0; i < cfg->nrooms; i++) {
        free(cfg->rooms[i].name);
        free(cfg->rooms[i].group);
        free(cfg->rooms[i].title);
        free(cfg->rooms[i].topic);
    }
    free(cfg->rooms);
    for (size_t i = 0; i < cfg->ngroups; i++) {
        config_group_t *g = &cfg->groups[i];
        free(g->name);
        free(g->title);
        for (size_t j = 0; j < g->nhosts; j++)
            free(g->hosts[j]);
        free(g->hosts);
    }
    free(cfg->groups);
    for (size_t i = 0; i < cfg->nlisteners; i++) {
        free(cfg->listeners[i].name);
        free(cfg->listeners[i].address);
    }
    free(cfg->listeners);
    free(cfg->tls.cert_file);
    free(cfg->tls.key_file);
    memset(cfg, 0, sizeof(*cfg));
}

struct load_ctx {
    config_t *cfg;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};

static int parse_int(const char *v, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0' || n < lo || n > hi)
        return -EINVAL;
    *out = n;
    return 0;
}

/* The room of section "[room NAME]" or "[room GROUP/NAME]" (a room of chat group GROUP). */
static config_room_t *room_slot(config_t *cfg, const char *section_name)
{
    const char *slash = strchr(section_name, '/');
    const char *name = slash ? slash + 1 : section_name;
    size_t gl = slash ? (size_t)(slash - section_name) : 0;
    for (size_t i = 0; i < cfg->nrooms; i++) {
        const config_room_t *r = &cfg->rooms[i];
        bool same_group =
            slash ? r->group && strlen(r->group) == gl && memcmp(r->group, section_name, gl) == 0
                  : r->group == NULL;
        if (same_group && strcmp(r->name, name) == 0)
            return &cfg->rooms[i];
    }
    cfg->rooms = xrealloc(cfg->rooms, (cfg->nrooms + 1) * sizeof(*cfg->rooms));
    config_room_t *r = &cfg->rooms[cfg->nrooms++];
    memset(r, 0, sizeof(*r));
    r->name = xstrdup(name);
    r->group = slash ? xmemdup0(section_name, gl) : NULL;
    r->moderated = -1;
    return r;
}

static config_group_t *group_slot(config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (strcmp(cfg->groups[i].name, name) == 0)
            return &cfg->groups[i];
    cfg->groups = xrealloc(cfg->groups, (cfg->ngroups + 1) * sizeof(*cfg->groups));
    config_group_t *g = &cfg->groups[cfg->ngroups++];
    memset(g, 0, sizeof(*g));
    g->name = xstrdup(name);
    return g;
}

config_listener_t *config_listener(config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nlisteners; i++)
        if (strcmp(cfg->listeners[i].name, name) == 0)
            return &cfg->listeners[i];
    cfg->listeners = xrealloc(cfg->listeners, (cfg->nlisteners + 1) * sizeof(*cfg->listeners));
    config_listener_t *l = &cfg->listeners[cfg->nlisteners++];
    memset(l, 0, sizeof(*l));
    l->name = xstrdup(name);
    return l;
}

/* "a, b ,c" into g->hosts (replacing earlier ones); empty items are skipped. */
static void set_hosts(config_group_t *g, const char *value)
{
    for (size_t j = 0; j < g->nhosts; j++)
        free(g->hosts[j]);
    free(g->hosts);
    g->hosts = NULL;
    g->nhosts = 0;
    char *copy = xstrdup(value), *save = NULL;
    for (char *h = strtok_r(copy, ", \t", &save); h; h = strtok_r(NULL, ", \t", &save)) {
        g->hosts = xrealloc(g->hosts, (g->nhosts + 1) * sizeof(*g->hosts));
        g->hosts[g->nhosts++] = xstrdup(h);
    }
    free(copy);
}

typedef enum { K_STR, K_INT, K_SIZE, K_I64, K_ENUM } kind_t;

struct key {
    const char *section;
    const char *name;
    kind_t kind;
    size_t offset;
    long long lo, hi;
    const char *const *names; /* K_ENUM: value i is names[i]; NULL-terminated */
};

#define STR(sec, key, field)                                                                       \
    {                                                                                              \
        sec, key, K_STR, offsetof(config_t, field), 0, 0, NULL                                     \
    }
#define NUM(sec, key, kind, field, lo, hi)                                                         \
    {                                                                                              \
        sec, key, kind, offsetof(config_t, field), lo, hi, NULL                                    \
    }
#define ENUM(sec, key, field, names)                                                               \
    {                                                                                              \
        sec, key, K_ENUM, offsetof(config_t, field), 0, 0, names                                   \
    }

static const char *const starttls_names[] = {"off", "try", "required", NULL};
static const char *const right_names[] = {"none",        "read_only", "moderated",
                                          "participant", "host",      NULL};
static const char *const hash_limit_names[] = {"min", "interactive", "moderate", "sensitive", NULL};
static const char *const yes_no_names[] = {"no", "yes", NULL};
static const char *const on_off_names[] = {"off", "on", NULL};
static const char *const proto_names[] = {"http", "json", "irc", NULL};
static const char *const proxy_names[] = {"off", "v1", "v2", "any", NULL}; /* proxy_mode_t */

static const struct key keys[] = {
    STR("server", "listen", listen),
    STR("server", "json_listen", json_listen),
    NUM("server", "tunnel_grace", K_INT, tunnel_grace, 1, 3600),
    NUM("server", "resume_window", K_INT, resume_window, 0, 3600),
    STR("server", "data_dir", data_dir),
    STR("server", "web_root", web_root),
    STR("server", "admin_token", admin_token),
    NUM("server", "max_connections", K_INT, max_connections, 1, 1000000),
    NUM("server", "max_connections_per_address", K_INT, max_connections_per_address, 0, 1000000),
    NUM("server", "header_timeout", K_INT, header_timeout, 1, 3600),
    NUM("server", "keepalive_timeout", K_INT, keepalive_timeout, 1, 3600),
    NUM("server", "idle_timeout", K_INT, idle_timeout, 0, 86400),
    STR("server", "trusted_proxies", trusted_proxies),
    NUM("limits", "max_head", K_SIZE, max_head, 1024, 1024 * 1024),
    NUM("limits", "max_header", K_SIZE, max_header, 256, 1024 * 1024),
    NUM("limits", "max_body", K_SIZE, max_body, 1024, 64 * 1024 * 1024),
    NUM("limits", "max_message", K_SIZE, max_message, 64, 16 * 1024 * 1024),
    NUM("limits", "max_text", K_SIZE, max_text, 1, 1024 * 1024),
    NUM("limits", "output_cap", K_SIZE, output_cap, 4096, 1LL << 32),
    NUM("chat", "default_capacity", K_INT, default_capacity, 1, 10000),
    NUM("chat", "history_on_entry", K_INT, history_on_entry, 0, 1000),
    NUM("store", "max_db_pages", K_I64, max_db_pages, 0, INT_MAX),
    NUM("store", "commit_delay_ms", K_INT, commit_delay_ms, 0, 60000),
    NUM("store", "group_commit_ms", K_INT, group_commit_ms, 0, 1000),
    NUM("store", "max_queue", K_I64, store_max_queue, 0, 100000000),
    NUM("flood", "messages_per_sec", K_INT, flood.messages_per_sec, 0, BUCKET_MAX_RATE),
    NUM("flood", "messages_burst", K_INT, flood.messages_burst, 1, BUCKET_MAX_BURST),
    NUM("flood", "commands_per_sec", K_INT, flood.commands_per_sec, 0, BUCKET_MAX_RATE),
    NUM("flood", "commands_burst", K_INT, flood.commands_burst, 1, BUCKET_MAX_BURST),
    NUM("flood", "max_violations", K_INT, flood.max_violations, 0, BUCKET_MAX_BURST),
    STR("log", "level", log_level),
    STR("log", "file", log_file),
    STR("mail", "smtp_host", mail.smtp_host),
    NUM("mail", "smtp_port", K_INT, mail.smtp_port, 1, 65535),
    ENUM("mail", "starttls", mail.starttls, starttls_names),
    STR("mail", "username", mail.username),
    STR("mail", "password", mail.password),
    STR("mail", "from", mail.from),
    NUM("mail", "timeout", K_INT, mail.timeout, 1, 3600),
    NUM("mail", "connect_timeout", K_INT, mail.connect_timeout, 1, 3600),
    STR("mail", "template_file", mail.template_file),
    STR("moderation", "words", moderation.words),
    STR("moderation", "word_file", moderation.word_file),
    ENUM("access", "registered", access.registered, right_names),
    ENUM("access", "guests", access.guests, right_names),
    STR("server", "public_url", public_url),
    STR("accounts", "banned", accounts.banned),
    NUM("accounts", "session_days", K_INT, accounts.session_days, 1, 3650),
    NUM("accounts", "validation_hours", K_INT, accounts.validation_hours, 1, 24 * 365),
    ENUM("accounts", "hash_limits", accounts.hash_limits, hash_limit_names),
    NUM("accounts", "login_free_failures", K_INT, accounts.login_free_failures, 0, 1000),
    NUM("accounts", "login_delay_ms", K_INT, accounts.login_delay_ms, 1, 600000),
    NUM("accounts", "login_max_delay_ms", K_INT, accounts.login_max_delay_ms, 1, 600000),
    NUM("accounts", "login_max_failures", K_INT, accounts.login_max_failures, 1, 100000),
    NUM("accounts", "login_window", K_INT, accounts.login_window, 1, 7 * 24 * 3600),
    NUM("accounts", "scram_iterations", K_INT, accounts.scram_iterations, 4096, 10000000),
    ENUM("access", "allow_guests", allow_guests, yes_no_names),
    STR("tls", "cert_file", tls.cert_file),
    STR("tls", "key_file", tls.key_file),
    NUM("tls", "hsts_max_age", K_INT, tls.hsts_max_age, 0, 1000000000),
    NUM("tls", "handshake_timeout", K_INT, tls.handshake_timeout, 1, 3600),
    STR("irc", "listen", irc.listen),
    STR("irc", "server_name", irc.server_name),
    STR("irc", "network", irc.network),
    STR("irc", "motd_file", irc.motd_file),
    STR("irc", "group", irc.group),
    NUM("irc", "ping_interval", K_INT, irc.ping_interval, 1, 3600),
    ENUM("irc", "websocket", irc.websocket, on_off_names),
};

/* The keys of a [listener NAME] section, at their offsets in config_listener_t. */
#define LKEY(key, kind, field, names)                                                              \
    {                                                                                              \
        "listener", key, kind, offsetof(config_listener_t, field), 0, 0, names                     \
    }
static const struct key listener_keys[] = {
    LKEY("address", K_STR, address, NULL),
    LKEY("protocol", K_ENUM, protocol, proto_names),
    LKEY("tls", K_ENUM, tls, on_off_names),
    LKEY("proxy_protocol", K_ENUM, proxy, proxy_names),
};

/* Sets a K_ENUM key to the index of its name; 0 or -EINVAL (err holds "a, b or c"). */
static int set_enum(const struct key *k, int *field, const char *value, char *names, size_t len)
{
    size_t used = 0;
    names[0] = '\0';
    for (int i = 0; k->names[i]; i++) {
        if (strcmp(k->names[i], value) == 0) {
            *field = i;
            return 0;
        }
        const char *sep = i == 0 ? "" : k->names[i + 1] ? ", " : " or ";
        int n = snprintf(names + used, len - used, "%s%s", sep, k->names[i]);
        if (n > 0 && (size_t)n < len - used)
            used += (size_t)n;
    }
    return -EINVAL;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *lc = user;
    config_t *cfg = lc->cfg;

    if (strncmp(section, "group ", 6) == 0) {
        const char *gname = section + 6 + strspn(section + 6, " ");
        config_group_t *g = group_slot(cfg, gname);
        if (strcmp(name, "title") == 0) {
            config_set_str(&g->title, value);
        } else if (strcmp(name, "hosts") == 0) {
            set_hosts(g, value);
        } else {
            snprintf(lc->err, lc->errlen, "%s: unknown key '%s' in [%s]", lc->path, name, section);
            return 0;
        }
        return 1;
    }
    if (strncmp(section, "listener ", 9) == 0) {
        const char *lname = section + 9 + strspn(section + 9, " ");
        config_listener_t *l = config_listener(cfg, lname);
        for (size_t i = 0; i < sizeof(listener_keys) / sizeof(listener_keys[0]); i++) {
            const struct key *k = &listener_keys[i];
            if (strcmp(k->name, name) != 0)
                continue;
            char *field = (char *)l + k->offset;
            if (k->kind == K_STR) {
                config_set_str((char **)field, value);
                return 1;
            }
            char names[128];
            if (set_enum(k, (int *)field, value, names, sizeof(names)) < 0) {
                snprintf(lc->err, lc->errlen, "%s: [%s] %s must be %s", lc->path, section, name,
                         names);
                return 0;
            }
            return 1;
        }
        snprintf(lc->err, lc->errlen, "%s: unknown key '%s' in [%s]", lc->path, name, section);
        return 0;
    }
    if (strncmp(section, "room ", 5) == 0) {
        const char *room = section + 5;
        while (*room == ' ')
            room++;
        config_room_t *r = room_slot(cfg, room);
        long long n;
        if (strcmp(name, "title") == 0) {
            config_set_str(&r->title, value);
        } else if (strcmp(name, "topic") == 0) {
            config_set_str(&r->topic, value);
        } else if (strcmp(name, "capacity") == 0) {
            if (parse_int(value, 1, 10000, &n) < 0) {
                snprintf(lc->err, lc->errlen, "%s: [%s] capacity must be 1..10000", lc->path,
                         section);
                return 0;
            }
            r->capacity = (int)n;
        } else if (strcmp(name, "moderated") == 0) {
            if (strcmp(value, "true") == 0) {
                r->moderated = 1;
            } else if (strcmp(value, "false") == 0) {
                r->moderated = 0;
            } else {
                snprintf(lc->err, lc->errlen, "%s: [%s] moderated must be true or false", lc->path,
                         section);
                return 0;
            }
        } else {
            snprintf(lc->err, lc->errlen, "%s: unknown key '%s' in [%s]", lc->path, name, section);
            return 0;
        }
        return 1;
    }

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key *k = &keys[i];
        if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
            continue;
        char *field = (char *)cfg + k->offset;
        long long n = 0;
        if (k->kind == K_STR) {
            config_set_str((char **)field, value);
            return 1;
        }
        if (k->kind == K_ENUM) {
            char names[128];
            if (set_enum(k, (int *)field, value, names, sizeof(names)) < 0) {
                snprintf(lc->err, lc->errlen, "%s: [%s] %s must be %s", lc->path, section, name,
                         names);
                return 0;
            }
            return 1;
        }
        if (parse_int(value, k->lo, k->hi, &n) < 0) {
            snprintf(lc->err, lc->errlen, "%s: [%s] %s must be a whole number from %lld to %lld",
                     lc->path, section, name, k->lo, k->hi);
            return 0;
        }
        if (k->kind == K_INT)
            *(int *)field = (int)n;
        else if (k->kind == K_SIZE)
            *(size_t *)field = (size_t)n;
        else
            *(int64_t *)field = (int64_t)n;
        return 1;
    }
    snprintf(lc->err, lc->errlen, "%s: unknown key '%s' in [%s]", lc->path, name, section);
    return 0;
}

struct reader_ctx {
    FILE *f;
    config_t *cfg;
};

/* Reads lines for libinih, noting "[room NAME]" and "[group NAME]" headers on the way: libinih
 * reports only keys, and a section with no keys still names a room or group to create. */
static char *read_line(char *str, int num, void *stream)
{
    struct reader_ctx *rc = stream;
    char *line = fgets(str, num, rc->f);
    if (line == NULL)
        return NULL;
    const char *p = line + strspn(line, " \t");
    bool group = strncmp(p, "[group ", 7) == 0;
    if (group || strncmp(p, "[room ", 6) == 0) {
        const char *name = p + 6 + group + strspn(p + 6 + group, " ");
        const char *end = strchr(name, ']');
        if (end && end > name) {
            char room[256];
            size_t n = (size_t)(end - name);
            while (n > 0 && name[n - 1] == ' ')
                n--;
            if (n > 0 && n < sizeof(room)) {
                memcpy(room, name, n);
                room[n] = '\0';
                if (group)
                    group_slot(rc->cfg, room);
                else
                    room_slot(rc->cfg, room);
            }
        }
    }
    return line;
}

int config_load_file(config_t *cfg, const char *path, char *err, size_t errlen)
{
    struct load_ctx lc = {cfg, path, err, errlen, 0};
    err[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    struct reader_ctx rctx = {f, cfg};
    int rc = ini_parse_stream(read_line, &rctx, on_entry, &lc);
    fclose(f);
    if (rc != 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s:%d: syntax error", path, rc);
        return -EINVAL;
    }
    return 0;
}

int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon;
    const char *h = listen;
    size_t hl;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':')
            return -EINVAL;
        h = listen + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL)
            return -EINVAL;
        hl = (size_t)(colon - listen);
    }
    long long p;
    if (parse_int(colon + 1, 0, 65535, &p) < 0 || hl == 0 || hl >= hostlen)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}
