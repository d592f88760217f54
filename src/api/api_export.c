/*
 * GET /api/v1/cases/export?format=xlsx|csv&<the list's filters>: the cases of a list, in the
 * caller's scope, as an Excel workbook or CSV (UTF-8 with a BOM, formula-looking text quoted).
 * At most EXPORT_MAX rows, decided before any is read: a larger list is a 400 asking for
 * narrower filters rather than a partial file. No personal data: the citizen's name and phone
 * stay out (the list masks them anyway).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "api/api_internal.h"
#include "case/case.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

#define EXPORT_MAX 10000

static const char *const headers[] = {
    "编号", "标题", "诉求类型", "状态",     "紧急程度", "来源",     "分类",     "承办部门",
    "区域", "地址", "受理时间", "办理时限", "是否超期", "答复时间", "办结时间", "满意度",
};
#define NCOL (sizeof(headers) / sizeof(headers[0]))

/* The words people read in the file (the web's are in strings.js; a file leaves the app). */
static const char *const kind_zh[] = {"投诉", "咨询", "求助", "举报", "建议", "表扬"};
static const char *const state_zh[] = {"待派单", "待签收", "已退单", "办理中", "挂账",
                                       "已答复", "整改中", "已办结", "已作废", "已并单"};
static const char *const urgency_zh[] = {"一般", "紧急", "特急"};
static const char *const channel_zh[] = {"12345 热线", "网站",     "手机",    "微信",
                                         "网格巡查",   "感知设备", "Open311", "其他"};
static const char *const sat_zh[] = {"", "满意", "基本满意", "不满意"};

static const char *at(struct arena *a, int64_t t)
{
    if (!t)
        return "";
    char iso[32];
    clock_format_utc(t + 8 * 3600, iso); /* Beijing time, as the centre reads it */
    return arena_printf(a, "%.10s %.5s", iso, iso + 11);
}

static void cells(struct arena *a, const struct case_rec *r, const char *out[NCOL])
{
    out[0] = r->number;
    out[1] = r->title;
    out[2] = (unsigned)r->kind < 6 ? kind_zh[r->kind] : "";
    out[3] = (unsigned)r->state < 10 ? state_zh[r->state] : "";
    out[4] = (unsigned)r->urgency < 3 ? urgency_zh[r->urgency] : "";
    out[5] = (unsigned)r->channel < 8 ? channel_zh[r->channel] : "";
    out[6] = r->category_name ? r->category_name : "";
    out[7] = r->lead_department_name ? r->lead_department_name : "";
    out[8] = r->region_name ? r->region_name : "";
    out[9] = r->address ? r->address : "";
    out[10] = at(a, r->created_at);
    out[11] = at(a, r->resolve_deadline);
    out[12] = r->overdue ? "是" : "否";
    out[13] = at(a, r->replied_at);
    out[14] = at(a, r->closed_at);
    out[15] = (unsigned)r->satisfaction < 4 ? sat_zh[r->satisfaction] : "";
}

static void csv_field(struct buf *b, const char *s)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    int formula = *s == '=' || *s == '+' || *s == '-' || *s == '@';
    if (quote || formula)
        buf_putc(b, '"');
    if (formula)
        buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    if (quote || formula)
        buf_putc(b, '"');
}

int api_case_export(struct api_call *call)
{
    struct case_filter f;
    struct case_actor actor;
    int rc;
    const char *format = http_req_query(call->req, "format");
    if (!format || (strcmp(format, "xlsx") && strcmp(format, "csv")))
        return err_field(&call->err, ERR_BAD_REQUEST, "format",
                         "query parameter 'format' must be xlsx or csv");
    if ((rc = api_case_list_filter(call, &f)) < 0)
        return rc;
    app_actor(call->user, &actor);
    f.cursor = NULL;
    /* Counted up to one past the most an export takes: exact for every list it writes, and a
     * broad list is refused without counting all its matches (seconds on millions of cases). */
    if ((rc = case_list_total(call->conn, &f, &actor, EXPORT_MAX, 0, call->req->arena, &f.total,
                              &f.total_capped, &call->err)) < 0)
        return rc;
    if (f.total_capped)
        return err_field(
            &call->err, ERR_BAD_REQUEST, "limit",
            "the list holds more than %d cases; an export takes at most %d: narrow the filters",
            EXPORT_MAX, EXPORT_MAX);
    /* Every page of the list, in its order. */
    struct case_rec *all =
        arena_alloc(call->req->arena, mem_size_mul((size_t)f.total + 1, sizeof(struct case_rec)));
    size_t nall = 0;
    char next[CASE_CURSOR_MAX];
    f.limit = CASE_LIST_MAX;
    do {
        struct case_rec *page;
        size_t n;
        if ((rc = case_list(call->conn, &f, &actor, call->req->arena, &page, &n, next, NULL,
                            &call->err)) < 0)
            return rc;
        for (size_t i = 0; i < n && nall <= (size_t)f.total; i++)
            all[nall++] = page[i];
        f.cursor = next[0] ? arena_strdup(call->req->arena, next) : NULL;
    } while (f.cursor && nall <= (size_t)f.total);
    const char *name = arena_printf(call->req->arena, "attachment; filename=\"cases.%s\"", format);
    if (!strcmp(format, "csv")) {
        struct buf b;
        buf_init(&b);
        buf_puts(&b, "\xEF\xBB\xBF");
        for (size_t j = 0; j < NCOL; j++) {
            if (j)
                buf_putc(&b, ',');
            csv_field(&b, headers[j]);
        }
        buf_puts(&b, "\r\n");
        for (size_t i = 0; i < nall; i++) {
            const char *c[NCOL];
            cells(call->req->arena, &all[i], c);
            for (size_t j = 0; j < NCOL; j++) {
                if (j)
                    buf_putc(&b, ',');
                csv_field(&b, c[j]);
            }
            buf_puts(&b, "\r\n");
        }
        size_t len;
        char *body = buf_detach(&b, &len);
        http_res_header(call->res, "Content-Disposition", name);
        http_res_body(call->res, 200, "text/csv; charset=utf-8", body, len, HTTP_BODY_FREE);
        return 0;
    }
    /* libxlsxwriter writes only to a file: a private temporary file, read back, removed. */
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/gridloop-export-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return err_set(&call->err, ERR_IO, "cannot create a temporary file: %s", strerror(errno));
    close(fd);
    lxw_workbook *wb = workbook_new(path);
    rc = -1;
    if (wb) {
        lxw_worksheet *ws = workbook_add_worksheet(wb, "工单");
        lxw_format *head = workbook_add_format(wb);
        format_set_bold(head);
        for (size_t j = 0; j < NCOL; j++)
            worksheet_write_string(ws, 0, (lxw_col_t)j, headers[j], head);
        for (size_t i = 0; i < nall; i++) {
            const char *c[NCOL];
            cells(call->req->arena, &all[i], c);
            for (size_t j = 0; j < NCOL; j++)
                worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)j, c[j], NULL);
        }
        worksheet_set_column(ws, 0, 0, 18, NULL);
        worksheet_set_column(ws, 1, 1, 36, NULL);
        worksheet_freeze_panes(ws, 1, 2);
        rc = workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
    }
    char *body = NULL;
    size_t len = 0;
    if (rc == 0) {
        FILE *fp = fopen(path, "rb");
        struct stat st;
        if (!fp || fstat(fileno(fp), &st) < 0 || st.st_size <= 0) {
            rc = -1;
        } else {
            len = (size_t)st.st_size;
            body = xmalloc(len);
            if (fread(body, 1, len, fp) != len)
                rc = -1;
        }
        if (fp)
            fclose(fp);
    }
    unlink(path);
    if (rc < 0) {
        free(body);
        return err_set(&call->err, ERR_IO, "cannot write the workbook");
    }
    http_res_header(call->res, "Content-Disposition", name);
    http_res_body(call->res, 200,
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body, len,
                  HTTP_BODY_FREE);
    return 0;
}
