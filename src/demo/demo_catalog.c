/*
 * The demo's data resource catalogue (docs/data-sharing.md): four datasets of different owners,
 * grades and sharing classes, written through the catalogue's own functions:
 *   - 辖区常住人口信息 (区民政局, 重要, 有条件共享): 300 generated residents imported as a file
 *     would be, plus 24 rows carried over from the old register before checks existed (some
 *     ID numbers with a wrong check digit, missing mobiles), which the first quality run finds;
 *   - 市场主体登记信息 (区市场监督管理局, 一般, 无条件共享): 60 firms with valid credit codes;
 *   - 12345 工单数据 (指挥中心, 重要, 有条件共享): the 'cases' source;
 *   - 重点人员管控信息 (区公安分局, 核心, 不予共享): catalogued, never shared, no rows.
 * The generator is deterministic (a fixed seed), so the demo is the same every time.
 */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "demo/demo.h"
#include "org/org.h"
#include "store/store.h"
#include "valid/valid.h"

#define PEOPLE 300
#define LEGACY 24
#define FIRMS 60

/* clang-format off */
static const struct catalog_field PEOPLE_FIELDS[] = {
    {"name",      "姓名",         "name",    "name",    1, 3, 1, 0, 0, 0, 0, 0},
    {"id_no",     "公民身份号码", "id_card", "id_card", 2, 4, 1, 1, 0, 0, 0, 0},
    {"gender",    "性别",         "text",    "none",    3, 2, 1, 0, 0, 0, 0, 0},
    {"birthday",  "出生日期",     "date",    "year",    4, 3, 1, 0, 0, 0, 0, 0},
    {"mobile",    "手机号码",     "mobile",  "mobile",  5, 3, 1, 0, 0, 0, 0, 0},
    {"address",   "居住地址",     "address", "address", 6, 3, 1, 0, 0, 0, 0, 0},
    {"community", "所属社区",     "region",  "none",    7, 1, 1, 0, 0, 0, 0, 0},
    {"household", "家庭人口数",   "integer", "none",    8, 1, 0, 0, 1, 1, 1, 12},
};
static const struct catalog_field FIRM_FIELDS[] = {
    {"credit_code", "统一社会信用代码", "credit_code", "none",    1, 1, 1, 1, 0, 0, 0, 0},
    {"firm_name",   "企业名称",         "text",        "none",    2, 1, 1, 0, 0, 0, 0, 0},
    {"legal_rep",   "法定代表人",       "name",        "name",    3, 2, 1, 0, 0, 0, 0, 0},
    {"address",     "住所",             "address",     "none",    4, 1, 1, 0, 0, 0, 0, 0},
    {"founded",     "成立日期",         "date",        "none",    5, 1, 1, 0, 0, 0, 0, 0},
    {"capital",     "注册资本（万元）", "number",      "none",    6, 1, 0, 0, 1, 0, 0, 0},
};
static const struct catalog_field WATCH_FIELDS[] = {
    {"name",   "姓名",         "name",    "full", 1, 4, 1, 0, 0, 0, 0, 0},
    {"id_no",  "公民身份号码", "id_card", "full", 2, 4, 1, 1, 0, 0, 0, 0},
    {"reason", "管控事由",     "text",    "full", 3, 4, 1, 0, 0, 0, 0, 0},
};
/* clang-format on */
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const SURNAMES[] = {"王", "李", "张", "刘", "陈", "杨", "黄",   "赵",
                                       "吴", "周", "徐", "孙", "马", "朱", "胡",   "郭",
                                       "何", "林", "罗", "高", "郑", "梁", "谢",   "宋",
                                       "唐", "许", "韩", "冯", "邓", "曹", "欧阳", "诸葛"};
static const char *const GIVEN[] = {
    "伟", "芳",   "娜",   "敏",   "静", "丽",   "强",   "磊",   "军",   "洋",   "勇",   "艳",
    "杰", "娟",   "涛",   "明",   "超", "秀英", "霞",   "平",   "刚",   "桂英", "建华", "文",
    "华", "玉兰", "志强", "海燕", "晨", "子涵", "浩然", "雨桐", "一诺", "欣怡", "梓轩", "佳琪"};
static const char *const BIRTH_REGIONS[] = {"330106", "330102", "330105", "330108",
                                            "330110", "330183", "341122", "362301"};
static const char *const FIRM_WORDS[] = {"澜溪", "青石", "柳湾", "白鹭", "松岭", "恒信",
                                         "博远", "华创", "嘉禾", "德润", "启明", "安和"};
static const char *const FIRM_TRADES[] = {"餐饮管理", "物业服务", "建筑工程", "信息技术",
                                          "商贸",     "家政服务", "装饰设计", "物流"};
static const char *const MOBILE_PREFIX[] = {"138", "139", "137", "150", "151", "158",
                                            "186", "187", "189", "133", "177", "199"};

/* A small deterministic generator (xorshift), so every demo is the same. */
static unsigned next(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static char id_check(const char *p17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (p17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static char credit_check(const char *p17)
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(set, p17[i]) - set) * w[i];
    return set[(31 - sum % 31) % 31];
}

struct community {
    int64_t id;
    const char *code, *name;
};
typedef VEC(struct community) community_vec;

static int push_community(void *ctx, struct store_stmt *row)
{
    community_vec *v = ctx;
    struct community *c = vec_push(v);
    c->id = store_col_int(row, 0);
    c->code = arena_strdup(v->arena, store_col_text(row, 1));
    c->name = arena_strdup(v->arena, store_col_text(row, 2));
    return 0;
}

/* A table held in memory (rows of cells, the first the header), read as a file would be. */
struct table {
    const char ***rows;
    size_t nrows, ncols, at;
};

static int table_next(void *ud, const char *const **cells, size_t *n, int64_t *line,
                      struct err *err)
{
    (void)err;
    struct table *t = ud;
    if (t->at >= t->nrows)
        return 0;
    *cells = t->rows[t->at];
    *n = t->ncols;
    *line = (int64_t)++t->at;
    return 1;
}

static int make_dataset(struct store_conn *c, const char *dept, const char *name,
                        const char *description, const char *grade, const char *pi_level,
                        const char *share_class, const char *open_class, const char *freq,
                        const char *source, const struct catalog_field *f, size_t nf, int64_t now,
                        struct arena *a, struct catalog_dataset *out, struct err *err)
{
    int64_t dept_id = 0, id;
    int rc = store_one_i64(c, "SELECT id FROM departments WHERE code = ?",
                           STORE_ARGS(store_text(dept)), &dept_id, err);
    if (rc == 0)
        return err_set(err, ERR_INTERNAL, "demo department %s is missing", dept);
    struct catalog_dataset_in in = {NULL,     name,        description, dept_id, grade,
                                    pi_level, share_class, open_class,  freq,    source,
                                    5,        1,           f,           nf};
    if (rc < 0 || (rc = catalog_dataset_create(c, &in, 0, now, &id, err)) < 0)
        return rc;
    return catalog_dataset_get(c, id, a, out, err);
}

static int import_table(struct store_conn *c, const struct catalog_dataset *d, struct table *t,
                        int64_t now, struct arena *a, struct err *err)
{
    struct catalog_reader r = {t, table_next, NULL, "csv", "utf-8"};
    struct catalog_import_report rep;
    int rc = catalog_import(c, d, &r, "replace", "demo.csv", 0, now, a, &rep, err);
    if (rc < 0 && rep.nerrors)
        return err_set(err, rc, "demo import of %s: line %lld, %s: %s", d->name,
                       (long long)rep.errors[0].line, rep.errors[0].field, rep.errors[0].reason);
    return rc;
}

static const char **row_of(struct arena *a, size_t n)
{
    return arena_alloc(a, n * sizeof(const char *));
}

static int people(struct store_conn *c, const community_vec *comm, int64_t now, struct arena *a,
                  struct err *err)
{
    struct catalog_dataset d;
    int rc = make_dataset(c, "MZJ", "辖区常住人口信息",
                          "辖区常住人口的基本信息，按月由各社区采集更新，用于民生服务和基层治理。",
                          "important", "sensitive", "conditional", "closed", "monthly", "import",
                          PEOPLE_FIELDS, N(PEOPLE_FIELDS), now, a, &d, err);
    if (rc < 0)
        return rc;
    unsigned seed = 20261205;
    struct table t = {arena_alloc(a, (PEOPLE + LEGACY + 1) * sizeof(char **)), 0, N(PEOPLE_FIELDS),
                      0};
    const char **h = row_of(a, t.ncols);
    for (size_t i = 0; i < t.ncols; i++)
        h[i] = PEOPLE_FIELDS[i].label;
    t.rows[t.nrows++] = h;
    for (int i = 0; i < PEOPLE + LEGACY; i++) {
        const char **r = row_of(a, t.ncols);
        int legacy = i >= PEOPLE;
        int female = (int)(next(&seed) % 2);
        r[0] = arena_printf(a, "%s%s", SURNAMES[next(&seed) % N(SURNAMES)],
                            GIVEN[next(&seed) % N(GIVEN)]);
        int y = 1940 + (int)(next(&seed) % 66), m = 1 + (int)(next(&seed) % 12),
            dd = 1 + (int)(next(&seed) % 28);
        char p17[18];
        snprintf(p17, sizeof(p17), "%s%04d%02d%02d%02u%u",
                 BIRTH_REGIONS[next(&seed) % N(BIRTH_REGIONS)], y, m, dd, next(&seed) % 100,
                 (next(&seed) % 5) * 2 + (female ? 0 : 1));
        char check = id_check(p17);
        /* The old register's rows: half with a wrong check digit, half without a mobile. */
        if (legacy && i % 2 == 0)
            check = check == '0' ? '1' : '0';
        r[1] = arena_printf(a, "%s%c", p17, check);
        r[2] = female ? "女" : "男";
        r[3] = arena_printf(a, "%04d-%02d-%02d", y, m, dd);
        r[4] = legacy && i % 2 == 1
                   ? ""
                   : arena_printf(a, "%s%08u", MOBILE_PREFIX[next(&seed) % N(MOBILE_PREFIX)],
                                  next(&seed) % 100000000);
        const struct community *cm = &comm->v[next(&seed) % comm->n];
        r[5] = arena_printf(a, "%s%u幢%u单元%u室", cm->name, 1 + next(&seed) % 30,
                            1 + next(&seed) % 4, 101 + (next(&seed) % 18) * 100 + next(&seed) % 4);
        r[6] = cm->code;
        r[7] = arena_printf(a, "%u", 1 + next(&seed) % 6);
        if (!legacy)
            t.rows[t.nrows++] = r;
        else
            t.rows[PEOPLE + 1 + (size_t)(i - PEOPLE)] = r;
    }
    if ((rc = import_table(c, &d, &t, now, a, err)) < 0)
        return rc;
    /* The rows carried over from the old register, loaded as they were (no checks then). */
    return catalog_rows_carry_over(c, &d, t.rows + PEOPLE + 1, LEGACY, now, err);
}

static int firms(struct store_conn *c, const community_vec *comm, int64_t now, struct arena *a,
                 struct err *err)
{
    struct catalog_dataset d;
    int rc = make_dataset(c, "SJJ", "市场主体登记信息",
                          "辖区企业和个体工商户的登记信息，含统一社会信用代码、法定代表人、住所。",
                          "general", "personal", "unconditional", "open", "daily", "import",
                          FIRM_FIELDS, N(FIRM_FIELDS), now, a, &d, err);
    if (rc < 0)
        return rc;
    unsigned seed = 330179;
    struct table t = {arena_alloc(a, (FIRMS + 1) * sizeof(char **)), 0, N(FIRM_FIELDS), 0};
    const char **h = row_of(a, t.ncols);
    for (size_t i = 0; i < t.ncols; i++)
        h[i] = FIRM_FIELDS[i].name;
    t.rows[t.nrows++] = h;
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (int i = 0; i < FIRMS; i++) {
        const char **r = row_of(a, t.ncols);
        char p17[18];
        /* 9 (工商) 1 (企业), the district's code, then a 9-character organisation code. */
        snprintf(p17, sizeof(p17), "91%s", "330179");
        for (int k = 8; k < 17; k++)
            p17[k] = set[next(&seed) % (k == 8 ? 10 : 31)];
        p17[16] = valid_org_code_check(p17 + 8); /* the organisation code's GB 11714 check */
        p17[17] = '\0';
        r[0] = arena_printf(a, "%s%c", p17, credit_check(p17));
        r[1] = arena_printf(a, "杭州%s%s有限公司", FIRM_WORDS[next(&seed) % N(FIRM_WORDS)],
                            FIRM_TRADES[next(&seed) % N(FIRM_TRADES)]);
        if (i % 7 == 3)
            r[1] = arena_printf(a, "%s（%d）", r[1], i);
        r[2] = arena_printf(a, "%s%s", SURNAMES[next(&seed) % N(SURNAMES)],
                            GIVEN[next(&seed) % N(GIVEN)]);
        const struct community *cm = &comm->v[next(&seed) % comm->n];
        r[3] = arena_printf(a, "%s商业楼%u号", cm->name, 1 + next(&seed) % 200);
        r[4] = arena_printf(a, "%04u-%02u-%02u", 2000 + next(&seed) % 26, 1 + next(&seed) % 12,
                            1 + next(&seed) % 28);
        r[5] = arena_printf(a, "%u", 10 + next(&seed) % 5000);
        t.rows[t.nrows++] = r;
    }
    return import_table(c, &d, &t, now, a, err);
}

/* 数据质量问题 under 99 其他: the cases that send a dataset's problems back to its owner. */
static int quality_category(struct store_conn *c, int64_t now, struct err *err)
{
    int64_t parent = 0, id;
    int rc = store_one_i64(c, "SELECT id FROM categories WHERE code = '99'", STORE_NO_ARGS, &parent,
                           err);
    if (rc <= 0)
        return rc;
    struct org_category_in in = {CATALOG_QUALITY_CATEGORY,
                                 "数据质量问题",
                                 2,
                                 parent,
                                 0,
                                 ORG_URGENCY_NORMAL,
                                 {1, 5, 10, CAL_WORK_DAYS},
                                 "数据质量 共享数据 准确率 身份证号 错误 缺失 重复",
                                 1};
    return org_category_create(c, &in, now, &id, err);
}

int demo_load_catalog(struct store_conn *c, int64_t now, struct err *err)
{
    struct arena a;
    arena_init(&a, 1 << 16);
    community_vec comm = VEC_IN(&a);
    struct catalog_dataset d;
    int64_t rc = store_all(c,
                           "SELECT id, code, name FROM regions WHERE level = 'community'"
                           " ORDER BY code",
                           STORE_NO_ARGS, push_community, &comm, err);
    if (rc >= 0 && comm.n == 0)
        rc = err_set(err, ERR_INTERNAL, "the demo has no communities");
    if (rc >= 0)
        rc = quality_category(c, now, err);
    if (rc >= 0)
        rc = people(c, &comm, now, &a, err);
    if (rc >= 0)
        rc = firms(c, &comm, now, &a, err);
    if (rc >= 0)
        rc = make_dataset(c, "ZHZX", "12345 工单数据",
                          "12345 热线和网格上报的工单：编号、分类、所在街道社区、渠道、状态、"
                          "受理和办结日期、来电人（脱敏）、地址。实时读取工单库。",
                          "important", "personal", "conditional", "closed", "realtime", "cases",
                          NULL, 0, now, &a, &d, err);
    if (rc >= 0)
        rc = make_dataset(c, "GAJ", "重点人员管控信息",
                          "涉及国家安全和个人隐私，依法不予共享，仅列入负面清单。", "core",
                          "sensitive", "none", "closed", "irregular", "import", WATCH_FIELDS,
                          N(WATCH_FIELDS), now, &a, &d, err);
    arena_release(&a);
    return rc < 0 ? (int)rc : 0;
}
