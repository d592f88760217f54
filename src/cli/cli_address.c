/*
 * gridloop address import|export: the standard address register's files (docs/maps.md) from
 * the command line, the same reader and writer as POST/GET /api/v1/address-register/...
 * An import is one transaction with its audit entry: every failing line is printed and
 * nothing is written unless the whole file is good.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr/addr.h"
#include "app/app.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "store/store.h"

/* A file read whole: larger than any district's register, small enough for memory. */
#define FILE_MAX (256u << 20)

static int read_file(const char *path, struct buf *b, struct err *err)
{
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_NOT_FOUND, "cannot open '%s': %s", path, strerror(errno));
    /* The size is known before a byte is read. */
    if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return err_set(err, ERR_BAD_REQUEST, "'%s' is not a file", path);
    }
    if ((uint64_t)sb.st_size > FILE_MAX) {
        fclose(f);
        return err_set(err, ERR_TOO_LARGE, "'%s' is larger than %u MiB", path, FILE_MAX >> 20);
    }
    buf_grow(b, (size_t)sb.st_size + 1);
    size_t n = fread(b->p, 1, (size_t)sb.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n != (size_t)sb.st_size)
        return err_set(err, ERR_IO, "cannot read '%s'", path);
    b->len = n;
    b->p[n] = '\0';
    return 0;
}

static const char *format_of(const char *flag, const char *path)
{
    if (flag)
        return flag;
    size_t n = path ? strlen(path) : 0;
    return n > 4 && strcmp(path + n - 4, ".csv") == 0 ? "csv" : "geojson";
}

static int import(struct store_conn *c, const char *path, const char *format, struct arena *a,
                  struct err *err)
{
    struct app_addr_report rep;
    struct geo_index *grids = NULL;
    struct clock clk = clock_real();
    struct buf b;
    int fmt = app_addr_format_from_name(format_of(format, path));
    int rc;
    if (!fmt)
        return err_field(err, ERR_BAD_REQUEST, "format", "--format is geojson or csv");
    buf_init(&b);
    if ((rc = read_file(path, &b, err)) < 0 || (rc = app_grids_build(c, a, &grids, err)) < 0 ||
        (rc = store_begin(c, err)) < 0)
        goto out;
    rc = app_addr_import(c, grids, (enum app_addr_format)fmt, b.p, b.len, clock_now(&clk), a, &rep,
                         err);
    if (rc == ERR_BAD_REQUEST && rep.problems_total) {
        store_rollback(c);
        const char *where = fmt == APP_ADDR_CSV ? "line" : "feature";
        for (size_t i = 0; i < rep.nproblems; i++) {
            const struct app_addr_problem *p = &rep.problems[i];
            if (p->line)
                fprintf(stderr, "%s:%s %lld: %s%s%s\n", path, where, (long long)p->line, p->field,
                        *p->field ? ": " : "", p->message);
            else
                fprintf(stderr, "%s: %s\n", path, p->message);
        }
        if ((int64_t)rep.nproblems < rep.problems_total)
            fprintf(stderr, "%s: ... and %lld more\n", path,
                    (long long)(rep.problems_total - (int64_t)rep.nproblems));
        goto out;
    }
    const char *after =
        arena_printf(a, "{\"format\":\"%s\",\"rows\":%lld,\"bytes\":%zu}",
                     app_addr_format_name((enum app_addr_format)fmt), (long long)rep.rows, b.len);
    if (rc < 0 || (rc = cli_audit_append(c, "addr.import", "address-register", after, err)) < 0) {
        store_rollback(c);
        goto out;
    }
    if ((rc = store_commit(c, err)) < 0)
        goto out;
    printf("imported %lld rows from %s: %lld roads, %lld buildings, %lld address points, "
           "%lld places, %lld areas\n",
           (long long)rep.rows, path, (long long)rep.written[ADDR_ROAD],
           (long long)rep.written[ADDR_BUILDING], (long long)rep.written[ADDR_POINT],
           (long long)rep.written[ADDR_PLACE], (long long)rep.written[ADDR_AREA]);
out:
    geo_index_free(grids);
    buf_release(&b);
    return rc;
}

static int export(struct store_conn *c, const char *format, const char *out_path, struct arena *a,
                  struct err *err)
{
    int fmt = app_addr_format_from_name(format ? format : "geojson");
    struct buf b;
    int rc;
    if (!fmt)
        return err_field(err, ERR_BAD_REQUEST, "format", "--format is geojson or csv");
    buf_init(&b);
    if ((rc = app_addr_export(c, (enum app_addr_format)fmt, a, &b, err)) < 0)
        goto out;
    rc = cli_write_out(out_path, b.p, b.len, err);
out:
    buf_release(&b);
    return rc;
}

int cli_address(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st = NULL;
    struct store_conn *c;
    struct arena a;
    const char *verb = argc > 2 ? argv[2] : "";
    int first = 3, rc;
    const char *file = NULL;
    if (strcmp(verb, "import") == 0 && argc > 3 && strncmp(argv[3], "--", 2) != 0) {
        file = argv[3];
        first = 4;
    }
    if (strcmp(verb, "import") == 0 ? !file : strcmp(verb, "export") != 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "usage: gridloop address import --db DB FILE [--format geojson|csv] | "
                       "address export --db DB [--format geojson|csv] [--out FILE]");
    if ((rc = cli_parse_opts(argc, argv, first, &o, err)) < 0)
        return rc;
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        return rc;
    arena_init(&a, 1 << 16);
    if ((rc = store_conn(st, &c, err)) == 0)
        rc = file ? import(c, file, o.format, &a, err) : export(c, o.format, o.out, &a, err);
    arena_release(&a);
    store_close(st);
    return rc;
}
