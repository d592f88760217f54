/*
 * SQLite's ceiling for intake (issue 12): the rows one POST /api/v1/cases writes, written
 * straight through sqlite3 on one thread with no server around it, in group commits of B cases
 * per transaction. bench/intake.sh reports its intake rate as a share of this.
 *
 *   bench_ceiling --db DB [--batch N] [--duration 10s | --cases N] [--no-fts]
 *                 [--fts-every-ms MS] [--sync-each] [--rows all|issue] [--default-vfs]
 *
 * DB is a database made by `gridloop init --db DB --demo` (the real schema); the data key
 * DB.key seals the phones when it exists. Per case, as src/case/case_create.c create() and
 * src/case/case_tx.c write them for the body bench/intake.lua sends:
 *   the case_numbers upsert (the number of the day), the cases row (encrypted phone, mask and
 *   keyed hash as auth_phone_seal makes them, the grid its point falls in, leaf category, the
 *   triage suggestion), the create event, the dispatchers' notification, the audit entry (hash
 *   chain as src/audit/audit.c computes it) and the triage event with the suggestion's JSON;
 * with --rows all (the default), also what the same POST writes besides, since issues 13-16:
 *   the receipt SMS in the outbox (src/notify/notify_sms.c), the repeat links to earlier cases
 *   of the same caller and of the same grid and category (src/case/case_repeat.c, chosen here
 *   in memory by the same rules and caps, every earlier case being still open), their timeline
 *   event and the supervisors' notification when two or more are unsolved, then the repeat
 *   warning (src/warning/warning.c: a new one with its notification and audit entry, or the
 *   open one of its chain counted again) and the risk grade (src/risk/risk.c; the reasons the
 *   demo's rules give this body). --rows issue writes only the rows issue 12 listed (case,
 *   events, audit entry, notification, index entries), as this program did until 2026-12-07.
 * And case_index_pending's two statements (FTS5 trigram of title and description, and the
 * watermark) in the committing batch at most every --fts-every-ms, as the server's writer
 * does (src/app/app_main.c, 100 ms; 0: every batch), or never with --no-fts.
 * Left out because they are the server's overhead, not SQLite's: the savepoint per job, the
 * reads the server does around the writes (category and region lookups, the repeat and
 * silence queries, the audit head per entry: here it is kept in memory), JSON, HTTP; and the
 * later writes of the SMS and notification workers, which are not the POST's. Statements are
 * prepared once. The database is opened through the store's VFS (src/store/store_walbuf.c:
 * the WAL's writes gathered into one per commit, as the server's connections do), or SQLite's
 * own with --default-vfs. The pragmas
 * are store_sqlite.c's; checkpoints are SQLite's own automatic ones (1000 pages), where the
 * server runs them on a thread of its own. The log is synced as the server's writer syncs it
 * (src/store/store_writer.c): commits with synchronous=NORMAL and a second thread that
 * fdatasyncs the WAL, while this one writes the next batch, which commits once that sync has
 * ended; the last sync is waited for before the time is read. --sync-each: synchronous=FULL,
 * each commit syncing itself (the server's way before 2026-12-06).
 * Prints one line: cases, commits, seconds, cases/s, commits/s, wall and CPU µs per case.
 */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "store/store_walbuf.h"

/* bench/intake.lua's description, exactly 300 characters (checked at start). */
static const char description[] =
    "本人家住西湖区文新街道某小区三号楼，近两个月来，小区东门外的人行道上长期有人乱停电动自行车和共享单车，"
    "最多时有四五十辆，把整条人行道堵得严严实实，老人和推婴儿车的居民只能绕到机动车道上行走，早晚高峰时车辆来往很多，非常危险。"
    "上周二傍晚，我母亲就在这里被一辆电动车擦碰摔倒，膝盖受伤，至今行动不便。另外，人行道边的排水沟盖板有两块已经断裂，"
    "下雨天积水严重，晚上路灯也有三盏不亮，行人很容易踩空。我们曾经向物业反映过多次，物业表示这是市政道路，不归他们管理，"
    "一直没有人来处理。希望有关部门尽快派人现场查看，清理乱停放的车辆，设置规范的非机动车停放区，修复盖板和路灯，"
    "并加强日常巡查管理，保障居民出行安全。";
static const char *const places[] = {"文三路",   "学院路",   "古墩路",   "天目山路",
                                     "教工路",   "紫荆花路", "莫干山路", "余杭塘路",
                                     "文一西路", "丰潭路",   "紫金港路"};
static const char *const problems[] = {
    "人行道电动车乱停放", "路灯不亮",     "窨井盖破损",   "垃圾清运不及时", "夜间施工噪音扰民",
    "占道经营",           "雨后积水严重", "共享单车堆积", "绿化带杂草丛生", "楼道堆放杂物"};
static const char *const surnames[] = {"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"};
#define NPLACES (sizeof(places) / sizeof(places[0]))
#define NPROBLEMS (sizeof(problems) / sizeof(problems[0]))
#define NSURNAMES (sizeof(surnames) / sizeof(surnames[0]))
#define NBODIES 8192 /* intake.lua cycles through 8,192 bodies */

/* The triage event's payload the server stored for this description with the demo model
 * (app_suggestion_json): 1,197 bytes. */
static const char triage_payload[] =
    "{\"model_version\":\"ba15d7074e7c0cd8\",\"category\":{\"id\":86,\"code\":\"040302\",\"name\":\"非机动车乱停放\","
    "\"prob\":0.61012495136983369},\"alternatives\":[{\"id\":43,\"code\":\"020301\",\"name\":\"路灯不亮\","
    "\"prob\":0.04126080961719665},{\"id\":87,\"code\":\"040303\",\"name\":\"共享单车管理\","
    "\"prob\":0.022209213573175561},{\"id\":136,\"code\":\"060201\",\"name\":\"停电\",\"prob\":0.011890486270712642}"
    ",{\"id\":342,\"code\":\"990102\",\"name\":\"其他未归类诉求\",\"prob\":0.0048116310310164735}"
    "],\"category_level1\":{\"id\":74,\"name\":\"交通出行\",\"prob\":0.6323341649430092},\"category_level2\":{\"id\":84,"
    "\"name\":\"停车管理\",\"prob\":0.6323341649430092},\"department\":{\"id\":4,\"name\":\"区环境卫生管理中心\","
    "\"rule_id\":null},\"urgency\":{\"level\":\"emergency\",\"score\":0.979,\"rules\":[\"人员受伤\","
    "\"积水内涝\",\"停水停电\",\"紧急措辞\"]},\"why\":[{\"text\":\"电动\",\"weight\":0.22452326118946075}"
    ",{\"text\":\"动车\",\"weight\":0.22295854985713959},{\"text\":\"自行\",\"weight\":0.17314307391643524}"
    ",{\"text\":\"行车\",\"weight\":0.17314307391643524},{\"text\":\"自行车\",\"weight\":0.17314307391643524}"
    ",{\"text\":\"电动车\",\"weight\":0.13260705769062042},{\"text\":\"非机\",\"weight\":0.0991608276963234}"
    ",{\"text\":\"非机动\",\"weight\":0.0991608276963234}]}";

/* The text of src/case/case_create.c, case_tx.c and audit.c. A new row's id is read with
 * sqlite3_last_insert_rowid(), as the server's store answers "INSERT ... RETURNING id" since
 * 2026-12-07 (src/store/store_sqlite.c: SQLite's RETURNING costs a temporary B-tree a row);
 * RETURNING only for the upserts, which the server sends as they are. */
enum {
    S_NUMBER,
    S_CASE,
    S_EVENT,
    S_NOTIFY,
    S_AUDIT,
    S_TRIAGE,
    S_SMS,
    S_REPEAT,
    S_REPEAT_EVENT,
    S_REPEAT_NOTIFY,
    S_WARNING,
    S_WARNING_FIND,
    S_WARNING_GROUP,
    S_WARNING_NOTIFY,
    S_RISK,
    S_FTS,
    S_WATERMARK,
    S_BEGIN,
    S_COMMIT,
    S_COUNT
};
static const char *const sql[S_COUNT] = {
    "INSERT INTO case_numbers(day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = case_numbers.last + 1"
    " RETURNING last",
    "INSERT INTO cases(number, check_code, channel, title, description, category_id, urgency, lat, lon, address,"
    " region_id, region_code, citizen_name, citizen_phone_enc, citizen_phone_mask, citizen_phone_hash, anonymous,"
    " public_consent, created_by, state, version, created_at, updated_at, triage_category_id, triage_department_id, triage_prob)"
    " VALUES (?, ?, 'hotline', ?, ?, ?, 'emergency', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0,"
    " 0, ?, 'new', 1, ?, ?, ?, nullif(?, 0), ?)",
    "INSERT INTO case_events(case_id, at, actor_id, actor_name, actor_role, action, from_state,"
    " to_state, department_id, note, payload) VALUES (?, ?, ?, ?, 'admin', 'create', NULL, 'new', NULL, '', ?)",
    "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id, kind,"
    " message, next_attempt_at) VALUES (?, ?, ?, 'dispatchers', NULL, 'new_case', ?, ?)",
    "INSERT INTO audit_log(seq, at, actor_id, actor_name, action, target,"
    " before_digest, after_digest, prev_hash, hash)"
    " VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO case_events(case_id, at, actor_name, actor_role, action, from_state, to_state, payload)"
    " VALUES (?, ?, 'triage', 'system', 'triage', 'new', 'new', ?)",
    "INSERT INTO sms_messages (template_id, case_id, phone_enc, phone_mask, phone_hash, text,"
    " next_attempt_at, dlr_token, secret_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?)",
    "INSERT INTO case_repeats(case_id, earlier_id, reason, unsolved, created_at) VALUES (?, ?, ?, 1, ?)",
    "INSERT INTO case_events(case_id, at, actor_id, actor_name, actor_role, action, from_state,"
    " to_state, department_id, note, payload) VALUES (?, ?, ?, ?, 'admin', 'repeat', 'new', 'new', NULL, ?, ?)",
    "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id, kind,"
    " message, next_attempt_at) VALUES (?, ?, ?, 'supervisors', NULL, 'repeat', ?, ?)",
    "INSERT INTO warnings(kind, level, status, group_key, title, evidence, region_id, category_id,"
    " device_id, case_id, lat, lon, count, first_at, last_at, created_at, updated_at)"
    " VALUES ('repeat', ?, 'new', ?, ?, ?, ?, ?, NULL, ?, ?, ?, 1, ?, ?, ?, ?)",
    "SELECT id FROM warnings WHERE group_key = ? AND status IN ('new', 'acknowledged')",
    "UPDATE warnings SET count = count + 1, last_at = ?, evidence = ?, title = ?,"
    " level = CASE WHEN ? = 'high' OR level = 'high' THEN 'high' WHEN ? = 'medium' OR level = 'medium'"
    " THEN 'medium' ELSE 'low' END, updated_at = ? WHERE id = ?",
    "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id, kind,"
    " message, next_attempt_at) VALUES (NULL, NULL, ?, 'supervisors', NULL, 'warning', ?, ?)",
    "INSERT INTO case_risks(case_id, score, level, reasons, computed_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (case_id) DO UPDATE SET score = excluded.score, level = excluded.level,"
    " reasons = excluded.reasons, computed_at = excluded.computed_at",
    "INSERT INTO cases_fts(rowid, title, description, address) SELECT id, title, description, address FROM cases"
    " WHERE id > (SELECT last_case_id FROM case_fts_watermark WHERE id = 1) ORDER BY id",
    "UPDATE case_fts_watermark SET last_case_id = (SELECT max(id) FROM cases)"
    " WHERE id = 1 AND last_case_id < (SELECT max(id) FROM cases)",
    "BEGIN IMMEDIATE",
    "COMMIT",
};

struct ref {
    int64_t id, other;
    char code[32];
};

/* src/case/case.h's repeat rules */
#define REPEAT_MAX 6         /* CASE_REPEAT_MAX: earlier cases linked at most */
#define REPEAT_SUBJECT_MAX 2 /* CASE_REPEAT_SUBJECT_MAX: of them by subject alone */
#define REPEAT_SCAN 50       /* CASE_REPEAT_SCAN: newest cases of the grid and category */
#define REPEAT_URGENT 2      /* CASE_REPEAT_URGENT: unsolved earlier ones that raise it */
#define REPEAT_METRES 100.0  /* CASE_REPEAT_METRES: the same place */
#define PHONES 10000         /* intake.lua's phone numbers */
#define MAX_REGIONS 128
#define MAX_CATS 40

/* The newest earlier cases of one caller or of one (grid, category), newest last. */
struct earlier {
    int64_t id;
    double lat, lon;
};
struct history {
    struct earlier *v; /* a ring of 'cap' */
    int cap, n, next;
};

/* The demo model's risk reasons for this description with repeats (src/risk/risk.c). */
static const char risk_reasons[] =
    "[{\"label\":\"近 30 天重复诉求（每件）\",\"weight\":15},{\"label\":\"此前诉求未解决（每件）\","
    "\"weight\":10},{\"label\":\"涉及老人\",\"weight\":5}]";

enum rows { ROWS_ALL, ROWS_ISSUE };

struct ceiling {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    unsigned char key[crypto_secretbox_KEYBYTES];
    int64_t utc_offset_min, actor_id;
    char actor[64];
    struct ref cats[MAX_CATS], regions[MAX_REGIONS];
    int ncats, nregions;
    double box[MAX_REGIONS][4]; /* each grid's bounds: lon min, lat min, lon max, lat max */
    int64_t seq;                /* the audit chain's head, kept here instead of read per entry */
    char prev[65];              /* its hash */
    unsigned body;              /* the running number of intake.lua's bodies */
    enum rows rows;
    int default_vfs; /* --default-vfs: SQLite's own VFS, not the store's (store_walbuf.c) */
    int64_t sms_template;
    char sms_body[512]; /* the receipt template's text, {number} and {check_code} in it */
    struct history callers[PHONES], *places; /* places: [region][category] */
    unsigned char *warned;                   /* chain roots with an open repeat warning */
    size_t nwarned;
};

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_ceiling: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void check(struct ceiling *c, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        die("%s: %s", what, sqlite3_errmsg(c->db));
}

static double now_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Step a prepared write to its end; the first column of its one row (RETURNING), else 0. */
static int64_t run(struct ceiling *c, int which)
{
    sqlite3_stmt *s = c->st[which];
    int64_t v = 0;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
        rc = sqlite3_step(s);
    }
    check(c, rc, sql[which]);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return v;
}

/* src/audit/audit.c: every field length-prefixed into one SHA-256. */
static void feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[24];
    int n = snprintf(len, sizeof(len), "%zu:", strlen(s));
    crypto_hash_sha256_update(st, (const unsigned char *)len, (unsigned long long)n);
    crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

static void chain_hash(int64_t seq, int64_t at, int64_t actor_id, const char *actor_name,
                       const char *action, const char *target, const char *before_digest,
                       const char *after_digest, const char *prev_hash, char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    char num[64];
    crypto_hash_sha256_init(&st);
    feed(&st, prev_hash);
    snprintf(num, sizeof(num), "%lld/%lld/%lld", (long long)seq, (long long)at,
             (long long)actor_id);
    feed(&st, num);
    feed(&st, actor_name);
    feed(&st, action);
    feed(&st, target);
    feed(&st, before_digest);
    feed(&st, after_digest);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* The local day as case_create.c's local_date() makes it (the calendar's UTC offset). */
static void local_day(const struct ceiling *c, int64_t now, char out[16])
{
    time_t t = (time_t)(now + c->utc_offset_min * 60);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 16, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100);
}

/* An audit entry (src/audit/audit.c audit_append): the digest of 'after', the chain's hash. */
static void audit(struct ceiling *c, int64_t now, int64_t actor_id, const char *actor,
                  const char *action, const char *target, const char *after)
{
    unsigned char h[32];
    char after_digest[65], row_hash[65];
    crypto_hash_sha256(h, (const unsigned char *)after, strlen(after));
    sodium_bin2hex(after_digest, sizeof(after_digest), h, sizeof(h));
    c->seq++;
    chain_hash(c->seq, now, actor_id, actor, action, target, "-", after_digest, c->prev, row_hash);
    sqlite3_stmt *s = c->st[S_AUDIT];
    sqlite3_bind_int64(s, 1, c->seq);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, actor_id);
    text(s, 4, actor);
    text(s, 5, action);
    text(s, 6, target);
    text(s, 7, "-");
    text(s, 8, after_digest);
    text(s, 9, c->prev);
    text(s, 10, row_hash);
    run(c, S_AUDIT);
    memcpy(c->prev, row_hash, sizeof(c->prev));
}

/* The grid the point falls in, as the server's region lookup finds it for intake.lua's points
 * (the demo's grids are rectangles: their bounds are their shapes); -1 for none. */
static int grid_of(const struct ceiling *c, double lat, double lon)
{
    for (int i = 0; i < c->nregions; i++)
        if (lon >= c->box[i][0] && lat >= c->box[i][1] && lon <= c->box[i][2] &&
            lat <= c->box[i][3])
            return i;
    return -1;
}

static void remember(struct history *h, int cap, int64_t id, double lat, double lon)
{
    if (!h->v) {
        h->v = calloc((size_t)cap, sizeof(*h->v));
        if (!h->v)
            die("out of memory");
        h->cap = cap;
    }
    h->v[h->next] = (struct earlier){id, lat, lon};
    h->next = (h->next + 1) % h->cap;
    if (h->n < h->cap)
        h->n++;
}

/* The k-th newest of a history (k < h->n). */
static const struct earlier *newest(const struct history *h, int k)
{
    return &h->v[(h->next - 1 - k + 2 * h->cap) % h->cap];
}

enum { R_CALLER, R_PLACE, R_SUBJECT };
static const char *const reasons[] = {"caller", "place", "subject"};
struct link {
    int64_t id;
    int reason;
};

static int add_link(struct link *l, int *n, int64_t id, int reason)
{
    for (int i = 0; i < *n; i++)
        if (l[i].id == id)
            return 0;
    if (*n == REPEAT_MAX)
        return -1;
    l[(*n)++] = (struct link){id, reason};
    return 0;
}

static int warned(const struct ceiling *c, int64_t root)
{
    return root > 0 && (size_t)root < c->nwarned && c->warned[root];
}

static void warn_root(struct ceiling *c, int64_t root)
{
    if (root <= 0)
        return;
    if ((size_t)root >= c->nwarned) {
        size_t m = (size_t)root * 2 + 1024;
        unsigned char *w = realloc(c->warned, m);
        if (!w)
            die("out of memory");
        memset(w + c->nwarned, 0, m - c->nwarned);
        c->warned = w;
        c->nwarned = m;
    }
    c->warned[root] = 1;
}

/* A notification about case 'id' (src/case/case_tx.c case_tx_notify); 'which', S_NOTIFY or
 * S_REPEAT_NOTIFY, says to whom and of what kind. */
static void notification(struct ceiling *c, int which, int64_t id, int64_t event_id, int64_t now,
                         const char *message)
{
    sqlite3_stmt *s = c->st[which];
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, event_id);
    sqlite3_bind_int64(s, 3, now);
    text(s, 4, message);
    sqlite3_bind_int64(s, 5, now);
    run(c, which);
}

/* src/app/app_intake.c repeat_warning() through src/warning/warning.c warning_raise() and
 * app_warning_raise(): a chain's open warning counts the repeat, else a new one is raised with
 * its notification (no supervisor of the demo is bound to a region) and audit entry. */
static void repeat_warning(struct ceiling *c, int64_t now, int64_t id, int64_t root,
                           const char *number, const char *title, const char *note, int unsolved,
                           int region, const struct ref *cat, double lat, double lon)
{
    char group[48], wtitle[256], evidence[512], message[512], target[48], after[160];
    const char *level = unsolved >= 2 * REPEAT_URGENT ? "high" : "medium";
    snprintf(group, sizeof(group), "repeat:%lld", (long long)root);
    snprintf(wtitle, sizeof(wtitle), "重复诉求未解决：%s", title);
    snprintf(evidence, sizeof(evidence), "工单 %s %s", number, note);
    int64_t wid;
    const char *action;
    if (warned(c, root)) {
        /* Found, then updated by its id, as the server does on SQLite (no RETURNING). */
        sqlite3_stmt *s = c->st[S_WARNING_FIND];
        text(s, 1, group);
        wid = run(c, S_WARNING_FIND);
        s = c->st[S_WARNING_GROUP];
        sqlite3_bind_int64(s, 1, now);
        text(s, 2, evidence);
        text(s, 3, wtitle);
        text(s, 4, level);
        text(s, 5, level);
        sqlite3_bind_int64(s, 6, now);
        sqlite3_bind_int64(s, 7, wid);
        run(c, S_WARNING_GROUP);
        action = "warning.group";
    } else {
        sqlite3_stmt *s = c->st[S_WARNING];
        text(s, 1, level);
        text(s, 2, group);
        text(s, 3, wtitle);
        text(s, 4, evidence);
        sqlite3_bind_int64(s, 5, c->regions[region].id);
        sqlite3_bind_int64(s, 6, cat->id);
        sqlite3_bind_int64(s, 7, id);
        sqlite3_bind_double(s, 8, lat);
        sqlite3_bind_double(s, 9, lon);
        for (int i = 10; i <= 13; i++)
            sqlite3_bind_int64(s, i, now);
        run(c, S_WARNING);
        wid = sqlite3_last_insert_rowid(c->db);
        warn_root(c, root);
        action = "warning.raise";
        snprintf(message, sizeof(message), "%s预警：%s", level[0] == 'h' ? "高" : "中", wtitle);
        s = c->st[S_WARNING_NOTIFY];
        sqlite3_bind_int64(s, 1, now);
        text(s, 2, message);
        sqlite3_bind_int64(s, 3, now);
        run(c, S_WARNING_NOTIFY);
    }
    snprintf(target, sizeof(target), "warning/%lld", (long long)wid);
    snprintf(after, sizeof(after), "{\"kind\":\"repeat\",\"level\":\"%s\",\"group\":\"%s\"}", level,
             group);
    audit(c, now, 0, "system", action, target, after);
}

/* src/case/case_repeat.c case_repeat_on_intake(), its queries answered from memory: the
 * caller's newest cases, then the newest REPEAT_SCAN of the grid and category (at the same
 * place within the box, else by subject up to REPEAT_SUBJECT_MAX); then the rows. Every earlier
 * case of a run is open, so unsolved. */
static void repeats(struct ceiling *c, int64_t now, int64_t id, int64_t event_actor,
                    const char *number, const char *title, unsigned phone, int region,
                    int cat_index, double lat, double lon)
{
    struct link l[REPEAT_MAX];
    int n = 0, subjects = 0, count[3] = {0, 0, 0};
    struct history *caller = &c->callers[phone % PHONES];
    struct history *place =
        region < 0 ? NULL : &c->places[(size_t)region * MAX_CATS + (size_t)cat_index];
    for (int k = 0; k < caller->n && k < REPEAT_MAX; k++)
        add_link(l, &n, newest(caller, k)->id, R_CALLER);
    for (int k = 0; place && k < place->n; k++) {
        const struct earlier *e = newest(place, k);
        int here = fabs(e->lat - lat) <= REPEAT_METRES / 111000.0 &&
                   fabs(e->lon - lon) <= REPEAT_METRES / 96000.0;
        if (!here && subjects >= REPEAT_SUBJECT_MAX)
            continue;
        int before = n;
        if (add_link(l, &n, e->id, here ? R_PLACE : R_SUBJECT) < 0)
            break;
        if (!here && n > before)
            subjects++;
    }
    remember(caller, REPEAT_MAX, id, lat, lon);
    if (place)
        remember(place, REPEAT_SCAN, id, lat, lon);
    if (!n)
        return;
    int64_t root = l[0].id;
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *s = c->st[S_REPEAT];
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, l[i].id);
        text(s, 3, reasons[l[i].reason]);
        sqlite3_bind_int64(s, 4, now);
        run(c, S_REPEAT);
        count[l[i].reason]++;
        if (l[i].id < root)
            root = l[i].id;
    }
    if (!count[R_CALLER] && !count[R_PLACE])
        return;
    int unsolved = count[R_CALLER] + count[R_PLACE];
    char note[256], payload[128], message[320];
    static const char *const words[] = {"同一来电人", "同一地点", "同一网格同类诉求"};
    int len = snprintf(note, sizeof(note), "重复诉求：近 30 天");
    const char *sep = "";
    for (int r = 0; r < 3; r++)
        if (count[r]) {
            len += snprintf(note + len, sizeof(note) - (size_t)len, "%s%s %d 件", sep, words[r],
                            count[r]);
            sep = "、";
        }
    snprintf(note + len, sizeof(note) - (size_t)len, "，其中 %d 件未解决", unsolved);
    snprintf(payload, sizeof(payload),
             "{\"caller\":%d,\"place\":%d,\"subject\":%d,\"unsolved\":%d}", count[R_CALLER],
             count[R_PLACE], count[R_SUBJECT], unsolved);
    sqlite3_stmt *s = c->st[S_REPEAT_EVENT];
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, event_actor);
    text(s, 4, c->actor);
    text(s, 5, note);
    text(s, 6, payload);
    run(c, S_REPEAT_EVENT);
    int64_t ev = sqlite3_last_insert_rowid(c->db);
    if (unsolved < REPEAT_URGENT)
        return;
    /* The body's urgency is already 'emergency': no raise of the case itself. */
    snprintf(message, sizeof(message), "工单 %s %s", number, note);
    notification(c, S_REPEAT_NOTIFY, id, ev, now, message);
    repeat_warning(c, now, id, root, number, title, note, unsolved, region, &c->cats[cat_index],
                   lat, lon);
}

/* notify_sms.c render(): the template with {number} and {check_code} filled in. */
static void render(const char *body, const char *number, const char *check_code, char *out,
                   size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = body; *p && len + 1 < cap; p++) {
        const char *v = !strncmp(p, "{number}", 8)        ? number
                        : !strncmp(p, "{check_code}", 12) ? check_code
                                                          : NULL;
        if (v) {
            len += (size_t)snprintf(out + len, cap - len, "%s", v);
            p += v == number ? 7 : 11;
        } else {
            out[len++] = *p;
            out[len] = '\0';
        }
    }
}

/* src/notify/notify_sms.c notify_sms_queue(): the receipt, its text from the template. */
static void receipt_sms(struct ceiling *c, int64_t now, int64_t id, const char *enc,
                        const char *mask, const char *hash, const char *number,
                        const char *check_code)
{
    char sms[768], token[33];
    unsigned char raw[16];
    render(c->sms_body, number, check_code, sms, sizeof(sms));
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    sqlite3_stmt *s = c->st[S_SMS];
    sqlite3_bind_int64(s, 1, c->sms_template);
    sqlite3_bind_int64(s, 2, id);
    text(s, 3, enc);
    text(s, 4, mask);
    text(s, 5, hash);
    text(s, 6, sms);
    sqlite3_bind_int64(s, 7, now);
    text(s, 8, token);
    sqlite3_bind_int64(s, 9, now);
    run(c, S_SMS);
}

static void add_case(struct ceiling *c, int64_t now)
{
    unsigned n = c->body % NBODIES + 1;
    char day[16], number[32], check_code[16], title[128], address[64], name[32], phone[16];
    char mask[16], enc[128], hash[33], target[40], after[80];
    char message[256];
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + sizeof(phone)];
    unsigned char h[32];
    c->body++;

    /* bench/intake.lua's body number n */
    snprintf(title, sizeof(title), "%s%s（%u）", places[n % NPLACES],
             problems[n / NPLACES % NPROBLEMS], n);
    snprintf(address, sizeof(address), "%s%u号", places[n % NPLACES], n % 300 + 1);
    snprintf(name, sizeof(name), "%s先生", surnames[n % NSURNAMES]);
    snprintf(phone, sizeof(phone), "1381234%04u", n % 10000);
    int cat_index = (int)(n % (unsigned)c->ncats);
    const struct ref *cat = &c->cats[cat_index];
    double lat = 30.176 + (n % 97) * 0.0005, lon = 120.060 + (n % 89) * 0.0009;
    int region = grid_of(c, lat, lon);
    const struct ref *reg = &c->regions[region < 0 ? (int)(n % (unsigned)c->nregions) : region];

    /* auth_phone_seal: secretbox with a random nonce, base64; keyed hash; mask */
    size_t plen = strlen(phone),
           clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plen;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)phone, plen,
                          box, c->key);
    sodium_bin2base64(enc, sizeof(enc), box, clen, sodium_base64_VARIANT_ORIGINAL);
    crypto_generichash(h, 16, (const unsigned char *)phone, plen, c->key, sizeof(c->key));
    sodium_bin2hex(hash, sizeof(hash), h, 16);
    snprintf(mask, sizeof(mask), "%.3s****%s", phone, phone + plen - 4);
    snprintf(check_code, sizeof(check_code), "%05u%05u", randombytes_uniform(100000),
             randombytes_uniform(100000));

    local_day(c, now, day);
    sqlite3_stmt *s = c->st[S_NUMBER];
    text(s, 1, day);
    snprintf(number, sizeof(number), "%s-%06lld", day, (long long)run(c, S_NUMBER));

    s = c->st[S_CASE];
    text(s, 1, number);
    text(s, 2, check_code);
    text(s, 3, title);
    text(s, 4, description);
    sqlite3_bind_int64(s, 5, cat->id);
    sqlite3_bind_double(s, 6, lat);
    sqlite3_bind_double(s, 7, lon);
    text(s, 8, address);
    sqlite3_bind_int64(s, 9, reg->id);
    text(s, 10, reg->code);
    text(s, 11, name);
    text(s, 12, enc);
    text(s, 13, mask);
    text(s, 14, hash);
    sqlite3_bind_int64(s, 15, c->actor_id);
    sqlite3_bind_int64(s, 16, now);
    sqlite3_bind_int64(s, 17, now);
    sqlite3_bind_int64(s, 18, cat->id);
    sqlite3_bind_int64(s, 19, cat->other);
    sqlite3_bind_double(s, 20, 0.61012495136983369);
    run(c, S_CASE);
    int64_t id = sqlite3_last_insert_rowid(c->db);

    s = c->st[S_EVENT];
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, c->actor_id);
    text(s, 4, c->actor);
    text(s, 5, "{\"channel\":\"hotline\",\"urgency\":\"emergency\",\"kind\":\"complaint\"}");
    run(c, S_EVENT);
    int64_t event_id = sqlite3_last_insert_rowid(c->db);

    snprintf(message, sizeof(message), "新工单 %s：%s", number, title);
    notification(c, S_NOTIFY, id, event_id, now, message);

    snprintf(target, sizeof(target), "case/%lld", (long long)id);
    snprintf(after, sizeof(after), "{\"number\":\"%s\",\"state\":\"new\"}", number);
    audit(c, now, c->actor_id, c->actor, "case.create", target, after);

    if (c->rows == ROWS_ALL)
        receipt_sms(c, now, id, enc, mask, hash, number, check_code);

    s = c->st[S_TRIAGE];
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_text(s, 3, triage_payload, (int)sizeof(triage_payload) - 1, SQLITE_STATIC);
    run(c, S_TRIAGE);

    if (c->rows == ROWS_ISSUE)
        return;
    repeats(c, now, id, c->actor_id, number, title, n % PHONES, region, cat_index, lat, lon);
    s = c->st[S_RISK];
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_double(s, 2, 30.0);
    text(s, 3, "medium");
    text(s, 4, risk_reasons);
    sqlite3_bind_int64(s, 5, now);
    run(c, S_RISK);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void load(struct ceiling *c, const char *query, struct ref *out, int cap, int *n)
{
    sqlite3_stmt *s;
    check(c, sqlite3_prepare_v2(c->db, query, -1, &s, NULL), query);
    *n = 0;
    while (*n < cap && sqlite3_step(s) == SQLITE_ROW) {
        out[*n].id = sqlite3_column_int64(s, 0);
        out[*n].other = sqlite3_column_int64(s, 1);
        snprintf(out[*n].code, sizeof(out[*n].code), "%s",
                 (const char *)sqlite3_column_text(s, 2) ? (const char *)sqlite3_column_text(s, 2)
                                                         : "");
        (*n)++;
    }
    sqlite3_finalize(s);
}

/* The sync thread: fdatasync of the WAL for each commit asked ('asked' > 'synced'). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int fd, stop;
    long asked, synced;
} syncer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, -1, 0, 0, 0};

static void *sync_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&syncer.lock);
    for (;;) {
        while (syncer.synced == syncer.asked && !syncer.stop)
            pthread_cond_wait(&syncer.cond, &syncer.lock);
        if (syncer.synced == syncer.asked)
            break; /* stopping, all synced */
        long upto = syncer.asked;
        pthread_mutex_unlock(&syncer.lock);
        if (fdatasync(syncer.fd) < 0)
            die("fdatasync of the WAL failed");
        pthread_mutex_lock(&syncer.lock);
        syncer.synced = upto;
        pthread_cond_broadcast(&syncer.cond);
    }
    pthread_mutex_unlock(&syncer.lock);
    return NULL;
}

/* Wait until every commit asked for is synced. */
static void sync_wait(void)
{
    pthread_mutex_lock(&syncer.lock);
    while (syncer.synced < syncer.asked)
        pthread_cond_wait(&syncer.cond, &syncer.lock);
    pthread_mutex_unlock(&syncer.lock);
}

static void sync_ask(void)
{
    pthread_mutex_lock(&syncer.lock);
    syncer.asked++;
    pthread_cond_broadcast(&syncer.cond);
    pthread_mutex_unlock(&syncer.lock);
}

static void setup(struct ceiling *c, const char *path)
{
    struct ref r[1];
    int n;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        c->default_vfs ? NULL : store_walbuf_vfs()) != SQLITE_OK)
        die("cannot open '%s': %s", path, sqlite3_errmsg(c->db));
    check(c,
          sqlite3_exec(c->db,
                       "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                       "PRAGMA temp_store=MEMORY;",
                       NULL, NULL, NULL),
          "pragmas");
    /* What intake.sh sends: the first 40 active leaf categories (by id, as the list answers
     * them), their department as the triage's, and the grid cells the locations fall in. */
    load(c,
         "SELECT id, coalesce(department_id, 0), code FROM categories k WHERE active = 1 AND NOT"
         " EXISTS (SELECT 1 FROM categories x WHERE x.parent_id = k.id) ORDER BY id LIMIT 40",
         c->cats, MAX_CATS, &c->ncats);
    load(c,
         "SELECT id, 0, code FROM regions r WHERE boundary IS NOT NULL AND NOT EXISTS"
         " (SELECT 1 FROM regions x WHERE x.parent_id = r.id) ORDER BY id",
         c->regions, (int)(sizeof(c->regions) / sizeof(c->regions[0])), &c->nregions);
    if (!c->ncats || !c->nregions)
        die("'%s' has no leaf categories or regions: make it with `gridloop init --db DB --demo`",
            path);
    /* Each grid's bounds, from its GeoJSON polygon's points. */
    sqlite3_stmt *b;
    check(c, sqlite3_prepare_v2(c->db, "SELECT boundary FROM regions WHERE id = ?", -1, &b, NULL),
          "boundaries");
    for (int i = 0; i < c->nregions; i++) {
        sqlite3_bind_int64(b, 1, c->regions[i].id);
        const char *g = sqlite3_step(b) == SQLITE_ROW ? (const char *)sqlite3_column_text(b, 0) : 0;
        const char *p = g ? strstr(g, "\"coordinates\"") : NULL;
        double *bx = c->box[i], x, y;
        bx[0] = bx[1] = HUGE_VAL;
        bx[2] = bx[3] = -HUGE_VAL;
        while (p && (p = strchr(p, '[')) && p++) {
            while (*p == '[')
                p++;
            if (sscanf(p, "%lf , %lf", &x, &y) != 2)
                continue;
            bx[0] = fmin(bx[0], x), bx[1] = fmin(bx[1], y);
            bx[2] = fmax(bx[2], x), bx[3] = fmax(bx[3], y);
        }
        if (!(bx[0] <= bx[2]))
            die("region %lld has no polygon boundary", (long long)c->regions[i].id);
        sqlite3_reset(b);
    }
    sqlite3_finalize(b);
    sqlite3_stmt *t;
    check(c,
          sqlite3_prepare_v2(c->db, "SELECT id, body FROM sms_templates WHERE code = 'receipt'", -1,
                             &t, NULL),
          "sms template");
    if (sqlite3_step(t) != SQLITE_ROW)
        die("'%s' has no receipt SMS template", path);
    c->sms_template = sqlite3_column_int64(t, 0);
    snprintf(c->sms_body, sizeof(c->sms_body), "%s", (const char *)sqlite3_column_text(t, 1));
    sqlite3_finalize(t);
    c->places = calloc((size_t)MAX_REGIONS * MAX_CATS, sizeof(*c->places));
    if (!c->places)
        die("out of memory");
    load(c, "SELECT id, 0, name FROM users WHERE name = 'admin'", r, 1, &n);
    if (!n)
        die("'%s' has no user 'admin'", path);
    c->actor_id = r[0].id;
    snprintf(c->actor, sizeof(c->actor), "%s", r[0].code);
    load(c, "SELECT utc_offset_min, 0, '' FROM calendar_settings WHERE id = 1", r, 1, &n);
    c->utc_offset_min = n ? r[0].id : 480;
    load(c, "SELECT seq, 0, '' FROM audit_log ORDER BY seq DESC LIMIT 1", r, 1, &n);
    c->seq = n ? r[0].id : 0;
    snprintf(c->prev, sizeof(c->prev), "%s",
             "0000000000000000000000000000000000000000000000000000000000000000");
    if (n) {
        sqlite3_stmt *s;
        check(c,
              sqlite3_prepare_v2(c->db, "SELECT hash FROM audit_log WHERE seq = ?", -1, &s, NULL),
              "audit head");
        sqlite3_bind_int64(s, 1, c->seq);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(c->prev, sizeof(c->prev), "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    for (int i = 0; i < S_COUNT; i++)
        check(c, sqlite3_prepare_v3(c->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL),
              sql[i]);
}

/* The repeat rules' memory as the database holds it: each caller's newest REPEAT_MAX cases and
 * each (grid, category)'s newest REPEAT_SCAN, oldest first, and the chains with an open repeat
 * warning. Empty for a new database; for a copy of the server's (bench/intake.sh) the POSTs
 * here then find what the server's found. */
static void load_history(struct ceiling *c)
{
    sqlite3_stmt *s;
    char phone[16], hash[33];
    unsigned char h[16];
    int64_t ids[REPEAT_SCAN];
    double lat[REPEAT_SCAN], lon[REPEAT_SCAN];
    check(c,
          sqlite3_prepare_v2(
              c->db,
              "SELECT id FROM cases WHERE citizen_phone_hash = ? AND citizen_phone_hash"
              " <> '' ORDER BY created_at DESC, id DESC LIMIT ?",
              -1, &s, NULL),
          "callers");
    for (int p = 0; p < PHONES; p++) {
        snprintf(phone, sizeof(phone), "1381234%04d", p);
        crypto_generichash(h, sizeof(h), (const unsigned char *)phone, strlen(phone), c->key,
                           sizeof(c->key));
        sodium_bin2hex(hash, sizeof(hash), h, sizeof(h));
        text(s, 1, hash);
        sqlite3_bind_int(s, 2, REPEAT_MAX);
        int n = 0;
        while (sqlite3_step(s) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        while (n-- > 0)
            remember(&c->callers[p], REPEAT_MAX, ids[n], 0, 0);
    }
    sqlite3_finalize(s);
    check(c,
          sqlite3_prepare_v2(c->db,
                             "SELECT id, coalesce(lat, 0), coalesce(lon, 0) FROM cases WHERE"
                             " region_id = ? AND category_id = ? ORDER BY created_at DESC, id DESC"
                             " LIMIT ?",
                             -1, &s, NULL),
          "places");
    for (int r = 0; r < c->nregions; r++)
        for (int k = 0; k < c->ncats; k++) {
            sqlite3_bind_int64(s, 1, c->regions[r].id);
            sqlite3_bind_int64(s, 2, c->cats[k].id);
            sqlite3_bind_int(s, 3, REPEAT_SCAN);
            int n = 0;
            while (sqlite3_step(s) == SQLITE_ROW) {
                ids[n] = sqlite3_column_int64(s, 0);
                lat[n] = sqlite3_column_double(s, 1);
                lon[n++] = sqlite3_column_double(s, 2);
            }
            sqlite3_reset(s);
            while (n-- > 0)
                remember(&c->places[(size_t)r * MAX_CATS + (size_t)k], REPEAT_SCAN, ids[n], lat[n],
                         lon[n]);
        }
    sqlite3_finalize(s);
    check(c,
          sqlite3_prepare_v2(c->db,
                             "SELECT CAST(substr(group_key, 8) AS INTEGER) FROM warnings WHERE"
                             " kind = 'repeat' AND status IN ('new', 'acknowledged')",
                             -1, &s, NULL),
          "warnings");
    while (sqlite3_step(s) == SQLITE_ROW)
        warn_root(c, sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
}

/* The data key next to the database (gridloop's DB.key), so the phones are readable by
 * gridloop; a random one if there is none. */
static void read_key(struct ceiling *c, const char *db)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s.key", db);
    FILE *f = fopen(path, "rb");
    if (!f || fread(c->key, 1, sizeof(c->key), f) != sizeof(c->key))
        crypto_secretbox_keygen(c->key);
    if (f)
        fclose(f);
}

static double parse_duration(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (*end == 'm')
        d *= 60, end++;
    else if (*end == 's')
        end++;
    if (*end || !(d > 0))
        die("--duration '%s': a number of seconds, optionally with 's' or 'm'", v);
    return d;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_ceiling --db DB [--batch N] [--duration 10s | --cases N] "
            "[--no-fts] [--fts-every-ms MS] [--sync-each] [--rows all|issue] [--default-vfs]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct ceiling c;
    const char *db = NULL;
    long batch = 64, limit = 0, fts_ms = 100;
    double duration = 10;
    int fts = 1, apart = 1;
    pthread_t sync_thread;
    memset(&c, 0, sizeof(c));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-fts")) {
            fts = 0;
            continue;
        }
        if (!strcmp(a, "--sync-each")) {
            apart = 0;
            continue;
        }
        if (!strcmp(a, "--default-vfs")) {
            c.default_vfs = 1;
            continue;
        }
        if (!strcmp(a, "--rows") && v && (!strcmp(v, "all") || !strcmp(v, "issue"))) {
            c.rows = !strcmp(v, "all") ? ROWS_ALL : ROWS_ISSUE;
            i++;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--db"))
            db = v;
        else if (!strcmp(a, "--batch"))
            batch = strtol(v, NULL, 10);
        else if (!strcmp(a, "--cases"))
            limit = strtol(v, NULL, 10);
        else if (!strcmp(a, "--duration"))
            duration = parse_duration(v);
        else if (!strcmp(a, "--fts-every-ms"))
            fts_ms = strtol(v, NULL, 10);
        else
            usage();
    }
    if (!db || batch < 1 || batch > 100000 || limit < 0 || fts_ms < 0)
        usage();
    if (sodium_init() < 0)
        die("libsodium did not initialise");
    if (utf8_chars(description) != 300)
        die("the description has %zu characters, not 300", utf8_chars(description));
    read_key(&c, db);
    setup(&c, db);
    if (c.rows == ROWS_ALL)
        load_history(&c);
    if (apart) {
        char wal[4096];
        check(&c, sqlite3_exec(c.db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL), "pragma");
        snprintf(wal, sizeof(wal), "%s-wal", db);
        if ((syncer.fd = open(wal, O_RDWR | O_CLOEXEC)) < 0)
            die("cannot open '%s'", wal);
        if (pthread_create(&sync_thread, NULL, sync_main, NULL) != 0)
            die("cannot start the sync thread");
    }

    long cases = 0, commits = 0;
    double t0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), indexed = -1e9,
           t = t0;
    while (limit ? cases < limit : t - t0 < duration) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        run(&c, S_BEGIN);
        for (long j = 0; j < batch && (!limit || cases < limit); j++, cases++)
            add_case(&c, (int64_t)ts.tv_sec);
        /* src/app/app_main.c before_commit: the index in the batch committing when it is due */
        if (fts && (t - indexed) * 1000 >= (double)fts_ms) {
            run(&c, S_FTS);
            run(&c, S_WATERMARK);
            indexed = t;
        }
        if (apart)
            sync_wait(); /* the previous batch's sync has ended */
        run(&c, S_COMMIT);
        if (apart)
            sync_ask();
        commits++;
        t = now_s(CLOCK_MONOTONIC);
    }
    if (apart) {
        sync_wait();
        t = now_s(CLOCK_MONOTONIC);
        pthread_mutex_lock(&syncer.lock);
        syncer.stop = 1;
        pthread_cond_broadcast(&syncer.cond);
        pthread_mutex_unlock(&syncer.lock);
        pthread_join(sync_thread, NULL);
        close(syncer.fd);
    }
    double secs = t - t0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    char fts_how[48];
    if (!fts)
        snprintf(fts_how, sizeof(fts_how), "no full-text index");
    else if (fts_ms)
        snprintf(fts_how, sizeof(fts_how), "full-text index every %ld ms", fts_ms);
    else
        snprintf(fts_how, sizeof(fts_how), "full-text index every batch");
    printf("ceiling: %ld cases in %ld commits (batch %ld, %s, %s, %s, %s) in %.2f s: cases/s %.1f "
           "commits/s %.1f us/case %.1f cpu_us/case %.1f\n",
           cases, commits, batch, fts_how, apart ? "log synced apart" : "each commit synced",
           c.rows == ROWS_ALL ? "every row of the POST" : "the rows issue 12 listed",
           c.default_vfs ? "SQLite's own VFS" : "the store's WAL-gathering VFS", secs, cases / secs,
           commits / secs, cases ? secs * 1e6 / cases : 0, cases ? cpu * 1e6 / cases : 0);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(c.st[i]);
    sqlite3_close(c.db);
    for (int i = 0; i < PHONES; i++)
        free(c.callers[i].v);
    for (size_t i = 0; i < (size_t)MAX_REGIONS * MAX_CATS; i++)
        free(c.places[i].v);
    free(c.places);
    free(c.warned);
    return 0;
}
