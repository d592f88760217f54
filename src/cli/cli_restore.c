/*
 * gridloop restore: put a backup made by gridloop backup back in place, checked against its
 * manifest before anything is written and by the audit chain before it is renamed into
 * place (app_restore, docs/backup.md).
 */
#include <stdio.h>

#include "app/app.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/mem.h"

int cli_restore(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct app_restore_report rep;
    struct arena a;
    int rc;
    if ((rc = cli_parse_opts(argc, argv, 2, &o, err)) < 0)
        return rc;
    if (!o.from)
        return err_set(err, ERR_BAD_REQUEST, "restore needs --from DIR (a gridloop backup)");
    if ((rc = cli_refuse_postgres(cf->db, "restore", err)) < 0)
        return rc;
    arena_init(&a, 4096);
    if ((rc = app_restore(cf, o.from, o.force, &a, &rep, err)) == 0) {
        const struct app_backup_manifest *m = &rep.m;
        char at[32];
        clock_format_utc(m->created_at, at);
        printf("restored %s from %s (backup of %s at %s)%s in %.2f s\n", cf->db, o.from, m->source,
               at, rep.replaced ? ", replacing the database that was there" : "", rep.seconds);
        printf("schema version %d; %lld cases, %lld case events, %lld audit entries, as the "
               "manifest says\n",
               m->schema_version, (long long)m->cases, (long long)m->case_events,
               (long long)m->audit_entries);
        printf("audit chain intact: %lld entries\n", (long long)rep.audit_entries_verified);
    }
    arena_release(&a);
    return rc;
}
