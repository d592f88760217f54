/*
 * The ladder (二级派单 and 逐级上报, issue 15, docs/grid.md §5): the level of the region tree a
 * case sits at, and the moves of the level holding it: handle it itself, forward it down to a
 * child region on the case's path, or escalate it to the parent region with a reason. Each stay
 * at a level is a step (case_ladder_steps, migration 0044) with its own clock: the level's limit
 * in natural hours (ladder_limits). A case with no step stored sits where it entered: a grid
 * worker's report (channel grid) at its grid or community, anything else at its district; the
 * first move stores that entry as step 1, started when the case was created.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

static const char *const level_names[CASE_LEVEL_COUNT] = {"", "grid", "community", "street",
                                                          "district"};
static const char *const move_names[CLM_MOVE_COUNT] = {"handle", "forward", "escalate"};

/* Roles that act for a street, a community or the district when bound to its region. */
#define OFFICIALS (ROLE_DISPATCHER | ROLE_SUPERVISOR)
#define OPEN_STATES "('closed', 'cancelled', 'merged')"

const char *case_level_name(int tier)
{
    return tier >= 1 && tier < CASE_LEVEL_COUNT ? level_names[tier] : "";
}

int case_level_from_name(const char *name)
{
    for (int i = 1; name && i < CASE_LEVEL_COUNT; i++)
        if (!strcmp(name, level_names[i]))
            return i;
    return 0;
}

const char *case_ladder_move_name(enum case_ladder_move m)
{
    if ((unsigned)m >= CLM_MOVE_COUNT)
        BUG("unknown ladder move");
    return move_names[m];
}

/* The ladder's tier of a region level name; a micro-grid counts as its grid. */
static int tier_of(const char *level)
{
    if (level && !strcmp(level, "micro"))
        return CASE_LEVEL_GRID;
    return case_level_from_name(level);
}

static int finished(enum case_state s)
{
    return s == CASE_CLOSED || s == CASE_CANCELLED || s == CASE_MERGED;
}

/* ---- regions ---- */

struct region {
    int64_t id, parent_id;
    const char *code, *name;
    int tier;
    int micro; /* a micro-grid (tier: its grid's) */
};

struct region_ctx {
    struct arena *a;
    struct region *out;
};

static int read_region(void *ctx, struct store_stmt *s)
{
    struct region_ctx *x = ctx;
    x->out->id = store_col_int(s, 0);
    x->out->code = arena_strdup(x->a, store_col_text(s, 1));
    x->out->name = arena_strdup(x->a, store_col_text(s, 2));
    x->out->tier = tier_of(store_col_text(s, 3));
    x->out->parent_id = store_col_is_null(s, 4) ? 0 : store_col_int(s, 4);
    x->out->micro = !strcmp(store_col_text(s, 3), "micro");
    return 0;
}

#define REGION_COLS "SELECT id, code, name, level, parent_id FROM regions "

/* 1 with the region, 0 if none. */
static int region_by(struct store_conn *c, const char *where, struct store_args args,
                     struct arena *a, struct region *out, struct err *err)
{
    struct region_ctx x = {a, out};
    memset(out, 0, sizeof(*out));
    return store_one(c, arena_printf(a, REGION_COLS "%s", where), args, read_region, &x, err);
}

/* Where a case with no step stored entered the ladder. */
static int entry_region(struct store_conn *c, const struct case_rec *r, struct arena *a,
                        struct region *out, struct err *err)
{
    struct region own;
    int rc;
    if (r->region_id) {
        if ((rc = region_by(c, "WHERE id = ?", STORE_ARGS(store_i64(r->region_id)), a, &own, err)) <
            0)
            return rc;
        if (rc && r->channel == CH_GRID && own.micro && own.parent_id)
            /* a micro-grid's report enters at its grid */
            return region_by(c, "WHERE id = ?", STORE_ARGS(store_i64(own.parent_id)), a, out, err) <
                           0
                       ? err->code
                       : 0;
        if (rc && r->channel == CH_GRID &&
            (own.tier == CASE_LEVEL_GRID || own.tier == CASE_LEVEL_COMMUNITY)) {
            *out = own;
            return 0;
        }
        /* District codes are the first six characters of every code below them. */
        if (r->region_code && strlen(r->region_code) >= 6 &&
            (rc = region_by(c, "WHERE level = 'district' AND code = substr(?, 1, 6)",
                            STORE_ARGS(store_text(r->region_code)), a, out, err)) != 0)
            return rc < 0 ? rc : 0;
    }
    /* Not located: the first district. */
    if ((rc = region_by(c, "WHERE level = 'district' ORDER BY code LIMIT 1", STORE_NO_ARGS, a, out,
                        err)) < 0)
        return rc;
    if (!rc)
        return err_field(err, ERR_CONFLICT, "step", "there is no district for case %s to sit at",
                         r->number);
    return 0;
}

/* ---- who acts for a level ---- */

/* 1 if 'actor' acts for region 'g' (docs/grid.md §5), 0 if not, or a negative ERR_*. */
static int acts_for(struct store_conn *c, const struct case_actor *actor, const struct region *g,
                    struct err *err)
{
    if (actor->roles & ROLE_ADMIN)
        return 1;
    const char *mine = actor->region_code && *actor->region_code ? actor->region_code : NULL;
    if (actor->roles & OFFICIALS) {
        if (mine && !strcmp(mine, g->code))
            return 1;
        /* the command centre, bound to no region, is the district's level */
        if (!mine && g->tier == CASE_LEVEL_DISTRICT)
            return 1;
    }
    if ((actor->roles & ROLE_GRID_WORKER) && g->tier == CASE_LEVEL_GRID) {
        if (mine && !strcmp(mine, g->code))
            return 1;
        int rc =
            store_one(c, "SELECT 1 FROM grid_worker_grids WHERE user_id = ? AND region_id = ?",
                      STORE_ARGS(store_i64(actor->user_id), store_i64(g->id)), NULL, NULL, err);
        return rc;
    }
    return 0;
}

/* ---- reading the ladder ---- */

struct steps_ctx {
    struct arena *a;
    int64_t now;
    VEC(struct case_ladder_step) v;
};

static int read_step(void *ctx, struct store_stmt *s)
{
    struct steps_ctx *x = ctx;
    struct case_ladder_step *st = vec_push(&x->v);
    st->seq = (int)store_col_int(s, 0);
    st->region_id = store_col_int(s, 1);
    st->region_code = arena_strdup(x->a, store_col_text(s, 2));
    st->region_name = arena_strdup(x->a, store_col_text(s, 3));
    st->tier = (int)store_col_int(s, 4);
    st->came_by = arena_strdup(x->a, store_col_text(s, 5));
    st->reason = arena_strdup(x->a, store_col_text(s, 6));
    st->actor_name = arena_strdup(x->a, store_col_text(s, 7));
    st->started_at = store_col_int(s, 8);
    st->due_at = store_col_int(s, 9);
    st->handling_at = store_col_int(s, 10);
    st->handler_name = arena_strdup(x->a, store_col_text(s, 11));
    st->ended_at = store_col_int(s, 12);
    st->outcome = arena_strdup(x->a, store_col_text(s, 13));
    return 0;
}

int case_ladder_limits(struct store_conn *c, int hours[CASE_LEVEL_COUNT], struct err *err)
{
    for (int i = 1; i < CASE_LEVEL_COUNT; i++) {
        int64_t h = 0;
        int rc = store_one_i64(c, "SELECT hours FROM ladder_limits WHERE level = ?",
                               STORE_ARGS(store_text(level_names[i])), &h, err);
        if (rc < 0)
            return rc;
        hours[i] = rc ? (int)h : 24;
    }
    hours[0] = 0;
    return 0;
}

/* The steps of case 'r' (the entry alone when none is stored), the last one open unless the
 * case is finished (then it ends when the case closed). */
static int load_steps(struct store_conn *c, const struct case_rec *r, int64_t now, struct arena *a,
                      struct case_ladder *out, struct err *err)
{
    struct steps_ctx x = {a, now, VEC_IN(a)};
    int rc;
    int64_t n =
        store_all(c,
                  "SELECT s.seq, s.region_id, g.code, g.name, s.tier, s.came_by, s.reason,"
                  " coalesce(u.display_name, u.name, ''), s.started_at, s.due_at,"
                  " coalesce(s.handling_at, 0), coalesce(h.display_name, h.name, ''),"
                  " coalesce(s.ended_at, 0), coalesce(s.outcome, '')"
                  " FROM case_ladder_steps s JOIN regions g ON g.id = s.region_id"
                  " LEFT JOIN users u ON u.id = s.actor_id LEFT JOIN users h ON h.id = s.handler_id"
                  " WHERE s.case_id = ? ORDER BY s.seq",
                  STORE_ARGS(store_i64(r->id)), read_step, &x, err);
    if (n < 0)
        return (int)n;
    out->written = n > 0;
    if (!n) {
        struct region e;
        int hours[CASE_LEVEL_COUNT];
        if ((rc = entry_region(c, r, a, &e, err)) < 0 ||
            (rc = case_ladder_limits(c, hours, err)) < 0)
            return rc;
        struct case_ladder_step *st = vec_push(&x.v);
        st->seq = 1;
        st->region_id = e.id;
        st->region_code = e.code;
        st->region_name = e.name;
        st->tier = e.tier;
        st->came_by = "entry";
        st->reason = st->actor_name = st->handler_name = st->outcome = "";
        st->started_at = r->created_at;
        st->due_at = r->created_at + (int64_t)hours[e.tier] * 3600;
    }
    struct case_ladder_step *last = vec_last(&x.v);
    if (finished(r->state) && !last->ended_at)
        last->ended_at = r->closed_at ? r->closed_at : r->updated_at;
    /* A level is done with a case it handles when the case is replied. */
    for (size_t i = 0; i < x.v.n; i++) {
        struct case_ladder_step *st = &x.v.v[i];
        int64_t end = st->ended_at;
        if (!end && st->handling_at && r->replied_at)
            end = r->replied_at;
        st->overdue = (end ? end : now) > st->due_at;
    }
    out->steps = x.v.v;
    out->nsteps = x.v.n;
    return 0;
}

/* Children of 'g' a case located at 'r' may be forwarded to: the one on its path when it is
 * located below 'g', else every child at a ladder level. */
struct targets_ctx {
    struct arena *a;
    const char *path; /* the case's region code, or NULL */
    VEC(struct case_ladder_target) v;
};

static int read_target(void *ctx, struct store_stmt *s)
{
    struct targets_ctx *x = ctx;
    const char *code = store_col_text(s, 1);
    if (x->path && strncmp(x->path, code, strlen(code)) != 0)
        return 0;
    struct case_ladder_target *t = vec_push(&x->v);
    t->id = store_col_int(s, 0);
    t->code = arena_strdup(x->a, code);
    t->name = arena_strdup(x->a, store_col_text(s, 2));
    return 0;
}

static int forward_targets(struct store_conn *c, const struct case_rec *r,
                           const struct case_ladder_step *at, struct arena *a,
                           struct case_ladder *out, struct err *err)
{
    struct targets_ctx x = {a, NULL, VEC_IN(a)};
    /* located strictly below the level: only its own branch */
    if (r->region_code && strlen(r->region_code) > strlen(at->region_code) &&
        !strncmp(r->region_code, at->region_code, strlen(at->region_code)))
        x.path = r->region_code;
    int64_t n = store_all(c,
                          "SELECT id, code, name FROM regions WHERE parent_id = ?"
                          " AND level IN ('street', 'community', 'grid') ORDER BY code",
                          STORE_ARGS(store_i64(at->region_id)), read_target, &x, err);
    if (n < 0)
        return (int)n;
    out->targets = x.v.v;
    out->ntargets = x.v.n;
    return 0;
}

int case_ladder_get(struct store_conn *c, const struct case_actor *actor, const struct case_rec *r,
                    int64_t now, struct arena *a, struct case_ladder *out, struct err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = load_steps(c, r, now, a, out, err)) < 0)
        return rc;
    const struct case_ladder_step *at = &out->steps[out->nsteps - 1];
    if (finished(r->state) || !actor)
        return 0;
    struct region g = {at->region_id, 0, at->region_code, at->region_name, at->tier, 0};
    if ((rc = acts_for(c, actor, &g, err)) <= 0)
        return rc;
    if (!at->handling_at)
        out->moves |= 1u << CLM_HANDLE;
    if (at->tier > CASE_LEVEL_GRID) {
        if ((rc = forward_targets(c, r, at, a, out, err)) < 0)
            return rc;
        if (out->ntargets)
            out->moves |= 1u << CLM_FORWARD;
    }
    if (at->tier < CASE_LEVEL_DISTRICT)
        out->moves |= 1u << CLM_ESCALATE;
    return 0;
}

/* ---- moves ---- */

/* Notify whoever acts for region 'g': its bound officials, a grid's workers, the command
 * centre for a district. */
static int notify_level(struct case_tx *t, const struct case_rec *r, int64_t event_id,
                        const struct region *g, const char *message)
{
    if (g->tier == CASE_LEVEL_DISTRICT)
        return case_tx_notify(t, r->id, event_id, "dispatchers", 0, "ladder", message);
    return case_tx_exec(
        t,
        "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id,"
        " kind, message, next_attempt_at)"
        " SELECT ?, ?, ?, 'user', u.id, 'ladder', ?, ? FROM users u WHERE u.active = 1 AND ("
        " (u.region_id = ? AND ((',' || u.roles || ',') LIKE '%,dispatcher,%'"
        "   OR (',' || u.roles || ',') LIKE '%,supervisor,%'"
        "   OR (? = 1 AND (',' || u.roles || ',') LIKE '%,grid_worker,%')))"
        " OR (? = 1 AND u.id IN (SELECT user_id FROM grid_worker_grids WHERE region_id = ?)))",
        STORE_ARGS(store_i64(r->id), store_i64(event_id), store_i64(t->env->now),
                   store_text(message), store_i64(t->env->now), store_i64(g->id),
                   store_i64(g->tier == CASE_LEVEL_GRID), store_i64(g->tier == CASE_LEVEL_GRID),
                   store_i64(g->id)));
}

static int insert_step(struct case_tx *t, int64_t case_id, int seq, const struct region *g,
                       const char *came_by, const char *reason, int64_t actor_id, int64_t started,
                       int hours)
{
    return case_tx_exec(
        t,
        "INSERT INTO case_ladder_steps(case_id, seq, region_id, level, tier, came_by, reason,"
        " actor_id, started_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, 0), ?, ?)",
        STORE_ARGS(store_i64(case_id), store_i64(seq), store_i64(g->id),
                   store_text(level_names[g->tier]), store_i64(g->tier), store_text(came_by),
                   store_text(reason ? reason : ""), store_i64(actor_id), store_i64(started),
                   store_i64(started + (int64_t)hours * 3600)));
}

static char *step_summary(struct case_tx *t, const struct case_ladder_step *s)
{
    return arena_printf(&t->arena,
                        "{\"seq\":%d,\"level\":\"%s\",\"region\":\"%s\",\"handling\":%s}", s->seq,
                        level_names[s->tier], s->region_code, s->handling_at ? "true" : "false");
}

static int act(struct case_tx *t, int64_t case_id, enum case_ladder_move m, int seq,
               int64_t region_id, const char *text)
{
    const struct case_actor *actor = t->env->actor;
    const int64_t now = t->env->now;
    struct case_rec r;
    struct case_ladder lad;
    struct region to;
    int hours[CASE_LEVEL_COUNT];
    int64_t event_id;
    int rc;
    if ((unsigned)m >= CLM_MOVE_COUNT)
        return err_field(t->err, ERR_BAD_REQUEST, "action", "unknown ladder move");
    if ((rc = case_get(t->env->conn, case_id, &t->arena, &r, t->err)) < 0)
        return rc;
    if (!case_visible(actor, &r))
        return err_deny(t->err, ERR_REASON_SCOPE, "case %s is outside your scope", r.number);
    if (finished(r.state))
        return err_field(t->err, ERR_CONFLICT, "action", "case %s is %s: the ladder is over",
                         r.number, case_state_name(r.state));
    if ((rc = case_ladder_get(t->env->conn, actor, &r, now, &t->arena, &lad, t->err)) < 0 ||
        (rc = case_ladder_limits(t->env->conn, hours, t->err)) < 0)
        return rc;
    const struct case_ladder_step *at = &lad.steps[lad.nsteps - 1];
    if (seq != at->seq)
        return err_field(t->err, ERR_CONFLICT, "step",
                         "case %s has moved since you loaded it (now at step %d, you sent %d);"
                         " reload and retry",
                         r.number, at->seq, seq);
    if (!(lad.moves & (1u << m))) {
        struct region g = {at->region_id, 0, at->region_code, at->region_name, at->tier, 0};
        if ((rc = acts_for(t->env->conn, actor, &g, t->err)) < 0)
            return rc;
        if (!rc)
            return err_deny(t->err, ERR_REASON_SCOPE,
                            "case %s sits at %s (%s): only that level acts on it", r.number,
                            at->region_name, level_names[at->tier]);
        if (m == CLM_HANDLE)
            return err_field(t->err, ERR_CONFLICT, "action", "%s already handles case %s",
                             at->region_name, r.number);
        if (m == CLM_FORWARD)
            return err_field(t->err, ERR_CONFLICT, "action",
                             "case %s sits at %s, which has no level below it", r.number,
                             at->region_name);
        return err_field(t->err, ERR_CONFLICT, "action",
                         "case %s sits at the district: there is no level above it", r.number);
    }
    if (m == CLM_ESCALATE &&
        (rc = case_check_text(text, "reason", 1, CASE_LADDER_TEXT_MAX, t->err)) < 0)
        return rc;
    if (m != CLM_ESCALATE && text &&
        (rc = case_check_text(text, "note", 0, CASE_LADDER_TEXT_MAX, t->err)) < 0)
        return rc;
    if (m != CLM_HANDLE && lad.nsteps + 1 > CASE_LADDER_STEPS_MAX)
        return err_field(t->err, ERR_CONFLICT, "action",
                         "case %s has moved %d times on the ladder; no more moves", r.number,
                         CASE_LADDER_STEPS_MAX);
    if (m == CLM_FORWARD) {
        size_t i;
        for (i = 0; i < lad.ntargets && lad.targets[i].id != region_id; i++)
            ;
        if (i == lad.ntargets)
            return err_field(t->err, ERR_BAD_REQUEST, "region_id",
                             "region %lld is not a region below %s on case %s's path",
                             (long long)region_id, at->region_name, r.number);
        if ((rc = region_by(t->env->conn, "WHERE id = ?", STORE_ARGS(store_i64(region_id)),
                            &t->arena, &to, t->err)) <= 0)
            return rc < 0 ? rc : ERR_NOT_FOUND;
    }
    if (m == CLM_ESCALATE) {
        int64_t parent = 0;
        if ((rc = store_one_i64(t->env->conn, "SELECT parent_id FROM regions WHERE id = ?",
                                STORE_ARGS(store_i64(at->region_id)), &parent, t->err)) < 0)
            return rc;
        if ((rc = region_by(t->env->conn, "WHERE id = ?", STORE_ARGS(store_i64(parent)), &t->arena,
                            &to, t->err)) < 0)
            return rc;
        if (!rc || !to.tier)
            return err_field(t->err, ERR_CONFLICT, "action",
                             "%s has no level above it on the ladder", at->region_name);
    }
    const char *before = step_summary(t, at);
    /* The entry becomes step 1 at the first move. */
    if (!lad.written) {
        struct region e = {at->region_id, 0, at->region_code, at->region_name, at->tier, 0};
        if ((rc = insert_step(t, r.id, 1, &e, "entry", "", 0, at->started_at, hours[at->tier])) < 0)
            return rc;
    }
    const char *action, *note = text && *text ? text : "";
    struct case_ladder_step after = *at;
    if (m == CLM_HANDLE) {
        action = "ladder_handle";
        if ((rc = case_tx_exec(
                 t,
                 "UPDATE case_ladder_steps SET handling_at = ?, handler_id = nullif(?, 0)"
                 " WHERE case_id = ? AND seq = ?",
                 STORE_ARGS(store_i64(now), store_i64(actor->user_id), store_i64(r.id),
                            store_i64(at->seq)))) < 0)
            return rc;
        after.handling_at = now;
    } else {
        action = m == CLM_FORWARD ? "ladder_forward" : "ladder_escalate";
        if ((rc = case_tx_exec(t,
                               "UPDATE case_ladder_steps SET ended_at = ?, outcome = ?"
                               " WHERE case_id = ? AND seq = ?",
                               STORE_ARGS(store_i64(now),
                                          store_text(m == CLM_FORWARD ? "forwarded" : "escalated"),
                                          store_i64(r.id), store_i64(at->seq)))) < 0 ||
            (rc = insert_step(t, r.id, at->seq + 1, &to, m == CLM_FORWARD ? "forward" : "escalate",
                              note, actor->user_id, now, hours[to.tier])) < 0)
            return rc;
        after.seq = at->seq + 1;
        after.region_code = to.code;
        after.tier = to.tier;
        after.handling_at = 0;
    }
    const char *payload =
        m == CLM_HANDLE
            ? arena_printf(&t->arena, "{\"level\":\"%s\",\"region_id\":%lld,\"step\":%d}",
                           level_names[at->tier], (long long)at->region_id, at->seq)
            : arena_printf(&t->arena,
                           "{\"from_level\":\"%s\",\"from_region_id\":%lld,\"level\":\"%s\","
                           "\"region_id\":%lld,\"step\":%d,\"due_at\":%lld}",
                           level_names[at->tier], (long long)at->region_id, level_names[to.tier],
                           (long long)to.id, at->seq + 1,
                           (long long)(now + (int64_t)hours[to.tier] * 3600));
    const char *st = case_state_name(r.state);
    if ((rc = case_tx_event(t, r.id, action, st, st, 0, note, payload, &event_id)) < 0)
        return rc;
    if (m != CLM_HANDLE &&
        (rc = notify_level(t, &r, event_id, &to,
                           m == CLM_FORWARD
                               ? arena_printf(&t->arena, "工单 %s 由%s派至%s，请处置或继续派单",
                                              r.number, at->region_name, to.name)
                               : arena_printf(&t->arena, "工单 %s 由%s上报至%s：%s", r.number,
                                              at->region_name, to.name, note))) < 0)
        return rc;
    return case_tx_audit(t, action, r.id, before, step_summary(t, &after));
}

struct act_arg {
    int64_t case_id;
    enum case_ladder_move m;
    int seq;
    int64_t region_id;
    const char *text;
};

static int act_fn(struct case_tx *t, void *arg)
{
    struct act_arg *x = arg;
    return act(t, x->case_id, x->m, x->seq, x->region_id, x->text);
}

int case_ladder_act(const struct case_env *env, int64_t case_id, enum case_ladder_move m, int seq,
                    int64_t region_id, const char *text, struct err *err)
{
    struct act_arg x = {case_id, m, seq, region_id, text};
    return case_tx_run(env, act_fn, &x, err);
}

int case_ladder_limits_set(const struct case_env *env, const int hours[CASE_LEVEL_COUNT],
                           struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    int old[CASE_LEVEL_COUNT];
    int rc;
    if (!(env->actor->roles & ROLE_ADMIN))
        return err_deny(err, ERR_REASON_ROLE, "only admins set the ladder's time limits");
    for (int i = 1; i < CASE_LEVEL_COUNT; i++)
        if (hours[i] < 1 || hours[i] > 8760)
            return err_field(err, ERR_BAD_REQUEST, level_names[i],
                             "field '%s' must be 1 to 8760 hours", level_names[i]);
    arena_init(&t.arena, 1024);
    if ((rc = store_begin(env->conn, err)) < 0)
        goto out;
    if ((rc = case_ladder_limits(env->conn, old, err)) < 0)
        goto fail;
    for (int i = 1; i < CASE_LEVEL_COUNT; i++)
        if ((rc = case_tx_exec(&t,
                               "UPDATE ladder_limits SET hours = ?, updated_at = ? WHERE level = ?",
                               STORE_ARGS(store_i64(hours[i]), store_i64(env->now),
                                          store_text(level_names[i])))) < 0)
            goto fail;
    if (env->audit) {
        const char *fmt = "{\"grid\":%d,\"community\":%d,\"street\":%d,\"district\":%d}";
        if ((rc = env->audit(env->audit_ctx, env->conn, "ladder.limits", "ladder_limits",
                             arena_printf(&t.arena, fmt, old[1], old[2], old[3], old[4]),
                             arena_printf(&t.arena, fmt, hours[1], hours[2], hours[3], hours[4]),
                             err)) < 0)
            goto fail;
    }
    rc = store_commit(env->conn, err);
    goto out;
fail:
    store_rollback(env->conn);
out:
    arena_release(&t.arena);
    return rc;
}

/* ---- the queue of a level ---- */

struct queue_ctx {
    struct arena *a;
    int64_t now;
    VEC(struct case_ladder_item) v;
};

static int read_item(void *ctx, struct store_stmt *s)
{
    struct queue_ctx *x = ctx;
    if (x->v.n >= CASE_LADDER_QUEUE_MAX)
        return 1;
    struct case_ladder_item *it = vec_push(&x->v);
    it->case_id = store_col_int(s, 0);
    it->number = arena_strdup(x->a, store_col_text(s, 1));
    it->title = arena_strdup(x->a, store_col_text(s, 2));
    it->state = arena_strdup(x->a, store_col_text(s, 3));
    it->region_name = arena_strdup(x->a, store_col_text(s, 4));
    it->tier = (int)store_col_int(s, 5);
    it->level_region_name = arena_strdup(x->a, store_col_text(s, 6));
    it->started_at = store_col_int(s, 7);
    it->due_at = store_col_int(s, 8);
    it->handling_at = store_col_int(s, 9);
    it->came_by = arena_strdup(x->a, store_col_text(s, 10));
    it->reason = arena_strdup(x->a, store_col_text(s, 11));
    it->overdue = x->now > it->due_at;
    return 0;
}

static int by_start(const void *pa, const void *pb)
{
    const struct case_ladder_item *a = pa, *b = pb;
    if (a->started_at != b->started_at)
        return a->started_at < b->started_at ? -1 : 1;
    return a->case_id < b->case_id ? -1 : a->case_id > b->case_id;
}

/* The regions 'actor' acts for. */
struct mine_ctx {
    struct arena *a;
    VEC(struct region) v;
};

static int read_mine(void *ctx, struct store_stmt *s)
{
    struct mine_ctx *x = ctx;
    struct region_ctx rx = {x->a, vec_push(&x->v)};
    return read_region(&rx, s);
}

int case_ladder_queue(struct store_conn *c, const struct case_actor *actor, int64_t now,
                      struct arena *a, struct case_ladder_item **out, size_t *n, struct err *err)
{
    struct mine_ctx m = {a, VEC_IN(a)};
    struct queue_ctx q = {a, now, VEC_IN(a)};
    const char *mine = actor->region_code && *actor->region_code ? actor->region_code : NULL;
    int64_t rc;
    *out = NULL;
    *n = 0;
    if ((actor->roles & (OFFICIALS | ROLE_ADMIN)) && !mine)
        rc = store_all(c, REGION_COLS "WHERE level = 'district' ORDER BY code", STORE_NO_ARGS,
                       read_mine, &m, err);
    else if ((actor->roles & (OFFICIALS | ROLE_ADMIN | ROLE_GRID_WORKER)) && mine)
        rc = store_all(c,
                       REGION_COLS "WHERE code = ? OR (? = 1 AND id IN (SELECT region_id FROM"
                                   " grid_worker_grids WHERE user_id = ?)) ORDER BY code",
                       STORE_ARGS(store_text(mine),
                                  store_i64((actor->roles & ROLE_GRID_WORKER) != 0),
                                  store_i64(actor->user_id)),
                       read_mine, &m, err);
    else if (actor->roles & ROLE_GRID_WORKER)
        rc = store_all(c,
                       REGION_COLS "WHERE id IN (SELECT region_id FROM grid_worker_grids WHERE"
                                   " user_id = ?) ORDER BY code",
                       STORE_ARGS(store_i64(actor->user_id)), read_mine, &m, err);
    else
        return 0;
    if (rc < 0)
        return (int)rc;
    int64_t first_district = 0;
    if ((rc = store_one_i64(c,
                            "SELECT id FROM regions WHERE level = 'district' ORDER BY code LIMIT 1",
                            STORE_NO_ARGS, &first_district, err)) < 0)
        return (int)rc;
    int hours[CASE_LEVEL_COUNT];
    if ((rc = case_ladder_limits(c, hours, err)) < 0)
        return (int)rc;
    for (size_t i = 0; i < m.v.n; i++) {
        const struct region *g = &m.v.v[i];
        struct region probe = *g;
        if (!g->tier || (rc = acts_for(c, actor, &probe, err)) <= 0) {
            if (rc < 0)
                return (int)rc;
            continue;
        }
        /* cases moved here */
        rc = store_all(
            c,
            "SELECT c.id, c.number, c.title, c.state, coalesce(r.name, ''), s.tier, g.name,"
            " s.started_at, s.due_at, coalesce(s.handling_at, 0), s.came_by, s.reason"
            " FROM case_ladder_steps s JOIN cases c ON c.id = s.case_id"
            " JOIN regions g ON g.id = s.region_id LEFT JOIN regions r ON r.id = c.region_id"
            " WHERE s.region_id = ? AND s.ended_at IS NULL AND c.state NOT IN " OPEN_STATES
            " ORDER BY s.started_at LIMIT 500",
            STORE_ARGS(store_i64(g->id)), read_item, &q, err);
        if (rc < 0)
            return (int)rc;
        /* cases that entered here and have not moved */
        const char *entry =
            g->tier == CASE_LEVEL_DISTRICT
                ? " AND (c.channel <> 'grid' OR c.region_id IS NULL"
                  " OR r.level NOT IN ('grid', 'community', 'micro'))"
                  " AND (c.region_code LIKE ? || '%' OR (c.region_id IS NULL AND ? = 1))"
                : " AND c.channel = 'grid'"
                  " AND (c.region_id = ? OR (r.level = 'micro' AND r.parent_id = ?))";
        rc = store_all(
            c,
            arena_printf(
                a,
                "SELECT c.id, c.number, c.title, c.state, coalesce(r.name, ''), %d, ?,"
                " c.created_at, c.created_at + ?, 0, 'entry', ''"
                " FROM cases c LEFT JOIN regions r ON r.id = c.region_id"
                " WHERE c.state NOT IN " OPEN_STATES
                " AND NOT EXISTS (SELECT 1 FROM case_ladder_steps s WHERE s.case_id = c.id)"
                "%s ORDER BY c.created_at LIMIT 500",
                g->tier, entry),
            g->tier == CASE_LEVEL_DISTRICT
                ? STORE_ARGS(store_text(g->name), store_i64((int64_t)hours[g->tier] * 3600),
                             store_text(g->code), store_i64(g->id == first_district))
                : STORE_ARGS(store_text(g->name), store_i64((int64_t)hours[g->tier] * 3600),
                             store_i64(g->id), store_i64(g->id)),
            read_item, &q, err);
        if (rc < 0)
            return (int)rc;
    }
    if (q.v.n > 1)
        qsort(q.v.v, q.v.n, sizeof(*q.v.v), by_start);
    *out = q.v.v;
    *n = q.v.n;
    return 0;
}
