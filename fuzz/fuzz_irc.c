/* fuzz_irc: the IRC line parser (src/proto/irc/parse.c), a pure function. The input is one line
 * (CR LF stripped by the caller in the server; here any byte, NUL included). Checks the
 * contracts: a known result code; on success a non-empty upper-cased command, counts within
 * their limits, every pointer inside msg.buf, middle parameters non-empty without spaces (the
 * 15th takes the rest of the line, as RFC 1459 has it); and
 * that each tag value survives irc_tag_escape and a second parse unchanged. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/irc/parse.h"

static irc_msg_t m, again;
static char line[IRC_MAX_LINE + 64];

static void check_in_buf(const irc_msg_t *msg, const char *p)
{
    if (p < msg->buf || p >= msg->buf + sizeof(msg->buf) ||
        memchr(p, '\0', (size_t)(msg->buf + sizeof(msg->buf) - p)) == NULL)
        abort();
}

/* "@k=ESCAPED X" parses back to value. */
static void check_tag_round_trip(const char *value)
{
    size_t vlen = strlen(value);
    size_t need = irc_tag_escape(value, vlen, line + 3, sizeof(line) - 8);
    if (need > IRC_MAX_CLIENT_TAGS - 2)
        return; /* would be refused as too long: nothing to compare */
    if (strlen(line + 3) != need)
        abort();
    memcpy(line, "@k=", 3);
    memcpy(line + 3 + need, " X", 2);
    if (irc_parse(line, need + 5, &again) != 0 || again.ntags != 1 ||
        strcmp(again.tags[0].key, "k") != 0 || strcmp(again.tags[0].value, value) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = irc_parse((const char *)data, size, &m);
    if (rc != 0) {
        if (rc != IRC_PARSE_EMPTY && rc != IRC_PARSE_TOOLONG && rc != IRC_PARSE_UTF8 &&
            rc != IRC_PARSE_BAD)
            abort();
        if (m.command)
            check_in_buf(&m, m.command);
        return 0;
    }
    if (m.command == NULL || m.command[0] == '\0' || m.nparams > IRC_MAX_PARAMS ||
        m.ntags > IRC_MAX_TAG_COUNT)
        abort();
    check_in_buf(&m, m.command);
    for (const char *p = m.command; *p; p++)
        if (islower((unsigned char)*p) || *p == ' ')
            abort();
    if (m.source)
        check_in_buf(&m, m.source);
    for (size_t i = 0; i < m.nparams; i++) {
        check_in_buf(&m, m.params[i]);
        /* the last parameter may be trailing: after " :", or the 15th, which takes the rest */
        bool last = i == m.nparams - 1;
        bool middle = !(last && (m.trailing || m.nparams == IRC_MAX_PARAMS));
        if (middle &&
            (m.params[i][0] == '\0' || m.params[i][0] == ':' || strchr(m.params[i], ' ') != NULL))
            abort();
    }
    for (size_t i = 0; i < m.ntags; i++) {
        check_in_buf(&m, m.tags[i].key);
        check_in_buf(&m, m.tags[i].value);
    }
    /* the round trip reuses `line` and `again`; m stays intact */
    for (size_t i = 0; i < m.ntags; i++)
        check_tag_round_trip(m.tags[i].value);
    return 0;
}
