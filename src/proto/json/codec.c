#include <stdio.h>
#include <string.h>

#include "proto/json/json_proto.h"

json_t *json_room_summary(const room_t *r)
{
    return json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:b,s:s}", "name", room_name(r), "title",
                     room_title(r), "topic", room_topic(r), "capacity", room_capacity(r), "tables",
                     (json_int_t)room_table_count(r), "users", (json_int_t)room_user_count(r),
                     "moderated", room_moderated(r), "folder", room_folder(r));
}

json_t *json_table_summary(const table_t *t)
{
    int cap = room_capacity(table_room(t));
    unsigned users = table_users(t);
    return json_pack("{s:I,s:s,s:I,s:I,s:i,s:b,s:s}", "number", (json_int_t)table_number(t), "name",
                     table_name(t), "users", (json_int_t)users, "lurkers",
                     (json_int_t)table_lurkers(t), "capacity", cap, "full", users >= (unsigned)cap,
                     "topic", table_topic(t));
}

json_t *json_stage(const room_t *r)
{
    const core_stage_t *st = room_stage(r);
    json_t *link = st->link_url
                       ? json_pack("{s:s,s:s,s:b}", "url", st->link_url, "title",
                                   st->link_title ? st->link_title : "", "image", st->link_image)
                       : json_null();
    return json_pack("{s:o,s:o,s:o}", "banner", st->banner ? json_string(st->banner) : json_null(),
                     "link", link, "speaking",
                     st->speaking ? json_string(st->speaking) : json_null());
}

static void add_member(void *ud, const char *nick, const char *colour)
{
    json_array_append_new(ud, json_pack("{s:s,s:s}", "nick", nick, "colour", colour));
}

json_t *json_table_view(const table_t *t)
{
    json_t *members = json_array();
    table_members_foreach(t, add_member, members);
    json_t *o =
        json_pack("{s:s,s:I,s:s,s:s,s:I,s:o}", "room", room_name(table_room(t)), "table",
                  (json_int_t)table_number(t), "name", table_name(t), "topic", table_topic(t),
                  "lurkers", (json_int_t)table_lurkers(t), "members", members);
    json_table_view_rec(o, t);
    return o;
}

/* ---- recording and playback ---- */

void json_table_view_rec(json_t *view, const table_t *t)
{
    const core_rec_info_t *rec = table_recording(t);
    const core_play_info_t *play = table_playback(t);
    json_object_set_new(view, "recording",
                        rec ? json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)rec->id, "title",
                                        rec->title, "started_by", rec->started_by, "since",
                                        (json_int_t)rec->since)
                            : json_null());
    json_object_set_new(view, "playback",
                        play ? json_pack("{s:I,s:b,s:f,s:I}", "recording",
                                         (json_int_t)play->recording, "loop", play->loop, "speed",
                                         play->speed, "round", (json_int_t)play->round)
                             : json_null());
}

json_t *json_recording(const core_recording_t *r)
{
    return json_pack("{s:I,s:s,s:I,s:s,s:s,s:I,s:o,s:I,s:b}", "id", (json_int_t)r->id, "room",
                     r->room, "table", (json_int_t)r->table, "title", r->title, "started_by",
                     r->started_by, "started_ms", (json_int_t)r->started_ms, "stopped_ms",
                     r->stopped_ms ? json_integer(r->stopped_ms) : json_null(), "messages",
                     (json_int_t)r->messages, "running", r->stopped_ms == 0);
}

static json_t *json_rec_event(const core_event_t *ev)
{
    json_t *by = ev->nick ? json_string(ev->nick) : json_null();
    if (ev->type == EV_RECORDING)
        return json_pack("{s:s,s:s,s:I,s:I,s:s,s:o,s:s%}", "type", "recording", "room", ev->room,
                         "table", (json_int_t)ev->table, "recording", (json_int_t)ev->recording,
                         "state", ev->reason, "by", by, "title", ev->text ? ev->text : "",
                         ev->text_len);
    return json_pack("{s:s,s:s,s:I,s:I,s:s,s:b,s:f,s:I,s:o}", "type", "playback", "room", ev->room,
                     "table", (json_int_t)ev->table, "recording", (json_int_t)ev->recording,
                     "state", ev->reason, "loop", ev->loop, "speed", ev->speed, "round",
                     (json_int_t)ev->round, "by", by);
}

json_t *json_invite_id(uint64_t id)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id);
    return json_string(buf);
}

int json_arg_str(json_t *req, const char *name, const char **out)
{
    json_t *v = json_object_get(req, name);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return CORE_EBADREQ;
    *out = json_string_value(v);
    return 0;
}

int json_arg_room(session_t *s, json_t *req, int missing, room_t **out)
{
    const char *name;
    if (json_arg_str(req, "room", &name) < 0)
        return CORE_EBADREQ;
    *out = core_room_find_for(s, name);
    return *out ? 0 : missing;
}

static json_t *text_of(const core_event_t *ev)
{
    return json_stringn(ev->text ? ev->text : "", ev->text_len);
}

json_t *json_event(const core_event_t *ev)
{
    switch (ev->type) {
    case EV_MESSAGE: {
        json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:o}", "type", "message", "room",
                              ev->room, "table", (json_int_t)ev->table, "msg_id",
                              (json_int_t)ev->msg_id, "ts", (json_int_t)ev->ts, "nick", ev->nick,
                              "colour", ev->colour, "text", text_of(ev));
        if (ev->recording) /* a played message */
            json_object_set_new(o, "playback",
                                json_pack("{s:I,s:I,s:I}", "recording", (json_int_t)ev->recording,
                                          "round", (json_int_t)ev->round, "original_ts",
                                          (json_int_t)ev->original_ts));
        if (ev->asked_by)
            json_object_set_new(o, "asked_by", json_string(ev->asked_by));
        return o;
    }
    case EV_PRIVATE:
        return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:o}", "type", "private", "room",
                         ev->room, "table", (json_int_t)ev->table, "msg_id", (json_int_t)ev->msg_id,
                         "ts", (json_int_t)ev->ts, "from", ev->nick, "to", ev->to_nick, "colour",
                         ev->colour, "text", text_of(ev));
    case EV_MEMBER_ENTERED:
        return json_pack("{s:s,s:s,s:I,s:s,s:s}", "type", "member_entered", "room", ev->room,
                         "table", (json_int_t)ev->table, "nick", ev->nick, "colour", ev->colour);
    case EV_MEMBER_LEFT:
        return json_pack("{s:s,s:s,s:I,s:s,s:s}", "type", "member_left", "room", ev->room, "table",
                         (json_int_t)ev->table, "nick", ev->nick, "reason",
                         ev->reason ? ev->reason : "left");
    case EV_MEMBER_HOPPED:
        return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "type", "member_hopped", "room", ev->room,
                         "nick", ev->nick, "colour", ev->colour, "from", (json_int_t)ev->table,
                         "to", (json_int_t)ev->to_table);
    case EV_LURKERS:
        return json_pack("{s:s,s:s,s:I,s:I}", "type", "lurkers", "room", ev->room, "table",
                         (json_int_t)ev->table, "count", (json_int_t)ev->count);
    case EV_COLOUR:
        return json_pack("{s:s,s:s,s:I,s:s,s:s}", "type", "colour", "room", ev->room, "table",
                         (json_int_t)ev->table, "nick", ev->nick, "colour", ev->colour);
    case EV_NICK:
        return json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "type", "nick_changed", "room", ev->room,
                         "table", (json_int_t)ev->table, "old", ev->nick, "nick", ev->to_nick,
                         "colour", ev->colour);
    case EV_INVITED:
        return json_pack("{s:s,s:o,s:s,s:s,s:s}", "type", "invited", "invite",
                         json_invite_id(ev->invite), "from", ev->nick, "colour", ev->colour, "room",
                         ev->room);
    case EV_INVITE_ACCEPTED:
        return json_pack("{s:s,s:o,s:o,s:o}", "type", "invite_accepted", "invite",
                         json_invite_id(ev->invite), "room", json_room_summary(table_room(ev->at)),
                         "table", json_table_view(ev->at));
    case EV_INVITE_DECLINED:
        return json_pack("{s:s,s:o,s:s}", "type", "invite_declined", "invite",
                         json_invite_id(ev->invite), "by", ev->nick);
    case EV_RIGHTS:
        return json_pack("{s:s,s:s,s:I,s:s}", "type", "rights", "room", ev->room, "table",
                         (json_int_t)ev->table, "right", core_right_name(ev->right));
    case EV_EJECTED:
        return json_pack("{s:s,s:s,s:o,s:s,s:s,s:o}", "type", "ejected", "room", ev->room, "table",
                         ev->table ? json_integer(ev->table) : json_null(), "by", ev->nick,
                         "reason", ev->reason ? ev->reason : "", "until",
                         ev->ts ? json_integer(ev->ts) : json_null());
    case EV_BROADCAST:
        return json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:o}", "type", "broadcast", "room", ev->room,
                         "table", (json_int_t)ev->table, "ts", (json_int_t)ev->ts, "from", ev->nick,
                         "colour", ev->colour, "text", text_of(ev));
    case EV_ROOM_UPDATED:
        return json_pack("{s:s,s:o}", "type", "room_updated", "room", json_room_summary(ev->in));
    case EV_TABLE_UPDATED:
        return json_pack("{s:s,s:s,s:I,s:o}", "type", "table_updated", "room", ev->room, "table",
                         (json_int_t)ev->table, "topic", text_of(ev));
    case EV_EVENT_STATE:
        return json_pack("{s:s,s:s,s:o,s:s}", "type", "event_state", "event", ev->room, "state",
                         text_of(ev), "reason", ev->reason ? ev->reason : "");
    case EV_UNWATCHED:
        return json_pack("{s:s,s:s,s:s}", "type", "unwatched", "room", ev->room, "reason",
                         ev->reason ? ev->reason : "");
    case EV_STAGE: {
        json_t *o = json_stage(ev->in);
        json_object_set_new(o, "type", json_string("stage"));
        json_object_set_new(o, "room", json_string(ev->room));
        json_object_set_new(o, "by", json_string(ev->nick));
        return o;
    }
    case EV_RECORDING:
    case EV_PLAYBACK: return json_rec_event(ev);
    case EV_MEMBER_RIGHTS: return NULL; /* IRC's MODE +o/-o; the web reads its own EV_RIGHTS */
    }
    return NULL;
}

static void add_history(void *ud, const core_event_t *ev)
{
    json_array_append_new(ud, json_event(ev));
}

json_t *json_table_history(const session_t *s, const table_t *t)
{
    json_t *a = json_array();
    core_table_history_for(s, t, add_history, a);
    return a;
}

json_t *json_enter_result(const session_t *s, const room_t *r, const table_t *t)
{
    return json_pack("{s:o,s:o,s:o,s:s,s:o}", "room", json_room_summary(r), "table",
                     json_table_view(t), "history", json_table_history(s, t), "right",
                     core_right_name(core_right(s, r, table_number(t))), "stage", json_stage(r));
}

static json_t *ms_or_null(int64_t ms)
{
    return ms ? json_integer(ms) : json_null();
}

json_t *json_event_summary(const event_t *e, const session_t *s)
{
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:i,s:{s:s,s:s,s:s}}", "name", event_name(e), "title", event_title(e),
        "state", core_event_state_name(event_state(e)), "opens", ms_or_null(event_opens(e)),
        "closes", ms_or_null(event_closes(e)), "audience_capacity", event_audience_capacity(e),
        "rooms", "stage", room_name(event_stage(e)), "audience", room_name(event_audience(e)),
        "backstage", room_name(event_backstage(e)));
    if (s)
        json_object_set_new(o, "role", json_string(core_event_role_name(core_event_role(s, e))));
    return o;
}
