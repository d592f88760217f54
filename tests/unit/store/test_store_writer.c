/* store_writer: batching, savepoint isolation of a failing job, ordering, durability of what
 * done() reports, the per-batch hook, the synchronous form and draining on stop. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_writer.h"
#include "test.h"

static struct store *fresh_store(const char *name)
{
    char path[512];
    struct store *st = NULL;
    struct err e = ERR_INIT;
    log_set_level(LOG_ERROR); /* the failing-batch tests log on purpose */
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    struct store_conn *c;
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    CHECK(store_run(c,
                    "CREATE TABLE t(id INTEGER PRIMARY KEY, seq INTEGER UNIQUE, v TEXT NOT NULL)",
                    STORE_NO_ARGS, &e) >= 0,
          "create table: %s", e.msg);
    return st;
}

static int64_t count_rows(struct store *st, const char *where)
{
    struct store_conn *c;
    struct err e = ERR_INIT;
    int64_t n = -1;
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM t WHERE %s", where);
    store_conn(st, &c, &e);
    CHECK_INT_EQ(store_one_i64(c, sql, STORE_NO_ARGS, &n, &e), 1, "count: %s", e.msg);
    return n;
}

/* A job inserts row 'id' with the next sequence number read inside the transaction (as the
 * audit chain reads its last hash), or fails after writing when 'fail' is set. */
struct tjob {
    struct store_job job;
    int64_t id;
    int fail;            /* 1: insert, then return ERR_CONFLICT; 2: duplicate key */
    int64_t seq;         /* out: assigned inside the transaction */
    int done_order;      /* out: position in which done() was called */
    int visible_at_done; /* out: the row was visible to another connection in done() */
    int64_t batch;       /* out: batches finished before its own ran (with batch_probe set) */
    /* blocking: the job waits until released (to let others queue behind it) */
    pthread_mutex_t *gate_lock;
    pthread_cond_t *gate_cond;
    int *gate_open;
    int *gate_entered;
};

static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static int done_counter;
static struct store *observer;           /* a second store on the same file: another connection */
static struct store_writer *batch_probe; /* jobs note which batch they ran in */

static int tjob_run(void *arg, struct store_conn *c, struct err *err)
{
    struct tjob *j = arg;
    if (j->gate_lock) {
        pthread_mutex_lock(j->gate_lock);
        *j->gate_entered = 1;
        pthread_cond_broadcast(j->gate_cond);
        while (!*j->gate_open)
            pthread_cond_wait(j->gate_cond, j->gate_lock);
        pthread_mutex_unlock(j->gate_lock);
    }
    if (batch_probe) {
        struct store_writer_stats s;
        store_writer_stats(batch_probe, &s);
        j->batch = (int64_t)s.batches;
    }
    int rc =
        store_one_i64(c, "SELECT coalesce(max(seq), 0) + 1 FROM t", STORE_NO_ARGS, &j->seq, err);
    if (rc < 0)
        return rc;
    int64_t id = j->fail == 2 ? 1 : j->id;
    int64_t w = store_run(c, "INSERT INTO t(id, seq, v) VALUES (?, ?, 'x')",
                          STORE_ARGS(store_i64(id), store_i64(j->seq)), err);
    if (w < 0)
        return (int)w;
    if (j->fail == 1)
        return err_field(err, ERR_CONFLICT, "v", "job %lld refuses after writing",
                         (long long)j->id);
    return 0;
}

static void tjob_done(struct store_job *job)
{
    struct tjob *j = job->arg;
    pthread_mutex_lock(&order_lock);
    j->done_order = ++done_counter;
    pthread_mutex_unlock(&order_lock);
    if (observer && job->rc == 0) {
        struct store_conn *oc;
        struct err e = ERR_INIT;
        int64_t n = 0;
        if (store_conn(observer, &oc, &e) == 0 &&
            store_one_i64(oc, "SELECT count(*) FROM t WHERE id = ?", STORE_ARGS(store_i64(j->id)),
                          &n, &e) == 1)
            j->visible_at_done = (int)n;
    }
}

static void tjob_init(struct tjob *j, int64_t id, int fail)
{
    memset(j, 0, sizeof(*j));
    j->id = id;
    j->fail = fail;
    j->job.run = tjob_run;
    j->job.done = tjob_done;
    j->job.arg = j;
}

static void wait_all(struct tjob *jobs, int n)
{
    for (;;) {
        int left = 0;
        pthread_mutex_lock(&order_lock);
        for (int i = 0; i < n; i++)
            left += jobs[i].done_order == 0;
        pthread_mutex_unlock(&order_lock);
        if (!left)
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* A job that holds the writer inside its transaction until gate_open(). */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open, entered;
};

static void gate_hold(struct store_writer *w, struct tjob *j, int64_t id, struct gate *g)
{
    struct err e = ERR_INIT;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->open = g->entered = 0;
    tjob_init(j, id, 0);
    j->gate_lock = &g->lock;
    j->gate_cond = &g->cond;
    j->gate_open = &g->open;
    j->gate_entered = &g->entered;
    CHECK_INT_EQ(store_writer_submit(w, &j->job, &e), 0, "submit gate");
    pthread_mutex_lock(&g->lock);
    while (!g->entered)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

/* A first job holds the writer inside its transaction while 20 more are queued: those 20
 * commit together in the second batch, and every job is reported after its commit. */
TEST(store_writer_batches_queued_jobs)
{
    struct store *st = fresh_store("writer_batch.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    struct gate g;
    struct tjob jobs[21];
    char path[512];
    snprintf(path, sizeof(path), "%s/writer_batch.db", test_tmpdir());
    struct store_options oo = {.path = path};
    CHECK_INT_EQ(store_open(&observer, &oo, &e), 0, "observer: %s", e.msg);
    done_counter = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, NULL, &e), 0, "start: %s", e.msg);
    gate_hold(w, &jobs[0], 100, &g);
    for (int i = 1; i < 21; i++) {
        tjob_init(&jobs[i], 100 + i, 0);
        CHECK_INT_EQ(store_writer_submit(w, &jobs[i].job, &e), 0, "submit %d", i);
    }
    gate_open(&g);
    wait_all(jobs, 21);
    struct store_writer_stats s;
    store_writer_stats(w, &s);
    CHECK_INT_EQ(s.batches, 2, "one batch for the gate job, one for the 20 queued behind it");
    CHECK_INT_EQ(s.max_batch_seen, 20, "the queued jobs commit together");
    CHECK_INT_EQ(s.jobs, 21, "all reported");
    CHECK_INT_EQ(s.failed, 0, "none failed");
    for (int i = 0; i < 21; i++) {
        CHECK_INT_EQ(jobs[i].job.rc, 0, "job %d: %s", i, jobs[i].job.err.msg);
        CHECK_INT_EQ(jobs[i].done_order, i + 1, "job %d reported in submission order", i);
        CHECK_INT_EQ(jobs[i].seq, i + 1, "job %d ran in submission order", i);
        CHECK_INT_EQ(jobs[i].visible_at_done, 1, "job %d committed before done()", i);
    }
    store_writer_stop(w);
    CHECK_INT_EQ(count_rows(st, "1"), 21, "every row committed");
    store_close(observer);
    observer = NULL;
    store_close(st);
}

/* Urgent jobs pass the ordinary ones still queued, in their own order, and run in the next
 * batch; the ordinary ones keep theirs behind them. */
TEST(store_writer_urgent_jobs_pass_the_queue)
{
    struct store *st = fresh_store("writer_urgent.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    struct gate g;
    struct tjob jobs[8];
    char path[512];
    snprintf(path, sizeof(path), "%s/writer_urgent.db", test_tmpdir());
    struct store_options oo = {.path = path};
    CHECK_INT_EQ(store_open(&observer, &oo, &e), 0, "observer: %s", e.msg);
    done_counter = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, NULL, &e), 0, "start: %s", e.msg);
    gate_hold(w, &jobs[0], 200, &g);
    /* Queued while the gate runs: ordinary 1..5, then urgent 6 and 7. */
    for (int i = 1; i < 8; i++) {
        tjob_init(&jobs[i], 200 + i, 0);
        int rc = i < 6 ? store_writer_submit(w, &jobs[i].job, &e)
                       : store_writer_submit_urgent(w, &jobs[i].job, &e);
        CHECK_INT_EQ(rc, 0, "submit %d", i);
    }
    gate_open(&g);
    wait_all(jobs, 8);
    CHECK_INT_EQ(jobs[6].seq, 2, "the first urgent job runs right after the gate");
    CHECK_INT_EQ(jobs[7].seq, 3, "the second urgent job after the first");
    for (int i = 1; i < 6; i++) {
        CHECK_INT_EQ(jobs[i].job.rc, 0, "job %d: %s", i, jobs[i].job.err.msg);
        CHECK_INT_EQ(jobs[i].seq, i + 3, "ordinary job %d keeps its order behind them", i);
    }
    store_writer_stop(w);
    CHECK_INT_EQ(count_rows(st, "1"), 8, "every row committed");
    store_close(observer);
    observer = NULL;
    store_close(st);
}

/* An urgent job submitted while a batch runs: the batch stops after its current job and commits,
 * the urgent job runs and commits alone next, then the rest of the batch in its order, ahead of
 * the ordinary jobs queued meanwhile. */
TEST(store_writer_urgent_job_cuts_a_running_batch_short)
{
    struct store *st = fresh_store("writer_urgent_cut.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    struct gate g0, g1;
    struct tjob jobs[8];
    done_counter = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, NULL, &e), 0, "start: %s", e.msg);
    /* Job 0 holds the first batch while the second is queued: gate job 1, then 2, 3, 4. */
    gate_hold(w, &jobs[0], 300, &g0);
    pthread_mutex_init(&g1.lock, NULL);
    pthread_cond_init(&g1.cond, NULL);
    g1.open = g1.entered = 0;
    tjob_init(&jobs[1], 301, 0);
    jobs[1].gate_lock = &g1.lock;
    jobs[1].gate_cond = &g1.cond;
    jobs[1].gate_open = &g1.open;
    jobs[1].gate_entered = &g1.entered;
    CHECK_INT_EQ(store_writer_submit(w, &jobs[1].job, &e), 0, "submit 1");
    for (int i = 2; i < 5; i++) {
        tjob_init(&jobs[i], 300 + i, 0);
        CHECK_INT_EQ(store_writer_submit(w, &jobs[i].job, &e), 0, "submit %d", i);
    }
    gate_open(&g0);
    pthread_mutex_lock(&g1.lock);
    while (!g1.entered)
        pthread_cond_wait(&g1.cond, &g1.lock);
    pthread_mutex_unlock(&g1.lock);
    /* The batch of 1..4 runs job 1: an ordinary job 5, then the urgent 6 and 7 arrive. */
    tjob_init(&jobs[5], 305, 0);
    CHECK_INT_EQ(store_writer_submit(w, &jobs[5].job, &e), 0, "submit 5");
    for (int i = 6; i < 8; i++) {
        tjob_init(&jobs[i], 300 + i, 0);
        CHECK_INT_EQ(store_writer_submit_urgent(w, &jobs[i].job, &e), 0, "submit %d", i);
    }
    gate_open(&g1);
    wait_all(jobs, 8);
    for (int i = 0; i < 8; i++)
        CHECK_INT_EQ(jobs[i].job.rc, 0, "job %d: %s", i, jobs[i].job.err.msg);
    CHECK_INT_EQ(jobs[1].seq, 2, "job 1 ran");
    CHECK_INT_EQ(jobs[6].seq, 3, "the urgent job 6 right after it, before 2..4 of its batch");
    CHECK_INT_EQ(jobs[7].seq, 4, "then urgent 7");
    for (int i = 2; i < 6; i++)
        CHECK_INT_EQ(jobs[i].seq, i + 3, "ordinary job %d keeps its order behind them", i);
    CHECK(jobs[1].done_order < jobs[6].done_order, "job 1 committed first (done %d, %d)",
          jobs[1].done_order, jobs[6].done_order);
    CHECK(jobs[7].done_order < jobs[2].done_order,
          "the urgent jobs committed before the rest of the cut batch (done %d, %d)",
          jobs[7].done_order, jobs[2].done_order);
    struct store_writer_stats s;
    store_writer_stats(w, &s);
    CHECK_INT_EQ(s.batches, 4, "batches: job 0; job 1; urgent 6, 7; 2..5");
    store_writer_stop(w);
    CHECK_INT_EQ(count_rows(st, "1"), 8, "every row committed");
    pthread_mutex_destroy(&g1.lock);
    pthread_cond_destroy(&g1.cond);
    store_close(st);
}

/* Jobs that may wait are held for company: with a gathering time far longer than the test, three
 * of them stay queued until an ordinary job arrives, and all four commit in one batch; a full batch
 * of them (max_batch) does not wait at all. */
TEST(store_writer_gathers_jobs_that_may_wait)
{
    struct store *st = fresh_store("writer_gather.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    struct tjob jobs[6];
    struct store_writer_options o = {.max_batch = 3, .gather_ms = 600000};
    done_counter = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, &o, &e), 0, "start: %s", e.msg);
    batch_probe = w;
    /* A full batch: three jobs that may wait commit together without anything else. */
    for (int i = 0; i < 3; i++) {
        tjob_init(&jobs[i], 400 + i, 0);
        jobs[i].job.may_wait = 1;
        CHECK_INT_EQ(store_writer_submit(w, &jobs[i].job, &e), 0, "submit %d", i);
    }
    wait_all(jobs, 3);
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(jobs[i].batch, 0, "job %d in the first batch", i);
    /* Two that may wait, then an ordinary job run synchronously: it ends the wait, and the two
     * share its commit (its return means its batch committed, theirs with it). */
    for (int i = 3; i < 5; i++) {
        tjob_init(&jobs[i], 400 + i, 0);
        jobs[i].job.may_wait = 1;
        CHECK_INT_EQ(store_writer_submit(w, &jobs[i].job, &e), 0, "submit %d", i);
    }
    tjob_init(&jobs[5], 405, 0);
    CHECK_INT_EQ(store_writer_run(w, tjob_run, &jobs[5], &e), 0, "ordinary: %s", e.msg);
    wait_all(jobs, 5);
    CHECK(jobs[3].batch == 1 && jobs[4].batch == 1 && jobs[5].batch == 1,
          "the two held for the ordinary job's batch (batches %lld, %lld, %lld)",
          (long long)jobs[3].batch, (long long)jobs[4].batch, (long long)jobs[5].batch);
    CHECK_INT_EQ(jobs[5].seq, 6, "the ordinary job after the two, in submission order");
    batch_probe = NULL;
    /* Held jobs do not outlive a stop: it drains them at once. */
    tjob_init(&jobs[0], 410, 0);
    jobs[0].job.may_wait = 1;
    CHECK_INT_EQ(store_writer_submit(w, &jobs[0].job, &e), 0, "submit before stop");
    store_writer_stop(w);
    CHECK_INT_EQ(count_rows(st, "1"), 7, "every row committed");
    store_close(st);
}

/* In one batch, a job that wrote and then failed, and one that hit a constraint, are undone
 * alone; the jobs around them commit, and the sequence they read has no gap. */
TEST(store_writer_savepoint_isolates_failing_job)
{
    struct store *st = fresh_store("writer_isolation.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    pthread_mutex_t gl = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t gc = PTHREAD_COND_INITIALIZER;
    int open = 0, entered = 0;
    struct tjob jobs[6];
    static const int fail[6] = {0, 0, 1, 0, 2, 0};
    done_counter = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, NULL, &e), 0, "start: %s", e.msg);
    /* Row 1 exists first, so job 4's insert of id 1 is a constraint violation. */
    CHECK_INT_EQ(store_writer_run(w, tjob_run, &(struct tjob){.id = 1}, &e), 0, "seed: %s", e.msg);
    for (int i = 0; i < 6; i++)
        tjob_init(&jobs[i], 10 + i, fail[i]);
    jobs[0].gate_lock = &gl;
    jobs[0].gate_cond = &gc;
    jobs[0].gate_open = &open;
    jobs[0].gate_entered = &entered;
    store_writer_submit(w, &jobs[0].job, &e);
    pthread_mutex_lock(&gl);
    while (!entered)
        pthread_cond_wait(&gc, &gl);
    pthread_mutex_unlock(&gl);
    for (int i = 1; i < 6; i++)
        store_writer_submit(w, &jobs[i].job, &e);
    pthread_mutex_lock(&gl);
    open = 1;
    pthread_cond_broadcast(&gc);
    pthread_mutex_unlock(&gl);
    wait_all(jobs, 6);
    struct store_writer_stats s;
    store_writer_stats(w, &s);
    CHECK_INT_EQ(s.max_batch_seen, 5, "jobs 1-5 ran in one transaction");
    CHECK_INT_EQ(s.failed, 2, "two failures");
    CHECK_INT_EQ(jobs[2].job.rc, ERR_CONFLICT, "job 2 reports its own error");
    CHECK_STR_EQ(jobs[2].job.err.field, "v", "with its field");
    CHECK(strstr(jobs[2].job.err.msg, "refuses after writing") != NULL, "and message: %s",
          jobs[2].job.err.msg);
    CHECK_INT_EQ(jobs[4].job.rc, ERR_CONFLICT, "job 4: constraint violation");
    for (int i = 0; i < 6; i++)
        if (!fail[i])
            CHECK_INT_EQ(jobs[i].job.rc, 0, "job %d commits despite its failing neighbours: %s", i,
                         jobs[i].job.err.msg);
    CHECK_INT_EQ(count_rows(st, "id IN (10, 11, 13, 15)"), 4, "rows of the good jobs");
    CHECK_INT_EQ(count_rows(st, "id = 12"), 0, "the failed job's write is undone");
    CHECK_INT_EQ(count_rows(st, "1"), 5, "seed + four good jobs");
    CHECK_INT_EQ(count_rows(st, "seq BETWEEN 1 AND 5"), 5, "sequence 1..5 without a gap");
    CHECK_INT_EQ(jobs[3].seq, 4,
                 "job 3 read the sequence as left by its predecessors, without job 2");
    store_writer_stop(w);
    store_close(st);
}

/* Several submitting threads: the order of done() is the commit order, which is the order in
 * which the jobs read and advanced the sequence. */
struct submitter {
    struct store_writer *w;
    struct tjob jobs[50];
    int base;
};

static void *submit_many(void *arg)
{
    struct submitter *s = arg;
    struct err e = ERR_INIT;
    for (int i = 0; i < 50; i++) {
        tjob_init(&s->jobs[i], s->base + i, 0);
        store_writer_submit(s->w, &s->jobs[i].job, &e);
    }
    return NULL;
}

TEST(store_writer_orders_commits_across_threads)
{
    struct store *st = fresh_store("writer_order.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    static struct submitter subs[4];
    pthread_t th[4];
    done_counter = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, &(struct store_writer_options){.max_batch = 16}, &e), 0,
                 "start");
    for (int t = 0; t < 4; t++) {
        subs[t].w = w;
        subs[t].base = 1000 * (t + 1);
        pthread_create(&th[t], NULL, submit_many, &subs[t]);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    store_writer_stop(w); /* drains: every job submitted before is run and reported */
    int by_order[201] = {0};
    for (int t = 0; t < 4; t++) {
        int prev = 0;
        for (int i = 0; i < 50; i++) {
            struct tjob *j = &subs[t].jobs[i];
            CHECK_INT_EQ(j->job.rc, 0, "job %d/%d", t, i);
            CHECK(j->done_order > prev, "thread %d: job %d reported after its earlier ones", t, i);
            prev = j->done_order;
            if (j->done_order >= 1 && j->done_order <= 200)
                by_order[j->done_order] = (int)j->seq;
        }
    }
    for (int k = 1; k <= 200; k++)
        CHECK_INT_EQ(by_order[k], k, "the %d-th job reported is the %d-th committed", k, k);
    CHECK_INT_EQ(count_rows(st, "1"), 200, "all committed");
    store_close(st);
}

/* The per-batch hook runs inside the transaction; when it fails, the whole batch fails and
 * nothing of it is committed. store_writer_run returns the job's own error. */
static int hook_calls;
static int hook_fail;

static int hook(void *arg, struct store_conn *c, struct err *err)
{
    (void)arg;
    hook_calls++;
    if (hook_fail)
        return err_set(err, ERR_IO, "hook failed");
    return store_run(c, "UPDATE t SET v = 'hooked' WHERE v = 'x'", STORE_NO_ARGS, err) < 0
               ? err->code
               : 0;
}

TEST(store_writer_before_commit_hook_and_run)
{
    struct store *st = fresh_store("writer_hook.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    struct tjob a, b;
    hook_calls = 0;
    hook_fail = 0;
    CHECK_INT_EQ(
        store_writer_start(&w, st, &(struct store_writer_options){.before_commit = hook}, &e), 0,
        "start");
    tjob_init(&a, 1, 0);
    CHECK_INT_EQ(store_writer_run(w, tjob_run, &a, &e), 0, "run: %s", e.msg);
    CHECK_INT_EQ(hook_calls, 1, "hook ran once");
    CHECK_INT_EQ(count_rows(st, "v = 'hooked'"), 1, "hook's change committed with the job");
    tjob_init(&b, 2, 1);
    err_clear(&e);
    CHECK_INT_EQ(store_writer_run(w, tjob_run, &b, &e), ERR_CONFLICT,
                 "a failing job's error comes back");
    CHECK(strstr(e.msg, "refuses") != NULL, "with its message: %s", e.msg);
    hook_fail = 1;
    tjob_init(&b, 3, 0);
    err_clear(&e);
    CHECK_INT_EQ(store_writer_run(w, tjob_run, &b, &e), ERR_IO,
                 "the hook's failure fails the batch");
    CHECK(strstr(e.msg, "hook failed") != NULL, "named: %s", e.msg);
    CHECK_INT_EQ(count_rows(st, "id = 3"), 0, "and nothing of it is committed");
    hook_fail = 0;
    store_writer_stop(w);
    store_close(st);
}

static int read_synchronous(void *arg, struct store_conn *c, struct err *err)
{
    int64_t *mode = arg;
    return store_one_i64(c, "PRAGMA synchronous", STORE_NO_ARGS, mode, err) == 1 ? 0 : -1;
}

static int read_cache_size(void *arg, struct store_conn *c, struct err *err)
{
    int64_t *size = arg;
    return store_one_i64(c, "PRAGMA cache_size", STORE_NO_ARGS, size, err) == 1 ? 0 : -1;
}

/* The writer's connection keeps the page cache it was given (negative: KiB, as SQLite reads
 * it); other connections keep SQLite's default. */
TEST(store_writer_keeps_its_own_page_cache)
{
    struct store *st = fresh_store("writer_cache.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    int64_t size = 0;
    CHECK_INT_EQ(store_writer_start(&w, st, &(struct store_writer_options){.cache_kb = 8192}, &e),
                 0, "start: %s", e.msg);
    CHECK_INT_EQ(store_writer_run(w, read_cache_size, &size, &e), 0, "run: %s", e.msg);
    CHECK_INT_EQ(size, -8192, "the writer's 8 MiB");
    struct store_conn *c;
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    CHECK_INT_EQ(read_cache_size(&size, c, &e), 0, "read: %s", e.msg);
    CHECK_INT_EQ(size, -2000, "another connection: SQLite's default");
    store_writer_stop(w);
    store_close(st);
}

/* On SQLite the writer's commits leave the log's sync to its sync thread (synchronous=NORMAL on
 * its connection alone: every other connection still syncs its own commits), and store_sync
 * makes them durable: it syncs the log file the database has, also after the log started over. */
TEST(store_writer_syncs_the_log_apart)
{
    struct store *st = fresh_store("writer_sync.db");
    struct store_writer *w = NULL;
    struct err e = ERR_INIT;
    int64_t mode = -1;
    CHECK_INT_EQ(store_writer_start(&w, st, NULL, &e), 0, "start: %s", e.msg);
    CHECK_INT_EQ(store_writer_run(w, read_synchronous, &mode, &e), 0, "run: %s", e.msg);
    CHECK_INT_EQ(mode, 1, "the writer's connection commits without syncing (NORMAL)");
    struct store_conn *c;
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    CHECK_INT_EQ(read_synchronous(&mode, c, &e), 0, "read: %s", e.msg);
    CHECK_INT_EQ(mode, 2, "another connection still syncs each commit (FULL)");
    struct tjob a;
    tjob_init(&a, 1, 0);
    CHECK_INT_EQ(store_writer_run(w, tjob_run, &a, &e), 0, "run: %s", e.msg);
    store_writer_stop(w);
    CHECK_INT_EQ(count_rows(st, "id = 1"), 1, "committed");

    /* store_sync on its own: the log is synced, and after a checkpoint that let it start over
     * (the same file, written from its start) too. */
    struct store_sync *s = NULL;
    CHECK_INT_EQ(store_sync_apart(c, &s, &e), 0, "apart: %s", e.msg);
    CHECK(s != NULL, "a sync handle");
    CHECK(store_run(c, "INSERT INTO t(id, seq, v) VALUES (2, 2, 'y')", STORE_NO_ARGS, &e) == 1,
          "insert: %s", e.msg);
    CHECK_INT_EQ(store_sync(s, &e), 0, "sync: %s", e.msg);
    int64_t busy = -1;
    CHECK_INT_EQ(store_one_i64(c, "PRAGMA wal_checkpoint(TRUNCATE)", STORE_NO_ARGS, &busy, &e), 1,
                 "checkpoint: %s", e.msg);
    CHECK_INT_EQ(busy, 0, "the whole log copied: it starts over");
    CHECK(store_run(c, "INSERT INTO t(id, seq, v) VALUES (3, 3, 'z')", STORE_NO_ARGS, &e) == 1,
          "insert: %s", e.msg);
    CHECK_INT_EQ(store_sync(s, &e), 0, "sync after the log started over: %s", e.msg);
    store_sync_free(s);
    CHECK_INT_EQ(count_rows(st, "1"), 3, "every row committed");
    store_close(st);
}
