/*
 * Routing precedence (派单目录): priority, then the deeper category, then the deeper region,
 * then the newer rule; the category's (or its ancestor's) department when no rule applies;
 * inactive departments never chosen; bad rules rejected naming the field.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"
#include "triage/triage.h"

#define NOW 1780000000

static struct store *open_org(struct store_conn **c)
{
    struct store_options opt = {0};
    struct err err = ERR_INIT;
    struct store *st = NULL;
    char path[512];
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/route.db", test_tmpdir());
    opt.path = path;
    if (store_open(&st, &opt, &err) < 0 || store_conn(st, c, &err) < 0) {
        test_fail(__FILE__, __LINE__, "cannot open store: %s", err.msg);
        return NULL;
    }
    static const char *const rows[] = {
        "INSERT INTO regions(id, code, name, level, parent_id, created_at, updated_at) VALUES"
        " (1, '330106', 'district', 'district', NULL, 0, 0), (2, '330106001', 'street A', 'street', 1, 0, 0),"
        " (3, '330106001001', 'community A1', 'community', 2, 0, 0), (4, '330106002', 'street B', 'street', 1, 0, 0)",
        "INSERT INTO departments(id, code, name, active, created_at, updated_at) VALUES"
        " (1, 'CGJ', 'city management', 1, 0, 0), (2, 'SZZ', 'municipal works', 1, 0, 0),"
        " (3, 'JDA', 'street A office', 1, 0, 0), (4, 'SQA', 'community A1 office', 1, 0, 0),"
        " (5, 'OLD', 'closed office', 0, 0, 0)",
        "INSERT INTO categories(id, code, name, level, parent_id, department_id, sla_sign, sla_reply, sla_resolve,"
        " sla_unit, created_at, updated_at) VALUES"
        " (1, '01', 'environment', 1, NULL, 1, 1, 1, 1, 'hours', 0, 0),"
        " (2, '0101', 'sanitation', 2, 1, NULL, 1, 1, 1, 'hours', 0, 0),"
        " (3, '010101', 'exposed rubbish', 3, 2, NULL, 1, 1, 1, 'hours', 0, 0),"
        " (4, '02', 'municipal', 1, NULL, 2, 1, 1, 1, 'hours', 0, 0),"
        " (5, '03', 'orphan', 1, NULL, NULL, 1, 1, 1, 'hours', 0, 0)",
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        if (store_run(*c, rows[i], STORE_NO_ARGS, &err) < 0)
            test_fail(__FILE__, __LINE__, "fixture: %s", err.msg);
    return st;
}

static int64_t route(struct store_conn *c, int64_t category, int64_t region, int64_t *rule)
{
    struct triage_route r;
    struct err err = ERR_INIT;
    if (triage_route(c, category, region, &r, &err) < 0)
        test_fail(__FILE__, __LINE__, "triage_route: %s", err.msg);
    if (rule)
        *rule = r.rule_id;
    return r.department_id;
}

static int64_t add_rule(struct store_conn *c, int64_t category, int64_t region, int64_t dept,
                        int priority)
{
    struct triage_rule in = {
        .category_id = category, .region_id = region, .department_id = dept, .priority = priority};
    struct err err = ERR_INIT;
    int64_t id = 0;
    if (triage_rule_create(c, &in, NOW, &id, &err) < 0)
        test_fail(__FILE__, __LINE__, "triage_rule_create: %s", err.msg);
    return id;
}

TEST(triage_route_precedence)
{
    struct store_conn *c;
    struct store *st = open_org(&c);
    int64_t rule;
    if (!st)
        return;
    /* No rules: the category's department, else the nearest ancestor's, else nobody. */
    CHECK_INT_EQ(route(c, 3, 3, &rule), 1, "leaf inherits the top-level department");
    CHECK_INT_EQ(rule, 0, "no rule used");
    CHECK_INT_EQ(route(c, 4, 0, NULL), 2, "own department");
    CHECK_INT_EQ(route(c, 5, 0, NULL), 0, "no department anywhere");

    /* A rule on an ancestor category in a street applies to cases in its communities only. */
    int64_t street = add_rule(c, 2, 2, 3, 0);
    CHECK_INT_EQ(route(c, 3, 3, &rule), 3, "street rule covers its community");
    CHECK_INT_EQ(rule, street, "the street rule");
    CHECK_INT_EQ(route(c, 3, 4, NULL), 1, "other street: default");
    CHECK_INT_EQ(route(c, 3, 0, NULL), 1, "no region: region rules do not apply");

    /* Deeper region wins at equal priority and category depth. */
    int64_t community = add_rule(c, 2, 3, 4, 0);
    CHECK_INT_EQ(route(c, 3, 3, &rule), 4, "community rule is more specific");
    CHECK_INT_EQ(rule, community, "the community rule");
    /* Deeper category beats deeper region. */
    int64_t leaf = add_rule(c, 3, 0, 2, 0);
    CHECK_INT_EQ(route(c, 3, 3, &rule), 2, "leaf-category rule anywhere beats the community rule");
    CHECK_INT_EQ(rule, leaf, "the leaf rule");
    /* Priority beats everything. */
    int64_t urgent = add_rule(c, 1, 0, 1, 10);
    CHECK_INT_EQ(route(c, 3, 3, &rule), 1, "higher priority wins");
    CHECK_INT_EQ(rule, urgent, "the priority rule");

    /* An inactive department is never chosen; the next rule applies. */
    struct err err = ERR_INIT;
    struct triage_rule bad = {.category_id = 3, .department_id = 5, .priority = 100};
    int64_t id;
    CHECK(triage_rule_create(c, &bad, NOW, &id, &err) == ERR_BAD_REQUEST &&
              strcmp(err.field, "department_id") == 0,
          "inactive department rejected: %s", err.msg);
    if (store_run(c, "UPDATE departments SET active = 0 WHERE id = 1", STORE_NO_ARGS, &err) < 0)
        test_fail(__FILE__, __LINE__, "%s", err.msg);
    CHECK_INT_EQ(route(c, 3, 3, &rule), 2, "deactivated department skipped");
    CHECK_INT_EQ(rule, leaf, "falls back to the next rule");

    /* Update and delete. */
    struct triage_rule upd = {.category_id = 3, .region_id = 0, .department_id = 3, .priority = 0};
    CHECK(triage_rule_update(c, leaf, &upd, NOW + 1, &err) == 0, "update: %s", err.msg);
    CHECK_INT_EQ(route(c, 3, 3, NULL), 3, "updated rule");
    CHECK(triage_rule_delete(c, leaf, &err) == 0, "delete: %s", err.msg);
    CHECK(triage_rule_delete(c, leaf, &err) == ERR_NOT_FOUND, "second delete is 404");
    CHECK_INT_EQ(route(c, 3, 3, NULL), 4, "community rule again");

    struct arena a;
    arena_init(&a, 0);
    struct triage_rule *list;
    size_t n;
    CHECK(triage_rule_list(c, &a, &list, &n, &err) == 0, "list: %s", err.msg);
    CHECK_INT_EQ(n, 3, "three rules left");

    /* Bad input names the field. */
    struct triage_rule cases[] = {
        {.category_id = 99, .department_id = 1},
        {.category_id = 3, .region_id = 99, .department_id = 2},
        {.category_id = 3, .department_id = 99},
        {.category_id = 3, .department_id = 2, .priority = 5000},
    };
    const char *fields[] = {"category_id", "region_id", "department_id", "priority"};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        err_clear(&err);
        CHECK(triage_rule_create(c, &cases[i], NOW, &id, &err) == ERR_BAD_REQUEST &&
                  strcmp(err.field, fields[i]) == 0,
              "row %zu rejected for %s (got '%s': %s)", i, fields[i], err.field, err.msg);
    }
    /* A grid (codes of varying length, no descendants) matches only itself. */
    if (store_run(
            c,
            "INSERT INTO regions(id, code, name, level, parent_id, created_at, updated_at) VALUES"
            " (5, '33010600100107', 'grid A1-7', 'grid', 3, 0, 0)",
            STORE_NO_ARGS, &err) < 0)
        test_fail(__FILE__, __LINE__, "%s", err.msg);
    int64_t grid = add_rule(c, 4, 5, 4, 0);
    CHECK_INT_EQ(route(c, 4, 5, &rule), 4, "grid rule");
    CHECK_INT_EQ(rule, grid, "the grid rule");
    CHECK_INT_EQ(route(c, 4, 3, NULL), 2, "the grid's community is not inside the grid");
    arena_release(&a);
    store_close(st);
}
