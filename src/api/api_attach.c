/*
 * Attachment endpoints: a photo added to a case (the raw image as the body, or one file in
 * multipart/form-data), and the file and its thumbnail for whoever may see a case it is
 * attached to. The files are immutable (named by their hash), so they are sent straight from
 * disk with the hash as ETag and cached by the browser for good.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "attach/attach.h"
#include "case/case.h"
#include "store/store.h"

/* Cases looked at when deciding whether the caller may see a (shared) attachment. */
#define MAX_LINKED_CASES 64

static int type_is(const char *ct, const char *prefix)
{
    return ct && strncasecmp(ct, prefix, strlen(prefix)) == 0;
}

void api_attachment_json(struct jw *w, int64_t id, const char *sha256, const char *mime,
                         int64_t size, int width, int height)
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
    jw_obj_end(w);
}

int api_case_attachment_add(struct api_call *call)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    struct case_rec r;
    struct attach_file f;
    const char *ct = http_req_header(call->req, "Content-Type");
    const char *data = call->req->body;
    size_t len = call->req->body_len;
    int64_t id, aid;
    int rc;
    if (!call->api->d.attach)
        return err_set(&call->err, ERR_UNAVAILABLE, "attachments are not enabled on this server");
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = api_case_env(call, &env, &actor, &cfg)) < 0)
        return rc;
    /* Refuse those who may not attach before anything is decoded or written to disk. */
    if ((rc = case_get(call->conn, id, call->req->arena, &r, &call->err)) < 0 ||
        (rc = case_may_attach(&actor, &r, &call->err)) < 0)
        return rc;
    /* The declared type only says how the body is framed; what the file is, the bytes say. */
    if (type_is(ct, "multipart/form-data")) {
        struct http_part part;
        if ((rc = http_multipart_file(ct, data, len, call->req->arena, &part, &call->err)) < 0)
            return rc;
        data = part.data;
        len = part.len;
    } else if (!type_is(ct, "image/") && !type_is(ct, "application/octet-stream")) {
        return err_set(
            &call->err, ERR_MEDIA_TYPE,
            "send the file as the body with 'Content-Type: image/...' (or application/octet-stream), "
            "or as one file in multipart/form-data");
    }
    if (!len)
        return err_field(&call->err, ERR_BAD_REQUEST, "file", "the file is empty");
    if ((rc = attach_store_put(call->api->d.attach, data, len, &f, &call->err)) < 0 ||
        (rc = case_attach(&env, id, &f, call->api->d.conf->attach_max_per_case, &aid, &call->err)) <
            0)
        return rc;
    http_res_header(call->res, "Location",
                    arena_printf(call->req->arena, "/api/v1/attachments/%lld", (long long)aid));
    struct jw w;
    jw_init(&w);
    api_attachment_json(&w, aid, f.sha256, f.mime, (int64_t)f.size, f.width, f.height);
    /* 200: the same content was already attached to this case (a retried upload). */
    return api_reply(call, rc == 1 ? 200 : 201, &w);
}

static int may_see(struct api_call *call, int64_t attachment_id)
{
    const struct auth_user *u = call->user;
    struct case_actor actor = {u->id, u->name, u->roles, u->depts, u->ndepts, u->region_code};
    int64_t cases[MAX_LINKED_CASES];
    size_t n;
    int rc;
    if ((rc = attach_cases(call->conn, attachment_id, cases, MAX_LINKED_CASES, &n, &call->err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct case_rec r;
        if ((rc = case_get(call->conn, cases[i], call->req->arena, &r, &call->err)) < 0)
            return rc;
        if (case_visible(&actor, &r))
            return 0;
    }
    return err_set(&call->err, ERR_FORBIDDEN, "attachment %lld belongs to no case you may see",
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
