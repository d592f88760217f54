#include "audit/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

void audit_digest(const char *text, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    if (!text) {
        snprintf(out, 65, "%s", "-");
        return;
    }
    crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* Every field goes in length-prefixed, so no two different entries hash the same text. */
static void feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[24];
    int n = snprintf(len, sizeof(len), "%zu:", strlen(s));
    crypto_hash_sha256_update(st, (const unsigned char *)len, (unsigned long long)n);
    crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

static void chain_hash(int64_t seq, int64_t at, int64_t actor_id, const char *actor_name,
                       const char *action, const char *target, const char *before_digest,
                       const char *after_digest, const char *prev_hash, char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    char num[64];
    crypto_hash_sha256_init(&st);
    feed(&st, prev_hash);
    snprintf(num, sizeof(num), "%lld/%lld/%lld", (long long)seq, (long long)at,
             (long long)actor_id);
    feed(&st, num);
    feed(&st, actor_name);
    feed(&st, action);
    feed(&st, target);
    feed(&st, before_digest);
    feed(&st, after_digest);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

int audit_append(struct store_conn *c, const struct audit_entry *e, int64_t now, struct err *err)
{
    struct store_stmt *s;
    char prev[65] = GENESIS, hash[65], before[65], after[65];
    int64_t seq = 1;
    int rc = store_prepare(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                           STORE_NO_ARGS, &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1) {
        seq = store_col_int(s, 0) + 1;
        snprintf(prev, sizeof(prev), "%s", store_col_text(s, 1));
    }
    store_done(s);
    if (rc < 0)
        return rc;
    const char *actor = e->actor_name ? e->actor_name : "system";
    audit_digest(e->before, before);
    audit_digest(e->after, after);
    chain_hash(seq, now, e->actor_id, actor, e->action, e->target, before, after, prev, hash);
    int64_t w = store_run(c,
                          "INSERT INTO audit_log(seq, at, actor_id, actor_name, action, target,"
                          " before_digest, after_digest, prev_hash, hash)"
                          " VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?)",
                          STORE_ARGS(store_i64(seq), store_i64(now), store_i64(e->actor_id),
                                     store_text(actor), store_text(e->action),
                                     store_text(e->target), store_text(before), store_text(after),
                                     store_text(prev), store_text(hash)),
                          err);
    return w < 0 ? (int)w : 0;
}

int audit_verify(struct store_conn *c, struct audit_report *rep, struct err *err)
{
    struct store_stmt *s;
    char prev[65] = GENESIS, want[65];
    int64_t expect_seq = 1;
    memset(rep, 0, sizeof(*rep));
    int rc = store_prepare(
        c,
        "SELECT seq, at, coalesce(actor_id, 0), actor_name, action, target, before_digest,"
        " after_digest, prev_hash, hash FROM audit_log ORDER BY seq",
        STORE_NO_ARGS, &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        int64_t seq = store_col_int(s, 0);
        rep->entries++;
        if (seq != expect_seq) {
            rep->first_bad_seq = expect_seq;
            snprintf(rep->reason, sizeof(rep->reason), "entry %lld is missing (next entry is %lld)",
                     (long long)expect_seq, (long long)seq);
            break;
        }
        if (strcmp(store_col_text(s, 8), prev) != 0) {
            rep->first_bad_seq = seq;
            snprintf(rep->reason, sizeof(rep->reason),
                     "entry %lld does not point at the hash of entry %lld", (long long)seq,
                     (long long)(seq - 1));
            break;
        }
        chain_hash(seq, store_col_int(s, 1), store_col_int(s, 2), store_col_text(s, 3),
                   store_col_text(s, 4), store_col_text(s, 5), store_col_text(s, 6),
                   store_col_text(s, 7), prev, want);
        if (strcmp(want, store_col_text(s, 9)) != 0) {
            rep->first_bad_seq = seq;
            snprintf(rep->reason, sizeof(rep->reason),
                     "entry %lld was altered: its content does not match its hash", (long long)seq);
            break;
        }
        memcpy(prev, want, sizeof(prev));
        expect_seq++;
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}

static int read_head(void *ctx, struct store_stmt *s)
{
    struct audit_head *h = ctx;
    h->seq = store_col_int(s, 0);
    snprintf(h->hash, sizeof(h->hash), "%s", store_col_text(s, 1));
    return 0;
}

int audit_head(struct store_conn *c, struct audit_head *out, struct err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = store_one_i64(c, "SELECT count(*) FROM audit_log", STORE_NO_ARGS, &out->entries,
                            err)) < 0 ||
        (rc = store_one(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                        STORE_NO_ARGS, read_head, out, err)) < 0)
        return rc;
    return 0;
}

typedef VEC(struct audit_row) audit_vec;

static int read_row(void *ctx, struct store_stmt *s)
{
    audit_vec *v = ctx;
    struct audit_row *r = vec_push(v);
    r->seq = store_col_int(s, 0);
    r->at = store_col_int(s, 1);
    r->actor_id = store_col_int(s, 2);
    r->actor_name = arena_strdup(v->arena, store_col_text(s, 3));
    r->action = arena_strdup(v->arena, store_col_text(s, 4));
    r->target = arena_strdup(v->arena, store_col_text(s, 5));
    r->before_digest = arena_strdup(v->arena, store_col_text(s, 6));
    r->after_digest = arena_strdup(v->arena, store_col_text(s, 7));
    r->hash = arena_strdup(v->arena, store_col_text(s, 8));
    return 0;
}

int audit_list(struct store_conn *c, int64_t before, int64_t limit, struct arena *a,
               struct audit_row **out, size_t *n, int64_t *total, struct err *err)
{
    audit_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT seq, at, coalesce(actor_id, 0), actor_name, action, target, before_digest,"
        " after_digest, hash FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        STORE_ARGS(store_i64(before), store_i64(limit)), read_row, &v, err);
    if (rc < 0 ||
        (rc = store_one_i64(c, "SELECT count(*) FROM audit_log", STORE_NO_ARGS, total, err)) < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}
