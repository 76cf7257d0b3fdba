/* The IRC message parser (modern.ircdocs.horse "Messages", ircv3.net "Message tags"): a pure
 * function from one line (no CR LF) to its parts, with the size limits of the gateway. It copies
 * the line into the irc_msg_t, so the result owns nothing and borrows nothing: every pointer in it
 * points into msg->buf. Written to be fuzzed (fuzz/). */
#ifndef PARLEY_PROTO_IRC_PARSE_H
#define PARLEY_PROTO_IRC_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define IRC_MAX_PARAMS      15
#define IRC_MAX_BODY        510  /* bytes after the tags, without CR LF (512 with them) */
#define IRC_MAX_TAGS        8191 /* the tag section with its '@' and the space after it */
#define IRC_MAX_CLIENT_TAGS 4094 /* tag data a client may send (between '@' and the space) */
#define IRC_MAX_TAG_COUNT   64
/* The longest line the gateway reads whole; longer ones are skipped as too long. */
#define IRC_MAX_LINE (IRC_MAX_TAGS + IRC_MAX_BODY)

enum {
    IRC_PARSE_EMPTY = -1,   /* nothing but spaces: ignored */
    IRC_PARSE_TOOLONG = -2, /* 417 ERR_INPUTTOOLONG */
    IRC_PARSE_UTF8 = -3,    /* not UTF-8 (the server is UTF8ONLY) */
    IRC_PARSE_BAD = -4,     /* no command, a NUL or a malformed tag section */
};

typedef struct irc_tag {
    const char *key;   /* with its '+' for client-only tags, vendor prefix kept */
    const char *value; /* unescaped; "" when the tag has no value */
} irc_tag_t;

typedef struct irc_msg {
    irc_tag_t tags[IRC_MAX_TAG_COUNT];
    size_t ntags;
    const char *source;  /* without ':'; NULL when none */
    const char *command; /* upper-cased; a numeric stays as sent */
    const char *params[IRC_MAX_PARAMS];
    size_t nparams;
    bool trailing; /* the last parameter came after " :" (it may be empty or hold spaces) */
    char buf[IRC_MAX_LINE + 1];
} irc_msg_t;

/* Parses len bytes at line (no CR LF). 0 or an IRC_PARSE_* code; on error only command may be
 * set (NULL otherwise), so that the answer can name it. */
int irc_parse(const char *line, size_t len, irc_msg_t *msg);

/* Escapes a tag value into out (at most outlen - 1 bytes and a NUL); returns the length it
 * needs, like snprintf. */
size_t irc_tag_escape(const char *value, size_t len, char *out, size_t outlen);

#endif
