/* Who is where: WHO, WHOIS and LIST (modern.ircdocs.horse). They show what the web shows: the
 * people at a table the client sits at (lurkers are not listed) and the tables of the rooms the
 * client has a right in. Where someone else sits is told only for tables shared with the client.
 * WHOX (WHO with %fields) answers 354 lines with the fields asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/xmalloc.h"

/* WHOX (ircv3.net "whox"): WHO <mask> %<fields>[,<token>] asks for 354 lines with only those
 * fields, always in the order t c u i h s n f d l a o r. */
typedef struct whox {
    bool on;
    char fields[16];
    char token[4];
} whox_t;

static void whox_parse(whox_t *x, const irc_msg_t *m)
{
    memset(x, 0, sizeof(*x));
    if (m->nparams < 2 || m->params[1][0] != '%')
        return;
    const char *p = m->params[1] + 1;
    size_t n = strcspn(p, ",");
    x->on = true;
    snprintf(x->fields, sizeof(x->fields), "%.*s", (int)(n < 15 ? n : 15), p);
    if (p[n] == ',')
        snprintf(x->token, sizeof(x->token), "%.3s", p + n + 1);
}

/* "H" (here) or "G" (an IRC user who is away), and "@" for a host. Accounts are known for IRC
 * users only ("0" otherwise, as for a guest). */
static void who_reply(irc_client_t *c, const whox_t *x, const char *chan, const char *nick,
                      core_right_t right)
{
    irc_client_t *who = irc__client_by_nick(nick);
    char flags[4];
    snprintf(flags, sizeof(flags), "%s%s", who && who->away ? "G" : "H",
             right == CORE_RIGHT_HOST ? "@" : "");
    if (x == NULL || !x->on) {
        irc__numeric(c, "352", "%s parley parley %s %s %s :0 %s", chan, irc__server(c), nick, flags,
                     irc__realname(nick));
        return;
    }
    const char *account = who ? core_session_account(who->s) : NULL;
    char out[480] = "";
    size_t n = 0;
    static const char order[] = "tcuihsnfdlaor";
    for (const char *f = order; *f; f++) {
        if (strchr(x->fields, *f) == NULL)
            continue;
        const char *v = "";
        switch (*f) {
        case 't': v = x->token[0] ? x->token : "0"; break;
        case 'c': v = chan; break;
        case 'u': v = "parley"; break;
        case 'i': v = "255.255.255.255"; break;
        case 'h': v = "parley"; break;
        case 's': v = irc__server(c); break;
        case 'n': v = nick; break;
        case 'f': v = flags; break;
        case 'd': v = "0"; break;
        case 'l': v = "0"; break;
        case 'a': v = account ? account : "0"; break;
        case 'o': v = "n/a"; break;
        case 'r': v = irc__realname(nick); break;
        }
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s%s", n ? " " : "",
                              *f == 'r' ? ":" : "", v);
        if (n >= sizeof(out))
            n = sizeof(out) - 1;
    }
    irc__numeric(c, "354", "%s", out);
}

void irc__tell_away(irc_client_t *c, const char *nick)
{
    irc_client_t *who = irc__client_by_nick(nick);
    if (who && who->away)
        irc__numeric(c, "301", "%s :%s", nick, who->away);
}

/* AWAY :message marks the client away (WHO shows G, PRIVMSG and WHOIS senders get 301); AWAY
 * alone marks it back. IRC clients sharing a channel with away-notify get an AWAY line; web users
 * see nothing of it (the core has no away state). */
int irc__cmd_away(irc_client_t *c, const irc_msg_t *m)
{
    free(c->away);
    c->away = NULL;
    if (m->nparams > 0 && m->params[0][0]) {
        size_t n = strlen(m->params[0]);
        if (n > 200) { /* AWAYLEN, cut at a character */
            n = 200;
            while (n > 0 && ((unsigned char)m->params[0][n] & 0xC0) == 0x80)
                n--;
        }
        c->away = xstrndup(m->params[0], n);
        irc__numeric(c, "306", ":You have been marked as being away");
    } else {
        irc__numeric(c, "305", ":You are no longer marked as being away");
    }
    /* away-notify: "AWAY :message" when away, "AWAY" alone when back */
    const char *nick = core_session_nick(c->s);
    if (c->away)
        irc__peers_sendf(c, IRC_CAP_AWAY_NOTIFY, ":%s!%s AWAY :%s", nick, IRC_USERHOST, c->away);
    else
        irc__peers_sendf(c, IRC_CAP_AWAY_NOTIFY, ":%s!%s AWAY", nick, IRC_USERHOST);
    return 0;
}

struct who {
    irc_client_t *c;
    const whox_t *x;
    const char *chan;
    const char *only; /* a nick as held: find it, send nothing */
    bool found;
    core_right_t right;
};

static void who_member(void *ud, const char *nick, core_right_t right)
{
    struct who *w = ud;
    if (w->only == NULL) {
        who_reply(w->c, w->x, w->chan, nick, right);
    } else if (strcmp(w->only, nick) == 0) {
        w->found = true;
        w->right = right;
    }
}

/* Whether nick (as held) sits at t, not lurking; *right gets its right there. */
static bool member_right(const table_t *t, const char *nick, core_right_t *right)
{
    struct who w = {.only = nick};
    table_members_rights_foreach(t, who_member, &w);
    *right = w.right;
    return w.found;
}

/* Calls fn for each of the client's channels whose table nick (as held) sits at. */
static void shared_tables(irc_client_t *c, const char *nick,
                          void (*fn)(void *ud, const char *chan, core_right_t right), void *ud)
{
    for (uint32_t i = 0; i < c->nchans; i++) {
        char chan[IRC_CHAN_MAX];
        irc__chan_name(chan, sizeof(chan), c->chans[i].room, c->chans[i].table);
        room_t *r = NULL;
        table_t *t = irc__my_table(c, chan, &r);
        core_right_t right;
        if (t && member_right(t, nick, &right))
            fn(ud, chan, right);
    }
}

struct first {
    char chan[IRC_CHAN_MAX];
    core_right_t right;
};

static void first_shared(void *ud, const char *chan, core_right_t right)
{
    struct first *f = ud;
    if (f->chan[0] == '\0') {
        snprintf(f->chan, sizeof(f->chan), "%s", chan);
        f->right = right;
    }
}

int irc__cmd_who(irc_client_t *c, const irc_msg_t *m)
{
    const char *mask = m->nparams > 0 ? m->params[0] : "*";
    whox_t x;
    whox_parse(&x, m);
    if (mask[0] == '#') {
        room_t *r = NULL;
        table_t *t = irc__my_table(c, mask, &r);
        if (t) {
            struct who w = {.c = c, .x = &x, .chan = mask};
            table_members_rights_foreach(t, who_member, &w);
            if (core_session_lurking(c->s, r)) /* a lurker sees itself */
                who_reply(c, &x, mask, core_session_nick(c->s), CORE_RIGHT_READ_ONLY);
        }
    } else {
        const char *nick = core_nick_held(c->group->core, mask);
        if (nick) {
            struct first f = {.right = CORE_RIGHT_NONE};
            shared_tables(c, nick, first_shared, &f);
            who_reply(c, &x, f.chan[0] ? f.chan : "*", nick, f.chan[0] ? f.right : CORE_RIGHT_NONE);
        }
    }
    irc__numeric(c, "315", "%s :End of WHO list", mask);
    return 0;
}

struct chans {
    char list[400];
    size_t len;
};

static void add_chan(void *ud, const char *chan, core_right_t right)
{
    struct chans *cl = ud;
    if (cl->len + strlen(chan) + 3 < sizeof(cl->list))
        cl->len += (size_t)snprintf(cl->list + cl->len, sizeof(cl->list) - cl->len, "%s%s%s",
                                    cl->len ? " " : "", right == CORE_RIGHT_HOST ? "@" : "", chan);
}

int irc__cmd_whois(irc_client_t *c, const irc_msg_t *m)
{
    if (m->nparams == 0) {
        irc__numeric(c, "431", ":No nickname given");
        return 0;
    }
    /* WHOIS [server] nick: the last parameter is the nick */
    const char *target = m->params[m->nparams - 1];
    const char *nick = core_nick_held(c->group->core, target);
    if (nick == NULL) {
        irc__numeric(c, "401", "%s :No such nick/channel", target);
        irc__numeric(c, "318", "%s :End of /WHOIS list", target);
        return 0;
    }
    irc__numeric(c, "311", "%s parley parley * :%s", nick, irc__realname(nick));
    irc__tell_away(c, nick);
    struct chans cl = {.len = 0};
    shared_tables(c, nick, add_chan, &cl);
    if (cl.len)
        irc__numeric(c, "319", "%s :%s", nick, cl.list);
    irc__numeric(c, "312", "%s %s :Parley", nick, irc__server(c));
    irc__numeric(c, "318", "%s :End of /WHOIS list", nick);
    return 0;
}

/* One 322: the table's people and its topic, else the room's title. */
static void list_table(irc_client_t *c, const char *chan, const room_t *r, const table_t *t)
{
    const char *topic = table_topic(t);
    irc__numeric(c, "322", "%s %u :%s", chan, table_users(t), topic[0] ? topic : room_title(r));
}

/* 322 for each table of r the client may see. */
static void list_room(irc_client_t *c, room_t *r)
{
    if (core_right(c->s, r, 0) == CORE_RIGHT_NONE)
        return;
    for (table_t *t = room_table_first(r); t; t = room_table_next(t)) {
        if (core_right(c->s, r, table_number(t)) == CORE_RIGHT_NONE)
            continue;
        char chan[IRC_CHAN_MAX];
        irc__chan_name(chan, sizeof(chan), room_name(r), table_number(t));
        list_table(c, chan, r, t);
    }
}

static void list_each(void *ud, room_t *r)
{
    list_room(ud, r);
}

int irc__cmd_list(irc_client_t *c, const irc_msg_t *m)
{
    irc__numeric(c, "321", "Channel :Users  Name");
    if (m->nparams > 0 && m->params[0][0] == '#') {
        char *names = xstrdup(m->params[0]), *save = NULL;
        for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
            char room[40];
            uint32_t number;
            room_t *r;
            if (!irc__chan_parse(n, room, sizeof(room), &number) ||
                (r = core_room_find(c->group->core, room)) == NULL ||
                core_right(c->s, r, number) == CORE_RIGHT_NONE ||
                core_right(c->s, r, 0) == CORE_RIGHT_NONE)
                continue;
            table_t *t = room_table_find(r, number);
            if (t)
                list_table(c, n, r, t);
        }
        free(names);
    } else {
        core_rooms_foreach(c->group->core, list_each, c);
    }
    irc__numeric(c, "323", ":End of /LIST");
    return 0;
}
