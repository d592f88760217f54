/* Operational endpoints: health, metrics, and the audit log. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "audit/audit.h"
#include "store/store.h"

/* 200 {"status":"ok"}; 503 when the database does not answer (the error body), or answers
 * but takes no writes: {"status":"degraded","reason":"db_read_only",...} plus the error, so a
 * load balancer, the web and an operator read one code. */
int api_healthz(struct api_call *call)
{
    int rc = store_ping(call->conn, &call->err);
    if (rc < 0)
        return err_set(&call->err, ERR_UNAVAILABLE, "database unavailable: %s", call->err.msg);
    struct app_ctx x = api_ctx(call);
    enum app_health h = app_write_health(&x);
    if (h != APP_HEALTH_OK) {
        struct jw w;
        jw_init(&w);
        jw_obj(&w);
        jw_kstr(&w, "status", "degraded");
        jw_kstr(&w, "reason", app_health_code(h));
        jw_key(&w, "error");
        jw_obj(&w);
        jw_kstr(&w, "code", "unavailable");
        jw_kstr(&w, "message", "the database takes no writes");
        jw_kstr(&w, "field", app_health_code(h));
        jw_obj_end(&w);
        jw_obj_end(&w);
        return api_reply(call, 503, &w);
    }
    static const char ok[] = "{\"status\":\"ok\"}";
    http_res_body(call->res, 200, "application/json", ok, sizeof(ok) - 1, HTTP_BODY_STATIC);
    return 0;
}

/* The audit chain's head, signed now (docs/security.md: what the anchor proves). */
int api_audit_head(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    struct audit_anchor a;
    char line[AUDIT_ANCHOR_MAX], pk[65];
    int rc = app_audit_anchor(&x, &a, line);
    if (rc < 0)
        return rc;
    sodium_bin2hex(pk, sizeof(pk), a.public_key, sizeof(a.public_key));
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "seq", a.seq);
    jw_kstr(&w, "hash", a.hash);
    jw_ktime(&w, "at", a.at);
    jw_kstr(&w, "public_key", pk);
    jw_kstr(&w, "signed", line);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_metrics(struct api_call *call)
{
    struct buf b;
    uint64_t db_ns, statements;
    buf_init(&b);
    if (call->api->server) {
        http_metrics_render(http_server_metrics(call->api->server), &b);
        api_refusals_render(call->api, &b);
        buf_printf(&b,
                   "# HELP gridloop_http_in_flight Requests being handled now.\n"
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
        buf_printf(
            &b,
            "# HELP gridloop_writer_batches_total Group-commit transactions of the store writer.\n"
            "# TYPE gridloop_writer_batches_total counter\ngridloop_writer_batches_total %llu\n"
            "# HELP gridloop_writer_jobs_total Writes run by the store writer (committed or failed).\n"
            "# TYPE gridloop_writer_jobs_total counter\ngridloop_writer_jobs_total %llu\n"
            "# HELP gridloop_writer_failed_total Writes of the store writer answered with an error.\n"
            "# TYPE gridloop_writer_failed_total counter\ngridloop_writer_failed_total %llu\n"
            "# HELP gridloop_writer_max_batch Largest group commit so far (writes).\n"
            "# TYPE gridloop_writer_max_batch gauge\ngridloop_writer_max_batch %d\n",
            (unsigned long long)ws.batches, (unsigned long long)ws.jobs,
            (unsigned long long)ws.failed, ws.max_batch_seen);
    }
    buf_printf(&b,
               "# HELP gridloop_node_jobs 1 on the node that runs the background jobs (sweeper,"
               " notification delivery), 0 on the others.\n"
               "# TYPE gridloop_node_jobs gauge\ngridloop_node_jobs %d\n",
               app_is_leader(call->api->app));
    buf_printf(&b,
               "# HELP gridloop_nodes gridloop processes serving this database, this one included"
               " (0: not counted yet).\n"
               "# TYPE gridloop_nodes gauge\ngridloop_nodes %d\n",
               app_nodes(call->api->app));
    size_t len;
    char *body = buf_detach(&b, &len);
    http_res_body(call->res, 200, "text/plain; version=0.0.4; charset=utf-8", body, len,
                  HTTP_BODY_FREE);
    return 0;
}

int api_audit_list(struct api_call *call)
{
    int64_t limit, before, total;
    struct audit_row *v;
    size_t n;
    int rc;
    /* ?before= is the list's own name for its cursor: the seq below which to continue. */
    const char *cursor = http_req_query(call->req, "cursor") ? "cursor" : "before";
    if ((rc = api_query_int(call, "limit", 100, 1, 1000, &limit)) < 0 ||
        (rc = api_query_int(call, cursor, INT64_MAX, 1, INT64_MAX, &before)) < 0 ||
        (rc = audit_list(call->conn, before, limit, call->req->arena, &v, &n, &total, &call->err)) <
            0)
        return rc;
    /* The log names the account behind every action, an anonymous report's included: reading
     * it is the one way staff can unmask a reporter, so every read is itself an entry
     * (docs/security.md, "Scope and anonymity"). */
    if ((rc = api_audit_only(call, "audit.read", "audit",
                             arena_printf(call->req->arena, "{\"before\":%lld,\"limit\":%lld}",
                                          (long long)before, (long long)limit))) < 0)
        return rc;
    struct jw w;
    api_list_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&w);
        jw_kint(&w, "id", v[i].seq);
        jw_ktime(&w, "at", v[i].at);
        jw_kint(&w, "actor_id", v[i].actor_id);
        jw_kstr(&w, "actor_name", v[i].actor_name);
        jw_kstr(&w, "action", v[i].action);
        jw_kstr(&w, "target", v[i].target);
        jw_kstr(&w, "before_digest", v[i].before_digest);
        jw_kstr(&w, "after_digest", v[i].after_digest);
        jw_kstr(&w, "hash", v[i].hash);
        jw_obj_end(&w);
    }
    /* A full page may have more below it; the seqs are gapless, so the last one says so. */
    int more = n == (size_t)limit && v[n - 1].seq > 1;
    api_list_end(&w, total,
                 more ? arena_printf(call->req->arena, "%lld", (long long)v[n - 1].seq) : NULL);
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
