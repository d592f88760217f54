/*
 * libFuzzer target: the identifier validators, the importers' parsers and every masking rule
 * (src/valid). The input is one NUL-terminated string. Any crash, a reason code out of range,
 * or a masked output that is not shorter than its buffer is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "valid/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reason(enum valid_reason r)
{
    if ((unsigned)r >= VALID_NREASONS || !valid_reason_zh(r) || !valid_reason_key(r))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_reason(valid_id_card(s, 20261205));
    check_reason(valid_credit_code(s, 0));
    check_reason(valid_credit_code(s, VALID_ORG_USUAL));
    check_reason(valid_credit_code(s, VALID_ORG_ALWAYS));
    char d[12];
    enum valid_reason mr = valid_mobile(s, d);
    check_reason(mr);
    if (mr == VALID_OK && (strlen(d) != 11 || d[0] != '1'))
        abort();
    check_reason(valid_phone(s));
    int ymd = 0;
    enum valid_reason dr = valid_parse_date(s, &ymd);
    check_reason(dr);
    if (dr == VALID_OK && valid_days_in_month(ymd / 10000, ymd / 100 % 100) < ymd % 100)
        abort();
    int64_t i;
    double x;
    check_reason(valid_parse_int(s, &i));
    check_reason(valid_parse_number(s, &x));
    char out[64];
    for (int r = 0; r < MASK_NRULES; r++) {
        int n = valid_mask((enum valid_mask_rule)r, s, out, sizeof out, (int)(size % 9));
        if (n >= (int)sizeof out || (n >= 0 && strlen(out) != (size_t)n) || (n < 0 && out[0]))
            abort();
    }
    free(s);
    return 0;
}
