/*
 * The geocoding index (docs/maps.md, "Geocoding"): the register's address points and places
 * in memory, read-only once built.
 *
 * - keys: every normalised key of every entry (a point's address, its compound + building +
 *   unit; a place's name), sorted bytewise, so the keys starting with some text are one
 *   range found by binary search (autocomplete, and the matching below);
 * - roads: per road, its points ordered by house number (the "nearest numbers" of a miss);
 * - cells: a grid of ~200 m buckets over the points, for reverse geocoding.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "geocode/geocode.h"
#include "store/store.h"

struct grid {
    int64_t id;
    const char *code, *name;
};

struct entry {
    const char *address, *name;
    int64_t id, region_id;
    const char *grid_code, *grid_name;
    double lat, lon;
    int32_t road; /* index into roads, -1 */
    int32_t num;  /* house number, -1 */
    int place;
};

struct key {
    const char *key;
    uint32_t len;   /* bytes */
    uint32_t chars; /* code points */
    uint32_t entry;
};

struct road {
    int64_t id;
    const char *key;
    uint32_t *pts; /* entries, by house number */
    size_t n, cap;
};

struct geocode_index {
    struct arena mem; /* every string of the index */
    int64_t version;
    struct grid *grids;
    size_t ngrids;
    struct entry *e;
    size_t ne, cape;
    struct key *k;
    size_t nk, capk;
    struct road *roads;
    size_t nroads, caproads;
    /* reverse geocoding: points bucketed by cell, CSR layout */
    double lon0, lat0, cell;
    size_t w, h;
    uint32_t *cell_start; /* w*h + 1 */
    uint32_t *cell_items;
};

#define CELL_DEG 0.002
#define PREFIX_TAKE 64   /* keys of a prefix range scored by the search */
#define SUGGEST_TAKE 256 /* keys of a prefix range ordered for autocomplete */

static size_t cp_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The house number of a normalised house_no: the number before the first 号 (88号 -> 88,
 * 12弄3号 -> 3, 88-1号 -> 88), -1 if none. */
static int32_t house_number(const char *k)
{
    const char *hao = strstr(k, "号");
    if (!hao)
        return -1;
    const char *s = hao;
    while (s > k && (is_digit(s[-1]) || s[-1] == '-'))
        s--;
    while (s < hao && !is_digit(*s))
        s++;
    if (s == hao)
        return -1;
    long v = 0;
    for (; s < hao && is_digit(*s) && v < 1000000; s++)
        v = v * 10 + (*s - '0');
    return (int32_t)v;
}

/* Equirectangular distance in metres: exact enough within a district. */
static double dist_m(double lat1, double lon1, double lat2, double lon2)
{
    double dy = (lat2 - lat1) * 110574.0;
    double dx = (lon2 - lon1) * 111320.0 * cos((lat1 + lat2) * 0.5 * M_PI / 180.0);
    return sqrt(dx * dx + dy * dy);
}

/* ---------------------------------------------------------------------------------------- */
/* Loading */

static int read_version(void *ctx, struct store_stmt *row)
{
    *(int64_t *)ctx = store_col_int(row, 0);
    return 0;
}

int geocode_version_read(struct store_conn *c, int64_t *version, struct err *err)
{
    *version = 0;
    int rc = store_one(c, "SELECT version FROM addr_version WHERE id = 1", STORE_NO_ARGS,
                       read_version, version, err);
    return rc < 0 ? rc : 0;
}

static int read_grid(void *ctx, struct store_stmt *row)
{
    struct geocode_index *ix = ctx;
    ix->grids = xrealloc(ix->grids, (ix->ngrids + 1) * sizeof(*ix->grids));
    struct grid *g = &ix->grids[ix->ngrids++];
    g->id = store_col_int(row, 0);
    g->code = arena_strdup(&ix->mem, store_col_text(row, 1));
    g->name = arena_strdup(&ix->mem, store_col_text(row, 2));
    return 0;
}

static int read_road(void *ctx, struct store_stmt *row)
{
    struct geocode_index *ix = ctx;
    if (ix->nroads == ix->caproads) {
        ix->caproads = ix->caproads ? ix->caproads * 2 : 64;
        ix->roads = xrealloc(ix->roads, mem_size_mul(ix->caproads, sizeof(*ix->roads)));
    }
    struct road *r = &ix->roads[ix->nroads++];
    memset(r, 0, sizeof(*r));
    r->id = store_col_int(row, 0);
    r->key = geocode_norm(&ix->mem, store_col_text(row, 1));
    return 0;
}

static const struct grid *grid_of(const struct geocode_index *ix, int64_t id)
{
    size_t lo = 0, hi = ix->ngrids;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->grids[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->ngrids && ix->grids[lo].id == id ? &ix->grids[lo] : NULL;
}

static int32_t road_of(const struct geocode_index *ix, int64_t id)
{
    size_t lo = 0, hi = ix->nroads;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->roads[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->nroads && ix->roads[lo].id == id ? (int32_t)lo : -1;
}

static void add_key(struct geocode_index *ix, const char *key, uint32_t entry)
{
    if (!*key)
        return;
    if (ix->nk == ix->capk) {
        ix->capk = ix->capk ? ix->capk * 2 : 1024;
        ix->k = xrealloc(ix->k, mem_size_mul(ix->capk, sizeof(*ix->k)));
    }
    size_t len = strlen(key);
    ix->k[ix->nk++] = (struct key){key, (uint32_t)len, (uint32_t)cp_count(key, len), entry};
}

static struct entry *new_entry(struct geocode_index *ix, struct store_stmt *row, int64_t region)
{
    if (ix->ne == ix->cape) {
        ix->cape = ix->cape ? ix->cape * 2 : 1024;
        ix->e = xrealloc(ix->e, mem_size_mul(ix->cape, sizeof(*ix->e)));
    }
    struct entry *e = &ix->e[ix->ne++];
    memset(e, 0, sizeof(*e));
    e->id = store_col_int(row, 0);
    e->region_id = region;
    const struct grid *g = region ? grid_of(ix, region) : NULL;
    e->grid_code = g ? g->code : "";
    e->grid_name = g ? g->name : "";
    e->road = -1;
    e->num = -1;
    return e;
}

static int read_point(void *ctx, struct store_stmt *row)
{
    struct geocode_index *ix = ctx;
    struct entry *e = new_entry(ix, row, store_col_int(row, 10));
    uint32_t at = (uint32_t)(ix->ne - 1);
    e->address = arena_strdup(&ix->mem, store_col_text(row, 6));
    e->name = "";
    e->lat = store_col_real(row, 8);
    e->lon = store_col_real(row, 9);
    int64_t road = store_col_int(row, 1);
    e->road = road ? road_of(ix, road) : -1;
    e->num = house_number(geocode_norm(&ix->mem, store_col_text(row, 2)));
    /* The stored key is what the register's writer computed with geocode_norm; a row written
     * without one is keyed here. */
    const char *norm = store_col_text(row, 7);
    const char *key = *norm ? arena_strdup(&ix->mem, norm) : geocode_norm(&ix->mem, e->address);
    add_key(ix, key, at);
    const char *compound = store_col_text(row, 3);
    if (*compound) {
        const char *ck =
            geocode_norm(&ix->mem, arena_printf(&ix->mem, "%s%s%s", compound,
                                                store_col_text(row, 4), store_col_text(row, 5)));
        if (strcmp(ck, key) != 0)
            add_key(ix, ck, at);
    }
    if (e->road >= 0) {
        struct road *r = &ix->roads[e->road];
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->pts = xrealloc(r->pts, mem_size_mul(r->cap, sizeof(*r->pts)));
        }
        r->pts[r->n++] = at;
    }
    return 0;
}

static int read_place(void *ctx, struct store_stmt *row)
{
    struct geocode_index *ix = ctx;
    struct entry *e = new_entry(ix, row, store_col_int(row, 5));
    e->place = 1;
    e->name = arena_strdup(&ix->mem, store_col_text(row, 1));
    e->address = arena_strdup(&ix->mem, store_col_text(row, 2));
    e->lat = store_col_real(row, 3);
    e->lon = store_col_real(row, 4);
    add_key(ix, geocode_norm(&ix->mem, e->name), (uint32_t)(ix->ne - 1));
    return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* qsort takes no context: the index being sorted or searched, per thread */
static _Thread_local const struct geocode_index *sort_ix;

static int road_pt_cmp(const void *pa, const void *pb)
{
    const struct entry *a = &sort_ix->e[*(const uint32_t *)pa];
    const struct entry *b = &sort_ix->e[*(const uint32_t *)pb];
    if (a->num != b->num)
        return a->num < b->num ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static void build_cells(struct geocode_index *ix)
{
    double minlon = 1e9, minlat = 1e9, maxlon = -1e9, maxlat = -1e9;
    size_t npts = 0;
    for (size_t i = 0; i < ix->ne; i++) {
        if (ix->e[i].place)
            continue;
        npts++;
        minlon = fmin(minlon, ix->e[i].lon);
        maxlon = fmax(maxlon, ix->e[i].lon);
        minlat = fmin(minlat, ix->e[i].lat);
        maxlat = fmax(maxlat, ix->e[i].lat);
    }
    if (!npts) {
        ix->w = ix->h = 0;
        return;
    }
    ix->cell = CELL_DEG;
    for (;;) {
        ix->w = (size_t)((maxlon - minlon) / ix->cell) + 1;
        ix->h = (size_t)((maxlat - minlat) / ix->cell) + 1;
        if (ix->w * ix->h <= (size_t)1 << 22)
            break;
        ix->cell *= 2;
    }
    ix->lon0 = minlon;
    ix->lat0 = minlat;
    size_t ncell = ix->w * ix->h;
    ix->cell_start = xcalloc(ncell + 1, sizeof(uint32_t));
    ix->cell_items = xmalloc(mem_size_mul(npts, sizeof(uint32_t)));
    size_t *cellof = xmalloc(mem_size_mul(ix->ne, sizeof(size_t)));
    for (size_t i = 0; i < ix->ne; i++) {
        if (ix->e[i].place)
            continue;
        size_t cx = (size_t)((ix->e[i].lon - minlon) / ix->cell);
        size_t cy = (size_t)((ix->e[i].lat - minlat) / ix->cell);
        cellof[i] = cy * ix->w + cx;
        ix->cell_start[cellof[i] + 1]++;
    }
    for (size_t c = 0; c < ncell; c++)
        ix->cell_start[c + 1] += ix->cell_start[c];
    uint32_t *fill = xmalloc(mem_size_mul(ncell, sizeof(uint32_t)));
    memcpy(fill, ix->cell_start, ncell * sizeof(uint32_t));
    for (size_t i = 0; i < ix->ne; i++)
        if (!ix->e[i].place)
            ix->cell_items[fill[cellof[i]]++] = (uint32_t)i;
    free(fill);
    free(cellof);
}

int geocode_index_load(struct store_conn *c, struct geocode_index **out, struct err *err)
{
    struct geocode_index *ix = xcalloc(1, sizeof(*ix));
    arena_init(&ix->mem, 1 << 20);
    int64_t rc;
    if ((rc = geocode_version_read(c, &ix->version, err)) < 0 ||
        (rc = store_all(c, "SELECT id, code, name FROM regions ORDER BY id", STORE_NO_ARGS,
                        read_grid, ix, err)) < 0 ||
        (rc = store_all(c, "SELECT id, name FROM addr_roads ORDER BY id", STORE_NO_ARGS, read_road,
                        ix, err)) < 0 ||
        (rc = store_all(c,
                        "SELECT id, coalesce(road_id, 0), house_no, compound, building, unit,"
                        " address, norm, lat, lon, coalesce(region_id, 0)"
                        " FROM addr_points ORDER BY id",
                        STORE_NO_ARGS, read_point, ix, err)) < 0 ||
        (rc = store_all(c,
                        "SELECT id, name, address, lat, lon, coalesce(region_id, 0)"
                        " FROM addr_places ORDER BY id",
                        STORE_NO_ARGS, read_place, ix, err)) < 0) {
        geocode_index_free(ix);
        return (int)rc;
    }
    if (ix->nk)
        qsort(ix->k, ix->nk, sizeof(*ix->k), key_cmp);
    sort_ix = ix;
    for (size_t r = 0; r < ix->nroads; r++)
        if (ix->roads[r].n)
            qsort(ix->roads[r].pts, ix->roads[r].n, sizeof(uint32_t), road_pt_cmp);
    sort_ix = NULL;
    build_cells(ix);
    *out = ix;
    return 0;
}

void geocode_index_free(struct geocode_index *ix)
{
    if (!ix)
        return;
    for (size_t r = 0; r < ix->nroads; r++)
        free(ix->roads[r].pts);
    free(ix->roads);
    free(ix->grids);
    free(ix->e);
    free(ix->k);
    free(ix->cell_start);
    free(ix->cell_items);
    arena_release(&ix->mem);
    free(ix);
}

int64_t geocode_index_version(const struct geocode_index *ix)
{
    return ix->version;
}

size_t geocode_index_size(const struct geocode_index *ix)
{
    return ix->ne;
}

/* ---------------------------------------------------------------------------------------- */
/* Matching */

const char *geocode_match_name(enum geocode_match m)
{
    static const char *const names[] = {"exact", "contains", "prefix", "nearby", "partial"};
    return (size_t)m < sizeof(names) / sizeof(names[0]) ? names[m] : "partial";
}

const char *geocode_status_name(enum geocode_status s)
{
    static const char *const names[] = {"found", "ambiguous", "none"};
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "none";
}

/* Narrow [*lo, *hi) (keys sorted bytewise) to the keys starting with p[0..n). */
static void narrow(const struct geocode_index *ix, const char *p, size_t n, size_t *lo, size_t *hi)
{
    size_t a = *lo, b = *hi;
    while (a < b) { /* first key >= p */
        size_t m = a + (b - a) / 2;
        const struct key *k = &ix->k[m];
        size_t c = k->len < n ? k->len : n;
        int r = memcmp(k->key, p, c);
        if (r < 0 || (r == 0 && k->len < n))
            a = m + 1;
        else
            b = m;
    }
    size_t first = a;
    b = *hi;
    while (a < b) { /* first key not starting with p */
        size_t m = a + (b - a) / 2;
        const struct key *k = &ix->k[m];
        if (k->len >= n && memcmp(k->key, p, n) == 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = first;
    *hi = a;
}

struct cand {
    uint32_t entry;
    uint32_t key_chars;
    double score;
    enum geocode_match match;
};

struct cands {
    struct cand *v;
    size_t n, cap;
    struct arena *a;
};

static void cand_add(struct cands *cs, uint32_t entry, uint32_t key_chars, double score,
                     enum geocode_match m)
{
    for (size_t i = 0; i < cs->n; i++)
        if (cs->v[i].entry == entry) {
            if (score > cs->v[i].score)
                cs->v[i] = (struct cand){entry, key_chars, score, m};
            return;
        }
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 32;
        struct cand *v = arena_alloc(cs->a, mem_size_mul(cap, sizeof(*v)));
        if (cs->n)
            memcpy(v, cs->v, cs->n * sizeof(*v));
        cs->v = v;
        cs->cap = cap;
    }
    cs->v[cs->n++] = (struct cand){entry, key_chars, score, m};
}

static int cand_cmp(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    const struct entry *ea = &sort_ix->e[a->entry], *eb = &sort_ix->e[b->entry];
    if (a->key_chars != b->key_chars)
        return a->key_chars < b->key_chars ? -1 : 1;
    int c = strcmp(ea->address, eb->address);
    if (c)
        return c;
    return ea->id < eb->id ? -1 : ea->id > eb->id;
}

static void to_hit(const struct geocode_index *ix, const struct cand *c, struct arena *a,
                   struct geocode_hit *h)
{
    const struct entry *e = &ix->e[c->entry];
    h->kind = e->place ? "place" : "point";
    h->id = e->id;
    h->address = arena_strdup(a, *e->address || !e->place ? e->address : e->name);
    h->name = arena_strdup(a, e->name);
    h->lat = e->lat;
    h->lon = e->lon;
    h->region_id = e->region_id;
    h->grid_code = arena_strdup(a, e->grid_code);
    h->grid_name = arena_strdup(a, e->grid_name);
    h->score = round(c->score * 100.0) / 100.0;
    h->match = c->match;
    h->distance_m = 0;
}

/* The keys that q[i..j) equals, at code-point boundaries, and (i = 0) those it starts:
 * exact, contains and prefix candidates; also the longest run of q any key starts with. */
static void match_keys(const struct geocode_index *ix, const char *q, size_t qlen, size_t qchars,
                       struct cands *cs, size_t *best_i, size_t *best_len, size_t *best_lo)
{
    *best_len = 0;
    for (size_t i = 0; i < qlen; i++) {
        if (((unsigned char)q[i] & 0xC0) == 0x80)
            continue;
        /* a key starting inside a number would cut it (锦绣路188号 holds no 88号) */
        if (i > 0 && is_digit(q[i - 1]) && is_digit(q[i]))
            continue;
        size_t lo = 0, hi = ix->nk, pchars = 0;
        for (size_t j = i + 1; j <= qlen; j++) {
            if (j < qlen && ((unsigned char)q[j] & 0xC0) == 0x80)
                continue;
            narrow(ix, q + i, j - i, &lo, &hi);
            if (lo >= hi)
                break;
            pchars++;
            if (j - i > *best_len) {
                *best_len = j - i;
                *best_i = i;
                *best_lo = lo;
            }
            if (ix->k[lo].len != j - i || pchars < 2)
                continue;
            if (j < qlen && is_digit(q[j - 1]) && is_digit(q[j]))
                continue;
            double score =
                i == 0 && j == qlen ? 1.0 : 1.0 - 0.5 * (double)(qchars - pchars) / qchars;
            enum geocode_match m = i == 0 && j == qlen ? GEOCODE_EXACT : GEOCODE_CONTAINS;
            for (size_t k = lo; k < hi && ix->k[k].len == j - i; k++)
                cand_add(cs, ix->k[k].entry, ix->k[k].chars, score, m);
        }
        if (i == 0 && lo < hi && pchars == qchars) {
            /* the query is the start of these keys */
            size_t taken = 0;
            for (size_t k = lo; k < hi && taken < PREFIX_TAKE; k++) {
                if (ix->k[k].len == qlen)
                    continue;
                taken++;
                double kc = ix->k[k].chars;
                double score = 0.95 - 0.3 * (kc - (double)qchars) / kc;
                if (is_digit(q[qlen - 1]) && is_digit(ix->k[k].key[qlen]))
                    score = fmin(score, 0.5); /* 锦绣路8 is not 锦绣路88号 */
                cand_add(cs, ix->k[k].entry, ix->k[k].chars, score, GEOCODE_PREFIX);
            }
        }
    }
}

/* A road named in q and the house number after it: that road's points nearest the number. */
static void match_road(const struct geocode_index *ix, const char *q, size_t limit,
                       struct cands *cs)
{
    const struct road *best = NULL;
    const char *at = NULL;
    size_t best_len = 0;
    for (size_t r = 0; r < ix->nroads; r++) {
        size_t len = strlen(ix->roads[r].key);
        if (len <= best_len || !ix->roads[r].n)
            continue;
        const char *p = strstr(q, ix->roads[r].key);
        if (p) {
            best = &ix->roads[r];
            best_len = len;
            at = p + len;
        }
    }
    if (!best)
        return;
    long num = -1;
    if (is_digit(*at)) {
        num = 0;
        for (; is_digit(*at) && num < 1000000; at++)
            num = num * 10 + (*at - '0');
    }
    /* the points nearest the number: a window around its place in the ordered list */
    size_t lo = 0, hi = best->n;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (ix->e[best->pts[m]].num < num)
            lo = m + 1;
        else
            hi = m;
    }
    size_t left = lo, right = lo, taken = 0;
    while (taken < limit && (left > 0 || right < best->n)) {
        size_t pick;
        if (left == 0)
            pick = right++;
        else if (right >= best->n)
            pick = --left;
        else {
            long dl = num - ix->e[best->pts[left - 1]].num;
            long dr = ix->e[best->pts[right]].num - num;
            pick = dl <= dr ? --left : right++;
        }
        const struct entry *e = &ix->e[best->pts[pick]];
        double d = num < 0 || e->num < 0 ? 20.0 : fabs((double)(e->num - num));
        cand_add(cs, best->pts[pick], 0, 0.5 / (1.0 + d / 10.0), GEOCODE_NEARBY);
        taken++;
    }
}

static enum geocode_status judge(const struct geocode_index *ix, const struct cands *cs)
{
    if (!cs->n || cs->v[0].score < GEOCODE_MATCH_SCORE)
        return GEOCODE_NONE;
    const struct entry *b = &ix->e[cs->v[0].entry];
    for (size_t i = 1; i < cs->n; i++) {
        if (cs->v[i].score < GEOCODE_MATCH_SCORE ||
            cs->v[i].score < cs->v[0].score - GEOCODE_AMBIGUOUS_GAP)
            break;
        const struct entry *e = &ix->e[cs->v[i].entry];
        if (dist_m(b->lat, b->lon, e->lat, e->lon) > GEOCODE_SAME_PLACE_M)
            return GEOCODE_AMBIGUOUS;
    }
    return GEOCODE_FOUND;
}

static void finish(const struct geocode_index *ix, struct cands *cs, size_t limit, struct arena *a,
                   struct geocode_hit **items, size_t *n)
{
    if (cs->n > limit)
        cs->n = limit;
    *items = arena_alloc(a, mem_size_mul(cs->n + 1, sizeof(**items)));
    for (size_t i = 0; i < cs->n; i++)
        to_hit(ix, &cs->v[i], a, &(*items)[i]);
    *n = cs->n;
}

static void search(const struct geocode_index *ix, const char *nq, size_t limit, struct arena *a,
                   struct cands *cs)
{
    size_t qlen = strlen(nq), qchars = cp_count(nq, qlen);
    if (!qlen || !ix->nk)
        return;
    size_t bi = 0, blen = 0, blo = 0;
    match_keys(ix, nq, qlen, qchars, cs, &bi, &blen, &blo);
    int matched = 0;
    for (size_t i = 0; i < cs->n; i++)
        if (cs->v[i].score >= GEOCODE_MATCH_SCORE)
            matched = 1;
    if (!matched)
        match_road(ix, nq, limit, cs);
    if (!cs->n && blen > 0 && cp_count(nq + bi, blen) >= 2) {
        /* only a part of the query is the start of some keys: those, as the nearest */
        double score = 0.5 * (double)cp_count(nq + bi, blen) / qchars;
        size_t lo = blo, hi = ix->nk;
        narrow(ix, nq + bi, blen, &lo, &hi);
        for (size_t k = lo; k < hi && cs->n < limit; k++)
            cand_add(cs, ix->k[k].entry, ix->k[k].chars, score, GEOCODE_PARTIAL);
    }
    (void)a;
    sort_ix = ix;
    if (cs->n > 1)
        qsort(cs->v, cs->n, sizeof(*cs->v), cand_cmp);
}

void geocode_search(const struct geocode_index *ix, const char *q, size_t limit, struct arena *a,
                    struct geocode_hit **items, size_t *n, enum geocode_status *status)
{
    struct cands cs = {.a = a};
    search(ix, geocode_norm(a, q), limit, a, &cs);
    *status = judge(ix, &cs);
    finish(ix, &cs, limit, a, items, n);
}

/* Compare with digit runs as numbers: 锦绣路2号 before 锦绣路10号. */
static int nat_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (is_digit(*a) && is_digit(*b)) {
            const char *sa = a, *sb = b;
            while (*sa == '0')
                sa++;
            while (*sb == '0')
                sb++;
            const char *ea = sa, *eb = sb;
            while (is_digit(*ea))
                ea++;
            while (is_digit(*eb))
                eb++;
            if (ea - sa != eb - sb)
                return ea - sa < eb - sb ? -1 : 1;
            int c = memcmp(sa, sb, (size_t)(ea - sa));
            if (c)
                return c;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int suggest_cmp(const void *pa, const void *pb)
{
    const struct key *a = *(const struct key *const *)pa, *b = *(const struct key *const *)pb;
    if (a->chars != b->chars)
        return a->chars < b->chars ? -1 : 1;
    int c = nat_cmp(a->key, b->key);
    if (c)
        return c;
    return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* Is the last character of 's' a Chinese numeral (一..九, 十, 百, 千, 零, 〇, 两)? */
static int ends_with_numeral(const char *s)
{
    static const char *const nums[] = {"零", "〇", "一", "二", "两", "三", "四", "五",
                                       "六", "七", "八", "九", "十", "百", "千"};
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (n >= 3 && memcmp(s + n - 3, nums[i], 3) == 0)
            return 1;
    return 0;
}

void geocode_suggest(const struct geocode_index *ix, const char *q, size_t limit, struct arena *a,
                     struct geocode_hit **items, size_t *n)
{
    const char *nq = geocode_norm(a, q);
    /* 锦绣路八十 is typed on the way to 锦绣路八十八号: read the numerals as a number */
    if (ends_with_numeral(q)) {
        char *k = (char *)geocode_norm(a, arena_printf(a, "%s号", q));
        size_t kl = strlen(k);
        if (kl >= 3 && strcmp(k + kl - 3, "号") == 0) {
            k[kl - 3] = '\0';
            nq = k;
        }
    }
    size_t qlen = strlen(nq), qchars = cp_count(nq, qlen);
    struct cands cs = {.a = a};
    size_t lo = 0, hi = ix->nk;
    if (qlen)
        narrow(ix, nq, qlen, &lo, &hi);
    if (qlen && lo < hi) {
        size_t take = hi - lo < SUGGEST_TAKE ? hi - lo : SUGGEST_TAKE;
        const struct key **v = arena_alloc(a, mem_size_mul(take, sizeof(*v)));
        for (size_t i = 0; i < take; i++)
            v[i] = &ix->k[lo + i];
        qsort(v, take, sizeof(*v), suggest_cmp);
        for (size_t i = 0; i < take && cs.n < limit; i++) {
            double kc = v[i]->chars;
            double score = v[i]->len == qlen ? 1.0 : 0.95 - 0.3 * (kc - (double)qchars) / kc;
            cand_add(&cs, v[i]->entry, v[i]->chars, score,
                     v[i]->len == qlen ? GEOCODE_EXACT : GEOCODE_PREFIX);
        }
        /* keep the typed order (shortest, lowest numbers first), not the scores' */
        finish(ix, &cs, limit, a, items, n);
        return;
    }
    search(ix, nq, limit, a, &cs);
    finish(ix, &cs, limit, a, items, n);
}

int geocode_reverse(const struct geocode_index *ix, double lat, double lon, struct arena *a,
                    struct geocode_hit *out)
{
    if (!ix->w || !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
        return 0;
    double fx = (lon - ix->lon0) / ix->cell, fy = (lat - ix->lat0) / ix->cell;
    long cx = (long)floor(fx), cy = (long)floor(fy);
    double cell_m =
        ix->cell * fmin(110574.0, 111320.0 * cos(lat * M_PI / 180.0)); /* shorter side */
    if (cell_m < 1.0)
        cell_m = 1.0;
    long max_ring = (long)(GEOCODE_REVERSE_MAX_M / cell_m) + 2;
    double best = GEOCODE_REVERSE_MAX_M;
    long found = -1;
    for (long r = 0; r <= max_ring; r++) {
        /* every cell of ring r is at least (r - 1) cells away */
        if (found >= 0 && (double)(r - 1) * cell_m > best)
            break;
        for (long y = cy - r; y <= cy + r; y++) {
            if (y < 0 || y >= (long)ix->h)
                continue;
            for (long x = cx - r; x <= cx + r; x++) {
                if (x < 0 || x >= (long)ix->w)
                    continue;
                if (y != cy - r && y != cy + r && x != cx - r && x != cx + r)
                    continue; /* inside the ring: done before */
                size_t c = (size_t)y * ix->w + (size_t)x;
                for (uint32_t k = ix->cell_start[c]; k < ix->cell_start[c + 1]; k++) {
                    const struct entry *e = &ix->e[ix->cell_items[k]];
                    double d = dist_m(lat, lon, e->lat, e->lon);
                    if (d <= best) {
                        if (d == best && found >= 0 && ix->e[found].id < e->id)
                            continue;
                        best = d;
                        found = (long)ix->cell_items[k];
                    }
                }
            }
        }
    }
    if (found < 0)
        return 0;
    struct cand c = {(uint32_t)found, 0, 1.0, GEOCODE_EXACT};
    to_hit(ix, &c, a, out);
    out->distance_m = round(best * 10.0) / 10.0;
    /* How surely the point is at that address: 1 on the door, half at GEOCODE_REVERSE_HALF_M
     * (a building's depth or a courtyard away), falling towards 0 further out. */
    out->score = round(100.0 / (1.0 + best / GEOCODE_REVERSE_HALF_M)) / 100.0;
    return 1;
}
