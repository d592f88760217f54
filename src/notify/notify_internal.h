/* What the outbox queries (notify.c) and the message centre (notify_inbox.c) share. */
#ifndef GRIDLOOP_NOTIFY_INTERNAL_H
#define GRIDLOOP_NOTIFY_INTERNAL_H

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

#endif
