/*
 * SMS (src/notify/notify_sms.c): the template table the admin edits, the outbox as staff see it
 * (phones masked) and the delivery reports Kannel sends back. A report carries the message's
 * random token, which is its only credential: Kannel has no session.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "notify/notify.h"

/* clang-format off */
static const struct json_field template_fields[] = {
    {"body", JT_STRING, JF_REQUIRED, 1, NOTIFY_SMS_BODY_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void template_json(struct jw *w, const void *v)
{
    const struct notify_sms_template *t = v;
    jw_kint(w, "id", t->id);
    jw_kstr(w, "code", t->code);
    jw_kstr(w, "name", t->name);
    jw_kstr(w, "body", t->body);
    jw_ktime(w, "updated_at", t->updated_at);
}

static int template_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct notify_sms_template t;
    int rc = notify_sms_template_get(call->conn, id, call->req->arena, &t, &call->err);
    if (rc == 0) {
        jw_obj(w);
        template_json(w, &t);
        jw_obj_end(w);
    }
    return rc;
}

static const struct api_resource template_res = {"sms_template", NULL, template_render, NULL};

int api_sms_template_list(struct api_call *call)
{
    struct notify_sms_template *v;
    size_t n;
    int rc = notify_sms_template_list(call->conn, call->req->arena, &v, &n, &call->err);
    return rc < 0 ? rc : api_reply_items(call, v, n, sizeof(*v), template_json);
}

int api_sms_template_update(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, template_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 || (rc = api_crud_state(call, &template_res, id, &before)) < 0 ||
        (rc = notify_sms_template_set(call->conn, id, json_get_str(call->body, "body"), call->now,
                                      &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &template_res, "update", id, before);
}

/* The message as staff see it: the phone masked, the token never. */
void api_sms_msg_json(struct jw *w, const void *v)
{
    const struct notify_sms_msg *m = v;
    jw_kint(w, "id", m->id);
    jw_kstr(w, "template", m->template_code);
    jw_kopt(w, "case_id", m->case_id);
    jw_kstr(w, "phone", m->phone_mask);
    jw_kstr(w, "text", m->text);
    jw_kstr(w, "status", m->status);
    jw_kint(w, "attempts", m->attempts);
    jw_kstr(w, "last_error", *m->last_error ? m->last_error : NULL);
    jw_kopt(w, "last_report", m->last_report);
    jw_ktime(w, "created_at", m->created_at);
    jw_ktime(w, "sent_at", m->sent_at);
    jw_ktime(w, "report_at", m->report_at);
}

/* GET /sms-messages?case_id=&before=&limit=: newest first; next_cursor is the next 'before'. */
int api_sms_message_list(struct api_call *call)
{
    struct notify_sms_msg *v;
    int64_t case_id, before, limit;
    int rc, n;
    struct jw w;
    if ((rc = api_query_int(call, "case_id", 0, 0, INT64_MAX, &case_id)) < 0 ||
        (rc = api_query_int(call, "before", 0, 0, INT64_MAX, &before)) < 0 ||
        (rc = api_query_int(call, "limit", 50, 1, NOTIFY_SMS_LIST_MAX, &limit)) < 0)
        return rc;
    if ((rc = n = notify_sms_list(call->conn, case_id, before, (int)limit, call->req->arena, &v,
                                  &call->err)) < 0)
        return rc;
    api_list_begin(&w);
    for (int i = 0; i < n; i++) {
        jw_obj(&w);
        api_sms_msg_json(&w, &v[i]);
        jw_obj_end(&w);
    }
    char *next =
        n == limit && n > 0 ? arena_printf(call->req->arena, "%lld", (long long)v[n - 1].id) : NULL;
    api_list_end(&w, n, next);
    return api_reply(call, 200, &w);
}

/* GET /sms/dlr?id=&token=&type=&status=: Kannel's delivery report (the dlr-url it was given). */
int api_sms_dlr(struct api_call *call)
{
    int64_t id, type, case_id;
    int rc;
    const char *token = http_req_query(call->req, "token");
    const char *status = http_req_query(call->req, "status");
    if ((rc = api_query_int(call, "id", 0, 1, INT64_MAX, &id)) < 0 ||
        (rc = api_query_int(call, "type", 0, 1, 31, &type)) < 0)
        return rc;
    if (!id)
        return err_field(&call->err, ERR_BAD_REQUEST, "id", "the message id is required");
    if (!type)
        return err_field(&call->err, ERR_BAD_REQUEST, "type", "the report type is required");
    if (!token || !*token)
        return err_field(&call->err, ERR_BAD_REQUEST, "token", "the report token is required");
    if ((rc = api_begin(call)) < 0)
        return rc;
    if ((rc = notify_sms_report(call->conn, id, token, (int)type, status ? status : "", call->now,
                                &case_id, &call->err)) < 0)
        return rc;
    struct jw a;
    jw_init(&a);
    jw_obj(&a);
    jw_kint(&a, "type", type);
    jw_kstr(&a, "status", status ? status : "");
    jw_kopt(&a, "case_id", case_id);
    jw_obj_end(&a);
    char *after = arena_strndup(call->req->arena, a.b.p, a.b.len);
    jw_release(&a);
    char *target = arena_printf(call->req->arena, "sms/%lld", (long long)id);
    if ((rc = api_commit(call, "sms.report", target, NULL, after)) < 0)
        return rc;
    return api_reply_count(call, "recorded", 1);
}
