/* Core events -> IRC lines (session_ops_t.deliver). A table event becomes the same line for
 * everyone at the table, so it is encoded once per variant (plain, server-time, all tags) into
 * core_event_t.enc[CORE_SLOT_IRC + variant] and every IRC recipient queues a reference; the
 * WebSocket transport's frames of those lines are cached likewise in its own slots. Events
 * that differ per recipient (a hop: PART for one table, JOIN for the other; those about the
 * client itself) are built for the one client.
 *
 * Everyone appears as nick!parley@parley (IRC_USERHOST): core events do not say which transport
 * a person uses. Events with no IRC meaning (lurker counts, colours, the stage, hosted events)
 * are not sent. */
#include <stdio.h>
#include <string.h>

#include "proto/irc/irc_int.h"

static void source_of(char *out, size_t len, const char *nick)
{
    snprintf(out, len, "%s!%s", nick, IRC_USERHOST);
}

/* Queues ev's shared encoding for c's variant, building it on first use. */
static void send_shared(irc_client_t *c, core_event_t *ev, const char *source, const char *cmd,
                        const char *target, const char *text, size_t len)
{
    int v = irc__variant(c);
    rbuf_t **slot = &ev->enc[CORE_SLOT_IRC + v];
    if (*slot == NULL)
        *slot =
            irc__encode_acct(v, ev->msg_id, ev->ts, ev->account, source, cmd, target, text, len);
    if (*slot == NULL || c->error_sent)
        return;
    int wire = c->tr->slot(c);
    if (wire == CORE_SLOT_IRC || c->capture) { /* a labelled response captures lines */
        irc__send(c, *slot);
        return;
    }
    rbuf_t **wslot = &ev->enc[wire + v]; /* the same lines in the transport's form, once too */
    if (*wslot == NULL)
        *wslot = c->tr->wire(c, *slot);
    c->tr->send(c, *wslot);
}

/* send_shared with the event's text as IRC shows it (colour.c), converted once per variant. */
static void send_text(irc_client_t *c, core_event_t *ev, const char *source, const char *cmd,
                      const char *target)
{
    size_t len = 0;
    const char *text = NULL;
    if (ev->enc[CORE_SLOT_IRC + irc__variant(c)] == NULL)
        text = irc__text_out(ev, &len);
    send_shared(c, ev, source, cmd, target, text, len);
}

/* A line for c alone. */
static void send_own(irc_client_t *c, const core_event_t *ev, const char *source, const char *cmd,
                     const char *target, const char *text)
{
    rbuf_t *b = irc__encode_acct(irc__variant(c), ev->msg_id, ev->ts, ev->account, source, cmd,
                                 target, text, text ? strlen(text) : 0);
    if (b) {
        irc__send(c, b);
        rbuf_unref(b);
    }
}

static bool is_me(const irc_client_t *c, const char *nick)
{
    return nick && strcmp(nick, core_session_nick(c->s)) == 0;
}

/* Whether c said ev (a say or private message): by session when the core knows it. */
static bool said_by_me(const irc_client_t *c, const core_event_t *ev)
{
    return ev->origin ? ev->origin == c->s : is_me(c, ev->nick);
}

/* The table of ev's room c sits at now (0: none). */
static uint32_t my_table(irc_client_t *c, const char *room)
{
    irc_chan_t *ch = irc__chan_find(c, room);
    return ch ? ch->table : 0;
}

/* The client was taken out of room (eject, lost rights): its channel there is gone. */
static void lost_channel(irc_client_t *c, const core_event_t *ev, const char *by, const char *cmd,
                         const char *reason)
{
    uint32_t table = my_table(c, ev->room);
    if (table == 0)
        return;
    char chan[IRC_CHAN_MAX], src[128], me[128];
    irc__chan_name(chan, sizeof(chan), ev->room, table);
    source_of(me, sizeof(me), core_session_nick(c->s));
    if (strcmp(cmd, "KICK") == 0) {
        char target[IRC_CHAN_MAX + 64];
        snprintf(target, sizeof(target), "%s %s", chan, core_session_nick(c->s));
        if (by)
            source_of(src, sizeof(src), by);
        send_own(c, ev, by ? src : irc__server(c), "KICK", target, reason);
    } else {
        send_own(c, ev, me, "PART", chan, reason);
    }
    irc__chan_drop(c, ev->room);
}

/* A member became a host at its table or stopped being one (its own change included):
 * ":server MODE #chan +o|-o nick", the same line for everyone at the table. Other changes of
 * right (participant, moderated) have no channel mode; a read-only user lurks, and so has left
 * the channel for the others (PART "access"). */
static void member_rights(irc_client_t *c, core_event_t *ev, const char *chan)
{
    char target[IRC_CHAN_MAX + 64];
    snprintf(target, sizeof(target), "%s %s %s", chan, ev->right == CORE_RIGHT_HOST ? "+o" : "-o",
             ev->nick);
    send_shared(c, ev, irc__server(c), "MODE", target, NULL, 0);
}

/* A KICK of someone else, with the host who ejected them as its source and the reason given. */
static void kicked(irc_client_t *c, core_event_t *ev, const char *chan)
{
    char target[IRC_CHAN_MAX + 64], src[128];
    snprintf(target, sizeof(target), "%s %s", chan, ev->nick);
    if (ev->to_nick)
        source_of(src, sizeof(src), ev->to_nick);
    const char *reason = ev->text && ev->text_len ? ev->text : "ejected";
    send_shared(c, ev, ev->to_nick ? src : irc__server(c), "KICK", target, reason, strlen(reason));
}

/* Someone joined chan: extended-join clients get "JOIN chan account :realname", built for them. */
static void joined(irc_client_t *c, core_event_t *ev, const char *src, const char *chan)
{
    if (!(c->caps & IRC_CAP_EXTENDED_JOIN)) {
        send_shared(c, ev, src, "JOIN", chan, NULL, 0);
        return;
    }
    char target[IRC_CHAN_MAX + 80];
    irc__join_target(target, sizeof(target), chan, ev->account);
    send_own(c, ev, src, "JOIN", target, irc__realname(ev->nick));
}

/* A hop is published to both tables with one event: the old table's people see a PART, the new
 * one's a JOIN. */
static void hopped(irc_client_t *c, core_event_t *ev, const char *src)
{
    uint32_t mine = my_table(c, ev->room);
    char chan[IRC_CHAN_MAX];
    if (mine == ev->table) {
        irc__chan_name(chan, sizeof(chan), ev->room, ev->table);
        send_own(c, ev, src, "PART", chan, "hopped");
    } else if (mine == ev->to_table) {
        irc__chan_name(chan, sizeof(chan), ev->room, ev->to_table);
        joined(c, ev, src, chan);
    }
}

/* A hosted event ended: everyone was taken out of its three rooms (stage NAME, NAME-audience,
 * NAME-backstage) without further events. */
static void event_ended(irc_client_t *c, const core_event_t *ev)
{
    static const char *const suffix[] = {"", "-audience", "-backstage"};
    for (size_t i = 0; i < 3; i++) {
        char room[64];
        snprintf(room, sizeof(room), "%s%s", ev->room, suffix[i]);
        core_event_t one = *ev;
        one.room = room;
        lost_channel(c, &one, NULL, "PART", "the event has ended");
    }
}

/* The sender gets its own say or private message back only with echo-message (played messages
 * always). */
static bool not_echoed(const irc_client_t *c, const core_event_t *ev)
{
    if (ev->type == EV_MESSAGE ? ev->recording != 0 : ev->type != EV_PRIVATE)
        return false;
    return !(c->caps & IRC_CAP_ECHO_MESSAGE) && said_by_me(c, ev);
}

/* The hot path: a say or broadcast whose line an earlier recipient of the same variant already
 * built is queued as it is, without formatting a channel name or source for nothing. */
static bool send_built(irc_client_t *c, core_event_t *ev)
{
    if ((ev->type != EV_MESSAGE && ev->type != EV_BROADCAST) ||
        ev->enc[CORE_SLOT_IRC + irc__variant(c)] == NULL)
        return false;
    send_shared(c, ev, NULL, NULL, NULL, NULL, 0);
    return true;
}

void irc__deliver(void *ctx, core_event_t *ev)
{
    irc_client_t *c = ctx;
    if (!c->registered || not_echoed(c, ev) || send_built(c, ev))
        return;
    char chan[IRC_CHAN_MAX], src[128] = "";
    irc__chan_name(chan, sizeof(chan), ev->room ? ev->room : "", ev->table);
    if (ev->nick)
        source_of(src, sizeof(src), ev->nick);
    const char *text;
    switch (ev->type) {
    case EV_MESSAGE: send_text(c, ev, src, "PRIVMSG", chan); break;
    case EV_PRIVATE: send_text(c, ev, src, "PRIVMSG", ev->to_nick); break;
    case EV_MEMBER_ENTERED: joined(c, ev, src, chan); break;
    case EV_MEMBER_LEFT:
        text = ev->reason ? ev->reason : "left";
        if (strcmp(text, "ejected") == 0)
            kicked(c, ev, chan);
        else
            send_shared(c, ev, src, "PART", chan, text, strlen(text));
        break;
    case EV_MEMBER_HOPPED: hopped(c, ev, src); break;
    case EV_BROADCAST: send_text(c, ev, src, "NOTICE", chan); break;
    case EV_TABLE_UPDATED:
        send_shared(c, ev, ev->nick ? src : irc__server(c), "TOPIC", chan, ev->text ? ev->text : "",
                    ev->text ? strlen(ev->text) : 0);
        break;
    case EV_EJECTED:
        lost_channel(c, ev, ev->nick, "KICK", ev->reason && ev->reason[0] ? ev->reason : "ejected");
        break;
    case EV_RIGHTS: /* one's own change of host comes as EV_MEMBER_RIGHTS, as for the others */
        if (ev->right == CORE_RIGHT_NONE)
            lost_channel(c, ev, NULL, "PART", "access");
        break;
    case EV_MEMBER_RIGHTS: member_rights(c, ev, chan); break;
    case EV_INVITED: {
        char target[160];
        snprintf(target, sizeof(target), "%s %s%llu", core_session_nick(c->s), IRC_INVITE_CHAN,
                 (unsigned long long)ev->invite);
        send_own(c, ev, src, "INVITE", target, NULL);
        break;
    }
    case EV_NICK: /* one line per rename, whatever the number of shared tables */
        if (ev->count == c->last_rename)
            return;
        c->last_rename = ev->count;
        send_shared(c, ev, src, "NICK", ev->to_nick, NULL, 0);
        break;
    case EV_INVITE_ACCEPTED: irc__joined(c, table_room(ev->at), ev->at); break;
    case EV_INVITE_DECLINED:
        irc__notice(c, "%s declined your invitation to a private table", ev->nick);
        break;
    case EV_RECORDING:
    case EV_PLAYBACK: {
        char what[160];
        snprintf(what, sizeof(what), "*** %s %s%s%s",
                 ev->type == EV_RECORDING ? "Recording" : "Playback", ev->reason,
                 ev->nick ? " by " : "", ev->nick ? ev->nick : "");
        send_shared(c, ev, irc__server(c), "NOTICE", chan, what, strlen(what));
        break;
    }
    case EV_EVENT_STATE:
        if (ev->text && strcmp(ev->text, "ended") == 0)
            event_ended(c, ev);
        break;
    default: break;
    }
}
