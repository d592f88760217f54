/*
 * A value checked by its field's type: the validators the import and the quality run share.
 * Identifiers, dates and numbers are src/valid's (GB 11643, GB 32100 with the GB 11714 check,
 * mobile and fixed line, the date and number parsers); e-mail addresses and names are the
 * catalogue's own.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "core/utf8.h"
#include "valid/valid.h"

/* The reasons with the type's name in front ("身份证号校验码错误"), made once: a caller keeps
 * several of them at a time (the quality run, one per field of a row). */
static const char *const kinds[] = {"身份证号", "统一社会信用代码", "手机号码", "电话号码", ""};
enum { ID_CARD, CREDIT_CODE, MOBILE, PHONE, PLAIN, NKINDS };
static char reasons[NKINDS][VALID_NREASONS][64];
static pthread_once_t reasons_once = PTHREAD_ONCE_INIT;

static void reasons_init(void)
{
    for (int k = 0; k < NKINDS; k++)
        for (int r = 0; r < VALID_NREASONS; r++)
            snprintf(reasons[k][r], sizeof reasons[k][r], "%s%s", kinds[k],
                     valid_reason_zh((enum valid_reason)r));
}

static int refuse(int kind, enum valid_reason r, const char **reason)
{
    pthread_once(&reasons_once, reasons_init);
    *reason = reasons[kind][(unsigned)r < VALID_NREASONS ? r : 0];
    return 0;
}

static int email(const char *v, const char **reason)
{
    const char *at = strchr(v, '@');
    if (at && at != v && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
        v[strlen(v) - 1] != '.' && !strchr(v, ' '))
        return 1;
    *reason = "电子邮箱格式错误";
    return 0;
}

/* A person's name: 2 to 30 characters, no digits. */
static int name(const char *v, const char **reason)
{
    size_t n = utf8_len(v);
    for (const char *p = v; *p; p++)
        if ((*p >= '0' && *p <= '9') || *p == '@') {
            *reason = "姓名含有数字或符号";
            return 0;
        }
    if (n < 2 || n > 30) {
        *reason = "姓名长度应为2至30个字";
        return 0;
    }
    return 1;
}

int catalog_value_valid(const char *type, const char *v, const char **reason)
{
    enum valid_reason r;
    *reason = NULL;
    if (strcmp(type, "id_card") == 0) {
        /* Born in the future is not checked here: the caller's clock is not passed. */
        if ((r = valid_id_card(v, 0)) != VALID_OK)
            return refuse(ID_CARD, r, reason);
    } else if (strcmp(type, "credit_code") == 0) {
        if ((r = valid_credit_code(v, VALID_ORG_USUAL)) != VALID_OK)
            return refuse(CREDIT_CODE, r, reason);
    } else if (strcmp(type, "mobile") == 0) {
        if ((r = valid_mobile(v, NULL)) != VALID_OK)
            return refuse(MOBILE, r, reason);
    } else if (strcmp(type, "phone") == 0) {
        /* A fixed line, or a mobile (many registers keep one column for both). */
        if ((r = valid_phone(v)) != VALID_OK && valid_mobile(v, NULL) != VALID_OK)
            return refuse(PHONE, r, reason);
    } else if (strcmp(type, "date") == 0) {
        int ymd;
        if ((r = valid_parse_date(v, &ymd)) != VALID_OK)
            return refuse(PLAIN, r, reason);
    } else if (strcmp(type, "integer") == 0) {
        int64_t i;
        if (valid_parse_int(v, &i) != VALID_OK) {
            *reason = "应为整数";
            return 0;
        }
    } else if (strcmp(type, "number") == 0) {
        double d;
        if (valid_parse_number(v, &d) != VALID_OK) {
            *reason = "应为数字";
            return 0;
        }
    } else if (strcmp(type, "email") == 0) {
        return email(v, reason);
    } else if (strcmp(type, "name") == 0) {
        return name(v, reason);
    }
    return 1; /* text, address, region: checked elsewhere (regions) or free */
}
