/*
 * Smart dispatch: the cost of a task for a worker, the ranking of the workers who may take a
 * task, and the batch assignment (min-cost flow by successive shortest paths).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "gridw/gridw.h"
#include "store/store.h"

int gridw_cost(const struct gridw_pool_worker *pw, const struct gridw_task *t,
               struct gridw_reason *why)
{
    struct gridw_reason r = {0};
    if (pw->load >= pw->max_load)
        return 0;
    if (pw->nskills && t->category_code) {
        for (size_t i = 0; i < pw->nskills && !r.skilled; i++)
            r.skilled =
                strncmp(t->category_code, pw->skill_codes[i], strlen(pw->skill_codes[i])) == 0;
        if (!r.skilled)
            return 0;
    }
    for (size_t i = 0; i < pw->ngrids && !r.own_grid; i++)
        r.own_grid = t->region_id &&
                     (pw->grid_ids[i] == t->region_id || pw->grid_ids[i] == t->region_parent_id);
    r.distance_m = gridw_distance_m(pw->lat, pw->lon, t->lat, t->lon) * GRIDW_DETOUR;
    r.travel_min = r.distance_m / GRIDW_SPEED_M_PER_MIN;
    r.position_known = pw->position_known;
    r.from_lat = pw->lat;
    r.from_lon = pw->lon;
    r.load = pw->load;
    r.max_load = pw->max_load;
    r.cost = r.travel_min + (double)pw->load * GRIDW_WAIT_PER_TASK_MIN +
             (r.own_grid ? 0 : GRIDW_OUTSIDE_GRID_MIN) + (r.skilled ? 0 : GRIDW_UNSKILLED_MIN);
    if (why)
        *why = r;
    return 1;
}

const char *gridw_reason_text(const struct gridw_reason *r, struct arena *a)
{
    char dist[48];
    if (r->distance_m < 1000)
        snprintf(dist, sizeof(dist), "%.0f米", r->distance_m);
    else
        snprintf(dist, sizeof(dist), "%.1f公里", r->distance_m / 1000);
    int minutes = (int)ceil(r->travel_min);
    return arena_printf(a, "%s约%s，预计%d分钟到达；%s；%s；在办%lld件（上限%d件）",
                        r->position_known ? "距最近定位" : "按所在网格中心估算，距离", dist,
                        minutes < 1 ? 1 : minutes, r->own_grid ? "本网格网格员" : "非本网格",
                        r->skilled ? "擅长该类事项" : "可办理各类事项", (long long)r->load,
                        r->max_load);
}

/* ---------------------------------------------------------------- the pool */

struct centre {
    int64_t id;
    double lat, lon;
    int ok;
};

struct centres {
    struct arena *a;
    struct centre *v;
    size_t n, cap;
};

static int read_centre(void *ctx, struct store_stmt *s)
{
    struct centres *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct centre *v = arena_alloc(c->a, mem_size_mul(cap, sizeof(*v)));
        if (c->n)
            memcpy(v, c->v, c->n * sizeof(*v));
        c->v = v;
        c->cap = cap;
    }
    struct centre *e = &c->v[c->n++];
    struct geo_box box;
    struct err ignored = ERR_INIT;
    e->id = store_col_int(s, 0);
    e->ok = !store_col_is_null(s, 1) &&
            geo_shape(store_col_text(s, 1), GEO_AREA, &box, &e->lon, &e->lat, &ignored) == 0;
    return 0;
}

static const struct centre *centre_of(const struct centres *c, int64_t id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->v[lo].id == id && c->v[lo].ok ? &c->v[lo] : NULL;
}

/* The active workers on duty at 'at', with their positions resolved; *considered counts every
 * active worker looked at. */
static int load_pool(struct store_conn *c, int64_t at, struct arena *a,
                     struct gridw_pool_worker **out, size_t *n, size_t *considered, struct err *err)
{
    struct gridw_filter f = {.active_only = 1};
    struct gridw_worker *w;
    size_t nw;
    int rc;
    if ((rc = gridw_worker_list(c, &f, a, &w, &nw, err)) < 0)
        return rc;
    struct centres cs = {.a = a};
    int64_t got = store_all(c,
                            "SELECT id, boundary FROM regions WHERE id IN"
                            " (SELECT region_id FROM grid_worker_grids) ORDER BY id",
                            STORE_NO_ARGS, read_centre, &cs, err);
    if (got < 0)
        return (int)got;
    struct gridw_pool_worker *pool = arena_alloc(a, mem_size_mul(nw ? nw : 1, sizeof(*pool)));
    size_t np = 0;
    for (size_t i = 0; i < nw; i++) {
        struct gridw_pool_worker *p = &pool[np];
        if (!gridw_on_duty(w[i].shifts, w[i].nshifts, at))
            continue;
        memset(p, 0, sizeof(*p));
        p->w = &w[i];
        p->load = w[i].load;
        p->max_load = w[i].max_load;
        if (w[i].has_fix && w[i].last_fix_at <= at + GRIDW_FIX_FUTURE_S &&
            at - w[i].last_fix_at <= GRIDW_FIX_FRESH_S) {
            p->lat = w[i].last_lat;
            p->lon = w[i].last_lon;
            p->position_known = 1;
        } else {
            const struct centre *ce = NULL;
            for (size_t g = 0; g < w[i].ngrids && !ce; g++)
                ce = centre_of(&cs, w[i].grids[g].id);
            if (!ce)
                continue; /* nowhere to start from */
            p->lat = ce->lat;
            p->lon = ce->lon;
        }
        int64_t *gids = arena_alloc(a, mem_size_mul(w[i].ngrids + 1, sizeof(*gids)));
        for (size_t g = 0; g < w[i].ngrids; g++)
            gids[g] = w[i].grids[g].id;
        p->grid_ids = gids;
        p->ngrids = w[i].ngrids;
        const char **codes = arena_alloc(a, mem_size_mul(w[i].nskills + 1, sizeof(*codes)));
        for (size_t k = 0; k < w[i].nskills; k++)
            codes[k] = w[i].skills[k].code;
        p->skill_codes = codes;
        p->nskills = w[i].nskills;
        np++;
    }
    *out = pool;
    *n = np;
    if (considered)
        *considered = nw;
    return 0;
}

struct task_info {
    int64_t parent;
    char *code;
};

static int resolve_task(struct store_conn *c, struct gridw_task *t, struct arena *a,
                        struct err *err)
{
    int rc;
    t->region_parent_id = 0;
    t->category_code = NULL;
    if (t->region_id &&
        (rc = store_one_i64(c, "SELECT coalesce(parent_id, 0) FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(t->region_id)), &t->region_parent_id, err)) < 0)
        return rc;
    if (t->category_id) {
        char *code = NULL;
        if ((rc = store_one_text(c, "SELECT code FROM categories WHERE id = ?",
                                 STORE_ARGS(store_i64(t->category_id)), a, &code, err)) < 0)
            return rc;
        t->category_code = code;
    }
    if (!isfinite(t->lat) || !isfinite(t->lon) || t->lat < -90 || t->lat > 90 || t->lon < -180 ||
        t->lon > 180)
        return err_field(err, ERR_BAD_REQUEST, "lat", "the task has no valid place");
    return 0;
}

static int cmp_candidate(const void *x, const void *y)
{
    const struct gridw_candidate *a = x, *b = y;
    if (a->why.cost != b->why.cost)
        return a->why.cost < b->why.cost ? -1 : 1;
    return a->worker->user_id < b->worker->user_id ? -1 : a->worker->user_id > b->worker->user_id;
}

int gridw_rank(struct store_conn *c, const struct gridw_task *task, int64_t at, size_t limit,
               struct arena *a, struct gridw_candidate **out, size_t *n, size_t *considered,
               struct err *err)
{
    struct gridw_pool_worker *pool;
    struct gridw_task t = *task;
    size_t np;
    int rc;
    if ((rc = resolve_task(c, &t, a, err)) < 0 ||
        (rc = load_pool(c, at, a, &pool, &np, considered, err)) < 0)
        return rc;
    struct gridw_candidate *v = arena_alloc(a, mem_size_mul(np ? np : 1, sizeof(*v)));
    size_t nv = 0;
    for (size_t i = 0; i < np; i++)
        if (gridw_cost(&pool[i], &t, &v[nv].why)) {
            v[nv].worker = pool[i].w;
            nv++;
        }
    qsort(v, nv, sizeof(*v), cmp_candidate);
    if (limit && nv > limit)
        nv = limit;
    for (size_t i = 0; i < nv; i++)
        v[i].why.text = gridw_reason_text(&v[i].why, a);
    *out = nv ? v : NULL;
    *n = nv;
    return 0;
}

/* ---------------------------------------------------------------- the batch */

struct cand {
    int w;
    double cost;
};

struct heap_item {
    double d;
    int node;
};

struct heap {
    struct heap_item *v;
    size_t n;
};

static void heap_push(struct heap *h, double d, int node)
{
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p].d <= d)
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = (struct heap_item){d, node};
}

static struct heap_item heap_pop(struct heap *h)
{
    struct heap_item top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        double dm = last.d;
        if (l < h->n && h->v[l].d < dm) {
            m = l;
            dm = h->v[l].d;
        }
        if (r < h->n && h->v[r].d < dm)
            m = r;
        if (m == i)
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* The worker lists of assigned tasks: a task is in at most one. */
struct lists {
    int **task; /* per worker */
    int *len, *cap;
    int *pos; /* per task: its index in its worker's list */
};

static void list_add(struct lists *l, int w, int t)
{
    if (l->len[w] == l->cap[w]) {
        l->cap[w] = l->cap[w] ? l->cap[w] * 2 : 4;
        l->task[w] = xrealloc(l->task[w], mem_size_mul((size_t)l->cap[w], sizeof(int)));
    }
    l->pos[t] = l->len[w];
    l->task[w][l->len[w]++] = t;
}

static void list_remove(struct lists *l, int w, int t)
{
    int i = l->pos[t], last = l->task[w][--l->len[w]];
    l->task[w][i] = last;
    l->pos[last] = i;
}

static double cand_cost(const struct cand *cs, int k, int w)
{
    for (int i = 0; i < k; i++)
        if (cs[i].w == w)
            return cs[i].cost;
    return DBL_MAX;
}

int gridw_batch_solve(const struct gridw_pool_worker *workers, size_t nworkers,
                      const struct gridw_task *tasks, size_t ntasks, int cap, int *assign,
                      double *cost, struct err *err)
{
    if (ntasks > 100000 || nworkers > 100000)
        return err_set(err, ERR_BAD_REQUEST, "a batch holds at most 100000 tasks and workers");
    const int T = (int)ntasks, W = (int)nworkers, K = GRIDW_BATCH_CANDIDATES;
    const int N = T + W + 1, S = T + W;
    struct cand *cands = xcalloc((size_t)T * K + 1, sizeof(*cands));
    int *ncand = xcalloc((size_t)T + 1, sizeof(int));
    int *capw = xcalloc((size_t)W + 1, sizeof(int));
    double *p = xcalloc((size_t)N, sizeof(double)), *d = xmalloc(mem_size_mul((size_t)N, 8));
    int *prev = xmalloc(mem_size_mul((size_t)N, sizeof(int)));
    unsigned char *done = xcalloc((size_t)N, 1);
    int *touched = xmalloc(mem_size_mul((size_t)N, sizeof(int)));
    struct heap h = {xmalloc(mem_size_mul((size_t)T * (K + 2) + (size_t)N + 4, sizeof(*h.v))), 0};
    struct lists l = {xcalloc((size_t)W + 1, sizeof(int *)), xcalloc((size_t)W + 1, sizeof(int)),
                      xcalloc((size_t)W + 1, sizeof(int)), xcalloc((size_t)T + 1, sizeof(int))};
    int placed = 0;

    for (int w = 0; w < W; w++) {
        int room = workers[w].max_load - (int)workers[w].load;
        capw[w] = room < 0 ? 0 : (cap > 0 && cap < room ? cap : room);
    }
    /* Each task's K cheapest workers, kept sorted by insertion. */
    for (int t = 0; t < T; t++) {
        struct cand *cs = &cands[(size_t)t * K];
        int k = 0;
        for (int w = 0; w < W; w++) {
            struct gridw_reason r;
            if (!capw[w] || !gridw_cost(&workers[w], &tasks[t], &r))
                continue;
            if (k == K && r.cost >= cs[K - 1].cost)
                continue;
            int i = k < K ? k++ : K - 1;
            while (i > 0 && cs[i - 1].cost > r.cost) {
                cs[i] = cs[i - 1];
                i--;
            }
            cs[i] = (struct cand){w, r.cost};
        }
        ncand[t] = k;
        assign[t] = -1;
        if (cost)
            cost[t] = 0;
    }
    for (int i = 0; i < N; i++)
        d[i] = DBL_MAX;
    for (int t = 0; t < T; t++) {
        int ntouched = 0;
        double D = DBL_MAX;
        h.n = 0;
        d[t] = 0;
        prev[t] = -1;
        touched[ntouched++] = t;
        heap_push(&h, 0, t);
        while (h.n) {
            struct heap_item it = heap_pop(&h);
            int u = it.node;
            if (done[u] || it.d > d[u])
                continue;
            done[u] = 1;
            if (u == S) {
                D = d[u];
                break;
            }
#define RELAX(v, c)                                                                                \
    do {                                                                                           \
        double nd_ = d[u] + (c) + p[u] - p[v];                                                     \
        if (nd_ < d[v]) {                                                                          \
            if (d[v] == DBL_MAX)                                                                   \
                touched[ntouched++] = (v);                                                         \
            d[v] = nd_;                                                                            \
            prev[v] = u;                                                                           \
            heap_push(&h, nd_, (v));                                                               \
        }                                                                                          \
    } while (0)
            if (u < T) {
                const struct cand *cs = &cands[(size_t)u * K];
                for (int i = 0; i < ncand[u]; i++)
                    if (cs[i].w != assign[u])
                        RELAX(T + cs[i].w, cs[i].cost);
            } else {
                int w = u - T;
                for (int i = 0; i < l.len[w]; i++) {
                    int t2 = l.task[w][i];
                    RELAX(t2, -cand_cost(&cands[(size_t)t2 * K], ncand[t2], w));
                }
                if (l.len[w] < capw[w])
                    RELAX(S, 0.0);
            }
#undef RELAX
        }
        if (D != DBL_MAX) {
            /* Potentials keep every reduced cost non-negative: p += min(d, D). */
            for (int v = 0; v < N; v++)
                p[v] += d[v] < D ? d[v] : D;
            for (int v = prev[S]; v >= T;) {
                int u = prev[v], w = v - T;
                if (assign[u] >= 0)
                    list_remove(&l, assign[u], u);
                assign[u] = w;
                list_add(&l, w, u);
                v = prev[u];
            }
            placed++;
        }
        /* No path: nothing changed, the potentials stay valid. */
        for (int i = 0; i < ntouched; i++) {
            d[touched[i]] = DBL_MAX;
            done[touched[i]] = 0;
        }
        done[S] = 0;
    }
    if (cost)
        for (int t = 0; t < T; t++)
            if (assign[t] >= 0)
                cost[t] = cand_cost(&cands[(size_t)t * K], ncand[t], assign[t]);
    for (int w = 0; w < W; w++)
        free(l.task[w]);
    free(l.task);
    free(l.len);
    free(l.cap);
    free(l.pos);
    free(h.v);
    free(touched);
    free(done);
    free(prev);
    free(d);
    free(p);
    free(capw);
    free(ncand);
    free(cands);
    return placed;
}

int gridw_batch(struct store_conn *c, const struct gridw_task *tasks, size_t ntasks, int64_t at,
                int cap, struct arena *a, struct gridw_pool_worker **pool, size_t *npool,
                int *assign, struct gridw_reason *why, struct err *err)
{
    struct gridw_task *t = arena_alloc(a, mem_size_mul(ntasks ? ntasks : 1, sizeof(*t)));
    int rc;
    for (size_t i = 0; i < ntasks; i++) {
        t[i] = tasks[i];
        if ((rc = resolve_task(c, &t[i], a, err)) < 0)
            return rc;
    }
    if ((rc = load_pool(c, at, a, pool, npool, NULL, err)) < 0)
        return rc;
    int placed = gridw_batch_solve(*pool, *npool, t, ntasks, cap, assign, NULL, err);
    if (placed < 0)
        return placed;
    for (size_t i = 0; i < ntasks; i++) {
        memset(&why[i], 0, sizeof(why[i]));
        if (assign[i] >= 0) {
            gridw_cost(&(*pool)[assign[i]], &t[i], &why[i]);
            why[i].text = gridw_reason_text(&why[i], a);
        }
    }
    return placed;
}
