/*
 * store_pg: what the PostgreSQL backend shares with the rest of src/store (store_listen.c's
 * side connections). Internal to src/store.
 */
#ifndef GRIDLOOP_STORE_STORE_PG_H
#define GRIDLOOP_STORE_STORE_PG_H

#include <libpq-fe.h>

struct err;

/* A connection to 'conninfo' (a postgresql:// URL, whose own settings win) with TCP
 * keepalives and the given connect timeout in seconds; NULL with ERR_UNAVAILABLE and libpq's
 * message on one line. The caller owns it (PQfinish). */
PGconn *store_pg_connect(const char *conninfo, const char *application_name,
                         const char *connect_timeout, struct err *err);

#endif /* GRIDLOOP_STORE_STORE_PG_H */
