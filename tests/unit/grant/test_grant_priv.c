/*
 * The pure parts of access through a grant (src/grant/grant_priv.c): Laplace noise statistics,
 * the budget, cell suppression with its complementary cells, masking rules and the watermark
 * traced back among 20 keys.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "grant/grant.h"
#include "test.h"

TEST(grant_laplace_statistics)
{
    /* Laplace(0, b): mean 0, mean |x| = b, variance 2b², median |x| = b ln 2. Over 10,000
     * draws the standard error of the mean is b·√2/100 ≈ 0.014b: the bounds are generous. */
    const int N = 10000;
    double b = grant_noise_scale(1.0, 0.5); /* a count at epsilon 0.5 */
    CHECK(fabs(b - 2.0) < 1e-12, "scale %g", b);
    double sum = 0, sumabs = 0, sumsq = 0;
    int under_median = 0, positive = 0;
    for (int i = 0; i < N; i++) {
        double x = grant_laplace(b);
        CHECK(isfinite(x), "draw %d finite", i);
        sum += x;
        sumabs += fabs(x);
        sumsq += x * x;
        under_median += fabs(x) < b * log(2.0);
        positive += x > 0;
    }
    CHECK(fabs(sum / N) < 0.1 * b, "mean %g", sum / N);
    CHECK(fabs(sumabs / N - b) < 0.1 * b, "mean |x| %g, want %g", sumabs / N, b);
    CHECK(fabs(sumsq / N - 2 * b * b) < 0.25 * 2 * b * b, "variance %g", sumsq / N);
    CHECK(abs(under_median - N / 2) < N / 20, "|x| under the median: %d", under_median);
    CHECK(abs(positive - N / 2) < N / 20, "positive: %d", positive);
}

TEST(grant_sum_sensitivity_and_clamp)
{
    struct err err = ERR_INIT;
    double s;
    CHECK_INT_EQ(grant_sum_sensitivity(1, -30, 1, 120, &s, "age", &err), 0, "%s", "");
    CHECK(s == 120, "max(|lo|,|hi|) %g", s);
    CHECK_INT_EQ(grant_sum_sensitivity(1, -300, 1, 120, &s, "x", &err), 0, "%s", "");
    CHECK(s == 300, "max(|lo|,|hi|) %g", s);
    CHECK_INT_EQ(grant_sum_sensitivity(1, 0, 0, 0, &s, "income", &err), ERR_BAD_REQUEST, "%s", "");
    CHECK(strstr(err.msg, "income") != NULL, "names the field: %s", err.msg);
    CHECK(grant_clamp(500, 0, 120) == 120 && grant_clamp(-1, 0, 120) == 0 &&
              grant_clamp(7, 0, 120) == 7,
          "clamped");
}

TEST(grant_budget)
{
    struct err err = ERR_INIT;
    CHECK_INT_EQ(grant_budget_check(1.0, 0, 0.5, &err), 0, "%s", "");
    CHECK_INT_EQ(grant_budget_check(1.0, 0.5, 0.5, &err), 0, "%s", "");
    CHECK_INT_EQ(grant_budget_check(1.0, 0.6, 0.5, &err), ERR_FORBIDDEN, "%s", "");
    CHECK_STR_EQ(err.field, "epsilon", "%s", "");
    CHECK_INT_EQ(grant_budget_check(0, 0, 0.1, &err), ERR_FORBIDDEN, "%s", "");
    double spent = 0;
    int ok = 0;
    while (grant_budget_check(1.0, spent, 0.1, &err) == 0) {
        spent += 0.1;
        ok++;
    }
    CHECK_INT_EQ(ok, 10, "ten queries of 0.1 in a budget of 1");
}

static struct grant_cell *cells_of(const int64_t *counts, size_t n)
{
    struct grant_cell *c = calloc(n, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i].count = counts[i];
    return c;
}

TEST(grant_suppression)
{
    /* Nothing under k: nothing suppressed. */
    int64_t a[] = {10, 20, 30};
    struct grant_cell *c = cells_of(a, 3);
    CHECK_INT_EQ((int)grant_suppress(c, 3, 5), 0, "%s", "");
    free(c);
    /* One small cell: the next smallest goes with it, or total − shown would give it away. */
    int64_t b[] = {40, 3, 20, 30};
    c = cells_of(b, 4);
    CHECK_INT_EQ((int)grant_suppress(c, 4, 5), 2, "%s", "");
    CHECK_INT_EQ(c[1].suppressed, 1, "%s", "");
    CHECK_INT_EQ(c[2].suppressed, 2, "the smallest shown cell is complementary");
    CHECK(!c[0].suppressed && !c[3].suppressed, "the others shown");
    free(c);
    /* Two small cells of 1 and 2 rows: together under k, so a third goes too. */
    int64_t d[] = {1, 2, 50, 9, 60};
    c = cells_of(d, 5);
    CHECK_INT_EQ((int)grant_suppress(c, 5, 5), 3, "%s", "");
    CHECK(c[0].suppressed == 1 && c[1].suppressed == 1 && c[3].suppressed == 2, "the 9 joins them");
    free(c);
    /* Whatever is shown, the suppressed cells' rows number at least k and are at least two. */
    for (int trial = 0; trial < 200; trial++) {
        size_t n = 1 + randombytes_uniform(12);
        int64_t v[12];
        for (size_t i = 0; i < n; i++)
            v[i] = 1 + randombytes_uniform(15);
        c = cells_of(v, n);
        size_t ns = grant_suppress(c, n, 5);
        int64_t ssum = 0;
        for (size_t i = 0; i < n; i++) {
            if (c[i].suppressed)
                ssum += c[i].count;
            else
                CHECK(c[i].count >= 5, "a shown cell is at least k");
        }
        CHECK(ns == 0 || ns == n || (ns >= 2 && ssum >= 5), "trial %d: %zu suppressed, %lld rows",
              trial, ns, (long long)ssum);
        free(c);
    }
}

TEST(grant_masking_rules)
{
    struct arena a;
    arena_init(&a, 4096);
    CHECK_STR_EQ(grant_mask("name", "张三", &a), "张*", "%s", "");
    CHECK_STR_EQ(grant_mask("name", "欧阳娜娜", &a), "欧阳**", "%s", "");
    CHECK_STR_EQ(grant_mask("id_card", "110105194912311234", &a), "110105********1234", "%s", "");
    CHECK_STR_EQ(grant_mask("mobile", "13800138000", &a), "138****8000", "%s", "");
    CHECK_STR_EQ(grant_mask("phone", "0571-86900101", &a), "0571-****01", "%s", "");
    CHECK_STR_EQ(grant_mask("address", "北京市朝阳区建外街道光华里社区3号楼2单元501", &a),
                 "北京市朝阳区建外街道光华里社区***", "%s", "");
    CHECK_STR_EQ(grant_mask("address", "杭州市西湖区北山街道保俶路12号", &a),
                 "杭州市西湖区北山街道***", "%s", "");
    CHECK_STR_EQ(grant_mask("credit_code", "91350100M000100Y43", &a), "91350100********43", "%s",
                 "");
    CHECK_STR_EQ(grant_mask("email", "zhang@example.cn", &a), "z***@example.cn", "%s", "");
    CHECK_STR_EQ(grant_mask("year", "1949-12-31", &a), "1949", "%s", "");
    CHECK_STR_EQ(grant_mask("full", "任何内容", &a), "***", "%s", "");
    CHECK_STR_EQ(grant_mask("none", "原样", &a), "原样", "%s", "");
    CHECK_STR_EQ(grant_mask("no-such-rule", "secret", &a), "***", "unknown rules fail closed");
    CHECK_STR_EQ(grant_mask("mobile", "", &a), "", "%s", "");
    arena_release(&a);
}

/* A 200-row export marked with key 'k', as the export writes it (mark on the marked cell). */
static void make_rows(struct grant_trace_row *rows, size_t n, const char *key, int marked)
{
    for (size_t i = 0; i < n; i++) {
        rows[i].n = 3;
        rows[i].cells = calloc(3, sizeof(char *));
        char buf[64];
        snprintf(buf, sizeof buf, "张*%zu", i);
        rows[i].cells[0] = strdup(buf);
        snprintf(buf, sizeof buf, "138****%04zu", i * 7 % 10000);
        rows[i].cells[1] = strdup(buf);
        rows[i].cells[2] = strdup(i % 3 ? "西湖区" : "");
        int bit = grant_row_bit(key, (const char *const *)rows[i].cells, 3);
        /* Written with the mark, read back and stripped as trace does. */
        size_t m = grant_mark_cell((const char *const *)rows[i].cells, 3);
        char *w = malloc(strlen(rows[i].cells[m]) + 4);
        memcpy(w, rows[i].cells[m], strlen(rows[i].cells[m]) + 1);
        if (marked)
            memcpy(w + strlen(w), bit ? GRANT_MARK_ONE : GRANT_MARK_ZERO, 4);
        free(rows[i].cells[m]);
        rows[i].bit = grant_mark_strip(w);
        rows[i].cells[m] = w;
    }
}

static void free_rows(struct grant_trace_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < rows[i].n; j++)
            free(rows[i].cells[j]);
        free(rows[i].cells);
    }
}

TEST(grant_watermark_trace)
{
    enum { KEYS = 20, ROWS = 200 };
    char keys[KEYS][GRANT_KEY_HEX + 1];
    for (int i = 0; i < KEYS; i++)
        grant_key_new(keys[i]);
    static struct grant_trace_row rows[ROWS];
    make_rows(rows, ROWS, keys[13], 1);
    int best = -1, over = 0;
    double bests = 0;
    for (int i = 0; i < KEYS; i++) {
        size_t marked;
        double s = grant_trace_score(keys[i], rows, ROWS, &marked);
        CHECK_INT_EQ((int)marked, ROWS, "%s", "");
        if (s > bests) {
            bests = s;
            best = i;
        }
        if (i != 13)
            CHECK(s > 0.3 && s < 0.7, "another key scores near 50%%: %g", s);
        over += s >= GRANT_TRACE_THRESHOLD;
    }
    CHECK_INT_EQ(best, 13, "the true key");
    CHECK(bests == 1.0, "the true key agrees on every row: %g", bests);
    CHECK_INT_EQ(over, 1, "one key over the threshold");
    free_rows(rows, ROWS);
    /* An unmarked copy: no marks at all, nothing to score. */
    make_rows(rows, ROWS, keys[13], 0);
    size_t marked;
    CHECK(grant_trace_score(keys[13], rows, ROWS, &marked) == 0 && marked == 0, "no marks");
    free_rows(rows, ROWS);
    CHECK_INT_EQ(grant_row_bit("not-hex", NULL, 0), -1, "%s", "");
}
