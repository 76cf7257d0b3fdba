/* MONITOR (ircv3.net "monitor": + - C L S, 730-734, ISUPPORT MONITOR=IRC_MONITOR_MAX) over the
 * core's online nicks, web and IRC alike, and WHOWAS (314/312/369/406) over a bounded history of
 * nicks that went offline (IRC_WHOWAS_MAX, oldest dropped first). Both are fed by the core's
 * presence hook (core_set_presence_hook), set on each chat group's core the first time an IRC
 * client of that group starts. The history lives from the first such client to irc_deinit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/irc/irc_int.h"
#include "util/xmalloc.h"

#define IRC_WHOWAS_MAX 128

struct irc_monitor {
    char *nick; /* as given (owned) */
    char *fold; /* core_nick_fold (owned) */
};

struct gone {
    core_t *core;
    char *nick;
    int64_t when; /* seconds since the epoch */
};
static struct gone gone[IRC_WHOWAS_MAX];
static unsigned gone_next; /* the slot written next */

static void whowas_record(core_t *core, const char *nick)
{
    struct gone *g = &gone[gone_next];
    free(g->nick);
    g->core = core;
    g->nick = xstrdup(nick);
    g->when = (int64_t)time(NULL);
    gone_next = (gone_next + 1) % IRC_WHOWAS_MAX;
}

void irc__monitor_deinit(void)
{
    for (unsigned i = 0; i < IRC_WHOWAS_MAX; i++) {
        free(gone[i].nick);
        gone[i].nick = NULL;
    }
}

static struct irc_monitor *monitor_find(irc_client_t *c, const char *fold)
{
    for (uint32_t i = 0; i < c->nmonitor; i++)
        if (strcmp(c->monitor[i].fold, fold) == 0)
            return &c->monitor[i];
    return NULL;
}

struct change {
    core_t *core;
    const char *nick, *fold;
    bool online;
};

static void tell_watcher(irc_client_t *o, void *ud)
{
    struct change *ch = ud;
    if (o->group == NULL || o->group->core != ch->core || monitor_find(o, ch->fold) == NULL)
        return;
    if (ch->online)
        irc__numeric(o, "730", ":%s!%s", ch->nick, IRC_USERHOST);
    else
        irc__numeric(o, "731", ":%s", ch->nick);
}

static void on_presence(void *ud, const char *nick, const char *fold, bool online)
{
    struct change ch = {ud, nick, fold, online};
    if (!online)
        whowas_record(ud, nick);
    irc__clients_foreach(tell_watcher, &ch);
}

void irc__monitor_start(irc_client_t *c)
{
    core_set_presence_hook(c->group->core, on_presence, c->group->core);
}

void irc__monitor_free(irc_client_t *c)
{
    for (uint32_t i = 0; i < c->nmonitor; i++) {
        free(c->monitor[i].nick);
        free(c->monitor[i].fold);
    }
    free(c->monitor);
    c->monitor = NULL;
    c->nmonitor = 0;
}

/* 730 for the online ones among nicks (comma-separated), 731 for the others; with add, each is
 * added to the list first (once the list is full: 734 naming the targets not added, and a
 * stop). */
static void monitor_targets(irc_client_t *c, char *targets, bool add)
{
    char *save = NULL;
    for (char *n = strtok_r(targets, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        char *fold = core_nick_fold(n);
        if (fold == NULL || core_check_nick(n) == CORE_ENICKINVALID) {
            free(fold);
            continue;
        }
        if (add && monitor_find(c, fold) == NULL) {
            if (c->nmonitor == IRC_MONITOR_MAX) {
                free(fold);
                irc__numeric(c, "734", "%d %s%s%s :Monitor list is full.", IRC_MONITOR_MAX, n,
                             save && *save ? "," : "", save && *save ? save : "");
                return;
            }
            c->monitor = xrealloc(c->monitor, (c->nmonitor + 1) * sizeof(*c->monitor));
            c->monitor[c->nmonitor++] = (struct irc_monitor){xstrdup(n), fold};
            fold = NULL;
        }
        free(fold);
        const char *held = core_nick_held(c->group->core, n);
        if (held)
            irc__numeric(c, "730", ":%s!%s", held, IRC_USERHOST);
        else
            irc__numeric(c, "731", ":%s", n);
    }
}

static void monitor_remove(irc_client_t *c, char *targets)
{
    char *save = NULL;
    for (char *n = strtok_r(targets, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        char *fold = core_nick_fold(n);
        struct irc_monitor *m = fold ? monitor_find(c, fold) : NULL;
        free(fold);
        if (m == NULL)
            continue;
        free(m->nick);
        free(m->fold);
        *m = c->monitor[--c->nmonitor];
    }
}

int irc__cmd_monitor(irc_client_t *c, const irc_msg_t *m)
{
    char op = m->params[0][0];
    if (m->params[0][1] != '\0')
        op = '?';
    if ((op == '+' || op == '-') && m->nparams < 2) {
        irc__numeric(c, "461", "MONITOR :Not enough parameters");
        return 0;
    }
    char *targets = m->nparams > 1 ? xstrdup(m->params[1]) : NULL;
    switch (op) {
    case '+': monitor_targets(c, targets, true); break;
    case '-': monitor_remove(c, targets); break;
    case 'C':
    case 'c': irc__monitor_free(c); break;
    case 'L':
    case 'l':
        for (uint32_t i = 0; i < c->nmonitor; i++)
            irc__numeric(c, "732", ":%s", c->monitor[i].nick);
        irc__numeric(c, "733", ":End of MONITOR list");
        break;
    case 'S':
    case 's':
        for (uint32_t i = 0; i < c->nmonitor; i++) {
            char *one = xstrdup(c->monitor[i].nick);
            monitor_targets(c, one, false);
            free(one);
        }
        break;
    default: irc__fail(c, "MONITOR", "INVALID_PARAMS", m->params[0], "Unknown MONITOR subcommand");
    }
    free(targets);
    return 0;
}

/* WHOWAS nick [count]: the most recent first, count of them (all when absent or not positive). */
int irc__cmd_whowas(irc_client_t *c, const irc_msg_t *m)
{
    if (m->nparams == 0 || m->params[0][0] == '\0') {
        irc__numeric(c, "431", ":No nickname given");
        return 0;
    }
    const char *nick = m->params[0];
    int count = m->nparams > 1 ? atoi(m->params[1]) : 0;
    char *fold = core_nick_fold(nick);
    int found = 0;
    for (unsigned i = 1; fold && i <= IRC_WHOWAS_MAX && (count <= 0 || found < count); i++) {
        struct gone *g = &gone[(gone_next + IRC_WHOWAS_MAX - i) % IRC_WHOWAS_MAX];
        if (g->nick == NULL || g->core != c->group->core)
            continue;
        char *gf = core_nick_fold(g->nick);
        bool same = gf && strcmp(gf, fold) == 0;
        free(gf);
        if (!same)
            continue;
        found++;
        char when[64];
        time_t t = (time_t)g->when;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y UTC", &tm);
        irc__numeric(c, "314", "%s parley parley * :%s", g->nick, g->nick);
        irc__numeric(c, "312", "%s %s :%s", g->nick, irc__server(c), when);
    }
    free(fold);
    if (found == 0)
        irc__numeric(c, "406", "%s :There was no such nickname", nick);
    irc__numeric(c, "369", "%s :End of WHOWAS", nick);
    return 0;
}
