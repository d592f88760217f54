/*
 * Case endpoints: intake, the case with its timeline, the actions of the loop, the audited
 * reveal of a citizen's phone, public lookup by number and check code, the overdue sweeper
 * (on demand; the app runs it in the background) and the test clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "attach/attach.h"
#include "auth/auth.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/num.h"
#include "org/org.h"
#include "store/store.h"

/* ---------------------------------------------------------------- shared pieces */

static void kid(struct jw *w, const char *key, int64_t id)
{
    if (id)
        jw_kint(w, key, id);
    else
        jw_knull(w, key);
}

/*
 * A case is written as viewer-independent runs of members with the per-viewer ones (check
 * code, citizen, suggestion, actions) between them. The runs of one case at one stamp are
 * kept, serialised, in the case view cache below, so a read of a case that has not changed
 * costs one indexed query and a few copies instead of three queries and the JSON.
 */
static void members_head(struct jw *w, const struct case_rec *r)
{
    jw_kstr(w, "state", case_state_name(r->state));
    jw_kint(w, "version", r->version);
    jw_kstr(w, "channel", case_channel_name(r->channel));
    jw_kstr(w, "title", r->title);
    jw_kstr(w, "description", r->description);
    kid(w, "category_id", r->category_id);
    jw_kstr(w, "category", r->category_name);
    jw_kstr(w, "urgency", case_urgency_name(r->urgency));
    jw_kstr(w, "kind", case_kind_name(r->kind));
    if (r->has_location) {
        jw_knum(w, "lat", r->lat);
        jw_knum(w, "lon", r->lon);
    } else {
        jw_knull(w, "lat");
        jw_knull(w, "lon");
    }
    jw_kstr(w, "address", r->address);
    kid(w, "region_id", r->region_id);
    jw_kstr(w, "region_code", r->region_code);
    jw_kstr(w, "region", r->region_name);
    /* The citizen agreed to publication through Open311 (docs/open311.md). */
    jw_kbool(w, "public", r->public_consent);
}

static void members_body(struct jw *w, const struct case_rec *r)
{
    kid(w, "department_id", r->lead_department_id);
    jw_kstr(w, "department", r->lead_department_name);
    jw_key(w, "assisting");
    jw_arr(w);
    for (int i = 0; i < r->nassisting; i++)
        jw_int(w, r->assisting[i]);
    jw_arr_end(w);
    kid(w, "master_id", r->master_id);
    jw_key(w, "deadlines");
    jw_obj(w);
    jw_ktime(w, "sign", r->sign_deadline);
    jw_ktime(w, "reply", r->reply_deadline);
    jw_ktime(w, "resolve", r->resolve_deadline);
    jw_kstr(w, "unit", r->sla_unit);
    jw_obj_end(w);
    jw_ktime(w, "dispatched_at", r->dispatched_at);
    jw_ktime(w, "signed_at", r->signed_at);
    jw_ktime(w, "replied_at", r->replied_at);
    jw_ktime(w, "closed_at", r->closed_at);
    jw_kbool(w, "sign_late", r->sign_late);
    jw_kbool(w, "overdue", r->overdue);
    jw_kbool(w, "escalated", r->escalated);
    jw_kint(w, "urge_count", r->urge_count);
    jw_kint(w, "return_count", r->return_count);
    jw_kint(w, "rectify_round", r->rectify_round);
    jw_kbool(w, "paused", r->paused_at != 0);
    jw_key(w, "reply");
    if (r->replied_at || r->reply_solved >= 0) {
        jw_obj(w);
        jw_kbool(w, "contacted", r->reply_contacted > 0);
        jw_kbool(w, "solved", r->reply_solved > 0);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_kstr(w, "satisfaction", r->satisfaction ? case_satisfaction_name(r->satisfaction) : NULL);
}

static void members_suggested(struct jw *w, const struct case_rec *r)
{
    if (r->triage_category_id || r->triage_department_id) {
        jw_key(w, "suggested");
        jw_obj(w);
        kid(w, "category_id", r->triage_category_id);
        kid(w, "department_id", r->triage_department_id);
        jw_knum_places(w, "prob", r->triage_prob, 4); /* as the suggestion shows it */
        jw_obj_end(w);
    }
}

static void members_times(struct jw *w, const struct case_rec *r)
{
    jw_ktime(w, "created_at", r->created_at);
    jw_ktime(w, "updated_at", r->updated_at);
}

/* The timeline as 'aud' sees it (case_policy_event decides each event); 'atts' (the case's
 * attachments) may be NULL: the key is left out, as in list views. */
static void members_tail(struct jw *w, const struct case_rec *r, enum case_audience aud,
                         const struct case_event_rec *events, size_t nevents,
                         const struct attach_rec *atts, size_t natts)
{
    if (events) {
        jw_key(w, "timeline");
        jw_arr(w);
        for (size_t i = 0; i < nevents; i++) {
            struct case_event_rec shown;
            const struct case_event_rec *e = &shown;
            if (!case_policy_event(aud, r, &events[i], &shown))
                continue;
            jw_obj(w);
            jw_kint(w, "id", e->id);
            jw_ktime(w, "at", e->at);
            jw_kstr(w, "action", e->action);
            jw_kstr(w, "from", e->from_state);
            jw_kstr(w, "to", e->to_state);
            kid(w, "actor_id", e->actor_id);
            jw_kstr(w, "actor", e->actor_name);
            /* What people read: the display name (the login is an identifier, for the audit). */
            jw_kstr(w, "actor_label",
                    e->actor_display && *e->actor_display ? e->actor_display : NULL);
            jw_kstr(w, "role", e->actor_role);
            kid(w, "department_id", e->department_id);
            jw_kstr(w, "note", e->note);
            if (e->public_note)
                jw_kbool(w, "public", 1);
            jw_key(w, "payload");
            jw_raw(w, e->payload);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    if (atts) {
        jw_key(w, "attachments");
        jw_arr(w);
        for (size_t i = 0; i < natts; i++)
            api_attachment_json(w, atts[i].id, atts[i].sha256, atts[i].mime, atts[i].size,
                                atts[i].width, atts[i].height,
                                case_photo_stage(atts[i].case_state));
        jw_arr_end(w);
    }
}

/* The serialised runs of one case (each a members list without braces, possibly empty); the
 * tail (timeline, attachments) once per audience. */
struct case_runs {
    const char *head, *body, *suggested, *times, *tail[CASE_AUDIENCE_COUNT];
};

typedef void run_fn(struct jw *w, const struct case_rec *r);

static const char *run_text(struct arena *a, run_fn *fn, const struct case_rec *r)
{
    struct jw t;
    jw_init(&t);
    jw_obj(&t);
    fn(&t, r);
    char *text = arena_strndup(a, t.b.p + 1, t.b.len - 1);
    jw_release(&t);
    return text;
}

/* 'only' is the one audience to write the tail for (the others get ""), or -1 for all (the
 * view cache serves every viewer). */
static void runs_of(struct arena *a, const struct case_rec *r, const struct case_event_rec *events,
                    size_t nevents, const struct attach_rec *atts, size_t natts, int only,
                    struct case_runs *out)
{
    out->head = run_text(a, members_head, r);
    out->body = run_text(a, members_body, r);
    out->suggested = run_text(a, members_suggested, r);
    out->times = run_text(a, members_times, r);
    for (int aud = 0; aud < CASE_AUDIENCE_COUNT; aud++) {
        if (only >= 0 && aud != only) {
            out->tail[aud] = "";
            continue;
        }
        struct jw t;
        jw_init(&t);
        jw_obj(&t);
        members_tail(&t, r, (enum case_audience)aud, events, nevents, atts, natts);
        out->tail[aud] = arena_strndup(a, t.b.p + 1, t.b.len - 1);
        jw_release(&t);
    }
}

static void put_run(struct jw *w, const char *run)
{
    if (*run)
        jw_raw(w, run);
}

/* The case for viewer 'a'. 'runs' are its viewer-independent parts already serialised, or
 * NULL to write them from 'r' (list views: no timeline, no attachments). */
static void case_json(struct jw *w, const struct case_rec *r, const struct case_actor *a,
                      const struct case_runs *runs, const struct app_suggestion *triage)
{
    char name[128];
    const char *phone;
    case_policy_citizen(a, r, name, sizeof(name), &phone);
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kstr(w, "number", r->number);
    if (case_policy_sees_check_code(a, r))
        jw_kstr(w, "check_code", r->check_code);
    if (runs)
        put_run(w, runs->head);
    else
        members_head(w, r);
    jw_key(w, "citizen");
    jw_obj(w);
    jw_kstr(w, "name", name);
    jw_kstr(w, "phone", phone);
    jw_kbool(w, "anonymous", r->anonymous);
    jw_obj_end(w);
    /* Who reported an anonymous report is no staff member's business (case_policy). */
    kid(w, "created_by", case_policy_sees_reporter(a, r) ? r->created_by : 0);
    /* An extension or 挂账 request is internal until a supervisor decides it (the reporter sees
     * the approval on the timeline). */
    if (r->pending_request && case_policy_audience(a, r) == CASE_AUDIENCE_STAFF) {
        jw_key(w, "pending");
        jw_obj(w);
        jw_kstr(w, "request", r->pending_request);
        jw_ktime(w, "until", r->pending_until);
        jw_obj_end(w);
    } else {
        jw_knull(w, "pending");
    }
    if (runs)
        put_run(w, runs->body);
    else
        members_body(w, r);
    /* What triage suggested at intake, for the dispatcher's queue. */
    if (case_policy_sees_suggestion(a)) {
        if (runs)
            put_run(w, runs->suggested);
        else
            members_suggested(w, r);
    }
    if (triage) {
        jw_key(w, "triage");
        app_suggestion_json(w, triage);
    }
    if (runs)
        put_run(w, runs->times);
    else
        members_times(w, r);
    jw_key(w, "actions");
    jw_arr(w);
    unsigned avail = case_actions_available(a, r);
    for (int i = 0; i < CASE_ACTION_COUNT; i++)
        if (avail & (1u << i))
            jw_str(w, case_action_name((enum case_action)i));
    jw_arr_end(w);
    if (runs)
        put_run(w, runs->tail[case_policy_audience(a, r)]);
    jw_obj_end(w);
}

/* A case as read for its answer: the record, its timeline and its attachments. */
struct case_read {
    struct case_rec r;
    struct case_event_rec *ev;
    struct attach_rec *atts;
    size_t nev, natts;
};

/* The timeline and attachments of the case cr->r, already read. */
static int read_timeline_and_attachments(struct store_conn *c, struct arena *a,
                                         struct case_read *cr, struct err *err)
{
    int rc;
    if ((rc = case_timeline(c, cr->r.id, a, &cr->ev, &cr->nev, err)) < 0 ||
        (rc = attach_list_for_case(c, cr->r.id, a, &cr->atts, &cr->natts, err)) < 0)
        return rc;
    return 0;
}

static int reply_case_read(struct api_call *call, int status, const struct case_read *cr,
                           const struct case_actor *actor)
{
    struct case_runs runs;
    runs_of(call->req->arena, &cr->r, cr->ev, cr->nev, cr->atts, cr->natts,
            (int)case_policy_audience(actor, &cr->r), &runs);
    struct jw w;
    jw_init(&w);
    case_json(&w, &cr->r, actor, &runs, call->triage);
    return api_reply(call, status, &w);
}

/* The case 'r' (already read) with its timeline and attachments, read now. */
static int reply_case_rec(struct api_call *call, int status, const struct case_rec *r,
                          const struct case_actor *actor)
{
    struct case_read cr = {.r = *r};
    int rc = read_timeline_and_attachments(call->conn, call->req->arena, &cr, &call->err);
    return rc < 0 ? rc : reply_case_read(call, status, &cr, actor);
}

static int reply_case(struct api_call *call, int status, int64_t id, const struct case_actor *actor)
{
    struct case_rec r;
    int rc = case_get(call->conn, id, call->req->arena, &r, &call->err);
    return rc < 0 ? rc : reply_case_rec(call, status, &r, actor);
}

/* ---------------------------------------------------------------- the case view cache */

/*
 * A case's JSON depends on its view and on who reads it: case_json() asks the policy about the
 * viewer's id, roles, departments and region (masking, the check code, the reporter, the
 * timeline's audience, the actions), nothing else of the viewer and no clock. The finished body
 * for one viewer is kept in the view under exactly those, so a viewer who reads the case again
 * gets the same bytes without case_json: a key that differed in any of them would be another
 * viewer's body. Viewers with more departments than VIEW_BODY_DEPTS or a longer region code are
 * not kept. The first VIEW_BODIES viewers of a view are kept; later ones are written each time.
 * Memory: a body is the size of the case's JSON (~6 KB with a 10-event timeline), so the
 * CASE_VIEW_SLOTS views hold at most ~24 MB more when every one has four viewers.
 */
#define VIEW_BODIES 4
#define VIEW_BODY_DEPTS 8
struct view_body {
    int64_t user_id;
    unsigned roles;
    int ndepts;
    int64_t depts[VIEW_BODY_DEPTS];
    int has_region; /* region_code NULL or not */
    char region[ORG_CODE_MAX + 1];
    struct cached_body *body; /* NULL: the slot is free */
};

/*
 * One case as read at one stamp (case_stamp_get) and organisation version (names of its
 * category, region and department come from the organisation): the record, for visibility
 * and the per-viewer members, and its serialised runs. Entries are immutable once published
 * (but for bodies added to free slots of 'bodies') and reference-counted, so a reader keeps
 * using one that a newer fill has replaced.
 */
struct case_view {
    _Atomic int refs;
    /* Under case_view_lock; bodies[i].body is never changed once set. */
    struct view_body bodies[VIEW_BODIES];
    int64_t id;
    struct case_stamp stamp;
    int64_t org_version;
    /* When the stamp last matched, and the store's commit count read before that check;
     * changed under case_view_lock. */
    uint64_t commits;
    uint64_t checked_ns;
    struct arena arena; /* everything below lives here */
    struct case_rec rec;
    struct case_runs runs;
};

static void view_unref(struct case_view *v)
{
    if (v && atomic_fetch_sub(&v->refs, 1) == 1) {
        for (int i = 0; i < VIEW_BODIES; i++)
            if (v->bodies[i].body)
                api_cached_body_unref(v->bodies[i].body);
        arena_release(&v->arena);
        free(v);
    }
}

static int body_keyable(const struct case_actor *a)
{
    return a->ndepts >= 0 && a->ndepts <= VIEW_BODY_DEPTS &&
           (!a->region_code || strlen(a->region_code) <= ORG_CODE_MAX);
}

static int body_is_for(const struct view_body *b, const struct case_actor *a)
{
    return b->body && b->user_id == a->user_id && b->roles == a->roles && b->ndepts == a->ndepts &&
           (a->ndepts == 0 ||
            memcmp(b->depts, a->depts, (size_t)a->ndepts * sizeof(a->depts[0])) == 0) &&
           b->has_region == (a->region_code != NULL) &&
           (!a->region_code || strcmp(b->region, a->region_code) == 0);
}

/* The body kept for viewer 'a', or NULL. The view's reference the caller holds keeps it. */
static struct cached_body *view_body_find(struct api *api, struct case_view *v,
                                          const struct case_actor *a)
{
    struct cached_body *found = NULL;
    if (!body_keyable(a))
        return NULL;
    pthread_mutex_lock(&api->case_view_lock);
    for (int i = 0; i < VIEW_BODIES && !found; i++)
        if (body_is_for(&v->bodies[i], a))
            found = v->bodies[i].body;
    pthread_mutex_unlock(&api->case_view_lock);
    return found;
}

/* Keep a copy of 'body' for viewer 'a' when a slot is free. */
static void view_body_keep(struct api *api, struct case_view *v, const struct case_actor *a,
                           const char *body, size_t len)
{
    if (!body_keyable(a))
        return;
    pthread_mutex_lock(&api->case_view_lock);
    struct view_body *slot = NULL;
    for (int i = 0; i < VIEW_BODIES; i++) {
        if (body_is_for(&v->bodies[i], a)) {
            slot = NULL; /* another reader kept it first */
            break;
        }
        if (!slot && !v->bodies[i].body)
            slot = &v->bodies[i];
    }
    if (slot) {
        slot->user_id = a->user_id;
        slot->roles = a->roles;
        slot->ndepts = a->ndepts;
        if (a->ndepts)
            memcpy(slot->depts, a->depts, (size_t)a->ndepts * sizeof(a->depts[0]));
        slot->has_region = a->region_code != NULL;
        snprintf(slot->region, sizeof(slot->region), "%s", a->region_code ? a->region_code : "");
        slot->body = api_cached_body_new(body, len);
    }
    pthread_mutex_unlock(&api->case_view_lock);
}

void api_case_cache_free(struct api *api)
{
    for (int i = 0; i < CASE_VIEW_SLOTS; i++) {
        view_unref(api->case_views[i]);
        api->case_views[i] = NULL;
    }
    pthread_mutex_destroy(&api->case_view_lock);
}

static int stamp_same(const struct case_stamp *a, const struct case_stamp *b)
{
    return a->version == b->version && a->updated_at == b->updated_at &&
           a->last_event == b->last_event;
}

/* A case read again when a write moved its stamp during the read (see view_fill). */
#define VIEW_FILL_TRIES 3

/*
 * The case, its timeline and its attachments are three statements, each seeing the commits
 * made before it began: a write committed between them (an attachment and its 'attach' event,
 * an action and its event) could show in one and not in the next, and a reader got a photo
 * without its timeline entry (seen under ASan on PostgreSQL). Every such write moves the
 * stamp, so the stamp is read again after the three: unchanged, they saw the same commits;
 * moved, they are read again from the new stamp. '*settled' 0: the case kept changing for
 * VIEW_FILL_TRIES reads, and the last one is served but not cached.
 */
static int view_fill(struct api_call *call, int64_t id, struct case_stamp *stamp,
                     int64_t org_version, struct case_view **out, int *settled)
{
    int rc = 0;
    *settled = 0;
    for (int tries = 0; tries < VIEW_FILL_TRIES; tries++) {
        struct case_view *v = xcalloc(1, sizeof(*v));
        struct case_event_rec *ev;
        struct attach_rec *atts;
        struct case_stamp after;
        size_t n, natts;
        atomic_init(&v->refs, 1);
        v->id = id;
        v->stamp = *stamp;
        v->org_version = org_version;
        arena_init(&v->arena, 8192);
        if ((rc = case_get(call->conn, id, &v->arena, &v->rec, &call->err)) < 0 ||
            (rc = case_timeline(call->conn, id, call->req->arena, &ev, &n, &call->err)) < 0 ||
            (rc = attach_list_for_case(call->conn, id, call->req->arena, &atts, &natts,
                                       &call->err)) < 0 ||
            (rc = case_stamp_get(call->conn, id, &after, &call->err)) < 0) {
            view_unref(v);
            view_unref(*out); /* a try before this one's */
            *out = NULL;
            return rc;
        }
        runs_of(&v->arena, &v->rec, ev, n, atts, natts, -1, &v->runs);
        view_unref(*out); /* the try before, if any */
        *out = v;
        if (stamp_same(&after, stamp)) {
            *settled = 1;
            return 0;
        }
        *stamp = after;
        v->stamp = after; /* not cached unless a later try settles */
    }
    return 0;
}

/* No commit by this process since the entry was checked: its stamp cannot have changed,
 * unless another process wrote (the CLI on the same database); that is bounded by a recheck
 * at least every second. */
#define VIEW_RECHECK_NS 1000000000u

static int view_same(const struct case_view *c, int64_t id, int64_t org_version)
{
    return c && c->id == id && c->org_version == org_version;
}

/* Case 'id' as it is now, from the cache or read and cached; the caller drops it with
 * view_unref(). */
static int view_get(struct api_call *call, int64_t id, struct case_view **out)
{
    struct api *api = call->api;
    struct case_stamp stamp;
    struct case_view *v = NULL;
    int64_t org_version = app_org_version(api->app);
    /* Read before anything else: a commit after this point changes the count, so an entry
     * marked with it is never trusted past a write it did not see. */
    uint64_t commits = store_commits(api->d.store);
    uint64_t now = clock_mono_ns();
    unsigned slot = (unsigned)((uint64_t)id % CASE_VIEW_SLOTS);
    /* With other nodes on the database, store_commits() does not see their commits: every
     * read then checks the case's stamp (one indexed row), so a client sent to another node
     * after its write never reads the case as it was. Measured (bench/nodes.sh, quick run):
     * one PostgreSQL node 20,400 GET/s trusting the count, 4,300 checking every time. */
    int trust_commits = app_alone(api->app);
    pthread_mutex_lock(&api->case_view_lock);
    struct case_view *c = api->case_views[slot];
    if (trust_commits && view_same(c, id, org_version) && c->commits == commits &&
        now - c->checked_ns < VIEW_RECHECK_NS) {
        atomic_fetch_add(&c->refs, 1);
        v = c;
    }
    pthread_mutex_unlock(&api->case_view_lock);
    if (v) {
        *out = v;
        return 0;
    }
    int rc = case_stamp_get(call->conn, id, &stamp, &call->err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&api->case_view_lock);
    c = api->case_views[slot];
    if (view_same(c, id, org_version) && stamp_same(&c->stamp, &stamp)) {
        atomic_fetch_add(&c->refs, 1);
        v = c;
        if (commits >= c->commits) {
            c->commits = commits;
            c->checked_ns = now;
        }
    }
    pthread_mutex_unlock(&api->case_view_lock);
    if (!v) {
        int settled;
        if ((rc = view_fill(call, id, &stamp, org_version, &v, &settled)) < 0)
            return rc;
        if (!settled) {
            *out = v;
            return 0;
        }
        v->commits = commits;
        v->checked_ns = now;
        atomic_fetch_add(&v->refs, 1); /* one for the cache, one for the caller */
        pthread_mutex_lock(&api->case_view_lock);
        struct case_view *old = api->case_views[slot];
        api->case_views[slot] = v;
        pthread_mutex_unlock(&api->case_view_lock);
        view_unref(old);
    }
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------- intake */

static const struct json_field citizen_fields[] = {
    {"name", JT_STRING, JF_NULLABLE, 0, CASE_CITIZEN_NAME_MAX, NULL},
    {"phone", JT_STRING, JF_NULLABLE, 0, CASE_PHONE_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field create_fields[] = {
    {"title", JT_STRING, JF_REQUIRED, 1, CASE_TITLE_MAX, NULL},
    {"description", JT_STRING, JF_REQUIRED, 1, CASE_DESCRIPTION_MAX, NULL},
    {"channel", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"category", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"urgency", JT_STRING, JF_NULLABLE, 0, 0, NULL},
    {"kind", JT_STRING, JF_NULLABLE, 0, 0, NULL},
    {"lat", JT_NUMBER, JF_NULLABLE, CASE_LAT_MIN, CASE_LAT_MAX, NULL},
    {"lon", JT_NUMBER, JF_NULLABLE, CASE_LON_MIN, CASE_LON_MAX, NULL},
    {"address", JT_STRING, JF_NULLABLE, 0, CASE_ADDRESS_MAX, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"citizen", JT_OBJECT, JF_NULLABLE, 0, 0, citizen_fields},
    {"anonymous", JT_BOOL, 0, 0, 0, NULL},
    {"public", JT_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Intake goes through the group-commit writer (api_write.c): the case is created inside a
 * batch transaction on the writer thread, and answered once that batch has committed. */
struct create_write {
    struct api_write w;
    struct app_intake *it;
    api_intake_reply_fn *reply;
    void *reply_ctx;
    /* The new case as the job read it back (have_read), for created_json. */
    int have_read;
    struct case_read read;
};

static int created_json(struct api_call *call, const struct case_created *out,
                        const struct case_actor *actor, void *ctx);

/*
 * On SQLite the answer's case is read here, on the writer's connection inside the batch, not
 * after the commit on the HTTP thread's: every read transaction of a connection that another
 * one writes to starts from an emptied page cache (the writer commits between any two
 * requests under load), so there the record, timeline and attachments cost ~4.5 % of the
 * server's CPU in reads of pages from the file; here they are pages the job has just written.
 * What is read is what the job wrote, in the transaction that commits it. A failed read only
 * leaves the reply to read for itself: it never fails the batch. PostgreSQL has no such cache
 * to lose, and each read on the writer would be a round trip holding the batch open.
 */
static int create_run(struct api_write *w, struct store_conn *c, struct err *err)
{
    struct create_write *cw = (struct create_write *)w;
    int rc = app_intake_run(cw->it, c, err);
    const struct case_created *out = app_intake_created(cw->it);
    if (rc == 0 && cw->reply == created_json && !out->replayed &&
        store_dialect(c) == STORE_SQLITE) {
        struct err re = ERR_INIT;
        struct arena *a = w->call.req->arena;
        cw->have_read = case_get(c, out->id, a, &cw->read.r, &re) == 0 &&
                        read_timeline_and_attachments(c, a, &cw->read, &re) == 0;
    }
    return rc;
}

static int create_reply(struct api_call *call, struct api_write *w)
{
    struct create_write *cw = (struct create_write *)w;
    app_intake_done(call->api->app, cw->it);
    call->triage = app_intake_suggestion(cw->it);
    return cw->reply(call, app_intake_created(cw->it), app_intake_actor(cw->it),
                     cw->have_read ? &cw->read : cw->reply_ctx);
}

int api_case_intake(struct api_call *call, const struct case_new *in, api_intake_reply_fn *reply,
                    void *reply_ctx)
{
    return api_case_intake_also(call, in, NULL, NULL, reply, reply_ctx);
}

int api_case_intake_also(struct api_call *call, const struct case_new *in, api_intake_also_fn *also,
                         void *also_ctx, api_intake_reply_fn *reply, void *reply_ctx)
{
    struct create_write *cw = arena_alloc(call->req->arena, sizeof(*cw));
    struct app_ctx x = api_ctx(call);
    int rc;
    /* Triage runs here, on the HTTP thread, so the single writer thread only writes. */
    if ((rc = app_intake_prepare(&x, in, also, also_ctx, &cw->it)) < 0)
        return rc;
    cw->reply = reply;
    cw->reply_ctx = reply_ctx;
    cw->have_read = 0;
    cw->w.run = create_run;
    cw->w.reply = create_reply;
    return api_write_defer(call, &cw->w);
}

/* 'ctx' is the case as the job read it (create_run), or NULL to read it now. */
static int created_json(struct api_call *call, const struct case_created *out,
                        const struct case_actor *actor, void *ctx)
{
    http_res_header(call->res, "Location",
                    arena_printf(call->req->arena, "/api/v1/cases/%lld", (long long)out->id));
    /* The same answer as the first attempt got, marked so a client can tell. */
    if (out->replayed)
        http_res_header(call->res, "Idempotent-Replayed", "true");
    if (ctx)
        return reply_case_read(call, 201, ctx, actor);
    return reply_case(call, 201, out->id, actor);
}

int api_case_create(struct api_call *call)
{
    struct case_new in = {0};
    int rc;
    if ((rc = json_check(call->body, create_fields, &call->err)) < 0)
        return rc;
    const json_t *citizen = json_get(call->body, "citizen");
    int ch = case_channel_from_name(json_get_str(call->body, "channel"));
    if (ch < 0)
        return err_field(
            &call->err, ERR_BAD_REQUEST, "channel",
            "field 'channel' must be hotline, web, app, wechat, grid, sensor, open311 or other");
    in.channel = (enum case_channel)ch;
    in.title = json_get_str(call->body, "title");
    in.description = json_get_str(call->body, "description");
    in.category_id = json_get_int(call->body, "category", 0);
    in.urgency = -1;
    const char *urg = json_get_str(call->body, "urgency");
    if (urg && (in.urgency = case_urgency_from_name(urg)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "urgency",
                         "field 'urgency' must be normal, urgent or emergency");
    const char *kind = json_get_str(call->body, "kind");
    int k = kind ? case_kind_from_name(kind) : CK_COMPLAINT;
    if (k < 0)
        return err_field(
            &call->err, ERR_BAD_REQUEST, "kind",
            "field 'kind' must be complaint, consult, help, report, suggestion or praise");
    in.kind = (enum case_kind)k;
    int has_lat = json_get(call->body, "lat") != NULL,
        has_lon = json_get(call->body, "lon") != NULL;
    if (has_lat != has_lon)
        return err_field(&call->err, ERR_BAD_REQUEST, has_lat ? "lon" : "lat",
                         "'lat' and 'lon' come together");
    in.has_location = has_lat;
    in.lat = json_get_num(call->body, "lat", 0);
    in.lon = json_get_num(call->body, "lon", 0);
    in.address = json_get_str(call->body, "address");
    in.region_id = json_get_int(call->body, "region_id", 0);
    if (!in.region_id && in.has_location &&
        (rc = api_locate_region(call, in.lat, in.lon, &in.region_id)) < 0)
        return rc;
    if (citizen) {
        in.citizen_name = json_get_str(citizen, "name");
        in.citizen_phone = json_get_str(citizen, "phone");
    }
    in.anonymous = json_get_bool(call->body, "anonymous", 0);
    /* Published through Open311 only when the citizen said yes; not asked is no. */
    in.public_consent = json_get_bool(call->body, "public", 0);
    /* A citizen reports for themself: the account's own name and phone, unless given. */
    struct case_actor actor;
    app_actor(call->user, &actor);
    if ((rc = case_policy_channel(&actor, in.channel, &call->err)) < 0)
        return rc;
    if (case_policy_reports_for_self(&actor)) {
        if (!in.citizen_name)
            in.citizen_name = call->user->display_name;
        if (!in.citizen_phone)
            in.citizen_phone = call->user->phone;
    }
    /* A client that may retry (a lost answer during a failover) names the attempt. */
    in.idempotency_key = http_req_header(call->req, "Idempotency-Key");
    if (in.idempotency_key &&
        (rc = case_idempotency_key_check(in.idempotency_key, "Idempotency-Key", &call->err)) < 0)
        return rc;
    return api_case_intake(call, &in, created_json, NULL);
}

/* ---------------------------------------------------------------- reading */

/* A comma-separated list of names ("new,dispatched") as a bitmask; ERR_BAD_REQUEST names the
 * parameter. Absent: 0. */
static int query_names(struct api_call *call, const char *param, int (*from_name)(const char *),
                       int count, const char *allowed, unsigned *mask)
{
    const char *v = http_req_query(call->req, param);
    *mask = 0;
    if (!v)
        return 0;
    char *copy = arena_strdup(call->req->arena, v), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int i = from_name(t);
        if (i < 0 || i >= count)
            return err_field(&call->err, ERR_BAD_REQUEST, param,
                             "query parameter '%s': '%s' is not one of %s", param, t, allowed);
        *mask |= 1u << i;
    }
    if (!*mask)
        return err_field(&call->err, ERR_BAD_REQUEST, param, "query parameter '%s' is empty",
                         param);
    return 0;
}

static int query_time(struct api_call *call, const char *param, int64_t *out)
{
    const char *v = http_req_query(call->req, param);
    *out = 0;
    if (v && (clock_parse_rfc3339(v, out) < 0 || *out <= 0))
        return err_field(&call->err, ERR_BAD_REQUEST, param,
                         "query parameter '%s' must be an RFC 3339 time or a date (2026-09-24)",
                         param);
    return 0;
}

static int query_bool(struct api_call *call, const char *param, int *out)
{
    const char *v = http_req_query(call->req, param);
    *out = 0;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = -1;
    else
        return err_field(&call->err, ERR_BAD_REQUEST, param,
                         "query parameter '%s' must be true or false", param);
    return 0;
}

/* 'n' numbers separated by commas; ERR_BAD_REQUEST naming 'param' otherwise. */
static int query_numbers(struct api_call *call, const char *param, const char *form, int n,
                         double *out, int *given)
{
    const char *v = http_req_query(call->req, param);
    *given = 0;
    if (!v)
        return 0;
    char *p = arena_strdup(call->req->arena, v);
    for (int i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if ((comma != NULL) != (i < n - 1))
            return err_field(&call->err, ERR_BAD_REQUEST, param,
                             "query parameter '%s' must be %s (degrees)", param, form);
        if (comma)
            *comma = '\0';
        if (num_parse_double(p, &out[i]) < 0)
            return err_field(&call->err, ERR_BAD_REQUEST, param,
                             "query parameter '%s' must be %s (degrees)", param, form);
        p = comma ? comma + 1 : p;
    }
    *given = 1;
    return 0;
}

/* bbox=west,south,east,north; near=lat,lon with radius (metres, 500 if not given). */
static int query_place(struct api_call *call, struct case_filter *f)
{
    double box[4], pt[2];
    int given, rc;
    int64_t radius;
    if ((rc = query_numbers(call, "bbox", "west,south,east,north", 4, box, &f->has_box)) < 0 ||
        (rc = query_numbers(call, "near", "lat,lon", 2, pt, &given)) < 0 ||
        (rc = api_query_int(call, "radius", 500, 1, CASE_NEAR_MAX, &radius)) < 0)
        return rc;
    if (f->has_box) {
        f->west = box[0];
        f->south = box[1];
        f->east = box[2];
        f->north = box[3];
    }
    if (given) {
        f->near_lat = pt[0];
        f->near_lon = pt[1];
        f->near_m = (double)radius;
    } else if (http_req_query(call->req, "radius")) {
        return err_field(&call->err, ERR_BAD_REQUEST, "radius",
                         "query parameter 'radius' goes with 'near'");
    }
    return 0;
}

/*
 * The one search box of every list (q): what was typed decides what is looked for. A case
 * number (20261203-000123, or its 14 digits) finds that case; a phone number (7 to 20 digits,
 * with '+', '-', spaces or brackets) finds the caller's cases through the keyed hash, so the
 * number is never stored or compared in clear; anything else is text: title, description and
 * address, and a name of 2 to 4 Han characters also finds a citizen of that name.
 */
static int search_box(struct api_call *call, const char *q, struct case_filter *f)
{
    size_t len = strlen(q), digits = 0, other = 0;
    for (size_t i = 0; i < len; i++) {
        if (q[i] >= '0' && q[i] <= '9')
            digits++;
        else if (!strchr("+- ()", q[i]))
            other++;
    }
    if (!other && len == 15 && digits == 14 && q[8] == '-') {
        f->number = q;
        return 0;
    }
    if (!other && len == 14 && digits == 14) {
        f->number = arena_printf(call->req->arena, "%.8s-%s", q, q + 8);
        return 0;
    }
    if (!other && digits >= 7 && digits <= 20) {
        char *hash = arena_alloc(call->req->arena, AUTH_PHONE_HASH_LEN + 1);
        if (auth_phone_hash(call->api->d.data_key, q, hash) < 0)
            return err_set(&call->err, ERR_INTERNAL, "no data key configured for personal data");
        f->phone_hash = hash;
        return 0;
    }
    f->text = q;
    return 0;
}

/* GET /api/v1/cases: filters, a work queue, sort and cursor; the caller's scope is part of
 * the query (case_list), so the list never shows a case GET /cases/{id} would refuse. */
/* The list's filters from the query (every list and the export read them the same way). */
int api_case_list_filter(struct api_call *call, struct case_filter *f)
{
    int64_t v;
    int rc, mine;
    const char *s;
    memset(f, 0, sizeof(*f));
    if ((rc = query_names(
             call, "state", case_state_from_name, CASE_STATE_COUNT,
             "new, dispatched, returned, processing, hanging, replied, rectifying, closed, cancelled, merged",
             &f->states)) < 0 ||
        (rc = query_names(call, "channel", case_channel_from_name, CASE_CHANNEL_COUNT,
                          "hotline, web, app, wechat, grid, sensor, open311, other",
                          &f->channels)) < 0 ||
        (rc = query_names(call, "urgency", case_urgency_from_name, CU_EMERGENCY + 1,
                          "normal, urgent, emergency", &f->urgencies)) < 0 ||
        (rc = query_names(call, "kind", case_kind_from_name, CASE_KIND_COUNT,
                          "complaint, consult, help, report, suggestion, praise", &f->kinds)) < 0)
        return rc;
    if ((rc = api_query_int(call, "category", 0, 1, INT64_MAX, &f->category_id)) < 0 ||
        (rc = api_query_int(call, "department", 0, 1, INT64_MAX, &f->department_id)) < 0 ||
        (rc = api_query_int(call, "region", 0, 1, INT64_MAX, &f->region_id)) < 0 ||
        (rc = api_query_int(call, "limit", CASE_LIST_DEFAULT, 1, CASE_LIST_MAX, &v)) < 0)
        return rc;
    f->limit = (int)v;
    if ((rc = query_bool(call, "overdue", &f->overdue)) < 0 ||
        (rc = query_bool(call, "open", &f->open)) < 0 ||
        (rc = query_bool(call, "mine", &mine)) < 0 ||
        (rc = query_time(call, "from", &f->created_from)) < 0 ||
        (rc = query_time(call, "to", &f->created_to)) < 0)
        return rc;
    f->mine = mine > 0;
    if ((rc = query_place(call, f)) < 0)
        return rc;
    if ((s = http_req_query(call->req, "queue")) && (rc = case_queue_from_name(s)) < 0)
        return err_field(
            &call->err, ERR_BAD_REQUEST, "queue",
            "query parameter 'queue' must be to_sign, to_handle, overdue, to_dispatch, returned, pending or mine");
    f->queue = s ? (enum case_queue)rc : CQ_NONE;
    if ((s = http_req_query(call->req, "sort")) && (rc = case_sort_from_name(s)) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "sort",
                         "query parameter 'sort' must be created, deadline or updated");
    f->sort = s ? (enum case_sort)rc : CASE_SORT_CREATED;
    /* An empty search box is no search. */
    if ((s = http_req_query(call->req, "q")) && *s && (rc = search_box(call, s, f)) < 0)
        return rc;
    if ((s = http_req_query(call->req, "cursor")) && *s)
        f->cursor = s;
    if (f->text) {
        struct app_ctx x = api_ctx(call);
        if ((rc = app_text_index_flush(&x)) < 0)
            return rc;
    }
    return 0;
}

int api_case_list(struct api_call *call)
{
    struct case_filter f;
    struct case_actor actor;
    struct case_rec *recs;
    size_t n;
    int64_t stopped;
    int rc;
    char next[CASE_CURSOR_MAX];
    app_actor(call->user, &actor);
    /* A broad list's exact count reads every match (seconds on millions of cases) while its
     * page reads one page: the count stops at the cap, or after list_total_ms, and says so
     * (total_capped). */
    if ((rc = api_case_list_filter(call, &f)) < 0)
        return rc;
    /* A short text's page reads for list_scan_ms, the first page's count included (at least
     * one window: case_list); the count knows it (case_list_total). */
    f.scan_ns = (int64_t)call->api->d.conf->list_scan_ms * 1000000;
    f.scan_window = call->api->d.conf->list_scan_window;
    uint64_t t0 = clock_mono_ns();
    if ((rc = case_list_total(call->conn, &f, &actor, call->api->d.conf->list_total_cap,
                              call->api->d.conf->list_total_ms, call->req->arena, &f.total,
                              &f.total_capped, &call->err)) < 0)
        return rc;
    f.counted = !f.cursor; /* a cursor's total was carried, not counted */
    f.scan_spent_ns = (int64_t)(clock_mono_ns() - t0);
    if ((rc = case_list(call->conn, &f, &actor, call->req->arena, &recs, &n, next, &stopped,
                        &call->err)) < 0)
        return rc;
    case_list_settle_total(&f, n, next[0] != '\0', &f.total, &f.total_capped);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        case_json(&w, &recs[i], &actor, NULL, NULL);
    jw_arr_end(&w);
    jw_kint(&w, "total", f.total);
    jw_kbool(&w, "total_capped", f.total_capped);
    jw_kstr(&w, "next_cursor", next[0] ? next : NULL);
    /* A short text's page that stopped at list_scan_ms: where its reading got to (the
     * deadline sort past its last deadline: null). */
    if (stopped && stopped < CASE_NO_DEADLINE)
        jw_ktime(&w, "searched_to", stopped);
    else if (stopped)
        jw_knull(&w, "searched_to");
    jw_obj_end(&w);
    http_res_header(call->res, "Cache-Control", "private, no-store");
    return api_reply(call, 200, &w);
}

int api_case_get(struct api_call *call)
{
    struct case_actor actor;
    struct case_view *v;
    struct cached_body *b;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = view_get(call, id, &v)) < 0)
        return rc;
    /* The route has no SCOPE_CASE check (it would read the case a second time): the scope
     * is checked here, on the same record, with the same message. */
    app_actor(call->user, &actor);
    if (!case_visible(&actor, &v->rec)) {
        rc = err_deny(
            &call->err, ERR_REASON_SCOPE,
            "case %s is outside your scope (own cases, your departments' or your region's)",
            v->rec.number);
    } else if ((b = view_body_find(call->api, v, &actor))) {
        api_reply_cached(call, 200, b);
    } else {
        struct jw w;
        jw_init(&w);
        case_json(&w, &v->rec, &actor, &v->runs, NULL);
        view_body_keep(call->api, v, &actor, w.b.p, w.b.len);
        rc = api_reply(call, 200, &w);
    }
    view_unref(v);
    return rc;
}

int api_case_contact(struct api_call *call)
{
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    const struct case_rec *r;
    const char *phone;
    int rc;
    if ((rc = api_scoped_case(call, &r)) < 0 || (rc = api_case_env(call, &env, &actor, &cfg)) < 0)
        return rc;
    int64_t id = r->id;
    if ((rc = case_policy_reveal_phone(&actor, r, &call->err)) < 0)
        return rc;
    if ((rc = case_reveal_phone(&env, id, call->req->arena, &phone, &call->err)) < 0)
        return rc;
    /* Every reveal of the full number is audited, in its own transaction. */
    if ((rc = api_audit_only(call, "case.contact.reveal",
                             arena_printf(call->req->arena, "case/%lld", (long long)id), NULL)) < 0)
        return rc;
    http_res_header(call->res, "Cache-Control", "no-store");
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "name", r->citizen_name);
    jw_kstr(&w, "phone", phone);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* Public: the number alone reveals nothing; with the check code, the progress without names.
 * Failed attempts are limited per client address and per number (case_lookup). */
int api_case_lookup(struct api_call *call)
{
    const char *number = http_req_query(call->req, "number"),
               *code = http_req_query(call->req, "check_code");
    const struct conf *cf = call->api->d.conf;
    const struct case_lookup_limits lim = {cf->lookup_max_ip_failures, cf->lookup_max_case_failures,
                                           cf->lookup_window};
    struct case_rec r;
    struct case_event_rec *ev;
    size_t n;
    int rc, retry_after;
    http_res_header(call->res, "Cache-Control", "no-store");
    if (!number || !code)
        return err_field(&call->err, ERR_BAD_REQUEST, number ? "check_code" : "number",
                         "query parameters 'number' and 'check_code' are required");
    rc = case_lookup(call->conn, number, code, call->req->ip, call->now, &lim, call->req->arena, &r,
                     &retry_after, &call->err);
    if (rc == ERR_THROTTLED)
        http_res_header(call->res, "Retry-After",
                        arena_printf(call->req->arena, "%d", retry_after));
    if (rc < 0 || (rc = case_timeline(call->conn, r.id, call->req->arena, &ev, &n, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "number", r.number);
    jw_kstr(&w, "title", r.title);
    jw_kstr(&w, "state", case_state_name(r.state));
    jw_kstr(&w, "department", r.lead_department_name);
    jw_ktime(&w, "created_at", r.created_at);
    jw_ktime(&w, "resolve_deadline", r.resolve_deadline);
    /* The number and the check code prove the reporter: the timeline is what the reporter sees
     * of it (case_policy_event), and the answer they were given is shown in full. */
    const char *reply = NULL;
    jw_key(&w, "timeline");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        struct case_event_rec e;
        if (!case_policy_event(CASE_AUDIENCE_REPORTER, &r, &ev[i], &e))
            continue;
        if ((!strcmp(e.action, "reply") || !strcmp(e.action, "answer") ||
             !strcmp(e.action, "accept")) &&
            e.note)
            reply = e.note;
        jw_obj(&w);
        jw_ktime(&w, "at", e.at);
        jw_kstr(&w, "action", e.action);
        jw_kstr(&w, "to", e.to_state);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kstr(&w, "reply", reply);
    if ((rc = api_appeal_public_json(call, &w, &r)) < 0) {
        jw_release(&w);
        return rc;
    }
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- actions */

/* What an action may carry besides its name and the case's version (one action, or the same for
 * many cases in POST /cases/bulk). */
/* clang-format off */
#define ACTION_INPUT_FIELDS \
    {"note", JT_STRING, JF_NULLABLE, 0, CASE_NOTE_MAX, NULL}, \
    {"reason", JT_STRING, JF_NULLABLE, 0, CASE_NOTE_MAX, NULL}, \
    {"comment", JT_STRING, JF_NULLABLE, 0, CASE_NOTE_MAX, NULL}, \
    {"instruction", JT_STRING, JF_NULLABLE, 0, CASE_NOTE_MAX, NULL}, \
    {"department", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL}, \
    {"assisting", JT_ARRAY_INT, JF_NULLABLE, 0, 8, NULL}, \
    {"category", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL}, \
    {"until", JT_STRING, JF_NULLABLE, 0, 40, NULL}, \
    {"result", JT_STRING, JF_NULLABLE, 0, CASE_RESULT_MAX, NULL}, \
    {"contacted", JT_BOOL, 0, 0, 0, NULL}, \
    {"solved", JT_BOOL, 0, 0, 0, NULL}, \
    {"satisfaction", JT_STRING, JF_NULLABLE, 0, 0, NULL}, \
    {"master", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL}, \
    {"public", JT_BOOL, 0, 0, 0, NULL}, \
    {"invalid_reason", JT_STRING, JF_NULLABLE, 0, 0, NULL}, \
    {"article", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL}, \
    {"assignee", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL}
/* clang-format on */

static const struct json_field action_fields[] = {
    {"action", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"version", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    ACTION_INPUT_FIELDS,
    {NULL, 0, 0, 0, 0, NULL},
};

/* The action and its inputs from a checked body (action_fields); 'assisting' holds 8 ids. */
static int action_in(struct api_call *call, struct case_action_in *in, int64_t *assisting)
{
    int a = case_action_from_name(json_get_str(call->body, "action"));
    if (a < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "action", "unknown action '%s'",
                         json_get_str(call->body, "action"));
    in->action = (enum case_action)a;
    in->version = json_get_int(call->body, "version", 0);
    /* One free-text slot, named as the action's users call it. */
    static const char *const note_names[] = {"note", "reason", "comment", "instruction"};
    for (size_t i = 0; i < 4 && !in->note; i++)
        in->note = json_get_str(call->body, note_names[i]);
    in->department_id = json_get_int(call->body, "department", 0);
    const json_t *as = json_get(call->body, "assisting");
    in->nassisting = json_array_size(as);
    for (int i = 0; i < in->nassisting; i++)
        assisting[i] = json_array_int(as, i);
    in->assisting = assisting;
    in->category_id = json_get_int(call->body, "category", 0);
    const char *until = json_get_str(call->body, "until");
    if (until && clock_parse_rfc3339(until, &in->until) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "until",
                         "field 'until' must be an RFC 3339 time");
    in->result = json_get_str(call->body, "result");
    in->contacted =
        json_has(call->body, "contacted") ? json_get_bool(call->body, "contacted", 0) : -1;
    in->solved = json_has(call->body, "solved") ? json_get_bool(call->body, "solved", 0) : -1;
    const char *sat = json_get_str(call->body, "satisfaction");
    int s = sat ? case_satisfaction_from_name(sat) : 0;
    if (s < 0)
        return err_field(
            &call->err, ERR_BAD_REQUEST, "satisfaction",
            "field 'satisfaction' must be satisfied, basically_satisfied or unsatisfied");
    in->satisfaction = (enum case_satisfaction)s;
    in->master_id = json_get_int(call->body, "master", 0);
    in->public_note = json_get_bool(call->body, "public", 0);
    const char *why = json_get_str(call->body, "invalid_reason");
    int ir = why ? case_invalid_reason_from_name(why) : CIR_NONE;
    if (ir < 0 || (why && ir == CIR_NONE))
        return err_field(&call->err, ERR_BAD_REQUEST, "invalid_reason",
                         "field 'invalid_reason' must be unreasonable, duplicate, out_of_area or "
                         "unreachable");
    in->invalid_reason = (enum case_invalid_reason)ir;
    in->article_id = json_get_int(call->body, "article", 0);
    in->assignee_id = json_get_int(call->body, "assignee", 0);
    return 0;
}

int api_case_action(struct api_call *call)
{
    struct case_action_in in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    const struct case_rec *r;
    struct case_rec after;
    int64_t assisting[8];
    int rc;
    /* The route's scope check read the case; the action is taken on that record and the reply
     * shows the case as the action left it. */
    if ((rc = api_scoped_case(call, &r)) < 0)
        return rc;
    if ((rc = json_check(call->body, action_fields, &call->err)) < 0 ||
        (rc = action_in(call, &in, assisting)) < 0)
        return rc;
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0 ||
        (rc = case_act_on(&env, r, &in, call->req->arena, &after, &call->err)) < 0)
        return rc;
    return reply_case_rec(call, 200, &after, &actor);
}

/* The actions a dispatcher or supervisor takes on many cases at once (the same inputs for each). */
static const enum case_action bulk_actions[] = {CA_DISPATCH, CA_URGE, CA_SIGN, CA_COMMENT};
#define BULK_MAX 100

static const struct json_field bulk_item_fields[] = {
    {"id", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"version", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* The single action's fields with "cases" (each with its version) in place of "version". */
static const struct json_field bulk_fields[] = {
    {"action", JT_STRING, JF_REQUIRED, 0, 0, NULL},
    {"cases", JT_ARRAY_OBJECT, JF_REQUIRED, 1, BULK_MAX, bulk_item_fields},
    ACTION_INPUT_FIELDS,
    {NULL, 0, 0, 0, 0, NULL},
};

/*
 * POST /api/v1/cases/bulk: one action on each of the listed cases, as if each were its own POST
 * /cases/{id}/actions: the same checks (scope, roles, binding, state, version, inputs), its own
 * transaction, event and audit entry. One case's failure does not stop the others: the answer
 * lists each case with the case as the action left it or the error it got.
 */
int api_case_bulk(struct api_call *call)
{
    struct case_action_in in = {0};
    struct case_env env;
    struct case_actor actor;
    struct case_config cfg;
    int64_t assisting[8];
    int rc, done = 0;
    size_t k;
    if ((rc = json_check(call->body, bulk_fields, &call->err)) < 0 ||
        (rc = action_in(call, &in, assisting)) < 0)
        return rc;
    for (k = 0; k < sizeof(bulk_actions) / sizeof(bulk_actions[0]); k++)
        if (bulk_actions[k] == in.action)
            break;
    if (k == sizeof(bulk_actions) / sizeof(bulk_actions[0]))
        return err_field(&call->err, ERR_BAD_REQUEST, "action",
                         "action '%s' cannot be taken on many cases at once (dispatch, urge, sign, "
                         "comment can)",
                         case_action_name(in.action));
    if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0)
        return rc;
    const json_t *cases = json_get(call->body, "cases");
    int n = json_array_size(cases);
    struct jw w;
    api_list_begin(&w);
    for (int i = 0; i < n; i++) {
        const json_t *item = json_array_item(cases, i);
        int64_t id = json_get_int(item, "id", 0);
        struct case_rec rec, after;
        struct err e = ERR_INIT;
        in.version = json_get_int(item, "version", 0);
        jw_obj(&w);
        jw_kint(&w, "id", id);
        rc = case_get(call->conn, id, call->req->arena, &rec, &e);
        if (rc == 0 && !case_visible(&actor, &rec))
            rc = err_deny(&e, ERR_REASON_SCOPE, "case %s is outside your scope", rec.number);
        if (rc == 0) {
            env.now = call->now;
            rc = case_act_on(&env, &rec, &in, call->req->arena, &after, &e);
        }
        jw_kbool(&w, "ok", rc == 0);
        if (rc == 0) {
            done++;
            jw_key(&w, "case");
            case_json(&w, &after, &actor, NULL, NULL);
        } else {
            jw_key(&w, "error");
            jw_obj(&w);
            jw_kstr(&w, "code", err_code_name(rc));
            jw_kstr(&w, "message", e.msg[0] ? e.msg : err_default_message(rc));
            jw_kstr(&w, "field", e.field[0] ? e.field : NULL);
            jw_obj_end(&w);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", n);
    jw_kstr(&w, "next_cursor", NULL);
    jw_kint(&w, "done", done);
    jw_kint(&w, "failed", n - done);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

static void roles_json(struct jw *w, const char *key, unsigned roles)
{
    jw_key(w, key);
    jw_arr(w);
    for (int i = 0; i < AUTH_ROLE_COUNT; i++)
        if (roles & (1u << i))
            jw_str(w, auth_role_name(1u << i));
    jw_arr_end(w);
}

/* GET /api/v1/case-actions: what each action asks of its caller, from the case module's table,
 * so that a client builds its forms from it instead of keeping a copy. */
int api_case_actions_meta(struct api_call *call)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (int a = 0; a < CASE_ACTION_COUNT; a++) {
        const struct case_action_info *info = case_action_info((enum case_action)a);
        jw_obj(&w);
        jw_kstr(&w, "action", case_action_name((enum case_action)a));
        jw_kstr(&w, "label", info->label);
        jw_kstr(&w, "note", case_note_rule_name(info->note));
        jw_kstr(&w, "note_label", info->note_label);
        jw_key(&w, "fields");
        jw_arr(&w);
        for (int i = 0; i < CASE_INPUT_COUNT; i++) {
            if (!(info->accepted & (1u << i)))
                continue;
            jw_obj(&w);
            jw_kstr(&w, "name", case_input_name((enum case_input)i));
            jw_kstr(&w, "type", case_input_type((enum case_input)i));
            jw_kbool(&w, "required", (info->required & (1u << i)) != 0);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        /* Admins may take every action. */
        roles_json(&w, "roles", info->roles | ROLE_ADMIN);
        roles_json(&w, "bound_roles", info->binding == CASE_BIND_NONE ? 0 : info->bound_roles);
        jw_kbool(&w, "department_bound",
                 info->binding == CASE_BIND_LEAD || info->binding == CASE_BIND_INVOLVED);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", CASE_ACTION_COUNT);
    jw_kstr(&w, "next_cursor", NULL);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- sweeper and test clock */

static void sweep_report_json(struct jw *w, const struct app_sweep_report *all)
{
    const struct case_sweep_report *rep = all->cases;
    jw_obj(w);
    jw_kint(w, "checked", rep->checked);
    jw_kint(w, "newly_overdue", rep->newly_overdue);
    jw_kint(w, "grid_tasks_overdue", rep->grid_tasks_overdue);
    jw_kint(w, "grid_tasks_escalated", rep->grid_tasks_escalated);
    jw_kint(w, "urged", rep->urged);
    jw_kint(w, "escalated", rep->escalated);
    jw_kint(w, "devices_offline", all->devices_offline);
    jw_obj_end(w);
}

int api_sweep(struct api_call *call)
{
    struct case_sweep_report cases;
    struct app_sweep_report rep = {&cases, 0};
    struct app_ctx x = api_ctx(call);
    int rc = app_sweep(&x, &rep);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    sweep_report_json(&w, &rep);
    return api_reply(call, 200, &w);
}

static const struct json_field clock_fields[] = {
    {"now", JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_test_clock(struct api_call *call)
{
    int64_t t;
    int rc;
    if (!call->api->d.conf->test_clock)
        return err_set(&call->err, ERR_NOT_FOUND,
                       "the test clock is disabled (setting test_clock)");
    if ((rc = json_check(call->body, clock_fields, &call->err)) < 0)
        return rc;
    if (clock_parse_rfc3339(json_get_str(call->body, "now"), &t) < 0)
        return err_field(&call->err, ERR_BAD_REQUEST, "now",
                         "field 'now' must be an RFC 3339 time");
    app_clock_set(call->api->app, t);
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_ktime(&w, "now", t);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}
