/* The admin API of chat groups: /api/v1/admin/groups (docs/PROTOCOL.md, "Chat groups"). Only the
 * default group's administrators (its sysops, or the admin_token) manage groups: under another
 * group's prefix or host the resource does not exist. */
#include <string.h>

#include "group.h"
#include "http/rest.h"

/* Reads {"title": string?, "hosts": [string]?} of a POST or PATCH body into the out arguments
 * (hosts borrowed from *body, at most GROUP_MAX_HOSTS + 1 so that too many is noticed). */
static bool parse_body(const http_request_t *r, json_t **body, const char **name,
                       const char **title, const char **hosts, size_t *nhosts, bool *has_hosts)
{
    json_error_t jerr;
    *body = json_loadb(r->body, r->body_len, 0, &jerr);
    json_t *n = json_object_get(*body, "name"), *t = json_object_get(*body, "title");
    json_t *h = json_object_get(*body, "hosts");
    if (!json_is_object(*body) || (n && !json_is_string(n)) || (t && !json_is_string(t)) ||
        (h && !json_is_array(h)))
        return false;
    *name = n ? json_string_value(n) : NULL;
    *title = t ? json_string_value(t) : NULL;
    *has_hosts = h != NULL;
    *nhosts = 0;
    size_t i;
    json_t *e;
    json_array_foreach(h, i, e)
    {
        if (!json_is_string(e))
            return false;
        if (*nhosts <= GROUP_MAX_HOSTS)
            hosts[(*nhosts)++] = json_string_value(e);
    }
    return true;
}

static void list_groups(const http_request_t *r)
{
    json_t *a = json_array();
    list_foreach(it, &http_app(r)->groups)
    {
        json_array_append_new(a, group_json(list_entry(it, group_t, link)));
    }
    http_respond_json(r, 200, json_pack("{s:o}", "groups", a));
}

static void create_group(const http_request_t *r)
{
    json_t *body;
    const char *name, *title, *hosts[GROUP_MAX_HOSTS + 1];
    size_t nhosts;
    bool has_hosts;
    if (!parse_body(r, &body, &name, &title, hosts, &nhosts, &has_hosts) || name == NULL) {
        json_decref(body);
        http_respond_error(r, 400, "bad_request",
                           "body must be a JSON object with string name (and optional string "
                           "title, array of strings hosts)");
        return;
    }
    group_spec_t spec = {.name = name, .title = title, .hosts = hosts, .nhosts = nhosts};
    group_t *g;
    int rc = group_create(http_app(r), &spec, &g);
    json_decref(body);
    if (rc < 0)
        rest_group_error(r, rc);
    else
        http_respond_json(r, 201, json_pack("{s:o}", "group", group_json(g)));
}

static void update_group(const http_request_t *r, group_t *g)
{
    json_t *body;
    const char *name, *title, *hosts[GROUP_MAX_HOSTS + 1];
    size_t nhosts;
    bool has_hosts;
    if (!parse_body(r, &body, &name, &title, hosts, &nhosts, &has_hosts) ||
        (name && strcmp(name, g->name) != 0)) {
        json_decref(body);
        http_respond_error(r, 400, "bad_request",
                           "body must be a JSON object with optional string title and array of "
                           "strings hosts (a group cannot be renamed)");
        return;
    }
    int rc = has_hosts ? group_update(g, title, hosts, nhosts)
                       : group_update(g, title, (const char *const *)g->hosts, g->nhosts);
    json_decref(body);
    if (rc < 0)
        rest_group_error(r, rc);
    else
        http_respond_json(r, 200, json_pack("{s:o}", "group", group_json(g)));
}

void rest_groups(const http_request_t *r, const char *sub)
{
    app_t *app = http_app(r);
    const char *m = r->method_name;
    if (http_group(r) != group_default(app)) {
        http_respond_error(r, 404, "not_found", "no such resource");
        return;
    }
    if (!rest_require_admin(r))
        return;
    if (sub[0] == '\0' || strcmp(sub, "/") == 0) {
        if (strcmp(m, "GET") == 0)
            list_groups(r);
        else if (strcmp(m, "POST") == 0)
            create_group(r);
        else
            rest_not_allowed(r, "GET, POST");
        return;
    }
    group_t *g = strchr(sub + 1, '/') ? NULL : group_find(app, sub + 1);
    if (g == NULL) {
        http_respond_error(r, 404, "no_such_group", "no such chat group");
        return;
    }
    if (strcmp(m, "GET") == 0) {
        http_respond_json(r, 200, json_pack("{s:o}", "group", group_json(g)));
    } else if (strcmp(m, "PATCH") == 0) {
        update_group(r, g);
    } else if (strcmp(m, "DELETE") == 0) {
        int rc = group_delete(g);
        if (rc < 0)
            rest_group_error(r, rc);
        else
            http_respond(r, 204, NULL, NULL, 0, NULL, false);
    } else {
        rest_not_allowed(r, "GET, PATCH, DELETE");
    }
}
