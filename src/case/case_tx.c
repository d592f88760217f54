/*
 * What every write of the case module shares: the text check, the timeline event, the
 * notification queue and the audit entry of one transaction, and the deadlines of the SLA.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "org/org.h"
#include "store/store.h"

/* Limits used when a case has no category yet or its urgency overrides the category's:
 * {sign, reply, resolve} in the unit given. */
static const struct org_sla default_sla = {2, 21, 49, CAL_WORK_HOURS};
static const struct org_sla urgent_sla = {1, 12, 24, CAL_HOURS};
static const struct org_sla emergency_sla = {1, 2, 4, CAL_HOURS};

/* The one check of every free text a case takes in (intake from any channel, notes, results):
 * length, and no character that changes how the text around it reads. Bidirectional
 * embeddings, overrides and isolates can make a title display as something else ("moc.knab"
 * shown as "bank.com", a reversed amount), and C0 controls other than tab and line breaks
 * have no place in text a person typed: both are refused, not stripped, so what is stored is
 * exactly what was sent and the sender learns why. */
int case_check_text(const char *v, const char *field, size_t min, size_t max, struct err *err)
{
    size_t n = v ? utf8_len(v) : 0;
    if (n < min || n > max)
        return min ? err_field(err, ERR_BAD_REQUEST, field,
                               "field '%s' must be %zu to %zu characters", field, min, max)
                   : err_field(err, ERR_BAD_REQUEST, field,
                               "field '%s' must be at most %zu characters", field, max);
    if (!v)
        return 0;
    long at = utf8_bidi_control_at(v);
    if (at >= 0)
        return err_field(err, ERR_BAD_REQUEST, field,
                         "field '%s' contains a bidirectional control character (U+202A..U+202E, "
                         "U+2066..U+2069) at byte %ld",
                         field, at);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return err_field(err, ERR_BAD_REQUEST, field,
                             "field '%s' contains the control character U+%04X at byte %ld", field,
                             (unsigned)*p, (long)(p - v));
    return 0;
}

static const char *actor_role(const struct case_actor *a)
{
    static const unsigned order[] = {ROLE_SUPERVISOR, ROLE_DISPATCHER,  ROLE_OPERATOR,
                                     ROLE_HANDLER,    ROLE_GRID_WORKER, ROLE_DATA_OFFICER,
                                     ROLE_ADMIN,      ROLE_CITIZEN};
    /* Nobody signed in but a citizen proven by the case's number and check code (an appeal
     * through the public lookup). */
    if (!a->user_id)
        return a->roles & ROLE_CITIZEN ? "citizen" : "system";
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (a->roles & order[i])
            return auth_role_name(order[i]);
    return "unknown";
}

/* ---- events, notifications, audit ---- */

int case_tx_event(struct case_tx *t, int64_t case_id, const char *action, const char *from,
                  const char *to, int64_t dept, const char *note, const char *payload,
                  int64_t *event_id)
{
    const struct case_actor *a = t->env->actor;
    return store_one_i64(
               t->env->conn,
               "INSERT INTO case_events(case_id, at, actor_id, actor_name, actor_role, action, from_state,"
               " to_state, department_id, note, payload) VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, nullif(?, 0), ?, ?)"
               " RETURNING id",
               STORE_ARGS(store_i64(case_id), store_i64(t->env->now), store_i64(a->user_id),
                          store_text(a->user_id ? a->name : actor_role(a)),
                          store_text(actor_role(a)), store_text(action), store_text(from),
                          store_text(to), store_i64(dept), store_text(note ? note : ""),
                          store_text(payload ? payload : "{}")),
               event_id, t->err) < 0
               ? t->err->code
               : 0;
}

int case_tx_notify(struct case_tx *t, int64_t case_id, int64_t event_id, const char *recipient_kind,
                   int64_t recipient_id, const char *kind, const char *message)
{
    int64_t rc = store_run(
        t->env->conn,
        "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id, kind,"
        " message, next_attempt_at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?)",
        STORE_ARGS(store_i64(case_id), store_i64(event_id), store_i64(t->env->now),
                   store_text(recipient_kind), store_i64(recipient_id), store_text(kind),
                   store_text(message), store_i64(t->env->now)),
        t->err);
    return rc < 0 ? (int)rc : 0;
}

/* A compact description of the case state for audit digests. */
char *case_tx_summary(struct case_tx *t, const struct case_rec *r)
{
    return arena_printf(
        &t->arena,
        "{\"state\":\"%s\",\"version\":%lld,\"lead\":%lld,\"resolve_deadline\":%lld,\"pending\":\"%s\","
        "\"rectify_round\":%d,\"master\":%lld}",
        case_state_name(r->state), (long long)r->version, (long long)r->lead_department_id,
        (long long)r->resolve_deadline, r->pending_request ? r->pending_request : "",
        r->rectify_round, (long long)r->master_id);
}

int case_tx_audit(struct case_tx *t, const char *action, int64_t case_id, const char *before,
                  const char *after)
{
    if (!t->env->audit)
        return 0;
    return t->env->audit(
        t->env->audit_ctx, t->env->conn, arena_printf(&t->arena, "case.%s", action),
        arena_printf(&t->arena, "case/%lld", (long long)case_id), before, after, t->err);
}

/* ---- deadlines ---- */

int case_sla_for(struct case_tx *t, int64_t category_id, enum case_urgency urgency,
                 struct org_sla *out)
{
    if (urgency == CU_EMERGENCY) {
        *out = emergency_sla;
        return 0;
    }
    if (urgency == CU_URGENT) {
        *out = urgent_sla;
        return 0;
    }
    *out = default_sla;
    if (!category_id)
        return 0;
    int rc = org_category_sla(t->env->conn, category_id, out, NULL, t->err);
    if (rc == ERR_NOT_FOUND) {
        *out = default_sla;
        return 0;
    }
    return rc;
}

int case_deadline(struct case_tx *t, int amount, enum cal_unit unit, int64_t *out)
{
    int64_t units = unit == CAL_WORK_DAYS ? amount : (int64_t)amount * 60;
    return cal_add(t->env->cal, t->env->now, units, unit, out, t->err);
}

int case_tx_exec(struct case_tx *t, const char *sql, struct store_args args)
{
    int64_t rc = store_run(t->env->conn, sql, args, t->err);
    return rc < 0 ? (int)rc : 0;
}

int case_tx_run(const struct case_env *env, case_tx_fn *fn, void *arg, struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    int rc;
    arena_init(&t.arena, 2048);
    if ((rc = store_begin(env->conn, err)) < 0)
        goto out;
    if ((rc = fn(&t, arg)) < 0 || (rc = case_tx_settle(&t)) < 0) {
        store_rollback(env->conn);
        goto out;
    }
    rc = store_commit(env->conn, err);
out:
    arena_release(&t.arena);
    return rc;
}

#define EACH_MAX 256

int case_tx_each(const struct case_env *env, const char *sql, struct store_args args,
                 case_tx_id_fn *fn, int *done, struct err *err)
{
    struct store_stmt *st;
    int64_t ids[EACH_MAX];
    int n = 0, rc;
    *done = 0;
    if ((rc = store_prepare(env->conn, sql, args, &st, err)) < 0)
        return rc;
    while ((rc = store_step(st, err)) == 1 && n < EACH_MAX)
        ids[n++] = store_col_int(st, 0);
    store_done(st);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct case_tx t = {env, {0}, err, NULL, 0, 0};
        arena_init(&t.arena, 2048);
        if ((rc = store_begin(env->conn, err)) == 0) {
            if ((rc = fn(&t, ids[i])) < 0)
                store_rollback(env->conn);
            else if ((rc = store_commit(env->conn, err)) == 0)
                (*done)++;
        }
        arena_release(&t.arena);
        if (rc < 0)
            return rc;
    }
    return 0;
}
