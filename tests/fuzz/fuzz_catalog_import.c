/*
 * libFuzzer target: a dataset import (catalog_table_reader, catalog_import): src/tabular's CSV
 * reader with encoding detection (UTF-8 / GB18030) or its XLSX reader, the header's mapping to fields and every field type's
 * validator, into a dataset of every type on a SQLite database opened once; each input runs in a
 * transaction that is rolled back. Whatever the bytes, the answer is 0 or an input error whose
 * report is consistent, and the store stays usable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct store_conn *conn;
static char path[64];
static struct arena keep;
static struct catalog_dataset ds;

/* clang-format off */
static const struct catalog_field FIELDS[] = {
    {"name",   "姓名",     "name",        "name",    1, 1, 1, 0, 0, 0, 0, 0},
    {"id_no",  "身份证号", "id_card",     "id_card", 2, 4, 0, 1, 0, 0, 0, 0},
    {"code",   "信用代码", "credit_code", "none",    3, 1, 0, 0, 0, 0, 0, 0},
    {"mobile", "手机",     "mobile",      "mobile",  4, 1, 0, 0, 0, 0, 0, 0},
    {"phone",  "电话",     "phone",       "phone",   5, 1, 0, 0, 0, 0, 0, 0},
    {"day",    "日期",     "date",        "none",    6, 1, 0, 0, 0, 0, 0, 0},
    {"n",      "整数",     "integer",     "none",    7, 1, 0, 0, 0, 0, 0, 0},
    {"x",      "数值",     "number",      "none",    8, 1, 0, 0, 0, 0, 0, 0},
    {"mail",   "邮箱",     "email",       "email",   9, 1, 0, 0, 0, 0, 0, 0},
    {"addr",   "地址",     "address",     "address", 10, 1, 0, 0, 0, 0, 0, 0},
    {"area",   "区域",     "region",      "none",    11, 1, 0, 0, 0, 0, 0, 0},
    {"note",   "备注",     "text",        "none",    12, 1, 0, 0, 0, 0, 0, 0},
};
/* clang-format on */

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
    int64_t id;
    if (conn)
        return;
    log_set_level(LOG_ERROR);
    snprintf(path, sizeof(path), "/tmp/fuzz_catalog_import.%ld.db", (long)getpid());
    remove_db();
    atexit(remove_db);
    opt.path = path;
    arena_init(&keep, 4096);
    struct catalog_dataset_in in = {
        NULL,     "样例",      "",       1, "general", "none", "conditional",
        "closed", "irregular", "import", 5, 1,         FIELDS, sizeof(FIELDS) / sizeof(FIELDS[0])};
    if (store_open(&st, &opt, &err) < 0 || store_conn(st, &conn, &err) < 0 ||
        store_run(conn,
                  "INSERT INTO departments (id, code, name, created_at, updated_at)"
                  " VALUES (1, 'D', '部门', 0, 0)",
                  STORE_NO_ARGS, &err) < 0 ||
        store_run(conn,
                  "INSERT INTO regions (id, code, name, level, created_at, updated_at)"
                  " VALUES (1, '330179', '澜溪区', 'district', 0, 0),"
                  " (2, '330179001', '青石街道', 'street', 0, 0)",
                  STORE_NO_ARGS, &err) < 0 ||
        store_run(conn, "UPDATE regions SET parent_id = 1 WHERE id = 2", STORE_NO_ARGS, &err) < 0 ||
        catalog_dataset_create(conn, &in, 0, 1780000000, &id, &err) < 0 ||
        catalog_dataset_get(conn, id, &keep, &ds, &err) < 0) {
        fprintf(stderr, "cannot prepare %s: %s\n", path, err.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catalog_import_report rep;
    struct catalog_reader r = {0};
    struct err err = ERR_INIT;
    struct arena a;
    if (size < 1)
        return 0;
    open_once();
    arena_init(&a, 4096);
    /* The first byte: append or replace, and CSV or XLSX. */
    int rc = catalog_table_reader((const char *)data + 1, size - 1, data[0] & 2 ? "xlsx" : "csv",
                                  &r, &err);
    memset(&rep, 0, sizeof(rep));
    if (rc == 0) {
        if (store_begin(conn, &err) < 0)
            abort();
        rc = catalog_import(conn, &ds, &r, data[0] & 1 ? "append" : "replace", "f.csv", 0,
                            1780000000, &a, &rep, &err);
        store_rollback(conn);
        r.close(r.ud);
        if (rc == 0 && (rep.errors_total || rep.rows_loaded != rep.rows_read))
            abort();
    }
    if (rc != 0 && rc != ERR_BAD_REQUEST)
        abort();
    if (rep.nerrors > CATALOG_ERRORS_MAX || rep.errors_total < (int64_t)rep.nerrors)
        abort();
    for (size_t i = 0; i < rep.nerrors; i++)
        if (!rep.errors[i].reason || !rep.errors[i].field || rep.errors[i].line < 1)
            abort();
    arena_release(&a);
    return 0;
}
