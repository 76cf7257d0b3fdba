/* Accounts on IRC: SASL (ircv3.net sasl-3.1 and 3.2: AUTHENTICATE with PLAIN and SCRAM-SHA-256,
 * 400-byte chunks, numerics 900, 903..908) and PASS account:password, the fallback for clients
 * without SASL. Both check the password through the accounts service (auth/auth.h), which
 * throttles, delays and counts them like web logins; a success makes the session the account
 * (core_session_identify, the identity a web login gives), so an IRC user has exactly the rights
 * the same account has on the web. Also account-notify (ACCOUNT to channel peers when a client
 * logs in after registration).
 *
 * The accounts service answers later: an exchange (irc_sasl_t) outlives its client if the client
 * closes while a check runs (c->sasl->c is cleared then, and the answer frees the exchange). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <utf8proc.h>

#include "proto/irc/irc_int.h"
#include "util/addr.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define SASL_MECHS     "PLAIN,SCRAM-SHA-256"
#define SASL_CHUNK     400
#define SASL_MSG_MAX   8192 /* a base64 message longer than this is refused with 905 */
#define SASL_PASS_MECH 3

enum { MECH_PLAIN = 1, MECH_SCRAM = 2 };

struct irc_sasl {
    irc_client_t *c; /* NULL once the client closed */
    int mech;        /* MECH_* or SASL_PASS_MECH */
    bool busy;       /* the accounts service is checking */
    bool final_sent; /* SCRAM: server-final sent, waiting for the client's "+" */
    buf_t in;        /* base64 chunks gathered */
    scram_server_t *scram;
    store_account_t acc; /* SCRAM: the account proved, logged in to at the client's "+" (name
                            owned) */
};

static void sasl_free(irc_sasl_t *x)
{
    if (x == NULL)
        return;
    if (x->in.base)
        sodium_memzero(x->in.base, x->in.cap);
    buf_deinit(&x->in);
    scram_server_free(x->scram);
    free(x->acc.name);
    free(x);
}

/* The exchange is over (success, failure or abort). */
static void sasl_end(irc_client_t *c)
{
    sasl_free(c->sasl);
    c->sasl = NULL;
}

void irc__sasl_close(irc_client_t *c)
{
    if (c->sasl && c->sasl->busy)
        c->sasl->c = NULL; /* the answer frees it */
    else
        sasl_free(c->sasl);
    c->sasl = NULL;
    if (c->pass) {
        sodium_memzero(c->pass, strlen(c->pass));
        free(c->pass);
        c->pass = NULL;
    }
}

bool irc__sasl_busy(irc_client_t *c)
{
    if (c->sasl == NULL)
        return false;
    if (c->sasl->busy)
        return true;
    irc__numeric(c, "906", ":SASL authentication aborted");
    sasl_end(c);
    return false;
}

static void client_addr(irc_client_t *c, char *out, size_t len)
{
    conn_peer(c->conn, out, len);
    addr_ban_key(out, len);
}

/* Whether two account names are the same account (NFKC + case folding, as accounts compare). */
static bool same_account(const char *a, const char *b)
{
    char *fa = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)a);
    char *fb = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)b);
    bool same = fa && fb ? strcmp(fa, fb) == 0 : strcasecmp(a, b) == 0;
    free(fa);
    free(fb);
    return same;
}

bool irc__nick_allowed(irc_client_t *c, const char *nick)
{
    if (!auth_name_is_account(c->group->auth, nick))
        return true;
    const char *acc = core_session_account(c->s);
    return acc && same_account(acc, nick);
}

static core_identity_t identity_of(const store_account_t *acc)
{
    /* a sysop whose one-time password is not changed yet has no sysop rights (as on the web) */
    bool registered = acc->cls == 2;
    return (core_identity_t){.account = acc->name,
                             .cls = registered ? CORE_CLASS_REGISTERED : CORE_CLASS_PROVISIONAL,
                             .sysop = acc->sysop && registered && !acc->must_change};
}

void irc_account_changed(void *auth, const store_account_t *acc)
{
    core_identity_t id = identity_of(acc);
    list_foreach(it, irc__clients())
    {
        irc_client_t *c = list_entry(it, irc_client_t, node);
        const char *mine = c->group ? core_session_account(c->s) : NULL;
        if (mine && (void *)c->group->auth == auth && same_account(mine, acc->name))
            core_session_identify(c->s, &id);
    }
}

/* ACCOUNT to the IRC clients with account-notify that share a table with c (and c itself). */
static void account_notify(irc_client_t *c, const char *account)
{
    list_t *all = irc__clients();
    const char *nick = core_session_nick(c->s);
    list_foreach(it, all)
    {
        irc_client_t *o = list_entry(it, irc_client_t, node);
        if (!o->registered || !(o->caps & IRC_CAP_ACCOUNT_NOTIFY))
            continue;
        bool shares = o == c;
        for (uint32_t i = 0; i < o->nchans && !shares; i++) {
            irc_chan_t *mine = irc__chan_find(c, o->chans[i].room);
            shares = mine && mine->table == o->chans[i].table;
        }
        if (shares)
            irc__sendf(o, ":%s!%s ACCOUNT %s", nick, IRC_USERHOST, account);
    }
}

bool irc__log_in(irc_client_t *c, const store_account_t *acc)
{
    if (acc->cls != 2 && !group_allow_guests(c->group)) {
        irc__notice(c, "This server admits validated accounts only: follow the link in your mail");
        return false;
    }
    core_identity_t id = identity_of(acc);
    if (core_session_identify(c->s, &id) < 0)
        return false;
    irc__numeric(c, "900", "%s!%s %s :You are now logged in as %s", irc__nick(c), IRC_USERHOST,
                 acc->name, acc->name);
    if (c->registered)
        account_notify(c, acc->name);
    return true;
}

static void fail_904(irc_client_t *c, const char *why)
{
    irc__numeric(c, "904", ":SASL authentication failed%s%s", why ? ": " : "", why ? why : "");
    sasl_end(c);
}

static void success_903(irc_client_t *c)
{
    irc__numeric(c, "903", ":SASL authentication successful");
    sasl_end(c);
}

/* Sends raw bytes as AUTHENTICATE lines of base64 in 400-byte chunks ("+" after an exact
 * multiple of 400, or for nothing). */
static void send_b64(irc_client_t *c, const char *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = xmalloc(cap);
    sodium_bin2base64(b64, cap, (const unsigned char *)data, len, sodium_base64_VARIANT_ORIGINAL);
    size_t n = strlen(b64), i = 0;
    for (; n - i >= SASL_CHUNK; i += SASL_CHUNK)
        irc__sendf(c, "AUTHENTICATE %.*s", SASL_CHUNK, b64 + i);
    irc__sendf(c, "AUTHENTICATE %s", i < n ? b64 + i : "+");
    free(b64);
}

static void too_many(irc_client_t *c, const auth_result_t *res)
{
    char why[80];
    snprintf(why, sizeof(why), "too many attempts: retry in %d s", res ? res->retry_after_s : 1);
    if (c->sasl && c->sasl->mech == SASL_PASS_MECH)
        irc__quit(c, why);
    else
        fail_904(c, why);
}

static void checked_sasl(irc_client_t *c, irc_sasl_t *x, int status, const auth_result_t *res);

static void checked_client(irc_client_t *c, irc_sasl_t *x, int status, const auth_result_t *res);

/* The accounts service's answer; the client's part of it carries the label of the AUTHENTICATE
 * it answers (labeled-response). */
static void checked(void *ud, int status, const auth_result_t *res)
{
    irc_sasl_t *x = ud;
    irc_client_t *c = x->c;
    x->busy = false;
    if (c == NULL) {
        sasl_free(x);
        return;
    }
    conn_t *conn = c->conn;
    bool pass = x->mech == SASL_PASS_MECH;
    irc__label_resume(c);
    checked_client(c, x, status, res);
    if (conn_closing(conn)) /* c may be gone */
        return;
    irc__label_end(c);
    /* CAP END came while the check ran: the registration is not part of the labelled answer */
    if (!pass && !c->registered && c->sasl == NULL)
        irc__register_complete(c);
}

static void checked_client(irc_client_t *c, irc_sasl_t *x, int status, const auth_result_t *res)
{
    if (status == AUTH_ETOOMANY && x->mech == SASL_PASS_MECH) {
        too_many(c, res);
        return;
    }
    if (x->mech == SASL_PASS_MECH) {
        sasl_end(c);
        if (status != 0) {
            irc__numeric(c, "464", ":Password incorrect");
            irc__quit(c, "Bad account name or password");
        } else if (!irc__log_in(c, res->account)) {
            irc__quit(c, "Account not admitted");
        } else {
            irc__register_complete(c);
        }
        return;
    }
    if (status == AUTH_ETOOMANY)
        too_many(c, res);
    else
        checked_sasl(c, x, status, res);
}

static void checked_sasl(irc_client_t *c, irc_sasl_t *x, int status, const auth_result_t *res)
{
    if (status == 0 && x->mech == MECH_SCRAM) {
        /* server-final first; 900 and 903 once the client answers "+" (sasl-3.1) */
        const store_account_t *a = res->account;
        x->acc = (store_account_t){.name = xstrdup(a->name),
                                   .cls = a->cls,
                                   .sysop = a->sysop,
                                   .must_change = a->must_change};
        send_b64(c, res->reply, res->reply_len);
        x->final_sent = true;
        return;
    }
    if (status != 0 || !irc__log_in(c, res->account)) {
        fail_904(c, NULL);
        return;
    }
    success_903(c);
}

static int scram_lookup(void *ud, const char *user, store_scram_t *out)
{
    return auth_scram_credentials(ud, user, out);
}

/* The decoded PLAIN message: authzid NUL authcid NUL password. */
static void plain(irc_client_t *c, const char *msg, size_t len)
{
    const char *end = msg + len, *authzid = msg;
    const char *authcid = memchr(msg, '\0', len);
    const char *pw = authcid ? memchr(authcid + 1, '\0', (size_t)(end - authcid - 1)) : NULL;
    if (pw == NULL) {
        fail_904(c, "malformed PLAIN message");
        return;
    }
    authcid++;
    pw++;
    if (authzid[0] && !same_account(authzid, authcid)) {
        fail_904(c, "the authorization identity must be empty or the account");
        return;
    }
    char addr[80];
    client_addr(c, addr, sizeof(addr));
    c->sasl->busy = true;
    int rc = auth_check_password(c->group->auth, authcid, pw, (size_t)(end - pw), addr, checked,
                                 c->sasl);
    if (rc < 0) {
        c->sasl->busy = false;
        fail_904(c, NULL);
    } else {
        irc__label_defer(c);
    }
}

static void scram(irc_client_t *c, const char *msg, size_t len)
{
    irc_sasl_t *x = c->sasl;
    if (x->final_sent) {
        if (len == 0 && irc__log_in(c, &x->acc))
            success_903(c);
        else
            fail_904(c, len ? "expected an empty response" : NULL);
        return;
    }
    if (x->scram == NULL) {
        x->scram =
            scram_server_new(scram_lookup, c->group->auth, auth_scram_iterations(c->group->auth));
        char *out = NULL;
        size_t outlen = 0;
        int rc = scram_server_step(x->scram, msg, len, &out, &outlen);
        if (rc == SCRAM_CONTINUE)
            send_b64(c, out, outlen);
        else
            fail_904(c, scram_err_value(rc));
        free(out);
        return;
    }
    char addr[80];
    client_addr(c, addr, sizeof(addr));
    x->busy = true;
    if (auth_scram_final(c->group->auth, x->scram, msg, len, addr, checked, x) < 0) {
        x->busy = false;
        fail_904(c, NULL);
    } else {
        irc__label_defer(c);
    }
}

/* A complete (possibly empty) client message in base64. */
static void message(irc_client_t *c)
{
    irc_sasl_t *x = c->sasl;
    size_t cap = x->in.len / 4 * 3 + 3, len = 0;
    char *msg = xmalloc(cap + 1);
    if (x->in.len && sodium_base642bin((unsigned char *)msg, cap, x->in.base, x->in.len, NULL, &len,
                                       NULL, sodium_base64_VARIANT_ORIGINAL) < 0) {
        free(msg);
        fail_904(c, "invalid base64");
        return;
    }
    msg[len] = '\0';
    x->in.len = 0;
    if (x->mech == MECH_PLAIN)
        plain(c, msg, len);
    else
        scram(c, msg, len);
    sodium_memzero(msg, cap + 1);
    free(msg);
}

int irc__cmd_authenticate(irc_client_t *c, const irc_msg_t *m)
{
    const char *arg = m->params[0];
    if (!(c->caps & IRC_CAP_SASL)) {
        irc__numeric(c, "421", "AUTHENTICATE :Unknown command (request the sasl capability)");
        return 0;
    }
    if (c->sasl && c->sasl->busy)
        return 0; /* a check is running: the client must wait for its answer */
    if (strcmp(arg, "*") == 0) {
        if (c->sasl) {
            irc__numeric(c, "906", ":SASL authentication aborted");
            sasl_end(c);
        } else {
            irc__numeric(c, "904", ":SASL authentication failed: no exchange to abort");
        }
        return 0;
    }
    if (c->sasl == NULL) {
        if (core_session_account(c->s)) {
            irc__numeric(c, "907", ":You have already authenticated using SASL");
            return 0;
        }
        int mech = strcasecmp(arg, "PLAIN") == 0           ? MECH_PLAIN
                   : strcasecmp(arg, "SCRAM-SHA-256") == 0 ? MECH_SCRAM
                                                           : 0;
        if (mech == 0) {
            irc__numeric(c, "908", "%s :are available SASL mechanisms", SASL_MECHS);
            irc__numeric(c, "904", ":SASL authentication failed");
            return 0;
        }
        c->sasl = xcalloc(1, sizeof(*c->sasl));
        c->sasl->c = c;
        c->sasl->mech = mech;
        buf_init(&c->sasl->in, SASL_MSG_MAX);
        irc__sendf(c, "AUTHENTICATE +");
        return 0;
    }
    size_t n = strlen(arg);
    if (c->sasl->in.len + n > SASL_MSG_MAX || n > SASL_CHUNK) {
        irc__numeric(c, "905", ":SASL message too long");
        sasl_end(c);
        return 0;
    }
    if (strcmp(arg, "+") != 0)
        buf_append(&c->sasl->in, arg, n);
    if (n < SASL_CHUNK)
        message(c);
    if (!c->registered && c->sasl == NULL)
        irc__register_complete(c); /* CAP END came while the exchange ran */
    return 0;
}

const char *irc__sasl_mechs(void)
{
    return SASL_MECHS;
}

/* PASS account:password: checked once NICK and USER are in, before the welcome. A PASS without
 * ':' is ignored (no server password is configured; clients send one out of habit). */
int irc__pass_login(irc_client_t *c)
{
    if (c->pass == NULL || core_session_account(c->s))
        return 0;
    char *pass = c->pass, *colon = strchr(pass, ':');
    c->pass = NULL;
    if (colon == NULL) {
        sodium_memzero(pass, strlen(pass));
        free(pass);
        return 0;
    }
    *colon = '\0';
    const char *who = pass, *pw = colon + 1;
    char addr[80];
    client_addr(c, addr, sizeof(addr));
    irc_sasl_t *x = xcalloc(1, sizeof(*x));
    x->c = c;
    x->mech = SASL_PASS_MECH;
    x->busy = true;
    buf_init(&x->in, 16);
    c->sasl = x;
    int rc = auth_check_password(c->group->auth, who, pw, strlen(pw), addr, checked, x);
    sodium_memzero(pass, strlen(pw) + (size_t)(pw - pass));
    free(pass);
    if (rc < 0) {
        sasl_end(c);
        irc__numeric(c, "464", ":Password incorrect");
        irc__quit(c, "Bad account name or password");
        return rc;
    }
    return 1; /* pending */
}
