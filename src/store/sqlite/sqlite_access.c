/* SQLite backend, access control: folders, access lists, user groups, bans, table topics and room
 * stages (migration 4), and
 * deleting a room with everything that hangs on it (schema: migration 3 in sqlite_store.c).
 *
 * Writes run on the writer connection under its lock, each in one transaction (several
 * statements must land together: an access list is deleted and re-inserted). Loads read every row
 * on the read connection first and call back only after the statement is reset. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/xmalloc.h"

static const sqlite__sql_t acc_sql[N_ACCESS_STMTS] = {
    [A_BEGIN] = {true, "BEGIN IMMEDIATE"},
    [A_COMMIT] = {true, "COMMIT"},
    [A_ROLLBACK] = {true, "ROLLBACK"},
    [A_ROOM_DEL] = {true, "DELETE FROM rooms WHERE name = ?1"},
    [A_ROOM_DEL_MSGS] = {true, "DELETE FROM messages WHERE room = ?1"},
    [A_ROOM_DEL_ACLS] = {true, "DELETE FROM acls WHERE scope IN ('room', 'table') AND name = ?1"},
    [A_ROOM_DEL_BANS] = {true, "DELETE FROM bans WHERE room = ?1"},
    [A_ROOM_DEL_TOPICS] = {true, "DELETE FROM table_topics WHERE room = ?1"},
    [A_FOLDER_PUT] = {true, "INSERT OR IGNORE INTO folders(path) VALUES(?1)"},
    [A_FOLDER_DEL] = {true, "DELETE FROM folders WHERE path = ?1"},
    [A_FOLDER_DEL_ACL] = {true, "DELETE FROM acls WHERE scope = 'folder' AND name = ?1"},
    /* ?1 the old path, ?2 the new: the folder itself and everything below it ("/a" and "/a/..",
     * not "/ab"; compared without LIKE, whose '_' is a wildcard) */
    [A_FOLDER_REN] = {true, "UPDATE folders SET path = ?2 || substr(path, length(?1) + 1) "
                            "WHERE path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/'"},
    [A_FOLDER_REN_ROOMS] = {true, "UPDATE rooms SET folder = ?2 || substr(folder, length(?1) + 1) "
                                  "WHERE folder = ?1 OR substr(folder, 1, length(?1) + 1) = ?1 || "
                                  "'/'"},
    [A_FOLDER_REN_ACLS] = {true, "UPDATE acls SET name = ?2 || substr(name, length(?1) + 1) "
                                 "WHERE scope = 'folder' AND (name = ?1 OR "
                                 "substr(name, 1, length(?1) + 1) = ?1 || '/')"},
    [A_ACL_DEL] = {true, "DELETE FROM acls WHERE scope = ?1 AND name = ?2 AND tbl = ?3"},
    [A_ACL_INS] = {true, "INSERT INTO acls(scope, name, tbl, pos, who, who_name, rights) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
    [A_GROUP_PUT] = {true, "INSERT OR IGNORE INTO user_groups(name) VALUES(?1)"},
    [A_GROUP_DEL] = {true, "DELETE FROM user_groups WHERE name = ?1"},
    [A_GROUP_DEL_MEMBERS] = {true, "DELETE FROM user_group_members WHERE grp = ?1"},
    [A_GROUP_INS_MEMBER] = {true, "INSERT OR IGNORE INTO user_group_members(grp, account) "
                                  "VALUES(?1, ?2)"},
    [A_BAN_PUT] = {true, "INSERT OR REPLACE INTO bans(room, tbl, who, addr, until_ms, by_nick, "
                         "reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
    [A_BAN_DEL] = {true, "DELETE FROM bans WHERE room = ?1 AND tbl = ?2 AND who = ?3"},
    [A_TOPIC_PUT] = {true, "INSERT OR REPLACE INTO table_topics(room, tbl, topic, set_by, "
                           "set_at) VALUES(?1, ?2, ?3, ?4, ?5)"},
    [A_TOPIC_DEL] = {true, "DELETE FROM table_topics WHERE room = ?1 AND tbl = ?2"},
    [A_ROOM_DEL_STAGE] = {true, "DELETE FROM room_stage WHERE room = ?1"},
    [A_STAGE_PUT] = {true, "INSERT OR REPLACE INTO room_stage(room, banner, link_url, link_title, "
                           "link_image, speaking) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
    [A_STAGE_DEL] = {true, "DELETE FROM room_stage WHERE room = ?1"},
    [R_FOLDERS] = {false, "SELECT path FROM folders ORDER BY path"},
    [R_ACLS] = {false, "SELECT scope, name, tbl, who, who_name, rights FROM acls "
                       "ORDER BY scope, name, tbl, pos"},
    [R_GROUPS] = {false, "SELECT g.name, m.account FROM user_groups g LEFT JOIN "
                         "user_group_members m ON m.grp = g.name ORDER BY g.name, m.account"},
    [R_BANS] = {false, "SELECT room, tbl, who, addr, until_ms, by_nick, reason FROM bans "
                       "ORDER BY room, tbl, who"},
    [R_TOPICS] = {false, "SELECT room, tbl, topic, set_by, set_at FROM table_topics"},
    [R_STAGES] = {false, "SELECT room, banner, link_url, link_title, link_image, speaking, "
                         "banner IS NULL, link_url IS NULL, speaking IS NULL FROM room_stage"},
};

int sqlite_access__prepare(store_backend_t *be)
{
    return sqlite__prepare(be, acc_sql, N_ACCESS_STMTS, be->acc);
}

void sqlite_access__finalize(store_backend_t *be)
{
    sqlite__finalize(be->acc, N_ACCESS_STMTS);
}

/* Runs fn(be, arg) in one write transaction under the writer lock. */
static int in_tx(store_backend_t *be, int (*fn)(store_backend_t *be, const void *arg),
                 const void *arg)
{
    uv_mutex_lock(&be->wlock);
    int err = sqlite__step_done(be->acc[A_BEGIN], "begin");
    if (err == 0)
        err = fn(be, arg);
    if (err == 0)
        err = sqlite__step_done(be->acc[A_COMMIT], "commit");
    if (err < 0 && !sqlite3_get_autocommit(be->wdb))
        sqlite__step_done(be->acc[A_ROLLBACK], "rollback");
    uv_mutex_unlock(&be->wlock);
    return err;
}

/* One statement bound with a name (and, if table >= 0, a table number as ?2, and text3 as ?3). */
static int run(store_backend_t *be, int which, const char *name, int64_t table, const char *text3)
{
    sqlite3_stmt *st = be->acc[which];
    sqlite__bind_str(st, 1, name);
    if (table >= 0)
        sqlite3_bind_int64(st, 2, table);
    if (text3)
        sqlite__bind_str(st, 3, text3);
    return sqlite__step_done(st, acc_sql[which].sql);
}

static int room_delete_tx(store_backend_t *be, const void *arg)
{
    static const int stmts[] = {A_ROOM_DEL,      A_ROOM_DEL_MSGS,   A_ROOM_DEL_ACLS,
                                A_ROOM_DEL_BANS, A_ROOM_DEL_TOPICS, A_ROOM_DEL_STAGE};
    int err = 0;
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]) && err == 0; i++)
        err = run(be, stmts[i], arg, -1, NULL);
    return err;
}

int sqlite_access__room_delete(store_backend_t *be, const char *name)
{
    return in_tx(be, room_delete_tx, name);
}

static int folder_put_tx(store_backend_t *be, const void *arg)
{
    return run(be, A_FOLDER_PUT, arg, -1, NULL);
}

int sqlite_access__folder_put(store_backend_t *be, const char *path)
{
    return in_tx(be, folder_put_tx, path);
}

static int folder_delete_tx(store_backend_t *be, const void *arg)
{
    int err = run(be, A_FOLDER_DEL, arg, -1, NULL);
    return err ? err : run(be, A_FOLDER_DEL_ACL, arg, -1, NULL);
}

int sqlite_access__folder_delete(store_backend_t *be, const char *path)
{
    return in_tx(be, folder_delete_tx, path);
}

static int folder_rename_tx(store_backend_t *be, const void *arg)
{
    const char *const *ft = arg;
    static const int stmts[] = {A_FOLDER_REN, A_FOLDER_REN_ROOMS, A_FOLDER_REN_ACLS};
    int err = 0;
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]) && err == 0; i++) {
        sqlite3_stmt *st = be->acc[stmts[i]];
        sqlite__bind_str(st, 1, ft[0]);
        sqlite__bind_str(st, 2, ft[1]);
        err = sqlite__step_done(st, acc_sql[stmts[i]].sql);
    }
    return err;
}

int sqlite_access__folder_rename(store_backend_t *be, const char *from, const char *to)
{
    const char *ft[2] = {from, to};
    return in_tx(be, folder_rename_tx, ft);
}

static int acl_put_tx(store_backend_t *be, const void *arg)
{
    const store_acl_t *a = arg;
    sqlite3_stmt *st = be->acc[A_ACL_DEL];
    sqlite__bind_str(st, 1, a->scope);
    sqlite__bind_str(st, 2, a->name);
    sqlite3_bind_int64(st, 3, a->table);
    int err = sqlite__step_done(st, "acl delete");
    st = be->acc[A_ACL_INS];
    for (size_t i = 0; i < a->n && err == 0; i++) {
        sqlite__bind_str(st, 1, a->scope);
        sqlite__bind_str(st, 2, a->name);
        sqlite3_bind_int64(st, 3, a->table);
        sqlite3_bind_int64(st, 4, (int64_t)i);
        sqlite__bind_str(st, 5, a->entries[i].who);
        sqlite__bind_str(st, 6, a->entries[i].name ? a->entries[i].name : "");
        sqlite__bind_str(st, 7, a->entries[i].right);
        err = sqlite__step_done(st, "acl insert");
    }
    return err;
}

int sqlite_access__acl_put(store_backend_t *be, const store_acl_t *acl)
{
    return in_tx(be, acl_put_tx, acl);
}

static int group_put_tx(store_backend_t *be, const void *arg)
{
    const store_group_t *g = arg;
    int err = run(be, A_GROUP_PUT, g->name, -1, NULL);
    if (err == 0)
        err = run(be, A_GROUP_DEL_MEMBERS, g->name, -1, NULL);
    sqlite3_stmt *st = be->acc[A_GROUP_INS_MEMBER];
    for (size_t i = 0; i < g->n && err == 0; i++) {
        sqlite__bind_str(st, 1, g->name);
        sqlite__bind_str(st, 2, g->members[i]);
        err = sqlite__step_done(st, "group member insert");
    }
    return err;
}

int sqlite_access__group_put(store_backend_t *be, const store_group_t *group)
{
    return in_tx(be, group_put_tx, group);
}

static int group_delete_tx(store_backend_t *be, const void *arg)
{
    int err = run(be, A_GROUP_DEL_MEMBERS, arg, -1, NULL);
    return err ? err : run(be, A_GROUP_DEL, arg, -1, NULL);
}

int sqlite_access__group_delete(store_backend_t *be, const char *name)
{
    return in_tx(be, group_delete_tx, name);
}

static int ban_put_tx(store_backend_t *be, const void *arg)
{
    const store_ban_t *b = arg;
    sqlite3_stmt *st = be->acc[A_BAN_PUT];
    sqlite__bind_str(st, 1, b->room);
    sqlite3_bind_int64(st, 2, b->table);
    sqlite__bind_str(st, 3, b->who);
    sqlite__bind_str(st, 4, b->addr ? b->addr : "");
    sqlite3_bind_int64(st, 5, b->until);
    sqlite__bind_str(st, 6, b->by ? b->by : "");
    sqlite__bind_str(st, 7, b->reason ? b->reason : "");
    return sqlite__step_done(st, "ban put");
}

int sqlite_access__ban_put(store_backend_t *be, const store_ban_t *ban)
{
    return in_tx(be, ban_put_tx, ban);
}

static int ban_delete_tx(store_backend_t *be, const void *arg)
{
    const store_ban_t *b = arg;
    return run(be, A_BAN_DEL, b->room, b->table, b->who);
}

int sqlite_access__ban_delete(store_backend_t *be, const char *room, uint32_t table,
                              const char *who)
{
    store_ban_t b = {.room = room, .table = table, .who = who};
    return in_tx(be, ban_delete_tx, &b);
}

static int topic_put_tx(store_backend_t *be, const void *arg)
{
    const store_ban_t *b = arg; /* room, table, the topic in who, by, the time in until */
    if (b->who[0] == '\0')
        return run(be, A_TOPIC_DEL, b->room, b->table, NULL);
    sqlite3_stmt *st = be->acc[A_TOPIC_PUT];
    sqlite__bind_str(st, 4, b->by);
    sqlite3_bind_int64(st, 5, b->until);
    return run(be, A_TOPIC_PUT, b->room, b->table, b->who);
}

int sqlite_access__table_topic_put(store_backend_t *be, const char *room, uint32_t table,
                                   const char *topic, const char *by, int64_t at)
{
    store_ban_t b = {
        .room = room, .table = table, .who = topic ? topic : "", .by = by ? by : "", .until = at};
    return in_tx(be, topic_put_tx, &b);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite__bind_str(st, i, s);
    else
        sqlite3_bind_null(st, i);
}

static int stage_put_tx(store_backend_t *be, const void *arg)
{
    const store_stage_t *sg = arg;
    if (sg->banner == NULL && sg->link_url == NULL && sg->speaking == NULL)
        return run(be, A_STAGE_DEL, sg->room, -1, NULL);
    sqlite3_stmt *st = be->acc[A_STAGE_PUT];
    sqlite__bind_str(st, 1, sg->room);
    bind_opt(st, 2, sg->banner);
    bind_opt(st, 3, sg->link_url);
    bind_opt(st, 4, sg->link_url ? sg->link_title : NULL);
    sqlite3_bind_int(st, 5, sg->link_url && sg->link_image);
    bind_opt(st, 6, sg->speaking);
    return sqlite__step_done(st, "stage put");
}

int sqlite_access__stage_put(store_backend_t *be, const store_stage_t *stage)
{
    return in_tx(be, stage_put_tx, stage);
}

/* ---- loading ---- */

/* Every row of a query, each column copied as text ("" for NULL). */
typedef struct rows {
    char **v;
    size_t n, ncols;
} rows_t;

static int rows_read(store_backend_t *be, int which, rows_t *out)
{
    sqlite3_stmt *st = be->acc[which];
    size_t cap = 0;
    int rc, err = 0;
    out->v = NULL;
    out->n = 0;
    out->ncols = (size_t)sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        out->v = xgrow(out->v, &cap, out->n, 16, out->ncols * sizeof(*out->v));
        for (size_t j = 0; j < out->ncols; j++) {
            char *s = sqlite__col_dup(st, (int)j);
            out->v[out->n * out->ncols + j] = s ? s : xstrdup("");
        }
        out->n++;
    }
    if (rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), acc_sql[which].sql);
    sqlite3_reset(st);
    return err;
}

static void rows_free(rows_t *r)
{
    for (size_t i = 0; i < r->n * r->ncols; i++)
        free(r->v[i]);
    free(r->v);
}

static const char *cell(const rows_t *r, size_t row, size_t col)
{
    return r->v[row * r->ncols + col];
}

int sqlite_access__folders_load(store_backend_t *be, void (*cb)(void *ud, const char *path),
                                void *ud)
{
    rows_t rows;
    int err = rows_read(be, R_FOLDERS, &rows);
    for (size_t i = 0; err == 0 && i < rows.n; i++)
        cb(ud, cell(&rows, i, 0));
    rows_free(&rows);
    return err;
}

/* Hands consecutive rows of one object (scope, name, tbl) to cb->acl as one list. */
static void load_acls(const rows_t *rows, const store_access_cb_t *cb, void *ud)
{
    store_acl_entry_t *e = xmalloc((rows->n ? rows->n : 1) * sizeof(*e));
    for (size_t i = 0; i < rows->n;) {
        size_t j = i, n = 0;
        while (j < rows->n && strcmp(cell(rows, j, 0), cell(rows, i, 0)) == 0 &&
               strcmp(cell(rows, j, 1), cell(rows, i, 1)) == 0 &&
               strcmp(cell(rows, j, 2), cell(rows, i, 2)) == 0) {
            e[n++] = (store_acl_entry_t){cell(rows, j, 3), cell(rows, j, 4), cell(rows, j, 5)};
            j++;
        }
        store_acl_t a = {cell(rows, i, 0), cell(rows, i, 1),
                         (uint32_t)strtoul(cell(rows, i, 2), NULL, 10), e, n};
        cb->acl(ud, &a);
        i = j;
    }
    free(e);
}

static void load_groups(const rows_t *rows, const store_access_cb_t *cb, void *ud)
{
    const char **m = xmalloc((rows->n ? rows->n : 1) * sizeof(*m));
    for (size_t i = 0; i < rows->n;) {
        size_t j = i, n = 0;
        for (; j < rows->n && strcmp(cell(rows, j, 0), cell(rows, i, 0)) == 0; j++)
            if (cell(rows, j, 1)[0]) /* a group without members has one row with NULL */
                m[n++] = cell(rows, j, 1);
        store_group_t g = {cell(rows, i, 0), m, n};
        cb->group(ud, &g);
        i = j;
    }
    free(m);
}

int sqlite_access__load(store_backend_t *be, const store_access_cb_t *cb, void *ud)
{
    rows_t acls = {0}, groups = {0}, bans = {0}, topics = {0}, stages = {0};
    int err = rows_read(be, R_ACLS, &acls);
    if (err == 0)
        err = rows_read(be, R_GROUPS, &groups);
    if (err == 0)
        err = rows_read(be, R_BANS, &bans);
    if (err == 0)
        err = rows_read(be, R_TOPICS, &topics);
    if (err == 0)
        err = rows_read(be, R_STAGES, &stages);
    if (err < 0)
        goto out;
    load_acls(&acls, cb, ud);
    load_groups(&groups, cb, ud);
    for (size_t i = 0; i < bans.n; i++) {
        store_ban_t b = {
            cell(&bans, i, 0), (uint32_t)strtoul(cell(&bans, i, 1), NULL, 10), cell(&bans, i, 2),
            cell(&bans, i, 3), strtoll(cell(&bans, i, 4), NULL, 10),           cell(&bans, i, 5),
            cell(&bans, i, 6)};
        cb->ban(ud, &b);
    }
    for (size_t i = 0; i < topics.n; i++)
        cb->table_topic(ud, cell(&topics, i, 0), (uint32_t)strtoul(cell(&topics, i, 1), NULL, 10),
                        cell(&topics, i, 2), cell(&topics, i, 3),
                        strtoll(cell(&topics, i, 4), NULL, 10));
    /* rows_read turns NULL into "": the last three columns say which were NULL */
    for (size_t i = 0; cb->stage && i < stages.n; i++) {
        bool no_url = strcmp(cell(&stages, i, 7), "1") == 0;
        store_stage_t sg = {
            .room = cell(&stages, i, 0),
            .banner = strcmp(cell(&stages, i, 6), "1") == 0 ? NULL : cell(&stages, i, 1),
            .link_url = no_url ? NULL : cell(&stages, i, 2),
            .link_title = cell(&stages, i, 3),
            .link_image = !no_url && strcmp(cell(&stages, i, 4), "0") != 0,
            .speaking = strcmp(cell(&stages, i, 8), "1") == 0 ? NULL : cell(&stages, i, 5),
        };
        cb->stage(ud, &sg);
    }
out:
    rows_free(&acls);
    rows_free(&groups);
    rows_free(&bans);
    rows_free(&topics);
    rows_free(&stages);
    return err;
}
