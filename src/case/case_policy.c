/*
 * Who may see and do what with the personal data of a case and its intake: the citizen's name
 * and phone, the check code, the triage suggestion, the channels a role reports through. The API
 * asks these functions; nothing above this module decides them.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mask.h"

static int is_reporter(const struct case_actor *a, const struct case_rec *r)
{
    return r->created_by && r->created_by == a->user_id;
}

/* The citizen who reported for themself: not a staff member who took the report. */
static int is_citizen_reporter(const struct case_actor *a, const struct case_rec *r)
{
    return is_reporter(a, r) && case_policy_reports_for_self(a);
}

/* An anonymous report keeps the citizen's name and phone (the citizen follows the case with
 * them), but no staff role sees them: not the hotline, not the department, not an admin. */
int case_policy_sees_name(const struct case_actor *a, const struct case_rec *r)
{
    if (r->anonymous)
        return is_citizen_reporter(a, r);
    if (a->roles & (ROLE_OPERATOR | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN))
        return 1;
    if (is_reporter(a, r))
        return 1;
    return (a->roles & ROLE_HANDLER) && case_actor_in_departments(a, r->lead_department_id);
}

void case_policy_citizen(const struct case_actor *a, const struct case_rec *r, char *name,
                         size_t size, const char **phone)
{
    int sees = case_policy_sees_name(a, r);
    if (r->anonymous && !sees)
        snprintf(name, size, "匿名");
    else if (sees)
        snprintf(name, size, "%s", r->citizen_name ? r->citizen_name : "");
    else
        mask_name(r->citizen_name ? r->citizen_name : "", name, size);
    *phone = r->anonymous && !sees ? "" : r->citizen_phone_mask;
}

int case_policy_reveal_phone(const struct case_actor *a, const struct case_rec *r, struct err *err)
{
    /* No role unmasks an anonymous report through the API (docs/security.md). */
    if (r->anonymous)
        return err_deny(err, ERR_REASON_ANONYMOUS, "the citizen asked to stay anonymous");
    if (!case_policy_sees_name(a, r))
        return err_deny(
            err, ERR_REASON_ROLE,
            "only the hotline, supervisors and the lead department may see the contact");
    return 0;
}

int case_policy_sees_reporter(const struct case_actor *a, const struct case_rec *r)
{
    return !r->anonymous || is_reporter(a, r);
}

enum case_audience case_policy_audience(const struct case_actor *a, const struct case_rec *r)
{
    (void)r;
    /* Whoever is not staff and sees a case reported it (case_visible). */
    return (a->roles & ROLE_STAFF) ? CASE_AUDIENCE_STAFF : CASE_AUDIENCE_REPORTER;
}

/* What the reporter is shown of each step. FULL: the event as it is (its note is written for
 * the citizen: an answer, a reply's result, their own evaluation). FIXED: the step happened, in
 * a fixed text; its note (reasons, instructions) and payload are internal. OWN: in full when
 * the reporter wrote it, else not shown. HIDDEN: internal steps that change nothing the
 * citizen follows (requests a supervisor may deny, triage's suggestion). An action missing
 * here is shown as FIXED with the default text. */
enum shown { FULL, FIXED, OWN, HIDDEN };

/* clang-format off */
static const struct {
    const char *action;
    enum shown shown;
    const char *text;
} reporter_view[] = {
    {"create",        FULL,   NULL},
    {"answer",        FULL,   NULL},
    {"reply",         FULL,   NULL},
    {"accept",        FULL,   NULL},
    {"evaluate",      FULL,   NULL},
    {"comment",       OWN,    NULL},
    {"attach",        OWN,    NULL},
    {"dispatch",      FIXED,  "工单已转交承办部门处理"},
    {"redispatch",    FIXED,  "工单已改派承办部门处理"},
    {"reject_return", FIXED,  "工单已转交承办部门处理"},
    {"sign",          FIXED,  "承办部门已签收，正在办理"},
    {"return",        FIXED,  "工单正在重新分派承办部门"},
    {"resume",        FIXED,  "工单恢复办理"},
    {"urge",          FIXED,  "工单已督办"},
    {"escalate",      FIXED,  "工单已升级督办"},
    {"rectify",       FIXED,  "工单已交承办部门重新办理"},
    {"merge",         FIXED,  "工单已与相同诉求合并办理"},
    {"merge_in",      FIXED,  "相同诉求的工单已并入本工单"},
    {"follow_reply",  FIXED,  "工单已随相同诉求一并答复"},
    {"follow_close",  FIXED,  "工单已随相同诉求一并归档"},
    {"close",         FIXED,  "工单已归档"},
    {"cancel",        FIXED,  "工单已作废"},
    {"reopen",        FIXED,  "工单已重新办理"},
    {"appeal",        FIXED,  "已提出申诉"},
    {"appeal_upheld", FIXED,  "申诉成立"},
    {"appeal_rejected", FIXED, "申诉未获支持"},
    {"unmerge",       FIXED,  "工单已解除合并，单独办理"},
    {"verify_confirm", FIXED, "诉求已经网格员现场核实，等待派单"},
    {"verify_reject", FULL,   NULL},
    {"check_pass",    FIXED,  "办理结果已经网格员现场核查"},
    {"check_fail",    FIXED,  "现场核查未通过，工单已交承办部门重新办理"},
    {"self_handle",   FULL,   NULL},
    {"verify_task",   HIDDEN, NULL},
    {"check_task",    HIDDEN, NULL},
    {"task_overdue",  HIDDEN, NULL},
    {"task_escalate", HIDDEN, NULL},
    {"sensor_recover", HIDDEN, NULL},
    {"repeat",        HIDDEN, NULL},
    {"task_transfer", HIDDEN, NULL},
    {"triage",        HIDDEN, NULL},
    {"locate",        HIDDEN, NULL},
    {"extend",        HIDDEN, NULL},
    {"hang",          HIDDEN, NULL},
    {"deny",          HIDDEN, NULL},
    {"send_back",     HIDDEN, NULL},
    {"order_issue",   HIDDEN, NULL},
    {"order_answer",  HIDDEN, NULL},
    {"order_accept",  HIDDEN, NULL},
    {"order_send_back", HIDDEN, NULL},
    {"whistle",       FIXED,  "已召集相关部门联合办理"},
    {"assist_sign",   HIDDEN, NULL},
    {"assist_checkin", HIDDEN, NULL},
    {"assist_reply",  HIDDEN, NULL},
    {"assist_assess", HIDDEN, NULL},
    {"assist_overdue", HIDDEN, NULL},
};
/* clang-format on */

#define DEFAULT_TEXT "工单办理进度已更新"

static int for_reporter(const struct case_rec *r, const struct case_event_rec *e,
                        struct case_event_rec *out)
{
    int own = r->created_by && e->actor_id == r->created_by;
    enum shown shown = FIXED;
    const char *text = DEFAULT_TEXT;
    for (size_t i = 0; i < sizeof(reporter_view) / sizeof(reporter_view[0]); i++)
        if (strcmp(reporter_view[i].action, e->action) == 0) {
            shown = reporter_view[i].shown;
            text = reporter_view[i].text;
            break;
        }
    /* An approval is an extension or a 挂账: the citizen sees its effect, not the request. */
    if (strcmp(e->action, "approve") == 0)
        text = e->to_state && strcmp(e->to_state, "hanging") == 0 ? "工单暂缓办理（挂账）"
                                                                  : "工单办理期限已延长";
    /* A reply under 办结审核 is not the citizen's yet: the accept event brings it to them. */
    if (strcmp(e->action, "reply") == 0 && e->to_state && strcmp(e->to_state, "reviewing") == 0)
        shown = HIDDEN;
    /* A comment staff wrote for the public (case_action_in.public_note) is for the reporter too. */
    if (shown == HIDDEN || (shown == OWN && !own && !e->public_note))
        return 0;
    *out = *e;
    if (!own) {
        out->actor_id = 0;
        out->actor_name = NULL;
        out->actor_display = NULL;
        out->actor_role = NULL;
    }
    if (shown == FIXED) {
        out->note = text;
        out->payload = "{}";
    }
    return 1;
}

int case_policy_event(enum case_audience aud, const struct case_rec *r,
                      const struct case_event_rec *e, struct case_event_rec *out)
{
    if (aud == CASE_AUDIENCE_REPORTER)
        return for_reporter(r, e, out);
    *out = *e;
    /* The reporter of an anonymous report acts on it as a citizen (evaluation, comments,
     * photos): staff see that the citizen did, not which account. */
    if (r->anonymous && r->created_by && e->actor_id == r->created_by && e->actor_role &&
        strcmp(e->actor_role, "citizen") == 0) {
        out->actor_id = 0;
        out->actor_name = NULL;
        out->actor_display = NULL;
    }
    return 1;
}

int case_policy_sees_check_code(const struct case_actor *a, const struct case_rec *r)
{
    return (a->roles & (ROLE_OPERATOR | ROLE_ADMIN)) || is_reporter(a, r);
}

int case_policy_sees_suggestion(const struct case_actor *a)
{
    return (a->roles & ROLE_STAFF) != 0;
}

int case_policy_reports_for_self(const struct case_actor *a)
{
    return (a->roles & ROLE_CITIZEN) && !(a->roles & ROLE_STAFF);
}

int case_policy_channel(const struct case_actor *a, enum case_channel ch, struct err *err)
{
    /* The hotline, grid workers and sensors are staff channels: a citizen's own report comes
     * through one of the public ones. */
    if (case_policy_reports_for_self(a) && (ch == CH_HOTLINE || ch == CH_GRID || ch == CH_SENSOR))
        return err_field(err, ERR_BAD_REQUEST, "channel",
                         "citizens report through web, app, wechat or other");
    return 0;
}
