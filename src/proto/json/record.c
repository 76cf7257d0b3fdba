/* The JSON commands of recording and playback: record, recordings, delete_recording, play and
 * stop_play (docs/PROTOCOL.md). session.c's command table calls these with the client's core
 * session; the core checks the rights. */
#include <string.h>

#include "proto/json/json_proto.h"

/* The named room (not_in_room when there is none you could be in, as for the host commands) and
 * the optional table: absent is 0 (your own table, *table then set to it when you are in r). */
static int arg_room_table(session_t *s, json_t *req, room_t **r, uint32_t *table)
{
    json_t *t = json_object_get(req, "table");
    if (t && !json_is_integer(t))
        return CORE_EBADREQ;
    int rc = json_arg_room(s, req, CORE_ENOTINROOM, r);
    if (rc < 0)
        return rc;
    json_int_t n = t ? json_integer_value(t) : 0;
    if (t && (n < 1 || n > CORE_MAX_TABLE))
        return core_session_table(s, *r) ? CORE_ENOTABLE : CORE_ENOTINROOM;
    *table = (uint32_t)n;
    if (n == 0 && core_session_table(s, *r))
        *table = table_number(core_session_table(s, *r));
    return 0;
}

/* A recording id: a positive integer. */
static int arg_id(json_t *req, const char *name, uint64_t *id)
{
    json_t *v = json_object_get(req, name);
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return CORE_EBADREQ;
    *id = (uint64_t)json_integer_value(v);
    return 0;
}

int json_rec_record(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    uint32_t table = 0;
    const char *action, *title = NULL;
    if (json_arg_str(req, "action", &action) < 0 ||
        (json_object_get(req, "title") && json_arg_str(req, "title", &title) < 0))
        return CORE_EBADREQ;
    bool start = strcmp(action, "start") == 0;
    if (!start && strcmp(action, "stop") != 0)
        return CORE_EBADREQ;
    int rc = arg_room_table(s, req, &r, &table);
    if (rc < 0)
        return rc;
    uint64_t id = 0;
    rc = start ? core_record_start(s, r, table, title, &id) : core_record_stop(s, r, table);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s,s:I,s:s}", "room", room_name(r), "table", (json_int_t)table, "state",
                        start ? "started" : "stopped");
    if (start)
        json_object_set_new(*result, "recording", json_integer((json_int_t)id));
    return 0;
}

static void add_recording(void *ud, const core_recording_t *rec)
{
    json_array_append_new(ud, json_recording(rec));
}

int json_rec_recordings(session_t *s, json_t *req, json_t **result)
{
    const char *name;
    if (json_arg_str(req, "room", &name) < 0)
        return CORE_EBADREQ;
    room_t *r = core_room_find_for(s, name);
    json_t *a = json_array();
    int rc = core_recordings_for(s, r, add_recording, a);
    if (rc < 0) {
        json_decref(a);
        return rc;
    }
    *result = json_pack("{s:s,s:o}", "room", room_name(r), "recordings", a);
    return 0;
}

int json_rec_delete(session_t *s, json_t *req, json_t **result)
{
    uint64_t id;
    /* "recording", not "id": every request's "id" is its own (the reply's correlation id) */
    int rc = arg_id(req, "recording", &id);
    if (rc == 0)
        rc = core_recording_delete_as(s, id);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:I}", "recording", (json_int_t)id);
    return 0;
}

int json_rec_play(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    uint32_t table = 0;
    uint64_t id;
    json_t *loop = json_object_get(req, "loop"), *speed = json_object_get(req, "speed");
    if (arg_id(req, "recording", &id) < 0 || (loop && !json_is_boolean(loop)) ||
        (speed && !json_is_number(speed)))
        return CORE_EBADREQ;
    double sp = speed ? json_number_value(speed) : 1.0;
    int rc = arg_room_table(s, req, &r, &table);
    if (rc == 0)
        rc = core_play(s, r, table, id, json_is_true(loop), sp);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s,s:I,s:I,s:b,s:f}", "room", room_name(r), "table", (json_int_t)table,
                        "recording", (json_int_t)id, "loop", json_is_true(loop), "speed", sp);
    return 0;
}

int json_rec_stop_play(session_t *s, json_t *req, json_t **result)
{
    room_t *r;
    uint32_t table = 0;
    int rc = arg_room_table(s, req, &r, &table);
    if (rc == 0)
        rc = core_play_stop(s, r, table);
    if (rc < 0)
        return rc;
    *result = json_pack("{s:s,s:I}", "room", room_name(r), "table", (json_int_t)table);
    return 0;
}
