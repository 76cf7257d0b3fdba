/* The admin REST API of a chat group's access control under /api/v1/admin/ (docs/PROTOCOL.md,
 * "Admin API"): folders, rooms, access lists, user groups and bans of the request's group. Every
 * endpoint is guarded by admin_ok(); the core does the work and its error codes map to HTTP
 * statuses in one place (respond_core). */
#include "http/rest.h"

#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "proto/json/json_proto.h"
#include "util/xmalloc.h"

#define PREFIX "/api/v1/admin"

/* Who may use the admin API: a sysop of the group or the bearer of admin_token. rest_require_admin
 * answers a refusal itself (403 for a non-sysop account or without admin_token, 401 for a missing
 * or wrong token). */
static bool admin_ok(const http_request_t *r)
{
    return rest_require_admin(r);
}

static bool is(const http_request_t *r, const char *m)
{
    return strcmp(r->method_name, m) == 0;
}

void rest_core_error(const http_request_t *r, int err)
{
    int status;
    switch (err) {
    case CORE_ENOROOM:
    case CORE_ENOFOLDER:
    case CORE_ENOGROUP:
    case CORE_ENOBAN:
    case CORE_ENOEVENT:
    case CORE_ENOTABLE: status = 404; break;
    case CORE_EROOMEXISTS:
    case CORE_EFOLDEREXISTS:
    case CORE_EEVENTEXISTS:
    case CORE_EEVENTENDED:
    case CORE_ENOTEMPTY: status = 409; break;
    case CORE_EFORBIDDEN: status = 403; break;
    case CORE_ESTORE:
    case CORE_EINTERNAL: status = 500; break;
    default: status = 400; break;
    }
    http_respond_error(r, status, core_err_code(err), core_err_message(err));
}

static void bad_request(const http_request_t *r, const char *message)
{
    http_respond_error(r, 400, "bad_request", message);
}

/* The body as a JSON object (new reference), or NULL after answering 400. */
json_t *rest_body_object(const http_request_t *r)
{
    json_error_t jerr;
    json_t *o = json_loadb(r->body ? r->body : "", r->body_len, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        bad_request(r, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

/* An optional string member: 0 (absent: *out NULL), or -1 for another type or an embedded NUL. */
static int opt_str(json_t *o, const char *name, const char **out)
{
    *out = NULL;
    return json_object_get(o, name) == NULL ? 0 : json_arg_str(o, name, out);
}

/* ---- folders ---- */

static void add_room_summary(void *ud, room_t *room)
{
    json_array_append_new(ud, json_room_summary(room));
}

static void add_folder(void *ud, folder_t *f)
{
    json_t *byp = ud; /* path -> folder object, borrowed from the tree */
    json_t *rooms = json_array();
    folder_rooms_foreach(f, add_room_summary, rooms);
    json_t *o =
        json_pack("{s:s,s:o,s:o}", "path", folder_path(f), "rooms", rooms, "folders", json_array());
    const char *path = folder_path(f);
    const char *slash = strrchr(path, '/');
    if (strcmp(path, "/") != 0) {
        char parent[512];
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        snprintf(parent, sizeof(parent), "%.*s", (int)n, path);
        json_t *p = json_object_get(byp, parent);
        if (p)
            json_array_append(json_object_get(p, "folders"), o);
    }
    json_object_set_new(byp, path, o);
}

static void folders(const http_request_t *r, const char *rest)
{
    core_t *core = http_group(r)->core;
    if (rest[0] == '\0' && is(r, "GET")) {
        json_t *byp = json_object();
        core_folders_foreach(core, add_folder, byp); /* parents before children */
        json_t *root = json_incref(json_object_get(byp, "/"));
        json_decref(byp);
        http_respond_json(r, 200, json_pack("{s:o}", "folder", root));
    } else if (rest[0] == '\0' && is(r, "POST")) {
        json_t *body = rest_body_object(r);
        const char *path;
        if (body == NULL)
            return;
        int rc = json_arg_str(body, "path", &path) < 0 ? CORE_EFOLDERNAME
                                                       : core_folder_create(core, path);
        if (rc < 0)
            rest_core_error(r, rc);
        else
            http_respond_json(r, 201, json_pack("{s:{s:s}}", "folder", "path", path));
        json_decref(body);
    } else if (rest[0] == '/' && is(r, "PATCH")) {
        json_t *body = rest_body_object(r);
        const char *to;
        if (body == NULL)
            return;
        int rc = json_arg_str(body, "path", &to) < 0 ? CORE_EFOLDERNAME
                                                     : core_folder_rename(core, rest, to);
        if (rc < 0)
            rest_core_error(r, rc);
        else
            http_respond_json(r, 200, json_pack("{s:{s:s}}", "folder", "path", to));
        json_decref(body);
    } else if (rest[0] == '/' && is(r, "DELETE")) {
        int rc = core_folder_delete(core, rest);
        if (rc < 0)
            rest_core_error(r, rc);
        else
            http_respond_json(r, 200, json_pack("{s:s}", "deleted", rest));
    } else {
        rest_not_allowed(r, rest[0] ? "PATCH, DELETE" : "GET, POST");
    }
}

/* ---- rooms ---- */

/* Reads the settings members of a room body into e (and, for a new room, name into *name). */
static int room_body(json_t *body, core_room_edit_t *e, const char **name)
{
    json_t *cap = json_object_get(body, "capacity"), *mod = json_object_get(body, "moderated");
    *e = (core_room_edit_t){.moderated = -1};
    if ((name && json_arg_str(body, "name", name) < 0) || opt_str(body, "title", &e->title) < 0 ||
        opt_str(body, "topic", &e->topic) < 0 || opt_str(body, "folder", &e->folder) < 0 ||
        (cap && !json_is_integer(cap)) || (mod && !json_is_boolean(mod)))
        return CORE_EBADREQ;
    if (cap) {
        json_int_t c = json_integer_value(cap);
        if (c < 1 || c > 10000)
            return CORE_ECAPACITY;
        e->capacity = (int)c;
    }
    if (mod)
        e->moderated = json_is_true(mod);
    return 0;
}

static void rooms(const http_request_t *r, const char *rest)
{
    core_t *c = http_group(r)->core;
    core_room_edit_t e;
    const char *name = NULL;
    room_t *room = rest[0] == '/' ? core_room_find(c, rest + 1) : NULL;
    bool post = rest[0] == '\0' && is(r, "POST");
    if (!post && !(rest[0] == '/' && (is(r, "PATCH") || is(r, "DELETE")))) {
        rest_not_allowed(r, rest[0] ? "PATCH, DELETE" : "POST");
        return;
    }
    if (!post && room == NULL) {
        rest_core_error(r, CORE_ENOROOM);
        return;
    }
    if (is(r, "DELETE")) {
        int rc = core_room_delete(c, room);
        if (rc < 0)
            rest_core_error(r, rc);
        else
            http_respond_json(r, 200, json_pack("{s:s}", "deleted", rest + 1));
        return;
    }
    json_t *body = rest_body_object(r);
    if (body == NULL)
        return;
    int rc = room_body(body, &e, post ? &name : NULL);
    if (rc == 0 && post) {
        room_spec_t spec = {
            .name = name,
            .folder = e.folder,
            .title = e.title,
            .topic = e.topic,
            .capacity = e.capacity,
            .moderated = e.moderated == 1,
        };
        rc = core_room_create(c, &spec, false, &room);
    } else if (rc == 0) {
        rc = core_room_update(c, room, &e);
    }
    json_decref(body);
    if (rc < 0)
        rest_core_error(r, rc);
    else
        http_respond_json(r, post ? 201 : 200, json_pack("{s:o}", "room", json_room_summary(room)));
}

/* ---- access lists ---- */

static void add_entry(void *ud, const core_acl_entry_t *e)
{
    static const char *const who[] = {"user", "group", "registered", "guests"};
    json_t *o = json_pack("{s:s,s:s}", "who", who[e->who], "right", core_right_name(e->right));
    if (e->name)
        json_object_set_new(o, "name", json_string(e->name));
    json_array_append_new(ud, o);
}

/* Parses {"acl": [entries] | null}; *n = 0 for null or absent. Names are borrowed from body. */
static int parse_acl(json_t *body, core_acl_entry_t **out, size_t *n)
{
    static const char *const who[] = {"user", "group", "registered", "guests"};
    json_t *a = json_object_get(body, "acl");
    *out = NULL;
    *n = 0;
    if (a == NULL || json_is_null(a))
        return 0;
    if (!json_is_array(a) || json_array_size(a) > CORE_ACL_MAX)
        return CORE_EBADACL;
    *out = xcalloc(json_array_size(a) + 1, sizeof(**out));
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        const char *w, *right, *name;
        core_acl_entry_t *e = &(*out)[i];
        if (!json_is_object(o) || json_arg_str(o, "who", &w) < 0 ||
            json_arg_str(o, "right", &right) < 0 || opt_str(o, "name", &name) < 0 ||
            core_right_parse(right, &e->right) < 0)
            return CORE_EBADACL;
        int k = 0;
        while (k < 4 && strcmp(who[k], w) != 0)
            k++;
        if (k == 4)
            return CORE_EBADACL;
        e->who = (core_who_t)k;
        e->name = name;
        (*n)++;
    }
    return 0;
}

static void acl(const http_request_t *r, const char *rest)
{
    core_t *c = http_group(r)->core;
    core_acl_ref_t ref = {0};
    char room[64];
    const char *tbl;
    if (strncmp(rest, "/folder", 7) == 0 && (rest[7] == '\0' || rest[7] == '/')) {
        ref.folder = rest[7] ? rest + 7 : "/";
    } else if (strncmp(rest, "/room/", 6) == 0) {
        const char *name = rest + 6;
        size_t nl = strcspn(name, "/");
        if (nl == 0 || nl >= sizeof(room)) {
            rest_core_error(r, CORE_ENOROOM);
            return;
        }
        snprintf(room, sizeof(room), "%.*s", (int)nl, name);
        ref.room = room;
        tbl = name + nl;
        if (tbl[0]) {
            char *end;
            unsigned long t = strncmp(tbl, "/table/", 7) == 0 && tbl[7] >= '1' && tbl[7] <= '9'
                                  ? strtoul(tbl + 7, &end, 10)
                                  : 0;
            if (t == 0 || *end != '\0' || t > CORE_MAX_TABLE) {
                http_respond_error(r, 404, "not_found", "no such resource");
                return;
            }
            ref.table = (uint32_t)t;
        }
    } else {
        http_respond_error(r, 404, "not_found", "no such resource");
        return;
    }
    if (!is(r, "GET") && !is(r, "PUT")) {
        rest_not_allowed(r, "GET, PUT");
        return;
    }
    if (is(r, "PUT")) {
        json_t *body = rest_body_object(r);
        core_acl_entry_t *e;
        size_t n;
        if (body == NULL)
            return;
        int rc = parse_acl(body, &e, &n);
        if (rc == 0)
            rc = core_acl_set(c, &ref, e, n);
        free(e);
        json_decref(body);
        if (rc < 0) {
            rest_core_error(r, rc);
            return;
        }
    }
    json_t *list = json_array();
    bool has = false;
    int rc = core_acl_get(c, &ref, add_entry, list, &has);
    if (rc < 0) {
        json_decref(list);
        rest_core_error(r, rc);
        return;
    }
    if (!has) {
        json_decref(list);
        list = json_null();
    }
    json_t *obj = ref.folder ? json_pack("{s:s}", "folder", ref.folder)
                             : json_pack("{s:s,s:o}", "room", ref.room, "table",
                                         ref.table ? json_integer(ref.table) : json_null());
    http_respond_json(r, 200, json_pack("{s:o,s:o}", "object", obj, "acl", list));
}

/* ---- user groups ---- */

static void add_group(void *ud, const char *name, const char *const *members, size_t n)
{
    json_t *m = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(m, json_string(members[i]));
    json_array_append_new(ud, json_pack("{s:s,s:o}", "name", name, "members", m));
}

static void user_groups(const http_request_t *r, const char *rest)
{
    core_t *c = http_group(r)->core;
    if (rest[0] == '\0' && is(r, "GET")) {
        json_t *a = json_array();
        core_groups_foreach(c, add_group, a);
        http_respond_json(r, 200, json_pack("{s:o}", "groups", a));
        return;
    }
    if (rest[0] != '/' || !(is(r, "PUT") || is(r, "DELETE"))) {
        rest_not_allowed(r, rest[0] ? "PUT, DELETE" : "GET");
        return;
    }
    const char *name = rest + 1;
    int rc;
    if (is(r, "DELETE")) {
        rc = core_group_delete(c, name);
    } else {
        json_t *body = rest_body_object(r);
        if (body == NULL)
            return;
        json_t *m = json_object_get(body, "members");
        size_t n = json_array_size(m);
        const char **v = xcalloc(n + 1, sizeof(*v));
        rc = json_is_array(m) ? 0 : CORE_EBADACL;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            json_t *x = json_array_get(m, i);
            if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
                rc = CORE_EBADACL;
            else
                v[i] = json_string_value(x);
        }
        if (rc == 0)
            rc = core_group_set(c, name, v, n);
        free(v);
        json_decref(body);
    }
    if (rc < 0) {
        rest_core_error(r, rc);
        return;
    }
    if (is(r, "DELETE")) {
        http_respond_json(r, 200, json_pack("{s:s}", "deleted", name));
        return;
    }
    json_t *a = json_array();
    core_groups_foreach(c, add_group, a);
    json_t *mine = NULL;
    for (size_t i = 0; i < json_array_size(a) && !mine; i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(a, i), "name")), name) == 0)
            mine = json_incref(json_array_get(a, i));
    json_decref(a);
    http_respond_json(r, 200, json_pack("{s:o}", "group", mine));
}

/* ---- bans ---- */

static void add_ban(void *ud, const core_ban_info_t *b)
{
    json_array_append_new(ud, json_pack("{s:s,s:o,s:s,s:s,s:I,s:s,s:s}", "room", b->room, "table",
                                        b->table ? json_integer(b->table) : json_null(), "who",
                                        b->who, "address_hash", b->addr, "until",
                                        (json_int_t)b->until, "by", b->by, "reason", b->reason));
}

static void bans(const http_request_t *r)
{
    core_t *c = http_group(r)->core;
    if (is(r, "GET")) {
        json_t *a = json_array();
        core_bans_foreach(c, add_ban, a);
        http_respond_json(r, 200, json_pack("{s:o}", "bans", a));
        return;
    }
    if (!is(r, "DELETE")) {
        rest_not_allowed(r, "GET, DELETE");
        return;
    }
    json_t *body = rest_body_object(r);
    if (body == NULL)
        return;
    const char *room, *who;
    json_t *t = json_object_get(body, "table");
    int rc = json_arg_str(body, "room", &room) < 0 || json_arg_str(body, "who", &who) < 0 ||
                     (t && !json_is_null(t) && !json_is_integer(t))
                 ? CORE_EBADREQ
                 : 0;
    json_int_t tn = json_is_integer(t) ? json_integer_value(t) : 0;
    if (rc == 0 && (tn < 0 || tn > CORE_MAX_TABLE))
        rc = CORE_EBADREQ;
    if (rc == 0)
        rc = core_ban_lift(c, room, (uint32_t)tn, who);
    if (rc < 0)
        rest_core_error(r, rc);
    else
        http_respond_json(r, 200,
                          json_pack("{s:s,s:o,s:s}", "room", room, "table",
                                    tn ? json_integer(tn) : json_null(), "who", who));
    json_decref(body);
}

void rest_admin_handle(const http_request_t *r)
{
    if (!admin_ok(r))
        return;
    const char *p = r->path + sizeof(PREFIX) - 1;
    static const struct {
        const char *name;
        void (*fn)(const http_request_t *r, const char *rest);
    } routes[] = {{"/folders", folders},
                  {"/rooms", rooms},
                  {"/acl", acl},
                  {"/user-groups", user_groups},
                  {"/events", rest_events_admin}};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        size_t n = strlen(routes[i].name);
        if (strncmp(p, routes[i].name, n) == 0 && (p[n] == '\0' || p[n] == '/')) {
            routes[i].fn(r, p + n);
            return;
        }
    }
    if (strcmp(p, "/bans") == 0) {
        bans(r);
        return;
    }
    http_respond_error(r, 404, "not_found", "no such resource");
}
