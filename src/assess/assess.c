/*
 * 考核 computation: three grouped queries over the raw facts (cases dispatched in the period,
 * dispatch/return events in the period, valid evaluations in the period), merged per group in
 * C, then the rates, the score and the rank. The formulas are in docs/assessment.md; keep the
 * two in step.
 *
 * The cases and evaluations queries serve both groupings with one SQL text (the group column is
 * chosen by a bound flag); the events query has a cheaper form by department. The region
 * ancestor at the requested level comes from a recursive CTE over regions.
 */
#include "assess/assess.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

static const char *const level_names[] = {"district", "street", "community", "grid"};
static const char *const term_names[ASSESS_TERMS] = {"response", "solve", "satisfy", "on_time"};

const char *assess_by_name(enum assess_by by)
{
    return by == ASSESS_BY_REGION ? "region" : "department";
}
const char *assess_rounds_name(enum assess_rounds r)
{
    return r == ASSESS_ROUNDS_ALL ? "all" : "latest";
}
const char *assess_term_name(enum assess_term t)
{
    return (unsigned)t < ASSESS_TERMS ? term_names[t] : "?";
}

int assess_parse_weights(const char *s, double w[ASSESS_TERMS])
{
    int n = 0;
    const char *p = s;
    if (!s || !*s)
        return -1;
    for (int i = 0; i < ASSESS_TERMS; i++)
        w[i] = 0;
    for (;;) {
        char *end;
        if (n == ASSESS_TERMS)
            return -1;
        while (*p == ' ')
            p++;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || v < 0)
            return -1;
        w[n++] = v;
        p = end;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (*p++ != ',')
            return -1;
    }
    return n >= 3 ? 0 : -1;
}

int assess_check(const struct assess_params *p, struct err *err)
{
    double sum = 0;
    if (p->from <= 0)
        return err_field(err, ERR_BAD_REQUEST, "from", "'from' must be a time after 1970");
    if (p->to <= p->from)
        return err_field(err, ERR_BAD_REQUEST, "to", "'to' must be later than 'from'");
    if (!(p->k >= 0 && p->k <= 1))
        return err_field(err, ERR_BAD_REQUEST, "k",
                         "'k' (weight of basically satisfied) must be between 0 and 1");
    for (int i = 0; i < ASSESS_TERMS; i++) {
        if (!(p->weights[i] >= 0 && isfinite(p->weights[i])))
            return err_field(err, ERR_BAD_REQUEST, "weights",
                             "weights must be finite and not negative");
        sum += p->weights[i];
    }
    if (!(sum > 0))
        return err_field(err, ERR_BAD_REQUEST, "weights", "at least one weight must be above 0");
    if (p->by != ASSESS_BY_DEPARTMENT && p->by != ASSESS_BY_REGION)
        return err_field(err, ERR_BAD_REQUEST, "by", "'by' must be department or region");
    if (p->rounds != ASSESS_ROUNDS_LATEST && p->rounds != ASSESS_ROUNDS_ALL)
        return err_field(err, ERR_BAD_REQUEST, "rounds", "'rounds' must be latest or all");
    if (p->region_level) {
        size_t i;
        for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
            if (!strcmp(level_names[i], p->region_level))
                break;
        if (i == sizeof(level_names) / sizeof(level_names[0]))
            return err_field(err, ERR_BAD_REQUEST, "level",
                             "'level' must be district, street, community or grid");
    }
    return 0;
}

/* The groups being built (malloc'd; copied into the arena at the end), with an open-addressing
 * index from group id to position so that thousands of grids stay linear. */
struct acc {
    struct assess_row *v;
    size_t n, cap;
    size_t *slot; /* position + 1, 0 = empty; nslot is a power of two > 2 * cap */
    size_t nslot;
};

static size_t slot_of(const struct acc *g, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (g->nslot - 1);
    while (g->slot[i] && g->v[g->slot[i] - 1].group_id != id)
        i = (i + 1) & (g->nslot - 1);
    return i;
}

static struct assess_row *group(struct acc *g, int64_t id)
{
    if (g->nslot) {
        size_t i = slot_of(g, id);
        if (g->slot[i])
            return &g->v[g->slot[i] - 1];
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->v = xrealloc(g->v, mem_size_mul(g->cap, sizeof(*g->v)));
        free(g->slot);
        g->nslot = 4 * g->cap;
        g->slot = xcalloc(g->nslot, sizeof(*g->slot));
        for (size_t k = 0; k < g->n; k++)
            g->slot[slot_of(g, g->v[k].group_id)] = k + 1;
    }
    struct assess_row *r = &g->v[g->n++];
    memset(r, 0, sizeof(*r));
    r->group_id = id;
    g->slot[slot_of(g, id)] = g->n;
    return r;
}

static double ratio(double num, int64_t den)
{
    return den > 0 ? num / (double)den : NAN;
}

/* Rows in the ranking: a defined score and a real group (not "no department / no region"). */
static int ranked(const struct assess_row *r)
{
    return !isnan(r->score) && r->group_id != 0;
}

static int by_rank(const void *a, const void *b)
{
    const struct assess_row *x = a, *y = b;
    int xs = ranked(x), ys = ranked(y);
    if (xs != ys)
        return ys - xs; /* ranked rows first */
    if (xs && x->score != y->score)
        return x->score > y->score ? -1 : 1; /* higher score first */
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    return x->group_id < y->group_id ? -1 : x->group_id > y->group_id;
}

/* Cases sent back after a reply by a supervisor's reopen or the centre's review (办结审核
 * send_back; rectifications are rectify_round), and cases whose extension (延期) a supervisor
 * approved: keep in step with case_rollup.c. */
#define REOPENED "SELECT x.case_id FROM case_events x WHERE x.action IN ('reopen', 'send_back')"
#define EXTENDED                                                                                   \
    "SELECT x.case_id FROM case_events x WHERE x.action = 'approve'"                               \
    " AND x.payload LIKE '%\"request\":\"extend\"%'"

/* In every query, anc(id, top) maps each region at or below the requested level to its
 * ancestor at that level (a recursive CTE over regions). */

static int load_cases(struct store_conn *c, const struct assess_params *p, const char *level,
                      int64_t lo, int64_t hi, struct acc *g, struct err *err)
{
    struct store_stmt *s;
    int64_t cutoff = p->now > 0 && p->now < p->to ? p->now : p->to;
    int rc = store_prepare(
        c,
        "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
        " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
        " SELECT CASE WHEN ? = 1 THEN coalesce(anc.top, 0) ELSE coalesce(c.lead_department_id, 0) END,"
        " count(*),"
        " sum(CASE WHEN c.replied_at IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.replied_at IS NOT NULL OR c.resolve_deadline < ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.replied_at IS NOT NULL AND c.replied_at <= c.resolve_deadline THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.overdue <> 0 OR c.id IN (SELECT u.case_id FROM case_events u"
        " WHERE u.action = 'urge' AND u.actor_id IS NULL) THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.rectify_round > 0 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.signed_at IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.signed_at IS NOT NULL AND c.sign_late = 0 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.rectify_round > 0 AND c.replied_at IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.rectify_round > 0 OR c.id IN (" REOPENED ") THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.replied_at IS NOT NULL OR c.rectify_round > 0 OR c.id IN (" REOPENED ")"
        " THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.id IN (" EXTENDED ") THEN 1 ELSE 0 END),"
        " sum(CASE WHEN EXISTS (SELECT 1 FROM case_repeats rp WHERE rp.case_id = c.id)"
        " THEN 1 ELSE 0 END)"
        " FROM cases c LEFT JOIN anc ON anc.id = c.region_id"
        " WHERE c.dispatched_at >= ? AND c.dispatched_at < ? AND c.state <> 'merged'"
        " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
        " GROUP BY 1",
        STORE_ARGS(store_text(level), store_i64(p->by == ASSESS_BY_REGION), store_i64(cutoff),
                   store_i64(lo), store_i64(hi), store_text(p->within), store_text(p->within),
                   store_text(p->within)),
        &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        struct assess_row *r = group(g, store_col_int(s, 0));
        r->dispatched += store_col_int(s, 1);
        r->replied += store_col_int(s, 2);
        r->closed += store_col_int(s, 3);
        r->due += store_col_int(s, 4);
        r->on_time += store_col_int(s, 5);
        r->overdue += store_col_int(s, 6);
        r->rectified += store_col_int(s, 7);
        r->signed_cases += store_col_int(s, 8);
        r->signed_on_time += store_col_int(s, 9);
        r->rectify_done += store_col_int(s, 10);
        r->reworked += store_col_int(s, 11);
        r->replied_ever += store_col_int(s, 12);
        r->extended += store_col_int(s, 13);
        r->repeated += store_col_int(s, 14);
    }
    store_done(s);
    return rc;
}

static int load_events(struct store_conn *c, const struct assess_params *p, const char *level,
                       int64_t lo, int64_t hi, struct acc *g, struct err *err)
{
    struct store_stmt *s;
    int rc;
    /* By department the events alone answer; only regions need the join to the cases. */
    if (p->by == ASSESS_BY_REGION)
        rc = store_prepare(
            c,
            "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
            " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
            " SELECT coalesce(anc.top, 0),"
            " sum(CASE WHEN ev.action IN ('dispatch', 'redispatch') THEN 1 ELSE 0 END),"
            " sum(CASE WHEN ev.action = 'return' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN ev.action = 'answer' THEN 1 ELSE 0 END)"
            " FROM case_events ev JOIN cases c ON c.id = ev.case_id LEFT JOIN anc ON anc.id = c.region_id"
            " WHERE ev.action IN ('dispatch', 'redispatch', 'return', 'answer') AND ev.at >= ? AND ev.at < ?"
            " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
            " GROUP BY 1",
            STORE_ARGS(store_text(level), store_i64(lo), store_i64(hi), store_text(p->within),
                       store_text(p->within), store_text(p->within)),
            &s, err);
    else if (p->within)
        rc = store_prepare(
            c,
            "SELECT coalesce(ev.department_id, 0),"
            " sum(CASE WHEN ev.action IN ('dispatch', 'redispatch') THEN 1 ELSE 0 END),"
            " sum(CASE WHEN ev.action = 'return' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN ev.action = 'answer' THEN 1 ELSE 0 END)"
            " FROM case_events ev JOIN cases c ON c.id = ev.case_id"
            " WHERE ev.action IN ('dispatch', 'redispatch', 'return', 'answer') AND ev.at >= ? AND ev.at < ?"
            " AND substr(c.region_code, 1, length(?)) = ?"
            " GROUP BY 1",
            STORE_ARGS(store_i64(lo), store_i64(hi), store_text(p->within), store_text(p->within)),
            &s, err);
    else
        rc = store_prepare(
            c,
            "SELECT coalesce(ev.department_id, 0),"
            " sum(CASE WHEN ev.action IN ('dispatch', 'redispatch') THEN 1 ELSE 0 END),"
            " sum(CASE WHEN ev.action = 'return' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN ev.action = 'answer' THEN 1 ELSE 0 END)"
            " FROM case_events ev"
            " WHERE ev.action IN ('dispatch', 'redispatch', 'return', 'answer') AND ev.at >= ? AND ev.at < ?"
            " GROUP BY 1",
            STORE_ARGS(store_i64(lo), store_i64(hi)), &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        struct assess_row *r = group(g, store_col_int(s, 0));
        r->assigned += store_col_int(s, 1);
        r->returns += store_col_int(s, 2);
        r->answered += store_col_int(s, 3);
    }
    store_done(s);
    return rc;
}

static int load_evaluations(struct store_conn *c, const struct assess_params *p, const char *level,
                            int64_t lo, int64_t hi, struct acc *g, struct err *err)
{
    struct store_stmt *s;
    /* Latest: no valid evaluation of the same case in the period has a later round (or the
     * same round and a later id). */
    int rc = store_prepare(
        c,
        "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
        " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
        " SELECT CASE WHEN ? = 1 THEN coalesce(anc.top, 0) ELSE coalesce(e.department_id, 0) END,"
        " count(*),"
        " sum(CASE WHEN e.contacted <> 0 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.solved <> 0 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.satisfaction = 'satisfied' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.satisfaction = 'basically_satisfied' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.satisfaction = 'unsatisfied' THEN 1 ELSE 0 END)"
        " FROM case_evaluations e LEFT JOIN regions rg ON rg.code = e.region_code"
        " LEFT JOIN anc ON anc.id = rg.id"
        " WHERE e.valid <> 0 AND e.at >= ? AND e.at < ?"
        " AND (? IS NULL OR substr(e.region_code, 1, length(?)) = ?)"
        " AND (? = 1 OR NOT EXISTS (SELECT 1 FROM case_evaluations l WHERE l.case_id = e.case_id"
        " AND l.valid <> 0 AND l.at >= ? AND l.at < ?"
        " AND (l.round > e.round OR (l.round = e.round AND l.id > e.id))))"
        " GROUP BY 1",
        STORE_ARGS(store_text(level), store_i64(p->by == ASSESS_BY_REGION), store_i64(lo),
                   store_i64(hi), store_text(p->within), store_text(p->within),
                   store_text(p->within), store_i64(p->rounds == ASSESS_ROUNDS_ALL),
                   store_i64(p->from), store_i64(p->to)),
        &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        struct assess_row *r = group(g, store_col_int(s, 0));
        r->evaluations += store_col_int(s, 1);
        r->contacted += store_col_int(s, 2);
        r->solved += store_col_int(s, 3);
        r->satisfied += store_col_int(s, 4);
        r->basically += store_col_int(s, 5);
        r->unsatisfied += store_col_int(s, 6);
    }
    store_done(s);
    return rc;
}

/* 1..4 for district, street, community, grid: the roll-ups' lvl (migration 0019). */
static int64_t level_index(const char *level)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (!strcmp(level_names[i], level))
            return (int64_t)i + 1;
    BUG("level '%s' passed assess_check", level);
}

/* Local days of the roll-ups: UTC+8, as case_rollup.c files them (keep in step). */
#define ASSESS_DAY_OFFSET 28800
#define ASSESS_DAY 86400

/* The roll-ups of local days [d1, d2) (day numbers), whose times are [t1, t2). Evaluations
 * outranked by another of the same case count in "latest" when no outranking one is in the
 * period: the nearest before and after are on the row. */
/* An evaluation row counts: every round, or no outranking evaluation in the period. */
#define COUNTS "(? = 1 OR ((d.prev_at = 0 OR d.prev_at < ?) AND (d.next_at = 0 OR d.next_at >= ?)))"
#define ROUNDS_ARGS store_i64(p->rounds == ASSESS_ROUNDS_ALL), store_i64(p->from), store_i64(p->to)

static int load_rollup(struct store_conn *c, const struct assess_params *p, const char *level,
                       int64_t d1, int64_t d2, struct acc *g, struct err *err)
{
    struct store_stmt *s;
    int64_t lvl = 0, scope = 0;
    int rc;
    /* The coarsest level that answers: the grouping's, and the scope's region's, whichever is
     * finer (0: every region summed). A scope that names no region reads the finest rows. */
    if (p->by == ASSESS_BY_REGION)
        lvl = level_index(level);
    if (p->within) {
        int64_t v = 0;
        if ((rc = store_one_i64(c,
                                "SELECT CASE level WHEN 'district' THEN 1 WHEN 'street' THEN 2"
                                " WHEN 'community' THEN 3 ELSE 4 END FROM regions WHERE code = ?",
                                STORE_ARGS(store_text(p->within)), &v, err)) < 0)
            return rc;
        scope = rc == 1 ? v : 4;
        if (scope > lvl)
            lvl = scope;
    }
    rc = store_prepare(
        c,
        "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
        " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
        " SELECT CASE WHEN ? = 1 THEN coalesce(anc.top, 0) ELSE d.dept_id END,"
        " sum(d.dispatched), sum(d.replied), sum(d.closed), sum(d.unreplied), sum(d.on_time),"
        " sum(d.overdue), sum(d.rectified), sum(d.assigned), sum(d.returns),"
        " sum(CASE WHEN " COUNTS " THEN d.evaluations ELSE 0 END),"
        " sum(CASE WHEN " COUNTS " THEN d.contacted ELSE 0 END),"
        " sum(CASE WHEN " COUNTS " THEN d.solved ELSE 0 END),"
        " sum(CASE WHEN " COUNTS " THEN d.satisfied ELSE 0 END),"
        " sum(CASE WHEN " COUNTS " THEN d.basically ELSE 0 END),"
        " sum(CASE WHEN " COUNTS " THEN d.unsatisfied ELSE 0 END),"
        " sum(d.signed_cases), sum(d.signed_on_time), sum(d.rectify_done), sum(d.reworked),"
        " sum(d.replied_ever), sum(d.extended), sum(d.answered), sum(d.repeated)"
        " FROM assess_daily d LEFT JOIN anc ON anc.id = d.region_id"
        " WHERE d.lvl = ? AND d.day >= ? AND d.day < ?"
        " AND (? IS NULL OR (d.region_code <> '' AND substr(d.region_code, 1, length(?)) = ?))"
        " GROUP BY 1",
        STORE_ARGS(store_text(level), store_i64(p->by == ASSESS_BY_REGION), ROUNDS_ARGS,
                   ROUNDS_ARGS, ROUNDS_ARGS, ROUNDS_ARGS, ROUNDS_ARGS, ROUNDS_ARGS, store_i64(lvl),
                   store_i64(d1), store_i64(d2), store_text(p->within), store_text(p->within),
                   store_text(p->within)),
        &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        struct assess_row *r = group(g, store_col_int(s, 0));
        r->dispatched += store_col_int(s, 1);
        r->replied += store_col_int(s, 2);
        r->closed += store_col_int(s, 3);
        /* due = replied + not replied (the live part below takes out those not yet due) */
        r->due += store_col_int(s, 2) + store_col_int(s, 4);
        r->on_time += store_col_int(s, 5);
        r->overdue += store_col_int(s, 6);
        r->rectified += store_col_int(s, 7);
        r->assigned += store_col_int(s, 8);
        r->returns += store_col_int(s, 9);
        r->evaluations += store_col_int(s, 10);
        r->contacted += store_col_int(s, 11);
        r->solved += store_col_int(s, 12);
        r->satisfied += store_col_int(s, 13);
        r->basically += store_col_int(s, 14);
        r->unsatisfied += store_col_int(s, 15);
        r->signed_cases += store_col_int(s, 16);
        r->signed_on_time += store_col_int(s, 17);
        r->rectify_done += store_col_int(s, 18);
        r->reworked += store_col_int(s, 19);
        r->replied_ever += store_col_int(s, 20);
        r->extended += store_col_int(s, 21);
        r->answered += store_col_int(s, 22);
        r->repeated += store_col_int(s, 23);
    }
    store_done(s);
    return rc;
}

/* The live term of [t1, t2): dispatched cases not replied whose deadline is not before
 * min(to, now) (or have none) are not due yet. Two ways to find them among the unreplied cases
 * only (partial indexes): by dispatch time over the period (0018, answered from the index), or
 * by deadline from the cutoff on (0016), whichever range is shorter: deadlines of unreplied
 * cases end within an SLA of now, so a period that ends now has few. */
#define SLA_TAIL (30 * 86400)
static int load_not_due(struct store_conn *c, const struct assess_params *p, const char *level,
                        int64_t t1, int64_t t2, struct acc *g, struct err *err)
{
    struct store_stmt *s;
    int64_t cutoff = p->now > 0 && p->now < p->to ? p->now : p->to;
    int64_t latest = p->now > t2 ? p->now : t2;
    int by_dispatch = t2 - t1 <= latest + SLA_TAIL - cutoff;
    int rc = store_prepare(
        c,
        by_dispatch
            ? "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
              " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
              " SELECT CASE WHEN ? = 1 THEN coalesce(anc.top, 0) ELSE coalesce(c.lead_department_id, 0) END,"
              " count(*) FROM cases c LEFT JOIN anc ON anc.id = c.region_id"
              " WHERE c.replied_at IS NULL AND c.dispatched_at IS NOT NULL"
              " AND (c.resolve_deadline IS NULL OR +c.resolve_deadline >= ?)"
              " AND c.dispatched_at >= ? AND c.dispatched_at < ? AND c.state <> 'merged'"
              " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
              " GROUP BY 1"
            : "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
              " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
              " SELECT CASE WHEN ? = 1 THEN coalesce(anc.top, 0) ELSE coalesce(c.lead_department_id, 0) END,"
              " count(*) FROM cases c LEFT JOIN anc ON anc.id = c.region_id"
              " WHERE c.replied_at IS NULL AND c.dispatched_at IS NOT NULL"
              " AND coalesce(c.resolve_deadline, 253402300799) >= ?"
              " AND +c.dispatched_at >= ? AND +c.dispatched_at < ? AND c.state <> 'merged'"
              " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
              " GROUP BY 1",
        STORE_ARGS(store_text(level), store_i64(p->by == ASSESS_BY_REGION), store_i64(cutoff),
                   store_i64(t1), store_i64(t2), store_text(p->within), store_text(p->within),
                   store_text(p->within)),
        &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1)
        group(g, store_col_int(s, 0))->due -= store_col_int(s, 1);
    store_done(s);
    return rc;
}

/* The backlog at the period's end, a stock rather than a flow, so live in both computations:
 * cases dispatched before 'to' (their latest dispatch) and not replied by then, left out when
 * merged or cancelled since; overdue when their resolve deadline is before min(to, now). Two
 * ranges of indexes: the unreplied cases (0018, answered from the index) and the cases replied
 * at or after 'to' (0032), which a period ending now does not have. */
#define BACKLOG_WHERE(WHERE, DISPATCHED)                                                           \
    " WHERE " WHERE " AND " DISPATCHED " < ? AND c.state NOT IN ('merged', 'cancelled')"           \
    " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
/* By region, the region's ancestor at the level; by department no join at all, and the open
 * cases are read from 0032's index in department order (no sort; "+" keeps the planner off
 * 0018's index by dispatch time, which would need one). Grouping by the bare column is what
 * lets it read in that order: it must not be used where another index would give the order
 * for a scan of the whole table (the cases replied later). */
#define BACKLOG_REGION(WHERE)                                                                         \
    "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"                      \
    " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"                \
    " SELECT coalesce(anc.top, 0), count(*), sum(CASE WHEN c.resolve_deadline < ? THEN 1 ELSE 0 END)" \
    " FROM cases c LEFT JOIN anc ON anc.id = c.region_id" BACKLOG_WHERE(                              \
        WHERE, "c.dispatched_at") " GROUP BY 1"
#define BACKLOG_DEPT(WHERE, DISPATCHED, GROUP)                                                     \
    "SELECT " GROUP ", count(*), sum(CASE WHEN c.resolve_deadline < ? THEN 1 ELSE 0 END)"          \
    " FROM cases c" BACKLOG_WHERE(WHERE, DISPATCHED) " GROUP BY " GROUP
#define UNREPLIED "c.replied_at IS NULL AND c.dispatched_at IS NOT NULL AND ? > 0"
#define REPLIED_LATER "c.replied_at >= ?"

static int load_backlog(struct store_conn *c, const struct assess_params *p, const char *level,
                        struct acc *g, struct err *err)
{
    static const char *const sql[2][2] = {
        /* the cases replied at or after 'to' are few of those the replied_at range holds: by
         * 0032's index on reply and dispatch time, sorted afterwards */
        {BACKLOG_DEPT(UNREPLIED, "+c.dispatched_at", "c.lead_department_id"),
         BACKLOG_DEPT(REPLIED_LATER, "c.dispatched_at", "coalesce(c.lead_department_id, 0)")},
        {BACKLOG_REGION(UNREPLIED), BACKLOG_REGION(REPLIED_LATER)},
    };
    int64_t cutoff = p->now > 0 && p->now < p->to ? p->now : p->to;
    int by_region = p->by == ASSESS_BY_REGION;
    for (int pass = 0; pass < 2; pass++) {
        struct store_stmt *s;
        /* pass 1 compares replied_at with 'to'; pass 0 takes it too, so one argument list */
        int rc = store_prepare(
            c, sql[by_region][pass],
            by_region
                ? STORE_ARGS(store_text(level), store_i64(cutoff), store_i64(p->to),
                             store_i64(p->to), store_text(p->within), store_text(p->within),
                             store_text(p->within))
                : STORE_ARGS(store_i64(cutoff), store_i64(p->to), store_i64(p->to),
                             store_text(p->within), store_text(p->within), store_text(p->within)),
            &s, err);
        if (rc < 0)
            return rc;
        while ((rc = store_step(s, err)) == 1) {
            struct assess_row *r = group(g, store_col_int(s, 0));
            r->backlog += store_col_int(s, 1);
            r->backlog_overdue += store_col_int(s, 2);
        }
        store_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* 督办单 issued in the period (migration 0030), from the orders table itself: few rows, never
 * rolled up. By department: the department the order is addressed to. */
static int load_orders(struct store_conn *c, const struct assess_params *p, const char *level,
                       struct acc *g, struct err *err)
{
    struct store_stmt *s;
    int64_t cutoff = p->now > 0 && p->now < p->to ? p->now : p->to;
    int rc = store_prepare(
        c,
        "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"
        " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"
        " SELECT CASE WHEN ? = 1 THEN coalesce(anc.top, 0) ELSE o.department_id END, count(*),"
        " sum(CASE WHEN o.first_answered_at IS NOT NULL OR o.deadline < ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN o.first_answered_at <= o.deadline THEN 1 ELSE 0 END),"
        " sum(CASE WHEN o.first_answered_at > o.deadline"
        " OR (o.first_answered_at IS NULL AND o.deadline < ?) THEN 1 ELSE 0 END),"
        " sum(CASE WHEN o.state = 'accepted' THEN 1 ELSE 0 END)"
        " FROM supervision_orders o JOIN cases c ON c.id = o.case_id"
        " LEFT JOIN anc ON anc.id = c.region_id"
        " WHERE o.issued_at >= ? AND o.issued_at < ?"
        " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
        " GROUP BY 1",
        STORE_ARGS(store_text(level), store_i64(p->by == ASSESS_BY_REGION), store_i64(cutoff),
                   store_i64(cutoff), store_i64(p->from), store_i64(p->to), store_text(p->within),
                   store_text(p->within), store_text(p->within)),
        &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        struct assess_row *r = group(g, store_col_int(s, 0));
        r->orders += store_col_int(s, 1);
        r->orders_due += store_col_int(s, 2);
        r->orders_on_time += store_col_int(s, 3);
        r->orders_overdue += store_col_int(s, 4);
        r->orders_accepted += store_col_int(s, 5);
    }
    store_done(s);
    return rc;
}

/* 协办单 issued in the period (migration 0045), from the sub-tasks themselves as the 督办单: a
 * sub-task is a few per case assisted. Both texts walk the departments and, for each, its range
 * of the period in 0047's covering index (by department: no sort, no table row). A cancelled
 * sub-task (its department no longer assists after a re-dispatch) does not count. The case is
 * read only for a region (grouping or scope) and for an open sub-task past a limit (overdue
 * only while its case is open). Parameters: cutoff twice, now twice, from, to. */
/* ASSIST_SUMS, the open-case test, then ASSIST_FROM. */
#define ASSIST_SUMS                                                                                \
    " count(*), sum(CASE WHEN s.whistle_id IS NULL THEN 1 ELSE 0 END),"                            \
    " sum(CASE WHEN s.signed_at IS NOT NULL OR s.sign_deadline < ? THEN 1 ELSE 0 END),"            \
    " sum(CASE WHEN s.signed_at IS NOT NULL AND s.sign_late = 0 THEN 1 ELSE 0 END),"               \
    " sum(CASE WHEN s.replied_at IS NOT NULL OR s.deadline < ? THEN 1 ELSE 0 END),"                \
    " sum(CASE WHEN s.replied_at IS NOT NULL AND s.reply_late = 0 THEN 1 ELSE 0 END),"             \
    " sum(CASE WHEN s.rating = 'satisfied' THEN 1 ELSE 0 END),"                                    \
    " sum(CASE WHEN s.rating = 'basic' THEN 1 ELSE 0 END),"                                        \
    " sum(CASE WHEN s.rating = 'unsatisfied' THEN 1 ELSE 0 END), sum(s.send_backs),"               \
    " sum(CASE WHEN ((s.state = 'issued' AND s.sign_deadline < ?)"                                 \
    " OR (s.state IN ('issued', 'signed') AND s.deadline < ?)) AND "
#define ASSIST_FROM                                                                                \
    " THEN 1 ELSE 0 END) FROM departments d JOIN case_assists s ON s.department_id = d.id"
#define ASSIST_PERIOD " s.created_at >= ? AND s.created_at < ? AND s.state <> 'cancelled'"
#define ASSIST_WITHIN "(? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
#define FINISHED "('closed', 'cancelled', 'merged')"
#define ASSIST_BY_REGION                                                                           \
    "WITH RECURSIVE anc(id, top) AS (SELECT id, id FROM regions WHERE level = ?"                   \
    " UNION ALL SELECT r.id, anc.top FROM regions r JOIN anc ON r.parent_id = anc.id)"             \
    " SELECT coalesce(anc.top, 0)," ASSIST_SUMS "c.state NOT IN " FINISHED ASSIST_FROM             \
    " JOIN cases c ON c.id = s.case_id LEFT JOIN anc ON anc.id = c.region_id"                      \
    " WHERE" ASSIST_PERIOD " AND " ASSIST_WITHIN " GROUP BY 1"
#define ASSIST_BY_DEPT                                                                             \
    "SELECT d.id," ASSIST_SUMS "EXISTS (SELECT 1 FROM cases c WHERE c.id = s.case_id"              \
    " AND c.state NOT IN " FINISHED ")" ASSIST_FROM " WHERE" ASSIST_PERIOD                         \
    " AND (? IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.id = s.case_id"                      \
    " AND " ASSIST_WITHIN ")) GROUP BY d.id"

static int load_assists(struct store_conn *c, const struct assess_params *p, const char *level,
                        struct acc *g, struct err *err)
{
    struct store_stmt *s;
    int64_t cutoff = p->now > 0 && p->now < p->to ? p->now : p->to;
    int64_t now = p->now > 0 ? p->now : p->to;
    int rc;
    if (p->by == ASSESS_BY_REGION)
        rc = store_prepare(c, ASSIST_BY_REGION,
                           STORE_ARGS(store_text(level), store_i64(cutoff), store_i64(cutoff),
                                      store_i64(now), store_i64(now), store_i64(p->from),
                                      store_i64(p->to), store_text(p->within),
                                      store_text(p->within), store_text(p->within)),
                           &s, err);
    else
        rc = store_prepare(c, ASSIST_BY_DEPT,
                           STORE_ARGS(store_i64(cutoff), store_i64(cutoff), store_i64(now),
                                      store_i64(now), store_i64(p->from), store_i64(p->to),
                                      store_text(p->within), store_text(p->within),
                                      store_text(p->within), store_text(p->within)),
                           &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        struct assess_row *r = group(g, store_col_int(s, 0));
        int64_t n = store_col_int(s, 1), by_dispatch = store_col_int(s, 2);
        r->assists += n;
        r->assists_dispatch += by_dispatch;
        r->assists_whistle += n - by_dispatch;
        r->assists_sign_due += store_col_int(s, 3);
        r->assists_signed_on_time += store_col_int(s, 4);
        r->assists_reply_due += store_col_int(s, 5);
        r->assists_replied_on_time += store_col_int(s, 6);
        r->assists_satisfied += store_col_int(s, 7);
        r->assists_basic += store_col_int(s, 8);
        r->assists_unsatisfied += store_col_int(s, 9);
        r->assists_rated += store_col_int(s, 7) + store_col_int(s, 8) + store_col_int(s, 9);
        r->assists_send_backs += store_col_int(s, 10);
        r->assists_overdue += store_col_int(s, 11);
    }
    store_done(s);
    return rc;
}
#undef ASSIST_SUMS
#undef ASSIST_PERIOD
#undef ASSIST_WITHIN
#undef FINISHED
#undef ASSIST_BY_REGION
#undef ASSIST_FROM
#undef ASSIST_BY_DEPT

/* Raw facts of [lo, hi) inside the period (the whole period, or a partial day at an end). */
static int load_raw(struct store_conn *c, const struct assess_params *p, const char *level,
                    int64_t lo, int64_t hi, struct acc *g, struct err *err)
{
    int rc;
    if (lo >= hi)
        return 0;
    if ((rc = load_cases(c, p, level, lo, hi, g, err)) < 0 ||
        (rc = load_events(c, p, level, lo, hi, g, err)) < 0 ||
        (rc = load_evaluations(c, p, level, lo, hi, g, err)) < 0)
        return rc;
    return 0;
}

/* The whole local days of the period from the roll-ups, its partial days at either end from
 * the raw facts. */
static int load_split(struct store_conn *c, const struct assess_params *p, const char *level,
                      struct acc *g, struct err *err)
{
    int64_t d1 = (p->from + ASSESS_DAY_OFFSET + ASSESS_DAY - 1) / ASSESS_DAY;
    int64_t d2 = (p->to + ASSESS_DAY_OFFSET) / ASSESS_DAY;
    int64_t t1 = d1 * ASSESS_DAY - ASSESS_DAY_OFFSET, t2 = d2 * ASSESS_DAY - ASSESS_DAY_OFFSET;
    int rc;
    if (d1 >= d2)
        return load_raw(c, p, level, p->from, p->to, g, err);
    if ((rc = load_raw(c, p, level, p->from, t1, g, err)) < 0 ||
        (rc = load_rollup(c, p, level, d1, d2, g, err)) < 0 ||
        (rc = load_not_due(c, p, level, t1, t2, g, err)) < 0 ||
        (rc = load_raw(c, p, level, t2, p->to, g, err)) < 0)
        return rc;
    return 0;
}

static int load_name(struct store_conn *c, const struct assess_params *p, struct arena *a,
                     struct assess_row *r, struct err *err)
{
    struct store_stmt *s;
    int rc;
    r->code = "";
    r->name = "";
    if (!r->group_id)
        return 0;
    if (p->by == ASSESS_BY_REGION)
        rc = store_prepare(c, "SELECT code, name FROM regions WHERE id = ?",
                           STORE_ARGS(store_i64(r->group_id)), &s, err);
    else
        rc = store_prepare(c, "SELECT code, name FROM departments WHERE id = ?",
                           STORE_ARGS(store_i64(r->group_id)), &s, err);
    if (rc < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1) {
        r->code = arena_strdup(a, store_col_text(s, 0));
        r->name = arena_strdup(a, store_col_text(s, 1));
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

static void rates(const struct assess_params *p, struct assess_row *r)
{
    r->response_rate = ratio((double)r->contacted, r->evaluations);
    r->solve_rate = ratio((double)r->solved, r->evaluations);
    r->satisfaction_rate =
        ratio((double)r->satisfied + p->k * (double)r->basically, r->evaluations);
    r->on_time_rate = ratio((double)r->on_time, r->due);
    r->reply_rate = ratio((double)r->replied, r->dispatched);
    r->close_rate = ratio((double)r->closed, r->dispatched);
    r->overdue_rate = ratio((double)r->overdue, r->dispatched);
    r->return_rate = ratio((double)r->returns, r->assigned);
    r->sign_rate = ratio((double)r->signed_on_time, r->signed_cases);
    r->rectify_rate = ratio((double)r->rectify_done, r->rectified);
    r->answer_rate = ratio((double)r->answered, r->answered + r->dispatched);
    r->rework_rate = ratio((double)r->reworked, r->replied_ever);
    r->extension_rate = ratio((double)r->extended, r->dispatched);
    r->repeat_rate = ratio((double)r->repeated, r->dispatched);
    r->order_on_time_rate = ratio((double)r->orders_on_time, r->orders_due);
    r->assist_sign_rate = ratio((double)r->assists_signed_on_time, r->assists_sign_due);
    r->assist_reply_rate = ratio((double)r->assists_replied_on_time, r->assists_reply_due);
    r->assist_satisfaction_rate =
        ratio((double)r->assists_satisfied + p->k * (double)r->assists_basic, r->assists_rated);

    const double term[ASSESS_TERMS] = {r->response_rate, r->solve_rate, r->satisfaction_rate,
                                       r->on_time_rate};
    double sum = 0, wsum = 0;
    for (int i = 0; i < ASSESS_TERMS; i++) {
        if (p->weights[i] <= 0)
            continue;
        sum += p->weights[i] * term[i]; /* NAN propagates: the score is undefined */
        wsum += p->weights[i];
    }
    r->score = wsum > 0 ? 100.0 * sum / wsum : NAN;
}

static int compute(struct store_conn *c, const struct assess_params *p, int use_rollup,
                   struct arena *a, struct assess_row **rows, size_t *n, struct err *err)
{
    struct acc g = {0};
    const char *level = p->region_level ? p->region_level : "street";
    int64_t built = 0;
    int rc = 0;
    *rows = NULL;
    *n = 0;
    if ((rc = assess_check(p, err)) < 0)
        return rc;
    if (use_rollup)
        rc = store_one_i64(c, "SELECT built FROM assess_rollup_state", STORE_NO_ARGS, &built, err);
    if (rc < 0)
        goto out;
    if ((rc = built ? load_split(c, p, level, &g, err)
                    : load_raw(c, p, level, p->from, p->to, &g, err)) < 0 ||
        (rc = load_backlog(c, p, level, &g, err)) < 0 ||
        (rc = load_orders(c, p, level, &g, err)) < 0 ||
        (rc = load_assists(c, p, level, &g, err)) < 0)
        goto out;
    /* A group is reported when it has cases, events or evaluations in the period, as the raw
     * queries find them: roll-up rows whose counts went back to 0 name no group. */
    size_t kept = 0;
    for (size_t i = 0; i < g.n; i++)
        if (g.v[i].dispatched || g.v[i].assigned || g.v[i].returns || g.v[i].evaluations ||
            g.v[i].answered || g.v[i].backlog || g.v[i].orders || g.v[i].assists)
            g.v[kept++] = g.v[i];
    g.n = kept;
    for (size_t i = 0; i < g.n; i++) {
        if ((rc = load_name(c, p, a, &g.v[i], err)) < 0)
            goto out;
        rates(p, &g.v[i]);
    }
    if (g.n)
        qsort(g.v, g.n, sizeof(*g.v), by_rank);
    for (size_t i = 0; i < g.n; i++) {
        struct assess_row *r = &g.v[i];
        if (!ranked(r))
            r->rank = 0;
        else if (i > 0 && ranked(&g.v[i - 1]) && fabs(g.v[i - 1].score - r->score) < 1e-9)
            r->rank = g.v[i - 1].rank; /* ties share a rank: 1, 2, 2, 4 */
        else
            r->rank = (int)i + 1;
    }
    if (g.n) {
        *rows = arena_alloc(a, mem_size_mul(g.n, sizeof(**rows)));
        memcpy(*rows, g.v, g.n * sizeof(**rows));
    }
    *n = g.n;
    rc = 0;
out:
    free(g.v);
    free(g.slot);
    return rc;
}

int assess_compute(struct store_conn *c, const struct assess_params *p, struct arena *a,
                   struct assess_row **rows, size_t *n, struct err *err)
{
    return compute(c, p, 1, a, rows, n, err);
}

int assess_compute_raw(struct store_conn *c, const struct assess_params *p, struct arena *a,
                       struct assess_row **rows, size_t *n, struct err *err)
{
    return compute(c, p, 0, a, rows, n, err);
}

int assess_kinds(struct store_conn *c, const struct assess_params *p, struct arena *a,
                 struct assess_kind_row **rows, size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 8;
    struct assess_kind_row *v = arena_alloc(a, cap * sizeof(*v));
    int rc = store_prepare(
        c,
        /* The case's latest callback, when valid (有效回访: an invalidated one does not count). */
        "SELECT c.kind, count(*),"
        " sum(CASE WHEN c.state = 'closed' AND c.dispatched_at IS NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.state = 'closed' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.valid = 1 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.valid = 1 AND e.satisfaction = 'satisfied' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN e.valid = 1 AND e.satisfaction = 'basically_satisfied' THEN 1 ELSE 0 END)"
        " FROM cases c LEFT JOIN case_evaluations e ON e.id ="
        " (SELECT max(x.id) FROM case_evaluations x WHERE x.case_id = c.id)"
        " WHERE c.created_at >= ? AND c.created_at < ? AND c.state <> 'merged'"
        " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
        " GROUP BY c.kind ORDER BY count(*) DESC, c.kind",
        STORE_ARGS(store_i64(p->from), store_i64(p->to), store_text(p->within),
                   store_text(p->within), store_text(p->within)),
        &s, err);
    if (rc < 0)
        return rc;
    *n = 0;
    while ((rc = store_step(s, err)) == 1 && *n < cap) {
        struct assess_kind_row *r = &v[(*n)++];
        r->kind = arena_strdup(a, store_col_text(s, 0));
        r->received = store_col_int(s, 1);
        r->answered = store_col_int(s, 2);
        r->closed = store_col_int(s, 3);
        r->evaluated = store_col_int(s, 4);
        r->satisfied = store_col_int(s, 5);
        r->basically = store_col_int(s, 6);
        r->close_rate = r->received ? (double)r->closed / (double)r->received : NAN;
        r->satisfaction_rate = r->evaluated ? ((double)r->satisfied + p->k * (double)r->basically) /
                                                  (double)r->evaluated
                                            : NAN;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    *rows = v;
    return 0;
}

/* ---- 层级处置: what each level closed itself (the ladder, migration 0044) ---- */

static void ladder_rates(struct assess_ladder_row *r)
{
    r->grid_rate = r->grid_entered ? (double)r->grid_kept / (double)r->grid_entered : NAN;
    r->community_rate =
        r->community_entered ? (double)r->community_kept / (double)r->community_entered : NAN;
}

int assess_ladder(struct store_conn *c, const struct assess_params *p, struct arena *a,
                  struct assess_ladder_row **rows, size_t *n, struct assess_ladder_row *total,
                  struct err *err)
{
    struct store_stmt *s;
    size_t cap = 16;
    struct assess_ladder_row *v = arena_alloc(a, cap * sizeof(*v));
    memset(total, 0, sizeof(*total));
    total->code = total->name = "";
    /* A case that never moved sits where it entered (case_ladder.c): a grid worker's report at
     * its grid (or micro-grid) or community, anything else at the district. */
#define ENTRY_TIER                                                                                 \
    "(CASE WHEN c.channel = 'grid' AND r.level IN ('grid', 'micro') THEN 1"                        \
    " WHEN c.channel = 'grid' AND r.level = 'community' THEN 2 ELSE 4 END)"
    int rc = store_prepare(
        c,
        "SELECT coalesce(x.sid, 0), coalesce(x.scode, ''), coalesce(x.sname, ''), count(*),"
        " sum(CASE WHEN x.last_tier = 1 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.last_tier = 2 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.last_tier = 3 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.last_tier = 4 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.entry_tier = 1 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.entry_tier = 1 AND x.top_tier = 1 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.entry_tier <= 2 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN x.entry_tier <= 2 AND x.top_tier <= 2 THEN 1 ELSE 0 END)"
        " FROM (SELECT st.id AS sid, st.code AS scode, st.name AS sname,"
        "  coalesce((SELECT s.tier FROM case_ladder_steps s WHERE s.case_id = c.id AND s.seq = 1),"
        "   " ENTRY_TIER ") AS entry_tier,"
        "  coalesce((SELECT max(s.tier) FROM case_ladder_steps s WHERE s.case_id = c.id),"
        "   " ENTRY_TIER ") AS top_tier,"
        "  coalesce((SELECT s.tier FROM case_ladder_steps s WHERE s.case_id = c.id"
        "   ORDER BY s.seq DESC LIMIT 1), " ENTRY_TIER ") AS last_tier"
        "  FROM cases c LEFT JOIN regions r ON r.id = c.region_id"
        "  LEFT JOIN regions st ON st.level = 'street' AND st.code = substr(c.region_code, 1, 9)"
        "  WHERE c.state = 'closed' AND c.closed_at >= ? AND c.closed_at < ?"
        "  AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)) x"
        " GROUP BY x.sid, x.scode, x.sname ORDER BY coalesce(x.scode, '') = '', x.scode",
        STORE_ARGS(store_i64(p->from), store_i64(p->to), store_text(p->within),
                   store_text(p->within), store_text(p->within)),
        &s, err);
#undef ENTRY_TIER
    if (rc < 0)
        return rc;
    *n = 0;
    while ((rc = store_step(s, err)) == 1) {
        if (*n == cap) {
            struct assess_ladder_row *w = arena_alloc(a, 2 * cap * sizeof(*w));
            memcpy(w, v, cap * sizeof(*w));
            v = w;
            cap *= 2;
        }
        struct assess_ladder_row *r = &v[(*n)++];
        memset(r, 0, sizeof(*r));
        r->street_id = store_col_int(s, 0);
        r->code = arena_strdup(a, store_col_text(s, 1));
        r->name = arena_strdup(a, store_col_text(s, 2));
        r->closed = store_col_int(s, 3);
        for (int i = 1; i <= 4; i++)
            r->closed_at[i] = store_col_int(s, 3 + i);
        r->grid_entered = store_col_int(s, 8);
        r->grid_kept = store_col_int(s, 9);
        r->community_entered = store_col_int(s, 10);
        r->community_kept = store_col_int(s, 11);
        ladder_rates(r);
        total->closed += r->closed;
        for (int i = 1; i <= 4; i++)
            total->closed_at[i] += r->closed_at[i];
        total->grid_entered += r->grid_entered;
        total->grid_kept += r->grid_kept;
        total->community_entered += r->community_entered;
        total->community_kept += r->community_kept;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    ladder_rates(total);
    *rows = v;
    return 0;
}
