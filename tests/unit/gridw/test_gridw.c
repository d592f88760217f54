/*
 * Tests for src/gridw's pure parts: the on-duty test in local time, the cost of a task for a
 * worker (skills, load cap, own grid), and the batch assignment against an exhaustive search
 * on small random instances (minimum total cost, caps kept, as many tasks placed as possible).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gridw/gridw.h"
#include "test.h"

/* 2026-12-07 was a Monday: 00:00 Asia/Shanghai is 2026-12-06 16:00 UTC. */
#define MON0 1796572800LL

TEST(gridw_on_duty_local_time)
{
    struct gridw_shift s[] = {{1, 8 * 60, 17 * 60}, {7, 20 * 60, 1440}};
    CHECK_INT_EQ(gridw_on_duty(s, 2, MON0 + 9 * 3600), 1, "%s", "check");
    CHECK_INT_EQ(gridw_on_duty(s, 2, MON0 + 7 * 3600 + 59 * 60), 0, "%s", "check");
    CHECK_INT_EQ(gridw_on_duty(s, 2, MON0 + 17 * 3600), 0, "the end minute is off duty");
    CHECK_INT_EQ(gridw_on_duty(s, 2, MON0 + 86400 + 9 * 3600), 0, "Tuesday has no shift");
    CHECK_INT_EQ(gridw_on_duty(s, 2, MON0 - 3600), 1, "Sunday 23:00");
    CHECK_INT_EQ(gridw_on_duty(s, 2, MON0 - 5 * 3600), 0, "Sunday 19:00");
}

TEST(gridw_cost_rules)
{
    const char *skills[] = {"01"};
    int64_t grids[] = {7};
    struct gridw_pool_worker w = {NULL, 30.0, 120.0, 1, 2, 3, grids, 1, skills, 1};
    struct gridw_task t = {0, 30.01, 120.0, 7, 0, 0, "0103"};
    struct gridw_reason r;
    CHECK_INT_EQ(gridw_cost(&w, &t, &r), 1, "%s", "check");
    CHECK_INT_EQ(r.own_grid, 1, "%s", "r.own_grid");
    CHECK_INT_EQ(r.skilled, 1, "%s", "r.skilled");
    CHECK(fabs(r.distance_m - 1112 * GRIDW_DETOUR) < 5, "distance %f", r.distance_m);
    CHECK(fabs(r.cost - (r.travel_min + 2 * GRIDW_WAIT_PER_TASK_MIN)) < 1e-9, "cost %f", r.cost);
    t.category_code = "0201";
    CHECK_INT_EQ(gridw_cost(&w, &t, &r), 0, "not skilled for 0201");
    t.category_code = "0103";
    t.region_id = 8;
    CHECK_INT_EQ(gridw_cost(&w, &t, &r), 1, "%s", "check");
    CHECK_INT_EQ(r.own_grid, 0, "%s", "r.own_grid");
    t.region_parent_id = 7;
    CHECK_INT_EQ(gridw_cost(&w, &t, &r), 1, "%s", "check");
    CHECK_INT_EQ(r.own_grid, 1, "a micro-grid of the worker's grid is their own");
    w.load = 3;
    CHECK_INT_EQ(gridw_cost(&w, &t, &r), 0, "full");
    w.load = 0;
    w.nskills = 0;
    CHECK_INT_EQ(gridw_cost(&w, &t, &r), 1, "%s", "check");
    CHECK_INT_EQ(r.skilled, 0, "%s", "r.skilled");
}

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) & 0xffffff;
}

/* Exhaustive: the most tasks placed, and the cheapest assignment of the tasks in 'set' (those
 * the solver placed: when the caps cannot take every task, earlier tasks come first). */
static void brute(const struct gridw_pool_worker *w, int W, const struct gridw_task *t, int T,
                  int cap, int i, int *used, double sum, int placed, int *best_placed,
                  double *best_cost, const int *set)
{
    if (i == T) {
        int same = 1;
        for (int k = 0; k < T; k++)
            same &= (set[k] >= 0) == (used[W + k] >= 0);
        if (placed > *best_placed)
            *best_placed = placed;
        if (same && sum < *best_cost - 1e-9)
            *best_cost = sum;
        return;
    }
    used[W + i] = -1;
    brute(w, W, t, T, cap, i + 1, used, sum, placed, best_placed, best_cost, set);
    for (int k = 0; k < W; k++) {
        struct gridw_reason r;
        int room = w[k].max_load - (int)w[k].load;
        if (cap && cap < room)
            room = cap;
        if (used[k] >= room || !gridw_cost(&w[k], &t[i], &r))
            continue;
        used[k]++;
        used[W + i] = k;
        brute(w, W, t, T, cap, i + 1, used, sum + r.cost, placed + 1, best_placed, best_cost, set);
        used[W + i] = -1;
        used[k]--;
    }
}

TEST(gridw_batch_is_optimal_on_small_instances)
{
    const char *sk[] = {"01"};
    for (int round = 0; round < 60; round++) {
        int W = 2 + (int)(rnd() % 3), T = 2 + (int)(rnd() % 5), cap = (int)(rnd() % 3);
        struct gridw_pool_worker w[4];
        struct gridw_task t[6];
        int64_t grids[4];
        for (int k = 0; k < W; k++) {
            grids[k] = k + 1;
            w[k] = (struct gridw_pool_worker){NULL,
                                              30 + (rnd() % 1000) / 1e4,
                                              120 + (rnd() % 1000) / 1e4,
                                              1,
                                              (int64_t)(rnd() % 2),
                                              2 + (int)(rnd() % 2),
                                              &grids[k],
                                              1,
                                              sk,
                                              rnd() % 4 == 0};
        }
        for (int i = 0; i < T; i++)
            t[i] = (struct gridw_task){0,
                                       30 + (rnd() % 1000) / 1e4,
                                       120 + (rnd() % 1000) / 1e4,
                                       1 + (int64_t)(rnd() % 4),
                                       0,
                                       0,
                                       rnd() % 3 == 0 ? "02" : "0101"};
        int assign[6], used[10] = {0}, best_placed = -1;
        double cost[6], best_cost = DBL_MAX, sum = 0;
        int placed = gridw_batch_solve(w, (size_t)W, t, (size_t)T, cap, assign, cost, NULL);
        brute(w, W, t, T, cap, 0, used, 0, 0, &best_placed, &best_cost, assign);
        int count[4] = {0}, n = 0;
        for (int i = 0; i < T; i++)
            if (assign[i] >= 0) {
                struct gridw_reason r;
                CHECK(gridw_cost(&w[assign[i]], &t[i], &r), "round %d: task %d may go there", round,
                      i);
                CHECK(fabs(r.cost - cost[i]) < 1e-9, "round %d: reported cost", round);
                count[assign[i]]++;
                sum += r.cost;
                n++;
            }
        for (int k = 0; k < W; k++) {
            int room = w[k].max_load - (int)w[k].load;
            if (cap && cap < room)
                room = cap;
            CHECK(count[k] <= room, "round %d: worker %d over the cap (%d > %d)", round, k,
                  count[k], room);
        }
        CHECK_INT_EQ(placed, n, "%s", "placed");
        CHECK_INT_EQ(placed, best_placed, "round %d: as many placed as possible", round);
        CHECK(fabs(sum - best_cost) < 1e-6, "round %d: cost %f, best %f", round, sum, best_cost);
    }
}
