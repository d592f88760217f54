/*
 * store_dialect: where SQLite and PostgreSQL differ, in one place.
 *
 * Statements: the domain writes one SQL text for both ('?' placeholders, standard functions;
 * PostgreSQL gets instr() and group_concat() from migration 0001's compatibility functions).
 * The PostgreSQL backend numbers the placeholders. The few queries that must differ (the
 * full-text index) ask store_dialect() and pick their text.
 *
 * Migrations: one numbered file per step for both backends. For PostgreSQL the script is
 * rewritten: INTEGER is BIGINT (times and ids do not fit 32 bits), REAL is DOUBLE
 * PRECISION, BLOB is BYTEA, "INTEGER PRIMARY KEY" is an identity column. Lines between
 * "-- @sqlite" and "-- @end" are SQLite's only; a line "-- @postgresql SQL" is
 * PostgreSQL's only (a comment to SQLite).
 *
 * Internal to src/store. Ownership: the functions return malloc'd text the caller frees.
 */
#ifndef GRIDLOOP_STORE_STORE_DIALECT_H
#define GRIDLOOP_STORE_STORE_DIALECT_H

#include "store/store.h" /* enum store_dialect */

/* '?' to '$1', '$2', ... outside quotes and comments; *n gets the count. NULL on an
 * unterminated quote. */
char *store_dialect_placeholders(const char *sql, int *n);

/* A migration script for the given dialect. */
char *store_dialect_script(enum store_dialect d, const char *sql);

#endif /* GRIDLOOP_STORE_STORE_DIALECT_H */
