/*
 * Request dispatch: route lookup, authentication, role and scope checks, body parsing,
 * error responses, transactions with audit, and the response cache.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/num.h"
#include "case/case.h"
#include "org/org.h"
#include "store/store.h"

void api_cached_body_unref(void *p)
{
    struct cached_body *b = p;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

struct cached_body *api_cached_body_new(const char *data, size_t len)
{
    struct cached_body *b = xmalloc(mem_size_add(sizeof(*b), len));
    atomic_init(&b->refs, 1);
    b->len = len;
    memcpy(b->data, data, len);
    return b;
}

void api_cache_free(struct api *api)
{
    for (int i = 0; i < RESPONSE_CACHE_SLOTS; i++) {
        free(api->cache[i].key);
        api_cached_body_unref(api->cache[i].body);
        api_cached_body_unref(api->cache[i].gz);
    }
    pthread_mutex_destroy(&api->cache_lock);
}

int api_has_role(const struct api_call *call, unsigned roles)
{
    return call->user && (call->user->roles & roles) != 0;
}

/* RFC 8259 defines no charset parameter: JSON is UTF-8. */
static const char json_type[] = "application/json";

int api_reply(struct api_call *call, int status, struct jw *w)
{
    size_t len;
    char *body = buf_detach(&w->b, &len);
    http_res_body(call->res, status, json_type, body, len, HTTP_BODY_FREE);
    return 0;
}

void api_reply_cached(struct api_call *call, int status, struct cached_body *body)
{
    atomic_fetch_add(&body->refs, 1);
    http_res_body_shared(call->res, status, json_type, body->data, body->len, api_cached_body_unref,
                         body);
}

void api_error(struct http_res *res, const struct err *e, struct arena *a)
{
    struct jw w;
    int code = e->code ? e->code : ERR_INTERNAL;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "error");
    jw_obj(&w);
    jw_kstr(&w, "code", err_code_name(code));
    jw_kstr(&w, "message", e->msg[0] ? e->msg : err_default_message(code));
    if (e->field[0])
        jw_kstr(&w, "field", e->field);
    else
        jw_knull(&w, "field");
    if (e->reason)
        jw_kstr(&w, "reason", e->reason);
    jw_obj_end(&w);
    jw_obj_end(&w);
    char *body = arena_strndup(a, w.b.p, w.b.len);
    http_res_body(res, err_http_status(code), json_type, body, w.b.len, HTTP_BODY_ARENA);
    jw_release(&w);
}

int api_param_id(struct api_call *call, const char *name, int64_t *out)
{
    const char *v = http_req_param(call->req, name);
    int64_t id = 0;
    /* Plain decimal only: "+1", " 1" and "01" are not another spelling of case 1. */
    if (!v || num_parse_int(v, &id) < 0 || id <= 0)
        return err_set(&call->err, ERR_NOT_FOUND, "'%s' is not a valid id", v ? v : "");
    *out = id;
    return 0;
}

int api_query_int(struct api_call *call, const char *name, int64_t def, int64_t min, int64_t max,
                  int64_t *out)
{
    const char *v = http_req_query(call->req, name);
    int64_t n;
    if (!v) {
        *out = def;
        return 0;
    }
    if (num_parse_int(v, &n) < 0 || n < min || n > max)
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "query parameter '%s' must be an integer between %lld and %lld", name,
                         (long long)min, (long long)max);
    *out = n;
    return 0;
}

int api_query_double(struct api_call *call, const char *name, double lo, double hi, int required,
                     double def, double *out)
{
    const char *v = http_req_query(call->req, name);
    double d;
    if (!v || !*v) {
        if (required)
            return err_field(&call->err, ERR_BAD_REQUEST, name, "query parameter '%s' is required",
                             name);
        *out = def;
        return 0;
    }
    if (num_parse_double(v, &d) < 0 || !(d >= lo && d <= hi))
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "query parameter '%s' must be a number between %g and %g", name, lo, hi);
    *out = d;
    return 0;
}

int api_begin(struct api_call *call)
{
    int rc = store_begin(call->conn, &call->err);
    if (rc == 0)
        call->in_tx = 1;
    return rc;
}

void api_rollback(struct api_call *call)
{
    if (call->in_tx) {
        store_rollback(call->conn);
        call->in_tx = 0;
    }
}

int api_audit_in_tx(struct api_call *call, const char *action, const char *target,
                    const char *before, const char *after)
{
    struct audit_entry e = {
        .actor_id = call->user ? call->user->id : 0,
        .actor_name = call->user ? call->user->name : "anonymous",
        .action = action,
        .target = target,
        .before = before,
        .after = after,
    };
    return audit_append(call->conn, &e, call->now, &call->err);
}

int api_commit(struct api_call *call, const char *action, const char *target, const char *before,
               const char *after)
{
    int rc = api_audit_in_tx(call, action, target, before, after);
    if (rc < 0) {
        api_rollback(call);
        return rc;
    }
    rc = store_commit(call->conn, &call->err);
    call->in_tx = 0;
    return rc;
}

int api_audit_only(struct api_call *call, const char *action, const char *target, const char *after)
{
    int rc = api_begin(call);
    if (rc < 0)
        return rc;
    return api_commit(call, action, target, NULL, after);
}

void api_org_changed(struct api_call *call)
{
    app_org_changed(call->api->app);
}

int api_scoped_case(struct api_call *call, const struct case_rec **out)
{
    int64_t id;
    int rc;
    if (!call->scoped_case) {
        struct case_rec *rec = arena_alloc(call->req->arena, sizeof(*rec));
        if ((rc = api_param_id(call, "id", &id)) < 0 ||
            (rc = case_get(call->conn, id, call->req->arena, rec, &call->err)) < 0)
            return rc;
        call->scoped_case = rec;
    }
    *out = call->scoped_case;
    return 0;
}

struct app_ctx api_ctx(struct api_call *call)
{
    return (struct app_ctx){call->api->app, call->conn, call->req->arena,
                            call->now,      call->user, &call->err};
}

int api_case_env(struct api_call *call, struct case_env *env, struct case_actor *actor,
                 struct case_config *cfg)
{
    struct app_ctx x = api_ctx(call);
    return app_case_env(&x, env, actor, cfg);
}

int api_locate_region(struct api_call *call, double lat, double lon, int64_t *region_id)
{
    struct app_ctx x = api_ctx(call);
    return app_locate_region(&x, lat, lon, region_id);
}

static int etag_match(const char *inm, const char *etag)
{
    return inm && (strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL);
}

static void answer_cached(struct api_call *call, const struct cached_response *c)
{
    /* Large lists go out gzipped to clients that accept it: the 346-category list shrinks
     * from ~107 kB to ~14 kB, and sending bytes is most of what this request costs. */
    int gz = c->gz && http_req_accepts_gzip(call->req);
    struct cached_body *body = gz ? c->gz : c->body;
    char *etag = arena_strdup(call->req->arena, gz ? c->etag_gz : c->etag);
    http_res_header(call->res, "ETag", etag);
    http_res_header(call->res, "Cache-Control", "private, no-cache");
    http_res_header(call->res, "Vary", "Accept-Encoding");
    if (etag_match(http_req_header(call->req, "If-None-Match"), etag)) {
        http_res_body(call->res, 304, NULL, "", 0, HTTP_BODY_STATIC);
        return;
    }
    /* Send the cached bytes themselves (no per-request copy); the response holds a reference
     * that the server drops once the body is sent. Called with cache_lock held. */
    if (gz)
        http_res_header(call->res, "Content-Encoding", "gzip");
    api_reply_cached(call, 200, body);
}

int api_cache_get(struct api_call *call, const char *key)
{
    struct api *api = call->api;
    int64_t version = app_org_version(api->app);
    int hit = 0;
    pthread_mutex_lock(&api->cache_lock);
    for (int i = 0; i < RESPONSE_CACHE_SLOTS; i++) {
        struct cached_response *c = &api->cache[i];
        if (c->route == call->route->pattern && c->version == version && strcmp(c->key, key) == 0) {
            answer_cached(call, c);
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(&api->cache_lock);
    return hit;
}

int api_cache_put(struct api_call *call, const char *key, struct jw *w)
{
    struct api *api = call->api;
    /* A write that commits while this body is being built bumps the version, so storing
     * under the version read at the start of the call (cache_version) leaves such a body
     * already stale instead of serving old content under the new version. */
    int64_t version = call->cache_version;
    pthread_mutex_lock(&api->cache_lock);
    struct cached_response *c = &api->cache[api->cache_next++ % RESPONSE_CACHE_SLOTS];
    free(c->key);
    api_cached_body_unref(c->body);
    c->route = call->route->pattern;
    c->key = xstrdup(key);
    c->version = version;
    api_cached_body_unref(c->gz);
    c->body = api_cached_body_new(w->b.p, w->b.len);
    c->gz = NULL;
    size_t gz_len;
    char *gz = w->b.len >= 1024 ? http_gzip(w->b.p, w->b.len, &gz_len) : NULL;
    if (gz) {
        c->gz = api_cached_body_new(gz, gz_len);
        free(gz);
    }
    unsigned h = 2166136261u;
    for (size_t i = 0; i < c->body->len; i++)
        h = (h ^ (unsigned char)c->body->data[i]) * 16777619u;
    snprintf(c->etag, sizeof(c->etag), "\"o%lld-%08x\"", (long long)version, h);
    snprintf(c->etag_gz, sizeof(c->etag_gz), "\"o%lld-%08x-gz\"", (long long)version, h);
    answer_cached(call, c);
    pthread_mutex_unlock(&api->cache_lock);
    jw_release(w);
    return 0;
}

/* ---- authentication and authorisation ---- */

static const char *bearer_token(const struct http_req *req)
{
    const char *h = http_req_header(req, "Authorization");
    if (!h)
        return NULL;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return "";
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/* The configured metrics token (ROUTE_METRICS_TOKEN), compared in constant time. Never the
 * peer address: behind a local proxy every client is loopback. */
static int metrics_token_ok(const struct api_call *call, const char *token)
{
    const char *want = call->api->d.conf->metrics_token;
    size_t n = strlen(want);
    return n && token && strlen(token) == n && sodium_memcmp(token, want, n) == 0;
}

static void roles_text(unsigned roles, char *out, size_t n)
{
    auth_roles_format(roles, out, n);
    for (char *p = out; *p; p++)
        if (*p == ',')
            *p = '|';
}

/* What the route's flags hook into the dispatch (routes.c): 'which' picks the hook. */
static const struct api_route_attr *route_attr(const struct api_route *r,
                                               int (*which)(const struct api_route_attr *))
{
    for (const struct api_route_attr *a = api_route_attrs; a->flag; a++)
        if ((r->flags & a->flag) && which(a))
            return a;
    return NULL;
}

static int authenticates(const struct api_route_attr *a)
{
    return a->authenticate != NULL;
}
static int formats_errors(const struct api_route_attr *a)
{
    return a->error != NULL;
}

/* The route attribute owning the paths under its prefix, or NULL. */
static const struct api_route_attr *prefix_attr(const char *path)
{
    for (const struct api_route_attr *a = api_route_attrs; a->flag; a++)
        if (a->prefix && strncmp(path, a->prefix, strlen(a->prefix)) == 0)
            return a;
    return NULL;
}

static void json_error(struct http_res *res, const struct err *e, struct http_req *req)
{
    api_error(res, e, req->arena);
}

void api_error_answer(const struct api_route *r, struct http_req *req, struct http_res *res,
                      const struct err *err)
{
    const struct api_route_attr *a = r ? route_attr(r, formats_errors) : prefix_attr(req->path);
    struct err shown = ERR_INIT;
    if (err_http_status(err->code ? err->code : ERR_INTERNAL) >= 500) {
        /* A server-side failure's message can name files, SQL or the system's errno text: it
         * went to the log under the request id (the callers log it), and the client gets the
         * code and that id only. */
        err_set(&shown, err->code ? err->code : ERR_INTERNAL, "%s (request %s)",
                err_default_message(err->code ? err->code : ERR_INTERNAL), req->request_id);
        err = &shown;
    }
    (a && a->error ? a->error : json_error)(res, err, req);
}

static int authenticate(struct api_call *call)
{
    const struct api_route *r = call->route;
    const struct api_route_attr *own = route_attr(r, authenticates);
    if (own)
        return own->authenticate(call); /* instead of sessions: the route's own credentials */
    const char *token = bearer_token(call->req);
    if (!token) {
        token = http_req_cookie(call->req, "gl_session");
        call->cookie_auth = token != NULL;
    }
    if (!r->roles && !token)
        return 0;
    if ((r->flags & ROUTE_METRICS_TOKEN) && !call->cookie_auth && metrics_token_ok(call, token))
        return 0;
    if (!token)
        return err_set(
            &call->err, ERR_UNAUTHORIZED,
            "authentication required: send 'Authorization: Bearer <token>' from POST /api/v1/auth/login");
    struct auth_session *s = arena_alloc(call->req->arena, sizeof(*s));
    int rc = auth_session_get(call->api->d.auth, token, call->now, call->req->arena, s, &call->err);
    if (rc < 0) {
        /* A bad token on a public route is ignored rather than refused. */
        if (!r->roles && rc == ERR_UNAUTHORIZED) {
            err_clear(&call->err);
            call->cookie_auth = 0;
            return 0;
        }
        return rc;
    }
    call->user = &s->user;
    call->token = token;
    call->req->user_id = s->user.id;
    if (call->cookie_auth && call->req->method != HTTP_GET && call->req->method != HTTP_HEAD) {
        const char *csrf = http_req_header(call->req, "X-CSRF-Token");
        /* On a public route (login) a cookie without its header is ignored, not refused:
         * anyone may call it anonymously, and a browser holding an old session must still
         * be able to log in. */
        if ((!csrf || strcmp(csrf, s->csrf) != 0) && !r->roles) {
            call->user = NULL;
            call->token = NULL;
            call->req->user_id = 0;
            call->cookie_auth = 0;
            return 0;
        }
        if (!csrf || strcmp(csrf, s->csrf) != 0)
            return err_deny(
                &call->err, ERR_REASON_CSRF,
                "cookie-authenticated writes need the 'X-CSRF-Token' header from login");
    }
    if (r->roles && !(s->user.roles & r->roles)) {
        char need[160], have[160];
        roles_text(r->roles, need, sizeof(need));
        roles_text(s->user.roles, have, sizeof(have));
        return err_deny(&call->err, ERR_REASON_ROLE, "%s %s requires role %s; you have %s",
                        http_method_name(r->method), r->pattern, need, have);
    }
    return 0;
}

static int check_scope(struct api_call *call)
{
    const struct auth_user *u = call->user;
    int64_t id;
    int rc;
    if (call->route->scope == SCOPE_NONE || !u || (u->roles & ROLE_ADMIN))
        return 0;
    if ((rc = api_param_id(call, "id", &id)) < 0)
        return rc;
    switch (call->route->scope) {
    case SCOPE_SELF:
        if (id != u->id)
            return err_deny(&call->err, ERR_REASON_OWNER,
                            "you may only act on your own account (user %lld)", (long long)u->id);
        return 0;
    case SCOPE_DEPARTMENT:
        /* Only department staff are bound to departments; other roles see all. */
        if (!(u->roles & ROLE_HANDLER) ||
            (u->roles & (ROLE_SUPERVISOR | ROLE_DISPATCHER | ROLE_DATA_OFFICER)))
            return 0;
        for (int i = 0; i < u->ndepts; i++)
            if (u->depts[i] == id)
                return 0;
        return err_deny(&call->err, ERR_REASON_SCOPE,
                        "department %lld is outside your scope (your departments: %d)",
                        (long long)id, u->ndepts);
    case SCOPE_REGION: {
        if (!u->region_id)
            return 0;
        struct org_region reg;
        if ((rc = org_region_get(call->conn, id, call->req->arena, &reg, &call->err)) < 0)
            return rc;
        /* Inside the caller's subtree, or one of its ancestors (a community worker may read
         * the street and district it belongs to). */
        if (org_region_code_in_subtree(reg.code, u->region_code) ||
            org_region_code_in_subtree(u->region_code, reg.code))
            return 0;
        return err_deny(&call->err, ERR_REASON_SCOPE, "region %s is outside your region %s",
                        reg.code, u->region_code);
    }
    case SCOPE_CASE: {
        struct case_rec *rec = arena_alloc(call->req->arena, sizeof(*rec));
        struct case_actor actor;
        app_actor(u, &actor);
        if ((rc = case_get(call->conn, id, call->req->arena, rec, &call->err)) < 0)
            return rc;
        if (!case_visible(&actor, rec))
            return err_deny(
                &call->err, ERR_REASON_SCOPE,
                "case %s is outside your scope (own cases, your departments' or your region's)",
                rec->number);
        call->scoped_case = rec;
        return 0;
    }
    case SCOPE_NONE: break;
    }
    return 0;
}

/* ROUTE_FORM: URL-encoded, or multipart/form-data with files (such a body was read up to the
 * upload limit, http_server.c). */
static int parse_form(struct api_call *call)
{
    const char *ct = http_req_header(call->req, "Content-Type");
    struct http_req *req = call->req;
    if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0)
        return http_multipart_form(ct, req->body, req->body_len, req->arena, &call->form,
                                   &call->err);
    if (!http_form_content_type(ct))
        return err_set(&call->err, ERR_BAD_REQUEST,
                       "the body must be sent as 'Content-Type: "
                       "application/x-www-form-urlencoded' (or multipart/form-data with files)");
    return http_form_parse(req->body, req->body_len, req->arena, &call->form, &call->err);
}

/* ROUTE_JSON: the body's type is checked in the head phase, before the body is read. */
static int check_json_type(struct api_call *call)
{
    const char *ct = http_req_header(call->req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return err_set(&call->err, ERR_MEDIA_TYPE,
                       "request body must be sent as 'Content-Type: application/json'");
    return 0;
}

static int parse_body(struct api_call *call)
{
    if (!call->req->body_len)
        return err_set(&call->err, ERR_BAD_REQUEST,
                       "request body is empty; a JSON object is required");
    int rc = json_parse(call->req->body, call->req->body_len, &call->body, &call->err);
    if (rc < 0)
        return rc;
    return 0;
}

/*
 * Routing walks the table in order (the first route that matches wins), but most of its ~270
 * patterns are ruled out by the segment that names the resource ("/api/v1/cases/..." ->
 * "cases"): each route's is hashed once, a request's once, and only routes with the same hash
 * or a parameter there are matched in full. Matching every pattern in full was ~5% of the CPU
 * of a case read (docs/benchmarks.md).
 */
#define ROUTE_KEY_ANY UINT32_MAX
static uint32_t *route_keys;
static pthread_once_t route_keys_once = PTHREAD_ONCE_INIT;

/* The hash of the resource segment of a path or pattern: the one after "/api/v1/" or else
 * the first; ROUTE_KEY_ANY if a pattern has a parameter there. */
static uint32_t route_key(const char *path)
{
    static const char api[] = "/api/v1/";
    const char *p = strncmp(path, api, sizeof(api) - 1) == 0 ? path + sizeof(api) - 1
                    : *path == '/'                           ? path + 1
                                                             : path;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *p && *p != '/'; p++) {
        if (*p == '{')
            return ROUTE_KEY_ANY;
        h = (h ^ (unsigned char)*p) * 16777619u;
    }
    return h == ROUTE_KEY_ANY ? h - 1 : h;
}

static void route_keys_build(void)
{
    size_t n = 0;
    while (api_routes[n].pattern)
        n++;
    route_keys = xcalloc(n, sizeof(*route_keys));
    for (size_t i = 0; i < n; i++)
        route_keys[i] = route_key(api_routes[i].pattern);
}

static int route_may_match(const struct api_route *r, uint32_t key)
{
    uint32_t k = route_keys[r - api_routes];
    return k == key || k == ROUTE_KEY_ANY;
}

/* The Allow header of a 405 lists every method the path answers to (RFC 9110 15.5.6),
 * not just one of them. */
static const char *allowed_methods(struct http_req *req)
{
    const char *list = "";
    pthread_once(&route_keys_once, route_keys_build);
    uint32_t key = route_key(req->path);
    for (const struct api_route *r = api_routes; r->pattern; r++) {
        if (!route_may_match(r, key) || !http_route_match(req, r->pattern, req->path))
            continue;
        list = arena_printf(req->arena, "%s%s%s%s", list, *list ? ", " : "",
                            http_method_name(r->method), r->method == HTTP_GET ? ", HEAD" : "");
    }
    return list;
}

/* Routes that take no body still get a few bytes: clients (our web among them) send "{}"
 * with every POST. */
#define NO_BODY_BYTES 64

/* The largest body a route takes, from its flags, never from the request's Content-Type. */
static size_t body_limit(const struct api *api, const struct api_route *r)
{
    if (r->flags & ROUTE_UPLOAD)
        return (size_t)api->d.conf->max_upload_bytes;
    if (r->flags & ROUTE_IMPORT)
        return (size_t)api->d.conf->import_max_bytes;
    if (r->flags & (ROUTE_JSON | ROUTE_FORM))
        return (size_t)api->d.conf->max_body_bytes;
    return NO_BODY_BYTES;
}

/* A call in two phases: what the head decided (here, in the request arena) is what the body
 * phase goes on with. */
struct api_head {
    struct api_call call;
    const struct api_route *path_match; /* a route of the path, for a 405 */
    int rc;
};

static int find_route(struct api_call *call, const struct api_route **path_match)
{
    struct http_req *req = call->req;
    const struct api_route *r;
    pthread_once(&route_keys_once, route_keys_build);
    uint32_t key = route_key(req->path);
    for (r = api_routes; r->pattern; r++) {
        if (!route_may_match(r, key) || !http_route_match(req, r->pattern, req->path))
            continue;
        if (r->method == req->method || (r->method == HTTP_GET && req->method == HTTP_HEAD))
            break;
        *path_match = r;
    }
    if (!r->pattern) {
        req->route = *path_match ? (*path_match)->pattern : NULL;
        return *path_match ? err_set(&call->err, ERR_METHOD, "method %s is not allowed on %s",
                                     req->method_name, req->path)
                           : err_set(&call->err, ERR_NOT_FOUND, "no API endpoint %s %s",
                                     req->method_name, req->path);
    }
    call->route = r;
    return 0;
}

/* Everything the request line and headers decide: the route (404, 405), who is calling and
 * whether their role may (401, 403; sessions are cached, so no database round trip), and the
 * body's type (415). A route that authenticates by what its body carries (ROUTE_O311_KEY)
 * is authenticated in the body phase. */
static int head_phase(struct api_head *h)
{
    struct api_call *call = &h->call;
    int rc;
    if ((rc = find_route(call, &h->path_match)) < 0)
        return rc;
    if (!route_attr(call->route, authenticates) && (rc = authenticate(call)) < 0)
        return rc;
    if ((call->route->flags & ROUTE_JSON) && (rc = check_json_type(call)) < 0)
        return rc;
    return 0;
}

static void answer_error(struct api_head *h, int rc)
{
    struct api_call *call = &h->call;
    struct http_req *req = call->req;
    if ((call->err.code ? call->err.code : rc) == ERR_METHOD && h->path_match) {
        http_res_header(call->res, "Allow", allowed_methods(req));
        req->route = h->path_match->pattern;
    }
    api_answer_failure(call, call->route ? call->route : h->path_match, rc);
}

void api_answer_failure(struct api_call *call, const struct api_route *r, int rc)
{
    struct http_req *req = call->req;
    if (call->err.code == 0)
        err_set(&call->err, rc, "%s", err_default_message(rc));
    if (err_http_status(call->err.code) >= 500)
        log_msg(LOG_ERROR, "request %s %s %s failed: %s", req->request_id, req->method_name,
                req->path, call->err.msg);
    api_refusal_count(call->api, r, &call->err);
    api_error_answer(r, req, call->res, &call->err);
}

static struct api_head *head_new(struct api *api, struct http_req *req, struct http_res *res)
{
    struct api_head *h = arena_alloc(req->arena, sizeof(*h));
    memset(h, 0, sizeof(*h));
    h->call.api = api;
    h->call.req = req;
    h->call.res = res;
    h->call.now = app_now(api->app);
    h->rc = head_phase(h);
    req->head_state = h;
    return h;
}

static void serve_api(struct api *api, struct http_req *req, struct http_res *res)
{
    struct api_head *h = req->head_state;
    int rc;
    if (!h) /* a server without the head callback: both phases now */
        h = head_new(api, req, res);
    struct api_call *call = &h->call;
    call->res = res;
    if ((rc = h->rc) < 0)
        goto out;
    const struct api_route *r = call->route;
    call->now = app_now(api->app);
    call->cache_version = app_org_version(api->app);
    if (req->body_too_large) {
        rc = err_set(&call->err, ERR_TOO_LARGE, "request body exceeds the %zu-byte limit",
                     body_limit(api, r));
        res->close = 1;
        goto out;
    }
    if ((rc = store_conn(api->d.store, &call->conn, &call->err)) < 0)
        goto out;
    /* A form may carry the credentials (ROUTE_O311_KEY), so it is read first. */
    if ((r->flags & ROUTE_FORM) && (rc = parse_form(call)) < 0)
        goto out;
    if (route_attr(r, authenticates) && (rc = authenticate(call)) < 0)
        goto out;
    if ((r->flags & ROUTE_JSON) && (rc = parse_body(call)) < 0)
        goto out;
    if ((rc = check_scope(call)) < 0)
        goto out;
    rc = r->fn(call);
    /* A write may have queued notifications: deliver them now rather than at the next tick. */
    if (rc == 0 && req->method != HTTP_GET && req->method != HTTP_HEAD)
        app_notify_wake(api->app);
out:
    api_rollback(call);
    if (rc < 0)
        answer_error(h, rc);
    if (call->body)
        json_free(call->body);
    call->body = NULL;
}

static int is_api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || prefix_attr(path) || strcmp(path, "/healthz") == 0 ||
           strcmp(path, "/metrics") == 0;
}

static void no_such_page(struct http_req *req, struct http_res *res)
{
    struct err e = ERR_INIT;
    req->route = "static";
    err_set(&e, ERR_NOT_FOUND, "no such page: %s", req->path);
    api_error(res, &e, req->arena);
}

size_t api_head(void *ctx, struct http_req *req, struct http_res *res)
{
    struct api *api = ctx;
    if (!is_api_path(req->path)) {
        if (req->method == HTTP_GET || req->method == HTTP_HEAD)
            return NO_BODY_BYTES; /* static files */
        no_such_page(req, res);
        return 0;
    }
    struct api_head *h = head_new(api, req, res);
    if (h->rc < 0) {
        answer_error(h, h->rc);
        return 0;
    }
    return body_limit(api, h->call.route);
}

/* What the server refused before the API saw the request (http.h: req->refused). */
static const struct {
    int status, code;
} refusals[] = {{400, ERR_BAD_REQUEST},
                {414, ERR_URI_TOO_LONG},
                {501, ERR_NOT_IMPLEMENTED},
                {503, ERR_UNAVAILABLE}};

static void answer_refusal(struct http_req *req, struct http_res *res)
{
    struct err e = ERR_INIT;
    int code = ERR_BAD_REQUEST;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
        if (refusals[i].status == req->refused)
            code = refusals[i].code;
    err_set(&e, code, "%s", req->refused_why ? req->refused_why : err_default_message(code));
    if (code == ERR_UNAVAILABLE)
        http_res_header(res, "Retry-After", "2");
    res->close = 1;
    api_error_answer(NULL, req, res, &e);
}

void api_handle(void *ctx, struct http_req *req, struct http_res *res)
{
    struct api *api = ctx;
    if (req->headers_too_large) {
        struct err e = ERR_INIT;
        err_set(&e, ERR_HEADERS_TOO_LARGE, "request line and headers exceed the %d-byte limit",
                api->d.conf->max_header_bytes);
        res->close = 1;
        api_error(res, &e, req->arena);
        return;
    }
    if (req->refused) {
        answer_refusal(req, res);
        return;
    }
    if (is_api_path(req->path)) {
        serve_api(api, req, res);
        return;
    }
    if ((req->method == HTTP_GET || req->method == HTTP_HEAD) && api->d.web) {
        req->route = "static";
        if (http_static_serve(api->d.web, req, res))
            return;
    }
    no_such_page(req, res);
}
