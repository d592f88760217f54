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
 *
 * Place and time (the second signal, triage.h): an address keeps a bottom-k sketch of its
 * shingles (the AK smallest 16-bit hashes: the whole set for any address shorter than ~25
 * characters, so the comparison is exact where MinHash over a dozen shingles would be off by
 * ±0.15) and ABANDS one-slot MinHash keys that chain it (two addresses meet with probability
 * 1 − (1 − J)^ABANDS: 0.98 at J = 0.5), and a case with a location is chained in its cell
 * of a lat/lon grid (CELL_LAT × CELL_LON degrees, at least PLACE_METERS on each side up to
 * 55° north: all of China), so a query walks the 3 × 3 cells around it. These make an entry
 * 456 bytes instead of 360 (sketch 62, links 28, category 8) and add 28 bytes of bucket heads
 * per bucket.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "triage/triage.h"
#include "triage/triage_internal.h"

#define K TRIAGE_DUP_K
#define ROWS 3
#define BANDS 32
#define TEXT_CPS 4096 /* longer texts are compared on their start */
#define NIL UINT32_MAX
#define TOMB (UINT32_MAX - 1)
/* Matches taken per band. Chains are newest first, and a burst of near-identical reports (a
 * burst main, an outage: hundreds of calls) would otherwise make every query walk and sort
 * all of them; the newest are the ones a dispatcher merges into. */
#define BAND_CANDIDATES 32

#define AK TRIAGE_DUP_AK
#define ABANDS TRIAGE_DUP_ABANDS
#define ADDR_CPS 256
#define ABAND_CANDIDATES 16
#define CELL_LAT 0.003       /* 333 m */
#define CELL_LON 0.004       /* 254 m at 55°N, 374 m at 33°N */
#define CELL_WALK 16         /* entries looked at per cell, newest first */
#define PLACE_NEAR 50.0      /* metres at which place counts fully */
#define PLACE_METERS 250.0   /* and beyond which it does not count */
#define TIME_NEAR (2 * 3600) /* seconds at which time counts fully */
#define TIME_FAR (24 * 3600) /* and beyond which it does not count */
#define ADDR_SAME 0.7 /* share of the shorter address's shingles in the other: counts fully */
#define ADDR_NONE 0.4 /* and at or below which it does not count */
#define W_SAME 0.8    /* weight of place × time by category agreement */
#define W_UNKNOWN 0.45
#define W_OTHER 0.3

/* An entry's address is a struct triage_dup_sketch (triage.h, public for triage_dup_sig): the
 * AK smallest distinct 16-bit hashes of its shingles, ascending, and ABANDS MinHash values
 * that chain it. */
struct entry {
    int64_t id, at, category;
    double lat, lon;
    uint16_t sig[K];
    struct triage_dup_sketch addr;
    uint32_t next[BANDS];
    uint32_t anext[ABANDS];
    uint32_t cnext;
    unsigned char has_location, live, indexed;
    unsigned char has_address;
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
    uint32_t *ahead[ABANDS]; /* address bands */
    uint32_t *chead;         /* cells */
    uint32_t hmask;          /* head arrays have hmask + 1 buckets */
    uint32_t *ids;           /* open addressing by id hash: slot numbers, NIL empty, TOMB removed */
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

static uint32_t aband_key(const struct triage_dup_sketch *k, int b)
{
    return (uint32_t)triage_mix64(((uint64_t)k->key[b] << 8) ^ ((uint64_t)(b + 101) << 56));
}

struct cell {
    int64_t y, x;
};

static struct cell cell_of(double lat, double lon)
{
    return (struct cell){(int64_t)floor(lat / CELL_LAT), (int64_t)floor(lon / CELL_LON)};
}

static uint32_t cell_key(struct cell c)
{
    return (uint32_t)triage_mix64(((uint64_t)c.y << 32) ^ (uint64_t)c.x ^ 0x63656c6cULL);
}

/* The signature's 96 multiply-adds a shingle run 8 at a time where the CPU multiplies 64-bit
 * lanes (AVX-512DQ), 4 with AVX2; built for each, chosen at load (an ifunc), the same
 * arithmetic and so the same signatures. A 300-character text: 17.2 -> 5.3 us on the
 * benchmark machine (AVX-512DQ), in intake's duplicate lookup at every staff intake. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define SIGNATURE_CLONES                                                                           \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SIGNATURE_CLONES
#endif

/* Signature of text; returns 0 when the text has no content characters. */
SIGNATURE_CLONES
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

static int is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The sketch of an address; returns 0 when it has no content characters. A run of digits
 * is one token, so 18号 and 188号 share nothing but 号 where character bigrams would make
 * them near-equal; shingles are token bigrams (one token alone is its own shingle). */
static int address_sketch(const struct triage_dup_index *ix, const char *addr,
                          struct triage_dup_sketch *out)
{
    size_t len = strlen(addr), pos = 0, cps = 0;
    uint64_t sh[ADDR_CPS + 1];
    uint64_t prev = 0, run = 0;
    int ntok = 0, nsh = 0;
    uint32_t c;
    for (;;) {
        c = cps < ADDR_CPS ? triage_fold_next(addr, len, &pos) : 0;
        cps++;
        if (c && is_digit(c)) {
            run = run * 11 + (c - '0' + 1);
            continue;
        }
        /* A run just ended, then the character itself: up to two tokens. */
        uint64_t tok[2];
        int nt = 0;
        if (run)
            tok[nt++] = (run << 1) | 1; /* odd: numbers; even: characters */
        run = 0;
        if (c && triage_is_word(c))
            tok[nt++] = (uint64_t)c << 1;
        for (int i = 0; i < nt; i++) {
            if (ntok++ > 0 && nsh < ADDR_CPS)
                sh[nsh++] = triage_mix64(triage_mix64(prev) ^ tok[i]);
            prev = tok[i];
        }
        if (!c)
            break;
    }
    if (ntok == 0)
        return 0;
    if (ntok == 1)
        sh[nsh++] = triage_mix64(prev);
    for (int b = 0; b < ABANDS; b++) {
        uint32_t m = UINT32_MAX;
        for (int i = 0; i < nsh; i++) {
            uint32_t h = (uint32_t)((sh[i] * ix->mul[b] + ix->add[b]) >> 32);
            if (h < m)
                m = h;
        }
        out->key[b] = (uint16_t)m;
    }
    uint16_t v[ADDR_CPS + 1];
    for (int i = 0; i < nsh; i++)
        v[i] = (uint16_t)(sh[i] >> 48);
    qsort(v, (size_t)nsh, sizeof(v[0]), cmp_u16);
    int n = 0;
    for (int i = 0; i < nsh; i++)
        if (i == 0 || v[i] != v[i - 1])
            v[n++] = v[i];
    out->n = (unsigned char)(n > 255 ? 255 : n);
    out->nlow = (unsigned char)(n < AK ? n : AK);
    memcpy(out->low, v, out->nlow * sizeof(v[0]));
    return 1;
}

/* Share of the smaller address's shingles found in the other (containment): "幸福路18号" lies
 * within "青石街道幸福路18号门口". Exact when both sketches hold their whole sets; otherwise
 * the Jaccard similarity J is estimated from the bottom AK of the union and
 * |A ∩ B| = J (|A| + |B|) / (1 + J). */
static double address_within(const struct triage_dup_sketch *a, const struct triage_dup_sketch *b)
{
    int i = 0, j = 0, both = 0, seen = 0;
    int whole = a->n == a->nlow && b->n == b->nlow;
    while (i < a->nlow && j < b->nlow && (whole || seen < AK)) {
        if (a->low[i] == b->low[j]) {
            both++;
            i++;
            j++;
        } else if (a->low[i] < b->low[j]) {
            i++;
        } else {
            j++;
        }
        seen++;
    }
    double small = a->n < b->n ? a->n : b->n;
    if (whole)
        return both / small;
    double jac = seen ? (double)both / seen : 0;
    double within = jac * (a->n + b->n) / ((1 + jac) * small);
    return within > 1 ? 1 : within;
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
    if (!en->indexed) /* nothing to compare a query with */
        return;
    for (int b = 0; b < BANDS; b++) {
        uint32_t *h = &ix->head[b][band_key(en->sig, b) & ix->hmask];
        en->next[b] = *h;
        *h = s;
    }
    for (int b = 0; en->has_address && b < ABANDS; b++) {
        uint32_t *h = &ix->ahead[b][aband_key(&en->addr, b) & ix->hmask];
        en->anext[b] = *h;
        *h = s;
    }
    if (en->has_location) {
        uint32_t *h = &ix->chead[cell_key(cell_of(en->lat, en->lon)) & ix->hmask];
        en->cnext = *h;
        *h = s;
    }
}

static void chain_unlink(struct triage_dup_index *ix, uint32_t s)
{
    struct entry *en = &ix->e[s];
    if (!en->indexed)
        return;
    for (int b = 0; b < BANDS; b++) {
        uint32_t *p = &ix->head[b][band_key(en->sig, b) & ix->hmask];
        while (*p != NIL && *p != s)
            p = &ix->e[*p].next[b];
        if (*p == s)
            *p = en->next[b];
    }
    for (int b = 0; en->has_address && b < ABANDS; b++) {
        uint32_t *p = &ix->ahead[b][aband_key(&en->addr, b) & ix->hmask];
        while (*p != NIL && *p != s)
            p = &ix->e[*p].anext[b];
        if (*p == s)
            *p = en->anext[b];
    }
    if (en->has_location) {
        uint32_t *p = &ix->chead[cell_key(cell_of(en->lat, en->lon)) & ix->hmask];
        while (*p != NIL && *p != s)
            p = &ix->e[*p].cnext;
        if (*p == s)
            *p = en->cnext;
    }
}

static uint32_t *heads_new(uint32_t buckets)
{
    uint32_t *h = xmalloc(mem_size_mul(buckets, sizeof(uint32_t)));
    memset(h, 0xFF, (size_t)buckets * sizeof(uint32_t));
    return h;
}

/* Keep chains about one entry long: heads are resized with the entry array. */
static void heads_resize(struct triage_dup_index *ix, uint32_t buckets)
{
    ix->hmask = buckets - 1;
    for (int b = 0; b < BANDS; b++) {
        free(ix->head[b]);
        ix->head[b] = heads_new(buckets);
    }
    for (int b = 0; b < ABANDS; b++) {
        free(ix->ahead[b]);
        ix->ahead[b] = heads_new(buckets);
    }
    free(ix->chead);
    ix->chead = heads_new(buckets);
    for (uint32_t s = 0; s < ix->ne; s++)
        if (ix->e[s].live)
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
    for (int b = 0; b < ABANDS; b++)
        free(ix->ahead[b]);
    free(ix->chead);
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
    chain_unlink(ix, s);
    ix->e[s].live = 0;
    ix->freelist[ix->nfree++] = s;
    ix->live--;
}

void triage_dup_sign(const struct triage_dup_index *ix, const char *text, const char *address,
                     struct triage_dup_sig *out)
{
    memset(out, 0, sizeof(*out));
    out->has_text = (unsigned char)signature(ix, text ? text : "", out->text);
    /* A text that matches nothing needs no address: neither add nor query looks at it. */
    out->has_address =
        (unsigned char)(address && out->has_text && address_sketch(ix, address, &out->addr));
}

void triage_dup_add(struct triage_dup_index *ix, const struct triage_dup_case *c)
{
    /* The signatures are computed before taking the lock: they are the expensive part. */
    struct triage_dup_sig sig;
    triage_dup_sign(ix, c->text, c->address, &sig);
    triage_dup_add_signed(ix, c, &sig);
}

void triage_dup_add_signed(struct triage_dup_index *ix, const struct triage_dup_case *c,
                           const struct triage_dup_sig *sig)
{
    struct entry en;
    int64_t id = c->id;
    memset(&en, 0, sizeof(en));
    en.id = id;
    en.at = c->at;
    en.category = c->category;
    en.has_location = c->has_location && isfinite(c->lat) && isfinite(c->lon) ? 1 : 0;
    en.lat = c->lat;
    en.lon = c->lon;
    en.live = 1;
    en.indexed = sig->has_text;
    if (en.indexed)
        memcpy(en.sig, sig->text, sizeof(en.sig));
    en.has_address = sig->has_text && sig->has_address;
    if (en.has_address)
        en.addr = sig->addr;

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

/* The query as the scoring needs it. */
struct query {
    const struct triage_dup_case *q;
    uint16_t sig[K];
    struct triage_dup_sketch addr;
    int has_location, has_address;
    struct cell cell;
    double coslat; /* of the query's latitude: the place walk's flat distance */
};

static double ramp(double v, double full, double none) /* 1 at ≤ full, 0 at ≥ none */
{
    if (v <= full)
        return 1;
    return v >= none ? 0 : (none - v) / (none - full);
}

/* Score one candidate against the query and keep it among the best 'max' (sorted). */
static void score_candidate(const struct triage_dup_index *ix, const struct entry *en,
                            const struct query *qq, struct triage_dup_hit *hits, int max,
                            int *nhits)
{
    const struct triage_dup_case *q = qq->q;
    /* Unsigned: the distance between any two int64 times fits, no overflow. */
    uint64_t dt =
        en->at > q->at ? (uint64_t)en->at - (uint64_t)q->at : (uint64_t)q->at - (uint64_t)en->at;
    if (ix->opts.window_seconds > 0 && dt > (uint64_t)ix->opts.window_seconds)
        return;
    double m = -1, place = 0;
    if (qq->has_location && en->has_location) {
        m = meters_between(q->lat, q->lon, en->lat, en->lon);
        if (ix->opts.max_meters > 0 && m > ix->opts.max_meters)
            return;
        /* Two points decide: an address written alike 800 m away is another place. */
        place = ramp(m, PLACE_NEAR, PLACE_METERS);
    } else if (qq->has_address && en->has_address) {
        double within = address_within(&qq->addr, &en->addr);
        place = 1 - ramp(within, ADDR_NONE, ADDR_SAME);
    }
    int same = 0;
    for (int k = 0; k < K; k++)
        same += en->sig[k] == qq->sig[k];
    double text = (double)same / K;
    double w = !q->category || !en->category ? W_UNKNOWN
               : q->category == en->category ? W_SAME
                                             : W_OTHER;
    double when = dt > (uint64_t)TIME_FAR ? 0 : ramp((double)dt, TIME_NEAR, TIME_FAR);
    struct triage_dup_hit h = {
        .id = en->id,
        .score = text + (1 - text) * place * when * w,
        .text = text,
        .place = place,
        .meters = m,
        .seconds = dt > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)dt,
    };
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

/* Whether an entry met through its place (a neighbouring cell, a like address) can score by
 * it; cheap tests, so the walk around a busy place stays cheap: reported within TIME_FAR, of
 * the same category when both are known (another kind at the same place needs the text alone,
 * and the text bands find that), and, met by its point, within PLACE_METERS on a flat
 * approximation (good to 0.1% at these distances; the score then takes the exact one). */
static int place_worth(const struct query *qq, const struct entry *en, int by_point)
{
    const struct triage_dup_case *q = qq->q;
    uint64_t dt =
        en->at > q->at ? (uint64_t)en->at - (uint64_t)q->at : (uint64_t)q->at - (uint64_t)en->at;
    if (dt > (uint64_t)TIME_FAR)
        return 0;
    if (q->category && en->category && q->category != en->category)
        return 0;
    if (by_point) {
        const double m_per_deg = 111195.0, lim = PLACE_METERS * 1.01;
        double dy = (en->lat - q->lat) * m_per_deg,
               dx = (en->lon - q->lon) * m_per_deg * qq->coslat;
        if (dx * dx + dy * dy > lim * lim)
            return 0;
    }
    return 1;
}

/* Slots already scored: every chain may name the same entry. A table twice the most
 * candidates the chains can yield, so probing always ends. */
#define SEEN_MAX (2 * (BANDS * BAND_CANDIDATES + ABANDS * ABAND_CANDIDATES + 9 * CELL_WALK))

static int first_visit(uint32_t *seen, uint32_t s)
{
    size_t h = (s * 2654435761u) % SEEN_MAX;
    while (seen[h] != NIL && seen[h] != s)
        h = (h + 1) % SEEN_MAX;
    if (seen[h] == s)
        return 0;
    seen[h] = s;
    return 1;
}

int triage_dup_query(struct triage_dup_index *ix, const struct triage_dup_case *q,
                     struct triage_dup_hit *hits, int max)
{
    struct triage_dup_sig sig;
    if (max <= 0)
        return 0;
    triage_dup_sign(ix, q->text, q->address, &sig);
    return triage_dup_query_signed(ix, q, &sig, hits, max);
}

int triage_dup_query_signed(struct triage_dup_index *ix, const struct triage_dup_case *q,
                            const struct triage_dup_sig *sig, struct triage_dup_hit *hits, int max)
{
    struct query qq = {.q = q};
    uint32_t key[BANDS], akey[ABANDS];
    uint32_t seen[SEEN_MAX];
    int nhits = 0;

    if (max <= 0 || !sig->has_text)
        return 0;
    memcpy(qq.sig, sig->text, sizeof(qq.sig));
    for (int b = 0; b < BANDS; b++)
        key[b] = band_key(qq.sig, b);
    qq.has_address = sig->has_address;
    if (qq.has_address)
        qq.addr = sig->addr;
    for (int b = 0; qq.has_address && b < ABANDS; b++)
        akey[b] = aband_key(&qq.addr, b);
    /* A broken location is no location, not a NaN distance. */
    qq.has_location = q->has_location && isfinite(q->lat) && isfinite(q->lon);
    if (qq.has_location) {
        qq.cell = cell_of(q->lat, q->lon);
        qq.coslat = cos(q->lat * M_PI / 180.0);
    }
    memset(seen, 0xff, sizeof(seen));
    pthread_rwlock_rdlock(&ix->lock);
    for (int b = 0; b < BANDS; b++) {
        int taken = 0;
        for (uint32_t s = ix->head[b][key[b] & ix->hmask]; s != NIL && taken < BAND_CANDIDATES;
             s = ix->e[s].next[b]) {
            if (!band_equal(ix->e[s].sig, qq.sig, b))
                continue;
            taken++;
            if (first_visit(seen, s))
                score_candidate(ix, &ix->e[s], &qq, hits, max, &nhits);
        }
    }
    for (int b = 0; qq.has_address && b < ABANDS; b++) {
        int taken = 0;
        for (uint32_t s = ix->ahead[b][akey[b] & ix->hmask]; s != NIL && taken < ABAND_CANDIDATES;
             s = ix->e[s].anext[b]) {
            if (ix->e[s].addr.key[b] != qq.addr.key[b])
                continue;
            taken++;
            if (place_worth(&qq, &ix->e[s], 0) && first_visit(seen, s))
                score_candidate(ix, &ix->e[s], &qq, hits, max, &nhits);
        }
    }
    for (int i = 0; qq.has_location && i < 9; i++) {
        struct cell c = {qq.cell.y + i / 3 - 1, qq.cell.x + i % 3 - 1};
        int walked = 0, looked = 0; /* another cell's entries may share the bucket */
        for (uint32_t s = ix->chead[cell_key(c) & ix->hmask];
             s != NIL && walked < CELL_WALK && looked < 4 * CELL_WALK; s = ix->e[s].cnext) {
            looked++;
            struct cell ec = cell_of(ix->e[s].lat, ix->e[s].lon);
            if (ec.y != c.y || ec.x != c.x)
                continue;
            walked++;
            if (place_worth(&qq, &ix->e[s], 1) && first_visit(seen, s))
                score_candidate(ix, &ix->e[s], &qq, hits, max, &nhits);
        }
    }
    pthread_rwlock_unlock(&ix->lock);
    return nhits;
}
