/*
 * gridloop region import|export: region files (a GeoJSON FeatureCollection of streets,
 * communities, grids and micro-grids, docs/grid.md §1) from the command line, the same reader
 * and writer as POST /api/v1/regions/import and GET /api/v1/regions/export. An import is one
 * transaction with its audit entry: it exits 0 only when every feature was imported; otherwise
 * every refused feature is printed and nothing is written. The tiling report (gaps, overlaps,
 * regions reaching outside their parent) is printed either way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"

/* A file read whole: a city of 25,000 grids is some tens of MiB. */
#define FILE_MAX (512u << 20)

static void print_issues(const char *path, const struct app_region_report *rep)
{
    for (size_t i = 0; i < rep->nissues; i++) {
        const struct app_region_issue *s = &rep->issues[i];
        if (strcmp(s->kind, "gap") == 0)
            fprintf(stderr,
                    "%s: warning: gap of %.1f m2 in '%s' not covered by its children "
                    "(near %.6f, %.6f)\n",
                    path, s->area_m2, s->parent_code, s->lat, s->lon);
        else if (strcmp(s->kind, "overlap") == 0)
            fprintf(stderr, "%s: warning: '%s' and '%s' overlap by %.1f m2 (near %.6f, %.6f)\n",
                    path, s->code, s->other_code, s->area_m2, s->lat, s->lon);
        else
            fprintf(stderr,
                    "%s: warning: %.1f m2 of '%s' lie outside its parent '%s' "
                    "(near %.6f, %.6f)\n",
                    path, s->area_m2, s->code, s->parent_code, s->lat, s->lon);
    }
    int64_t all = rep->gaps + rep->overlaps + rep->outside;
    if ((int64_t)rep->nissues < all)
        fprintf(stderr, "%s: ... and %lld more warnings\n", path,
                (long long)(all - (int64_t)rep->nissues));
}

static int import(struct store_conn *c, const char *path, struct arena *a, struct err *err)
{
    struct app_region_report rep;
    struct clock clk = clock_real();
    struct buf b;
    int rc;
    buf_init(&b);
    if ((rc = cli_read_file(path, "geojson", FILE_MAX, &b, err)) < 0 ||
        (rc = store_begin(c, err)) < 0)
        goto out;
    rc = app_region_import(c, b.p, b.len, clock_now(&clk), a, &rep, err);
    if (rc == ERR_BAD_REQUEST && rep.problems_total) {
        store_rollback(c);
        for (size_t i = 0; i < rep.nproblems; i++) {
            const struct app_region_problem *p = &rep.problems[i];
            if (p->feature)
                fprintf(stderr, "%s: feature %lld%s%s%s: %s%s%s\n", path, (long long)p->feature,
                        *p->code ? " '" : "", p->code, *p->code ? "'" : "", p->field,
                        *p->field ? ": " : "", p->message);
            else
                fprintf(stderr, "%s: %s%s%s%s%s\n", path, *p->code ? p->code : "",
                        *p->code ? ": " : "", p->field, *p->field ? ": " : "", p->message);
        }
        if ((int64_t)rep.nproblems < rep.problems_total)
            fprintf(stderr, "%s: ... and %lld more\n", path,
                    (long long)(rep.problems_total - (int64_t)rep.nproblems));
        print_issues(path, &rep);
        goto out;
    }
    const char *after = arena_printf(
        a,
        "{\"features\":%lld,\"created\":%lld,\"updated\":%lld,\"gaps\":%lld,\"overlaps\":%lld,"
        "\"outside\":%lld,\"bytes\":%zu}",
        (long long)rep.features, (long long)rep.created, (long long)rep.updated,
        (long long)rep.gaps, (long long)rep.overlaps, (long long)rep.outside, b.len);
    if (rc < 0 || (rc = cli_audit_append(c, "region.import", "regions", after, err)) < 0) {
        store_rollback(c);
        goto out;
    }
    if ((rc = store_commit(c, err)) < 0)
        goto out;
    print_issues(path, &rep);
    printf("imported %lld regions from %s (%lld new, %lld updated): %lld streets, "
           "%lld communities, %lld grids, %lld micro-grids; %lld gaps, %lld overlaps, "
           "%lld outside their parent\n",
           (long long)rep.features, path, (long long)rep.created, (long long)rep.updated,
           (long long)rep.levels[ORG_REGION_STREET], (long long)rep.levels[ORG_REGION_COMMUNITY],
           (long long)rep.levels[ORG_REGION_GRID], (long long)rep.levels[ORG_REGION_MICRO],
           (long long)rep.gaps, (long long)rep.overlaps, (long long)rep.outside);
out:
    buf_release(&b);
    return rc;
}

static int export(struct store_conn *c, const char *within, const char *out_path, struct arena *a,
                  struct err *err)
{
    struct buf b;
    int rc;
    buf_init(&b);
    if ((rc = app_region_export(c, within, a, &b, err)) < 0)
        goto out;
    rc = cli_write_out(out_path, b.p, b.len, err);
out:
    buf_release(&b);
    return rc;
}

int cli_region(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st = NULL;
    struct store_conn *c;
    struct arena a;
    const char *verb = argc > 2 ? argv[2] : "";
    int rc;
    if (strcmp(verb, "import") != 0 && strcmp(verb, "export") != 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "usage: gridloop region import --db FILE --geojson FILE | "
                       "region export --db FILE [--region CODE] [--out FILE]");
    if ((rc = cli_parse_opts(argc, argv, 3, &o, err)) < 0)
        return rc;
    int import_verb = strcmp(verb, "import") == 0;
    if (import_verb && !o.geojson)
        return err_field(err, ERR_BAD_REQUEST, "geojson",
                         "usage: gridloop region import --db FILE --geojson FILE");
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        return rc;
    arena_init(&a, 1 << 16);
    if ((rc = store_conn(st, &c, err)) == 0)
        rc = import_verb ? import(c, o.geojson, &a, err) : export(c, o.region, o.out, &a, err);
    arena_release(&a);
    store_close(st);
    return rc;
}
