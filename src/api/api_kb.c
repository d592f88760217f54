/*
 * /api/v1/knowledge: the knowledge base (知识库, src/kb). Staff read and search it; supervisors
 * and admins write it; the operator's console asks /knowledge/suggest as a call is typed and
 * answers a consultation from an article (the answer action's `article`).
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "kb/kb.h"

/* clang-format off */
static const struct json_field article_fields[] = {
    {"title",         JT_STRING, 0,           1, KB_TITLE_MAX, NULL},
    {"body",          JT_STRING, 0,           1, KB_BODY_MAX, NULL},
    {"keywords",      JT_STRING, JF_NULLABLE, 0, KB_KEYWORDS_MAX, NULL},
    {"category_id",   JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT,    JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"valid_from",    JT_STRING, JF_NULLABLE, 0, 40, NULL},
    {"valid_until",   JT_STRING, JF_NULLABLE, 0, 40, NULL},
    {"active",        JT_BOOL,   0,           0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field suggest_fields[] = {
    {"text",  JT_STRING, JF_REQUIRED, 1, KB_TEXT_MAX, NULL},
    {"limit", JT_INT,    0,           1, KB_SUGGEST_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void article_json(struct jw *w, const struct kb_article *k, int64_t now)
{
    jw_kint(w, "id", k->id);
    jw_kstr(w, "title", k->title);
    jw_kstr(w, "body", k->body);
    jw_kstr(w, "keywords", k->keywords);
    jw_kopt(w, "category_id", k->category_id);
    jw_kopt(w, "department_id", k->department_id);
    jw_kstr(w, "department", *k->department_name ? k->department_name : NULL);
    jw_ktime(w, "valid_from", k->valid_from);
    jw_ktime(w, "valid_until", k->valid_until);
    jw_kbool(w, "active", k->active);
    jw_kbool(w, "in_force", kb_article_in_force(k, now));
    jw_kint(w, "uses", k->uses);
    jw_ktime(w, "created_at", k->created_at);
    jw_ktime(w, "updated_at", k->updated_at);
}

static int article_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct kb_article k;
    int rc = kb_article_get(call->conn, id, call->req->arena, &k, &call->err);
    if (rc == 0) {
        jw_obj(w);
        article_json(w, &k, call->now);
        jw_obj_end(w);
    }
    return rc;
}

static const struct api_resource article_res = {"knowledge", "/api/v1/knowledge", article_render,
                                                NULL};

int api_kb_list(struct api_call *call)
{
    struct kb_article *v;
    struct api_page pg;
    size_t n;
    int rc;
    const char *active = http_req_query(call->req, "active");
    if (active && strcmp(active, "true") != 0 && strcmp(active, "all") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "active",
                         "query parameter 'active' must be true or all");
    if ((rc = api_page_query(call, 0, 1000, &pg)) < 0 ||
        (rc = kb_article_list(call->conn, active && strcmp(active, "true") == 0, call->req->arena,
                              &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) {
        jw_obj(&w);
        article_json(&w, &v[i], call->now);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

int api_kb_get(struct api_call *call)
{
    return api_crud_get(call, &article_res);
}

static int time_field(struct api_call *call, const char *name, int64_t cur, int64_t *out)
{
    *out = cur;
    if (!json_has(call->body, name))
        return 0;
    const char *v = json_get_str(call->body, name);
    *out = 0;
    if (v && (clock_parse_rfc3339(v, out) < 0 || *out <= 0))
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "field '%s' must be an RFC 3339 time or a date (2026-09-24)", name);
    return 0;
}

/* The body over 'cur' (NULL for a new article): what is absent keeps its value. */
static int article_in(struct api_call *call, const struct kb_article *cur, struct kb_article_in *in)
{
    int rc;
    if ((rc = json_check(call->body, article_fields, &call->err)) < 0)
        return rc;
    const json_t *b = call->body;
    in->title = json_has(b, "title") ? json_get_str(b, "title") : cur ? cur->title : NULL;
    in->body = json_has(b, "body") ? json_get_str(b, "body") : cur ? cur->body : NULL;
    in->keywords = json_has(b, "keywords") ? json_get_str(b, "keywords") : cur ? cur->keywords : "";
    in->category_id = json_has(b, "category_id") ? json_get_int(b, "category_id", 0)
                      : cur                      ? cur->category_id
                                                 : 0;
    in->department_id = json_has(b, "department_id") ? json_get_int(b, "department_id", 0)
                        : cur                        ? cur->department_id
                                                     : 0;
    in->active = json_get_bool(b, "active", cur ? cur->active : 1);
    if ((rc = time_field(call, "valid_from", cur ? cur->valid_from : 0, &in->valid_from)) < 0 ||
        (rc = time_field(call, "valid_until", cur ? cur->valid_until : 0, &in->valid_until)) < 0)
        return rc;
    if (!in->title)
        return err_field(&call->err, ERR_BAD_REQUEST, "title", "field 'title' is required");
    if (!in->body)
        return err_field(&call->err, ERR_BAD_REQUEST, "body", "field 'body' is required");
    return 0;
}

int api_kb_create(struct api_call *call)
{
    struct kb_article_in in = {0};
    int64_t id;
    int rc;
    if ((rc = article_in(call, NULL, &in)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = kb_article_create(call->conn, &in, call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &article_res, "create", id, NULL);
}

int api_kb_update(struct api_call *call)
{
    struct kb_article cur;
    struct kb_article_in in = {0};
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, article_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 ||
        (rc = kb_article_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0 ||
        (rc = api_crud_state(call, &article_res, id, &before)) < 0 ||
        (rc = article_in(call, &cur, &in)) < 0 ||
        (rc = kb_article_update(call->conn, id, &in, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &article_res, "update", id, before);
}

int api_kb_delete(struct api_call *call)
{
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = api_crud_state(call, &article_res, id, &before)) < 0 ||
        (rc = kb_article_deactivate(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &article_res, "deactivate", id, before);
}

/* POST /api/v1/knowledge/suggest {text, limit?}: the articles in force that best answer the
 * text, best first, with their score (0..1). */
int api_kb_suggest(struct api_call *call)
{
    struct kb_hit hits[KB_SUGGEST_MAX];
    size_t n;
    int rc;
    if ((rc = json_check(call->body, suggest_fields, &call->err)) < 0 ||
        (rc = kb_suggest(call->conn, json_get_str(call->body, "text"), call->now,
                         (int)json_get_int(call->body, "limit", 5), KB_MIN_SCORE, call->req->arena,
                         hits, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        article_json(&w, &hits[i].article, call->now);
        jw_knum(&w, "score", hits[i].score);
        jw_obj_end(&w);
    }
    api_list_end(&w, (int64_t)n, NULL);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}
