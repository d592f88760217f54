/*
 * The actions of the loop: one transaction per action that checks it, updates the cases row,
 * appends the event, queues the notifications it causes, follows merged duplicates and
 * appends the audit entry; a failure anywhere rolls all of it back.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"

static int rectify_hours(struct case_tx *t, const struct case_rec *r, int *hours)
{
    int64_t own = 0;
    struct org_sla sla;
    int rc;
    *hours = t->env->cfg->rectify_hours_general;
    if (!r->category_id)
        return 0;
    if ((rc = store_query_int(t->env->conn, &own, t->err, "SELECT coalesce(rectify_hours, 0) FROM categories WHERE id = ?",
                              "i", r->category_id)) < 0)
        return rc;
    if (own > 0) {
        *hours = (int)own;
        return 0;
    }
    /* "Complex" classes are those whose resolve limit is over five working days. */
    if (org_category_sla(t->env->conn, r->category_id, &sla, NULL, t->err) == 0 &&
        ((sla.unit == CAL_WORK_DAYS && sla.resolve > 5) || (sla.unit == CAL_WORK_HOURS && sla.resolve > 35) ||
         (sla.unit == CAL_HOURS && sla.resolve > 120)))
        *hours = t->env->cfg->rectify_hours_complex;
    err_clear(t->err);
    return 0;
}

static int set_state(struct case_tx *t, const struct case_rec *r, enum case_state to)
{
    return case_tx_exec(t, "UPDATE cases SET state = ?, version = version + 1, updated_at = ? WHERE id = ?", "tii",
                case_state_name(to), t->env->now, r->id);
}

static int need_note(struct case_tx *t, const struct case_action_in *in, const char *what)
{
    if (!in->note || !*in->note)
        return err_field(t->err, ERR_BAD_REQUEST, "note", "action '%s' needs a 'note' (%s)", case_action_name(in->action), what);
    return case_check_text(in->note, "note", 1, CASE_NOTE_MAX, t->err);
}

static int check_department(struct case_tx *t, int64_t id, const char *field)
{
    struct org_department d;
    int rc = org_department_get(t->env->conn, id, &t->arena, &d, t->err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !d.active))
        return err_field(t->err, ERR_BAD_REQUEST, field, "department %lld does not exist or is inactive", (long long)id);
    return rc;
}

/* Dispatch and re-dispatch: lead and assisting departments, category, fresh deadlines. */
static int dispatch(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in, int64_t *category_id)
{
    struct org_sla sla;
    int64_t sign, reply, resolve;
    int rc;
    if (!in->department_id)
        return err_field(t->err, ERR_BAD_REQUEST, "department", "action '%s' needs a 'department' (id)", case_action_name(in->action));
    if ((rc = check_department(t, in->department_id, "department")) < 0)
        return rc;
    if (in->action == CA_REDISPATCH && r->state == CASE_RETURNED && in->department_id == r->lead_department_id)
        return err_field(t->err, ERR_BAD_REQUEST, "department",
                         "the case was returned by this department; use 'reject_return' to send it back");
    if (in->nassisting > 8)
        return err_field(t->err, ERR_BAD_REQUEST, "assisting", "at most 8 assisting departments");
    for (int i = 0; i < in->nassisting; i++) {
        if (in->assisting[i] == in->department_id)
            return err_field(t->err, ERR_BAD_REQUEST, "assisting", "the lead department cannot also assist");
        if ((rc = check_department(t, in->assisting[i], "assisting")) < 0)
            return rc;
    }
    *category_id = in->category_id ? in->category_id : r->category_id;
    if (in->category_id) {
        struct org_category k;
        if ((rc = org_category_get(t->env->conn, in->category_id, &t->arena, &k, t->err)) < 0 || !k.active)
            return rc == 0 || rc == ERR_NOT_FOUND
                       ? err_field(t->err, ERR_BAD_REQUEST, "category", "category %lld does not exist or is inactive",
                                   (long long)in->category_id)
                       : rc;
    }
    if ((rc = case_sla_for(t, *category_id, r->urgency, &sla)) < 0 || (rc = case_deadline(t, sla.sign, sla.unit, &sign)) < 0 ||
        (rc = case_deadline(t, sla.reply, sla.unit, &reply)) < 0 || (rc = case_deadline(t, sla.resolve, sla.unit, &resolve)) < 0)
        return rc;
    if ((rc = case_tx_exec(t, "DELETE FROM case_departments WHERE case_id = ?", "i", r->id)) < 0 ||
        (rc = case_tx_exec(t, "INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'lead')", "ii", r->id,
                   in->department_id)) < 0)
        return rc;
    for (int i = 0; i < in->nassisting; i++)
        if ((rc = case_tx_exec(t, "INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'assist')"
                          " ON CONFLICT DO NOTHING", "ii", r->id, in->assisting[i])) < 0)
            return rc;
    /* A dispatcher who names the category classifies the case: a labelled example for the
     * next training, marked as a correction when triage had suggested something else. */
    if (in->category_id &&
        (rc = case_tx_exec(t, "INSERT INTO triage_examples(case_id, category_id, suggested_id, corrected, actor_id, at)"
                      " VALUES (?, ?, nullif(?, 0), ?, nullif(?, 0), ?)",
                   "iiidii", r->id, in->category_id, r->triage_category_id,
                   r->triage_category_id != 0 && r->triage_category_id != in->category_id, t->env->actor->user_id,
                   t->env->now)) < 0)
        return rc;
    return case_tx_exec(t,
                "UPDATE cases SET lead_department_id = ?, category_id = nullif(?, 0), sla_unit = ?, dispatched_at = ?,"
                " signed_at = NULL, sign_late = 0, sign_deadline = ?, reply_deadline = ?, resolve_deadline = ?,"
                " overdue = 0, overdue_level = 0, pending_request = NULL, pending_until = NULL WHERE id = ?",
                "iitiiiii", in->department_id, *category_id, cal_unit_name(sla.unit), t->env->now, sign, reply, resolve, r->id);
}

/* Unsatisfied evaluation or a supervisor's order: back to the same department, with a
 * rectification deadline, escalating after too many rounds. */
static int rectify(struct case_tx *t, const struct case_rec *r, int64_t event_id, int *escalated)
{
    int hours, rc;
    int64_t until;
    *escalated = 0;
    if ((rc = rectify_hours(t, r, &hours)) < 0 || (rc = cal_add(t->env->cal, t->env->now, (int64_t)hours * 60, CAL_HOURS, &until, t->err)) < 0)
        return rc;
    int round = r->rectify_round + 1;
    *escalated = round > t->env->cfg->rectify_rounds && !r->escalated;
    if ((rc = case_tx_exec(t,
                   "UPDATE cases SET rectify_round = ?, resolve_deadline = ?, reply_deadline = ?, overdue = 0, overdue_level = 0,"
                   " replied_at = NULL, closed_at = NULL, escalated = escalated OR ? WHERE id = ?",
                   "diidi", round, until, until, *escalated, r->id)) < 0 ||
        (rc = case_tx_notify(t, r->id, event_id, "department", r->lead_department_id, "rectify",
                     arena_printf(&t->arena, "工单 %s 需整改（第%d轮），时限 %d 小时", r->number, round, hours))) < 0)
        return rc;
    return 0;
}

/* Merged duplicates follow their master's reply and closure. */
static int propagate(struct case_tx *t, const struct case_rec *master, const char *action, enum case_state final_state)
{
    struct store_stmt *s;
    int64_t ids[64];
    int n = 0, rc = store_query(t->env->conn, &s, t->err, "SELECT id FROM cases WHERE master_id = ? AND state = 'merged' LIMIT 64",
                                "i", master->id);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, t->err)) == 1 && n < 64)
        ids[n++] = store_col_int(s, 0);
    store_done(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        int64_t ev;
        const char *to = final_state == CASE_CLOSED ? "closed" : "merged";
        char *note = arena_printf(&t->arena, "随主工单 %s %s", master->number, final_state == CASE_CLOSED ? "归档" : "办结");
        if ((rc = case_tx_event(t, ids[i], action, "merged", to, master->lead_department_id, note, "{}", &ev)) < 0 ||
            (rc = case_tx_exec(t, "UPDATE cases SET state = ?, version = version + 1, updated_at = ?, closed_at = CASE WHEN ? = 'closed'"
                          " THEN ? ELSE closed_at END, replied_at = coalesce(replied_at, ?) WHERE id = ?",
                       "titiii", to, t->env->now, to, t->env->now, t->env->now, ids[i])) < 0)
            return rc;
    }
    return 0;
}

static int check_actor(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in)
{
    const struct case_actor *a = t->env->actor;
    unsigned roles = case_action_roles(in->action);
    if (!(a->roles & (roles | ROLE_ADMIN))) {
        char need[128];
        auth_roles_format(roles, need, sizeof(need));
        return err_field(t->err, ERR_FORBIDDEN, "action", "action '%s' needs one of the roles %s", case_action_name(in->action), need);
    }
    if (!case_visible(a, r))
        return err_set(t->err, ERR_FORBIDDEN, "case %s is outside your scope", r->number);
    int dept_bound = in->action == CA_SIGN || in->action == CA_RETURN || in->action == CA_EXTEND ||
                     in->action == CA_HANG || in->action == CA_REPLY ||
                     (in->action == CA_RESUME && !(a->roles & (ROLE_SUPERVISOR | ROLE_ADMIN)));
    if (dept_bound && !(a->roles & ROLE_ADMIN) && !case_actor_in_departments(a, r->lead_department_id))
        return err_set(t->err, ERR_FORBIDDEN, "only the lead department (%s) may %s this case",
                       r->lead_department_name ? r->lead_department_name : "none", case_action_name(in->action));
    if (in->action == CA_EVALUATE && !(a->roles & (ROLE_OPERATOR | ROLE_ADMIN)) && r->created_by != a->user_id)
        return err_set(t->err, ERR_FORBIDDEN, "citizens may only evaluate their own cases");
    if (in->action == CA_COMMENT && (a->roles & ROLE_HANDLER) &&
        !(a->roles & (ROLE_OPERATOR | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN)) && !case_visible(a, r))
        return err_set(t->err, ERR_FORBIDDEN, "case %s is outside your scope", r->number);
    return 0;
}

int case_act(const struct case_env *env, int64_t id, const struct case_action_in *in, struct err *err)
{
    struct case_tx t = {env, {0}, err};
    struct store_conn *c = env->conn;
    struct case_rec r, after;
    enum case_state to;
    int64_t event_id = 0, dept = 0, category_id = 0;
    int rc, outcome = 0, escalated = 0;
    const char *note = in->note;
    char *payload = "{}";

    arena_init(&t.arena, 4096);
    if ((unsigned)in->action >= CASE_ACTION_COUNT) {
        rc = err_field(err, ERR_BAD_REQUEST, "action", "unknown action");
        goto out;
    }
    if (in->note && (rc = case_check_text(in->note, "note", 0, CASE_NOTE_MAX, err)) < 0)
        goto out;
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    if ((rc = case_get(c, id, &t.arena, &r, err)) < 0 || (rc = check_actor(&t, &r, in)) < 0)
        goto rollback;
    if (in->version != r.version) {
        rc = err_field(err, ERR_CONFLICT, "version",
                       "case %s has changed since you loaded it (now version %lld, you sent %lld); reload and retry",
                       r.number, (long long)r.version, (long long)in->version);
        goto rollback;
    }
    if (in->action == CA_EVALUATE)
        outcome = in->satisfaction == CS_UNSATISFIED;
    if (in->action == CA_APPROVE)
        outcome = r.pending_request && strcmp(r.pending_request, "hang") == 0;
    if ((rc = case_transition(r.state, in->action, outcome, &to, err)) < 0)
        goto rollback;
    dept = r.lead_department_id;

    switch (in->action) {
    case CA_ANSWER:
        if ((rc = need_note(&t, in, "the answer given")) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET replied_at = ?, closed_at = ? WHERE id = ?", "iii", env->now, env->now, id)) < 0)
            goto rollback;
        break;
    case CA_DISPATCH:
    case CA_REDISPATCH:
        if ((rc = dispatch(&t, &r, in, &category_id)) < 0)
            goto rollback;
        dept = in->department_id;
        payload = arena_printf(&t.arena, "{\"department\":%lld,\"assisting\":%d,\"category\":%lld}",
                               (long long)in->department_id, in->nassisting, (long long)category_id);
        break;
    case CA_REJECT_RETURN: {
        struct org_sla sla;
        int64_t sign;
        if ((rc = need_note(&t, in, "why the department must handle it")) < 0 ||
            (rc = case_sla_for(&t, r.category_id, r.urgency, &sla)) < 0 || (rc = case_deadline(&t, sla.sign, sla.unit, &sign)) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET sign_deadline = ?, signed_at = NULL WHERE id = ?", "ii", sign, id)) < 0)
            goto rollback;
        break;
    }
    case CA_SIGN:
        if ((rc = case_tx_exec(&t, "UPDATE cases SET signed_at = ?, sign_late = ? WHERE id = ?", "idi", env->now,
                       r.sign_deadline && env->now > r.sign_deadline, id)) < 0)
            goto rollback;
        if (r.sign_deadline && env->now > r.sign_deadline)
            payload = "{\"late\":true}";
        break;
    case CA_RETURN:
        if ((rc = need_note(&t, in, "why the case is not yours")) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET return_count = return_count + 1 WHERE id = ?", "i", id)) < 0)
            goto rollback;
        break;
    case CA_EXTEND:
        if ((rc = need_note(&t, in, "the reason for the extension")) < 0)
            goto rollback;
        if (r.pending_request) {
            rc = err_set(err, ERR_CONFLICT, "a '%s' request is already waiting for a supervisor", r.pending_request);
            goto rollback;
        }
        if (!r.resolve_deadline || env->now >= r.resolve_deadline) {
            rc = err_set(err, ERR_CONFLICT, "an extension must be requested before the deadline");
            goto rollback;
        }
        if (in->until <= r.resolve_deadline) {
            rc = err_field(err, ERR_BAD_REQUEST, "until", "the new deadline must be later than the current one");
            goto rollback;
        }
        if ((rc = case_tx_exec(&t, "UPDATE cases SET pending_request = 'extend', pending_until = ? WHERE id = ?", "ii", in->until, id)) < 0)
            goto rollback;
        payload = arena_printf(&t.arena, "{\"until\":%lld}", (long long)in->until);
        break;
    case CA_HANG:
        if ((rc = need_note(&t, in, "why it cannot be solved now")) < 0)
            goto rollback;
        if (r.pending_request) {
            rc = err_set(err, ERR_CONFLICT, "a '%s' request is already waiting for a supervisor", r.pending_request);
            goto rollback;
        }
        if ((rc = case_tx_exec(&t, "UPDATE cases SET pending_request = 'hang' WHERE id = ?", "i", id)) < 0)
            goto rollback;
        break;
    case CA_APPROVE:
    case CA_DENY:
        if (!r.pending_request) {
            rc = err_set(err, ERR_CONFLICT, "there is no extension or 挂账 request to %s", case_action_name(in->action));
            goto rollback;
        }
        if (in->action == CA_DENY && (rc = need_note(&t, in, "why the request is denied")) < 0)
            goto rollback;
        payload = arena_printf(&t.arena, "{\"request\":\"%s\"}", r.pending_request);
        if (in->action == CA_APPROVE && !outcome) {
            rc = case_tx_exec(&t, "UPDATE cases SET resolve_deadline = pending_until, overdue = 0, overdue_level = 0 WHERE id = ?", "i", id);
        } else if (in->action == CA_APPROVE) {
            int64_t remaining = r.resolve_deadline > env->now
                                    ? (strcmp(r.sla_unit, "hours") == 0 ? r.resolve_deadline - env->now
                                                                        : cal_work_seconds_between(env->cal, env->now, r.resolve_deadline))
                                    : 0;
            rc = case_tx_exec(&t, "UPDATE cases SET paused_at = ?, paused_remaining = ? WHERE id = ?", "iii", env->now, remaining, id);
        } else {
            rc = 0;
        }
        if (rc < 0 || (rc = case_tx_exec(&t, "UPDATE cases SET pending_request = NULL, pending_until = NULL WHERE id = ?", "i", id)) < 0)
            goto rollback;
        break;
    case CA_RESUME: {
        int64_t remaining = 0, until;
        if ((rc = store_query_int(c, &remaining, err, "SELECT coalesce(paused_remaining, 0) FROM cases WHERE id = ?", "i", id)) < 0)
            goto rollback;
        enum cal_unit unit = strcmp(r.sla_unit, "hours") == 0 ? CAL_HOURS : CAL_WORK_HOURS;
        if ((rc = cal_add(env->cal, env->now, (remaining + 59) / 60, unit, &until, err)) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET paused_at = NULL, paused_remaining = NULL, resolve_deadline = ? WHERE id = ?", "ii",
                       until, id)) < 0)
            goto rollback;
        break;
    }
    case CA_URGE:
        if ((rc = case_tx_exec(&t, "UPDATE cases SET urge_count = urge_count + 1 WHERE id = ?", "i", id)) < 0)
            goto rollback;
        break;
    case CA_REPLY:
        if ((rc = case_check_text(in->result, "result", 1, CASE_RESULT_MAX, err)) < 0)
            goto rollback;
        if (in->contacted < 0 || in->solved < 0) {
            rc = err_field(err, ERR_BAD_REQUEST, in->contacted < 0 ? "contacted" : "solved",
                           "a reply says whether the citizen was contacted and whether the problem is solved");
            goto rollback;
        }
        note = in->result;
        payload = arena_printf(&t.arena, "{\"contacted\":%s,\"solved\":%s}", in->contacted ? "true" : "false",
                               in->solved ? "true" : "false");
        if ((rc = case_tx_exec(&t, "UPDATE cases SET replied_at = ?, reply_contacted = ?, reply_solved = ? WHERE id = ?", "iddi", env->now,
                       in->contacted, in->solved, id)) < 0)
            goto rollback;
        break;
    case CA_EVALUATE: {
        if (in->satisfaction == CS_NONE) {
            rc = err_field(err, ERR_BAD_REQUEST, "satisfaction", "field 'satisfaction' must be satisfied, basically_satisfied or unsatisfied");
            goto rollback;
        }
        int contacted = in->contacted >= 0 ? in->contacted : (r.reply_contacted > 0);
        int solved = in->solved >= 0 ? in->solved : (r.reply_solved > 0);
        int by_citizen = !(env->actor->roles & ROLE_OPERATOR) && r.created_by == env->actor->user_id;
        payload = arena_printf(&t.arena, "{\"satisfaction\":\"%s\",\"contacted\":%s,\"solved\":%s}",
                               case_satisfaction_name(in->satisfaction), contacted ? "true" : "false", solved ? "true" : "false");
        if ((rc = case_tx_exec(&t,
                       "INSERT INTO case_evaluations(case_id, round, department_id, region_code, at, contacted, solved, satisfaction,"
                       " by_citizen, comment) VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?)",
                       "iditiddtdt", id, r.rectify_round, r.lead_department_id, r.region_code, env->now, contacted, solved,
                       case_satisfaction_name(in->satisfaction), by_citizen, in->note ? in->note : "")) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET satisfaction = ?, closed_at = CASE WHEN ? THEN NULL ELSE ? END WHERE id = ?", "tdii",
                       case_satisfaction_name(in->satisfaction), outcome, env->now, id)) < 0)
            goto rollback;
        break;
    }
    case CA_RECTIFY:
        if ((rc = need_note(&t, in, "what must be put right")) < 0)
            goto rollback;
        break;
    case CA_MERGE: {
        struct case_rec m;
        if (!in->master_id || in->master_id == id) {
            rc = err_field(err, ERR_BAD_REQUEST, "master", "field 'master' must name another case");
            goto rollback;
        }
        if ((rc = case_get(c, in->master_id, &t.arena, &m, err)) < 0) {
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "master", "case %lld does not exist", (long long)in->master_id);
            goto rollback;
        }
        if (case_state_is_final(m.state)) {
            rc = err_field(err, ERR_CONFLICT, "master", "case %s is %s and cannot take duplicates", m.number, case_state_name(m.state));
            goto rollback;
        }
        int64_t ev;
        if ((rc = case_tx_exec(&t, "UPDATE cases SET master_id = ? WHERE id = ?", "ii", m.id, id)) < 0 ||
            (rc = case_tx_event(&t, m.id, "merge_in", case_state_name(m.state), case_state_name(m.state), m.lead_department_id,
                            arena_printf(&t.arena, "并入重复工单 %s", r.number), "{}", &ev)) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?", "ii", env->now, m.id)) < 0)
            goto rollback;
        payload = arena_printf(&t.arena, "{\"master\":%lld,\"master_number\":\"%s\"}", (long long)m.id, m.number);
        break;
    }
    case CA_CLOSE:
    case CA_CANCEL:
        if ((rc = need_note(&t, in, in->action == CA_CLOSE ? "why it closes without evaluation" : "why it is void")) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET closed_at = ? WHERE id = ?", "ii", env->now, id)) < 0)
            goto rollback;
        break;
    case CA_REOPEN: {
        struct org_sla sla;
        int64_t resolve;
        if ((rc = need_note(&t, in, "why the case is reopened")) < 0)
            goto rollback;
        if (!r.lead_department_id) {
            rc = err_set(err, ERR_CONFLICT, "case %s was never dispatched; there is no department to reopen it to", r.number);
            goto rollback;
        }
        if ((rc = case_sla_for(&t, r.category_id, r.urgency, &sla)) < 0 || (rc = case_deadline(&t, sla.resolve, sla.unit, &resolve)) < 0 ||
            (rc = case_tx_exec(&t, "UPDATE cases SET closed_at = NULL, resolve_deadline = ?, overdue = 0, overdue_level = 0,"
                           " satisfaction = NULL WHERE id = ?",
                       "ii", resolve, id)) < 0)
            goto rollback;
        break;
    }
    case CA_COMMENT:
        if ((rc = need_note(&t, in, "the comment")) < 0)
            goto rollback;
        break;
    case CASE_ACTION_COUNT:
        break;
    }

    if ((rc = set_state(&t, &r, to)) < 0 ||
        (rc = case_tx_event(&t, id, case_action_name(in->action), case_state_name(r.state), case_state_name(to), dept, note, payload,
                        &event_id)) < 0)
        goto rollback;

    /* What follows from the new state: rectification, notifications, merged duplicates. */
    if ((in->action == CA_EVALUATE && outcome) || in->action == CA_RECTIFY) {
        if ((rc = rectify(&t, &r, event_id, &escalated)) < 0)
            goto rollback;
        /* The evaluate event already moved the case replied → rectifying; this one records the
         * reopening within that state, so the timeline stays a chain of from/to. */
        if (in->action == CA_EVALUATE &&
            (rc = case_tx_event(&t, id, "rectify", "rectifying", "rectifying", dept, "市民不满意，退回原承办单位整改", "{}",
                            &event_id)) < 0)
            goto rollback;
        if (escalated &&
            ((rc = case_tx_event(&t, id, "escalate", "rectifying", "rectifying", dept, "多轮整改仍不满意，升级督办", "{}", &event_id)) < 0 ||
             (rc = case_tx_notify(&t, id, event_id, "supervisors", 0, "escalated", arena_printf(&t.arena, "工单 %s 多轮整改未满意，请督办", r.number))) < 0))
            goto rollback;
    }
    switch (in->action) {
    case CA_DISPATCH:
    case CA_REDISPATCH:
    case CA_REJECT_RETURN:
        rc = case_tx_notify(&t, id, event_id, "department", dept, "dispatched", arena_printf(&t.arena, "新派工单 %s：%s", r.number, r.title));
        for (int i = 0; rc == 0 && in->action != CA_REJECT_RETURN && i < in->nassisting; i++)
            rc = case_tx_notify(&t, id, event_id, "department", in->assisting[i], "assist", arena_printf(&t.arena, "协办工单 %s", r.number));
        break;
    case CA_RETURN:
        rc = case_tx_notify(&t, id, event_id, "dispatchers", 0, "returned", arena_printf(&t.arena, "工单 %s 被退回：%s", r.number, in->note));
        break;
    case CA_EXTEND:
    case CA_HANG:
        rc = case_tx_notify(&t, id, event_id, "supervisors", 0, "approval", arena_printf(&t.arena, "工单 %s 申请%s", r.number,
                                                                                 in->action == CA_EXTEND ? "延期" : "挂账"));
        break;
    case CA_APPROVE:
    case CA_DENY:
    case CA_URGE:
        rc = case_tx_notify(&t, id, event_id, "department", dept, case_action_name(in->action),
                    arena_printf(&t.arena, "工单 %s：%s", r.number, in->action == CA_URGE ? "督办催办" : in->action == CA_APPROVE ? "申请已批准" : "申请被驳回"));
        break;
    case CA_REPLY:
        rc = r.created_by ? case_tx_notify(&t, id, event_id, "citizen", r.created_by, "replied", arena_printf(&t.arena, "您的诉求 %s 已办结，请评价", r.number)) : 0;
        if (rc == 0)
            rc = propagate(&t, &r, "follow_reply", CASE_MERGED);
        break;
    default:
        rc = 0;
    }
    if (rc < 0)
        goto rollback;
    if (to == CASE_CLOSED && (rc = propagate(&t, &r, "follow_close", CASE_CLOSED)) < 0)
        goto rollback;
    if ((rc = case_get(c, id, &t.arena, &after, err)) < 0 ||
        (rc = case_tx_audit(&t, case_action_name(in->action), id, case_tx_summary(&t, &r), case_tx_summary(&t, &after))) < 0)
        goto rollback;
    rc = store_commit(c, err);
    goto out;
rollback:
    store_rollback(c);
out:
    arena_release(&t.arena);
    return rc;
}

unsigned case_actions_available(const struct case_actor *actor, const struct case_rec *rec)
{
    unsigned mask = 0;
    for (int a = 0; a < CASE_ACTION_COUNT; a++) {
        enum case_state to;
        if (!(actor->roles & (case_action_roles((enum case_action)a) | ROLE_ADMIN)))
            continue;
        if (case_transition(rec->state, (enum case_action)a, 0, &to, NULL) < 0)
            continue;
        int dept_bound = a == CA_SIGN || a == CA_RETURN || a == CA_EXTEND || a == CA_HANG || a == CA_REPLY;
        if (dept_bound && !(actor->roles & ROLE_ADMIN) && !case_actor_in_departments(actor, rec->lead_department_id))
            continue;
        if ((a == CA_APPROVE || a == CA_DENY) && !rec->pending_request)
            continue;
        if ((a == CA_EXTEND || a == CA_HANG) && rec->pending_request)
            continue;
        if (a == CA_EVALUATE && !(actor->roles & (ROLE_OPERATOR | ROLE_ADMIN)) && rec->created_by != actor->user_id)
            continue;
        mask |= 1u << a;
    }
    return mask;
}
