/*
 * What triage keeps in the database besides routing rules: the record of trainings, the
 * dispatcher examples' counts, and the recent cases hot topics are found in.
 */
#include <string.h>

#include "triage/triage.h"

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

struct training_row {
    struct arena *a;
    struct triage_training *t;
};

static int read_training(void *ctx, struct store_stmt *row)
{
    struct training_row *r = ctx;
    r->t->at = store_col_int(row, 0);
    r->t->version = arena_strdup(r->a, store_col_text(row, 1));
    r->t->examples = store_col_int(row, 2);
    r->t->labels = (int)store_col_int(row, 3);
    r->t->source = arena_strdup(r->a, store_col_text(row, 4));
    r->t->actor = arena_strdup(r->a, store_col_text(row, 5));
    return 0;
}

int triage_training_last(struct store_conn *c, struct arena *a, struct triage_training *out,
                         struct err *err)
{
    struct training_row r = {a, out};
    return store_one(
        c,
        "SELECT at, version, examples, labels, source, actor FROM triage_trainings ORDER BY id DESC LIMIT 1",
        STORE_NO_ARGS, read_training, &r, err);
}

int triage_training_record(struct store_conn *c, const struct triage_training *t, struct err *err)
{
    int64_t rc = store_run(
        c,
        "INSERT INTO triage_trainings(at, version, examples, labels, source, actor) VALUES (?, ?, ?, ?, ?, ?)",
        STORE_ARGS(store_i64(t->at), store_text(t->version), store_i64(t->examples),
                   store_i64(t->labels), store_text(t->source ? t->source : "db"),
                   store_text(t->actor)),
        err);
    return rc < 0 ? (int)rc : 0;
}

int triage_examples_count(struct store_conn *c, int64_t *examples, int64_t *corrected,
                          struct err *err)
{
    int rc;
    *examples = *corrected = 0;
    if ((rc = store_one_i64(c, "SELECT count(*) FROM triage_examples", STORE_NO_ARGS, examples,
                            err)) < 0 ||
        (rc = store_one_i64(c, "SELECT count(*) FROM triage_examples WHERE corrected <> 0",
                            STORE_NO_ARGS, corrected, err)) < 0)
        return rc;
    return 0;
}

typedef VEC(struct triage_hot_msg) hot_vec;

static int read_hot(void *ctx, struct store_stmt *row)
{
    hot_vec *v = ctx;
    struct triage_hot_msg *m = vec_push(v);
    m->id = store_col_int(row, 0);
    m->at = store_col_int(row, 1);
    m->author = arena_strdup(v->arena, store_col_text(row, 2));
    m->title = arena_strdup(v->arena, store_col_text(row, 3));
    m->text = arena_strdup(v->arena, store_col_text(row, 4));
    return 0;
}

int triage_hot_recent(struct store_conn *c, int64_t since, size_t max, struct arena *a,
                      struct triage_hot_msg **out, size_t *n, struct err *err)
{
    hot_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT id, created_at, CASE WHEN citizen_phone_hash <> '' THEN citizen_phone_hash"
        " ELSE 'u' || coalesce(created_by, id) END, title, description FROM cases"
        " WHERE created_at >= ? AND state NOT IN ('cancelled', 'merged') ORDER BY id DESC LIMIT ?",
        STORE_ARGS(store_i64(since), store_i64((int64_t)max)), read_hot, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---- the public register of automatic decisions (自动化决策公示) ---- */

struct class_rows {
    struct arena *a;
    VEC(struct triage_class_accuracy) v;
};

static int read_class(void *ctx, struct store_stmt *row)
{
    struct class_rows *r = ctx;
    struct triage_class_accuracy *k = vec_push(&r->v);
    k->id = store_col_int(row, 0);
    k->name = arena_strdup(r->a, store_col_text(row, 1));
    k->n = store_col_int(row, 2);
    k->right = store_col_int(row, 3);
    return 0;
}

static int classes(struct store_conn *c, const char *sql, int64_t since, struct arena *a,
                   struct triage_class_accuracy **out, size_t *n, struct err *err)
{
    struct class_rows r = {a, VEC_IN(a)};
    int64_t rc = store_all(c, sql, STORE_ARGS(store_i64(since)), read_class, &r, err);
    if (rc < 0)
        return (int)rc;
    *out = r.v.v;
    *n = r.v.n;
    return 0;
}

int triage_category_accuracy(struct store_conn *c, int64_t since, struct arena *a,
                             struct triage_class_accuracy **out, size_t *n, struct err *err)
{
    /* The latest classification of each case (a case reclassified counts once, as it ended). */
    return classes(
        c,
        "SELECT e.category_id, k.name, count(*), sum(CASE WHEN e.corrected = 0 THEN 1 ELSE 0 END)"
        " FROM triage_examples e JOIN categories k ON k.id = e.category_id"
        " WHERE e.at >= ? AND e.suggested_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
        " triage_examples x WHERE x.case_id = e.case_id AND x.id > e.id)"
        " GROUP BY e.category_id, k.name ORDER BY count(*) DESC, e.category_id",
        since, a, out, n, err);
}

struct week_rows {
    struct arena *a;
    VEC(struct triage_week_accuracy) v;
};

static int read_week(void *ctx, struct store_stmt *row)
{
    struct week_rows *r = ctx;
    struct triage_week_accuracy *k = vec_push(&r->v);
    /* Week number since the Monday before the epoch (1970-01-01 was a Thursday), Beijing days. */
    k->week = (store_col_int(row, 0) * 7 - 3) * 86400 - 28800;
    k->category_id = store_col_int(row, 1);
    k->code = arena_strdup(r->a, store_col_text(row, 2));
    k->name = arena_strdup(r->a, store_col_text(row, 3));
    k->n = store_col_int(row, 4);
    k->kept = store_col_int(row, 5);
    return 0;
}

int triage_weekly_accuracy(struct store_conn *c, int64_t from, int64_t to, const char *within,
                           struct arena *a, struct triage_week_accuracy **out, size_t *n,
                           struct err *err)
{
    struct week_rows r = {a, VEC_IN(a)};
    int64_t rc = store_all(
        c,
        "SELECT ((e.at + 28800) / 86400 + 3) / 7, e.category_id, k.code, k.name, count(*),"
        " sum(CASE WHEN e.category_id = e.suggested_id THEN 1 ELSE 0 END)"
        " FROM triage_examples e JOIN categories k ON k.id = e.category_id"
        " JOIN cases c ON c.id = e.case_id"
        " WHERE e.at >= ? AND e.at < ? AND e.suggested_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM triage_examples x WHERE x.case_id = e.case_id AND x.id > e.id)"
        " AND (? IS NULL OR substr(c.region_code, 1, length(?)) = ?)"
        " GROUP BY 1, e.category_id, k.code, k.name ORDER BY 1, e.category_id",
        STORE_ARGS(store_i64(from), store_i64(to), store_text(within), store_text(within),
                   store_text(within)),
        read_week, &r, err);
    if (rc < 0)
        return (int)rc;
    *out = r.v.v;
    *n = r.v.n;
    return 0;
}

int triage_route_accuracy(struct store_conn *c, int64_t since, struct arena *a,
                          struct triage_class_accuracy **out, size_t *n, struct err *err)
{
    return classes(
        c,
        "SELECT c.lead_department_id, d.name, count(*), sum(CASE WHEN c.lead_department_id ="
        " c.triage_department_id THEN 1 ELSE 0 END)"
        " FROM cases c JOIN departments d ON d.id = c.lead_department_id"
        " WHERE c.created_at >= ? AND c.triage_department_id IS NOT NULL"
        " GROUP BY c.lead_department_id, d.name ORDER BY count(*) DESC, c.lead_department_id",
        since, a, out, n, err);
}

static int read_counts(void *ctx, struct store_stmt *row)
{
    struct triage_decisions *out = ctx;
    out->classified = store_col_int(row, 0);
    out->applied = store_col_int(row, 1);
    out->routed = store_col_int(row, 2);
    return 0;
}

int triage_decision_count(struct store_conn *c, int64_t since, struct triage_decisions *out,
                          struct err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    /* The cases of the window once (a month of a large city is a million rows): what triage
     * suggested, and which suggested categories stood without a dispatcher naming one. */
    if ((rc = store_one(c,
                        "SELECT count(triage_category_id), coalesce(sum(CASE WHEN"
                        " category_id = triage_category_id AND NOT EXISTS (SELECT 1 FROM"
                        " triage_examples x WHERE x.case_id = cases.id) THEN 1 ELSE 0 END), 0),"
                        " count(triage_department_id) FROM cases WHERE created_at >= ?",
                        STORE_ARGS(store_i64(since)), read_counts, out, err)) < 0)
        return rc;
    /* A triage event is written for every case triage ran on (at intake); its payload's
     * urgency rules are those that fired ("rules":[] when none did). */
    if ((rc = store_one_i64(c,
                            "SELECT count(*) FROM case_events WHERE action = 'triage' AND at >= ?"
                            " AND payload LIKE '%\"rules\":[\"%'",
                            STORE_ARGS(store_i64(since)), &out->urgent, err)) < 0 ||
        (rc =
             store_one_i64(c, "SELECT count(*) FROM case_events WHERE action = 'merge' AND at >= ?",
                           STORE_ARGS(store_i64(since)), &out->merged, err)) < 0 ||
        (rc =
             store_one_i64(c, "SELECT count(*) FROM case_events WHERE action = 'reply' AND at >= ?",
                           STORE_ARGS(store_i64(since)), &out->replies, err)) < 0)
        return rc;
    return 0;
}
