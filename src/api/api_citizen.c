/*
 * Citizens sign up and sign in with a code sent by SMS (src/citizen). Both routes are public and
 * answer the same whether or not the number has an account; the first right code creates it.
 */
#include "api/api_internal.h"
#include "auth/auth.h"
#include "citizen/citizen.h"

/* clang-format off */
static const struct json_field code_fields[] = {
    {"phone", JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field signin_fields[] = {
    {"phone", JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"code",  JT_STRING, JF_REQUIRED, 1, 16, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static int need_key(struct api_call *call)
{
    if (!call->api->d.data_key)
        return err_set(&call->err, ERR_UNAVAILABLE, "sign-in by SMS needs the data key");
    return 0;
}

/* POST /auth/sms-code {phone}: 202 {"sent": true, "expires_in": 300}. */
int api_citizen_code(struct api_call *call)
{
    const char *mask;
    int retry_after = 0, rc;
    if ((rc = json_check(call->body, code_fields, &call->err)) < 0 || (rc = need_key(call)) < 0 ||
        (rc = api_begin(call)) < 0)
        return rc;
    rc = citizen_code_request(call->conn, call->api->d.data_key, json_get_str(call->body, "phone"),
                              call->req->ip, call->now, call->req->arena, &mask, &retry_after,
                              &call->err);
    if (rc == ERR_THROTTLED)
        http_res_header(call->res, "Retry-After",
                        arena_printf(call->req->arena, "%d", retry_after));
    if (rc < 0)
        return rc;
    if ((rc = api_commit(call, "sms_code.request", arena_printf(call->req->arena, "phone/%s", mask),
                         NULL, NULL)) < 0)
        return rc;
    app_notify_wake(call->api->app);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kbool(&w, "sent", 1);
    jw_kint(&w, "expires_in", CITIZEN_CODE_TTL);
    jw_obj_end(&w);
    return api_reply(call, 202, &w);
}

/* POST /auth/sms-login {phone, code}: the session, as POST /auth/login answers (the audit says
 * citizen.signup when this sign-in made the account). */
int api_citizen_signin(struct api_call *call)
{
    struct auth_session s;
    int64_t code_id, user_id;
    int created, rc;
    if ((rc = json_check(call->body, signin_fields, &call->err)) < 0 || (rc = need_key(call)) < 0 ||
        (rc = api_begin(call)) < 0)
        return rc;
    rc = citizen_code_verify(call->conn, call->api->d.data_key, json_get_str(call->body, "phone"),
                             json_get_str(call->body, "code"), call->now, call->req->arena,
                             &code_id, &user_id, &created, &call->err);
    if (rc == ERR_UNAUTHORIZED) {
        /* The wrong try counts even though the answer is an error. */
        api_rollback(call);
        if (code_id) {
            struct err e = ERR_INIT;
            if (api_begin(call) == 0 && citizen_code_failed(call->conn, code_id, &e) == 0 &&
                api_commit(call, "sms_code.wrong",
                           arena_printf(call->req->arena, "sms_code/%lld", (long long)code_id),
                           NULL, NULL) == 0)
                return rc;
            api_rollback(call);
        }
        return rc;
    }
    if (rc < 0)
        return rc;
    if ((rc = api_commit(call, created ? "citizen.signup" : "citizen.signin",
                         arena_printf(call->req->arena, "user/%lld", (long long)user_id), NULL,
                         NULL)) < 0)
        return rc;
    if ((rc = auth_session_open(call->api->d.auth, user_id, call->req->ip, call->now,
                                call->req->arena, &s, &call->err)) < 0)
        return rc;
    call->user = &s.user;
    call->req->user_id = s.user.id;
    return api_session_reply(call, &s);
}
