/*
 * 申诉: which appeals a case admits when (case_appeal_allowed), which reasons fit which kind, and
 * the names the API and the database use.
 */
#include <string.h>

#include "case/case.h"
#include "core/err.h"
#include "test.h"

#define DAY 86400
#define NOW (1800000000LL)

TEST(case_appeal_names_round_trip)
{
    for (int k = 0; k < CASE_APPEAL_KIND_COUNT; k++)
        CHECK(case_appeal_kind_from_name(case_appeal_kind_name((enum case_appeal_kind)k)) == k,
              "kind %d", k);
    for (int r = 0; r < CASE_APPEAL_REASON_COUNT; r++)
        CHECK(case_appeal_reason_from_name(case_appeal_reason_name((enum case_appeal_reason)r)) ==
                  r,
              "reason %d", r);
    for (int s = 0; s < CASE_APPEAL_STATUS_COUNT; s++)
        CHECK(case_appeal_status_from_name(case_appeal_status_name((enum case_appeal_status)s)) ==
                  s,
              "status %d", s);
    CHECK(case_appeal_kind_from_name("closing") == -1 && case_appeal_kind_from_name(NULL) == -1,
          "unknown kinds");
    CHECK(case_appeal_reason_from_name("") == -1, "unknown reason");
}

TEST(case_appeal_reasons_fit_their_kind)
{
    /* Each specific reason fits exactly one kind; "other" fits all. */
    for (int r = 0; r < CASE_APPEAL_REASON_COUNT; r++) {
        int fits = 0;
        for (int k = 0; k < CASE_APPEAL_KIND_COUNT; k++)
            fits += case_appeal_reason_fits((enum case_appeal_kind)k, (enum case_appeal_reason)r);
        CHECK(fits == (r == CAR_OTHER ? CASE_APPEAL_KIND_COUNT : 1), "reason %s fits %d kinds",
              case_appeal_reason_name((enum case_appeal_reason)r), fits);
    }
    CHECK(case_appeal_reason_fits(CAK_CLOSURE, CAR_NOT_SOLVED), "closure: not solved");
    CHECK(case_appeal_reason_fits(CAK_CLOSURE, CAR_EVALUATION_IGNORED), "closure: ignored");
    CHECK(!case_appeal_reason_fits(CAK_CLOSURE, CAR_WRONG_CATEGORY), "closure: not a category");
    CHECK(case_appeal_reason_fits(CAK_ROUTING, CAR_WRONG_DEPARTMENT), "routing");
    CHECK(!case_appeal_reason_fits(CAK_CATEGORY, CAR_NOT_DUPLICATE), "category: not a merge");
    CHECK(!case_appeal_reason_fits(CASE_APPEAL_KIND_COUNT, CAR_OTHER), "out of range");
}

TEST(case_appeal_closure_only_while_closed_and_in_time)
{
    struct case_rec r = {.number = "20261207-000001", .state = CASE_CLOSED, .closed_at = NOW - DAY};
    struct err err = ERR_INIT;
    CHECK(case_appeal_allowed(&r, CAK_CLOSURE, NOW, 30, &err) == 0, "closed yesterday: %s",
          err.msg);
    r.closed_at = NOW - 30 * DAY;
    CHECK(case_appeal_allowed(&r, CAK_CLOSURE, NOW, 30, &err) == 0, "the 30th day still counts");
    r.closed_at = NOW - 30 * DAY - 1;
    CHECK(case_appeal_allowed(&r, CAK_CLOSURE, NOW, 30, &err) == ERR_CONFLICT, "too late");
    CHECK_STR_EQ(err.field, "kind", "the field");
    CHECK(strstr(err.msg, "30 days") != NULL, "says the limit: %s", err.msg);
    CHECK(case_appeal_allowed(&r, CAK_CLOSURE, NOW, 60, NULL) == 0, "a longer limit");
    for (int s = 0; s < CASE_STATE_COUNT; s++) {
        r.state = (enum case_state)s;
        r.closed_at = NOW;
        int rc = case_appeal_allowed(&r, CAK_CLOSURE, NOW, 30, NULL);
        CHECK((rc == 0) == (s == CASE_CLOSED), "closure appeal in state %s: %d",
              case_state_name((enum case_state)s), rc);
    }
}

TEST(case_appeal_automatic_decisions_only_where_triage_decided)
{
    struct case_rec r = {.number = "20261207-000002", .state = CASE_NEW};
    CHECK(case_appeal_kinds(&r, NOW, 30) == 0, "nothing to appeal on a new case triage left alone");
    r.triage_category_id = 12;
    CHECK(case_appeal_kinds(&r, NOW, 30) == 1u << CAK_CATEGORY, "the category");
    r.triage_department_id = 3;
    CHECK(case_appeal_kinds(&r, NOW, 30) == (1u << CAK_CATEGORY | 1u << CAK_ROUTING),
          "and the department");
    r.state = CASE_CANCELLED;
    CHECK(case_appeal_kinds(&r, NOW, 30) == 0, "not on a cancelled case");
    /* Merged: the merge, not the category (the master carries the work). */
    r.state = CASE_MERGED;
    r.master_id = 7;
    CHECK(case_appeal_kinds(&r, NOW, 30) == 1u << CAK_DUPLICATE, "a merged case: the merge");
    /* Closed with its master: closure, category, routing and the merge, until the limit. */
    r.state = CASE_CLOSED;
    r.closed_at = NOW - DAY;
    CHECK(case_appeal_kinds(&r, NOW, 30) == (1u << CASE_APPEAL_KIND_COUNT) - 1, "all four");
    CHECK(case_appeal_kinds(&r, NOW + 30 * DAY, 30) == 0, "none after the limit");
}
