/*
 * /api/v1/city-index: the city operation index (城市运行指数, docs/warning.md §6) of a region —
 * its score, each area's, the history and what moved it — and the areas' weights.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth.h"
#include "opindex/opindex.h"
#include "org/org.h"

/* clang-format off */
static const struct json_field area_fields[] = {
    {"code",         JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"weight",       JT_NUMBER, JF_REQUIRED, 0, 100, NULL},
    {"categories",   JT_STRING, JF_REQUIRED, 0, 200, NULL},
    {"device_types", JT_STRING, JF_REQUIRED, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

/* The region asked for, else the caller's, else the first district. */
static int pick_region(struct api_call *call, int64_t *region)
{
    int rc = api_query_int(call, "region", 0, 0, INT64_MAX, region);
    if (rc < 0)
        return rc;
    const struct auth_user *u = call->user;
    int bound = u->region_id && !(u->roles & ROLE_ADMIN);
    if (*region && bound &&
        org_region_in_subtree(call->conn, *region, u->region_id, &call->err) <= 0)
        return err_field(&call->err, ERR_FORBIDDEN, "region", "region %lld is outside your region",
                         (long long)*region);
    if (!*region && bound)
        *region = u->region_id;
    if (!*region) {
        struct org_region *v;
        size_t n;
        struct org_region_filter f = {.level = ORG_REGION_DISTRICT};
        if ((rc = org_region_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
            return rc;
        if (n)
            *region = v[0].id;
    }
    return *region ? 0 : err_field(&call->err, ERR_NOT_FOUND, "region", "no region yet");
}

/* One area's line of what moved: its score then and now, and its figures in words. */
static void moved_json(struct jw *w, const json_t *now, const json_t *before)
{
    double s1 = json_get_num(now, "score", 100),
           s0 = before ? json_get_num(before, "score", 100) : 100;
    jw_obj(w);
    jw_kstr(w, "code", json_get_str(now, "code"));
    jw_kstr(w, "name", json_get_str(now, "name"));
    jw_knum(w, "before", s0);
    jw_knum(w, "score", s1);
    char why[256];
    snprintf(
        why, sizeof(why),
        "近 24 小时 %lld 件（常态 %.1f 件），超期 %lld/%lld 件，预警 %lld 分，超标设备 %lld 台",
        (long long)json_get_int(now, "recent", 0), json_get_num(now, "expected", 0),
        (long long)json_get_int(now, "overdue", 0), (long long)json_get_int(now, "open", 0),
        (long long)json_get_int(now, "warning_points", 0),
        (long long)json_get_int(now, "breached", 0));
    jw_kstr(w, "why", why);
    jw_obj_end(w);
}

int api_opindex_get(struct api_call *call)
{
    struct opindex_point *h;
    struct org_region reg;
    size_t n;
    int64_t region, days;
    int rc;
    if ((rc = pick_region(call, &region)) < 0 ||
        (rc = api_query_int(call, "days", 7, 1, 90, &days)) < 0 ||
        (rc = org_region_get(call->conn, region, call->req->arena, &reg, &call->err)) < 0 ||
        (rc = opindex_history(call->conn, region, call->now - days * 86400, call->req->arena, &h,
                              &n, &call->err)) < 0)
        return rc;
    const char *latest = n ? h[n - 1].areas : NULL, *prev = n > 1 ? h[n - 2].areas : NULL;
    double score = n ? h[n - 1].score : NAN;
    int64_t at = n ? h[n - 1].at : 0;
    char *computed = NULL;
    if (!latest) {
        /* Nothing kept yet (a new deployment before its first sweep): computed now. */
        struct opindex_result r;
        if ((rc = opindex_compute(call->conn, region, call->now, call->req->arena, &r,
                                  &call->err)) < 0)
            return rc;
        struct jw t;
        jw_init(&t);
        jw_arr(&t);
        for (size_t i = 0; i < r.nparts; i++) {
            jw_obj(&t);
            jw_kstr(&t, "code", r.parts[i].code);
            jw_kstr(&t, "name", r.parts[i].name);
            jw_knum(&t, "weight", r.parts[i].weight);
            jw_knum(&t, "score", r.parts[i].score);
            jw_kint(&t, "recent", r.parts[i].recent);
            jw_knum(&t, "expected", r.parts[i].expected);
            jw_kint(&t, "open", r.parts[i].open);
            jw_kint(&t, "overdue", r.parts[i].overdue);
            jw_kint(&t, "warning_points", r.parts[i].warning_points);
            jw_kint(&t, "breached", r.parts[i].breached);
            jw_obj_end(&t);
        }
        jw_arr_end(&t);
        computed = arena_strdup(call->req->arena, t.b.p);
        jw_release(&t);
        latest = computed;
        score = r.score;
        at = call->now;
    }
    json_t *areas = NULL, *before = NULL;
    struct err ignore = ERR_INIT;
    json_parse(latest, strlen(latest), &areas, &ignore);
    if (prev)
        json_parse(prev, strlen(prev), &before, &ignore);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "region");
    jw_obj(&w);
    jw_kint(&w, "id", reg.id);
    jw_kstr(&w, "name", reg.name);
    jw_obj_end(&w);
    jw_knum(&w, "score", round(score * 10) / 10);
    jw_ktime(&w, "at", at);
    jw_key(&w, "areas");
    jw_raw(&w, latest);
    /* What moved it: the areas whose score changed by a point or more since the row before (or,
     * for the first row, that stand below 100), the largest change first. */
    jw_key(&w, "moved");
    jw_arr(&w);
    const json_t *order[OPINDEX_AREAS_MAX];
    const json_t *was[OPINDEX_AREAS_MAX];
    double delta[OPINDEX_AREAS_MAX];
    int k = 0;
    for (const json_t *a = json_array_first(areas); a && k < OPINDEX_AREAS_MAX; a = json_next(a)) {
        const json_t *b = NULL;
        for (const json_t *x = json_array_first(before); x; x = json_next(x))
            if (strcmp(json_get_str(x, "code") ? json_get_str(x, "code") : "",
                       json_get_str(a, "code") ? json_get_str(a, "code") : "") == 0)
                b = x;
        double d = json_get_num(a, "score", 100) - (b ? json_get_num(b, "score", 100) : 100);
        if (fabs(d) < 1)
            continue;
        order[k] = a;
        was[k] = b;
        delta[k++] = d;
    }
    for (int i = 0; i < k; i++) { /* a handful: insertion sort by |delta| */
        for (int j = i; j > 0 && fabs(delta[j]) > fabs(delta[j - 1]); j--) {
            double td = delta[j];
            delta[j] = delta[j - 1];
            delta[j - 1] = td;
            const json_t *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
            t = was[j];
            was[j] = was[j - 1];
            was[j - 1] = t;
        }
    }
    for (int i = 0; i < k; i++)
        moved_json(&w, order[i], was[i]);
    jw_arr_end(&w);
    jw_key(&w, "history");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        jw_ktime(&w, "at", h[i].at);
        jw_knum(&w, "score", round(h[i].score * 10) / 10);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    json_free(areas);
    json_free(before);
    return api_reply(call, 200, &w);
}

int api_opindex_compute(struct api_call *call)
{
    int kept = 0;
    int rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = opindex_refresh(call->conn, call->now, &kept, &call->err)) < 0)
        return rc;
    char after[32];
    snprintf(after, sizeof(after), "{\"kept\":%d}", kept);
    if ((rc = api_commit(call, "city_index.compute", "city-index", NULL, after)) < 0)
        return rc;
    return api_reply_count(call, "kept", kept);
}

static void opindex_areas_item(struct jw *w, const void *record)
{
    const struct opindex_area *x = record;
    jw_kstr(w, "code", x->code);
    jw_kstr(w, "name", x->name);
    jw_knum(w, "weight", x->weight);
    jw_kstr(w, "categories", x->categories);
    jw_kstr(w, "device_types", x->device_types);
}

int api_opindex_areas(struct api_call *call)
{
    struct opindex_area *v;
    size_t n;
    int rc = opindex_area_list(call->conn, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    return api_reply_items(call, v, n, sizeof(*v), opindex_areas_item);
}

int api_opindex_area_put(struct api_call *call)
{
    const json_t *b = call->body;
    struct opindex_area in = {0};
    int rc;
    if ((rc = json_check(b, area_fields, &call->err)) < 0)
        return rc;
    in.code = json_get_str(b, "code");
    in.weight = json_get_num(b, "weight", 0);
    in.categories = json_get_str(b, "categories");
    in.device_types = json_get_str(b, "device_types");
    if ((rc = api_begin(call)) < 0 ||
        (rc = opindex_area_set(call->conn, &in, call->now, &call->err)) < 0)
        return rc;
    char target[64];
    snprintf(target, sizeof(target), "city-index-area/%s", in.code);
    if ((rc = api_commit(call, "city_index.area", target, NULL, json_print(b, call->req->arena))) <
        0)
        return rc;
    return api_opindex_areas(call);
}
