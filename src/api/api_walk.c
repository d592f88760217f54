/*
 * The 15-minute service circle (15 分钟生活圈) over the address register's roads:
 *   GET /api/v1/service-circle?lat=&lon=[&minutes=15][&types=a,b][&area=0]
 *   GET /api/v1/service-circle?region=<community code>[&minutes=15]
 *   GET /api/v1/service-circle/gaps[?minutes=15][&min_share=0.5]
 * See src/walk/walk.h for the graph and docs/maps.md for the method.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/num.h"
#include "org/org.h"
#include "walk/walk.h"

#define MINUTES_DEFAULT 15
#define MINUTES_MAX 60

/* 'types=school,clinic' as a mask over walk_place_types; NULL mask for all. */
static int parse_types(struct api_call *call, unsigned char **mask)
{
    const char *v = http_req_query(call->req, "types");
    *mask = NULL;
    if (!v || !*v)
        return 0;
    unsigned char *m = arena_alloc(call->req->arena, walk_place_types_count);
    memset(m, 0, walk_place_types_count);
    const char *p = v;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *one = arena_strndup(call->req->arena, p, len);
        int k = walk_place_type_index(one);
        if (k < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, "types",
                             "query parameter 'types' names an unknown place type '%.40s'", one);
        m[k] = 1;
        p = end ? end + 1 : p + len;
    }
    *mask = m;
    return 0;
}

static void places_json(struct jw *w, const struct walk_circle *c)
{
    jw_key(w, "places");
    jw_arr(w);
    for (size_t i = 0; i < c->nplaces; i++) {
        const struct walk_place *p = &c->places[i];
        jw_obj(w);
        jw_kstr(w, "code", p->code);
        jw_kstr(w, "name", p->name);
        jw_kstr(w, "type", p->type);
        jw_kstr(w, "address", p->address);
        jw_knum(w, "lat", p->lat);
        jw_knum(w, "lon", p->lon);
        jw_knum(w, "distance_m", round(p->distance_m));
        jw_knum(w, "minutes", round(p->distance_m / WALK_M_PER_MIN * 10) / 10);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    /* Per type: how many, and the nearest; the types with none are what the circle lacks. */
    jw_key(w, "by_type");
    jw_arr(w);
    for (size_t t = 0; t < walk_place_types_count; t++) {
        size_t count = 0;
        double nearest = INFINITY;
        for (size_t i = 0; i < c->nplaces; i++)
            if (strcmp(c->places[i].type, walk_place_types[t]) == 0) {
                count++;
                nearest = fmin(nearest, c->places[i].distance_m);
            }
        jw_obj(w);
        jw_kstr(w, "type", walk_place_types[t]);
        jw_kint(w, "count", (int64_t)count);
        jw_knum(w, "nearest_m", isinf(nearest) ? NAN : round(nearest));
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void cover_json(struct jw *w, const struct walk_cover *c, double metres)
{
    jw_key(w, "coverage");
    jw_arr(w);
    for (size_t t = 0; t < walk_place_types_count; t++) {
        jw_obj(w);
        jw_kstr(w, "type", walk_place_types[t]);
        jw_kint(w, "points", (int64_t)c->points);
        jw_kint(w, "covered", (int64_t)c->covered[t]);
        jw_knum(w, "share", c->points ? (double)c->covered[t] / (double)c->points : NAN);
        jw_knum(w, "median_m", isinf(c->median_m[t]) ? NAN : round(c->median_m[t]));
        jw_kbool(w, "lacking", c->points && (double)c->covered[t] < 0.5 * (double)c->points);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    (void)metres;
}

/* A community the caller may see: admins all, others within their region. */
static int in_scope(const struct api_call *call, const char *code)
{
    const char *within = call->user->region_code;
    if ((call->user->roles & ROLE_ADMIN) || !within || !*within)
        return 1;
    /* Region codes nest by prefix: a street officer sees the communities of the street. */
    return strncmp(code, within, strlen(within)) == 0 || strncmp(within, code, strlen(code)) == 0;
}

int api_service_circle(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    struct app_walk *ref = NULL;
    const struct walk_graph *g;
    struct walk_circle circle;
    struct walk_cover cover;
    struct org_region region = {0};
    unsigned char *types;
    double minutes, lat = 0, lon = 0, with_area;
    const char *code = http_req_query(call->req, "region");
    int rc, have_circle = 1;

    if ((rc = api_query_double(call, "minutes", 1, MINUTES_MAX, 0, MINUTES_DEFAULT, &minutes)) <
            0 ||
        (rc = api_query_double(call, "area", 0, 1, 0, 1, &with_area)) < 0 ||
        (rc = parse_types(call, &types)) < 0)
        return rc;
    if (code && *code) {
        if ((rc = org_region_get_by_code(call->conn, code, call->req->arena, &region, &call->err)) <
            0)
            return rc == ERR_NOT_FOUND ? err_field(&call->err, ERR_NOT_FOUND, "region",
                                                   "no region has the code '%.40s'", code)
                                       : rc;
        if (region.level != ORG_REGION_COMMUNITY)
            return err_field(&call->err, ERR_BAD_REQUEST, "region",
                             "region '%.40s' is not a community", code);
        if (!in_scope(call, region.code))
            return err_deny(&call->err, ERR_REASON_SCOPE, "region '%.40s' is outside yours", code);
    } else if ((rc = api_query_double(call, "lat", -90, 90, 1, 0, &lat)) < 0 ||
               (rc = api_query_double(call, "lon", -180, 180, 1, 0, &lon)) < 0) {
        return rc;
    }
    double metres = minutes * WALK_M_PER_MIN;
    if ((rc = app_walk_acquire(&x, &ref, &g)) < 0)
        return rc;
    if (code && *code) {
        if ((rc = walk_coverage_of(g, region.id, metres, call->req->arena, &cover, &call->err)) <
            0) {
            if (rc == ERR_NOT_FOUND)
                rc = err_field(&call->err, ERR_NOT_FOUND, "region",
                               "community '%.40s' has no addresses in the register", code);
            goto out;
        }
        lat = cover.lat;
        lon = cover.lon;
        /* The community's centre may lie inside a block, off the roads: then the coverage
         * still answers, without a circle. */
        struct err ignored = ERR_INIT;
        if (walk_circle(g, lat, lon, metres, types, with_area > 0, call->req->arena, &circle,
                        &ignored) < 0)
            have_circle = 0;
    } else if ((rc = walk_circle(g, lat, lon, metres, types, with_area > 0, call->req->arena,
                                 &circle, &call->err)) < 0) {
        goto out;
    }

    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_knum(&w, "minutes", minutes);
    jw_knum(&w, "metres", round(metres));
    jw_key(&w, "origin");
    jw_obj(&w);
    jw_knum(&w, "lat", lat);
    jw_knum(&w, "lon", lon);
    jw_knum(&w, "snap_m", have_circle ? round(circle.snap_m) : NAN);
    jw_obj_end(&w);
    if (code && *code) {
        jw_key(&w, "region");
        jw_obj(&w);
        jw_kstr(&w, "code", region.code);
        jw_kstr(&w, "name", region.name);
        jw_obj_end(&w);
        cover_json(&w, &cover, metres);
    }
    if (have_circle) {
        jw_key(&w, "area");
        if (circle.area)
            jw_raw(&w, circle.area);
        else
            jw_null(&w);
        places_json(&w, &circle);
    } else {
        jw_knull(&w, "area");
    }
    jw_obj_end(&w);
    rc = api_reply(call, 200, &w);
out:
    app_walk_release(call->api->app, ref);
    return rc;
}

struct gap {
    const struct walk_cover *c;
    size_t type;
    double share;
};

static int by_share(const void *a, const void *b)
{
    const struct gap *x = a, *y = b;
    if (x->share != y->share)
        return x->share < y->share ? -1 : 1;
    int c = strcmp(x->c->code, y->c->code);
    return c ? c : (x->type > y->type) - (x->type < y->type);
}

int api_service_gaps(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    struct app_walk *ref = NULL;
    const struct walk_graph *g;
    struct walk_cover *covers;
    size_t n;
    double minutes, min_share;
    int rc;
    if ((rc = api_query_double(call, "minutes", 1, MINUTES_MAX, 0, MINUTES_DEFAULT, &minutes)) <
            0 ||
        (rc = api_query_double(call, "min_share", 0, 1, 0, 0.5, &min_share)) < 0 ||
        (rc = app_walk_acquire(&x, &ref, &g)) < 0)
        return rc;
    double metres = minutes * WALK_M_PER_MIN;
    if ((rc = walk_coverage(g, metres, call->req->arena, &covers, &n, &call->err)) < 0)
        goto out;
    struct gap *gaps =
        arena_alloc(call->req->arena, (n * walk_place_types_count + 1) * sizeof(*gaps));
    size_t ng = 0, communities = 0;
    for (size_t i = 0; i < n; i++) {
        if (!covers[i].points || !in_scope(call, covers[i].code))
            continue;
        communities++;
        for (size_t t = 0; t < walk_place_types_count; t++) {
            /* 'other' places are not a service anyone lacks. */
            if (strcmp(walk_place_types[t], "other") == 0)
                continue;
            double share = (double)covers[i].covered[t] / (double)covers[i].points;
            if (share < min_share)
                gaps[ng++] = (struct gap){&covers[i], t, share};
        }
    }
    qsort(gaps, ng, sizeof(*gaps), by_share);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_knum(&w, "minutes", minutes);
    jw_knum(&w, "metres", round(metres));
    jw_knum(&w, "min_share", min_share);
    jw_kint(&w, "communities", (int64_t)communities);
    jw_key(&w, "rows");
    jw_arr(&w);
    for (size_t i = 0; i < ng; i++) {
        const struct walk_cover *c = gaps[i].c;
        size_t t = gaps[i].type;
        jw_obj(&w);
        jw_kstr(&w, "region_code", c->code);
        jw_kstr(&w, "region_name", c->name);
        jw_kstr(&w, "type", walk_place_types[t]);
        jw_kint(&w, "points", (int64_t)c->points);
        jw_kint(&w, "covered", (int64_t)c->covered[t]);
        jw_knum(&w, "share", gaps[i].share);
        jw_knum(&w, "median_m", isinf(c->median_m[t]) ? NAN : round(c->median_m[t]));
        jw_knum(&w, "lat", c->lat);
        jw_knum(&w, "lon", c->lon);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    rc = api_reply(call, 200, &w);
out:
    app_walk_release(call->api->app, ref);
    return rc;
}
