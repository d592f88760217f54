/*
 * A value checked by its field's type: the validators the import and the quality run share.
 */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "core/clock.h"
#include "core/num.h"
#include "core/utf8.h"

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

/* GB 11643: 6-digit region, 8-digit birth date, 3-digit order, MOD 11-2 check character. */
static int id_card(const char *v, const char **reason)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    if (strlen(v) != 18 || !digits(v, 17) ||
        !((v[17] >= '0' && v[17] <= '9') || v[17] == 'X' || v[17] == 'x')) {
        *reason = "身份证号应为18位";
        return 0;
    }
    if (v[0] < '1' || (v[0] - '0') * 10 + (v[1] - '0') < 11 ||
        (v[0] - '0') * 10 + (v[1] - '0') > 91) {
        *reason = "身份证号地区码无效";
        return 0;
    }
    int y = (v[6] - '0') * 1000 + (v[7] - '0') * 100 + (v[8] - '0') * 10 + (v[9] - '0');
    int m = (v[10] - '0') * 10 + (v[11] - '0'), d = (v[12] - '0') * 10 + (v[13] - '0');
    if (!valid_date(y, m, d)) {
        *reason = "身份证号出生日期无效";
        return 0;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (v[i] - '0') * w[i];
    char c = v[17] == 'x' ? 'X' : v[17];
    if (check[sum % 11] != c) {
        *reason = "身份证号校验码错误";
        return 0;
    }
    return 1;
}

/* GB 32100: 18 characters of 0-9A-Z without I O Z S V, MOD 31 check character. */
static int credit_code(const char *v, const char **reason)
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    if (strlen(v) != 18) {
        *reason = "统一社会信用代码应为18位";
        return 0;
    }
    int val[18];
    for (int i = 0; i < 18; i++) {
        const char *p = v[i] ? strchr(set, v[i]) : NULL;
        if (!p) {
            *reason = "统一社会信用代码含有无效字符";
            return 0;
        }
        val[i] = (int)(p - set);
    }
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += val[i] * w[i];
    int c = (31 - sum % 31) % 31;
    if (c != val[17]) {
        *reason = "统一社会信用代码校验码错误";
        return 0;
    }
    return 1;
}

static int mobile(const char *v, const char **reason)
{
    if (strncmp(v, "+86", 3) == 0)
        v += 3;
    if (strlen(v) != 11 || !digits(v, 11) || v[0] != '1' || v[1] < '3') {
        *reason = "手机号码格式错误";
        return 0;
    }
    return 1;
}

/* A fixed line (区号-号码, 0 and 2-3 digits then 7-8 digits) or a mobile. */
static int phone(const char *v, const char **reason)
{
    const char *dash = strchr(v, '-');
    if (!dash && v[0] == '1')
        return mobile(v, reason);
    size_t n = strlen(v);
    if (dash) {
        size_t area = (size_t)(dash - v), rest = n - area - 1;
        if (v[0] == '0' && area >= 3 && area <= 4 && digits(v, area) && rest >= 7 && rest <= 8 &&
            digits(dash + 1, rest))
            return 1;
    } else if ((n == 7 || n == 8) && digits(v, n) && v[0] != '0') {
        return 1;
    } else if (n >= 10 && n <= 12 && v[0] == '0' && digits(v, n)) {
        return 1;
    }
    *reason = "电话号码格式错误";
    return 0;
}

static int date(const char *v, const char **reason)
{
    int y, m, d;
    char tail;
    if ((sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ||
         sscanf(v, "%4d/%2d/%2d%c", &y, &m, &d, &tail) == 3) &&
        valid_date(y, m, d))
        return 1;
    if (strlen(v) == 8 && digits(v, 8)) {
        y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
        m = (v[4] - '0') * 10 + (v[5] - '0');
        d = (v[6] - '0') * 10 + (v[7] - '0');
        if (valid_date(y, m, d))
            return 1;
    }
    *reason = "日期格式错误";
    return 0;
}

static int email(const char *v, const char **reason)
{
    const char *at = strchr(v, '@');
    if (at && at != v && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
        v[strlen(v) - 1] != '.' && !strchr(v, ' '))
        return 1;
    *reason = "电子邮箱格式错误";
    return 0;
}

/* A person's name: 2 to 30 characters, no digits. */
static int name(const char *v, const char **reason)
{
    size_t n = utf8_len(v);
    for (const char *p = v; *p; p++)
        if ((*p >= '0' && *p <= '9') || *p == '@') {
            *reason = "姓名含有数字或符号";
            return 0;
        }
    if (n < 2 || n > 30) {
        *reason = "姓名长度应为2至30个字";
        return 0;
    }
    return 1;
}

int catalog_value_valid(const char *type, const char *v, const char **reason)
{
    *reason = NULL;
    if (strcmp(type, "id_card") == 0)
        return id_card(v, reason);
    if (strcmp(type, "credit_code") == 0)
        return credit_code(v, reason);
    if (strcmp(type, "mobile") == 0)
        return mobile(v, reason);
    if (strcmp(type, "phone") == 0)
        return phone(v, reason);
    if (strcmp(type, "date") == 0)
        return date(v, reason);
    if (strcmp(type, "email") == 0)
        return email(v, reason);
    if (strcmp(type, "name") == 0)
        return name(v, reason);
    if (strcmp(type, "integer") == 0) {
        int64_t i;
        if (num_parse_int(v, &i) == 0)
            return 1;
        *reason = "应为整数";
        return 0;
    }
    if (strcmp(type, "number") == 0) {
        double d;
        if (num_parse_double(v, &d) == 0)
            return 1;
        *reason = "应为数字";
        return 0;
    }
    return 1; /* text, address, region: checked elsewhere (regions) or free */
}
