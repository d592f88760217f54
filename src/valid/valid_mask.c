/*
 * Display masking in the GB/T 35273 style (see docs/data-sharing.md for the rules). Works on
 * UTF-8 characters: a Chinese character is one character and becomes one '*'.
 */
#include "valid/valid.h"

#include <stdio.h>
#include <string.h>

static const char *const rule_names[MASK_NRULES] = {
    "none", "full", "name", "id_card", "mobile", "phone", "address", "credit_code", "email", "year",
};

int valid_mask_rule_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < MASK_NRULES; i++)
        if (!strcmp(name, rule_names[i]))
            return i;
    return -1;
}

const char *valid_mask_rule_name(enum valid_mask_rule r)
{
    return (unsigned)r < MASK_NRULES ? rule_names[r] : "";
}

/* Bytes of the UTF-8 character at s (1 for a stray byte, so every input advances). */
static size_t u8len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

static size_t u8count(const char *s)
{
    size_t n = 0;
    while (*s) {
        s += u8len(s);
        n++;
    }
    return n;
}

/* Byte offset of character number k (or the end). */
static size_t u8offset(const char *s, size_t k)
{
    const char *p = s;
    while (*p && k--)
        p += u8len(p);
    return (size_t)(p - s);
}

struct out {
    char *buf;
    size_t cap, len;
    int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->overflow || o->len + n + 1 > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void stars(struct out *o, size_t n)
{
    while (n--)
        put(o, "*", 1);
}

/* Keeps the first `head` and last `tail` characters, one '*' per masked character. */
static void keep_ends(struct out *o, const char *in, size_t head, size_t tail)
{
    size_t n = u8count(in);
    if (head + tail >= n) {
        stars(o, n);
        return;
    }
    size_t a = u8offset(in, head), b = u8offset(in, n - tail);
    put(o, in, a);
    stars(o, n - head - tail);
    put(o, in + b, strlen(in + b));
}

static const char *const compound_surnames[] = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
    "呼延", "申屠", "澹台", "公冶", "太史", "万俟", "闻人", "赫连", "拓跋", "钟离",
};

static void mask_name(struct out *o, const char *in)
{
    size_t n = u8count(in);
    size_t keep = 1;
    if (n >= 3)
        for (size_t i = 0; i < sizeof compound_surnames / sizeof *compound_surnames; i++)
            if (!strncmp(in, compound_surnames[i], strlen(compound_surnames[i])))
                keep = 2;
    if (n <= 1) {
        put(o, in, strlen(in));
        return;
    }
    size_t a = u8offset(in, keep);
    put(o, in, a);
    for (const char *p = in + a; *p; p += u8len(p))
        if (*p == ' ' || !strncmp(p, "\xc2\xb7", 2)) /* keep spaces and the middle dot · */
            put(o, p, u8len(p));
        else
            put(o, "*", 1);
}

/* Area code (kept), "****", the last two digits: 0571-86900101 → 0571-****01. The separator
 * after the area code is kept when the input wrote one; an extension is dropped. */
static void mask_phone(struct out *o, const char *in)
{
    char d[32];
    size_t nd = 0, area = 0, sep_at = 0;
    const char *p = in;
    for (; *p && nd < sizeof d - 1; p++) {
        if (!strncmp(p, "\xef\xbc\x88", 3) || !strncmp(p, "\xef\xbc\x89", 3)) { /* （ ） */
            p += 2;
            if (nd > 0 && !sep_at)
                sep_at = nd;
            continue;
        }
        if (*p >= '0' && *p <= '9') {
            d[nd++] = *p;
            continue;
        }
        if (nd > 0 && (*p == 'x' || *p == 'X' || *p == '#' || *p == 'e' || *p == 'E' ||
                       (unsigned char)*p >= 0x80))
            break; /* an extension ("转", "ext", "x") or text: the number ended */
        if (nd > 0 && !sep_at)
            sep_at = nd;
    }
    d[nd] = '\0';
    if (nd && d[0] == '0')
        area = (nd > 1 && (d[1] == '1' || d[1] == '2')) ? 3 : 4;
    /* A third group of digits after area-number is an extension too (010-12345678-123). */
    size_t groups = 0, last_start = 0, k = 0;
    int in_digits = 0;
    for (const char *q = in; q < p; q++) {
        int digit = *q >= '0' && *q <= '9';
        if (digit && !in_digits) {
            groups++;
            last_start = k;
        }
        in_digits = digit;
        k += digit;
    }
    if (groups >= 3 && area && nd - last_start <= 6)
        nd = last_start;
    if (nd <= area + 2) {
        stars(o, u8count(in));
        return;
    }
    put(o, d, area);
    if (area && sep_at == area)
        put(o, "-", 1);
    put(o, "****", 4);
    put(o, d + nd - 2, 2);
}

/* Cut after the community level (社区 / 小区 / 村, the first one written), else after 街道,
 * else after the first keep characters; then "***" when something was cut off. */
static void mask_address(struct out *o, const char *in, int keep)
{
    static const char *const markers[] = {"社区", "小区", "村"};
    const char *cut = NULL;
    for (size_t i = 0; i < sizeof markers / sizeof *markers; i++) {
        const char *m = strstr(in, markers[i]);
        if (m && (!cut || m + strlen(markers[i]) < cut))
            cut = m + strlen(markers[i]);
    }
    if (!cut) {
        const char *m = strstr(in, "街道");
        if (m)
            cut = m + strlen("街道");
    }
    size_t a = cut ? (size_t)(cut - in) : u8offset(in, keep > 0 ? (size_t)keep : 6);
    put(o, in, a);
    if (in[a])
        put(o, "***", 3);
}

static void mask_email(struct out *o, const char *in)
{
    const char *at = strrchr(in, '@');
    if (!at || at == in) {
        stars(o, u8count(in));
        return;
    }
    put(o, in, u8len(in));
    put(o, "***", 3);
    put(o, at, strlen(at));
}

static void mask_year(struct out *o, const char *in)
{
    int ymd;
    if (valid_parse_date(in, &ymd) == VALID_OK) {
        char y[16];
        int n = snprintf(y, sizeof y, "%04d", ymd / 10000);
        put(o, y, (size_t)n);
        return;
    }
    stars(o, u8count(in));
}

int valid_mask(enum valid_mask_rule r, const char *in, char *buf, size_t cap, int address_keep)
{
    struct out o = {buf, cap, 0, 0};
    if (!buf || cap == 0)
        return -1;
    buf[0] = '\0';
    if (!in)
        in = "";
    switch (r) {
    case MASK_NONE: put(&o, in, strlen(in)); break;
    case MASK_FULL: stars(&o, u8count(in)); break;
    case MASK_NAME: mask_name(&o, in); break;
    case MASK_ID_CARD: keep_ends(&o, in, 6, 4); break;
    case MASK_MOBILE: {
        char d[12];
        if (valid_mobile(in, d) == VALID_OK)
            keep_ends(&o, d, 3, 4);
        else
            keep_ends(&o, in, 3, 4);
        break;
    }
    case MASK_PHONE: {
        char d[12];
        if (valid_mobile(in, d) == VALID_OK) /* a phone field may hold a mobile */
            keep_ends(&o, d, 3, 4);
        else
            mask_phone(&o, in);
        break;
    }
    case MASK_ADDRESS: mask_address(&o, in, address_keep); break;
    case MASK_CREDIT_CODE:
        if (u8count(in) == 18)
            keep_ends(&o, in, 8, 2);
        else
            keep_ends(&o, in, 2, 2);
        break;
    case MASK_EMAIL: mask_email(&o, in); break;
    case MASK_YEAR: mask_year(&o, in); break;
    default: stars(&o, u8count(in)); break;
    }
    if (o.overflow) {
        buf[0] = '\0';
        return -1;
    }
    return (int)o.len;
}
