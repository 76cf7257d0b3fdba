#include "stats.h"

#include <jansson.h>
#include <string.h>

/* ---- histogram ---- */

static int hist_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* >= HIST_SUB_BITS */
    if (e > HIST_MAX_EXP)
        return HIST_BUCKETS - 1;
    int sub = (int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* The middle of bucket i's value range. */
static uint64_t hist_value(int i)
{
    if (i < HIST_SUB)
        return (uint64_t)i;
    int e = i / HIST_SUB + HIST_SUB_BITS - 1;
    uint64_t sub = (uint64_t)(i % HIST_SUB);
    uint64_t lo = (1ull << e) + (sub << (e - HIST_SUB_BITS));
    return lo + (1ull << (e - HIST_SUB_BITS)) / 2;
}

void hist_record(hist_t *h, uint64_t us)
{
    h->b[hist_index(us)]++;
    if (h->count == 0 || us < h->min)
        h->min = us;
    if (us > h->max)
        h->max = us;
    h->count++;
    h->sum += us;
}

void hist_merge(hist_t *dst, const hist_t *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    for (int i = 0; i < HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
}

uint64_t hist_quantile(const hist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t v = hist_value(i);
            return v < h->min ? h->min : v > h->max ? h->max : v;
        }
    }
    return h->max;
}

/* ---- names ---- */

static const char *const err_names[EK__COUNT] = {
    [EK_CONNECT] = "connect_failed",
    [EK_HANDSHAKE] = "handshake_failed",
    [EK_HTTP_503] = "http_503",
    [EK_TIMEOUT] = "setup_timeout",
    [EK_HELLO] = "hello_refused",
    [EK_ENTER] = "enter_refused",
    [EK_PROTOCOL] = "protocol_error",
    [EK_DROPPED] = "connection_dropped",
    [EK_CLOSE_TIMEOUT] = "close_timeout",
    [EK_WRITE] = "write_failed",
    [EK_CUT] = "cut_at_end",
};

const char *stats_err_name(err_kind_t k)
{
    return err_names[k];
}

static const char *const code_names[STATS_NCODES + 1] = {
    "bad_json",        "bad_request",   "unknown_type",  "hello_first",      "already_hello",
    "nick_invalid",    "nick_reserved", "nick_taken",    "bad_colour",       "no_such_room",
    "already_in_room", "not_in_room",   "no_such_table", "already_at_table", "table_full",
    "read_only",       "no_such_user",  "text_empty",    "text_too_long",    "store_failed",
    "internal",        "other",
};

int stats_code_index(const char *code, size_t len)
{
    for (int i = 0; i < STATS_NCODES; i++)
        if (strlen(code_names[i]) == len && memcmp(code_names[i], code, len) == 0)
            return i;
    return STATS_NCODES;
}

const char *stats_code_name(int i)
{
    return code_names[i];
}

static const int close_codes[STATS_NCLOSES] = {1000, 1001, 1002, 1003, 1007,
                                               1008, 1009, 1011, 1005};

int stats_close_index(int code)
{
    for (int i = 0; i < STATS_NCLOSES; i++)
        if (close_codes[i] == code)
            return i;
    return STATS_NCLOSES;
}

int stats_close_code(int i)
{
    return i < STATS_NCLOSES ? close_codes[i] : -1;
}

const char *stats_phase_name(phase_t p)
{
    static const char *const names[] = {"startup", "run", "shutdown", "grace", "done"};
    return p <= PHASE_DONE ? names[p] : "?";
}

/* ---- counters ---- */

void stats_init(stats_t *s)
{
    memset(s, 0, sizeof(*s));
}

void stats_merge(stats_t *d, const stats_t *s)
{
    if (s->phase > d->phase)
        d->phase = s->phase;
    d->users += s->users;
    d->started += s->started;
    d->up += s->up;
    d->entered += s->entered;
    d->entered_late += s->entered_late;
    d->failed += s->failed;
    d->left += s->left;
    d->dropped += s->dropped;
    d->sent += s->sent;
    d->acked += s->acked;
    d->received += s->received;
    d->expected += s->expected;
    d->echoed += s->echoed;
    d->sent_run += s->sent_run;
    d->received_run += s->received_run;
    d->hops += s->hops;
    d->hop_none += s->hop_none;
    if (s->first_connect_ns && (!d->first_connect_ns || s->first_connect_ns < d->first_connect_ns))
        d->first_connect_ns = s->first_connect_ns;
    if (s->last_entered_ns > d->last_entered_ns)
        d->last_entered_ns = s->last_entered_ns;
    for (int i = 0; i < EK__COUNT; i++)
        d->errs[i] += s->errs[i];
    for (int i = 0; i <= STATS_NCODES; i++)
        d->codes[i] += s->codes[i];
    for (int i = 0; i <= STATS_NCLOSES; i++)
        d->closes[i] += s->closes[i];
    hist_merge(&d->latency, &s->latency);
    hist_merge(&d->latency_run, &s->latency_run);
    hist_merge(&d->ack, &s->ack);
    hist_merge(&d->connect, &s->connect);
}

static double connect_rate(const stats_t *s)
{
    if (s->entered == 0 || s->last_entered_ns <= s->first_connect_ns)
        return 0;
    return (double)s->entered / ((double)(s->last_entered_ns - s->first_connect_ns) / 1e9);
}

static double per_s(uint64_t n, double secs)
{
    return secs > 0 ? (double)n / secs : 0;
}

void stats_summarise(const stats_t *s, const bench_opts_t *o, double elapsed_s,
                     stats_summary_t *sum)
{
    sum->elapsed_s = elapsed_s;
    sum->run_s = elapsed_s - o->startup;
    if (sum->run_s > o->duration)
        sum->run_s = o->duration;
    if (sum->run_s < 0)
        sum->run_s = 0;
    uint64_t lost = s->expected > s->received ? s->expected - s->received : 0;
    sum->lost_pct = s->expected ? 100.0 * (double)lost / (double)s->expected : 0;
    sum->failed_pct = s->users ? 100.0 * (double)(s->failed + s->dropped) / (double)s->users : 0;
    sum->over_threshold = sum->lost_pct > o->max_failures || sum->failed_pct > o->max_failures;
}

static const char *mode_name(bench_mode_t m)
{
    return m == MODE_IDLE ? "idle" : m == MODE_CONNECT ? "connect-only" : "chat";
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static void print_hist_line(FILE *f, const char *name, const hist_t *h)
{
    if (h->count == 0) {
        fprintf(f, "  %-18s (no samples)\n", name);
        return;
    }
    fprintf(f, "  %-18s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f ms  (%llu samples)\n",
            name, ms(hist_quantile(h, 0.5)), ms(hist_quantile(h, 0.9)), ms(hist_quantile(h, 0.99)),
            ms(h->max), ms(h->sum / h->count), (unsigned long long)h->count);
}

void stats_print_human(FILE *f, const stats_t *s, const bench_opts_t *o, const stats_summary_t *sum)
{
    unsigned long long lost = s->expected > s->received ? s->expected - s->received : 0;
    fprintf(f, "parley-bench: %s mode, %s, %d users, %d proc(s), %.1f s\n", mode_name(o->mode),
            o->proto == PROTO_IRC ? "irc" : "ws", o->users, o->procs, sum->elapsed_s);
    fprintf(f,
            "  users         entered %llu (%llu after the run began)  failed %llu  dropped %llu "
            "(%.2f %%)  left cleanly %llu\n",
            (unsigned long long)s->entered, (unsigned long long)s->entered_late,
            (unsigned long long)s->failed, (unsigned long long)s->dropped, sum->failed_pct,
            (unsigned long long)s->left);
    fprintf(f, "  connects/s    %.1f\n", connect_rate(s));
    if (o->mode == MODE_CHAT) {
        fprintf(f, "  messages      sent %llu  acked %llu  echoed %llu  (run phase: %.1f msgs/s)\n",
                (unsigned long long)s->sent, (unsigned long long)s->acked,
                (unsigned long long)s->echoed, per_s(s->sent_run, sum->run_s));
        fprintf(f,
                "  deliveries    expected %llu  received %llu  lost %llu (%.3f %%)"
                "  (run phase: %.1f /s)\n",
                (unsigned long long)s->expected, (unsigned long long)s->received, lost,
                sum->lost_pct, per_s(s->received_run, sum->run_s));
        if (s->received > s->expected)
            fprintf(f, "  note          %llu more deliveries than expected\n",
                    (unsigned long long)(s->received - s->expected));
        fprintf(f, "  hops          done %llu  no free table %llu\n", (unsigned long long)s->hops,
                (unsigned long long)s->hop_none);
        print_hist_line(f, "delivery latency", &s->latency);
        print_hist_line(f, "  in run phase", &s->latency_run);
        print_hist_line(f, "say->ok latency", &s->ack);
    }
    print_hist_line(f, "setup latency", &s->connect);
    bool any = false;
    for (int i = 0; i < EK__COUNT; i++)
        if (s->errs[i]) {
            fprintf(f, "%s %s %llu", any ? "," : "  errors       ", err_names[i],
                    (unsigned long long)s->errs[i]);
            any = true;
        }
    for (int i = 0; i <= STATS_NCODES; i++)
        if (s->codes[i]) {
            fprintf(f, "%s error:%s %llu", any ? "," : "  errors       ", code_names[i],
                    (unsigned long long)s->codes[i]);
            any = true;
        }
    fprintf(f, "%s\n", any ? "" : "  errors        none");
    any = false;
    for (int i = 0; i <= STATS_NCLOSES; i++)
        if (s->closes[i]) {
            if (i < STATS_NCLOSES)
                fprintf(f, "%s %d: %llu", any ? "," : "  server closes", close_codes[i],
                        (unsigned long long)s->closes[i]);
            else
                fprintf(f, "%s other: %llu", any ? "," : "  server closes",
                        (unsigned long long)s->closes[i]);
            any = true;
        }
    if (any)
        fprintf(f, "\n");
    fprintf(f, "  result        %s (threshold %.2f %%)\n", sum->over_threshold ? "FAIL" : "ok",
            o->max_failures);
}

static json_t *hist_json(const hist_t *h)
{
    return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "count", (json_int_t)h->count, "p50",
                     ms(hist_quantile(h, 0.5)), "p90", ms(hist_quantile(h, 0.9)), "p99",
                     ms(hist_quantile(h, 0.99)), "max", ms(h->max), "min", ms(h->min), "mean",
                     h->count ? ms(h->sum / h->count) : 0.0);
}

void stats_print_json(FILE *f, const stats_t *s, const bench_opts_t *o, const stats_summary_t *sum)
{
    json_t *errs = json_object(), *codes = json_object(), *closes = json_object();
    for (int i = 0; i < EK__COUNT; i++)
        if (s->errs[i])
            json_object_set_new(errs, err_names[i], json_integer((json_int_t)s->errs[i]));
    for (int i = 0; i <= STATS_NCODES; i++)
        if (s->codes[i])
            json_object_set_new(codes, code_names[i], json_integer((json_int_t)s->codes[i]));
    for (int i = 0; i <= STATS_NCLOSES; i++)
        if (s->closes[i]) {
            char k[16];
            if (i < STATS_NCLOSES)
                snprintf(k, sizeof(k), "%d", close_codes[i]);
            else
                snprintf(k, sizeof(k), "other");
            json_object_set_new(closes, k, json_integer((json_int_t)s->closes[i]));
        }
    uint64_t lost = s->expected > s->received ? s->expected - s->received : 0;
    json_t *root = json_pack(
        "{s:s,s:i,s:i,s:f,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:f},s:f,"
        "s:{s:I,s:I,s:I,s:f},s:{s:I,s:I,s:I,s:I,s:f,s:f},s:{s:I,s:I},"
        "s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}",
        "mode", mode_name(o->mode), "users_requested", o->users, "procs", o->procs, "elapsed_s",
        sum->elapsed_s, "users", "entered", (json_int_t)s->entered, "late",
        (json_int_t)s->entered_late, "failed", (json_int_t)s->failed, "dropped",
        (json_int_t)s->dropped, "left", (json_int_t)s->left, "started", (json_int_t)s->started,
        "failed_pct", sum->failed_pct, "connects_per_sec", connect_rate(s), "messages", "sent",
        (json_int_t)s->sent, "acked", (json_int_t)s->acked, "echoed", (json_int_t)s->echoed,
        "per_sec", per_s(s->sent_run, sum->run_s), "deliveries", "expected",
        (json_int_t)s->expected, "received", (json_int_t)s->received, "lost", (json_int_t)lost,
        "extra", (json_int_t)(s->received > s->expected ? s->received - s->expected : 0),
        "lost_pct", sum->lost_pct, "per_sec", per_s(s->received_run, sum->run_s), "hops", "done",
        (json_int_t)s->hops, "no_free_table", (json_int_t)s->hop_none, "latency_ms",
        hist_json(&s->latency), "ack_latency_ms", hist_json(&s->ack), "setup_latency_ms",
        hist_json(&s->connect), "errors", errs, "error_codes", codes, "close_codes", closes,
        "max_failures_pct", json_real(o->max_failures), "ok", !sum->over_threshold);
    if (root)
        json_object_set_new(root, "latency_run_ms", hist_json(&s->latency_run));
    if (root)
        json_object_set_new(root, "protocol", json_string(o->proto == PROTO_IRC ? "irc" : "ws"));
    if (root == NULL) {
        fprintf(f, "{\"error\": \"json encoding failed\"}\n");
        return;
    }
    char *text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
    fprintf(f, "%s\n", text ? text : "{}");
    free(text);
    json_decref(root);
}

void stats_print_progress(FILE *f, const stats_t *now, const stats_t *prev, double dt_s)
{
    fprintf(f,
            "[%-8s] up %llu/%llu  failed %llu  msgs/s %.0f  deliveries/s %.0f  p99 %.1f ms  "
            "in flight %lld",
            stats_phase_name((phase_t)now->phase), (unsigned long long)now->up,
            (unsigned long long)now->users, (unsigned long long)now->failed,
            per_s(now->sent - prev->sent, dt_s), per_s(now->received - prev->received, dt_s),
            ms(hist_quantile(&now->latency, 0.99)),
            (long long)now->expected - (long long)now->received);
}
