/* The native protocol side of a user (docs/PROTOCOL.md over WebSocket): hello when the welcome
 * arrives, enter, say, tables + hop, and the table view kept from the replies and member events
 * (the delivery accounting is in user.c).
 *
 * Command ids carry their kind in the low bits (id = seq << 3 | kind), so replies need no lookup.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "user.h"

enum { K_HELLO = 1, K_ENTER, K_SAY, K_TABLES, K_HOP };

static int send_cmd(user_t *u, int kind, const char *fmt_rest, const char *a, const char *b)
{
    char cmd[512];
    uint64_t id = ++u->cmd_seq << 3 | (uint64_t)kind;
    static const char *const types[] = {"", "hello", "enter", "say", "tables", "hop"};
    int n = snprintf(cmd, sizeof(cmd), "{\"type\":\"%s\",\"id\":%llu", types[kind],
                     (unsigned long long)id);
    n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt_rest, a, b);
    if (n >= (int)sizeof(cmd))
        abort();
    return wsc_send_text(u->c, cmd, (size_t)n);
}

static int ws_say(user_t *u, uint64_t seq, uint64_t now)
{
    static char cmd[8192];
    int n = snprintf(cmd, sizeof(cmd), "{\"type\":\"say\",\"id\":%llu,\"room\":\"%s\",\"text\":\"",
                     (unsigned long long)(seq << 3 | K_SAY), u->room);
    n += user_say_text(u, cmd + n, sizeof(cmd) - 4 - (size_t)n, seq, now);
    n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "\"}");
    return wsc_send_text(u->c, cmd, (size_t)n);
}

static void ws_hop(user_t *u)
{
    u->hop_pending = true;
    send_cmd(u, K_TABLES, ",\"room\":\"%s\"}%s", u->room, "");
}

static void ws_open(user_t *u)
{
    /* hello goes out when the welcome arrives */
}

/* A user that leaves says quit first: its session ends at once rather than waiting, detached,
 * for a resume (its table-mates stop being owed its deliveries, and its nick is free). */
static void ws_leave(user_t *u)
{
    static const char quit[] = "{\"type\":\"quit\"}";
    wsc_send_text(u->c, quit, sizeof(quit) - 1);
    if (u->c) /* NULL if the write failed and ended the connection */
        wsc_close(u->c);
}

static bool starts(const char *m, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(m, lit, l) == 0;
}

static void take_view(user_t *u, json_t *view)
{
    json_t *members = json_object_get(view, "members");
    u->table = json_integer_value(json_object_get(view, "table"));
    u->members = (int64_t)json_array_size(members);
    u->lurkers = json_integer_value(json_object_get(view, "lurkers"));
}

static void tables_listed(user_t *u, json_t *res)
{
    json_t *tables = json_object_get(res, "tables"), *t;
    int64_t pick[64];
    size_t n = 0, i;
    json_array_foreach(tables, i, t)
    {
        int64_t num = json_integer_value(json_object_get(t, "number"));
        if (num != u->table && !json_is_true(json_object_get(t, "full")) && n < 64)
            pick[n++] = num;
    }
    if (n == 0) {
        u->w->st.hop_none++;
        u->hop_pending = false;
        return;
    }
    char num[24];
    snprintf(num, sizeof(num), "%lld",
             (long long)pick[(size_t)(worker_rand01(&u->rng) * (double)n) % n]);
    send_cmd(u, K_HOP, ",\"room\":\"%s\",\"table\":%s}", u->room, num);
}

static void on_reply(user_t *u, json_t *o, bool ok, uint64_t id)
{
    worker_t *w = u->w;
    int kind = (int)(id & 7);
    if (!ok) {
        const char *code = json_string_value(json_object_get(o, "code"));
        w->st.codes[stats_code_index(code ? code : "", code ? strlen(code) : 0)]++;
        if (kind == K_HELLO || kind == K_ENTER)
            wsc_abort(u->c, kind == K_HELLO ? EK_HELLO : EK_ENTER);
        else if (kind == K_TABLES || kind == K_HOP)
            u->hop_pending = false;
        else if (kind == K_SAY)
            user_answered(u, id >> 3, false);
        return;
    }
    switch (kind) {
    case K_HELLO: {
        const char *lurk = u->lurk ? "true" : "false";
        send_cmd(u, K_ENTER, ",\"room\":\"%s\",\"lurk\":%s}", u->room, lurk);
        break;
    }
    case K_ENTER:
        take_view(u, json_object_get(o, "table"));
        user_entered(u);
        break;
    case K_TABLES: tables_listed(u, o); break;
    case K_HOP:
        take_view(u, json_object_get(o, "table"));
        w->st.hops++;
        u->hop_pending = false;
        break;
    default: break;
    }
}

static bool is_me(user_t *u, json_t *o)
{
    char nick[48];
    user_nick(u, nick, sizeof(nick));
    const char *n = json_string_value(json_object_get(o, "nick"));
    return n && strcasecmp(n, nick) == 0;
}

static void on_event(user_t *u, const char *type, json_t *o)
{
    int64_t table = json_integer_value(json_object_get(o, "table"));
    if (strcmp(type, "message") == 0) {
        const char *text = json_string_value(json_object_get(o, "text"));
        if (text)
            user_delivered(u, text, strlen(text));
    } else if (strcmp(type, "welcome") == 0) {
        char nick[48];
        user_nick(u, nick, sizeof(nick));
        send_cmd(u, K_HELLO, ",\"nick\":\"%s\"}%s", nick, "");
    } else if (strcmp(type, "member_entered") == 0) {
        if (table == u->table && !is_me(u, o))
            u->members++;
    } else if (strcmp(type, "member_left") == 0) {
        if (table == u->table && !is_me(u, o))
            u->members--;
    } else if (strcmp(type, "member_hopped") == 0) {
        if (!is_me(u, o)) {
            if (json_integer_value(json_object_get(o, "to")) == u->table)
                u->members++;
            if (json_integer_value(json_object_get(o, "from")) == u->table)
                u->members--;
        }
    } else if (strcmp(type, "lurkers") == 0) {
        if (table == u->table)
            u->lurkers = json_integer_value(json_object_get(o, "count"));
    }
}

static void ws_input(user_t *u, const char *m, size_t n)
{
    /* Fast paths for the two messages that dominate a run, when the server writes "type" first;
     * anything else goes through jansson. */
    if (starts(m, n, "{\"type\":\"message\",")) {
        const char *t = memmem(m, n, "\"text\":\"", 8);
        if (t) {
            t += 8;
            const char *e = memchr(t, '"', (size_t)(m + n - t));
            if (e) {
                user_delivered(u, t, (size_t)(e - t));
                return;
            }
        }
    } else if (starts(m, n, "{\"type\":\"ok\",\"id\":")) {
        bool ok = true;
        uint64_t id = user_num_after(m, m + n, "\"id\":", &ok);
        if (ok && (id & 7) == K_SAY) {
            user_answered(u, id >> 3, true);
            return;
        }
    }
    json_error_t err;
    json_t *o = json_loadb(m, n, 0, &err);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type == NULL) {
        u->w->st.errs[EK_PROTOCOL]++;
    } else if (strcmp(type, "ok") == 0 || strcmp(type, "error") == 0) {
        json_t *id = json_object_get(o, "id");
        bool ok = type[0] == 'o';
        if (json_is_integer(id) && ok && (json_integer_value(id) & 7) == K_SAY)
            user_answered(u, (uint64_t)json_integer_value(id) >> 3, true);
        else if (json_is_integer(id))
            on_reply(u, o, ok, (uint64_t)json_integer_value(id));
        else if (!ok)
            on_reply(u, o, false, 0);
    } else {
        on_event(u, type, o);
    }
    json_decref(o);
}

const user_proto_t proto_ws = {ws_open, ws_input, ws_say, ws_hop, ws_leave};
