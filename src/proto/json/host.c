/* The JSON commands of host powers: eject, broadcast, edit_room, edit_table and stage
 * (docs/PROTOCOL.md). session.c's command table calls these with the client's core session; the
 * core checks the rights. */
#include <string.h>

#include "proto/json/json_proto.h"

#define REASON_MAX 200

/* The named room; commands that name a room you are not in get not_in_room (as elsewhere). */
static int arg_room(session_t *s, json_t *req, room_t **out)
{
    return json_arg_room(s, req, CORE_ENOTINROOM, out);
}

/* An optional string member: absent is fine (*out NULL), anything but a string is not. */
static int opt_str(json_t *req, const char *name, const char **out)
{
    *out = NULL;
    if (json_object_get(req, name) == NULL)
        return 0;
    return json_arg_str(req, name, out);
}

int json_host_eject(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    const char *nick, *scope, *reason;
    json_t *ban = json_object_get(req, "ban");
    if (json_arg_str(req, "nick", &nick) < 0 || opt_str(req, "scope", &scope) < 0 ||
        opt_str(req, "reason", &reason) < 0 || (ban && !json_is_integer(ban)))
        return CORE_EBADREQ;
    if (scope && strcmp(scope, "room") != 0 && strcmp(scope, "table") != 0)
        return CORE_EBADREQ;
    if (reason && strlen(reason) > REASON_MAX)
        return CORE_EBADREQ;
    json_int_t secs = ban ? json_integer_value(ban) : 0;
    if (secs < 0 || secs > CORE_MAX_BAN_SECS)
        return CORE_EBADREQ;
    int64_t until = 0;
    int rc = arg_room(s, req, &r);
    if (rc == 0)
        rc = core_eject(s, r, nick, scope && strcmp(scope, "table") == 0, secs, reason, &until);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s,s:s,s:o}", "room", room_name(r), "nick", nick, "until",
                        until ? json_integer(until) : json_null());
    return 0;
}

int json_host_broadcast(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    const char *text;
    int64_t ts;
    if (json_arg_str(req, "text", &text) < 0)
        return CORE_EBADREQ;
    int rc = arg_room(s, req, &r);
    if (rc == 0)
        rc = core_broadcast(s, r, text, json_string_length(json_object_get(req, "text")), &ts);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:I}", "ts", (json_int_t)ts);
    return 0;
}

int json_host_edit_room(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    core_room_edit_t e = {.moderated = -1};
    json_t *cap = json_object_get(req, "capacity"), *mod = json_object_get(req, "moderated");
    if (opt_str(req, "title", &e.title) < 0 || opt_str(req, "topic", &e.topic) < 0 ||
        (cap && !json_is_integer(cap)) || (mod && !json_is_boolean(mod)))
        return CORE_EBADREQ;
    if (cap) {
        json_int_t c = json_integer_value(cap);
        if (c < 1 || c > 10000)
            return CORE_ECAPACITY;
        e.capacity = (int)c;
    }
    if (mod)
        e.moderated = json_is_true(mod);
    int rc = arg_room(s, req, &r);
    if (rc == 0)
        rc = core_edit_room(s, r, &e);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:o}", "room", json_room_summary(r));
    return 0;
}

int json_host_edit_table(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    const char *topic;
    json_t *num = json_object_get(req, "table");
    if (!json_is_integer(num) || json_arg_str(req, "topic", &topic) < 0)
        return CORE_EBADREQ;
    json_int_t n = json_integer_value(num);
    int rc = arg_room(s, req, &r);
    if (rc < 0)
        return rc;
    if (n < 1 || n > CORE_MAX_TABLE)
        return core_session_table(s, r) ? CORE_ENOTABLE : CORE_ENOTINROOM;
    rc = core_edit_table(s, r, (uint32_t)n, topic);
    if (rc < 0)
        return rc;
    *result =
        json_pack("{s:s,s:I,s:s}", "room", room_name(r), "table", (json_int_t)n, "topic", topic);
    return 0;
}

/* A stage text: absent keeps (*set false), null clears, a string sets. */
static int stage_str(json_t *req, const char *name, bool *set, const char **out)
{
    json_t *v = json_object_get(req, name);
    *set = v != NULL;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    return json_arg_str(req, name, out);
}

int json_host_stage(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    core_stage_edit_t e = {0};
    if (stage_str(req, "banner", &e.set_banner, &e.banner) < 0 ||
        stage_str(req, "speaking", &e.set_speaking, &e.speaking) < 0)
        return CORE_EBADREQ;
    json_t *link = json_object_get(req, "link");
    e.set_link = link != NULL;
    if (json_is_object(link)) {
        bool has;
        json_t *img = json_object_get(link, "image");
        if (json_arg_str(link, "url", &e.link_url) < 0 ||
            stage_str(link, "title", &has, &e.link_title) < 0 || (img && !json_is_boolean(img)))
            return CORE_EBADREQ;
        e.link_image = json_is_true(img);
    } else if (link && !json_is_null(link)) {
        return CORE_EBADREQ;
    }
    int rc = arg_room(s, req, &r);
    if (rc == 0)
        rc = core_stage_set(s, r, &e);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s,s:o}", "room", room_name(r), "stage", json_stage(r));
    return 0;
}
