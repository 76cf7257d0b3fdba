/* draft/account-registration (ircv3.net): REGISTER <account> <email> <password> makes a
 * provisional account through the accounts service (auth_register: the same checks and the same
 * validation mail as the web's registration), and VERIFY <account> <code> validates it with the
 * mail's code (auth_validate_code) and logs the client in (900). Registration works before the
 * connection registers too (before-connect); an e-mail address is required. To validate by code
 * the service needs a session token of the account: REGISTER logs in once the account exists and
 * keeps that token until VERIFY (it is logged out then, or when the client leaves). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/irc/irc_int.h"
#include "util/addr.h"
#include "util/xmalloc.h"

struct irc_acctreg {
    irc_client_t *c; /* NULL once the client closed */
    char *name;      /* the account being registered */
    char *pw;        /* wiped and freed once logged in */
    size_t pwlen;
    char *token; /* the account's session token, for VERIFY */
};

const char *irc__acctreg_value(void)
{
    return "before-connect,email-required,custom-account-name";
}

static void reg_free(irc_acctreg_t *r)
{
    if (r == NULL)
        return;
    if (r->pw) {
        sodium_memzero(r->pw, r->pwlen);
        free(r->pw);
    }
    free(r->name);
    free(r->token);
    free(r);
}

/* Logs the token out (it served VERIFY only) and forgets the registration. */
static void reg_done(irc_client_t *c)
{
    irc_acctreg_t *r = c->acctreg;
    c->acctreg = NULL;
    if (r && r->token)
        auth_logout(c->group->auth, r->token);
    reg_free(r);
}

void irc__acctreg_close(irc_client_t *c)
{
    irc_acctreg_t *r = c->acctreg;
    if (r && r->pw) { /* the service still answers: it frees r */
        r->c = NULL;
        c->acctreg = NULL;
        return;
    }
    reg_done(c);
}

static const char *fail_code(int err)
{
    switch (err) {
    case AUTH_ENAMETAKEN: return "ACCOUNT_EXISTS";
    case AUTH_ENICKINVALID:
    case AUTH_ENICKRESERVED: return "BAD_ACCOUNT_NAME";
    case AUTH_EWEAKPW: return "WEAK_PASSWORD";
    case AUTH_EBADEMAIL: return "INVALID_EMAIL";
    case AUTH_EEMAILTAKEN:
    case AUTH_EBANNED: return "UNACCEPTABLE_EMAIL";
    default: return "TEMPORARILY_UNAVAILABLE";
    }
}

static void logged_in(void *ud, int status, const auth_result_t *res)
{
    irc_acctreg_t *r = ud;
    irc_client_t *c = r->c;
    if (c)
        irc__label_resume(c); /* the answer to REGISTER, with its label */
    if (c == NULL || status != 0) {
        if (c) {
            irc__fail(c, "REGISTER", "TEMPORARILY_UNAVAILABLE", r->name,
                      "The account was made but cannot be verified now: log in on the web");
            c->acctreg = NULL;
            irc__label_end(c);
        }
        reg_free(r);
        return;
    }
    r->token = xstrdup(res->token);
    sodium_memzero(r->pw, r->pwlen);
    free(r->pw);
    r->pw = NULL;
    irc__sendf(c,
               ":%s REGISTER VERIFICATION_REQUIRED %s :Account created: enter the code of the "
               "mail sent to you with VERIFY %s <code>",
               irc__server(c), r->name, r->name);
    irc__label_end(c);
}

static void registered(void *ud, int status, const auth_result_t *res)
{
    irc_acctreg_t *r = ud;
    irc_client_t *c = r->c;
    if (c && status != 0) {
        irc__label_resume(c);
        irc__fail(c, "REGISTER", fail_code(status), r->name, auth_err_message(status));
        irc__label_end(c);
    }
    if (c == NULL || status != 0) {
        if (c)
            c->acctreg = NULL;
        reg_free(r);
        return;
    }
    char addr[80];
    conn_peer(c->conn, addr, sizeof(addr));
    addr_ban_key(addr, sizeof(addr));
    if (auth_login(c->group->auth, res->account->name, r->pw, r->pwlen, addr, logged_in, r) < 0)
        logged_in(r, AUTH_ESTORE, NULL);
}

int irc__cmd_register(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0], *email = m->params[1], *pw = m->params[2];
    if (strcmp(name, "*") == 0)
        name = irc__nick(c);
    if (strcmp(name, "*") == 0) {
        irc__fail(c, "REGISTER", "NEED_NICK", "*", "Send NICK first, or name the account");
        return 0;
    }
    if (core_session_account(c->s)) {
        irc__fail(c, "REGISTER", "ALREADY_AUTHENTICATED", name, "You are logged in already");
        return 0;
    }
    if (c->acctreg && c->acctreg->pw) {
        irc__fail(c, "REGISTER", "TEMPORARILY_UNAVAILABLE", name, "A registration is under way");
        return 0;
    }
    if (strcmp(email, "*") == 0) {
        irc__fail(c, "REGISTER", "INVALID_EMAIL", name, "An e-mail address is required");
        return 0;
    }
    reg_done(c);
    irc_acctreg_t *r = xcalloc(1, sizeof(*r));
    r->c = c;
    r->name = xstrdup(name);
    r->pwlen = strlen(pw);
    r->pw = xstrdup(pw);
    c->acctreg = r;
    int rc = auth_register(c->group->auth, name, email, pw, r->pwlen, registered, r);
    if (rc < 0) {
        irc__fail(c, "REGISTER", fail_code(rc), name, auth_err_message(rc));
        c->acctreg = NULL;
        reg_free(r);
    } else {
        irc__label_defer(c); /* answered from registered() or logged_in() */
    }
    return 0;
}

int irc__cmd_verify(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0], *code = m->params[1];
    if (core_session_account(c->s)) {
        irc__fail(c, "VERIFY", "ALREADY_AUTHENTICATED", name, "You are logged in already");
        return 0;
    }
    irc_acctreg_t *r = c->acctreg;
    if (r == NULL || r->token == NULL || strcasecmp(r->name, name) != 0) {
        irc__fail(c, "VERIFY", "INVALID_CODE", name, "No registration of that account to verify");
        return 0;
    }
    store_account_t acc;
    int rc = auth_validate_code(c->group->auth, r->token, code, &acc);
    if (rc < 0) {
        irc__fail(c, "VERIFY",
                  rc == AUTH_EBADCODE || rc == AUTH_ETOOMANY ? "INVALID_CODE"
                                                             : "TEMPORARILY_UNAVAILABLE",
                  name, auth_err_message(rc));
        return 0;
    }
    irc__sendf(c, ":%s VERIFY SUCCESS %s :Account verified", irc__server(c), acc.name);
    irc__log_in(c, &acc);
    store_account_deinit(&acc);
    reg_done(c);
    return 0;
}
