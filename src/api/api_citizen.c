/*
 * Citizens sign up and sign in with a code sent by SMS (src/citizen). Both routes are public and
 * answer the same whether or not the number has an account; the first right code creates it.
 */
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "auth/auth.h"
#include "citizen/citizen.h"
#include "notify/notify.h"

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

/* ---------------------------------------------------------------- profile and my data */

/* clang-format off */
static const struct json_field member_fields[] = {
    {"name",     JT_STRING, JF_REQUIRED, 1, CITIZEN_NAME_MAX, NULL},
    {"relation", JT_STRING, JF_REQUIRED, 1, CITIZEN_RELATION_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field profile_fields[] = {
    {"name",           JT_STRING,       0, 0, CITIZEN_NAME_MAX, NULL},
    {"id_number",      JT_STRING,       0, 0, 18, NULL},
    {"region_id",      JT_INT,          0, 0, 9007199254740991.0, NULL},
    {"address",        JT_STRING,       0, 0, CITIZEN_ADDRESS_MAX, NULL},
    {"consent_offers", JT_BOOL,         0, 0, 0, NULL},
    {"household",      JT_ARRAY_OBJECT, 0, 0, CITIZEN_HOUSEHOLD_MAX, member_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void profile_json(struct jw *w, const struct citizen_profile *p)
{
    jw_obj(w);
    jw_kstr(w, "name", p->name);
    jw_kstr(w, "id_number", p->id_number); /* masked */
    jw_kopt(w, "region_id", p->region_id);
    jw_kstr(w, "region_name", *p->region_name ? p->region_name : NULL);
    jw_kstr(w, "address", p->address);
    jw_kbool(w, "consent_offers", p->consent_offers);
    jw_key(w, "household");
    jw_arr(w);
    for (int i = 0; i < p->nhousehold; i++) {
        jw_obj(w);
        jw_kstr(w, "name", p->household[i].name);
        jw_kstr(w, "relation", p->household[i].relation);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_ktime(w, "updated_at", p->updated_at);
    jw_obj_end(w);
}

static char *profile_text(struct api_call *call)
{
    struct citizen_profile p;
    struct jw w;
    if (citizen_profile_get(call->conn, call->user->id, call->req->arena, &p, &call->err) < 0)
        return NULL;
    jw_init(&w);
    profile_json(&w, &p);
    char *s = arena_strndup(call->req->arena, w.b.p, w.b.len);
    jw_release(&w);
    return s;
}

int api_citizen_profile_get(struct api_call *call)
{
    struct citizen_profile p;
    struct jw w;
    int rc = citizen_profile_get(call->conn, call->user->id, call->req->arena, &p, &call->err);
    if (rc < 0)
        return rc;
    jw_init(&w);
    profile_json(&w, &p);
    return api_reply(call, 200, &w);
}

/* China's date of 'now' as YYYYMMDD: an ID number's birth date may not be after it. */
static int today_ymd(int64_t now)
{
    time_t t = (time_t)(now + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int api_citizen_profile_put(struct api_call *call)
{
    struct citizen_profile in = {0};
    char *before, *after;
    int rc;
    if ((rc = json_check(call->body, profile_fields, &call->err)) < 0 || (rc = need_key(call)) < 0)
        return rc;
    const char *v;
    in.name = (v = json_get_str(call->body, "name")) ? v : "";
    /* Absent: the stored number stays (the screen never has it in clear); "" erases it. */
    in.id_number = json_get_str(call->body, "id_number");
    in.address = (v = json_get_str(call->body, "address")) ? v : "";
    in.region_id = json_get_int(call->body, "region_id", 0);
    in.consent_offers = json_get_bool(call->body, "consent_offers", 0);
    const json_t *hh = json_get(call->body, "household");
    int n = hh ? json_array_size(hh) : 0;
    in.household = arena_alloc(call->req->arena, sizeof(*in.household) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const json_t *m = json_array_item(hh, i);
        in.household[i].name = json_get_str(m, "name");
        in.household[i].relation = json_get_str(m, "relation");
    }
    in.nhousehold = n;
    if ((rc = api_begin(call)) < 0)
        return rc;
    if (!(before = profile_text(call)))
        return call->err.code;
    if ((rc = citizen_profile_set(call->conn, call->api->d.data_key, call->user->id, &in,
                                  today_ymd(call->now), call->now, call->req->arena, &call->err)) <
        0)
        return rc;
    if (!(after = profile_text(call)))
        return call->err.code;
    if ((rc = api_commit(call, "citizen.profile",
                         arena_printf(call->req->arena, "user/%lld", (long long)call->user->id),
                         before, after)) < 0)
        return rc;
    return api_citizen_profile_get(call);
}

/* GET /me/data: everything stored about the citizen (知情权). */
int api_citizen_data(struct api_call *call)
{
    struct citizen_profile p;
    struct citizen_case *cs;
    struct notify_sms_msg *ms = NULL;
    int rc, nc, nm = 0;
    struct jw w;
    if ((rc = citizen_profile_get(call->conn, call->user->id, call->req->arena, &p, &call->err)) <
            0 ||
        (rc = nc = citizen_cases(call->conn, call->user->id, 1000, call->req->arena, &cs,
                                 &call->err)) < 0)
        return rc;
    if (call->user->phone && *call->user->phone && call->api->d.data_key) {
        char hash[AUTH_PHONE_HASH_LEN + 1];
        if (auth_phone_hash(call->api->d.data_key, call->user->phone, hash) == 0 &&
            (rc = nm = notify_sms_list_phone(call->conn, hash, 1000, call->req->arena, &ms,
                                             &call->err)) < 0)
            return rc;
    }
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "account");
    jw_obj(&w);
    jw_kint(&w, "id", call->user->id);
    jw_kstr(&w, "display_name", call->user->display_name);
    jw_kstr(&w, "phone", call->user->phone_mask);
    jw_obj_end(&w);
    jw_key(&w, "profile");
    profile_json(&w, &p);
    jw_key(&w, "cases");
    jw_arr(&w);
    for (int i = 0; i < nc; i++) {
        jw_obj(&w);
        jw_kint(&w, "id", cs[i].id);
        jw_kstr(&w, "number", cs[i].number);
        jw_kstr(&w, "title", cs[i].title);
        jw_kstr(&w, "state", cs[i].state);
        jw_ktime(&w, "created_at", cs[i].created_at);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "messages");
    jw_arr(&w);
    for (int i = 0; i < nm; i++) {
        jw_obj(&w);
        api_sms_msg_json(&w, &ms[i]);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* DELETE /me: the account erased, its cases kept without the reporter's name and phone. */
int api_citizen_delete(struct api_call *call)
{
    int64_t cases;
    int rc;
    int64_t id = call->user->id;
    /* Erasing an account cannot be undone: the request says so itself (?confirm=erase), so a
     * stray DELETE (a replayed request, a crawler with the cookie) erases nothing. */
    const char *confirm = http_req_query(call->req, "confirm");
    if (!confirm || strcmp(confirm, "erase") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "confirm",
                         "erasing the account must be confirmed with confirm=erase");
    if ((rc = api_begin(call)) < 0 ||
        (rc = citizen_erase(call->conn, id, call->now, &cases, &call->err)) < 0)
        return rc;
    if ((rc = api_commit(
             call, "citizen.delete", arena_printf(call->req->arena, "user/%lld", (long long)id),
             NULL, arena_printf(call->req->arena, "{\"cases_kept\":%lld}", (long long)cases))) < 0)
        return rc;
    auth_invalidate_user(call->api->d.auth, id);
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}
