/*
 * The actions of the loop, driven by their rows (case_state.c): one decision on whether an actor
 * may take an action (case_action_check, which the UI's list of actions asks too), and one
 * dispatcher that, inside one transaction, checks the action, lets its apply function update the
 * case, moves the state, appends the event, queues the row's notification, runs the follow-up,
 * follows merged duplicates to a closure and appends the audit entry; a failure anywhere rolls
 * all of it back.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

/* ---- who may take an action ---- */

/* The actor takes the action under its binding: every role it has that admits the action is a
 * bound one (a supervisor who is also a handler resumes anywhere). */
static int is_bound(const struct case_actor *a, const struct case_action_info *info)
{
    return info->binding != CASE_BIND_NONE && !(a->roles & ROLE_ADMIN) &&
           !(a->roles & info->roles & ~info->bound_roles);
}

static int is_reporter(const struct case_actor *a, const struct case_rec *r)
{
    return r->created_by && r->created_by == a->user_id;
}

static int binding_holds(const struct case_actor *a, const struct case_rec *r, enum case_binding b)
{
    switch (b) {
    case CASE_BIND_NONE: return 1;
    case CASE_BIND_LEAD: return case_actor_in_departments(a, r->lead_department_id);
    case CASE_BIND_INVOLVED:
        if (is_reporter(a, r) || case_actor_in_departments(a, r->lead_department_id))
            return 1;
        for (int i = 0; i < r->nassisting; i++)
            if (case_actor_in_departments(a, r->assisting[i]))
                return 1;
        return 0;
    case CASE_BIND_REPORTER: return is_reporter(a, r);
    }
    return 0;
}

static int binding_refused(const struct case_rec *r, enum case_action a, enum case_binding b,
                           struct err *err)
{
    const char *name = case_action_name(a);
    if (b == CASE_BIND_LEAD)
        return err_deny(err, ERR_REASON_LEAD, "only the lead department (%s) may %s this case",
                        r->lead_department_name ? r->lead_department_name : "none", name);
    if (b == CASE_BIND_INVOLVED)
        return err_deny(err, ERR_REASON_LEAD,
                        "only the lead or an assisting department of case %s may %s on it",
                        r->number, name);
    return err_deny(err, ERR_REASON_OWNER, "citizens may only %s their own cases", name);
}

/* case_action_check, with the version the caller saw checked where a stale one belongs: after
 * who may act (a refusal does not depend on it), before the state (which it explains).
 * 'visible' is case_visible(actor, rec), or -1 to compute it here. */
static int check(const struct case_actor *actor, const struct case_rec *rec, enum case_action a,
                 const int64_t *version, int visible, struct err *err)
{
    enum case_state to;
    int rc;
    if ((unsigned)a >= CASE_ACTION_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "action", "unknown action");
    const struct case_action_row *row = case_action_row(a);
    if (!(actor->roles & (row->info.roles | ROLE_ADMIN))) {
        char need[128] = "";
        if (err)
            auth_roles_format(row->info.roles, need, sizeof(need));
        err_field(err, ERR_FORBIDDEN, "action", "action '%s' needs one of the roles %s",
                  case_action_name(a), need);
        if (err)
            err->reason = ERR_REASON_ROLE;
        return ERR_FORBIDDEN;
    }
    if (!(visible < 0 ? case_visible(actor, rec) : visible))
        return err_deny(err, ERR_REASON_SCOPE, "case %s is outside your scope", rec->number);
    if (is_bound(actor, &row->info) && !binding_holds(actor, rec, row->info.binding))
        return binding_refused(rec, a, row->info.binding, err);
    if (version && *version != rec->version)
        return err_field(
            err, ERR_CONFLICT, "version",
            "case %s has changed since you loaded it (now version %lld, you sent %lld); reload and retry",
            rec->number, (long long)rec->version, (long long)*version);
    if ((rc = case_transition(rec->state, a, 0, &to, err)) < 0)
        return rc;
    if (row->pending == CASE_PENDING_NONE && rec->pending_request)
        return err_set(err, ERR_CONFLICT, "a '%s' request is already waiting for a supervisor",
                       rec->pending_request);
    if (row->pending == CASE_PENDING_NEEDED && !rec->pending_request)
        return err_set(err, ERR_CONFLICT, "there is no extension or 挂账 request to %s",
                       case_action_name(a));
    /* 有效回访 is about a callback: a case never evaluated has none to leave out. */
    if (a == CA_INVALIDATE && rec->satisfaction == CS_NONE)
        return err_field(err, ERR_CONFLICT, "action", "case %s has no callback to invalidate",
                         rec->number);
    return 0;
}

int case_action_check(const struct case_actor *actor, const struct case_rec *rec,
                      enum case_action a, struct err *err)
{
    return check(actor, rec, a, NULL, -1, err);
}

unsigned case_actions_available(const struct case_actor *actor, const struct case_rec *rec)
{
    /* Asked for every case of a list page: the scope, the same for every action, once. */
    int visible = case_visible(actor, rec);
    unsigned mask = 0;
    for (int a = 0; a < CASE_ACTION_COUNT; a++)
        if (check(actor, rec, (enum case_action)a, NULL, visible, NULL) == 0)
            mask |= 1u << a;
    return mask;
}

/* ---- what the action carries ---- */

static int input_given(const struct case_action_in *in, enum case_input i)
{
    switch (i) {
    case CI_DEPARTMENT: return in->department_id != 0;
    case CI_ASSISTING: return in->nassisting > 0;
    case CI_CATEGORY: return in->category_id != 0;
    case CI_UNTIL: return in->until != 0;
    case CI_RESULT: return in->result != NULL;
    case CI_CONTACTED: return in->contacted >= 0;
    case CI_SOLVED: return in->solved >= 0;
    case CI_SATISFACTION: return in->satisfaction != CS_NONE;
    case CI_MASTER: return in->master_id != 0;
    case CI_INVALID_REASON: return in->invalid_reason != CIR_NONE;
    case CI_ARTICLE: return in->article_id != 0;
    case CI_ASSIGNEE: return in->assignee_id != 0;
    case CASE_INPUT_COUNT: break;
    }
    return 0;
}

/* The note and the inputs the row requires (the apply function checks their values). */
static int check_inputs(const struct case_action_row *row, const struct case_action_in *in,
                        struct err *err)
{
    const char *name = case_action_name(in->action);
    if (row->info.note == CASE_NOTE_REQUIRED) {
        if (!in->note || !*in->note)
            return err_field(err, ERR_BAD_REQUEST, "note", "action '%s' needs a 'note' (%s)", name,
                             row->note_what);
        int rc = case_check_text(in->note, "note", 1, CASE_NOTE_MAX, err);
        if (rc < 0)
            return rc;
    }
    for (int i = 0; i < CASE_INPUT_COUNT; i++)
        if ((row->info.required & (1u << i)) && !input_given(in, (enum case_input)i))
            return err_field(err, ERR_BAD_REQUEST, case_input_name((enum case_input)i),
                             "action '%s' needs a '%s' %s", name,
                             case_input_name((enum case_input)i),
                             case_input_hint((enum case_input)i));
    return 0;
}

/* ---- the dispatcher ---- */

static int notify(struct case_tx *t, const struct case_action_row *row, const struct case_rec *r,
                  const struct case_action_in *in, const struct case_step *s, int64_t event_id)
{
    static const char *const kinds[] = {
        [CASE_TO_DEPARTMENT] = "department",   [CASE_TO_DISPATCHERS] = "dispatchers",
        [CASE_TO_SUPERVISORS] = "supervisors", [CASE_TO_REPORTER] = "citizen",
        [CASE_TO_ASSIGNEE] = "user",
    };
    const struct case_notice *n =
        s->outcome && row->alt_notice.to != CASE_TO_NOBODY ? &row->alt_notice : &row->notice;
    int rc = 0;
    if (n->to == CASE_TO_NOBODY || (n->to == CASE_TO_REPORTER && !r->created_by))
        return 0;
    int64_t to = n->to == CASE_TO_DEPARTMENT ? s->dept
                 : n->to == CASE_TO_REPORTER ? r->created_by
                 : n->to == CASE_TO_ASSIGNEE ? in->assignee_id
                                             : 0;
    const char *detail = n->detail == CASE_DETAIL_TITLE  ? r->title
                         : n->detail == CASE_DETAIL_NOTE ? in->note
                                                         : "";
    /* Every text takes the number and the detail; one without a second conversion ignores it. */
    if ((rc = case_tx_notify(t, r->id, event_id, kinds[n->to], to,
                             n->kind ? n->kind : case_action_name(in->action),
                             arena_printf(&t->arena, n->text, r->number, detail))) < 0)
        return rc;
    for (int i = 0; n->assisting && i < in->nassisting; i++)
        if ((rc = case_tx_notify(t, r->id, event_id, "department", in->assisting[i], "assist",
                                 arena_printf(&t->arena, "协办工单 %s", r->number))) < 0)
            return rc;
    return 0;
}

/* One action on 'r', the case as read in this transaction (or guarded by its version); '*after'
 * in 'a'. */
static int act(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
               struct arena *a, struct case_rec *after)
{
    const struct case_action_row *row = case_action_row(in->action);
    const char *name = case_action_name(in->action);
    struct case_step s = {r->state, 0, r->lead_department_id, in->note, "{}"};
    int64_t event_id;
    int rc;
    if ((rc = check(t->env->actor, r, in->action, &in->version, -1, t->err)) < 0 ||
        (rc = check_inputs(row, in, t->err)) < 0)
        return rc;
    if (row->outcome && (rc = row->outcome(t, r, in)) < 0)
        return rc;
    s.outcome = row->outcome ? rc : 0;
    if ((rc = case_transition(r->state, in->action, s.outcome, &s.to, t->err)) < 0 ||
        (row->apply && (rc = row->apply(t, r, in, &s)) < 0) ||
        (rc = case_tx_exec(
             t, "UPDATE cases SET state = ?, version = version + 1, updated_at = ? WHERE id = ?",
             STORE_ARGS(store_text(case_state_name(s.to)), store_i64(t->env->now),
                        store_i64(r->id)))) < 0 ||
        (rc = case_tx_event(t, r->id, name, case_state_name(r->state), case_state_name(s.to),
                            s.dept, s.note, s.payload, &event_id)) < 0 ||
        (in->public_note &&
         (rc = case_tx_exec(t, "UPDATE case_events SET public_note = 1 WHERE id = ?",
                            STORE_ARGS(store_i64(event_id)))) < 0) ||
        (rc = notify(t, row, r, in, &s, event_id)) < 0 ||
        (row->follow && (rc = row->follow(t, r, in, &s, event_id)) < 0))
        return rc;
    if (s.to == CASE_CLOSED && (rc = case_follow_master(t, r, "follow_close", CASE_CLOSED)) < 0)
        return rc;
    if ((rc = case_get(t->env->conn, r->id, a, after, t->err)) < 0)
        return rc;
    return case_tx_audit(t, name, r->id, case_tx_summary(t, r), case_tx_summary(t, after));
}

int case_tx_act(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                struct arena *a, struct case_rec *after)
{
    return act(t, r, in, a, after);
}

/* What is checked before the transaction: the action is one, and a note fits. */
static int precheck(const struct case_action_in *in, struct err *err)
{
    if ((unsigned)in->action >= CASE_ACTION_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "action", "unknown action");
    /* What is published is a comment written for it; other notes (instructions, reasons) are
     * internal whatever their writer asks. */
    if (in->public_note && in->action != CA_COMMENT)
        return err_field(err, ERR_BAD_REQUEST, "public", "only a comment can be made public");
    if (in->note)
        return case_check_text(in->note, "note", 0, CASE_NOTE_MAX, err);
    return 0;
}

int case_act(const struct case_env *env, int64_t id, const struct case_action_in *in,
             struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    struct case_rec r, after;
    int rc;
    arena_init(&t.arena, 4096);
    if ((rc = precheck(in, err)) < 0 || (rc = store_begin(env->conn, err)) < 0)
        goto out;
    if ((rc = case_get(env->conn, id, &t.arena, &r, err)) < 0 ||
        (rc = case_tx_touch(&t, r.id)) < 0 || (rc = act(&t, &r, in, &t.arena, &after)) < 0 ||
        (rc = case_tx_settle(&t)) < 0) {
        store_rollback(env->conn);
        goto out;
    }
    rc = store_commit(env->conn, err);
out:
    arena_release(&t.arena);
    return rc;
}

int case_act_on(const struct case_env *env, const struct case_rec *rec,
                const struct case_action_in *in, struct arena *a, struct case_rec *after,
                struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    int64_t version = 0;
    int rc;
    arena_init(&t.arena, 4096);
    if ((rc = precheck(in, err)) < 0 || (rc = store_begin(env->conn, err)) < 0)
        goto out;
    /* The record was read before this transaction: one indexed read tells whether it is still
     * the case's current state, as every write bumps the version. */
    if ((rc = store_one_i64(env->conn, "SELECT version FROM cases WHERE id = ?",
                            STORE_ARGS(store_i64(rec->id)), &version, err)) < 0)
        goto rollback;
    if (rc == 0) {
        rc = err_set(err, ERR_NOT_FOUND, "case %lld does not exist", (long long)rec->id);
        goto rollback;
    }
    if (version != rec->version) {
        rc = err_field(
            err, ERR_CONFLICT, "version",
            "case %s has changed since you loaded it (now version %lld, you sent %lld); reload and retry",
            rec->number, (long long)version, (long long)in->version);
        goto rollback;
    }
    if ((rc = case_tx_touch(&t, rec->id)) < 0 || (rc = act(&t, rec, in, a, after)) < 0 ||
        (rc = case_tx_settle(&t)) < 0)
        goto rollback;
    rc = store_commit(env->conn, err);
    goto out;
rollback:
    store_rollback(env->conn);
out:
    arena_release(&t.arena);
    return rc;
}
