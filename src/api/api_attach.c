/*
 * Attachment endpoints: a photo added to a case (the raw image as the body, or one file in
 * multipart/form-data; decoded off the HTTP threads, see struct upload), a grid worker's photo
 * uploaded before the self-handled report that will carry it (POST /api/v1/me/uploads), and the file and
 * its thumbnail for whoever may see a case it is
 * attached to. The files are immutable (named by their hash), so they are sent straight from
 * disk with the hash as ETag and cached by the browser for good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "attach/attach.h"
#include "case/case.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

/* Cases looked at when deciding whether the caller may see a (shared) attachment. */
#define MAX_LINKED_CASES 64

static int type_is(const char *ct, const char *prefix)
{
    return ct && strncasecmp(ct, prefix, strlen(prefix)) == 0;
}

void api_attachment_json(struct jw *w, int64_t id, const char *sha256, const char *mime,
                         int64_t size, int width, int height, const char *stage)
{
    char url[64];
    jw_obj(w);
    jw_kint(w, "id", id);
    jw_kstr(w, "sha256", sha256);
    jw_kstr(w, "mime", mime);
    jw_kint(w, "size", size);
    jw_kint(w, "width", width);
    jw_kint(w, "height", height);
    snprintf(url, sizeof(url), "/api/v1/attachments/%lld", (long long)id);
    jw_kstr(w, "url", url);
    snprintf(url, sizeof(url), "/api/v1/attachments/%lld/thumbnail", (long long)id);
    jw_kstr(w, "thumbnail_url", url);
    if (stage)
        jw_kstr(w, "stage", stage);
    jw_obj_end(w);
}

/*
 * One upload on its way through the attachment store's decoding threads. The decoding
 * thread that staged the files also runs the transaction that attaches them (case_attach)
 * and then places or discards them, so the files follow the transaction whether or not the
 * client is still there. The JSON endpoint waits (deferred: no HTTP thread is held) and
 * answers from 'call'; an Open311 photo is attached after the report was answered, and owns
 * its memory.
 */
struct upload {
    struct attach_job job;
    struct app *app;
    int64_t case_id;
    int64_t now;
    const struct auth_user *user; /* request arena, or 'own' */
    int max_per_case;
    /* The outcome: 0 attached, 1 already attached, or an error. */
    int rc;
    int64_t aid;
    struct err err;
    /* The JSON endpoint: the call answered once the upload is done. */
    struct api_call call;
    /* Open311: nobody waits; the upload owns a copy of the bytes and of the user. */
    int detached;
    char request_id[20];
    const char *number;
    struct arena own;
};

/* On the decoding thread: attach the staged file to its case (which places it before the
 * commit), or discard it. */
static void upload_attach(struct upload *u)
{
    struct attach_store *st = app_attach(u->app);
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct arena a;
    u->rc = u->job.rc;
    u->err = u->job.err;
    if (u->rc < 0)
        return; /* nothing was staged */
    arena_init(&a, 1024);
    struct app_ctx x = {u->app, NULL, &a, u->now, u->user, &u->err};
    if ((u->rc = store_conn(app_store(u->app), &x.conn, &u->err)) < 0 ||
        (u->rc = app_case_env(&x, &env, &actor, &cfg)) < 0 ||
        (u->rc = u->case_id
                     ? case_attach(&env, u->case_id, st, &u->job, u->max_per_case, &u->aid, &u->err)
                     : case_upload_pending(&env, st, &u->job, &u->aid, &u->err)) < 0) {
        attach_job_discard(st, &u->job);
    } else if (u->rc == 1 && attach_job_place(st, &u->job, &u->err) < 0) {
        /* Already attached, and its file is not where it should be: this upload puts it back
         * when it can. */
        log_msg(LOG_ERROR, "attachment %lld of case %lld: its file could not be put back: %s",
                (long long)u->aid, (long long)u->case_id, u->err.msg);
        u->rc = u->err.code;
    }
    arena_release(&a);
}

static void upload_reply(struct api_call *call, int status, int64_t aid,
                         const struct attach_file *f)
{
    http_res_header(call->res, "Location",
                    arena_printf(call->req->arena, "/api/v1/attachments/%lld", (long long)aid));
    struct jw w;
    jw_init(&w);
    api_attachment_json(&w, aid, f->sha256, f->mime, (int64_t)f->size, f->width, f->height, NULL);
    api_reply(call, status, &w);
}

/* A refusal the client should retry later: say when. */
static void retry_after(struct api_call *call, int seconds)
{
    http_res_header(call->res, "Retry-After", arena_printf(call->req->arena, "%d", seconds));
}

/* The seconds a client waits after the decoders' queue was full: about one decode. */
#define DECODE_RETRY_AFTER 3

/* HTTP thread, after http_req_resume(). */
static void upload_finish(void *arg, struct http_req *req, struct http_res *res)
{
    struct upload *u = arg;
    struct api_call call = u->call;
    call.req = req;
    call.res = res;
    if (u->rc >= 0) {
        upload_reply(&call, u->rc == 1 ? 200 : 201, u->aid, &u->job.file);
        return;
    }
    call.err = u->err;
    if (u->rc == ERR_UNAVAILABLE || u->rc == ERR_THROTTLED)
        retry_after(&call, DECODE_RETRY_AFTER);
    api_answer_failure(&call, call.route, u->rc);
}

/* Decoding thread: the upload is staged (or failed). */
static void upload_done(struct attach_job *job)
{
    struct upload *u = job->arg;
    upload_attach(u);
    if (!u->detached) {
        http_req_resume(u->call.req);
        return;
    }
    if (u->rc < 0)
        log_msg(LOG_ERROR, "request %s: a photo of case %s not attached: %s", u->request_id,
                u->number, u->err.msg);
    free((void *)u->job.data);
    arena_release(&u->own);
    free(u);
}

/* The caller's rate, then the body's file: the raw image, or one file in multipart/form-data.
 * The declared type only says how the body is framed; what the file is, the bytes say. */
static int upload_body(struct api_call *call, const char **data, size_t *len)
{
    const char *ct = http_req_header(call->req, "Content-Type");
    const struct conf *cf = call->api->d.conf;
    int rc, wait;
    if (!call->api->d.attach)
        return err_set(&call->err, ERR_UNAVAILABLE, "attachments are not enabled on this server");
    if (!app_rate_take(call->api->app, APP_RATE_UPLOAD, call->user->id,
                       cf->attach_uploads_per_minute, call->now, &wait)) {
        retry_after(call, wait);
        return err_set(&call->err, ERR_THROTTLED,
                       "at most %d uploads a minute are accepted from one user",
                       cf->attach_uploads_per_minute);
    }
    *data = call->req->body;
    *len = call->req->body_len;
    if (type_is(ct, "multipart/form-data")) {
        struct http_part part;
        if ((rc = http_multipart_file(ct, *data, *len, call->req->arena, &part, &call->err)) < 0)
            return rc;
        *data = part.data;
        *len = part.len;
    } else if (!type_is(ct, "image/") && !type_is(ct, "application/octet-stream")) {
        return err_set(
            &call->err, ERR_MEDIA_TYPE,
            "send the file as the body with 'Content-Type: image/...' (or application/octet-stream), "
            "or as one file in multipart/form-data");
    }
    return 0;
}

/* Hand the checked file to a decoding thread, which links it to case 'case_id' (0: the caller's
 * pending upload) and answers. */
static int upload_defer(struct api_call *call, int64_t case_id, const char *data, size_t len,
                        const struct attach_file *f)
{
    struct attach_store *st = call->api->d.attach;
    struct upload *u = arena_alloc(call->req->arena, sizeof(*u));
    u->job.data = data;
    u->job.len = len;
    u->job.file = *f;
    u->job.owner = call->user->id;
    u->job.done = upload_done;
    u->job.arg = u;
    u->app = call->api->app;
    u->case_id = case_id;
    u->now = call->now;
    u->user = call->user;
    u->max_per_case = call->api->d.conf->attach_max_per_case;
    /* As api_write_defer: what belongs to the handler's thread stays behind. */
    u->call = *call;
    u->call.body = NULL;
    u->call.conn = NULL;
    u->call.res = NULL;
    u->call.in_tx = 0;
    http_req_defer(call->req, upload_finish, u);
    if (attach_submit(st, &u->job, &u->err) < 0) {
        u->rc = u->err.code;
        http_req_resume(call->req); /* answered with the refusal by upload_finish() */
    }
    return 0;
}

int api_case_attachment_add(struct api_call *call)
{
    const struct case_rec *r;
    struct case_actor actor;
    struct attach_file f;
    const char *data;
    size_t len;
    int64_t aid;
    int rc;
    /* Cheapest first: the caller's rate, then who may attach, then the bytes' header and
     * hash, then the database (limit, same content); only then a decode, off this thread. */
    if ((rc = upload_body(call, &data, &len)) < 0)
        return rc;
    app_actor(call->user, &actor);
    if ((rc = api_scoped_case(call, &r)) < 0 || (rc = case_may_attach(&actor, r, &call->err)) < 0)
        return rc;
    if ((rc = attach_check(call->api->d.attach, data, len, &f, &call->err)) < 0 ||
        (rc = case_attach_check(call->conn, r, f.sha256, call->api->d.conf->attach_max_per_case,
                                &aid, &call->err)) < 0)
        return rc;
    /* A retried upload whose files are in place: answered without a decode (the same bytes,
     * so the same type and size). Files lost from the disk go through the decode again. */
    if (rc == 1 && attach_store_has(call->api->d.attach, f.sha256, f.size)) {
        upload_reply(call, 200, aid, &f);
        return 0;
    }
    return upload_defer(call, r->id, data, len, &f);
}

int api_me_upload_add(struct api_call *call)
{
    struct attach_file f;
    const char *data;
    size_t len;
    int64_t aid;
    int rc;
    if ((rc = upload_body(call, &data, &len)) < 0 ||
        (rc = attach_check(call->api->d.attach, data, len, &f, &call->err)) < 0 ||
        (rc = case_upload_check(call->conn, call->user->id, f.sha256, call->now, &aid,
                                &call->err)) < 0)
        return rc;
    if (rc == 1 && attach_store_has(call->api->d.attach, f.sha256, f.size)) {
        upload_reply(call, 200, aid, &f);
        return 0;
    }
    return upload_defer(call, 0, data, len, &f);
}

/* A deep copy of 'u' into 'a': a detached upload outlives the request. */
static const struct auth_user *user_copy(struct arena *a, const struct auth_user *u)
{
    struct auth_user *c = arena_alloc(a, sizeof(*c));
    *c = *u;
    c->name = u->name ? arena_strdup(a, u->name) : NULL;
    c->display_name = u->display_name ? arena_strdup(a, u->display_name) : NULL;
    c->region_code = u->region_code ? arena_strdup(a, u->region_code) : NULL;
    c->phone = NULL;
    return c;
}

int api_attach_later(struct api_call *call, int64_t case_id, const char *number,
                     const struct api_photo *photo)
{
    struct attach_store *st = call->api->d.attach;
    struct upload *u = xcalloc(1, sizeof(*u));
    char *copy = xmalloc(photo->len ? photo->len : 1);
    memcpy(copy, photo->data, photo->len);
    arena_init(&u->own, 1024);
    u->job.data = copy;
    u->job.len = photo->len;
    u->job.file = photo->file;
    u->job.owner = 0; /* an Open311 client: its own rate limit applies */
    u->job.done = upload_done;
    u->job.arg = u;
    u->app = call->api->app;
    u->case_id = case_id;
    u->now = call->now;
    u->user = user_copy(&u->own, call->user);
    u->max_per_case = call->api->d.conf->attach_max_per_case;
    u->detached = 1;
    snprintf(u->request_id, sizeof(u->request_id), "%s", call->req->request_id);
    u->number = arena_strdup(&u->own, number);
    int rc = attach_submit(st, &u->job, &call->err);
    if (rc < 0) {
        free(copy);
        arena_release(&u->own);
        free(u);
    }
    return rc;
}

static int may_see(struct api_call *call, int64_t attachment_id)
{
    const struct auth_user *u = call->user;
    struct case_actor actor = {u->id, u->name, u->roles, u->depts, u->ndepts, u->region_code};
    int64_t cases[MAX_LINKED_CASES];
    size_t n;
    int rc;
    int mine = 0;
    /* A grid worker's photo waiting for its report: theirs to see. */
    if ((rc = case_upload_is_pending(call->conn, u->id, attachment_id, &mine, &call->err)) < 0)
        return rc;
    if (mine)
        return 0;
    if ((rc = attach_cases(call->conn, attachment_id, cases, MAX_LINKED_CASES, &n, &call->err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct case_rec r;
        if ((rc = case_get(call->conn, cases[i], call->req->arena, &r, &call->err)) < 0)
            return rc;
        if (case_visible(&actor, &r))
            return 0;
    }
    return err_deny(&call->err, ERR_REASON_SCOPE, "attachment %lld belongs to no case you may see",
                    (long long)attachment_id);
}

static int send_file(struct api_call *call, int thumbnail)
{
    struct attach_rec a;
    int64_t id;
    uint64_t size;
    int fd, rc;
    if (!call->api->d.attach)
        return err_set(&call->err, ERR_UNAVAILABLE, "attachments are not enabled on this server");
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = attach_get(call->conn, id, call->req->arena, &a, &call->err)) < 0 ||
        (rc = may_see(call, id)) < 0)
        return rc;
    const char *etag =
        arena_printf(call->req->arena, "\"%s%s\"", a.sha256, thumbnail ? "-thumb" : "");
    const char *inm = http_req_header(call->req, "If-None-Match");
    http_res_header(call->res, "ETag", etag);
    /* A case's photo is personal: not kept in any cache (the ETag still saves the bytes of a
     * repeated request that sends If-None-Match). */
    http_res_header(call->res, "Cache-Control", "private, no-store");
    http_res_header(call->res, "X-Content-Type-Options", "nosniff");
    if (inm && (strcmp(inm, "*") == 0 || strstr(inm, etag))) {
        http_res_body(call->res, 304, NULL, "", 0, HTTP_BODY_STATIC);
        return 0;
    }
    struct err e = ERR_INIT;
    rc = attach_store_open_file(call->api->d.attach, a.sha256, thumbnail, &fd, &size, &e);
    if (rc == ERR_NOT_FOUND)
        return err_set(&call->err, ERR_INTEGRITY,
                       "the stored %s of attachment %lld is missing (%s)",
                       thumbnail ? "thumbnail" : "file", (long long)id, e.msg);
    if (rc < 0) {
        call->err = e;
        return rc;
    }
    http_res_body(call->res, 200, thumbnail ? "image/jpeg" : a.mime, "", 0, HTTP_BODY_STATIC);
    call->res->fd = fd;
    call->res->fd_size = size;
    return 0;
}

int api_attachment_get(struct api_call *call)
{
    return send_file(call, 0);
}

int api_attachment_thumbnail(struct api_call *call)
{
    return send_file(call, 1);
}
