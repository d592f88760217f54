/*
 * Intake, shared by every channel (JSON API, Open311, later SMS and sensors): the input is
 * copied, triaged on the caller's thread, and the case created inside a write transaction
 * the caller runs (the group-commit writer's batch), so the single writer thread only writes.
 */
#include <string.h>

#include "app/app_internal.h"
#include "case/case.h"
#include "core/buf.h"
#include "core/mem.h"
#include "geocode/geocode.h"

struct app_intake {
    struct app *app;
    struct arena *arena; /* the caller's, which outlives the job and the reply */
    struct case_new in;
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_created out;
    struct app_suggestion *triage;
    app_intake_also_fn *also;
    void *also_ctx;
};

/* Candidates named in a note: the first three addresses, "、" between them. */
static const char *some_addresses(struct arena *a, const struct geocode_hit *h, size_t n)
{
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < n && i < 3; i++)
        buf_printf(&b, "%s%s", i ? "、" : "", h[i].address);
    if (n > 3)
        buf_puts(&b, "等");
    char *s = arena_strdup(a, b.p);
    buf_release(&b);
    return s;
}

/* An address without coordinates: the point and grid of its match in the register when there
 * is exactly one, and a "locate" event saying what was found either way (docs/maps.md). A
 * register that is still empty locates nothing and says nothing. */
static int locate(const struct app_ctx *x, struct case_new *in)
{
    size_t size, n;
    struct geocode_hit *h;
    enum geocode_status st;
    int rc;
    if ((rc = app_geocode_size(x, &size)) < 0 || size == 0)
        return rc;
    if ((rc = app_geocode_search(x, in->address, 5, &h, &n, &st)) < 0)
        return rc;
    struct arena *a = x->arena;
    struct buf p;
    buf_init(&p);
    buf_printf(&p, "{\"status\":\"%s\",\"candidates\":%zu", geocode_status_name(st), n);
    if (st == GEOCODE_FOUND) {
        int64_t region = 0;
        if ((rc = app_locate_region(x, h[0].lat, h[0].lon, &region)) < 0) {
            buf_release(&p);
            return rc;
        }
        in->has_location = 1;
        in->lat = h[0].lat;
        in->lon = h[0].lon;
        if (!in->region_id)
            in->region_id = region ? region : h[0].region_id;
        in->locate_note =
            *h[0].grid_name
                ? arena_printf(a, "地址自动定位：%s（匹配度 %.2f），所在网格：%s", h[0].address,
                               h[0].score, h[0].grid_name)
                : arena_printf(a, "地址自动定位：%s（匹配度 %.2f）", h[0].address, h[0].score);
        buf_puts(&p, ",\"address\":");
        buf_json_str(&p, h[0].address);
        buf_printf(&p, ",\"%s_id\":%lld,\"score\":%.2f,\"lat\":%.7f,\"lon\":%.7f", h[0].kind,
                   (long long)h[0].id, h[0].score, h[0].lat, h[0].lon);
        buf_puts(&p, ",\"grid_code\":");
        buf_json_str(&p, h[0].grid_code);
    } else if (st == GEOCODE_AMBIGUOUS) {
        in->locate_note = arena_printf(
            a, "地址未自动定位：地址库中有多处匹配（%s），请人工确认位置", some_addresses(a, h, n));
    } else {
        in->locate_note =
            n ? arena_printf(a, "地址未自动定位：地址库中没有匹配的地址，最接近的有%s",
                             some_addresses(a, h, n))
              : arena_strdup(a, "地址未自动定位：地址库中没有匹配的地址");
    }
    buf_putc(&p, '}');
    in->locate_payload = arena_strdup(a, p.p);
    buf_release(&p);
    return 0;
}

int app_intake_prepare(const struct app_ctx *x, const struct case_new *in, app_intake_also_fn *also,
                       void *also_ctx, struct app_intake **out)
{
    struct arena *a = x->arena;
    struct app_intake *it = arena_alloc(a, sizeof(*it));
    int rc;
    memset(it, 0, sizeof(*it));
    it->app = x->app;
    it->arena = a;
    if ((rc = app_case_env(x, &it->env, &it->actor, &it->cfg)) < 0)
        return rc;
    /* The caller's input (a JSON body, a form) may be freed before the job runs. */
    it->in = *in;
    it->in.title = arena_strdup(a, in->title);
    it->in.description = arena_strdup(a, in->description);
    it->in.address = arena_strdup(a, in->address);
    it->in.citizen_name = arena_strdup(a, in->citizen_name);
    it->in.citizen_phone = arena_strdup(a, in->citizen_phone);
    it->in.idempotency_key = arena_strdup(a, in->idempotency_key);
    if (it->in.address && *it->in.address && !it->in.has_location && (rc = locate(x, &it->in)) < 0)
        return rc;
    if ((rc = app_triage_intake(x, &it->in, &it->triage)) < 0)
        return rc;
    it->also = also;
    it->also_ctx = also_ctx;
    *out = it;
    return 0;
}

/* A caller or a place complaining again about what was not solved: a warning for the
 * supervisors (docs/warning.md §1), grouped per chain (its oldest case). */
static int repeat_warning(struct app_intake *it, struct store_conn *c, struct err *err)
{
    struct arena a;
    arena_init(&a, 1024);
    struct app_ctx x = {it->app, c, &a, it->env.now, NULL, err};
    struct warning_in w = {
        .kind = WK_REPEAT,
        .level = it->out.repeats_unsolved >= 2 * CASE_REPEAT_URGENT ? WL_HIGH : WL_MEDIUM,
        .group_key = arena_printf(&a, "repeat:%lld", (long long)it->out.repeat_root),
        .title = arena_printf(&a, "重复诉求未解决：%s", it->in.title),
        .evidence = arena_printf(&a, "工单 %s %s", it->out.number, it->out.repeat_note),
        .region_id = it->in.region_id,
        .category_id = it->in.category_id,
        .case_id = it->out.id,
        .has_location = it->in.has_location,
        .lat = it->in.lat,
        .lon = it->in.lon,
    };
    int64_t id;
    enum warning_outcome outcome;
    int rc = app_warning_raise(&x, &w, &id, &outcome);
    arena_release(&a);
    return rc;
}

int app_intake_run(struct app_intake *it, struct store_conn *c, struct err *err)
{
    struct case_env env = it->env;
    env.conn = c;
    int rc = case_create_in_tx(&env, &it->in, &it->out, err);
    if (rc == 0 && it->also && !it->out.replayed)
        rc = it->also(c, &it->out, it->also_ctx, err);
    if (rc == 0 && !it->out.replayed && it->out.repeats_unsolved >= CASE_REPEAT_URGENT)
        rc = repeat_warning(it, c, err);
    if (rc == 0 && !it->out.replayed)
        rc = app_risk_intake(it->app, c, &it->in, &it->out, it->env.now, err);
    if (rc == 0)
        app_cluster_case_created(it->app, it->out.id); /* the writer thread's batch */
    /* The request's thread is parked until the commit: the arena is this thread's meanwhile. */
    if (rc == 0)
        app_triage_resolve(it->app, c, it->arena, &it->actor, it->triage);
    return rc;
}

void app_intake_done(struct app *app, struct app_intake *it)
{
    app_triage_finish(it->arena, it->triage);
    if (it->out.replayed)
        return; /* indexed when it was made */
    app_triage_indexed(app, it->out.id, it->env.now, &it->in, it->triage);
}

const struct case_created *app_intake_created(const struct app_intake *it)
{
    return &it->out;
}
const struct case_actor *app_intake_actor(const struct app_intake *it)
{
    return &it->actor;
}
const struct app_suggestion *app_intake_suggestion(const struct app_intake *it)
{
    return it->triage;
}
