/* The [flood] allowances one client connection answers to, whatever its protocol (JSON sessions,
 * IRC clients): each command takes its cost from the command allowance and a message (a say, a
 * PRIVMSG) one token more from the message allowance; a refusal takes one from the violations
 * allowance, which forgives one a second, and the refusal that finds it empty means "excess
 * flood". The protocol owns the three buckets and says what a refusal looks like on its wire. */
#ifndef PARLEY_UTIL_FLOOD_H
#define PARLEY_UTIL_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/bucket.h"
#include "util/config.h"

enum {
    FLOOD_OK = 0,
    FLOOD_COMMANDS = 1, /* refused: the command allowance is spent */
    FLOOD_MESSAGES =
        2,            /* refused: the message allowance is spent (the command tokens stay spent) */
    FLOOD_EXCESS = 4, /* with a refusal: too many refusals, close the connection */
};

/* FLOOD_OK, or FLOOD_COMMANDS or FLOOD_MESSAGES, possibly with FLOOD_EXCESS. */
int flood_take(const config_flood_t *f, bucket_t *commands, bucket_t *messages,
               bucket_t *violations, uint64_t now_ms, uint32_t cost, bool message);

#endif
