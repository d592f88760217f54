/*
 * service: the service catalogue (事项), 一件事 bundles and 秒批 (issue 18 item 3,
 * docs/services.md). An item is what one department does for a citizen (its conditions,
 * materials, legal time limit, online or at a counter, the fields the applicant fills in). A
 * bundle groups items that belong to one life event (a newborn: birth certificate, household
 * registration, medical insurance, social security card, vaccination record): the citizen fills
 * in the union of the items' fields once, and each item becomes its own task for its
 * department, tracked to one result.
 *
 * 秒批: an item whose conditions are all checkable from data carries a policy rule (src/policy)
 * over the applicant's person profile; when the rule passes the task is approved at once and
 * records which data decided it (service_basis). A rule that fails, or a profile that does not
 * exist, does not refuse anything: the task goes to the department like any other, with what the
 * data did not show, because missing or stale data is not a reason to refuse a citizen.
 *
 * Why not the cases' 协办 sub-tasks (case_assists): those belong to a case with a lead
 * department that assesses each answer, they count in the departments' 12345 assessment
 * (migration 0047), and they have no refusal. A bundle has no lead, a department may refuse its
 * item, and a service application is not a hotline case; docs/services.md says more.
 *
 * The JSON of fields and rules is the API's (src/api/api_service.c): the domain stores their
 * canonical text. Strings of returned records live in the caller's arena. Writes run in the
 * caller's transaction.
 */
#ifndef GRIDLOOP_SERVICE_SERVICE_H
#define GRIDLOOP_SERVICE_SERVICE_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;
struct policy_rule;
struct policy_why;
struct policy_profile;

#define SERVICE_NAME_MAX 100       /* characters of an item's or bundle's name */
#define SERVICE_TEXT_MAX 2000      /* characters of conditions, materials, a summary */
#define SERVICE_LIMIT_DAYS_MAX 365 /* a legal time limit, days */
#define SERVICE_BUNDLE_ITEMS_MAX 12
#define SERVICE_FIELDS_MAX 20  /* fields of one item, and of a bundle's shared form */
#define SERVICE_KEY_MAX 32     /* bytes of a field's key: [a-z0-9_] */
#define SERVICE_LABEL_MAX 30   /* characters of a field's label */
#define SERVICE_VALUE_MAX 200  /* characters of one filled-in value */
#define SERVICE_NOTE_MAX 500   /* characters of a department's note or refusal reason */
#define SERVICE_BASIS_MAX 1024 /* bytes of a 秒批 basis with the NUL */
#define SERVICE_LIST_MAX 500   /* records one list returns */

enum service_mode { SERVICE_ONLINE, SERVICE_COUNTER, SERVICE_MODE_COUNT };
enum service_app_state { SA_OPEN, SA_APPROVED, SA_REFUSED, SERVICE_APP_STATE_COUNT };
enum service_task_state {
    ST_ISSUED,
    ST_ACCEPTED,
    ST_APPROVED,
    ST_REFUSED,
    SERVICE_TASK_STATE_COUNT
};
enum service_step { SS_ACCEPT, SS_APPROVE, SS_REFUSE, SERVICE_STEP_COUNT };

/* Names of the API; NULL / -1 when unknown. */
const char *service_mode_name(enum service_mode m);
int service_mode_from_name(const char *name);
const char *service_app_state_name(enum service_app_state s);
const char *service_task_state_name(enum service_task_state s);
int service_task_state_from_name(const char *name);
const char *service_step_name(enum service_step s);

/* ---- pure rules (service_rules.c) ---- */

/* The state a task moves to by 'step' from 's', or ERR_CONFLICT naming "state" (accept only
 * when issued; approve or refuse when issued or accepted: a counter may decide on the spot). */
int service_step_next(enum service_task_state s, enum service_step step, struct err *err);
/* The application's state from its tasks': open while any is issued or accepted, else refused
 * if any was refused, else approved. No tasks is open (it cannot happen once created). */
enum service_app_state service_outcome(const enum service_task_state *tasks, size_t n);
/* Whether a field key is [a-z][a-z0-9_]* of at most SERVICE_KEY_MAX bytes. */
int service_key_ok(const char *key);
/*
 * What decided a 秒批 or sent it to a person, in Chinese, at most SERVICE_BASIS_MAX bytes:
 * qualifying: "核验通过：户籍在澜溪区（户籍：青石社区）；年满 18 周岁（出生日期：1990-01-05）";
 * not: "数据未能核验，转人工办理：再满足：…". Each met comparison names the profile's value.
 */
void service_basis(const struct policy_rule *r, const struct policy_why *why,
                   const struct policy_profile *p, char *out, size_t cap);

/* ---- catalogue (service_db.c) ---- */

struct service_item {
    int64_t id, department_id;
    const char *name, *department_name, *conditions, *materials;
    int time_limit_days;
    enum service_mode mode;
    const char *fields; /* canonical JSON array */
    const char *rule;   /* canonical JSON, NULL when a person decides */
    int active;
    int64_t created_at, updated_at;
};

struct service_item_in {
    const char *name, *conditions, *materials, *fields, *rule; /* rule NULL: none */
    int64_t department_id;
    int time_limit_days;
    enum service_mode mode;
    int active;
};

/* ERR_BAD_REQUEST naming "name", "conditions", "materials", "time_limit_days" or
 * "department_id" (no such department). */
int service_item_create(struct store_conn *c, const struct service_item_in *in, int64_t now,
                        int64_t *id, struct err *err);
int service_item_update(struct store_conn *c, int64_t id, const struct service_item_in *in,
                        int64_t now, struct err *err);
int service_item_get(struct store_conn *c, int64_t id, struct arena *a, struct service_item *out,
                     struct err *err);
/* By name; active_only for citizens. */
int service_item_list(struct store_conn *c, int active_only, struct arena *a,
                      struct service_item **out, size_t *n, struct err *err);

struct service_bundle {
    int64_t id;
    const char *name, *summary;
    int active;
    int64_t created_at, updated_at;
    int64_t *items; /* in order (arena) */
    size_t nitems;
};

struct service_bundle_in {
    const char *name, *summary;
    int active;
    const int64_t *items; /* 2..SERVICE_BUNDLE_ITEMS_MAX distinct existing items */
    size_t nitems;
};

/* ERR_BAD_REQUEST naming "name", "summary" or "items". */
int service_bundle_create(struct store_conn *c, const struct service_bundle_in *in, int64_t now,
                          int64_t *id, struct err *err);
int service_bundle_update(struct store_conn *c, int64_t id, const struct service_bundle_in *in,
                          int64_t now, struct err *err);
int service_bundle_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct service_bundle *out, struct err *err);
int service_bundle_list(struct store_conn *c, int active_only, struct arena *a,
                        struct service_bundle **out, size_t *n, struct err *err);

/* ---- applications and tasks ---- */

struct service_application {
    int64_t id, user_id, bundle_id, item_id; /* exactly one of bundle_id, item_id */
    const char *name;                        /* the bundle's or the item's */
    const char *applicant;                   /* the user's display name */
    const char *form;                        /* canonical JSON object */
    enum service_app_state state;
    int64_t notification_id, created_at, updated_at, finished_at;
};

struct service_task {
    int64_t id, application_id, item_id, department_id, decided_by;
    const char *item_name, *department_name, *decided_by_name, *application_name;
    enum service_task_state state;
    int auto_approved;
    const char *basis, *note;
    int64_t deadline, created_at, updated_at, decided_at, version;
};

/* One task to create: the item, and whether 秒批 approved it with what basis ("" when none). */
struct service_plan {
    const struct service_item *item;
    int auto_approved;
    const char *basis;
};

/*
 * A citizen's application with one task per plan, each task's department told (a notification
 * of kind 'service_task') unless 秒批 approved it; settled at once when every task was (the
 * applicant told). The new tasks' ids go to *task_ids (arena, in plan order).
 */
int service_application_create(struct store_conn *c, int64_t user_id, int64_t bundle_id,
                               int64_t item_id, const char *form, const struct service_plan *plans,
                               size_t nplans, int64_t now, struct arena *a, int64_t *id,
                               int64_t **task_ids, struct err *err);
int service_application_get(struct store_conn *c, int64_t id, struct arena *a,
                            struct service_application *out, struct err *err);
/* A user's applications, newest first. */
int service_application_list(struct store_conn *c, int64_t user_id, struct arena *a,
                             struct service_application **out, size_t *n, struct err *err);

int service_task_get(struct store_conn *c, int64_t id, struct arena *a, struct service_task *out,
                     struct err *err);
/* The tasks of one application, in order. */
int service_task_list(struct store_conn *c, int64_t application_id, struct arena *a,
                      struct service_task **out, size_t *n, struct err *err);
/* Tasks of the given departments (NULL, 0: every department) in the states 'states' (bits of
 * enum service_task_state, 0 = any), open ones first by deadline, at most SERVICE_LIST_MAX. */
int service_task_find(struct store_conn *c, const int64_t *depts, int ndepts, unsigned states,
                      struct arena *a, struct service_task **out, size_t *n, struct err *err);
/*
 * One step on a task by 'actor_id': ERR_CONFLICT naming "version" when it changed, "state" when
 * the step does not apply; refuse needs a note (ERR_BAD_REQUEST naming "note"). The application
 * is settled in the same transaction: when its last task is decided it becomes approved or
 * refused and its applicant is told (which items were refused and why). *finished says so.
 */
int service_task_act(struct store_conn *c, int64_t id, enum service_step step, int64_t version,
                     const char *note, int64_t actor_id, int64_t now, int *finished,
                     struct err *err);

#endif /* GRIDLOOP_SERVICE_SERVICE_H */
