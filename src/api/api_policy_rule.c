/*
 * The JSON form of a policy rule (issue 18 item 4), parsed into the engine's struct policy_rule
 * and written back in one canonical form. A node is one object of exactly one shape:
 *
 *     {"all": [node, ...]}   {"any": [node, ...]}   {"not": node}
 *     {"field": "age", "op": ">=", "value": 60}
 *
 * Everything else is refused naming "rule" with the path of the offending node
 * ("rule.all[1].field: unknown field 'salary'"): unknown members or fields, a field of the other
 * subject, an operator the field does not take, a value of the wrong type, more than
 * POLICY_NODES_MAX nodes or POLICY_DEPTH_MAX levels. A rule has no references or loops, so
 * what parses is evaluated in at most POLICY_NODES_MAX steps (policy.h). Fuzzed by
 * tests/fuzz/fuzz_policy_rule.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "policy/policy.h"

#define PATH_MAX_LEN 160

static int bad(struct err *err, const char *path, const char *what, const char *detail)
{
    return err_field(err, ERR_BAD_REQUEST, "rule", "%s: %s%s%s%s", path, what, detail ? " '" : "",
                     detail ? detail : "", detail ? "'" : "");
}

static int parse_node(const json_t *v, int depth, const char *path, struct policy_rule *r,
                      struct err *err);

static int parse_list(const json_t *arr, int kind, int depth, const char *path, int self,
                      struct policy_rule *r, struct err *err)
{
    if (!json_is_array(arr))
        return bad(err, path, "must be an array of conditions", NULL);
    int prev = -1, i = 0;
    for (const json_t *e = json_array_first(arr); e; e = json_next(e), i++) {
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof(sub), "%s.%s[%d]", path, kind == PN_ALL ? "all" : "any", i);
        int idx = r->count;
        int rc = parse_node(e, depth + 1, sub, r, err);
        if (rc < 0)
            return rc;
        if (prev < 0)
            r->n[self].first = (int8_t)idx;
        else
            r->n[prev].next = (int8_t)idx;
        prev = idx;
    }
    if (i == 0)
        return bad(err, path, "an empty list of conditions", NULL);
    return 0;
}

static int parse_cmp(const json_t *v, const char *path, struct policy_node *nd,
                     enum policy_subject subject, struct err *err)
{
    const char *fname = NULL, *opname = NULL;
    const json_t *value = NULL;
    for (const json_t *m = json_object_first(v); m; m = json_next(m)) {
        const char *k = json_member_name(m);
        if (!strcmp(k, "field"))
            fname = json_string(m);
        else if (!strcmp(k, "op"))
            opname = json_string(m);
        else if (!strcmp(k, "value"))
            value = m;
        else
            return bad(err, path, "unknown member", k);
    }
    if (!fname)
        return bad(err, path, "a condition needs a text 'field'", NULL);
    int f = policy_field_from_name(fname);
    if (f < 0)
        return bad(err, path, "unknown field", fname);
    if (policy_field_subject(f) != subject)
        return bad(err, path,
                   subject == POLICY_PERSON ? "not a field of a person" : "not a field of a firm",
                   fname);
    if (!opname)
        return bad(err, path, "a condition needs a text 'op'", NULL);
    int op = policy_op_from_name(opname);
    if (op < 0 || !policy_op_allowed(f, op))
        return bad(err, path, "operator not allowed for this field", opname);
    if (!value)
        return bad(err, path, "a condition needs a 'value'", NULL);
    nd->kind = PN_CMP;
    nd->field = (uint8_t)f;
    nd->op = (uint8_t)op;
    if (policy_field_is_text(f)) {
        const char *s = json_string(value);
        if (!s || !*s || strlen(s) > POLICY_TEXT_MAX)
            return bad(err, path, "value must be a text of 1 to 60 bytes", NULL);
        snprintf(nd->text, sizeof(nd->text), "%s", s);
        return 0;
    }
    if (f == PF_SIZE) {
        int size = policy_size_from_name(json_string(value));
        if (size < 0)
            return bad(err, path, "value must be micro, small, medium or large", NULL);
        nd->num = size;
        return 0;
    }
    double d = json_number(value, NAN);
    if (isnan(d) || d != floor(d) || fabs(d) > (double)POLICY_VALUE_MAX)
        return bad(err, path, "value must be a whole number", NULL);
    nd->num = (int64_t)d;
    return 0;
}

static int parse_node(const json_t *v, int depth, const char *path, struct policy_rule *r,
                      struct err *err)
{
    if (depth > POLICY_DEPTH_MAX)
        return bad(err, path, "nests too deep", NULL);
    if (r->count >= POLICY_NODES_MAX)
        return bad(err, path, "too many conditions", NULL);
    if (!json_is_object(v))
        return bad(err, path, "must be an object", NULL);
    int self = r->count++;
    struct policy_node *nd = &r->n[self];
    memset(nd, 0, sizeof(*nd));
    nd->first = nd->next = -1;
    const json_t *m = json_object_first(v);
    if (!m)
        return bad(err, path, "an empty condition", NULL);
    const char *k = json_member_name(m);
    int kind = !strcmp(k, "all")   ? PN_ALL
               : !strcmp(k, "any") ? PN_ANY
               : !strcmp(k, "not") ? PN_NOT
                                   : PN_CMP;
    if (kind == PN_CMP)
        return parse_cmp(v, path, nd, r->subject, err);
    if (json_next(m))
        return bad(err, path, "all, any or not must be the only member", NULL);
    nd->kind = (uint8_t)kind;
    if (kind != PN_NOT)
        return parse_list(m, kind, depth, path, self, r, err);
    char sub[PATH_MAX_LEN];
    snprintf(sub, sizeof(sub), "%s.not", path);
    int idx = r->count;
    int rc = parse_node(m, depth + 1, sub, r, err);
    if (rc < 0)
        return rc;
    r->n[self].first = (int8_t)idx;
    return 0;
}

int api_policy_rule_parse(const json_t *v, int subject, struct policy_rule *out, struct err *err)
{
    memset(out, 0, offsetof(struct policy_rule, n));
    if ((unsigned)subject >= POLICY_SUBJECT_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "subject", "subject must be person or firm");
    out->subject = (enum policy_subject)subject;
    out->count = 0;
    if (!v)
        return err_field(err, ERR_BAD_REQUEST, "rule", "rule is required");
    int rc = parse_node(v, 0, "rule", out, err);
    if (rc < 0)
        return rc;
    return policy_rule_check(out, err);
}

int api_policy_rule_parse_text(const char *text, int subject, struct policy_rule *out,
                               struct err *err)
{
    json_t *v = NULL;
    int rc = json_parse(text, strlen(text), &v, err);
    if (rc == 0)
        rc = api_policy_rule_parse(v, subject, out, err);
    json_free(v);
    return rc;
}

static void node_json(struct jw *w, const struct policy_rule *r, int i)
{
    const struct policy_node *nd = &r->n[i];
    jw_obj(w);
    if (nd->kind == PN_CMP) {
        jw_kstr(w, "field", policy_field_name(nd->field));
        jw_kstr(w, "op", policy_op_name(nd->op));
        if (policy_field_is_text(nd->field))
            jw_kstr(w, "value", nd->text);
        else if (nd->field == PF_SIZE)
            jw_kstr(w, "value", policy_size_name((int)nd->num));
        else
            jw_kint(w, "value", nd->num);
    } else if (nd->kind == PN_NOT) {
        jw_key(w, "not");
        node_json(w, r, nd->first);
    } else {
        jw_key(w, nd->kind == PN_ALL ? "all" : "any");
        jw_arr(w);
        for (int k = nd->first; k != -1; k = r->n[k].next)
            node_json(w, r, k);
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

void api_policy_rule_json(struct jw *w, const struct policy_rule *r)
{
    node_json(w, r, 0);
}
