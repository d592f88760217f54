/*
 * Hot topics (热点): cluster messages that talk about the same thing and rank the clusters.
 *
 * Features: character bigrams of the title (counted twice: a title is the citizen's own
 * summary) and of the text (first TEXT_CPS characters), plus each place the message names
 * (see place extraction below) as a feature of its own. Weights are TF-IDF over the messages
 * in the window (1 + ln tf) · ln(N / df); bigrams in more than a tenth of the messages are
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
#define GROWTH_PERIOD (7 * 86400)

/* ---------------------------------------------------------------- places */

/* Suffixes that end a place name, longest first so 小区 wins over 区. */
static const char *const place_suffixes[] = {
    "小区", "街道", "社区", "大道", "新城", "花园", "公寓", "广场", "家园", "大厦", "商城",
    "路", "街", "巷", "村", "镇", "乡", "苑", "省",
};
/* Suffixes that may follow another and make the name longer (丽发新城 + 小区). */
static const char *const place_tails[] = {"小区", "社区", "花园", "家园", "苑"};

/* Words that cannot be part of a place name: a name starts after the last of them. */
static const char *const place_stops[] = {
    "附近", "位于", "关于", "反映", "投诉", "咨询", "建议", "要求", "希望", "请求", "举报",
    "坐落", "座落", "地处", "居住", "住在", "一条", "这条", "那条", "整条", "道路", "马路",
    "公路", "我们", "你们", "他们", "业主", "居民", "市民", "村民", "所有", "整个", "全部",
    "的", "在", "了", "是", "和", "与", "及", "到", "从", "对", "向", "给", "把", "被", "我",
    "你", "他", "她", "这", "那", "请", "有", "该", "本", "此", "各", "个", "等", "就", "也",
    "都", "又", "还", "为", "因", "于", "去", "来", "往", "进", "里", "内", "外", "修", "走",
    "过", "条", "多", "些", "么", "吗", "呢", "啊", "很", "太", "将", "已", "经", "着", "每",
};

static size_t cps_of(const char *s, uint32_t *out, size_t cap)
{
    return triage_fold_cps(s, out, cap);
}

static int match_at(const uint32_t *c, size_t n, size_t i, const char *word, size_t *wlen)
{
    uint32_t w[8];
    size_t k = cps_of(word, w, 8);
    if (i + k > n)
        return 0;
    for (size_t j = 0; j < k; j++)
        if (c[i + j] != w[j])
            return 0;
    *wlen = k;
    return 1;
}

static int is_alnum_cp(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

typedef void place_fn(void *ctx, const uint32_t *name, size_t len);

/*
 * Place mentions in folded text: masked administrative units as the data has them (A市,
 * A3区, K9县: a letter, up to two digits, 市/区/县/省) and names ending in a place suffix
 * (联丰路, 丽发新城小区, 金鼎村): two to five Han characters before the suffix, not crossing a
 * non-Han character, a stop word or an earlier place.
 */
static void places_in(const uint32_t *c, size_t n, place_fn *fn, void *ctx)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        size_t wl = 0;
        if (!triage_is_han(c[i])) {
            if (c[i] >= 'a' && c[i] <= 'z' && (i == 0 || !is_alnum_cp(c[i - 1]))) {
                size_t j = i + 1;
                while (j < n && j - i <= 2 && c[j] >= '0' && c[j] <= '9')
                    j++;
                if (j < n && (c[j] == 0x5E02 || c[j] == 0x533A || c[j] == 0x53BF || c[j] == 0x7701)) { /* 市区县省 */
                    fn(ctx, c + i, j + 1 - i);
                    i = j;
                }
            }
            start = i + 1;
            continue;
        }
        int stop = 0;
        for (size_t k = 0; k < sizeof(place_stops) / sizeof(place_stops[0]); k++)
            if (match_at(c, n, i, place_stops[k], &wl)) {
                stop = 1;
                break;
            }
        if (stop) {
            start = i + wl;
            i += wl - 1;
            continue;
        }
        for (size_t k = 0; k < sizeof(place_suffixes) / sizeof(place_suffixes[0]); k++) {
            if (!match_at(c, n, i, place_suffixes[k], &wl))
                continue;
            size_t from = i - start > 5 ? i - 5 : start;
            size_t end = i + wl;
            for (int more = 1; more;) {
                more = 0;
                for (size_t t = 0; t < sizeof(place_tails) / sizeof(place_tails[0]); t++) {
                    size_t tl;
                    if (match_at(c, n, end, place_tails[t], &tl) && end + tl - from <= PLACE_CPS_MAX) {
                        end += tl;
                        more = 1;
                        break;
                    }
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

/* ---------------------------------------------------------------- features */

struct feat {
    uint32_t h;
    float w;
};

struct msgf {
    struct feat *f;           /* heaviest first after weighting */
    int nf;
    uint32_t places[PLACES_PER_MSG];   /* hashes of the places named */
    int nplaces;
};

struct place_ctx {
    uint32_t *hashes;
    size_t n, cap;
    struct msgf *m;
};

static uint32_t hash_cps(const uint32_t *c, size_t n)
{
    uint64_t h = 0x7061636573ULL;
    for (size_t i = 0; i < n; i++)
        h = triage_mix64(h ^ c[i]);
    return (uint32_t)h | 1u;
}

static void on_place(void *ctx, const uint32_t *name, size_t len)
{
    struct place_ctx *pc = ctx;
    uint32_t h = hash_cps(name, len);
    for (int i = 0; i < pc->m->nplaces; i++)
        if (pc->m->places[i] == h)
            return;
    if (pc->m->nplaces < PLACES_PER_MSG)
        pc->m->places[pc->m->nplaces++] = h;
}

static void push(uint32_t **v, size_t *n, size_t *cap, uint32_t h)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *v = xrealloc(*v, mem_size_mul(*cap, sizeof(uint32_t)));
    }
    (*v)[(*n)++] = h;
}

static void bigrams(const uint32_t *c, size_t n, int times, uint32_t **v, size_t *nv, size_t *cap)
{
    uint32_t prev = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        if (!triage_is_word(c[i]))
            continue;
        if (have) {
            uint32_t h = (uint32_t)triage_mix64(((uint64_t)prev << 21) | c[i]) & ~1u;   /* even: bigram */
            for (int t = 0; t < times; t++)
                push(v, nv, cap, h);
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
    return x > y ? -1 : x < y;
}

/* ---------------------------------------------------------------- clustering */

struct edge {
    uint32_t j;
    float sim;
};

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

struct cluster {
    uint32_t centre;
    uint32_t *members;
    size_t n, cap;
    double heat;
};

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

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct place_count {
    uint32_t h;
    int count;
    double score;
    size_t msg;               /* a member naming it, to recover the text */
};

static int by_place_score(const void *a, const void *b)
{
    const struct place_count *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->h < y->h ? -1 : x->h > y->h;
}

struct find_place {
    uint32_t want;
    char *out;
    struct arena *a;
};

static void on_find_place(void *ctx, const uint32_t *name, size_t len)
{
    struct find_place *fp = ctx;
    if (fp->out || hash_cps(name, len) != fp->want)
        return;
    char *s = arena_alloc(fp->a, len * 4 + 1), *p = s;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = name[i];
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';   /* masked letters are capitals in the source (A市) */
        if (c < 0x80) {
            *p++ = (char)c;
        } else if (c < 0x800) {
            *p++ = (char)(0xC0 | (c >> 6));
            *p++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *p++ = (char)(0xE0 | (c >> 12));
            *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *p++ = (char)(0x80 | (c & 0x3F));
        } else {
            *p++ = (char)(0xF0 | (c >> 18));
            *p++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *p++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *p = '\0';
    fp->out = s;
}

/* The place text behind hash h, found again in message m. */
static const char *place_text(const struct triage_hot_msg *m, uint32_t h, uint32_t *buf, struct arena *a)
{
    struct find_place fp = {h, NULL, a};
    size_t n;
    if (m->title) {
        n = cps_of(m->title, buf, TEXT_CPS);
        places_in(buf, n, on_find_place, &fp);
    }
    if (!fp.out && m->text) {
        n = cps_of(m->text, buf, TEXT_CPS);
        places_in(buf, n, on_find_place, &fp);
    }
    return fp.out;
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

int triage_hot(const struct triage_hot_msg *msgs, size_t n, const struct triage_hot_opts *opts, struct arena *a,
               struct triage_hot_topic **out, int *nout, struct err *err)
{
    struct triage_hot_opts o = opts ? *opts : (struct triage_hot_opts){0};
    int rc = 0;
    size_t m = 0, nall = 0, capall = 0, nvec = 0, capvec = 0, nedges = 0, capedges = 0, nclusters = 0;
    uint32_t *sel = NULL, *all = NULL, *vec = NULL, *cbuf = NULL, *assigned = NULL;
    struct msgf *mf = NULL;
    struct posting *post = NULL;
    size_t npost = 0;
    float *acc = NULL;
    uint32_t *touched = NULL;
    struct edge *edges = NULL;
    size_t *estart = NULL;
    struct order *ord = NULL;
    struct cluster *cl = NULL, **rank = NULL;
    struct place_count *pcs = NULL;

    *out = NULL;
    *nout = 0;
    if (o.window_seconds < 0)
        return err_field(err, ERR_BAD_REQUEST, "window", "window must not be negative");
    if (o.min_similarity < 0 || o.min_similarity > 1)
        return err_field(err, ERR_BAD_REQUEST, "min_similarity", "min_similarity must be between 0 and 1");
    if (o.min_size < 0 || o.limit < 0)
        return err_field(err, ERR_BAD_REQUEST, "limit", "limit and min_size must not be negative");
    if (o.min_similarity == 0)
        o.min_similarity = DEFAULT_SIMILARITY;
    if (o.min_size == 0)
        o.min_size = 2;
    if (o.limit == 0)
        o.limit = 10;
    if (n == 0)
        return 0;

    /* The window ends at the newest message: "now" for a live feed, the end of a file. */
    int64_t newest = msgs[0].at;
    for (size_t i = 1; i < n; i++)
        if (msgs[i].at > newest)
            newest = msgs[i].at;
    sel = xmalloc(mem_size_mul(n, sizeof(uint32_t)));
    for (size_t i = 0; i < n && i < UINT32_MAX; i++)
        if (o.window_seconds == 0 || msgs[i].at >= newest - o.window_seconds)
            sel[m++] = (uint32_t)i;

    /* Raw features per message, then document frequencies from the sorted union. */
    mf = xcalloc(m ? m : 1, sizeof(*mf));
    cbuf = xmalloc(TEXT_CPS * sizeof(uint32_t));
    size_t *rawstart = xmalloc(mem_size_mul(m + 1, sizeof(size_t)));
    for (size_t i = 0; i < m; i++) {
        const struct triage_hot_msg *msg = &msgs[sel[i]];
        struct place_ctx pc = {NULL, 0, 0, &mf[i]};
        rawstart[i] = nvec;
        size_t k;
        if (msg->title) {
            k = cps_of(msg->title, cbuf, TEXT_CPS);
            bigrams(cbuf, k, 2, &vec, &nvec, &capvec);
            places_in(cbuf, k, on_place, &pc);
        }
        if (msg->text) {
            k = cps_of(msg->text, cbuf, TEXT_CPS);
            bigrams(cbuf, k, 1, &vec, &nvec, &capvec);
            places_in(cbuf, k, on_place, &pc);
        }
        for (int p = 0; p < mf[i].nplaces; p++)   /* odd: place; named places weigh like a title bigram */
            for (int t = 0; t < 2; t++)
                push(&vec, &nvec, &capvec, mf[i].places[p]);
        qsort(vec + rawstart[i], nvec - rawstart[i], sizeof(uint32_t), by_u32);
        for (size_t j = rawstart[i]; j < nvec; j++)
            if (j == rawstart[i] || vec[j] != vec[j - 1])
                push(&all, &nall, &capall, vec[j]);
    }
    rawstart[m] = nvec;
    if (nall)
        qsort(all, nall, sizeof(uint32_t), by_u32);

    /* df of h = length of its run in 'all'. */
    size_t max_df = m / 10 > 20 ? m / 10 : 20;
    post = xmalloc(mem_size_mul(m ? m : 1, TOP_FEATURES * sizeof(*post)));
    for (size_t i = 0; i < m; i++) {
        size_t from = rawstart[i], to = rawstart[i + 1], nf = 0;
        struct feat *f = xmalloc(mem_size_mul(to - from + 1, sizeof(*f)));
        for (size_t j = from; j < to;) {
            size_t e = j;
            while (e < to && vec[e] == vec[j])
                e++;
            uint32_t h = vec[j];
            size_t lo = 0, hi = nall;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (all[mid] < h)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            size_t df = 0;
            while (lo + df < nall && all[lo + df] == h)
                df++;
            if (df <= max_df || (h & 1u))
                f[nf++] = (struct feat){h, (float)((1.0 + log((double)(e - j))) * log((double)m / (double)df + 1e-9))};
            j = e;
        }
        qsort(f, nf, sizeof(*f), by_weight_desc);
        if (nf > TOP_FEATURES)
            nf = TOP_FEATURES;
        double norm = 0;
        for (size_t j = 0; j < nf; j++)
            norm += (double)f[j].w * f[j].w;
        norm = norm > 0 ? sqrt(norm) : 1;
        for (size_t j = 0; j < nf; j++) {
            f[j].w = (float)(f[j].w / norm);
            post[npost++] = (struct posting){f[j].h, (uint32_t)i, f[j].w};
        }
        mf[i].f = f;
        mf[i].nf = (int)nf;
    }
    qsort(post, npost, sizeof(*post), by_posting);

    /* Neighbours: accumulate dot products over shared features. */
    acc = xcalloc(m ? m : 1, sizeof(float));
    touched = xmalloc(mem_size_mul(m ? m : 1, sizeof(uint32_t)));
    estart = xmalloc(mem_size_mul(m + 1, sizeof(size_t)));
    for (size_t i = 0; i < m; i++) {
        size_t nt = 0;
        estart[i] = nedges;
        for (int k = 0; k < mf[i].nf; k++) {
            uint32_t h = mf[i].f[k].h;
            float w = mf[i].f[k].w;
            size_t lo = 0, hi = npost;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (post[mid].h < h)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t p = lo; p < npost && post[p].h == h; p++) {
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
            if (acc[j] >= o.min_similarity) {
                if (nedges == capedges) {
                    capedges = capedges ? capedges * 2 : 1024;
                    edges = xrealloc(edges, mem_size_mul(capedges, sizeof(*edges)));
                }
                edges[nedges++] = (struct edge){j, acc[j]};
            }
            acc[j] = 0;
        }
    }
    estart[m] = nedges;

    /* Star clustering. */
    ord = xmalloc(mem_size_mul(m ? m : 1, sizeof(*ord)));
    for (size_t i = 0; i < m; i++) {
        float sum = 0;
        for (size_t e = estart[i]; e < estart[i + 1]; e++)
            sum += edges[e].sim;
        ord[i] = (struct order){(uint32_t)i, (int)(estart[i + 1] - estart[i]), sum};
    }
    qsort(ord, m, sizeof(*ord), by_centrality);
    assigned = xmalloc(mem_size_mul(m ? m : 1, sizeof(uint32_t)));
    for (size_t i = 0; i < m; i++)
        assigned[i] = UINT32_MAX;
    cl = xcalloc(m ? m : 1, sizeof(*cl));
    for (size_t r = 0; r < m; r++) {
        uint32_t c = ord[r].msg;
        if (assigned[c] != UINT32_MAX)
            continue;
        uint32_t best = UINT32_MAX;
        float best_sim = 0;
        int free_neighbours = 0;
        for (size_t e = estart[c]; e < estart[c + 1]; e++) {
            uint32_t j = edges[e].j;
            if (assigned[j] == UINT32_MAX)
                free_neighbours++;
            else if (edges[e].sim > best_sim) {
                best_sim = edges[e].sim;
                best = assigned[j];
            }
        }
        uint32_t k;
        if (free_neighbours == 0 && best != UINT32_MAX) {
            k = best;   /* alone but similar to a member: join that cluster */
        } else {
            k = (uint32_t)nclusters++;
            cl[k].centre = c;
        }
        assigned[c] = k;
        push(&cl[k].members, &cl[k].n, &cl[k].cap, c);
        if (k == nclusters - 1 && cl[k].centre == c)
            for (size_t e = estart[c]; e < estart[c + 1]; e++) {
                uint32_t j = edges[e].j;
                if (assigned[j] == UINT32_MAX) {
                    assigned[j] = k;
                    push(&cl[k].members, &cl[k].n, &cl[k].cap, j);
                }
            }
    }

    /* Heat. */
    int64_t period = GROWTH_PERIOD;
    if (o.window_seconds > 0 && o.window_seconds / 4 < period)
        period = o.window_seconds / 4 > 0 ? o.window_seconds / 4 : 1;
    rank = xmalloc(mem_size_mul(nclusters ? nclusters : 1, sizeof(*rank)));
    size_t nrank = 0;
    const char **authors = xmalloc(mem_size_mul(m ? m : 1, sizeof(char *)));
    for (size_t k = 0; k < nclusters; k++) {
        struct cluster *c = &cl[k];
        if (c->n < (size_t)o.min_size)
            continue;
        size_t na = 0, anon = 0;
        double likes = 0;
        int recent = 0, previous = 0;
        for (size_t i = 0; i < c->n; i++) {
            const struct triage_hot_msg *msg = &msgs[sel[c->members[i]]];
            if (msg->author && *msg->author)
                authors[na++] = msg->author;
            else
                anon++;
            likes += msg->likes > 0 ? msg->likes : 0;
            if (msg->at > newest - period)
                recent++;
            else if (msg->at > newest - 2 * period)
                previous++;
        }
        qsort(authors, na, sizeof(char *), by_str);
        size_t distinct = anon;
        for (size_t i = 0; i < na; i++)
            distinct += i == 0 || strcmp(authors[i], authors[i - 1]) != 0;
        double g = (double)(recent - previous) / (previous + 1);
        g = g < 0 ? 0 : g > 2 ? 2 : g;
        double base = (double)distinct + 0.25 * (double)(c->n - distinct);
        c->heat = base * (1 + 0.5 * log(1 + likes)) * (1 + 0.5 * g);
        rank[nrank++] = c;
    }
    free(authors);
    qsort(rank, nrank, sizeof(*rank), by_heat);
    if (nrank > (size_t)o.limit)
        nrank = (size_t)o.limit;

    /* Place document frequencies, for ranking a cluster's places by specificity. */
    size_t nph = 0, capph = 0;
    uint32_t *ph = NULL;
    for (size_t i = 0; i < m; i++)
        for (int p = 0; p < mf[i].nplaces; p++)
            push(&ph, &nph, &capph, mf[i].places[p]);
    if (nph)
        qsort(ph, nph, sizeof(uint32_t), by_u32);

    struct triage_hot_topic *topics = arena_alloc(a, mem_size_mul(nrank ? nrank : 1, sizeof(*topics)));
    for (size_t r = 0; r < nrank; r++) {
        struct cluster *c = rank[r];
        struct triage_hot_topic *t = &topics[r];
        const struct triage_hot_msg *centre = &msgs[sel[c->centre]];
        int64_t *ids = arena_alloc(a, mem_size_mul(c->n, sizeof(int64_t)));
        size_t na = 0, anon = 0;
        const char **au = xmalloc(mem_size_mul(c->n, sizeof(char *)));
        t->heat = c->heat;
        t->count = (int)c->n;
        t->first_at = t->last_at = centre->at;
        t->representative_id = centre->id;
        t->title = title_of(centre, a);
        for (size_t i = 0; i < c->n; i++) {
            const struct triage_hot_msg *msg = &msgs[sel[c->members[i]]];
            ids[i] = msg->id;
            t->likes += msg->likes > 0 ? msg->likes : 0;
            if (msg->at < t->first_at)
                t->first_at = msg->at;
            if (msg->at > t->last_at)
                t->last_at = msg->at;
            if (msg->author && *msg->author)
                au[na++] = msg->author;
            else
                anon++;
        }
        qsort(au, na, sizeof(char *), by_str);
        t->authors = (int)anon;
        for (size_t i = 0; i < na; i++)
            t->authors += i == 0 || strcmp(au[i], au[i - 1]) != 0;
        free(au);
        qsort(ids, c->n, sizeof(int64_t), by_i64);
        t->ids = ids;
        t->nids = (int)c->n;

        /* Places: members naming each, weighted by how rare the place is overall. */
        size_t npc = 0;
        pcs = xrealloc(pcs, mem_size_mul(c->n, PLACES_PER_MSG * sizeof(*pcs)));
        for (size_t i = 0; i < c->n; i++) {
            const struct msgf *f = &mf[c->members[i]];
            for (int p = 0; p < f->nplaces; p++) {
                size_t q;
                for (q = 0; q < npc && pcs[q].h != f->places[p]; q++)
                    ;
                if (q == npc)
                    pcs[npc++] = (struct place_count){f->places[p], 0, 0, sel[c->members[i]]};
                pcs[q].count++;
            }
        }
        for (size_t q = 0; q < npc; q++) {
            size_t lo = 0, hi = nph, df = 0;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (ph[mid] < pcs[q].h)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            while (lo + df < nph && ph[lo + df] == pcs[q].h)
                df++;
            pcs[q].score = pcs[q].count * log(1.0 + (double)m / (double)(df ? df : 1));
        }
        qsort(pcs, npc, sizeof(*pcs), by_place_score);
        size_t keep = npc < PLACES_REPORTED ? npc : PLACES_REPORTED;
        const char **places = arena_alloc(a, mem_size_mul(keep ? keep : 1, sizeof(char *)));
        t->nplaces = 0;
        for (size_t q = 0; q < keep; q++) {
            const char *s = place_text(&msgs[pcs[q].msg], pcs[q].h, cbuf, a);
            if (s)
                places[t->nplaces++] = s;
        }
        t->places = places;
    }
    free(ph);
    *out = topics;
    *nout = (int)nrank;

    for (size_t i = 0; i < m; i++)
        free(mf[i].f);
    for (size_t k = 0; k < nclusters; k++)
        free(cl[k].members);
    free(rawstart);
    free(sel);
    free(all);
    free(vec);
    free(cbuf);
    free(mf);
    free(post);
    free(acc);
    free(touched);
    free(edges);
    free(estart);
    free(ord);
    free(assigned);
    free(cl);
    free(rank);
    free(pcs);
    return rc;
}
