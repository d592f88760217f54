/*
 * Open311 mapping rules that need no database: statuses and attribute answers.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/num.h"
#include "open311/open311.h"

/* Closed means the department's work is done: a replied case waits for the citizen's
 * evaluation, and an unsatisfied one comes back as rectifying (open again). */
int open311_status_closed(const char *state)
{
    static const char *const closed[] = {"replied", "closed", "cancelled", "merged"};
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
        if (strcmp(state, closed[i]) == 0)
            return 1;
    return 0;
}

const char *open311_status_extended(const char *state, int solved)
{
    static const struct {
        const char *state, *status;
    } map[] = {
        {"new", "open"},
        {"dispatched", "investigating"},
        {"returned", "internal_referral"},
        {"processing", "in_progress"},
        {"reviewing", "in_progress"}, /* 办结审核: the reply is not the citizen's yet */
        {"hanging", "planned"},
        /* Not "reopen": FixMyStreet sends that status but maps what it reads to its own
         * states, has none called reopen and ignores the update; "open" is its confirmed. */
        {"rectifying", "open"},
        {"cancelled", "cancelled"},
        {"merged", "duplicate"},
    };
    if (strcmp(state, "replied") == 0 || strcmp(state, "closed") == 0)
        return solved > 0 ? "fixed" : solved == 0 ? "no_further_action" : "closed";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(state, map[i].state) == 0)
            return map[i].status;
    return "open";
}

int open311_status_valid(const char *s)
{
    static const char *const all[] = {"open",
                                      "closed",
                                      "fixed",
                                      "in_progress",
                                      "planned",
                                      "action_scheduled",
                                      "investigating",
                                      "duplicate",
                                      "not_councils_responsibility",
                                      "no_further_action",
                                      "internal_referral",
                                      "cancelled",
                                      "reopen",
                                      "for_triage",
                                      "unchanged"};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcasecmp(s, all[i]) == 0)
            return 1;
    return 0;
}

static const char *const datatype_names[O311_DATATYPE_COUNT] = {
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist",
};

const char *open311_datatype_name(enum open311_datatype t)
{
    return (unsigned)t < O311_DATATYPE_COUNT ? datatype_names[t] : "string";
}

/* What an answer of each datatype looks like, for attributes whose own description is empty. */
static const char *const datatype_descriptions[O311_DATATYPE_COUNT] = {
    "一行文字",
    "数字",
    "W3C 日期时间，如 2026-12-02T08:00:00+08:00",
    "文字，可多行",
    "从所列选项中选一项",
    "从所列选项中选一项或多项",
};

const char *open311_attr_datatype_description(const struct open311_attr *attr)
{
    if (attr->datatype_description && *attr->datatype_description)
        return attr->datatype_description;
    return (unsigned)attr->datatype < O311_DATATYPE_COUNT ? datatype_descriptions[attr->datatype]
                                                          : datatype_descriptions[0];
}

int open311_datatype_from_name(const char *name)
{
    for (int i = 0; name && i < O311_DATATYPE_COUNT; i++)
        if (strcmp(name, datatype_names[i]) == 0)
            return i;
    return -1;
}

static int known_key(const struct open311_attr *attr, const char *v)
{
    for (size_t i = 0; i < attr->nvalues; i++)
        if (strcmp(attr->values[i].key, v) == 0)
            return 1;
    return 0;
}

static int bad(struct err *err, const struct open311_attr *attr, const char *fmt, const char *v)
{
    char field[ERR_FIELD_MAX];
    snprintf(field, sizeof(field), "attribute[%s]", attr->code);
    return err_field(err, ERR_BAD_REQUEST, field, fmt, attr->code, v);
}

int open311_attr_check(const struct open311_attr *attr, const char *const *values, size_t nvalues,
                       struct err *err)
{
    size_t given = 0;
    for (size_t i = 0; i < nvalues; i++)
        given += values[i][0] != '\0';
    if (!attr->variable)
        return given ? bad(err, attr, "attribute '%s' is information only and takes no value%s", "")
                     : 0;
    if (!given)
        return attr->required ? bad(err, attr, "attribute '%s' is required%s", "") : 0;
    if (attr->datatype != O311_MULTIVALUELIST && nvalues > 1)
        return bad(err, attr, "attribute '%s' takes one value%s", "");
    for (size_t i = 0; i < nvalues; i++) {
        const char *v = values[i];
        int64_t t;
        if (!*v && attr->datatype != O311_MULTIVALUELIST)
            continue;
        switch (attr->datatype) {
        case O311_STRING:
            if (strlen(v) > 200 || strchr(v, '\n'))
                return bad(err, attr, "attribute '%s' is a single line of at most 200 bytes%s", "");
            break;
        case O311_TEXT:
            if (strlen(v) > 4000)
                return bad(err, attr, "attribute '%s' is at most 4000 bytes%s", "");
            break;
        case O311_NUMBER: {
            double d;
            if (num_parse_double(v, &d) < 0)
                return bad(err, attr, "attribute '%s' must be a number, not '%.40s'", v);
            break;
        }
        case O311_DATETIME:
            if (clock_parse_rfc3339(v, &t) < 0)
                return bad(
                    err, attr,
                    "attribute '%s' must be a W3C datetime (2026-12-02T08:00:00+08:00), not '%.40s'",
                    v);
            break;
        case O311_SINGLEVALUELIST:
        case O311_MULTIVALUELIST:
            if (!known_key(attr, v))
                return bad(err, attr, "attribute '%s' has no value with key '%.40s'", v);
            for (size_t k = 0; k < i; k++)
                if (strcmp(values[k], v) == 0)
                    return bad(err, attr, "attribute '%s' lists key '%.40s' twice", v);
            break;
        case O311_DATATYPE_COUNT: break;
        }
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int email_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || strchr("._%+-", c);
}

/*
 * Into 'out' (at most as long as 'in'): full-width digits, '－', '．' and the ideographic space
 * as their ASCII forms, so "１３８．００１３．８０００" is the number it reads as. Nothing else
 * changes: full-width punctuation is how Chinese is written.
 */
static void normalise(const char *in, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    char *o = out;
    while (*s) {
        if (s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99) {
            *o++ = (char)('0' + (s[2] - 0x90));
            s += 3;
        } else if (s[0] == 0xEF && s[1] == 0xBC && (s[2] == 0x8D || s[2] == 0x8E)) {
            *o++ = s[2] == 0x8D ? '-' : '.';
            s += 3;
        } else if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) {
            *o++ = ' ';
            s += 3;
        } else {
            *o++ = (char)*s++;
        }
    }
    *o = '\0';
}

/* 1 if the 3-byte UTF-8 character at 's' is a CJK ideograph (U+4E00..U+9FFF). */
static int cjk_at(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    return u[0] >= 0xE4 && u[0] <= 0xE9 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80;
}

static int starts(const char *s, const char *word)
{
    return strncmp(s, word, strlen(word)) == 0;
}

/* A word from 'words' ending just before s[i] (s[0..i) holds it): its length, else 0. */
static size_t word_before(const char *s, size_t i, const char *const *words)
{
    for (; *words; words++) {
        size_t n = strlen(*words);
        if (n <= i && strncmp(s + i - n, *words, n) == 0)
            return n;
    }
    return 0;
}

/* Words after which a number is a contact number whatever its length (a landline without its
 * area code, a QQ number); they are looked for in the 12 bytes before the number. */
static const char *const contact_words[] = {"电话", "手机", "联系", "座机", "号码",  "微信", "QQ",
                                            "qq",   "tel",  "Tel",  "TEL",  "phone", NULL};

static int contact_word_near(const char *s, size_t i)
{
    size_t from = i > 12 ? i - 12 : 0;
    for (size_t k = from; k < i; k++)
        for (const char *const *w = contact_words; *w; w++)
            if (starts(s + k, *w))
                return 1;
    return 0;
}

/* Phone, ID card and contact numbers: see open311.h. */
static void scrub_numbers(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1]))) {
            i++;
            continue;
        }
        /* '-' and '.' join groups only in numbers that start like a phone (0571-..., 138.,
         * +86-...), so case numbers (20261202-000001), dates (2026.12.02) and decimals stay. */
        int joins = s[i] == '0' || s[i] == '1' || (i > 0 && s[i - 1] == '+');
        size_t end = i, digits = 0;
        while (end < n &&
               (is_digit(s[end]) ||
                ((s[end] == ' ' || (joins && (s[end] == '-' || s[end] == '.'))) && end + 1 < n &&
                 is_digit(s[end + 1]) && end > i && is_digit(s[end - 1])))) {
            digits += is_digit(s[end]);
            end++;
        }
        /* An ID card number ends in a check character that may be X. */
        int id_x = digits == 17 && end < n && (s[end] == 'X' || s[end] == 'x');
        size_t keep_head = 3, keep_tail = id_x ? 3 : 4;
        int mask = digits >= 11;
        if (!mask && digits >= 7 && contact_word_near(s, i)) {
            mask = 1;
            keep_head = 0;
            keep_tail = 2;
        }
        if (mask) {
            size_t seen = 0;
            for (size_t k = i; k < end; k++)
                if (is_digit(s[k])) {
                    if (seen >= keep_head && seen + keep_tail < digits)
                        s[k] = '*';
                    seen++;
                }
        }
        i = end;
    }
}

static void scrub_emails(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '@' || !email_char(s[i - 1]) || !strchr(s + i + 1, '.'))
            continue;
        size_t start = i;
        while (start > 0 && email_char(s[start - 1]))
            start--;
        for (size_t k = start + 1; k < i; k++)
            s[k] = '*';
    }
}

#define SOMEONE "某" /* 3 bytes, as every CJK ideograph it stands for */

/*
 * Names in the two forms a report carries them: a surname with a form of address (张先生,
 * 李女士: the surname becomes 某) and a name after the words that introduce one (我叫张三,
 * 姓名：王小明, 联系人李四: up to three ideographs become 某). Other names are not recognised.
 */
static void scrub_names(char *s)
{
    static const char *const titles[] = {"先生", "女士", "小姐", "阿姨", "大爷",
                                         "大妈", "师傅", "老师", NULL};
    static const char *const intros[] = {"我叫",   "名叫",   "姓名",   "联系人",
                                         "报告人", "反映人", "来电人", NULL};
    size_t n = strlen(s);
    for (size_t i = 3; i < n; i++) {
        for (const char *const *t = titles; *t; t++)
            if (starts(s + i, *t) && cjk_at(s + i - 3) && !starts(s + i - 3, SOMEONE))
                memcpy(s + i - 3, SOMEONE, 3);
    }
    for (size_t i = 0; i < n; i++) {
        size_t w = word_before(s, i, intros);
        if (!w)
            continue;
        size_t k = i;
        /* "姓名：", "联系人: ", "我叫 " */
        while (k < n && (s[k] == ':' || s[k] == ' ' || starts(s + k, "：") || starts(s + k, "是")))
            k += s[k] == ':' || s[k] == ' ' ? 1 : 3;
        for (int c = 0; c < 3 && k + 3 <= n && cjk_at(s + k); c++, k += 3)
            memcpy(s + k, SOMEONE, 3);
        if (k > i)
            i = k - 1; /* past what was masked; nothing masked: the next byte */
    }
}

/*
 * Where someone lives, to the door: the numbers of a room (502室), a household (3户) and a
 * unit (2单元), and the room after a building (3幢502, 8栋1203) become '*'. Street numbers
 * (学府路 8 号) and building numbers stay: they name a place, not a home.
 */
static void scrub_dwellings(char *s)
{
    static const char *const suffixes[] = {"室", "户", "单元", "房", NULL};
    static const char *const buildings[] = {"幢", "栋", "号楼", "单元", "座", NULL};
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < n && is_digit(s[end]))
            end++;
        int mask = word_before(s, i, buildings) != 0;
        for (const char *const *w = suffixes; !mask && *w; w++)
            mask = starts(s + end, *w);
        if (mask)
            memset(s + i, '*', end - i);
        i = end;
    }
}

void open311_coarsen(double *lat, double *lon)
{
    *lat = (floor(*lat / OPEN311_ANON_GRID) + 0.5) * OPEN311_ANON_GRID;
    *lon = (floor(*lon / OPEN311_ANON_GRID) + 0.5) * OPEN311_ANON_GRID;
}

char *open311_scrub(struct arena *a, const char *text)
{
    const char *in = text ? text : "";
    char *s = arena_alloc(a, strlen(in) + 1);
    normalise(in, s);
    scrub_numbers(s);
    scrub_emails(s);
    scrub_names(s);
    scrub_dwellings(s);
    return s;
}
