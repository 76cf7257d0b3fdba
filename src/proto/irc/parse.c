/* The IRC message parser: see parse.h. Everything is done in place in msg->buf: separators become
 * NULs and tag values are unescaped where they lie (unescaping only shrinks). */
#include "proto/irc/parse.h"

#include <string.h>

#include "util/utf8.h"

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '/';
}

/* Unescapes value in place (message-tags "Escaping values"): \: ; \s space \\ \ \r CR \n LF,
 * a backslash before any other character is dropped, and so is a trailing one. */
static void unescape(char *v)
{
    char *out = v;
    for (const char *p = v; *p; p++) {
        if (*p != '\\') {
            *out++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case ':': *out++ = ';'; break;
        case 's': *out++ = ' '; break;
        case 'r': *out++ = '\r'; break;
        case 'n': *out++ = '\n'; break;
        case '\0': p--; break; /* a trailing backslash */
        default: *out++ = *p; break;
        }
    }
    *out = '\0';
}

/* The tag section (without its '@', NUL-terminated in buf). */
static int parse_tags(char *s, irc_msg_t *msg)
{
    char *save = s;
    while (save) {
        char *tag = save;
        char *semi = strchr(tag, ';');
        save = semi ? semi + 1 : NULL;
        if (semi)
            *semi = '\0';
        if (*tag == '\0')
            continue; /* "a;;b" or a trailing ';' */
        char *eq = strchr(tag, '=');
        if (eq)
            *eq = '\0';
        const char *k = tag[0] == '+' ? tag + 1 : tag;
        if (*k == '\0' || k[strlen(k) - 1] == '/')
            return IRC_PARSE_BAD;
        for (; *k; k++)
            if (!key_char(*k))
                return IRC_PARSE_BAD;
        if (msg->ntags == IRC_MAX_TAG_COUNT)
            return IRC_PARSE_BAD;
        if (eq)
            unescape(eq + 1);
        /* no value: "" at the key's end, so that every pointer stays inside msg->buf */
        msg->tags[msg->ntags++] = (irc_tag_t){tag, eq ? eq + 1 : k};
    }
    return 0;
}

static char *skip_spaces(char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* Cuts the token at p; returns what follows it (its spaces skipped). */
static char *cut(char *p)
{
    char *sp = strchr(p, ' ');
    if (sp == NULL)
        return p + strlen(p);
    *sp = '\0';
    return skip_spaces(sp + 1);
}

static int parse(const char *line, size_t len, irc_msg_t *msg);

/* Invalid UTF-8 is refused after the structure is parsed, so that the answer can name the
 * command (when the command itself is plain letters or digits). */
int irc_parse(const char *line, size_t len, irc_msg_t *msg)
{
    int rc = parse(line, len, msg);
    if (rc == IRC_PARSE_TOOLONG || rc == IRC_PARSE_EMPTY || utf8_valid(line, len))
        return rc;
    const char *cmd = msg->command;
    if (cmd == NULL || cmd[strspn(cmd, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] != '\0')
        msg->command = NULL;
    return IRC_PARSE_UTF8;
}

static int parse(const char *line, size_t len, irc_msg_t *msg)
{
    msg->ntags = 0;
    msg->source = NULL;
    msg->command = NULL;
    msg->nparams = 0;
    msg->trailing = false;
    size_t tags_len = 0; /* the tag section with '@' and the space */
    if (len > 0 && line[0] == '@') {
        const char *sp = memchr(line, ' ', len);
        tags_len = sp ? (size_t)(sp - line) + 1 : len;
        if (tags_len > IRC_MAX_TAGS || tags_len - (sp ? 2 : 1) > IRC_MAX_CLIENT_TAGS)
            return IRC_PARSE_TOOLONG;
    }
    size_t body = len - tags_len;
    while (body > 0 && line[len - body] == ' ')
        body--;
    if (body > IRC_MAX_BODY)
        return IRC_PARSE_TOOLONG;
    if (memchr(line, '\0', len))
        return IRC_PARSE_BAD;
    memcpy(msg->buf, line, len);
    msg->buf[len] = '\0';

    char *p = msg->buf;
    if (tags_len) {
        p = cut(p);
        int rc = parse_tags(msg->buf + 1, msg);
        if (rc < 0)
            return rc;
    }
    p = skip_spaces(p);
    if (*p == ':') {
        msg->source = p + 1;
        p = cut(p);
        if (msg->source[0] == '\0')
            return IRC_PARSE_BAD;
    }
    if (*p == '\0')
        return msg->source || tags_len ? IRC_PARSE_BAD : IRC_PARSE_EMPTY;
    char *cmd = p;
    p = cut(p);
    for (char *c = cmd; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    msg->command = cmd;
    while (*p) {
        if (*p == ':' || msg->nparams == IRC_MAX_PARAMS - 1) {
            /* the trailing parameter, or the 15th, which takes the rest of the line */
            bool colon = *p == ':';
            char *v = colon ? p + 1 : p;
            if (!colon) {
                size_t n = strlen(v);
                while (n > 0 && v[n - 1] == ' ')
                    v[--n] = '\0';
            }
            msg->params[msg->nparams++] = v;
            msg->trailing = colon;
            break;
        }
        msg->params[msg->nparams++] = p;
        p = cut(p);
    }
    return 0;
}

size_t irc_tag_escape(const char *value, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char esc = 0;
        switch (value[i]) {
        case ';': esc = ':'; break;
        case ' ': esc = 's'; break;
        case '\\': esc = '\\'; break;
        case '\r': esc = 'r'; break;
        case '\n': esc = 'n'; break;
        default: break;
        }
        char pair[2] = {'\\', esc};
        const char *src = esc ? pair : &value[i];
        for (size_t k = 0; k < (esc ? 2u : 1u); k++, n++)
            if (n + 1 < outlen)
                out[n] = src[k];
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return n;
}
