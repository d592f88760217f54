#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"

static struct store *fresh_store(const char *name)
{
    char path[512];
    struct store *st = NULL;
    struct err e = ERR_INIT;
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    return st;
}

static void append_n(struct store_conn *c, int n)
{
    for (int i = 0; i < n; i++) {
        struct err e = ERR_INIT;
        char target[32];
        snprintf(target, sizeof(target), "thing/%d", i);
        struct audit_entry en = {1, "alice", "thing.update", target, "{\"v\":1}", "{\"v\":2}"};
        store_begin(c, &e);
        CHECK_INT_EQ(audit_append(c, &en, 1000 + i, &e), 0, "append %d: %s", i, e.msg);
        store_commit(c, &e);
    }
}

TEST(audit_chain_detects_tampering)
{
    static const struct {
        const char *sql;
        int64_t first_bad;
    } rows[] = {
        {"SELECT 1", 0},
        {"UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3", 3},
        {"UPDATE audit_log SET after_digest = 'x' WHERE seq = 5", 5},
        {"DELETE FROM audit_log WHERE seq = 2", 2},
        {"UPDATE audit_log SET at = at + 1 WHERE seq = 1", 1},
        {"DELETE FROM audit_log WHERE seq = 6",
         0}, /* losing the tail cannot be seen from the chain */
        {"UPDATE audit_log SET prev_hash = hash WHERE seq = 4", 4},
    };
    CHECK(sodium_init() >= 0, "libsodium initialises");
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        char name[32];
        snprintf(name, sizeof(name), "audit%zu.db", i);
        struct store *st = fresh_store(name);
        struct store_conn *c;
        struct err e = ERR_INIT;
        struct audit_report rep;
        store_conn(st, &c, &e);
        append_n(c, 6);
        CHECK(store_run(c, rows[i].sql, STORE_NO_ARGS, &e) >= 0, "row %zu: tamper sql: %s", i,
              e.msg);
        CHECK_INT_EQ(audit_verify(c, &rep, &e), 0, "row %zu verify", i);
        CHECK_INT_EQ(rep.first_bad_seq, rows[i].first_bad, "row %zu: %s (%s)", i, rows[i].sql,
                     rep.reason);
        store_close(st);
    }
}

TEST(audit_digest_of_null_differs_from_empty)
{
    char a[65], b[65];
    CHECK(sodium_init() >= 0, "libsodium initialises");
    audit_digest(NULL, a);
    audit_digest("", b);
    CHECK_STR_EQ(a, "-", "NULL digest");
    CHECK_STR_EQ(b, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                 "sha256 of empty");
}

TEST(audit_head_is_the_newest_entry)
{
    struct store *st = fresh_store("audit_head.db");
    struct store_conn *c;
    struct err e = ERR_INIT;
    struct audit_head h;
    CHECK(sodium_init() >= 0, "libsodium initialises");
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "%s", e.msg);
    CHECK_INT_EQ(audit_head(c, &h, &e), 0, "%s", e.msg);
    CHECK(h.entries == 0 && h.seq == 0 && h.hash[0] == '\0', "an empty log has no head");
    append_n(c, 4);
    CHECK_INT_EQ(audit_head(c, &h, &e), 0, "%s", e.msg);
    CHECK_INT_EQ(h.entries, 4, "entries");
    CHECK_INT_EQ(h.seq, 4, "newest seq");
    char want[65] = "";
    struct arena a;
    char *hash = NULL;
    arena_init(&a, 256);
    CHECK_INT_EQ(
        store_one_text(c, "SELECT hash FROM audit_log WHERE seq = 4", STORE_NO_ARGS, &a, &hash, &e),
        1, "%s", e.msg);
    snprintf(want, sizeof(want), "%s", hash);
    arena_release(&a);
    CHECK_STR_EQ(h.hash, want, "the head's hash");
    store_close(st);
}

/* The anchor: a signed head survives a round trip through its text, is bound to its key, and
 * tells a database cut after it or rewritten before it from the one it was taken of. */
TEST(audit_anchor_signs_parses_and_checks)
{
    unsigned char seed[32], other[32], pk[32], opk[32];
    char line[AUDIT_ANCHOR_MAX], logline[AUDIT_ANCHOR_MAX + 64];
    struct audit_anchor a, b;
    struct audit_report rep;
    struct store_conn *c;
    struct err e = ERR_INIT;
    CHECK(sodium_init() >= 0, "libsodium initialises");
    memset(seed, 7, sizeof(seed));
    memset(other, 8, sizeof(other));
    audit_anchor_public_key(seed, pk);
    audit_anchor_public_key(other, opk);
    struct store *st = fresh_store("anchor.db");
    store_conn(st, &c, &e);
    CHECK_INT_EQ(audit_anchor_sign(c, seed, 5000, &a, line, &e), 0, "sign empty: %s", e.msg);
    CHECK_INT_EQ(a.seq, 0, "an empty log has head 0");
    append_n(c, 5);
    CHECK_INT_EQ(audit_anchor_sign(c, seed, 5001, &a, line, &e), 0, "sign: %s", e.msg);
    CHECK_INT_EQ(a.seq, 5, "the head is the newest entry");
    snprintf(logline, sizeof(logline), "2026-12-02T10:00:00Z info audit anchor: %s\n", line);
    CHECK_INT_EQ(audit_anchor_parse(logline, strlen(logline), &b, &e), 0, "parse: %s", e.msg);
    CHECK(b.seq == 5 && b.at == 5001 && strcmp(b.hash, a.hash) == 0, "round trip");
    CHECK(audit_anchor_signed_by(&b, pk), "signed by its key");
    CHECK(!audit_anchor_signed_by(&b, opk), "not by another");
    b.at++;
    CHECK(!audit_anchor_signed_by(&b, pk), "a changed time breaks the signature");
    static const char *const bad[] = {
        "",
        "gridloop-audit-head/1 ",
        "gridloop-audit-head/1 seq=-1 hash=",
        "gridloop-audit-head/1 seq=01 hash=00",
        "gridloop-audit-head/2 seq=1",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err_clear(&e);
        CHECK_INT_EQ(audit_anchor_parse(bad[i], strlen(bad[i]), &b, &e), ERR_BAD_REQUEST,
                     "bad head %zu", i);
        CHECK(strcmp(e.field, "head") == 0, "names the field");
    }
    char trailing[AUDIT_ANCHOR_MAX + 8];
    snprintf(trailing, sizeof(trailing), "%s x", line);
    CHECK_INT_EQ(audit_anchor_parse(trailing, strlen(trailing), &b, &e), ERR_BAD_REQUEST,
                 "text after sig");

    CHECK_INT_EQ(audit_anchor_check(c, &a, &rep, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(rep.first_bad_seq, 0, "the database agrees with its head");
    append_n(c, 2);
    CHECK_INT_EQ(audit_anchor_check(c, &a, &rep, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(rep.first_bad_seq, 0, "growth after the head is fine");
    store_run(c, "DELETE FROM audit_log WHERE seq > 3", STORE_NO_ARGS, &e);
    CHECK_INT_EQ(audit_anchor_check(c, &a, &rep, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(rep.first_bad_seq, 4, "entries cut after the head: %s", rep.reason);
    append_n(c, 2); /* the same number again, other content */
    CHECK_INT_EQ(audit_anchor_check(c, &a, &rep, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(rep.first_bad_seq, 5, "a rebuilt end differs: %s", rep.reason);
    store_close(st);
}
