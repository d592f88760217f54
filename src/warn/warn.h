/*
 * warn: spike detection (突增预警) per category × region × time window.
 *
 * Method (docs/warning.md; warning-methods.md §2, §3 and §1 for the pieces): a Poisson
 * regression baseline with seasonal offsets and a one-sided negative-binomial test.
 *
 * - Seasonality: multiplicative day-of-week and hour-of-day factors fitted on a pooled series
 *   (all categories of the scope), the fitted values of the log-linear Poisson model with the
 *   two factors as main effects (row total × column total / grand total). A single series is
 *   too sparse to fit its own factors; it borrows the pooled shape.
 * - Baseline: the series' own level, the MLE of log μ_t = β0 + log w_t over `baseline` bins that
 *   end `guard` bins before the tested window (EARS C2's lag: the first days of a surge stay out
 *   of its own baseline). Over-dispersion φ = Pearson χ² / (blocks − 1) over the baseline cut
 *   into blocks as long as the window, at least 1 (quasi-Poisson, as Farrington); 1 when the
 *   baseline holds fewer than WARN_DISPERSION_MIN_CASES cases (too few to tell clumping from
 *   chance: one pair of cases on one day would read as φ = 2).
 * - Test: the window's count Y against the predictive distribution of the window count: the
 *   level's gamma posterior (Jeffreys prior: shape S + ½ for S baseline cases) makes it a
 *   negative binomial, widened by φ; its mean m and variance φ·(m + m²/(S + ½)) give one NB
 *   (moment-matched size), as the "nbPlugin" threshold of the improved Farrington method does,
 *   with the estimation error of the level included. Alarm when P(Y ≥ y) ≤ alpha and y ≥
 *   min_count (Farrington's limit: no alarm on a handful of cases in a near-empty series).
 *   So alpha is the false-alarm probability of one test of one series when the baseline holds;
 *   N series tested once a day expect N·alpha false alarms a day.
 *
 * Pure computation (warn_season, warn_test, warn_nb_tail) has no state and no allocation:
 * any thread. warn_spike_scan reads the cases table through the caller's connection (one
 * thread at a time per connection, as store.h says); results live in the caller's arena.
 */
#ifndef GRIDLOOP_WARN_WARN_H
#define GRIDLOOP_WARN_WARN_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

/* Defaults (a zero field of the options takes them). */
#define WARN_ALPHA 0.001             /* one-sided false-alarm probability per test */
#define WARN_MIN_COUNT 3             /* no alarm on fewer cases in the window */
#define WARN_DISPERSION_MIN_CASES 20 /* fewer baseline cases: φ = 1 */
#define WARN_BASELINE_DAYS 28        /* four whole weeks: every weekday four times */
#define WARN_GUARD_HOURS 48          /* between the baseline and the window (EARS C2 lag) */
#define WARN_WINDOW_HOURS 24         /* the window tested, ending at 'now' */
#define WARN_WINDOW_HOURS_MAX (24 * 14)
#define WARN_BASELINE_DAYS_MAX 366
#define WARN_TZ_OFFSET_S (8 * 3600) /* days and hours are Beijing time */

/* ---------------------------------------------------------------- the math */

/* Seasonal weights for a series of bins: 'bin_hours' is 24 (daily bins) or 1 (hourly bins);
 * bin 0 starts at local hour-of-week 'first_slot' (0 = Monday 00:00, up to 167; for daily
 * bins a multiple of 24). From the pooled counts pooled[0..nfit) (the baseline: a surge in the
 * window must not shape the profile it is measured against) the day-of-week factors (and, for
 * hourly bins, the hour-of-day factors) are fitted, each averaging 1 over its slots, and
 * w[i] = dow(i) · hod(i) is written for every bin. A slot's rate is (its count + ½) / its bins, so
 * an empty slot gets a small factor, not zero; a slot with no bin at all gets 1. 'pooled' and
 * 'w' are borrowed (nfit and n doubles). ERR_BAD_REQUEST for a bad bin size or slot. */
int warn_season(const double *pooled, size_t nfit, size_t n, int bin_hours, int first_slot,
                double *w, struct err *err);

struct warn_params {
    size_t window;     /* bins tested: the last 'window' bins of the series */
    size_t guard;      /* bins skipped before the window */
    size_t baseline;   /* bins of baseline before the guard; a multiple of 'window' is best */
    double alpha;      /* 0 = WARN_ALPHA */
    int64_t min_count; /* 0 = WARN_MIN_COUNT; 1 allows an alarm on a single case */
};

struct warn_result {
    int64_t observed;  /* cases in the window */
    double expected;   /* m: predictive mean for the window */
    double baseline;   /* S: cases in the baseline */
    double dispersion; /* φ ≥ 1 */
    double p_value;    /* P(Y ≥ observed) under the predictive NB */
    int64_t threshold; /* the smallest count that alarms (≥ min_count) */
    int alarm;
};

/* Test the last bins of counts[0..n) (w: seasonal weights, NULL = all 1) as described above.
 * n must be at least window + guard + baseline (bins before those are ignored); counts are
 * non-negative. ERR_BAD_REQUEST otherwise, naming the parameter. */
int warn_test(const double *counts, const double *w, size_t n, const struct warn_params *p,
              struct warn_result *out, struct err *err);

/* P(Y ≥ y) for a negative binomial with mean 'mean' and size 'size' (variance mean +
 * mean²/size); size = INFINITY is the Poisson. 1 for y ≤ 0; mean 0 gives 0 for y > 0. */
double warn_nb_tail(int64_t y, double mean, double size);

/* ---------------------------------------------------------------- the scan over cases */

enum warn_region_level {
    WARN_STREET = 9,     /* 街道: the first 9 characters of a region code */
    WARN_COMMUNITY = 12, /* 社区 */
};

enum warn_category_level {
    WARN_TOP_CATEGORY = 1, /* the top-level category (一级分类) of the case's category */
    WARN_LEAF_CATEGORY = 0 /* the case's own category */
};

/* Zero fields take the defaults. */
struct warn_scan_opts {
    int64_t now;                             /* end of the window (unix seconds); required */
    int window_hours;                        /* WARN_WINDOW_HOURS */
    int guard_hours;                         /* WARN_GUARD_HOURS; -1 = no guard */
    int baseline_days;                       /* WARN_BASELINE_DAYS */
    double alpha;                            /* WARN_ALPHA */
    int64_t min_count;                       /* WARN_MIN_COUNT */
    enum warn_region_level region_level;     /* 0 = WARN_STREET */
    enum warn_category_level category_level; /* 0 = WARN_LEAF_CATEGORY */
    const char *within; /* a region code: only cases in its subtree; NULL = all */
    /* Read the period in slices of this many hours (0: one query). The counts and alarms are
     * the same; a background scan slices so that it can give the CPU back in between. */
    int slice_hours;
    /* Called between slices (may be NULL), on the scanning thread: the sweeper pauses there. */
    void (*between)(void *ctx);
    void *between_ctx;
};

struct warn_alarm {
    const char *region_code; /* the street or community */
    const char *region_name; /* its name ("" if the region table has none) */
    int64_t category_id;
    const char *category_name;
    int64_t window_start, window_end; /* [start, end), unix seconds */
    int64_t observed;
    double expected;
    double baseline_cases; /* cases in the baseline period */
    double dispersion;
    double p_value;
    int64_t threshold;
    /* What a supervisor reads: "青石街道 噪声扰民 24 小时内 14 件，同期预期 3.2 件". */
    const char *explanation;
};

/* Count the cases (created_at; cancelled and merged ones left out, so one incident reported
 * many times and merged counts once) per region of the level × category × hour over the
 * baseline, guard and window before 'now', fit the seasonal weights on all of them pooled and
 * test every series that has at least min_count cases in the window. Cases without a
 * category or located above the level are not counted. Alarms are returned most significant
 * first (smallest p-value, then most cases); *out and its strings live in 'a'. Reads only:
 * the caller picks the connection and the transaction. ERR_BAD_REQUEST names a bad option. */
int warn_spike_scan(struct store_conn *c, const struct warn_scan_opts *o, struct arena *a,
                    struct warn_alarm **out, size_t *n, struct err *err);

/* The window in words: "24 小时", "3 天", "36 小时" (static string or arena). */
const char *warn_window_words(int window_hours, struct arena *a);

#endif
