/*
 * warn_spike_scan: hourly counts of cases per region × category from the cases table, the
 * seasonal weights from all of them pooled, and warn_test on every series busy enough to alarm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"
#include "warn/warn.h"

struct cell {
    const char *region; /* arena */
    int64_t category;
    int64_t bin;
    int64_t n;
};

typedef VEC(struct cell) cell_vec;

typedef VEC(const char *) name_vec;

struct rows {
    struct arena *a;
    cell_vec v;
    const char *last_region; /* rows come sorted: consecutive rows share the string */
    name_vec regions;        /* every region seen, once: cells of all slices share the string */
};

static const char *intern(struct rows *r, const char *code)
{
    for (size_t i = 0; i < r->regions.n; i++)
        if (strcmp(r->regions.v[i], code) == 0)
            return r->regions.v[i];
    const char *s = arena_strdup(r->a, code);
    vec_append(&r->regions, s);
    return s;
}

static int read_cell(void *ctx, struct store_stmt *row)
{
    struct rows *r = ctx;
    const char *rc = store_col_text(row, 0);
    struct cell *c = vec_push(&r->v);
    if (!r->last_region || strcmp(r->last_region, rc) != 0)
        r->last_region = intern(r, rc);
    c->region = r->last_region;
    c->category = store_col_int(row, 1);
    c->bin = store_col_int(row, 2);
    c->n = store_col_int(row, 3);
    return 0;
}

/* The order of the grouped query (region, category, hour): slices read one after the other are
 * put back in it. */
static int by_series(const void *pa, const void *pb)
{
    const struct cell *a = pa, *b = pb;
    int c = strcmp(a->region, b->region);
    if (c)
        return c;
    if (a->category != b->category)
        return a->category < b->category ? -1 : 1;
    return a->bin < b->bin ? -1 : a->bin > b->bin;
}

static int by_significance(const void *pa, const void *pb)
{
    const struct warn_alarm *a = pa, *b = pb;
    if (a->p_value != b->p_value)
        return a->p_value < b->p_value ? -1 : 1;
    if (a->observed != b->observed)
        return a->observed > b->observed ? -1 : 1;
    int c = strcmp(a->region_code, b->region_code);
    if (c)
        return c;
    return a->category_id < b->category_id ? -1 : a->category_id > b->category_id;
}

/* The name of one region or category ("" when there is no row). */
static int name_of(struct store_conn *c, const char *sql, struct store_arg key, struct arena *a,
                   const char **out, struct err *err)
{
    char *name = NULL;
    int rc = store_one_text(c, sql, STORE_ARGS(key), a, &name, err);
    *out = name ? name : "";
    return rc < 0 ? rc : 0;
}

/* Local (Beijing) hour of the week of 't', 0 = Monday 00:00. 1970-01-01 was a Thursday. */
static int hour_of_week(int64_t t)
{
    int64_t h = (t + WARN_TZ_OFFSET_S) / 3600;
    if (t + WARN_TZ_OFFSET_S < 0 && (t + WARN_TZ_OFFSET_S) % 3600)
        h--;
    int64_t how = (h + 72) % 168;
    return (int)(how < 0 ? how + 168 : how);
}

int warn_spike_scan(struct store_conn *c, const struct warn_scan_opts *o, struct arena *a,
                    struct warn_alarm **out, size_t *nout, struct err *err)
{
    int window_h = o->window_hours ? o->window_hours : WARN_WINDOW_HOURS;
    int guard_h = o->guard_hours < 0 ? 0 : o->guard_hours ? o->guard_hours : WARN_GUARD_HOURS;
    int base_d = o->baseline_days ? o->baseline_days : WARN_BASELINE_DAYS;
    int level = o->region_level ? (int)o->region_level : WARN_STREET;
    int top = o->category_level == WARN_TOP_CATEGORY;
    struct warn_params p = {(size_t)window_h, (size_t)guard_h, (size_t)base_d * 24,
                            o->alpha > 0 ? o->alpha : WARN_ALPHA,
                            o->min_count > 0 ? o->min_count : WARN_MIN_COUNT};
    *out = NULL;
    *nout = 0;
    if (o->now <= 0)
        return err_field(err, ERR_BAD_REQUEST, "now", "the scan needs the time it ends at");
    if (window_h < 1 || window_h > WARN_WINDOW_HOURS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "window_hours", "window of %d hours: 1 to %d",
                         window_h, WARN_WINDOW_HOURS_MAX);
    if (guard_h > WARN_WINDOW_HOURS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "guard_hours", "guard of %d hours: 0 to %d", guard_h,
                         WARN_WINDOW_HOURS_MAX);
    if (base_d < 1 || base_d > WARN_BASELINE_DAYS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "baseline_days", "baseline of %d days: 1 to %d",
                         base_d, WARN_BASELINE_DAYS_MAX);
    if (!(p.alpha < 0.5))
        return err_field(err, ERR_BAD_REQUEST, "alpha", "alpha %g is not below 0.5", p.alpha);
    if (level != WARN_STREET && level != WARN_COMMUNITY)
        return err_field(err, ERR_BAD_REQUEST, "region_level",
                         "level %d: street (9) or "
                         "community (12)",
                         level);
    if (o->category_level != WARN_TOP_CATEGORY && o->category_level != WARN_LEAF_CATEGORY)
        return err_field(err, ERR_BAD_REQUEST, "category_level", "category level %d: 0 or 1",
                         (int)o->category_level);

    size_t nbins = p.window + p.guard + p.baseline;
    int64_t start = o->now - (int64_t)nbins * 3600;
    /* The level and category expression come from the enums above, never from input. */
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT substr(c.region_code, 1, %d), %s, (c.created_at - ?) / 3600, count(*)"
             " FROM cases c JOIN categories k ON k.id = c.category_id"
             " LEFT JOIN categories p ON p.id = k.parent_id"
             " LEFT JOIN categories g ON g.id = p.parent_id"
             " WHERE c.created_at >= ? AND c.created_at < ?"
             " AND c.state NOT IN ('cancelled', 'merged') AND length(c.region_code) >= %d"
             " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
             " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
             level, top ? "coalesce(g.id, p.id, k.id)" : "k.id", level);
    struct store_arg within = o->within ? store_text(o->within) : store_null();
    struct rows r = {a, VEC_IN(a), NULL, VEC_IN(a)};
    int64_t slice = o->slice_hours > 0 ? (int64_t)o->slice_hours * 3600 : o->now - start;
    for (int64_t from = start; from < o->now; from += slice) {
        int64_t to = from + slice < o->now ? from + slice : o->now;
        if (from > start && o->between)
            o->between(o->between_ctx);
        r.last_region = NULL;
        int64_t rc = store_all(
            c, sql,
            STORE_ARGS(store_i64(start), store_i64(from), store_i64(to), within, within, within),
            read_cell, &r, err);
        if (rc < 0)
            return (int)rc;
    }
    if (o->slice_hours > 0 && r.v.n > 1)
        qsort(r.v.v, r.v.n, sizeof(*r.v.v), by_series);

    double *pooled = xcalloc(nbins, sizeof(double));
    double *w = xcalloc(nbins, sizeof(double));
    double *series = xcalloc(nbins, sizeof(double));
    VEC(struct warn_alarm) alarms = VEC_IN(a);
    int ret = 0;
    for (size_t i = 0; i < r.v.n; i++)
        if (r.v.v[i].bin >= 0 && (size_t)r.v.v[i].bin < nbins)
            pooled[r.v.v[i].bin] += (double)r.v.v[i].n;
    ret = warn_season(pooled, p.baseline, nbins, 1, hour_of_week(start), w, err);
    if (ret < 0)
        goto out;
    const char *words = warn_window_words(window_h, a);
    for (size_t i = 0; i < r.v.n;) {
        size_t j = i;
        int64_t in_window = 0;
        while (j < r.v.n && r.v.v[j].region == r.v.v[i].region &&
               r.v.v[j].category == r.v.v[i].category) {
            if (r.v.v[j].bin >= (int64_t)(nbins - p.window))
                in_window += r.v.v[j].n;
            j++;
        }
        if (in_window >= p.min_count) {
            struct warn_result res;
            memset(series, 0, nbins * sizeof(double));
            for (size_t k = i; k < j; k++)
                if (r.v.v[k].bin >= 0 && (size_t)r.v.v[k].bin < nbins)
                    series[r.v.v[k].bin] += (double)r.v.v[k].n;
            ret = warn_test(series, w, nbins, &p, &res, err);
            if (ret < 0)
                goto out;
            if (res.alarm) {
                struct warn_alarm *al = vec_push(&alarms);
                al->region_code = r.v.v[i].region;
                al->category_id = r.v.v[i].category;
                al->window_start = o->now - (int64_t)p.window * 3600;
                al->window_end = o->now;
                al->observed = res.observed;
                al->expected = res.expected;
                al->baseline_cases = res.baseline;
                al->dispersion = res.dispersion;
                al->p_value = res.p_value;
                al->threshold = res.threshold;
            }
        }
        i = j;
    }
    for (size_t i = 0; i < alarms.n; i++) {
        struct warn_alarm *al = &alarms.v[i];
        ret = name_of(c, "SELECT name FROM regions WHERE code = ?", store_text(al->region_code), a,
                      &al->region_name, err);
        if (ret == 0)
            ret = name_of(c, "SELECT name FROM categories WHERE id = ?", store_i64(al->category_id),
                          a, &al->category_name, err);
        if (ret < 0)
            goto out;
        al->explanation =
            arena_printf(a, "%s %s %s内 %lld 件，同期预期 %.1f 件",
                         al->region_name[0] ? al->region_name : "未知区域", al->category_name,
                         words, (long long)al->observed, al->expected);
    }
    if (alarms.n > 1)
        qsort(alarms.v, alarms.n, sizeof(*alarms.v), by_significance);
    *out = alarms.v;
    *nout = alarms.n;
out:
    free(pooled);
    free(w);
    free(series);
    return ret;
}
