/*
 * Region files over HTTP: POST /api/v1/regions/import (the body is the GeoJSON file) and
 * GET /api/v1/regions/export, the same reader and writer as `gridloop region import|export`
 * (app_region.c; the format is in docs/grid.md §1).
 */
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "core/buf.h"
#include "core/mem.h"

static void report_json(struct jw *w, const struct app_region_report *r)
{
    static const char *const levels[] = {"", "district", "street", "community", "grid", "micro"};
    jw_kint(w, "features", r->features);
    jw_kint(w, "created", r->created);
    jw_kint(w, "updated", r->updated);
    jw_key(w, "levels");
    jw_obj(w);
    for (int l = 1; l <= 5; l++)
        jw_kint(w, levels[l], r->levels[l]);
    jw_obj_end(w);
    jw_kint(w, "errors_total", r->problems_total);
    jw_key(w, "errors");
    jw_arr(w);
    for (size_t i = 0; i < r->nproblems; i++) {
        const struct app_region_problem *p = &r->problems[i];
        jw_obj(w);
        jw_kint(w, "feature", p->feature);
        jw_kstr(w, "code", p->code);
        jw_kstr(w, "field", p->field);
        jw_kstr(w, "message", p->message);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_kint(w, "gaps", r->gaps);
    jw_kint(w, "overlaps", r->overlaps);
    jw_kint(w, "outside", r->outside);
    jw_key(w, "issues");
    jw_arr(w);
    for (size_t i = 0; i < r->nissues; i++) {
        const struct app_region_issue *s = &r->issues[i];
        jw_obj(w);
        jw_kstr(w, "kind", s->kind);
        jw_kstr(w, "parent_code", s->parent_code);
        if (*s->code)
            jw_kstr(w, "code", s->code);
        if (*s->other_code)
            jw_kstr(w, "other_code", s->other_code);
        jw_knum(w, "area_m2", s->area_m2);
        jw_knum(w, "lat", s->lat);
        jw_knum(w, "lon", s->lon);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static int type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * POST /regions/import: the whole file in one transaction. 200 with the report (warnings
 * included) when every feature was written; 400 with the error and the report (every refused
 * feature, its field and why) when any was refused, and nothing written.
 */
int api_region_import(struct api_call *call)
{
    struct app_region_report rep;
    const char *ct = http_req_header(call->req, "Content-Type");
    int rc;
    if (!type_is(ct, "application/geo+json") && !type_is(ct, "application/json"))
        return err_set(&call->err, ERR_MEDIA_TYPE,
                       "send the file as the body with 'Content-Type: application/geo+json'");
    if (!call->req->body_len)
        return err_field(&call->err, ERR_BAD_REQUEST, "file", "the file is empty");
    if ((rc = api_begin(call)) < 0)
        return rc;
    rc = app_region_import(call->conn, call->req->body, call->req->body_len, call->now,
                           call->req->arena, &rep, &call->err);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    if (rc == ERR_BAD_REQUEST && rep.problems_total) {
        api_file_refused_begin(call, &w);
        report_json(&w, &rep);
        return api_file_refused_end(call, &w);
    }
    if (rc < 0) {
        jw_release(&w);
        return rc;
    }
    report_json(&w, &rep);
    jw_obj_end(&w);
    /* The audit entry keeps the summary: the regions themselves are in their table. */
    const char *after = arena_printf(
        call->req->arena,
        "{\"features\":%lld,\"created\":%lld,\"updated\":%lld,\"gaps\":%lld,\"overlaps\":%lld,"
        "\"outside\":%lld,\"bytes\":%zu}",
        (long long)rep.features, (long long)rep.created, (long long)rep.updated,
        (long long)rep.gaps, (long long)rep.overlaps, (long long)rep.outside, call->req->body_len);
    if ((rc = api_commit(call, "region.import", "regions", NULL, after)) < 0) {
        jw_release(&w);
        return rc;
    }
    api_org_changed(call);
    return api_reply(call, 200, &w);
}

/* GET /regions/export[?within=CODE]: the tree, or a subtree, as a region file. */
int api_region_export(struct api_call *call)
{
    struct buf b;
    int rc;
    buf_init(&b);
    if ((rc = app_region_export(call->conn, http_req_query(call->req, "within"), call->req->arena,
                                &b, &call->err)) < 0) {
        buf_release(&b);
        return rc;
    }
    size_t len;
    char *body = buf_detach(&b, &len);
    http_res_header(call->res, "Content-Disposition", "attachment; filename=\"regions.geojson\"");
    http_res_body(call->res, 200, "application/geo+json; charset=utf-8", body, len, HTTP_BODY_FREE);
    return 0;
}
