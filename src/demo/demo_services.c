/*
 * The demo's service catalogue (docs/services.md): the newborn's 一件事 (出生一件事), five items
 * of four departments filled in once, and one item on its own that 秒批 decides from the
 * applicant's profile (高龄津贴). 医保参保 of the bundle is 秒批 too: its only condition, the
 * parent's household registration in the district, is checkable from data. The rules and
 * fields are written in the canonical JSON the API would store (api_service.c).
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "service/service.h"
#include "store/store.h"

/* The fields shared by the bundle's items: one form asks each once. */
#define F_CHILD "{\"key\":\"child_name\",\"label\":\"新生儿姓名\"}"
#define F_BIRTH "{\"key\":\"child_birth_date\",\"label\":\"出生日期\"}"
#define F_SEX "{\"key\":\"child_sex\",\"label\":\"新生儿性别\"}"
#define F_MOTHER "{\"key\":\"mother_name\",\"label\":\"母亲姓名\"}"
#define F_FATHER "{\"key\":\"father_name\",\"label\":\"父亲姓名\"}"
#define F_HOSPITAL "{\"key\":\"birth_hospital\",\"label\":\"出生医院\"}"
#define F_ADDRESS "{\"key\":\"household_address\",\"label\":\"落户地址\"}"
#define F_MAIL "{\"key\":\"mailing_address\",\"label\":\"社保卡邮寄地址\"}"
#define F_BANK "{\"key\":\"bank_account\",\"label\":\"收款银行账号\"}"

struct demo_item {
    const char *dept, *name, *conditions, *materials;
    int days;
    enum service_mode mode;
    const char *fields;
    const char *rule; /* a format taking the district's code twice at most, NULL: none */
    int in_bundle;
};

/* clang-format off */
static const struct demo_item items[] = {
    {"WJJ", "出生医学证明", "在本区助产机构出生的新生儿",
     "父母双方身份证\n住院分娩记录", 5, SERVICE_ONLINE,
     "[" F_CHILD "," F_BIRTH "," F_SEX "," F_MOTHER "," F_FATHER "," F_HOSPITAL "]", NULL, 1},
    {"GAJ", "户口登记（出生登记）", "出生之日起一个月内，随父或随母在本区落户",
     "出生医学证明\n父母户口簿\n父母结婚证", 10, SERVICE_ONLINE,
     "[" F_CHILD "," F_BIRTH "," F_SEX "," F_FATHER "," F_MOTHER "," F_ADDRESS "]", NULL, 1},
    {"YBJ", "城乡居民医保参保（新生儿）", "父亲或母亲户籍在本区",
     "无需提交材料（由户籍数据核验）", 5, SERVICE_ONLINE,
     "[" F_CHILD "," F_BIRTH "]",
     "{\"field\":\"hukou_region\",\"op\":\"in\",\"value\":\"%s\"}", 1},
    {"RSJ", "社会保障卡申领", "已参加本区城乡居民医保",
     "新生儿近期照片（可由系统调取）", 15, SERVICE_ONLINE,
     "[" F_CHILD "," F_BIRTH "," F_MAIL "]", NULL, 1},
    {"WJJ", "预防接种证办理", "在本区出生或居住的适龄儿童",
     "出生医学证明", 3, SERVICE_COUNTER,
     "[" F_CHILD "," F_BIRTH "," F_MOTHER "]", NULL, 1},
    {"MZJ", "高龄津贴申领", "年满 80 周岁且户籍在本区的老年人",
     "无需提交材料（由户籍与年龄数据核验）", 10, SERVICE_ONLINE, "[" F_BANK "]",
     "{\"all\":[{\"field\":\"age\",\"op\":\">=\",\"value\":80},"
     "{\"field\":\"hukou_region\",\"op\":\"in\",\"value\":\"%s\"}]}", 0},
};
/* clang-format on */

int demo_load_services(struct store_conn *c, int64_t now, struct err *err)
{
    char district[32], rule[512];
    int64_t ids[sizeof(items) / sizeof(items[0])];
    size_t nbundle = 0;
    int64_t bundle_items[sizeof(items) / sizeof(items[0])];
    char *code = NULL;
    struct arena a;
    arena_init(&a, 1024);
    int rc =
        store_one_text(c, "SELECT code FROM regions WHERE parent_id IS NULL ORDER BY id LIMIT 1",
                       STORE_NO_ARGS, &a, &code, err);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        rc = err_set(err, ERR_INTERNAL, "the demo has no district");
        goto out;
    }
    snprintf(district, sizeof(district), "%s", code);
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        const struct demo_item *d = &items[i];
        int64_t dept = 0;
        rc = store_one_i64(c, "SELECT id FROM departments WHERE code = ?",
                           STORE_ARGS(store_text(d->dept)), &dept, err);
        if (rc < 0)
            goto out;
        if (rc == 0) {
            rc = err_set(err, ERR_INTERNAL, "demo department %s is missing", d->dept);
            goto out;
        }
        if (d->rule)
            snprintf(rule, sizeof(rule), d->rule, district);
        struct service_item_in in = {
            .name = d->name,
            .conditions = d->conditions,
            .materials = d->materials,
            .fields = d->fields,
            .rule = d->rule ? rule : NULL,
            .department_id = dept,
            .time_limit_days = d->days,
            .mode = d->mode,
            .active = 1,
        };
        if ((rc = service_item_create(c, &in, now, &ids[i], err)) < 0)
            goto out;
        if (d->in_bundle)
            bundle_items[nbundle++] = ids[i];
    }
    struct service_bundle_in b = {
        .name = "出生一件事",
        .summary = "新生儿出生医学证明、户口登记、医保参保、社保卡、预防接种证，一次填报，"
                   "各部门分头办理，一个结果",
        .active = 1,
        .items = bundle_items,
        .nitems = nbundle,
    };
    int64_t bundle;
    rc = service_bundle_create(c, &b, now, &bundle, err);
out:
    arena_release(&a);
    return rc < 0 ? rc : 0;
}
