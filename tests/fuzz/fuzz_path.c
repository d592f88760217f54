/*
 * libFuzzer target: request paths and query values. The bytes are split at the first
 * newline into a route pattern chosen from the real table's shapes and a path to match,
 * exercising http_route_match() and http_url_decode() in both modes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patterns[] = {
    "/api/v1/users/{id}", "/api/v1/users/{id}/password", "/api/v1/calendar/days/{day}",
    "/healthz",           "/api/v1/{a}/{b}/{c}/{d}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    struct http_req req;
    char *path = xmalloc(size + 1);
    memcpy(path, data, size);
    path[size] = '\0';
    arena_init(&a, 512);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        memset(&req, 0, sizeof(req));
        req.arena = &a;
        if (http_route_match(&req, patterns[i], path))
            for (int k = 0; k < req.nparams; k++)
                if (!req.params[k] || strlen(req.params[k]) > size)
                    abort();
    }
    char *d = http_url_decode(&a, (const char *)data, size, 1);
    if (d && strlen(d) > size)
        abort();
    http_url_decode(&a, (const char *)data, size, 0);
    arena_release(&a);
    free(path);
    return 0;
}
