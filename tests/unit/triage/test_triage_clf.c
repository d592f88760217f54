/* triage classifier: normalisation, n-grams, training, the model file and the TSV reader. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "triage/triage.h"
#include "triage/triage_internal.h"
#include "test.h"

TEST(triage_normalize_rows)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"ＡＢＣ，ｘｙｚ！", "abc,xyz!"},
        {"Hello World", "hello world"},
        {"电话13800138000请回电", "电话#请回电"},
        {"身份证号43010219900101123X。", "身份证号#。"},
        {"2019年3月5日，12号楼", "0000年0月0日,00号楼"},
        {"１２３４５６７８", "#"},
        {"  前面\u3000\u3000中间 \t\n后面  ", "前面 中间 后面"},
        {"ok\xff\xfe!", "ok!"},
        {"a\x01\x7f"
         "b",
         "ab"},
        /* Bytes from 0xF0 never start a three-byte sequence (0xFD A2 A2 once decoded to a
         * surrogate and came out as invalid UTF-8). */
        {"x\xfd\xa2\xa2y", "xy"},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
        {"", ""},
    };
    char out[128];
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        size_t n = triage_normalize(rows[i].in, out, sizeof(out));
        CHECK_STR_EQ(out, rows[i].want, "row %zu", i);
        CHECK_INT_EQ(n, strlen(rows[i].want), "row %zu length", i);
    }
    /* Truncation keeps whole characters and the terminator. */
    CHECK_INT_EQ(triage_normalize("市民热线", out, 8), 6, "two characters fit in 8 bytes");
    CHECK_STR_EQ(out, "市民", "cut at a character boundary");
    CHECK_INT_EQ(triage_normalize("abc", out, 1), 0, "only the terminator fits");
    CHECK_STR_EQ(out, "", "empty when cap is 1");
}

struct spans {
    const char *s;
    int n;
    uint64_t hash[64];
    char text[64][32];
};

static void span_fn(void *ctx, uint64_t hash, unsigned kind, size_t off, size_t len)
{
    (void)kind;
    struct spans *sp = ctx;
    if (sp->n == 64)
        return;
    sp->hash[sp->n] = hash;
    snprintf(sp->text[sp->n], sizeof(sp->text[0]), "%.*s", (int)len, sp->s + off);
    sp->n++;
}

static void spans_of(struct spans *sp, const char *s, unsigned flags)
{
    memset(sp, 0, sizeof(*sp));
    sp->s = s;
    triage_ngrams(s, strlen(s), flags, span_fn, sp);
}

TEST(triage_ngrams_kinds)
{
    struct spans sp, sp2;
    spans_of(&sp, "路灯 不亮 晚上", TRIAGE_F_WORD1);
    CHECK_INT_EQ(sp.n, 3, "three words");
    CHECK_STR_EQ(sp.text[0], "路灯", "first word");
    CHECK_STR_EQ(sp.text[2], "晚上", "last word");

    spans_of(&sp, "路灯 不亮 晚上", TRIAGE_F_WORD2);
    CHECK_INT_EQ(sp.n, 2, "two word pairs");
    CHECK_STR_EQ(sp.text[0], "路灯 不亮", "a pair covers both words");

    /* Punctuation ends a clause: no pair across it, no n-gram across it. */
    spans_of(&sp, "路灯,不亮", TRIAGE_F_WORD2);
    CHECK_INT_EQ(sp.n, 0, "no pair across a comma");
    spans_of(&sp, "市民。好", TRIAGE_F_CHAR2);
    CHECK_INT_EQ(sp.n, 1, "one bigram before the full stop");
    CHECK_STR_EQ(sp.text[0], "市民", "the bigram");

    /* Character n-grams run across spaces (pre-segmented text reads like raw text). */
    spans_of(&sp, "a bc", TRIAGE_F_CHAR3);
    CHECK_INT_EQ(sp.n, 1, "one trigram");
    CHECK_STR_EQ(sp.text[0], "a bc", "trigram spans the space");
    spans_of(&sp, "噪音扰民", TRIAGE_F_CHAR1 | TRIAGE_F_CHAR2 | TRIAGE_F_CHAR3);
    CHECK_INT_EQ(sp.n, 4 + 3 + 2, "all n-grams of four characters");

    /* Equal n-grams hash equally, wherever they are; kinds never collide. */
    spans_of(&sp, "噪音 噪音", TRIAGE_F_WORD1);
    CHECK(sp.n == 2 && sp.hash[0] == sp.hash[1], "same word, same hash");
    spans_of(&sp, "噪", TRIAGE_F_WORD1);
    spans_of(&sp2, "噪", TRIAGE_F_CHAR1);
    CHECK(sp.n == 1 && sp2.n == 1 && sp.hash[0] != sp2.hash[0], "word and character kinds differ");
    spans_of(&sp, "ab", TRIAGE_F_CHAR2);
    spans_of(&sp2, "ba", TRIAGE_F_CHAR2);
    CHECK(sp.hash[0] != sp2.hash[0], "order matters");
    for (int i = 0; i < sp.n; i++)
        CHECK(sp.hash[i] != 0, "hash never 0");
}

/* Three topics with disjoint vocabularies, a few phrasings each. */
static const char *const sep_texts[] = {
    "小区 自来水 停水 三天", "自来水 水压 太低",    "停水 没有 通知 自来水",
    "水管 爆裂 自来水 停水", "道路 坑洼 车辆 难行", "道路 施工 堵车",
    "车辆 乱停 道路 拥堵",   "公交 道路 改线 车辆", "学校 收费 学生 家长",
    "学生 课外 补课 学校",   "家长 反映 学校 食堂", "学校 老师 学生 作业",
};
static const char *const sep_labels[] = {
    "water", "water", "water",  "water",  "road",   "road",
    "road",  "road",  "school", "school", "school", "school",
};

static struct triage_model *train_sep(void)
{
    struct triage_model *m = NULL;
    struct err err = ERR_INIT;
    struct triage_train_opts o = {0}; /* default min_df: 1 for so few texts */
    int rc = triage_train(sep_texts, sep_labels, ARRAY_SIZE(sep_texts), &o, &m, &err);
    CHECK_INT_EQ(rc, 0, "train: %s", err.msg);
    return m;
}

TEST(triage_learns_separable_set)
{
    struct triage_model *m = train_sep();
    if (!m)
        return;
    CHECK_INT_EQ(triage_model_nlabels(m), 3, "labels");
    CHECK_STR_EQ(triage_model_label(m, 0), "water", "labels in order of first appearance");
    CHECK(triage_model_label(m, 3) == NULL, "no fourth label");
    CHECK_INT_EQ(strlen(triage_model_version(m)), 16, "version is 16 hex digits");
    for (size_t i = 0; i < ARRAY_SIZE(sep_texts); i++) {
        struct triage_result r;
        triage_classify(m, sep_texts[i], &r);
        CHECK_STR_EQ(triage_model_label(m, r.label), sep_labels[i], "training text %zu", i);
    }
    struct triage_result r;
    triage_classify(m, "我们小区又停水了，自来水公司不管", &r);
    CHECK_STR_EQ(triage_model_label(m, r.label), "water", "raw unseen text");
    CHECK_INT_EQ(r.ntop, 3, "every label ranked");
    double sum = 0;
    for (int i = 0; i < r.ntop; i++) {
        sum += r.top[i].prob;
        CHECK(i == 0 || r.top[i - 1].prob >= r.top[i].prob, "best first at %d", i);
    }
    CHECK(fabs(sum - 1) < 1e-9, "probabilities sum to 1, got %g", sum);
    CHECK(r.top[0].label == r.label && r.prob == r.top[0].prob && r.prob > 0.5,
          "top[0] is the answer (%g)", r.prob);
    CHECK(r.nwhy > 0, "an explanation");
    int names_water = 0;
    for (int i = 0; i < r.nwhy; i++) {
        CHECK(r.why[i].weight > 0, "only positive contributions");
        CHECK(i == 0 || r.why[i - 1].weight >= r.why[i].weight, "largest first");
        if (strstr(r.why[i].text, "水"))
            names_water = 1;
        for (int k = 0; k < i; k++)
            CHECK(strcmp(r.why[k].text, r.why[i].text) != 0, "'%s' explained once", r.why[i].text);
    }
    CHECK(names_water, "the explanation names a water n-gram (first: %s)",
          r.nwhy ? r.why[0].text : "");

    /* Training is deterministic: the same data gives the same version. */
    struct triage_model *m2 = train_sep();
    if (m2)
        CHECK_STR_EQ(triage_model_version(m2), triage_model_version(m), "same data, same model");
    triage_model_free(m2);
    triage_model_free(m);
}

/* Every solver variant learns the separable set. */
TEST(triage_training_variants)
{
    static const struct triage_train_opts variants[] = {
        {.min_df = 1, .loss = TRIAGE_LOSS_HINGE, .nb = -1},
        {.min_df = 1, .loss = TRIAGE_LOSS_HINGE, .nb = 1},
        {.min_df = 1, .loss = TRIAGE_LOSS_SQUARED_HINGE, .nb = 1, .pos_weight = -1},
        {.min_df = 1, .loss = TRIAGE_LOSS_SQUARED_HINGE, .threads = 3, .c = 0.1, .nb = -1},
        {.min_df = 1, .features = TRIAGE_F_CHAR2, .word_weight = 2},
    };
    for (size_t k = 0; k < ARRAY_SIZE(variants); k++) {
        struct triage_model *m = NULL;
        struct err err = ERR_INIT;
        CHECK_INT_EQ(
            triage_train(sep_texts, sep_labels, ARRAY_SIZE(sep_texts), &variants[k], &m, &err), 0,
            "variant %zu: %s", k, err.msg);
        for (size_t i = 0; m && i < ARRAY_SIZE(sep_texts); i++) {
            struct triage_result r;
            triage_classify(m, sep_texts[i], &r);
            CHECK_STR_EQ(triage_model_label(m, r.label), sep_labels[i], "variant %zu, text %zu", k,
                         i);
        }
        triage_model_free(m);
    }
    struct triage_model *m = NULL;
    struct err err = ERR_INIT;
    struct triage_train_opts bad = {.loss = 7};
    CHECK_INT_EQ(triage_train(sep_texts, sep_labels, ARRAY_SIZE(sep_texts), &bad, &m, &err),
                 ERR_BAD_REQUEST, "unknown loss");
}

TEST(triage_train_rejects_bad_input)
{
    struct triage_model *m = NULL;
    struct err err = ERR_INIT;
    const char *texts[] = {"a", "b"}, *one[] = {"x", "x"}, *empty[] = {"x", ""};
    CHECK_INT_EQ(triage_train(texts, one, 2, NULL, &m, &err), ERR_BAD_REQUEST, "one label");
    CHECK(m == NULL && strstr(err.msg, "two labels"), "message: %s", err.msg);
    CHECK_INT_EQ(triage_train(texts, empty, 2, NULL, &m, &err), ERR_BAD_REQUEST, "empty label");
    CHECK_INT_EQ(triage_train(texts, one, 0, NULL, &m, &err), ERR_BAD_REQUEST, "no texts");
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = xmalloc((size_t)l + 1);
    *n = fread(p, 1, (size_t)l, f);
    fclose(f);
    return p;
}

/* Pruning drops the features that barely move any score: the model gets smaller and still
 * tells the training texts apart; a negative threshold keeps everything. */
TEST(triage_prune_drops_weak_features)
{
    struct triage_train_opts all = {.prune = -1}, pruned = {.prune = 0.5};
    struct triage_model *a = NULL, *p = NULL;
    struct err err = ERR_INIT;
    CHECK_INT_EQ(triage_train(sep_texts, sep_labels, ARRAY_SIZE(sep_texts), &all, &a, &err), 0,
                 "%s", err.msg);
    CHECK_INT_EQ(triage_train(sep_texts, sep_labels, ARRAY_SIZE(sep_texts), &pruned, &p, &err), 0,
                 "%s", err.msg);
    if (a && p) {
        char pa[512], pp[512];
        size_t na = 0, np = 0;
        snprintf(pa, sizeof(pa), "%s/all.model", test_tmpdir());
        snprintf(pp, sizeof(pp), "%s/pruned.model", test_tmpdir());
        CHECK_INT_EQ(triage_model_save(a, pa, &err), 0, "%s", err.msg);
        CHECK_INT_EQ(triage_model_save(p, pp, &err), 0, "%s", err.msg);
        free(slurp(pa, &na));
        free(slurp(pp, &np));
        CHECK(np > 0 && np < na * 3 / 4, "pruned model is smaller: %zu vs %zu bytes", np, na);
        for (size_t i = 0; i < ARRAY_SIZE(sep_texts); i++) {
            struct triage_result r;
            triage_classify(p, sep_texts[i], &r);
            CHECK_STR_EQ(triage_model_label(p, r.label), sep_labels[i], "pruned, text %zu", i);
        }
    }
    triage_model_free(a);
    triage_model_free(p);
}

/* Models written before the 16-bit records (format 1, floats) still load: a server swapping
 * in an older model file keeps working, and saving it again writes the current format. */
TEST(triage_model_loads_float_format)
{
    struct triage_model *old = NULL, *back = NULL;
    struct err err = ERR_INIT;
    size_t n = 0;
    char *bytes = slurp(GRIDLOOP_SOURCE_DIR "/tests/fuzz/corpus/triage_model/tiny.model", &n);
    CHECK(bytes && n > 24, "format 1 model read");
    if (!bytes)
        return;
    CHECK(bytes[8] == 1, "the corpus model is format 1");
    CHECK_INT_EQ(triage_model_parse(bytes, n, &old, &err), 0, "format 1 parses: %s", err.msg);
    free(bytes);
    if (!old)
        return;
    CHECK_INT_EQ(triage_model_nlabels(old), 2, "labels");
    char path[512];
    snprintf(path, sizeof(path), "%s/triage-v1.model", test_tmpdir());
    CHECK_INT_EQ(triage_model_save(old, path, &err), 0, "save: %s", err.msg);
    CHECK_INT_EQ(triage_model_load(path, &back, &err), 0, "reload: %s", err.msg);
    bytes = slurp(path, &n);
    CHECK(bytes && n > 24 && bytes[8] == 2, "saved as format 2");
    free(bytes);
    if (back) {
        const char *probes[] = {"water", "road", "no water on the road", ""};
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            struct triage_result a, b;
            triage_classify(old, probes[i], &a);
            triage_classify(back, probes[i], &b);
            CHECK_INT_EQ(a.label, b.label, "same label for '%s'", probes[i]);
            CHECK(fabs(a.prob - b.prob) < 1e-9, "same probability for '%s'", probes[i]);
        }
    }
    triage_model_free(old);
    triage_model_free(back);
}

TEST(triage_model_round_trip_and_corruption)
{
    struct triage_model *m = train_sep(), *back = NULL;
    struct err err = ERR_INIT;
    char path[512];
    if (!m)
        return;
    snprintf(path, sizeof(path), "%s/triage.model", test_tmpdir());
    CHECK_INT_EQ(triage_model_save(m, path, &err), 0, "save: %s", err.msg);
    CHECK_INT_EQ(triage_model_load(path, &back, &err), 0, "load: %s", err.msg);
    if (!back) {
        triage_model_free(m);
        return;
    }
    CHECK_STR_EQ(triage_model_version(back), triage_model_version(m), "version survives");
    const char *probes[] = {"停水", "道路 坑洼", "学校 作业 太多", "", "完全无关的内容"};
    for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
        struct triage_result a, b;
        triage_classify(m, probes[i], &a);
        triage_classify(back, probes[i], &b);
        CHECK(a.label == b.label && a.prob == b.prob && a.nwhy == b.nwhy,
              "same answer for probe %zu", i);
    }
    triage_model_free(back);

    size_t n = 0;
    char *bytes = slurp(path, &n);
    CHECK(bytes && n > 100, "model file read");
    if (bytes) {
        /* Every truncation and a flipped bit anywhere are errors, never a crash or a model. */
        for (size_t cut = 0; cut < n; cut += cut < 64 ? 1 : 97) {
            struct triage_model *x = NULL;
            CHECK_INT_EQ(triage_model_parse(bytes, cut, &x, &err), ERR_BAD_REQUEST,
                         "truncated at %zu", cut);
            CHECK(x == NULL, "no model from a truncated file");
        }
        for (size_t at = 0; at < n; at += at < 64 ? 1 : 89) {
            struct triage_model *x = NULL;
            bytes[at] ^= 0x10;
            CHECK_INT_EQ(triage_model_parse(bytes, n, &x, &err), ERR_BAD_REQUEST,
                         "bit flipped at %zu", at);
            bytes[at] ^= 0x10;
            triage_model_free(x);
        }
        struct triage_model *x = NULL;
        CHECK_INT_EQ(triage_model_parse(bytes, n, &x, &err), 0, "the intact bytes still load: %s",
                     err.msg);
        triage_model_free(x);
        free(bytes);
    }
    struct triage_model *x = NULL;
    snprintf(path, sizeof(path), "%s/no-such.model", test_tmpdir());
    CHECK_INT_EQ(triage_model_load(path, &x, &err), ERR_NOT_FOUND, "missing file");
    triage_model_free(m);
}

TEST(triage_tsv_reading)
{
    static const char good[] = "id\ttitle\tdetail\tlabel\r\n"
                               "1\t路灯\t不亮\t城乡建设\r\n"
                               "2\t\t学校收费\t教育文体\n";
    struct triage_tsv *t = NULL;
    struct err err = ERR_INIT;
    CHECK_INT_EQ(triage_tsv_parse(good, strlen(good), "title,detail", "label", &t, &err), 0,
                 "parse: %s", err.msg);
    if (t) {
        CHECK_INT_EQ(t->n, 2, "rows");
        CHECK_STR_EQ(t->texts[0], "路灯 不亮", "text columns joined");
        CHECK_STR_EQ(t->labels[0], "城乡建设", "label without CR");
        CHECK_STR_EQ(t->texts[1], " 学校收费", "empty column kept");
        triage_tsv_free(t);
    }
    static const struct {
        const char *data, *text, *label, *want;
    } bad[] = {
        {"id\ttext\tlabel\n1\tx\ty\n", "body", "label", "no column 'body'"},
        {"id\ttext\tlabel\n1\tx\ty\n", "text", "class", "no column 'class'"},
        {"id\ttext\tlabel\n1\tx\ty\n2\tz\n", "text", "label", "line 3 has 2 fields"},
        {"id\ttext\tlabel\n1\tx\t\n", "text", "label", "line 2: the label"},
        {"", "text", "label", "empty file"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        t = NULL;
        err_clear(&err);
        CHECK_INT_EQ(
            triage_tsv_parse(bad[i].data, strlen(bad[i].data), bad[i].text, bad[i].label, &t, &err),
            ERR_BAD_REQUEST, "bad row %zu", i);
        CHECK(t == NULL && strstr(err.msg, bad[i].want), "bad row %zu message: %s", i, err.msg);
    }
}

/* The real thing: the Teddy Cup 2020 labelled messages, when the shared data sits beside the
 * repository (GRIDLOOP_TEDDY2020 overrides the folder). A fixed 80/20 split by a hash of the
 * row number; the issue's target is 93% over random splits, this guards against regressions. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

TEST(triage_teddy2020_accuracy)
{
    char path[1024];
#ifdef UNDER_ASAN
    /* Training on 7,400 texts takes about a minute in the unoptimised sanitizer build; the
     * same code paths run under ASan in the small tests above. */
    printf(
        "     skipped: the Teddy Cup accuracy test does not run under AddressSanitizer (too slow)\n");
    return;
#endif
    const char *dir = getenv("GRIDLOOP_TEDDY2020");
    snprintf(path, sizeof(path), "%s/messages_labeled_tokens_full.tsv",
             dir ? dir : GRIDLOOP_SOURCE_DIR "/../shared/teddy2020");
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("     skipped: %s not present\n", path);
        return;
    }
    fclose(f);
    struct triage_tsv *t = NULL;
    struct err err = ERR_INIT;
    CHECK_INT_EQ(triage_tsv_read(path, "tokens", "label_l1", &t, &err), 0, "read: %s", err.msg);
    if (!t)
        return;
    const char **tx = xmalloc(t->n * sizeof(char *)), **tl = xmalloc(t->n * sizeof(char *));
    size_t ntrain = 0, ntest = 0, right = 0;
    int *test_row = xcalloc(t->n, sizeof(int));
    for (size_t i = 0; i < t->n; i++) {
        uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ULL;
        test_row[i] = (h >> 32) % 5 == 0;
        if (!test_row[i]) {
            tx[ntrain] = t->texts[i];
            tl[ntrain++] = t->labels[i];
        }
    }
    struct triage_model *m = NULL;
    struct triage_train_opts o = {.threads = 2};
    CHECK_INT_EQ(triage_train(tx, tl, ntrain, &o, &m, &err), 0, "train: %s", err.msg);
    for (size_t i = 0; m && i < t->n; i++) {
        if (!test_row[i])
            continue;
        struct triage_result r;
        triage_classify(m, t->texts[i], &r);
        ntest++;
        right += strcmp(triage_model_label(m, r.label), t->labels[i]) == 0;
    }
    double acc = ntest ? (double)right / (double)ntest : 0;
    printf("     teddy2020: trained on %zu, accuracy %.4f on %zu held out\n", ntrain, acc, ntest);
    CHECK(ntest > 1500 && acc >= 0.92, "accuracy %.4f on %zu held-out messages", acc, ntest);
    triage_model_free(m);
    free(test_row);
    free(tx);
    free(tl);
    triage_tsv_free(t);
}

/* Scores with the widest vector lanes (16 labels at a time, or 8), and with the portable loop,
 * are the same bit for bit: a model of 45 labels (two blocks of 16, a block of 8, a rest of
 * 5), texts of every label and mixtures. On a CPU without AVX-512 the first two are the same
 * path; without AVX2 all three are. */
TEST(triage_scores_same_in_every_lane_width)
{
    enum { LABELS = 45, PER = 4 };
    static const char *const words[] = {"路灯", "井盖", "噪音", "垃圾", "积水",
                                        "占道", "停车", "绿化", "漏水", "施工",
                                        "油烟", "违建", "广告", "宠物", "电梯"};
    struct arena a;
    const char *texts[LABELS * PER], *labels[LABELS * PER];
    arena_init(&a, 4096);
    for (int i = 0; i < LABELS * PER; i++) {
        int l = i % LABELS;
        texts[i] = arena_printf(&a, "第%d类 %s%s 问题%d 编号%d反映情况", l, words[l % 15],
                                words[(l / 15 + i) % 15], l * 7 % 13, i % 5);
        labels[i] = arena_printf(&a, "L%02d", l);
    }
    struct triage_model *m = NULL;
    struct err err = ERR_INIT;
    struct triage_train_opts o = {0};
    CHECK_INT_EQ(triage_train(texts, labels, LABELS * PER, &o, &m, &err), 0, "train: %s", err.msg);
    CHECK_INT_EQ(triage_model_nlabels(m), LABELS, "labels");
    for (int i = 0; i < LABELS * PER + 10; i++) {
        const char *t = i < LABELS * PER ? texts[i] : words[i % 15];
        struct triage_result r[3];
        static const int caps[3] = {16, 8, 0};
        for (int w = 0; w < 3; w++) {
            triage_lanes_cap(caps[w]);
            CHECK_INT_EQ(triage_classify(m, t, &r[w]), 0, "classify");
        }
        for (int w = 1; w < 3; w++) {
            CHECK_INT_EQ(r[w].label, r[0].label, "text %d: label, lanes %d", i, caps[w]);
            CHECK(memcmp(&r[w].prob, &r[0].prob, sizeof(double)) == 0, "text %d: prob %.17g %.17g",
                  i, r[w].prob, r[0].prob);
            for (int k = 0; k < r[0].ntop; k++)
                CHECK(r[w].top[k].label == r[0].top[k].label &&
                          memcmp(&r[w].top[k].prob, &r[0].top[k].prob, sizeof(double)) == 0,
                      "text %d: top %d", i, k);
        }
    }
    triage_lanes_cap(16);
    triage_model_free(m);
    arena_release(&a);
}
