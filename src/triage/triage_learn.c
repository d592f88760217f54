/*
 * Where training examples come from: the cases themselves. A closed case's category is the
 * one it was handled under, the best label there is; a case still open counts once a
 * dispatcher has classified it. Cancelled and merged cases teach nothing.
 */
#include <errno.h>
#include <stdio.h>
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

int triage_train_from_db(struct store_conn *c, const char *path, const char *actor, int64_t now,
                         char *version, size_t *examples, int *labels, struct err *err)
{
    struct arena a;
    const char **texts, **lbls;
    size_t n;
    struct triage_model *m = NULL;
    struct triage_train_opts opts = {.threads = 1};
    char tmp[4096];
    int rc;
    arena_init(&a, 1 << 16);
    if ((rc = triage_examples_load(c, &a, &texts, &lbls, &n, err)) < 0)
        goto out;
    if ((rc = triage_train(texts, lbls, n, &opts, &m, err)) < 0)
        goto out;
    /* Write beside the target and rename: a running server never reads half a file. */
    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        rc = err_set(err, ERR_BAD_REQUEST, "model path too long");
        goto out;
    }
    if ((rc = triage_model_save(m, tmp, err)) < 0)
        goto out;
    if (rename(tmp, path) != 0) {
        rc = err_set(err, ERR_IO, "cannot replace '%s': %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    snprintf(version, TRIAGE_LABEL_MAX, "%s", triage_model_version(m));
    *examples = n;
    *labels = triage_model_nlabels(m);
    struct triage_training t = {
        .at = now, .version = version, .examples = (int64_t)n, .labels = *labels, .actor = actor};
    rc = triage_training_record(c, &t, err);
out:
    triage_model_free(m);
    arena_release(&a);
    return rc;
}
