/*
 * The 通报 (bulletin) of a month, a quarter, a year or any period as a print-ready A4 PDF: the
 * period's totals and further KPIs, a bar chart of the composite score per group, the ranking
 * table with 三率 and a table of how each group handled its cases (签收, 按期, 整改, 返工, 延期,
 * backlog), drawn with cairo and laid out with pango in a CJK font (Noto Sans CJK SC, embedded
 * by cairo as a subset), from the same rows as the assessment's JSON, CSV and XLSX (GET /api/v1/stats/assessment?format=pdf). Output only:
 * nothing here parses outside input.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdatomic.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "assess/assess.h"
#include "core/buf.h"
#include "core/clock.h"

/* A4 in points; margins of 2 cm. */
#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 56.0
#define FONT "Noto Sans CJK SC"
#define CHART_ROWS 15 /* groups in the chart: the best ranked */

/* Whether a bulletin was drawn: pango, cairo and fontconfig then hold process-wide caches. */
static atomic_int drawn;

void api_bulletin_shutdown(void)
{
    /* Their caches live for the process; handing them back at exit keeps the leak checker's
     * report about our own memory (the order matters: pango's font map holds fontconfig). */
    if (!atomic_load(&drawn))
        return;
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
    buf_append((struct buf *)closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

/* Text at (x, y), 'size' points, left-aligned (or right-aligned to x when 'right'); returns the
 * height it took. */
static double text(cairo_t *cr, double x, double y, double size, int bold, int right, const char *s)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_text(l, s, -1);
    /* Long lines wrap inside the right margin. */
    if (!right) {
        pango_layout_set_width(l, (int)((PAGE_W - MARGIN - x) * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    }
    int w, h;
    pango_layout_get_pixel_size(l, &w, &h);
    cairo_move_to(cr, right ? x - w : x, y);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(fd);
    g_object_unref(l);
    return h;
}

static const char *pct(char *out, size_t n, double v)
{
    if (isnan(v))
        snprintf(out, n, "—");
    else
        snprintf(out, n, "%.1f%%", v * 100);
    return out;
}

static double share(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : NAN;
}

static void rule(cairo_t *cr, double y)
{
    cairo_move_to(cr, MARGIN, y - 2);
    cairo_line_to(cr, PAGE_W - MARGIN, y - 2);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

/* The second table: how each group handled its cases (docs/assessment.md, "More KPIs"), in
 * the ranking's order; returns where it ended. */
static double quality(cairo_t *cr, double y, const struct assess_row *rows, size_t n)
{
    static const char *const head[] = {"名称",   "及时签收率", "按期办结率", "整改率",
                                       "返工率", "延期率",     "期末积压",   "其中超期"};
    static const double colx[] = {0, 166, 226, 286, 336, 386, 436, 486};
    char a[64];
    if (y > PAGE_H - MARGIN - 60) {
        cairo_show_page(cr);
        y = MARGIN;
    }
    y += text(cr, MARGIN, y, 12, 1, 0, "办理质量") + 8;
    for (size_t j = 0; j < sizeof(head) / sizeof(head[0]); j++)
        text(cr, MARGIN + colx[j], y, 9.5, 1, 0, head[j]);
    y += 16;
    cairo_set_line_width(cr, 0.5);
    for (size_t i = 0; i < n; i++) {
        const struct assess_row *r = &rows[i];
        if (y > PAGE_H - MARGIN - 14) {
            cairo_show_page(cr);
            y = MARGIN;
        }
        rule(cr, y);
        text(cr, MARGIN + colx[0], y, 9, 0, 0, *r->name ? r->name : "（未定位）");
        const double v[] = {r->sign_rate, r->on_time_rate, r->rectify_rate, r->rework_rate,
                            r->extension_rate};
        for (size_t j = 0; j < 5; j++)
            text(cr, MARGIN + colx[1 + j], y, 9, 0, 0, pct(a, sizeof(a), v[j]));
        snprintf(a, sizeof(a), "%lld", (long long)r->backlog);
        text(cr, MARGIN + colx[6], y, 9, 0, 0, a);
        snprintf(a, sizeof(a), "%lld", (long long)r->backlog_overdue);
        text(cr, MARGIN + colx[7], y, 9, 0, 0, a);
        y += 15;
    }
    return y;
}

static void local_day(int64_t t, char out[32])
{
    char iso[32];
    /* The bulletin speaks Beijing time (UTC+8), as the centre does. */
    clock_format_utc(t + 8 * 3600, iso);
    snprintf(out, 32, "%.4s年%.2s月%.2s日", iso, iso + 5, iso + 8);
}

static void draw(cairo_t *cr, const struct assess_params *p, const struct assess_row *rows,
                 size_t n)
{
    char a[64], b[64], line[512];
    double y = MARGIN;
    int64_t dispatched = 0, closed = 0, evaluations = 0, overdue = 0, answered = 0, backlog = 0,
            backlog_overdue = 0, sig = 0, sig_ok = 0, due = 0, on_time = 0, rect = 0, rect_ok = 0,
            ever = 0, rework = 0, ext = 0;
    for (size_t i = 0; i < n; i++) {
        const struct assess_row *r = &rows[i];
        dispatched += r->dispatched;
        closed += r->closed;
        evaluations += r->evaluations;
        overdue += r->overdue;
        answered += r->answered;
        backlog += r->backlog;
        backlog_overdue += r->backlog_overdue;
        sig += r->signed_cases;
        sig_ok += r->signed_on_time;
        due += r->due;
        on_time += r->on_time;
        rect += r->rectified;
        rect_ok += r->rectify_done;
        ever += r->replied_ever;
        rework += r->reworked;
        ext += r->extended;
    }
    char from[32], to[32];
    local_day(p->from, from);
    local_day(p->to - 1, to);
    cairo_set_source_rgb(cr, 0, 0, 0);
    y += text(cr, PAGE_W / 2 - 150, y, 20, 1, 0, "12345 热线诉求办理情况通报");
    snprintf(line, sizeof(line), "统计期间：%s 至 %s　　按%s排名", from, to,
             p->by == ASSESS_BY_REGION ? "区域" : "承办部门");
    y += 6 + text(cr, MARGIN, y + 6, 10.5, 0, 0, line);
    snprintf(line, sizeof(line),
             "本期派单 %lld 件，办结 %lld 件，有效回访 %lld 件，超期 %lld 件。排名按综合成绩"
             "（响应率、解决率、满意率加权，满意率中基本满意按 %.1f 计）。",
             (long long)dispatched, (long long)closed, (long long)evaluations, (long long)overdue,
             p->k);
    y += 8 + text(cr, MARGIN, y + 8, 10.5, 0, 0, line);
    char r1[16], r2[16], r3[16], r4[16], r5[16], r6[16];
    snprintf(line, sizeof(line),
             "直接答复 %lld 件，直接答复率 %s；及时签收率 %s，按期办结率 %s，整改率 %s，返工率 %s，"
             "延期率 %s；期末积压 %lld 件，其中超期 %lld 件。",
             (long long)answered, pct(r1, sizeof(r1), share(answered, answered + dispatched)),
             pct(r2, sizeof(r2), share(sig_ok, sig)), pct(r3, sizeof(r3), share(on_time, due)),
             pct(r4, sizeof(r4), share(rect_ok, rect)), pct(r5, sizeof(r5), share(rework, ever)),
             pct(r6, sizeof(r6), share(ext, dispatched)), (long long)backlog,
             (long long)backlog_overdue);
    y += 4 + text(cr, MARGIN, y + 4, 10.5, 0, 0, line);

    /* The chart: one bar per ranked group, score 0..100. */
    y += 18;
    text(cr, MARGIN, y, 12, 1, 0, "综合成绩");
    y += 22;
    double label_w = 150, bar_x = MARGIN + label_w, bar_w = PAGE_W - MARGIN - bar_x - 40;
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < CHART_ROWS; i++) {
        if (!rows[i].rank || isnan(rows[i].score))
            continue;
        text(cr, bar_x - 6, y, 9, 0, 1, *rows[i].name ? rows[i].name : "（未定位）");
        cairo_set_source_rgb(cr, 0.11, 0.31, 0.85);
        cairo_rectangle(cr, bar_x, y + 2, bar_w * rows[i].score / 100.0, 10);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        snprintf(a, sizeof(a), "%.1f", rows[i].score);
        text(cr, bar_x + bar_w * rows[i].score / 100.0 + 4, y, 9, 0, 0, a);
        y += 16;
        shown++;
    }
    if (!shown)
        y += text(cr, MARGIN, y, 10, 0, 0, "本期没有可排名的单位（无有效回访）。");

    /* The table: rank, name, 三率, score, counts. */
    static const char *const head[] = {"排名",     "名称", "响应率", "解决率", "满意率",
                                       "综合成绩", "派单", "办结",   "回访"};
    static const double colx[] = {0, 34, 200, 250, 300, 350, 405, 445, 485};
    y += 20;
    for (size_t j = 0; j < sizeof(head) / sizeof(head[0]); j++)
        text(cr, MARGIN + colx[j], y, 9.5, 1, 0, head[j]);
    y += 16;
    cairo_set_line_width(cr, 0.5);
    for (size_t i = 0; i < n; i++) {
        if (y > PAGE_H - MARGIN - 14) {
            cairo_show_page(cr);
            y = MARGIN;
        }
        cairo_move_to(cr, MARGIN, y - 2);
        cairo_line_to(cr, PAGE_W - MARGIN, y - 2);
        cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        const struct assess_row *r = &rows[i];
        if (r->rank) {
            snprintf(a, sizeof(a), "%d", r->rank);
            text(cr, MARGIN + colx[0], y, 9, 0, 0, a);
        }
        text(cr, MARGIN + colx[1], y, 9, 0, 0, *r->name ? r->name : "（未定位）");
        text(cr, MARGIN + colx[2], y, 9, 0, 0, pct(a, sizeof(a), r->response_rate));
        text(cr, MARGIN + colx[3], y, 9, 0, 0, pct(a, sizeof(a), r->solve_rate));
        text(cr, MARGIN + colx[4], y, 9, 0, 0, pct(a, sizeof(a), r->satisfaction_rate));
        if (isnan(r->score))
            snprintf(b, sizeof(b), "—");
        else
            snprintf(b, sizeof(b), "%.2f", r->score);
        text(cr, MARGIN + colx[5], y, 9, 0, 0, b);
        snprintf(a, sizeof(a), "%lld", (long long)r->dispatched);
        text(cr, MARGIN + colx[6], y, 9, 0, 0, a);
        snprintf(a, sizeof(a), "%lld", (long long)r->closed);
        text(cr, MARGIN + colx[7], y, 9, 0, 0, a);
        snprintf(a, sizeof(a), "%lld", (long long)r->evaluations);
        text(cr, MARGIN + colx[8], y, 9, 0, 0, a);
        y += 15;
    }
    y = quality(cr, y + 16, rows, n);
    y += 12;
    if (y > PAGE_H - MARGIN - 30) {
        cairo_show_page(cr);
        y = MARGIN;
    }
    text(cr, MARGIN, y, 8.5, 0, 0,
         "说明：比率的分母为 0 时记为“—”（未参评），不计为 0；无效回访（经审核认定）不计入三率。");
}

int api_bulletin_pdf(struct api_call *call, const struct assess_params *p,
                     const struct assess_row *rows, size_t n, const char *disposition)
{
    struct buf out;
    buf_init(&out);
    atomic_store(&drawn, 1);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(to_buf, &out, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "12345 热线诉求办理情况通报");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "gridloop");
    cairo_t *cr = cairo_create(s);
    draw(cr, p, rows, n);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS || !out.len) {
        buf_release(&out);
        return err_set(&call->err, ERR_INTERNAL, "cannot draw the bulletin: %s",
                       cairo_status_to_string(st));
    }
    http_res_header(call->res, "Content-Disposition", disposition);
    size_t len;
    char *body = buf_detach(&out, &len);
    http_res_body(call->res, 200, "application/pdf", body, len, HTTP_BODY_FREE);
    return 0;
}
