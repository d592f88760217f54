/*
 * Intake, shared by every channel (JSON API, Open311, later SMS and sensors): the input is
 * copied, triaged on the caller's thread, and the case created inside a write transaction
 * the caller runs (the group-commit writer's batch), so the single writer thread only writes.
 */
#include <string.h>

#include "app/app_internal.h"
#include "case/case.h"
#include "core/mem.h"

struct app_intake {
    struct app *app;
    struct case_new in;
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_created out;
    struct app_suggestion *triage;
    app_intake_also_fn *also;
    void *also_ctx;
};

int app_intake_prepare(const struct app_ctx *x, const struct case_new *in, app_intake_also_fn *also,
                       void *also_ctx, struct app_intake **out)
{
    struct arena *a = x->arena;
    struct app_intake *it = arena_alloc(a, sizeof(*it));
    int rc;
    memset(it, 0, sizeof(*it));
    it->app = x->app;
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
    if ((rc = app_triage_intake(x, &it->in, &it->triage)) < 0)
        return rc;
    it->also = also;
    it->also_ctx = also_ctx;
    *out = it;
    return 0;
}

int app_intake_run(struct app_intake *it, struct store_conn *c, struct err *err)
{
    struct case_env env = it->env;
    env.conn = c;
    int rc = case_create_in_tx(&env, &it->in, &it->out, err);
    if (rc == 0 && it->also && !it->out.replayed)
        rc = it->also(c, &it->out, it->also_ctx, err);
    if (rc == 0)
        app_cluster_case_created(it->app, it->out.id); /* the writer thread's batch */
    return rc;
}

void app_intake_done(struct app *app, struct app_intake *it)
{
    if (it->out.replayed)
        return; /* indexed when it was made */
    app_triage_indexed(app, it->out.id, it->env.now, &it->in);
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
