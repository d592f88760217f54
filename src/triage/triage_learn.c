/*
 * Where training examples come from: the cases themselves. A closed case's category is the
 * one it was handled under, the best label there is; a case still open counts once a
 * dispatcher has classified it. Cancelled and merged cases teach nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"
#include "triage/triage.h"

int triage_examples_load(struct store_conn *c, struct arena *a, const char ***texts,
                         const char ***labels, size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 256;
    int rc = store_prepare(
        c,
        "SELECT x.title || ' ' || x.description, k.code FROM cases x JOIN categories k ON k.id = x.category_id"
        " WHERE x.state = 'closed'"
        " UNION ALL "
        "SELECT x.title || ' ' || x.description, k.code FROM triage_examples e"
        " JOIN (SELECT case_id, max(id) AS id FROM triage_examples GROUP BY case_id) l ON l.id = e.id"
        " JOIN cases x ON x.id = e.case_id JOIN categories k ON k.id = e.category_id"
        " WHERE x.state NOT IN ('closed', 'cancelled', 'merged')",
        STORE_NO_ARGS, &s, err);
    if (rc < 0)
        return rc;
    *n = 0;
    *texts = arena_alloc(a, cap * sizeof(char *));
    *labels = arena_alloc(a, cap * sizeof(char *));
    while ((rc = store_step(s, err)) == 1) {
        if (*n == cap) {
            const char **t = arena_alloc(a, mem_size_mul(cap * 2, sizeof(char *)));
            const char **l = arena_alloc(a, mem_size_mul(cap * 2, sizeof(char *)));
            memcpy(t, *texts, cap * sizeof(char *));
            memcpy(l, *labels, cap * sizeof(char *));
            *texts = t;
            *labels = l;
            cap *= 2;
        }
        (*texts)[*n] = arena_strdup(a, store_col_text(s, 0));
        (*labels)[*n] = arena_strdup(a, store_col_text(s, 1));
        (*n)++;
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

/* A stable side for each example: the same text is always held out or always trained on,
 * so no model trained from the database has seen the examples every later retraining is
 * measured on, and the current model's score on them is as honest as the candidate's. */
static int held_out(const char *text)
{
    uint64_t h = 14695981039346656037u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h % TRIAGE_HOLDOUT_EVERY == 0;
}

static double accuracy(const struct triage_model *m, const char *const *texts,
                       const char *const *labels, size_t n)
{
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        struct triage_result r;
        if (triage_classify(m, texts[i], &r) == 0 &&
            strcmp(triage_model_label(m, r.label), labels[i]) == 0)
            right++;
    }
    return n ? (double)right / (double)n : 0;
}

/* The model at 'path' (NULL when there is none or it does not load: nothing to compare with,
 * nothing to keep). */
static struct triage_model *load_current(const char *path)
{
    struct triage_model *m = NULL;
    struct err ignore = ERR_INIT;
    if (access(path, F_OK) != 0 || triage_model_load(path, &m, &ignore) < 0)
        return NULL;
    return m;
}

char *triage_previous_path(const char *path)
{
    size_t n = strlen(path) + sizeof(".prev");
    char *out = xmalloc(n);
    snprintf(out, n, "%s.prev", path);
    return out;
}

int triage_train_from_db(struct store_conn *c, const char *path, const char *actor, int64_t now,
                         const struct triage_check *check, struct triage_retrain *out,
                         struct err *err)
{
    struct arena a;
    const char **texts, **lbls, **ht, **hl, **tt, **tl;
    size_t n, nh = 0, nt = 0;
    struct triage_model *m = NULL, *cur = NULL;
    struct triage_train_opts opts = {.threads = 1};
    char *prev = triage_previous_path(path);
    int rc;
    memset(out, 0, sizeof(*out));
    out->current_accuracy = -1;
    out->accuracy = -1;
    arena_init(&a, 1 << 16);
    if ((rc = triage_examples_load(c, &a, &texts, &lbls, &n, err)) < 0)
        goto out;
    if (n < check->min_examples) {
        rc = err_set(err, ERR_CONFLICT,
                     "retraining needs at least %zu examples (closed or classified cases), the "
                     "database has %zu; the model was not replaced",
                     check->min_examples, n);
        goto out;
    }
    ht = arena_alloc(&a, mem_size_mul(n ? n : 1, sizeof(char *)));
    hl = arena_alloc(&a, mem_size_mul(n ? n : 1, sizeof(char *)));
    tt = arena_alloc(&a, mem_size_mul(n ? n : 1, sizeof(char *)));
    tl = arena_alloc(&a, mem_size_mul(n ? n : 1, sizeof(char *)));
    for (size_t i = 0; i < n; i++) {
        if (held_out(texts[i])) {
            ht[nh] = texts[i];
            hl[nh++] = lbls[i];
        } else {
            tt[nt] = texts[i];
            tl[nt++] = lbls[i];
        }
    }
    /* Too few held out to measure anything (only when the minimum was lowered): train on all. */
    if (nh < TRIAGE_HOLDOUT_MIN) {
        tt = texts;
        tl = lbls;
        nt = n;
        nh = 0;
    }
    if ((rc = triage_train(tt, tl, nt, &opts, &m, err)) < 0)
        goto out;
    cur = load_current(path);
    if (cur)
        snprintf(out->previous, sizeof(out->previous), "%s", triage_model_version(cur));
    if (nh) {
        out->held_out = nh;
        out->accuracy = accuracy(m, ht, hl, nh);
        if (cur) {
            out->current_accuracy = accuracy(cur, ht, hl, nh);
            if (out->accuracy * 1000 < out->current_accuracy * 1000 - check->max_drop_permille) {
                rc = err_set(err, ERR_CONFLICT,
                             "the retrained model is right on %.1f%% of %zu held-out cases, the "
                             "current one on %.1f%% (at most %.1f points lower is accepted); the "
                             "model was not replaced",
                             out->accuracy * 100, nh, out->current_accuracy * 100,
                             check->max_drop_permille / 10.0);
                goto out;
            }
        }
    }
    /* Keep the model being replaced, for triage_rollback. */
    if (cur && (rc = triage_model_save(cur, prev, err)) < 0)
        goto out;
    if ((rc = triage_model_save(m, path, err)) < 0)
        goto out;
    snprintf(out->version, sizeof(out->version), "%s", triage_model_version(m));
    out->examples = nt;
    out->labels = triage_model_nlabels(m);
    struct triage_training t = {.at = now,
                                .version = out->version,
                                .examples = (int64_t)nt,
                                .labels = out->labels,
                                .source = "db",
                                .actor = actor};
    rc = triage_training_record(c, &t, err);
out:
    triage_model_free(m);
    triage_model_free(cur);
    free(prev);
    arena_release(&a);
    return rc;
}

int triage_rollback(struct store_conn *c, const char *path, const char *actor, int64_t now,
                    struct triage_retrain *out, struct err *err)
{
    struct triage_model *back = NULL, *cur = NULL;
    char *prev = triage_previous_path(path);
    int rc;
    memset(out, 0, sizeof(*out));
    out->current_accuracy = out->accuracy = -1;
    if (access(prev, F_OK) != 0) {
        rc = err_set(err, ERR_CONFLICT, "there is no previous model to roll back to");
        goto out;
    }
    if ((rc = triage_model_load(prev, &back, err)) < 0)
        goto out;
    cur = load_current(path);
    if ((rc = triage_model_save(back, path, err)) < 0)
        goto out;
    /* The replaced model becomes the previous one: a rollback can itself be rolled back. */
    if (cur)
        rc = triage_model_save(cur, prev, err);
    else if (unlink(prev) != 0)
        rc = err_set(err, ERR_IO, "cannot remove '%s': %s", prev, strerror(errno));
    if (rc < 0)
        goto out;
    snprintf(out->version, sizeof(out->version), "%s", triage_model_version(back));
    if (cur)
        snprintf(out->previous, sizeof(out->previous), "%s", triage_model_version(cur));
    out->labels = triage_model_nlabels(back);
    int64_t examples = 0;
    struct err ignore = ERR_INIT;
    if (store_one_i64(c,
                      "SELECT examples FROM triage_trainings WHERE version = ? ORDER BY id DESC "
                      "LIMIT 1",
                      STORE_ARGS(store_text(out->version)), &examples, &ignore) < 0)
        examples = 0;
    out->examples = (size_t)examples;
    struct triage_training t = {.at = now,
                                .version = out->version,
                                .examples = examples,
                                .labels = out->labels,
                                .source = "rollback",
                                .actor = actor};
    rc = triage_training_record(c, &t, err);
out:
    triage_model_free(back);
    triage_model_free(cur);
    free(prev);
    return rc;
}
