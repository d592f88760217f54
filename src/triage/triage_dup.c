/*
 * Duplicate candidates (并单 suggestions): MinHash over character bigrams with LSH banding.
 *
 * A text becomes the set of bigrams of its content characters (Han, letters, digits; spaces
 * and punctuation dropped, so "路灯坏了！" and "路灯 坏了" agree). Its signature holds, for
 * each of K hash functions, the smallest hash of any bigram; two signatures agree in a slot
 * with probability equal to the Jaccard similarity of the two sets, so the share of agreeing
 * slots estimates it. Only the low 16 bits of each minimum are kept (b-bit MinHash): a
 * chance agreement costs 1/65536 of bias and halves the memory.
 *
 * Banding: the K slots form BANDS bands of ROWS; two texts become candidates when a whole band
 * agrees, which happens with probability 1 − (1 − J^ROWS)^BANDS: ≈ 0.99 at J = 0.5, 0.59 at
 * J = 0.3, 0.03 at J = 0.1. So pairs at the default threshold are found, unrelated texts
 * rarely cost a comparison, and a query touches BANDS short chains instead of every case.
 *
 * Storage: entries live in one array (slots reused after removal); each band has a bucket
 * head array and every entry carries its next link per band (intrusive chains), so nothing is
 * allocated per posting. An id → slot table finds entries for removal.
 *
 * Memory per open case (the server keeps every open case here): an entry is 360 bytes (the
 * signature 192, the links 128); the band keys are not stored but recomputed from the
 * signature when the entry is linked or unlinked (a hash of 3 slots per band, cheaper than the
 * cache line it would cost), and a chain walk compares the band's 3 slots themselves. The id
 * table holds slots only (4 bytes, the id is read from the entry). Coordinates stay double:
 * as float, a longitude near 113° rounds by up to 3.8e-6° (0.4 m), which would move the 1 km
 * radius decision and the reported distance for cases near it, to save 8 of ~550 bytes.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "triage/triage.h"
#include "triage/triage_internal.h"

#define K 96
#define ROWS 3
#define BANDS 32
#define TEXT_CPS 4096 /* longer texts are compared on their start */
#define NIL UINT32_MAX
#define TOMB (UINT32_MAX - 1)
/* Matches taken per band. Chains are newest first, and a burst of near-identical reports (a
 * burst main, an outage: hundreds of calls) would otherwise make every query walk and sort
 * all of them; the newest are the ones a dispatcher merges into. */
#define BAND_CANDIDATES 32

struct entry {
    int64_t id, at;
    double lat, lon;
    uint16_t sig[K];
    uint32_t next[BANDS];
    unsigned char has_location, live, indexed;
};

struct triage_dup_index {
    pthread_rwlock_t lock;
    struct triage_dup_opts opts;
    uint64_t mul[K], add[K];
    struct entry *e;
    uint32_t ne, cap; /* slots used (live or free), allocated */
    uint32_t *freelist;
    uint32_t nfree;
    uint32_t *head[BANDS];
    uint32_t hmask; /* head arrays have hmask + 1 buckets */
    uint32_t *ids;  /* open addressing by id hash: slot numbers, NIL empty, TOMB removed */
    size_t ids_cap, ids_used; /* used counts tombstones */
    size_t live;
};

static uint64_t splitmix(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return triage_mix64(*s);
}

/* The hash of band b of a signature: its 3 slots, which is what two entries must share. */
static uint32_t band_key(const uint16_t sig[K], int b)
{
    uint64_t v =
        ((uint64_t)sig[b * ROWS] << 32) | ((uint64_t)sig[b * ROWS + 1] << 16) | sig[b * ROWS + 2];
    return (uint32_t)triage_mix64(v ^ ((uint64_t)(b + 1) << 56));
}

static int band_equal(const uint16_t *a, const uint16_t *b, int band)
{
    const uint16_t *x = a + band * ROWS, *y = b + band * ROWS;
    return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* Signature of text; returns 0 when the text has no content characters. */
static int signature(const struct triage_dup_index *ix, const char *text, uint16_t sig[K])
{
    size_t len = strlen(text), pos = 0;
    uint32_t prev = 0, c;
    uint32_t mins[K];
    size_t nw = 0, cps = 0;
    for (int k = 0; k < K; k++)
        mins[k] = UINT32_MAX;
    while (cps < TEXT_CPS && (c = triage_fold_next(text, len, &pos)) != 0) {
        cps++;
        if (!triage_is_word(c))
            continue;
        nw++;
        if (nw >= 2) {
            uint64_t x = triage_mix64(((uint64_t)prev << 21) | c);
            for (int k = 0; k < K; k++) {
                uint32_t h = (uint32_t)((x * ix->mul[k] + ix->add[k]) >> 32);
                if (h < mins[k])
                    mins[k] = h;
            }
        }
        prev = c;
    }
    if (nw == 0)
        return 0;
    if (nw == 1) { /* a one-character text is its own shingle */
        uint64_t x = triage_mix64(prev);
        for (int k = 0; k < K; k++)
            mins[k] = (uint32_t)((x * ix->mul[k] + ix->add[k]) >> 32);
    }
    for (int k = 0; k < K; k++)
        sig[k] = (uint16_t)mins[k];
    return 1;
}

static double meters_between(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371008.8, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

/* ---------------------------------------------------------------- id table */

static size_t id_hash(int64_t id, size_t mask)
{
    return (size_t)triage_mix64((uint64_t)id) & mask;
}

static uint32_t *id_find(struct triage_dup_index *ix, int64_t id)
{
    size_t mask = ix->ids_cap - 1;
    for (size_t i = id_hash(id, mask);; i = (i + 1) & mask) {
        if (ix->ids[i] == NIL)
            return NULL;
        if (ix->ids[i] != TOMB && ix->e[ix->ids[i]].id == id)
            return &ix->ids[i];
    }
}

static void id_grow(struct triage_dup_index *ix)
{
    size_t old_cap = ix->ids_cap;
    uint32_t *old = ix->ids;
    size_t want = ix->live * 4 < 1024 ? 1024 : ix->live * 4;
    size_t cap = 1;
    while (cap < want)
        cap <<= 1;
    ix->ids = xmalloc(mem_size_mul(cap, sizeof(*ix->ids)));
    memset(ix->ids, 0xFF, cap * sizeof(*ix->ids)); /* NIL */
    ix->ids_cap = cap;
    ix->ids_used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i] == NIL || old[i] == TOMB)
            continue;
        size_t j = id_hash(ix->e[old[i]].id, cap - 1);
        while (ix->ids[j] != NIL)
            j = (j + 1) & (cap - 1);
        ix->ids[j] = old[i];
        ix->ids_used++;
    }
    free(old);
}

static void id_put(struct triage_dup_index *ix, int64_t id, uint32_t slot)
{
    if ((ix->ids_used + 1) * 2 > ix->ids_cap)
        id_grow(ix);
    size_t mask = ix->ids_cap - 1, i = id_hash(id, mask);
    while (ix->ids[i] != NIL && ix->ids[i] != TOMB)
        i = (i + 1) & mask;
    if (ix->ids[i] == NIL)
        ix->ids_used++;
    ix->ids[i] = slot;
}

/* ---------------------------------------------------------------- band chains */

static void chain_link(struct triage_dup_index *ix, uint32_t s)
{
    struct entry *en = &ix->e[s];
    for (int b = 0; b < BANDS; b++) {
        uint32_t *h = &ix->head[b][band_key(en->sig, b) & ix->hmask];
        en->next[b] = *h;
        *h = s;
    }
}

static void chain_unlink(struct triage_dup_index *ix, uint32_t s)
{
    struct entry *en = &ix->e[s];
    for (int b = 0; b < BANDS; b++) {
        uint32_t *p = &ix->head[b][band_key(en->sig, b) & ix->hmask];
        while (*p != NIL && *p != s)
            p = &ix->e[*p].next[b];
        if (*p == s)
            *p = en->next[b];
    }
}

/* Keep chains about one entry long: heads are resized with the entry array. */
static void heads_resize(struct triage_dup_index *ix, uint32_t buckets)
{
    ix->hmask = buckets - 1;
    for (int b = 0; b < BANDS; b++) {
        free(ix->head[b]);
        ix->head[b] = xmalloc(mem_size_mul(buckets, sizeof(uint32_t)));
        memset(ix->head[b], 0xFF, (size_t)buckets * sizeof(uint32_t));
    }
    for (uint32_t s = 0; s < ix->ne; s++)
        if (ix->e[s].live && ix->e[s].indexed)
            chain_link(ix, s);
}

/* ---------------------------------------------------------------- public */

struct triage_dup_index *triage_dup_new(const struct triage_dup_opts *opts)
{
    struct triage_dup_index *ix = xcalloc(1, sizeof(*ix));
    uint64_t seed = 0x6772696c6f6f70ULL; /* fixed: signatures are reproducible across runs */
    if (opts) {
        ix->opts = *opts;
    } else {
        ix->opts.window_seconds = 7 * 86400;
        ix->opts.max_meters = 1000;
        ix->opts.min_score = 0.5;
    }
    for (int k = 0; k < K; k++) {
        ix->mul[k] = splitmix(&seed) | 1;
        ix->add[k] = splitmix(&seed);
    }
    pthread_rwlock_init(&ix->lock, NULL);
    id_grow(ix);
    heads_resize(ix, 1024);
    return ix;
}

void triage_dup_free(struct triage_dup_index *ix)
{
    if (!ix)
        return;
    pthread_rwlock_destroy(&ix->lock);
    for (int b = 0; b < BANDS; b++)
        free(ix->head[b]);
    free(ix->e);
    free(ix->freelist);
    free(ix->ids);
    free(ix);
}

static void remove_locked(struct triage_dup_index *ix, int64_t id)
{
    uint32_t *is = id_find(ix, id);
    if (!is)
        return;
    uint32_t s = *is;
    *is = TOMB;
    if (ix->e[s].indexed)
        chain_unlink(ix, s);
    ix->e[s].live = 0;
    ix->freelist[ix->nfree++] = s;
    ix->live--;
}

void triage_dup_add(struct triage_dup_index *ix, int64_t id, int64_t at, int has_location,
                    double lat, double lon, const char *text)
{
    struct entry en;
    memset(&en, 0, sizeof(en));
    en.id = id;
    en.at = at;
    en.has_location = has_location && isfinite(lat) && isfinite(lon) ? 1 : 0;
    en.lat = lat;
    en.lon = lon;
    en.live = 1;
    /* The signature is computed before taking the lock: it is the expensive part. */
    en.indexed = (unsigned char)signature(ix, text ? text : "", en.sig);

    pthread_rwlock_wrlock(&ix->lock);
    remove_locked(ix, id);
    uint32_t s;
    if (ix->nfree) {
        s = ix->freelist[--ix->nfree];
    } else {
        if (ix->ne == ix->cap) {
            uint32_t cap = ix->cap ? ix->cap * 2 : 1024;
            ix->e = xrealloc(ix->e, mem_size_mul(cap, sizeof(*ix->e)));
            ix->freelist = xrealloc(ix->freelist, mem_size_mul(cap, sizeof(uint32_t)));
            ix->cap = cap;
        }
        s = ix->ne++;
    }
    ix->e[s] = en;
    if (en.indexed)
        chain_link(ix, s);
    id_put(ix, id, s);
    ix->live++;
    if (ix->ne > ix->hmask + 1)
        heads_resize(ix, (ix->hmask + 1) * 2);
    pthread_rwlock_unlock(&ix->lock);
}

void triage_dup_remove(struct triage_dup_index *ix, int64_t id)
{
    pthread_rwlock_wrlock(&ix->lock);
    remove_locked(ix, id);
    pthread_rwlock_unlock(&ix->lock);
}

size_t triage_dup_count(struct triage_dup_index *ix)
{
    pthread_rwlock_rdlock(&ix->lock);
    size_t n = ix->live;
    pthread_rwlock_unlock(&ix->lock);
    return n;
}

static int better(const struct triage_dup_hit *a, const struct triage_dup_hit *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    double am = a->meters < 0 ? HUGE_VAL : a->meters, bm = b->meters < 0 ? HUGE_VAL : b->meters;
    if (am != bm) /* closer first, unknown distance last */
        return am < bm;
    return a->id < b->id;
}

/* Score one candidate against the query and keep it among the best 'max' (sorted). */
static void score_candidate(const struct triage_dup_index *ix, const struct entry *en,
                            const uint16_t *sig, int64_t at, int has_location, double lat,
                            double lon, struct triage_dup_hit *hits, int max, int *nhits)
{
    /* Unsigned: the distance between any two int64 times fits, no overflow. */
    uint64_t dt = en->at > at ? (uint64_t)en->at - (uint64_t)at : (uint64_t)at - (uint64_t)en->at;
    if (ix->opts.window_seconds > 0 && dt > (uint64_t)ix->opts.window_seconds)
        return;
    double m = -1;
    if (has_location && en->has_location) {
        m = meters_between(lat, lon, en->lat, en->lon);
        if (ix->opts.max_meters > 0 && m > ix->opts.max_meters)
            return;
    }
    int same = 0;
    for (int k = 0; k < K; k++)
        same += en->sig[k] == sig[k];
    struct triage_dup_hit h = {en->id, (double)same / K, m};
    if (h.score < ix->opts.min_score)
        return;
    /* Insertion into the short sorted list of the best 'max'. */
    int j = *nhits < max ? (*nhits)++ : max;
    if (j == max && !better(&h, &hits[max - 1]))
        return;
    if (j == max)
        j = max - 1;
    while (j > 0 && better(&h, &hits[j - 1])) {
        hits[j] = hits[j - 1];
        j--;
    }
    hits[j] = h;
}

int triage_dup_query(struct triage_dup_index *ix, const char *text, int64_t at, int has_location,
                     double lat, double lon, struct triage_dup_hit *hits, int max)
{
    uint16_t sig[K];
    uint32_t key[BANDS];
    /* Slots already scored: every band may name the same entry. A table twice the most
     * candidates the bands can yield, so probing always ends. */
    uint32_t seen[2 * BANDS * BAND_CANDIDATES];
    int nhits = 0;

    if (max <= 0 || !signature(ix, text ? text : "", sig))
        return 0;
    for (int b = 0; b < BANDS; b++)
        key[b] = band_key(sig, b);
    if (!isfinite(lat) || !isfinite(lon))
        has_location = 0; /* a broken location is no location, not a NaN distance */
    memset(seen, 0xff, sizeof(seen));
    pthread_rwlock_rdlock(&ix->lock);
    for (int b = 0; b < BANDS; b++) {
        int taken = 0;
        for (uint32_t s = ix->head[b][key[b] & ix->hmask]; s != NIL && taken < BAND_CANDIDATES;
             s = ix->e[s].next[b]) {
            if (!band_equal(ix->e[s].sig, sig, b))
                continue;
            taken++;
            size_t h = (s * 2654435761u) % (sizeof(seen) / sizeof(seen[0]));
            while (seen[h] != NIL && seen[h] != s)
                h = (h + 1) % (sizeof(seen) / sizeof(seen[0]));
            if (seen[h] == s)
                continue;
            seen[h] = s;
            score_candidate(ix, &ix->e[s], sig, at, has_location, lat, lon, hits, max, &nhits);
        }
    }
    pthread_rwlock_unlock(&ix->lock);
    return nhits;
}
