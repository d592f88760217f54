/*
 * The overdue sweeper: one urge per working day a case is past its resolve deadline,
 * escalation from the second, each case in its own transaction.
 */
#include <string.h>

#include "cal/cal.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

int case_sweep(const struct case_env *env, struct case_sweep_report *rep, struct err *err)
{
    struct store_conn *c = env->conn;
    struct store_stmt *s;
    int64_t ids[256];
    int n = 0, rc;
    memset(rep, 0, sizeof(*rep));
    rc = store_prepare(
        c,
        "SELECT id FROM cases WHERE closed_at IS NULL AND paused_at IS NULL AND resolve_deadline IS NOT NULL"
        " AND resolve_deadline < ? AND state IN ('dispatched', 'returned', 'processing', 'rectifying')"
        " ORDER BY resolve_deadline LIMIT 256",
        STORE_ARGS(store_i64(env->now)), &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1 && n < 256)
        ids[n++] = store_col_int(s, 0);
    store_done(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct case_tx t = {env, {0}, err, NULL, 0, 0};
        struct case_rec r;
        int64_t ev;
        arena_init(&t.arena, 2048);
        rep->checked++;
        if ((rc = store_begin(c, err)) < 0)
            goto next;
        if ((rc = case_get(c, ids[i], &t.arena, &r, err)) < 0)
            goto undo;
        /* Level = working days overdue, counting the first (partial) one: one urge per level. */
        int level = 1;
        int64_t step;
        int64_t stored = 0;
        while (level < 60 &&
               cal_add(env->cal, r.resolve_deadline, level, CAL_WORK_DAYS, &step, NULL) == 0 &&
               step <= env->now)
            level++;
        if ((rc = store_one_i64(c, "SELECT overdue_level FROM cases WHERE id = ?",
                                STORE_ARGS(store_i64(r.id)), &stored, err)) < 0)
            goto undo;
        if (level <= stored) {
            store_rollback(c);
            goto next;
        }
        int escalate = level >= 2 && !r.escalated;
        char *note = arena_printf(&t.arena, "超期 %d 个工作日，系统催办", level);
        if ((rc = case_tx_touch(&t, r.id)) < 0 ||
            (rc = case_tx_event(&t, r.id, "urge", case_state_name(r.state),
                                case_state_name(r.state), r.lead_department_id, note,
                                arena_printf(&t.arena, "{\"overdue_level\":%d}", level), &ev)) <
                0 ||
            (rc = case_tx_exec(
                 &t,
                 "UPDATE cases SET overdue = 1, overdue_level = ?, urge_count = urge_count + 1, escalated = CASE WHEN escalated <> 0 OR ? <> 0 THEN 1 ELSE 0 END,"
                 " version = version + 1, updated_at = ? WHERE id = ?",
                 STORE_ARGS(store_i64(level), store_i64(escalate), store_i64(env->now),
                            store_i64(r.id)))) < 0 ||
            (rc = case_tx_notify(&t, r.id, ev, "department", r.lead_department_id, "overdue",
                                 arena_printf(&t.arena, "工单 %s 已超期，请尽快办理", r.number))) <
                0)
            goto undo;
        if (!r.overdue)
            rep->newly_overdue++;
        rep->urged++;
        if (escalate) {
            if ((rc = case_tx_event(&t, r.id, "escalate", case_state_name(r.state),
                                    case_state_name(r.state), r.lead_department_id,
                                    "超期未办结，升级督办", "{}", &ev)) < 0 ||
                (rc = case_tx_notify(&t, r.id, ev, "supervisors", 0, "escalated",
                                     arena_printf(&t.arena, "工单 %s 超期升级", r.number))) < 0)
                goto undo;
            rep->escalated++;
        }
        if ((rc = case_tx_audit(&t, "overdue", r.id, NULL,
                                arena_printf(&t.arena, "{\"overdue_level\":%d}", level))) < 0 ||
            (rc = case_tx_settle(&t)) < 0)
            goto undo;
        rc = store_commit(c, err);
        goto next;
undo:
        store_rollback(c);
next:
        arena_release(&t.arena);
        if (rc < 0)
            return rc;
    }
    /* 协办单 past their limits (case_assist.c). */
    int told = 0;
    if ((rc = case_assist_sweep(env, &told, err)) < 0)
        return rc;
    /* Grid tasks past their due time (case_grid.c). */
    return case_task_sweep(env, &rep->grid_tasks_overdue, &rep->grid_tasks_escalated, err);
}
