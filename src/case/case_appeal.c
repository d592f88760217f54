/*
 * 申诉: a citizen appeals a closure or a decision triage made automatically, and a supervisor
 * decides. Filing and deciding are writes of the case: each runs in one transaction with its
 * timeline events, its notices and its audit entries; an upheld closure takes the reopen action
 * of the workflow table inside the same transaction.
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

static const char *const kind_names[CASE_APPEAL_KIND_COUNT] = {"closure", "category", "routing",
                                                               "duplicate"};
static const char *const reason_names[CASE_APPEAL_REASON_COUNT] = {
    "not_solved",       "evaluation_ignored", "wrong_category",
    "wrong_department", "not_duplicate",      "other",
};
static const char *const status_names[CASE_APPEAL_STATUS_COUNT] = {"open", "upheld", "rejected"};

/* The reasons each kind may give (other fits all). */
static const unsigned kind_reasons[CASE_APPEAL_KIND_COUNT] = {
    [CAK_CLOSURE] = 1u << CAR_NOT_SOLVED | 1u << CAR_EVALUATION_IGNORED,
    [CAK_CATEGORY] = 1u << CAR_WRONG_CATEGORY,
    [CAK_ROUTING] = 1u << CAR_WRONG_DEPARTMENT,
    [CAK_DUPLICATE] = 1u << CAR_NOT_DUPLICATE,
};

const char *case_appeal_kind_name(enum case_appeal_kind k)
{
    return (unsigned)k < CASE_APPEAL_KIND_COUNT ? kind_names[k] : "?";
}
int case_appeal_kind_from_name(const char *name)
{
    return case_name_lookup(kind_names, CASE_APPEAL_KIND_COUNT, name);
}
const char *case_appeal_reason_name(enum case_appeal_reason r)
{
    return (unsigned)r < CASE_APPEAL_REASON_COUNT ? reason_names[r] : "?";
}
int case_appeal_reason_from_name(const char *name)
{
    return case_name_lookup(reason_names, CASE_APPEAL_REASON_COUNT, name);
}
const char *case_appeal_status_name(enum case_appeal_status s)
{
    return (unsigned)s < CASE_APPEAL_STATUS_COUNT ? status_names[s] : "?";
}
int case_appeal_status_from_name(const char *name)
{
    return case_name_lookup(status_names, CASE_APPEAL_STATUS_COUNT, name);
}

int case_appeal_reason_fits(enum case_appeal_kind kind, enum case_appeal_reason reason)
{
    if ((unsigned)kind >= CASE_APPEAL_KIND_COUNT || (unsigned)reason >= CASE_APPEAL_REASON_COUNT)
        return 0;
    return reason == CAR_OTHER || (kind_reasons[kind] & (1u << reason)) != 0;
}

/* Closed within the time limit (a case closed before closed_at was kept counts as just closed). */
static int closed_recently(const struct case_rec *r, int64_t now, int days)
{
    return r->state == CASE_CLOSED && now - r->closed_at <= (int64_t)days * 86400;
}

int case_appeal_allowed(const struct case_rec *r, enum case_appeal_kind kind, int64_t now, int days,
                        struct err *err)
{
    int late = r->state == CASE_CLOSED && !closed_recently(r, now, days);
    switch (kind) {
    case CAK_CLOSURE:
        if (r->state != CASE_CLOSED)
            return err_field(err, ERR_CONFLICT, "kind", "case %s is not closed", r->number);
        break;
    case CAK_CATEGORY:
    case CAK_ROUTING:
        if (kind == CAK_CATEGORY ? !r->triage_category_id : !r->triage_department_id)
            return err_field(err, ERR_CONFLICT, "kind",
                             "triage decided no %s for case %s: there is nothing to appeal",
                             kind == CAK_CATEGORY ? "category" : "department", r->number);
        if (r->state == CASE_CANCELLED || r->state == CASE_MERGED)
            return err_field(err, ERR_CONFLICT, "kind", "case %s is %s", r->number,
                             case_state_name(r->state));
        break;
    case CAK_DUPLICATE:
        if (!r->master_id || (r->state != CASE_MERGED && r->state != CASE_CLOSED))
            return err_field(err, ERR_CONFLICT, "kind", "case %s was not merged as a duplicate",
                             r->number);
        break;
    default: return err_field(err, ERR_BAD_REQUEST, "kind", "unknown kind of appeal");
    }
    if (late)
        return err_field(err, ERR_CONFLICT, "kind",
                         "case %s was closed more than %d days ago: the time to appeal is over",
                         r->number, days);
    return 0;
}

unsigned case_appeal_kinds(const struct case_rec *r, int64_t now, int days)
{
    unsigned mask = 0;
    for (int k = 0; k < CASE_APPEAL_KIND_COUNT; k++)
        if (case_appeal_allowed(r, (enum case_appeal_kind)k, now, days, NULL) == 0)
            mask |= 1u << k;
    return mask;
}

/* ---- reading ---- */

#define APPEAL_COLS                                                                                \
    "p.id, p.case_id, c.number, c.title, p.kind, p.reason, p.text, p.status,"                      \
    " CASE WHEN p.filed_by IS NULL THEN 1 ELSE 0 END, p.filed_at, coalesce(p.decided_at, 0),"      \
    " coalesce(p.decided_by, 0), coalesce(u.display_name, ''), p.decision,"                        \
    " coalesce(p.category_id, 0), k.name, coalesce(p.department_id, 0), d.name, c.state,"          \
    " coalesce(c.triage_category_id, 0), tk.name, coalesce(c.triage_department_id, 0), td.name "
#define APPEAL_FROM                                                                                 \
    "FROM case_appeals p JOIN cases c ON c.id = p.case_id LEFT JOIN users u ON u.id = p.decided_by" \
    " LEFT JOIN categories k ON k.id = p.category_id"                                               \
    " LEFT JOIN departments d ON d.id = p.department_id"                                            \
    " LEFT JOIN categories tk ON tk.id = c.triage_category_id"                                      \
    " LEFT JOIN departments td ON td.id = c.triage_department_id "

static const char *text_or_null(struct arena *a, struct store_stmt *s, int col)
{
    return store_col_is_null(s, col) ? NULL : arena_strdup(a, store_col_text(s, col));
}

struct reader {
    struct arena *a;
    VEC(struct case_appeal) v;
};

static void read_row(struct store_stmt *s, struct arena *a, struct case_appeal *p)
{
    p->id = store_col_int(s, 0);
    p->case_id = store_col_int(s, 1);
    p->case_number = arena_strdup(a, store_col_text(s, 2));
    p->case_title = arena_strdup(a, store_col_text(s, 3));
    p->kind = (enum case_appeal_kind)case_appeal_kind_from_name(store_col_text(s, 4));
    p->reason = (enum case_appeal_reason)case_appeal_reason_from_name(store_col_text(s, 5));
    p->text = arena_strdup(a, store_col_text(s, 6));
    p->status = (enum case_appeal_status)case_appeal_status_from_name(store_col_text(s, 7));
    p->by_lookup = (int)store_col_int(s, 8);
    p->filed_at = store_col_int(s, 9);
    p->decided_at = store_col_int(s, 10);
    p->decided_by = store_col_int(s, 11);
    p->decided_by_name = arena_strdup(a, store_col_text(s, 12));
    p->decision = arena_strdup(a, store_col_text(s, 13));
    p->category_id = store_col_int(s, 14);
    p->category_name = text_or_null(a, s, 15);
    p->department_id = store_col_int(s, 16);
    p->department_name = text_or_null(a, s, 17);
    p->case_state = arena_strdup(a, store_col_text(s, 18));
    p->triage_category_id = store_col_int(s, 19);
    p->triage_category_name = text_or_null(a, s, 20);
    p->triage_department_id = store_col_int(s, 21);
    p->triage_department_name = text_or_null(a, s, 22);
}

static int one_row(void *ctx, struct store_stmt *s)
{
    struct reader *r = ctx;
    read_row(s, r->a, vec_push(&r->v));
    return 0;
}

int case_appeal_get(struct store_conn *c, int64_t id, struct arena *a, struct case_appeal *out,
                    struct err *err)
{
    struct reader r = {a, VEC_IN(a)};
    int rc = store_one(c, "SELECT " APPEAL_COLS APPEAL_FROM "WHERE p.id = ?",
                       STORE_ARGS(store_i64(id)), one_row, &r, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "appeal %lld does not exist", (long long)id);
    *out = r.v.v[0];
    return 0;
}

int case_appeal_of_case(struct store_conn *c, int64_t case_id, struct arena *a,
                        struct case_appeal **out, size_t *n, struct err *err)
{
    struct reader r = {a, VEC_IN(a)};
    int64_t rc = store_all(
        c, "SELECT " APPEAL_COLS APPEAL_FROM "WHERE p.case_id = ? ORDER BY p.id DESC LIMIT ?",
        STORE_ARGS(store_i64(case_id), store_i64(CASE_APPEAL_LIST_MAX)), one_row, &r, err);
    if (rc < 0)
        return (int)rc;
    *out = r.v.v;
    *n = r.v.n;
    return 0;
}

/* The scope of the queue: every case for the command centre, a region-bound user's subtree (the
 * region codes that start with its own, org_region_code_in_subtree), nothing for anyone else. */
static const char *scope_sql(const struct case_actor *s, struct arena *a, const char **lo,
                             const char **hi)
{
    int region_bound = s->region_code && *s->region_code;
    *lo = *hi = "";
    if ((s->roles & ROLE_ADMIN) || ((s->roles & CASE_WIDE_ROLES) && !region_bound))
        return "";
    if (!(s->roles & ROLE_STAFF) || !region_bound)
        return " AND 1 = 0";
    char *end = arena_strdup(a, s->region_code);
    end[strlen(end) - 1]++;
    *lo = s->region_code;
    *hi = end;
    return " AND c.region_code >= ? AND c.region_code < ?";
}

int case_appeal_list(struct store_conn *c, int status, int64_t before, int limit,
                     const struct case_actor *scope, struct arena *a, struct case_appeal **out,
                     size_t *n, int64_t *total, struct err *err)
{
    struct reader r = {a, VEC_IN(a)};
    const char *lo, *hi, *where = scope_sql(scope, a, &lo, &hi);
    int ranged = *lo != '\0';
    const char *st = status >= 0 ? case_appeal_status_name((enum case_appeal_status)status) : "";
    if (limit < 1 || limit > CASE_APPEAL_LIST_MAX)
        return err_field(err, ERR_BAD_REQUEST, "limit", "field 'limit' must be 1 to %d",
                         CASE_APPEAL_LIST_MAX);
    /* The same conditions for the count and the page; the range arguments only when scoped. */
    const char *cond = arena_printf(a, "WHERE (? = '' OR p.status = ?)%s", where);
    int rc;
    if (ranged)
        rc = store_one_i64(
            c,
            arena_printf(
                a, "SELECT count(*) FROM case_appeals p JOIN cases c ON c.id = p.case_id %s", cond),
            STORE_ARGS(store_text(st), store_text(st), store_text(lo), store_text(hi)), total, err);
    else
        rc = store_one_i64(
            c,
            arena_printf(
                a, "SELECT count(*) FROM case_appeals p JOIN cases c ON c.id = p.case_id %s", cond),
            STORE_ARGS(store_text(st), store_text(st)), total, err);
    if (rc < 0)
        return rc;
    const char *sql = arena_printf(a,
                                   "SELECT " APPEAL_COLS APPEAL_FROM
                                   "%s AND (? = 0 OR p.id < ?) ORDER BY p.id DESC LIMIT ?",
                                   cond);
    int64_t got;
    if (ranged)
        got = store_all(c, sql,
                        STORE_ARGS(store_text(st), store_text(st), store_text(lo), store_text(hi),
                                   store_i64(before), store_i64(before), store_i64(limit)),
                        one_row, &r, err);
    else
        got = store_all(c, sql,
                        STORE_ARGS(store_text(st), store_text(st), store_i64(before),
                                   store_i64(before), store_i64(limit)),
                        one_row, &r, err);
    if (got < 0)
        return (int)got;
    *out = r.v.v;
    *n = r.v.n;
    return 0;
}

static int count_row(void *ctx, struct store_stmt *s)
{
    struct case_appeal_counts *out = ctx;
    int k = case_appeal_kind_from_name(store_col_text(s, 0));
    if (k >= 0) {
        out->filed[k] = store_col_int(s, 1);
        out->upheld[k] = store_col_int(s, 2);
    }
    return 0;
}

int case_appeal_count(struct store_conn *c, int64_t since, struct case_appeal_counts *out,
                      struct err *err)
{
    memset(out, 0, sizeof(*out));
    int64_t rc =
        store_all(c,
                  "SELECT kind, count(*), sum(CASE WHEN status = 'upheld' THEN 1 ELSE 0 END)"
                  " FROM case_appeals WHERE filed_at >= ? GROUP BY kind",
                  STORE_ARGS(store_i64(since)), count_row, out, err);
    return rc < 0 ? (int)rc : 0;
}

/* ---- filing ---- */

int case_appeal_file(const struct case_env *env, const struct case_rec *rec,
                     const struct case_appeal_in *in, int64_t *id, struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    const struct case_actor *actor = env->actor;
    int64_t open = 0, event_id, version = 0;
    int rc;
    arena_init(&t.arena, 2048);
    if (!in->by_lookup && !(actor->user_id && actor->user_id == rec->created_by)) {
        rc = err_deny(err, ERR_REASON_OWNER, "only the citizen who reported case %s may appeal",
                      rec->number);
        goto out;
    }
    if ((unsigned)in->kind >= CASE_APPEAL_KIND_COUNT) {
        rc = err_field(err, ERR_BAD_REQUEST, "kind", "unknown kind of appeal");
        goto out;
    }
    if (!case_appeal_reason_fits(in->kind, in->reason)) {
        rc = err_field(err, ERR_BAD_REQUEST, "reason", "reason '%s' does not fit a '%s' appeal",
                       case_appeal_reason_name(in->reason), case_appeal_kind_name(in->kind));
        goto out;
    }
    if ((rc = case_check_text(in->text, "text", 1, CASE_APPEAL_TEXT_MAX, err)) < 0 ||
        (rc = store_begin(env->conn, err)) < 0)
        goto out;
    /* The record was read before the transaction: still the case's state, or a conflict. */
    if ((rc = store_one_i64(env->conn, "SELECT version FROM cases WHERE id = ?",
                            STORE_ARGS(store_i64(rec->id)), &version, err)) < 0)
        goto rollback;
    if (version != rec->version) {
        rc = err_set(err, ERR_CONFLICT, "case %s has changed; reload and retry", rec->number);
        goto rollback;
    }
    if ((rc = case_appeal_allowed(rec, in->kind, env->now, in->days, err)) < 0)
        goto rollback;
    if ((rc = store_one_i64(
             env->conn, "SELECT count(*) FROM case_appeals WHERE case_id = ? AND status = 'open'",
             STORE_ARGS(store_i64(rec->id)), &open, err)) < 0)
        goto rollback;
    if (open) {
        rc = err_field(err, ERR_CONFLICT, "kind",
                       "case %s has an appeal waiting for a decision already", rec->number);
        goto rollback;
    }
    if ((rc = store_one_i64(
             env->conn,
             "INSERT INTO case_appeals(case_id, kind, reason, text, filed_by, filed_at)"
             " VALUES (?, ?, ?, ?, nullif(?, 0), ?) RETURNING id",
             STORE_ARGS(store_i64(rec->id), store_text(case_appeal_kind_name(in->kind)),
                        store_text(case_appeal_reason_name(in->reason)), store_text(in->text),
                        store_i64(in->by_lookup ? 0 : actor->user_id), store_i64(env->now)),
             id, err)) < 0)
        goto rollback;
    const char *state = case_state_name(rec->state);
    const char *payload = arena_printf(
        &t.arena, "{\"appeal\":%lld,\"kind\":\"%s\",\"reason\":\"%s\"}", (long long)*id,
        case_appeal_kind_name(in->kind), case_appeal_reason_name(in->reason));
    if ((rc = case_tx_event(&t, rec->id, "appeal", state, state, rec->lead_department_id, in->text,
                            payload, &event_id)) < 0 ||
        (rc = case_tx_notify(&t, rec->id, event_id, "supervisors", 0, "appeal",
                             arena_printf(&t.arena, "工单 %s 收到申诉，请审核", rec->number))) <
            0 ||
        (rc = case_tx_audit(&t, "appeal", rec->id, NULL, payload)) < 0)
        goto rollback;
    rc = store_commit(env->conn, err);
    goto out;
rollback:
    store_rollback(env->conn);
out:
    arena_release(&t.arena);
    return rc;
}

/* ---- deciding ---- */

static int check_department(struct case_tx *t, int64_t id)
{
    struct org_department d;
    int rc = org_department_get(t->env->conn, id, &t->arena, &d, t->err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !d.active))
        return err_field(t->err, ERR_BAD_REQUEST, "department",
                         "department %lld does not exist or is inactive", (long long)id);
    return rc;
}

static int check_category(struct case_tx *t, int64_t id)
{
    struct org_category k;
    int rc = org_category_get(t->env->conn, id, &t->arena, &k, t->err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !k.active))
        return err_field(t->err, ERR_BAD_REQUEST, "category",
                         "category %lld does not exist or is inactive", (long long)id);
    return rc;
}

/* An upheld closure: the reopen action, or back to new for a case never dispatched (answered on
 * the line): the dispatchers take it from there. */
static int uphold_closure(struct case_tx *t, const struct case_rec *r, const char *note)
{
    struct case_rec after;
    int64_t ev;
    int rc;
    if (r->state != CASE_CLOSED)
        return err_set(t->err, ERR_CONFLICT, "case %s is no longer closed", r->number);
    if (r->lead_department_id) {
        struct case_action_in in = {.action = CA_REOPEN, .version = r->version, .note = note};
        in.contacted = in.solved = -1;
        return case_tx_act(t, r, &in, &t->arena, &after);
    }
    if ((rc = case_tx_exec(t,
                           "UPDATE cases SET state = 'new', closed_at = NULL, satisfaction = NULL,"
                           " version = version + 1, updated_at = ? WHERE id = ?",
                           STORE_ARGS(store_i64(t->env->now), store_i64(r->id)))) < 0 ||
        (rc = case_tx_event(t, r->id, "reopen", "closed", "new", 0, note, "{}", &ev)) < 0)
        return rc;
    return case_tx_notify(t, r->id, ev, "dispatchers", 0, "redispatch",
                          arena_printf(&t->arena, "工单 %s 申诉成立，已退回待派单", r->number));
}

/* An upheld category or routing appeal: the category corrected (a labelled example for triage,
 * a correction of its suggestion), the dispatchers told where the case belongs while it is still
 * being handled. */
static int uphold_triage(struct case_tx *t, const struct case_rec *r,
                         const struct case_appeal_decision *in, int64_t event_id)
{
    int rc;
    if (in->category_id &&
        ((rc = case_tx_exec(
              t,
              "UPDATE cases SET category_id = ?, version = version + 1, updated_at = ? WHERE id = ?",
              STORE_ARGS(store_i64(in->category_id), store_i64(t->env->now), store_i64(r->id)))) <
             0 ||
         (rc = case_tx_exec(
              t,
              "INSERT INTO triage_examples(case_id, category_id, suggested_id, corrected, actor_id, at)"
              " VALUES (?, ?, nullif(?, 0), ?, nullif(?, 0), ?)",
              STORE_ARGS(store_i64(r->id), store_i64(in->category_id),
                         store_i64(r->triage_category_id),
                         store_i64(r->triage_category_id != in->category_id),
                         store_i64(t->env->actor->user_id), store_i64(t->env->now)))) < 0))
        return rc;
    if (case_state_is_final(r->state))
        return 0;
    return case_tx_notify(
        t, r->id, event_id, "dispatchers", 0, "redispatch",
        arena_printf(&t->arena, "工单 %s 申诉成立：分类或承办部门已更正，请核对后改派", r->number));
}

/* An upheld duplicate appeal: the case leaves its master and is dispatched on its own. */
static int uphold_duplicate(struct case_tx *t, const struct case_rec *r, int64_t *event_id)
{
    int rc;
    if (!r->master_id || (r->state != CASE_MERGED && r->state != CASE_CLOSED))
        return err_set(t->err, ERR_CONFLICT, "case %s is no longer merged", r->number);
    if ((rc = case_tx_exec(t,
                           "UPDATE cases SET state = 'new', master_id = NULL, closed_at = NULL,"
                           " version = version + 1, updated_at = ? WHERE id = ?",
                           STORE_ARGS(store_i64(t->env->now), store_i64(r->id)))) < 0 ||
        (rc = case_tx_event(t, r->id, "unmerge", case_state_name(r->state), "new", 0,
                            "申诉成立，工单不再与其他工单合并办理", "{}", event_id)) < 0)
        return rc;
    return case_tx_notify(
        t, r->id, *event_id, "dispatchers", 0, "redispatch",
        arena_printf(&t->arena, "工单 %s 申诉成立，已解除并单，请派单", r->number));
}

static int decide(struct case_tx *t, int64_t id, const struct case_appeal_decision *in)
{
    const struct case_env *env = t->env;
    struct case_appeal p;
    struct case_rec r, after;
    int64_t ev = 0;
    int rc;
    if ((rc = case_appeal_get(env->conn, id, &t->arena, &p, t->err)) < 0 ||
        (rc = case_get(env->conn, p.case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    if (!case_visible(env->actor, &r))
        return err_deny(t->err, ERR_REASON_SCOPE, "case %s is outside your scope", r.number);
    if (p.status != CAS_OPEN)
        return err_set(t->err, ERR_CONFLICT, "appeal %lld was decided already", (long long)id);
    if (in->uphold && p.kind == CAK_CATEGORY && !in->category_id)
        return err_field(t->err, ERR_BAD_REQUEST, "category",
                         "an upheld category appeal needs the right 'category'");
    if (in->uphold && p.kind == CAK_ROUTING && !in->department_id)
        return err_field(t->err, ERR_BAD_REQUEST, "department",
                         "an upheld routing appeal needs the right 'department'");
    if ((in->category_id && (rc = check_category(t, in->category_id)) < 0) ||
        (in->department_id && (rc = check_department(t, in->department_id)) < 0))
        return rc;
    if ((rc = case_tx_touch(t, r.id)) < 0)
        return rc;
    const char *state = case_state_name(r.state);
    const char *action = in->uphold ? "appeal_upheld" : "appeal_rejected";
    const char *payload = arena_printf(
        &t->arena, "{\"appeal\":%lld,\"kind\":\"%s\",\"category\":%lld,\"department\":%lld}",
        (long long)id, case_appeal_kind_name(p.kind), (long long)in->category_id,
        (long long)in->department_id);
    int64_t decided;
    if ((rc = case_tx_exec(
             t,
             "UPDATE case_appeals SET status = ?, decided_by = nullif(?, 0), decided_at = ?,"
             " decision = ?, category_id = nullif(?, 0), department_id = nullif(?, 0)"
             " WHERE id = ? AND status = 'open'",
             STORE_ARGS(store_text(in->uphold ? "upheld" : "rejected"),
                        store_i64(env->actor->user_id), store_i64(env->now), store_text(in->note),
                        store_i64(in->uphold ? in->category_id : 0),
                        store_i64(in->uphold ? in->department_id : 0), store_i64(id)))) < 0 ||
        (rc = case_tx_event(t, r.id, action, state, state, r.lead_department_id, in->note, payload,
                            &ev)) < 0)
        return rc;
    decided = ev;
    if (in->uphold) {
        switch (p.kind) {
        case CAK_CLOSURE: rc = uphold_closure(t, &r, in->note); break;
        case CAK_CATEGORY:
        case CAK_ROUTING: rc = uphold_triage(t, &r, in, ev); break;
        case CAK_DUPLICATE: rc = uphold_duplicate(t, &r, &ev); break;
        default: BUG("appeal of unknown kind");
        }
        if (rc < 0)
            return rc;
    }
    if (r.created_by &&
        (rc = case_tx_notify(t, r.id, decided, "citizen", r.created_by, "appeal_decided",
                             arena_printf(&t->arena, "您对工单 %s 的申诉已有审核结果", r.number))) <
            0)
        return rc;
    if ((rc = case_get(env->conn, r.id, &t->arena, &after, t->err)) < 0)
        return rc;
    return case_tx_audit(t, action, r.id, case_tx_summary(t, &r), case_tx_summary(t, &after));
}

int case_appeal_decide(const struct case_env *env, int64_t id,
                       const struct case_appeal_decision *in, struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    int rc;
    arena_init(&t.arena, 4096);
    if ((rc = case_check_text(in->note, "note", 1, CASE_NOTE_MAX, err)) < 0 ||
        (rc = store_begin(env->conn, err)) < 0)
        goto out;
    if ((rc = decide(&t, id, in)) < 0 || (rc = case_tx_settle(&t)) < 0) {
        store_rollback(env->conn);
        goto out;
    }
    rc = store_commit(env->conn, err);
out:
    arena_release(&t.arena);
    return rc;
}
