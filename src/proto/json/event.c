/* The JSON commands of hosted events: events, join_event, leave_event, watch, unwatch, forward and
 * end_event (docs/PROTOCOL.md, "Hosted events"). session.c's command table calls these with the
 * client's core session; the core checks roles and rights. */
#include <string.h>

#include "proto/json/json_proto.h"

/* The event a command names: CORE_EBADREQ without a name, CORE_ENOEVENT for an unknown one. */
static int arg_event(session_t *s, json_t *req, event_t **out)
{
    const char *name;
    if (json_arg_str(req, "event", &name) < 0)
        return CORE_EBADREQ;
    *out = core_event_find(core_session_core(s), name);
    return *out ? 0 : CORE_ENOEVENT;
}

struct list_ctx {
    json_t *a;
    const session_t *s;
};

/* Ended events are for hosts' eyes only. */
static void add_event(void *ud, event_t *e)
{
    struct list_ctx *lc = ud;
    if (event_state(e) == CORE_EVENT_ENDED && core_event_role(lc->s, e) != CORE_ROLE_HOST)
        return;
    json_array_append_new(lc->a, json_event_summary(e, lc->s));
}

int json_event_list(session_t *s, json_t *req, json_t **result)
{
    struct list_ctx lc = {json_array(), s};
    core_events_foreach(core_session_core(s), add_event, &lc);
    *result = json_pack("{s:o}", "events", lc.a);
    return 0;
}

/* The watch command's result: every table of r as s sees it, with its history. */
static json_t *watch_result(const session_t *s, room_t *r)
{
    json_t *tables = json_array();
    for (table_t *t = room_table_first(r); t; t = room_table_next(t)) {
        if (core_right(s, r, table_number(t)) == CORE_RIGHT_NONE)
            continue;
        json_t *v = json_table_view(t);
        json_object_set_new(v, "history", json_table_history(s, t));
        json_array_append_new(tables, v);
    }
    return json_pack("{s:s,s:o}", "room", room_name(r), "tables", tables);
}

static json_t *enter_or_null(const session_t *s, const room_t *r, const table_t *t)
{
    return t ? json_enter_result(s, r, t) : json_null();
}

int json_event_join(session_t *s, json_t *req, json_t **result)
{
    event_t *e;
    core_event_place_t at;
    int rc = arg_event(s, req, &e);
    if (rc == 0)
        rc = core_event_join(s, e, &at);
    if (rc < 0)
        return rc;
    core_event_role_t role = core_event_role(s, e);
    *result =
        json_pack("{s:o,s:s,s:o,s:o,s:o,s:o}", "event", json_event_summary(e, s), "role",
                  core_event_role_name(role), "stage", enter_or_null(s, event_stage(e), at.stage),
                  "audience", enter_or_null(s, event_audience(e), at.audience), "backstage",
                  enter_or_null(s, event_backstage(e), at.backstage), "watching",
                  at.watching ? watch_result(s, event_audience(e)) : json_null());
    return 0;
}

int json_event_leave(session_t *s, json_t *req, json_t **result)
{
    event_t *e;
    int rc = arg_event(s, req, &e);
    if (rc == 0)
        rc = core_event_leave(s, e);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s}", "event", event_name(e));
    return 0;
}

static int arg_room(session_t *s, json_t *req, room_t **out)
{
    return json_arg_room(s, req, CORE_ENOROOM, out);
}

int json_event_watch(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    int rc = arg_room(s, req, &r);
    if (rc == 0)
        rc = core_watch(s, r);
    if (rc < 0)
        return rc;
    *result = watch_result(s, r);
    return 0;
}

int json_event_unwatch(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    int rc = arg_room(s, req, &r);
    if (rc == 0)
        rc = core_unwatch(s, r);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s}", "room", room_name(r));
    return 0;
}

int json_event_forward(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    const char *to;
    json_t *num = json_object_get(req, "table"), *id = json_object_get(req, "msg_id");
    if (!json_is_integer(num) || !json_is_integer(id) || json_arg_str(req, "to", &to) < 0)
        return CORE_EBADREQ;
    bool stage = strcmp(to, "stage") == 0;
    if (!stage && strcmp(to, "backstage") != 0)
        return CORE_EBADREQ;
    json_int_t n = json_integer_value(num), m = json_integer_value(id);
    int rc = arg_room(s, req, &r);
    if (rc < 0)
        return rc;
    if (n < 1 || n > CORE_MAX_TABLE)
        return CORE_ENOTABLE;
    if (m < 1)
        return CORE_ENOMESSAGE;
    table_t *at;
    uint64_t msg_id;
    rc = core_forward(s, r, (uint32_t)n, (uint64_t)m, stage, &at, &msg_id);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s,s:I,s:I}", "room", room_name(table_room(at)), "table",
                        (json_int_t)table_number(at), "msg_id", (json_int_t)msg_id);
    return 0;
}

int json_event_end(session_t *s, json_t *req, json_t **result)
{
    event_t *e;
    int rc = arg_event(s, req, &e);
    if (rc == 0)
        rc = core_event_end_by(s, e);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:o}", "event", json_event_summary(e, s));
    return 0;
}
