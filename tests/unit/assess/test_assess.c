/*
 * 考核: a small world written straight into a real SQLite store, the assessment computed, and
 * every count, rate, score and rank compared with the numbers worked out by hand below.
 *
 * Period [T0, T0 + 30 d). Regions: district D > streets S1, S2; S1 > community C1 > grid G1.
 * Departments A (城管局), B (水务局), C (园林局).
 *
 * Cases (dispatched_at, resolve deadline, replied_at, region, state):
 *   a1  A  d+1  dl d+5   rep d+3   G1   closed d+4                      on time
 *   a2  A  d+2  dl d+6   rep d+8   C1   closed d+9, rectify_round 1, sweeper urge at d+7   late, overdue-ever
 *   a3  A  d+10 dl d+40  -         S2   (dispatched to B d+9, B returned d+9.5, redispatched to A d+10)  not due
 *   a4  A  d+11 dl d+20  -         S1   overdue now; A returned it at d+11.5 (return rejected)           due, late
 *   a5  A  d-5  (before the period; only its evaluation at d+2 counts)                                 G1
 *   a6  A  d+3  merged: never counted
 *   b1  B  d+5  dl d+9   rep d+6   S2   closed d+7                      on time
 *   b2  B  d+12 dl d+13  rep d+13  -    closed d+14 (no region)         on time (replied at the deadline)
 *   c1  C  d+15 dl d+16  -         S1                                  due, late, not urged
 *
 * Valid evaluations in the period (contacted, solved, satisfaction):
 *   a1 r0 d+4 (1,1,satisfied)   a2 r0 d+8.5 (1,0,unsatisfied)   a2 r1 d+9 (1,1,basically)
 *   a5 r0 d+2 (0,0,basically)   b1 r0 d+7 (1,1,satisfied)       b2 r0 d+14 (1,0,unsatisfied)
 * Not counted: a3 d+12 (valid = 0), a1 r1 at exactly T0 + 30 d (the period is half-open).
 *
 * By department, latest round, k = 0.9, w = (0.10, 0.50, 0.40):
 *   A: evaluations a1, a2 r1, a5 = 3; contacted 2, solved 2, satisfied 1, basically 2
 *      响应率 2/3, 解决率 2/3, 满意率 (1 + 0.9·2)/3 = 2.8/3 = 0.93333
 *      score = 100·(0.1·2/3 + 0.5·2/3 + 0.4·2.8/3) = 100·2.32/3 = 77.3333
 *      cases: dispatched 4 (a1..a4), replied 2, closed 2, due 3 (a1, a2, a4), on time 1 → 1/3,
 *      overdue 2 (a2 urged, a4 now) → 0.5, rectified 1; assigned 4 (a1, a2, a3 redispatch, a4),
 *      returns 1 (a4) → 0.25
 *   B: evaluations b1, b2 = 2; contacted 2, solved 1, satisfied 1, unsatisfied 1
 *      响应率 1, 解决率 0.5, 满意率 0.5; score = 100·(0.1 + 0.25 + 0.2) = 55
 *      cases: dispatched 2, due 2, on time 2 → 1; assigned 3 (a3, b1, b2), returns 1 (a3) → 1/3
 *   C: no evaluation → 响应率/解决率/满意率 undefined, score undefined, unranked;
 *      dispatched 1, due 1, on time 0 → 0
 *   Ranks: A 1, B 2, C unranked.
 * Every round (rounds = all): A has 4 evaluations (a2 r0 too): contacted 3, solved 2,
 *   satisfied 1, basically 2, unsatisfied 1 → 0.75, 0.5, (1 + 1.8)/4 = 0.7;
 *   score = 100·(0.075 + 0.25 + 0.28) = 60.5.
 * On-time only (w = 0, 0, 0, 1): A 100/3 = 33.33, B 100, C 0 → ranks B 1, A 2, C 3.
 * By street: S1 (a1, a2, a4, c1; evaluations a1, a2 r1, a5 by their region codes) has the
 *   same evaluation numbers as A → 77.3333; S2 (a3, b1; evaluation b1) → 100; b2 has no
 *   region: group 0 (响应率 1, 解决率 0, 满意率 0 → score 10) is not ranked.
 *   Ranks: S2 1, S1 2, group 0 unranked.
 * Backlog at d+30 (dispatched before, not replied): A a3, a4 (a4 past its deadline d+20) → 2, 1;
 *   C c1 → 1, 1; B none. At d+130 every one of them is overdue.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assess/assess.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"

#define T0 1790236800
#define DAY 86400
#define D(x) ((int64_t)(T0 + (x)*DAY))

struct world {
    struct store *st;
    struct store_conn *c;
    int64_t D, S1, S2, C1, G1;
    int64_t A, B, C;
};

static int64_t region(struct world *w, const char *code, const char *name, const char *level,
                      int64_t parent)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(
        store_one_i64(w->c,
                      "INSERT INTO regions(code, name, level, parent_id, created_at, updated_at)"
                      " VALUES (?, ?, ?, nullif(?, 0), ?, ?) RETURNING id",
                      STORE_ARGS(store_text(code), store_text(name), store_text(level),
                                 store_i64(parent), store_i64((int64_t)T0), store_i64((int64_t)T0)),
                      &id, &e),
        1, "region %s: %s", code, e.msg);
    return id;
}

static int64_t department(struct world *w, const char *code, const char *name)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(
        store_one_i64(
            w->c,
            "INSERT INTO departments(code, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
            STORE_ARGS(store_text(code), store_text(name), store_i64((int64_t)T0),
                       store_i64((int64_t)T0)),
            &id, &e),
        1, "department %s: %s", code, e.msg);
    return id;
}

struct case_spec {
    const char *number, *state;
    int64_t dept, region_id;
    const char *region_code;
    int64_t dispatched, deadline, replied, closed;
    int overdue, rectify_round;
};

static int64_t add_case(struct world *w, const struct case_spec *s)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(
        store_one_i64(
            w->c,
            "INSERT INTO cases(number, check_code, channel, title, description, urgency, state,"
            " lead_department_id, region_id, region_code, dispatched_at, resolve_deadline, replied_at,"
            " closed_at, overdue, rectify_round, created_at, updated_at)"
            " VALUES (?, 'x', 'hotline', '测试', '测试', 'normal', ?, nullif(?, 0), nullif(?, 0), ?,"
            " nullif(?, 0), nullif(?, 0), nullif(?, 0), nullif(?, 0), ?, ?, ?, ?) RETURNING id",
            STORE_ARGS(store_text(s->number), store_text(s->state), store_i64(s->dept),
                       store_i64(s->region_id), store_text(s->region_code),
                       store_i64(s->dispatched), store_i64(s->deadline), store_i64(s->replied),
                       store_i64(s->closed), store_i64(s->overdue), store_i64(s->rectify_round),
                       store_i64((int64_t)T0), store_i64((int64_t)T0)),
            &id, &e),
        1, "case %s: %s", s->number, e.msg);
    return id;
}

/* actor 0 = the system (the sweeper). */
static void event(struct world *w, int64_t case_id, int64_t at, const char *action, int64_t dept,
                  int64_t actor)
{
    struct err e = ERR_INIT;
    CHECK_INT_EQ(
        store_run(
            w->c,
            "INSERT INTO case_events(case_id, at, actor_id, actor_name, actor_role, action, to_state,"
            " department_id) VALUES (?, ?, nullif(?, 0), 'x', 'x', ?, 'x', nullif(?, 0))",
            STORE_ARGS(store_i64(case_id), store_i64(at), store_i64(actor), store_text(action),
                       store_i64(dept)),
            &e),
        1, "event %s: %s", action, e.msg);
}

static void evaluation(struct world *w, int64_t case_id, int round, int64_t dept,
                       const char *region_code, int64_t at, int contacted, int solved,
                       const char *satisfaction, int valid)
{
    struct err e = ERR_INIT;
    CHECK_INT_EQ(
        store_run(
            w->c,
            "INSERT INTO case_evaluations(case_id, round, department_id, region_code, at, contacted, solved,"
            " satisfaction, valid) VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?)",
            STORE_ARGS(store_i64(case_id), store_i64(round), store_i64(dept),
                       store_text(region_code), store_i64(at), store_i64(contacted),
                       store_i64(solved), store_text(satisfaction), store_i64(valid)),
            &e),
        1, "evaluation: %s", e.msg);
}

static void build(struct world *w, const char *name)
{
    char path[512];
    struct err e = ERR_INIT;
    memset(w, 0, sizeof(*w));
    log_set_level(LOG_OFF);
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&w->st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(w->st, &w->c, &e), 0, "conn: %s", e.msg);

    w->D = region(w, "330179", "测试区", "district", 0);
    w->S1 = region(w, "330179001", "一街道", "street", w->D);
    w->S2 = region(w, "330179002", "二街道", "street", w->D);
    w->C1 = region(w, "330179001001", "一社区", "community", w->S1);
    w->G1 = region(w, "33017900100101", "一网格", "grid", w->C1);
    CHECK_INT_EQ(
        store_run(w->c,
                  "INSERT INTO users(id, name, password_hash, roles, created_at, updated_at)"
                  " VALUES (1, 'dispatcher', 'x', 'dispatcher', ?, ?)",
                  STORE_ARGS(store_i64((int64_t)T0), store_i64((int64_t)T0)), &e),
        1, "user: %s", e.msg);
    w->A = department(w, "A", "城管局");
    w->B = department(w, "B", "水务局");
    w->C = department(w, "C", "园林局");

    int64_t a1 = add_case(w, &(struct case_spec){"a1", "closed", w->A, w->G1, "33017900100101",
                                                 D(1), D(5), D(3), D(4), 0, 0});
    int64_t a2 = add_case(w, &(struct case_spec){"a2", "closed", w->A, w->C1, "330179001001", D(2),
                                                 D(6), D(8), D(9), 0, 1});
    int64_t a3 = add_case(w, &(struct case_spec){"a3", "processing", w->A, w->S2, "330179002",
                                                 D(10), D(40), 0, 0, 0, 0});
    int64_t a4 = add_case(w, &(struct case_spec){"a4", "processing", w->A, w->S1, "330179001",
                                                 D(11), D(20), 0, 0, 1, 0});
    int64_t a5 = add_case(w, &(struct case_spec){"a5", "closed", w->A, w->G1, "33017900100101",
                                                 D(-5), D(-1), D(-2), D(3), 0, 0});
    int64_t a6 = add_case(w, &(struct case_spec){"a6", "merged", w->A, w->G1, "33017900100101",
                                                 D(3), D(8), 0, 0, 0, 0});
    int64_t b1 = add_case(w, &(struct case_spec){"b1", "closed", w->B, w->S2, "330179002", D(5),
                                                 D(9), D(6), D(7), 0, 0});
    int64_t b2 = add_case(
        w, &(struct case_spec){"b2", "closed", w->B, 0, NULL, D(12), D(13), D(13), D(14), 0, 0});
    int64_t c1 = add_case(w, &(struct case_spec){"c1", "processing", w->C, w->S1, "330179001",
                                                 D(15), D(16), 0, 0, 0, 0});
    (void)a6;

    event(w, a1, D(1), "dispatch", w->A, 1);
    event(w, a2, D(2), "dispatch", w->A, 1);
    event(w, a2, D(7), "urge", w->A, 0);      /* the sweeper: overdue at some time */
    event(w, a2, D(7) + 60, "urge", w->A, 1); /* a supervisor's urge is not "overdue" */
    event(w, a3, D(9), "dispatch", w->B, 1);
    event(w, a3, D(9) + DAY / 2, "return", w->B, 1);
    event(w, a3, D(10), "redispatch", w->A, 1);
    event(w, a4, D(11), "dispatch", w->A, 1);
    event(w, a4, D(11) + DAY / 2, "return", w->A, 1);
    event(w, a4, D(11) + DAY * 3 / 4, "reject_return", w->A, 1);
    event(w, a5, D(-5), "dispatch", w->A, 1); /* before the period */
    event(w, b1, D(5), "dispatch", w->B, 1);
    event(w, b2, D(12), "dispatch", w->B, 1);
    event(w, c1, D(15), "dispatch", w->C, 1);

    evaluation(w, a1, 0, w->A, "33017900100101", D(4), 1, 1, "satisfied", 1);
    evaluation(w, a2, 0, w->A, "330179001001", D(8) + DAY / 2, 1, 0, "unsatisfied", 1);
    evaluation(w, a2, 1, w->A, "330179001001", D(9), 1, 1, "basically_satisfied", 1);
    evaluation(w, a5, 0, w->A, "33017900100101", D(2), 0, 0, "basically_satisfied", 1);
    evaluation(w, a3, 0, w->A, "330179002", D(12), 1, 1, "satisfied", 0); /* not valid */
    evaluation(w, a1, 1, w->A, "33017900100101", D(30), 0, 0, "unsatisfied",
               1); /* at 'to': outside */
    evaluation(w, b1, 0, w->B, "330179002", D(7), 1, 1, "satisfied", 1);
    evaluation(w, b2, 0, w->B, NULL, D(14), 1, 0, "unsatisfied", 1);
}

static struct assess_params params(enum assess_by by)
{
    struct assess_params p = {
        .from = T0, .to = D(30), .by = by, .k = 0.9, .weights = {0.10, 0.50, 0.40, 0}};
    return p;
}

static const struct assess_row *find(const struct assess_row *rows, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].group_id == id)
            return &rows[i];
    return NULL;
}

#define NEAR(got, want)                                                                            \
    CHECK(fabs((got) - (want)) < 1e-9, "%s = %.10f, want %.10f", #got, (double)(got),              \
          (double)(want))

TEST(assess_by_department_hand_computed)
{
    struct world w;
    struct arena a;
    struct err e = ERR_INIT;
    struct assess_row *rows;
    size_t n;
    build(&w, "assess_dept.db");
    arena_init(&a, 4096);
    struct assess_params p = params(ASSESS_BY_DEPARTMENT);
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute: %s", e.msg);
    CHECK_INT_EQ(n, 3, "three departments with activity");
    const struct assess_row *A = find(rows, n, w.A), *B = find(rows, n, w.B),
                            *C = find(rows, n, w.C);
    CHECK(A && B && C, "rows for A, B and C");
    if (!A || !B || !C)
        goto out;
    CHECK_STR_EQ(A->name, "城管局", "name");
    CHECK_STR_EQ(A->code, "A", "code");

    CHECK_INT_EQ(A->dispatched, 4, "A dispatched");
    CHECK_INT_EQ(A->replied, 2, "A replied");
    CHECK_INT_EQ(A->closed, 2, "A closed");
    CHECK_INT_EQ(A->due, 3, "A due");
    CHECK_INT_EQ(A->on_time, 1, "A on time");
    CHECK_INT_EQ(A->overdue, 2, "A overdue");
    CHECK_INT_EQ(A->rectified, 1, "A rectified");
    CHECK_INT_EQ(A->assigned, 4, "A assigned");
    CHECK_INT_EQ(A->returns, 1, "A returns");
    CHECK_INT_EQ(A->evaluations, 3, "A evaluations");
    CHECK_INT_EQ(A->contacted, 2, "A contacted");
    CHECK_INT_EQ(A->solved, 2, "A solved");
    CHECK_INT_EQ(A->satisfied, 1, "A satisfied");
    CHECK_INT_EQ(A->basically, 2, "A basically");
    CHECK_INT_EQ(A->unsatisfied, 0, "A unsatisfied");
    /* Open at d+30: a3 (deadline d+40) and a4 (d+20, overdue); a1, a2, a5 replied before. */
    CHECK_INT_EQ(A->backlog, 2, "A backlog");
    CHECK_INT_EQ(A->backlog_overdue, 1, "A backlog overdue");
    NEAR(A->response_rate, 2.0 / 3);
    NEAR(A->solve_rate, 2.0 / 3);
    NEAR(A->satisfaction_rate, 2.8 / 3);
    NEAR(A->on_time_rate, 1.0 / 3);
    NEAR(A->reply_rate, 0.5);
    NEAR(A->close_rate, 0.5);
    NEAR(A->overdue_rate, 0.5);
    NEAR(A->return_rate, 0.25);
    NEAR(A->score, 100 * 2.32 / 3);
    CHECK(fabs(A->score - 77.3333) < 1e-4, "A score %.6f", A->score);
    CHECK_INT_EQ(A->rank, 1, "A first");

    CHECK_INT_EQ(B->dispatched, 2, "B dispatched");
    CHECK_INT_EQ(B->due, 2, "B due");
    CHECK_INT_EQ(B->on_time, 2, "B on time (b2 replied at its deadline)");
    CHECK_INT_EQ(B->overdue, 0, "B overdue");
    CHECK_INT_EQ(B->assigned, 3, "B assigned");
    CHECK_INT_EQ(B->returns, 1, "B returns");
    CHECK_INT_EQ(B->evaluations, 2, "B evaluations");
    NEAR(B->response_rate, 1.0);
    NEAR(B->solve_rate, 0.5);
    NEAR(B->satisfaction_rate, 0.5);
    NEAR(B->on_time_rate, 1.0);
    NEAR(B->return_rate, 1.0 / 3);
    NEAR(B->score, 55.0);
    CHECK_INT_EQ(B->rank, 2, "B second");

    /* Zero denominators: no evaluation → the 三率 and the score are undefined, not 0. */
    CHECK_INT_EQ(C->dispatched, 1, "C dispatched");
    CHECK_INT_EQ(C->evaluations, 0, "C evaluations");
    CHECK(isnan(C->response_rate) && isnan(C->solve_rate) && isnan(C->satisfaction_rate),
          "C rates undefined");
    CHECK(isnan(C->score), "C score undefined");
    CHECK_INT_EQ(C->rank, 0, "C unranked");
    NEAR(C->on_time_rate, 0.0);
    NEAR(C->overdue_rate, 0.0);
    CHECK_INT_EQ(C->assigned, 1, "C assigned");
    CHECK(C->backlog == 1 && C->backlog_overdue == 1, "C backlog: c1, past d+16");
    CHECK(B->backlog == 0, "B backlog");
    CHECK(rows[0].group_id == w.A && rows[1].group_id == w.B && rows[2].group_id == w.C,
          "ordered by rank, unranked last");

    /* Every round instead of the latest. */
    p.rounds = ASSESS_ROUNDS_ALL;
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute all: %s", e.msg);
    A = find(rows, n, w.A);
    CHECK(A != NULL, "A");
    if (A) {
        CHECK_INT_EQ(A->evaluations, 4, "A evaluations, all rounds");
        CHECK_INT_EQ(A->unsatisfied, 1, "A unsatisfied, all rounds");
        NEAR(A->response_rate, 0.75);
        NEAR(A->solve_rate, 0.5);
        NEAR(A->satisfaction_rate, 0.7);
        NEAR(A->score, 60.5);
    }

    /* On-time rate only: C gets a score (0) and a rank. */
    p.rounds = ASSESS_ROUNDS_LATEST;
    double only[ASSESS_TERMS] = {0, 0, 0, 1};
    memcpy(p.weights, only, sizeof(only));
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute on-time: %s", e.msg);
    A = find(rows, n, w.A), B = find(rows, n, w.B), C = find(rows, n, w.C);
    if (A && B && C) {
        NEAR(A->score, 100.0 / 3);
        NEAR(B->score, 100.0);
        NEAR(C->score, 0.0);
        CHECK(B->rank == 1 && A->rank == 2 && C->rank == 3, "ranks %d %d %d", B->rank, A->rank,
              C->rank);
    }

    /* k = 1 counts 基本满意 as 满意; k = 0 ignores it. */
    p = params(ASSESS_BY_DEPARTMENT);
    p.k = 1;
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute k=1: %s", e.msg);
    A = find(rows, n, w.A);
    if (A)
        NEAR(A->satisfaction_rate, 1.0);
    p.k = 0;
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute k=0: %s", e.msg);
    A = find(rows, n, w.A);
    if (A)
        NEAR(A->satisfaction_rate, 1.0 / 3);
out:
    arena_release(&a);
    store_close(w.st);
}

TEST(assess_by_region_hand_computed)
{
    struct world w;
    struct arena a;
    struct err e = ERR_INIT;
    struct assess_row *rows;
    size_t n;
    build(&w, "assess_region.db");
    arena_init(&a, 4096);
    struct assess_params p = params(ASSESS_BY_REGION);
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute: %s", e.msg);
    CHECK_INT_EQ(n, 3, "S1, S2 and the unlocated group");
    const struct assess_row *S1 = find(rows, n, w.S1), *S2 = find(rows, n, w.S2),
                            *none = find(rows, n, 0);
    CHECK(S1 && S2 && none, "rows");
    if (S1 && S2 && none) {
        CHECK_STR_EQ(S1->name, "一街道", "street name");
        CHECK_INT_EQ(S1->dispatched, 4, "S1 dispatched (a1 grid, a2 community, a4 street, c1)");
        CHECK_INT_EQ(S1->due, 4, "S1 due");
        CHECK_INT_EQ(S1->on_time, 1, "S1 on time");
        CHECK_INT_EQ(S1->overdue, 2, "S1 overdue");
        CHECK_INT_EQ(S1->assigned, 4, "S1 assigned");
        CHECK_INT_EQ(S1->returns, 1, "S1 returns");
        CHECK_INT_EQ(S1->evaluations, 3, "S1 evaluations");
        NEAR(S1->score, 100 * 2.32 / 3);
        CHECK_INT_EQ(S2->dispatched, 2, "S2 dispatched");
        CHECK_INT_EQ(S2->due, 1, "S2 due (a3 is not yet due)");
        CHECK_INT_EQ(S2->assigned, 3, "S2 assigned");
        CHECK_INT_EQ(S2->returns, 1, "S2 returns");
        NEAR(S2->score, 100.0);
        CHECK_INT_EQ(S2->rank, 1, "S2 first");
        CHECK_INT_EQ(S1->rank, 2, "S1 second");
        CHECK_INT_EQ(none->dispatched, 1, "b2 has no region");
        NEAR(none->score, 10.0);
        CHECK_INT_EQ(none->rank, 0, "the unlocated group is not ranked");
        CHECK_STR_EQ(none->name, "", "no name");
        CHECK(rows[n - 1].group_id == 0, "unranked last");
    }

    /* District level: everything located falls into D. */
    p.region_level = "district";
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute district: %s", e.msg);
    CHECK_INT_EQ(n, 2, "D and the unlocated group");
    const struct assess_row *Dr = find(rows, n, w.D);
    if (Dr) {
        CHECK_INT_EQ(Dr->dispatched, 6, "D dispatched");
        CHECK_INT_EQ(Dr->evaluations, 4, "D evaluations");
    }
    /* Community level: a4 and c1 (street cases) have no community: they fall into group 0. */
    p.region_level = "community";
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute community: %s", e.msg);
    const struct assess_row *C1 = find(rows, n, w.C1);
    none = find(rows, n, 0);
    if (C1 && none) {
        CHECK_INT_EQ(C1->dispatched, 2, "C1 dispatched (a1 grid, a2)");
        CHECK_INT_EQ(none->dispatched, 5, "a3, a4, b1, b2, c1 have no community");
    }
    arena_release(&a);
    store_close(w.st);
}

TEST(assess_empty_period_and_bad_params)
{
    struct world w;
    struct arena a;
    struct err e = ERR_INIT;
    struct assess_row *rows;
    size_t n = 99;
    build(&w, "assess_empty.db");
    arena_init(&a, 1024);
    struct assess_params p = params(ASSESS_BY_DEPARTMENT);
    p.from = D(100);
    p.to = D(130);
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute: %s", e.msg);
    /* No activity: only the backlog left at its end (a3, a4 at A; c1 at C), all overdue by
     * then (the deadlines d+40, d+20, d+16 are before d+130). */
    CHECK_INT_EQ(n, 2, "no activity, only the backlog");
    const struct assess_row *A = find(rows, n, w.A), *C = find(rows, n, w.C);
    CHECK(A && C && A->dispatched == 0 && A->backlog == 2 && A->backlog_overdue == 2 &&
              C->backlog == 1 && C->backlog_overdue == 1,
          "backlog rows");
    p.from = D(-100);
    p.to = D(-50);
    CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), 0, "compute: %s", e.msg);
    CHECK_INT_EQ(n, 0, "before any case, no rows");

    static const struct {
        const char *field;
        int64_t from, to;
        double k, w0;
        const char *level;
    } bad[] = {
        {"from", 0, D(1), 0.9, 0.1, NULL},    {"to", D(2), D(1), 0.9, 0.1, NULL},
        {"to", D(1), D(1), 0.9, 0.1, NULL},   {"k", T0, D(1), 1.5, 0.1, NULL},
        {"k", T0, D(1), -0.1, 0.1, NULL},     {"k", T0, D(1), NAN, 0.1, NULL},
        {"weights", T0, D(1), 0.9, -1, NULL}, {"level", T0, D(1), 0.9, 0.1, "province"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        p = params(ASSESS_BY_REGION);
        p.from = bad[i].from;
        p.to = bad[i].to;
        p.k = bad[i].k;
        p.weights[0] = bad[i].w0;
        p.region_level = bad[i].level;
        err_clear(&e);
        CHECK_INT_EQ(assess_compute(w.c, &p, &a, &rows, &n, &e), ERR_BAD_REQUEST, "bad %zu", i);
        CHECK_STR_EQ(e.field, bad[i].field, "bad %zu names its field", i);
    }
    p = params(ASSESS_BY_DEPARTMENT);
    memset(p.weights, 0, sizeof(p.weights));
    CHECK_INT_EQ(assess_check(&p, &e), ERR_BAD_REQUEST, "all-zero weights");
    CHECK_STR_EQ(e.field, "weights", "names weights");
    arena_release(&a);
    store_close(w.st);
}

TEST(assess_parse_weights)
{
    double w[ASSESS_TERMS];
    CHECK_INT_EQ(assess_parse_weights("0.10,0.50,0.40", w), 0, "three");
    CHECK(w[0] == 0.10 && w[1] == 0.50 && w[2] == 0.40 && w[3] == 0, "values %g %g %g %g", w[0],
          w[1], w[2], w[3]);
    CHECK_INT_EQ(assess_parse_weights("30, 35, 35, 10", w), 0, "four, spaces");
    CHECK(w[0] == 30 && w[3] == 10, "values");
    static const char *const bad[] = {
        "",        "0.1,0.5",      "0.1,0.5,0.4,0.1,0.1", "0.1,,0.4",
        "a,b,c",   "0.1,0.5,-0.4", "0.1,0.5,0.4,",        "0.1;0.5;0.4",
        "inf,1,1", "nan,1,1"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK_INT_EQ(assess_parse_weights(bad[i], w), -1, "'%s' refused", bad[i]);
}
