/*
 * gridloop assess rebuild: compute the assessment's daily roll-ups again from the raw facts,
 * in one transaction (after a bulk load written around the case module, or to check them).
 * The server also builds them at start when they are not built (docs/assessment.md).
 */
#include <stdio.h>
#include <string.h>

#include "case/case.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "store/store.h"

int cli_assess(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st = NULL;
    struct store_conn *c;
    int rc;
    if (argc < 3)
        return err_set(err, ERR_BAD_REQUEST, "'%s' needs a subcommand (see gridloop --help)",
                       argv[1]);
    if ((rc = cli_parse_opts(argc, argv, 3, &o, err)) < 0)
        return rc;
    if (strcmp(argv[2], "rebuild") != 0)
        return err_set(err, ERR_BAD_REQUEST, "unknown command '%s %s' (see gridloop --help)",
                       argv[1], argv[2]);
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        goto out;
    uint64_t t0 = clock_mono_ns();
    if ((rc = store_conn(st, &c, err)) == 0 && (rc = case_rollup_rebuild(c, err)) == 0)
        printf("assessment roll-ups rebuilt in %lld ms\n",
               (long long)((clock_mono_ns() - t0) / 1000000));
out:
    store_close(st);
    return rc;
}
