/*
 * The group-commit writer: a queue, one thread, one connection. A batch is
 *   BEGIN IMMEDIATE; { SAVEPOINT job; run; RELEASE | ROLLBACK TO + RELEASE } * n; COMMIT
 * and every job is reported after the COMMIT returned. Where the store can (SQLite), the
 * COMMIT does not wait for the disk: the batch goes to a second thread that syncs the log and
 * then reports it, while the writer runs the next batch (store_sync_apart).
 */
#include "store/store_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

#define DEFAULT_MAX_BATCH 256

struct store_writer {
    struct store *store;
    int max_batch;
    int gather_ms;
    int cache_kb;
    store_job_fn *before_commit;
    void *before_commit_arg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* jobs queued, or stopping */
    pthread_cond_t started;
    struct store_job *head, *tail; /* FIFO */
    struct store_job *urgent_last; /* the last urgent job, at the front of the queue, or NULL */
    int queued, eager;             /* jobs in the queue; those of them that may not wait */
    int stopping;
    int start_state; /* 0 starting, 1 running, < 0 failed (ERR_*) */
    struct err start_err;
    struct store_writer_stats stats;
    /* The log is synced apart from the commits (store_sync_apart), by the sync thread: the
     * batches committed (or failed) and not yet reported wait in 'unsynced', in commit order.
     * NULL: each COMMIT is durable when it returns, and the writer reports its batch itself. */
    struct store_sync *sync;
    pthread_t sync_thread;
    pthread_cond_t sync_wake; /* a batch to sync, or stopping; under 'lock' */
    struct store_job *unsynced, *unsynced_tail;
    int syncing; /* the sync thread is waiting for the disk: the running batch may grow */
    int sync_stop;
};

static void fail_job(struct store_job *job, int rc, const struct err *why)
{
    job->rc = rc;
    if (why && why->code) {
        job->err = *why;
    } else {
        err_set(&job->err, rc, "%s", err_default_message(rc));
    }
}

/* A job's savepoint; returns 0, or < 0 if the transaction is no longer usable (then 'e'
 * says why, for the batch's error). */
static int run_one(struct store_conn *c, struct store_job *job, struct err *e)
{
    int rc;
    err_clear(&job->err);
    if ((rc = (int)store_run(c, "SAVEPOINT gl_job", STORE_NO_ARGS, e)) < 0) {
        fail_job(job, rc, e);
        return rc;
    }
    job->rc = job->run(job->arg, c, &job->err);
    if (job->rc < 0) {
        if (!job->err.code)
            err_set(&job->err, job->rc, "%s", err_default_message(job->rc));
        /* Undo this job alone. If the savepoint is gone, SQLite rolled back the whole
         * transaction (I/O error, disk full): the batch cannot go on. */
        if ((rc = (int)store_run(c, "ROLLBACK TO gl_job", STORE_NO_ARGS, e)) < 0)
            return rc;
    } else {
        job->rc = 0;
    }
    if ((rc = (int)store_run(c, "RELEASE gl_job", STORE_NO_ARGS, e)) < 0) {
        if (job->rc == 0)
            fail_job(job, rc, e);
        return rc;
    }
    return 0;
}

/* After job 'j' of a running batch: when urgent jobs wait, the jobs after 'j' (not run yet) go
 * back to the front of the queue, behind the urgent ones and ahead of every ordinary job, so the
 * batch commits now and the urgent jobs come next, instead of waiting for the rest of a batch of
 * up to max_batch jobs (tens of milliseconds under a backlog of sensor readings). Returns the
 * number of jobs given back. */
static int yield_to_urgent(struct store_writer *w, struct store_job *j)
{
    int given = 0;
    if (!j->next)
        return 0;
    pthread_mutex_lock(&w->lock);
    if (w->urgent_last) {
        struct store_job *first = j->next, *last = first;
        given = 1;
        w->eager += first->eager_;
        while (last->next) {
            last = last->next;
            given++;
            w->eager += last->eager_;
        }
        w->queued += given;
        last->next = w->urgent_last->next;
        w->urgent_last->next = first;
        if (!last->next)
            w->tail = last;
        j->next = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    return given;
}

/* The jobs' outcomes are final (committed durably, or failed): tell their submitters. */
static void report(struct store_writer *w, struct store_job *jobs)
{
    /* Counted before the jobs are reported: a submitter that has heard of its job finds it
     * in store_writer_stats(). */
    int n = 0, failed = 0;
    for (struct store_job *j = jobs; j; j = j->next) {
        n++;
        failed += j->rc < 0;
    }
    pthread_mutex_lock(&w->lock);
    w->stats.jobs += (uint64_t)n;
    w->stats.failed += (uint64_t)failed;
    pthread_mutex_unlock(&w->lock);
    for (struct store_job *j = jobs, *next; j; j = next) {
        next = j->next; /* done() may free the job */
        j->next = NULL;
        j->done(j);
    }
}

/* The sync thread: one fdatasync for every batch committed since the last began, then their
 * reports. While it waits for the disk, the writer runs the next batch. */
static void *sync_main(void *arg)
{
    struct store_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->unsynced && !w->sync_stop)
            pthread_cond_wait(&w->sync_wake, &w->lock);
        if (!w->unsynced)
            break; /* stopping, and the writer has ended: nothing more comes */
        struct store_job *jobs = w->unsynced;
        w->unsynced = w->unsynced_tail = NULL;
        w->syncing = 1;
        pthread_mutex_unlock(&w->lock);
        int committed = 0;
        for (struct store_job *j = jobs; j && !committed; j = j->next)
            committed = j->rc == 0;
        struct err e = ERR_INIT;
        if (committed && store_sync(w->sync, &e) < 0) {
            /* Those commits are visible but maybe not on the disk, and no later sync can say
             * whether the kernel kept them: acknowledging anything more could acknowledge what
             * is lost. Stop, as PostgreSQL does; on the next start the database holds what
             * reached the disk, and no client was told more. */
            log_msg(LOG_ERROR, "store writer: %s: stopping the server", e.msg);
            fprintf(stderr, "gridloop: %s\n", e.msg);
            abort();
        }
        pthread_mutex_lock(&w->lock);
        w->syncing = 0; /* the running batch may commit */
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        report(w, jobs);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Under 'lock', with jobs queued: up to 'max' of them off the front of the queue, in order;
 * urgent jobs at the front make a batch of their own (*urgent = 1), so that their commit does
 * not wait for the ordinary jobs behind them. */
static struct store_job *take(struct store_writer *w, int max, int *n, int *urgent)
{
    struct store_job *batch = w->head, *last = w->head;
    struct store_job *end = w->urgent_last;
    *n = 1;
    *urgent = end != NULL;
    while (last->next && *n < max && last != end) {
        if (last == w->urgent_last)
            w->urgent_last = NULL;
        last = last->next;
        (*n)++;
    }
    if (last == w->urgent_last)
        w->urgent_last = NULL;
    w->queued -= *n;
    for (struct store_job *j = batch; j != last->next; j = j->next)
        w->eager -= j->eager_;
    w->head = last->next;
    if (!w->head)
        w->tail = NULL;
    last->next = NULL;
    return batch;
}

/*
 * With the log synced apart: while the previous batch's sync is still running, the batch goes
 * on with the jobs that arrive (up to max_batch), and commits once that sync has ended. So the
 * batches stay as large as when each commit waited for its own sync (every commit writes each
 * page it touched, and most of a case's index pages are shared), and the writer works through
 * the wait instead of idling. An urgent job ends it, as it ends a batch. 'last' is the batch's
 * last job, '*n' its count; returns 0, or < 0 if the transaction is no longer usable ('e' says
 * why).
 */
static int run_while_syncing(struct store_writer *w, struct store_conn *c, struct store_job *last,
                             int *n, struct err *e)
{
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    while (rc == 0 && w->syncing && !w->urgent_last && *n < w->max_batch) {
        if (!w->head) {
            pthread_cond_wait(&w->wake, &w->lock);
            continue;
        }
        int k, urgent;
        struct store_job *more = take(w, w->max_batch - *n, &k, &urgent);
        pthread_mutex_unlock(&w->lock);
        last->next = more;
        *n += k;
        for (struct store_job *j = more; j; j = j->next) {
            last = j;
            if ((rc = run_one(c, j, e)) < 0)
                break;
            *n -= yield_to_urgent(w, j);
        }
        while (last->next) /* after a failure, the jobs not run fail with the batch */
            last = last->next;
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

/* 'urgent': the batch is the urgent jobs, which keep their order: it does not yield. */
static void run_batch(struct store_writer *w, struct store_conn *c, struct store_job *batch, int n,
                      int urgent)
{
    struct err e = ERR_INIT;
    int rc = store_begin(c, &e);
    if (rc == 0) {
        struct store_job *last = batch;
        for (struct store_job *j = batch; j; j = j->next) {
            last = j;
            if ((rc = run_one(c, j, &e)) < 0)
                break;
            if (!urgent)
                n -= yield_to_urgent(w, j);
        }
        if (rc == 0 && w->sync && !urgent)
            rc = run_while_syncing(w, c, last, &n, &e);
        if (rc == 0 && w->before_commit)
            rc = w->before_commit(w->before_commit_arg, c, &e);
        if (rc < 0) {
            char why[ERR_MSG_MAX];
            memcpy(why, e.msg, sizeof(why));
            store_rollback(c);
            err_set(&e, rc, "the write transaction was aborted: %s", why);
        } else {
            rc = store_commit(c, &e); /* rolls back itself on failure */
        }
    }
    if (rc < 0) {
        /* Nothing of this batch is committed: every job fails, even those whose own work
         * was fine, with the cause. */
        log_msg(LOG_ERROR, "store writer: batch of %d job(s) failed: %s", n, e.msg);
        for (struct store_job *j = batch; j; j = j->next)
            fail_job(j, rc, &e);
    }
    pthread_mutex_lock(&w->lock);
    w->stats.batches++;
    if (n > w->stats.max_batch_seen)
        w->stats.max_batch_seen = n;
    if (w->sync) {
        if (w->unsynced_tail)
            w->unsynced_tail->next = batch;
        else
            w->unsynced = batch;
        while (batch->next)
            batch = batch->next;
        w->unsynced_tail = batch;
        pthread_cond_signal(&w->sync_wake);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    pthread_mutex_unlock(&w->lock);
    report(w, batch);
}

static void *writer_main(void *arg)
{
    struct store_writer *w = arg;
    struct store_conn *c;
    struct err e = ERR_INIT;
    int rc = store_conn(w->store, &c, &e);
    if (rc == 0 && (rc = store_sync_apart(c, &w->sync, &e)) > 0)
        rc = 0; /* each commit is durable */
    if (rc == 0)
        store_cache_size(c, w->cache_kb);
    pthread_mutex_lock(&w->lock);
    w->start_state = rc < 0 ? rc : 1;
    w->start_err = e;
    pthread_cond_signal(&w->started);
    if (rc < 0) {
        pthread_mutex_unlock(&w->lock);
        return NULL;
    }
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head)
            break; /* stopping and drained */
        if (w->gather_ms > 0 && !w->eager && w->queued < w->max_batch) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += (long)(w->gather_ms % 1000) * 1000000L;
            until.tv_sec += w->gather_ms / 1000 + until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            while (!w->stopping && !w->eager && w->queued < w->max_batch &&
                   pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
                ;
        }
        int n, urgent;
        struct store_job *batch = take(w, w->max_batch, &n, &urgent);
        pthread_mutex_unlock(&w->lock);
        run_batch(w, c, batch, n, urgent);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* The writer's memory, once its threads have ended (or never started), with its log's sync. */
static void writer_free(struct store_writer *w)
{
    store_sync_free(w->sync);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->started);
    pthread_cond_destroy(&w->sync_wake);
    free(w);
}

int store_writer_start(struct store_writer **out, struct store *st,
                       const struct store_writer_options *opt, struct err *err)
{
    struct store_writer *w = xcalloc(1, sizeof(*w));
    w->store = st;
    w->max_batch = opt && opt->max_batch > 0 ? opt->max_batch : DEFAULT_MAX_BATCH;
    w->gather_ms = opt && opt->gather_ms > 0 ? opt->gather_ms : 0;
    w->cache_kb = opt && opt->cache_kb > 0 ? opt->cache_kb : 0;
    w->before_commit = opt ? opt->before_commit : NULL;
    w->before_commit_arg = opt ? opt->before_commit_arg : NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca; /* the gathering wait is timed by the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->started, NULL);
    pthread_cond_init(&w->sync_wake, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        writer_free(w);
        return err_set(err, ERR_INTERNAL, "cannot start the store writer thread");
    }
    pthread_mutex_lock(&w->lock);
    while (w->start_state == 0)
        pthread_cond_wait(&w->started, &w->lock);
    int rc = w->start_state < 0 ? w->start_state : 0;
    if (rc < 0 && err)
        *err = w->start_err;
    if (rc == 0 && w->sync && pthread_create(&w->sync_thread, NULL, sync_main, w) != 0) {
        rc = err_set(err, ERR_INTERNAL, "cannot start the store writer's sync thread");
        w->stopping = 1; /* nothing was queued yet */
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    if (rc < 0) {
        pthread_join(w->thread, NULL);
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void store_writer_stop(struct store_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    if (w->sync) {
        /* The writer has committed its last batch: the sync thread reports it, then ends. */
        pthread_mutex_lock(&w->lock);
        w->sync_stop = 1;
        pthread_cond_signal(&w->sync_wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->sync_thread, NULL);
    }
    writer_free(w);
}

/* Queue 'job' at the tail, or (urgent) after the urgent jobs already waiting, in their order,
 * and before every other. */
static int enqueue(struct store_writer *w, struct store_job *job, int urgent, struct err *err)
{
    job->next = NULL;
    job->rc = 0;
    err_clear(&job->err);
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return err_set(err, ERR_UNAVAILABLE, "the server is shutting down");
    }
    job->eager_ = urgent || !job->may_wait;
    w->queued++;
    w->eager += job->eager_;
    struct store_job **at = urgent ? (w->urgent_last ? &w->urgent_last->next : &w->head)
                                   : (w->tail ? &w->tail->next : &w->head);
    job->next = *at;
    *at = job;
    if (!job->next)
        w->tail = job;
    if (urgent)
        w->urgent_last = job;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int store_writer_submit(struct store_writer *w, struct store_job *job, struct err *err)
{
    return enqueue(w, job, 0, err);
}

int store_writer_submit_urgent(struct store_writer *w, struct store_job *job, struct err *err)
{
    return enqueue(w, job, 1, err);
}

struct sync_job {
    struct store_job job;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int finished;
};

static void sync_done(struct store_job *job)
{
    struct sync_job *s = (struct sync_job *)job;
    pthread_mutex_lock(&s->lock);
    s->finished = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

int store_writer_run(struct store_writer *w, store_job_fn *run, void *arg, struct err *err)
{
    struct sync_job s = {.job = {.run = run, .done = sync_done, .arg = arg}};
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    int rc = store_writer_submit(w, &s.job, err);
    if (rc == 0) {
        pthread_mutex_lock(&s.lock);
        while (!s.finished)
            pthread_cond_wait(&s.cond, &s.lock);
        pthread_mutex_unlock(&s.lock);
        rc = s.job.rc;
        if (rc < 0 && err)
            *err = s.job.err;
    }
    pthread_mutex_destroy(&s.lock);
    pthread_cond_destroy(&s.cond);
    return rc;
}

void store_writer_stats(struct store_writer *w, struct store_writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}
