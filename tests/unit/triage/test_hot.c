#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "test.h"
#include "triage/triage.h"

#define DAY 86400
#define T0 1767225600 /* 2026-01-01 */

/* Three topics: a noisy mixing plant (many citizens, growing), a parking-space sale (one
 * citizen posting repeatedly, with likes), and unrelated one-off requests. */
static const struct triage_hot_msg msgs[] = {
    {1, T0 + 0 * DAY, "u1", "丽发新城小区附近搅拌站噪音扰民",
     "A2区丽发新城小区旁边的搅拌站日夜施工，噪音和灰尘严重影响居民休息", 0},
    {2, T0 + 20 * DAY, "u2", "丽发新城搅拌站噪音太大",
     "A2区丽发新城小区附近搅拌站晚上施工噪音很大，灰尘也多，居民无法休息", 3},
    {3, T0 + 26 * DAY, "u3", "投诉丽发新城小区搅拌站",
     "丽发新城小区附近的搅拌站噪音扰民、灰尘污染，请环保部门查处", 1},
    {4, T0 + 27 * DAY, "u4", "丽发新城搅拌站灰尘噪音",
     "暮云街道丽发新城小区附近搅拌站灰尘大噪音大，严重影响居民休息", 0},
    {5, T0 + 28 * DAY, "u5", "搅拌站噪音扰民丽发新城",
     "丽发新城小区旁边搅拌站噪音扰民，晚上施工，希望搬迁搅拌站", 0},
    {10, T0 + 2 * DAY, "u9", "滨河苑捆绑销售车位",
     "伊景园滨河苑开发商捆绑销售车位，不买车位不给交房，是否合法", 50},
    {11, T0 + 3 * DAY, "u9", "滨河苑捆绑销售车位合法吗",
     "伊景园滨河苑开发商捆绑销售车位，不买车位就不给交房，请查处", 40},
    {12, T0 + 4 * DAY, "u9", "再问滨河苑捆绑销售车位",
     "伊景园滨河苑开发商强制捆绑销售车位，不买车位不给交房", 30},
    {20, T0 + 5 * DAY, "u20", "咨询新生儿医保办理", "请问新生儿医保在哪里办理，需要什么材料", 0},
    {21, T0 + 6 * DAY, "u21", "公交车站牌损坏", "五一大道公交站牌被撞坏了，请尽快修复", 0},
    {22, T0 + 7 * DAY, NULL, NULL, "学校门口早上交通拥堵，建议增派交警", 0},
};

static const struct triage_hot_topic *with_member(const struct triage_hot_topic *t, int n,
                                                  int64_t id)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < t[i].nids; k++)
            if (t[i].ids[k] == id)
                return &t[i];
    return NULL;
}

static int has_place(const struct triage_hot_topic *t, const char *p)
{
    for (int i = 0; i < t->nplaces; i++)
        if (strcmp(t->places[i], p) == 0)
            return 1;
    return 0;
}

TEST(triage_hot_clusters_and_ranks)
{
    struct arena a;
    struct err err = ERR_INIT;
    struct triage_hot_topic *t = NULL;
    int n = 0;
    arena_init(&a, 0);
    CHECK_INT_EQ(triage_hot(msgs, ARRAY_SIZE(msgs), NULL, &a, &t, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 2, "two topics of two or more messages");
    if (n == 2) {
        const struct triage_hot_topic *noise = with_member(t, n, 1),
                                      *parking = with_member(t, n, 10);
        CHECK(noise && parking && noise != parking, "the two topics are apart");
        if (noise && parking) {
            CHECK_INT_EQ(noise->count, 5, "all five mixing-plant messages");
            CHECK_INT_EQ(noise->authors, 5, "five citizens");
            CHECK_INT_EQ(noise->likes, 4, "likes summed");
            CHECK_INT_EQ(noise->first_at, T0, "first");
            CHECK_INT_EQ(noise->last_at, T0 + 28 * DAY, "last");
            CHECK(has_place(noise, "丽发新城小区"), "place of the noise topic (first %s)",
                  noise->nplaces ? noise->places[0] : "-");
            CHECK(has_place(noise, "A2区"), "masked district kept in capitals");
            CHECK(strstr(noise->title, "搅拌站") != NULL, "representative title '%s'",
                  noise->title);
            CHECK_INT_EQ(noise->ids[0], 1, "ids ascending");
            CHECK_INT_EQ(parking->count, 3, "three parking messages");
            CHECK_INT_EQ(parking->authors, 1, "one citizen");
            CHECK_INT_EQ(parking->likes, 120, "likes");
            CHECK(has_place(parking, "滨河苑") || has_place(parking, "伊景园滨河苑"),
                  "place of the parking topic");
            /* The documented index: (A + 0.25 (N - A)) (1 + 0.5 ln(1 + L)) (1 + 0.5 G). The noise
             * topic grows: 3 messages in the last 7 days against 1 in the 7 before, G = 1. */
            double want_noise = 5 * (1 + 0.5 * log(5.0)) * 1.5,
                   want_parking = 1.5 * (1 + 0.5 * log(121.0));
            CHECK(fabs(noise->heat - want_noise) < 1e-9, "noise heat %f, want %f", noise->heat,
                  want_noise);
            CHECK(fabs(parking->heat - want_parking) < 1e-9, "parking heat %f, want %f",
                  parking->heat, want_parking);
            CHECK(t[0].heat >= t[1].heat, "hottest first");
            CHECK(t[0].count == 5, "five citizens outweigh one citizen's three posts with likes");
        }
        CHECK(!with_member(t, n, 20) && !with_member(t, n, 21) && !with_member(t, n, 22),
              "one-offs not reported");
    }
    arena_release(&a);
}

TEST(triage_hot_options)
{
    struct arena a;
    struct err err = ERR_INIT;
    struct triage_hot_topic *t = NULL;
    int n = 0;
    arena_init(&a, 0);

    /* The window ends at the newest message (day 28): 5 days keeps only the latest noise posts
     * (with a lower threshold: three messages make weak document frequencies). */
    struct triage_hot_opts o = {5 * DAY, 0.2, 0, 0};
    CHECK_INT_EQ(triage_hot(msgs, ARRAY_SIZE(msgs), &o, &a, &t, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 1, "only the noise topic is in the window");
    if (n == 1) {
        CHECK_INT_EQ(t[0].count, 3, "messages 3, 4, 5");
        CHECK_INT_EQ(t[0].ids[0], 3, "message 3 first");
        CHECK_INT_EQ(t[0].first_at, T0 + 26 * DAY, "nothing older than the window");
    }

    o = (struct triage_hot_opts){0, 0, 4, 0};
    CHECK_INT_EQ(triage_hot(msgs, ARRAY_SIZE(msgs), &o, &a, &t, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 1, "min_size 4 drops the three-message topic");

    o = (struct triage_hot_opts){0, 0, 0, 1};
    CHECK_INT_EQ(triage_hot(msgs, ARRAY_SIZE(msgs), &o, &a, &t, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 1, "limit");

    o = (struct triage_hot_opts){0, 0.99, 0, 0};
    CHECK_INT_EQ(triage_hot(msgs, ARRAY_SIZE(msgs), &o, &a, &t, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 0, "nothing is that similar");

    o = (struct triage_hot_opts){0, 1.5, 0, 0};
    CHECK_INT_EQ(triage_hot(msgs, ARRAY_SIZE(msgs), &o, &a, &t, &n, &err), ERR_BAD_REQUEST,
                 "similarity above 1");
    CHECK_STR_EQ(err.field, "min_similarity", "field named");
    CHECK_INT_EQ(triage_hot(msgs, 0, NULL, &a, &t, &n, &err), 0, "no messages");
    static const struct triage_hot_msg empty[] = {{1, T0, "a", NULL, "！", 0},
                                                  {2, T0, "b", "", "", 0}};
    CHECK_INT_EQ(triage_hot(empty, ARRAY_SIZE(empty), NULL, &a, &t, &n, &err), 0,
                 "messages without content");
    CHECK_INT_EQ(n, 0, "no topics from nothing");
    CHECK_INT_EQ(n, 0, "no topics");
    arena_release(&a);
}

static const char tsv[] =
    "message_id\tuser_id\ttitle\tmessage_time\tdetail\tdislikes\tlikes\tmessage_time_iso\n"
    "1\tu1\t标题一\t2019/2/28 11:25:05\t内容一\t0\t3\t2019-02-28 11:25:05\r\n"
    "2\tu2\t标题二\tx\t内容二\t0\t\t2019-03-01 08:00:00\n"
    "\n";

TEST(triage_hot_read_tsv)
{
    struct arena a;
    struct err err = ERR_INIT;
    struct triage_hot_msg *m = NULL;
    size_t n = 0;
    arena_init(&a, 0);
    CHECK_INT_EQ(triage_hot_read_tsv(tsv, strlen(tsv), NULL, &a, &m, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 2, "two rows, the empty line skipped");
    if (n == 2) {
        CHECK_INT_EQ(m[0].id, 1, "id");
        CHECK_INT_EQ(m[0].at, 1551353105, "time 2019-02-28 11:25:05 as naive UTC");
        CHECK_STR_EQ(m[0].title, "标题一", "title");
        CHECK_STR_EQ(m[0].text, "内容一", "text without the CR");
        CHECK_STR_EQ(m[0].author, "u1", "author");
        CHECK_INT_EQ(m[0].likes, 3, "likes");
        CHECK_INT_EQ(m[1].likes, 0, "empty likes = 0");
    }

    struct triage_hot_columns cols = {"title,detail", "", "message_time", NULL, NULL, NULL};
    CHECK_INT_EQ(triage_hot_read_tsv(tsv, strlen(tsv), &cols, &a, &m, &n, &err), ERR_BAD_REQUEST,
                 "bad time");
    CHECK(strstr(err.msg, "line 3") != NULL, "names the line: %s", err.msg);
    CHECK_STR_EQ(err.field, "time", "names the column");

    const char one[] = "id\ttitle\tmessage_time\tdetail\n7\tT\t2019/2/3 9:05\tD\n";
    CHECK_INT_EQ(triage_hot_read_tsv(one, strlen(one), &cols, &a, &m, &n, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(n, 1, "one row");
    if (n == 1) {
        CHECK_STR_EQ(m[0].text, "T D", "text columns joined");
        CHECK_INT_EQ(m[0].id, 2, "no id column: the line number");
        CHECK_INT_EQ(m[0].at, 1549184700, "2019/2/3 9:05");
        CHECK(m[0].title == NULL && m[0].author == NULL, "unused columns");
    }

    static const struct {
        const char *data, *field, *want;
    } bad[] = {
        {"", "data", "no header"},
        {"a\tb\n1\t2\t3\n", "text", "no column 'detail'"},
        {"message_id\tuser_id\ttitle\tdetail\tlikes\tmessage_time_iso\n1\tu\tt\td\t1\n", "data",
         "line 2 has 5 fields"},
        {"message_id\tuser_id\ttitle\tdetail\tlikes\tmessage_time_iso\nx\tu\tt\td\t1\t2019-01-01\n",
         "id", "not an integer"},
        {"message_id\tuser_id\ttitle\tdetail\tlikes\tmessage_time_iso\n1\tu\tt\td\t-1\t2019-01-01\n",
         "likes", "not a count"},
        {"message_id\tuser_id\ttitle\tdetail\tlikes\tmessage_time_iso\n1\tu\tt\td\t1\t2019-02-30\n",
         "time", "line 2"},
        {"message_id\tuser_id\ttitle\tdetail\tlikes\tmessage_time_iso\n1\tu\tt\t\xff\t1\t2019-01-01\n",
         "data", "line 2 is not valid UTF-8"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err_clear(&err);
        CHECK_INT_EQ(triage_hot_read_tsv(bad[i].data, strlen(bad[i].data), NULL, &a, &m, &n, &err),
                     ERR_BAD_REQUEST, "bad input %zu", i);
        CHECK_STR_EQ(err.field, bad[i].field, "bad input %zu field", i);
        CHECK(strstr(err.msg, bad[i].want) != NULL, "bad input %zu: '%s' should say '%s'", i,
              err.msg, bad[i].want);
        CHECK(m == NULL && n == 0, "nothing returned");
    }
    arena_release(&a);
}
