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
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received */
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
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
    _Atomic size_t buffered; /* body bytes held by requests in flight (max_buffered_bytes) */
    _Atomic int deferred;    /* suspended by http_req_defer(), not yet finished */
    _Atomic uint64_t next_id;
    uint32_t id_prefix;
    int port;
    size_t max_params; /* query parameters the connection's memory pool can hold */
    /* Connections (on_connection), for the request deadline and the per-address cap. */
    pthread_mutex_t conns_lock;
    struct conn *conns;
    struct addr_count *per_addr[256];
    pthread_t watchdog;
    pthread_cond_t watchdog_wake;
    int watchdog_running, stopping;
    char *csp; /* Content-Security-Policy of every response */
};

/*
 * The request deadline. MHD's own timeout (request_timeout) is an idle timeout: a client that
 * sends a header line every few seconds holds its connection for ever. So every connection
 * is tracked here, and a watchdog thread shuts down the socket of one whose request has been
 * arriving (head and body) for longer than request_deadline. An idle keep-alive connection is
 * not arriving anything: the kernel's count of bytes received (TCP_INFO) tells when the next
 * request starts. Once the request is complete the deadline no longer applies (a deferred
 * answer or an event stream is the server's own time).
 *
 * fd reuse: MHD calls the CLOSED notification before it closes the socket (daemon.c,
 * MHD_cleanup_connections), and the entry leaves the list under conns_lock there, so a socket
 * the watchdog finds in the list (holding the lock) is still this connection's.
 *
 * The watchdog reads a connection's mark and state together, so the HTTP threads change the
 * pair (a request completing, the next beginning) under conns_lock too. Without that, a check
 * straddling a request's completion compared the new byte count with the old mark, took the
 * idle connection for one receiving a request and, request_deadline later, cut it: the client's
 * next request on it then met a closed socket ("Remote end closed connection without
 * response", seen now and then in the API suite). A cut is a compare-and-swap from RECEIVING,
 * so a request that has just become complete (HANDLING) is never cut.
 */
enum { CONN_WAITING, CONN_RECEIVING, CONN_HANDLING, CONN_CUT };

struct conn {
    struct conn *prev, *next;
    int fd;
    unsigned char addr[16]; /* the per-address key; counted unless 'exempt' */
    int exempt;
    int requests;           /* completed on this connection */
    _Atomic int state;      /* CONN_* */
    _Atomic uint64_t since; /* when the state began (monotonic ns) */
    _Atomic uint64_t mark;  /* bytes received when the last request completed */
};

struct addr_count {
    struct addr_count *next;
    unsigned char addr[16];
    int n;
};

/* Per-request state, from the first access-handler call to the completion callback. */
struct req_state {
    struct arena arena;
    struct http_req req;
    struct buf body;
    size_t limit;    /* the largest body this request may carry (the head callback's answer) */
    size_t reserved; /* bytes of s->buffered this request holds */
    int raw_answer;  /* answered by refuse_now(), not through MHD */
    size_t linger;   /* after a raw answer: bytes still to drop before closing */
    int chunked;
    struct http_res early; /* the head callback's refusal, sent before any of the body */
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

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void conn_set(struct conn *k, int state)
{
    if (!k)
        return;
    atomic_store(&k->since, clock_mono_ns());
    atomic_store(&k->state, state);
}

static uint64_t bytes_received(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return 0;
    return ti.tcpi_bytes_received;
}

/* The per-address key: the address, IPv6 by its /64 (one host's share of a network). */
static int addr_key(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -1;
    const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memcpy(key, a, memcmp(a, mapped, 12) == 0 ? 16 : 8);
    return 0;
}

/* Count a connection for its address (conns_lock held); the count after it. */
static int addr_add(struct http_server *s, const unsigned char key[16], int delta)
{
    unsigned h = 0;
    for (int i = 0; i < 16; i++)
        h = h * 31 + key[i];
    struct addr_count **pp = &s->per_addr[h % 256], *e;
    for (e = *pp; e && memcmp(e->addr, key, 16) != 0; e = e->next)
        pp = &e->next;
    if (!e) {
        if (delta < 0)
            return 0;
        e = xcalloc(1, sizeof(*e));
        memcpy(e->addr, key, 16);
        e->next = s->per_addr[h % 256];
        s->per_addr[h % 256] = e;
        pp = &s->per_addr[h % 256];
    }
    e->n += delta;
    int n = e->n;
    if (n <= 0) {
        *pp = e->next;
        free(e);
    }
    return n;
}

static const char too_many_connections[] =
    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n"
    "Content-Type: application/json\r\nContent-Length: 104\r\n\r\n"
    "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections from your address\","
    "\"field\":null}}";

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    struct conn *k = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (!k)
            return;
        pthread_mutex_lock(&s->conns_lock);
        if (k->prev)
            k->prev->next = k->next;
        else
            s->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
        if (!k->exempt)
            addr_add(s, k->addr, -1);
        pthread_mutex_unlock(&s->conns_lock);
        free(k);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    k = xcalloc(1, sizeof(*k));
    k->fd = fi ? fi->connect_fd : -1;
    atomic_init(&k->state, CONN_WAITING);
    atomic_init(&k->since, clock_mono_ns());
    atomic_init(&k->mark, 0);
    k->exempt = !ai || !ai->client_addr || addr_key(ai->client_addr, k->addr) < 0 ||
                s->opt.max_connections_per_ip <= 0;
    if (!k->exempt && s->proxies) {
        char ip[INET6_ADDRSTRLEN];
        peer_ip(c, ip, sizeof(ip));
        k->exempt = http_proxies_trust(s->proxies, ip); /* a proxy speaks for many */
    }
    int over = 0;
    pthread_mutex_lock(&s->conns_lock);
    k->next = s->conns;
    if (s->conns)
        s->conns->prev = k;
    s->conns = k;
    if (!k->exempt)
        over = addr_add(s, k->addr, 1) > s->opt.max_connections_per_ip;
    pthread_mutex_unlock(&s->conns_lock);
    *socket_context = k;
    if (over && k->fd >= 0) {
        /* MHD has not read from it yet; it reads the end of the stream and closes. */
        (void)!send(k->fd, too_many_connections, sizeof(too_many_connections) - 1,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(k->fd, SHUT_RDWR);
        atomic_store(&k->state, CONN_CUT);
    }
}

static void *watchdog_main(void *arg)
{
    struct http_server *s = arg;
    uint64_t deadline = (uint64_t)s->opt.request_deadline * 1000000000u;
    pthread_mutex_lock(&s->conns_lock);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->watchdog_wake, &s->conns_lock, &ts);
        uint64_t now = clock_mono_ns();
        for (struct conn *k = s->conns; k; k = k->next) {
            int st = atomic_load(&k->state);
            if (st == CONN_WAITING && k->fd >= 0 && bytes_received(k->fd) > atomic_load(&k->mark)) {
                atomic_store(&k->since, now); /* the next request has begun */
                atomic_store(&k->state, CONN_RECEIVING);
            } else if (st == CONN_RECEIVING && now - atomic_load(&k->since) > deadline) {
                int expected = CONN_RECEIVING;
                if (atomic_compare_exchange_strong(&k->state, &expected, CONN_CUT))
                    shutdown(k->fd, SHUT_RDWR); /* MHD sees the end and closes it */
            }
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
    return NULL;
}

/* Hold 'n' more bytes of body against max_buffered_bytes; 0 when that would pass it. */
static int reserve(struct http_server *s, struct req_state *rs, size_t n)
{
    size_t cap = s->opt.max_buffered_bytes;
    size_t before = atomic_fetch_add(&s->buffered, n);
    if (cap && before + n > cap) {
        atomic_fetch_sub(&s->buffered, n);
        return 0;
    }
    rs->reserved += n;
    return 1;
}

static void refuse(struct http_req *req, int status, const char *why)
{
    if (!req->refused) {
        req->refused = status;
        req->refused_why = why;
    }
}

/* The head of a request is complete and none of its body has been read: decide everything
 * that can be decided now, in the order a client is best told about it. */
static struct req_state *begin(struct http_server *s, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, int too_many_params)
{
    struct req_state *rs = xcalloc(1, sizeof(*rs));
    struct http_req *req = &rs->req;
    char ip[INET6_ADDRSTRLEN];
    arena_init(&rs->arena, 8192);
    buf_init(&rs->body);
    rs->start_ns = clock_mono_ns();
    rs->early.fd = -1;
    req->arena = &rs->arena;
    req->conn = c;
    req->method = method_of(method);
    req->method_name = arena_strdup(&rs->arena, method);
    req->path = arena_strdup(&rs->arena, url);
    req->body = "";
    peer_ip(c, ip, sizeof(ip));
    req->peer_ip = req->ip = arena_strdup(&rs->arena, ip);
    if (s->proxies && http_proxies_trust(s->proxies, ip))
        forwarded_client(s, c, req);
    uint64_t n = atomic_fetch_add(&s->next_id, 1);
    snprintf(req->request_id, sizeof(req->request_id), "%08x%08llx", s->id_prefix,
             (unsigned long long)(n & 0xffffffffu));
    atomic_fetch_add(&s->in_flight, 1);
    struct conn *k = conn_of(c);
    if (k) {
        pthread_mutex_lock(&s->conns_lock);
        if (atomic_load(&k->state) == CONN_WAITING) {
            /* The watchdog has not seen this request begin; a first request began with the
             * connection, a later one at the latest now. */
            if (k->requests)
                atomic_store(&k->since, rs->start_ns);
            atomic_store(&k->state, CONN_RECEIVING);
        }
        pthread_mutex_unlock(&s->conns_lock);
    }

    /* MHD bounds headers only by its connection pool, loosely; count them exactly so the
     * limit is the configured one and the refusal is our JSON 431. */
    size_t header_bytes = strlen(url) + strlen(method) + 12;
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &header_bytes);
    if (header_bytes > (size_t)s->opt.max_header_bytes)
        req->headers_too_large = 1;
    if (too_many_params)
        refuse(req, 414, "the query string carries too many parameters");
    struct http_framing f = {0};
    const char *cl = joined_header(c, &rs->arena, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = joined_header(c, &rs->arena, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if ((cl || te) &&
        http_framing_decide(cl, te, strcmp(version, MHD_HTTP_VERSION_1_0) == 0, &f) != 0)
        refuse(req, f.status, f.why);
    if (req->headers_too_large || req->refused)
        return rs;
    rs->chunked = te != NULL;

    /* The application decides from the headers: the route, who is calling, the body's type
     * and the largest body the route takes. */
    struct http_res *res = &rs->early;
    res->body_kind = HTTP_BODY_STATIC;
    rs->limit = s->opt.head ? s->opt.head(s->ctx, req, res) : s->opt.max_body_bytes;
    if (res->status)
        return rs;
    /* A declared length over the limit is answered before any of the body is read: waiting
     * for the end would let a client hold the connection, or make the server read and
     * discard up to the declared terabytes. */
    if (cl && f.length > rs->limit)
        req->body_too_large = 1;
    else if (cl && f.length && !reserve(s, rs, (size_t)f.length))
        refuse(req, 503, "the server is holding too many request bodies; retry shortly");
    else if (cl)
        buf_grow(&rs->body, (size_t)f.length); /* one allocation, no doubling */
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

/* MHD cannot queue a response while a body is being read, so a refusal in the middle of one
 * (a chunked body that passed its limit, a server holding too many bodies) is written to the
 * socket here, and the access handler then returns MHD_NO, which closes the connection
 * without another word from MHD. MHD writes nothing while it reads a body (any
 * "100 Continue" was sent before it), so the two cannot interleave. Only in-memory bodies. */
static _Thread_local int quiet_close; /* the next MHD complaint is this refusal's */

/* After such a refusal the connection reads and drops up to this much more of the body
 * before it closes (a lingering close, as RFC 9112 9.6 advises): a client still sending
 * when the connection closes gets a reset, and with it may lose the answer. */
#define LINGER_BYTES ((size_t)1 << 20)

static enum MHD_Result close_now(void)
{
    quiet_close = 1;
    return MHD_NO;
}

static enum MHD_Result refuse_now(struct http_server *s, struct MHD_Connection *c,
                                  struct req_state *rs)
{
    struct http_res res = {0};
    struct buf b;
    res.fd = -1;
    res.body_kind = HTTP_BODY_STATIC;
    s->handler(s->ctx, &rs->req, &res);
    if (!res.status)
        res.status = 500;
    buf_init(&b);
    buf_printf(&b, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: %zu\r\n", res.status,
               http_status_text(res.status), res.stream || res.fd >= 0 ? 0 : res.body_len);
    if (res.content_type)
        buf_printf(&b, "Content-Type: %s\r\n", res.content_type);
    for (int i = 0; i < res.nheaders; i++)
        buf_printf(&b, "%s: %s\r\n", res.header_names[i], res.header_values[i]);
    buf_printf(&b, "X-Request-Id: %s\r\n\r\n", rs->req.request_id);
    if (!res.stream && res.fd < 0)
        buf_append(&b, res.body, res.body_len);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        /* Small enough for the socket buffer; a client that does not read it loses it. */
        (void)!send(ci->connect_fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(ci->connect_fd, SHUT_WR);
    }
    rs->handled = res.status;
    rs->raw_answer = 1;
    rs->linger = LINGER_BYTES;
    if (s->opt.access_log)
        access_log(rs, res.status, res.body_len, clock_mono_ns() - rs->start_ns);
    http_metrics_observe(s->metrics, rs->req.route, res.status, clock_mono_ns() - rs->start_ns);
    buf_release(&b);
    http_res_drop(&res);
    if (res.fd >= 0)
        close(res.fd);
    if (res.stream)
        http_stream_abandon(res.stream);
    return MHD_YES;
}

/* One piece of the body. Content-Length bodies were held against max_buffered_bytes and
 * checked against the limit in begin(); chunked ones are checked piece by piece and refused
 * the moment they pass either. */
static enum MHD_Result body_piece(struct http_server *s, struct MHD_Connection *c,
                                  struct req_state *rs, const char *data, size_t n)
{
    if (rs->raw_answer) { /* refused: linger a little, then close */
        if (n > rs->linger)
            return close_now();
        rs->linger -= n;
        return MHD_YES;
    }
    if (rs->body.len + n > rs->limit) {
        rs->req.body_too_large = 1;
        return refuse_now(s, c, rs);
    }
    if (rs->chunked && !reserve(s, rs, n)) {
        refuse(&rs->req, 503, "the server is holding too many request bodies; retry shortly");
        return refuse_now(s, c, rs);
    }
    buf_append(&rs->body, data, n);
    return MHD_YES;
}

/* What MHD_OPTION_URI_LOG_CALLBACK hands the access handler as its first *con_cls when the
 * request target carries more parameters than the connection's memory pool can hold. */
static char too_many_params_mark;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_server *s = cls;
    (void)c;
    if (http_query_count(uri) <= s->max_params)
        return NULL;
    /* MHD would parse every parameter into the pool, run out of it and then answer nothing
     * until the connection times out. The URI is the connection's own read buffer, still to
     * be parsed: end the query string here, so MHD parses none of it, and answer 414. */
    char *q = strchr((char *)(uintptr_t)uri, '?');
    if (q)
        q[1] = '\0';
    return &too_many_params_mark;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct req_state *rs = *con_cls;

    if (!rs || rs == (void *)&too_many_params_mark) {
        *con_cls = rs = begin(s, c, url, method, version, rs != NULL);
        /* Refusals are answered now, before any of the body is read, and the connection is
         * closed (MHD closes it after a response queued this early; the body's bytes are
         * never framed as another request). Anything else is answered on a later call. */
        if (!rs->early.status && !rs->req.refused && !rs->req.headers_too_large &&
            !rs->req.body_too_large)
            return MHD_YES;
    } else if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return body_piece(s, c, rs, upload_data, n);
    }
    if (rs->raw_answer) /* the client has sent all it meant to: close */
        return close_now();
    if (rs->handled)
        return MHD_YES;

    struct http_res res = {0};
    res.fd = -1;
    res.body_kind = HTTP_BODY_STATIC;
    /* The request has arrived (or is refused unread): no deadline from here. */
    if (!rs->finish)
        conn_set(conn_of(c), CONN_HANDLING);
    if (rs->early.status) {
        res = rs->early;
        rs->early.body_kind = HTTP_BODY_STATIC; /* moved */
        res.close = 1;
    } else if (rs->finish) {
        /* Called again after http_req_resume(): the deferred handler answers now. */
        http_finish_fn *finish = rs->finish;
        rs->finish = NULL;
        atomic_fetch_sub(&s->deferred, 1);
        finish(rs->finish_arg, &rs->req, &res);
    } else {
        /* The body stays in its buffer (NUL-terminated, see buf.h) until the request
         * completes: no second copy of it. */
        rs->req.body = rs->body.p;
        rs->req.body_len = rs->body.len;
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
    struct conn *k = conn_of(c);
    (void)toe;
    if (k) {
        pthread_mutex_lock(&s->conns_lock);
        if (atomic_load(&k->state) != CONN_CUT) {
            /* Until the next request's first byte the connection is idle, MHD's to time out. */
            k->requests++;
            atomic_store(&k->mark, bytes_received(k->fd));
            conn_set(k, CONN_WAITING);
        }
        pthread_mutex_unlock(&s->conns_lock);
    }
    if (!rs || rs == (void *)&too_many_params_mark)
        return;
    if (rs->finish) /* resumed, but the client went away before it was answered */
        atomic_fetch_sub(&s->deferred, 1);
    if (rs->reserved)
        atomic_fetch_sub(&s->buffered, rs->reserved);
    http_res_drop(&rs->early);
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
    if (quiet_close) {
        /* MHD's word on the connection a refusal just closed (refuse_now). */
        quiet_close = 0;
        return;
    }
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
    /* Each parameter costs MHD a record of ~56 bytes in the pool, besides its text. */
    s->max_params = (size_t)opt->max_header_bytes / 64;
    pthread_mutex_init(&s->conns_lock, NULL);
    pthread_cond_init(&s->watchdog_wake, NULL);
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
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s},
        /* Not MHD_OPTION_LISTENING_ADDRESS_REUSE: on Linux it sets SO_REUSEPORT, and a second
         * server started on a port already served then shared its connections silently (two
         * databases answering one address in turn) instead of failing. MHD's default is
         * SO_REUSEADDR alone: a restart still binds over the old connections' TIME_WAIT. */
        /* A pool of one is refused with a warning: one thread is the epoll thread itself. */
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ops,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_destroy(&s->conns_lock);
        pthread_cond_destroy(&s->watchdog_wake);
        http_proxies_free(s->proxies);
        http_streams_free(s->streams);
        http_metrics_free(s->metrics);
        free(s->csp);
        free(s);
        return err_set(err, ERR_IO, "cannot listen on '%s': %s", opt->listen, strerror(errno));
    }
    if (opt->request_deadline > 0 && pthread_create(&s->watchdog, NULL, watchdog_main, s) == 0)
        s->watchdog_running = 1;
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
    /* Refuse new connections at once. MHD_quiesce_daemon cannot be used: with a thread pool it
     * removes the listening socket from each worker's epoll set while the workers, seeing the
     * quiesce flag, remove it too, and the loser of that race aborts the process ("Failed to
     * remove listen FD from epoll set"; libmicrohttpd 0.9.75). Instead the descriptor number is
     * pointed at a fresh unbound socket: the listening socket's last reference goes, the kernel
     * stops listening (connect() is refused) and drops it from every epoll set by itself, and
     * MHD, which never learns of the swap, closes the placeholder when it stops. */
    const union MHD_DaemonInfo *li = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    if (li && li->listen_fd != MHD_INVALID_SOCKET) {
        int ph = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (ph >= 0) {
            if (dup2(ph, li->listen_fd) < 0)
                log_msg(LOG_WARN, "http: cannot stop listening early: %s", strerror(errno));
            else
                (void)fcntl(li->listen_fd, F_SETFD, FD_CLOEXEC);
            close(ph);
        }
    }
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
    if (s->watchdog_running) {
        pthread_mutex_lock(&s->conns_lock);
        s->stopping = 1;
        pthread_cond_signal(&s->watchdog_wake);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->watchdog, NULL);
    }
    MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->conns_lock);
    pthread_cond_destroy(&s->watchdog_wake);
    http_streams_free(s->streams);
    http_metrics_free(s->metrics);
    free(s->csp);
    http_proxies_free(s->proxies);
    free(s);
}
