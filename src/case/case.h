/*
 * case: the closed loop. Every request becomes a case that is dispatched (派单), signed
 * (签收), handled, replied to (办结), evaluated by the citizen (回访/评价) and, when the citizen
 * is unsatisfied, rectified (整改/重办) — with returns (退单), extensions (延期), suspension
 * (挂账), urging (督办), merging (并单), cancelling (作废) and closing (归档) around it.
 *
 * Model: the timeline (case_events) is the record of what happened; the cases row is its
 * materialised current state, updated in the same transaction as every event. Each action is
 * checked against one table of (state, action) pairs and one table of roles; an illegal pair
 * is ERR_CONFLICT naming both. Writes carry the version the caller saw; a stale version is
 * ERR_CONFLICT too. Deadlines come from the category's SLA on the working calendar.
 *
 * Layering: no HTTP or JSON here. The caller (api) resolves locations to regions, loads the
 * calendar, owns nothing of the transaction: case_create/case_act/case_sweep begin and commit
 * their own (case_create_in_tx runs inside the caller's), and take an audit hook so the audit
 * entry commits with the change.
 *
 * Threading: no state of its own; a connection is used only by the thread that owns it.
 * Ownership: output records and their strings live in the caller's arena.
 */
#ifndef GRIDLOOP_CASE_CASE_H
#define GRIDLOOP_CASE_CASE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct cal;
struct err;
struct store_conn;

enum case_state {
    CASE_NEW,        /* 受理: waiting for dispatch */
    CASE_DISPATCHED, /* 派单: waiting for the lead department to sign */
    CASE_RETURNED,   /* 退单: the department refused; the dispatcher reviews */
    CASE_PROCESSING, /* 签收/办理 */
    CASE_HANGING,    /* 挂账: approved suspension, the clock is stopped */
    CASE_REPLIED,    /* 办结: waiting for the citizen's evaluation */
    CASE_RECTIFYING, /* 整改/重办: reopened after an unsatisfied evaluation */
    CASE_CLOSED,     /* 归档 */
    CASE_CANCELLED,  /* 作废 */
    CASE_MERGED,     /* 并单: follows its master case */
    CASE_REVIEWING,  /* 办结审核: a reply waits for the centre (review rules, case_review_*) */
    CASE_STATE_COUNT
};

enum case_action {
    CA_ANSWER, /* 直接答复: an operator answers a consultation and closes it */
    CA_DISPATCH,
    CA_REDISPATCH,    /* 改派, also "accept the return, send elsewhere" */
    CA_REJECT_RETURN, /* the return is refused: back to the same department */
    CA_SIGN,
    CA_RETURN,
    CA_EXTEND, /* request; a supervisor approves or denies */
    CA_HANG,   /* request; a supervisor approves or denies */
    CA_APPROVE,
    CA_DENY,
    CA_RESUME, /* end a 挂账; the clock runs again */
    CA_URGE,
    CA_REPLY,
    CA_EVALUATE,
    CA_RECTIFY,
    CA_MERGE,
    CA_CLOSE,
    CA_CANCEL,
    CA_REOPEN,     /* closed → processing again; supervisors only */
    CA_COMMENT,    /* a note on the timeline by anyone involved */
    CA_WITHDRAW,   /* 撤回: the reporter takes a report back before it is dispatched */
    CA_INVALIDATE, /* 无效回访: the latest callback is asked to be left out of the assessment
                    * (a reason of enum case_invalid_reason); a supervisor approves or denies */
    CA_ACCEPT,     /* 办结审核: the centre accepts a reply under review; the citizen gets it */
    CA_SEND_BACK, /* 办结审核: the centre sends a reply back to the department, with a reason */
    CA_ASSIGN,    /* the one grid worker (or person) the case is assigned to: cases.assignee_id */
    CASE_ACTION_COUNT
};

/* Limits of what a case carries, in characters (UTF-8 code points); the API's schemas use them. */
#define CASE_TITLE_MAX 200
#define CASE_DESCRIPTION_MAX 5000
#define CASE_ADDRESS_MAX 200
#define CASE_CITIZEN_NAME_MAX 50
#define CASE_PHONE_MAX 32  /* characters of a phone number as written (case_phone_check) */
#define CASE_NOTE_MAX 2000 /* a note, reason, comment or instruction on the timeline */
#define CASE_RESULT_MAX CASE_DESCRIPTION_MAX /* the result of a reply */
#define CASE_LAT_MIN (-90.0)
#define CASE_LAT_MAX 90.0
#define CASE_LON_MIN (-180.0)
#define CASE_LON_MAX 180.0

enum case_channel {
    CH_HOTLINE,
    CH_WEB,
    CH_APP,
    CH_WECHAT,
    CH_GRID,
    CH_SENSOR,
    CH_OPEN311,
    CH_OTHER,
    CASE_CHANNEL_COUNT
};
enum case_urgency { CU_NORMAL, CU_URGENT, CU_EMERGENCY };
enum case_satisfaction { CS_NONE, CS_SATISFIED, CS_BASICALLY, CS_UNSATISFIED };
/* 诉求类型: what the caller asks for. Reported and assessed per kind; a consultation may be
 * answered on the line (the answer action). */
enum case_kind {
    CK_COMPLAINT,  /* 投诉: the commonest, and what a case without a kind is */
    CK_CONSULT,    /* 咨询 */
    CK_HELP,       /* 求助 */
    CK_REPORT,     /* 举报 */
    CK_SUGGESTION, /* 建议 */
    CK_PRAISE,     /* 表扬 */
    CASE_KIND_COUNT
};

const char *case_state_name(enum case_state s);
int case_state_from_name(const char *name); /* -1 if unknown */
const char *case_action_name(enum case_action a);
int case_action_from_name(const char *name);
const char *case_channel_name(enum case_channel c);
int case_channel_from_name(const char *name);
const char *case_urgency_name(enum case_urgency u);
int case_urgency_from_name(const char *name);
const char *case_satisfaction_name(enum case_satisfaction s);
int case_satisfaction_from_name(const char *name);
const char *case_kind_name(enum case_kind k);
int case_kind_from_name(const char *name); /* -1 if unknown */

/* 1 for states in which the loop is finished (closed, cancelled, merged). */
int case_state_is_final(enum case_state s);

/*
 * The state an action leads to from 'from', or ERR_CONFLICT ("action 'sign' is not allowed
 * in state 'new'"). 'outcome' picks between branches where the action has two: for
 * CA_EVALUATE 1 = unsatisfied (→ rectifying) else closed; for CA_APPROVE 1 = a 挂账 request
 * (→ hanging) else an extension (same state). Pure; the unit test walks every pair.
 */
int case_transition(enum case_state from, enum case_action a, int outcome, enum case_state *to,
                    struct err *err);

/* Roles (auth.h ROLE_* bits) allowed to take an action. */
unsigned case_action_roles(enum case_action a);

/* ---- what each action asks of its caller (one row of the table in case_state.c) ---- */

/* The inputs an action may carry besides its note, named as in the API. */
enum case_input {
    CI_DEPARTMENT,   /* the lead department (id) */
    CI_ASSISTING,    /* assisting departments (ids) */
    CI_CATEGORY,     /* a category (id) */
    CI_UNTIL,        /* a time */
    CI_RESULT,       /* the text of a reply */
    CI_SATISFACTION, /* of an evaluation, before its optional facts: forms follow this order */
    CI_CONTACTED,    /* booleans of a reply or an evaluation */
    CI_SOLVED,
    CI_MASTER,         /* another case (id) */
    CI_INVALID_REASON, /* why a callback is not valid (case_invalid_reason_name) */
    CI_ARTICLE,        /* a knowledge-base article (id) a 直接答复 was given from */
    CI_ASSIGNEE,       /* a grid worker (user id) */
    CASE_INPUT_COUNT
};
/* Why a callback does not count (有效回访, as Beijing's 12345 assessment rules have it). */
enum case_invalid_reason {
    CIR_NONE,
    CIR_UNREASONABLE, /* 不合理诉求 */
    CIR_DUPLICATE,    /* 重复诉求 */
    CIR_OUT_OF_AREA,  /* 非本辖区 */
    CIR_UNREACHABLE,  /* 联系不上诉求人 */
    CASE_INVALID_REASON_COUNT
};
const char *case_invalid_reason_name(enum case_invalid_reason r);
int case_invalid_reason_from_name(const char *name); /* -1 if unknown */
/* The input's member name ("department", "assisting", ...), and its kind for a form: "department",
 * "departments", "category", "datetime", "text", "boolean", "satisfaction" or "case". */
const char *case_input_name(enum case_input i);
const char *case_input_type(enum case_input i);

enum case_note_rule { CASE_NOTE_NONE, CASE_NOTE_OPTIONAL, CASE_NOTE_REQUIRED };
const char *case_note_rule_name(enum case_note_rule n); /* "none", "optional", "required" */

/* Whom an actor of a bound role must be to take the action on a case. */
enum case_binding {
    CASE_BIND_NONE,
    CASE_BIND_LEAD,     /* a handler of the case's lead department */
    CASE_BIND_INVOLVED, /* of its lead or an assisting department, or the citizen who reported it */
    CASE_BIND_REPORTER, /* the citizen who reported it */
};

struct case_action_info {
    const char *label; /* the UI's string key: "action.sign" */
    enum case_note_rule note;
    const char *note_label; /* the UI's string key of the note's label: "field.reason" */
    unsigned required;      /* bits (1u << enum case_input) the action needs */
    unsigned accepted;      /* bits it reads (the required ones among them); others are ignored */
    unsigned roles;         /* = case_action_roles() */
    /* An actor whose roles that admit the action are all among 'bound_roles' (and who is not an
     * admin) takes it only under 'binding'; e.g. resume: a handler for its lead department, a
     * supervisor anywhere. */
    unsigned bound_roles;
    enum case_binding binding;
};

/* The row of 'a'; NULL when out of range. */
const struct case_action_info *case_action_info(enum case_action a);

/* Who acts: copied from the session by the caller. */
struct case_actor {
    int64_t user_id; /* 0 = the system (sweeper) */
    const char *name;
    unsigned roles;
    const int64_t *depts; /* departments a handler acts for */
    int ndepts;
    const char *region_code; /* NULL = no region restriction */
};

/* Tunables (from the process configuration). */
struct case_config {
    int rectify_rounds;        /* unsatisfied rounds before escalation to supervisors (2) */
    int rectify_hours_general; /* 24 */
    int rectify_hours_complex; /* 72 */
    const unsigned char *key;  /* 32-byte secretbox key for citizen phones */
};

/* Called inside the case transaction to append the audit entry of the change. */
typedef int case_audit_fn(void *ctx, struct store_conn *c, const char *action, const char *target,
                          const char *before, const char *after, struct err *err);

struct case_env {
    struct store_conn *conn;
    const struct cal *cal;
    const struct case_config *cfg;
    const struct case_actor *actor;
    int64_t now;
    case_audit_fn *audit; /* may be NULL (tests) */
    void *audit_ctx;
};

struct case_new {
    enum case_channel channel;
    const char *title;       /* 1..200 characters */
    const char *description; /* 1..5000 characters */
    int64_t category_id;     /* 0 = not classified yet */
    int urgency;             /* enum case_urgency, or -1 = the category's */
    enum case_kind kind;     /* 诉求类型 (0: a complaint) */
    int has_location;
    double lat, lon;
    const char *address;       /* may be NULL */
    int64_t region_id;         /* resolved by the caller from lat/lon; 0 = none */
    const char *citizen_name;  /* may be NULL */
    const char *citizen_phone; /* may be NULL; stored encrypted */
    int anonymous;
    /* The citizen agreed that the report may be published (Open311, docs/open311.md). */
    int public_consent;
    /* What triage suggested (all 0/NULL when it did not run). The payload, a JSON object
     * text built by the caller (model version, scores, the "why"), becomes the payload of a
     * "triage" event by the system, right after "create". */
    int64_t triage_category_id;
    int64_t triage_department_id;
    double triage_prob;
    const char *triage_payload;
    /* Optional (NULL): how intake placed the case from its address (geocoding against the
     * register): the note and payload (a JSON object text) of a "locate" event by the
     * system, right after "create" and "triage", whether it found the place or not. */
    const char *locate_note;
    const char *locate_payload;
    /* Optional (NULL): the client's key for this intake (Idempotency-Key). A second intake
     * by the same user with the same key within a day creates nothing and answers the first
     * one's case (case_created.replayed). */
    const char *idempotency_key;
};

/* The check code given to the citizen with the number: new cases get CASE_CHECK_CODE_DIGITS
 * random digits (10^10: a guess at a time stays hopeless under the lookup limits); codes of
 * older cases have 6 and keep working. */
#define CASE_CHECK_CODE_DIGITS 10
#define CASE_CHECK_CODE_MAX 16

struct case_created {
    int64_t id;
    char number[24];
    char check_code[CASE_CHECK_CODE_MAX + 1];
    int replayed; /* 1: an earlier intake with the same idempotency key made this case */
    /* Repeat complaints linked at intake (case_repeat.c): how many earlier cases, how many of
     * the caller's or the place's were unsolved, and the timeline's words for it ("" none). */
    int repeats, repeats_unsolved;
    /* The chain of the caller's or the place's repeat complaints (the oldest root among the
     * cases linked, kept in cases.repeat_root): one chain's warnings group by it. 0: none. */
    int64_t repeat_root;
    char repeat_note[256];
};

/* Repeat complaints (重复诉求, docs/warning.md §1): what intake links a case to. */
#define CASE_REPEAT_DAYS 30
#define CASE_REPEAT_METRES 100
#define CASE_REPEAT_MAX 6         /* earlier cases linked at most (the newest of each reason) */
#define CASE_REPEAT_SUBJECT_MAX 2 /* of them, by subject alone: a busy grid has many */
#define CASE_REPEAT_SCAN 50       /* newest cases of the grid and category looked at */
#define CASE_REPEAT_URGENT 2      /* unsolved earlier ones (caller or place) that make it urgent */
struct case_repeat {
    int64_t id;
    const char *number, *title, *state, *reason; /* reason: caller, place, subject */
    int64_t created_at;
    int unsolved; /* at the time of the link */
    int later;    /* 1: a later case linked to this one; 0: an earlier one it is linked to */
};
/* The chain of case 'id': the earlier cases it was linked to and the later ones linked to it,
 * oldest first. Arena. */
int case_repeat_list(struct store_conn *c, int64_t id, struct arena *a, struct case_repeat **out,
                     size_t *n, struct err *err);

/* Idempotency keys: 1..CASE_IDEMPOTENCY_KEY_MAX printable ASCII characters, no spaces. */
#define CASE_IDEMPOTENCY_KEY_MAX 64
#define CASE_IDEMPOTENCY_KEY_TTL (24 * 3600)
int case_idempotency_key_check(const char *key, const char *field, struct err *err);
/* A note by the system on case 'id''s timeline inside the caller's write transaction, its state
 * unchanged: an event 'action' (one the policy table lists) with 'note' and 'payload' (a JSON
 * object text or NULL), and its audit entry "case.<action>". A sensor's recovery on the case its
 * breach opened, written with the reading that ended it. */
int case_note_in_tx(const struct case_env *env, int64_t id, const char *action, const char *note,
                    const char *payload, struct err *err);
/* Forget keys recorded before 'before' (the sweeper, hourly). */
int case_intake_keys_expire(struct store_conn *c, int64_t before, struct err *err);

/* 0 if 'phone' is a phone number: 5 to 20 digits, with '+', '-', spaces and brackets only; else
 * ERR_BAD_REQUEST naming 'field', with one message whatever the fault. */
int case_phone_check(const char *phone, const char *field, struct err *err);

/* Validate (ERR_BAD_REQUEST naming the field) and create a case in state new. */
int case_create(const struct case_env *env, const struct case_new *in, struct case_created *out,
                struct err *err);
/* The same inside the caller's write transaction (e.g. a store_writer job under its
 * savepoint): nothing is begun or committed here, and on failure the caller rolls back.
 * The case enters the full-text index when someone runs case_index_pending() later. */
int case_create_in_tx(const struct case_env *env, const struct case_new *in,
                      struct case_created *out, struct err *err);

/* Add the cases created since the last call to the full-text index, in one statement (per-row
 * FTS5 writes inside a transaction cost ten times more; migration 0005), inside a write
 * transaction: the one that created them or a later one (the app runs it at most every 0.1 s,
 * and before a text search). Cheap when there is nothing new. */
int case_index_pending(struct store_conn *c, struct err *err);
/* *behind = 1 when some case is not in the full-text index yet (always 0 on PostgreSQL,
 * whose trigram indexes are maintained with the rows). A read. */
int case_index_behind(struct store_conn *c, int *behind, struct err *err);

/* Boilerplate (套话): how many other cases, and of how many departments, got a reply with the
 * same fingerprint (triage_reply_print) as the case's latest reply since 'since'; 0 and 0
 * when its reply has none (too short, or written before fingerprints were kept). A read. */
int case_reply_reused(struct store_conn *c, int64_t case_id, int64_t since, int64_t *cases,
                      int64_t *departments, struct err *err);

struct case_rec {
    int64_t id;
    const char *number;
    const char *check_code;
    enum case_channel channel;
    const char *title;
    const char *description;
    int64_t category_id;
    const char *category_name;
    enum case_urgency urgency;
    enum case_kind kind;
    int has_location;
    double lat, lon;
    const char *address;
    int64_t region_id;
    const char *region_code;
    const char *region_name;
    const char *citizen_name; /* as stored; callers mask it for display */
    const char *citizen_phone_mask;
    int anonymous;
    int public_consent; /* may be published (case_new) */
    int64_t created_by;
    enum case_state state;
    int64_t version;
    int64_t lead_department_id;
    const char *lead_department_name;
    int64_t assisting[8];
    int nassisting;
    int64_t master_id;
    const char *sla_unit;
    int64_t dispatched_at, signed_at, replied_at, closed_at;
    int64_t sign_deadline, reply_deadline, resolve_deadline;
    int sign_late;
    int overdue;
    int urge_count;
    int return_count;
    int rectify_round;
    int escalated;
    const char *pending_request; /* NULL, "extend" or "hang" */
    int64_t pending_until;
    int64_t paused_at;
    int reply_solved; /* -1 unknown */
    int reply_contacted;
    enum case_satisfaction satisfaction;
    int64_t created_at, updated_at;
    int64_t triage_category_id; /* what triage suggested at intake; 0 = nothing */
    int64_t triage_department_id;
    double triage_prob;
};

struct case_event_rec {
    int64_t id;
    int64_t at;
    int64_t actor_id;
    const char *actor_name;    /* the account's login name ("system" for the platform) */
    const char *actor_display; /* the account's display name for people to read; "" if none */
    const char *actor_role;
    const char *action;
    const char *from_state; /* NULL at creation */
    const char *to_state;
    int64_t department_id;
    const char *note;
    const char *payload; /* JSON object text */
    int public_note;     /* the note was written for the public (case_action_in.public_note) */
};

int case_get(struct store_conn *c, int64_t id, struct arena *a, struct case_rec *out,
             struct err *err);

/* What a cached rendering of case 'id' must match to be current: every action bumps the
 * version, and the newest timeline event also covers writes that do not (an attachment adds
 * an 'attach' event but leaves the version alone, so a client's pending action still applies).
 * One indexed read; ERR_NOT_FOUND when the case does not exist. */
struct case_stamp {
    int64_t version;
    int64_t updated_at;
    int64_t last_event;
};
int case_stamp_get(struct store_conn *c, int64_t id, struct case_stamp *out, struct err *err);
int case_get_by_number(struct store_conn *c, const char *number, struct arena *a,
                       struct case_rec *out, struct err *err);
/*
 * The public lookup: the case numbered 'number' if 'code' is its check code (spaces, '-' and
 * full-width digits allowed, as people copy codes). Failed attempts are counted per client
 * address 'ip' and per number over lim->window (the table lookup_failures, shared by every
 * process of the database); past either limit every attempt, right or wrong, is ERR_THROTTLED
 * with '*retry_after' seconds, so neither a wrong guess nor a right one tells anything. An
 * unknown number and a wrong code are the same ERR_NOT_FOUND.
 */
struct case_lookup_limits {
    int max_ip_failures;
    int max_case_failures;
    int window; /* seconds */
};
int case_lookup(struct store_conn *c, const char *number, const char *code, const char *ip,
                int64_t now, const struct case_lookup_limits *lim, struct arena *a,
                struct case_rec *out, int *retry_after, struct err *err);
/* A check code as typed into its canonical digits ('out', CASE_CHECK_CODE_MAX + 1 bytes):
 * ASCII or full-width digits, spaces and '-' dropped. -1 if anything else or too long. */
int case_check_code_normalize(const char *in, char *out);

/* The newest timeline event's id (0 when there is none): every write of a case adds one, so it
 * tells cheaply whether anything about cases changed (the public register's cache). */
int case_last_event(struct store_conn *c, int64_t *out, struct err *err);
/* The newest case's id (0 when there is none): how big the table is, cheaply. */
int case_last_id(struct store_conn *c, int64_t *out, struct err *err);
/* How many cases and timeline events there are (exact counts: a backup's manifest records
 * them, so a restore can show it got them all). */
int case_count_rows(struct store_conn *c, int64_t *cases, int64_t *events, struct err *err);

/* The assessment's daily roll-ups (table assess_daily, read by src/assess): every case write
 * through this module keeps them in its transaction. case_rollup_rebuild computes them again
 * from the raw facts in one transaction and marks them built (after a bulk load that bypassed
 * this module, or for a database from before them); case_rollup_built says whether they are. */
int case_rollup_rebuild(struct store_conn *c, struct err *err);
int case_rollup_built(struct store_conn *c, int *built, struct err *err);

/* Each case created at or after 'since' that is still open, to fn(ctx, case); the strings
 * are valid during the call only. For indexes kept in memory (triage's duplicate index). */
struct case_open {
    int64_t id, created_at;
    int has_location;
    double lat, lon;
    const char *title, *description;
    const char *address; /* may be NULL */
    int64_t category_id; /* the case's, else triage's; 0 = none */
};
typedef void case_open_fn(void *ctx, const struct case_open *c);
int case_scan_open(struct store_conn *c, int64_t since, case_open_fn *fn, void *ctx,
                   struct err *err);
/* The same for the open cases with first_id <= id <= last_id (the cases another process just
 * created: one group-commit batch's ids are consecutive). */
int case_scan_open_ids(struct store_conn *c, int64_t first_id, int64_t last_id, case_open_fn *fn,
                       void *ctx, struct err *err);

/* Of the cases among 'ids' (at most CASE_MANY_MAX, no id twice) those that exist, '*n' of
 * them in 'out' (CASE_MANY_MAX records), in no particular order, reading only what a list of
 * other cases shows and case_visible() needs: id, number, title, address, state, created_at,
 * and created_by, lead_department_id, assisting and region_code; every other field is zero.
 * Triage's duplicate candidates are read at every staff intake, where the whole records (four
 * joins, the description) cost the HTTP thread ~5%. */
#define CASE_MANY_MAX 16
int case_get_many_brief(struct store_conn *c, const int64_t *ids, int nids, struct arena *a,
                        struct case_rec *out, int *n, struct err *err);
int case_timeline(struct store_conn *c, int64_t id, struct arena *a, struct case_event_rec **out,
                  size_t *n, struct err *err);

/* 1 if the actor may see the case: staff without a scope see all; a handler sees cases of
 * its departments (lead or assisting); a region-bound user those in its subtree; a citizen
 * its own. Reads only fields that case_get_many_brief() fills: keep the two in step. */
int case_visible(const struct case_actor *actor, const struct case_rec *rec);

/* ---- policy: who sees and does what with a case's personal data (case_policy.c) ---- */

/* 1 if the actor sees the citizen's name in full: the citizen who reported it themself, and for a
 * report that is not anonymous the hotline and command centre (operator, dispatcher, supervisor,
 * admin), the staff member who took it and the lead department's handlers. An anonymous report
 * is anonymous to every staff role (docs/security.md). */
int case_policy_sees_name(const struct case_actor *a, const struct case_rec *r);
/* The citizen as the actor is shown it: the name in full, masked ("张**") or "匿名" for an
 * anonymous report (into 'name', 'size' bytes), and the masked phone, or "" when anonymous. */
void case_policy_citizen(const struct case_actor *a, const struct case_rec *r, char *name,
                         size_t size, const char **phone);
/* 0 if the actor may have the full phone number revealed (the caller audits it): whoever sees the
 * name, and never for an anonymous report; else ERR_FORBIDDEN. */
int case_policy_reveal_phone(const struct case_actor *a, const struct case_rec *r, struct err *err);
/* 1 if the actor may see who reported (the case's created_by, the reporter's account on its
 * timeline events): anyone who sees a report that is not anonymous; of an anonymous one only the
 * reporter. */
int case_policy_sees_reporter(const struct case_actor *a, const struct case_rec *r);

/* Who a timeline is rendered for. A case has exactly two renderings, so a cache keeps both:
 * staff (every staff role; an anonymous report's reporter is hidden) and its reporter (the
 * citizen who reported it and follows it: fixed texts for internal steps, no staff identities). */
enum case_audience { CASE_AUDIENCE_STAFF, CASE_AUDIENCE_REPORTER, CASE_AUDIENCE_COUNT };
enum case_audience case_policy_audience(const struct case_actor *a, const struct case_rec *r);
/* The one decision of what 'aud' sees of event 'e' of case 'r': 0 when the event is not shown at
 * all; else 1 with 'out' the event as shown (strings borrowed from 'e' or static): the actor
 * hidden (actor_id 0, actor_name and actor_role NULL) where it must not be seen, the note
 * replaced by a fixed text for internal steps, the payload "{}" where it is internal. */
int case_policy_event(enum case_audience aud, const struct case_rec *r,
                      const struct case_event_rec *e, struct case_event_rec *out);
/* 1 if the actor sees the check code: operators, admins and the citizen who reported. */
int case_policy_sees_check_code(const struct case_actor *a, const struct case_rec *r);
/* 1 if the actor sees what triage suggested at intake: staff. */
int case_policy_sees_suggestion(const struct case_actor *a);
/* 1 if the actor reports for themself (a citizen, not staff): its account's name and phone are
 * the report's unless given. */
int case_policy_reports_for_self(const struct case_actor *a);
/* 0 if the actor may report through 'ch'; ERR_BAD_REQUEST (field "channel") for a citizen on a
 * staff channel (hotline, grid, sensor). */
int case_policy_channel(const struct case_actor *a, enum case_channel ch, struct err *err);

/* ---- queries: lists with filters, work queues, cursor pagination ---- */

enum case_sort {
    CASE_SORT_CREATED,  /* created_at, newest first (default) */
    CASE_SORT_DEADLINE, /* resolve_deadline, soonest first; cases without one last */
    CASE_SORT_UPDATED,  /* updated_at, latest first */
    CASE_SORT_COUNT
};

/* Named work queues: presets of filters, combined (AND) with any explicit ones. "Their
 * departments" are the actor's when it is department-bound, else any department. */
enum case_queue {
    CQ_NONE,
    CQ_TO_SIGN,     /* department: dispatched to it as lead, waiting to be signed */
    CQ_TO_HANDLE,   /* department: processing or rectifying with it as lead */
    CQ_OVERDUE,     /* overdue and not finished (a department's: as lead) */
    CQ_TO_DISPATCH, /* dispatcher: new */
    CQ_RETURNED,    /* dispatcher: returned, to review */
    CQ_PENDING,     /* supervisor: extension or 挂账 requests awaiting approval */
    CQ_MINE,        /* citizen (anyone): the cases the actor created */
    CASE_QUEUE_COUNT
};

const char *case_sort_name(enum case_sort s);
int case_sort_from_name(const char *name); /* -1 if unknown */
const char *case_queue_name(enum case_queue q);
int case_queue_from_name(const char *name); /* -1 if unknown; "" is not a queue */

#define CASE_LIST_DEFAULT 50
#define CASE_LIST_MAX 200
#define CASE_CURSOR_MAX 112 /* bytes of an encoded cursor (80 raw bytes at most), with its NUL */
#define CASE_TEXT_MAX 100   /* characters of a text query */
#define CASE_NEAR_MAX 5000  /* metres: the widest 'near' circle */

/* Zero means "any" everywhere. */
struct case_filter {
    unsigned states;        /* bit (1u << enum case_state) per accepted state */
    unsigned channels;      /* bit per enum case_channel */
    unsigned urgencies;     /* bit per enum case_urgency */
    int64_t category_id;    /* the category and its subcategories */
    int64_t department_id;  /* lead or assisting */
    int64_t region_id;      /* the region's subtree */
    int overdue;            /* 1 overdue only, -1 not overdue only */
    int open;               /* 1 not finished (closed, cancelled, merged) only, -1 finished only */
    int64_t created_from;   /* created_at >= from */
    int64_t created_to;     /* created_at < to */
    unsigned kinds;         /* bit per enum case_kind */
    const char *text;       /* substring of title, description or address, 1..CASE_TEXT_MAX chars;
                            * a text of 2 to 4 Han characters also finds a citizen of that name */
    const char *number;     /* the case number, exactly */
    const char *phone_hash; /* the caller's keyed phone hash (auth_phone_hash): their cases */
    int mine;               /* created by the actor */
    /* Where on the map (cases without a point never match): a box, south <= lat <= north and
     * west <= lon <= east (has_box), and/or within near_m metres of (near_lat, near_lon)
     * (near_m > 0; CASE_NEAR_MAX at most). */
    int has_box;
    double south, west, north, east;
    double near_lat, near_lon, near_m;
    enum case_queue queue;
    enum case_sort sort;
    int limit;          /* 1..CASE_LIST_MAX; 0 = CASE_LIST_DEFAULT */
    const char *cursor; /* a next_cursor from the previous page; NULL = first page */
    int64_t total;      /* case_list_total's answer, carried in the next cursor (0: not known) */
    int total_capped;   /* 'total' is case_list_total's cap, a lower bound; carried with it */
    int counted;        /* 'total' was counted for this page, so a 0 is none (else not known) */
    /* A text of 1 or 2 characters has no trigram, so its page tests the cases one by one in
     * the list's order, in windows of the order (case_list): the first of scan_window cases
     * (0: 1,000), each next one four times as large up to CASE_SCAN_WINDOW_MAX. With
     * scan_ns > 0 a page stops early rather than begin a window that would end past scan_ns
     * (monotonic nanoseconds), of which scan_spent_ns were spent already (the first page's
     * count). 0: no bound (an export). A list of the actor's own cases is first read
     * straight through their index, for up to scan_ns of CPU time, and in windows only if that
     * runs out. */
    int64_t scan_ns;
    int64_t scan_spent_ns;
    int64_t scan_window;
    /* A category whose subtree holds at most this many cases has them collected and sorted
     * for a page; a larger one is collected only where that reads fewer cases than testing
     * each row in the list's order (case_query.c, category_plan). Set: that bound alone
     * decides (tests). 0: CASE_CATEGORY_RARE. */
    int64_t category_rare;
};

#define CASE_CATEGORY_RARE 2000

#define CASE_SCAN_WINDOW_MAX 4194304

/* The sort key of a case without a resolve deadline in the deadline sort (9999-12-31T23:59:59Z,
 * after all others). */
#define CASE_NO_DEADLINE 253402300799LL

/* The default cap of a list's total (the setting list_total_cap): counting every match of a
 * broad list reads every match (0.2-3 s on 1,000,000 cases for a common text, a handler's scope
 * or a scan), while its page is a few ms; beyond this many a count says "at least". */
#define CASE_TOTAL_CAP 10000

/*
 * One page of the cases matching 'f' that 'scope' may see: the visibility rules of
 * case_visible() are applied in the query, so a list never holds a case that case_visible()
 * would refuse. Sorted by f->sort, then by id, both in the same direction, which makes the
 * cursor (the last row's sort key and id, opaque) stable under inserts: a page never repeats
 * or skips a row that existed when the first page was read and kept its sort key.
 * The text is matched as a plain substring (never as FTS syntax): through the trigram index
 * from 3 characters, by a scan for 1-2.
 * '*out' (arena) gets '*n' records; 'next_cursor' (CASE_CURSOR_MAX bytes) gets the cursor of
 * the next page, or "" when this is the last. ERR_BAD_REQUEST names the field of a bad filter
 * ("state", "cursor", "q", "limit", "region", "category", ...); an unknown region or category
 * is a bad filter too.
 * A short text's page under f->scan_ns that used its time before it was full stops there: it
 * holds what it found, fewer than the limit (maybe nothing), 'next_cursor' continues the
 * reading where it stopped and '*stopped_key' (may be NULL; else 0 for a page that did not stop
 * short) gets the sort key reached, a time (CASE_NO_DEADLINE in the deadline sort past the last
 * deadline). The cases before that key were all tested.
 */
int case_list(struct store_conn *c, const struct case_filter *f, const struct case_actor *scope,
              struct arena *a, struct case_rec **out, size_t *n, char *next_cursor,
              int64_t *stopped_key, struct err *err);

/*
 * How many cases match 'f' for 'scope' (case_list's conditions, every page together): counted
 * for a first page; a cursor carries the total counted for its first page, which is answered
 * again without counting (a list's total is the count when its first page was read).
 * 'cap' > 0 counts at most cap + 1 matches: with more than 'cap', '*total' is 'cap' and
 * '*capped' 1 (a lower bound); else the exact count and 0. 'cap' 0 counts every match.
 * 'budget_ms' > 0 (with 'cap' > 0) also stops the count after that much work (the thread's CPU
 * time) where the store keeps budgets (store_time_limit(): SQLite): '*total' is then the
 * matches counted by then and '*capped' CASE_TOTAL_STOPPED, a lower bound too. A count that stays under the cap cannot stop at the cap (it
 * reads every match): a rare pair of filters without an index of its own, or a text with
 * other filters, reads much of the table. 0: no deadline. On PostgreSQL a text of one or two
 * characters is counted for at most half of f->scan_ns (when set), the rest left to its page.
 */
int case_list_total(struct store_conn *c, const struct case_filter *f,
                    const struct case_actor *scope, int64_t cap, int budget_ms, struct arena *a,
                    int64_t *total, int *capped, struct err *err);

/* '*capped' of case_list_total when its budget stopped the count (the cap gives 1). */
#define CASE_TOTAL_STOPPED 2

/*
 * A first page's capped total ('*total', '*capped': case_list_total's answer for 'f') against
 * the page itself, 'n' cases with 'more' after them: a count stopped by its budget may have
 * counted fewer than the page holds (a text with a state: 0 of 50 000 candidates read), so it
 * rises to n (still capped: more follow), and a first page with no next page holds every
 * match (the exact count, no longer capped). A total at the cap stays the cap. Later pages (f->cursor) and exact totals are left as
 * they are. case_list applies it to the total its cursor carries; a caller that shows the
 * total applies it too.
 */
void case_list_settle_total(const struct case_filter *f, size_t n, int more, int64_t *total,
                            int *capped);

/*
 * The cases created in [from, to) that 'scope' may see (case_list's visibility), counted per
 * region they lie in (a located case's grid; a case without a point its coarser region or
 * none): 'total' all but merged ones (duplicates of another), 'open' those not yet finished
 * (closed, cancelled, merged), 'overdue' the open ones past their deadline. '*out' (arena) gets
 * one row per region with cases, by code; the row of cases without a region has region_id 0.
 * For the dashboard's choropleth (GET /api/v1/stats/grids).
 */
struct case_region_count {
    int64_t region_id;
    const char *code, *name, *level; /* NULL for the row without a region */
    int64_t total, open, overdue;
};
int case_region_counts(struct store_conn *c, int64_t from, int64_t to,
                       const struct case_actor *scope, struct arena *a,
                       struct case_region_count **out, size_t *n, struct err *err);

/* The newest cases (at most 'max') created since 'since', except cancelled and merged ones, that
 * 'scope' may see (the conditions of case_list), newest first, to fn(ctx, case); the strings are
 * valid during the call only. 'author' is an opaque key, equal for reports by the same citizen
 * (the phone's hash, else the account, else the case): hot topics count authors with it. */
struct case_recent {
    int64_t id, created_at;
    const char *author, *title, *description;
};
typedef void case_recent_fn(void *ctx, const struct case_recent *c);
int case_scan_recent(struct store_conn *c, int64_t since, size_t max,
                     const struct case_actor *scope, case_recent_fn *fn, void *ctx,
                     struct err *err);

/* What an action carries. Unused fields are ignored; required ones are checked per action. */
struct case_action_in {
    enum case_action action;
    int64_t version;          /* the version the caller saw */
    const char *note;         /* free text on the timeline (reason, instruction, comment) */
    int64_t department_id;    /* dispatch, redispatch */
    const int64_t *assisting; /* dispatch, redispatch */
    int nassisting;
    int64_t until;      /* extend: the new deadline */
    const char *result; /* reply */
    int contacted;      /* reply, evaluate: 0/1, -1 absent */
    int solved;
    enum case_satisfaction satisfaction; /* evaluate */
    int64_t master_id;                   /* merge */
    int64_t category_id; /* dispatch: a dispatcher may (re)classify; 0 = keep. An explicit
                                      category is also a labelled example for triage (triage_examples) */
    int public_note;     /* comment: written for the public (published through Open311); only a
                          * comment may carry it, internal by default */
    enum case_invalid_reason invalid_reason; /* invalidate */
    int64_t article_id;                      /* answer: the knowledge-base article used (0: none) */
    int64_t assignee_id;                     /* assign: an active grid worker (user id) */
};

/*
 * Whether 'actor' may take action 'a' on 'rec' now: the one decision behind both case_act and
 * case_actions_available. In order: the action's roles (ERR_FORBIDDEN), the case's scope
 * (case_visible; ERR_FORBIDDEN "outside your scope"), the action's binding (ERR_FORBIDDEN), the
 * state (ERR_CONFLICT, as case_transition) and a pending extension or 挂账 request (ERR_CONFLICT:
 * approve and deny need one, extend and hang refuse a second). Admins pass the role and binding
 * tests. Pure; 'err' may be NULL.
 */
int case_action_check(const struct case_actor *actor, const struct case_rec *rec,
                      enum case_action a, struct err *err);

/* Apply one action: checks it (case_action_check, then the version, the note and the required
 * inputs), computes deadlines, writes the event, notifications and audit entry, and propagates to
 * merged cases. Reads the case inside its transaction. */
int case_act(const struct case_env *env, int64_t id, const struct case_action_in *in,
             struct err *err);

/* The same on 'rec', the case as the caller read it (and checked its scope on) before: not read
 * again; a write committed since is ERR_CONFLICT (field "version"), as a stale version is. On
 * success '*after' (strings in 'a') is the case as the action left it. */
int case_act_on(const struct case_env *env, const struct case_rec *rec,
                const struct case_action_in *in, struct arena *a, struct case_rec *after,
                struct err *err);

/* Actions this actor may take on the case now (for UIs): a bitmask over enum case_action, the
 * actions case_action_check() allows. */
unsigned case_actions_available(const struct case_actor *actor, const struct case_rec *rec);

/* The overdue sweeper: marks cases past their resolve deadline, writes one urge event per
 * working day overdue, escalates from the second, and notifies. Idempotent: levels already
 * urged are stored on the case, so a restart or a second run writes nothing new. */
struct case_sweep_report {
    int checked;
    int newly_overdue;
    int urged;
    int escalated;
    int grid_tasks_overdue;   /* grid tasks told overdue (case_task_sweep) */
    int grid_tasks_escalated; /* and escalated to the street */
};
int case_sweep(const struct case_env *env, struct case_sweep_report *rep, struct err *err);

/* The citizen's phone number in clear, for roles that need it (the caller audits it). */
int case_reveal_phone(const struct case_env *env, int64_t id, struct arena *a, const char **phone,
                      struct err *err);

/* ---- 办结审核: which replies the centre reviews (case_review.c, migration 0029) ---- */

/* A rule on a category covers its subtree; category_id 0 is the default for every category. The
 * nearest rule up the tree decides, then the default, then no review. */
struct case_review_rule {
    int64_t category_id;       /* 0: the default */
    const char *category_name; /* "" for the default */
    int review;                /* 1: replies wait for the centre; 0: they go to the citizen */
    int64_t updated_at;
};
/* '*needed' = 1 when a reply in category 'category_id' (0: none) waits for review. */
int case_review_needed(struct store_conn *c, int64_t category_id, int *needed, struct err *err);
/* Every rule, the default first; '*out' (arena) gets '*n'. */
int case_review_rule_list(struct store_conn *c, struct arena *a, struct case_review_rule **out,
                          size_t *n, struct err *err);
/* One rule; ERR_NOT_FOUND when the category has none. */
int case_review_rule_get(struct store_conn *c, int64_t category_id, struct arena *a,
                         struct case_review_rule *out, struct err *err);
/* Create or replace the rule of 'category_id' (0: the default); an unknown category is
 * ERR_BAD_REQUEST (field "category"). The caller audits it in its transaction. */
int case_review_rule_set(struct store_conn *c, int64_t category_id, int review, int64_t now,
                         int64_t user_id, struct err *err);
/* Remove it (ERR_NOT_FOUND when there is none): the category follows its parent again. */
int case_review_rule_delete(struct store_conn *c, int64_t category_id, struct err *err);

/* ---- 督办单: a supervisor's formal order on a case (case_order.c, migration 0030) ---- */

enum case_order_level {
    COL_GENERAL, /* 一般 */
    COL_KEY,     /* 重点 */
    COL_LISTED,  /* 挂牌 */
    CASE_ORDER_LEVEL_COUNT
};
enum case_order_state {
    COS_ISSUED,   /* waiting for the department's written answer */
    COS_ANSWERED, /* waiting for the supervisor */
    COS_ACCEPTED, /* done */
    CASE_ORDER_STATE_COUNT
};
/* What is done to an order after it is issued. */
enum case_order_step {
    COP_ANSWER,    /* the department's 书面答复 (handler of the order's department) */
    COP_ACCEPT,    /* the supervisor accepts the answer */
    COP_SEND_BACK, /* the supervisor sends it back with a reason: issued again */
    CASE_ORDER_STEP_COUNT
};
const char *case_order_level_name(enum case_order_level l); /* "general", "key", "listed" */
int case_order_level_from_name(const char *name);           /* -1 if unknown */
const char *case_order_state_name(enum case_order_state s);
int case_order_state_from_name(const char *name);
const char *case_order_step_name(enum case_order_step s); /* "answer", "accept", "send_back" */

#define CASE_ORDER_TEXT_MAX CASE_NOTE_MAX     /* an instruction, a reason */
#define CASE_ORDER_ANSWER_MAX CASE_RESULT_MAX /* the written answer */
#define CASE_ORDER_LIST_MAX 200

struct case_order {
    int64_t id, case_id;
    const char *case_number, *case_title, *region_code;
    int64_t department_id;
    const char *department_name;
    enum case_order_level level;
    const char *instruction;
    int64_t deadline;
    enum case_order_state state;
    const char *answer;        /* "" until answered */
    int64_t answered_at;       /* the latest answer, 0 = none */
    int64_t first_answered_at; /* 0 = never answered */
    const char *decision_note; /* the supervisor's last note ("" = none) */
    int64_t decided_at;
    int send_backs;
    int64_t issued_by;
    const char *issued_by_name;
    int64_t issued_at, updated_at, version;
};

struct case_order_in {
    enum case_order_level level;
    const char *instruction; /* 1..CASE_ORDER_TEXT_MAX characters */
    int64_t deadline;        /* the answer is due by then; after now */
};

/* Issue an order on case 'case_id' to its lead department: supervisors and admins, on a case they
 * see that is not finished and has a lead department. One transaction: the order, the case's
 * timeline event (order_issue), the department's notification and the audit entry. */
int case_order_issue(const struct case_env *env, int64_t case_id, const struct case_order_in *in,
                     int64_t *id, struct err *err);
/* A step on order 'id' at 'version': the answer (its text), accept (an optional note) or send
 * back (a reason, and a new deadline or 0 to keep it). Checked: who (ERR_FORBIDDEN), the state
 * (ERR_CONFLICT), the version (ERR_CONFLICT, field "version"), the text (ERR_BAD_REQUEST). Same
 * transaction shape as issuing. */
int case_order_act(const struct case_env *env, int64_t id, enum case_order_step step,
                   int64_t version, const char *text, int64_t deadline, struct err *err);

/* One order (strings in 'a'); ERR_NOT_FOUND also when 'scope' may not see it. */
int case_order_get(struct store_conn *c, int64_t id, const struct case_actor *scope,
                   struct arena *a, struct case_order *out, struct err *err);
/* 1 if 'scope' sees the order: the command centre (in its region when bound), the handlers of
 * its department, admins. */
int case_order_visible(const struct case_actor *scope, const struct case_order *o);
/* Steps 'actor' may take on it now: bits (1u << enum case_order_step). */
unsigned case_order_steps(const struct case_actor *actor, const struct case_order *o);
/* 0 if 'actor' may issue an order on case 'r': a supervisor or admin who sees it, the case not
 * finished and dispatched; else ERR_FORBIDDEN or ERR_CONFLICT saying why ('err' may be NULL). */
int case_order_issuable(const struct case_actor *actor, const struct case_rec *r, struct err *err);
/* 1 when waiting for the answer past its deadline at 'now'. */
int case_order_overdue(const struct case_order *o, int64_t now);

struct case_order_filter {
    unsigned states;       /* bits of enum case_order_state; 0 = any */
    unsigned levels;       /* bits of enum case_order_level; 0 = any */
    int64_t department_id; /* 0 = any */
    int64_t case_id;       /* 0 = any */
    int overdue;           /* 1: only those waiting for the answer past the deadline */
    int64_t now;
    int limit;      /* 1..CASE_ORDER_LIST_MAX */
    int64_t offset; /* rows to skip */
};
/* The orders 'scope' sees matching 'f': open ones first by deadline, then done ones, newest
 * first; '*total' counts every match. */
int case_order_list(struct store_conn *c, const struct case_order_filter *f,
                    const struct case_actor *scope, struct arena *a, struct case_order **out,
                    size_t *n, int64_t *total, struct err *err);

/* ---- the ladder: the level a case sits at (case_ladder.c, migration 0044, docs/grid.md §5) ---- */

/* Levels of the ladder, by height: a grid is 1, a district 4 (the ladder's tier). */
enum case_level {
    CASE_LEVEL_GRID = 1,
    CASE_LEVEL_COMMUNITY = 2,
    CASE_LEVEL_STREET = 3,
    CASE_LEVEL_DISTRICT = 4,
};
#define CASE_LEVEL_COUNT 5                  /* indexes 1..4 of per-level arrays */
const char *case_level_name(int tier);      /* "grid" ... "district"; "" for anything else */
int case_level_from_name(const char *name); /* 0 if unknown */

/* What the level holding a case may do. */
enum case_ladder_move {
    CLM_HANDLE,   /* 本级处置: the level says it handles the case itself */
    CLM_FORWARD,  /* 二级派单: down to a child region on the case's path */
    CLM_ESCALATE, /* 上报: up to the parent region, with a reason */
    CLM_MOVE_COUNT
};
const char *case_ladder_move_name(enum case_ladder_move m); /* "handle", "forward", "escalate" */

#define CASE_LADDER_TEXT_MAX 500
#define CASE_LADDER_STEPS_MAX 64 /* steps per case; a move past it is ERR_CONFLICT */

struct case_ladder_step {
    int seq; /* 1, 2, ... */
    int64_t region_id;
    const char *region_code, *region_name; /* arena */
    int tier;                              /* enum case_level */
    const char *came_by;                   /* "entry", "forward", "escalate" */
    const char *reason;                    /* "" when none */
    const char *actor_name;                /* who sent it here; "" for the entry */
    int64_t started_at, due_at;
    int64_t handling_at;      /* 0 until the level says it handles the case */
    const char *handler_name; /* "" when none */
    int64_t ended_at;         /* 0 while the case sits here (and the case is not finished) */
    const char *outcome;      /* "forwarded", "escalated"; "" while open */
    int overdue;              /* ended (or still open at 'now') after due_at */
};

struct case_ladder_target {
    int64_t id;
    const char *code, *name; /* arena */
};

struct case_ladder {
    int written;                    /* 0: no step stored yet; steps[0] is where the case entered */
    struct case_ladder_step *steps; /* arena; the last one is where the case sits */
    size_t nsteps;
    unsigned moves;                     /* bits of enum case_ladder_move the actor may take now */
    struct case_ladder_target *targets; /* forward targets (arena), empty unless CLM_FORWARD */
    size_t ntargets;
};

/* The ladder of case 'r' as 'actor' sees it at 'now' (the caller checked that the actor sees the
 * case). Who acts for a level: docs/grid.md §5 (the officials bound to that region, the grid's
 * workers at a grid, the unbound command centre at the district, admins anywhere). */
int case_ladder_get(struct store_conn *c, const struct case_actor *actor, const struct case_rec *r,
                    int64_t now, struct arena *a, struct case_ladder *out, struct err *err);

/* One move by the environment's actor on case 'case_id' whose current step is 'seq' (else
 * ERR_CONFLICT, field "step"): forward to 'region_id' with an optional note, escalate with a
 * reason (required), handle with an optional note. One transaction: the steps, the timeline
 * event (ladder_handle, ladder_forward, ladder_escalate), the notification of the level that
 * receives the case and the audit entry. */
int case_ladder_act(const struct case_env *env, int64_t case_id, enum case_ladder_move m, int seq,
                    int64_t region_id, const char *text, struct err *err);

/* The limits per level (hours[CASE_LEVEL_GRID..CASE_LEVEL_DISTRICT]; [0] unused). */
int case_ladder_limits(struct store_conn *c, int hours[CASE_LEVEL_COUNT], struct err *err);
/* Replace them (admins; 1..8760 each, field "<level>"), audited as ladder.limits. Steps already
 * started keep their due time. */
int case_ladder_limits_set(const struct case_env *env, const int hours[CASE_LEVEL_COUNT],
                           struct err *err);

/* The open cases sitting at the level 'actor' acts for (its region; the district for the
 * unbound command centre; a grid worker's grids), oldest step first. */
struct case_ladder_item {
    int64_t case_id;
    const char *number, *title, *state; /* arena */
    const char *region_name;            /* the case's region; "" when none */
    int tier;
    const char *level_region_name; /* the region the case sits at */
    int64_t started_at, due_at, handling_at;
    int overdue;
    const char *came_by, *reason;
};
#define CASE_LADDER_QUEUE_MAX 500
int case_ladder_queue(struct store_conn *c, const struct case_actor *actor, int64_t now,
                      struct arena *a, struct case_ladder_item **out, size_t *n, struct err *err);

/* ---- attachments (photos); the files themselves are the attach module's ---- */

struct attach_file;
struct attach_job;
struct attach_store;

/* 0 if the actor may add attachments to the case: someone who sees it and is staff or the
 * citizen who reported it, while the case is not finished; else ERR_FORBIDDEN or ERR_CONFLICT. */
int case_may_attach(const struct case_actor *actor, const struct case_rec *rec, struct err *err);
/* 处置前 / 处置后 of a photo, from the state (name) the case was in when it was attached:
 * "before" until the lead department signed (new, dispatched, returned: the problem as
 * reported), "after" from then on (the department's, sent at or after the work); NULL for an
 * unknown state. */
const char *case_photo_stage(const char *state);

/*
 * Before an upload is decoded (read only, no transaction): 1 with '*attachment_id' when the
 * same content (by hash) is already attached to case 'r'; ERR_CONFLICT when the case carries
 * max_per_case attachments already; else 0. case_attach checks both again in its
 * transaction: this only spares the decode of an upload that would be refused.
 */
int case_attach_check(struct store_conn *c, const struct case_rec *r, const char *sha256,
                      int max_per_case, int64_t *attachment_id, struct err *err);

/*
 * Attach a checked and staged file (job: attach_check, attach_submit) to case 'id': records
 * its metadata (attach_record), links it and appends an "attach" event and the audit entry, in
 * one transaction. At most 'max_per_case' attachments per case (ERR_CONFLICT). The case
 * version is left alone: a photo changes nothing an action decides on, so a reply can follow
 * its photos without a reload. Returns 0 with '*attachment_id', or 1 when the same content is
 * already attached to this case (nothing is written).
 * The staged files are put in place (attach_job_place) inside the transaction, just before its
 * commit: a reader who sees the row finds the file (placed after the commit, a photo listed on
 * a case could not be fetched for a moment), and a committed row has its file after a crash.
 * A commit that fails after that leaves the placed files to the sweeper (attach_sweep): another
 * row may hold the same content. On 1 or an error the caller places or discards the job.
 */
int case_attach(const struct case_env *env, int64_t id, struct attach_store *st,
                struct attach_job *job, int max_per_case, int64_t *attachment_id, struct err *err);

/* ---- 申诉: appeals against a closure or an automatic decision (case_appeal.c) ---- */

/* What is appealed: the closure (归档 while the problem stands, or the evaluation ignored), or
 * a decision triage made automatically: the category, the department it routed to, a merge with
 * a duplicate it proposed. */
enum case_appeal_kind {
    CAK_CLOSURE,
    CAK_CATEGORY,
    CAK_ROUTING,
    CAK_DUPLICATE,
    CASE_APPEAL_KIND_COUNT
};
enum case_appeal_reason {
    CAR_NOT_SOLVED,         /* closure: the problem was not solved */
    CAR_EVALUATION_IGNORED, /* closure: the evaluation (unsatisfied) was not acted on */
    CAR_WRONG_CATEGORY,     /* category */
    CAR_WRONG_DEPARTMENT,   /* routing */
    CAR_NOT_DUPLICATE,      /* duplicate */
    CAR_OTHER,              /* any kind */
    CASE_APPEAL_REASON_COUNT
};
enum case_appeal_status { CAS_OPEN, CAS_UPHELD, CAS_REJECTED, CASE_APPEAL_STATUS_COUNT };
#define CASE_APPEAL_TEXT_MAX 2000
#define CASE_APPEAL_LIST_MAX 200

const char *case_appeal_kind_name(enum case_appeal_kind k);
int case_appeal_kind_from_name(const char *name); /* -1 if unknown */
const char *case_appeal_reason_name(enum case_appeal_reason r);
int case_appeal_reason_from_name(const char *name);
const char *case_appeal_status_name(enum case_appeal_status s);
int case_appeal_status_from_name(const char *name);

/* 1 if 'reason' is one a 'kind' appeal may give (other fits every kind). Pure. */
int case_appeal_reason_fits(enum case_appeal_kind kind, enum case_appeal_reason reason);
/* 0 if a 'kind' appeal may be filed on 'rec' at 'now', 'days' the days an appeal may follow the
 * closure: a closure while the case is closed; the category or department while triage had
 * suggested one (and the case is not cancelled or merged); a merge while the case is merged or
 * closed as a duplicate. Else ERR_CONFLICT (field "kind") saying why. Pure; 'err' may be NULL.
 * Whether another appeal is open is the database's to say (case_appeal_file). */
int case_appeal_allowed(const struct case_rec *rec, enum case_appeal_kind kind, int64_t now,
                        int days, struct err *err);
/* The kinds case_appeal_allowed admits now, a bit (1u << kind) each. */
unsigned case_appeal_kinds(const struct case_rec *rec, int64_t now, int days);

struct case_appeal_in {
    enum case_appeal_kind kind;
    enum case_appeal_reason reason;
    const char *text; /* 1..CASE_APPEAL_TEXT_MAX characters */
    int by_lookup;    /* the caller proved the case's number and check code (public lookup) */
    int days;         /* the time limit after closure (conf appeal_days) */
};
/* File an appeal on 'rec' (as the caller read it): by its reporter (the actor created it) or
 * through the public lookup ('by_lookup'; else ERR_FORBIDDEN); allowed now
 * (case_appeal_allowed); no other appeal open on the case (ERR_CONFLICT). One transaction: the
 * row, an "appeal" event, a notice to supervisors and the audit entry. '*id' is the appeal's. */
int case_appeal_file(const struct case_env *env, const struct case_rec *rec,
                     const struct case_appeal_in *in, int64_t *id, struct err *err);

struct case_appeal_decision {
    int uphold;
    const char *note;      /* the written reason the citizen reads: 1..CASE_NOTE_MAX characters */
    int64_t category_id;   /* upheld category appeal: the right category (required) */
    int64_t department_id; /* upheld routing appeal: the right department (required); a category
                            * appeal may name one too */
};
/*
 * Decide open appeal 'id' (a supervisor, on a case in its scope: ERR_FORBIDDEN otherwise). In
 * one transaction with its events and audit entries: rejected, nothing else changes. Upheld: a
 * closure reopens the case (the reopen action: processing again with a fresh deadline; a case
 * never dispatched goes back to new, to be dispatched); a category appeal corrects the category
 * (and records the correction as a labelled example for triage); a category or routing appeal on
 * a case still to be handled is flagged to the dispatchers with the right department; a
 * duplicate appeal takes the case out of its merge, back to new. ERR_CONFLICT when the appeal is
 * decided already or the case has moved on (a closure appeal on a case no longer closed).
 */
int case_appeal_decide(const struct case_env *env, int64_t id,
                       const struct case_appeal_decision *in, struct err *err);

struct case_appeal {
    int64_t id, case_id;
    const char *case_number, *case_title;
    enum case_appeal_kind kind;
    enum case_appeal_reason reason;
    const char *text;
    enum case_appeal_status status;
    int by_lookup; /* filed through the public lookup */
    int64_t filed_at, decided_at;
    int64_t decided_by;
    const char *decided_by_name; /* the decider's display name ("" when undecided) */
    const char *decision;
    int64_t category_id, department_id;
    const char *category_name, *department_name; /* NULL when none */
    const char *case_state;
    int64_t triage_category_id; /* what triage had decided (0: nothing) */
    const char *triage_category_name;
    int64_t triage_department_id;
    const char *triage_department_name;
};
int case_appeal_get(struct store_conn *c, int64_t id, struct arena *a, struct case_appeal *out,
                    struct err *err);
/* The appeals of case 'case_id', newest first (at most CASE_APPEAL_LIST_MAX). */
int case_appeal_of_case(struct store_conn *c, int64_t case_id, struct arena *a,
                        struct case_appeal **out, size_t *n, struct err *err);
/* A page of the appeals in the scope of 'scope' (case_visible's rule for command-centre roles:
 * all, or a region-bound user's subtree), with 'status' (-1: any), newest first, before appeal
 * id 'before' (0: from the newest); '*total' counts them all. */
int case_appeal_list(struct store_conn *c, int status, int64_t before, int limit,
                     const struct case_actor *scope, struct arena *a, struct case_appeal **out,
                     size_t *n, int64_t *total, struct err *err);
/* How many appeals of each kind were filed since 'since', and how many of those were upheld. */
struct case_appeal_counts {
    int64_t filed[CASE_APPEAL_KIND_COUNT];
    int64_t upheld[CASE_APPEAL_KIND_COUNT];
};
int case_appeal_count(struct store_conn *c, int64_t since, struct case_appeal_counts *out,
                      struct err *err);

/* ---- 立案前核实, 结案前核查, 自行处置: a grid worker's tasks on a case (case_grid.c, 0043) ---- */

/* Which cases get tasks: a rule per category (its subtree; the nearest rule up the tree decides,
 * then the default, category 0; no rule: none). 'verify': a report from the public or a sensor
 * first goes to the worker of its grid (核实); 'check': a reply is checked on site before the
 * case may close (核查). */
struct case_task_rule {
    int64_t category_id;       /* 0: the default */
    const char *category_name; /* "" for the default */
    int verify, check;
    int verify_minutes, check_minutes; /* how long the worker has (natural time) */
    int64_t updated_at;
};
int case_task_rule_list(struct store_conn *c, struct arena *a, struct case_task_rule **out,
                        size_t *n, struct err *err);
/* Insert or replace 'r' (its category_id, verify, check and minutes); ERR_BAD_REQUEST naming
 * "category" when it does not exist, "verify_minutes" / "check_minutes" out of range. */
int case_task_rule_set(struct store_conn *c, const struct case_task_rule *r, int64_t now,
                       int64_t user_id, struct err *err);

/* How long a worker has, unless the rule says otherwise: 核实 within an hour, 核查 within two
 * (natural time, as the city 运行规范 set them: docs/grid.md §4), and the bounds a rule may set
 * (a report must not wait on its verification for more than a day; a check within a week). */
#define CASE_VERIFY_MINUTES_DEFAULT 60
#define CASE_CHECK_MINUTES_DEFAULT 120
#define CASE_TASK_MINUTES_MIN 5
#define CASE_VERIFY_MINUTES_MAX 1440
#define CASE_CHECK_MINUTES_MAX 10080

enum case_task_kind { CTK_VERIFY, CTK_CHECK };
enum case_task_decision { CTD_CONFIRM, CTD_REJECT, CTD_PASS, CTD_FAIL };
const char *case_task_kind_name(enum case_task_kind k);
const char *case_task_decision_name(enum case_task_decision d);
int case_task_decision_from_name(const char *name); /* -1 if unknown */

struct case_task {
    int64_t id, case_id;
    const char *kind;   /* "verify", "check" */
    const char *status; /* "open", "confirmed", "rejected", "passed", "failed", "void" */
    int64_t assignee_id;
    const char *assignee_name; /* display name, else login name */
    int64_t created_at, due_at, done_at;
    const char *note;
    int overdue; /* open and past its due time at the reading */
    /* The case, for the task list. */
    const char *case_number, *case_title, *case_state, *address, *region_name;
    int has_location;
    double lat, lon;
};
/* The tasks of user 'user_id': the open ones first (earliest due first), then those done in the
 * last 'recent' seconds. Arena. */
int case_task_list_mine(struct store_conn *c, int64_t user_id, int64_t now, int64_t recent,
                        struct arena *a, struct case_task **out, size_t *n, struct err *err);
int case_task_get(struct store_conn *c, int64_t id, int64_t now, struct arena *a,
                  struct case_task *out, struct err *err);
/* The tasks of case 'case_id', oldest first. Arena. */
int case_task_of_case(struct store_conn *c, int64_t case_id, int64_t now, struct arena *a,
                      struct case_task **out, size_t *n, struct err *err);

/* The assignee decides, in one transaction with the case's event, notices and audit entry:
 * confirm (核实属实: the worker attached a photo to the case since the task was given; the
 * dispatchers may dispatch it), reject (不属实: 'note' is the reason; the case is cancelled as
 * not verified), pass (核查通过: the case may close) or fail (核查不通过: 'note' is the finding;
 * back to the lead department for rectification). A task that is not open, or a case that has
 * moved on, is ERR_CONFLICT; a decision of the other kind is ERR_BAD_REQUEST ("decision"). */
int case_task_decide(const struct case_env *env, int64_t id, enum case_task_decision d,
                     const char *note, struct err *err);

/* The overdue sweep of grid tasks (case_sweep calls it): each open task past its due time, once
 * (grid_tasks.overdue_at), gets in one transaction a 'task_overdue' event on its case, a notice
 * to its worker and to the officials (dispatchers, supervisors) bound to the community of the
 * case's grid, or to the dispatchers when it has none, and an audit entry (case.task_overdue).
 * '*told' counts the tasks. A task still open when as long again as it was given has passed
 * since its due time is escalated once (grid_tasks.escalated_at): a 'task_escalate' event, a
 * notice to the officials of the street above (or the dispatchers), an audit entry
 * (case.task_escalate); '*escalated' counts them. */
int case_task_sweep(const struct case_env *env, int *told, int *escalated, struct err *err);

/* 转交 / 转派: the task's worker, an admin, or an official (dispatcher, supervisor) whose region
 * holds the case hands an open task to 'to', an active grid worker serving
 * the case's grid (else ERR_BAD_REQUEST naming "assignee"), with 'note' (1..CASE_NOTE_MAX, else
 * naming "note"); one transaction: the task's assignee, a 'task_transfer' event, a notice to the
 * colleague (and, reassigned by an official, to the worker it was taken from), the audit entry
 * (case.task_transfer). Not open: ERR_CONFLICT; anyone else: 403 owner. */
int case_task_transfer(const struct case_env *env, int64_t id, int64_t to, const char *note,
                       struct err *err);
/* Whom task 'id' may be handed to: the other active grid workers serving its case's grid, by
 * name. Those who may hand it on ask (case_task_transfer; else 403 owner). Arena. */
struct case_colleague {
    int64_t user_id;
    const char *name, *display_name;
    int open_tasks;
};
int case_task_colleagues(struct store_conn *c, const struct case_actor *actor, int64_t id,
                         struct arena *a, struct case_colleague **out, size_t *n, struct err *err);

/* 自行处置: a grid worker reports a small matter and the result of handling it on the spot in one
 * transaction: the case is created (channel grid, marked self-handled), its 处置前 photos are
 * attached (events in state new), its 'self_handle' event carries the result, it is closed
 * without dispatch and its 处置后 photos are attached (events in state closed). 'result'
 * 1..CASE_RESULT_MAX. The photos are the actor's pending uploads (case_upload_pending), 1 to
 * CASE_SELF_PHOTOS_MAX of each: the closure has no department, review or check behind it, so
 * the two photos are its only evidence. A photo that is not the actor's pending upload, or is
 * given twice, is ERR_BAD_REQUEST naming "before_photos[i]" / "after_photos[i]"; the links
 * consume the pending uploads. */
#define CASE_SELF_PHOTOS_MAX 4
struct case_self_photos {
    const int64_t *before, *after; /* attachment ids */
    size_t nbefore, nafter;
};
int case_self_handle(const struct case_env *env, const struct case_new *in, const char *result,
                     const struct case_self_photos *photos, struct case_created *out,
                     struct err *err);
/* A grid worker's photo uploaded before its case exists: its attachments row and a row of
 * pending_uploads for the actor, with an audit entry (upload.create), in one transaction. 1 with
 * the id when the actor has it pending already (nothing written), else 0. The actor's pending
 * uploads older than CASE_PENDING_UPLOAD_SECONDS are dropped first (with their attachments row
 * when nothing else holds it); more than CASE_PENDING_UPLOADS_MAX is ERR_CONFLICT naming "file".
 * The staged files are placed before the commit, as by case_attach. */
#define CASE_PENDING_UPLOADS_MAX 20
#define CASE_PENDING_UPLOAD_SECONDS 86400
int case_upload_pending(const struct case_env *env, struct attach_store *st, struct attach_job *job,
                        int64_t *attachment_id, struct err *err);
/* Before the decode (a read): 1 with the id when 'user_id' has the content 'sha256' pending, 0
 * when not and there is room, ERR_CONFLICT ("file") when the user has the most pending. */
int case_upload_check(struct store_conn *c, int64_t user_id, const char *sha256, int64_t now,
                      int64_t *attachment_id, struct err *err);
/* Whether attachment 'id' is a pending upload of 'user_id' (who may see it). A read. */
int case_upload_is_pending(struct store_conn *c, int64_t user_id, int64_t id, int *yes,
                           struct err *err);
/* Whether case 'id' was self-handled. A read. */
int case_self_handled(struct store_conn *c, int64_t id, int *yes, struct err *err);
/* How many cases were self-handled in [from, to): by 'user_id', or by anyone when 0. A read. */
int case_self_handled_count(struct store_conn *c, int64_t user_id, int64_t from, int64_t to,
                            int64_t *n, struct err *err);

/* ---- 协办单 and 吹哨报到 (case_assist.c, migration 0045, docs/grid.md §6) ---- */

/* A sub-task of one assisting department on a case: from a dispatch naming it as 协办, or from a
 * whistle (吹哨) that summoned it. */
enum case_assist_state {
    CAS_ISSUED,    /* waiting for the department to sign (报到 for a whistle) */
    CAS_SIGNED,    /* the department works on it */
    CAS_REPLIED,   /* its answer waits for the lead's assessment */
    CAS_ASSESSED,  /* done */
    CAS_CANCELLED, /* the department no longer assists (re-dispatch) */
    CASE_ASSIST_STATE_COUNT
};
enum case_assist_step {
    CAP_SIGN,   /* 签收 / 报到: a handler of the sub-task's department */
    CAP_REPLY,  /* 协办答复: a handler of the sub-task's department */
    CAP_ASSESS, /* 评价: the lead (主办) or the official coordinating the case */
    CASE_ASSIST_STEP_COUNT
};
enum case_assist_rating { CAR_SATISFIED, CAR_BASIC, CAR_UNSATISFIED, CASE_ASSIST_RATING_COUNT };
const char *case_assist_state_name(enum case_assist_state s);
const char *case_assist_step_name(enum case_assist_step s); /* "sign", "reply", "assess" */
const char *case_assist_rating_name(enum case_assist_rating r);
int case_assist_rating_from_name(const char *name); /* -1 if unknown */

#define CASE_ASSIST_TEXT_MAX CASE_NOTE_MAX    /* a whistle's reason, an assessment's note */
#define CASE_ASSIST_REPLY_MAX CASE_RESULT_MAX /* a department's answer */
#define CASE_WHISTLE_DEPTS_MAX 8
#define CASE_WHISTLE_CHECKIN_HOURS_MAX 72

struct case_assist {
    int64_t id, case_id, department_id, whistle_id; /* whistle_id 0: from a dispatch */
    const char *department_name;                    /* arena */
    enum case_assist_state state;
    int64_t sign_deadline, deadline, signed_at, replied_at, assessed_at;
    int sign_late, reply_late, send_backs;
    const char *reply, *assess_note; /* arena; "" when none */
    int rating;                      /* enum case_assist_rating, -1 = not assessed */
    int64_t created_at, updated_at, version;
    const char *case_number, *case_title; /* arena */
};

struct case_whistle {
    int64_t id, case_id;
    const char *region_code, *reason, *blown_by_name; /* arena */
    int64_t deadline, checkin_deadline, blown_at;
};

/* A sub-task is overdue while open past its deadline (or unsigned past its sign limit). */
int case_assist_overdue(const struct case_assist *s, int64_t now);
/* Steps 'actor' may take on sub-task 's' of case 'r': bits (1u << enum case_assist_step). */
unsigned case_assist_steps(const struct case_actor *actor, const struct case_rec *r,
                           const struct case_assist *s);
/* 0 if 'actor' may blow the whistle on 'r' (a dispatcher or supervisor bound to a street or
 * community whose subtree holds the case, or an admin; the case open), else ERR_FORBIDDEN /
 * ERR_CONFLICT in 'err' (may be NULL). */
int case_whistle_allowed(const struct case_actor *actor, const struct case_rec *r, struct err *err);

/* The sub-tasks and whistles of case 'case_id', oldest first (arena). */
int case_assist_list(struct store_conn *c, int64_t case_id, struct arena *a,
                     struct case_assist **out, size_t *n, struct case_whistle **whistles,
                     size_t *nwhistles, struct err *err);
int case_assist_get(struct store_conn *c, int64_t id, struct arena *a, struct case_assist *out,
                    struct err *err);

struct case_whistle_in {
    const int64_t *departments; /* 1..CASE_WHISTLE_DEPTS_MAX, distinct, not the lead */
    int ndepartments;
    const char *reason; /* 1..CASE_ASSIST_TEXT_MAX characters */
    int64_t deadline;   /* the joint deadline, after now */
    int checkin_hours;  /* 1..CASE_WHISTLE_CHECKIN_HOURS_MAX; the check-in limit, before deadline */
};
/* 吹哨: one transaction with the whistle, a sub-task and a notification per department, the
 * departments made assisting (they see the case), the timeline event and the audit entry. */
int case_whistle_blow(const struct case_env *env, int64_t case_id, const struct case_whistle_in *in,
                      int64_t *id, struct err *err);
/* One step on sub-task 'id': sign (text unused), reply (text = the answer), assess ('rating'
 * and text = the note, required when unsatisfied: the sub-task is signed again). */
int case_assist_act(const struct case_env *env, int64_t id, enum case_assist_step step,
                    int64_t version, const char *text, int rating, struct err *err);

/* The sweeper's pass over sub-tasks (case_sweep calls it): each sub-task newly unsigned past its
 * sign (check-in) limit or unanswered past its deadline gets one assist_overdue event, a notice to
 * its department and to the lead (or the official who blew the whistle) and an audit entry, once
 * per limit; '*told' counts them. */
int case_assist_sweep(const struct case_env *env, int *told, struct err *err);

#define CASE_ASSIST_LIST_MAX 200
int case_assist_state_from_name(const char *name); /* -1 if unknown */
struct case_assist_filter {
    unsigned states;       /* bits of enum case_assist_state; 0 = any */
    int64_t department_id; /* 0 = any */
    int overdue;           /* only overdue ones (case_assist_overdue) of open cases */
    int64_t now;
    int limit; /* 1..CASE_ASSIST_LIST_MAX */
    int64_t offset;
};
/* The sub-tasks 'scope' sees (admins and the unbound command centre: all; region-bound staff:
 * those of cases in their region; handlers: their departments'), open ones first by their next
 * limit; '*total' counts them all. */
int case_assist_find(struct store_conn *c, const struct case_assist_filter *f,
                     const struct case_actor *scope, struct arena *a, struct case_assist **out,
                     size_t *n, int64_t *total, struct err *err);

/* The lead's consolidated draft of the answers received so far (arena; "" when none). */
char *case_assist_draft(struct arena *a, const struct case_assist *v, size_t n);

#endif /* GRIDLOOP_CASE_CASE_H */
