/* parleyd's settings: defaults, the INI file (libinih) and the command line (in main.c) fill one
 * config_t. Strings are owned by the config and freed by config_deinit(). */
#ifndef PARLEY_UTIL_CONFIG_H
#define PARLEY_UTIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct config_room {
    char *name;
    char *group;   /* NULL: the default group ([room GROUP/NAME] sets it) */
    char *title;   /* NULL: not set */
    char *topic;   /* NULL: not set */
    int capacity;  /* 0: not set */
    int moderated; /* -1: not set; else 0 or 1 */
} config_room_t;

/* [group NAME]: a chat group (src/group.h). */
typedef struct config_group {
    char *name;
    char *title;  /* NULL: the name */
    char **hosts; /* from "hosts = a.example, b.example" */
    size_t nhosts;
} config_group_t;

/* [mail]: outgoing e-mail (src/auth/mailer.h). An empty smtp_host disables sending. */
typedef enum {
    CONFIG_STARTTLS_OFF = 0, /* plain SMTP, never STARTTLS */
    CONFIG_STARTTLS_TRY,     /* STARTTLS when the server offers it */
    CONFIG_STARTTLS_REQUIRED /* fail unless STARTTLS succeeds */
} config_starttls_t;

typedef struct config_mail {
    char *smtp_host; /* "": mail disabled */
    int smtp_port;
    int starttls;   /* config_starttls_t */
    char *username; /* "": no AUTH */
    char *password;
    char *from;          /* envelope and header sender address */
    int timeout;         /* seconds for one whole send */
    int connect_timeout; /* seconds for the TCP (and TLS) connect */
    char *template_file; /* "": the built-in validation template */
} config_mail_t;

/* [flood]: per-connection allowances of the JSON protocol (docs/OPERATIONS.md). A rate of 0
 * switches that allowance off; max_violations 0 never disconnects. */
typedef struct config_flood {
    int messages_per_sec; /* say and pm */
    int messages_burst;
    int commands_per_sec; /* every command, weighted by its cost */
    int commands_burst;
    int max_violations; /* unforgiven rate-limited commands before close 1008; one forgiven/s */
} config_flood_t;

/* [moderation]: the word list (src/core/wordlist.h). */
typedef struct config_moderation {
    char *words;     /* comma-separated; "" none */
    char *word_file; /* one word per line, '#' comments; "" none */
} config_moderation_t;

/* [access]: the rights of each class where no access list applies (core_right_t values: 0 none,
 * 1 read_only, 2 moderated, 3 participant, 4 host). */
typedef struct config_access {
    int registered;
    int guests;
} config_access_t;

/* [accounts]: registration, login and the brute-force policy (src/auth/auth.h). */
typedef struct config_accounts {
    char *banned;         /* comma-separated addresses and domains seeded into the banned list */
    int session_days;     /* session token lifetime */
    int validation_hours; /* validation link and code lifetime */
    int hash_limits;      /* password_limits_t: min, interactive, moderate, sensitive */
    int login_free_failures;
    int login_delay_ms;
    int login_max_delay_ms;
    int login_max_failures;
    int login_window;     /* seconds */
    int scram_iterations; /* PBKDF2 rounds of new SCRAM-SHA-256 credentials (auth/scram.h) */
} config_accounts_t;

/* [listener NAME]: a listening socket beside [server] listen and json_listen (docs/OPERATIONS.md,
 * "Listeners"). */
typedef enum { CONFIG_PROTO_HTTP = 0, CONFIG_PROTO_JSON, CONFIG_PROTO_IRC } config_proto_t;

typedef struct config_listener {
    char *name;
    char *address; /* "HOST:PORT"; NULL: not set (an error at startup) */
    int protocol;  /* config_proto_t */
    int tls;       /* 0 off, 1 on */
    int proxy;     /* proxy_mode_t (net/proxy.h): 0 off, 1 v1, 2 v2, 3 any */
} config_listener_t;

/* [tls]: the certificate of every TLS listener. */
typedef struct config_tls {
    char *cert_file;       /* PEM, the server's certificate first, then its chain; "": none */
    char *key_file;        /* PEM private key */
    int hsts_max_age;      /* seconds in Strict-Transport-Security over TLS; 0: no header */
    int handshake_timeout; /* seconds for a TLS handshake (and a PROXY header) */
} config_tls_t;

/* [irc]: the IRC gateway (src/proto/irc). */
typedef struct config_irc {
    char *listen; /* "HOST:PORT"; NULL (not set): the HTTP host, port 6667, if it binds; "": off */
    char *server_name; /* the server's name in IRC messages */
    char *network;     /* ISUPPORT NETWORK */
    char *motd_file;   /* "": no MOTD (422) */
    char *group;       /* the chat group IRC clients join */
    int ping_interval; /* seconds of silence before a PING; as many again before closing */
    int websocket;     /* 1: IRC over WebSocket at GET /irc on the HTTP listeners; 0: off */
} config_irc_t;

typedef struct config {
    char *listen;      /* "HOST:PORT"; "": no implicit HTTP listener */
    char *json_listen; /* the direct socket's "HOST:PORT"; "": none */
    int tunnel_grace;  /* seconds an SSE or long-poll session outlives its last request */
    int resume_window; /* seconds a session outlives its transport, for a resume; 0: none */
    char *data_dir;
    char *web_root;
    char *admin_token; /* "" disables REST room creation */
    char *public_url;  /* "": http://localhost:PORT */
    char *port_file;   /* NULL: none */
    char *log_file;    /* "" : stderr */
    char *log_level;
    int max_connections;
    int max_connections_per_address; /* 0: no limit */
    int header_timeout;              /* seconds */
    int keepalive_timeout;           /* seconds an idle keep-alive HTTP connection stays open */
    int idle_timeout;      /* seconds of silence before a WebSocket/direct session ends; 0: never */
    char *trusted_proxies; /* addresses and CIDR blocks whose X-Forwarded-For counts; "": none */
    size_t max_head;       /* [limits] bytes of an HTTP request head */
    size_t max_header;     /* [limits] bytes of one header line (name and value) */
    size_t max_body;       /* [limits] bytes of an HTTP request body */
    size_t max_message;
    size_t max_text;
    size_t output_cap;
    int default_capacity;
    int history_on_entry;
    int64_t max_db_pages;
    int commit_delay_ms;
    int group_commit_ms;     /* [store] shortest time between two commits */
    int64_t store_max_queue; /* [store] max_queue: says waiting for the disk before refusals */
    config_flood_t flood;
    config_mail_t mail;
    config_moderation_t moderation;
    config_access_t access;
    config_accounts_t accounts;
    config_irc_t irc;
    int allow_guests; /* [access] allow_guests: 1 yes, 0 no (hello needs an account's token) */
    config_room_t *rooms;
    size_t nrooms;
    config_group_t *groups;
    size_t ngroups;
    config_listener_t *listeners;
    size_t nlisteners;
    config_tls_t tls;
} config_t;

void config_init(config_t *cfg);
void config_deinit(config_t *cfg);
/* Reads an INI file over the current values. On error returns a negative code and writes a message
 * ("FILE:LINE: unknown key 'x' in [server]") to err. */
int config_load_file(config_t *cfg, const char *path, char *err, size_t errlen);
/* The listener NAME, added (HTTP, no TLS, no PROXY, no address) if missing. */
config_listener_t *config_listener(config_t *cfg, const char *name);
/* Sets one string member, replacing the old value. */
void config_set_str(char **slot, const char *value);
/* Splits "HOST:PORT" ("[::1]:80" for IPv6). Returns 0 or -EINVAL. host gets at most hostlen-1
 * bytes. */
int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port);

#endif
