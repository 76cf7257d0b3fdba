/* Channels are tables (docs/PROTOCOL.md, "IRC gateway"): "#room" is table 1 of room, "#room/N"
 * table N. JOIN enters a room or hops between its tables, PART leaves it, NAMES lists a table
 * (hosts as operators, @), TOPIC reads or sets the table's topic. The core decides every right;
 * its errors become numerics in one table (irc__core_error). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/xmalloc.h"

/* ---- the client's channels ---- */

irc_chan_t *irc__chan_find(irc_client_t *c, const char *room)
{
    for (uint32_t i = 0; i < c->nchans; i++)
        if (strcmp(c->chans[i].room, room) == 0)
            return &c->chans[i];
    return NULL;
}

void irc__chan_set(irc_client_t *c, const char *room, uint32_t table)
{
    irc_chan_t *ch = irc__chan_find(c, room);
    if (ch == NULL) {
        c->chans = xrealloc(c->chans, (c->nchans + 1) * sizeof(*c->chans));
        ch = &c->chans[c->nchans++];
        ch->room = xstrdup(room);
    }
    ch->table = table;
}

void irc__chan_drop(irc_client_t *c, const char *room)
{
    irc_chan_t *ch = irc__chan_find(c, room);
    if (ch == NULL)
        return;
    free(ch->room);
    *ch = c->chans[--c->nchans];
    if (c->nchans == 0) {
        free(c->chans);
        c->chans = NULL;
    }
}

bool irc__chan_parse(const char *name, char *room, size_t roomlen, uint32_t *table)
{
    if (name[0] != '#')
        return false;
    const char *slash = strchr(name + 1, '/');
    size_t n = slash ? (size_t)(slash - name - 1) : strlen(name + 1);
    if (n == 0 || n >= roomlen)
        return false;
    memcpy(room, name + 1, n);
    room[n] = '\0';
    for (size_t i = 0; i < n; i++)
        room[i] = (char)tolower((unsigned char)room[i]); /* room names are lower case */
    /* a private room ("~private-N", private.c) is a channel too, for the two in it */
    bool priv = strncmp(room, "~private-", 9) == 0 && room[9] &&
                room[9 + strspn(room + 9, "0123456789")] == '\0';
    if (!priv && !core_valid_room_name(room))
        return false;
    *table = 1;
    if (slash) {
        const char *d = slash + 1;
        if (*d < '1' || *d > '9' || strlen(d) > 5 || d[strspn(d, "0123456789")] != '\0')
            return false;
        *table = (uint32_t)atoi(d);
        if (*table > CORE_MAX_TABLE)
            return false;
    }
    return true;
}

/* ---- errors ---- */

static const struct numeric_of {
    int err;
    const char *num;
    const char *text;
    bool target; /* the reply names the target */
} numerics[] = {
    {CORE_ENOROOM, "403", "No such channel", true},
    {CORE_ENOTABLE, "403", "No such channel", true},
    {CORE_ETABLEFULL, "471", "Cannot join channel (+l)", true},
    {CORE_ENOTINROOM, "442", "You're not on that channel", true},
    {CORE_EREADONLY, "404", "Cannot send to channel", true},
    {CORE_EFORBIDDEN, "482", "You're not channel operator", true},
    {CORE_ENOUSER, "401", "No such nick/channel", true},
    {CORE_ETEXTEMPTY, "412", "No text to send", false},
    {CORE_ENICKINVALID, "432", "Erroneous nickname", true},
    {CORE_ENICKRESERVED, "432", "Erroneous nickname", true},
    {CORE_ENICKTAKEN, "433", "Nickname is already in use", true},
};

void irc__core_error(irc_client_t *c, const char *cmd, const char *target, int err)
{
    for (size_t i = 0; i < sizeof(numerics) / sizeof(numerics[0]); i++) {
        const struct numeric_of *n = &numerics[i];
        if (n->err != err)
            continue;
        if (n->target)
            irc__numeric(c, n->num, "%s :%s", target, n->text);
        else
            irc__numeric(c, n->num, ":%s", n->text);
        return;
    }
    /* no numeric says it: an IRCv3 standard reply with the protocol's error code */
    char code[40];
    snprintf(code, sizeof(code), "%s", core_err_code(err));
    for (char *p = code; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    irc__fail(c, cmd, code, target, core_err_message(err));
}

/* ---- NAMES ---- */

struct names {
    irc_client_t *c;
    const char *chan;
    char line[400];
    size_t len;
    bool self_seen;
};

static void names_flush(struct names *nm)
{
    if (nm->len == 0)
        return;
    irc__numeric(nm->c, "353", "= %s :%s", nm->chan, nm->line);
    nm->len = 0;
}

static void names_add(struct names *nm, const char *prefix, const char *nick)
{
    size_t need = strlen(prefix) + strlen(nick) + 1;
    if (nm->len + need >= sizeof(nm->line))
        names_flush(nm);
    nm->len += (size_t)snprintf(nm->line + nm->len, sizeof(nm->line) - nm->len, "%s%s%s",
                                nm->len ? " " : "", prefix, nick);
}

static void names_member(void *ud, const char *nick, core_right_t right)
{
    struct names *nm = ud;
    if (strcmp(nick, core_session_nick(nm->c->s)) == 0)
        nm->self_seen = true;
    names_add(nm, right == CORE_RIGHT_HOST ? "@" : "", nick);
}

/* 353 lines for the table (a lurker sees itself too, others don't see lurkers), then 366. */
static void names_reply(irc_client_t *c, const room_t *r, const table_t *t, const char *chan)
{
    struct names nm = {.c = c, .chan = chan};
    if (t) {
        table_members_rights_foreach(t, names_member, &nm);
        if (!nm.self_seen)
            names_add(&nm, core_right(c->s, r, table_number(t)) == CORE_RIGHT_HOST ? "@" : "",
                      core_session_nick(c->s));
        names_flush(&nm);
    }
    irc__numeric(c, "366", "%s :End of /NAMES list", chan);
}

table_t *irc__my_table(irc_client_t *c, const char *name, room_t **r)
{
    char room[40];
    uint32_t table;
    if (!irc__chan_parse(name, room, sizeof(room), &table))
        return NULL;
    *r = core_room_find_for(c->s, room);
    table_t *t = *r ? core_session_table(c->s, *r) : NULL;
    return t && table_number(t) == table ? t : NULL;
}

table_t *irc__on_chan(irc_client_t *c, const char *cmd, const char *name, room_t **r)
{
    table_t *t = irc__my_table(c, name, r);
    if (t == NULL)
        irc__not_on(c, cmd, name);
    return t;
}

void irc__not_on(irc_client_t *c, const char *cmd, const char *name)
{
    char room[40];
    uint32_t number;
    bool exists =
        irc__chan_parse(name, room, sizeof(room), &number) && core_room_find_for(c->s, room);
    irc__core_error(c, cmd, name, exists ? CORE_ENOTINROOM : CORE_ENOROOM);
}

int irc__cmd_names(irc_client_t *c, const irc_msg_t *m)
{
    if (m->nparams == 0) {
        irc__numeric(c, "366", "* :End of /NAMES list");
        return 0;
    }
    char *list = xstrdup(m->params[0]), *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        room_t *r = NULL;
        table_t *t = irc__my_table(c, name, &r);
        names_reply(c, r, t, name);
    }
    free(list);
    return 0;
}

/* ---- JOIN, PART ---- */

/* 332 and 333 (who set it, when: the server for the admin API; no 333 for a topic older than
 * its keeping), or 331 when there is none (not on JOIN). */
static void topic_reply(irc_client_t *c, const table_t *t, const char *chan, bool on_join)
{
    const char *topic = table_topic(t);
    if (topic[0] == '\0') {
        if (!on_join)
            irc__numeric(c, "331", "%s :No topic is set", chan);
        return;
    }
    irc__numeric(c, "332", "%s :%s", chan, topic);
    int64_t at = table_topic_at(t);
    const char *by = table_topic_by(t);
    if (at > 0)
        irc__numeric(c, "333", "%s %s %lld", chan, by[0] ? by : irc__server(c),
                     (long long)(at / 1000));
}

static void self_line(irc_client_t *c, const char *cmd, const char *chan, const char *text)
{
    irc__sendf(c, ":%s!%s %s %s%s%s", core_session_nick(c->s), IRC_USERHOST, cmd, chan,
               text ? " :" : "", text ? text : "");
}

void irc__joined(irc_client_t *c, const room_t *r, const table_t *t)
{
    char chan[IRC_CHAN_MAX];
    irc__chan_name(chan, sizeof(chan), room_name(r), table_number(t));
    irc__chan_set(c, room_name(r), table_number(t));
    if (c->caps & IRC_CAP_EXTENDED_JOIN) {
        char target[IRC_CHAN_MAX + 80];
        irc__join_target(target, sizeof(target), chan, core_session_account(c->s));
        self_line(c, "JOIN", target, irc__realname(core_session_nick(c->s)));
    } else {
        self_line(c, "JOIN", chan, NULL);
    }
    topic_reply(c, t, chan, true);
    names_reply(c, r, t, chan);
    irc__replay(c, t, chan);
    const irc_chan_t *ch = irc__chan_find(c, room_name(r));
    if (c->away && ch) /* away-notify: after the JOIN the others saw, the away state */
        irc__chan_peers_sendf(c, ch, IRC_CAP_AWAY_NOTIFY, ":%s!%s AWAY :%s",
                              core_session_nick(c->s), IRC_USERHOST, c->away);
}

/* Entering at a given table: the core places an entrant itself, so s enters and then hops there
 * (the table is checked first, so that a refusal seldom shows others a passing visitor). */
static int enter_at(irc_client_t *c, room_t *r, uint32_t number, table_t **t)
{
    table_t *want = room_table_find(r, number);
    if (want == NULL || core_right(c->s, r, number) == CORE_RIGHT_NONE)
        return core_right(c->s, r, 0) == CORE_RIGHT_NONE ? CORE_ENOROOM : CORE_ENOTABLE;
    if (table_users(want) >= (unsigned)room_capacity(r))
        return CORE_ETABLEFULL;
    int rc = core_enter(c->s, r, false, t);
    if (rc < 0 || table_number(*t) == number)
        return rc;
    rc = core_hop(c->s, r, number, t);
    if (rc < 0)
        core_leave(c->s, r);
    return rc;
}

/* JOIN #~invite-N accepts invitation N (op.c sent it as an INVITE to that channel). */
static bool join_invite(irc_client_t *c, const char *name)
{
    if (strncmp(name, IRC_INVITE_CHAN, strlen(IRC_INVITE_CHAN)) != 0)
        return false;
    const char *d = name + strlen(IRC_INVITE_CHAN);
    table_t *t;
    int rc = CORE_ENOINVITE;
    if (*d && d[strspn(d, "0123456789")] == '\0' && strlen(d) < 20)
        rc = core_invite_accept(c->s, strtoull(d, NULL, 10), &t);
    if (rc < 0)
        irc__numeric(c, "403", "%s :No such channel (the invitation is gone)", name);
    else
        irc__joined(c, table_room(t), t);
    return true;
}

/* Why a JOIN of table number of r (NULL: no such public room) failed with rc: 474 for a ban,
 * 473 for a private room ("#~private-N": by invitation only) or a table open to others only
 * (its access list), else the core's error (403, 471, ...). A room whose list leaves the
 * client out is not there for it (403), as on the web. */
static void join_refused(irc_client_t *c, const char *name, const char *room, room_t *r,
                         uint32_t number, int rc)
{
    bool priv = strncmp(room, "~private-", 9) == 0;
    if (r && (core_banned(c->s, r, 0) || core_banned(c->s, r, number)))
        irc__numeric(c, "474", "%s :Cannot join channel (+b)", name);
    else if (priv || (r && rc == CORE_ENOTABLE && core_right(c->s, r, 0) != CORE_RIGHT_NONE &&
                      room_table_find(r, number) && core_right(c->s, r, number) == CORE_RIGHT_NONE))
        irc__numeric(c, "473", "%s :Cannot join channel (+i)", name);
    else
        irc__core_error(c, "JOIN", name, rc);
}

static void join_one(irc_client_t *c, const char *name)
{
    char room[40];
    uint32_t number;
    if (join_invite(c, name))
        return;
    bool explicit_table = strchr(name, '/') != NULL;
    if (!irc__chan_parse(name, room, sizeof(room), &number)) {
        irc__numeric(c, "476", "%s :Bad Channel Mask", name);
        return;
    }
    room_t *r = core_room_find(c->group->core, room);
    if (r == NULL) {
        if (core_room_find_for(c->s, room) == NULL) /* not a private room c sits in already */
            join_refused(c, name, room, NULL, number, CORE_ENOROOM);
        return;
    }
    table_t *at = core_session_table(c->s, r), *t = NULL;
    int rc;
    if (at && table_number(at) == number)
        return; /* on it already */
    if (at) {
        char old[IRC_CHAN_MAX];
        irc__chan_name(old, sizeof(old), room, table_number(at));
        if ((rc = core_hop(c->s, r, number, &t)) < 0) {
            join_refused(c, name, room, r, number, rc);
            return;
        }
        self_line(c, "PART", old, "hopping");
    } else if (explicit_table) {
        rc = enter_at(c, r, number, &t);
    } else {
        rc = core_enter(c->s, r, false, &t);
    }
    if (rc < 0) {
        join_refused(c, name, room, r, number, rc);
        return;
    }
    irc__joined(c, r, t);
}

/* JOIN 0: part every channel. */
static void part_all(irc_client_t *c)
{
    while (c->nchans > 0) {
        irc_chan_t *ch = &c->chans[c->nchans - 1];
        char chan[IRC_CHAN_MAX];
        irc__chan_name(chan, sizeof(chan), ch->room, ch->table);
        room_t *r = core_room_find_for(c->s, ch->room);
        if (r)
            core_leave(c->s, r);
        self_line(c, "PART", chan, "Left all channels");
        irc__chan_drop(c, ch->room);
    }
}

int irc__cmd_join(irc_client_t *c, const irc_msg_t *m)
{
    if (strcmp(m->params[0], "0") == 0) {
        part_all(c);
        return 0;
    }
    char *list = xstrdup(m->params[0]), *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save))
        join_one(c, name);
    free(list);
    return 0;
}

int irc__cmd_part(irc_client_t *c, const irc_msg_t *m)
{
    const char *reason = m->nparams > 1 ? m->params[1] : NULL;
    char *list = xstrdup(m->params[0]), *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        room_t *r = NULL;
        if (irc__on_chan(c, "PART", name, &r) == NULL)
            continue;
        char room[40];
        snprintf(room, sizeof(room), "%s", room_name(r)); /* leaving may free a private room */
        core_leave(c->s, r);
        self_line(c, "PART", name, reason);
        irc__chan_drop(c, room);
    }
    free(list);
    return 0;
}

int irc__cmd_topic(irc_client_t *c, const irc_msg_t *m)
{
    const char *name = m->params[0];
    room_t *r = NULL;
    table_t *t = irc__on_chan(c, "TOPIC", name, &r);
    if (t == NULL)
        return 0;
    if (m->nparams < 2) {
        topic_reply(c, t, name, false);
        return 0;
    }
    int rc = core_edit_table(c->s, r, table_number(t), m->params[1]);
    if (rc < 0)
        irc__core_error(c, "TOPIC", name, rc);
    return 0; /* the change comes back as EV_TABLE_UPDATED (event.c) */
}
