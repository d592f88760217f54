/*
 * tabular: an uploaded table, CSV or XLSX, read row by row as NUL-terminated UTF-8 cells
 * (issue 17). The first row is the header; the caller decides what the columns mean.
 *
 * - CSV: RFC 4180 (quoted cells, doubled quotes, newlines inside quotes, CRLF or LF), a UTF-8
 *   BOM dropped. The encoding is detected: UTF-8 when the whole file is valid UTF-8, else
 *   GB18030 (converted with glibc's iconv); tabular_encoding() says which. A file that is
 *   neither is refused naming the line of the first byte that is not.
 * - XLSX: the first sheet of the workbook (workbook.xml and its relationships), read from the
 *   zip with libzip and streamed through libxml2's reader: shared strings, inline strings,
 *   numbers, booleans, formula results, and numbers whose cell format is a date (built-in or
 *   custom) converted from the serial to "YYYY-MM-DD" (with " hh:mm:ss" when the serial has a
 *   time of day; 1900 and 1904 date systems). A workbook with a DTD is refused.
 *
 * Limits are decided before reading (struct tabular_limits); passing one is an error naming
 * the line. Errors are ERR_BAD_REQUEST with field "file" and an English message starting with
 * "line N: ..."; tabular_error_line() and tabular_error_zh() give the line and a Chinese reason
 * for the user.
 *
 * Ownership: the input bytes are borrowed and must outlive the reader (tabular_close); cells
 * are valid until the next tabular_next() or tabular_close(). Not thread-safe per reader;
 * separate readers may run in separate threads. Prints nothing.
 */
#ifndef GRIDLOOP_TABULAR_TABULAR_H
#define GRIDLOOP_TABULAR_TABULAR_H
#include <stddef.h>
#include <stdint.h>

struct err;

#define TABULAR_COLS_MAX 1024              /* default: columns of a row */
#define TABULAR_CELL_MAX 65536             /* default: bytes of one cell (UTF-8) */
#define TABULAR_ROWS_MAX 5000000           /* default: rows after the header */
#define TABULAR_UNZIPPED_MAX (1024u << 20) /* default: bytes of XML read out of an XLSX */

struct tabular_limits {
    size_t max_cols;     /* 0 = TABULAR_COLS_MAX */
    size_t max_cell;     /* 0 = TABULAR_CELL_MAX */
    int64_t max_rows;    /* 0 = TABULAR_ROWS_MAX; the header is not counted */
    size_t max_unzipped; /* 0 = TABULAR_UNZIPPED_MAX */
};

struct tabular;

/*
 * Opens data (len bytes, borrowed) as format "csv" or "xlsx" (NULL: "xlsx" when the data is a
 * zip archive, else "csv"). lim NULL = the defaults. ERR_BAD_REQUEST for an unknown format
 * (field "format", *out NULL) or a file that is not what it says or has a bad encoding (field
 * "file"): *out is then still the reader, so tabular_error_line/zh can say why; the caller
 * calls tabular_close(*out) in every case.
 */
int tabular_open(const char *data, size_t len, const char *format, const struct tabular_limits *lim,
                 struct tabular **out, struct err *err);

/*
 * The next row: *cells its n cells (n may be 0 for an XLSX row with no value), *line its line
 * in the file (CSV: the physical line where the record starts, 1-based; XLSX: the sheet's row
 * number). Returns 1 for a row, 0 at the end, negative on a malformed file or a limit passed
 * (err set, naming the line). The first row returned is the header.
 */
int tabular_next(struct tabular *t, const char *const **cells, size_t *n, int64_t *line,
                 struct err *err);

const char *tabular_format(const struct tabular *t);   /* "csv" | "xlsx" */
const char *tabular_encoding(const struct tabular *t); /* "utf-8" | "gb18030" */
/* After a failure: the line it names (0 when none) and a Chinese reason ("" when none). */
int64_t tabular_error_line(const struct tabular *t);
const char *tabular_error_zh(const struct tabular *t);
/* Accepts NULL. */
void tabular_close(struct tabular *t);

/* Called for each row by tabular_read: 0 go on, 1 stop, negative fail (returned). */
typedef int (*tabular_row_fn)(void *ud, int64_t line, size_t n, const char *const *cells);

struct tabular_info {
    const char *format, *encoding; /* static strings */
    int64_t rows;                  /* data rows passed to 'row' */
    int64_t error_line;            /* after a malformed file: its line (0 when none) */
    char error_zh[160];            /* and its Chinese reason ("" when none) */
};

/*
 * The whole table: header(ud, line, n, cells) once for the first row (NULL: the first row goes
 * to 'row' like the others), then row(...) for each further row. info may be NULL.
 */
int tabular_read(const char *data, size_t len, const char *format, const struct tabular_limits *lim,
                 tabular_row_fn header, tabular_row_fn row, void *ud, struct tabular_info *info,
                 struct err *err);

/* Excel date serial → "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss" (or "hh:mm:ss" below 1) in out
 * (at least 20 bytes); date1904 for the 1904 system. 0, or -1 when out of 0..9999-12-31. */
int tabular_serial_date(double serial, int date1904, char out[20]);
/* 1 when an Excel number format (its id and, for custom ids, its code, NULL if none) shows a
 * date or time. */
int tabular_numfmt_is_date(int id, const char *code);

#endif /* GRIDLOOP_TABULAR_TABULAR_H */
