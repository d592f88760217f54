/*
 * Signals between the processes of one database (store.h, "several nodes"): NOTIFY inside a
 * transaction, a LISTEN connection of its own, and a session advisory lock that elects one
 * process for the background jobs. PostgreSQL only; on SQLite there is one process, so a
 * notification has nobody to reach, nobody listens and the one process always leads.
 *
 * The listener and the lock each hold a libpq connection outside the per-thread pool of
 * store.c: a LISTEN and a session lock live as long as their connection, and a pooled
 * connection is reconnected behind its owner's back (store_pg.c), which would end both
 * silently.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "store/store_pg.h"

int store_notify(struct store_conn *c, const char *channel, const char *payload, struct err *err)
{
    if (store_dialect(c) != STORE_POSTGRESQL)
        return 0;
    if (strlen(payload) >= STORE_NOTIFY_MAX)
        return err_set(err, ERR_INTERNAL, "notification payload of %zu bytes is too long",
                       strlen(payload));
    int rc = store_one(c, "SELECT pg_notify(?, ?)",
                       STORE_ARGS(store_text(channel), store_text(payload)), NULL, NULL, err);
    return rc < 0 ? rc : 0;
}

/* A dedicated connection with the same settings as the pool's (store_pg_connect). */
static PGconn *side_connect(struct store *st, struct err *err)
{
    return store_pg_connect(store_options(st)->path, "gridloop-side", "5", err);
}

/* Run a command; 0, or ERR_UNAVAILABLE with the connection closed. */
static int side_exec(PGconn **pg, const char *sql, char *first, size_t nfirst, struct err *err)
{
    PGresult *r = PQexec(*pg, sql);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        err_set(err, ERR_UNAVAILABLE, "PostgreSQL: %s",
                r ? PQresultErrorMessage(r) : PQerrorMessage(*pg));
        PQclear(r);
        PQfinish(*pg);
        *pg = NULL;
        return ERR_UNAVAILABLE;
    }
    if (first && nfirst) {
        first[0] = 0;
        if (PQntuples(r) > 0 && PQnfields(r) > 0)
            snprintf(first, nfirst, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return 0;
}

/* ---------------------------------------------------------------- listener */

struct store_listener {
    struct store *st;
    char *listen_sql; /* LISTEN "channel" */
    char *channel;
    PGconn *pg;
};

int store_listener_new(struct store *st, const char *channel, struct store_listener **out,
                       struct err *err)
{
    *out = NULL;
    if (!store_is_postgresql(store_options(st)->path))
        return 0;
    struct store_listener *l = xcalloc(1, sizeof(*l));
    l->st = st;
    l->channel = xstrdup(channel);
    /* An identifier, not a value: LISTEN takes no parameters. Only [a-z_] names are made. */
    for (const char *p = channel; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_')) {
            free(l->channel);
            free(l);
            return err_set(err, ERR_INTERNAL, "bad channel name '%s'", channel);
        }
    size_t n = strlen(channel) + 16;
    l->listen_sql = xmalloc(n);
    snprintf(l->listen_sql, n, "LISTEN %s", channel);
    *out = l;
    return 0;
}

void store_listener_free(struct store_listener *l)
{
    if (!l)
        return;
    if (l->pg)
        PQfinish(l->pg);
    free(l->listen_sql);
    free(l->channel);
    free(l);
}

static void drain(struct store_listener *l, store_notify_fn *fn, void *ctx)
{
    PGnotify *n;
    while ((n = PQnotifies(l->pg)) != NULL) {
        if (strcmp(n->relname, l->channel) == 0)
            fn(ctx, n->extra ? n->extra : "");
        PQfreemem(n);
    }
}

int store_listener_wait(struct store_listener *l, int timeout_ms, int wake_fd, store_notify_fn *fn,
                        void *ctx, struct err *err)
{
    int fresh = 0;
    if (!l->pg) {
        if (!(l->pg = side_connect(l->st, err)))
            return ERR_UNAVAILABLE;
        if (side_exec(&l->pg, l->listen_sql, NULL, 0, err) < 0)
            return ERR_UNAVAILABLE;
        fresh = 1;
    }
    struct pollfd p[2] = {{.fd = PQsocket(l->pg), .events = POLLIN},
                          {.fd = wake_fd, .events = POLLIN}};
    int rc = poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms);
    if (rc < 0 && errno != EINTR)
        return err_set(err, ERR_INTERNAL, "poll: %s", strerror(errno));
    if (rc > 0 && p[0].revents) {
        /* Readable with nothing to read is the server closing the connection. */
        if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK) {
            drain(l, fn, ctx);
            err_set(err, ERR_UNAVAILABLE, "listener connection lost: %s", PQerrorMessage(l->pg));
            PQfinish(l->pg);
            l->pg = NULL;
            return ERR_UNAVAILABLE;
        }
    }
    drain(l, fn, ctx);
    return fresh;
}

int store_listener_send(struct store_listener *l, const char *payload, struct err *err)
{
    if (!l->pg)
        return err_set(err, ERR_UNAVAILABLE, "listener not connected");
    if (strlen(payload) >= STORE_NOTIFY_MAX)
        return err_set(err, ERR_INTERNAL, "notification payload too long");
    const char *vals[] = {l->channel, payload};
    PGresult *r = PQexecParams(l->pg, "SELECT pg_notify($1, $2)", 2, NULL, vals, NULL, NULL, 0);
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!ok) {
        err_set(err, ERR_UNAVAILABLE, "notify: %s", PQerrorMessage(l->pg));
        PQfinish(l->pg);
        l->pg = NULL;
        return ERR_UNAVAILABLE;
    }
    return 0;
}

/* ---------------------------------------------------------------- leader lock */

struct store_leader {
    struct store *st;
    int64_t key;
    int sqlite;
    int held;
    PGconn *pg;
};

int store_leader_new(struct store *st, int64_t key, struct store_leader **out, struct err *err)
{
    (void)err;
    struct store_leader *l = xcalloc(1, sizeof(*l));
    l->st = st;
    l->key = key;
    l->sqlite = !store_is_postgresql(store_options(st)->path);
    *out = l;
    return 0;
}

void store_leader_free(struct store_leader *l)
{
    if (!l)
        return;
    if (l->pg)
        PQfinish(l->pg); /* the server releases the session lock with the connection */
    free(l);
}

int store_leader_hold(struct store_leader *l, struct err *err)
{
    if (l->sqlite)
        return 1;
    char v[32];
    if (l->held) {
        /* Still ours while the connection lives: a round trip proves it does. */
        if (l->pg && PQstatus(l->pg) == CONNECTION_OK &&
            side_exec(&l->pg, "SELECT 1", NULL, 0, err) == 0)
            return 1;
        l->held = 0;
        if (l->pg)
            PQfinish(l->pg);
        l->pg = NULL;
        return 0;
    }
    if (!l->pg && !(l->pg = side_connect(l->st, err)))
        return 0;
    char sql[64];
    snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", (long long)l->key);
    if (side_exec(&l->pg, sql, v, sizeof(v), err) < 0)
        return 0;
    l->held = v[0] == 't';
    return l->held;
}

int store_leader_peers(struct store_leader *l, int64_t *n, struct err *err)
{
    *n = 1;
    if (l->sqlite)
        return 0;
    if (!l->pg)
        return err_set(err, ERR_UNAVAILABLE, "lock connection not open");
    /* Every process keeps two side connections (this one and its listener) named so. */
    char v[32];
    int rc = side_exec(&l->pg,
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND application_name = 'gridloop-side'",
                       v, sizeof(v), err);
    if (rc < 0) {
        l->held = 0;
        return rc;
    }
    int64_t conns = strtoll(v, NULL, 10);
    *n = conns > 2 ? (conns + 1) / 2 : 1;
    return 0;
}
