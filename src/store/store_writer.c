/*
 * The group-commit writer: a queue, one thread, one connection. A batch is
 *   BEGIN IMMEDIATE; { SAVEPOINT job; run; RELEASE | ROLLBACK TO + RELEASE } * n; COMMIT
 * and every job is reported after the COMMIT returned.
 */
#include "store/store_writer.h"

#include <pthread.h>
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

/* 'urgent': the batch is the urgent jobs, which keep their order: it does not yield. */
static void run_batch(struct store_writer *w, struct store_conn *c, struct store_job *batch, int n,
                      int urgent)
{
    struct err e = ERR_INIT;
    int rc = store_begin(c, &e);
    if (rc == 0) {
        for (struct store_job *j = batch; j; j = j->next) {
            if ((rc = run_one(c, j, &e)) < 0)
                break;
            if (!urgent)
                n -= yield_to_urgent(w, j);
        }
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
    /* Counted before the jobs are reported: a submitter that has heard of its job finds it
     * in store_writer_stats(). */
    int failed = 0;
    for (struct store_job *j = batch; j; j = j->next)
        failed += j->rc < 0;
    pthread_mutex_lock(&w->lock);
    w->stats.batches++;
    w->stats.jobs += (uint64_t)n;
    w->stats.failed += (uint64_t)failed;
    if (n > w->stats.max_batch_seen)
        w->stats.max_batch_seen = n;
    pthread_mutex_unlock(&w->lock);
    for (struct store_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free the job */
        j->next = NULL;
        j->done(j);
    }
}

static void *writer_main(void *arg)
{
    struct store_writer *w = arg;
    struct store_conn *c;
    struct err e = ERR_INIT;
    int rc = store_conn(w->store, &c, &e);
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
        struct store_job *batch = w->head, *last = w->head;
        int n = 1;
        /* Urgent jobs at the front make a batch of their own: their commit does not wait for
         * the ordinary jobs behind them. */
        struct store_job *end = w->urgent_last;
        while (last->next && n < w->max_batch && last != end) {
            if (last == w->urgent_last)
                w->urgent_last = NULL;
            last = last->next;
            n++;
        }
        if (last == w->urgent_last)
            w->urgent_last = NULL;
        w->queued -= n;
        for (struct store_job *j = batch; j != last->next; j = j->next)
            w->eager -= j->eager_;
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->lock);
        run_batch(w, c, batch, n, end != NULL);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int store_writer_start(struct store_writer **out, struct store *st,
                       const struct store_writer_options *opt, struct err *err)
{
    struct store_writer *w = xcalloc(1, sizeof(*w));
    w->store = st;
    w->max_batch = opt && opt->max_batch > 0 ? opt->max_batch : DEFAULT_MAX_BATCH;
    w->gather_ms = opt && opt->gather_ms > 0 ? opt->gather_ms : 0;
    w->before_commit = opt ? opt->before_commit : NULL;
    w->before_commit_arg = opt ? opt->before_commit_arg : NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca; /* the gathering wait is timed by the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->started, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->started);
        free(w);
        return err_set(err, ERR_INTERNAL, "cannot start the store writer thread");
    }
    pthread_mutex_lock(&w->lock);
    while (w->start_state == 0)
        pthread_cond_wait(&w->started, &w->lock);
    int rc = w->start_state < 0 ? w->start_state : 0;
    if (rc < 0 && err)
        *err = w->start_err;
    pthread_mutex_unlock(&w->lock);
    if (rc < 0) {
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->started);
        free(w);
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
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->started);
    free(w);
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
