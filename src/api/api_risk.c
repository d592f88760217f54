/*
 * Risk grades (docs/warning.md §3): a case's grade with its reasons, a person's confirmation or
 * lowering (kept as a correction), and the rule table administrators edit.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "app/app.h"
#include "auth/auth.h"
#include "case/case.h"
#include "risk/risk.h"

/* clang-format off */
static const struct json_field confirm_fields[] = {
    {"level", JT_STRING, JF_REQUIRED, 1, 10, NULL},
    {"note",  JT_STRING, JF_NULLABLE, 0, RISK_NOTE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field rule_fields[] = {
    {"id",      JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"factor",  JT_STRING, JF_REQUIRED, 1, 16, NULL},
    {"pattern", JT_STRING, JF_REQUIRED, 1, RISK_PATTERN_MAX, NULL},
    {"weight",  JT_NUMBER, JF_REQUIRED, -100, 100, NULL},
    {"label",   JT_STRING, JF_REQUIRED, 1, RISK_LABEL_MAX, NULL},
    {"active",  JT_BOOL,   0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* A POST to apply the proposal takes no fields: {}. */
static const struct json_field refit_fields[] = {
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static int grade_json(struct api_call *call, int64_t id, struct jw *w)
{
    struct risk_grade g;
    int rc = risk_grade_get(call->conn, id, call->req->arena, &g, &call->err);
    if (rc == ERR_NOT_FOUND) {
        /* No rule met: no risk seen, said as such rather than a missing page. */
        err_clear(&call->err);
        jw_obj(w);
        jw_kint(w, "case_id", id);
        jw_knum(w, "score", 0);
        jw_knull(w, "level");
        jw_key(w, "reasons");
        jw_arr(w);
        jw_arr_end(w);
        jw_obj_end(w);
        return 0;
    }
    if (rc < 0)
        return rc;
    jw_obj(w);
    jw_kint(w, "case_id", g.case_id);
    jw_knum(w, "score", g.score);
    jw_kstr(w, "level", risk_level_name(g.level));
    jw_key(w, "reasons");
    jw_raw(w, g.reasons);
    jw_ktime(w, "computed_at", g.computed_at);
    jw_kstr(w, "confirmed_level", g.confirmed ? risk_level_name(g.confirmed_level) : NULL);
    jw_kstr(w, "confirmed_by", g.confirmed ? g.confirmed_by : NULL);
    jw_ktime(w, "confirmed_at", g.confirmed_at);
    jw_kstr(w, "note", *g.note ? g.note : NULL);
    jw_obj_end(w);
    return 0;
}

int api_case_risk(struct api_call *call)
{
    const struct case_rec *r;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    if ((rc = grade_json(call, r->id, &w)) < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}

int api_case_risk_confirm(struct api_call *call)
{
    const struct case_rec *r;
    int rc;
    if ((rc = json_check(call->body, confirm_fields, &call->err)) < 0 ||
        (rc = api_scoped_case(call, &r)) < 0)
        return rc;
    int level = risk_level_from_name(json_get_str(call->body, "level"));
    if (level < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "level",
                         "field 'level' must be high, medium or low");
    const char *note = json_get_str(call->body, "note");
    if ((rc = api_begin(call)) < 0 ||
        (rc = risk_grade_confirm(call->conn, r->id, (enum risk_level)level, note, call->user->id,
                                 call->now, &call->err)) < 0)
        return rc;
    char target[48];
    snprintf(target, sizeof(target), "case/%lld", (long long)r->id);
    if ((rc = api_commit(call, "case.risk_confirm", target, NULL,
                         json_print(call->body, call->req->arena))) < 0)
        return rc;
    return api_case_risk(call);
}

static void risk_rule_list_item(struct jw *w, const void *record)
{
    const struct risk_rule *x = record;
    jw_kint(w, "id", x->id);
    jw_kstr(w, "factor", x->factor);
    jw_kstr(w, "pattern", x->pattern);
    jw_knum(w, "weight", x->weight);
    jw_kstr(w, "label", x->label);
    jw_kbool(w, "active", x->active);
    jw_ktime(w, "updated_at", x->updated_at);
}

int api_risk_rule_list(struct api_call *call)
{
    struct risk_rule *v;
    size_t n;
    int rc = risk_rule_list(call->conn, 0, call->req->arena, &v, &n, &call->err);
    if (rc < 0)
        return rc;
    return api_reply_items(call, v, n, sizeof(*v), risk_rule_list_item);
}

int api_risk_rule_put(struct api_call *call)
{
    const json_t *b = call->body;
    struct risk_rule r = {0};
    int64_t id;
    int rc;
    if ((rc = json_check(b, rule_fields, &call->err)) < 0)
        return rc;
    r.id = json_get_int(b, "id", 0);
    r.factor = json_get_str(b, "factor");
    r.pattern = json_get_str(b, "pattern");
    r.weight = json_get_num(b, "weight", 0);
    r.label = json_get_str(b, "label");
    r.active = json_get_bool(b, "active", 1);
    if ((rc = api_begin(call)) < 0 ||
        (rc = risk_rule_set(call->conn, &r, call->now, &id, &call->err)) < 0)
        return rc;
    char target[48];
    snprintf(target, sizeof(target), "risk-rule/%lld", (long long)id);
    if ((rc = api_commit(call, "risk_rule.set", target, NULL, json_print(b, call->req->arena))) < 0)
        return rc;
    /* Intake reads the rules cached per organisation version. */
    app_org_changed(call->api->app);
    return api_risk_rule_list(call);
}

/* The weights re-fitted to the decisions people made on grades (risk_refit): GET proposes,
 * POST applies the proposal in one transaction (each changed rule updated, one audit entry
 * with every change) so that the next intake grades with it. */
int api_risk_refit(struct api_call *call)
{
    int apply = call->req->method == HTTP_POST;
    struct risk_rule *v;
    struct risk_example *ex;
    size_t n, nex;
    struct risk_refit_result fit;
    struct arena *a = call->req->arena;
    int rc;
    if (apply &&
        ((rc = json_check(call->body, refit_fields, &call->err)) < 0 || (rc = api_begin(call)) < 0))
        return rc;
    if ((rc = risk_rule_list(call->conn, 0, a, &v, &n, &call->err)) < 0 ||
        (rc = risk_refit_examples(call->conn, v, n, a, &ex, &nex, &call->err)) < 0)
        return rc;
    risk_refit(v, n, ex, nex, a, &fit);
    struct jw w, changes;
    jw_init(&w);
    jw_init(&changes);
    jw_arr(&changes);
    jw_obj(&w);
    jw_kint(&w, "examples", (int64_t)fit.examples);
    jw_kint(&w, "agree_before", (int64_t)fit.agree_before);
    jw_kint(&w, "agree_after", (int64_t)fit.agree_after);
    jw_kbool(&w, "applied", apply);
    jw_key(&w, "rules");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        risk_rule_list_item(&w, &v[i]);
        jw_knum(&w, "proposed", fit.weights[i]);
        jw_kint(&w, "examples", (int64_t)fit.met[i]);
        jw_obj_end(&w);
        if (fit.weights[i] == v[i].weight)
            continue;
        jw_obj(&changes);
        jw_kint(&changes, "id", v[i].id);
        jw_knum(&changes, "from", v[i].weight);
        jw_knum(&changes, "to", fit.weights[i]);
        jw_obj_end(&changes);
        if (apply) {
            struct risk_rule r = v[i];
            int64_t id;
            r.weight = fit.weights[i];
            if ((rc = risk_rule_set(call->conn, &r, call->now, &id, &call->err)) < 0)
                goto fail;
        }
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_arr_end(&changes);
    if (apply) {
        const char *detail =
            arena_printf(a,
                         "{\"examples\":%zu,\"agree_before\":%zu,"
                         "\"agree_after\":%zu,\"changes\":%s}",
                         fit.examples, fit.agree_before, fit.agree_after, changes.b.p);
        if ((rc = api_commit(call, "risk_rule.refit", "risk-rules", NULL, detail)) < 0)
            goto fail;
        app_org_changed(call->api->app);
    }
    jw_release(&changes);
    return api_reply(call, 200, &w);
fail:
    jw_release(&changes);
    jw_release(&w);
    return rc;
}
