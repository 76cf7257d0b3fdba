#include "util/flood.h"

int flood_take(const config_flood_t *f, bucket_t *commands, bucket_t *messages,
               bucket_t *violations, uint64_t now_ms, uint32_t cost, bool message)
{
    bucket_limit_t lim = bucket_limit((uint32_t)f->commands_per_sec, (uint32_t)f->commands_burst);
    int refused = FLOOD_COMMANDS;
    bool ok = bucket_take(commands, &lim, now_ms, cost);
    if (ok && message) {
        lim = bucket_limit((uint32_t)f->messages_per_sec, (uint32_t)f->messages_burst);
        ok = bucket_take(messages, &lim, now_ms, 1);
        refused = FLOOD_MESSAGES;
    }
    if (ok)
        return FLOOD_OK;
    lim = bucket_limit(f->max_violations > 0 ? 1 : 0, (uint32_t)f->max_violations);
    return bucket_take(violations, &lim, now_ms, 1) ? refused : refused | FLOOD_EXCESS;
}
