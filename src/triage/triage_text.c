/*
 * triage text: normalisation and feature extraction shared by training and classification.
 * Both sides must see exactly the same features, so everything that turns text into
 * features lives here and nowhere else.
 */
#include <stdint.h>
#include <string.h>

#include "triage/triage.h"
#include "triage/triage_internal.h"

/* Decode one strict UTF-8 sequence (RFC 3629). Returns its length, or 0 when the byte at 's'
 * does not start a valid sequence (the caller skips that one byte). */
static size_t utf8_decode_slow(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* ASCII inline; the rest out of line (this runs for every character classified). */
static inline size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    /* Three-byte sequences from U+1000 up (CJK among them) cannot be overlong; only the
     * surrogate block must still be refused. Lead bytes from 0xF0 are not three-byte ones
     * (the fuzzer found 0xFD read as a surrogate). */
    if (n >= 3 && s[0] >= 0xE1 && s[0] <= 0xEF && s[0] != 0xED && (s[1] & 0xC0) == 0x80 &&
        (s[2] & 0xC0) == 0x80) {
        *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    return utf8_decode_slow(s, n, cp);
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

/* Characters that carry nothing: other controls, zero-width marks, the BOM. */
static int is_dropped(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0x200B && cp <= 0x200F) ||
           cp == 0xFEFF;
}

/* Full-width ASCII → ASCII, then ASCII case folded. */
static uint32_t fold(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        cp -= 0xFEE0;
    if (cp >= 'A' && cp <= 'Z')
        cp += 'a' - 'A';
    return cp;
}

/* Shorter digit runs (dates, amounts, house numbers) keep their shape as zeros; longer ones
 * are phone, ID or account numbers whose length says nothing about the topic. */
#define LONG_NUMBER 7

size_t triage_normalize(const char *in, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = strlen(in), i = 0, o = 0;
    int pending_space = 0;
    if (cap == 0)
        return 0;
    while (i < n) {
        /* U+4000..U+9FFF (the CJK ideographs, most of a Chinese text) are none of space,
         * dropped, folded or digit, and re-encode to their own bytes: copied as they are. */
        if (s[i] >= 0xE4 && s[i] <= 0xE9 && n - i >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            if (o + (pending_space ? 1 : 0) + 3 >= cap)
                break;
            if (pending_space)
                out[o++] = ' ';
            pending_space = 0;
            memcpy(out + o, s + i, 3);
            o += 3;
            i += 3;
            continue;
        }
        uint32_t cp;
        size_t l = utf8_decode(s + i, n - i, &cp);
        if (l == 0) {
            i++;
            continue;
        }
        i += l;
        if (is_space(cp)) {
            pending_space = o > 0;
            continue;
        }
        if (is_dropped(cp))
            continue;
        cp = fold(cp);
        char enc[LONG_NUMBER + 1];
        size_t el;
        if (cp >= '0' && cp <= '9') {
            /* Count the whole run first: its length decides between mask and zeros. */
            size_t run = 1, j = i;
            while (j < n) {
                uint32_t c2;
                size_t l2 = utf8_decode(s + j, n - j, &c2);
                if (l2 == 0 || (c2 = fold(c2)) < '0' || c2 > '9')
                    break;
                run++;
                j += l2;
            }
            if (run >= LONG_NUMBER) {
                /* An ID number's check character belongs to the number. */
                uint32_t c2;
                size_t l2 = j < n ? utf8_decode(s + j, n - j, &c2) : 0;
                if (l2 && fold(c2) == 'x')
                    j += l2;
                enc[0] = TRIAGE_NUMBER_MASK;
                el = 1;
            } else {
                memset(enc, '0', run);
                el = run;
            }
            i = j;
        } else {
            el = utf8_encode(cp, enc);
        }
        if (o + (pending_space ? 1 : 0) + el >= cap)
            break;
        if (pending_space)
            out[o++] = ' ';
        pending_space = 0;
        memcpy(out + o, enc, el);
        o += el;
    }
    out[o] = '\0';
    return o;
}

/* Punctuation and symbols end words and n-grams; they are not features themselves. */
static int is_punct(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
                 cp == TRIAGE_NUMBER_MASK);
    return cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
           (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE10 && cp <= 0xFE1F) ||
           (cp >= 0xFE30 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFFEF) || cp >= 0x1F000;
}

/* Distinct seeds keep a one-character word apart from the same character as an n-gram. */
enum { TAG_WORD1 = 1, TAG_WORD2 = 2 };
#define TAG_CHAR 1ULL

static uint64_t nonzero(uint64_t h)
{
    return h ? h : 1;
}

/* The extraction itself, inlined into both entry points below so that the batch one's 'fn'
 * is a known function the compiler inlines too. */
static inline __attribute__((always_inline)) void
ngrams(const char *norm, size_t len, unsigned flags, triage_ngram_fn *fn, void *ctx)
{
    const unsigned char *s = (const unsigned char *)norm;
    /* The last characters of the current unbroken run (c0 newest) and where they start;
     * 0 = none, which no character of normalised text is. */
    uint64_t c0 = 0, c1 = 0, c2 = 0;
    size_t s0 = 0, s1 = 0, s2 = 0;
    /* The current word and the previous one in the same clause. */
    size_t wstart = 0, prev_start = 0;
    uint64_t wh = 0, prev_wh = 0;
    int in_word = 0, have_prev = 0;

    for (size_t i = 0;;) {
        uint32_t cp = 0;
        size_t l = 0;
        int brk, space;
        if (i < len) {
            l = utf8_decode(s + i, len - i, &cp);
            if (l == 0) {
                l = 1;
                cp = 0xFFFD;
            }
            space = cp == ' ';
            brk = !space && is_punct(cp);
        } else {
            space = 0;
            brk = 1;
        }
        if ((space || brk) && in_word) {
            if (flags & TRIAGE_F_WORD1)
                fn(ctx, nonzero(triage_mix64(wh ^ TAG_WORD1)), TRIAGE_F_WORD1, wstart, i - wstart);
            if ((flags & TRIAGE_F_WORD2) && have_prev)
                fn(ctx, nonzero(triage_mix64(prev_wh * 31 + wh) ^ TAG_WORD2), TRIAGE_F_WORD2,
                   prev_start, i - prev_start);
            prev_wh = wh, prev_start = wstart, have_prev = 1;
            in_word = 0;
        }
        if (brk) {
            c0 = c1 = c2 = 0;
            have_prev = 0;
            if (i >= len)
                break;
            i += l;
            continue;
        }
        if (space) {
            i += l;
            continue;
        }
        if (!in_word) {
            in_word = 1;
            wstart = i;
            wh = 0xCBF29CE484222325ULL;
        }
        for (size_t k = 0; k < l; k++)
            wh = (wh ^ s[i + k]) * 0x100000001B3ULL;
        c2 = c1, c1 = c0, c0 = cp;
        s2 = s1, s1 = s0, s0 = i;
        size_t end = i + l;
        /* Code points have 21 bits, so up to three pack into one integer without loss, and
         * packs of different lengths differ (no character is 0). */
        if (flags & TRIAGE_F_CHAR1)
            fn(ctx, nonzero(triage_mix64(c0 ^ TAG_CHAR << 63)), TRIAGE_F_CHAR1, s0, end - s0);
        if ((flags & TRIAGE_F_CHAR2) && c1)
            fn(ctx, nonzero(triage_mix64((c1 << 21 | c0) ^ TAG_CHAR << 63)), TRIAGE_F_CHAR2, s1,
               end - s1);
        if ((flags & TRIAGE_F_CHAR3) && c2)
            fn(ctx, nonzero(triage_mix64((c2 << 42 | c1 << 21 | c0) ^ TAG_CHAR << 63)),
               TRIAGE_F_CHAR3, s2, end - s2);
        i = end;
    }
}

void triage_ngrams(const char *norm, size_t len, unsigned flags, triage_ngram_fn *fn, void *ctx)
{
    ngrams(norm, len, flags, fn, ctx);
}

struct batcher {
    struct triage_ngram_batch b;
    triage_ngram_batch_fn *fn;
    void *ctx;
};

static inline void batch_add(void *ctx, uint64_t hash, unsigned kind, size_t off, size_t len)
{
    struct batcher *bt = ctx;
    uint32_t i = bt->b.n;
    (void)kind;
    bt->b.hash[i] = hash;
    bt->b.off[i] = (uint32_t)off;
    bt->b.len[i] = (uint16_t)(len < UINT16_MAX ? len : UINT16_MAX);
    if ((bt->b.n = i + 1) == TRIAGE_NGRAM_BATCH) {
        bt->fn(bt->ctx, &bt->b);
        bt->b.n = 0;
    }
}

void triage_ngrams_batch(const char *norm, size_t len, unsigned flags, triage_ngram_batch_fn *fn,
                         void *ctx)
{
    struct batcher bt;
    bt.b.n = 0;
    bt.fn = fn;
    bt.ctx = ctx;
    ngrams(norm, len, flags, batch_add, &bt);
    if (bt.b.n)
        fn(ctx, &bt.b);
}
