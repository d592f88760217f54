/*
 * The checks both tabular fuzz targets make (fuzz_tabular_csv.c, fuzz_tabular_xlsx.c): whatever
 * the bytes, rows come in growing line order with NUL-terminated valid UTF-8 cells within the
 * limits, and a failure is an input error naming the file with a Chinese reason.
 */
#ifndef GRIDLOOP_FUZZ_TABULAR_CHECK_H
#define GRIDLOOP_FUZZ_TABULAR_CHECK_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "tabular/tabular.h"

static void tabular_check(const uint8_t *data, size_t size, const char *format,
                          const struct tabular_limits *lim)
{
    struct err err = ERR_INIT;
    struct tabular *t;
    int rc = tabular_open((const char *)data, size, format, lim, &t, &err);
    const char *const *cells;
    size_t n;
    int64_t line, last = 0;
    while (rc == 0 && (rc = tabular_next(t, &cells, &n, &line, &err)) > 0) {
        if (n > lim->max_cols || line <= last)
            abort();
        last = line;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(cells[i]);
            if (len > lim->max_cell || utf8_invalid_at(cells[i], len) >= 0)
                abort();
        }
        rc = 0;
    }
    if (rc < 0 &&
        (err.code != ERR_BAD_REQUEST || strcmp(err.field, "file") != 0 || !*tabular_error_zh(t)))
        abort();
    tabular_close(t);
}

#endif
