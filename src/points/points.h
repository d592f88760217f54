/*
 * points: the points bank (积分银行, issue 18 item 6). Residents earn points by the rules of a
 * table (a valid report, a confirmed verification, volunteering recorded by an official, a vote)
 * and spend them on the items of a redemption catalogue, each with a stock.
 *
 * The ledger (points_ledger, migration 0061) is append-only: this module only inserts into it.
 * A balance is the sum of a user's entries, never a stored number, so no balance exists without
 * its entries. A redemption checks the balance and takes one from the stock inside the caller's
 * write transaction (which holds the write lock on SQLite and PostgreSQL alike); the stock is
 * also taken by a conditional UPDATE and guarded by CHECK (stock >= 0), so two concurrent
 * redemptions can neither overspend a balance nor take the last item twice.
 *
 * Threading: none of its own; each call uses the connection it is given. Strings of returned
 * records live in the caller's arena.
 */
#ifndef GRIDLOOP_POINTS_POINTS_H
#define GRIDLOOP_POINTS_POINTS_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define POINTS_RULE_MAX 10000    /* points one rule may award */
#define POINTS_NAME_MAX 100      /* characters of an item's name */
#define POINTS_NOTE_MAX 200      /* characters of an award's note */
#define POINTS_COST_MAX 1000000  /* points an item may cost */
#define POINTS_STOCK_MAX 1000000 /* items in stock */
#define POINTS_ENTRIES_MAX 1000  /* entries a statement lists (newest first) */

struct points_rule {
    int64_t id;
    const char *code, *name;
    int64_t points;
    int active;
    int64_t updated_at;
};

struct points_item {
    int64_t id;
    const char *name;
    int64_t cost, stock;
    int active;
    int64_t created_at;
};

struct points_entry {
    int64_t id, user_id, delta;
    int64_t rule_id, item_id, by_user; /* 0 = none */
    const char *rule_name, *item_name; /* "" when none */
    const char *note;
    int64_t at;
};

int points_rule_list(struct store_conn *c, struct arena *a, struct points_rule **out, size_t *n,
                     struct err *err);
int points_rule_get(struct store_conn *c, int64_t id, struct arena *a, struct points_rule *out,
                    struct err *err);
/* ERR_BAD_REQUEST naming "points" when outside [0, POINTS_RULE_MAX]. */
int points_rule_set(struct store_conn *c, int64_t id, int64_t points, int active, int64_t now,
                    struct err *err);

/* ERR_BAD_REQUEST naming "name", "cost" or "stock". */
int points_item_create(struct store_conn *c, const char *name, int64_t cost, int64_t stock,
                       int64_t now, int64_t *id, struct err *err);
int points_item_get(struct store_conn *c, int64_t id, struct arena *a, struct points_item *out,
                    struct err *err);
/* The active items, cheapest first. */
int points_item_list(struct store_conn *c, struct arena *a, struct points_item **out, size_t *n,
                     struct err *err);

/* Award rule 'rule_id' to 'user_id', recorded by 'by_user' (an official): ERR_BAD_REQUEST naming
 * "user_id" (no such user) or "rule_id" (no such rule, inactive, or worth 0 points). */
int points_award(struct store_conn *c, int64_t user_id, int64_t rule_id, const char *note,
                 int64_t by_user, int64_t now, int64_t *entry_id, struct err *err);
/* Award the rule with 'code' (e.g. "vote") to 'user_id' with no official (the event itself
 * earned it): 1 and *entry_id set, or 0 when the rule does not exist, is inactive or awards
 * nothing. */
int points_award_code(struct store_conn *c, int64_t user_id, const char *code, const char *note,
                      int64_t now, int64_t *entry_id, struct err *err);
/* Award the rule with 'code' to the resident who reported case 'case_id' (its creator, when that
 * account is a citizen's), once per resident, rule and case: 1 and *entry_id set, or 0 when
 * nothing is due (no citizen reporter, the rule inactive or worth nothing, or already paid for
 * this case). Call inside the case's write transaction. */
int points_award_for_case(struct store_conn *c, int64_t case_id, const char *code, int64_t now,
                          int64_t *entry_id, struct err *err);
/* Redeem one item 'item_id' for 'user_id': ERR_NOT_FOUND (no such active item), ERR_CONFLICT
 * naming "stock" (none left) or "balance" (not enough points). Call inside a write transaction. */
int points_redeem(struct store_conn *c, int64_t user_id, int64_t item_id, int64_t now,
                  int64_t *entry_id, struct err *err);

int points_balance(struct store_conn *c, int64_t user_id, int64_t *balance, struct err *err);
int points_entry_get(struct store_conn *c, int64_t id, struct arena *a, struct points_entry *out,
                     struct err *err);
/* A user's entries, newest first, at most POINTS_ENTRIES_MAX. */
int points_entry_list(struct store_conn *c, int64_t user_id, struct arena *a,
                      struct points_entry **out, size_t *n, struct err *err);

#endif /* GRIDLOOP_POINTS_POINTS_H */
