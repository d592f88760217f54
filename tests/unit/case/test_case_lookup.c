/* case: the check code as people type it. */
#include <string.h>

#include "case/case.h"
#include "test.h"

TEST(case_check_code_normalize_reads_what_people_type)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"1234567890", "1234567890"},
        {"12345 67890", "1234567890"},
        {"12345-67890", "1234567890"},
        {"１２３４５６７８９０", "1234567890"},
        {"123456", "123456"},
        {" 940613 ", "940613"},
        {"12345\xe3\x80\x80"
         "67890",
         "1234567890"},
    };
    char out[CASE_CHECK_CODE_MAX + 1];
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK_INT_EQ(case_check_code_normalize(ok[i].in, out), 0, "row %zu", i);
        CHECK_STR_EQ(out, ok[i].out, "row %zu", i);
    }
    static const char *const bad[] = {"12345a", "12345678901234567", "１２３\xef\xbc", "' OR 1=1"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK_INT_EQ(case_check_code_normalize(bad[i], out), -1, "bad row %zu", i);
}
