/* open311: the status mapping and the checks of attribute answers by datatype. */
#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "open311/open311.h"
#include "test.h"

TEST(open311_status_mapping)
{
    static const struct {
        const char *state;
        int solved, closed;
        const char *ext;
    } rows[] = {
        {"new", -1, 0, "open"},
        {"dispatched", -1, 0, "investigating"},
        {"returned", -1, 0, "internal_referral"},
        {"processing", -1, 0, "in_progress"},
        {"hanging", -1, 0, "planned"},
        {"rectifying", 0, 0, "open"},
        {"replied", 1, 1, "fixed"},
        {"replied", 0, 1, "no_further_action"},
        {"closed", -1, 1, "closed"},
        {"closed", 1, 1, "fixed"},
        {"cancelled", -1, 1, "cancelled"},
        {"merged", -1, 1, "duplicate"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        CHECK_INT_EQ(open311_status_closed(rows[i].state), rows[i].closed, "closed of %s",
                     rows[i].state);
        CHECK_STR_EQ(open311_status_extended(rows[i].state, rows[i].solved), rows[i].ext, "row %zu",
                     i);
        CHECK(open311_status_valid(rows[i].ext), "'%s' is a FixMyStreet status", rows[i].ext);
    }
    CHECK(open311_status_valid("NOT_COUNCILS_RESPONSIBILITY"), "upper case accepted");
    CHECK(!open311_status_valid("done"), "unknown refused");
}

TEST(open311_datatype_description_never_empty)
{
    struct open311_attr own = {
        .code = "A", .datatype = O311_NUMBER, .datatype_description = "件数"};
    CHECK_STR_EQ(open311_attr_datatype_description(&own), "件数", "its own when given");
    for (int t = 0; t < O311_DATATYPE_COUNT; t++) {
        struct open311_attr a = {
            .code = "A", .datatype = (enum open311_datatype)t, .datatype_description = ""};
        CHECK(*open311_attr_datatype_description(&a), "datatype %d has a description", t);
        a.datatype_description = NULL;
        CHECK(*open311_attr_datatype_description(&a), "datatype %d without one", t);
    }
}

TEST(open311_attribute_checks)
{
    static const struct open311_value vals[] = {{"a", "A"}, {"b", "B"}};
    struct open311_attr attr = {"X", 1, 1, O311_STRING, 1, "x", "", vals, 2};
    static const struct {
        enum open311_datatype type;
        int required, variable;
        const char *v[3];
        int rc;
    } rows[] = {
        {O311_STRING, 1, 1, {"hello"}, 0},
        {O311_STRING, 1, 1, {""}, ERR_BAD_REQUEST}, /* required, empty */
        {O311_STRING, 0, 1, {""}, 0},
        {O311_STRING, 0, 1, {"two\nlines"}, ERR_BAD_REQUEST},
        {O311_STRING, 0, 1, {"a", "b"}, ERR_BAD_REQUEST}, /* one value only */
        {O311_TEXT, 0, 1, {"two\nlines"}, 0},
        {O311_NUMBER, 0, 1, {"-2.5e3"}, 0},
        {O311_NUMBER, 0, 1, {"12abc"}, ERR_BAD_REQUEST},
        {O311_NUMBER, 0, 1, {" 1"}, ERR_BAD_REQUEST},
        {O311_NUMBER, 0, 1, {"nan"}, ERR_BAD_REQUEST},
        {O311_DATETIME, 0, 1, {"2026-12-02T08:00:00+08:00"}, 0},
        {O311_DATETIME, 0, 1, {"tomorrow"}, ERR_BAD_REQUEST},
        {O311_SINGLEVALUELIST, 1, 1, {"a"}, 0},
        {O311_SINGLEVALUELIST, 1, 1, {"c"}, ERR_BAD_REQUEST},
        {O311_MULTIVALUELIST, 1, 1, {"a", "b"}, 0},
        {O311_MULTIVALUELIST, 1, 1, {"a", "a"}, ERR_BAD_REQUEST},
        {O311_MULTIVALUELIST, 1, 1, {"a", "z"}, ERR_BAD_REQUEST},
        {O311_TEXT, 0, 0, {""}, 0}, /* information only */
        {O311_TEXT, 0, 0, {"an answer"}, ERR_BAD_REQUEST},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err e = ERR_INIT;
        size_t n = 0;
        while (n < 3 && rows[i].v[n])
            n++;
        attr.datatype = rows[i].type;
        attr.required = rows[i].required;
        attr.variable = rows[i].variable;
        int rc = open311_attr_check(&attr, rows[i].v, n, &e);
        CHECK_INT_EQ(rc, rows[i].rc, "row %zu (%s): %s", i, open311_datatype_name(rows[i].type),
                     e.msg);
        if (rc)
            CHECK_STR_EQ(e.field, "attribute[X]", "row %zu names the attribute", i);
    }
    for (int t = 0; t < O311_DATATYPE_COUNT; t++)
        CHECK_INT_EQ(open311_datatype_from_name(open311_datatype_name((enum open311_datatype)t)), t,
                     "datatype %d", t);
    CHECK_INT_EQ(open311_datatype_from_name("boolean"), -1, "unknown datatype");
}

TEST(open311_coarsen_snaps_to_the_grid)
{
    double lat = 30.21234, lon = 120.15678;
    open311_coarsen(&lat, &lon);
    CHECK(fabs(lat - 30.215) < 1e-9, "lat %f", lat);
    CHECK(fabs(lon - 120.155) < 1e-9, "lon %f", lon);
    double lat2 = 30.2149, lon2 = 120.1501;
    open311_coarsen(&lat2, &lon2);
    CHECK(lat2 == lat && lon2 == lon, "one cell, one published point");
}

TEST(open311_scrub_masks_numbers_and_emails)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"我的电话13800138000请回电", "我的电话138****8000请回电"},
        {"call 0571-86900101 now", "call 057*-****0101 now"},
        {"138 0013 8000", "138 **** 8000"},
        {"138-0013-8000", "138-****-8000"},
        {"身份证330102199001011234", "身份证330***********1234"},
        {"工单 20261202-000001 已办结",
         "工单 20261202-000001 已办结"}, /* 8 + 6 digits: not one number */
        {"on 2026-12-02 at 8:00", "on 2026-12-02 at 8:00"},
        {"mail zhang.san@example.com please", "mail z********@example.com please"},
        {"a @ b", "a @ b"},
        {"", ""},
        /* issue 11: full-width digits and other separators are read as the number they are */
        {"电话１３８００１３８０００", "电话138****8000"},
        {"回电138.0013.8000谢谢", "回电138.****.8000谢谢"},
        {"１３８－００１３－８０００", "138-****-8000"},
        {"＋86 138 0013 8000", "＋86 1** **** 8000"},
        {"身份证33010219900101123X", "身份证330***********123X"},
        {"身份证 330102 19900101 1234", "身份证 330*** ******** 1234"},
        {"座机87654321", "座机******21"},
        {"拨打12345热线", "拨打12345热线"},
        {"长 1.5 米，2026.12.02 发现", "长 1.5 米，2026.12.02 发现"},
        /* names in the forms reports carry them */
        {"张先生反映井盖缺失", "某先生反映井盖缺失"},
        {"请李女士放心", "请某女士放心"},
        {"我叫王小明，住在附近", "我叫某某某，住在附近"},
        {"姓名：赵六 电话", "姓名：某某 电话"},
        {"我叫，不说", "我叫，不说"}, /* nothing after the word: no name, and no endless loop */
        {"联系人", "联系人"},
        /* a home to the door; streets and buildings stay */
        {"学府路8号3幢502室", "学府路8号3幢***室"},
        {"阳光小区8号楼2单元1203", "阳光小区8号楼*单元****"},
        {"学府路 8 号井盖", "学府路 8 号井盖"},
    };
    struct arena a;
    arena_init(&a, 256);
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        CHECK_STR_EQ(open311_scrub(&a, rows[i].in), rows[i].out, "row %zu", i);
    arena_release(&a);
}
