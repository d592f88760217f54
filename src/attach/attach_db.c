/* Attachment metadata: one row per distinct content, and the cases each is linked to. */
#include <string.h>

#include "attach/attach.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

#define COLUMNS                                                                                    \
    "a.id, a.sha256, a.mime, a.size, a.width, a.height, a.created_at, coalesce(a.created_by, 0)"

static void row(struct store_stmt *s, struct arena *a, struct attach_rec *out)
{
    out->id = store_col_int(s, 0);
    out->sha256 = arena_strdup(a, store_col_text(s, 1));
    out->mime = arena_strdup(a, store_col_text(s, 2));
    out->size = store_col_int(s, 3);
    out->width = (int)store_col_int(s, 4);
    out->height = (int)store_col_int(s, 5);
    out->created_at = store_col_int(s, 6);
    out->created_by = store_col_int(s, 7);
}

int attach_record(struct store_conn *c, const struct attach_file *f, int64_t user_id, int64_t now,
                  int64_t *id, struct err *err)
{
    int64_t rc = store_run(
        c,
        "INSERT INTO attachments(sha256, mime, size, width, height, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0)) ON CONFLICT(sha256) DO NOTHING",
        STORE_ARGS(store_text(f->sha256), store_text(f->mime), store_i64((int64_t)f->size),
                   store_i64(f->width), store_i64(f->height), store_i64(now), store_i64(user_id)),
        err);
    if (rc < 0)
        return (int)rc;
    int found = store_one_i64(c, "SELECT id FROM attachments WHERE sha256 = ?",
                              STORE_ARGS(store_text(f->sha256)), id, err);
    if (found < 0)
        return found;
    return found ? 0
                 : err_set(err, ERR_INTERNAL, "attachment '%s' vanished after it was recorded",
                           f->sha256);
}

int attach_get(struct store_conn *c, int64_t id, struct arena *a, struct attach_rec *out,
               struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT " COLUMNS " FROM attachments a WHERE a.id = ?",
                           STORE_ARGS(store_i64(id)), &s, err);
    if (rc < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1)
        row(s, a, out);
    store_done(s);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "attachment %lld does not exist", (long long)id);
    return rc < 0 ? rc : 0;
}

int attach_cases(struct store_conn *c, int64_t id, int64_t *case_ids, size_t max, size_t *n,
                 struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c, "SELECT case_id FROM case_attachments WHERE attachment_id = ? ORDER BY case_id LIMIT ?",
        STORE_ARGS(store_i64(id), store_i64((int64_t)max)), &s, err);
    *n = 0;
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1 && *n < max)
        case_ids[(*n)++] = store_col_int(s, 0);
    store_done(s);
    return rc < 0 ? rc : 0;
}

typedef VEC(struct attach_rec) attach_vec;

static int push_row(void *ctx, struct store_stmt *s)
{
    attach_vec *v = ctx;
    struct attach_rec *r = vec_push(v);
    row(s, v->arena, r);
    r->case_state = store_col_is_null(s, 8) ? NULL : arena_strdup(v->arena, store_col_text(s, 8));
    return 0;
}

int attach_list_for_case(struct store_conn *c, int64_t case_id, struct arena *a,
                         struct attach_rec **out, size_t *n, struct err *err)
{
    attach_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT " COLUMNS ", e.from_state"
                           " FROM case_attachments l JOIN attachments a ON a.id = l.attachment_id"
                           " LEFT JOIN case_events e ON e.id = l.event_id"
                           " WHERE l.case_id = ? ORDER BY l.event_id",
                           STORE_ARGS(store_i64(case_id)), push_row, &v, err);
    /* Never NULL, even when empty: readers take NULL to mean "not loaded" and leave the key out. */
    *out = v.n ? v.v : arena_alloc(a, sizeof(**out));
    *n = v.n;
    return rc < 0 ? (int)rc : 0;
}
