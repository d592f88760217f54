/*
 * triage classifier: a linear model over hashed character and word n-grams.
 *
 * Features are TF-IDF weighted (sublinear term frequency, smoothed IDF times a weight per
 * kind, L2 norm) over a vocabulary of the n-grams seen in at least min_df training texts.
 * Each label gets a one-vs-rest L2-regularised linear SVM (hinge or squared hinge loss)
 * trained by dual coordinate descent; probabilities are a softmax over the SVM scores whose temperature is fitted on
 * cross-validated scores, so that "0.9" means right about nine times in ten.
 *
 * The vocabulary is stored as 64-bit n-gram hashes (no strings): the explanation takes the
 * n-gram text from the classified text itself.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WIDE_LANES 1
#endif
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "triage/triage.h"
#include "triage/triage_internal.h"

/* Only this much of the normalised text is read: the subject and the first paragraphs say
 * what a request is about, and a bound keeps classification allocation-free. */
#define TEXT_MAX 6144
/* Distinct known features counted per text (the scratch map holds 4/3 of that). */
#define MAP_BITS 12
#define MAP_CAP (1u << MAP_BITS)
#define MAP_FILL (MAP_CAP * 3 / 4)

#define DEFAULT_FEATURES                                                                           \
    (TRIAGE_F_WORD1 | TRIAGE_F_WORD2 | TRIAGE_F_CHAR1 | TRIAGE_F_CHAR2 | TRIAGE_F_CHAR3)
#define DEFAULT_C 1.0
#define DEFAULT_MIN_DF 3
#define DEFAULT_POS_WEIGHT 0.5
#define DEFAULT_LOSS TRIAGE_LOSS_HINGE
#define DEFAULT_WORD_WEIGHT 1.0
#define CV_FOLDS 3
/* A feature whose largest weight times IDF stays below this, for every label, is dropped
 * after training: on the Teddy Cup messages that is most of the vocabulary at no measurable
 * cost in accuracy, and a smaller table means fewer cache misses per n-gram (docs/triage.md).
 * The weights' scale depends on the data, so the default applies only to sets of at least
 * PRUNE_MIN_TEXTS texts; smaller ones (the demo's) keep every feature unless asked. */
#define DEFAULT_PRUNE 1.0
#define PRUNE_MIN_TEXTS 2000

#define MODEL_MAGIC "GLTRIAGE"
/* Format 1 stored float records; 2 stores them as 16-bit integers with a scale per column.
 * Both load (a format 1 model is quantised on loading). */
#define MODEL_FORMAT 2
#define MODEL_FORMAT_FLOAT 1
#define MODEL_MAX_LABELS 1024
#define MODEL_MAX_FEATURES (1u << 26)

struct table {
    uint64_t *slots; /* high 32 bits of the hash | index + 1; 0 = empty */
    uint32_t mask;
};

struct triage_model {
    int nlabels;
    char (*labels)[TRIAGE_LABEL_MAX];
    unsigned flags;
    uint32_t nfeat;
    uint64_t *hashes;       /* nfeat: the vocabulary, in index order */
    struct table hot, cold; /* hash → index: the HOT_FEATURES most frequent, the rest */
    uint64_t *cold_bits;    /* one bit per hash bucket that holds a cold feature */
    uint32_t cold_bits_mask;
    uint64_t *known;     /* filter of every feature: 2 bits in one word (see known_bits) */
    uint32_t known_mask; /* words - 1 */
    int stride;          /* nlabels + 1 */
    float *rec;          /* nfeat * stride: IDF, then one weight per label; only while training */
    /* The records classification reads: rec / scale, rounded to 16 bits (half the memory of
     * floats, so more of the model stays in cache; 16 bytes, a quarter line, for 7 labels). */
    int16_t *q;   /* nfeat * stride */
    float *scale; /* stride: the value of one unit in each column */
    float *bias;  /* nlabels */
    double temp;  /* softmax(temp * score) */
    char version[17];
};

/* ---------------------------------------------------------------- vocabulary table
 *
 * Features are numbered by falling document frequency, and the most frequent ones get a
 * table of their own: n-gram occurrences follow Zipf's law, so most lookups stay in that
 * small, cache-resident table and the records it points to sit together at the front. */

#define HOT_FEATURES 16384

/* Zeroed memory on a cache-line boundary. The vocabulary table and the records are megabytes
 * read at random, one line per n-gram: with 4 KiB pages nearly every such read also misses
 * the TLB, so large arrays ask for 2 MiB pages where the system has them (a hint; without
 * it, or elsewhere, they are ordinary memory). */
#define HUGE_PAGE ((size_t)2 << 20)

static void *big_zalloc(size_t bytes)
{
    size_t align = 64;
    bytes = mem_size_add(bytes ? bytes : 1, 63) & ~(size_t)63;
#if defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE) {
        align = HUGE_PAGE;
        bytes = mem_size_add(bytes, HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    }
#endif
    void *p = aligned_alloc(align, bytes);
    if (!p)
        abort();
#if defined(MADV_HUGEPAGE)
    if (align == HUGE_PAGE)
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* before the first touch */
#endif
    memset(p, 0, bytes);
    return p;
}

static void table_init(struct table *t, uint32_t n)
{
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)n + 2)
        cap <<= 1;
    t->mask = cap - 1;
    t->slots = big_zalloc((size_t)cap * sizeof(uint64_t));
}

/* Feature index, or -1. The 32-bit fingerprint plus the slot bits make a false match about
 * as likely as a 64-bit hash collision, so the full hash is not compared. */
static long table_find(const struct table *t, uint64_t h)
{
    uint64_t fp = h >> 32;
    for (uint32_t s = (uint32_t)h & t->mask;; s = (s + 1) & t->mask) {
        uint64_t v = t->slots[s];
        if (v == 0)
            return -1;
        if (v >> 32 == fp)
            return (long)(uint32_t)v - 1;
    }
}

static void table_free(struct table *t)
{
    free(t->slots);
    t->slots = NULL;
}

static void table_build(struct triage_model *m)
{
    uint32_t hot = m->nfeat < HOT_FEATURES ? m->nfeat : HOT_FEATURES;
    table_init(&m->hot, hot);
    table_init(&m->cold, m->nfeat - hot);
    /* Most n-grams of a text that miss the small table are in no table at all (rare n-grams);
     * a bitmap of about eight bits per cold feature, small enough to stay in cache, turns
     * most of them away before they cost a miss in the large table. */
    uint32_t bits = 1u << 12;
    while (bits < 8 * (uint64_t)(m->nfeat - hot) && bits < (1u << 31))
        bits <<= 1;
    m->cold_bits_mask = bits - 1;
    m->cold_bits = xcalloc(bits / 64, sizeof(uint64_t));
    /* Four of five n-grams of a text are in no table (rare character trigrams and word
     * pairs), yet each cost a probe of the hot table (512 KiB, not cache-resident next to the
     * records). A filter of ~20 bits per feature (128 KiB for the default model) rejects
     * ~98% of them at one cache-resident read first; it has no false negatives, so it changes
     * no answer. */
    uint32_t words = 64;
    while (words < m->nfeat / 5 && words < (1u << 24))
        words <<= 1;
    m->known_mask = words - 1;
    m->known = big_zalloc((size_t)words * sizeof(uint64_t));
}

/* A word of the filter and two bits in it, from hash bits that neither table nor the cold
 * bitmap decide on alone (the product mixes every lower bit into the high ones). */
static inline uint64_t known_bits(const struct triage_model *m, uint64_t h, uint32_t *word)
{
    uint64_t f = h * 0x9E3779B97F4A7C15ULL;
    *word = (uint32_t)(f >> 40) & m->known_mask;
    return 1ULL << (f >> 28 & 63) | 1ULL << (f >> 34 & 63);
}

/* The bitmap uses hash bits the tables do not (the tables use the low bits and the high 32). */
static inline uint32_t cold_bit(const struct triage_model *m, uint64_t h)
{
    return (uint32_t)(h >> 20) & m->cold_bits_mask;
}

/* Returns 0, or -1 when the hash (or its fingerprint in the same slot chain) is present. */
static int table_put(struct triage_model *m, uint64_t h, uint32_t idx)
{
    if (table_find(&m->hot, h) >= 0 || table_find(&m->cold, h) >= 0)
        return -1;
    struct table *t = idx < HOT_FEATURES ? &m->hot : &m->cold;
    uint32_t w;
    uint64_t kb = known_bits(m, h, &w);
    m->known[w] |= kb;
    if (t == &m->cold) {
        uint32_t b = cold_bit(m, h);
        m->cold_bits[b / 64] |= 1ULL << (b % 64);
    }
    uint32_t s = (uint32_t)h & t->mask;
    while (t->slots[s])
        s = (s + 1) & t->mask;
    t->slots[s] = (h >> 32) << 32 | (uint64_t)(idx + 1);
    return 0;
}

/* Records start on a cache-line boundary, so that one never straddles two lines (one memory
 * access per feature, not one and a half). */
static void *rec_alloc(size_t nfeat, int stride, size_t size)
{
    return big_zalloc(mem_size_mul(nfeat ? nfeat : 1, mem_size_mul((size_t)stride, size)));
}

/* ---------------------------------------------------------------- text → sparse vector */

/* n-grams are looked up in batches (TRIAGE_NGRAM_BATCH): the table is far larger than the
 * caches, so all the lookups of a batch are started (prefetched) before the first one is
 * used. */
#define BATCH TRIAGE_NGRAM_BATCH

struct vec {
    const struct triage_model *m;
    /* Distinct features so far: a small hash map from feature to its place in the dense
     * arrays below, which are filled in order of first occurrence. Only 'key' is cleared per
     * text; the rest is written before it is read. */
    uint32_t key[MAP_CAP]; /* feature index + 1; 0 = empty */
    uint16_t pos[MAP_CAP];
    uint32_t n;
    uint16_t count[MAP_FILL];
    uint16_t len[MAP_FILL];
    uint32_t off[MAP_FILL];  /* first occurrence in norm, for the explanation */
    uint32_t fidx[MAP_FILL]; /* the vector: feature index and L2-normalised weight */
    float val[MAP_FILL];
    char norm[TEXT_MAX];
};

static void vec_count(struct vec *v, uint32_t key, uint32_t off, uint16_t len)
{
    for (uint32_t s = (key * 2654435761u) >> (32 - MAP_BITS);; s = (s + 1) & (MAP_CAP - 1)) {
        if (v->key[s] == key) {
            uint32_t j = v->pos[s];
            if (v->count[j] < UINT16_MAX)
                v->count[j]++;
            return;
        }
        if (v->key[s] == 0) {
            if (v->n == MAP_FILL)
                return;
            uint32_t j = v->n++;
            v->key[s] = key;
            v->pos[s] = (uint16_t)j;
            v->count[j] = 1;
            v->off[j] = off;
            v->len[j] = len;
            v->fidx[j] = key - 1;
            return;
        }
    }
}

static void vec_flush(void *ctx, const struct triage_ngram_batch *bt)
{
    struct vec *v = ctx;
    const struct triage_model *m = v->m;
    const uint64_t *bh = bt->hash;
    uint32_t nb = bt->n;
    uint32_t found[BATCH], cold[BATCH], maybe[BATCH], nf = 0, nc = 0, nm = 0;
    long idx[BATCH];
    for (uint32_t i = 0; i < nb; i++) {
        uint32_t w;
        uint64_t kb = known_bits(m, bh[i], &w);
        maybe[nm] = i;
        nm += (m->known[w] & kb) == kb; /* branch-free: the outcome is unpredictable */
    }
    for (uint32_t j = 0; j < nm; j++) {
        uint32_t i = maybe[j], b = cold_bit(m, bh[i]);
        __builtin_prefetch(&m->hot.slots[(uint32_t)bh[i] & m->hot.mask]);
        __builtin_prefetch(&m->cold_bits[b / 64]);
    }
    for (uint32_t j = 0; j < nm; j++) {
        uint32_t i = maybe[j], b = cold_bit(m, bh[i]);
        if ((idx[i] = table_find(&m->hot, bh[i])) >= 0) {
            __builtin_prefetch(&m->q[(size_t)idx[i] * (size_t)m->stride]);
            found[nf++] = i;
        } else if (m->cold_bits[b / 64] >> (b % 64) & 1) {
            __builtin_prefetch(&m->cold.slots[(uint32_t)bh[i] & m->cold.mask]);
            cold[nc++] = i;
        }
    }
    for (uint32_t j = 0; j < nc; j++) {
        uint32_t i = cold[j];
        if ((idx[i] = table_find(&m->cold, bh[i])) >= 0) {
            __builtin_prefetch(&m->q[(size_t)idx[i] * (size_t)m->stride]);
            found[nf++] = i;
        }
    }
    for (uint32_t j = 0; j < nf; j++) {
        uint32_t i = found[j];
        vec_count(v, (uint32_t)idx[i] + 1, bt->off[i], bt->len[i]);
    }
}

/* The distinct known features of 'text' and their counts (no values yet). */
static void collect(const struct triage_model *m, const char *text, struct vec *v)
{
    v->m = m;
    v->n = 0;
    memset(v->key, 0, sizeof(v->key));
    size_t len = triage_normalize(text, v->norm, sizeof(v->norm));
    triage_ngrams_batch(v->norm, len, m->flags, vec_flush, v);
}

/* Sublinear term frequency; most n-grams occur once, and log() is not free. */
static inline float sublinear(uint16_t count)
{
    return count == 1 ? 1.0f : (float)(1.0 + log((double)count));
}

static void vectorize(const struct triage_model *m, const char *text, struct vec *v)
{
    collect(m, text, v);
    double sq = 0;
    for (uint32_t j = 0; j < v->n; j++) {
        uint32_t f = v->fidx[j];
        float x = sublinear(v->count[j]) * m->rec[(size_t)f * (size_t)m->stride];
        v->val[j] = x;
        sq += (double)x * x;
    }
    if (sq > 0) {
        float inv = (float)(1.0 / sqrt(sq));
        for (uint32_t j = 0; j < v->n; j++)
            v->val[j] *= inv;
    }
}

/*
 * score[c] += x * (float)w[c] for the first labels, four at a time; returns how many it did
 * (the caller does the rest). This loop is most of an intake's classification (hundreds of
 * labels per feature) and -O2 leaves it scalar. Each lane does the scalar loop's operations
 * in its order (int16 to float, a float product, to double, a double sum), so the scores
 * are bit for bit the same.
 */
static int add_scaled(double *score, float x, const int16_t *w, int k)
{
    int c = 0;
#ifdef __SSE2__
    __m128 xs = _mm_set1_ps(x);
    for (; c + 4 <= k; c += 4) {
        __m128i h = _mm_loadl_epi64((const __m128i *)(const void *)(w + c));
        __m128i i = _mm_srai_epi32(_mm_unpacklo_epi16(h, h), 16); /* sign-extended */
        __m128 p = _mm_mul_ps(xs, _mm_cvtepi32_ps(i));
        _mm_storeu_pd(score + c, _mm_add_pd(_mm_loadu_pd(score + c), _mm_cvtps_pd(p)));
        _mm_storeu_pd(score + c + 2,
                      _mm_add_pd(_mm_loadu_pd(score + c + 2), _mm_cvtps_pd(_mm_movehl_ps(p, p))));
    }
#else
    (void)score;
    (void)x;
    (void)w;
    (void)k;
#endif
    return c;
}

#ifdef WIDE_LANES
/*
 * score[c] = sum over the features j, in their order, of (double)(x[j] * (float)w_j[c]): the
 * scores of labels [0, k) of scores_of(), 16 labels at a time (AVX-512) or 8 (AVX2), the
 * labels' sums kept in registers across every feature and stored once. Each label's sum is
 * added up in the same order with the same operations as the feature-by-feature loop, so the
 * scores are bit for bit the same. That loop loaded and stored every label's score again for
 * each feature: most of an intake's classification with the demo's model (a label per leaf
 * category), 27.6 -> 18.9 us a 300-character complaint in-process (AVX-512; 21.0 with AVX2).
 * Returns how many labels it did (the caller does the rest).
 */
__attribute__((target("avx512f"))) static int
sums_16(const struct triage_model *m, const struct vec *v, const float *x, double *score, int k)
{
    int c = 0;
    for (; c + 16 <= k; c += 16) {
        __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
        for (uint32_t j = 0; j < v->n; j++) {
            const int16_t *w = m->q + (size_t)v->fidx[j] * (size_t)m->stride + 1 + c;
            __m512i i = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)w));
            __m512 p = _mm512_mul_ps(_mm512_set1_ps(x[j]), _mm512_cvtepi32_ps(i));
            lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(p)));
            hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(
                                       _mm512_extractf64x4_pd(_mm512_castps_pd(p), 1))));
        }
        _mm512_storeu_pd(score + c, lo);
        _mm512_storeu_pd(score + c + 8, hi);
    }
    return c;
}

__attribute__((target("avx2"))) static int sums_8(const struct triage_model *m, const struct vec *v,
                                                  const float *x, double *score, int k)
{
    int c = 0;
    for (; c + 8 <= k; c += 8) {
        __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
        for (uint32_t j = 0; j < v->n; j++) {
            const int16_t *w = m->q + (size_t)v->fidx[j] * (size_t)m->stride + 1 + c;
            __m256i i = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)w));
            __m256 p = _mm256_mul_ps(_mm256_set1_ps(x[j]), _mm256_cvtepi32_ps(i));
            lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(p)));
            hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
        }
        _mm256_storeu_pd(score + c, lo);
        _mm256_storeu_pd(score + c + 4, hi);
    }
    return c;
}

static int lanes_cap = 16; /* triage_lanes_cap() */

/* 16, 8 or 0: the widest sums_N this CPU runs (asked once), at most lanes_cap. */
static int wide_lanes(void)
{
    static int lanes = -1;
    int n = __atomic_load_n(&lanes, __ATOMIC_RELAXED);
    if (n < 0) {
        __builtin_cpu_init();
        n = __builtin_cpu_supports("avx512f") ? 16 : __builtin_cpu_supports("avx2") ? 8 : 0;
        __atomic_store_n(&lanes, n, __ATOMIC_RELAXED);
    }
    int cap = __atomic_load_n(&lanes_cap, __ATOMIC_RELAXED);
    return n < cap ? n : cap >= 16 ? 16 : cap >= 8 ? 8 : 0;
}
#endif

void triage_lanes_cap(int lanes)
{
#ifdef WIDE_LANES
    __atomic_store_n(&lanes_cap, lanes, __ATOMIC_RELAXED);
#else
    (void)lanes;
#endif
}
#ifdef WIDE_LANES

/* scores_of()'s values (into v->val) and unnormalised sums, label by label in 'lanes' (16 or
 * 8) at a time; returns the values' sum of squares. */
static double sums_by_label(const struct triage_model *m, struct vec *v, double *score, int k,
                            int lanes)
{
    double sq = 0;
    float idf_unit = m->scale[0], *x = v->val;
    for (uint32_t j = 0; j < v->n; j++) {
        x[j] =
            sublinear(v->count[j]) * (float)m->q[(size_t)v->fidx[j] * (size_t)m->stride] * idf_unit;
        sq += (double)x[j] * x[j];
    }
    int c = lanes == 16 ? sums_16(m, v, x, score, k) : sums_8(m, v, x, score, k);
    for (; c < k; c++) {
        double sum = 0;
        for (uint32_t j = 0; j < v->n; j++)
            sum += x[j] * (float)m->q[(size_t)v->fidx[j] * (size_t)m->stride + 1 + (size_t)c];
        score[c] = sum;
    }
    return sq;
}
#endif

/* The same, feature by feature (each record read once, every score added to for each). */
static double sums_by_feature(const struct triage_model *m, struct vec *v, double *score, int k)
{
    double sq = 0;
    float idf_unit = m->scale[0];
    for (int c = 0; c < k; c++)
        score[c] = 0;
    for (uint32_t j = 0; j < v->n; j++) {
        const int16_t *w = m->q + (size_t)v->fidx[j] * (size_t)m->stride;
        float x = sublinear(v->count[j]) * (float)w[0] * idf_unit;
        v->val[j] = x;
        sq += (double)x * x;
        int c = add_scaled(score, x, w + 1, k);
        for (; c < k; c++)
            score[c] += x * (float)w[c + 1];
    }
    return sq;
}

/* Values and scores in one pass over the features' records (each record is read once): the
 * scores are summed unnormalised and divided by the norm at the end. Leaves v->val
 * normalised, as vectorize() does. */
static void scores_of(const struct triage_model *m, struct vec *v, double *score)
{
    int k = m->nlabels;
    double sq = 0;
    float idf_unit = m->scale[0];
    if (m->stride == 8) {
        /* Seven labels (the 12345 first-level categories): a record is eight 16-bit integers,
         * summed whole (lane 0 collects idf × value, unused) so the compiler can use vector
         * instructions. */
        float acc[8] = {0};
        for (uint32_t j = 0; j < v->n; j++) {
            const int16_t *w = m->q + (size_t)v->fidx[j] * 8;
            float x = sublinear(v->count[j]) * (float)w[0] * idf_unit;
            v->val[j] = x;
            sq += (double)x * x;
            for (int c = 0; c < 8; c++)
                acc[c] += x * (float)w[c];
        }
        for (int c = 0; c < k; c++)
            score[c] = (double)acc[c + 1] * m->scale[c + 1];
    } else {
#ifdef WIDE_LANES
        int lanes = wide_lanes();
        if (lanes)
            sq = sums_by_label(m, v, score, k, lanes);
        else
#endif
            sq = sums_by_feature(m, v, score, k);
        for (int c = 0; c < k; c++)
            score[c] *= m->scale[c + 1];
    }
    double inv = sq > 0 ? 1.0 / sqrt(sq) : 0;
    for (int c = 0; c < k; c++)
        score[c] = m->bias[c] + score[c] * inv;
    for (uint32_t j = 0; j < v->n; j++)
        v->val[j] = (float)(v->val[j] * inv);
}

static void softmax(const double *score, int k, double temp, double *p)
{
    double mx = score[0], sum = 0;
    for (int c = 1; c < k; c++)
        if (score[c] > mx)
            mx = score[c];
    for (int c = 0; c < k; c++)
        sum += p[c] = exp(temp * (score[c] - mx));
    for (int c = 0; c < k; c++)
        p[c] /= sum;
}

/* ---------------------------------------------------------------- classification */

/* Copy an n-gram for display, cut at a character boundary when it is too long. */
/* Explanations: contributions under this share of the strongest are left out; features
 * longer than WHY_SPAN_MAX bytes (4 Chinese characters) do not form phrases. */
#define WHY_FLOOR 0.05
#define WHY_SPAN_MAX 12
/* A one-character phrase this strong (share of the strongest) is widened to two. */
#define WHY_WIDEN 0.25

/* A character that carries content (Han, a letter, a digit), not punctuation or a mask. */
static int is_text(const char *p)
{
    size_t pos = 0;
    return triage_is_word(triage_fold_next(p, strnlen(p, 4), &pos));
}

/* Characters in a UTF-8 span, spaces not counted. */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80 && s[i] != ' ';
    return c;
}

/* Grow a strong one-character phrase ("坑", "吵") by the neighbour that reads with it: the
 * side whose two-character n-gram counts more for the label, else the side that is text at
 * all ("大坑，": the comma ends it). -1 when neither side has a character. */
static int widen(const struct triage_model *m, const struct vec *v, int lab, uint32_t *from,
                 uint32_t *to)
{
    uint32_t n = (uint32_t)strlen(v->norm), lo = *from, hi = *to;
    uint32_t before = lo, after = hi;
    while (before > 0 && ((unsigned char)v->norm[before - 1] & 0xC0) == 0x80)
        before--;
    if (before > 0)
        before--;
    while (before > 0 && ((unsigned char)v->norm[before] & 0xC0) == 0x80)
        before--;
    if (after < n) {
        after++;
        while (after < n && ((unsigned char)v->norm[after] & 0xC0) == 0x80)
            after++;
    }
    int left = before < lo && is_text(v->norm + before),
        right = after > hi && is_text(v->norm + hi);
    if (!left && !right)
        return -1;
    double wl = -1e300, wr = -1e300;
    for (uint32_t j = 0; j < v->n; j++) {
        double x = v->val[j] * m->q[(size_t)v->fidx[j] * (size_t)m->stride + 1 + (size_t)lab];
        if (left && v->off[j] == before && v->off[j] + v->len[j] == hi && x > wl)
            wl = x;
        if (right && v->off[j] == lo && v->off[j] + v->len[j] == after && x > wr)
            wr = x;
    }
    if (left && (!right || wl > wr))
        *from = before;
    else
        *to = after;
    return 0;
}

static void copy_feature(char *dst, const char *src, size_t len)
{
    if (len > TRIAGE_FEATURE_MAX - 1) {
        len = TRIAGE_FEATURE_MAX - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int triage_classify(const struct triage_model *m, const char *text, struct triage_result *out)
{
    struct vec v;
    double score[MODEL_MAX_LABELS], p[MODEL_MAX_LABELS];
    int k = m->nlabels;
    collect(m, text, &v);
    scores_of(m, &v, score);
    softmax(score, k, m->temp, p);

    memset(out, 0, sizeof(*out));
    /* Top labels by insertion into a short sorted list (k is small). */
    for (int c = 0; c < k; c++) {
        int at = out->ntop;
        while (at > 0 && p[out->top[at - 1].label] < p[c])
            at--;
        if (at >= TRIAGE_TOPK)
            continue;
        int last = out->ntop < TRIAGE_TOPK ? out->ntop : TRIAGE_TOPK - 1;
        memmove(&out->top[at + 1], &out->top[at], (size_t)(last - at) * sizeof(out->top[0]));
        out->top[at].label = c;
        if (out->ntop < TRIAGE_TOPK)
            out->ntop++;
    }
    for (int i = 0; i < out->ntop; i++)
        out->top[i].prob = p[out->top[i].label];
    out->label = out->top[0].label;
    out->prob = out->top[0].prob;

    /* Why: what pushed the chosen label's score up, as a reader would name it. Single
     * n-grams read as noise ("坑", "路", "洼", "坑洼"), so the strongest contributions are
     * mapped back to where they lie in the text and overlapping or touching ones merged
     * into phrases ("坑坑洼洼"), each weighing the sum of its parts. Contributions under
     * WHY_FLOOR of the strongest are left out (pronouns and particles that every class
     * shares), and so are phrases of one character: they explain nothing on their own. */
    int lab = out->label;
    enum { NCAND = 4 * TRIAGE_WHY };
    double wv[NCAND];
    uint32_t wj[NCAND];
    int nw = 0;
    for (uint32_t j = 0; j < v.n; j++) {
        double x = v.val[j] * m->q[(size_t)v.fidx[j] * (size_t)m->stride + 1 + (size_t)lab] *
                   m->scale[1 + lab];
        if (x <= 0 || (nw == NCAND && x <= wv[nw - 1]))
            continue;
        int at = nw < NCAND ? nw++ : NCAND - 1;
        while (at > 0 && wv[at - 1] < x) {
            wv[at] = wv[at - 1];
            wj[at] = wj[at - 1];
            at--;
        }
        wv[at] = x;
        wj[at] = j;
    }
    struct span {
        uint32_t from, to;
        double w;
    } sp[NCAND];
    int ns = 0;
    for (int i = 0; i < nw && wv[i] >= WHY_FLOOR * wv[0]; i++) {
        uint32_t from = v.off[wj[i]], to = from + v.len[wj[i]];
        /* A word feature is a whole clause of unsegmented Chinese: as a phrase it would
         * swallow the sentence, so only short ones take part. */
        if (v.len[wj[i]] > WHY_SPAN_MAX)
            continue;
        int at = ns++;
        while (at > 0 && sp[at - 1].from > from) {
            sp[at] = sp[at - 1];
            at--;
        }
        sp[at] = (struct span){from, to, wv[i]};
    }
    struct triage_feature cand[NCAND];
    int nc = 0;
    for (int i = 0; i < ns;) {
        uint32_t from = sp[i].from, to = sp[i].to;
        double w = 0;
        for (; i < ns && sp[i].from <= to; i++) {
            if (sp[i].to > to)
                to = sp[i].to;
            w += sp[i].w;
        }
        if (utf8_chars(v.norm + from, to - from) < 2 &&
            (w < WHY_WIDEN * wv[0] || widen(m, &v, lab, &from, &to) < 0))
            continue;
        copy_feature(cand[nc].text, v.norm + from, to - from);
        cand[nc].weight = w;
        nc++;
    }
    /* Largest first. */
    for (int i = 1; i < nc; i++) {
        struct triage_feature t = cand[i];
        int at = i;
        for (; at > 0 && cand[at - 1].weight < t.weight; at--)
            cand[at] = cand[at - 1];
        cand[at] = t;
    }
    out->nwhy = nc < TRIAGE_WHY ? nc : TRIAGE_WHY;
    memcpy(out->why, cand, (size_t)out->nwhy * sizeof(cand[0]));
    return 0;
}

const char *triage_model_version(const struct triage_model *m)
{
    return m->version;
}

int triage_model_nlabels(const struct triage_model *m)
{
    return m->nlabels;
}

const char *triage_model_label(const struct triage_model *m, int i)
{
    return i >= 0 && i < m->nlabels ? m->labels[i] : NULL;
}

void triage_model_free(struct triage_model *m)
{
    if (!m)
        return;
    free(m->labels);
    free(m->hashes);
    table_free(&m->hot);
    table_free(&m->cold);
    free(m->cold_bits);
    free(m->known);
    free(m->rec);
    free(m->q);
    free(m->scale);
    free(m->bias);
    free(m);
}

/* Float records → 16-bit ones, a scale per column so that its largest magnitude uses the
 * whole range (the error is at most half a unit: 1/65534 of the column's largest weight).
 * The float records are freed. */
static void quantise(struct triage_model *m)
{
    size_t st = (size_t)m->stride;
    m->scale = xcalloc(st, sizeof(float));
    for (size_t c = 0; c < st; c++) {
        double big = 0;
        for (uint32_t f = 0; f < m->nfeat; f++)
            if (fabs(m->rec[f * st + c]) > big)
                big = fabs(m->rec[f * st + c]);
        /* A column of (nearly) zeros gets unit scale and rounds to 0; a smaller scale could
         * underflow and would not load again. */
        m->scale[c] = big > 1e-30 ? (float)(big / 32767) : 1.0f;
    }
    m->q = rec_alloc(m->nfeat, m->stride, sizeof(int16_t));
    for (uint32_t f = 0; f < m->nfeat; f++)
        for (size_t c = 0; c < st; c++) {
            long v = lrint(m->rec[f * st + c] / m->scale[c]);
            m->q[f * st + c] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
        }
    free(m->rec);
    m->rec = NULL;
}

/* ---------------------------------------------------------------- file format
 *
 * Little-endian throughout:
 *   "GLTRIAGE" u32 format  u32 nlabels  u32 flags  u32 nfeatures  f64 temperature
 *   nlabels × (u8 length, bytes)            label names, UTF-8
 *   nlabels × f32                            bias
 *   format 2: (nlabels + 1) × f32            scale: the value of one unit of idf, of each label's weight
 *             nfeatures × (u64 hash, i16 idf, nlabels × i16 weight)
 *   format 1: nfeatures × (u64 hash, f32 idf, nlabels × f32 weight)
 *   u64 FNV-1a of every byte before it      also the model version
 */

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ULL;
    return h;
}

static void put_u32(struct buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    buf_append(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(struct buf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void serialize(const struct triage_model *m, struct buf *b)
{
    buf_append(b, MODEL_MAGIC, 8);
    put_u32(b, MODEL_FORMAT);
    put_u32(b, (uint32_t)m->nlabels);
    put_u32(b, m->flags);
    put_u32(b, m->nfeat);
    uint64_t t;
    memcpy(&t, &m->temp, 8);
    put_u64(b, t);
    for (int c = 0; c < m->nlabels; c++) {
        size_t l = strlen(m->labels[c]);
        buf_putc(b, (char)l);
        buf_append(b, m->labels[c], l);
    }
    for (int c = 0; c < m->nlabels; c++)
        put_f32(b, m->bias[c]);
    for (int c = 0; c < m->stride; c++)
        put_f32(b, m->scale[c]);
    for (uint32_t f = 0; f < m->nfeat; f++) {
        put_u64(b, m->hashes[f]);
        for (int c = 0; c < m->stride; c++) {
            uint16_t v = (uint16_t)m->q[(size_t)f * (size_t)m->stride + (size_t)c];
            buf_append(b, (unsigned char[2]){(unsigned char)v, (unsigned char)(v >> 8)}, 2);
        }
    }
    put_u64(b, fnv1a((const unsigned char *)b->p, b->len));
}

static void set_version(struct triage_model *m, uint64_t sum)
{
    snprintf(m->version, sizeof(m->version), "%016llx", (unsigned long long)sum);
}

int triage_model_save(const struct triage_model *m, const char *path, struct err *err)
{
    struct buf b;
    int rc = 0;
    buf_init(&b);
    serialize(m, &b);
    size_t tl = strlen(path) + 16;
    char *tmp = xmalloc(tl);
    snprintf(tmp, tl, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = err_set(err, ERR_IO, "cannot write model '%s': %s", tmp, strerror(errno));
        goto out;
    }
    int bad = fwrite(b.p, 1, b.len, f) != b.len;
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        rc = err_set(err, ERR_IO, "cannot write model '%s': %s", path, strerror(errno));
        unlink(tmp);
    }
out:
    free(tmp);
    buf_release(&b);
    return rc;
}

struct rd {
    const unsigned char *p;
    size_t n, at;
};

static int get_bytes(struct rd *r, void *dst, size_t n)
{
    if (r->n - r->at < n)
        return -1;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 0;
}

static int get_u32(struct rd *r, uint32_t *v)
{
    unsigned char x[4];
    if (get_bytes(r, x, 4) < 0)
        return -1;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return 0;
}

static int get_u64(struct rd *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (get_u32(r, &lo) < 0 || get_u32(r, &hi) < 0)
        return -1;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

static int get_u16(struct rd *r, int16_t *v)
{
    unsigned char x[2];
    if (get_bytes(r, x, 2) < 0)
        return -1;
    *v = (int16_t)(uint16_t)(x[0] | x[1] << 8);
    return 0;
}

static int get_f32(struct rd *r, float *f)
{
    uint32_t v;
    if (get_u32(r, &v) < 0)
        return -1;
    memcpy(f, &v, 4);
    return isfinite(*f) ? 0 : -1;
}

int triage_model_parse(const void *data, size_t n, struct triage_model **out, struct err *err)
{
    struct rd r = {data, n, 0};
    struct triage_model *m = xcalloc(1, sizeof(*m));
    uint32_t format, nlabels, nfeat;
    uint64_t t, sum;
    char magic[8];
    int rc = 0;
#define BAD(...)                                                                                   \
    do {                                                                                           \
        rc = err_set(err, ERR_BAD_REQUEST, "model: " __VA_ARGS__);                                 \
        goto out;                                                                                  \
    } while (0)

    *out = NULL;
    if (get_bytes(&r, magic, 8) < 0 || memcmp(magic, MODEL_MAGIC, 8) != 0)
        BAD("not a gridloop triage model (bad magic)");
    if (n < 16)
        BAD("truncated");
    sum = fnv1a(data, n - 8);
    r.at = n - 8;
    if (get_u64(&r, &t) < 0 || t != sum)
        BAD("checksum mismatch (file truncated or damaged)");
    r.n = n - 8;
    r.at = 8;
    if (get_u32(&r, &format) < 0 || (format != MODEL_FORMAT && format != MODEL_FORMAT_FLOAT))
        BAD("unsupported format version");
    if (get_u32(&r, &nlabels) < 0 || nlabels < 2 || nlabels > MODEL_MAX_LABELS)
        BAD("label count out of range");
    if (get_u32(&r, &m->flags) < 0 || m->flags == 0 || (m->flags & ~(unsigned)TRIAGE_F_ALL))
        BAD("unknown feature flags");
    if (get_u32(&r, &nfeat) < 0 || nfeat > MODEL_MAX_FEATURES)
        BAD("feature count out of range");
    if (get_u64(&r, &t) < 0)
        BAD("truncated header");
    memcpy(&m->temp, &t, 8);
    if (!isfinite(m->temp) || m->temp <= 0 || m->temp > 1e6)
        BAD("bad temperature");
    m->nlabels = (int)nlabels;
    m->stride = m->nlabels + 1;
    m->labels = xcalloc(nlabels, sizeof(*m->labels));
    for (uint32_t c = 0; c < nlabels; c++) {
        unsigned char l;
        if (get_bytes(&r, &l, 1) < 0 || l == 0 || l >= TRIAGE_LABEL_MAX ||
            get_bytes(&r, m->labels[c], l) < 0)
            BAD("bad label %u", c);
        if (utf8_invalid_at(m->labels[c], l) >= 0 || memchr(m->labels[c], '\0', l))
            BAD("label %u is not UTF-8 text", c);
        for (uint32_t d = 0; d < c; d++)
            if (strcmp(m->labels[c], m->labels[d]) == 0)
                BAD("label '%s' appears twice", m->labels[c]);
    }
    /* Sizes first, so a lying count fails before anything that large is allocated. */
    int quantised = format == MODEL_FORMAT;
    size_t rec =
        mem_size_mul(nfeat, mem_size_add(8, mem_size_mul(quantised ? 2 : 4, (size_t)m->stride)));
    size_t head = mem_size_mul(4, nlabels + (quantised ? (size_t)m->stride : 0));
    if (r.n - r.at != mem_size_add(head, rec))
        BAD("size does not match its header");
    m->bias = xmalloc(mem_size_mul(nlabels, sizeof(float)));
    for (uint32_t c = 0; c < nlabels; c++)
        if (get_f32(&r, &m->bias[c]) < 0)
            BAD("bad bias");
    m->nfeat = nfeat;
    m->hashes = xmalloc(mem_size_mul(nfeat ? nfeat : 1, sizeof(uint64_t)));
    if (quantised) {
        m->scale = xmalloc(mem_size_mul((size_t)m->stride, sizeof(float)));
        /* The range quantise() produces from the weights a format 1 model may hold (≤ 1e9). */
        for (int c = 0; c < m->stride; c++)
            if (get_f32(&r, &m->scale[c]) < 0 || !(m->scale[c] > 0) || m->scale[c] > 1e6f)
                BAD("bad scale %d", c);
        m->q = rec_alloc(nfeat, m->stride, sizeof(int16_t));
    } else {
        m->rec = rec_alloc(nfeat, m->stride, sizeof(float));
    }
    table_build(m);
    for (uint32_t f = 0; f < nfeat; f++) {
        size_t at = (size_t)f * (size_t)m->stride;
        if (get_u64(&r, &m->hashes[f]) < 0 || m->hashes[f] == 0)
            BAD("bad feature %u", f);
        for (int c = 0; c < m->stride; c++)
            if (quantised ? get_u16(&r, &m->q[at + (size_t)c]) < 0
                          : get_f32(&r, &m->rec[at + (size_t)c]) < 0 ||
                                fabsf(m->rec[at + (size_t)c]) > 1e9f)
                BAD("bad weight of feature %u", f);
        if (quantised ? m->q[at] < 0 : m->rec[at] < 0)
            BAD("negative idf of feature %u", f);
        if (table_put(m, m->hashes[f], f) < 0)
            BAD("feature %u appears twice", f);
    }
    if (!quantised)
        quantise(m);
    set_version(m, sum);
#undef BAD
out:
    if (rc < 0)
        triage_model_free(m);
    else
        *out = m;
    return rc;
}

/* Models are tens of megabytes at most; anything far larger is not one of ours. */
#define MODEL_FILE_MAX ((size_t)1 << 30)

int triage_model_load(const char *path, struct triage_model **out, struct err *err)
{
    struct buf b;
    int rc = 0;
    *out = NULL;
    buf_init(&b);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "cannot open model '%s': %s",
                       path, strerror(errno));
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + got > MODEL_FILE_MAX) {
            rc = err_set(err, ERR_BAD_REQUEST, "model '%s' is too large", path);
            goto out;
        }
        buf_append(&b, chunk, got);
    }
    if (ferror(f)) {
        rc = err_set(err, ERR_IO, "cannot read model '%s'", path);
        goto out;
    }
    if ((rc = triage_model_parse(b.p, b.len, out, err)) < 0) {
        char msg[ERR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        err_set(err, rc, "%s: %s", path, msg);
    }
out:
    fclose(f);
    buf_release(&b);
    return rc;
}

/* ---------------------------------------------------------------- training */

/* n-gram hash → document frequency, growing as the training texts are read. */
struct dfmap {
    uint64_t *key;
    uint32_t *df, *last;
    uint8_t *kind;
    size_t cap, n;
    uint32_t doc;
};

static void dfmap_grow(struct dfmap *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1 << 16;
    uint64_t *key = xcalloc(cap, sizeof(uint64_t));
    uint32_t *df = xmalloc(cap * sizeof(uint32_t)), *last = xmalloc(cap * sizeof(uint32_t));
    uint8_t *kind = xmalloc(cap);
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->key[i])
            continue;
        size_t s = d->key[i] & (cap - 1);
        while (key[s])
            s = (s + 1) & (cap - 1);
        key[s] = d->key[i], df[s] = d->df[i], last[s] = d->last[i], kind[s] = d->kind[i];
    }
    free(d->key), free(d->df), free(d->last), free(d->kind);
    d->key = key, d->df = df, d->last = last, d->kind = kind, d->cap = cap;
}

static void dfmap_add(void *ctx, uint64_t h, unsigned kind, size_t off, size_t len)
{
    struct dfmap *d = ctx;
    (void)off, (void)len;
    if (2 * (d->n + 1) > d->cap)
        dfmap_grow(d);
    size_t s = h & (d->cap - 1);
    while (d->key[s] && d->key[s] != h)
        s = (s + 1) & (d->cap - 1);
    if (!d->key[s]) {
        d->key[s] = h, d->df[s] = 1, d->last[s] = d->doc, d->kind[s] = (uint8_t)kind;
        d->n++;
    } else if (d->last[s] != d->doc) {
        d->df[s]++;
        d->last[s] = d->doc;
    }
}

/* Training texts as rows of (feature, value), with the bias handled separately. */
struct rows {
    size_t n;
    size_t *start; /* n + 1 */
    uint32_t *idx;
    float *val;
    double *sqnorm;
};

struct svm_job {
    const struct rows *x;
    const int *y;        /* label of each row */
    const uint32_t *use; /* rows to train on */
    size_t nuse;
    size_t nfeat;
    double c;
    double pos_weight;
    int loss;
    int nb;
    int nlabels;
    double *w; /* nlabels × (nfeat + 1): weights then bias */
    int next;  /* next label to train; taken under 'lock' */
    pthread_mutex_t lock;
};

/* splitmix64: a fixed seed makes training reproducible (same data, same model version). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* One label against the rest: dual coordinate descent for the L2-regularised hinge or
 * squared hinge loss (each step solves one dual variable exactly, clipped to its bounds;
 * the weights follow incrementally). */
static void svm_train_label(const struct svm_job *j, int label)
{
    const struct rows *x = j->x;
    double *w = j->w + (size_t)label * (j->nfeat + 1), *bias = w + j->nfeat;
    /* Positives of a small label are outnumbered by the rest; a larger cost for them keeps
     * small labels from being swallowed (d is the dual's 1/(2C) per side). */
    size_t npos = 0;
    for (size_t i = 0; i < j->nuse; i++)
        npos += j->y[j->use[i]] == label;
    double ratio = npos ? (double)(j->nuse - npos) / (double)npos : 1;
    double dpos = 0.5 / (j->c * pow(ratio, j->pos_weight)), dneg = 0.5 / j->c;
    double upos = INFINITY, uneg = INFINITY;
    if (j->loss == TRIAGE_LOSS_HINGE) {
        /* Hinge loss: the dual variables are boxed by the cost instead of penalised. */
        upos = j->c * pow(ratio, j->pos_weight);
        uneg = j->c;
        dpos = dneg = 0;
    }
    /* NB-SVM: each feature scaled by its log-count ratio for this label (how much more
     * often it occurs in the label's texts than in the others'), so the SVM starts from
     * what naive Bayes would say. The scale is folded into the weights at the end. */
    double *r = NULL, *sqn = NULL;
    if (j->nb) {
        double *q = xcalloc(j->nfeat + 1, sizeof(double)), psum = 0, qsum = 0;
        r = xcalloc(j->nfeat + 1, sizeof(double));
        sqn = xmalloc(j->nuse * sizeof(double));
        for (size_t i = 0; i < j->nuse; i++) {
            size_t row = j->use[i];
            double *cnt = j->y[row] == label ? r : q;
            for (size_t e = x->start[row]; e < x->start[row + 1]; e++)
                cnt[x->idx[e]] += 1;
        }
        for (size_t f = 0; f < j->nfeat; f++)
            psum += r[f] + 1, qsum += q[f] + 1;
        for (size_t f = 0; f < j->nfeat; f++)
            r[f] = log(((r[f] + 1) / psum) / ((q[f] + 1) / qsum));
        for (size_t i = 0; i < j->nuse; i++) {
            size_t row = j->use[i];
            double sq = 0;
            for (size_t e = x->start[row]; e < x->start[row + 1]; e++) {
                double v = x->val[e] * r[x->idx[e]];
                sq += v * v;
            }
            sqn[i] = sq;
        }
        free(q);
    }
    double *alpha = xcalloc(j->nuse, sizeof(double));
    uint32_t *perm = xmalloc(j->nuse * sizeof(uint32_t));
    uint64_t seed = 0x5EED + (uint64_t)label;
    for (size_t i = 0; i < j->nuse; i++)
        perm[i] = (uint32_t)i;
    /* Shrinking: a text whose dual variable sits at 0 with a gradient beyond last pass's
     * largest is very likely to stay there, so it leaves the active set until the active
     * set has converged; then everything is checked once more. */
    size_t active = j->nuse;
    double pg_hi = INFINITY;
    for (int iter = 0; iter < 500; iter++) {
        for (size_t i = active; i > 1; i--) {
            size_t k = rng_next(&seed) % i;
            uint32_t t = perm[i - 1];
            perm[i - 1] = perm[k];
            perm[k] = t;
        }
        double pgmax = -INFINITY, pgmin = INFINITY;
        for (size_t q = 0; q < active; q++) {
            uint32_t i = perm[q];
            size_t row = j->use[i];
            double yi = j->y[row] == label ? 1.0 : -1.0;
            double s = *bias;
            if (r)
                for (size_t e = x->start[row]; e < x->start[row + 1]; e++)
                    s += w[x->idx[e]] * x->val[e] * r[x->idx[e]];
            else
                for (size_t e = x->start[row]; e < x->start[row + 1]; e++)
                    s += w[x->idx[e]] * x->val[e];
            double d = yi > 0 ? dpos : dneg;
            double g = yi * s - 1 + d * alpha[i];
            double pg = g;
            if (alpha[i] == 0) {
                if (g > pg_hi) {
                    active--;
                    perm[q] = perm[active];
                    perm[active] = i;
                    q--;
                    continue;
                }
                if (g > 0)
                    pg = 0;
            } else if (alpha[i] >= (yi > 0 ? upos : uneg) && g < 0) {
                pg = 0;
            }
            if (pg > pgmax)
                pgmax = pg;
            if (pg < pgmin)
                pgmin = pg;
            if (fabs(pg) < 1e-12)
                continue;
            double qii = (r ? sqn[i] : x->sqnorm[row]) + 1 + d;
            double a = alpha[i] - g / qii;
            if (a < 0)
                a = 0;
            if (a > (yi > 0 ? upos : uneg))
                a = yi > 0 ? upos : uneg;
            double delta = (a - alpha[i]) * yi;
            alpha[i] = a;
            if (r)
                for (size_t e = x->start[row]; e < x->start[row + 1]; e++)
                    w[x->idx[e]] += delta * x->val[e] * r[x->idx[e]];
            else
                for (size_t e = x->start[row]; e < x->start[row + 1]; e++)
                    w[x->idx[e]] += delta * x->val[e];
            *bias += delta;
        }
        if (pgmax - pgmin < 0.1) {
            if (active == j->nuse)
                break;
            active = j->nuse;
            pg_hi = INFINITY;
            continue;
        }
        pg_hi = pgmax > 0 ? pgmax : INFINITY;
    }
    if (r)
        for (size_t f = 0; f < j->nfeat; f++)
            w[f] *= r[f];
    free(r);
    free(sqn);
    free(alpha);
    free(perm);
}

static void *svm_worker(void *arg)
{
    struct svm_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int label = j->next < j->nlabels ? j->next++ : -1;
        pthread_mutex_unlock(&j->lock);
        if (label < 0)
            return NULL;
        svm_train_label(j, label);
    }
}

static void svm_train(struct svm_job *j, int threads)
{
    pthread_t tid[16];
    int nt = 0;
    memset(j->w, 0, (size_t)j->nlabels * (j->nfeat + 1) * sizeof(double));
    j->next = 0;
    pthread_mutex_init(&j->lock, NULL);
    if (threads > 16)
        threads = 16;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[nt], NULL, svm_worker, j) == 0)
            nt++;
    svm_worker(j);
    for (int t = 0; t < nt; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j->lock);
}

static double row_score(const struct rows *x, size_t row, const double *w, size_t nfeat)
{
    double s = w[nfeat];
    for (size_t e = x->start[row]; e < x->start[row + 1]; e++)
        s += w[x->idx[e]] * x->val[e];
    return s;
}

/* The softmax temperature that minimises the log loss of held-out scores (golden section on
 * log temperature; the loss is unimodal in it). */
static double fit_temperature(const double *score, const int *y, size_t n, int k)
{
    double lo = log(0.05), hi = log(200.0);
    const double g = 0.6180339887498949;
    double p[MODEL_MAX_LABELS];
    double best = 1;
    for (int it = 0; it < 60; it++) {
        double t1 = hi - g * (hi - lo), t2 = lo + g * (hi - lo), loss[2];
        for (int side = 0; side < 2; side++) {
            double t = exp(side ? t2 : t1), l = 0;
            for (size_t i = 0; i < n; i++) {
                softmax(score + i * (size_t)k, k, t, p);
                l -= log(p[y[i]] > 1e-300 ? p[y[i]] : 1e-300);
            }
            loss[side] = l;
        }
        if (loss[0] < loss[1])
            hi = t2;
        else
            lo = t1;
        best = exp((lo + hi) / 2);
    }
    return best;
}

/* Drop the features that barely move any score: a smaller vocabulary table and record array
 * mean fewer cache misses per n-gram at classification. Order (by document frequency) is
 * kept, so the most frequent survivors still get the small table. */
static void prune(struct triage_model *m, double min_weight)
{
    size_t st = (size_t)m->stride;
    uint32_t nf = 0;
    for (uint32_t f = 0; f < m->nfeat; f++) {
        const float *r = m->rec + (size_t)f * st;
        double big = 0;
        for (int c = 0; c < m->nlabels; c++)
            if (fabs(r[1 + c]) > big)
                big = fabs(r[1 + c]);
        if (big * r[0] < min_weight)
            continue;
        m->hashes[nf] = m->hashes[f];
        memmove(m->rec + (size_t)nf * st, r, st * sizeof(float));
        nf++;
    }
    memset(m->rec + (size_t)nf * st, 0, (size_t)(m->nfeat - nf) * st * sizeof(float));
    m->nfeat = nf;
    table_free(&m->hot);
    table_free(&m->cold);
    free(m->cold_bits);
    free(m->known);
    table_build(m);
    for (uint32_t f = 0; f < nf; f++)
        table_put(m, m->hashes[f], f); /* cannot fail: these hashes were all accepted once */
}

struct kept {
    uint64_t hash;
    uint32_t df;
    uint8_t kind;
};

static int by_df(const void *a, const void *b)
{
    const struct kept *x = a, *y = b;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static void progress(const struct triage_train_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress(const struct triage_train_opts *o, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    if (!o->progress)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    o->progress(o->progress_ctx, line);
}

int triage_train(const char *const *texts, const char *const *labels, size_t n,
                 const struct triage_train_opts *opts, struct triage_model **out, struct err *err)
{
    struct triage_train_opts o = opts ? *opts : (struct triage_train_opts){0};
    struct triage_model *m = xcalloc(1, sizeof(*m));
    struct dfmap d = {0};
    struct kept *kept = NULL;
    struct rows x = {0};
    struct svm_job job = {0};
    struct vec *v = NULL;
    int *y = NULL;
    uint32_t *use = NULL;
    double *oof = NULL;
    char *norm = NULL;
    int rc = 0;

    *out = NULL;
    if (!o.features)
        o.features = DEFAULT_FEATURES;
    if (o.c <= 0)
        o.c = DEFAULT_C;
    /* A small set (a demo's few hundred examples) would lose most of its vocabulary to the
     * default cut, so the default shrinks with it: 1 below 500 texts, 2 below 1,000. */
    if (o.min_df <= 0)
        o.min_df = n < 500 * (DEFAULT_MIN_DF - 1) ? (int)(1 + n / 500) : DEFAULT_MIN_DF;
    if (o.word_weight <= 0)
        o.word_weight = DEFAULT_WORD_WEIGHT;
    if (o.prune == 0)
        o.prune = n >= PRUNE_MIN_TEXTS ? DEFAULT_PRUNE : -1;
    if (!o.loss)
        o.loss = DEFAULT_LOSS;
    o.nb = o.nb >= 0; /* on unless turned off */
    if (o.loss != TRIAGE_LOSS_HINGE && o.loss != TRIAGE_LOSS_SQUARED_HINGE) {
        rc = err_field(err, ERR_BAD_REQUEST, "loss", "unknown loss %d", o.loss);
        goto out;
    }
    if (o.pos_weight == 0)
        o.pos_weight = DEFAULT_POS_WEIGHT;
    else if (o.pos_weight < 0)
        o.pos_weight = 0;
    if (o.threads <= 0)
        o.threads = 1;
    if (o.features & ~(unsigned)TRIAGE_F_ALL) {
        rc = err_field(err, ERR_BAD_REQUEST, "features", "unknown feature flags %#x", o.features);
        goto out;
    }
    m->flags = o.features;

    /* Labels in order of first appearance. */
    y = xmalloc(mem_size_mul(n ? n : 1, sizeof(int)));
    m->labels = xcalloc(MODEL_MAX_LABELS, sizeof(*m->labels));
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(labels[i]);
        if (l == 0 || l >= TRIAGE_LABEL_MAX || utf8_invalid_at(labels[i], l) >= 0) {
            rc = err_field(err, ERR_BAD_REQUEST, "label",
                           "label of text %zu must be 1 to %d bytes of UTF-8", i + 1,
                           TRIAGE_LABEL_MAX - 1);
            goto out;
        }
        int c;
        for (c = 0; c < m->nlabels && strcmp(m->labels[c], labels[i]) != 0; c++)
            ;
        if (c == m->nlabels) {
            if (c == MODEL_MAX_LABELS) {
                rc = err_field(err, ERR_BAD_REQUEST, "label", "more than %d labels",
                               MODEL_MAX_LABELS);
                goto out;
            }
            memcpy(m->labels[c], labels[i], l + 1);
            m->nlabels++;
        }
        y[i] = c;
    }
    if (m->nlabels < 2) {
        rc = err_field(err, ERR_BAD_REQUEST, "label", "training needs at least two labels, got %d",
                       m->nlabels);
        goto out;
    }
    m->stride = m->nlabels + 1;

    /* Vocabulary: every n-gram of the (normalised) training texts with enough support. */
    norm = xmalloc(TEXT_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = triage_normalize(texts[i], norm, TEXT_MAX);
        d.doc = (uint32_t)i + 1;
        triage_ngrams(norm, len, m->flags, dfmap_add, &d);
    }
    for (size_t s = 0; s < d.cap; s++)
        if (d.key[s] && d.df[s] >= (uint32_t)o.min_df)
            m->nfeat++;
    if (m->nfeat > MODEL_MAX_FEATURES) {
        rc = err_set(err, ERR_BAD_REQUEST, "%u features is more than a model holds; raise min_df",
                     m->nfeat);
        goto out;
    }
    m->hashes = xmalloc(mem_size_mul(m->nfeat ? m->nfeat : 1, sizeof(uint64_t)));
    m->rec = rec_alloc(m->nfeat, m->stride, sizeof(float));
    m->bias = xcalloc((size_t)m->nlabels, sizeof(float));
    m->temp = 1;
    table_build(m); /* sized for every kept feature, before any is dropped */
    /* Most frequent first (see the vocabulary table); ties by hash, so the order and with it
     * the model version depend only on the data. */
    kept = xmalloc(mem_size_mul(m->nfeat ? m->nfeat : 1, sizeof(*kept)));
    uint32_t nk = 0;
    for (size_t s = 0; s < d.cap; s++)
        if (d.key[s] && d.df[s] >= (uint32_t)o.min_df)
            kept[nk++] = (struct kept){d.key[s], d.df[s], d.kind[s]};
    qsort(kept, nk, sizeof(*kept), by_df);
    uint32_t f = 0;
    for (uint32_t i = 0; i < nk; i++) {
        /* Two n-grams whose hashes agree in every bit the table looks at cannot both be
         * told apart at classification; the rarer one is dropped. */
        if (table_put(m, kept[i].hash, f) < 0)
            continue;
        m->hashes[f] = kept[i].hash;
        double idf = log((1.0 + (double)n) / (1.0 + kept[i].df)) + 1.0;
        if (kept[i].kind & (TRIAGE_F_WORD1 | TRIAGE_F_WORD2))
            idf *= o.word_weight;
        m->rec[(size_t)f * (size_t)m->stride] = (float)idf;
        f++;
    }
    m->nfeat = f;

    /* The training rows, through exactly the path classification takes. */
    v = xmalloc(sizeof(*v));
    x.n = n;
    x.start = xmalloc(mem_size_mul(n + 1, sizeof(size_t)));
    x.sqnorm = xmalloc(mem_size_mul(n ? n : 1, sizeof(double)));
    size_t cap = 1 << 16;
    x.idx = xmalloc(cap * sizeof(uint32_t));
    x.val = xmalloc(cap * sizeof(float));
    x.start[0] = 0;
    for (size_t i = 0; i < n; i++) {
        vectorize(m, texts[i], v);
        size_t at = x.start[i];
        while (at + v->n > cap) {
            cap *= 2;
            x.idx = xrealloc(x.idx, mem_size_mul(cap, sizeof(uint32_t)));
            x.val = xrealloc(x.val, mem_size_mul(cap, sizeof(float)));
        }
        double sq = 0;
        for (uint32_t j = 0; j < v->n; j++) {
            x.idx[at + j] = v->fidx[j];
            x.val[at + j] = v->val[j];
            sq += (double)v->val[j] * v->val[j];
        }
        x.sqnorm[i] = sq;
        x.start[i + 1] = at + v->n;
    }

    job.x = &x;
    job.y = y;
    job.nfeat = m->nfeat;
    job.c = o.c;
    job.pos_weight = o.pos_weight;
    job.loss = o.loss;
    job.nb = o.nb;
    job.nlabels = m->nlabels;
    job.w = xmalloc(mem_size_mul((size_t)m->nlabels, mem_size_mul(m->nfeat + 1, sizeof(double))));
    use = xmalloc(mem_size_mul(n ? n : 1, sizeof(uint32_t)));
    job.use = use;

    /* Held-out scores for the temperature: each text scored by a model that did not see it. */
    if (n >= 2 * CV_FOLDS) {
        int k = m->nlabels;
        oof = xmalloc(mem_size_mul(n, mem_size_mul((size_t)k, sizeof(double))));
        for (int fold = 0; fold < CV_FOLDS; fold++) {
            job.nuse = 0;
            for (size_t i = 0; i < n; i++)
                if ((int)(i % CV_FOLDS) != fold)
                    use[job.nuse++] = (uint32_t)i;
            svm_train(&job, o.threads);
            for (size_t i = (size_t)fold; i < n; i += CV_FOLDS)
                for (int c = 0; c < k; c++)
                    oof[i * (size_t)k + (size_t)c] =
                        row_score(&x, i, job.w + (size_t)c * (m->nfeat + 1), m->nfeat);
            progress(&o, "triage: cross-validation fold %d of %d done", fold + 1, CV_FOLDS);
        }
        m->temp = fit_temperature(oof, y, n, k);
    }

    job.nuse = n;
    for (size_t i = 0; i < n; i++)
        use[i] = (uint32_t)i;
    svm_train(&job, o.threads);
    for (int c = 0; c < m->nlabels; c++) {
        const double *w = job.w + (size_t)c * (m->nfeat + 1);
        for (uint32_t j = 0; j < m->nfeat; j++)
            m->rec[(size_t)j * (size_t)m->stride + 1 + (size_t)c] = (float)w[j];
        m->bias[c] = (float)w[m->nfeat];
    }
    if (o.prune > 0)
        prune(m, o.prune);
    quantise(m);
    m->labels = xrealloc(m->labels, (size_t)m->nlabels * sizeof(*m->labels));

    /* The version is the checksum the saved file will carry. */
    struct buf b;
    buf_init(&b);
    serialize(m, &b);
    set_version(m, fnv1a((const unsigned char *)b.p, b.len - 8));
    buf_release(&b);
    progress(&o, "triage: trained on %zu texts, %d labels, %u features, temperature %.3g, model %s",
             n, m->nlabels, m->nfeat, m->temp, m->version);
out:
    free(d.key), free(d.df), free(d.last), free(d.kind);
    free(kept);
    free(x.start), free(x.idx), free(x.val), free(x.sqnorm);
    free(job.w);
    free(v);
    free(y);
    free(use);
    free(oof);
    free(norm);
    if (rc < 0)
        triage_model_free(m);
    else
        *out = m;
    return rc;
}
