/* Newline-delimited input (the direct socket): splits a byte stream into lines, keeping only an
 * incomplete line's tail between reads (an idle connection holds no buffer). */
#ifndef PARLEY_PROTO_JSON_LINES_H
#define PARLEY_PROTO_JSON_LINES_H

#include <stddef.h>

typedef struct lines {
    char *tail; /* the incomplete line so far; NULL while empty (private) */
    size_t len;
} lines_t;

/* Called for each complete line, without its "\n" (nor a "\r" before it); empty lines are
 * skipped. line is valid during the call only. Returns 0 to go on, anything else to stop at once:
 * the callback may have freed the lines_t then. */
typedef int (*lines_fn)(void *ud, const char *line, size_t len);

/* Feeds len bytes. Returns 0, the callback's non-zero value (lines_feed touched nothing after it),
 * or -EMSGSIZE when a line grows past max bytes (the tail is dropped; stop reading). */
int lines_feed(lines_t *lb, const char *data, size_t len, size_t max, lines_fn fn, void *ud);
void lines_deinit(lines_t *lb);

#endif
