/* ircsup_bench: what the IRC gateway's support pieces cost, measured in one process.
 *
 * Build (after `make`):
 *     cc -O2 -Isrc -D_GNU_SOURCE -o build/ircsup-bench bench/ircsup/ircsup_bench.c \
 *        build/libparley.a $(pkg-config --libs libuv jansson sqlite3 libsodium openssl libcurl \
 *        inih libutf8proc) -lwslay -lpthread -lm
 * Run:
 *     build/ircsup-bench [MESSAGES]        (default 100000 stored messages)
 *
 * Measures, each as the mean over a fixed number of repetitions (wall clock, CLOCK_MONOTONIC):
 *   1. SCRAM credential derivation (scram_creds_new: PBKDF2-HMAC-SHA-256 and the two keys) at
 *      4096 and 100000 iterations: the worker-thread cost of a registration, password change or
 *      first login;
 *   2. one SCRAM server exchange, both steps (the RFC 7677 messages), with the lookup's
 *      derivation excluded (credentials precomputed);
 *   3. store_history_query on a table of MESSAGES stored messages (in a temporary directory,
 *      removed afterwards), limit 100: LATEST *, BEFORE a msgid in the middle, AFTER a
 *      timestamp, AROUND a msgid, BETWEEN two timestamps;
 *   4. irccolour_strip and irccolour_to_irc on a 400-byte line.
 * Prints one line per figure. Bounded: MESSAGES <= 1,000,000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/scram.h"
#include "store/store.h"
#include "util/irccolour.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static store_scram_t creds;

static int lookup(void *ud, const char *user, store_scram_t *out)
{
    *out = creds;
    return 0;
}

static int done;

static void on_done(void *ud, uint64_t id, int status)
{
    done++;
}

static int seen;

static void on_msg(void *ud, const store_msg_t *m)
{
    seen++;
}

static void bench_derive(uint32_t iterations, int reps)
{
    store_scram_t k;
    double t = now_s();
    for (int i = 0; i < reps; i++)
        scram_creds_new("correct horse", 13, iterations, &k);
    printf("scram derive, %u iterations: %.2f ms\n", iterations, (now_s() - t) / reps * 1e3);
}

static void bench_exchange(int reps)
{
    uint8_t salt[16];
    size_t n;
    sodium_base642bin(salt, sizeof salt, "W22ZaJ0SNY7soEsUEjb6gQ==", 24, NULL, &n, NULL,
                      sodium_base64_VARIANT_ORIGINAL);
    scram_derive("pencil", 6, salt, n, 4096, &creds);
    const char *c1 = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    const char *c2 = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    double t = now_s();
    for (int i = 0; i < reps; i++) {
        char *out;
        scram_server_t *s = scram_server_new(lookup, NULL, 4096);
        scram_server__set_nonce(s, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        scram_server_step(s, c1, strlen(c1), &out, &n);
        free(out);
        if (scram_server_step(s, c2, strlen(c2), &out, &n) != 0)
            fprintf(stderr, "exchange failed\n");
        free(out);
        scram_server_free(s);
    }
    printf("scram exchange (server, 2 steps): %.1f us\n", (now_s() - t) / reps * 1e6);
}

static void bench_history(int messages)
{
    char dir[] = "/tmp/parley-ircsup-bench-XXXXXX";
    uv_loop_t loop;
    store_t *st;
    if (mkdtemp(dir) == NULL || uv_loop_init(&loop) != 0)
        return;
    store_options_t opt = {.dir = dir};
    if (store_open(&loop, &opt, &st) < 0)
        return;
    for (int i = 1; i <= messages; i++) {
        store_msg_t m = {.id = (uint64_t)i,
                         .ts = 1700000000000 + (int64_t)i * 10,
                         .room = "lobby",
                         .table = (uint32_t)(i % 4 == 0 ? 2 : 1),
                         .nick = "nick",
                         .colour = "#e06c75",
                         .text = "a line of chat text",
                         .text_len = 19};
        store_msg_append(st, &m, on_done, NULL);
        if (i % 5000 == 0 || i == messages)
            while (done < i)
                uv_run(&loop, UV_RUN_ONCE);
    }
    uint64_t mid = (uint64_t)messages / 2 + 1;
    int64_t tmid = 1700000000000 + (int64_t)mid * 10;
    const struct {
        const char *name;
        store_hist_q_t q;
    } qs[] = {
        {"LATEST *", {.kind = STORE_HQ_LATEST, .limit = 100}},
        {"BEFORE msgid", {.kind = STORE_HQ_BEFORE, .ref = {STORE_HQ_ID, mid, 0}, .limit = 100}},
        {"AFTER timestamp", {.kind = STORE_HQ_AFTER, .ref = {STORE_HQ_TS, 0, tmid}, .limit = 100}},
        {"AROUND msgid", {.kind = STORE_HQ_AROUND, .ref = {STORE_HQ_ID, mid, 0}, .limit = 100}},
        {"BETWEEN timestamps",
         {.kind = STORE_HQ_BETWEEN,
          .ref = {STORE_HQ_TS, 0, tmid},
          .end = {STORE_HQ_TS, 0, tmid + 100000},
          .limit = 100}},
    };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        int reps = 2000;
        seen = 0;
        double t = now_s();
        for (int i = 0; i < reps; i++)
            store_history_query(st, "lobby", 1, &qs[k].q, on_msg, NULL, NULL);
        printf("history %s, limit 100, %d stored: %.1f us (%d messages each)\n", qs[k].name,
               messages, (now_s() - t) / reps * 1e6, seen / reps);
    }
    store_close(st);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static void bench_colour(int reps)
{
    char in[401], out[512], fg[IRCCOLOUR_HEX_LEN];
    for (int i = 0; i < 400; i++)
        in[i] = i % 40 == 0 ? '\x03' : i % 40 == 1 ? '4' : i % 17 == 0 ? '\x02' : 'a' + i % 26;
    in[400] = '\0';
    volatile size_t sink = 0;
    double t = now_s();
    for (int i = 0; i < reps; i++)
        sink += irccolour_strip(in, 400, out, sizeof out, fg);
    printf("irccolour_strip, 400-byte line: %.0f ns\n", (now_s() - t) / reps * 1e9);
    t = now_s();
    for (int i = 0; i < reps; i++)
        sink += irccolour_to_irc("#e06c75", in, 400, out, sizeof out, NULL);
    printf("irccolour_to_irc, 400-byte line: %.0f ns\n", (now_s() - t) / reps * 1e9);
}

int main(int argc, char **argv)
{
    int messages = argc > 1 ? atoi(argv[1]) : 100000;
    if (messages < 1000 || messages > 1000000 || sodium_init() < 0) {
        fprintf(stderr, "usage: ircsup-bench [MESSAGES: 1000..1000000]\n");
        return 2;
    }
    bench_derive(4096, 200);
    bench_derive(100000, 10);
    bench_exchange(20000);
    bench_history(messages);
    bench_colour(200000);
    return 0;
}
