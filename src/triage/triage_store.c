/*
 * What triage keeps in the database besides routing rules: the record of trainings, the
 * dispatcher examples' counts, and the recent cases hot topics are found in.
 */
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
