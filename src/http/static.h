/* The web client's files, served from the configured web root (GET and HEAD). */
#ifndef PARLEY_HTTP_STATIC_H
#define PARLEY_HTTP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

void static_handle(const http_request_t *r);
/* Percent-decodes a URL path into out (outlen bytes). Rejects NUL, "..", and backslash segments.
 * Returns 0 or -EINVAL. */
int static_clean_path(const char *path, char *out, size_t outlen);

#endif
