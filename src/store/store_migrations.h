/*
 * store_migrations: the numbered schema migrations, generated at build time from
 * migrations/NNNN_name.sql (cmake/embed.cmake). Applied in order, each in one transaction.
 */
#ifndef GRIDLOOP_STORE_STORE_MIGRATIONS_H
#define GRIDLOOP_STORE_STORE_MIGRATIONS_H

struct store_migration {
    int version;
    const char *name;
    const char *sql;
};

/* Ends with a row whose version is 0. */
extern const struct store_migration store_migrations[];

#endif /* GRIDLOOP_STORE_STORE_MIGRATIONS_H */
