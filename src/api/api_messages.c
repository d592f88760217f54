/*
 * The message centre (消息中心): GET /api/v1/me/messages (a page of the caller's messages,
 * newest first, with the unread counts per group), GET /api/v1/me/messages/counts (the counts
 * alone: the navigation's badge) and POST /api/v1/me/messages/read ({"ids": [...]} or
 * {"all": true}). Which notifications are the caller's is notify_inbox's rule, the event
 * stream's: the user's own, its departments', its role group's in its region.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth.h"
#include "notify/notify.h"

#define READ_IDS_MAX 100

/* clang-format off */
static const struct json_field read_fields[] = {
    {"ids", JT_ARRAY_INT, 0, 1, READ_IDS_MAX, NULL},
    {"all", JT_BOOL,      0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void reader_of(const struct auth_user *u, struct notify_reader *r)
{
    memset(r, 0, sizeof(*r));
    r->user_id = u->id;
    /* An administrator holds every group, as the stream lets it see everything. */
    r->dispatcher = (u->roles & (ROLE_DISPATCHER | ROLE_ADMIN)) != 0;
    r->supervisor = (u->roles & (ROLE_SUPERVISOR | ROLE_ADMIN)) != 0;
    for (int i = 0; i < u->ndepts && i < NOTIFY_INBOX_DEPTS; i++)
        r->depts[r->ndepts++] = u->depts[i];
    r->region = u->region_code;
}

static int counts_json(struct api_call *call, const struct notify_reader *r, struct jw *w)
{
    int counts[NOTIFY_GROUP_COUNT], total;
    int rc = notify_inbox_counts(call->conn, r, call->now, counts, &total, &call->err);
    if (rc < 0)
        return rc;
    jw_obj(w);
    jw_kint(w, "total", total);
    jw_kint(w, "cap", NOTIFY_COUNT_CAP);
    jw_key(w, "groups");
    jw_obj(w);
    for (int g = 0; g < NOTIFY_GROUP_COUNT; g++)
        jw_kint(w, notify_group_name((enum notify_group)g), counts[g]);
    jw_obj_end(w);
    jw_obj_end(w);
    return 0;
}

int api_messages_list(struct api_call *call)
{
    struct notify_reader r;
    struct notify_inbox_query q = {.group = -1};
    int64_t before, limit, unread;
    int rc;
    reader_of(call->user, &r);
    const char *group = http_req_query(call->req, "group");
    if (group && *group && (q.group = notify_group_from_name(group)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "group", "unknown message group '%s'", group);
    if ((rc = api_query_int(call, "before", 0, 0, INT64_MAX, &before)) < 0 ||
        (rc = api_query_int(call, "limit", 50, 1, NOTIFY_INBOX_MAX, &limit)) < 0 ||
        (rc = api_query_int(call, "unread", 0, 0, 1, &unread)) < 0)
        return rc;
    q.before = before;
    q.limit = (int)limit;
    q.unread_only = (int)unread;
    struct notify_msg *m;
    int64_t total;
    int n = notify_inbox_list(call->conn, &r, &q, call->req->arena, &m, &call->err);
    if (n < 0)
        return n;
    if ((rc = notify_inbox_total(call->conn, &r, &q, &total, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (int i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kint(&w, "id", m[i].n.id);
        jw_ktime(&w, "at", m[i].n.created_at);
        jw_kstr(&w, "kind", m[i].n.kind);
        jw_kstr(&w, "group", notify_group_name(m[i].group));
        jw_kstr(&w, "message", m[i].n.message);
        if (m[i].n.case_id) {
            jw_kint(&w, "case_id", m[i].n.case_id);
            jw_kstr(&w, "case_number", m[i].n.case_number);
        } else {
            jw_knull(&w, "case_id");
            jw_knull(&w, "case_number");
        }
        jw_kbool(&w, "read", m[i].read);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", total);
    /* A full page may have more behind it: the next one starts below its last id. */
    if (n == q.limit)
        jw_kint(&w, "next_before", m[n - 1].n.id);
    else
        jw_knull(&w, "next_before");
    jw_key(&w, "unread");
    if ((rc = counts_json(call, &r, &w)) < 0) {
        jw_release(&w);
        return rc;
    }
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_messages_counts(struct api_call *call)
{
    struct notify_reader r;
    reader_of(call->user, &r);
    struct jw w;
    jw_init(&w);
    int rc = counts_json(call, &r, &w);
    if (rc < 0) {
        jw_release(&w);
        return rc;
    }
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_messages_read(struct api_call *call)
{
    struct notify_reader r;
    int64_t ids[READ_IDS_MAX];
    int nids = 0, rc;
    if ((rc = json_check(call->body, read_fields, &call->err)) < 0)
        return rc;
    const json_t *arr = json_get(call->body, "ids");
    int all = json_get_bool(call->body, "all", 0);
    if (!all && !arr)
        return err_field(&call->err, ERR_BAD_REQUEST, "ids", "give 'ids' or 'all': true");
    for (int i = 0; arr && i < json_array_size(arr) && i < READ_IDS_MAX; i++)
        ids[nids++] = json_array_int(arr, i);
    reader_of(call->user, &r);
    if ((rc = api_begin(call)) < 0)
        return rc;
    if ((rc = notify_inbox_read(call->conn, &r, ids, nids, all, call->now, &call->err)) < 0) {
        api_rollback(call);
        return rc;
    }
    char after[64];
    snprintf(after, sizeof(after), "{\"all\":%s,\"ids\":%d}", all ? "true" : "false", nids);
    if ((rc = api_commit(call, "message.read",
                         arena_printf(call->req->arena, "user/%lld", (long long)call->user->id),
                         NULL, after)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    if ((rc = counts_json(call, &r, &w)) < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}
