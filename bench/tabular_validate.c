/*
 * Benchmark: reading an uploaded table with src/tabular and validating every row with
 * src/valid, as an import does before it writes anything (issue 17).
 *
 *   bench_tabular_validate gen FILE [--rows N] [--xlsx]    write the table (default 1,000,000)
 *   bench_tabular_validate time FILE [--reps 3]             time it
 *
 * The table: 身份证号, 统一社会信用代码, 手机号, 姓名, 地址, 登记日期, 金额. Realistic values
 * (real province codes and birth dates with their MOD 11-2 check, enterprise credit codes with
 * both check characters, mobile numbers of real prefixes written plain, with +86 or with
 * dashes, names with compound surnames, addresses down to the room, dates in three spellings,
 * amounts with and without thousands separators, 1 % of addresses quoted for an ASCII comma);
 * about 2 % of rows carry one invalid value (a wrong check character, a 12x mobile, 30
 * February, a letter in an amount). Deterministic (fixed seed).
 *
 * "time" reads the file into memory once, then for each rep: (1) parse only, (2) parse and
 * validate every value, and for a CSV (3) the same bytes converted to GB18030 first (in memory,
 * before the clock), parsed with detection and validated. Each figure is rows per second by the
 * wall clock; the median of the reps is printed with the range. The invalid rows found are
 * printed and must be about 2 %.
 */
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "core/buf.h"
#include "core/err.h"
#include "tabular/tabular.h"
#include "valid/valid.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

static const char *const regions[] = {
    "110101", "110105", "110108", "120101", "130102", "140105", "210102", "310101",
    "310115", "320102", "320508", "330106", "330110", "340104", "350102", "360103",
    "370102", "410105", "420106", "430104", "440106", "440305", "450103", "500103",
    "510104", "520102", "530102", "610113", "620102", "650102",
};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈",   "杨",   "黄",   "赵",
                                       "吴", "周", "徐", "孙", "马",   "朱",   "胡",   "郭",
                                       "何", "高", "林", "罗", "欧阳", "司马", "诸葛", "上官"};
static const char *const given[] = {"伟", "芳", "娜", "敏",   "静",   "丽", "强", "磊", "军",
                                    "洋", "勇", "艳", "杰",   "娟",   "涛", "明", "超", "秀英",
                                    "霞", "平", "刚", "桂英", "建华", "文", "华", "红"};
static const char *const cities[] = {"北京市东城区", "北京市朝阳区", "上海市浦东新区",
                                     "杭州市西湖区", "广州市天河区", "成都市武侯区",
                                     "苏州市姑苏区", "武汉市江汉区"};
static const char *const streets[] = {"东华门街道", "建外街道", "北山街道",   "金阊街道",
                                      "五里墩街道", "仓前街道", "天河南街道", "玉林街道"};
static const char *const communities[] = {"多福巷社区", "光华里社区", "养育巷社区",
                                          "葛巷村",     "阳光小区",   "新华社区"};
static const char *const prefixes[] = {"130", "131", "132", "133", "135", "136", "137", "138",
                                       "139", "150", "151", "152", "155", "158", "159", "166",
                                       "173", "177", "180", "181", "186", "187", "189", "199"};

static char id_check(const char *s17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (s17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static const char uscc[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static char credit_check(const char *s17)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(uscc, s17[i]) - uscc) * w[i];
    int c = 31 - sum % 31;
    return uscc[c == 31 ? 0 : c];
}

/* One row's values; bad: which value is made invalid (-1 none). */
static void make_row(char v[7][160], int bad)
{
    char s[32];
    /* 身份证号 */
    snprintf(s, sizeof s, "%s%04u%02u%02u%03u", PICK(regions), 1940 + rnd(68), 1 + rnd(12),
             1 + rnd(28), rnd(1000));
    s[17] = id_check(s);
    s[18] = '\0';
    if (bad == 0)
        s[17] = s[17] == '0' ? '1' : '0';
    snprintf(v[0], 160, "%s", s);
    /* 统一社会信用代码: 91 + region + an organisation code with its GB 11714 check + MOD 31 */
    char org[10];
    for (int i = 0; i < 8; i++)
        org[i] = uscc[rnd(31)];
    org[8] = valid_org_code_check(org);
    org[9] = '\0';
    snprintf(s, sizeof s, "91%s%s", PICK(regions), org);
    s[17] = credit_check(s);
    s[18] = '\0';
    if (bad == 1)
        s[17] = s[17] == 'Y' ? 'X' : 'Y';
    snprintf(v[1], 160, "%s", s);
    /* 手机号 */
    const char *p = bad == 2 ? "128" : PICK(prefixes);
    unsigned a = rnd(10000), b = rnd(10000);
    switch (rnd(10)) {
    case 0: snprintf(v[2], 160, "+86 %s %04u %04u", p, a, b); break;
    case 1: snprintf(v[2], 160, "%s-%04u-%04u", p, a, b); break;
    default: snprintf(v[2], 160, "%s%04u%04u", p, a, b); break;
    }
    /* 姓名 */
    snprintf(v[3], 160, "%s%s%s", PICK(surnames), PICK(given), rnd(2) ? PICK(given) : "");
    /* 地址 */
    if (rnd(100) == 0)
        snprintf(v[4], 160, "%s%s%s%u号楼, %u单元%u室", PICK(cities), PICK(streets),
                 PICK(communities), 1 + rnd(30), 1 + rnd(6), 101 + rnd(1800));
    else
        snprintf(v[4], 160, "%s%s%s%u号楼%u单元%u室", PICK(cities), PICK(streets),
                 PICK(communities), 1 + rnd(30), 1 + rnd(6), 101 + rnd(1800));
    /* 登记日期 */
    unsigned y = 2000 + rnd(26), m = 1 + rnd(12), d = 1 + rnd(28);
    if (bad == 3) {
        m = 2;
        d = 30;
    }
    switch (rnd(3)) {
    case 0: snprintf(v[5], 160, "%u-%02u-%02u", y, m, d); break;
    case 1: snprintf(v[5], 160, "%u/%u/%u", y, m, d); break;
    default: snprintf(v[5], 160, "%u年%u月%u日", y, m, d); break;
    }
    /* 金额 */
    unsigned yuan = rnd(200000), fen = rnd(100);
    if (bad == 4)
        snprintf(v[6], 160, "%u.%02ua", yuan, fen);
    else if (yuan >= 1000 && rnd(2))
        snprintf(v[6], 160, "%u,%03u.%02u", yuan / 1000, yuan % 1000, fen);
    else
        snprintf(v[6], 160, "%u.%02u", yuan, fen);
}

static const char *const header[7] = {"身份证号", "统一社会信用代码", "手机号", "姓名",
                                      "地址",     "登记日期",         "金额"};

static int gen(const char *path, long rows, int xlsx)
{
    char v[7][160];
    long bad_rows = 0;
    if (xlsx) {
        lxw_workbook_options opt = {.constant_memory = 1};
        lxw_workbook *wb = workbook_new_opt(path, &opt);
        lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
        for (int j = 0; j < 7; j++)
            worksheet_write_string(ws, 0, (lxw_col_t)j, header[j], NULL);
        for (long i = 0; i < rows; i++) {
            int bad = rnd(1000) < 20 ? (int)rnd(5) : -1;
            bad_rows += bad >= 0;
            make_row(v, bad);
            for (int j = 0; j < 7; j++)
                worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)j, v[j], NULL);
        }
        if (workbook_close(wb) != LXW_NO_ERROR) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
    } else {
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        fprintf(f, "%s,%s,%s,%s,%s,%s,%s\r\n", header[0], header[1], header[2], header[3],
                header[4], header[5], header[6]);
        for (long i = 0; i < rows; i++) {
            int bad = rnd(1000) < 20 ? (int)rnd(5) : -1;
            bad_rows += bad >= 0;
            make_row(v, bad);
            /* RFC 4180: a value with a comma is quoted. */
            const char *qa = strchr(v[4], ',') ? "\"" : "", *qm = strchr(v[6], ',') ? "\"" : "";
            fprintf(f, "%s,%s,%s,%s,%s%s%s,%s,%s%s%s\r\n", v[0], v[1], v[2], v[3], qa, v[4], qa,
                    v[5], qm, v[6], qm);
        }
        if (fclose(f) != 0) {
            perror(path);
            return 1;
        }
    }
    printf("wrote %s: %ld rows, %ld with an invalid value (%.2f %%)\n", path, rows, bad_rows,
           100.0 * (double)bad_rows / (double)rows);
    return 0;
}

struct count {
    int validate;
    long rows, invalid;
};

static int on_header(void *ud, int64_t line, size_t n, const char *const *c)
{
    (void)ud;
    (void)line;
    (void)c;
    return n == 7 ? 0 : -1;
}

static int on_row(void *ud, int64_t line, size_t n, const char *const *c)
{
    (void)line;
    struct count *k = ud;
    k->rows++;
    if (!k->validate)
        return 0;
    if (n < 7) {
        k->invalid++;
        return 0;
    }
    int ymd;
    double amount;
    if (valid_id_card(c[0], 20261205) != VALID_OK ||
        valid_credit_code(c[1], VALID_ORG_USUAL) != VALID_OK ||
        valid_mobile(c[2], NULL) != VALID_OK || !*c[3] ||
        valid_parse_date(c[5], &ymd) != VALID_OK || valid_parse_number(c[6], &amount) != VALID_OK)
        k->invalid++;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One pass: rows per second; k filled. */
static double pass(const char *data, size_t len, int validate, struct count *k)
{
    struct err err = ERR_INIT;
    struct tabular_limits lim = {.max_rows = 10000000};
    *k = (struct count){validate, 0, 0};
    double t0 = now_s();
    if (tabular_read(data, len, NULL, &lim, on_header, on_row, k, NULL, &err) < 0) {
        fprintf(stderr, "read failed: %s\n", err.msg);
        exit(1);
    }
    return (double)k->rows / (now_s() - t0);
}

static void report(const char *what, double *v, int reps, const struct count *k)
{
    qsort(v, (size_t)reps, sizeof(*v), cmp_double);
    printf("%-34s %9.0f rows/s (median of %d; %.0f - %.0f)  rows %ld", what, v[reps / 2], reps,
           v[0], v[reps - 1], k->rows);
    if (k->validate)
        printf(", invalid %ld (%.2f %%)", k->invalid, 100.0 * (double)k->invalid / (double)k->rows);
    printf("\n");
}

static char *to_gb18030(const char *in, size_t len, size_t *out_len)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    size_t cap = len + 16, left = cap, inleft = len;
    char *out = malloc(cap), *op = out, *ip = (char *)in;
    if (cd == (iconv_t)-1 || !out || iconv(cd, &ip, &inleft, &op, &left) == (size_t)-1) {
        fprintf(stderr, "cannot convert to GB18030\n");
        exit(1);
    }
    iconv_close(cd);
    *out_len = (size_t)(op - out);
    return out;
}

static int time_it(const char *path, int reps)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    struct buf b;
    buf_init(&b);
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    int xlsx = b.len >= 4 && memcmp(b.p, "PK\x03\x04", 4) == 0;
    size_t gb_len = 0;
    char *gb = xlsx ? NULL : to_gb18030(b.p, b.len, &gb_len);
    printf("%s: %s, %.1f MB%s\n", path, xlsx ? "xlsx" : "csv", (double)b.len / 1e6,
           gb ? "" : " (no GB18030 pass for XLSX)");
    if (gb)
        printf("  as GB18030: %.1f MB\n", (double)gb_len / 1e6);
    double parse[16], full[16], gbv[16];
    struct count kp, kf, kg = {0, 0, 0};
    if (reps > 16)
        reps = 16;
    for (int r = 0; r < reps; r++) { /* round robin */
        parse[r] = pass(b.p, b.len, 0, &kp);
        full[r] = pass(b.p, b.len, 1, &kf);
        if (gb)
            gbv[r] = pass(gb, gb_len, 1, &kg);
    }
    report("parse only", parse, reps, &kp);
    report("parse + validate", full, reps, &kf);
    if (gb)
        report("GB18030: detect + parse + validate", gbv, reps, &kg);
    free(gb);
    buf_release(&b);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "gen") == 0) {
        long rows = 1000000;
        int xlsx = 0;
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
                rows = strtol(argv[++i], NULL, 10);
            else if (strcmp(argv[i], "--xlsx") == 0)
                xlsx = 1;
        }
        return gen(argv[2], rows > 0 ? rows : 1, xlsx);
    }
    if (argc >= 3 && strcmp(argv[1], "time") == 0) {
        int reps = 3;
        if (argc >= 5 && strcmp(argv[3], "--reps") == 0)
            reps = (int)strtol(argv[4], NULL, 10);
        return time_it(argv[2], reps > 0 ? reps : 1);
    }
    fprintf(stderr, "usage: %s gen FILE [--rows N] [--xlsx] | time FILE [--reps N]\n", argv[0]);
    return 2;
}
