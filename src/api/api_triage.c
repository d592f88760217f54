/*
 * Triage in the API: the current model (hot-swapped when its file changes or an admin
 * retrains), the in-memory duplicate index over open cases, suggestions at intake and on
 * demand, hot topics over live cases, and the routing table endpoints.
 *
 * A model is immutable once loaded, so readers use it without a lock; a replaced model is
 * kept until api_free() because requests in flight may still hold it (as the calendar).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "case/case.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "triage/triage.h"

#define DUP_MAX 8
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
    struct label_cat *cats;            /* sorted by code */
    int *of_label;                     /* per model label: index in cats, -1 if none */
    struct label_map *retired_next;
};

struct api_triage {
    pthread_mutex_t lock;
    struct label_map *map;
    struct label_map *retired_maps;
    struct triage_model *model;       /* NULL: no model file yet */
    struct retired_model *retired;
    char *path;
    struct stat seen;                 /* the file the model came from */
    int64_t checked_at;               /* last stat of the file (seconds) */
    struct triage_dup_index *dups;
};

struct api_suggestion {
    const char *model_version;        /* NULL: no model */
    int64_t category_id;
    const char *category_code, *category_name;
    double prob;
    int nalt;
    struct { int64_t id; const char *code, *name; double prob; } alt[TRIAGE_TOPK];
    struct {                          /* the ancestors at levels 1 and 2, with summed probability */
        int64_t id;
        const char *name;
        double prob;
    } level[2];
    int64_t department_id;
    const char *department_name;
    int64_t rule_id;
    struct triage_urgency urgency;
    int nwhy;
    struct triage_feature why[TRIAGE_WHY];
    int duplicates_checked;           /* 0 for callers who may not see other people's cases */
    int ndup;
    struct { int64_t id; const char *number, *title, *state; double score, meters; } dup[DUP_MAX];
};

static const char *model_path(const struct api *api)
{
    return api->triage->path;
}

/* Load the file when it differs from the one the current model came from; the model to use
 * (NULL: none yet). The file is looked at no more than once a second unless 'force'. */
static const struct triage_model *reload_if_changed(struct api *api, int force)
{
    struct api_triage *t = api->triage;
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
         st.st_mtim.tv_sec == t->seen.st_mtim.tv_sec && st.st_mtim.tv_nsec == t->seen.st_mtim.tv_nsec &&
         st.st_size == t->seen.st_size))
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
    log_msg(LOG_INFO, "triage: model %s loaded from %s (%d labels)", triage_model_version(loaded), t->path,
            triage_model_nlabels(loaded));
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

char *api_triage_model_path(const struct conf *cf)
{
    if (cf->triage_model && *cf->triage_model)
        return xstrdup(cf->triage_model);
    size_t len = mem_size_add(strlen(cf->db), sizeof(".triage"));
    char *path = xmalloc(len);
    snprintf(path, len, "%s.triage", cf->db);
    return path;
}

int api_start_triage(struct api *api, struct err *err)
{
    struct api_triage *t = xcalloc(1, sizeof(*t));
    const struct conf *cf = api->d.conf;
    pthread_mutex_init(&t->lock, NULL);
    t->path = api_triage_model_path(cf);
    struct triage_dup_opts o = {
        .window_seconds = (int64_t)cf->dup_window_days * 86400,
        .max_meters = cf->dup_max_meters,
        .min_score = cf->dup_min_score / 1000.0,
    };
    t->dups = triage_dup_new(&o);
    api->triage = t;
    reload_if_changed(api, 1);

    /* Open cases of the window go into the duplicate index. */
    struct store_conn *c;
    struct store_stmt *s;
    int rc;
    int64_t since = clock_now(&api->d.clock) + atomic_load(&api->clock_offset) - o.window_seconds;
    if ((rc = store_conn(api->d.store, &c, err)) < 0 ||
        (rc = store_query(c, &s, err,
                          "SELECT id, created_at, lat IS NOT NULL, coalesce(lat, 0), coalesce(lon, 0), title, description"
                          " FROM cases WHERE created_at >= ? AND state NOT IN ('closed', 'cancelled', 'merged')",
                          "i", since)) < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        char *text = case_text(store_col_text(s, 5), store_col_text(s, 6));
        triage_dup_add(t->dups, store_col_int(s, 0), store_col_int(s, 1), (int)store_col_int(s, 2),
                       store_col_real(s, 3), store_col_real(s, 4), text);
        free(text);
    }
    store_done(s);
    if (rc < 0)
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

/* The label map for 'm' at the organisation version of this call (valid until api_free). */
static int label_map_of(struct api_call *call, const struct triage_model *m, const struct label_map **out)
{
    struct api_triage *t = call->api->triage;
    int64_t version = atomic_load(&call->api->org_version);
    struct store_stmt *s;
    int rc = 0;
    pthread_mutex_lock(&t->lock);
    if (t->map && t->map->model == m && t->map->org_version == version)
        goto out;
    struct label_map *map = xcalloc(1, sizeof(*map));
    size_t cap = 64;
    map->model = m;
    map->org_version = version;
    map->cats = xmalloc(cap * sizeof(*map->cats));
    if ((rc = store_query(call->conn, &s, &call->err, "SELECT id, code, name, active FROM categories ORDER BY code", "")) < 0) {
        label_map_free(map);
        goto out;
    }
    while ((rc = store_step(s, &call->err)) == 1) {
        if (map->ncats == cap) {
            cap *= 2;
            map->cats = xrealloc(map->cats, mem_size_mul(cap, sizeof(*map->cats)));
        }
        struct label_cat *c = &map->cats[map->ncats++];
        c->id = store_col_int(s, 0);
        c->code = xstrdup(store_col_text(s, 1));
        c->name = xstrdup(store_col_text(s, 2));
        c->active = (int)store_col_int(s, 3);
    }
    store_done(s);
    if (rc < 0) {
        label_map_free(map);
        goto out;
    }
    /* ORDER BY code is SQLite's byte order, the same as strcmp's, which bsearch relies on. */
    int n = triage_model_nlabels(m);
    map->of_label = xmalloc(mem_size_mul((size_t)(n > 0 ? n : 1), sizeof(int)));
    for (int i = 0; i < n; i++) {
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

void api_triage_free(struct api *api)
{
    struct api_triage *t = api->triage;
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
    pthread_mutex_destroy(&t->lock);
    free(t->path);
    free(t);
    api->triage = NULL;
}

void api_triage_indexed(struct api *api, int64_t id, int64_t at, const struct case_new *in)
{
    if (!api->triage)
        return;
    char *text = case_text(in->title, in->description);
    triage_dup_add(api->triage->dups, id, at, in->has_location, in->lat, in->lon, text);
    free(text);
}

/* ---------------------------------------------------------------- suggestions */

int api_triage_suggest(struct api_call *call, const struct case_new *in, int64_t exclude_id,
                       struct api_suggestion **out)
{
    struct api *api = call->api;
    struct arena *a = call->req->arena;
    struct api_suggestion *s = arena_alloc(a, sizeof(*s));
    char *text = case_text(in->title, in->description);
    int rc = 0;
    memset(s, 0, sizeof(*s));
    *out = s;
    triage_urgency(text, &s->urgency);
    if (!api->triage)
        goto out;

    const struct triage_model *m = reload_if_changed(api, 0);
    const struct label_map *map;
    struct triage_result r;
    if (m && triage_classify(m, text, &r) == 0) {
        if ((rc = label_map_of(call, m, &map)) < 0)
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
    if (category) {
        struct triage_route route;
        if ((rc = triage_route(call->conn, category, in->region_id, &route, &call->err)) < 0)
            goto out;
        if (route.department_id) {
            struct org_department d;
            if ((rc = org_department_get(call->conn, route.department_id, a, &d, &call->err)) < 0)
                goto out;
            s->department_id = d.id;
            s->department_name = d.name;
            s->rule_id = route.rule_id;
        }
    }

    /* Other people's cases are for staff eyes only. */
    if (call->user && (call->user->roles & ROLE_STAFF)) {
        struct triage_dup_hit hits[DUP_MAX + 1];
        struct case_env env;
        struct case_actor actor;
        struct case_config cfg;
        s->duplicates_checked = 1;
        if ((rc = api_case_env(call, &env, &actor, &cfg)) < 0)
            goto out;
        int n = triage_dup_query(api->triage->dups, text, call->now, in->has_location, in->lat, in->lon, hits,
                                 DUP_MAX + 1);
        int64_t ids[DUP_MAX + 1];
        struct case_rec recs[CASE_MANY_MAX];
        int nrecs;
        for (int i = 0; i < n; i++)
            ids[i] = hits[i].id;
        if (n && (rc = case_get_many(call->conn, ids, n, a, recs, &nrecs, &call->err)) < 0)
            goto out;
        for (int i = 0; i < n && s->ndup < DUP_MAX; i++) {
            const struct case_rec *c = NULL;
            for (int j = 0; j < nrecs && !c; j++)
                if (recs[j].id == hits[i].id)
                    c = &recs[j];
            if (hits[i].id == exclude_id)
                continue;
            if (!c || case_state_is_final(c->state)) {
                /* Finished since it was indexed: no longer a merge target. */
                triage_dup_remove(api->triage->dups, hits[i].id);
                continue;
            }
            if (!case_visible(&actor, c))
                continue;
            s->dup[s->ndup].id = c->id;
            s->dup[s->ndup].number = c->number;
            s->dup[s->ndup].title = c->title;
            s->dup[s->ndup].state = case_state_name(c->state);
            s->dup[s->ndup].score = hits[i].score;
            s->dup[s->ndup].meters = hits[i].meters;
            s->ndup++;
        }
    }
out:
    free(text);
    return rc;
}

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
    jw_knum(w, "prob", prob);
    jw_obj_end(w);
}

void api_triage_json(struct jw *w, const struct api_suggestion *s)
{
    jw_obj(w);
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
    jw_knum(w, "score", s->urgency.score);
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
        jw_knum(w, "weight", s->why[i].weight);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    if (s->duplicates_checked) {
        jw_key(w, "duplicates");
        jw_arr(w);
        for (int i = 0; i < s->ndup; i++) {
            jw_obj(w);
            jw_kint(w, "id", s->dup[i].id);
            jw_kstr(w, "number", s->dup[i].number);
            jw_kstr(w, "title", s->dup[i].title);
            jw_kstr(w, "state", s->dup[i].state);
            jw_knum(w, "score", s->dup[i].score);
            if (s->dup[i].meters >= 0)
                jw_knum(w, "meters", round(s->dup[i].meters));
            else
                jw_knull(w, "meters");
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

/* The suggestion as recorded on the case's triage event (no duplicates: they change). */
static const char *payload_of(struct api_call *call, const struct api_suggestion *s)
{
    struct api_suggestion copy = *s;
    struct jw w;
    copy.duplicates_checked = 0;
    jw_init(&w);
    api_triage_json(&w, &copy);
    const char *out = arena_strdup(call->req->arena, w.b.p);
    jw_release(&w);
    return out;
}

int api_triage_intake(struct api_call *call, struct case_new *in, struct api_suggestion **out)
{
    struct api_suggestion *s;
    int rc = api_triage_suggest(call, in, 0, &s);
    if (rc < 0)
        return rc;
    *out = s;
    in->triage_category_id = s->category_id;
    in->triage_department_id = s->department_id;
    in->triage_prob = s->prob;
    in->triage_payload = payload_of(call, s);
    if (!in->category_id && s->category_id && s->prob * 1000 >= call->api->d.conf->triage_apply_threshold)
        in->category_id = s->category_id;
    /* Urgent wording raises the urgency the caller left to the category, never lowers it. */
    if (in->urgency < 0 && s->urgency.level > 0) {
        int level = s->urgency.level;
        if (in->category_id) {
            struct org_category k;
            if ((rc = org_category_get(call->conn, in->category_id, call->req->arena, &k, &call->err)) == 0 &&
                (int)k.urgency > level)
                level = (int)k.urgency;
            else if (rc < 0 && rc != ERR_NOT_FOUND)
                return rc;
        }
        in->urgency = level;
    }
    return 0;
}

static const struct json_field suggest_fields[] = {
    {"title", JT_STRING, JF_NULLABLE, 0, 200, NULL},
    {"description", JT_STRING, JF_REQUIRED, 1, 5000, NULL},
    {"category", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"lat", JT_NUMBER, JF_NULLABLE, -90, 90, NULL},
    {"lon", JT_NUMBER, JF_NULLABLE, -180, 180, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_triage_suggest_post(struct api_call *call)
{
    struct case_new in = {0};
    struct api_suggestion *s;
    int rc;
    if ((rc = json_check(call->body, suggest_fields, &call->err)) < 0)
        return rc;
    int has_lat = json_get(call->body, "lat") != NULL, has_lon = json_get(call->body, "lon") != NULL;
    if (has_lat != has_lon)
        return err_field(&call->err, ERR_BAD_REQUEST, has_lat ? "lon" : "lat", "'lat' and 'lon' come together");
    in.title = json_get_str(call->body, "title");
    in.description = json_get_str(call->body, "description");
    in.category_id = json_get_int(call->body, "category", 0);
    in.has_location = has_lat;
    in.lat = json_get_num(call->body, "lat", 0);
    in.lon = json_get_num(call->body, "lon", 0);
    in.region_id = json_get_int(call->body, "region_id", 0);
    if (!in.region_id && in.has_location && (rc = api_locate_region(call, in.lat, in.lon, &in.region_id)) < 0)
        return rc;
    if ((rc = api_triage_suggest(call, &in, 0, &s)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    api_triage_json(&w, s);
    return api_reply(call, 200, &w);
}

/* GET /cases/{id}/triage: the suggestion for an existing case, as the dispatcher sees it now. */
int api_triage_case(struct api_call *call)
{
    int64_t id;
    struct case_rec r;
    struct api_suggestion *s;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = case_get(call->conn, id, call->req->arena, &r, &call->err)) < 0)
        return rc;
    struct case_new in = {.title = r.title, .description = r.description, .has_location = r.has_location,
                          .lat = r.lat, .lon = r.lon, .region_id = r.region_id};
    if ((rc = api_triage_suggest(call, &in, id, &s)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    api_triage_json(&w, s);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- the model */

static void model_json(struct api_call *call, struct jw *w)
{
    const struct triage_model *m = reload_if_changed(call->api, 0);
    jw_obj(w);
    jw_kstr(w, "path", model_path(call->api));
    jw_kstr(w, "version", m ? triage_model_version(m) : NULL);
    jw_kint(w, "labels", m ? triage_model_nlabels(m) : 0);
    struct store_stmt *s;
    struct err ignore = ERR_INIT;
    jw_key(w, "last_training");
    if (store_query(call->conn, &s, &ignore,
                    "SELECT at, version, examples, labels, source, actor FROM triage_trainings ORDER BY id DESC LIMIT 1",
                    "") == 0 &&
        store_step(s, &ignore) == 1) {
        jw_obj(w);
        jw_ktime(w, "at", store_col_int(s, 0));
        jw_kstr(w, "version", store_col_text(s, 1));
        jw_kint(w, "examples", store_col_int(s, 2));
        jw_kint(w, "labels", store_col_int(s, 3));
        jw_kstr(w, "source", store_col_text(s, 4));
        jw_kstr(w, "actor", store_col_text(s, 5));
        jw_obj_end(w);
        store_done(s);
    } else {
        store_done(NULL);
        jw_null(w);
    }
    int64_t n = 0, corrected = 0;
    store_query_int(call->conn, &n, &ignore, "SELECT count(*) FROM triage_examples", "");
    store_query_int(call->conn, &corrected, &ignore, "SELECT count(*) FROM triage_examples WHERE corrected", "");
    jw_kint(w, "dispatcher_examples", n);
    jw_kint(w, "dispatcher_corrections", corrected);
    jw_obj_end(w);
}

int api_triage_model_get(struct api_call *call)
{
    struct jw w;
    jw_init(&w);
    model_json(call, &w);
    return api_reply(call, 200, &w);
}

int api_triage_train_from_db(struct store_conn *c, const char *path, const char *actor, int64_t now,
                             char *version, size_t *examples, int *labels, struct err *err)
{
    struct arena a;
    const char **texts, **lbls;
    size_t n;
    struct triage_model *m = NULL;
    struct triage_train_opts opts = {.threads = 1, .quiet = 1};
    char tmp[4096];
    int rc;
    arena_init(&a, 1 << 16);
    if ((rc = triage_examples_load(c, &a, &texts, &lbls, &n, err)) < 0)
        goto out;
    if ((rc = triage_train(texts, lbls, n, &opts, &m, err)) < 0)
        goto out;
    /* Write beside the target and rename: a running server never reads half a file. */
    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        rc = err_set(err, ERR_BAD_REQUEST, "model path too long");
        goto out;
    }
    if ((rc = triage_model_save(m, tmp, err)) < 0)
        goto out;
    if (rename(tmp, path) != 0) {
        rc = err_set(err, ERR_IO, "cannot replace '%s': %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    snprintf(version, TRIAGE_LABEL_MAX, "%s", triage_model_version(m));
    *examples = n;
    *labels = triage_model_nlabels(m);
    if (store_exec(c, err,
                   "INSERT INTO triage_trainings(at, version, examples, labels, source, actor) VALUES (?, ?, ?, ?, 'db', ?)",
                   "itidt", now, version, (int64_t)n, *labels, actor) < 0)
        rc = err->code;
out:
    triage_model_free(m);
    arena_release(&a);
    return rc;
}

/* No options yet; the body is an object so that they can be added without a new route. */
static const struct json_field train_fields[] = {
    {NULL, 0, 0, 0, 0, NULL},
};

int api_triage_train(struct api_call *call)
{
    char version[TRIAGE_LABEL_MAX];
    size_t n;
    int labels, rc;
    if ((rc = json_check(call->body, train_fields, &call->err)) < 0)
        return rc;
    if ((rc = api_triage_train_from_db(call->conn, model_path(call->api), call->user->name, call->now, version, &n,
                                       &labels, &call->err)) < 0)
        return rc;
    reload_if_changed(call->api, 1);
    if ((rc = api_audit_only(call, "triage.train", "triage/model",
                             arena_printf(call->req->arena, "{\"version\":\"%s\",\"examples\":%zu}", version, n))) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    model_json(call, &w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- hot topics */

int api_triage_hot(struct api_call *call)
{
    int64_t days, limit;
    struct store_stmt *s;
    struct arena *a = call->req->arena;
    int rc;
    if ((rc = api_query_int(call, "days", 7, 1, 365, &days)) < 0 || (rc = api_query_int(call, "limit", 10, 1, 100, &limit)) < 0)
        return rc;
    size_t cap = 1024, n = 0;
    struct triage_hot_msg *msgs = arena_alloc(a, cap * sizeof(*msgs));
    if ((rc = store_query(call->conn, &s, &call->err,
                          "SELECT id, created_at, CASE WHEN citizen_phone_hash <> '' THEN citizen_phone_hash"
                          " ELSE 'u' || coalesce(created_by, id) END, title, description FROM cases"
                          " WHERE created_at >= ? AND state NOT IN ('cancelled', 'merged') ORDER BY id DESC LIMIT ?",
                          "ii", call->now - days * 86400, (int64_t)HOT_CASES_MAX)) < 0)
        return rc;
    while ((rc = store_step(s, &call->err)) == 1) {
        if (n == cap) {
            struct triage_hot_msg *bigger = arena_alloc(a, mem_size_mul(cap * 2, sizeof(*bigger)));
            memcpy(bigger, msgs, cap * sizeof(*msgs));
            msgs = bigger;
            cap *= 2;
        }
        msgs[n].id = store_col_int(s, 0);
        msgs[n].at = store_col_int(s, 1);
        msgs[n].author = arena_strdup(a, store_col_text(s, 2));
        msgs[n].title = arena_strdup(a, store_col_text(s, 3));
        msgs[n].text = arena_strdup(a, store_col_text(s, 4));
        msgs[n].likes = 0;
        n++;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    struct triage_hot_opts o = {.window_seconds = days * 86400, .min_similarity = 0.3, .min_size = 2, .limit = (int)limit};
    struct triage_hot_topic *topics;
    int ntopics;
    if ((rc = triage_hot(msgs, n, &o, a, &topics, &ntopics, &call->err)) < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kint(&w, "days", days);
    jw_kint(&w, "cases", (int64_t)n);
    jw_key(&w, "topics");
    jw_arr(&w);
    for (int i = 0; i < ntopics; i++) {
        const struct triage_hot_topic *t = &topics[i];
        jw_obj(&w);
        jw_knum(&w, "heat", t->heat);
        jw_kint(&w, "count", t->count);
        jw_kint(&w, "authors", t->authors);
        jw_ktime(&w, "first_at", t->first_at);
        jw_ktime(&w, "last_at", t->last_at);
        jw_kstr(&w, "title", t->title);
        jw_kint(&w, "representative_id", t->representative_id);
        jw_key(&w, "places");
        jw_arr(&w);
        for (int j = 0; j < t->nplaces; j++)
            jw_str(&w, t->places[j]);
        jw_arr_end(&w);
        jw_key(&w, "case_ids");
        jw_arr(&w);
        for (int j = 0; j < t->nids; j++)
            jw_int(&w, t->ids[j]);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

/* ---------------------------------------------------------------- routing rules */

static void rule_json(struct jw *w, const struct triage_rule *r)
{
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kint(w, "category_id", r->category_id);
    jw_kstr(w, "category_code", r->category_code);
    jw_kstr(w, "category_name", r->category_name);
    if (r->region_id) {
        jw_kint(w, "region_id", r->region_id);
        jw_kstr(w, "region_name", r->region_name);
    } else {
        jw_knull(w, "region_id");
        jw_knull(w, "region_name");
    }
    jw_kint(w, "department_id", r->department_id);
    jw_kstr(w, "department_name", r->department_name);
    jw_kint(w, "priority", r->priority);
    jw_kstr(w, "note", r->note);
    jw_ktime(w, "created_at", r->created_at);
    jw_ktime(w, "updated_at", r->updated_at);
    jw_obj_end(w);
}

/* What the audit entry records of a rule. */
static const char *rule_digest(struct api_call *call, const struct triage_rule *r)
{
    return arena_printf(call->req->arena, "{\"category\":%lld,\"region\":%lld,\"department\":%lld,\"priority\":%d}",
                        (long long)r->category_id, (long long)r->region_id, (long long)r->department_id, r->priority);
}

static int reply_rule(struct api_call *call, int status, int64_t id)
{
    struct triage_rule r;
    int rc = triage_rule_get(call->conn, id, call->req->arena, &r, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    rule_json(&w, &r);
    return api_reply(call, status, &w);
}

int api_routing_rule_list(struct api_call *call)
{
    struct triage_rule *rules;
    size_t n;
    int rc = triage_rule_list(call->conn, call->req->arena, &rules, &n, &call->err);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        rule_json(&w, &rules[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_routing_rule_get(struct api_call *call)
{
    int64_t id;
    int rc = api_param_id(call, "id", &id);
    return rc < 0 ? rc : reply_rule(call, 200, id);
}

static const struct json_field rule_fields[] = {
    {"category_id", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT, JF_REQUIRED, 1, 9007199254740991.0, NULL},
    {"priority", JT_INT, 0, -TRIAGE_RULE_PRIORITY_MAX, TRIAGE_RULE_PRIORITY_MAX, NULL},
    {"note", JT_STRING, JF_NULLABLE, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field rule_patch_fields[] = {
    {"category_id", JT_INT, 0, 1, 9007199254740991.0, NULL},
    {"region_id", JT_INT, JF_NULLABLE, 1, 9007199254740991.0, NULL},
    {"department_id", JT_INT, 0, 1, 9007199254740991.0, NULL},
    {"priority", JT_INT, 0, -TRIAGE_RULE_PRIORITY_MAX, TRIAGE_RULE_PRIORITY_MAX, NULL},
    {"note", JT_STRING, JF_NULLABLE, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* The body over 'r' (zeroed for a create, the stored rule for a patch). */
static int rule_of(struct api_call *call, const struct json_field *fields, struct triage_rule *r)
{
    int rc = json_check(call->body, fields, &call->err);
    if (rc < 0)
        return rc;
    r->category_id = json_get_int(call->body, "category_id", r->category_id);
    if (json_has(call->body, "region_id"))
        r->region_id = json_get_int(call->body, "region_id", 0);
    r->department_id = json_get_int(call->body, "department_id", r->department_id);
    r->priority = (int)json_get_int(call->body, "priority", r->priority);
    if (json_has(call->body, "note"))
        r->note = json_get_str(call->body, "note");
    return 0;
}

int api_routing_rule_create(struct api_call *call)
{
    struct triage_rule r = {0};
    int64_t id;
    int rc;
    if ((rc = rule_of(call, rule_fields, &r)) < 0 || (rc = api_begin(call)) < 0)
        return rc;
    if ((rc = triage_rule_create(call->conn, &r, call->now, &id, &call->err)) < 0)
        return rc;
    const char *target = arena_printf(call->req->arena, "routing_rule/%lld", (long long)id);
    const char *after = rule_digest(call, &r);
    if ((rc = api_commit(call, "routing_rule.create", target, NULL, after)) < 0)
        return rc;
    http_res_header(call->res, "Location", arena_printf(call->req->arena, "/api/v1/routing-rules/%lld", (long long)id));
    return reply_rule(call, 201, id);
}

int api_routing_rule_update(struct api_call *call)
{
    struct triage_rule r;
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0 ||
        (rc = triage_rule_get(call->conn, id, call->req->arena, &r, &call->err)) < 0 ||
        (rc = rule_of(call, rule_patch_fields, &r)) < 0)
        return rc;
    if ((rc = triage_rule_update(call->conn, id, &r, call->now, &call->err)) < 0)
        return rc;
    const char *target = arena_printf(call->req->arena, "routing_rule/%lld", (long long)id);
    const char *after = rule_digest(call, &r);
    if ((rc = api_commit(call, "routing_rule.update", target, NULL, after)) < 0)
        return rc;
    return reply_rule(call, 200, id);
}

int api_routing_rule_delete(struct api_call *call)
{
    int64_t id;
    int rc;
    if ((rc = api_param_id(call, "id", &id)) < 0 || (rc = api_begin(call)) < 0)
        return rc;
    if ((rc = triage_rule_delete(call->conn, id, &call->err)) < 0)
        return rc;
    if ((rc = api_commit(call, "routing_rule.delete", arena_printf(call->req->arena, "routing_rule/%lld", (long long)id),
                         NULL, NULL)) < 0)
        return rc;
    http_res_body(call->res, 204, NULL, "", 0, HTTP_BODY_STATIC);
    return 0;
}
