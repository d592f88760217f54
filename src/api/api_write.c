/*
 * Writes through the group-commit writer. The request is deferred (its connection suspended,
 * its thread free) while its job waits for and runs in a batch transaction; once the batch
 * is durable, the writer resumes the request and the answer is built on an HTTP thread. So a
 * 201 is only ever sent after its commit is on the disk (store_writer.h).
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_writer.h"

static int job_run(void *arg, struct store_conn *c, struct err *err)
{
    struct api_write *w = arg;
    return w->run(w, c, err);
}

/* Writer thread, after the commit: wake the request up. */
static void job_done(struct store_job *job)
{
    struct api_write *w = job->arg;
    http_req_resume(w->call.req);
}

/* HTTP thread, after http_req_resume(). */
static void finish(void *arg, struct http_req *req, struct http_res *res)
{
    struct api_write *w = arg;
    struct api_call call = w->call;
    int rc = w->job.rc;
    call.req = req;
    call.res = res;
    if (rc < 0)
        call.err = w->job.err;
    else if ((rc = store_conn(call.api->d.store, &call.conn, &call.err)) == 0)
        rc = w->reply(&call, w);
    api_rollback(&call);
    if (rc == 0) {
        /* The write may have queued notifications: deliver them now. */
        app_notify_wake(call.api->app);
        return;
    }
    api_answer_failure(&call, call.route, rc);
}

int api_write_defer(struct api_call *call, struct api_write *w)
{
    w->call = *call;
    w->call.body = NULL; /* freed when the handler returns */
    w->call.conn = NULL; /* belongs to the handler's thread */
    w->call.res = NULL;
    w->call.in_tx = 0;
    w->job = (struct store_job){.run = job_run, .done = job_done, .arg = w};
    http_req_defer(call->req, finish, w);
    if (store_writer_submit(app_writer(call->api->app), &w->job, &w->job.err) < 0) {
        w->job.rc = w->job.err.code;
        http_req_resume(call->req); /* answered with the error by finish() */
    }
    return 0;
}
