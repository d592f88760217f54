/*
 * Tests for src/valid: the standards' worked examples (GB 11643 11010519491231002X, GB 32100
 * 91350100M000100Y43 with its GB 11714 part M000100Y4), tables of wrong inputs with the reason
 * each must give, the parsers, and every masking rule.
 */
#include "valid/valid.h"

#include <string.h>

#include "test.h"

struct row {
    const char *in;
    enum valid_reason want;
};

TEST(valid_id_card_table)
{
    const struct row rows[] = {
        {"11010519491231002X", VALID_OK}, /* GB 11643 worked example */
        {"11010519491231002x", VALID_OK}, /* lower-case x accepted */
        {"440524188001010014", VALID_OK}, /* standards.md: S = 195 → 4 */
        {"110105194912310021", VALID_CHECK},   {"11010519491231002", VALID_LENGTH},
        {"11010519491231002XX", VALID_LENGTH}, {"", VALID_EMPTY},
        {"1101051949123100AX", VALID_CHARS},   {"11010519491231002Y", VALID_CHARS},
        {"991051194912310020", VALID_REGION},  {"001051194912310020", VALID_REGION},
        {"110105194902300020", VALID_BIRTH},  /* 30 February */
        {"110105194913310020", VALID_BIRTH},  /* month 13 */
        {"110105203001010020", VALID_BIRTH},  /* after today */
        {"110105１9491231002", VALID_LENGTH}, /* full-width digit: bytes, not 18 */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        enum valid_reason got = valid_id_card(rows[i].in, 20261205);
        CHECK(got == rows[i].want, "%s: got %s want %s", rows[i].in, valid_reason_key(got),
              valid_reason_key(rows[i].want));
    }
    /* 29 February only in a leap year; no today → no future check. */
    CHECK(valid_id_card("110105200002290020", 20261205) != VALID_BIRTH, "2000-02-29 is real");
    CHECK(valid_id_card("110105190002290020", 20261205) == VALID_BIRTH, "1900 is no leap year");
    CHECK(valid_id_card("110105203001010020", 0) != VALID_BIRTH, "no today, no future check");
    CHECK(!strcmp(valid_reason_zh(VALID_CHECK), "校验码错误"), "reason text");
    CHECK(!strcmp(valid_reason_zh(VALID_BIRTH), "出生日期无效"), "reason text");
    CHECK(!strcmp(valid_reason_zh(VALID_OK), ""), "ok has no reason");
}

TEST(valid_credit_code_table)
{
    const struct row rows[] = {
        {"91350100M000100Y43", VALID_OK}, /* GB 32100 worked example */
        {"91350100m000100y43", VALID_OK},
        {"91350100M000100Y44", VALID_CHECK},
        {"91350100M000100Y4", VALID_LENGTH},
        {"91350100M000100I43", VALID_CHARS}, /* I is not in the set */
        {"91350100M000100O43", VALID_CHARS},
        {"B1350100M000100Y43", VALID_AUTHORITY},
        {"97350100M000100Y43", VALID_ORG_TYPE},
        {"913A0100M000100Y43", VALID_REGION},
        {"", VALID_EMPTY},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        enum valid_reason got = valid_credit_code(rows[i].in, VALID_ORG_ALWAYS);
        CHECK(got == rows[i].want, "%s: got %s want %s", rows[i].in, valid_reason_key(got),
              valid_reason_key(rows[i].want));
    }
    CHECK(valid_org_code_check("M000100Y") == '4', "GB 11714 worked example");
    CHECK(valid_org_code_check("m000100Y") == 0, "lower case is not an org code char here");
}

/* A code whose MOD 31 character is right for its first 17 characters. */
static void with_c18(char code[19])
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(set, code[i]) - set) * w[i];
    int c = 31 - sum % 31;
    code[17] = set[c == 31 ? 0 : c];
}

TEST(valid_credit_code_org_check)
{
    /* MOD 31 right, GB 11714 character (position 17: 5, should be 4) wrong. */
    char firm[19] = "91350100M000100Y5?";
    with_c18(firm);
    CHECK(valid_credit_code(firm, VALID_ORG_SKIP) == VALID_OK, "%s lenient", firm);
    CHECK(valid_credit_code(firm, VALID_ORG_USUAL) == VALID_ORG_CHECK, "%s usual", firm);
    CHECK(valid_credit_code(firm, VALID_ORG_ALWAYS) == VALID_ORG_CHECK, "%s always", firm);
    /* A 个体工商户 (92): its body need not be an organisation code. */
    char shop[19] = "92350100M000100Y5?";
    with_c18(shop);
    CHECK(valid_credit_code(shop, VALID_ORG_USUAL) == VALID_OK, "%s usual", shop);
    CHECK(valid_credit_code(shop, VALID_ORG_ALWAYS) == VALID_ORG_CHECK, "%s always", shop);
    CHECK(!strcmp(valid_reason_zh(VALID_ORG_CHECK), "组织机构代码校验码错误"), "reason text");
}

TEST(valid_mobile_table)
{
    const struct row rows[] = {
        {"13800138000", VALID_OK},      {"+86 138 0013 8000", VALID_OK},
        {"86-138-0013-8000", VALID_OK}, {"008613800138000", VALID_OK},
        {"19912345678", VALID_OK},      {"12800138000", VALID_PREFIX},
        {"23800138000", VALID_PREFIX},  {"+85213800138000", VALID_PREFIX},
        {"1380013800", VALID_LENGTH},   {"138001380001", VALID_LENGTH},
        {"1380013800a", VALID_CHARS},   {"  ", VALID_EMPTY},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        enum valid_reason got = valid_mobile(rows[i].in, NULL);
        CHECK(got == rows[i].want, "%s: got %s want %s", rows[i].in, valid_reason_key(got),
              valid_reason_key(rows[i].want));
    }
    char d[12];
    CHECK(valid_mobile("+86 138-0013-8000", d) == VALID_OK && !strcmp(d, "13800138000"),
          "normalised");
}

TEST(valid_phone_table)
{
    const struct row rows[] = {
        {"010-12345678", VALID_OK},
        {"(010)12345678", VALID_OK},
        {"（0571）8765432", VALID_OK},
        {"0571-87654321", VALID_OK},
        {"02112345678", VALID_OK},
        {"057187654321", VALID_OK},
        {"010-12345678-123", VALID_OK},
        {"010-12345678转8001", VALID_OK},
        {"010 12345678 ext. 12", VALID_OK},
        {"12345678", VALID_PREFIX},
        {"010-02345678", VALID_PREFIX},
        {"0571-123456", VALID_LENGTH},
        {"010-123456789", VALID_LENGTH},
        {"010-12345678-1234567", VALID_EXTENSION},
        {"010-12345678转", VALID_EXTENSION},
        {"010-1234a678", VALID_CHARS},
        {"", VALID_EMPTY},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        enum valid_reason got = valid_phone(rows[i].in);
        CHECK(got == rows[i].want, "%s: got %s want %s", rows[i].in, valid_reason_key(got),
              valid_reason_key(rows[i].want));
    }
}

TEST(valid_parse_date_table)
{
    const struct {
        const char *in;
        int want; /* 0 = invalid */
    } rows[] = {
        {"2026-01-05", 20260105},
        {"2026/1/5", 20260105},
        {"2026.1.5", 20260105},
        {"2026年1月5日", 20260105},
        {"2026年12月31号", 20261231},
        {"20260105", 20260105},
        {" 2026-01-05 ", 20260105},
        {"2026-01-05T08:30:00+08:00", 20260105},
        {"2026/1/5 8:30", 20260105},
        {"2024-02-29", 20240229},
        {"2026-02-29", 0},
        {"2026-13-01", 0},
        {"2026-1/5", 0},
        {"26-1-5", 0},
        {"2026年1月", 0},
        {"2026-01-05x", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int ymd = 0;
        enum valid_reason r = valid_parse_date(rows[i].in, &ymd);
        if (rows[i].want)
            CHECK(r == VALID_OK && ymd == rows[i].want, "%s: %s %d", rows[i].in,
                  valid_reason_key(r), ymd);
        else
            CHECK(r != VALID_OK, "%s should be invalid", rows[i].in);
    }
}

TEST(valid_parse_numbers)
{
    int64_t i = 0;
    CHECK(valid_parse_int("1,234,567", &i) == VALID_OK && i == 1234567, "thousands");
    CHECK(valid_parse_int(" -42 ", &i) == VALID_OK && i == -42, "sign");
    CHECK(valid_parse_int("9223372036854775808", &i) == VALID_NUMBER, "overflow");
    CHECK(valid_parse_int("12.5", &i) == VALID_NUMBER, "fraction");
    CHECK(valid_parse_int("-", &i) == VALID_NUMBER, "sign only");
    CHECK(valid_parse_int("", &i) == VALID_EMPTY, "empty");
    double d = 0;
    CHECK(valid_parse_number("1,234.50", &d) == VALID_OK && d == 1234.5, "number");
    CHECK(valid_parse_number("-.5", &d) == VALID_OK && d == -0.5, "leading dot");
    CHECK(valid_parse_number("1e3", &d) == VALID_OK && d == 1000, "exponent");
    CHECK(valid_parse_number("12.5%", &d) == VALID_OK && d == 0.125, "percent");
    CHECK(valid_parse_number("0x10", &d) == VALID_NUMBER, "hex");
    CHECK(valid_parse_number("nan", &d) == VALID_NUMBER, "nan");
    CHECK(valid_parse_number("inf", &d) == VALID_NUMBER, "inf");
    CHECK(valid_parse_number("1e999", &d) == VALID_NUMBER, "overflow");
    CHECK(valid_parse_number("1e", &d) == VALID_NUMBER, "bare exponent");
    CHECK(valid_parse_number(".", &d) == VALID_NUMBER, "dot");
}

static void mask_is(enum valid_mask_rule r, const char *in, const char *want)
{
    char out[256];
    int n = valid_mask(r, in, out, sizeof out, 0);
    CHECK(n >= 0 && !strcmp(out, want), "%s(%s) = %s, want %s", valid_mask_rule_name(r), in, out,
          want);
}

TEST(valid_mask_rules)
{
    mask_is(MASK_NAME, "张三", "张*");
    mask_is(MASK_NAME, "张三丰", "张**");
    mask_is(MASK_NAME, "欧阳娜娜", "欧阳**");
    mask_is(MASK_NAME, "欧阳", "欧*");
    mask_is(MASK_NAME, "张", "张");
    mask_is(MASK_NAME, "阿依古丽·买买提", "阿***·***");
    mask_is(MASK_ID_CARD, "11010519491231002X", "110105********002X");
    mask_is(MASK_ID_CARD, "110105194912311234", "110105********1234");
    mask_is(MASK_ID_CARD, "123", "***");
    mask_is(MASK_MOBILE, "13800138000", "138****8000");
    mask_is(MASK_MOBILE, "+86 138 0013 8000", "138****8000");
    mask_is(MASK_PHONE, "010-12345678", "010-****78");
    mask_is(MASK_PHONE, "0571-86900101", "0571-****01");
    mask_is(MASK_PHONE, "057186900101", "0571****01");
    mask_is(MASK_PHONE, "（0571）8765432", "0571-****32");
    mask_is(MASK_PHONE, "(010)12345678", "010-****78");
    mask_is(MASK_PHONE, "010-12345678-123", "010-****78");
    mask_is(MASK_PHONE, "010-12345678转8001", "010-****78");
    mask_is(MASK_PHONE, "13800138000", "138****8000");
    mask_is(MASK_PHONE, "12", "**");
    mask_is(MASK_ADDRESS, "北京市东城区东华门街道多福巷社区3号楼2单元101",
            "北京市东城区东华门街道多福巷社区***");
    mask_is(MASK_ADDRESS, "浙江省杭州市余杭区仓前街道葛巷村12号",
            "浙江省杭州市余杭区仓前街道葛巷村***");
    mask_is(MASK_ADDRESS, "上海市浦东新区阳光小区5号楼", "上海市浦东新区阳光小区***");
    mask_is(MASK_ADDRESS, "杭州市西湖区北山街道保俶路12号", "杭州市西湖区北山街道***");
    mask_is(MASK_ADDRESS, "广州市天河区体育西路103号", "广州市天河区***");
    mask_is(MASK_ADDRESS, "某社区", "某社区");
    mask_is(MASK_ADDRESS, "短地址", "短地址");
    mask_is(MASK_CREDIT_CODE, "91350100M000100Y43", "91350100********43");
    mask_is(MASK_EMAIL, "zhang@example.cn", "z***@example.cn");
    mask_is(MASK_EMAIL, "张三@example.cn", "张***@example.cn");
    mask_is(MASK_EMAIL, "noatsign", "********");
    mask_is(MASK_FULL, "张三丰", "***");
    mask_is(MASK_NONE, "张三丰", "张三丰");
    mask_is(MASK_YEAR, "1949年12月31日", "1949");
    mask_is(MASK_YEAR, "2026/1/5", "2026");
    mask_is(MASK_YEAR, "not a date", "**********");
    char out[8];
    CHECK(valid_mask(MASK_NONE, "张三丰张三丰", out, sizeof out, 0) == -1 && out[0] == '\0',
          "too small");
    char out2[64];
    CHECK(valid_mask(MASK_ADDRESS, "广州市天河区体育西路103号", out2, sizeof out2, 3) > 0 &&
              !strcmp(out2, "广州市***"),
          "address_keep: %s", out2);
    CHECK(valid_mask_rule_parse("credit_code") == MASK_CREDIT_CODE, "parse");
    CHECK(valid_mask_rule_parse("nope") == -1, "unknown rule");
}
