/* The IRC side of a user (--protocol irc: RFC 1459/2812 over plain TCP, or over WebSocket with a
 * ws:// target, one line per message): register (CAP LS 302, NICK, USER; CAP REQ
 * :draft/chathistory if offered, so that no history is replayed on JOIN; CAP END once the
 * capability list is in), JOIN #<room> once 001 arrives, set up when the names list ends (366),
 * then PRIVMSG to the channel, PONG to every PING, QUIT to leave.
 *
 * Delivery accounting. IRC servers do not send a sender its own PRIVMSG (we never ask for
 * echo-message, so that all servers do the same work), so the ws trick of user.c needs a stand-in:
 * every say goes out as "PRIVMSG #room :<text>" and "PING :s<seq>" in one write. The server handles
 * one client's lines in order and writes to one connection in order, so its PONG reaches the sender
 * after every JOIN, PART, QUIT and KICK that it sent before it handled the PRIVMSG. When the PONG
 * arrives, the sender's view of the channel (names from 353 at setup, then those events in arrival
 * order) is therefore the channel the message went to, give or take a member event that the server
 * handled between the two lines of the same write; the sender adds members - 1 (itself) to
 * `expected`, and the PONG is the say's answer (the "ack" latency). Error numerics that refuse the
 * PRIVMSG (404 and the like) count as error codes; the PONG still follows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "user.h"

#define IRC_MAX_PARAMS 15

/* One received line cut into borrowed slices (tags are skipped). */
typedef struct irc_line {
    const char *nick; /* the prefix up to '!' or '@' (a server name for server messages) */
    size_t nick_len;
    const char *cmd;
    size_t cmd_len;
    const char *arg[IRC_MAX_PARAMS];
    size_t arg_len[IRC_MAX_PARAMS];
    int nargs;
} irc_line_t;

static void irc_parse(const char *p, size_t n, irc_line_t *l)
{
    const char *end = p + n;
    l->nick = NULL; /* arg[] is set up to nargs only: no memset of the whole struct per line */
    l->nick_len = 0;
    l->nargs = 0;
    if (p < end && *p == '@') { /* message tags */
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        p = sp ? sp + 1 : end;
    }
    while (p < end && *p == ' ')
        p++;
    if (p < end && *p == ':') {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *pe = sp ? sp : end;
        l->nick = ++p;
        while (p < pe && *p != '!' && *p != '@')
            p++;
        l->nick_len = (size_t)(p - l->nick);
        p = pe;
    }
    while (p < end && *p == ' ')
        p++;
    l->cmd = p;
    while (p < end && *p != ' ')
        p++;
    l->cmd_len = (size_t)(p - l->cmd);
    while (p < end && l->nargs < IRC_MAX_PARAMS) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        if (*p == ':' || l->nargs == IRC_MAX_PARAMS - 1) {
            p += *p == ':';
            l->arg[l->nargs] = p;
            l->arg_len[l->nargs++] = (size_t)(end - p);
            break;
        }
        l->arg[l->nargs] = p;
        while (p < end && *p != ' ')
            p++;
        l->arg_len[l->nargs] = (size_t)(p - l->arg[l->nargs]);
        l->nargs++;
    }
}

/* Case-insensitive, as IRC wants; servers send commands in upper case, so memcmp settles most. */
static bool same_name(const char *s, size_t n, const char *lit, size_t lit_len)
{
    return lit_len == n && (memcmp(s, lit, n) == 0 || strncasecmp(s, lit, n) == 0);
}

static bool is(const char *s, size_t n, const char *lit)
{
    return same_name(s, n, lit, strlen(lit));
}

static bool is_me(const user_t *u, const irc_line_t *l)
{
    char nick[48];
    user_nick(u, nick, sizeof(nick));
    return is(l->nick, l->nick_len, nick);
}

/* Whether argument i names this user's channel, #<room>. */
static bool my_channel(const user_t *u, const irc_line_t *l, int i)
{
    return i < l->nargs && l->arg_len[i] > 1 && l->arg[i][0] == '#' &&
           same_name(l->arg[i] + 1, l->arg_len[i] - 1, u->room, strlen(u->room));
}

/* Sends n bytes of CR LF terminated lines: as they are over TCP (one write); over WebSocket
 * (IRC over WebSocket, ircv3.net) each line is its own message without its CR LF. */
static int send_lines(user_t *u, const char *p, size_t n)
{
    if (u->target->irc)
        return wsc_send_text(u->c, p, n);
    const char *end = p + n;
    while (p < end) {
        const char *crlf = memchr(p, '\n', (size_t)(end - p));
        size_t len = crlf ? (size_t)(crlf - p) : (size_t)(end - p);
        int rc = wsc_send_text(u->c, p, len && p[len - 1] == '\r' ? len - 1 : len);
        if (rc < 0)
            return rc;
        p += len + (crlf != NULL);
    }
    return 0;
}

static int send_line(user_t *u, const char *fmt, const char *a, const char *b)
{
    char line[512];
    int n = snprintf(line, sizeof(line), fmt, a, b);
    if (n < 0 || n >= (int)sizeof(line))
        abort();
    return send_lines(u, line, (size_t)n);
}

static void irc_open(user_t *u)
{
    char nick[48];
    user_nick(u, nick, sizeof(nick));
    send_line(u, "CAP LS 302\r\nNICK %s\r\nUSER %s 0 * :parley-bench\r\n", nick, nick);
}

static int irc_say(user_t *u, uint64_t seq, uint64_t now)
{
    char line[BENCH_IRC_TEXT_MAX + 128];
    int n = snprintf(line, sizeof(line), "PRIVMSG #%s :", u->room);
    n += user_say_text(u, line + n, sizeof(line) - 40 - (size_t)n, seq, now);
    n += snprintf(line + n, sizeof(line) - (size_t)n, "\r\nPING :s%llu\r\n",
                  (unsigned long long)seq);
    return send_lines(u, line, (size_t)n);
}

static void irc_leave(user_t *u)
{
    send_line(u, "QUIT :%s%s\r\n", "parley-bench", "");
    if (u->c) /* NULL if the write failed and ended the connection */
        wsc_close(u->c);
}

/* Counts the nicknames of one 353 reply ("<me> <type> #chan :nick nick ..."). */
static void count_names(user_t *u, const irc_line_t *l)
{
    if (l->nargs < 4 || !my_channel(u, l, 2))
        return;
    const char *p = l->arg[3], *end = p + l->arg_len[3];
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        u->lurkers++;
        while (p < end && *p != ' ')
            p++;
    }
}

/* A numeric reply. Errors before 001 refuse the registration, errors about the channel before
 * 366 refuse the JOIN; others are counted by number. */
static void numeric(user_t *u, const irc_line_t *l, int num)
{
    stats_t *st = &u->w->st;
    switch (num) {
    case 1: /* RPL_WELCOME */
        if (!u->registered) {
            u->registered = true;
            send_line(u, "JOIN #%s\r\n%s", u->room, "");
        }
        return;
    case 353: count_names(u, l); return;
    case 366: /* RPL_ENDOFNAMES */
        if (!u->entered && my_channel(u, l, 1)) {
            u->members = u->lurkers;
            u->lurkers = 0;
            user_entered(u);
        }
        return;
    case 422: return; /* ERR_NOMOTD: a normal end of the welcome for a server without a MOTD */
    case 421:         /* ERR_UNKNOWNCOMMAND: a server without CAP registers on NICK + USER alone */
        if (l->nargs >= 2 && is(l->arg[1], l->arg_len[1], "CAP"))
            return;
        break;
    default: break;
    }
    if (num < 400 || num > 599)
        return;
    st->codes[STATS_NCODES]++;
    if (!u->registered)
        wsc_abort(u->c, EK_HELLO);
    else if (!u->entered && (my_channel(u, l, 1) || num == 405 || num == 451))
        wsc_abort(u->c, EK_ENTER);
}

/* Whether capability name is in the CAP LS list (n bytes at list; "name" or "name=value"). */
static bool cap_listed(const char *list, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && list[end] != ' ')
            end++;
        size_t len = end - i;
        if (len >= nl && memcmp(list + i, name, nl) == 0 && (len == nl || list[i + nl] == '='))
            return true;
        i = end + 1;
    }
    return false;
}

static void irc_input(user_t *u, const char *m, size_t n)
{
    irc_line_t l;
    irc_parse(m, n, &l);
    const char *c = l.cmd;
    size_t cl = l.cmd_len;
    if (is(c, cl, "PRIVMSG")) {
        if (my_channel(u, &l, 0) && l.nargs >= 2)
            user_delivered(u, l.arg[1], l.arg_len[1]);
    } else if (is(c, cl, "PONG")) {
        const char *tok = l.nargs ? l.arg[l.nargs - 1] : "";
        size_t tl = l.nargs ? l.arg_len[l.nargs - 1] : 0;
        bool ok = tl > 1 && tok[0] == 's';
        uint64_t seq = user_num_after(tok, tok + tl, "s", &ok);
        if (ok && u->entered) {
            u->w->st.expected += (uint64_t)(u->members > 0 ? u->members - 1 : 0);
            user_answered(u, seq, true);
        }
    } else if (is(c, cl, "PING")) {
        char tok[256];
        snprintf(tok, sizeof(tok), "%.*s", l.nargs ? (int)l.arg_len[l.nargs - 1] : 0,
                 l.nargs ? l.arg[l.nargs - 1] : "");
        send_line(u, "PONG :%s\r\n%s", tok, "");
    } else if (cl == 3 && c[0] >= '0' && c[0] <= '9') {
        numeric(u, &l, atoi(c));
    } else if (is(c, cl, "JOIN")) {
        if (u->entered && my_channel(u, &l, 0) && !is_me(u, &l))
            u->members++;
    } else if (is(c, cl, "PART")) {
        if (u->entered && my_channel(u, &l, 0) && !is_me(u, &l))
            u->members--;
    } else if (is(c, cl, "QUIT")) {
        if (u->entered && !is_me(u, &l))
            u->members--; /* every user is in one channel: a QUIT we see is from ours */
    } else if (is(c, cl, "KICK")) {
        char nick[48];
        user_nick(u, nick, sizeof(nick));
        if (u->entered && my_channel(u, &l, 0) && l.nargs >= 2 && !is(l.arg[1], l.arg_len[1], nick))
            u->members--;
    } else if (is(c, cl, "CAP")) {
        /* "CAP * LS * :..." continues; the last LS line has no "*" before the list */
        if (!u->registered && l.nargs >= 3 && is(l.arg[1], l.arg_len[1], "LS") &&
            !(l.nargs >= 4 && is(l.arg[2], l.arg_len[2], "*"))) {
            /* a server that replays history on JOIN (Parley) does not with draft/chathistory:
             * ask for it where offered, so that only live messages are counted */
            bool history =
                cap_listed(l.arg[l.nargs - 1], l.arg_len[l.nargs - 1], "draft/chathistory");
            send_line(u, "%sCAP END\r\n%s", history ? "CAP REQ :draft/chathistory\r\n" : "", "");
        }
    }
}

const user_proto_t proto_irc = {irc_open, irc_input, irc_say, NULL, irc_leave};
