/* Nicknames: the rules of docs/PROTOCOL.md "Nickname rules", the folded form that uniqueness is
 * decided on, the default colour picked from a nickname, and renaming a session (EV_NICK). */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "core/core_int.h"
#include "util/xmalloc.h"

#define NICK_MIN 2
#define NICK_MAX 24

static const char *const reserved[] = {"parley", "server", "system", "admin",
                                       "sysop",  "host",   "guest"};

/* Readable on a white background. The order decides which nick gets which colour; it is chosen so
 * that "alice" and "bob" get the colours shown in docs/PROTOCOL.md. */
static const char *const palette[] = {
    "#b8860b", "#8e44ad", "#c678dd", "#c18401", "#0184bc", "#50a14f",
    "#be5046", "#2e86de", "#61afef", "#16a085", "#d35400", "#e06c75",
};

static bool is_letter(utf8proc_category_t cat)
{
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

static bool is_digit(utf8proc_category_t cat)
{
    return cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
}

char *nick__fold(const char *nick)
{
    /* utf8proc_NFKC_Casefold returns NULL on invalid UTF-8 (and out of memory, which we cannot
     * tell apart; the nickname is then refused, which is harmless). */
    return (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)nick);
}

int core_check_nick(const char *nick)
{
    if (nick == NULL)
        return CORE_ENICKINVALID;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)nick;
    unsigned count = 0;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0)
            return CORE_ENICKINVALID;
        utf8proc_category_t cat = utf8proc_category(cp);
        bool ok =
            is_letter(cat) || (count > 0 && (is_digit(cat) || cp == '_' || cp == '-' || cp == '.'));
        if (!ok || ++count > NICK_MAX)
            return CORE_ENICKINVALID;
        p += n;
    }
    if (count < NICK_MIN)
        return CORE_ENICKINVALID;
    char *fold = nick__fold(nick);
    if (fold == NULL)
        return CORE_ENICKINVALID;
    int rc = 0;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(fold, reserved[i]) == 0)
            rc = CORE_ENICKRESERVED;
    free(fold);
    return rc;
}

void nick__default_colour(const char *fold, char out[8])
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)fold; *p; p++)
        h = (h ^ *p) * 16777619u;
    memcpy(out, palette[h % (sizeof(palette) / sizeof(palette[0]))], 8);
}

session_t *nick__find(core_t *c, const char *nick)
{
    session_t *s = NULL;
    char *fold = nick ? nick__fold(nick) : NULL;
    if (fold)
        HASH_FIND(hh_nick, c->nicks, fold, strlen(fold), s);
    free(fold);
    return s;
}

char *core_nick_fold(const char *nick)
{
    return nick ? nick__fold(nick) : NULL;
}

void core_set_presence_hook(core_t *c, core_presence_fn fn, void *ud)
{
    c->presence = fn;
    c->presence_ud = ud;
}

void nick__presence(core_t *c, const session_t *s, bool online)
{
    if (c->presence)
        c->presence(c->presence_ud, s->nick, s->fold, online);
}

const char *core_nick_held(core_t *c, const char *nick)
{
    session_t *s = nick__find(c, nick);
    return s ? s->nick : NULL;
}

/* The first room (in the order s entered them) where `to` sits at s's table, not lurking: where
 * core_pm can reach them. */
int core_pm_room(const session_t *s, const char *to, room_t **out)
{
    session_t *dst = nick__find(s->core, to);
    if (dst == NULL || !dst->ready)
        return CORE_ENOUSER;
    list_foreach(it, &s->members)
    {
        const struct member *m = list_entry(it, struct member, in_session);
        const struct member *dm = session__member(dst, m->table->room);
        if (dm && dm->table == m->table && !dm->lurk) {
            *out = m->table->room;
            return 0;
        }
    }
    return CORE_ENOTINROOM;
}

/* The session keeps its colour: a nick change is not a new person. Only tables where s is a
 * visible member hear of it, as with EV_COLOUR; s hears of it there too. */
int core_session_rename(session_t *s, const char *nick)
{
    core_t *c = s->core;
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (s->account)
        return CORE_EFORBIDDEN;
    int rc = core_check_nick(nick);
    if (rc < 0)
        return rc;
    if (strcmp(nick, s->nick) == 0)
        return 0;
    char *fold = nick__fold(nick);
    if (fold == NULL)
        return CORE_ENICKINVALID;
    session_t *other;
    HASH_FIND(hh_nick, c->nicks, fold, strlen(fold), other);
    if (other && other != s) {
        free(fold);
        return CORE_ENICKTAKEN;
    }
    size_t nl = strlen(nick), fl = strlen(fold);
    char *buf = xmalloc(nl + fl + 2);
    memcpy(buf, nick, nl + 1);
    memcpy(buf + nl + 1, fold, fl + 1);
    free(fold);
    bool moved = strcmp(s->fold, buf + nl + 1) != 0; /* not a mere change of case */
    HASH_DELETE(hh_nick, c->nicks, s);
    if (moved)
        nick__presence(c, s, false);
    char *old = s->nick;
    s->nick = buf;
    s->fold = buf + nl + 1;
    HASH_ADD_KEYPTR(hh_nick, c->nicks, s->fold, strlen(s->fold), s);
    if (moved)
        nick__presence(c, s, true);
    core_event_t ev = {
        .type = EV_NICK,
        .nick = old,
        .to_nick = s->nick,
        .colour = s->colour,
        .count = ++c->next_rename,
    };
    session__publish_visible(s, &ev);
    free(old);
    access__reeval_session(s); /* guest access lists and bans name nicks */
    return 0;
}
