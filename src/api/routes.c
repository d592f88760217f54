/*
 * The route table: every endpoint, the roles allowed to call it and the scope rule that
 * narrows it. Read top to bottom, this is the authorisation policy of the API.
 * Routes are matched in order; the first whose pattern and method match wins.
 */
#include "api/api_internal.h"

#define ANY ROLE_ALL
#define STAFF ROLE_STAFF
#define ADMIN ROLE_ADMIN
#define OPS (ROLE_ADMIN | ROLE_DATA_OFFICER)
#define O311 ROUTE_O311_ERRORS
#define O311_POST (ROUTE_O311_ERRORS | ROUTE_FORM | ROUTE_O311_KEY | ROUTE_UPLOAD)

/* clang-format off */
const struct api_route api_routes[] = {
    /* method      pattern                                 handler                  roles  scope             flags */
    {HTTP_GET,    "/healthz",                              api_healthz,             0,     SCOPE_NONE,       0},
    {HTTP_GET,    "/metrics",                              api_metrics,             OPS,   SCOPE_NONE,       ROUTE_METRICS_TOKEN},

    {HTTP_POST,   "/api/v1/auth/login",                    api_login,               0,     SCOPE_NONE,       ROUTE_JSON},
    {HTTP_POST,   "/api/v1/auth/logout",                   api_logout,              ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/me",                            api_me,                  ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/me/filters",                    api_filter_list,         ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/me/filters",                    api_filter_save,         ANY,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/me/filters/{id}",               api_filter_delete,       ANY,   SCOPE_NONE,       0},

    {HTTP_GET,    "/api/v1/users",                         api_user_list,           ADMIN, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/users",                         api_user_create,         ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/users/{id}",                    api_user_get,            ANY,   SCOPE_SELF,       0},
    {HTTP_PATCH,  "/api/v1/users/{id}",                    api_user_update,         ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_PUT,    "/api/v1/users/{id}/password",           api_user_password,       ANY,   SCOPE_SELF,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/users/{id}/contact",            api_user_contact,        ANY,   SCOPE_SELF,       0},

    {HTTP_GET,    "/api/v1/regions",                       api_region_list,         ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/regions/locate",                api_region_locate,       ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/regions",                       api_region_create,       ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/regions/{id}",                  api_region_get,          ANY,   SCOPE_REGION,     0},
    {HTTP_PATCH,  "/api/v1/regions/{id}",                  api_region_update,       ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/regions/{id}",                  api_region_delete,       ADMIN, SCOPE_NONE,       0},

    {HTTP_GET,    "/api/v1/departments",                   api_department_list,     STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/departments",                   api_department_create,   ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/departments/{id}",              api_department_get,      STAFF, SCOPE_DEPARTMENT, 0},
    {HTTP_PATCH,  "/api/v1/departments/{id}",              api_department_update,   ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/departments/{id}",              api_department_delete,   ADMIN, SCOPE_NONE,       0},

    {HTTP_GET,    "/api/v1/categories",                    api_category_list,       ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/categories",                    api_category_create,     ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/categories/{id}",               api_category_get,        ANY,   SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/categories/{id}",               api_category_update,     ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/categories/{id}",               api_category_delete,     ADMIN, SCOPE_NONE,       0},

    {HTTP_GET,    "/api/v1/knowledge",                     api_kb_list,             STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/knowledge",                     api_kb_create,           ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/knowledge/suggest",             api_kb_suggest,          STAFF, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/knowledge/{id}",                api_kb_get,              STAFF, SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/knowledge/{id}",                api_kb_update,           ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/knowledge/{id}",                api_kb_delete,           ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/calendar",                      api_calendar_get,        STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/calendar",                      api_calendar_put,        ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_PUT,    "/api/v1/calendar/days/{day}",           api_calendar_day_put,    ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/calendar/days/{day}",           api_calendar_day_delete, ADMIN, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/calendar/add",                  api_calendar_add,        STAFF, SCOPE_NONE,       0},

    {HTTP_POST,   "/api/v1/cases",                         api_case_create,         ROLE_CITIZEN | ROLE_OPERATOR | ROLE_GRID_WORKER | ROLE_DISPATCHER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases",                         api_case_list,           ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/cases/export",                  api_case_export,         STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/cases/bulk",                    api_case_bulk,           ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN | ROLE_HANDLER, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases/lookup",                  api_case_lookup,         0,     SCOPE_NONE,       0},
    /* The handler checks the case's scope itself, on the record it serves. */
    {HTTP_GET,    "/api/v1/cases/{id}",                    api_case_get,            ANY,   SCOPE_NONE,       0},
    /* The handler checks the case's scope itself, on the record it acts on. */
    {HTTP_POST,   "/api/v1/cases/{id}/actions",            api_case_action,         ANY,   SCOPE_CASE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/case-actions",                  api_case_actions_meta,   ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/contact",            api_case_contact,        STAFF, SCOPE_CASE,       0},
    /* Staff who see the case and the citizen who reported it (case_may_attach); the files go
     * to whoever may see a case they are attached to. */
    {HTTP_POST,   "/api/v1/cases/{id}/attachments",        api_case_attachment_add, ANY,   SCOPE_CASE,       ROUTE_UPLOAD},
    {HTTP_GET,    "/api/v1/attachments/{id}",              api_attachment_get,      ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/attachments/{id}/thumbnail",    api_attachment_thumbnail, ANY,  SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/reply-check",        api_reply_check,         STAFF, SCOPE_CASE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/triage",             api_triage_case,         STAFF, SCOPE_CASE,       0},
    {HTTP_POST,   "/api/v1/triage/suggest",                api_triage_suggest_post, ROLE_CITIZEN | ROLE_OPERATOR | ROLE_GRID_WORKER | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/triage/hot",                    api_triage_hot,          STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/triage/model",                  api_triage_model_get,    OPS | ROLE_DISPATCHER, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/triage/train",                  api_triage_train,        OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_POST,   "/api/v1/triage/model/rollback",         api_triage_rollback,     ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/routing-rules",                 api_routing_rule_list,   STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/routing-rules",                 api_routing_rule_create, ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/routing-rules/{id}",            api_routing_rule_get,    STAFF, SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/routing-rules/{id}",            api_routing_rule_update, ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/routing-rules/{id}",            api_routing_rule_delete, ADMIN, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/admin/sweep",                   api_sweep,               ROLE_ADMIN | ROLE_SUPERVISOR, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/events/stream",                 api_events_stream,       ANY,   SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/test/clock",                    api_test_clock,          ADMIN, SCOPE_NONE,       ROUTE_JSON},

    {HTTP_GET,    "/api/v1/stats/assessment",              api_stats_assessment,    ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, 0},

    {HTTP_GET,    "/api/v1/audit",                         api_audit_list,          ROLE_ADMIN | ROLE_SUPERVISOR, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/audit/verify",                  api_audit_verify,        ADMIN, SCOPE_NONE,       0},
    /* the signed head: for whoever keeps the anchor outside this server (ops, issue 11) */
    {HTTP_GET,    "/api/v1/audit/head",                    api_audit_head,          ROLE_ADMIN | ROLE_SUPERVISOR, SCOPE_NONE, 0},

    /* Open311 GeoReport v2 (docs/open311.md): public reads; a POST carries a client's
     * api_key in its form (O311_KEY), and the call then acts as the client's service account.
     * The {file} segments carry the format suffix (.xml or .json), {fmt} the suffix alone. */
    {HTTP_GET,    "/open311/{file}",                       api_open311_discovery,   0,     SCOPE_NONE,       O311},
    {HTTP_GET,    "/open311/v2/{file}",                    api_open311_get,         0,     SCOPE_NONE,       O311},
    {HTTP_POST,   "/open311/v2/requests.{fmt}",            api_open311_post_request, 0,    SCOPE_NONE,       O311_POST},
    {HTTP_POST,   "/open311/v2/servicerequestupdates.{fmt}", api_open311_post_update, 0,   SCOPE_NONE,       O311_POST},
    {HTTP_GET,    "/open311/v2/services/{file}",           api_open311_service,     0,     SCOPE_NONE,       O311},
    {HTTP_GET,    "/open311/v2/requests/{file}",           api_open311_request,     0,     SCOPE_NONE,       O311},
    {HTTP_GET,    "/open311/v2/tokens/{file}",             api_open311_token,       0,     SCOPE_NONE,       O311},
    {HTTP_GET,    "/api/v1/cases/{id}/open311",            api_open311_case,        STAFF, SCOPE_CASE,       0},
    {HTTP_GET,    "/api/v1/open311/clients",               api_open311_client_list, ADMIN, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/open311/clients",               api_open311_client_create, ADMIN, SCOPE_NONE,     ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/open311/clients/{id}",          api_open311_client_revoke, ADMIN, SCOPE_NONE,     0},
    {HTTP_GET,    "/api/v1/categories/{id}/attributes",    api_open311_attrs_get,   ANY,   SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/categories/{id}/attributes",    api_open311_attrs_put,   ADMIN, SCOPE_NONE,       ROUTE_JSON},

    {HTTP_OTHER, NULL, NULL, 0, SCOPE_NONE, 0},
};
/* clang-format on */

/* What the flags add to the dispatch. */
const struct api_route_attr api_route_attrs[] = {
    /* flag               authenticate               error               prefix */
    {ROUTE_O311_KEY, api_open311_authenticate, NULL, NULL},
    {ROUTE_O311_ERRORS, NULL, api_open311_error, "/open311/"},
    {0, NULL, NULL, NULL},
};
