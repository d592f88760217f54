/*
 * Open311 GeoReport v2 with the FixMyStreet update extension (docs/open311.md): discovery,
 * services and their definitions, requests (POST through the one intake path, GET without
 * personal data), tokens, service request updates; each in XML (libxml2's text writer) and
 * JSON, with the specification's error bodies. Also the admin endpoints for client keys and
 * category attributes.
 */
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "attach/attach.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/num.h"
#include "core/utf8.h"
#include "open311/open311.h"
#include "org/org.h"
#include "store/store.h"

/* Exactly the types the discovery lists as formats, so a client that compares them matches;
 * the XML declaration carries the encoding, and RFC 8259 defines no charset for JSON. */
static const char xml_type[] = "text/xml";
static const char json_type[] = "application/json";
static const char spec_url[] = "http://wiki.open311.org/GeoReport_v2";

/* ---------------------------------------------------------------- one writer, two formats */

/*
 * XML and JSON follow the spec's mapping: an XML list element (<services>) is a top-level
 * JSON array, its items (<service>) are objects, and a nested list (<formats><format>) is a
 * keyed array of scalars or objects.
 */
struct out {
    int xml;
    xmlBufferPtr buf;
    xmlTextWriterPtr x;
    struct jw j;
    struct arena *arena;
};

static void out_init(struct out *o, int xml, struct arena *a)
{
    memset(o, 0, sizeof(*o));
    o->xml = xml;
    o->arena = a;
    if (xml) {
        o->buf = xmlBufferCreate();
        o->x = xmlNewTextWriterMemory(o->buf, 0);
        /* Written by hand: libxml2 would spell the encoding "UTF-8", the spec's examples
         * (and some strict clients) "utf-8". The writer then emits UTF-8 unchanged. */
        xmlTextWriterWriteRaw(o->x,
                              (const xmlChar *)"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    } else {
        jw_init(&o->j);
    }
}

static void out_release(struct out *o)
{
    if (o->x)
        xmlFreeTextWriter(o->x);
    if (o->buf)
        xmlBufferFree(o->buf);
    if (!o->xml)
        jw_release(&o->j);
    o->x = NULL;
    o->buf = NULL;
}

/* Text XML 1.0 can carry: C0 controls other than tab and newlines become spaces (libxml2
 * would write them as character references, which XML 1.0 forbids). */
static const xmlChar *xml_text(struct out *o, const char *s)
{
    /* Invalid UTF-8 (a client's bytes quoted in an error) becomes U+FFFD: libxml2 would
     * otherwise write a document no parser accepts. */
    s = utf8_scrub(o->arena, s);
    const char *p = s;
    while (*p && ((unsigned char)*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (!*p)
        return (const xmlChar *)s;
    char *copy = arena_strdup(o->arena, s);
    for (char *q = copy; *q; q++)
        if ((unsigned char)*q < 0x20 && *q != '\t' && *q != '\n' && *q != '\r')
            *q = ' ';
    return (const xmlChar *)copy;
}

/* A list: the XML element, or a JSON array (keyed when it is inside an object). */
static void out_list(struct out *o, const char *name, int keyed)
{
    if (o->xml) {
        xmlTextWriterStartElement(o->x, (const xmlChar *)name);
    } else {
        if (keyed)
            jw_key(&o->j, name);
        jw_arr(&o->j);
    }
}

static void out_list_end(struct out *o)
{
    if (o->xml)
        xmlTextWriterEndElement(o->x);
    else
        jw_arr_end(&o->j);
}

/* An object: an item of a list, a document's single object, or a keyed member. */
static void out_obj(struct out *o, const char *name, int keyed)
{
    if (o->xml) {
        xmlTextWriterStartElement(o->x, (const xmlChar *)name);
    } else {
        if (keyed)
            jw_key(&o->j, name);
        jw_obj(&o->j);
    }
}

static void out_obj_end(struct out *o)
{
    if (o->xml)
        xmlTextWriterEndElement(o->x);
    else
        jw_obj_end(&o->j);
}

/* NULL: an empty element, JSON null. */
static void out_str(struct out *o, const char *key, const char *v)
{
    if (o->xml)
        xmlTextWriterWriteElement(o->x, (const xmlChar *)key, xml_text(o, v ? v : ""));
    else
        jw_kstr(&o->j, key, v);
}

/* A scalar item of a list (<format>text/xml</format>). */
static void out_item_str(struct out *o, const char *elem, const char *v)
{
    if (o->xml)
        xmlTextWriterWriteElement(o->x, (const xmlChar *)elem, xml_text(o, v));
    else
        jw_str(&o->j, v);
}

static void out_int(struct out *o, const char *key, int64_t v)
{
    if (o->xml)
        xmlTextWriterWriteFormatElement(o->x, (const xmlChar *)key, "%lld", (long long)v);
    else
        jw_kint(&o->j, key, v);
}

static void out_bool(struct out *o, const char *key, int v)
{
    if (o->xml)
        xmlTextWriterWriteElement(o->x, (const xmlChar *)key,
                                  (const xmlChar *)(v ? "true" : "false"));
    else
        jw_kbool(&o->j, key, v);
}

/* W3C datetime with its zone (UTC, "Z"); 0 is empty / null. */
static void out_time(struct out *o, const char *key, int64_t t)
{
    char s[32];
    if (!t) {
        out_str(o, key, NULL);
        return;
    }
    clock_format_utc(t, s);
    out_str(o, key, s);
}

static void out_coord(struct out *o, const char *key, int has, double v)
{
    if (!has) {
        out_str(o, key, NULL);
    } else if (o->xml) {
        xmlTextWriterWriteFormatElement(o->x, (const xmlChar *)key, "%.8f", v);
    } else {
        jw_knum(&o->j, key, v);
    }
}

static int out_reply(struct api_call *call, struct out *o, int status)
{
    if (o->xml) {
        xmlTextWriterEndDocument(o->x);
        xmlFreeTextWriter(o->x);
        o->x = NULL;
        size_t len = (size_t)xmlBufferLength(o->buf);
        char *body = arena_strndup(call->req->arena, (const char *)xmlBufferContent(o->buf), len);
        xmlBufferFree(o->buf);
        o->buf = NULL;
        http_res_body(call->res, status, xml_type, body, len, HTTP_BODY_ARENA);
        return 0;
    }
    size_t len;
    char *body = buf_detach(&o->j.b, &len);
    http_res_body(call->res, status, json_type, body, len, HTTP_BODY_FREE);
    return 0;
}

/* ---------------------------------------------------------------- errors and parameters */

static int path_is_json(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcmp(path + n - 5, ".json") == 0;
}

void api_open311_error(struct http_res *res, const struct err *e, struct http_req *req)
{
    int code = e->code ? e->code : ERR_INTERNAL;
    int status = err_http_status(code);
    const char *msg = e->msg[0] ? e->msg : err_default_message(code);
    struct out o;
    out_init(&o, !path_is_json(req->path), req->arena);
    out_list(&o, "errors", 0);
    out_obj(&o, "error", 0);
    out_int(&o, "code", status);
    out_str(&o, "description", msg);
    out_obj_end(&o);
    out_list_end(&o);
    if (o.xml) {
        xmlTextWriterEndDocument(o.x);
        xmlFreeTextWriter(o.x);
        o.x = NULL;
        size_t len = (size_t)xmlBufferLength(o.buf);
        http_res_body(res, status, xml_type,
                      arena_strndup(req->arena, (const char *)xmlBufferContent(o.buf), len), len,
                      HTTP_BODY_ARENA);
    } else {
        size_t len = o.j.b.len;
        http_res_body(res, status, json_type, arena_strndup(req->arena, o.j.b.p, len), len,
                      HTTP_BODY_ARENA);
    }
    out_release(&o);
}

/* The {file} segment as resource name and format: "services.xml" → "services", xml. */
static int split_file(struct api_call *call, const char **name, int *xml)
{
    const char *file = http_req_param(call->req, "file");
    const char *dot = file ? strrchr(file, '.') : NULL;
    if (!dot || (strcmp(dot, ".xml") != 0 && strcmp(dot, ".json") != 0))
        return err_set(&call->err, ERR_NOT_FOUND,
                       "no Open311 resource %s: the format suffix is .xml or .json",
                       call->req->path);
    *xml = strcmp(dot, ".xml") == 0;
    *name = arena_strndup(call->req->arena, file, (size_t)(dot - file));
    return 0;
}

/* The {fmt} segment of the POST routes ("requests.{fmt}"): xml or json. */
static int format_of(struct api_call *call, int *xml)
{
    const char *fmt = http_req_param(call->req, "fmt");
    if (!fmt || (strcmp(fmt, "xml") != 0 && strcmp(fmt, "json") != 0))
        return err_set(&call->err, ERR_NOT_FOUND,
                       "no Open311 resource %s: the format suffix is .xml or .json",
                       call->req->path);
    *xml = strcmp(fmt, "xml") == 0;
    return 0;
}

/* "Optional" means an empty parameter behaves like an absent one. */
static const char *query(struct api_call *call, const char *name)
{
    const char *v = http_req_query(call->req, name);
    return v && *v ? v : NULL;
}

static int check_jurisdiction(struct api_call *call, const char *v)
{
    const char *ours = call->api->d.conf->open311_jurisdiction;
    if (v && *v && strcmp(v, ours) != 0)
        return err_field(&call->err, ERR_NOT_FOUND, "jurisdiction_id",
                         "jurisdiction_id '%.60s' not found (this endpoint serves '%s')", v, ours);
    return 0;
}

static int query_time(struct api_call *call, const char *name, int64_t *out)
{
    const char *v = query(call, name);
    *out = 0;
    if (v && (clock_parse_rfc3339(v, out) < 0 || *out <= 0))
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "%s must be a W3C datetime such as 2026-12-02T08:00:00+08:00", name);
    return 0;
}

/* A positive integer parameter up to 'max'; empty or absent → def. */
static int query_int(struct api_call *call, const char *name, int64_t def, int64_t max,
                     int64_t *out)
{
    const char *v = query(call, name);
    int64_t n;
    *out = def;
    if (!v)
        return 0;
    if (num_parse_int(v, &n) < 0 || n < 1 || n > max)
        return err_field(&call->err, ERR_BAD_REQUEST, name, "%s must be an integer from 1 to %lld",
                         name, (long long)max);
    *out = n;
    return 0;
}

/* The date window of a list: both given (at most 90 days apart), one given (90 days from or
 * to it), or none (the last 90 days). */
static int date_window(struct api_call *call, int64_t *start, int64_t *end)
{
    int rc;
    if ((rc = query_time(call, "start_date", start)) < 0 ||
        (rc = query_time(call, "end_date", end)) < 0)
        return rc;
    if (*start && *end) {
        if (*end < *start)
            return err_field(&call->err, ERR_BAD_REQUEST, "end_date",
                             "end_date is before start_date");
        if (*end - *start > OPEN311_WINDOW)
            return err_field(&call->err, ERR_BAD_REQUEST, "end_date",
                             "start_date and end_date are at most 90 days apart");
    } else if (*start) {
        *end = *start + OPEN311_WINDOW;
    } else {
        if (!*end)
            *end = call->now;
        *start = *end - OPEN311_WINDOW;
    }
    return 0;
}

/* A comma-separated list, trimmed, empty items dropped, into the arena. */
static size_t split_list(struct arena *a, const char *v, const char ***out)
{
    size_t n = 0, cap = 1;
    for (const char *p = v; *p; p++)
        cap += *p == ',';
    const char **items = arena_alloc(a, cap * sizeof(*items));
    char *copy = arena_strdup(a, v), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        char *e = t + strlen(t);
        while (e > t && e[-1] == ' ')
            *--e = '\0';
        if (*t)
            items[n++] = t;
    }
    *out = items;
    return n;
}

static const char *host_base(struct api_call *call)
{
    const char *host = http_req_header(call->req, "Host");
    if (!host || !*host || strpbrk(host, "/\\ \"<>"))
        host = "127.0.0.1";
    return arena_printf(call->req->arena, "http://%s/open311/v2", host);
}

/* ---------------------------------------------------------------- discovery and services */

int api_open311_discovery(struct api_call *call)
{
    const char *name;
    int xml, rc;
    int64_t changeset;
    char cs[32];
    if ((rc = split_file(call, &name, &xml)) < 0)
        return rc;
    if (strcmp(name, "discovery") != 0)
        return err_set(&call->err, ERR_NOT_FOUND, "no Open311 resource %s", call->req->path);
    if ((rc = open311_changeset(call->conn, &changeset, &call->err)) < 0)
        return rc;
    clock_format_utc(changeset ? changeset : call->now, cs);
    struct out o;
    out_init(&o, xml, call->req->arena);
    out_obj(&o, "discovery", 0);
    out_str(&o, "changeset", cs);
    out_str(&o, "contact", call->api->d.conf->open311_contact);
    out_str(&o, "key_service",
            "API keys are issued per client by the administrators of this gridloop installation "
            "(POST /api/v1/open311/clients); ask the contact above");
    out_list(&o, "endpoints", 1);
    out_obj(&o, "endpoint", 0);
    out_str(&o, "specification", spec_url);
    out_str(&o, "url", host_base(call));
    out_str(&o, "changeset", cs);
    out_str(&o, "type", "production");
    out_list(&o, "formats", 1);
    out_item_str(&o, "format", "text/xml");
    out_item_str(&o, "format", "application/json");
    out_list_end(&o);
    out_obj_end(&o);
    out_list_end(&o);
    out_obj_end(&o);
    return out_reply(call, &o, 200);
}

static int services_list(struct api_call *call, int xml)
{
    struct open311_service *sv;
    size_t n;
    int rc;
    if ((rc = check_jurisdiction(call, query(call, "jurisdiction_id"))) < 0 ||
        (rc = open311_services(call->conn, call->req->arena, &sv, &n, &call->err)) < 0)
        return rc;
    struct out o;
    out_init(&o, xml, call->req->arena);
    out_list(&o, "services", 0);
    for (size_t i = 0; i < n; i++) {
        out_obj(&o, "service", 0);
        out_str(&o, "service_code", sv[i].code);
        out_str(&o, "service_name", sv[i].name);
        out_str(&o, "description", sv[i].description);
        out_bool(&o, "metadata", sv[i].has_attrs);
        out_str(&o, "type", "realtime");
        out_str(&o, "keywords", sv[i].keywords);
        out_str(&o, "group", sv[i].group);
        out_obj_end(&o);
    }
    out_list_end(&o);
    return out_reply(call, &o, 200);
}

int api_open311_service(struct api_call *call)
{
    struct open311_service sv;
    struct open311_attr *at;
    size_t n;
    const char *code;
    int xml, rc;
    if ((rc = split_file(call, &code, &xml)) < 0 ||
        (rc = check_jurisdiction(call, query(call, "jurisdiction_id"))) < 0 ||
        (rc = open311_service_get(call->conn, code, call->req->arena, &sv, &call->err)) < 0 ||
        (rc = open311_attrs(call->conn, sv.category_id, call->req->arena, &at, &n, &call->err)) < 0)
        return rc;
    struct out o;
    out_init(&o, xml, call->req->arena);
    out_obj(&o, "service_definition", 0);
    out_str(&o, "service_code", sv.code);
    out_list(&o, "attributes", 1);
    for (size_t i = 0; i < n; i++) {
        out_obj(&o, "attribute", 0);
        out_bool(&o, "variable", at[i].variable);
        out_str(&o, "code", at[i].code);
        out_str(&o, "datatype", open311_datatype_name(at[i].datatype));
        out_bool(&o, "required", at[i].required);
        out_str(&o, "datatype_description", open311_attr_datatype_description(&at[i]));
        out_int(&o, "order", at[i].order);
        out_str(&o, "description", at[i].description);
        if (at[i].nvalues) {
            out_list(&o, "values", 1);
            for (size_t k = 0; k < at[i].nvalues; k++) {
                out_obj(&o, "value", 0);
                out_str(&o, "key", at[i].values[k].key);
                out_str(&o, "name", at[i].values[k].name);
                out_obj_end(&o);
            }
            out_list_end(&o);
        }
        out_obj_end(&o);
    }
    out_list_end(&o);
    out_obj_end(&o);
    return out_reply(call, &o, 200);
}

/* ---------------------------------------------------------------- reading requests */

static void request_out(struct out *o, const struct open311_request *r, int extensions)
{
    out_obj(o, "request", 0);
    out_str(o, "service_request_id", r->id);
    out_str(o, "status", open311_status_closed(r->state) ? "closed" : "open");
    out_str(o, "status_notes", r->status_notes);
    out_str(o, "service_name", r->service_name);
    out_str(o, "service_code", r->service_code);
    out_str(o, "description", r->description);
    out_str(o, "agency_responsible", r->agency);
    out_str(o, "service_notice", "");
    out_time(o, "requested_datetime", r->requested);
    out_time(o, "updated_datetime", r->updated);
    out_time(o, "expected_datetime", r->expected);
    out_str(o, "address", r->address);
    out_str(o, "address_id", r->address_id);
    out_str(o, "zipcode", "");
    out_coord(o, "lat", r->has_location, r->lat);
    out_coord(o, "long", r->has_location, r->lon);
    out_str(o, "media_url", r->media_url);
    if (extensions) {
        /* The community's "extended attributes" convention: only when asked for. */
        out_obj(o, "extended_attributes", 1);
        out_str(o, "extended_status", open311_status_extended(r->state, r->solved));
        out_obj_end(o);
    }
    out_obj_end(o);
}

static int reply_requests(struct api_call *call, int xml, const struct open311_request *r, size_t n)
{
    const char *ext = query(call, "extensions");
    int extensions = ext && strcmp(ext, "true") == 0;
    struct out o;
    out_init(&o, xml, call->req->arena);
    out_list(&o, "service_requests", 0);
    for (size_t i = 0; i < n; i++)
        request_out(&o, &r[i], extensions);
    out_list_end(&o);
    http_res_header(call->res, "Cache-Control", "no-cache");
    return out_reply(call, &o, 200);
}

static int requests_list(struct api_call *call, int xml)
{
    struct open311_query q = {.limit = OPEN311_LIST_MAX};
    struct open311_request *r;
    size_t n;
    const char *v;
    int rc;
    if ((rc = check_jurisdiction(call, query(call, "jurisdiction_id"))) < 0)
        return rc;
    const char **list;
    if ((v = query(call, "service_request_id"))) {
        q.nids = split_list(call->req->arena, v, &list);
        q.ids = list;
    }
    if (!q.nids) {
        if ((v = query(call, "service_code"))) {
            q.ncodes = split_list(call->req->arena, v, &list);
            q.codes = list;
        }
        if ((rc = date_window(call, &q.start, &q.end)) < 0)
            return rc;
        /* The community's paging extension (Chicago, Boston, Toronto...): page from 1. */
        int64_t page, size;
        if ((rc = query_int(call, "page_size", OPEN311_LIST_MAX, OPEN311_LIST_MAX, &size)) < 0 ||
            (rc = query_int(call, "page", 1, 1000000, &page)) < 0)
            return rc;
        q.limit = (int)size;
        q.offset = (page - 1) * size;
        if ((v = query(call, "status"))) {
            const char **st;
            size_t ns = split_list(call->req->arena, v, &st);
            for (size_t i = 0; i < ns; i++) {
                if (strcmp(st[i], "open") == 0)
                    q.status |= 1;
                else if (strcmp(st[i], "closed") == 0)
                    q.status |= 2;
                else
                    return err_field(&call->err, ERR_BAD_REQUEST, "status",
                                     "status must be open, closed or both, not '%.40s'", st[i]);
            }
        }
    }
    if ((rc = open311_requests_find(call->conn, &q, call->req->arena, &r, &n, &call->err)) < 0)
        return rc;
    return reply_requests(call, xml, r, n);
}

int api_open311_request(struct api_call *call)
{
    struct open311_query q = {.limit = 1, .nids = 1};
    struct open311_request *r;
    const char *id;
    size_t n;
    int xml, rc;
    if ((rc = split_file(call, &id, &xml)) < 0 ||
        (rc = check_jurisdiction(call, query(call, "jurisdiction_id"))) < 0)
        return rc;
    q.ids = &id;
    if ((rc = open311_requests_find(call->conn, &q, call->req->arena, &r, &n, &call->err)) < 0)
        return rc;
    if (!n)
        return err_field(&call->err, ERR_NOT_FOUND, "service_request_id",
                         "service_request_id '%.40s' not found", id);
    return reply_requests(call, xml, r, n);
}

int api_open311_token(struct api_call *call)
{
    const char *token, *id;
    int xml, rc;
    if ((rc = split_file(call, &token, &xml)) < 0 ||
        (rc = check_jurisdiction(call, query(call, "jurisdiction_id"))) < 0 ||
        (rc = open311_token_lookup(call->conn, token, call->req->arena, &id, &call->err)) < 0)
        return rc;
    struct out o;
    out_init(&o, xml, call->req->arena);
    out_list(&o, "service_requests", 0);
    out_obj(&o, "request", 0);
    out_str(&o, "service_request_id", id);
    out_str(&o, "token", token);
    out_obj_end(&o);
    out_list_end(&o);
    return out_reply(call, &o, 200);
}

static int updates_list(struct api_call *call, int xml)
{
    struct open311_update *u;
    int64_t start, end;
    size_t n;
    int rc;
    if ((rc = check_jurisdiction(call, query(call, "jurisdiction_id"))) < 0 ||
        (rc = date_window(call, &start, &end)) < 0 ||
        (rc = open311_updates_find(call->conn, start, end, OPEN311_LIST_MAX, call->req->arena, &u,
                                   &n, &call->err)) < 0)
        return rc;
    struct out o;
    out_init(&o, xml, call->req->arena);
    out_list(&o, "service_request_updates", 0);
    for (size_t i = 0; i < n; i++) {
        out_obj(&o, "request_update", 0);
        out_str(&o, "update_id", arena_printf(call->req->arena, "%lld", (long long)u[i].id));
        out_str(&o, "service_request_id", u[i].request_id);
        out_str(&o, "status", u[i].status);
        out_time(&o, "updated_datetime", u[i].at);
        out_str(&o, "description", u[i].description);
        out_str(&o, "media_url", u[i].media_url);
        out_obj_end(&o);
    }
    out_list_end(&o);
    http_res_header(call->res, "Cache-Control", "no-cache");
    return out_reply(call, &o, 200);
}

int api_open311_get(struct api_call *call)
{
    const char *name;
    int xml, rc;
    if ((rc = split_file(call, &name, &xml)) < 0)
        return rc;
    if (strcmp(name, "services") == 0)
        return services_list(call, xml);
    if (strcmp(name, "requests") == 0)
        return requests_list(call, xml);
    if (strcmp(name, "servicerequestupdates") == 0)
        return updates_list(call, xml);
    return err_set(&call->err, ERR_NOT_FOUND, "no Open311 resource %s", call->req->path);
}

void api_open311_init(void)
{
    /* libxml2 sets up its global state here, in one thread, rather than lazily in whichever
     * request thread writes XML first. */
    xmlInitParser();
}

/* ---------------------------------------------------------------- clients: key, rate, account */

/* A fixed one-minute window per client: enough to stop a runaway client, and cheap. */
static int rate_check(struct api_call *call, const struct open311_client *cl)
{
    int retry_after;
    if (app_rate_take(call->api->app, APP_RATE_OPEN311, cl->id, cl->rate_limit, call->now,
                      &retry_after))
        return 0;
    http_res_header(call->res, "Retry-After", arena_printf(call->req->arena, "%d", retry_after));
    return err_set(&call->err, ERR_THROTTLED,
                   "client '%s' is over its limit of %d requests per minute", cl->name,
                   cl->rate_limit);
}

/* ROUTE_O311_KEY: the client holding the form's api_key, rate-checked; the call then acts as
 * the client's service account, and call->client is the client. */
int api_open311_authenticate(struct api_call *call)
{
    const char *key = http_form_get(&call->form, "api_key");
    struct open311_client *cl = arena_alloc(call->req->arena, sizeof(*cl));
    int rc;
    if (!key || !*key)
        return err_field(&call->err, ERR_FORBIDDEN, "api_key", "api_key is required on POST");
    if ((rc = open311_client_by_key(call->conn, key, call->req->arena, cl, &call->err)) < 0 ||
        (rc = rate_check(call, cl)) < 0)
        return rc;
    struct auth_user *u = arena_alloc(call->req->arena, sizeof(*u));
    if ((rc = auth_user_get(call->conn, cl->user_id, call->req->arena, u, &call->err)) < 0)
        return rc;
    call->user = u;
    call->client = cl;
    call->req->user_id = u->id;
    return 0;
}

/* A form value with a length limit in characters; empty is absent. */
static int form_text(struct api_call *call, const struct http_form *f, const char *name, size_t max,
                     const char **out)
{
    const char *v = http_form_get(f, name);
    *out = v && *v ? v : NULL;
    if (*out && utf8_len(*out) > max)
        return err_field(&call->err, ERR_BAD_REQUEST, name, "%s is at most %zu characters", name,
                         max);
    return 0;
}

/* ---------------------------------------------------------------- POST requests */

struct post_ctx {
    int xml;
    const char *account_id;
    const char *token;
    struct open311_request_new rec;
    struct api_photo *photos; /* the form's files, checked (multipart POSTs) */
    size_t nphotos;
};

/*
 * A multipart POST carries the photo as a file part (any name: "media", "photo1"...). Each is
 * checked now from its header and hash, before the case exists, so a bad one costs nothing;
 * one that is not an image the server takes is left out (logged) rather than refused with the
 * report: a refused POST would lose the citizen's report, and the client would only send it
 * again. Decoding waits for the commit (attach_photos). When the decoders' queue has no room
 * for the photos the POST is refused with 503 before anything is written: the client sends
 * it again, photos included.
 */
static int check_photos(struct api_call *call, struct post_ctx *p)
{
    const struct http_form *f = &call->form;
    int max = call->api->d.conf->attach_max_per_case;
    if (!f->nfiles)
        return 0;
    p->photos = arena_alloc(call->req->arena, f->nfiles * sizeof(*p->photos));
    for (size_t i = 0; i < f->nfiles; i++) {
        struct err e = ERR_INIT;
        struct api_photo *ph = &p->photos[p->nphotos];
        int dup = 0;
        if (!call->api->d.attach || (int)p->nphotos >= max) {
            log_msg(LOG_WARN, "request %s: Open311 file part '%s' left out (%s)",
                    call->req->request_id, f->files[i].name,
                    call->api->d.attach ? "too many files" : "attachments are not enabled");
            continue;
        }
        if (attach_check(call->api->d.attach, f->files[i].data, f->files[i].len, &ph->file, &e) <
            0) {
            log_msg(LOG_WARN, "request %s: Open311 file part '%s' left out: %s",
                    call->req->request_id, f->files[i].name, e.msg);
            continue;
        }
        for (size_t k = 0; k < p->nphotos; k++)
            dup |= strcmp(p->photos[k].file.sha256, ph->file.sha256) == 0;
        if (dup)
            continue; /* the same photo twice is attached once */
        ph->data = f->files[i].data;
        ph->len = f->files[i].len;
        p->nphotos++;
    }
    if (p->nphotos && attach_queue_room(call->api->d.attach) < (int)p->nphotos) {
        http_res_header(call->res, "Retry-After", "3");
        return err_set(&call->err, ERR_UNAVAILABLE,
                       "the server is busy decoding photos; send the request again shortly");
    }
    return 0;
}

/* After the case has committed: the photos are decoded and attached on the attachment
 * store's threads, each in its own transaction as through the attachments endpoint. The case
 * exists and is answered whatever happens there (a failure is logged): the client must not
 * send the report twice. */
static void attach_photos(struct api_call *call, const struct case_created *created,
                          const struct post_ctx *p)
{
    for (size_t i = 0; i < p->nphotos; i++) {
        if (api_attach_later(call, created->id, created->number, &p->photos[i]) < 0) {
            log_msg(LOG_ERROR, "request %s: photo %zu of case %s not attached: %s",
                    call->req->request_id, i + 1, created->number, call->err.msg);
            err_clear(&call->err);
        }
    }
}

static int post_also(struct store_conn *c, const struct case_created *created, void *ctx,
                     struct err *err)
{
    struct post_ctx *p = ctx;
    return open311_request_record(c, created->id, &p->rec, err);
}

static int post_reply(struct api_call *call, const struct case_created *created,
                      const struct case_actor *actor, void *ctx)
{
    struct post_ctx *p = ctx;
    (void)actor;
    attach_photos(call, created, p);
    struct out o;
    out_init(&o, p->xml, call->req->arena);
    out_list(&o, "service_requests", 0);
    out_obj(&o, "request", 0);
    out_str(&o, "service_request_id", created->number);
    out_str(&o, "service_notice",
            arena_printf(call->req->arena,
                         "工单 %s 已受理，查询码 %s（凭工单号和查询码查询办理进度）",
                         created->number, created->check_code));
    if (p->account_id)
        out_str(&o, "account_id", p->account_id);
    out_obj_end(&o);
    out_list_end(&o);
    /* The spec returns an id or a token, never both; the token is in a header for clients
     * that track tokens (GET tokens/{token}). */
    http_res_header(call->res, "Open311-Token", p->token);
    return out_reply(call, &o, 200);
}

/* attribute[CODE] or attribute[CODE][] → CODE (arena); NULL for other names. */
static const char *attribute_code(struct arena *a, const char *name, int *multi)
{
    if (strncmp(name, "attribute[", 10) != 0)
        return NULL;
    const char *s = name + 10, *e = strchr(s, ']');
    if (!e || e == s)
        return NULL;
    *multi = strcmp(e, "][]") == 0;
    if (!*multi && e[1])
        return NULL;
    return arena_strndup(a, s, (size_t)(e - s));
}

static int collect_attributes(struct api_call *call, const struct http_form *f, int64_t category_id,
                              struct open311_request_new *rec)
{
    struct arena *a = call->req->arena;
    struct open311_attr *at;
    size_t nat;
    int rc;
    if ((rc = open311_attrs(call->conn, category_id, a, &at, &nat, &call->err)) < 0)
        return rc;
    const char **codes = arena_alloc(a, (f->n + 1) * sizeof(*codes));
    const char **values = arena_alloc(a, (f->n + 1) * sizeof(*values));
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) {
        int multi = 0;
        const char *code = attribute_code(a, f->fields[i].name, &multi);
        if (!code)
            continue;
        if (strlen(code) > 32 || utf8_len(f->fields[i].value) > 4000)
            return err_field(&call->err, ERR_BAD_REQUEST, f->fields[i].name,
                             "attribute codes are at most 32 characters and values 4000");
        codes[n] = code;
        values[n] = f->fields[i].value;
        n++;
    }
    /* Every defined attribute is checked against its datatype; unknown codes are kept as
     * plain strings (FixMyStreet sends its own, such as fixmystreet_id). */
    const char **mine = arena_alloc(a, (n + 1) * sizeof(*mine));
    for (size_t k = 0; k < nat; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(codes[i], at[k].code) == 0)
                mine[m++] = values[i];
        if ((rc = open311_attr_check(&at[k], mine, m, &call->err)) < 0)
            return rc;
    }
    /* Empty answers are not stored. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (*values[i]) {
            codes[kept] = codes[i];
            values[kept] = values[i];
            kept++;
        }
    rec->attr_codes = codes;
    rec->attr_values = values;
    rec->nattrs = kept;
    return 0;
}

static int check_url(struct api_call *call, const char *name, const char *v)
{
    if (v && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, name, "%s must be an http or https URL",
                         name);
    return 0;
}

static int check_number(struct api_call *call, const char *name, const char *v, double lo,
                        double hi, double *out)
{
    if (num_parse_double(v, out) < 0 || !(*out >= lo && *out <= hi))
        return err_field(&call->err, ERR_BAD_REQUEST, name, "%s must be a number in [%g, %g]", name,
                         lo, hi);
    return 0;
}

/* The case title: the description's first line, cut at 30 characters. */
static const char *title_from(struct arena *a, const char *description, const char *fallback)
{
    if (!description)
        return fallback;
    size_t n = 0, chars = 0;
    while (description[n] && description[n] != '\n' && description[n] != '\r' && chars < 30) {
        unsigned char c = (unsigned char)description[n];
        n += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        chars++;
    }
    /* The description is valid UTF-8, so whole sequences end at n; but never run past it. */
    size_t len = strlen(description);
    if (n > len)
        n = len;
    if (!n)
        return fallback;
    int cut = description[n] && description[n] != '\n' && description[n] != '\r';
    return arena_printf(a, "%.*s%s", (int)n, description, cut ? "…" : "");
}

int api_open311_post_request(struct api_call *call)
{
    struct arena *a = call->req->arena;
    const struct http_form *f = &call->form;
    const struct open311_client *cl = call->client;
    struct open311_service sv;
    struct case_new in = {0};
    struct post_ctx *p = arena_alloc(a, sizeof(*p));
    const char *code, *lat, *lon, *address, *address_id, *description, *email, *first, *last,
        *phone, *media, *device, *account;
    int rc;
    int xml;
    memset(p, 0, sizeof(*p));
    if ((rc = format_of(call, &xml)) < 0 ||
        (rc = check_jurisdiction(call, http_form_get(f, "jurisdiction_id"))) < 0)
        return rc;
    if ((rc = form_text(call, f, "service_code", 32, &code)) < 0)
        return rc;
    if (!code)
        return err_field(&call->err, ERR_BAD_REQUEST, "service_code", "service_code is required");
    if ((rc = open311_service_get(call->conn, code, a, &sv, &call->err)) < 0)
        return rc;
    if ((rc = form_text(call, f, "lat", 32, &lat)) < 0 ||
        (rc = form_text(call, f, "long", 32, &lon)) < 0 ||
        (rc = form_text(call, f, "address_string", CASE_ADDRESS_MAX, &address)) < 0 ||
        (rc = form_text(call, f, "address_id", 100, &address_id)) < 0 ||
        (rc = form_text(call, f, "description", 4000, &description)) < 0 ||
        (rc = form_text(call, f, "email", 200, &email)) < 0 ||
        (rc = form_text(call, f, "first_name", 24, &first)) < 0 ||
        (rc = form_text(call, f, "last_name", 24, &last)) < 0 ||
        (rc = form_text(call, f, "phone", CASE_PHONE_MAX, &phone)) < 0 ||
        (rc = form_text(call, f, "media_url", 1000, &media)) < 0 ||
        (rc = form_text(call, f, "device_id", 100, &device)) < 0 ||
        (rc = form_text(call, f, "account_id", 100, &account)) < 0)
        return rc;
    if (!!lat != !!lon)
        return err_field(&call->err, ERR_BAD_REQUEST, lat ? "long" : "lat",
                         "lat and long come together");
    if (!lat && !address && !address_id)
        return err_field(&call->err, ERR_BAD_REQUEST, "lat",
                         "a location is required: lat and long, address_string or address_id");
    if (lat && ((rc = check_number(call, "lat", lat, CASE_LAT_MIN, CASE_LAT_MAX, &in.lat)) < 0 ||
                (rc = check_number(call, "long", lon, CASE_LON_MIN, CASE_LON_MAX, &in.lon)) < 0))
        return rc;
    if (email && !strchr(email, '@'))
        return err_field(&call->err, ERR_BAD_REQUEST, "email", "email must be an address");
    if ((rc = check_url(call, "media_url", media)) < 0)
        return rc;
    if (phone && (rc = case_phone_check(phone, "phone", &call->err)) < 0)
        return rc;
    if ((rc = collect_attributes(call, f, sv.category_id, &p->rec)) < 0)
        return rc;

    in.channel = CH_OPEN311;
    /* Posting to an Open311 client is reporting to a public service (FixMyStreet shows every
     * report on its site): the report may be published here too (docs/open311.md). */
    in.public_consent = 1;
    in.description = description ? description : sv.name;
    in.title = title_from(a, description, sv.name);
    in.category_id = sv.category_id;
    in.urgency = -1;
    in.has_location = lat != NULL;
    in.address = address;
    if (in.has_location && (rc = api_locate_region(call, in.lat, in.lon, &in.region_id)) < 0)
        return rc;
    if (first || last)
        in.citizen_name = arena_printf(a, "%s%s%s", first ? first : "", first && last ? " " : "",
                                       last ? last : "");
    in.citizen_phone = phone;

    char token[44];
    auth_token_new(token);
    p->xml = xml;
    p->account_id = account;
    p->token = arena_strdup(a, token);
    p->rec.client_id = cl->id;
    p->rec.token = p->token;
    p->rec.service_code = sv.code;
    p->rec.address_id = address_id;
    p->rec.email = email;
    p->rec.device_id = device;
    p->rec.account_id = account;
    p->rec.media_url = media;
    if ((rc = check_photos(call, p)) < 0)
        return rc;
    return api_case_intake_also(call, &in, post_also, p, post_reply, p);
}

/* ---------------------------------------------------------------- POST servicerequestupdates */

/* The comment's audit hook also records which client update it was, in the comment's own
 * transaction: a retried POST finds it and does not comment twice. */
struct update_audit {
    case_audit_fn *inner;
    void *inner_ctx;
    int64_t case_id;
    int64_t client_id;
    const char *external_id;
    const char *status;
    int64_t event_id;
};

static int update_audit_hook(void *ctx, struct store_conn *c, const char *action,
                             const char *target, const char *before, const char *after,
                             struct err *err)
{
    struct update_audit *u = ctx;
    int rc = u->inner(u->inner_ctx, c, action, target, before, after, err);
    if (rc < 0 || u->event_id)
        return rc;
    if ((rc = open311_last_event(c, u->case_id, &u->event_id, err)) < 0)
        return rc;
    return open311_update_record(c, u->client_id, u->external_id, u->event_id, u->status, err);
}

int api_open311_post_update(struct api_call *call)
{
    struct arena *a = call->req->arena;
    const struct http_form *f = &call->form;
    const struct open311_client *cl = call->client;
    struct case_rec rec;
    const char *id, *update_id, *status, *when, *description, *account;
    int64_t t, event_id = 0;
    int xml, rc;
    if ((rc = format_of(call, &xml)) < 0 ||
        (rc = check_jurisdiction(call, http_form_get(f, "jurisdiction_id"))) < 0)
        return rc;
    if ((rc = form_text(call, f, "service_request_id", 40, &id)) < 0 ||
        (rc = form_text(call, f, "update_id", 100, &update_id)) < 0 ||
        (rc = form_text(call, f, "status", 40, &status)) < 0 ||
        (rc = form_text(call, f, "updated_datetime", 40, &when)) < 0 ||
        (rc = form_text(call, f, "description", CASE_NOTE_MAX, &description)) < 0 ||
        (rc = form_text(call, f, "account_id", 100, &account)) < 0)
        return rc;
    static const char *const required[] = {"service_request_id", "update_id", "status",
                                           "updated_datetime", "description"};
    const char *given[] = {id, update_id, status, when, description};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!given[i])
            return err_field(&call->err, ERR_BAD_REQUEST, required[i], "%s is required",
                             required[i]);
    if (!open311_status_valid(status))
        return err_field(&call->err, ERR_BAD_REQUEST, "status",
                         "status '%.40s' is not an Open311 (FixMyStreet) status", status);
    if (clock_parse_rfc3339(when, &t) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "updated_datetime",
                         "updated_datetime must be a W3C datetime");
    rc = case_get_by_number(call->conn, id, a, &rec, &call->err);
    if (rc == ERR_NOT_FOUND)
        return err_field(&call->err, ERR_NOT_FOUND, "service_request_id",
                         "service_request_id '%.40s' not found", id);
    if (rc < 0 ||
        (rc = open311_update_seen(call->conn, cl->id, update_id, &event_id, &call->err)) < 0)
        return rc;
    if (rc == 0) {
        struct case_env env;
        struct case_actor actor;
        struct case_config cfg;
        struct case_action_in act = {
            .action = CA_COMMENT,
            .version = rec.version,
            .note = description,
            /* The citizen's update, posted to a public service like the report. */
            .public_note = 1};
        if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0)
            return rc;
        struct update_audit *ua = arena_alloc(a, sizeof(*ua));
        *ua = (struct update_audit){env.audit, env.audit_ctx, rec.id, cl->id, update_id, status, 0};
        env.audit = update_audit_hook;
        env.audit_ctx = ua;
        if ((rc = case_act(&env, rec.id, &act, &call->err)) < 0)
            return rc;
        event_id = ua->event_id;
    }
    struct out o;
    out_init(&o, xml, a);
    out_list(&o, "service_request_updates", 0);
    out_obj(&o, "request_update", 0);
    out_str(&o, "update_id", arena_printf(a, "%lld", (long long)event_id));
    if (account)
        out_str(&o, "account_id", account);
    out_obj_end(&o);
    out_list_end(&o);
    return out_reply(call, &o, 200);
}

/* ---------------------------------------------------------------- admin: clients */

static void client_json(struct jw *w, const struct open311_client *c)
{
    jw_obj(w);
    jw_kint(w, "id", c->id);
    jw_kstr(w, "name", c->name);
    jw_kint(w, "user_id", c->user_id);
    jw_kstr(w, "user", c->user_name);
    jw_kint(w, "rate_limit", c->rate_limit);
    jw_ktime(w, "created_at", c->created_at);
    jw_ktime(w, "revoked_at", c->revoked_at);
    jw_kbool(w, "active", c->revoked_at == 0);
}

int api_open311_client_list(struct api_call *call)
{
    struct open311_client *v;
    size_t n;
    int rc;
    if ((rc = open311_client_list(call->conn, call->req->arena, &v, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        client_json(&w, &v[i]);
        jw_obj_end(&w);
    }
    api_list_end_page(call, &w, NULL, n);
    return api_reply(call, 200, &w);
}

static const struct json_field client_fields[] = {
    {"name", JT_STRING, JF_REQUIRED, 2, 48, NULL},
    {"rate_limit", JT_INT, JF_NULLABLE, 1, OPEN311_RATE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_open311_client_create(struct api_call *call)
{
    struct open311_client cl;
    char key[44];
    int64_t id;
    int rc;
    if ((rc = json_check(call->body, client_fields, &call->err)) < 0)
        return rc;
    const char *name = json_get_str(call->body, "name");
    int rate = (int)json_get_int(call->body, "rate_limit", OPEN311_RATE_DEFAULT);
    auth_token_new(key);
    if ((rc = api_begin(call)) < 0)
        return rc;
    if ((rc = open311_client_create(call->conn, name, rate, key, call->now, &id, &call->err)) < 0)
        return rc;
    char *target = arena_printf(call->req->arena, "open311_client/%lld", (long long)id);
    if ((rc = api_commit(call, "open311.client.create", target, NULL,
                         arena_printf(call->req->arena, "{\"rate_limit\":%d}", rate))) < 0 ||
        (rc = open311_client_get(call->conn, id, call->req->arena, &cl, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    client_json(&w, &cl);
    /* Shown once: only its hash is stored. */
    jw_kstr(&w, "api_key", key);
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "no-store");
    return api_reply(call, 201, &w);
}

int api_open311_client_revoke(struct api_call *call)
{
    struct open311_client cl;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0)
        return rc;
    if ((rc = open311_client_revoke(call->conn, id, call->now, &call->err)) < 0)
        return rc;
    if ((rc = api_commit(call, "open311.client.revoke",
                         arena_printf(call->req->arena, "open311_client/%lld", (long long)id), NULL,
                         NULL)) < 0 ||
        (rc = open311_client_get(call->conn, id, call->req->arena, &cl, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    client_json(&w, &cl);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- admin: category attributes */

static int reply_attrs(struct api_call *call, int64_t category_id)
{
    struct open311_attr *at;
    size_t n;
    int rc;
    if ((rc = open311_attrs(call->conn, category_id, call->req->arena, &at, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kstr(&w, "code", at[i].code);
        jw_kint(&w, "order", at[i].order);
        jw_kbool(&w, "variable", at[i].variable);
        jw_kstr(&w, "datatype", open311_datatype_name(at[i].datatype));
        jw_kbool(&w, "required", at[i].required);
        jw_kstr(&w, "description", at[i].description);
        jw_kstr(&w, "datatype_description", at[i].datatype_description);
        jw_key(&w, "values");
        jw_arr(&w);
        for (size_t k = 0; k < at[i].nvalues; k++) {
            jw_obj(&w);
            jw_kstr(&w, "key", at[i].values[k].key);
            jw_kstr(&w, "name", at[i].values[k].name);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)n);
    jw_kstr(&w, "next_cursor", NULL);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static int category_exists(struct api_call *call, int64_t id)
{
    struct org_category k;
    return org_category_get(call->conn, id, call->req->arena, &k, &call->err);
}

int api_open311_attrs_get(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = category_exists(call, id)) < 0)
        return rc;
    return reply_attrs(call, id);
}

static const struct json_field value_fields[] = {
    {"key", JT_STRING, JF_REQUIRED, 1, 64, NULL},
    {"name", JT_STRING, JF_REQUIRED, 1, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field attr_fields[] = {
    {"code", JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"order", JT_INT, JF_REQUIRED, 1, 1000, NULL},
    {"variable", JT_BOOL, 0, 0, 0, NULL},
    {"datatype", JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"required", JT_BOOL, 0, 0, 0, NULL},
    {"description", JT_STRING, JF_REQUIRED, 1, 500, NULL},
    {"datatype_description", JT_STRING, JF_NULLABLE, 0, 200, NULL},
    {"values", JT_ARRAY_OBJECT, JF_NULLABLE, 0, 100, value_fields},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field attrs_fields[] = {
    {"attributes", JT_ARRAY_OBJECT, JF_REQUIRED, 0, 50, attr_fields},
    {NULL, 0, 0, 0, 0, NULL},
};

/* PUT replaces the whole definition: {"attributes":[{code, order, datatype, description,
 * required?, variable?, datatype_description?, values?:[{key,name}]}]}. */
int api_open311_attrs_put(struct api_call *call)
{
    struct arena *a = call->req->arena;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = category_exists(call, id)) < 0 ||
        (rc = json_check(call->body, attrs_fields, &call->err)) < 0)
        return rc;
    const json_t *list = json_get(call->body, "attributes");
    int n = json_array_size(list);
    struct open311_attr *at = arena_alloc(a, (size_t)(n ? n : 1) * sizeof(*at));
    for (int i = 0; i < n; i++) {
        const json_t *x = json_array_item(list, i);
        int t = open311_datatype_from_name(json_get_str(x, "datatype"));
        if (t < 0)
            return err_field(
                &call->err, ERR_BAD_REQUEST, "datatype",
                "datatype must be string, number, datetime, text, singlevaluelist or multivaluelist");
        at[i].code = arena_strdup(a, json_get_str(x, "code"));
        at[i].order = (int)json_get_int(x, "order", 0);
        at[i].variable = json_get_bool(x, "variable", 1);
        at[i].datatype = (enum open311_datatype)t;
        at[i].required = json_get_bool(x, "required", 0);
        at[i].description = arena_strdup(a, json_get_str(x, "description"));
        const char *dd = json_get_str(x, "datatype_description");
        at[i].datatype_description = arena_strdup(a, dd ? dd : "");
        const json_t *vals = json_get(x, "values");
        int nv = json_array_size(vals);
        struct open311_value *v = arena_alloc(a, (size_t)(nv ? nv : 1) * sizeof(*v));
        for (int k = 0; k < nv; k++) {
            v[k].key = arena_strdup(a, json_get_str(json_array_item(vals, k), "key"));
            v[k].name = arena_strdup(a, json_get_str(json_array_item(vals, k), "name"));
        }
        if (vals) {
            at[i].values = v;
            at[i].nvalues = (size_t)nv;
        }
    }
    if ((rc = api_begin(call)) < 0)
        return rc;
    if ((rc = open311_attrs_set(call->conn, id, at, (size_t)n, call->now, &call->err)) < 0 ||
        (rc = api_commit(call, "category.attributes.set",
                         arena_printf(a, "category/%lld", (long long)id), NULL,
                         arena_printf(a, "{\"attributes\":%d}", n))) < 0)
        return rc;
    api_org_changed(call);
    return reply_attrs(call, id);
}

/* ---------------------------------------------------------------- staff: a case's Open311 origin */

/* GET /api/v1/cases/{id}/open311 (route scope: the case): what the client posted beyond the
 * case itself, so the department sees the answers to the service's questions. */
int api_open311_case(struct api_call *call)
{
    struct open311_origin o;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 ||
        (rc = open311_origin_get(call->conn, id, call->req->arena, &o, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "client", o.client);
    jw_kstr(&w, "service_code", o.service_code);
    jw_kstr(&w, "address_id", o.address_id);
    jw_kstr(&w, "device_id", o.device_id);
    jw_kstr(&w, "account_id", o.account_id);
    jw_kstr(&w, "media_url", o.media_url);
    jw_key(&w, "attributes");
    jw_arr(&w);
    for (size_t i = 0; i < o.nattrs; i++) {
        jw_obj(&w);
        jw_kstr(&w, "code", o.attr_codes[i]);
        jw_kstr(&w, "value", o.attr_values[i]);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
