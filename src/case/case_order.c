/*
 * 督办单: a supervisor's formal order on a case to its lead department (table supervision_orders,
 * migration 0030). Issued with a level, an instruction and a deadline; the department writes its
 * answer; the supervisor accepts it or sends it back (issued again, a new deadline if given).
 * Every step is one transaction with the case's timeline event, the notification and the audit
 * entry, like a case action; the case itself (state, version) is left alone.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org.h"
#include "store/store.h"

static const char *const level_names[CASE_ORDER_LEVEL_COUNT] = {"general", "key", "listed"};
static const char *const level_words[CASE_ORDER_LEVEL_COUNT] = {"一般", "重点", "挂牌"};
static const char *const state_names[CASE_ORDER_STATE_COUNT] = {"issued", "answered", "accepted"};
static const char *const step_names[CASE_ORDER_STEP_COUNT] = {"answer", "accept", "send_back"};

const char *case_order_level_name(enum case_order_level l)
{
    return (unsigned)l < CASE_ORDER_LEVEL_COUNT ? level_names[l] : "?";
}
int case_order_level_from_name(const char *name)
{
    return case_name_lookup(level_names, CASE_ORDER_LEVEL_COUNT, name);
}
const char *case_order_state_name(enum case_order_state s)
{
    return (unsigned)s < CASE_ORDER_STATE_COUNT ? state_names[s] : "?";
}
int case_order_state_from_name(const char *name)
{
    return case_name_lookup(state_names, CASE_ORDER_STATE_COUNT, name);
}
const char *case_order_step_name(enum case_order_step s)
{
    return (unsigned)s < CASE_ORDER_STEP_COUNT ? step_names[s] : "?";
}

/* ---- who sees and does what ---- */

#define SUPERVISING (ROLE_SUPERVISOR | ROLE_ADMIN)

int case_order_visible(const struct case_actor *s, const struct case_order *o)
{
    int region_bound = s->region_code && *s->region_code;
    if (s->roles & ROLE_ADMIN)
        return 1;
    if ((s->roles & CASE_WIDE_ROLES) && !region_bound)
        return 1;
    if ((s->roles & CASE_WIDE_ROLES) && o->region_code &&
        org_region_code_in_subtree(o->region_code, s->region_code))
        return 1;
    return (s->roles & ROLE_HANDLER) && case_actor_in_departments(s, o->department_id);
}

unsigned case_order_steps(const struct case_actor *a, const struct case_order *o)
{
    unsigned m = 0;
    if (!case_order_visible(a, o))
        return 0;
    if (o->state == COS_ISSUED &&
        ((a->roles & ROLE_ADMIN) ||
         ((a->roles & ROLE_HANDLER) && case_actor_in_departments(a, o->department_id))))
        m |= 1u << COP_ANSWER;
    if (o->state == COS_ANSWERED && (a->roles & SUPERVISING))
        m |= 1u << COP_ACCEPT | 1u << COP_SEND_BACK;
    return m;
}

int case_order_issuable(const struct case_actor *a, const struct case_rec *r, struct err *err)
{
    if (!(a->roles & SUPERVISING))
        return err_deny(err, ERR_REASON_ROLE, "only supervisors issue supervision orders");
    if (!case_visible(a, r))
        return err_deny(err, ERR_REASON_SCOPE, "case %s is outside your scope", r->number);
    if (case_state_is_final(r->state))
        return err_set(err, ERR_CONFLICT, "case %s is %s: there is nothing left to supervise",
                       r->number, case_state_name(r->state));
    if (!r->lead_department_id)
        return err_set(err, ERR_CONFLICT,
                       "case %s has no lead department yet: dispatch it before supervising it",
                       r->number);
    return 0;
}

int case_order_overdue(const struct case_order *o, int64_t now)
{
    return o->state == COS_ISSUED && o->deadline < now;
}

/* ---- reading ---- */

#define COLS                                                                                       \
    "o.id, o.case_id, c.number, c.title, coalesce(c.region_code, ''), o.department_id, d.name,"    \
    " o.level, o.instruction, o.deadline, o.state, o.answer, coalesce(o.answered_at, 0),"          \
    " coalesce(o.first_answered_at, 0), o.decision_note, coalesce(o.decided_at, 0), o.send_backs," \
    " coalesce(o.issued_by, 0), coalesce(u.display_name, ''), o.issued_at, o.updated_at, o.version"
#define FROM                                                                                       \
    " FROM supervision_orders o JOIN cases c ON c.id = o.case_id"                                  \
    " JOIN departments d ON d.id = o.department_id LEFT JOIN users u ON u.id = o.issued_by"

static void read_order(struct store_stmt *s, struct arena *a, struct case_order *o)
{
    int i = 0, v;
    o->id = store_col_int(s, i++);
    o->case_id = store_col_int(s, i++);
    o->case_number = arena_strdup(a, store_col_text(s, i++));
    o->case_title = arena_strdup(a, store_col_text(s, i++));
    o->region_code = arena_strdup(a, store_col_text(s, i++));
    o->department_id = store_col_int(s, i++);
    o->department_name = arena_strdup(a, store_col_text(s, i++));
    v = case_order_level_from_name(store_col_text(s, i++));
    o->level = v < 0 ? COL_GENERAL : (enum case_order_level)v;
    o->instruction = arena_strdup(a, store_col_text(s, i++));
    o->deadline = store_col_int(s, i++);
    v = case_order_state_from_name(store_col_text(s, i++));
    o->state = v < 0 ? COS_ISSUED : (enum case_order_state)v;
    o->answer = arena_strdup(a, store_col_text(s, i++));
    o->answered_at = store_col_int(s, i++);
    o->first_answered_at = store_col_int(s, i++);
    o->decision_note = arena_strdup(a, store_col_text(s, i++));
    o->decided_at = store_col_int(s, i++);
    o->send_backs = (int)store_col_int(s, i++);
    o->issued_by = store_col_int(s, i++);
    o->issued_by_name = arena_strdup(a, store_col_text(s, i++));
    o->issued_at = store_col_int(s, i++);
    o->updated_at = store_col_int(s, i++);
    o->version = store_col_int(s, i++);
}

struct one {
    struct arena *a;
    struct case_order *out;
};

static int one_order(void *ctx, struct store_stmt *row)
{
    struct one *o = ctx;
    read_order(row, o->a, o->out);
    return 0;
}

static int load(struct store_conn *c, int64_t id, struct arena *a, struct case_order *out,
                struct err *err)
{
    struct one o = {a, out};
    int rc = store_one(c, "SELECT " COLS FROM " WHERE o.id = ?", STORE_ARGS(store_i64(id)),
                       one_order, &o, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "supervision order %lld does not exist", (long long)id);
    return 0;
}

int case_order_get(struct store_conn *c, int64_t id, const struct case_actor *scope,
                   struct arena *a, struct case_order *out, struct err *err)
{
    int rc = load(c, id, a, out, err);
    if (rc < 0)
        return rc;
    /* An order outside the caller's scope is answered as one that does not exist. */
    if (scope && !case_order_visible(scope, out))
        return err_set(err, ERR_NOT_FOUND, "supervision order %lld does not exist", (long long)id);
    return 0;
}

typedef VEC(struct case_order) order_vec;

static int push_order(void *ctx, struct store_stmt *row)
{
    order_vec *v = ctx;
    read_order(row, v->arena, vec_push(v));
    return 0;
}

/* One fixed statement: each filter and scope is a bound switch, so the prepared-statement cache
 * holds one shape. */
#define WHERE                                                                                      \
    " WHERE (? = 0 OR ((? / CASE o.state WHEN 'issued' THEN 1 WHEN 'answered' THEN 2 ELSE 4 END)"  \
    " % 2) = 1)"                                                                                   \
    " AND (? = 0 OR ((? / CASE o.level WHEN 'general' THEN 1 WHEN 'key' THEN 2 ELSE 4 END)"        \
    " % 2) = 1)"                                                                                   \
    " AND (? = 0 OR o.department_id = ?) AND (? = 0 OR o.case_id = ?)"                             \
    " AND (? = 0 OR (o.state = 'issued' AND o.deadline < ?))"                                      \
    " AND (? = 0 OR (c.region_code >= ? AND c.region_code < ?))"                                   \
    " AND (? = 0 OR o.department_id IN (SELECT x.department_id FROM user_departments x"            \
    " WHERE x.user_id = ?))"                                                                       \
    " AND ? = 0"

enum scope_kind { SCOPE_ALL, SCOPE_RANGE, SCOPE_DEPTS, SCOPE_NOTHING };

static enum scope_kind scope_of(const struct case_actor *s)
{
    int region_bound = s->region_code && *s->region_code;
    if ((s->roles & ROLE_ADMIN) || ((s->roles & CASE_WIDE_ROLES) && !region_bound))
        return SCOPE_ALL;
    if (s->roles & CASE_WIDE_ROLES)
        return SCOPE_RANGE;
    if (s->roles & ROLE_HANDLER)
        return SCOPE_DEPTS;
    return SCOPE_NOTHING;
}

int case_order_list(struct store_conn *c, const struct case_order_filter *f,
                    const struct case_actor *scope, struct arena *a, struct case_order **out,
                    size_t *n, int64_t *total, struct err *err)
{
    order_vec v = VEC_IN(a);
    enum scope_kind k = scope_of(scope);
    const char *lo = "", *hi = "";
    int64_t rc;
    if (f->limit < 1 || f->limit > CASE_ORDER_LIST_MAX)
        return err_field(err, ERR_BAD_REQUEST, "limit", "field 'limit' must be 1 to %d",
                         CASE_ORDER_LIST_MAX);
    if (k == SCOPE_RANGE) {
        char *end = arena_strdup(a, scope->region_code);
        end[strlen(end) - 1]++;
        lo = scope->region_code;
        hi = end;
    }
#define ARGS                                                                                       \
    store_i64(f->states), store_i64(f->states), store_i64(f->levels), store_i64(f->levels),        \
        store_i64(f->department_id), store_i64(f->department_id), store_i64(f->case_id),           \
        store_i64(f->case_id), store_i64(f->overdue), store_i64(f->now),                           \
        store_i64(k == SCOPE_RANGE), store_text(lo), store_text(hi), store_i64(k == SCOPE_DEPTS),  \
        store_i64(scope->user_id), store_i64(k == SCOPE_NOTHING)
    if ((rc = store_one_i64(c, "SELECT count(*)" FROM WHERE, STORE_ARGS(ARGS), total, err)) < 0)
        return (int)rc;
    rc = store_all(
        c,
        "SELECT " COLS FROM WHERE " ORDER BY CASE WHEN o.state = 'accepted' THEN 1 ELSE 0 END,"
        " CASE WHEN o.state = 'accepted' THEN -o.updated_at ELSE o.deadline END, o.id"
        " LIMIT ? OFFSET ?",
        STORE_ARGS(ARGS, store_i64(f->limit), store_i64(f->offset)), push_order, &v, err);
#undef ARGS
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- writing ---- */

static char *summary(struct arena *a, const struct case_order *o)
{
    return arena_printf(a,
                        "{\"case\":%lld,\"department\":%lld,\"level\":\"%s\",\"state\":\"%s\","
                        "\"deadline\":%lld,\"send_backs\":%d,\"version\":%lld}",
                        (long long)o->case_id, (long long)o->department_id,
                        case_order_level_name(o->level), case_order_state_name(o->state),
                        (long long)o->deadline, o->send_backs, (long long)o->version);
}

static int audit(struct case_tx *t, const char *verb, int64_t id, const char *before,
                 const char *after)
{
    if (!t->env->audit)
        return 0;
    return t->env->audit(
        t->env->audit_ctx, t->env->conn, arena_printf(&t->arena, "supervision_order.%s", verb),
        arena_printf(&t->arena, "supervision_order/%lld", (long long)id), before, after, t->err);
}

/* The case's timeline event of a step, and the notice it sends. */
static int record(struct case_tx *t, const struct case_rec *r, const struct case_order *o,
                  const char *action, const char *note, const char *to_kind, int64_t to_id,
                  const char *kind, const char *message)
{
    int64_t ev;
    int rc;
    const char *payload = arena_printf(&t->arena, "{\"order\":%lld,\"level\":\"%s\"}",
                                       (long long)o->id, case_order_level_name(o->level));
    if ((rc = case_tx_event(t, r->id, action, case_state_name(r->state), case_state_name(r->state),
                            o->department_id, note, payload, &ev)) < 0)
        return rc;
    return case_tx_notify(t, r->id, ev, to_kind, to_id, kind, message);
}

static int check_text(const char *v, const char *field, size_t max, struct err *err)
{
    return case_check_text(v, field, 1, max, err);
}

static int issue(struct case_tx *t, int64_t case_id, const struct case_order_in *in, int64_t *id)
{
    const struct case_actor *actor = t->env->actor;
    struct case_rec r;
    struct case_order o;
    int rc;
    if ((unsigned)in->level >= CASE_ORDER_LEVEL_COUNT)
        return err_field(t->err, ERR_BAD_REQUEST, "level",
                         "field 'level' must be general, key or listed");
    if ((rc = check_text(in->instruction, "instruction", CASE_ORDER_TEXT_MAX, t->err)) < 0)
        return rc;
    if (in->deadline <= t->env->now)
        return err_field(t->err, ERR_BAD_REQUEST, "deadline",
                         "field 'deadline' must be a time after now");
    if ((rc = case_get(t->env->conn, case_id, &t->arena, &r, t->err)) < 0 ||
        (rc = case_order_issuable(actor, &r, t->err)) < 0)
        return rc;
    if ((rc = store_one_i64(
             t->env->conn,
             "INSERT INTO supervision_orders(case_id, department_id, level, instruction, deadline,"
             " state, issued_by, issued_at, updated_at) VALUES (?, ?, ?, ?, ?, 'issued', nullif(?, 0), ?, ?)"
             " RETURNING id",
             STORE_ARGS(store_i64(r.id), store_i64(r.lead_department_id),
                        store_text(case_order_level_name(in->level)), store_text(in->instruction),
                        store_i64(in->deadline), store_i64(actor->user_id), store_i64(t->env->now),
                        store_i64(t->env->now)),
             id, t->err)) < 0 ||
        (rc = load(t->env->conn, *id, &t->arena, &o, t->err)) < 0 ||
        (rc = record(t, &r, &o, "order_issue", in->instruction, "department", r.lead_department_id,
                     "supervision_order",
                     arena_printf(&t->arena, "督办单（%s）：工单 %s，请按期书面答复",
                                  level_words[o.level], r.number))) < 0)
        return rc;
    return audit(t, "issue", *id, NULL, summary(&t->arena, &o));
}

struct issue_arg {
    int64_t case_id;
    const struct case_order_in *in;
    int64_t *id;
};

static int issue_fn(struct case_tx *t, void *arg)
{
    struct issue_arg *x = arg;
    return issue(t, x->case_id, x->in, x->id);
}

int case_order_issue(const struct case_env *env, int64_t case_id, const struct case_order_in *in,
                     int64_t *id, struct err *err)
{
    struct issue_arg x = {case_id, in, id};
    return case_tx_run(env, issue_fn, &x, err);
}

static int step_refused(struct case_tx *t, const struct case_order *o, enum case_order_step step)
{
    const struct case_actor *a = t->env->actor;
    if (step == COP_ANSWER && !(a->roles & ROLE_ADMIN) &&
        !((a->roles & ROLE_HANDLER) && case_actor_in_departments(a, o->department_id))) {
        err_field(t->err, ERR_FORBIDDEN, "action",
                  "only the department the order is addressed to (%s) may answer it",
                  o->department_name);
        t->err->reason = ERR_REASON_SCOPE;
        return ERR_FORBIDDEN;
    }
    if (step != COP_ANSWER && !(a->roles & SUPERVISING)) {
        err_field(t->err, ERR_FORBIDDEN, "action",
                  "only supervisors accept or send back an answer");
        t->err->reason = ERR_REASON_ROLE;
        return ERR_FORBIDDEN;
    }
    return 0;
}

static int act(struct case_tx *t, int64_t id, enum case_order_step step, int64_t version,
               const char *text, int64_t deadline)
{
    const int64_t now = t->env->now;
    struct case_order o, after;
    struct case_rec r;
    int rc;
    if ((unsigned)step >= CASE_ORDER_STEP_COUNT)
        return err_field(t->err, ERR_BAD_REQUEST, "action", "unknown step");
    if ((rc = case_order_get(t->env->conn, id, t->env->actor, &t->arena, &o, t->err)) < 0 ||
        (rc = step_refused(t, &o, step)) < 0)
        return rc;
    if (version != o.version)
        return err_field(t->err, ERR_CONFLICT, "version",
                         "supervision order %lld has changed since you loaded it (now version "
                         "%lld, you sent %lld); reload and retry",
                         (long long)id, (long long)o.version, (long long)version);
    enum case_order_state need = step == COP_ANSWER ? COS_ISSUED : COS_ANSWERED;
    if (o.state != need)
        return err_field(t->err, ERR_CONFLICT, "action",
                         "step '%s' is not allowed on a supervision order in state '%s'",
                         case_order_step_name(step), case_order_state_name(o.state));
    if (step == COP_ANSWER && (rc = check_text(text, "answer", CASE_ORDER_ANSWER_MAX, t->err)) < 0)
        return rc;
    if (step == COP_SEND_BACK && (rc = check_text(text, "reason", CASE_ORDER_TEXT_MAX, t->err)) < 0)
        return rc;
    if (step == COP_ACCEPT && text &&
        (rc = case_check_text(text, "note", 0, CASE_ORDER_TEXT_MAX, t->err)) < 0)
        return rc;
    if (step == COP_SEND_BACK && deadline && deadline <= now)
        return err_field(t->err, ERR_BAD_REQUEST, "deadline",
                         "field 'deadline' must be a time after now");
    if ((rc = case_get(t->env->conn, o.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    switch (step) {
    case COP_ANSWER:
        rc = case_tx_exec(t,
                          "UPDATE supervision_orders SET state = 'answered', answer = ?,"
                          " answered_at = ?, first_answered_at = coalesce(first_answered_at, ?),"
                          " updated_at = ?, version = version + 1 WHERE id = ?",
                          STORE_ARGS(store_text(text), store_i64(now), store_i64(now),
                                     store_i64(now), store_i64(id)));
        if (rc == 0)
            rc = record(t, &r, &o, "order_answer", text, "supervisors", 0, "order_answered",
                        arena_printf(&t->arena, "工单 %s 的督办单已书面答复，请审核", r.number));
        break;
    case COP_ACCEPT:
        rc = case_tx_exec(t,
                          "UPDATE supervision_orders SET state = 'accepted', decision_note = ?,"
                          " decided_at = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                          STORE_ARGS(store_text(text ? text : ""), store_i64(now), store_i64(now),
                                     store_i64(id)));
        if (rc == 0)
            rc = record(t, &r, &o, "order_accept", text, "department", o.department_id,
                        "order_accepted",
                        arena_printf(&t->arena, "工单 %s 的督办单答复已通过", r.number));
        break;
    case COP_SEND_BACK:
        rc = case_tx_exec(t,
                          "UPDATE supervision_orders SET state = 'issued', decision_note = ?,"
                          " decided_at = ?, deadline = CASE WHEN ? <> 0 THEN ? ELSE deadline END,"
                          " send_backs = send_backs + 1, updated_at = ?, version = version + 1"
                          " WHERE id = ?",
                          STORE_ARGS(store_text(text), store_i64(now), store_i64(deadline),
                                     store_i64(deadline), store_i64(now), store_i64(id)));
        if (rc == 0)
            rc = record(t, &r, &o, "order_send_back", text, "department", o.department_id,
                        "order_sent_back",
                        arena_printf(&t->arena, "工单 %s 的督办单答复被退回：%s", r.number, text));
        break;
    case CASE_ORDER_STEP_COUNT: BUG("unknown supervision order step");
    }
    if (rc < 0 || (rc = load(t->env->conn, id, &t->arena, &after, t->err)) < 0)
        return rc;
    return audit(t, case_order_step_name(step), id, summary(&t->arena, &o),
                 summary(&t->arena, &after));
}

int case_order_act(const struct case_env *env, int64_t id, enum case_order_step step,
                   int64_t version, const char *text, int64_t deadline, struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    int rc;
    arena_init(&t.arena, 2048);
    if ((rc = store_begin(env->conn, err)) < 0)
        goto out;
    if ((rc = act(&t, id, step, version, text, deadline)) < 0) {
        store_rollback(env->conn);
        goto out;
    }
    rc = store_commit(env->conn, err);
out:
    arena_release(&t.arena);
    return rc;
}
