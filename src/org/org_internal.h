/*
 * org_internal: helpers shared by the org_*.c files and nothing else.
 */
#ifndef GRIDLOOP_ORG_ORG_INTERNAL_H
#define GRIDLOOP_ORG_ORG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

/*
 * Check a text field: valid UTF-8, no control characters, at most 'max_cp' code points and,
 * when 'required', not empty or blank. NULL counts as "". ERR_BAD_REQUEST naming 'field'.
 */
int org_check_text(const char *s, const char *field, size_t max_cp, int required,
                   struct err *err);

/*
 * The store reports any constraint failure as ERR_CONFLICT with the driver's text; rewrite
 * it as 'what' (a complete message) so the API can show it. Other codes pass unchanged.
 */
int org_conflict(int rc, struct err *err, const char *what);

#endif /* GRIDLOOP_ORG_ORG_INTERNAL_H */
