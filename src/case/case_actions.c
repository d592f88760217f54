/*
 * What each action does beyond the state change, its event and its notification (all three the
 * dispatcher's, case_act.c, from the action's row in case_state.c). Each apply function runs inside
 * the action's transaction, after the action has been checked (roles, scope, binding, version, state,
 * pending request, note, required inputs), and before the event is written.
 */
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "gridw/gridw.h"
#include "kb/kb.h"
#include "org/org.h"
#include "notify/notify.h"
#include "store/store.h"
#include "triage/triage.h"

/* ---- outcomes: the branch of the actions that have one (reply's: case_review.c) ---- */

int case_outcome_unsatisfied(struct case_tx *t, const struct case_rec *r,
                             const struct case_action_in *in)
{
    (void)t;
    (void)r;
    return in->satisfaction == CS_UNSATISFIED;
}

int case_outcome_hang(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in)
{
    (void)t;
    (void)in;
    return r->pending_request && strcmp(r->pending_request, "hang") == 0;
}

/* ---- helpers ---- */

static int check_department(struct case_tx *t, int64_t id, const char *field)
{
    struct org_department d;
    int rc = org_department_get(t->env->conn, id, &t->arena, &d, t->err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !d.active))
        return err_field(t->err, ERR_BAD_REQUEST, field,
                         "department %lld does not exist or is inactive", (long long)id);
    return rc;
}

static int rectify_hours(struct case_tx *t, const struct case_rec *r, int *hours)
{
    int64_t own = 0;
    struct org_sla sla;
    int rc;
    *hours = t->env->cfg->rectify_hours_general;
    if (!r->category_id)
        return 0;
    if ((rc = store_one_i64(t->env->conn,
                            "SELECT coalesce(rectify_hours, 0) FROM categories WHERE id = ?",
                            STORE_ARGS(store_i64(r->category_id)), &own, t->err)) < 0)
        return rc;
    if (own > 0) {
        *hours = (int)own;
        return 0;
    }
    /* "Complex" classes are those whose resolve limit is over five working days. */
    if (org_category_sla(t->env->conn, r->category_id, &sla, NULL, t->err) == 0 &&
        ((sla.unit == CAL_WORK_DAYS && sla.resolve > 5) ||
         (sla.unit == CAL_WORK_HOURS && sla.resolve > 35) ||
         (sla.unit == CAL_HOURS && sla.resolve > 120)))
        *hours = t->env->cfg->rectify_hours_complex;
    err_clear(t->err);
    return 0;
}

/* Unsatisfied evaluation or a supervisor's order: back to the same department, with a
 * rectification deadline, escalating after too many rounds. */
int case_rectify(struct case_tx *t, const struct case_rec *r, int64_t event_id, int *escalated)
{
    int hours, rc;
    int64_t until;
    *escalated = 0;
    if ((rc = rectify_hours(t, r, &hours)) < 0 ||
        (rc = cal_add(t->env->cal, t->env->now, (int64_t)hours * 60, CAL_HOURS, &until, t->err)) <
            0)
        return rc;
    int round = r->rectify_round + 1;
    *escalated = round > t->env->cfg->rectify_rounds && !r->escalated;
    if ((rc = case_tx_exec(
             t,
             "UPDATE cases SET rectify_round = ?, resolve_deadline = ?, reply_deadline = ?, overdue = 0,"
             " overdue_level = 0, replied_at = NULL, closed_at = NULL, escalated = CASE WHEN escalated <> 0 OR ? <> 0 THEN 1 ELSE 0 END WHERE id = ?",
             STORE_ARGS(store_i64(round), store_i64(until), store_i64(until), store_i64(*escalated),
                        store_i64(r->id)))) < 0 ||
        (rc = case_tx_notify(t, r->id, event_id, "department", r->lead_department_id, "rectify",
                             arena_printf(&t->arena, "工单 %s 需整改（第%d轮），时限 %d 小时",
                                          r->number, round, hours))) < 0)
        return rc;
    return 0;
}

int case_follow_master(struct case_tx *t, const struct case_rec *master, const char *action,
                       enum case_state final_state)
{
    struct store_stmt *s;
    int64_t ids[64];
    int n = 0,
        rc = store_prepare(t->env->conn,
                           "SELECT id FROM cases WHERE master_id = ? AND state = 'merged' LIMIT 64",
                           STORE_ARGS(store_i64(master->id)), &s, t->err);
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
        char *note = arena_printf(&t->arena, "随主工单 %s %s", master->number,
                                  final_state == CASE_CLOSED ? "归档" : "办结");
        if ((rc = case_tx_touch(t, ids[i])) < 0 ||
            (rc = case_tx_event(t, ids[i], action, "merged", to, master->lead_department_id, note,
                                "{}", &ev)) < 0 ||
            (rc = case_tx_exec(
                 t,
                 "UPDATE cases SET state = ?, version = version + 1, updated_at = ?, closed_at = CASE WHEN ? = 'closed'"
                 " THEN ? ELSE closed_at END, replied_at = coalesce(replied_at, ?) WHERE id = ?",
                 STORE_ARGS(store_text(to), store_i64(t->env->now), store_text(to),
                            store_i64(t->env->now), store_i64(t->env->now), store_i64(ids[i])))) <
                0)
            return rc;
    }
    return 0;
}

/* ---- the apply functions, in the order of enum case_action ---- */

int case_apply_answer(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    /* Answered from the knowledge base: the article is linked on the event and counted. */
    if (in->article_id) {
        struct kb_article k;
        int rc = kb_article_use(t->env->conn, in->article_id, t->env->now, "article", &t->arena, &k,
                                t->err);
        if (rc < 0)
            return rc;
        s->payload = arena_printf(&t->arena, "{\"article\":%lld}", (long long)in->article_id);
    }
    return case_tx_exec(
        t, "UPDATE cases SET replied_at = ?, closed_at = ? WHERE id = ?",
        STORE_ARGS(store_i64(t->env->now), store_i64(t->env->now), store_i64(r->id)));
}

/* Dispatch and re-dispatch: lead and assisting departments, category, fresh deadlines. */
int case_apply_dispatch(struct case_tx *t, const struct case_rec *r,
                        const struct case_action_in *in, struct case_step *s)
{
    struct org_sla sla;
    int64_t sign, reply, resolve, category_id;
    int rc;
    /* 立案前核实: a report waiting for the grid worker is not dispatched yet. */
    if (r->state == CASE_NEW && (rc = case_task_waiting(t, r, "verify")) < 0)
        return rc;
    if ((rc = check_department(t, in->department_id, "department")) < 0)
        return rc;
    if (in->action == CA_REDISPATCH && r->state == CASE_RETURNED &&
        in->department_id == r->lead_department_id)
        return err_field(
            t->err, ERR_BAD_REQUEST, "department",
            "the case was returned by this department; use 'reject_return' to send it back");
    if (in->nassisting > 8)
        return err_field(t->err, ERR_BAD_REQUEST, "assisting", "at most 8 assisting departments");
    for (int i = 0; i < in->nassisting; i++) {
        if (in->assisting[i] == in->department_id)
            return err_field(t->err, ERR_BAD_REQUEST, "assisting",
                             "the lead department cannot also assist");
        if ((rc = check_department(t, in->assisting[i], "assisting")) < 0)
            return rc;
    }
    category_id = in->category_id ? in->category_id : r->category_id;
    if (in->category_id) {
        struct org_category k;
        if ((rc = org_category_get(t->env->conn, in->category_id, &t->arena, &k, t->err)) < 0 ||
            !k.active)
            return rc == 0 || rc == ERR_NOT_FOUND
                       ? err_field(t->err, ERR_BAD_REQUEST, "category",
                                   "category %lld does not exist or is inactive",
                                   (long long)in->category_id)
                       : rc;
    }
    if ((rc = case_sla_for(t, category_id, r->urgency, &sla)) < 0 ||
        (rc = case_deadline(t, sla.sign, sla.unit, &sign)) < 0 ||
        (rc = case_deadline(t, sla.reply, sla.unit, &reply)) < 0 ||
        (rc = case_deadline(t, sla.resolve, sla.unit, &resolve)) < 0)
        return rc;
    if ((rc = case_tx_exec(t, "DELETE FROM case_departments WHERE case_id = ?",
                           STORE_ARGS(store_i64(r->id)))) < 0 ||
        (rc = case_tx_exec(
             t, "INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'lead')",
             STORE_ARGS(store_i64(r->id), store_i64(in->department_id)))) < 0)
        return rc;
    for (int i = 0; i < in->nassisting; i++)
        if ((rc = case_tx_exec(
                 t,
                 "INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'assist')"
                 " ON CONFLICT DO NOTHING",
                 STORE_ARGS(store_i64(r->id), store_i64(in->assisting[i])))) < 0)
            return rc;
    if ((rc = case_assist_on_dispatch(t, r, in, sign, reply)) < 0)
        return rc;
    /* A dispatcher who names the category classifies the case: a labelled example for the
     * next training, marked as a correction when triage had suggested something else. */
    if (in->category_id &&
        (rc = case_tx_exec(
             t,
             "INSERT INTO triage_examples(case_id, category_id, suggested_id, corrected, actor_id, at)"
             " VALUES (?, ?, nullif(?, 0), ?, nullif(?, 0), ?)",
             STORE_ARGS(
                 store_i64(r->id), store_i64(in->category_id), store_i64(r->triage_category_id),
                 store_i64(r->triage_category_id != 0 && r->triage_category_id != in->category_id),
                 store_i64(t->env->actor->user_id), store_i64(t->env->now)))) < 0)
        return rc;
    if ((rc = case_tx_exec(
             t,
             "UPDATE cases SET lead_department_id = ?, category_id = nullif(?, 0), sla_unit = ?, dispatched_at = ?,"
             " signed_at = NULL, sign_late = 0, sign_deadline = ?, reply_deadline = ?, resolve_deadline = ?,"
             " overdue = 0, overdue_level = 0, pending_request = NULL, pending_until = NULL WHERE id = ?",
             STORE_ARGS(store_i64(in->department_id), store_i64(category_id),
                        store_text(cal_unit_name(sla.unit)), store_i64(t->env->now),
                        store_i64(sign), store_i64(reply), store_i64(resolve), store_i64(r->id)))) <
        0)
        return rc;
    s->dept = in->department_id;
    s->payload = arena_printf(&t->arena, "{\"department\":%lld,\"assisting\":%d,\"category\":%lld}",
                              (long long)in->department_id, in->nassisting, (long long)category_id);
    return 0;
}

int case_apply_reject_return(struct case_tx *t, const struct case_rec *r,
                             const struct case_action_in *in, struct case_step *s)
{
    struct org_sla sla;
    int64_t sign;
    int rc;
    (void)in;
    (void)s;
    if ((rc = case_sla_for(t, r->category_id, r->urgency, &sla)) < 0 ||
        (rc = case_deadline(t, sla.sign, sla.unit, &sign)) < 0)
        return rc;
    return case_tx_exec(t, "UPDATE cases SET sign_deadline = ?, signed_at = NULL WHERE id = ?",
                        STORE_ARGS(store_i64(sign), store_i64(r->id)));
}

int case_apply_sign(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                    struct case_step *s)
{
    int late = r->sign_deadline && t->env->now > r->sign_deadline;
    (void)in;
    if (late)
        s->payload = "{\"late\":true}";
    return case_tx_exec(t, "UPDATE cases SET signed_at = ?, sign_late = ? WHERE id = ?",
                        STORE_ARGS(store_i64(t->env->now), store_i64(late), store_i64(r->id)));
}

int case_apply_return(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    (void)in;
    (void)s;
    return case_tx_exec(t, "UPDATE cases SET return_count = return_count + 1 WHERE id = ?",
                        STORE_ARGS(store_i64(r->id)));
}

int case_apply_extend(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    if (!r->resolve_deadline || t->env->now >= r->resolve_deadline)
        return err_set(t->err, ERR_CONFLICT, "an extension must be requested before the deadline");
    if (in->until <= r->resolve_deadline)
        return err_field(t->err, ERR_BAD_REQUEST, "until",
                         "the new deadline must be later than the current one");
    s->payload = arena_printf(&t->arena, "{\"until\":%lld}", (long long)in->until);
    return case_tx_exec(
        t, "UPDATE cases SET pending_request = 'extend', pending_until = ? WHERE id = ?",
        STORE_ARGS(store_i64(in->until), store_i64(r->id)));
}

int case_apply_hang(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                    struct case_step *s)
{
    (void)in;
    (void)s;
    return case_tx_exec(t, "UPDATE cases SET pending_request = 'hang' WHERE id = ?",
                        STORE_ARGS(store_i64(r->id)));
}

/* Approve or deny the pending request: an approved extension moves the resolve deadline, an
 * approved 挂账 stops the clock and keeps the working time that was left. */
/* The callback an invalid mark is about: the case's latest evaluation (highest round, then the
 * latest row), the one the assessment counts. */
#define LATEST_EVALUATION                                                                          \
    "(SELECT id FROM case_evaluations WHERE case_id = ? ORDER BY round DESC, id DESC LIMIT 1)"

int case_apply_invalidate(struct case_tx *t, const struct case_rec *r,
                          const struct case_action_in *in, struct case_step *s)
{
    int64_t valid = 0;
    int rc;
    if ((unsigned)in->invalid_reason >= CASE_INVALID_REASON_COUNT || in->invalid_reason == CIR_NONE)
        return err_field(
            t->err, ERR_BAD_REQUEST, "invalid_reason",
            "invalid_reason must be unreasonable, duplicate, out_of_area or unreachable");
    rc = store_one_i64(t->env->conn,
                       "SELECT valid FROM case_evaluations WHERE id = " LATEST_EVALUATION,
                       STORE_ARGS(store_i64(r->id)), &valid, t->err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(t->err, ERR_CONFLICT, "action", "case %s has no callback to invalidate",
                         r->number);
    if (!valid)
        return err_field(t->err, ERR_CONFLICT, "action",
                         "the latest callback of case %s is already invalid", r->number);
    const char *reason = case_invalid_reason_name(in->invalid_reason);
    s->payload = arena_printf(&t->arena, "{\"reason\":\"%s\"}", reason);
    if ((rc = case_tx_exec(
             t, "UPDATE case_evaluations SET invalid_reason = ? WHERE id = " LATEST_EVALUATION,
             STORE_ARGS(store_text(reason), store_i64(r->id)))) < 0)
        return rc;
    return case_tx_exec(t, "UPDATE cases SET pending_request = 'invalidate' WHERE id = ?",
                        STORE_ARGS(store_i64(r->id)));
}

int case_apply_decide(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    const struct case_env *env = t->env;
    int rc = 0;
    s->payload = arena_printf(&t->arena, "{\"request\":\"%s\"}", r->pending_request);
    if (strcmp(r->pending_request, "invalidate") == 0) {
        /* Approved, the callback leaves the assessment (valid = 0, which the roll-ups read in this
         * same transaction); denied, it stays and loses the reason asked for. */
        rc =
            in->action == CA_APPROVE
                ? case_tx_exec(
                      t, "UPDATE case_evaluations SET valid = 0 WHERE id = " LATEST_EVALUATION,
                      STORE_ARGS(store_i64(r->id)))
                : case_tx_exec(
                      t,
                      "UPDATE case_evaluations SET invalid_reason = NULL WHERE id = " LATEST_EVALUATION,
                      STORE_ARGS(store_i64(r->id)));
    } else if (in->action == CA_APPROVE && !s->outcome) {
        rc = case_tx_exec(
            t,
            "UPDATE cases SET resolve_deadline = pending_until, overdue = 0, overdue_level = 0 WHERE id = ?",
            STORE_ARGS(store_i64(r->id)));
    } else if (in->action == CA_APPROVE) {
        int64_t remaining =
            r->resolve_deadline > env->now
                ? (strcmp(r->sla_unit, "hours") == 0
                       ? r->resolve_deadline - env->now
                       : cal_work_seconds_between(env->cal, env->now, r->resolve_deadline))
                : 0;
        rc = case_tx_exec(t, "UPDATE cases SET paused_at = ?, paused_remaining = ? WHERE id = ?",
                          STORE_ARGS(store_i64(env->now), store_i64(remaining), store_i64(r->id)));
    }
    if (rc < 0)
        return rc;
    return case_tx_exec(
        t, "UPDATE cases SET pending_request = NULL, pending_until = NULL WHERE id = ?",
        STORE_ARGS(store_i64(r->id)));
}

int case_apply_resume(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    int64_t remaining = 0, until;
    int rc;
    (void)in;
    (void)s;
    if ((rc = store_one_i64(t->env->conn,
                            "SELECT coalesce(paused_remaining, 0) FROM cases WHERE id = ?",
                            STORE_ARGS(store_i64(r->id)), &remaining, t->err)) < 0)
        return rc;
    enum cal_unit unit = strcmp(r->sla_unit, "hours") == 0 ? CAL_HOURS : CAL_WORK_HOURS;
    /* The calendar counts whole minutes: round the time left to the nearest one. Rounding up
     * gave a minute away whenever the seconds of the suspension fell before those of intake. */
    if ((rc = cal_add(t->env->cal, t->env->now, (remaining + 30) / 60, unit, &until, t->err)) < 0)
        return rc;
    return case_tx_exec(
        t,
        "UPDATE cases SET paused_at = NULL, paused_remaining = NULL, resolve_deadline = ? WHERE id = ?",
        STORE_ARGS(store_i64(until), store_i64(r->id)));
}

int case_apply_urge(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                    struct case_step *s)
{
    (void)in;
    (void)s;
    return case_tx_exec(t, "UPDATE cases SET urge_count = urge_count + 1 WHERE id = ?",
                        STORE_ARGS(store_i64(r->id)));
}

int case_apply_reply(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                     struct case_step *s)
{
    int rc;
    if ((rc = case_check_text(in->result, "result", 1, CASE_RESULT_MAX, t->err)) < 0)
        return rc;
    s->note = in->result;
    s->payload = arena_printf(&t->arena, "{\"contacted\":%s,\"solved\":%s}",
                              in->contacted ? "true" : "false", in->solved ? "true" : "false");
    /* Its fingerprint, so a later check can tell the same text sent to other cases. */
    char print[TRIAGE_VERSION_SIZE];
    if (triage_reply_print(in->result, print) &&
        (rc = case_tx_exec(t,
                           "INSERT INTO reply_prints(case_id, department_id, print, at)"
                           " VALUES (?, nullif(?, 0), ?, ?)",
                           STORE_ARGS(store_i64(r->id), store_i64(r->lead_department_id),
                                      store_text(print), store_i64(t->env->now)))) < 0)
        return rc;
    /* A reply under review (outcome 1) is not 办结 yet: replied_at waits for the acceptance. */
    return case_tx_exec(t,
                        "UPDATE cases SET replied_at = CASE WHEN ? <> 0 THEN NULL ELSE ? END,"
                        " reply_contacted = ?, reply_solved = ? WHERE id = ?",
                        STORE_ARGS(store_i64(s->outcome), store_i64(t->env->now),
                                   store_i64(in->contacted), store_i64(in->solved),
                                   store_i64(r->id)));
}

/* 办结审核 accepted: the event carries the reply as the citizen now gets it (the reviewed reply's
 * result and facts), and the case counts as replied from the department's reply, not from the
 * review: the centre's time is not the department's. */
int case_apply_accept(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    struct store_stmt *st;
    const char *note = NULL;
    int64_t at = 0;
    int rc;
    (void)in;
    if ((rc =
             store_prepare(t->env->conn,
                           "SELECT note, at FROM case_events WHERE case_id = ? AND action = 'reply'"
                           " ORDER BY id DESC LIMIT 1",
                           STORE_ARGS(store_i64(r->id)), &st, t->err)) < 0)
        return rc;
    if ((rc = store_step(st, t->err)) == 1) {
        note = arena_strdup(&t->arena, store_col_text(st, 0));
        at = store_col_int(st, 1);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    if (!note)
        return err_set(t->err, ERR_CONFLICT, "case %s has no reply to accept", r->number);
    s->note = note;
    s->payload = arena_printf(&t->arena, "{\"contacted\":%s,\"solved\":%s}",
                              r->reply_contacted > 0 ? "true" : "false",
                              r->reply_solved > 0 ? "true" : "false");
    return case_tx_exec(t, "UPDATE cases SET replied_at = ? WHERE id = ?",
                        STORE_ARGS(store_i64(at), store_i64(r->id)));
}

/* Merged duplicates follow their master's reply once the citizen gets it (not while it is
 * under review). */
/* 办结请评价: a reporter who left a number is asked by SMS to evaluate the reply. */
static int sms_evaluate(struct case_tx *t, const struct case_rec *r)
{
    struct store_stmt *s;
    char *enc = NULL, *mask = NULL, *hash = NULL;
    int rc;
    if ((rc = store_prepare(t->env->conn,
                            "SELECT citizen_phone_enc, citizen_phone_mask, citizen_phone_hash"
                            " FROM cases WHERE id = ? AND citizen_phone_enc <> ''",
                            STORE_ARGS(store_i64(r->id)), &s, t->err)) < 0)
        return rc;
    if ((rc = store_step(s, t->err)) == 1) {
        enc = arena_strdup(&t->arena, store_col_text(s, 0));
        mask = arena_strdup(&t->arena, store_col_text(s, 1));
        hash = arena_strdup(&t->arena, store_col_text(s, 2));
    }
    store_done(s);
    if (rc <= 0)
        return rc;
    struct notify_sms_param p[] = {{"number", r->number}};
    return notify_sms_queue(t->env->conn, "evaluate", enc, mask, hash, r->id, p, 1, NULL,
                            t->env->now, NULL, t->err);
}

int case_follow_reply(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      const struct case_step *s, int64_t event_id)
{
    (void)in;
    (void)event_id;
    int rc;
    if (s->to != CASE_REPLIED)
        return 0;
    if ((rc = case_task_on_replied(t, r)) < 0)
        return rc;
    if ((rc = sms_evaluate(t, r)) < 0)
        return rc;
    return case_follow_master(t, r, "follow_reply", CASE_MERGED);
}

/* The raw facts of each round are kept (case_evaluations); the reply's say what was not given. */
int case_apply_evaluate(struct case_tx *t, const struct case_rec *r,
                        const struct case_action_in *in, struct case_step *s)
{
    const struct case_env *env = t->env;
    int rc;
    if ((rc = case_task_waiting(t, r, "check")) < 0)
        return rc;
    int contacted = in->contacted >= 0 ? in->contacted : (r->reply_contacted > 0);
    int solved = in->solved >= 0 ? in->solved : (r->reply_solved > 0);
    int by_citizen = !(env->actor->roles & ROLE_OPERATOR) && r->created_by == env->actor->user_id;
    s->payload = arena_printf(&t->arena, "{\"satisfaction\":\"%s\",\"contacted\":%s,\"solved\":%s}",
                              case_satisfaction_name(in->satisfaction),
                              contacted ? "true" : "false", solved ? "true" : "false");
    if ((rc = case_tx_exec(
             t,
             "INSERT INTO case_evaluations(case_id, round, department_id, region_code, at, contacted, solved,"
             " satisfaction, by_citizen, comment) VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?)",
             STORE_ARGS(store_i64(r->id), store_i64(r->rectify_round),
                        store_i64(r->lead_department_id), store_text(r->region_code),
                        store_i64(env->now), store_i64(contacted), store_i64(solved),
                        store_text(case_satisfaction_name(in->satisfaction)), store_i64(by_citizen),
                        store_text(in->note ? in->note : "")))) < 0)
        return rc;
    return case_tx_exec(
        t,
        "UPDATE cases SET satisfaction = ?, closed_at = CASE WHEN ? <> 0 THEN NULL ELSE ? END WHERE id = ?",
        STORE_ARGS(store_text(case_satisfaction_name(in->satisfaction)), store_i64(s->outcome),
                   store_i64(env->now), store_i64(r->id)));
}

/* An unsatisfied evaluation (outcome 1) or a supervisor's order reopens the case to its
 * department; after too many rounds it is escalated. */
int case_follow_rectify(struct case_tx *t, const struct case_rec *r,
                        const struct case_action_in *in, const struct case_step *s,
                        int64_t event_id)
{
    int escalated, rc;
    if (in->action == CA_EVALUATE && !s->outcome)
        return 0;
    if ((rc = case_rectify(t, r, event_id, &escalated)) < 0)
        return rc;
    /* The evaluate event already moved the case replied → rectifying; this one records the
     * reopening within that state, so the timeline stays a chain of from/to. */
    if (in->action == CA_EVALUATE &&
        (rc = case_tx_event(t, r->id, "rectify", "rectifying", "rectifying", s->dept,
                            "市民不满意，退回原承办单位整改", "{}", &event_id)) < 0)
        return rc;
    if (escalated && ((rc = case_tx_event(t, r->id, "escalate", "rectifying", "rectifying", s->dept,
                                          "多轮整改仍不满意，升级督办", "{}", &event_id)) < 0 ||
                      (rc = case_tx_notify(t, r->id, event_id, "supervisors", 0, "escalated",
                                           arena_printf(&t->arena, "工单 %s 多轮整改未满意，请督办",
                                                        r->number))) < 0))
        return rc;
    return 0;
}

int case_apply_merge(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                     struct case_step *s)
{
    struct case_rec m;
    int64_t ev;
    int rc;
    if (in->master_id == r->id)
        return err_field(t->err, ERR_BAD_REQUEST, "master",
                         "field 'master' must name another case");
    /* A master the actor may not see is answered as one that does not exist: the same status
     * and message, so the answer tells nothing of cases outside the actor's scope. */
    if ((rc = case_get(t->env->conn, in->master_id, &t->arena, &m, t->err)) < 0 &&
        rc != ERR_NOT_FOUND)
        return rc;
    if (rc == ERR_NOT_FOUND || !case_visible(t->env->actor, &m))
        return err_field(t->err, ERR_BAD_REQUEST, "master",
                         "case %lld does not exist or is outside your scope",
                         (long long)in->master_id);
    if (case_state_is_final(m.state))
        return err_field(t->err, ERR_CONFLICT, "master", "case %s is %s and cannot take duplicates",
                         m.number, case_state_name(m.state));
    if ((rc = case_tx_exec(t, "UPDATE cases SET master_id = ? WHERE id = ?",
                           STORE_ARGS(store_i64(m.id), store_i64(r->id)))) < 0 ||
        (rc = case_tx_event(t, m.id, "merge_in", case_state_name(m.state), case_state_name(m.state),
                            m.lead_department_id,
                            arena_printf(&t->arena, "并入重复工单 %s", r->number), "{}", &ev)) <
            0 ||
        (rc = case_tx_exec(t, "UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?",
                           STORE_ARGS(store_i64(t->env->now), store_i64(m.id)))) < 0)
        return rc;
    s->payload = arena_printf(&t->arena, "{\"master\":%lld,\"master_number\":\"%s\"}",
                              (long long)m.id, m.number);
    return 0;
}

/* Close without evaluation, or cancel. */
int case_apply_close(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                     struct case_step *s)
{
    int rc;
    (void)s;
    /* 结案前核查: the closure waits for the grid worker's check; a case cancelled meanwhile
     * takes its open tasks with it. */
    if ((in->action == CA_CLOSE && (rc = case_task_waiting(t, r, "check")) < 0) ||
        (rc = case_tx_exec(t,
                           "UPDATE grid_tasks SET status = 'void', done_at = ? WHERE case_id = ?"
                           " AND status = 'open'",
                           STORE_ARGS(store_i64(t->env->now), store_i64(r->id)))) < 0)
        return rc;
    return case_tx_exec(t, "UPDATE cases SET closed_at = ? WHERE id = ?",
                        STORE_ARGS(store_i64(t->env->now), store_i64(r->id)));
}

int case_apply_reopen(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    struct org_sla sla;
    int64_t resolve;
    int rc;
    (void)in;
    (void)s;
    /* Back to the department, waiting for a new reply as after a rectification (the
     * assessment counts it unreplied, in the backlog, and reworked). */
    if (!r->lead_department_id)
        return err_set(t->err, ERR_CONFLICT,
                       "case %s was never dispatched; there is no department to reopen it to",
                       r->number);
    if ((rc = case_sla_for(t, r->category_id, r->urgency, &sla)) < 0 ||
        (rc = case_deadline(t, sla.resolve, sla.unit, &resolve)) < 0)
        return rc;
    return case_tx_exec(
        t,
        "UPDATE cases SET closed_at = NULL, replied_at = NULL, resolve_deadline = ?, overdue = 0,"
        " overdue_level = 0, satisfaction = NULL WHERE id = ?",
        STORE_ARGS(store_i64(resolve), store_i64(r->id)));
}

/* The assignee must be an active grid worker; the event names them (payload) for the timeline
 * and the notification goes to them (CASE_TO_ASSIGNEE). */
int case_apply_assign(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                      struct case_step *s)
{
    struct gridw_worker w;
    int rc = gridw_worker_get(t->env->conn, in->assignee_id, &t->arena, &w, t->err);
    if (rc == ERR_NOT_FOUND)
        return err_field(t->err, ERR_BAD_REQUEST, "assignee", "user %lld is not a grid worker",
                         (long long)in->assignee_id);
    if (rc < 0)
        return rc;
    if (!w.active)
        return err_field(t->err, ERR_BAD_REQUEST, "assignee", "grid worker '%s' is inactive",
                         w.name);
    if ((rc = case_tx_exec(t, "UPDATE cases SET assignee_id = ? WHERE id = ?",
                           STORE_ARGS(store_i64(w.user_id), store_i64(r->id)))) < 0)
        return rc;
    /* Names are letters, digits, '_', '.' and '-' (auth): no JSON escaping needed. */
    s->payload = arena_printf(&t->arena, "{\"assignee\":%lld,\"assignee_name\":\"%s\"}",
                              (long long)w.user_id, w.name);
    return 0;
}
