/*
 * assess: 考核 — per department or per region, over a period, the counts of the closed loop
 * (dispatched, replied, closed, on time, overdue, returned, rectified), the callback facts
 * (有效回访, contacted, solved, satisfied / basically / unsatisfied), the rates computed from
 * them (响应率, 解决率, 满意率 with 基本满意 weighted by k, 按时办结率, ...) and a composite
 * score with configurable weights, ranked. docs/assessment.md defines every number.
 *
 * The counts come from the daily roll-ups that the case module keeps (assess_daily) for the
 * whole local days of the period and from the raw facts (cases, case_events,
 * case_evaluations) for its partial days, plus one live term (cases not replied whose deadline
 * may still pass); no rate is stored. The answer is the raw computation's, exactly. A rate whose denominator is 0 is NAN ("undefined", null in JSON); the
 * score is NAN when any term with a non-zero weight is NAN, and such rows are not ranked.
 *
 * Threading: none of its own. Ownership: rows and their strings live in the caller's arena.
 */
#ifndef GRIDLOOP_ASSESS_ASSESS_H
#define GRIDLOOP_ASSESS_ASSESS_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

enum assess_by { ASSESS_BY_DEPARTMENT, ASSESS_BY_REGION };

/* Which evaluations of a case count: its latest valid one in the period (the default: one
 * 工单 counts once, with its final outcome) or every valid one (each rectification round). */
enum assess_rounds { ASSESS_ROUNDS_LATEST, ASSESS_ROUNDS_ALL };

/* The terms of the composite score, in the order of assess_params.weights. */
enum assess_term {
    ASSESS_TERM_RESPONSE,
    ASSESS_TERM_SOLVE,
    ASSESS_TERM_SATISFY,
    ASSESS_TERM_ON_TIME,
    ASSESS_TERMS
};

struct assess_params {
    int64_t from, to; /* the period [from, to), seconds since the epoch */
    int64_t now;      /* "as of": a case is due when its deadline is before min(to, now); 0 = to */
    enum assess_by by;
    const char *region_level; /* by region: district, street, community or grid; NULL = street */
    enum assess_rounds rounds;
    double k;                     /* weight of 基本满意 in 满意率, in [0, 1] */
    double weights[ASSESS_TERMS]; /* >= 0, not all 0; normalised by their sum */
    const char *within;           /* region code: only cases located in its subtree (a region-bound
                                       supervisor's view); NULL = everywhere */
};

struct assess_row {
    int64_t group_id;        /* department or region id; 0 = none (not located / no department) */
    const char *code, *name; /* "" for group 0 */
    /* cases dispatched in the period (current lead department / case region) */
    int64_t dispatched; /* 应办 */
    int64_t replied, closed;
    int64_t due;       /* 应办结: replied, or past its resolve deadline by 'to' */
    int64_t on_time;   /* replied no later than its resolve deadline */
    int64_t overdue;   /* overdue now, or urged by the sweeper at any time */
    int64_t rectified; /* rectify_round > 0 */
    /* events in the period */
    int64_t assigned; /* dispatch and redispatch events (派单数) */
    int64_t returns;  /* return events (退单数), by the returning department */
    /* valid evaluations in the period (有效回访) */
    int64_t evaluations, contacted, solved, satisfied, basically, unsatisfied;
    /* rates in [0, 1], NAN when the denominator is 0 */
    double response_rate;     /* contacted / evaluations */
    double solve_rate;        /* solved / evaluations */
    double satisfaction_rate; /* (satisfied + k * basically) / evaluations */
    double on_time_rate;      /* on_time / due */
    double reply_rate;        /* replied / dispatched */
    double close_rate;        /* closed / dispatched */
    double overdue_rate;      /* overdue / dispatched */
    double return_rate;       /* returns / assigned */
    double score;             /* 0..100, NAN when undefined */
    int rank; /* 1 = best; equal scores share a rank; 0 = unranked (no score, or group 0) */
};

/* Check the parameters; ERR_BAD_REQUEST names the offending one (from, to, k, weights, level). */
int assess_check(const struct assess_params *p, struct err *err);

/*
 * Compute one row per group with any activity in the period, ranked rows first (by rank,
 * then code), then unranked rows by code.
 */
int assess_compute(struct store_conn *c, const struct assess_params *p, struct arena *a,
                   struct assess_row **rows, size_t *n, struct err *err);

/* The same from the raw facts alone (what the roll-ups must equal: tests and benchmarks).
 * Also what assess_compute does until the roll-ups have been built. */
int assess_compute_raw(struct store_conn *c, const struct assess_params *p, struct arena *a,
                       struct assess_row **rows, size_t *n, struct err *err);

/* Parse "0.10,0.50,0.40" (three or four numbers: response, solve, satisfy[, on time]) into
 * w (the missing on-time weight is 0). Returns 0, or -1 when malformed or negative. */
int assess_parse_weights(const char *s, double w[ASSESS_TERMS]);

/* Names used in JSON, CSV and the docs. */
const char *assess_by_name(enum assess_by by);
const char *assess_rounds_name(enum assess_rounds r);
const char *assess_term_name(enum assess_term t);

#endif /* GRIDLOOP_ASSESS_ASSESS_H */
