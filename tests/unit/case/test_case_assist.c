/*
 * 协办单 and 吹哨报到 in the case module: who may take which step on a sub-task, who may blow the
 * whistle (a street or community official in whose region the case lies), when a sub-task is
 * overdue, and the lead's consolidated draft.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "core/err.h"
#include "core/mem.h"
#include "test.h"

#define NOW 1800000000LL

TEST(case_assist_steps_follow_state_and_department)
{
    int64_t cgj = 2, szz = 3, other = 4;
    struct case_rec r = {.id = 1,
                         .number = "1",
                         .state = CASE_PROCESSING,
                         .lead_department_id = 2,
                         .region_code = "330179001001"};
    struct case_assist s = {
        .id = 9, .case_id = 1, .department_id = 3, .state = CAS_ISSUED, .rating = -1};
    struct case_actor lead = {2, "l", ROLE_HANDLER, &cgj, 1, NULL};
    struct case_actor dept = {3, "d", ROLE_HANDLER, &szz, 1, NULL};
    struct case_actor stranger = {4, "x", ROLE_HANDLER, &other, 1, NULL};
    struct case_actor centre = {5, "c", ROLE_DISPATCHER, NULL, 0, NULL};
    CHECK_INT_EQ(case_assist_steps(&dept, &r, &s), 1u << CAP_SIGN, "the department signs");
    CHECK_INT_EQ(case_assist_steps(&lead, &r, &s), 0, "the lead waits");
    s.state = CAS_SIGNED;
    CHECK_INT_EQ(case_assist_steps(&dept, &r, &s), 1u << CAP_REPLY, "then answers");
    s.state = CAS_REPLIED;
    CHECK_INT_EQ(case_assist_steps(&lead, &r, &s), 1u << CAP_ASSESS, "the lead assesses");
    CHECK_INT_EQ(case_assist_steps(&centre, &r, &s), 1u << CAP_ASSESS, "so does the centre");
    CHECK_INT_EQ(case_assist_steps(&dept, &r, &s) | case_assist_steps(&stranger, &r, &s), 0,
                 "not the department itself, not a stranger");
    r.state = CASE_CLOSED;
    CHECK_INT_EQ(case_assist_steps(&lead, &r, &s), 0, "nothing on a finished case");
}

TEST(case_whistle_is_a_street_or_community_officials)
{
    struct case_rec r = {
        .id = 1, .number = "1", .state = CASE_DISPATCHED, .region_code = "33017900100101"};
    struct case_actor street = {1, "s", ROLE_DISPATCHER, NULL, 0, "330179001"};
    struct case_actor community = {2, "c", ROLE_SUPERVISOR, NULL, 0, "330179001001"};
    struct case_actor other_street = {3, "o", ROLE_DISPATCHER, NULL, 0, "330179002"};
    struct case_actor grid = {4, "g", ROLE_DISPATCHER, NULL, 0, "33017900100101"};
    struct case_actor centre = {5, "d", ROLE_DISPATCHER, NULL, 0, NULL};
    struct case_actor handler = {6, "h", ROLE_HANDLER, NULL, 0, "330179001"};
    struct case_actor admin = {7, "a", ROLE_ADMIN, NULL, 0, NULL};
    struct err e;
    CHECK_INT_EQ(case_whistle_allowed(&street, &r, NULL), 0, "the street");
    CHECK_INT_EQ(case_whistle_allowed(&community, &r, NULL), 0, "the community");
    CHECK_INT_EQ(case_whistle_allowed(&admin, &r, NULL), 0, "an admin");
    CHECK_INT_EQ(case_whistle_allowed(&other_street, &r, &e), ERR_FORBIDDEN, "another street");
    CHECK_INT_EQ(case_whistle_allowed(&grid, &r, NULL), ERR_FORBIDDEN, "a grid");
    CHECK_INT_EQ(case_whistle_allowed(&centre, &r, NULL), ERR_FORBIDDEN, "the unbound centre");
    CHECK_INT_EQ(case_whistle_allowed(&handler, &r, NULL), ERR_FORBIDDEN, "a handler");
    r.state = CASE_CANCELLED;
    CHECK_INT_EQ(case_whistle_allowed(&street, &r, NULL), ERR_CONFLICT, "a finished case");
}

TEST(case_assist_overdue_and_draft)
{
    struct case_assist v[3] = {
        {.department_name = "甲",
         .state = CAS_ISSUED,
         .sign_deadline = NOW - 1,
         .deadline = NOW + 100,
         .reply = "",
         .rating = -1},
        {.department_name = "乙",
         .state = CAS_REPLIED,
         .sign_deadline = NOW - 100,
         .deadline = NOW - 1,
         .reply = "已修复",
         .rating = -1},
        {.department_name = "丙",
         .state = CAS_ASSESSED,
         .sign_deadline = NOW - 100,
         .deadline = NOW + 100,
         .reply = "已清理",
         .rating = CAR_SATISFIED},
    };
    CHECK(case_assist_overdue(&v[0], NOW), "unsigned past the check-in limit");
    CHECK(!case_assist_overdue(&v[1], NOW), "answered: not overdue");
    v[0].sign_deadline = NOW + 1;
    CHECK(!case_assist_overdue(&v[0], NOW), "within both limits");
    struct arena a;
    arena_init(&a, 256);
    CHECK_STR_EQ(case_assist_draft(&a, v, 3), "【乙】已修复\n【丙】已清理", "answers in order");
    CHECK_STR_EQ(case_assist_draft(&a, v, 1), "", "none yet");
    arena_release(&a);
    CHECK_INT_EQ(case_assist_rating_from_name("basic"), CAR_BASIC, "rating");
    CHECK_INT_EQ(case_assist_rating_from_name("great"), -1, "unknown rating");
}
