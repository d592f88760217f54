/*
 * catalog: the data resource catalogue (政务数据资源目录, issue 17, docs/data-sharing.md).
 * Datasets with their owner department, grading, sharing class and declared fields; imported
 * tables kept as rows of their dataset (dataset_rows), loaded all or nothing; gridloop sources
 * (a dataset whose source is 'cases' reads the cases table through fixed columns); quality runs.
 *
 * Threading: none of its own; each call uses the connection it is given. Strings of returned
 * records live in the caller's arena.
 */
#ifndef GRIDLOOP_CATALOG_CATALOG_H
#define GRIDLOOP_CATALOG_CATALOG_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define CATALOG_NAME_MAX 100         /* characters */
#define CATALOG_DESCRIPTION_MAX 2000 /* characters */
#define CATALOG_CODE_MAX 40          /* characters */
#define CATALOG_FIELDS_MAX 64        /* fields of a dataset */
#define CATALOG_FIELD_NAME_MAX 40    /* ASCII: [a-z][a-z0-9_]* */
#define CATALOG_LABEL_MAX 60         /* characters */
#define CATALOG_VALUE_MAX 2000       /* bytes of one imported value */
#define CATALOG_ERRORS_MAX 100       /* import errors reported (all are counted) */
#define CATALOG_QUERY_MAX 100        /* characters of a search */
#define CATALOG_LIST_MAX 2000        /* datasets a list returns at most */
#define CATALOG_PROBLEMS_MAX 1000    /* problems a quality run stores (all are counted) */
#define CATALOG_ACCURACY_TARGET 0.95 /* below it, the problems go back to the owner */

/* The row separator of dataset_rows.data: U+001F (unit separator). */
#define CATALOG_SEP '\x1f'

struct catalog_field {
    const char *name, *label, *type, *mask; /* type: text name address region date integer
                                                number id_card credit_code mobile phone email */
    int position, sensitivity, required, is_key;
    int has_lo, has_hi;
    double lo, hi; /* bounds of a number field (for noisy sums) */
};
struct catalog_dataset {
    int64_t id;
    const char *code, *name, *description;
    int64_t department_id;
    const char *department_name;
    const char *grade, *pi_level, *share_class, *open_class, *update_freq, *source;
    int k_min;
    int64_t row_count, loaded_at, created_at, updated_at;
    struct catalog_field *fields;
    size_t nfields; /* in position order */
};

/* ERR_NOT_FOUND when there is no such dataset. */
int catalog_dataset_get(struct store_conn *c, int64_t id, struct arena *a,
                        struct catalog_dataset *out, struct err *err);
/* The field named 'name' of d, or NULL. */
const struct catalog_field *catalog_field_find(const struct catalog_dataset *d, const char *name);
/* Calls cb for each row of d (imported rows, or the source's rows for a gridloop source) in
 * row order, starting after 'after_row', at most 'limit' rows (0 = all), only rows whose
 * region lies in region_id's subtree (0 = all). values[i] is the value of d->fields[i]
 * ("" when empty). cb returns 0 to go on, 1 to stop, negative to fail (returned). */
typedef int (*catalog_row_fn)(void *ud, int64_t row_no, int64_t region_id,
                              const char *const *values, size_t n);
int catalog_rows_scan(struct store_conn *c, const struct catalog_dataset *d, int64_t region_id,
                      int64_t after_row, size_t limit, catalog_row_fn cb, void *ud,
                      struct err *err);

/* ---- the catalogue ---- */

/* What a create or update writes. code NULL or "" on create: the next DS-YYYY-NNNN. fields
 * replace the declared fields when 'set_fields' (always on create); a dataset with rows keeps
 * its field names and types (ERR_CONFLICT otherwise: re-import into a new dataset). A 'cases'
 * source gets its fixed fields (catalog_source_fields) whatever is passed. */
struct catalog_dataset_in {
    const char *code, *name, *description;
    int64_t department_id;
    const char *grade, *pi_level, *share_class, *open_class, *update_freq, *source;
    int k_min;
    int set_fields;
    const struct catalog_field *fields;
    size_t nfields;
};
/* ERR_BAD_REQUEST names the field: code, name, description, department_id, grade, pi_level,
 * share_class, open_class, update_freq, source, k_min, fields, fields[i].name / label / type /
 * mask / sensitivity / lo. */
int catalog_dataset_create(struct store_conn *c, const struct catalog_dataset_in *in,
                           int64_t user_id, int64_t now, int64_t *id, struct err *err);
int catalog_dataset_update(struct store_conn *c, int64_t id, const struct catalog_dataset_in *in,
                           int64_t now, struct err *err);

struct catalog_filter {
    const char *q;           /* NULL/"": all; else in name, description, code or a field label */
    int64_t department_id;   /* 0 = all */
    const char *share_class; /* NULL = all */
};
/* Datasets (with their fields) by code. */
int catalog_dataset_list(struct store_conn *c, const struct catalog_filter *f, struct arena *a,
                         struct catalog_dataset **out, size_t *n, struct err *err);

/* The update period of 'freq' in seconds (daily 86400 ...), 0 for irregular (no deadline);
 * realtime counts as daily. */
int64_t catalog_freq_seconds(const char *freq);
/* 1 when d was loaded within its update period before 'now' (a gridloop source always is; an
 * irregular dataset is once it has been loaded), else 0. */
int catalog_timely(const struct catalog_dataset *d, int64_t now);

/* 需求清单: the requests for datasets (table data_requests), newest first. */
struct catalog_demand {
    int64_t id, dataset_id;
    const char *dataset_code, *dataset_name, *owner_name;
    int64_t department_id;
    const char *department_name; /* who asks */
    const char *fields, *mode, *purpose, *status;
    int64_t created_at;
};
int catalog_demand_list(struct store_conn *c, struct arena *a, struct catalog_demand **out,
                        size_t *n, struct err *err);

/* Is 'v' one of the known types / masks / sources. */
int catalog_type_known(const char *v);
int catalog_mask_known(const char *v);
/* The fixed fields of gridloop source 'source' ("cases"), or NULL with *n 0 for 'import'. */
const struct catalog_field *catalog_source_fields(const char *source, size_t *n);

/* ---- values ---- */

/* 1 when 'v' (non-empty) is a valid value of 'type'; else 0 and *reason (static, Chinese). */
int catalog_value_valid(const char *type, const char *v, const char **reason);

/* ---- imports ---- */

/* A table being imported, row by row: next() sets *cells to the row's cells (n of them) and
 * *line to its line in the file; returns 1 for a row, 0 at the end, negative on a malformed
 * file (err set, naming the line). The first row is the header. */
struct catalog_reader {
    void *ud;
    int (*next)(void *ud, const char *const **cells, size_t *n, int64_t *line, struct err *err);
    void (*close)(void *ud); /* NULL: nothing to free */
    const char *format;      /* csv | xlsx */
    const char *encoding;    /* utf-8 | gb18030 */
};
struct catalog_import_error {
    int64_t line;      /* in the file (the header is line 1) */
    const char *field; /* the field's name; "" for the row as a whole */
    const char *reason;
};
struct catalog_import_report {
    int64_t import_id;
    int64_t rows_read, rows_loaded, row_count;
    const char *encoding;
    struct catalog_import_error *errors; /* the first CATALOG_ERRORS_MAX */
    size_t nerrors;
    int64_t errors_total;
};
/*
 * Read every row of 'r' into dataset d (mode "replace" or "append"), in the caller's
 * transaction. The header names the columns (field name or label, any order; unknown columns
 * and missing required ones are refused naming the column). Every value is checked by its
 * field's type; a region field or an address resolves the row's region. Any bad row: nothing
 * is written, ERR_BAD_REQUEST (field "file") and rep lists the errors by line and field.
 */
int catalog_import(struct store_conn *c, const struct catalog_dataset *d, struct catalog_reader *r,
                   const char *mode, const char *filename, int64_t user_id, int64_t now,
                   struct arena *a, struct catalog_import_report *rep, struct err *err);

/* ---- quality ---- */

/* The category of the cases that send a dataset's problems back to its owner (数据质量问题,
 * under 99 其他 in the demo's tree; docs/data-sharing.md). Without it the case is unclassified. */
#define CATALOG_QUALITY_CATEGORY "9903"

struct catalog_quality_problem {
    int64_t row_no;
    const char *field, *rule, *reason; /* rule: missing, invalid, duplicate; reason in Chinese */
};
struct catalog_quality_run {
    int64_t id, dataset_id, at, rows_checked, rows_bad;
    double completeness, validity, uniqueness, timeliness, accuracy; /* 0..1 */
    const char *per_field; /* JSON array: field, label, present, valid, completeness, validity */
    int64_t case_id;       /* 0: none sent back */
    const char *case_number, *case_state; /* "" when none */
    int64_t problems_stored;              /* rows of data_quality_problems */
    /* A run just made: the problems (the first CATALOG_PROBLEMS_MAX) and their count. */
    struct catalog_quality_problem *problems;
    size_t nproblems;
    int64_t problems_total;
};
/* Check every row of d and store the run and its first problems, in the caller's transaction. */
int catalog_quality_run(struct store_conn *c, const struct catalog_dataset *d, int64_t now,
                        struct arena *a, struct catalog_quality_run *out, struct err *err);
/* The case that sent run 'run_id''s problems back. */
int catalog_quality_set_case(struct store_conn *c, int64_t run_id, int64_t case_id,
                             struct err *err);
/* The runs of a dataset, newest first, at most 'max' (accuracy over time). */
int catalog_quality_runs(struct store_conn *c, int64_t dataset_id, size_t max, struct arena *a,
                         struct catalog_quality_run **out, size_t *n, struct err *err);
/* The stored problems of a run by row, at most 'max'. */
int catalog_quality_problems(struct store_conn *c, int64_t run_id, size_t max, struct arena *a,
                             struct catalog_quality_problem **out, size_t *n, struct err *err);
/* The id of the active CATALOG_QUALITY_CATEGORY, 0 when there is none. */
int catalog_quality_category(struct store_conn *c, int64_t *id, struct err *err);

/* Rows written as given, without checks: a register carried over from before the checks
 * existed (the demo's history; the quality run is what finds its problems). rows[i] holds
 * d->nfields values; appended after the last row, regions resolved as an import does. */
int catalog_rows_carry_over(struct store_conn *c, const struct catalog_dataset *d,
                            const char **const *rows, size_t n, int64_t now, struct err *err);

/* A reader over an uploaded table (borrowed; it must outlive the reader), src/tabular's: format
 * "csv" (UTF-8 or GB18030, detected; RFC 4180 quoting) or "xlsx" (the first sheet; dates by
 * their cell format), NULL to tell by the bytes. A malformed file is ERR_BAD_REQUEST naming
 * "file" and the line. close() it. */
int catalog_table_reader(const char *data, size_t len, const char *format, struct catalog_reader *r,
                         struct err *err);

#endif /* GRIDLOOP_CATALOG_CATALOG_H */
