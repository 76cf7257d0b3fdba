/* The JSON commands of private talk: ignore, unignore, ignored, invite, accept and decline
 * (docs/PROTOCOL.md). session.c's command table calls these with the client's core session. */
#include <errno.h>
#include <stdlib.h>

#include "proto/json/json_proto.h"

static void add_nick(void *ud, const char *nick)
{
    json_array_append_new(ud, json_string(nick));
}

static json_t *ignored_list(const session_t *s)
{
    json_t *a = json_array();
    core_ignored_foreach(s, add_nick, a);
    return json_pack("{s:o}", "ignored", a);
}

int json_private_ignore(session_t *s, json_t *req, json_t **result)
{
    const char *nick;
    if (json_arg_str(req, "nick", &nick) < 0)
        return CORE_EBADREQ;
    int rc = core_ignore(s, nick);
    if (rc < 0)
        return rc;
    *result = ignored_list(s);
    return 0;
}

int json_private_unignore(session_t *s, json_t *req, json_t **result)
{
    const char *nick;
    if (json_arg_str(req, "nick", &nick) < 0)
        return CORE_EBADREQ;
    int rc = core_unignore(s, nick);
    if (rc < 0)
        return rc;
    *result = ignored_list(s);
    return 0;
}

int json_private_ignored(session_t *s, json_t *req, json_t **result)
{
    *result = ignored_list(s);
    return 0;
}

int json_private_invite(session_t *s, json_t *req, json_t **result)
{
    const char *name, *to;
    uint64_t id;
    if (json_arg_str(req, "room", &name) < 0 || json_arg_str(req, "to", &to) < 0)
        return CORE_EBADREQ;
    room_t *r = core_room_find_for(s, name);
    int rc = r ? core_invite(s, r, to, &id) : CORE_ENOTINROOM;
    if (rc < 0)
        return rc;
    *result = json_pack("{s:o}", "invite", json_invite_id(id));
    return 0;
}

/* The "invite" argument: a string of decimal digits. 0 if it names no invitation we could have
 * made (the core then answers no_such_invite). */
static int arg_invite(json_t *req, uint64_t *out)
{
    const char *str;
    if (json_arg_str(req, "invite", &str) < 0)
        return CORE_EBADREQ;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(str, &end, 10);
    bool ok = str[0] >= '0' && str[0] <= '9' && *end == '\0' && errno == 0;
    *out = ok ? (uint64_t)v : 0;
    return 0;
}

int json_private_accept(session_t *s, json_t *req, json_t **result)
{
    uint64_t id;
    table_t *t;
    int rc = arg_invite(req, &id);
    if (rc == 0)
        rc = core_invite_accept(s, id, &t);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:o,s:o,s:o,s:o}", "invite", json_invite_id(id), "room",
                        json_room_summary(table_room(t)), "table", json_table_view(t), "history",
                        json_table_history(s, t));
    return 0;
}

int json_private_decline(session_t *s, json_t *req, json_t **result)
{
    uint64_t id;
    int rc = arg_invite(req, &id);
    if (rc == 0)
        rc = core_invite_decline(s, id);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:o}", "invite", json_invite_id(id));
    return 0;
}
