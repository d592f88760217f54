/*
 * Who may take which action: case_action_check() is the one decision, and case_act() and the
 * UI's list (case_actions_available) must both follow it. The walk below goes through every
 * state × action × actor (each role alone and in the combinations the demo has, bound to the
 * lead department, to an assisting one or to none, region-bound in or out of the case's region,
 * the reporter or not) × pending request, and compares the check, the list and a statement of
 * the rules written from docs/workflow.md rather than from case_state.c. Then the two defects
 * of issue 9 through the real case_act on a store: a handler of another department was shown
 * 恢复办理 (resume) that answered 403, and the handler test of 'comment' could never fire.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach/attach.h"
#include "auth/auth.h"
#include "cal/cal.h"
#include "cal/cal_cn.h"
#include "case/case.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

#define LEAD 5
#define ASSIST 6
#define OTHER 7
#define REPORTER 40
#define CASE_REGION "330179001"

/* ---- the rules as the docs state them ---- */

static unsigned doc_roles(enum case_action a)
{
    static const unsigned roles[CASE_ACTION_COUNT] = {
        [CA_ANSWER] = ROLE_OPERATOR,
        [CA_DISPATCH] = ROLE_DISPATCHER | ROLE_OPERATOR,
        [CA_REDISPATCH] = ROLE_DISPATCHER,
        [CA_REJECT_RETURN] = ROLE_DISPATCHER,
        [CA_SIGN] = ROLE_HANDLER,
        [CA_RETURN] = ROLE_HANDLER,
        [CA_EXTEND] = ROLE_HANDLER,
        [CA_HANG] = ROLE_HANDLER,
        [CA_APPROVE] = ROLE_SUPERVISOR,
        [CA_DENY] = ROLE_SUPERVISOR,
        [CA_RESUME] = ROLE_SUPERVISOR | ROLE_HANDLER,
        [CA_URGE] = ROLE_SUPERVISOR,
        [CA_REPLY] = ROLE_HANDLER,
        [CA_EVALUATE] = ROLE_OPERATOR | ROLE_CITIZEN,
        [CA_RECTIFY] = ROLE_SUPERVISOR | ROLE_DISPATCHER,
        [CA_MERGE] = ROLE_DISPATCHER | ROLE_OPERATOR,
        [CA_CLOSE] = ROLE_OPERATOR | ROLE_SUPERVISOR,
        [CA_CANCEL] = ROLE_DISPATCHER | ROLE_SUPERVISOR,
        [CA_REOPEN] = ROLE_SUPERVISOR,
        [CA_COMMENT] = ROLE_ALL,
        [CA_WITHDRAW] = ROLE_CITIZEN,
        [CA_INVALIDATE] = ROLE_OPERATOR | ROLE_HANDLER,
        [CA_ACCEPT] = ROLE_DISPATCHER | ROLE_SUPERVISOR,
        [CA_SEND_BACK] = ROLE_DISPATCHER | ROLE_SUPERVISOR,
        [CA_ASSIGN] = ROLE_DISPATCHER | ROLE_SUPERVISOR,
    };
    return roles[a] | ROLE_ADMIN;
}

static int in_depts(const struct case_actor *a, int64_t d)
{
    for (int i = 0; i < a->ndepts; i++)
        if (a->depts[i] == d)
            return 1;
    return 0;
}

/* "handler of the lead department", "supervisor, lead handler", "operator, or the citizen who
 * reported", and for comments "anyone involved": the command centre on what it sees, a
 * department leading or assisting, the citizen on its report. Admins are never bound. */
static int doc_binding(const struct case_actor *a, const struct case_rec *r, enum case_action act)
{
    int lead = in_depts(a, r->lead_department_id);
    int assist = r->nassisting && in_depts(a, r->assisting[0]);
    int reporter = r->created_by == a->user_id;
    if (a->roles & ROLE_ADMIN)
        return 1;
    switch (act) {
    case CA_SIGN:
    case CA_RETURN:
    case CA_EXTEND:
    case CA_HANG:
    case CA_REPLY:
    case CA_INVALIDATE: return (a->roles & ROLE_OPERATOR) || lead;
    case CA_RESUME: return (a->roles & ROLE_SUPERVISOR) || lead;
    case CA_EVALUATE: return (a->roles & ROLE_OPERATOR) || reporter;
    case CA_WITHDRAW: return reporter;
    case CA_COMMENT:
        return (a->roles & (ROLE_OPERATOR | ROLE_DISPATCHER | ROLE_SUPERVISOR | ROLE_DATA_OFFICER |
                            ROLE_GRID_WORKER)) ||
               lead || assist || reporter;
    default: return 1;
    }
}

static int doc_pending(const struct case_rec *r, enum case_action act)
{
    if (act == CA_APPROVE || act == CA_DENY)
        return r->pending_request != NULL;
    if (act == CA_EXTEND || act == CA_HANG)
        return r->pending_request == NULL;
    /* 有效回访: a callback to leave out, and no other request waiting. */
    if (act == CA_INVALIDATE)
        return r->pending_request == NULL && r->satisfaction != CS_NONE;
    return 1;
}

/* ---- the walk ---- */

TEST(case_action_check_and_available_agree_everywhere)
{
    static const unsigned role_sets[] = {
        ROLE_CITIZEN,
        ROLE_OPERATOR,
        ROLE_DISPATCHER,
        ROLE_HANDLER,
        ROLE_GRID_WORKER,
        ROLE_SUPERVISOR,
        ROLE_DATA_OFFICER,
        ROLE_ADMIN,
        ROLE_HANDLER | ROLE_SUPERVISOR,
        ROLE_HANDLER | ROLE_CITIZEN,
        ROLE_OPERATOR | ROLE_CITIZEN,
        ROLE_HANDLER | ROLE_GRID_WORKER,
        ROLE_DISPATCHER | ROLE_SUPERVISOR,
    };
    static const int64_t dept_sets[][1] = {{LEAD}, {ASSIST}, {OTHER}};
    static const char *const regions[] = {NULL, "330179", "330180"};
    static const char *const pendings[] = {NULL, "extend", "hang"};
    int64_t assisting = ASSIST;
    int walked = 0, allowed = 0;
    for (size_t rs = 0; rs < ARRAY_SIZE(role_sets); rs++)
        for (size_t ds = 0; ds < ARRAY_SIZE(dept_sets) + 1; ds++)
            for (size_t rg = 0; rg < ARRAY_SIZE(regions); rg++)
                for (int rep = 0; rep < 2; rep++) {
                    struct case_actor actor = {
                        .user_id = rep ? REPORTER : REPORTER + 1,
                        .name = "a",
                        .roles = role_sets[rs],
                        .depts = ds < ARRAY_SIZE(dept_sets) ? dept_sets[ds] : NULL,
                        .ndepts = ds < ARRAY_SIZE(dept_sets) ? 1 : 0,
                        .region_code = regions[rg],
                    };
                    for (int s = 0; s < CASE_STATE_COUNT; s++)
                        for (size_t p = 0; p < ARRAY_SIZE(pendings); p++) {
                            struct case_rec r;
                            memset(&r, 0, sizeof(r));
                            r.id = 1;
                            r.number = "20260924-000001";
                            r.state = (enum case_state)s;
                            r.lead_department_id = LEAD;
                            r.assisting[0] = assisting;
                            r.nassisting = 1;
                            r.created_by = REPORTER;
                            r.region_code = CASE_REGION;
                            r.pending_request = pendings[p];
                            r.reply_solved = -1;
                            unsigned avail = case_actions_available(&actor, &r);
                            for (int a = 0; a < CASE_ACTION_COUNT; a++) {
                                struct err e = ERR_INIT;
                                enum case_action act = (enum case_action)a;
                                enum case_state to;
                                int rc = case_action_check(&actor, &r, act, &e);
                                int listed = (avail >> a) & 1;
                                const char *who = case_action_name(act);
                                walked++;
                                allowed += rc == 0;
                                CHECK_INT_EQ(
                                    listed, rc == 0,
                                    "'%s' in '%s' by roles %#x dept %zu region %zu reporter %d "
                                    "pending %zu: listed %d, check %d (%s)",
                                    who, case_state_name(r.state), actor.roles, ds, rg, rep, p,
                                    listed, rc, e.msg);
                                CHECK(rc == 0 || rc == ERR_FORBIDDEN || rc == ERR_CONFLICT,
                                      "'%s': code %d", who, rc);
                                int want = (actor.roles & doc_roles(act)) &&
                                           case_visible(&actor, &r) &&
                                           doc_binding(&actor, &r, act) &&
                                           case_transition(r.state, act, 0, &to, NULL) == 0 &&
                                           doc_pending(&r, act);
                                CHECK_INT_EQ(
                                    rc == 0, want,
                                    "'%s' in '%s' by roles %#x dept %zu region %zu reporter %d "
                                    "pending %zu: %s",
                                    who, case_state_name(r.state), actor.roles, ds, rg, rep, p,
                                    e.msg);
                                /* Who may not act is told so before what the state allows. */
                                if (!(actor.roles & doc_roles(act)) || !case_visible(&actor, &r))
                                    CHECK_INT_EQ(rc, ERR_FORBIDDEN, "'%s' by roles %#x: %s", who,
                                                 actor.roles, e.msg);
                            }
                        }
                }
    CHECK(walked > 100000 && allowed > 1000, "walked %d pairs, %d allowed", walked, allowed);
}

/* The rows the API serves: every action has a label key, a note rule, and the inputs it
 * requires are among those it accepts. */
TEST(case_action_info_is_complete)
{
    for (int a = 0; a < CASE_ACTION_COUNT; a++) {
        const struct case_action_info *i = case_action_info((enum case_action)a);
        char label[64];
        snprintf(label, sizeof(label), "action.%s", case_action_name((enum case_action)a));
        CHECK(i != NULL, "row of %d", a);
        CHECK_STR_EQ(i->label, label, "label of '%s'", case_action_name((enum case_action)a));
        CHECK((i->required & ~i->accepted) == 0, "'%s' requires what it does not accept", label);
        CHECK(i->note == CASE_NOTE_NONE || i->note_label != NULL, "'%s' has a note without a label",
              label);
        CHECK_INT_EQ(i->roles, case_action_roles((enum case_action)a), "roles of '%s'", label);
        CHECK((i->bound_roles & ~i->roles) == 0, "'%s' binds roles that cannot take it", label);
        CHECK((i->binding == CASE_BIND_NONE) == (i->bound_roles == 0),
              "'%s': binding and bound roles", label);
    }
    CHECK(case_action_info(CASE_ACTION_COUNT) == NULL, "out of range");
    CHECK_STR_EQ(case_input_name(CI_ASSISTING), "assisting", "input name");
    CHECK_STR_EQ(case_input_type(CI_ASSISTING), "departments", "input type");
    CHECK_STR_EQ(case_note_rule_name(CASE_NOTE_REQUIRED), "required", "note rule");
}

/* ---- the defects, through case_act on a store ---- */

struct fixture {
    struct store *st;
    struct store_conn *c;
    struct cal *cal;
    int64_t lead, other, assist, street;
    int64_t users[5]; /* the actors' accounts: timeline events reference them */
    unsigned char key[32];
    struct case_config cfg;
    struct case_actor admin;
    struct case_env env;
};

static void setup(struct fixture *f, const char *name)
{
    char path[512];
    struct err e = ERR_INIT;
    int64_t district, user;
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    CHECK(sodium_init() >= 0, "libsodium");
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&f->st, &o, &e), 0, "open: %s", e.msg);
    store_conn(f->st, &f->c, &e);
    CHECK_INT_EQ(cal_new(&f->cal, &e), 0, "cal");
    CHECK_INT_EQ(cal_cn_load_2026(f->cal, &e), 0, "holidays");
    store_begin(f->c, &e);
    struct org_department_in d1 = {"CGJ", "城管局", 0, "", 1}, d2 = {"SWJ", "水务局", 0, "", 1},
                             d3 = {"QSJD", "青石街道", 0, "", 1};
    CHECK_INT_EQ(org_department_create(f->c, &d1, 1, &f->lead, &e), 0, "dept: %s", e.msg);
    CHECK_INT_EQ(org_department_create(f->c, &d2, 1, &f->other, &e), 0, "dept: %s", e.msg);
    CHECK_INT_EQ(org_department_create(f->c, &d3, 1, &f->assist, &e), 0, "dept: %s", e.msg);
    struct org_region_in r1 = {"330179", "西湖区", ORG_REGION_DISTRICT, 0, NULL};
    CHECK_INT_EQ(org_region_create(f->c, &r1, 1, &district, &e), 0, "region: %s", e.msg);
    struct org_region_in r2 = {CASE_REGION, "青石街道", ORG_REGION_STREET, district, NULL};
    CHECK_INT_EQ(org_region_create(f->c, &r2, 1, &f->street, &e), 0, "region: %s", e.msg);
    struct auth_user_input u = {.name = "tester", .password = "tester-pass", .roles = ROLE_ADMIN};
    CHECK_INT_EQ(auth_user_create(f->c, &u, 1, &user, &e), 0, "user: %s", e.msg);
    for (int i = 0; i < 5; i++) {
        char login[16];
        snprintf(login, sizeof(login), "user%d", i);
        struct auth_user_input ui = {
            .name = login, .password = "tester-pass", .roles = ROLE_HANDLER};
        CHECK_INT_EQ(auth_user_create(f->c, &ui, 1, &f->users[i], &e), 0, "user: %s", e.msg);
    }
    store_commit(f->c, &e);
    randombytes_buf(f->key, sizeof(f->key));
    f->cfg = (struct case_config){2, 24, 72, f->key};
    f->admin = (struct case_actor){user, "tester", ROLE_ADMIN, NULL, 0, NULL};
    /* 2026-09-24 (Thursday) 10:00 +08:00 */
    f->env = (struct case_env){f->c, f->cal, &f->cfg, &f->admin, 1790215200, NULL, NULL};
}

static void teardown(struct fixture *f)
{
    cal_free(f->cal);
    store_close(f->st);
}

static int act_as(struct fixture *f, const struct case_actor *who, int64_t id,
                  struct case_action_in in, struct err *e)
{
    struct arena a;
    struct case_rec r;
    struct case_env env = f->env;
    arena_init(&a, 1024);
    CHECK_INT_EQ(case_get(f->c, id, &a, &r, e), 0, "get: %s", e->msg);
    in.version = r.version;
    if (in.action != CA_REPLY)
        in.contacted = in.solved = -1;
    env.actor = who;
    int rc = case_act(&env, id, &in, e);
    arena_release(&a);
    return rc;
}

static unsigned available(struct fixture *f, const struct case_actor *who, int64_t id)
{
    struct arena a;
    struct case_rec r;
    struct err e = ERR_INIT;
    arena_init(&a, 1024);
    CHECK_INT_EQ(case_get(f->c, id, &a, &r, &e), 0, "get: %s", e.msg);
    unsigned m = case_actions_available(who, &r);
    arena_release(&a);
    return m;
}

static int64_t hanging_case(struct fixture *f)
{
    struct case_new in = {.channel = CH_HOTLINE,
                          .title = "路灯不亮",
                          .description = "青石路路灯三天不亮",
                          .urgency = -1,
                          .region_id = f->street};
    struct case_created out;
    struct err e = ERR_INIT;
    CHECK_INT_EQ(case_create(&f->env, &in, &out, &e), 0, "create: %s", e.msg);
    int64_t assisting[] = {f->assist};
    CHECK_INT_EQ(act_as(f, &f->admin, out.id,
                        (struct case_action_in){.action = CA_DISPATCH,
                                                .department_id = f->lead,
                                                .assisting = assisting,
                                                .nassisting = 1},
                        &e),
                 0, "dispatch: %s", e.msg);
    CHECK_INT_EQ(act_as(f, &f->admin, out.id, (struct case_action_in){.action = CA_SIGN}, &e), 0,
                 "sign: %s", e.msg);
    CHECK_INT_EQ(act_as(f, &f->admin, out.id,
                        (struct case_action_in){.action = CA_HANG, .note = "等待施工"}, &e),
                 0, "hang: %s", e.msg);
    CHECK_INT_EQ(act_as(f, &f->admin, out.id, (struct case_action_in){.action = CA_APPROVE}, &e), 0,
                 "approve: %s", e.msg);
    return out.id;
}

/* Issue 9: the list offered 恢复办理 to a handler of any department; the action answered 403.
 * Now both bind a handler to the lead department, and a supervisor to none. */
TEST(case_resume_is_offered_only_to_who_may_resume)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, "actions1.db");
    int64_t id = hanging_case(&f);
    /* Region-bound to the case's district: it sees the case without being its department. */
    struct case_actor stranger = {f.users[0], "h2", ROLE_HANDLER, &f.other, 1, "330179"};
    struct case_actor lead = {f.users[1], "h1", ROLE_HANDLER, &f.lead, 1, NULL};
    struct case_actor super = {f.users[2], "s", ROLE_SUPERVISOR, NULL, 0, NULL};
    CHECK(!(available(&f, &stranger, id) & (1u << CA_RESUME)), "not offered to another department");
    CHECK_INT_EQ(act_as(&f, &stranger, id, (struct case_action_in){.action = CA_RESUME}, &e),
                 ERR_FORBIDDEN, "another department resumes: %s", e.msg);
    CHECK(strstr(e.msg, "only the lead department") != NULL, "%s", e.msg);
    CHECK(available(&f, &super, id) & (1u << CA_RESUME), "offered to a supervisor");
    CHECK(available(&f, &lead, id) & (1u << CA_RESUME), "offered to the lead department");
    err_clear(&e);
    CHECK_INT_EQ(act_as(&f, &lead, id, (struct case_action_in){.action = CA_RESUME}, &e), 0,
                 "lead resumes: %s", e.msg);
    teardown(&f);
}

/* Issue 9: "comment: a note by anyone involved" had a handler test that could never fire (it
 * asked case_visible again after the scope check). A handler comments on cases its department
 * leads or assists, not on those it only sees through its region. */
TEST(case_comment_by_a_handler_needs_its_department_involved)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, "actions2.db");
    int64_t id = hanging_case(&f);
    struct case_actor stranger = {f.users[0], "h2", ROLE_HANDLER, &f.other, 1, "330179"};
    struct case_actor assisting = {f.users[3], "h3", ROLE_HANDLER, &f.assist, 1, NULL};
    struct case_actor grid = {f.users[4], "g", ROLE_GRID_WORKER, NULL, 0, "330179"};
    struct arena a;
    struct case_rec r;
    arena_init(&a, 1024);
    CHECK_INT_EQ(case_get(f.c, id, &a, &r, &e), 0, "get");
    CHECK(case_visible(&stranger, &r), "the region-bound handler sees the case");
    CHECK(!(available(&f, &stranger, id) & (1u << CA_COMMENT)),
          "no comment for an uninvolved department");
    CHECK_INT_EQ(act_as(&f, &stranger, id,
                        (struct case_action_in){.action = CA_COMMENT, .note = "路过看到"}, &e),
                 ERR_FORBIDDEN, "uninvolved handler comments: %s", e.msg);
    CHECK(available(&f, &assisting, id) & (1u << CA_COMMENT),
          "the assisting department may comment");
    err_clear(&e);
    CHECK_INT_EQ(act_as(&f, &assisting, id,
                        (struct case_action_in){.action = CA_COMMENT, .note = "街道配合"}, &e),
                 0, "assisting comments: %s", e.msg);
    CHECK(available(&f, &grid, id) & (1u << CA_COMMENT), "a grid worker comments on what it sees");
    err_clear(&e);
    CHECK_INT_EQ(act_as(&f, &grid, id,
                        (struct case_action_in){.action = CA_COMMENT, .note = "现场已拍照"}, &e),
                 0, "grid worker comments: %s", e.msg);
    arena_release(&a);
    teardown(&f);
}

/* case_act_on acts on the caller's record without reading it again, and refuses it when a
 * write has been committed since it was read. */
TEST(case_act_on_refuses_a_stale_record)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    struct case_rec r, after;
    setup(&f, "actions3.db");
    arena_init(&a, 4096);
    int64_t id = hanging_case(&f);
    CHECK_INT_EQ(case_get(f.c, id, &a, &r, &e), 0, "get");
    struct case_action_in in = {.action = CA_COMMENT,
                                .version = r.version,
                                .note = "第一条",
                                .contacted = -1,
                                .solved = -1};
    CHECK_INT_EQ(case_act_on(&f.env, &r, &in, &a, &after, &e), 0, "comment: %s", e.msg);
    CHECK_INT_EQ(after.version, r.version + 1, "the reply's record is the case after the action");
    CHECK_INT_EQ(after.state, CASE_HANGING, "state kept");
    in.note = "第二条";
    CHECK_INT_EQ(case_act_on(&f.env, &r, &in, &a, &after, &e), ERR_CONFLICT, "a stale record");
    CHECK_STR_EQ(e.field, "version", "%s", e.msg);
    arena_release(&a);
    teardown(&f);
}

/* A photo's row commits only with its file in place (case_attach places the staged files before
 * the commit): placed after it, a reader could list a photo whose file was not there yet, and a
 * crash in between kept the row without the file. A place that fails rolls the row back. */
TEST(case_attach_commits_no_row_without_its_file)
{
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x08, 0x02, 0x00, 0x00, 0x00, 0x3b,
        0x96, 0x39, 0x91, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38,
        0x91, 0x62, 0x04, 0x47, 0x0c, 0x38, 0x39, 0x00, 0x47, 0x2a, 0x10, 0x69, 0x42, 0xaa, 0x14,
        0x25, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    static const struct attach_limits lim = {1u << 20, 1000000, 1, 4};
    struct fixture f;
    struct attach_store *files;
    struct attach_job job;
    struct err e = ERR_INIT;
    char dir[512];
    int64_t aid = 0, rows = -1;
    uint64_t size;
    int fd;
    setup(&f, "attach_place.db");
    snprintf(dir, sizeof(dir), "%s/attach-place/", test_tmpdir());
    CHECK_INT_EQ(attach_store_open(&files, dir, &lim, &e), 0, "open: %s", e.msg);
    int64_t id = hanging_case(&f);

    memset(&job, 0, sizeof(job));
    job.data = png;
    job.len = sizeof(png);
    CHECK_INT_EQ(attach_check(files, png, sizeof(png), &job.file, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(attach_stage(files, &job, &e), 0, "stage: %s", e.msg);
    CHECK(job.tmp[0] != '\0', "the original is staged");
    unlink(job.tmp); /* its place will fail */
    CHECK(case_attach(&f.env, id, files, &job, 20, &aid, &e) < 0, "a failed place fails");
    CHECK_INT_EQ(store_one_i64(f.c, "SELECT count(*) FROM case_attachments WHERE case_id = ?",
                               STORE_ARGS(store_i64(id)), &rows, &e),
                 1, "count: %s", e.msg);
    CHECK_INT_EQ(rows, 0, "no row without its file");

    CHECK_INT_EQ(attach_stage(files, &job, &e), 0, "stage: %s", e.msg);
    CHECK_INT_EQ(case_attach(&f.env, id, files, &job, 20, &aid, &e), 0, "attach: %s", e.msg);
    CHECK_INT_EQ(attach_store_open_file(files, job.file.sha256, 0, &fd, &size, &e), 0,
                 "the file is in place: %s", e.msg);
    CHECK_INT_EQ(size, sizeof(png), "its size");
    close(fd);
    CHECK(job.tmp[0] == '\0' && job.thumb_tmp[0] == '\0', "nothing left staged");
    attach_store_free(files);
    teardown(&f);
}
