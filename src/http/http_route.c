/*
 * Path matching for the route table: literal segments compare exactly, {name} segments
 * capture one percent-decoded segment. Linear over the table, which is short and whose
 * patterns reject on the first differing byte.
 */
#include <string.h>

#include "http/http.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_url_decode(struct arena *a, const char *s, size_t n, int plus_is_space)
{
    char *out = arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
                return NULL;
            char c = (char)(hi << 4 | lo);
            if (!c)
                return NULL;
            *o++ = c;
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int http_route_match(struct http_req *req, const char *pattern, const char *path)
{
    const char *p = pattern, *u = path;
    const char *names[HTTP_MAX_PARAMS], *values[HTTP_MAX_PARAMS];
    size_t name_len[HTTP_MAX_PARAMS];
    const char *value_start[HTTP_MAX_PARAMS];
    size_t value_len[HTTP_MAX_PARAMS];
    int n = 0;

    while (*p && *u) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || n == HTTP_MAX_PARAMS)
                return 0;
            const char *seg_end = strchr(u, '/');
            size_t len = seg_end ? (size_t)(seg_end - u) : strlen(u);
            if (!len)
                return 0;
            names[n] = p + 1;
            name_len[n] = (size_t)(close - p - 1);
            value_start[n] = u;
            value_len[n] = len;
            n++;
            p = close + 1;
            u += len;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    if (*p || *u)
        return 0;
    for (int i = 0; i < n; i++) {
        values[i] = arena_strndup(req->arena, value_start[i], value_len[i]);
        req->param_names[i] = arena_strndup(req->arena, names[i], name_len[i]);
        req->params[i] = values[i];
    }
    req->nparams = n;
    req->route = pattern;
    return 1;
}
