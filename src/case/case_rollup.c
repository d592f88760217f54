/*
 * The assessment's daily roll-ups (table assess_daily, migrations 0016, 0019): what each case adds to
 * the counts that src/assess reads for whole local days. A write takes a case's contribution
 * out before it changes the case (case_tx_touch) and puts the new one back before the commit
 * (case_tx_settle): two statements per case written, whatever the action, in the write's own
 * transaction. Intake (a new case, not dispatched) contributes nothing and is not touched.
 *
 * The definitions mirror the raw queries of src/assess/assess.c and docs/assessment.md: a case
 * counts on the local day of its dispatch, an event on its own day, an evaluation on its own
 * day with, when a later round outranks it, the nearest outranking evaluation's times.
 */
#include <string.h>

#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

/* Local days are UTC+8: China has one time zone and no daylight saving. The assessment
 * computes a period's partial days from the raw facts, so a calendar at another offset stays
 * exact (only more of it is read raw). Keep in step with ASSESS_DAY_OFFSET. */
#define DAY_OFFSET "28800"
#define DAY_OF(t) "((" t " + " DAY_OFFSET ") / 86400)"

/* clang-format off */
/* Cases sent back by a reopen or a review's send_back, and cases whose extension was approved:
 * as REOPENED and EXTENDED in src/assess/assess.c. */
#define REOPENED                                                                                   \
    "EXISTS (SELECT 1 FROM case_events x WHERE x.case_id = c.id"                                   \
    " AND x.action IN ('reopen', 'send_back'))"
#define REPEATED "EXISTS (SELECT 1 FROM case_repeats rp WHERE rp.case_id = c.id)"
#define EXTENDED "EXISTS (SELECT 1 FROM case_events x WHERE x.case_id = c.id AND x.action = 'approve'" \
                 " AND x.payload LIKE '%\"request\":\"extend\"%')"
/* One row per fact with its key and counts; CASE_F, EV_F and E_F restrict it to one case. */
#define FACTS(CASE_F, EV_F, E_F)                                                                   \
    "SELECT " DAY_OF("c.dispatched_at") " AS day, coalesce(c.lead_department_id, 0) AS dept,"       \
    " coalesce(c.region_id, 0) AS rid, coalesce(c.region_code, '') AS rcode, 0 AS pa, 0 AS na,"   \
    " 1 AS dis, CASE WHEN c.replied_at IS NOT NULL THEN 1 ELSE 0 END AS rep,"                      \
    " CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END AS clo,"                                 \
    " CASE WHEN c.replied_at IS NULL THEN 1 ELSE 0 END AS unr,"                                    \
    " CASE WHEN c.replied_at IS NOT NULL AND c.replied_at <= c.resolve_deadline THEN 1 ELSE 0 END" \
    " AS ont,"                                                                                     \
    " CASE WHEN c.overdue <> 0 OR EXISTS (SELECT 1 FROM case_events u WHERE u.case_id = c.id"      \
    " AND u.action = 'urge' AND u.actor_id IS NULL) THEN 1 ELSE 0 END AS ovd,"                     \
    " CASE WHEN c.rectify_round > 0 THEN 1 ELSE 0 END AS rct, 0 AS asg, 0 AS ret,"                 \
    " 0 AS evn, 0 AS ect, 0 AS eso, 0 AS esa, 0 AS eba, 0 AS eun,"                                 \
    " CASE WHEN c.signed_at IS NOT NULL THEN 1 ELSE 0 END AS sig,"                                 \
    " CASE WHEN c.signed_at IS NOT NULL AND c.sign_late = 0 THEN 1 ELSE 0 END AS sgo,"             \
    " CASE WHEN c.rectify_round > 0 AND c.replied_at IS NOT NULL THEN 1 ELSE 0 END AS rcd,"        \
    " CASE WHEN c.rectify_round > 0 OR " REOPENED " THEN 1 ELSE 0 END AS rwk,"                     \
    " CASE WHEN c.replied_at IS NOT NULL OR c.rectify_round > 0 OR " REOPENED                      \
    " THEN 1 ELSE 0 END AS rpe,"                                                                   \
    " CASE WHEN " EXTENDED " THEN 1 ELSE 0 END AS ext, 0 AS ans,"                                  \
    " CASE WHEN " REPEATED " THEN 1 ELSE 0 END AS rpt"                                             \
    " FROM cases c WHERE c.dispatched_at IS NOT NULL AND c.state <> 'merged'" CASE_F               \
    " UNION ALL SELECT " DAY_OF("ev.at") ", coalesce(ev.department_id, 0),"                        \
    " coalesce(c.region_id, 0), coalesce(c.region_code, ''), 0, 0, 0, 0, 0, 0, 0, 0, 0,"          \
    " CASE WHEN ev.action IN ('dispatch', 'redispatch') THEN 1 ELSE 0 END,"                        \
    " CASE WHEN ev.action = 'return' THEN 1 ELSE 0 END, 0, 0, 0, 0, 0, 0,"                         \
    " 0, 0, 0, 0, 0, 0, CASE WHEN ev.action = 'answer' THEN 1 ELSE 0 END, 0"                       \
    " FROM case_events ev JOIN cases c ON c.id = ev.case_id"                                       \
    " WHERE ev.action IN ('dispatch', 'redispatch', 'return', 'answer')" EV_F                      \
    " UNION ALL SELECT " DAY_OF("e.at") ", coalesce(e.department_id, 0),"                          \
    " coalesce((SELECT rg.id FROM regions rg WHERE rg.code = e.region_code), 0),"                  \
    " coalesce(e.region_code, ''),"                                                                \
    " coalesce((SELECT max(l.at) FROM case_evaluations l WHERE l.case_id = e.case_id"              \
    " AND l.valid <> 0 AND (l.round > e.round OR (l.round = e.round AND l.id > e.id))"             \
    " AND l.at < e.at), 0),"                                                                       \
    " coalesce((SELECT min(l.at) FROM case_evaluations l WHERE l.case_id = e.case_id"              \
    " AND l.valid <> 0 AND (l.round > e.round OR (l.round = e.round AND l.id > e.id))"             \
    " AND l.at >= e.at), 0),"                                                                      \
    " 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, CASE WHEN e.contacted <> 0 THEN 1 ELSE 0 END,"                 \
    " CASE WHEN e.solved <> 0 THEN 1 ELSE 0 END,"                                                  \
    " CASE WHEN e.satisfaction = 'satisfied' THEN 1 ELSE 0 END,"                                   \
    " CASE WHEN e.satisfaction = 'basically_satisfied' THEN 1 ELSE 0 END,"                         \
    " CASE WHEN e.satisfaction = 'unsatisfied' THEN 1 ELSE 0 END,"                                 \
    " 0, 0, 0, 0, 0, 0, 0, 0"                                                                      \
    " FROM case_evaluations e WHERE e.valid <> 0" E_F

/* The facts summed per key, once per level (0 all regions; 1..4 the located region's ancestor
 * at district, street, community, grid, or the region itself when it is above that level:
 * migration 0019; a case located in a micro-grid counts at its grid and above), times the bound sign, added to the table. */
#define AT_LEVEL(g, col, zero)                                                                     \
    "CASE WHEN v.lvl = 0 THEN " zero " WHEN g0.level = v.name THEN x." col                         \
    " WHEN g1.level = v.name THEN g1." g " WHEN g2.level = v.name THEN g2." g                      \
    " WHEN g3.level = v.name THEN g3." g " WHEN g4.level = v.name THEN g4." g                      \
    " ELSE x." col " END"
#define SUM_COL(col) " " col " = assess_daily." col " + excluded." col
#define UPSERT(CASE_F, EV_F, E_F)                                                                  \
    "INSERT INTO assess_daily(day, lvl, dept_id, region_id, region_code, prev_at, next_at,"        \
    " dispatched, replied, closed, unreplied, on_time, overdue, rectified, assigned, returns,"     \
    " evaluations, contacted, solved, satisfied, basically, unsatisfied,"                          \
    " signed_cases, signed_on_time, rectify_done, reworked, replied_ever, extended, answered,"     \
    " repeated)"                                                                                   \
    " SELECT x.day, v.lvl, x.dept, " AT_LEVEL("id", "rid", "0") ","                                \
    " " AT_LEVEL("code", "rcode", "''") ", x.pa, x.na,"                                            \
    " sum(x.dis) * ?, sum(x.rep) * ?, sum(x.clo) * ?, sum(x.unr) * ?, sum(x.ont) * ?,"             \
    " sum(x.ovd) * ?, sum(x.rct) * ?, sum(x.asg) * ?, sum(x.ret) * ?, sum(x.evn) * ?,"             \
    " sum(x.ect) * ?, sum(x.eso) * ?, sum(x.esa) * ?, sum(x.eba) * ?, sum(x.eun) * ?,"             \
    " sum(x.sig) * ?, sum(x.sgo) * ?, sum(x.rcd) * ?, sum(x.rwk) * ?, sum(x.rpe) * ?,"             \
    " sum(x.ext) * ?, sum(x.ans) * ?, sum(x.rpt) * ?"                                              \
    " FROM (" FACTS(CASE_F, EV_F, E_F) ") x LEFT JOIN regions g0 ON g0.id = x.rid"                 \
    " LEFT JOIN regions g1 ON g1.id = g0.parent_id LEFT JOIN regions g2 ON g2.id = g1.parent_id"   \
    " LEFT JOIN regions g3 ON g3.id = g2.parent_id LEFT JOIN regions g4 ON g4.id = g3.parent_id"   \
    " CROSS JOIN (SELECT 0 AS lvl, '' AS name UNION ALL SELECT 1, 'district'"                      \
    " UNION ALL SELECT 2, 'street' UNION ALL SELECT 3, 'community' UNION ALL SELECT 4, 'grid') v"  \
    " WHERE 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6, 7"                                                    \
    " ON CONFLICT (lvl, day, dept_id, region_id, region_code, prev_at, next_at) DO UPDATE SET"     \
    SUM_COL("dispatched") "," SUM_COL("replied") "," SUM_COL("closed") "," SUM_COL("unreplied") "," \
    SUM_COL("on_time") "," SUM_COL("overdue") "," SUM_COL("rectified") "," SUM_COL("assigned") "," \
    SUM_COL("returns") "," SUM_COL("evaluations") "," SUM_COL("contacted") "," SUM_COL("solved") "," \
    SUM_COL("satisfied") "," SUM_COL("basically") "," SUM_COL("unsatisfied") ","                  \
    SUM_COL("signed_cases") "," SUM_COL("signed_on_time") "," SUM_COL("rectify_done") ","          \
    SUM_COL("reworked") "," SUM_COL("replied_ever") "," SUM_COL("extended") "," SUM_COL("answered") ","   \
    SUM_COL("repeated")

/* clang-format on */

/* The sign, once per summed column of UPSERT. */
#define SIGN7(s)                                                                                   \
    store_i64(s), store_i64(s), store_i64(s), store_i64(s), store_i64(s), store_i64(s), store_i64(s)
#define SIGN23(s) SIGN7(s), SIGN7(s), SIGN7(s), store_i64(s), store_i64(s)

static int apply(struct store_conn *c, int64_t case_id, int64_t sign, struct err *err)
{
    int64_t rc = store_run(
        c, UPSERT(" AND c.id = ?", " AND ev.case_id = ?", " AND e.case_id = ?"),
        STORE_ARGS(SIGN23(sign), store_i64(case_id), store_i64(case_id), store_i64(case_id)), err);
    return rc < 0 ? (int)rc : 0;
}

int case_tx_touch(struct case_tx *t, int64_t case_id)
{
    for (size_t i = 0; i < t->ntouched; i++)
        if (t->touched[i] == case_id)
            return 0;
    if (t->ntouched == t->captouched) {
        size_t cap = t->captouched ? 2 * t->captouched : 8;
        int64_t *v = arena_alloc(&t->arena, mem_size_mul(cap, sizeof(*v)));
        if (t->ntouched)
            memcpy(v, t->touched, t->ntouched * sizeof(*v));
        t->touched = v;
        t->captouched = cap;
    }
    t->touched[t->ntouched++] = case_id;
    return apply(t->env->conn, case_id, -1, t->err);
}

int case_tx_settle(struct case_tx *t)
{
    int rc;
    for (size_t i = 0; i < t->ntouched; i++)
        if ((rc = apply(t->env->conn, t->touched[i], 1, t->err)) < 0)
            return rc;
    t->ntouched = 0;
    return 0;
}

/* Cases summed per statement when rebuilding: one statement over ten million cases sorted
 * ~100 million fact rows in memory (20 GB and rising when it was stopped); a range of ids at a
 * time keeps the sort small, and the upsert adds the ranges together. */
#define REBUILD_CHUNK 50000

int case_rollup_rebuild(struct store_conn *c, struct err *err)
{
    int64_t rc, max_id = 0;
    if ((rc = store_begin(c, err)) < 0)
        return (int)rc;
    if ((rc = store_run(c, "DELETE FROM assess_daily", STORE_NO_ARGS, err)) < 0 ||
        (rc = store_one_i64(c, "SELECT coalesce(max(id), 0) FROM cases", STORE_NO_ARGS, &max_id,
                            err)) < 0)
        goto fail;
    for (int64_t lo = 0; lo <= max_id; lo += REBUILD_CHUNK) {
        int64_t hi = lo + REBUILD_CHUNK;
        if ((rc = store_run(c,
                            UPSERT(" AND c.id >= ? AND c.id < ?",
                                   " AND ev.case_id >= ? AND ev.case_id < ?",
                                   " AND e.case_id >= ? AND e.case_id < ?"),
                            STORE_ARGS(SIGN23(1), store_i64(lo), store_i64(hi), store_i64(lo),
                                       store_i64(hi), store_i64(lo), store_i64(hi)),
                            err)) < 0)
            goto fail;
    }
    if ((rc = store_run(c, "UPDATE assess_rollup_state SET built = 1", STORE_NO_ARGS, err)) < 0)
        goto fail;
    return store_commit(c, err);
fail:
    store_rollback(c);
    return (int)rc;
}

int case_rollup_built(struct store_conn *c, int *built, struct err *err)
{
    int64_t v = 0;
    int rc = store_one_i64(c, "SELECT built FROM assess_rollup_state", STORE_NO_ARGS, &v, err);
    if (rc < 0)
        return rc;
    *built = rc == 1 && v != 0;
    return 0;
}
