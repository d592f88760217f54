/*
 * Tests for src/tabular: CSV by RFC 4180 (quotes, doubled quotes, newlines in quotes, CRLF,
 * BOM), GB18030 detection, the limits naming the line, XLSX workbooks written by libxlsxwriter
 * read back (shared and inline strings, numbers, dates by built-in and custom formats, booleans,
 * gaps), hand-made workbooks (1904 dates, rich text, phonetic runs) and malformed zips and XML
 * that must fail with an error, not crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "core/buf.h"
#include "core/err.h"
#include "tabular/tabular.h"
#include "test.h"

/* The table as "line:cell|cell\n" lines, or "ERR <line> <zh>: <message>" at the first failure;
 * malloc'ed. */
static char *dump(const char *data, size_t len, const char *format,
                  const struct tabular_limits *lim, const char **encoding)
{
    struct buf b;
    buf_init(&b);
    struct err err = ERR_INIT;
    struct tabular *t;
    int rc = tabular_open(data, len, format, lim, &t, &err);
    if (rc == 0) {
        if (encoding)
            *encoding = tabular_encoding(t);
        const char *const *cells;
        size_t n;
        int64_t line;
        while ((rc = tabular_next(t, &cells, &n, &line, &err)) > 0) {
            buf_printf(&b, "%lld:", (long long)line);
            for (size_t i = 0; i < n; i++)
                buf_printf(&b, "%s%s", i ? "|" : "", cells[i]);
            buf_putc(&b, '\n');
        }
    }
    if (rc < 0) {
        CHECK(strcmp(err.field, "file") == 0 || strcmp(err.field, "format") == 0,
              "errors name the file: %s", err.field);
        buf_reset(&b);
        buf_printf(&b, "ERR %lld %s: %s", t ? (long long)tabular_error_line(t) : -1LL,
                   t ? tabular_error_zh(t) : "", err.msg);
    }
    tabular_close(t);
    return buf_detach(&b, NULL);
}

static int starts(const char *got, const char *want)
{
    return got && strncmp(got, want, strlen(want)) == 0;
}

static void csv_is(const char *csv, const char *want)
{
    char *got = dump(csv, strlen(csv), "csv", NULL, NULL);
    CHECK_STR_EQ(got, want, "csv %s", csv);
    free(got);
}

/* Starts with want (for errors, whose English message follows). */
static void csv_fails(const char *csv, size_t len, const struct tabular_limits *lim,
                      const char *want)
{
    char *got = dump(csv, len, "csv", lim, NULL);
    CHECK(strncmp(got, want, strlen(want)) == 0, "csv %s: got %s, want %s...", csv, got, want);
    free(got);
}

TEST(tabular_csv_rfc4180)
{
    csv_is("a,b\n1,2\n", "1:a|b\n2:1|2\n");
    csv_is("a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n");           /* CRLF */
    csv_is("a,b\n1,2", "1:a|b\n2:1|2\n");                 /* no final line end */
    csv_is("a,b\r1,2\r", "1:a|b\n2:1|2\n");               /* CR alone */
    csv_is("a,,c\n,,\n", "1:a||c\n2:||\n");               /* empty cells */
    csv_is("\"a,b\",c\n", "1:a,b|c\n");                   /* separator in quotes */
    csv_is("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x\n"); /* doubled quotes */
    csv_is("\"\"\n", "1:\n");                             /* an empty quoted cell */
    /* A newline inside quotes stays in the cell, and the next record's line counts it. */
    csv_is("name,addr\n张三,\"北京市\n东城区\"\n李四,上海\n",
           "1:name|addr\n2:张三|北京市\n东城区\n4:李四|上海\n");
    csv_is("a\n\"x\r\ny\"\nb\n", "1:a\n2:x\r\ny\n4:b\n");
    csv_is("\xef\xbb\xbfid,name\n1,x\n", "1:id|name\n2:1|x\n"); /* UTF-8 BOM dropped */
    csv_is("a\n\nb\n", "1:a\n2:\n3:b\n");                       /* a blank line is a row */
    csv_is("ab\"c,d\n", "1:ab\"c|d\n"); /* a quote inside an unquoted cell is text */
    csv_is("\"ab\"c,d\n", "1:abc|d\n"); /* text after the closing quote kept (Excel) */
    csv_is("", "");
}

TEST(tabular_csv_errors_name_the_line)
{
    csv_fails("a,b\n1,2\n3,\"open\n4,5\n", 20, NULL, "ERR 3 引号未闭合: line 3: a quoted value");
    struct tabular_limits lim = {.max_cols = 3, .max_cell = 5, .max_rows = 2};
    csv_fails("a,b,c\n1,2,3\n1,2,3,4\n", 20, &lim, "ERR 3 列数超过3列的上限: line 3: more than 3");
    csv_fails("a,b\n\"1\n2\",123456\n", 17, &lim, "ERR 2 单元格内容超过5字节的上限: line 2:");
    csv_fails("h\n1\n2\n3\n", 8, &lim, "ERR 4 行数超过2行的上限: line 4: more than 2 rows");
    csv_fails("a,b\n1,\0\n", 8, NULL, "ERR 2 文件不是文本表格");
    csv_fails("\xff\xfe"
              "a\0,\0",
              6, NULL, "ERR 1 不支持UTF-16编码");
    csv_fails("PK\x03\x04zzzz", 8, NULL, "ERR 0 文件是XLSX工作簿，不是CSV");
    /* Neither UTF-8 nor GB18030: the line of the first byte that is not. */
    csv_fails("a,b\n1,2\n\xff\xff,3\n", 12, NULL, "ERR 3 文件编码无法识别");
    char *got = dump("a", 1, "ods", NULL, NULL);
    CHECK(starts(got, "ERR -1"), "unknown format: %s", got);
    free(got);
}

TEST(tabular_csv_encodings)
{
    /* "姓名,地址\n张三,"北京市\n东城区"\n" in GB18030. */
    const char gb[] = "\xd0\xd5\xc3\xfb,\xb5\xd8\xd6\xb7\n\xd5\xc5\xc8\xfd,\"\xb1\xb1\xbe\xa9\xca"
                      "\xd0\n\xb6\xab\xb3\xc7\xc7\xf8\"\n";
    const char *enc = NULL;
    char *got = dump(gb, sizeof gb - 1, NULL, NULL, &enc);
    CHECK_STR_EQ(got, "1:姓名|地址\n2:张三|北京市\n东城区\n", "GB18030 converted");
    CHECK_STR_EQ(enc, "gb18030", "detected");
    free(got);
    /* A four-byte GB18030 character (U+20000 𠀀 is 95 32 82 36) and its BOM. */
    const char gb4[] = "\x84\x31\x95\x33x,\x95\x32\x82\x36\n";
    got = dump(gb4, sizeof gb4 - 1, "csv", NULL, &enc);
    CHECK_STR_EQ(got, "1:x|\xf0\xa0\x80\x80\n", "4-byte sequence, BOM dropped");
    free(got);
    got = dump("姓名\n张三\n", strlen("姓名\n张三\n"), "csv", NULL, &enc);
    CHECK_STR_EQ(enc, "utf-8", "UTF-8 detected");
    free(got);
}

/* ---- XLSX ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_detach(&b, len);
}

/* A workbook written by libxlsxwriter; constant_memory writes inline strings instead of
 * shared ones. */
static char *write_book(int constant_memory, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/book%d.xlsx", test_tmpdir(), constant_memory);
    lxw_workbook_options opt = {.constant_memory = (uint8_t)constant_memory,
                                .tmpdir = (char *)test_tmpdir()};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "人口");
    workbook_add_worksheet(wb, "第二张"); /* not read: only the first sheet is */
    lxw_format *ymd = workbook_add_format(wb);
    format_set_num_format(ymd, "yyyy\"年\"m\"月\"d\"日\"");
    lxw_format *builtin = workbook_add_format(wb);
    format_set_num_format_index(builtin, 14);
    lxw_format *money = workbook_add_format(wb);
    format_set_num_format(money, "#,##0.00");
    worksheet_write_string(ws, 0, 0, "身份证号", NULL);
    worksheet_write_string(ws, 0, 1, "姓名", NULL);
    worksheet_write_string(ws, 0, 2, "出生日期", NULL);
    worksheet_write_string(ws, 0, 3, "金额", NULL);
    worksheet_write_string(ws, 0, 4, "核实", NULL);
    worksheet_write_string(ws, 0, 5, "备注", NULL);
    worksheet_write_string(ws, 1, 0, "11010519491231002X", NULL);
    worksheet_write_string(ws, 1, 1, "张三", NULL);
    lxw_datetime dt = {1949, 12, 31, 0, 0, 0};
    worksheet_write_datetime(ws, 1, 2, &dt, ymd);
    worksheet_write_number(ws, 1, 3, 1234.5, money);
    worksheet_write_boolean(ws, 1, 4, 1, NULL);
    worksheet_write_string(ws, 1, 5, "第一行\n第二行 & <标记>", NULL);
    worksheet_write_string(ws, 2, 0, "440524188001010014", NULL);
    worksheet_write_string(ws, 2, 1, "欧阳娜娜", NULL);
    worksheet_write_number(ws, 2, 2, 46027, builtin); /* 2026-01-05 */
    worksheet_write_number(ws, 2, 3, 0.1 + 0.2, NULL);
    /* row 4 left empty; row 5 has a gap in column B */
    worksheet_write_number(ws, 4, 0, 13800138000.0, NULL);
    worksheet_write_formula_num(ws, 4, 2, "=1+1", NULL, 2);
    lxw_datetime when = {2026, 1, 5, 18, 30, 0};
    worksheet_write_datetime(ws, 4, 3, &when, builtin);
    CHECK(workbook_close(wb) == LXW_NO_ERROR, "workbook written");
    return slurp(path, len);
}

TEST(tabular_xlsx_libxlsxwriter_round_trip)
{
    const char *want = "1:身份证号|姓名|出生日期|金额|核实|备注\n"
                       "2:11010519491231002X|张三|1949-12-31|1234.5|TRUE|第一行\n第二行 & <标记>\n"
                       "3:440524188001010014|欧阳娜娜|2026-01-05|0.3\n"
                       "5:13800138000||2|2026-01-05 18:30:00\n";
    for (int cm = 0; cm <= 1; cm++) {
        size_t len = 0;
        char *book = write_book(cm, &len);
        CHECK(book && len > 0, "book %d read", cm);
        if (!book)
            continue;
        const char *enc = NULL;
        char *got = dump(book, len, NULL, NULL, &enc); /* detected as xlsx */
        CHECK_STR_EQ(got, want, "constant_memory=%d", cm);
        CHECK_STR_EQ(enc, "utf-8", "xlsx is UTF-8");
        free(got);
        /* Limits apply to XLSX too, naming the sheet's row. */
        struct tabular_limits lim = {.max_cols = 4};
        got = dump(book, len, "xlsx", &lim, NULL);
        CHECK(starts(got, "ERR 1 列数超过4列的上限: line 1: more than 4 columns"), "cols: %s", got);
        free(got);
        lim = (struct tabular_limits){.max_rows = 1};
        got = dump(book, len, "xlsx", &lim, NULL);
        CHECK(starts(got, "ERR 3 行数超过1行的上限"), "rows: %s", got);
        free(got);
        lim = (struct tabular_limits){.max_unzipped = 2000};
        got = dump(book, len, "xlsx", &lim, NULL);
        CHECK(strstr(got, "工作簿解压后超过上限") != NULL, "unzipped: %s", got);
        free(got);
        /* A truncated workbook is refused, whatever the cut. */
        for (size_t cut = 0; cut < len; cut += len / 7 + 1) {
            got = dump(book, cut, "xlsx", NULL, NULL);
            CHECK(starts(got, "ERR"), "cut at %zu: %s", cut, got);
            free(got);
        }
        /* A workbook uploaded as CSV is refused, not read as text. */
        got = dump(book, len, "csv", NULL, NULL);
        CHECK(strstr(got, "不是CSV") != NULL, "xlsx as csv: %s", got);
        free(got);
        free(book);
    }
}

struct part {
    const char *name, *text;
};

/* A zip of the given parts (stored through libzip into a temporary file), malloc'ed. */
static char *make_zip(const struct part *parts, size_t n, size_t *len)
{
    static int seq;
    char path[512];
    snprintf(path, sizeof path, "%s/hand%d.xlsx", test_tmpdir(), seq++);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    CHECK(z != NULL, "zip_open %d", zerr);
    if (!z)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, parts[i].text, strlen(parts[i].text), 0);
        CHECK(s && zip_file_add(z, parts[i].name, s, ZIP_FL_ENC_UTF_8) >= 0, "add %s",
              parts[i].name);
    }
    CHECK(zip_close(z) == 0, "zip_close");
    return slurp(path, len);
}

#define WB                                                                                         \
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "               \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
#define RELS                                                                                       \
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"       \
    "<Relationship Id=\"rId7\" Type=\"x\" Target=\"/xl/worksheets/data.xml\"/></Relationships>"
#define WS "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"

static char *hand(const char *workbook, const char *sst, const char *styles, const char *sheet)
{
    struct part parts[5];
    size_t n = 0;
    parts[n++] = (struct part){"xl/workbook.xml", workbook};
    parts[n++] = (struct part){"xl/_rels/workbook.xml.rels", RELS};
    if (sst)
        parts[n++] = (struct part){"xl/sharedStrings.xml", sst};
    if (styles)
        parts[n++] = (struct part){"xl/styles.xml", styles};
    parts[n++] = (struct part){"xl/worksheets/data.xml", sheet};
    size_t len = 0;
    char *zip = make_zip(parts, n, &len);
    char *got = zip ? dump(zip, len, "xlsx", NULL, NULL) : NULL;
    free(zip);
    return got;
}

TEST(tabular_xlsx_by_hand)
{
    /* The sheet found through the relationship, 1904 dates by a custom format, rich text
     * runs joined, a phonetic run left out, _xHHHH_ escapes, refs without a row number. */
    char *got = hand(
        WB "<workbookPr date1904=\"1\"/><sheets><sheet name=\"a\" sheetId=\"3\" r:id=\"rId7\"/>"
           "</sheets></workbook>",
        "<sst><si><r><t>张</t></r><r><t xml:space=\"preserve\"> 三</t></r>"
        "<rPh><t>ちょう</t></rPh></si><si><t>a_x000D_b</t></si><si/></sst>",
        "<styleSheet><numFmts><numFmt numFmtId=\"170\" formatCode=\"yyyy/m/d\"/></numFmts>"
        "<cellStyleXfs><xf numFmtId=\"170\"/></cellStyleXfs>"
        "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"170\"/></cellXfs></styleSheet>",
        WS "<sheetData><row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"C2\" t=\"s\"><v>1</v>"
           "</c></row><row><c t=\"inlineStr\"><is><t>x</t></is></c><c s=\"1\"><v>0</v></c>"
           "<c s=\"0\"><v>1e3</v></c><c t=\"s\"><v>2</v></c></row></sheetData></worksheet>");
    CHECK_STR_EQ(got, "2:张 三||a\rb\n3:x|1904-01-01|1000|\n", "by hand");
    free(got);

    /* No DTD: a billion laughs never starts. */
    got = hand("<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\">"
               "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>" WB
               "<sheets><sheet r:id=\"rId7\"/></sheets></workbook>",
               NULL, NULL, WS "<sheetData/></worksheet>");
    CHECK(got && strstr(got, "a DTD is not accepted"), "DTD: %s", got);
    free(got);

    /* Malformed XML in the workbook and in the middle of the sheet. */
    got = hand(WB "<sheets><sheet r:id=\"rId7\"</sheets>", NULL, NULL, WS "</worksheet>");
    CHECK(starts(got, "ERR 0 工作簿内容格式错误"), "workbook XML: %s", got);
    free(got);
    got = hand(WB "<sheets><sheet r:id=\"rId7\"/></sheets></workbook>", NULL, NULL,
               WS "<sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>h</t></is></c></row>"
                  "<row r=\"2\"><c><v>1</v></c><c><v>2</v></row></sheetData></worksheet>");
    /* libxml2 parses ahead, so the failure may come before row 2 is reached: whichever, an
     * error and no rows. */
    CHECK(starts(got, "ERR ") && strstr(got, "工作簿内容格式错误") && strstr(got, "tag mismatch"),
          "sheet XML: %s", got);
    free(got);

    /* A shared string that does not exist, cells out of order, a sheet cut inside a row. */
    got = hand(WB "<sheets><sheet r:id=\"rId7\"/></sheets></workbook>",
               "<sst><si><t>a</t></si></sst>", NULL,
               WS "<sheetData><row r=\"4\"><c t=\"s\"><v>5</v></c></row></sheetData></worksheet>");
    CHECK(starts(got, "ERR 4 工作簿内容格式错误: line 4: shared string 5"), "sst: %s", got);
    free(got);
    got = hand(WB "<sheets><sheet r:id=\"rId7\"/></sheets></workbook>", NULL, NULL,
               WS "<sheetData><row r=\"1\"><c r=\"B1\"><v>1</v></c><c r=\"A1\"><v>2</v></c></row>"
                  "</sheetData></worksheet>");
    CHECK(starts(got, "ERR 1 "), "order: %s", got);
    free(got);

    /* No workbook at all, and the relationship's sheet missing. */
    struct part only[] = {{"hello.txt", "hi"}};
    size_t len = 0;
    char *zip = make_zip(only, 1, &len);
    got = zip ? dump(zip, len, "xlsx", NULL, NULL) : NULL;
    CHECK(starts(got, "ERR 0 文件不是有效的XLSX工作簿"), "no workbook: %s", got);
    free(got);
    free(zip);
    struct part nosheet[] = {
        {"xl/workbook.xml", WB "<sheets><sheet r:id=\"rId7\"/></sheets></workbook>"},
        {"xl/_rels/workbook.xml.rels", RELS}};
    zip = make_zip(nosheet, 2, &len);
    got = zip ? dump(zip, len, "xlsx", NULL, NULL) : NULL;
    CHECK(got && strstr(got, "the first sheet is missing"), "no sheet: %s", got);
    free(got);
    free(zip);

    /* Not a zip at all, and an empty body. */
    static const char junk[] = "PK\x03\x04 not really a zip";
    got = dump(junk, sizeof junk - 1, NULL, NULL, NULL);
    CHECK(starts(got, "ERR 0 文件不是有效的XLSX工作簿"), "garbage: %s", got);
    free(got);
    got = dump("", 0, "xlsx", NULL, NULL);
    CHECK(starts(got, "ERR 0 "), "empty: %s", got);
    free(got);
}

TEST(tabular_dates)
{
    char d[20];
    const struct {
        double serial;
        int d1904;
        const char *want;
    } rows[] = {
        {1, 0, "1900-01-01"},       {59, 0, "1900-02-28"},    {60, 0, "1900-02-29"},
        {61, 0, "1900-03-01"}, /* Excel's phantom day */
        {25569, 0, "1970-01-01"},   {46027, 0, "2026-01-05"}, {46027.75, 0, "2026-01-05 18:00:00"},
        {0.5, 0, "12:00:00"},       {0, 1, "1904-01-01"},     {44561, 1, "2026-01-01"},
        {2958465, 0, "9999-12-31"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        CHECK(tabular_serial_date(rows[i].serial, rows[i].d1904, d) == 0, "%g", rows[i].serial);
        CHECK_STR_EQ(d, rows[i].want, "serial %g (1904: %d)", rows[i].serial, rows[i].d1904);
    }
    CHECK(tabular_serial_date(-1, 0, d) == -1, "negative");
    CHECK(tabular_serial_date(2958466, 0, d) == -1, "after 9999");
    CHECK(tabular_numfmt_is_date(14, NULL) && tabular_numfmt_is_date(57, NULL), "built-in dates");
    CHECK(!tabular_numfmt_is_date(0, NULL) && !tabular_numfmt_is_date(4, NULL),
          "General, #,##0.00");
    CHECK(tabular_numfmt_is_date(170, "yyyy\"年\"m\"月\"d\"日\""), "custom date");
    CHECK(tabular_numfmt_is_date(171, "[$-804]yyyy/m/d h:mm"), "locale prefix");
    CHECK(!tabular_numfmt_is_date(172, "\"day \"0.00"), "quoted letters");
    CHECK(!tabular_numfmt_is_date(173, "[Red]#,##0;[Blue]-#,##0"), "colours");
    CHECK(!tabular_numfmt_is_date(174, "0.00E+00"), "scientific");
    CHECK(!tabular_numfmt_is_date(175, "General"), "General");
    CHECK(!tabular_numfmt_is_date(176, "#,##0\\d"), "an escaped d");
}

struct counts {
    int header_line, cells;
};

static int count_row(void *ud, int64_t line, size_t n, const char *const *cells)
{
    (void)line;
    (void)cells;
    struct counts *k = ud;
    k->cells += (int)n;
    return k->cells >= 5 ? 1 : 0; /* stop once 5 cells are seen */
}

static int header_row(void *ud, int64_t line, size_t n, const char *const *cells)
{
    struct counts *k = ud;
    k->header_line = (int)line;
    return n == 2 && strcmp(cells[1], "b") == 0 ? 0 : -1;
}

TEST(tabular_read_callbacks)
{
    struct counts k = {0, 0};
    struct tabular_info info;
    struct err err = ERR_INIT;
    const char *csv = "a,b\n1,2\n3,4\n5,6\n7,8\n";
    CHECK(tabular_read(csv, strlen(csv), "csv", NULL, header_row, count_row, &k, &info, &err) == 0,
          "read: %s", err.msg);
    CHECK_INT_EQ(k.header_line, 1, "the header first");
    CHECK_INT_EQ(k.cells, 6, "then rows until the callback stops");
    CHECK_INT_EQ(info.rows, 3, "rows passed");
    CHECK_STR_EQ(info.format, "csv", "format");
    k = (struct counts){0, 0};
    const char *bad = "a,b\n1,\"2\n";
    CHECK(tabular_read(bad, strlen(bad), "csv", NULL, NULL, count_row, &k, &info, &err) < 0,
          "malformed");
    CHECK_INT_EQ(info.error_line, 2, "line of the failure");
    CHECK_STR_EQ(info.error_zh, "引号未闭合", "reason");
    const char gb[] = "a\n\xff\n";
    CHECK(tabular_read(gb, 4, NULL, NULL, NULL, count_row, &k, &info, &err) < 0, "encoding");
    CHECK_INT_EQ(info.error_line, 2, "the encoding failure's line");
}
