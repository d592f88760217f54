/*
 * Where training examples come from: the cases themselves. A closed case's category is the
 * one it was handled under, the best label there is; a case still open counts once a
 * dispatcher has classified it. Cancelled and merged cases teach nothing.
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"
#include "triage/triage.h"

int triage_examples_load(struct store_conn *c, struct arena *a, const char ***texts, const char ***labels,
                         size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 256;
    int rc = store_prepare(c, "SELECT x.title || ' ' || x.description, k.code FROM cases x JOIN categories k ON k.id = x.category_id"
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
