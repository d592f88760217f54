/*
 * Tests for the policy engine (src/policy/policy_rule.c): evaluation of all / any / not with the
 * explanation of what is missing, unknown values never satisfying a comparison, full years,
 * the structural check refusing links that could loop or skip nodes, and the descriptions.
 */
#include "policy/policy.h"

#include <string.h>

#include "core/err.h"
#include "test.h"

static struct policy_node cmp(int field, int op, int64_t num, const char *text)
{
    struct policy_node n;
    memset(&n, 0, sizeof(n));
    n.kind = PN_CMP;
    n.field = (uint8_t)field;
    n.op = (uint8_t)op;
    n.num = num;
    n.first = n.next = -1;
    if (text)
        strncpy(n.text, text, sizeof(n.text) - 1);
    return n;
}

static struct policy_node group(int kind, int first)
{
    struct policy_node n;
    memset(&n, 0, sizeof(n));
    n.kind = (uint8_t)kind;
    n.first = (int8_t)first;
    n.next = -1;
    return n;
}

/* all(years_registered >= 1, employees >= 10, any(size <= small, tax >= 1000000)) */
static void firm_rule(struct policy_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->subject = POLICY_FIRM;
    r->n[0] = group(PN_ALL, 1);
    r->n[1] = cmp(PF_YEARS_REGISTERED, PO_GE, 1, NULL);
    r->n[1].next = 2;
    r->n[2] = cmp(PF_EMPLOYEES, PO_GE, 10, NULL);
    r->n[2].next = 3;
    r->n[3] = group(PN_ANY, 4);
    r->n[4] = cmp(PF_SIZE, PO_LE, 1, NULL);
    r->n[4].next = 5;
    r->n[5] = cmp(PF_TAX, PO_GE, 1000000, NULL);
    r->count = 6;
}

static struct policy_profile firm(int registered, int64_t employees, int size, int64_t tax)
{
    struct policy_profile p;
    memset(&p, 0, sizeof(p));
    p.subject = POLICY_FIRM;
    p.name = p.hukou_code = p.hukou_name = p.industry = "";
    p.registered_ymd = registered;
    p.employees = employees;
    p.size = size;
    p.tax = tax;
    return p;
}

TEST(policy_eval_explains_what_is_missing)
{
    struct policy_rule r;
    struct err err = {0};
    struct policy_why why;
    char text[POLICY_DESC_MAX];
    firm_rule(&r);
    CHECK_INT_EQ(policy_rule_check(&r, &err), 0, "%s", "policy engine");

    struct policy_profile young = firm(20260601, 20, 0, 0);
    CHECK_INT_EQ(policy_eval(&r, &young, 20261205, &why), 0, "%s", "policy engine");
    CHECK_INT_EQ(why.nmissing, 1, "%s", "policy engine");
    policy_describe(&r, why.missing[0], text, sizeof(text));
    CHECK_STR_EQ(text, "企业成立满 1 年", "%s", "policy engine");

    /* one day short of a year is still short; the anniversary is enough */
    struct policy_profile day = firm(20251206, 20, 0, 0);
    CHECK_INT_EQ(policy_eval(&r, &day, 20261205, NULL), 0, "%s", "policy engine");
    day.registered_ymd = 20251205;
    CHECK_INT_EQ(policy_eval(&r, &day, 20261205, &why), 1, "%s", "policy engine");
    CHECK_INT_EQ(why.nmissing, 0, "%s", "policy engine");

    /* a large firm misses the 'any' as a whole, named with both branches */
    struct policy_profile big = firm(20200101, 20, 3, 10);
    CHECK_INT_EQ(policy_eval(&r, &big, 20261205, &why), 0, "%s", "policy engine");
    CHECK_INT_EQ(why.nmissing, 1, "%s", "policy engine");
    policy_describe(&r, why.missing[0], text, sizeof(text));
    CHECK_STR_EQ(text, "满足其一（企业规模不超过小型企业；上年纳税额不少于 1000000 元）", "%s",
                 "policy engine");
    big.tax = 2000000;
    CHECK_INT_EQ(policy_eval(&r, &big, 20261205, NULL), 1, "%s", "policy engine");

    /* unknown size and registration date satisfy nothing; a person never qualifies */
    struct policy_profile unknown = firm(0, 20, -1, 0);
    CHECK_INT_EQ(policy_eval(&r, &unknown, 20261205, &why), 0, "%s", "policy engine");
    CHECK_INT_EQ(why.nmissing, 2, "%s", "policy engine");
    young.subject = POLICY_PERSON;
    CHECK_INT_EQ(policy_eval(&r, &young, 20261205, NULL), 0, "%s", "policy engine");
}

TEST(policy_eval_person_not_and_region_subtree)
{
    struct policy_rule r;
    struct err err = {0};
    struct policy_why why;
    char text[POLICY_DESC_MAX];
    memset(&r, 0, sizeof(r));
    r.subject = POLICY_PERSON;
    r.n[0] = group(PN_ALL, 1);
    r.n[1] = cmp(PF_HUKOU, PO_IN, 0, "330179");
    strcpy(r.n[1].label, "城关区");
    r.n[1].next = 2;
    r.n[2] = cmp(PF_AGE, PO_GE, 60, NULL);
    r.n[2].next = 3;
    r.n[3] = group(PN_NOT, 4);
    r.n[4] = cmp(PF_INCOME_BAND, PO_GT, 3, NULL);
    r.count = 5;
    CHECK_INT_EQ(policy_rule_check(&r, &err), 0, "%s", "policy engine");

    struct policy_profile p;
    memset(&p, 0, sizeof(p));
    p.subject = POLICY_PERSON;
    p.name = p.hukou_name = p.industry = "";
    p.hukou_code = "330179001002";
    p.birth_ymd = 19661205;
    p.income_band = 2;
    CHECK_INT_EQ(policy_eval(&r, &p, 20261205, &why), 1, "%s", "policy engine");
    CHECK_INT_EQ(why.nmet, 3, "%s", "policy engine");
    p.birth_ymd = 19661206; /* 60 tomorrow */
    p.hukou_code = "330180";
    p.income_band = 5;
    CHECK_INT_EQ(policy_eval(&r, &p, 20261205, &why), 0, "%s", "policy engine");
    CHECK_INT_EQ(why.nmissing, 3, "%s", "policy engine");
    policy_describe(&r, why.missing[0], text, sizeof(text));
    CHECK_STR_EQ(text, "户籍在城关区", "%s", "policy engine");
    policy_describe(&r, why.missing[1], text, sizeof(text));
    CHECK_STR_EQ(text, "年满 60 周岁", "%s", "policy engine");
    policy_describe(&r, why.missing[2], text, sizeof(text));
    CHECK_STR_EQ(text, "不满足（家庭收入档次大于 3 档）", "%s", "policy engine");
}

TEST(policy_rule_check_refuses_loops_and_strays)
{
    struct policy_rule r;
    struct err err = {0};
    firm_rule(&r);
    r.n[5].next = 1; /* a sibling link back: a loop */
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");
    CHECK_STR_EQ(err.field, "rule", "%s", "policy engine");

    firm_rule(&r);
    r.n[3].first = 3; /* a group that is its own child */
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");

    /* node 3 under two parents: all(any(3), not(3)), no loop but reached twice */
    memset(&r, 0, sizeof(r));
    r.subject = POLICY_FIRM;
    r.n[0] = group(PN_ALL, 1);
    r.n[1] = group(PN_ANY, 3);
    r.n[1].next = 2;
    r.n[2] = group(PN_NOT, 3);
    r.n[3] = cmp(PF_TAX, PO_GE, 1, NULL);
    r.count = 4;
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");
    CHECK(strstr(err.msg, "links") != NULL, "%s", err.msg);

    firm_rule(&r);
    r.count = 7; /* a node nothing reaches */
    r.n[6] = cmp(PF_TAX, PO_GE, 1, NULL);
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");

    firm_rule(&r);
    r.n[1].field = PF_AGE; /* a person's field in a firm's rule */
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");

    firm_rule(&r);
    r.n[2].op = PO_IN; /* 'in' only for regions */
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");

    /* POLICY_DEPTH_MAX + 1 levels of 'not' */
    memset(&r, 0, sizeof(r));
    r.subject = POLICY_PERSON;
    for (int i = 0; i <= POLICY_DEPTH_MAX; i++)
        r.n[i] = group(PN_NOT, i + 1);
    r.n[POLICY_DEPTH_MAX + 1] = cmp(PF_AGE, PO_GE, 1, NULL);
    r.count = POLICY_DEPTH_MAX + 2;
    CHECK(policy_rule_check(&r, &err) < 0, "%s", "policy engine");
    memset(&r, 0, sizeof(r)); /* POLICY_DEPTH_MAX levels are allowed */
    r.subject = POLICY_PERSON;
    for (int i = 0; i < POLICY_DEPTH_MAX; i++)
        r.n[i] = group(PN_NOT, i + 1);
    r.n[POLICY_DEPTH_MAX] = cmp(PF_AGE, PO_GE, 1, NULL);
    r.count = POLICY_DEPTH_MAX + 1;
    CHECK_INT_EQ(policy_rule_check(&r, &err), 0, "%s", "policy engine");
}

TEST(policy_years_between_counts_full_years)
{
    CHECK_INT_EQ(policy_years_between(20000229, 20010228), 0, "%s", "policy engine");
    CHECK_INT_EQ(policy_years_between(20000229, 20010301), 1, "%s", "policy engine");
    CHECK_INT_EQ(policy_years_between(19661205, 20261205), 60, "%s", "policy engine");
    CHECK_INT_EQ(policy_years_between(0, 20261205), -1, "%s", "policy engine");
    CHECK_INT_EQ(policy_years_between(20261206, 20261205), -1, "%s", "policy engine");
}

TEST(policy_describe_cuts_within_its_buffer)
{
    struct policy_rule r;
    char text[20];
    firm_rule(&r);
    policy_describe(&r, 0, text, sizeof(text));
    CHECK(strlen(text) < sizeof(text), "%s", "policy engine");
    CHECK_STR_EQ(text, "同时满足（企", "%s", "policy engine"); /* cut on a character boundary */
    policy_describe(&r, 99, text, sizeof(text));
    CHECK_STR_EQ(text, "", "%s", "policy engine");
}
