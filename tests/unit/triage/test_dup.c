#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "triage/triage.h"

#define DAY 86400
#define T0 1780000000

static const char original[] =
    "锦绣花园小区3栋门口的路灯坏了一个多月，晚上漆黑一片，老人小孩出行很不方便，请尽快维修";
static const char paraphrase[] =
    "锦绣花园小区3栋门口路灯坏了一个多月了，晚上一片漆黑，老人出行很不方便，希望尽快修好";
static const char unrelated[] = "咨询一下新生儿医保怎么办理，需要带哪些材料到社区";

/* The index's calls for a case without address or category. */
static void add(struct triage_dup_index *ix, int64_t id, int64_t at, int has_location, double lat,
                double lon, const char *text)
{
    struct triage_dup_case c = {id, at, has_location, lat, lon, text, NULL, 0};
    triage_dup_add(ix, &c);
}

static int query(struct triage_dup_index *ix, const char *text, int64_t at, int has_location,
                 double lat, double lon, struct triage_dup_hit *hits, int max)
{
    struct triage_dup_case q = {0, at, has_location, lat, lon, text, NULL, 0};
    return triage_dup_query(ix, &q, hits, max);
}

static double score_of(struct triage_dup_index *ix, const char *text, int64_t at, int64_t id)
{
    struct triage_dup_hit hits[8];
    int n = query(ix, text, at, 0, 0, 0, hits, 8);
    for (int i = 0; i < n; i++)
        if (hits[i].id == id)
            return hits[i].score;
    return -1;
}

TEST(triage_dup_scores)
{
    struct triage_dup_opts o = {7 * DAY, 1000, 0.2};
    struct triage_dup_index *ix = triage_dup_new(&o);
    add(ix, 1, T0, 0, 0, 0, original);
    add(ix, 2, T0, 0, 0, 0, unrelated);
    CHECK_INT_EQ(triage_dup_count(ix), 2, "two cases");

    double same = score_of(
        ix, "锦绣花园小区3栋门口的路灯坏了一个多月,晚上漆黑一片,老人小孩出行很不方便,请尽快维修！",
        T0 + 60, 1);
    CHECK(same >= 0.95, "same text (other punctuation) scores %f", same);
    double para = score_of(ix, paraphrase, T0 + 3600, 1);
    CHECK(para >= 0.3 && para < 0.9, "paraphrase scores medium: %f", para);
    CHECK(score_of(ix, unrelated, T0, 1) < 0, "unrelated text is not a candidate");
    CHECK(score_of(ix, original, T0, 2) < 0, "and the other way round");

    struct triage_dup_hit hits[4];
    int n = query(ix, original, T0, 0, 0, 0, hits, 4);
    CHECK_INT_EQ(n, 1, "only the original matches");
    if (n == 1) {
        CHECK_INT_EQ(hits[0].id, 1, "id");
        CHECK(hits[0].score == 1.0, "identical text scores 1, got %f", hits[0].score);
        CHECK(hits[0].meters == -1, "no location, no distance");
    }
    CHECK_INT_EQ(query(ix, "", T0, 0, 0, 0, hits, 4), 0, "empty text matches nothing");
    CHECK_INT_EQ(query(ix, "！！！", T0, 0, 0, 0, hits, 4), 0, "punctuation only matches nothing");
    triage_dup_free(ix);
}

TEST(triage_dup_window_and_distance)
{
    struct triage_dup_index *ix = triage_dup_new(NULL); /* 7 days, 1000 m, 0.5 */
    add(ix, 10, T0, 1, 28.2000, 112.9000, original);
    add(ix, 11, T0 - 30 * DAY, 1, 28.2000, 112.9000, original); /* too old */
    add(ix, 12, T0, 1, 28.3000, 112.9000, original);            /* ~11 km away */
    add(ix, 13, T0 + 2 * DAY, 0, 0, 0, original);               /* no location */
    add(ix, 14, T0 + 1 * DAY, 1, 28.2030, 112.9000, original);  /* ~334 m */

    struct triage_dup_hit hits[8];
    int n = query(ix, original, T0 + 3 * DAY, 1, 28.2000, 112.9000, hits, 8);
    CHECK_INT_EQ(n, 3, "within window and distance: 10, 14, and 13 (no location)");
    if (n == 3) {
        CHECK_INT_EQ(hits[0].id, 10, "closest first among equal scores");
        CHECK(hits[0].meters >= 0 && hits[0].meters < 1, "same point: %f m", hits[0].meters);
        CHECK_INT_EQ(hits[1].id, 14, "then 334 m");
        CHECK(hits[1].meters > 300 && hits[1].meters < 370, "distance %f m", hits[1].meters);
        CHECK_INT_EQ(hits[2].id, 13, "unknown distance last");
        CHECK(hits[2].meters == -1, "unknown distance is -1");
    }
    n = query(ix, original, T0 + 3 * DAY, 0, 0, 0, hits, 8);
    CHECK_INT_EQ(n, 4, "a query without location ignores distance (12 is in, 11 is too old)");
    n = query(ix, original, T0 + 3 * DAY, 1, 28.2000, 112.9000, hits, 1);
    CHECK_INT_EQ(n, 1, "max respected");
    n = query(ix, original, T0 + 3 * DAY, 1, NAN, 112.9000, hits, 8);
    CHECK_INT_EQ(n, 4, "a NaN location is no location");
    n = query(ix, original, INT64_MIN, 0, 0, 0, hits, 8);
    CHECK_INT_EQ(n, 0, "extreme times do not overflow into the window");
    triage_dup_free(ix);
}

TEST(triage_dup_remove_and_replace)
{
    struct triage_dup_index *ix = triage_dup_new(NULL);
    struct triage_dup_hit hits[4];
    add(ix, 1, T0, 0, 0, 0, original);
    add(ix, 2, T0, 0, 0, 0, original);
    CHECK_INT_EQ(query(ix, original, T0, 0, 0, 0, hits, 4), 2, "both");
    triage_dup_remove(ix, 1);
    triage_dup_remove(ix, 99); /* unknown id: nothing happens */
    CHECK_INT_EQ(triage_dup_count(ix), 1, "one left");
    int n = query(ix, original, T0, 0, 0, 0, hits, 4);
    CHECK_INT_EQ(n, 1, "removed case is gone");
    CHECK_INT_EQ(hits[0].id, 2, "the other remains");
    add(ix, 2, T0, 0, 0, 0, unrelated); /* re-adding replaces */
    CHECK_INT_EQ(triage_dup_count(ix), 1, "still one");
    CHECK_INT_EQ(query(ix, original, T0, 0, 0, 0, hits, 4), 0, "old text of 2 is gone");
    CHECK_INT_EQ(query(ix, unrelated, T0, 0, 0, 0, hits, 4), 1, "new text of 2 is found");
    triage_dup_free(ix);
}

/* Many cases (the bucket arrays grow several times), removal of most, and one survivor found. */
TEST(triage_dup_many)
{
    struct triage_dup_index *ix = triage_dup_new(NULL);
    char text[256];
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof(text), "第%d号楼%d单元反映问题编号%d，楼道灯不亮%d次", i, i % 7,
                 i * 31, i % 13);
        add(ix, i, T0, 0, 0, 0, text);
    }
    CHECK_INT_EQ(triage_dup_count(ix), 5000, "all added");
    for (int i = 0; i < 5000; i++)
        if (i != 4321)
            triage_dup_remove(ix, i);
    CHECK_INT_EQ(triage_dup_count(ix), 1, "one left");
    snprintf(text, sizeof(text), "第%d号楼%d单元反映问题编号%d，楼道灯不亮%d次", 4321, 4321 % 7,
             4321 * 31, 4321 % 13);
    struct triage_dup_hit hits[4];
    int n = query(ix, text, T0, 0, 0, 0, hits, 4);
    CHECK_INT_EQ(n, 1, "survivor found");
    CHECK_INT_EQ(hits[0].id, 4321, "survivor id");
    for (int i = 0; i < 3000; i++) { /* slots are reused */
        snprintf(text, sizeof(text), "新增第%d条：某某路%d号门前污水外溢", i, i);
        add(ix, 10000 + i, T0, 0, 0, 0, text);
    }
    CHECK_INT_EQ(triage_dup_count(ix), 3001, "reuse");
    n = query(ix, "新增第17条：某某路17号门前污水外溢", T0, 0, 0, 0, hits, 4);
    CHECK(n >= 1 && hits[0].id == 10017, "best match after reuse (n %d)", n);
    triage_dup_free(ix);
}

struct worker {
    struct triage_dup_index *ix;
    int base, found;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char text[128];
    struct triage_dup_hit hits[2];
    for (int i = 0; i < 400; i++) {
        snprintf(text, sizeof(text), "线程%d提交的第%d个案件，内容为某某小区噪音扰民", w->base, i);
        add(w->ix, w->base * 1000 + i, T0, 0, 0, 0, text);
        if (query(w->ix, text, T0, 0, 0, 0, hits, 2) > 0 && hits[0].score == 1.0)
            w->found++;
        if (i % 2)
            triage_dup_remove(w->ix, w->base * 1000 + i);
    }
    return NULL;
}

TEST(triage_dup_concurrent)
{
    struct triage_dup_index *ix = triage_dup_new(NULL);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ix, i + 1, 0};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT_EQ(w[i].found, 400, "each thread finds what it just added");
    }
    CHECK_INT_EQ(triage_dup_count(ix), 800, "half removed");
    triage_dup_free(ix);
}

/* Place and time as a signal: two neighbours describe the same barbecue stall in their own
 * words, two minutes apart, at the same address (one gives a point, the other only the
 * address). The texts share little; the place, the time and the kind of complaint decide. */
static const char bbq_a[] =
    "楼下烧烤摊每天晚上营业到凌晨两点，油烟直往窗户里灌，吵得老人孩子睡不着";
static const char bbq_b[] = "小区门口有人摆摊卖烤串，半夜还在吆喝，烟味很重，希望城管来管一管";
static const char pothole[] = "门口马路中间有个大坑，电动车经过差点摔倒，请尽快填平";

TEST(triage_dup_place_and_time)
{
    struct triage_dup_index *ix = triage_dup_new(NULL); /* 7 days, 1000 m, 0.5 */
    struct triage_dup_case a = {1, T0, 1, 28.2000, 112.9000, bbq_a, "岳麓区青石街道幸福路18号", 42};
    triage_dup_add(ix, &a);
    struct triage_dup_hit hits[4];

    /* Same address written differently, no point, same category, two minutes later. */
    struct triage_dup_case b = {0, T0 + 120, 0, 0, 0, bbq_b, "青石街道幸福路１８号门口", 42};
    int n = triage_dup_query(ix, &b, hits, 4);
    CHECK_INT_EQ(n, 1, "the neighbour's report is found");
    if (n == 1) {
        CHECK(hits[0].text < 0.3, "their words differ (text %f)", hits[0].text);
        CHECK(hits[0].place >= 0.7, "the address agrees (place %f)", hits[0].place);
        CHECK(hits[0].score >= 0.5, "and the case is a candidate (score %f)", hits[0].score);
        CHECK_INT_EQ(hits[0].seconds, 120, "two minutes apart");
        CHECK(hits[0].meters == -1, "no distance without both points");
    }

    /* A point 30 m away instead of the address. */
    struct triage_dup_case c = {0, T0 + 600, 1, 28.20027, 112.9000, bbq_b, NULL, 42};
    n = triage_dup_query(ix, &c, hits, 4);
    CHECK(n == 1 && hits[0].place == 1.0 && hits[0].meters > 20 && hits[0].meters < 40,
          "30 m away counts fully (n %d)", n);

    /* The same words of a stall 1.5 km away would need the text alone. */
    c.lat = 28.2135;
    CHECK_INT_EQ(triage_dup_query(ix, &c, hits, 4), 0, "far away: not the same place");

    /* Same place, same time, another kind of complaint: not a duplicate. */
    struct triage_dup_case d = {0, T0 + 60, 1, 28.2000, 112.9000, pothole, NULL, 77};
    CHECK_INT_EQ(triage_dup_query(ix, &d, hits, 4), 0, "a pothole at the door is another case");

    /* Same place and kind three days later: time no longer counts. */
    b.at = T0 + 3 * DAY;
    CHECK_INT_EQ(triage_dup_query(ix, &b, hits, 4), 0, "three days later: a new report");

    /* Unknown categories: the place alone is not enough for unrelated words. */
    b.at = T0 + 120;
    b.category = 0;
    n = triage_dup_query(ix, &b, hits, 4);
    CHECK(n == 0 || hits[0].text >= 0.09, "unknown kind needs some shared words (n %d)", n);

    /* Removal unlinks the address and cell chains too. */
    triage_dup_remove(ix, 1);
    b.category = 42;
    CHECK_INT_EQ(triage_dup_query(ix, &b, hits, 4), 0, "removed");
    triage_dup_free(ix);
}

/* Many cases in one cell (a burst at one address): queries stay bounded and find the newest. */
TEST(triage_dup_place_burst)
{
    struct triage_dup_index *ix = triage_dup_new(NULL);
    char text[128];
    for (int i = 0; i < 3000; i++) {
        snprintf(text, sizeof(text), "第%d位市民反映：自来水停水%d小时，至今未恢复", i, i % 9);
        struct triage_dup_case c = {i + 1, T0 + i, 1, 28.2, 112.9, text, "幸福路18号", 5};
        triage_dup_add(ix, &c);
    }
    struct triage_dup_hit hits[8];
    struct triage_dup_case q = {0, T0 + 3000, 1, 28.2, 112.9, "家里没有水了", "幸福路18号", 5};
    int n = triage_dup_query(ix, &q, hits, 8);
    CHECK_INT_EQ(n, 8, "a full list");
    for (int i = 0; i < n; i++)
        CHECK(hits[i].id > 3000 - 200, "among the newest: %lld", (long long)hits[i].id);
    for (int i = 1; i <= 3000; i += 2)
        triage_dup_remove(ix, i);
    CHECK_INT_EQ(triage_dup_count(ix), 1500, "half removed");
    n = triage_dup_query(ix, &q, hits, 8);
    CHECK(n == 8 && hits[0].id % 2 == 0, "survivors only (n %d)", n);
    triage_dup_free(ix);
}

/* Intake signs a case once for its query and its add: the signed calls must index and answer
 * exactly as the plain ones that sign the text and address themselves. */
TEST(triage_dup_signed_same)
{
    struct triage_dup_index *plain = triage_dup_new(NULL), *sgn = triage_dup_new(NULL);
    struct triage_dup_case cs[] = {
        {1, T0, 1, 28.2000, 112.9000, bbq_a, "岳麓区青石街道幸福路18号", 42},
        {2, T0 + 60, 0, 0, 0, bbq_b, "青石街道幸福路１８号门口", 42},
        {3, T0 + 90, 1, 28.20027, 112.9000, original, NULL, 0},
        {4, T0 + 120, 0, 0, 0, paraphrase, "锦绣花园小区3栋", 7},
        {5, T0 + 150, 0, 0, 0, "！！！", "幸福路18号", 42}, /* no content: not indexed */
        {6, T0 + 180, 1, 28.2001, 112.9001, NULL, "幸福路18号", 42},
        {7, T0 + 200, 1, 28.2, 112.9, pothole, "", 77},
    };
    int ncs = (int)(sizeof(cs) / sizeof(cs[0]));
    for (int i = 0; i < ncs; i++) {
        struct triage_dup_sig sig;
        triage_dup_add(plain, &cs[i]);
        triage_dup_sign(sgn, cs[i].text, cs[i].address, &sig);
        struct triage_dup_case c = cs[i];
        c.text = "ignored: the signature stands for it";
        triage_dup_add_signed(sgn, &c, &sig);
    }
    CHECK_INT_EQ(triage_dup_count(sgn), triage_dup_count(plain), "the same entries");
    for (int i = 0; i < ncs; i++) {
        struct triage_dup_hit a[8], b[8], c[8];
        struct triage_dup_sig sig;
        struct triage_dup_case q = cs[i];
        q.at += 30;
        int na = triage_dup_query(plain, &q, a, 8);
        int nb = triage_dup_query(sgn, &q, b, 8);
        triage_dup_sign(plain, q.text, q.address, &sig);
        int nc = triage_dup_query_signed(plain, &q, &sig, c, 8);
        CHECK(na == nb && na == nc, "query %d: %d, %d and %d hits", i, na, nb, nc);
        if (na == nb && na == nc) {
            CHECK(na == 0 || memcmp(a, b, (size_t)na * sizeof(a[0])) == 0, "query %d: index", i);
            CHECK(na == 0 || memcmp(a, c, (size_t)na * sizeof(a[0])) == 0, "query %d: query", i);
        }
    }
    triage_dup_free(plain);
    triage_dup_free(sgn);
}
