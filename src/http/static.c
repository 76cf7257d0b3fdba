#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hex.h"
#include "util/xmalloc.h"

#define STATIC_MAX_FILE (8 * 1024 * 1024)

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

int static_clean_path(const char *path, char *out, size_t outlen)
{
    size_t n = 0;
    if (path[0] != '/')
        return -EINVAL;
    for (const char *p = path; *p; p++) {
        char c = *p;
        if (c == '%') {
            int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = (char)(hi * 16 + lo);
            p += 2;
        }
        if (c == '\0' || c == '\\' || n + 1 >= outlen)
            return -EINVAL;
        out[n++] = c;
    }
    out[n] = '\0';
    /* no "." or ".." segment, no empty segment in the middle */
    for (char *seg = out; seg; seg = strchr(seg + 1, '/')) {
        const char *s = seg + 1;
        if ((s[0] == '.' && (s[1] == '/' || s[1] == '\0')) ||
            (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == '\0')))
            return -EINVAL;
    }
    return 0;
}

void static_handle(const http_request_t *r)
{
    bool head = strcmp(r->method_name, "HEAD") == 0;
    if (!head && strcmp(r->method_name, "GET") != 0) {
        http_respond(r, 405, "text/plain", "method not allowed\n", 19, "Allow: GET, HEAD\r\n",
                     false);
        return;
    }
    char clean[1024], file[2048];
    if (static_clean_path(r->path, clean, sizeof(clean)) < 0) {
        http_respond_text(r, 404, "not found");
        return;
    }
    const char *root = http_app(r)->cfg->web_root;
    size_t cl = strlen(clean);
    snprintf(file, sizeof(file), "%s%s%s", root, clean, clean[cl - 1] == '/' ? "index.html" : "");
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE) {
        if (fd >= 0)
            close(fd);
        http_respond_text(r, 404, "not found");
        return;
    }
    size_t len = (size_t)st.st_size;
    char *body = xmalloc(len ? len : 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, body + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(body);
        http_respond_text(r, 500, "read error");
        return;
    }
    http_respond(r, 200, content_type(file), body, len,
                 "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n", head);
    free(body);
}
