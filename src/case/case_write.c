/*
 * Writing cases: intake, the actions of the loop, and the overdue sweeper. Every change runs
 * in one transaction that updates the cases row, appends the timeline event, queues the
 * notifications it causes and appends the audit entry; a failure anywhere rolls all of it back.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mask.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "org/org.h"
#include "store/store.h"

#define TITLE_MAX 200
#define DESCRIPTION_MAX 5000
#define NOTE_MAX 2000

/* Limits used when a case has no category yet or its urgency overrides the category's:
 * {sign, reply, resolve} in the unit given. */
static const struct org_sla default_sla = {2, 21, 49, CAL_WORK_HOURS};
static const struct org_sla urgent_sla = {1, 12, 24, CAL_HOURS};
static const struct org_sla emergency_sla = {1, 2, 4, CAL_HOURS};

static int check_text(const char *v, const char *field, size_t min, size_t max, struct err *err)
{
    size_t n = v ? utf8_len(v) : 0;
    if (n < min || n > max)
        return min ? err_field(err, ERR_BAD_REQUEST, field, "field '%s' must be %zu to %zu characters", field, min, max)
                   : err_field(err, ERR_BAD_REQUEST, field, "field '%s' must be at most %zu characters", field, max);
    return 0;
}

static const char *actor_role(const struct case_actor *a)
{
    static const unsigned order[] = {ROLE_SUPERVISOR, ROLE_DISPATCHER, ROLE_OPERATOR, ROLE_HANDLER,
                                     ROLE_GRID_WORKER, ROLE_DATA_OFFICER, ROLE_ADMIN, ROLE_CITIZEN};
    if (!a->user_id)
        return "system";
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (a->roles & order[i])
            return auth_role_name(order[i]);
    return "unknown";
}

/* ---- citizen phone: secretbox at rest, a mask for display, a keyed hash for matching ---- */

static int seal_phone(const struct case_config *cfg, const char *phone, struct arena *a, char **enc, char **hash,
                      struct err *err)
{
    size_t n = strlen(phone);
    size_t clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char *box = arena_alloc(a, clen);
    unsigned char h[16];
    if (!cfg->key)
        return err_set(err, ERR_INTERNAL, "no data key configured for personal data");
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)phone, n, box, cfg->key);
    size_t b64 = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    *enc = arena_alloc(a, b64);
    sodium_bin2base64(*enc, b64, box, clen, sodium_base64_VARIANT_ORIGINAL);
    crypto_generichash(h, sizeof(h), (const unsigned char *)phone, n, cfg->key, 32);
    *hash = arena_alloc(a, sizeof(h) * 2 + 1);
    sodium_bin2hex(*hash, sizeof(h) * 2 + 1, h, sizeof(h));
    return 0;
}

static int open_phone(const struct case_config *cfg, const char *enc, struct arena *a, const char **out,
                      struct err *err)
{
    size_t cap = strlen(enc), len;
    unsigned char *box = arena_alloc(a, cap + 1);
    if (!*enc) {
        *out = "";
        return 0;
    }
    if (!cfg->key || sodium_base642bin(box, cap, enc, cap, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return err_set(err, ERR_INTEGRITY, "stored phone number is not readable");
    size_t mlen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *plain = arena_alloc(a, mlen + 1);
    if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, box, cfg->key) != 0)
        return err_set(err, ERR_INTEGRITY, "stored phone number does not decrypt with the configured key");
    plain[mlen] = '\0';
    *out = plain;
    return 0;
}

static int check_phone(const char *p, struct err *err)
{
    size_t n = strlen(p), digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            digits++;
        else if (!strchr("+- ()", p[i]))
            return err_field(err, ERR_BAD_REQUEST, "citizen.phone", "phone numbers contain digits, '+', '-', spaces and brackets only");
    }
    if (digits < 5 || digits > 20)
        return err_field(err, ERR_BAD_REQUEST, "citizen.phone", "phone number must have 5 to 20 digits");
    return 0;
}

/* ---- events, notifications, audit ---- */

struct tx {
    const struct case_env *env;
    struct arena arena;
    struct err *err;
};

static int add_event(struct tx *t, int64_t case_id, const char *action, const char *from, const char *to,
                     int64_t dept, const char *note, const char *payload, int64_t *event_id)
{
    const struct case_actor *a = t->env->actor;
    return store_query_int(t->env->conn, event_id, t->err,
                           "INSERT INTO case_events(case_id, at, actor_id, actor_name, actor_role, action, from_state,"
                           " to_state, department_id, note, payload) VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, nullif(?, 0), ?, ?)"
                           " RETURNING id",
                           "iiitttttitt", case_id, t->env->now, a->user_id, a->user_id ? a->name : "system",
                           actor_role(a), action, from, to, dept, note ? note : "", payload ? payload : "{}") < 0
               ? t->err->code
               : 0;
}

static int notify(struct tx *t, int64_t case_id, int64_t event_id, const char *recipient_kind, int64_t recipient_id,
                  const char *kind, const char *message)
{
    int64_t rc = store_exec(t->env->conn, t->err,
                            "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id, kind,"
                            " message, next_attempt_at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?)",
                            "iiititti", case_id, event_id, t->env->now, recipient_kind,
                            recipient_id, kind, message, t->env->now);
    return rc < 0 ? (int)rc : 0;
}

/* A compact description of the case state for audit digests. */
static char *summary(struct tx *t, const struct case_rec *r)
{
    return arena_printf(&t->arena,
                        "{\"state\":\"%s\",\"version\":%lld,\"lead\":%lld,\"resolve_deadline\":%lld,\"pending\":\"%s\","
                        "\"rectify_round\":%d,\"master\":%lld}",
                        case_state_name(r->state), (long long)r->version, (long long)r->lead_department_id,
                        (long long)r->resolve_deadline, r->pending_request ? r->pending_request : "",
                        r->rectify_round, (long long)r->master_id);
}

static int audit(struct tx *t, const char *action, int64_t case_id, const char *before, const char *after)
{
    if (!t->env->audit)
        return 0;
    return t->env->audit(t->env->audit_ctx, t->env->conn, arena_printf(&t->arena, "case.%s", action),
                         arena_printf(&t->arena, "case/%lld", (long long)case_id), before, after, t->err);
}

/* ---- deadlines ---- */

static int sla_for(struct tx *t, int64_t category_id, enum case_urgency urgency, struct org_sla *out)
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

static int deadline(struct tx *t, int amount, enum cal_unit unit, int64_t *out)
{
    int64_t units = unit == CAL_WORK_DAYS ? amount : (int64_t)amount * 60;
    return cal_add(t->env->cal, t->env->now, units, unit, out, t->err);
}

static int rectify_hours(struct tx *t, const struct case_rec *r, int *hours)
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

/* ---- intake ---- */

static void local_date(const struct cal *cal, int64_t now, char out[16])
{
    int y, m, d;
    clock_civil_from_days(cal_local_day(cal, now), &y, &m, &d);
    snprintf(out, 16, "%04d%02d%02d", y % 10000, m % 100, d % 100);
}

/* own_tx: begin and commit here; else the caller holds the transaction (or a savepoint) and
 * undoes it on failure. */
static int create(const struct case_env *env, const struct case_new *in, struct case_created *out, int own_tx,
                  struct err *err)
{
    struct tx t = {env, {0}, err};
    struct store_conn *c = env->conn;
    char day[16];
    char *enc = "", *hash = "", *mask = "";
    const char *region_code = NULL;
    int64_t seq, id, event_id;
    int rc;
    int urgency = in->urgency;

    arena_init(&t.arena, 2048);
    if ((unsigned)in->channel >= CASE_CHANNEL_COUNT) {
        rc = err_field(err, ERR_BAD_REQUEST, "channel", "unknown channel");
        goto out;
    }
    if ((rc = check_text(in->title, "title", 1, TITLE_MAX, err)) < 0 ||
        (rc = check_text(in->description, "description", 1, DESCRIPTION_MAX, err)) < 0 ||
        (rc = check_text(in->address, "address", 0, 200, err)) < 0 ||
        (rc = check_text(in->citizen_name, "citizen.name", 0, 50, err)) < 0)
        goto out;
    if (in->has_location && !(in->lat >= -90 && in->lat <= 90 && in->lon >= -180 && in->lon <= 180)) {
        rc = err_field(err, ERR_BAD_REQUEST, "lat", "lat must be in [-90, 90] and lon in [-180, 180]");
        goto out;
    }
    if (in->citizen_phone && *in->citizen_phone && (rc = check_phone(in->citizen_phone, err)) < 0)
        goto out;
    if (in->category_id) {
        struct org_category k;
        if ((rc = org_category_get(c, in->category_id, &t.arena, &k, err)) < 0) {
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "category", "category %lld does not exist", (long long)in->category_id);
            goto out;
        }
        if (!k.active) {
            rc = err_field(err, ERR_BAD_REQUEST, "category", "category '%s' is no longer in use", k.name);
            goto out;
        }
        if (urgency < 0)
            urgency = (int)k.urgency;
    }
    if (urgency < 0)
        urgency = CU_NORMAL;
    if (in->region_id) {
        struct org_region r;
        if ((rc = org_region_get(c, in->region_id, &t.arena, &r, err)) < 0) {
            /* A region the caller names that does not exist is bad input, not a missing page. */
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "region_id", "region %lld does not exist", (long long)in->region_id);
            goto out;
        }
        region_code = r.code;
    }
    if (in->citizen_phone && *in->citizen_phone) {
        if ((rc = seal_phone(env->cfg, in->citizen_phone, &t.arena, &enc, &hash, err)) < 0)
            goto out;
        mask = arena_alloc(&t.arena, strlen(in->citizen_phone) + 1);
        mask_phone(in->citizen_phone, mask, strlen(in->citizen_phone) + 1);
    }
    local_date(env->cal, env->now, day);
    snprintf(out->check_code, sizeof(out->check_code), "%06u", randombytes_uniform(1000000));

    if (own_tx && (rc = store_begin(c, err)) < 0)
        goto out;
    if ((rc = store_query_int(c, &seq, err,
                              "INSERT INTO case_numbers(day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1"
                              " RETURNING last",
                              "t", day)) < 0)
        goto rollback;
    snprintf(out->number, sizeof(out->number), "%s-%06lld", day, (long long)seq);
    rc = store_query_int(
        c, &id, err,
        "INSERT INTO cases(number, check_code, channel, title, description, category_id, urgency, lat, lon, address,"
        " region_id, region_code, citizen_name, citizen_phone_enc, citizen_phone_mask, citizen_phone_hash, anonymous,"
        " created_by, state, version, created_at, updated_at, triage_category_id, triage_department_id, triage_prob)"
        " VALUES (?, ?, ?, ?, ?, nullif(?, 0), ?, CASE WHEN ? THEN ? END, CASE WHEN ? THEN ? END, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?,"
        " nullif(?, 0), 'new', 1, ?, ?, nullif(?, 0), nullif(?, 0), CASE WHEN ? THEN ? END) RETURNING id",
        "tttttitdrdrtitttttdiiiiidr", out->number, out->check_code,
        case_channel_name(in->channel), in->title, in->description, in->category_id,
        case_urgency_name((enum case_urgency)urgency), in->has_location, in->lat, in->has_location, in->lon,
        in->address ? in->address : "", in->region_id, region_code, in->citizen_name ? in->citizen_name : "", enc, mask,
        hash, in->anonymous ? 1 : 0, env->actor->user_id, env->now, env->now, in->triage_category_id,
        in->triage_department_id, in->triage_payload != NULL, in->triage_prob);
    if (rc < 0)
        goto rollback;
    char *payload = arena_printf(&t.arena, "{\"channel\":\"%s\",\"urgency\":\"%s\"}", case_channel_name(in->channel),
                                 case_urgency_name((enum case_urgency)urgency));
    if ((rc = add_event(&t, id, "create", NULL, "new", 0, NULL, payload, &event_id)) < 0 ||
        (rc = notify(&t, id, event_id, "dispatchers", 0, "new_case",
                     arena_printf(&t.arena, "新工单 %s：%s", out->number, in->title))) < 0 ||
        (rc = audit(&t, "create", id, NULL, arena_printf(&t.arena, "{\"number\":\"%s\",\"state\":\"new\"}", out->number))) < 0)
        goto rollback;
    /* The suggestion is the system's, whoever reported: its own event, so the timeline says
     * which model suggested what and why. */
    if (in->triage_payload &&
        store_exec(c, err,
                   "INSERT INTO case_events(case_id, at, actor_name, actor_role, action, from_state, to_state, payload)"
                   " VALUES (?, ?, 'triage', 'system', 'triage', 'new', 'new', ?)",
                   "iit", id, env->now, in->triage_payload) < 0) {
        rc = err->code;
        goto rollback;
    }
    if (own_tx && (rc = case_index_pending(c, err)) < 0)
        goto rollback;
    if (own_tx && (rc = store_commit(c, err)) < 0)
        goto out;
    out->id = id;
    goto out;
rollback:
    if (own_tx)
        store_rollback(c);
out:
    arena_release(&t.arena);
    return rc;
}

int case_create(const struct case_env *env, const struct case_new *in, struct case_created *out, struct err *err)
{
    return create(env, in, out, 1, err);
}

int case_index_pending(struct store_conn *c, struct err *err)
{
    int64_t rc = store_exec(c, err,
                            "INSERT INTO cases_fts(rowid, title, description) SELECT id, title, description FROM cases"
                            " WHERE id > (SELECT last_case_id FROM case_fts_watermark WHERE id = 1) ORDER BY id", "");
    if (rc >= 0)
        rc = store_exec(c, err,
                        "UPDATE case_fts_watermark SET last_case_id = (SELECT max(id) FROM cases)"
                        " WHERE id = 1 AND last_case_id < (SELECT max(id) FROM cases)", "");
    return rc < 0 ? (int)rc : 0;
}

int case_create_in_tx(const struct case_env *env, const struct case_new *in, struct case_created *out,
                      struct err *err)
{
    return create(env, in, out, 0, err);
}

/* ---- the actions ---- */

static int exec(struct tx *t, const char *sql, const char *types, ...)
{
    struct store_stmt *s;
    va_list ap;
    va_start(ap, types);
    int rc = store_vquery(t->env->conn, &s, t->err, sql, types, ap);
    va_end(ap);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, t->err)) == 1)
        ;
    store_done(s);
    return rc;
}

static int set_state(struct tx *t, const struct case_rec *r, enum case_state to)
{
    return exec(t, "UPDATE cases SET state = ?, version = version + 1, updated_at = ? WHERE id = ?", "tii",
                case_state_name(to), t->env->now, r->id);
}

static int need_note(struct tx *t, const struct case_action_in *in, const char *what)
{
    if (!in->note || !*in->note)
        return err_field(t->err, ERR_BAD_REQUEST, "note", "action '%s' needs a 'note' (%s)", case_action_name(in->action), what);
    return check_text(in->note, "note", 1, NOTE_MAX, t->err);
}

static int check_department(struct tx *t, int64_t id, const char *field)
{
    struct org_department d;
    int rc = org_department_get(t->env->conn, id, &t->arena, &d, t->err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !d.active))
        return err_field(t->err, ERR_BAD_REQUEST, field, "department %lld does not exist or is inactive", (long long)id);
    return rc;
}

/* Dispatch and re-dispatch: lead and assisting departments, category, fresh deadlines. */
static int dispatch(struct tx *t, const struct case_rec *r, const struct case_action_in *in, int64_t *category_id)
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
    if ((rc = sla_for(t, *category_id, r->urgency, &sla)) < 0 || (rc = deadline(t, sla.sign, sla.unit, &sign)) < 0 ||
        (rc = deadline(t, sla.reply, sla.unit, &reply)) < 0 || (rc = deadline(t, sla.resolve, sla.unit, &resolve)) < 0)
        return rc;
    if ((rc = exec(t, "DELETE FROM case_departments WHERE case_id = ?", "i", r->id)) < 0 ||
        (rc = exec(t, "INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'lead')", "ii", r->id,
                   in->department_id)) < 0)
        return rc;
    for (int i = 0; i < in->nassisting; i++)
        if ((rc = exec(t, "INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'assist')"
                          " ON CONFLICT DO NOTHING", "ii", r->id, in->assisting[i])) < 0)
            return rc;
    /* A dispatcher who names the category classifies the case: a labelled example for the
     * next training, marked as a correction when triage had suggested something else. */
    if (in->category_id &&
        (rc = exec(t, "INSERT INTO triage_examples(case_id, category_id, suggested_id, corrected, actor_id, at)"
                      " VALUES (?, ?, nullif(?, 0), ?, nullif(?, 0), ?)",
                   "iiidii", r->id, in->category_id, r->triage_category_id,
                   r->triage_category_id != 0 && r->triage_category_id != in->category_id, t->env->actor->user_id,
                   t->env->now)) < 0)
        return rc;
    return exec(t,
                "UPDATE cases SET lead_department_id = ?, category_id = nullif(?, 0), sla_unit = ?, dispatched_at = ?,"
                " signed_at = NULL, sign_late = 0, sign_deadline = ?, reply_deadline = ?, resolve_deadline = ?,"
                " overdue = 0, overdue_level = 0, pending_request = NULL, pending_until = NULL WHERE id = ?",
                "iitiiiii", in->department_id, *category_id, cal_unit_name(sla.unit), t->env->now, sign, reply, resolve, r->id);
}

/* Unsatisfied evaluation or a supervisor's order: back to the same department, with a
 * rectification deadline, escalating after too many rounds. */
static int rectify(struct tx *t, const struct case_rec *r, int64_t event_id, int *escalated)
{
    int hours, rc;
    int64_t until;
    *escalated = 0;
    if ((rc = rectify_hours(t, r, &hours)) < 0 || (rc = cal_add(t->env->cal, t->env->now, (int64_t)hours * 60, CAL_HOURS, &until, t->err)) < 0)
        return rc;
    int round = r->rectify_round + 1;
    *escalated = round > t->env->cfg->rectify_rounds && !r->escalated;
    if ((rc = exec(t,
                   "UPDATE cases SET rectify_round = ?, resolve_deadline = ?, reply_deadline = ?, overdue = 0, overdue_level = 0,"
                   " replied_at = NULL, closed_at = NULL, escalated = escalated OR ? WHERE id = ?",
                   "diidi", round, until, until, *escalated, r->id)) < 0 ||
        (rc = notify(t, r->id, event_id, "department", r->lead_department_id, "rectify",
                     arena_printf(&t->arena, "工单 %s 需整改（第%d轮），时限 %d 小时", r->number, round, hours))) < 0)
        return rc;
    return 0;
}

/* Merged duplicates follow their master's reply and closure. */
static int propagate(struct tx *t, const struct case_rec *master, const char *action, enum case_state final_state)
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
        if ((rc = add_event(t, ids[i], action, "merged", to, master->lead_department_id, note, "{}", &ev)) < 0 ||
            (rc = exec(t, "UPDATE cases SET state = ?, version = version + 1, updated_at = ?, closed_at = CASE WHEN ? = 'closed'"
                          " THEN ? ELSE closed_at END, replied_at = coalesce(replied_at, ?) WHERE id = ?",
                       "titiii", to, t->env->now, to, t->env->now, t->env->now, ids[i])) < 0)
            return rc;
    }
    return 0;
}

static int check_actor(struct tx *t, const struct case_rec *r, const struct case_action_in *in)
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
    struct tx t = {env, {0}, err};
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
    if (in->note && (rc = check_text(in->note, "note", 0, NOTE_MAX, err)) < 0)
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
            (rc = exec(&t, "UPDATE cases SET replied_at = ?, closed_at = ? WHERE id = ?", "iii", env->now, env->now, id)) < 0)
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
            (rc = sla_for(&t, r.category_id, r.urgency, &sla)) < 0 || (rc = deadline(&t, sla.sign, sla.unit, &sign)) < 0 ||
            (rc = exec(&t, "UPDATE cases SET sign_deadline = ?, signed_at = NULL WHERE id = ?", "ii", sign, id)) < 0)
            goto rollback;
        break;
    }
    case CA_SIGN:
        if ((rc = exec(&t, "UPDATE cases SET signed_at = ?, sign_late = ? WHERE id = ?", "idi", env->now,
                       r.sign_deadline && env->now > r.sign_deadline, id)) < 0)
            goto rollback;
        if (r.sign_deadline && env->now > r.sign_deadline)
            payload = "{\"late\":true}";
        break;
    case CA_RETURN:
        if ((rc = need_note(&t, in, "why the case is not yours")) < 0 ||
            (rc = exec(&t, "UPDATE cases SET return_count = return_count + 1 WHERE id = ?", "i", id)) < 0)
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
        if ((rc = exec(&t, "UPDATE cases SET pending_request = 'extend', pending_until = ? WHERE id = ?", "ii", in->until, id)) < 0)
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
        if ((rc = exec(&t, "UPDATE cases SET pending_request = 'hang' WHERE id = ?", "i", id)) < 0)
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
            rc = exec(&t, "UPDATE cases SET resolve_deadline = pending_until, overdue = 0, overdue_level = 0 WHERE id = ?", "i", id);
        } else if (in->action == CA_APPROVE) {
            int64_t remaining = r.resolve_deadline > env->now
                                    ? (strcmp(r.sla_unit, "hours") == 0 ? r.resolve_deadline - env->now
                                                                        : cal_work_seconds_between(env->cal, env->now, r.resolve_deadline))
                                    : 0;
            rc = exec(&t, "UPDATE cases SET paused_at = ?, paused_remaining = ? WHERE id = ?", "iii", env->now, remaining, id);
        } else {
            rc = 0;
        }
        if (rc < 0 || (rc = exec(&t, "UPDATE cases SET pending_request = NULL, pending_until = NULL WHERE id = ?", "i", id)) < 0)
            goto rollback;
        break;
    case CA_RESUME: {
        int64_t remaining = 0, until;
        if ((rc = store_query_int(c, &remaining, err, "SELECT coalesce(paused_remaining, 0) FROM cases WHERE id = ?", "i", id)) < 0)
            goto rollback;
        enum cal_unit unit = strcmp(r.sla_unit, "hours") == 0 ? CAL_HOURS : CAL_WORK_HOURS;
        if ((rc = cal_add(env->cal, env->now, (remaining + 59) / 60, unit, &until, err)) < 0 ||
            (rc = exec(&t, "UPDATE cases SET paused_at = NULL, paused_remaining = NULL, resolve_deadline = ? WHERE id = ?", "ii",
                       until, id)) < 0)
            goto rollback;
        break;
    }
    case CA_URGE:
        if ((rc = exec(&t, "UPDATE cases SET urge_count = urge_count + 1 WHERE id = ?", "i", id)) < 0)
            goto rollback;
        break;
    case CA_REPLY:
        if ((rc = check_text(in->result, "result", 1, DESCRIPTION_MAX, err)) < 0)
            goto rollback;
        if (in->contacted < 0 || in->solved < 0) {
            rc = err_field(err, ERR_BAD_REQUEST, in->contacted < 0 ? "contacted" : "solved",
                           "a reply says whether the citizen was contacted and whether the problem is solved");
            goto rollback;
        }
        note = in->result;
        payload = arena_printf(&t.arena, "{\"contacted\":%s,\"solved\":%s}", in->contacted ? "true" : "false",
                               in->solved ? "true" : "false");
        if ((rc = exec(&t, "UPDATE cases SET replied_at = ?, reply_contacted = ?, reply_solved = ? WHERE id = ?", "iddi", env->now,
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
        if ((rc = exec(&t,
                       "INSERT INTO case_evaluations(case_id, round, department_id, region_code, at, contacted, solved, satisfaction,"
                       " by_citizen, comment) VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?)",
                       "iditiddtdt", id, r.rectify_round, r.lead_department_id, r.region_code, env->now, contacted, solved,
                       case_satisfaction_name(in->satisfaction), by_citizen, in->note ? in->note : "")) < 0 ||
            (rc = exec(&t, "UPDATE cases SET satisfaction = ?, closed_at = CASE WHEN ? THEN NULL ELSE ? END WHERE id = ?", "tdii",
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
        if ((rc = exec(&t, "UPDATE cases SET master_id = ? WHERE id = ?", "ii", m.id, id)) < 0 ||
            (rc = add_event(&t, m.id, "merge_in", case_state_name(m.state), case_state_name(m.state), m.lead_department_id,
                            arena_printf(&t.arena, "并入重复工单 %s", r.number), "{}", &ev)) < 0 ||
            (rc = exec(&t, "UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?", "ii", env->now, m.id)) < 0)
            goto rollback;
        payload = arena_printf(&t.arena, "{\"master\":%lld,\"master_number\":\"%s\"}", (long long)m.id, m.number);
        break;
    }
    case CA_CLOSE:
    case CA_CANCEL:
        if ((rc = need_note(&t, in, in->action == CA_CLOSE ? "why it closes without evaluation" : "why it is void")) < 0 ||
            (rc = exec(&t, "UPDATE cases SET closed_at = ? WHERE id = ?", "ii", env->now, id)) < 0)
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
        if ((rc = sla_for(&t, r.category_id, r.urgency, &sla)) < 0 || (rc = deadline(&t, sla.resolve, sla.unit, &resolve)) < 0 ||
            (rc = exec(&t, "UPDATE cases SET closed_at = NULL, resolve_deadline = ?, overdue = 0, overdue_level = 0,"
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
        (rc = add_event(&t, id, case_action_name(in->action), case_state_name(r.state), case_state_name(to), dept, note, payload,
                        &event_id)) < 0)
        goto rollback;

    /* What follows from the new state: rectification, notifications, merged duplicates. */
    if ((in->action == CA_EVALUATE && outcome) || in->action == CA_RECTIFY) {
        if ((rc = rectify(&t, &r, event_id, &escalated)) < 0)
            goto rollback;
        /* The evaluate event already moved the case replied → rectifying; this one records the
         * reopening within that state, so the timeline stays a chain of from/to. */
        if (in->action == CA_EVALUATE &&
            (rc = add_event(&t, id, "rectify", "rectifying", "rectifying", dept, "市民不满意，退回原承办单位整改", "{}",
                            &event_id)) < 0)
            goto rollback;
        if (escalated &&
            ((rc = add_event(&t, id, "escalate", "rectifying", "rectifying", dept, "多轮整改仍不满意，升级督办", "{}", &event_id)) < 0 ||
             (rc = notify(&t, id, event_id, "supervisors", 0, "escalated", arena_printf(&t.arena, "工单 %s 多轮整改未满意，请督办", r.number))) < 0))
            goto rollback;
    }
    switch (in->action) {
    case CA_DISPATCH:
    case CA_REDISPATCH:
    case CA_REJECT_RETURN:
        rc = notify(&t, id, event_id, "department", dept, "dispatched", arena_printf(&t.arena, "新派工单 %s：%s", r.number, r.title));
        for (int i = 0; rc == 0 && in->action != CA_REJECT_RETURN && i < in->nassisting; i++)
            rc = notify(&t, id, event_id, "department", in->assisting[i], "assist", arena_printf(&t.arena, "协办工单 %s", r.number));
        break;
    case CA_RETURN:
        rc = notify(&t, id, event_id, "dispatchers", 0, "returned", arena_printf(&t.arena, "工单 %s 被退回：%s", r.number, in->note));
        break;
    case CA_EXTEND:
    case CA_HANG:
        rc = notify(&t, id, event_id, "supervisors", 0, "approval", arena_printf(&t.arena, "工单 %s 申请%s", r.number,
                                                                                 in->action == CA_EXTEND ? "延期" : "挂账"));
        break;
    case CA_APPROVE:
    case CA_DENY:
    case CA_URGE:
        rc = notify(&t, id, event_id, "department", dept, case_action_name(in->action),
                    arena_printf(&t.arena, "工单 %s：%s", r.number, in->action == CA_URGE ? "督办催办" : in->action == CA_APPROVE ? "申请已批准" : "申请被驳回"));
        break;
    case CA_REPLY:
        rc = r.created_by ? notify(&t, id, event_id, "citizen", r.created_by, "replied", arena_printf(&t.arena, "您的诉求 %s 已办结，请评价", r.number)) : 0;
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
        (rc = audit(&t, case_action_name(in->action), id, summary(&t, &r), summary(&t, &after))) < 0)
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

/* ---- the sweeper ---- */

int case_sweep(const struct case_env *env, struct case_sweep_report *rep, struct err *err)
{
    struct store_conn *c = env->conn;
    struct store_stmt *s;
    int64_t ids[256];
    int n = 0, rc;
    memset(rep, 0, sizeof(*rep));
    rc = store_query(c, &s, err,
                     "SELECT id FROM cases WHERE closed_at IS NULL AND paused_at IS NULL AND resolve_deadline IS NOT NULL"
                     " AND resolve_deadline < ? AND state IN ('dispatched', 'returned', 'processing', 'rectifying')"
                     " ORDER BY resolve_deadline LIMIT 256",
                     "i", env->now);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1 && n < 256)
        ids[n++] = store_col_int(s, 0);
    store_done(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct tx t = {env, {0}, err};
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
        while (level < 60 && cal_add(env->cal, r.resolve_deadline, level, CAL_WORK_DAYS, &step, NULL) == 0 && step <= env->now)
            level++;
        if ((rc = store_query_int(c, &stored, err, "SELECT overdue_level FROM cases WHERE id = ?", "i", r.id)) < 0)
            goto undo;
        if (level <= stored) {
            store_rollback(c);
            goto next;
        }
        int escalate = level >= 2 && !r.escalated;
        char *note = arena_printf(&t.arena, "超期 %d 个工作日，系统催办", level);
        if ((rc = add_event(&t, r.id, "urge", case_state_name(r.state), case_state_name(r.state), r.lead_department_id, note,
                            arena_printf(&t.arena, "{\"overdue_level\":%d}", level), &ev)) < 0 ||
            (rc = exec(&t, "UPDATE cases SET overdue = 1, overdue_level = ?, urge_count = urge_count + 1, escalated = escalated OR ?,"
                           " version = version + 1, updated_at = ? WHERE id = ?",
                       "ddii", level, escalate, env->now, r.id)) < 0 ||
            (rc = notify(&t, r.id, ev, "department", r.lead_department_id, "overdue",
                         arena_printf(&t.arena, "工单 %s 已超期，请尽快办理", r.number))) < 0)
            goto undo;
        if (!r.overdue)
            rep->newly_overdue++;
        rep->urged++;
        if (escalate) {
            if ((rc = add_event(&t, r.id, "escalate", case_state_name(r.state), case_state_name(r.state), r.lead_department_id,
                                "超期未办结，升级督办", "{}", &ev)) < 0 ||
                (rc = notify(&t, r.id, ev, "supervisors", 0, "escalated", arena_printf(&t.arena, "工单 %s 超期升级", r.number))) < 0)
                goto undo;
            rep->escalated++;
        }
        if ((rc = audit(&t, "overdue", r.id, NULL, arena_printf(&t.arena, "{\"overdue_level\":%d}", level))) < 0)
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
    return 0;
}

int case_reveal_phone(const struct case_env *env, int64_t id, struct arena *a, const char **phone, struct err *err)
{
    struct store_stmt *s;
    struct case_rec r;
    int rc;
    if ((rc = case_get(env->conn, id, a, &r, err)) < 0)
        return rc;
    if (!case_visible(env->actor, &r))
        return err_set(err, ERR_FORBIDDEN, "case %s is outside your scope", r.number);
    if ((rc = store_query(env->conn, &s, err, "SELECT citizen_phone_enc FROM cases WHERE id = ?", "i", id)) < 0)
        return rc;
    char *enc = store_step(s, err) == 1 ? arena_strdup(a, store_col_text(s, 0)) : arena_strdup(a, "");
    store_done(s);
    return open_phone(env->cfg, enc, a, phone, err);
}

/* ---- attachments ---- */

int case_may_attach(const struct case_actor *actor, const struct case_rec *rec, struct err *err)
{
    if (!case_visible(actor, rec))
        return err_set(err, ERR_FORBIDDEN, "case %s is outside your scope", rec->number);
    if (!(actor->roles & ROLE_STAFF) && !(rec->created_by && rec->created_by == actor->user_id))
        return err_set(err, ERR_FORBIDDEN, "only staff and the citizen who reported case %s may add attachments", rec->number);
    if (case_state_is_final(rec->state))
        return err_set(err, ERR_CONFLICT, "case %s is %s; attachments can no longer be added", rec->number,
                       case_state_name(rec->state));
    return 0;
}

int case_attach(const struct case_env *env, int64_t id, const struct attach_file *file, int max_per_case,
                int64_t *attachment_id, struct err *err)
{
    struct tx t = {env, {0}, err};
    struct store_conn *c = env->conn;
    struct case_rec r;
    int64_t aid, event_id, linked = 0, count = 0;
    int rc;

    arena_init(&t.arena, 2048);
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    if ((rc = case_get(c, id, &t.arena, &r, err)) < 0 || (rc = case_may_attach(env->actor, &r, err)) < 0 ||
        (rc = attach_record(c, file, env->actor->user_id, env->now, &aid, err)) < 0 ||
        (rc = store_query_int(c, &linked, err, "SELECT count(*) FROM case_attachments WHERE case_id = ? AND attachment_id = ?",
                              "ii", id, aid)) < 0)
        goto rollback;
    if (linked) {
        /* A retried upload: the attachments row existed as well, so nothing was written. */
        store_rollback(c);
        *attachment_id = aid;
        rc = 1;
        goto out;
    }
    if ((rc = store_query_int(c, &count, err, "SELECT count(*) FROM case_attachments WHERE case_id = ?", "i", id)) < 0)
        goto rollback;
    if (count >= max_per_case) {
        rc = err_set(err, ERR_CONFLICT, "case %s already carries %lld attachments, the most allowed", r.number, (long long)count);
        goto rollback;
    }
    char *payload = arena_printf(&t.arena, "{\"attachment\":%lld,\"sha256\":\"%s\",\"mime\":\"%s\",\"size\":%zu,\"width\":%d,\"height\":%d}",
                                 (long long)aid, file->sha256, file->mime, file->size, file->width, file->height);
    if ((rc = add_event(&t, id, "attach", case_state_name(r.state), case_state_name(r.state), r.lead_department_id, NULL,
                        payload, &event_id)) < 0 ||
        (rc = exec(&t, "INSERT INTO case_attachments(case_id, attachment_id, event_id, added_by, added_at)"
                       " VALUES (?, ?, ?, nullif(?, 0), ?)",
                   "iiiii", id, aid, event_id, env->actor->user_id, env->now)) < 0 ||
        (rc = exec(&t, "UPDATE cases SET updated_at = ? WHERE id = ?", "ii", env->now, id)) < 0 ||
        (rc = audit(&t, "attach", id, NULL, payload)) < 0)
        goto rollback;
    if ((rc = store_commit(c, err)) < 0)
        goto out;
    *attachment_id = aid;
    goto out;
rollback:
    store_rollback(c);
out:
    arena_release(&t.arena);
    return rc;
}
