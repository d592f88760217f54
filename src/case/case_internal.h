/* Declarations shared by the files of the case module only. */
#ifndef GRIDLOOP_CASE_CASE_INTERNAL_H
#define GRIDLOOP_CASE_CASE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cal/cal.h"
#include "case/case.h"
#include "core/mem.h"
#include "store/store.h"

struct err;
struct org_sla;
struct store_stmt;

int case_actor_in_departments(const struct case_actor *actor, int64_t dept);

/* Hotline and command-centre roles: they see every case unless bound to a region. */
#define CASE_WIDE_ROLES                                                                            \
    (ROLE_OPERATOR | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_GRID_WORKER)

/* The columns of a case record and the joins they need (alias c for cases), in the order
 * case_read_row() reads them. */
#define CASE_COLS                                                                                                 \
    "c.id, c.number, c.check_code, c.channel, c.title, c.description, coalesce(c.category_id, 0), k.name, "       \
    "c.urgency, c.lat, c.lon, c.address, coalesce(c.region_id, 0), c.region_code, r.name, c.citizen_name, "       \
    "c.citizen_phone_mask, c.anonymous, coalesce(c.created_by, 0), c.state, c.version, "                          \
    "coalesce(c.lead_department_id, 0), d.name, coalesce(c.master_id, 0), c.sla_unit, "                           \
    "coalesce(c.dispatched_at, 0), coalesce(c.signed_at, 0), coalesce(c.replied_at, 0), "                         \
    "coalesce(c.closed_at, 0), coalesce(c.sign_deadline, 0), coalesce(c.reply_deadline, 0), "                     \
    "coalesce(c.resolve_deadline, 0), c.sign_late, c.overdue, c.urge_count, c.return_count, "                     \
    "c.rectify_round, c.escalated, c.pending_request, coalesce(c.pending_until, 0), "                             \
    "coalesce(c.paused_at, 0), coalesce(c.reply_solved, -1), coalesce(c.reply_contacted, -1), "                   \
    "coalesce(c.satisfaction, ''), c.created_at, c.updated_at, "                                                  \
    "(SELECT group_concat(department_id) FROM case_departments x WHERE x.case_id = c.id AND x.role = 'assist'), " \
    "coalesce(c.triage_category_id, 0), coalesce(c.triage_department_id, 0), coalesce(c.triage_prob, 0), "        \
    "c.public_consent, c.kind "
#define CASE_FROM_TABLES                                                                                \
    "cases c LEFT JOIN categories k ON k.id = c.category_id LEFT JOIN regions r ON r.id = c.region_id " \
    "LEFT JOIN departments d ON d.id = c.lead_department_id "
#define CASE_FROM "FROM " CASE_FROM_TABLES

/* One row of "SELECT " CASE_COLS CASE_FROM ... into 'r'; strings in the arena. */
void case_read_row(struct store_stmt *s, struct arena *a, struct case_rec *r);

/* 'v' is 'min'..'max' characters (NULL counts as empty); else ERR_BAD_REQUEST naming 'field'. */
int case_check_text(const char *v, const char *field, size_t min, size_t max, struct err *err);

/* ---- one write transaction (case_tx.c) ---- */

/* What a write carries through its transaction: the environment, an arena for the strings it
 * builds (released when the write ends) and the error to fill. */
struct case_tx {
    const struct case_env *env;
    struct arena arena;
    struct err *err;
    int64_t *touched; /* cases whose roll-up contribution is out until case_tx_settle (arena) */
    size_t ntouched, captouched;
};

/* The assessment's daily roll-ups (case_rollup.c): take case 'case_id''s contribution out
 * before the first write to it in this transaction (again for the same case: nothing), and put
 * every touched case's contribution back just before the commit. */
int case_tx_touch(struct case_tx *t, int64_t case_id);
int case_tx_settle(struct case_tx *t);

/* Append a timeline event by the actor of the environment ("system" when it has no user). */
int case_tx_event(struct case_tx *t, int64_t case_id, const char *action, const char *from,
                  const char *to, int64_t dept, const char *note, const char *payload,
                  int64_t *event_id);
/* Queue a notification caused by event 'event_id'; recipient_id 0 = the whole group. */
int case_tx_notify(struct case_tx *t, int64_t case_id, int64_t event_id, const char *recipient_kind,
                   int64_t recipient_id, const char *kind, const char *message);
/* A compact description of the case state for audit digests. */
char *case_tx_summary(struct case_tx *t, const struct case_rec *r);
/* The audit entry "case.<action>" of case 'case_id', through the environment's hook. */
int case_tx_audit(struct case_tx *t, const char *action, int64_t case_id, const char *before,
                  const char *after);
/* Run one statement to its end (UPDATE, INSERT, DELETE). */
int case_tx_exec(struct case_tx *t, const char *sql, struct store_args args);
/* One write in one transaction: fn(t, arg), the roll-ups settled, committed; rolled back when fn
 * fails. */
typedef int case_tx_fn(struct case_tx *t, void *arg);
int case_tx_run(const struct case_env *env, case_tx_fn *fn, void *arg, struct err *err);
/* The sweeps' loop: each id 'sql' answers (at most 256) in its own transaction through fn; an
 * error rolls back and stops. '*done' counts the commits (one whose fn found nothing left to do,
 * because another node's sweep got there first, counts too). */
typedef int case_tx_id_fn(struct case_tx *t, int64_t id);
int case_tx_each(const struct case_env *env, const char *sql, struct store_args args,
                 case_tx_id_fn *fn, int *done, struct err *err);

/* The limits of a case: the urgency's when it overrides, else the category's, else the default. */
int case_sla_for(struct case_tx *t, int64_t category_id, enum case_urgency urgency,
                 struct org_sla *out);
/* 'amount' of 'unit' from now on the working calendar. */
int case_deadline(struct case_tx *t, int amount, enum cal_unit unit, int64_t *out);

/* ---- the action table (case_state.c) and the apply functions (case_actions.c) ---- */

/* What an apply function decides for the event of its action. */
struct case_step {
    enum case_state to;  /* where the case goes (case_transition) */
    int outcome;         /* the branch taken (row outcome), 0 for actions with one */
    int64_t dept;        /* the department on the event: the lead after the action */
    const char *note;    /* the event's note */
    const char *payload; /* the event's payload, a JSON object text */
};

/* Runs inside the action's transaction before its event is written: checks what the row cannot
 * (e.g. an extension before the deadline), updates the cases row and fills 's'. */
typedef int case_apply_fn(struct case_tx *t, const struct case_rec *r,
                          const struct case_action_in *in, struct case_step *s);
/* Runs after the event 'event_id' and the row's notification (rectification, merged duplicates). */
typedef int case_follow_fn(struct case_tx *t, const struct case_rec *r,
                           const struct case_action_in *in, const struct case_step *s,
                           int64_t event_id);
/* The branch of an action with two targets (case_transition's 'outcome'): 0 or 1, or a negative
 * ERR_* (t->err filled) when what decides it cannot be read. */
typedef int case_outcome_fn(struct case_tx *t, const struct case_rec *r,
                            const struct case_action_in *in);

enum case_pending_rule {
    CASE_PENDING_ANY,
    CASE_PENDING_NONE,   /* a request already waiting is ERR_CONFLICT */
    CASE_PENDING_NEEDED, /* no request waiting is ERR_CONFLICT */
};

enum case_recipient {
    CASE_TO_NOBODY,
    CASE_TO_DEPARTMENT, /* the step's department */
    CASE_TO_DISPATCHERS,
    CASE_TO_SUPERVISORS,
    CASE_TO_REPORTER, /* the user who reported, when there is one */
    CASE_TO_ASSIGNEE, /* the user the action assigns the case to */
};

/* The text of a notification: a format taking the case number and this detail. */
enum case_detail { CASE_DETAIL_NONE, CASE_DETAIL_TITLE, CASE_DETAIL_NOTE };

struct case_notice {
    enum case_recipient to;
    const char *kind; /* NULL = the action's name */
    const char *text;
    enum case_detail detail;
    int assisting; /* also each assisting department the action names ("assist") */
};

/* The index of 'name' in a table of enum names ("" entries never match), or -1: every
 * *_from_name of the module. */
int case_name_lookup(const char *const *names, int n, const char *name);

struct case_action_row {
    unsigned from; /* bit per state the action is allowed in */
    int to;        /* enum case_state, or -1 = the same state */
    int to_alt;    /* the target of outcome 1, -1 = none */
    struct case_action_info info;
    const char *note_what; /* what a required note says, for the 400 ("the reason for ...") */
    enum case_pending_rule pending;
    case_outcome_fn *outcome; /* NULL = 0 */
    struct case_notice notice;
    case_apply_fn *apply;          /* NULL = the state change and the event only */
    case_follow_fn *follow;        /* may be NULL */
    struct case_notice alt_notice; /* for outcome 1 when it has a recipient, else 'notice' */
};

/* The row of 'a' (in range). */
const struct case_action_row *case_action_row(enum case_action a);

/* One action on 'r' inside the caller's transaction, checked and applied as case_act does
 * (event, notification, follow-up, audit); '*after' in 'a'. For writes that take an action as
 * one of their steps (an upheld appeal reopens the case). */
int case_tx_act(struct case_tx *t, const struct case_rec *r, const struct case_action_in *in,
                struct arena *a, struct case_rec *after);

/* Merged duplicates of 'master' follow it: an event 'action' each, and state 'final_state'. */
int case_follow_master(struct case_tx *t, const struct case_rec *master, const char *action,
                       enum case_state final_state);
/* How an input is given, for the 400 that asks for it: "(id)", "(true or false)", ... */
const char *case_input_hint(enum case_input i);

case_apply_fn case_apply_answer, case_apply_dispatch, case_apply_reject_return, case_apply_sign,
    case_apply_return, case_apply_extend, case_apply_hang, case_apply_decide, case_apply_resume,
    case_apply_urge, case_apply_reply, case_apply_evaluate, case_apply_merge, case_apply_close,
    case_apply_reopen, case_apply_invalidate, case_apply_accept, case_apply_assign;
case_follow_fn case_follow_reply, case_follow_rectify;
case_outcome_fn case_outcome_unsatisfied, case_outcome_hang, case_outcome_review,
    case_outcome_replied_from;

/* 协办单 of a dispatch (case_assist.c), after its case_departments rows: a sub-task for each
 * assisting department without an open one (sign limit 'sign', deadline 'reply'), the open
 * sub-tasks of a dispatch whose department no longer assists cancelled, and the departments of
 * open whistle sub-tasks kept assisting. */
int case_assist_on_dispatch(struct case_tx *t, const struct case_rec *r,
                            const struct case_action_in *in, int64_t sign, int64_t reply);

/* ---- the citizen's phone (case_phone.c) ---- */

/* Sealed for storage (base64 secretbox) and its keyed hash for matching, in the arena. */
int case_phone_seal(const struct case_config *cfg, const char *phone, struct arena *a, char **enc,
                    char **hash, struct err *err);

/* ---- a grid worker's tasks (case_grid.c) ---- */

/* After the case's create event: a verification task for the worker of its grid when a rule asks
 * for it and the report is from the public or a sensor (not a grid worker's own). */
int case_task_on_intake(struct case_tx *t, int64_t case_id, const struct case_new *in);
/* Repeat complaints at intake (case_repeat.c), in two steps around the case's INSERT, so that
 * what they decide for the case's own row (its chain's root, an urgency raised) is written with
 * it: an UPDATE right after would write the row again (on PostgreSQL, often a new version in
 * every index of cases). case_repeat_find: the earlier cases the new case links to ('hash' its
 * caller's phone hash, "" none; 'urgency' the one it came with). case_repeat_record, once the
 * case is 'id': the links, the timeline's words, the supervisors told; fills out->repeat*. */
struct case_repeat_link {
    int64_t id, root; /* root: the chain the earlier case belongs to (its repeat_root, or itself) */
    int reason, unsolved;
};
struct case_repeat_found {
    struct case_repeat_link v[CASE_REPEAT_MAX];
    int n;
    int64_t root; /* the new case's chain: 0 when it has no caller's or place's link */
    int unsolved; /* of the caller's and the place's links, those unsolved */
    int raise;    /* unsolved reaches CASE_REPEAT_URGENT */
    int urgency;  /* what the case is stored with: urgent when raised from normal */
};
int case_repeat_find(struct case_tx *t, const struct case_new *in, const char *hash, int urgency,
                     struct case_repeat_found *f);
int case_repeat_record(struct case_tx *t, int64_t id, const struct case_repeat_found *f,
                       int urgency, struct case_created *out);
/* When a case becomes replied: a check task when a rule asks for it and its grid has a worker. */
int case_task_on_replied(struct case_tx *t, const struct case_rec *r);
/* ERR_CONFLICT when case 'r' waits for an open task of 'kind' ("verify", "check"): the dispatch
 * waits for 核实, the closure for 核查. */
int case_task_waiting(struct case_tx *t, const struct case_rec *r, const char *kind);
/* Back to the lead department with a rectification deadline (case_actions.c); a failed check. */
int case_rectify(struct case_tx *t, const struct case_rec *r, int64_t event_id, int *escalated);

#endif /* GRIDLOOP_CASE_CASE_INTERNAL_H */
