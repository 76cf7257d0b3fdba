/* SCRAM credentials of accounts (see scram_store.h). */
#include "auth/scram_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <utf8proc.h>

#include "auth/scram.h"
#include "util/log.h"
#include "util/xmalloc.h"

typedef struct job {
    store_t *st;
    int64_t account;
    char *pwhash;
    uint32_t iterations;
    int status;
    store_scram_t creds; /* the worker's result */
    size_t len;
    char pw[]; /* wiped */
} job_t;

static void job_work(void *arg)
{
    job_t *j = arg;
    j->status = scram_creds_new(j->pw, j->len, j->iterations, &j->creds);
}

static void job_done(void *arg, bool cancelled)
{
    job_t *j = arg;
    store_account_t acc;
    if (!cancelled && j->status == 0 && store_account_by_id(j->st, j->account, &acc) == 0) {
        if (acc.pwhash && strcmp(acc.pwhash, j->pwhash) == 0) {
            acc.scram = j->creds;
            if (store_account_update(j->st, &acc) < 0)
                log_warn("auth: cannot store the SCRAM credentials of '%s'", acc.name);
        }
        store_account_deinit(&acc);
    } else if (!cancelled && j->status < 0) {
        log_info("auth: no SCRAM credentials for account %lld: the password is not SASLprep-able",
                 (long long)j->account);
    }
    sodium_memzero(&j->creds, sizeof j->creds);
    sodium_memzero(j->pw, j->len);
    free(j->pwhash);
    free(j);
}

int scram_store_derive(workq_t *q, store_t *st, int64_t account, const char *pwhash, const char *pw,
                       size_t len, uint32_t iterations)
{
    job_t *j = xcalloc(1, sizeof *j + len + 1);
    j->st = st;
    j->account = account;
    j->pwhash = xstrdup(pwhash);
    j->iterations = iterations;
    j->len = len;
    memcpy(j->pw, pw, len);
    int rc = workq_submit(q, job_work, job_done, j);
    if (rc < 0) {
        sodium_memzero(j->pw, j->len);
        free(j->pwhash);
        free(j);
    }
    return rc;
}

int scram_store_lookup(store_t *st, const char *name, store_scram_t *out)
{
    store_account_t acc;
    *out = (store_scram_t){0};
    char *fold = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)name);
    if (fold == NULL)
        return STORE_ENOTFOUND;
    int rc = store_account_by_fold(st, fold, &acc);
    free(fold);
    if (rc < 0)
        return rc;
    if (acc.scram.iterations > 0)
        *out = acc.scram;
    else
        rc = STORE_ENOTFOUND;
    store_account_deinit(&acc);
    return rc;
}
