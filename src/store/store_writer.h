/*
 * store_writer: group commit. One writer thread owns one connection and runs queued jobs
 * together in a single write transaction, so one durable commit (one fsync) covers many
 * requests' work instead of one each.
 *
 * Each job runs under its own SAVEPOINT: a job that fails is rolled back alone and the others
 * in the batch still commit. Jobs run, commit and are reported in the order they were
 * submitted (store_writer_submit_urgent's excepted), so anything that reads the previous row
 * inside the transaction (the audit chain's last hash) sees commit order. done() is called
 * only once the batch is durable, or with the error that stopped it.
 *
 * Where the store syncs the log apart (SQLite, store_sync_apart), COMMIT returns before the
 * disk has the batch: a second thread syncs the log and then reports the batches committed
 * before that sync began, while the writer goes on with the next batch, which grows until that
 * sync has ended and then commits. Elsewhere (PostgreSQL) each COMMIT is durable on return.
 *
 * Batching needs no timer: while one batch commits, new jobs queue up, and the next batch
 * takes all of them (up to max_batch). A lone job is committed at once.
 *
 * Threading: submit and run may be called from any thread except the writer's own (a job
 * must not submit and wait). run executes on the writer thread, done on the writer thread or
 * its sync thread (it must not submit and wait either); the job must not touch any other
 * connection. Ownership: jobs are owned by the submitter and must stay valid until done() has
 * been called (store_writer_run() handles this itself).
 */
#ifndef GRIDLOOP_STORE_STORE_WRITER_H
#define GRIDLOOP_STORE_STORE_WRITER_H

#include <stdint.h>

#include "core/err.h"

struct store;
struct store_conn;
struct store_writer;
struct store_job;

/* Runs inside the batch's transaction, under the job's savepoint, on the writer's connection.
 * Returns 0, or a negative ERR_* with 'err' set: then only this job's changes are undone. */
typedef int store_job_fn(void *arg, struct store_conn *c, struct err *err);

/* Called on the writer thread once the job's outcome is final: job->rc is 0 when its work
 * is committed (durably), else a negative ERR_* with job->err describing it. */
typedef void store_job_done_fn(struct store_job *job);

struct store_job {
    store_job_fn *run;
    store_job_done_fn *done;
    void *arg;
    int rc;                 /* out */
    struct err err;         /* out */
    struct store_job *next; /* private: the queue */
    /* in: nobody waits for this job's commit (its submitter has answered already), so the writer
     * may hold it up to gather_ms for more jobs to share the commit; 0 for ordinary jobs. */
    int may_wait;
    int eager_; /* private: counted among the jobs that may not wait */
};

struct store_writer_options {
    int max_batch; /* jobs per transaction at most; <= 0 = 256 */
    /* When every job queued may wait (store_job.may_wait) and they are fewer than max_batch,
     * the writer waits up to this many milliseconds for more before it begins, so a steady
     * stream of such jobs commits in fewer, larger batches (each commit writes every page it
     * touched). Any other job, or a full batch, ends the wait. <= 0: no waiting. */
    int gather_ms;
    /* Optional: runs once per batch after its jobs, inside the transaction, just before
     * COMMIT: work that is much cheaper done once for many jobs (a search-index refresh).
     * A failure fails every job of the batch. */
    store_job_fn *before_commit;
    void *before_commit_arg;
    /* The writer's connection keeps up to this many KiB of pages (store_cache_size); <= 0:
     * the backend's default. */
    int cache_kb;
};

/* Start the writer thread. 'st' must outlive the writer. */
int store_writer_start(struct store_writer **out, struct store *st,
                       const struct store_writer_options *opt, struct err *err);

/* Drain: every job already submitted runs and is reported, then the thread ends and the
 * writer is freed. Later submissions are refused. NULL is accepted. */
void store_writer_stop(struct store_writer *w);

/* Queue a job. Returns 0, or ERR_UNAVAILABLE (err set, done() not called) once stopping. */
int store_writer_submit(struct store_writer *w, struct store_job *job, struct err *err);

/* Queue a job ahead of every ordinary one still waiting (after the urgent ones already there,
 * in their order). A batch running when it arrives stops after its current job and commits (the
 * jobs it had not run go back ahead of the other ordinary ones, in their order); the urgent jobs
 * then run in a batch of their own, so the job's commit waits for at most one job and two
 * commits. For work that must not wait behind a backlog (a sensor reading that opens a case); it
 * gives up submission order against the jobs it passes, so it must not depend on them. */
int store_writer_submit_urgent(struct store_writer *w, struct store_job *job, struct err *err);

/* Submit and wait for the commit: the synchronous form, for callers that have a thread to
 * block. Returns the job's outcome. */
int store_writer_run(struct store_writer *w, store_job_fn *run, void *arg, struct err *err);

struct store_writer_stats {
    uint64_t batches;   /* transactions committed or attempted */
    uint64_t jobs;      /* jobs reported */
    uint64_t failed;    /* jobs reported with an error */
    int max_batch_seen; /* largest batch so far */
};
void store_writer_stats(struct store_writer *w, struct store_writer_stats *out);

#endif /* GRIDLOOP_STORE_STORE_WRITER_H */
