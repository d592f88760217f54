/*
 * Benchmark: geocoding, autocomplete and reverse geocoding (src/geocode) on a register of
 * ADDRESSES address points. Without --db it writes a synthetic register into a fresh SQLite
 * file first: roads with Chinese names and house numbers along them, compounds with buildings
 * and units, and one place per hundred points; with --db it reads the register there.
 *
 * Prints the index's size and build time, then per call (each timed alone by this thread's CPU
 * clock) p50/p90/p99/max of: autocomplete per keystroke (every prefix of random addresses, as
 * typed, code point by code point), geocoding of full addresses as written, of the same
 * addresses written otherwise (city and district prefixes, full-width digits, Chinese
 * numerals), of misses (a number the road lacks), and reverse geocoding of random points.
 *
 *   build/bench_geocode [--db FILE [--write]] [--addresses 100000] [--queries 2000]
 *
 * --write: write the synthetic register into FILE (a gridloop database, e.g. a demo) and stop,
 * for measuring the HTTP side on it (bench/geocode_http.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "geocode/geocode.h"
#include "store/store.h"

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, uint64_t *v, size_t n)
{
    if (!n)
        return;
    qsort(v, n, sizeof(*v), cmp_u64);
    printf("%-34s n=%-6zu p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %7.1f us\n", what, n,
           (double)v[n / 2] / 1e3, (double)v[n * 9 / 10] / 1e3, (double)v[n * 99 / 100] / 1e3,
           (double)v[n - 1] / 1e3);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const SYL[] = {
    "锦", "绣", "明", "湖", "柳", "湾", "青", "石", "竹", "韵", "南", "塘", "白", "鹭", "松", "岭",
    "翠", "微", "金", "沙", "银", "杏", "桂", "香", "梅", "园", "春", "晓", "秋", "实", "新", "华",
    "安", "康", "泰", "和", "兴", "隆", "文", "昌", "云", "溪", "凤", "凰", "龙", "井", "天", "目"};
static const char *const ROADKIND[] = {"路", "街", "大道", "巷"};
static const char *const CNUM[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};

static char *syllables(int n)
{
    char buf[64] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const char *s = SYL[rnd() % (sizeof(SYL) / sizeof(SYL[0]))];
        memcpy(buf + len, s, strlen(s));
        len += strlen(s);
    }
    buf[len] = '\0';
    return xstrdup(buf);
}

struct gen {
    struct store_conn *c;
    struct arena a;
    struct err e;
    int64_t next_point;
};

static int run(struct gen *g, const char *sql, struct store_args args)
{
    if (store_run(g->c, sql, args, &g->e) < 0) {
        fprintf(stderr, "bench_geocode: %s\n", g->e.msg);
        return -1;
    }
    return 0;
}

static int point(struct gen *g, int64_t road, const char *house, const char *compound,
                 const char *building, const char *unit, const char *address, double lat,
                 double lon)
{
    int64_t id = ++g->next_point;
    char code[32];
    snprintf(code, sizeof code, "BENCH-P%lld", (long long)id);
    return run(g,
               "INSERT INTO addr_points(id, code, road_id, house_no, compound, building, unit,"
               " address, norm, lat, lon, created_at, updated_at)"
               " VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
               STORE_ARGS(store_i64(id), store_text(code), store_i64(road), store_text(house),
                          store_text(compound), store_text(building), store_text(unit),
                          store_text(address), store_text(geocode_norm(&g->a, address)),
                          store_real(lat), store_real(lon)));
}

/* Roads of 40-200 numbers, every fifth number a compound of buildings and units, until
 * 'want' points; places of interest at one in a hundred. Over about 10 km x 10 km. */
static int generate(struct store_conn *c, size_t want)
{
    size_t want0 = want;
    struct gen g = {.c = c, .e = ERR_INIT};
    arena_init(&g.a, 1 << 16);
    if (store_begin(c, &g.e) < 0)
        return -1;
    /* after what the database holds already (a demo register) */
    int64_t road0 = 0, place0 = 0;
    if (store_one_i64(c, "SELECT coalesce(max(id), 0) FROM addr_points", STORE_NO_ARGS,
                      &g.next_point, &g.e) < 0 ||
        store_one_i64(c, "SELECT coalesce(max(id), 0) FROM addr_roads", STORE_NO_ARGS, &road0,
                      &g.e) < 0 ||
        store_one_i64(c, "SELECT coalesce(max(id), 0) FROM addr_places", STORE_NO_ARGS, &place0,
                      &g.e) < 0)
        return -1;
    want += (size_t)g.next_point;
    const char *line = "{\"type\":\"LineString\",\"coordinates\":[[120,30],[120.01,30]]}";
    int64_t road = road0;
    size_t places = 0;
    while ((size_t)g.next_point < want) {
        road++;
        char *name;
        char *stem = syllables(2 + (int)(rnd() % 2));
        name = xstrdup(arena_printf(&g.a, "%s%s", stem, ROADKIND[rnd() % 4]));
        free(stem);
        char code[32];
        snprintf(code, sizeof code, "BENCH-R%lld", (long long)road);
        if (run(&g,
                "INSERT INTO addr_roads(id, code, name, kind, geometry, min_lon, min_lat, max_lon,"
                " max_lat, created_at, updated_at) VALUES (?, ?, ?, 'branch', ?, 120, 30, 120.1, 30.1,"
                " 0, 0)",
                STORE_ARGS(store_i64(road), store_text(code), store_text(name), store_text(line))) <
            0)
            return -1;
        double lat0 = 30.0 + (double)(rnd() % 90000) / 1e6,
               lon0 = 120.0 + (double)(rnd() % 90000) / 1e6;
        int horizontal = (int)(rnd() % 2), n = 40 + (int)(rnd() % 160);
        for (int k = 1; k <= n && (size_t)g.next_point < want; k++) {
            double lat = lat0 + (horizontal ? (k % 2) * 0.0002 : k * 0.0001);
            double lon = lon0 + (horizontal ? k * 0.0001 : (k % 2) * 0.0002);
            char house[16];
            snprintf(house, sizeof house, "%d号", k);
            char *addr = arena_printf(&g.a, "%s%s", name, house);
            if (point(&g, road, house, "", "", "", addr, lat, lon) < 0)
                return -1;
            if (k % 5 == 0) {
                char *cstem = syllables(2);
                char *compound = arena_printf(&g.a, "%s%s", cstem, rnd() % 2 ? "花园" : "小区");
                free(cstem);
                int buildings = 2 + (int)(rnd() % 8);
                for (int b = 1; b <= buildings && (size_t)g.next_point < want; b++)
                    for (int u = 1; u <= 3 && (size_t)g.next_point < want; u++) {
                        char bl[16], un[16];
                        snprintf(bl, sizeof bl, "%d幢", b);
                        snprintf(un, sizeof un, "%d单元", u);
                        char *a2 = arena_printf(&g.a, "%s%s%s%s%s", name, house, compound, bl, un);
                        if (point(&g, road, house, compound, bl, un, a2, lat + b * 0.0003,
                                  lon + u * 0.00005) < 0)
                            return -1;
                    }
            }
            if (((size_t)g.next_point - (want - want0)) / 100 > places) {
                places++;
                char *pstem = syllables(2);
                char *pname = arena_printf(&g.a, "%s%s", pstem,
                                           (const char *[]){"小学", "医院", "菜市场", "公园",
                                                            "社区服务中心", "药店"}[rnd() % 6]);
                free(pstem);
                char pcode[32];
                snprintf(pcode, sizeof pcode, "BENCH-S%zu", places);
                if (run(&g,
                        "INSERT INTO addr_places(id, code, name, type, address, lat, lon, created_at,"
                        " updated_at) VALUES (?, ?, ?, 'other', ?, ?, ?, 0, 0)",
                        STORE_ARGS(store_i64(place0 + (int64_t)places), store_text(pcode),
                                   store_text(pname), store_text(addr), store_real(lat),
                                   store_real(lon))) < 0)
                    return -1;
            }
            arena_release(&g.a);
            arena_init(&g.a, 1 << 16);
        }
        free(name);
    }
    run(&g, "UPDATE addr_version SET version = version + 1 WHERE id = 1", STORE_NO_ARGS);
    int rc = store_commit(c, &g.e);
    arena_release(&g.a);
    return rc;
}

struct addrs {
    char **v;
    size_t n, cap;
};

static int addr_row(void *ctx, struct store_stmt *row)
{
    struct addrs *a = ctx;
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 1024;
        a->v = xrealloc(a->v, a->cap * sizeof(char *));
    }
    a->v[a->n++] = xstrdup(store_col_text(row, 0));
    return 0;
}

/* The same address as an operator may write it: a city and district before it, full-width
 * digits, or the house number in Chinese numerals. */
static char *otherwise(const char *addr, int how, struct arena *a)
{
    if (how == 0)
        return arena_printf(a, "杭州市西湖区%s", addr);
    struct buf_s {
        char p[512];
        size_t n;
    } b = {.n = 0};
    for (const char *s = addr; *s && b.n < sizeof b.p - 8; s++) {
        if (*s >= '0' && *s <= '9') {
            if (how == 1) { /* full-width digit: U+FF10 + d */
                b.p[b.n++] = (char)0xEF;
                b.p[b.n++] = (char)0xBC;
                b.p[b.n++] = (char)(0x90 + (*s - '0'));
            } else {
                memcpy(b.p + b.n, CNUM[*s - '0'], 3);
                b.n += 3;
            }
        } else {
            b.p[b.n++] = *s;
        }
    }
    b.p[b.n] = '\0';
    return arena_strdup(a, b.p);
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    size_t want = 100000, queries = 2000;
    int write_only = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--write") == 0)
            write_only = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--write") == 0)
            i--;
        else if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--addresses") == 0)
            want = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--queries") == 0)
            queries = strtoul(argv[i + 1], NULL, 10);
    }
    log_set_level(LOG_WARN);
    char tmp[] = "/tmp/bench-geocode-XXXXXX";
    char path[600];
    if (!db) {
        if (!mkdtemp(tmp))
            return 1;
        snprintf(path, sizeof path, "%s/register.db", tmp);
        db = path;
    }
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    struct store_options o = {.path = db};
    if (store_open(&st, &o, &e) < 0 || store_conn(st, &c, &e) < 0) {
        fprintf(stderr, "bench_geocode: %s\n", e.msg);
        return 1;
    }
    if (db == path || write_only) {
        uint64_t t0 = wall_ns();
        if (generate(c, want) < 0)
            return 1;
        printf("register written: %zu address points in %.1f s\n", want,
               (double)(wall_ns() - t0) / 1e9);
        if (write_only) {
            store_close(st);
            return 0;
        }
    }
    uint64_t t0 = wall_ns(), c0 = cpu_ns();
    struct geocode_index *ix;
    if (geocode_index_load(c, &ix, &e) < 0) {
        fprintf(stderr, "bench_geocode: %s\n", e.msg);
        return 1;
    }
    printf("index: %zu points and places, built in %.0f ms (%.0f ms of CPU)\n",
           geocode_index_size(ix), (double)(wall_ns() - t0) / 1e6, (double)(cpu_ns() - c0) / 1e6);
    struct addrs ad = {0};
    if (store_all(c, "SELECT address FROM addr_points ORDER BY id", STORE_NO_ARGS, addr_row, &ad,
                  &e) < 0 ||
        !ad.n) {
        fprintf(stderr, "bench_geocode: no address points\n");
        return 1;
    }
    struct arena a;
    arena_init(&a, 1 << 16);
    uint64_t *ks = xmalloc(queries * 64 * sizeof(uint64_t));
    uint64_t *full = xmalloc(queries * sizeof(uint64_t));
    uint64_t *other = xmalloc(queries * sizeof(uint64_t));
    uint64_t *miss = xmalloc(queries * sizeof(uint64_t));
    uint64_t *rev = xmalloc(queries * sizeof(uint64_t));
    size_t nks = 0, nfull = 0, nother = 0, nmiss = 0, nrev = 0, found = 0, found_other = 0;
    struct geocode_hit *h, one;
    size_t n;
    enum geocode_status status;
    for (size_t q = 0; q < queries; q++) {
        const char *addr = ad.v[rnd() % ad.n];
        /* autocomplete: every prefix as typed, code point by code point */
        for (size_t i = 1; addr[i - 1] && nks < queries * 64; i++) {
            if (((unsigned char)addr[i] & 0xC0) == 0x80)
                continue;
            char *pre = arena_strndup(&a, addr, i);
            uint64_t s = cpu_ns();
            geocode_suggest(ix, pre, 10, &a, &h, &n);
            ks[nks++] = cpu_ns() - s;
        }
        uint64_t s = cpu_ns();
        geocode_search(ix, addr, 5, &a, &h, &n, &status);
        full[nfull++] = cpu_ns() - s;
        found += status == GEOCODE_FOUND && strcmp(h[0].address, addr) == 0;
        if (getenv("BENCH_DEBUG") && !(status == GEOCODE_FOUND && strcmp(h[0].address, addr) == 0))
            printf("miss: %s -> %s %s (%zu) %.2f\n", addr, geocode_status_name(status),
                   n ? h[0].address : "-", n, n ? h[0].score : 0.0);
        char *alt = otherwise(addr, (int)(q % 3), &a);
        s = cpu_ns();
        geocode_search(ix, alt, 5, &a, &h, &n, &status);
        other[nother++] = cpu_ns() - s;
        found_other += status == GEOCODE_FOUND && strcmp(h[0].address, addr) == 0;
        /* a miss: the road of a house-number address with a number it does not have */
        const char *hao = strstr(addr, "号");
        if (hao) {
            char *m = arena_printf(&a, "%.*s9999号", (int)(hao - addr) - 1, addr);
            s = cpu_ns();
            geocode_search(ix, m, 5, &a, &h, &n, &status);
            miss[nmiss++] = cpu_ns() - s;
        }
        double lat = 30.0 + (double)(rnd() % 100000) / 1e6,
               lon = 120.0 + (double)(rnd() % 100000) / 1e6;
        s = cpu_ns();
        geocode_reverse(ix, lat, lon, &a, &one);
        rev[nrev++] = cpu_ns() - s;
        arena_release(&a);
        arena_init(&a, 1 << 16);
    }
    report("autocomplete, per keystroke", ks, nks);
    report("geocode, address as written", full, nfull);
    report("geocode, written otherwise", other, nother);
    report("geocode, miss (nearest numbers)", miss, nmiss);
    report("reverse geocode", rev, nrev);
    printf("found as written: %zu of %zu; written otherwise: %zu of %zu\n", found, nfull,
           found_other, nother);
    geocode_index_free(ix);
    store_close(st);
    if (db == path) {
        remove(path);
        char side[700];
        snprintf(side, sizeof side, "%s-wal", path);
        remove(side);
        snprintf(side, sizeof side, "%s-shm", path);
        remove(side);
        rmdir(tmp);
    }
    return 0;
}
