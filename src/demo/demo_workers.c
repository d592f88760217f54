/*
 * The demo's grid workers (issue 15): every grid of the database gets a full-time worker on
 * day duty, and every grid numbered 1 or 4 within its community (a third of them) a second,
 * part-time one on night duty with a narrower set of skills, so that some worker is on duty at
 * any hour in every community. The existing account grid_worker becomes the full-time worker of
 * its own grid. Everything goes through auth and gridw, like data entered in the screens.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "gridw/gridw.h"
#include "store/store.h"

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴",
                                       "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"};
static const char *const given[] = {"建国", "秀英", "志强", "丽华", "伟", "芳",   "敏",   "静",
                                    "磊",   "洋",   "艳",   "勇",   "军", "杰",   "娟",   "涛",
                                    "明",   "超",   "霞",   "平",   "刚", "桂英", "海燕", "晓东"};

/* Day duty 08:00-20:00 every day; night duty 20:00-08:00 (two rows a day: no shift crosses
 * midnight). */
static size_t day_shifts(struct gridw_shift *s)
{
    for (int d = 0; d < 7; d++)
        s[d] = (struct gridw_shift){d + 1, 8 * 60, 20 * 60};
    return 7;
}

static size_t night_shifts(struct gridw_shift *s)
{
    for (int d = 0; d < 7; d++) {
        s[2 * d] = (struct gridw_shift){d + 1, 0, 8 * 60};
        s[2 * d + 1] = (struct gridw_shift){d + 1, 20 * 60, 1440};
    }
    return 14;
}

struct grid_row {
    int64_t id;
    char *code, *name;
};

struct grids {
    struct arena *a;
    struct grid_row *v;
    size_t n, cap;
};

static int read_grid(void *ctx, struct store_stmt *s)
{
    struct grids *g = ctx;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 128;
        struct grid_row *v = arena_alloc(g->a, mem_size_mul(cap, sizeof(*v)));
        if (g->n)
            memcpy(v, g->v, g->n * sizeof(*v));
        g->v = v;
        g->cap = cap;
    }
    struct grid_row *r = &g->v[g->n++];
    r->id = store_col_int(s, 0);
    r->code = arena_strdup(g->a, store_col_text(s, 1));
    r->name = arena_strdup(g->a, store_col_text(s, 2));
    return 0;
}

/* The grid's number within its community: the trailing digits of its code. */
static int grid_number(const char *code)
{
    size_t n = strlen(code);
    int v = 0, mul = 1;
    for (size_t i = n; i > 0 && i + 2 > n && code[i - 1] >= '0' && code[i - 1] <= '9'; i--) {
        v += (code[i - 1] - '0') * mul;
        mul *= 10;
    }
    return v;
}

static int add_worker(struct store_conn *c, struct arena *a, const char *name, const char *display,
                      const struct grid_row *g, const char *post, const int64_t *skills,
                      size_t nskills, int night, const char *password, const char *hash,
                      const unsigned char *key, int64_t now, int *count, struct err *err)
{
    int64_t id = 0;
    int rc = store_one_i64(c, "SELECT id FROM users WHERE name = ?", STORE_ARGS(store_text(name)),
                           &id, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        struct auth_user_input in = {0};
        in.name = name;
        in.display_name = display;
        in.password = password;
        in.password_hash = hash;
        in.demo_password = 1;
        in.roles = ROLE_GRID_WORKER;
        in.region_code = g->code;
        in.phone = arena_printf(a, "1390000%04d", 1000 + *count);
        in.data_key = key;
        if ((rc = auth_user_create(c, &in, now, &id, err)) < 0)
            return err_set(err, rc, "user %s: %s", name, err->msg);
    }
    struct gridw_shift shifts[14];
    struct gridw_worker_in w = {0};
    w.post = post;
    w.active = 1;
    w.max_load = night ? 4 : 8;
    w.grid_ids = &g->id;
    w.ngrids = 1;
    w.skill_ids = skills;
    w.nskills = nskills;
    w.shifts = shifts;
    w.nshifts = night ? night_shifts(shifts) : day_shifts(shifts);
    if ((rc = gridw_worker_save(c, id, &w, 0, now, NULL, err)) < 0)
        return err_set(err, rc, "grid worker %s: %s", name, err->msg);
    (*count)++;
    return 0;
}

int demo_grid_workers(struct store *st, const char *password, const unsigned char key[32],
                      int64_t now, int *count, struct err *err)
{
    struct store_conn *c;
    struct arena a;
    char hash[256];
    int rc;
    *count = 0;
    if ((rc = auth_password_hash(password, hash, sizeof(hash), err)) < 0)
        return rc;
    if ((rc = store_conn(st, &c, err)) < 0)
        return rc;
    arena_init(&a, 16384);
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    struct grids g = {.a = &a};
    int64_t got =
        store_all(c, "SELECT id, code, name FROM regions WHERE level = 'grid' ORDER BY code",
                  STORE_NO_ARGS, read_grid, &g, err);
    if (got < 0) {
        rc = (int)got;
        goto rollback;
    }
    /* Night workers handle what a night round meets: 市容环境, 市政设施, 水电气暖. */
    int64_t skills[3];
    size_t nskills = 0;
    static const char *const night_codes[] = {"01", "02", "06"};
    for (size_t i = 0; i < 3; i++) {
        int64_t id;
        if ((rc = store_one_i64(c, "SELECT id FROM categories WHERE code = ?",
                                STORE_ARGS(store_text(night_codes[i])), &id, err)) < 0)
            goto rollback;
        if (rc == 1)
            skills[nskills++] = id;
    }
    int64_t own = 0; /* the grid of the account grid_worker */
    if ((rc =
             store_one_i64(c, "SELECT coalesce(region_id, 0) FROM users WHERE name = 'grid_worker'",
                           STORE_NO_ARGS, &own, err)) < 0)
        goto rollback;
    for (size_t i = 0; i < g.n; i++) {
        const struct grid_row *r = &g.v[i];
        size_t k = i * 2;
        const char *person = arena_printf(&a, "%s%s", surnames[k % 20], given[k % 24]);
        const char *name = r->id == own ? "grid_worker" : arena_printf(&a, "gw_%s", r->code);
        if ((rc = add_worker(c, &a, name, arena_printf(&a, "%s（%s 专职网格员）", person, r->name),
                             r, "full_time", NULL, 0, 0, password, hash, key, now, count, err)) < 0)
            goto rollback;
        int num = grid_number(r->code);
        if (num == 1 || num == 4) {
            person = arena_printf(&a, "%s%s", surnames[(k + 7) % 20], given[(k + 5) % 24]);
            if ((rc = add_worker(c, &a, arena_printf(&a, "gw_%s_n", r->code),
                                 arena_printf(&a, "%s（%s 兼职网格员·夜间）", person, r->name), r,
                                 "part_time", skills, nskills, 1, password, hash, key, now, count,
                                 err)) < 0)
                goto rollback;
        }
    }
    char *summary = arena_printf(&a, "{\"grid_workers\":%d}", *count);
    struct audit_entry e = {0, "gridloop init", "demo.grid_workers", "grid_worker", NULL, summary};
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
