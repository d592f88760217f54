/*
 * Triage's running state: the current model (hot-swapped when its file changes or an admin
 * retrains), the category map of its labels, the in-memory duplicate index over open cases,
 * and suggestions at intake and on demand.
 *
 * A model is immutable once loaded, so readers use it without a lock; a replaced model is
 * kept until app_free() because calls in flight may still hold it (as the calendar).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/app_internal.h"
#include "auth/auth.h"
#include "case/case.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "json/json.h"
#include "org/org.h"
#include "store/store.h"
#include "triage/triage.h"

#define HOT_CASES_MAX 50000

struct retired_model {
    struct triage_model *m;
    struct retired_model *next;
};

/* Model labels (category codes) resolved to categories, for one model and one version of the
 * organisation data; rebuilt when either changes, so suggestions cost no category queries. */
struct label_cat {
    int64_t id;
    char *code, *name;
    int active;
};

struct label_map {
    const struct triage_model *model;
    int64_t org_version;
    size_t ncats;
    struct label_cat *cats; /* sorted by code */
    int *of_label;          /* per model label: index in cats, -1 if none */
    struct label_map *retired_next;
};

/*
 * Routing answers by (category, region) for one version of the organisation data (rules,
 * departments and regions are organisation data: their writes bump the version). Intake asks
 * for every case, and the answer costs four queries over the rules and the department; a
 * city has a few thousand (category, region) pairs in use. Direct-mapped, so the slots are
 * many times the pairs: with 4,096, bench/intake.lua's pairs (40 categories over 96 of the
 * demo's regions: 3,224 in its first 7,440 cases) met another pair in their slot often
 * enough to cost ~9 us a case in queries. 32,768 slots of 48 bytes: 1.5 MiB.
 */
#define ROUTE_SLOTS 32768
struct route_slot {
    int64_t category_id, region_id, org_version; /* org_version 0: empty */
    int64_t rule_id, department_id;
    char *department_name; /* owned */
};

struct app_triage {
    pthread_mutex_t lock;
    pthread_mutex_t route_lock;
    struct route_slot *routes; /* ROUTE_SLOTS, direct-mapped */
    struct label_map *map;
    struct label_map *retired_maps;
    struct triage_model *model; /* NULL: no model file yet */
    struct retired_model *retired;
    char *path;
    struct stat seen;   /* the file the model came from */
    int64_t checked_at; /* last stat of the file (seconds) */
    struct triage_dup_index *dups;
};

/* Load the file when it differs from the one the current model came from; the model to use
 * (NULL: none yet). The file is looked at no more than once a second unless 'force'. */
static const struct triage_model *reload_if_changed(struct app *app, int force)
{
    struct app_triage *t = app->triage;
    struct triage_model *loaded = NULL;
    struct stat st;
    struct err err = ERR_INIT;
    time_t now = time(NULL);
    pthread_mutex_lock(&t->lock);
    if (!force && now == t->checked_at)
        goto out;
    t->checked_at = now;
    if (stat(t->path, &st) != 0 ||
        (!force && t->model && st.st_ino == t->seen.st_ino && st.st_dev == t->seen.st_dev &&
         st.st_mtim.tv_sec == t->seen.st_mtim.tv_sec &&
         st.st_mtim.tv_nsec == t->seen.st_mtim.tv_nsec && st.st_size == t->seen.st_size))
        goto out;
    t->seen = st;
    if (triage_model_load(t->path, &loaded, &err) < 0) {
        /* A half-written or foreign file: keep serving the model we have. */
        log_msg(LOG_WARN, "triage: model %s not loaded: %s", t->path, err.msg);
        goto out;
    }
    if (t->model) {
        struct retired_model *r = xcalloc(1, sizeof(*r));
        r->m = t->model;
        r->next = t->retired;
        t->retired = r;
    }
    t->model = loaded;
    log_msg(LOG_INFO, "triage: model %s loaded from %s (%d labels)", triage_model_version(loaded),
            t->path, triage_model_nlabels(loaded));
out:;
    const struct triage_model *m = t->model;
    pthread_mutex_unlock(&t->lock);
    return m;
}

static char *case_text(const char *title, const char *description)
{
    size_t lt = title ? strlen(title) : 0, ld = description ? strlen(description) : 0;
    char *s = xmalloc(mem_size_add(mem_size_add(lt, ld), 2));
    memcpy(s, title ? title : "", lt);
    s[lt] = ' ';
    memcpy(s + lt + 1, description ? description : "", ld);
    s[lt + 1 + ld] = '\0';
    return s;
}

char *app_triage_model_path(const struct conf *cf)
{
    if (cf->triage_model && *cf->triage_model)
        return xstrdup(cf->triage_model);
    return conf_db_sidecar(cf, ".triage");
}

static void index_open(void *ctx, const struct case_open *k)
{
    char *text = case_text(k->title, k->description);
    struct triage_dup_case d = {k->id,  k->created_at, k->has_location, k->lat,
                                k->lon, text,          k->address,      k->category_id};
    triage_dup_add(ctx, &d);
    free(text);
}

int app_start_triage(struct app *app, struct err *err)
{
    struct app_triage *t = xcalloc(1, sizeof(*t));
    const struct conf *cf = app->d.conf;
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->route_lock, NULL);
    t->routes = xcalloc(ROUTE_SLOTS, sizeof(*t->routes));
    t->path = app_triage_model_path(cf);
    struct triage_dup_opts o = {
        .window_seconds = (int64_t)cf->dup_window_days * 86400,
        .max_meters = cf->dup_max_meters,
        .min_score = cf->dup_min_score / 1000.0,
    };
    t->dups = triage_dup_new(&o);
    app->triage = t;
    reload_if_changed(app, 1);

    /* Open cases of the window go into the duplicate index. */
    struct store_conn *c;
    int rc;
    if ((rc = store_conn(app->d.store, &c, err)) < 0 ||
        (rc = case_scan_open(c, app_now(app) - o.window_seconds, index_open, t->dups, err)) < 0)
        return rc;
    log_msg(LOG_INFO, "triage: %zu open case(s) in the duplicate index", triage_dup_count(t->dups));
    return 0;
}

static void label_map_free(struct label_map *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->ncats; i++) {
        free(map->cats[i].code);
        free(map->cats[i].name);
    }
    free(map->cats);
    free(map->of_label);
    free(map);
}

static int by_code(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct label_cat *)elem)->code);
}

static const struct label_cat *cat_by_code(const struct label_map *map, const char *code)
{
    return bsearch(code, map->cats, map->ncats, sizeof(*map->cats), by_code);
}

/* The label map for 'm' at the organisation version of this call (valid until app_free). */
static int label_map_of(const struct app_ctx *x, const struct triage_model *m,
                        const struct label_map **out)
{
    struct app_triage *t = x->app->triage;
    int64_t version = atomic_load(&x->app->org_version);
    int rc = 0;
    pthread_mutex_lock(&t->lock);
    if (t->map && t->map->model == m && t->map->org_version == version)
        goto out;
    struct label_map *map = xcalloc(1, sizeof(*map));
    struct org_category_filter f = {.active = ORG_ACTIVE_ANY};
    struct org_category *v;
    size_t n;
    map->model = m;
    map->org_version = version;
    if ((rc = org_category_list(x->conn, &f, x->arena, &v, &n, x->err)) < 0) {
        label_map_free(map);
        goto out;
    }
    map->cats = xmalloc(mem_size_mul(n ? n : 1, sizeof(*map->cats)));
    for (size_t i = 0; i < n; i++) {
        struct label_cat *k = &map->cats[map->ncats++];
        k->id = v[i].id;
        k->code = xstrdup(v[i].code);
        k->name = xstrdup(v[i].name);
        k->active = v[i].active;
    }
    /* The list is ordered by code, in SQLite's byte order, the same as strcmp's, which bsearch
     * relies on. */
    int nlabels = triage_model_nlabels(m);
    map->of_label = xmalloc(mem_size_mul((size_t)(nlabels > 0 ? nlabels : 1), sizeof(int)));
    for (int i = 0; i < nlabels; i++) {
        const struct label_cat *c = cat_by_code(map, triage_model_label(m, i));
        map->of_label[i] = c ? (int)(c - map->cats) : -1;
    }
    if (t->map) {
        t->map->retired_next = t->retired_maps;
        t->retired_maps = t->map;
    }
    t->map = map;
    rc = 0;
out:
    *out = t->map;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void app_triage_free(struct app *app)
{
    struct app_triage *t = app->triage;
    if (!t)
        return;
    label_map_free(t->map);
    while (t->retired_maps) {
        struct label_map *r = t->retired_maps;
        t->retired_maps = r->retired_next;
        label_map_free(r);
    }
    triage_model_free(t->model);
    while (t->retired) {
        struct retired_model *r = t->retired;
        t->retired = r->next;
        triage_model_free(r->m);
        free(r);
    }
    triage_dup_free(t->dups);
    for (size_t i = 0; i < ROUTE_SLOTS; i++)
        free(t->routes[i].department_name);
    free(t->routes);
    pthread_mutex_destroy(&t->route_lock);
    pthread_mutex_destroy(&t->lock);
    free(t->path);
    free(t);
    app->triage = NULL;
}

void app_triage_indexed(struct app *app, int64_t id, int64_t at, const struct case_new *in,
                        const struct app_suggestion *s)
{
    if (!app->triage)
        return;
    struct triage_dup_case d = {id,
                                at,
                                in->has_location,
                                in->lat,
                                in->lon,
                                NULL,
                                in->address,
                                in->category_id ? in->category_id : in->triage_category_id};
    if (s && s->dup_sig) { /* the query's signature: the same text and address */
        triage_dup_add_signed(app->triage->dups, &d, s->dup_sig);
        return;
    }
    char *text = case_text(in->title, in->description);
    d.text = text;
    triage_dup_add(app->triage->dups, &d);
    free(text);
}

/* The department the routing rules choose for (category, region), from the cache when it
 * answered for this organisation version. */
static int route_of(const struct app_ctx *x, int64_t category, int64_t region,
                    struct app_suggestion *s)
{
    struct app_triage *t = x->app->triage;
    int64_t version = atomic_load(&x->app->org_version);
    uint64_t h =
        ((uint64_t)category * 0x9E3779B97F4A7C15u) ^ ((uint64_t)region * 0xC2B2AE3D27D4EB4Fu);
    struct route_slot *slot = &t->routes[(h >> 20) % ROUTE_SLOTS];
    int hit = 0;
    pthread_mutex_lock(&t->route_lock);
    if (slot->org_version == version && slot->category_id == category &&
        slot->region_id == region) {
        hit = 1;
        s->rule_id = slot->rule_id;
        s->department_id = slot->department_id;
        s->department_name =
            slot->department_name ? arena_strdup(x->arena, slot->department_name) : NULL;
    }
    pthread_mutex_unlock(&t->route_lock);
    if (hit)
        return 0;
    struct triage_route route;
    int rc = triage_route(x->conn, category, region, &route, x->err);
    if (rc < 0)
        return rc;
    if (route.department_id) {
        struct org_department d;
        if ((rc = org_department_get(x->conn, route.department_id, x->arena, &d, x->err)) < 0)
            return rc;
        s->department_id = d.id;
        s->department_name = d.name;
        s->rule_id = route.rule_id;
    }
    pthread_mutex_lock(&t->route_lock);
    free(slot->department_name);
    *slot = (struct route_slot){
        category,   region,           version,
        s->rule_id, s->department_id, s->department_name ? xstrdup(s->department_name) : NULL};
    pthread_mutex_unlock(&t->route_lock);
    return 0;
}

/* ---------------------------------------------------------------- suggestions */

/* The duplicate candidates among 'hits' that are still open and that 'actor' may see, with
 * what a dispatcher reads of them, into s->dup; finished ones leave the index. */
static int resolve_duplicates(struct app *app, struct store_conn *c, struct arena *a,
                              const struct case_actor *actor, int64_t exclude_id,
                              const struct triage_dup_hit *hits, int n, struct app_suggestion *s,
                              struct err *err)
{
    int64_t ids[APP_DUP_MAX + 1];
    struct case_rec recs[CASE_MANY_MAX];
    int nrecs = 0, rc;
    for (int i = 0; i < n; i++)
        ids[i] = hits[i].id;
    if (n && (rc = case_get_many_brief(c, ids, n, a, recs, &nrecs, err)) < 0)
        return rc;
    for (int i = 0; i < n && s->ndup < APP_DUP_MAX; i++) {
        const struct case_rec *k = NULL;
        for (int j = 0; j < nrecs && !k; j++)
            if (recs[j].id == hits[i].id)
                k = &recs[j];
        if (hits[i].id == exclude_id)
            continue;
        if (!k || case_state_is_final(k->state)) {
            /* Finished since it was indexed: no longer a merge target. */
            triage_dup_remove(app->triage->dups, hits[i].id);
            continue;
        }
        if (!case_visible(actor, k))
            continue;
        s->dup[s->ndup].id = k->id;
        s->dup[s->ndup].number = k->number;
        s->dup[s->ndup].title = k->title;
        s->dup[s->ndup].state = case_state_name(k->state);
        s->dup[s->ndup].score = hits[i].score;
        s->dup[s->ndup].text = hits[i].text;
        s->dup[s->ndup].meters = hits[i].meters;
        s->dup[s->ndup].created_at = k->created_at;
        s->dup[s->ndup].address = k->address;
        s->dup[s->ndup].same_place = hits[i].place > 0 && hits[i].seconds < 86400;
        s->ndup++;
    }
    return 0;
}

/* 'defer': leave the candidates' records to app_triage_resolve() (s->pending). */
static int suggest(const struct app_ctx *x, const struct case_new *in, int64_t exclude_id,
                   int defer, struct app_suggestion **out)
{
    struct app *app = x->app;
    struct arena *a = x->arena;
    struct app_suggestion *s = arena_alloc(a, sizeof(*s));
    char *text = case_text(in->title, in->description);
    int rc = 0;
    memset(s, 0, sizeof(*s));
    *out = s;
    triage_urgency(text, &s->urgency);
    if (!app->triage)
        goto out;

    const struct triage_model *m = reload_if_changed(x->app, 0);
    const struct label_map *map;
    struct triage_result r;
    if (m && triage_classify(m, text, &r) == 0) {
        if ((rc = label_map_of(x, m, &map)) < 0)
            goto out;
        s->model_version = arena_strdup(a, triage_model_version(m));
        for (int i = 0; i < r.ntop; i++) {
            int at = map->of_label[r.top[i].label];
            /* Labels of categories deleted or retired since training are not suggested. */
            if (at < 0 || !map->cats[at].active)
                continue;
            const struct label_cat *k = &map->cats[at];
            if (!s->category_id) {
                s->category_id = k->id;
                s->category_code = arena_strdup(a, k->code);
                s->category_name = arena_strdup(a, k->name);
                s->prob = r.top[i].prob;
            } else {
                s->alt[s->nalt].id = k->id;
                s->alt[s->nalt].code = arena_strdup(a, k->code);
                s->alt[s->nalt].name = arena_strdup(a, k->name);
                s->alt[s->nalt].prob = r.top[i].prob;
                s->nalt++;
            }
        }
        s->nwhy = r.nwhy;
        memcpy(s->why, r.why, sizeof(r.why[0]) * (size_t)r.nwhy);
        /* The ancestors (codes are 2 digits per level), each with the probability of every
         * suggested label under it: "which bureau" is often surer than "which leaf". */
        for (int lv = 0; s->category_id && lv < 2; lv++) {
            size_t len = 2 * (size_t)(lv + 1);
            char code[8];
            if (strlen(s->category_code) <= len)
                break;
            memcpy(code, s->category_code, len);
            code[len] = '\0';
            const struct label_cat *up = cat_by_code(map, code);
            if (!up)
                continue;
            s->level[lv].id = up->id;
            s->level[lv].name = arena_strdup(a, up->name);
            s->level[lv].prob = s->prob;
            for (int i = 0; i < s->nalt; i++)
                if (strncmp(s->alt[i].code, code, len) == 0)
                    s->level[lv].prob += s->alt[i].prob;
        }
    }
    int64_t category = in->category_id ? in->category_id : s->category_id;
    if (category && (rc = route_of(x, category, in->region_id, s)) < 0)
        goto out;

    /* Other people's cases are for staff eyes only. */
    if (x->user && (x->user->roles & ROLE_STAFF)) {
        struct triage_dup_hit hits[APP_DUP_MAX + 1];
        struct case_actor actor;
        s->duplicates_checked = 1;
        app_actor(x->user, &actor);
        struct triage_dup_case q = {0,       x->now, in->has_location, in->lat,
                                    in->lon, text,   in->address,      category};
        struct triage_dup_sig *sig = arena_alloc(a, sizeof(*sig));
        triage_dup_sign(app->triage->dups, text, in->address, sig);
        s->dup_sig = sig;
        int n = triage_dup_query_signed(app->triage->dups, &q, sig, hits, APP_DUP_MAX + 1);
        if (defer) {
            s->pending = arena_alloc(a, sizeof(*s->pending));
            memcpy(s->pending->hits, hits, sizeof(hits));
            s->pending->n = n;
            s->pending->exclude_id = exclude_id;
        } else if ((rc = resolve_duplicates(app, x->conn, a, &actor, exclude_id, hits, n, s,
                                            x->err)) < 0) {
            goto out;
        }
    }
out:
    free(text);
    return rc;
}

int app_triage_suggest(const struct app_ctx *x, const struct case_new *in, int64_t exclude_id,
                       struct app_suggestion **out)
{
    return suggest(x, in, exclude_id, 0, out);
}

void app_triage_resolve(struct app *app, struct store_conn *c, struct arena *a,
                        const struct case_actor *actor, struct app_suggestion *s)
{
    if (!s || !s->pending)
        return;
    struct err e = ERR_INIT;
    if (resolve_duplicates(app, c, a, actor, s->pending->exclude_id, s->pending->hits,
                           s->pending->n, s, &e) < 0) {
        s->ndup = 0;
        log_msg(LOG_WARN, "triage: the duplicate candidates could not be read: %s", e.msg);
    }
    s->pending = NULL;
}

/* Probabilities, weights and scores are shown to four decimal places (a share of 0.01 %):
 * written with 17 digits, two printf calls each were ~3 % of intake's CPU. */
#define SHOWN_PLACES 4

/* {"id", "code"?, "name", "prob"}, or null for id 0. */
static void category_json(struct jw *w, int64_t id, const char *code, const char *name, double prob)
{
    if (!id) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    jw_kint(w, "id", id);
    if (code)
        jw_kstr(w, "code", code);
    jw_kstr(w, "name", name);
    jw_knum_places(w, "prob", prob, SHOWN_PLACES);
    jw_obj_end(w);
}

/* The members before "duplicates", the part recorded on the triage event. */
static void suggestion_members(struct jw *w, const struct app_suggestion *s)
{
    jw_kstr(w, "model_version", s->model_version);
    jw_key(w, "category");
    category_json(w, s->category_id, s->category_code, s->category_name, s->prob);
    jw_key(w, "alternatives");
    jw_arr(w);
    for (int i = 0; i < s->nalt; i++)
        category_json(w, s->alt[i].id, s->alt[i].code, s->alt[i].name, s->alt[i].prob);
    jw_arr_end(w);
    jw_key(w, "category_level1");
    category_json(w, s->level[0].id, NULL, s->level[0].name, s->level[0].prob);
    jw_key(w, "category_level2");
    category_json(w, s->level[1].id, NULL, s->level[1].name, s->level[1].prob);
    jw_key(w, "department");
    if (s->department_id) {
        jw_obj(w);
        jw_kint(w, "id", s->department_id);
        jw_kstr(w, "name", s->department_name);
        if (s->rule_id)
            jw_kint(w, "rule_id", s->rule_id);
        else
            jw_knull(w, "rule_id");
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "urgency");
    jw_obj(w);
    jw_kstr(w, "level", case_urgency_name((enum case_urgency)s->urgency.level));
    jw_knum_places(w, "score", s->urgency.score, SHOWN_PLACES);
    jw_key(w, "rules");
    jw_arr(w);
    for (int i = 0; i < s->urgency.nrules; i++)
        jw_str(w, s->urgency.rules[i]);
    jw_arr_end(w);
    jw_obj_end(w);
    jw_key(w, "why");
    jw_arr(w);
    for (int i = 0; i < s->nwhy; i++) {
        jw_obj(w);
        jw_kstr(w, "text", s->why[i].text);
        jw_knum_places(w, "weight", s->why[i].weight, SHOWN_PLACES);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void suggestion_duplicates(struct jw *w, const struct app_suggestion *s)
{
    if (s->duplicates_checked) {
        jw_key(w, "duplicates");
        jw_arr(w);
        for (int i = 0; i < s->ndup; i++) {
            jw_obj(w);
            jw_kint(w, "id", s->dup[i].id);
            jw_kstr(w, "number", s->dup[i].number);
            jw_kstr(w, "title", s->dup[i].title);
            jw_kstr(w, "state", s->dup[i].state);
            jw_knum_places(w, "score", s->dup[i].score, SHOWN_PLACES);
            jw_knum_places(w, "text_score", s->dup[i].text, SHOWN_PLACES);
            jw_kbool(w, "same_place", s->dup[i].same_place);
            jw_ktime(w, "created_at", s->dup[i].created_at);
            if (s->dup[i].address)
                jw_kstr(w, "address", s->dup[i].address);
            else
                jw_knull(w, "address");
            if (s->dup[i].meters >= 0)
                jw_knum(w, "meters", round(s->dup[i].meters));
            else
                jw_knull(w, "meters");
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
}

void app_suggestion_json(struct jw *w, const struct app_suggestion *s)
{
    if (s->json) {
        jw_raw(w, s->json);
        return;
    }
    jw_obj(w);
    suggestion_members(w, s);
    suggestion_duplicates(w, s);
    jw_obj_end(w);
}

/* The whole suggestion for the 201: 'members' (the recorded payload) with the duplicates
 * added before its closing brace. */
static const char *with_duplicates(struct arena *a, const char *members,
                                   const struct app_suggestion *s)
{
    if (!s->duplicates_checked)
        return members;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    suggestion_duplicates(&w, s);
    jw_obj_end(&w);
    size_t nm = strlen(members) - 1; /* without its '}' */
    int comma = nm > 1;              /* "{" alone has no member to follow */
    char *out = arena_alloc(a, nm + (size_t)comma + w.b.len);
    memcpy(out, members, nm);
    if (comma)
        out[nm] = ',';
    memcpy(out + nm + comma, w.b.p + 1, w.b.len); /* '{' dropped, its NUL kept */
    jw_release(&w);
    return out;
}

/* The suggestion as recorded on the case's triage event (no duplicates: they change), and
 * s->json, the whole of it for the 201, from one serialisation: written twice, the suggestion
 * (its probabilities' formatting mostly) was ~9% of the HTTP thread's samples under intake.
 * With candidates still to read, s->json waits for app_triage_finish(). */
static const char *payload_of(const struct app_ctx *x, struct app_suggestion *s)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    suggestion_members(&w, s);
    jw_obj_end(&w);
    s->members_json = arena_strdup(x->arena, w.b.p);
    jw_release(&w);
    if (!s->pending)
        s->json = with_duplicates(x->arena, s->members_json, s);
    return s->members_json;
}

void app_triage_finish(struct arena *a, struct app_suggestion *s)
{
    if (s && !s->pending && !s->json && s->members_json)
        s->json = with_duplicates(a, s->members_json, s);
}

int app_triage_intake(const struct app_ctx *x, struct case_new *in, struct app_suggestion **out)
{
    struct app_suggestion *s;
    /* On SQLite the candidates are read by the intake's job (app_triage_resolve): there the
     * writer's connection has their pages, where this thread's starts every read from an
     * emptied cache (api_case.c, create_run). */
    int rc = suggest(x, in, 0, store_dialect(x->conn) == STORE_SQLITE, &s);
    if (rc < 0)
        return rc;
    *out = s;
    in->triage_category_id = s->category_id;
    in->triage_department_id = s->department_id;
    in->triage_prob = s->prob;
    in->triage_payload = payload_of(x, s);
    if (!in->category_id && s->category_id &&
        s->prob * 1000 >= x->app->d.conf->triage_apply_threshold)
        in->category_id = s->category_id;
    /* Urgent wording raises the urgency the caller left to the category, never lowers it. */
    if (in->urgency < 0 && s->urgency.level > 0) {
        int level = s->urgency.level;
        if (in->category_id) {
            struct org_category k;
            if ((rc = org_category_get(x->conn, in->category_id, x->arena, &k, x->err)) == 0 &&
                (int)k.urgency > level)
                level = (int)k.urgency;
            else if (rc < 0 && rc != ERR_NOT_FOUND)
                return rc;
        }
        in->urgency = level;
    }
    return 0;
}

const struct triage_model *app_triage_model(struct app *app, int force)
{
    return app->triage ? reload_if_changed(app, force) : NULL;
}

const char *app_triage_path(const struct app *app)
{
    return app->triage ? app->triage->path : "";
}
