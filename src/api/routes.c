/*
 * The route table: every endpoint, the roles allowed to call it and the scope rule that
 * narrows it. Read top to bottom, this is the authorisation policy of the API.
 * Routes are matched in order; the first whose pattern and method match wins.
 */
#include "api/api_internal.h"

#define ANY ROLE_ALL
#define STAFF ROLE_STAFF
#define ADMIN ROLE_ADMIN
#define PATROL_READERS                                                                             \
    (ROLE_GRID_WORKER | ROLE_SUPERVISOR | ROLE_DISPATCHER | ROLE_DATA_OFFICER | ROLE_ADMIN)
#define OPS (ROLE_ADMIN | ROLE_DATA_OFFICER)
/* Who manages and dispatches grid workers: the centre's dispatchers and, bound to their region,
 * street and community officials (supervisors with a region); admins everywhere. */
#define GRIDADM (ROLE_ADMIN | ROLE_DISPATCHER | ROLE_SUPERVISOR)
/* Who registers devices and posts readings over HTTP (a gateway's account): admins and data
 * officers. Who reads the warning centre, and who acts on a warning. */
#define SENSORADM (ROLE_ADMIN | ROLE_DATA_OFFICER)
#define WARNREAD (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_DISPATCHER | ROLE_DATA_OFFICER)
#define WARNACT (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_DISPATCHER)
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
    {HTTP_GET,    "/api/v1/me/messages",                   api_messages_list,       ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/me/messages/counts",            api_messages_counts,     ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/me/messages/read",              api_messages_read,       ANY,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_POST,   "/api/v1/validate",                      api_validate,            ANY,   SCOPE_NONE,       ROUTE_JSON},

    {HTTP_GET,    "/api/v1/users",                         api_user_list,           ADMIN, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/users",                         api_user_create,         ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/users/{id}",                    api_user_get,            ANY,   SCOPE_SELF,       0},
    {HTTP_PATCH,  "/api/v1/users/{id}",                    api_user_update,         ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_PUT,    "/api/v1/users/{id}/password",           api_user_password,       ANY,   SCOPE_SELF,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/users/{id}/contact",            api_user_contact,        ANY,   SCOPE_SELF,       0},

    {HTTP_GET,    "/api/v1/regions",                       api_region_list,         ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/regions/locate",                api_region_locate,       ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/regions",                       api_region_create,       ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_POST,   "/api/v1/regions/import",                api_region_import,       ADMIN, SCOPE_NONE,       ROUTE_UPLOAD},
    {HTTP_GET,    "/api/v1/regions/export",                api_region_export,       STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/regions/{id}",                  api_region_get,          ANY,   SCOPE_REGION,     0},
    {HTTP_PATCH,  "/api/v1/regions/{id}",                  api_region_update,       ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/regions/{id}",                  api_region_delete,       ADMIN, SCOPE_NONE,       0},

    /* Grid workers: a region-bound caller reaches the workers of grids in their region only
     * (the handlers check it against the worker's grids). */
    {HTTP_GET,    "/api/v1/grid-workers",                  api_grid_worker_list,    GRIDADM, SCOPE_NONE,     0},
    {HTTP_POST,   "/api/v1/grid-workers/plan",             api_grid_worker_plan,    GRIDADM, SCOPE_NONE,     ROUTE_JSON},
    {HTTP_GET,    "/api/v1/grid-workers/{id}",             api_grid_worker_get,     GRIDADM, SCOPE_NONE,     0},
    {HTTP_PUT,    "/api/v1/grid-workers/{id}",             api_grid_worker_put,     GRIDADM, SCOPE_NONE,     ROUTE_JSON},
    {HTTP_POST,   "/api/v1/me/position",                   api_me_position,         ROLE_GRID_WORKER, SCOPE_NONE, ROUTE_JSON},

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

    /* Citizens sign up and sign in with a code sent by SMS (docs/citizens.md): public. */
    {HTTP_POST,   "/api/v1/auth/sms-code",                 api_citizen_code,        0,     SCOPE_NONE,       ROUTE_JSON},
    {HTTP_POST,   "/api/v1/auth/sms-login",                api_citizen_signin,      0,     SCOPE_NONE,       ROUTE_JSON},
    /* The citizen's own profile and data (知情权、更正权) and deleting the account. */
    {HTTP_GET,    "/api/v1/me/profile",                    api_citizen_profile_get, ROLE_CITIZEN, SCOPE_NONE, 0},
    {HTTP_PUT,    "/api/v1/me/profile",                    api_citizen_profile_put, ROLE_CITIZEN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/me/data",                       api_citizen_data,        ROLE_CITIZEN, SCOPE_NONE, 0},
    {HTTP_DELETE, "/api/v1/me",                            api_citizen_delete,      ROLE_CITIZEN, SCOPE_NONE, 0},
    /* SMS (docs/citizens.md): the admin edits the texts; staff read the outbox (phones masked);
     * Kannel's delivery reports carry the message's token instead of a session. */
    {HTTP_GET,    "/api/v1/sms-templates",                 api_sms_template_list,   ADMIN, SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/sms-templates/{id}",            api_sms_template_update, ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/sms-messages",                  api_sms_message_list,    ROLE_ADMIN | ROLE_SUPERVISOR, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/sms/dlr",                       api_sms_dlr,             0,     SCOPE_NONE,       0},
    /* The points bank: officials set rules, stock the catalogue and record awards; a resident
     * reads their own statement and redeems for themself. */
    {HTTP_GET,    "/api/v1/points-rules",                  api_points_rule_list,    ANY,   SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/points-rules/{id}",             api_points_rule_update,  ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/points-items",                  api_points_item_list,    ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/points-items",                  api_points_item_create,  ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/points-items/{id}/redeem",      api_points_redeem,       ROLE_CITIZEN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/points/awards",                 api_points_award,        ROLE_SUPERVISOR | ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/me/points",                     api_me_points,           ANY,   SCOPE_NONE,       0},
    /* Participation: residents propose and vote (one vote each, checked in the database);
     * officials propose on a resident's behalf, moderate, open polls and publish results. */
    {HTTP_GET,    "/api/v1/proposals",                     api_proposal_list,       ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/proposals",                     api_proposal_create,     ROLE_CITIZEN | ROLE_GRID_WORKER | ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/proposals/{id}/hide",           api_proposal_hide,       ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/proposals/{id}/restore",        api_proposal_restore,    ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/proposals/{id}/appeal",         api_proposal_appeal,     ROLE_CITIZEN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/proposals/{id}/poll",           api_proposal_poll,       ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/proposals/{id}/vote",           api_proposal_vote,       ROLE_CITIZEN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/proposals/{id}/publish",        api_proposal_publish,    ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/proposals/{id}/project",        api_proposal_project,    ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/participation",                 api_participation,       ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, 0},
    /* Public consultations (公开征求意见): reading is public, like the published feedback it
     * ends in; residents comment (the scope is the handler's: particip_consult_comment);
     * officials open one, answer each comment and publish the summary. */
    {HTTP_GET,    "/api/v1/consultations",                 api_consult_list,        0,     SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/consultations",                 api_consult_create,      ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/consultations/{id}",            api_consult_get,         0,     SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/consultations/{id}/comments",   api_consult_comment,     ROLE_CITIZEN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/consultations/{id}/comments/{comment}/answer", api_consult_answer, ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/consultations/{id}/publish",    api_consult_publish,     ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},

    /* The policy calculator and 免申即享: officials write, try and publish policies; everyone
     * signed in asks the calculator; a citizen keeps their own profiles and reads their offers. */
    {HTTP_GET,    "/api/v1/policies",                      api_policy_list,         ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/policies",                      api_policy_create,       ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/policies/trial",                api_policy_trial,        STAFF, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/policies/{id}",                 api_policy_get,          ANY,   SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/policies/{id}",                 api_policy_update,       ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/policies/{id}/publish",         api_policy_publish,      ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/policy-calculator",             api_policy_calculator,   ANY,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/me/policy-profiles/{subject}",  api_me_policy_profile_get, ROLE_CITIZEN, SCOPE_NONE, 0},
    {HTTP_PUT,    "/api/v1/me/policy-profiles/{subject}",  api_me_policy_profile_put, ROLE_CITIZEN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/me/policy-offers",              api_me_policy_offers,    ROLE_CITIZEN, SCOPE_NONE, 0},
    /* The service catalogue, 一件事 bundles and 秒批: the policy writers keep the catalogue;
     * citizens apply; handlers decide their departments' tasks (the handler checks the
     * department), admins any; an application is read by its applicant, the handlers of its
     * departments and unbound staff (the handler checks). */
    {HTTP_GET,    "/api/v1/service-items",                 api_service_item_list,   ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/service-items",                 api_service_item_create, ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/service-items/{id}",            api_service_item_get,    ANY,   SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/service-items/{id}",            api_service_item_update, ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/service-bundles",               api_service_bundle_list, ANY,   SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/service-bundles",               api_service_bundle_create, ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/service-bundles/{id}",          api_service_bundle_get,  ANY,   SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/service-bundles/{id}",          api_service_bundle_update, ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/me/service-applications",       api_me_service_apply,    ROLE_CITIZEN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/me/service-applications",       api_me_service_applications, ROLE_CITIZEN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/service-applications/{id}",     api_service_application_get, ANY, SCOPE_NONE,     0},
    {HTTP_GET,    "/api/v1/service-tasks",                 api_service_task_list,   STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/service-tasks/{id}/accept",     api_service_task_accept, ROLE_HANDLER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/service-tasks/{id}/approve",    api_service_task_approve, ROLE_HANDLER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/service-tasks/{id}/refuse",     api_service_task_refuse, ROLE_HANDLER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},

    {HTTP_GET,    "/api/v1/knowledge",                     api_kb_list,             STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/knowledge",                     api_kb_create,           ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/knowledge/suggest",             api_kb_suggest,          STAFF, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/knowledge/{id}",                api_kb_get,              STAFF, SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/knowledge/{id}",                api_kb_update,           ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/knowledge/{id}",                api_kb_delete,           ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    /* 政务数据资源目录 (docs/data-sharing.md): staff search the catalogue; a data officer
     * manages their own departments' datasets (the handlers check the department), admins all. */
    {HTTP_GET,    "/api/v1/datasets",                      api_dataset_list,        STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/datasets",                      api_dataset_create,      OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/datasets/{id}",                 api_dataset_get,         STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/datasets/{id}",                 api_dataset_update,      OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_POST,   "/api/v1/datasets/{id}/import",          api_dataset_import,      OPS,   SCOPE_NONE,       ROUTE_IMPORT},
    {HTTP_GET,    "/api/v1/datasets/{id}/quality",         api_dataset_quality,     STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/datasets/{id}/quality",         api_dataset_quality_run, OPS,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/catalog/quality",               api_catalog_quality,     STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/catalog/lists",                 api_catalog_lists,       STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/catalog/dcat",                  api_catalog_dcat,        STAFF, SCOPE_NONE,       0},
    /* Requests and grants (docs/data-sharing.md): staff request for their department; the
     * owner department's data officer decides and revokes; the grantee department's staff use
     * the grant (the handlers check the departments). */
    {HTTP_GET,    "/api/v1/data-requests",                 api_data_request_list,   STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/data-requests",                 api_data_request_create, STAFF, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/data-requests/{id}",            api_data_request_get,    STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/data-requests/{id}/decision",   api_data_request_decide, OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/data-grants",                   api_data_grant_list,     STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/data-grants/{id}",              api_data_grant_get,      STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/data-grants/{id}/revoke",       api_data_grant_revoke,   OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/data-grants/{id}/rows",         api_data_grant_rows,     STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/data-grants/{id}/aggregate",    api_data_grant_aggregate, STAFF, SCOPE_NONE,      ROUTE_JSON},
    {HTTP_GET,    "/api/v1/data-grants/{id}/export",       api_data_grant_export,   STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/data-grants/{id}/uses",         api_data_grant_uses,     STAFF, SCOPE_NONE,       0},
    /* 办结审核: which categories' replies the centre reviews (the review itself is two case
     * actions, accept and send_back, for dispatchers and supervisors in scope) */
    {HTTP_GET,    "/api/v1/review-rules",                  api_review_rule_list,    STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/review-rules",                  api_review_rule_put,     ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/review-rules/{id}",             api_review_rule_delete,  ADMIN, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/calendar",                      api_calendar_get,        STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/calendar",                      api_calendar_put,        ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_PUT,    "/api/v1/calendar/days/{day}",           api_calendar_day_put,    ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/calendar/days/{day}",           api_calendar_day_delete, ADMIN, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/calendar/add",                  api_calendar_add,        STAFF, SCOPE_NONE,       0},

    /* 标准地址库 (docs/maps.md): staff read and search it (an operator looks an address up);
     * admins and data officers keep it (records, file import). {kind}: roads, buildings,
     * points, places, areas. */
    {HTTP_GET,    "/api/v1/address-register",              api_addr_summary,        STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/address-register/import",       api_addr_import,         OPS,   SCOPE_NONE,       ROUTE_UPLOAD},
    {HTTP_GET,    "/api/v1/address-register/export",       api_addr_export,         STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/address-register/{kind}",       api_addr_list,           STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/address-register/{kind}",       api_addr_create,         OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/address-register/{kind}/{id}",  api_addr_get,            STAFF, SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/address-register/{kind}/{id}",  api_addr_update,         OPS,   SCOPE_NONE,       ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/address-register/{kind}/{id}",  api_addr_delete,         OPS,   SCOPE_NONE,       0},

    {HTTP_POST,   "/api/v1/cases",                         api_case_create,         ROLE_CITIZEN | ROLE_OPERATOR | ROLE_GRID_WORKER | ROLE_DISPATCHER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases",                         api_case_list,           ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/cases/export",                  api_case_export,         STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/cases/bulk",                    api_case_bulk,           ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN | ROLE_HANDLER, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases/lookup",                  api_case_lookup,         0,     SCOPE_NONE,       0},
    /* 申诉 through the public lookup: the number and check code prove the citizen. */
    {HTTP_POST,   "/api/v1/cases/lookup/appeals",          api_appeal_lookup_create, 0,    SCOPE_NONE,       ROUTE_JSON},
    /* The handler checks the case's scope itself, on the record it serves. */
    {HTTP_GET,    "/api/v1/cases/{id}",                    api_case_get,            ANY,   SCOPE_NONE,       0},
    /* The handler checks the case's scope itself, on the record it acts on. */
    {HTTP_POST,   "/api/v1/cases/{id}/actions",            api_case_action,         ANY,   SCOPE_CASE,       ROUTE_JSON},
    /* 立案前核实 / 结案前核查 / 自行处置 (docs/grid.md §4): the task list and the decisions are the
     * grid worker's (case_task_decide checks the task is theirs); rules like the review's. */
    {HTTP_GET,    "/api/v1/me/tasks",                      api_me_tasks,            ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/grid-tasks/{id}/decision",      api_grid_task_decide,    ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    /* 转交: the task's worker (case_task_transfer checks it is theirs) to a colleague of the grid. */
    {HTTP_POST,   "/api/v1/grid-tasks/{id}/transfer",      api_grid_task_transfer,  ROLE_GRID_WORKER | GRIDADM, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/grid-tasks/{id}/colleagues",    api_grid_task_colleagues, ROLE_GRID_WORKER | GRIDADM, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/cases/{id}/risk",               api_case_risk,           STAFF, SCOPE_CASE,       0},
    {HTTP_POST,   "/api/v1/cases/{id}/risk",               api_case_risk_confirm,   WARNACT, SCOPE_CASE,     ROUTE_JSON},
    {HTTP_GET,    "/api/v1/risk-rules",                    api_risk_rule_list,      WARNREAD, SCOPE_NONE,    0},
    {HTTP_PUT,    "/api/v1/risk-rules",                    api_risk_rule_put,       ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/risk-rules/refit",              api_risk_refit,          ADMIN, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/risk-rules/refit",              api_risk_refit,          ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases/{id}/repeats",            api_case_repeats,        STAFF, SCOPE_CASE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/grid-tasks",         api_case_grid_tasks,     STAFF, SCOPE_CASE,       0},
    {HTTP_POST,   "/api/v1/self-handled",                  api_self_handled_create, ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    /* 自行处置's photos, uploaded before the report that links them (the uploader's until then). */
    {HTTP_POST,   "/api/v1/me/uploads",                    api_me_upload_add,       ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_NONE, ROUTE_UPLOAD},
    /* The sensing network and the warning centre (issue 16; docs/warning.md). */
    {HTTP_GET,    "/api/v1/devices",                       api_device_list,         STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/devices",                       api_device_create,       SENSORADM, SCOPE_NONE,   ROUTE_JSON},
    {HTTP_GET,    "/api/v1/devices/{id}",                  api_device_get,          STAFF, SCOPE_NONE,       0},
    {HTTP_PATCH,  "/api/v1/devices/{id}",                  api_device_update,       SENSORADM, SCOPE_NONE,   ROUTE_JSON},
    {HTTP_GET,    "/api/v1/devices/{id}/readings",         api_device_readings,     STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/sensor-thresholds",             api_threshold_list,      STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/sensor-thresholds",             api_threshold_put,       ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/readings",                      api_readings_post,       SENSORADM, SCOPE_NONE,   ROUTE_JSON},
    {HTTP_GET,    "/api/v1/sensors/status",                api_sensor_status,       STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/city-index",                    api_opindex_get,         STAFF, SCOPE_NONE,       0},
    {HTTP_POST,   "/api/v1/city-index/compute",            api_opindex_compute,     ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/city-index/areas",              api_opindex_areas,       STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/city-index/areas",              api_opindex_area_put,    ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/warnings",                      api_warning_list,        WARNREAD, SCOPE_NONE,    0},
    {HTTP_POST,   "/api/v1/warnings/scan",                 api_warning_scan,        ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/warnings/{id}",                 api_warning_get,         WARNREAD, SCOPE_NONE,    0},
    {HTTP_POST,   "/api/v1/warnings/{id}/acknowledge",     api_warning_acknowledge, WARNACT, SCOPE_NONE,     ROUTE_JSON},
    {HTTP_POST,   "/api/v1/warnings/{id}/dismiss",         api_warning_dismiss,     WARNACT, SCOPE_NONE,     ROUTE_JSON},
    {HTTP_POST,   "/api/v1/warnings/{id}/dispatch",        api_warning_dispatch,    WARNACT, SCOPE_NONE,     ROUTE_JSON},
    {HTTP_GET,    "/api/v1/warning-silences",              api_silence_list,        WARNREAD, SCOPE_NONE,    0},
    {HTTP_POST,   "/api/v1/warning-silences",              api_silence_create,      ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_DELETE, "/api/v1/warning-silences/{id}",         api_silence_end,         ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/grid-task-rules",               api_grid_task_rule_list, STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/grid-task-rules",               api_grid_task_rule_put,  ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    /* 申诉: the reporter files (case_appeal_file checks it is theirs); whoever sees the case reads. */
    {HTTP_POST,   "/api/v1/cases/{id}/appeals",            api_appeal_create,       ANY,   SCOPE_CASE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases/{id}/appeals",            api_appeal_case_list,    ANY,   SCOPE_CASE,       0},
    {HTTP_GET,    "/api/v1/appeals",                       api_appeal_list,         ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/appeals/{id}/decision",         api_appeal_decide,       ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    /* 自动化决策公示: public, no sign-in. */
    {HTTP_GET,    "/api/v1/public/decisions",              api_decisions_register,  0,     SCOPE_NONE,       0},
    /* The basemap: public, the city's map holds no personal data (docs/maps.md). */
    {HTTP_GET,    "/api/v1/basemap/{z}/{x}/{y}",           api_basemap_tile,        0,     SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/case-actions",                  api_case_actions_meta,   ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/contact",            api_case_contact,        STAFF, SCOPE_CASE,       0},
    /* Staff who see the case and the citizen who reported it (case_may_attach); the files go
     * to whoever may see a case they are attached to. */
    {HTTP_POST,   "/api/v1/cases/{id}/attachments",        api_case_attachment_add, ANY,   SCOPE_CASE,       ROUTE_UPLOAD},
    {HTTP_GET,    "/api/v1/attachments/{id}",              api_attachment_get,      ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/attachments/{id}/thumbnail",    api_attachment_thumbnail, ANY,  SCOPE_NONE,       0},
    /* 督办单: supervisors issue and decide; the department the order is addressed to answers
     * (the handler checks that it is theirs); the lists are scoped (case_order_visible). */
    {HTTP_GET,    "/api/v1/cases/{id}/supervision-orders", api_order_case_list,     ROLE_SUPERVISOR | ROLE_HANDLER | ROLE_DISPATCHER | ROLE_ADMIN, SCOPE_CASE, 0},
    {HTTP_POST,   "/api/v1/cases/{id}/supervision-orders", api_order_issue,         ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_CASE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/supervision-orders",            api_order_list,          ROLE_SUPERVISOR | ROLE_HANDLER | ROLE_DISPATCHER | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/supervision-orders/{id}",       api_order_get,           ROLE_SUPERVISOR | ROLE_HANDLER | ROLE_DISPATCHER | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/supervision-orders/{id}/answer", api_order_answer,       ROLE_HANDLER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/supervision-orders/{id}/accept", api_order_accept,       ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/supervision-orders/{id}/send-back", api_order_send_back, ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    /* 协办单 and 吹哨报到: whoever sees the case reads its sub-tasks; a street or community official
     * blows the whistle (case_whistle_allowed); the sub-task's department signs (报到) and
     * replies, the lead or the coordinating official assesses (case_assist_steps). */
    {HTTP_GET,    "/api/v1/cases/{id}/assists",            api_assist_case_list,    STAFF, SCOPE_CASE, 0},
    {HTTP_GET,    "/api/v1/assists",                       api_assist_list,         STAFF, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/cases/{id}/whistles",           api_whistle_blow,        ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_CASE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/assists/{id}/sign",             api_assist_sign,         ROLE_HANDLER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/assists/{id}/reply",            api_assist_reply,        ROLE_HANDLER | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/assists/{id}/assess",           api_assist_assess,       ROLE_HANDLER | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_NONE, ROUTE_JSON},
    /* The ladder (docs/grid.md §5): whoever sees the case reads its levels; a move is checked
     * against the level holding the case (its bound officials, the grid's workers, the unbound
     * command centre at the district) by case_ladder_act. */
    {HTTP_GET,    "/api/v1/cases/{id}/ladder",             api_ladder_get,          STAFF, SCOPE_CASE,       0},
    {HTTP_POST,   "/api/v1/cases/{id}/ladder/handle",      api_ladder_handle,       ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_CASE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/cases/{id}/ladder/forward",     api_ladder_forward,      ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_ADMIN, SCOPE_CASE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/cases/{id}/ladder/escalate",    api_ladder_escalate,     ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_CASE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/ladder/queue",                  api_ladder_queue,        ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_GRID_WORKER | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/ladder/limits",                 api_ladder_limits_get,   STAFF, SCOPE_NONE,       0},
    {HTTP_PUT,    "/api/v1/ladder/limits",                 api_ladder_limits_put,   ADMIN, SCOPE_NONE,       ROUTE_JSON},
    {HTTP_GET,    "/api/v1/cases/{id}/reply-check",        api_reply_check,         STAFF, SCOPE_CASE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/triage",             api_triage_case,         STAFF, SCOPE_CASE,       0},
    {HTTP_GET,    "/api/v1/cases/{id}/worker-suggestions", api_case_worker_suggestions, GRIDADM, SCOPE_CASE, 0},
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
    /* 层级处置: 小事不出网格率, 大事不出社区率 (docs/assessment.md) */
    {HTTP_GET,    "/api/v1/stats/ladder",                  api_stats_ladder,        ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/stats/kinds",                   api_stats_kinds,         ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, 0},
    /* the dashboard's choropleth: its viewers, each within the cases they may see (case_list's scope) */
    {HTTP_GET,    "/api/v1/stats/grids",                   api_stats_grids,         ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN | ROLE_DISPATCHER, SCOPE_NONE, 0},
    /* The 15-minute service circle: the register's places and roads, no personal data; a
     * community's coverage is limited to the caller's region in the handler. */
    {HTTP_GET,    "/api/v1/service-circle",                api_service_circle,      STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/service-circle/gaps",           api_service_gaps,        STAFF, SCOPE_NONE,       0},
    /* Patrols (巡查): a grid worker's own patrol is theirs to feed; staff read within their
     * region scope (api_patrol.c), a grid worker their own only. */
    {HTTP_POST,   "/api/v1/patrols",                       api_patrol_start,        ROLE_GRID_WORKER, SCOPE_NONE, ROUTE_JSON},
    {HTTP_GET,    "/api/v1/patrols",                       api_patrol_list,         PATROL_READERS, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/patrols/current",               api_patrol_current,      ROLE_GRID_WORKER, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/patrols/coverage",              api_patrol_coverage,     PATROL_READERS, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/patrols/stats",                 api_patrol_stats,        PATROL_READERS, SCOPE_NONE, 0},
    {HTTP_GET,    "/api/v1/patrols/{id}",                  api_patrol_get,          PATROL_READERS, SCOPE_NONE, 0},
    {HTTP_POST,   "/api/v1/patrols/{id}/fixes",            api_patrol_fixes,        ROLE_GRID_WORKER, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/patrols/{id}/findings",         api_patrol_finding,      ROLE_GRID_WORKER, SCOPE_NONE, ROUTE_JSON},
    {HTTP_POST,   "/api/v1/patrols/{id}/end",              api_patrol_end,          ROLE_GRID_WORKER, SCOPE_NONE, ROUTE_JSON},
    /* Geocoding against the register (no personal data): staff look addresses up and place
     * points; autocomplete also serves the citizens' report form (signed in, like reporting). */
    {HTTP_GET,    "/api/v1/geocode",                       api_geocode,             STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/geocode/reverse",               api_geocode_reverse,     STAFF, SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/geocode/suggest",               api_geocode_suggest,     ANY,   SCOPE_NONE,       0},
    {HTTP_GET,    "/api/v1/assessment/triage-accuracy",    api_assess_triage_accuracy, ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_ADMIN, SCOPE_NONE, 0},

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
