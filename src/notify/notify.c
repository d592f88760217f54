/*
 * The outbox queries and the delivery worker. The worker is one loop: wait for the interval
 * or a wake-up, claim a batch, publish the rows seen for the first time, deliver each through
 * the channel and record the outcome. Claiming and recording are separate transactions so
 * the database lock is never held while a webhook is being called.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "notify/notify.h"
#include "notify/notify_internal.h"
#include "store/store.h"
#include "store/store_writer.h"

int64_t notify_retry_at(int64_t now, int64_t delay)
{
    /* 'now' is whole seconds and the failure happened somewhere in the second after it: due at
     * now + delay, a retry could come almost a second early (0.09 s after a failure late in
     * its second, where 1 s was the schedule). Counted from the second's end, it never does. */
    return now + delay + 1;
}

int64_t notify_backoff(int attempts, int base, int cap, uint32_t rnd)
{
    int64_t d = base > 0 ? base : 1;
    for (int i = 1; i < attempts && d < cap; i++)
        d *= 2;
    if (cap > 0 && d > cap)
        d = cap;
    /* "Equal jitter": somewhere in [d/2, d], so retries of a burst spread out but never
     * come sooner than half the schedule. */
    return d - (int64_t)(rnd % (uint32_t)(d / 2 + 1));
}

void notify_item_read(struct store_stmt *s, struct arena *a, struct notify_item *n)
{
    n->id = store_col_int(s, 0);
    n->case_id = store_col_int(s, 1);
    n->case_number = arena_strdup(a, store_col_text(s, 2));
    n->event_id = store_col_int(s, 3);
    n->created_at = store_col_int(s, 4);
    n->recipient_kind = arena_strdup(a, store_col_text(s, 5));
    n->recipient_id = store_col_int(s, 6);
    n->kind = arena_strdup(a, store_col_text(s, 7));
    n->message = arena_strdup(a, store_col_text(s, 8));
    n->attempts = (int)store_col_int(s, 9);
    n->case_region = arena_strdup(a, store_col_text(s, 10));
}

/* Read every row of 's' (at most 'max') into an arena array. */
static int items_read(struct store_stmt *s, int max, struct arena *a, struct notify_item **out,
                      struct err *err)
{
    struct notify_item *items =
        arena_alloc(a, mem_size_mul((size_t)(max > 0 ? max : 1), sizeof(*items)));
    int n = 0, rc;
    while (n < max && (rc = store_step(s, err)) == 1)
        notify_item_read(s, a, &items[n++]);
    store_done(s);
    if (rc < 0)
        return rc;
    *out = items;
    return n;
}

int notify_claim_in_tx(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                       struct notify_item **out, struct err *err)
{
    struct store_stmt *s;
    int rc, n;
    if ((rc = store_prepare(
             c,
             "SELECT " ITEM_COLS " FROM notifications n LEFT JOIN cases c ON c.id = n.case_id"
             " WHERE n.status = 'pending' AND n.next_attempt_at <= ? ORDER BY n.next_attempt_at, n.id LIMIT ?",
             STORE_ARGS(store_i64(now), store_i64(max)), &s, err)) < 0)
        return rc;
    if ((rc = n = items_read(s, max, a, out, err)) < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct notify_item *it = &(*out)[i];
        if ((rc = (int)store_run(
                 c,
                 "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                 STORE_ARGS(store_i64(now + lease), store_i64(it->id)), err)) < 0)
            return rc;
        it->attempts++;
    }
    return n;
}

int notify_claim(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                 struct notify_item **out, struct err *err)
{
    int rc, n;
    /* BEGIN IMMEDIATE takes the write lock first, so two claimers (two processes on one
     * database) never read the same due rows. */
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    if ((rc = n = notify_claim_in_tx(c, now, lease, max, a, out, err)) < 0 ||
        (rc = store_commit(c, err)) < 0) {
        store_rollback(c);
        return rc;
    }
    return n;
}

int notify_mark_sent(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    int64_t rc = store_run(
        c, "UPDATE notifications SET status = 'sent', sent_at = ?, last_error = '' WHERE id = ?",
        STORE_ARGS(store_i64(now), store_i64(id)), err);
    return rc < 0 ? (int)rc : 0;
}

int notify_mark_failed(struct store_conn *c, const struct notify_item *n, int64_t now,
                       int64_t delay, int max_attempts, const char *error, struct err *err)
{
    int64_t rc;
    if (n->attempts >= max_attempts)
        rc = store_run(c, "UPDATE notifications SET status = 'failed', last_error = ? WHERE id = ?",
                       STORE_ARGS(store_text(error), store_i64(n->id)), err);
    else
        rc = store_run(
            c, "UPDATE notifications SET next_attempt_at = ?, last_error = ? WHERE id = ?",
            STORE_ARGS(store_i64(notify_retry_at(now, delay)), store_text(error), store_i64(n->id)),
            err);
    return rc < 0 ? (int)rc : 0;
}

int notify_list_after(struct store_conn *c, int64_t after, int max, struct arena *a,
                      struct notify_item **out, struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT " ITEM_COLS " FROM notifications n LEFT JOIN cases c ON c.id = n.case_id"
        " WHERE n.id > ? AND (n.attempts > 0 OR n.status <> 'pending') ORDER BY n.id LIMIT ?",
        STORE_ARGS(store_i64(after), store_i64(max)), &s, err);
    if (rc < 0)
        return rc;
    return items_read(s, max, a, out, err);
}

int notify_last_id(struct store_conn *c, int64_t *id, struct err *err)
{
    *id = 0;
    int rc =
        store_one_i64(c, "SELECT coalesce(max(id), 0) FROM notifications", STORE_NO_ARGS, id, err);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- worker */

struct notify_worker {
    struct store *store;
    struct notify_options opt;
    struct notify_channel *channel;
    struct notify_sms_channel *sms;
    struct store_writer *writer; /* NULL: the worker commits on its own connection */
    notify_publish_fn *publish;
    notify_now_fn *now;
    void *ctx;
    uint32_t rnd;
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int woken;
};

static uint32_t next_rnd(struct notify_worker *w)
{
    /* xorshift32: jitter needs spread, not secrecy. */
    uint32_t x = w->rnd;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return w->rnd = x;
}

int notify_worker_new(struct notify_worker **out, struct store *st, const struct notify_options *o,
                      struct notify_channel *ch, notify_publish_fn *publish, notify_now_fn *now,
                      void *ctx, struct err *err)
{
    if (o->max_attempts < 1 || o->batch < 1 || o->interval < 1 || o->lease < 1) {
        notify_channel_free(ch);
        return err_set(err, ERR_BAD_REQUEST,
                       "notify worker needs positive interval, attempts, batch and lease");
    }
    struct notify_worker *w = xcalloc(1, sizeof(*w));
    w->store = st;
    w->opt = *o;
    w->channel = ch;
    w->publish = publish;
    w->now = now;
    w->ctx = ctx;
    w->rnd = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;
    if (!w->rnd)
        w->rnd = 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    *out = w;
    return 0;
}

static int stopping(struct notify_worker *w)
{
    pthread_mutex_lock(&w->lock);
    int stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

static int unclaim(struct store_conn *c, const struct notify_item *n, struct err *err)
{
    int64_t rc = store_run(
        c, "UPDATE notifications SET attempts = ?, next_attempt_at = created_at WHERE id = ?",
        STORE_ARGS(store_i64(n->attempts - 1), store_i64(n->id)), err);
    return rc < 0 ? (int)rc : 0;
}

static int64_t worker_now(struct notify_worker *w)
{
    return w->now ? w->now(w->ctx) : (int64_t)time(NULL);
}

void notify_worker_set_writer(struct notify_worker *w, struct store_writer *writer)
{
    w->writer = writer;
}

/*
 * One write transaction of the worker's: a job of the group-commit writer when it has one, else
 * a transaction of its own on 'c'. Under intake the worker's claims and outcomes were a commit
 * (an fsync, with the write lock held through it) for every one or two of the writer's, and the
 * writer waited for the lock meanwhile; as jobs they share the intake's commits.
 */
static int worker_tx(struct notify_worker *w, struct store_conn *c, store_job_fn *fn, void *arg,
                     struct err *err)
{
    if (w->writer)
        return store_writer_run(w->writer, fn, arg, err);
    int rc = store_begin(c, err);
    if (rc < 0)
        return rc;
    if ((rc = fn(arg, c, err)) < 0) {
        store_rollback(c);
        return rc;
    }
    return store_commit(c, err);
}

/* The claims as transaction bodies: 'n' is the number claimed. */
struct claim_job {
    int64_t now;
    int lease, max;
    struct arena *a;
    struct notify_item *items;
    struct notify_sms_msg *msgs;
    int n;
};

static int claim_items(void *arg, struct store_conn *c, struct err *err)
{
    struct claim_job *j = arg;
    j->n = notify_claim_in_tx(c, j->now, j->lease, j->max, j->a, &j->items, err);
    return j->n < 0 ? j->n : 0;
}

static int claim_msgs(void *arg, struct store_conn *c, struct err *err)
{
    struct claim_job *j = arg;
    j->n = notify_sms_claim_in_tx(c, j->now, j->lease, j->max, j->a, &j->msgs, err);
    return j->n < 0 ? j->n : 0;
}

/* Outcomes of SMS sent since the last record, written together. */
struct sms_outcome {
    const struct notify_sms_msg *m;
    int sent;
    int64_t delay;
    const char *error;
};

/* At most this many texts sent and not yet recorded: a crash resends them (the lease expires),
 * so the number is the duplicates a crash may cause, against one commit (an fsync) per text,
 * which under intake (a receipt per case) cost as much as the writer's own commits. */
#define SMS_RECORD_EVERY 20

struct sms_record_job {
    const struct sms_outcome *o;
    int n, max_attempts;
    int64_t now;
};

static int sms_record_body(void *arg, struct store_conn *c, struct err *err)
{
    struct sms_record_job *j = arg;
    int rc = 0;
    for (int i = 0; i < j->n && rc >= 0; i++)
        rc = j->o[i].sent ? notify_sms_mark_sent(c, j->o[i].m->id, j->now, err)
                          : notify_sms_mark_failed(c, j->o[i].m, j->now, j->o[i].delay,
                                                   j->max_attempts, j->o[i].error, err);
    return rc < 0 ? rc : 0;
}

static int sms_record(struct notify_worker *w, struct store_conn *c, const struct sms_outcome *o,
                      int n, struct err *err)
{
    if (n == 0)
        return 0;
    struct sms_record_job j = {o, n, w->opt.max_attempts, worker_now(w)};
    return worker_tx(w, c, sms_record_body, &j, err);
}

/* The SMS outbox: as the notifications' pass, one message at a time (a gateway call each),
 * the outcomes recorded SMS_RECORD_EVERY at a time. */
static int sms_pass(struct notify_worker *w, struct store_conn *c, struct arena *a, struct err *err)
{
    struct notify_sms_msg *msgs;
    struct sms_outcome o[SMS_RECORD_EVERY];
    int rc, n, no = 0;
    struct claim_job cj = {worker_now(w), w->opt.lease, w->opt.batch, a, NULL, NULL, 0};
    if ((rc = worker_tx(w, c, claim_msgs, &cj, err)) < 0)
        return rc;
    n = cj.n;
    msgs = cj.msgs;
    for (int i = 0; i < n; i++) {
        struct notify_sms_msg *m = &msgs[i];
        struct err de = ERR_INIT;
        int drc = stopping(w) ? err_set(&de, ERR_UNAVAILABLE, "stopping")
                              : notify_sms_send(w->sms, m, &de);
        o[no] = (struct sms_outcome){m, drc == 0, 0, NULL};
        if (drc != 0) {
            int64_t delay =
                notify_backoff(m->attempts, w->opt.retry_base, w->opt.retry_max, next_rnd(w));
            if (m->attempts >= w->opt.max_attempts)
                log_msg(LOG_WARN, "sms: giving up on message %lld after %d attempt(s): %s",
                        (long long)m->id, m->attempts, de.msg);
            else
                log_msg(LOG_INFO, "sms: message %lld attempt %d failed, retry in %lld s: %s",
                        (long long)m->id, m->attempts, (long long)delay, de.msg);
            o[no].delay = delay;
            o[no].error = arena_strdup(a, de.msg);
        }
        if (++no == SMS_RECORD_EVERY || i == n - 1) {
            if ((rc = sms_record(w, c, o, no, err)) < 0)
                return rc;
            no = 0;
        }
    }
    return n;
}

/* A delivery's outcome, recorded with the batch's others. */
struct outcome {
    int state; /* 0 sent, 1 retry or give up, 2 hand back */
    int64_t delay;
    const char *error;
};

struct outcomes_job {
    const struct notify_item *items;
    const struct outcome *res;
    int n, max_attempts;
    int64_t now;
};

static int record_outcomes(void *arg, struct store_conn *c, struct err *err)
{
    struct outcomes_job *j = arg;
    int rc = 0;
    for (int i = 0; i < j->n && rc >= 0; i++) {
        if (j->res[i].state == 0)
            rc = notify_mark_sent(c, j->items[i].id, j->now, err);
        else if (j->res[i].state == 1)
            rc = notify_mark_failed(c, &j->items[i], j->now, j->res[i].delay, j->max_attempts,
                                    j->res[i].error, err);
        else
            rc = unclaim(c, &j->items[i], err);
    }
    return rc < 0 ? rc : 0;
}

int notify_worker_run_once(struct notify_worker *w, struct err *err)
{
    struct store_conn *c;
    struct notify_item *items;
    struct arena a;
    int rc, n;
    if ((rc = store_conn(w->store, &c, err)) < 0)
        return rc;
    arena_init(&a, 4096);
    struct claim_job cj = {worker_now(w), w->opt.lease, w->opt.batch, &a, NULL, NULL, 0};
    if ((rc = worker_tx(w, c, claim_items, &cj, err)) < 0)
        goto out;
    n = cj.n;
    items = cj.items;
    /* Deliver the whole batch first, then record every outcome in one transaction: one
     * fsync per batch instead of one per notification, which under intake load was the
     * largest single cost of the server. */
    struct outcome *res = arena_alloc(&a, sizeof(*res) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        struct notify_item *it = &items[i];
        struct err de = ERR_INIT;
        if (stopping(w)) {
            /* Hand the rest back untouched rather than leave them leased and counted. */
            res[i].state = 2;
            continue;
        }
        if (it->attempts == 1 && w->publish)
            w->publish(w->ctx, it);
        int drc = w->channel ? w->channel->ops->deliver(w->channel, it, &de) : 0;
        if (drc == 0)
            continue;
        res[i].state = 1;
        res[i].delay =
            notify_backoff(it->attempts, w->opt.retry_base, w->opt.retry_max, next_rnd(w));
        res[i].error = arena_strdup(&a, de.msg);
        if (it->attempts >= w->opt.max_attempts)
            log_msg(LOG_WARN, "notify: giving up on notification %lld after %d attempt(s): %s",
                    (long long)it->id, it->attempts, de.msg);
        else
            log_msg(LOG_INFO, "notify: notification %lld attempt %d failed, retry in %lld s: %s",
                    (long long)it->id, it->attempts, (long long)res[i].delay, de.msg);
    }
    if (n > 0) {
        struct outcomes_job oj = {items, res, n, w->opt.max_attempts, worker_now(w)};
        if ((rc = worker_tx(w, c, record_outcomes, &oj, err)) < 0)
            goto out;
    }
    if (w->sms) {
        int sn = sms_pass(w, c, &a, err);
        if (sn < 0) {
            rc = sn;
            goto out;
        }
        n = n > sn ? n : sn;
    }
    rc = n;
out:
    arena_release(&a);
    return rc;
}

/* Wake-ups closer together than this are served together: under intake every request wakes
 * the worker, and each run is a claim and an outcome commit whatever the batch holds. */
#define WAKE_GAP_NS 100000000L

static void *worker_main(void *arg)
{
    struct notify_worker *w = arg;
    for (;;) {
        struct err err = ERR_INIT;
        struct timespec ran;
        clock_gettime(CLOCK_REALTIME, &ran);
        int rc = notify_worker_run_once(w, &err);
        if (rc < 0)
            log_msg(LOG_ERROR, "notify: %s", err.msg);
        pthread_mutex_lock(&w->lock);
        /* A full batch means more may be due: go again at once. */
        if (rc < w->opt.batch && !w->stop) {
            /* The interval counts from the end of the run, as retries are scheduled from
             * their failure; the gap between wake-ups from its start. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += w->opt.interval;
            while (!w->woken && !w->stop &&
                   pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT)
                ;
            until = ran;
            until.tv_nsec += WAKE_GAP_NS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT)
                ;
        }
        w->woken = 0;
        int stop = w->stop;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;
    }
    return NULL;
}

int notify_worker_start(struct notify_worker *w, struct err *err)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return err_set(err, ERR_INTERNAL, "cannot start the notification thread");
    w->running = 1;
    return 0;
}

void notify_worker_set_sms(struct notify_worker *w, struct notify_sms_channel *sms)
{
    notify_sms_channel_free(w->sms);
    w->sms = sms;
}

void notify_worker_wake(struct notify_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->woken = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void notify_worker_free(struct notify_worker *w)
{
    if (!w)
        return;
    if (w->running) {
        pthread_mutex_lock(&w->lock);
        w->stop = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    notify_channel_free(w->channel);
    notify_sms_channel_free(w->sms);
    free(w);
}
