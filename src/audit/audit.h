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
    char reason[160];
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
