/*
 * The XLSX reader: the first sheet of a workbook, read from the zip with libzip and streamed
 * through libxml2's xmlTextReader (a pull parser), so a sheet is never held whole; only the
 * shared strings and the cell formats are kept. See tabular.h.
 *
 * Parts (ECMA-376): xl/workbook.xml names the sheets in order with their relationship ids,
 * xl/_rels/workbook.xml.rels maps an id to the sheet's part; xl/sharedStrings.xml holds the
 * strings cells of type "s" index; xl/styles.xml maps a cell's style (s) to a number format,
 * which says whether a number is a date serial.
 */
#include <libxml/xmlreader.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "tabular/tabular_internal.h"

#define SHEET_COLS_MAX 16384 /* XFD, Excel's last column */

struct xlsx {
    zip_t *zip;
    size_t unzipped;            /* bytes of XML read so far, every part */
    int too_big;                /* the limit was passed inside a read */
    struct buf sst;             /* shared strings, NUL-terminated one after the other */
    VEC(size_t) sst_off;        /* their offsets */
    VEC(unsigned char) xf_date; /* per cell format (cellXfs index): 1 when a date */
    int date1904;
    xmlTextReaderPtr sheet; /* the sheet being read, NULL when done */
    int64_t row;            /* the last row number seen */
    struct buf val;         /* a cell's text */
    char xml_err[120];      /* libxml2's last message */
    int xml_err_line;
};

/* libxml2's global setup, once (it is not safe to race the first time). */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void)
{
    xmlInitParser();
}

/* ---- parts ---- */

struct part {
    struct xlsx *x;
    zip_file_t *f;
    size_t max;
};

static int part_read(void *ctx, char *buf, int len)
{
    struct part *p = ctx;
    zip_int64_t n = zip_fread(p->f, buf, (zip_uint64_t)len);
    if (n < 0)
        return -1;
    if (p->x->unzipped + (size_t)n > p->max) {
        p->x->too_big = 1;
        return -1;
    }
    p->x->unzipped += (size_t)n;
    return (int)n;
}

static int part_close(void *ctx)
{
    struct part *p = ctx;
    zip_fclose(p->f);
    free(p);
    return 0;
}

static void xml_error(void *arg, xmlErrorPtr e)
{
    struct xlsx *x = arg;
    if (!e || x->xml_err[0])
        return; /* the first error is the one that says why */
    snprintf(x->xml_err, sizeof x->xml_err, "%s", e->message ? e->message : "malformed XML");
    size_t n = strlen(x->xml_err);
    while (n && (x->xml_err[n - 1] == '\n' || x->xml_err[n - 1] == ' '))
        x->xml_err[--n] = '\0';
    x->xml_err_line = e->line;
}

static int bad_zip(struct tabular *t, struct err *err, const char *what)
{
    return tabular_fail(t, err, 0, "文件不是有效的XLSX工作簿",
                        "the file is not an XLSX workbook: %s", what);
}

/* A reader over part 'name'; *r NULL (and 0) when the workbook has no such part. */
static int part_open(struct tabular *t, const char *name, xmlTextReaderPtr *r, struct err *err)
{
    struct xlsx *x = t->x;
    *r = NULL;
    zip_int64_t i = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
    if (i < 0)
        return 0;
    zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)i, 0);
    if (!f)
        return bad_zip(t, err, zip_strerror(x->zip));
    struct part *p = xcalloc(1, sizeof(*p));
    p->x = x;
    p->f = f;
    p->max = t->lim.max_unzipped;
    /* No network, no entity substitution, no DTD loading; a DTD is refused when it shows. */
    *r = xmlReaderForIO(part_read, part_close, p, name, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
    if (!*r)
        return bad_zip(t, err, "the XML reader could not start");
    xmlTextReaderSetStructuredErrorHandler(*r, xml_error, x);
    return 0;
}

static int xml_failed(struct tabular *t, struct err *err, const char *part)
{
    struct xlsx *x = t->x;
    if (x->too_big)
        return tabular_fail(t, err, 0, "工作簿解压后超过上限",
                            "the workbook unpacks to more than %zu bytes", t->lim.max_unzipped);
    return tabular_fail(t, err, x->row > 0 && x->sheet ? x->row : 0, "工作簿内容格式错误",
                        "%s: %s (XML line %d)", part, x->xml_err[0] ? x->xml_err : "malformed XML",
                        x->xml_err_line);
}

/* The next node: 1, 0 at the end, negative on malformed XML or a DTD. */
static int next_node(struct tabular *t, xmlTextReaderPtr r, const char *part, struct err *err)
{
    int rc = xmlTextReaderRead(r);
    if (rc < 0)
        return xml_failed(t, err, part);
    if (rc == 1 && xmlTextReaderNodeType(r) == XML_READER_TYPE_DOCUMENT_TYPE)
        return tabular_fail(t, err, 0, "工作簿内容格式错误", "%s: a DTD is not accepted", part);
    return rc;
}

static int is_elem(xmlTextReaderPtr r, const char *name)
{
    const xmlChar *n = xmlTextReaderConstLocalName(r);
    return n && strcmp((const char *)n, name) == 0;
}

/* The attribute of the current element by local name (any namespace), malloc'ed, or NULL. */
static char *attr(xmlTextReaderPtr r, const char *name)
{
    char *v = NULL;
    if (xmlTextReaderMoveToFirstAttribute(r) != 1)
        return NULL;
    do {
        const xmlChar *n = xmlTextReaderConstLocalName(r);
        if (n && strcmp((const char *)n, name) == 0) {
            const xmlChar *s = xmlTextReaderConstValue(r);
            v = xstrdup(s ? (const char *)s : "");
            break;
        }
    } while (xmlTextReaderMoveToNextAttribute(r) == 1);
    xmlTextReaderMoveToElement(r);
    return v;
}

static int is_text(int type)
{
    return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
           type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

/* Appends s with ECMA-376's _xHHHH_ escapes (a character XML cannot carry) decoded. */
static void append_text(struct buf *b, const char *s)
{
    const char *u = strstr(s, "_x");
    if (!u) {
        buf_puts(b, s);
        return;
    }
    while (*s) {
        unsigned cp = 0;
        int ok = s[0] == '_' && s[1] == 'x' && s[6] == '_';
        for (int i = 2; ok && i < 6; i++) {
            char c = s[i];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0)
                ok = 0;
            cp = cp * 16 + (unsigned)v;
        }
        if (!ok || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0) {
            buf_putc(b, *s++);
            continue;
        }
        char u8[3];
        if (cp < 0x80) {
            buf_putc(b, (char)cp);
        } else if (cp < 0x800) {
            u8[0] = (char)(0xc0 | (cp >> 6));
            u8[1] = (char)(0x80 | (cp & 0x3f));
            buf_append(b, u8, 2);
        } else {
            u8[0] = (char)(0xe0 | (cp >> 12));
            u8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
            u8[2] = (char)(0x80 | (cp & 0x3f));
            buf_append(b, u8, 3);
        }
        s += 7;
    }
}

/* ---- workbook, relationships, shared strings, styles ---- */

/* The first sheet's relationship id, and the date system. */
static int read_workbook(struct tabular *t, char **rid, struct err *err)
{
    xmlTextReaderPtr r;
    const char *part = "xl/workbook.xml";
    int rc = part_open(t, part, &r, err);
    if (rc < 0)
        return rc;
    if (!r)
        return bad_zip(t, err, "no xl/workbook.xml");
    while ((rc = next_node(t, r, part, err)) == 1) {
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
            continue;
        if (is_elem(r, "workbookPr")) {
            char *v = attr(r, "date1904");
            t->x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
            free(v);
        } else if (is_elem(r, "sheet") && !*rid) {
            *rid = attr(r, "id");
            break;
        }
    }
    xmlFreeTextReader(r);
    return rc < 0 ? rc : 0;
}

/* The part of relationship 'rid' ("xl/worksheets/sheet1.xml"), malloc'ed, or NULL. */
static int read_rels(struct tabular *t, const char *rid, char **target, struct err *err)
{
    xmlTextReaderPtr r;
    const char *part = "xl/_rels/workbook.xml.rels";
    int rc = part_open(t, part, &r, err);
    if (rc < 0 || !r)
        return rc;
    while (!*target && (rc = next_node(t, r, part, err)) == 1) {
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT || !is_elem(r, "Relationship"))
            continue;
        char *id = attr(r, "Id"), *to = attr(r, "Target");
        if (id && to && strcmp(id, rid) == 0) {
            struct buf b;
            buf_init(&b);
            if (to[0] == '/')
                buf_puts(&b, to + 1);
            else
                buf_printf(&b, "xl/%s", to);
            *target = buf_detach(&b, NULL);
        }
        free(id);
        free(to);
    }
    xmlFreeTextReader(r);
    return rc < 0 ? rc : 0;
}

static int read_shared_strings(struct tabular *t, struct err *err)
{
    struct xlsx *x = t->x;
    xmlTextReaderPtr r;
    const char *part = "xl/sharedStrings.xml";
    int rc = part_open(t, part, &r, err);
    if (rc < 0 || !r)
        return rc;
    int in_si = 0, in_t = 0, rph = 0;
    while ((rc = next_node(t, r, part, err)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(r);
            if (is_elem(r, "si")) {
                vec_append(&x->sst_off, x->sst.len);
                if (empty)
                    buf_putc(&x->sst, '\0');
                else
                    in_si = 1;
            } else if (in_si && is_elem(r, "rPh") && !empty) {
                rph++; /* phonetic runs: a reading aid, not the text */
            } else if (in_si && is_elem(r, "t") && !empty) {
                in_t = 1;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (is_elem(r, "si") && in_si) {
                buf_putc(&x->sst, '\0');
                in_si = 0;
            } else if (is_elem(r, "rPh") && rph) {
                rph--;
            } else if (is_elem(r, "t")) {
                in_t = 0;
            }
        } else if (is_text(type) && in_si && in_t && !rph) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            append_text(&x->sst, v ? (const char *)v : "");
            if (x->sst.len - *vec_last(&x->sst_off) > t->lim.max_cell) {
                rc = tabular_fail(t, err, 0, NULL,
                                  "a cell of %zu bytes is longer than the limit %zu",
                                  x->sst.len - *vec_last(&x->sst_off), t->lim.max_cell);
                break;
            }
        }
    }
    if (rc == 0 && in_si)
        buf_putc(&x->sst, '\0');
    xmlFreeTextReader(r);
    return rc < 0 ? rc : 0;
}

static int read_styles(struct tabular *t, struct err *err)
{
    struct xlsx *x = t->x;
    xmlTextReaderPtr r;
    const char *part = "xl/styles.xml";
    int rc = part_open(t, part, &r, err);
    if (rc < 0 || !r)
        return rc;
    struct custom {
        int id, date;
    };
    VEC(struct custom) custom = VEC_INIT;
    int in_xfs = 0;
    while ((rc = next_node(t, r, part, err)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_END_ELEMENT && is_elem(r, "cellXfs")) {
            in_xfs = 0;
            continue;
        }
        if (type != XML_READER_TYPE_ELEMENT)
            continue;
        if (is_elem(r, "numFmt")) {
            char *id = attr(r, "numFmtId"), *code = attr(r, "formatCode");
            if (id) {
                struct custom *c = vec_push(&custom);
                c->id = (int)strtol(id, NULL, 10);
                c->date = tabular_numfmt_is_date(c->id, code);
            }
            free(id);
            free(code);
        } else if (is_elem(r, "cellXfs")) {
            in_xfs = !xmlTextReaderIsEmptyElement(r);
        } else if (in_xfs && is_elem(r, "xf")) {
            char *id = attr(r, "numFmtId");
            int n = id ? (int)strtol(id, NULL, 10) : 0, date = -1;
            for (size_t i = 0; i < custom.n; i++)
                if (custom.v[i].id == n)
                    date = custom.v[i].date;
            if (date < 0)
                date = tabular_numfmt_is_date(n, NULL);
            vec_append(&x->xf_date, (unsigned char)date);
            free(id);
        }
    }
    vec_release(&custom);
    xmlFreeTextReader(r);
    return rc < 0 ? rc : 0;
}

/* ---- the sheet ---- */

/* "AB12" → column 27 (0-based); -1 when there are no letters or too many. */
static int col_of_ref(const char *ref)
{
    int c = 0, n = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++, n++) {
        c = c * 26 + (*ref - 'A' + 1);
        if (c > SHEET_COLS_MAX)
            return -1;
    }
    return n ? c - 1 : -1;
}

/* A number as Excel shows it in General: the stored text, unless it carries more than 15
 * significant digits (binary noise such as 0.30000000000000004) or an exponent. */
static void put_number(struct buf *b, const char *v)
{
    int sig = 0, lead = 1;
    for (const char *p = v; *p; p++) {
        if (*p >= '1' && *p <= '9')
            lead = 0;
        if (*p >= '0' && *p <= '9' && !lead)
            sig++;
    }
    if (sig <= 15 && !strpbrk(v, "eE")) {
        buf_puts(b, v);
        return;
    }
    char *end;
    double d = strtod(v, &end);
    if (*end || !isfinite(d)) {
        buf_puts(b, v);
        return;
    }
    if (d == floor(d) && fabs(d) < 1e15)
        buf_printf(b, "%.0f", d);
    else
        buf_printf(b, "%.15g", d);
}

struct cell {
    int col;
    char type[12];
    int style;
    int has_value;
};

/* The cell's value (its text in x->val) as a new cell of the row, after empty cells up to its
 * column. */
static int put_cell(struct tabular *t, const struct cell *c, struct err *err)
{
    struct xlsx *x = t->x;
    const char *v = x->val.p;
    if (!c->has_value || !*v)
        return 0; /* an empty cell: a gap like any other */
    if ((size_t)c->col >= t->lim.max_cols)
        return tabular_fail(t, err, x->row, NULL, "more than %zu columns", t->lim.max_cols);
    if ((size_t)c->col < t->offs.n)
        return tabular_fail(t, err, x->row, "工作簿内容格式错误",
                            "cell %d comes after a cell to its right", c->col + 1);
    while (t->offs.n < (size_t)c->col)
        tabular_cell_empty(t);
    tabular_cell_open(t);
    if (strcmp(c->type, "s") == 0) {
        char *end;
        long i = strtol(v, &end, 10);
        if (*end || end == v || i < 0 || (size_t)i >= x->sst_off.n)
            return tabular_fail(t, err, x->row, "工作簿内容格式错误",
                                "shared string %s does not exist", v);
        buf_puts(&t->text, x->sst.p + x->sst_off.v[i]);
    } else if (strcmp(c->type, "b") == 0) {
        buf_puts(&t->text, strcmp(v, "1") == 0 ? "TRUE" : "FALSE");
    } else if (strcmp(c->type, "n") == 0 || !c->type[0]) {
        char *end;
        double d = strtod(v, &end);
        char date[20];
        if (c->style >= 0 && (size_t)c->style < x->xf_date.n && x->xf_date.v[c->style] && !*end &&
            tabular_serial_date(d, x->date1904, date) == 0)
            buf_puts(&t->text, date);
        else
            put_number(&t->text, v);
    } else { /* inlineStr, str (a formula's text), e (an error such as #N/A), d (ISO date) */
        buf_puts(&t->text, v);
    }
    return tabular_cell_close(t, x->row, err);
}

/* The next row of the sheet into t's row; 1, 0 at the end, negative on failure. */
static int xlsx_next(struct tabular *t, int64_t *line, struct err *err)
{
    struct xlsx *x = t->x;
    xmlTextReaderPtr r = x->sheet;
    if (!r)
        return 0;
    const char *part = "the sheet";
    int rc, in_row = 0, in_v = 0, in_is = 0, in_t = 0, rph = 0;
    struct cell c = {0};
    int in_cell = 0, next_col = 0;
    while ((rc = next_node(t, r, part, err)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(r);
            if (is_elem(r, "row")) {
                char *n = attr(r, "r");
                long rn = n ? strtol(n, NULL, 10) : 0;
                free(n);
                x->row = rn > x->row && rn <= 1048576 ? rn : x->row + 1;
                *line = x->row;
                next_col = 0;
                if (empty)
                    return 1;
                in_row = 1;
            } else if (in_row && is_elem(r, "c")) {
                char *ref = attr(r, "r"), *ty = attr(r, "t"), *s = attr(r, "s");
                c = (struct cell){0};
                c.col = ref ? col_of_ref(ref) : next_col;
                snprintf(c.type, sizeof c.type, "%s", ty ? ty : "");
                c.style = s ? (int)strtol(s, NULL, 10) : -1;
                free(ref);
                free(ty);
                free(s);
                if (c.col < 0)
                    return tabular_fail(t, err, x->row, "工作簿内容格式错误",
                                        "a cell reference is not a column");
                next_col = c.col + 1;
                buf_reset(&x->val);
                in_cell = !empty;
            } else if (in_cell && is_elem(r, "v") && !empty) {
                in_v = 1;
                c.has_value = 1;
            } else if (in_cell && is_elem(r, "is") && !empty) {
                in_is = 1;
                c.has_value = 1;
            } else if (in_is && is_elem(r, "rPh") && !empty) {
                rph++;
            } else if (in_is && is_elem(r, "t") && !empty) {
                in_t = 1;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (is_elem(r, "row") && in_row) {
                return 1;
            } else if (is_elem(r, "c") && in_cell) {
                in_cell = in_v = in_is = in_t = rph = 0;
                if ((rc = put_cell(t, &c, err)) < 0)
                    return rc;
            } else if (is_elem(r, "v")) {
                in_v = 0;
            } else if (is_elem(r, "is")) {
                in_is = 0;
            } else if (is_elem(r, "rPh") && rph) {
                rph--;
            } else if (is_elem(r, "t")) {
                in_t = 0;
            } else if (is_elem(r, "sheetData")) {
                break;
            }
        } else if (is_text(type) && (in_v || (in_t && !rph))) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            if (in_t)
                append_text(&x->val, v ? (const char *)v : "");
            else
                buf_puts(&x->val, v ? (const char *)v : "");
            if (x->val.len > t->lim.max_cell)
                return tabular_fail(t, err, x->row, NULL,
                                    "a cell of %zu bytes is longer than the limit %zu", x->val.len,
                                    t->lim.max_cell);
        }
    }
    if (rc < 0)
        return rc;
    xmlFreeTextReader(x->sheet);
    x->sheet = NULL;
    if (in_row)
        return tabular_fail(t, err, x->row, "工作簿内容格式错误", "the sheet ends inside a row");
    return 0;
}

int tabular_xlsx_open(struct tabular *t, const char *data, size_t len, struct err *err)
{
    pthread_once(&xml_once, xml_init);
    t->format = "xlsx";
    t->encoding = "utf-8";
    t->next = xlsx_next;
    struct xlsx *x = t->x = xcalloc(1, sizeof(*x));
    buf_init(&x->sst);
    buf_init(&x->val);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (src)
        x->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!x->zip) {
        char what[120];
        snprintf(what, sizeof what, "%s", zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return bad_zip(t, err, what);
    }
    zip_error_fini(&ze);
    char *rid = NULL, *target = NULL;
    int rc = read_workbook(t, &rid, err);
    if (rc == 0 && rid)
        rc = read_rels(t, rid, &target, err);
    if (rc == 0)
        rc = read_shared_strings(t, err);
    if (rc == 0)
        rc = read_styles(t, err);
    if (rc == 0) {
        const char *sheet = target ? target : "xl/worksheets/sheet1.xml";
        rc = part_open(t, sheet, &x->sheet, err);
        if (rc == 0 && !x->sheet)
            rc = bad_zip(t, err, "the first sheet is missing");
    }
    free(rid);
    free(target);
    return rc;
}

void tabular_xlsx_close(struct tabular *t)
{
    struct xlsx *x = t->x;
    if (!x)
        return;
    if (x->sheet)
        xmlFreeTextReader(x->sheet);
    if (x->zip)
        zip_discard(x->zip);
    buf_release(&x->sst);
    buf_release(&x->val);
    vec_release(&x->sst_off);
    vec_release(&x->xf_date);
    free(x);
    t->x = NULL;
}

/* ---- dates ---- */

int tabular_numfmt_is_date(int id, const char *code)
{
    /* Built-in formats: 14-22 (dates and times), 45-47 (times); 27-36 and 50-58 are the dates
     * of the Chinese, Japanese and Korean locales. */
    if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
        (id >= 50 && id <= 58))
        return 1;
    if (!code)
        return 0;
    /* A custom format shows a date when, outside quoted text, [..] sections and escaped
     * characters, it has a date or time letter. */
    for (const char *p = code; *p; p++) {
        char ch = *p;
        if (ch == '"') {
            const char *q = strchr(p + 1, '"');
            if (!q)
                return 0;
            p = q;
        } else if (ch == '[') {
            const char *q = strchr(p + 1, ']');
            if (!q)
                return 0;
            p = q;
        } else if (ch == '\\' || ch == '_' || ch == '*') {
            if (!p[1])
                return 0;
            p++;
        } else if ((ch == 'G' || ch == 'g') && strncasecmp(p, "general", 7) == 0) {
            p += 6;
        } else if (strchr("yYmMdDhHsS", ch)) {
            return 1;
        }
    }
    return 0;
}

int tabular_serial_date(double serial, int date1904, char out[20])
{
    out[0] = '\0';
    if (!(serial >= 0) || serial >= 2958466.0)
        return -1;
    double whole = floor(serial);
    int64_t days = (int64_t)whole;
    int64_t secs = llround((serial - whole) * 86400.0);
    if (secs >= 86400) {
        days++;
        secs -= 86400;
    }
    int hh = (int)(secs / 3600), mi = (int)(secs / 60 % 60), ss = (int)(secs % 60);
    char tmp[80]; /* what the compiler cannot prove fits, out gets only when it does */
    if (days == 0 && !date1904) {
        snprintf(tmp, sizeof tmp, "%02d:%02d:%02d", hh, mi, ss);
        memcpy(out, tmp, 9);
        return 0;
    }
    int y, m, d;
    if (date1904) {
        clock_civil_from_days(days - 24107, &y, &m, &d);
    } else if (days == 60) { /* Lotus 1-2-3's 29 February 1900, kept by Excel */
        y = 1900;
        m = 2;
        d = 29;
    } else {
        clock_civil_from_days(days < 60 ? days - 25568 : days - 25569, &y, &m, &d);
    }
    if (y > 9999)
        return -1;
    int n;
    if (secs)
        n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, hh, mi, ss);
    else
        n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
    if (n < 0 || n > 19)
        return -1;
    memcpy(out, tmp, (size_t)n + 1);
    return 0;
}
