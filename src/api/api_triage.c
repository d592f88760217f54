/*
 * Triage endpoints: suggestions on demand (the app holds the model and the duplicate index),
 * the model and its retraining, hot topics over live cases, and the routing table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "case/case.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org.h"
#include "triage/triage.h"

#define HOT_CASES_MAX 50000
/* A reply whose substance went word for word to at least REUSE_MIN other cases in the last
 * REUSE_DAYS is boilerplate: one repeat can be a genuine shared answer (two reports of one
 * burst main), two more are a template. */
#define REUSE_DAYS 180
#define REUSE_MIN 2

static const struct json_field suggest_fields[] = {
    {"title", JT_STRING, JF_NULLABLE, 0, CASE_TITLE_MAX, NULL},
    {"description", JT_STRING, JF_REQUIRED, 1, CASE_DESCRIPTION_MAX, NULL},
    {"category", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"lat", JT_NUMBER, JF_NULLABLE, CASE_LAT_MIN, CASE_LAT_MAX, NULL},
    {"lon", JT_NUMBER, JF_NULLABLE, CASE_LON_MIN, CASE_LON_MAX, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"address", JT_STRING, JF_NULLABLE, 0, CASE_ADDRESS_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_triage_suggest_post(struct api_call *call)
{
    struct case_new in = {0};
    struct app_suggestion *s;
    int rc;
    if ((rc = json_check(call->body, suggest_fields, &call->err)) < 0)
        return rc;
    int has_lat = json_get(call->body, "lat") != NULL,
        has_lon = json_get(call->body, "lon") != NULL;
    if (has_lat != has_lon)
        return err_field(&call->err, ERR_BAD_REQUEST, has_lat ? "lon" : "lat",
                         "'lat' and 'lon' come together");
    in.title = json_get_str(call->body, "title");
    in.description = json_get_str(call->body, "description");
    in.category_id = json_get_int(call->body, "category", 0);
    in.has_location = has_lat;
    in.lat = json_get_num(call->body, "lat", 0);
    in.lon = json_get_num(call->body, "lon", 0);
    in.region_id = json_get_int(call->body, "region_id", 0);
    in.address = json_get_str(call->body, "address");
    if (!in.region_id && in.has_location &&
        (rc = api_locate_region(call, in.lat, in.lon, &in.region_id)) < 0)
        return rc;
    struct app_ctx x = api_ctx(call);
    if ((rc = app_triage_suggest(&x, &in, 0, &s)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    app_suggestion_json(&w, s);
    return api_reply(call, 200, &w);
}

/* GET /cases/{id}/triage: the suggestion for an existing case, as the dispatcher sees it now. */
int api_triage_case(struct api_call *call)
{
    const struct case_rec *r;
    struct app_suggestion *s;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0)
        return rc;
    struct case_new in = {.title = r->title,
                          .description = r->description,
                          .has_location = r->has_location,
                          .lat = r->lat,
                          .lon = r->lon,
                          .address = r->address,
                          .category_id = r->category_id ? r->category_id : r->triage_category_id,
                          .region_id = r->region_id};
    struct app_ctx x = api_ctx(call);
    x.now = r->created_at; /* duplicates are those reported around the case, not around now */
    if ((rc = app_triage_suggest(&x, &in, r->id, &s)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    app_suggestion_json(&w, s);
    return api_reply(call, 200, &w);
}

/* GET /api/v1/cases/{id}/reply-check: the reply-quality check (triage_reply_check) of the case's
 * latest reply against its complaint, for the reviewer before the callback or closure. */
int api_reply_check(struct api_call *call)
{
    const struct case_rec *r;
    struct case_event_rec *ev;
    size_t n;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 ||
        (rc = case_timeline(call->conn, r->id, call->req->arena, &ev, &n, &call->err)) < 0)
        return rc;
    const char *reply = NULL;
    for (size_t i = n; i-- > 0 && !reply;)
        if ((!strcmp(ev[i].action, "reply") || !strcmp(ev[i].action, "answer")) && ev[i].note)
            reply = ev[i].note;
    if (!reply)
        return err_set(&call->err, ERR_NOT_FOUND, "case %s has no reply yet", r->number);
    struct triage_reply q;
    triage_reply_check(arena_printf(call->req->arena, "%s %s", r->title, r->description), reply,
                       &q);
    /* The same text sent to other cases in the last REUSE_DAYS: boilerplate (套话). */
    int64_t reused = 0, reused_depts = 0;
    if ((rc = case_reply_reused(call->conn, r->id, call->now - REUSE_DAYS * 86400, &reused,
                                &reused_depts, &call->err)) < 0)
        return rc;
    int boilerplate = reused >= REUSE_MIN;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kbool(&w, "flagged", q.flagged || boilerplate);
    jw_kbool(&w, "empty", q.empty);
    jw_kbool(&w, "off_topic", q.off_topic);
    jw_kbool(&w, "no_action", q.no_action);
    jw_kbool(&w, "no_detail", q.no_detail);
    jw_knum(&w, "topic", q.topic);
    jw_kbool(&w, "boilerplate", boilerplate);
    jw_kint(&w, "reused", reused);
    jw_kint(&w, "reused_departments", reused_depts);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- the model */

static void model_json(struct api_call *call, struct jw *w)
{
    const struct triage_model *m = app_triage_model(call->api->app, 0);
    jw_obj(w);
    jw_kstr(w, "version", m ? triage_model_version(m) : NULL);
    jw_kint(w, "labels", m ? triage_model_nlabels(m) : 0);
    struct triage_training t;
    struct err ignore = ERR_INIT;
    jw_key(w, "last_training");
    if (triage_training_last(call->conn, call->req->arena, &t, &ignore) == 1) {
        jw_obj(w);
        jw_ktime(w, "at", t.at);
        jw_kstr(w, "version", t.version);
        jw_kint(w, "examples", t.examples);
        jw_kint(w, "labels", t.labels);
        jw_kstr(w, "source", t.source);
        jw_kstr(w, "actor", t.actor);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    int64_t n = 0, corrected = 0;
    triage_examples_count(call->conn, &n, &corrected, &ignore);
    jw_kint(w, "dispatcher_examples", n);
    jw_kint(w, "dispatcher_corrections", corrected);
    jw_obj_end(w);
}

int api_triage_model_get(struct api_call *call)
{
    struct jw w;
    jw_init(&w);
    model_json(call, &w);
    return api_reply(call, 200, &w);
}

/* No options yet; the body is an object so that they can be added without a new route. */
static const struct json_field train_fields[] = {
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *retrain_json(struct api_call *call, const struct triage_retrain *r)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "version", r->version);
    jw_kstr(&w, "previous", r->previous[0] ? r->previous : NULL);
    jw_kint(&w, "examples", (int64_t)r->examples);
    jw_kint(&w, "held_out", (int64_t)r->held_out);
    if (r->accuracy >= 0)
        jw_knum(&w, "accuracy", r->accuracy);
    if (r->current_accuracy >= 0)
        jw_knum(&w, "previous_accuracy", r->current_accuracy);
    jw_obj_end(&w);
    const char *out = arena_strdup(call->req->arena, w.b.p);
    jw_release(&w);
    return out;
}

int api_triage_train(struct api_call *call)
{
    const struct conf *cf = call->api->d.conf;
    struct triage_check check = {(size_t)cf->triage_train_min_examples, cf->triage_train_max_drop};
    struct triage_retrain r;
    int rc;
    if ((rc = json_check(call->body, train_fields, &call->err)) < 0)
        return rc;
    if ((rc = triage_train_from_db(call->conn, app_triage_path(call->api->app), call->user->name,
                                   call->now, &check, &r, &call->err)) < 0)
        return rc;
    app_triage_model(call->api->app, 1);
    if ((rc = api_audit_only(call, "triage.train", "triage/model", retrain_json(call, &r))) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    model_json(call, &w);
    return api_reply(call, 200, &w);
}

/* Put the model the last retraining replaced back (and keep the replaced one, so this can be
 * undone the same way). */
int api_triage_rollback(struct api_call *call)
{
    struct triage_retrain r;
    int rc;
    if ((rc = json_check(call->body, train_fields, &call->err)) < 0)
        return rc;
    if ((rc = triage_rollback(call->conn, app_triage_path(call->api->app), call->user->name,
                              call->now, &r, &call->err)) < 0)
        return rc;
    app_triage_model(call->api->app, 1);
    if ((rc = api_audit_only(call, "triage.rollback", "triage/model", retrain_json(call, &r))) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    model_json(call, &w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- hot topics */

typedef VEC(struct triage_hot_msg) hot_vec;

static void hot_msg(void *ctx, const struct case_recent *c)
{
    hot_vec *v = ctx;
    struct triage_hot_msg *m = vec_push(v);
    m->id = c->id;
    m->at = c->created_at;
    m->author = arena_strdup(v->arena, c->author);
    m->title = arena_strdup(v->arena, c->title);
    m->text = arena_strdup(v->arena, c->description);
}

/* Clustered over the cases the caller may see (case_scan_recent applies case_visible's
 * conditions): a topic never names, counts or titles a case the caller would get 403 on. */
int api_triage_hot(struct api_call *call)
{
    int64_t days, limit;
    struct arena *a = call->req->arena;
    struct case_actor actor;
    int rc;
    if ((rc = api_query_int(call, "days", 7, 1, 365, &days)) < 0 ||
        (rc = api_query_int(call, "limit", 10, 1, 100, &limit)) < 0)
        return rc;
    hot_vec v = VEC_IN(a);
    app_actor(call->user, &actor);
    if ((rc = case_scan_recent(call->conn, call->now - days * 86400, HOT_CASES_MAX, &actor, hot_msg,
                               &v, &call->err)) < 0)
        return rc;
    const struct triage_hot_msg *msgs = v.v;
    size_t n = v.n;
    struct triage_hot_opts o = {
        .window_seconds = days * 86400, .min_similarity = 0.3, .min_size = 2, .limit = (int)limit};
    struct triage_hot_topic *topics;
    int ntopics;
    if ((rc = triage_hot(msgs, n, &o, a, &topics, &ntopics, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "days", days);
    jw_kint(&w, "cases", (int64_t)n);
    jw_key(&w, "topics");
    jw_arr(&w);
    for (int i = 0; i < ntopics; i++) {
        const struct triage_hot_topic *t = &topics[i];
        jw_obj(&w);
        jw_knum(&w, "heat", t->heat);
        jw_kint(&w, "count", t->count);
        jw_kint(&w, "authors", t->authors);
        jw_ktime(&w, "first_at", t->first_at);
        jw_ktime(&w, "last_at", t->last_at);
        jw_kstr(&w, "title", t->title);
        jw_kint(&w, "representative_id", t->representative_id);
        jw_key(&w, "places");
        jw_arr(&w);
        for (int j = 0; j < t->nplaces; j++)
            jw_str(&w, t->places[j]);
        jw_arr_end(&w);
        jw_key(&w, "case_ids");
        jw_arr(&w);
        for (int j = 0; j < t->nids; j++)
            jw_int(&w, t->ids[j]);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- routing rules */

/* The rule list has no page size of its own: without ?limit= it answers everything. */
#define TRIAGE_RULE_PAGE_MAX 100000

static void rule_json(struct jw *w, const struct triage_rule *r)
{
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kint(w, "category_id", r->category_id);
    jw_kstr(w, "category_code", r->category_code);
    jw_kstr(w, "category_name", r->category_name);
    if (r->region_id) {
        jw_kint(w, "region_id", r->region_id);
        jw_kstr(w, "region_name", r->region_name);
    } else {
        jw_knull(w, "region_id");
        jw_knull(w, "region_name");
    }
    jw_kint(w, "department_id", r->department_id);
    jw_kstr(w, "department_name", r->department_name);
    jw_kint(w, "priority", r->priority);
    jw_kstr(w, "note", r->note);
    jw_ktime(w, "created_at", r->created_at);
    jw_ktime(w, "updated_at", r->updated_at);
    jw_obj_end(w);
}

static int rule_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct triage_rule r;
    int rc = triage_rule_get(call->conn, id, call->req->arena, &r, &call->err);
    if (rc == 0)
        rule_json(w, &r);
    return rc;
}

/* Routing answers are cached per organisation version (app_triage.c): a rule write bumps it. */
static void rules_changed(struct api_call *call, int64_t id)
{
    (void)id;
    api_org_changed(call);
}

static const struct api_resource rule_res = {"routing_rule", "/api/v1/routing-rules", rule_render,
                                             rules_changed};

int api_routing_rule_list(struct api_call *call)
{
    struct triage_rule *rules;
    struct api_page pg;
    size_t n;
    int rc;
    if ((rc = api_page_query(call, 0, TRIAGE_RULE_PAGE_MAX, &pg)) < 0 ||
        (rc = triage_rule_list(call->conn, call->req->arena, &rules, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        rule_json(&w, &rules[i]);
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

int api_routing_rule_get(struct api_call *call)
{
    return api_crud_get(call, &rule_res);
}

static const struct json_field rule_fields[] = {
    {"category_id", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"priority", JT_INT, 0, -TRIAGE_RULE_PRIORITY_MAX, TRIAGE_RULE_PRIORITY_MAX, NULL},
    {"note", JT_STRING, JF_NULLABLE, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field rule_patch_fields[] = {
    {"category_id", JT_INT, 0, 1, 9007199254740991.0, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT, 0, 1, 9007199254740991.0, NULL},
    {"priority", JT_INT, 0, -TRIAGE_RULE_PRIORITY_MAX, TRIAGE_RULE_PRIORITY_MAX, NULL},
    {"note", JT_STRING, JF_NULLABLE, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* The body over 'r' (zeroed for a create, the stored rule for a patch). */
static int rule_of(struct api_call *call, const struct json_field *fields, struct triage_rule *r)
{
    int rc = json_check(call->body, fields, &call->err);
    if (rc < 0)
        return rc;
    r->category_id = json_get_int(call->body, "category_id", r->category_id);
    if (json_has(call->body, "region_id"))
        r->region_id = json_get_int(call->body, "region_id", 0);
    r->department_id = json_get_int(call->body, "department_id", r->department_id);
    r->priority = (int)json_get_int(call->body, "priority", r->priority);
    if (json_has(call->body, "note"))
        r->note = json_get_str(call->body, "note");
    return 0;
}

int api_routing_rule_create(struct api_call *call)
{
    struct triage_rule r = {0};
    int64_t id;
    int rc;
    if ((rc = rule_of(call, rule_fields, &r)) < 0 || (rc = api_begin(call)) < 0)
        return rc;
    if ((rc = triage_rule_create(call->conn, &r, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &rule_res, "create", id, NULL);
}

int api_routing_rule_update(struct api_call *call)
{
    struct triage_rule r;
    char *before;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = triage_rule_get(call->conn, id, call->req->arena, &r, &call->err)) < 0 ||
        (rc = api_crud_state(call, &rule_res, id, &before)) < 0 ||
        (rc = rule_of(call, rule_patch_fields, &r)) < 0)
        return rc;
    if ((rc = triage_rule_update(call->conn, id, &r, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &rule_res, "update", id, before);
}

int api_routing_rule_delete(struct api_call *call)
{
    char *before;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &rule_res, id, &before)) < 0 ||
        (rc = triage_rule_delete(call->conn, id, &call->err)) < 0)
        return rc;
    return api_crud_deleted(call, &rule_res, id, before);
}
