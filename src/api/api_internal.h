/*
 * Shared by the files of the api module: the per-call context, the route table and the
 * helpers every handler uses.
 */
#ifndef GRIDLOOP_API_API_INTERNAL_H
#define GRIDLOOP_API_API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "api/api.h"
#include "app/app.h"
#include "attach/attach.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/err.h"
#include "http/http.h"
#include "json/json.h"
#include "store/store_writer.h"

struct store_conn;

#define RESPONSE_CACHE_SLOTS 64
/* Cases kept serialised for GET /api/v1/cases/{id} (api_case.c), one per slot by id. */
#define CASE_VIEW_SLOTS 1024
struct case_view;

/* A cached body is reference-counted: the cache holds one reference and every response
 * being sent from it holds one, so a slot can be replaced while responses are in flight. */
struct cached_body {
    _Atomic int refs;
    size_t len;
    char data[];
};

/* A body of 'len' bytes with one reference; api_cached_body_unref() drops one (frees on the
 * last). The unref is an http_res_body_shared() release function. */
struct cached_body *api_cached_body_new(const char *data, size_t len);
void api_cached_body_unref(void *p);

struct cached_response {
    const char *route;
    char *key; /* query string the body was built for */
    int64_t version;
    struct cached_body *body;
    struct cached_body *gz; /* gzip of body; NULL when small or incompressible */
    char etag[32];
    char etag_gz[40];
};

/* One kind of refusal counted (api_refusals.c). */
#define API_REFUSAL_SLOTS 8192
struct api_refusal {
    const char *route; /* the route's pattern (static) */
    int code;          /* ERR_* */
    char field[ERR_FIELD_MAX];
    uint64_t n;
};

struct api {
    struct app *app; /* the running application (src/app): everything but HTTP */
    /* The app's dependencies, for handlers (borrowed from the app). */
    struct {
        const struct conf *conf;
        struct store *store;
        struct auth *auth;
        struct attach_store *attach;
        const unsigned char *data_key;
        struct http_static *web;
    } d;
    struct http_server *server;
    /* Presentation caches: serialised responses of organisation lists, keyed by the app's
     * organisation version. */
    pthread_mutex_t cache_lock;
    struct cached_response cache[RESPONSE_CACHE_SLOTS];
    unsigned cache_next;
    /* Recently read cases (api_case.c); an entry is checked against the case's stamp on use. */
    pthread_mutex_t case_view_lock;
    struct case_view *case_views[CASE_VIEW_SLOTS];
    /* The event-stream subscribers (api_events.c), fed by the app's notification worker. */
    pthread_mutex_t events_lock;
    struct event_sub *subs;
    int stream_budget; /* streams open at once on this node (setting stream_budget) */
    /* The public register of automatic decisions (api_appeal.c): the last answer and the stamp
     * of what it was computed from, so the public cannot make the server count 30 days of cases
     * per request. */
    pthread_mutex_t register_lock;
    /* Refusals by route, code and field for /metrics (api_refusals.c), under refusals_lock. */
    pthread_mutex_t refusals_lock;
    struct api_refusal refusals[API_REFUSAL_SLOTS];
    size_t nrefusals;
    uint64_t refusals_dropped;
    char *register_stamp, *register_body;
    size_t register_len;
    /* Basemap tiles (api_basemap.c): BASEMAP_TILE_SLOTS serialised tiles, each checked against
     * the register's version on use. */
    pthread_mutex_t basemap_lock;
    struct basemap_slot *basemap_tiles;
};

struct api_call {
    struct api *api;
    struct http_req *req;
    struct http_res *res;
    const struct api_route *route;
    struct auth_user *user; /* NULL on public routes without a session */
    int cookie_auth;        /* the session came from the cookie, not a bearer header */
    const char *token;
    struct store_conn *conn;
    json_t *body;          /* parsed when the route has ROUTE_JSON */
    struct http_form form; /* parsed when the route has ROUTE_FORM */
    const void *client;    /* who a route attribute's own authentication found (ROUTE_O311_KEY:
                                  * the struct open311_client); NULL otherwise */
    const struct app_suggestion *triage; /* intake: what triage suggested */
    const struct case_rec *scoped_case;  /* SCOPE_CASE: case {id} as the scope check read it */
    int in_tx;                           /* a write transaction is open */
    int64_t cache_version;               /* org_version when the call started */
    int64_t now;
    struct err err;
};

/* Returns 0 when the handler has set a response, or a negative ERR_* with call->err set. */
typedef int api_fn(struct api_call *call);

enum api_scope {
    SCOPE_NONE,       /* the role is enough */
    SCOPE_SELF,       /* {id} must be the caller, unless admin */
    SCOPE_DEPARTMENT, /* {id} must be one of the caller's departments if the caller is department-bound */
    SCOPE_REGION, /* {id} must be inside (or above) the caller's region if the caller is region-bound */
    SCOPE_CASE, /* case {id} must be visible to the caller (case_visible: own, department, region) */
};

enum api_route_flags {
    ROUTE_JSON = 1 << 0,          /* body is a JSON object, parsed into call->body */
    ROUTE_METRICS_TOKEN = 1 << 1, /* the metrics_token setting as a bearer token also admits */
    ROUTE_FORM = 1 << 2, /* body is a form (URL-encoded or multipart), parsed into call->form */
    ROUTE_O311_KEY =
        1 << 3, /* the caller is an Open311 client, authenticated by the api_key of its form */
    ROUTE_O311_ERRORS = 1 << 4, /* errors in the Open311 format of the path's suffix */
    ROUTE_UPLOAD = 1 << 5, /* the body may be up to max_upload_bytes (files); else max_body_bytes
                            * for ROUTE_JSON / ROUTE_FORM and a few bytes for the rest */
    ROUTE_IMPORT = 1 << 6, /* the body is a table file, up to import_max_bytes */
};

struct api_route {
    enum http_method method;
    const char *pattern;
    api_fn *fn;
    unsigned roles; /* 0 = public */
    enum api_scope scope;
    unsigned flags;
};

extern const struct api_route api_routes[];

/* The case {id} of a SCOPE_CASE route: the record the scope check read (it is read now for
 * admins, whom the check lets through without reading), so a handler reads it only once. */
struct case_rec;
int api_scoped_case(struct api_call *call, const struct case_rec **out);

/* This call as a unit of work of the app: its connection, arena, time, user and error. */
struct app_ctx api_ctx(struct api_call *call);

/* Writes the error body for 'err' into the response, in some format. */
typedef void api_error_fn(struct http_res *res, const struct err *err, struct http_req *req);

/*
 * What a route flag adds to the dispatch (table in routes.c, read by api.c, which so knows no
 * feature): the route's own authentication instead of sessions (it sets call->user, and
 * call->client, or fails), and its own error format. A path under 'prefix' that matches no
 * route at all answers its 404 in that format too. The table ends with flag 0.
 */
struct api_route_attr {
    unsigned flag;
    api_fn *authenticate; /* NULL: sessions, as for every route */
    api_error_fn *error;  /* NULL: the API's JSON error */
    const char *prefix;   /* NULL: none */
};
extern const struct api_route_attr api_route_attrs[];

/* Answer 'err' in the format of route 'r' (NULL when no route matched: by the path's prefix). */
void api_error_answer(const struct api_route *r, struct http_req *req, struct http_res *res,
                      const struct err *err);

/* The region a point lies in, through the same index as /regions/locate; 0 outside. */
int api_locate_region(struct api_call *call, double lat, double lon, int64_t *region_id);

/* The case module's environment for this call: calendar, tunables, the caller as actor and
 * the audit hook (api_case.c). */
struct case_env;
struct case_actor;
struct case_config;
/* Drops the case view cache (api_free). */
void api_case_cache_free(struct api *api);
int api_case_env(struct api_call *call, struct case_env *env, struct case_actor *actor,
                 struct case_config *cfg);

/* One attachment as the API shows it: id, hash, type, size, dimensions, its two URLs and, on a
 * case, its stage ("before" / "after" the department's work: case_photo_stage; NULL leaves it
 * out). */
void api_attachment_json(struct jw *w, int64_t id, const char *sha256, const char *mime,
                         int64_t size, int width, int height, const char *stage);

/*
 * Intake, shared by every channel's endpoint (JSON API, Open311): validates nothing of the
 * caller's format, creates the case through the group-commit writer and, once committed,
 * calls reply(call, created, actor, ctx) on an HTTP thread to answer in the caller's format.
 * 'in' and its strings are copied; ctx must live in the request arena.
 */
struct case_new;
struct case_created;
typedef int api_intake_reply_fn(struct api_call *call, const struct case_created *created,
                                const struct case_actor *actor, void *ctx);
int api_case_intake(struct api_call *call, const struct case_new *in, api_intake_reply_fn *reply,
                    void *ctx);
/* The same, with 'also(c, created, also_ctx, err)' run on the writer thread right after the
 * case is created, in its transaction: a channel's own records about the case (Open311's
 * token and attributes) commit with it or not at all. also_ctx must live in the request arena
 * and own copies of what it needs. */
typedef app_intake_also_fn api_intake_also_fn;
int api_case_intake_also(struct api_call *call, const struct case_new *in, api_intake_also_fn *also,
                         void *also_ctx, api_intake_reply_fn *reply, void *ctx);

/* ---- handlers (one file per resource) ---- */
int api_case_create(struct api_call *call);
int api_case_list(struct api_call *call);
int api_case_bulk(struct api_call *call);
int api_case_export(struct api_call *call);
/* The case list's filters from the query (api_case.c); ERR_BAD_REQUEST names the parameter. */
struct case_filter;
int api_case_list_filter(struct api_call *call, struct case_filter *f);
int api_reply_check(struct api_call *call);
/* The assessment as the monthly 通报, an A4 PDF (api_bulletin.c): answers the call. */
struct assess_params;
struct assess_row;
int api_bulletin_pdf(struct api_call *call, const struct assess_params *p,
                     const struct assess_row *rows, size_t n, const char *disposition);
/* Hand the drawing libraries' process-wide caches back (api_free, after the last request). */
void api_bulletin_shutdown(void);
/* The sensing network and the warning centre (api_sensor.c, api_warning.c). */
int api_device_list(struct api_call *call);
int api_device_create(struct api_call *call);
int api_device_get(struct api_call *call);
int api_device_update(struct api_call *call);
int api_device_readings(struct api_call *call);
int api_threshold_list(struct api_call *call);
int api_threshold_put(struct api_call *call);
int api_readings_post(struct api_call *call);
int api_sensor_status(struct api_call *call);
int api_warning_list(struct api_call *call);
int api_warning_get(struct api_call *call);
int api_warning_acknowledge(struct api_call *call);
int api_warning_dismiss(struct api_call *call);
int api_warning_dispatch(struct api_call *call);
int api_warning_scan(struct api_call *call);
int api_case_repeats(struct api_call *call);
int api_case_risk(struct api_call *call);
int api_opindex_get(struct api_call *call);
int api_opindex_compute(struct api_call *call);
int api_opindex_areas(struct api_call *call);
int api_opindex_area_put(struct api_call *call);
int api_case_risk_confirm(struct api_call *call);
int api_risk_rule_list(struct api_call *call);
int api_risk_rule_put(struct api_call *call);
int api_risk_refit(struct api_call *call);
int api_silence_list(struct api_call *call);
int api_silence_create(struct api_call *call);
int api_silence_end(struct api_call *call);
int api_kb_list(struct api_call *call);
int api_kb_get(struct api_call *call);
int api_kb_create(struct api_call *call);
int api_kb_update(struct api_call *call);
int api_kb_delete(struct api_call *call);
int api_kb_suggest(struct api_call *call);
/* The points bank (api_points.c). */
/* SMS templates, outbox and delivery reports (api_sms.c) */
int api_sms_template_list(struct api_call *call);
int api_sms_template_update(struct api_call *call);
int api_sms_message_list(struct api_call *call);
int api_sms_dlr(struct api_call *call);
void api_sms_msg_json(struct jw *w, const void *v);
/* Sign-up and sign-in by SMS code (api_citizen.c) */
int api_citizen_code(struct api_call *call);
int api_citizen_signin(struct api_call *call);
int api_citizen_profile_get(struct api_call *call);
int api_citizen_profile_put(struct api_call *call);
int api_citizen_data(struct api_call *call);
int api_citizen_delete(struct api_call *call);
/* The answer of a login: the session cookie (and device cookie), {token, csrf_token,
 * expires_at, user} (api_user.c). */
struct auth_session;
int api_session_reply(struct api_call *call, const struct auth_session *s);
int api_points_rule_list(struct api_call *call);
int api_points_rule_update(struct api_call *call);
int api_points_item_list(struct api_call *call);
int api_points_item_create(struct api_call *call);
int api_points_award(struct api_call *call);
int api_points_redeem(struct api_call *call);
int api_me_points(struct api_call *call);
/* The policy calculator and 免申即享 (api_policy.c); the rule's JSON form (api_policy_rule.c). */
int api_policy_list(struct api_call *call);
int api_policy_get(struct api_call *call);
int api_policy_create(struct api_call *call);
int api_policy_update(struct api_call *call);
int api_policy_publish(struct api_call *call);
int api_policy_trial(struct api_call *call);
int api_policy_calculator(struct api_call *call);
int api_me_policy_profile_get(struct api_call *call);
int api_me_policy_profile_put(struct api_call *call);
int api_me_policy_offers(struct api_call *call);
/* The service catalogue, 一件事 bundles and 秒批 (api_service.c). */
int api_service_item_list(struct api_call *call);
int api_service_item_get(struct api_call *call);
int api_service_item_create(struct api_call *call);
int api_service_item_update(struct api_call *call);
int api_service_bundle_list(struct api_call *call);
int api_service_bundle_get(struct api_call *call);
int api_service_bundle_create(struct api_call *call);
int api_service_bundle_update(struct api_call *call);
int api_me_service_apply(struct api_call *call);
int api_me_service_applications(struct api_call *call);
int api_service_application_get(struct api_call *call);
int api_service_task_list(struct api_call *call);
int api_service_task_accept(struct api_call *call);
int api_service_task_approve(struct api_call *call);
int api_service_task_refuse(struct api_call *call);
struct policy_rule;
/* Parse and check a rule (subject an enum policy_subject): ERR_BAD_REQUEST naming "rule". */
int api_policy_rule_parse(const json_t *v, int subject, struct policy_rule *out, struct err *err);
int api_policy_rule_parse_text(const char *text, int subject, struct policy_rule *out,
                               struct err *err);
void api_policy_rule_json(struct jw *w, const struct policy_rule *r);
/* In the open write transaction: award the caller the points of rule 'code' (an event that earns
 * them, such as a vote) with its audit entry; nothing when the rule is off or worth nothing. */
int api_points_earn(struct api_call *call, const char *code, const char *note);
/* Participation: proposals, moderation, polls (api_particip.c). */
int api_proposal_list(struct api_call *call);
int api_proposal_create(struct api_call *call);
int api_proposal_hide(struct api_call *call);
int api_proposal_restore(struct api_call *call);
int api_proposal_appeal(struct api_call *call);
int api_proposal_poll(struct api_call *call);
int api_proposal_vote(struct api_call *call);
int api_proposal_publish(struct api_call *call);
int api_proposal_project(struct api_call *call);
int api_participation(struct api_call *call);
int api_consult_list(struct api_call *call);
int api_consult_get(struct api_call *call);
int api_consult_create(struct api_call *call);
int api_consult_comment(struct api_call *call);
int api_consult_answer(struct api_call *call);
int api_consult_publish(struct api_call *call);
/* The data resource catalogue (api_catalog.c, issue 17). */
struct catalog_dataset;
struct catalog_reader;
int api_dataset_list(struct api_call *call);
int api_dataset_create(struct api_call *call);
int api_dataset_get(struct api_call *call);
int api_dataset_update(struct api_call *call);
int api_dataset_import(struct api_call *call);
int api_catalog_lists(struct api_call *call);
int api_catalog_dcat(struct api_call *call);
int api_dataset_quality(struct api_call *call);
int api_dataset_quality_run(struct api_call *call);
int api_catalog_quality(struct api_call *call);
/* A dataset's members as the catalogue shows them (inside an open object). */
void api_dataset_json(struct jw *w, const struct catalog_dataset *d);
/* May the caller manage the datasets of department 'dept' (admin, or a member of it). */
int api_catalog_may_manage(struct api_call *call, int64_t dept);
/* A reader of the request body as a table in 'format' (csv, xlsx); close it after use. */
int api_catalog_reader(struct api_call *call, const char *format, struct catalog_reader *r);
/* Requests for data and grants (api_grant.c, issue 17). */
int api_data_request_list(struct api_call *call);
int api_data_request_get(struct api_call *call);
int api_data_request_create(struct api_call *call);
int api_data_request_decide(struct api_call *call);
int api_data_grant_list(struct api_call *call);
int api_data_grant_get(struct api_call *call);
int api_data_grant_revoke(struct api_call *call);
int api_data_grant_rows(struct api_call *call);
int api_data_grant_aggregate(struct api_call *call);
int api_data_grant_export(struct api_call *call);
int api_data_grant_uses(struct api_call *call);
int api_stats_kinds(struct api_call *call);
int api_stats_grids(struct api_call *call);

/* api_walk.c: the 15-minute service circle */
int api_service_circle(struct api_call *call);
/* Grid workers and their dispatch (api_gridw.c). */
int api_grid_worker_list(struct api_call *call);
int api_grid_worker_get(struct api_call *call);
int api_grid_worker_put(struct api_call *call);
int api_grid_worker_plan(struct api_call *call);
int api_me_position(struct api_call *call);
int api_case_worker_suggestions(struct api_call *call);
int api_service_gaps(struct api_call *call);
/* api_patrol.c: patrols (巡查), their fixes, findings, coverage and statistics */
int api_patrol_start(struct api_call *call);
int api_patrol_list(struct api_call *call);
int api_patrol_current(struct api_call *call);
int api_patrol_coverage(struct api_call *call);
int api_patrol_stats(struct api_call *call);
int api_patrol_get(struct api_call *call);
int api_patrol_fixes(struct api_call *call);
int api_patrol_finding(struct api_call *call);
int api_patrol_end(struct api_call *call);
/* api_geocode.c: geocoding, autocomplete and reverse geocoding against the register */
int api_geocode(struct api_call *call);
int api_geocode_suggest(struct api_call *call);
int api_geocode_reverse(struct api_call *call);
int api_filter_list(struct api_call *call);
int api_filter_save(struct api_call *call);
int api_filter_delete(struct api_call *call);
/* POST /api/v1/validate: one identifier checked with src/valid (api_valid.c). */
int api_validate(struct api_call *call);
int api_messages_list(struct api_call *call);
int api_messages_counts(struct api_call *call);
int api_messages_read(struct api_call *call);
int api_review_rule_list(struct api_call *call);
int api_review_rule_put(struct api_call *call);
int api_review_rule_delete(struct api_call *call);
int api_order_list(struct api_call *call);
int api_order_get(struct api_call *call);
int api_order_issue(struct api_call *call);
int api_order_case_list(struct api_call *call);
int api_order_answer(struct api_call *call);
int api_order_accept(struct api_call *call);
int api_order_send_back(struct api_call *call);
int api_assist_case_list(struct api_call *call);
int api_assist_list(struct api_call *call);
int api_whistle_blow(struct api_call *call);
int api_assist_sign(struct api_call *call);
int api_assist_reply(struct api_call *call);
int api_assist_assess(struct api_call *call);
/* the ladder (api_ladder.c) */
int api_ladder_get(struct api_call *call);
int api_ladder_handle(struct api_call *call);
int api_ladder_forward(struct api_call *call);
int api_ladder_escalate(struct api_call *call);
int api_ladder_queue(struct api_call *call);
int api_ladder_limits_get(struct api_call *call);
int api_ladder_limits_put(struct api_call *call);
int api_stats_ladder(struct api_call *call);
int api_case_get(struct api_call *call);
int api_case_action(struct api_call *call);
int api_case_actions_meta(struct api_call *call);
int api_case_contact(struct api_call *call);
int api_case_lookup(struct api_call *call);
int api_case_attachment_add(struct api_call *call);
int api_me_upload_add(struct api_call *call); /* a grid worker's photo before its report */
/* A photo checked (attach_check) but not yet decoded; 'data' borrowed from the request. */
struct api_photo {
    struct attach_file file;
    const void *data;
    size_t len;
};
/* Attach 'photo' to the committed case 'case_id' later, on a decoding thread (copied: the
 * request may be answered first; the outcome is logged). 0, or ERR_UNAVAILABLE / ERR_THROTTLED
 * in call->err when the decoders' queue takes no more. */
int api_attach_later(struct api_call *call, int64_t case_id, const char *number,
                     const struct api_photo *photo);
int api_attachment_get(struct api_call *call);
int api_attachment_thumbnail(struct api_call *call);
int api_sweep(struct api_call *call);
int api_events_stream(struct api_call *call);
int api_test_clock(struct api_call *call);
int api_healthz(struct api_call *call);
int api_metrics(struct api_call *call);
int api_login(struct api_call *call);
int api_logout(struct api_call *call);
int api_me(struct api_call *call);
int api_user_list(struct api_call *call);
int api_user_create(struct api_call *call);
int api_user_get(struct api_call *call);
int api_user_update(struct api_call *call);
int api_user_password(struct api_call *call);
int api_user_contact(struct api_call *call);
int api_audit_list(struct api_call *call);
int api_audit_head(struct api_call *call);
int api_audit_verify(struct api_call *call);
int api_region_list(struct api_call *call);
int api_region_get(struct api_call *call);
int api_region_create(struct api_call *call);
int api_region_update(struct api_call *call);
int api_region_delete(struct api_call *call);
int api_region_locate(struct api_call *call);
int api_region_import(struct api_call *call);
int api_region_export(struct api_call *call);
int api_department_list(struct api_call *call);
int api_department_get(struct api_call *call);
int api_department_create(struct api_call *call);
int api_department_update(struct api_call *call);
int api_department_delete(struct api_call *call);
int api_category_list(struct api_call *call);
int api_category_get(struct api_call *call);
int api_category_create(struct api_call *call);
int api_category_update(struct api_call *call);
int api_category_delete(struct api_call *call);
int api_calendar_get(struct api_call *call);
int api_calendar_put(struct api_call *call);
int api_calendar_day_put(struct api_call *call);
int api_calendar_day_delete(struct api_call *call);
int api_calendar_add(struct api_call *call);
int api_stats_assessment(struct api_call *call);
int api_assess_triage_accuracy(struct api_call *call);
int api_triage_suggest_post(struct api_call *call);
int api_triage_case(struct api_call *call);
int api_triage_model_get(struct api_call *call);
int api_triage_train(struct api_call *call);
int api_triage_rollback(struct api_call *call);
int api_triage_hot(struct api_call *call);
int api_routing_rule_list(struct api_call *call);
int api_routing_rule_get(struct api_call *call);
int api_routing_rule_create(struct api_call *call);
int api_routing_rule_update(struct api_call *call);
int api_routing_rule_delete(struct api_call *call);
/* A grid worker's tasks and 自行处置 (api_gridtask.c). */
int api_me_tasks(struct api_call *call);
int api_grid_task_decide(struct api_call *call);
int api_case_grid_tasks(struct api_call *call);
int api_self_handled_create(struct api_call *call);
int api_grid_task_transfer(struct api_call *call);
int api_grid_task_colleagues(struct api_call *call);
int api_grid_task_rule_list(struct api_call *call);
int api_grid_task_rule_put(struct api_call *call);
int api_appeal_create(struct api_call *call);
int api_appeal_lookup_create(struct api_call *call);
int api_appeal_case_list(struct api_call *call);
int api_appeal_list(struct api_call *call);
int api_appeal_decide(struct api_call *call);
int api_decisions_register(struct api_call *call);
/* GET /api/v1/basemap/{z}/{x}/{y}: a basemap tile of the address register (public, cached). */
int api_basemap_tile(struct api_call *call);
/* The case's appeals and what may be appealed now, as members of the object 'w' is writing
 * (the public lookup's answer). */
int api_appeal_public_json(struct api_call *call, struct jw *w, const struct case_rec *r);
int api_addr_summary(struct api_call *call);
int api_addr_list(struct api_call *call);
int api_addr_get(struct api_call *call);
int api_addr_create(struct api_call *call);
int api_addr_update(struct api_call *call);
int api_addr_delete(struct api_call *call);
int api_addr_import(struct api_call *call);
int api_addr_export(struct api_call *call);
int api_open311_discovery(struct api_call *call);
int api_open311_get(struct api_call *call);
int api_open311_post_request(struct api_call *call);
int api_open311_post_update(struct api_call *call);
int api_open311_service(struct api_call *call);
int api_open311_request(struct api_call *call);
int api_open311_token(struct api_call *call);
int api_open311_client_list(struct api_call *call);
int api_open311_client_create(struct api_call *call);
int api_open311_client_revoke(struct api_call *call);
int api_open311_attrs_get(struct api_call *call);
int api_open311_attrs_put(struct api_call *call);
int api_open311_case(struct api_call *call);

/* ---- helpers ---- */

/* Answer with a JSON body built in 'w' (the writer's buffer is handed to the server). */
int api_reply(struct api_call *call, int status, struct jw *w);
/* Send the JSON 'body' itself, not a copy: the response takes a reference of its own. */
void api_reply_cached(struct api_call *call, int status, struct cached_body *body);

/* Write the error body for 'err' into the response. */
void api_error(struct http_res *res, const struct err *err, struct arena *a);
/* A handler failed with 'rc': fills a missing message, logs a 5xx under the request id, counts
 * a refusal (4xx) and answers it in the route's error format. */
void api_answer_failure(struct api_call *call, const struct api_route *r, int rc);
void api_refusals_init(struct api *api);
void api_refusals_free(struct api *api);
void api_refusal_count(struct api *api, const struct api_route *r, const struct err *e);
void api_refusals_render(struct api *api, struct buf *out);

/* Path parameter {name} as a positive integer, or ERR_NOT_FOUND. */
int api_param_id(struct api_call *call, const char *name, int64_t *out);

/* Query parameter as an integer within [min, max]; absent → def. ERR_BAD_REQUEST names it. */
int api_query_int(struct api_call *call, const char *name, int64_t def, int64_t min, int64_t max,
                  int64_t *out);
/* Query parameter as a number within [lo, hi]; absent or empty → ERR_BAD_REQUEST naming it when
 * 'required', else def. */
int api_query_double(struct api_call *call, const char *name, double lo, double hi, int required,
                     double def, double *out);

/* Transactions around a write, with the audit entry committed in the same transaction. */
int api_begin(struct api_call *call);
int api_commit(struct api_call *call, const char *action, const char *target, const char *before,
               const char *after);
void api_rollback(struct api_call *call);
/* A further audit entry inside the open write transaction (one write that changes two records,
 * e.g. a vote and the points it earns); api_commit writes the last one and commits. */
int api_audit_in_tx(struct api_call *call, const char *action, const char *target,
                    const char *before, const char *after);

/* Audit an action that wrote through its own transaction (login). */
int api_audit_only(struct api_call *call, const char *action, const char *target,
                   const char *after);

/*
 * Writes through the group-commit writer (api_write.c). The handler allocates its own struct
 * (in the request arena) with a struct api_write as first member, copies into the arena what
 * the write needs from the JSON body (freed when the handler returns), sets run and reply and
 * returns api_write_defer(call, w). Then:
 *   run(w, conn, err)   runs on the writer thread, inside the batch transaction under the
 *                       job's own savepoint: the domain change with its audit entry. A failure
 *                       undoes this request's changes only.
 *   reply(call, w)      runs on an HTTP thread after the batch has committed (durably), with
 *                       call->conn that thread's connection, and answers like a handler.
 * A failure of run or of the commit is answered as the handler's error would have been.
 */
struct api_write;
typedef int api_write_run_fn(struct api_write *w, struct store_conn *c, struct err *err);
typedef int api_write_reply_fn(struct api_call *call, struct api_write *w);
struct api_write {
    struct store_job job;
    api_write_run_fn *run;
    api_write_reply_fn *reply;
    struct api_call call; /* the deferred call (no body, connection or response) */
};
int api_write_defer(struct api_call *call, struct api_write *w);

/* Org writes call this after commit so cached org responses are rebuilt. */
void api_org_changed(struct api_call *call);

/*
 * Response cache for GET responses that do not depend on who asks (organisation lists).
 * api_cache_get() answers the request (200, or 304 on a matching If-None-Match) and returns 1
 * when a fresh entry exists; api_cache_put() stores the body just built and answers.
 */
int api_cache_get(struct api_call *call, const char *key);
int api_cache_put(struct api_call *call, const char *key, struct jw *w);

/* Set up what Open311's XML writer needs, once, before any request (api_new). */
void api_open311_init(void);

/*
 * Lists and record writes (api_crud.c), so a resource is its render function and a table.
 *
 * Every list answers one envelope, {"items":[...],"total":N,"next_cursor":"..."|null}:
 *
 *     struct api_page pg;
 *     if ((rc = api_page_query(call, 0, 1000, &pg)) < 0) return rc;   ?limit= and ?cursor=
 *     api_list_begin(&w);
 *     for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) region_json(&w, &v[i]);
 *     api_list_end_page(call, &w, &pg, n);                             total n, next_cursor
 *
 * A write renders its record once (api_resource.render), inside the transaction, and that
 * text is the audit entry's 'after' and the reply body:
 *
 *     api_begin(call); api_crud_state(call, &res, id, &before);        (update, delete)
 *     ... the domain write ...
 *     return api_crud_commit(call, &res, "update", id, before);        200; "create": 201 + Location
 *     return api_crud_deleted(call, &res, id, before);                 204
 */
struct api_page {
    int64_t limit;  /* items per page */
    int64_t offset; /* position of the first; next_cursor carries the next one */
};
/* ?limit= (def_limit, or max_limit when 0) within [1, max_limit] and ?cursor= (?offset=). */
int api_page_query(struct api_call *call, int64_t def_limit, int64_t max_limit, struct api_page *p);
size_t api_page_from(const struct api_page *p, size_t n);
size_t api_page_to(const struct api_page *p, size_t n);
void api_list_begin(struct jw *w);                                       /* jw_init + {"items":[ */
void api_list_end(struct jw *w, int64_t total, const char *next_cursor); /* NULL/"" → null */
/* A whole list as the answer: {"items": [...], "total": n, "next_cursor": null}, each of the n
 * records of 'size' bytes at 'v' written by 'item' inside its own object. */
typedef void api_item_fn(struct jw *w, const void *record);
int api_reply_items(struct api_call *call, const void *v, size_t n, size_t size, api_item_fn *item);
/* {"<key>": n} as the answer (a count of what an action did). */
int api_reply_count(struct api_call *call, const char *key, int64_t n);
/* The end of a page of an n-item list loaded whole (p NULL: everything was written). */
void api_list_end_page(struct api_call *call, struct jw *w, const struct api_page *p, size_t n);

/* Reads record 'id' and writes its JSON to 'w'; ERR_NOT_FOUND when there is none. */
typedef int api_render_fn(struct api_call *call, int64_t id, struct jw *w);
struct api_resource {
    const char *name;      /* audit action "<name>.<verb>" on target "<name>/<id>" */
    const char *path;      /* collection URL, for Location on create; NULL for none */
    api_render_fn *render; /* the reply body and the audit state */
    void (*changed)(struct api_call *call,
                    int64_t id); /* after commit (cache drops); may be NULL */
};
/* A render function 'fn' for a record of 'type' read by 'get(conn, id, arena, &rec, err)' and
 * written inside its own object by 'json(w, &rec)'. */
#define API_RENDER(fn, type, get, json)                                                            \
    static int fn(struct api_call *call, int64_t id, struct jw *w)                                 \
    {                                                                                              \
        type r;                                                                                    \
        int rc = get(call->conn, id, call->req->arena, &r, &call->err);                            \
        if (rc == 0) {                                                                             \
            jw_obj(w);                                                                             \
            json(w, &r);                                                                           \
            jw_obj_end(w);                                                                         \
        }                                                                                          \
        return rc;                                                                                 \
    }
/* GET {id}: the rendered record. */
int api_crud_get(struct api_call *call, const struct api_resource *r);
/* The record as rendered, in the arena (the audit 'before' of an update or delete). */
int api_crud_state(struct api_call *call, const struct api_resource *r, int64_t id, char **out);
/* In the open write transaction after the domain change: render once, commit with the audit
 * entry, answer with the same text (201 and Location for verb "create", else 200). */
int api_crud_commit(struct api_call *call, const struct api_resource *r, const char *verb,
                    int64_t id, const char *before);
/* A file refused as a whole (an import with problems), in an open object of w: roll back, write
 * the error naming "file" and open "report" for the caller's report; _end closes and answers
 * 400. */
void api_file_refused_begin(struct api_call *call, struct jw *w);
int api_file_refused_end(struct api_call *call, struct jw *w);
/* Commit a deletion's audit entry and answer 204. */
int api_crud_deleted(struct api_call *call, const struct api_resource *r, int64_t id,
                     const char *before);

/* End the event subscriptions (api_free). */
void api_events_free(struct api *api);
/* Check the stream settings against the connection limit and listen for ended sessions
 * (api_new). */
int api_events_init(struct api *api, struct err *err);
/* Drop the cached responses (api_free). */
void api_cache_free(struct api *api);
void api_register_free(struct api *api);
/* The basemap's tile cache (api_new / api_free). */
void api_basemap_init(struct api *api);
void api_basemap_free(struct api *api);

/* Route attributes of Open311 (api_open311.c): errors in the Open311 format of the path's
 * suffix; the client's api_key (in the form) authenticates it, within its rate limit, as its
 * service account. */
void api_open311_error(struct http_res *res, const struct err *err, struct http_req *req);
int api_open311_authenticate(struct api_call *call);

/* 1 if the caller has any of 'roles'. */
int api_has_role(const struct api_call *call, unsigned roles);

#endif /* GRIDLOOP_API_API_INTERNAL_H */
