/* SQLite backend, accounts part: accounts, session tokens, e-mail validations, ignore lists and
 * the banned list (schema: migration 3 in sqlite_store.c).
 *
 * Writes run on the writer connection under wlock (the writer thread shares it), binding included;
 * reads on the read connection. Statements are prepared once and reset after each use; list reads
 * copy their rows first, so callbacks may call back into the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/xmalloc.h"

#define ACCOUNT_COLS                                                                               \
    "id, name, fold, email, email_fold, pwhash, class, sysop, must_change, colour, created_ms, "   \
    "validated_ms, scram_iterations, scram_salt, scram_stored_key, scram_server_key"

enum {
    W_ACC_ADD,
    W_ACC_UPDATE,
    R_ACC_ID,
    R_ACC_FOLD,
    R_ACC_EMAIL,
    R_ACC_SYSOPS,
    W_TOK_ADD,
    R_TOK_GET,
    W_TOK_DEL,
    W_TOK_DEL_ACC,
    W_TOK_PURGE,
    W_VAL_PURGE,
    W_VAL_PUT,
    R_VAL_HASH,
    R_VAL_GET,
    W_VAL_DEL,
    W_IGN_PUT,
    W_IGN_DEL,
    R_IGN_LOAD,
    W_BAN_ADD,
    W_BAN_DEL,
    R_BAN_HAS,
    R_BAN_LOAD,
    N_ACCT,
};
_Static_assert(N_ACCT <= SQLITE__N_ACCT, "sqlite_int.h's statement count");

static const sqlite__sql_t acct_sql[N_ACCT] = {
    [W_ACC_ADD] = {true,
                   "INSERT INTO accounts(name, fold, email, email_fold, pwhash, class, sysop, "
                   "must_change, colour, created_ms, validated_ms, scram_iterations, scram_salt, "
                   "scram_stored_key, scram_server_key) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?14, ?15, ?16)"},
    /* The parameters of W_ACC_ADD (bind_account), ?2 and ?10 unused, plus the id as ?12. */
    [W_ACC_UPDATE] = {true, "UPDATE accounts SET name = ?1, email = ?3, email_fold = ?4, "
                            "pwhash = ?5, class = ?6, sysop = ?7, must_change = ?8, colour = ?9, "
                            "validated_ms = ?11, scram_iterations = ?13, scram_salt = ?14, "
                            "scram_stored_key = ?15, scram_server_key = ?16 WHERE id = ?12"},
    [R_ACC_ID] = {false, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1"},
    [R_ACC_FOLD] = {false, "SELECT " ACCOUNT_COLS " FROM accounts WHERE fold = ?1"},
    [R_ACC_EMAIL] = {false, "SELECT " ACCOUNT_COLS " FROM accounts WHERE email_fold = ?1"},
    [R_ACC_SYSOPS] = {false, "SELECT count(*) FROM accounts WHERE sysop <> 0"},
    [W_TOK_ADD] = {true, "INSERT INTO tokens(hash, account, created_ms, expires_ms) "
                         "VALUES(?1, ?2, ?3, ?4)"},
    [R_TOK_GET] = {false, "SELECT account, expires_ms FROM tokens WHERE hash = ?1"},
    [W_TOK_DEL] = {true, "DELETE FROM tokens WHERE hash = ?1"},
    [W_TOK_DEL_ACC] = {true, "DELETE FROM tokens WHERE account = ?1 AND hash IS NOT ?2"},
    [W_TOK_PURGE] = {true, "DELETE FROM tokens WHERE expires_ms < ?1"},
    [W_VAL_PURGE] = {true, "DELETE FROM validations WHERE expires_ms < ?1"},
    [W_VAL_PUT] = {true, "INSERT OR REPLACE INTO validations(account, hash, code, expires_ms) "
                         "VALUES(?1, ?2, ?3, ?4)"},
    [R_VAL_HASH] = {false, "SELECT account, expires_ms FROM validations WHERE hash = ?1"},
    [R_VAL_GET] = {false, "SELECT code, expires_ms FROM validations WHERE account = ?1"},
    [W_VAL_DEL] = {true, "DELETE FROM validations WHERE account = ?1"},
    [W_IGN_PUT] = {true, "INSERT OR REPLACE INTO ignores(account, fold, nick) VALUES(?1, ?2, ?3)"},
    [W_IGN_DEL] = {true, "DELETE FROM ignores WHERE account = ?1 AND fold = ?2"},
    [R_IGN_LOAD] = {false, "SELECT nick FROM ignores WHERE account = ?1 ORDER BY fold"},
    [W_BAN_ADD] = {true, "INSERT INTO banned(pattern, created_ms) VALUES(?1, ?2)"},
    [W_BAN_DEL] = {true, "DELETE FROM banned WHERE pattern = ?1"},
    [R_BAN_HAS] = {false, "SELECT 1 FROM banned WHERE pattern = ?1"},
    [R_BAN_LOAD] = {false, "SELECT pattern FROM banned ORDER BY pattern"},
};

int sqlite_accounts__prepare(store_backend_t *be)
{
    return sqlite__prepare(be, acct_sql, N_ACCT, be->acct);
}

void sqlite_accounts__finalize(store_backend_t *be)
{
    sqlite__finalize(be->acct, N_ACCT);
}

/* The writer statement i, with wlock taken: bind, then finish with write_end(). */
static sqlite3_stmt *write_begin(store_backend_t *be, int i)
{
    uv_mutex_lock(&be->wlock);
    return be->acct[i];
}

/* Steps and resets the statement, releases wlock. With must_change, no row changed is
 * STORE_ENOTFOUND. */
static int write_end(store_backend_t *be, sqlite3_stmt *st, const char *what, bool must_change)
{
    int err = sqlite__step_done(st, what);
    if (err == 0 && must_change && sqlite3_changes(be->wdb) == 0)
        err = STORE_ENOTFOUND;
    uv_mutex_unlock(&be->wlock);
    return err;
}

static void bind_hash(sqlite3_stmt *st, int i, const uint8_t *hash)
{
    if (hash)
        sqlite3_bind_blob(st, i, hash, STORE_HASH_LEN, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Steps a read statement expecting at most one row: 0 with the row current (the caller reads it and
 * then calls read_end), STORE_ENOTFOUND or an error (statement already reset). */
static int read_row(store_backend_t *be, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 0;
    int err = rc == SQLITE_DONE ? STORE_ENOTFOUND
                                : sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static void read_end(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Binds a's columns as ?1..?11 and ?13..?16 in W_ACC_ADD's order (the SCRAM columns NULL when it
 * has none). */
static void bind_account(sqlite3_stmt *st, const store_account_t *a)
{
    sqlite__bind_str(st, 1, a->name);
    sqlite__bind_str(st, 2, a->fold);
    sqlite__bind_str(st, 3, a->email);
    sqlite__bind_str(st, 4, a->email_fold);
    sqlite__bind_str(st, 5, a->pwhash);
    sqlite3_bind_int(st, 6, a->cls);
    sqlite3_bind_int(st, 7, a->sysop);
    sqlite3_bind_int(st, 8, a->must_change);
    sqlite__bind_str(st, 9, a->colour);
    sqlite3_bind_int64(st, 10, a->created_ms);
    sqlite3_bind_int64(st, 11, a->validated_ms);
    const store_scram_t *k = &a->scram;
    bool has = k->iterations > 0 && k->salt_len > 0 && k->salt_len <= STORE_SCRAM_SALT_MAX;
    sqlite3_bind_int64(st, 13, has ? k->iterations : 0);
    if (has) {
        sqlite3_bind_blob(st, 14, k->salt, (int)k->salt_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 15, k->stored_key, STORE_SCRAM_KEY_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(st, 16, k->server_key, STORE_SCRAM_KEY_LEN, SQLITE_STATIC);
    } else {
        for (int i = 14; i <= 16; i++)
            sqlite3_bind_null(st, i);
    }
}

/* Reads the SCRAM columns 12..15 of an account row; anything malformed reads as none. */
static void col_scram(sqlite3_stmt *st, store_scram_t *k)
{
    *k = (store_scram_t){0};
    int64_t iter = sqlite3_column_int64(st, 12);
    int salt_len = sqlite3_column_bytes(st, 13);
    const void *salt = sqlite3_column_blob(st, 13);
    const void *stored = sqlite3_column_blob(st, 14);
    bool stored_ok = sqlite3_column_bytes(st, 14) == STORE_SCRAM_KEY_LEN;
    const void *server = sqlite3_column_blob(st, 15);
    bool server_ok = sqlite3_column_bytes(st, 15) == STORE_SCRAM_KEY_LEN;
    if (iter <= 0 || iter > UINT32_MAX || salt == NULL || salt_len <= 0 ||
        salt_len > STORE_SCRAM_SALT_MAX || !stored_ok || !server_ok)
        return;
    k->iterations = (uint32_t)iter;
    k->salt_len = (size_t)salt_len;
    memcpy(k->salt, salt, (size_t)salt_len);
    memcpy(k->stored_key, stored, STORE_SCRAM_KEY_LEN);
    memcpy(k->server_key, server, STORE_SCRAM_KEY_LEN);
}

int sqlite_account_add(store_backend_t *be, store_account_t *a)
{
    sqlite3_stmt *st = write_begin(be, W_ACC_ADD);
    bind_account(st, a);
    int err = sqlite__step_done(st, "account add");
    if (err == 0)
        a->id = sqlite3_last_insert_rowid(be->wdb);
    uv_mutex_unlock(&be->wlock);
    return err;
}

int sqlite_account_update(store_backend_t *be, const store_account_t *a)
{
    sqlite3_stmt *st = write_begin(be, W_ACC_UPDATE);
    bind_account(st, a);
    sqlite3_bind_int64(st, 12, a->id);
    return write_end(be, st, "account update", true);
}

int sqlite_account_get(store_backend_t *be, int by, int64_t key_id, const char *key,
                       store_account_t *out)
{
    sqlite3_stmt *st = be->acct[by == STORE__BY_ID     ? R_ACC_ID
                                : by == STORE__BY_FOLD ? R_ACC_FOLD
                                                       : R_ACC_EMAIL];
    *out = (store_account_t){0};
    if (by == STORE__BY_ID)
        sqlite3_bind_int64(st, 1, key_id);
    else
        sqlite__bind_str(st, 1, key);
    int err = read_row(be, st, "account get");
    if (err < 0)
        return err;
    out->id = sqlite3_column_int64(st, 0);
    out->name = sqlite__col_dup(st, 1);
    out->fold = sqlite__col_dup(st, 2);
    out->email = sqlite__col_dup(st, 3);
    out->email_fold = sqlite__col_dup(st, 4);
    out->pwhash = sqlite__col_dup(st, 5);
    out->cls = sqlite3_column_int(st, 6);
    out->sysop = sqlite3_column_int(st, 7) != 0;
    out->must_change = sqlite3_column_int(st, 8) != 0;
    out->colour = sqlite__col_dup(st, 9);
    out->created_ms = sqlite3_column_int64(st, 10);
    out->validated_ms = sqlite3_column_int64(st, 11);
    col_scram(st, &out->scram);
    read_end(st);
    return 0;
}

int sqlite_account_sysops(store_backend_t *be, int64_t *count)
{
    sqlite3_stmt *st = be->acct[R_ACC_SYSOPS];
    int err = read_row(be, st, "sysop count");
    if (err < 0)
        return err;
    *count = sqlite3_column_int64(st, 0);
    read_end(st);
    return 0;
}

int sqlite_token_add(store_backend_t *be, const uint8_t *hash, int64_t account, int64_t created,
                     int64_t expires)
{
    sqlite3_stmt *st = write_begin(be, W_TOK_ADD);
    bind_hash(st, 1, hash);
    sqlite3_bind_int64(st, 2, account);
    sqlite3_bind_int64(st, 3, created);
    sqlite3_bind_int64(st, 4, expires);
    return write_end(be, st, "token add", false);
}

/* Reads (int64, int64) of the one row of statement i keyed by hash. */
static int get_pair_by_hash(store_backend_t *be, int i, const uint8_t *hash, int64_t *a, int64_t *b,
                            const char *what)
{
    sqlite3_stmt *st = be->acct[i];
    bind_hash(st, 1, hash);
    int err = read_row(be, st, what);
    if (err < 0)
        return err;
    *a = sqlite3_column_int64(st, 0);
    *b = sqlite3_column_int64(st, 1);
    read_end(st);
    return 0;
}

int sqlite_token_get(store_backend_t *be, const uint8_t *hash, int64_t *account, int64_t *expires)
{
    return get_pair_by_hash(be, R_TOK_GET, hash, account, expires, "token get");
}

int sqlite_token_del(store_backend_t *be, const uint8_t *hash)
{
    sqlite3_stmt *st = write_begin(be, W_TOK_DEL);
    bind_hash(st, 1, hash);
    return write_end(be, st, "token delete", true);
}

int sqlite_tokens_del_account(store_backend_t *be, int64_t account, const uint8_t *keep)
{
    sqlite3_stmt *st = write_begin(be, W_TOK_DEL_ACC);
    sqlite3_bind_int64(st, 1, account);
    bind_hash(st, 2, keep);
    return write_end(be, st, "tokens delete", false);
}

int sqlite_tokens_purge(store_backend_t *be, int64_t now)
{
    sqlite3_stmt *st = write_begin(be, W_TOK_PURGE);
    sqlite3_bind_int64(st, 1, now);
    int err = write_end(be, st, "tokens purge", false);
    if (err < 0)
        return err;
    st = write_begin(be, W_VAL_PURGE);
    sqlite3_bind_int64(st, 1, now);
    return write_end(be, st, "validations purge", false);
}

int sqlite_validation_put(store_backend_t *be, int64_t account, const uint8_t *hash,
                          const char *code, int64_t expires)
{
    sqlite3_stmt *st = write_begin(be, W_VAL_PUT);
    sqlite3_bind_int64(st, 1, account);
    bind_hash(st, 2, hash);
    sqlite__bind_str(st, 3, code);
    sqlite3_bind_int64(st, 4, expires);
    return write_end(be, st, "validation put", false);
}

int sqlite_validation_by_hash(store_backend_t *be, const uint8_t *hash, int64_t *account,
                              int64_t *expires)
{
    return get_pair_by_hash(be, R_VAL_HASH, hash, account, expires, "validation get");
}

int sqlite_validation_get(store_backend_t *be, int64_t account, char code[8], int64_t *expires)
{
    sqlite3_stmt *st = be->acct[R_VAL_GET];
    sqlite3_bind_int64(st, 1, account);
    int err = read_row(be, st, "validation get");
    if (err < 0)
        return err;
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(code, 8, "%s", t ? (const char *)t : "");
    *expires = sqlite3_column_int64(st, 1);
    read_end(st);
    return 0;
}

int sqlite_validation_del(store_backend_t *be, int64_t account)
{
    sqlite3_stmt *st = write_begin(be, W_VAL_DEL);
    sqlite3_bind_int64(st, 1, account);
    return write_end(be, st, "validation delete", false);
}

int sqlite_ignore_put(store_backend_t *be, int64_t account, const char *fold, const char *nick)
{
    sqlite3_stmt *st = write_begin(be, W_IGN_PUT);
    sqlite3_bind_int64(st, 1, account);
    sqlite__bind_str(st, 2, fold);
    sqlite__bind_str(st, 3, nick);
    return write_end(be, st, "ignore put", false);
}

int sqlite_ignore_del(store_backend_t *be, int64_t account, const char *fold)
{
    sqlite3_stmt *st = write_begin(be, W_IGN_DEL);
    sqlite3_bind_int64(st, 1, account);
    sqlite__bind_str(st, 2, fold);
    return write_end(be, st, "ignore delete", false);
}

/* Copies column 0 of every row of st (bound by the caller), resets it, then hands each string to
 * cb. */
static int load_strings(store_backend_t *be, sqlite3_stmt *st, void (*cb)(void *, const char *),
                        void *ud, const char *what)
{
    char **rows = NULL;
    size_t n = 0, cap = 0;
    int err = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows = xgrow(rows, &cap, n, 16, sizeof *rows);
        char *s = sqlite__col_dup(st, 0);
        rows[n++] = s ? s : xstrdup("");
    }
    if (rc != SQLITE_DONE)
        err = sqlite__map_err(be->rdb, sqlite3_extended_errcode(be->rdb), what);
    read_end(st);
    for (size_t i = 0; i < n; i++) {
        if (err == 0)
            cb(ud, rows[i]);
        free(rows[i]);
    }
    free(rows);
    return err;
}

int sqlite_ignores_load(store_backend_t *be, int64_t account, void (*cb)(void *, const char *),
                        void *ud)
{
    sqlite3_stmt *st = be->acct[R_IGN_LOAD];
    sqlite3_bind_int64(st, 1, account);
    return load_strings(be, st, cb, ud, "ignores load");
}

int sqlite_banned_add(store_backend_t *be, const char *pattern)
{
    sqlite3_stmt *st = write_begin(be, W_BAN_ADD);
    sqlite__bind_str(st, 1, pattern);
    sqlite3_bind_int64(st, 2, sqlite__now_ms());
    return write_end(be, st, "banned add", false);
}

int sqlite_banned_del(store_backend_t *be, const char *pattern)
{
    sqlite3_stmt *st = write_begin(be, W_BAN_DEL);
    sqlite__bind_str(st, 1, pattern);
    return write_end(be, st, "banned delete", true);
}

int sqlite_banned_has(store_backend_t *be, const char *pattern, bool *out)
{
    sqlite3_stmt *st = be->acct[R_BAN_HAS];
    sqlite__bind_str(st, 1, pattern);
    int err = read_row(be, st, "banned get");
    *out = err == 0;
    if (err == 0)
        read_end(st);
    return err == STORE_ENOTFOUND ? 0 : err;
}

int sqlite_banned_load(store_backend_t *be, void (*cb)(void *, const char *), void *ud)
{
    return load_strings(be, be->acct[R_BAN_LOAD], cb, ud, "banned load");
}
