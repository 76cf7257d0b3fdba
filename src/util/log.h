/* Levelled logging to stderr or a file. log_reopen() is called on SIGHUP to follow log rotation.
 * Not thread-safe for reconfiguration; log lines themselves may be written from any thread (each is
 * one fprintf of a pre-formatted line). */
#ifndef PARLEY_UTIL_LOG_H
#define PARLEY_UTIL_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level_t;

int log_set_level_name(const char *name); /* "debug", "info", "warn", "error"; -EINVAL otherwise */
void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* path NULL or "" means stderr. Returns 0 or -errno (logging continues to stderr). */
int log_open(const char *path);
int log_reopen(void);
void log_close(void);
void log_write(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_get_level() <= LOG_DEBUG)                                                          \
            log_write(LOG_DEBUG, __VA_ARGS__);                                                     \
    } while (0)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
