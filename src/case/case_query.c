/*
 * Case lists: filters, work queues, the caller's scope and keyset pagination, in one query.
 *
 * The statement is assembled from fixed fragments, one per filter that is present, so each
 * combination gets its own plan and the indexes of migration 0003 can serve it (a single
 * statement with "(? = 0 OR col = ?)" for every filter leaves SQLite one plan for all, a
 * scan). Input only ever reaches the statement as bound parameters.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "store/store.h"

/* Sort key of a case without a resolve deadline (9999-12-31T23:59:59Z): after all others.
 * The same literal is in the expression index cases_deadline_key (0003_case_query.sql). */
#define NO_DEADLINE "253402300799"
_Static_assert(CASE_NO_DEADLINE == 253402300799LL, "NO_DEADLINE is CASE_NO_DEADLINE's text");

static const char *const sort_names[CASE_SORT_COUNT] = {"created", "deadline", "updated"};
static const char *const queue_names[CASE_QUEUE_COUNT] = {
    "", "to_sign", "to_handle", "overdue", "to_dispatch", "returned", "pending", "mine",
};

const char *case_sort_name(enum case_sort s)
{
    return (unsigned)s < CASE_SORT_COUNT ? sort_names[s] : "?";
}

int case_sort_from_name(const char *name)
{
    for (int i = 0; name && i < CASE_SORT_COUNT; i++)
        if (strcmp(name, sort_names[i]) == 0)
            return i;
    return -1;
}

const char *case_queue_name(enum case_queue q)
{
    return (unsigned)q < CASE_QUEUE_COUNT ? queue_names[q] : "?";
}

int case_queue_from_name(const char *name)
{
    for (int i = 1; name && i < CASE_QUEUE_COUNT; i++)
        if (strcmp(name, queue_names[i]) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------- statement builder */

#define QB_MAX_ARGS 64

/* A place in a list's order: the sort key and the id (a cursor's content). */
struct pos {
    int64_t key, id;
};

struct qb {
    struct buf sql;
    struct store_arg args[QB_MAX_ARGS + 1]; /* the last one takes what overflows */
    size_t nargs;
    int overflow;
    /* A count (case_list_total): no order and no page, so every match is read anyway; the
     * filters are written so that their indexes may serve (a count from an index range instead
     * of a test on every row of the table), not as the per-row tests that keep a page's walk on
     * the sort key's index. */
    int counting;
    int64_t cap; /* a count: at most cap + 1 matches are read (0: all of them) */
    /* A count under a budget of work (store_time_limit): the matches are stepped one by one
     * (SELECT 1 ... LIMIT cap + 1) rather than counted by the statement, so that those read
     * before it ran out are known. */
    int stepping;
    int by_created; /* a page in created_at order (the default sort) */
    int pg;         /* the statement is PostgreSQL's */
    int whole;      /* the page sorts every match (TEXT_GATHER_MAX, a category floor) */
    /* A short text's page, read in windows (scan_page()): the window starts after 'after'
     * (else at f->cursor) and ends at 'floor' (inclusive; NULL: no end); 'probe' > 0 asks
     * instead for the key and id of the probe-th case in the order of every case, no filter
     * applied (the window's end); 'take' > 0 is the page's LIMIT (else limit + 1). */
    const struct pos *after, *floor;
    int64_t probe, take;
    /* A PostgreSQL text's page in windows of time (day_page()): the window's days (or hours,
     * 'hours' set), newest first, as an array's text ("{20794,20793}"); NULL: not in windows. */
    const char *days;
    int hours;
};

static void sql(struct qb *q, const char *frag)
{
    buf_puts(&q->sql, frag);
}

static struct store_arg *arg(struct qb *q)
{
    if (q->nargs == QB_MAX_ARGS) {
        q->overflow = 1;
        return &q->args[QB_MAX_ARGS];
    }
    return &q->args[q->nargs++];
}

static void arg_int(struct qb *q, int64_t v)
{
    *arg(q) = store_i64(v);
}

static void arg_text(struct qb *q, const char *v)
{
    *arg(q) = store_text(v);
}

static void arg_real(struct qb *q, double v)
{
    *arg(q) = store_real(v);
}

/* ", ?" per element after the first: the inside of an IN list. */
static void placeholders(struct qb *q, int n)
{
    for (int i = 0; i < n; i++)
        sql(q, i ? ", ?" : "?");
}

/* "col IN (?, ...)" over the names of the bits set in 'mask'; 'expr': as an expression that no
 * index serves, see broad(). */
static void in_names_as(struct qb *q, const char *col, unsigned mask, int count,
                        const char *(*name)(int), int expr)
{
    int n = 0;
    sql(q, expr ? " AND (" : " AND ");
    sql(q, col);
    sql(q, expr ? " || '') IN (" : " IN (");
    for (int i = 0; i < count; i++)
        if (mask & (1u << i)) {
            sql(q, n++ ? ", ?" : "?");
            arg_text(q, name(i));
        }
    sql(q, ")");
}

/* Several values make a broad filter: an expression rather than the column (SQLite's unary
 * plus, which PostgreSQL has for numbers only) keeps SQLite from driving the query by their
 * index, which would collect a large share of the table and sort it all; walking the sort
 * key's index and testing each row stops after one page. One value may use an index that also
 * orders by the key ((state, created_at)). A count reads every match anyway: any index. */
static int broad(const struct qb *q, unsigned mask)
{
    return (mask & (mask - 1)) && !q->counting;
}

static void in_names(struct qb *q, const char *col, unsigned mask, int count,
                     const char *(*name)(int))
{
    in_names_as(q, col, mask, count, name, broad(q, mask));
}

static const char *state_name_i(int i)
{
    return case_state_name((enum case_state)i);
}

static const char *channel_name_i(int i)
{
    return case_channel_name((enum case_channel)i);
}

static const char *urgency_name_i(int i)
{
    return case_urgency_name((enum case_urgency)i);
}

static const char *kind_name_i(int i)
{
    return case_kind_name((enum case_kind)i);
}

/* The smallest string above every string that starts with 'prefix' (codes are ASCII). */
static char *prefix_end(struct arena *a, const char *prefix)
{
    char *end = arena_strdup(a, prefix);
    size_t n = strlen(end);
    if (n)
        end[n - 1]++;
    return end;
}

/* A region's subtree: its code and the codes in [lo, end). A grid holds its micro-grids (its
 * code and '.', and '/' follows '.'; a micro-grid only itself); a larger region every code it
 * prefixes. */
static void region_range(struct arena *a, const char *code, const char **lo, const char **end)
{
    int grid = strlen(code) > 12;
    *lo = grid ? arena_printf(a, "%s.", code) : code;
    *end = grid ? arena_printf(a, "%s/", code) : prefix_end(a, code);
}

/* The region subtree test of org_region_code_in_subtree(), as a range on the index for a
 * community or a grid. A district or a street holds a large share of all cases: for those the
 * range is only tested per row (an expression, not the column), while the sort key's index is walked. */
static void region_subtree(struct qb *q, struct arena *a, const char *code)
{
    const char *lo, *end;
    region_range(a, code, &lo, &end);
    if (strlen(code) > 12) {
        /* One range, [code, end), less what lies between the grid and its micro-grids (the
         * code "code." and other grids' "code-..."): PostgreSQL turned the OR of two ranges
         * into a bitmap of the table's rows, and a grid's count (90,836 cases at 10,000,000)
         * took 1.4 s instead of 2.7 ms through the index alone. */
        sql(q, "(c.region_code >= ? AND c.region_code < ? AND NOT (c.region_code > ? AND"
               " c.region_code <= ?))");
        arg_text(q, code);
        arg_text(q, end);
        arg_text(q, code);
        arg_text(q, lo);
        return;
    }
    /* "|| ''" rather than SQLite's unary plus, which PostgreSQL has for numbers only. */
    if (strlen(code) < 12 && !q->counting)
        sql(q, "((c.region_code || '') >= ? AND (c.region_code || '') < ?)");
    else
        sql(q, "(c.region_code >= ? AND c.region_code < ?)");
    arg_text(q, lo);
    arg_text(q, end);
}

/* The actor sees every case: case_visible() adds no condition. */
static int scope_is_all(const struct case_actor *s)
{
    int region_bound = s->region_code && *s->region_code;
    return (s->roles & ROLE_ADMIN) || ((s->roles & CASE_WIDE_ROLES) && !region_bound);
}

/* The branches of case_visible() for an actor who does not see every case. */
enum { SCOPE_OWN = 1, SCOPE_DEPT = 2, SCOPE_REGION = 4 };

static unsigned scope_branches(const struct case_actor *s)
{
    int region_bound = s->region_code && *s->region_code;
    if (scope_is_all(s))
        return 0;
    return (s->user_id != 0 ? SCOPE_OWN : 0) |
           ((s->roles & ROLE_HANDLER) && s->ndepts > 0 ? SCOPE_DEPT : 0) |
           ((s->roles & ROLE_STAFF) && region_bound ? SCOPE_REGION : 0);
}

/* case_visible() as a condition. A scope of one branch (a citizen's own cases) is written
 * without the OR: SQLite does not drop "1 = 0 OR", so "(1 = 0 OR c.created_by = ?)" kept it
 * from the index on (created_by, created_at) and a citizen's list walked every case newest
 * first (at 10,000,000 cases, past 365,864 newer cases of others). */
static void scope_where(struct qb *q, struct arena *a, const struct case_actor *s)
{
    if (scope_is_all(s))
        return;
    unsigned b = scope_branches(s);
    int own = !!(b & SCOPE_OWN), dept = !!(b & SCOPE_DEPT), region = !!(b & SCOPE_REGION);
    int one = own + dept + region == 1;
    sql(q, one ? " AND " : " AND (1 = 0");
    if (own) {
        sql(q, one ? "c.created_by = ?" : " OR c.created_by = ?");
        arg_int(q, s->user_id);
    }
    if (dept) {
        /* case_departments holds the lead and the assisting departments of every case.
         * Correlated, probed per row by its key: "c.id IN (SELECT ...)" collected every case of
         * the departments before the first row (150 ms for a large department on 10,000,000
         * cases, whatever the queue). */
        sql(q, one ? "EXISTS (SELECT 1 FROM case_departments x WHERE x.case_id = c.id AND"
                     " x.department_id IN ("
                   : " OR EXISTS (SELECT 1 FROM case_departments x WHERE x.case_id = c.id AND"
                     " x.department_id IN (");
        placeholders(q, s->ndepts);
        for (int i = 0; i < s->ndepts; i++)
            arg_int(q, s->depts[i]);
        /* PostgreSQL turns an EXISTS beside an OR into a hashed subplan: every row of the
         * departments read before the first case (104 ms for a handler's page on 1,000,000
         * cases, a department of 199,021 rows). An OFFSET keeps it a probe per row (0.8 ms). */
        sql(q, q->pg ? ") OFFSET 0)" : "))");
    }
    if (region) {
        if (!one)
            sql(q, " OR ");
        region_subtree(q, a, s->region_code);
    }
    if (!one)
        sql(q, ")");
}

/*
 * A department's cases (the department filter, a handler's scope) are cases with a lead
 * department, but for whistles: the dispatch that names the lead writes the departments' rows
 * (case_actions.c), and only a whistle (吹哨, case_assist.c) summons departments to a case not
 * yet dispatched. A page of such a list in created order may then walk cases_routed, the
 * dispatched cases alone (migration 0075), instead of cases_created: a backlog of undispatched
 * cases at the head of the order (a storm with dispatch behind; the intake bench's 365,864 on
 * the 10,000,000-case database) was tested row by row before the first match, 75 ms for a
 * department, 0.6 s for a handler's scope (whose created_by test reads each row).
 *
 * The term "c.lead_department_id IS NOT NULL" is written only where it changes no answer:
 * no whistle has summoned the departments to an undispatched case (case_assists_whistled), and
 * for a scope with the actor's own cases, none of them is undispatched, looked up among at most
 * OWN_PROBE of them (an actor with more keeps the walk of every case). Not for a count, which
 * has no order to keep and reads the table in its own order; not with a region branch (a grid
 * worker's scope), whose cases need no department; not in a queue, whose index is narrower.
 * The answers are read just before the page's statement: a whistle or own case written in
 * between is as if it came after the page.
 */
#define OWN_PROBE 1000
#define OWN_PROBE_TEXT "1000"

static int routed_only(struct store_conn *c, const struct case_filter *f,
                       const struct case_actor *s, int *routed, struct err *err)
{
    unsigned b = scope_branches(s);
    *routed = 0;
    if (f->sort != CASE_SORT_CREATED || f->queue != CQ_NONE)
        return 0;
    if (!f->department_id && (!(b & SCOPE_DEPT) || (b & SCOPE_REGION)))
        return 0;
    struct qb *q = xcalloc(1, sizeof(*q));
    int64_t hit = 0;
    int rc;
    buf_init(&q->sql);
    sql(q, "SELECT CASE WHEN EXISTS (SELECT 1 FROM case_assists s JOIN cases c ON c.id = s.case_id"
           " WHERE s.whistle_id IS NOT NULL AND c.lead_department_id IS NULL AND s.department_id");
    if (f->department_id) {
        sql(q, " = ?");
        arg_int(q, f->department_id);
    } else {
        sql(q, " IN (");
        placeholders(q, s->ndepts);
        for (int i = 0; i < s->ndepts; i++)
            arg_int(q, s->depts[i]);
        sql(q, ")");
    }
    sql(q, ")");
    /* The department filter alone decides: a case outside it is not on the page anyway. */
    if (!f->department_id && (b & SCOPE_OWN)) {
        sql(q,
            " OR (SELECT count(*) > " OWN_PROBE_TEXT " OR count(*) > count(t.routed_lead)"
            " FROM (SELECT lead_department_id AS routed_lead FROM cases WHERE created_by = ? LIMIT " OWN_PROBE_TEXT
            " + 1) AS t)");
        arg_int(q, s->user_id);
    }
    sql(q, " THEN 1 ELSE 0 END");
    if (q->overflow)
        rc = err_set(err, ERR_INTERNAL, "too many parameters for a case list");
    else if ((rc = store_one_i64(c, q->sql.p, (struct store_args){q->args, q->nargs}, &hit, err)) >=
             0) {
        *routed = !hit;
        rc = 0;
    }
    buf_release(&q->sql);
    free(q);
    return rc;
}

/* The lead department is one of the actor's, when the actor acts for departments. 'plus':
 * only test it per row, when the queue has a narrower index of its own. A capped count stops
 * after cap + 1 matches, so it too wants the queue's index: cases_lead_created starts at the
 * department's oldest cases, all closed, and read 0.4 s of them for an overdue queue's 10,001
 * (on 1,000,000 cases) where the open cases' index took 0.1 s. */
static void lead_is_own(struct qb *q, const struct case_actor *s, int plus)
{
    if ((s->roles & ROLE_ADMIN) || s->ndepts <= 0)
        return;
    sql(q, plus && (!q->counting || q->cap > 0) ? " AND +c.lead_department_id IN ("
                                                : " AND c.lead_department_id IN (");
    placeholders(q, s->ndepts);
    for (int i = 0; i < s->ndepts; i++)
        arg_int(q, s->depts[i]);
    sql(q, ")");
}

static int queue_where(struct qb *q, enum case_queue queue, const struct case_actor *s,
                       struct err *err)
{
    switch (queue) {
    case CQ_NONE: return 0;
    case CQ_TO_SIGN:
        sql(q, " AND c.state = 'dispatched'");
        lead_is_own(q, s, 0);
        return 0;
    case CQ_TO_HANDLE:
        sql(q, q->counting ? " AND c.state IN ('processing', 'rectifying')"
                           : " AND (c.state || '') IN ('processing', 'rectifying')");
        lead_is_own(q, s, 0);
        return 0;
    case CQ_OVERDUE:
        /* A page in date order walks the partial index cases_overdue (the newest overdue cases
         * are the open ones) and stops after a page. The state's test written as the partial
         * index cases_place_open's WHERE let SQLite take that index instead, every open case
         * and a sort (350 ms for a handler on 10,000,000 cases, against 11): an expression
         * keeps it off. A count and the other orders keep the open cases' index. */
        sql(q,
            q->by_created && !q->counting
                ? " AND c.overdue = 1 AND (c.state || '') NOT IN ('closed', 'cancelled', 'merged')"
                : " AND c.overdue = 1 AND c.state NOT IN ('closed', 'cancelled', 'merged')");
        if (!(s->roles & (ROLE_SUPERVISOR | ROLE_DISPATCHER)))
            lead_is_own(q, s, 1);
        return 0;
    case CQ_TO_DISPATCH: sql(q, " AND c.state = 'new'"); return 0;
    case CQ_RETURNED: sql(q, " AND c.state = 'returned'"); return 0;
    case CQ_PENDING: sql(q, " AND c.pending_request IS NOT NULL"); return 0;
    case CQ_MINE:
        sql(q, " AND c.created_by = ?");
        arg_int(q, s->user_id);
        return 0;
    case CASE_QUEUE_COUNT: break;
    }
    return err_field(err, ERR_BAD_REQUEST, "queue", "unknown queue %d", (int)queue);
}

/* ---------------------------------------------------------------- place */

/* Metres per degree of latitude on the mean sphere (R = 6,371,008.8 m). */
#define M_PER_DEG 111194.93

/*
 * The box and the circle as ranges on lat and lon (the index cases_place of migration 0039
 * takes the latitude range), the circle then tested exactly per row in the plane tangent at its
 * centre: below CASE_NEAR_MAX that differs from the great-circle distance by far less than a
 * GPS fix does, and needs nothing but arithmetic on both databases.
 */
static void place_where(struct qb *q, const struct case_filter *f)
{
    if (f->has_box) {
        sql(q, " AND c.lat >= ? AND c.lat <= ? AND c.lon >= ? AND c.lon <= ?");
        arg_real(q, f->south);
        arg_real(q, f->north);
        arg_real(q, f->west);
        arg_real(q, f->east);
    }
    if (f->near_m > 0) {
        double coslat = cos(f->near_lat * M_PI / 180.0);
        if (coslat < 0.01)
            coslat = 0.01;
        double ky = M_PER_DEG, kx = M_PER_DEG * coslat;
        double dlat = f->near_m / ky, dlon = f->near_m / kx;
        sql(q, " AND c.lat >= ? AND c.lat <= ? AND c.lon >= ? AND c.lon <= ?"
               " AND (c.lat - ?) * (c.lat - ?) * ? + (c.lon - ?) * (c.lon - ?) * ? <= ?");
        arg_real(q, f->near_lat - dlat);
        arg_real(q, f->near_lat + dlat);
        arg_real(q, f->near_lon - dlon);
        arg_real(q, f->near_lon + dlon);
        arg_real(q, f->near_lat);
        arg_real(q, f->near_lat);
        arg_real(q, ky * ky);
        arg_real(q, f->near_lon);
        arg_real(q, f->near_lon);
        arg_real(q, kx * kx);
        arg_real(q, f->near_m * f->near_m);
    }
}

/* ---------------------------------------------------------------- text */

/*
 * The index keeps no positions (migration 0014), so a text of n >= 3 characters is asked as
 * its trigrams, all required: "abc" AND "bcd" AND ... Each is an FTS5 string (between double
 * quotes, its own quotes doubled: nothing inside is syntax). Rows holding every trigram are
 * candidates; the text itself is then checked on them (text_where), so the answer is the
 * substrings, as before. A long text asks for at most MAX_TRIGRAMS of them, spread over it:
 * more would narrow the candidates little and cost a doclist each.
 */
#define MAX_TRIGRAMS 12
static char *fts_trigrams(struct arena *a, const char *text)
{
    size_t n = strlen(text), cps = utf8_len(text);
    size_t starts[CASE_TEXT_MAX * 4 + 1], ns = 0;
    for (size_t i = 0; i < n && ns < sizeof(starts) / sizeof(starts[0]);
         i += utf8_seq(text + i, n - i))
        starts[ns++] = i;
    size_t ntri = cps - 2, take = ntri < MAX_TRIGRAMS ? ntri : MAX_TRIGRAMS;
    /* each trigram: quotes doubled at worst, two quotes and " AND " */
    char *p = arena_alloc(a, mem_size_add(mem_size_mul(take, 12 * 2 + 7), 1)), *o = p;
    for (size_t k = 0; k < take; k++) {
        size_t t = take == 1 ? 0 : k * (ntri - 1) / (take - 1);
        size_t from = starts[t], to = t + 3 < ns ? starts[t + 3] : n;
        if (k)
            o += snprintf(o, 6, " AND ");
        *o++ = '"';
        for (size_t i = from; i < to; i++) {
            if (text[i] == '"')
                *o++ = '"';
            *o++ = text[i];
        }
        *o++ = '"';
    }
    *o = '\0';
    return p;
}

/* '%text%' for LIKE, with the pattern characters of the text escaped ('\\' is the escape). */
static char *like_contains(struct arena *a, const char *text)
{
    size_t n = strlen(text);
    char *p = arena_alloc(a, mem_size_add(mem_size_add(n, n), 3)), *o = p;
    *o++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            *o++ = '\\';
        *o++ = text[i];
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

/* 2 to 4 Han characters may be a person's name (a surname and one to three characters): such a
 * text also finds the cases of a citizen of exactly that name. */
static int maybe_name(const char *text)
{
    size_t n = strlen(text), chars = 0;
    for (size_t i = 0; i < n; chars++) {
        uint32_t cp = 0;
        size_t len = utf8_decode(text + i, n - i, &cp);
        if (!((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf)))
            return 0;
        i += len;
    }
    return chars >= 2 && chars <= 4;
}

/* 1 when no character of 'text' has a case, so that LIKE finds what ILIKE does: ASCII other
 * than letters, CJK (radicals, punctuation, kana, ideographs: U+2E80-U+9FFF, U+F900-U+FAFF) and
 * the full-width forms other than letters. PostgreSQL's ILIKE lowers every text it tests (a
 * character at a time, each to one character: one without case lowers to itself alone), which
 * made it ~6 us a case where LIKE takes ~2 (10,000,000 cases, docs/benchmarks.md). */
static int caseless(const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t len = utf8_decode(text + i, n - i, &cp);
        if (!len)
            return 0;
        int ok = cp < 0x80 ? !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
                           : (cp >= 0x2e80 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
                                 (cp >= 0xff01 && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
                                 (cp >= 0xff5b && cp <= 0xff65);
        if (!ok)
            return 0;
        i += len;
    }
    return 1;
}

/* 'walk': the query reads cases_fts as 'f' and walks it (fts_walk()): the match is asked of it
 * rather than as a set of ids. */
static int text_where(struct qb *q, struct arena *a, enum store_dialect dialect, const char *text,
                      int walk, struct err *err)
{
    size_t bytes = strlen(text);
    if (utf8_invalid_at(text, bytes) >= 0)
        return err_field(err, ERR_BAD_REQUEST, "q", "the text query is not valid UTF-8");
    size_t chars = utf8_len(text);
    if (chars < 1 || chars > CASE_TEXT_MAX)
        return err_field(err, ERR_BAD_REQUEST, "q", "the text query must have 1 to %d characters",
                         CASE_TEXT_MAX);
    int name = maybe_name(text);
    sql(q, " AND ((");
    if (dialect == STORE_POSTGRESQL) {
        /* pg_trgm's GIN indexes answer LIKE and ILIKE from three characters on; shorter
         * patterns are a scan, which the planner chooses itself (migrations 0002, 0020). */
        sql(q, caseless(text) ? "c.title LIKE ? OR c.description LIKE ? OR c.address LIKE ?"
                              : "c.title ILIKE ? OR c.description ILIKE ? OR c.address ILIKE ?");
        for (int i = 0; i < 3; i++)
            arg_text(q, like_contains(a, text));
    } else {
        if (chars >= 3) {
            sql(q, walk ? "f.cases_fts MATCH ?"
                        : "c.id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)");
            sql(q, " AND ");
            arg_text(q, fts_trigrams(a, text));
        }
        /* Below 3 characters a trigram index cannot answer (and on SQLite 3.40 its LIKE
         * silently finds nothing for 2 CJK characters): the base table is read. lower() folds
         * ASCII, as the trigram index does. */
        sql(q, "(instr(lower(c.title), lower(?)) > 0 OR instr(lower(c.description), lower(?)) > 0"
               " OR instr(lower(c.address), lower(?)) > 0)");
        for (int i = 0; i < 3; i++)
            arg_text(q, text);
    }
    sql(q, ")");
    if (name) {
        /* The index holds named cases only (migration 0020): the second term lets it serve. */
        sql(q, " OR (c.citizen_name = ? AND c.citizen_name <> '')");
        arg_text(q, text);
    }
    sql(q, ")");
    return 0;
}

/* ---------------------------------------------------------------- cursor */

static const char *const sort_key[CASE_SORT_COUNT] = {
    "c.created_at",
    "coalesce(c.resolve_deadline, " NO_DEADLINE ")",
    "c.updated_at",
};

static int64_t key_of(enum case_sort s, const struct case_rec *r)
{
    switch (s) {
    case CASE_SORT_DEADLINE: return r->resolve_deadline ? r->resolve_deadline : CASE_NO_DEADLINE;
    case CASE_SORT_UPDATED: return r->updated_at;
    case CASE_SORT_CREATED: return r->created_at;
    case CASE_SORT_COUNT: break;
    }
    BUG("sort %d has no key (check_filter refuses it before the query)", (int)s);
}

/* "<sort>.<key>.<id>.<total>" in URL-safe base64: opaque to clients, and tied to its sort. The
 * total counted for the first page rides along, so later pages do not count again; a '+' after
 * it says the count stopped at the cap (a lower bound). */
static void cursor_encode(enum case_sort s, int64_t key, int64_t id, int64_t total, int capped,
                          char *out)
{
    char raw[80];
    int n = snprintf(raw, sizeof(raw), "%d.%lld.%lld.%lld%s", (int)s, (long long)key, (long long)id,
                     (long long)total, capped ? "+" : "");
    if (n < 0 || (size_t)n >= sizeof(raw))
        BUG("a cursor of %d bytes", n);
    sodium_bin2base64(out, CASE_CURSOR_MAX, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int parse_ll(const char **p, char stop, long long *v)
{
    char *end;
    if (!(**p >= '0' && **p <= '9') && **p != '-')
        return -1;
    *v = strtoll(*p, &end, 10);
    if (end == *p || *end != stop)
        return -1;
    *p = stop ? end + 1 : end;
    return 0;
}

static int cursor_decode(const char *cursor, enum case_sort s, int64_t *key, int64_t *id,
                         int64_t *total, int *capped, struct err *err)
{
    unsigned char raw[80];
    size_t n;
    long long sort, k, i, tot = -1;
    int plus = 0;
    if (strlen(cursor) >= CASE_CURSOR_MAX ||
        sodium_base642bin(raw, sizeof(raw) - 1, cursor, strlen(cursor), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return err_field(err, ERR_BAD_REQUEST, "cursor",
                         "the cursor is not one this server gave out");
    /* A capped total ends with '+' (cursor_encode); a '+' with no total before it fails below. */
    if (n > 0 && raw[n - 1] == '+') {
        plus = 1;
        n--;
    }
    raw[n] = '\0';
    const char *p = (const char *)raw;
    /* Cursors given out before totals end with the id. */
    if (parse_ll(&p, '.', &sort) < 0 || parse_ll(&p, '.', &k) < 0 ||
        (strchr(p, '.') ? parse_ll(&p, '.', &i) < 0 || parse_ll(&p, '\0', &tot) < 0 || tot < 0
                        : plus || parse_ll(&p, '\0', &i) < 0) ||
        i <= 0)
        return err_field(err, ERR_BAD_REQUEST, "cursor",
                         "the cursor is not one this server gave out");
    if (sort != (long long)s)
        return err_field(err, ERR_BAD_REQUEST, "cursor",
                         "the cursor belongs to sort '%s', not '%s'",
                         case_sort_name((enum case_sort)(
                             sort >= 0 && sort < CASE_SORT_COUNT ? sort : CASE_SORT_COUNT)),
                         case_sort_name(s));
    *key = k;
    *id = i;
    if (total)
        *total = tot;
    if (capped)
        *capped = plus;
    return 0;
}

/* ---------------------------------------------------------------- the query */

static int lookup_code(struct store_conn *c, const char *sql_text, int64_t id, struct arena *a,
                       const char *field, const char **code, struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(c, sql_text, STORE_ARGS(store_i64(id)), &s, err);
    if (rc < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1)
        *code = arena_strdup(a, store_col_text(s, 0));
    store_done(s);
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, field, "%s %lld does not exist", field,
                         (long long)id);
    return rc < 0 ? rc : 0;
}

/* A text shorter than a trigram (1 or 2 characters): no index answers it on either backend,
 * so its page reads in windows (case_list) and, on PostgreSQL, its count is short
 * (case_list_total). */
static int short_text(const char *text)
{
    return text && utf8_len(text) < 3;
}

/* A text of 3+ characters newest first, with only filters that pass a fair share of the cases
 * (fts_walk() below says which and why): a page of it reads the matches in the list's order,
 * stopping when it is full (the walk on SQLite, windows of time on PostgreSQL: day_page()). */
static int text_broad(const struct case_filter *f, const struct case_actor *scope)
{
    if (!(f->text && !short_text(f->text) && utf8_invalid_at(f->text, strlen(f->text)) < 0 &&
          f->sort == CASE_SORT_CREATED && f->queue == CQ_NONE && !f->region_id && !f->overdue &&
          !f->created_from && !f->created_to && !f->mine && !f->number && !f->phone_hash &&
          !f->has_box && !(f->near_m > 0)))
        return 0;
    /* A region-bound actor's scope is a region range (narrow for a grid). */
    return scope_is_all(scope) || !scope->region_code || !*scope->region_code;
}

/*
 * A text of 3+ characters, newest first: the query walks the full-text index from its highest
 * rowid down, tests the other filters on each candidate and stops after one page, instead of
 * collecting every match and sorting them by date (a common text matches a large share of the
 * table: 0.9 s on 200,000 cases already for a text found in half of them; with a state, 90 ms
 * for 500,000 candidates on 10,000,000 cases). Case ids grow with created_at: ids are given in
 * commit order and created_at when the request came in, so only cases written within the same
 * moments can differ in the two orders; the walk pages by id alone, so its cursor still neither
 * repeats nor skips.
 *
 * The walk is kept to filters that pass a fair share of the cases (states, channels,
 * urgencies, kinds, a category, a department, open or not, a handler's scope): the candidates
 * read before a page is full are about the page over the filters' share. A filter with a narrow
 * index of its own (a queue, a region, overdue, dates, a place, one's own cases) may pass few of
 * the matches, and a walk would read them all: those keep the plan that collects the matches.
 * 'count': for case_list_total, which reads every match whatever the order: only the text alone
 * is counted on the walk; with filters the planner's own plan counts (it may start from a
 * filter's index).
 */
static int fts_walk(enum store_dialect dialect, const struct case_filter *f,
                    const struct case_actor *scope, int count)
{
    /* A text that may be a citizen's name is also asked of citizen_name, which the walk of the
     * full-text index cannot. */
    if (dialect != STORE_SQLITE || !text_broad(f, scope) || maybe_name(f->text))
        return 0;
    if (count)
        return scope_is_all(scope) && !f->states && !f->channels && !f->urgencies &&
               !f->category_id && !f->department_id && !f->open && !f->kinds;
    return 1;
}

/*
 * The count of a department's cases (lead or assisting) for an actor who sees every case and
 * no other filter: case_departments holds one row per case and department (its key) and only
 * rows of existing cases (a reference), so its index range is the count. Testing each case of
 * the table instead took 0.6 s on 1,000,000 cases; probing the case of each row, 1.1 s.
 */
/* Any filter but a category and a department (a queue included). */
static int other_filters(const struct case_filter *f)
{
    return f->queue != CQ_NONE || f->states || f->channels || f->urgencies || f->region_id ||
           f->overdue || f->open || f->created_from || f->created_to || f->mine || f->kinds ||
           f->text || f->number || f->phone_hash || f->has_box || f->near_m > 0;
}

static int department_count_only(const struct case_filter *f, const struct case_actor *scope)
{
    return f->department_id && !f->category_id && scope_is_all(scope) && !other_filters(f);
}

/* The end of a count: a capped count reads at most cap + 1 matches (count_head()). */
static int count_end(struct qb *q, struct err *err)
{
    if (q->cap > 0) {
        sql(q, q->stepping ? " LIMIT ?" : " LIMIT ?) AS t");
        arg_int(q, q->cap + 1);
    }
    return q->overflow ? err_set(err, ERR_INTERNAL, "too many parameters for a case count") : 0;
}

/* The start of a count: capped, the matches are a subquery with a LIMIT (count_end()), which
 * stops reading at cap + 1 rows whatever plan serves the filters; a plain count(*) reads all. */
static const char *count_head(const struct qb *q)
{
    if (q->stepping)
        return "SELECT 1";
    return q->cap > 0 ? "SELECT count(*) FROM (SELECT 1" : "SELECT count(*)";
}

static int order_and_limit(struct qb *q, const struct case_filter *f, const char *key, int desc,
                           int walk, int limit, struct err *err);

/*
 * A category filter: the category and every one below it (codes extend their parent's, so the
 * subtree is a code range). A page is read one of three ways:
 * - a leaf in created order: its id alone, and cases_category (category_id, created_at) holds
 *   its cases in the page's order, so the page reads its matches only;
 * - collected through cases_category and sorted: the category alone in created order, past
 *   a bound that keeps the page exact (category_plan()); else when that reads fewer cases
 *   than the walk: a subtree of at most f->category_rare cases, or, in created order, one
 *   with at most half as many cases as the walk would pass before the page is full (the
 *   cases newer than the page-th newest case of its busiest category: walk_rows());
 * - else tested per row in the sort key's order ("+" keeps SQLite from collecting and sorting
 *   a large share of the table).
 * The per-row test alone took 1.1 s for a subtree of 1,408 cases in 1,000,000 (every case of
 * three years read before the page was full), and 0.27 s at 10,000,000 for one of ~14,000
 * behind 355,000 newer cases of other categories (an intake storm). A count (no order)
 * always lets the index serve.
 */
#define CATEGORY_WALK_MAX 40000 /* rows a walk is counted up to */
#define CATEGORY_IDS_MAX 32     /* categories of a subtree probed one by one */

/* A point of the created order for the plans below: the cursor's, else past every case. */
static int cursor_pos(const struct case_filter *f, struct pos *at, struct err *err)
{
    at->key = at->id = INT64_MAX;
    return f->cursor ? cursor_decode(f->cursor, f->sort, &at->key, &at->id, NULL, NULL, err) : 0;
}

/* The statement of raise_floor() for the index range 'match' selects (its keys bound first). */
#define PAGE_FLOOR_SQL(match)                                                                      \
    "SELECT created_at FROM cases WHERE " match " AND created_at <= ? AND"                         \
    " (created_at < ? OR id < ?) ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?"

/* Raise '*newest' to the creation time of the page-th newest case after 'at' in the index range
 * that 'sql_text' (PAGE_FLOOR_SQL) selects with its 'nkeys' (1 or 2) keys: 1 when the range
 * holds a page there, 0 when not, or a negative ERR_*. */
static int raise_floor(struct store_conn *c, const char *sql_text, const struct store_arg *keys,
                       size_t nkeys, const struct pos *at, int page, int64_t *newest,
                       struct err *err)
{
    struct store_arg v[6];
    int64_t t;
    memcpy(v, keys, nkeys * sizeof(*v));
    v[nkeys] = store_i64(at->key);
    v[nkeys + 1] = store_i64(at->key);
    v[nkeys + 2] = store_i64(at->id);
    v[nkeys + 3] = store_i64(page - 1);
    int rc = store_one_i64(c, sql_text, (struct store_args){v, nkeys + 4}, &t, err);
    if (rc == 1 && t > *newest)
        *newest = t;
    return rc;
}

/* A collected plan's bound on 'col' (created_at): only cases created at or after 'floor'
 * (0: none). */
static void floor_where(struct qb *q, const char *col, int64_t floor)
{
    if (floor > 0) {
        sql(q, " AND ");
        sql(q, col);
        sql(q, " >= ?");
        arg_int(q, floor);
    }
}

/* Up to 'max' ids of 'sql_text (two or three text arguments, then the LIMIT) into 'ids';
 * '*n' is max + 1 when there are more. */
static int read_ids(struct store_conn *c, const char *sql_text, const char *a1, const char *a2,
                    const char *a3, int64_t *ids, int max, int *n, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc;
    *n = 0;
    if ((rc = store_prepare(
             c, sql_text,
             a3 ? STORE_ARGS(store_text(a1), store_text(a2), store_text(a3), store_i64(max + 1))
                : STORE_ARGS(store_text(a1), store_text(a2), store_i64(max + 1)),
             &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1)
        if ((*n)++ < max)
            ids[*n - 1] = store_col_int(s, 0);
    store_done(s);
    return rc < 0 ? rc : 0;
}

/* The page-th newest creation time of each category of the subtree [code, end) after 'at', the
 * newest of them in '*newest' (-1: no category holds a page); '*probed' 0 when the subtree has
 * more than CATEGORY_IDS_MAX categories to probe. */
static int subtree_floor(struct store_conn *c, const char *code, const char *end, int page,
                         const struct pos *at, int64_t *newest, int *probed, struct err *err)
{
    int64_t ids[CATEGORY_IDS_MAX];
    int n, rc;
    *newest = -1;
    *probed = 0;
    if ((rc = read_ids(c, "SELECT id FROM categories WHERE code >= ? AND code < ? LIMIT ?", code,
                       end, NULL, ids, CATEGORY_IDS_MAX, &n, err)) < 0 ||
        n > CATEGORY_IDS_MAX)
        return rc;
    for (int i = 0; i < n; i++) {
        struct store_arg k = store_i64(ids[i]);
        if ((rc = raise_floor(c, PAGE_FLOOR_SQL("category_id = ?"), &k, 1, at, page, newest, err)) <
            0)
            return rc;
    }
    *probed = 1;
    return 0;
}

/* The cases a walk in created order passes before 'page' matches of the subtree [code, end):
 * those created at or after the page-th newest case of its busiest category, counted up to
 * CATEGORY_WALK_MAX (also the answer when no category holds a page, or there are too many). */
static int walk_rows(struct store_conn *c, const char *code, const char *end, int page,
                     int64_t *rows, struct err *err)
{
    const struct pos past = {INT64_MAX, INT64_MAX};
    int64_t newest;
    int probed, rc;
    *rows = CATEGORY_WALK_MAX;
    if ((rc = subtree_floor(c, code, end, page, &past, &newest, &probed, err)) < 0 || newest < 0)
        return rc;
    rc = store_one_i64(
        c, "SELECT count(*) FROM (SELECT 1 FROM cases WHERE created_at >= ? LIMIT ?) AS t",
        STORE_ARGS(store_i64(newest), store_i64(CATEGORY_WALK_MAX)), rows, err);
    return rc < 0 ? rc : 0;
}

/* The category is the only filter, for an actor who sees every case (category_plan()). */
static int category_only(const struct case_filter *f, const struct case_actor *scope)
{
    return f->category_id && !f->department_id && scope_is_all(scope) && !other_filters(f);
}

enum category_read { CATEGORY_LEAF, CATEGORY_COLLECT, CATEGORY_WALK };

struct category_plan {
    const char *code, *end; /* the subtree's code range */
    enum category_read read;
    int64_t floor; /* > 0: collected, only cases created at or after it */
};

/* How a page (limit > 0) or a count (limit 0) reads the category filter. */
static int category_plan(struct store_conn *c, const struct qb *q, const struct case_filter *f,
                         const struct case_actor *scope, struct arena *a, int limit,
                         struct category_plan *p, struct err *err)
{
    int64_t below = 0, n = 0, rare = f->category_rare > 0 ? f->category_rare : CASE_CATEGORY_RARE;
    int rc;
    if ((rc = lookup_code(c, "SELECT code FROM categories WHERE id = ?", f->category_id, a,
                          "category", &p->code, err)) < 0)
        return rc;
    p->end = prefix_end(a, p->code);
    p->read = CATEGORY_COLLECT;
    if (!limit)
        return 0;
    if ((rc = store_one_i64(c, "SELECT count(*) FROM categories WHERE code > ? AND code < ?",
                            STORE_ARGS(store_text(p->code), store_text(p->end)), &below, err)) < 0)
        return rc;
    if (!below && f->sort == CASE_SORT_CREATED) {
        p->read = CATEGORY_LEAF;
        return 0;
    }
    /* The category alone, in created order: the page's cases are among those created at or
     * after the newest of each category's page-th newest case (past the cursor), as the
     * category with that one holds a page by itself. Each category's index then gives at most
     * a page past that time: the page is exact, however many cases the subtree holds and
     * however many newer cases of other categories (or none) come first. */
    if (f->sort == CASE_SORT_CREATED && !f->category_rare && category_only(f, scope) && !q->after &&
        !q->floor && !q->take) {
        struct pos at;
        int64_t newest;
        int probed;
        if ((rc = cursor_pos(f, &at, err)) < 0 ||
            (rc = subtree_floor(c, p->code, p->end, limit + 1, &at, &newest, &probed, err)) < 0)
            return rc;
        if (probed) {
            p->floor = newest > 0 ? newest : 0;
            return 0;
        }
    }
    int64_t walk = 0;
    if (f->sort == CASE_SORT_CREATED && !f->category_rare &&
        (rc = walk_rows(c, p->code, p->end, limit, &walk, err)) < 0)
        return rc;
    if (walk / 2 > rare)
        rare = walk / 2;
    if ((rc =
             store_one_i64(c,
                           "SELECT count(*) FROM (SELECT 1 FROM cases WHERE category_id IN"
                           " (SELECT id FROM categories WHERE code >= ? AND code < ?)"
                           " LIMIT ?) AS t",
                           STORE_ARGS(store_text(p->code), store_text(p->end), store_i64(rare + 1)),
                           &n, err)) < 0)
        return rc;
    p->read = n <= rare ? CATEGORY_COLLECT : CATEGORY_WALK;
    return 0;
}

static void category_where(struct qb *q, const struct case_filter *f, const struct category_plan *p)
{
    if (p->read == CATEGORY_LEAF) {
        sql(q, " AND c.category_id = ?");
        arg_int(q, f->category_id);
        return;
    }
    sql(q, p->read == CATEGORY_COLLECT ? " AND c.category_id IN" : " AND +c.category_id IN");
    sql(q, " (SELECT id FROM categories WHERE code >= ? AND code < ?)");
    arg_text(q, p->code);
    arg_text(q, p->end);
    floor_where(q, "c.created_at", p->floor);
}

/*
 * A district's or a street's cases (a code shorter than a community's) are tested per row in
 * the sort key's order (region_subtree()), so a storm of newer cases elsewhere is walked before
 * the page: with 236,271 cases created in one street within the hour, on 1,000,000 cases,
 * another street's first page took ~120 ms. A community's or a grid's are collected through
 * their index range and sorted whole: 1.3-1.6 s for a community, 0.6 s for a grid at
 * 10,000,000 cases. The region alone, in created order, for an actor who sees every case, is
 * collected instead as a category alone is (category_plan()): past the newest of the
 * page-th newest cases (after the cursor) of each region code its cases carry.
 * The code with that case holds a page by itself, so the page is exact, and each code's index
 * range (cases_region_created) gives at most a page past it. The codes are read from the
 * cases (a skip over the index, one seek a code: a region deleted since still counts), at most
 * REGION_CODES_MAX of them; more keep the walk. SQLite only: on PostgreSQL at 1,000,000
 * cases the probes made a street's page slower than the walk (21 ms against 8).
 */
#define REGION_CODES_MAX 256

/* The distinct region codes of the cases in [lo, end), as a subquery (one seek a code). */
#define REGION_CODES_SQL                                                                           \
    "WITH RECURSIVE k(code) AS (SELECT min(region_code) FROM cases WHERE region_code >= ? AND"     \
    " region_code < ? UNION ALL SELECT (SELECT min(region_code) FROM cases WHERE"                  \
    " region_code > k.code AND region_code < ?) FROM k WHERE k.code IS NOT NULL)"                  \
    " SELECT code FROM k WHERE code IS NOT NULL"

/* "region_code IN (...)": the region 'code' and the codes cases carry in its subtree's
 * [lo, end) (REGION_CODES_SQL). */
static void codes_in(struct qb *q, const char *code, const char *lo, const char *end)
{
    sql(q, "region_code IN (" REGION_CODES_SQL " UNION ALL SELECT ?)");
    arg_text(q, lo);
    arg_text(q, end);
    arg_text(q, end);
    arg_text(q, code);
}

/* The filter holds a region (if any), 'category' (0: none) and nothing else. */
static int region_and(const struct case_filter *f, int64_t category)
{
    struct case_filter g = *f;
    g.region_id = 0;
    return f->category_id == category && !f->department_id && !other_filters(&g);
}

struct region_plan {
    const char *code;     /* the region's code */
    const char *lo, *end; /* the other codes of its subtree (region_range()) */
    int collect;          /* the cases of its codes created at or after 'floor' */
    int64_t floor;
};

/* The codes of the region 'code' (its subtree [lo, end)) that cases carry, up to
 * REGION_CODES_MAX ('*n' is one more when there are more). */
static int region_codes(struct store_conn *c, struct arena *a, const char *code, const char *lo,
                        const char *end, const char **codes, int *n, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc;
    *n = 0;
    if (strlen(code) > 12)
        codes[(*n)++] = code; /* a grid's own code is not in (lo, end) */
    if ((rc = store_prepare(c, REGION_CODES_SQL " LIMIT ?",
                            STORE_ARGS(store_text(lo), store_text(end), store_text(end),
                                       store_i64(REGION_CODES_MAX + 1)),
                            &s, err)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1 && *n <= REGION_CODES_MAX)
        if ((*n)++ < REGION_CODES_MAX)
            codes[*n - 1] = arena_strdup(a, store_col_text(s, 0));
    store_done(s);
    return rc < 0 ? rc : 0;
}

static int region_plan(struct store_conn *c, const struct qb *q, const struct case_filter *f,
                       const struct case_actor *scope, struct arena *a, int limit,
                       struct region_plan *p, struct err *err)
{
    const char *codes[REGION_CODES_MAX];
    struct pos at;
    int n = 0, rc;
    if (!f->region_id)
        return 0;
    if ((rc = lookup_code(c, "SELECT code FROM regions WHERE id = ?", f->region_id, a, "region",
                          &p->code, err)) < 0)
        return rc;
    /* A region's staff also see the cases they reported themselves, anywhere: their scope
     * keeps the walk. */
    if (!limit || store_dialect(c) != STORE_SQLITE || f->sort != CASE_SORT_CREATED || q->after ||
        q->floor || q->take || !scope_is_all(scope) || !region_and(f, 0))
        return 0;
    region_range(a, p->code, &p->lo, &p->end);
    if ((rc = region_codes(c, a, p->code, p->lo, p->end, codes, &n, err)) < 0 ||
        n > REGION_CODES_MAX || (rc = cursor_pos(f, &at, err)) < 0)
        return rc < 0 ? rc : 0;
    /* No code holding a page leaves the floor at 0: every case of the codes, fewer than a page
     * each (none at all for a region without cases). */
    for (int i = 0; i < n; i++) {
        struct store_arg k = store_text(codes[i]);
        if ((rc = raise_floor(c, PAGE_FLOOR_SQL("region_code = ?"), &k, 1, &at, limit + 1,
                              &p->floor, err)) < 0)
            return rc;
    }
    p->collect = 1;
    return 0;
}

/* The filter's region test, per row or as a collection (region_plan()). */
static void region_where(struct qb *q, struct arena *a, const struct region_plan *p)
{
    if (!p->collect) {
        if (p->code) {
            sql(q, " AND ");
            region_subtree(q, a, p->code);
        }
        return;
    }
    sql(q, " AND c.");
    codes_in(q, p->code, p->lo, p->end);
    floor_where(q, "c.created_at", p->floor);
}

/*
 * A region and a category together, and nothing else, for an actor who sees every case, in
 * created order: cases_region_category (region_id, category_id, created_at) holds the cases of
 * each pair of a region and a category of the two subtrees in the page's order, so the page is
 * collected past the newest of the pairs' page-th newest cases (after the cursor), as a
 * category alone is (category_plan()). A case's region_id is the region its code names
 * (case_create() writes both; a region's code never changes and a region with cases cannot be
 * deleted), so the subtree's regions are those of its codes. A community with a category took
 * 944 ms at 10,000,000 cases (the community's ~100,000 cases collected and tested one by one).
 * At most PAIRS_MAX pairs; more keep the plans of each filter. A count of the two filters
 * reads the same index ranges, whatever their number.
 * PostgreSQL takes no probes: one round trip each made 203 of them (a community with a
 * category) ~10 ms, and given the bound it still walked cases_created past it (23,690 cases,
 * 14 ms at 1,000,000). Its page is the newest of each pair's own newest page after the cursor
 * instead (a LATERAL subquery per pair, LIMIT a page): exact, each pair an index range,
 * 5 ms.
 */
#define PAIRS_MAX 256

/* The subtree's regions (region_range()): bind the code, the start and the end. */
#define REGION_IDS_SQL "SELECT id FROM regions WHERE code = ? OR (code > ? AND code < ?)"

struct pair_plan {
    int collect;   /* the plan applies (a page, or a count) */
    int64_t floor; /* only cases created at or after it (0: every one of the pairs') */
    const char *rcode, *rlo, *rend, *ccode, *cend;
    int lateral; /* PostgreSQL's page: each pair's newest 'page' after 'at' */
    int page;
    struct pos at;
};

static int pair_plan(struct store_conn *c, const struct qb *q, const struct case_filter *f,
                     const struct case_actor *scope, struct arena *a, int limit,
                     struct pair_plan *p, struct err *err)
{
    int64_t rids[PAIRS_MAX], cids[PAIRS_MAX];
    struct pos at;
    int nr, nc, rc;
    if (!f->region_id || !f->category_id || !region_and(f, f->category_id) ||
        !scope_is_all(scope) || q->after || q->floor || q->take ||
        (limit && f->sort != CASE_SORT_CREATED))
        return 0;
    if ((rc = lookup_code(c, "SELECT code FROM regions WHERE id = ?", f->region_id, a, "region",
                          &p->rcode, err)) < 0 ||
        (rc = lookup_code(c, "SELECT code FROM categories WHERE id = ?", f->category_id, a,
                          "category", &p->ccode, err)) < 0)
        return rc;
    region_range(a, p->rcode, &p->rlo, &p->rend);
    p->cend = prefix_end(a, p->ccode);
    /* A count reads the pairs' index ranges alone (the community's ~100,000 cases, each read
     * for its category, took ~150 ms). */
    if (!limit) {
        p->collect = 1;
        return 0;
    }
    if ((rc = read_ids(c, REGION_IDS_SQL " LIMIT ?", p->rcode, p->rlo, p->rend, rids, PAIRS_MAX,
                       &nr, err)) < 0 ||
        (rc = read_ids(c, "SELECT id FROM categories WHERE code >= ? AND code < ? LIMIT ?",
                       p->ccode, p->cend, NULL, cids, PAIRS_MAX, &nc, err)) < 0)
        return rc;
    if (nr > PAIRS_MAX || nc > PAIRS_MAX || (int64_t)nr * nc > PAIRS_MAX)
        return 0;
    if ((rc = cursor_pos(f, &at, err)) < 0)
        return rc;
    if (q->pg) {
        p->lateral = 1;
        p->page = limit + 1;
        p->at = at;
        p->collect = 1;
        return 0;
    }
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nc; j++) {
            struct store_arg k[2] = {store_i64(rids[i]), store_i64(cids[j])};
            if ((rc = raise_floor(c, PAGE_FLOOR_SQL("region_id = ? AND category_id = ?"), k, 2, &at,
                                  limit + 1, &p->floor, err)) < 0)
                return rc;
        }
    p->collect = 1;
    return 0;
}

static void pair_where(struct qb *q, const struct pair_plan *p)
{
    if (p->lateral) {
        sql(q, " AND c.id IN (SELECT x.id FROM regions r CROSS JOIN categories k CROSS JOIN"
               " LATERAL (SELECT id, created_at FROM cases WHERE region_id = r.id AND"
               " category_id = k.id AND created_at <= ? AND (created_at < ? OR id < ?)"
               " ORDER BY created_at DESC, id DESC LIMIT ?) x"
               " WHERE (r.code = ? OR (r.code > ? AND r.code < ?)) AND k.code >= ? AND k.code < ?"
               " ORDER BY x.created_at DESC, x.id DESC LIMIT ?)");
        arg_int(q, p->at.key);
        arg_int(q, p->at.key);
        arg_int(q, p->at.id);
        arg_int(q, p->page);
        arg_text(q, p->rcode);
        arg_text(q, p->rlo);
        arg_text(q, p->rend);
        arg_text(q, p->ccode);
        arg_text(q, p->cend);
        arg_int(q, p->page);
        return;
    }
    sql(q, " AND c.region_id IN (" REGION_IDS_SQL ")"
           " AND c.category_id IN (SELECT id FROM categories WHERE code >= ? AND code < ?)");
    arg_text(q, p->rcode);
    arg_text(q, p->rlo);
    arg_text(q, p->rend);
    arg_text(q, p->ccode);
    arg_text(q, p->cend);
    floor_where(q, "c.created_at", p->floor);
}

/*
 * A region-bound actor's scope (a street's or a community's dispatcher, a grid worker: their
 * region's cases and the cases they reported themselves, anywhere) with no filter but states (a
 * state filter, or the dispatcher's queues of new and returned cases), in created order. Tested
 * per row in the order of every case (scope_where()), a page walked past every newer case of the
 * rest of the city first: with 236,271 new cases created in one street within the hour, on
 * 1,000,000 cases, another street's dispatcher took 163 ms for a first page and 181 ms for the
 * queue of new cases (their counts stopped by the count's budget). The page is collected
 * instead, as a region filter's is (region_plan()): past the newest of the page-th newest
 * cases (after the cursor) of each of the region's codes (with each state: cases_state_region,
 * migration 0076), and of the actor's own cases (with each state), so the page is exact. The
 * actor's own cases outside the region are the second branch, read through cases_created_by
 * (a grid worker's patrol findings are in their grid: the branches rarely overlap). A count
 * reads the same two branches without the bound, up to its cap. At most REGION_CODES_MAX codes
 * times states; more, or PostgreSQL (as region_plan()), keep the walk.
 */
struct scope_plan {
    int collect;
    const char *code, *lo, *end; /* the actor's region (region_range()) */
    unsigned states;             /* 0: every state */
    int64_t floor;               /* only cases created at or after it (0: every one) */
};

/* The states a scope plan may select by: the filter's, or a queue that is one state. */
static int scope_states(const struct case_filter *f, unsigned *states)
{
    struct case_filter g = *f;
    g.states = 0;
    g.queue = CQ_NONE;
    if (other_filters(&g) || f->category_id || f->department_id)
        return 0;
    *states = f->states;
    if (f->queue == CQ_NONE)
        return 1;
    if (f->states || (f->queue != CQ_TO_DISPATCH && f->queue != CQ_RETURNED))
        return 0;
    *states = 1u << (f->queue == CQ_TO_DISPATCH ? CASE_NEW : CASE_RETURNED);
    return 1;
}

/* The subtree test of the actor's region, on the column (NULL: outside). */
#define SCOPE_IN_REGION                                                                            \
    "(coalesce(region_code, '') = ? OR (coalesce(region_code, '') > ? AND"                         \
    " coalesce(region_code, '') < ?))"

/* Raise '*floor' over the actor's own cases and each of the region's 'n' codes, in 'state'
 * (NULL: any). */
static int scope_floor(struct store_conn *c, const struct case_actor *scope, const char **codes,
                       int n, const char *state, const struct pos *at, int page, int64_t *floor,
                       struct err *err)
{
    int rc = 0;
    if (scope_branches(scope) & SCOPE_OWN) {
        struct store_arg k[2] = {store_i64(scope->user_id), store_text(state)};
        rc = state ? raise_floor(c, PAGE_FLOOR_SQL("created_by = ? AND state = ?"), k, 2, at, page,
                                 floor, err)
                   : raise_floor(c, PAGE_FLOOR_SQL("created_by = ?"), k, 1, at, page, floor, err);
    }
    for (int j = 0; j < n && rc >= 0; j++) {
        struct store_arg k[2] = {store_text(state), store_text(codes[j])};
        rc = state ? raise_floor(c, PAGE_FLOOR_SQL("state = ? AND region_code = ?"), k, 2, at, page,
                                 floor, err)
                   : raise_floor(c, PAGE_FLOOR_SQL("region_code = ?"), &k[1], 1, at, page, floor,
                                 err);
    }
    return rc < 0 ? rc : 0;
}

static int scope_plan(struct store_conn *c, const struct qb *q, const struct case_filter *f,
                      const struct case_actor *scope, struct arena *a, int limit,
                      struct scope_plan *p, struct err *err)
{
    const char *codes[REGION_CODES_MAX];
    unsigned b = scope_branches(scope);
    struct pos at;
    int n = 0, nstates = 0, rc;
    if (store_dialect(c) != STORE_SQLITE || !(b & SCOPE_REGION) || (b & SCOPE_DEPT) || q->after ||
        q->floor || q->take || (limit && f->sort != CASE_SORT_CREATED) ||
        !scope_states(f, &p->states))
        return 0;
    for (int i = 0; i < CASE_STATE_COUNT; i++)
        nstates += !!(p->states & (1u << i));
    /* An actor's own cases in a state are found by reading their rows (cases_created_by holds
     * no state): one who reported OWN_PROBE or more (the demo's grid worker, 98,474 at
     * 1,000,000 cases: 125 ms for the returned queue this way, 17 ms walked) keeps the walk. */
    if (nstates && (b & SCOPE_OWN)) {
        int64_t own = 0;
        if ((rc = store_one_i64(c,
                                "SELECT count(*) FROM (SELECT 1 FROM cases WHERE created_by = ?"
                                " LIMIT " OWN_PROBE_TEXT ") AS t",
                                STORE_ARGS(store_i64(scope->user_id)), &own, err)) < 0)
            return rc;
        if (own >= OWN_PROBE)
            return 0;
    }
    p->code = scope->region_code;
    region_range(a, p->code, &p->lo, &p->end);
    if (!limit) {
        p->collect = 1;
        return 0;
    }
    if ((rc = region_codes(c, a, p->code, p->lo, p->end, codes, &n, err)) < 0 ||
        n * (nstates ? nstates : 1) > REGION_CODES_MAX || (rc = cursor_pos(f, &at, err)) < 0)
        return rc < 0 ? rc : 0;
    if (!nstates)
        rc = scope_floor(c, scope, codes, n, NULL, &at, limit + 1, &p->floor, err);
    for (int i = 0; i < CASE_STATE_COUNT && nstates && rc >= 0; i++)
        if (p->states & (1u << i))
            rc = scope_floor(c, scope, codes, n, state_name_i(i), &at, limit + 1, &p->floor, err);
    if (rc < 0)
        return rc;
    p->collect = 1;
    return 0;
}

/* One branch's states and bound (scope_union()). */
static void scope_branch_tail(struct qb *q, const struct scope_plan *p)
{
    if (p->states)
        in_names_as(q, "state", p->states, CASE_STATE_COUNT, state_name_i, 0);
    floor_where(q, "created_at", p->floor);
}

/* The ids of the scope's two branches: the region's cases, and the actor's own outside it. */
static void scope_union(struct qb *q, const struct scope_plan *p, const struct case_actor *scope)
{
    sql(q, "SELECT id FROM cases WHERE ");
    codes_in(q, p->code, p->lo, p->end);
    scope_branch_tail(q, p);
    if (scope_branches(scope) & SCOPE_OWN) {
        sql(q, " UNION ALL SELECT id FROM cases WHERE created_by = ? AND NOT " SCOPE_IN_REGION);
        arg_int(q, scope->user_id);
        arg_text(q, p->code);
        arg_text(q, p->lo);
        arg_text(q, p->end);
        scope_branch_tail(q, p);
    }
}

/* A page's scope (its ids collected past the bound), or a count: the branches' ids alone, read
 * from their indexes (the region's are covering), up to the cap + 1. */
static int scope_plan_sql(struct qb *q, const struct scope_plan *p, const struct case_actor *scope,
                          struct err *err)
{
    if (!q->counting) {
        sql(q, " AND c.id IN (");
        scope_union(q, p, scope);
        sql(q, ")");
        return 0;
    }
    sql(q, q->stepping ? "SELECT 1 FROM (" : "SELECT count(*) FROM (");
    scope_union(q, p, scope);
    if (q->cap > 0) {
        sql(q, " LIMIT ?");
        arg_int(q, q->cap + 1);
    }
    sql(q, ") AS t");
    return q->overflow ? err_set(err, ERR_INTERNAL, "too many parameters for a case count") : 0;
}

/*
 * A text's matches on PostgreSQL, when its first page's count found few of them (exact, at most
 * TEXT_GATHER_MAX: the total the cursor carries), are all read through the trigram indexes and
 * sorted: ordered by an expression no index holds, the plan cannot walk the sort key's index
 * instead. The planner chose by its estimate of the text's share, drawn from the sample of the
 * last ANALYZE, and after one (1,000,000 cases) it took a text in 639 cases for one in 6,121 and
 * walked the date's index through 79,502 cases before a page: 215 ms against 7 sorted. 2,405
 * matches sort in 12 ms (80 walked); more are left to the plan of the estimate.
 */
#define TEXT_GATHER_MAX 5000

/* The text's matches are few enough to be gathered and sorted (TEXT_GATHER_MAX): none at all
 * too, when counted (windows of time would look for them through every window: 0.55-0.87 s
 * at 10,000,000 cases for a text no case holds, against 4 ms). */
static int text_gathered(const struct case_filter *f)
{
    return (f->total > 0 || f->counted) && f->total <= TEXT_GATHER_MAX && !f->total_capped;
}

/* A page of a text with more matches on PostgreSQL, read in windows of time (day_page()), for
 * an actor who sees every case and no other filter: each window reads all of its matches, so
 * a filter or a scope that passes few of them (a state, a citizen's own cases) would have
 * windows read on through much of the table, where the planner's own plan starts from the
 * filter's index (10,000,000 cases: a 5 % text with a state, 35 ms that way, 58 in windows). */
static int text_days(enum store_dialect dialect, const struct case_filter *f,
                     const struct case_actor *scope)
{
    return dialect == STORE_POSTGRESQL && text_broad(f, scope) && !text_gathered(f) &&
           scope_is_all(scope) && !f->states && !f->channels && !f->urgencies && !f->kinds &&
           !f->category_id && !f->department_id && !f->open;
}

/* limit 0: the count of the matches (no cursor, no order; at most q->cap + 1 of them when
 * q->cap is set), for case_list_total. */
static int build(struct qb *q, struct store_conn *c, const struct case_filter *f,
                 const struct case_actor *scope, struct arena *a, int limit, struct err *err)
{
    int rc;
    const char *key = sort_key[f->sort];
    int desc = f->sort != CASE_SORT_DEADLINE;
    int walk = fts_walk(store_dialect(c), f, scope, !limit);
    q->counting = !limit;
    q->by_created = f->sort == CASE_SORT_CREATED;
    q->pg = store_dialect(c) == STORE_POSTGRESQL;

    if (!limit && department_count_only(f, scope)) {
        sql(q, count_head(q));
        sql(q, " FROM case_departments x WHERE x.department_id = ?");
        arg_int(q, f->department_id);
        return count_end(q, err);
    }
    if (q->probe) {
        /* A window's end is a place in the order of every case, whatever the filters: the
         * key's index alone reads it (skipping with OFFSET), and a window of n cases costs the
         * page at most n tests however few cases the filters pass. */
        sql(q, "SELECT ");
        sql(q, key);
        sql(q, ", c.id FROM cases c WHERE 1 = 1");
        return order_and_limit(q, f, key, desc, 0, limit, err);
    }
    struct pair_plan both = {0};
    struct category_plan cat = {0};
    struct region_plan reg = {0};
    struct scope_plan own = {0};
    if ((rc = scope_plan(c, q, f, scope, a, limit, &own, err)) < 0 ||
        (rc = pair_plan(c, q, f, scope, a, limit, &both, err)) < 0 ||
        (!both.collect && f->category_id &&
         (rc = category_plan(c, q, f, scope, a, limit, &cat, err)) < 0) ||
        (!both.collect && (rc = region_plan(c, q, f, scope, a, limit, &reg, err)) < 0))
        return rc;
    /* Collected and sorted, a category's or a region's page sorts the ids alone
     * (cases_category, cases_region_created hold the key) and then reads the rows of the page:
     * sorted whole, every match had its result columns made first (its joins and its assisting
     * departments), 80 ms for ~14,000. */
    int deferred = ((f->category_id && cat.read == CATEGORY_COLLECT) || reg.collect ||
                    both.collect || own.collect) &&
                   limit && !walk;
    if (own.collect && !limit)
        return scope_plan_sql(q, &own, scope, err);
    if (walk && !limit) {
        sql(q, count_head(q));
        sql(q, " FROM cases_fts f CROSS JOIN cases c WHERE c.id = f.rowid");
    } else if (deferred)
        sql(q, "SELECT " CASE_COLS CASE_FROM "WHERE c.id IN (SELECT c.id FROM cases c WHERE 1 = 1");
    else if (walk)
        /* CROSS JOIN: SQLite keeps cases_fts as the outer loop, in its rowid order. */
        sql(q, "SELECT " CASE_COLS "FROM cases_fts f CROSS JOIN " CASE_FROM_TABLES
               "WHERE c.id = f.rowid");
    else if (!limit) {
        sql(q, count_head(q));
        sql(q, " FROM cases c WHERE 1 = 1");
    } else
        sql(q, "SELECT " CASE_COLS CASE_FROM "WHERE 1 = 1");
    if (own.collect)
        scope_plan_sql(q, &own, scope, err);
    else
        scope_where(q, a, scope);
    if (limit) {
        int routed;
        if ((rc = routed_only(c, f, scope, &routed, err)) < 0)
            return rc;
        if (routed)
            sql(q, " AND c.lead_department_id IS NOT NULL");
    }
    /* A scope plan's branches select its states already (scope_states()). */
    if (!own.collect && (rc = queue_where(q, f->queue, scope, err)) < 0)
        return rc;
    if (f->states && !own.collect)
        in_names(q, "c.state", f->states, CASE_STATE_COUNT, state_name_i);
    /* cases_urgency_channel (urgency, channel, created_at) orders a page by date only for one
     * urgency and one channel: for anything else (an urgency alone, a channel alone through a
     * skip-scan) SQLite would collect every match and sort it (2.6 s for urgency=emergency on
     * 10,000,000 cases), where walking the date's index stops after a page. */
    int pair = !(f->channels & (f->channels - 1)) && !(f->urgencies & (f->urgencies - 1)) &&
               f->channels && f->urgencies && f->sort == CASE_SORT_CREATED;
    if (f->channels)
        in_names_as(q, "c.channel", f->channels, CASE_CHANNEL_COUNT, channel_name_i,
                    !q->counting && !pair);
    if (f->urgencies)
        in_names_as(q, "c.urgency", f->urgencies, CU_EMERGENCY + 1, urgency_name_i,
                    !q->counting && !pair);
    if (both.collect)
        pair_where(q, &both);
    else if (f->category_id)
        category_where(q, f, &cat);
    if (f->department_id) {
        /* Correlated: tested per row in sort order (a department has a large share). */
        sql(q,
            " AND EXISTS (SELECT 1 FROM case_departments x WHERE x.case_id = c.id AND x.department_id = ?)");
        arg_int(q, f->department_id);
    }
    if (!both.collect)
        region_where(q, a, &reg);
    /* The text of the partial index cases_place_open (migration 0039), so that it may serve. */
    if (f->open > 0)
        sql(q, " AND c.state NOT IN ('closed', 'cancelled', 'merged')");
    else if (f->open < 0)
        sql(q, " AND c.state IN ('closed', 'cancelled', 'merged')");
    if (f->overdue > 0)
        sql(q, " AND c.overdue = 1");
    else if (f->overdue < 0)
        sql(q, " AND c.overdue = 0");
    if (f->created_from) {
        sql(q, " AND c.created_at >= ?");
        arg_int(q, f->created_from);
    }
    if (f->created_to) {
        sql(q, " AND c.created_at < ?");
        arg_int(q, f->created_to);
    }
    if (f->mine) {
        sql(q, " AND c.created_by = ?");
        arg_int(q, scope->user_id);
    }
    if (f->kinds)
        in_names(q, "c.kind", f->kinds, CASE_KIND_COUNT, kind_name_i);
    place_where(q, f);
    if (f->number) {
        sql(q, " AND c.number = ?");
        arg_text(q, f->number);
    }
    if (f->phone_hash) {
        /* The index holds cases with a phone only (migration 0020): the second term says so. */
        sql(q, " AND c.citizen_phone_hash = ? AND c.citizen_phone_hash <> ''");
        arg_text(q, f->phone_hash);
    }
    if (f->text && (rc = text_where(q, a, store_dialect(c), f->text, walk, err)) < 0)
        return rc;
    if (q->days) {
        /* The days and the hours are the first columns of cases_text_time (migration 0079):
         * one index scan takes the text's trigrams within those days or hours. A range of them
         * is not taken from the index (the planner reads every match of the text and filters
         * them), a list is; a range of created_at made the planner read the window's cases
         * through the date's index and test each (~35 ms for an hour of an intake storm). */
        sql(q, q->hours ? " AND (c.created_at / 3600) = ANY (CAST(? AS bigint[]))"
                        : " AND (c.created_at / 86400) = ANY (CAST(? AS bigint[]))");
        arg_text(q, q->days);
    }
    if (!limit)
        return count_end(q, err);
    q->whole = q->pg && f->text && text_gathered(f) && !q->probe && !q->after && !q->floor;
    /* The window's matches are sorted: left to choose, PostgreSQL walks the date's index and
     * tests every newer case (at 10,000,000 cases, 382,050 of them: 0.6-2 s). */
    if (q->days)
        q->whole = 1;
    /* A category's floor (category_plan()) leaves at most a page per category of the subtree:
     * PostgreSQL is told to collect them through cases_category and sort them. Left to choose,
     * it walked the date's index down to the floor, past every newer case of other categories
     * (at 10,000,000 cases, 385,660 of them behind an intake storm: 413 ms against 0.8). */
    if (q->pg && cat.floor > 0 && !q->probe)
        q->whole = 1;
    if ((rc = order_and_limit(q, f, key, desc, walk, limit, err)) < 0 || !deferred)
        return rc;
    sql(q, ") ORDER BY ");
    sql(q, key);
    sql(q, desc ? " DESC, c.id DESC" : ", c.id");
    return 0;
}

/* The end of a page's statement (build()): the cursor or the window's start, the window's end,
 * the order and the LIMIT. */
static int order_and_limit(struct qb *q, const struct case_filter *f, const char *key, int desc,
                           int walk, int limit, struct err *err)
{
    int rc;
    if (q->after || f->cursor) {
        int64_t after_key = 0, after_id = 0;
        if (q->after) {
            after_key = q->after->key;
            after_id = q->after->id;
        } else if ((rc = cursor_decode(f->cursor, f->sort, &after_key, &after_id, NULL, NULL,
                                       err)) < 0)
            return rc;
        if (walk) {
            /* The walk's order is the id's alone: a rowid range, which the index seeks to. */
            sql(q, " AND f.rowid < ?");
            arg_int(q, after_id);
        } else {
            /* (key, id) beyond the cursor, written so that the key's index takes the range. */
            sql(q, " AND ");
            sql(q, key);
            sql(q, desc ? " <= ? AND (" : " >= ? AND (");
            sql(q, key);
            sql(q, desc ? " < ? OR c.id < ?)" : " > ? OR c.id > ?)");
            arg_int(q, after_key);
            arg_int(q, after_key);
            arg_int(q, after_id);
        }
    }
    if (q->floor) {
        /* (key, id) down to the window's end, inclusive: the key's index takes it too. */
        sql(q, " AND ");
        sql(q, key);
        sql(q, desc ? " >= ? AND (" : " <= ? AND (");
        sql(q, key);
        sql(q, desc ? " > ? OR c.id >= ?)" : " < ? OR c.id <= ?)");
        arg_int(q, q->floor->key);
        arg_int(q, q->floor->key);
        arg_int(q, q->floor->id);
    }
    if (walk) {
        sql(q, " ORDER BY f.rowid DESC LIMIT ?");
        arg_int(q, limit + 1);
        return q->overflow ? err_set(err, ERR_INTERNAL, "too many parameters for a case list") : 0;
    }
    sql(q, " ORDER BY ");
    sql(q, key);
    if (q->whole)
        sql(q, " + 0"); /* no index gives this order */
    sql(q, desc ? " DESC, c.id DESC LIMIT ?" : ", c.id LIMIT ?");
    if (q->probe) {
        sql(q, " OFFSET ?");
        arg_int(q, 1);
        arg_int(q, q->probe - 1);
    } else
        arg_int(q, q->take > 0 ? q->take : limit + 1);
    if (q->overflow)
        return err_set(err, ERR_INTERNAL, "too many parameters for a case list");
    return 0;
}

static int check_filter(const struct case_filter *f, struct err *err)
{
    if (f->limit < 0 || f->limit > CASE_LIST_MAX)
        return err_field(err, ERR_BAD_REQUEST, "limit", "limit must be between 1 and %d",
                         CASE_LIST_MAX);
    if ((unsigned)f->sort >= CASE_SORT_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "sort", "unknown sort %d", (int)f->sort);
    if ((unsigned)f->queue >= CASE_QUEUE_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "queue", "unknown queue %d", (int)f->queue);
    if (f->states >> CASE_STATE_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "state", "unknown state in the filter");
    if (f->channels >> CASE_CHANNEL_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "channel", "unknown channel in the filter");
    if (f->urgencies >> (CU_EMERGENCY + 1))
        return err_field(err, ERR_BAD_REQUEST, "urgency", "unknown urgency in the filter");
    if (f->kinds >> CASE_KIND_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "kind", "unknown kind in the filter");
    if (f->category_id < 0 || f->department_id < 0 || f->region_id < 0)
        return err_field(err, ERR_BAD_REQUEST,
                         f->category_id < 0     ? "category"
                         : f->department_id < 0 ? "department"
                                                : "region",
                         "ids are positive");
    if (f->created_from && f->created_to && f->created_from >= f->created_to)
        return err_field(err, ERR_BAD_REQUEST, "to", "'to' must be after 'from'");
    if (f->has_box &&
        !(f->south >= CASE_LAT_MIN && f->north <= CASE_LAT_MAX && f->south <= f->north &&
          f->west >= CASE_LON_MIN && f->east <= CASE_LON_MAX && f->west <= f->east))
        return err_field(err, ERR_BAD_REQUEST, "bbox",
                         "the box must be west,south,east,north in degrees, west <= east and "
                         "south <= north");
    if (f->near_m < 0 || f->near_m > CASE_NEAR_MAX || isnan(f->near_m))
        return err_field(err, ERR_BAD_REQUEST, "radius", "the radius must be 1 to %d metres",
                         CASE_NEAR_MAX);
    if (f->near_m > 0 && !(f->near_lat >= CASE_LAT_MIN && f->near_lat <= CASE_LAT_MAX &&
                           f->near_lon >= CASE_LON_MIN && f->near_lon <= CASE_LON_MAX))
        return err_field(err, ERR_BAD_REQUEST, "near", "the point must be lat,lon in degrees");
    return 0;
}

void case_list_settle_total(const struct case_filter *f, size_t n, int more, int64_t *total,
                            int *capped)
{
    /* A total at the cap stays the cap, as documented (docs/api.md), even when a first page
     * holds more than the cap. */
    if (f->cursor || *capped != CASE_TOTAL_STOPPED)
        return;
    if (!more) {
        *total = (int64_t)n;
        *capped = 0;
    } else if (*total < (int64_t)n)
        *total = (int64_t)n;
}

/* One statement of a page (q set up by the caller): its rows appended to v[*len...]. */
static int page_rows(struct store_conn *c, const struct case_filter *f,
                     const struct case_actor *scope, struct arena *a, struct qb *q, int limit,
                     struct case_rec *v, size_t *len, struct err *err)
{
    struct store_stmt *s = NULL;
    int rc;
    buf_init(&q->sql);
    if ((rc = build(q, c, f, scope, a, limit, err)) < 0 ||
        (rc = store_prepare(c, q->sql.p, (struct store_args){q->args, q->nargs}, &s, err)) < 0)
        goto out;
    while ((rc = store_step(s, err)) == 1)
        case_read_row(s, a, &v[(*len)++]);
out:
    store_done(s);
    buf_release(&q->sql);
    return rc < 0 ? rc : 0;
}

/* The window's end: the place of the 'skip'-th case after 'after' (NULL: the start) in the
 * order of every case, whatever the filters; '*found' 0 when fewer are left. */
static int window_end(struct store_conn *c, const struct case_filter *f,
                      const struct case_actor *scope, struct arena *a, const struct pos *after,
                      int64_t skip, struct pos *end, int *found, struct err *err)
{
    struct store_stmt *s = NULL;
    struct qb *q = xcalloc(1, sizeof(*q));
    int rc;
    q->after = after;
    q->probe = skip;
    *found = 0;
    buf_init(&q->sql);
    if ((rc = build(q, c, f, scope, a, 1, err)) < 0 ||
        (rc = store_prepare(c, q->sql.p, (struct store_args){q->args, q->nargs}, &s, err)) < 0)
        goto out;
    if ((rc = store_step(s, err)) == 1) {
        end->key = store_col_int(s, 0);
        end->id = store_col_int(s, 1);
        *found = 1;
    }
out:
    store_done(s);
    buf_release(&q->sql);
    free(q);
    return rc < 0 ? rc : 0;
}

/*
 * A short text's page: no index holds texts of 1-2 characters, so the page tests cases in the
 * list's order, a window at a time (each window's end found by window_end()), until the page
 * is full or the list ends; with f->scan_ns, also before a window that would end past the
 * budget (a window is taken to cost four times the one before, its size). Each page starts
 * again from the first size: a window carried over from the page before could cost a whole
 * budget before its first check. A common text fills its page in the first window; a rare
 * one, or one with filters that pass few cases, reads on in later requests. On 10,000,000 cases a page read 2.5 µs a case, most of it the row's read:
 * a rare text's first page took 0.4 s, and with a department and a state 0.5 s, unbounded.
 */
static int scan_page(struct store_conn *c, const struct case_filter *f,
                     const struct case_actor *scope, struct arena *a, int limit, struct case_rec *v,
                     size_t *len, struct pos *stopped, int *did_stop, struct err *err)
{
    struct pos at, end;
    int has_at = 0, found, rc = 0;
    int64_t window = f->scan_window > 0 ? f->scan_window : 1000;
    uint64_t start = clock_mono_ns();
    struct qb *q = xcalloc(1, sizeof(*q));
    *did_stop = 0;
    if (f->cursor) {
        if ((rc = cursor_decode(f->cursor, f->sort, &at.key, &at.id, NULL, NULL, err)) < 0)
            goto out;
        has_at = 1;
    }
    for (;;) {
        uint64_t t0 = clock_mono_ns();
        if ((rc = window_end(c, f, scope, a, has_at ? &at : NULL, window, &end, &found, err)) < 0)
            goto out;
        memset(q, 0, sizeof(*q));
        q->after = has_at ? &at : NULL;
        q->floor = found ? &end : NULL;
        q->take = limit + 1 - (int64_t)*len;
        if ((rc = page_rows(c, f, scope, a, q, limit, v, len, err)) < 0)
            goto out;
        if (*len > (size_t)limit || !found)
            break;
        at = end;
        has_at = 1;
        uint64_t now = clock_mono_ns();
        if (f->scan_ns > 0 && (now - start) + 4 * (now - t0) > (uint64_t)f->scan_ns) {
            *stopped = at;
            *did_stop = 1;
            break;
        }
        if (window < CASE_SCAN_WINDOW_MAX)
            window *= 4;
    }
out:
    free(q);
    return rc;
}

/* Windows of time: an hour, then each twice the one before up to 16 hours, then a day, each
 * twice the one before up to TIME_WINDOW_MAX (an exact count may start them larger). */
#define HOUR 3600
#define DAY 86400
#define TIME_WINDOW_MAX (128 * DAY)

/* When the newest (desc) or the oldest case was created: 0 rows when there are no cases. */
static int edge_time(struct store_conn *c, int desc, int64_t *at, struct err *err)
{
    *at = 0;
    return store_one_i64(c,
                         desc ? "SELECT created_at FROM cases ORDER BY created_at DESC LIMIT 1"
                              : "SELECT created_at FROM cases ORDER BY created_at LIMIT 1",
                         STORE_NO_ARGS, at, err);
}

/* The buckets of 'size' seconds that hold [from, to), newest first, as an array's text. */
static void buckets(struct buf *b, int64_t from, int64_t to, int64_t size)
{
    buf_reset(b);
    buf_putc(b, '{');
    for (int64_t k = (to - 1) / size; k >= from / size; k--)
        buf_printf(b, k == (to - 1) / size ? "%lld" : ",%lld", (long long)k);
    buf_putc(b, '}');
}

/*
 * A text's page on PostgreSQL, newest first, when the text has more matches than are gathered
 * (text_gathered()): read in windows of time, from the cursor's hour (or the newest case's)
 * back to the oldest case, until the page is full. Each window is one statement through
 * cases_text_time (the window's hours or days, then the text's trigrams), whose matches are
 * sorted: the first window is an hour, then 2, 4, 8 and 16 hours, the rest of that day, then
 * days, 1, 2, 4 ... 128 at a time, so a common text fills its page in the first hour and a
 * rarer one in a few windows (each costs a statement, ~1-2 ms at 10,000,000 cases, beside its
 * matches). Growing by 4 instead read up to four times a page's matches in the last window
 * (a common text behind an intake storm's hours: 42-46 against 30-33 ms a first page). With
 * an exact count the first window is sized by it. Without windows, PostgreSQL had two plans
 * and both read far more than a page: the trigram index's bitmap of a common text (5,501,820
 * of 10,000,000 cases: 624 ms before a row is read), or the date's index walked newest first,
 * each case tested, 354,653 newer cases without the text before the first match (~0.7 s).
 * Days alone were too coarse: a common text's day is ~4,500 matches to read and sort (~20
 * ms), for every page.
 * The windows' edges are on whole hours (days), so each case is in one window and the windows
 * follow each other in the list's order, and so do their pages; the cursor's condition holds
 * in each.
 */
static int day_page(struct store_conn *c, const struct case_filter *f,
                    const struct case_actor *scope, struct arena *a, int limit, struct case_rec *v,
                    size_t *len, struct err *err)
{
    int64_t to, oldest, key = 0, id = 0, w = HOUR;
    int rc;
    if (f->cursor) {
        if ((rc = cursor_decode(f->cursor, f->sort, &key, &id, NULL, NULL, err)) < 0)
            return rc;
    } else if ((rc = edge_time(c, 1, &key, err)) <= 0)
        return rc;
    if ((rc = edge_time(c, 0, &oldest, err)) <= 0)
        return rc;
    to = (key / HOUR + 1) * HOUR;
    /* An exact count tells the text's share of the time: the first window is then the one
     * expected to hold two pages (a rare text's first page in one or two statements). A capped
     * count is a lower bound only: such a text may fill its page in minutes. */
    if (f->total > 0 && !f->total_capped && to - oldest > 0) {
        double span = (double)(to - oldest),
               est = 2.0 * (double)(limit + 1) * span / (double)f->total;
        if (est >= TIME_WINDOW_MAX)
            w = TIME_WINDOW_MAX;
        else if (est >= DAY)
            w = (int64_t)(est / DAY) * DAY;
        else if (est >= HOUR)
            w = (int64_t)(est / HOUR) * HOUR;
    }
    struct qb *q = xcalloc(1, sizeof(*q));
    struct buf list;
    buf_init(&list);
    rc = 0;
    while (*len <= (size_t)limit && to > oldest) {
        /* Hours up to 16 of them, then the rest of that day in hours, then whole days. */
        int hours = w < DAY || to % DAY;
        int64_t from = w < DAY ? to - w : to % DAY ? to - to % DAY : to - w;
        buckets(&list, from < oldest ? oldest : from, to, hours ? HOUR : DAY);
        memset(q, 0, sizeof(*q));
        q->days = list.p;
        q->hours = hours;
        q->take = limit + 1 - (int64_t)*len;
        if ((rc = page_rows(c, f, scope, a, q, limit, v, len, err)) < 0)
            break;
        if (w < 16 * HOUR)
            w = w * 2 < 16 * HOUR ? w * 2 : 16 * HOUR;
        else if (w < DAY)
            w = DAY;
        else if (!(to % DAY) && w < TIME_WINDOW_MAX)
            w = w * 2 < TIME_WINDOW_MAX ? w * 2 : TIME_WINDOW_MAX;
        to = from;
    }
    buf_release(&list);
    free(q);
    return rc;
}

/* The actor sees only the cases they made (a citizen): a list bounded by them, which the index
 * on (created_by, created_at) serves in order. */
static int scope_is_own(const struct case_actor *s)
{
    return !scope_is_all(s) && !(scope_branches(s) & (SCOPE_DEPT | SCOPE_REGION));
}

/*
 * A short text's page. Windows of the order of every case (scan_page()) bound a page's time
 * whatever the list, but a list of one person's cases tests only a few of each window's: at
 * 10,000,000 cases a citizen's 2-character search read on for 841-1,000 requests (~9 s) where
 * their own few thousand cases, read straight through their index, take milliseconds. So such
 * a list is first read straight, under the page's budget of CPU time; only if that runs out
 * does the page go on in windows with what is left.
 */
static int short_text_page(struct store_conn *c, const struct case_filter *f,
                           const struct case_actor *scope, struct arena *a, int limit,
                           struct case_rec *v, size_t *len, struct pos *stopped, int *did_stop,
                           struct err *err)
{
    uint64_t t0 = clock_mono_ns();
    struct case_filter rest = *f; /* the windows' budget: what the count left, at least one */
    if (f->scan_ns > 0)
        rest.scan_ns = f->scan_ns > f->scan_spent_ns ? f->scan_ns - f->scan_spent_ns : 1;
    /* The straight read gets the whole budget: it reads what the count just read. */
    if (f->scan_ns <= 0 || !scope_is_own(scope) || !store_time_limit(c, (uint64_t)f->scan_ns))
        return scan_page(c, &rest, scope, a, limit, v, len, stopped, did_stop, err);
    struct qb *q = xcalloc(1, sizeof(*q));
    int rc = page_rows(c, f, scope, a, q, limit, v, len, err);
    int ran_out = rc < 0 && store_time_limit_hit(c);
    store_time_limit(c, 0);
    free(q);
    *did_stop = 0;
    if (!ran_out)
        return rc;
    err_clear(err);
    *len = 0;
    int64_t spent = (int64_t)(clock_mono_ns() - t0);
    rest.scan_ns = rest.scan_ns > spent ? rest.scan_ns - spent : 1;
    return scan_page(c, &rest, scope, a, limit, v, len, stopped, did_stop, err);
}

int case_list(struct store_conn *c, const struct case_filter *f, const struct case_actor *scope,
              struct arena *a, struct case_rec **out, size_t *n, char *next_cursor,
              int64_t *stopped_key, struct err *err)
{
    int rc, limit = f->limit ? f->limit : CASE_LIST_DEFAULT, did_stop = 0;
    size_t len = 0;
    struct case_rec *v;
    struct pos stopped;

    next_cursor[0] = '\0';
    if (stopped_key)
        *stopped_key = 0;
    if ((rc = check_filter(f, err)) < 0)
        return rc;
    v = arena_alloc(a, mem_size_mul((size_t)limit + 1, sizeof(*v)));
    /* How rare a text is decides its plan (store_plan_each()). */
    int each = f->text && store_plan_each(c, 1);
    if (short_text(f->text))
        rc = short_text_page(c, f, scope, a, limit, v, &len, &stopped, &did_stop, err);
    else if (text_days(store_dialect(c), f, scope))
        rc = day_page(c, f, scope, a, limit, v, &len, err);
    else {
        struct qb *q = xcalloc(1, sizeof(*q));
        rc = page_rows(c, f, scope, a, q, limit, v, &len, err);
        free(q);
    }
    if (each)
        store_plan_each(c, 0);
    if (rc < 0)
        return rc;
    if (len > (size_t)limit || did_stop) {
        int64_t total = f->total;
        int capped = f->total_capped;
        struct pos last = len > (size_t)limit
                              ? (struct pos){key_of(f->sort, &v[limit - 1]), v[limit - 1].id}
                              : stopped;
        /* A page that stopped full is a full page (its cursor reads on after the window). */
        if (len > (size_t)limit)
            len = (size_t)limit;
        else if (stopped_key && len < (size_t)limit)
            *stopped_key = stopped.key;
        case_list_settle_total(f, len, 1, &total, &capped);
        cursor_encode(f->sort, last.key, last.id, total > 0 ? total : 0, total > 0 && capped,
                      next_cursor);
    }
    *out = v;
    *n = len;
    return 0;
}

int case_list_total(struct store_conn *c, const struct case_filter *f,
                    const struct case_actor *scope, int64_t cap, int budget_ms, struct arena *a,
                    int64_t *total, int *capped, struct err *err)
{
    struct store_stmt *s = NULL;
    struct qb *q;
    int64_t key, id, carried = -1;
    int rc, carried_capped = 0, timed, each;

    *total = 0;
    *capped = 0;
    if ((rc = check_filter(f, err)) < 0)
        return rc;
    if (cap < 0 || budget_ms < 0)
        BUG("a negative cap %lld or budget %d for a case count", (long long)cap, budget_ms);
    if (f->cursor &&
        (rc = cursor_decode(f->cursor, f->sort, &key, &id, &carried, &carried_capped, err)) < 0)
        return rc;
    if (carried >= 0) {
        *total = carried;
        *capped = carried_capped;
        return 0;
    }
    /* A text of one or two characters has no index on PostgreSQL: its count reads every case
     * and, past some tens of thousands, its budget always stops it, having counted nothing
     * (the total is then the page's items). It gets half the page's reading time
     * (f->scan_ns) at most, so that the page gets the rest: at 1,000,000 cases a first page
     * spent the count's 25 ms and then read one window past list_scan_ms, 40-53 ms p99. */
    if (budget_ms > 0 && f->scan_ns > 0 && store_dialect(c) == STORE_POSTGRESQL &&
        short_text(f->text)) {
        int64_t half = f->scan_ns / 2000000;
        if (half < budget_ms)
            budget_ms = half > 0 ? (int)half : 1;
    }
    q = xcalloc(1, sizeof(*q));
    q->cap = cap;
    buf_init(&q->sql);
    /* The budget is set before the statement is built: the lookups build() runs (a
     * category's or region's code) are single rows. */
    timed = cap > 0 && budget_ms > 0 && store_time_limit(c, (uint64_t)budget_ms * 1000000u);
    each = f->text && store_plan_each(c, 1); /* as case_list() */
    /* PostgreSQL gives a result whole: a stopped statement has given no row to count. */
    q->stepping = timed && store_dialect(c) == STORE_SQLITE;
    if ((rc = build(q, c, f, scope, a, 0, err)) < 0 ||
        (rc = store_prepare(c, q->sql.p, (struct store_args){q->args, q->nargs}, &s, err)) < 0)
        goto out;
    if (q->stepping) {
        /* Counted as they come: when the budget is spent the matches read so far are a lower
         * bound. */
        while ((rc = store_step(s, err)) == 1)
            ++*total;
    } else if ((rc = store_step(s, err)) == 1)
        *total = store_col_int(s, 0);
    if (cap > 0 && *total > cap) {
        *total = cap;
        *capped = 1;
    }
out:
    if (rc < 0 && timed && store_time_limit_hit(c)) {
        err_clear(err);
        rc = 0;
        *capped = CASE_TOTAL_STOPPED;
    }
    rc = rc < 0 ? rc : 0;
    store_done(s);
    if (timed)
        store_time_limit(c, 0);
    if (each)
        store_plan_each(c, 0);
    buf_release(&q->sql);
    free(q);
    return rc;
}

/* ---------------------------------------------------------------- counts per region */

struct count_reader {
    struct arena *a;
    VEC(struct case_region_count) v;
};

static const char *text_or_null(struct store_stmt *s, int col, struct arena *a)
{
    return store_col_is_null(s, col) ? NULL : arena_strdup(a, store_col_text(s, col));
}

static int count_row(void *ctx, struct store_stmt *s)
{
    struct count_reader *r = ctx;
    struct case_region_count *x = vec_push(&r->v);
    x->region_id = store_col_is_null(s, 0) ? 0 : store_col_int(s, 0);
    x->code = text_or_null(s, 1, r->a);
    x->name = text_or_null(s, 2, r->a);
    x->level = text_or_null(s, 3, r->a);
    x->total = store_col_int(s, 4);
    x->open = store_col_int(s, 5);
    x->overdue = store_col_int(s, 6);
    return 0;
}

int case_region_counts(struct store_conn *c, int64_t from, int64_t to,
                       const struct case_actor *scope, struct arena *a,
                       struct case_region_count **out, size_t *n, struct err *err)
{
    struct qb *q = xcalloc(1, sizeof(*q));
    struct count_reader r = {a, VEC_IN(a)};
    int rc = 0;
    *out = NULL;
    *n = 0;
    buf_init(&q->sql);
    if (from >= to) {
        rc = err_field(err, ERR_BAD_REQUEST, "to", "'to' must be after 'from'");
        goto out;
    }
    /* Grouped first, named after: the regions are looked up once per group, not per case.
     * Each region's window is a range of the covering index cases_region_place (migration 0039). */
    sql(q, "SELECT g.region_id, r.code, r.name, r.level, g.total, g.open, g.overdue FROM ("
           "SELECT c.region_id AS region_id,"
           " sum(CASE WHEN c.state <> 'merged' THEN 1 ELSE 0 END) AS total,"
           " sum(CASE WHEN c.state NOT IN ('closed', 'cancelled', 'merged') THEN 1 ELSE 0 END)"
           " AS open,"
           " sum(CASE WHEN c.overdue = 1 AND c.state NOT IN ('closed', 'cancelled', 'merged')"
           " THEN 1 ELSE 0 END) AS overdue"
           " FROM cases c WHERE c.created_at >= ? AND c.created_at < ?");
    arg_int(q, from);
    arg_int(q, to);
    scope_where(q, a, scope);
    sql(q, " GROUP BY c.region_id) g LEFT JOIN regions r ON r.id = g.region_id"
           " WHERE g.total > 0 ORDER BY r.code");
    if (q->overflow) {
        rc = err_set(err, ERR_INTERNAL, "too many parameters for the region counts");
        goto out;
    }
    int64_t got =
        store_all(c, q->sql.p, (struct store_args){q->args, q->nargs}, count_row, &r, err);
    if (got < 0) {
        rc = (int)got;
        goto out;
    }
    *out = r.v.v;
    *n = r.v.n;
out:
    buf_release(&q->sql);
    free(q);
    return rc;
}

/* ---------------------------------------------------------------- recent cases in scope */

int case_scan_recent(struct store_conn *c, int64_t since, size_t max,
                     const struct case_actor *scope, case_recent_fn *fn, void *ctx, struct err *err)
{
    struct store_stmt *s = NULL;
    struct qb *q = xcalloc(1, sizeof(*q));
    struct arena a;
    int rc;
    arena_init(&a, 512);
    buf_init(&q->sql);
    sql(q,
        "SELECT c.id, c.created_at, CASE WHEN c.citizen_phone_hash <> '' THEN c.citizen_phone_hash"
        " ELSE 'u' || coalesce(c.created_by, c.id) END, c.title, c.description FROM cases c"
        " WHERE c.created_at >= ? AND c.state NOT IN ('cancelled', 'merged')");
    arg_int(q, since);
    scope_where(q, &a, scope);
    sql(q, " ORDER BY c.id DESC LIMIT ?");
    arg_int(q, (int64_t)max);
    if (q->overflow) {
        rc = err_set(err, ERR_INTERNAL, "too many parameters for a case scan");
        goto out;
    }
    if ((rc = store_prepare(c, q->sql.p, (struct store_args){q->args, q->nargs}, &s, err)) < 0)
        goto out;
    while ((rc = store_step(s, err)) == 1) {
        struct case_recent r = {
            .id = store_col_int(s, 0),
            .created_at = store_col_int(s, 1),
            .author = store_col_text(s, 2),
            .title = store_col_text(s, 3),
            .description = store_col_text(s, 4),
        };
        fn(ctx, &r);
    }
    rc = rc < 0 ? rc : 0;
out:
    store_done(s);
    buf_release(&q->sql);
    free(q);
    arena_release(&a);
    return rc;
}
