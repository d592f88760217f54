/*
 * Fills a database made by `gridloop init --db DB --demo` with N cases spread over the three
 * years ending now, for the scale benchmarks (docs/benchmarks.md, "Ten million cases"):
 *
 *   bench_gen_cases DB [N=10000000] [OPEN=200000] [SEED=1]
 *
 * Cases use the demo organisation's leaf categories and grids in skewed (Zipf-like) proportions,
 * hotline-heavy channels, the category's urgency (a few raised), the category's department as
 * lead (the demo routes every leaf category to one department and has no routing rules), and
 * deadlines from the category's limits. The newest cases hold the OPEN open ones (new, dispatched,
 * returned, processing, hanging, replied); the rest are closed, a quarter of them answered
 * directly by the operator, the others dispatched, signed, replied and evaluated. Each case gets
 * the events its state implies and closed ones their evaluation. Deadlines approximate working
 * time by a fixed ratio (the calendar is not consulted): this is data for timing, not for
 * checking the clock.
 *
 * Text: titles and descriptions combine a place (road, community and building from a few
 * hundred generated names), the category's name or one of its keywords, and details from a few
 * hundred phrases, so trigram lists have realistic lengths rather than a handful of huge ones.
 *
 * Speed: the database's secondary indexes on the case tables are dropped while loading and made
 * again at the end (one sort each instead of random inserts), the full-text index is filled
 * every 200,000 cases in one INSERT ... SELECT, synchronous=OFF and one transaction per batch.
 * SQLite is used directly: this is a tool for an empty demo database, not a path of the server.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 200000
#define MAX_CATS 1024
#define MAX_GRIDS 1024
#define MAX_KW 12

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "bench_gen_cases: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "bench_gen_cases: %s\n  in: %.200s\n", msg ? msg : "?", sql);
        exit(1);
    }
}

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        die(sql);
    return s;
}

static void step_reset(sqlite3_stmt *s)
{
    if (sqlite3_step(s) != SQLITE_DONE)
        die(sqlite3_sql(s));
    sqlite3_reset(s);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static unsigned below(unsigned n)
{
    return (unsigned)((rnd() >> 33) % n);
}

static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* Cumulative weights 1/(rank+1)^s over a shuffled order: a few very common, a long tail. */
static void zipf_weights(double *cum, int n, double s)
{
    int order[MAX_CATS > MAX_GRIDS ? MAX_CATS : MAX_GRIDS];
    double total = 0;
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)below((unsigned)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    double w[MAX_CATS > MAX_GRIDS ? MAX_CATS : MAX_GRIDS];
    for (int i = 0; i < n; i++)
        total += w[order[i]] = 1.0 / pow(i + 1.0, s);
    double acc = 0;
    for (int i = 0; i < n; i++)
        cum[i] = (acc += w[i] / total);
    cum[n - 1] = 1.0;
}

static int pick(const double *cum, int n)
{
    double u = unit();
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct cat {
    int64_t id, dept;
    char name[128];
    char kw[MAX_KW][48];
    int nkw;
    int urgency;                  /* 0 normal, 1 urgent, 2 emergency */
    int64_t sign, reply, resolve; /* seconds, working time approximated */
};

struct grid {
    int64_t id;
    char code[32];
    char name[96];
};

static struct cat cats[MAX_CATS];
static int ncats;
static struct grid grids[MAX_GRIDS];
static int ngrids;
static double cat_cum[MAX_CATS], grid_cum[MAX_GRIDS];

/* Place names: two-character stems with road and community endings (about 70 x 6 each). */
static const char *const stems[] = {
    "青石", "柳湾", "白鹭", "松岭", "和平", "解放", "人民", "建设", "文化", "光明", "新华", "胜利",
    "红星", "东风", "朝阳", "长江", "黄河", "滨江", "临湖", "望江", "凤凰", "金桥", "银杏", "桂花",
    "梧桐", "香樟", "紫荆", "玉兰", "海棠", "丁香", "芙蓉", "百合", "翠竹", "碧水", "清泉", "溪口",
    "石桥", "古井", "北门", "南门", "西关", "东湖", "中山", "兴业", "振兴", "富民", "安康", "幸福",
    "康乐", "永安", "太平", "长兴", "万福", "聚贤", "育才", "学府", "科技", "创业", "工业", "商贸",
    "物流", "港口", "铁路", "园林", "花园", "锦绣", "春晖", "秋实", "晨光", "晓月", "星河", "云栖",
};
static const char *const road_ends[] = {"路", "街", "大道", "巷", "弄", "支路"};
static const char *const community_ends[] = {"小区", "花园", "家园", "新村", "公寓", "苑"};
static const char *const spots[] = {
    "门口",     "东侧",     "西侧",       "南侧",       "北侧",       "对面",     "路口",
    "公交站旁", "菜场附近", "学校门口",   "幼儿园旁边", "地下车库",   "楼道内",   "电梯口",
    "小区大门", "停车场",   "绿化带",     "人行道上",   "桥下",       "河边",     "广场上",
    "便利店旁", "药店门口", "银行网点旁", "社区服务站", "健身器材旁", "垃圾房边", "快递驿站旁",
};
/* What the caller says besides the subject: a few hundred combinations of the four lists. */
static const char *const since[] = {
    "已经持续三天", "最近一周一直这样", "从上个月开始", "今天早上发现", "昨晚开始",
    "已经半个多月", "每天晚上都有",     "周末特别严重", "下雨后更明显", "反复出现多次",
    "两天前就有",   "连续好几天",       "从春节后一直", "这个月第三次", "近期频繁发生",
    "刚刚路过看到", "凌晨时分",         "中午前后",     "傍晚时段",     "节假日期间",
};
static const char *const effects[] = {
    "影响居民正常出行", "严重影响休息",     "存在安全隐患",       "老人小孩经过很危险",
    "气味很大",         "周边商户意见很大", "车辆无法通行",       "已经有人摔倒",
    "影响小区环境",     "造成交通拥堵",     "夜间视线不好",       "孩子上学不方便",
    "住户反映强烈",     "多人受到影响",     "污染周边环境",       "容易引发事故",
    "晚上根本睡不着",   "蚊虫滋生",         "堵塞排水",           "影响市容市貌",
    "占用消防通道",     "噪声超过标准",     "给生活带来很大不便", "担心发生意外",
};
static const char *const tried[] = {
    "之前向物业反映过没有解决", "已经打过几次电话",     "找过社区但没有回复", "物业说不归他们管",
    "之前有人处理过但又出现了", "没有找到责任单位",     "邻居们也都在反映",   "拍了照片可以提供",
    "网上留言过没有下文",       "上次处理后只好了两天", "不知道该找哪个部门", "",
};
static const char *const asks[] = {
    "希望尽快派人处理", "请相关部门核实处理", "要求彻底解决",   "希望加强管理",
    "请尽快给予答复",   "希望安排人员清理",   "请安排检修",     "希望有关部门加大巡查",
    "要求相关单位整改", "请尽快到现场查看",   "希望能给个说法", "请帮忙协调解决",
};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                       "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void place(char *road, size_t nr, char *community, size_t nc)
{
    snprintf(road, nr, "%s%s", stems[below(N_OF(stems))], road_ends[below(N_OF(road_ends))]);
    snprintf(community, nc, "%s%s", stems[below(N_OF(stems))],
             community_ends[below(N_OF(community_ends))]);
}

static int64_t sla_seconds(int64_t n, const char *unit)
{
    /* An 8-hour working day, 5 days a week: one working hour ~ 4.2 natural hours. */
    if (strcmp(unit, "hours") == 0)
        return n * 3600;
    if (strcmp(unit, "work_days") == 0)
        return n * 86400 * 7 / 5;
    return n * 3600 * 42 / 10;
}

static void load_org(void)
{
    sqlite3_stmt *s =
        /* A category with no department of its own (the demo's 数据质量问题) is dispatched to the
         * first department, the command centre, as a dispatcher would: a dispatched case
         * without a lead department would break the foreign keys of case_departments and
         * case_evaluations (and `gridloop store copy` to PostgreSQL, which checks them). */
        prep(
            "SELECT id, coalesce(department_id, (SELECT min(id) FROM departments)), name, keywords,"
            " urgency, sla_sign, sla_reply,"
            " sla_resolve, sla_unit FROM categories c WHERE active = 1 AND NOT EXISTS"
            " (SELECT 1 FROM categories k WHERE k.parent_id = c.id) ORDER BY id");
    while (sqlite3_step(s) == SQLITE_ROW && ncats < MAX_CATS) {
        struct cat *c = &cats[ncats++];
        c->id = sqlite3_column_int64(s, 0);
        c->dept = sqlite3_column_int64(s, 1);
        snprintf(c->name, sizeof(c->name), "%s", (const char *)sqlite3_column_text(s, 2));
        char kw[1024];
        snprintf(kw, sizeof(kw), "%s", (const char *)sqlite3_column_text(s, 3));
        for (char *save = NULL, *t = strtok_r(kw, " ", &save); t && c->nkw < MAX_KW;
             t = strtok_r(NULL, " ", &save))
            snprintf(c->kw[c->nkw++], sizeof(c->kw[0]), "%s", t);
        const char *u = (const char *)sqlite3_column_text(s, 4);
        c->urgency = strcmp(u, "emergency") == 0 ? 2 : strcmp(u, "urgent") == 0 ? 1 : 0;
        const char *unit_name = (const char *)sqlite3_column_text(s, 8);
        c->sign = sla_seconds(sqlite3_column_int64(s, 5), unit_name);
        c->reply = sla_seconds(sqlite3_column_int64(s, 6), unit_name);
        c->resolve = sla_seconds(sqlite3_column_int64(s, 7), unit_name);
    }
    sqlite3_finalize(s);
    s = prep("SELECT id, code, name FROM regions WHERE level = 'grid' ORDER BY id");
    while (sqlite3_step(s) == SQLITE_ROW && ngrids < MAX_GRIDS) {
        struct grid *g = &grids[ngrids++];
        g->id = sqlite3_column_int64(s, 0);
        snprintf(g->code, sizeof(g->code), "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(g->name, sizeof(g->name), "%s", (const char *)sqlite3_column_text(s, 2));
    }
    sqlite3_finalize(s);
    if (ncats == 0 || ngrids == 0) {
        fprintf(stderr,
                "bench_gen_cases: no leaf categories or grids: run `gridloop init --demo` first\n");
        exit(1);
    }
    zipf_weights(cat_cum, ncats, 1.0);
    zipf_weights(grid_cum, ngrids, 0.6);
}

static int64_t user_id(const char *name)
{
    sqlite3_stmt *s = prep("SELECT id FROM users WHERE name = ?");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return id;
}

enum st { ST_NEW, ST_DISPATCHED, ST_RETURNED, ST_PROCESSING, ST_HANGING, ST_REPLIED, ST_CLOSED };
static const char *const st_name[] = {"new",     "dispatched", "returned", "processing",
                                      "hanging", "replied",    "closed"};

static sqlite3_stmt *ins_case, *ins_event, *ins_dept, *ins_eval;
static int64_t uid_operator, uid_dispatcher, uid_citizen, uid_grid, uid_supervisor;

static void event(int64_t case_id, int64_t at, int64_t actor, const char *actor_name,
                  const char *role, const char *action, const char *from, const char *to,
                  int64_t dept, const char *note, const char *payload)
{
    sqlite3_stmt *s = ins_event;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, at);
    if (actor)
        sqlite3_bind_int64(s, 3, actor);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_text(s, 4, actor_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, role, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, action, -1, SQLITE_STATIC);
    if (from)
        sqlite3_bind_text(s, 7, from, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 7);
    sqlite3_bind_text(s, 8, to, -1, SQLITE_STATIC);
    if (dept)
        sqlite3_bind_int64(s, 9, dept);
    else
        sqlite3_bind_null(s, 9);
    sqlite3_bind_text(s, 10, note, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, payload, -1, SQLITE_STATIC);
    step_reset(s);
}

static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t clamp(int64_t t, int64_t lo, int64_t hi)
{
    return t < lo ? lo : t > hi ? hi : t;
}

/* Per local day: the last case number given, written to case_numbers at the end. */
struct day_count {
    char day[9];
    int64_t last;
};

static void fts_upto(int64_t hi)
{
    static int64_t done;
    if (hi <= done)
        return;
    char sql[512];
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO cases_fts(rowid, title, description, address) SELECT id, title, description, address FROM cases"
        " WHERE id > %lld AND id <= %lld ORDER BY id;"
        "UPDATE case_fts_watermark SET last_case_id = %lld WHERE id = 1;",
        (long long)done, (long long)hi, (long long)hi);
    exec(sql);
    done = hi;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_gen_cases DB [N=10000000] [OPEN=200000] [SEED=1]\n");
        return 2;
    }
    int64_t n = argc > 2 ? atoll(argv[2]) : 10000000;
    int64_t open_n = argc > 3 ? atoll(argv[3]) : 200000;
    if (argc > 4)
        rng_state ^= (uint64_t)atoll(argv[4]) * 0x9e3779b97f4a7c15ULL;
    if (n <= 0 || open_n < 0 || open_n > n) {
        fprintf(stderr, "bench_gen_cases: need N > 0 and 0 <= OPEN <= N\n");
        return 2;
    }
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        die(argv[1]);
    exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576; PRAGMA temp_store=MEMORY;"
         " PRAGMA foreign_keys=OFF");
    {
        sqlite3_stmt *s = prep("SELECT count(*) FROM cases");
        if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_int64(s, 0) != 0) {
            fprintf(stderr,
                    "bench_gen_cases: %s already holds cases: start from a new demo database\n",
                    argv[1]);
            return 1;
        }
        sqlite3_finalize(s);
    }
    int utc_offset = 480 * 60;
    {
        sqlite3_stmt *s = prep("SELECT utc_offset_min FROM calendar_settings WHERE id = 1");
        if (sqlite3_step(s) == SQLITE_ROW)
            utc_offset = sqlite3_column_int(s, 0) * 60;
        sqlite3_finalize(s);
    }
    load_org();
    uid_operator = user_id("operator");
    uid_dispatcher = user_id("dispatcher");
    uid_citizen = user_id("citizen");
    uid_grid = user_id("grid_worker");
    uid_supervisor = user_id("supervisor");

    /* Secondary indexes of the case tables: dropped now, made again after the load. */
    char **index_sql = NULL;
    int nindex = 0;
    {
        sqlite3_stmt *s = prep(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('cases', 'case_events', 'case_departments', 'case_evaluations')");
        char drop[256];
        while (sqlite3_step(s) == SQLITE_ROW) {
            index_sql = realloc(index_sql, sizeof(*index_sql) * (size_t)(nindex + 1));
            index_sql[nindex++] = strdup((const char *)sqlite3_column_text(s, 1));
            snprintf(drop, sizeof(drop), "DROP INDEX \"%s\"",
                     (const char *)sqlite3_column_text(s, 0));
            sqlite3_finalize(s);
            exec(drop);
            s = prep(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('cases', 'case_events', 'case_departments', 'case_evaluations')");
        }
        sqlite3_finalize(s);
    }

    ins_case = prep(
        "INSERT INTO cases(id, number, check_code, channel, title, description, category_id, urgency,"
        " address, region_id, region_code, citizen_name, citizen_phone_mask, anonymous, created_by,"
        " state, version, lead_department_id, sla_unit, dispatched_at, signed_at, replied_at, closed_at,"
        " sign_deadline, reply_deadline, resolve_deadline, sign_late, overdue, paused_at, paused_remaining,"
        " reply_solved, reply_contacted, satisfaction, created_at, updated_at, public_consent)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
        " 'work_hours', ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)");
    ins_event = prep(
        "INSERT INTO case_events(case_id, at, actor_id, actor_name, actor_role, action, from_state,"
        " to_state, department_id, note, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins_dept =
        prep("INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, 'lead')");
    ins_eval = prep(
        "INSERT INTO case_evaluations(case_id, round, department_id, region_code, at, contacted,"
        " solved, satisfaction, by_citizen, comment) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, '')");

    int64_t now = (int64_t)time(NULL);
    int64_t span = 3 * 365 * 86400LL, start = now - span;
    /* The newest cases hold the open ones: each of the last 3*OPEN is open with the odds that
     * leave exactly OPEN open at the end. */
    int64_t open_from = n - (open_n * 3 < n ? open_n * 3 : n), open_left = open_n;
    static const char *const channels[] = {"hotline", "wechat",  "app",    "web",
                                           "grid",    "open311", "sensor", "other"};
    static const double channel_cum[] = {0.55, 0.70, 0.80, 0.88, 0.96, 0.97, 0.98, 1.0};
    static const char *const urgencies[] = {"normal", "urgent", "emergency"};
    static const enum st open_states[] = {ST_NEW,        ST_DISPATCHED, ST_RETURNED,
                                          ST_PROCESSING, ST_HANGING,    ST_REPLIED};
    static const double open_cum[] = {0.04, 0.19, 0.21, 0.81, 0.84, 1.0};

    struct day_count *days = calloc(4 * 366 + 2, sizeof(*days));
    int ndays = 0;
    char title[512], desc[2048], address[256], road[64], community[64], number[32], check[16],
        cname[16];
    double t0 = now_seconds(), tb = t0;
    int64_t events = 0, evals = 0;
    exec("BEGIN");
    for (int64_t i = 0; i < n; i++) {
        int64_t id = i + 1;
        /* Even spacing with jitter inside the slot keeps ids growing with created_at. */
        int64_t created = start + (int64_t)((double)span * ((double)i + unit() * 0.9) / (double)n);
        time_t local = (time_t)(created + utc_offset);
        struct tm tm;
        gmtime_r(&local, &tm);
        char day[9];
        strftime(day, sizeof(day), "%Y%m%d", &tm);
        if (ndays == 0 || strcmp(days[ndays - 1].day, day) != 0) {
            snprintf(days[ndays].day, sizeof(days[ndays].day), "%s", day);
            days[ndays++].last = 0;
        }
        int64_t seq = ++days[ndays - 1].last;
        snprintf(number, sizeof(number), "%s-%06lld", day, (long long)seq);
        snprintf(check, sizeof(check), "%05u%05u", below(100000), below(100000));

        const struct cat *c = &cats[pick(cat_cum, ncats)];
        const struct grid *g = &grids[pick(grid_cum, ngrids)];
        int ch = 0;
        for (double u = unit(); channel_cum[ch] < u; ch++)
            ;
        int urg = c->urgency;
        double ur = unit();
        if (urg == 0 && ur < 0.03)
            urg = ur < 0.005 ? 2 : 1;
        place(road, sizeof(road), community, sizeof(community));
        const char *subject = c->nkw && below(3) ? c->kw[below((unsigned)c->nkw)] : c->name;
        const char *spot = spots[below(N_OF(spots))];
        unsigned building = 1 + below(40);
        switch (below(3)) {
        case 0: snprintf(title, sizeof(title), "%s%s%s", road, spot, subject); break;
        case 1: snprintf(title, sizeof(title), "%s%s问题", community, subject); break;
        default: snprintf(title, sizeof(title), "反映%s%s%s", road, community, c->name); break;
        }
        snprintf(desc, sizeof(desc), "%s反映：%s%s%u幢%s%s，%s，%s。%s%s%s",
                 ch == 0 ? "市民来电" : "市民留言", road, community, building, spot,
                 below(2) ? c->name : subject, since[below(N_OF(since))],
                 effects[below(N_OF(effects))], tried[below(N_OF(tried))], below(2) ? "，" : "",
                 asks[below(N_OF(asks))]);
        snprintf(address, sizeof(address), "%s%s%u幢", road, community, building);
        snprintf(cname, sizeof(cname), "%s%s", surnames[below(N_OF(surnames))],
                 below(2) ? "先生" : "女士");

        enum st st = ST_CLOSED;
        if (i >= open_from && open_left > 0 && unit() * (double)(n - i) < (double)open_left) {
            int k = 0;
            for (double u = unit(); open_cum[k] < u; k++)
                ;
            st = open_states[k];
            open_left--;
        }
        int answered = st == ST_CLOSED && ch == 0 && below(4) == 0;
        int64_t creator = ch == 4                         ? uid_grid
                          : ch == 0                       ? uid_operator
                          : (ch <= 3 && below(1000) == 0) ? uid_citizen
                                                          : 0;
        int64_t lead = answered || st == ST_NEW ? 0 : c->dept;
        int64_t hi = now - 1;
        int64_t dispatched = 0, signed_at = 0, replied = 0, closed = 0;
        int64_t sign_dl = 0, reply_dl = 0, resolve_dl = 0, paused = 0, paused_rem = 0;
        int sign_late = 0, overdue = 0, solved = 0, contacted = 0;
        const char *satisfaction = NULL;
        int64_t updated = created;
        if (answered) {
            closed = clamp(created + 120 + below(900), created, hi);
        } else if (st != ST_NEW) {
            dispatched = clamp(created + 300 + below(7200), created, hi);
            sign_dl = dispatched + c->sign;
            reply_dl = dispatched + c->reply;
            resolve_dl = dispatched + c->resolve;
            if (st != ST_DISPATCHED && st != ST_RETURNED) {
                signed_at = clamp(dispatched + 600 + (int64_t)(unit() * 1.2 * (double)c->sign),
                                  dispatched, hi);
                sign_late = signed_at > sign_dl;
            }
            if (st == ST_REPLIED || st == ST_CLOSED) {
                double f = unit() < 0.9 ? unit() * 0.9 : 1.0 + unit() * 0.5;
                replied = clamp(signed_at + (int64_t)(f * (double)(resolve_dl - dispatched)),
                                signed_at, hi);
                solved = unit() < 0.85;
                contacted = unit() < 0.97;
                overdue = replied > resolve_dl;
            }
            if (st == ST_CLOSED) {
                closed = clamp(replied + 3600 + below(2 * 86400), replied, hi);
                double u = unit();
                satisfaction = u < 0.84   ? "satisfied"
                               : u < 0.96 ? "basically_satisfied"
                                          : "unsatisfied";
            }
            if (st == ST_HANGING) {
                paused = clamp(signed_at + 3600 + below(86400), signed_at, hi);
                paused_rem = resolve_dl > paused ? resolve_dl - paused : 0;
            }
            if (st != ST_CLOSED && st != ST_HANGING && st != ST_REPLIED && resolve_dl < now)
                overdue = 1;
        }
        updated = closed       ? closed
                  : paused     ? paused
                  : replied    ? replied
                  : signed_at  ? signed_at
                  : dispatched ? dispatched
                               : created;
        if (st == ST_RETURNED)
            updated = clamp(dispatched + 1800 + below(86400), dispatched, hi);

        sqlite3_stmt *s = ins_case;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, number, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, check, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, channels[ch], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, desc, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 7, c->id);
        sqlite3_bind_text(s, 8, urgencies[urg], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 9, address, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 10, g->id);
        sqlite3_bind_text(s, 11, g->code, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 12, cname, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 13, "", -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 14, 0);
        bind_opt(s, 15, creator);
        sqlite3_bind_text(s, 16, st == ST_CLOSED ? "closed" : st_name[st], -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 17,
                         1 + (dispatched != 0) + (signed_at != 0) + (replied != 0) + (closed != 0));
        bind_opt(s, 18, lead);
        bind_opt(s, 19, dispatched);
        bind_opt(s, 20, signed_at);
        bind_opt(s, 21, replied);
        bind_opt(s, 22, closed);
        bind_opt(s, 23, sign_dl);
        bind_opt(s, 24, reply_dl);
        bind_opt(s, 25, resolve_dl);
        sqlite3_bind_int(s, 26, sign_late);
        sqlite3_bind_int(s, 27, overdue);
        bind_opt(s, 28, paused);
        if (paused)
            sqlite3_bind_int64(s, 29, paused_rem);
        else
            sqlite3_bind_null(s, 29);
        if (replied) {
            sqlite3_bind_int(s, 30, solved);
            sqlite3_bind_int(s, 31, contacted);
        } else {
            sqlite3_bind_null(s, 30);
            sqlite3_bind_null(s, 31);
        }
        if (satisfaction)
            sqlite3_bind_text(s, 32, satisfaction, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 32);
        sqlite3_bind_int64(s, 33, created);
        sqlite3_bind_int64(s, 34, updated);
        sqlite3_bind_int(s, 35, below(10) < 3);
        step_reset(s);

        event(id, created, creator,
              creator == uid_operator ? "operator"
              : creator               ? "citizen"
                                      : "市民",
              creator == uid_operator ? "operator" : "citizen", "create", NULL, "new", 0, "", "{}");
        events++;
        if (answered) {
            event(id, closed, uid_operator, "operator", "operator", "answer", "new", "closed", 0,
                  "已向市民解答相关政策", "{}");
            events++;
        }
        if (dispatched) {
            sqlite3_bind_int64(ins_dept, 1, id);
            sqlite3_bind_int64(ins_dept, 2, lead);
            step_reset(ins_dept);
            event(id, dispatched, uid_dispatcher, "dispatcher", "dispatcher", "dispatch", "new",
                  "dispatched", lead, "", "{}");
            events++;
        }
        if (st == ST_RETURNED) {
            event(id, updated, 0, "承办人", "handler", "return", "dispatched", "returned", lead,
                  "不属于本单位职责范围", "{}");
            events++;
        }
        if (signed_at) {
            event(id, signed_at, 0, "承办人", "handler", "sign", "dispatched", "processing", lead,
                  "", "{}");
            events++;
        }
        if (paused) {
            event(id, paused, 0, "承办人", "handler", "hang", "processing", "processing", lead,
                  "需协调多部门解决", "{}");
            event(id, paused, uid_supervisor, "supervisor", "supervisor", "approve", "processing",
                  "hanging", lead, "", "{}");
            events += 2;
        }
        if (replied) {
            event(id, replied, 0, "承办人", "handler", "reply", "processing", "replied", lead,
                  solved ? "已到现场处理完毕" : "已联系相关单位，正在协调", "{}");
            events++;
        }
        if (satisfaction) {
            char payload[128];
            snprintf(payload, sizeof(payload),
                     "{\"satisfaction\":\"%s\",\"contacted\":%s,\"solved\":%s}", satisfaction,
                     contacted ? "true" : "false", solved ? "true" : "false");
            int unsatisfied = satisfaction[0] == 'u';
            event(id, closed, uid_operator, "operator", "operator", "evaluate", "replied",
                  unsatisfied ? "replied" : "closed", 0, "", payload);
            events++;
            if (unsatisfied) {
                /* A supervisor closes it after review instead of a rectification round. */
                event(id, closed, uid_supervisor, "supervisor", "supervisor", "close", "replied",
                      "closed", 0, "经核实已按政策处理", "{}");
                events++;
            }
            sqlite3_stmt *e = ins_eval;
            sqlite3_bind_int64(e, 1, id);
            sqlite3_bind_int64(e, 2, lead);
            sqlite3_bind_text(e, 3, g->code, -1, SQLITE_STATIC);
            sqlite3_bind_int64(e, 4, closed);
            sqlite3_bind_int(e, 5, contacted);
            sqlite3_bind_int(e, 6, solved);
            sqlite3_bind_text(e, 7, satisfaction, -1, SQLITE_STATIC);
            sqlite3_bind_int(e, 8, creator == uid_citizen);
            step_reset(e);
            evals++;
        }
        if (id % BATCH == 0 || id == n) {
            fts_upto(id);
            exec("COMMIT");
            double t = now_seconds();
            fprintf(stderr,
                    "%lld cases, %lld events, %lld evaluations: %.0f cases/s (batch %.0f/s)\n",
                    (long long)id, (long long)events, (long long)evals, (double)id / (t - t0),
                    (double)(id % BATCH ? id % BATCH : BATCH) / (t - tb));
            tb = t;
            if (id != n)
                exec("BEGIN");
        }
    }
    double t_load = now_seconds();
    exec("BEGIN");
    {
        sqlite3_stmt *s =
            prep("INSERT INTO case_numbers(day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE"
                 " SET last = max(last, excluded.last)");
        for (int d = 0; d < ndays; d++) {
            sqlite3_bind_text(s, 1, days[d].day, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, days[d].last);
            step_reset(s);
        }
        sqlite3_finalize(s);
    }
    exec("COMMIT");
    for (int k = 0; k < nindex; k++) {
        double t = now_seconds();
        exec(index_sql[k]);
        fprintf(stderr, "index %.60s...: %.1f s\n", index_sql[k], now_seconds() - t);
        free(index_sql[k]);
    }
    free(index_sql);
    double t_index = now_seconds();
    exec("ANALYZE");
    double t_end = now_seconds();
    printf("cases %lld (open %lld), events %lld, evaluations %lld\n", (long long)n,
           (long long)(open_n - open_left), (long long)events, (long long)evals);
    printf(
        "load %.1f s (%.0f cases/s, %.0f rows/s), indexes %.1f s, analyze %.1f s, total %.1f s\n",
        t_load - t0, (double)n / (t_load - t0), (double)(n * 2 + events + evals) / (t_load - t0),
        t_index - t_load, t_end - t_index, t_end - t0);
    sqlite3_finalize(ins_case);
    sqlite3_finalize(ins_event);
    sqlite3_finalize(ins_dept);
    sqlite3_finalize(ins_eval);
    free(days);
    sqlite3_close(db);
    return 0;
}
