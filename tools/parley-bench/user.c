/* One emulated user.
 *
 * Life: WAITING until its start moment; SETUP while connecting, upgrading, saying hello and
 * entering (bounded by BENCH_CONNECT_TIMEOUT_S); UP while it talks and hops; DRAINING while it
 * waits for the ok of its last says before leaving (so that say->ok is measured for every say);
 * LEAVING after it sent quit and its close frame (each of the last two bounded by
 * BENCH_CLOSE_GRACE_S);
 * DONE.
 *
 * Delivery accounting. Every say carries "pb<run tag>;t=<send ns>;u=<user>;s=<seq>;". Every
 * receiver counts the message events of this run it gets and records now - t as the delivery
 * latency. The number of deliveries the server owes for one say is the population of the sender's
 * table at the moment the server fanned it out. The sender learns that moment exactly: the server
 * sends the sender's own copy of the message after every member event that preceded the fan-out, on
 * the same connection, so when the echo arrives the sender's table view (built from the enter/hop
 * replies and the member and lurkers events, applied in arrival order) is the table as it was then.
 * So the sender adds members + lurkers to `expected` when its echo arrives. A user that leaves
 * keeps reading until the server answers its close frame, so its own echoes and everything owed to
 * it arrive first.
 *
 * Command ids carry their kind in the low bits (id = seq << 3 | kind), so replies need no lookup.
 */
#include "user.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { K_HELLO = 1, K_ENTER, K_SAY, K_TABLES, K_HOP };

static const wsc_handler_t handler;

static uint64_t secs_ns(double s)
{
    return (uint64_t)(s * 1e9);
}

/* An exponentially distributed gap with the given mean: the gaps of a Poisson process. */
static uint64_t exp_gap(user_t *u, double mean)
{
    double x = worker_rand01(&u->rng);
    return secs_ns(-log(1.0 - x) * mean);
}

void user_init(user_t *u, worker_t *w, uint32_t index)
{
    const bench_opts_t *o = w->o;
    memset(u, 0, sizeof(*u));
    u->w = w;
    u->index = index;
    u->rng = o->seed ^ ((uint64_t)index * 0x9E3779B97F4A7C15ull) ^ 0xD1B54A32D192ED03ull;
    (void)worker_rand01(&u->rng);
    u->room = o->rooms[index % (uint32_t)o->nrooms];
    u->target = &o->targets[index % (uint32_t)o->ntargets];
    if (o->source_addrs > 0)
        u->src = (uint8_t)(1 + index % (uint32_t)o->source_addrs);
    u->lurk = o->mode == MODE_CHAT && worker_rand01(&u->rng) < o->lurk_fraction;
    u->start_at = o->t0 + secs_ns(worker_rand01(&u->rng) * o->startup);
    u->leave_at =
        o->t0 + secs_ns(o->startup + o->duration) + secs_ns(worker_rand01(&u->rng) * o->shutdown);
    list_init(&u->talk_node);
    uv_timer_init(&w->loop, &u->timer);
    u->timer.data = u;
}

void user_deinit(user_t *u)
{
    uv_close((uv_handle_t *)&u->timer, NULL);
}

/* ---- timer: one per user, armed for the earliest thing it waits for ---- */

static void on_timer(uv_timer_t *t);

static void rearm(user_t *u)
{
    uint64_t next = 0;
    switch (u->state) {
    case U_WAITING: next = u->start_at; break;
    case U_SETUP:
    case U_DRAINING:
    case U_LEAVING: next = u->deadline; break;
    case U_UP:
        next = u->leave_at;
        if (u->next_msg && u->next_msg < next)
            next = u->next_msg;
        if (u->next_hop && u->next_hop < next)
            next = u->next_hop;
        break;
    default: uv_timer_stop(&u->timer); return;
    }
    uint64_t now = uv_hrtime();
    uint64_t ms = next > now ? (next - now + 999999) / 1000000 : 0;
    uv_timer_start(&u->timer, on_timer, ms, 0);
}

/* ---- sending ---- */

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

void user_say(user_t *u)
{
    static char cmd[8192];
    const bench_opts_t *o = u->w->o;
    if (u->state != U_UP || u->lurk)
        return;
    uint64_t now = uv_hrtime();
    uint64_t seq = ++u->cmd_seq;
    uint64_t id = seq << 3 | K_SAY;
    int n = snprintf(cmd, sizeof(cmd),
                     "{\"type\":\"say\",\"id\":%llu,\"room\":\"%s\",\"text\":\"pb%08x;t=%llu;u=%u;"
                     "s=%llu;",
                     (unsigned long long)id, u->room, o->run_tag, (unsigned long long)now, u->index,
                     (unsigned long long)seq);
    int text_start = (int)(strstr(cmd, "\"text\":\"") - cmd) + 8;
    int want = text_start + o->text_size;
    while (n < want && n < (int)sizeof(cmd) - 4)
        cmd[n++] = 'x';
    n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "\"}");
    u->acks[seq % USER_ACK_RING].seq = seq;
    u->acks[seq % USER_ACK_RING].sent_ns = now;
    stats_t *st = &u->w->st;
    if (wsc_send_text(u->c, cmd, (size_t)n) == 0) {
        u->unacked++;
        st->sent++;
        if (worker_phase(u->w, now) == PHASE_RUN)
            st->sent_run++;
    }
}

static void start_hop(user_t *u)
{
    u->hop_pending = true;
    send_cmd(u, K_TABLES, ",\"room\":\"%s\"}%s", u->room, "");
}

/* ---- the timer ---- */

static void connect_now(user_t *u)
{
    worker_t *w = u->w;
    struct sockaddr_in src;
    if (u->src) {
        memset(&src, 0, sizeof(src));
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7f000000u | u->src);
    }
    u->setup_start = uv_hrtime();
    if (!w->st.first_connect_ns || u->setup_start < w->st.first_connect_ns)
        w->st.first_connect_ns = u->setup_start;
    w->st.started++;
    u->state = U_SETUP;
    u->deadline = u->setup_start + secs_ns(BENCH_CONNECT_TIMEOUT_S);
    int r = wsc_connect(&w->loop, u->target, u->src ? &src : NULL, &handler, u, &u->c);
    if (r < 0) {
        u->c = NULL;
        w->st.errs[EK_CONNECT]++;
        w->st.failed++;
        u->state = U_DONE;
        worker_user_done(w);
    }
}

/* A user that leaves says quit first: its session ends at once rather than waiting, detached,
 * for a resume (its table-mates stop being owed its deliveries, and its nick is free). */
static void close_now(user_t *u)
{
    static const char quit[] = "{\"type\":\"quit\"}";
    u->state = U_LEAVING;
    u->deadline = uv_hrtime() + secs_ns(BENCH_CLOSE_GRACE_S);
    wsc_send_text(u->c, quit, sizeof(quit) - 1);
    wsc_close(u->c);
}

/* Stops talking; closes once every say is answered (or the grace is over). */
static void leave_now(user_t *u)
{
    list_remove(&u->talk_node);
    if (u->unacked == 0) {
        close_now(u);
        return;
    }
    u->state = U_DRAINING;
    u->deadline = uv_hrtime() + secs_ns(BENCH_CLOSE_GRACE_S);
}

static void say_answered(user_t *u)
{
    if (u->unacked)
        u->unacked--;
    if (u->unacked == 0 && u->state == U_DRAINING) {
        close_now(u);
        rearm(u);
    }
}

static void on_timer(uv_timer_t *t)
{
    user_t *u = t->data;
    uint64_t now = uv_hrtime();
    const bench_opts_t *o = u->w->o;
    switch (u->state) {
    case U_WAITING: connect_now(u); break;
    case U_SETUP:
        if (now >= u->deadline)
            wsc_abort(u->c, EK_TIMEOUT);
        break;
    case U_DRAINING:
        if (now >= u->deadline)
            close_now(u);
        break;
    case U_LEAVING:
        if (now >= u->deadline)
            wsc_abort(u->c, EK_CLOSE_TIMEOUT);
        break;
    case U_UP:
        if (now >= u->leave_at) {
            leave_now(u);
            break;
        }
        if (u->next_msg && now >= u->next_msg) {
            user_say(u);
            if (u->state == U_UP)
                u->next_msg = now + exp_gap(u, o->msg_interval);
        }
        if (u->state == U_UP && u->next_hop && now >= u->next_hop) {
            if (!u->hop_pending)
                start_hop(u);
            if (u->state == U_UP)
                u->next_hop = now + exp_gap(u, o->hop_interval);
        }
        break;
    default: break;
    }
    rearm(u);
}

void user_start(user_t *u)
{
    rearm(u);
}

void user_cut(user_t *u)
{
    if (u->c)
        wsc_abort(u->c, EK_CUT);
    else if (u->state == U_WAITING) {
        u->w->st.failed++;
        u->w->st.errs[EK_CUT]++;
        u->state = U_DONE;
        worker_user_done(u->w);
    }
    uv_timer_stop(&u->timer);
}

/* ---- input ---- */

static bool starts(const char *m, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(m, lit, l) == 0;
}

static uint64_t num_after(const char *p, const char *end, const char *key, bool *ok)
{
    size_t kl = strlen(key);
    const char *k = memmem(p, (size_t)(end - p), key, kl);
    if (k == NULL) {
        *ok = false;
        return 0;
    }
    uint64_t v = 0;
    const char *d = k + kl;
    if (d >= end || *d < '0' || *d > '9')
        *ok = false;
    for (; d < end && *d >= '0' && *d <= '9'; d++)
        v = v * 10 + (uint64_t)(*d - '0');
    return v;
}

/* text: a message event's text, raw (ours never needs escaping). */
static void count_message(user_t *u, const char *text, size_t len)
{
    worker_t *w = u->w;
    char tag[16];
    snprintf(tag, sizeof(tag), "pb%08x;", w->o->run_tag);
    if (len < 11 || memcmp(text, tag, 11) != 0)
        return; /* not from this run */
    bool ok = true;
    const char *end = text + len;
    uint64_t t = num_after(text, end, ";t=", &ok);
    uint64_t from = num_after(text, end, ";u=", &ok);
    if (!ok) {
        w->st.errs[EK_PROTOCOL]++;
        return;
    }
    uint64_t now = uv_hrtime();
    w->st.received++;
    if (worker_phase(w, now) == PHASE_RUN)
        w->st.received_run++;
    hist_record(&w->st.latency, now > t ? (now - t) / 1000 : 0);
    if (from == u->index) {
        w->st.echoed++;
        w->st.expected += (uint64_t)(u->members + u->lurkers);
    }
}

static void take_view(user_t *u, json_t *view)
{
    json_t *members = json_object_get(view, "members");
    u->table = json_integer_value(json_object_get(view, "table"));
    u->members = (int64_t)json_array_size(members);
    u->lurkers = json_integer_value(json_object_get(view, "lurkers"));
}

static void entered(user_t *u, json_t *res)
{
    worker_t *w = u->w;
    const bench_opts_t *o = w->o;
    uint64_t now = uv_hrtime();
    take_view(u, json_object_get(res, "table"));
    u->state = U_UP;
    u->entered = true;
    w->st.entered++;
    w->st.up++;
    if (now > w->st.last_entered_ns)
        w->st.last_entered_ns = now;
    hist_record(&w->st.connect, (now - u->setup_start) / 1000);
    if (o->mode == MODE_CONNECT) {
        leave_now(u);
        return;
    }
    if (o->mode == MODE_CHAT) {
        if (!u->lurk && o->rate > 0)
            list_push_back(&w->talkers, &u->talk_node);
        else if (!u->lurk)
            u->next_msg = now + exp_gap(u, o->msg_interval);
        if (o->hop_interval > 0)
            u->next_hop = now + exp_gap(u, o->hop_interval);
    }
    rearm(u);
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
            say_answered(u);
        return;
    }
    switch (kind) {
    case K_HELLO: {
        const char *lurk = u->lurk ? "true" : "false";
        send_cmd(u, K_ENTER, ",\"room\":\"%s\",\"lurk\":%s}", u->room, lurk);
        break;
    }
    case K_ENTER: entered(u, o); break;
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
    snprintf(nick, sizeof(nick), "%s%d_%u", u->w->o->nick_prefix, u->w->proc, u->index);
    const char *n = json_string_value(json_object_get(o, "nick"));
    return n && strcasecmp(n, nick) == 0;
}

static void on_event(user_t *u, const char *type, json_t *o)
{
    int64_t table = json_integer_value(json_object_get(o, "table"));
    if (strcmp(type, "message") == 0) {
        const char *text = json_string_value(json_object_get(o, "text"));
        if (text)
            count_message(u, text, strlen(text));
    } else if (strcmp(type, "welcome") == 0) {
        char nick[48];
        snprintf(nick, sizeof(nick), "%s%d_%u", u->w->o->nick_prefix, u->w->proc, u->index);
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

static void ack(user_t *u, uint64_t id)
{
    worker_t *w = u->w;
    uint64_t seq = id >> 3;
    w->st.acked++;
    if (u->acks[seq % USER_ACK_RING].seq == seq)
        hist_record(&w->st.ack, (uv_hrtime() - u->acks[seq % USER_ACK_RING].sent_ns) / 1000);
    say_answered(u);
}

static void on_text(wsc_t *c, const char *m, size_t n)
{
    user_t *u = wsc_data(c);
    /* Fast paths for the two messages that dominate a run, when the server writes "type" first;
     * anything else goes through jansson. */
    if (starts(m, n, "{\"type\":\"message\",")) {
        const char *t = memmem(m, n, "\"text\":\"", 8);
        if (t) {
            t += 8;
            const char *e = memchr(t, '"', (size_t)(m + n - t));
            if (e) {
                count_message(u, t, (size_t)(e - t));
                return;
            }
        }
    } else if (starts(m, n, "{\"type\":\"ok\",\"id\":")) {
        bool ok = true;
        uint64_t id = num_after(m, m + n, "\"id\":", &ok);
        if (ok && (id & 7) == K_SAY) {
            ack(u, id);
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
            ack(u, (uint64_t)json_integer_value(id));
        else if (json_is_integer(id))
            on_reply(u, o, ok, (uint64_t)json_integer_value(id));
        else if (!ok)
            on_reply(u, o, false, 0);
    } else {
        on_event(u, type, o);
    }
    json_decref(o);
}

static void on_open(wsc_t *c)
{
    /* hello goes out when the welcome arrives */
}

static void on_end(wsc_t *c, int how, int close_code)
{
    user_t *u = wsc_data(c);
    worker_t *w = u->w;
    if (close_code)
        w->st.closes[stats_close_index(close_code)]++;
    if (how != WSC_END_CLEAN)
        w->st.errs[how]++;
    if (u->state == U_UP || u->state == U_DRAINING || u->state == U_LEAVING) {
        w->st.up--;
        if (how == WSC_END_CLEAN)
            w->st.left++;
    }
    if (u->entered && how != WSC_END_CLEAN)
        w->st.dropped++;
    if (!u->entered)
        w->st.failed++;
    list_remove(&u->talk_node);
    u->c = NULL;
    u->state = U_DONE;
    uv_timer_stop(&u->timer);
    worker_user_done(w);
}

static const wsc_handler_t handler = {on_open, on_text, on_end};
