/*
 * cli: the commands of the gridloop binary, one file each (cli_<command>.c), as git's
 * builtin/. main.c holds the table that names them (struct cli_command rows) and only wires:
 * it takes the settings out of argv, looks the command up and calls it.
 *
 * A command is the top floor: it calls app and domain functions and prints what they
 * return. Nothing below prints (domain modules return values; the command line and the API
 * decide how a person sees them).
 *
 * Threading: commands run on the main thread; serve starts the others.
 */
#ifndef GRIDLOOP_CLI_CLI_H
#define GRIDLOOP_CLI_CLI_H

#include <stdint.h>

#include "core/conf.h"
#include "core/err.h"

struct store;
struct buf;
struct store_conn;
struct attach_store;

/*
 * A command with the settings loaded (--db, --listen, ... are gone from argv by then):
 * argv[0] is "gridloop", argv[1] the command's name, then its words and options. Returns 0
 * or a negative ERR_* with 'err' filled; main prints it (cli_fail).
 */
typedef int cli_run_fn(int argc, char **argv, const struct conf *cf, struct err *err);

/* A command that sets itself up (some of its forms need no settings): the whole argv as
 * main got it; returns the process exit status. */
typedef int cli_main_fn(int argc, char **argv);

struct cli_command {
    const char *name;
    cli_run_fn *run; /* one of run and main */
    cli_main_fn *main;
    const char *usage; /* its lines of `gridloop --help`, each "  ...\n" */
};

/* ---------------------------------------------------------------- the commands */

int cli_init(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_serve(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_user(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_audit(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_assess(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_open311(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_backup(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_restore(int argc, char **argv, const struct conf *cf, struct err *err);
/* store copy: a SQLite database (possibly being served) into PostgreSQL (cli_store.c). */
int cli_store(int argc, char **argv, const struct conf *cf, struct err *err);
/* address import|export: the standard address register's files (cli_address.c). */
int cli_region(int argc, char **argv, const struct conf *cf, struct err *err);
int cli_address(int argc, char **argv, const struct conf *cf, struct err *err);
/* grant trace: the data grant a leaked export came from (cli_grant.c). */
int cli_grant(int argc, char **argv, const struct conf *cf, struct err *err);
/* triage train|eval|classify|hot work on files and need no settings; `triage train
 * --from-db` loads them (cli_setup). */
int cli_triage(int argc, char **argv);
/* `triage hot`: argv[0] is "hot". */
int cli_triage_hot(int argc, char **argv);

/* ---------------------------------------------------------------- shared by the commands (cli.c) */

/* Settings: defaults, --config file, environment, then the flags in argv (taken out of it);
 * the log level; libsodium. 'cf' is to be released with conf_release even on failure. */
int cli_setup(struct conf *cf, int *argc, char **argv, struct err *err);

/* Print "gridloop: <message>" on stderr; the exit status: 2 for ERR_BAD_REQUEST, else 1. */
int cli_fail(const struct err *err);

/* Command options that are not settings: --name value pairs and bare switches. */
struct cli_opts {
    const char *name, *password, *role, *department, *region, *display_name, *phone, *demo_password,
        *rate_limit, *demo_cases, *demo_addresses, *district, *out, *from, *head, *public_key,
        *format, *geojson;
    int demo, force, with_key;
};

/* Read the options from argv[first] on; anything else is ERR_BAD_REQUEST. */
int cli_parse_opts(int argc, char **argv, int first, struct cli_opts *o, struct err *err);

/* Open the database the settings name: one that exists and holds gridloop's schema
 * (ERR_NOT_FOUND otherwise, saying what to do); it is migrated. */
int cli_open_store(const struct conf *cf, struct store **st, struct err *err);
/* init's: create the database (and its directory) if it is not there. */
int cli_create_store(const struct conf *cf, struct store **st, struct err *err);

/* Where the keys live: data_key_file, else the database path + ".key"; audit_key_file, else
 * the database path + ".audit-key" (conf_db_sidecar for PostgreSQL). Caller frees. */
char *cli_data_key_path(const struct conf *cf);
char *cli_audit_key_path(const struct conf *cf);

/* The data key: 32 random bytes in a file readable by the owner only. Missing: ERR_NOT_FOUND
 * saying to restore it, unless 'create' (init, for a new system only). */
int cli_load_data_key(const struct conf *cf, unsigned char key[32], int create, struct err *err);
/* The Ed25519 seed that signs the audit chain's head (audit.h), the same way: missing is
 * ERR_NOT_FOUND unless 'create'. */
int cli_load_audit_key(const struct conf *cf, unsigned char seed[32], int create, struct err *err);

/* Attachment files: attach_dir, or beside the database (its path + ".files"). */
int cli_open_attachments(const struct conf *cf, struct attach_store **out, struct err *err);

/* ERR_BAD_REQUEST when 'db' is a PostgreSQL URL: 'what' (backup, restore) is for SQLite. */
int cli_refuse_postgres(const char *db, const char *what, struct err *err);
/* Write n bytes to the file at 'path' (created or truncated), or to standard output when path
 * is NULL; ERR_IO naming the file when it cannot be created or written. */
int cli_write_out(const char *path, const char *p, size_t n, struct err *err);
/* Read the regular file at 'path' whole into b (NUL-terminated), its size checked before a byte
 * is read: ERR_BAD_REQUEST naming 'field' when it cannot be opened or is not a file,
 * ERR_TOO_LARGE over 'max' bytes, ERR_IO when reading fails. */
int cli_read_file(const char *path, const char *field, size_t max, struct buf *b, struct err *err);

/* An audit entry by "gridloop cli", in the caller's transaction. */
int cli_audit_append(struct store_conn *c, const char *action, const char *target,
                     const char *after, struct err *err);

/* ---------------------------------------------------------------- store copy's files (cli_store_files.c) */

/* One file beside a database and what the copy does with it. */
enum cli_store_action { CLI_STORE_SKIP, CLI_STORE_COPY, CLI_STORE_REPLACE };
struct cli_store_file {
    char *from, *to;
    enum cli_store_action action;
};
struct cli_store_files {
    struct cli_store_file key, audit_key, triage;
    char *dir_from, *dir_to; /* attachments */
};

/* Where the data key, audit signing key, triage model and attachments of 'from' (a SQLite
 * file) and 'to' (a PostgreSQL URL) live, and what to copy: ERR_CONFLICT if a target file
 * differs from the source's and 'force' is not set. Checked before any row is copied. */
int cli_store_files_plan(const struct conf *cf, const char *from, const char *to, int force,
                         struct cli_store_files *f, struct err *err);
/* Copy them (after the rows); a replaced file is kept as PATH.replaced-<time>. */
int cli_store_files_copy(struct cli_store_files *f, struct err *err);
void cli_store_files_release(struct cli_store_files *f);

/* A database URL for printing: the password, if any, as "***" (caller frees). */
char *cli_store_redact(const char *url);

#endif /* GRIDLOOP_CLI_CLI_H */
