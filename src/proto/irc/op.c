/* MODE, KICK and INVITE (modern.ircdocs.horse). Rights come from the access lists, not from channel
 * modes: MODE reports the modes that always hold (+nt), the table's opening time (329) and the
 * bans (367, to hosts), and refuses changes (a standard reply); a host's KICK ejects from the table
 * (core_eject, table scope, no ban), after which the person may come back to another table, as on
 * the web. */
#include <stdio.h>
#include <string.h>

#include "proto/irc/irc_int.h"

struct bans {
    irc_client_t *c;
    const char *chan, *room;
    uint32_t table;
};

/* 367 <chan> <mask> <by> <set>: an account's ban as the extban "$a:NAME" (a space in the name
 * as "?"), a guest's as "NICK!*@*" (its folded nick; its address is banned too). The time given
 * is the ban's end. */
static void ban_line(void *ud, const core_ban_info_t *b)
{
    struct bans *bl = ud;
    if (strcmp(b->room, bl->room) != 0 || (b->table != 0 && b->table != bl->table))
        return;
    char mask[200];
    if (strncmp(b->who, "account:", 8) == 0)
        snprintf(mask, sizeof(mask), "$a:%s", b->who + 8);
    else
        snprintf(mask, sizeof(mask), "%s!*@*",
                 strncmp(b->who, "nick:", 5) == 0 ? b->who + 5 : b->who);
    for (char *p = mask; *p; p++)
        if (*p == ' ') /* an account name may hold spaces, a parameter may not */
            *p = '?';
    irc__numeric(bl->c, "367", "%s %s %s %lld", bl->chan, mask,
                 b->by && b->by[0] ? b->by : irc__server(bl->c), (long long)(b->until / 1000));
}

/* MODE #chan: 324 and 329 (the table's opening) when it is open. */
static void channel_modes(irc_client_t *c, room_t *r, uint32_t number, const char *name)
{
    irc__numeric(c, "324", "%s +nt", name);
    const table_t *t = room_table_find(r, number);
    if (t)
        irc__numeric(c, "329", "%s %lld", name, (long long)(table_opened(t) / 1000));
}

/* MODE #chan b: the bans that keep people from the table (the room's and its own), to its hosts;
 * others get the end of an empty list. */
static void ban_list(irc_client_t *c, room_t *r, uint32_t number, const char *name)
{
    if (core_right(c->s, r, number) >= CORE_RIGHT_HOST) {
        struct bans bl = {c, name, room_name(r), number};
        core_bans_foreach(c->group->core, ban_line, &bl);
    }
    irc__numeric(c, "368", "%s :End of channel ban list", name);
}

static int channel_mode(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0];
    char room[40];
    uint32_t number;
    room_t *r;
    if (!irc__chan_parse(name, room, sizeof(room), &number) ||
        (r = core_room_find_for(c->s, room)) == NULL || core_right(c->s, r, 0) == CORE_RIGHT_NONE) {
        irc__numeric(c, "403", "%s :No such channel", name);
        return 0;
    }
    if (m->nparams == 1) {
        channel_modes(c, r, number, name);
        return 0;
    }
    const char *modes = m->params[1];
    if ((strcmp(modes, "b") == 0 || strcmp(modes, "+b") == 0) && m->nparams == 2) {
        ban_list(c, r, number, name);
        return 0;
    }
    for (const char *p = modes; *p; p++) {
        if (*p == '+' || *p == '-' || *p == 'o' || *p == 'v' || *p == 'b' || *p == 'n' || *p == 't')
            continue;
        irc__numeric(c, "472", "%c :is unknown mode char to me", *p);
        return 0;
    }
    room_t *mine = NULL;
    table_t *t = irc__my_table(c, name, &mine);
    if (t == NULL || core_right(c->s, r, number) < CORE_RIGHT_HOST)
        irc__numeric(c, "482", "%s :You're not channel operator", name);
    else
        irc__fail(c, "MODE", "CANNOT_CHANGE_RIGHTS", name,
                  "Rights come from the room's access lists, not from channel modes");
    return 0;
}

int irc__cmd_mode(irc_client_t *c, const irc_msg_t *m)
{
    const char *target = m->params[0];
    if (target[0] == '#')
        return channel_mode(c, m);
    const char *nick = core_nick_held(c->group->core, target);
    if (nick == NULL) {
        irc__numeric(c, "401", "%s :No such nick/channel", target);
    } else if (strcmp(nick, core_session_nick(c->s)) != 0) {
        irc__numeric(c, "502", ":Can't change mode for other users");
    } else if (m->nparams == 1) {
        irc__numeric(c, "221", "+i");
    } else {
        for (const char *p = m->params[1]; *p; p++)
            if (*p != '+' && *p != '-' && *p != 'i') {
                irc__numeric(c, "501", ":Unknown MODE flag");
                return 0;
            }
        /* everyone is +i (invisible: only table-mates are listed); nothing changes */
    }
    return 0;
}

struct find {
    const char *nick;
    bool found;
};

static void find_member(void *ud, const char *nick, const char *colour)
{
    struct find *f = ud;
    f->found = f->found || strcmp(f->nick, nick) == 0;
}

int irc__cmd_kick(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0];
    room_t *r = NULL;
    table_t *t = irc__on_chan(c, "KICK", name, &r);
    if (t == NULL)
        return 0;
    const char *held = core_nick_held(c->group->core, m->params[1]);
    if (held == NULL) {
        irc__numeric(c, "401", "%s :No such nick/channel", m->params[1]);
        return 0;
    }
    struct find f = {held, false};
    table_members_foreach(t, find_member, &f);
    if (!f.found) {
        irc__numeric(c, "441", "%s %s :They aren't on that channel", m->params[1], name);
        return 0;
    }
    const char *reason = m->nparams > 2 && m->params[2][0] ? m->params[2] : NULL;
    int rc = core_eject(c->s, r, held, true, 0, reason, NULL);
    if (rc < 0)
        irc__core_error(c, "KICK", name, rc);
    return 0;
}

/* INVITE nick #chan: the web's invitation to a private 1-on-1 table (core_invite): both must sit
 * at that table. The invitee (on IRC) gets ":inviter INVITE nick #~invite-N"; joining that channel
 * accepts, and both are put on the private table's channel "#~private-M". */
/* 341 to the inviter; invite-notify to the channel's other members with the cap. */
static void invited(irc_client_t *c, room_t *r, const char *held, const char *name)
{
    irc__numeric(c, "341", "%s %s", held, name);
    const irc_chan_t *ch = irc__chan_find(c, room_name(r));
    if (ch)
        irc__chan_peers_sendf(c, ch, IRC_CAP_INVITE_NOTIFY, ":%s!%s INVITE %s %s",
                              core_session_nick(c->s), IRC_USERHOST, held, name);
}

int irc__cmd_invite(irc_client_t *c, const irc_msg_t *m)
{
    const char *nick = m->params[0], *name = m->params[1];
    room_t *r = NULL;
    if (irc__on_chan(c, "INVITE", name, &r) == NULL)
        return 0;
    const char *held = core_nick_held(c->group->core, nick);
    int rc = held ? core_invite(c->s, r, held, NULL) : CORE_ENOUSER;
    if (rc == CORE_ENOUSER && held)
        irc__numeric(c, "441", "%s %s :They aren't on that channel", held, name);
    else if (rc < 0)
        irc__core_error(c, "INVITE", held ? name : nick, rc);
    else
        invited(c, r, held, name);
    return 0;
}
