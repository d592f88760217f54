/*
 * org_internal: helpers shared by the org_*.c files and nothing else.
 */
#ifndef GRIDLOOP_ORG_ORG_INTERNAL_H
#define GRIDLOOP_ORG_ORG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct arena;
struct err;
struct store_conn;

/*
 * Check a text field: valid UTF-8, no control characters, at most 'max_cp' code points and,
 * when 'required', not empty or blank. NULL counts as "". ERR_BAD_REQUEST naming 'field'.
 */
int org_check_text(const char *s, const char *field, size_t max_cp, int required, struct err *err);

/*
 * The store reports any constraint failure as ERR_CONFLICT with the driver's text; rewrite
 * it as 'what' (a complete message) so the API can show it. Other codes pass unchanged.
 */
int org_conflict(int rc, struct err *err, const char *what);

/* Reads the current row into one record ('slot', zeroed) with its strings in 'a'. */
typedef void org_read_fn(struct store_stmt *row, struct arena *a, void *slot);

/*
 * One record: the row of 'sql' read into 'out' (zeroed first). When there is none,
 * ERR_NOT_FOUND naming it as the caller asked for it: "region 12 not found" (code NULL) or
 * "region '3301' not found".
 */
int org_read_one(struct store_conn *c, const char *sql, struct store_args args, size_t size,
                 org_read_fn *read, struct arena *a, void *out, const char *what, int64_t id,
                 const char *code, struct err *err);

/* Every row of 'sql' as an array of 'size'-byte records in 'a' (NULL when there is none). */
int org_read_all(struct store_conn *c, const char *sql, struct store_args args, size_t size,
                 org_read_fn *read, struct arena *a, void **out, size_t *n, struct err *err);

#endif /* GRIDLOOP_ORG_ORG_INTERNAL_H */
