/*
 * Hot topics (热点): cluster messages that talk about the same thing and rank the clusters.
 *
 * Features: character bigrams of the title (counted twice: a title is the citizen's own
 * summary) and of the text (first TEXT_CPS characters), plus each place the message names
 * (see place extraction below) as a feature of its own. Weights are TF-IDF over the messages
 * in the window (1 + ln tf) · ln(1 + N / df); bigrams in more than a tenth of the messages are
 * dropped as carrying no topic; a message keeps its TOP_FEATURES heaviest features and is
 * L2-normalised, so similarity is a cosine in 0..1.
 *
 * Neighbours: an inverted index over features that at least two messages share gives every
 * pair with a common feature its cosine; pairs at or above min_similarity are neighbours.
 *
 * Clusters: star clustering. Messages are taken in order of how many neighbours they have;
 * each one not yet in a cluster becomes a centre and takes its unclustered neighbours. The
 * centre is the most connected message, so it is the representative. A message left alone
 * joins the cluster of its most similar neighbour. Unlike single-link merging, a chain of
 * pairwise-similar messages cannot drift from one topic into another: every member is
 * similar to its centre (or, for late joiners, to a member).
 *
 * Heat index (docs/hot-topics.md):
 *   heat = (A + 0.25 · (N − A)) · (1 + 0.5 · ln(1 + L)) · (1 + 0.5 · G)
 * N messages, A distinct authors (repeat posts by one citizen count a quarter), L likes,
 * G growth = clamp((recent − previous) / (previous + 1), 0, 2) where recent and previous
 * count members in the last period before the newest message of the window and the period
 * before it (period: 7 days, or a quarter of the window if shorter).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "triage/triage.h"
#include "triage/triage_internal.h"

#define TEXT_CPS 1500
#define TOP_FEATURES 48
#define PLACES_PER_MSG 16
#define PLACE_CPS_MAX 12
#define PLACES_REPORTED 5
#define DEFAULT_SIMILARITY 0.3
#define MERGE_SIMILARITY 0.35 /* centroid cosine at which two clusters are one topic */
#define GROWTH_PERIOD (7 * 86400)

/* ---------------------------------------------------------------- places */

/* Suffixes that end a place name, longest first so 小区 wins over 区, each with the longest
 * name part before it that is believed (a province is 西地省, a road rarely more than 劳动东路). */
static const struct {
    const char *s;
    int max_prefix;
} place_suffixes[] = {
    {"小区", 6}, {"街道", 4}, {"社区", 5}, {"大道", 4}, {"新城", 4}, {"花园", 5},
    {"公寓", 5}, {"广场", 5}, {"家园", 5}, {"大厦", 5}, {"商城", 5}, {"路", 4},
    {"街", 4},   {"巷", 4},   {"村", 4},   {"镇", 3},   {"乡", 3},   {"苑", 5},
};
/* Suffixes that may follow another and make the name longer (丽发新城 + 小区). */
static const char *const place_tails[] = {"小区", "社区", "花园", "家园", "苑"};

/* Words that cannot be part of a place name: a name starts after the last of them. Words
 * ending in a suffix character (线路, 铁路) are here so that they are not taken for roads. */
static const char *const place_stops[] = {
    "附近", "位于", "关于", "反映",   "投诉",   "咨询", "建议", "要求", "希望", "请求", "举报",
    "坐落", "座落", "地处", "居住",   "住在",   "一条", "这条", "那条", "整条", "道路", "马路",
    "公路", "铁路", "线路", "水泥路", "断头路", "之路", "出路", "跑路", "区域", "我们", "你们",
    "他们", "业主", "居民", "市民",   "村民",   "所有", "整个", "全部", "相信", "督促", "核查",
    "宣传", "考虑", "引起", "周边",   "距离",   "听闻", "最近", "其中", "地址", "政府", "部门",
    "领导", "位置", "以及", "前往",   "靠近",   "临近", "连接", "通往", "途经", "经过", "包括",
    "比如", "例如", "您好", "如果",   "确定",   "目前", "购置", "回购", "安排", "购买", "出售",
    "后续", "老旧", "配套", "其他",   "附属",   "周围", "新建", "多个", "两个", "部分", "家属",
    "一期", "二期", "三期", "四期",   "的",     "在",   "了",   "是",   "和",   "与",   "及",
    "到",   "从",   "对",   "向",     "给",     "把",   "被",   "我",   "你",   "他",   "她",
    "这",   "那",   "请",   "有",     "该",     "本",   "此",   "各",   "个",   "等",   "就",
    "也",   "都",   "又",   "还",     "为",     "因",   "于",   "去",   "来",   "往",   "进",
    "里",   "内",   "外",   "修",     "走",     "过",   "条",   "多",   "些",   "么",   "吗",
    "呢",   "啊",   "很",   "太",     "将",     "已",   "着",   "每",   "不",   "而",   "者",
    "沿",   "隔",   "至",   "距",     "离",     "临",   "或",
};

#define WORD_CPS 4

struct word {
    uint32_t c[WORD_CPS];
    int len, max_prefix;
};

/* The word lists as code points, built once per triage_hot() call. */
struct place_words {
    uint64_t first[64]; /* bit (c mod 4096): some stop word or suffix starts with c */
    struct word suffix[sizeof(place_suffixes) / sizeof(place_suffixes[0])];
    struct word tail[sizeof(place_tails) / sizeof(place_tails[0])];
    struct word stop[sizeof(place_stops) / sizeof(place_stops[0])];
};

static void word_init(struct word *w, const char *s, int max_prefix)
{
    w->len = (int)triage_fold_cps(s, w->c, WORD_CPS);
    w->max_prefix = max_prefix;
}

static void mark_first(struct place_words *pw, const struct word *w)
{
    pw->first[(w->c[0] & 4095) >> 6] |= 1ULL << (w->c[0] & 63);
}

static int maybe_first(const struct place_words *pw, uint32_t c)
{
    return (pw->first[(c & 4095) >> 6] >> (c & 63)) & 1;
}

static void place_words_init(struct place_words *pw)
{
    memset(pw->first, 0, sizeof(pw->first));
    for (size_t i = 0; i < sizeof(place_suffixes) / sizeof(place_suffixes[0]); i++) {
        word_init(&pw->suffix[i], place_suffixes[i].s, place_suffixes[i].max_prefix);
        mark_first(pw, &pw->suffix[i]);
    }
    for (size_t i = 0; i < sizeof(place_tails) / sizeof(place_tails[0]); i++)
        word_init(&pw->tail[i], place_tails[i], 0);
    for (size_t i = 0; i < sizeof(place_stops) / sizeof(place_stops[0]); i++) {
        word_init(&pw->stop[i], place_stops[i], 0);
        mark_first(pw, &pw->stop[i]);
    }
}

static int word_at(const uint32_t *c, size_t n, size_t i, const struct word *w)
{
    if (c[i] != w->c[0] || i + (size_t)w->len > n)
        return 0;
    for (int j = 1; j < w->len; j++)
        if (c[i + (size_t)j] != w->c[j])
            return 0;
    return 1;
}

static int is_alnum_cp(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

typedef void place_fn(void *ctx, const uint32_t *name, size_t len);

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Place mentions in folded text: masked administrative units as the data has them (A市,
 * A3区, K9县: a letter, up to two digits, 市/区/县/省) and names ending in a place suffix
 * (联丰路, 丽发新城小区, 金鼎村): two or more Han characters before the suffix (at most the
 * suffix's max_prefix), not crossing a non-Han character, a stop word or an earlier place.
 */
static void places_in(const struct place_words *pw, const uint32_t *c, size_t n, place_fn *fn,
                      void *ctx)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (!triage_is_han(c[i])) {
            if (c[i] >= 'a' && c[i] <= 'z' && (i == 0 || !is_alnum_cp(c[i - 1]))) {
                size_t j = i + 1;
                while (j < n && j - i <= 2 && c[j] >= '0' && c[j] <= '9')
                    j++;
                if (j < n && (c[j] == 0x5E02 || c[j] == 0x533A || c[j] == 0x53BF ||
                              c[j] == 0x7701)) { /* 市区县省 */
                    fn(ctx, c + i, j + 1 - i);
                    i = j;
                }
            }
            start = i + 1;
            continue;
        }
        if (!maybe_first(pw, c[i]))
            continue; /* most characters start no stop word and no suffix */
        const struct word *stop = NULL;
        for (size_t k = 0; k < N_OF(pw->stop) && !stop; k++)
            if (word_at(c, n, i, &pw->stop[k]))
                stop = &pw->stop[k];
        if (stop) {
            start = i + (size_t)stop->len;
            i = start - 1;
            continue;
        }
        for (size_t k = 0; k < N_OF(pw->suffix); k++) {
            const struct word *sf = &pw->suffix[k];
            if (!word_at(c, n, i, sf))
                continue;
            size_t from = i - start > (size_t)sf->max_prefix ? i - (size_t)sf->max_prefix : start;
            size_t end = i + (size_t)sf->len;
            for (int more = 1; more;) {
                more = 0;
                for (size_t t = 0; t < N_OF(pw->tail); t++)
                    if (end < n && word_at(c, n, end, &pw->tail[t]) &&
                        end + (size_t)pw->tail[t].len - from <= PLACE_CPS_MAX) {
                        end += (size_t)pw->tail[t].len;
                        more = 1;
                        break;
                    }
            }
            if (i - from >= 2)
                fn(ctx, c + from, end - from);
            start = end;
            i = end - 1;
            break;
        }
    }
}

/* ---------------------------------------------------------------- state of one run */

struct feat {
    uint32_t h; /* even: bigram, odd: place */
    float w;
};

struct place { /* one distinct place name of the run */
    uint32_t h;
    uint32_t off, len; /* code points in the pool */
    uint32_t df;       /* messages naming it */
};

struct msgf {
    struct feat *f; /* heaviest first, L2-normalised */
    int nf;
    uint32_t places[PLACES_PER_MSG]; /* hashes */
    int nplaces;
};

struct edge {
    uint32_t j;
    float sim;
};

struct cluster {
    uint32_t centre;
    uint32_t *members;
    size_t n, cap;
    double heat;
    int merged_into; /* -1, or the cluster that absorbed this one */
};

struct run {
    const struct triage_hot_msg *msgs;
    struct triage_hot_opts o;
    struct place_words pw;
    uint32_t *sel; /* indexes into msgs of the messages in the window */
    size_t m;
    int64_t newest;
    struct msgf *mf;
    struct place *places; /* sorted by hash after collect() */
    size_t nplaces, capplaces;
    uint32_t *pool;
    size_t npool, cappool;
    struct edge *edges;
    size_t *estart, nedges, capedges;
    struct cluster *cl;
    size_t ncl;
};

#define GROW(arr, n, cap, init)                                                                    \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : (init);                                                      \
            (arr) = xrealloc((arr), mem_size_mul((cap), sizeof(*(arr))));                          \
        }                                                                                          \
    } while (0)

static uint32_t hash_cps(const uint32_t *c, size_t n)
{
    uint64_t h = 0x7061636573ULL;
    for (size_t i = 0; i < n; i++)
        h = triage_mix64(h ^ c[i]);
    return (uint32_t)h | 1u;
}

struct place_ctx {
    struct run *r;
    struct msgf *m;
};

static void on_place(void *ctx, const uint32_t *name, size_t len)
{
    struct place_ctx *pc = ctx;
    struct run *r = pc->r;
    uint32_t h = hash_cps(name, len);
    for (int i = 0; i < pc->m->nplaces; i++)
        if (pc->m->places[i] == h)
            return;
    if (pc->m->nplaces == PLACES_PER_MSG)
        return;
    pc->m->places[pc->m->nplaces++] = h;
    /* One record per (message, place): sorting them later gives each place its df. */
    GROW(r->places, r->nplaces, r->capplaces, 256);
    r->places[r->nplaces++] = (struct place){h, (uint32_t)r->npool, (uint32_t)len, 1};
    for (size_t i = 0; i < len; i++) {
        GROW(r->pool, r->npool, r->cappool, 4096);
        r->pool[r->npool++] = name[i];
    }
}

static void push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
    GROW(*v, *n, *cap, 256);
    (*v)[(*n)++] = x;
}

static void bigrams(const uint32_t *c, size_t n, int times, uint32_t **v, size_t *nv, size_t *cap)
{
    uint32_t prev = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        if (!triage_is_word(c[i]))
            continue;
        if (have) {
            uint32_t h = (uint32_t)triage_mix64(((uint64_t)prev << 21) | c[i]) & ~1u;
            for (int t = 0; t < times; t++)
                push_u32(v, nv, cap, h);
        }
        prev = c[i];
        have = 1;
    }
}

static int by_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int by_weight_desc(const void *a, const void *b)
{
    float x = ((const struct feat *)a)->w, y = ((const struct feat *)b)->w;
    if (x != y)
        return x > y ? -1 : 1;
    uint32_t p = ((const struct feat *)a)->h, q = ((const struct feat *)b)->h;
    return p < q ? -1 : p > q;
}

static int by_hash(const void *a, const void *b)
{
    uint32_t x = ((const struct feat *)a)->h, y = ((const struct feat *)b)->h;
    return x < y ? -1 : x > y;
}

static int by_place_hash(const void *a, const void *b)
{
    uint32_t x = ((const struct place *)a)->h, y = ((const struct place *)b)->h;
    return x < y ? -1 : x > y;
}

/* Number of entries equal to h in the sorted array v[0..n). */
static size_t run_of(const uint32_t *v, size_t n, uint32_t h, size_t *first)
{
    size_t lo = 0, hi = n, k = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo + k < n && v[lo + k] == h)
        k++;
    if (first)
        *first = lo;
    return k;
}

static const struct place *place_find(const struct run *r, uint32_t h)
{
    size_t lo = 0, hi = r->nplaces;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->places[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nplaces && r->places[lo].h == h ? &r->places[lo] : NULL;
}

/* Feature vectors (see the file comment) and the run's place dictionary. */
static void featurise(struct run *r)
{
    uint32_t *cbuf = xmalloc(TEXT_CPS * sizeof(uint32_t)), *vec = NULL, *all = NULL;
    size_t nvec = 0, capvec = 0, nall = 0, capall = 0;
    size_t *start = xmalloc(mem_size_mul(r->m + 1, sizeof(size_t)));

    for (size_t i = 0; i < r->m; i++) {
        const struct triage_hot_msg *msg = &r->msgs[r->sel[i]];
        struct place_ctx pc = {r, &r->mf[i]};
        size_t k;
        start[i] = nvec;
        if (msg->title) {
            k = triage_fold_cps(msg->title, cbuf, TEXT_CPS);
            bigrams(cbuf, k, 2, &vec, &nvec, &capvec);
            places_in(&r->pw, cbuf, k, on_place, &pc);
        }
        if (msg->text) {
            k = triage_fold_cps(msg->text, cbuf, TEXT_CPS);
            bigrams(cbuf, k, 1, &vec, &nvec, &capvec);
            places_in(&r->pw, cbuf, k, on_place, &pc);
        }
        for (int p = 0; p < r->mf[i].nplaces; p++) /* a named place weighs like a title bigram */
            for (int t = 0; t < 2; t++)
                push_u32(&vec, &nvec, &capvec, r->mf[i].places[p]);
        if (nvec == start[i])
            continue; /* nothing to count (and vec may still be NULL) */
        qsort(vec + start[i], nvec - start[i], sizeof(uint32_t), by_u32);
        for (size_t j = start[i]; j < nvec; j++)
            if (j == start[i] || vec[j] != vec[j - 1])
                push_u32(&all, &nall, &capall, vec[j]);
    }
    start[r->m] = nvec;
    /* Distinct features with their document frequency, so df is one binary search away. */
    uint32_t *dfs = xmalloc(mem_size_mul(nall ? nall : 1, sizeof(uint32_t)));
    size_t nuniq = 0;
    if (nall) {
        qsort(all, nall, sizeof(uint32_t), by_u32);
        for (size_t i = 0; i < nall; i++) {
            if (nuniq > 0 && all[nuniq - 1] == all[i]) {
                dfs[nuniq - 1]++;
            } else {
                all[nuniq] = all[i];
                dfs[nuniq++] = 1;
            }
        }
    }

    /* Place dictionary: one entry per distinct place, df = how many messages name it. */
    if (r->nplaces) {
        qsort(r->places, r->nplaces, sizeof(*r->places), by_place_hash);
        size_t u = 0;
        for (size_t i = 0; i < r->nplaces; i++) {
            if (u > 0 && r->places[u - 1].h == r->places[i].h)
                r->places[u - 1].df++;
            else
                r->places[u++] = r->places[i];
        }
        r->nplaces = u;
    }

    size_t max_df = r->m / 10 > 20 ? r->m / 10 : 20;
    for (size_t i = 0; i < r->m; i++) {
        size_t from = start[i], to = start[i + 1], nf = 0;
        struct feat *f = xmalloc(mem_size_mul(to - from + 1, sizeof(*f)));
        for (size_t j = from; j < to;) {
            size_t e = j;
            while (e < to && vec[e] == vec[j])
                e++;
            size_t at, df = run_of(all, nuniq, vec[j], &at) ? dfs[at] : 1;
            if (df <= max_df || (vec[j] & 1u)) {
                /* Smoothed: in a small window a word every message shares is the topic. */
                double idf = log(1.0 + (double)r->m / (double)df);
                f[nf++] = (struct feat){vec[j], (float)((1.0 + log((double)(e - j))) * idf)};
            }
            j = e;
        }
        qsort(f, nf, sizeof(*f), by_weight_desc);
        if (nf > TOP_FEATURES)
            nf = TOP_FEATURES;
        double norm = 0;
        for (size_t j = 0; j < nf; j++)
            norm += (double)f[j].w * f[j].w;
        norm = norm > 0 ? sqrt(norm) : 1;
        for (size_t j = 0; j < nf; j++)
            f[j].w = (float)(f[j].w / norm);
        qsort(f, nf, sizeof(*f), by_hash); /* sorted by feature for the merge-join in centroids */
        r->mf[i].f = f;
        r->mf[i].nf = (int)nf;
    }
    free(start);
    free(vec);
    free(all);
    free(dfs);
    free(cbuf);
}

struct posting {
    uint32_t h, msg;
    float w;
};

static int by_posting(const void *a, const void *b)
{
    const struct posting *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->msg < y->msg ? -1 : x->msg > y->msg;
}

/* Every pair sharing a feature gets its cosine; those at min_similarity become edges. */
static void neighbours(struct run *r)
{
    size_t npost = 0;
    struct posting *post = xmalloc(mem_size_mul(r->m ? r->m : 1, TOP_FEATURES * sizeof(*post)));
    for (size_t i = 0; i < r->m; i++)
        for (int k = 0; k < r->mf[i].nf; k++)
            post[npost++] = (struct posting){r->mf[i].f[k].h, (uint32_t)i, r->mf[i].f[k].w};
    qsort(post, npost, sizeof(*post), by_posting);
    uint32_t *keys = xmalloc(mem_size_mul(npost ? npost : 1, sizeof(uint32_t)));
    for (size_t p = 0; p < npost; p++)
        keys[p] = post[p].h;

    float *acc = xcalloc(r->m ? r->m : 1, sizeof(float));
    uint32_t *touched = xmalloc(mem_size_mul(r->m ? r->m : 1, sizeof(uint32_t)));
    r->estart = xmalloc(mem_size_mul(r->m + 1, sizeof(size_t)));
    for (size_t i = 0; i < r->m; i++) {
        size_t nt = 0;
        r->estart[i] = r->nedges;
        for (int k = 0; k < r->mf[i].nf; k++) {
            size_t first, cnt = run_of(keys, npost, r->mf[i].f[k].h, &first);
            float w = r->mf[i].f[k].w;
            for (size_t p = first; p < first + cnt; p++) {
                uint32_t j = post[p].msg;
                if (j == i)
                    continue;
                if (acc[j] == 0)
                    touched[nt++] = j;
                acc[j] += w * post[p].w;
            }
        }
        for (size_t t = 0; t < nt; t++) {
            uint32_t j = touched[t];
            if (acc[j] >= r->o.min_similarity) {
                GROW(r->edges, r->nedges, r->capedges, 1024);
                r->edges[r->nedges++] = (struct edge){j, acc[j]};
            }
            acc[j] = 0;
        }
    }
    r->estart[r->m] = r->nedges;
    free(post);
    free(keys);
    free(acc);
    free(touched);
}

struct order {
    uint32_t msg;
    int degree;
    float sum;
};

static int by_centrality(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->degree != y->degree)
        return x->degree > y->degree ? -1 : 1;
    if (x->sum != y->sum)
        return x->sum > y->sum ? -1 : 1;
    return x->msg < y->msg ? -1 : x->msg > y->msg;
}

static void star_clusters(struct run *r)
{
    struct order *ord = xmalloc(mem_size_mul(r->m ? r->m : 1, sizeof(*ord)));
    uint32_t *assigned = xmalloc(mem_size_mul(r->m ? r->m : 1, sizeof(uint32_t)));
    for (size_t i = 0; i < r->m; i++) {
        float sum = 0;
        for (size_t e = r->estart[i]; e < r->estart[i + 1]; e++)
            sum += r->edges[e].sim;
        ord[i] = (struct order){(uint32_t)i, (int)(r->estart[i + 1] - r->estart[i]), sum};
        assigned[i] = UINT32_MAX;
    }
    qsort(ord, r->m, sizeof(*ord), by_centrality);
    r->cl = xcalloc(r->m ? r->m : 1, sizeof(*r->cl));
    for (size_t k = 0; k < r->m; k++) {
        uint32_t c = ord[k].msg, best = UINT32_MAX;
        float best_sim = 0;
        int free_neighbours = 0;
        if (assigned[c] != UINT32_MAX)
            continue;
        for (size_t e = r->estart[c]; e < r->estart[c + 1]; e++) {
            uint32_t j = r->edges[e].j;
            if (assigned[j] == UINT32_MAX)
                free_neighbours++;
            else if (r->edges[e].sim > best_sim) {
                best_sim = r->edges[e].sim;
                best = assigned[j];
            }
        }
        if (free_neighbours == 0 && best != UINT32_MAX) { /* alone but similar to a member */
            assigned[c] = best;
            push_u32(&r->cl[best].members, &r->cl[best].n, &r->cl[best].cap, c);
            continue;
        }
        struct cluster *cl = &r->cl[r->ncl];
        cl->centre = c;
        cl->merged_into = -1;
        assigned[c] = (uint32_t)r->ncl;
        push_u32(&cl->members, &cl->n, &cl->cap, c);
        for (size_t e = r->estart[c]; e < r->estart[c + 1]; e++) {
            uint32_t j = r->edges[e].j;
            if (assigned[j] == UINT32_MAX) {
                assigned[j] = (uint32_t)r->ncl;
                push_u32(&cl->members, &cl->n, &cl->cap, j);
            }
        }
        r->ncl++;
    }
    free(ord);
    free(assigned);
}

/* Sum of member vectors, normalised, as a sparse vector sorted by feature. */
static struct feat *centroid(const struct run *r, const struct cluster *c, int *nout)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += (size_t)r->mf[c->members[i]].nf;
    struct feat *f = xmalloc(mem_size_mul(n ? n : 1, sizeof(*f)));
    n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct msgf *m = &r->mf[c->members[i]];
        memcpy(f + n, m->f, (size_t)m->nf * sizeof(*f));
        n += (size_t)m->nf;
    }
    qsort(f, n, sizeof(*f), by_hash);
    size_t u = 0;
    double norm = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && f[u - 1].h == f[i].h)
            f[u - 1].w += f[i].w;
        else
            f[u++] = f[i];
    }
    for (size_t i = 0; i < u; i++)
        norm += (double)f[i].w * f[i].w;
    norm = norm > 0 ? sqrt(norm) : 1;
    for (size_t i = 0; i < u; i++)
        f[i].w = (float)(f[i].w / norm);
    *nout = (int)u;
    return f;
}

static double dot(const struct feat *a, int na, const struct feat *b, int nb)
{
    double s = 0;
    int i = 0, j = 0;
    while (i < na && j < nb) {
        if (a[i].h < b[j].h)
            i++;
        else if (a[i].h > b[j].h)
            j++;
        else
            s += (double)a[i++].w * b[j++].w;
    }
    return s;
}

/*
 * Star clusters of one topic written in two ways (two centres that are not neighbours) are
 * merged when their centroids are close; the larger keeps its centre. Only clusters that
 * could be reported are considered, so this stays cheap.
 */
static void merge_clusters(struct run *r)
{
    size_t nc = 0;
    size_t *idx = xmalloc(mem_size_mul(r->ncl ? r->ncl : 1, sizeof(size_t)));
    struct feat **cent = xmalloc(mem_size_mul(r->ncl ? r->ncl : 1, sizeof(*cent)));
    int *ncent = xmalloc(mem_size_mul(r->ncl ? r->ncl : 1, sizeof(int)));
    for (size_t k = 0; k < r->ncl; k++)
        if (r->cl[k].n >= 2) {
            idx[nc] = k;
            cent[nc] = centroid(r, &r->cl[k], &ncent[nc]);
            nc++;
        }
    for (size_t a = 0; a < nc; a++) {
        struct cluster *ca = &r->cl[idx[a]];
        if (ca->merged_into >= 0)
            continue;
        for (size_t b = a + 1; b < nc; b++) {
            struct cluster *cb = &r->cl[idx[b]];
            if (cb->merged_into >= 0 ||
                dot(cent[a], ncent[a], cent[b], ncent[b]) < MERGE_SIMILARITY)
                continue;
            struct cluster *big = ca->n >= cb->n ? ca : cb, *small = big == ca ? cb : ca;
            for (size_t i = 0; i < small->n; i++)
                push_u32(&big->members, &big->n, &big->cap, small->members[i]);
            small->n = 0;
            small->merged_into = (int)(big - r->cl);
            int nf;
            struct feat *f = centroid(r, big, &nf);
            size_t keep = big == ca ? a : b;
            free(cent[keep]);
            cent[keep] = f;
            ncent[keep] = nf;
            if (small == ca)
                break;
        }
    }
    for (size_t a = 0; a < nc; a++)
        free(cent[a]);
    free(cent);
    free(ncent);
    free(idx);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int distinct_authors(const struct run *r, const struct cluster *c)
{
    const char **au = xmalloc(mem_size_mul(c->n ? c->n : 1, sizeof(char *)));
    size_t na = 0;
    int distinct = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *s = r->msgs[r->sel[c->members[i]]].author;
        if (s && *s)
            au[na++] = s;
        else
            distinct++; /* anonymous messages each count as their own citizen */
    }
    qsort(au, na, sizeof(char *), by_str);
    for (size_t i = 0; i < na; i++)
        distinct += i == 0 || strcmp(au[i], au[i - 1]) != 0;
    free(au);
    return distinct;
}

static void heat(const struct run *r, struct cluster *c)
{
    int64_t period = GROWTH_PERIOD;
    if (r->o.window_seconds > 0 && r->o.window_seconds / 4 < period)
        period = r->o.window_seconds / 4 > 0 ? r->o.window_seconds / 4 : 1;
    double likes = 0;
    int recent = 0, previous = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct triage_hot_msg *msg = &r->msgs[r->sel[c->members[i]]];
        likes += msg->likes > 0 ? msg->likes : 0;
        uint64_t age = (uint64_t)r->newest - (uint64_t)msg->at; /* newest >= at: no overflow */
        if (age < (uint64_t)period)
            recent++;
        else if (age < 2 * (uint64_t)period)
            previous++;
    }
    int a = distinct_authors(r, c);
    double g = (double)(recent - previous) / (previous + 1);
    g = g < 0 ? 0 : g > 2 ? 2 : g;
    double base = (double)a + 0.25 * (double)(c->n - (size_t)a);
    c->heat = base * (1 + 0.5 * log(1 + likes)) * (1 + 0.5 * g);
}

static int by_heat(const void *a, const void *b)
{
    const struct cluster *x = *(struct cluster *const *)a, *y = *(struct cluster *const *)b;
    if (x->heat != y->heat)
        return x->heat > y->heat ? -1 : 1;
    return x->centre < y->centre ? -1 : x->centre > y->centre;
}

static int by_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

struct place_count {
    const struct place *p;
    int count;
    double score;
};

static int by_place_score(const void *a, const void *b)
{
    const struct place_count *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->p->h < y->p->h ? -1 : x->p->h > y->p->h;
}

/* Whether place a ends with place b (星沙凉塘路 ends with 凉塘路). */
static int ends_with(const struct run *r, const struct place *a, const struct place *b)
{
    if (b->len > a->len)
        return 0;
    return memcmp(r->pool + a->off + (a->len - b->len), r->pool + b->off,
                  b->len * sizeof(uint32_t)) == 0;
}

static char *place_utf8(const struct run *r, const struct place *p, struct arena *a)
{
    char *s = arena_alloc(a, (size_t)p->len * 4 + 1), *o = s;
    for (uint32_t i = 0; i < p->len; i++) {
        uint32_t c = r->pool[p->off + i];
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A'; /* masked letters are capitals in the source (A市) */
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | (c >> 18));
            *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
    return s;
}

/*
 * The places of a cluster, most telling first: members naming the place (or a longer form
 * of it: 星沙凉塘路 counts for 凉塘路) times ln(1 + N / df), so a street named by five members
 * beats the city every message names. A longer form of a place already listed is not listed.
 */
static void cluster_places(const struct run *r, const struct cluster *c, struct arena *a,
                           struct triage_hot_topic *t)
{
    struct place_count *pc = NULL;
    size_t npc = 0, cap = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct msgf *f = &r->mf[c->members[i]];
        for (int p = 0; p < f->nplaces; p++) {
            const struct place *pl = place_find(r, f->places[p]);
            size_t q;
            for (q = 0; q < npc && pc[q].p != pl; q++)
                ;
            if (q == npc) {
                GROW(pc, npc, cap, 16);
                pc[npc++] = (struct place_count){pl, 0, 0};
            }
            pc[q].count++;
        }
    }
    for (size_t q = 0; q < npc; q++) {
        int count = pc[q].count;
        for (size_t o = 0; o < npc; o++)
            if (o != q && ends_with(r, pc[o].p, pc[q].p))
                count += pc[o].count;
        pc[q].score = count * log(1.0 + (double)r->m / pc[q].p->df);
    }
    if (npc)
        qsort(pc, npc, sizeof(*pc), by_place_score);
    const char **out = arena_alloc(a, PLACES_REPORTED * sizeof(char *));
    const struct place *chosen[PLACES_REPORTED];
    int n = 0;
    for (size_t q = 0; q < npc && n < PLACES_REPORTED; q++) {
        int longer = 0;
        for (int k = 0; k < n && !longer; k++)
            longer = ends_with(r, pc[q].p, chosen[k]);
        if (longer)
            continue;
        chosen[n] = pc[q].p;
        out[n++] = place_utf8(r, pc[q].p, a);
    }
    t->places = out;
    t->nplaces = n;
    free(pc);
}

static const char *title_of(const struct triage_hot_msg *m, struct arena *a)
{
    if (m->title && *m->title)
        return arena_strdup(a, m->title);
    /* No title: the first 40 characters of the text, cut at a character boundary. */
    const char *t = m->text ? m->text : "";
    size_t i = 0, chars = 0;
    while (t[i] && chars < 40) {
        i++;
        while (t[i] && ((unsigned char)t[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    return arena_strndup(a, t, i);
}

static void topic(const struct run *r, const struct cluster *c, struct arena *a,
                  struct triage_hot_topic *t)
{
    const struct triage_hot_msg *centre = &r->msgs[r->sel[c->centre]];
    int64_t *ids = arena_alloc(a, mem_size_mul(c->n, sizeof(int64_t)));
    t->heat = c->heat;
    t->count = (int)c->n;
    t->authors = distinct_authors(r, c);
    t->first_at = t->last_at = centre->at;
    t->representative_id = centre->id;
    t->title = title_of(centre, a);
    for (size_t i = 0; i < c->n; i++) {
        const struct triage_hot_msg *msg = &r->msgs[r->sel[c->members[i]]];
        ids[i] = msg->id;
        t->likes += msg->likes > 0 ? msg->likes : 0;
        if (msg->at < t->first_at)
            t->first_at = msg->at;
        if (msg->at > t->last_at)
            t->last_at = msg->at;
    }
    qsort(ids, c->n, sizeof(int64_t), by_i64);
    t->ids = ids;
    t->nids = (int)c->n;
    cluster_places(r, c, a, t);
}

int triage_hot(const struct triage_hot_msg *msgs, size_t n, const struct triage_hot_opts *opts,
               struct arena *a, struct triage_hot_topic **out, int *nout, struct err *err)
{
    struct run r;
    struct cluster **rank = NULL;
    size_t nrank = 0;

    memset(&r, 0, sizeof(r));
    r.o = opts ? *opts : (struct triage_hot_opts){0};
    *out = NULL;
    *nout = 0;
    if (r.o.window_seconds < 0)
        return err_field(err, ERR_BAD_REQUEST, "window", "window must not be negative");
    if (!(r.o.min_similarity >= 0 && r.o.min_similarity <= 1))
        return err_field(err, ERR_BAD_REQUEST, "min_similarity",
                         "min_similarity must be between 0 and 1");
    if (r.o.min_size < 0 || r.o.limit < 0)
        return err_field(err, ERR_BAD_REQUEST, "limit", "limit and min_size must not be negative");
    if (r.o.min_similarity == 0)
        r.o.min_similarity = DEFAULT_SIMILARITY;
    if (r.o.min_size == 0)
        r.o.min_size = 2;
    if (r.o.limit == 0)
        r.o.limit = 10;
    if (n == 0)
        return 0;
    if (n >= UINT32_MAX)
        return err_field(err, ERR_TOO_LARGE, "messages", "too many messages");

    /* The window ends at the newest message: "now" for a live feed, the end of a file. */
    r.msgs = msgs;
    r.newest = msgs[0].at;
    for (size_t i = 1; i < n; i++)
        if (msgs[i].at > r.newest)
            r.newest = msgs[i].at;
    r.sel = xmalloc(mem_size_mul(n, sizeof(uint32_t)));
    for (size_t i = 0; i < n; i++)
        if (r.o.window_seconds == 0 ||
            (uint64_t)r.newest - (uint64_t)msgs[i].at <= (uint64_t)r.o.window_seconds)
            r.sel[r.m++] = (uint32_t)i;
    r.mf = xcalloc(r.m ? r.m : 1, sizeof(*r.mf));
    place_words_init(&r.pw);

    featurise(&r);
    neighbours(&r);
    star_clusters(&r);
    merge_clusters(&r);

    rank = xmalloc(mem_size_mul(r.ncl ? r.ncl : 1, sizeof(*rank)));
    for (size_t k = 0; k < r.ncl; k++) {
        if (r.cl[k].n < (size_t)r.o.min_size)
            continue;
        heat(&r, &r.cl[k]);
        rank[nrank++] = &r.cl[k];
    }
    qsort(rank, nrank, sizeof(*rank), by_heat);
    if (nrank > (size_t)r.o.limit)
        nrank = (size_t)r.o.limit;
    struct triage_hot_topic *topics =
        arena_alloc(a, mem_size_mul(nrank ? nrank : 1, sizeof(*topics)));
    for (size_t k = 0; k < nrank; k++)
        topic(&r, rank[k], a, &topics[k]);
    *out = topics;
    *nout = (int)nrank;

    for (size_t i = 0; i < r.m; i++)
        free(r.mf[i].f);
    for (size_t k = 0; k < r.ncl; k++)
        free(r.cl[k].members);
    free(r.cl);
    free(r.mf);
    free(r.sel);
    free(r.places);
    free(r.pool);
    free(r.edges);
    free(r.estart);
    free(rank);
    return 0;
}
