/*
 * Tests for geocode_norm: the normalised key of a written address (docs/maps.md).
 */
#include <string.h>

#include "core/mem.h"
#include "core/utf8.h"
#include "geocode/geocode.h"
#include "test.h"

struct norm_row {
    const char *in, *want;
};

/* clang-format off */
static const struct norm_row norm_rows[] = {
    /* the issue's pair: prefixes, full-width digits, Chinese numerals */
    {"杭州市西湖区锦绣路８８号", "锦绣路88号"},
    {"锦绣路八十八号", "锦绣路88号"},
    {"锦绣路 88 号", "锦绣路88号"},
    {"浙江省杭州市西湖区柳湾街道明湖社区锦绣路88号", "锦绣路88号"},
    {"中国浙江省杭州市锦绣路88号", "锦绣路88号"},
    {"上海市浦东新区锦绣路88号", "锦绣路88号"},
    {"柳湾街道办事处锦绣路88号", "锦绣路88号"},
    {"明湖社区居委会锦绣花园3幢", "锦绣花园3幢"},
    /* numerals: positional, digit by digit, only before a number word */
    {"锦绣路十号", "锦绣路10号"},
    {"锦绣路十二号", "锦绣路12号"},
    {"锦绣路二十号", "锦绣路20号"},
    {"锦绣路一百零五号", "锦绣路105号"},
    {"锦绣路一〇五号", "锦绣路105号"},
    {"锦绣路两千零二十号", "锦绣路2020号"},
    {"锦绣路千号", "锦绣路1000号"},
    {"八一路十二弄三号", "八一路12弄3号"},
    {"十里铺路5号", "十里铺路5号"},
    {"五一路", "五一路"},
    {"第三中学", "第三中学"},
    {"锦绣路十百号", "锦绣路十百号"}, /* not a number: left as written */
    /* building and unit variants */
    {"锦绣花园三栋二单元", "锦绣花园3幢2单元"},
    {"锦绣花园3号楼2单元门", "锦绣花园3幢2单元"},
    {"锦绣花园3#楼", "锦绣花园3幢"},
    {"锦绣花园第三幢", "锦绣花园3幢"},
    {"锦绣花园A座", "锦绣花园A幢"},
    {"锦绣花园ａ座", "锦绣花园A幢"},
    {"锦绣路88#", "锦绣路88号"},
    {"锦绣路12弄3号", "锦绣路12弄3号"},
    {"锦绣路88-1号", "锦绣路88-1号"},
    {"锦绣路-88号", "锦绣路88号"},
    {"宝座路1号", "宝座路1号"},
    /* punctuation and spaces of both widths */
    {"锦绣路，88号。", "锦绣路88号"},
    {"（锦绣路）88号", "锦绣路88号"},
    {"锦绣路\t88号\n", "锦绣路88号"},
    {"锦绣路　８８号", "锦绣路88号"},
    /* what is not a prefix stays */
    {"锦绣花园小区3幢", "锦绣花园小区3幢"},
    {"锦绣花园东区3幢", "锦绣花园东区3幢"},
    {"翠苑一区3幢", "翠苑1区3幢"},
    {"市心路12号", "市心路12号"},
    {"菜市场", "菜市场"},
    {"杭州市民中心", "杭州市民中心"},
    {"西湖区", "西湖区"},
    {"杭州市", "杭州市"},
    {"镇海路3号", "镇海路3号"},
    /* empty and blank */
    {"", ""},
    {"   ", ""},
    {"，。", ""},
};
/* clang-format on */

TEST(geocode_norm_rows)
{
    struct arena a;
    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(norm_rows); i++) {
        const char *got = geocode_norm(&a, norm_rows[i].in);
        CHECK_STR_EQ(got, norm_rows[i].want, "row %zu: \"%s\"", i, norm_rows[i].in);
    }
    arena_release(&a);
}

TEST(geocode_norm_null_and_invalid)
{
    struct arena a;
    arena_init(&a, 4096);
    CHECK_STR_EQ(geocode_norm(&a, NULL), "", "NULL gives the empty key");
    /* invalid bytes are dropped, the rest is kept */
    CHECK_STR_EQ(geocode_norm(&a, "锦绣路\xff\xfe"
                                  "88号"),
                 "锦绣路88号", "invalid UTF-8 dropped");
    /* a long input is handled whole and stays valid UTF-8 */
    char big[6000];
    size_t n = 0;
    while (n + 3 < sizeof big - 1) {
        memcpy(big + n, "千", 3);
        n += 3;
    }
    big[n] = '\0';
    const char *k = geocode_norm(&a, big);
    CHECK(utf8_invalid_at(k, strlen(k)) == -1, "long key is valid UTF-8");
    CHECK_STR_EQ(geocode_norm(&a, "千千号"), "千千号", "repeated unit is not a number");
    arena_release(&a);
}
