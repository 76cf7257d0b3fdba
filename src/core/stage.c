/* The stage: a room's banner, link and "now speaking" line, set by its hosts (core.h, "the
 * stage"). Values are plain text and a plain http(s) URL; this module only checks their form and
 * size, keeps them, stores them and tells everyone in the room. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

static const core_stage_t empty_stage;

const core_stage_t *room_stage(const room_t *r)
{
    return r ? &r->stage : &empty_stage;
}

/* http:// or https://, a non-empty host part, printable ASCII without spaces: a URL a browser
 * cannot read as script (javascript:, data:) or as several values. */
static bool plain_url(const char *u)
{
    size_t skip;
    if (strncasecmp(u, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(u, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    size_t n = strlen(u);
    if (n > CORE_STAGE_URL_MAX || n == skip || u[skip] == '/' || u[skip] == '?' || u[skip] == '#')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
            return false;
    return true;
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? xstrdup(s) : NULL;
}

static void stage_free(core_stage_t *st)
{
    free((char *)st->banner);
    free((char *)st->link_url);
    free((char *)st->link_title);
    free((char *)st->speaking);
    *st = empty_stage;
}

void stage__clear(room_t *r)
{
    stage_free(&r->stage);
}

/* Replaces r's stage with copies of the values ("" and NULL: unset). */
static void stage_assign(room_t *r, const char *banner, const char *url, const char *title,
                         bool image, const char *speaking)
{
    core_stage_t n = {
        .banner = dup_or_null(banner),
        .link_url = dup_or_null(url),
        .speaking = dup_or_null(speaking),
    };
    if (n.link_url) {
        n.link_title = xstrdup(title ? title : "");
        n.link_image = image;
    }
    stage_free(&r->stage);
    r->stage = n;
}

void stage__load(void *ud, const store_stage_t *sg)
{
    room_t *r = core_room_find(ud, sg->room);
    if (r == NULL)
        return;
    const char *url = sg->link_url && plain_url(sg->link_url) ? sg->link_url : NULL;
    stage_assign(r, sg->banner, url, sg->link_title, sg->link_image, sg->speaking);
}

int core_stage_set(session_t *s, room_t *r, const core_stage_edit_t *e)
{
    if (!s->ready)
        return CORE_EHELLOFIRST;
    if (r == NULL || session__member(s, r) == NULL)
        return CORE_ENOTINROOM;
    if (r->priv || core_right(s, r, 0) < CORE_RIGHT_HOST)
        return CORE_EFORBIDDEN;
    const core_stage_t *cur = &r->stage;
    const char *banner = e->set_banner ? e->banner : cur->banner;
    const char *speaking = e->set_speaking ? e->speaking : cur->speaking;
    const char *url = e->set_link ? e->link_url : cur->link_url;
    const char *title = e->set_link ? e->link_title : cur->link_title;
    bool image = e->set_link ? e->link_image : cur->link_image;
    if (url && url[0] && !plain_url(url))
        return CORE_ESTAGEURL;
    if ((banner && !core__plain_text(banner, CORE_STAGE_BANNER_MAX)) ||
        (speaking && !core__plain_text(speaking, CORE_STAGE_SPEAKING_MAX)) ||
        (url && url[0] && title && !core__plain_text(title, CORE_STAGE_TITLE_MAX)))
        return CORE_ESTAGETEXT;
    if (s->core->store) {
        bool link = url && url[0];
        store_stage_t sg = {
            .room = r->name,
            .banner = banner && banner[0] ? banner : NULL,
            .link_url = link ? url : NULL,
            .link_title = link && title ? title : "",
            .link_image = link && image,
            .speaking = speaking && speaking[0] ? speaking : NULL,
        };
        int rc = store_stage_put(s->core->store, &sg);
        if (rc < 0) {
            log_error("storing the stage of %s: %s", r->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    /* The new values may be the old ones (kept fields): assign copies before freeing. */
    stage_assign(r, banner, url, title, image, speaking);
    core_event_t ev = {.type = EV_STAGE, .room = r->name, .in = r, .nick = s->nick};
    list_foreach_safe(it, tmp, &r->tables)
    {
        room__publish(list_entry(it, table_t, link), &ev); /* one encoding for all tables */
    }
    core_event_release(&ev);
    return 0;
}
