/*
 * audit: the tamper-evident log of every write. Each entry records who did what to which
 * target, with SHA-256 digests of the target before and after, and a hash over all of that
 * plus the previous entry's hash. Changing, inserting or deleting any entry breaks the chain
 * from that point on, which audit_verify() reports.
 *
 * audit_append() must run inside the caller's write transaction, so the entry commits or
 * rolls back together with the change it describes, and the chain order equals commit order.
 */
#ifndef GRIDLOOP_AUDIT_AUDIT_H
#define GRIDLOOP_AUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store;
struct store_conn;

struct audit_entry {
    int64_t actor_id; /* 0 = system / command line */
    const char *actor_name;
    const char *action; /* "region.create", "user.passwd", "session.login" ... */
    const char *target; /* "region/12", "user/alice" */
    const char *before; /* serialised state before, NULL if none */
    const char *after;  /* serialised state after, NULL if none */
};

/* Append an entry at time 'now'. Caller holds the write transaction. */
int audit_append(struct store_conn *c, const struct audit_entry *e, int64_t now, struct err *err);

struct audit_report {
    int64_t entries;       /* entries checked */
    int64_t first_bad_seq; /* 0 if the chain is intact */
    char reason[256];
};

/* Check the whole chain. Returns 0 with the report filled (first_bad_seq 0 = intact), or a
 * negative ERR_* if the database could not be read. */
int audit_verify(struct store_conn *c, struct audit_report *rep, struct err *err);

/* The end of the chain: how many entries, the newest one's seq and hash (0 and "" when the
 * log is empty). A copy whose verified chain ends in the same head holds the same log: the
 * chain alone cannot tell that entries were cut off its end. */
struct audit_head {
    int64_t entries;
    int64_t seq;
    char hash[65];
};
int audit_head(struct store_conn *c, struct audit_head *out, struct err *err);

/*
 * The anchor: the head signed with an Ed25519 key kept outside the database, so that someone
 * who can write the database file cannot cut entries off the chain's end, or rewrite entries
 * and recompute every hash after them, without disagreeing with a head published before.
 * One line of text, the form the log and GET /api/v1/audit/head publish and `gridloop audit
 * verify --head` reads:
 *
 *   gridloop-audit-head/1 seq=SEQ hash=HEX64 at=UNIXTIME key=PUBKEYHEX64 sig=SIGHEX128
 *
 * The signature covers the text before " sig=". 'key' names the signer; a verifier checks
 * the signature against a public key it got elsewhere, never the one in the line.
 */
#define AUDIT_ANCHOR_PREFIX "gridloop-audit-head/1 "
#define AUDIT_ANCHOR_MAX 384 /* the line's length, NUL included, with room */

struct audit_anchor {
    int64_t seq; /* the newest entry covered (0: the log was empty) */
    char hash[65];
    int64_t at; /* when the head was read and signed */
    unsigned char public_key[32];
    unsigned char sig[64];
};

/* Read the head now and sign it with the 32-byte seed (crypto_sign_seed_keypair) at 'now':
 * the anchor and its line. */
int audit_anchor_sign(struct store_conn *c, const unsigned char seed[32], int64_t now,
                      struct audit_anchor *out, char line[AUDIT_ANCHOR_MAX], struct err *err);

/* The public key of a seed. */
void audit_anchor_public_key(const unsigned char seed[32], unsigned char pk[32]);

/* Parse one line (outside input: from a file or a log; text before the prefix, such as a log
 * line's timestamp, and trailing white space are skipped). ERR_BAD_REQUEST naming what is
 * wrong. The signature is not checked here. */
int audit_anchor_parse(const char *text, size_t len, struct audit_anchor *out, struct err *err);

/* Is the signature the one 'pk' made over this anchor? 1 or 0. */
int audit_anchor_signed_by(const struct audit_anchor *a, const unsigned char pk[32]);

/* Does the database hold the chain the anchor saw? Call after audit_verify() found the chain
 * intact: entry a->seq must exist with the hash a->hash. A missing entry means the chain was
 * cut after it (entries deleted from its end), another hash that it was rewritten at or
 * before it and the hashes recomputed. rep->first_bad_seq is 0 when the database agrees. */
int audit_anchor_check(struct store_conn *c, const struct audit_anchor *a, struct audit_report *rep,
                       struct err *err);

/* An entry as read back: the digests, not the states. */
struct audit_row {
    int64_t seq;
    int64_t at;
    int64_t actor_id;
    const char *actor_name;
    const char *action;
    const char *target;
    const char *before_digest;
    const char *after_digest;
    const char *hash;
};

/* The newest 'limit' entries with seq < before, newest first (arena output), and the number
 * of entries in the log. */
int audit_list(struct store_conn *c, int64_t before, int64_t limit, struct arena *a,
               struct audit_row **out, size_t *n, int64_t *total, struct err *err);

/* Hex SHA-256 of a string ("" for NULL → the digest of the empty string is not used;
 * NULL gives "-"). */
void audit_digest(const char *text, char out[65]);

#endif /* GRIDLOOP_AUDIT_AUDIT_H */
