/*
 * grant: requests for data (需求清单), their decision, grants and the access through a grant
 * (issue 17, docs/data-sharing.md): masked rows, aggregates with cell suppression and Laplace
 * noise spent from a per-grant privacy budget, and exports marked with a per-grant watermark
 * that `gridloop grant trace` reads back.
 *
 * Threading: none of its own; each call uses the connection it is given. Strings of returned
 * records live in the caller's arena.
 */
#ifndef GRIDLOOP_GRANT_GRANT_H
#define GRIDLOOP_GRANT_GRANT_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;
struct catalog_dataset;

#define GRANT_PURPOSE_MAX 500      /* characters */
#define GRANT_REASON_MAX 500       /* characters */
#define GRANT_PERIOD_MAX 3660      /* days */
#define GRANT_PAGE_MAX 500         /* rows a page of /rows returns at most */
#define GRANT_GROUP_BY_MAX 4       /* fields an aggregate groups by */
#define GRANT_MEASURES_MAX 8       /* measures of an aggregate */
#define GRANT_CELLS_MAX 10000      /* cells an aggregate answers at most */
#define GRANT_EPSILON_MAX 10.0     /* of a budget or one query */
#define GRANT_EXPORT_MAX 1000000   /* rows an export writes at most */
#define GRANT_TRACE_MIN_ROWS 16    /* marked rows trace needs before it names a grant */
#define GRANT_TRACE_THRESHOLD 0.90 /* agreement that names a grant (others score ~0.5) */
#define GRANT_USES_MAX 10000       /* uses of a grant a list returns at most (the newest) */

/* ---- the pure parts (grant_priv.c) ---- */

/* One draw of Laplace(0, scale) from libsodium's randomness (inverse CDF). */
double grant_laplace(double scale);
/* The noise scale of a measure: sensitivity / epsilon. */
double grant_noise_scale(double sensitivity, double epsilon);
/* The sensitivity of a sum over a field bounded by [lo, hi]: max(|lo|, |hi|); values are
 * clamped to the bounds before summing (grant_clamp). ERR_BAD_REQUEST naming 'field_name' when
 * either bound is missing: a noisy sum needs both. */
int grant_sum_sensitivity(int has_lo, double lo, int has_hi, double hi, double *out,
                          const char *field_name, struct err *err);
double grant_clamp(double v, double lo, double hi);
/* May 'asked' be spent from a budget of 'total' of which 'spent' is gone: 0, or ERR_FORBIDDEN
 * (field "epsilon") when spent + asked > total. */
int grant_budget_check(double total, double spent, double asked, struct err *err);

/* A cell of an aggregate: its true count decides suppression; values[] are the measures. */
struct grant_cell {
    int64_t count;  /* true number of rows */
    double *values; /* nmeasures values (noisy when noise was asked) */
    int suppressed; /* 1: count < k, 2: complementary */
};
/*
 * Suppress the cells whose true count is under k (1), then complementary cells (2, smallest
 * first) until the suppressed cells cannot be derived from the shown ones and the total: at
 * least two are suppressed and their rows together number at least k (or every cell is). The
 * number of suppressed cells.
 */
size_t grant_suppress(struct grant_cell *cells, size_t n, int k);

/* Masking by a field's rule through src/valid's valid_mask (none name id_card mobile phone
 * address credit_code email year), GB/T 35273 style: 张*, 110105********1234, 138****8000, the
 * address cut after its community. "full" and an unknown rule give "***" (not even the length).
 * Arena result; "" stays "". */
const char *grant_mask(const char *rule, const char *value, struct arena *a);

/* ---- the watermark ---- */

/* The marks: U+200B for a 1, U+200C for a 0, appended to a row's marked cell. */
#define GRANT_MARK_ONE "\xe2\x80\x8b"
#define GRANT_MARK_ZERO "\xe2\x80\x8c"
#define GRANT_KEY_HEX 64 /* a watermark key: 32 random bytes in hex */

/* A new key (hex, NUL-terminated). */
void grant_key_new(char out[GRANT_KEY_HEX + 1]);
/* The bit of a row: the low bit of HMAC-SHA256(key, cells joined by U+001F) (cells without
 * marks). -1 when the key is not 64 hex digits. */
int grant_row_bit(const char *key_hex, const char *const *cells, size_t n);
/* Index of the cell a row's mark goes into: the first non-empty cell, else 0. */
size_t grant_mark_cell(const char *const *cells, size_t n);
/* Strip a trailing mark from 'cell' in place: 1 (a one), 0 (a zero), -1 (no mark). */
int grant_mark_strip(char *cell);

/* Scoring a file against keys: feed each row's cells (marks still on), then read scores. */
struct grant_trace_row {
    int bit;      /* the mark found, -1 none */
    char **cells; /* stripped */
    size_t n;
};
/* Agreement of key with the marked rows: *marked the number of marked rows, the share of them
 * whose mark matches the key's bit (0 when none). */
double grant_trace_score(const char *key_hex, const struct grant_trace_row *rows, size_t n,
                         size_t *marked);

/* ---- requests and grants (grant.c) ---- */

#define GRANT_LIST_MAX 2000 /* requests or grants a list returns at most */

struct grant_request {
    int64_t id, dataset_id, department_id, owner_id;
    const char *dataset_code, *dataset_name, *owner_name, *department_name;
    const char *fields, *mode, *purpose, *legal_basis, *status, *reason; /* fields: a,b,c */
    int period_days;
    int64_t grant_id, created_by, created_at, decided_by, decided_at; /* 0: none */
};
struct grant_request_in {
    int64_t dataset_id, department_id;
    const char *const *fields;
    size_t nfields;
    const char *mode, *purpose, *legal_basis;
    int period_days;
};
/* A request by department in->department_id (the caller checks the user belongs to it), in the
 * caller's transaction. ERR_BAD_REQUEST names the field: dataset_id (no such dataset, or one of
 * 不予共享), fields (empty, repeated or not of the dataset: the message names it), mode, purpose,
 * legal_basis, period_days. An unconditional dataset is granted at once (status approved, no
 * decider: the system) and *grant_id set; else *grant_id is 0 and the request pending. */
int grant_request_create(struct store_conn *c, const struct grant_request_in *in, int64_t user_id,
                         int64_t now, int64_t *id, int64_t *grant_id, struct err *err);
int grant_request_get(struct store_conn *c, int64_t id, struct arena *a, struct grant_request *out,
                      struct err *err);

/* Which requests or grants a list returns: depts NULL = all (admin); else those asked by one of
 * depts (owner 0) or those on datasets owned by one of depts (owner 1). */
struct grant_filter {
    const int64_t *depts;
    size_t ndepts;
    int owner;
    const char *status; /* requests only; NULL = all */
};
int grant_request_list(struct store_conn *c, const struct grant_filter *f, struct arena *a,
                       struct grant_request **out, size_t *n, struct err *err);

/* The owner's decision on a pending request (ERR_CONFLICT when it is not pending). approve:
 * as asked (unmasked, region, epsilon_total and k_min may still be set); narrow: fewer fields,
 * a shorter period, aggregate instead of rows and/or a region scope, with a reason; refuse:
 * with a reason. ERR_BAD_REQUEST names the field: decision, reason, fields, unmasked,
 * period_days, mode, region_id, epsilon_total, k_min. */
struct grant_decision {
    const char *decision; /* approve | narrow | refuse */
    const char *reason;
    const char *const *fields; /* NULL: as asked */
    size_t nfields;
    const char *const *unmasked; /* fields shown in clear, a subset of the granted ones */
    size_t nunmasked;
    int period_days;      /* 0: as asked */
    const char *mode;     /* NULL: as asked */
    int64_t region_id;    /* 0: every row */
    double epsilon_total; /* 0: no noisy aggregates */
    int k_min;            /* 0: the dataset's */
};
int grant_request_decide(struct store_conn *c, int64_t id, const struct grant_decision *dec,
                         int64_t user_id, int64_t now, int64_t *grant_id, struct err *err);

struct grant_rec {
    int64_t id, dataset_id, department_id, request_id, region_id, owner_id;
    const char *dataset_code, *dataset_name, *owner_name, *department_name, *region_name;
    const char *fields, *unmasked, *mode, *revoke_reason, *watermark_key;
    int k_min;
    double epsilon_total, epsilon_spent;
    int64_t expires_at, revoked_at, created_by, created_at; /* revoked_at 0: not revoked */
};
int grant_get(struct store_conn *c, int64_t id, struct arena *a, struct grant_rec *out,
              struct err *err);
int grant_list(struct store_conn *c, const struct grant_filter *f, struct arena *a,
               struct grant_rec **out, size_t *n, struct err *err);
/* Revoke with a reason (ERR_BAD_REQUEST 'reason'; ERR_CONFLICT when already revoked). */
int grant_revoke(struct store_conn *c, int64_t id, const char *reason, int64_t now,
                 struct err *err);
/* 0 when g may be used at 'now'; ERR_FORBIDDEN when revoked or expired. */
int grant_usable(const struct grant_rec *g, int64_t now, struct err *err);
/* Is 'name' in the comma-separated list 'list'. */
int grant_list_has(const char *list, const char *name);
/* Spend 'eps' of g's budget in the caller's transaction (ERR_FORBIDDEN 'epsilon' when it would
 * go over). */
int grant_spend(struct store_conn *c, const struct grant_rec *g, double eps, struct err *err);

/* ---- uses: the readable side of the audit entries of access ---- */

/* A use of a grant (its rows, an aggregate, an export). 'detail' is the text of the use's audit
 * entry's after ({"grant":…,"query":…,"rows":…}): its SHA-256 is that entry's after_digest. */
struct grant_use {
    int64_t id, at, user_id, rows;
    const char *user_name, *action, *detail;
    double epsilon;
};
/* Record a use in the caller's transaction (the one that writes its audit entry). */
int grant_use_record(struct store_conn *c, int64_t grant_id, int64_t user_id, const char *action,
                     int64_t rows, double epsilon, const char *detail, int64_t now,
                     struct err *err);
/* The uses of grant_id, newest first, at most GRANT_USES_MAX. */
int grant_use_list(struct store_conn *c, int64_t grant_id, struct arena *a, struct grant_use **out,
                   size_t *n, struct err *err);

/* ---- access (grant_access.c) ---- */

/* Rows through a grant: the granted fields in the dataset's order, each masked by its rule
 * unless unmasked, only rows in the grant's region. With 'mark', as exported: every cell safe
 * for a spreadsheet (a leading = + - @ gets a ') and the row's watermark on its marked cell. */
struct grant_rows {
    size_t ncols;
    const struct catalog_field **cols;
    size_t nrows;
    int64_t *row_no;
    const char ***cells;
    int64_t next_after; /* the row to continue after; 0 at the end */
};
int grant_rows_read(struct store_conn *c, const struct grant_rec *g,
                    const struct catalog_dataset *d, int64_t after, size_t limit, int mark,
                    struct arena *a, struct grant_rows *out, struct err *err);

struct grant_measure {
    const char *op;    /* count | sum */
    const char *field; /* sum: a granted integer or number field */
};
struct grant_agg_query {
    const char *const *group_by; /* granted fields; the groups are their MASKED values */
    size_t ngroup;
    const struct grant_measure *measures;
    size_t nmeasures;
    double epsilon; /* 0: exact (only when the grant has no budget) */
};
struct grant_agg {
    size_t ngroup, nmeasures, ncells;
    const char **keys; /* ncells × ngroup */
    struct grant_cell *cells;
    double *totals;  /* nmeasures, over every cell (noisy when noise was asked) */
    int total_shown; /* 0 when the rows in scope are fewer than k */
    int64_t rows;    /* rows read */
    int k;
    double epsilon; /* spent by this query */
};
/* Answer q over g (noise and budget check included; the caller spends q->epsilon with
 * grant_spend in its transaction). ERR_BAD_REQUEST names group_by, measures or epsilon. */
int grant_aggregate(struct store_conn *c, const struct grant_rec *g,
                    const struct catalog_dataset *d, const struct grant_agg_query *q,
                    struct arena *a, struct grant_agg *out, struct err *err);

/* Which grant a leaked export (CSV or XLSX) came from (gridloop grant trace). */
struct grant_trace_result {
    size_t rows, marked; /* data rows read, rows carrying a mark */
    int64_t grant_id;    /* 0: no grant scores over GRANT_TRACE_THRESHOLD */
    const char *department_name, *dataset_name;
    double score; /* the best grant's agreement */
    int64_t best_id;
};
/* The rows of a CSV or XLSX file (outside input; the format told by the content, a CSV's encoding
 * UTF-8 or GB18030; the header skipped) with their marks stripped; *marked counts the rows that
 * carried one. ERR_BAD_REQUEST on a malformed file. */
int grant_trace_read(const char *data, size_t len, struct arena *a, struct grant_trace_row **out,
                     size_t *n, size_t *marked, struct err *err);
int grant_trace_file(struct store_conn *c, const char *data, size_t len, struct arena *a,
                     struct grant_trace_result *out, struct err *err);

#endif /* GRIDLOOP_GRANT_GRANT_H */
