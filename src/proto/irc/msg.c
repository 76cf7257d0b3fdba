/* PRIVMSG and NOTICE (modern.ircdocs.horse): to a channel a say at that table (core_say), to a nick
 * a private message (core_pm) in a room the two share a table of. NOTICE maps the same way but is
 * never answered with an error (RFC 2812: no automatic replies to a NOTICE); the core has one kind
 * of message, so everyone, IRC users too, receives a NOTICE as an ordinary message (PRIVMSG).
 * Client-only tags are not relayed (the web has no place for them), so TAGMSG is accepted and
 * dropped. */
#include <stdio.h>
#include <string.h>

#include "proto/irc/irc_int.h"

/* The web's warning for a text the moderated word list refused (docs/PROTOCOL.md). */
static void moderated(irc_client_t *c, const char *text)
{
    irc__notice(c, "Possible objectionable message NOT sent: \"%s\"", text);
}

/* Sends text to target for PRIVMSG or NOTICE (quiet: no error replies). */
static void send_to(irc_client_t *c, const char *cmd, const irc_msg_t *m, bool quiet)
{
    if (m->nparams < 1 || m->params[0][0] == '\0') {
        if (!quiet)
            irc__numeric(c, "411", ":No recipient given (%s)", cmd);
        return;
    }
    const char *target = m->params[0];
    size_t len;
    const char *text = irc__text_in(c, m->nparams > 1 ? m->params[1] : "", &len);
    if (text[0] == '\0') {
        if (!quiet)
            irc__numeric(c, "412", ":No text to send");
        return;
    }
    if (strchr(target, ',')) {
        if (!quiet)
            irc__numeric(c, "407", "%s :Too many recipients (one a message)", target);
        return;
    }
    room_t *r = NULL;
    int rc;
    if (target[0] == '#') {
        char room[40];
        uint32_t number;
        if (!irc__chan_parse(target, room, sizeof(room), &number) ||
            (r = core_room_find_for(c->s, room)) == NULL) {
            rc = CORE_ENOUSER; /* 401 "No such nick/channel", as for an unknown nick */
        } else {
            table_t *t = core_session_table(c->s, r);
            /* not on that table: 404, as for a channel one is not on (+n) */
            rc = t && table_number(t) == number ? core_say(c->s, r, text, len, NULL, NULL)
                                                : CORE_EREADONLY;
        }
    } else {
        rc = core_pm_room(c->s, target, &r);
        if (rc == CORE_ENOTINROOM) {
            if (!quiet)
                irc__numeric(c, "401", "%s :No such nick at a table you sit at", target);
            return;
        }
        if (rc == 0)
            rc = core_pm(c->s, r, target, text, len, NULL, NULL);
        if (rc == 0 && !quiet)
            irc__tell_away(c, core_nick_held(c->group->core, target));
    }
    if (rc == 0) {
        irc__stats()->messages++;
        return;
    }
    if (quiet)
        return;
    if (rc == CORE_EMODERATED)
        moderated(c, text);
    else
        irc__core_error(c, cmd, target, rc);
}

int irc__cmd_privmsg(irc_client_t *c, const irc_msg_t *m)
{
    send_to(c, "PRIVMSG", m, false);
    return 0;
}

int irc__cmd_notice(irc_client_t *c, const irc_msg_t *m)
{
    send_to(c, "NOTICE", m, true);
    return 0;
}

int irc__cmd_tagmsg(irc_client_t *c, const irc_msg_t *m)
{
    return 0;
}

/* A message was delivered at once; storing it failed later. Without labeled-response the client
 * cannot be told which, so the id is named. */
void irc__say_done(void *ctx, uint64_t msg_id, int status)
{
    irc_client_t *c = ctx;
    if (status == 0)
        return;
    char text[120];
    snprintf(text, sizeof(text), "Message %llu was delivered but could not be stored",
             (unsigned long long)msg_id);
    irc__fail(c, "PRIVMSG", "STORE_FAILED", NULL, text);
}
