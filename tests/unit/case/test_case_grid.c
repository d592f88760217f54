/*
 * A grid worker's tasks (case_grid.c): the names the API and the database use, and a decision
 * out of range refused before anything is read. The rules, the decisions and their effects on the
 * case run against the real binary in tests/api/test_grid_tasks.py; here what is refused before
 * the database: a decision out of range, 自行处置's photo lists, a rule's due minutes.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "core/err.h"
#include "test.h"

TEST(case_task_names_round_trip)
{
    for (int d = CTD_CONFIRM; d <= CTD_FAIL; d++)
        CHECK(case_task_decision_from_name(case_task_decision_name((enum case_task_decision)d)) ==
                  d,
              "decision %d", d);
    CHECK(case_task_decision_from_name("maybe") == -1 && case_task_decision_from_name(NULL) == -1,
          "unknown decisions");
    CHECK_STR_EQ(case_task_kind_name(CTK_VERIFY), "verify", "verify");
    CHECK_STR_EQ(case_task_kind_name(CTK_CHECK), "check", "check");
    /* The names are the migration's CHECK values. */
    CHECK_STR_EQ(case_task_decision_name(CTD_REJECT), "reject", "reject");
}

TEST(case_task_decision_out_of_range_names_the_field)
{
    struct case_actor actor = {.user_id = 7, .name = "gw"};
    struct case_env env = {.actor = &actor};
    struct err err = ERR_INIT;
    CHECK(case_task_decide(&env, 1, (enum case_task_decision)9, NULL, &err) == ERR_BAD_REQUEST,
          "refused");
    CHECK_STR_EQ(err.field, "decision", "the field");
}

/* 自行处置's photos: 1..CASE_SELF_PHOTOS_MAX of each, none twice (in either list), refused naming
 * the list or the element before the database is touched (env has no connection). */
TEST(case_self_handle_photos_are_counted_and_unique)
{
    struct case_actor actor = {.user_id = 7, .name = "gw", .roles = ROLE_GRID_WORKER};
    struct case_env env = {.actor = &actor};
    struct case_new in = {.title = "t", .description = "d"};
    struct case_created out;
    static const int64_t one[] = {11}, two[] = {12, 13}, five[] = {1, 2, 3, 4, 5}, dup[] = {12, 12},
                         cross[] = {21, 13};
    static const struct {
        const int64_t *b, *a;
        size_t nb, na;
        const char *field;
    } cases[] = {
        {NULL, one, 0, 1, "before_photos"},   {one, NULL, 1, 0, "after_photos"},
        {five, one, 5, 1, "before_photos"},   {one, five, 1, 5, "after_photos"},
        {dup, one, 2, 1, "before_photos[1]"}, {two, cross, 2, 2, "after_photos[1]"},
        {one, one, 1, 1, "after_photos[0]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err err = ERR_INIT;
        struct case_self_photos p = {cases[i].b, cases[i].a, cases[i].nb, cases[i].na};
        CHECK(case_self_handle(&env, &in, "done", &p, &out, &err) == ERR_BAD_REQUEST, "case %zu",
              i);
        CHECK_STR_EQ(err.field, cases[i].field, "case %zu", i);
    }
    /* Not a grid worker: refused before anything else. */
    struct case_actor citizen = {.user_id = 8, .name = "c", .roles = ROLE_CITIZEN};
    struct case_env cenv = {.actor = &citizen};
    struct case_self_photos ok = {one, two, 1, 2};
    struct err err = ERR_INIT;
    CHECK(case_self_handle(&cenv, &in, "done", &ok, &out, &err) == ERR_FORBIDDEN, "role");
}

/* A rule's due minutes are checked before the database is read. */
TEST(case_task_rule_minutes_are_bounded)
{
    static const struct {
        int verify, check;
        const char *field;
    } cases[] = {
        {CASE_TASK_MINUTES_MIN - 1, 120, "verify_minutes"},
        {CASE_VERIFY_MINUTES_MAX + 1, 120, "verify_minutes"},
        {60, CASE_TASK_MINUTES_MIN - 1, "check_minutes"},
        {60, CASE_CHECK_MINUTES_MAX + 1, "check_minutes"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct case_task_rule r = {.verify = 1, .check = 1};
        struct err err = ERR_INIT;
        r.verify_minutes = cases[i].verify;
        r.check_minutes = cases[i].check;
        CHECK(case_task_rule_set(NULL, &r, 0, 1, &err) == ERR_BAD_REQUEST, "case %zu", i);
        CHECK_STR_EQ(err.field, cases[i].field, "case %zu", i);
    }
}
