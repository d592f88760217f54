/* What the outbox queries (notify.c) and the message centre (notify_inbox.c) share. */
#ifndef GRIDLOOP_NOTIFY_INTERNAL_H
#define GRIDLOOP_NOTIFY_INTERNAL_H

#include <stdint.h>

struct arena;
struct notify_item;
struct store_stmt;

/* The columns notify_item_read() reads, from notifications n LEFT JOIN cases c. */
#define ITEM_COLS                                                                                  \
    "n.id, coalesce(n.case_id, 0), coalesce(c.number, ''), coalesce(n.event_id, 0), n.created_at," \
    " n.recipient_kind, coalesce(n.recipient_id, 0), n.kind, n.message, n.attempts,"               \
    " coalesce(c.region_code, '')"

/* One row of ITEM_COLS into 'n', strings in 'a'. */
void notify_item_read(struct store_stmt *s, struct arena *a, struct notify_item *n);

/* notify_claim and notify_sms_claim inside a write transaction the caller holds (the worker's
 * own, or the group-commit writer's batch): the number claimed, or a negative ERR_*. */
struct notify_sms_msg;
struct store_conn;
struct err;
int notify_claim_in_tx(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                       struct notify_item **out, struct err *err);
int notify_sms_claim_in_tx(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                           struct notify_sms_msg **out, struct err *err);

#endif
