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

/* Masking by a field's rule (none name id_card mobile phone address credit_code email full
 * year), GB/T 35273 style: 张*, 110105********1234, 138****8000, the address cut after its
 * community. Arena result; "" stays "". */
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

#endif /* GRIDLOOP_GRANT_GRANT_H */
