/* Hosted events over REST (docs/PROTOCOL.md, "Hosted events"): the admin API under
 * /api/v1/admin/events (create, list, read, change, end, delete) and the public list
 * /api/v1/events, for the request's chat group. The core does the work (core/event.c). */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "http/rest.h"
#include "proto/json/json_proto.h"
#include "util/xmalloc.h"

static bool is(const http_request_t *r, const char *m)
{
    return strcmp(r->method_name, m) == 0;
}

static void add_account(void *ud, const char *account)
{
    json_array_append_new(ud, json_string(account));
}

/* The full event object of the admin API. */
static json_t *event_full(const event_t *e)
{
    json_t *o = json_event_summary(e, NULL);
    static const char *const lists[CORE_EVENT_NLISTS] = {"hosts", "speakers", "monitors"};
    for (int i = 0; i < CORE_EVENT_NLISTS; i++) {
        json_t *a = json_array();
        event_list_foreach(e, i, add_account, a);
        json_object_set_new(o, lists[i], a);
    }
    json_t *tables = json_array();
    for (table_t *t = room_table_first(event_audience(e)); t; t = room_table_next(t))
        json_array_append_new(tables, json_table_summary(t));
    json_object_set_new(o, "moderated", json_boolean(event_moderated(e)));
    json_object_set_new(o, "users", json_integer(event_users(e)));
    json_object_set_new(o, "audience_tables", tables);
    return o;
}

/* An optional time member: absent (*set false), null (0) or a positive integer (ms). */
static int opt_ms(json_t *body, const char *name, bool *set, int64_t *out)
{
    json_t *v = json_object_get(body, name);
    *set = v != NULL;
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return CORE_EEVENTSPEC;
    *out = json_integer_value(v);
    return 0;
}

/* An optional list of account names: absent (*set false) or an array of strings. *out (free it)
 * borrows the strings from body. */
static int opt_list(json_t *body, const char *name, bool *set, const char ***out, size_t *n)
{
    json_t *v = json_object_get(body, name);
    *set = v != NULL;
    *out = NULL;
    *n = 0;
    if (v == NULL)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > CORE_GROUP_MAX)
        return CORE_EBADACL;
    *out = xcalloc(json_array_size(v) + 1, sizeof(**out));
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
            return CORE_EBADACL;
        (*out)[(*n)++] = json_string_value(json_array_get(v, i));
    }
    return 0;
}

/* Reads the settings of an event body (create: name too) into ed. Lists are freed by
 * edit_free. */
static int event_body(json_t *body, const char **name, core_event_edit_t *ed)
{
    static const char *const lists[CORE_EVENT_NLISTS] = {"hosts", "speakers", "monitors"};
    json_t *cap = json_object_get(body, "audience_capacity");
    json_t *mod = json_object_get(body, "moderated");
    json_t *title = json_object_get(body, "title");
    *ed = (core_event_edit_t){.moderated = -1};
    if ((name && json_arg_str(body, "name", name) < 0) ||
        (title && json_arg_str(body, "title", &ed->title) < 0) || (cap && !json_is_integer(cap)) ||
        (mod && !json_is_boolean(mod)))
        return CORE_EEVENTSPEC;
    if (cap && (json_integer_value(cap) < 1 || json_integer_value(cap) > 10000))
        return CORE_EEVENTSPEC;
    ed->audience_capacity = cap ? (int)json_integer_value(cap) : 0;
    ed->moderated = mod ? json_is_true(mod) : -1;
    int rc = opt_ms(body, "opens", &ed->set_opens, &ed->opens);
    if (rc == 0)
        rc = opt_ms(body, "closes", &ed->set_closes, &ed->closes);
    for (int i = 0; i < CORE_EVENT_NLISTS && rc == 0; i++)
        rc = opt_list(body, lists[i], &ed->set_list[i], (const char ***)&ed->lists[i],
                      &ed->nlists[i]);
    return rc;
}

static void edit_free(core_event_edit_t *ed)
{
    for (int i = 0; i < CORE_EVENT_NLISTS; i++)
        free((void *)ed->lists[i]);
}

static void add_full(void *ud, event_t *e)
{
    json_array_append_new(ud, event_full(e));
}

static void create(const http_request_t *r, core_t *c)
{
    json_t *body = rest_body_object(r);
    if (body == NULL)
        return;
    const char *name = NULL;
    core_event_edit_t ed;
    event_t *e = NULL;
    int rc = event_body(body, &name, &ed);
    if (rc == 0) {
        core_event_spec_t spec = {
            .name = name,
            .title = ed.title,
            .opens = ed.opens,
            .closes = ed.closes,
            .audience_capacity = ed.audience_capacity,
            .moderated = ed.moderated == 1,
        };
        for (int i = 0; i < CORE_EVENT_NLISTS; i++) {
            spec.lists[i] = ed.lists[i];
            spec.nlists[i] = ed.nlists[i];
        }
        rc = core_event_create(c, &spec, &e);
    }
    if (rc < 0)
        rest_core_error(r, rc);
    else
        http_respond_json(r, 201, json_pack("{s:o}", "event", event_full(e)));
    edit_free(&ed);
    json_decref(body);
}

static void patch(const http_request_t *r, core_t *c, event_t *e)
{
    json_t *body = rest_body_object(r);
    if (body == NULL)
        return;
    core_event_edit_t ed;
    int rc = event_body(body, NULL, &ed);
    if (rc == 0)
        rc = core_event_update(c, e, &ed);
    if (rc < 0)
        rest_core_error(r, rc);
    else
        http_respond_json(r, 200, json_pack("{s:o}", "event", event_full(e)));
    edit_free(&ed);
    json_decref(body);
}

void rest_events_admin(const http_request_t *r, const char *rest)
{
    core_t *c = http_group(r)->core;
    if (rest[0] == '\0') {
        if (is(r, "GET")) {
            json_t *a = json_array();
            core_events_foreach(c, add_full, a);
            http_respond_json(r, 200, json_pack("{s:o}", "events", a));
        } else if (is(r, "POST")) {
            create(r, c);
        } else {
            rest_not_allowed(r, "GET, POST");
        }
        return;
    }
    char name[CORE_EVENT_NAME_MAX + 2];
    const char *p = rest + 1, *slash = strchr(p, '/');
    size_t nl = slash ? (size_t)(slash - p) : strlen(p);
    bool end = slash && strcmp(slash, "/end") == 0;
    if (nl == 0 || nl >= sizeof(name) || (slash && !end)) {
        http_respond_error(r, 404, slash ? "not_found" : "no_such_event",
                           slash ? "no such resource" : "no such event");
        return;
    }
    memcpy(name, p, nl);
    name[nl] = '\0';
    event_t *e = core_event_find(c, name);
    if (end ? !is(r, "POST") : !(is(r, "GET") || is(r, "PATCH") || is(r, "DELETE"))) {
        rest_not_allowed(r, end ? "POST" : "GET, PATCH, DELETE");
        return;
    }
    if (e == NULL) {
        rest_core_error(r, CORE_ENOEVENT);
        return;
    }
    int rc = 0;
    if (end) {
        rc = core_event_end(c, e, "ended by admin");
    } else if (is(r, "PATCH")) {
        patch(r, c, e);
        return;
    } else if (is(r, "DELETE")) {
        rc = core_event_delete(c, e);
        if (rc == 0) {
            http_respond_json(r, 200, json_pack("{s:s}", "deleted", name));
            return;
        }
    }
    if (rc < 0)
        rest_core_error(r, rc);
    else
        http_respond_json(r, 200, json_pack("{s:o}", "event", event_full(e)));
}

static void add_public(void *ud, event_t *e)
{
    if (event_state(e) != CORE_EVENT_ENDED)
        json_array_append_new(ud, json_event_summary(e, NULL));
}

void rest_events_public(const http_request_t *r)
{
    if (!is(r, "GET")) {
        rest_not_allowed(r, "GET");
        return;
    }
    json_t *a = json_array();
    core_events_foreach(http_group(r)->core, add_public, a);
    http_respond_json(r, 200, json_pack("{s:o}", "events", a));
}
