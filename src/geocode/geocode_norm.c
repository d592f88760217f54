/*
 * geocode_norm: the normalised key of a written Chinese address (docs/maps.md, "The
 * normaliser"). Four passes over the code points: width, case and punctuation; Chinese
 * numerals before a number word; the 号/幢/单元 variants; the leading administrative prefixes.
 */
#include <stdint.h>
#include <string.h>
#include <uchar.h>

#include "core/mem.h"
#include "core/utf8.h"
#include "geocode/geocode.h"

/* clang-format off */
enum {
    CP_HAO = 0x53F7,     /* 号 */
    CP_LOU = 0x697C,     /* 楼 */
    CP_DONG = 0x680B,    /* 栋 */
    CP_ZHUANG = 0x5E62,  /* 幢 */
    CP_ZUO = 0x5EA7,     /* 座 */
    CP_DAN = 0x5355,     /* 单 */
    CP_YUAN = 0x5143,    /* 元 */
    CP_MEN = 0x95E8,     /* 门 */
    CP_DI = 0x7B2C,      /* 第 */
    CP_SHI_CITY = 0x5E02, /* 市 */
    CP_QU = 0x533A,      /* 区 */
    CP_XIAN = 0x53BF,    /* 县 */
    CP_SHENG = 0x7701,   /* 省 */
    CP_JIE = 0x8857,     /* 街 */
    CP_DAO = 0x9053,     /* 道 */
    CP_ZHEN = 0x9547,    /* 镇 */
    CP_XIANG = 0x4E61,   /* 乡 */
    CP_SHE = 0x793E,     /* 社 */
};
/* clang-format on */

static size_t decode(const char *s, size_t len, uint32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = utf8_decode(s + i, len - i, &c);
        if (k == 0) { /* invalid byte: dropped */
            i++;
            continue;
        }
        out[n++] = c;
        i += k;
    }
    return n;
}

static size_t encode(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(uint32_t c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z');
}

/* Pass 1: full-width to half-width, upper case, dashes to '-'; spaces, punctuation, symbols
 * and control characters dropped ('#' and '-' kept for pass 3). Returns the new length. */
static size_t pass_width(uint32_t *c, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = c[i];
        if (x >= 0xFF01 && x <= 0xFF5E)
            x -= 0xFEE0;
        else if (x >= 0x2010 && x <= 0x2015)
            x = '-';
        if (x >= 'a' && x <= 'z')
            x -= 'a' - 'A';
        int keep;
        if (x < 0x80)
            keep = is_alnum(x) || x == '#' || x == '-';
        else if (x == 0x3007) /* 〇 is a numeral, not punctuation */
            keep = 1;
        else
            keep = !(x <= 0xBF || (x >= 0x2000 && x <= 0x2BFF) || (x >= 0x3000 && x <= 0x303F) ||
                     (x >= 0xFE10 && x <= 0xFE1F) || (x >= 0xFE30 && x <= 0xFE6F) ||
                     (x >= 0xFF00 && x <= 0xFFEF) || (x >= 0xE000 && x <= 0xF8FF) || (x >= 0xFFF0));
        if (keep)
            c[o++] = x;
    }
    return o;
}

/* The value of a Chinese digit, -1 if 'x' is none; 10, 100, 1000 for 十 百 千. */
static int numeral(uint32_t x)
{
    switch (x) {
    case 0x96F6: /* 零 */
    case 0x3007: /* 〇 */ return 0;
    case 0x4E00: /* 一 */ return 1;
    case 0x4E8C: /* 二 */
    case 0x4E24: /* 两 */ return 2;
    case 0x4E09: /* 三 */ return 3;
    case 0x56DB: /* 四 */ return 4;
    case 0x4E94: /* 五 */ return 5;
    case 0x516D: /* 六 */ return 6;
    case 0x4E03: /* 七 */ return 7;
    case 0x516B: /* 八 */ return 8;
    case 0x4E5D: /* 九 */ return 9;
    case 0x5341: /* 十 */ return 10;
    case 0x767E: /* 百 */ return 100;
    case 0x5343: /* 千 */ return 1000;
    default: return -1;
    }
}

/* Does a number word start at c[i]: what a house, building, unit or room number is followed
 * by, so that 八十八号 is a number but 八一路 and 十里铺 are names. */
static int number_word_at(const uint32_t *c, size_t n, size_t i)
{
    static const uint32_t words[] = {
        CP_HAO,          0x5F04 /* 弄 */, CP_DONG,         CP_ZHUANG,       CP_ZUO,
        CP_LOU,          0x5BA4 /* 室 */, 0x5C42 /* 层 */, 0x5DF7 /* 巷 */, 0x7EC4 /* 组 */,
        0x671F /* 期 */, CP_QU,           0x6237 /* 户 */, 0x6392 /* 排 */, '#',
    };
    if (i >= n)
        return 0;
    if (c[i] == CP_DAN)
        return i + 1 < n && c[i + 1] == CP_YUAN;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (c[i] == words[k])
            return 1;
    return 0;
}

/* The value of the numeral run c[0..n), read positionally (一百零五) when it has a unit and
 * digit by digit (一〇五) otherwise; written as decimal digits into 'out'. Returns the number
 * of digits written, 0 when the run is not a well-formed number (left as it is). */
static size_t numeral_value(const uint32_t *c, size_t n, uint32_t *out)
{
    int has_unit = 0;
    for (size_t i = 0; i < n; i++)
        if (numeral(c[i]) >= 10)
            has_unit = 1;
    if (!has_unit) {
        for (size_t i = 0; i < n; i++)
            out[i] = '0' + (uint32_t)numeral(c[i]);
        return n;
    }
    long total = 0;
    int digit = -1, last_unit = 10000, zero_seen = 0;
    for (size_t i = 0; i < n; i++) {
        int v = numeral(c[i]);
        if (v == 0) {
            if (digit >= 0 || zero_seen)
                return 0;
            zero_seen = 1;
        } else if (v < 10) {
            if (digit >= 0)
                return 0;
            digit = v;
        } else {
            if (v >= last_unit)
                return 0;
            if (zero_seen && digit < 0)
                return 0;
            total += (long)(digit < 0 ? 1 : digit) * v;
            last_unit = v;
            digit = -1;
            zero_seen = 0;
        }
    }
    if (digit >= 0)
        total += digit;
    else if (zero_seen)
        return 0;
    char tmp[8];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + total % 10);
        total /= 10;
    } while (total > 0);
    for (size_t i = 0; i < k; i++)
        out[i] = (uint32_t)tmp[k - 1 - i];
    return k;
}

/* Pass 2: Chinese numerals before a number word become digits, into 'out' (one numeral can
 * give up to four digits: 千 is 1000). */
static size_t pass_numerals(const uint32_t *c, size_t n, uint32_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (numeral(c[i]) < 0) {
            out[o++] = c[i++];
            continue;
        }
        size_t j = i;
        while (j < n && numeral(c[j]) >= 0)
            j++;
        size_t k = 0;
        if (number_word_at(c, n, j) && (k = numeral_value(c + i, j - i, out + o)) > 0) {
            o += k;
        } else {
            memcpy(out + o, c + i, (j - i) * sizeof *c);
            o += j - i;
        }
        i = j;
    }
    return o;
}

/* Pass 3: the variants. 栋, and 座 / 号楼 / #楼 after a number or letter, become 幢; # after a
 * number becomes 号; 单元门 becomes 单元; 第 before a number goes; '-' stays only between two
 * digits. */
static size_t pass_variants(uint32_t *c, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = c[i], next = i + 1 < n ? c[i + 1] : 0;
        int after_num = o > 0 && is_alnum(c[o - 1]);
        if (x == '#') {
            if (!after_num)
                continue;
            if (next == CP_LOU) {
                c[o++] = CP_ZHUANG;
                i++;
            } else {
                c[o++] = CP_HAO;
            }
        } else if (x == CP_HAO && next == CP_LOU && after_num) {
            c[o++] = CP_ZHUANG;
            i++;
        } else if (x == CP_DONG || (x == CP_ZUO && after_num)) {
            c[o++] = CP_ZHUANG;
        } else if (x == CP_DAN && next == CP_YUAN) {
            c[o++] = CP_DAN;
            c[o++] = CP_YUAN;
            i++;
            if (i + 1 < n && c[i + 1] == CP_MEN)
                i++;
        } else if (x == CP_DI && is_digit(next)) {
            continue;
        } else if (x == '-') {
            if (o > 0 && is_digit(c[o - 1]) && is_digit(next))
                c[o++] = x;
        } else {
            c[o++] = x;
        }
    }
    return o;
}

/* Words and lists are UTF-32 literals (U"..."): compared as they are, never decoded. */
static int starts_with(const uint32_t *c, size_t n, const char32_t *word, size_t *len)
{
    size_t i = 0;
    for (; word[i]; i++)
        if (i >= n || c[i] != (uint32_t)word[i])
            return 0;
    *len = i;
    return 1;
}

static int in_list(uint32_t x, const char32_t *list)
{
    for (; *list; list++)
        if ((uint32_t)*list == x)
            return 1;
    return 0;
}

/* One administrative level: the shortest leading segment of 1..max characters (CJK only, no
 * road or compound word in it) followed by one of the level's markers, when what follows is
 * not a number nor the rest of a street name. Returns the characters to strip, 0 if none. */
static size_t level_prefix(const uint32_t *c, size_t n, const char32_t *const *markers, size_t max,
                           const char32_t *not_before, const char32_t *not_after)
{
    for (size_t i = 1; i <= max && i < n; i++) {
        uint32_t x = c[i - 1];
        if (x < 0x4E00 || x > 0x9FFF)
            return 0;
        if (in_list(x, U"路街巷弄号幢园苑楼座"))
            return 0;
        for (size_t m = 0; markers[m]; m++) {
            size_t len;
            if (!starts_with(c + i, n - i, markers[m], &len))
                continue;
            size_t end = i + len;
            if (end >= n)
                return 0; /* nothing would be left */
            if (not_before && in_list(x, not_before))
                continue;
            if (is_digit(c[end]) || numeral(c[end]) >= 0 || in_list(c[end], not_after))
                continue;
            return end;
        }
    }
    return 0;
}

/* Pass 4: leading 中国, province, city, district, street and community prefixes. */
static size_t pass_prefixes(const uint32_t *c, size_t n)
{
    static const char32_t *const country[] = {U"中华人民共和国", U"中国", NULL};
    static const char32_t *const province[] = {U"省", U"自治区", U"特别行政区", NULL};
    static const char32_t *const city[] = {U"市", U"自治州", U"地区", U"盟", NULL};
    static const char32_t *const district[] = {U"区", U"县", NULL};
    static const char32_t *const street[] = {U"街道办事处", U"街道", U"镇", U"乡", NULL};
    static const char32_t *const community[] = {U"社区居委会", U"社区居民委员会", U"社区",
                                                U"居委会",     U"村委会",         NULL};
    size_t s = 0, len;
    for (size_t m = 0; country[m]; m++)
        if (starts_with(c, n, country[m], &len) && len < n) {
            s += len;
            break;
        }
    s += level_prefix(c + s, n - s, province, 7, NULL, U"");
    s += level_prefix(c + s, n - s, city, 7, NULL, U"场政民集辖");
    s += level_prefix(c + s, n - s, district, 7,
                      U"小社园校景营矿厂片东西南北中一二三四五六七八九十", U"路街道巷弄大");
    s += level_prefix(c + s, n - s, street, 7, NULL, U"路街道巷弄大");
    s += level_prefix(c + s, n - s, community, 8, NULL, U"路街道巷弄大");
    return s;
}

const char *geocode_norm(struct arena *a, const char *text)
{
    if (!text || !*text)
        return "";
    size_t len = strlen(text);
    /* Pass 2 writes up to four digits for one numeral (千号 -> 1000号). An address fits the
     * stack; a longer text (an import's odd line, the fuzzer) goes to the arena. */
    size_t cap = mem_size_mul(mem_size_add(len, 1), 4);
    uint32_t cs[4 * 260], ds[4 * 260];
    uint32_t *c = cs, *d = ds;
    if (cap > sizeof cs / sizeof cs[0]) {
        c = arena_alloc(a, mem_size_mul(cap, sizeof *c));
        d = arena_alloc(a, mem_size_mul(cap, sizeof *d));
    }
    size_t n = decode(text, len, c);
    n = pass_width(c, n);
    n = pass_numerals(c, n, d);
    n = pass_variants(d, n);
    size_t s = pass_prefixes(d, n);
    char *out = arena_alloc(a, mem_size_add(mem_size_mul(n - s, 4), 1));
    size_t o = 0;
    for (size_t i = s; i < n; i++)
        o += encode(d[i], out + o);
    out[o] = '\0';
    return out;
}
