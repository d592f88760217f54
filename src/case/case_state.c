/*
 * The workflow tables: which actions each state allows, where they lead, who may take them and
 * what each asks and causes. Everything else in the module asks these tables rather than testing
 * states or actions itself: adding an action is one row here and its apply function.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"

static const char *const state_names[CASE_STATE_COUNT] = {
    "new",        "dispatched", "returned",  "processing", "hanging",   "replied",
    "rectifying", "closed",     "cancelled", "merged",     "reviewing",
};

static const char *const action_names[CASE_ACTION_COUNT] = {
    "answer",     "dispatch", "redispatch", "reject_return", "sign",   "return",  "extend",
    "hang",       "approve",  "deny",       "resume",        "urge",   "reply",   "evaluate",
    "rectify",    "merge",    "close",      "cancel",        "reopen", "comment", "withdraw",
    "invalidate", "accept",   "send_back",  "assign",
};

static const char *const channel_names[CASE_CHANNEL_COUNT] = {
    "hotline", "web", "app", "wechat", "grid", "sensor", "open311", "other",
};

static const char *const urgency_names[] = {"normal", "urgent", "emergency"};
static const char *const invalid_reason_names[CASE_INVALID_REASON_COUNT] = {
    "", "unreasonable", "duplicate", "out_of_area", "unreachable",
};
static const char *const kind_names[CASE_KIND_COUNT] = {
    "complaint", "consult", "help", "report", "suggestion", "praise",
};
static const char *const satisfaction_names[] = {"", "satisfied", "basically_satisfied",
                                                 "unsatisfied"};

int case_name_lookup(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (names[i][0] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *case_state_name(enum case_state s)
{
    return (unsigned)s < CASE_STATE_COUNT ? state_names[s] : "?";
}
int case_state_from_name(const char *n)
{
    return case_name_lookup(state_names, CASE_STATE_COUNT, n);
}
const char *case_action_name(enum case_action a)
{
    return (unsigned)a < CASE_ACTION_COUNT ? action_names[a] : "?";
}
int case_action_from_name(const char *n)
{
    return case_name_lookup(action_names, CASE_ACTION_COUNT, n);
}
const char *case_channel_name(enum case_channel c)
{
    return (unsigned)c < CASE_CHANNEL_COUNT ? channel_names[c] : "?";
}
int case_channel_from_name(const char *n)
{
    return case_name_lookup(channel_names, CASE_CHANNEL_COUNT, n);
}
const char *case_urgency_name(enum case_urgency u)
{
    return (unsigned)u < 3 ? urgency_names[u] : "?";
}
int case_urgency_from_name(const char *n)
{
    return case_name_lookup(urgency_names, 3, n);
}
const char *case_kind_name(enum case_kind k)
{
    return (unsigned)k < CASE_KIND_COUNT ? kind_names[k] : "?";
}
int case_kind_from_name(const char *n)
{
    return case_name_lookup(kind_names, CASE_KIND_COUNT, n);
}
const char *case_invalid_reason_name(enum case_invalid_reason r)
{
    return (unsigned)r < CASE_INVALID_REASON_COUNT ? invalid_reason_names[r] : "";
}
int case_invalid_reason_from_name(const char *n)
{
    return case_name_lookup(invalid_reason_names, CASE_INVALID_REASON_COUNT, n);
}
const char *case_satisfaction_name(enum case_satisfaction s)
{
    return (unsigned)s < 4 ? satisfaction_names[s] : "";
}
int case_satisfaction_from_name(const char *n)
{
    return case_name_lookup(satisfaction_names, 4, n);
}

int case_state_is_final(enum case_state s)
{
    return s == CASE_CLOSED || s == CASE_CANCELLED || s == CASE_MERGED;
}

#define S(x) (1u << CASE_##x)
#define OPEN_WORK (S(PROCESSING) | S(RECTIFYING))
#define NOT_FINAL                                                                                  \
    (S(NEW) | S(DISPATCHED) | S(RETURNED) | S(PROCESSING) | S(HANGING) | S(REPLIED) |              \
     S(RECTIFYING) | S(REVIEWING))
#define SAME (-1)
#define IN(x) (1u << CI_##x)
#define NONE CASE_NOTE_NONE
#define OPTIONAL CASE_NOTE_OPTIONAL
#define REQUIRED CASE_NOTE_REQUIRED

/*
 * One row per action: the states it is allowed in, the state it leads to (SAME keeps the
 * state) and the alternative target for outcome 1 (SAME if none); then what the API and the UI
 * are told (label, note, inputs, roles and binding), the pending-request rule, the outcome, the
 * notification, the functions that do the rest (case_actions.c), and the notification of
 * outcome 1 ({0}: the same as the other; every row names it, as clang's -Wextra asks).
 */
/* clang-format off */
static const struct case_action_row rows[CASE_ACTION_COUNT] = {
    [CA_ANSWER] = {
        S(NEW), CASE_CLOSED, SAME,
        {"action.answer", REQUIRED, "field.answer", 0, IN(ARTICLE), ROLE_OPERATOR, 0, CASE_BIND_NONE},
        "the answer given", CASE_PENDING_ANY, NULL, {0}, case_apply_answer, NULL,
        {0},
    },
    [CA_DISPATCH] = {
        S(NEW), CASE_DISPATCHED, SAME,
        {"action.dispatch", OPTIONAL, "field.note", IN(DEPARTMENT), IN(DEPARTMENT) | IN(ASSISTING) | IN(CATEGORY),
         ROLE_DISPATCHER | ROLE_OPERATOR, 0, CASE_BIND_NONE},
        NULL, CASE_PENDING_ANY, NULL,
        {CASE_TO_DEPARTMENT, "dispatched", "新派工单 %s：%s", CASE_DETAIL_TITLE, 1}, case_apply_dispatch, NULL,
        {0},
    },
    [CA_REDISPATCH] = {
        S(DISPATCHED) | S(RETURNED) | S(PROCESSING) | S(RECTIFYING), CASE_DISPATCHED, SAME,
        {"action.redispatch", OPTIONAL, "field.note", IN(DEPARTMENT), IN(DEPARTMENT) | IN(ASSISTING) | IN(CATEGORY),
         ROLE_DISPATCHER, 0, CASE_BIND_NONE},
        NULL, CASE_PENDING_ANY, NULL,
        {CASE_TO_DEPARTMENT, "dispatched", "新派工单 %s：%s", CASE_DETAIL_TITLE, 1}, case_apply_dispatch, NULL,
        {0},
    },
    [CA_REJECT_RETURN] = {
        S(RETURNED), CASE_DISPATCHED, SAME,
        {"action.reject_return", REQUIRED, "field.reason", 0, 0, ROLE_DISPATCHER, 0, CASE_BIND_NONE},
        "why the department must handle it", CASE_PENDING_ANY, NULL,
        {CASE_TO_DEPARTMENT, "dispatched", "新派工单 %s：%s", CASE_DETAIL_TITLE, 0}, case_apply_reject_return, NULL,
        {0},
    },
    [CA_SIGN] = {
        S(DISPATCHED), CASE_PROCESSING, SAME,
        {"action.sign", OPTIONAL, "field.note", 0, 0, ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        NULL, CASE_PENDING_ANY, NULL, {0}, case_apply_sign, NULL,
        {0},
    },
    [CA_RETURN] = {
        S(DISPATCHED) | S(PROCESSING) | S(RECTIFYING), CASE_RETURNED, SAME,
        {"action.return", REQUIRED, "field.reason", 0, 0, ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        "why the case is not yours", CASE_PENDING_ANY, NULL,
        {CASE_TO_DISPATCHERS, "returned", "工单 %s 被退回：%s", CASE_DETAIL_NOTE, 0}, case_apply_return, NULL,
        {0},
    },
    [CA_EXTEND] = {
        OPEN_WORK, SAME, SAME,
        {"action.extend", REQUIRED, "field.reason", IN(UNTIL), IN(UNTIL), ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        "the reason for the extension", CASE_PENDING_NONE, NULL,
        {CASE_TO_SUPERVISORS, "approval", "工单 %s 申请延期", CASE_DETAIL_NONE, 0}, case_apply_extend, NULL,
        {0},
    },
    [CA_HANG] = {
        S(PROCESSING), SAME, SAME,
        {"action.hang", REQUIRED, "field.reason", 0, 0, ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        "why it cannot be solved now", CASE_PENDING_NONE, NULL,
        {CASE_TO_SUPERVISORS, "approval", "工单 %s 申请挂账", CASE_DETAIL_NONE, 0}, case_apply_hang, NULL,
        {0},
    },
    /* Also on a closed case: the only request a closed case can hold is an invalid callback. */
    [CA_APPROVE] = {
        OPEN_WORK | S(CLOSED), SAME, CASE_HANGING,
        {"action.approve", OPTIONAL, "field.note", 0, 0, ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        NULL, CASE_PENDING_NEEDED, case_outcome_hang,
        {CASE_TO_DEPARTMENT, NULL, "工单 %s：申请已批准", CASE_DETAIL_NONE, 0}, case_apply_decide, NULL,
        {0},
    },
    [CA_DENY] = {
        OPEN_WORK | S(CLOSED), SAME, SAME,
        {"action.deny", REQUIRED, "field.reason", 0, 0, ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        "why the request is denied", CASE_PENDING_NEEDED, NULL,
        {CASE_TO_DEPARTMENT, NULL, "工单 %s：申请被驳回", CASE_DETAIL_NONE, 0}, case_apply_decide, NULL,
        {0},
    },
    /* A supervisor ends any 挂账; a handler only its own department's. */
    [CA_RESUME] = {
        S(HANGING), CASE_PROCESSING, SAME,
        {"action.resume", OPTIONAL, "field.note", 0, 0, ROLE_SUPERVISOR | ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        NULL, CASE_PENDING_ANY, NULL, {0}, case_apply_resume, NULL,
        {0},
    },
    [CA_URGE] = {
        S(DISPATCHED) | S(RETURNED) | S(PROCESSING) | S(HANGING) | S(RECTIFYING), SAME, SAME,
        {"action.urge", OPTIONAL, "field.note", 0, 0, ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        NULL, CASE_PENDING_ANY, NULL,
        {CASE_TO_DEPARTMENT, NULL, "工单 %s：督办催办", CASE_DETAIL_NONE, 0}, case_apply_urge, NULL,
        {0},
    },
    /* The result is the event's note: a reply has no other. Where a review rule covers the
     * case's category (case_review_needed) the reply waits for the centre (outcome 1): the
     * citizen is told when it is accepted. */
    [CA_REPLY] = {
        OPEN_WORK, CASE_REPLIED, CASE_REVIEWING,
        {"action.reply", NONE, NULL, IN(RESULT) | IN(CONTACTED) | IN(SOLVED), IN(RESULT) | IN(CONTACTED) | IN(SOLVED),
         ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        NULL, CASE_PENDING_ANY, case_outcome_review,
        {CASE_TO_REPORTER, "replied", "您的诉求 %s 已办结，请评价", CASE_DETAIL_NONE, 0}, case_apply_reply,
        case_follow_reply, {CASE_TO_DISPATCHERS, "review", "工单 %s 已答复，待审核", CASE_DETAIL_NONE, 0},
    },
    [CA_EVALUATE] = {
        S(REPLIED), CASE_CLOSED, CASE_RECTIFYING,
        {"action.evaluate", OPTIONAL, "field.comment", IN(SATISFACTION), IN(SATISFACTION) | IN(CONTACTED) | IN(SOLVED),
         ROLE_OPERATOR | ROLE_CITIZEN, ROLE_CITIZEN, CASE_BIND_REPORTER},
        NULL, CASE_PENDING_ANY, case_outcome_unsatisfied, {0}, case_apply_evaluate, case_follow_rectify,
        {0},
    },
    [CA_RECTIFY] = {
        S(REPLIED), CASE_RECTIFYING, SAME,
        {"action.rectify", REQUIRED, "field.reason", 0, 0, ROLE_SUPERVISOR | ROLE_DISPATCHER, 0, CASE_BIND_NONE},
        "what must be put right", CASE_PENDING_ANY, NULL, {0}, NULL, case_follow_rectify,
        {0},
    },
    [CA_MERGE] = {
        S(NEW) | S(DISPATCHED), CASE_MERGED, SAME,
        {"action.merge", OPTIONAL, "field.note", IN(MASTER), IN(MASTER), ROLE_DISPATCHER | ROLE_OPERATOR, 0,
         CASE_BIND_NONE},
        NULL, CASE_PENDING_ANY, NULL, {0}, case_apply_merge, NULL,
        {0},
    },
    [CA_CLOSE] = {
        S(REPLIED), CASE_CLOSED, SAME,
        {"action.close", REQUIRED, "field.note", 0, 0, ROLE_OPERATOR | ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        "why it closes without evaluation", CASE_PENDING_ANY, NULL, {0}, case_apply_close, NULL,
        {0},
    },
    [CA_CANCEL] = {
        S(NEW) | S(DISPATCHED) | S(RETURNED), CASE_CANCELLED, SAME,
        {"action.cancel", REQUIRED, "field.reason", 0, 0, ROLE_DISPATCHER | ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        "why it is void", CASE_PENDING_ANY, NULL, {0}, case_apply_close, NULL,
        {0},
    },
    [CA_REOPEN] = {
        S(CLOSED), CASE_PROCESSING, SAME,
        {"action.reopen", REQUIRED, "field.reason", 0, 0, ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        "why the case is reopened", CASE_PENDING_ANY, NULL, {0}, case_apply_reopen, NULL,
        {0},
    },
    /* Anyone involved: the command centre on what it sees, a department it leads or assists (not
     * one it merely sees through its region), the citizen on its own report. */
    [CA_COMMENT] = {
        NOT_FINAL, SAME, SAME,
        {"action.comment", REQUIRED, "field.note", 0, 0, ROLE_ALL, ROLE_HANDLER | ROLE_CITIZEN, CASE_BIND_INVOLVED},
        "the comment", CASE_PENDING_ANY, NULL, {0}, NULL, NULL,
        {0},
    },
    /* 撤回: the citizen who reported takes it back while nobody works on it yet. */
    [CA_WITHDRAW] = {
        S(NEW), CASE_CANCELLED, SAME,
        {"action.withdraw", OPTIONAL, "field.reason", 0, 0, ROLE_CITIZEN, ROLE_CITIZEN, CASE_BIND_REPORTER},
        NULL, CASE_PENDING_ANY, NULL, {0}, case_apply_close, NULL,
        {0},
    },
    /* 有效回访: the callback staff or the lead department ask; a supervisor decides (approve or
     * deny). Only the assessment changes: the case's course does not. */
    [CA_INVALIDATE] = {
        S(CLOSED) | S(RECTIFYING), SAME, SAME,
        {"action.invalidate", REQUIRED, "field.reason", IN(INVALID_REASON), IN(INVALID_REASON),
         ROLE_OPERATOR | ROLE_HANDLER, ROLE_HANDLER, CASE_BIND_LEAD},
        "why the callback is not valid", CASE_PENDING_NONE, NULL,
        {CASE_TO_SUPERVISORS, "approval", "工单 %s 申请认定无效回访", CASE_DETAIL_NONE, 0}, case_apply_invalidate, NULL,
        {0},
    },
    /* 办结审核: the centre (dispatchers, supervisors, in their scope) releases the reply to the
     * citizen (the accept event carries its text) or sends it back to the department, which
     * works on in the state it replied from (outcome 1: rectifying). */
    [CA_ACCEPT] = {
        S(REVIEWING), CASE_REPLIED, SAME,
        {"action.accept", NONE, NULL, 0, 0, ROLE_DISPATCHER | ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        NULL, CASE_PENDING_ANY, NULL,
        {CASE_TO_REPORTER, "replied", "您的诉求 %s 已办结，请评价", CASE_DETAIL_NONE, 0}, case_apply_accept,
        case_follow_reply,
        {0},
    },
    [CA_SEND_BACK] = {
        S(REVIEWING), CASE_PROCESSING, CASE_RECTIFYING,
        {"action.send_back", REQUIRED, "field.reason", 0, 0, ROLE_DISPATCHER | ROLE_SUPERVISOR, 0, CASE_BIND_NONE},
        "why the reply is sent back", CASE_PENDING_ANY, case_outcome_replied_from,
        {CASE_TO_DEPARTMENT, "sent_back", "工单 %s 答复被退回：%s", CASE_DETAIL_NOTE, 0}, NULL, NULL,
        {0},
    },
    /* Smart dispatch (gridw): the dispatcher, or a street or community official in scope, gives
     * the case to one grid worker, accepting a suggestion or overriding it; the state stays. */
    [CA_ASSIGN] = {
        S(NEW) | S(DISPATCHED) | S(PROCESSING) | S(RECTIFYING), SAME, SAME,
        {"action.assign", OPTIONAL, "field.note", IN(ASSIGNEE), IN(ASSIGNEE), ROLE_DISPATCHER | ROLE_SUPERVISOR, 0,
         CASE_BIND_NONE},
        NULL, CASE_PENDING_ANY, NULL,
        {CASE_TO_ASSIGNEE, "assigned", "工单 %s 已派给您：%s", CASE_DETAIL_TITLE, 0}, case_apply_assign, NULL,
        {0},
    },
};
/* clang-format on */

int case_transition(enum case_state from, enum case_action a, int outcome, enum case_state *to,
                    struct err *err)
{
    if ((unsigned)a >= CASE_ACTION_COUNT || (unsigned)from >= CASE_STATE_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "action", "unknown action or state");
    if (!(rows[a].from & (1u << from)))
        return err_field(err, ERR_CONFLICT, "action", "action '%s' is not allowed in state '%s'",
                         action_names[a], state_names[from]);
    int t = outcome && rows[a].to_alt != SAME ? rows[a].to_alt : rows[a].to;
    *to = t == SAME ? from : (enum case_state)t;
    return 0;
}

unsigned case_action_roles(enum case_action a)
{
    return (unsigned)a < CASE_ACTION_COUNT ? rows[a].info.roles : 0;
}

const struct case_action_info *case_action_info(enum case_action a)
{
    return (unsigned)a < CASE_ACTION_COUNT ? &rows[a].info : NULL;
}

const struct case_action_row *case_action_row(enum case_action a)
{
    return &rows[a];
}

static const struct {
    const char *name;
    const char *type;
    const char *hint;
} inputs[CASE_INPUT_COUNT] = {
    [CI_DEPARTMENT] = {"department", "department", "(id)"},
    [CI_ASSISTING] = {"assisting", "departments", "(ids)"},
    [CI_CATEGORY] = {"category", "category", "(id)"},
    [CI_UNTIL] = {"until", "datetime", "(an RFC 3339 time)"},
    [CI_RESULT] = {"result", "text", "(what was done)"},
    [CI_CONTACTED] = {"contacted", "boolean", "(true or false)"},
    [CI_SOLVED] = {"solved", "boolean", "(true or false)"},
    [CI_SATISFACTION] = {"satisfaction", "satisfaction",
                         "(satisfied, basically_satisfied or unsatisfied)"},
    [CI_MASTER] = {"master", "case", "(the id of the case this one duplicates)"},
    [CI_ARTICLE] = {"article", "article", "(the id of a knowledge-base article)"},
    [CI_ASSIGNEE] = {"assignee", "worker", "(the user id of an active grid worker)"},
    [CI_INVALID_REASON] = {"invalid_reason", "invalid_reason",
                           "(unreasonable, duplicate, out_of_area or unreachable)"},
};

const char *case_input_name(enum case_input i)
{
    return (unsigned)i < CASE_INPUT_COUNT ? inputs[i].name : "?";
}
const char *case_input_type(enum case_input i)
{
    return (unsigned)i < CASE_INPUT_COUNT ? inputs[i].type : "?";
}
const char *case_input_hint(enum case_input i)
{
    return (unsigned)i < CASE_INPUT_COUNT ? inputs[i].hint : "";
}

const char *case_note_rule_name(enum case_note_rule n)
{
    static const char *const names[] = {"none", "optional", "required"};
    return (unsigned)n < 3 ? names[n] : "?";
}
