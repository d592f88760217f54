/* Attachments of a case: who may add them, and linking a stored file with its event. */
#include "attach/attach.h"
#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

const char *case_photo_stage(const char *state)
{
    int s = state ? case_state_from_name(state) : -1;
    if (s < 0)
        return NULL;
    return s == CASE_NEW || s == CASE_DISPATCHED || s == CASE_RETURNED ? "before" : "after";
}

int case_may_attach(const struct case_actor *actor, const struct case_rec *rec, struct err *err)
{
    if (!case_visible(actor, rec))
        return err_deny(err, ERR_REASON_SCOPE, "case %s is outside your scope", rec->number);
    if (!(actor->roles & ROLE_STAFF) && !(rec->created_by && rec->created_by == actor->user_id))
        return err_deny(err, ERR_REASON_OWNER,
                        "only staff and the citizen who reported case %s may add attachments",
                        rec->number);
    if (case_state_is_final(rec->state))
        return err_set(err, ERR_CONFLICT, "case %s is %s; attachments can no longer be added",
                       rec->number, case_state_name(rec->state));
    return 0;
}

int case_attach_check(struct store_conn *c, const struct case_rec *r, const char *sha256,
                      int max_per_case, int64_t *attachment_id, struct err *err)
{
    int64_t count = 0;
    int rc = store_one_i64(c,
                           "SELECT a.id FROM attachments a JOIN case_attachments l"
                           " ON l.attachment_id = a.id WHERE a.sha256 = ? AND l.case_id = ?",
                           STORE_ARGS(store_text(sha256), store_i64(r->id)), attachment_id, err);
    if (rc != 0)
        return rc; /* 1: already attached, or an error */
    if ((rc = store_one_i64(c, "SELECT count(*) FROM case_attachments WHERE case_id = ?",
                            STORE_ARGS(store_i64(r->id)), &count, err)) < 0)
        return rc;
    if (count >= max_per_case)
        return err_set(err, ERR_CONFLICT,
                       "case %s already carries %lld attachments, the most allowed", r->number,
                       (long long)count);
    return 0;
}

int case_attach(const struct case_env *env, int64_t id, struct attach_store *st,
                struct attach_job *job, int max_per_case, int64_t *attachment_id, struct err *err)
{
    const struct attach_file *file = &job->file;
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    struct store_conn *c = env->conn;
    struct case_rec r;
    int64_t aid, event_id, linked = 0, count = 0;
    int rc;

    arena_init(&t.arena, 2048);
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    if ((rc = case_get(c, id, &t.arena, &r, err)) < 0 ||
        (rc = case_may_attach(env->actor, &r, err)) < 0 ||
        (rc = attach_record(c, file, env->actor->user_id, env->now, &aid, err)) < 0 ||
        (rc = store_one_i64(
             c, "SELECT count(*) FROM case_attachments WHERE case_id = ? AND attachment_id = ?",
             STORE_ARGS(store_i64(id), store_i64(aid)), &linked, err)) < 0)
        goto rollback;
    if (linked) {
        /* A retried upload: the attachments row existed as well, so nothing was written. */
        store_rollback(c);
        *attachment_id = aid;
        rc = 1;
        goto out;
    }
    if ((rc = store_one_i64(c, "SELECT count(*) FROM case_attachments WHERE case_id = ?",
                            STORE_ARGS(store_i64(id)), &count, err)) < 0)
        goto rollback;
    if (count >= max_per_case) {
        rc =
            err_set(err, ERR_CONFLICT, "case %s already carries %lld attachments, the most allowed",
                    r.number, (long long)count);
        goto rollback;
    }
    char *payload = arena_printf(
        &t.arena,
        "{\"attachment\":%lld,\"sha256\":\"%s\",\"mime\":\"%s\",\"size\":%zu,\"width\":%d,\"height\":%d}",
        (long long)aid, file->sha256, file->mime, file->size, file->width, file->height);
    if ((rc = case_tx_event(&t, id, "attach", case_state_name(r.state), case_state_name(r.state),
                            r.lead_department_id, NULL, payload, &event_id)) < 0 ||
        (rc = case_tx_exec(
             &t,
             "INSERT INTO case_attachments(case_id, attachment_id, event_id, added_by, added_at)"
             " VALUES (?, ?, ?, nullif(?, 0), ?)",
             STORE_ARGS(store_i64(id), store_i64(aid), store_i64(event_id),
                        store_i64(env->actor->user_id), store_i64(env->now)))) < 0 ||
        (rc = case_tx_exec(&t, "UPDATE cases SET updated_at = ? WHERE id = ?",
                           STORE_ARGS(store_i64(env->now), store_i64(id)))) < 0 ||
        (rc = case_tx_audit(&t, "attach", id, NULL, payload)) < 0 ||
        (rc = attach_job_place(st, job, err)) < 0)
        goto rollback;
    if ((rc = store_commit(c, err)) < 0)
        goto out;
    *attachment_id = aid;
    goto out;
rollback:
    store_rollback(c);
out:
    arena_release(&t.arena);
    return rc;
}

/* ---- a grid worker's photos before their case exists (自行处置) ---- */

int case_upload_check(struct store_conn *c, int64_t user_id, const char *sha256, int64_t now,
                      int64_t *attachment_id, struct err *err)
{
    int64_t count = 0;
    int rc = store_one_i64(c,
                           "SELECT a.id FROM attachments a JOIN pending_uploads p"
                           " ON p.attachment_id = a.id WHERE a.sha256 = ? AND p.user_id = ?"
                           " AND p.created_at >= ?",
                           STORE_ARGS(store_text(sha256), store_i64(user_id),
                                      store_i64(now - CASE_PENDING_UPLOAD_SECONDS)),
                           attachment_id, err);
    if (rc != 0)
        return rc; /* 1: pending already, or an error */
    if ((rc = store_one_i64(
             c,
             "SELECT count(*) FROM pending_uploads WHERE user_id = ?"
             " AND created_at >= ?",
             STORE_ARGS(store_i64(user_id), store_i64(now - CASE_PENDING_UPLOAD_SECONDS)), &count,
             err)) < 0)
        return rc;
    if (count >= CASE_PENDING_UPLOADS_MAX)
        return err_field(err, ERR_CONFLICT, "file",
                         "%lld photos wait for their report already, the most allowed: report "
                         "them first",
                         (long long)count);
    return 0;
}

typedef VEC(int64_t) id_vec;

static int push_id(void *ctx, struct store_stmt *row)
{
    id_vec *v = ctx;
    *(int64_t *)vec_push(v) = store_col_int(row, 0);
    return 0;
}

/* Drop the user's pending uploads older than a day, and the attachments rows of those nothing
 * else holds (no case, nobody's pending upload): their files then have no row, and the
 * attachment sweep removes them. */
static int drop_expired(struct store_conn *c, int64_t user, int64_t before, struct err *err)
{
    struct arena a;
    int64_t rc;
    arena_init(&a, 256);
    id_vec v = VEC_IN(&a);
    if ((rc = store_all(c,
                        "SELECT attachment_id FROM pending_uploads WHERE user_id = ?"
                        " AND created_at < ?",
                        STORE_ARGS(store_i64(user), store_i64(before)), push_id, &v, err)) < 0 ||
        (rc = store_run(c, "DELETE FROM pending_uploads WHERE user_id = ? AND created_at < ?",
                        STORE_ARGS(store_i64(user), store_i64(before)), err)) < 0)
        goto out;
    for (size_t i = 0; i < v.n; i++)
        if ((rc = store_run(c,
                            "DELETE FROM attachments WHERE id = ? AND NOT EXISTS (SELECT 1 FROM"
                            " case_attachments l WHERE l.attachment_id = ?) AND NOT EXISTS"
                            " (SELECT 1 FROM pending_uploads p WHERE p.attachment_id = ?)",
                            STORE_ARGS(store_i64(v.v[i]), store_i64(v.v[i]), store_i64(v.v[i])),
                            err)) < 0)
            goto out;
    rc = 0;
out:
    arena_release(&a);
    return (int)rc;
}

int case_upload_pending(const struct case_env *env, struct attach_store *st, struct attach_job *job,
                        int64_t *attachment_id, struct err *err)
{
    const struct attach_file *file = &job->file;
    struct store_conn *c = env->conn;
    int64_t user = env->actor->user_id, aid = 0;
    int rc;
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    if ((rc = drop_expired(c, user, env->now - CASE_PENDING_UPLOAD_SECONDS, err)) < 0 ||
        (rc = case_upload_check(c, user, file->sha256, env->now, &aid, err)) < 0)
        goto rollback;
    if (rc == 1) {
        store_rollback(c);
        *attachment_id = aid;
        return 1;
    }
    if ((rc = attach_record(c, file, user, env->now, &aid, err)) < 0 ||
        (rc = (int)store_run(c,
                             "INSERT INTO pending_uploads(user_id, attachment_id, created_at)"
                             " VALUES (?, ?, ?) ON CONFLICT (user_id, attachment_id) DO UPDATE"
                             " SET created_at = excluded.created_at",
                             STORE_ARGS(store_i64(user), store_i64(aid), store_i64(env->now)),
                             err)) < 0)
        goto rollback;
    if (env->audit) {
        struct arena a;
        arena_init(&a, 512);
        rc = env->audit(env->audit_ctx, c, "upload.create",
                        arena_printf(&a, "attachment/%lld", (long long)aid), NULL,
                        arena_printf(&a, "{\"sha256\":\"%s\",\"mime\":\"%s\",\"size\":%zu}",
                                     file->sha256, file->mime, file->size),
                        err);
        arena_release(&a);
        if (rc < 0)
            goto rollback;
    }
    if ((rc = attach_job_place(st, job, err)) < 0)
        goto rollback;
    if ((rc = store_commit(c, err)) < 0)
        return rc;
    *attachment_id = aid;
    return 0;
rollback:
    store_rollback(c);
    return rc;
}

int case_upload_is_pending(struct store_conn *c, int64_t user_id, int64_t id, int *yes,
                           struct err *err)
{
    int rc = store_one(c, "SELECT 1 FROM pending_uploads WHERE user_id = ? AND attachment_id = ?",
                       STORE_ARGS(store_i64(user_id), store_i64(id)), NULL, NULL, err);
    if (rc < 0)
        return rc;
    *yes = rc == 1;
    return 0;
}
