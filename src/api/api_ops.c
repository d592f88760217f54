/* Operational endpoints: health, metrics, and the audit log. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "audit/audit.h"
#include "store/store.h"

int api_healthz(struct api_call *call)
{
    int64_t one;
    int rc = store_query_int(call->conn, &one, &call->err, "SELECT 1", "");
    if (rc < 0)
        return err_set(&call->err, ERR_UNAVAILABLE, "database unavailable: %s", call->err.msg);
    static const char ok[] = "{\"status\":\"ok\"}";
    http_res_body(call->res, 200, "application/json", ok, sizeof(ok) - 1, HTTP_BODY_STATIC);
    return 0;
}

int api_metrics(struct api_call *call)
{
    struct buf b;
    uint64_t db_ns, statements;
    buf_init(&b);
    if (call->api->server) {
        http_metrics_render(http_server_metrics(call->api->server), &b);
        buf_printf(&b, "# HELP gridloop_http_in_flight Requests being handled now.\n"
                       "# TYPE gridloop_http_in_flight gauge\ngridloop_http_in_flight %d\n",
                   http_server_in_flight(call->api->server));
    }
    store_stats(call->api->d.store, &db_ns, &statements);
    buf_printf(&b,
               "# HELP gridloop_db_seconds_total Time spent executing database statements.\n"
               "# TYPE gridloop_db_seconds_total counter\ngridloop_db_seconds_total %.6f\n"
               "# HELP gridloop_db_statements_total Database statements stepped.\n"
               "# TYPE gridloop_db_statements_total counter\ngridloop_db_statements_total %llu\n",
               (double)db_ns / 1e9, (unsigned long long)statements);
    if (app_writer(call->api->app)) {
        struct store_writer_stats ws;
        store_writer_stats(app_writer(call->api->app), &ws);
        buf_printf(&b,
                   "# HELP gridloop_writer_batches_total Group-commit transactions of the store writer.\n"
                   "# TYPE gridloop_writer_batches_total counter\ngridloop_writer_batches_total %llu\n"
                   "# HELP gridloop_writer_jobs_total Writes run by the store writer (committed or failed).\n"
                   "# TYPE gridloop_writer_jobs_total counter\ngridloop_writer_jobs_total %llu\n"
                   "# HELP gridloop_writer_failed_total Writes of the store writer answered with an error.\n"
                   "# TYPE gridloop_writer_failed_total counter\ngridloop_writer_failed_total %llu\n"
                   "# HELP gridloop_writer_max_batch Largest group commit so far (writes).\n"
                   "# TYPE gridloop_writer_max_batch gauge\ngridloop_writer_max_batch %d\n",
                   (unsigned long long)ws.batches, (unsigned long long)ws.jobs, (unsigned long long)ws.failed,
                   ws.max_batch_seen);
    }
    size_t len;
    char *body = buf_detach(&b, &len);
    http_res_body(call->res, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, HTTP_BODY_FREE);
    return 0;
}

int api_audit_list(struct api_call *call)
{
    int64_t limit, before;
    struct store_stmt *s;
    struct jw w;
    int rc;
    if ((rc = api_query_int(call, "limit", 100, 1, 1000, &limit)) < 0 ||
        (rc = api_query_int(call, "before", INT64_MAX, 1, INT64_MAX, &before)) < 0)
        return rc;
    if ((rc = store_query(call->conn, &s, &call->err,
                          "SELECT seq, at, coalesce(actor_id, 0), actor_name, action, target, before_digest,"
                          " after_digest, hash FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?",
                          "ii", before, limit)) < 0)
        return rc;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    while ((rc = store_step(s, &call->err)) == 1) {
        jw_obj(&w);
        jw_kint(&w, "id", store_col_int(s, 0));
        jw_ktime(&w, "at", store_col_int(s, 1));
        jw_kint(&w, "actor_id", store_col_int(s, 2));
        jw_kstr(&w, "actor_name", store_col_text(s, 3));
        jw_kstr(&w, "action", store_col_text(s, 4));
        jw_kstr(&w, "target", store_col_text(s, 5));
        jw_kstr(&w, "before_digest", store_col_text(s, 6));
        jw_kstr(&w, "after_digest", store_col_text(s, 7));
        jw_kstr(&w, "hash", store_col_text(s, 8));
        jw_obj_end(&w);
    }
    store_done(s);
    jw_arr_end(&w);
    jw_obj_end(&w);
    if (rc < 0) {
        jw_release(&w);
        return rc;
    }
    return api_reply(call, 200, &w);
}

int api_audit_verify(struct api_call *call)
{
    struct audit_report rep;
    struct jw w;
    int rc = audit_verify(call->conn, &rep, &call->err);
    if (rc < 0)
        return rc;
    jw_init(&w);
    jw_obj(&w);
    jw_kbool(&w, "ok", rep.first_bad_seq == 0);
    jw_kint(&w, "entries", rep.entries);
    if (rep.first_bad_seq) {
        jw_kint(&w, "first_bad_entry", rep.first_bad_seq);
        jw_kstr(&w, "reason", rep.reason);
    }
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
