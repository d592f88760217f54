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
    int64_t signed_cases, signed_on_time; /* signed; signed within the sign deadline */
    int64_t rectify_done; /* rectified, and replied again since its latest rectification */
    int64_t reworked;     /* sent back after a reply: rectified, or reopened */
    int64_t replied_ever; /* replied at least once: replied now, or reworked */
    int64_t extended;     /* an extension (延期) was approved */
    /* events in the period */
    int64_t assigned; /* dispatch and redispatch events (派单数) */
    int64_t returns;  /* return events (退单数), by the returning department */
    int64_t answered; /* answer events (直接答复): closed on the call, never dispatched */
    int64_t repeated; /* repeat complaints (重复诉求): linked at intake to an earlier one */
    /* backlog at the period's end: dispatched before 'to', not replied by then (not merged or
     * cancelled); of those, past their resolve deadline by min(to, now) */
    int64_t backlog, backlog_overdue;
    /* 督办单 issued in the period, to the department (by region: the case's) */
    int64_t orders;          /* issued */
    int64_t orders_due;      /* answered, or past their deadline by min(to, now) */
    int64_t orders_on_time;  /* first answered no later than the deadline (按时答复) */
    int64_t orders_overdue;  /* not answered by the deadline: late, or still waiting past it */
    int64_t orders_accepted; /* answer accepted by the supervisor */
    /* 协办单 (sub-tasks, docs/grid.md §6) issued in the period to the department (by region: the
     * case's), cancelled ones left out */
    int64_t assists;          /* issued: by a dispatch naming it assisting, or a whistle */
    int64_t assists_dispatch; /* ... of a dispatch */
    int64_t assists_whistle;  /* ... of a whistle (吹哨报到) */
    int64_t assists_sign_due; /* signed / checked in, or unsigned past the limit by min(to, now) */
    int64_t assists_signed_on_time;  /* signed within the sign (check-in) limit */
    int64_t assists_reply_due;       /* answered, or unanswered past the deadline by min(to, now) */
    int64_t assists_replied_on_time; /* answered, every answer within the deadline */
    int64_t assists_rated;           /* rated by the lead: its latest rating */
    int64_t assists_satisfied, assists_basic, assists_unsatisfied;
    int64_t assists_send_backs; /* unsatisfied ratings that sent an answer back, in all */
    int64_t assists_overdue;    /* overdue now (case open, unsigned or unanswered past a limit) */
    /* valid evaluations in the period (有效回访) */
    int64_t evaluations, contacted, solved, satisfied, basically, unsatisfied;
    /* rates in [0, 1], NAN when the denominator is 0 */
    double response_rate;            /* contacted / evaluations */
    double solve_rate;               /* solved / evaluations */
    double satisfaction_rate;        /* (satisfied + k * basically) / evaluations */
    double on_time_rate;             /* on_time / due */
    double reply_rate;               /* replied / dispatched */
    double close_rate;               /* closed / dispatched */
    double overdue_rate;             /* overdue / dispatched */
    double return_rate;              /* returns / assigned */
    double sign_rate;                /* 及时签收率: signed_on_time / signed_cases */
    double rectify_rate;             /* 整改率: rectify_done / rectified */
    double answer_rate;              /* 直接答复率: answered / (answered + dispatched) */
    double rework_rate;              /* 返工率: reworked / replied_ever */
    double extension_rate;           /* 延期率: extended / dispatched */
    double repeat_rate;              /* 重复诉求率: repeated / dispatched */
    double order_on_time_rate;       /* 督办单按时答复率: orders_on_time / orders_due */
    double assist_sign_rate;         /* 协办按时签收(报到)率: signed_on_time / sign_due */
    double assist_reply_rate;        /* 协办按时答复率: replied_on_time / reply_due */
    double assist_satisfaction_rate; /* 协办满意率: (satisfied + k * basic) / rated */
    double score;                    /* 0..100, NAN when undefined */
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

/* 诉求类型 in the assessment: per kind of request (咨询, 求助, 投诉 ... the case's kind), the cases
 * received in [from, to) (within p->within when set) and how they ended. A read of the raw
 * cases by their creation index; rows only for kinds received. */
struct assess_kind_row {
    const char *kind; /* "complaint", "consult" ... (case_kind_name) */
    int64_t received;
    int64_t answered; /* closed on the call, never dispatched (直接答复) */
    int64_t closed;   /* closed by now, however */
    int64_t evaluated, satisfied, basically; /* by the latest callback, when valid */
    double close_rate;                       /* closed / received */
    double satisfaction_rate; /* (satisfied + k * basically) / evaluated, NAN when none */
};
int assess_kinds(struct store_conn *c, const struct assess_params *p, struct arena *a,
                 struct assess_kind_row **rows, size_t *n, struct err *err);

/* 层级处置 (the ladder, docs/grid.md §5): the cases closed in [from, to) (within p->within when
 * set), per street of the case's region (group 0: not located in a street), by the level that
 * closed them (the level of the case's last ladder step, or where it entered when it never
 * moved), with the two rates of "小事不出网格、大事不出社区". Levels are indexed grid 1 ...
 * district 4. */
struct assess_ladder_row {
    int64_t street_id;       /* 0 = not located in a street */
    const char *code, *name; /* "" for group 0 */
    int64_t closed;
    int64_t closed_at[5];      /* [1] grid ... [4] district; [0] unused */
    int64_t grid_entered;      /* closed cases that entered at a grid */
    int64_t grid_kept;         /* ... and never left it */
    int64_t community_entered; /* closed cases that entered at a grid or a community */
    int64_t community_kept;    /* ... and never went above the community */
    double grid_rate;          /* 小事不出网格率: grid_kept / grid_entered, NAN when 0 */
    double community_rate; /* 大事不出社区率: community_kept / community_entered, NAN when 0 */
};
/* Rows by street code (group 0 last), and '*total' over all of them. */
int assess_ladder(struct store_conn *c, const struct assess_params *p, struct arena *a,
                  struct assess_ladder_row **rows, size_t *n, struct assess_ladder_row *total,
                  struct err *err);

/* Names used in JSON, CSV and the docs. */
const char *assess_by_name(enum assess_by by);
const char *assess_rounds_name(enum assess_rounds r);
const char *assess_term_name(enum assess_term t);

#endif /* GRIDLOOP_ASSESS_ASSESS_H */
