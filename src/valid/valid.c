/*
 * Identifier validators and the importers' parsers. See valid.h; the worked examples come from
 * GB 11643 (ISO 7064 MOD 11-2), GB 32100 (MOD 31) and GB 11714 (MOD 11), see docs/data-sharing.md.
 */
#include "valid/valid.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_keys[VALID_NREASONS] = {
    "",
    "valid.empty",
    "valid.length",
    "valid.chars",
    "valid.region",
    "valid.birth",
    "valid.check",
    "valid.authority",
    "valid.org_type",
    "valid.org_check",
    "valid.prefix",
    "valid.extension",
    "valid.date",
    "valid.number",
};

static const char *const reason_zh[VALID_NREASONS] = {
    "",
    "未填写",
    "长度错误",
    "含有无效字符",
    "行政区划代码无效",
    "出生日期无效",
    "校验码错误",
    "登记管理部门代码无效",
    "机构类别代码无效",
    "组织机构代码校验码错误",
    "号段无效",
    "分机号无效",
    "日期无效",
    "数值无效",
};

const char *valid_reason_key(enum valid_reason r)
{
    return (unsigned)r < VALID_NREASONS ? reason_keys[r] : "valid.unknown";
}

const char *valid_reason_zh(enum valid_reason r)
{
    return (unsigned)r < VALID_NREASONS ? reason_zh[r] : "无效";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int valid_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Province-level prefixes of GB/T 2260 in use (and 71 台湾, 81 香港, 82 澳门). */
static int province_ok(int p)
{
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
           (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
           p == 81 || p == 82;
}

enum valid_reason valid_id_card(const char *s, int today_ymd)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    if (!s || !*s)
        return VALID_EMPTY;
    size_t n = strlen(s);
    if (n != 18)
        return VALID_LENGTH;
    for (int i = 0; i < 17; i++)
        if (!is_digit(s[i]))
            return VALID_CHARS;
    if (!is_digit(s[17]) && s[17] != 'X' && s[17] != 'x')
        return VALID_CHARS;
    int prov = (s[0] - '0') * 10 + (s[1] - '0');
    if (!province_ok(prov))
        return VALID_REGION;
    /* The city and county parts are never 00 together with a non-zero follow-up pattern we
     * could check without the full list; at least the county part of a person is not "00"
     * for provinces that have cities, but 4-digit cities such as 110100 do occur in old IDs,
     * so only the province is checked. */
    int y = 0, m = 0, d = 0;
    for (int i = 6; i < 10; i++)
        y = y * 10 + (s[i] - '0');
    m = (s[10] - '0') * 10 + (s[11] - '0');
    d = (s[12] - '0') * 10 + (s[13] - '0');
    if (y < 1800 || m < 1 || m > 12 || d < 1 || d > valid_days_in_month(y, m))
        return VALID_BIRTH;
    if (today_ymd > 0 && y * 10000 + m * 100 + d > today_ymd)
        return VALID_BIRTH;
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (s[i] - '0') * w[i];
    char want = check[sum % 11];
    char got = s[17] == 'x' ? 'X' : s[17];
    return got == want ? VALID_OK : VALID_CHECK;
}

static const char uscc_set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int uscc_value(char c)
{
    const char *p = c ? strchr(uscc_set, c) : NULL;
    return p ? (int)(p - uscc_set) : -1;
}

/* Organisation type codes allowed after each registration authority code (GB 32100 表1). */
static const char *uscc_types(char authority)
{
    switch (authority) {
    case '1': return "1239";
    case '2': return "19";
    case '3': return "123459";
    case '4': return "19";
    case '5': return "1239";
    case '6': return "129";
    case '7': return "129";
    case '8': return "19";
    case '9': return "123";
    case 'A': return "19";
    case 'N': return "1239";
    case 'Y': return "1";
    default: return NULL;
    }
}

char valid_org_code_check(const char *eight)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = eight[i];
        int v;
        if (is_digit(c))
            v = c - '0';
        else if (c >= 'A' && c <= 'Z')
            v = c - 'A' + 10;
        else
            return 0;
        sum += v * w[i];
    }
    int c9 = 11 - sum % 11;
    if (c9 == 10)
        return 'X';
    if (c9 == 11)
        return '0';
    return (char)('0' + c9);
}

enum valid_reason valid_credit_code(const char *s, int strict_org)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    if (!s || !*s)
        return VALID_EMPTY;
    if (strlen(s) != 18)
        return VALID_LENGTH;
    int v[18];
    for (int i = 0; i < 18; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        v[i] = uscc_value(c);
        if (v[i] < 0)
            return VALID_CHARS;
    }
    char auth = s[0] >= 'a' && s[0] <= 'z' ? (char)(s[0] - 'a' + 'A') : s[0];
    const char *types = uscc_types(auth);
    if (!types)
        return VALID_AUTHORITY;
    if (!strchr(types, s[1]))
        return VALID_ORG_TYPE;
    for (int i = 2; i < 8; i++)
        if (!is_digit(s[i]))
            return VALID_REGION;
    int prov = (s[2] - '0') * 10 + (s[3] - '0');
    if (!province_ok(prov) && prov != 10)
        return VALID_REGION;
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += v[i] * w[i];
    int c18 = 31 - sum % 31;
    if (c18 == 31)
        c18 = 0;
    if (v[17] != c18)
        return VALID_CHECK;
    if (strict_org == VALID_ORG_ALWAYS ||
        (strict_org == VALID_ORG_USUAL && !(auth == '9' && s[1] == '2'))) {
        char org[9];
        for (int i = 0; i < 9; i++)
            org[i] = s[8 + i] >= 'a' && s[8 + i] <= 'z' ? (char)(s[8 + i] - 'a' + 'A') : s[8 + i];
        char c9 = valid_org_code_check(org);
        if (!c9 || c9 != org[8])
            return VALID_ORG_CHECK;
    }
    return VALID_OK;
}

/* s after leading spaces and tabs; NULL stays NULL. */
static const char *skip_blank(const char *s)
{
    while (s && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* Collects up to cap digits of s skipping spaces and dashes; -1 on any other character. */
static int digits_only(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '-' || *s == '\t')
            continue;
        if (!is_digit(*s))
            return -1;
        if (n + 1 >= cap)
            return -2;
        out[n++] = *s;
    }
    out[n] = '\0';
    return (int)n;
}

enum valid_reason valid_mobile(const char *s, char out[12])
{
    if (out)
        out[0] = '\0';
    s = skip_blank(s);
    if (!s || !*s)
        return VALID_EMPTY;
    int plus = 0;
    if (*s == '+') {
        plus = 1;
        s++;
    }
    char d[32];
    int n = digits_only(s, d, sizeof d);
    if (n == -1)
        return VALID_CHARS;
    if (n < 0)
        return VALID_LENGTH;
    const char *p = d;
    if (plus) {
        if (strncmp(p, "86", 2) != 0)
            return VALID_PREFIX;
        p += 2;
    } else if (n == 15 && strncmp(p, "0086", 4) == 0) {
        p += 4;
    } else if (n == 13 && strncmp(p, "86", 2) == 0) {
        p += 2;
    }
    if (strlen(p) != 11)
        return VALID_LENGTH;
    if (p[0] != '1' || p[1] < '3')
        return VALID_PREFIX;
    if (out)
        memcpy(out, p, 12);
    return VALID_OK;
}

enum valid_reason valid_phone(const char *s)
{
    s = skip_blank(s);
    if (!s || !*s)
        return VALID_EMPTY;
    /* Split off an extension: 转 / ext / x / # or a third dash-separated group. */
    char main_part[64];
    size_t mlen = 0;
    const char *e = NULL;
    const char *zhuan = strstr(s, "\xe8\xbd\xac"); /* 转 */
    for (const char *q = s; *q; q++) {
        if (q == zhuan) {
            e = q + 3;
            break;
        }
        if (*q == 'x' || *q == 'X' || *q == '#') {
            e = q + 1;
            break;
        }
        if ((*q == 'e' || *q == 'E') && (q[1] == 'x' || q[1] == 'X') &&
            (q[2] == 't' || q[2] == 'T')) {
            e = q + 3;
            if (*e == '.')
                e++;
            break;
        }
        if (mlen + 1 >= sizeof main_part)
            return VALID_LENGTH;
        main_part[mlen++] = *q;
    }
    main_part[mlen] = '\0';
    while (mlen > 0 && (main_part[mlen - 1] == ' ' || main_part[mlen - 1] == '-'))
        main_part[--mlen] = '\0';
    if (e) {
        while (*e == ' ' || *e == ':' || *e == '-')
            e++;
        size_t n = 0;
        for (; *e; e++) {
            if (*e == ' ')
                continue;
            if (!is_digit(*e) || n >= 6)
                return VALID_EXTENSION;
            n++;
        }
        if (n == 0)
            return VALID_EXTENSION;
    }
    /* Parentheses around the area code: "(010)" "（010）". */
    char norm[64];
    size_t k = 0;
    int groups = 0, in_group = 0;
    size_t group_len[4] = {0};
    for (const char *q = main_part; *q; q++) {
        if (*q == '(' || *q == ')' || *q == ' ' || *q == '-') {
            in_group = 0;
            continue;
        }
        if (!strncmp(q, "\xef\xbc\x88", 3) || !strncmp(q, "\xef\xbc\x89", 3)) { /* （ ） */
            q += 2;
            in_group = 0;
            continue;
        }
        if (!is_digit(*q))
            return VALID_CHARS;
        if (!in_group) {
            if (groups == 4)
                return VALID_CHARS;
            groups++;
            in_group = 1;
        }
        group_len[groups - 1]++;
        if (k + 1 >= sizeof norm)
            return VALID_LENGTH;
        norm[k++] = *q;
    }
    norm[k] = '\0';
    /* A third group after "area-number" is an extension: 010-12345678-123. */
    if (groups == 3 && !e) {
        size_t el = group_len[2];
        if (el > 6)
            return VALID_EXTENSION;
        k -= el;
        norm[k] = '\0';
        groups = 2;
    }
    if (k == 0)
        return VALID_EMPTY;
    if (norm[0] != '0')
        return VALID_PREFIX;
    size_t area;
    if (groups == 2)
        area = group_len[0];
    else if (norm[1] == '1' || norm[1] == '2')
        area = 3; /* 010, 02x: the big cities have 3-digit codes */
    else
        area = 4;
    if (area < 3 || area > 4)
        return VALID_PREFIX;
    if (area == 3 && norm[1] != '1' && norm[1] != '2')
        return VALID_PREFIX;
    if (area == 4 && (norm[1] == '0' || norm[1] == '1' || norm[1] == '2'))
        return VALID_PREFIX;
    size_t sub = k - area;
    if (sub < 7 || sub > 8)
        return VALID_LENGTH;
    if (norm[area] == '0')
        return VALID_PREFIX;
    return VALID_OK;
}

/* Reads 1..max digits; returns the number of digits read. */
static int read_num(const char **p, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && is_digit(**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n;
}

enum valid_reason valid_parse_date(const char *s, int *ymd)
{
    s = skip_blank(s);
    if (!s || !*s)
        return VALID_EMPTY;
    const char *p = s;
    int y, m, d;
    int ny = read_num(&p, 8, &y);
    if (ny == 8) {
        d = y % 100;
        m = y / 100 % 100;
        y /= 10000;
    } else if (ny == 4) {
        const char *sep_y = "\xe5\xb9\xb4", *sep_m = "\xe6\x9c\x88",
                   *sep_d = "\xe6\x97\xa5"; /* 年月日 */
        if (!strncmp(p, sep_y, 3)) {
            p += 3;
            if (!read_num(&p, 2, &m) || strncmp(p, sep_m, 3))
                return VALID_DATE;
            p += 3;
            if (!read_num(&p, 2, &d))
                return VALID_DATE;
            if (!strncmp(p, sep_d, 3) || !strncmp(p, "\xe5\x8f\xb7", 3)) /* 日 or 号 */
                p += 3;
        } else {
            char sep = *p;
            if (sep != '-' && sep != '/' && sep != '.')
                return VALID_DATE;
            p++;
            if (!read_num(&p, 2, &m) || *p != sep)
                return VALID_DATE;
            p++;
            if (!read_num(&p, 2, &d))
                return VALID_DATE;
        }
    } else {
        return VALID_DATE;
    }
    /* Optional time part, then only spaces. */
    if (*p == 'T' || (*p == ' ' && is_digit(p[1]))) {
        p++;
        int hh, mm;
        if (!read_num(&p, 2, &hh) || *p != ':' || hh > 23)
            return VALID_DATE;
        p++;
        if (read_num(&p, 2, &mm) != 2 || mm > 59)
            return VALID_DATE;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p)
        return VALID_DATE;
    if (y < 1 || d < 1 || d > valid_days_in_month(y, m))
        return VALID_DATE;
    if (ymd)
        *ymd = y * 10000 + m * 100 + d;
    return VALID_OK;
}

/* Copies s without spaces and thousands separators into buf; -1 if too long or empty. */
static int strip_number(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s; s++) {
        if (*s == ',')
            continue;
        if (n + 1 >= cap)
            return -1;
        buf[n++] = *s;
    }
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return n ? (int)n : -1;
}

enum valid_reason valid_parse_int(const char *s, int64_t *out)
{
    char buf[64];
    if (!s || strip_number(s, buf, sizeof buf) < 0)
        return s && !*s ? VALID_EMPTY : VALID_NUMBER;
    const char *p = buf;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return VALID_NUMBER;
    for (const char *q = p; *q; q++)
        if (!is_digit(*q))
            return VALID_NUMBER;
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (errno == ERANGE || *end)
        return VALID_NUMBER;
    if (out)
        *out = (int64_t)v;
    return VALID_OK;
}

enum valid_reason valid_parse_number(const char *s, double *out)
{
    char buf[128];
    if (!s || strip_number(s, buf, sizeof buf) < 0)
        return s && !*s ? VALID_EMPTY : VALID_NUMBER;
    size_t n = strlen(buf);
    int percent = 0;
    if (buf[n - 1] == '%') {
        percent = 1;
        buf[--n] = '\0';
    }
    /* Grammar check first: strtod also takes hex, inf and nan, which a cell never means. */
    const char *p = buf;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while (is_digit(*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            p++;
            digits++;
        }
    }
    if (!digits)
        return VALID_NUMBER;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return VALID_NUMBER;
        while (is_digit(*p))
            p++;
    }
    if (*p)
        return VALID_NUMBER;
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno == ERANGE || !isfinite(v))
        return VALID_NUMBER;
    if (out)
        *out = percent ? v / 100.0 : v;
    return VALID_OK;
}
