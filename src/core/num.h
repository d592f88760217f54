/*
 * num: strict parsing of numbers written by clients (ids in paths, query parameters, form
 * values). strtoll and strtod accept far more than a client should send and than any other
 * program would read the same way: leading blanks, "+1", "0x1p3", "inf", "nan", "1e5" for
 * an integer. Here an integer is plain decimal and a number is exactly RFC 8259's grammar, so
 * one spelling means one value everywhere. Pure functions; no state.
 */
#ifndef GRIDLOOP_CORE_NUM_H
#define GRIDLOOP_CORE_NUM_H

#include <stdint.h>

/* "0", or an optional '-' and digits without leading zeros, within int64: 0 and *out, else -1
 * (and *out untouched). */
int num_parse_int(const char *s, int64_t *out);

/* An RFC 8259 number ("-12.5e3"; no '+', no leading zeros, no hex, no inf/nan) whose value
 * is finite: 0 and *out, else -1. */
int num_parse_double(const char *s, double *out);

#endif /* GRIDLOOP_CORE_NUM_H */
