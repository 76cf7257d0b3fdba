/* The folder tree rooms live in: creating and deleting folders, moving and deleting rooms.
 *
 * Folders are kept in a hash by path (core.folders) and a path-sorted list, each pointing at its
 * parent; a folder lists its rooms (name order) and counts its child folders, which is all that
 * deleting ("only when empty") and resolving rights (access.c walks the parents) need. The root
 * "/" is made by core_new and never deleted. Changes are stored synchronously, like rooms. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define PATH_MAX_LEN (CORE_FOLDER_DEPTH * 33)

static bool segment_char(char ch, bool first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           (!first && (ch == '_' || ch == '-'));
}

bool core_valid_folder_path(const char *path)
{
    if (path == NULL || path[0] != '/')
        return false;
    if (path[1] == '\0')
        return true;
    int depth = 0;
    const char *p = path;
    while (*p == '/') {
        p++;
        size_t n = 0;
        while (*p && *p != '/') {
            if (!segment_char(*p, n == 0) || ++n > 32)
                return false;
            p++;
        }
        if (n == 0 || ++depth > CORE_FOLDER_DEPTH)
            return false; /* an empty segment: "//", or a trailing "/" */
    }
    return *p == '\0';
}

folder_t *core_folder_find(core_t *c, const char *path)
{
    folder_t *f = NULL;
    if (path)
        HASH_FIND_STR(c->folders, path, f);
    return f;
}

/* Links f into the path hash and the path-sorted list. */
static void folder_relink(core_t *c, folder_t *f)
{
    list_t *pos = &c->folders_by_path;
    list_foreach(it, &c->folders_by_path)
    {
        if (strcmp(list_entry(it, folder_t, link)->path, f->path) > 0) {
            pos = it;
            break;
        }
    }
    list_insert_before(pos, &f->link);
    HASH_ADD_KEYPTR(hh, c->folders, f->path, strlen(f->path), f);
}

static folder_t *folder_add(core_t *c, const char *path, folder_t *parent)
{
    folder_t *f = xcalloc(1, sizeof(*f));
    f->core = c;
    f->path = xstrdup(path);
    f->parent = parent;
    list_init(&f->rooms);
    folder_relink(c, f);
    if (parent)
        parent->nfolders++;
    return f;
}

static void folder_remove(folder_t *f)
{
    core_t *c = f->core;
    HASH_DELETE(hh, c->folders, f);
    list_remove(&f->link);
    if (f->parent)
        f->parent->nfolders--;
    access__acl_free(f->acl);
    free(f->path);
    free(f);
}

void folder__init(core_t *c)
{
    list_init(&c->folders_by_path);
    c->root = folder_add(c, "/", NULL);
}

void folder__free_all(core_t *c)
{
    /* Children sort after their parents, so freeing from the back frees leaves first. */
    while (!list_empty(&c->folders_by_path))
        folder_remove(list_entry(c->folders_by_path.prev, folder_t, link));
    c->root = NULL;
}

/* The parent path of a valid path other than "/", in buf. */
static folder_t *parent_of(core_t *c, const char *path)
{
    char buf[PATH_MAX_LEN + 2];
    const char *slash = strrchr(path, '/');
    size_t n = (size_t)(slash - path);
    if (n == 0)
        return c->root;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return core_folder_find(c, buf);
}

int core_folder_create(core_t *c, const char *path)
{
    if (!core_valid_folder_path(path) || strcmp(path, "/") == 0)
        return CORE_EFOLDERNAME;
    if (core_folder_find(c, path))
        return CORE_EFOLDEREXISTS;
    folder_t *parent = parent_of(c, path);
    if (parent == NULL)
        return CORE_ENOFOLDER;
    if (c->store) {
        int rc = store_folder_put(c->store, path);
        if (rc < 0) {
            log_error("storing folder %s: %s", path, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    folder_add(c, path, parent);
    return 0;
}

int core_folder_delete(core_t *c, const char *path)
{
    folder_t *f = core_folder_find(c, path);
    if (f == NULL)
        return CORE_ENOFOLDER;
    if (f == c->root)
        return CORE_EFORBIDDEN;
    if (f->nfolders || !list_empty(&f->rooms))
        return CORE_ENOTEMPTY;
    if (c->store) {
        int rc = store_folder_delete(c->store, path);
        if (rc < 0) {
            log_error("deleting folder %s: %s", path, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    folder_remove(f); /* empty: nobody's rights change */
    return 0;
}

/* Whether path is f's path or below it. */
static bool path_within(const char *path, const char *top, size_t tl)
{
    return strncmp(path, top, tl) == 0 && (path[tl] == '\0' || path[tl] == '/');
}

int core_folder_rename(core_t *c, const char *from, const char *to)
{
    folder_t *f = core_folder_find(c, from);
    if (!core_valid_folder_path(to) || strcmp(to, "/") == 0)
        return CORE_EFOLDERNAME;
    if (f == NULL)
        return CORE_ENOFOLDER;
    if (f == c->root)
        return CORE_EFORBIDDEN;
    if (core_folder_find(c, to))
        return CORE_EFOLDEREXISTS;
    size_t fl = strlen(f->path), tl = strlen(to);
    if (path_within(to, f->path, fl))
        return CORE_EBADREQ;
    folder_t *parent = parent_of(c, to);
    if (parent == NULL)
        return CORE_ENOFOLDER;
    /* f and its descendants, in path order; each must stay a valid path when moved */
    size_t n = 0, cap = 8;
    folder_t **v = xmalloc(cap * sizeof(*v));
    int rc = 0;
    list_foreach(it, &c->folders_by_path)
    {
        folder_t *x = list_entry(it, folder_t, link);
        if (!path_within(x->path, f->path, fl))
            continue;
        char buf[PATH_MAX_LEN * 2];
        snprintf(buf, sizeof(buf), "%s%s", to, x->path + fl);
        if (!core_valid_folder_path(buf))
            rc = CORE_EFOLDERNAME;
        if (n == cap)
            v = xrealloc(v, (cap *= 2) * sizeof(*v));
        v[n++] = x;
    }
    if (rc == 0 && c->store) {
        int src = store_folder_rename(c->store, f->path, to);
        if (src < 0) {
            log_error("renaming folder %s: %s", f->path, store_strerror(src));
            rc = CORE_ESTORE;
        }
    }
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        folder_t *x = v[i];
        HASH_DELETE(hh, c->folders, x);
        list_remove(&x->link);
        size_t rest = strlen(x->path) - fl;
        char *path = xmalloc(tl + rest + 1);
        memcpy(path, to, tl);
        memcpy(path + tl, x->path + fl, rest + 1);
        free(x->path);
        x->path = path;
    }
    for (size_t i = 0; i < n; i++)
        folder_relink(c, v[i]);
    f->parent->nfolders--;
    f->parent = parent;
    parent->nfolders++;
    /* Under a new parent, rooms may inherit other lists now. */
    list_foreach(it, &c->rooms_by_name)
    {
        room_t *r = list_entry(it, room_t, link);
        if (folder__within(r->folder, f))
            access__reeval_room(r);
    }
out:
    free(v);
    return rc;
}

void core_folders_foreach(core_t *c, void (*fn)(void *ud, folder_t *f), void *ud)
{
    list_foreach_safe(it, tmp, &c->folders_by_path)
    {
        fn(ud, list_entry(it, folder_t, link));
    }
}

const char *folder_path(const folder_t *f)
{
    return f->path;
}

void folder_rooms_foreach(const folder_t *f, void (*fn)(void *ud, room_t *r), void *ud)
{
    list_foreach_safe(it, tmp, &f->rooms)
    {
        fn(ud, list_entry(it, room_t, in_folder));
    }
}

void folder__attach(room_t *r, folder_t *f)
{
    list_t *pos = &f->rooms;
    list_foreach(it, &f->rooms)
    {
        if (strcmp(list_entry(it, room_t, in_folder)->name, r->name) > 0) {
            pos = it;
            break;
        }
    }
    list_insert_before(pos, &r->in_folder);
    r->folder = f;
}

void folder__detach(room_t *r)
{
    if (r->folder == NULL)
        return;
    list_remove(&r->in_folder);
    r->folder = NULL;
}

bool folder__within(const folder_t *f, const folder_t *anc)
{
    for (; f; f = f->parent)
        if (f == anc)
            return true;
    return false;
}

const char *room_folder(const room_t *r)
{
    return r->folder ? r->folder->path : "/";
}

int core_room_move(core_t *c, room_t *r, const char *path)
{
    folder_t *f = core_folder_find(c, path);
    if (f == NULL || r->priv)
        return f ? CORE_EBADREQ : CORE_ENOFOLDER;
    if (f == r->folder)
        return 0;
    folder_t *old = r->folder;
    folder__detach(r);
    folder__attach(r, f);
    if (room__store(r) < 0) {
        folder__detach(r);
        folder__attach(r, old);
        return CORE_ESTORE;
    }
    access__reeval_room(r);
    return 0;
}

int core_room_delete(core_t *c, room_t *r)
{
    if (r->priv)
        return CORE_ENOROOM;
    if (r->nusers > 0)
        return CORE_ENOTEMPTY;
    if (r->event)
        return CORE_EFORBIDDEN; /* an event's room goes with its event (core_event_delete) */
    if (c->store) {
        int rc = store_room_delete(c->store, r->name);
        if (rc < 0) {
            log_error("deleting room %s: %s", r->name, store_strerror(rc));
            return CORE_ESTORE;
        }
    }
    record__room_deleted(r);
    room__free(r);
    return 0;
}

static void load_folder(void *ud, const char *path)
{
    core_t *c = ud;
    if (!core_valid_folder_path(path) || strcmp(path, "/") == 0) {
        log_warn("ignoring stored folder with a bad path: %s", path);
        return;
    }
    if (core_folder_find(c, path))
        return;
    /* Stored in path order, so a parent comes before its children. */
    folder_t *parent = parent_of(c, path);
    if (parent == NULL) {
        log_warn("ignoring stored folder without its parent: %s", path);
        return;
    }
    folder_add(c, path, parent);
}

int folder__load(core_t *c)
{
    int rc = store_folders_load(c->store, load_folder, c);
    if (rc < 0) {
        log_error("loading folders: %s", store_strerror(rc));
        return CORE_ESTORE;
    }
    return 0;
}
