/*
 * The rule engine: names, the structural check, evaluation with its explanation and the
 * Chinese description of each condition. Pure functions (no store), so the benchmark and the
 * fuzz target run them directly.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "policy/policy.h"

/* clang-format off */
static const struct {
    const char *name, *label, *unit;
    enum policy_subject subject;
    int text;
} FIELDS[PF_COUNT] = {
    [PF_AGE]              = {"age",              "年龄",         "周岁", POLICY_PERSON, 0},
    [PF_HUKOU]            = {"hukou_region",     "户籍",         "",     POLICY_PERSON, 1},
    [PF_DISABILITY]       = {"disability",       "残疾等级",     "级",   POLICY_PERSON, 0},
    [PF_INCOME_BAND]      = {"income_band",      "家庭收入档次", "档",   POLICY_PERSON, 0},
    [PF_CHILDREN]         = {"children",         "子女数",       "个",   POLICY_PERSON, 0},
    [PF_INDUSTRY]         = {"industry",         "所属行业",     "",     POLICY_FIRM,   1},
    [PF_SIZE]             = {"size",             "企业规模",     "",     POLICY_FIRM,   0},
    [PF_EMPLOYEES]        = {"employees",        "从业人数",     "人",   POLICY_FIRM,   0},
    [PF_TAX]              = {"tax",              "上年纳税额",   "元",   POLICY_FIRM,   0},
    [PF_YEARS_REGISTERED] = {"years_registered", "企业成立年限", "年",   POLICY_FIRM,   0},
};
static const char *const OPS[PO_COUNT] = {"=", "!=", "<", "<=", ">", ">=", "in"};
static const char *const OP_WORDS[PO_COUNT] = {"为", "不为", "小于", "不超过", "大于", "不少于", "在"};
static const char *const SUBJECTS[POLICY_SUBJECT_COUNT] = {"person", "firm"};
static const char *const SIZES[4] = {"micro", "small", "medium", "large"};
static const char *const SIZE_WORDS[4] = {"微型", "小型", "中型", "大型"};
/* clang-format on */

const char *policy_subject_name(enum policy_subject s)
{
    return (unsigned)s < POLICY_SUBJECT_COUNT ? SUBJECTS[s] : NULL;
}

int policy_subject_from_name(const char *name)
{
    for (int i = 0; name && i < POLICY_SUBJECT_COUNT; i++)
        if (!strcmp(name, SUBJECTS[i]))
            return i;
    return -1;
}

const char *policy_field_name(enum policy_field f)
{
    return (unsigned)f < PF_COUNT ? FIELDS[f].name : NULL;
}

int policy_field_from_name(const char *name)
{
    for (int i = 0; name && i < PF_COUNT; i++)
        if (!strcmp(name, FIELDS[i].name))
            return i;
    return -1;
}

enum policy_subject policy_field_subject(enum policy_field f)
{
    return (unsigned)f < PF_COUNT ? FIELDS[f].subject : POLICY_SUBJECT_COUNT;
}

int policy_field_is_text(enum policy_field f)
{
    return (unsigned)f < PF_COUNT && FIELDS[f].text;
}

const char *policy_op_name(enum policy_op op)
{
    return (unsigned)op < PO_COUNT ? OPS[op] : NULL;
}

int policy_op_from_name(const char *name)
{
    for (int i = 0; name && i < PO_COUNT; i++)
        if (!strcmp(name, OPS[i]))
            return i;
    return -1;
}

const char *policy_size_name(int size)
{
    return size >= 0 && size < 4 ? SIZES[size] : NULL;
}

int policy_size_from_name(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, SIZES[i]))
            return i;
    return -1;
}

int policy_op_allowed(enum policy_field f, enum policy_op op)
{
    if ((unsigned)f >= PF_COUNT || (unsigned)op >= PO_COUNT)
        return 0;
    if (f == PF_HUKOU)
        return op == PO_IN;
    if (FIELDS[f].text)
        return op == PO_EQ || op == PO_NE;
    return op != PO_IN;
}

static int check_node(const struct policy_rule *r, int i, int depth, int *seen, struct err *err)
{
    const struct policy_node *nd = &r->n[i];
    if (depth > POLICY_DEPTH_MAX)
        return err_field(err, ERR_BAD_REQUEST, "rule", "rule nests deeper than %d levels",
                         POLICY_DEPTH_MAX);
    /* a node reached twice (two parents) would make the walk revisit subtrees: stop at once */
    if (++*seen > r->count)
        return err_field(err, ERR_BAD_REQUEST, "rule", "rule links are malformed");
    switch (nd->kind) {
    case PN_CMP:
        if (nd->first != -1)
            break;
        if (!policy_op_allowed(nd->field, nd->op) || FIELDS[nd->field].subject != r->subject)
            break;
        if (!FIELDS[nd->field].text && (nd->num < -POLICY_VALUE_MAX || nd->num > POLICY_VALUE_MAX))
            break;
        if (FIELDS[nd->field].text && (!nd->text[0] || !memchr(nd->text, 0, sizeof(nd->text))))
            break;
        return 0;
    case PN_ALL:
    case PN_ANY:
    case PN_NOT: {
        int kids = 0;
        for (int k = nd->first; k != -1; k = r->n[k].next) {
            /* children are later nodes: no cycle can be built */
            if (k <= i || k >= r->count || ++kids > POLICY_NODES_MAX)
                return err_field(err, ERR_BAD_REQUEST, "rule", "rule links are malformed");
            int rc = check_node(r, k, depth + 1, seen, err);
            if (rc < 0)
                return rc;
        }
        if (kids == 0 || (nd->kind == PN_NOT && kids != 1))
            break;
        return 0;
    }
    default: break;
    }
    return err_field(err, ERR_BAD_REQUEST, "rule", "rule node %d is malformed", i);
}

int policy_rule_check(const struct policy_rule *r, struct err *err)
{
    if ((unsigned)r->subject >= POLICY_SUBJECT_COUNT || r->count < 1 ||
        r->count > POLICY_NODES_MAX || r->n[0].next != -1)
        return err_field(err, ERR_BAD_REQUEST, "rule", "rule is empty or malformed");
    int seen = 0;
    int rc = check_node(r, 0, 0, &seen, err);
    if (rc < 0)
        return rc;
    if (seen != r->count)
        return err_field(err, ERR_BAD_REQUEST, "rule", "rule has unreachable nodes");
    return 0;
}

int policy_years_between(int from_ymd, int today_ymd)
{
    if (from_ymd <= 0 || from_ymd > today_ymd)
        return -1;
    int years = today_ymd / 10000 - from_ymd / 10000;
    if (today_ymd % 10000 < from_ymd % 10000)
        years--;
    return years;
}

static int cmp_num(enum policy_op op, int64_t v, int64_t c)
{
    switch (op) {
    case PO_EQ: return v == c;
    case PO_NE: return v != c;
    case PO_LT: return v < c;
    case PO_LE: return v <= c;
    case PO_GT: return v > c;
    case PO_GE: return v >= c;
    default: return 0;
    }
}

static int test_cmp(const struct policy_node *nd, const struct policy_profile *p, int today)
{
    int64_t v;
    switch (nd->field) {
    case PF_AGE:
        v = policy_years_between(p->birth_ymd, today);
        if (v < 0)
            return 0;
        break;
    case PF_HUKOU: {
        /* region codes nest: a region's code starts with its parent's */
        size_t n = strlen(nd->text);
        return p->hukou_code && p->hukou_code[0] && !strncmp(p->hukou_code, nd->text, n);
    }
    case PF_DISABILITY: v = p->disability; break;
    case PF_INCOME_BAND: v = p->income_band; break;
    case PF_CHILDREN: v = p->children; break;
    case PF_INDUSTRY: {
        if (!p->industry || !p->industry[0])
            return 0;
        int eq = !strcmp(p->industry, nd->text);
        return nd->op == PO_EQ ? eq : !eq;
    }
    case PF_SIZE:
        if (p->size < 0)
            return 0;
        v = p->size;
        break;
    case PF_EMPLOYEES: v = p->employees; break;
    case PF_TAX: v = p->tax; break;
    case PF_YEARS_REGISTERED:
        v = policy_years_between(p->registered_ymd, today);
        if (v < 0)
            return 0;
        break;
    default: return 0;
    }
    return cmp_num(nd->op, v, nd->num);
}

static void note(int8_t *list, int *n, int i)
{
    if (*n < POLICY_WHY_MAX)
        list[(*n)++] = (int8_t)i;
}

/* 'why' NULL: just the answer. Else the missing and met conditions below node i. */
static int ev(const struct policy_rule *r, int i, const struct policy_profile *p, int today,
              struct policy_why *why)
{
    const struct policy_node *nd = &r->n[i];
    int ok;
    switch (nd->kind) {
    case PN_CMP:
        ok = test_cmp(nd, p, today);
        if (why)
            ok ? note(why->met, &why->nmet, i) : note(why->missing, &why->nmissing, i);
        return ok;
    case PN_ALL:
        ok = 1;
        for (int k = nd->first; k != -1; k = r->n[k].next) {
            if (!ev(r, k, p, today, why)) {
                ok = 0;
                if (!why)
                    break; /* the answer is known */
            }
        }
        return ok;
    case PN_ANY:
        ok = 0;
        for (int k = nd->first; k != -1 && !ok; k = r->n[k].next)
            ok = ev(r, k, p, today, NULL);
        break;
    case PN_NOT: ok = !ev(r, nd->first, p, today, NULL); break;
    default: return 0;
    }
    if (why)
        ok ? note(why->met, &why->nmet, i) : note(why->missing, &why->nmissing, i);
    return ok;
}

int policy_eval(const struct policy_rule *r, const struct policy_profile *p, int today_ymd,
                struct policy_why *why)
{
    if (why)
        memset(why, 0, sizeof(*why));
    int ok = r->count > 0 && p->subject == r->subject && ev(r, 0, p, today_ymd, why);
    if (why)
        why->qualifies = ok;
    return ok;
}

/* Append to out[*len] within cap, always NUL-terminated; a cut never splits a UTF-8 sequence
 * and ends the text (*len = cap). */
static void put(char *out, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + 1 >= cap)
        return;
    if (*len + n + 1 > cap) {
        n = cap - 1 - *len;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        memcpy(out + *len, s, n);
        out[*len + n] = '\0';
        *len = cap; /* full: nothing after a cut */
        return;
    }
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

static void describe(const struct policy_rule *r, int i, char *out, size_t cap, size_t *len)
{
    const struct policy_node *nd = &r->n[i];
    char num[32];
    if (nd->kind == PN_CMP) {
        if ((unsigned)nd->field >= PF_COUNT || (unsigned)nd->op >= PO_COUNT)
            return;
        snprintf(num, sizeof(num), "%lld", (long long)nd->num);
        if (nd->field == PF_HUKOU) {
            put(out, cap, len, "户籍在");
            put(out, cap, len, nd->label[0] ? nd->label : nd->text);
        } else if (nd->field == PF_AGE && nd->op == PO_GE) {
            put(out, cap, len, "年满 ");
            put(out, cap, len, num);
            put(out, cap, len, " 周岁");
        } else if (nd->field == PF_YEARS_REGISTERED && nd->op == PO_GE) {
            put(out, cap, len, "企业成立满 ");
            put(out, cap, len, num);
            put(out, cap, len, " 年");
        } else if (nd->field == PF_DISABILITY && nd->num == 0 && nd->op == PO_GT) {
            put(out, cap, len, "持有残疾人证");
        } else {
            put(out, cap, len, FIELDS[nd->field].label);
            put(out, cap, len, OP_WORDS[nd->op]);
            if (nd->field == PF_INDUSTRY) {
                put(out, cap, len, "「");
                put(out, cap, len, nd->text);
                put(out, cap, len, "」");
            } else if (nd->field == PF_SIZE && nd->num >= 0 && nd->num < 4) {
                put(out, cap, len, SIZE_WORDS[nd->num]);
                put(out, cap, len, "企业");
            } else {
                put(out, cap, len, " ");
                put(out, cap, len, num);
                put(out, cap, len, " ");
                put(out, cap, len, FIELDS[nd->field].unit);
            }
        }
        return;
    }
    put(out, cap, len,
        nd->kind == PN_ALL   ? "同时满足（"
        : nd->kind == PN_ANY ? "满足其一（"
                             : "不满足（");
    for (int k = nd->first, first = 1; k != -1; k = r->n[k].next, first = 0) {
        if (!first)
            put(out, cap, len, "；");
        describe(r, k, out, cap, len);
    }
    put(out, cap, len, "）");
}

void policy_describe(const struct policy_rule *r, int i, char *out, size_t cap)
{
    size_t len = 0;
    if (!cap)
        return;
    out[0] = '\0';
    if (i < 0 || i >= r->count)
        return;
    describe(r, i, out, cap, &len);
}
