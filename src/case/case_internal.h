/* Declarations shared by the files of the case module only. */
#ifndef GRIDLOOP_CASE_CASE_INTERNAL_H
#define GRIDLOOP_CASE_CASE_INTERNAL_H

#include <stdint.h>

struct arena;
struct case_actor;
struct case_rec;
struct store_stmt;

int case_actor_in_departments(const struct case_actor *actor, int64_t dept);

/* Hotline and command-centre roles: they see every case unless bound to a region. */
#define CASE_WIDE_ROLES (ROLE_OPERATOR | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_DATA_OFFICER | ROLE_GRID_WORKER)

/* The columns of a case record and the joins they need (alias c for cases), in the order
 * case_read_row() reads them. */
#define CASE_COLS                                                                                         \
    "c.id, c.number, c.check_code, c.channel, c.title, c.description, coalesce(c.category_id, 0), k.name, " \
    "c.urgency, c.lat, c.lon, c.address, coalesce(c.region_id, 0), c.region_code, r.name, c.citizen_name, " \
    "c.citizen_phone_mask, c.anonymous, coalesce(c.created_by, 0), c.state, c.version, "                  \
    "coalesce(c.lead_department_id, 0), d.name, coalesce(c.master_id, 0), c.sla_unit, "                   \
    "coalesce(c.dispatched_at, 0), coalesce(c.signed_at, 0), coalesce(c.replied_at, 0), "                 \
    "coalesce(c.closed_at, 0), coalesce(c.sign_deadline, 0), coalesce(c.reply_deadline, 0), "             \
    "coalesce(c.resolve_deadline, 0), c.sign_late, c.overdue, c.urge_count, c.return_count, "             \
    "c.rectify_round, c.escalated, c.pending_request, coalesce(c.pending_until, 0), "                     \
    "coalesce(c.paused_at, 0), coalesce(c.reply_solved, -1), coalesce(c.reply_contacted, -1), "           \
    "coalesce(c.satisfaction, ''), c.created_at, c.updated_at, "                                          \
    "(SELECT group_concat(department_id) FROM case_departments x WHERE x.case_id = c.id AND x.role = 'assist'), " \
    "coalesce(c.triage_category_id, 0), coalesce(c.triage_department_id, 0), coalesce(c.triage_prob, 0) "
#define CASE_FROM                                                                                         \
    "FROM cases c LEFT JOIN categories k ON k.id = c.category_id LEFT JOIN regions r ON r.id = c.region_id " \
    "LEFT JOIN departments d ON d.id = c.lead_department_id "

/* One row of "SELECT " CASE_COLS CASE_FROM ... into 'r'; strings in the arena. */
void case_read_row(struct store_stmt *s, struct arena *a, struct case_rec *r);

#endif /* GRIDLOOP_CASE_CASE_INTERNAL_H */
