/* Shared by the files of the tabular module (tabular.c: rows, CSV; tabular_xlsx.c: XLSX). */
#ifndef GRIDLOOP_TABULAR_TABULAR_INTERNAL_H
#define GRIDLOOP_TABULAR_TABULAR_INTERNAL_H
#include "core/buf.h"
#include "core/vec.h"
#include "tabular/tabular.h"

struct xlsx;

struct tabular {
    const char *format, *encoding;
    struct tabular_limits lim;
    int64_t rows; /* rows returned, the header included */
    int (*next)(struct tabular *t, int64_t *line, struct err *err);
    /* The current row: cells NUL-terminated one after the other in 'text', each starting at
     * offs[i]; ptrs built when the row is complete. */
    struct buf text;
    VEC(size_t) offs;
    VEC(const char *) ptrs;
    /* The last failure, for the user. */
    int64_t err_line;
    char err_zh[160];
    /* CSV: the text (the caller's, or 'owned' after a conversion) and the reading position. */
    char *owned;
    const char *p, *end;
    int64_t line;
    /* XLSX */
    struct xlsx *x;
};

/* Starts a new row. */
void tabular_row_reset(struct tabular *t);
/* Opens a cell (its bytes are then appended to t->text) and closes it: 0, or the failure when
 * the cell is longer than the limit. */
void tabular_cell_open(struct tabular *t);
int tabular_cell_close(struct tabular *t, int64_t line, struct err *err);
/* An empty cell. */
void tabular_cell_empty(struct tabular *t);
/* Fails with ERR_BAD_REQUEST naming "file": "line N: <msg>" (no line when 0), keeping line
 * and the Chinese reason for tabular_error_line/zh. */
int tabular_fail(struct tabular *t, struct err *err, int64_t line, const char *zh, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

/* XLSX (tabular_xlsx.c). */
int tabular_xlsx_open(struct tabular *t, const char *data, size_t len, struct err *err);
void tabular_xlsx_close(struct tabular *t);

#endif /* GRIDLOOP_TABULAR_TABULAR_INTERNAL_H */
