/* Unit tests for src/auth/mail.c (templates, checks, message format) and src/auth/mailer.c (sending
 * through a real local SMTP server: aiosmtpd, started by the group setup on a free port). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "auth/mail.h"
#include "auth/mailer.h"
#include "util/config.h"

extern char **environ;

/* ---- helpers ---------------------------------------------------------------------------- */

static char g_dir[] = "/tmp/parley-mail-XXXXXX";
static pid_t g_smtp_pid;
static int g_smtp_port;

static char *path_in_dir(const char *name)
{
    char *p = malloc(strlen(g_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", g_dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole file, or NULL if it does not exist. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *s = malloc(1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static size_t b64_decode(const char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned v = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        const char *c = strchr(tab, in[i]);
        assert_non_null(c);
        v = (v << 6) | (unsigned)(c - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((v >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return o;
}

/* Decodes a Subject value made of =?UTF-8?B?...?= words separated by CRLF SP; checks each word's
 * length (RFC 2047: at most 75) and that each decodes to whole UTF-8 characters. */
static char *decode_subject(const char *v)
{
    char *out = calloc(1, 4096);
    size_t o = 0;
    while (*v) {
        assert_int_equal(strncmp(v, "=?UTF-8?B?", 10), 0);
        const char *end = strstr(v + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - v <= 75);
        size_t n = b64_decode(v + 10, (size_t)(end - v - 10), out + o);
        assert_true(n > 0);
        assert_true(((unsigned char)out[o] & 0xc0) != 0x80); /* starts a character */
        o += n;
        v = end + 2;
        if (*v) {
            assert_int_equal(strncmp(v, "\r\n ", 3), 0);
            v += 3;
        }
    }
    return out;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'A' + 10;
}

static char *qp_decode(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    size_t o = 0;
    while (*s) {
        if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 3;
        } else if (s[0] == '=') {
            out[o++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 3;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = '\0';
    return out;
}

/* The value of header `name` in a message (up to the CRLF that is not followed by a space). */
static char *header(const char *msg, const char *name)
{
    size_t nl = strlen(name);
    const char *p = msg;
    while (p && strncmp(p, "\r\n", 2) != 0) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 2, *e = v;
            while ((e = strstr(e, "\r\n")) && e[2] == ' ')
                e += 2;
            return strndup(v, (size_t)(e - v));
        }
        p = strstr(p, "\r\n");
        p = p ? p + 2 : NULL;
    }
    return NULL;
}

static const char *body_of(const char *msg)
{
    const char *p = strstr(msg, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static void assert_crlf_only(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\n')
            assert_true(p > s && p[-1] == '\r');
        if (*p == '\r')
            assert_true(p[1] == '\n');
    }
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A listening socket that never accepts: connections complete, no SMTP greeting ever comes. */
static int blackhole(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void mail_cfg(config_mail_t *c, int port)
{
    static char host[] = "127.0.0.1", from[] = "noreply@parley.test", empty[] = "";
    memset(c, 0, sizeof(*c));
    c->smtp_host = host;
    c->smtp_port = port;
    c->starttls = CONFIG_STARTTLS_TRY;
    c->username = empty;
    c->password = empty;
    c->from = from;
    c->timeout = 10;
    c->connect_timeout = 5;
    c->template_file = empty;
}

/* ---- the SMTP server ---------------------------------------------------------------------- */

/* Writes each message to DIR/<first recipient>.eml (envelope in .env), rejects recipients at
 * reject.test, accepts AUTH parley/secret. Listens on an ephemeral port written to DIR/port. */
static const char server_py[] =
    "import asyncio, os, sys\n"
    "from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword\n"
    "d = sys.argv[1]\n"
    "class H:\n"
    "    async def handle_RCPT(self, server, session, envelope, address, options):\n"
    "        if address.endswith('@reject.test'):\n"
    "            return '550 5.1.1 no such user'\n"
    "        envelope.rcpt_tos.append(address)\n"
    "        return '250 OK'\n"
    "    async def handle_DATA(self, server, session, envelope):\n"
    "        base = os.path.join(d, envelope.rcpt_tos[0])\n"
    "        auth = session.auth_data.login.decode() if session.authenticated else ''\n"
    "        with open(base + '.env', 'w') as f:\n"
    "            f.write('%s\\n%s\\n%s\\n' % (envelope.mail_from, ','.join(envelope.rcpt_tos), "
    "auth))\n"
    "        with open(base + '.tmp', 'wb') as f:\n"
    "            f.write(envelope.original_content)\n"
    "        os.rename(base + '.tmp', base + '.eml')\n"
    "        return '250 OK'\n"
    "def auth(server, session, envelope, mechanism, data):\n"
    "    ok = isinstance(data, LoginPassword) and data.login == b'parley' and "
    "data.password == b'secret'\n"
    "    return AuthResult(success=ok, handled=False, auth_data=data)\n"
    "async def main():\n"
    "    loop = asyncio.get_running_loop()\n"
    "    srv = await loop.create_server(lambda: SMTP(H(), authenticator=auth, "
    "auth_require_tls=False), '127.0.0.1', 0)\n"
    "    with open(os.path.join(d, 'port.tmp'), 'w') as f:\n"
    "        f.write(str(srv.sockets[0].getsockname()[1]))\n"
    "    os.rename(os.path.join(d, 'port.tmp'), os.path.join(d, 'port'))\n"
    "    await srv.serve_forever()\n"
    "asyncio.run(main())\n";

static int wait_for_port(const char *port_path)
{
    for (int i = 0; i < 200; i++) {
        char *s = read_file(port_path);
        if (s) {
            int port = atoi(s);
            free(s);
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)port),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
            close(fd);
            if (rc == 0)
                return port;
        }
        usleep(50 * 1000);
    }
    return -1;
}

static int group_setup(void **state)
{
    if (mkdtemp(g_dir) == NULL)
        return -1;
    char *script = path_in_dir("smtpd.py"), *log = path_in_dir("smtpd.log");
    char *port = path_in_dir("port");
    write_file(script, server_py);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {"/usr/bin/python3", script, g_dir, NULL};
    int rc = posix_spawn(&g_smtp_pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0)
        g_smtp_port = wait_for_port(port);
    if (rc != 0 || g_smtp_port < 0) {
        char *text = read_file(log);
        fprintf(stderr, "SMTP server did not start: %s\n", text ? text : "(no log)");
        free(text);
    }
    free(script);
    free(log);
    free(port);
    return rc == 0 && g_smtp_port > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    if (g_smtp_pid > 0) {
        kill(g_smtp_pid, SIGTERM);
        waitpid(g_smtp_pid, NULL, 0);
    }
    char cmd[sizeof(g_dir) + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- running the loop --------------------------------------------------------------------- */

typedef struct result {
    int calls;
    int status;
    char msg[512];
    uint64_t at_ms;
} result_t;

static void on_done(void *ud, int status, const char *msg)
{
    result_t *r = ud;
    r->calls++;
    r->status = status;
    snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
    r->at_ms = uv_hrtime() / 1000000;
    if (status == 0)
        assert_null(msg);
    else
        assert_true(msg && msg[0]);
}

static void on_guard(uv_timer_t *t)
{
    fail_msg("the loop ran for 30 s without the mail being reported");
}

/* Runs the loop until the mailer has no outstanding mail (its handle is then unreferenced). */
static void run(uv_loop_t *loop)
{
    uv_timer_t guard;
    uv_timer_init(loop, &guard);
    uv_timer_start(&guard, on_guard, 30000, 0);
    uv_unref((uv_handle_t *)&guard);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

static void finish(uv_loop_t *loop, mailer_t *m)
{
    mailer_free(m);
    uv_run(loop, UV_RUN_DEFAULT); /* the async handle's close callback */
    assert_int_equal(uv_loop_close(loop), 0);
}

/* Sends one mail with cfg and returns its result. */
static result_t send_one(const config_mail_t *cfg, const char *to, const char *subject,
                         const char *body)
{
    uv_loop_t loop;
    mailer_t *m;
    result_t r = {0};
    uv_loop_init(&loop);
    assert_int_equal(mailer_new(&loop, cfg, &m), 0);
    assert_int_equal(mailer_send(m, to, subject, body, on_done, &r), 0);
    assert_int_equal(r.calls, 0); /* never from inside mailer_send() */
    run(&loop);
    assert_int_equal(r.calls, 1);
    finish(&loop, m);
    return r;
}

/* ---- templates ---------------------------------------------------------------------------- */

static void test_render(void **state)
{
    const mail_var_t vars[] = {{"nick", "ada"}, {"link", "https://x.test/v?c=1"}, {"code", NULL}};
    char *out;
    assert_int_equal(mail_render("Hi {{nick}}, {{ link }} [{{code}}]", vars, 3, &out), 0);
    assert_string_equal(out, "Hi ada, https://x.test/v?c=1 []");
    free(out);
    /* Not placeholders: kept as text. */
    assert_int_equal(mail_render("{{}} {{ x y }} {{nick} {{{nick}}} a{{", vars, 3, &out), 0);
    assert_string_equal(out, "{{}} {{ x y }} {{nick} {ada} a{{");
    free(out);
    assert_int_equal(mail_render("", vars, 3, &out), 0);
    assert_string_equal(out, "");
    free(out);
    /* A value is inserted verbatim, not re-expanded. */
    const mail_var_t loop[] = {{"a", "{{a}}"}};
    assert_int_equal(mail_render("{{a}}", loop, 1, &out), 0);
    assert_string_equal(out, "{{a}}");
    free(out);
    /* Unknown placeholder: an error, nothing returned. */
    out = (char *)1;
    assert_int_equal(mail_render("Hi {{nick}} {{site}}", vars, 3, &out), -ENOENT);
    assert_null(out);
}

static void test_template(void **state)
{
    mail_template_t t;
    char err[256];
    assert_int_equal(mail_template_init(&t, NULL, err, sizeof(err)), 0);
    assert_non_null(strstr(t.subject, "{{site}}"));
    assert_non_null(strstr(t.body, "{{link}}"));
    assert_non_null(strstr(t.body, "{{code}}"));
    const mail_var_t vars[] = {{"nick", "ada"}, {"link", "L"}, {"code", "C"}, {"site", "Parley"}};
    char *subject, *body;
    assert_int_equal(mail_render(t.subject, vars, 4, &subject), 0);
    assert_string_equal(subject, "Confirm your Parley account");
    assert_int_equal(mail_render(t.body, vars, 4, &body), 0);
    assert_non_null(strstr(body, "Hello ada,"));
    free(subject);
    free(body);
    mail_template_deinit(&t);

    char *path = path_in_dir("tmpl.txt");
    write_file(path, "Subject: Welcome to {{site}}, {{nick}}\r\n\r\nCode: {{ code }}\n");
    assert_int_equal(mail_template_init(&t, path, err, sizeof(err)), 0);
    assert_string_equal(t.subject, "Welcome to {{site}}, {{nick}}");
    assert_string_equal(t.body, "Code: {{ code }}\n");
    mail_template_deinit(&t);

    const char *bad[] = {
        "Welcome\n\nbody\n",                 /* no Subject line */
        "Subject: hi\nbody\n",               /* no empty line */
        "Subject: hi {{nickname}}\n\nx\n",   /* unknown placeholder in the subject */
        "Subject: hi\n\nopen {{lnk}} now\n", /* unknown placeholder in the body */
        "Subject: a\x01 b\n\nx\n",           /* control character */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i]);
        assert_int_equal(mail_template_init(&t, path, err, sizeof(err)), -EINVAL);
        assert_true(strlen(err) > 0);
        assert_null(t.subject);
    }
    write_file(path, "Subject: hi\n\nopen {{lnk}} now\n");
    mail_template_init(&t, path, err, sizeof(err));
    assert_non_null(strstr(err, "{{lnk}}"));
    unlink(path);
    assert_int_equal(mail_template_init(&t, path, err, sizeof(err)), -ENOENT);
    free(path);
}

/* ---- checks and formatting ---------------------------------------------------------------- */

static void test_addr_check(void **state)
{
    const char *good[] = {"a@b", "ada.lovelace+parley@example.org", "x_y-z@sub.example.co.uk"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(mail_addr_check(good[i]), 0);
    const char *bad[] = {
        "",
        "ada",
        "@example.org",
        "ada@",
        "a@b@c",
        "ada @example.org",
        "ada@exa mple.org",
        "ada@example.org\r\nBcc: eve@evil.test",
        "ada@example.org\n",
        "<ada@example.org>",
        "Ada <ada@example.org>",
        "a@b,eve@evil.test",
        "a@b;c",
        "\"a\"@b",
        "a@[127.0.0.1]",
        "a\t@b",
        "a\x7f@b",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(mail_addr_check(bad[i]), -EINVAL);
    assert_int_equal(mail_addr_check(NULL), -EINVAL);

    char addr[300];
    memset(addr, 'a', sizeof(addr));
    memcpy(addr + 250, "@b.c", 5); /* 254 bytes */
    assert_int_equal(mail_addr_check(addr), 0);
    memcpy(addr + 251, "@b.c", 5); /* 255 bytes */
    assert_int_equal(mail_addr_check(addr), -EINVAL);
}

static void test_header_injection(void **state)
{
    assert_int_equal(mail_subject_check("Confirm your account"), 0);
    assert_int_equal(mail_subject_check("tab\tis fine, UTF-8 too: \xc3\xa9"), 0);
    assert_int_equal(mail_subject_check("Hi\r\nBcc: eve@evil.test"), -EINVAL);
    assert_int_equal(mail_subject_check("Hi\nBcc: eve@evil.test"), -EINVAL);
    assert_int_equal(mail_subject_check("Hi\rthere"), -EINVAL);
    assert_int_equal(mail_subject_check("bell\a"), -EINVAL);

    char *msg;
    size_t len;
    mail_msg_t m = {.from = "a@b.test", .to = "c@d.test", .subject = "x\r\nBcc: e@f", .body = ""};
    assert_int_equal(mail_format(&m, &msg, &len), -EINVAL);
    m.subject = "ok";
    m.to = "c@d.test\r\nBcc: e@f";
    assert_int_equal(mail_format(&m, &msg, &len), -EINVAL);
    m.to = "c@d.test";
    m.from = "a@b.test\nX: y";
    assert_int_equal(mail_format(&m, &msg, &len), -EINVAL);

    /* Through the mailer: refused at once, the callback never runs. */
    uv_loop_t loop;
    mailer_t *mailer;
    config_mail_t cfg;
    result_t r = {0};
    mail_cfg(&cfg, free_port());
    uv_loop_init(&loop);
    assert_int_equal(mailer_new(&loop, &cfg, &mailer), 0);
    assert_true(mailer_enabled(mailer));
    assert_int_equal(mailer_send(mailer, "c@d.test", "x\r\nBcc: e@f", "b", on_done, &r), -EINVAL);
    assert_int_equal(mailer_send(mailer, "c@d.test\r\nBcc: e@f", "x", "b", on_done, &r), -EINVAL);
    assert_int_equal(mailer_send(mailer, "not an address", "x", "b", on_done, &r), -EINVAL);
    char *big = malloc(MAIL_BODY_MAX + 2);
    memset(big, 'x', MAIL_BODY_MAX + 1);
    big[MAIL_BODY_MAX + 1] = '\0';
    assert_int_equal(mailer_send(mailer, "c@d.test", "x", big, on_done, &r), -EMSGSIZE);
    free(big);
    finish(&loop, mailer);
    assert_int_equal(r.calls, 0);
}

static void test_format(void **state)
{
    mail_msg_t m = {.from = "noreply@parley.test",
                    .to = "ada@example.org",
                    .subject = "Confirm your account",
                    .body = "Hello ada,\n\nline two\r\nline three\rend",
                    .date = 1700000000};
    char *msg;
    size_t len;
    assert_int_equal(mail_format(&m, &msg, &len), 0);
    assert_int_equal(strlen(msg), len);
    assert_crlf_only(msg);
    assert_int_equal(strncmp(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n", 39), 0);
    char *v;
    assert_string_equal(v = header(msg, "From"), "noreply@parley.test");
    free(v);
    assert_string_equal(v = header(msg, "To"), "ada@example.org");
    free(v);
    assert_string_equal(v = header(msg, "Subject"), "Confirm your account");
    free(v);
    assert_string_equal(v = header(msg, "MIME-Version"), "1.0");
    free(v);
    assert_string_equal(v = header(msg, "Content-Type"), "text/plain; charset=utf-8");
    free(v);
    assert_string_equal(v = header(msg, "Content-Transfer-Encoding"), "8bit");
    free(v);
    v = header(msg, "Message-ID");
    assert_true(v[0] == '<' && strstr(v, "@parley.test>") == v + strlen(v) - 13);
    free(v);
    assert_string_equal(body_of(msg), "Hello ada,\r\n\r\nline two\r\nline three\r\nend\r\n");

    /* Message-IDs differ between messages. */
    char *msg2, *v2;
    assert_int_equal(mail_format(&m, &msg2, &len), 0);
    v = header(msg, "Message-ID");
    v2 = header(msg2, "Message-ID");
    assert_string_not_equal(v, v2);
    free(v);
    free(v2);
    free(msg2);
    free(msg);

    /* A long ASCII subject is folded before a space, and unfolds to the original. */
    m.subject = "A rather long subject line that goes on and on, well past the seventy-eight "
                "column mark, and then some more words";
    assert_int_equal(mail_format(&m, &msg, &len), 0);
    v = header(msg, "Subject");
    assert_non_null(strstr(v, "\r\n "));
    const char *line = strstr(msg, "Subject: ");
    assert_true(strstr(line, "\r\n") - line <= 78);
    char *unfolded = calloc(1, strlen(v) + 1);
    for (const char *p = v; *p; p++)
        if (*p != '\r' && *p != '\n')
            unfolded[strlen(unfolded)] = *p;
    assert_string_equal(unfolded, m.subject);
    free(unfolded);
    free(v);
    free(msg);
}

static void test_subject_rfc2047(void **state)
{
    const char *s = "Best\xc3\xa4tige dein Konto";
    char *enc = mail_subject_encode(s);
    assert_string_equal(enc, "=?UTF-8?B?QmVzdMOkdGlnZSBkZWluIEtvbnRv?=");
    char *dec = decode_subject(enc);
    assert_string_equal(dec, s);
    free(dec);
    free(enc);

    /* Long: several words, each whole characters (2-, 3- and 4-byte ones), each line short. */
    const char *long_s = "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9 "
                         "\xe2\x9c\x93 \xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 "
                         "\xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 end";
    enc = mail_subject_encode(long_s);
    assert_non_null(strstr(enc, "?=\r\n =?UTF-8?B?"));
    dec = decode_subject(enc);
    assert_string_equal(dec, long_s);
    free(dec);
    free(enc);

    /* ASCII that would read as an encoded word is encoded too. */
    enc = mail_subject_encode("=?UTF-8?B?QQ==?=");
    dec = decode_subject(enc);
    assert_string_equal(dec, "=?UTF-8?B?QQ==?=");
    free(dec);
    free(enc);
    enc = mail_subject_encode("");
    assert_string_equal(enc, "");
    free(enc);
}

static void test_quoted_printable(void **state)
{
    /* A line over 998 bytes switches the body to quoted-printable. */
    size_t n = 2000;
    char *body = malloc(n + 64);
    for (size_t i = 0; i < n; i++)
        body[i] = "ab= \xc3\xa9"[i % 6];
    strcpy(body + n, " \nsecond line \n.dot\n");
    mail_msg_t m = {.from = "a@b.test", .to = "c@d.test", .subject = "qp", .body = body};
    char *msg;
    size_t len;
    assert_int_equal(mail_format(&m, &msg, &len), 0);
    char *v = header(msg, "Content-Transfer-Encoding");
    assert_string_equal(v, "quoted-printable");
    free(v);
    assert_crlf_only(msg);
    const char *b = body_of(msg);
    for (const char *p = b; *p;) {
        const char *e = strstr(p, "\r\n");
        assert_true(e - p <= 76);
        for (const char *q = p; q < e; q++)
            assert_true(*q >= 32 && *q < 127);
        assert_true(e == p || (e[-1] != ' ' && e[-1] != '\t')); /* no trailing space */
        p = e + 2;
    }
    char *dec = qp_decode(b);
    char *want = malloc(n + 64);
    memcpy(want, body, n);
    strcpy(want + n, " \r\nsecond line \r\n.dot\r\n");
    assert_string_equal(dec, want);
    free(want);
    free(dec);
    free(msg);
    free(body);
}

/* ---- the mailer --------------------------------------------------------------------------- */

static void test_disabled(void **state)
{
    uv_loop_t loop;
    mailer_t *m;
    config_mail_t cfg;
    result_t r = {0};
    mail_cfg(&cfg, 25);
    cfg.smtp_host = "";
    uv_loop_init(&loop);
    assert_int_equal(mailer_new(&loop, &cfg, &m), 0);
    assert_false(mailer_enabled(m));
    assert_int_equal(mailer_send(m, "a@b.test", "s", "b", on_done, &r), -ENOTSUP);
    mailer_free(m);
    mailer_free(NULL);
    assert_int_equal(uv_loop_close(&loop), 0);

    /* A configured host with a bad sender or host name is refused at creation. */
    mail_cfg(&cfg, 25);
    cfg.from = "Parley <noreply@parley.test>";
    assert_int_equal(mailer_new(&loop, &cfg, &m), -EINVAL);
    assert_null(m);
    mail_cfg(&cfg, 25);
    cfg.smtp_host = "relay/evil";
    assert_int_equal(mailer_new(&loop, &cfg, &m), -EINVAL);
}

static void test_send(void **state)
{
    config_mail_t cfg;
    mail_cfg(&cfg, g_smtp_port);
    const char *subject = "Best\xc3\xa4tige dein Konto f\xc3\xbcr Parley \xe2\x9c\x93";
    const char *body = "Hello ada,\n\n.a line starting with a dot\n.\nlast line \xc3\xa9\n";
    result_t r = send_one(&cfg, "ada@example.org", subject, body);
    assert_int_equal(r.status, 0);

    char *path = path_in_dir("ada@example.org.eml"), *env_path = path_in_dir("ada@example.org.env");
    char *msg = read_file(path), *env = read_file(env_path);
    assert_non_null(msg);
    assert_string_equal(env, "noreply@parley.test\nada@example.org\n\n");
    assert_crlf_only(msg);
    char *v = header(msg, "From");
    assert_string_equal(v, "noreply@parley.test");
    free(v);
    v = header(msg, "To");
    assert_string_equal(v, "ada@example.org");
    free(v);
    v = header(msg, "Subject");
    char *dec = decode_subject(v);
    assert_string_equal(dec, subject);
    free(dec);
    free(v);
    /* Dot-stuffing was done on the wire and undone by the server. */
    assert_string_equal(body_of(msg), "Hello ada,\r\n\r\n.a line starting with a dot\r\n.\r\n"
                                      "last line \xc3\xa9\r\n");
    free(msg);
    free(env);
    free(path);
    free(env_path);
}

static void test_send_auth(void **state)
{
    config_mail_t cfg;
    mail_cfg(&cfg, g_smtp_port);
    cfg.username = "parley";
    cfg.password = "secret";
    result_t r = send_one(&cfg, "auth-ok@example.org", "with auth", "hi\n");
    assert_int_equal(r.status, 0);
    char *path = path_in_dir("auth-ok@example.org.env");
    char *env = read_file(path);
    assert_string_equal(env, "noreply@parley.test\nauth-ok@example.org\nparley\n");
    free(env);
    free(path);

    cfg.password = "wrong";
    r = send_one(&cfg, "auth-bad@example.org", "with bad auth", "hi\n");
    assert_int_equal(r.status, -EACCES);
    path = path_in_dir("auth-bad@example.org.eml");
    assert_int_equal(access(path, F_OK), -1);
    free(path);
}

static void test_send_failures(void **state)
{
    config_mail_t cfg;
    mail_cfg(&cfg, g_smtp_port);

    /* The relay refuses the recipient. */
    result_t r = send_one(&cfg, "nobody@reject.test", "s", "b\n");
    assert_true(r.status < 0);
    assert_non_null(strstr(r.msg, "550"));

    /* STARTTLS required, but this server does not offer it. */
    cfg.starttls = CONFIG_STARTTLS_REQUIRED;
    r = send_one(&cfg, "tls@example.org", "s", "b\n");
    assert_int_equal(r.status, -EPROTO);
    char *path = path_in_dir("tls@example.org.eml");
    assert_int_equal(access(path, F_OK), -1);
    free(path);

    /* Nothing listening. */
    mail_cfg(&cfg, free_port());
    uint64_t t0 = uv_hrtime() / 1000000;
    r = send_one(&cfg, "ada@example.org", "s", "b\n");
    assert_int_equal(r.status, -ECONNREFUSED);
    assert_true(r.at_ms - t0 < 5000);
}

static void test_timeout(void **state)
{
    int port;
    int fd = blackhole(&port);
    config_mail_t cfg;
    mail_cfg(&cfg, port);
    cfg.timeout = 1;
    uint64_t t0 = uv_hrtime() / 1000000;
    result_t r = send_one(&cfg, "ada@example.org", "s", "b\n");
    assert_int_equal(r.status, -ETIMEDOUT);
    assert_true(r.at_ms - t0 >= 900 && r.at_ms - t0 < 5000);
    close(fd);
}

static int g_cancelled, g_other;

static void count_done(void *ud, int status, const char *msg)
{
    if (status == -ECANCELED)
        g_cancelled++;
    else
        g_other++;
}

/* The queue is bounded; mailer_free() waits for the mail in flight and cancels the rest. */
static void test_queue_bound_and_cancel(void **state)
{
    int port;
    int fd = blackhole(&port);
    config_mail_t cfg;
    uv_loop_t loop;
    mailer_t *m;
    mail_cfg(&cfg, port);
    cfg.timeout = 1;
    uv_loop_init(&loop);
    assert_int_equal(mailer_new(&loop, &cfg, &m), 0);
    g_cancelled = g_other = 0;
    for (int i = 0; i < MAILER_QUEUE_MAX; i++)
        assert_int_equal(mailer_send(m, "ada@example.org", "s", "b", count_done, NULL), 0);
    assert_int_equal(mailer_send(m, "ada@example.org", "s", "b", count_done, NULL), -ENOBUFS);
    assert_int_equal(g_cancelled + g_other, 0);
    uv_sleep(300); /* let the worker take the first mail, which then waits for its timeout */
    uint64_t t0 = uv_hrtime();
    mailer_free(m);
    assert_true((uv_hrtime() - t0) / 1000000 < 3000);
    assert_int_equal(g_other, 1); /* the one in flight, timed out */
    assert_int_equal(g_cancelled, MAILER_QUEUE_MAX - 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(fd);
}

static mailer_t *g_mailer;

static void free_in_callback(void *ud, int status, const char *msg)
{
    on_done(ud, status, msg);
    if (g_mailer) {
        mailer_t *m = g_mailer;
        g_mailer = NULL;
        mailer_free(m); /* from inside its own callback */
    }
}

static void test_free_from_callback(void **state)
{
    config_mail_t cfg;
    uv_loop_t loop;
    result_t a = {0}, b = {0}, c = {0};
    mail_cfg(&cfg, g_smtp_port);
    uv_loop_init(&loop);
    assert_int_equal(mailer_new(&loop, &cfg, &g_mailer), 0);
    assert_int_equal(mailer_send(g_mailer, "cb1@example.org", "1", "b", free_in_callback, &a), 0);
    assert_int_equal(mailer_send(g_mailer, "cb2@example.org", "2", "b", free_in_callback, &b), 0);
    assert_int_equal(mailer_send(g_mailer, "cb3@example.org", "3", "b", free_in_callback, &c), 0);
    run(&loop);
    assert_null(g_mailer);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.calls, 1); /* sent, or cancelled by the free */
    assert_int_equal(c.calls, 1);
    assert_true(c.status == 0 || c.status == -ECANCELED);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_addr_check),
        cmocka_unit_test(test_header_injection),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_subject_rfc2047),
        cmocka_unit_test(test_quoted_printable),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_send_auth),
        cmocka_unit_test(test_send_failures),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_queue_bound_and_cancel),
        cmocka_unit_test(test_free_from_callback),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
