/* Registration (modern.ircdocs.horse "Connection Registration"): CAP negotiation (ircv3.net
 * "Capability Negotiation", 302), NICK, USER and PASS; the registration completes once NICK and
 * USER are in and no CAP negotiation is open, and the client becomes a guest session of the core
 * (core_hello). Also PING, PONG and QUIT, which work before registration too.
 *
 * A client may log in to an account first (SASL or PASS, sasl.c): irc__register_complete() waits
 * for that check, and the session says hello as the account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/xmalloc.h"

/* The capabilities offered, in the order CAP LS lists them. */
static const struct cap {
    const char *name;
    uint32_t bit;
} caps[] = {
    {"cap-notify", IRC_CAP_CAP_NOTIFY},
    {"echo-message", IRC_CAP_ECHO_MESSAGE},
    {"message-tags", IRC_CAP_MESSAGE_TAGS},
    {"multi-prefix", IRC_CAP_MULTI_PREFIX},
    {"server-time", IRC_CAP_SERVER_TIME},
    {"sasl", IRC_CAP_SASL},
    {"account-notify", IRC_CAP_ACCOUNT_NOTIFY},
    {"account-tag", IRC_CAP_ACCOUNT_TAG},
    {"extended-join", IRC_CAP_EXTENDED_JOIN},
    {"batch", IRC_CAP_BATCH},
    {"draft/chathistory", IRC_CAP_CHATHISTORY},
    {"labeled-response", IRC_CAP_LABELED_RESPONSE},
    {"draft/account-registration", IRC_CAP_ACCOUNT_REGISTRATION},
    {"away-notify", IRC_CAP_AWAY_NOTIFY},
    {"setname", IRC_CAP_SETNAME},
    {"invite-notify", IRC_CAP_INVITE_NOTIFY},
};
#define NCAPS (sizeof(caps) / sizeof(caps[0]))

static const struct cap *cap_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NCAPS; i++)
        if (strlen(caps[i].name) == len && memcmp(caps[i].name, name, len) == 0)
            return &caps[i];
    return NULL;
}

/* What CAP LS 302 shows after a capability's name ("name=value"); NULL for none. */
static const char *cap_value(uint32_t bit)
{
    return bit == IRC_CAP_SASL                   ? irc__sasl_mechs()
           : bit == IRC_CAP_ACCOUNT_REGISTRATION ? irc__acctreg_value()
                                                 : NULL;
}

static void cap_list(irc_client_t *c, const char *sub, uint32_t mask)
{
    char list[400] = "";
    size_t n = 0;
    bool values = c->cap_version >= 302 && strcmp(sub, "LS") == 0;
    for (size_t i = 0; i < NCAPS && n < sizeof(list); i++)
        if (caps[i].bit & mask)
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s%s%s", n ? " " : "",
                                  caps[i].name, values && cap_value(caps[i].bit) ? "=" : "",
                                  values && cap_value(caps[i].bit) ? cap_value(caps[i].bit) : "");
    irc__sendf(c, ":%s CAP %s %s :%s", irc__server(c), irc__nick(c), sub, list);
}

/* CAP REQ: all or nothing. Returns whether every capability named is known; applies them if so. */
static bool cap_req(irc_client_t *c, const char *req)
{
    uint32_t on = 0, off = 0;
    const char *p = req;
    while (*p) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        bool minus = *p == '-';
        const struct cap *cap = cap_find(p + minus, len - minus);
        if (cap == NULL)
            return false;
        if (minus)
            off |= cap->bit;
        else
            on |= cap->bit;
        p += len;
    }
    c->caps = (c->caps | on) & ~off;
    return true;
}

int irc__cmd_cap(irc_client_t *c, const irc_msg_t *m)
{
    const char *sub = m->params[0];
    if (strcasecmp(sub, "LS") == 0) {
        if (!c->registered)
            c->cap_pending = true;
        if (m->nparams > 1 && atoi(m->params[1]) >= 302) {
            c->cap_version = 302;
            c->caps |= IRC_CAP_CAP_NOTIFY; /* implied by 302 */
        }
        cap_list(c, "LS", ~0u);
    } else if (strcasecmp(sub, "LIST") == 0) {
        cap_list(c, "LIST", c->caps);
    } else if (strcasecmp(sub, "REQ") == 0) {
        if (m->nparams < 2) {
            irc__numeric(c, "461", "CAP :Not enough parameters");
            return 0;
        }
        if (!c->registered)
            c->cap_pending = true;
        bool ok = cap_req(c, m->params[1]);
        irc__sendf(c, ":%s CAP %s %s :%s", irc__server(c), irc__nick(c), ok ? "ACK" : "NAK",
                   m->params[1]);
    } else if (strcasecmp(sub, "END") == 0) {
        if (!c->registered && c->cap_pending) {
            c->cap_pending = false;
            irc__register_complete(c);
        }
    } else {
        irc__numeric(c, "410", "%s :Invalid CAP command", sub);
    }
    return 0;
}

/* 0 if nick may be taken now, else the numeric already sent. */
static int nick_check(irc_client_t *c, const char *nick)
{
    int rc = core_check_nick(nick);
    if (rc < 0) {
        irc__numeric(c, "432", "%s :Erroneous nickname", nick);
        return rc;
    }
    const char *held = core_nick_held(c->group->core, nick);
    if (held && !(c->registered && held == core_session_nick(c->s))) {
        irc__numeric(c, "433", "%s :Nickname is already in use", nick);
        return CORE_ENICKTAKEN;
    }
    /* before registration an account's name may still be logged in to (SASL, PASS) */
    if (c->registered && !irc__nick_allowed(c, nick)) {
        irc__numeric(c, "433", "%s :Nickname is registered to an account", nick);
        return CORE_ENICKTAKEN;
    }
    return 0;
}

/* A registered client's new nick: the core tells every table it sits at (EV_NICK, event.c),
 * including the client itself; if it sits at none, it is told here. */
static int nick_change(irc_client_t *c, const char *nick)
{
    if (strcmp(nick, core_session_nick(c->s)) == 0 || nick_check(c, nick) < 0)
        return 0;
    char old[128];
    snprintf(old, sizeof(old), "%s", core_session_nick(c->s));
    uint32_t told = c->last_rename;
    int rc = irc__client_rename(c, nick);
    if (rc == CORE_EFORBIDDEN) {
        irc__fail(c, "NICK", "CANNOT_CHANGE_NICK", nick, "An account's nick is its account name");
    } else if (rc < 0) {
        irc__numeric(c, rc == CORE_ENICKTAKEN ? "433" : "432", "%s :%s", nick,
                     core_err_message(rc));
    } else if (c->last_rename == told) {
        irc__sendf(c, ":%s!%s NICK %s", old, IRC_USERHOST, core_session_nick(c->s));
    }
    return 0;
}

int irc__cmd_nick(irc_client_t *c, const irc_msg_t *m)
{
    if (m->nparams < 1 || m->params[0][0] == '\0') {
        irc__numeric(c, "431", ":No nickname given");
        return 0;
    }
    const char *nick = m->params[0];
    if (c->registered)
        return nick_change(c, nick);
    if (nick_check(c, nick) < 0)
        return 0;
    free(c->nick);
    c->nick = xstrdup(nick);
    irc__register_complete(c);
    return 0;
}

int irc__cmd_user(irc_client_t *c, const irc_msg_t *m)
{
    if (c->registered || c->got_user) {
        irc__numeric(c, "462", ":You may not reregister");
        return 0;
    }
    if (m->params[0][0] == '\0') {
        irc__numeric(c, "461", "USER :Not enough parameters");
        return 0;
    }
    /* The username is not kept: everyone is nick!parley@parley (IRC_USERHOST). The realname is,
     * for WHO, WHOIS and SETNAME. */
    c->got_user = true;
    c->realname = xstrndup(m->params[3], strnlen(m->params[3], IRC_REALNAME_MAX));
    irc__register_complete(c);
    return 0;
}

/* PASS account:password: a login for clients without SASL, checked at registration (sasl.c). */
int irc__cmd_pass(irc_client_t *c, const irc_msg_t *m)
{
    if (c->registered) {
        irc__numeric(c, "462", ":You may not reregister");
        return 0;
    }
    free(c->pass);
    c->pass = xstrdup(m->params[0]);
    return 0;
}

/* NICK and USER are in, CAP is not being negotiated and no login is being checked: the session
 * says hello to the core, as the account it logged in to (SASL, PASS) or as a guest. */
void irc__register_complete(irc_client_t *c)
{
    if (c->registered || c->nick == NULL || !c->got_user || c->cap_pending || irc__sasl_busy(c))
        return;
    if (irc__pass_login(c) != 0)
        return; /* registration goes on from the answer */
    if (core_session_account(c->s) == NULL && !group_allow_guests(c->group)) {
        irc__quit(c, "This server admits accounts only: log in with SASL or PASS account:password");
        return;
    }
    if (nick_check(c, c->nick) < 0) /* taken meanwhile */
        return;
    if (!irc__nick_allowed(c, c->nick)) {
        irc__numeric(c, "433", "%s :Nickname is registered to an account", c->nick);
        return;
    }
    int rc = core_hello(c->s, c->nick, NULL);
    if (rc < 0) {
        irc__numeric(c, rc == CORE_ENICKTAKEN ? "433" : "432", "%s :%s", c->nick,
                     core_err_message(rc));
        return;
    }
    free(c->nick);
    c->nick = NULL;
    c->registered = true;
    irc__client_registered(c);
    irc__welcome(c);
}

/* PING token: PONG server :token. No token: 461 (the command table); an empty one: 409. */
int irc__cmd_ping(irc_client_t *c, const irc_msg_t *m)
{
    if (m->params[0][0] == '\0') {
        irc__numeric(c, "409", ":No origin specified");
        return 0;
    }
    irc__sendf(c, ":%s PONG %s :%s", irc__server(c), irc__server(c), m->params[0]);
    return 0;
}

/* Any line re-arms the idle timer (client.c); a PONG without a token gets 409 (RFC 2812). */
int irc__cmd_pong(irc_client_t *c, const irc_msg_t *m)
{
    if (m->nparams == 0 || m->params[0][0] == '\0')
        irc__numeric(c, "409", ":No origin specified");
    return 0;
}

int irc__cmd_quit(irc_client_t *c, const irc_msg_t *m)
{
    char reason[400];
    snprintf(reason, sizeof(reason), "Closing link: %s (Quit: %s)", irc__nick(c),
             m->nparams > 0 && m->params[0][0] ? m->params[0] : "Client quit");
    irc__quit(c, reason);
    return 0;
}
