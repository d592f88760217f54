/*
 * Repeat complaints (重复诉求, docs/warning.md §1): at intake, in the case's own transaction,
 * the earlier cases of the last CASE_REPEAT_DAYS from the same caller, at the same place or on
 * the same subject in the same grid are linked to it; when the caller or the place has
 * complained CASE_REPEAT_URGENT times before without a solution, the new case is made urgent
 * and the supervisors are told.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

/* Still open, or closed without a solution or to the citizen's dissatisfaction. */
#define UNSOLVED                                                                                   \
    "CASE WHEN state NOT IN ('closed', 'cancelled', 'merged') OR satisfaction = 'unsatisfied'"     \
    " OR reply_solved = 0 THEN 1 ELSE 0 END"

enum { R_CALLER, R_PLACE, R_SUBJECT, R_COUNT };
static const char *const REASONS[R_COUNT] = {"caller", "place", "subject"};

struct links {
    struct case_repeat_found *f;
    int reason, subjects;
    int has_location; /* the new case's point, for add_near */
    double lat, lon;
};

static int add_link(void *ctx, struct store_stmt *s)
{
    struct links *l = ctx;
    struct case_repeat_found *f = l->f;
    int64_t id = store_col_int(s, 0);
    for (int i = 0; i < f->n; i++)
        if (f->v[i].id == id)
            return 0; /* a stronger reason found it first */
    if (f->n == CASE_REPEAT_MAX)
        return 1;
    f->v[f->n++] =
        (struct case_repeat_link){id, store_col_int(s, 2), l->reason, (int)store_col_int(s, 1)};
    return 0;
}

/* A case of the same grid and category: at the same place when both have points within the
 * box, else on the same subject (at most CASE_REPEAT_SUBJECT_MAX of those). */
static int add_near(void *ctx, struct store_stmt *s)
{
    struct links *l = ctx;
    double dlat = CASE_REPEAT_METRES / 111000.0, dlon = CASE_REPEAT_METRES / 96000.0;
    int place = l->has_location && store_col_int(s, 3) &&
                fabs(store_col_real(s, 4) - l->lat) <= dlat &&
                fabs(store_col_real(s, 5) - l->lon) <= dlon;
    if (!place && l->subjects >= CASE_REPEAT_SUBJECT_MAX)
        return 0;
    l->reason = place ? R_PLACE : R_SUBJECT;
    int before = l->f->n;
    int rc = add_link(ctx, s);
    if (!place && l->f->n > before)
        l->subjects++;
    return rc;
}

int case_repeat_find(struct case_tx *t, const struct case_new *in, const char *hash, int urgency,
                     struct case_repeat_found *f)
{
    const struct case_env *env = t->env;
    struct store_conn *c = env->conn;
    struct links l = {f, 0, 0, 0, 0, 0};
    int64_t since = env->now - (int64_t)CASE_REPEAT_DAYS * 86400;
    int64_t rc;
    memset(f, 0, sizeof(*f));
    f->urgency = urgency;
    /* Newest first, ties by id: created_at is a second, and a caller's calls within one second
     * came back from PostgreSQL in any order, so that "the newest six" linked an older call
     * instead of a newer one (test_a_caller_who_keeps_calling_is_one_warning, once in a check).
     * Same caller: the keyed hash of the number. "<> ''" lets SQLite use the partial index
     * cases_phone_hash (an equality with a parameter does not imply it): without it, every
     * intake scanned the whole table (intake fell from ~1,000 to ~200 cases/s). */
    if (hash && *hash) {
        l.reason = R_CALLER;
        if ((rc = store_all(
                 c,
                 "SELECT id, " UNSOLVED ", coalesce(repeat_root, id) FROM cases"
                 " WHERE citizen_phone_hash = ?"
                 " AND citizen_phone_hash <> '' AND created_at >= ? AND state NOT IN ('cancelled', 'merged')"
                 " ORDER BY created_at DESC, id DESC LIMIT ?",
                 STORE_ARGS(store_text(hash), store_i64(since), store_i64(CASE_REPEAT_MAX)),
                 add_link, &l, t->err)) < 0)
            return (int)rc;
    }
    /* Same place (within about CASE_REPEAT_METRES, a box) or same subject, both in the same
     * grid and category: one range of cases_region_place, told apart here. A place query on
     * the coordinates alone scanned a whole band of the city, or the category's month. */
    if (in->region_id && in->category_id) {
        l.has_location = in->has_location;
        l.lat = in->lat;
        l.lon = in->lon;
        if ((rc = store_all(c,
                            "SELECT id, " UNSOLVED ", coalesce(repeat_root, id),"
                            " CASE WHEN lat IS NULL THEN 0 ELSE 1 END,"
                            " coalesce(lat, 0), coalesce(lon, 0) FROM cases WHERE region_id = ?"
                            " AND created_at >= ? AND category_id = ?"
                            " AND state NOT IN ('cancelled', 'merged')"
                            " ORDER BY created_at DESC, id DESC LIMIT ?",
                            STORE_ARGS(store_i64(in->region_id), store_i64(since),
                                       store_i64(in->category_id), store_i64(CASE_REPEAT_SCAN)),
                            add_near, &l, t->err)) < 0)
            return (int)rc;
    }
    /* The chain is the caller's or the place's: its root is the oldest root of those links,
     * kept with the case so that the next call inherits it. The links themselves are only the
     * newest few, so their own oldest moves on with each call. Subject links do not join
     * chains: a busy grid's category would become one. */
    for (int i = 0; i < f->n; i++)
        if (f->v[i].reason != R_SUBJECT) {
            if (!f->root || f->v[i].root < f->root)
                f->root = f->v[i].root;
            f->unsolved += f->v[i].unsolved;
        }
    f->raise = f->unsolved >= CASE_REPEAT_URGENT;
    if (f->raise && urgency == CU_NORMAL)
        f->urgency = CU_URGENT;
    return 0;
}

int case_repeat_record(struct case_tx *t, int64_t id, const struct case_repeat_found *f,
                       int urgency, struct case_created *out)
{
    const struct case_env *env = t->env;
    struct store_conn *c = env->conn;
    int64_t rc;
    if (f->n == 0)
        return 0;
    int count[R_COUNT] = {0};
    for (int i = 0; i < f->n; i++) {
        count[f->v[i].reason]++;
        if ((rc = store_run(c,
                            "INSERT INTO case_repeats(case_id, earlier_id, reason, unsolved,"
                            " created_at) VALUES (?, ?, ?, ?, ?)",
                            STORE_ARGS(store_i64(id), store_i64(f->v[i].id),
                                       store_text(REASONS[f->v[i].reason]),
                                       store_i64(f->v[i].unsolved), store_i64(env->now)),
                            t->err)) < 0)
            return (int)rc;
    }
    out->repeats = f->n;
    /* The same subject in a grid alone is kept as a link (the chain, the assessment), not told
     * on the timeline: a busy grid has many of those. */
    if (!count[R_CALLER] && !count[R_PLACE])
        return 0;
    out->repeat_root = f->root;
    char note[256];
    int len = snprintf(note, sizeof(note), "重复诉求：近 %d 天", CASE_REPEAT_DAYS);
    static const char *const WORDS[R_COUNT] = {"同一来电人", "同一地点", "同一网格同类诉求"};
    const char *sep = "";
    for (int r = 0; r < R_COUNT; r++)
        if (count[r]) {
            len += snprintf(note + len, sizeof(note) - (size_t)len, "%s%s %d 件", sep, WORDS[r],
                            count[r]);
            sep = "、";
        }
    if (f->unsolved)
        len += snprintf(note + len, sizeof(note) - (size_t)len, "，其中 %d 件未解决", f->unsolved);
    if (f->raise && urgency == CU_NORMAL)
        snprintf(note + len, sizeof(note) - (size_t)len, "，已提级为紧急");
    int64_t ev;
    const char *payload =
        arena_printf(&t->arena, "{\"caller\":%d,\"place\":%d,\"subject\":%d,\"unsolved\":%d}",
                     count[R_CALLER], count[R_PLACE], count[R_SUBJECT], f->unsolved);
    if ((rc = case_tx_event(t, id, "repeat", "new", "new", 0, note, payload, &ev)) < 0)
        return (int)rc;
    if (f->raise &&
        (rc = case_tx_notify(t, id, ev, "supervisors", 0, "repeat",
                             arena_printf(&t->arena, "工单 %s %s", out->number, note))) < 0)
        return (int)rc;
    out->repeats_unsolved = f->unsolved;
    snprintf(out->repeat_note, sizeof(out->repeat_note), "%s", note);
    return 0;
}

typedef VEC(struct case_repeat) repeat_vec;

static int read_repeat(void *ctx, struct store_stmt *s)
{
    repeat_vec *v = ctx;
    struct case_repeat *r = vec_push(v);
    r->id = store_col_int(s, 0);
    r->number = arena_strdup(v->arena, store_col_text(s, 1));
    r->title = arena_strdup(v->arena, store_col_text(s, 2));
    r->state = arena_strdup(v->arena, store_col_text(s, 3));
    r->created_at = store_col_int(s, 4);
    r->reason = arena_strdup(v->arena, store_col_text(s, 5));
    r->unsolved = store_col_int(s, 6) != 0;
    r->later = store_col_int(s, 7) != 0;
    return 0;
}

int case_repeat_list(struct store_conn *c, int64_t id, struct arena *a, struct case_repeat **out,
                     size_t *n, struct err *err)
{
    repeat_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT x.id, x.number, x.title, x.state, x.created_at, r.reason, r.unsolved, 0"
        " FROM case_repeats r JOIN cases x ON x.id = r.earlier_id WHERE r.case_id = ?"
        " UNION ALL SELECT x.id, x.number, x.title, x.state, x.created_at, r.reason, r.unsolved, 1"
        " FROM case_repeats r JOIN cases x ON x.id = r.case_id WHERE r.earlier_id = ?"
        " ORDER BY 5, 1",
        STORE_ARGS(store_i64(id), store_i64(id)), read_repeat, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}
