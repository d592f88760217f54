/*
 * libFuzzer target: the hot-topic TSV reader, then clustering of whatever it accepted; and
 * the same bytes as citizen text through the urgency rules and the duplicate index.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "triage/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct err err = ERR_INIT;
    struct arena a;
    struct triage_hot_msg *msgs = NULL;
    size_t n = 0;
    static const struct triage_hot_columns short_cols = {"t", "t", "d", "u", "l", "i"};

    arena_init(&a, 0);
    for (int pass = 0; pass < 2; pass++) {
        if (triage_hot_read_tsv(s, size, pass ? &short_cols : NULL, &a, &msgs, &n, &err) == 0) {
            struct triage_hot_topic *t;
            int nt;
            struct triage_hot_opts o = {0, 0.2, 2, 5};
            if (triage_hot(msgs, n, &o, &a, &t, &nt, &err) != 0 || nt < 0 || nt > 5)
                abort();
            for (int i = 0; i < nt; i++)
                if (t[i].count < 2 || t[i].nids != t[i].count || !t[i].title ||
                    t[i].first_at > t[i].last_at)
                    abort();
        } else if (msgs || n || err.code == 0) {
            abort();
        }
    }
    arena_release(&a);

    struct triage_urgency u;
    triage_urgency(s, &u);
    if (u.level < 0 || u.level > 2 || u.score < 0 || u.score > 1 || u.nrules > TRIAGE_URGENCY_RULES)
        abort();

    struct triage_dup_index *ix = triage_dup_new(NULL);
    struct triage_dup_hit hits[4];
    /* The input as text and as address, at a place: every signal is exercised. */
    struct triage_dup_case c = {1, 0, 1, 28.2, 112.9, s, s, 7};
    triage_dup_add(ix, &c);
    int nh = triage_dup_query(ix, &c, hits, 4);
    if (nh < 0 || nh > 1 || (nh == 1 && (hits[0].score != 1.0 || hits[0].place != 1.0)))
        abort();
    triage_dup_remove(ix, 1);
    if (triage_dup_count(ix) != 0)
        abort();
    triage_dup_free(ix);
    free(s);
    return 0;
}
