/*
 * 协办单 and 吹哨报到 (tables case_assists and case_whistles, migration 0045, docs/grid.md §6).
 * Each assisting department of a case works on its own sub-task: created by a dispatch naming it
 * as 协办, or by a whistle a street or community official blew on the case, summoning several
 * departments with a joint deadline and a check-in (报到) limit. The department signs (checks
 * in) and replies; the lead (主办) or the coordinating official assesses the answer and
 * consolidates the answers into the case's reply. Every step is one transaction with the case's
 * timeline event, the notification and the audit entry; the case itself is left alone.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org.h"
#include "store/store.h"

static const char *const state_names[CASE_ASSIST_STATE_COUNT] = {"issued", "signed", "replied",
                                                                 "assessed", "cancelled"};
static const char *const step_names[CASE_ASSIST_STEP_COUNT] = {"sign", "reply", "assess"};
static const char *const rating_names[CASE_ASSIST_RATING_COUNT] = {"satisfied", "basic",
                                                                   "unsatisfied"};
static const char *const rating_words[CASE_ASSIST_RATING_COUNT] = {"满意", "基本满意", "不满意"};

const char *case_assist_state_name(enum case_assist_state s)
{
    return (unsigned)s < CASE_ASSIST_STATE_COUNT ? state_names[s] : "?";
}
const char *case_assist_step_name(enum case_assist_step s)
{
    return (unsigned)s < CASE_ASSIST_STEP_COUNT ? step_names[s] : "?";
}
const char *case_assist_rating_name(enum case_assist_rating r)
{
    return (unsigned)r < CASE_ASSIST_RATING_COUNT ? rating_names[r] : "?";
}
int case_assist_rating_from_name(const char *name)
{
    return case_name_lookup(rating_names, CASE_ASSIST_RATING_COUNT, name);
}

/* ---- who does what ---- */

#define OFFICIALS (ROLE_DISPATCHER | ROLE_SUPERVISOR)

int case_assist_overdue(const struct case_assist *s, int64_t now)
{
    if (s->state == CAS_ISSUED && s->sign_deadline < now)
        return 1;
    return (s->state == CAS_ISSUED || s->state == CAS_SIGNED) && s->deadline < now;
}

/* The lead (主办) handler, or an official coordinating the case in its scope, or an admin. */
static int coordinates(const struct case_actor *a, const struct case_rec *r)
{
    if (a->roles & ROLE_ADMIN)
        return 1;
    if ((a->roles & ROLE_HANDLER) && r->lead_department_id &&
        case_actor_in_departments(a, r->lead_department_id))
        return 1;
    return (a->roles & OFFICIALS) && case_visible(a, r);
}

static int of_department(const struct case_actor *a, const struct case_assist *s)
{
    return (a->roles & ROLE_ADMIN) ||
           ((a->roles & ROLE_HANDLER) && case_actor_in_departments(a, s->department_id));
}

unsigned case_assist_steps(const struct case_actor *a, const struct case_rec *r,
                           const struct case_assist *s)
{
    unsigned m = 0;
    if (case_state_is_final(r->state))
        return 0;
    if (s->state == CAS_ISSUED && of_department(a, s))
        m |= 1u << CAP_SIGN;
    if (s->state == CAS_SIGNED && of_department(a, s))
        m |= 1u << CAP_REPLY;
    if (s->state == CAS_REPLIED && coordinates(a, r))
        m |= 1u << CAP_ASSESS;
    return m;
}

int case_whistle_allowed(const struct case_actor *a, const struct case_rec *r, struct err *err)
{
    size_t len = a->region_code ? strlen(a->region_code) : 0;
    if (!(a->roles & ROLE_ADMIN)) {
        /* Region codes say their level by their length (org.h): a street 9, a community 12. */
        if (!(a->roles & OFFICIALS) || (len != 9 && len != 12))
            return err_deny(err, ERR_REASON_ROLE,
                            "only a street or community official blows the whistle (吹哨)");
        if (!r->region_code || !org_region_code_in_subtree(r->region_code, a->region_code))
            return err_deny(err, ERR_REASON_SCOPE, "case %s is outside your region", r->number);
    }
    if (case_state_is_final(r->state))
        return err_set(err, ERR_CONFLICT, "case %s is %s: there is nothing left to summon for",
                       r->number, case_state_name(r->state));
    return 0;
}

/* ---- reading ---- */

#define COLS                                                                                       \
    "s.id, s.case_id, s.department_id, coalesce(s.whistle_id, 0), d.name, s.state,"                \
    " s.sign_deadline, s.deadline, coalesce(s.signed_at, 0), coalesce(s.replied_at, 0),"           \
    " coalesce(s.assessed_at, 0), s.sign_late, s.reply_late, s.send_backs, s.reply,"               \
    " s.assess_note, coalesce(s.rating, ''), s.created_at, s.updated_at, s.version, c.number,"     \
    " c.title FROM case_assists s JOIN departments d ON d.id = s.department_id"                    \
    " JOIN cases c ON c.id = s.case_id"

static void read_assist(struct store_stmt *st, struct arena *a, struct case_assist *s)
{
    int i = 0, v;
    s->id = store_col_int(st, i++);
    s->case_id = store_col_int(st, i++);
    s->department_id = store_col_int(st, i++);
    s->whistle_id = store_col_int(st, i++);
    s->department_name = arena_strdup(a, store_col_text(st, i++));
    v = case_name_lookup(state_names, CASE_ASSIST_STATE_COUNT, store_col_text(st, i++));
    s->state = v < 0 ? CAS_ISSUED : (enum case_assist_state)v;
    s->sign_deadline = store_col_int(st, i++);
    s->deadline = store_col_int(st, i++);
    s->signed_at = store_col_int(st, i++);
    s->replied_at = store_col_int(st, i++);
    s->assessed_at = store_col_int(st, i++);
    s->sign_late = (int)store_col_int(st, i++);
    s->reply_late = (int)store_col_int(st, i++);
    s->send_backs = (int)store_col_int(st, i++);
    s->reply = arena_strdup(a, store_col_text(st, i++));
    s->assess_note = arena_strdup(a, store_col_text(st, i++));
    s->rating = case_assist_rating_from_name(store_col_text(st, i++));
    s->created_at = store_col_int(st, i++);
    s->updated_at = store_col_int(st, i++);
    s->version = store_col_int(st, i++);
    s->case_number = arena_strdup(a, store_col_text(st, i++));
    s->case_title = arena_strdup(a, store_col_text(st, i++));
}

typedef VEC(struct case_assist) assist_vec;
typedef VEC(struct case_whistle) whistle_vec;

static int push_assist(void *ctx, struct store_stmt *row)
{
    assist_vec *v = ctx;
    read_assist(row, v->arena, vec_push(v));
    return 0;
}

static int push_whistle(void *ctx, struct store_stmt *row)
{
    whistle_vec *v = ctx;
    struct case_whistle *w = vec_push(v);
    int i = 0;
    w->id = store_col_int(row, i++);
    w->case_id = store_col_int(row, i++);
    w->region_code = arena_strdup(v->arena, store_col_text(row, i++));
    w->reason = arena_strdup(v->arena, store_col_text(row, i++));
    w->deadline = store_col_int(row, i++);
    w->checkin_deadline = store_col_int(row, i++);
    w->blown_at = store_col_int(row, i++);
    w->blown_by_name = arena_strdup(v->arena, store_col_text(row, i++));
    return 0;
}

int case_assist_list(struct store_conn *c, int64_t case_id, struct arena *a,
                     struct case_assist **out, size_t *n, struct case_whistle **whistles,
                     size_t *nwhistles, struct err *err)
{
    assist_vec v = VEC_IN(a);
    whistle_vec w = VEC_IN(a);
    int64_t rc;
    if ((rc = store_all(c, "SELECT " COLS " WHERE s.case_id = ? ORDER BY s.id",
                        STORE_ARGS(store_i64(case_id)), push_assist, &v, err)) < 0 ||
        (rc = store_all(c,
                        "SELECT w.id, w.case_id, w.region_code, w.reason, w.deadline,"
                        " w.checkin_deadline, w.blown_at, coalesce(u.display_name, '')"
                        " FROM case_whistles w LEFT JOIN users u ON u.id = w.blown_by"
                        " WHERE w.case_id = ? ORDER BY w.id",
                        STORE_ARGS(store_i64(case_id)), push_whistle, &w, err)) < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    *whistles = w.v;
    *nwhistles = w.n;
    return 0;
}

struct one {
    struct arena *a;
    struct case_assist *out;
};

static int one_assist(void *ctx, struct store_stmt *row)
{
    struct one *o = ctx;
    read_assist(row, o->a, o->out);
    return 0;
}

int case_assist_get(struct store_conn *c, int64_t id, struct arena *a, struct case_assist *out,
                    struct err *err)
{
    struct one o = {a, out};
    int rc = store_one(c, "SELECT " COLS " WHERE s.id = ?", STORE_ARGS(store_i64(id)), one_assist,
                       &o, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "assisting sub-task %lld does not exist", (long long)id);
    return 0;
}

/* One fixed statement: each filter and scope is a bound switch (as the supervision orders'). */
#define WHERE                                                                                      \
    " WHERE (? = 0 OR ((? / CASE s.state WHEN 'issued' THEN 1 WHEN 'signed' THEN 2"                \
    " WHEN 'replied' THEN 4 WHEN 'assessed' THEN 8 ELSE 16 END) % 2) = 1)"                         \
    " AND (? = 0 OR s.department_id = ?)"                                                          \
    " AND (? = 0 OR (c.state NOT IN ('closed', 'cancelled', 'merged') AND ((s.state = 'issued'"    \
    " AND s.sign_deadline < ?) OR (s.state IN ('issued', 'signed') AND s.deadline < ?))))"         \
    " AND (? = 0 OR (c.region_code >= ? AND c.region_code < ?))"                                   \
    " AND (? = 0 OR s.department_id IN (SELECT x.department_id FROM user_departments x"            \
    " WHERE x.user_id = ?))"                                                                       \
    " AND ? = 0"

int case_assist_find(struct store_conn *c, const struct case_assist_filter *f,
                     const struct case_actor *scope, struct arena *a, struct case_assist **out,
                     size_t *n, int64_t *total, struct err *err)
{
    assist_vec v = VEC_IN(a);
    int region_bound = scope->region_code && *scope->region_code;
    int all = (scope->roles & ROLE_ADMIN) || ((scope->roles & CASE_WIDE_ROLES) && !region_bound);
    int range = !all && (scope->roles & CASE_WIDE_ROLES);
    int depts = !all && !range && (scope->roles & ROLE_HANDLER);
    const char *lo = "", *hi = "";
    int64_t rc;
    if (f->limit < 1 || f->limit > CASE_ASSIST_LIST_MAX)
        return err_field(err, ERR_BAD_REQUEST, "limit", "field 'limit' must be 1 to %d",
                         CASE_ASSIST_LIST_MAX);
    if (range) {
        char *end = arena_strdup(a, scope->region_code);
        end[strlen(end) - 1]++;
        lo = scope->region_code;
        hi = end;
    }
#define ARGS                                                                                       \
    store_i64(f->states), store_i64(f->states), store_i64(f->department_id),                       \
        store_i64(f->department_id), store_i64(f->overdue), store_i64(f->now), store_i64(f->now),  \
        store_i64(range), store_text(lo), store_text(hi), store_i64(depts),                        \
        store_i64(scope->user_id), store_i64(!all && !range && !depts)
    if ((rc = store_one_i64(
             c, "SELECT count(*) FROM case_assists s JOIN cases c ON c.id = s.case_id" WHERE,
             STORE_ARGS(ARGS), total, err)) < 0)
        return (int)rc;
    rc = store_all(c,
                   "SELECT " COLS WHERE
                   " ORDER BY CASE WHEN s.state IN ('issued', 'signed') THEN 0 ELSE 1 END,"
                   " CASE WHEN s.state = 'issued' THEN s.sign_deadline ELSE s.deadline END, s.id"
                   " LIMIT ? OFFSET ?",
                   STORE_ARGS(ARGS, store_i64(f->limit), store_i64(f->offset)), push_assist, &v,
                   err);
#undef ARGS
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int case_assist_state_from_name(const char *name)
{
    return case_name_lookup(state_names, CASE_ASSIST_STATE_COUNT, name);
}

char *case_assist_draft(struct arena *a, const struct case_assist *v, size_t n)
{
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        if ((v[i].state != CAS_REPLIED && v[i].state != CAS_ASSESSED) || !*v[i].reply)
            continue;
        buf_printf(&b, "%s【%s】%s", b.len ? "\n" : "", v[i].department_name, v[i].reply);
    }
    char *out = arena_strdup(a, b.len ? b.p : "");
    buf_release(&b);
    return out;
}

/* ---- writing ---- */

static char *summary(struct arena *a, const struct case_assist *s)
{
    return arena_printf(
        a,
        "{\"case\":%lld,\"department\":%lld,\"whistle\":%lld,\"state\":\"%s\","
        "\"deadline\":%lld,\"sign_late\":%d,\"reply_late\":%d,\"rating\":\"%s\","
        "\"send_backs\":%d,\"version\":%lld}",
        (long long)s->case_id, (long long)s->department_id, (long long)s->whistle_id,
        case_assist_state_name(s->state), (long long)s->deadline, s->sign_late, s->reply_late,
        s->rating < 0 ? "" : rating_names[s->rating], s->send_backs, (long long)s->version);
}

static int audit(struct case_tx *t, const char *what, int64_t id, const char *before,
                 const char *after)
{
    if (!t->env->audit)
        return 0;
    return t->env->audit(t->env->audit_ctx, t->env->conn, what,
                         arena_printf(&t->arena, "case_assist/%lld", (long long)id), before, after,
                         t->err);
}

static int insert_assist(struct case_tx *t, int64_t case_id, int64_t dept, int64_t whistle_id,
                         int64_t sign, int64_t deadline, int64_t *id)
{
    return store_one_i64(
               t->env->conn,
               "INSERT INTO case_assists(case_id, department_id, whistle_id, state, sign_deadline,"
               " deadline, created_at, updated_at) VALUES (?, ?, nullif(?, 0), 'issued', ?, ?, ?, ?)"
               " RETURNING id",
               STORE_ARGS(store_i64(case_id), store_i64(dept), store_i64(whistle_id),
                          store_i64(sign), store_i64(deadline), store_i64(t->env->now),
                          store_i64(t->env->now)),
               id, t->err) < 0
               ? t->err->code
               : 0;
}

int case_assist_on_dispatch(struct case_tx *t, const struct case_rec *r,
                            const struct case_action_in *in, int64_t sign, int64_t reply)
{
    int64_t open = 0, id;
    int rc;
    /* Dispatch sub-tasks of departments that no longer assist (or now lead) are cancelled. */
    if ((rc = case_tx_exec(
             t,
             "UPDATE case_assists SET state = 'cancelled', updated_at = ?, version = version + 1"
             " WHERE case_id = ? AND whistle_id IS NULL AND state IN ('issued', 'signed', 'replied')"
             " AND department_id NOT IN (SELECT department_id FROM case_departments"
             " WHERE case_id = ? AND role = 'assist')",
             STORE_ARGS(store_i64(t->env->now), store_i64(r->id), store_i64(r->id)))) < 0)
        return rc;
    for (int i = 0; i < in->nassisting; i++) {
        if ((rc = (int)store_one_i64(
                 t->env->conn,
                 "SELECT count(*) FROM case_assists WHERE case_id = ? AND department_id = ?"
                 " AND state IN ('issued', 'signed', 'replied')",
                 STORE_ARGS(store_i64(r->id), store_i64(in->assisting[i])), &open, t->err)) < 0)
            return rc;
        if (open == 0 && (rc = insert_assist(t, r->id, in->assisting[i], 0, sign, reply, &id)) < 0)
            return rc;
    }
    /* A department summoned by a whistle keeps seeing the case whoever leads it now. */
    return case_tx_exec(
        t,
        "INSERT INTO case_departments(case_id, department_id, role)"
        " SELECT DISTINCT case_id, department_id, 'assist' FROM case_assists WHERE case_id = ?"
        " AND whistle_id IS NOT NULL AND state IN ('issued', 'signed', 'replied')"
        " AND department_id <> ? ON CONFLICT DO NOTHING",
        STORE_ARGS(store_i64(r->id), store_i64(in->department_id)));
}

static int blow(struct case_tx *t, int64_t case_id, const struct case_whistle_in *in, int64_t *id)
{
    const struct case_actor *actor = t->env->actor;
    const int64_t now = t->env->now;
    struct case_rec r;
    int64_t checkin, ev, sid, open;
    int rc;
    if ((rc = case_get(t->env->conn, case_id, &t->arena, &r, t->err)) < 0 ||
        (rc = case_whistle_allowed(actor, &r, t->err)) < 0)
        return rc;
    if (in->ndepartments < 1 || in->ndepartments > CASE_WHISTLE_DEPTS_MAX)
        return err_field(t->err, ERR_BAD_REQUEST, "departments",
                         "field 'departments' must name 1 to %d departments",
                         CASE_WHISTLE_DEPTS_MAX);
    if ((rc = case_check_text(in->reason, "reason", 1, CASE_ASSIST_TEXT_MAX, t->err)) < 0)
        return rc;
    if (in->deadline <= now)
        return err_field(t->err, ERR_BAD_REQUEST, "deadline",
                         "field 'deadline' must be a time after now");
    if (in->checkin_hours < 1 || in->checkin_hours > CASE_WHISTLE_CHECKIN_HOURS_MAX)
        return err_field(t->err, ERR_BAD_REQUEST, "checkin_hours",
                         "field 'checkin_hours' must be 1 to %d", CASE_WHISTLE_CHECKIN_HOURS_MAX);
    checkin = now + (int64_t)in->checkin_hours * 3600;
    if (checkin > in->deadline)
        return err_field(t->err, ERR_BAD_REQUEST, "checkin_hours",
                         "the check-in limit (%d h) ends after the joint deadline",
                         in->checkin_hours);
    for (int i = 0; i < in->ndepartments; i++) {
        struct org_department d;
        int64_t dept = in->departments[i];
        for (int j = 0; j < i; j++)
            if (in->departments[j] == dept)
                return err_field(t->err, ERR_BAD_REQUEST, "departments",
                                 "department %lld is named twice", (long long)dept);
        if (dept == r.lead_department_id)
            return err_field(t->err, ERR_BAD_REQUEST, "departments",
                             "department %lld already leads case %s", (long long)dept, r.number);
        rc = org_department_get(t->env->conn, dept, &t->arena, &d, t->err);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !d.active))
            return err_field(t->err, ERR_BAD_REQUEST, "departments",
                             "department %lld does not exist or is inactive", (long long)dept);
        if (rc < 0)
            return rc;
        if ((rc = (int)store_one_i64(
                 t->env->conn,
                 "SELECT count(*) FROM case_assists WHERE case_id = ? AND department_id = ?"
                 " AND state IN ('issued', 'signed', 'replied')",
                 STORE_ARGS(store_i64(r.id), store_i64(dept)), &open, t->err)) < 0)
            return rc;
        if (open)
            return err_field(t->err, ERR_CONFLICT, "departments",
                             "%s already has an open sub-task on case %s", d.name, r.number);
    }
    if ((rc = (int)store_one_i64(
             t->env->conn,
             "INSERT INTO case_whistles(case_id, region_code, reason, deadline, checkin_deadline,"
             " blown_by, blown_at) VALUES (?, ?, ?, ?, ?, nullif(?, 0), ?) RETURNING id",
             STORE_ARGS(store_i64(r.id), store_text(actor->region_code ? actor->region_code : ""),
                        store_text(in->reason), store_i64(in->deadline), store_i64(checkin),
                        store_i64(actor->user_id), store_i64(now)),
             id, t->err)) < 0)
        return rc;
    if ((rc = case_tx_event(t, r.id, "whistle", case_state_name(r.state), case_state_name(r.state),
                            0, in->reason,
                            arena_printf(&t->arena,
                                         "{\"whistle\":%lld,\"departments\":%d,\"deadline\":%lld,"
                                         "\"checkin_deadline\":%lld}",
                                         (long long)*id, in->ndepartments, (long long)in->deadline,
                                         (long long)checkin),
                            &ev)) < 0)
        return rc;
    for (int i = 0; i < in->ndepartments; i++) {
        int64_t dept = in->departments[i];
        if ((rc = insert_assist(t, r.id, dept, *id, checkin, in->deadline, &sid)) < 0 ||
            (rc = case_tx_exec(t,
                               "INSERT INTO case_departments(case_id, department_id, role)"
                               " VALUES (?, ?, 'assist') ON CONFLICT DO NOTHING",
                               STORE_ARGS(store_i64(r.id), store_i64(dept)))) < 0 ||
            (rc = case_tx_notify(t, r.id, ev, "department", dept, "whistle",
                                 arena_printf(&t->arena,
                                              "吹哨报到：工单 %s 召集贵单位，请在 %d 小时内报到",
                                              r.number, in->checkin_hours))) < 0)
            return rc;
    }
    return audit(t, "case.whistle", *id, NULL,
                 arena_printf(&t->arena,
                              "{\"case\":%lld,\"departments\":%d,\"deadline\":%lld,"
                              "\"checkin_deadline\":%lld}",
                              (long long)r.id, in->ndepartments, (long long)in->deadline,
                              (long long)checkin));
}

struct blow_arg {
    int64_t case_id;
    const struct case_whistle_in *in;
    int64_t *id;
};

static int blow_fn(struct case_tx *t, void *arg)
{
    struct blow_arg *b = arg;
    return blow(t, b->case_id, b->in, b->id);
}

int case_whistle_blow(const struct case_env *env, int64_t case_id, const struct case_whistle_in *in,
                      int64_t *id, struct err *err)
{
    struct blow_arg b = {case_id, in, id};
    return case_tx_run(env, blow_fn, &b, err);
}

/* Who hears of a step: the lead department, or the official who blew the whistle when the case
 * has no lead; the department itself for an assessment. */
static int notify_coordinator(struct case_tx *t, const struct case_rec *r,
                              const struct case_assist *s, int64_t ev, const char *kind,
                              const char *message)
{
    int64_t blower = 0;
    int rc;
    if (r->lead_department_id)
        return case_tx_notify(t, r->id, ev, "department", r->lead_department_id, kind, message);
    if (s->whistle_id &&
        (rc = (int)store_one_i64(t->env->conn,
                                 "SELECT coalesce(blown_by, 0) FROM case_whistles WHERE id = ?",
                                 STORE_ARGS(store_i64(s->whistle_id)), &blower, t->err)) < 0)
        return rc;
    if (blower)
        return case_tx_notify(t, r->id, ev, "user", blower, kind, message);
    return case_tx_notify(t, r->id, ev, "dispatchers", 0, kind, message);
}

struct act_arg {
    int64_t id, version;
    enum case_assist_step step;
    const char *text;
    int rating;
};

static int act(struct case_tx *t, void *arg)
{
    const struct act_arg *x = arg;
    const int64_t now = t->env->now;
    const struct case_actor *a = t->env->actor;
    struct case_assist s, after;
    struct case_rec r;
    int64_t ev;
    const char *action = NULL, *note = NULL, *payload;
    int rc;
    if ((unsigned)x->step >= CASE_ASSIST_STEP_COUNT)
        return err_field(t->err, ERR_BAD_REQUEST, "action", "unknown step");
    if ((rc = case_assist_get(t->env->conn, x->id, &t->arena, &s, t->err)) < 0 ||
        (rc = case_get(t->env->conn, s.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    if (!case_visible(a, &r))
        return err_set(t->err, ERR_NOT_FOUND, "assisting sub-task %lld does not exist",
                       (long long)x->id);
    if (x->step != CAP_ASSESS && !of_department(a, &s)) {
        err_field(t->err, ERR_FORBIDDEN, "action",
                  "only the department the sub-task is addressed to (%s) may %s it",
                  s.department_name, case_assist_step_name(x->step));
        t->err->reason = ERR_REASON_SCOPE;
        return ERR_FORBIDDEN;
    }
    if (x->step == CAP_ASSESS && !coordinates(a, &r)) {
        err_field(t->err, ERR_FORBIDDEN, "action",
                  "only the lead department or the coordinating official assesses a sub-task");
        t->err->reason = ERR_REASON_SCOPE;
        return ERR_FORBIDDEN;
    }
    if (x->version != s.version)
        return err_field(t->err, ERR_CONFLICT, "version",
                         "assisting sub-task %lld has changed since you loaded it (now version "
                         "%lld, you sent %lld); reload and retry",
                         (long long)x->id, (long long)s.version, (long long)x->version);
    if (case_state_is_final(r.state))
        return err_set(t->err, ERR_CONFLICT, "case %s is %s: its sub-tasks are finished", r.number,
                       case_state_name(r.state));
    enum case_assist_state need = x->step == CAP_SIGN    ? CAS_ISSUED
                                  : x->step == CAP_REPLY ? CAS_SIGNED
                                                         : CAS_REPLIED;
    if (s.state != need)
        return err_field(t->err, ERR_CONFLICT, "action",
                         "step '%s' is not allowed on a sub-task in state '%s'",
                         case_assist_step_name(x->step), case_assist_state_name(s.state));
    switch (x->step) {
    case CAP_SIGN:
        action = s.whistle_id ? "assist_checkin" : "assist_sign";
        rc = case_tx_exec(t,
                          "UPDATE case_assists SET state = 'signed', signed_at = ?, sign_late = ?,"
                          " updated_at = ?, version = version + 1 WHERE id = ?",
                          STORE_ARGS(store_i64(now), store_i64(now > s.sign_deadline),
                                     store_i64(now), store_i64(s.id)));
        break;
    case CAP_REPLY:
        if ((rc = case_check_text(x->text, "reply", 1, CASE_ASSIST_REPLY_MAX, t->err)) < 0)
            return rc;
        action = "assist_reply";
        note = x->text;
        rc = case_tx_exec(
            t,
            "UPDATE case_assists SET state = 'replied', reply = ?, replied_at = ?,"
            " reply_late = CASE WHEN reply_late <> 0 OR ? > deadline THEN 1 ELSE 0 END,"
            " updated_at = ?, version = version + 1 WHERE id = ?",
            STORE_ARGS(store_text(x->text), store_i64(now), store_i64(now), store_i64(now),
                       store_i64(s.id)));
        break;
    case CAP_ASSESS:
        if ((unsigned)x->rating >= CASE_ASSIST_RATING_COUNT)
            return err_field(t->err, ERR_BAD_REQUEST, "rating",
                             "field 'rating' must be satisfied, basic or unsatisfied");
        if ((rc = case_check_text(x->text ? x->text : "", "note",
                                  x->rating == CAR_UNSATISFIED ? 1 : 0, CASE_ASSIST_TEXT_MAX,
                                  t->err)) < 0)
            return rc;
        action = "assist_assess";
        note = x->text;
        /* Unsatisfied: back to the department to answer again. */
        rc = case_tx_exec(
            t,
            "UPDATE case_assists SET state = CASE WHEN ? = 'unsatisfied' THEN 'signed' ELSE 'assessed' END,"
            " rating = ?, assess_note = ?, assessed_at = ?,"
            " send_backs = send_backs + CASE WHEN ? = 'unsatisfied' THEN 1 ELSE 0 END,"
            " updated_at = ?, version = version + 1 WHERE id = ?",
            STORE_ARGS(store_text(rating_names[x->rating]), store_text(rating_names[x->rating]),
                       store_text(x->text ? x->text : ""), store_i64(now),
                       store_text(rating_names[x->rating]), store_i64(now), store_i64(s.id)));
        break;
    case CASE_ASSIST_STEP_COUNT: BUG("unknown sub-task step");
    }
    if (rc < 0 || (rc = case_assist_get(t->env->conn, s.id, &t->arena, &after, t->err)) < 0)
        return rc;
    payload = arena_printf(
        &t->arena, "{\"assist\":%lld,\"whistle\":%lld,\"late\":%s%s%s%s}", (long long)s.id,
        (long long)s.whistle_id,
        (x->step == CAP_SIGN ? after.sign_late : after.reply_late) ? "true" : "false",
        x->step == CAP_ASSESS ? ",\"rating\":\"" : "",
        x->step == CAP_ASSESS ? rating_names[x->rating] : "", x->step == CAP_ASSESS ? "\"" : "");
    if ((rc = case_tx_event(t, r.id, action, case_state_name(r.state), case_state_name(r.state),
                            s.department_id, note, payload, &ev)) < 0)
        return rc;
    switch (x->step) {
    case CAP_SIGN:
        rc = notify_coordinator(
            t, &r, &s, ev, s.whistle_id ? "whistle_checkin" : "assist_signed",
            arena_printf(&t->arena, "工单 %s：%s已%s%s", r.number, s.department_name,
                         s.whistle_id ? "报到" : "签收协办单", after.sign_late ? "（超时）" : ""));
        break;
    case CAP_REPLY:
        rc = notify_coordinator(t, &r, &s, ev, "assist_replied",
                                arena_printf(&t->arena, "工单 %s：%s已答复协办单，请评价", r.number,
                                             s.department_name));
        break;
    case CAP_ASSESS:
        rc = case_tx_notify(t, r.id, ev, "department", s.department_id, "assist_assessed",
                            arena_printf(&t->arena, "工单 %s 的协办单评价：%s%s", r.number,
                                         rating_words[x->rating],
                                         x->rating == CAR_UNSATISFIED ? "，请重新答复" : ""));
        break;
    case CASE_ASSIST_STEP_COUNT: BUG("unknown sub-task step");
    }
    if (rc < 0)
        return rc;
    return audit(t, arena_printf(&t->arena, "case_assist.%s", case_assist_step_name(x->step)), s.id,
                 summary(&t->arena, &s), summary(&t->arena, &after));
}

int case_assist_act(const struct case_env *env, int64_t id, enum case_assist_step step,
                    int64_t version, const char *text, int rating, struct err *err)
{
    struct act_arg x = {id, version, step, text, rating};
    return case_tx_run(env, act, &x, err);
}

/* ---- the sweeper ---- */

static int sweep_one(struct case_tx *t, int64_t id)
{
    const int64_t now = t->env->now;
    struct case_assist s;
    struct case_rec r;
    int64_t told = 0, ev;
    int rc, bits = 0;
    if ((rc = case_assist_get(t->env->conn, id, &t->arena, &s, t->err)) < 0 ||
        (rc = case_get(t->env->conn, s.case_id, &t->arena, &r, t->err)) < 0 ||
        (rc = (int)store_one_i64(t->env->conn, "SELECT overdue_told FROM case_assists WHERE id = ?",
                                 STORE_ARGS(store_i64(id)), &told, t->err)) < 0)
        return rc;
    if (s.state == CAS_ISSUED && s.sign_deadline < now && !(told & 1))
        bits |= 1;
    if ((s.state == CAS_ISSUED || s.state == CAS_SIGNED) && s.deadline < now && !(told & 2))
        bits |= 2;
    if (!bits || case_state_is_final(r.state))
        return 0;
    const char *what = bits & 2 ? "办结时限" : s.whistle_id ? "报到时限" : "签收时限";
    if ((rc = case_tx_event(
             t, r.id, "assist_overdue", case_state_name(r.state), case_state_name(r.state),
             s.department_id, arena_printf(&t->arena, "%s超过%s", s.department_name, what),
             arena_printf(&t->arena, "{\"assist\":%lld,\"whistle\":%lld,\"limit\":\"%s\"}",
                          (long long)s.id, (long long)s.whistle_id, bits & 2 ? "deadline" : "sign"),
             &ev)) < 0 ||
        (rc = case_tx_exec(t,
                           "UPDATE case_assists SET overdue_told = overdue_told | ?, updated_at = ?"
                           " WHERE id = ?",
                           STORE_ARGS(store_i64(bits), store_i64(now), store_i64(id)))) < 0 ||
        (rc = case_tx_notify(t, r.id, ev, "department", s.department_id, "assist_overdue",
                             arena_printf(&t->arena, "工单 %s 的协办单已超过%s，请尽快办理",
                                          r.number, what))) < 0 ||
        (rc = notify_coordinator(t, &r, &s, ev, "assist_overdue",
                                 arena_printf(&t->arena, "工单 %s：%s的协办单已超过%s", r.number,
                                              s.department_name, what))) < 0)
        return rc;
    return audit(t, "case_assist.overdue", s.id, NULL,
                 arena_printf(&t->arena, "{\"overdue_told\":%lld}", (long long)(told | bits)));
}

int case_assist_sweep(const struct case_env *env, int *told, struct err *err)
{
    return case_tx_each(
        env,
        "SELECT s.id FROM case_assists s JOIN cases c ON c.id = s.case_id"
        " WHERE c.state NOT IN ('closed', 'cancelled', 'merged')"
        " AND ((s.state = 'issued' AND s.sign_deadline < ? AND (s.overdue_told & 1) = 0)"
        " OR (s.state IN ('issued', 'signed') AND s.deadline < ? AND (s.overdue_told & 2) = 0))"
        " ORDER BY s.id LIMIT 256",
        STORE_ARGS(store_i64(env->now), store_i64(env->now)), sweep_one, told, err);
}
