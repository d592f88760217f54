/*
 * gridloop grant trace --db DB FILE: which data grant a leaked export came from
 * (docs/data-sharing.md, "水印"). Every row of an export carries an invisible mark chosen by the
 * keyed hash of the grant's watermark key over the row; the file's marks are scored against
 * every grant's key. The true grant agrees on (nearly) every row, any other on about half.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "grant/grant.h"
#include "store/store.h"

#define TRACE_FILE_MAX (1024u << 20)

int cli_grant(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st = NULL;
    struct store_conn *c;
    struct arena a;
    struct buf b;
    struct grant_trace_result res;
    const char *verb = argc > 2 ? argv[2] : "";
    int rc;
    if (strcmp(verb, "trace") != 0 || argc < 4 || argv[3][0] == '-')
        return err_set(err, ERR_BAD_REQUEST, "usage: gridloop grant trace --db DB FILE");
    const char *path = argv[3];
    if ((rc = cli_parse_opts(argc, argv, 4, &o, err)) < 0)
        return rc;
    buf_init(&b);
    if ((rc = cli_read_file(path, "file", TRACE_FILE_MAX, &b, err)) < 0) {
        buf_release(&b);
        return rc;
    }
    if ((rc = cli_open_store(cf, &st, err)) < 0) {
        buf_release(&b);
        return rc;
    }
    arena_init(&a, 1 << 16);
    if ((rc = store_conn(st, &c, err)) == 0 &&
        (rc = grant_trace_file(c, b.p, b.len, &a, &res, err)) == 0) {
        if (!res.marked)
            printf("%s: no marks: %zu rows, none carries a watermark\n", path, res.rows);
        else if (res.grant_id)
            printf("%s: grant %lld (%s, %s): score %.1f%% over %zu marked rows\n", path,
                   (long long)res.grant_id, res.department_name, res.dataset_name, res.score * 100,
                   res.marked);
        else
            printf("%s: no grant: the best (grant %lld) scores %.1f%% over %zu marked rows\n", path,
                   (long long)res.best_id, res.score * 100, res.marked);
    }
    arena_release(&a);
    store_close(st);
    buf_release(&b);
    return rc;
}
