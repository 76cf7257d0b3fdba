#include "util/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

/* One complete line (its "\n" cut off). */
static int emit(const lines_t *lb, const char *line, size_t len, size_t max, lines_fn fn, void *ud)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > max)
        return lb->skip_long ? fn(ud, NULL, 0) : -EMSGSIZE;
    return len > 0 ? fn(ud, line, len) : 0;
}

void lines_deinit(lines_t *lb)
{
    free(lb->tail);
    lb->tail = NULL;
    lb->len = 0;
    lb->skipping = false;
}

/* An overlong line: stop (-EMSGSIZE) or report it once and skip to its end. */
static int too_long(lines_t *lb, lines_fn fn, void *ud)
{
    bool skip = lb->skip_long;
    lines_deinit(lb);
    if (!skip)
        return -EMSGSIZE;
    lb->skipping = true;
    return fn(ud, NULL, 0);
}

int lines_feed(lines_t *lb, const char *data, size_t len, size_t max, lines_fn fn, void *ud)
{
    /* a "\r" ending a line may follow its max bytes */
    size_t limit = max + 1;
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (lb->skipping) {
            if (nl == NULL)
                return 0;
            lb->skipping = false;
            data += n + 1;
            len -= n + 1;
            continue;
        }
        if (lb->len + n > limit) {
            int rc = too_long(lb, fn, ud);
            if (rc != 0)
                return rc;
            continue; /* skipping: the same bytes again, up to the "\n" */
        }
        if (nl == NULL) {
            lb->tail = xrealloc(lb->tail, lb->len + n);
            memcpy(lb->tail + lb->len, data, n);
            lb->len += n;
            return 0;
        }
        int rc;
        if (lb->tail) {
            /* the line began in an earlier read: complete it in the tail */
            char *line = xrealloc(lb->tail, lb->len + n);
            memcpy(line + lb->len, data, n);
            size_t ll = lb->len + n;
            lb->tail = NULL;
            lb->len = 0;
            rc = emit(lb, line, ll, max, fn, ud);
            free(line);
        } else {
            rc = emit(lb, data, n, max, fn, ud);
        }
        if (rc != 0)
            return rc;
        data += n + 1;
        len -= n + 1;
    }
    return 0;
}
