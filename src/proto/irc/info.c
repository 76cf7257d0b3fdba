/* The server's informational replies: the welcome burst (001-005), ISUPPORT, LUSERS, MOTD,
 * VERSION and TIME (modern.ircdocs.horse). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto/irc/irc_int.h"

static unsigned max_users; /* the most LUSERS has seen in the group, since start */

void irc__isupport(irc_client_t *c)
{
    const config_t *cfg = c->app->cfg;
    /* CHANNELLEN: '#', a room name (32), '/', a table number (5 digits). NICKLEN counts
     * characters, as Parley's nickname rule does. */
    irc__numeric(
        c, "005",
        "AWAYLEN=200 CASEMAPPING=rfc7613 CHANLIMIT=#: CHANMODES=b,,,nt CHANNELLEN=39 CHANTYPES=# "
        ":are supported by this server");
    irc__numeric(c, "005",
                 "CHATHISTORY=%d MSGREFTYPES=msgid,timestamp :are supported by this server",
                 irc__history_max());
    irc__numeric(
        c, "005",
        "MAXTARGETS=1 MONITOR=100 NETWORK=%s NICKLEN=24 PREFIX=(ov)@+ "
        "TARGMAX=JOIN:,PART:,NAMES:1,PRIVMSG:1,NOTICE:1,TAGMSG:1 TOPICLEN=1000 UTF8ONLY WHOX "
        ":are supported by this server",
        cfg->irc.network);
}

void irc__welcome(irc_client_t *c)
{
    const config_t *cfg = c->app->cfg;
    const char *nick = irc__nick(c);
    char created[64];
    time_t started = (time_t)(c->app->started_ms / 1000);
    struct tm tm;
    gmtime_r(&started, &tm);
    strftime(created, sizeof(created), "%a %b %d %Y at %H:%M:%S UTC", &tm);
    irc__numeric(c, "001", ":Welcome to the %s IRC network, %s", cfg->irc.network, nick);
    irc__numeric(c, "002", ":Your host is %s, running version parley-%s", irc__server(c),
                 PARLEY_VERSION);
    irc__numeric(c, "003", ":This server was created %s", created);
    irc__numeric(c, "004", "%s parley-%s i bnt bov", irc__server(c), PARLEY_VERSION);
    irc__isupport(c);
    irc__cmd_lusers(c, NULL);
    irc__cmd_motd(c, NULL);
}

struct count {
    unsigned channels;
};

static void count_tables(void *ud, room_t *r)
{
    ((struct count *)ud)->channels += room_table_count(r);
}

int irc__cmd_lusers(irc_client_t *c, const irc_msg_t *m)
{
    core_t *core = c->group->core;
    core_stats_t st;
    core_get_stats(core, &st);
    struct count n = {0};
    core_rooms_foreach(core, count_tables, &n);
    unsigned users = (unsigned)st.sessions;
    if (users > max_users)
        max_users = users;
    irc__numeric(c, "251", ":There are %u users and 0 invisible on 1 servers", users);
    irc__numeric(c, "252", "0 :operator(s) online");
    irc__numeric(c, "253", "0 :unknown connection(s)");
    irc__numeric(c, "254", "%u :channels formed", n.channels);
    irc__numeric(c, "255", ":I have %u clients and 0 servers", users);
    irc__numeric(c, "265", "%u %u :Current local users %u, max %u", users, max_users, users,
                 max_users);
    irc__numeric(c, "266", "%u %u :Current global users %u, max %u", users, max_users, users,
                 max_users);
    return 0;
}

int irc__cmd_motd(irc_client_t *c, const irc_msg_t *m)
{
    const char *const *lines;
    size_t n;
    irc__motd(&lines, &n);
    if (n == 0) {
        irc__numeric(c, "422", ":MOTD File is missing");
        return 0;
    }
    irc__numeric(c, "375", ":- %s Message of the day - ", irc__server(c));
    for (size_t i = 0; i < n; i++)
        irc__numeric(c, "372", ":%s", lines[i]);
    irc__numeric(c, "376", ":End of /MOTD command.");
    return 0;
}

int irc__cmd_version(irc_client_t *c, const irc_msg_t *m)
{
    irc__numeric(c, "351", "parley-%s %s :Parley chat server, IRC gateway", PARLEY_VERSION,
                 irc__server(c));
    irc__isupport(c);
    return 0;
}

int irc__cmd_time(irc_client_t *c, const irc_msg_t *m)
{
    int64_t now = app_now_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char human[64];
    strftime(human, sizeof(human), "%A %B %d %Y -- %H:%M:%S +00:00", &tm);
    irc__numeric(c, "391", "%s %lld 0 :%s", irc__server(c), (long long)secs, human);
    return 0;
}
