"""
Who may call what: every route of src/api/routes.c against every demo role (and no session).

The role sets below restate the policy independently of the server; a route added to routes.c
without a row here fails test_table_covers_every_route. Calls that are allowed are made so that
they change nothing: writes carry an unknown field (refused with 400 after authorisation) and
deletes name an id that does not exist (404), so the table can run against the shared server.
"""
import os
import re

import pytest
import requests

from conftest import DEMO_USERS, ROOT, assert_error

ALL = set(DEMO_USERS)
STAFF = ALL - {"citizen"}
ADMIN = {"admin"}
OPS = {"admin", "data_officer"}
PUBLIC = None  # no session needed
PATROL_READERS = {"grid_worker", "supervisor", "dispatcher", "data_officer", "admin"}
PROBE = {"_probe": 1}
WARN_READERS = {"supervisor", "dispatcher", "data_officer", "admin"}
WARN_ACTORS = {"supervisor", "dispatcher", "admin"}
# Reads refused with 400 after authorisation for a query parameter, not the probe body.
FIELD_400 = {"/api/v1/geocode/reverse": "lat", "/api/v1/sms/dlr": "id", "/api/v1/me": "confirm"}
NO_DAY = "2031-01-02"  # no calendar override on this day
FROM = "2026-03-02T09:00:00%2B08:00"

# (method, route pattern, concrete path (format keys from ids()), body, roles, allowed status)
TABLE = [
    ("GET", "/healthz", "/healthz", None, PUBLIC, 200),
    ("GET", "/metrics", "/metrics", None, OPS, 200),
    ("POST", "/api/v1/auth/login", "/api/v1/auth/login", PROBE, PUBLIC, 400),
    ("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None, ALL, 204),
    ("GET", "/api/v1/me", "/api/v1/me", None, ALL, 200),
    ("GET", "/api/v1/me/filters", "/api/v1/me/filters", None, ALL, 200),
    ("GET", "/api/v1/knowledge", "/api/v1/knowledge", None, STAFF, 200),
    ("GET", "/api/v1/supervision-orders", "/api/v1/supervision-orders", None,
     {"supervisor", "handler_cgj", "handler_qsjd", "dispatcher", "admin"}, 200),
    ("GET", "/api/v1/supervision-orders/{id}", "/api/v1/supervision-orders/999999", None,
     {"supervisor", "handler_cgj", "handler_qsjd", "dispatcher", "admin"}, 404),
    ("POST", "/api/v1/supervision-orders/{id}/answer", "/api/v1/supervision-orders/999999/answer", PROBE,
     {"handler_cgj", "handler_qsjd", "admin"}, 400),
    ("POST", "/api/v1/supervision-orders/{id}/accept", "/api/v1/supervision-orders/999999/accept", PROBE,
     {"supervisor", "admin"}, 400),
    ("POST", "/api/v1/supervision-orders/{id}/send-back", "/api/v1/supervision-orders/999999/send-back", PROBE,
     {"supervisor", "admin"}, 400),
    ("GET", "/api/v1/cases/{id}/supervision-orders", "/api/v1/cases/{shared_case}/supervision-orders", None,
     {"supervisor", "handler_cgj", "handler_qsjd", "dispatcher", "admin"}, 200),
    ("POST", "/api/v1/cases/{id}/supervision-orders", "/api/v1/cases/{shared_case}/supervision-orders", PROBE,
     {"supervisor", "admin"}, 400),
    # 协办单 and 吹哨报到 (docs/grid.md §6): the whistle's own rule (a street or community official)
    # is tested in test_whistle.py; the route admits the officials' roles.
    ("GET", "/api/v1/cases/{id}/assists", "/api/v1/cases/{shared_case}/assists", None, STAFF, 200),
    ("GET", "/api/v1/assists", "/api/v1/assists", None, STAFF, 200),
    ("POST", "/api/v1/cases/{id}/whistles", "/api/v1/cases/{shared_case}/whistles", PROBE,
     {"dispatcher", "supervisor", "admin"}, 400),
    ("POST", "/api/v1/assists/{id}/sign", "/api/v1/assists/999999/sign", PROBE,
     {"handler_cgj", "handler_qsjd", "admin"}, 400),
    ("POST", "/api/v1/assists/{id}/reply", "/api/v1/assists/999999/reply", PROBE,
     {"handler_cgj", "handler_qsjd", "admin"}, 400),
    ("POST", "/api/v1/assists/{id}/assess", "/api/v1/assists/999999/assess", PROBE,
     {"handler_cgj", "handler_qsjd", "dispatcher", "supervisor", "admin"}, 400),
    ("GET", "/api/v1/review-rules", "/api/v1/review-rules", None, STAFF, 200),
    ("GET", "/api/v1/cases/{id}/ladder", "/api/v1/cases/{shared_case}/ladder", None, STAFF, 200),
    ("POST", "/api/v1/cases/{id}/ladder/handle", "/api/v1/cases/{shared_case}/ladder/handle", PROBE,
     {"dispatcher", "supervisor", "grid_worker", "admin"}, 400),
    ("POST", "/api/v1/cases/{id}/ladder/forward", "/api/v1/cases/{shared_case}/ladder/forward", PROBE,
     {"dispatcher", "supervisor", "admin"}, 400),
    ("POST", "/api/v1/cases/{id}/ladder/escalate", "/api/v1/cases/{shared_case}/ladder/escalate", PROBE,
     {"dispatcher", "supervisor", "grid_worker", "admin"}, 400),
    ("GET", "/api/v1/ladder/queue", "/api/v1/ladder/queue", None,
     {"dispatcher", "supervisor", "grid_worker", "admin"}, 200),
    ("GET", "/api/v1/ladder/limits", "/api/v1/ladder/limits", None, STAFF, 200),
    ("PUT", "/api/v1/ladder/limits", "/api/v1/ladder/limits", PROBE, ADMIN, 400),
    ("PUT", "/api/v1/review-rules", "/api/v1/review-rules", PROBE, ADMIN, 400),
    ("DELETE", "/api/v1/review-rules/{id}", "/api/v1/review-rules/999999", None, ADMIN, 404),
    ("GET", "/api/v1/me/tasks", "/api/v1/me/tasks", None, {"grid_worker", "admin"}, 200),
    ("POST", "/api/v1/grid-tasks/{id}/decision", "/api/v1/grid-tasks/999999/decision", PROBE, {"grid_worker", "admin"}, 400),
    ("GET", "/api/v1/cases/{id}/risk", "/api/v1/cases/{shared_case}/risk", None, STAFF, 200),
    ("POST", "/api/v1/cases/{id}/risk", "/api/v1/cases/{shared_case}/risk", PROBE, WARN_ACTORS, 400),
    ("GET", "/api/v1/risk-rules", "/api/v1/risk-rules", None, WARN_READERS, 200),
    ("PUT", "/api/v1/risk-rules", "/api/v1/risk-rules", PROBE, ADMIN, 400),
    ("GET", "/api/v1/risk-rules/refit", "/api/v1/risk-rules/refit", None, ADMIN, 200),
    ("POST", "/api/v1/risk-rules/refit", "/api/v1/risk-rules/refit", PROBE, ADMIN, 400),
    ("GET", "/api/v1/cases/{id}/repeats", "/api/v1/cases/{shared_case}/repeats", None, STAFF, 200),
    ("GET", "/api/v1/cases/{id}/grid-tasks", "/api/v1/cases/{shared_case}/grid-tasks", None, STAFF, 200),
    ("POST", "/api/v1/self-handled", "/api/v1/self-handled", PROBE, {"grid_worker", "admin"}, 400),
    ("POST", "/api/v1/me/uploads", "/api/v1/me/uploads", PROBE, {"grid_worker", "admin"}, 415),
    ("POST", "/api/v1/grid-tasks/{id}/transfer", "/api/v1/grid-tasks/999999/transfer", PROBE,
     {"grid_worker", "admin", "dispatcher", "supervisor"}, 400),
    ("GET", "/api/v1/grid-tasks/{id}/colleagues", "/api/v1/grid-tasks/999999/colleagues", None,
     {"grid_worker", "admin", "dispatcher", "supervisor"}, 404),
    # The sensing network and the warning centre (test_sensors.py).
    ("GET", "/api/v1/devices", "/api/v1/devices", None, STAFF, 200),
    ("POST", "/api/v1/devices", "/api/v1/devices", PROBE, OPS, 400),
    ("GET", "/api/v1/devices/{id}", "/api/v1/devices/999999", None, STAFF, 404),
    ("PATCH", "/api/v1/devices/{id}", "/api/v1/devices/999999", PROBE, OPS, 404),
    ("GET", "/api/v1/devices/{id}/readings", "/api/v1/devices/999999/readings?metric=noise_db", None, STAFF, 404),
    ("GET", "/api/v1/sensor-thresholds", "/api/v1/sensor-thresholds", None, STAFF, 200),
    ("PUT", "/api/v1/sensor-thresholds", "/api/v1/sensor-thresholds", PROBE, {"supervisor", "admin"}, 400),
    ("POST", "/api/v1/readings", "/api/v1/readings", PROBE, OPS, 400),
    ("GET", "/api/v1/sensors/status", "/api/v1/sensors/status", None, STAFF, 200),
    ("GET", "/api/v1/city-index", "/api/v1/city-index", None, STAFF, 200),
    ("POST", "/api/v1/city-index/compute", "/api/v1/city-index/compute", None, {"supervisor", "admin"}, 200),
    ("GET", "/api/v1/city-index/areas", "/api/v1/city-index/areas", None, STAFF, 200),
    ("PUT", "/api/v1/city-index/areas", "/api/v1/city-index/areas", PROBE, ADMIN, 400),
    ("GET", "/api/v1/warnings", "/api/v1/warnings", None, WARN_READERS, 200),
    ("POST", "/api/v1/warnings/scan", "/api/v1/warnings/scan", None, {"supervisor", "admin"}, 200),
    ("GET", "/api/v1/warnings/{id}", "/api/v1/warnings/999999", None, WARN_READERS, 404),
    ("POST", "/api/v1/warnings/{id}/acknowledge", "/api/v1/warnings/999999/acknowledge", PROBE, WARN_ACTORS, 404),
    ("POST", "/api/v1/warnings/{id}/dismiss", "/api/v1/warnings/999999/dismiss", PROBE, WARN_ACTORS, 400),
    ("POST", "/api/v1/warnings/{id}/dispatch", "/api/v1/warnings/999999/dispatch", PROBE, WARN_ACTORS, 400),
    ("GET", "/api/v1/warning-silences", "/api/v1/warning-silences", None, WARN_READERS, 200),
    ("POST", "/api/v1/warning-silences", "/api/v1/warning-silences", PROBE, {"supervisor", "admin"}, 400),
    ("DELETE", "/api/v1/warning-silences/{id}", "/api/v1/warning-silences/999999", None, {"supervisor", "admin"}, 404),
    ("GET", "/api/v1/grid-task-rules", "/api/v1/grid-task-rules", None, STAFF, 200),
    ("PUT", "/api/v1/grid-task-rules", "/api/v1/grid-task-rules", PROBE, {"supervisor", "admin"}, 400),
    ("GET", "/api/v1/cases/export", "/api/v1/cases/export?format=csv&q=访问表内部工单", None, STAFF, 200),
    ("GET", "/api/v1/cases/{id}/reply-check", "/api/v1/cases/999999/reply-check", None, STAFF, 404),
    ("POST", "/api/v1/knowledge", "/api/v1/knowledge", PROBE, {"supervisor", "admin"}, 400),
    ("POST", "/api/v1/knowledge/suggest", "/api/v1/knowledge/suggest", PROBE, STAFF, 400),
    ("GET", "/api/v1/knowledge/{id}", "/api/v1/knowledge/999999", None, STAFF, 404),
    ("PATCH", "/api/v1/knowledge/{id}", "/api/v1/knowledge/999999", PROBE, {"supervisor", "admin"}, 400),
    ("DELETE", "/api/v1/knowledge/{id}", "/api/v1/knowledge/999999", None, {"supervisor", "admin"}, 404),
    # 政务数据资源目录 (issue 17): staff search; data officers (their own departments) and admins write.
    ("GET", "/api/v1/datasets", "/api/v1/datasets", None, STAFF, 200),
    ("POST", "/api/v1/datasets", "/api/v1/datasets", PROBE, OPS, 400),
    ("GET", "/api/v1/datasets/{id}", "/api/v1/datasets/999999", None, STAFF, 404),
    ("PUT", "/api/v1/datasets/{id}", "/api/v1/datasets/999999", PROBE, OPS, 400),
    ("POST", "/api/v1/datasets/{id}/import", "/api/v1/datasets/999999/import", PROBE, OPS, 404),
    ("GET", "/api/v1/catalog/lists", "/api/v1/catalog/lists", None, STAFF, 200),
    ("GET", "/api/v1/datasets/{id}/quality", "/api/v1/datasets/999999/quality", None, STAFF, 404),
    ("POST", "/api/v1/datasets/{id}/quality", "/api/v1/datasets/999999/quality", None, OPS, 404),
    ("GET", "/api/v1/catalog/quality", "/api/v1/catalog/quality?department_id=1", None, STAFF, 200),
    ("GET", "/api/v1/catalog/dcat", "/api/v1/catalog/dcat", None, STAFF, 200),
    ("POST", "/api/v1/validate", "/api/v1/validate", PROBE, ALL, 400),  # sharevalid's, merged here
    ("GET", "/api/v1/data-requests", "/api/v1/data-requests", None, STAFF, 200),
    ("POST", "/api/v1/data-requests", "/api/v1/data-requests", PROBE, STAFF, 400),
    ("GET", "/api/v1/data-requests/{id}", "/api/v1/data-requests/999999", None, STAFF, 404),
    ("POST", "/api/v1/data-requests/{id}/decision", "/api/v1/data-requests/999999/decision", PROBE, OPS, 400),
    ("GET", "/api/v1/data-grants", "/api/v1/data-grants", None, STAFF, 200),
    ("GET", "/api/v1/data-grants/{id}", "/api/v1/data-grants/999999", None, STAFF, 404),
    ("POST", "/api/v1/data-grants/{id}/revoke", "/api/v1/data-grants/999999/revoke", PROBE, OPS, 400),
    ("GET", "/api/v1/data-grants/{id}/rows", "/api/v1/data-grants/999999/rows", None, STAFF, 404),
    ("POST", "/api/v1/data-grants/{id}/aggregate", "/api/v1/data-grants/999999/aggregate", PROBE, STAFF, 400),
    ("GET", "/api/v1/data-grants/{id}/export", "/api/v1/data-grants/999999/export", None, STAFF, 404),
    ("GET", "/api/v1/data-grants/{id}/uses", "/api/v1/data-grants/999999/uses", None, STAFF, 404),
    ("POST", "/api/v1/cases/bulk", "/api/v1/cases/bulk", PROBE, {"dispatcher", "supervisor", "admin", "handler_cgj", "handler_qsjd"}, 400),
    ("POST", "/api/v1/me/filters", "/api/v1/me/filters", PROBE, ALL, 400),
    ("DELETE", "/api/v1/me/filters/{id}", "/api/v1/me/filters/999999", None, ALL, 404),
    ("GET", "/api/v1/me/messages", "/api/v1/me/messages", None, ALL, 200),
    ("GET", "/api/v1/me/messages/counts", "/api/v1/me/messages/counts", None, ALL, 200),
    ("POST", "/api/v1/me/messages/read", "/api/v1/me/messages/read", PROBE, ALL, 400),
    # Citizens' SMS sign-in is public; the profile, data and erasure are the citizen's own
    # (erasure refused without confirm=erase, so the table erases nothing).
    ("POST", "/api/v1/auth/sms-code", "/api/v1/auth/sms-code", PROBE, PUBLIC, 400),
    ("POST", "/api/v1/auth/sms-login", "/api/v1/auth/sms-login", PROBE, PUBLIC, 400),
    ("GET", "/api/v1/me/profile", "/api/v1/me/profile", None, {"citizen"}, 200),
    ("PUT", "/api/v1/me/profile", "/api/v1/me/profile", PROBE, {"citizen"}, 400),
    ("GET", "/api/v1/me/data", "/api/v1/me/data", None, {"citizen"}, 200),
    ("DELETE", "/api/v1/me", "/api/v1/me", None, {"citizen"}, 400),
    ("GET", "/api/v1/sms-templates", "/api/v1/sms-templates", None, ADMIN, 200),
    ("PATCH", "/api/v1/sms-templates/{id}", "/api/v1/sms-templates/999999", PROBE, ADMIN, 400),
    ("GET", "/api/v1/sms-messages", "/api/v1/sms-messages", None, {"admin", "supervisor"}, 200),
    ("GET", "/api/v1/sms/dlr", "/api/v1/sms/dlr", None, PUBLIC, 400),
    # Policies: officials write and publish, staff try a rule, anyone uses the calculator; a
    # citizen keeps their own profiles and offers.
    ("GET", "/api/v1/policies", "/api/v1/policies", None, ALL, 200),
    ("POST", "/api/v1/policies", "/api/v1/policies", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("POST", "/api/v1/policies/trial", "/api/v1/policies/trial", PROBE, STAFF, 400),
    ("GET", "/api/v1/policies/{id}", "/api/v1/policies/999999", None, ALL, 404),
    ("PUT", "/api/v1/policies/{id}", "/api/v1/policies/999999", PROBE, {"supervisor", "data_officer", "admin"}, 404),
    ("POST", "/api/v1/policies/{id}/publish", "/api/v1/policies/999999/publish", None, {"supervisor", "admin"}, 404),
    ("POST", "/api/v1/policy-calculator", "/api/v1/policy-calculator", PROBE, ALL, 400),
    ("GET", "/api/v1/me/policy-profiles/{subject}", "/api/v1/me/policy-profiles/person", None, {"citizen"}, 404),
    ("PUT", "/api/v1/me/policy-profiles/{subject}", "/api/v1/me/policy-profiles/person", PROBE, {"citizen"}, 400),
    ("GET", "/api/v1/me/policy-offers", "/api/v1/me/policy-offers", None, {"citizen"}, 200),
    # Residents' proposals and votes; officials moderate, open polls, publish and track projects.
    ("GET", "/api/v1/proposals", "/api/v1/proposals", None, ALL, 200),
    ("POST", "/api/v1/proposals", "/api/v1/proposals", PROBE, {"citizen", "grid_worker", "supervisor", "admin"}, 400),
    ("POST", "/api/v1/proposals/{id}/hide", "/api/v1/proposals/999999/hide", PROBE, {"supervisor", "admin"}, 400),
    ("POST", "/api/v1/proposals/{id}/restore", "/api/v1/proposals/999999/restore", None, {"supervisor", "admin"}, 404),
    ("POST", "/api/v1/proposals/{id}/appeal", "/api/v1/proposals/999999/appeal", PROBE, {"citizen"}, 400),
    ("POST", "/api/v1/proposals/{id}/poll", "/api/v1/proposals/999999/poll", PROBE, {"supervisor", "admin"}, 400),
    ("POST", "/api/v1/proposals/{id}/vote", "/api/v1/proposals/999999/vote", PROBE, {"citizen"}, 400),
    ("POST", "/api/v1/proposals/{id}/publish", "/api/v1/proposals/999999/publish", None, {"supervisor", "admin"}, 404),
    ("POST", "/api/v1/proposals/{id}/project", "/api/v1/proposals/999999/project", PROBE, {"supervisor", "admin"}, 400),
    ("GET", "/api/v1/participation", "/api/v1/participation", None, {"supervisor", "data_officer", "admin"}, 200),
    # Public consultations: read by anyone (the published feedback is a public page); residents
    # comment; officials open one, answer comments and publish the summary.
    ("GET", "/api/v1/consultations", "/api/v1/consultations", None, PUBLIC, 200),
    ("POST", "/api/v1/consultations", "/api/v1/consultations", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("GET", "/api/v1/consultations/{id}", "/api/v1/consultations/999999", None, PUBLIC, 404),
    ("POST", "/api/v1/consultations/{id}/comments", "/api/v1/consultations/999999/comments", PROBE, {"citizen"}, 400),
    ("POST", "/api/v1/consultations/{id}/comments/{comment}/answer",
     "/api/v1/consultations/999999/comments/999999/answer", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("POST", "/api/v1/consultations/{id}/publish", "/api/v1/consultations/999999/publish", PROBE,
     {"supervisor", "data_officer", "admin"}, 400),
    # The service catalogue, 一件事 bundles and 秒批 (docs/services.md): a handler's department and
    # an application's readers are checked by the handlers (test_services.py).
    ("GET", "/api/v1/service-items", "/api/v1/service-items", None, ALL, 200),
    ("POST", "/api/v1/service-items", "/api/v1/service-items", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("GET", "/api/v1/service-items/{id}", "/api/v1/service-items/999999", None, ALL, 404),
    ("PUT", "/api/v1/service-items/{id}", "/api/v1/service-items/999999", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("GET", "/api/v1/service-bundles", "/api/v1/service-bundles", None, ALL, 200),
    ("POST", "/api/v1/service-bundles", "/api/v1/service-bundles", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("GET", "/api/v1/service-bundles/{id}", "/api/v1/service-bundles/999999", None, ALL, 404),
    ("PUT", "/api/v1/service-bundles/{id}", "/api/v1/service-bundles/999999", PROBE, {"supervisor", "data_officer", "admin"}, 400),
    ("POST", "/api/v1/me/service-applications", "/api/v1/me/service-applications", PROBE, {"citizen"}, 400),
    ("GET", "/api/v1/me/service-applications", "/api/v1/me/service-applications", None, {"citizen"}, 200),
    ("GET", "/api/v1/service-applications/{id}", "/api/v1/service-applications/999999", None, ALL, 404),
    ("GET", "/api/v1/service-tasks", "/api/v1/service-tasks", None, STAFF, 200),
    ("POST", "/api/v1/service-tasks/{id}/accept", "/api/v1/service-tasks/999999/accept", PROBE, {"handler_cgj", "handler_qsjd", "admin"}, 400),
    ("POST", "/api/v1/service-tasks/{id}/approve", "/api/v1/service-tasks/999999/approve", PROBE, {"handler_cgj", "handler_qsjd", "admin"}, 400),
    ("POST", "/api/v1/service-tasks/{id}/refuse", "/api/v1/service-tasks/999999/refuse", PROBE, {"handler_cgj", "handler_qsjd", "admin"}, 400),
    ("GET", "/api/v1/points-rules", "/api/v1/points-rules", None, ALL, 200),
    ("PATCH", "/api/v1/points-rules/{id}", "/api/v1/points-rules/999999", PROBE, {"supervisor", "admin"}, 400),
    ("GET", "/api/v1/points-items", "/api/v1/points-items", None, ALL, 200),
    ("POST", "/api/v1/points-items", "/api/v1/points-items", PROBE, {"supervisor", "admin"}, 400),
    ("POST", "/api/v1/points-items/{id}/redeem", "/api/v1/points-items/999999/redeem", None, {"citizen"}, 404),
    ("POST", "/api/v1/points/awards", "/api/v1/points/awards", PROBE, {"supervisor", "grid_worker", "admin"}, 400),
    ("GET", "/api/v1/me/points", "/api/v1/me/points", None, ALL, 200),
    ("GET", "/api/v1/users", "/api/v1/users", None, ADMIN, 200),
    ("POST", "/api/v1/users", "/api/v1/users", PROBE, ADMIN, 400),
    ("GET", "/api/v1/users/{id}", "/api/v1/users/{self}", None, ALL, 200),
    ("PATCH", "/api/v1/users/{id}", "/api/v1/users/{self}", PROBE, ADMIN, 400),
    ("PUT", "/api/v1/users/{id}/password", "/api/v1/users/{self}/password", PROBE, ALL, 400),
    ("GET", "/api/v1/users/{id}/contact", "/api/v1/users/{self}/contact", None, ALL, 200),
    ("GET", "/api/v1/regions", "/api/v1/regions?level=street", None, ALL, 200),
    ("GET", "/api/v1/regions/locate", "/api/v1/regions/locate?lat=30.2&lon=120.1", None, ALL, 200),
    ("POST", "/api/v1/regions", "/api/v1/regions", PROBE, ADMIN, 400),
    ("POST", "/api/v1/regions/import", "/api/v1/regions/import", None, ADMIN, 415),
    ("GET", "/api/v1/regions/export", "/api/v1/regions/export?within=330179001001", None, STAFF, 200),
    ("GET", "/api/v1/regions/{id}", "/api/v1/regions/{my_region}", None, ALL, 200),
    ("PATCH", "/api/v1/regions/{id}", "/api/v1/regions/{district}", PROBE, ADMIN, 400),
    ("DELETE", "/api/v1/regions/{id}", "/api/v1/regions/999999", None, ADMIN, 404),
    ("GET", "/api/v1/grid-workers", "/api/v1/grid-workers", None, {"dispatcher", "supervisor", "admin"}, 200),
    ("POST", "/api/v1/grid-workers/plan", "/api/v1/grid-workers/plan", PROBE, {"dispatcher", "supervisor", "admin"}, 400),
    ("GET", "/api/v1/grid-workers/{id}", "/api/v1/grid-workers/999999", None, {"dispatcher", "supervisor", "admin"}, 404),
    ("PUT", "/api/v1/grid-workers/{id}", "/api/v1/grid-workers/999999", PROBE, {"dispatcher", "supervisor", "admin"}, 400),
    ("POST", "/api/v1/me/position", "/api/v1/me/position", PROBE, {"grid_worker"}, 400),
    ("GET", "/api/v1/cases/{id}/worker-suggestions", "/api/v1/cases/{shared_case}/worker-suggestions", None,
     {"dispatcher", "supervisor", "admin"}, 200),
    ("GET", "/api/v1/departments", "/api/v1/departments", None, STAFF, 200),
    ("POST", "/api/v1/departments", "/api/v1/departments", PROBE, ADMIN, 400),
    ("GET", "/api/v1/departments/{id}", "/api/v1/departments/{my_dept}", None, STAFF, 200),
    ("PATCH", "/api/v1/departments/{id}", "/api/v1/departments/{CGJ}", PROBE, ADMIN, 400),
    ("DELETE", "/api/v1/departments/{id}", "/api/v1/departments/999999", None, ADMIN, 404),
    ("GET", "/api/v1/categories", "/api/v1/categories?level=1", None, ALL, 200),
    ("POST", "/api/v1/categories", "/api/v1/categories", PROBE, ADMIN, 400),
    ("GET", "/api/v1/categories/{id}", "/api/v1/categories/1", None, ALL, 200),
    ("PATCH", "/api/v1/categories/{id}", "/api/v1/categories/1", PROBE, ADMIN, 400),
    ("DELETE", "/api/v1/categories/{id}", "/api/v1/categories/999999", None, ADMIN, 404),
    ("GET", "/api/v1/calendar", "/api/v1/calendar", None, STAFF, 200),
    ("PUT", "/api/v1/calendar", "/api/v1/calendar", PROBE, ADMIN, 400),
    ("PUT", "/api/v1/calendar/days/{day}", "/api/v1/calendar/days/" + NO_DAY, PROBE, ADMIN, 400),
    ("DELETE", "/api/v1/calendar/days/{day}", "/api/v1/calendar/days/" + NO_DAY, None, ADMIN, 404),
    ("GET", "/api/v1/calendar/add", f"/api/v1/calendar/add?from={FROM}&amount=3&unit=work_hours", None, STAFF, 200),
    # Cases. {shared_case} is visible to every demo user (the citizen's own, lead CGJ, assisting
    # QSJD, inside the grid worker's grid); {private_case} only to unbound staff (SCOPE_DENIED).
    ("POST", "/api/v1/cases", "/api/v1/cases", PROBE,
     {"citizen", "operator", "dispatcher", "grid_worker", "admin"}, 400),
    ("GET", "/api/v1/cases", "/api/v1/cases?limit=1", None, ALL, 200),
    ("GET", "/api/v1/cases/lookup", "/api/v1/cases/lookup?number=20000101-000001&check_code=000000", None,
     PUBLIC, 404),
    ("GET", "/api/v1/cases/{id}", "/api/v1/cases/{shared_case}", None, ALL, 200),
    ("GET", "/api/v1/cases/{id}", "/api/v1/cases/{private_case}", None, ALL, 200),
    ("POST", "/api/v1/cases/{id}/actions", "/api/v1/cases/{shared_case}/actions", PROBE, ALL, 400),
    ("POST", "/api/v1/cases/{id}/actions", "/api/v1/cases/{private_case}/actions", PROBE, ALL, 400),
    ("GET", "/api/v1/case-actions", "/api/v1/case-actions", None, ALL, 200),
    # 申诉 (test_appeal.py): the reporter files, whoever sees the case reads, supervisors decide.
    ("POST", "/api/v1/cases/{id}/appeals", "/api/v1/cases/{shared_case}/appeals", PROBE, ALL, 400),
    ("POST", "/api/v1/cases/{id}/appeals", "/api/v1/cases/{private_case}/appeals", PROBE, ALL, 400),
    ("GET", "/api/v1/cases/{id}/appeals", "/api/v1/cases/{shared_case}/appeals", None, ALL, 200),
    ("GET", "/api/v1/cases/{id}/appeals", "/api/v1/cases/{private_case}/appeals", None, ALL, 200),
    ("POST", "/api/v1/cases/lookup/appeals", "/api/v1/cases/lookup/appeals", PROBE, PUBLIC, 400),
    ("GET", "/api/v1/appeals", "/api/v1/appeals", None, {"supervisor", "admin"}, 200),
    ("POST", "/api/v1/appeals/{id}/decision", "/api/v1/appeals/999999/decision", PROBE, {"supervisor", "admin"}, 400),
    ("GET", "/api/v1/public/decisions", "/api/v1/public/decisions", None, PUBLIC, 200),
    ("GET", "/api/v1/address-register", "/api/v1/address-register", None, STAFF, 200),
    ("POST", "/api/v1/address-register/import", "/api/v1/address-register/import", None, OPS, 415),
    ("GET", "/api/v1/address-register/export", "/api/v1/address-register/export?format=csv", None, STAFF, 200),
    ("GET", "/api/v1/address-register/{kind}", "/api/v1/address-register/places?limit=1", None, STAFF, 200),
    ("POST", "/api/v1/address-register/{kind}", "/api/v1/address-register/roads", PROBE, OPS, 400),
    ("GET", "/api/v1/address-register/{kind}/{id}", "/api/v1/address-register/roads/999999", None, STAFF, 404),
    ("PATCH", "/api/v1/address-register/{kind}/{id}", "/api/v1/address-register/roads/999999", PROBE, OPS, 400),
    ("DELETE", "/api/v1/address-register/{kind}/{id}", "/api/v1/address-register/roads/999999", None, OPS, 404),
    ("GET", "/api/v1/basemap/{z}/{x}/{y}", "/api/v1/basemap/14/13661/6797", None, PUBLIC, 200),
    ("GET", "/api/v1/cases/{id}/contact", "/api/v1/cases/{shared_case}/contact", None, STAFF, 200),
    ("GET", "/api/v1/cases/{id}/contact", "/api/v1/cases/{private_case}/contact", None, STAFF, 200),
    # Attachments: an allowed caller's JSON body is no file (415); no attachment 999999 (404).
    ("POST", "/api/v1/cases/{id}/attachments", "/api/v1/cases/{shared_case}/attachments", PROBE, ALL, 415),
    ("POST", "/api/v1/cases/{id}/attachments", "/api/v1/cases/{private_case}/attachments", PROBE, ALL, 415),
    ("GET", "/api/v1/attachments/{id}", "/api/v1/attachments/999999", None, ALL, 404),
    ("GET", "/api/v1/attachments/{id}/thumbnail", "/api/v1/attachments/999999/thumbnail", None, ALL, 404),
    ("POST", "/api/v1/admin/sweep", "/api/v1/admin/sweep", None, {"admin", "supervisor"}, 200),
    # The shared server runs without the test clock: an allowed caller gets 404 (disabled).
    ("PUT", "/api/v1/test/clock", "/api/v1/test/clock", PROBE, ADMIN, 404),
    ("GET", "/api/v1/audit", "/api/v1/audit?limit=5", None, {"admin", "supervisor"}, 200),
    ("GET", "/api/v1/audit/verify", "/api/v1/audit/verify", None, ADMIN, 200),
    ("GET", "/api/v1/audit/head", "/api/v1/audit/head", None, {"admin", "supervisor"}, 200),
    # A stream never ends: the request is made with stream=True and closed once the status is in.
    ("GET", "/api/v1/events/stream", "/api/v1/events/stream", None, ALL, 200),
    ("GET", "/api/v1/stats/assessment", "/api/v1/stats/assessment?from=2026-01-01&to=2026-02-01", None,
     {"admin", "supervisor", "data_officer"}, 200),
    ("GET", "/api/v1/stats/ladder", "/api/v1/stats/ladder?from=2026-01-01&to=2026-02-01", None,
     {"admin", "supervisor", "data_officer"}, 200),
    ("GET", "/api/v1/stats/kinds", "/api/v1/stats/kinds?from=2026-01-01&to=2026-02-01", None,
     {"admin", "supervisor", "data_officer"}, 200),
    ("GET", "/api/v1/stats/grids", "/api/v1/stats/grids?from=2026-01-01&to=2026-02-01", None,
     {"admin", "supervisor", "data_officer", "dispatcher"}, 200),
    # The 15-minute service circle (test_walk.py): staff; no community 999999999 (404).
    ("GET", "/api/v1/service-circle", "/api/v1/service-circle?region=999999999", None, STAFF, 404),
    ("GET", "/api/v1/service-circle/gaps", "/api/v1/service-circle/gaps", None, STAFF, 200),
    ("POST", "/api/v1/patrols", "/api/v1/patrols", PROBE, {"grid_worker"}, 400),
    ("GET", "/api/v1/patrols", "/api/v1/patrols", None, PATROL_READERS, 200),
    ("GET", "/api/v1/patrols/current", "/api/v1/patrols/current", None, {"grid_worker"}, 200),
    ("GET", "/api/v1/patrols/coverage", "/api/v1/patrols/coverage?from=2026-03-02&to=2026-03-02", None,
     PATROL_READERS, 200),
    ("GET", "/api/v1/patrols/stats", "/api/v1/patrols/stats", None, PATROL_READERS, 200),
    ("GET", "/api/v1/patrols/{id}", "/api/v1/patrols/999999", None, PATROL_READERS, 404),
    ("POST", "/api/v1/patrols/{id}/fixes", "/api/v1/patrols/999999/fixes", PROBE, {"grid_worker"}, 400),
    ("POST", "/api/v1/patrols/{id}/findings", "/api/v1/patrols/999999/findings", PROBE, {"grid_worker"},
     400),
    ("POST", "/api/v1/patrols/{id}/end", "/api/v1/patrols/999999/end", PROBE, {"grid_worker"}, 400),
    # Geocoding (test_geocode.py): staff; autocomplete also for citizens (the report form).
    # (0, 0) lies outside the district: an allowed caller gets 400 naming lat.
    ("GET", "/api/v1/geocode", "/api/v1/geocode?q=%E9%94%A6%E7%BB%A3%E8%B7%AF", None, STAFF, 200),
    ("GET", "/api/v1/geocode/reverse", "/api/v1/geocode/reverse?lat=0&lon=0", None, STAFF, 400),
    ("GET", "/api/v1/geocode/suggest", "/api/v1/geocode/suggest?q=%E9%94%A6%E7%BB%A3", None, ALL, 200),
    ("GET", "/api/v1/assessment/triage-accuracy", "/api/v1/assessment/triage-accuracy?from=2026-01-01&to=2026-02-01",
     None, {"admin", "supervisor", "data_officer"}, 200),
    # Triage. Training takes a JSON body, so the probe is refused before any model changes.
    ("GET", "/api/v1/cases/{id}/triage", "/api/v1/cases/{shared_case}/triage", None, STAFF, 200),
    ("GET", "/api/v1/cases/{id}/triage", "/api/v1/cases/{private_case}/triage", None, STAFF, 200),
    ("POST", "/api/v1/triage/suggest", "/api/v1/triage/suggest", PROBE,
     {"citizen", "operator", "grid_worker", "dispatcher", "supervisor", "admin"}, 400),
    ("GET", "/api/v1/triage/hot", "/api/v1/triage/hot?days=1", None, STAFF, 200),
    ("GET", "/api/v1/triage/model", "/api/v1/triage/model", None, OPS | {"dispatcher"}, 200),
    ("POST", "/api/v1/triage/train", "/api/v1/triage/train", PROBE, OPS, 400),
    ("POST", "/api/v1/triage/model/rollback", "/api/v1/triage/model/rollback", PROBE, ADMIN, 400),
    ("GET", "/api/v1/routing-rules", "/api/v1/routing-rules", None, STAFF, 200),
    ("POST", "/api/v1/routing-rules", "/api/v1/routing-rules", PROBE, ADMIN, 400),
    ("GET", "/api/v1/routing-rules/{id}", "/api/v1/routing-rules/999999", None, STAFF, 404),
    ("PATCH", "/api/v1/routing-rules/{id}", "/api/v1/routing-rules/999999", PROBE, ADMIN, 404),
    ("DELETE", "/api/v1/routing-rules/{id}", "/api/v1/routing-rules/999999", None, ADMIN, 404),
    # Open311: public reads; a POST's key is in its form (a JSON probe is no form: 400). The
    # Open311 error bodies are checked in test_open311.py.
    ("GET", "/open311/{file}", "/open311/discovery.json", None, PUBLIC, 200),
    ("GET", "/open311/v2/{file}", "/open311/v2/services.json", None, PUBLIC, 200),
    ("POST", "/open311/v2/requests.{fmt}", "/open311/v2/requests.json", PROBE, PUBLIC, 400),
    ("POST", "/open311/v2/servicerequestupdates.{fmt}", "/open311/v2/servicerequestupdates.json", PROBE, PUBLIC, 400),
    ("GET", "/open311/v2/services/{file}", "/open311/v2/services/020201.json", None, PUBLIC, 200),
    ("GET", "/open311/v2/requests/{file}", "/open311/v2/requests/20000101-000001.json", None, PUBLIC, 404),
    ("GET", "/open311/v2/tokens/{file}", "/open311/v2/tokens/no-such-token.json", None, PUBLIC, 404),
    # The intake cases did not come through Open311: an allowed caller gets 404.
    ("GET", "/api/v1/cases/{id}/open311", "/api/v1/cases/{shared_case}/open311", None, STAFF, 404),
    ("GET", "/api/v1/open311/clients", "/api/v1/open311/clients", None, ADMIN, 200),
    ("POST", "/api/v1/open311/clients", "/api/v1/open311/clients", PROBE, ADMIN, 400),
    ("DELETE", "/api/v1/open311/clients/{id}", "/api/v1/open311/clients/999999", None, ADMIN, 404),
    ("GET", "/api/v1/categories/{id}/attributes", "/api/v1/categories/1/attributes", None, ALL, 200),
    ("PUT", "/api/v1/categories/{id}/attributes", "/api/v1/categories/1/attributes", PROBE, ADMIN, 400),
]

# Callers that the route's roles admit but its scope refuses, per concrete path: the 403 says
# why ("outside your scope" for SCOPE_CASE), never "requires role".
OUT_OF_SCOPE = "outside your scope"
NOT_LEAD = "only the hotline, supervisors and the lead department"
SCOPE_DENIED = {
    ("GET", "/api/v1/cases/{private_case}"): {w: OUT_OF_SCOPE for w in
                                              ("citizen", "handler_cgj", "handler_qsjd", "grid_worker")},
    ("POST", "/api/v1/cases/{private_case}/actions"): {w: OUT_OF_SCOPE for w in
                                                       ("citizen", "handler_cgj", "handler_qsjd", "grid_worker")},
    ("POST", "/api/v1/cases/{private_case}/appeals"): {w: OUT_OF_SCOPE for w in
                                                       ("citizen", "handler_cgj", "handler_qsjd", "grid_worker")},
    ("GET", "/api/v1/cases/{private_case}/appeals"): {w: OUT_OF_SCOPE for w in
                                                      ("citizen", "handler_cgj", "handler_qsjd", "grid_worker")},
    ("POST", "/api/v1/cases/{private_case}/attachments"): {w: OUT_OF_SCOPE for w in
                                                           ("citizen", "handler_cgj", "handler_qsjd", "grid_worker")},
    ("GET", "/api/v1/cases/{private_case}/triage"): {w: OUT_OF_SCOPE for w in ("handler_cgj", "handler_qsjd", "grid_worker")},
    ("GET", "/api/v1/cases/{private_case}/contact"): {"handler_cgj": OUT_OF_SCOPE, "handler_qsjd": OUT_OF_SCOPE,
                                                      "grid_worker": OUT_OF_SCOPE, "data_officer": NOT_LEAD},
    # Visible to all, but the full number only to the hotline, supervisors and the lead department.
    ("GET", "/api/v1/cases/{shared_case}/contact"): {"handler_qsjd": NOT_LEAD, "grid_worker": NOT_LEAD,
                                                     "data_officer": NOT_LEAD},
}

WHO = DEMO_USERS + [None]


def route_table_from_source():
    src = open(os.path.join(ROOT, "src", "api", "routes.c"), encoding="utf-8").read()
    return set(re.findall(r'\{HTTP_([A-Z]+),\s*"([^"]+)"', src))


def test_table_covers_every_route():
    assert route_table_from_source() == {(m, p) for m, p, *_ in TABLE}


@pytest.fixture(scope="module")
def ids(gl, demo):
    """The demo ids plus two cases: one every demo user may see, one only unbound staff may."""
    gw_region = demo["gw_grid"]
    box = gl.get("admin", f"/api/v1/regions/{gw_region}").json()["boundary"]["coordinates"][0]
    lon = (box[0][0] + box[2][0]) / 2
    lat = (box[0][1] + box[2][1]) / 2
    r = gl.post("citizen", "/api/v1/cases", json={"title": "访问表公共工单", "description": "路灯不亮",
                                                  "channel": "app", "lat": lat, "lon": lon,
                                                  "citizen": {"name": "市民甲", "phone": "13900001111"}})
    assert r.status_code == 201, r.text
    shared = r.json()
    assert shared["region_id"] == gw_region, shared
    r = gl.post("dispatcher", f"/api/v1/cases/{shared['id']}/actions",
                json={"action": "dispatch", "version": shared["version"], "department": demo["CGJ"],
                      "assisting": [demo["QSJD"]]})
    assert r.status_code == 200, r.text
    r = gl.post("operator", "/api/v1/cases", json={"title": "访问表内部工单", "description": "无位置的咨询",
                                                   "channel": "hotline",
                                                   "citizen": {"name": "市民乙", "phone": "13900002222"}})
    assert r.status_code == 201, r.text
    return dict(demo, shared_case=shared["id"], private_case=r.json()["id"])


def concrete(path, who, ids):
    u = ids["users"].get(who) if who else None
    my_region = (u or {}).get("region_id") or ids["district"]
    depts = (u or {}).get("departments") or [ids["CGJ"]]
    return path.format(self=u["id"] if u else 1, my_region=my_region, my_dept=depts[0],
                       district=ids["district"], CGJ=ids["CGJ"], shared_case=ids["shared_case"],
                       private_case=ids["private_case"])


def roles_text(roles):
    return "|".join(r for r in ("citizen", "operator", "dispatcher", "handler", "grid_worker", "supervisor",
                                "data_officer", "admin") if r in {x.split("_")[0] if x.startswith("handler") else x
                                                                  for x in roles})


@pytest.mark.parametrize("who", WHO, ids=lambda w: w or "anonymous")
@pytest.mark.parametrize("method,pattern,path,body,roles,ok_status", TABLE,
                         ids=[f"{m} {p}" for m, _pat, p, *_ in TABLE])
def test_role_table(gl, ids, who, method, pattern, path, body, roles, ok_status):
    url = gl.url(concrete(path, who, ids))
    if pattern == "/api/v1/auth/logout" and who:
        session = gl.fresh(who)  # logging out must not end the cached session
    else:
        session = gl.as_(who)
    streaming = pattern == "/api/v1/events/stream"
    r = session.request(method, url, json=body, timeout=30, stream=streaming)
    if streaming and r.status_code == 200:
        assert r.headers["Content-Type"].startswith("text/event-stream")
        r.close()
    scope_denied = SCOPE_DENIED.get((method, path), {})
    if who in scope_denied:
        assert who in roles, "a scope denial row must name a caller the roles admit"
        e = assert_error(r, 403, "forbidden")
        assert scope_denied[who] in e["message"], e
        assert "requires role" not in e["message"], e
    elif roles is PUBLIC or (who in roles):
        assert r.status_code == ok_status, f"{who} {method} {url}: {r.status_code} {r.text[:300]}"
        if pattern.startswith("/open311/"):
            assert r.headers["Content-Type"] == "application/json"
        elif ok_status == 400:
            assert_error(r, 400, "bad_request", FIELD_400.get(pattern, "_probe"))
        elif ok_status == 404:
            assert_error(r, 404, "not_found")
    elif who is None:
        e = assert_error(r, 401, "unauthorized")
        assert "Authorization: Bearer" in e["message"]
    else:
        e = assert_error(r, 403, "forbidden")
        # The message says why: what the route needs and what the caller has.
        need = roles_text(roles)
        assert f"requires role {need}" in e["message"], e
        assert "you have " + ("handler" if who.startswith("handler") else who) in e["message"], e


def test_citizen_departments_forbidden_says_why(gl):
    e = assert_error(gl.get("citizen", "/api/v1/departments"), 403, "forbidden")
    assert "GET /api/v1/departments requires role operator|" in e["message"]
    assert "admin" in e["message"] and e["message"].endswith("you have citizen")


def test_department_scope(gl, ids):
    cgj, qsjd, hwz = ids["CGJ"], ids["QSJD"], ids["HWZ"]
    r = gl.get("handler_cgj", f"/api/v1/departments/{cgj}")
    assert r.status_code == 200 and r.json()["code"] == "CGJ"
    for other in (qsjd, hwz):
        e = assert_error(gl.get("handler_cgj", f"/api/v1/departments/{other}"), 403, "forbidden")
        assert f"department {other} is outside your scope" in e["message"]
    assert gl.get("handler_qsjd", f"/api/v1/departments/{qsjd}").status_code == 200
    assert_error(gl.get("handler_qsjd", f"/api/v1/departments/{cgj}"), 403, "forbidden")
    # Roles that are not department-bound see every department.
    for who in ("operator", "dispatcher", "supervisor", "data_officer", "grid_worker", "admin"):
        assert gl.get(who, f"/api/v1/departments/{qsjd}").status_code == 200, who
    # A missing department is 404 for an unbound role and still 403 for a bound one.
    assert_error(gl.get("admin", "/api/v1/departments/999999"), 404, "not_found")
    assert_error(gl.get("handler_cgj", "/api/v1/departments/999999"), 403, "forbidden")


def test_region_scope(gl, ids):
    gw = "grid_worker"
    for rid in (ids["gw_grid"], ids["gw_community"], ids["street1"], ids["district"]):
        r = gl.get(gw, f"/api/v1/regions/{rid}")
        assert r.status_code == 200, r.text
        assert r.json()["id"] == rid
    for rid in (ids["other_street_grid"], ids["street2"], ids["sibling_grid"]):
        e = assert_error(gl.get(gw, f"/api/v1/regions/{rid}"), 403, "forbidden")
        assert ids["gw_grid_code"] in e["message"]
    # A street-bound handler sees its street's subtree, not the next street.
    assert gl.get("handler_qsjd", f"/api/v1/regions/{ids['gw_grid']}").status_code == 200
    assert_error(gl.get("handler_qsjd", f"/api/v1/regions/{ids['other_street_grid']}"), 403, "forbidden")
    # Unbound users see all regions.
    for who in ("citizen", "operator", "admin"):
        assert gl.get(who, f"/api/v1/regions/{ids['other_street_grid']}").status_code == 200, who
    r = gl.get(gw, f"/api/v1/regions/{ids['gw_grid']}").json()
    assert r["path"].count("/") == 3 and r["level"] == "grid" and r["boundary"]["type"] == "Polygon"


def test_user_scope(gl, ids):
    me = ids["users"]["operator"]["id"]
    other = ids["users"]["dispatcher"]["id"]
    r = gl.get("operator", f"/api/v1/users/{me}")
    assert r.status_code == 200 and r.json()["name"] == "operator"
    e = assert_error(gl.get("operator", f"/api/v1/users/{other}"), 403, "forbidden")
    assert "your own account" in e["message"]
    r = gl.get("admin", f"/api/v1/users/{other}")
    assert r.status_code == 200 and r.json()["name"] == "dispatcher"
    # Phones are masked for admins too, as case phones are; the full number is an audited reveal.
    assert re.fullmatch(r"\d{3}\*+\d{4}", r.json()["phone"]), r.json()["phone"]
    reveal = gl.get("admin", f"/api/v1/users/{other}/contact")
    assert reveal.status_code == 200 and reveal.json()["phone"].isdigit(), reveal.text
    assert reveal.headers["Cache-Control"] == "no-store"
    assert_error(gl.get("operator", f"/api/v1/users/{other}/contact"), 403, "forbidden")
    assert_error(gl.get("admin", "/api/v1/users/999999"), 404, "not_found")
    assert_error(gl.get("operator", "/api/v1/users/999999"), 403, "forbidden")


def test_unauthenticated_protected_routes(gl, ids):
    protected = [(m, concrete(p, "admin", ids)) for m, pat, p, b, roles, _ in TABLE
                 if roles is not PUBLIC]
    assert len(protected) > 25
    for method, path in protected:
        r = requests.request(method, gl.url(path), json=PROBE if method in ("POST", "PUT", "PATCH") else None)
        assert_error(r, 401, "unauthorized")


def test_metrics(gl):
    gl.get("admin", "/api/v1/regions?level=district")  # at least one db-backed request
    # Loopback alone admits no one (behind a local proxy every client is loopback).
    assert_error(requests.get(gl.url("/metrics")), 401, "unauthorized")
    r = gl.get("data_officer", "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert "# TYPE gridloop_http_requests_total counter" in text
    assert re.search(r'^gridloop_http_requests_total\{route="/healthz",status="200"\} [1-9]\d*$', text, re.M)
    m = re.search(r"^gridloop_db_seconds_total (\d+\.\d+)$", text, re.M)
    assert m and float(m.group(1)) > 0
    assert re.search(r"^gridloop_db_statements_total [1-9]\d*$", text, re.M)
    # Every sample line is "name{labels} value" or "name value".
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.match(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eInf]+$', line), line
    # A token that lacks the role is refused even from loopback.
    assert_error(gl.get("citizen", "/metrics"), 403, "forbidden")
    assert gl.get("data_officer", "/metrics").status_code == 200


def test_healthz_public(gl):
    r = requests.get(gl.url("/healthz"))
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = requests.get(gl.url("/healthz"), headers={"Authorization": "Bearer junk"})
    assert r.status_code == 200
    assert requests.head(gl.url("/healthz")).status_code == 200
