/*
 * http: the HTTP server adapter over libmicrohttpd, and the request/response types the API
 * layer works with. It knows nothing of JSON, users or the database.
 *
 * Model: an epoll listener with a thread pool (one thread per core by default). Each request
 * runs start to finish on one pool thread: the body is accumulated (bounded by a limit),
 * then the single handler is called once with a complete request and fills a response
 * (or defers it: see http_req_defer()).
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
    const char *path; /* without the query string */
    const char *body; /* NUL-terminated copy; "" when there is none */
    size_t body_len;
    int body_too_large;    /* set when the body went over the limit: answer 413 */
    int headers_too_large; /* request line + headers over max_header_bytes: answer 431 */
    const char *ip;        /* the client's address as text: the socket peer, or what a trusted
                            * proxy says (http_proxy_client) */
    const char *peer_ip;   /* the socket peer's address as text */
    int https;             /* a trusted proxy says the client spoke HTTPS to it */
    char request_id[20];
    /* Filled by the router for the matched route. */
    const char *route; /* route pattern, used as the metrics/log label */
    const char *param_names[HTTP_MAX_PARAMS];
    const char *params[HTTP_MAX_PARAMS];
    int nparams;
    /* Filled by the application for the access log. */
    int64_t user_id;
    void *conn; /* private: the MHD connection */
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
    int fd; /* >= 0: send this file (owned, closed by the server) */
    uint64_t fd_size;
    int close;                  /* ask for the connection to be closed */
    struct http_stream *stream; /* set by http_res_stream(): the body is a stream */
    int nheaders;
    const char *header_names[HTTP_MAX_RES_HEADERS];
    const char *header_values[HTTP_MAX_RES_HEADERS];
};

typedef void http_handler_fn(void *ctx, struct http_req *req, struct http_res *res);

struct http_options {
    const char *listen; /* "host:port" (IPv4 or [IPv6]) */
    int threads;        /* 0 = number of cores */
    int max_connections;
    int request_timeout; /* seconds */
    int max_header_bytes;
    size_t max_body_bytes;   /* bodies of other content types */
    size_t max_upload_bytes; /* multipart/form-data, image and octet-stream bodies */
    int access_log;
    /* Content-Security-Policy of every response (NULL: http_default_csp(NULL)). */
    const char *csp;
    /* Socket peers whose forwarding header is believed (http_proxies_new): addresses and
     * address/prefix, separated by commas or spaces; NULL or "" = none. */
    const char *trusted_proxies;
    const char *trusted_proxy_header; /* "x-forwarded-for" (NULL) or "forwarded" */
};

/* The strict policy (docs/security.md): scripts, styles, fonts and connections from this
 * origin only, images also from 'img_origins' (the map tiles' origin, space-separated; NULL or
 * "" for none), no framing, no plugins, no <base>. Heap string, the caller frees it. */
char *http_default_csp(const char *img_origins);

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
void http_res_body_shared(struct http_res *res, int status, const char *content_type,
                          const char *body, size_t len, void (*release)(void *owner), void *owner);
void http_res_header(struct http_res *res, const char *name,
                     const char *value); /* values must outlive the call: arena or static */
/* Another header of the same name, where HTTP allows several (Set-Cookie). */
void http_res_header_add(struct http_res *res, const char *name, const char *value);

const char *http_method_name(enum http_method m);
const char *http_status_text(int status);

/* 1 if the client accepts a gzip-encoded response. */
int http_req_accepts_gzip(const struct http_req *req);

/* gzip 'data'; returns a malloc'd buffer (caller frees) or NULL when compression does not
 * make it smaller. */
char *http_gzip(const char *data, size_t len, size_t *out_len);

/* ---- streaming responses ---- */

/*
 * A response whose body is written over time (server-sent events). An idle stream holds no
 * thread: its connection is suspended until something is sent (see http_stream.c).
 * Messages are queued whole; when more than max_messages wait (a slow or stalled client)
 * the oldest are dropped and overflow_msg is sent in their place. idle_msg is sent after
 * idle_seconds without output (an SSE comment keeps proxies and dead-client detection
 * going). On server shutdown every stream is closed: what is queued is sent, then the body
 * ends.
 */
struct http_stream;

struct http_stream_options {
    const char *content_type; /* e.g. "text/event-stream; charset=utf-8" (static) */
    size_t max_messages;      /* 0 = 256 */
    const char *overflow_msg; /* copied; NULL = none */
    const char *idle_msg;     /* copied; NULL = none */
    int idle_seconds;
    /* The stream ends (as http_stream_close) this long after it opened: a connection is not
     * held for ever, and a client reconnects (SSE 'retry:') under the limits of the day.
     * 0 = no limit. */
    int64_t max_life_ms;
    /* check(check_arg) is called on the connection's own pool thread (where a database
     * lookup is allowed) before the first byte is sent, every check_seconds after that, and
     * soon after http_stream_check_soon(); when it returns a negative value the stream ends
     * at once (http_stream_end). check_arg is owned by the stream from then on (free()d with
     * it, also when check is NULL). check_seconds 0: only the first and the asked-for ones. */
    int (*check)(void *check_arg);
    void *check_arg;
    int check_seconds;
};

/* Answer 200 with a stream. Returns the stream with a reference for the caller, who sends
 * with it from any thread and drops it with http_stream_unref(). Set headers as usual. */
struct http_stream *http_res_stream(struct http_res *res, const struct http_stream_options *o);

/* Queue one message (copied). 0, or ERR_UNAVAILABLE once the stream has ended (client gone,
 * closed, server stopping): the caller should then drop its reference. */
int http_stream_send(struct http_stream *st, const char *data, size_t len);

/* 1 while messages can still be sent. */
int http_stream_is_open(struct http_stream *st);

/* End the stream after what is queued has been sent. */
void http_stream_close(struct http_stream *st);

/* End the stream now: what is queued and not yet started is dropped (its reader is no longer
 * entitled to it: the session ended). */
void http_stream_end(struct http_stream *st);

/* Run the stream's check soon (within a second), on its connection's thread. */
void http_stream_check_soon(struct http_stream *st);

void http_stream_unref(struct http_stream *st);

/* For the server: drop the response's reference of a stream that was never sent. */
void http_stream_abandon(struct http_stream *st);

/* Streams currently open on the server. */
int http_server_streams(const struct http_server *s);

/* ---- deferred responses ---- */

/*
 * For a handler whose answer waits on work done elsewhere (a write queued for a group
 * commit): it calls http_req_defer() and returns without setting a response. The server
 * then suspends the connection, so the pool thread serves other connections meanwhile.
 * When the work is done, any thread calls http_req_resume() exactly once (it may do so even
 * before the handler has returned); the server then calls finish(arg, req, res) on a pool
 * thread to fill the response, and sends it. The request and its arena stay valid until
 * finish returns, and nothing else touches them while the request is deferred; if the
 * client has gone away by then, finish is not called, so 'arg' must own nothing beyond
 * the request arena. The server does not stop before every deferred request is resumed.
 */
typedef void http_finish_fn(void *arg, struct http_req *req, struct http_res *res);
void http_req_defer(struct http_req *req, http_finish_fn *finish, void *arg);
void http_req_resume(struct http_req *req);

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

/* ---- trusted proxies ---- */

enum http_proxy_header { HTTP_PROXY_XFF, HTTP_PROXY_FORWARDED };
struct http_proxies;

/* Parse the trusted_proxies list ('list': "10.0.0.1, 192.168.0.0/16 ::1") and the header to
 * read ('header': "x-forwarded-for", the default when NULL, or "forwarded"). *out is NULL
 * when the list is empty. ERR_BAD_REQUEST naming the setting on a malformed entry. */
int http_proxies_new(struct http_proxies **out, const char *list, const char *header,
                     struct err *err);
void http_proxies_free(struct http_proxies *p);
enum http_proxy_header http_proxies_header(const struct http_proxies *p);
/* 1 if 'ip' (text) is one of the trusted proxies; 0 when p is NULL. */
int http_proxies_trust(const struct http_proxies *p, const char *ip);

/*
 * The client of a request that came through a trusted proxy: 'fwd' is every value of the
 * proxies' header joined by commas (X-Forwarded-For, or Forwarded per RFC 7239), 'xf_proto'
 * the X-Forwarded-Proto values (NULL when absent; only read with X-Forwarded-For). The client
 * is the rightmost address that is not a trusted proxy. Returns 1 and writes the address as
 * text to 'ip' and whether that hop said https to *https, or 0 when the header names no
 * usable address (then the peer is the client).
 */
int http_proxy_client(const struct http_proxies *p, const char *fwd, const char *xf_proto, char *ip,
                      size_t ip_size, int *https);

/* ---- multipart/form-data ---- */

struct http_part {
    const char *data; /* the part's bytes, borrowed from the body */
    size_t len;
    const char *name;         /* form field name (arena); "" when absent */
    const char *filename;     /* arena; NULL when the part is not a file */
    const char *content_type; /* as declared (arena), NULL if none: never to be trusted */
};

/*
 * Find the one file in a multipart/form-data body: the part with a filename, or the field
 * named "file". 'content_type' is the request's header (it carries the boundary). Returns 0,
 * ERR_MEDIA_TYPE when the type is not multipart/form-data, or ERR_BAD_REQUEST for a missing
 * boundary, a malformed or truncated body, no file part, or more than one.
 */
int http_multipart_file(const char *content_type, const char *body, size_t len, struct arena *a,
                        struct http_part *out, struct err *err);

/* ---- forms: application/x-www-form-urlencoded or multipart/form-data ---- */

#define HTTP_FORM_MAX_FIELDS 256

struct http_form_field {
    const char *name;  /* decoded, NUL-terminated (arena) */
    const char *value; /* decoded, NUL-terminated (arena); "" for "name" or "name=" */
};

struct http_form {
    struct http_form_field *fields; /* arena; in body order, repeats kept */
    size_t n;
    struct http_part *files; /* multipart/form-data only: the file parts, in body order */
    size_t nfiles;
};

/*
 * Parse a form body (WHATWG URL-encoded: '&'-separated name=value pairs, '+' is a space,
 * %XX escapes). Empty pairs ("a=1&&b=2") are skipped. Names and values are decoded into the
 * arena and must be UTF-8 without NUL; a malformed escape, invalid UTF-8, a decoded NUL, an
 * empty name or more than HTTP_FORM_MAX_FIELDS pairs is ERR_BAD_REQUEST naming the field
 * (its decoded name when known).
 */
int http_form_parse(const char *body, size_t len, struct arena *a, struct http_form *out,
                    struct err *err);

/*
 * Parse a multipart/form-data body as a form (an Open311 client posting a report with its
 * photo): parts with a filename, or declaring a Content-Type other than text/plain, are files
 * ('files', bytes borrowed from the body); the others are fields whose value is the part's
 * bytes, which must be UTF-8 without NUL. At most HTTP_FORM_MAX_FIELDS parts in all. Errors
 * as http_multipart_file, but a form without files is one.
 */
int http_multipart_form(const char *content_type, const char *body, size_t len, struct arena *a,
                        struct http_form *out, struct err *err);

/* The first value of 'name', or NULL when absent. */
const char *http_form_get(const struct http_form *f, const char *name);

/* How many times 'name' occurs. */
size_t http_form_count(const struct http_form *f, const char *name);

/* 1 if 'content_type' is application/x-www-form-urlencoded (any parameters, any case). */
int http_form_content_type(const char *content_type);

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
