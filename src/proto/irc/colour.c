/* Colours between the web and IRC (util/irccolour.h says how): the text of a message from a web
 * user gets the sender's colour as a mIRC colour code on each of its lines; IRC formatting in a
 * message from an IRC user is removed, and a foreground colour it starts with becomes the
 * sender's colour (the web shows a message in its sender's colour; it has no inline formatting).
 *
 * A sender is an IRC user if an IRC client of this process holds the nick (events do not say
 * which transport a person uses): its messages pass to IRC unchanged, as it formatted them for
 * nobody (they were stripped on the way in). */
#include <string.h>

#include "proto/irc/irc_int.h"
#include "util/irccolour.h"

/* One loop thread: the converted text lives until the next conversion. */
static buf_t converted = {.max = 16 * 1024 * 1024};

const char *irc__text_out(const core_event_t *ev, size_t *len)
{
    *len = ev->text_len;
    if (ev->text == NULL || ev->colour == NULL || irc__client_by_nick(ev->nick))
        return ev->text;
    converted.len = 0;
    size_t i = 0;
    while (i < ev->text_len) {
        char line[400]; /* a piece that fits one IRC line with its head, so each has the code */
        size_t used = 0;
        size_t n =
            irccolour_to_irc(ev->colour, ev->text + i, ev->text_len - i, line, sizeof(line), &used);
        buf_append(&converted, line, n);
        buf_append(&converted, "\n", 1);
        i += used ? used : ev->text_len - i;
    }
    *len = converted.len;
    return converted.base ? converted.base : "";
}

const char *irc__text_in(irc_client_t *c, const char *text, size_t *len)
{
    if (strpbrk(text, "\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f") == NULL) {
        *len = strlen(text);
        return text;
    }
    static char out[IRC_MAX_LINE + 1];
    char fg[IRCCOLOUR_HEX_LEN];
    *len = irccolour_strip(text, strlen(text), out, sizeof(out), fg);
    if (fg[0] && *len > 0 && core_valid_colour(fg) && c->registered &&
        strcmp(fg, core_session_colour(c->s)) != 0)
        core_set_colour(c->s, fg);
    return out;
}
