/*
 * Benchmark: duplicate lookup among N open cases (default 100,000) in the triage index.
 *
 * Cases are built from the real citizen texts of the Teddy Cup 2020 files when a directory
 * holding them is given (--data-dir), varied so that 100k cases are not 11k copies: each case
 * takes a random run of sentences of a random message, a random road and house number in
 * front, a time in a 30-day span and, for 70 %, a point in a 20 km square. Without the files
 * a small phrase grammar stands in (and the figures say so).
 *
 * Queries (default 2,000): half re-word an indexed case (another run of sentences of the same
 * message, the same road), half are fresh cases; each is timed alone, by the monotonic clock
 * and by this thread's CPU clock. Prints build time, memory, and per-query p50/p90/p99/max.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "triage/triage.h"

/* Scores are multiples of 1/96 (the index's 96 MinHash slots). */
#define K_SLOTS 96

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* This thread's CPU time: on a shared machine the wall-clock tail is mostly the scheduler. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = xmalloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* Sentences of a text: start offsets after 。！？；!?; (kept with their sentence). */
static int sentences(const char *t, size_t *starts, int max)
{
    int n = 0;
    size_t i = 0;
    starts[n++] = 0;
    while (t[i] && n < max) {
        if (strncmp(t + i, "。", 3) == 0 || strncmp(t + i, "！", 3) == 0 ||
            strncmp(t + i, "？", 3) == 0 || strncmp(t + i, "；", 3) == 0) {
            i += 3;
            if (t[i])
                starts[n++] = i;
            continue;
        }
        i++;
    }
    return n;
}

static const char *const roads[] = {"联丰路",   "劳动东路", "凉塘路",   "芙蓉中路", "五一大道",
                                    "人民东路", "韶山北路", "麓山南路", "岳麓大道", "万家丽路",
                                    "金星北路", "湘江中路", "东二环",   "车站北路"};

/* A case text: a road and number, then sentences [first, first + count) of base. */
static void make_text(char *out, size_t cap, const char *base, int road, int number, int first,
                      int count)
{
    size_t st[64];
    int ns = sentences(base, st, 64);
    if (first >= ns)
        first = ns - 1;
    if (first + count > ns)
        count = ns - first;
    size_t from = st[first], to = first + count < ns ? st[first + count] : strlen(base);
    int k = snprintf(out, cap, "%s%d号附近：", roads[road], number);
    size_t len = to - from;
    if ((size_t)k + len + 1 > cap)
        len = cap - (size_t)k - 1;
    memcpy(out + k, base + from, len);
    out[(size_t)k + len] = '\0';
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct spec {
    int base, road, number, first, count, has_loc;
    int64_t at;
    double lat, lon;
};

int main(int argc, char **argv)
{
    int ncases = 100000, nq = 2000;
    const char *dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--cases") == 0)
            ncases = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--queries") == 0)
            nq = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--data-dir") == 0)
            dir = argv[i + 1];
    }

    /* Base texts. */
    static const char *const files[] = {"messages_hot.tsv", "messages_labeled.tsv",
                                        "messages_replies.tsv", "messages_unlabeled_test.tsv"};
    const char **base = NULL;
    size_t nbase = 0, capbase = 0;
    struct arena a;
    arena_init(&a, 1 << 20);
    for (size_t f = 0; dir && f < sizeof(files) / sizeof(files[0]); f++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
        char *data = slurp(path, &len);
        if (!data)
            continue;
        struct triage_hot_columns cols = {"detail", "", "message_time_iso", "", "", ""};
        struct triage_hot_msg *m;
        size_t n;
        struct err err = ERR_INIT;
        if (triage_hot_read_tsv(data, len, &cols, &a, &m, &n, &err) == 0) {
            for (size_t i = 0; i < n; i++) {
                if (nbase == capbase) {
                    capbase = capbase ? capbase * 2 : 4096;
                    base = xrealloc(base, capbase * sizeof(*base));
                }
                base[nbase++] = m[i].text;
            }
        } else {
            fprintf(stderr, "%s: %s\n", path, err.msg);
        }
        free(data);
    }
    int synthetic = nbase == 0;
    if (synthetic) {
        static const char *const what[] = {"路灯不亮", "污水外溢", "噪音扰民", "垃圾堆积",
                                           "占道经营", "井盖破损", "停车难",   "油烟扰民",
                                           "违章搭建", "积水严重"};
        static const char *const how[] = {"已经一个多月了。", "晚上特别严重。",
                                          "多次反映没有解决。", "影响居民出行。",
                                          "请相关部门尽快处理。"};
        capbase = 2000;
        base = xmalloc(capbase * sizeof(*base));
        for (size_t i = 0; i < capbase; i++)
            base[nbase++] = arena_printf(&a, "小区%zu栋门口%s，%s%s%s", i % 40, what[i % 10],
                                         how[i % 5], how[(i / 5) % 5], how[(i / 25) % 5]);
    }

    const int64_t t0 = 1767225600;
    struct spec *sp = xmalloc((size_t)ncases * sizeof(*sp));
    for (int i = 0; i < ncases; i++) {
        sp[i].base = (int)rnd((uint32_t)nbase);
        sp[i].road = (int)rnd(sizeof(roads) / sizeof(roads[0]));
        sp[i].number = 1 + (int)rnd(400);
        sp[i].first = (int)rnd(3);
        sp[i].count = 1 + (int)rnd(6);
        sp[i].at = t0 + rnd(30 * 86400);
        sp[i].has_loc = rnd(10) < 7;
        sp[i].lat = 28.10 + rnd(20000) * 0.000009;
        sp[i].lon = 112.85 + rnd(20000) * 0.00001;
    }

    struct triage_dup_index *ix = triage_dup_new(NULL);
    char text[8192];
    long rss0 = rss_kib();
    uint64_t b0 = clock_mono_ns();
    for (int i = 0; i < ncases; i++) {
        make_text(text, sizeof(text), base[sp[i].base], sp[i].road, sp[i].number, sp[i].first,
                  sp[i].count);
        struct triage_dup_case c = {i + 1,     sp[i].at, sp[i].has_loc, sp[i].lat,
                                    sp[i].lon, text,     NULL,          0};
        triage_dup_add(ix, &c);
    }
    uint64_t b1 = clock_mono_ns();
    long rss1 = rss_kib();

    uint64_t *ns = xmalloc((size_t)nq * sizeof(uint64_t)),
             *cpu = xmalloc((size_t)nq * sizeof(uint64_t));
    long hits_total = 0, related_found = 0, related = 0;
    uint64_t digest = 0; /* of every hit (id, score, metres): equal digests, equal answers */
    struct triage_dup_hit hits[10];
    for (int q = 0; q < nq; q++) {
        struct spec s;
        int of = -1;
        if (q % 2 == 0) { /* the same problem reported again, worded from another sentence on */
            of = (int)rnd((uint32_t)ncases);
            s = sp[of];
            s.first = s.first > 0 ? s.first - 1 : s.first + 1;
            s.at += rnd(86400);
            s.lat += 0.0005;
            related++;
        } else {
            s = (struct spec){(int)rnd((uint32_t)nbase),
                              (int)rnd(14),
                              1 + (int)rnd(400),
                              (int)rnd(3),
                              1 + (int)rnd(6),
                              (int)(rnd(10) < 7),
                              t0 + rnd(30 * 86400),
                              28.10 + rnd(20000) * 0.000009,
                              112.85 + rnd(20000) * 0.00001};
        }
        make_text(text, sizeof(text), base[s.base], s.road, s.number, s.first, s.count);
        uint64_t c0 = cpu_ns(), q0 = clock_mono_ns();
        struct triage_dup_case qc = {0, s.at, s.has_loc, s.lat, s.lon, text, NULL, 0};
        int n = triage_dup_query(ix, &qc, hits, 10);
        ns[q] = clock_mono_ns() - q0;
        cpu[q] = cpu_ns() - c0;
        hits_total += n;
        for (int k = 0; k < n; k++) {
            int64_t cm = (int64_t)llround(hits[k].meters * 100.0);
            digest = mix(digest ^ (uint64_t)hits[k].id ^ ((uint64_t)cm << 20) ^
                         ((uint64_t)llround(hits[k].score * K_SLOTS) << 52));
        }
        for (int k = 0; k < n && of >= 0; k++)
            if (hits[k].id == of + 1) {
                related_found++;
                break;
            }
    }
    qsort(ns, (size_t)nq, sizeof(uint64_t), cmp_u64);
    qsort(cpu, (size_t)nq, sizeof(uint64_t), cmp_u64);
    printf("texts: %s (%zu base texts)\n",
           synthetic ? "synthetic phrase grammar" : "Teddy Cup 2020 files", nbase);
    printf("cases: %d, build %.2f s (%.1f us/case), index memory ~%.0f MiB (RSS delta, %.0f B "
           "per case)\n",
           ncases, (double)(b1 - b0) / 1e9, (double)(b1 - b0) / 1e3 / ncases,
           (double)(rss1 - rss0) / 1024.0, (double)(rss1 - rss0) * 1024.0 / ncases);
    printf("queries: %d, wall p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n", nq,
           ns[nq / 2] / 1e3, ns[nq * 9 / 10] / 1e3, ns[nq * 99 / 100] / 1e3, ns[nq - 1] / 1e3);
    printf("queries: %d, thread CPU p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n", nq,
           cpu[nq / 2] / 1e3, cpu[nq * 9 / 10] / 1e3, cpu[nq * 99 / 100] / 1e3, cpu[nq - 1] / 1e3);
    printf("hits per query %.2f; re-worded reports whose original was found: %ld of %ld; hit "
           "digest %016llx\n",
           (double)hits_total / nq, related_found, related, (unsigned long long)digest);

    /* Real near-duplicates: 附件3 has 52 groups of messages with the same title and detail
     * under different ids. Index all its messages (no window, no location) and count which
     * of those pairs are found, and how many other pairs score at or above the threshold. */
    if (dir) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof(path), "%s/messages_hot.tsv", dir);
        char *data = slurp(path, &len);
        struct triage_hot_msg *m;
        size_t n;
        struct err err = ERR_INIT;
        struct triage_hot_columns cols = {"title,detail", "", "message_time_iso", "", "", ""};
        if (data && triage_hot_read_tsv(data, len, &cols, &a, &m, &n, &err) == 0) {
            struct triage_dup_opts o = {0, 0, 0.5};
            struct triage_dup_index *hx = triage_dup_new(&o);
            for (size_t i = 0; i < n; i++)
                triage_dup_add(hx, &(struct triage_dup_case){(int64_t)i, m[i].at, 0, 0, 0,
                                                             m[i].text, NULL, 0});
            long exact = 0, exact_found = 0, other = 0, other_hi = 0;
            struct triage_dup_hit h[64];
            for (size_t i = 0; i < n; i++) {
                for (size_t j = i + 1; j < n; j++)
                    exact += strcmp(m[i].text, m[j].text) == 0;
                int k = triage_dup_query(
                    hx, &(struct triage_dup_case){0, m[i].at, 0, 0, 0, m[i].text, NULL, 0}, h, 64);
                for (int q = 0; q < k; q++) {
                    size_t j = (size_t)h[q].id;
                    if (j <= i)
                        continue;
                    if (strcmp(m[i].text, m[j].text) == 0) {
                        exact_found++;
                    } else {
                        other++;
                        other_hi += h[q].score >= 0.8;
                    }
                }
            }
            printf(
                "messages_hot.tsv: %zu messages; same-text pairs found %ld of %ld; other pairs at >= 0.5: %ld "
                "(of which >= 0.8: %ld)\n",
                n, exact_found, exact, other, other_hi);
            triage_dup_free(hx);
        }
        free(data);
    }
    free(ns);
    free(cpu);
    free(sp);
    free(base);
    triage_dup_free(ix);
    arena_release(&a);
    return 0;
}
