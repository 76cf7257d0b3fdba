/* The account calls of store.h: argument checks and dispatch to the backend (store_backend.h). */
#include <stdlib.h>

#include "store/store.h"
#include "store/store_backend.h"

/* The backend of an open store, or NULL once it is closed. */
static store_backend_t *backend(store_t *st, const store_backend_ops_t **ops)
{
    store_backend_t *be = NULL;
    return store__backend(st, ops, &be) == 0 ? be : NULL;
}

void store_account_deinit(store_account_t *a)
{
    if (a == NULL)
        return;
    free(a->name);
    free(a->fold);
    free(a->email);
    free(a->email_fold);
    free(a->pwhash);
    free(a->colour);
    *a = (store_account_t){0};
}

int store_account_add(store_t *st, store_account_t *a)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->account_add(be, a) : STORE_ECLOSED;
}

int store_account_update(store_t *st, const store_account_t *a)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->account_update(be, a) : STORE_ECLOSED;
}

int store_account_by_id(store_t *st, int64_t id, store_account_t *out)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->account_get(be, STORE__BY_ID, id, NULL, out) : STORE_ECLOSED;
}

int store_account_by_fold(store_t *st, const char *fold, store_account_t *out)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->account_get(be, STORE__BY_FOLD, 0, fold, out) : STORE_ECLOSED;
}

int store_account_by_email(store_t *st, const char *email_fold, store_account_t *out)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->account_get(be, STORE__BY_EMAIL, 0, email_fold, out) : STORE_ECLOSED;
}

int store_account_sysops(store_t *st, int64_t *count)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->account_sysops(be, count) : STORE_ECLOSED;
}

int store_token_add(store_t *st, const uint8_t hash[STORE_HASH_LEN], int64_t account,
                    int64_t created_ms, int64_t expires_ms)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->token_add(be, hash, account, created_ms, expires_ms) : STORE_ECLOSED;
}

int store_token_get(store_t *st, const uint8_t hash[STORE_HASH_LEN], int64_t *account,
                    int64_t *expires_ms)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->token_get(be, hash, account, expires_ms) : STORE_ECLOSED;
}

int store_token_del(store_t *st, const uint8_t hash[STORE_HASH_LEN])
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->token_del(be, hash) : STORE_ECLOSED;
}

int store_tokens_del_account(store_t *st, int64_t account, const uint8_t *keep)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->tokens_del_account(be, account, keep) : STORE_ECLOSED;
}

int store_tokens_purge(store_t *st, int64_t now_ms)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->tokens_purge(be, now_ms) : STORE_ECLOSED;
}

int store_validation_put(store_t *st, int64_t account, const uint8_t hash[STORE_HASH_LEN],
                         const char *code, int64_t expires_ms)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->validation_put(be, account, hash, code, expires_ms) : STORE_ECLOSED;
}

int store_validation_by_hash(store_t *st, const uint8_t hash[STORE_HASH_LEN], int64_t *account,
                             int64_t *expires_ms)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->validation_by_hash(be, hash, account, expires_ms) : STORE_ECLOSED;
}

int store_validation_get(store_t *st, int64_t account, char code[8], int64_t *expires_ms)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->validation_get(be, account, code, expires_ms) : STORE_ECLOSED;
}

int store_validation_del(store_t *st, int64_t account)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->validation_del(be, account) : STORE_ECLOSED;
}

int store_ignore_put(store_t *st, int64_t account, const char *fold, const char *nick)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->ignore_put(be, account, fold, nick) : STORE_ECLOSED;
}

int store_ignore_del(store_t *st, int64_t account, const char *fold)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->ignore_del(be, account, fold) : STORE_ECLOSED;
}

int store_ignores_load(store_t *st, int64_t account, void (*cb)(void *ud, const char *nick),
                       void *ud)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->ignores_load(be, account, cb, ud) : STORE_ECLOSED;
}

int store_banned_add(store_t *st, const char *pattern)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->banned_add(be, pattern) : STORE_ECLOSED;
}

int store_banned_del(store_t *st, const char *pattern)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->banned_del(be, pattern) : STORE_ECLOSED;
}

int store_banned_has(store_t *st, const char *pattern, bool *out)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->banned_has(be, pattern, out) : STORE_ECLOSED;
}

int store_banned_load(store_t *st, void (*cb)(void *ud, const char *pattern), void *ud)
{
    const store_backend_ops_t *ops;
    store_backend_t *be = backend(st, &ops);
    return be ? ops->banned_load(be, cb, ud) : STORE_ECLOSED;
}
