/* Sessions and users: login, logout, the caller's own record, and user administration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

/* The user list has no page size of its own: without ?limit= it answers everything. */
#define USER_LIST_PAGE_MAX 100000

/* Phones are masked, as case phones are: in clear only to the user themself (their session
 * holds it); an admin who needs one asks GET /users/{id}/contact, which is audited. */
static void user_json(struct jw *w, const struct auth_user *u, const struct api_call *call)
{
    const char *phone = u->phone_mask ? u->phone_mask : "";
    if (call->user && call->user->id == u->id && call->user->phone && call->user->phone[0])
        phone = call->user->phone;
    jw_obj(w);
    jw_kint(w, "id", u->id);
    jw_kstr(w, "name", u->name);
    jw_kstr(w, "display_name", u->display_name);
    jw_key(w, "roles");
    jw_arr(w);
    for (unsigned bit = 1; bit <= ROLE_ADMIN; bit <<= 1)
        if (u->roles & bit)
            jw_str(w, auth_role_name(bit));
    jw_arr_end(w);
    if (u->region_id) {
        jw_kint(w, "region_id", u->region_id);
        jw_kstr(w, "region", u->region_code);
    } else {
        jw_knull(w, "region_id");
        jw_knull(w, "region");
    }
    jw_key(w, "departments");
    jw_arr(w);
    for (int i = 0; i < u->ndepts; i++)
        jw_int(w, u->depts[i]);
    jw_arr_end(w);
    jw_kstr(w, "phone", phone);
    jw_kbool(w, "active", u->active);
    jw_ktime(w, "created_at", u->created_at);
    jw_ktime(w, "updated_at", u->updated_at);
    jw_obj_end(w);
}

/* The known-device cookie (auth_login): sent to /api/v1/auth/login and the password change
 * only, kept for 180 days. */
#define DEVICE_COOKIE "gl_device"
#define DEVICE_COOKIE_AGE (180 * 86400)

static int loopback(const char *ip)
{
    return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ||
           strncmp(ip, "::ffff:127.", 11) == 0;
}

/* cookie_secure: "always", "never", or "auto": Secure unless the request is plain HTTP from
 * loopback (the demo on http://127.0.0.1:8080, where a browser would drop a Secure cookie).
 * HTTPS is what a trusted proxy says (req->https, the trusted_proxies setting): this server
 * speaks plain HTTP itself. */
static int cookie_secure(const struct api_call *call)
{
    const char *mode = call->api->d.conf->cookie_secure;
    if (strcmp(mode, "always") == 0)
        return 1;
    if (strcmp(mode, "never") == 0)
        return 0;
    return call->req->https || !loopback(call->req->ip);
}

/* "username" is accepted as a synonym of "name": clients written against the case API's
 * contract use it. */
static const struct json_field login_fields[] = {
    {"name", JT_STRING, 0, 1, 64, NULL},
    {"username", JT_STRING, 0, 1, 64, NULL},
    {"password", JT_STRING, JF_REQUIRED, 1, 128, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_login(struct api_call *call)
{
    struct auth_session s;
    int retry_after = 0, rc;
    if ((rc = json_check(call->body, login_fields, &call->err)) < 0)
        return rc;
    const char *name = json_get_str(call->body, "name");
    if (!name)
        name = json_get_str(call->body, "username");
    if (!name)
        return err_field(&call->err, ERR_BAD_REQUEST, "name",
                         "field 'name' (or 'username') is required");
    struct auth_attempt who = {name, call->req->ip, http_req_cookie(call->req, DEVICE_COOKIE)};
    rc = auth_login(call->api->d.auth, &who, json_get_str(call->body, "password"), call->now,
                    call->req->arena, &s, &retry_after, &call->err);
    if (rc == ERR_THROTTLED)
        http_res_header(call->res, "Retry-After",
                        arena_printf(call->req->arena, "%d", retry_after));
    if (rc < 0)
        return rc;
    call->user = &s.user;
    call->req->user_id = s.user.id;
    if ((rc = api_audit_only(call, "session.login",
                             arena_printf(call->req->arena, "user/%s", s.user.name), NULL)) < 0)
        return rc;
    return api_session_reply(call, &s);
}

int api_session_reply(struct api_call *call, const struct auth_session *s)
{
    const char *secure = cookie_secure(call) ? "; Secure" : "";
    http_res_header(call->res, "Set-Cookie",
                    arena_printf(call->req->arena,
                                 "gl_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
                                 s->token, call->api->d.conf->session_ttl, secure));
    /* The device token only ever goes back to login: it is what lets this browser in while
     * others are guessing at the account. */
    if (s->device[0])
        http_res_header_add(call->res, "Set-Cookie",
                            arena_printf(call->req->arena,
                                         DEVICE_COOKIE
                                         "=%s; Path=/api/v1/; HttpOnly; SameSite=Strict;"
                                         " Max-Age=%d%s",
                                         s->device, DEVICE_COOKIE_AGE, secure));
    http_res_header(call->res, "Cache-Control", "no-store");
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "token", s->token);
    jw_kstr(&w, "csrf_token", s->csrf);
    jw_ktime(&w, "expires_at", s->expires_at);
    jw_key(&w, "user");
    user_json(&w, &s->user, call);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_logout(struct api_call *call)
{
    int rc = auth_logout(call->api->d.auth, call->token, &call->err);
    if (rc < 0)
        return rc;
    if ((rc = api_audit_only(call, "session.logout",
                             arena_printf(call->req->arena, "user/%s", call->user->name), NULL)) <
        0)
        return rc;
    http_res_header(call->res, "Set-Cookie",
                    cookie_secure(call)
                        ? "gl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
                        : "gl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}

int api_me(struct api_call *call)
{
    struct jw w;
    jw_init(&w);
    user_json(&w, call->user, call);
    return api_reply(call, 200, &w);
}

int api_user_list(struct api_call *call)
{
    struct auth_user *users;
    struct api_page pg;
    size_t n;
    int rc;
    if ((rc = api_page_query(call, 0, USER_LIST_PAGE_MAX, &pg)) < 0 ||
        (rc = auth_user_list(call->conn, call->req->arena, &users, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++)
        user_json(&w, &users[i], call);
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

static int read_roles(struct api_call *call, unsigned *roles)
{
    const json_t *arr = json_get(call->body, "roles");
    *roles = 0;
    if (!arr)
        return 0;
    for (int i = 0; i < json_array_size(arr); i++) {
        unsigned one;
        int rc = auth_roles_parse(json_array_str(arr, i), &one, &call->err);
        if (rc < 0)
            return rc;
        *roles |= one;
    }
    if (!*roles)
        return err_field(&call->err, ERR_BAD_REQUEST, "roles", "at least one role is required");
    return 0;
}

static int read_depts(struct api_call *call, int64_t **out, int *n)
{
    const json_t *arr = json_get(call->body, "departments");
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    *n = json_array_size(arr);
    *out = arena_alloc(call->req->arena, sizeof(int64_t) * (size_t)(*n + 1));
    for (int i = 0; i < *n; i++)
        (*out)[i] = json_array_int(arr, i);
    return 0;
}

/* Writes are an admin's, who sees full phone numbers: the reply and the audit state (never
 * masked: the digest hides it anyway) are the same text. */
static int user_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct auth_user u;
    int rc = auth_user_get(call->conn, id, call->req->arena, &u, &call->err);
    if (rc == 0)
        user_json(w, &u, call);
    return rc;
}

/* A changed account is read again on its next request, not from the session cache. */
static void user_changed(struct api_call *call, int64_t id)
{
    auth_invalidate_user(call->api->d.auth, id);
}

static const struct api_resource user_res = {"user", "/api/v1/users", user_render, user_changed};

int api_user_get(struct api_call *call)
{
    return api_crud_get(call, &user_res);
}

static const struct json_field user_create_fields[] = {
    {"name", JT_STRING, JF_REQUIRED, 2, 64, NULL},
    {"display_name", JT_STRING, 0, 0, 100, NULL},
    {"password", JT_STRING, JF_REQUIRED, 8, 128, NULL},
    {"roles", JT_ARRAY_STRING, JF_REQUIRED, 1, 8, NULL},
    {"region", JT_STRING, JF_NULLABLE, 0, 64, NULL},
    {"departments", JT_ARRAY_INT, 0, 0, AUTH_MAX_DEPTS, NULL},
    {"phone", JT_STRING, 0, 0, 32, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_user_create(struct api_call *call)
{
    struct auth_user_input in = {0};
    int64_t id, *depts;
    int rc;
    if ((rc = json_check(call->body, user_create_fields, &call->err)) < 0 ||
        (rc = read_roles(call, &in.roles)) < 0 || (rc = read_depts(call, &depts, &in.ndepts)) < 0)
        return rc;
    in.name = json_get_str(call->body, "name");
    in.display_name = json_get_str(call->body, "display_name");
    in.password = json_get_str(call->body, "password");
    in.region_code = json_get_str(call->body, "region");
    in.phone = json_get_str(call->body, "phone");
    in.data_key = call->api->d.data_key;
    in.depts = depts;
    if ((rc = api_begin(call)) < 0 ||
        (rc = auth_user_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &user_res, "create", id, NULL);
}

static const struct json_field user_update_fields[] = {
    {"display_name", JT_STRING, 0, 0, 100, NULL},
    {"roles", JT_ARRAY_STRING, 0, 1, 8, NULL},
    {"region", JT_STRING, JF_NULLABLE, 0, 64, NULL},
    {"departments", JT_ARRAY_INT, 0, 0, AUTH_MAX_DEPTS, NULL},
    {"phone", JT_STRING, 0, 0, 32, NULL},
    {"active", JT_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_user_update(struct api_call *call)
{
    struct auth_user_update up = {0};
    char *before;
    int64_t id, *depts;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, user_update_fields, &call->err)) < 0 ||
        (rc = read_roles(call, &up.roles)) < 0 || (rc = read_depts(call, &depts, &up.ndepts)) < 0)
        return rc;
    up.display_name = json_get_str(call->body, "display_name");
    up.phone = json_get_str(call->body, "phone");
    up.data_key = call->api->d.data_key;
    up.region_code = json_is_null(call->body, "region") ? "" : json_get_str(call->body, "region");
    up.depts = json_has(call->body, "departments") ? depts : NULL;
    if (up.depts && !up.ndepts)
        up.depts = (int64_t[1]){0};
    up.active = json_has(call->body, "active") ? json_get_bool(call->body, "active", 1) : -1;
    if (id == call->user->id && up.active == 0)
        return err_field(&call->err, ERR_CONFLICT, "active", "you cannot disable your own account");
    if ((rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &user_res, id, &before)) < 0 ||
        (rc = auth_user_update(call->conn, id, &up, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &user_res, "update", id, before);
}

static const struct json_field password_fields[] = {
    {"password", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"current_password", JT_STRING, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_user_password(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, password_fields, &call->err)) < 0)
        return rc;
    /* Changing one's own password needs the current one, so a stolen session cannot lock
     * the owner out; an admin resetting someone else's does not. */
    if (id == call->user->id) {
        const char *cur = json_get_str(call->body, "current_password");
        if (!cur)
            return err_field(&call->err, ERR_BAD_REQUEST, "current_password",
                             "field 'current_password' is required");
        /* A guess here counts as a failed login, under the same throttle: a stolen session
         * must not become an unthrottled password oracle. */
        struct auth_attempt who = {call->user->name, call->req->ip,
                                   http_req_cookie(call->req, DEVICE_COOKIE)};
        int retry_after = 0;
        rc = auth_password_attempt(call->api->d.auth, &who, id, cur, call->now, &retry_after,
                                   &call->err);
        if (rc == ERR_THROTTLED)
            http_res_header(call->res, "Retry-After",
                            arena_printf(call->req->arena, "%d", retry_after));
        if (rc < 0)
            return rc;
        if (!rc)
            return err_field(&call->err, ERR_FORBIDDEN, "current_password",
                             "current password is wrong");
    }
    if ((rc = api_begin(call)) < 0 ||
        (rc = auth_user_set_password(call->conn, id, json_get_str(call->body, "password"),
                                     call->now, &call->err)) < 0 ||
        (rc = api_commit(call, "user.passwd",
                         arena_printf(call->req->arena, "user/%lld", (long long)id), NULL, NULL)) <
            0)
        return rc;
    auth_invalidate_user(call->api->d.auth, id);
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}

/* The full phone of an account, for an admin or the user themself; every reveal is audited. */
int api_user_contact(struct api_call *call)
{
    const char *phone;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = auth_user_phone(call->conn, call->api->d.data_key, id, call->req->arena, &phone,
                              &call->err)) < 0 ||
        (rc = api_audit_only(call, "user.contact.reveal",
                             arena_printf(call->req->arena, "user/%lld", (long long)id), NULL)) < 0)
        return rc;
    http_res_header(call->res, "Cache-Control", "no-store");
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "phone", phone);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
