/*
 * Open311 records in the database: clients, services and attributes, requests, updates.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "open311/open311.h"
#include "store/store.h"

static char *col_str(struct arena *a, struct store_stmt *s, int col)
{
    return arena_strdup(a, store_col_text(s, col));
}

/* Grow an arena array by doubling; the old block stays in the arena. */
static void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = arena_alloc(a, mem_size_mul(ncap, size));
    if (n)
        memcpy(nv, v, mem_size_mul(n, size));
    *cap = ncap;
    return nv;
}

/* A statement run for its effect: 0 or a negative ERR_*. */
#define run(c, sql, args, err) (store_run((c), (sql), (args), (err)) < 0 ? (err)->code : 0)

/* ---------------------------------------------------------------- clients */

static int check_client_name(const char *name, struct err *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 2 || n > 48)
        return err_field(err, ERR_BAD_REQUEST, "name",
                         "client name must be 2 to 48 characters long");
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return err_field(err, ERR_BAD_REQUEST, "name",
                             "client name may only contain letters, digits, '_', '.' and '-'");
    return 0;
}

int open311_client_create(struct store_conn *c, const char *name, int rate_limit, const char *key,
                          int64_t now, int64_t *id, struct err *err)
{
    char user[64], display[96], password[44], hash[65];
    int64_t user_id, taken = 0;
    int rc;
    if ((rc = check_client_name(name, err)) < 0)
        return rc;
    if (rate_limit < 1 || rate_limit > OPEN311_RATE_MAX)
        return err_field(err, ERR_BAD_REQUEST, "rate_limit",
                         "rate_limit must be 1 to %d requests per minute", OPEN311_RATE_MAX);
    if (!key || strlen(key) < 16)
        return err_field(err, ERR_BAD_REQUEST, "key", "an API key has at least 16 characters");
    if ((rc = store_one_i64(c, "SELECT count(*) FROM open311_clients WHERE name = ?",
                            STORE_ARGS(store_text(name)), &taken, err)) < 0)
        return rc;
    if (taken)
        return err_field(err, ERR_CONFLICT, "name", "an Open311 client named '%s' exists already",
                         name);
    snprintf(user, sizeof(user), "open311.%s", name);
    /* Read by people (timelines, the users list): the client is named as it was registered. */
    snprintf(display, sizeof(display), "Open311 接入系统 %s", name);
    /* The account acts only through the key: its password is random and never shown. */
    auth_token_new(password);
    struct auth_user_input in = {
        .name = user, .display_name = display, .password = password, .roles = ROLE_CITIZEN};
    if ((rc = auth_user_create(c, &in, now, &user_id, err)) < 0)
        return rc;
    auth_token_hash(key, hash);
    rc = store_one_i64(
        c,
        "INSERT INTO open311_clients(name, key_hash, user_id, rate_limit, created_at) VALUES (?, ?, ?, ?, ?)"
        " RETURNING id",
        STORE_ARGS(store_text(name), store_text(hash), store_i64(user_id), store_i64(rate_limit),
                   store_i64(now)),
        id, err);
    return rc < 0 ? rc : 0;
}

#define CLIENT_COLS                                                                                \
    "k.id, k.name, k.user_id, u.name, k.rate_limit, k.created_at, coalesce(k.revoked_at, 0)"
#define CLIENT_FROM " FROM open311_clients k JOIN users u ON u.id = k.user_id"

static void client_row(struct store_stmt *s, struct arena *a, struct open311_client *out)
{
    out->id = store_col_int(s, 0);
    out->name = col_str(a, s, 1);
    out->user_id = store_col_int(s, 2);
    out->user_name = col_str(a, s, 3);
    out->rate_limit = (int)store_col_int(s, 4);
    out->created_at = store_col_int(s, 5);
    out->revoked_at = store_col_int(s, 6);
}

static int client_one(struct store_conn *c, struct arena *a, struct open311_client *out,
                      struct err *err, const char *sql, struct store_arg arg)
{
    struct store_stmt *s;
    int rc = store_prepare(c, sql, STORE_ARGS(arg), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1)
        client_row(s, a, out);
    store_done(s);
    return rc < 0 ? rc : rc == 1 ? 0 : ERR_NOT_FOUND;
}

int open311_client_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct open311_client *out, struct err *err)
{
    int rc = client_one(c, a, out, err, "SELECT " CLIENT_COLS CLIENT_FROM " WHERE k.id = ?",
                        store_i64(id));
    if (rc == ERR_NOT_FOUND)
        return err_set(err, ERR_NOT_FOUND, "no Open311 client %lld", (long long)id);
    return rc;
}

int open311_client_by_key(struct store_conn *c, const char *key, struct arena *a,
                          struct open311_client *out, struct err *err)
{
    char hash[65];
    auth_token_hash(key, hash);
    int rc = client_one(c, a, out, err,
                        "SELECT " CLIENT_COLS CLIENT_FROM " WHERE k.key_hash = ? AND u.active = 1",
                        store_text(hash));
    if (rc == ERR_NOT_FOUND || (rc == 0 && out->revoked_at))
        return err_field(err, ERR_FORBIDDEN, "api_key", "invalid api_key");
    return rc;
}

int open311_client_list(struct store_conn *c, struct arena *a, struct open311_client **out,
                        size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = store_prepare(c, "SELECT " CLIENT_COLS CLIENT_FROM " ORDER BY k.id", STORE_NO_ARGS,
                            &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        *out = grow(a, *out, *n, &cap, sizeof(**out));
        client_row(s, a, &(*out)[(*n)++]);
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

int open311_client_revoke(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    int64_t exists = 0;
    int rc;
    if ((rc = store_one_i64(c, "SELECT count(*) FROM open311_clients WHERE id = ?",
                            STORE_ARGS(store_i64(id)), &exists, err)) < 0)
        return rc;
    if (!exists)
        return err_set(err, ERR_NOT_FOUND, "no Open311 client %lld", (long long)id);
    int64_t ch = store_run(
        c, "UPDATE open311_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        STORE_ARGS(store_i64(now), store_i64(id)), err);
    return ch < 0 ? (int)ch : 0;
}

/* ---------------------------------------------------------------- services */

/* Level 3 categories have their parent and grandparent; shorter chains leave them NULL. */
#define SERVICE_SQL                                                                                \
    "SELECT c.id, c.code, c.name, c.keywords, coalesce(p1.name, ''), coalesce(p2.name, ''),"       \
    " EXISTS (SELECT 1 FROM category_attributes a WHERE a.category_id = c.id)"                     \
    " FROM categories c LEFT JOIN categories p2 ON p2.id = c.parent_id"                            \
    " LEFT JOIN categories p1 ON p1.id = p2.parent_id"                                             \
    " WHERE c.active = 1 AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id AND k.active = 1)"

static void service_row(struct store_stmt *s, struct arena *a, struct open311_service *o)
{
    const char *p1 = store_col_text(s, 4), *p2 = store_col_text(s, 5);
    o->category_id = store_col_int(s, 0);
    o->code = col_str(a, s, 1);
    o->name = col_str(a, s, 2);
    /* Keywords are stored space-separated; Open311 lists them with commas. */
    char *kw = col_str(a, s, 3);
    for (char *p = kw; *p; p++)
        if (*p == ' ')
            *p = ',';
    o->keywords = kw;
    o->group = *p1 ? arena_strdup(a, p1) : *p2 ? arena_strdup(a, p2) : o->name;
    if (*p1)
        o->description = arena_printf(a, "%s / %s / %s", p1, p2, o->name);
    else if (*p2)
        o->description = arena_printf(a, "%s / %s", p2, o->name);
    else
        o->description = o->name;
    o->has_attrs = (int)store_col_int(s, 6);
}

int open311_services(struct store_conn *c, struct arena *a, struct open311_service **out, size_t *n,
                     struct err *err)
{
    struct store_stmt *s;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = store_prepare(c, SERVICE_SQL " ORDER BY c.code", STORE_NO_ARGS, &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        *out = grow(a, *out, *n, &cap, sizeof(**out));
        service_row(s, a, &(*out)[(*n)++]);
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

int open311_service_get(struct store_conn *c, const char *code, struct arena *a,
                        struct open311_service *out, struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(c, SERVICE_SQL " AND c.code = ?", STORE_ARGS(store_text(code)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1)
        service_row(s, a, out);
    store_done(s);
    if (rc == 0)
        return err_field(err, ERR_NOT_FOUND, "service_code", "service_code '%.40s' not found",
                         code);
    return rc < 0 ? rc : 0;
}

int open311_attrs(struct store_conn *c, int64_t category_id, struct arena *a,
                  struct open311_attr **out, size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 0;
    int64_t *ids = NULL;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = store_prepare(
             c,
             "SELECT id, code, ord, variable, datatype, required, description, datatype_description"
             " FROM category_attributes WHERE category_id = ? ORDER BY ord",
             STORE_ARGS(store_i64(category_id)), &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        size_t idcap = cap;
        *out = grow(a, *out, *n, &cap, sizeof(**out));
        ids = grow(a, ids, *n, &idcap, sizeof(*ids));
        struct open311_attr *x = &(*out)[*n];
        memset(x, 0, sizeof(*x));
        ids[*n] = store_col_int(s, 0);
        x->code = col_str(a, s, 1);
        x->order = (int)store_col_int(s, 2);
        x->variable = (int)store_col_int(s, 3);
        int t = open311_datatype_from_name(store_col_text(s, 4));
        x->datatype = t < 0 ? O311_STRING : (enum open311_datatype)t;
        x->required = (int)store_col_int(s, 5);
        x->description = col_str(a, s, 6);
        x->datatype_description = col_str(a, s, 7);
        (*n)++;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < *n; i++) {
        struct open311_value *v = NULL;
        size_t vcap = 0, nv = 0;
        if ((rc = store_prepare(
                 c,
                 "SELECT key, name FROM category_attribute_values WHERE attribute_id = ? ORDER BY ord",
                 STORE_ARGS(store_i64(ids[i])), &s, err)) < 0)
            return rc;
        while ((rc = store_step(s, err)) == 1) {
            v = grow(a, v, nv, &vcap, sizeof(*v));
            v[nv].key = col_str(a, s, 0);
            v[nv].name = col_str(a, s, 1);
            nv++;
        }
        store_done(s);
        if (rc < 0)
            return rc;
        (*out)[i].values = v;
        (*out)[i].nvalues = nv;
    }
    return 0;
}

static int check_code(const char *code, struct err *err)
{
    size_t n = code ? strlen(code) : 0;
    if (n < 1 || n > 32)
        return err_field(err, ERR_BAD_REQUEST, "code", "an attribute code has 1 to 32 characters");
    for (const char *p = code; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return err_field(err, ERR_BAD_REQUEST, "code",
                             "attribute code '%.40s' may only contain letters, digits, '_' and '-'",
                             code);
    return 0;
}

int open311_attrs_set(struct store_conn *c, int64_t category_id, const struct open311_attr *attrs,
                      size_t n, int64_t now, struct err *err)
{
    int rc;
    for (size_t i = 0; i < n; i++) {
        const struct open311_attr *x = &attrs[i];
        int list = x->datatype == O311_SINGLEVALUELIST || x->datatype == O311_MULTIVALUELIST;
        if ((rc = check_code(x->code, err)) < 0)
            return rc;
        if ((unsigned)x->datatype >= O311_DATATYPE_COUNT)
            return err_field(err, ERR_BAD_REQUEST, "datatype", "unknown datatype");
        if (x->order < 1)
            return err_field(err, ERR_BAD_REQUEST, "order", "attribute order starts at 1");
        if (!x->description || !*x->description || utf8_len(x->description) > 500)
            return err_field(err, ERR_BAD_REQUEST, "description",
                             "attribute '%s' needs a description of 1 to 500 characters", x->code);
        if (list != (x->nvalues > 0))
            return err_field(err, ERR_BAD_REQUEST, "values",
                             "attribute '%s': list datatypes, and only they, have values", x->code);
        for (size_t k = 0; k < i; k++)
            if (strcmp(attrs[k].code, x->code) == 0 || attrs[k].order == x->order)
                return err_field(err, ERR_BAD_REQUEST, "code",
                                 "attribute codes and orders are unique within a service ('%s')",
                                 x->code);
    }
    if ((rc = run(c,
                  "DELETE FROM category_attribute_values WHERE attribute_id IN"
                  " (SELECT id FROM category_attributes WHERE category_id = ?)",
                  STORE_ARGS(store_i64(category_id)), err)) < 0 ||
        (rc = run(c, "DELETE FROM category_attributes WHERE category_id = ?",
                  STORE_ARGS(store_i64(category_id)), err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct open311_attr *x = &attrs[i];
        int64_t id;
        if ((rc = store_one_i64(
                 c,
                 "INSERT INTO category_attributes(category_id, code, ord, variable, datatype, required,"
                 " description, datatype_description) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                 STORE_ARGS(store_i64(category_id), store_text(x->code), store_i64(x->order),
                            store_i64(x->variable != 0),
                            store_text(open311_datatype_name(x->datatype)),
                            store_i64(x->required != 0), store_text(x->description),
                            store_text(x->datatype_description ? x->datatype_description : "")),
                 &id, err)) < 0)
            return rc;
        for (size_t k = 0; k < x->nvalues; k++)
            if ((rc = run(
                     c,
                     "INSERT INTO category_attribute_values(attribute_id, ord, key, name) VALUES (?, ?, ?, ?)",
                     STORE_ARGS(store_i64(id), store_i64((int)k + 1), store_text(x->values[k].key),
                                store_text(x->values[k].name)),
                     err)) < 0)
                return rc == ERR_CONFLICT
                           ? err_field(err, ERR_BAD_REQUEST, "values",
                                       "attribute '%s' repeats key '%s'", x->code, x->values[k].key)
                           : rc;
    }
    /* The definition is part of the service: clients refresh on the category's changeset. */
    return run(c, "UPDATE categories SET updated_at = max(updated_at, ?) WHERE id = ?",
               STORE_ARGS(store_i64(now), store_i64(category_id)), err);
}

int open311_changeset(struct store_conn *c, int64_t *out, struct err *err)
{
    *out = 0;
    int rc = store_one_i64(c, "SELECT coalesce(max(updated_at), 0) FROM categories", STORE_NO_ARGS,
                           out, err);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- requests */

int open311_request_record(struct store_conn *c, int64_t case_id,
                           const struct open311_request_new *in, struct err *err)
{
#define S(x) ((x) ? (x) : "")
    int rc = run(
        c,
        "INSERT INTO open311_requests(case_id, client_id, token, service_code, address_id, email, device_id,"
        " account_id, media_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(store_i64(case_id), store_i64(in->client_id), store_text(in->token),
                   store_text(in->service_code), store_text(S(in->address_id)),
                   store_text(S(in->email)), store_text(S(in->device_id)),
                   store_text(S(in->account_id)), store_text(S(in->media_url))),
        err);
#undef S
    for (size_t i = 0; rc == 0 && i < in->nattrs; i++)
        rc = run(c, "INSERT INTO open311_request_attributes(case_id, code, value) VALUES (?, ?, ?)",
                 STORE_ARGS(store_i64(case_id), store_text(in->attr_codes[i]),
                            store_text(in->attr_values[i])),
                 err);
    return rc;
}

/* ---------------------------------------------------------------- what is published */

/*
 * The one rule for what leaves through Open311 (docs/open311.md, "What is published"); the
 * request list, a single request and the updates feed all go through it:
 * - a case only when the citizen agreed (PUBLIC_CASE: cases.public_consent, asked at intake;
 *   a POST through an Open311 client is a report to a public service and agrees);
 * - of its timeline, each public step as a fixed text, and as written only the notes meant
 *   for the public (PUBLIC_NOTE): the reply's result, a direct answer, and comments marked
 *   public. Instructions, reasons, evaluations and other comments stay internal;
 * - never an anonymous report's position: no address, coordinates snapped to a grid
 *   (open311_coarsen);
 * - every published text through open311_scrub.
 */
#define PUBLIC_CASE "c.public_consent = 1"
#define PUBLIC_NOTE                                                                                             \
    "(e.note <> '' AND (e.action IN ('answer', 'accept') OR (e.action = 'reply' AND e.to_state <> 'reviewing')" \
    " OR (e.action = 'comment' AND e.public_note = 1)))"

/* An event's published text: its note when PUBLIC_NOTE holds, else the step's fixed text. */
static const char *fixed_description(const char *action);
static const char *published_text(struct arena *a, const char *action, const char *note,
                                  int public_note)
{
    return public_note ? open311_scrub(a, note) : fixed_description(action);
}

/* A case's published fields from its stored ones (the row was selected under PUBLIC_CASE). */
static void publish_request(struct arena *a, struct open311_request *o, int anonymous)
{
    o->description = open311_scrub(a, o->description);
    o->status_notes = open311_scrub(a, o->status_notes);
    if (anonymous) {
        o->address = "";
        o->address_id = "";
        if (o->has_location)
            open311_coarsen(&o->lat, &o->lon);
    } else {
        o->address = open311_scrub(a, o->address);
    }
}

#define REQUEST_SQL                                                                                                   \
    "SELECT c.id, c.number, c.state, coalesce(c.reply_solved, -1),"                                                   \
    " coalesce((SELECT e.note FROM case_events e WHERE e.case_id = c.id AND " PUBLIC_NOTE                             \
    " ORDER BY e.id DESC LIMIT 1), ''),"                                                                              \
    " coalesce(k.code, ''), coalesce(k.name, ''), c.description, coalesce(d.name, ''), c.created_at, c.updated_at,"   \
    " coalesce(c.resolve_deadline, 0), c.address, coalesce(r.address_id, ''), c.lat IS NOT NULL, coalesce(c.lat, 0)," \
    " coalesce(c.lon, 0), coalesce(r.media_url, ''), c.anonymous"                                                     \
    " FROM cases c LEFT JOIN categories k ON k.id = c.category_id"                                                    \
    " LEFT JOIN departments d ON d.id = c.lead_department_id"                                                         \
    " LEFT JOIN open311_requests r ON r.case_id = c.id"

static void request_row(struct store_stmt *s, struct arena *a, struct open311_request *o)
{
    o->case_id = store_col_int(s, 0);
    o->id = col_str(a, s, 1);
    o->state = col_str(a, s, 2);
    o->solved = (int)store_col_int(s, 3);
    o->status_notes = col_str(a, s, 4);
    o->service_code = col_str(a, s, 5);
    o->service_name = col_str(a, s, 6);
    o->description = col_str(a, s, 7);
    o->agency = col_str(a, s, 8);
    o->requested = store_col_int(s, 9);
    o->updated = store_col_int(s, 10);
    o->expected = store_col_int(s, 11);
    o->address = col_str(a, s, 12);
    o->address_id = col_str(a, s, 13);
    o->has_location = (int)store_col_int(s, 14);
    o->lat = store_col_real(s, 15);
    o->lon = store_col_real(s, 16);
    o->media_url = col_str(a, s, 17);
    publish_request(a, o, store_col_int(s, 18) != 0);
}

static const char *const open_states =
    "('new', 'dispatched', 'returned', 'processing', 'hanging', 'rectifying', 'reviewing')";

/*
 * "AND col IN (?, ?, ...)" with the values bound. The list is padded with NULLs (which match
 * nothing) to a power of two, so the prepared-statement cache, keyed by SQL text, holds a few
 * shapes instead of one per list length. The fragments are fixed text; values are only bound.
 */
static char *in_list(struct arena *a, char *sql, const char *col, const char *const *v, size_t n,
                     struct store_arg *args, size_t *nargs)
{
    size_t slots = 1;
    while (slots < n)
        slots *= 2;
    sql = arena_printf(a, "%s AND %s IN (?", sql, col);
    for (size_t i = 1; i < slots; i++)
        sql = arena_printf(a, "%s, ?", sql);
    sql = arena_printf(a, "%s)", sql);
    for (size_t i = 0; i < slots; i++)
        args[(*nargs)++] = i < n ? store_text(v[i]) : store_null();
    return sql;
}

int open311_requests_find(struct store_conn *c, const struct open311_query *q, struct arena *a,
                          struct open311_request **out, size_t *n, struct err *err)
{
    _Static_assert(OPEN311_LIST_MAX <= 1024, "the argument array holds a padded list");
    struct store_arg args[1024 + 8];
    size_t nargs = 0, cap = 0;
    struct store_stmt *s;
    int rc;
    char *sql = arena_printf(a, "%s WHERE " PUBLIC_CASE, REQUEST_SQL);
    *out = NULL;
    *n = 0;
    if (q->nids > OPEN311_LIST_MAX || q->ncodes > OPEN311_LIST_MAX)
        return err_field(err, ERR_BAD_REQUEST, q->nids ? "service_request_id" : "service_code",
                         "at most %d values", OPEN311_LIST_MAX);
    if (q->nids) {
        sql = in_list(a, sql, "c.number", q->ids, q->nids, args, &nargs);
    } else {
        if (q->ncodes)
            sql = in_list(a, sql, "k.code", q->codes, q->ncodes, args, &nargs);
        if (q->start) {
            sql = arena_printf(a, "%s AND c.created_at >= ?", sql);
            args[nargs++] = store_i64(q->start);
        }
        if (q->end) {
            sql = arena_printf(a, "%s AND c.created_at <= ?", sql);
            args[nargs++] = store_i64(q->end);
        }
        if (q->status == 1)
            sql = arena_printf(a, "%s AND c.state IN %s", sql, open_states);
        else if (q->status == 2)
            sql = arena_printf(a, "%s AND c.state NOT IN %s", sql, open_states);
    }
    sql = arena_printf(a, "%s ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?", sql);
    args[nargs++] =
        store_i64(q->limit > 0 && q->limit <= OPEN311_LIST_MAX ? q->limit : OPEN311_LIST_MAX);
    args[nargs++] = store_i64(q->offset > 0 ? q->offset : 0);
    if ((rc = store_prepare(c, sql, (struct store_args){args, nargs}, &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        *out = grow(a, *out, *n, &cap, sizeof(**out));
        request_row(s, a, &(*out)[(*n)++]);
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

int open311_token_lookup(struct store_conn *c, const char *token, struct arena *a, const char **id,
                         struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT c.number FROM open311_requests r JOIN cases c ON c.id = r.case_id WHERE r.token = ?",
        STORE_ARGS(store_text(token)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1)
        *id = col_str(a, s, 0);
    store_done(s);
    if (rc == 0)
        return err_field(err, ERR_NOT_FOUND, "token", "token not found");
    return rc < 0 ? rc : 0;
}

int open311_origin_get(struct store_conn *c, int64_t case_id, struct arena *a,
                       struct open311_origin *out, struct err *err)
{
    struct store_stmt *s;
    const char **codes = NULL, **values = NULL;
    size_t cap = 0, vcap = 0, n = 0;
    int rc = store_prepare(
        c,
        "SELECT k.name, r.service_code, r.address_id, r.device_id, r.account_id, r.media_url"
        " FROM open311_requests r JOIN open311_clients k ON k.id = r.client_id WHERE r.case_id = ?",
        STORE_ARGS(store_i64(case_id)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1) {
        out->client = col_str(a, s, 0);
        out->service_code = col_str(a, s, 1);
        out->address_id = col_str(a, s, 2);
        out->device_id = col_str(a, s, 3);
        out->account_id = col_str(a, s, 4);
        out->media_url = col_str(a, s, 5);
    }
    store_done(s);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "case %lld did not come through Open311",
                       (long long)case_id);
    if (rc < 0)
        return rc;
    /* rowid order is insertion order: the order the client posted its answers in. */
    if ((rc = store_prepare(
             c,
             "SELECT code, value FROM open311_request_attributes WHERE case_id = ? ORDER BY rowid",
             STORE_ARGS(store_i64(case_id)), &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        codes = grow(a, codes, n, &cap, sizeof(*codes));
        values = grow(a, values, n, &vcap, sizeof(*values));
        codes[n] = col_str(a, s, 0);
        values[n] = col_str(a, s, 1);
        n++;
    }
    store_done(s);
    out->attr_codes = codes;
    out->attr_values = values;
    out->nattrs = n;
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- updates */

/* The events a citizen follows; the rest (urging, extensions, escalation, comments not marked
 * public) are internal. A
 * department's 挂账 request is internal too (a supervisor may deny it): the case is announced
 * as 挂账 by the approval that suspends it, the approve event whose state becomes hanging. */
#define UPDATE_ACTIONS                                                                             \
    "('create', 'dispatch', 'redispatch', 'reject_return', 'sign', 'return', 'resume', 'accept',"  \
    " 'answer', 'evaluate', 'rectify', 'merge', 'close', 'cancel', 'reopen', 'follow_reply')"
/* A reply under 办结审核 (state reviewing) is published when accepted, by its accept event. */
#define UPDATE_WHERE                                                                               \
    "(e.action IN " UPDATE_ACTIONS " OR (e.action = 'reply' AND e.to_state <> 'reviewing') OR"     \
    " (e.action = 'approve' AND e.to_state = 'hanging') OR"                                        \
    " (e.action = 'comment' AND e.public_note = 1))"

static const char *fixed_description(const char *action)
{
    static const struct {
        const char *action, *text;
    } t[] = {
        {"create", "诉求已受理"},
        {"dispatch", "已派单至承办单位"},
        {"redispatch", "已改派承办单位"},
        {"reject_return", "已重新派单"},
        {"sign", "承办单位已签收，正在办理"},
        {"return", "承办单位退单，正在重新派单"},
        {"approve", "诉求暂时无法解决，已挂账"},
        {"resume", "恢复办理"},
        {"evaluate", "市民已评价"},
        {"rectify", "退回承办单位整改"},
        {"merge", "已并入重复诉求"},
        {"follow_reply", "随主工单办结"},
        {"reply", "承办单位已答复"},
        {"accept", "承办单位已答复"},
        {"answer", "已答复"},
        {"close", "诉求已办结"},
        {"cancel", "诉求已撤销"},
        {"reopen", "诉求已重新受理"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(t[i].action, action) == 0)
            return t[i].text;
    return "诉求已更新";
}

int open311_updates_find(struct store_conn *c, int64_t start, int64_t end, int limit,
                         struct arena *a, struct open311_update **out, size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = store_prepare(
             c,
             "SELECT e.id, c.number, e.to_state, coalesce(c.reply_solved, -1), e.at, e.action, e.note,"
             " CASE WHEN " PUBLIC_NOTE " THEN 1 ELSE 0 END"
             " FROM case_events e JOIN cases c ON c.id = e.case_id"
             " WHERE e.at >= ? AND e.at <= ? AND " PUBLIC_CASE " AND " UPDATE_WHERE
             " ORDER BY e.at, e.id LIMIT ?",
             STORE_ARGS(store_i64(start), store_i64(end), store_i64(limit)), &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        *out = grow(a, *out, *n, &cap, sizeof(**out));
        struct open311_update *u = &(*out)[(*n)++];
        const char *action = store_col_text(s, 5), *note = store_col_text(s, 6);
        u->id = store_col_int(s, 0);
        u->request_id = col_str(a, s, 1);
        u->status = open311_status_extended(store_col_text(s, 2), (int)store_col_int(s, 3));
        u->at = store_col_int(s, 4);
        u->description = published_text(a, action, note, store_col_int(s, 7) != 0);
        u->media_url = "";
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

int open311_update_seen(struct store_conn *c, int64_t client_id, const char *external_id,
                        int64_t *event_id, struct err *err)
{
    return store_one_i64(
        c, "SELECT event_id FROM open311_updates WHERE client_id = ? AND external_id = ?",
        STORE_ARGS(store_i64(client_id), store_text(external_id)), event_id, err);
}

int open311_update_record(struct store_conn *c, int64_t client_id, const char *external_id,
                          int64_t event_id, const char *status, struct err *err)
{
    return run(
        c,
        "INSERT INTO open311_updates(client_id, external_id, event_id, status) VALUES (?, ?, ?, ?)",
        STORE_ARGS(store_i64(client_id), store_text(external_id), store_i64(event_id),
                   store_text(status)),
        err);
}

int open311_last_event(struct store_conn *c, int64_t case_id, int64_t *event_id, struct err *err)
{
    int rc = store_one_i64(c, "SELECT max(id) FROM case_events WHERE case_id = ?",
                           STORE_ARGS(store_i64(case_id)), event_id, err);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- demo */

int open311_demo_load(struct store_conn *c, const char *client, const char *key, int64_t now,
                      struct err *err)
{
    static const struct open311_value overflow[] = {
        {"bin", "垃圾桶"}, {"station", "垃圾站"}, {"both", "垃圾桶和垃圾站"}};
    static const struct open311_value kinds[] = {
        {"lid", "井盖"}, {"grate", "雨水箅子"}, {"cable", "电缆井盖"}};
    static const struct open311_value hazards[] = {
        {"hole", "敞口"}, {"loose", "松动"}, {"sunk", "下沉"}, {"noise", "异响"}};
    static const struct open311_attr bins[] = {
        {"FACILITY", 1, 1, O311_SINGLEVALUELIST, 1, "满溢的是垃圾桶还是垃圾站", "", overflow, 3},
        {"SINCE", 2, 1, O311_DATETIME, 0, "大约从什么时候开始满溢",
         "W3C 日期时间，如 2026-12-02T08:00:00+08:00", NULL, 0},
    };
    static const struct open311_attr manhole[] = {
        {"NOTICE", 1, 0, O311_TEXT, 0, "井盖缺失危及安全，请先在周边设置警示", "", NULL, 0},
        {"KIND", 2, 1, O311_SINGLEVALUELIST, 1, "井盖类型", "", kinds, 3},
        {"HAZARD", 3, 1, O311_MULTIVALUELIST, 0, "现场情况（可多选）", "", hazards, 4},
        {"COUNT", 4, 1, O311_NUMBER, 0, "涉及井盖数量", "数字", NULL, 0},
        {"LANDMARK", 5, 1, O311_STRING, 0, "附近标志物", "一行文字", NULL, 0},
    };
    static const struct {
        const char *code;
        const struct open311_attr *attrs;
        size_t n;
    } demo[] = {{"010102", bins, 2}, {"020201", manhole, 5}};
    int rc;
    for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
        int64_t id = 0;
        if ((rc = store_one_i64(c, "SELECT id FROM categories WHERE code = ?",
                                STORE_ARGS(store_text(demo[i].code)), &id, err)) < 0)
            return rc;
        if (rc == 0)
            return err_set(err, ERR_INTERNAL, "demo category '%s' is missing", demo[i].code);
        if ((rc = open311_attrs_set(c, id, demo[i].attrs, demo[i].n, now, err)) < 0)
            return rc;
    }
    int64_t client_id;
    return open311_client_create(c, client, OPEN311_RATE_DEFAULT, key, now, &client_id, err);
}
