/* The chat status of a group (docs/PROTOCOL.md, "Chat status"): a live snapshot of its public rooms
 * and tables with the message rates the core keeps (core/rate.h) and the group's last hour. */
#include <string.h>

#include "group.h"
#include "http/rest.h"

static void add_room(void *ud, room_t *room)
{
    json_t *tables = json_array();
    unsigned lurkers = 0;
    for (table_t *t = room_table_first(room); t; t = room_table_next(t)) {
        lurkers += table_lurkers(t);
        json_array_append_new(tables, json_pack("{s:I,s:s,s:I,s:I,s:I}", "number",
                                                (json_int_t)table_number(t), "name", table_name(t),
                                                "users", (json_int_t)table_users(t), "lurkers",
                                                (json_int_t)table_lurkers(t), "messages_per_minute",
                                                (json_int_t)table_messages_per_minute(t)));
    }
    unsigned ntables = room_table_count(room);
    json_array_append_new(
        ud, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "name", room_name(room), "users",
                      (json_int_t)room_user_count(room), "lurkers", (json_int_t)lurkers,
                      "open_tables", (json_int_t)ntables, "overflow_tables",
                      (json_int_t)(ntables > 0 ? ntables - 1 : 0), "messages_per_minute",
                      (json_int_t)room_messages_per_minute(room), "tables", tables));
}

void rest_status(const http_request_t *r)
{
    if (strcmp(r->method_name, "GET") != 0) {
        rest_not_allowed(r, "GET");
        return;
    }
    if (!rest_require_admin(r))
        return;
    group_t *g = http_group(r);
    app_t *app = http_app(r);
    json_t *rooms = json_array();
    core_rooms_foreach(g->core, add_room, rooms);
    unsigned users, lurkers, mpm;
    group_status_totals(g, &users, &lurkers, &mpm);
    core_stats_t cs;
    core_get_stats(g->core, &cs);
    json_t *hist = json_array();
    for (unsigned i = 0; i < g->history.len; i++) {
        const rate_sample_t *s = rate_history_at(&g->history, i);
        json_array_append_new(hist, json_pack("{s:I,s:I,s:I}", "t", (json_int_t)s->t, "users",
                                              (json_int_t)s->users, "messages_per_minute",
                                              (json_int_t)s->messages_per_minute));
    }
    json_t *o =
        json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o}", "group", g->name, "t",
                  (json_int_t)app_now_ms(), "users", (json_int_t)users, "lurkers",
                  (json_int_t)lurkers, "sessions", (json_int_t)cs.sessions, "messages_per_minute",
                  (json_int_t)mpm, "rooms", rooms, "slow_readers_dropped",
                  (json_int_t)server_stats(app->server)->slow_dropped, "history", hist);
    http_respond_json(r, 200, o);
}
