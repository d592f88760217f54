/*
 * Who may see and do what with the personal data of a case and its intake: the citizen's name
 * and phone, the check code, the triage suggestion, the channels a role reports through. The API
 * asks these functions; nothing above this module decides them.
 */
#include <stdio.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mask.h"

static int is_reporter(const struct case_actor *a, const struct case_rec *r)
{
    return r->created_by && r->created_by == a->user_id;
}

/* The hotline and command centre, the citizen, and the lead department unless the citizen
 * asked to stay anonymous. */
int case_policy_sees_name(const struct case_actor *a, const struct case_rec *r)
{
    if (a->roles & (ROLE_OPERATOR | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN))
        return 1;
    if (is_reporter(a, r))
        return 1;
    return !r->anonymous && (a->roles & ROLE_HANDLER) &&
           case_actor_in_departments(a, r->lead_department_id);
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
    if (r->anonymous && !(a->roles & (ROLE_OPERATOR | ROLE_SUPERVISOR | ROLE_ADMIN)))
        return err_set(err, ERR_FORBIDDEN, "the citizen asked to stay anonymous");
    if (!case_policy_sees_name(a, r))
        return err_set(err, ERR_FORBIDDEN,
                       "only the hotline, supervisors and the lead department may see the contact");
    return 0;
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
