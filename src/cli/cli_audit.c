/*
 * gridloop audit verify: walk the audit hash chain and say where it breaks, if it does.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "store/store.h"

int cli_audit(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st;
    struct store_conn *c;
    struct audit_report rep;
    int rc;
    if (argc < 3)
        return err_set(err, ERR_BAD_REQUEST, "'%s' needs a subcommand (see gridloop --help)",
                       argv[1]);
    if ((rc = cli_parse_opts(argc, argv, 3, &o, err)) < 0)
        return rc;
    if (strcmp(argv[2], "verify") != 0)
        return err_set(err, ERR_BAD_REQUEST, "unknown command '%s' (see gridloop --help)", argv[1]);
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        return rc;
    if ((rc = store_conn(st, &c, err)) == 0 && (rc = audit_verify(c, &rep, err)) == 0) {
        if (rep.first_bad_seq) {
            printf("audit chain BROKEN at entry %lld: %s (%lld entries read)\n",
                   (long long)rep.first_bad_seq, rep.reason, (long long)rep.entries);
            rc = err_set(err, ERR_INTEGRITY, "audit chain broken at entry %lld",
                         (long long)rep.first_bad_seq);
        } else {
            printf("audit chain intact: %lld entries\n", (long long)rep.entries);
        }
    }
    store_close(st);
    return rc;
}
