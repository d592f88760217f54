/*
 * The live event stream, fed by the app's notification worker (src/app/app_notify.c).
 *
 * GET /api/v1/events/stream answers with server-sent events. Each subscriber is a stream
 * (src/http/http_stream.c: no thread is held while it is idle) plus a copy of the caller's
 * identity; the notification worker publishes every notification the first time it claims
 * it, and the hub forwards it to the subscribers whose scope covers its recipient:
 *   department  → handlers of that department
 *   dispatchers → dispatchers        supervisors → supervisors
 *     (a region-bound one only for cases in its region)
 *   supervisors also watch what arrives and what runs late in their scope: the dispatchers'
 *     notices (new cases) and the departments' overdue notices, region-bound as above
 * A stream opened with ?recent=N (no Last-Event-ID) starts with the latest N notifications in
 * its scope (from the last REPLAY_MAX), so a dashboard opens with recent history.
 *   citizen/user → that user alone   admin → everything else
 * Event id = notification id, so a client reconnecting with Last-Event-ID gets what it
 * missed from the outbox (bounded) before the live events.
 *
 * A stream holds a connection slot for its whole life, so streams are bounded (settings
 * stream_*): per user and per client address (429), in total on this node below the
 * connection limit so ordinary requests always find a slot (503), both with Retry-After;
 * and in time: a stream ends after stream_max_life (less a little jitter, so streams opened
 * together do not all come back together) and the client reconnects after the 'retry:' hint.
 *
 * A stream serves its session, not the user it was opened by: it ends when the session ends
 * (logout, password change, deactivation) or its user's roles or scope change. auth tells
 * the hub (auth_on_invalidate) whenever this process ends a session or changes a user (an
 * ended session's streams end at once; a changed user's are checked at once), and
 * whenever the cluster thread hears that another node did (PostgreSQL: migration 0009's
 * triggers, src/app/app_cluster.c), so a stream on any node ends within the notification's
 * latency. Changes nobody announces (the CLI writing a SQLite database) are caught by the
 * stream's own check: the session is looked up again before the first byte and every
 * stream_check_interval seconds (through auth's session cache, so within its 30 s as well).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/num.h"
#include "notify/notify.h"
#include "org/org.h"
#include "store/store.h"

#define REPLAY_MAX 200
#define RECENT_MAX 50 /* ?recent=: the history a stream may open with */
/* Seconds a refused client is asked to wait: about two keep-alive periods, in which a stream
 * whose client went away is noticed and its slot freed. */
#define REFUSED_RETRY_AFTER 30
#define IDLE_SECONDS 15

struct event_sub {
    struct http_stream *stream;
    char token_hash[65]; /* the session it serves */
    char ip[64];         /* the client's address (req->ip) */
    int64_t user_id;
    unsigned roles;
    int64_t depts[AUTH_MAX_DEPTS];
    int ndepts;
    char region[32]; /* the holder's region scope, "" = none */
    int64_t min_id;  /* ids up to this one were replayed: skip them live */
    struct event_sub *next;
};

static const char gap_event[] = "event: gap\ndata: {\"reload\":true}\n\n";

/* A group notification about a case reaches a region-bound holder of the group's role only when
 * the case lies in its region (case_visible's rule for region-bound staff). */
static int in_region(const struct event_sub *s, const struct notify_item *n)
{
    if (!s->region[0] || !n->case_id)
        return 1;
    return n->case_region && *n->case_region &&
           org_region_code_in_subtree(n->case_region, s->region);
}

static int in_scope(const struct event_sub *s, const struct notify_item *n)
{
    const char *k = n->recipient_kind;
    /* A citizen's own notices (their report answered) name the account that reported: they go
     * to that account alone, not to admins, or an anonymous report would be unmasked. */
    if (strcmp(k, "citizen") == 0 || strcmp(k, "user") == 0)
        return n->recipient_id && n->recipient_id == s->user_id;
    if (s->roles & ROLE_ADMIN)
        return 1;
    if (strcmp(k, "department") == 0) {
        if ((s->roles & ROLE_SUPERVISOR) && strcmp(n->kind, "overdue") == 0 && in_region(s, n))
            return 1;
        if (!(s->roles & ROLE_HANDLER))
            return 0;
        for (int i = 0; i < s->ndepts; i++)
            if (s->depts[i] == n->recipient_id)
                return 1;
        return 0;
    }
    if (strcmp(k, "dispatchers") == 0)
        return (s->roles & (ROLE_DISPATCHER | ROLE_SUPERVISOR)) && in_region(s, n);
    if (strcmp(k, "supervisors") == 0)
        return (s->roles & ROLE_SUPERVISOR) && in_region(s, n);
    return 0;
}

/* "id: 7\nevent: dispatched\ndata: {...}\n\n" */
static void event_text(const struct notify_item *n, struct buf *b)
{
    const char *kind = n->kind;
    if (strpbrk(kind, "\r\n") || !*kind)
        kind = "notification";
    buf_printf(b, "id: %lld\nevent: %s\ndata: ", (long long)n->id, kind);
    notify_item_json(n, b);
    buf_puts(b, "\n\n");
}

/* What a stream's check compares (owned by the stream). */
struct stream_check {
    struct api *api;
    char token_hash[65];
    int64_t user_id;
    unsigned roles;
    int64_t region_id;
    int ndepts;
    int64_t depts[AUTH_MAX_DEPTS];
};

static int has_dept(const int64_t *v, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (v[i] == id)
            return 1;
    return 0;
}

/* The same roles and scope: what the subscription's filter was built from. */
static int same_scope(const struct stream_check *k, const struct auth_user *u)
{
    int n = u->ndepts < AUTH_MAX_DEPTS ? u->ndepts : AUTH_MAX_DEPTS;
    if (u->id != k->user_id || u->roles != k->roles || u->region_id != k->region_id ||
        n != k->ndepts)
        return 0;
    for (int i = 0; i < n; i++)
        if (!has_dept(k->depts, k->ndepts, u->depts[i]))
            return 0;
    return 1;
}

/* The stream's check (http_stream.c runs it on the connection's pool thread): -1 ends the
 * stream when its session no longer stands or its user's scope changed. A database failure
 * keeps it: ending every stream on a blip would bring every client back at once. */
static int check_session(void *arg)
{
    struct stream_check *k = arg;
    struct arena a;
    struct auth_session s;
    struct err err = ERR_INIT;
    arena_init(&a, 1024);
    int rc = auth_session_check(k->api->d.auth, k->token_hash, app_now(k->api->app), &a, &s, &err);
    int end = rc == ERR_UNAUTHORIZED || (rc == 0 && !same_scope(k, &s.user));
    if (rc < 0 && rc != ERR_UNAUTHORIZED)
        log_msg(LOG_WARN, "events: session of a stream not checked: %s", err.msg);
    arena_release(&a);
    return end ? -1 : 0;
}

static void sub_free(struct event_sub *s)
{
    http_stream_unref(s->stream);
    free(s);
}

/* Unlink subscribers whose stream has ended. Called with events_lock held. */
static void prune(struct api *api)
{
    struct event_sub **pp = &api->subs;
    while (*pp) {
        struct event_sub *s = *pp;
        if (http_stream_is_open(s->stream)) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        sub_free(s);
    }
}

static void publish(void *ctx, const struct notify_item *n)
{
    struct api *api = ctx;
    struct buf b;
    buf_init(&b);
    event_text(n, &b);
    pthread_mutex_lock(&api->events_lock);
    prune(api);
    for (struct event_sub *s = api->subs; s; s = s->next)
        if (n->id > s->min_id && in_scope(s, n))
            http_stream_send(s->stream, b.p, b.len);
    pthread_mutex_unlock(&api->events_lock);
    buf_release(&b);
}

/* Events published on another node while this one could not hear them are lost to its
 * streams: their clients reload their queues (and reconnect with Last-Event-ID). */
static void gap(void *ctx)
{
    struct api *api = ctx;
    pthread_mutex_lock(&api->events_lock);
    prune(api);
    for (struct event_sub *s = api->subs; s; s = s->next)
        http_stream_send(s->stream, gap_event, sizeof(gap_event) - 1);
    pthread_mutex_unlock(&api->events_lock);
}

/* auth_on_invalidate: a session ended or a user changed, here or on another node. */
static void invalidated(void *ctx, int64_t user_id, const char *token_hash)
{
    struct api *api = ctx;
    pthread_mutex_lock(&api->events_lock);
    for (struct event_sub *s = api->subs; s; s = s->next) {
        if (token_hash && strcmp(s->token_hash, token_hash) == 0)
            http_stream_end(s->stream);
        /* A changed user (or anything, after the cluster lost its listener): the check reads
         * the session again and ends the stream if it is gone (a password change and a
         * deactivation delete it) or its scope changed; a new display name leaves it be. */
        else if (!token_hash && (!user_id || s->user_id == user_id))
            http_stream_check_soon(s->stream);
    }
    pthread_mutex_unlock(&api->events_lock);
}

int api_events_init(struct api *api, struct err *err)
{
    const struct conf *cf = api->d.conf;
    /* A quarter of the connections (one at least) stay for ordinary requests, logins
     * included, however many streams are asked for. */
    int reserve = cf->max_connections / 4 > 1 ? cf->max_connections / 4 : 1;
    int most = cf->max_connections - reserve;
    if (cf->stream_budget > most)
        return err_field(err, ERR_BAD_REQUEST, "stream_budget",
                         "setting 'stream_budget' (%d) must leave a quarter of 'max_connections' "
                         "(%d) to ordinary requests: at most %d",
                         cf->stream_budget, cf->max_connections, most);
    /* 0 = half; with a handful of connections that may be none: every stream gets 503. */
    api->stream_budget = cf->stream_budget ? cf->stream_budget : cf->max_connections / 2;
    auth_on_invalidate(api->d.auth, invalidated, api);
    return 0;
}

int api_start_notifier(struct api *api, struct err *err)
{
    app_on_gap(api->app, gap, api);
    return app_start_notifier(api->app, publish, api, err);
}

void api_events_free(struct api *api)
{
    if (api->d.auth)
        auth_on_invalidate(api->d.auth, NULL, NULL);
    pthread_mutex_lock(&api->events_lock);
    while (api->subs) {
        struct event_sub *s = api->subs;
        api->subs = s->next;
        sub_free(s);
    }
    pthread_mutex_unlock(&api->events_lock);
}

static int64_t last_event_id(struct api_call *call)
{
    const char *v = http_req_header(call->req, "Last-Event-ID");
    if (!v || !*v)
        v = http_req_query(call->req, "last_event_id");
    if (!v || !*v)
        return 0;
    int64_t id;
    return num_parse_int(v, &id) < 0 || id < 0 ? 0 : id;
}

int api_events_stream(struct api_call *call)
{
    struct api *api = call->api;
    const struct auth_user *u = call->user;
    int64_t after = last_event_id(call), recent = 0;
    struct notify_item *items = NULL;
    int n = 0, history = 0;
    if (call->req->method == HTTP_HEAD) {
        /* Headers only: no subscription for a body nobody will read. */
        http_res_body(call->res, 200, "text/event-stream; charset=utf-8", "", 0, HTTP_BODY_STATIC);
        http_res_header(call->res, "Cache-Control", "no-cache");
        return 0;
    }
    if (!call->token)
        return err_set(&call->err, ERR_UNAUTHORIZED, "event streams need a session");
    int rc0 = api_query_int(call, "recent", 0, 0, RECENT_MAX, &recent);
    if (rc0 < 0)
        return rc0;
    const struct conf *cf = api->d.conf;
    const char *ip = call->req->ip ? call->req->ip : "";
    struct event_sub *s = xcalloc(1, sizeof(*s));
    s->user_id = u->id;
    s->roles = u->roles;
    s->ndepts = u->ndepts < AUTH_MAX_DEPTS ? u->ndepts : AUTH_MAX_DEPTS;
    memcpy(s->depts, u->depts, (size_t)s->ndepts * sizeof(s->depts[0]));
    snprintf(s->region, sizeof(s->region), "%s", u->region_code ? u->region_code : "");
    s->min_id = after;
    auth_token_hash(call->token, s->token_hash);
    snprintf(s->ip, sizeof(s->ip), "%s", ip);

    struct stream_check *k = xcalloc(1, sizeof(*k));
    k->api = api;
    memcpy(k->token_hash, s->token_hash, sizeof(k->token_hash));
    k->user_id = u->id;
    k->roles = u->roles;
    k->region_id = u->region_id;
    k->ndepts = s->ndepts;
    memcpy(k->depts, s->depts, sizeof(k->depts));
    /* Up to a tenth less than the maximum, so streams opened together end apart. */
    int64_t life_ms = (int64_t)cf->stream_max_life * 1000;
    life_ms -= (int64_t)(clock_mono_ns() % (uint64_t)(life_ms / 10 + 1));
    struct http_stream_options o = {
        .content_type = "text/event-stream; charset=utf-8",
        .max_messages = 256,
        .overflow_msg = gap_event,
        .idle_msg = ": keep-alive\n\n",
        .idle_seconds = IDLE_SECONDS,
        .max_life_ms = life_ms,
        .check = check_session,
        .check_arg = k,
        .check_seconds = cf->stream_check_interval,
    };
    /* Replay and subscribe under the hub lock, so a notification published meanwhile is
     * either in the replay (and skipped live through min_id) or arrives live, never both;
     * the limits are counted under it too, so two streams opened at once cannot both take
     * the last place. */
    pthread_mutex_lock(&api->events_lock);
    prune(api);
    int total = 0, mine = 0, here = 0;
    for (struct event_sub *o2 = api->subs; o2; o2 = o2->next) {
        total++;
        mine += o2->user_id == s->user_id;
        here += strcmp(o2->ip, s->ip) == 0;
    }
    int rc = 0;
    if (mine >= cf->stream_max_per_user)
        rc = err_set(&call->err, ERR_THROTTLED,
                     "this account already has %d event streams open (setting "
                     "'stream_max_per_user'); close one or wait",
                     mine);
    else if (here >= cf->stream_max_per_address)
        rc = err_set(&call->err, ERR_THROTTLED,
                     "this address already has %d event streams open (setting "
                     "'stream_max_per_address'); close one or wait",
                     here);
    else if (total >= api->stream_budget)
        rc = err_set(&call->err, ERR_UNAVAILABLE,
                     "every event stream this server keeps (setting 'stream_budget', %d) is in "
                     "use; try again later",
                     total);
    if (rc < 0) {
        pthread_mutex_unlock(&api->events_lock);
        http_res_header(call->res, "Retry-After",
                        arena_printf(call->req->arena, "%d", REFUSED_RETRY_AFTER));
        free(k);
        free(s);
        return rc;
    }
    if (after > 0) {
        rc = notify_list_after(call->conn, after, REPLAY_MAX, call->req->arena, &items, &call->err);
        if (rc < 0) {
            pthread_mutex_unlock(&api->events_lock);
            free(k);
            free(s);
            return rc;
        }
        n = rc;
    } else if (recent > 0) {
        int64_t last = 0;
        if ((rc = notify_last_id(call->conn, &last, &call->err)) >= 0)
            rc = notify_list_after(call->conn, last > REPLAY_MAX ? last - REPLAY_MAX : 0,
                                   REPLAY_MAX, call->req->arena, &items, &call->err);
        if (rc < 0) {
            pthread_mutex_unlock(&api->events_lock);
            free(k);
            free(s);
            return rc;
        }
        n = rc;
        history = 1;
    }
    s->stream = http_res_stream(call->res, &o);
    http_res_header(call->res, "Cache-Control", "no-cache");
    /* The retry hint, and a first line so clients see the stream open at once. */
    static const char hello[] = "retry: 3000\n: connected\n\n";
    http_stream_send(s->stream, hello, sizeof(hello) - 1);
    /* History: the latest 'recent' of the replayed notifications that are in scope. */
    int skip = 0;
    if (history) {
        for (int i = 0; i < n; i++)
            skip += in_scope(s, &items[i]);
        skip = skip > recent ? skip - (int)recent : 0;
    }
    if (n == REPLAY_MAX && !history) {
        /* Missed too much to replay: the client reloads its queues instead. */
        http_stream_send(s->stream, gap_event, sizeof(gap_event) - 1);
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        if (items[i].id > s->min_id)
            s->min_id = items[i].id;
        if (!in_scope(s, &items[i]) || (skip && skip--))
            continue;
        struct buf b;
        buf_init(&b);
        event_text(&items[i], &b);
        http_stream_send(s->stream, b.p, b.len);
        buf_release(&b);
    }
    prune(api);
    s->next = api->subs;
    api->subs = s;
    pthread_mutex_unlock(&api->events_lock);
    return 0;
}
