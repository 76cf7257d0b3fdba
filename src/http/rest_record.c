/* The recordings of the request's chat group under /api/v1/admin/recordings (docs/PROTOCOL.md,
 * "Recordings"): list, one recording, export (JSON lines or a text transcript) and delete.
 * Everything needs the admin API's rights (rest_require_admin); an export also takes the session
 * token of an account that is host in the recording's room.
 *
 * Exports read the recording a page at a time and send each page as one HTTP chunk, so no
 * allocation grows with the recording's size. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group.h"
#include "http/rest.h"
#include "proto/json/json_proto.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define EXPORT_PAGE  500         /* messages read at a time */
#define EXPORT_CHUNK (64 * 1024) /* a chunk is sent once a page or this much is built */

static bool is(const http_request_t *r, const char *m)
{
    return strcmp(r->method_name, m) == 0;
}

static void respond_core(const http_request_t *r, int err)
{
    int status = err == CORE_ENOREC ? 404 : err == CORE_EBADREQ ? 400 : 500;
    http_respond_error(r, status, core_err_code(err), core_err_message(err));
}

/* A copy of one recording (core_recording_get hands out borrowed strings). */
typedef struct rec_copy {
    bool found;
    core_recording_t r;
    json_t *json;
} rec_copy_t;

static void copy_rec(void *ud, const core_recording_t *rec)
{
    rec_copy_t *rc = ud;
    rc->found = true;
    rc->json = json_recording(rec);
    rc->r = *rec;
    /* the strings now point into rc->json */
    rc->r.room = json_string_value(json_object_get(rc->json, "room"));
    rc->r.title = json_string_value(json_object_get(rc->json, "title"));
    rc->r.started_by = json_string_value(json_object_get(rc->json, "started_by"));
}

static void add_rec(void *ud, const core_recording_t *rec)
{
    json_array_append_new(ud, json_recording(rec));
}

static void list(const http_request_t *r)
{
    if (!is(r, "GET")) {
        rest_not_allowed(r, "GET");
        return;
    }
    if (!rest_require_admin(r))
        return;
    char room[64];
    bool by_room = rest_query_get(r->query, "room", room, sizeof room);
    json_t *a = json_array();
    int rc = core_recordings_foreach(http_group(r)->core, by_room ? room : NULL, add_rec, a);
    if (rc < 0) {
        json_decref(a);
        respond_core(r, rc);
        return;
    }
    http_respond_json(r, 200, json_pack("{s:o}", "recordings", a));
}

/* Whether the request may export rec: the admin API's rights, or the session token of an account
 * that is host in the recording's room. Answers a refusal itself. */
static bool may_export(const http_request_t *r, const rec_copy_t *rec)
{
    if (rest_sysop(r))
        return true;
    store_account_t acc;
    if (!rest_account(r, &acc))
        return rest_require_admin(r); /* the admin token, or its 401/403 */
    core_t *c = http_group(r)->core;
    room_t *room = core_room_find(c, rec->r.room);
    bool ok = room && core_account_right(c, acc.name, (core_class_t)acc.cls, acc.sysop, room, 0) ==
                          CORE_RIGHT_HOST;
    store_account_deinit(&acc);
    if (!ok)
        http_respond_error(r, 403, "forbidden", "this needs a host of the recording's room");
    return ok;
}

typedef struct export
{
    const http_request_t *r;
    const core_recording_t *rec;
    bool text;
    buf_t b;
    uint32_t last;
}
export_t;

static void flush(export_t *x)
{
    http_chunk(x->r, x->b.base, x->b.len);
    buf_reset(&x->b);
}

/* "hh:mm:ss" (UTC) of ms since the epoch into out[9]. */
static void clock_of(int64_t ms, char out[9])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 9, "%H:%M:%S", &tm);
}

static void date_of(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void export_msg(void *ud, const core_rec_msg_t *m)
{
    export_t *x = ud;
    x->last = m->seq;
    if (!x->text) {
        json_t *o =
            json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:I,s:s%}", "seq", (json_int_t)m->seq, "offset_ms",
                      (json_int_t)m->offset_ms, "ts", (json_int_t)m->ts, "kind",
                      m->broadcast ? "broadcast" : "message", "nick", m->nick, "colour", m->colour,
                      "table", (json_int_t)m->table, "text", m->text, m->text_len);
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (s) {
            buf_appends(&x->b, s);
            buf_appends(&x->b, "\n");
            free(s);
        }
    } else {
        char hms[9];
        clock_of(m->ts, hms);
        buf_printf(&x->b, "[%s] %s<%s> ", hms, m->broadcast ? "[broadcast] " : "", m->nick);
        /* A text's own line breaks are indented, so every line of the transcript starts with a
         * time or with spaces. */
        for (size_t i = 0; i < m->text_len; i++) {
            if (m->text[i] == '\n')
                buf_appends(&x->b, "\n    ");
            else if (m->text[i] != '\r')
                buf_append(&x->b, &m->text[i], 1);
        }
        buf_appends(&x->b, "\n");
    }
    if (x->b.len >= EXPORT_CHUNK)
        flush(x);
}

static void export(const http_request_t *r, const rec_copy_t *rec)
{
    char format[16] = "jsonl";
    rest_query_get(r->query, "format", format, sizeof format);
    bool text = strcmp(format, "text") == 0;
    if (!text && strcmp(format, "jsonl") != 0) {
        http_respond_error(r, 400, "bad_request", "format is jsonl or text");
        return;
    }
    if (!may_export(r, rec))
        return;
    const core_recording_t *m = &rec->r;
    char extra[256];
    snprintf(extra, sizeof extra,
             "Content-Disposition: attachment; filename=\"recording-%" PRIu64
             "-%s-table%u.%s\"\r\n",
             m->id, m->room, (unsigned)m->table, text ? "txt" : "jsonl");
    http_chunked_begin(r, 200, text ? "text/plain; charset=utf-8" : "application/x-ndjson", extra);
    export_t x = {.r = r, .rec = m, .text = text};
    buf_init(&x.b, (size_t)-1);
    if (text) {
        char start[32], stop[32] = "still running";
        date_of(m->started_ms, start);
        if (m->stopped_ms)
            date_of(m->stopped_ms, stop);
        buf_printf(&x.b,
                   "Recording %" PRIu64 ": %s\nRoom: %s, table %u\nStarted: %s by %s\n"
                   "Stopped: %s\nMessages: %u (times in UTC)\n\n",
                   m->id, m->title[0] ? m->title : "(untitled)", m->room, (unsigned)m->table, start,
                   m->started_by, stop, (unsigned)m->messages);
    } else {
        json_t *head = json_deep_copy(rec->json);
        json_object_set_new(head, "type", json_string("recording"));
        char *s = json_dumps(head, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(head);
        buf_appends(&x.b, s ? s : "{}");
        buf_appends(&x.b, "\n");
        free(s);
    }
    core_t *c = http_group(r)->core;
    for (;;) {
        int n = 0;
        if (core_recording_msgs(c, m->id, x.last, EXPORT_PAGE, export_msg, &x, &n) < 0 ||
            n < EXPORT_PAGE)
            break;
        flush(&x);
    }
    flush(&x);
    buf_deinit(&x.b);
    http_chunked_end(r);
}

void rest_recordings(const http_request_t *r, const char *sub)
{
    if (sub[0] == '\0') {
        list(r);
        return;
    }
    char *end;
    unsigned long long id = strtoull(sub + 1, &end, 10);
    bool is_export = strcmp(end, "/export") == 0;
    if (sub[1] < '0' || sub[1] > '9' || id == 0 || (*end != '\0' && !is_export)) {
        http_respond_error(r, 404, "not_found", "no such resource");
        return;
    }
    const char *allow = is_export ? "GET" : "GET, DELETE";
    if (!is(r, "GET") && (is_export || !is(r, "DELETE"))) {
        rest_not_allowed(r, allow);
        return;
    }
    /* Without an account's token only the admin API's rights can do anything: 401/403 first. */
    bool account = rest_sysop(r) || (is_export && rest_has_account(r));
    if (!account && !rest_require_admin(r))
        return;
    core_t *c = http_group(r)->core;
    if (is(r, "DELETE")) {
        int rc = core_recording_delete(c, id);
        if (rc < 0)
            respond_core(r, rc);
        else
            http_respond_json(r, 200, json_pack("{s:I}", "id", (json_int_t)id));
        return;
    }
    rec_copy_t rec = {0};
    int rc = core_recording_get(c, id, copy_rec, &rec);
    if (rc < 0) {
        respond_core(r, rc);
        return;
    }
    if (is_export)
        export(r, &rec);
    else
        http_respond_json(r, 200, json_pack("{s:O}", "recording", rec.json));
    json_decref(rec.json);
}
