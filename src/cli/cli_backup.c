/*
 * gridloop backup: an online copy of a SQLite database (while gridloop serve keeps writing),
 * with its triage model, data key and a manifest of checksums (app_backup, docs/backup.md).
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "cli/cli.h"
#include "core/mem.h"

/* PostgreSQL is backed up by its own tools; say so rather than fail on a "file" named so. */
int cli_refuse_postgres(const char *db, const char *what, struct err *err)
{
    if (strncmp(db, "postgresql://", 13) != 0 && strncmp(db, "postgres://", 11) != 0)
        return 0;
    return err_set(err, ERR_BAD_REQUEST,
                   "gridloop %s works on a SQLite database file; for PostgreSQL use pg_basebackup "
                   "and WAL archiving (docs/backup.md)",
                   what);
}

int cli_backup(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct app_backup_report rep;
    struct arena a;
    int rc;
    if ((rc = cli_parse_opts(argc, argv, 2, &o, err)) < 0)
        return rc;
    if (!o.out)
        return err_set(err, ERR_BAD_REQUEST, "backup needs --out DIR (a new or empty directory)");
    if ((rc = cli_refuse_postgres(cf->db, "backup", err)) < 0)
        return rc;
    arena_init(&a, 4096);
    if ((rc = app_backup(cf, o.out, o.with_key, &a, &rep, err)) == 0) {
        const struct app_backup_manifest *m = &rep.m;
        printf("backup of %s in %s (%.2f s)\n", m->source, o.out, rep.seconds);
        for (int r = 0; r < APP_BACKUP_ROLES; r++)
            if (m->files[r].present)
                printf("  %-16s %12lld bytes  sha256 %s\n",
                       app_backup_file_name((enum app_backup_role)r), (long long)m->files[r].size,
                       m->files[r].sha256);
        printf("schema version %d; %lld cases, %lld case events, %lld audit entries (head %lld)\n",
               m->schema_version, (long long)m->cases, (long long)m->case_events,
               (long long)m->audit_entries, (long long)m->audit_seq);
        if (!m->data_key_sha256[0])
            printf("note: no data key found: without the one in use the phone numbers in this "
                   "backup cannot be read\n");
        else if (!m->files[APP_BACKUP_DATA_KEY].present)
            printf("data key not copied (sha256 %s): keep it apart from the backups; restore "
                   "checks it\n",
                   m->data_key_sha256);
        else
            printf("note: %s holds the data key (--with-key): whoever reads it reads every phone "
                   "number\n",
                   o.out);
    }
    arena_release(&a);
    return rc;
}
