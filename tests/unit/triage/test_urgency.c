#include <string.h>

#include "test.h"
#include "triage/triage.h"

static int has_rule(const struct triage_urgency *u, const char *name)
{
    for (int i = 0; i < u->nrules; i++)
        if (strcmp(u->rules[i], name) == 0)
            return 1;
    return 0;
}

TEST(triage_urgency_rules_fire)
{
    static const struct {
        const char *text, *rule;
        int level;
    } rows[] = {
        {"楼道里有很重的煤气味，怕出事", "燃气泄漏", 2},
        {"3栋2单元天然气管道好像在漏气", "燃气泄漏", 2},
        {"小区垃圾站着火了，火很大", "火情", 2},
        {"配电箱冒烟，有焦糊味", "冒烟", 1},
        {"老人在路边摔倒受伤流血", "人员受伤", 2},
        {"楼上独居老人已经三天联系不上了，敲门也没反应", "独居老人失联", 2},
        {"暴雨后地下车库积水严重，水都漫进一楼了", "积水内涝", 1},
        {"路口电线掉落在人行道上", "电线掉落", 2},
        {"老房子一面墙倒塌了", "建筑倒塌", 2},
        {"3号楼电梯困人，里面有两个人", "电梯困人", 2},
        {"我家孩子在公园走失了", "儿童走失", 2},
        {"ＸＸ路口ＸＸ井盖丢失，晚上看不清", "井盖缺失", 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct triage_urgency u;
        triage_urgency(rows[i].text, &u);
        CHECK(has_rule(&u, rows[i].rule), "'%s' should fire %s", rows[i].text, rows[i].rule);
        CHECK(u.level >= rows[i].level, "'%s' level %d, want >= %d", rows[i].text, u.level,
              rows[i].level);
        CHECK(u.score > 0 && u.score <= 1, "'%s' score %f", rows[i].text, u.score);
    }
}

TEST(triage_urgency_negation_does_not_fire)
{
    static const char *const texts[] = {
        "刚才检查过了，没有着火，只是有点焦味的错觉",
        "物业说不是燃气泄漏，是下水道的味道",
        "楼道里有股怪味，不是燃气，应该是垃圾",
        "孩子没有走失，已经找到了，谢谢",
        "电梯没有困人，只是按钮坏了",
        "雨停了路面无积水，谢谢",
        "幸好没有人受伤",
        "建议加强消防检查，消除火灾隐患",
        "预防火灾，请清理楼道杂物",
        "咨询公积金提取的办理流程",
    };
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        struct triage_urgency u;
        triage_urgency(texts[i], &u);
        CHECK_INT_EQ(u.level, 0, "'%s' must not be urgent (rule %s)", texts[i],
                     u.nrules ? u.rules[0] : "-");
    }
}

TEST(triage_urgency_false_negators_still_fire)
{
    struct triage_urgency u;
    triage_urgency("老人不慎摔伤，非常危险", &u);
    CHECK(has_rule(&u, "人员受伤"), "不慎 is not a negation");
    CHECK(has_rule(&u, "紧急措辞"), "非常危险 is urgent wording");
    CHECK_INT_EQ(u.level, 2, "injury is an emergency");
    triage_urgency("未成年人受伤了", &u);
    CHECK(has_rule(&u, "人员受伤"), "未成年 is not a negation");
}

TEST(triage_urgency_score_combines)
{
    struct triage_urgency one, two, none;
    triage_urgency("小区停电了", &one);
    triage_urgency("小区停电了，地下室积水，非常紧急", &two);
    triage_urgency("建议增加公交线路", &none);
    CHECK_INT_EQ(none.level, 0, "ordinary request");
    CHECK_INT_EQ(none.nrules, 0, "no rule");
    CHECK(none.score == 0.0, "score %f", none.score);
    CHECK_INT_EQ(one.level, 1, "power cut alone is urgent");
    CHECK(two.score > one.score, "more evidence, higher score (%f vs %f)", two.score, one.score);
    CHECK_INT_EQ(two.level, 2, "several urgent signs together become an emergency (score %f)",
                 two.score);
    CHECK(two.nrules == 3, "three rules named, got %d", two.nrules);
    CHECK_STR_EQ(two.rules[0], "积水内涝", "heaviest rule first");
}

TEST(triage_urgency_odd_input)
{
    struct triage_urgency u;
    triage_urgency("", &u);
    CHECK_INT_EQ(u.level, 0, "empty");
    triage_urgency(NULL, &u);
    CHECK_INT_EQ(u.level, 0, "null");
    triage_urgency("\xE7\x9D\x80\xFF\xE7\x81\xAB", &u); /* 着 <bad byte> 火 */
    CHECK(has_rule(&u, "火情"), "invalid bytes are dropped between two characters");
    char big[40000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    triage_urgency(big, &u);
    CHECK_INT_EQ(u.level, 0, "long text");
}

TEST(triage_urgency_risk_and_background_are_urgent_only)
{
    struct triage_urgency u;
    triage_urgency("老楼外墙开裂，随时可能倒塌", &u);
    CHECK(has_rule(&u, "建筑倒塌"), "the rule is named");
    CHECK_INT_EQ(u.level, 1, "a risk of collapse is urgent, not an emergency");
    triage_urgency("老楼外墙倒塌了", &u);
    CHECK_INT_EQ(u.level, 2, "a collapse is an emergency");

    /* A long petition that mentions an old injury far from its start. */
    char text[4096] = "关于工伤认定结果的申诉。";
    while (strlen(text) < 1500)
        strcat(text, "我们多次向有关部门反映情况，希望得到公正处理。");
    strcat(text, "当年我在工地上受伤。");
    triage_urgency(text, &u);
    CHECK(has_rule(&u, "人员受伤"), "still named");
    CHECK_INT_EQ(u.level, 1, "background injury is urgent at most");
}

/* The public register names the rules in use by a checksum of them: 16 hex digits, the same on
 * every call, different for the urgency rules and the reply check. */
TEST(triage_rule_versions_are_checksums)
{
    char u1[TRIAGE_VERSION_SIZE], u2[TRIAGE_VERSION_SIZE], r1[TRIAGE_VERSION_SIZE];
    triage_urgency_version(u1);
    triage_urgency_version(u2);
    triage_reply_version(r1);
    CHECK(strlen(u1) == 16 && strspn(u1, "0123456789abcdef") == 16, "urgency version '%s'", u1);
    CHECK(strlen(r1) == 16 && strspn(r1, "0123456789abcdef") == 16, "reply version '%s'", r1);
    CHECK_STR_EQ(u1, u2, "stable");
    CHECK(strcmp(u1, r1) != 0, "two rule sets, two versions");
}
