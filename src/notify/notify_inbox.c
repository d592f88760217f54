/*
 * The message centre: a person's view of the outbox (notify.h). Who sees a notification is
 * the event stream's rule (src/api/api_events.c), written once more as SQL so a page or a
 * count is one query; read state is per person (message_reads, and message_marks' watermark
 * for "all read"), so a group notification read by one handler stays unread for the others.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "notify/notify.h"
#include "notify/notify_internal.h"
#include "store/store.h"

/* ---------------------------------------------------------------- groups */

static const struct {
    const char *kind;
    enum notify_group group;
} kind_groups[] = {
    {"dispatched", NG_ASSIGN},
    {"assist", NG_ASSIGN},
    {"new_case", NG_ASSIGN},
    {"redispatch", NG_ASSIGN},
    {"urge", NG_URGE},
    {"overdue", NG_URGE},
    {"escalated", NG_URGE},
    {"approval", NG_APPROVAL},
    {"approve", NG_APPROVAL},
    {"deny", NG_APPROVAL},
    {"replied", NG_REPLY},
    {"returned", NG_REPLY},
    {"rectify", NG_EVALUATION},
    {"evaluated", NG_EVALUATION},
    /* 申诉: filed, a supervisor must decide; decided, the citizen's answer. */
    {"appeal", NG_APPROVAL},
    {"appeal_decided", NG_REPLY},
    /* 办结审核 (case_state.c): a reply to review; a reply sent back. */
    {"review", NG_APPROVAL},
    {"sent_back", NG_REPLY},
    /* 督办单 (case_order.c): an order or its decision to the department; an answer to review. */
    {"supervision_order", NG_URGE},
    {"order_accepted", NG_URGE},
    {"order_sent_back", NG_URGE},
    {"order_answered", NG_APPROVAL},
    /* 协办单 and 吹哨报到 (case_assist.c): the summons and the assessment to the department; a
     * check-in, a signature or an answer to the lead or the official who blew the whistle. */
    {"whistle", NG_ASSIGN},
    {"assist_assessed", NG_REPLY},
    {"whistle_checkin", NG_REPLY},
    {"assist_signed", NG_REPLY},
    {"assist_replied", NG_APPROVAL},
    {"assist_overdue", NG_URGE},
};

static const char *const group_names[NOTIFY_GROUP_COUNT] = {
    [NG_ASSIGN] = "assign",         [NG_URGE] = "urge",
    [NG_APPROVAL] = "approval",     [NG_REPLY] = "reply",
    [NG_EVALUATION] = "evaluation", [NG_OTHER] = "other",
};

enum notify_group notify_group_of(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof(kind_groups) / sizeof(kind_groups[0]); i++)
        if (strcmp(kind_groups[i].kind, kind) == 0)
            return kind_groups[i].group;
    return NG_OTHER;
}

const char *notify_group_name(enum notify_group g)
{
    return (unsigned)g < NOTIFY_GROUP_COUNT ? group_names[g] : "other";
}

int notify_group_from_name(const char *name)
{
    for (int g = 0; name && g < NOTIFY_GROUP_COUNT; g++)
        if (strcmp(group_names[g], name) == 0)
            return g;
    return -1;
}

/* ---------------------------------------------------------------- visibility */

/* The reader's messages: addressed to the user, to one of its departments (16 slots, unused
 * ones 0: never a department), or to a group it holds, in its region when it has one (the
 * subtree as a range of codes, as case_query.c tests it). */
#define VISIBLE                                                                                    \
    "((n.recipient_kind IN ('user', 'citizen') AND n.recipient_id = ?)"                            \
    " OR (n.recipient_kind = 'department' AND n.recipient_id IN"                                   \
    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))"                                           \
    " OR (((n.recipient_kind = 'dispatchers' AND ? = 1) OR (n.recipient_kind = 'supervisors'"      \
    " AND ? = 1)) AND (? = 0 OR c.region_code = ? OR (c.region_code >= ? AND c.region_code < ?))))"
#define VISIBLE_NARGS 23
/* Read: below the watermark, or one by one. */
#define IS_READ                                                                                    \
    "(n.id <= coalesce((SELECT m.read_upto FROM message_marks m WHERE m.user_id = ?), 0)"          \
    " OR EXISTS (SELECT 1 FROM message_reads r WHERE r.user_id = ? AND r.notification_id = n.id))"

/* The end of the range of codes starting with 'code' (its last character + 1); only
 * district, street and community codes (≤ 12 characters) have descendants. */
static void visible_args(const struct notify_reader *r, struct arena *a, struct store_arg *v)
{
    int k = 0;
    const char *code = r->region && *r->region ? r->region : NULL;
    v[k++] = store_i64(r->user_id);
    for (int i = 0; i < NOTIFY_INBOX_DEPTS; i++)
        v[k++] = store_i64(i < r->ndepts ? r->depts[i] : 0);
    v[k++] = store_i64(r->dispatcher ? 1 : 0);
    v[k++] = store_i64(r->supervisor ? 1 : 0);
    v[k++] = store_i64(code ? 1 : 0);
    v[k++] = store_text(code ? code : "");
    if (code && strlen(code) <= 12) {
        size_t n = strlen(code);
        char *end = arena_alloc(a, n + 1);
        memcpy(end, code, n + 1);
        end[n - 1] = (char)(end[n - 1] + 1);
        v[k++] = store_text(code);
        v[k++] = store_text(end);
    } else { /* an empty range: only the code itself */
        v[k++] = store_text("1");
        v[k++] = store_text("0");
    }
}

/* ---------------------------------------------------------------- queries */

/* The WHERE of a page or its total: the reader's messages of the group asked for, unread
 * ones only if asked; 'before' only for a page (a total counts from the newest). */
#define INBOX_NARGS (VISIBLE_NARGS + 8 + sizeof(kind_groups) / sizeof(kind_groups[0]))
static size_t inbox_where(const struct notify_reader *r, const struct notify_inbox_query *q,
                          int64_t before, struct arena *a, struct buf *sql, struct store_arg *v)
{
    size_t nv = 0, all = sizeof(kind_groups) / sizeof(kind_groups[0]);
    buf_puts(sql, " FROM notifications n LEFT JOIN cases c ON c.id = n.case_id WHERE " VISIBLE
                  " AND n.id < ?");
    visible_args(r, a, v + nv);
    nv += VISIBLE_NARGS;
    v[nv++] = store_i64(before > 0 ? before : INT64_MAX);
    /* Kinds of the requested group: filtered in SQL so a page is full. */
    if (q->group >= 0) {
        buf_puts(sql, q->group == NG_OTHER ? " AND n.kind NOT IN (" : " AND n.kind IN (");
        size_t k = 0;
        for (size_t i = 0; i < all; i++) {
            /* "other" is every kind the table does not name */
            if (q->group != NG_OTHER && (int)kind_groups[i].group != q->group)
                continue;
            buf_puts(sql, k++ ? ", ?" : "?");
            v[nv++] = store_text(kind_groups[i].kind);
        }
        buf_puts(sql, ")");
    }
    if (q->unread_only) {
        buf_puts(sql, " AND NOT " IS_READ);
        v[nv++] = store_i64(r->user_id);
        v[nv++] = store_i64(r->user_id);
    }
    return nv;
}

int notify_inbox_list(struct store_conn *c, const struct notify_reader *r,
                      const struct notify_inbox_query *q, struct arena *a, struct notify_msg **out,
                      struct err *err)
{
    int limit = q->limit < 1 ? 1 : q->limit > NOTIFY_INBOX_MAX ? NOTIFY_INBOX_MAX : q->limit;
    struct store_arg v[INBOX_NARGS];
    size_t nv = 0;
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql, "SELECT " ITEM_COLS ", " IS_READ);
    v[nv++] = store_i64(r->user_id);
    v[nv++] = store_i64(r->user_id);
    nv += inbox_where(r, q, q->before, a, &sql, v + nv);
    buf_printf(&sql, " ORDER BY n.id DESC LIMIT %d", limit);

    struct store_stmt *s;
    int rc = store_prepare(c, sql.p, (struct store_args){v, nv}, &s, err);
    buf_release(&sql);
    if (rc < 0)
        return rc;
    struct notify_msg *m = arena_alloc(a, mem_size_mul((size_t)limit, sizeof(*m)));
    int n = 0;
    while (n < limit && (rc = store_step(s, err)) == 1) {
        notify_item_read(s, a, &m[n].n);
        m[n].read = store_col_int(s, 11) != 0;
        m[n].group = notify_group_of(m[n].n.kind);
        n++;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    *out = m;
    return n;
}

int notify_inbox_total(struct store_conn *c, const struct notify_reader *r,
                       const struct notify_inbox_query *q, int64_t *total, struct err *err)
{
    struct arena a;
    arena_init(&a, 512);
    struct store_arg v[INBOX_NARGS];
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql, "SELECT count(*)");
    size_t nv = inbox_where(r, q, 0, &a, &sql, v);
    int rc = store_one_i64(c, sql.p, (struct store_args){v, nv}, total, err);
    buf_release(&sql);
    arena_release(&a);
    return rc < 0 ? (int)rc : 0;
}

struct count_ctx {
    int *counts, *total;
};

static int count_row(void *ctx, struct store_stmt *s)
{
    struct count_ctx *k = ctx;
    int n = (int)store_col_int(s, 1);
    enum notify_group g = notify_group_of(store_col_text(s, 0));
    k->counts[g] = k->counts[g] + n > NOTIFY_COUNT_CAP ? NOTIFY_COUNT_CAP : k->counts[g] + n;
    *k->total = *k->total + n > NOTIFY_COUNT_CAP ? NOTIFY_COUNT_CAP : *k->total + n;
    return 0;
}

int notify_inbox_counts(struct store_conn *c, const struct notify_reader *r, int64_t now,
                        int counts[NOTIFY_GROUP_COUNT], int *total, struct err *err)
{
    struct arena a;
    arena_init(&a, 512);
    struct store_arg v[VISIBLE_NARGS + 3];
    size_t nv = 0;
    visible_args(r, &a, v);
    nv += VISIBLE_NARGS;
    v[nv++] = store_i64(now - (int64_t)NOTIFY_COUNT_DAYS * 86400);
    v[nv++] = store_i64(r->user_id);
    v[nv++] = store_i64(r->user_id);
    memset(counts, 0, NOTIFY_GROUP_COUNT * sizeof(*counts));
    *total = 0;
    struct count_ctx k = {counts, total};
    /* Counted over at most CAP + 1 unread rows: a badge says "999+", not how far beyond. */
    int64_t rc =
        store_all(c,
                  "SELECT kind, count(*) FROM (SELECT n.kind AS kind FROM notifications n"
                  " LEFT JOIN cases c ON c.id = n.case_id WHERE " VISIBLE " AND n.created_at >= ?"
                  " AND NOT " IS_READ " ORDER BY n.id DESC LIMIT 1000) AS unread GROUP BY kind",
                  (struct store_args){v, nv}, count_row, &k, err);
    arena_release(&a);
    return rc < 0 ? (int)rc : 0;
}

int notify_inbox_read(struct store_conn *c, const struct notify_reader *r, const int64_t *ids,
                      int nids, int all, int64_t now, struct err *err)
{
    int64_t rc = 0;
    if (all) {
        int64_t upto = 0;
        if ((rc = store_one_i64(c, "SELECT coalesce(max(id), 0) FROM notifications", STORE_NO_ARGS,
                                &upto, err)) < 0 ||
            (rc = store_run(c,
                            "INSERT INTO message_marks(user_id, read_upto, at) VALUES (?, ?, ?)"
                            " ON CONFLICT (user_id) DO UPDATE SET read_upto = excluded.read_upto,"
                            " at = excluded.at",
                            STORE_ARGS(store_i64(r->user_id), store_i64(upto), store_i64(now)),
                            err)) < 0 ||
            (rc = store_run(c,
                            "DELETE FROM message_reads WHERE user_id = ? AND notification_id <= ?",
                            STORE_ARGS(store_i64(r->user_id), store_i64(upto)), err)) < 0)
            return (int)rc;
        return 0;
    }
    struct arena a;
    arena_init(&a, 512);
    for (int i = 0; i < nids && rc >= 0; i++) {
        /* Only a message the reader may see, once. */
        struct store_arg v[VISIBLE_NARGS + 4];
        size_t nv = 0;
        v[nv++] = store_i64(r->user_id);
        v[nv++] = store_i64(now);
        visible_args(r, &a, v + nv);
        nv += VISIBLE_NARGS;
        v[nv++] = store_i64(ids[i]);
        rc = store_run(
            c,
            "INSERT INTO message_reads(user_id, notification_id, at)"
            " SELECT ?, n.id, ? FROM notifications n LEFT JOIN cases c ON c.id = n.case_id"
            " WHERE " VISIBLE " AND n.id = ? ON CONFLICT DO NOTHING",
            (struct store_args){v, nv}, err);
    }
    arena_release(&a);
    return rc < 0 ? (int)rc : 0;
}
