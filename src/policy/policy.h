/*
 * policy: the policy calculator and 免申即享 (issue 18 item 4). A policy is a rule over a
 * person's or a firm's profile with an amount; the engine tells for each policy whether a
 * profile qualifies and, when it does not, exactly which conditions are missing
 * ("再满足：企业成立满 1 年"). Publishing a policy, or changing a profile, records an offer
 * for everyone newly eligible and queues it as a notification (the notify outbox).
 *
 * A rule is a tree of at most POLICY_NODES_MAX nodes and POLICY_DEPTH_MAX levels: all / any /
 * not over comparisons of one profile field with a constant. The API parses the JSON form into
 * this structure (src/api/api_policy.c); the domain never sees JSON. A rule cannot loop or run
 * long by construction: it has no references, variables, recursion or iteration, children are
 * always later nodes of a fixed array (a DAG that is a tree), so evaluation visits each node at
 * most once: at most POLICY_NODES_MAX comparisons per profile.
 *
 * Threading: none of its own; each call uses the connection it is given. Strings of returned
 * records live in the caller's arena; a struct policy_rule is a plain value (no pointers).
 */
#ifndef GRIDLOOP_POLICY_POLICY_H
#define GRIDLOOP_POLICY_POLICY_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define POLICY_NODES_MAX 64              /* nodes of one rule */
#define POLICY_DEPTH_MAX 6               /* levels of all/any/not above a comparison */
#define POLICY_TEXT_MAX 60               /* bytes of a text constant (a region code, an industry) */
#define POLICY_LABEL_MAX 120             /* bytes of a resolved region name */
#define POLICY_NAME_MAX 100              /* characters of a policy's or profile's name */
#define POLICY_SUMMARY_MAX 2000          /* characters of a policy's summary */
#define POLICY_AMOUNT_MAX 100000000      /* yuan */
#define POLICY_VALUE_MAX 1000000000000LL /* a numeric constant's magnitude */
#define POLICY_LIST_MAX 1000             /* policies one list returns */
#define POLICY_WHY_MAX 64                /* conditions one explanation names */
#define POLICY_DESC_MAX 256              /* bytes of one condition's description */

enum policy_subject { POLICY_PERSON, POLICY_FIRM, POLICY_SUBJECT_COUNT };

/* The fields a rule may compare; each belongs to one subject. */
enum policy_field {
    PF_AGE,              /* person: full years from birth date to today */
    PF_HUKOU,            /* person: household registration region (within a region subtree) */
    PF_DISABILITY,       /* person: disability grade 0 (none), 1 (most severe) .. 4 */
    PF_INCOME_BAND,      /* person: household income band 0..10 (low to high) */
    PF_CHILDREN,         /* person: number of children */
    PF_INDUSTRY,         /* firm: industry (text) */
    PF_SIZE,             /* firm: size micro / small / medium / large (0..3) */
    PF_EMPLOYEES,        /* firm: employees */
    PF_TAX,              /* firm: tax paid last year, yuan */
    PF_YEARS_REGISTERED, /* firm: full years since registration */
    PF_COUNT
};

enum policy_op { PO_EQ, PO_NE, PO_LT, PO_LE, PO_GT, PO_GE, PO_IN, PO_COUNT };
enum policy_node_kind { PN_ALL, PN_ANY, PN_NOT, PN_CMP };

struct policy_node {
    uint8_t kind;                     /* enum policy_node_kind */
    uint8_t field;                    /* PN_CMP: enum policy_field */
    uint8_t op;                       /* PN_CMP: enum policy_op */
    int8_t first;                     /* index of the first child, -1 = none */
    int8_t next;                      /* index of the next sibling, -1 = none */
    int64_t num;                      /* numeric constant (size as 0..3) */
    char text[POLICY_TEXT_MAX + 1];   /* PF_HUKOU: region code; PF_INDUSTRY: the industry */
    char label[POLICY_LABEL_MAX + 1]; /* PF_HUKOU: the region's name (policy_rule_resolve) */
};

/* Node 0 is the root. */
struct policy_rule {
    enum policy_subject subject;
    int count;
    struct policy_node n[POLICY_NODES_MAX];
};

/* Names used by the JSON form and the API; NULL / -1 when unknown. */
const char *policy_subject_name(enum policy_subject s);
int policy_subject_from_name(const char *name);
const char *policy_field_name(enum policy_field f);
int policy_field_from_name(const char *name);
enum policy_subject policy_field_subject(enum policy_field f);
int policy_field_is_text(enum policy_field f); /* compared with text[] (hukou, industry) */
const char *policy_op_name(enum policy_op op);
int policy_op_from_name(const char *name);
const char *policy_size_name(int size); /* micro small medium large */
int policy_size_from_name(const char *name);
/* Whether 'op' applies to 'f': PO_IN only to PF_HUKOU, text fields only = / != (and in). */
int policy_op_allowed(enum policy_field f, enum policy_op op);

/* A profile: what the engine compares. Dates are YYYYMMDD, 0 = unknown (an unknown value never
 * satisfies a comparison). */
struct policy_profile {
    int64_t id, user_id;
    enum policy_subject subject;
    const char *name;
    int birth_ymd;
    int64_t hukou_region_id;
    const char *hukou_code, *hukou_name; /* "" when none */
    int disability, income_band, children;
    const char *industry; /* "" when none */
    int size;             /* 0..3, -1 = unknown */
    int64_t employees, tax;
    int registered_ymd;
    int64_t updated_at;
};

/* Full years from 'from_ymd' to 'today_ymd'; -1 when from is 0 or after today. */
int policy_years_between(int from_ymd, int today_ymd);

/*
 * Why a profile does or does not qualify: the conditions still to meet (nodes of the rule: a
 * failed comparison, an 'any' none of whose branches holds, a 'not' whose condition holds) and
 * the comparisons it already meets.
 */
struct policy_why {
    int qualifies;
    int nmissing, nmet;
    int8_t missing[POLICY_WHY_MAX];
    int8_t met[POLICY_WHY_MAX];
};

/* Evaluate 'r' for 'p' on 'today_ymd'. 'why' may be NULL (the benchmark's path). Returns 1 when
 * the profile qualifies. A profile of the other subject never qualifies. */
int policy_eval(const struct policy_rule *r, const struct policy_profile *p, int today_ymd,
                struct policy_why *why);

/* The condition at node 'i' in Chinese ("企业成立满 1 年", "户籍在城关街道"), at most
 * POLICY_DESC_MAX bytes with the NUL; an all/any/not node describes its children. */
void policy_describe(const struct policy_rule *r, int i, char *out, size_t cap);

/* Check a parsed rule against the database: every PF_HUKOU constant names an existing region
 * (its name goes into label). ERR_BAD_REQUEST naming "rule". */
int policy_rule_resolve(struct store_conn *c, struct policy_rule *r, struct err *err);
/* The structural check the parser guarantees: counts, links, depth, kinds, ops, subjects. A
 * rule that fails it is ERR_BAD_REQUEST naming "rule". */
int policy_rule_check(const struct policy_rule *r, struct err *err);

/* ---- policies (policy_db.c) ---- */

enum policy_status { POLICY_DRAFT, POLICY_PUBLISHED, POLICY_WITHDRAWN };
enum policy_period { POLICY_ONCE, POLICY_MONTH, POLICY_YEAR };
const char *policy_status_name(enum policy_status s);
const char *policy_period_name(enum policy_period p);
int policy_period_from_name(const char *name);

struct policy_rec {
    int64_t id;
    const char *name, *summary;
    enum policy_subject subject;
    const char *rule; /* the rule's canonical JSON text, written and read by the API only */
    int64_t amount;   /* yuan per period */
    enum policy_period period;
    enum policy_status status;
    int64_t created_at, updated_at, published_at;
};

struct policy_in {
    const char *name, *summary;
    enum policy_subject subject;
    const char *rule;
    int64_t amount;
    enum policy_period period;
};

/* ERR_BAD_REQUEST naming "name", "summary" or "amount". */
int policy_create(struct store_conn *c, const struct policy_in *in, int64_t now, int64_t *id,
                  struct err *err);
/* A published policy can still be changed (it is matched again by the caller). */
int policy_update(struct store_conn *c, int64_t id, const struct policy_in *in, int64_t now,
                  struct err *err);
int policy_get(struct store_conn *c, int64_t id, struct arena *a, struct policy_rec *out,
               struct err *err);
/* Newest first; published_only for citizens. 'subject' -1 = both. */
int policy_list(struct store_conn *c, int published_only, int subject, struct arena *a,
                struct policy_rec **out, size_t *n, struct err *err);
/* ERR_CONFLICT naming "status" when already published. */
int policy_publish(struct store_conn *c, int64_t id, int64_t now, struct err *err);

/* ---- profiles and offers ---- */

#define POLICY_INDUSTRY_MAX 30 /* characters */
#define POLICY_CHILDREN_MAX 20
#define POLICY_EMPLOYEES_MAX 10000000
#define POLICY_TAX_MAX 1000000000000LL

/* The profile of 'user_id' for 'subject' (ERR_NOT_FOUND when none). */
int policy_profile_get_user(struct store_conn *c, int64_t user_id, enum policy_subject s,
                            struct arena *a, struct policy_profile *out, struct err *err);
int policy_profile_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct policy_profile *out, struct err *err);
/* Create or replace the profile of p->user_id for p->subject (0 = a profile with no user, which
 * an official keeps). Checks ranges: ERR_BAD_REQUEST naming the field ("birth_date",
 * "hukou_region_id", "disability", "income_band", "children", "industry", "size", "employees",
 * "tax", "registered_on", "name"). Sets *id. */
int policy_profile_put(struct store_conn *c, const struct policy_profile *p, int64_t now,
                       int64_t *id, struct err *err);
/* Range checks only (the calculator's entered profile, not stored). */
int policy_profile_check(const struct policy_profile *p, int today_ymd, struct err *err);
/* Fill hukou_code / hukou_name from hukou_region_id (ERR_BAD_REQUEST naming "hukou_region_id"
 * when no such region). */
int policy_profile_region(struct store_conn *c, struct policy_profile *p, struct arena *a,
                          struct err *err);

struct policy_offer {
    int64_t id, policy_id, profile_id, user_id, amount, notification_id;
    const char *policy_name;
    enum policy_period period;
    int64_t created_at;
};

/*
 * 免申即享: record an offer of 'policy' for every profile that qualifies and has none yet, and
 * queue a notification to its user (kind 'policy_offer'). Run inside the caller's write
 * transaction. The new offers' ids go into *ids (arena), their count into *n.
 */
int policy_offer_all(struct store_conn *c, const struct policy_rec *policy,
                     const struct policy_rule *rule, int today_ymd, int64_t now, struct arena *a,
                     int64_t **ids, size_t *n, struct err *err);
/* The same for one profile against several published policies (after a profile changed). */
int policy_offer_profile(struct store_conn *c, const struct policy_profile *p,
                         const struct policy_rec *policies, const struct policy_rule *rules,
                         size_t npolicies, int today_ymd, int64_t now, struct arena *a,
                         int64_t **ids, size_t *n, struct err *err);
int policy_offer_get(struct store_conn *c, int64_t id, struct arena *a, struct policy_offer *out,
                     struct err *err);
/* A user's offers, newest first, at most POLICY_LIST_MAX. */
int policy_offer_list(struct store_conn *c, int64_t user_id, struct arena *a,
                      struct policy_offer **out, size_t *n, struct err *err);

#endif /* GRIDLOOP_POLICY_POLICY_H */
