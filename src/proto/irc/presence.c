/* Presence between IRC clients: invite-notify (ircv3.net "invite-notify": the other members of
 * the channel with the cap see an INVITE made there), away-notify (ircv3.net "away-notify": AWAY
 * lines to the clients sharing a channel with someone whose away state changes), SETNAME (ircv3.net
 * "setname": the realname, changed after registration and told to the clients sharing a channel
 * that have the cap) and the realname WHO and WHOIS show.
 *
 * Away state and realnames are IRC-only: the core does not know them, so web users neither set
 * nor see them (a web user's realname is its nick, and it is never away). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/xmalloc.h"

/* Whether o sits at one of c's tables. */
static bool shares_table(irc_client_t *c, irc_client_t *o)
{
    for (uint32_t i = 0; i < c->nchans; i++) {
        const irc_chan_t *ch = irc__chan_find(o, c->chans[i].room);
        if (ch && ch->table == c->chans[i].table)
            return true;
    }
    return false;
}

struct peers {
    irc_client_t *c;
    uint32_t caps;
    const char *line;
    const irc_chan_t *only; /* NULL: any table shared */
};

static void peer_send(irc_client_t *o, void *ud)
{
    struct peers *p = ud;
    if (o == p->c || (o->caps & p->caps) != p->caps || o->error_sent)
        return;
    if (p->only) {
        const irc_chan_t *ch = irc__chan_find(o, p->only->room);
        if (ch == NULL || ch->table != p->only->table)
            return;
    } else if (!shares_table(p->c, o)) {
        return;
    }
    irc__sendf(o, "%s", p->line);
}

static void peers_send(irc_client_t *c, const irc_chan_t *only, uint32_t caps, const char *fmt,
                       va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    struct peers p = {c, caps, line, only};
    irc__clients_foreach(peer_send, &p);
}

void irc__peers_sendf(irc_client_t *c, uint32_t caps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    peers_send(c, NULL, caps, fmt, ap);
    va_end(ap);
}

void irc__chan_peers_sendf(irc_client_t *c, const irc_chan_t *ch, uint32_t caps, const char *fmt,
                           ...)
{
    va_list ap;
    va_start(ap, fmt);
    peers_send(c, ch, caps, fmt, ap);
    va_end(ap);
}

const char *irc__realname(const char *nick)
{
    irc_client_t *o = irc__client_by_nick(nick);
    return o && o->realname && o->realname[0] ? o->realname : nick;
}

/* SETNAME :realname (one parameter, up to IRC_REALNAME_MAX bytes, not empty). The client
 * itself gets the SETNAME back when it has the cap, as the spec asks. */
int irc__cmd_setname(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0];
    size_t len = strlen(name);
    if (len == 0 || len > IRC_REALNAME_MAX) {
        irc__fail(c, "SETNAME", "INVALID_REALNAME", NULL,
                  len ? "Realname is too long" : "Realname is empty");
        return 0;
    }
    free(c->realname);
    c->realname = xstrdup(name);
    const char *nick = core_session_nick(c->s);
    irc__peers_sendf(c, IRC_CAP_SETNAME, ":%s!%s SETNAME :%s", nick, IRC_USERHOST, name);
    if (c->caps & IRC_CAP_SETNAME)
        irc__sendf(c, ":%s!%s SETNAME :%s", nick, IRC_USERHOST, name);
    return 0;
}
