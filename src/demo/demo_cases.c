/*
 * Demo cases: two weeks of reports spread over the district, taken through the closed loop by
 * the demo accounts, so that a fresh demo shows queues, a map and rates that mean something.
 *
 * Every case is made by the case module exactly as the API makes it (case_create, case_act:
 * the same checks, deadlines, events and notifications), only with the clock set back to
 * when each step happened. Reports come from the demo's labelled messages (demo_triage.c).
 * Department work is done by the two demo handlers, so cases of 市容环境 go to the city
 * management bureau and other cases in 青石街道 to the street office; the rest are dispatched
 * to their category's department and wait there.
 *
 * Where: each case stands at an address point of the demo's address register (demo_register.c),
 * with the point's written address (锦绣路88号, 锦绣花园3幢2单元), half at a house number and half
 * at a building unit. One hotline case in four carries only the address as the operator typed
 * it, with no point: what the geocoder is for.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "cal/cal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "demo/demo.h"
#include "demo/demo_data.h"
#include "geo/geo.h"
#include "org/org.h"
#include "store/store.h"
#include "triage/triage.h"

#define DAYS 14

struct who {
    int64_t id;
    const char *name;
    unsigned roles;
    int64_t dept;
};

/* An address point of the register. */
struct spot {
    const char *address;
    double lat, lon;
    int64_t region_id;
};
typedef VEC(struct spot) spots_t;

struct run {
    struct arena *keep; /* for the whole run (r->a is emptied every 50 cases) */
    struct store_conn *c;
    spots_t streets, units; /* address points at a house number, at a building unit */
    struct arena *a;
    struct cal *cal;
    struct case_config cfg;
    struct geo_index *geo;
    struct who operator_, citizen, grid_worker, dispatcher, cgj, qsjd;
    int64_t cgj_dept, qsjd_dept;
    uint64_t rng;
    struct err *err;
    char *district, *first_street; /* the district's name, its first street's code */
};

static uint32_t next(struct run *r)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return (uint32_t)(r->rng >> 16);
}

static double uniform(struct run *r)
{
    return (next(r) & 0xffffff) / (double)0x1000000;
}

static int load_user(struct run *r, const char *name, unsigned roles, const char *dept_code,
                     struct who *w)
{
    int rc = store_one_i64(r->c, "SELECT id FROM users WHERE name = ?",
                           STORE_ARGS(store_text(name)), &w->id, r->err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(r->err, ERR_NOT_FOUND, "demo user '%s' is missing", name);
    w->name = name;
    w->roles = roles;
    w->dept = 0;
    if (dept_code) {
        struct org_department d;
        if ((rc = org_department_get_by_code(r->c, dept_code, r->a, &d, r->err)) < 0)
            return rc;
        w->dept = d.id;
    }
    return 0;
}

static int act(struct run *r, const struct who *w, int64_t at, int64_t id,
               struct case_action_in *in)
{
    struct case_actor actor = {w->id,           w->name, w->roles, w->dept ? &w->dept : NULL,
                               w->dept ? 1 : 0, NULL};
    struct case_env env = {r->c, r->cal, &r->cfg, &actor, at, NULL, NULL};
    struct case_rec rec;
    int rc = case_get(r->c, id, r->a, &rec, r->err);
    if (rc < 0)
        return rc;
    in->version = rec.version;
    return case_act(&env, id, in, r->err);
}

static int build_geo(struct run *r)
{
    struct org_region_filter f = {.with_boundary = 1};
    struct org_region *v;
    size_t n;
    int rc;
    if ((rc = org_region_list(r->c, &f, r->a, &v, &n, r->err)) < 0 ||
        (rc = geo_index_new(&r->geo, r->err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (v[i].boundary && (rc = geo_index_add(r->geo, v[i].id, org_region_depth(v[i].level),
                                                 v[i].boundary, r->err)) < 0)
            return rc;
    return 0;
}

static int spot_row(void *ctx, struct store_stmt *row)
{
    struct run *r = ctx;
    spots_t *v = store_col_int(row, 0) ? &r->streets : &r->units;
    struct spot *s = vec_push(v);
    s->address = arena_strdup(r->keep, store_col_text(row, 1));
    s->lat = store_col_real(row, 2);
    s->lon = store_col_real(row, 3);
    s->region_id = store_col_int(row, 4);
    return 0;
}

static int load_spots(struct run *r)
{
    int64_t rc = store_all(r->c,
                           "SELECT CASE WHEN road_id IS NULL THEN 0 ELSE 1 END, address, lat, lon, "
                           "coalesce(region_id, 0) FROM addr_points ORDER BY id",
                           STORE_NO_ARGS, spot_row, r, r->err);
    return rc < 0 ? (int)rc : 0;
}

/* How an operator types an address on the phone: as said, with the district, or roughly. */
static const char *typed(struct run *r, const char *address)
{
    switch (next(r) % 4) {
    case 0: return arena_printf(r->a, "%s%s", r->district, address);
    case 1: return arena_printf(r->a, "%s附近", address);
    default: return address;
    }
}

/* One report and as much of the loop as its stage says, at times before 'now'. */
static int one_case(struct run *r, int i, int64_t now)
{
    size_t nmsg = demo_triage_messages_count();
    const char *code, *text = demo_triage_message((size_t)next(r) % nmsg, &code);
    struct org_category k;
    int rc;
    if ((rc = org_category_get_by_code(r->c, code, r->a, &k, r->err)) < 0)
        return rc;
    const spots_t *from = i % 2 && r->units.n ? &r->units : &r->streets;
    const struct spot *at_spot = from->n ? &from->v[next(r) % from->n] : NULL;
    double lon =
        demo_district_bbox[0] + uniform(r) * (demo_district_bbox[2] - demo_district_bbox[0]);
    double lat =
        demo_district_bbox[1] + uniform(r) * (demo_district_bbox[3] - demo_district_bbox[1]);
    const struct who *by = i % 5 == 0 ? &r->citizen : i % 5 == 1 ? &r->grid_worker : &r->operator_;
    /* A hotline call in four gives only the address (none without a register). */
    int text_only = at_spot && by == &r->operator_ && i % 4 == 3;
    if (at_spot) {
        lon = at_spot->lon;
        lat = at_spot->lat;
    }
    int64_t region = text_only ? 0 : geo_locate(r->geo, lon, lat);
    struct org_region reg = {0};
    if (region && (rc = org_region_get(r->c, region, r->a, &reg, r->err)) < 0)
        return rc;
    /* Anywhere in the fortnight before now. */
    int64_t at = now - (int64_t)(uniform(r) * DAYS * 86400) - 600;

    struct case_actor actor = {by->id, by->name, by->roles, NULL, 0, NULL};
    struct case_env env = {r->c, r->cal, &r->cfg, &actor, at, NULL, NULL};
    char title[96];
    /* The start of the message, at most 60 bytes (20 CJK characters), cut between characters. */
    snprintf(title, sizeof(title), "%.*s", (int)utf8_prefix(text, 60), text);
    struct case_new in = {
        .channel = by == &r->citizen       ? CH_APP
                   : by == &r->grid_worker ? CH_GRID
                                           : CH_HOTLINE,
        .title = title,
        .description = text,
        .category_id = by == &r->operator_ || by == &r->grid_worker ? k.id : 0,
        .urgency = -1,
        .has_location = !text_only,
        .lat = text_only ? 0 : lat,
        .lon = text_only ? 0 : lon,
        .address = !at_spot    ? NULL
                   : text_only ? typed(r, at_spot->address)
                               : at_spot->address,
        .region_id = region,
        .citizen_name = by == &r->citizen ? "王秀英" : (i % 3 ? "张先生" : "李女士"),
        .citizen_phone =
            by == &r->citizen ? "13800008008" : (i % 3 ? "13912345678" : "13587654321"),
    };
    struct case_created out;
    if ((rc = case_create(&env, &in, &out, r->err)) < 0)
        return rc;

    /* Stage: 0-14 new, 15-24 dispatched, 25-44 processing, 45-54 replied, 55-94 closed,
     * 95-99 unsatisfied and being rectified. */
    int stage = (int)(next(r) % 100);
    if (stage < 15)
        return 0;
    int in_qingshi = reg.code && strncmp(reg.code, r->first_street, 9) == 0;
    const struct who *handler = code[0] == '0' && code[1] == '1' ? &r->cgj
                                : in_qingshi                     ? &r->qsjd
                                                                 : NULL;
    struct triage_route route;
    if ((rc = triage_route(r->c, k.id, region, &route, r->err)) < 0)
        return rc;
    int64_t dept = handler ? handler->dept : route.department_id;
    if (!dept)
        return 0;
    int64_t t = at + 300 + next(r) % 1800;
    struct case_action_in d = {.action = CA_DISPATCH,
                               .department_id = dept,
                               .category_id = k.id,
                               .note = "请按职责核实处理"};
    if ((rc = act(r, &r->dispatcher, t, out.id, &d)) < 0)
        return rc;
    if (stage < 25 || !handler)
        return 0;
    t += 600 + next(r) % 7200;
    if (t >= now)
        return 0;
    struct case_action_in s = {.action = CA_SIGN};
    if ((rc = act(r, handler, t, out.id, &s)) < 0)
        return rc;
    if (stage < 45)
        return 0;
    t += 3600 + next(r) % (2 * 86400);
    if (t >= now)
        return 0;
    struct case_action_in rp = {.action = CA_REPLY,
                                .result = "已安排人员到现场处置完毕，并电话告知来电人处理结果。",
                                .contacted = 1,
                                .solved = 1};
    if ((rc = act(r, handler, t, out.id, &rp)) < 0)
        return rc;
    if (stage < 55)
        return 0;
    t += 1800 + next(r) % 86400;
    if (t >= now)
        return 0;
    enum case_satisfaction sat = stage >= 95      ? CS_UNSATISFIED
                                 : stage % 4 == 0 ? CS_BASICALLY
                                                  : CS_SATISFIED;
    struct case_action_in ev = {.action = CA_EVALUATE,
                                .satisfaction = sat,
                                .contacted = 1,
                                .solved = sat != CS_UNSATISFIED,
                                .note = sat == CS_UNSATISFIED ? "问题反复出现，希望彻底解决"
                                                              : "处理及时，谢谢"};
    return act(r, &r->operator_, t, out.id, &ev);
}

int demo_notifications_sent(struct store_conn *c, struct err *err)
{
    return store_run(
        c,
        "UPDATE notifications SET status = 'sent', sent_at = created_at WHERE status = 'pending'",
        STORE_NO_ARGS, err);
}

int demo_cases(struct store *st, const unsigned char key[32], int n, int64_t now, struct err *err)
{
    struct arena a, keep;
    struct run r = {.a = &a, .keep = &keep, .err = err, .rng = 0x9E3779B97F4A7C15ULL};
    int rc;
    arena_init(&a, 1 << 16);
    arena_init(&keep, 1 << 16);
    r.streets = (spots_t)VEC_IN(&keep);
    r.units = (spots_t)VEC_IN(&keep);
    r.cfg = (struct case_config){2, 24, 72, key};
    if ((rc = store_conn(st, &r.c, err)) < 0 || (rc = org_calendar_load(r.c, &r.cal, err)) < 0 ||
        (rc = build_geo(&r)) < 0 || (rc = load_spots(&r)) < 0)
        goto out;
    /* The first street is the one whose office (QSJD) handles its cases itself. */
    if ((rc = store_one_text(r.c, "SELECT name FROM regions WHERE level = 'district' ORDER BY code",
                             STORE_NO_ARGS, &keep, &r.district, err)) < 0 ||
        (rc = store_one_text(r.c, "SELECT code FROM regions WHERE level = 'street' ORDER BY code",
                             STORE_NO_ARGS, &keep, &r.first_street, err)) < 0)
        goto out;
    if (!r.district || !r.first_street) {
        rc = err_set(err, ERR_CONFLICT, "demo cases need the demo regions (gridloop init --demo)");
        goto out;
    }
    if ((rc = load_user(&r, "operator", ROLE_OPERATOR, NULL, &r.operator_)) < 0 ||
        (rc = load_user(&r, "citizen", ROLE_CITIZEN, NULL, &r.citizen)) < 0 ||
        (rc = load_user(&r, "grid_worker", ROLE_GRID_WORKER, NULL, &r.grid_worker)) < 0 ||
        (rc = load_user(&r, "dispatcher", ROLE_DISPATCHER, NULL, &r.dispatcher)) < 0 ||
        (rc = load_user(&r, "handler_cgj", ROLE_HANDLER, "CGJ", &r.cgj)) < 0 ||
        (rc = load_user(&r, "handler_qsjd", ROLE_HANDLER, "QSJD", &r.qsjd)) < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        if ((rc = one_case(&r, i, now)) < 0) {
            char msg[ERR_MSG_MAX];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            err_set(err, rc, "demo case %d: %s", i + 1, msg);
            goto out;
        }
        /* Keep memory flat over a long loop of arena allocations. */
        if (i % 50 == 49) {
            arena_release(&a);
            arena_init(&a, 1 << 16);
        }
    }
    /* These notifications are history: the demo server should not send two weeks of them. */
    if (demo_notifications_sent(r.c, err) < 0)
        rc = err->code;
out:
    geo_index_free(r.geo);
    cal_free(r.cal);
    arena_release(&keep);
    arena_release(&a);
    return rc;
}
