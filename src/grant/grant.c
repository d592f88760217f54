/*
 * Requests for data (需求清单), the owner's decision and the grants it makes (docs/data-sharing.md,
 * "申请与授权"): a 不予共享 dataset can never be requested, an unconditional one is granted at once
 * by the system, the others wait for the owner department's data officer, who approves,
 * narrows (fewer fields, a shorter period, aggregates instead of rows, a region scope) or
 * refuses with a reason. A grant expires, can be revoked with a reason, and carries its
 * privacy budget and watermark key.
 */
#include <math.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/mem.h"
#include "grant/grant.h"
#include "store/store.h"

#define DAY 86400

int grant_list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* The names checked against d (and, when 'within' is not NULL, against that list), joined
 * with commas in the dataset's order, into b. */
static int field_list(const struct catalog_dataset *d, const char *const *names, size_t n,
                      const char *within, const char *fname, int allow_empty, struct buf *b,
                      struct err *err)
{
    if (!n && !allow_empty)
        return err_field(err, ERR_BAD_REQUEST, fname, "name at least one field");
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !catalog_field_find(d, names[i]))
            return err_field(err, ERR_BAD_REQUEST, fname,
                             "field '%s' is not a field of the dataset", names[i] ? names[i] : "");
        if (within && !grant_list_has(within, names[i]))
            return err_field(err, ERR_BAD_REQUEST, fname, "field '%s' was not asked for", names[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(names[i], names[j]))
                return err_field(err, ERR_BAD_REQUEST, fname, "field '%s' is named twice",
                                 names[i]);
    }
    buf_reset(b);
    for (size_t f = 0; f < d->nfields; f++)
        for (size_t i = 0; i < n; i++)
            if (!strcmp(names[i], d->fields[f].name)) {
                if (b->len)
                    buf_putc(b, ',');
                buf_puts(b, names[i]);
            }
    buf_putc(b, 0);
    b->len--;
    return 0;
}

static int check_text(const char *v, const char *fname, size_t max, int required, struct err *err)
{
    if (required && (!v || !*v))
        return err_field(err, ERR_BAD_REQUEST, fname, "field '%s' is required", fname);
    if (v && utf8_len(v) > max)
        return err_field(err, ERR_BAD_REQUEST, fname, "field '%s' is longer than %zu characters",
                         fname, max);
    return 0;
}

static int insert_grant(struct store_conn *c, const struct catalog_dataset *d, int64_t dept,
                        int64_t request_id, const char *fields, const char *unmasked,
                        const char *mode, int64_t region_id, int k_min, double epsilon_total,
                        int period_days, int64_t user_id, int64_t now, int64_t *id, struct err *err)
{
    char key[GRANT_KEY_HEX + 1];
    grant_key_new(key);
    int rc = store_one_i64(
        c,
        "INSERT INTO data_grants (dataset_id, department_id, request_id, fields, unmasked, mode,"
        " region_id, k_min, epsilon_total, epsilon_spent, watermark_key, expires_at, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_i64(d->id), store_i64(dept), store_i64_or_null(request_id),
                   store_text(fields), store_text(unmasked), store_text(mode),
                   store_i64_or_null(region_id), store_i64(k_min > 0 ? k_min : d->k_min),
                   store_real(epsilon_total), store_text(key),
                   store_i64(now + (int64_t)period_days * DAY), store_i64_or_null(user_id),
                   store_i64(now)),
        id, err);
    return rc < 0 ? rc : 0;
}

int grant_request_create(struct store_conn *c, const struct grant_request_in *in, int64_t user_id,
                         int64_t now, int64_t *id, int64_t *grant_id, struct err *err)
{
    struct arena a;
    struct buf fields;
    struct catalog_dataset d;
    int rc;
    arena_init(&a, 8192);
    buf_init(&fields);
    *id = *grant_id = 0;
    if (in->dataset_id <= 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "dataset_id", "field 'dataset_id' is required");
        goto out;
    }
    if ((rc = catalog_dataset_get(c, in->dataset_id, &a, &d, err)) < 0) {
        if (rc == ERR_NOT_FOUND)
            rc = err_field(err, ERR_BAD_REQUEST, "dataset_id", "no dataset %lld",
                           (long long)in->dataset_id);
        goto out;
    }
    if (!strcmp(d.share_class, "none")) {
        rc = err_field(err, ERR_BAD_REQUEST, "dataset_id",
                       "dataset '%s' is 不予共享 and can never be requested", d.code);
        goto out;
    }
    if ((rc = field_list(&d, in->fields, in->nfields, NULL, "fields", 0, &fields, err)) < 0)
        goto out;
    if (!in->mode || (strcmp(in->mode, "rows") && strcmp(in->mode, "aggregate"))) {
        rc = err_field(err, ERR_BAD_REQUEST, "mode", "field 'mode' must be rows or aggregate");
        goto out;
    }
    if ((rc = check_text(in->purpose, "purpose", GRANT_PURPOSE_MAX, 1, err)) < 0 ||
        (rc = check_text(in->legal_basis, "legal_basis", GRANT_PURPOSE_MAX, 1, err)) < 0)
        goto out;
    if (in->period_days < 1 || in->period_days > GRANT_PERIOD_MAX) {
        rc = err_field(err, ERR_BAD_REQUEST, "period_days",
                       "field 'period_days' must be 1 to %d days", GRANT_PERIOD_MAX);
        goto out;
    }
    int uncond = !strcmp(d.share_class, "unconditional");
    rc = store_one_i64(
        c,
        "INSERT INTO data_requests (dataset_id, department_id, fields, mode, purpose, legal_basis,"
        " period_days, status, created_by, created_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?) RETURNING id",
        STORE_ARGS(store_i64(d.id), store_i64(in->department_id), store_text(fields.p),
                   store_text(in->mode), store_text(in->purpose), store_text(in->legal_basis),
                   store_i64(in->period_days), store_text(uncond ? "approved" : "pending"),
                   store_i64_or_null(user_id), store_i64(now),
                   uncond ? store_i64(now) : store_null()),
        id, err);
    if (rc < 0)
        goto out;
    rc = 0;
    if (uncond) {
        /* 无条件共享: the system grants what was asked, masked as the catalogue says. */
        if ((rc = insert_grant(c, &d, in->department_id, *id, fields.p, "", in->mode, 0, 0, 0,
                               in->period_days, user_id, now, grant_id, err)) < 0)
            goto out;
        rc = (int)store_run(c, "UPDATE data_requests SET grant_id = ? WHERE id = ?",
                            STORE_ARGS(store_i64(*grant_id), store_i64(*id)), err);
        rc = rc < 0 ? rc : 0;
    }
out:
    buf_release(&fields);
    arena_release(&a);
    return rc;
}

#define REQ_COLS                                                                                   \
    "r.id, r.dataset_id, r.department_id, s.department_id, s.code, s.name,"                        \
    " coalesce(o.name, ''), coalesce(q.name, ''), r.fields, r.mode, r.purpose, r.legal_basis,"     \
    " r.status, r.reason, r.period_days, coalesce(r.grant_id, 0), coalesce(r.created_by, 0),"      \
    " r.created_at, coalesce(r.decided_by, 0), coalesce(r.decided_at, 0)"
#define REQ_FROM                                                                                   \
    " FROM data_requests r JOIN datasets s ON s.id = r.dataset_id"                                 \
    " LEFT JOIN departments o ON o.id = s.department_id"                                           \
    " LEFT JOIN departments q ON q.id = r.department_id"

struct req_ctx {
    struct arena *a;
    const struct grant_filter *f;
    struct grant_request *v;
    size_t n, cap;
};

static int in_depts(const struct grant_filter *f, int64_t dept)
{
    if (!f || !f->depts)
        return 1;
    for (size_t i = 0; i < f->ndepts; i++)
        if (f->depts[i] == dept)
            return 1;
    return 0;
}

static void read_req(struct store_stmt *s, struct arena *a, struct grant_request *r)
{
    r->id = store_col_int(s, 0);
    r->dataset_id = store_col_int(s, 1);
    r->department_id = store_col_int(s, 2);
    r->owner_id = store_col_int(s, 3);
    r->dataset_code = arena_strdup(a, store_col_text(s, 4));
    r->dataset_name = arena_strdup(a, store_col_text(s, 5));
    r->owner_name = arena_strdup(a, store_col_text(s, 6));
    r->department_name = arena_strdup(a, store_col_text(s, 7));
    r->fields = arena_strdup(a, store_col_text(s, 8));
    r->mode = arena_strdup(a, store_col_text(s, 9));
    r->purpose = arena_strdup(a, store_col_text(s, 10));
    r->legal_basis = arena_strdup(a, store_col_text(s, 11));
    r->status = arena_strdup(a, store_col_text(s, 12));
    r->reason = arena_strdup(a, store_col_text(s, 13));
    r->period_days = (int)store_col_int(s, 14);
    r->grant_id = store_col_int(s, 15);
    r->created_by = store_col_int(s, 16);
    r->created_at = store_col_int(s, 17);
    r->decided_by = store_col_int(s, 18);
    r->decided_at = store_col_int(s, 19);
}

static int req_row(void *ud, struct store_stmt *s)
{
    struct req_ctx *x = ud;
    struct grant_request r;
    read_req(s, x->a, &r);
    if (x->f && !in_depts(x->f, x->f->owner ? r.owner_id : r.department_id))
        return 0;
    if (x->f && x->f->status && strcmp(x->f->status, r.status))
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct grant_request *v = arena_alloc(x->a, mem_size_mul(cap, sizeof *v));
        if (x->n)
            memcpy(v, x->v, x->n * sizeof *v);
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = r;
    return x->n >= GRANT_LIST_MAX;
}

int grant_request_get(struct store_conn *c, int64_t id, struct arena *a, struct grant_request *out,
                      struct err *err)
{
    struct req_ctx x = {a, NULL, NULL, 0, 0};
    int rc = store_one(c, "SELECT " REQ_COLS REQ_FROM " WHERE r.id = ?", STORE_ARGS(store_i64(id)),
                       req_row, &x, err);
    if (rc < 0)
        return rc;
    if (!x.n)
        return err_set(err, ERR_NOT_FOUND, "no data request %lld", (long long)id);
    *out = x.v[0];
    return 0;
}

int grant_request_list(struct store_conn *c, const struct grant_filter *f, struct arena *a,
                       struct grant_request **out, size_t *n, struct err *err)
{
    struct req_ctx x = {a, f, NULL, 0, 0};
    int64_t rc = store_all(c, "SELECT " REQ_COLS REQ_FROM " ORDER BY r.id DESC", STORE_NO_ARGS,
                           req_row, &x, err);
    if (rc < 0)
        return (int)rc;
    *out = x.v;
    *n = x.n;
    return 0;
}

int grant_request_decide(struct store_conn *c, int64_t id, const struct grant_decision *dec,
                         int64_t user_id, int64_t now, int64_t *grant_id, struct err *err)
{
    struct arena a;
    struct buf fields, unmasked;
    struct grant_request r;
    struct catalog_dataset d;
    int rc;
    arena_init(&a, 8192);
    buf_init(&fields);
    buf_init(&unmasked);
    *grant_id = 0;
    if ((rc = grant_request_get(c, id, &a, &r, err)) < 0 ||
        (rc = catalog_dataset_get(c, r.dataset_id, &a, &d, err)) < 0)
        goto out;
    const char *what = dec->decision ? dec->decision : "";
    int refuse = !strcmp(what, "refuse"), narrow = !strcmp(what, "narrow");
    if (!refuse && !narrow && strcmp(what, "approve")) {
        rc = err_field(err, ERR_BAD_REQUEST, "decision",
                       "field 'decision' must be approve, narrow or refuse");
        goto out;
    }
    if (strcmp(r.status, "pending")) {
        rc = err_set(err, ERR_CONFLICT, "data request %lld is %s, not pending", (long long)id,
                     r.status);
        goto out;
    }
    if ((rc = check_text(dec->reason, "reason", GRANT_REASON_MAX, refuse || narrow, err)) < 0)
        goto out;
    if (refuse) {
        rc = (int)store_run(c,
                            "UPDATE data_requests SET status = 'refused', reason = ?,"
                            " decided_by = ?, decided_at = ? WHERE id = ?",
                            STORE_ARGS(store_text(dec->reason), store_i64_or_null(user_id),
                                       store_i64(now), store_i64(id)),
                            err);
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    if (!strcmp(d.share_class, "none")) { /* reclassified since it was asked */
        rc = err_field(err, ERR_BAD_REQUEST, "dataset_id",
                       "dataset '%s' is 不予共享 and can never be granted", d.code);
        goto out;
    }
    const char *gfields = r.fields;
    if (dec->fields) {
        if ((rc = field_list(&d, dec->fields, dec->nfields, r.fields, "fields", 0, &fields, err)) <
            0)
            goto out;
        gfields = fields.p;
    }
    if ((rc = field_list(&d, dec->unmasked, dec->nunmasked, gfields, "unmasked", 1, &unmasked,
                         err)) < 0)
        goto out;
    int period = dec->period_days ? dec->period_days : r.period_days;
    if (period < 1 || period > r.period_days) {
        rc = err_field(err, ERR_BAD_REQUEST, "period_days",
                       "the period may only be shortened (1 to %d days)", r.period_days);
        goto out;
    }
    const char *mode = dec->mode ? dec->mode : r.mode;
    if (strcmp(mode, "rows") && strcmp(mode, "aggregate")) {
        rc = err_field(err, ERR_BAD_REQUEST, "mode", "field 'mode' must be rows or aggregate");
        goto out;
    }
    if (!strcmp(mode, "rows") && !strcmp(r.mode, "aggregate")) {
        rc = err_field(err, ERR_BAD_REQUEST, "mode",
                       "an aggregate request cannot be widened to rows");
        goto out;
    }
    if (dec->region_id) {
        rc = store_one(c, "SELECT 1 FROM regions WHERE id = ?",
                       STORE_ARGS(store_i64(dec->region_id)), NULL, NULL, err);
        if (rc <= 0) {
            rc = rc < 0 ? rc
                        : err_field(err, ERR_BAD_REQUEST, "region_id", "no region %lld",
                                    (long long)dec->region_id);
            goto out;
        }
    }
    if (!(dec->epsilon_total >= 0 && dec->epsilon_total <= GRANT_EPSILON_MAX)) {
        rc = err_field(err, ERR_BAD_REQUEST, "epsilon_total", "epsilon_total must be 0 to %g",
                       GRANT_EPSILON_MAX);
        goto out;
    }
    if (dec->k_min && (dec->k_min < d.k_min || dec->k_min > 1000)) {
        rc = err_field(err, ERR_BAD_REQUEST, "k_min",
                       "k_min may only be raised above the dataset's %d", d.k_min);
        goto out;
    }
    int changed = strcmp(gfields, r.fields) || period != r.period_days || strcmp(mode, r.mode) ||
                  dec->region_id;
    if (narrow && !changed) {
        rc = err_field(err, ERR_BAD_REQUEST, "fields",
                       "narrowing needs fewer fields, a shorter period, aggregates or a region");
        goto out;
    }
    if ((rc = insert_grant(c, &d, r.department_id, id, gfields, unmasked.p, mode, dec->region_id,
                           dec->k_min, dec->epsilon_total, period, user_id, now, grant_id, err)) <
        0)
        goto out;
    rc = (int)store_run(c,
                        "UPDATE data_requests SET status = ?, reason = ?, grant_id = ?,"
                        " decided_by = ?, decided_at = ? WHERE id = ?",
                        STORE_ARGS(store_text(changed ? "narrowed" : "approved"),
                                   store_text(dec->reason ? dec->reason : ""), store_i64(*grant_id),
                                   store_i64_or_null(user_id), store_i64(now), store_i64(id)),
                        err);
    rc = rc < 0 ? rc : 0;
out:
    buf_release(&fields);
    buf_release(&unmasked);
    arena_release(&a);
    return rc;
}

#define GRANT_COLS                                                                                 \
    "g.id, g.dataset_id, g.department_id, coalesce(g.request_id, 0), coalesce(g.region_id, 0),"    \
    " s.department_id, s.code, s.name, coalesce(o.name, ''), coalesce(q.name, ''),"                \
    " coalesce(rg.name, ''), g.fields, g.unmasked, g.mode, g.revoke_reason, g.watermark_key,"      \
    " g.k_min, g.epsilon_total, g.epsilon_spent, g.expires_at, coalesce(g.revoked_at, 0),"         \
    " coalesce(g.created_by, 0), g.created_at"
#define GRANT_FROM                                                                                 \
    " FROM data_grants g JOIN datasets s ON s.id = g.dataset_id"                                   \
    " LEFT JOIN departments o ON o.id = s.department_id"                                           \
    " LEFT JOIN departments q ON q.id = g.department_id"                                           \
    " LEFT JOIN regions rg ON rg.id = g.region_id"

struct grant_ctx {
    struct arena *a;
    const struct grant_filter *f;
    struct grant_rec *v;
    size_t n, cap;
};

static int grant_row(void *ud, struct store_stmt *s)
{
    struct grant_ctx *x = ud;
    struct grant_rec g;
    struct arena *a = x->a;
    g.id = store_col_int(s, 0);
    g.dataset_id = store_col_int(s, 1);
    g.department_id = store_col_int(s, 2);
    g.request_id = store_col_int(s, 3);
    g.region_id = store_col_int(s, 4);
    g.owner_id = store_col_int(s, 5);
    if (x->f && !in_depts(x->f, x->f->owner ? g.owner_id : g.department_id))
        return 0;
    g.dataset_code = arena_strdup(a, store_col_text(s, 6));
    g.dataset_name = arena_strdup(a, store_col_text(s, 7));
    g.owner_name = arena_strdup(a, store_col_text(s, 8));
    g.department_name = arena_strdup(a, store_col_text(s, 9));
    g.region_name = arena_strdup(a, store_col_text(s, 10));
    g.fields = arena_strdup(a, store_col_text(s, 11));
    g.unmasked = arena_strdup(a, store_col_text(s, 12));
    g.mode = arena_strdup(a, store_col_text(s, 13));
    g.revoke_reason = arena_strdup(a, store_col_text(s, 14));
    g.watermark_key = arena_strdup(a, store_col_text(s, 15));
    g.k_min = (int)store_col_int(s, 16);
    g.epsilon_total = store_col_real(s, 17);
    g.epsilon_spent = store_col_real(s, 18);
    g.expires_at = store_col_int(s, 19);
    g.revoked_at = store_col_int(s, 20);
    g.created_by = store_col_int(s, 21);
    g.created_at = store_col_int(s, 22);
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct grant_rec *v = arena_alloc(a, mem_size_mul(cap, sizeof *v));
        if (x->n)
            memcpy(v, x->v, x->n * sizeof *v);
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = g;
    return x->n >= GRANT_LIST_MAX;
}

int grant_get(struct store_conn *c, int64_t id, struct arena *a, struct grant_rec *out,
              struct err *err)
{
    struct grant_ctx x = {a, NULL, NULL, 0, 0};
    int rc = store_one(c, "SELECT " GRANT_COLS GRANT_FROM " WHERE g.id = ?",
                       STORE_ARGS(store_i64(id)), grant_row, &x, err);
    if (rc < 0)
        return rc;
    if (!x.n)
        return err_set(err, ERR_NOT_FOUND, "no data grant %lld", (long long)id);
    *out = x.v[0];
    return 0;
}

int grant_list(struct store_conn *c, const struct grant_filter *f, struct arena *a,
               struct grant_rec **out, size_t *n, struct err *err)
{
    struct grant_ctx x = {a, f, NULL, 0, 0};
    int64_t rc = store_all(c, "SELECT " GRANT_COLS GRANT_FROM " ORDER BY g.id DESC", STORE_NO_ARGS,
                           grant_row, &x, err);
    if (rc < 0)
        return (int)rc;
    *out = x.v;
    *n = x.n;
    return 0;
}

int grant_revoke(struct store_conn *c, int64_t id, const char *reason, int64_t now, struct err *err)
{
    int rc = check_text(reason, "reason", GRANT_REASON_MAX, 1, err);
    if (rc < 0)
        return rc;
    int64_t n = store_run(c,
                          "UPDATE data_grants SET revoked_at = ?, revoke_reason = ?"
                          " WHERE id = ? AND revoked_at IS NULL",
                          STORE_ARGS(store_i64(now), store_text(reason), store_i64(id)), err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_set(err, ERR_CONFLICT, "data grant %lld is already revoked", (long long)id);
    return 0;
}

int grant_usable(const struct grant_rec *g, int64_t now, struct err *err)
{
    if (g->revoked_at)
        return err_field(err, ERR_FORBIDDEN, "grant", "data grant %lld was revoked",
                         (long long)g->id);
    if (now >= g->expires_at)
        return err_field(err, ERR_FORBIDDEN, "grant", "data grant %lld has expired",
                         (long long)g->id);
    return 0;
}

int grant_spend(struct store_conn *c, const struct grant_rec *g, double eps, struct err *err)
{
    int rc = grant_budget_check(g->epsilon_total, g->epsilon_spent, eps, err);
    if (rc < 0)
        return rc;
    /* Checked again in the statement: two queries racing cannot both spend the last of it. */
    int64_t n = store_run(c,
                          "UPDATE data_grants SET epsilon_spent = epsilon_spent + ?"
                          " WHERE id = ? AND epsilon_spent + ? <= epsilon_total + 0.000001",
                          STORE_ARGS(store_real(eps), store_i64(g->id), store_real(eps)), err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return err_field(err, ERR_FORBIDDEN, "epsilon",
                         "the privacy budget of the grant is exhausted");
    return 0;
}

/* ---- uses ---- */

int grant_use_record(struct store_conn *c, int64_t grant_id, int64_t user_id, const char *action,
                     int64_t rows, double epsilon, const char *detail, int64_t now, struct err *err)
{
    int64_t n = store_run(c,
                          "INSERT INTO data_grant_uses (grant_id, at, user_id, action, row_count,"
                          " epsilon, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          STORE_ARGS(store_i64(grant_id), store_i64(now),
                                     store_i64_or_null(user_id), store_text(action),
                                     store_i64(rows), store_real(epsilon), store_text(detail)),
                          err);
    return n < 0 ? (int)n : 0;
}

struct use_ctx {
    struct arena *a;
    struct grant_use *v;
    size_t n, cap;
};

static int use_row(void *ud, struct store_stmt *s)
{
    struct use_ctx *x = ud;
    struct grant_use u;
    u.id = store_col_int(s, 0);
    u.at = store_col_int(s, 1);
    u.user_id = store_col_int(s, 2);
    u.user_name = arena_strdup(x->a, store_col_text(s, 3));
    u.action = arena_strdup(x->a, store_col_text(s, 4));
    u.rows = store_col_int(s, 5);
    u.epsilon = store_col_real(s, 6);
    u.detail = arena_strdup(x->a, store_col_text(s, 7));
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct grant_use *v = arena_alloc(x->a, mem_size_mul(cap, sizeof *v));
        if (x->n)
            memcpy(v, x->v, x->n * sizeof *v);
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = u;
    return 0;
}

int grant_use_list(struct store_conn *c, int64_t grant_id, struct arena *a, struct grant_use **out,
                   size_t *n, struct err *err)
{
    struct use_ctx x = {a, NULL, 0, 0};
    int64_t rc =
        store_all(c,
                  "SELECT u.id, u.at, coalesce(u.user_id, 0),"
                  " coalesce(nullif(us.display_name, ''), us.name, ''), u.action,"
                  " u.row_count, u.epsilon, u.detail FROM data_grant_uses u"
                  " LEFT JOIN users us ON us.id = u.user_id WHERE u.grant_id = ?"
                  " ORDER BY u.id DESC LIMIT ?",
                  STORE_ARGS(store_i64(grant_id), store_i64(GRANT_USES_MAX)), use_row, &x, err);
    if (rc < 0)
        return (int)rc;
    *out = x.v;
    *n = x.n;
    return 0;
}
