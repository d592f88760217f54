/*
 * The notification outbox: the back-off schedule, claiming (a claimed row is not claimed
 * again until its lease runs out), retries through a channel that fails, giving up after the
 * last attempt, and publishing each row once. A real SQLite store and a clock the test moves.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "notify/notify.h"
#include "store/store.h"
#include "store/store_writer.h"
#include "test.h"

#define T0 1790236800

struct fake {
    struct notify_channel base;
    int fail_first; /* fail this many deliveries, then succeed */
    int calls;
    int64_t last_id;
};

static int fake_deliver(struct notify_channel *ch, const struct notify_item *n, struct err *err)
{
    struct fake *f = (struct fake *)ch;
    f->calls++;
    f->last_id = n->id;
    if (f->calls <= f->fail_first)
        return err_set(err, ERR_UNAVAILABLE, "receiver down (call %d)", f->calls);
    return 0;
}

static void fake_free(struct notify_channel *ch)
{
    (void)ch; /* lives on the test's stack */
}

static const struct notify_channel_ops fake_ops = {"fake", fake_deliver, fake_free, 20};

struct fixture {
    struct store *st;
    struct store_conn *c;
    int64_t now;
    int published;
    int64_t published_id;
};

static int64_t fixture_now(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

static void fixture_publish(void *ctx, const struct notify_item *n)
{
    struct fixture *f = ctx;
    f->published++;
    f->published_id = n->id;
}

static void setup(struct fixture *f, const char *name)
{
    char path[512];
    struct err e = ERR_INIT;
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_OFF);
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&f->st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(f->st, &f->c, &e), 0, "conn: %s", e.msg);
    f->now = T0;
}

static int64_t add_row(struct fixture *f, const char *kind)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(
        store_one_i64(
            f->c,
            "INSERT INTO notifications(created_at, recipient_kind, recipient_id, kind, message,"
            " next_attempt_at) VALUES (?, 'department', 3, ?, '新派工单', ?) RETURNING id",
            STORE_ARGS(store_i64(f->now), store_text(kind), store_i64(f->now)), &id, &e),
        1, "insert: %s", e.msg);
    return id;
}

static void row(struct fixture *f, int64_t id, char *status, size_t n, int64_t *attempts,
                int64_t *next, int64_t *sent_at, char *last_error, size_t len)
{
    struct err e = ERR_INIT;
    struct store_stmt *s;
    CHECK_INT_EQ(
        store_prepare(
            f->c,
            "SELECT status, attempts, next_attempt_at, coalesce(sent_at, 0), last_error FROM notifications"
            " WHERE id = ?",
            STORE_ARGS(store_i64(id)), &s, &e),
        0, "select: %s", e.msg);
    CHECK_INT_EQ(store_step(s, &e), 1, "row %lld", (long long)id);
    snprintf(status, n, "%s", store_col_text(s, 0));
    *attempts = store_col_int(s, 1);
    *next = store_col_int(s, 2);
    *sent_at = store_col_int(s, 3);
    snprintf(last_error, len, "%s", store_col_text(s, 4));
    store_done(s);
}

static void teardown(struct fixture *f)
{
    store_close(f->st);
}

TEST(notify_backoff_schedule)
{
    static const struct {
        int attempts, base, cap;
        uint32_t rnd;
        int64_t want;
    } rows[] = {
        /* rnd 0 is the top of the range: the plain doubling schedule */
        {1, 10, 3600, 0, 10},
        {2, 10, 3600, 0, 20},
        {3, 10, 3600, 0, 40},
        {6, 10, 3600, 0, 320},
        {9, 10, 3600, 0, 2560},
        {10, 10, 3600, 0, 3600}, /* capped */
        {40, 10, 3600, 0, 3600}, /* no overflow however many attempts */
        /* the jitter takes off at most half */
        {1, 10, 3600, 5, 5},
        {1, 10, 3600, 6, 10}, /* 6 % 6 == 0 */
        {3, 10, 3600, 20, 20},
        {10, 10, 3600, 1800, 1800},
        /* never zero, even with the smallest base */
        {1, 1, 3600, 0, 1},
        {1, 1, 3600, 7, 1},
        {2, 1, 3600, 1, 1},
        {2, 1, 3600, 2, 2},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        CHECK_INT_EQ(notify_backoff(rows[i].attempts, rows[i].base, rows[i].cap, rows[i].rnd),
                     rows[i].want, "row %zu: attempts %d base %d rnd %u", i, rows[i].attempts,
                     rows[i].base, rows[i].rnd);
    /* Whatever the random number, the delay stays within [d/2, d]. */
    for (uint32_t r = 0; r < 1000; r += 7) {
        int64_t d = notify_backoff(4, 10, 3600, r * 2654435761u);
        CHECK(d >= 40 && d <= 80, "attempt 4 rnd %u gave %lld", r, (long long)d);
    }
}

TEST(notify_claim_is_idempotent)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    struct notify_item *items;
    setup(&f, "claim.db");
    arena_init(&a, 4096);
    int64_t id1 = add_row(&f, "dispatched");
    int64_t id2 = add_row(&f, "overdue");
    /* Not yet due: nothing. */
    CHECK_INT_EQ(notify_claim(f.c, T0 - 1, 60, 10, &a, &items, &e), 0, "early claim");
    CHECK_INT_EQ(notify_claim(f.c, T0, 60, 10, &a, &items, &e), 2, "claim: %s", e.msg);
    CHECK_INT_EQ(items[0].id, id1, "oldest first");
    CHECK_INT_EQ(items[1].id, id2, "then the next");
    CHECK_INT_EQ(items[0].attempts, 1, "the claim counts as the first attempt");
    CHECK_STR_EQ(items[0].kind, "dispatched", "kind");
    CHECK_STR_EQ(items[0].recipient_kind, "department", "recipient");
    CHECK_INT_EQ(items[0].recipient_id, 3, "recipient id");
    CHECK_STR_EQ(items[0].case_number, "", "no case");
    /* Claimed rows are leased: the same claim again, or later within the lease, finds none. */
    CHECK_INT_EQ(notify_claim(f.c, T0, 60, 10, &a, &items, &e), 0, "second claim");
    CHECK_INT_EQ(notify_claim(f.c, T0 + 59, 60, 10, &a, &items, &e), 0, "claim within the lease");
    /* A worker that died without recording anything: the lease runs out and they come back. */
    CHECK_INT_EQ(notify_claim(f.c, T0 + 60, 60, 1, &a, &items, &e), 1,
                 "claim after the lease, batch of one");
    CHECK_INT_EQ(items[0].id, id1, "first row again");
    CHECK_INT_EQ(items[0].attempts, 2, "second attempt");
    CHECK_INT_EQ(notify_claim(f.c, T0 + 60, 60, 10, &a, &items, &e), 1, "the other one");
    CHECK_INT_EQ(items[0].id, id2, "second row");
    /* Sent rows are never claimed again. */
    CHECK_INT_EQ(notify_mark_sent(f.c, id1, T0 + 61, &e), 0, "mark sent");
    CHECK_INT_EQ(notify_mark_sent(f.c, id2, T0 + 61, &e), 0, "mark sent");
    CHECK_INT_EQ(notify_claim(f.c, T0 + 100000, 60, 10, &a, &items, &e), 0, "nothing left");
    /* Both were handed out, so a reconnecting stream would be given them. */
    CHECK_INT_EQ(notify_list_after(f.c, 0, 10, &a, &items, &e), 2, "list after 0");
    CHECK_INT_EQ(notify_list_after(f.c, id1, 10, &a, &items, &e), 1, "list after the first");
    int64_t id3 = add_row(&f, "assist");
    CHECK_INT_EQ(notify_list_after(f.c, id2, 10, &a, &items, &e), 0,
                 "an unclaimed row is not replayed (%lld)", (long long)id3);
    arena_release(&a);
    teardown(&f);
}

/* 'writer': the worker's transactions run as jobs of a group-commit writer, as in the server. */
static void retries_then_succeeds(const char *db, int writer)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct notify_worker *w;
    struct store_writer *wr = NULL;
    struct fake ch = {{&fake_ops}, 2, 0, 0};
    char status[16], last_error[128];
    int64_t attempts, next, sent_at;
    setup(&f, db);
    struct notify_options o = {.interval = 60,
                               .max_attempts = 5,
                               .retry_base = 10,
                               .retry_max = 3600,
                               .batch = 10,
                               .lease = 300};
    CHECK_INT_EQ(notify_worker_new(&w, f.st, &o, &ch.base, fixture_publish, fixture_now, &f, &e), 0,
                 "new: %s", e.msg);
    if (writer) {
        struct store_writer_options wo = {0};
        CHECK_INT_EQ(store_writer_start(&wr, f.st, &wo, &e), 0, "writer: %s", e.msg);
        notify_worker_set_writer(w, wr);
    }
    int64_t id = add_row(&f, "dispatched");

    CHECK_INT_EQ(notify_worker_run_once(w, &e), 1, "pass 1: %s", e.msg);
    row(&f, id, status, sizeof(status), &attempts, &next, &sent_at, last_error, sizeof(last_error));
    CHECK_STR_EQ(status, "pending", "still pending after a failure");
    CHECK_INT_EQ(attempts, 1, "one attempt");
    /* Jitter [5, 10] s, counted from the end of the failure's second (notify_retry_at). */
    CHECK(next >= T0 + 6 && next <= T0 + 11, "first retry within [6, 11] s, got +%lld",
          (long long)(next - T0));
    CHECK(strstr(last_error, "receiver down") != NULL, "last_error '%s'", last_error);
    CHECK_INT_EQ(f.published, 1, "published on the first claim");

    /* Not due yet: the pass does nothing. */
    f.now = next - 1;
    CHECK_INT_EQ(notify_worker_run_once(w, &e), 0, "pass before the retry is due");
    CHECK_INT_EQ(ch.calls, 1, "no early delivery");

    f.now = next;
    CHECK_INT_EQ(notify_worker_run_once(w, &e), 1, "pass 2");
    row(&f, id, status, sizeof(status), &attempts, &next, &sent_at, last_error, sizeof(last_error));
    CHECK_INT_EQ(attempts, 2, "two attempts");
    CHECK(next >= f.now + 11 && next <= f.now + 21, "second retry within [11, 21] s, got +%lld",
          (long long)(next - f.now));

    f.now = next;
    CHECK_INT_EQ(notify_worker_run_once(w, &e), 1, "pass 3");
    row(&f, id, status, sizeof(status), &attempts, &next, &sent_at, last_error, sizeof(last_error));
    CHECK_STR_EQ(status, "sent", "delivered on the third attempt");
    CHECK_INT_EQ(attempts, 3, "three attempts");
    CHECK_INT_EQ(sent_at, f.now, "sent_at");
    CHECK_STR_EQ(last_error, "", "error cleared");
    CHECK_INT_EQ(ch.calls, 3, "three deliveries");
    CHECK_INT_EQ(f.published, 1, "published once, not per attempt");

    f.now += 100000;
    CHECK_INT_EQ(notify_worker_run_once(w, &e), 0, "nothing more to do");
    if (wr) {
        struct store_writer_stats ws;
        store_writer_stats(wr, &ws);
        /* Passes 1-3 claimed and recorded, the other two only claimed. */
        CHECK_INT_EQ((long long)ws.jobs, 8, "the worker's transactions went through the writer");
    }
    notify_worker_free(w);
    store_writer_stop(wr);
    teardown(&f);
}

TEST(notify_worker_retries_then_succeeds)
{
    retries_then_succeeds("retry.db", 0);
}

TEST(notify_worker_retries_through_the_writer)
{
    retries_then_succeeds("retry-writer.db", 1);
}

TEST(notify_worker_gives_up_after_max_attempts)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct notify_worker *w;
    struct fake ch = {{&fake_ops}, 1000, 0, 0};
    char status[16], last_error[128];
    int64_t attempts, next, sent_at;
    setup(&f, "giveup.db");
    struct notify_options o = {.interval = 60,
                               .max_attempts = 3,
                               .retry_base = 1,
                               .retry_max = 60,
                               .batch = 10,
                               .lease = 300};
    CHECK_INT_EQ(notify_worker_new(&w, f.st, &o, &ch.base, fixture_publish, fixture_now, &f, &e), 0,
                 "new: %s", e.msg);
    int64_t id = add_row(&f, "overdue");
    for (int pass = 1; pass <= 3; pass++) {
        CHECK_INT_EQ(notify_worker_run_once(w, &e), 1, "pass %d: %s", pass, e.msg);
        row(&f, id, status, sizeof(status), &attempts, &next, &sent_at, last_error,
            sizeof(last_error));
        CHECK_INT_EQ(attempts, pass, "attempts after pass %d", pass);
        CHECK_STR_EQ(status, pass < 3 ? "pending" : "failed", "status after pass %d", pass);
        f.now += 3600;
    }
    CHECK(strstr(last_error, "call 3") != NULL, "the last error is kept: '%s'", last_error);
    CHECK_INT_EQ(sent_at, 0, "never sent");
    /* Given up: no further attempts however long we wait. */
    f.now += 86400;
    CHECK_INT_EQ(notify_worker_run_once(w, &e), 0, "failed rows are not claimed");
    CHECK_INT_EQ(ch.calls, 3, "exactly max_attempts deliveries");
    notify_worker_free(w);
    teardown(&f);
}

TEST(notify_channel_by_name)
{
    struct notify_channel *ch = NULL;
    struct err e = ERR_INIT;
    CHECK_INT_EQ(notify_channel_new(&ch, "none", "", 1000, &e), 0, "none");
    CHECK(ch == NULL, "none has no channel");
    CHECK_INT_EQ(notify_channel_new(&ch, "log", "", 1000, &e), 0, "log");
    CHECK(ch && strcmp(ch->ops->name, "log") == 0, "log channel");
    notify_channel_free(ch);
    CHECK_INT_EQ(notify_channel_new(&ch, "webhook", "", 1000, &e), ERR_BAD_REQUEST,
                 "webhook without a URL");
    CHECK_STR_EQ(e.field, "notify_webhook_url", "field");
    CHECK_INT_EQ(notify_channel_new(&ch, "webhook", "ftp://x", 1000, &e), ERR_BAD_REQUEST,
                 "not http");
    CHECK_INT_EQ(notify_channel_new(&ch, "webhook", "http://127.0.0.1:9/hook", 1000, &e), 0,
                 "webhook");
    CHECK(ch && strcmp(ch->ops->name, "webhook") == 0, "webhook channel");
    /* Port 9 (discard) is closed on the test machine: a network error is a failure. */
    struct notify_item n = {.id = 1,
                            .case_number = "",
                            .recipient_kind = "department",
                            .kind = "dispatched",
                            .message = "x",
                            .created_at = T0,
                            .attempts = 1};
    CHECK(ch->ops->deliver(ch, &n, &e) < 0, "delivery to a closed port fails");
    notify_channel_free(ch);
    CHECK_INT_EQ(notify_channel_new(&ch, "sms", "", 1000, &e), ERR_BAD_REQUEST, "unknown channel");
    CHECK_STR_EQ(e.field, "notify_channel", "field");
}

TEST(notify_item_json_shape)
{
    struct buf b;
    struct notify_item n = {.id = 7,
                            .case_id = 3,
                            .case_number = "20261125-000003",
                            .event_id = 12,
                            .created_at = T0,
                            .recipient_kind = "department",
                            .recipient_id = 2,
                            .kind = "dispatched",
                            .message = "新派工单 \"A\"\n",
                            .attempts = 2};
    buf_init(&b);
    notify_item_json(&n, &b);
    CHECK_STR_EQ(
        b.p,
        "{\"id\":7,\"case_id\":3,\"case_number\":\"20261125-000003\",\"event_id\":12,\"kind\":\"dispatched\","
        "\"recipient\":{\"kind\":\"department\",\"id\":2},\"message\":\"新派工单 \\\"A\\\"\\n\","
        "\"created_at\":\"2026-09-24T08:00:00Z\",\"attempt\":2}",
        "json");
    buf_release(&b);
}
