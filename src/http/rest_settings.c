/* The admin API of a chat group's own settings (docs/PROTOCOL.md, "Group settings"):
 * /api/v1/admin/words, the moderated word list, and /api/v1/admin/settings, the guest switch and
 * default rights. Each group has its own; the request's group is the one changed. */
#include <string.h>

#include "group.h"
#include "http/rest.h"
#include "proto/json/json_proto.h"

void rest_settings(const http_request_t *r)
{
    group_t *g = http_group(r);
    const char *m = r->method_name;
    if (strcmp(m, "GET") != 0 && strcmp(m, "PATCH") != 0) {
        rest_not_allowed(r, "GET, PATCH");
        return;
    }
    if (!rest_require_admin(r))
        return;
    if (strcmp(m, "PATCH") == 0) {
        bool admitted = group_allow_guests(g);
        json_error_t jerr;
        json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
        int rc = group_patch_settings(g, body);
        json_decref(body);
        if (rc == GROUP_ESETTINGS) {
            http_respond_error(r, 400, "bad_request", group_strerror(rc));
            return;
        }
        if (rc < 0) {
            rest_group_error(r, rc);
            return;
        }
        if (admitted && !group_allow_guests(g))
            json_ws_close_guests(g, 1008, "guests are no longer admitted: log in");
    }
    http_respond_json(r, 200, group_settings_json(g));
}

void rest_words(const http_request_t *r)
{
    group_t *g = http_group(r);
    const char *m = r->method_name;
    if (strcmp(m, "GET") != 0 && strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0) {
        rest_not_allowed(r, "GET, PUT, DELETE");
        return;
    }
    if (!rest_require_admin(r))
        return;
    int rc = 0;
    if (strcmp(m, "PUT") == 0) {
        json_error_t jerr;
        json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
        json_t *words = json_object_get(body, "words");
        rc = json_is_object(body) && words ? group_set_words(g, words) : GROUP_EWORDS;
        json_decref(body);
    } else if (strcmp(m, "DELETE") == 0) {
        rc = group_set_words(g, NULL);
    }
    if (rc == GROUP_EWORDS)
        http_respond_error(r, 400, "bad_request",
                           "body must be {\"words\": [string…]}: at most 10000 words of 1 to 200 "
                           "bytes, no U+0000");
    else if (rc < 0)
        rest_group_error(r, rc);
    else
        http_respond_json(r, 200, group_words_json(g));
}
