/* Mobile numbers for sign-in by SMS code: 11 digits starting 13..19, spaces and '-' allowed. */
#include <string.h>

#include "citizen/citizen.h"
#include "core/err.h"
#include "test.h"

TEST(citizen_mobile_check)
{
    struct err e = ERR_INIT;
    char out[12];
    CHECK_INT_EQ(citizen_mobile_check("138 1234-8000", out, &e), 0, "%s", e.msg);
    CHECK_STR_EQ(out, "13812348000", "digits");
    CHECK_INT_EQ(citizen_mobile_check("+86 138 1234 8000", out, &e), 0, "%s", e.msg);
    CHECK_STR_EQ(out, "13812348000", "prefix dropped");
    const char *bad[] = {
        "",           "1381234800", "138123480001", "12812348000", "+8713812348000", "1381234800a",
        "23812348000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&e);
        CHECK_INT_EQ(citizen_mobile_check(bad[i], out, &e), ERR_BAD_REQUEST, "'%s'", bad[i]);
        CHECK_STR_EQ(e.field, "phone", "field of '%s'", bad[i]);
    }
}
