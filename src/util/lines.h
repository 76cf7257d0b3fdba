/* Newline-delimited input (the JSON direct socket, the IRC gateway): splits a byte stream into
 * lines, keeping only an incomplete line's tail between reads (an idle connection holds no
 * buffer). */
#ifndef PARLEY_UTIL_LINES_H
#define PARLEY_UTIL_LINES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lines {
    /* Set by the owner: an overlong line is reported (the callback gets line NULL, len 0) and
     * skipped up to its "\n", and reading goes on (IRC answers 417 and keeps the client).
     * Unset: lines_feed stops with -EMSGSIZE. */
    bool skip_long;
    /* private */
    bool skipping; /* inside an overlong line being skipped */
    char *tail;    /* the incomplete line so far; NULL while empty */
    size_t len;
} lines_t;

/* Called for each complete line, without its "\n" (nor a "\r" before it); empty lines are
 * skipped. line is valid during the call only. Returns 0 to go on, anything else to stop at once:
 * the callback may have freed the lines_t then. */
typedef int (*lines_fn)(void *ud, const char *line, size_t len);

/* Feeds len bytes. Returns 0, the callback's non-zero value (lines_feed touched nothing after it),
 * or (without skip_long) -EMSGSIZE when a line grows past max bytes (the tail is dropped; stop
 * reading). */
int lines_feed(lines_t *lb, const char *data, size_t len, size_t max, lines_fn fn, void *ud);
void lines_deinit(lines_t *lb);

#endif
