/*
 * Risk grades at intake (docs/warning.md §3): the rules (cached until the organisation version
 * moves: an edit of a rule bumps it), the facts of the new case (its words, category, repeat
 * complaints, a spike open in its street), the grade stored with its reasons in the case's own
 * transaction, and a high grade raised as a warning for the supervisors.
 */
#include <string.h>

#include "app/app_internal.h"
#include "case/case.h"
#include "core/buf.h"
#include "core/mem.h"
#include "org/org.h"
#include "risk/risk.h"
#include "store/store.h"
#include "warning/warning.h"

/* The active rules, read again when the organisation version has moved. Caller holds
 * risk_lock. */
static int rules(struct app *app, struct store_conn *c, struct err *err)
{
    int64_t v = app_org_version(app);
    if (app->risk_loaded && app->risk_version == v)
        return 0;
    struct arena fresh;
    struct risk_rule *r;
    size_t n;
    arena_init(&fresh, 4096);
    int rc = risk_rule_list(c, 1, &fresh, &r, &n, err);
    if (rc < 0) {
        arena_release(&fresh);
        return rc;
    }
    if (app->risk_loaded)
        arena_release(&app->risk_arena);
    app->risk_arena = fresh;
    app->risk_rules = r;
    app->nrisk = n;
    app->risk_version = v;
    app->risk_loaded = 1;
    return 0;
}

/* The text the rules read: title, a space, description. Joined by hand: a printf of the
 * description (~1 KB) cost ~33,000 instructions, 1 % of an intake. */
static char *risk_text(struct arena *a, const char *title, const char *description)
{
    size_t nt = title ? strlen(title) : 0, nd = description ? strlen(description) : 0;
    char *t = arena_alloc(a, nt + nd + 2);
    memcpy(t, title ? title : "", nt);
    t[nt] = ' ';
    memcpy(t + nt + 1, description ? description : "", nd);
    t[nt + 1 + nd] = '\0';
    return t;
}

int app_risk_intake(struct app *app, struct store_conn *c, const struct case_new *in,
                    const struct case_created *made, int64_t now, struct err *err)
{
    struct risk_score s;
    struct arena a;
    int rc;
    arena_init(&a, 2048);
    const char *code = NULL;
    struct org_category k;
    if (in->category_id) {
        if ((rc = org_category_get(c, in->category_id, &a, &k, err)) < 0)
            goto out;
        code = k.code;
    }
    struct risk_facts f = {risk_text(&a, in->title, in->description), code ? code : "",
                           made->repeats, made->repeats_unsolved, 0};
    int64_t spike = 0;
    enum risk_level alone = RISK_LOW; /* the grade without the spike */
    pthread_mutex_lock(&app->risk_lock);
    if ((rc = rules(app, c, err)) == 0)
        risk_assess(app->risk_rules, app->nrisk, &f, &s);
    /* A spike in the street weighs on a case that already shows a risk, not on every case of
     * a busy street. */
    if (rc == 0 && s.score > 0 && in->region_id) {
        alone = s.level;
        rc = warning_open_in(c, WK_SPIKE, in->region_id, &spike, err);
        if (rc >= 0 && spike) {
            f.spike = 1;
            risk_assess(app->risk_rules, app->nrisk, &f, &s);
        }
        rc = rc < 0 ? rc : 0;
    }
    /* The reasons' labels point into the cached rules: copy them out before unlocking. */
    for (int i = 0; rc == 0 && i < s.nreasons; i++)
        s.reasons[i].label = arena_strdup(&a, s.reasons[i].label);
    pthread_mutex_unlock(&app->risk_lock);
    if (rc < 0 || s.score <= 0)
        goto out;
    if ((rc = risk_grade_store(c, made->id, &s, now, err)) < 0 || s.level != RISK_HIGH)
        goto out;
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "工单 %s 风险评分 %.0f（高）：", made->number, s.score);
    for (int i = 0; i < s.nreasons; i++)
        buf_printf(&b, "%s%s %+.0f", i ? "、" : "", s.reasons[i].label, s.reasons[i].weight);
    struct app_ctx x = {app, c, &a, now, NULL, err};
    /* Cases that are high only because a spike is open around them are that spike's: one
     * warning counts them (a storm's calls would otherwise each be a warning and a message to
     * every supervisor above the street); a case high on its own words and history keeps its
     * own (docs/warning.md §3). */
    int grouped = spike && alone != RISK_HIGH;
    struct warning_in w = {
        .kind = WK_RISK,
        .level = WL_HIGH,
        .group_key = grouped ? arena_printf(&a, "risk:spike:%lld", (long long)spike)
                             : arena_printf(&a, "risk:%lld", (long long)made->id),
        .title = grouped ? arena_printf(&a, "诉求激增区域的高风险诉求：%s", in->title)
                         : arena_printf(&a, "高风险诉求：%s", in->title),
        .evidence = arena_strdup(&a, b.p),
        .region_id = in->region_id,
        .category_id = in->category_id,
        .case_id = made->id,
        .has_location = in->has_location,
        .lat = in->lat,
        .lon = in->lon,
    };
    buf_release(&b);
    int64_t id;
    enum warning_outcome outcome;
    rc = app_warning_raise(&x, &w, &id, &outcome);
out:
    arena_release(&a);
    return rc;
}

void app_risk_free(struct app *app)
{
    if (app->risk_loaded)
        arena_release(&app->risk_arena);
    app->risk_loaded = 0;
}
