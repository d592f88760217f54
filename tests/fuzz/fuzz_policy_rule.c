/*
 * libFuzzer target: policy rules (issue 18 item 4). Arbitrary bytes go through json_parse() and,
 * when they parse, through the rule parser for both subjects (src/api/api_policy_rule.c). A rule
 * that parses must pass the engine's structural check, evaluate against a few profiles without
 * reading outside its nodes, describe every node within its buffer, and write back a JSON text
 * that parses to the same rule. Any crash or mismatch is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "json/json.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy_rule rule, again;

static void exercise(const json_t *v, int subject)
{
    struct err err = {0};
    if (api_policy_rule_parse(v, subject, &rule, &err) < 0)
        return;
    if (policy_rule_check(&rule, &err) < 0)
        abort();
    const struct policy_profile profiles[] = {
        {.subject = POLICY_PERSON,
         .name = "",
         .hukou_code = "",
         .hukou_name = "",
         .industry = "",
         .size = -1},
        {.subject = POLICY_PERSON,
         .birth_ymd = 19500101,
         .hukou_code = "330179001",
         .hukou_name = "",
         .disability = 2,
         .income_band = 3,
         .children = 2,
         .industry = "",
         .size = -1,
         .name = ""},
        {.subject = POLICY_FIRM,
         .industry = "制造业",
         .size = 1,
         .employees = 50,
         .tax = 100000,
         .registered_ymd = 20200101,
         .name = "",
         .hukou_code = "",
         .hukou_name = ""},
    };
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        struct policy_why why;
        int ok = policy_eval(&rule, &profiles[i], 20261205, &why);
        if (ok != policy_eval(&rule, &profiles[i], 20261205, NULL) || ok != why.qualifies)
            abort();
        if (why.nmissing < 0 || why.nmissing > POLICY_WHY_MAX || why.nmet > POLICY_WHY_MAX)
            abort();
    }
    char text[POLICY_DESC_MAX];
    for (int i = 0; i < rule.count; i++) {
        policy_describe(&rule, i, text, sizeof(text));
        if (strlen(text) >= sizeof(text))
            abort();
    }
    struct jw w;
    jw_init(&w);
    api_policy_rule_json(&w, &rule);
    if (api_policy_rule_parse_text(w.b.p, subject, &again, &err) < 0 || again.count != rule.count)
        abort();
    jw_release(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    json_t *v = NULL;
    struct err err = {0};
    if (json_parse((const char *)data, size, &v, &err) < 0)
        return 0;
    exercise(v, POLICY_PERSON);
    exercise(v, POLICY_FIRM);
    json_free(v);
    return 0;
}
