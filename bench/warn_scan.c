/*
 * Time warn_spike_scan over a database made by `gridloop init --db DB --demo`, after adding
 * CASES cases over the DAYS days ending now (leaf categories and grids of the demo in skewed
 * proportions, more on weekdays and in office hours, and one planted surge: 40 cases of one
 * category in one grid in the last 24 hours). Figures: docs/warning.md.
 *
 *   bench_warn_scan DB [CASES=300000] [DAYS=31] [RUNS=5]
 *
 * CASES = 0 adds nothing (time an existing database). SQLite only; it writes through the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"
#include "warn/warn.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double unif(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}
/* Zipf-like pick of 0..n-1 */
static size_t skewed(size_t n)
{
    double u = unif();
    return (size_t)((double)n * u * u * u);
}

struct pick {
    int64_t id;
    char code[40];
};
typedef VEC(struct pick) pick_vec;

static int read_pick(void *ctx, struct store_stmt *row)
{
    pick_vec *v = ctx;
    struct pick *p = vec_push(v);
    p->id = store_col_int(row, 0);
    snprintf(p->code, sizeof(p->code), "%s", store_col_text(row, 1));
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int insert_case(struct store_conn *c, int64_t seq, const struct pick *cat,
                       const struct pick *grid, int64_t at, struct err *err)
{
    char number[32];
    snprintf(number, sizeof(number), "W%010lld", (long long)seq);
    return (int)store_run(
        c,
        "INSERT INTO cases(number, check_code, channel, title, description, urgency, state,"
        " category_id, region_id, region_code, created_at, updated_at)"
        " VALUES (?, 'x', 'hotline', '测试', '测试', 'normal', 'closed', ?, ?, ?, ?, ?)",
        STORE_ARGS(store_text(number), store_i64(cat->id), store_i64(grid->id),
                   store_text(grid->code), store_i64(at), store_i64(at)),
        err);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_warn_scan DB [CASES] [DAYS] [RUNS]\n");
        return 2;
    }
    long long ncases = argc > 2 ? strtoll(argv[2], NULL, 10) : 300000;
    int days = argc > 3 ? atoi(argv[3]) : 31, runs = argc > 4 ? atoi(argv[4]) : 5;
    struct err err = ERR_INIT;
    struct store *st;
    struct store_conn *c;
    struct store_options o = {.path = argv[1], .must_exist = 1};
    if (store_open(&st, &o, &err) < 0 || store_conn(st, &c, &err) < 0) {
        fprintf(stderr, "bench_warn_scan: %s\n", err.msg);
        return 1;
    }
    int64_t now = (int64_t)time(NULL);
    pick_vec cats = VEC_INIT, grids = VEC_INIT;
    if (store_all(c, "SELECT id, code FROM categories WHERE level = 3 ORDER BY id", STORE_NO_ARGS,
                  read_pick, &cats, &err) < 0 ||
        store_all(c, "SELECT id, code FROM regions WHERE level = 'grid' ORDER BY id", STORE_NO_ARGS,
                  read_pick, &grids, &err) < 0 ||
        !cats.n || !grids.n) {
        fprintf(stderr, "bench_warn_scan: no demo categories or grids: %s\n", err.msg);
        return 1;
    }
    if (ncases > 0) {
        uint64_t t0 = clock_mono_ns();
        int64_t start = now - (int64_t)days * 86400;
        /* One process over the whole period, the last 24 hours included: drawn apart at the
         * mean daily rate, they had no weekday or office-hour shape, so on a weekend they ran
         * 1.7 times over what the period's own shape predicts and every busy series alarmed. */
        long long total = ncases + ncases / (days - 1 > 0 ? days - 1 : 1), day = 0;
        for (long long i = 0; i < total;) {
            if (store_begin(c, &err) < 0)
                goto fail;
            for (int b = 0; b < 20000 && i < total; b++, i++) {
                /* Weekdays and 8:00-20:00 Beijing time twice as likely: rejection sampling. */
                int64_t at;
                for (;;) {
                    at = start + (int64_t)(unif() * (double)(now - start));
                    int64_t local = at + WARN_TZ_OFFSET_S, h = local / 3600 % 24;
                    int wd = (int)((local / 86400 + 3) % 7) < 5;
                    if (unif() < (wd ? 0.5 : 0.25) * (h >= 8 && h < 20 ? 2 : 1))
                        break;
                }
                day += at >= now - 86400;
                if (insert_case(c, i, &cats.v[skewed(cats.n)], &grids.v[skewed(grids.n)], at,
                                &err) < 0)
                    goto fail;
            }
            if (store_commit(c, &err) < 0)
                goto fail;
        }
        /* The planted surge: one grid and category, the last 6 hours. */
        if (store_begin(c, &err) < 0)
            goto fail;
        for (int i = 0; i < 40; i++)
            if (insert_case(c, total + i, &cats.v[cats.n / 2], &grids.v[grids.n / 3],
                            now - 3600 * 6 + i * 300, &err) < 0)
                goto fail;
        if (store_commit(c, &err) < 0 || store_optimize(c, &err) < 0)
            goto fail;
        printf("loaded %lld cases over %d days (%lld in the last 24 h, 40 planted) in %.1f s\n",
               total, days, day, (double)(clock_mono_ns() - t0) / 1e9);
    }
    struct {
        const char *name;
        enum warn_region_level level;
        enum warn_category_level cat;
    } modes[] = {{"street × leaf category", WARN_STREET, WARN_LEAF_CATEGORY},
                 {"street × top category", WARN_STREET, WARN_TOP_CATEGORY},
                 {"community × leaf category", WARN_COMMUNITY, WARN_LEAF_CATEGORY}};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        double t[64];
        size_t n = 0;
        struct warn_alarm *al = NULL;
        struct arena a;
        int nr = runs < 1 ? 1 : runs > 64 ? 64 : runs;
        arena_init(&a, 1 << 20);
        for (int r = 0; r < nr; r++) {
            arena_release(&a);
            arena_init(&a, 1 << 20);
            struct warn_scan_opts so = {
                .now = now, .region_level = modes[m].level, .category_level = modes[m].cat};
            uint64_t t0 = clock_mono_ns();
            if (warn_spike_scan(c, &so, &a, &al, &n, &err) < 0)
                goto fail;
            t[r] = (double)(clock_mono_ns() - t0) / 1e6;
        }
        qsort(t, (size_t)nr, sizeof(double), cmp_double);
        printf("%-26s median %8.1f ms (min %.1f, max %.1f, %d runs), %zu alarms\n", modes[m].name,
               t[nr / 2], t[0], t[nr - 1], nr, n);
        for (size_t i = 0; i < n && i < 3; i++)
            printf("    %s (p = %.2g)\n", al[i].explanation, al[i].p_value);
        arena_release(&a);
    }
    vec_release(&cats);
    vec_release(&grids);
    store_close(st);
    return 0;
fail:
    fprintf(stderr, "bench_warn_scan: %s\n", err.msg);
    return 1;
}
