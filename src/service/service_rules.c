/*
 * The pure rules of services: a task's steps, an application's outcome, a field key, and the
 * wording of what decided a 秒批. No store, no clock: tests/unit/service checks them.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "policy/policy.h"
#include "service/service.h"

static const char *const MODES[] = {"online", "counter"};
static const char *const APP_STATES[] = {"open", "approved", "refused"};
static const char *const TASK_STATES[] = {"issued", "accepted", "approved", "refused"};
static const char *const STEPS[] = {"accept", "approve", "refuse"};

static int find(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

const char *service_mode_name(enum service_mode m)
{
    return (unsigned)m < SERVICE_MODE_COUNT ? MODES[m] : NULL;
}

int service_mode_from_name(const char *name)
{
    return find(MODES, SERVICE_MODE_COUNT, name);
}

const char *service_app_state_name(enum service_app_state s)
{
    return (unsigned)s < SERVICE_APP_STATE_COUNT ? APP_STATES[s] : NULL;
}

const char *service_task_state_name(enum service_task_state s)
{
    return (unsigned)s < SERVICE_TASK_STATE_COUNT ? TASK_STATES[s] : NULL;
}

int service_task_state_from_name(const char *name)
{
    return find(TASK_STATES, SERVICE_TASK_STATE_COUNT, name);
}

const char *service_step_name(enum service_step s)
{
    return (unsigned)s < SERVICE_STEP_COUNT ? STEPS[s] : NULL;
}

int service_step_next(enum service_task_state s, enum service_step step, struct err *err)
{
    int open = s == ST_ISSUED || s == ST_ACCEPTED;
    switch (step) {
    case SS_ACCEPT:
        if (s == ST_ISSUED)
            return ST_ACCEPTED;
        break;
    case SS_APPROVE:
        if (open)
            return ST_APPROVED;
        break;
    case SS_REFUSE:
        if (open)
            return ST_REFUSED;
        break;
    default: BUG("unknown service step");
    }
    return err_field(err, ERR_CONFLICT, "state", "a task that is %s cannot be %s",
                     service_task_state_name(s) ? service_task_state_name(s) : "?",
                     step == SS_ACCEPT    ? "accepted"
                     : step == SS_APPROVE ? "approved"
                                          : "refused");
}

enum service_app_state service_outcome(const enum service_task_state *tasks, size_t n)
{
    int refused = 0;
    if (n == 0)
        return SA_OPEN;
    for (size_t i = 0; i < n; i++) {
        if (tasks[i] == ST_ISSUED || tasks[i] == ST_ACCEPTED)
            return SA_OPEN;
        if (tasks[i] == ST_REFUSED)
            refused = 1;
    }
    return refused ? SA_REFUSED : SA_APPROVED;
}

int service_key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > SERVICE_KEY_MAX || key[0] < 'a' || key[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return 1;
}

/* The profile's value of 'field' as the citizen entered it ("" when the field is not a
 * person's): what the basis names beside each met condition. */
static void value_of(const struct policy_profile *p, int field, char *out, size_t cap)
{
    switch (field) {
    case PF_AGE:
        snprintf(out, cap, "出生日期：%04d-%02d-%02d", p->birth_ymd / 10000,
                 p->birth_ymd / 100 % 100, p->birth_ymd % 100);
        break;
    case PF_HUKOU:
        snprintf(out, cap, "户籍：%s", p->hukou_name && *p->hukou_name ? p->hukou_name : "未填写");
        break;
    case PF_DISABILITY: snprintf(out, cap, "残疾等级：%d", p->disability); break;
    case PF_INCOME_BAND: snprintf(out, cap, "收入档次：%d", p->income_band); break;
    case PF_CHILDREN: snprintf(out, cap, "子女数：%d", p->children); break;
    default: out[0] = '\0';
    }
}

/* Append 's' to out[*len..cap) whole or not at all, so a long basis never ends mid-character. */
static void add(char *out, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > cap)
        return;
    memcpy(out + *len, s, n + 1);
    *len += n;
}

void service_basis(const struct policy_rule *r, const struct policy_why *why,
                   const struct policy_profile *p, char *out, size_t cap)
{
    char desc[POLICY_DESC_MAX], value[POLICY_LABEL_MAX + 32];
    char piece[POLICY_DESC_MAX + sizeof(value) + 16];
    size_t len = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    int ok = why->qualifies;
    add(out, cap, &len, ok ? "核验通过：" : "数据未能核验，转人工办理：再满足：");
    int n = ok ? why->nmet : why->nmissing;
    for (int i = 0; i < n; i++) {
        int node = ok ? why->met[i] : why->missing[i];
        policy_describe(r, node, desc, sizeof(desc));
        /* each met comparison with the profile's value that met it: the data that decided */
        value[0] = '\0';
        if (ok && r->n[node].kind == PN_CMP)
            value_of(p, r->n[node].field, value, sizeof(value));
        snprintf(piece, sizeof(piece), "%s%s%s%s%s", i ? "；" : "", desc, value[0] ? "（" : "",
                 value, value[0] ? "）" : "");
        add(out, cap, &len, piece);
    }
}
