/*
 * The response a handler builds: status, body (static, arena, heap or shared with a release
 * hook) and headers. Plain data; the server turns it into an MHD response.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/http_internal.h"

/* Gives up whatever the response owns for its current body. */
void http_res_drop(struct http_res *res)
{
    if (res->body_kind == HTTP_BODY_FREE)
        free((void *)res->body);
    else if (res->body_kind == HTTP_BODY_SHARED && res->body_release)
        res->body_release(res->body_owner);
    res->body_kind = HTTP_BODY_STATIC;
    res->body_release = NULL;
    res->body_owner = NULL;
}

void http_res_body(struct http_res *res, int status, const char *content_type, const char *body,
                   size_t len, enum http_body_kind kind)
{
    http_res_drop(res);
    res->status = status;
    res->content_type = content_type;
    res->body = body;
    res->body_len = len;
    res->body_kind = kind;
}

void http_res_body_shared(struct http_res *res, int status, const char *content_type,
                          const char *body, size_t len, void (*release)(void *owner), void *owner)
{
    http_res_body(res, status, content_type, body, len, HTTP_BODY_SHARED);
    res->body_release = release;
    res->body_owner = owner;
}

void http_res_header(struct http_res *res, const char *name, const char *value)
{
    for (int i = 0; i < res->nheaders; i++) {
        if (strcasecmp(res->header_names[i], name) == 0) {
            res->header_values[i] = value;
            return;
        }
    }
    http_res_header_add(res, name, value);
}

void http_res_header_add(struct http_res *res, const char *name, const char *value)
{
    if (res->nheaders < HTTP_MAX_RES_HEADERS) {
        res->header_names[res->nheaders] = name;
        res->header_values[res->nheaders] = value;
        res->nheaders++;
    }
}
