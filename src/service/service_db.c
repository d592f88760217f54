/*
 * The catalogue, applications and tasks in the store (migration 0072). See service.h for the
 * life cycle of a task and why it is not a case's 协办 sub-task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "notify/notify.h"
#include "service/service.h"
#include "store/store.h"

#define ITEM_COLS                                                                                  \
    "i.id, i.name, i.department_id, d.name, i.conditions, i.materials, i.time_limit_days,"         \
    " i.mode, i.fields, i.rule, i.active, i.created_at, i.updated_at"
#define ITEM_FROM " FROM service_items i JOIN departments d ON d.id = i.department_id"
#define BUNDLE_COLS "id, name, summary, active, created_at, updated_at"
#define APP_COLS                                                                                   \
    "a.id, a.user_id, coalesce(a.bundle_id, 0), coalesce(a.item_id, 0),"                           \
    " coalesce(b.name, i.name), coalesce(u.display_name, u.name), a.form, a.state,"                \
    " coalesce(a.notification_id, 0), a.created_at, a.updated_at, coalesce(a.finished_at, 0)"
#define APP_FROM                                                                                   \
    " FROM service_applications a JOIN users u ON u.id = a.user_id"                                \
    " LEFT JOIN service_bundles b ON b.id = a.bundle_id"                                           \
    " LEFT JOIN service_items i ON i.id = a.item_id"
#define TASK_COLS                                                                                  \
    "t.id, t.application_id, t.item_id, t.department_id, coalesce(t.decided_by, 0), i.name,"       \
    " d.name, coalesce(u.display_name, u.name, ''), coalesce(b.name, i2.name), t.state, t.auto,"   \
    " t.basis, t.note, t.deadline, t.created_at, t.updated_at, coalesce(t.decided_at, 0),"         \
    " t.version"
#define TASK_FROM                                                                                  \
    " FROM service_tasks t JOIN service_items i ON i.id = t.item_id"                               \
    " JOIN departments d ON d.id = t.department_id"                                                \
    " LEFT JOIN users u ON u.id = t.decided_by"                                                    \
    " JOIN service_applications a ON a.id = t.application_id"                                      \
    " LEFT JOIN service_bundles b ON b.id = a.bundle_id"                                           \
    " LEFT JOIN service_items i2 ON i2.id = a.item_id"

typedef VEC(struct service_item) item_vec;
typedef VEC(struct service_bundle) bundle_vec;
typedef VEC(struct service_application) app_vec;
typedef VEC(struct service_task) task_vec;
typedef VEC(int64_t) id_vec;

static int state_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return 0;
}

static int push_item(void *ctx, struct store_stmt *s)
{
    item_vec *v = ctx;
    struct arena *a = v->arena;
    struct service_item *it = vec_push(v);
    it->id = store_col_int(s, 0);
    it->name = arena_strdup(a, store_col_text(s, 1));
    it->department_id = store_col_int(s, 2);
    it->department_name = arena_strdup(a, store_col_text(s, 3));
    it->conditions = arena_strdup(a, store_col_text(s, 4));
    it->materials = arena_strdup(a, store_col_text(s, 5));
    it->time_limit_days = (int)store_col_int(s, 6);
    it->mode = service_mode_from_name(store_col_text(s, 7)) == SERVICE_COUNTER ? SERVICE_COUNTER
                                                                               : SERVICE_ONLINE;
    it->fields = arena_strdup(a, store_col_text(s, 8));
    it->rule = store_col_is_null(s, 9) ? NULL : arena_strdup(a, store_col_text(s, 9));
    it->active = (int)store_col_int(s, 10);
    it->created_at = store_col_int(s, 11);
    it->updated_at = store_col_int(s, 12);
    return 0;
}

static int check_item(struct store_conn *c, const struct service_item_in *in, struct err *err)
{
    int rc;
    if ((rc = utf8_check_field(in->name, "name", 1, SERVICE_NAME_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->conditions ? in->conditions : "", "conditions", 0,
                               SERVICE_TEXT_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->materials ? in->materials : "", "materials", 0, SERVICE_TEXT_MAX,
                               err)) < 0)
        return rc;
    if (in->time_limit_days < 1 || in->time_limit_days > SERVICE_LIMIT_DAYS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "time_limit_days",
                         "time_limit_days must be within 1..%d", SERVICE_LIMIT_DAYS_MAX);
    if ((unsigned)in->mode >= SERVICE_MODE_COUNT || !in->fields)
        return err_set(err, ERR_INTERNAL, "an item without mode or fields");
    rc = store_one(c, "SELECT 1 FROM departments WHERE id = ?",
                   STORE_ARGS(store_i64(in->department_id)), NULL, NULL, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "department_id", "department %lld does not exist",
                         (long long)in->department_id);
    return 0;
}

int service_item_create(struct store_conn *c, const struct service_item_in *in, int64_t now,
                        int64_t *id, struct err *err)
{
    int rc = check_item(c, in, err);
    if (rc < 0)
        return rc;
    rc = store_one_i64(
        c,
        "INSERT INTO service_items (name, department_id, conditions, materials, time_limit_days,"
        " mode, fields, rule, active, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_text(in->name), store_i64(in->department_id),
                   store_text(in->conditions ? in->conditions : ""),
                   store_text(in->materials ? in->materials : ""), store_i64(in->time_limit_days),
                   store_text(service_mode_name(in->mode)), store_text(in->fields),
                   store_text(in->rule), store_i64(in->active ? 1 : 0), store_i64(now),
                   store_i64(now)),
        id, err);
    return rc < 0 ? rc : 0;
}

int service_item_update(struct store_conn *c, int64_t id, const struct service_item_in *in,
                        int64_t now, struct err *err)
{
    int rc = check_item(c, in, err);
    if (rc < 0)
        return rc;
    int64_t n = store_run(
        c,
        "UPDATE service_items SET name = ?, department_id = ?, conditions = ?, materials = ?,"
        " time_limit_days = ?, mode = ?, fields = ?, rule = ?, active = ?, updated_at = ?"
        " WHERE id = ?",
        STORE_ARGS(store_text(in->name), store_i64(in->department_id),
                   store_text(in->conditions ? in->conditions : ""),
                   store_text(in->materials ? in->materials : ""), store_i64(in->time_limit_days),
                   store_text(service_mode_name(in->mode)), store_text(in->fields),
                   store_text(in->rule), store_i64(in->active ? 1 : 0), store_i64(now),
                   store_i64(id)),
        err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_set(err, ERR_NOT_FOUND, "service item %lld does not exist", (long long)id);
    return 0;
}

int service_item_get(struct store_conn *c, int64_t id, struct arena *a, struct service_item *out,
                     struct err *err)
{
    item_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " ITEM_COLS ITEM_FROM " WHERE i.id = ?",
                           STORE_ARGS(store_i64(id)), push_item, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "service item %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int service_item_list(struct store_conn *c, int active_only, struct arena *a,
                      struct service_item **out, size_t *n, struct err *err)
{
    item_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT " ITEM_COLS ITEM_FROM " WHERE (? = 0 OR i.active = 1)"
                           " ORDER BY i.id LIMIT ?",
                           STORE_ARGS(store_i64(active_only ? 1 : 0), store_i64(SERVICE_LIST_MAX)),
                           push_item, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- bundles ---- */

static int push_bundle(void *ctx, struct store_stmt *s)
{
    bundle_vec *v = ctx;
    struct service_bundle *b = vec_push(v);
    b->id = store_col_int(s, 0);
    b->name = arena_strdup(v->arena, store_col_text(s, 1));
    b->summary = arena_strdup(v->arena, store_col_text(s, 2));
    b->active = (int)store_col_int(s, 3);
    b->created_at = store_col_int(s, 4);
    b->updated_at = store_col_int(s, 5);
    return 0;
}

static int push_id(void *ctx, struct store_stmt *s)
{
    id_vec *v = ctx;
    *vec_push(v) = store_col_int(s, 0);
    return 0;
}

static int bundle_items(struct store_conn *c, struct service_bundle *b, struct arena *a,
                        struct err *err)
{
    id_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT item_id FROM service_bundle_items WHERE bundle_id = ?"
                           " ORDER BY position",
                           STORE_ARGS(store_i64(b->id)), push_id, &v, err);
    if (rc < 0)
        return (int)rc;
    b->items = v.v;
    b->nitems = v.n;
    return 0;
}

static int check_bundle(struct store_conn *c, const struct service_bundle_in *in, struct err *err)
{
    int rc;
    if ((rc = utf8_check_field(in->name, "name", 1, SERVICE_NAME_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->summary ? in->summary : "", "summary", 0, SERVICE_TEXT_MAX,
                               err)) < 0)
        return rc;
    if (in->nitems < 2 || in->nitems > SERVICE_BUNDLE_ITEMS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "items", "a bundle has 2 to %d items",
                         SERVICE_BUNDLE_ITEMS_MAX);
    for (size_t i = 0; i < in->nitems; i++) {
        for (size_t k = 0; k < i; k++)
            if (in->items[k] == in->items[i])
                return err_field(err, ERR_BAD_REQUEST, "items", "item %lld is listed twice",
                                 (long long)in->items[i]);
        rc = store_one(c, "SELECT 1 FROM service_items WHERE id = ?",
                       STORE_ARGS(store_i64(in->items[i])), NULL, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "items", "service item %lld does not exist",
                             (long long)in->items[i]);
    }
    return 0;
}

static int put_items(struct store_conn *c, int64_t id, const struct service_bundle_in *in,
                     struct err *err)
{
    int64_t n = store_run(c, "DELETE FROM service_bundle_items WHERE bundle_id = ?",
                          STORE_ARGS(store_i64(id)), err);
    for (size_t i = 0; n >= 0 && i < in->nitems; i++)
        n = store_run(c,
                      "INSERT INTO service_bundle_items (bundle_id, item_id, position)"
                      " VALUES (?, ?, ?)",
                      STORE_ARGS(store_i64(id), store_i64(in->items[i]), store_i64((int64_t)i)),
                      err);
    return n < 0 ? (int)n : 0;
}

int service_bundle_create(struct store_conn *c, const struct service_bundle_in *in, int64_t now,
                          int64_t *id, struct err *err)
{
    int rc = check_bundle(c, in, err);
    if (rc < 0)
        return rc;
    rc = store_one_i64(c,
                       "INSERT INTO service_bundles (name, summary, active, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_text(in->name), store_text(in->summary ? in->summary : ""),
                                  store_i64(in->active ? 1 : 0), store_i64(now), store_i64(now)),
                       id, err);
    if (rc < 0)
        return rc;
    return put_items(c, *id, in, err);
}

int service_bundle_update(struct store_conn *c, int64_t id, const struct service_bundle_in *in,
                          int64_t now, struct err *err)
{
    int rc = check_bundle(c, in, err);
    if (rc < 0)
        return rc;
    int64_t n =
        store_run(c,
                  "UPDATE service_bundles SET name = ?, summary = ?, active = ?,"
                  " updated_at = ? WHERE id = ?",
                  STORE_ARGS(store_text(in->name), store_text(in->summary ? in->summary : ""),
                             store_i64(in->active ? 1 : 0), store_i64(now), store_i64(id)),
                  err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_set(err, ERR_NOT_FOUND, "service bundle %lld does not exist", (long long)id);
    return put_items(c, id, in, err);
}

int service_bundle_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct service_bundle *out, struct err *err)
{
    bundle_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " BUNDLE_COLS " FROM service_bundles WHERE id = ?",
                           STORE_ARGS(store_i64(id)), push_bundle, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "service bundle %lld does not exist", (long long)id);
    *out = v.v[0];
    return bundle_items(c, out, a, err);
}

int service_bundle_list(struct store_conn *c, int active_only, struct arena *a,
                        struct service_bundle **out, size_t *n, struct err *err)
{
    bundle_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT " BUNDLE_COLS " FROM service_bundles"
                           " WHERE (? = 0 OR active = 1) ORDER BY id LIMIT ?",
                           STORE_ARGS(store_i64(active_only ? 1 : 0), store_i64(SERVICE_LIST_MAX)),
                           push_bundle, &v, err);
    for (size_t i = 0; rc >= 0 && i < v.n; i++)
        rc = bundle_items(c, &v.v[i], a, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- applications and tasks ---- */

static int push_app(void *ctx, struct store_stmt *s)
{
    app_vec *v = ctx;
    struct arena *a = v->arena;
    struct service_application *p = vec_push(v);
    p->id = store_col_int(s, 0);
    p->user_id = store_col_int(s, 1);
    p->bundle_id = store_col_int(s, 2);
    p->item_id = store_col_int(s, 3);
    p->name = arena_strdup(a, store_col_text(s, 4));
    p->applicant = arena_strdup(a, store_col_text(s, 5));
    p->form = arena_strdup(a, store_col_text(s, 6));
    p->state =
        (enum service_app_state)state_index((const char *const[]){"open", "approved", "refused"},
                                            SERVICE_APP_STATE_COUNT, store_col_text(s, 7));
    p->notification_id = store_col_int(s, 8);
    p->created_at = store_col_int(s, 9);
    p->updated_at = store_col_int(s, 10);
    p->finished_at = store_col_int(s, 11);
    return 0;
}

static int push_task(void *ctx, struct store_stmt *s)
{
    task_vec *v = ctx;
    struct arena *a = v->arena;
    struct service_task *t = vec_push(v);
    t->id = store_col_int(s, 0);
    t->application_id = store_col_int(s, 1);
    t->item_id = store_col_int(s, 2);
    t->department_id = store_col_int(s, 3);
    t->decided_by = store_col_int(s, 4);
    t->item_name = arena_strdup(a, store_col_text(s, 5));
    t->department_name = arena_strdup(a, store_col_text(s, 6));
    t->decided_by_name = arena_strdup(a, store_col_text(s, 7));
    t->application_name = arena_strdup(a, store_col_text(s, 8));
    int st = service_task_state_from_name(store_col_text(s, 9));
    t->state = st < 0 ? ST_ISSUED : (enum service_task_state)st;
    t->auto_approved = (int)store_col_int(s, 10);
    t->basis = arena_strdup(a, store_col_text(s, 11));
    t->note = arena_strdup(a, store_col_text(s, 12));
    t->deadline = store_col_int(s, 13);
    t->created_at = store_col_int(s, 14);
    t->updated_at = store_col_int(s, 15);
    t->decided_at = store_col_int(s, 16);
    t->version = store_col_int(s, 17);
    return 0;
}

static int notify(struct store_conn *c, const char *kind_of_recipient, int64_t recipient,
                  const char *kind, const char *msg, int64_t now, int64_t *id, struct err *err)
{
    int64_t note = 0;
    int rc = store_one_i64(c,
                           "INSERT INTO notifications (case_id, event_id, created_at,"
                           " recipient_kind, recipient_id, kind, message, next_attempt_at)"
                           " VALUES (NULL, NULL, ?, ?, ?, ?, ?, ?) RETURNING id",
                           STORE_ARGS(store_i64(now), store_text(kind_of_recipient),
                                      store_i64(recipient), store_text(kind), store_text(msg),
                                      store_i64(now)),
                           &note, err);
    if (id)
        *id = note;
    return rc < 0 ? rc : 0;
}

/* Close the application when its last task is decided: its state, and one notification to the
 * applicant naming every refused item with its reason. */
static int settle(struct store_conn *c, int64_t app_id, int64_t now, struct arena *a, int *finished,
                  struct err *err)
{
    struct service_application app;
    struct service_task *t;
    size_t n;
    int rc;
    *finished = 0;
    if ((rc = service_application_get(c, app_id, a, &app, err)) < 0 ||
        (rc = service_task_list(c, app_id, a, &t, &n, err)) < 0)
        return rc;
    if (app.state != SA_OPEN)
        return 0;
    enum service_task_state *states = arena_alloc(a, (n ? n : 1) * sizeof(*states));
    for (size_t i = 0; i < n; i++)
        states[i] = t[i].state;
    enum service_app_state out = service_outcome(states, n);
    if (out == SA_OPEN)
        return 0;
    char msg[2048];
    size_t len = 0;
    if (out == SA_APPROVED) {
        snprintf(msg, sizeof(msg), "您申请的「%s」已全部办结", app.name);
    } else {
        len = (size_t)snprintf(msg, sizeof(msg), "您申请的「%s」有事项未通过：", app.name);
        int first = 1;
        for (size_t i = 0; i < n && len < sizeof(msg); i++) {
            if (t[i].state != ST_REFUSED)
                continue;
            len +=
                (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s（%s：%s）", first ? "" : "；",
                                 t[i].item_name, t[i].department_name, t[i].note);
            first = 0;
        }
    }
    int64_t note;
    if ((rc = notify(c, "user", app.user_id, "service_result", msg, now, &note, err)) < 0 ||
        /* by SMS too: a citizen who applied on the phone may not open the app again for days */
        (rc = notify_sms_user(c, "service", app.user_id, msg, now, err)) < 0)
        return rc;
    int64_t m = store_run(c,
                          "UPDATE service_applications SET state = ?, finished_at = ?,"
                          " updated_at = ?, notification_id = ? WHERE id = ? AND state = 'open'",
                          STORE_ARGS(store_text(service_app_state_name(out)), store_i64(now),
                                     store_i64(now), store_i64(note), store_i64(app_id)),
                          err);
    if (m < 0)
        return (int)m;
    *finished = 1;
    return 0;
}

int service_application_create(struct store_conn *c, int64_t user_id, int64_t bundle_id,
                               int64_t item_id, const char *form, const struct service_plan *plans,
                               size_t nplans, int64_t now, struct arena *a, int64_t *id,
                               int64_t **task_ids, struct err *err)
{
    if (!nplans || (!bundle_id) == (!item_id))
        return err_set(err, ERR_INTERNAL, "an application needs tasks and one bundle or item");
    int rc = store_one_i64(c,
                           "INSERT INTO service_applications (user_id, bundle_id, item_id, form,"
                           " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                           STORE_ARGS(store_i64(user_id), store_i64_or_null(bundle_id),
                                      store_i64_or_null(item_id), store_text(form), store_i64(now),
                                      store_i64(now)),
                           id, err);
    if (rc < 0)
        return rc;
    *task_ids = arena_alloc(a, nplans * sizeof(**task_ids));
    for (size_t i = 0; i < nplans; i++) {
        const struct service_plan *p = &plans[i];
        int64_t deadline = now + (int64_t)p->item->time_limit_days * 86400;
        rc = store_one_i64(
            c,
            "INSERT INTO service_tasks (application_id, item_id, department_id, state, auto,"
            " basis, deadline, created_at, updated_at, decided_at) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            STORE_ARGS(store_i64(*id), store_i64(p->item->id), store_i64(p->item->department_id),
                       store_text(p->auto_approved ? "approved" : "issued"),
                       store_i64(p->auto_approved ? 1 : 0), store_text(p->basis ? p->basis : ""),
                       store_i64(deadline), store_i64(now), store_i64(now),
                       p->auto_approved ? store_i64(now) : store_null()),
            &(*task_ids)[i], err);
        if (rc < 0)
            return rc;
        if (p->auto_approved)
            continue;
        char msg[512];
        snprintf(msg, sizeof(msg), "新办件：%s（申请 %lld），请在 %d 日内办理", p->item->name,
                 (long long)*id, p->item->time_limit_days);
        if ((rc = notify(c, "department", p->item->department_id, "service_task", msg, now, NULL,
                         err)) < 0)
            return rc;
    }
    int finished;
    return settle(c, *id, now, a, &finished, err);
}

int service_application_get(struct store_conn *c, int64_t id, struct arena *a,
                            struct service_application *out, struct err *err)
{
    app_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " APP_COLS APP_FROM " WHERE a.id = ?",
                           STORE_ARGS(store_i64(id)), push_app, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "service application %lld does not exist",
                       (long long)id);
    *out = v.v[0];
    return 0;
}

int service_application_list(struct store_conn *c, int64_t user_id, struct arena *a,
                             struct service_application **out, size_t *n, struct err *err)
{
    app_vec v = VEC_IN(a);
    int64_t rc =
        store_all(c,
                  "SELECT " APP_COLS APP_FROM " WHERE a.user_id = ? ORDER BY a.id DESC"
                  " LIMIT ?",
                  STORE_ARGS(store_i64(user_id), store_i64(SERVICE_LIST_MAX)), push_app, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int service_task_get(struct store_conn *c, int64_t id, struct arena *a, struct service_task *out,
                     struct err *err)
{
    task_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " TASK_COLS TASK_FROM " WHERE t.id = ?",
                           STORE_ARGS(store_i64(id)), push_task, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "service task %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int service_task_list(struct store_conn *c, int64_t application_id, struct arena *a,
                      struct service_task **out, size_t *n, struct err *err)
{
    task_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT " TASK_COLS TASK_FROM " WHERE t.application_id = ?"
                           " ORDER BY t.id",
                           STORE_ARGS(store_i64(application_id)), push_task, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

static int task_order(const void *x, const void *y)
{
    const struct service_task *a = x, *b = y;
    int ao = a->state == ST_ISSUED || a->state == ST_ACCEPTED;
    int bo = b->state == ST_ISSUED || b->state == ST_ACCEPTED;
    if (ao != bo)
        return bo - ao;
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

int service_task_find(struct store_conn *c, const int64_t *depts, int ndepts, unsigned states,
                      struct arena *a, struct service_task **out, size_t *n, struct err *err)
{
    task_vec v = VEC_IN(a);
    /* A handler acts for at most a few departments: one query per department keeps the SQL
     * bound and static; 0 departments means every one. */
    int passes = depts ? ndepts : 1;
#define BIT(st) store_i64(!states || (states & (1u << (st))) ? 1 : 0)
    for (int k = 0; k < passes; k++) {
        int64_t rc =
            store_all(c,
                      "SELECT " TASK_COLS TASK_FROM " WHERE (? = 0 OR t.department_id = ?)"
                      " AND ((t.state = 'issued' AND ? = 1) OR (t.state = 'accepted' AND ? = 1)"
                      " OR (t.state = 'approved' AND ? = 1) OR (t.state = 'refused' AND ? = 1))"
                      " ORDER BY CASE WHEN t.state IN ('issued', 'accepted') THEN 0 ELSE 1 END,"
                      " t.deadline, t.id LIMIT ?",
                      STORE_ARGS(store_i64(depts ? 1 : 0), store_i64(depts ? depts[k] : 0),
                                 BIT(ST_ISSUED), BIT(ST_ACCEPTED), BIT(ST_APPROVED),
                                 BIT(ST_REFUSED), store_i64(SERVICE_LIST_MAX)),
                      push_task, &v, err);
        if (rc < 0)
            return (int)rc;
    }
#undef BIT
    size_t m = v.n;
    /* the departments' lists were read one after the other: one order across them */
    if (m > 1)
        qsort(v.v, m, sizeof(*v.v), task_order);
    *out = v.v;
    *n = m < SERVICE_LIST_MAX ? m : SERVICE_LIST_MAX;
    return 0;
}

int service_task_act(struct store_conn *c, int64_t id, enum service_step step, int64_t version,
                     const char *note, int64_t actor_id, int64_t now, int *finished,
                     struct err *err)
{
    struct arena scratch;
    struct arena *a = &scratch;
    struct service_task t;
    int rc;
    *finished = 0;
    arena_init(a, 4096);
    if ((rc = utf8_check_field(note ? note : "", "note", step == SS_REFUSE ? 1 : 0,
                               SERVICE_NOTE_MAX, err)) < 0 ||
        (rc = service_task_get(c, id, a, &t, err)) < 0)
        goto out;
    if (t.version != version) {
        rc = err_field(err, ERR_CONFLICT, "version",
                       "task %lld has changed (version %lld, not %lld)", (long long)id,
                       (long long)t.version, (long long)version);
        goto out;
    }
    if ((rc = service_step_next(t.state, step, err)) < 0)
        goto out;
    /* Lock the application first: two departments deciding its last two tasks at once would
     * otherwise each see the other's task still open under PostgreSQL's read committed, and
     * neither would settle it. The second waits here and then reads the first's decision. */
    int64_t locked = store_run(c, "UPDATE service_applications SET updated_at = ? WHERE id = ?",
                               STORE_ARGS(store_i64(now), store_i64(t.application_id)), err);
    if (locked < 0) {
        rc = (int)locked;
        goto out;
    }
    int decides = step != SS_ACCEPT;
    int64_t n = store_run(
        c,
        "UPDATE service_tasks SET state = ?, note = CASE WHEN ? = '' THEN note ELSE ? END,"
        " decided_by = CASE WHEN ? = 1 THEN ? ELSE decided_by END,"
        " decided_at = CASE WHEN ? = 1 THEN ? ELSE decided_at END,"
        " updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
        STORE_ARGS(store_text(service_task_state_name((enum service_task_state)rc)),
                   store_text(note ? note : ""), store_text(note ? note : ""), store_i64(decides),
                   store_i64(actor_id), store_i64(decides), store_i64(now), store_i64(now),
                   store_i64(id), store_i64(version)),
        err);
    if (n < 0) {
        rc = (int)n;
        goto out;
    }
    if (n == 0) {
        rc = err_field(err, ERR_CONFLICT, "version", "task %lld has changed", (long long)id);
        goto out;
    }
    rc = decides ? settle(c, t.application_id, now, a, finished, err) : 0;
out:
    arena_release(a);
    return rc;
}
