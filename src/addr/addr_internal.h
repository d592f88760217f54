/*
 * addr_internal: helpers shared by the addr_*.c files and nothing else.
 */
#ifndef GRIDLOOP_ADDR_ADDR_INTERNAL_H
#define GRIDLOOP_ADDR_ADDR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct store_conn;

/* A text field: valid UTF-8, no control characters, at most 'max_cp' code points and, when
 * 'required', not blank. NULL counts as "". ERR_BAD_REQUEST naming 'field'. */
int addr_check_text(const char *s, const char *field, size_t max_cp, int required, struct err *err);

/* The table of a kind ("addr_roads", ...); NULL for an unknown kind. */
const char *addr_table(int kind);

#endif /* GRIDLOOP_ADDR_ADDR_INTERNAL_H */
