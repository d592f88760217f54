/* Declarations shared by the files of the triage module only. */
#ifndef GRIDLOOP_TRIAGE_TRIAGE_INTERNAL_H
#define GRIDLOOP_TRIAGE_TRIAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Character folding for matching (urgency rules, duplicate shingles, hot-topic features):
 * full-width ASCII → half-width, U+3000 and other whitespace → ' ', ASCII lower-cased,
 * invalid UTF-8 bytes and control characters dropped. Unlike triage_normalize() digits are
 * kept as they are: a house number or a bus line tells two reports apart.
 */

/* Next code point of 'in' (length n) at *pos, folded; advances *pos. Returns 0 at the end.
 * Invalid sequences are skipped. */
uint32_t triage_fold_next(const char *in, size_t n, size_t *pos);

/* Folded UTF-8 copy of 'in' into out (capacity cap, NUL-terminated when cap > 0); stops at a
 * whole character. Returns the length written. */
size_t triage_fold_utf8(const char *in, char *out, size_t cap);

/* The widest vector lanes classification's scores may use: 16 (the default: whatever the CPU
 * has), 8 (AVX2 at most) or 0 (the portable loop). For tests, which compare the three; the
 * scores are the same bit for bit. */
void triage_lanes_cap(int lanes);

/* Folded code points of 'in', at most cap. Returns how many were written. */
size_t triage_fold_cps(const char *in, uint32_t *out, size_t cap);

/* CJK ideograph (the basic block and extension A), the characters place names are made of. */
int triage_is_han(uint32_t c);

/* Characters that carry content for similarity: Han, ASCII letters and digits. */
int triage_is_word(uint32_t c);

/* triage_ngrams() handing over its features 128 at a time, without the kind: one call per
 * batch instead of one indirect call per n-gram (a thousand per text), for classification,
 * which looks a batch up at once anyway. Same features in the same order. */
#define TRIAGE_NGRAM_BATCH 128
struct triage_ngram_batch {
    uint32_t n;
    uint64_t hash[TRIAGE_NGRAM_BATCH];
    uint32_t off[TRIAGE_NGRAM_BATCH];
    uint16_t len[TRIAGE_NGRAM_BATCH]; /* capped at UINT16_MAX */
};
typedef void triage_ngram_batch_fn(void *ctx, const struct triage_ngram_batch *b);
void triage_ngrams_batch(const char *norm, size_t len, unsigned flags, triage_ngram_batch_fn *fn,
                         void *ctx);

/* 64-bit mixer (splitmix64 finaliser): spreads shingle codes over all bits. */
static inline uint64_t triage_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif
