/* SCRAM-SHA-256 credentials kept with the accounts (store_account_t.scram): derived whenever a
 * password is known to the server (registration, password change, a sysop's creation, a login of
 * an account that has none or has fewer iterations than configured), looked up by the SCRAM
 * exchange (auth/scram.h). Used by the accounts service (auth.c).
 *
 * Threads: loop thread; the derivation (PBKDF2, `iterations` rounds) runs as a job on the
 * accounts service's worker queue, after the password hash jobs queued before it.
 * Errors: 0 or a negative STORE_E* / errno code. Strings are borrowed for the call. */
#ifndef PARLEY_AUTH_SCRAM_STORE_H
#define PARLEY_AUTH_SCRAM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/workq.h"

/* Derives credentials for pw on q and stores them in account `account` if its password hash is
 * still pwhash by then (a password changed meanwhile wins). A password that SASLprep refuses gets
 * none (the account can still use SASL PLAIN). pw is copied and wiped. 0 or -ECANCELED. */
int scram_store_derive(workq_t *q, store_t *st, int64_t account, const char *pwhash, const char *pw,
                       size_t len, uint32_t iterations);
/* The credentials of the account named name (any spelling: NFKC + casefold, as accounts are
 * found); STORE_ENOTFOUND for no such account or one without credentials yet. */
int scram_store_lookup(store_t *st, const char *name, store_scram_t *out);

#endif
