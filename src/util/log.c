#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static log_level_t level = LOG_INFO;
static FILE *out;
static char *out_path;

static const char *const names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level_t l)
{
    level = l;
}

log_level_t log_get_level(void)
{
    return level;
}

int log_set_level_name(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            level = (log_level_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

int log_open(const char *path)
{
    log_close();
    if (path == NULL || *path == '\0')
        return 0;
    out_path = strdup(path);
    return log_reopen();
}

int log_reopen(void)
{
    if (out_path == NULL)
        return 0;
    FILE *f = fopen(out_path, "a");
    if (f == NULL)
        return -errno;
    setvbuf(f, NULL, _IOLBF, 0);
    if (out)
        fclose(out);
    out = f;
    return 0;
}

void log_close(void)
{
    if (out)
        fclose(out);
    out = NULL;
    free(out_path);
    out_path = NULL;
}

void log_write(log_level_t l, const char *fmt, ...)
{
    if (l < level || l >= LOG_OFF)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[l]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    line[len] = '\0';
    fputs(line, out ? out : stderr);
}
