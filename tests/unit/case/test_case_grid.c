/*
 * A grid worker's tasks (case_grid.c): the names the API and the database use, and a decision
 * out of range refused before anything is read. The rules, the decisions and their effects on the
 * case run against the real binary in tests/api/test_grid_tasks.py.
 */
#include <string.h>

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
