/*
 * 自行处置 in the real-district demo (docs/grid.md §4, §8): during some of the week's patrols
 * (demo_patrols) the grid worker handles a small matter on the spot — litter heaped on a
 * pavement, small ads on a wall — and reports it with its result and a before and an after
 * photo in one step. Written by the case module (case_upload_pending for the photos, then
 * case_self_handle: the case closed without dispatch, counted as self-handled) with the clock
 * set back to half-way through the patrol, at the patrol's fix of that moment, and audited
 * per action as the API audits it. The photos are the two scenes of demo_photos.c, put in the
 * attachment store like an upload. Reproducible: the patrols are chosen by their ids.
 */
#include <stdio.h>
#include <string.h>

#include "attach/attach.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "demo/demo.h"
#include "org/org.h"
#include "store/store.h"

#define SELF_EVERY 37 /* one patrol in 37: about 55 in the week */

struct matter {
    const char *category, *title, *description, *result;
    int scene; /* demo_photos */
};

static const struct matter MATTERS[] = {
    {"010104", "单元门口堆放纸箱杂物",
     "巡查发现居民楼单元门口堆放纸箱、编织袋等杂物，占用通道，存在消防隐患。",
     "联系楼门长和住户，当场将杂物清理至垃圾分类点，通道恢复畅通。", 0},
    {"010101", "人行道散落生活垃圾", "巡查发现人行道上散落塑料袋、纸箱等生活垃圾。",
     "当场清扫装袋，交保洁员清运，路面已恢复整洁。", 0},
    {"010301", "外墙张贴非法小广告", "巡查发现小区外墙张贴多张开锁、办证类小广告。",
     "当场铲除小广告并清洗墙面，已提醒物业加强巡查。", 1},
    {"010301", "配电箱上张贴小广告", "巡查发现路边配电箱和电线杆上张贴小广告。",
     "当场清除，配电箱表面已擦拭干净。", 1},
};
#define MATTERS_N (sizeof(MATTERS) / sizeof(MATTERS[0]))

int demo_case_audit(void *ctx, struct store_conn *c, const char *action, const char *target,
                    const char *before, const char *after, struct err *err)
{
    const struct case_env *env = ctx;
    struct audit_entry e = {env->actor->user_id, env->actor->name, action, target, before, after};
    return audit_append(c, &e, env->now, err);
}

struct outing {
    int64_t patrol_id, user_id, region_id, mid;
    const char *name;
};
typedef VEC(struct outing) outings_t;

struct load {
    struct arena *a;
    outings_t *v;
};

static int read_outing(void *ctx, struct store_stmt *s)
{
    struct load *l = ctx;
    struct outing o = {store_col_int(s, 0), store_col_int(s, 1), store_col_int(s, 2),
                       (store_col_int(s, 3) + store_col_int(s, 4)) / 2,
                       arena_strdup(l->a, store_col_text(s, 5))};
    vec_append(l->v, o);
    return 0;
}

struct fix {
    int64_t at;
    double lat, lon;
    int found;
};

static int read_fix(void *ctx, struct store_stmt *s)
{
    struct fix *f = ctx;
    *f = (struct fix){store_col_int(s, 0), store_col_real(s, 1), store_col_real(s, 2), 1};
    return 0;
}

/* One photo of 'env's actor as a pending upload, as POST /api/v1/uploads leaves it. */
static int photo(const struct case_env *env, struct attach_store *files, const struct demo_photo *p,
                 int64_t *id, struct err *err)
{
    /* Stored in place already: the job has no staged files left to place. */
    struct attach_job job;
    memset(&job, 0, sizeof(job));
    int rc = attach_store_put(files, p->data, p->len, &job.file, err);
    return rc < 0 ? rc : case_upload_pending(env, files, &job, id, err) < 0 ? err->code : 0;
}

int demo_self_handled(struct store *st, struct attach_store *files, const unsigned char key[32],
                      int *count, struct err *err)
{
    struct store_conn *c;
    struct cal *cal = NULL;
    struct arena a;
    outings_t v = VEC_INIT;
    int64_t cats[MATTERS_N];
    int rc;
    *count = 0;
    if ((rc = store_conn(st, &c, err)) < 0)
        return rc;
    arena_init(&a, 1 << 14);
    if ((rc = org_calendar_load(c, &cal, err)) < 0)
        goto out;
    for (size_t i = 0; i < MATTERS_N; i++) {
        struct org_category k;
        if ((rc = org_category_get_by_code(c, MATTERS[i].category, &a, &k, err)) < 0)
            goto out;
        cats[i] = k.id;
    }
    struct load l = {&a, &v};
    int64_t got = store_all(c,
                            "SELECT p.id, p.user_id, p.region_id, p.started_at, p.ended_at, u.name"
                            " FROM patrols p JOIN users u ON u.id = p.user_id"
                            " WHERE p.ended_at IS NOT NULL AND p.region_id IS NOT NULL"
                            " AND p.id % ? = 3 ORDER BY p.id",
                            STORE_ARGS(store_i64(SELF_EVERY)), read_outing, &l, err);
    if (got < 0) {
        rc = (int)got;
        goto out;
    }
    struct case_config cfg = {2, 24, 72, key};
    for (size_t i = 0; i < v.n; i++) {
        const struct outing *o = &v.v[i];
        struct fix f = {0};
        if ((got = store_all(c,
                             "SELECT at, lat, lon FROM patrol_fixes WHERE patrol_id = ? AND at >= ?"
                             " ORDER BY at LIMIT 1",
                             STORE_ARGS(store_i64(o->patrol_id), store_i64(o->mid)), read_fix, &f,
                             err)) < 0) {
            rc = (int)got;
            goto out;
        }
        if (!f.found)
            continue;
        const struct matter *m = &MATTERS[(size_t)o->patrol_id % MATTERS_N];
        struct case_actor actor = {o->user_id, o->name, ROLE_GRID_WORKER, NULL, 0, NULL};
        struct case_env env = {c, cal, &cfg, &actor, f.at + 5, demo_case_audit, NULL};
        env.audit_ctx = &env;
        int64_t before, after;
        if ((rc = photo(&env, files, &demo_photos[m->scene][0], &before, err)) < 0)
            goto out;
        env.now = f.at + 240; /* four minutes on it */
        if ((rc = photo(&env, files, &demo_photos[m->scene][1], &after, err)) < 0)
            goto out;
        struct case_self_photos ph = {&before, &after, 1, 1};
        struct case_new in = {.channel = CH_GRID,
                              .title = m->title,
                              .description = m->description,
                              .category_id = cats[(size_t)o->patrol_id % MATTERS_N],
                              .urgency = -1,
                              .kind = CK_REPORT,
                              .has_location = 1,
                              .lat = f.lat,
                              .lon = f.lon,
                              .region_id = o->region_id};
        struct case_created out;
        if ((rc = case_self_handle(&env, &in, m->result, &ph, &out, err)) < 0)
            goto out;
        (*count)++;
    }
    /* These notifications are history: the demo server should not send them. */
    if (demo_notifications_sent(c, err) < 0)
        rc = err->code;
out:
    vec_release(&v);
    cal_free(cal);
    arena_release(&a);
    return rc;
}
