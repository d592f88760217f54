/*
 * Tests for risk: the features and the score they give, and re-fitting the weights to the
 * decisions people made (risk_refit: pure).
 */
#include <string.h>

#include "core/mem.h"
#include "risk/risk.h"
#include "test.h"

static const struct risk_rule RULES[] = {
    {1, "word", "纠纷", 40, "矛盾纠纷", 1, 0},
    {2, "word", "持刀", 25, "持刀", 1, 0},
    {3, "history", "repeat", 5, "重复诉求（每件）", 1, 0},
    {4, "word", "上访", 20, "扬言上访", 0, 0}, /* inactive */
    {5, "word", "拆迁", 15, "征地拆迁", 1, 0}, /* no example meets it */
};
#define NRULES (sizeof(RULES) / sizeof(RULES[0]))

TEST(risk_features_count_each_rule)
{
    double x[NRULES];
    struct risk_facts f = {"邻里纠纷 对方持刀 还说要上访", "", 7, 0, 0};
    risk_features(RULES, NRULES, &f, x);
    CHECK(x[0] == 1 && x[1] == 1, "words met");
    CHECK(x[2] == RISK_HISTORY_MAX, "repeats capped: %g", x[2]);
    CHECK(x[3] == 0, "an inactive rule counts nothing");
    CHECK(x[4] == 0, "a word not said");
    struct risk_score s;
    risk_assess(RULES, NRULES, &f, &s);
    CHECK(s.score == 40 + 25 + 5 * RISK_HISTORY_MAX && s.level == RISK_HIGH, "score %g", s.score);
    CHECK(s.nreasons == 3 && strcmp(s.reasons[2].label, "重复诉求（每件）") == 0, "reasons");
}

TEST(risk_refit_follows_the_decisions)
{
    struct arena a;
    arena_init(&a, 4096);
    /* Ten plain 纠纷 cases graded 中 (40) that people lowered to 低, and five with a knife
     * that they confirmed 高 (40 + 25 = 65): 纠纷 weighs too much, and 持刀 must make up for
     * it. */
    struct risk_example ex[15];
    static double xs[15][NRULES];
    for (int e = 0; e < 15; e++) {
        memset(xs[e], 0, sizeof(xs[e]));
        xs[e][0] = 1;
        xs[e][1] = e >= 10;
        ex[e].x = xs[e];
        ex[e].target = e >= 10 ? RISK_HIGH : RISK_LOW;
    }
    struct risk_refit_result r;
    risk_refit(RULES, NRULES, ex, 15, &a, &r);
    CHECK(r.examples == 15 && r.agree_before == 5, "before: %zu of 15", r.agree_before);
    CHECK(r.agree_after == 15, "after: %zu of 15", r.agree_after);
    CHECK(r.weights[0] < RISK_MEDIUM_AT, "纠纷 lowered to %g", r.weights[0]);
    CHECK(r.weights[0] + r.weights[1] >= RISK_HIGH_AT, "with a knife %g",
          r.weights[0] + r.weights[1]);
    CHECK(r.weights[1] > 25, "持刀 raised to %g", r.weights[1]);
    CHECK(r.weights[2] == 5 && r.weights[4] == 15, "rules no example meets keep their weight");
    CHECK(r.weights[3] == 20, "an inactive rule is left alone");
    CHECK(r.met[0] == 15 && r.met[1] == 5 && r.met[4] == 0, "met counts");

    /* Decisions the weights already give change nothing. */
    for (int e = 0; e < 15; e++)
        ex[e].target = e >= 10 ? RISK_HIGH : RISK_MEDIUM;
    risk_refit(RULES, NRULES, ex, 15, &a, &r);
    CHECK(r.agree_before == 15 && r.agree_after == 15, "agree %zu %zu", r.agree_before,
          r.agree_after);
    for (size_t i = 0; i < NRULES; i++)
        CHECK(r.weights[i] == RULES[i].weight, "rule %zu moved to %g", i, r.weights[i]);

    /* No decisions: nothing to fit. */
    risk_refit(RULES, NRULES, ex, 0, &a, &r);
    CHECK(r.examples == 0 && r.weights[0] == 40, "empty");
    arena_release(&a);
}
