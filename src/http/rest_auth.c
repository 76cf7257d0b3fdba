/* The accounts REST API: /api/v1/auth/{register,login,logout,me,password,validate,resend} and the
 * sysop's /api/v1/admin/banned (docs/PROTOCOL.md, "Accounts").
 *
 * Operations that hash (register, login, password) answer later: the handler passes an answer_t
 * to the auth service and keeps the request pending with http_later(); the answer goes out when
 * the service reports, unless the client has gone. Every handler reaches the accounts service
 * through rest_auth(), the one place that knows where a request's service lives. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "group.h"
#include "http/rest.h"
#include "util/xmalloc.h"

#define TOKEN_MAX 128

typedef enum { ANSWER_REGISTER, ANSWER_LOGIN, ANSWER_PASSWORD } answer_kind_t;

typedef struct answer {
    answer_kind_t kind;
    http_later_t *later;
} answer_t;

/* The accounts service that answers r: its chat group's. */
static auth_t *rest_auth(const http_request_t *r)
{
    return http_group(r)->auth;
}

static bool is(const http_request_t *r, const char *method)
{
    return strcmp(r->method_name, method) == 0;
}

/* The Bearer token of r into out, or false. */
static bool bearer(const http_request_t *r, char out[TOKEN_MAX])
{
    const char *v = http_header(r, "Authorization");
    if (v == NULL || strncmp(v, "Bearer ", 7) != 0 || strlen(v + 7) >= TOKEN_MAX)
        return false;
    strcpy(out, v + 7);
    return true;
}

json_t *rest_account_json(const store_account_t *a)
{
    return json_pack("{s:s,s:s?,s:s,s:b,s:s?,s:I,s:b}", "name", a->name, "email", a->email, "class",
                     auth_class_name(a->cls), "sysop", a->sysop, "colour", a->colour, "created",
                     (json_int_t)a->created_ms, "must_change_password", a->must_change);
}

static void respond_err(const http_request_t *r, int err, int retry_after)
{
    char extra[64] = "";
    if (err == AUTH_EUNAUTHORIZED)
        snprintf(extra, sizeof extra, "WWW-Authenticate: Bearer\r\n");
    else if (err == AUTH_ETOOMANY)
        snprintf(extra, sizeof extra, "Retry-After: %d\r\n", retry_after > 0 ? retry_after : 1);
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", auth_err_code(err), "message",
                          auth_err_message(err));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_respond(r, auth_err_status(err), "application/json", s, strlen(s), extra, false);
    free(s);
}

static void bad_body(const http_request_t *r, const char *what)
{
    http_respond_error(r, 400, "bad_request", what);
}

/* The request's JSON object, or NULL after answering 400. Strings named in keys must be there. */
static json_t *body_object(const http_request_t *r, const char *const *keys, const char *what)
{
    json_error_t jerr;
    json_t *o = json_loadb(r->body, r->body_len, 0, &jerr);
    bool ok = json_is_object(o);
    for (size_t i = 0; ok && keys[i]; i++) {
        json_t *v = json_object_get(o, keys[i]);
        ok = json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
    }
    if (!ok) {
        json_decref(o);
        bad_body(r, what);
        return NULL;
    }
    return o;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static size_t len(json_t *o, const char *key)
{
    return json_string_length(json_object_get(o, key));
}

static void on_done(void *ud, int status, const auth_result_t *res)
{
    answer_t *ans = ud;
    const http_request_t *r = http_later_request(ans->later);
    if (r && status < 0) {
        respond_err(r, status, res->retry_after_s);
    } else if (r && ans->kind == ANSWER_LOGIN) {
        http_respond_json(r, 200,
                          json_pack("{s:s,s:I,s:o}", "token", res->token, "expires",
                                    (json_int_t)res->expires_ms, "account",
                                    rest_account_json(res->account)));
    } else if (r) {
        http_respond_json(r, ans->kind == ANSWER_REGISTER ? 201 : 200,
                          json_pack("{s:o}", "account", rest_account_json(res->account)));
    }
    http_later_end(ans->later);
    free(ans);
}

/* Keeps r pending for ans, or answers rc at once. */
static void pending_or_error(const http_request_t *r, answer_t *ans, int rc)
{
    if (rc < 0) {
        free(ans);
        respond_err(r, rc, 0);
        return;
    }
    ans->later = http_later(r);
}

static answer_t *answer_new(answer_kind_t kind)
{
    answer_t *ans = xcalloc(1, sizeof *ans);
    ans->kind = kind;
    return ans;
}

static void post_register(const http_request_t *r)
{
    static const char *const keys[] = {"name", "email", "password", NULL};
    json_t *b = body_object(r, keys, "body must be {\"name\", \"email\", \"password\"} (strings)");
    if (b == NULL)
        return;
    answer_t *ans = answer_new(ANSWER_REGISTER);
    int rc = auth_register(rest_auth(r), str(b, "name"), str(b, "email"), str(b, "password"),
                           len(b, "password"), on_done, ans);
    pending_or_error(r, ans, rc);
    json_decref(b);
}

/* The client's address without the port, for the brute-force count and the log. */
static void client_addr(const http_request_t *r, char *out, size_t outlen)
{
    conn_peer(http_conn(r), out, outlen);
    char *colon = strrchr(out, ':');
    if (colon)
        *colon = '\0';
}

static void post_login(const http_request_t *r)
{
    static const char *const keys[] = {"name", "password", NULL};
    json_t *b = body_object(r, keys, "body must be {\"name\", \"password\"} (strings)");
    if (b == NULL)
        return;
    char addr[64];
    client_addr(r, addr, sizeof addr);
    answer_t *ans = answer_new(ANSWER_LOGIN);
    int rc = auth_login(rest_auth(r), str(b, "name"), str(b, "password"), len(b, "password"), addr,
                        on_done, ans);
    pending_or_error(r, ans, rc);
    json_decref(b);
}

static void post_password(const http_request_t *r, const char *token)
{
    static const char *const keys[] = {"old", "new", NULL};
    json_t *b = body_object(r, keys, "body must be {\"old\", \"new\"} (strings)");
    if (b == NULL)
        return;
    answer_t *ans = answer_new(ANSWER_PASSWORD);
    int rc = auth_password(rest_auth(r), token, str(b, "old"), len(b, "old"), str(b, "new"),
                           len(b, "new"), on_done, ans);
    pending_or_error(r, ans, rc);
    json_decref(b);
}

static void account_answer(const http_request_t *r, int rc, store_account_t *acc)
{
    if (rc < 0)
        respond_err(r, rc, 0);
    else
        http_respond_json(r, 200, json_pack("{s:o}", "account", rest_account_json(acc)));
    store_account_deinit(acc);
}

static void html_page(const http_request_t *r, int status, const char *title, const char *text)
{
    char page[1024];
    int n = snprintf(page, sizeof page,
                     "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>"
                     "<body><h1>%s</h1><p>%s</p><p><a href=\"/\">Go to the chat</a></p></body>"
                     "</html>\n",
                     title, title, text);
    http_respond(r, status, "text/html; charset=utf-8", page, (size_t)n, NULL, false);
}

/* GET validate?token=...: the link in the mail, opened in a browser. */
static void get_validate(const http_request_t *r)
{
    char link[TOKEN_MAX] = "";
    store_account_t acc = {0};
    rest_query_get(r->query, "token", link, sizeof link);
    int rc = auth_validate_link(rest_auth(r), link, &acc);
    if (rc == 0 || rc == AUTH_EVALIDATED)
        html_page(r, 200, "Your account is validated",
                  "You can now log in and chat with full rights.");
    else if (rc == AUTH_EBADCODE)
        html_page(r, 400, "This link does not work",
                  "The validation link is wrong, already used or expired. Log in and ask for a "
                  "new mail.");
    else
        html_page(r, auth_err_status(rc), "Something went wrong", auth_err_message(rc));
    store_account_deinit(&acc);
}

static void post_validate(const http_request_t *r, const char *token)
{
    static const char *const keys[] = {"code", NULL};
    store_account_t acc = {0};
    json_t *b = body_object(r, keys, "body must be {\"code\"} (a string of 6 digits)");
    if (b == NULL)
        return;
    int rc = auth_validate_code(rest_auth(r), token, str(b, "code"), &acc);
    json_decref(b);
    account_answer(r, rc, &acc);
}

void rest_auth_handle(const http_request_t *r)
{
    const char *what = r->path + strlen("/api/v1/auth/");
    char token[TOKEN_MAX];
    bool has_token = bearer(r, token);
    auth_t *a = rest_auth(r);
    const char *method = strcmp(what, "me") == 0         ? "GET"
                         : strcmp(what, "validate") == 0 ? (is(r, "GET") ? "GET" : "POST")
                                                         : "POST";
    static const char *const known[] = {"register", "login",    "logout", "me",
                                        "password", "validate", "resend", NULL};
    bool found = false;
    for (size_t i = 0; known[i]; i++)
        found |= strcmp(what, known[i]) == 0;
    if (!found) {
        http_respond_error(r, 404, "not_found", "no such resource");
        return;
    }
    if (!is(r, method)) {
        rest_not_allowed(r, strcmp(what, "validate") == 0 ? "GET, POST" : method);
        return;
    }
    if (strcmp(what, "register") == 0) {
        post_register(r);
    } else if (strcmp(what, "login") == 0) {
        post_login(r);
    } else if (strcmp(what, "validate") == 0 && is(r, "GET")) {
        get_validate(r);
    } else if (!has_token) {
        respond_err(r, AUTH_EUNAUTHORIZED, 0);
    } else if (strcmp(what, "logout") == 0) {
        int rc = auth_logout(a, token);
        if (rc < 0)
            respond_err(r, rc, 0);
        else
            http_respond_json(r, 200, json_object());
    } else if (strcmp(what, "me") == 0) {
        store_account_t acc;
        account_answer(r, auth_token_account(a, token, &acc), &acc);
    } else if (strcmp(what, "password") == 0) {
        post_password(r, token);
    } else if (strcmp(what, "validate") == 0) {
        post_validate(r, token);
    } else {
        int rc = auth_resend(a, token);
        if (rc < 0)
            respond_err(r, rc, 0);
        else
            http_respond_json(r, 200, json_object());
    }
}

bool rest_has_account(const http_request_t *r)
{
    char token[TOKEN_MAX];
    store_account_t acc;
    if (!bearer(r, token) || auth_token_account(rest_auth(r), token, &acc) < 0)
        return false;
    store_account_deinit(&acc);
    return true;
}

bool rest_account(const http_request_t *r, store_account_t *out)
{
    char token[TOKEN_MAX];
    return bearer(r, token) && auth_token_account(rest_auth(r), token, out) == 0;
}

bool rest_sysop(const http_request_t *r)
{
    char token[TOKEN_MAX];
    if (!bearer(r, token))
        return false;
    const char *admin = http_app(r)->cfg->admin_token;
    size_t al = admin ? strlen(admin) : 0;
    if (al > 0 && strlen(token) == al && CRYPTO_memcmp(token, admin, al) == 0)
        return true;
    store_account_t acc;
    if (auth_token_account(rest_auth(r), token, &acc) < 0)
        return false;
    bool ok = acc.sysop && acc.cls == 2 && !acc.must_change;
    store_account_deinit(&acc);
    return ok;
}

static void add_pattern(void *ud, const char *pattern)
{
    json_array_append_new(ud, json_string(pattern));
}

/* /api/v1/admin/banned: GET the list, POST {"pattern"} to add, DELETE {"pattern"} to remove. */
void rest_banned_handle(const http_request_t *r)
{
    auth_t *a = rest_auth(r);
    if (strcmp(r->path, "/api/v1/admin/banned") != 0) {
        http_respond_error(r, 404, "not_found", "no such resource");
        return;
    }
    if (!is(r, "GET") && !is(r, "POST") && !is(r, "DELETE")) {
        rest_not_allowed(r, "GET, POST, DELETE");
        return;
    }
    if (!rest_sysop(r)) {
        if (rest_has_account(r))
            http_respond_error(r, 403, "forbidden", "this needs a sysop");
        else
            respond_err(r, AUTH_EUNAUTHORIZED, 0);
        return;
    }
    int rc = 0;
    if (is(r, "GET")) {
        json_t *list = json_array();
        rc = auth_banned(a, add_pattern, list);
        if (rc == 0)
            http_respond_json(r, 200, json_pack("{s:o}", "banned", list));
        else
            json_decref(list);
    } else {
        static const char *const keys[] = {"pattern", NULL};
        json_t *b =
            body_object(r, keys, "body must be {\"pattern\": \"user@domain\" or \"domain\"}");
        if (b == NULL)
            return;
        rc = is(r, "POST") ? auth_ban(a, str(b, "pattern")) : auth_unban(a, str(b, "pattern"));
        if (rc == 0)
            http_respond_json(r, is(r, "POST") ? 201 : 200,
                              json_pack("{s:s}", "pattern", str(b, "pattern")));
        json_decref(b);
    }
    if (rc < 0)
        respond_err(r, rc, 0);
}
