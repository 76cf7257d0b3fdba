/* The core object, its error table, stats, message ids and the validation helpers that are not
 * about nicknames. Rooms and tables are in room.c, sessions and commands in session.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

static const struct {
    int err;
    const char *code;
    const char *message;
} errors[] = {
    {CORE_EBADREQ, "bad_request", "bad request"},
    {CORE_EHELLOFIRST, "hello_first", "say hello first"},
    {CORE_EALREADYHELLO, "already_hello", "you already said hello"},
    {CORE_ENICKINVALID, "nick_invalid",
     "a nickname is 2 to 24 letters, digits, '_', '-' or '.', starting with a letter"},
    {CORE_ENICKRESERVED, "nick_reserved", "that nickname is reserved"},
    {CORE_ENICKTAKEN, "nick_taken", "that nickname is taken"},
    {CORE_EBADCOLOUR, "bad_colour", "a colour is #rrggbb"},
    {CORE_ENOROOM, "no_such_room", "no such room"},
    {CORE_EINROOM, "already_in_room", "you are already in that room"},
    {CORE_ENOTINROOM, "not_in_room", "you are not in that room"},
    {CORE_ENOTABLE, "no_such_table", "no such table"},
    {CORE_EATTABLE, "already_at_table", "you are already at that table"},
    {CORE_ETABLEFULL, "table_full", "that table is full"},
    {CORE_EREADONLY, "read_only", "you are lurking (read only)"},
    {CORE_ENOUSER, "no_such_user", "nobody of that name is at your table"},
    {CORE_ETEXTEMPTY, "text_empty", "the text is empty"},
    {CORE_ETEXTLONG, "text_too_long", "the text is too long"},
    {CORE_ESTORE, "store_failed", "the message could not be stored"},
    {CORE_EROOMNAME, "bad_request",
     "a room name is 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or digit"},
    {CORE_EROOMEXISTS, "room_exists", "that room exists"},
    {CORE_ECAPACITY, "bad_request", "capacity is 1 to 10000"},
    /* Adapters that have the text send PROTOCOL.md's message with it instead. */
    {CORE_EMODERATED, "moderated", "possible objectionable message not sent"},
    {CORE_EINTERNAL, "internal", "internal error"},
    {CORE_ETOOMANYIGNORES, "too_many_ignores", "you ignore too many people (at most 100)"},
    {CORE_ENOINVITE, "no_such_invite", "no such invitation"},
    {CORE_EFORBIDDEN, "forbidden", "you may not do that here"},
    {CORE_ENOFOLDER, "no_such_folder", "no such folder"},
    {CORE_EFOLDEREXISTS, "folder_exists", "that folder exists"},
    {CORE_EFOLDERNAME, "bad_request",
     "a folder path is \"/\" or \"/a/b\": up to 8 names of 1 to 32 of a-z, 0-9, '-' and '_', "
     "each starting with a letter or digit"},
    {CORE_ENOTEMPTY, "not_empty", "it is not empty"},
    {CORE_ENOGROUP, "no_such_user_group", "no such user group"},
    {CORE_ENOBAN, "no_such_ban", "no such ban"},
    {CORE_EBADACL, "bad_request",
     "an access-list entry names a user (an account), a group (a group name), registered or "
     "guests, once each, with a right none, read_only, moderated, participant or host"},
    {CORE_ESTAGEURL, "bad_request",
     "link.url must be an http:// or https:// URL of at most 500 bytes, with a host and without "
     "spaces or control characters"},
    {CORE_ESTAGETEXT, "bad_request",
     "banner is at most 200 bytes, speaking and link.title at most 100, all without control "
     "characters"},
    {CORE_EALREADYREC, "already_recording", "that table is recording already"},
    {CORE_ENOTREC, "not_recording", "that table is not recording"},
    {CORE_EALREADYPLAY, "already_playing", "a recording is playing at that table already"},
    {CORE_ENOTPLAY, "not_playing", "no recording is playing at that table"},
    {CORE_ENOREC, "no_such_recording", "no such recording"},
    {CORE_ERECEMPTY, "recording_empty", "that recording has no messages to play"},
    {CORE_ERECTITLE, "bad_request",
     "a recording's title is at most 200 bytes without control characters"},
    {CORE_EPLAYSPEED, "bad_request", "speed is a number from 0.1 to 100"},
    {CORE_ETOOMANYPLAY, "too_many_playbacks", "too many recordings are playing: try again later"},
    {CORE_ENOEVENT, "no_such_event", "no such event"},
    {CORE_EEVENTEXISTS, "event_exists", "that event exists"},
    {CORE_EEVENTNOTOPEN, "event_not_open", "the event has not opened yet"},
    {CORE_EEVENTENDED, "event_ended", "the event has ended"},
    {CORE_ENOMESSAGE, "no_such_message", "no such message in that table's recent history"},
    {CORE_EEVENTSPEC, "bad_request",
     "an event name is 1 to 20 of a-z, 0-9, '-' and '_', starting with a letter or digit; a title "
     "at most 200 bytes without control characters; opens and closes are ms since the epoch (or "
     "null), closes after opens; audience_capacity is 1 to 10000"},
    {CORE_ESTOREBUSY, "store_busy",
     "messages come faster than the server can store them: try again in a moment"},
};

const char *core_err_code(int err)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].err == err)
            return errors[i].code;
    return "internal";
}

const char *core_err_message(int err)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].err == err)
            return errors[i].message;
    return "internal error";
}

core_t *core_new(const core_config_t *cfg, store_t *store, bus_t *bus)
{
    core_t *c = xcalloc(1, sizeof(*c));
    if (cfg)
        c->cfg = *cfg;
    else
        c->cfg.history_on_entry = CORE_DEFAULT_HISTORY;
    if (c->cfg.default_capacity <= 0 || c->cfg.default_capacity > CORE_MAX_CAPACITY)
        c->cfg.default_capacity = CORE_DEFAULT_CAPACITY;
    if (c->cfg.history_on_entry < 0) /* 0 is allowed: no history */
        c->cfg.history_on_entry = CORE_DEFAULT_HISTORY;
    if (c->cfg.max_text == 0)
        c->cfg.max_text = CORE_DEFAULT_MAX_TEXT;
    if ((unsigned)c->cfg.registered_default > CORE_RIGHT_HOST)
        c->cfg.registered_default = CORE_RIGHT_PARTICIPANT;
    if ((unsigned)c->cfg.guests_default > CORE_RIGHT_HOST)
        c->cfg.guests_default = CORE_RIGHT_PARTICIPANT;
    c->store = store;
    c->bus = bus;
    list_init(&c->rooms_by_name);
    list_init(&c->pending);
    list_init(&c->invites);
    list_init(&c->playbacks);
    list_init(&c->events_by_name);
    folder__init(c);
    c->next_msg_id = (store ? store_last_msg_id(store) : 0) + 1;
    return c;
}

void core_set_words(core_t *c, const wordlist_t *words)
{
    c->cfg.words = words;
}

void core_free(core_t *c)
{
    if (c == NULL)
        return;
    if (c->nsessions)
        log_error("core_free: %u sessions still open", c->nsessions);
    record__free_all(c);
    private__free_all(c);
    event__free_all(c);
    list_foreach_safe(it, tmp, &c->rooms_by_name)
    {
        room__free(list_entry(it, room_t, link));
    }
    folder__free_all(c);
    access__free_all(c);
    /* Says still waiting for the store: their callbacks come later and must find no core. */
    list_foreach_safe(it, tmp, &c->pending)
    {
        struct say_pending *p = list_entry(it, struct say_pending, link);
        p->c = NULL;
        list_remove(&p->link);
    }
    HASH_CLEAR(hh_nick, c->nicks);
    free(c);
}

void core_get_stats(const core_t *c, core_stats_t *out)
{
    *out = c->stats;
    out->sessions = HASH_CNT(hh_nick, c->nicks);
    out->recordings = c->nrecordings;
    out->playbacks = c->nplaybacks;
}

void core_event_release(core_event_t *ev)
{
    for (int i = 0; i < CORE_EVENT_SLOTS; i++) {
        rbuf_unref(ev->enc[i]);
        ev->enc[i] = NULL;
    }
}

int64_t core__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t core__clock_ms(const core_t *c)
{
    if (c->cfg.clock_ms)
        return c->cfg.clock_ms(c->cfg.clock_ud);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t core__wall_ms(const core_t *c)
{
    return c->cfg.wall_ms ? c->cfg.wall_ms(c->cfg.clock_ud) : core__now_ms();
}

uint64_t core__next_msg_id(core_t *c)
{
    return c->next_msg_id++;
}

void *core__timer_start(core_t *c, uint64_t ms, void (*fn)(void *arg), void *arg)
{
    if (c->cfg.timers.start == NULL)
        return NULL;
    return c->cfg.timers.start(c->cfg.timers.ud, ms, fn, arg);
}

void core__timer_stop(core_t *c, void *timer)
{
    if (timer && c->cfg.timers.stop)
        c->cfg.timers.stop(c->cfg.timers.ud, timer);
}

static bool is_space(utf8proc_int32_t cp)
{
    switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case 0x85: return true;
    }
    utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
           cat == UTF8PROC_CATEGORY_ZP;
}

/* Text is taken as bytes; invalid UTF-8 (which the protocol layers never pass) counts as
 * non-space, so it is never rejected as empty. */
int core__check_text(const core_t *c, const char *text, size_t len)
{
    if (len == 0)
        return CORE_ETEXTEMPTY;
    if (len > c->cfg.max_text)
        return CORE_ETEXTLONG;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    size_t off = 0;
    while (off < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + off, (utf8proc_ssize_t)(len - off), &cp);
        if (n <= 0 || !is_space(cp))
            return 0;
        off += (size_t)n;
    }
    return CORE_ETEXTEMPTY;
}

bool core__plain_text(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
            return false;
    return n <= max;
}

bool core_valid_room_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        unsigned char ch = (unsigned char)*p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                  (n > 0 && (ch == '_' || ch == '-'));
        if (!ok || n >= 32)
            return false;
    }
    return true;
}

bool core_valid_colour(const char *colour)
{
    if (colour == NULL || colour[0] != '#')
        return false;
    for (int i = 1; i < 7; i++)
        if (!isxdigit((unsigned char)colour[i]))
            return false;
    return colour[7] == '\0';
}
