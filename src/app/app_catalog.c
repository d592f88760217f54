/*
 * Data quality push-back (issue 17, docs/data-sharing.md): a quality run whose accuracy is below
 * CATALOG_ACCURACY_TARGET sends its problems back to the dataset's owner department as a case
 * of the data-quality category (数据质量问题), created by the case module like any other
 * (channel 'other', as the system) and dispatched to the owner, so the category's time limits,
 * the overdue sweeper, urging and the assessment apply to it as to every case.
 */
#include <stdio.h>
#include <string.h>

#include "app/app_internal.h"
#include "auth/auth.h"
#include "case/case.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/mem.h"

/* Problems named in the case's description. */
#define PUSHBACK_EXAMPLES 20

static const char *label_of(const struct catalog_dataset *d, const char *field)
{
    const struct catalog_field *f = catalog_field_find(d, field);
    return f ? f->label : field;
}

int app_catalog_quality(const struct app_ctx *x, const struct catalog_dataset *d,
                        struct catalog_quality_run *run)
{
    int rc = catalog_quality_run(x->conn, d, x->now, x->arena, run, x->err);
    if (rc < 0 || run->accuracy >= CATALOG_ACCURACY_TARGET || !run->rows_checked)
        return rc;
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_created made;
    struct app_ctx sys = *x;
    sys.user = NULL; /* the system */
    if ((rc = app_case_env(&sys, &env, &actor, &cfg)) < 0)
        return rc;
    struct buf b;
    buf_init(&b);
    buf_printf(&b,
               "数据资源“%s”（%s）质量核查：共 %lld 行，有问题的 %lld 行，准确率 %.1f%%，"
               "低于 %.0f%% 的要求。完整性 %.1f%%，有效性 %.1f%%，唯一性 %.1f%%%s。"
               "请责任部门核实更正后重新导入，系统将再次核查。问题明细（前 %d 条，共 %lld 条）：",
               d->name, d->code, (long long)run->rows_checked, (long long)run->rows_bad,
               run->accuracy * 100, CATALOG_ACCURACY_TARGET * 100, run->completeness * 100,
               run->validity * 100, run->uniqueness * 100,
               run->timeliness < 1 ? "，且未按更新周期更新" : "", PUSHBACK_EXAMPLES,
               (long long)run->problems_total);
    for (size_t i = 0; i < run->nproblems && i < PUSHBACK_EXAMPLES; i++)
        buf_printf(&b, "%s第 %lld 行“%s”%s", i ? "；" : "", (long long)run->problems[i].row_no,
                   label_of(d, run->problems[i].field), run->problems[i].reason);
    buf_puts(&b, "。");
    struct case_new in = {0};
    in.channel = CH_OTHER;
    in.urgency = -1;
    in.title =
        arena_printf(x->arena, "数据质量问题：%s（准确率 %.1f%%）", d->name, run->accuracy * 100);
    in.description = arena_strdup(x->arena, b.p);
    buf_release(&b);
    in.triage_department_id = d->department_id;
    if ((rc = catalog_quality_category(x->conn, &in.category_id, x->err)) < 0 ||
        (rc = case_create_in_tx(&env, &in, &made, x->err)) < 0 ||
        (rc = catalog_quality_set_case(x->conn, run->id, made.id, x->err)) < 0)
        return rc;
    app_cluster_case_created(x->app, made.id);
    run->case_id = made.id;
    return 0;
}

int app_catalog_dispatch(const struct app_ctx *x, const struct catalog_dataset *d, int64_t case_id)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct app_ctx sys = *x;
    sys.user = NULL;
    int rc = app_case_env(&sys, &env, &actor, &cfg);
    if (rc < 0)
        return rc;
    /* The catalogue's quality check dispatches as the centre would: to the owner. */
    actor.roles = ROLE_DISPATCHER;
    actor.name = "数据质量核查";
    struct case_action_in in = {0};
    in.action = CA_DISPATCH;
    in.version = 1;
    in.department_id = d->department_id;
    in.note = "数据质量问题退回责任部门整改";
    in.contacted = in.solved = -1;
    return case_act(&env, case_id, &in, x->err);
}
