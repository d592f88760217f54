/*
 * The workflow table, pair by pair. The expected table below is written from the workflow
 * described in issue 3 and docs/workflow.md ("allowed in" / "leads to" columns), not copied
 * from case_state.c, so a rule changed in one place and not the other shows up here. Every
 * (state, action) pair is walked with both outcomes: an allowed pair must lead where the docs
 * say; every other pair must be ERR_CONFLICT with a message naming the action and the state.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "core/err.h"
#include "test.h"

/* Expected targets: X = refused, K = keeps the state, otherwise the state + 1 (so that the
 * zero of an unlisted cell means "refused" and CASE_NEW stays expressible). */
#define X 0
#define K (-1)
#define T(s) ((s) + 1)

#define NEW T(CASE_NEW)
#define DIS T(CASE_DISPATCHED)
#define RET T(CASE_RETURNED)
#define PRO T(CASE_PROCESSING)
#define HAN T(CASE_HANGING)
#define REP T(CASE_REPLIED)
#define RECT T(CASE_RECTIFYING)
#define CLO T(CASE_CLOSED)
#define CAN T(CASE_CANCELLED)
#define MER T(CASE_MERGED)
#define REV T(CASE_REVIEWING)

/* expect[action][state] for outcome 0 */
static const int expect[CASE_ACTION_COUNT][CASE_STATE_COUNT] = {
    /*                   new  dispatched returned processing hanging replied rectifying closed cancelled merged reviewing */
    [CA_ANSWER] = {CLO, X, X, X, X, X, X, X, X, X, X},
    [CA_DISPATCH] = {DIS, X, X, X, X, X, X, X, X, X, X},
    [CA_REDISPATCH] = {X, DIS, DIS, DIS, X, X, DIS, X, X, X, X},
    [CA_REJECT_RETURN] = {X, X, DIS, X, X, X, X, X, X, X, X},
    [CA_SIGN] = {X, PRO, X, X, X, X, X, X, X, X, X},
    [CA_RETURN] = {X, RET, X, RET, X, X, RET, X, X, X, X},
    [CA_EXTEND] = {X, X, X, K, X, X, K, X, X, X, X},
    [CA_HANG] = {X, X, X, K, X, X, X, X, X, X, X},
    [CA_APPROVE] = {X, X, X, K, X, X, K, K, X, X, X},
    [CA_DENY] = {X, X, X, K, X, X, K, K, X, X, X},
    [CA_RESUME] = {X, X, X, X, PRO, X, X, X, X, X, X},
    [CA_URGE] = {X, K, K, K, K, X, K, X, X, X, X},
    [CA_REPLY] = {X, X, X, REP, X, X, REP, X, X, X, X},
    [CA_EVALUATE] = {X, X, X, X, X, CLO, X, X, X, X, X},
    [CA_RECTIFY] = {X, X, X, X, X, RECT, X, X, X, X, X},
    [CA_MERGE] = {MER, MER, X, X, X, X, X, X, X, X, X},
    [CA_CLOSE] = {X, X, X, X, X, CLO, X, X, X, X, X},
    [CA_CANCEL] = {CAN, CAN, CAN, X, X, X, X, X, X, X, X},
    [CA_REOPEN] = {X, X, X, X, X, X, X, PRO, X, X, X},
    [CA_COMMENT] = {K, K, K, K, K, K, K, X, X, X, K},
    [CA_WITHDRAW] = {CAN, X, X, X, X, X, X, X, X, X, X},
    [CA_INVALIDATE] = {X, X, X, X, X, X, K, K, X, X, X},
    [CA_ACCEPT] = {X, X, X, X, X, X, X, X, X, X, REP},
    [CA_SEND_BACK] = {X, X, X, X, X, X, X, X, X, X, PRO},
    [CA_ASSIGN] = {K, K, X, K, X, X, K, X, X, X, X},
};

/* The actions with a second branch (outcome 1): an unsatisfied evaluation reopens for
 * rectification, the approval of a 挂账 request suspends the case, a reply that needs 办结审核
 * waits for the centre, and a reply sent back from review returns to rectification when it was
 * a rectification's. Every other action ignores the outcome. */
static int expect_alt(enum case_action a, enum case_state s)
{
    int e = expect[a][s];
    if (e == X)
        return X;
    if (a == CA_EVALUATE)
        return RECT;
    if (a == CA_APPROVE)
        return HAN;
    if (a == CA_REPLY)
        return REV;
    if (a == CA_SEND_BACK)
        return RECT;
    return e;
}

static void check_pair(enum case_state s, enum case_action a, int outcome, int want)
{
    struct err e = ERR_INIT;
    enum case_state to = CASE_STATE_COUNT;
    int rc = case_transition(s, a, outcome, &to, &e);
    const char *sn = case_state_name(s), *an = case_action_name(a);
    if (want == X) {
        char msg[128];
        CHECK_INT_EQ(rc, ERR_CONFLICT, "(%s, %s, outcome %d) must be refused", sn, an, outcome);
        CHECK_INT_EQ(e.code, ERR_CONFLICT, "(%s, %s) err.code", sn, an);
        snprintf(msg, sizeof(msg), "action '%s' is not allowed in state '%s'", an, sn);
        CHECK(strstr(e.msg, msg) != NULL, "(%s, %s): message \"%s\" does not name both", sn, an,
              e.msg);
        CHECK_STR_EQ(e.field, "action", "(%s, %s) err.field", sn, an);
        return;
    }
    enum case_state target = want == K ? s : (enum case_state)(want - 1);
    CHECK_INT_EQ(rc, 0, "(%s, %s, outcome %d) must be allowed: %s", sn, an, outcome, e.msg);
    CHECK_INT_EQ(e.code, 0, "(%s, %s) leaves err clear", sn, an);
    if (rc == 0)
        CHECK_STR_EQ(case_state_name(to), case_state_name(target), "(%s, %s, outcome %d) target",
                     sn, an, outcome);
}

TEST(case_transition_every_pair)
{
    int allowed = 0, refused = 0;
    for (int a = 0; a < CASE_ACTION_COUNT; a++)
        for (int s = 0; s < CASE_STATE_COUNT; s++) {
            check_pair((enum case_state)s, (enum case_action)a, 0, expect[a][s]);
            check_pair((enum case_state)s, (enum case_action)a, 1,
                       expect_alt((enum case_action)a, (enum case_state)s));
            if (expect[a][s] == X)
                refused++;
            else
                allowed++;
        }
    /* Guard against a table that silently shrank (e.g. a row of zeros for a new action). */
    CHECK_INT_EQ(allowed + refused, CASE_STATE_COUNT * CASE_ACTION_COUNT, "every pair walked");
    CHECK_INT_EQ(allowed, 54, "allowed pairs in the documented workflow");
    for (int a = 0; a < CASE_ACTION_COUNT; a++) {
        int any = 0;
        for (int s = 0; s < CASE_STATE_COUNT; s++)
            any |= expect[a][s] != X;
        CHECK(any, "action '%s' has no state it is allowed in",
              case_action_name((enum case_action)a));
    }
}

TEST(case_transition_final_states_refuse_all_but_reopen)
{
    /* Closed, cancelled and merged cases only move again through reopen (closed) or their
     * master (merged, not an action): every action is refused there, except on a closed case
     * the 有效回访 request and its decision, which change the assessment, not the state. */
    for (int s = 0; s < CASE_STATE_COUNT; s++) {
        int final = s == CASE_CLOSED || s == CASE_CANCELLED || s == CASE_MERGED;
        CHECK_INT_EQ(case_state_is_final((enum case_state)s), final, "is_final(%s)",
                     case_state_name((enum case_state)s));
        if (!final)
            continue;
        for (int a = 0; a < CASE_ACTION_COUNT; a++) {
            enum case_state to;
            int rc = case_transition((enum case_state)s, (enum case_action)a, 0, &to, NULL);
            if (s == CASE_CLOSED && a == CA_REOPEN)
                CHECK_INT_EQ(rc, 0, "reopen of a closed case");
            else if (s == CASE_CLOSED && (a == CA_INVALIDATE || a == CA_APPROVE || a == CA_DENY)) {
                CHECK_INT_EQ(rc, 0, "%s of a closed case", case_action_name((enum case_action)a));
                CHECK_INT_EQ(to, CASE_CLOSED, "a closed case stays closed");
            } else
                CHECK_INT_EQ(rc, ERR_CONFLICT, "%s in %s", case_action_name((enum case_action)a),
                             case_state_name((enum case_state)s));
        }
    }
}

TEST(case_transition_outcome_branches)
{
    struct err e = ERR_INIT;
    enum case_state to;
    CHECK_INT_EQ(case_transition(CASE_REPLIED, CA_EVALUATE, 0, &to, &e), 0, "satisfied");
    CHECK_INT_EQ(to, CASE_CLOSED, "satisfied/basically satisfied closes");
    CHECK_INT_EQ(case_transition(CASE_REPLIED, CA_EVALUATE, 1, &to, &e), 0, "unsatisfied");
    CHECK_INT_EQ(to, CASE_RECTIFYING, "unsatisfied reopens for rectification");
    CHECK_INT_EQ(case_transition(CASE_PROCESSING, CA_APPROVE, 0, &to, &e), 0, "approve extension");
    CHECK_INT_EQ(to, CASE_PROCESSING, "an approved extension keeps the state");
    CHECK_INT_EQ(case_transition(CASE_PROCESSING, CA_APPROVE, 1, &to, &e), 0, "approve 挂账");
    CHECK_INT_EQ(to, CASE_HANGING, "an approved 挂账 suspends the case");
    CHECK_INT_EQ(case_transition(CASE_RECTIFYING, CA_APPROVE, 0, &to, &e), 0,
                 "approve extension in rectifying");
    CHECK_INT_EQ(to, CASE_RECTIFYING, "an extension of a rectification stays rectifying");
    CHECK_INT_EQ(case_transition(CASE_PROCESSING, CA_REPLY, 0, &to, &e), 0, "reply");
    CHECK_INT_EQ(to, CASE_REPLIED, "a reply without review goes to the citizen");
    CHECK_INT_EQ(case_transition(CASE_RECTIFYING, CA_REPLY, 1, &to, &e), 0, "reply under review");
    CHECK_INT_EQ(to, CASE_REVIEWING, "a reply that needs 办结审核 waits for the centre");
    CHECK_INT_EQ(case_transition(CASE_REVIEWING, CA_SEND_BACK, 1, &to, &e), 0, "send back");
    CHECK_INT_EQ(to, CASE_RECTIFYING, "a rectification's reply sent back: rectifying again");
    CHECK_INT_EQ(case_transition(CASE_REVIEWING, CA_ACCEPT, 1, &to, &e), 0, "accept");
    CHECK_INT_EQ(to, CASE_REPLIED, "accept ignores outcome");
    /* The pure function only reads the outcome where there is a second branch. */
    CHECK_INT_EQ(case_transition(CASE_HANGING, CA_RESUME, 7, &to, &e), 0, "resume ignores outcome");
    CHECK_INT_EQ(to, CASE_PROCESSING, "resume with outcome 7");
}

TEST(case_transition_bad_input)
{
    struct err e = ERR_INIT;
    enum case_state to = CASE_NEW;
    CHECK_INT_EQ(case_transition(CASE_NEW, CASE_ACTION_COUNT, 0, &to, &e), ERR_BAD_REQUEST,
                 "action out of range");
    CHECK_INT_EQ(to, CASE_NEW, "target untouched on error");
    err_clear(&e);
    CHECK_INT_EQ(case_transition(CASE_STATE_COUNT, CA_SIGN, 0, &to, &e), ERR_BAD_REQUEST,
                 "state out of range");
    CHECK_INT_EQ(case_transition((enum case_state) - 1, CA_SIGN, 0, &to, NULL), ERR_BAD_REQUEST,
                 "negative state");
    CHECK_INT_EQ(case_transition(CASE_NEW, (enum case_action) - 1, 0, &to, NULL), ERR_BAD_REQUEST,
                 "negative action");
    /* A NULL err is allowed (case_actions_available probes with it). */
    CHECK_INT_EQ(case_transition(CASE_NEW, CA_SIGN, 0, &to, NULL), ERR_CONFLICT,
                 "refusal without err");
}

/* Roles per action, as the docs' "roles" column states them. Admins act through the caller's
 * ROLE_ADMIN check, not through this table. */
TEST(case_action_roles_match_docs)
{
    static const struct {
        enum case_action a;
        unsigned roles;
    } want[] = {
        {CA_ANSWER, ROLE_OPERATOR},
        {CA_DISPATCH, ROLE_DISPATCHER | ROLE_OPERATOR},
        {CA_REDISPATCH, ROLE_DISPATCHER},
        {CA_REJECT_RETURN, ROLE_DISPATCHER},
        {CA_SIGN, ROLE_HANDLER},
        {CA_RETURN, ROLE_HANDLER},
        {CA_EXTEND, ROLE_HANDLER},
        {CA_HANG, ROLE_HANDLER},
        {CA_APPROVE, ROLE_SUPERVISOR},
        {CA_DENY, ROLE_SUPERVISOR},
        {CA_RESUME, ROLE_SUPERVISOR | ROLE_HANDLER},
        {CA_URGE, ROLE_SUPERVISOR},
        {CA_REPLY, ROLE_HANDLER},
        {CA_EVALUATE, ROLE_OPERATOR | ROLE_CITIZEN},
        {CA_RECTIFY, ROLE_SUPERVISOR | ROLE_DISPATCHER},
        {CA_MERGE, ROLE_DISPATCHER | ROLE_OPERATOR},
        {CA_CLOSE, ROLE_OPERATOR | ROLE_SUPERVISOR},
        {CA_CANCEL, ROLE_DISPATCHER | ROLE_SUPERVISOR},
        {CA_REOPEN, ROLE_SUPERVISOR},
        {CA_COMMENT, ROLE_ALL},
        {CA_WITHDRAW, ROLE_CITIZEN},
        {CA_INVALIDATE, ROLE_OPERATOR | ROLE_HANDLER},
        {CA_ACCEPT, ROLE_DISPATCHER | ROLE_SUPERVISOR},
        {CA_SEND_BACK, ROLE_DISPATCHER | ROLE_SUPERVISOR},
        {CA_ASSIGN, ROLE_DISPATCHER | ROLE_SUPERVISOR},
    };
    CHECK_INT_EQ(ARRAY_SIZE(want), CASE_ACTION_COUNT, "one row per action");
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        CHECK_INT_EQ(case_action_roles(want[i].a), want[i].roles, "roles of '%s'",
                     case_action_name(want[i].a));
    CHECK_INT_EQ(case_action_roles(CASE_ACTION_COUNT), 0, "out of range");
    /* A citizen evaluates and comments on their own report, nothing else. */
    for (int a = 0; a < CASE_ACTION_COUNT; a++)
        if (a != CA_EVALUATE && a != CA_COMMENT && a != CA_WITHDRAW)
            CHECK(!(case_action_roles((enum case_action)a) & ROLE_CITIZEN), "citizen may not '%s'",
                  case_action_name((enum case_action)a));
}

/* ---- names: every value round-trips, unknown names are -1 ---- */

TEST(case_names_round_trip)
{
    static const char *const states[] = {"new",       "dispatched", "returned",   "processing",
                                         "hanging",   "replied",    "rectifying", "closed",
                                         "cancelled", "merged",     "reviewing"};
    static const char *const actions[] = {
        "answer",     "dispatch", "redispatch", "reject_return", "sign",   "return",  "extend",
        "hang",       "approve",  "deny",       "resume",        "urge",   "reply",   "evaluate",
        "rectify",    "merge",    "close",      "cancel",        "reopen", "comment", "withdraw",
        "invalidate", "accept",   "send_back",  "assign"};
    static const char *const channels[] = {"hotline", "web",    "app",     "wechat",
                                           "grid",    "sensor", "open311", "other"};
    static const char *const urgencies[] = {"normal", "urgent", "emergency"};
    static const char *const sats[] = {"satisfied", "basically_satisfied", "unsatisfied"};

    CHECK_INT_EQ(ARRAY_SIZE(states), CASE_STATE_COUNT, "state names");
    for (int i = 0; i < CASE_STATE_COUNT; i++) {
        CHECK_STR_EQ(case_state_name((enum case_state)i), states[i], "state %d", i);
        CHECK_INT_EQ(case_state_from_name(states[i]), i, "state '%s'", states[i]);
    }
    CHECK_INT_EQ(ARRAY_SIZE(actions), CASE_ACTION_COUNT, "action names");
    for (int i = 0; i < CASE_ACTION_COUNT; i++) {
        CHECK_STR_EQ(case_action_name((enum case_action)i), actions[i], "action %d", i);
        CHECK_INT_EQ(case_action_from_name(actions[i]), i, "action '%s'", actions[i]);
    }
    CHECK_INT_EQ(ARRAY_SIZE(channels), CASE_CHANNEL_COUNT, "channel names");
    for (int i = 0; i < CASE_CHANNEL_COUNT; i++) {
        CHECK_STR_EQ(case_channel_name((enum case_channel)i), channels[i], "channel %d", i);
        CHECK_INT_EQ(case_channel_from_name(channels[i]), i, "channel '%s'", channels[i]);
    }
    for (int i = 0; i < 3; i++) {
        CHECK_STR_EQ(case_urgency_name((enum case_urgency)i), urgencies[i], "urgency %d", i);
        CHECK_INT_EQ(case_urgency_from_name(urgencies[i]), i, "urgency '%s'", urgencies[i]);
        CHECK_STR_EQ(case_satisfaction_name((enum case_satisfaction)(i + 1)), sats[i],
                     "satisfaction %d", i + 1);
        CHECK_INT_EQ(case_satisfaction_from_name(sats[i]), i + 1, "satisfaction '%s'", sats[i]);
    }
    /* "No evaluation yet" has an empty name that must not parse back as a value. */
    CHECK_STR_EQ(case_satisfaction_name(CS_NONE), "", "no satisfaction");
    CHECK_INT_EQ(case_satisfaction_from_name(""), -1, "empty satisfaction");
}

TEST(case_names_unknown)
{
    static const char *const bad[] = {"", "NEW", "Sign", "sign ", "满意", "closedx", "unknown"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_INT_EQ(case_state_from_name(bad[i]), -1, "state '%s'", bad[i]);
        CHECK_INT_EQ(case_action_from_name(bad[i]), -1, "action '%s'", bad[i]);
        CHECK_INT_EQ(case_channel_from_name(bad[i]), -1, "channel '%s'", bad[i]);
        CHECK_INT_EQ(case_urgency_from_name(bad[i]), -1, "urgency '%s'", bad[i]);
        CHECK_INT_EQ(case_satisfaction_from_name(bad[i]), -1, "satisfaction '%s'", bad[i]);
    }
    CHECK_INT_EQ(case_state_from_name(NULL), -1, "NULL state");
    CHECK_INT_EQ(case_action_from_name(NULL), -1, "NULL action");
    CHECK_INT_EQ(case_channel_from_name(NULL), -1, "NULL channel");
    CHECK_INT_EQ(case_urgency_from_name(NULL), -1, "NULL urgency");
    CHECK_INT_EQ(case_satisfaction_from_name(NULL), -1, "NULL satisfaction");
    /* Out-of-range values print as "?" (or "" for satisfaction) rather than reading past a table. */
    CHECK_STR_EQ(case_state_name(CASE_STATE_COUNT), "?", "state out of range");
    CHECK_STR_EQ(case_action_name(CASE_ACTION_COUNT), "?", "action out of range");
    CHECK_STR_EQ(case_channel_name(CASE_CHANNEL_COUNT), "?", "channel out of range");
    CHECK_STR_EQ(case_urgency_name((enum case_urgency)3), "?", "urgency out of range");
    CHECK_STR_EQ(case_satisfaction_name((enum case_satisfaction)4), "",
                 "satisfaction out of range");
}

/* ---- the UI's action list follows the same table ---- */

TEST(case_actions_available_follows_table)
{
    int64_t cgj = 5, other = 6;
    struct case_actor handler = {
        .user_id = 10, .name = "h", .roles = ROLE_HANDLER, .depts = &cgj, .ndepts = 1};
    struct case_actor stranger = {
        .user_id = 11, .name = "s", .roles = ROLE_HANDLER, .depts = &other, .ndepts = 1};
    struct case_actor super = {.user_id = 12, .name = "v", .roles = ROLE_SUPERVISOR};
    struct case_actor citizen = {.user_id = 13, .name = "c", .roles = ROLE_CITIZEN};
    struct case_actor admin = {.user_id = 1, .name = "a", .roles = ROLE_ADMIN};
    struct case_rec r;
    memset(&r, 0, sizeof(r));
    r.lead_department_id = cgj;
    r.created_by = 13;
    r.reply_solved = -1;
    r.satisfaction = CS_UNSATISFIED; /* evaluated: 有效回访 may be asked */

    for (int s = 0; s < CASE_STATE_COUNT; s++) {
        r.state = (enum case_state)s;
        unsigned m = case_actions_available(&admin, &r);
        for (int a = 0; a < CASE_ACTION_COUNT; a++) {
            /* approve/deny also need a pending request, which this record has not. */
            int want = expect[a][s] != X && a != CA_APPROVE && a != CA_DENY;
            CHECK_INT_EQ(!!(m & (1u << a)), want, "admin may '%s' in '%s'",
                         case_action_name((enum case_action)a),
                         case_state_name((enum case_state)s));
        }
    }
    r.state = CASE_DISPATCHED;
    CHECK(case_actions_available(&handler, &r) & (1u << CA_SIGN), "lead handler may sign");
    CHECK(!(case_actions_available(&stranger, &r) & (1u << CA_SIGN)),
          "another department may not sign");
    r.state = CASE_PROCESSING;
    CHECK(!(case_actions_available(&super, &r) & (1u << CA_APPROVE)), "nothing to approve");
    r.pending_request = "hang";
    CHECK(case_actions_available(&super, &r) & (1u << CA_APPROVE),
          "a pending 挂账 can be approved");
    CHECK(!(case_actions_available(&handler, &r) & (1u << CA_EXTEND)),
          "one pending request at a time");
    r.pending_request = NULL;
    r.state = CASE_REPLIED;
    CHECK(case_actions_available(&citizen, &r) & (1u << CA_EVALUATE), "the reporter evaluates");
    r.created_by = 99;
    CHECK(!(case_actions_available(&citizen, &r) & (1u << CA_EVALUATE)), "not someone else's case");
}
