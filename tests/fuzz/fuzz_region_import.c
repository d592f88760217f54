/*
 * libFuzzer target: the region file import (app_region_import): its GeoJSON reader, the org
 * writers behind it and the tiling check (GEOS), on a SQLite database opened once; each input
 * runs in a transaction that is rolled back. Whatever the bytes, the answer is 0 or an input
 * error with a consistent report, and the store stays usable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct store_conn *conn;
static char path[64];

static void remove_db(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char p[80];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static void open_once(void)
{
    struct store_options opt = {0};
    struct err err = ERR_INIT;
    if (conn)
        return;
    log_set_level(LOG_ERROR);
    snprintf(path, sizeof(path), "/tmp/fuzz_region_import.%ld.db", (long)getpid());
    remove_db();
    atexit(remove_db);
    opt.path = path;
    if (store_open(&st, &opt, &err) < 0 || store_conn(st, &conn, &err) < 0) {
        fprintf(stderr, "cannot open %s: %s\n", path, err.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_region_report rep;
    struct err err = ERR_INIT;
    struct arena a;
    open_once();
    if (store_begin(conn, &err) < 0)
        abort();
    arena_init(&a, 4096);
    int rc = app_region_import(conn, (const char *)data, size, 1780000000, &a, &rep, &err);
    store_rollback(conn);
    if (rc != 0 && rc != ERR_BAD_REQUEST)
        abort();
    if (rep.nproblems > APP_REGION_PROBLEMS_MAX || rep.problems_total < (int64_t)rep.nproblems ||
        (rc == 0) != (rep.problems_total == 0) || rep.nissues > APP_REGION_ISSUES_MAX ||
        (int64_t)rep.nissues > rep.gaps + rep.overlaps + rep.outside ||
        rep.created + rep.updated > rep.features)
        abort();
    for (size_t i = 0; i < rep.nproblems; i++)
        if (!rep.problems[i].code || !rep.problems[i].field || !rep.problems[i].message)
            abort();
    arena_release(&a);
    return 0;
}
