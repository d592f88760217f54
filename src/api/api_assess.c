/*
 * GET /api/v1/stats/assessment: 考核 per department or region over a period, as JSON, CSV
 * (UTF-8 with a BOM so Excel shows Chinese) or an Excel workbook (libxlsxwriter, written to a
 * temporary file and sent from memory). The numbers come from assess_compute(); this file
 * only parses the query and renders. docs/assessment.md defines the columns.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "api/api_internal.h"
#include "assess/assess.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/num.h"
#include "triage/triage.h"

enum col_kind { COL_TEXT, COL_INT, COL_RATE, COL_SCORE };

/* The columns of every format, in order. */
static const struct column {
    const char *key;   /* JSON key and CSV header */
    const char *label; /* spreadsheet header */
    enum col_kind kind;
    size_t offset; /* into struct assess_row */
} columns[] = {
#define C(key, label, kind, field)                                                                 \
    {                                                                                              \
        key, label, kind, offsetof(struct assess_row, field)                                       \
    }
    C("rank", "排名", COL_INT, rank),
    C("id", "ID", COL_INT, group_id),
    C("code", "编码", COL_TEXT, code),
    C("name", "名称", COL_TEXT, name),
    C("score", "综合成绩", COL_SCORE, score),
    C("response_rate", "响应率", COL_RATE, response_rate),
    C("solve_rate", "解决率", COL_RATE, solve_rate),
    C("satisfaction_rate", "满意率", COL_RATE, satisfaction_rate),
    C("on_time_rate", "按时办结率", COL_RATE, on_time_rate),
    C("reply_rate", "答复率", COL_RATE, reply_rate),
    C("close_rate", "办结率", COL_RATE, close_rate),
    C("overdue_rate", "超期率", COL_RATE, overdue_rate),
    C("return_rate", "退单率", COL_RATE, return_rate),
    C("sign_rate", "及时签收率", COL_RATE, sign_rate),
    C("rectify_rate", "整改率", COL_RATE, rectify_rate),
    C("answer_rate", "直接答复率", COL_RATE, answer_rate),
    C("rework_rate", "返工率", COL_RATE, rework_rate),
    C("extension_rate", "延期率", COL_RATE, extension_rate),
    C("repeat_rate", "重复诉求率", COL_RATE, repeat_rate),
    C("order_on_time_rate", "督办单按时答复率", COL_RATE, order_on_time_rate),
    C("assist_sign_rate", "协办按时签收(报到)率", COL_RATE, assist_sign_rate),
    C("assist_reply_rate", "协办按时答复率", COL_RATE, assist_reply_rate),
    C("assist_satisfaction_rate", "协办满意率", COL_RATE, assist_satisfaction_rate),
    C("dispatched", "应办件", COL_INT, dispatched),
    C("replied", "已答复", COL_INT, replied),
    C("closed", "已办结", COL_INT, closed),
    C("due", "应办结", COL_INT, due),
    C("on_time", "按时办结", COL_INT, on_time),
    C("overdue", "超期", COL_INT, overdue),
    C("rectified", "整改件", COL_INT, rectified),
    C("assigned", "派单数", COL_INT, assigned),
    C("returns", "退单数", COL_INT, returns),
    C("signed", "已签收", COL_INT, signed_cases),
    C("signed_on_time", "及时签收", COL_INT, signed_on_time),
    C("rectify_done", "整改完成", COL_INT, rectify_done),
    C("reworked", "返工件", COL_INT, reworked),
    C("replied_ever", "曾答复", COL_INT, replied_ever),
    C("extended", "延期件", COL_INT, extended),
    C("answered", "直接答复", COL_INT, answered),
    C("repeated", "重复诉求件", COL_INT, repeated),
    C("backlog", "期末积压", COL_INT, backlog),
    C("backlog_overdue", "积压超期", COL_INT, backlog_overdue),
    C("orders", "督办单", COL_INT, orders),
    C("orders_due", "督办单应答复", COL_INT, orders_due),
    C("orders_on_time", "督办单按时答复", COL_INT, orders_on_time),
    C("orders_overdue", "督办单逾期", COL_INT, orders_overdue),
    C("orders_accepted", "督办单已办结", COL_INT, orders_accepted),
    C("assists", "协办单", COL_INT, assists),
    C("assists_dispatch", "派单协办", COL_INT, assists_dispatch),
    C("assists_whistle", "吹哨报到", COL_INT, assists_whistle),
    C("assists_sign_due", "协办应签收(报到)", COL_INT, assists_sign_due),
    C("assists_signed_on_time", "协办按时签收(报到)", COL_INT, assists_signed_on_time),
    C("assists_reply_due", "协办应答复", COL_INT, assists_reply_due),
    C("assists_replied_on_time", "协办按时答复", COL_INT, assists_replied_on_time),
    C("assists_rated", "协办已评价", COL_INT, assists_rated),
    C("assists_satisfied", "协办满意", COL_INT, assists_satisfied),
    C("assists_basic", "协办基本满意", COL_INT, assists_basic),
    C("assists_unsatisfied", "协办不满意", COL_INT, assists_unsatisfied),
    C("assists_send_backs", "协办退回重办", COL_INT, assists_send_backs),
    C("assists_overdue", "协办当前超期", COL_INT, assists_overdue),
    C("evaluations", "有效回访", COL_INT, evaluations),
    C("contacted", "已联系", COL_INT, contacted),
    C("solved", "已解决", COL_INT, solved),
    C("satisfied", "满意", COL_INT, satisfied),
    C("basically_satisfied", "基本满意", COL_INT, basically),
    C("unsatisfied", "不满意", COL_INT, unsatisfied),
#undef C
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

static int64_t col_int(const struct assess_row *r, const struct column *c)
{
    const char *p = (const char *)r + c->offset;
    if (c->offset == offsetof(struct assess_row, rank))
        return *(const int *)(const void *)p;
    return *(const int64_t *)(const void *)p;
}

static double col_num(const struct assess_row *r, const struct column *c)
{
    return *(const double *)(const void *)((const char *)r + c->offset);
}

static const char *col_text(const struct assess_row *r, const struct column *c)
{
    return *(const char *const *)(const void *)((const char *)r + c->offset);
}

static int query_time(struct api_call *call, const char *name, int64_t *out)
{
    const char *v = http_req_query(call->req, name);
    if (!v || !*v)
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "query parameter '%s' is required (RFC 3339 time or YYYY-MM-DD)", name);
    if (clock_parse_rfc3339(v, out) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "query parameter '%s' must be an RFC 3339 time or YYYY-MM-DD, got '%s'",
                         name, v);
    return 0;
}

/* Parse the query into params; every bad parameter is a 400 naming it. */
static int parse(struct api_call *call, struct assess_params *p, const char **format)
{
    const struct conf *cf = call->api->d.conf;
    const char *v;
    int rc;
    memset(p, 0, sizeof(*p));
    p->now = call->now;
    if ((rc = query_time(call, "from", &p->from)) < 0 || (rc = query_time(call, "to", &p->to)) < 0)
        return rc;
    if (p->from <= 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "from",
                         "query parameter 'from' must be after 1970");
    if (p->to <= p->from)
        return err_field(&call->err, ERR_BAD_REQUEST, "to",
                         "query parameter 'to' must be later than 'from'");

    v = http_req_query(call->req, "by");
    if (!v || !strcmp(v, "department"))
        p->by = ASSESS_BY_DEPARTMENT;
    else if (!strcmp(v, "region"))
        p->by = ASSESS_BY_REGION;
    else
        return err_field(&call->err, ERR_BAD_REQUEST, "by",
                         "query parameter 'by' must be department or region");

    v = http_req_query(call->req, "level");
    if (v) {
        if (p->by != ASSESS_BY_REGION)
            return err_field(&call->err, ERR_BAD_REQUEST, "level",
                             "query parameter 'level' applies to by=region only");
        if (strcmp(v, "district") && strcmp(v, "street") && strcmp(v, "community") &&
            strcmp(v, "grid"))
            return err_field(&call->err, ERR_BAD_REQUEST, "level",
                             "query parameter 'level' must be district, street, community or grid");
        p->region_level = v;
    } else if (p->by == ASSESS_BY_REGION) {
        p->region_level = "street";
    }

    v = http_req_query(call->req, "rounds");
    if (!v || !strcmp(v, "latest"))
        p->rounds = ASSESS_ROUNDS_LATEST;
    else if (!strcmp(v, "all"))
        p->rounds = ASSESS_ROUNDS_ALL;
    else
        return err_field(&call->err, ERR_BAD_REQUEST, "rounds",
                         "query parameter 'rounds' must be latest or all");

    p->k = cf->assess_k / 1000.0;
    if ((v = http_req_query(call->req, "k"))) {
        double k;
        if (num_parse_double(v, &k) < 0 || !(k >= 0 && k <= 1))
            return err_field(&call->err, ERR_BAD_REQUEST, "k",
                             "query parameter 'k' must be a number between 0 and 1");
        p->k = k;
    }

    p->weights[ASSESS_TERM_RESPONSE] = cf->assess_weight_response / 1000.0;
    p->weights[ASSESS_TERM_SOLVE] = cf->assess_weight_solve / 1000.0;
    p->weights[ASSESS_TERM_SATISFY] = cf->assess_weight_satisfy / 1000.0;
    p->weights[ASSESS_TERM_ON_TIME] = cf->assess_weight_on_time / 1000.0;
    if ((v = http_req_query(call->req, "weights"))) {
        double w[ASSESS_TERMS], sum = 0;
        if (assess_parse_weights(v, w) < 0)
            return err_field(
                &call->err, ERR_BAD_REQUEST, "weights",
                "query parameter 'weights' must be 3 or 4 non-negative numbers (response,solve,satisfy[,on_time])");
        for (int i = 0; i < ASSESS_TERMS; i++)
            sum += w[i];
        if (!(sum > 0))
            return err_field(&call->err, ERR_BAD_REQUEST, "weights",
                             "query parameter 'weights' must not be all 0");
        memcpy(p->weights, w, sizeof(w));
    }

    v = http_req_query(call->req, "format");
    if (!v || !strcmp(v, "json"))
        *format = "json";
    else if (!strcmp(v, "csv") || !strcmp(v, "xlsx") || !strcmp(v, "pdf"))
        *format = v;
    else
        return err_field(&call->err, ERR_BAD_REQUEST, "format",
                         "query parameter 'format' must be json, csv, xlsx or pdf");
    return assess_check(p, &call->err);
}

static int reply_json(struct api_call *call, const struct assess_params *p,
                      const struct assess_row *rows, size_t n)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "from", p->from);
    jw_ktime(&w, "to", p->to);
    jw_kstr(&w, "by", assess_by_name(p->by));
    jw_kstr(&w, "level", p->by == ASSESS_BY_REGION ? p->region_level : NULL);
    jw_kstr(&w, "rounds", assess_rounds_name(p->rounds));
    jw_kstr(&w, "within", p->within);
    jw_knum(&w, "k", p->k);
    jw_key(&w, "weights");
    jw_obj(&w);
    for (int i = 0; i < ASSESS_TERMS; i++)
        jw_knum(&w, assess_term_name((enum assess_term)i), p->weights[i]);
    jw_obj_end(&w);
    jw_key(&w, "rows");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        for (size_t j = 0; j < NCOLS; j++) {
            const struct column *c = &columns[j];
            if (c->kind == COL_TEXT)
                jw_kstr(&w, c->key, col_text(&rows[i], c));
            else if (c->kind == COL_INT && c->offset == offsetof(struct assess_row, rank) &&
                     !rows[i].rank)
                jw_knull(&w, c->key);
            else if (c->kind == COL_INT)
                jw_kint(&w, c->key, col_int(&rows[i], c));
            else
                jw_knum(&w, c->key, col_num(&rows[i], c)); /* NAN → null */
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static const char *file_name(struct api_call *call, const struct assess_params *p, const char *ext)
{
    char from[32], to[32];
    clock_format_utc(p->from, from);
    clock_format_utc(p->to, to);
    from[10] = to[10] = '\0';
    return arena_printf(call->req->arena, "attachment; filename=\"assessment-%s-%s-%s.%s\"",
                        assess_by_name(p->by), from, to, ext);
}

/* A CSV field: quoted when needed; text that a spreadsheet would run as a formula is
 * prefixed with an apostrophe. */
static void csv_text(struct buf *b, const char *s)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (strchr("=+-@\t", s[0]) && s[0])
        quote = 1;
    if (!quote) {
        buf_puts(b, s);
        return;
    }
    buf_puts(b, "\"");
    if (strchr("=+-@\t", s[0]) && s[0])
        buf_puts(b, "'");
    for (; *s; s++) {
        if (*s == '"')
            buf_puts(b, "\"\"");
        else
            buf_printf(b, "%c", *s);
    }
    buf_puts(b, "\"");
}

static int reply_csv(struct api_call *call, const struct assess_params *p,
                     const struct assess_row *rows, size_t n)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "\xEF\xBB\xBF"); /* BOM: Excel reads the file as UTF-8 */
    for (size_t j = 0; j < NCOLS; j++)
        buf_printf(&b, "%s%s", j ? "," : "", columns[j].key);
    buf_puts(&b, "\r\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < NCOLS; j++) {
            const struct column *c = &columns[j];
            if (j)
                buf_puts(&b, ",");
            if (c->kind == COL_TEXT) {
                csv_text(&b, col_text(&rows[i], c));
            } else if (c->kind == COL_INT) {
                if (c->offset != offsetof(struct assess_row, rank) || rows[i].rank)
                    buf_printf(&b, "%lld", (long long)col_int(&rows[i], c));
            } else {
                double v = col_num(&rows[i], c);
                if (!isnan(v)) /* undefined: empty field */
                    buf_printf(&b, c->kind == COL_SCORE ? "%.2f" : "%.4f", v);
            }
        }
        buf_puts(&b, "\r\n");
    }
    size_t len;
    char *body = buf_detach(&b, &len);
    http_res_header(call->res, "Content-Disposition", file_name(call, p, "csv"));
    http_res_body(call->res, 200, "text/csv; charset=utf-8", body, len, HTTP_BODY_FREE);
    return 0;
}

static int write_workbook(const char *path, const struct assess_params *p,
                          const struct assess_row *rows, size_t n)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        return -1;
    lxw_worksheet *ws = workbook_add_worksheet(wb, "考核");
    lxw_worksheet *ps = workbook_add_worksheet(wb, "参数");
    lxw_format *head = workbook_add_format(wb);
    lxw_format *pct = workbook_add_format(wb);
    lxw_format *score = workbook_add_format(wb);
    format_set_bold(head);
    format_set_num_format(pct, "0.00%");
    format_set_num_format(score, "0.00");
    for (size_t j = 0; j < NCOLS; j++)
        worksheet_write_string(ws, 0, (lxw_col_t)j, columns[j].label, head);
    for (size_t i = 0; i < n; i++) {
        lxw_row_t row = (lxw_row_t)(i + 1);
        for (size_t j = 0; j < NCOLS; j++) {
            const struct column *c = &columns[j];
            lxw_col_t col = (lxw_col_t)j;
            if (c->kind == COL_TEXT) {
                worksheet_write_string(ws, row, col, col_text(&rows[i], c), NULL);
            } else if (c->kind == COL_INT) {
                if (c->offset != offsetof(struct assess_row, rank) || rows[i].rank)
                    worksheet_write_number(ws, row, col, (double)col_int(&rows[i], c), NULL);
            } else {
                double v = col_num(&rows[i], c);
                if (!isnan(v))
                    worksheet_write_number(ws, row, col, v, c->kind == COL_SCORE ? score : pct);
            }
        }
    }
    worksheet_set_column(ws, 3, 3, 24, NULL);
    worksheet_freeze_panes(ws, 1, 4);

    char from[32], to[32];
    clock_format_utc(p->from, from);
    clock_format_utc(p->to, to);
    worksheet_write_string(ps, 0, 0, "from", head);
    worksheet_write_string(ps, 0, 1, from, NULL);
    worksheet_write_string(ps, 1, 0, "to", head);
    worksheet_write_string(ps, 1, 1, to, NULL);
    worksheet_write_string(ps, 2, 0, "by", head);
    worksheet_write_string(ps, 2, 1, assess_by_name(p->by), NULL);
    worksheet_write_string(ps, 3, 0, "level", head);
    worksheet_write_string(ps, 3, 1, p->by == ASSESS_BY_REGION ? p->region_level : "", NULL);
    worksheet_write_string(ps, 4, 0, "rounds", head);
    worksheet_write_string(ps, 4, 1, assess_rounds_name(p->rounds), NULL);
    worksheet_write_string(ps, 5, 0, "k", head);
    worksheet_write_number(ps, 5, 1, p->k, NULL);
    for (int i = 0; i < ASSESS_TERMS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "weight_%s", assess_term_name((enum assess_term)i));
        worksheet_write_string(ps, (lxw_row_t)(6 + i), 0, key, head);
        worksheet_write_number(ps, (lxw_row_t)(6 + i), 1, p->weights[i], NULL);
    }
    worksheet_set_column(ps, 0, 1, 22, NULL);
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

static int reply_xlsx(struct api_call *call, const struct assess_params *p,
                      const struct assess_row *rows, size_t n)
{
    /* libxlsxwriter 1.1.4 writes only to a file: a private temporary file, read back, removed. */
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/gridloop-assess-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return err_set(&call->err, ERR_IO, "cannot create a temporary file: %s", strerror(errno));
    close(fd);
    char *body = NULL;
    size_t len = 0;
    int rc = write_workbook(path, p, rows, n);
    if (rc == 0) {
        FILE *f = fopen(path, "rb");
        struct stat stt;
        if (!f || fstat(fileno(f), &stt) < 0 || stt.st_size <= 0) {
            rc = -1;
        } else {
            len = (size_t)stt.st_size;
            body = xmalloc(len);
            if (fread(body, 1, len, f) != len)
                rc = -1;
        }
        if (f)
            fclose(f);
    }
    unlink(path);
    if (rc < 0) {
        free(body);
        return err_set(&call->err, ERR_IO, "cannot write the workbook");
    }
    http_res_header(call->res, "Content-Disposition", file_name(call, p, "xlsx"));
    http_res_body(call->res, 200,
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body, len,
                  HTTP_BODY_FREE);
    return 0;
}

int api_stats_assessment(struct api_call *call)
{
    struct assess_params p;
    struct assess_row *rows;
    size_t n;
    const char *format = "json";
    int rc;
    if ((rc = parse(call, &p, &format)) < 0)
        return rc;
    /* A supervisor or data officer bound to a region assesses what happened in it (the same
     * scope rule as their case lists); admins see everything. */
    if (!(call->user->roles & ROLE_ADMIN) && call->user->region_code && *call->user->region_code)
        p.within = call->user->region_code;
    if ((rc = assess_compute(call->conn, &p, call->req->arena, &rows, &n, &call->err)) < 0)
        return rc;
    if (!strcmp(format, "csv"))
        return reply_csv(call, &p, rows, n);
    if (!strcmp(format, "xlsx"))
        return reply_xlsx(call, &p, rows, n);
    if (!strcmp(format, "pdf"))
        return api_bulletin_pdf(call, &p, rows, n, file_name(call, &p, "pdf"));
    return reply_json(call, &p, rows, n);
}

/* ---- GET /api/v1/stats/kinds: the period's cases per 诉求类型 ---- */

int api_stats_kinds(struct api_call *call)
{
    struct assess_params p;
    struct assess_kind_row *rows;
    size_t n;
    const char *format = "json";
    int rc;
    if ((rc = parse(call, &p, &format)) < 0)
        return rc;
    if (strcmp(format, "json") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "format",
                         "query parameter 'format' must be json here");
    if (!(call->user->roles & ROLE_ADMIN) && call->user->region_code && *call->user->region_code)
        p.within = call->user->region_code;
    if ((rc = assess_kinds(call->conn, &p, call->req->arena, &rows, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "from", p.from);
    jw_ktime(&w, "to", p.to);
    jw_kstr(&w, "within", p.within);
    jw_knum(&w, "k", p.k);
    jw_key(&w, "rows");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        const struct assess_kind_row *r = &rows[i];
        jw_obj(&w);
        jw_kstr(&w, "kind", r->kind);
        jw_kint(&w, "received", r->received);
        jw_kint(&w, "answered", r->answered);
        jw_kint(&w, "closed", r->closed);
        jw_kint(&w, "evaluated", r->evaluated);
        jw_kint(&w, "satisfied", r->satisfied);
        jw_kint(&w, "basically", r->basically);
        jw_knum(&w, "close_rate", r->close_rate);
        jw_knum(&w, "satisfaction_rate", r->satisfaction_rate);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---- GET /api/v1/stats/grids: the window's open, overdue and all cases per grid ---- */

/* The dashboard's choropleth: one row per grid with cases reported in [from, to) that the
 * caller may see; the cases in no grid (no point, or a point outside every grid) together in
 * 'elsewhere'. */
int api_stats_grids(struct api_call *call)
{
    struct case_actor actor;
    struct case_region_count *rows;
    size_t n;
    int64_t from, to;
    int rc;
    if ((rc = query_time(call, "from", &from)) < 0 || (rc = query_time(call, "to", &to)) < 0)
        return rc;
    if (to <= from)
        return err_field(&call->err, ERR_BAD_REQUEST, "to",
                         "query parameter 'to' must be later than 'from'");
    app_actor(call->user, &actor);
    if ((rc = case_region_counts(call->conn, from, to, &actor, call->req->arena, &rows, &n,
                                 &call->err)) < 0)
        return rc;
    int64_t rest[3] = {0, 0, 0};
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "from", from);
    jw_ktime(&w, "to", to);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        const struct case_region_count *r = &rows[i];
        if (!r->level || strcmp(r->level, "grid") != 0) {
            rest[0] += r->total;
            rest[1] += r->open;
            rest[2] += r->overdue;
            continue;
        }
        jw_obj(&w);
        jw_kint(&w, "region_id", r->region_id);
        jw_kstr(&w, "code", r->code);
        jw_kstr(&w, "name", r->name);
        jw_kint(&w, "total", r->total);
        jw_kint(&w, "open", r->open);
        jw_kint(&w, "overdue", r->overdue);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "elsewhere");
    jw_obj(&w);
    jw_kint(&w, "total", rest[0]);
    jw_kint(&w, "open", rest[1]);
    jw_kint(&w, "overdue", rest[2]);
    jw_obj_end(&w);
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

/* ---- GET /api/v1/assessment/triage-accuracy: triage's weekly accuracy per category ---- */

struct cat_acc {
    const struct triage_week_accuracy *first; /* the category's code and name */
    int64_t n, kept;
    int64_t *wn, *wkept; /* per week of the table */
};

static double acc_of(int64_t kept, int64_t n)
{
    return n > 0 ? (double)kept / (double)n : NAN;
}

/* Worst first: the lowest share kept, then the most classified, then by code. */
static int by_accuracy(const void *pa, const void *pb)
{
    const struct cat_acc *x = pa, *y = pb;
    double ax = acc_of(x->kept, x->n), ay = acc_of(y->kept, y->n);
    if (ax != ay)
        return ax < ay ? -1 : 1;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->first->code, y->first->code);
}

static void week_day(int64_t week, char out[32])
{
    char iso[32];
    clock_format_utc(week + 8 * 3600, iso); /* the Monday, Beijing */
    snprintf(out, 32, "%.10s", iso);
}

int api_assess_triage_accuracy(struct api_call *call)
{
    struct arena *a = call->req->arena;
    struct triage_week_accuracy *v;
    size_t n, nweeks = 0, ncat = 0;
    int64_t from, to;
    int rc;
    if ((rc = query_time(call, "from", &from)) < 0 || (rc = query_time(call, "to", &to)) < 0)
        return rc;
    if (to <= from)
        return err_field(&call->err, ERR_BAD_REQUEST, "to",
                         "query parameter 'to' must be later than 'from'");
    const char *within = NULL;
    if (!(call->user->roles & ROLE_ADMIN) && call->user->region_code && *call->user->region_code)
        within = call->user->region_code;
    if ((rc = triage_weekly_accuracy(call->conn, from, to, within, a, &v, &n, &call->err)) < 0)
        return rc;
    /* The weeks (rows come by week) and the categories seen. */
    int64_t *weeks = arena_alloc(a, mem_size_mul(n + 1, sizeof(*weeks)));
    struct cat_acc *cats = arena_alloc(a, mem_size_mul(n + 1, sizeof(*cats)));
    for (size_t i = 0; i < n; i++)
        if (!nweeks || weeks[nweeks - 1] != v[i].week)
            weeks[nweeks++] = v[i].week;
    for (size_t i = 0; i < n; i++) {
        size_t k, w = 0;
        for (k = 0; k < ncat; k++)
            if (cats[k].first->category_id == v[i].category_id)
                break;
        if (k == ncat) {
            cats[ncat].first = &v[i];
            cats[ncat].n = cats[ncat].kept = 0;
            cats[ncat].wn = arena_alloc(a, mem_size_mul(nweeks + 1, sizeof(int64_t)));
            cats[ncat].wkept = arena_alloc(a, mem_size_mul(nweeks + 1, sizeof(int64_t)));
            memset(cats[ncat].wn, 0, (nweeks + 1) * sizeof(int64_t));
            memset(cats[ncat].wkept, 0, (nweeks + 1) * sizeof(int64_t));
            ncat++;
        }
        while (weeks[w] != v[i].week)
            w++;
        cats[k].n += v[i].n;
        cats[k].kept += v[i].kept;
        cats[k].wn[w] += v[i].n;
        cats[k].wkept[w] += v[i].kept;
    }
    if (ncat)
        qsort(cats, ncat, sizeof(*cats), by_accuracy);

    struct jw w;
    char day[32];
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "from", from);
    jw_ktime(&w, "to", to);
    jw_kstr(&w, "within", within);
    jw_key(&w, "weeks");
    jw_arr(&w);
    for (size_t i = 0; i < nweeks; i++) {
        jw_obj(&w);
        jw_ktime(&w, "start", weeks[i]);
        week_day(weeks[i], day);
        jw_kstr(&w, "monday", day);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t k = 0; k < ncat; k++) {
        jw_obj(&w);
        jw_kint(&w, "category_id", cats[k].first->category_id);
        jw_kstr(&w, "code", cats[k].first->code);
        jw_kstr(&w, "name", cats[k].first->name);
        jw_kint(&w, "n", cats[k].n);
        jw_kint(&w, "kept", cats[k].kept);
        jw_knum(&w, "accuracy", acc_of(cats[k].kept, cats[k].n));
        jw_key(&w, "weeks");
        jw_arr(&w);
        for (size_t i = 0; i < nweeks; i++) {
            jw_obj(&w);
            week_day(weeks[i], day);
            jw_kstr(&w, "monday", day);
            jw_kint(&w, "n", cats[k].wn[i]);
            jw_kint(&w, "kept", cats[k].wkept[i]);
            jw_knum(&w, "accuracy", acc_of(cats[k].wkept[i], cats[k].wn[i]));
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)ncat);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---- GET /api/v1/stats/ladder: 层级处置, what each level closed itself ---- */

static void ladder_row_json(struct jw *w, const struct assess_ladder_row *r)
{
    jw_obj(w);
    jw_kopt(w, "street_id", r->street_id);
    jw_kstr(w, "code", *r->code ? r->code : NULL);
    jw_kstr(w, "name", *r->name ? r->name : NULL);
    jw_kint(w, "closed", r->closed);
    jw_key(w, "closed_by_level");
    jw_obj(w);
    static const char *const levels[] = {"", "grid", "community", "street", "district"};
    for (int i = 1; i <= 4; i++)
        jw_kint(w, levels[i], r->closed_at[i]);
    jw_obj_end(w);
    jw_kint(w, "grid_entered", r->grid_entered);
    jw_kint(w, "grid_kept", r->grid_kept);
    jw_kint(w, "community_entered", r->community_entered);
    jw_kint(w, "community_kept", r->community_kept);
    jw_knum(w, "grid_rate", r->grid_rate);           /* 小事不出网格率; NAN → null */
    jw_knum(w, "community_rate", r->community_rate); /* 大事不出社区率 */
    jw_obj_end(w);
}

int api_stats_ladder(struct api_call *call)
{
    struct assess_params p;
    struct assess_ladder_row *rows, total;
    size_t n;
    const char *format = "json";
    int rc;
    if ((rc = parse(call, &p, &format)) < 0)
        return rc;
    if (strcmp(format, "json") != 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "format",
                         "query parameter 'format' must be json here");
    if (!(call->user->roles & ROLE_ADMIN) && call->user->region_code && *call->user->region_code)
        p.within = call->user->region_code;
    if ((rc = assess_ladder(call->conn, &p, call->req->arena, &rows, &n, &total, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "from", p.from);
    jw_ktime(&w, "to", p.to);
    jw_kstr(&w, "within", p.within);
    jw_key(&w, "total");
    ladder_row_json(&w, &total);
    jw_key(&w, "rows");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        ladder_row_json(&w, &rows[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
