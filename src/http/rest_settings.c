/* The admin API of a chat group's own settings: /api/v1/admin/words, the moderated word list
 * (docs/PROTOCOL.md, "Group settings"). Each group has its own; the request's group is the one
 * changed. */
#include <string.h>

#include "group.h"
#include "http/rest.h"

void rest_words(const http_request_t *r)
{
    group_t *g = http_group(r);
    const char *m = r->method_name;
    if (strcmp(m, "GET") != 0 && strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0) {
        http_respond(r, 405, "text/plain", "method not allowed\n", 19,
                     "Allow: GET, PUT, DELETE\r\n", false);
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
