/*
 * The workflow tables: which actions each state allows, where they lead, and who may take
 * them. Everything else in the module asks these tables rather than testing states itself.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "core/err.h"

static const char *const state_names[CASE_STATE_COUNT] = {
    "new", "dispatched", "returned", "processing", "hanging", "replied", "rectifying", "closed", "cancelled", "merged",
};

static const char *const action_names[CASE_ACTION_COUNT] = {
    "answer", "dispatch", "redispatch", "reject_return", "sign", "return", "extend", "hang", "approve", "deny",
    "resume", "urge", "reply", "evaluate", "rectify", "merge", "close", "cancel", "reopen", "comment",
};

static const char *const channel_names[CASE_CHANNEL_COUNT] = {
    "hotline", "web", "app", "wechat", "grid", "sensor", "open311", "other",
};

static const char *const urgency_names[] = {"normal", "urgent", "emergency"};
static const char *const satisfaction_names[] = {"", "satisfied", "basically_satisfied", "unsatisfied"};

static int lookup(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (names[i][0] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *case_state_name(enum case_state s) { return (unsigned)s < CASE_STATE_COUNT ? state_names[s] : "?"; }
int case_state_from_name(const char *n) { return lookup(state_names, CASE_STATE_COUNT, n); }
const char *case_action_name(enum case_action a) { return (unsigned)a < CASE_ACTION_COUNT ? action_names[a] : "?"; }
int case_action_from_name(const char *n) { return lookup(action_names, CASE_ACTION_COUNT, n); }
const char *case_channel_name(enum case_channel c) { return (unsigned)c < CASE_CHANNEL_COUNT ? channel_names[c] : "?"; }
int case_channel_from_name(const char *n) { return lookup(channel_names, CASE_CHANNEL_COUNT, n); }
const char *case_urgency_name(enum case_urgency u) { return (unsigned)u < 3 ? urgency_names[u] : "?"; }
int case_urgency_from_name(const char *n) { return lookup(urgency_names, 3, n); }
const char *case_satisfaction_name(enum case_satisfaction s) { return (unsigned)s < 4 ? satisfaction_names[s] : ""; }
int case_satisfaction_from_name(const char *n) { return lookup(satisfaction_names, 4, n); }

int case_state_is_final(enum case_state s)
{
    return s == CASE_CLOSED || s == CASE_CANCELLED || s == CASE_MERGED;
}

#define S(x) (1u << CASE_##x)
#define OPEN_WORK (S(PROCESSING) | S(RECTIFYING))
#define NOT_FINAL (S(NEW) | S(DISPATCHED) | S(RETURNED) | S(PROCESSING) | S(HANGING) | S(REPLIED) | S(RECTIFYING))
#define SAME (-1)

/*
 * One row per action: the states it is allowed in, the state it leads to (SAME keeps the
 * state), the alternative target for outcome 1 (SAME if none), and the roles that may take it.
 */
static const struct {
    unsigned from;
    int to;
    int to_alt;
    unsigned roles;
} rules[CASE_ACTION_COUNT] = {
    [CA_ANSWER] = {S(NEW), CASE_CLOSED, SAME, ROLE_OPERATOR},
    [CA_DISPATCH] = {S(NEW), CASE_DISPATCHED, SAME, ROLE_DISPATCHER | ROLE_OPERATOR},
    [CA_REDISPATCH] = {S(DISPATCHED) | S(RETURNED) | S(PROCESSING) | S(RECTIFYING), CASE_DISPATCHED, SAME, ROLE_DISPATCHER},
    [CA_REJECT_RETURN] = {S(RETURNED), CASE_DISPATCHED, SAME, ROLE_DISPATCHER},
    [CA_SIGN] = {S(DISPATCHED), CASE_PROCESSING, SAME, ROLE_HANDLER},
    [CA_RETURN] = {S(DISPATCHED) | S(PROCESSING) | S(RECTIFYING), CASE_RETURNED, SAME, ROLE_HANDLER},
    [CA_EXTEND] = {OPEN_WORK, SAME, SAME, ROLE_HANDLER},
    [CA_HANG] = {S(PROCESSING), SAME, SAME, ROLE_HANDLER},
    [CA_APPROVE] = {OPEN_WORK, SAME, CASE_HANGING, ROLE_SUPERVISOR},
    [CA_DENY] = {OPEN_WORK, SAME, SAME, ROLE_SUPERVISOR},
    [CA_RESUME] = {S(HANGING), CASE_PROCESSING, SAME, ROLE_SUPERVISOR | ROLE_HANDLER},
    [CA_URGE] = {S(DISPATCHED) | S(RETURNED) | S(PROCESSING) | S(HANGING) | S(RECTIFYING), SAME, SAME,
                 ROLE_SUPERVISOR},
    [CA_REPLY] = {OPEN_WORK, CASE_REPLIED, SAME, ROLE_HANDLER},
    [CA_EVALUATE] = {S(REPLIED), CASE_CLOSED, CASE_RECTIFYING, ROLE_OPERATOR | ROLE_CITIZEN},
    [CA_RECTIFY] = {S(REPLIED), CASE_RECTIFYING, SAME, ROLE_SUPERVISOR | ROLE_DISPATCHER},
    [CA_MERGE] = {S(NEW) | S(DISPATCHED), CASE_MERGED, SAME, ROLE_DISPATCHER | ROLE_OPERATOR},
    [CA_CLOSE] = {S(REPLIED), CASE_CLOSED, SAME, ROLE_OPERATOR | ROLE_SUPERVISOR},
    [CA_CANCEL] = {S(NEW) | S(DISPATCHED) | S(RETURNED), CASE_CANCELLED, SAME, ROLE_DISPATCHER | ROLE_SUPERVISOR},
    [CA_REOPEN] = {S(CLOSED), CASE_PROCESSING, SAME, ROLE_SUPERVISOR},
    [CA_COMMENT] = {NOT_FINAL, SAME, SAME, ROLE_ALL},   /* citizens add to their own reports */
};

int case_transition(enum case_state from, enum case_action a, int outcome, enum case_state *to,
                    struct err *err)
{
    if ((unsigned)a >= CASE_ACTION_COUNT || (unsigned)from >= CASE_STATE_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "action", "unknown action or state");
    if (!(rules[a].from & (1u << from)))
        return err_field(err, ERR_CONFLICT, "action", "action '%s' is not allowed in state '%s'",
                         action_names[a], state_names[from]);
    int t = outcome && rules[a].to_alt != SAME ? rules[a].to_alt : rules[a].to;
    *to = t == SAME ? from : (enum case_state)t;
    return 0;
}

unsigned case_action_roles(enum case_action a)
{
    return (unsigned)a < CASE_ACTION_COUNT ? rules[a].roles : 0;
}
