/*
 * The reader's rows and limits, encoding detection and the CSV reader (RFC 4180). See
 * tabular.h; the XLSX reader is tabular_xlsx.c.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "tabular/tabular_internal.h"

/* ---- rows ---- */

void tabular_row_reset(struct tabular *t)
{
    buf_reset(&t->text);
    vec_clear(&t->offs);
}

void tabular_cell_open(struct tabular *t)
{
    vec_append(&t->offs, t->text.len);
}

int tabular_cell_close(struct tabular *t, int64_t line, struct err *err)
{
    size_t len = t->text.len - *vec_last(&t->offs);
    if (len > t->lim.max_cell)
        return tabular_fail(t, err, line, NULL, "a cell of %zu bytes is longer than the limit %zu",
                            len, t->lim.max_cell);
    buf_putc(&t->text, '\0');
    return 0;
}

void tabular_cell_empty(struct tabular *t)
{
    tabular_cell_open(t);
    buf_putc(&t->text, '\0');
}

int tabular_fail(struct tabular *t, struct err *err, int64_t line, const char *zh, const char *fmt,
                 ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->err_line = line;
    /* The limits' reasons carry their figure; the others are given. */
    if (zh)
        snprintf(t->err_zh, sizeof t->err_zh, "%s", zh);
    else if (strstr(msg, "a cell of"))
        snprintf(t->err_zh, sizeof t->err_zh, "单元格内容超过%zu字节的上限", t->lim.max_cell);
    else if (strstr(msg, "columns"))
        snprintf(t->err_zh, sizeof t->err_zh, "列数超过%zu列的上限", t->lim.max_cols);
    else if (strstr(msg, "rows"))
        snprintf(t->err_zh, sizeof t->err_zh, "行数超过%lld行的上限", (long long)t->lim.max_rows);
    else
        snprintf(t->err_zh, sizeof t->err_zh, "文件格式错误");
    if (line > 0)
        return err_field(err, ERR_BAD_REQUEST, "file", "line %lld: %s", (long long)line, msg);
    return err_field(err, ERR_BAD_REQUEST, "file", "%s", msg);
}

/* ---- CSV ---- */

static int too_many_cols(struct tabular *t, int64_t line, struct err *err)
{
    return tabular_fail(t, err, line, NULL, "more than %zu columns", t->lim.max_cols);
}

/* One record (RFC 4180): cells separated by ',', ended by CRLF, LF or CR; a quoted cell may
 * hold separators, line ends and doubled quotes. Text after a closing quote is kept as Excel
 * keeps it ("ab"c → abc). */
static int csv_next(struct tabular *t, int64_t *line, struct err *err)
{
    const char *p = t->p, *end = t->end;
    if (p >= end)
        return 0;
    *line = t->line;
    int64_t nl = 0; /* line ends inside quotes */
    for (;;) {
        if (t->offs.n == t->lim.max_cols)
            return too_many_cols(t, *line, err);
        tabular_cell_open(t);
        if (p < end && *p == '"') {
            p++;
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (!q)
                    return tabular_fail(t, err, *line, "引号未闭合",
                                        "a quoted value is not closed");
                for (const char *s = memchr(p, '\n', (size_t)(q - p)); s;
                     s = memchr(s + 1, '\n', (size_t)(q - s - 1)))
                    nl++;
                buf_append(&t->text, p, (size_t)(q - p));
                p = q + 1;
                if (p < end && *p == '"') {
                    buf_putc(&t->text, '"');
                    p++;
                    continue;
                }
                break;
            }
        }
        const char *s = p;
        while (p < end && *p != ',' && *p != '\n' && *p != '\r')
            p++;
        buf_append(&t->text, s, (size_t)(p - s));
        int rc = tabular_cell_close(t, *line, err);
        if (rc < 0)
            return rc;
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        break;
    }
    t->p = p;
    t->line += 1 + nl;
    return 1;
}

/* GB18030 → UTF-8 into t->owned; the line of the first byte that is neither on failure. */
static int from_gb18030(struct tabular *t, const char *data, size_t len, struct err *err)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return err_set(err, ERR_INTERNAL, "iconv has no GB18030 converter");
    size_t cap = mem_size_add(mem_size_mul(len, 3) / 2, 16);
    char *out = xmalloc(cap);
    char *ip = (char *)data, *op = out;
    size_t inleft = len, outleft = cap;
    int rc = 0;
    while (inleft) {
        if (iconv(cd, &ip, &inleft, &op, &outleft) != (size_t)-1)
            break;
        if (errno == E2BIG) {
            size_t used = (size_t)(op - out);
            cap = mem_size_mul(cap, 2);
            out = xrealloc(out, cap);
            op = out + used;
            outleft = cap - used;
            continue;
        }
        int64_t line = 1;
        for (const char *q = data; q < ip; q++)
            line += *q == '\n';
        rc = tabular_fail(t, err, line, "文件编码无法识别（应为UTF-8或GB18030）",
                          "the file is neither UTF-8 nor GB18030");
        break;
    }
    iconv_close(cd);
    if (rc < 0) {
        free(out);
        return rc;
    }
    t->owned = out;
    t->p = out;
    t->end = op;
    /* A GB18030 BOM (84 31 95 33) became U+FEFF. */
    if (t->end - t->p >= 3 && memcmp(t->p, "\xef\xbb\xbf", 3) == 0)
        t->p += 3;
    t->encoding = "gb18030";
    return 0;
}

static int csv_open(struct tabular *t, const char *data, size_t len, struct err *err)
{
    t->format = "csv";
    t->encoding = "utf-8";
    t->next = csv_next;
    t->line = 1;
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return tabular_fail(t, err, 0, "文件是XLSX工作簿，不是CSV",
                            "the file is a zip archive (an XLSX workbook?), not CSV");
    if (len >= 2 && (memcmp(data, "\xff\xfe", 2) == 0 || memcmp(data, "\xfe\xff", 2) == 0))
        return tabular_fail(t, err, 1, "不支持UTF-16编码，请另存为UTF-8或GB18030",
                            "UTF-16 is not supported; save the file as UTF-8 or GB18030");
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        int64_t line = 1;
        for (const char *q = data; q < nul; q++)
            line += *q == '\n';
        return tabular_fail(t, err, line, "文件不是文本表格", "the file is not a text table");
    }
    t->p = data;
    t->end = data + len;
    if (utf8_invalid_at(data, len) < 0)
        return 0;
    return from_gb18030(t, data, len, err);
}

/* ---- the reader ---- */

int tabular_open(const char *data, size_t len, const char *format, const struct tabular_limits *lim,
                 struct tabular **out, struct err *err)
{
    *out = NULL;
    if (!format)
        format = len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0 ? "xlsx" : "csv";
    if (strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
        return err_field(err, ERR_BAD_REQUEST, "format", "format must be csv or xlsx");
    struct tabular *t = xcalloc(1, sizeof(*t));
    if (lim)
        t->lim = *lim;
    if (!t->lim.max_cols)
        t->lim.max_cols = TABULAR_COLS_MAX;
    if (!t->lim.max_cell)
        t->lim.max_cell = TABULAR_CELL_MAX;
    if (!t->lim.max_rows)
        t->lim.max_rows = TABULAR_ROWS_MAX;
    if (!t->lim.max_unzipped)
        t->lim.max_unzipped = TABULAR_UNZIPPED_MAX;
    buf_init(&t->text);
    *out = t;
    return strcmp(format, "csv") == 0 ? csv_open(t, data ? data : "", data ? len : 0, err)
                                      : tabular_xlsx_open(t, data, len, err);
}

int tabular_next(struct tabular *t, const char *const **cells, size_t *n, int64_t *line,
                 struct err *err)
{
    *cells = NULL;
    *n = 0;
    *line = 0;
    tabular_row_reset(t);
    int rc = t->next(t, line, err);
    if (rc <= 0)
        return rc;
    if (t->rows > t->lim.max_rows) /* the header is row 0 */
        return tabular_fail(t, err, *line, NULL, "more than %lld rows", (long long)t->lim.max_rows);
    t->rows++;
    vec_clear(&t->ptrs);
    vec_reserve(&t->ptrs, t->offs.n + 1);
    for (size_t i = 0; i < t->offs.n; i++)
        vec_append(&t->ptrs, t->text.p + t->offs.v[i]);
    *cells = t->ptrs.v;
    *n = t->offs.n;
    return 1;
}

const char *tabular_format(const struct tabular *t)
{
    return t->format;
}

const char *tabular_encoding(const struct tabular *t)
{
    return t->encoding;
}

int64_t tabular_error_line(const struct tabular *t)
{
    return t->err_line;
}

const char *tabular_error_zh(const struct tabular *t)
{
    return t->err_zh;
}

void tabular_close(struct tabular *t)
{
    if (!t)
        return;
    tabular_xlsx_close(t);
    free(t->owned);
    buf_release(&t->text);
    vec_release(&t->offs);
    vec_release(&t->ptrs);
    free(t);
}

int tabular_read(const char *data, size_t len, const char *format, const struct tabular_limits *lim,
                 tabular_row_fn header, tabular_row_fn row, void *ud, struct tabular_info *info,
                 struct err *err)
{
    struct tabular *t;
    if (info)
        memset(info, 0, sizeof(*info));
    int rc = tabular_open(data, len, format, lim, &t, err);
    if (!t)
        return rc;
    if (info) {
        info->format = t->format;
        info->encoding = t->encoding;
    }
    const char *const *cells;
    size_t n;
    int64_t line;
    int first = 1;
    while (rc == 0 && (rc = tabular_next(t, &cells, &n, &line, err)) > 0) {
        if (first && header) {
            first = 0;
            rc = header(ud, line, n, cells);
        } else {
            first = 0;
            if (info)
                info->rows++;
            rc = row(ud, line, n, cells);
        }
        if (rc != 0)
            break;
        rc = 0;
    }
    if (rc > 0)
        rc = 0; /* the callback stopped */
    if (rc < 0 && info) {
        info->error_line = t->err_line;
        snprintf(info->error_zh, sizeof info->error_zh, "%s", t->err_zh);
    }
    tabular_close(t);
    return rc;
}
