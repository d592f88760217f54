/*
 * open311: gridloop seen as an Open311 GeoReport v2 back end (docs/open311.md) — the API
 * clients and their keys, categories as services with their extra attributes, cases as
 * service requests, the FixMyStreet extended statuses, and citizen updates. The formats
 * (XML, JSON, forms) are the api module's; nothing here knows HTTP, XML or JSON.
 *
 * Mapping: a service is an active category without active subcategories, service_code =
 * the category code; a service request is a case, service_request_id = the case number.
 * Requests read from here never carry personal data (names, phones, emails).
 *
 * Threading: no state of its own. Ownership: output records and their strings live in the
 * caller's arena. Writes run inside the caller's transaction (nothing here begins or commits).
 */
#ifndef GRIDLOOP_OPEN311_OPEN311_H
#define GRIDLOOP_OPEN311_OPEN311_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

/* ---- clients and API keys ---- */

#define OPEN311_RATE_DEFAULT 60 /* POSTs per minute */
#define OPEN311_RATE_MAX 100000

struct open311_client {
    int64_t id;
    const char *name;
    int64_t user_id; /* the client's service account */
    const char *user_name;
    int rate_limit; /* POSTs per minute */
    int64_t created_at;
    int64_t revoked_at; /* 0 = active */
};

/*
 * Issue a key to a new client 'name' (2-48 characters: letters, digits, '_', '.', '-'):
 * creates its service account "open311.<name>" (role citizen, no usable password: it acts
 * only through the key) and stores the SHA-256 of the key. 'key' is the key to issue (43
 * URL-safe characters, e.g. from auth_token_new()); the caller shows it once. ERR_CONFLICT
 * when the name is taken.
 */
int open311_client_create(struct store_conn *c, const char *name, int rate_limit, const char *key,
                          int64_t now, int64_t *id, struct err *err);
int open311_client_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct open311_client *out, struct err *err);
int open311_client_list(struct store_conn *c, struct arena *a, struct open311_client **out,
                        size_t *n, struct err *err);
/* Revoke (idempotent): the key stops working at once; the client's cases stay. */
int open311_client_revoke(struct store_conn *c, int64_t id, int64_t now, struct err *err);
/* The active client holding 'key'; ERR_FORBIDDEN for an unknown or revoked key. */
int open311_client_by_key(struct store_conn *c, const char *key, struct arena *a,
                          struct open311_client *out, struct err *err);

/* ---- statuses ---- */

/*
 * A case state (case_state_name) as an Open311 status: 1 when closed, else 0; and the
 * FixMyStreet extended status in lower case ("in_progress"). 'solved' is the reply's
 * verdict (1, 0, or -1 unknown): a replied or closed case is "fixed" when solved.
 */
int open311_status_closed(const char *state);
const char *open311_status_extended(const char *state, int solved);

/* 1 if 's' is one of the FixMyStreet extended statuses, in either case ("IN_PROGRESS"). */
int open311_status_valid(const char *s);

/*
 * Best-effort masking of personal data that people type into free text (descriptions, notes,
 * addresses) before it is published. Full-width digits, '－', '．' and the ideographic space
 * are read as their ASCII forms first (the copy has them so). Then:
 * - runs of 11 or more digits (mobiles, landlines with area code, ID card numbers with their
 *   check character X; single spaces between groups, or '-' and '.' when the number starts
 *   with 0, 1 or '+') keep their first three and last four characters;
 * - a run of 7 to 10 digits just after a word such as 电话, 手机, 联系, 微信, QQ keeps its last
 *   two digits (a landline without its area code);
 * - an email address keeps the first character of its local part;
 * - a surname before a form of address (张先生, 李女士, 王师傅) and up to three ideographs after
 *   a word introducing a name (我叫, 姓名：, 联系人) become 某;
 * - the numbers of a room, household or unit (502室, 2单元) and the room after a building
 *   (3幢502) become '*'; street and building numbers stay.
 * Names and addresses in any other form are not recognised (docs/open311.md). Returns a copy
 * in the arena, never longer than 'text'.
 */
char *open311_scrub(struct arena *a, const char *text);

/* An anonymous report's position as published: snapped to the centre of a grid cell of
 * OPEN311_ANON_GRID degrees (about 1.1 km north-south, 1 km east-west in Zhejiang). */
#define OPEN311_ANON_GRID 0.01
void open311_coarsen(double *lat, double *lon);

/* ---- services and their attributes ---- */

enum open311_datatype {
    O311_STRING,
    O311_NUMBER,
    O311_DATETIME,
    O311_TEXT,
    O311_SINGLEVALUELIST,
    O311_MULTIVALUELIST,
    O311_DATATYPE_COUNT
};
const char *open311_datatype_name(enum open311_datatype t);
int open311_datatype_from_name(const char *name); /* -1 if unknown */

struct open311_value {
    const char *key;
    const char *name;
};

struct open311_attr {
    const char *code; /* letters, digits, '_', '-'; 1-32 characters */
    int order;        /* 1.. unique within the service */
    int variable;     /* 0: information text, no answer */
    enum open311_datatype datatype;
    int required;
    const char *description;
    const char *datatype_description;   /* may be "" */
    const struct open311_value *values; /* list types only */
    size_t nvalues;
};

struct open311_service {
    int64_t category_id;
    const char *code;
    const char *name;
    const char *description; /* the category's path, "市容环境 / 环境卫生 / 暴露垃圾" */
    const char *group;       /* the top-level category's name */
    const char *keywords;    /* comma-separated */
    int has_attrs;
};

/*
 * What a service definition shows as the attribute's datatype_description: its own, or when
 * that is empty a description of its datatype ("数字"). Never empty: strict clients fail on an
 * empty element.
 */
const char *open311_attr_datatype_description(const struct open311_attr *attr);

/* Active categories without active subcategories, by code. */
int open311_services(struct store_conn *c, struct arena *a, struct open311_service **out, size_t *n,
                     struct err *err);
/* One service by code: ERR_NOT_FOUND naming service_code when absent, inactive or not a leaf. */
int open311_service_get(struct store_conn *c, const char *code, struct arena *a,
                        struct open311_service *out, struct err *err);
/* The attributes of a category, by order. */
int open311_attrs(struct store_conn *c, int64_t category_id, struct arena *a,
                  struct open311_attr **out, size_t *n, struct err *err);
/* Replace the attributes of a category (checked: codes, orders, datatypes, list values). */
int open311_attrs_set(struct store_conn *c, int64_t category_id, const struct open311_attr *attrs,
                      size_t n, int64_t now, struct err *err);
/* When the service list or a definition last changed (seconds). */
int open311_changeset(struct store_conn *c, int64_t *out, struct err *err);

/*
 * Check the answer to one attribute: 'values' are the submitted values (several only for a
 * multivaluelist). ERR_BAD_REQUEST naming "attribute[CODE]" for a wrong type, an unknown
 * list key, several values for a single-value type, or a required attribute left empty.
 */
int open311_attr_check(const struct open311_attr *attr, const char *const *values, size_t nvalues,
                       struct err *err);

/* ---- requests ---- */

/* What an Open311 POST carried beyond the case (stored in the intake transaction). */
struct open311_request_new {
    int64_t client_id;
    const char *token; /* 43 characters, unique */
    const char *service_code;
    const char *address_id; /* may be NULL (all of these) */
    const char *email;
    const char *device_id;
    const char *account_id;
    const char *media_url;
    const char *const *attr_codes; /* one row per value */
    const char *const *attr_values;
    size_t nattrs;
};
int open311_request_record(struct store_conn *c, int64_t case_id,
                           const struct open311_request_new *in, struct err *err);

/* A case as a service request: public fields only. */
struct open311_request {
    int64_t case_id;
    const char *id;           /* the case number */
    const char *state;        /* case_state_name */
    int solved;               /* -1 unknown */
    const char *status_notes; /* the last public note (reply, answer...), "" if none */
    const char *service_code; /* "" when not classified */
    const char *service_name;
    const char *description;
    const char *agency;                   /* lead department, "" before dispatch */
    int64_t requested, updated, expected; /* expected 0 = no deadline yet */
    const char *address;
    const char *address_id;
    int has_location;
    double lat, lon;
    const char *media_url;
};

#define OPEN311_LIST_MAX 1000
#define OPEN311_WINDOW (90 * 86400) /* the spec's default and largest date span */

struct open311_query {
    const char *const *ids; /* case numbers; when given, every other filter is ignored */
    size_t nids;
    const char *const *codes; /* service codes */
    size_t ncodes;
    int64_t start, end; /* requested_datetime in [start, end]: the spec's end_date is the
                                        * "latest datetime to include" */
    int status;         /* bit 0 open, bit 1 closed; 0 = both */
    int limit;          /* 1..OPEN311_LIST_MAX */
    int64_t offset;     /* rows skipped (the page extension) */
};
/* Newest first. */
int open311_requests_find(struct store_conn *c, const struct open311_query *q, struct arena *a,
                          struct open311_request **out, size_t *n, struct err *err);
/* The case number a token stands for; ERR_NOT_FOUND naming token. */
int open311_token_lookup(struct store_conn *c, const char *token, struct arena *a, const char **id,
                         struct err *err);

/* What the Open311 POST of a case carried, for staff (no email: personal data without a
 * reveal flow yet). ERR_NOT_FOUND when the case did not come through Open311. */
struct open311_origin {
    const char *client; /* the client's name */
    const char *service_code;
    const char *address_id, *device_id, *account_id, *media_url;
    const char *const *attr_codes; /* one row per value, in the order posted */
    const char *const *attr_values;
    size_t nattrs;
};
int open311_origin_get(struct store_conn *c, int64_t case_id, struct arena *a,
                       struct open311_origin *out, struct err *err);

/* ---- updates (FixMyStreet extension) ---- */

/* A public event of a case's timeline. */
struct open311_update {
    int64_t id;             /* the event id */
    const char *request_id; /* the case number */
    const char *status;     /* extended status after the event, lower case */
    int64_t at;
    const char *description;
    const char *media_url; /* "" */
};
/* The public events with 'at' in [start, end], oldest first. */
int open311_updates_find(struct store_conn *c, int64_t start, int64_t end, int limit,
                         struct arena *a, struct open311_update **out, size_t *n, struct err *err);
/* The event an earlier POST with this client's update id became: 1 and '*event_id', or 0. */
int open311_update_seen(struct store_conn *c, int64_t client_id, const char *external_id,
                        int64_t *event_id, struct err *err);
int open311_update_record(struct store_conn *c, int64_t client_id, const char *external_id,
                          int64_t event_id, const char *status, struct err *err);
/* The last event of a case (the comment just written). */
int open311_last_event(struct store_conn *c, int64_t case_id, int64_t *event_id, struct err *err);

/* ---- demo ---- */

/* Attributes for a few demo categories (codes present in the demo taxonomy) and one client
 * named 'client' with 'key'. For `gridloop init --demo`; inside the caller's transaction. */
int open311_demo_load(struct store_conn *c, const char *client, const char *key, int64_t now,
                      struct err *err);

#endif /* GRIDLOOP_OPEN311_OPEN311_H */
