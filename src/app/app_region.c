/*
 * Region files: a GeoJSON FeatureCollection of districts, streets, communities, grids and
 * micro-grids read into the region tree, all or nothing, with a report of how each touched
 * parent is tiled by its children; and the tree written back out in the same form.
 *
 * An import reads every feature first (syntax, properties), then writes level by level
 * (districts before streets before communities ...), so a file may name as parent a region it
 * defines itself, in any order. Every refused feature is collected with its number and field,
 * and the caller rolls back when there was any.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "json/json.h"
#include "org/org.h"
#include "store/store.h"

struct item {
    int64_t feature;
    const char *code, *name, *parent_code, *geometry;
    int level;
    int64_t id, parent_id; /* once written */
};

struct imp {
    struct store_conn *c;
    struct arena *a;
    int64_t now;
    struct app_region_report *rep;
    struct item *items;
    size_t n, cap;
};

static void problem(struct imp *im, int64_t feature, const char *code, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(struct imp *im, int64_t feature, const char *code, const char *field,
                    const char *fmt, ...)
{
    struct app_region_report *rep = im->rep;
    rep->problems_total++;
    if (rep->nproblems == APP_REGION_PROBLEMS_MAX)
        return;
    if (!rep->problems)
        rep->problems =
            arena_alloc(im->a, mem_size_mul(APP_REGION_PROBLEMS_MAX, sizeof(*rep->problems)));
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rep->problems[rep->nproblems++] = (struct app_region_problem){
        feature, arena_strdup(im->a, code ? code : ""), arena_strdup(im->a, field ? field : ""),
        arena_strdup(im->a, msg)};
}

/* A text property: absent or null is NULL, another type a problem (*ok = 0). */
static const char *prop_text(struct imp *im, const json_t *props, const char *name, int64_t feature,
                             int *ok)
{
    const json_t *v = json_get(props, name);
    if (!v)
        return NULL;
    const char *s = json_string(v);
    if (!s) {
        problem(im, feature, NULL, name, "properties.%s must be a string", name);
        *ok = 0;
        return NULL;
    }
    return arena_strdup(im->a, s);
}

static void feature(struct imp *im, const json_t *f, int64_t no)
{
    int ok = 1;
    if (!json_is_object(f) || !json_get_str(f, "type") ||
        strcmp(json_get_str(f, "type"), "Feature") != 0) {
        problem(im, no, NULL, "type", "feature %lld is not a GeoJSON Feature", (long long)no);
        return;
    }
    const json_t *props = json_get(f, "properties"), *geom = json_get(f, "geometry");
    if (!json_is_object(props)) {
        problem(im, no, NULL, "properties", "the feature has no properties");
        return;
    }
    const char *code = prop_text(im, props, "code", no, &ok);
    const char *name = prop_text(im, props, "name", no, &ok);
    const char *level = prop_text(im, props, "level", no, &ok);
    const char *parent = prop_text(im, props, "parent_code", no, &ok);
    if (!ok)
        return;
    int lv = org_region_level_from_name(level);
    if (!code || !*code) {
        problem(im, no, NULL, "code", "properties.code is required");
        return;
    }
    if (!lv) {
        problem(im, no, code, "level",
                "properties.level must be district, street, community, grid or micro");
        return;
    }
    if (!name || !*name) {
        problem(im, no, code, "name", "properties.name is required");
        return;
    }
    if (lv == ORG_REGION_DISTRICT ? parent && *parent : !parent || !*parent) {
        problem(im, no, code, "parent_code",
                lv == ORG_REGION_DISTRICT ? "a district has no parent_code"
                                          : "properties.parent_code is required");
        return;
    }
    if (geom && !json_is_object(geom)) {
        problem(im, no, code, "geometry", "geometry must be a GeoJSON geometry object or null");
        return;
    }
    if (im->n == im->cap) {
        im->cap = im->cap ? mem_size_mul(im->cap, 2) : 256;
        im->items = xrealloc(im->items, mem_size_mul(im->cap, sizeof(*im->items)));
    }
    im->items[im->n++] =
        (struct item){no, code, name, parent, geom ? json_print(geom, im->a) : NULL, lv, 0, 0};
}

static void read_geojson(struct imp *im, const char *data, size_t len)
{
    json_t *doc = NULL;
    struct err e = ERR_INIT;
    if (json_parse(data, len, &doc, &e) < 0) {
        problem(im, 0, NULL, "file", "not JSON: %s", e.msg);
        return;
    }
    const char *type = json_get_str(doc, "type");
    const json_t *features = json_get(doc, "features");
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
        problem(im, 0, NULL, "file", "the file must be a GeoJSON FeatureCollection");
        goto out;
    }
    int64_t no = 0;
    for (const json_t *f = json_array_first(features); f; f = json_next(f)) {
        if (++no > APP_REGION_ROWS_MAX) {
            problem(im, 0, NULL, "file", "a file holds at most %d features", APP_REGION_ROWS_MAX);
            break;
        }
        feature(im, f, no);
    }
    im->rep->features = no;
    if (no == 0)
        problem(im, 0, NULL, "file", "the file holds no features");
out:
    json_free(doc);
}

/* The org module's field, as the file names it. */
static const char *file_field(const char *field)
{
    if (!field || !*field)
        return "";
    if (strcmp(field, "boundary") == 0)
        return "geometry";
    if (strcmp(field, "parent_id") == 0)
        return "parent_code";
    return field;
}

static int write_item(struct imp *im, struct item *it, struct err *err)
{
    struct org_region cur, par;
    struct err e = ERR_INIT;
    int rc;

    if (it->parent_code) {
        rc = org_region_get_by_code(im->c, it->parent_code, im->a, &par, &e);
        if (rc == ERR_NOT_FOUND) {
            problem(im, it->feature, it->code, "parent_code",
                    "no region coded '%.40s', neither in the file nor in the system",
                    it->parent_code);
            return 0;
        }
        if (rc < 0) {
            *err = e;
            return rc;
        }
        it->parent_id = par.id;
    }
    struct org_region_in in = {it->code, it->name, (enum org_region_level)it->level, it->parent_id,
                               it->geometry};
    rc = org_region_get_by_code(im->c, it->code, im->a, &cur, &e);
    if (rc == 0) {
        if ((int)cur.level != it->level || cur.parent_id != it->parent_id) {
            problem(im, it->feature, it->code,
                    (int)cur.level != it->level ? "level" : "parent_code",
                    "region '%.40s' exists as a %s under another parent or level: a region "
                    "cannot be moved",
                    it->code, org_region_level_name(cur.level));
            return 0;
        }
        it->id = cur.id;
        rc = org_region_update(im->c, cur.id, &in, im->now, &e);
        if (rc == 0)
            im->rep->updated++;
    } else if (rc == ERR_NOT_FOUND) {
        e = (struct err)ERR_INIT;
        rc = org_region_create(im->c, &in, im->now, &it->id, &e);
        if (rc == 0)
            im->rep->created++;
    }
    if (rc == 0) {
        im->rep->levels[it->level]++;
        return 0;
    }
    if (rc != ERR_BAD_REQUEST && rc != ERR_CONFLICT) {
        *err = e;
        return rc;
    }
    problem(im, it->feature, it->code, file_field(e.field), "%s", e.msg);
    return 0;
}

static int by_code(const void *x, const void *y)
{
    const struct item *a = *(const struct item *const *)x, *b = *(const struct item *const *)y;
    int c = strcmp(a->code, b->code);
    return c ? c : (a->feature < b->feature ? -1 : a->feature > b->feature);
}

static int by_feature(const void *x, const void *y)
{
    const struct app_region_problem *a = x, *b = y;
    return a->feature < b->feature ? -1 : a->feature > b->feature;
}

static int by_id(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* ---------------------------------------------------------------- tiling */

struct tiling {
    struct imp *im;
    const struct org_region *parent;
    const struct org_region *kids;
};

static int on_issue(void *ctx, const struct geo_issue *is)
{
    struct tiling *t = ctx;
    struct app_region_report *rep = t->im->rep;
    static const char *const kinds[] = {"", "gap", "overlap", "outside"};
    const char *code = is->kind == GEO_GAP ? "" : t->kids[is->a].code;
    if (is->kind == GEO_OUTSIDE && is->disjoint) {
        problem(t->im, 0, code, "geometry", "%s '%.40s' lies wholly outside its parent '%.40s'",
                org_region_level_name(t->kids[is->a].level), code, t->parent->code);
        return 0;
    }
    /* Micro-grids (buildings, blocks) need not cover their grid: no gaps below a grid. */
    if (is->kind == GEO_GAP && t->parent->level == ORG_REGION_GRID)
        return 0;
    if (is->kind == GEO_GAP)
        rep->gaps++;
    else if (is->kind == GEO_OVERLAP)
        rep->overlaps++;
    else
        rep->outside++;
    if (rep->nissues == APP_REGION_ISSUES_MAX)
        return 0;
    if (!rep->issues)
        rep->issues =
            arena_alloc(t->im->a, mem_size_mul(APP_REGION_ISSUES_MAX, sizeof(*rep->issues)));
    rep->issues[rep->nissues++] =
        (struct app_region_issue){kinds[is->kind],
                                  t->parent->code,
                                  code,
                                  is->kind == GEO_OVERLAP ? t->kids[is->b].code : "",
                                  round(is->area_m2 * 10) / 10,
                                  is->lon,
                                  is->lat};
    return 0;
}

/* How the children of region 'id' tile it. */
static int check_parent(struct imp *im, int64_t id, struct err *err)
{
    struct org_region par, *kids;
    struct org_region_filter f = {.parent_id = id, .with_boundary = 1};
    size_t n;
    int rc;
    if ((rc = org_region_get(im->c, id, im->a, &par, err)) < 0 ||
        (rc = org_region_list(im->c, &f, im->a, &kids, &n, err)) < 0)
        return rc;
    if (n == 0)
        return 0;
    const char **texts = arena_alloc(im->a, mem_size_mul(n, sizeof(*texts)));
    for (size_t i = 0; i < n; i++)
        texts[i] = kids[i].boundary;
    struct tiling t = {im, &par, kids};
    struct err e = ERR_INIT;
    rc = geo_tiling(par.boundary, texts, n, APP_REGION_SLIVER_M2, on_issue, &t, &e);
    /* Stored boundaries were validated on write; one GEOS refuses now is left unchecked. */
    if (rc == ERR_BAD_REQUEST)
        return 0;
    if (rc < 0)
        *err = e;
    return rc;
}

int app_region_import(struct store_conn *c, const char *data, size_t len, int64_t now,
                      struct arena *a, struct app_region_report *rep, struct err *err)
{
    struct imp im = {c, a, now, rep, NULL, 0, 0};
    struct item **sorted = NULL;
    int64_t *parents = NULL;
    int rc = 0;

    memset(rep, 0, sizeof(*rep));
    read_geojson(&im, data, len);

    /* The same code twice in one file: the second would silently replace the first. */
    sorted = xmalloc(mem_size_mul(im.n ? im.n : 1, sizeof(*sorted)));
    for (size_t i = 0; i < im.n; i++)
        sorted[i] = &im.items[i];
    qsort(sorted, im.n, sizeof(*sorted), by_code);
    for (size_t i = 1; i < im.n; i++)
        if (strcmp(sorted[i]->code, sorted[i - 1]->code) == 0)
            problem(&im, sorted[i]->feature, sorted[i]->code, "code",
                    "code '%.40s' appears again (first in feature %lld)", sorted[i]->code,
                    (long long)sorted[i - 1]->feature);

    /* Parents first; written even after a problem, so that one import reports every bad
     * feature at once (the caller rolls all of it back). */
    for (int lv = ORG_REGION_DISTRICT; lv <= ORG_REGION_MICRO; lv++)
        for (size_t i = 0; i < im.n; i++)
            if (im.items[i].level == lv && (rc = write_item(&im, &im.items[i], err)) < 0)
                goto out;

    /* The tiling of every parent the file touched: each written region's parent, and each
     * written region that has children (also after a problem, so a child wholly outside its
     * parent is told in the same run). */
    {
        size_t np = 0;
        parents = xmalloc(mem_size_mul(im.n ? im.n : 1, 2 * sizeof(*parents)));
        for (size_t i = 0; i < im.n; i++) {
            if (!im.items[i].id)
                continue;
            if (im.items[i].parent_id)
                parents[np++] = im.items[i].parent_id;
            if (im.items[i].level < ORG_REGION_MICRO)
                parents[np++] = im.items[i].id;
        }
        qsort(parents, np, sizeof(*parents), by_id);
        for (size_t i = 0; i < np; i++)
            if ((i == 0 || parents[i] != parents[i - 1]) &&
                (rc = check_parent(&im, parents[i], err)) < 0)
                goto out;
    }
    if (rep->problems_total) {
        qsort(rep->problems, rep->nproblems, sizeof(*rep->problems), by_feature);
        rc = err_field(err, ERR_BAD_REQUEST, "file",
                       "%lld problems in the file: nothing was imported",
                       (long long)rep->problems_total);
    }
out:
    free(parents);
    free(sorted);
    free(im.items);
    return rc;
}

/* ---------------------------------------------------------------- export */

static int region_by_id(const void *x, const void *y)
{
    const struct org_region *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

int app_region_export(struct store_conn *c, const char *within_code, struct arena *a,
                      struct buf *out, struct err *err)
{
    struct org_region_filter f = {.with_boundary = 1};
    struct org_region *v, w;
    size_t n;
    int rc;
    if (within_code && *within_code) {
        if ((rc = org_region_get_by_code(c, within_code, a, &w, err)) < 0)
            return rc == ERR_NOT_FOUND ? err_field(err, ERR_NOT_FOUND, "within",
                                                   "no region coded '%.40s'", within_code)
                                       : rc;
        f.within_id = w.id;
    }
    if ((rc = org_region_list(c, &f, a, &v, &n, err)) < 0)
        return rc;
    /* Codes of the parents, by id, so each feature names its parent without a query. */
    struct org_region *all;
    size_t nall;
    struct org_region_filter fa = {0};
    if ((rc = org_region_list(c, &fa, a, &all, &nall, err)) < 0)
        return rc;
    qsort(all, nall, sizeof(*all), region_by_id);
    struct jw jw;
    jw_init(&jw);
    jw_obj(&jw);
    jw_kstr(&jw, "type", "FeatureCollection");
    jw_key(&jw, "features");
    jw_arr(&jw);
    /* Parents first: by level, then by code (the list's order). */
    for (int lv = ORG_REGION_DISTRICT; lv <= ORG_REGION_MICRO; lv++) {
        for (size_t i = 0; i < n; i++) {
            if ((int)v[i].level != lv)
                continue;
            struct org_region key = {.id = v[i].parent_id};
            const struct org_region *p =
                v[i].parent_id ? bsearch(&key, all, nall, sizeof(*all), region_by_id) : NULL;
            const char *parent = p ? p->code : NULL;
            jw_obj(&jw);
            jw_kstr(&jw, "type", "Feature");
            jw_key(&jw, "properties");
            jw_obj(&jw);
            jw_kstr(&jw, "code", v[i].code);
            jw_kstr(&jw, "name", v[i].name);
            jw_kstr(&jw, "level", org_region_level_name(v[i].level));
            if (parent)
                jw_kstr(&jw, "parent_code", parent);
            jw_obj_end(&jw);
            jw_key(&jw, "geometry");
            if (v[i].boundary)
                jw_raw(&jw, v[i].boundary);
            else
                jw_null(&jw);
            jw_obj_end(&jw);
        }
    }
    jw_arr_end(&jw);
    jw_obj_end(&jw);
    buf_append(out, jw.b.p, jw.b.len);
    jw_release(&jw);
    return 0;
}
