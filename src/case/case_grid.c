/*
 * A grid worker's tasks on a case (GB/T 30428's 监督员 核实 and 核查) and 自行处置. A task is a row
 * of grid_tasks (migration 0043) given to one worker of the case's grid; deciding it is a write of
 * the case: the task, the case's event, its state where it changes, the notices and the audit
 * entry commit together. Which cases get tasks is a rule table per category, read as the reply
 * review's (case_review.c).
 */
#include <stdio.h>
#include <string.h>

#include "attach/attach.h"
#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org.h"
#include "store/store.h"

static const char *const kind_names[] = {"verify", "check"};
static const char *const decision_names[] = {"confirm", "reject", "pass", "fail"};

const char *case_task_kind_name(enum case_task_kind k)
{
    return (unsigned)k < 2 ? kind_names[k] : "?";
}
const char *case_task_decision_name(enum case_task_decision d)
{
    return (unsigned)d < 4 ? decision_names[d] : "?";
}
int case_task_decision_from_name(const char *name)
{
    return case_name_lookup(decision_names, 4, name);
}

/* ---- rules ---- */

/* The nearest rule up the category tree (three levels, migration 0001), then the default: a rule
 * row has every column, so the nearest row of one column is the nearest of the others. */
#define NEAREST(col)                                                                               \
    "coalesce((SELECT " col " FROM grid_task_rules WHERE category_id = k.id),"                     \
    " (SELECT " col " FROM grid_task_rules WHERE category_id = k.parent_id),"                      \
    " (SELECT " col " FROM grid_task_rules WHERE category_id = p.parent_id),"                      \
    " (SELECT " col " FROM grid_task_rules WHERE category_id = 0))"
#define RULE_FOR(flag, minutes)                                                                    \
    "SELECT " NEAREST(flag) ", " NEAREST(                                                          \
        minutes) " FROM categories k LEFT JOIN categories p ON p.id = k.parent_id WHERE k.id = ?"

struct said {
    int yes;
    int64_t minutes;
};

static int read_said(void *ctx, struct store_stmt *row)
{
    struct said *s = ctx;
    s->yes = !store_col_is_null(row, 0) && store_col_int(row, 0) != 0;
    s->minutes = store_col_is_null(row, 1) ? 0 : store_col_int(row, 1);
    return 0;
}

/* Whether a task of the kind is asked for the category, and within how many minutes. */
static int rule_says(struct store_conn *c, int64_t category_id, int check, int *yes,
                     int64_t *minutes, struct err *err)
{
    struct said s = {0, 0};
    int rc = 0;
    if (category_id)
        rc = store_one(c,
                       check ? RULE_FOR("check_reply", "check_minutes")
                             : RULE_FOR("verify", "verify_minutes"),
                       STORE_ARGS(store_i64(category_id)), read_said, &s, err);
    if (rc == 0)
        rc = store_one(c,
                       check ? "SELECT check_reply, check_minutes FROM grid_task_rules"
                               " WHERE category_id = 0"
                             : "SELECT verify, verify_minutes FROM grid_task_rules"
                               " WHERE category_id = 0",
                       STORE_ARGS(), read_said, &s, err);
    if (rc < 0)
        return rc;
    *yes = s.yes;
    *minutes = s.minutes > 0 ? s.minutes
                             : (check ? CASE_CHECK_MINUTES_DEFAULT : CASE_VERIFY_MINUTES_DEFAULT);
    return 0;
}

typedef VEC(struct case_task_rule) rule_vec;

static int push_rule(void *ctx, struct store_stmt *row)
{
    rule_vec *v = ctx;
    struct case_task_rule *r = vec_push(v);
    r->category_id = store_col_int(row, 0);
    r->category_name = arena_strdup(v->arena, store_col_text(row, 1));
    r->verify = store_col_int(row, 2) != 0;
    r->check = store_col_int(row, 3) != 0;
    r->updated_at = store_col_int(row, 4);
    r->verify_minutes = (int)store_col_int(row, 5);
    r->check_minutes = (int)store_col_int(row, 6);
    return 0;
}

int case_task_rule_list(struct store_conn *c, struct arena *a, struct case_task_rule **out,
                        size_t *n, struct err *err)
{
    rule_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT r.category_id, coalesce(k.name, ''), r.verify, r.check_reply,"
                           " r.updated_at, r.verify_minutes, r.check_minutes FROM grid_task_rules r"
                           " LEFT JOIN categories k ON k.id = r.category_id ORDER BY r.category_id",
                           STORE_ARGS(), push_rule, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int case_task_rule_set(struct store_conn *c, const struct case_task_rule *r, int64_t now,
                       int64_t user_id, struct err *err)
{
    int64_t rc, category_id = r->category_id;
    if (category_id < 0)
        return err_field(err, ERR_BAD_REQUEST, "category", "category %lld does not exist",
                         (long long)category_id);
    if (r->verify_minutes < CASE_TASK_MINUTES_MIN || r->verify_minutes > CASE_VERIFY_MINUTES_MAX)
        return err_field(err, ERR_BAD_REQUEST, "verify_minutes",
                         "a verification is due in %d to %d minutes", CASE_TASK_MINUTES_MIN,
                         CASE_VERIFY_MINUTES_MAX);
    if (r->check_minutes < CASE_TASK_MINUTES_MIN || r->check_minutes > CASE_CHECK_MINUTES_MAX)
        return err_field(err, ERR_BAD_REQUEST, "check_minutes",
                         "a check is due in %d to %d minutes", CASE_TASK_MINUTES_MIN,
                         CASE_CHECK_MINUTES_MAX);
    if (category_id) {
        if ((rc = store_one(c, "SELECT 1 FROM categories WHERE id = ?",
                            STORE_ARGS(store_i64(category_id)), NULL, NULL, err)) < 0)
            return (int)rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "category", "category %lld does not exist",
                             (long long)category_id);
    }
    rc = store_run(c,
                   "INSERT INTO grid_task_rules(category_id, verify, check_reply, verify_minutes,"
                   " check_minutes, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0))"
                   " ON CONFLICT (category_id) DO UPDATE SET verify = excluded.verify,"
                   " check_reply = excluded.check_reply, verify_minutes = excluded.verify_minutes,"
                   " check_minutes = excluded.check_minutes, updated_at = excluded.updated_at,"
                   " updated_by = excluded.updated_by",
                   STORE_ARGS(store_i64(category_id), store_i64(r->verify ? 1 : 0),
                              store_i64(r->check ? 1 : 0), store_i64(r->verify_minutes),
                              store_i64(r->check_minutes), store_i64(now), store_i64(user_id)),
                   err);
    return rc < 0 ? (int)rc : 0;
}

/* ---- giving tasks ---- */

/* The worker of the grid who has the fewest open tasks (then the lowest id): active grid workers
 * serving the region. 0 when the grid has none. */
static int grid_worker_for(struct case_tx *t, int64_t region_id, int64_t *user_id)
{
    *user_id = 0;
    if (!region_id)
        return 0;
    int rc = store_one_i64(
        t->env->conn,
        "SELECT w.user_id FROM grid_worker_grids g JOIN grid_workers w ON w.user_id = g.user_id"
        " JOIN users u ON u.id = w.user_id WHERE g.region_id = ? AND w.active <> 0"
        " ORDER BY (SELECT count(*) FROM grid_tasks x WHERE x.assignee_id = w.user_id"
        " AND x.status = 'open'), w.user_id LIMIT 1",
        STORE_ARGS(store_i64(region_id)), user_id, t->err);
    return rc < 0 ? rc : 0;
}

static int give(struct case_tx *t, int64_t case_id, const char *number, const char *state,
                int64_t dept, enum case_task_kind kind, int64_t worker, int64_t minutes)
{
    int64_t id, ev;
    int rc;
    int64_t due = t->env->now + minutes * 60;
    if ((rc = store_one_i64(t->env->conn,
                            "INSERT INTO grid_tasks(case_id, kind, assignee_id, created_at, due_at)"
                            " VALUES (?, ?, ?, ?, ?) RETURNING id",
                            STORE_ARGS(store_i64(case_id), store_text(case_task_kind_name(kind)),
                                       store_i64(worker), store_i64(t->env->now), store_i64(due)),
                            &id, t->err)) < 0)
        return rc;
    const char *payload =
        arena_printf(&t->arena, "{\"task\":%lld,\"kind\":\"%s\",\"assignee\":%lld,\"due_at\":%lld}",
                     (long long)id, case_task_kind_name(kind), (long long)worker, (long long)due);
    const char *action = kind == CTK_VERIFY ? "verify_task" : "check_task";
    if ((rc = case_tx_event(t, case_id, action, state, state, dept, NULL, payload, &ev)) < 0 ||
        (rc = case_tx_notify(t, case_id, ev, "user", worker, action,
                             arena_printf(&t->arena,
                                          kind == CTK_VERIFY ? "工单 %s 待核实，请到现场核实"
                                                             : "工单 %s 已办结，请到现场核查",
                                          number))) < 0)
        return rc;
    return case_tx_audit(t, action, case_id, NULL, payload);
}

int case_task_on_intake(struct case_tx *t, int64_t case_id, const struct case_new *in)
{
    int yes = 0, rc;
    int64_t worker, minutes;
    char *number = NULL;
    /* A grid worker's own report was seen on site already. */
    if (in->channel == CH_GRID || !in->region_id)
        return 0;
    if ((rc = rule_says(t->env->conn, in->category_id, 0, &yes, &minutes, t->err)) < 0 || !yes ||
        (rc = grid_worker_for(t, in->region_id, &worker)) < 0 || !worker)
        return rc < 0 ? rc : 0;
    if ((rc = store_one_text(t->env->conn, "SELECT number FROM cases WHERE id = ?",
                             STORE_ARGS(store_i64(case_id)), &t->arena, &number, t->err)) < 0)
        return rc;
    return give(t, case_id, number ? number : "", "new", 0, CTK_VERIFY, worker, minutes);
}

int case_task_on_replied(struct case_tx *t, const struct case_rec *r)
{
    int yes = 0, rc;
    int64_t worker, minutes;
    if (r->region_id == 0)
        return 0;
    if ((rc = rule_says(t->env->conn, r->category_id, 1, &yes, &minutes, t->err)) < 0 || !yes ||
        (rc = grid_worker_for(t, r->region_id, &worker)) < 0 || !worker)
        return rc < 0 ? rc : 0;
    return give(t, r->id, r->number, "replied", r->lead_department_id, CTK_CHECK, worker, minutes);
}

int case_task_waiting(struct case_tx *t, const struct case_rec *r, const char *kind)
{
    int64_t open = 0;
    int rc = store_one_i64(
        t->env->conn,
        "SELECT count(*) FROM grid_tasks WHERE case_id = ? AND kind = ? AND status = 'open'",
        STORE_ARGS(store_i64(r->id), store_text(kind)), &open, t->err);
    if (rc < 0)
        return rc;
    if (open)
        return err_set(t->err, ERR_CONFLICT,
                       strcmp(kind, "verify") == 0
                           ? "case %s waits for the grid worker's verification (核实)"
                           : "case %s waits for the grid worker's check of the reply (核查)",
                       r->number);
    return 0;
}

/* ---- reading ---- */

#define TASK_COLS                                                                                  \
    "SELECT t.id, t.case_id, t.kind, t.status, t.assignee_id, t.created_at, t.due_at,"             \
    " coalesce(t.done_at, 0), t.note, c.number, c.title, c.state, coalesce(c.address, ''),"        \
    " coalesce(r.name, ''), CASE WHEN c.lat IS NULL THEN 0 ELSE 1 END, coalesce(c.lat, 0),"        \
    " coalesce(c.lon, 0), coalesce(nullif(u.display_name, ''), u.name) FROM grid_tasks t"          \
    " JOIN cases c ON c.id = t.case_id JOIN users u ON u.id = t.assignee_id"                       \
    " LEFT JOIN regions r ON r.id = c.region_id "

typedef VEC(struct case_task) task_vec;

struct task_read {
    task_vec *v;
    struct case_task *one;
    struct arena *a;
    int64_t now;
};

static int read_task(void *ctx, struct store_stmt *s)
{
    struct task_read *q = ctx;
    struct case_task *k = q->one ? q->one : vec_push(q->v);
    struct arena *a = q->a;
    k->id = store_col_int(s, 0);
    k->case_id = store_col_int(s, 1);
    k->kind = arena_strdup(a, store_col_text(s, 2));
    k->status = arena_strdup(a, store_col_text(s, 3));
    k->assignee_id = store_col_int(s, 4);
    k->created_at = store_col_int(s, 5);
    k->due_at = store_col_int(s, 6);
    k->done_at = store_col_int(s, 7);
    k->note = arena_strdup(a, store_col_text(s, 8));
    k->case_number = arena_strdup(a, store_col_text(s, 9));
    k->case_title = arena_strdup(a, store_col_text(s, 10));
    k->case_state = arena_strdup(a, store_col_text(s, 11));
    k->address = arena_strdup(a, store_col_text(s, 12));
    k->region_name = arena_strdup(a, store_col_text(s, 13));
    k->has_location = store_col_int(s, 14) != 0;
    k->lat = store_col_real(s, 15);
    k->lon = store_col_real(s, 16);
    k->assignee_name = arena_strdup(a, store_col_text(s, 17));
    k->overdue = strcmp(k->status, "open") == 0 && q->now > k->due_at;
    return 0;
}

int case_task_list_mine(struct store_conn *c, int64_t user_id, int64_t now, int64_t recent,
                        struct arena *a, struct case_task **out, size_t *n, struct err *err)
{
    task_vec v = VEC_IN(a);
    struct task_read q = {&v, NULL, a, now};
    int64_t rc = store_all(
        c,
        TASK_COLS "WHERE t.assignee_id = ? AND (t.status = 'open' OR t.done_at >= ?)"
                  " ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END,"
                  " CASE WHEN t.status = 'open' THEN t.due_at ELSE -t.done_at END, t.id LIMIT 200",
        STORE_ARGS(store_i64(user_id), store_i64(now - recent)), read_task, &q, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int case_task_get(struct store_conn *c, int64_t id, int64_t now, struct arena *a,
                  struct case_task *out, struct err *err)
{
    struct task_read q = {NULL, out, a, now};
    int rc =
        store_one(c, TASK_COLS "WHERE t.id = ?", STORE_ARGS(store_i64(id)), read_task, &q, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "task %lld does not exist", (long long)id);
    return 0;
}

int case_task_of_case(struct store_conn *c, int64_t case_id, int64_t now, struct arena *a,
                      struct case_task **out, size_t *n, struct err *err)
{
    task_vec v = VEC_IN(a);
    struct task_read q = {&v, NULL, a, now};
    int64_t rc = store_all(c, TASK_COLS "WHERE t.case_id = ? ORDER BY t.id",
                           STORE_ARGS(store_i64(case_id)), read_task, &q, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- deciding ---- */

static int confirm(struct case_tx *t, const struct case_task *k, const struct case_rec *r,
                   int64_t *ev)
{
    int64_t photos = 0;
    int rc = store_one_i64(
        t->env->conn,
        "SELECT count(*) FROM case_attachments WHERE case_id = ? AND added_by = ?"
        " AND added_at >= ?",
        STORE_ARGS(store_i64(r->id), store_i64(t->env->actor->user_id), store_i64(k->created_at)),
        &photos, t->err);
    if (rc < 0)
        return rc;
    if (!photos)
        return err_field(t->err, ERR_BAD_REQUEST, "photo",
                         "confirming a verification needs a photo taken on site: attach one to "
                         "case %s first",
                         r->number);
    if ((rc = case_tx_event(t, r->id, "verify_confirm", "new", "new", 0, "现场核实属实",
                            arena_printf(&t->arena, "{\"task\":%lld,\"photos\":%lld}",
                                         (long long)k->id, (long long)photos),
                            ev)) < 0)
        return rc;
    return case_tx_notify(t, r->id, *ev, "dispatchers", 0, "verified",
                          arena_printf(&t->arena, "工单 %s 已现场核实属实，请派单", r->number));
}

static int reject(struct case_tx *t, const struct case_task *k, const struct case_rec *r,
                  const char *note, int64_t *ev)
{
    int rc;
    if ((rc = case_tx_exec(
             t,
             "UPDATE cases SET state = 'cancelled', closed_at = ?,"
             " version = version + 1, updated_at = ? WHERE id = ?",
             STORE_ARGS(store_i64(t->env->now), store_i64(t->env->now), store_i64(r->id)))) < 0 ||
        (rc = case_tx_event(t, r->id, "verify_reject", "new", "cancelled", 0, note,
                            arena_printf(&t->arena, "{\"task\":%lld}", (long long)k->id), ev)) < 0)
        return rc;
    if (!r->created_by || r->created_by == t->env->actor->user_id)
        return 0;
    return case_tx_notify(
        t, r->id, *ev, "citizen", r->created_by, "not_verified",
        arena_printf(&t->arena, "您的诉求 %s 经网格员现场核实不属实：%s", r->number, note));
}

static int pass(struct case_tx *t, const struct case_task *k, const struct case_rec *r, int64_t *ev)
{
    int rc = case_tx_event(t, r->id, "check_pass", "replied", "replied", r->lead_department_id,
                           "现场核查属实",
                           arena_printf(&t->arena, "{\"task\":%lld}", (long long)k->id), ev);
    if (rc < 0)
        return rc;
    return case_tx_notify(t, r->id, *ev, "dispatchers", 0, "checked",
                          arena_printf(&t->arena, "工单 %s 已通过现场核查，可回访结案", r->number));
}

static int fail(struct case_tx *t, const struct case_task *k, const struct case_rec *r,
                const char *note, int64_t *ev)
{
    int escalated, rc;
    if ((rc = case_tx_exec(t,
                           "UPDATE cases SET state = 'rectifying', version = version + 1,"
                           " updated_at = ? WHERE id = ?",
                           STORE_ARGS(store_i64(t->env->now), store_i64(r->id)))) < 0 ||
        (rc = case_tx_event(t, r->id, "check_fail", "replied", "rectifying", r->lead_department_id,
                            note, arena_printf(&t->arena, "{\"task\":%lld}", (long long)k->id),
                            ev)) < 0 ||
        (rc = case_rectify(t, r, *ev, &escalated)) < 0)
        return rc;
    if (escalated && ((rc = case_tx_event(t, r->id, "escalate", "rectifying", "rectifying",
                                          r->lead_department_id, "多轮整改仍未通过核查，升级督办",
                                          "{}", ev)) < 0 ||
                      (rc = case_tx_notify(t, r->id, *ev, "supervisors", 0, "escalated",
                                           arena_printf(&t->arena, "工单 %s 多轮整改未通过，请督办",
                                                        r->number))) < 0))
        return rc;
    return 0;
}

static const char *const outcome_status[] = {"confirmed", "rejected", "passed", "failed"};

static int decide(struct case_tx *t, int64_t id, enum case_task_decision d, const char *note)
{
    const struct case_env *env = t->env;
    struct case_task k;
    struct case_rec r, after;
    int64_t ev = 0;
    int rc;
    if ((rc = case_task_get(env->conn, id, env->now, &t->arena, &k, t->err)) < 0 ||
        (rc = case_get(env->conn, k.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    if (k.assignee_id != env->actor->user_id && !(env->actor->roles & ROLE_ADMIN))
        return err_deny(t->err, ERR_REASON_OWNER, "task %lld is another grid worker's",
                        (long long)id);
    int verify = strcmp(k.kind, "verify") == 0;
    if (verify != (d == CTD_CONFIRM || d == CTD_REJECT))
        return err_field(t->err, ERR_BAD_REQUEST, "decision",
                         verify ? "a verification is decided by 'confirm' or 'reject'"
                                : "a check is decided by 'pass' or 'fail'");
    if (strcmp(k.status, "open") != 0)
        return err_set(t->err, ERR_CONFLICT, "task %lld was decided already (%s)", (long long)id,
                       k.status);
    if (r.state != (verify ? CASE_NEW : CASE_REPLIED))
        return err_set(t->err, ERR_CONFLICT, "case %s is %s and no longer waits for this task",
                       r.number, case_state_name(r.state));
    if ((d == CTD_REJECT || d == CTD_FAIL) &&
        (rc = case_check_text(note, d == CTD_REJECT ? "reason" : "finding", 1, CASE_NOTE_MAX,
                              t->err)) < 0)
        return rc;
    if ((rc = case_tx_touch(t, r.id)) < 0 ||
        (rc = case_tx_exec(t,
                           "UPDATE grid_tasks SET status = ?, done_at = ?, note = ? WHERE id = ?"
                           " AND status = 'open'",
                           STORE_ARGS(store_text(outcome_status[d]), store_i64(env->now),
                                      store_text(note ? note : ""), store_i64(id)))) < 0)
        return rc;
    switch (d) {
    case CTD_CONFIRM: rc = confirm(t, &k, &r, &ev); break;
    case CTD_REJECT: rc = reject(t, &k, &r, note, &ev); break;
    case CTD_PASS: rc = pass(t, &k, &r, &ev); break;
    case CTD_FAIL: rc = fail(t, &k, &r, note, &ev); break;
    default: BUG("task decision out of range");
    }
    if (rc < 0 || (rc = case_get(env->conn, r.id, &t->arena, &after, t->err)) < 0)
        return rc;
    return case_tx_audit(t, arena_printf(&t->arena, "task_%s", case_task_decision_name(d)), r.id,
                         case_tx_summary(t, &r), case_tx_summary(t, &after));
}

struct decide_in {
    int64_t id;
    enum case_task_decision d;
    const char *note;
};

static int decide_fn(struct case_tx *t, void *arg)
{
    const struct decide_in *in = arg;
    return decide(t, in->id, in->d, in->note);
}

int case_task_decide(const struct case_env *env, int64_t id, enum case_task_decision d,
                     const char *note, struct err *err)
{
    struct decide_in in = {id, d, note};
    if ((unsigned)d > CTD_FAIL)
        return err_field(err, ERR_BAD_REQUEST, "decision",
                         "field 'decision' must be confirm, reject, pass or fail");
    return case_tx_run(env, decide_fn, &in, err);
}

/* ---- overdue tasks ---- */

/* A notice of 'kind' to the officials (active dispatchers and supervisors) bound to region
 * 'region', or to the dispatchers when it has none. */
static int tell_officials(struct case_tx *t, int64_t case_id, int64_t ev, int64_t region,
                          const char *kind, const char *message)
{
    const struct case_env *env = t->env;
    int64_t told = store_run(env->conn,
                             "INSERT INTO notifications(case_id, event_id, created_at,"
                             " recipient_kind, recipient_id, kind, message, next_attempt_at)"
                             " SELECT ?, ?, ?, 'user', u.id, ?, ?, ? FROM users u"
                             " WHERE u.active = 1 AND u.region_id = ? AND u.region_id <> 0"
                             " AND ((',' || u.roles || ',') LIKE '%,dispatcher,%'"
                             " OR (',' || u.roles || ',') LIKE '%,supervisor,%')",
                             STORE_ARGS(store_i64(case_id), store_i64(ev), store_i64(env->now),
                                        store_text(kind), store_text(message), store_i64(env->now),
                                        store_i64(region)),
                             t->err);
    if (told < 0)
        return (int)told;
    return told ? 0 : case_tx_notify(t, case_id, ev, "dispatchers", 0, kind, message);
}

static int sweep_task(struct case_tx *t, int64_t id)
{
    const struct case_env *env = t->env;
    struct case_task k;
    struct case_rec r;
    int64_t ev, community = 0;
    int rc;
    if ((rc = case_task_get(env->conn, id, env->now, &t->arena, &k, t->err)) < 0 ||
        (rc = case_get(env->conn, k.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    /* Another sweeper (a second node) got there first: nothing to do. */
    int64_t n = store_run(env->conn,
                          "UPDATE grid_tasks SET overdue_at = ? WHERE id = ? AND status = 'open'"
                          " AND overdue_at IS NULL",
                          STORE_ARGS(store_i64(env->now), store_i64(id)), t->err);
    if (n <= 0)
        return (int)n;
    int verify = strcmp(k.kind, "verify") == 0;
    const char *state = case_state_name(r.state);
    const char *payload =
        arena_printf(&t->arena, "{\"task\":%lld,\"kind\":\"%s\",\"assignee\":%lld,\"due_at\":%lld}",
                     (long long)id, k.kind, (long long)k.assignee_id, (long long)k.due_at);
    const char *what = verify ? "现场核实" : "现场核查";
    if ((rc = case_tx_event(t, r.id, "task_overdue", state, state, r.lead_department_id,
                            arena_printf(&t->arena, "%s任务已超时未完成", what), payload, &ev)) <
            0 ||
        (rc = case_tx_notify(t, r.id, ev, "user", k.assignee_id, "task_overdue",
                             arena_printf(&t->arena, "工单 %s 的%s任务已超时，请尽快到现场处理",
                                          r.number, what))) < 0)
        return rc;
    /* The community the case's grid (or micro-grid) belongs to. */
    if ((rc = store_one_i64(env->conn,
                            "SELECT coalesce(CASE WHEN p.level = 'community' THEN p.id END,"
                            " CASE WHEN g.level = 'community' THEN g.id END, 0)"
                            " FROM regions x LEFT JOIN regions p ON p.id = x.parent_id"
                            " LEFT JOIN regions g ON g.id = p.parent_id WHERE x.id = ?",
                            STORE_ARGS(store_i64(r.region_id)), &community, t->err)) < 0)
        return rc;
    const char *message = arena_printf(
        &t->arena, "工单 %s 的%s任务已超时未完成，请督促网格员或另行安排", r.number, what);
    if ((rc = tell_officials(t, r.id, ev, community, "task_overdue", message)) < 0)
        return rc;
    return case_tx_audit(t, "task_overdue", r.id, NULL, payload);
}

/* The second rung: a task still open when as long again as it was given has passed since its due
 * time goes to the officials of the street above the case's community (the street the ladder
 * escalates to), or to the dispatchers when the street has none. */
static int escalate_task(struct case_tx *t, int64_t id)
{
    const struct case_env *env = t->env;
    struct case_task k;
    struct case_rec r;
    int64_t ev, street = 0;
    int rc;
    if ((rc = case_task_get(env->conn, id, env->now, &t->arena, &k, t->err)) < 0 ||
        (rc = case_get(env->conn, k.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    int64_t n = store_run(env->conn,
                          "UPDATE grid_tasks SET escalated_at = ? WHERE id = ? AND status = 'open'"
                          " AND escalated_at IS NULL",
                          STORE_ARGS(store_i64(env->now), store_i64(id)), t->err);
    if (n <= 0)
        return (int)n;
    const char *state = case_state_name(r.state);
    const char *what = strcmp(k.kind, "verify") == 0 ? "现场核实" : "现场核查";
    const char *payload =
        arena_printf(&t->arena, "{\"task\":%lld,\"kind\":\"%s\",\"assignee\":%lld,\"due_at\":%lld}",
                     (long long)id, k.kind, (long long)k.assignee_id, (long long)k.due_at);
    long long late_min = (long long)((env->now - k.due_at) / 60);
    if ((rc = case_tx_event(
             t, r.id, "task_escalate", state, state, r.lead_department_id,
             arena_printf(&t->arena, "%s任务超时 %lld 分钟仍未完成，已报街道", what, late_min),
             payload, &ev)) < 0)
        return rc;
    /* The street: the nearest region of level street above the case's grid. */
    if ((rc = store_one_i64(env->conn,
                            "SELECT coalesce(CASE WHEN p.level = 'street' THEN p.id END,"
                            " CASE WHEN g.level = 'street' THEN g.id END,"
                            " CASE WHEN gg.level = 'street' THEN gg.id END, 0)"
                            " FROM regions x LEFT JOIN regions p ON p.id = x.parent_id"
                            " LEFT JOIN regions g ON g.id = p.parent_id"
                            " LEFT JOIN regions gg ON gg.id = g.parent_id WHERE x.id = ?",
                            STORE_ARGS(store_i64(r.region_id)), &street, t->err)) < 0)
        return rc;
    const char *message =
        arena_printf(&t->arena, "工单 %s 的%s任务超时 %lld 分钟仍未完成，社区未能安排，请街道督办",
                     r.number, what, late_min);
    if ((rc = tell_officials(t, r.id, ev, street, "task_escalate", message)) < 0)
        return rc;
    return case_tx_audit(t, "task_escalate", r.id, NULL, payload);
}

int case_task_sweep(const struct case_env *env, int *told, int *escalated, struct err *err)
{
    int rc = case_tx_each(env,
                          "SELECT id FROM grid_tasks WHERE status = 'open' AND due_at < ?"
                          " AND overdue_at IS NULL ORDER BY due_at, id LIMIT 256",
                          STORE_ARGS(store_i64(env->now)), sweep_task, told, err);
    if (rc < 0)
        return rc;
    /* Told overdue first, then escalated: a task found late by a whole span at once gets both. */
    return case_tx_each(env,
                        "SELECT id FROM grid_tasks WHERE status = 'open' AND overdue_at IS NOT NULL"
                        " AND escalated_at IS NULL AND due_at + (due_at - created_at) < ?"
                        " ORDER BY due_at, id LIMIT 256",
                        STORE_ARGS(store_i64(env->now)), escalate_task, escalated, err);
}

/* ---- 转交 / 转派 ---- */

/* Who may hand task 'k' of case 'r' on: its worker (转交), an admin, or an official — a
 * dispatcher or supervisor — whose region holds the case (转派: the community reassigns the task
 * of a worker who is away or overdue). */
static int may_hand_on(const struct case_actor *a, const struct case_task *k,
                       const struct case_rec *r)
{
    if (k->assignee_id == a->user_id || (a->roles & ROLE_ADMIN))
        return 1;
    if (!(a->roles & (ROLE_DISPATCHER | ROLE_SUPERVISOR)))
        return 0;
    return !a->region_code || !*a->region_code ||
           (r->region_code && org_region_code_in_subtree(r->region_code, a->region_code));
}

static int transfer(struct case_tx *t, int64_t id, int64_t to, const char *note)
{
    const struct case_env *env = t->env;
    struct case_task k;
    struct case_rec r;
    int64_t ev;
    int rc;
    if ((rc = case_task_get(env->conn, id, env->now, &t->arena, &k, t->err)) < 0 ||
        (rc = case_get(env->conn, k.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    if (!may_hand_on(env->actor, &k, &r))
        return err_deny(t->err, ERR_REASON_OWNER, "task %lld is another grid worker's",
                        (long long)id);
    if (strcmp(k.status, "open") != 0)
        return err_set(t->err, ERR_CONFLICT, "task %lld was decided already (%s)", (long long)id,
                       k.status);
    if ((rc = case_check_text(note, "note", 1, CASE_NOTE_MAX, t->err)) < 0)
        return rc;
    if (to == k.assignee_id)
        return err_field(t->err, ERR_BAD_REQUEST, "assignee",
                         "task %lld is user %lld's already: choose a colleague", (long long)id,
                         (long long)to);
    if ((rc = store_one(env->conn,
                        "SELECT 1 FROM grid_worker_grids g JOIN grid_workers w"
                        " ON w.user_id = g.user_id JOIN users u ON u.id = w.user_id"
                        " WHERE g.region_id = ? AND w.user_id = ? AND w.active <> 0"
                        " AND u.active = 1",
                        STORE_ARGS(store_i64(r.region_id), store_i64(to)), NULL, NULL, t->err)) < 0)
        return rc;
    if (rc == 0)
        return err_field(t->err, ERR_BAD_REQUEST, "assignee",
                         "user %lld is not an active grid worker serving the grid of case %s",
                         (long long)to, r.number);
    const char *state = case_state_name(r.state);
    const char *payload =
        arena_printf(&t->arena, "{\"task\":%lld,\"kind\":\"%s\",\"from\":%lld,\"to\":%lld}",
                     (long long)id, k.kind, (long long)k.assignee_id, (long long)to);
    /* The colleague is told afresh: an overdue notice for the task is theirs to earn. */
    if ((rc = case_tx_exec(
             t,
             "UPDATE grid_tasks SET assignee_id = ?, overdue_at = NULL, escalated_at = NULL"
             " WHERE id = ?"
             " AND status = 'open'",
             STORE_ARGS(store_i64(to), store_i64(id)))) < 0 ||
        (rc = case_tx_event(t, r.id, "task_transfer", state, state, r.lead_department_id, note,
                            payload, &ev)) < 0 ||
        (rc = case_tx_notify(
             t, r.id, ev, "user", to, "task_transfer",
             arena_printf(&t->arena, "%s给您工单 %s 的%s任务：%s",
                          k.assignee_id == env->actor->user_id ? "同事转交" : "社区转派", r.number,
                          strcmp(k.kind, "verify") == 0 ? "现场核实" : "现场核查", note))) < 0)
        return rc;
    /* A reassignment by an official: the worker it was taken from hears of it too. */
    if (k.assignee_id != env->actor->user_id &&
        (rc = case_tx_notify(t, r.id, ev, "user", k.assignee_id, "task_transfer",
                             arena_printf(&t->arena, "工单 %s 的%s任务已转派他人：%s", r.number,
                                          strcmp(k.kind, "verify") == 0 ? "现场核实" : "现场核查",
                                          note))) < 0)
        return rc;
    return case_tx_audit(t, "task_transfer", r.id, NULL, payload);
}

struct transfer_in {
    int64_t id, to;
    const char *note;
};

static int transfer_fn(struct case_tx *t, void *arg)
{
    const struct transfer_in *in = arg;
    return transfer(t, in->id, in->to, in->note);
}

int case_task_transfer(const struct case_env *env, int64_t id, int64_t to, const char *note,
                       struct err *err)
{
    struct transfer_in in = {id, to, note};
    return case_tx_run(env, transfer_fn, &in, err);
}

typedef VEC(struct case_colleague) colleague_vec;

static int push_colleague(void *ctx, struct store_stmt *row)
{
    colleague_vec *v = ctx;
    struct case_colleague *x = vec_push(v);
    x->user_id = store_col_int(row, 0);
    x->name = arena_strdup(v->arena, store_col_text(row, 1));
    x->display_name = arena_strdup(v->arena, store_col_text(row, 2));
    x->open_tasks = (int)store_col_int(row, 3);
    return 0;
}

int case_task_colleagues(struct store_conn *c, const struct case_actor *actor, int64_t id,
                         struct arena *a, struct case_colleague **out, size_t *n, struct err *err)
{
    struct case_task k;
    struct case_rec r;
    colleague_vec v = VEC_IN(a);
    int rc;
    if ((rc = case_task_get(c, id, 0, a, &k, err)) < 0 ||
        (rc = case_get(c, k.case_id, a, &r, err)) < 0)
        return rc;
    if (!may_hand_on(actor, &k, &r))
        return err_deny(err, ERR_REASON_OWNER, "task %lld is another grid worker's", (long long)id);
    int64_t got = store_all(
        c,
        "SELECT u.id, u.name, coalesce(u.display_name, ''), (SELECT count(*) FROM grid_tasks x"
        " WHERE x.assignee_id = u.id AND x.status = 'open') FROM grid_worker_grids g"
        " JOIN grid_workers w ON w.user_id = g.user_id JOIN users u ON u.id = w.user_id"
        " JOIN cases cs ON cs.region_id = g.region_id WHERE cs.id = ? AND w.active <> 0"
        " AND u.active = 1 AND u.id <> ? ORDER BY u.id",
        STORE_ARGS(store_i64(k.case_id), store_i64(k.assignee_id)), push_colleague, &v, err);
    if (got < 0)
        return (int)got;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- 自行处置 ---- */

/* Link the actor's pending upload 'aid' to the case with its 'attach' event in 'state' (new: a
 * 处置前 photo, closed: 处置后: case_photo_stage reads the event's state), consuming it. */
static int link_photo(struct case_tx *t, int64_t case_id, int64_t aid, const char *state,
                      const char *field)
{
    const struct case_env *env = t->env;
    struct attach_rec a;
    int64_t ev;
    int rc = store_one(env->conn,
                       "SELECT 1 FROM pending_uploads WHERE user_id = ? AND attachment_id = ?"
                       " AND created_at >= ?",
                       STORE_ARGS(store_i64(env->actor->user_id), store_i64(aid),
                                  store_i64(env->now - CASE_PENDING_UPLOAD_SECONDS)),
                       NULL, NULL, t->err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(t->err, ERR_BAD_REQUEST, field,
                         "photo %lld is not one you uploaded for a report (or it is older than a "
                         "day, or used already): upload it again",
                         (long long)aid);
    if ((rc = attach_get(env->conn, aid, &t->arena, &a, t->err)) < 0)
        return rc;
    const char *payload = arena_printf(
        &t->arena,
        "{\"attachment\":%lld,\"sha256\":\"%s\",\"mime\":\"%s\",\"size\":%lld,\"width\":%d,"
        "\"height\":%d}",
        (long long)aid, a.sha256, a.mime, (long long)a.size, a.width, a.height);
    if ((rc = case_tx_event(t, case_id, "attach", state, state, 0, NULL, payload, &ev)) < 0 ||
        (rc = case_tx_exec(
             t,
             "INSERT INTO case_attachments(case_id, attachment_id, event_id, added_by, added_at)"
             " VALUES (?, ?, ?, ?, ?)",
             STORE_ARGS(store_i64(case_id), store_i64(aid), store_i64(ev),
                        store_i64(env->actor->user_id), store_i64(env->now)))) < 0 ||
        (rc = case_tx_exec(t, "DELETE FROM pending_uploads WHERE user_id = ? AND attachment_id = ?",
                           STORE_ARGS(store_i64(env->actor->user_id), store_i64(aid)))) < 0)
        return rc;
    return 0;
}

/* Counts within 1..CASE_SELF_PHOTOS_MAX and no photo given twice (in either list). */
static int check_photos(const struct case_self_photos *p, struct err *err)
{
    if (p->nbefore < 1 || p->nbefore > CASE_SELF_PHOTOS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "before_photos",
                         "a self-handled report needs 1 to %d photos taken before (处置前)",
                         CASE_SELF_PHOTOS_MAX);
    if (p->nafter < 1 || p->nafter > CASE_SELF_PHOTOS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "after_photos",
                         "a self-handled report needs 1 to %d photos of the result (处置后)",
                         CASE_SELF_PHOTOS_MAX);
    size_t n = p->nbefore + p->nafter;
    for (size_t i = 1; i < n; i++) {
        int64_t id = i < p->nbefore ? p->before[i] : p->after[i - p->nbefore];
        for (size_t j = 0; j < i; j++)
            if ((j < p->nbefore ? p->before[j] : p->after[j - p->nbefore]) == id) {
                char field[48];
                if (i < p->nbefore)
                    snprintf(field, sizeof(field), "before_photos[%zu]", i);
                else
                    snprintf(field, sizeof(field), "after_photos[%zu]", i - p->nbefore);
                return err_field(err, ERR_BAD_REQUEST, field, "photo %lld is given twice",
                                 (long long)id);
            }
    }
    return 0;
}

static const char *ids_json(struct arena *a, const int64_t *v, size_t n)
{
    const char *s = "[";
    for (size_t i = 0; i < n; i++)
        s = arena_printf(a, "%s%s%lld", s, i ? "," : "", (long long)v[i]);
    return arena_printf(a, "%s]", s);
}

static int self_handle(struct case_tx *t, const struct case_new *n, const char *result,
                       const struct case_self_photos *p, struct case_created *out)
{
    const struct case_env *env = t->env;
    char field[48];
    int64_t ev;
    int rc;
    if ((rc = case_create_in_tx(env, n, out, t->err)) < 0 || (rc = case_tx_touch(t, out->id)) < 0)
        return rc;
    for (size_t i = 0; i < p->nbefore; i++) {
        snprintf(field, sizeof(field), "before_photos[%zu]", i);
        if ((rc = link_photo(t, out->id, p->before[i], "new", field)) < 0)
            return rc;
    }
    if ((rc = case_tx_exec(t,
                           "UPDATE cases SET state = 'closed', self_handled = 1, closed_at = ?,"
                           " replied_at = ?, reply_solved = 1, version = version + 1,"
                           " updated_at = ? WHERE id = ?",
                           STORE_ARGS(store_i64(env->now), store_i64(env->now), store_i64(env->now),
                                      store_i64(out->id)))) < 0 ||
        (rc = case_tx_event(t, out->id, "self_handle", "new", "closed", 0, result,
                            "{\"self_handled\":true}", &ev)) < 0)
        return rc;
    for (size_t i = 0; i < p->nafter; i++) {
        snprintf(field, sizeof(field), "after_photos[%zu]", i);
        if ((rc = link_photo(t, out->id, p->after[i], "closed", field)) < 0)
            return rc;
    }
    return case_tx_audit(
        t, "self_handle", out->id, NULL,
        arena_printf(&t->arena,
                     "{\"number\":\"%s\",\"state\":\"closed\",\"before_photos\":%s,"
                     "\"after_photos\":%s}",
                     out->number, ids_json(&t->arena, p->before, p->nbefore),
                     ids_json(&t->arena, p->after, p->nafter)));
}

struct self_in {
    struct case_new n;
    const char *result;
    const struct case_self_photos *photos;
    struct case_created *out;
};

static int self_fn(struct case_tx *t, void *arg)
{
    struct self_in *in = arg;
    int rc = self_handle(t, &in->n, in->result, in->photos, in->out);
    return rc < 0 ? rc : case_index_pending(t->env->conn, t->err);
}

int case_self_handle(const struct case_env *env, const struct case_new *in, const char *result,
                     const struct case_self_photos *photos, struct case_created *out,
                     struct err *err)
{
    struct self_in x = {*in, result, photos, out};
    int rc;
    x.n.channel = CH_GRID;
    if (!(env->actor->roles & (ROLE_GRID_WORKER | ROLE_ADMIN)))
        return err_deny(err, ERR_REASON_ROLE, "only a grid worker handles a matter on the spot");
    if ((rc = case_check_text(result, "result", 1, CASE_RESULT_MAX, err)) < 0 ||
        (rc = check_photos(photos, err)) < 0)
        return rc;
    return case_tx_run(env, self_fn, &x, err);
}

int case_self_handled(struct store_conn *c, int64_t id, int *yes, struct err *err)
{
    int64_t v = 0;
    int rc = store_one_i64(c, "SELECT self_handled FROM cases WHERE id = ?",
                           STORE_ARGS(store_i64(id)), &v, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "case %lld does not exist", (long long)id);
    *yes = v != 0;
    return 0;
}

int case_self_handled_count(struct store_conn *c, int64_t user_id, int64_t from, int64_t to,
                            int64_t *n, struct err *err)
{
    *n = 0;
    int rc = store_one_i64(
        c,
        "SELECT count(*) FROM cases WHERE self_handled <> 0 AND closed_at >= ?"
        " AND closed_at < ? AND (? = 0 OR created_by = ?)",
        STORE_ARGS(store_i64(from), store_i64(to), store_i64(user_id), store_i64(user_id)), n, err);
    return rc < 0 ? rc : 0;
}
