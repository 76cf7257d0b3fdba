/* parleyd: reads the configuration, opens the store, builds the core and serves HTTP, WebSocket
 * and REST on one libuv loop until SIGTERM/SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "group.h"
#include "http/http.h"
#include "http/ws.h"
#include "listeners.h"
#include "proto/irc/irc.h"
#include "proto/json/json_proto.h"
#include "util/log.h"
#include "util/xmalloc.h"

#include <sodium.h>

#define FD_RESERVE 64

static const char usage[] =
    "Usage: parleyd [options]\n"
    "Parley chat server.\n\n"
    "  -c, --config FILE      read settings from FILE (INI; see docs/OPERATIONS.md)\n"
    "  -l, --listen HOST:PORT address to listen on (default 0.0.0.0:8080; port 0 = any)\n"
    "  -d, --data-dir DIR     where the database lives (default ./var)\n"
    "  -w, --web-root DIR     the web client's files (default ./web)\n"
    "      --tls-listen HOST:PORT  also serve HTTPS there (the listener \"tls\"; needs\n"
    "                         [tls] cert_file and key_file)\n"
    "      --port-file FILE   write the bound port number to FILE once listening (and\n"
    "                         the direct socket's on a second line with json_listen,\n"
    "                         then a line per listener when there are named ones)\n"
    "      --log-level LEVEL  debug, info, warn or error (default info)\n"
    "      --log-file FILE    log to FILE instead of standard error\n"
    "      --create-sysop NAME  create (or promote) the sysop account NAME of a chat group\n"
    "                         and exit; the password comes from $PARLEY_SYSOP_PASSWORD\n"
    "                         or is generated and printed\n"
    "      --group GROUP      the chat group of --create-sysop (default: the default group)\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n";

enum {
    OPT_PORT_FILE = 256,
    OPT_LOG_LEVEL,
    OPT_LOG_FILE,
    OPT_CREATE_SYSOP,
    OPT_GROUP,
    OPT_TLS_LISTEN
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, 'l'},
    {"data-dir", required_argument, NULL, 'd'},
    {"web-root", required_argument, NULL, 'w'},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"tls-listen", required_argument, NULL, OPT_TLS_LISTEN},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"create-sysop", required_argument, NULL, OPT_CREATE_SYSOP},
    {"group", required_argument, NULL, OPT_GROUP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char *create_sysop; /* --create-sysop NAME */
static const char *sysop_group;  /* --group GROUP; NULL: the default group */

/* Returns 0 to go on, 1 to exit successfully, -1 on a usage error. */
static int parse_args(int argc, char **argv, config_t *cfg)
{
    const char *config_file = NULL;
    int c;
    /* first pass: the config file, so that flags override it */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:l:d:w:hV", long_opts, NULL)) != -1) {
        if (c == 'c')
            config_file = optarg;
        else if (c == 'h') {
            fputs(usage, stdout);
            return 1;
        } else if (c == 'V') {
            printf("parleyd " PARLEY_VERSION " (protocol %d)\n", PARLEY_PROTOCOL);
            return 1;
        } else if (c == '?') {
            fprintf(stderr, "parleyd: unknown or incomplete option '%s'\n%s", argv[optind - 1],
                    usage);
            return -1;
        }
    }
    if (config_file) {
        char err[512];
        if (config_load_file(cfg, config_file, err, sizeof(err)) < 0) {
            fprintf(stderr, "parleyd: %s\n", err);
            return -1;
        }
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l:d:w:hV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'l': config_set_str(&cfg->listen, optarg); break;
        case 'd': config_set_str(&cfg->data_dir, optarg); break;
        case 'w': config_set_str(&cfg->web_root, optarg); break;
        case OPT_PORT_FILE: config_set_str(&cfg->port_file, optarg); break;
        case OPT_LOG_LEVEL: config_set_str(&cfg->log_level, optarg); break;
        case OPT_LOG_FILE: config_set_str(&cfg->log_file, optarg); break;
        case OPT_CREATE_SYSOP: create_sysop = optarg; break;
        case OPT_GROUP: sysop_group = optarg; break;
        case OPT_TLS_LISTEN: {
            config_listener_t *l = config_listener(cfg, "tls");
            config_set_str(&l->address, optarg);
            l->tls = 1;
            break;
        }
        default: break;
        }
    }
    if (sysop_group && !create_sysop) {
        fprintf(stderr, "parleyd: --group goes with --create-sysop\n%s", usage);
        return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "parleyd: unexpected argument '%s'\n%s", argv[optind], usage);
        return -1;
    }
    return 0;
}

static app_t app;
static addr_list_t trusted; /* [server] trusted_proxies */
static mail_template_t mail_tmpl;
static uv_signal_t sig_term, sig_int, sig_hup;

static void close_http(conn_t *c, void *ud)
{
    conn_close(c, true);
}

static void shutdown_server(void)
{
    if (app.stopping)
        return;
    app.stopping = true;
    log_info("shutting down: flushing the store, closing %u connections",
             server_open_conns(app.server));
    server_stop_listening(app.server);
    /* commit what is queued first so that senders get their acks before the close */
    list_foreach(it, &app.groups)
    {
        group_t *g = list_entry(it, group_t, link);
        group_accounts_close(g);        /* waiting logins answer "shutting down" */
        core_recordings_close(g->core); /* running recordings are stored as stopped */
        store_close(g->store);
        g->store = NULL;
    }
    json_ws_close_all(1001, "going away");
    json_tunnels_free_all();
    json_resume_shutdown();
    irc_close_all("Server shutting down");
    server_foreach_conn(app.server, close_http, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_hup, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    if (signum == SIGHUP) {
        int rc = log_reopen();
        log_info("SIGHUP: log reopened%s", rc < 0 ? " (failed; still on the old file)" : "");
        listeners_reload_tls();
        return;
    }
    log_info("received %s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    shutdown_server();
}

/* Adds one word of the configuration to wl and to app.config_words (trimmed, if it has any
 * letters); where names the source for the log. */
static int add_word(wordlist_t *wl, const char *word, const char *where)
{
    size_t before = wordlist_count(wl);
    if (wordlist_add(wl, word) < 0) {
        log_error("%s: the word '%s' is not valid UTF-8", where, word);
        return -EINVAL;
    }
    if (wordlist_count(wl) > before) {
        const char *w = word + strspn(word, " \t");
        size_t n = strlen(w);
        while (n > 0 && (w[n - 1] == ' ' || w[n - 1] == '\t'))
            n--;
        json_array_append_new(app.config_words, json_stringn(w, n));
    }
    return 0;
}

/* Builds the moderation word list of [moderation] words and word_file. 0 or a negative errno
 * (logged); *out gets the list, which the caller frees. */
static int load_words(const config_t *cfg, wordlist_t **out)
{
    wordlist_t *wl = wordlist_new();
    char *words = xstrdup(cfg->moderation.words), *save = NULL, *line = NULL;
    size_t cap = 0;
    FILE *f = NULL;
    int rc = 0;
    for (char *w = strtok_r(words, ",", &save); w && rc == 0; w = strtok_r(NULL, ",", &save))
        rc = add_word(wl, w, "[moderation] words");
    if (rc < 0 || cfg->moderation.word_file[0] == '\0')
        goto out;
    if ((f = fopen(cfg->moderation.word_file, "r")) == NULL) {
        rc = -errno;
        log_error("cannot read word_file %s: %s", cfg->moderation.word_file, strerror(-rc));
        goto out;
    }
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "#\r\n")] = '\0';
        rc = add_word(wl, line, cfg->moderation.word_file);
    }
out:
    if (f)
        fclose(f);
    free(line);
    free(words);
    if (rc < 0) {
        wordlist_free(wl);
        wl = NULL;
    } else if (wordlist_count(wl)) {
        log_info("moderation: %zu listed words", wordlist_count(wl));
    }
    *out = wl;
    return rc;
}

/* The validation mail: its template and (unless only creating a sysop) the mailer, shared by the
 * groups' accounts services. 0 or a negative errno (logged). */
static int setup_mail(config_t *cfg)
{
    char err[256];
    int rc = mail_template_init(&mail_tmpl, cfg->mail.template_file, err, sizeof err);
    if (rc < 0) {
        log_error("mail template: %s", err);
        return rc;
    }
    app.mail_tmpl = &mail_tmpl;
    if (!create_sysop && (rc = mailer_new(app.loop, &cfg->mail, &app.mailer)) < 0)
        return rc;
    return 0;
}

/* --create-sysop NAME in the default group or --group's. The exit status. */
static int run_create_sysop(void)
{
    char pw[PASSWORD_MAX + 1];
    group_t *g = sysop_group ? group_find(&app, sysop_group) : group_default(&app);
    if (g == NULL) {
        fprintf(stderr, "parleyd: no chat group '%s'\n", sysop_group);
        return 1;
    }
    const char *env = getenv("PARLEY_SYSOP_PASSWORD");
    if (env && env[0])
        snprintf(pw, sizeof pw, "%s", env);
    else
        password_random(pw, 21);
    int rc = auth_create_sysop(g->auth, create_sysop, pw);
    if (rc < 0)
        fprintf(stderr, "parleyd: cannot create sysop '%s': %s\n", create_sysop,
                auth_err_message(rc));
    else if (env && env[0])
        printf("sysop '%s' of group %s ready (password from PARLEY_SYSOP_PASSWORD)\n", create_sysop,
               g->name);
    else
        printf("sysop '%s' of group %s ready with the password %s\n", create_sysop, g->name, pw);
    sodium_memzero(pw, sizeof pw);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    config_t cfg;
    wordlist_t *words = NULL;
    int rc, exit_code = 1;
    config_init(&cfg);
    rc = parse_args(argc, argv, &cfg);
    if (rc != 0) {
        config_deinit(&cfg);
        return rc > 0 ? 0 : 2;
    }
    if (log_set_level_name(cfg.log_level) < 0) {
        fprintf(stderr, "parleyd: unknown log level '%s'\n", cfg.log_level);
        config_deinit(&cfg);
        return 2;
    }
    if ((rc = log_open(cfg.log_file)) < 0)
        fprintf(stderr, "parleyd: cannot open log file %s: %s\n", cfg.log_file, strerror(-rc));

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long room_for = (long)rl.rlim_cur - FD_RESERVE;
        if (room_for < 1)
            room_for = 1;
        if (cfg.max_connections > room_for) {
            log_info("max_connections lowered from %d to %ld (open-file limit %ld)",
                     cfg.max_connections, room_for, (long)rl.rlim_cur);
            cfg.max_connections = (int)room_for;
        }
    }
    char err[256];
    if (addr_list_parse(&trusted, cfg.trusted_proxies, err, sizeof err) < 0) {
        log_error("[server] trusted_proxies: %s", err);
        goto out_cfg;
    }
    app.config_words = json_array();
    if (load_words(&cfg, &words) < 0)
        goto out_cfg;
    signal(SIGPIPE, SIG_IGN);

    uv_loop_t loop;
    uv_loop_init(&loop);
    app.loop = &loop;
    app.cfg = &cfg;
    app.started_ms = app_now_ms();

    app.words = words;
    app.public_url = cfg.public_url[0] ? xstrdup(cfg.public_url) : NULL;
    app.bootstrap_sysops = !create_sysop;
    if (setup_mail(&cfg) < 0 || groups_open(&app) < 0 || irc_init(&app) < 0)
        goto out_groups;
    if (create_sysop) {
        exit_code = run_create_sysop();
        goto out_groups;
    }

    server_options_t nopt = {
        .max_connections = cfg.max_connections,
        .max_per_address = cfg.max_connections_per_address,
        .output_cap = cfg.output_cap,
        .handshake_ms = (uint64_t)cfg.tls.handshake_timeout * 1000,
        .trusted = &trusted,
    };
    app.server = server_new(&loop, &nopt, NULL, &app);
    if (listeners_open(&app) < 0)
        goto out_server;
    if (app.public_url == NULL) {
        char url[300];
        listeners_local_url(url, sizeof url);
        app.public_url = xstrdup(url);
        groups_accounts_url(&app);
    }
    if (cfg.port_file && (rc = listeners_write_port_file(cfg.port_file)) < 0) {
        log_error("cannot write port file %s: %s", cfg.port_file, strerror(-rc));
        goto out_server;
    }
    uv_signal_init(&loop, &sig_term);
    uv_signal_init(&loop, &sig_int);
    uv_signal_init(&loop, &sig_hup);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_hup, on_signal, SIGHUP);
    log_info("parleyd %s running (data in %s, max %d connections); open %s/ in a browser",
             PARLEY_VERSION, cfg.data_dir, cfg.max_connections, app.public_url);

    uv_run(&loop, UV_RUN_DEFAULT);
    log_info("stopped");
    exit_code = 0;

out_server:
    if (!app.stopping) {
        app.stopping = true;
        server_stop_listening(app.server);
    }
    server_free(app.server);
    listeners_free();
out_groups:
    groups_close(&app); /* stores are NULL after a clean shutdown */
    irc_deinit();
    mailer_free(app.mailer);
    mail_template_deinit(&mail_tmpl);
    free(app.public_url);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        log_warn("loop closed with open handles");
    ws_global_cleanup();
out_cfg:
    wordlist_free(words); /* after the groups' cores: they borrow it */
    json_decref(app.config_words);
    addr_list_deinit(&trusted);
    log_close();
    config_deinit(&cfg);
    return exit_code;
}
