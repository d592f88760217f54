/*
 * What each audience sees of a timeline event (case_policy_event): every action the case module
 * writes, taken by staff with an internal note, walked for the reporter. Only the steps written
 * for the citizen may carry their note; no staff identity is ever shown to the reporter; the
 * reporter of an anonymous report is never named to staff.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "core/err.h"
#include "test.h"

#define SECRET "内部指示"

/* The event names the module writes besides the actions themselves. */
static const char *const extra_events[] = {
    "create",       "triage",  "attach", "merge_in",      "escalate",        "follow_reply",
    "follow_close", "overdue", "appeal", "appeal_upheld", "appeal_rejected", "unmerge"};

/* The steps whose note is written for the citizen (an accept event carries the reply it
 * releases). */
static int for_citizen(const char *action)
{
    return !strcmp(action, "create") || !strcmp(action, "answer") || !strcmp(action, "reply") ||
           !strcmp(action, "evaluate") || !strcmp(action, "accept");
}

static void check_reporter(const struct case_rec *r, const char *action)
{
    struct case_event_rec e = {.id = 1,
                               .actor_id = 77,
                               .actor_name = "handler_cgj",
                               .actor_role = "handler",
                               .action = action,
                               .from_state = "processing",
                               .to_state = "processing",
                               .note = SECRET,
                               .payload = "{\"department\":2}"},
                          out;
    if (!case_policy_event(CASE_AUDIENCE_REPORTER, r, &e, &out))
        return;
    CHECK(out.actor_id == 0 && out.actor_name == NULL && out.actor_role == NULL,
          "'%s': a staff member shown to the reporter", action);
    CHECK_STR_EQ(out.to_state, "processing", "'%s' keeps its state", action);
    if (!for_citizen(action)) {
        CHECK(out.note && *out.note && strcmp(out.note, SECRET) != 0,
              "'%s': the internal note reaches the reporter", action);
        CHECK_STR_EQ(out.payload, "{}", "'%s': the payload is internal", action);
    }
}

TEST(case_policy_reporter_never_sees_internal_notes_or_staff)
{
    struct case_rec r = {.id = 5, .created_by = 9, .anonymous = 0};
    for (int a = 0; a < CASE_ACTION_COUNT; a++)
        check_reporter(&r, case_action_name((enum case_action)a));
    for (size_t i = 0; i < sizeof(extra_events) / sizeof(extra_events[0]); i++)
        check_reporter(&r, extra_events[i]);
    /* A staff comment is internal; the citizen's own comment comes back in full, with them. */
    struct case_event_rec c = {.actor_id = 77,
                               .actor_role = "handler",
                               .action = "comment",
                               .to_state = "processing",
                               .note = SECRET,
                               .payload = "{}"},
                          out;
    CHECK(!case_policy_event(CASE_AUDIENCE_REPORTER, &r, &c, &out), "staff comment hidden");
    c.actor_id = 9;
    c.actor_name = "citizen";
    c.actor_role = "citizen";
    CHECK(case_policy_event(CASE_AUDIENCE_REPORTER, &r, &c, &out), "own comment shown");
    CHECK_STR_EQ(out.note, SECRET, "own comment in full");
    CHECK_STR_EQ(out.actor_name, "citizen", "own name");
}

/* 办结审核: the reporter never sees a reply the centre has not accepted, nor why it was sent back;
 * the accept event brings the reply to them, and staff see every step. */
TEST(case_policy_reply_under_review_hidden_from_reporter)
{
    struct case_rec r = {.id = 5, .created_by = 9, .anonymous = 0};
    struct case_event_rec e = {.actor_id = 77,
                               .actor_role = "handler",
                               .action = "reply",
                               .from_state = "processing",
                               .to_state = "reviewing",
                               .note = "已派人清理",
                               .payload = "{}"},
                          out;
    CHECK(!case_policy_event(CASE_AUDIENCE_REPORTER, &r, &e, &out), "reply under review hidden");
    CHECK(case_policy_event(CASE_AUDIENCE_STAFF, &r, &e, &out), "staff see it");
    e.to_state = "replied";
    CHECK(case_policy_event(CASE_AUDIENCE_REPORTER, &r, &e, &out), "a reply without review shown");
    CHECK_STR_EQ(out.note, "已派人清理", "in full");
    e.action = "send_back";
    e.from_state = "reviewing";
    e.to_state = "processing";
    e.note = SECRET;
    CHECK(!case_policy_event(CASE_AUDIENCE_REPORTER, &r, &e, &out), "send back hidden");
    e.action = "accept";
    e.to_state = "replied";
    e.note = "已派人清理";
    e.actor_role = "dispatcher";
    CHECK(case_policy_event(CASE_AUDIENCE_REPORTER, &r, &e, &out), "accepted reply shown");
    CHECK_STR_EQ(out.note, "已派人清理", "the accepted reply in full");
    CHECK(out.actor_role == NULL, "the reviewer is not named");
}

TEST(case_policy_anonymous_reporter_hidden_from_staff)
{
    struct case_rec r = {.id = 5, .created_by = 9, .anonymous = 1};
    struct case_event_rec e = {.actor_id = 9,
                               .actor_name = "citizen",
                               .actor_role = "citizen",
                               .action = "evaluate",
                               .to_state = "closed",
                               .note = "满意",
                               .payload = "{}"},
                          out;
    CHECK(case_policy_event(CASE_AUDIENCE_STAFF, &r, &e, &out), "shown to staff");
    CHECK(out.actor_id == 0 && out.actor_name == NULL, "the reporter is not named to staff");
    CHECK_STR_EQ(out.actor_role, "citizen", "the role stays");
    CHECK_STR_EQ(out.note, "满意", "staff see the note");
    r.anonymous = 0;
    CHECK(case_policy_event(CASE_AUDIENCE_STAFF, &r, &e, &out), "shown to staff");
    CHECK_STR_EQ(out.actor_name, "citizen", "a named report keeps its reporter");

    struct case_actor staff = {.user_id = 3, .roles = ROLE_OPERATOR};
    struct case_actor self = {.user_id = 9, .roles = ROLE_CITIZEN};
    r.anonymous = 1;
    CHECK(!case_policy_sees_reporter(&staff, &r), "staff do not see created_by");
    CHECK(case_policy_sees_reporter(&self, &r), "the reporter does");
    CHECK(!case_policy_sees_name(&staff, &r), "an operator does not see the name");
    CHECK(case_policy_sees_name(&self, &r), "the reporter does");
    struct err err = {0};
    staff.roles = ROLE_ADMIN;
    CHECK(case_policy_reveal_phone(&staff, &r, &err) == ERR_FORBIDDEN, "no reveal for an admin");
}
