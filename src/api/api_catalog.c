/*
 * /api/v1/datasets and /api/v1/catalog: the data resource catalogue (src/catalog, issue 17,
 * docs/data-sharing.md). Any staff user searches it; a data officer manages the datasets of
 * their own departments (an admin, every dataset): create, update, import a file.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

/* clang-format off */
static const struct json_field field_fields[] = {
    {"name",        JT_STRING, JF_REQUIRED, 1, CATALOG_FIELD_NAME_MAX, NULL},
    {"label",       JT_STRING, JF_REQUIRED, 1, CATALOG_LABEL_MAX, NULL},
    {"type",        JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"mask",        JT_STRING, 0,           1, 20, NULL},
    {"sensitivity", JT_INT,    0,           1, 4, NULL},
    {"required",    JT_BOOL,   0,           0, 0, NULL},
    {"is_key",      JT_BOOL,   0,           0, 0, NULL},
    {"lo",          JT_NUMBER, JF_NULLABLE, 0, 0, NULL},
    {"hi",          JT_NUMBER, JF_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field dataset_fields[] = {
    {"code",          JT_STRING,       JF_NULLABLE, 0, CATALOG_CODE_MAX, NULL},
    {"name",          JT_STRING,       0, 1, CATALOG_NAME_MAX, NULL},
    {"description",   JT_STRING,       JF_NULLABLE, 0, CATALOG_DESCRIPTION_MAX, NULL},
    {"department_id", JT_INT,          0, 1, 9007199254740991.0, NULL},
    {"grade",         JT_STRING,       0, 1, 20, NULL},
    {"pi_level",      JT_STRING,       0, 1, 20, NULL},
    {"share_class",   JT_STRING,       0, 1, 20, NULL},
    {"open_class",    JT_STRING,       0, 1, 20, NULL},
    {"update_freq",   JT_STRING,       0, 1, 20, NULL},
    {"source",        JT_STRING,       0, 1, 20, NULL},
    {"k_min",         JT_INT,          0, 2, 1000, NULL},
    {"fields",        JT_ARRAY_OBJECT, 0, 0, CATALOG_FIELDS_MAX, field_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

static void field_json(struct jw *w, const struct catalog_field *f)
{
    jw_obj(w);
    jw_kstr(w, "name", f->name);
    jw_kstr(w, "label", f->label);
    jw_kstr(w, "type", f->type);
    jw_kstr(w, "mask", f->mask);
    jw_kint(w, "position", f->position);
    jw_kint(w, "sensitivity", f->sensitivity);
    jw_kbool(w, "required", f->required);
    jw_kbool(w, "is_key", f->is_key);
    if (f->has_lo)
        jw_knum(w, "lo", f->lo);
    else
        jw_knull(w, "lo");
    if (f->has_hi)
        jw_knum(w, "hi", f->hi);
    else
        jw_knull(w, "hi");
    jw_obj_end(w);
}

void api_dataset_json(struct jw *w, const struct catalog_dataset *d)
{
    jw_kint(w, "id", d->id);
    jw_kstr(w, "code", d->code);
    jw_kstr(w, "name", d->name);
    jw_kstr(w, "description", d->description);
    jw_kint(w, "department_id", d->department_id);
    jw_kstr(w, "department", d->department_name);
    jw_kstr(w, "grade", d->grade);
    jw_kstr(w, "pi_level", d->pi_level);
    jw_kstr(w, "share_class", d->share_class);
    jw_kstr(w, "open_class", d->open_class);
    jw_kstr(w, "update_freq", d->update_freq);
    jw_kstr(w, "source", d->source);
    jw_kint(w, "k_min", d->k_min);
    jw_kint(w, "row_count", d->row_count);
    jw_ktime(w, "loaded_at", d->loaded_at);
    jw_ktime(w, "created_at", d->created_at);
    jw_ktime(w, "updated_at", d->updated_at);
    jw_key(w, "fields");
    jw_arr(w);
    for (size_t i = 0; i < d->nfields; i++)
        field_json(w, &d->fields[i]);
    jw_arr_end(w);
}

static int dataset_render(struct api_call *call, int64_t id, struct jw *w)
{
    struct catalog_dataset d;
    int rc = catalog_dataset_get(call->conn, id, call->req->arena, &d, &call->err);
    if (rc == 0) {
        jw_obj(w);
        api_dataset_json(w, &d);
        jw_obj_end(w);
    }
    return rc;
}

static const struct api_resource dataset_res = {"dataset", "/api/v1/datasets", dataset_render,
                                                NULL};

/* May the caller manage datasets of department 'dept': an admin, or a data officer of it. */
int api_catalog_may_manage(struct api_call *call, int64_t dept)
{
    const struct auth_user *u = call->user;
    if (u->roles & ROLE_ADMIN)
        return 1;
    for (int i = 0; i < u->ndepts; i++)
        if (u->depts[i] == dept)
            return 1;
    return 0;
}

static int deny_dept(struct api_call *call)
{
    return err_deny(&call->err, ERR_REASON_SCOPE,
                    "a data officer manages the datasets of their own department only");
}

int api_dataset_list(struct api_call *call)
{
    struct catalog_filter f = {0};
    struct catalog_dataset *v;
    struct api_page pg;
    size_t n;
    int rc;
    f.q = http_req_query(call->req, "q");
    f.share_class = http_req_query(call->req, "share_class");
    if (f.q && strlen(f.q) > CATALOG_QUERY_MAX * 4)
        return err_field(&call->err, ERR_BAD_REQUEST, "q", "the search is too long");
    if ((rc = api_query_int(call, "department_id", 0, 0, 9007199254740991LL, &f.department_id)) <
            0 ||
        (rc = api_page_query(call, 0, CATALOG_LIST_MAX, &pg)) < 0 ||
        (rc = catalog_dataset_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = api_page_from(&pg, n); i < api_page_to(&pg, n); i++) {
        jw_obj(&w);
        api_dataset_json(&w, &v[i]);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, &pg, n);
    return api_reply(call, 200, &w);
}

int api_dataset_get(struct api_call *call)
{
    return api_crud_get(call, &dataset_res);
}

static const char *str_or(const json_t *b, const char *name, const char *cur, const char *def)
{
    if (json_has(b, name) && !json_is_null(b, name))
        return json_get_str(b, name);
    return cur ? cur : def;
}

/* The body over 'cur' (NULL for a new dataset): what is absent keeps its value. */
static int dataset_in(struct api_call *call, const struct catalog_dataset *cur,
                      struct catalog_dataset_in *in)
{
    int rc;
    if ((rc = json_check(call->body, dataset_fields, &call->err)) < 0)
        return rc;
    const json_t *b = call->body;
    in->code = str_or(b, "code", cur ? cur->code : NULL, NULL);
    in->name = str_or(b, "name", cur ? cur->name : NULL, NULL);
    in->description = str_or(b, "description", cur ? cur->description : NULL, "");
    in->department_id = json_get_int(b, "department_id", cur ? cur->department_id : 0);
    in->grade = str_or(b, "grade", cur ? cur->grade : NULL, NULL);
    in->pi_level = str_or(b, "pi_level", cur ? cur->pi_level : NULL, "none");
    in->share_class = str_or(b, "share_class", cur ? cur->share_class : NULL, NULL);
    in->open_class = str_or(b, "open_class", cur ? cur->open_class : NULL, "closed");
    in->update_freq = str_or(b, "update_freq", cur ? cur->update_freq : NULL, "irregular");
    in->source = str_or(b, "source", cur ? cur->source : NULL, "import");
    in->k_min = (int)json_get_int(b, "k_min", cur ? cur->k_min : 5);
    if (!in->name)
        return err_field(&call->err, ERR_BAD_REQUEST, "name", "field 'name' is required");
    if (!in->department_id)
        return err_field(&call->err, ERR_BAD_REQUEST, "department_id",
                         "field 'department_id' is required");
    if (!in->grade)
        return err_field(&call->err, ERR_BAD_REQUEST, "grade", "field 'grade' is required");
    if (!in->share_class)
        return err_field(&call->err, ERR_BAD_REQUEST, "share_class",
                         "field 'share_class' is required");
    const json_t *fs = json_get(b, "fields");
    if (fs && json_is_array(fs)) {
        int n = json_array_size(fs);
        struct catalog_field *f = arena_alloc(call->req->arena, ((size_t)n + 1) * sizeof(*f));
        for (int i = 0; i < n; i++) {
            const json_t *o = json_array_item(fs, i);
            f[i].name = json_get_str(o, "name");
            f[i].label = json_get_str(o, "label");
            f[i].type = json_get_str(o, "type");
            f[i].mask = json_has(o, "mask") ? json_get_str(o, "mask") : "none";
            f[i].sensitivity = (int)json_get_int(o, "sensitivity", 1);
            f[i].required = json_get_bool(o, "required", 0);
            f[i].is_key = json_get_bool(o, "is_key", 0);
            f[i].has_lo = json_has(o, "lo") && !json_is_null(o, "lo");
            f[i].lo = json_get_num(o, "lo", 0);
            f[i].has_hi = json_has(o, "hi") && !json_is_null(o, "hi");
            f[i].hi = json_get_num(o, "hi", 0);
            f[i].position = i + 1;
        }
        in->fields = f;
        in->nfields = (size_t)n;
        in->set_fields = 1;
    } else if (!cur) {
        in->set_fields = 1; /* none: refused by the module unless a gridloop source */
    }
    return 0;
}

int api_dataset_create(struct api_call *call)
{
    struct catalog_dataset_in in = {0};
    int64_t id;
    int rc;
    if ((rc = dataset_in(call, NULL, &in)) < 0)
        return rc;
    if (!api_catalog_may_manage(call, in.department_id))
        return deny_dept(call);
    if ((rc = api_begin(call)) < 0 || (rc = catalog_dataset_create(call->conn, &in, call->user->id,
                                                                   call->now, &id, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &dataset_res, "create", id, NULL);
}

int api_dataset_update(struct api_call *call)
{
    struct catalog_dataset cur;
    struct catalog_dataset_in in = {0};
    int64_t id;
    char *before;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = json_check(call->body, dataset_fields, &call->err)) < 0 ||
        (rc = api_begin(call)) < 0 ||
        (rc = catalog_dataset_get(call->conn, id, call->req->arena, &cur, &call->err)) < 0)
        return rc;
    if (!api_catalog_may_manage(call, cur.department_id))
        return deny_dept(call);
    if ((rc = api_crud_state(call, &dataset_res, id, &before)) < 0 ||
        (rc = dataset_in(call, &cur, &in)) < 0)
        return rc;
    if (!api_catalog_may_manage(call, in.department_id))
        return deny_dept(call);
    if ((rc = catalog_dataset_update(call->conn, id, &in, call->now, &call->err)) < 0)
        return rc;
    return api_crud_commit(call, &dataset_res, "update", id, before);
}

/* ---- import ---- */

static void import_errors_json(struct jw *w, const struct catalog_import_report *rep)
{
    jw_key(w, "errors");
    jw_arr(w);
    for (size_t i = 0; i < rep->nerrors; i++) {
        jw_obj(w);
        jw_kint(w, "line", rep->errors[i].line);
        jw_kstr(w, "field", rep->errors[i].field);
        jw_kstr(w, "reason", rep->errors[i].reason);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_kint(w, "errors_total", rep->errors_total);
}

/* POST /api/v1/datasets/{id}/import?format=csv|xlsx&mode=replace|append&filename=...: the body
 * is the file. All rows load in one transaction or none; a 400 lists the bad rows by line and
 * field (the first CATALOG_ERRORS_MAX, and their count). */
int api_dataset_import(struct api_call *call)
{
    struct catalog_dataset d;
    struct catalog_import_report rep;
    struct catalog_reader r = {0};
    int64_t id;
    int rc;
    const char *format = http_req_query(call->req, "format");
    const char *mode = http_req_query(call->req, "mode");
    const char *filename = http_req_query(call->req, "filename");
    if (!format)
        format = "csv";
    if (!mode)
        mode = "replace";
    if (!filename || !*filename)
        filename = arena_printf(call->req->arena, "import.%s", format);
    if (strlen(filename) > 200)
        return err_field(&call->err, ERR_BAD_REQUEST, "filename", "the file name is too long");
    if (strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "format", "'format' must be csv or xlsx");
    if (strcmp(mode, "replace") != 0 && strcmp(mode, "append") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "mode", "'mode' must be replace or append");
    if ((rc = api_param_id(call, "id", &id)) < 0)
        return rc;
    if (!call->req->body_len)
        return err_field(&call->err, ERR_BAD_REQUEST, "file", "the file is empty");
    if ((rc = api_catalog_reader(call, format, &r)) < 0)
        return rc;
    if ((rc = api_begin(call)) < 0 ||
        (rc = catalog_dataset_get(call->conn, id, call->req->arena, &d, &call->err)) < 0) {
        if (r.close)
            r.close(r.ud);
        return rc;
    }
    if (!api_catalog_may_manage(call, d.department_id)) {
        if (r.close)
            r.close(r.ud);
        return deny_dept(call);
    }
    rc = catalog_import(call->conn, &d, &r, mode, filename, call->user->id, call->now,
                        call->req->arena, &rep, &call->err);
    if (r.close)
        r.close(r.ud);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    if (rc == ERR_BAD_REQUEST && rep.errors_total) {
        api_file_refused_begin(call, &w);
        jw_kint(&w, "rows_read", rep.rows_read);
        jw_kint(&w, "rows_loaded", 0);
        import_errors_json(&w, &rep);
        return api_file_refused_end(call, &w);
    }
    if (rc < 0) {
        jw_release(&w);
        return rc;
    }
    jw_kint(&w, "import_id", rep.import_id);
    jw_kint(&w, "dataset_id", d.id);
    jw_kstr(&w, "format", r.format);
    jw_kstr(&w, "encoding", rep.encoding);
    jw_kstr(&w, "mode", mode);
    jw_kint(&w, "rows_read", rep.rows_read);
    jw_kint(&w, "rows_loaded", rep.rows_loaded);
    jw_kint(&w, "row_count", rep.row_count);
    jw_obj_end(&w);
    struct buf fb;
    buf_init(&fb);
    buf_json_str(&fb, filename);
    const char *after = arena_printf(
        call->req->arena,
        "{\"import_id\":%lld,\"filename\":%s,\"format\":\"%s\",\"encoding\":\"%s\",\"mode\":\"%s\","
        "\"rows_loaded\":%lld,\"row_count\":%lld,\"bytes\":%zu}",
        (long long)rep.import_id, fb.p, r.format, rep.encoding, mode, (long long)rep.rows_loaded,
        (long long)rep.row_count, call->req->body_len);
    buf_release(&fb);
    const char *target = arena_printf(call->req->arena, "dataset/%lld", (long long)d.id);
    if ((rc = api_commit(call, "dataset.import", target, NULL, after)) < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}

/* The reader of the body in 'format' (csv or xlsx, src/tabular's). */
int api_catalog_reader(struct api_call *call, const char *format, struct catalog_reader *r)
{
    return catalog_table_reader(call->req->body, call->req->body_len, format, r, &call->err);
}

/* ---- the three lists and DCAT ---- */

/* GET /api/v1/catalog/lists: 需求清单 (the requests), 责任清单 (each owner department's datasets
 * with their update frequency, last load and whether it is on time) and 负面清单 (the datasets
 * that may not be shared). */
int api_catalog_lists(struct api_call *call)
{
    struct catalog_dataset *v;
    struct catalog_demand *q;
    size_t n, nq;
    int rc;
    if ((rc = catalog_dataset_list(call->conn, NULL, call->req->arena, &v, &n, &call->err)) < 0 ||
        (rc = catalog_demand_list(call->conn, call->req->arena, &q, &nq, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "demand");
    jw_arr(&w);
    for (size_t i = 0; i < nq; i++) {
        jw_obj(&w);
        jw_kint(&w, "id", q[i].id);
        jw_kint(&w, "dataset_id", q[i].dataset_id);
        jw_kstr(&w, "dataset_code", q[i].dataset_code);
        jw_kstr(&w, "dataset", q[i].dataset_name);
        jw_kstr(&w, "owner", q[i].owner_name);
        jw_kint(&w, "department_id", q[i].department_id);
        jw_kstr(&w, "department", q[i].department_name);
        jw_kstr(&w, "fields", q[i].fields);
        jw_kstr(&w, "mode", q[i].mode);
        jw_kstr(&w, "purpose", q[i].purpose);
        jw_kstr(&w, "status", q[i].status);
        jw_ktime(&w, "created_at", q[i].created_at);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    /* 责任清单: by department, in the order of their first dataset's code. */
    jw_key(&w, "responsibility");
    jw_arr(&w);
    char *done = arena_alloc(call->req->arena, n + 1);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        jw_obj(&w);
        jw_kint(&w, "department_id", v[i].department_id);
        jw_kstr(&w, "department", v[i].department_name);
        jw_key(&w, "datasets");
        jw_arr(&w);
        for (size_t j = i; j < n; j++) {
            if (done[j] || v[j].department_id != v[i].department_id)
                continue;
            done[j] = 1;
            jw_obj(&w);
            jw_kint(&w, "id", v[j].id);
            jw_kstr(&w, "code", v[j].code);
            jw_kstr(&w, "name", v[j].name);
            jw_kstr(&w, "share_class", v[j].share_class);
            jw_kstr(&w, "update_freq", v[j].update_freq);
            jw_ktime(&w, "loaded_at", v[j].loaded_at);
            jw_kint(&w, "row_count", v[j].row_count);
            jw_kbool(&w, "timely", catalog_timely(&v[j], call->now));
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "negative");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].share_class, "none") != 0)
            continue;
        jw_obj(&w);
        jw_kint(&w, "id", v[i].id);
        jw_kstr(&w, "code", v[i].code);
        jw_kstr(&w, "name", v[i].name);
        jw_kstr(&w, "department", v[i].department_name);
        jw_kstr(&w, "grade", v[i].grade);
        jw_kstr(&w, "description", v[i].description);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static const char *site_base(struct api_call *call)
{
    const char *host = http_req_header(call->req, "Host");
    if (!host || !*host || strpbrk(host, "/\\ \"<>"))
        host = "127.0.0.1";
    return arena_printf(call->req->arena, "http://%s", host);
}

/* The Dublin Core frequency vocabulary (http://purl.org/cld/freq/) for update_freq. */
static const char *freq_iri(const char *f)
{
    static const char *const M[][2] = {{"realtime", "continuous"}, {"daily", "daily"},
                                       {"weekly", "weekly"},       {"monthly", "monthly"},
                                       {"quarterly", "quarterly"}, {"yearly", "annual"},
                                       {"irregular", "irregular"}};
    for (size_t i = 0; i < sizeof(M) / sizeof(M[0]); i++)
        if (strcmp(f, M[i][0]) == 0)
            return M[i][1];
    return "irregular";
}

static void jw_kid(struct jw *w, const char *key, const char *iri)
{
    jw_key(w, key);
    jw_obj(w);
    jw_kstr(w, "@id", iri);
    jw_obj_end(w);
}

/* GET /api/v1/catalog/dcat: the catalogue as DCAT (W3C Data Catalog Vocabulary) in JSON-LD, so
 * CKAN and other catalogue tools can harvest it. Datasets that may not be shared are listed too
 * (the negative list is public knowledge), with their access rights saying so. */
int api_catalog_dcat(struct api_call *call)
{
    struct catalog_dataset *v;
    size_t n;
    int rc;
    if ((rc = catalog_dataset_list(call->conn, NULL, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    const char *base = site_base(call);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "@context");
    jw_obj(&w);
    jw_kstr(&w, "dcat", "http://www.w3.org/ns/dcat#");
    jw_kstr(&w, "dct", "http://purl.org/dc/terms/");
    jw_kstr(&w, "foaf", "http://xmlns.com/foaf/0.1/");
    jw_kstr(&w, "xsd", "http://www.w3.org/2001/XMLSchema#");
    jw_obj_end(&w);
    jw_kstr(&w, "@id", arena_printf(call->req->arena, "%s/api/v1/catalog/dcat", base));
    jw_kstr(&w, "@type", "dcat:Catalog");
    jw_kstr(&w, "dct:title", "政务数据资源目录");
    jw_kstr(&w, "dct:language", "zh-CN");
    jw_key(&w, "dcat:dataset");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_dataset *d = &v[i];
        const char *self =
            arena_printf(call->req->arena, "%s/api/v1/datasets/%lld", base, (long long)d->id);
        jw_obj(&w);
        jw_kstr(&w, "@id", self);
        jw_kstr(&w, "@type", "dcat:Dataset");
        jw_kstr(&w, "dct:identifier", d->code);
        jw_kstr(&w, "dct:title", d->name);
        jw_kstr(&w, "dct:description", d->description);
        jw_key(&w, "dct:publisher");
        jw_obj(&w);
        jw_kstr(&w, "@type", "foaf:Organization");
        jw_kstr(&w, "foaf:name", d->department_name);
        jw_obj_end(&w);
        jw_key(&w, "dcat:keyword");
        jw_arr(&w);
        for (size_t k = 0; k < d->nfields; k++)
            jw_str(&w, d->fields[k].label);
        jw_arr_end(&w);
        jw_kid(&w, "dct:accrualPeriodicity",
               arena_printf(call->req->arena, "http://purl.org/cld/freq/%s",
                            freq_iri(d->update_freq)));
        jw_kstr(&w, "dct:accessRights",
                strcmp(d->share_class, "unconditional") == 0 ? "无条件共享"
                : strcmp(d->share_class, "conditional") == 0 ? "有条件共享"
                                                             : "不予共享");
        jw_key(&w, "dct:issued");
        jw_obj(&w);
        char t[32];
        clock_format_utc(d->created_at, t);
        jw_kstr(&w, "@value", t);
        jw_kstr(&w, "@type", "xsd:dateTime");
        jw_obj_end(&w);
        if (d->loaded_at) {
            jw_key(&w, "dct:modified");
            jw_obj(&w);
            clock_format_utc(d->loaded_at, t);
            jw_kstr(&w, "@value", t);
            jw_kstr(&w, "@type", "xsd:dateTime");
            jw_obj_end(&w);
        }
        jw_key(&w, "dcat:distribution");
        jw_arr(&w);
        if (strcmp(d->share_class, "none") != 0) {
            jw_obj(&w);
            jw_kstr(&w, "@type", "dcat:Distribution");
            jw_kstr(&w, "dct:title", "数据共享接口（按授权脱敏或聚合提供）");
            jw_kid(&w, "dcat:accessURL", self);
            jw_kstr(&w, "dcat:mediaType", "application/json");
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    size_t len;
    char *body = buf_detach(&w.b, &len);
    http_res_body(call->res, 200, "application/ld+json; charset=utf-8", body, len, HTTP_BODY_FREE);
    return 0;
}

/* ---- quality ---- */

#define RUNS_MAX 200 /* runs a dataset's page lists */
#define PROBLEMS_SHOWN 200

static void run_json(struct jw *w, const struct catalog_quality_run *q)
{
    jw_kint(w, "id", q->id);
    jw_kint(w, "dataset_id", q->dataset_id);
    jw_ktime(w, "at", q->at);
    jw_kint(w, "rows_checked", q->rows_checked);
    jw_kint(w, "rows_bad", q->rows_bad);
    jw_knum(w, "completeness", q->completeness);
    jw_knum(w, "validity", q->validity);
    jw_knum(w, "uniqueness", q->uniqueness);
    jw_knum(w, "timeliness", q->timeliness);
    jw_knum(w, "accuracy", q->accuracy);
    jw_kbool(w, "passed", q->accuracy >= CATALOG_ACCURACY_TARGET);
    jw_key(w, "per_field");
    jw_raw(w, q->per_field && *q->per_field ? q->per_field : "[]");
    if (q->case_id) {
        jw_kint(w, "case_id", q->case_id);
        jw_kstr(w, "case_number", q->case_number);
        jw_kstr(w, "case_state", q->case_state);
    } else {
        jw_knull(w, "case_id");
    }
}

static void problems_json(struct jw *w, const struct catalog_quality_problem *p, size_t n)
{
    jw_key(w, "problems");
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(w);
        jw_kint(w, "row_no", p[i].row_no);
        jw_kstr(w, "field", p[i].field);
        jw_kstr(w, "rule", p[i].rule);
        jw_kstr(w, "reason", p[i].reason);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* GET /api/v1/datasets/{id}/quality: the runs, newest first (accuracy over time), with the
 * problems of the newest. */
int api_dataset_quality(struct api_call *call)
{
    struct catalog_dataset d;
    struct catalog_quality_run *runs;
    struct catalog_quality_problem *p = NULL;
    size_t n, np = 0;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = catalog_dataset_get(call->conn, id, call->req->arena, &d, &call->err)) < 0 ||
        (rc = catalog_quality_runs(call->conn, id, RUNS_MAX, call->req->arena, &runs, &n,
                                   &call->err)) < 0 ||
        (n && (rc = catalog_quality_problems(call->conn, runs[0].id, PROBLEMS_SHOWN,
                                             call->req->arena, &p, &np, &call->err)) < 0))
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "dataset_id", d.id);
    jw_kstr(&w, "dataset", d.name);
    jw_knum(&w, "target", CATALOG_ACCURACY_TARGET);
    jw_key(&w, "runs");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        run_json(&w, &runs[i]);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    problems_json(&w, p, np);
    jw_kint(&w, "problems_total", n ? runs[0].problems_stored : 0);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* POST /api/v1/datasets/{id}/quality: run a check now. Below the target the problems go back to
 * the owner department as a case, dispatched to it once the run has committed. */
int api_dataset_quality_run(struct api_call *call)
{
    struct catalog_dataset d;
    struct catalog_quality_run run;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = catalog_dataset_get(call->conn, id, call->req->arena, &d, &call->err)) < 0)
        return rc;
    if (!api_catalog_may_manage(call, d.department_id))
        return deny_dept(call);
    struct app_ctx x = api_ctx(call);
    if ((rc = app_catalog_quality(&x, &d, &run)) < 0)
        return rc;
    const char *after = arena_printf(
        call->req->arena,
        "{\"run\":%lld,\"rows_checked\":%lld,\"rows_bad\":%lld,\"accuracy\":%.6g,\"case_id\":%lld}",
        (long long)run.id, (long long)run.rows_checked, (long long)run.rows_bad, run.accuracy,
        (long long)run.case_id);
    const char *target = arena_printf(call->req->arena, "dataset/%lld", (long long)d.id);
    if ((rc = api_commit(call, "dataset.quality", target, NULL, after)) < 0)
        return rc;
    /* The dispatch is its own transaction: when it fails, the case waits for a dispatcher with
     * the owner suggested, and the run is kept. */
    if (run.case_id) {
        struct err e = ERR_INIT;
        x.err = &e;
        if (app_catalog_dispatch(&x, &d, run.case_id) < 0)
            log_msg(LOG_WARN, "quality case %lld not dispatched: %s", (long long)run.case_id,
                    e.msg);
    }
    struct catalog_quality_run *runs;
    size_t n;
    if ((rc = catalog_quality_runs(call->conn, id, 1, call->req->arena, &runs, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    run_json(&w, n ? &runs[0] : &run);
    problems_json(&w, run.problems,
                  run.nproblems < PROBLEMS_SHOWN ? run.nproblems : PROBLEMS_SHOWN);
    jw_kint(&w, "problems_total", run.problems_total);
    jw_obj_end(&w);
    return api_reply(call, 201, &w);
}

/* GET /api/v1/catalog/quality?department_id=: the quality report of an owner department: each
 * of its datasets with its latest run and the accuracy of the runs before. */
int api_catalog_quality(struct api_call *call)
{
    struct catalog_filter f = {0};
    struct catalog_dataset *v;
    size_t n;
    int rc;
    if ((rc = api_query_int(call, "department_id", 0, 1, 9007199254740991LL, &f.department_id)) < 0)
        return rc;
    if (!f.department_id)
        return err_field(&call->err, ERR_BAD_REQUEST, "department_id",
                         "query parameter 'department_id' is required");
    if ((rc = catalog_dataset_list(call->conn, &f, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "department_id", f.department_id);
    jw_knum(&w, "target", CATALOG_ACCURACY_TARGET);
    jw_key(&w, "datasets");
    jw_arr(&w);
    int64_t rows = 0, bad = 0, passed = 0, checked = 0;
    for (size_t i = 0; i < n; i++) {
        struct catalog_quality_run *runs;
        size_t nr;
        if ((rc = catalog_quality_runs(call->conn, v[i].id, RUNS_MAX, call->req->arena, &runs, &nr,
                                       &call->err)) < 0) {
            jw_release(&w);
            return rc;
        }
        jw_obj(&w);
        jw_kint(&w, "id", v[i].id);
        jw_kstr(&w, "code", v[i].code);
        jw_kstr(&w, "name", v[i].name);
        jw_kstr(&w, "department", v[i].department_name);
        jw_kbool(&w, "timely", catalog_timely(&v[i], call->now));
        jw_key(&w, "latest");
        if (nr) {
            jw_obj(&w);
            run_json(&w, &runs[0]);
            jw_obj_end(&w);
            rows += runs[0].rows_checked;
            bad += runs[0].rows_bad;
            checked++;
            passed += runs[0].accuracy >= CATALOG_ACCURACY_TARGET;
        } else {
            jw_null(&w);
        }
        jw_key(&w, "accuracy_trend");
        jw_arr(&w);
        for (size_t k = nr; k-- > 0;) {
            jw_obj(&w);
            jw_ktime(&w, "at", runs[k].at);
            jw_knum(&w, "accuracy", runs[k].accuracy);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "datasets_checked", checked);
    jw_kint(&w, "datasets_passed", passed);
    jw_kint(&w, "rows_checked", rows);
    jw_kint(&w, "rows_bad", bad);
    if (rows)
        jw_knum(&w, "accuracy", (double)(rows - bad) / (double)rows);
    else
        jw_knull(&w, "accuracy");
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
