/*
 * libmicrohttpd adapter. Two MHD idioms matter for speed and correctness here:
 * - the response is queued on the second (or later) access-handler call, never the first,
 *   because MHD 0.9.75 closes keep-alive connections whose response was queued before the
 *   request was fully read (the one exception is a declared length over the limit, whose
 *   413 should close the connection anyway);
 * - the body arrives in pieces; each piece is consumed (*upload_data_size = 0) and appended
 *   to the request's buffer until the limit, after which the rest is discarded and 413 is
 *   answered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/http.h"
#include "http/http_internal.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_options opt;
    http_handler_fn *handler;
    void *ctx;
    struct http_metrics *metrics;
    struct http_streams *streams;
    struct http_proxies *proxies; /* NULL: no trusted proxies, the peer is the client */
    _Atomic int in_flight;
    _Atomic int deferred; /* suspended by http_req_defer(), not yet finished */
    _Atomic uint64_t next_id;
    uint32_t id_prefix;
    int port;
    char *csp; /* Content-Security-Policy of every response */
};

/* Per-request state, from the first access-handler call to the completion callback. */
struct req_state {
    struct arena arena;
    struct http_req req;
    struct buf body;
    size_t limit;
    uint64_t start_ns;
    int handled;
    /* A deferred response (http_req_defer): the connection is suspended from the end of the
     * handler call until http_req_resume(); whichever of the two comes second calls
     * MHD_resume_connection(), so a resume never precedes the suspension. */
    http_finish_fn *finish;
    void *finish_arg;
    _Atomic unsigned defer_state; /* DEFER_* bits */
};

enum { DEFER_SUSPENDED = 1u, DEFER_RESUMED = 2u };

#define REQ_STATE(r) ((struct req_state *)(void *)((char *)(r)-offsetof(struct req_state, req)))

void http_req_defer(struct http_req *req, http_finish_fn *finish, void *arg)
{
    struct req_state *rs = REQ_STATE(req);
    rs->finish = finish;
    rs->finish_arg = arg;
}

void http_req_resume(struct http_req *req)
{
    struct req_state *rs = REQ_STATE(req);
    struct MHD_Connection *c = req->conn;
    /* Once the connection is resumed the request may finish and be freed at any moment:
     * nothing of it is touched after this. */
    if (atomic_fetch_or(&rs->defer_state, DEFER_RESUMED) & DEFER_SUSPENDED)
        MHD_resume_connection(c);
}

/* One row per method: its name on the wire. */
static const struct {
    const char *name;
    enum http_method m;
} methods[] = {{"GET", HTTP_GET}, {"HEAD", HTTP_HEAD},   {"POST", HTTP_POST},
               {"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}};

static enum http_method method_of(const char *m)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(methods[i].name, m) == 0)
            return methods[i].m;
    return HTTP_OTHER;
}

const char *http_method_name(enum http_method m)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (methods[i].m == m)
            return methods[i].name;
    return "OTHER";
}

const char *http_status_text(int status)
{
    const char *t = MHD_get_reason_phrase_for((unsigned)status);
    return t && *t ? t : "Unknown";
}

const char *http_req_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_req_cookie(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_req_param(const struct http_req *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->params[i];
    return NULL;
}

static int is_upload_type(const char *ct)
{
    return ct &&
           (strncasecmp(ct, "multipart/form-data", 19) == 0 || strncasecmp(ct, "image/", 6) == 0 ||
            strncasecmp(ct, "application/octet-stream", 24) == 0);
}

static void peer_ip(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/* Every value of one header, joined by ", " as RFC 9110 5.3 allows (a proxy may add its own
 * line rather than extend the last one). */
struct joined {
    const char *name;
    struct buf b;
};

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct joined *j = cls;
    (void)kind;
    if (value && strcasecmp(key, j->name) == 0) {
        if (j->b.len)
            buf_puts(&j->b, ", ");
        buf_puts(&j->b, value);
    }
    return MHD_YES;
}

static const char *joined_header(struct MHD_Connection *c, struct arena *a, const char *name)
{
    struct joined j = {.name = name};
    buf_init(&j.b);
    MHD_get_connection_values(c, MHD_HEADER_KIND, join_header, &j);
    const char *out = j.b.len ? arena_strndup(a, j.b.p, j.b.len) : NULL;
    buf_release(&j.b);
    return out;
}

/* Behind a trusted proxy the client is who the proxy says (http_proxy.c). */
static void forwarded_client(struct http_server *s, struct MHD_Connection *c, struct http_req *req)
{
    char ip[INET6_ADDRSTRLEN];
    int https = 0;
    int xff = http_proxies_header(s->proxies) == HTTP_PROXY_XFF;
    const char *fwd = joined_header(c, req->arena, xff ? "X-Forwarded-For" : "Forwarded");
    const char *proto = xff ? joined_header(c, req->arena, "X-Forwarded-Proto") : NULL;
    if (http_proxy_client(s->proxies, fwd, proto, ip, sizeof(ip), &https)) {
        req->ip = arena_strdup(req->arena, ip);
        req->https = https;
    }
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    size_t *total = cls;
    (void)kind;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static struct req_state *begin(struct http_server *s, struct MHD_Connection *c, const char *url,
                               const char *method)
{
    struct req_state *rs = xcalloc(1, sizeof(*rs));
    char ip[INET6_ADDRSTRLEN];
    arena_init(&rs->arena, 8192);
    buf_init(&rs->body);
    rs->start_ns = clock_mono_ns();
    rs->req.arena = &rs->arena;
    rs->req.conn = c;
    rs->req.method = method_of(method);
    rs->req.method_name = arena_strdup(&rs->arena, method);
    rs->req.path = arena_strdup(&rs->arena, url);
    rs->req.body = "";
    peer_ip(c, ip, sizeof(ip));
    rs->req.peer_ip = rs->req.ip = arena_strdup(&rs->arena, ip);
    if (s->proxies && http_proxies_trust(s->proxies, ip))
        forwarded_client(s, c, &rs->req);
    uint64_t n = atomic_fetch_add(&s->next_id, 1);
    snprintf(rs->req.request_id, sizeof(rs->req.request_id), "%08x%08llx", s->id_prefix,
             (unsigned long long)(n & 0xffffffffu));
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    rs->limit = is_upload_type(ct) ? s->opt.max_upload_bytes : s->opt.max_body_bytes;
    /* MHD bounds headers only by its connection pool, loosely; count them exactly so the
     * limit is the configured one and the refusal is our JSON 431. */
    size_t header_bytes = strlen(url) + strlen(method) + 12;
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &header_bytes);
    if (header_bytes > (size_t)s->opt.max_header_bytes)
        rs->req.headers_too_large = 1;
    /* A declared length over the limit is refused before any of the body is read. */
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > rs->limit)
        rs->req.body_too_large = 1;
    atomic_fetch_add(&s->in_flight, 1);
    return rs;
}

/* One JSON object per line; built with buf_json_str so the http layer needs no JSON module. */
static void access_log(struct req_state *rs, int status, uint64_t bytes, uint64_t ns)
{
    struct buf b;
    char ts[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    clock_format_utc(now.tv_sec, ts);
    buf_init(&b);
    buf_printf(&b, "{\"ts\":\"%s\",\"id\":\"%s\",\"ip\":", ts, rs->req.request_id);
    buf_json_str(&b, rs->req.ip);
    if (rs->req.peer_ip != rs->req.ip) { /* behind a trusted proxy: say which one */
        buf_puts(&b, ",\"peer\":");
        buf_json_str(&b, rs->req.peer_ip);
    }
    buf_puts(&b, ",\"method\":");
    buf_json_str(&b, rs->req.method_name);
    buf_puts(&b, ",\"path\":");
    buf_json_str(&b, rs->req.path);
    buf_puts(&b, ",\"route\":");
    buf_json_str(&b, rs->req.route ? rs->req.route : "");
    buf_printf(&b, ",\"status\":%d,\"bytes\":%llu,\"ms\":%.3f", status, (unsigned long long)bytes,
               (double)ns / 1e6);
    if (rs->req.user_id)
        buf_printf(&b, ",\"user\":%lld", (long long)rs->req.user_id);
    buf_putc(&b, '}');
    log_line_stdout(b.p, b.len);
    buf_release(&b);
}

char *http_default_csp(const char *img_origins)
{
    /* Style attributes only ('unsafe-inline' for attributes, never for <style> or scripts):
     * ECharts writes its tooltips as markup with style attributes, and an attribute can
     * neither run script nor fetch anything img-src does not allow. */
    struct buf b;
    buf_init(&b);
    buf_printf(&b,
               "default-src 'none'; script-src 'self'; style-src 'self'; "
               "style-src-attr 'unsafe-inline'; img-src 'self' data: blob:%s%s; font-src 'self'; "
               "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'; object-src 'none'",
               img_origins && *img_origins ? " " : "", img_origins ? img_origins : "");
    size_t n;
    return buf_detach(&b, &n);
}

static int res_has_header(const struct http_res *res, const char *name)
{
    for (int i = 0; i < res->nheaders; i++)
        if (strcasecmp(res->header_names[i], name) == 0)
            return 1;
    return 0;
}

/*
 * Decided here, once for every response, rather than per handler: nothing is stored by a
 * browser or proxy unless the handler said it may be (static files, the organisation lists'
 * revalidated cache, public Open311 lists), no page may be framed, sniffed into another type
 * or leak its URL as a referrer, and the policy limits what a page can load.
 */
static void security_headers(const struct http_server *s, struct MHD_Response *r,
                             const struct http_res *res)
{
    static const char *const fixed[][2] = {
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (!res_has_header(res, fixed[i][0]))
            MHD_add_response_header(r, fixed[i][0], fixed[i][1]);
    if (!res_has_header(res, "Content-Security-Policy"))
        MHD_add_response_header(r, "Content-Security-Policy", s->csp);
    if (!res_has_header(res, MHD_HTTP_HEADER_CACHE_CONTROL))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static enum MHD_Result queue(struct http_server *s, struct MHD_Connection *c, struct req_state *rs,
                             struct http_res *res)
{
    struct MHD_Response *r;
    uint64_t bytes = res->body_len;
    if (res->stream) {
        r = http_streams_response(s->streams, res->stream, c);
        res->stream = NULL; /* the registry holds the response's reference now */
        if (r)
            MHD_add_response_header(r, "X-Accel-Buffering", "no");
    } else if (res->fd >= 0) {
        r = MHD_create_response_from_fd64(res->fd_size, res->fd);
        bytes = res->fd_size;
        res->fd = -1;
    } else if (res->body_kind == HTTP_BODY_FREE) {
        r = MHD_create_response_from_buffer_with_free_callback(res->body_len, (void *)res->body,
                                                               free);
        if (r)
            res->body_kind = HTTP_BODY_STATIC; /* ownership moved to MHD */
    } else if (res->body_kind == HTTP_BODY_SHARED) {
        r = MHD_create_response_from_buffer_with_free_callback_cls(
            res->body_len, (void *)res->body, res->body_release, res->body_owner);
        if (r)
            res->body_kind = HTTP_BODY_STATIC; /* MHD drops the reference when it is done */
    } else {
        /* Arena bodies die with the request and static ones never change: no copy needed
         * as long as MHD is done with them before the arena is released (completion). */
        r = MHD_create_response_from_buffer(res->body_len, (void *)res->body,
                                            MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    if (res->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    for (int i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
    security_headers(s, r, res);
    MHD_add_response_header(r, "X-Request-Id", rs->req.request_id);
    if (res->close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    rs->handled = res->status;
    if (s->opt.access_log)
        access_log(rs, res->status, bytes, clock_mono_ns() - rs->start_ns);
    http_metrics_observe(s->metrics, rs->req.route, res->status, clock_mono_ns() - rs->start_ns);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct req_state *rs = *con_cls;
    (void)version;

    if (!rs) {
        *con_cls = rs = begin(s, c, url, method);
        /* A declared length over the limit is answered (413, connection closed) before any
         * of the body is read: waiting for the end would let a client hold the connection
         * open, or make the server read and discard up to the declared terabytes. Closing
         * is what MHD does after an early response, which is fine for a refusal. */
        if (!rs->req.body_too_large && !rs->req.headers_too_large)
            return MHD_YES;
    } else if (*upload_data_size) {
        if (!rs->req.body_too_large) {
            if (rs->body.len + *upload_data_size > rs->limit)
                rs->req.body_too_large = 1;
            else
                buf_append(&rs->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rs->handled)
        return MHD_YES;

    struct http_res res = {0};
    res.fd = -1;
    res.body_kind = HTTP_BODY_STATIC;
    if (rs->finish) {
        /* Called again after http_req_resume(): the deferred handler answers now. */
        http_finish_fn *finish = rs->finish;
        rs->finish = NULL;
        atomic_fetch_sub(&s->deferred, 1);
        finish(rs->finish_arg, &rs->req, &res);
    } else {
        if (rs->body.len) {
            rs->req.body = arena_strndup(&rs->arena, rs->body.p, rs->body.len);
            rs->req.body_len = rs->body.len;
            buf_release(&rs->body);
        }
        s->handler(s->ctx, &rs->req, &res);
        if (rs->finish) {
            /* Deferred: give the thread back until the work is done. */
            http_res_drop(&res);
            atomic_fetch_add(&s->deferred, 1);
            MHD_suspend_connection(c);
            if (atomic_fetch_or(&rs->defer_state, DEFER_SUSPENDED) & DEFER_RESUMED)
                MHD_resume_connection(c);
            return MHD_YES;
        }
    }
    if (!res.status)
        res.status = 500;
    enum MHD_Result ret = queue(s, c, rs, &res);
    http_res_drop(&res);
    if (res.fd >= 0)
        close(res.fd);
    if (res.stream)
        http_stream_abandon(res.stream);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req_state *rs = *con_cls;
    (void)c;
    (void)toe;
    if (!rs)
        return;
    if (rs->finish) /* resumed, but the client went away before it was answered */
        atomic_fetch_sub(&s->deferred, 1);
    buf_release(&rs->body);
    arena_release(&rs->arena);
    free(rs);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_msg(LOG_WARN, "http: %s", msg);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                        struct err *err)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host))
        return err_field(err, ERR_BAD_REQUEST, "listen", "listen address '%s' must be host:port",
                         listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return err_field(err, ERR_BAD_REQUEST, "listen", "bad port in listen address '%s'", listen);
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']')
            return err_field(err, ERR_BAD_REQUEST, "listen", "bad IPv6 address in '%s'", listen);
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return err_field(err, ERR_BAD_REQUEST, "listen", "bad IPv6 address in '%s'", listen);
        *len = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0)
            snprintf(host, sizeof(host), "%s", "127.0.0.1");
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return err_field(err, ERR_BAD_REQUEST, "listen", "bad IPv4 address in '%s'", listen);
        *len = sizeof(*a4);
    }
    return 0;
}

int http_server_start(struct http_server **out, const struct http_options *opt,
                      http_handler_fn *handler, void *ctx, struct err *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int rc = parse_listen(opt->listen, &ss, &sslen, err);
    if (rc < 0)
        return rc;
    struct http_proxies *proxies;
    if ((rc = http_proxies_new(&proxies, opt->trusted_proxies, opt->trusted_proxy_header, err)) < 0)
        return rc;
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->opt = *opt;
    s->proxies = proxies;
    s->handler = handler;
    s->ctx = ctx;
    s->metrics = http_metrics_new();
    s->streams = http_streams_new();
    s->id_prefix = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
    s->csp = opt->csp ? xstrdup(opt->csp) : http_default_csp(NULL);
    s->opt.csp = s->csp;
    unsigned threads =
        opt->threads > 0 ? (unsigned)opt->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    /* Suspend/resume parks idle event streams (http_stream.c). */
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* MHD reads the request line and headers into the per-connection pool and builds the
     * response header there too, so the pool holds a maximal request plus room for the answer;
     * the exact header limit is enforced in begin(). The body is copied out piece by piece. */
    size_t pool = (size_t)opt->max_header_bytes * 2 + 8192;
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_CONNECTION_LIMIT, opt->max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, opt->request_timeout, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        /* A pool of one is refused with a warning: one thread is the epoll thread itself. */
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ops,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        http_proxies_free(s->proxies);
        http_streams_free(s->streams);
        http_metrics_free(s->metrics);
        free(s->csp);
        free(s);
        return err_set(err, ERR_IO, "cannot listen on '%s': %s", opt->listen, strerror(errno));
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    *out = s;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

struct http_metrics *http_server_metrics(struct http_server *s)
{
    return s->metrics;
}

int http_server_in_flight(const struct http_server *s)
{
    return atomic_load(&s->in_flight);
}

int http_server_streams(const struct http_server *s)
{
    return http_streams_count(s->streams);
}

void http_server_stop(struct http_server *s, int grace_seconds)
{
    if (!s)
        return;
    MHD_socket ls = MHD_quiesce_daemon(s->daemon);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    /* Open event streams would otherwise keep the requests in flight until the grace runs
     * out, and MHD must not be stopped with suspended connections. */
    http_streams_close_all(s->streams);
    uint64_t deadline = clock_mono_ns() + (uint64_t)grace_seconds * 1000000000u;
    while (atomic_load(&s->in_flight) > 0 && clock_mono_ns() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&s->in_flight) > 0)
        log_msg(LOG_WARN, "http: %d request(s) still in flight after %d s; closing them",
                atomic_load(&s->in_flight), grace_seconds);
    /* Deferred requests are suspended, and MHD must not be stopped with suspended
     * connections; their work is queued for a commit that answers them soon, so wait. */
    if (atomic_load(&s->deferred) > 0)
        log_msg(LOG_WARN, "http: waiting for %d deferred request(s)", atomic_load(&s->deferred));
    while (atomic_load(&s->deferred) > 0) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    http_streams_free(s->streams);
    http_metrics_free(s->metrics);
    free(s->csp);
    http_proxies_free(s->proxies);
    free(s);
}
