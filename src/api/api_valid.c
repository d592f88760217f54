/*
 * POST /api/v1/validate {"type": "id_card"|"credit_code"|"mobile"|"phone", "value": "..."}:
 * checks one identifier with src/valid and answers {"valid": bool, "reason": "..."}, the reason
 * in Chinese when invalid and empty when valid. Any signed-in user may call it; nothing is
 * written. The birth date of an ID is compared with today in China (UTC+08:00).
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "valid/valid.h"

/* clang-format off */
static const struct json_field validate_fields[] = {
    {"type",  JT_STRING, JF_REQUIRED, 1, 20, NULL},
    {"value", JT_STRING, JF_REQUIRED, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
/* clang-format on */

int api_validate(struct api_call *call)
{
    int rc;
    if ((rc = json_check(call->body, validate_fields, &call->err)) < 0)
        return rc;
    const char *type = json_get_str(call->body, "type");
    const char *value = json_get_str(call->body, "value");
    int y, m, d;
    clock_civil_from_days((call->now + 8 * 3600) / 86400, &y, &m, &d);
    enum valid_reason r;
    if (!strcmp(type, "id_card"))
        r = valid_id_card(value, y * 10000 + m * 100 + d);
    else if (!strcmp(type, "credit_code"))
        r = valid_credit_code(value, VALID_ORG_USUAL);
    else if (!strcmp(type, "mobile"))
        r = valid_mobile(value, NULL);
    else if (!strcmp(type, "phone"))
        r = valid_phone(value);
    else
        return err_field(&call->err, ERR_BAD_REQUEST, "type", "unknown type");
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kbool(&w, "valid", r == VALID_OK);
    jw_kstr(&w, "reason", valid_reason_zh(r));
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
