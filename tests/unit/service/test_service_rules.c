/*
 * Tests for the pure rules of services (src/service/service_rules.c): which steps a task takes
 * from which state, an application's outcome from its tasks', field keys, and the wording of
 * what decided a 秒批 (each met condition with the profile's value) or sent it to a person.
 */
#include "service/service.h"

#include <string.h>

#include "core/err.h"
#include "policy/policy.h"
#include "test.h"

TEST(service_steps_follow_the_life_cycle)
{
    struct err err = {0};
    CHECK_INT_EQ(service_step_next(ST_ISSUED, SS_ACCEPT, &err), ST_ACCEPTED, "%s", "accept");
    CHECK_INT_EQ(service_step_next(ST_ISSUED, SS_APPROVE, &err), ST_APPROVED, "%s", "on the spot");
    CHECK_INT_EQ(service_step_next(ST_ACCEPTED, SS_APPROVE, &err), ST_APPROVED, "%s", "approve");
    CHECK_INT_EQ(service_step_next(ST_ACCEPTED, SS_REFUSE, &err), ST_REFUSED, "%s", "refuse");
    CHECK_INT_EQ(service_step_next(ST_ACCEPTED, SS_ACCEPT, &err), ERR_CONFLICT, "%s", "twice");
    CHECK_STR_EQ(err.field, "state", "%s", "names the state");
    CHECK_INT_EQ(service_step_next(ST_APPROVED, SS_REFUSE, &err), ERR_CONFLICT, "%s", "decided");
    CHECK_INT_EQ(service_step_next(ST_REFUSED, SS_APPROVE, &err), ERR_CONFLICT, "%s", "decided");
}

TEST(service_outcome_waits_for_every_task)
{
    enum service_task_state open[] = {ST_APPROVED, ST_ACCEPTED, ST_REFUSED};
    enum service_task_state done[] = {ST_APPROVED, ST_APPROVED};
    enum service_task_state refused[] = {ST_APPROVED, ST_REFUSED, ST_APPROVED};
    CHECK_INT_EQ(service_outcome(open, 3), SA_OPEN, "%s", "one still open");
    CHECK_INT_EQ(service_outcome(done, 2), SA_APPROVED, "%s", "all approved");
    CHECK_INT_EQ(service_outcome(refused, 3), SA_REFUSED, "%s", "one refused");
    CHECK_INT_EQ(service_outcome(NULL, 0), SA_OPEN, "%s", "no tasks");
}

TEST(service_keys)
{
    CHECK_INT_EQ(service_key_ok("child_name"), 1, "%s", "plain");
    CHECK_INT_EQ(service_key_ok("a2"), 1, "%s", "digits");
    CHECK_INT_EQ(service_key_ok(""), 0, "%s", "empty");
    CHECK_INT_EQ(service_key_ok("2a"), 0, "%s", "leading digit");
    CHECK_INT_EQ(service_key_ok("Child"), 0, "%s", "capital");
    CHECK_INT_EQ(service_key_ok("a-b"), 0, "%s", "dash");
    CHECK_INT_EQ(service_key_ok("abcdefghijklmnopqrstuvwxyzabcdefg"), 0, "%s", "33 bytes");
    CHECK_INT_EQ(service_key_ok(NULL), 0, "%s", "none");
}

/* all(age >= 80, hukou in 330179 labelled 澜溪区) */
static void elder_rule(struct policy_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->subject = POLICY_PERSON;
    r->n[0].kind = PN_ALL;
    r->n[0].first = 1;
    r->n[0].next = -1;
    r->n[1].kind = PN_CMP;
    r->n[1].field = PF_AGE;
    r->n[1].op = PO_GE;
    r->n[1].num = 80;
    r->n[1].first = -1;
    r->n[1].next = 2;
    r->n[2].kind = PN_CMP;
    r->n[2].field = PF_HUKOU;
    r->n[2].op = PO_IN;
    strcpy(r->n[2].text, "330179");
    strcpy(r->n[2].label, "澜溪区");
    r->n[2].first = r->n[2].next = -1;
    r->count = 3;
}

TEST(service_basis_names_the_data)
{
    struct policy_rule r;
    struct policy_why why;
    struct err err = {0};
    char out[SERVICE_BASIS_MAX];
    elder_rule(&r);
    CHECK_INT_EQ(policy_rule_check(&r, &err), 0, "%s", "rule");
    struct policy_profile p;
    memset(&p, 0, sizeof(p));
    p.subject = POLICY_PERSON;
    p.name = p.industry = "";
    p.hukou_code = "330179001";
    p.hukou_name = "青石街道";
    p.birth_ymd = 19440105;
    CHECK_INT_EQ(policy_eval(&r, &p, 20261205, &why), 1, "%s", "qualifies");
    service_basis(&r, &why, &p, out, sizeof(out));
    CHECK_STR_EQ(out,
                 "核验通过：年满 80 周岁（出生日期：1944-01-05）；户籍在澜溪区（户籍：青石街道）",
                 "%s", "basis");

    p.birth_ymd = 19560105;
    CHECK_INT_EQ(policy_eval(&r, &p, 20261205, &why), 0, "%s", "too young");
    service_basis(&r, &why, &p, out, sizeof(out));
    CHECK_STR_EQ(out, "数据未能核验，转人工办理：再满足：年满 80 周岁", "%s", "missing");

    /* a small buffer keeps whole pieces only, never half a character */
    char small[80];
    p.birth_ymd = 19440105;
    policy_eval(&r, &p, 20261205, &why);
    service_basis(&r, &why, &p, small, sizeof(small));
    CHECK_STR_EQ(small, "核验通过：年满 80 周岁（出生日期：1944-01-05）", "%s", "whole pieces");
}
