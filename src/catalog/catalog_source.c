/*
 * Gridloop sources: a dataset whose source is 'cases' reads the cases table (12345 工单) through
 * fixed, documented columns (docs/data-sharing.md), so a grant can share case data without an
 * export. The caller's phone number is read in its masked form (the clear number needs the data
 * key, which the domain does not hold). Rows are cases, row_no the case id, region the case's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog_internal.h"
#include "core/err.h"
#include "org/org.h"
#include "store/store.h"

/* clang-format off */
static const struct catalog_field CASE_FIELDS[] = {
    {"number",       "工单编号",   "text",    "none",    1, 1, 1, 1, 0, 0, 0, 0},
    {"category",     "事项分类",   "text",    "none",    2, 1, 0, 0, 0, 0, 0, 0},
    {"street",       "街道",       "text",    "none",    3, 1, 0, 0, 0, 0, 0, 0},
    {"community",    "社区",       "text",    "none",    4, 1, 0, 0, 0, 0, 0, 0},
    {"region",       "所在区域代码", "region",  "none",    5, 1, 0, 0, 0, 0, 0, 0},
    {"channel",      "来源渠道",   "text",    "none",    6, 1, 1, 0, 0, 0, 0, 0},
    {"kind",         "诉求类型",   "text",    "none",    7, 1, 1, 0, 0, 0, 0, 0},
    {"state",        "办理状态",   "text",    "none",    8, 1, 1, 0, 0, 0, 0, 0},
    {"created_at",   "受理日期",   "date",    "none",    9, 1, 1, 0, 0, 0, 0, 0},
    {"closed_at",    "办结日期",   "date",    "none",   10, 1, 0, 0, 0, 0, 0, 0},
    {"caller_name",  "来电人姓名", "name",    "name",   11, 3, 0, 0, 0, 0, 0, 0},
    {"caller_phone", "来电号码",   "text",    "phone",  12, 3, 0, 0, 0, 0, 0, 0},
    {"address",      "事发地址",   "text",    "address", 13, 2, 0, 0, 0, 0, 0, 0},
};
/* clang-format on */
#define NCASE (sizeof(CASE_FIELDS) / sizeof(CASE_FIELDS[0]))

const struct catalog_field *catalog_source_fields(const char *source, size_t *n)
{
    if (source && strcmp(source, "cases") == 0) {
        *n = NCASE;
        return CASE_FIELDS;
    }
    *n = 0;
    return NULL;
}

/* A day in China Standard Time (UTC+8), "" for none. */
static void day(int64_t t, char out[16])
{
    out[0] = '\0';
    if (t <= 0)
        return;
    time_t s = (time_t)(t + 8 * 3600);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static int case_row(void *ctx, struct store_stmt *row)
{
    struct catalog_scan *s = ctx;
    const char *code = store_col_text(row, 5);
    if (s->scope_code && !org_region_code_in_subtree(code, s->scope_code))
        return 0;
    char created[16], closed[16];
    day(store_col_int(row, 9), created);
    day(store_col_int(row, 10), closed);
    int anonymous = store_col_int(row, 14) != 0;
    const char *v[NCASE] = {
        store_col_text(row, 2),  /* number */
        store_col_text(row, 3),  /* category */
        store_col_text(row, 4),  /* street */
        store_col_text(row, 13), /* community */
        code,
        store_col_text(row, 6), /* channel */
        store_col_text(row, 7), /* kind */
        store_col_text(row, 8), /* state */
        created,
        closed,
        anonymous ? "" : store_col_text(row, 11),
        anonymous ? "" : store_col_text(row, 12),
        store_col_text(row, 15),
    };
    return catalog_scan_emit(s, store_col_int(row, 0), store_col_int(row, 1), v, NCASE);
}

int catalog_source_scan(struct store_conn *c, const struct catalog_dataset *d,
                        struct catalog_scan *s, int64_t after_row, struct err *err)
{
    if (strcmp(d->source, "cases") != 0)
        return err_set(err, ERR_INTERNAL, "unknown source %s", d->source);
    /* The street and the community: the case's region or the first of its ancestors at that
     * level (a case sits in a community, a grid or a micro-grid). */
    int64_t rc = store_all(
        c,
        "SELECT c.id, coalesce(c.region_id, 0), c.number, coalesce(k.name, ''),"
        " coalesce(CASE WHEN r.level = 'street' THEN r.name WHEN p.level = 'street' THEN p.name"
        " WHEN g.level = 'street' THEN g.name WHEN h.level = 'street' THEN h.name END, ''),"
        " coalesce(c.region_code, ''), c.channel, c.kind, c.state, c.created_at,"
        " coalesce(c.closed_at, 0), c.citizen_name, c.citizen_phone_mask,"
        " coalesce(CASE WHEN r.level = 'community' THEN r.name WHEN p.level = 'community'"
        " THEN p.name WHEN g.level = 'community' THEN g.name END, ''), c.anonymous, c.address"
        " FROM cases c LEFT JOIN categories k ON k.id = c.category_id"
        " LEFT JOIN regions r ON r.id = c.region_id LEFT JOIN regions p ON p.id = r.parent_id"
        " LEFT JOIN regions g ON g.id = p.parent_id LEFT JOIN regions h ON h.id = g.parent_id"
        " WHERE c.id > ? AND c.master_id IS NULL ORDER BY c.id",
        STORE_ARGS(store_i64(after_row)), case_row, s, err);
    if (s->rc < 0)
        return s->rc;
    return rc < 0 ? (int)rc : 0;
}
