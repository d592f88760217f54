/*
 * http: the HTTP server adapter over libmicrohttpd, and the request/response types the API
 * layer works with. It knows nothing of JSON, users or the database.
 *
 * Model: an epoll listener with a thread pool (one thread per core by default). Each request
 * runs start to finish on one pool thread: the body is accumulated (bounded by a limit),
 * then the single handler is called once with a complete request and fills a response.
 * Every request gets its own arena (req->arena) released after the response is sent.
 *
 * Threading: the handler is called concurrently from the pool threads. Ownership: request
 * strings are borrowed for the duration of the handler call; response bodies are either in
 * the request arena (HTTP_BODY_ARENA), static, malloc'd and owned by the server after
 * http_res_* has been called (HTTP_BODY_FREE), or shared with a reference the server drops
 * once the body is sent (HTTP_BODY_SHARED, set with http_res_body_shared()).
 */
#ifndef GRIDLOOP_HTTP_HTTP_H
#define GRIDLOOP_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/mem.h"

struct err;
struct http_server;
struct http_metrics;

enum http_method { HTTP_OTHER, HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE };

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_RES_HEADERS 8

struct http_req {
    struct arena *arena;
    enum http_method method;
    const char *method_name;
    const char *path;            /* without the query string */
    const char *body;            /* NUL-terminated copy; "" when there is none */
    size_t body_len;
    int body_too_large;          /* set when the body went over the limit: answer 413 */
    int headers_too_large;       /* request line + headers over max_header_bytes: answer 431 */
    const char *ip;              /* peer address as text */
    char request_id[20];
    /* Filled by the router for the matched route. */
    const char *route;           /* route pattern, used as the metrics/log label */
    const char *param_names[HTTP_MAX_PARAMS];
    const char *params[HTTP_MAX_PARAMS];
    int nparams;
    /* Filled by the application for the access log. */
    int64_t user_id;
    void *conn;                  /* private: the MHD connection */
};

enum http_body_kind { HTTP_BODY_STATIC, HTTP_BODY_ARENA, HTTP_BODY_FREE, HTTP_BODY_SHARED };

struct http_res {
    int status;
    const char *content_type;
    const char *body;
    size_t body_len;
    enum http_body_kind body_kind;
    void (*body_release)(void *owner); /* HTTP_BODY_SHARED: called once when done with body */
    void *body_owner;
    int fd;                      /* >= 0: send this file (owned, closed by the server) */
    uint64_t fd_size;
    int close;                   /* ask for the connection to be closed */
    int nheaders;
    const char *header_names[HTTP_MAX_RES_HEADERS];
    const char *header_values[HTTP_MAX_RES_HEADERS];
};

typedef void http_handler_fn(void *ctx, struct http_req *req, struct http_res *res);

struct http_options {
    const char *listen;          /* "host:port" (IPv4 or [IPv6]) */
    int threads;                 /* 0 = number of cores */
    int max_connections;
    int request_timeout;         /* seconds */
    int max_header_bytes;
    size_t max_body_bytes;       /* bodies of other content types */
    size_t max_upload_bytes;     /* multipart/form-data, image and octet-stream bodies */
    int access_log;
};

/* Start serving. 'handler' is called for every complete request. */
int http_server_start(struct http_server **out, const struct http_options *opt,
                      http_handler_fn *handler, void *ctx, struct err *err);

/* Stop accepting, let requests in flight finish for up to 'grace_seconds', then stop and
 * free the server. */
void http_server_stop(struct http_server *s, int grace_seconds);

/* The port actually bound (useful when listening on port 0). */
int http_server_port(const struct http_server *s);

/* Counters and histograms of this server, for /metrics. */
struct http_metrics *http_server_metrics(struct http_server *s);

/* Requests currently being handled. */
int http_server_in_flight(const struct http_server *s);

/* Request accessors (values borrowed for the handler call). */
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_query(const struct http_req *req, const char *name);
const char *http_req_cookie(const struct http_req *req, const char *name);
const char *http_req_param(const struct http_req *req, const char *name);

/* Response helpers. A body set with http_res_body() in HTTP_BODY_FREE mode is freed by the server. */
void http_res_body(struct http_res *res, int status, const char *content_type, const char *body,
                   size_t len, enum http_body_kind kind);
/* A body owned by someone else (e.g. a reference-counted cache entry): the server calls
 * release(owner) exactly once, after the response has been sent or discarded. This avoids
 * copying a large cached body into the request arena for every request. */
void http_res_body_shared(struct http_res *res, int status, const char *content_type, const char *body,
                          size_t len, void (*release)(void *owner), void *owner);
void http_res_header(struct http_res *res, const char *name, const char *value);  /* values must outlive the call: arena or static */

const char *http_method_name(enum http_method m);
const char *http_status_text(int status);

/* 1 if the client accepts a gzip-encoded response. */
int http_req_accepts_gzip(const struct http_req *req);

/* gzip 'data'; returns a malloc'd buffer (caller frees) or NULL when compression does not
 * make it smaller. */
char *http_gzip(const char *data, size_t len, size_t *out_len);

/* ---- router ---- */

/*
 * Match 'path' against 'pattern' where segments written {name} capture one path segment.
 * On a match fills req->params / req->param_names / req->route and returns 1; else 0.
 * 'path' is already percent-decoded by the server, so captures are copied as they are:
 * decoding again would let "%2531" reach id 1.
 */
int http_route_match(struct http_req *req, const char *pattern, const char *path);

/* Percent-decode into the arena; returns NULL on a malformed escape or a decoded NUL. */
char *http_url_decode(struct arena *a, const char *s, size_t n, int plus_is_space);

/* ---- static files ---- */

struct http_static;

/* Serve files under 'root'. The index is "index.html". */
int http_static_new(struct http_static **out, const char *root, struct err *err);
void http_static_free(struct http_static *st);

/*
 * Answer a GET/HEAD for 'path' from the directory: correct MIME type, ETag and
 * If-None-Match (304), gzip when the client accepts it and the type compresses well,
 * 404 for missing files, 400 for paths that try to leave the root.
 * Returns 1 if it answered, 0 if the file does not exist (so the caller may fall back).
 */
int http_static_serve(struct http_static *st, struct http_req *req, struct http_res *res);

/* ---- metrics ---- */

/* Prometheus text exposition of the request counters and latency histogram. */
void http_metrics_render(struct http_metrics *m, struct buf *out);

#endif /* GRIDLOOP_HTTP_HTTP_H */
