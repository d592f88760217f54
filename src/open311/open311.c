/*
 * Open311 mapping rules that need no database: statuses and attribute answers.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/num.h"
#include "open311/open311.h"

/* Closed means the department's work is done: a replied case waits for the citizen's
 * evaluation, and an unsatisfied one comes back as rectifying (open again). */
int open311_status_closed(const char *state)
{
    static const char *const closed[] = {"replied", "closed", "cancelled", "merged"};
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
        if (strcmp(state, closed[i]) == 0)
            return 1;
    return 0;
}

const char *open311_status_extended(const char *state, int solved)
{
    static const struct {
        const char *state, *status;
    } map[] = {
        {"new", "open"},
        {"dispatched", "investigating"},
        {"returned", "internal_referral"},
        {"processing", "in_progress"},
        {"hanging", "planned"},
        /* Not "reopen": FixMyStreet sends that status but maps what it reads to its own
         * states, has none called reopen and ignores the update; "open" is its confirmed. */
        {"rectifying", "open"},
        {"cancelled", "cancelled"},
        {"merged", "duplicate"},
    };
    if (strcmp(state, "replied") == 0 || strcmp(state, "closed") == 0)
        return solved > 0 ? "fixed" : solved == 0 ? "no_further_action" : "closed";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(state, map[i].state) == 0)
            return map[i].status;
    return "open";
}

int open311_status_valid(const char *s)
{
    static const char *const all[] = {"open",
                                      "closed",
                                      "fixed",
                                      "in_progress",
                                      "planned",
                                      "action_scheduled",
                                      "investigating",
                                      "duplicate",
                                      "not_councils_responsibility",
                                      "no_further_action",
                                      "internal_referral",
                                      "cancelled",
                                      "reopen",
                                      "for_triage",
                                      "unchanged"};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcasecmp(s, all[i]) == 0)
            return 1;
    return 0;
}

static const char *const datatype_names[O311_DATATYPE_COUNT] = {
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist",
};

const char *open311_datatype_name(enum open311_datatype t)
{
    return (unsigned)t < O311_DATATYPE_COUNT ? datatype_names[t] : "string";
}

/* What an answer of each datatype looks like, for attributes whose own description is empty. */
static const char *const datatype_descriptions[O311_DATATYPE_COUNT] = {
    "一行文字",
    "数字",
    "W3C 日期时间，如 2026-12-02T08:00:00+08:00",
    "文字，可多行",
    "从所列选项中选一项",
    "从所列选项中选一项或多项",
};

const char *open311_attr_datatype_description(const struct open311_attr *attr)
{
    if (attr->datatype_description && *attr->datatype_description)
        return attr->datatype_description;
    return (unsigned)attr->datatype < O311_DATATYPE_COUNT ? datatype_descriptions[attr->datatype]
                                                          : datatype_descriptions[0];
}

int open311_datatype_from_name(const char *name)
{
    for (int i = 0; name && i < O311_DATATYPE_COUNT; i++)
        if (strcmp(name, datatype_names[i]) == 0)
            return i;
    return -1;
}

static int known_key(const struct open311_attr *attr, const char *v)
{
    for (size_t i = 0; i < attr->nvalues; i++)
        if (strcmp(attr->values[i].key, v) == 0)
            return 1;
    return 0;
}

static int bad(struct err *err, const struct open311_attr *attr, const char *fmt, const char *v)
{
    char field[ERR_FIELD_MAX];
    snprintf(field, sizeof(field), "attribute[%s]", attr->code);
    return err_field(err, ERR_BAD_REQUEST, field, fmt, attr->code, v);
}

int open311_attr_check(const struct open311_attr *attr, const char *const *values, size_t nvalues,
                       struct err *err)
{
    size_t given = 0;
    for (size_t i = 0; i < nvalues; i++)
        given += values[i][0] != '\0';
    if (!attr->variable)
        return given ? bad(err, attr, "attribute '%s' is information only and takes no value%s", "")
                     : 0;
    if (!given)
        return attr->required ? bad(err, attr, "attribute '%s' is required%s", "") : 0;
    if (attr->datatype != O311_MULTIVALUELIST && nvalues > 1)
        return bad(err, attr, "attribute '%s' takes one value%s", "");
    for (size_t i = 0; i < nvalues; i++) {
        const char *v = values[i];
        int64_t t;
        if (!*v && attr->datatype != O311_MULTIVALUELIST)
            continue;
        switch (attr->datatype) {
        case O311_STRING:
            if (strlen(v) > 200 || strchr(v, '\n'))
                return bad(err, attr, "attribute '%s' is a single line of at most 200 bytes%s", "");
            break;
        case O311_TEXT:
            if (strlen(v) > 4000)
                return bad(err, attr, "attribute '%s' is at most 4000 bytes%s", "");
            break;
        case O311_NUMBER: {
            double d;
            if (num_parse_double(v, &d) < 0)
                return bad(err, attr, "attribute '%s' must be a number, not '%.40s'", v);
            break;
        }
        case O311_DATETIME:
            if (clock_parse_rfc3339(v, &t) < 0)
                return bad(
                    err, attr,
                    "attribute '%s' must be a W3C datetime (2026-12-02T08:00:00+08:00), not '%.40s'",
                    v);
            break;
        case O311_SINGLEVALUELIST:
        case O311_MULTIVALUELIST:
            if (!known_key(attr, v))
                return bad(err, attr, "attribute '%s' has no value with key '%.40s'", v);
            for (size_t k = 0; k < i; k++)
                if (strcmp(values[k], v) == 0)
                    return bad(err, attr, "attribute '%s' lists key '%.40s' twice", v);
            break;
        case O311_DATATYPE_COUNT: break;
        }
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int email_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || strchr("._%+-", c);
}

char *open311_scrub(struct arena *a, const char *text)
{
    char *s = arena_strdup(a, text ? text : "");
    size_t n = strlen(s);
    /* Phone and ID numbers: digits with single '-' or ' ' between groups, 11 or more digits
     * (a mobile, a landline with its area code, an ID card); first three and last four stay. */
    for (size_t i = 0; i < n;) {
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1]))) {
            i++;
            continue;
        }
        /* '-' joins groups only in numbers that start like a phone (0571-..., 138-...), so
         * case numbers (20261202-000001) and dates stay as they are. */
        int dash = s[i] == '0' || s[i] == '1';
        size_t end = i, digits = 0;
        while (end < n &&
               (is_digit(s[end]) || ((s[end] == ' ' || (dash && s[end] == '-')) && end + 1 < n &&
                                     is_digit(s[end + 1]) && end > i && is_digit(s[end - 1])))) {
            digits += is_digit(s[end]);
            end++;
        }
        if (digits >= 11) {
            size_t seen = 0;
            for (size_t k = i; k < end; k++)
                if (is_digit(s[k])) {
                    if (seen >= 3 && seen < digits - 4)
                        s[k] = '*';
                    seen++;
                }
        }
        i = end;
    }
    /* Email addresses: the local part keeps its first character. */
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '@' || !email_char(s[i - 1]) || !strchr(s + i + 1, '.'))
            continue;
        size_t start = i;
        while (start > 0 && email_char(s[start - 1]))
            start--;
        for (size_t k = start + 1; k < i; k++)
            s[k] = '*';
    }
    return s;
}
