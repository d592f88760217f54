/*
 * The reply-quality check before closure (issue 13): does a department's reply answer the
 * complaint? Four signals over normalised text, each cheap and explainable to the reviewer:
 *   empty      no substance once the greeting and the thanks are taken away (under 25 characters)
 *   off_topic  the reply shares almost none of the complaint's words (character bigrams)
 *   no_action  nothing was done or will be done (no action words: 已…, 将…, 安排, 整改, 查处 …)
 *   no_detail  neither a time (a date, "X 个工作日内") nor a way to follow up (电话, 联系, 咨询)
 * A reply is flagged when it is empty, off topic, or has neither an action nor a detail.
 * Boilerplate reused verbatim is found across replies, not in one: triage_reply_print() gives
 * a reply's fingerprint, and the caller counts other cases' replies with the same one.
 * Measured against the teams' annotations of the real replies in docs/reply-quality.md.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "triage/triage.h"
#include "triage/triage_internal.h"

/* Set phrases that carry no answer: stripped before the substance is measured. */
static const char *const boilerplate[] = {
    "您好",           "你好",
    "网友",           "留言已收悉",
    "您的留言已收悉", "现将有关情况回复如下",
    "现回复如下",     "感谢您对我们工作的支持",
    "理解与监督",     "关心",
    "监督与支持",     "支持与理解",
    "谢谢",           "感谢",
};
static const char *const action_words[] = {
    "已",   "将",   "安排", "整改", "查处", "处理", "维修", "修复", "清理", "清运", "责令", "督促",
    "立案", "调查", "核查", "协调", "拆除", "更换", "落实", "解决", "办理", "补发", "退还", "约谈",
};
static const char *const detail_words[] = {
    "电话", "联系", "咨询", "热线", "窗口", "地址",   "工作日",
    "年",   "月",   "日",   "天内", "之前", "前完成",
};

#define EMPTY_CHARS 25
#define TOPIC_MIN 0.04 /* share of the complaint's distinct bigrams found in the reply */

static size_t count_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80 && *p != ' ';
    return n;
}

static int has_any(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(s, words[i]))
            return 1;
    return 0;
}

typedef struct {
    uint64_t *v;
    size_t n, cap;
} hashes;

static void push(void *ctx, uint64_t hash, unsigned kind, size_t off, size_t len)
{
    (void)kind;
    (void)off;
    (void)len;
    hashes *h = ctx;
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->v = xrealloc(h->v, mem_size_mul(h->cap, sizeof(uint64_t)));
    }
    h->v[h->n++] = hash;
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void bigrams(const char *norm, hashes *h)
{
    triage_ngrams(norm, strlen(norm), TRIAGE_F_CHAR2, push, h);
    if (!h->n)
        return;
    qsort(h->v, h->n, sizeof(uint64_t), cmp);
    size_t k = 1;
    for (size_t i = 1; i < h->n; i++)
        if (h->v[i] != h->v[k - 1])
            h->v[k++] = h->v[i];
    h->n = k;
}

static char *normalised(const char *s)
{
    size_t cap = mem_size_add(mem_size_mul(strlen(s), 3), 1);
    char *out = xmalloc(cap);
    triage_normalize(s, out, cap);
    return out;
}

/* The reply's substance with its set phrases taken out ('r' normalised); in a new string. */
static char *substance(const char *r)
{
    char *sub = xstrdup(r);
    for (size_t i = 0; i < sizeof(boilerplate) / sizeof(boilerplate[0]); i++) {
        size_t n = strlen(boilerplate[i]);
        for (char *p; (p = strstr(sub, boilerplate[i]));)
            memmove(p, p + n, strlen(p + n) + 1);
    }
    return sub;
}

int triage_reply_print(const char *reply, char out[TRIAGE_VERSION_SIZE])
{
    char *r = normalised(reply ? reply : ""), *sub = substance(r);
    uint64_t h = 14695981039346656037ull;
    size_t len = strlen(sub), pos = 0, n = 0;
    uint32_t c, prev = 0;
    while ((c = triage_fold_next(sub, len, &pos)) != 0) {
        if (!triage_is_word(c) && c != (uint32_t)TRIAGE_NUMBER_MASK)
            continue;
        /* Normalised digits are all '0': a run of them is one number, whatever its length. */
        if (c == '0' && prev == '0')
            continue;
        prev = c;
        for (int k = 0; k < 4; k++, c >>= 8) {
            h ^= c & 0xff;
            h *= 1099511628211ull;
        }
        n++;
    }
    free(sub);
    free(r);
    out[0] = '\0';
    if (n < EMPTY_CHARS) /* too little to call a copy: the check says "empty" instead */
        return 0;
    for (int i = 15; i >= 0; i--, h >>= 4)
        out[i] = "0123456789abcdef"[h & 15];
    out[16] = '\0';
    return 1;
}

void triage_reply_check(const char *complaint, const char *reply, struct triage_reply *out)
{
    memset(out, 0, sizeof(*out));
    char *r = normalised(reply ? reply : ""), *c = normalised(complaint ? complaint : "");
    /* The substance: the reply without its set phrases. */
    char *sub = substance(r);
    out->empty = count_chars(sub) < EMPTY_CHARS;
    out->no_action = !has_any(sub, action_words, sizeof(action_words) / sizeof(action_words[0]));
    out->no_detail = !has_any(sub, detail_words, sizeof(detail_words) / sizeof(detail_words[0])) &&
                     !strchr(sub, TRIAGE_NUMBER_MASK);
    hashes hc = {0}, hr = {0};
    bigrams(c, &hc);
    bigrams(sub, &hr);
    size_t shared = 0;
    for (size_t i = 0; i < hc.n; i++)
        shared += bsearch(&hc.v[i], hr.v, hr.n, sizeof(uint64_t), cmp) != NULL;
    out->topic = hc.n ? (double)shared / (double)hc.n : 0;
    out->off_topic = hc.n >= 5 && out->topic < TOPIC_MIN;
    out->flagged = out->empty || out->off_topic || (out->no_action && out->no_detail);
    free(hc.v);
    free(hr.v);
    free(sub);
    free(r);
    free(c);
}

static uint64_t fnv_words(uint64_t h, const char *const *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)w[i];
        do {
            h ^= *p;
            h *= 1099511628211ull;
        } while (*p++);
    }
    return h;
}

void triage_reply_version(char out[TRIAGE_VERSION_SIZE])
{
    uint64_t h = 14695981039346656037ull;
    h = fnv_words(h, boilerplate, sizeof(boilerplate) / sizeof(boilerplate[0]));
    h = fnv_words(h, action_words, sizeof(action_words) / sizeof(action_words[0]));
    h = fnv_words(h, detail_words, sizeof(detail_words) / sizeof(detail_words[0]));
    h ^= (uint64_t)EMPTY_CHARS << 32 | (uint64_t)(TOPIC_MIN * 10000);
    h *= 1099511628211ull;
    for (int i = 15; i >= 0; i--, h >>= 4)
        out[i] = "0123456789abcdef"[h & 15];
    out[16] = '\0';
}
