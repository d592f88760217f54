#include "demo/demo.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "cal/cal_cn.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "kb/kb.h"
#include "core/mem.h"
#include "demo/demo_data.h"
#include "org/org.h"
#include "store/store.h"

/* One account per role, plus department- and region-bound variants so scopes can be tried. */
const struct demo_user demo_users[] = {
    {"admin", "admin", "系统管理员"},
    {"operator", "operator", "12345 话务员"},
    {"dispatcher", "dispatcher", "派单员（区指挥中心）"},
    {"handler_cgj", "handler", "城管局承办人（区城管局）"},
    {"handler_qsjd", "handler", "青石街道承办人（青石街道办事处）"},
    {"grid_worker", "grid_worker", "网格员（区域：青石社区第1网格）"},
    {"supervisor", "supervisor", "督办员"},
    /* the ladder's officials (docs/grid.md §5): a street's and a community's 综治中心 */
    {"street_official", "dispatcher", "街道干部"},
    {"community_official", "dispatcher", "社区干部"},
    {"data_officer", "data_officer", "数据专员（区民政局）"},
    {"citizen", "citizen", "市民"},
};
const size_t demo_users_count = sizeof(demo_users) / sizeof(demo_users[0]);

const char *demo_user_what(size_t i, const char *district, char *buf, size_t size)
{
    const struct demo_district *d = district ? demo_district_find(district) : NULL;
    const char *name = demo_users[i].name;
    if (d && strcmp(name, "handler_qsjd") == 0)
        snprintf(buf, size, "%s承办人（%s办事处）", d->streets[0].name, d->streets[0].name);
    else if (d && strcmp(name, "grid_worker") == 0)
        snprintf(buf, size, "网格员（区域：%s第1网格）", d->communities[0].name);
    else
        return demo_users[i].what;
    return buf;
}

/* A closed counter-clockwise rectangle as a GeoJSON Polygon. Shared edges are computed from
 * the same arithmetic, so neighbouring cells meet exactly: no gaps, no overlaps. */
static char *rect(struct arena *a, double x0, double y0, double x1, double y1)
{
    return arena_printf(
        a,
        "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],"
        "[%.6f,%.6f],[%.6f,%.6f]]]}",
        x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
}

static double lerp(double a, double b, int i, int n)
{
    return a + (b - a) * i / n;
}

struct loader {
    struct store_conn *c;
    struct arena *a;
    int64_t now;
    const unsigned char *key;
    struct demo_report *rep;
    struct err *err;
    int64_t grid_worker_region;
    int64_t street_ids[4];
    const struct demo_district *real; /* NULL: the synthetic 澜溪区 */
    int64_t *real_streets;            /* real->nstreets street ids */
};

static int add_region(struct loader *l, const char *code, const char *name,
                      enum org_region_level level, int64_t parent, const char *boundary,
                      int64_t *id)
{
    struct org_region_in in = {code, name, level, parent, boundary};
    int rc = org_region_create(l->c, &in, l->now, id, l->err);
    if (rc == 0)
        l->rep->regions++;
    return rc;
}

static int load_regions(struct loader *l)
{
    const double *bb = demo_district_bbox;
    int64_t district, street, community, grid;
    int rc;
    if (l->real) {
        l->real_streets = arena_alloc(l->a, l->real->nstreets * sizeof(int64_t));
        return demo_district_regions(l->c, l->real, l->a, l->now, l->real_streets,
                                     &l->grid_worker_region, &l->rep->regions, l->err);
    }
    if ((rc = add_region(l, demo_district_code, demo_district_name, ORG_REGION_DISTRICT, 0,
                         rect(l->a, bb[0], bb[1], bb[2], bb[3]), &district)) < 0)
        return rc;
    for (int s = 0; s < 4; s++) {
        /* Streets are the quadrants of the district, communities the quadrants of a street,
         * and grids a 3 x 2 split of a community. */
        int sx = s % 2, sy = s / 2;
        double x0 = lerp(bb[0], bb[2], sx, 2), x1 = lerp(bb[0], bb[2], sx + 1, 2);
        double y0 = lerp(bb[1], bb[3], sy, 2), y1 = lerp(bb[1], bb[3], sy + 1, 2);
        char *scode = arena_printf(l->a, "%s%03d", demo_district_code, s + 1);
        if ((rc = add_region(l, scode, demo_streets[s].name, ORG_REGION_STREET, district,
                             rect(l->a, x0, y0, x1, y1), &street)) < 0)
            return rc;
        l->street_ids[s] = street;
        for (int c = 0; c < 4; c++) {
            int cx = c % 2, cy = c / 2;
            double cx0 = lerp(x0, x1, cx, 2), cx1 = lerp(x0, x1, cx + 1, 2);
            double cy0 = lerp(y0, y1, cy, 2), cy1 = lerp(y0, y1, cy + 1, 2);
            char *ccode = arena_printf(l->a, "%s%03d", scode, c + 1);
            if ((rc = add_region(l, ccode, demo_streets[s].communities[c], ORG_REGION_COMMUNITY,
                                 street, rect(l->a, cx0, cy0, cx1, cy1), &community)) < 0)
                return rc;
            for (int g = 0; g < DEMO_GRID_COLS * DEMO_GRID_ROWS; g++) {
                int gx = g % DEMO_GRID_COLS, gy = g / DEMO_GRID_COLS;
                char *gcode = arena_printf(l->a, "%s%02d", ccode, g + 1);
                char *gname =
                    arena_printf(l->a, "%s第%d网格", demo_streets[s].communities[c], g + 1);
                if ((rc = add_region(l, gcode, gname, ORG_REGION_GRID, community,
                                     rect(l->a, lerp(cx0, cx1, gx, DEMO_GRID_COLS),
                                          lerp(cy0, cy1, gy, DEMO_GRID_ROWS),
                                          lerp(cx0, cx1, gx + 1, DEMO_GRID_COLS),
                                          lerp(cy0, cy1, gy + 1, DEMO_GRID_ROWS)),
                                     &grid)) < 0)
                    return rc;
                if (s == 0 && c == 0 && g == 0)
                    l->grid_worker_region = grid;
            }
        }
    }
    return 0;
}

static int64_t department_id(struct loader *l, const char *code)
{
    struct org_department d;
    struct err ignored = ERR_INIT;
    return code && org_department_get_by_code(l->c, code, l->a, &d, &ignored) == 0 ? d.id : 0;
}

static int street_office(const struct demo_department *d)
{
    size_t n = strlen(d->name);
    return (n > 15 && strcmp(d->name + n - 15, "街道办事处") == 0) ||
           (n > 15 && strcmp(d->name + n - 15, "镇人民政府") == 0);
}

/* On a real district its streets get the street offices: the demo's first ones keep their
 * codes (QSJD, ...: demo_cases and the accounts use them) under the real street's name, and
 * the rest are added as JD + the street's last three digits. */
static int real_offices(struct loader *l)
{
    size_t office = 0;
    int rc;
    for (size_t s = 0; s < l->real->nstreets; s++) {
        const struct demo_district_street *st = &l->real->streets[s];
        const char *code = NULL, *phone = "";
        while (office < demo_departments_count && !street_office(&demo_departments[office]))
            office++;
        if (office < demo_departments_count) {
            code = demo_departments[office].code;
            phone = demo_departments[office].phone;
            office++;
        } else {
            code = arena_printf(l->a, "JD%s", st->code + 6);
        }
        struct org_department_in in = {code, arena_printf(l->a, "%s办事处", st->name), 0, phone, 1};
        int64_t id;
        if ((rc = org_department_create(l->c, &in, l->now, &id, l->err)) < 0)
            return err_set(l->err, rc, "department %s: %s", code, l->err->msg);
        l->rep->departments++;
        if ((rc = org_department_set_regions(l->c, id, &l->real_streets[s], 1, l->now, l->err)) < 0)
            return rc;
    }
    return 0;
}

static int load_departments(struct loader *l)
{
    int rc;
    if (l->real && (rc = real_offices(l)) < 0)
        return rc;
    for (size_t i = 0; i < demo_departments_count; i++) {
        const struct demo_department *d = &demo_departments[i];
        if (l->real && street_office(d))
            continue;
        struct org_department_in in = {d->code, d->name, department_id(l, d->parent_code), d->phone,
                                       1};
        /* 澜溪供水有限公司 -> 东城供水有限公司 */
        static const char lanxi[] = "澜溪";
        if (l->real && strncmp(d->name, lanxi, sizeof(lanxi) - 1) == 0)
            in.name = arena_printf(l->a, "%.*s%s", (int)strlen(l->real->name) - 3, l->real->name,
                                   d->name + sizeof(lanxi) - 1);
        int64_t id, district = 0;
        if ((rc = org_department_create(l->c, &in, l->now, &id, l->err)) < 0)
            return err_set(l->err, rc, "department %s: %s", d->code, l->err->msg);
        l->rep->departments++;
        /* Street offices serve their street; every district department serves the district. */
        int64_t served = 0;
        for (int s = 0; s < 4 && !l->real; s++)
            if (strncmp(d->name, demo_streets[s].name, strlen(demo_streets[s].name)) == 0)
                served = l->street_ids[s];
        if (!served && store_one_i64(l->c, "SELECT id FROM regions WHERE level = 'district'",
                                     STORE_NO_ARGS, &district, l->err) == 1)
            served = district;
        if (served && (rc = org_department_set_regions(l->c, id, &served, 1, l->now, l->err)) < 0)
            return rc;
    }
    return 0;
}

static int load_categories(struct loader *l)
{
    int rc;
    for (size_t i = 0; i < demo_categories_count; i++) {
        const struct demo_category *k = &demo_categories[i];
        struct org_category_in in = {0};
        size_t len = strlen(k->code);
        in.code = k->code;
        in.name = k->name;
        in.level = (int)(len / 2);
        if (in.level > 1) {
            struct org_category parent;
            char *pcode = arena_strndup(l->a, k->code, len - 2);
            if ((rc = org_category_get_by_code(l->c, pcode, l->a, &parent, l->err)) < 0)
                return err_set(l->err, rc, "category %s: parent: %s", k->code, l->err->msg);
            in.parent_id = parent.id;
        }
        in.department_id = department_id(l, k->dept_code);
        in.urgency = (enum org_urgency)org_urgency_from_name(k->urgency);
        in.sla.sign = k->sla_sign;
        in.sla.reply = k->sla_reply;
        in.sla.resolve = k->sla_resolve;
        in.sla.unit = (enum cal_unit)cal_unit_from_name(k->sla_unit);
        in.keywords = k->keywords;
        in.active = 1;
        int64_t id;
        if ((rc = org_category_create(l->c, &in, l->now, &id, l->err)) < 0)
            return err_set(l->err, rc, "category %s: %s", k->code, l->err->msg);
        l->rep->categories++;
    }
    return 0;
}

static int set_day(struct loader *l, struct cal_cn_date d, enum cal_day_kind kind, const char *name)
{
    char day[16];
    snprintf(day, sizeof(day), "%04d-%02d-%02d", d.y, d.m, d.d);
    int rc = org_calendar_day_set(l->c, day, kind, name, l->err);
    if (rc == 0)
        l->rep->calendar_days++;
    return rc;
}

static int load_calendar(struct loader *l)
{
    struct org_calendar_settings s;
    size_t n;
    int rc;
    org_calendar_settings_default(&s);
    if ((rc = org_calendar_settings_set(l->c, &s, l->now, l->err)) < 0)
        return rc;
    const struct cal_cn_holiday *h = cal_cn_holidays_2026(&n);
    for (size_t i = 0; i < n; i++) {
        int64_t from = clock_days_from_civil(h[i].from.y, h[i].from.m, h[i].from.d);
        int64_t to = clock_days_from_civil(h[i].to.y, h[i].to.m, h[i].to.d);
        for (int64_t d = from; d <= to; d++) {
            struct cal_cn_date cd;
            clock_civil_from_days(d, &cd.y, &cd.m, &cd.d);
            if ((rc = set_day(l, cd, CAL_DAY_HOLIDAY, h[i].name)) < 0)
                return rc;
        }
        for (int w = 0; w < h[i].nworkdays; w++) {
            char *name = arena_printf(l->a, "%s调休上班", h[i].name);
            if ((rc = set_day(l, h[i].workdays[w], CAL_DAY_WORKDAY, name)) < 0)
                return rc;
        }
    }
    return 0;
}

static int load_users(struct loader *l, const char *password)
{
    int rc;
    for (size_t i = 0; i < demo_users_count; i++) {
        const struct demo_user *u = &demo_users[i];
        struct auth_user_input in = {0};
        int64_t depts[1], id;
        in.name = u->name;
        in.display_name = u->what;
        in.password = password;
        in.demo_password = 1;
        in.phone = arena_printf(l->a, "1380000%04zu", 8000 + i);
        in.data_key = l->key;
        if ((rc = auth_roles_parse(u->roles, &in.roles, l->err)) < 0)
            return rc;
        if (strcmp(u->name, "handler_cgj") == 0) {
            depts[0] = department_id(l, "CGJ");
            in.depts = depts;
            in.ndepts = 1;
        } else if (strcmp(u->name, "data_officer") == 0) {
            /* 区民政局's: the owner of the demo's population dataset (demo_catalog.c) */
            depts[0] = department_id(l, "MZJ");
            in.depts = depts;
            in.ndepts = 1;
        } else if (strcmp(u->name, "handler_qsjd") == 0) {
            depts[0] = department_id(l, "QSJD");
            in.depts = depts;
            in.ndepts = 1;
            in.region_code = l->real ? l->real->streets[0].code
                                     : arena_printf(l->a, "%s001", demo_district_code);
            if (l->real)
                in.display_name = arena_printf(l->a, "%s承办人（%s办事处）",
                                               l->real->streets[0].name, l->real->streets[0].name);
        } else if (strcmp(u->name, "street_official") == 0 ||
                   strcmp(u->name, "community_official") == 0) {
            /* the ladder's officials: the grid worker's community and its street */
            struct org_region r;
            int up = strcmp(u->name, "street_official") == 0 ? 2 : 1;
            if ((rc = org_region_get(l->c, l->grid_worker_region, l->a, &r, l->err)) < 0)
                return rc;
            while (up-- > 0)
                if ((rc = org_region_get(l->c, r.parent_id, l->a, &r, l->err)) < 0)
                    return rc;
            in.region_code = r.code;
            in.display_name = arena_printf(l->a, "%s干部（%s）",
                                           r.level == ORG_REGION_STREET ? "街道" : "社区", r.name);
        } else if (strcmp(u->name, "grid_worker") == 0) {
            struct org_region r;
            if ((rc = org_region_get(l->c, l->grid_worker_region, l->a, &r, l->err)) < 0)
                return rc;
            in.region_code = r.code;
            if (l->real)
                in.display_name = demo_user_what(i, l->real->code, arena_alloc(l->a, 128), 128);
        }
        if ((rc = auth_user_create(l->c, &in, l->now, &id, l->err)) < 0)
            return err_set(l->err, rc, "user %s: %s", u->name, l->err->msg);
        l->rep->users++;
    }
    return 0;
}

/* The centre's common consultations and their answers (知识库), each owned by the department
 * that answers for it: what an operator reads out for a 直接答复. */
static const struct {
    const char *title, *keywords, *body, *dept;
} kb_seed[] = {
    {"新生儿医保参保办理", "新生儿 医保 参保 出生 社保卡",
     "新生儿出生后 90 天内可办理城乡居民医保参保：携带出生医学证明、户口簿到户籍所在街道便民服务中心"
     "医保窗口办理，也可在“浙里办”上线上办理。出生当年参保的，出生之日起发生的医疗费用可按规定报销。",
     "YBJ"},
    {"燃气费缴纳方式", "燃气费 缴费 燃气 欠费 停气",
     "燃气费可通过燃气公司营业厅、银行代扣、微信或支付宝“生活缴费”缴纳。欠费停气的，缴清费用后拨打燃气"
     "公司客服电话预约恢复供气，一般当日恢复。",
     "RQG"},
    {"停水停电计划查询", "停水 停电 计划 检修 通知 什么时候来水",
     "计划停水停电信息会提前在供水、供电公司网站和社区公告栏公布。突发停水停电可拨打供水、供电公司客服"
     "电话询问抢修进度；超过 24 小时未恢复的，可再次来电，我们将督促处理。",
     "GSG"},
    {"生活垃圾分类投放时间", "垃圾分类 投放 时间 厨余 可回收",
     "小区生活垃圾实行定时定点投放：每天 7:00-9:00、18:00-20:00 投放厨余垃圾和其他垃圾，可回收物和有害"
     "垃圾可随时投放到小区回收点。大件垃圾请预约物业或社区统一清运。",
     "HWZ"},
    {"住房公积金提取条件", "公积金 提取 租房 购房 条件",
     "购买、建造、翻建、大修自住住房，偿还购房贷款本息，租房自住且无自有住房等情形可提取住房公积金。"
     "可通过公积金中心网站、手机客户端或服务大厅办理，办理时需本人身份证和相关证明材料。",
     "ZWB"},
    {"占道经营投诉受理范围", "占道经营 摆摊 流动摊贩 投诉",
     "城市道路、人行道、广场等公共区域的占道经营由城管部门查处。来电请说明具体位置、经营时间和经营内容，"
     "我们将派单至属地城管中队现场处置，并在规定时限内答复。",
     "CGJ"},
};

static int load_knowledge(struct loader *l)
{
    int rc;
    for (size_t i = 0; i < sizeof(kb_seed) / sizeof(kb_seed[0]); i++) {
        int64_t dept = 0, id;
        if ((rc = store_one_i64(l->c, "SELECT id FROM departments WHERE code = ?",
                                STORE_ARGS(store_text(kb_seed[i].dept)), &dept, l->err)) < 0)
            return rc;
        struct kb_article_in in = {.title = kb_seed[i].title,
                                   .body = kb_seed[i].body,
                                   .keywords = kb_seed[i].keywords,
                                   .department_id = dept,
                                   .active = 1};
        if ((rc = kb_article_create(l->c, &in, l->now, &id, l->err)) < 0)
            return rc;
    }
    return 0;
}

int demo_load(struct store *st, const char *password, const unsigned char key[32], int64_t now,
              struct demo_report *rep, struct err *err)
{
    return demo_load_district(st, NULL, password, key, now, rep, err);
}

int demo_load_district(struct store *st, const char *district, const char *password,
                       const unsigned char key[32], int64_t now, struct demo_report *rep,
                       struct err *err)
{
    const struct demo_district *real = district ? demo_district_find(district) : NULL;
    struct store_conn *c;
    struct arena a;
    int64_t existing = 0;
    int rc;
    memset(rep, 0, sizeof(*rep));
    if (!password || !*password)
        return err_field(err, ERR_BAD_REQUEST, "demo-password",
                         "the demo password must not be empty");
    if (district && !real)
        return err_field(err, ERR_BAD_REQUEST, "district", "no demo district '%.40s' (one of: %s)",
                         district, demo_district_names());
    if ((rc = store_conn(st, &c, err)) < 0)
        return rc;
    arena_init(&a, 16384);
    struct loader l = {
        .c = c, .a = &a, .now = now, .key = key, .rep = rep, .err = err, .real = real};
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    if ((rc = store_one_i64(c, "SELECT count(*) FROM regions", STORE_NO_ARGS, &existing, err)) < 0)
        goto rollback;
    if (existing > 0) {
        rc = err_set(err, ERR_CONFLICT,
                     "database already has %lld regions; demo data goes into an empty database",
                     (long long)existing);
        goto rollback;
    }
    if ((rc = load_regions(&l)) < 0 || (rc = load_departments(&l)) < 0 ||
        (rc = load_categories(&l)) < 0 || (rc = load_calendar(&l)) < 0 ||
        (rc = load_users(&l, password)) < 0 || (rc = load_knowledge(&l)) < 0 ||
        (rc = demo_load_sensors(c, now, err)) < 0 || (rc = demo_load_catalog(c, now, err)) < 0 ||
        (rc = demo_load_services(c, now, err)) < 0)
        goto rollback;
    char *summary = arena_printf(
        &a,
        "{\"regions\":%d,\"departments\":%d,\"categories\":%d,\"users\":%d,\"calendar_days\":%d}",
        rep->regions, rep->departments, rep->categories, rep->users, rep->calendar_days);
    struct audit_entry e = {0, "gridloop init", "demo.load", "demo", NULL, summary};
    if ((rc = audit_append(c, &e, now, err)) < 0)
        goto rollback;
    rc = store_commit(c, err);
    goto out;
rollback:
    store_rollback(c);
out:
    arena_release(&a);
    return rc;
}
