/*
 * Urgency: an explainable rule list over folded text. Each rule has a name the dispatcher
 * sees, a level (2 emergency, 1 urgent, 0 only adds to the score) and a weight. A rule fires
 * when one of its phrases occurs, or when a phrase of its 'near' list and one of its 'with'
 * list occur within 'within' characters of each other (either order), e.g. 独居老人 … 联系不上.
 *
 * A match does not count when it is negated: a negator (没有, 不是, 未, 无…) within the four
 * characters before it in the same clause ("没有着火", "不是燃气泄漏", "路面无积水"), unless
 * that negator is really part of another word (不慎摔伤, 非常危险, 未成年). A match followed
 * by one of the rule's 'unless' words is not an event but a hazard report ("火灾隐患") and
 * does not fire either.
 *
 * A match that is only a risk (可能, 随时, 面临, 担心… within the four characters before it:
 * "随时可能倒塌") or that comes late in a long text (after EARLY_CHARS characters: petitions
 * retell old injuries, an emergency is said up front) fires at most as urgent, with half its
 * weight.
 *
 * Score = 1 − Π(1 − weight) over the rules that fired (noisy-OR: independent evidence adds
 * up, never past 1), each rule counted once with its strongest match. Level = the highest
 * level among them; an urgent case whose score reaches PROMOTE_SCORE (several independent
 * urgent signs together) becomes an emergency.
 */
#include <stdint.h>
#include <string.h>

#include "triage/triage.h"
#include "triage/triage_internal.h"

#define PROMOTE_SCORE 0.85
#define NEG_WINDOW 4    /* characters looked back for a negator */
#define TEXT_MAX 16384  /* bytes of folded text examined */
#define NEAR_MAX 32     /* occurrences kept per side of a 'near' rule */
#define EARLY_CHARS 300 /* an emergency stated later than this is taken as background */

struct rule {
    const char *name;
    int level;
    double weight;
    const char *phrases;     /* '|'-separated; any one fires */
    const char *near, *with; /* '|'-separated; one of each within 'within' characters */
    int within;
    const char *unless; /* '|'-separated words that, right after a match, cancel it */
};

/* clang-format off */
static const struct rule rules[] = {
/*  name          level weight phrases
 *                             near / with / within / unless */
    {"燃气泄漏",     2, 0.90, "燃气泄漏|燃气泄露|煤气泄漏|煤气泄露|天然气泄漏|天然气泄露|液化气泄漏|煤气味|燃气味|天然气味|液化气味|闻到煤气|闻到燃气|闻到天然气",
                             "燃气|煤气|天然气|液化气|气罐|管道气", "漏气|泄漏|泄露|气味|味道很大|爆炸|爆燃", 8, NULL},
    {"火情",         2, 0.90, "着火|起火|失火|火灾|大火|火势|烧起来|明火|火苗|火光",
                             NULL, NULL, 0, "隐患|演练|预防|防控|安全|通道|设施|器材|栓|检查"},
    {"冒烟",         1, 0.60, "冒烟|浓烟|烟雾很大|焦糊味",
                             NULL, NULL, 0, "排放|污染"},
    {"人员受伤",     2, 0.85, "受伤|流血|出血|骨折|昏迷|晕倒|摔伤|撞伤|砸伤|烫伤|咬伤|被狗咬|伤者|头破血流|送医院|打120|叫救护车",
                             NULL, NULL, 0, NULL},
    {"独居老人失联", 2, 0.85, "独居老人失联|孤寡老人失联",
                             "独居|孤寡|空巢|一个人住|老人|老太|老大爷|老奶奶", "联系不上|失联|无人应答|没人应答|敲门没人|敲门不应|没人开门|无人开门|几天没出门|好几天没见|不见人", 40, NULL},
    {"积水内涝",     1, 0.60, "积水|内涝|漫进|淹了|被淹|水淹|倒灌|水漫|涨水|洪水|泡在水里",
                             NULL, NULL, 0, NULL},
    {"爆管跑水",     1, 0.60, "爆管|水管爆|管道爆裂|水管破裂|跑水|喷水|冒水",
                             NULL, NULL, 0, NULL},
    {"电线掉落",     2, 0.85, "电线掉落|电线掉|电线落地|电线垂|电线断|高压线断|高压线掉|线缆掉|漏电|触电|电线杆倒|电杆倒",
                             "电线|高压线|电缆|电杆", "掉下|掉落|断了|垂到|拖地|冒火花|打火", 8, NULL},
    {"建筑倒塌",     2, 0.90, "倒塌|坍塌|垮塌|塌方|塌了|塌陷|砸下来|掉下来砸",
                             NULL, NULL, 0, "隐患|风险"},
    {"电梯困人",     2, 0.90, "电梯困人|困在电梯|被困电梯|关在电梯|卡在电梯",
                             "电梯", "困人|被困|困住|关在里面|卡住了人|人被关", 10, NULL},
    {"人员被困",     2, 0.85, "被困|困在里面|救命|呼救|出不来了",
                             NULL, NULL, 0, NULL},
    {"儿童走失",     2, 0.90, "孩子走失|小孩走失|儿童走失|孩子失踪|小孩失踪|孩子丢了|小孩丢了",
                             "孩子|小孩|儿童|女儿|儿子|孙子|孙女", "走失|失踪|不见了|找不到了|丢了|没回家", 12, NULL},
    {"人身安全",     2, 0.85, "打人|持刀|砍人|斗殴|行凶|自杀|跳楼|轻生|威胁杀|要杀",
                             NULL, NULL, 0, NULL},
    {"中毒",         2, 0.85, "中毒|有毒气体泄漏|毒气泄漏|化学品泄漏|化学品泄露",
                             NULL, NULL, 0, NULL},
    {"井盖缺失",     1, 0.60, "没有井盖|井盖丢失|井盖缺失|井盖被偷|井盖破损|井盖没了",
                             NULL, NULL, 0, NULL},
    {"停水停电",     1, 0.50, "停水|停电|断水|断电|没水了|没电了|停气",
                             NULL, NULL, 0, "通知|公告|计划"},
    {"紧急措辞",     0, 0.30, "紧急|十万火急|危险|生命危险|非常危急|赶快|马上处理|尽快处理|刻不容缓",
                             NULL, NULL, 0, "隐患"},
};
/* clang-format on */

/* Words that negate what follows, and words that start like a negator but do not negate. */
static const char negators[] =
    "没有|没|无|未|不是|不|并非|非|别|排除|防止|预防|以防|避免|谨防|杜绝";
static const char hedges[] = "可能|随时|面临|担心|害怕|怕|恐|存在|隐患|一旦|防止|万一|容易";
static const char not_negators[] =
    "不停|不断|不少|不住|不久|不幸|不慎|不小心|不仅|不但|不知|不得不|不到|不能|不了|不见|不上|不开|无法|无故|无数|未成年|未经|非常|非法|没想到|不出|不让|不管|不顾";

static int is_lead(unsigned char b)
{
    return (b & 0xC0) != 0x80;
}

/* Whether one of the '|'-separated words in 'list' starts at s (s + avail bytes readable). */
static size_t word_at(const char *list, const char *s, size_t avail)
{
    const char *p = list;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t wl = bar ? (size_t)(bar - p) : strlen(p);
        if (wl && wl <= avail && memcmp(s, p, wl) == 0)
            return wl;
        p += wl + (bar ? 1 : 0);
    }
    return 0;
}

static int clause_break(const char *s)
{
    unsigned char b = (unsigned char)s[0];
    if (b < 0x80)
        return strchr(",.!?;: ", b) != NULL;
    /* 。 、 */
    return (b == 0xE3 && (unsigned char)s[1] == 0x80 &&
            ((unsigned char)s[2] == 0x82 || (unsigned char)s[2] == 0x81));
}

/* Whether a word of 'list' ends within NEG_WINDOW characters before byte 'at' of t, in the
 * same clause; words of 'except' starting at the same place do not count. */
static int preceded_by(const char *t, size_t at, size_t len, const char *list, const char *except)
{
    size_t q = at;
    for (int back = 0; back < NEG_WINDOW && q > 0; back++) {
        do
            q--;
        while (q > 0 && !is_lead((unsigned char)t[q]));
        if (clause_break(t + q))
            return 0;
        if (except && word_at(except, t + q, len - q))
            continue;
        size_t nl = word_at(list, t + q, len - q);
        if (nl && q + nl <= at)
            return 1;
    }
    return 0;
}

static int negated(const char *t, size_t at, size_t len)
{
    return preceded_by(t, at, len, negators, not_negators);
}

static size_t chars_between(const char *t, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += is_lead((unsigned char)t[i]);
    return n;
}

/*
 * Which 3-byte and which 6-byte sequences occur in the text, hashed into two bitsets: a phrase
 * whose first three (or, from six bytes on, first six) bytes are not there cannot occur, and
 * most of the table's few hundred phrases are skipped without a search of the text (the answer
 * is the same: the sets only ever say "maybe"). Six bytes are two CJK characters: the first
 * character alone (人, 电, 不, 水 ...) is in most texts, so with three bytes most phrases were
 * still searched for (16.5 -> 7.2 us for a 300-character complaint).
 */
#define SEEN_BITS 65536u
struct seen {
    uint64_t bits[SEEN_BITS / 64];
    uint64_t bits6[SEEN_BITS / 64];
};

static unsigned tri_hash(const char *p)
{
    unsigned h = ((unsigned)(unsigned char)p[0] << 16) | ((unsigned)(unsigned char)p[1] << 8) |
                 (unsigned char)p[2];
    return (h * 2654435761u) >> 16;
}

static unsigned hex_hash(const char *p)
{
    uint64_t h = 0;
    memcpy(&h, p, 6);
    return (unsigned)((h * 0x9E3779B97F4A7C15u) >> 48);
}

static void seen_fill(struct seen *sn, const char *t, size_t len)
{
    memset(sn->bits, 0, sizeof(sn->bits));
    memset(sn->bits6, 0, sizeof(sn->bits6));
    /* A phrase starts at a character: continuation bytes start none. */
    for (size_t i = 0; i + 3 <= len; i++) {
        if (!is_lead((unsigned char)t[i]))
            continue;
        unsigned h = tri_hash(t + i);
        sn->bits[h / 64] |= (uint64_t)1 << (h % 64);
        if (i + 6 <= len) {
            h = hex_hash(t + i);
            sn->bits6[h / 64] |= (uint64_t)1 << (h % 64);
        }
    }
}

static int seen_maybe(const struct seen *sn, const char *w, size_t wl)
{
    if (wl < 3)
        return 1;
    unsigned h = tri_hash(w);
    if (!((sn->bits[h / 64] >> (h % 64)) & 1))
        return 0;
    if (wl < 6)
        return 1;
    h = hex_hash(w);
    return (sn->bits6[h / 64] >> (h % 64)) & 1;
}

/* Every non-negated, non-cancelled occurrence of a word of 'list' in t, into at[]/end[]
 * (at most max); returns how many. */
static int find_all(const struct seen *sn, const char *t, size_t len, const char *list,
                    const char *unless, size_t *at, size_t *end, int max)
{
    /* 'max' bounds the work on long texts too: a phrase found that often has said enough. */
    int n = 0;
    const char *p = list;
    while (*p && n < max) {
        const char *bar = strchr(p, '|');
        size_t wl = bar ? (size_t)(bar - p) : strlen(p);
        const char *s = t;
        while (wl && n < max && seen_maybe(sn, p, wl) &&
               (s = memmem(s, len - (size_t)(s - t), p, wl)) != NULL) {
            size_t pos = (size_t)(s - t), e = pos + wl;
            if (!negated(t, pos, len) && !(unless && word_at(unless, t + e, len - e))) {
                at[n] = pos;
                end[n] = e;
                n++;
            }
            s += wl;
        }
        p += wl + (bar ? 1 : 0);
    }
    return n;
}

/* Strength of a match starting at byte 'at': 2 stated event, 1 risk or background. */
static int strength(const char *t, size_t at, size_t len)
{
    if (preceded_by(t, at, len, hedges, NULL))
        return 1;
    return chars_between(t, 0, at) > EARLY_CHARS ? 1 : 2;
}

/* 0 when the rule does not fire, else the strength of its strongest match. */
static int rule_fires(const struct seen *sn, const struct rule *r, const char *t, size_t len)
{
    size_t a_at[NEAR_MAX], a_end[NEAR_MAX], b_at[NEAR_MAX], b_end[NEAR_MAX];
    int best = 0;
    int na = find_all(sn, t, len, r->phrases, r->unless, a_at, a_end, NEAR_MAX);
    for (int i = 0; i < na && best < 2; i++) {
        int s = strength(t, a_at[i], len);
        best = s > best ? s : best;
    }
    if (!r->near || best == 2)
        return best;
    na = find_all(sn, t, len, r->near, r->unless, a_at, a_end, NEAR_MAX);
    if (na == 0)
        return best;
    int nb = find_all(sn, t, len, r->with, r->unless, b_at, b_end, NEAR_MAX);
    for (int i = 0; i < na && best < 2; i++)
        for (int j = 0; j < nb && best < 2; j++) {
            size_t gap, first;
            if (b_at[j] >= a_end[i]) {
                gap = chars_between(t, a_end[i], b_at[j]);
                first = a_at[i];
            } else if (a_at[i] >= b_end[j]) {
                gap = chars_between(t, b_end[j], a_at[i]);
                first = b_at[j];
            } else {
                continue; /* overlapping: the same characters cannot be both halves */
            }
            if (gap <= (size_t)r->within) {
                int s = strength(t, first, len);
                best = s > best ? s : best;
            }
        }
    return best;
}

void triage_urgency(const char *text, struct triage_urgency *out)
{
    char t[TEXT_MAX];
    static _Thread_local struct seen sn; /* 16 KiB: not on the stack */
    size_t len = triage_fold_utf8(text ? text : "", t, sizeof(t));
    seen_fill(&sn, t, len);
    double keep = 1.0;
    const struct rule *fired[sizeof(rules) / sizeof(rules[0])];
    double weight[sizeof(rules) / sizeof(rules[0])];
    int nfired = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        int s = rule_fires(&sn, &rules[i], t, len);
        if (!s)
            continue;
        int level = s == 2 || rules[i].level < 1 ? rules[i].level : 1;
        weight[nfired] = s == 2 ? rules[i].weight : rules[i].weight / 2;
        fired[nfired++] = &rules[i];
        keep *= 1.0 - weight[nfired - 1];
        if (level > out->level)
            out->level = level;
    }
    out->score = 1.0 - keep;
    if (out->level == 1 && out->score >= PROMOTE_SCORE)
        out->level = 2;
    /* The heaviest rules explain the decision best; ties keep table order. */
    for (int k = 0; k < nfired && out->nrules < TRIAGE_URGENCY_RULES; k++) {
        int best = -1;
        for (int i = 0; i < nfired; i++)
            if (fired[i] && (best < 0 || weight[i] > weight[best]))
                best = i;
        out->rules[out->nrules++] = fired[best]->name;
        fired[best] = NULL;
    }
}

/* FNV-1a 64 over a string and its terminator (so "ab","c" and "a","bc" differ). */
static uint64_t fnv_str(uint64_t h, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    do {
        h ^= *p;
        h *= 1099511628211ull;
    } while (*p++);
    return h;
}

void triage_urgency_version(char out[TRIAGE_VERSION_SIZE])
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        h = fnv_str(h, r->name);
        h = fnv_str(h, r->phrases);
        h = fnv_str(h, r->near);
        h = fnv_str(h, r->with);
        h = fnv_str(h, r->unless);
        h ^= (uint64_t)r->level << 8 | (uint64_t)r->within << 16 | (uint64_t)(r->weight * 1000);
        h *= 1099511628211ull;
    }
    h ^= (uint64_t)(PROMOTE_SCORE * 1000) << 32 | NEG_WINDOW << 16 | EARLY_CHARS;
    for (int i = 15; i >= 0; i--, h >>= 4)
        out[i] = "0123456789abcdef"[h & 15];
    out[16] = '\0';
}
