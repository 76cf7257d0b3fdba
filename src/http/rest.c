#include "http/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/history.h"
#include "group.h"
#include "proto/irc/irc.h"
#include "proto/json/json_proto.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX     200

static bool is_method(const http_request_t *r, const char *m)
{
    return strcmp(r->method_name, m) == 0;
}

void rest_not_allowed(const http_request_t *r, const char *allow)
{
    char extra[64];
    snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", "method_not_allowed", "message",
                          "method not allowed");
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_respond(r, 405, "application/json", s, strlen(s), extra, false);
    free(s);
}

/* The public API has no session: it shows what an anonymous guest may see (rooms whose guests
 * have no right do not exist here either). */
static void add_room(void *ud, room_t *room)
{
    if (core_right_anonymous(room) > CORE_RIGHT_NONE)
        json_array_append_new(ud, json_room_summary(room));
}

bool rest_query_get(const char *query, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t seglen = amp ? (size_t)(amp - p) : strlen(p);
        if (seglen > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = seglen - kl - 1;
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, p + kl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

static int query_uint(const char *query, const char *key, unsigned long long lo,
                      unsigned long long hi, unsigned long long *out)
{
    char v[32];
    if (!rest_query_get(query, key, v, sizeof(v)))
        return 0;
    char *end;
    errno = 0;
    if (v[0] < '0' || v[0] > '9')
        return -EINVAL;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        return -EINVAL;
    *out = n;
    return 0;
}

static void history_cb(void *ud, const store_msg_t *m)
{
    core_event_t ev = core_msg_event(m);
    json_array_append_new(ud, json_event(&ev));
}

static void get_history(const http_request_t *r, room_t *room)
{
    unsigned long long table = 1, before = 0, limit = HISTORY_DEFAULT;
    if (query_uint(r->query, "table", 1, UINT32_MAX, &table) < 0 ||
        query_uint(r->query, "before", 1, INT64_MAX, &before) < 0 ||
        query_uint(r->query, "limit", 1, HISTORY_MAX, &limit) < 0) {
        http_respond_error(r, 400, "bad_request",
                           "table, before and limit must be numbers in range");
        return;
    }
    json_t *msgs = json_array();
    bool more = false;
    int rc = store_history(http_group(r)->store, room_name(room), (uint32_t)table, before,
                           (int)limit, history_cb, msgs, &more);
    if (rc < 0) {
        json_decref(msgs);
        http_respond_error(r, 500, "store_failed", store_strerror(rc));
        return;
    }
    http_respond_json(r, 200, json_pack("{s:o,s:b}", "messages", msgs, "more", more));
}

static bool token_ok(const http_request_t *r, const char *token)
{
    const char *auth = http_header(r, "Authorization");
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *given = auth + 7;
    size_t gl = strlen(given), tl = strlen(token);
    return gl == tl && CRYPTO_memcmp(given, token, tl) == 0;
}

bool rest_require_admin(const http_request_t *r)
{
    if (rest_sysop(r))
        return true;
    if (rest_has_account(r)) {
        http_respond_error(r, 403, "forbidden", "this needs a sysop of the chat group");
        return false;
    }
    return rest_require_admin_token(r);
}

bool rest_require_admin_token(const http_request_t *r)
{
    const char *token = http_app(r)->cfg->admin_token;
    if (token == NULL || token[0] == '\0') {
        http_respond_error(r, 403, "forbidden",
                           "the admin API needs a sysop's token (and there is no admin_token)");
        return false;
    }
    if (!token_ok(r, token)) {
        static const char body[] =
            "{\"error\":{\"code\":\"unauthorized\",\"message\":\"missing or wrong token\"}}";
        http_respond(r, 401, "application/json", body, sizeof(body) - 1,
                     "WWW-Authenticate: Bearer\r\n", false);
        return false;
    }
    return true;
}

void rest_group_error(const http_request_t *r, int err)
{
    static const struct {
        int err, status;
        const char *code;
    } map[] = {
        {GROUP_EBADNAME, 400, "bad_request"},      {GROUP_EBADHOST, 400, "bad_request"},
        {GROUP_ETOOMANYHOSTS, 400, "bad_request"}, {GROUP_EEXISTS, 409, "group_exists"},
        {GROUP_EHOSTTAKEN, 409, "host_taken"},     {GROUP_EBUSY, 409, "group_busy"},
        {GROUP_ECONFIG, 409, "group_in_config"},   {GROUP_ENOTFOUND, 404, "no_such_group"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].err == err) {
            http_respond_error(r, map[i].status, map[i].code, group_strerror(err));
            return;
        }
    }
    http_respond_error(r, 500, "store_failed", group_strerror(err));
}

static void post_room(const http_request_t *r)
{
    group_t *g = http_group(r);
    if (!rest_require_admin(r))
        return;
    json_error_t jerr;
    json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
    json_t *name = json_object_get(body, "name"), *title = json_object_get(body, "title");
    json_t *topic = json_object_get(body, "topic"), *cap = json_object_get(body, "capacity");
    json_t *moderated = json_object_get(body, "moderated");
    if (!json_is_object(body) || !json_is_string(name) || (title && !json_is_string(title)) ||
        (topic && !json_is_string(topic)) || (cap && !json_is_integer(cap)) ||
        (moderated && !json_is_boolean(moderated))) {
        json_decref(body);
        http_respond_error(r, 400, "bad_request",
                           "body must be a JSON object with string name (and optional string "
                           "title, string topic, integer capacity, boolean moderated)");
        return;
    }
    json_int_t capacity = cap ? json_integer_value(cap) : 0;
    room_spec_t spec = {
        .name = json_string_value(name),
        .title = title ? json_string_value(title) : NULL,
        .topic = topic ? json_string_value(topic) : NULL,
        .capacity = (int)capacity, /* 0: the configured default */
        .moderated = json_is_true(moderated),
    };
    room_t *room = NULL;
    int rc = cap && (capacity < 1 || capacity > 10000)
                 ? CORE_ECAPACITY
                 : core_room_create(g->core, &spec, false, &room);
    json_decref(body);
    if (rc == CORE_EROOMEXISTS)
        http_respond_error(r, 409, "room_exists", "a room with that name exists");
    else if (rc == CORE_ESTORE || rc == CORE_EINTERNAL)
        http_respond_error(r, 500, core_err_code(rc), core_err_message(rc));
    else if (rc < 0)
        http_respond_error(r, 400, "bad_request", core_err_message(rc));
    else
        http_respond_json(r, 201, json_pack("{s:o}", "room", json_room_summary(room)));
}

void rest_handle(const http_request_t *r)
{
    group_t *g = http_group(r);
    const char *p = r->path;
    static const char rooms[] = "/api/v1/rooms";
    static const char groups[] = "/api/v1/admin/groups";
    if (strncmp(p, "/api/v1/auth/", 13) == 0) {
        rest_auth_handle(r);
        return;
    }
    if (strcmp(p, "/api/v1/admin/banned") == 0) {
        rest_banned_handle(r);
        return;
    }
    if (strncmp(p, groups, sizeof(groups) - 1) == 0 &&
        (p[sizeof(groups) - 1] == '\0' || p[sizeof(groups) - 1] == '/')) {
        rest_groups(r, p + sizeof(groups) - 1);
        return;
    }
    if (strcmp(p, "/api/v1/admin/words") == 0) {
        rest_words(r);
        return;
    }
    if (strcmp(p, "/api/v1/admin/status") == 0) {
        rest_status(r);
        return;
    }
    static const char recs[] = "/api/v1/admin/recordings";
    if (strncmp(p, recs, sizeof(recs) - 1) == 0 &&
        (p[sizeof(recs) - 1] == '\0' || p[sizeof(recs) - 1] == '/')) {
        rest_recordings(r, p + sizeof(recs) - 1);
        return;
    }
    if (strcmp(p, "/api/v1/admin/settings") == 0) {
        rest_settings(r);
        return;
    }
    if (strncmp(p, "/api/v1/admin", 13) == 0 && (p[13] == '\0' || p[13] == '/')) {
        rest_admin_handle(r); /* folders, rooms, access lists, user groups, bans */
        return;
    }
    if (strcmp(p, "/api/v1/events") == 0) {
        rest_events_public(r);
        return;
    }
    if (strcmp(p, rooms) == 0) {
        if (is_method(r, "GET")) {
            json_t *a = json_array();
            core_rooms_foreach(g->core, add_room, a);
            http_respond_json(r, 200, json_pack("{s:o}", "rooms", a));
        } else if (is_method(r, "POST")) {
            post_room(r);
        } else {
            rest_not_allowed(r, "GET, POST");
        }
        return;
    }
    if (strncmp(p, rooms, sizeof(rooms) - 1) == 0 && p[sizeof(rooms) - 1] == '/') {
        char name[64];
        const char *rest = p + sizeof(rooms);
        const char *slash = strchr(rest, '/');
        size_t nl = slash ? (size_t)(slash - rest) : strlen(rest);
        if (nl == 0 || nl >= sizeof(name)) {
            http_respond_error(r, 404, "no_such_room", "no such room");
            return;
        }
        memcpy(name, rest, nl);
        name[nl] = '\0';
        room_t *room = core_room_find(g->core, name);
        if (room && core_right_anonymous(room) == CORE_RIGHT_NONE)
            room = NULL;
        const char *sub = slash ? slash : "";
        if (strcmp(sub, "") != 0 && strcmp(sub, "/history") != 0) {
            http_respond_error(r, 404, "not_found", "no such resource");
            return;
        }
        if (!is_method(r, "GET")) {
            rest_not_allowed(r, "GET");
            return;
        }
        if (room == NULL) {
            http_respond_error(r, 404, "no_such_room", "no such room");
            return;
        }
        if (sub[0] == '\0') {
            json_t *tables = json_array();
            for (table_t *t = room_table_first(room); t; t = room_table_next(t))
                json_array_append_new(tables, json_table_summary(t));
            http_respond_json(
                r, 200, json_pack("{s:o,s:o}", "room", json_room_summary(room), "tables", tables));
        } else {
            get_history(r, room);
        }
        return;
    }
    http_respond_error(r, 404, "not_found", "no such resource");
}

static void metric(buf_t *b, const char *name, const char *type, const char *help,
                   unsigned long long v)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

struct room_metrics {
    buf_t *b;
    group_t *g;
    int mpm;
};

/* The label value of a group or room name: names are [a-z0-9_-], nothing to escape. */
static void room_metric(void *ud, room_t *room)
{
    struct room_metrics *m = ud;
    if (m->mpm)
        buf_printf(m->b, "parley_room_messages_per_minute{group=\"%s\",room=\"%s\"} %u\n",
                   m->g->name, room_name(room), room_messages_per_minute(room));
    else
        buf_printf(m->b, "parley_room_users{group=\"%s\",room=\"%s\"} %u\n", m->g->name,
                   room_name(room), room_user_count(room));
}

static void count_event(void *ud, event_t *e)
{
    ((unsigned *)ud)[event_state(e)]++;
}

/* The chat status's gauges (docs/OPERATIONS.md, "Metrics"). Per room too: rooms are created by
 * sysops only (private rooms are left out), so the series are bounded. */
static void group_metrics(buf_t *b, app_t *app)
{
    buf_printf(b, "# HELP parley_group_users Members and lurkers in rooms, by chat group.\n"
                  "# TYPE parley_group_users gauge\n");
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        unsigned users;
        group_status_totals(g, &users, NULL, NULL);
        buf_printf(b, "parley_group_users{group=\"%s\"} %u\n", g->name, users);
    }
    buf_printf(b, "# HELP parley_group_lurkers Lurkers in rooms, by chat group.\n"
                  "# TYPE parley_group_lurkers gauge\n");
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        unsigned lurkers;
        group_status_totals(g, NULL, &lurkers, NULL);
        buf_printf(b, "parley_group_lurkers{group=\"%s\"} %u\n", g->name, lurkers);
    }
    buf_printf(b,
               "# HELP parley_group_messages_per_minute Says in the last minute, by chat group.\n"
               "# TYPE parley_group_messages_per_minute gauge\n");
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        unsigned mpm;
        group_status_totals(g, NULL, NULL, &mpm);
        buf_printf(b, "parley_group_messages_per_minute{group=\"%s\"} %u\n", g->name, mpm);
    }
    buf_printf(b, "# HELP parley_events Hosted events, by chat group and state.\n"
                  "# TYPE parley_events gauge\n");
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        unsigned n[3] = {0, 0, 0};
        core_events_foreach(g->core, count_event, n);
        for (int st = CORE_EVENT_SCHEDULED; st <= CORE_EVENT_ENDED; st++)
            buf_printf(b, "parley_events{group=\"%s\",state=\"%s\"} %u\n", g->name,
                       core_event_state_name((core_event_state_t)st), n[st]);
    }
    for (int mpm = 0; mpm < 2; mpm++) {
        if (mpm)
            buf_printf(b, "# HELP parley_room_messages_per_minute Says in the last minute, by "
                          "room.\n# TYPE parley_room_messages_per_minute gauge\n");
        else
            buf_printf(b, "# HELP parley_room_users Members and lurkers, by room.\n"
                          "# TYPE parley_room_users gauge\n");
        list_foreach(it, &app->groups)
        {
            group_t *g = list_entry(it, group_t, link);
            struct room_metrics m = {b, g, mpm};
            core_rooms_foreach(g->core, room_metric, &m);
        }
    }
}

static void metrics(const http_request_t *r)
{
    app_t *app = http_app(r);
    server_stats_t *ss = server_stats(app->server);
    core_stats_t cs = {0};
    store_stats_t st = {0};
    auth_stats_t as = {0};
    unsigned ngroups = 0;
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        core_stats_t c1;
        store_stats_t s1 = {0};
        core_get_stats(g->core, &c1);
        if (g->store)
            store_get_stats(g->store, &s1);
        cs.rooms += c1.rooms;
        cs.tables += c1.tables;
        cs.sessions += c1.sessions;
        cs.messages_in += c1.messages_in;
        cs.deliveries += c1.deliveries;
        cs.moderated += c1.moderated;
        cs.ejections += c1.ejections;
        cs.bans += c1.bans;
        cs.broadcasts += c1.broadcasts;
        cs.recordings += c1.recordings;
        cs.playbacks += c1.playbacks;
        if (g->auth) {
            auth_stats_t a1;
            auth_get_stats(g->auth, &a1);
            as.registrations += a1.registrations;
            as.validations += a1.validations;
            as.logins += a1.logins;
            as.login_failures += a1.login_failures;
            as.login_refused += a1.login_refused;
        }
        st.appended += s1.appended;
        st.failed += s1.failed;
        st.commits += s1.commits;
        st.queued += s1.queued;
        ngroups++;
    }
    buf_t b;
    buf_init(&b, (size_t)-1);
    metric(&b, "parley_connections", "gauge", "Open client connections.", ss->open);
    metric(&b, "parley_websockets", "gauge", "Open WebSocket connections.", ss->websockets);
    metric(&b, "parley_direct_sockets", "gauge", "Open direct socket connections.", ss->direct);
    metric(&b, "parley_tunnels", "gauge", "Open SSE and long-poll sessions.", json_tunnels_open());
    json_resume_stats_t rsm;
    json_resume_get_stats(&rsm);
    metric(&b, "parley_sessions_detached", "gauge",
           "Sessions whose transport went away, waiting for a resume.", rsm.detached);
    buf_printf(&b,
               "# HELP parley_resumes_total Resume attempts by result.\n"
               "# TYPE parley_resumes_total counter\n"
               "parley_resumes_total{result=\"ok\"} %llu\n"
               "parley_resumes_total{result=\"expired\"} %llu\n"
               "parley_resumes_total{result=\"unknown\"} %llu\n"
               "parley_resumes_total{result=\"gap\"} %llu\n",
               (unsigned long long)rsm.ok, (unsigned long long)rsm.expired,
               (unsigned long long)rsm.unknown, (unsigned long long)rsm.gap);
    const irc_stats_t *is = irc_stats();
    metric(&b, "parley_irc_connections", "gauge", "Open IRC connections.", is->connections);
    metric(&b, "parley_irc_commands_total", "counter", "IRC lines read.", is->commands);
    metric(&b, "parley_irc_messages_total", "counter", "IRC PRIVMSG and NOTICE accepted.",
           is->messages);
    metric(&b, "parley_irc_refused_total", "counter",
           "IRC lines refused (too long, not UTF-8, malformed, rate-limited).", is->refused);
    metric(&b, "parley_connections_accepted_total", "counter", "Connections accepted.",
           ss->accepted);
    metric(&b, "parley_connections_refused_total", "counter",
           "Connections refused (max_connections, max_connections_per_address).", ss->refused);
    metric(&b, "parley_connections_refused_per_address_total", "counter",
           "Connections refused at max_connections_per_address.", ss->refused_per_address);
    metric(&b, "parley_tls_connections", "gauge",
           "Open connections with a completed TLS handshake.", ss->tls);
    metric(&b, "parley_tls_handshake_failures_total", "counter",
           "TLS handshakes failed or timed out (plain text to a TLS port included).",
           ss->tls_handshake_failures);
    metric(&b, "parley_proxy_header_failures_total", "counter",
           "Connections closed for a missing, late or malformed PROXY header.", ss->proxy_failures);
    metric(&b, "parley_groups", "gauge", "Chat groups.", ngroups);
    metric(&b, "parley_rooms", "gauge", "Rooms.", cs.rooms);
    metric(&b, "parley_tables", "gauge", "Open tables.", cs.tables);
    metric(&b, "parley_sessions", "gauge", "Connections that said hello.", cs.sessions);
    metric(&b, "parley_messages_in_total", "counter", "Says and private messages accepted.",
           cs.messages_in);
    metric(&b, "parley_messages_out_total", "counter", "Events delivered to sessions.",
           cs.deliveries);
    metric(&b, "parley_moderated_total", "counter",
           "Says and private messages refused by the moderated word list.", cs.moderated);
    metric(&b, "parley_ejections_total", "counter", "People ejected by hosts.", cs.ejections);
    metric(&b, "parley_bans_total", "counter", "Ejections that came with a ban.", cs.bans);
    metric(&b, "parley_broadcasts_total", "counter", "Host broadcasts.", cs.broadcasts);
    metric(&b, "parley_recordings_active", "gauge", "Tables recording now.", cs.recordings);
    metric(&b, "parley_playbacks_active", "gauge", "Recordings playing into tables now.",
           cs.playbacks);
    metric(&b, "parley_registrations_total", "counter", "Accounts registered.", as.registrations);
    metric(&b, "parley_validations_total", "counter", "Accounts validated by e-mail.",
           as.validations);
    metric(&b, "parley_logins_total", "counter", "Successful logins.", as.logins);
    metric(&b, "parley_login_failures_total", "counter", "Logins with a wrong name or password.",
           as.login_failures);
    metric(&b, "parley_logins_refused_total", "counter",
           "Logins refused past the brute-force limit (too_many_attempts).", as.login_refused);
    metric(&b, "parley_bytes_in_total", "counter", "Bytes read from clients.", ss->bytes_in);
    metric(&b, "parley_bytes_out_total", "counter", "Bytes written to clients.", ss->bytes_out);
    metric(&b, "parley_slow_readers_dropped_total", "counter",
           "Connections closed for passing output_cap.", ss->slow_dropped);
    metric(&b, "parley_rate_limited_total", "counter", "Commands refused by flood control.",
           ss->rate_limited);
    metric(&b, "parley_flood_dropped_total", "counter", "Connections closed for flooding.",
           ss->flood_dropped);
    metric(&b, "parley_store_messages_total", "counter", "Messages durably stored.", st.appended);
    metric(&b, "parley_store_failures_total", "counter", "Messages whose storing failed.",
           st.failed);
    metric(&b, "parley_store_queue", "gauge", "Messages waiting for the writer thread.", st.queued);
    buf_printf(&b, "# HELP parley_group_sessions Connections that said hello, by chat group.\n"
                   "# TYPE parley_group_sessions gauge\n");
    list_foreach(it, &app->groups)
    {
        group_t *g = list_entry(it, group_t, link);
        core_stats_t c1;
        core_get_stats(g->core, &c1);
        buf_printf(&b, "parley_group_sessions{group=\"%s\"} %llu\n", g->name,
                   (unsigned long long)c1.sessions);
    }
    group_metrics(&b, app);
    http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.base, b.len, NULL, false);
    buf_deinit(&b);
}

void rest_handle_ops(const http_request_t *r)
{
    if (!is_method(r, "GET") && !is_method(r, "HEAD")) {
        rest_not_allowed(r, "GET, HEAD");
        return;
    }
    if (strcmp(r->path, "/metrics") == 0)
        metrics(r);
    else
        http_respond_json(r, 200, json_pack("{s:s}", "status", "ok"));
}
