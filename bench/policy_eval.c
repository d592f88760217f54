/*
 * The policy engine at scale (issue 18 item 4): POLICIES rules over PROFILES profiles. Figures:
 * docs/benchmarks.md ("Policy calculator and 免申即享").
 *
 *   bench_policy_eval [PROFILES=1000000] [POLICIES=100] [RUNS=3] [DB]
 *
 * The rules are written as JSON and go through the API's parser (src/api/api_policy_rule.c), as
 * an official's would: 70 % person rules, 30 % firm rules, 2 to 7 conditions each under all/any/
 * not, over every field (age, hukou region subtree, disability, income band, children; industry,
 * size, employees, tax, years registered). Profiles: 70 % persons, 30 % firms, values drawn from
 * plausible ranges over a synthetic region tree of 10 districts × 10 streets × 5 communities.
 * Fixed seed. Timed by the monotonic clock:
 *   scan        every policy over every profile (policy_eval without explanation: the matching
 *               免申即享 does), RUNS times, median;
 *   calculator  one profile against every policy with the explanation (policy_eval with why and
 *               policy_describe of each missing condition), 10,000 profiles;
 *   DB          (when a database path is given: a new SQLite file) the profiles stored, then
 *               RUNS policies published through policy_offer_all in a transaction each: the
 *               store scan, evaluation and the offer rows, as publishing does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "policy/policy.h"
#include "store/store.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int64_t pick(int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
}

#define NREGIONS (10 * 10 * 5)
static char region_code[NREGIONS][16];
static const char *const INDUSTRIES[] = {
    "制造业", "批发和零售业", "住宿和餐饮业", "软件和信息技术服务业",
    "建筑业", "交通运输业",   "农林牧渔业",   "科学研究和技术服务业"};
#define NIND (int)(sizeof(INDUSTRIES) / sizeof(INDUSTRIES[0]))

static void make_regions(void)
{
    int k = 0;
    for (int d = 1; d <= 10; d++)
        for (int s = 1; s <= 10; s++)
            for (int c = 1; c <= 5; c++)
                snprintf(region_code[k++], sizeof(region_code[0]), "3301%02d%03d%03d", d, s, c);
}

static int ymd_back(int years_lo, int years_hi)
{
    return (int)((2026 - pick(years_lo, years_hi)) * 10000 + pick(1, 12) * 100 + pick(1, 28));
}

static void make_profile(struct policy_profile *p, int64_t id)
{
    memset(p, 0, sizeof(*p));
    p->id = id;
    p->name = p->hukou_name = "";
    p->hukou_code = "";
    p->industry = "";
    p->size = -1;
    if (next() % 10 < 7) {
        p->subject = POLICY_PERSON;
        p->birth_ymd = ymd_back(0, 95);
        p->hukou_code = region_code[pick(0, NREGIONS - 1)];
        p->disability = next() % 20 == 0 ? (int)pick(1, 4) : 0;
        p->income_band = (int)pick(0, 10);
        p->children = (int)pick(0, 3);
    } else {
        p->subject = POLICY_FIRM;
        p->industry = INDUSTRIES[pick(0, NIND - 1)];
        p->size = (int)pick(0, 3);
        p->employees = pick(1, 2000);
        p->tax = pick(0, 5000000);
        p->registered_ymd = ymd_back(0, 30);
    }
}

static const char *const OPS[] = {">=", "<=", ">", "<", "=", "!="};

/* One comparison of a field of 'subject' as JSON, appended to b. */
static void cond(char *b, size_t cap, int subject)
{
    size_t n = strlen(b);
    const char *op = OPS[pick(0, 5)];
    if (subject == POLICY_PERSON) {
        switch (pick(0, 4)) {
        case 0:
            snprintf(b + n, cap - n, "{\"field\":\"age\",\"op\":\"%s\",\"value\":%lld}", op,
                     (long long)pick(16, 80));
            break;
        case 1: {
            int r = (int)pick(0, NREGIONS - 1);
            int len = next() % 2 ? 6 : 9; /* a district or a street */
            snprintf(b + n, cap - n,
                     "{\"field\":\"hukou_region\",\"op\":\"in\",\"value\":\"%.*s\"}", len,
                     region_code[r]);
            break;
        }
        case 2:
            snprintf(b + n, cap - n, "{\"field\":\"disability\",\"op\":\">\",\"value\":0}");
            break;
        case 3:
            snprintf(b + n, cap - n, "{\"field\":\"income_band\",\"op\":\"%s\",\"value\":%lld}", op,
                     (long long)pick(0, 10));
            break;
        default:
            snprintf(b + n, cap - n, "{\"field\":\"children\",\"op\":\"%s\",\"value\":%lld}", op,
                     (long long)pick(0, 3));
        }
        return;
    }
    switch (pick(0, 4)) {
    case 0:
        snprintf(b + n, cap - n, "{\"field\":\"industry\",\"op\":\"%s\",\"value\":\"%s\"}",
                 next() % 4 ? "=" : "!=", INDUSTRIES[pick(0, NIND - 1)]);
        break;
    case 1:
        snprintf(b + n, cap - n, "{\"field\":\"size\",\"op\":\"%s\",\"value\":\"%s\"}", op,
                 policy_size_name((int)pick(0, 3)));
        break;
    case 2:
        snprintf(b + n, cap - n, "{\"field\":\"employees\",\"op\":\"%s\",\"value\":%lld}", op,
                 (long long)pick(5, 500));
        break;
    case 3:
        snprintf(b + n, cap - n, "{\"field\":\"tax\",\"op\":\"%s\",\"value\":%lld}", op,
                 (long long)pick(10000, 2000000));
        break;
    default:
        snprintf(b + n, cap - n, "{\"field\":\"years_registered\",\"op\":\">=\",\"value\":%lld}",
                 (long long)pick(1, 10));
    }
}

/* all(c, c, any(c, c), not(c), ...): 2..7 comparisons. */
static void make_rule(char *b, size_t cap, int subject)
{
    int n = (int)pick(2, 5);
    snprintf(b, cap, "{\"all\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            strncat(b, ",", cap - strlen(b) - 1);
        int shape = (int)pick(0, 5);
        if (shape == 0) {
            strncat(b, "{\"any\":[", cap - strlen(b) - 1);
            cond(b, cap, subject);
            strncat(b, ",", cap - strlen(b) - 1);
            cond(b, cap, subject);
            strncat(b, "]}", cap - strlen(b) - 1);
        } else if (shape == 1) {
            strncat(b, "{\"not\":", cap - strlen(b) - 1);
            cond(b, cap, subject);
            strncat(b, "}", cap - strlen(b) - 1);
        } else {
            cond(b, cap, subject);
        }
    }
    strncat(b, "]}", cap - strlen(b) - 1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double secs(uint64_t t0)
{
    return (double)(clock_mono_ns() - t0) / 1e9;
}

#define TODAY 20261205

static int run_db(const char *path, const struct policy_profile *prof, long nprof,
                  const struct policy_rule *rules, char **texts, int runs)
{
    struct store *st = NULL;
    struct store_conn *c = NULL;
    struct err err = {0};
    struct store_options o = {.path = path};
    if (store_open(&st, &o, &err) < 0 || store_conn(st, &c, &err) < 0)
        goto fail;
    uint64_t t0 = clock_mono_ns();
    if (store_begin(c, &err) < 0)
        goto fail;
    for (int i = 0; i < NREGIONS; i++)
        if (store_run(c,
                      "INSERT INTO regions (code, name, level, parent_id, created_at, updated_at)"
                      " VALUES (?, ?, 'community', NULL, 0, 0)",
                      STORE_ARGS(store_text(region_code[i]), store_text(region_code[i])), &err) < 0)
            goto fail;
    for (long i = 0; i < nprof; i++) {
        const struct policy_profile *p = &prof[i];
        int64_t region = 0;
        if (p->subject == POLICY_PERSON &&
            store_one_i64(c, "SELECT id FROM regions WHERE code = ?",
                          STORE_ARGS(store_text(p->hukou_code)), &region, &err) < 0)
            goto fail;
        struct policy_profile q = *p;
        q.hukou_region_id = region;
        int64_t id;
        if (policy_profile_put(c, &q, 0, &id, &err) < 0)
            goto fail;
    }
    if (store_commit(c, &err) < 0)
        goto fail;
    printf("db: %ld profiles stored in %.1f s\n", nprof, secs(t0));
    double *t = calloc((size_t)runs, sizeof(double));
    for (int r = 0; r < runs; r++) {
        struct policy_in in = {.name = "基准政策",
                               .summary = "",
                               .subject = rules[r].subject,
                               .rule = texts[r],
                               .amount = 100,
                               .period = POLICY_MONTH};
        struct policy_rec rec;
        struct arena a;
        int64_t pid, *ids;
        size_t n;
        arena_init(&a, 1 << 20);
        if (store_begin(c, &err) < 0 || policy_create(c, &in, 0, &pid, &err) < 0 ||
            policy_publish(c, pid, 0, &err) < 0 || policy_get(c, pid, &a, &rec, &err) < 0)
            goto fail;
        uint64_t t1 = clock_mono_ns();
        if (policy_offer_all(c, &rec, &rules[r], TODAY, 0, &a, &ids, &n, &err) < 0 ||
            store_commit(c, &err) < 0)
            goto fail;
        t[r] = secs(t1);
        printf("db: policy %d (%s): %zu offers in %.2f s\n", r, policy_subject_name(rec.subject), n,
               t[r]);
        arena_release(&a);
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    printf("db: publish (scan + evaluate + offers), median of %d: %.2f s (%.2f-%.2f)\n", runs,
           t[runs / 2], t[0], t[runs - 1]);
    free(t);
    store_close(st);
    return 0;
fail:
    fprintf(stderr, "bench_policy_eval: %s\n", err.msg);
    return 1;
}

int main(int argc, char **argv)
{
    long nprof = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    int npol = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 100;
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    const char *db = argc > 4 ? argv[4] : NULL;
    if (nprof < 1 || npol < 1 || runs < 1 || runs > 100)
        return 2;
    make_regions();
    struct policy_profile *prof = calloc((size_t)nprof, sizeof(*prof));
    struct policy_rule *rules = calloc((size_t)npol, sizeof(*rules));
    char **texts = calloc((size_t)npol, sizeof(char *));
    if (!prof || !rules || !texts)
        return 1;
    for (long i = 0; i < nprof; i++)
        make_profile(&prof[i], i + 1);
    for (int i = 0; i < npol; i++) {
        struct err err = {0};
        int subject = i % 10 < 7 ? POLICY_PERSON : POLICY_FIRM;
        texts[i] = malloc(4096);
        make_rule(texts[i], 4096, subject);
        if (api_policy_rule_parse_text(texts[i], subject, &rules[i], &err) < 0) {
            fprintf(stderr, "rule %d: %s\n%s\n", i, err.msg, texts[i]);
            return 1;
        }
    }
    printf("%ld profiles, %d policies\n", nprof, npol);

    double *t = calloc((size_t)runs, sizeof(double));
    long long hits = 0;
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = clock_mono_ns();
        long long h = 0;
        for (int k = 0; k < npol; k++)
            for (long i = 0; i < nprof; i++)
                h += policy_eval(&rules[k], &prof[i], TODAY, NULL);
        t[r] = secs(t0);
        hits = h;
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    double evals = (double)npol * (double)nprof;
    printf("scan: %.0f evaluations, %lld qualify (%.2f %%)\n", evals, hits, 100.0 * hits / evals);
    printf("scan: median of %d %.2f s (%.2f-%.2f), %.1f M evaluations/s, %.1f ns each\n", runs,
           t[runs / 2], t[0], t[runs - 1], evals / t[runs / 2] / 1e6, t[runs / 2] / evals * 1e9);

    long ncalc = nprof < 10000 ? nprof : 10000;
    uint64_t t0 = clock_mono_ns();
    size_t chars = 0;
    for (long i = 0; i < ncalc; i++) {
        for (int k = 0; k < npol; k++) {
            struct policy_why why;
            char text[POLICY_DESC_MAX];
            policy_eval(&rules[k], &prof[i], TODAY, &why);
            for (int m = 0; m < why.nmissing; m++) {
                policy_describe(&rules[k], why.missing[m], text, sizeof(text));
                chars += strlen(text);
            }
        }
    }
    double ct = secs(t0);
    printf("calculator: %ld profiles x %d policies with explanations in %.2f s: %.1f us per "
           "profile (%zu bytes of text)\n",
           ncalc, npol, ct, ct / (double)ncalc * 1e6, chars);
    free(t);
    int rc = db ? run_db(db, prof, nprof, rules, texts, runs < npol ? runs : npol) : 0;
    for (int i = 0; i < npol; i++)
        free(texts[i]);
    free(texts);
    free(rules);
    free(prof);
    return rc;
}
