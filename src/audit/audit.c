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

/* ---------------------------------------------------------------- the anchor */

void audit_anchor_public_key(const unsigned char seed[32], unsigned char pk[32])
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(sk, sizeof(sk));
}

/* The signed text: everything before " sig=". */
static int anchor_body(const struct audit_anchor *a, char *out, size_t cap)
{
    char pk[65];
    sodium_bin2hex(pk, sizeof(pk), a->public_key, sizeof(a->public_key));
    return snprintf(out, cap, AUDIT_ANCHOR_PREFIX "seq=%lld hash=%s at=%lld key=%s",
                    (long long)a->seq, a->hash, (long long)a->at, pk);
}

int audit_anchor_sign(struct store_conn *c, const unsigned char seed[32], int64_t now,
                      struct audit_anchor *out, char line[AUDIT_ANCHOR_MAX], struct err *err)
{
    struct audit_head h = {0};
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    /* not audit_head(): its count(*) reads the whole log, and a head is signed every few
     * minutes and on every request of the endpoint */
    int rc = store_one(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                       STORE_NO_ARGS, read_head, &h, err);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof(*out));
    out->seq = h.seq;
    snprintf(out->hash, sizeof(out->hash), "%s", h.seq ? h.hash : GENESIS);
    out->at = now;
    crypto_sign_seed_keypair(out->public_key, sk, seed);
    int n = anchor_body(out, line, AUDIT_ANCHOR_MAX);
    crypto_sign_detached(out->sig, NULL, (const unsigned char *)line, (unsigned long long)n, sk);
    sodium_memzero(sk, sizeof(sk));
    char sig[129];
    sodium_bin2hex(sig, sizeof(sig), out->sig, sizeof(out->sig));
    snprintf(line + n, (size_t)(AUDIT_ANCHOR_MAX - n), " sig=%s", sig);
    return 0;
}

int audit_anchor_signed_by(const struct audit_anchor *a, const unsigned char pk[32])
{
    char body[AUDIT_ANCHOR_MAX];
    int n = anchor_body(a, body, sizeof(body));
    return crypto_sign_verify_detached(a->sig, (const unsigned char *)body, (unsigned long long)n,
                                       pk) == 0;
}

/* "NAME=" at *p, then a value up to the next space or the end: its start and length. */
static int field(const char **p, const char *end, const char *name, const char **v, size_t *n)
{
    size_t nl = strlen(name);
    if ((size_t)(end - *p) < nl + 1 || memcmp(*p, name, nl) != 0 || (*p)[nl] != '=')
        return -1;
    *v = *p + nl + 1;
    const char *e = *v;
    while (e < end && *e != ' ')
        e++;
    *n = (size_t)(e - *v);
    *p = e < end ? e + 1 : e;
    return *n ? 0 : -1;
}

static int parse_int(const char *v, size_t n, int64_t *out)
{
    int64_t x = 0;
    if (n == 0 || n > 18 || (n > 1 && v[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    *out = x;
    return 0;
}

/* Lowercase hex of exactly 'len' bytes. */
static int parse_hex(const char *v, size_t n, unsigned char *out, size_t len)
{
    if (n != 2 * len)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return -1;
    size_t got = 0;
    return sodium_hex2bin(out, len, v, n, NULL, &got, NULL) == 0 && got == len ? 0 : -1;
}

int audit_anchor_parse(const char *text, size_t len, struct audit_anchor *out, struct err *err)
{
    static const char prefix[] = AUDIT_ANCHOR_PREFIX;
    const size_t plen = sizeof(prefix) - 1;
    const char *p = NULL, *end = text + len, *v;
    size_t n;
    unsigned char hash[32];
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i + plen <= len && !p; i++)
        if (memcmp(text + i, prefix, plen) == 0)
            p = text + i + plen;
    if (!p)
        return err_field(err, ERR_BAD_REQUEST, "head",
                         "no signed audit head (a line with '" AUDIT_ANCHOR_PREFIX "...')");
    while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r' || end[-1] == '\t'))
        end--;
    if (field(&p, end, "seq", &v, &n) < 0 || parse_int(v, n, &out->seq) < 0)
        return err_field(err, ERR_BAD_REQUEST, "head", "signed head: 'seq' must be a number");
    if (field(&p, end, "hash", &v, &n) < 0 || parse_hex(v, n, hash, sizeof(hash)) < 0)
        return err_field(err, ERR_BAD_REQUEST, "head",
                         "signed head: 'hash' must be 64 lowercase hex digits");
    memcpy(out->hash, v, 64);
    out->hash[64] = '\0';
    if (field(&p, end, "at", &v, &n) < 0 || parse_int(v, n, &out->at) < 0)
        return err_field(err, ERR_BAD_REQUEST, "head", "signed head: 'at' must be a number");
    if (field(&p, end, "key", &v, &n) < 0 ||
        parse_hex(v, n, out->public_key, sizeof(out->public_key)) < 0)
        return err_field(err, ERR_BAD_REQUEST, "head",
                         "signed head: 'key' must be 64 lowercase hex digits");
    if (field(&p, end, "sig", &v, &n) < 0 || parse_hex(v, n, out->sig, sizeof(out->sig)) < 0)
        return err_field(err, ERR_BAD_REQUEST, "head",
                         "signed head: 'sig' must be 128 lowercase hex digits");
    if (p != end)
        return err_field(err, ERR_BAD_REQUEST, "head", "signed head: text after 'sig'");
    return 0;
}

static int read_hash(void *ctx, struct store_stmt *s)
{
    snprintf(ctx, 65, "%s", store_col_text(s, 0));
    return 0;
}

int audit_anchor_check(struct store_conn *c, const struct audit_anchor *a, struct audit_report *rep,
                       struct err *err)
{
    char hash[65] = "";
    struct audit_head h;
    int rc;
    memset(rep, 0, sizeof(*rep));
    if (a->seq == 0)
        return 0;
    memset(&h, 0, sizeof(h));
    if ((rc = store_one(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                        STORE_NO_ARGS, read_head, &h, err)) < 0)
        return rc;
    if (h.seq < a->seq) {
        rep->first_bad_seq = h.seq + 1;
        snprintf(rep->reason, sizeof(rep->reason),
                 "entries %lld to %lld were deleted from the chain's end (it ends at %lld; the "
                 "signed head covers %lld)",
                 (long long)(h.seq + 1), (long long)a->seq, (long long)h.seq, (long long)a->seq);
        return 0;
    }
    rc = store_one(c, "SELECT hash FROM audit_log WHERE seq = ?", STORE_ARGS(store_i64(a->seq)),
                   read_hash, hash, err);
    if (rc < 0)
        return rc;
    if (strcmp(hash, a->hash) != 0) {
        rep->first_bad_seq = a->seq;
        snprintf(rep->reason, sizeof(rep->reason),
                 "entry %lld's hash differs from the signed head: the chain was rewritten "
                 "at or before it",
                 (long long)a->seq);
    }
    return 0;
}
