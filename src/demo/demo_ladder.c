/*
 * A ladder history for the real-district demo (docs/grid.md §5, §8): a few hotline cases in
 * the grid worker's 社区 (多福巷社区 on 东城区) that the district's command centre forwarded to
 * the street, the street to the 社区, and of which the 社区 took one on itself and sent one back
 * up to the street with a reason, so the case page's 层级流转 and the officials' 层级工单 have
 * steps to show. Each case is made by the case module (case_create) and each move by
 * case_ladder_act with the demo's officials (dispatcher, street_official, community_official),
 * with the clock set back to when it happened, as demo_cases does.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "demo/demo.h"
#include "org/org.h"
#include "store/store.h"

#define LADDER_CASES 4

struct official {
    int64_t id;
    const char *name;
    char *region_code; /* NULL: the district's command centre */
};

static int official(struct store_conn *c, struct arena *a, const char *name, struct official *o,
                    struct err *err)
{
    int rc = store_one_i64(c, "SELECT id FROM users WHERE name = ?", STORE_ARGS(store_text(name)),
                           &o->id, err);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "demo user '%s' is missing", name);
    if (rc < 0 || (rc = store_one_text(c,
                                       "SELECT r.code FROM users u JOIN regions r"
                                       " ON r.id = u.region_id WHERE u.id = ?",
                                       STORE_ARGS(store_i64(o->id)), a, &o->region_code, err)) < 0)
        return rc;
    o->name = name;
    return 0;
}

static int move(const struct case_env *base, const struct official *o, int64_t at, int64_t id,
                enum case_ladder_move m, int seq, const char *region_code, const char *text,
                struct err *err)
{
    struct case_actor actor = {o->id, o->name, ROLE_DISPATCHER, NULL, 0, o->region_code};
    struct case_env env = *base;
    env.actor = &actor;
    env.now = at;
    env.audit_ctx = &env;
    int64_t region = 0;
    int rc;
    if (region_code && (rc = store_one_i64(env.conn, "SELECT id FROM regions WHERE code = ?",
                                           STORE_ARGS(store_text(region_code)), &region, err)) <= 0)
        return rc < 0 ? rc : err_set(err, ERR_NOT_FOUND, "region %s is missing", region_code);
    return case_ladder_act(&env, id, m, seq, region, text, err);
}

/* Where the cases stand: fixes of the patrols in the 社区's grids (demo_patrols), spread out. */
struct spot {
    double lat, lon;
    int64_t region_id;
};

struct spots {
    struct spot v[LADDER_CASES];
    size_t n;
};

static int spot_row(void *ctx, struct store_stmt *s)
{
    struct spots *p = ctx;
    if (p->n < LADDER_CASES)
        p->v[p->n++] =
            (struct spot){store_col_real(s, 0), store_col_real(s, 1), store_col_int(s, 2)};
    return 0;
}

#define LADDER_FINDINGS 2

struct escalation_case {
    int64_t case_id, at, user_id;
    const char *name;
};

struct escalation {
    struct escalation_case v[LADDER_FINDINGS];
    size_t n;
    struct arena *a;
};

static int escalation_row(void *ctx, struct store_stmt *s)
{
    struct escalation *e = ctx;
    if (e->n < LADDER_FINDINGS)
        e->v[e->n++] =
            (struct escalation_case){store_col_int(s, 0), store_col_int(s, 1), store_col_int(s, 2),
                                     arena_strdup(e->a, store_col_text(s, 3))};
    return 0;
}

int demo_ladder(struct store *st, const unsigned char key[32], int64_t now, int *count,
                int *escalated, struct err *err)
{
    struct store_conn *c;
    struct cal *cal = NULL;
    struct arena a;
    struct official op = {0}, centre = {0}, street = {0}, community = {0};
    struct spots sp = {0};
    int rc;
    *count = 0;
    *escalated = 0;
    if ((rc = store_conn(st, &c, err)) < 0)
        return rc;
    arena_init(&a, 1 << 14);
    if ((rc = org_calendar_load(c, &cal, err)) < 0 ||
        (rc = official(c, &a, "operator", &op, err)) < 0 ||
        (rc = official(c, &a, "dispatcher", &centre, err)) < 0 ||
        (rc = official(c, &a, "street_official", &street, err)) < 0 ||
        (rc = official(c, &a, "community_official", &community, err)) < 0)
        goto out;
    if (!street.region_code || !community.region_code) {
        rc = err_set(err, ERR_CONFLICT, "the demo's officials are bound to no region");
        goto out;
    }
    int64_t got =
        store_all(c,
                  "SELECT f.lat, f.lon, p.region_id FROM patrol_fixes f"
                  " JOIN patrols p ON p.id = f.patrol_id JOIN regions r ON r.id = p.region_id"
                  " WHERE r.code LIKE ? AND f.at % 600 < 30 ORDER BY f.at, p.id",
                  STORE_ARGS(store_text(arena_printf(&a, "%s%%", community.region_code))), spot_row,
                  &sp, err);
    if (got < 0) {
        rc = (int)got;
        goto out;
    }
    struct case_config cfg = {2, 24, 72, key};
    struct case_actor opa = {op.id, op.name, ROLE_OPERATOR, NULL, 0, NULL};
    struct case_env env = {c, cal, &cfg, &opa, 0, demo_case_audit, NULL};
    env.audit_ctx = &env;
    for (size_t i = 0; i < sp.n; i++) {
        const char *code, *text = demo_triage_message(7 + i * 11, &code);
        struct org_category k;
        if ((rc = org_category_get_by_code(c, code, &a, &k, err)) < 0)
            goto out;
        char title[96];
        snprintf(title, sizeof(title), "%.*s", (int)utf8_prefix(text, 60), text);
        /* Cases of the last days, each taken a step further down the ladder. */
        int64_t t = now - (int64_t)(i + 1) * 86400 - 5 * 3600;
        env.now = t;
        struct case_new in = {.channel = CH_HOTLINE,
                              .title = title,
                              .description = text,
                              .category_id = k.id,
                              .urgency = -1,
                              .has_location = 1,
                              .lat = sp.v[i].lat,
                              .lon = sp.v[i].lon,
                              .region_id = sp.v[i].region_id,
                              .citizen_name = "赵先生",
                              .citizen_phone = "13611112222"};
        struct case_created out;
        if ((rc = case_create(&env, &in, &out, err)) < 0 ||
            (rc = move(&env, &centre, t + 1200, out.id, CLM_FORWARD, 1, street.region_code,
                       "请街道核实处置", err)) < 0 ||
            (rc = move(&env, &street, t + 3 * 3600, out.id, CLM_FORWARD, 2, community.region_code,
                       "请社区组织网格员到现场核实", err)) < 0)
            goto out;
        if (i == 1)
            rc = move(&env, &community, t + 6 * 3600, out.id, CLM_ESCALATE, 3, NULL,
                      "涉及多个小区的管线，社区无法协调产权单位，请街道统筹处置", err);
        else if (i == 2)
            rc = move(&env, &community, t + 5 * 3600, out.id, CLM_HANDLE, 3, NULL, "社区自行处置",
                      err);
        if (rc < 0)
            goto out;
        (*count)++;
    }
    /* Two patrol findings (demo_patrols) that their grid worker could not settle in the grid:
     * sent up to the 社区 with a reason an hour later. */
    struct escalation esc = {.a = &a};
    got = store_all(c,
                    "SELECT c.id, c.created_at, u.id, u.name FROM patrol_findings f"
                    " JOIN cases c ON c.id = f.case_id JOIN users u ON u.id = c.created_by"
                    " ORDER BY c.id",
                    STORE_NO_ARGS, escalation_row, &esc, err);
    if (got < 0) {
        rc = (int)got;
        goto out;
    }
    for (size_t i = 0; i < esc.n; i++) {
        struct case_actor wa = {esc.v[i].user_id, esc.v[i].name, ROLE_GRID_WORKER, NULL, 0, NULL};
        struct case_env we = {c, cal, &cfg, &wa, esc.v[i].at + 3600, demo_case_audit, NULL};
        we.audit_ctx = &we;
        if ((rc = case_ladder_act(&we, esc.v[i].case_id, CLM_ESCALATE, 1, 0,
                                  i ? "占道经营涉及多户商户，需社区联合城管劝导"
                                    : "问题涉及小区产权单位，网格内无法协调，请社区协调处置",
                                  err)) < 0)
            goto out;
        (*escalated)++;
    }
    /* These notifications are history: the demo server should not send them. */
    if (demo_notifications_sent(c, err) < 0)
        rc = err->code;
out:
    cal_free(cal);
    arena_release(&a);
    return rc;
}
