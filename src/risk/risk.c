/*
 * Risk grades: the rules, the score and its reasons, the grade kept per case (risk.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "risk/risk.h"
#include "store/store.h"

static const char *const LEVELS[RISK_LEVEL_COUNT] = {"low", "medium", "high"};

const char *risk_level_name(enum risk_level l)
{
    return (unsigned)l < RISK_LEVEL_COUNT ? LEVELS[l] : "?";
}

int risk_level_from_name(const char *s)
{
    for (int i = 0; s && i < RISK_LEVEL_COUNT; i++)
        if (strcmp(LEVELS[i], s) == 0)
            return i;
    return -1;
}

enum risk_level risk_level_of(double score)
{
    return score >= RISK_HIGH_AT ? RISK_HIGH : score >= RISK_MEDIUM_AT ? RISK_MEDIUM : RISK_LOW;
}

/* ---------------------------------------------------------------- rules */

typedef VEC(struct risk_rule) rule_vec;

static int read_rule(void *ctx, struct store_stmt *s)
{
    rule_vec *v = ctx;
    struct risk_rule *r = vec_push(v);
    r->id = store_col_int(s, 0);
    r->factor = arena_strdup(v->arena, store_col_text(s, 1));
    r->pattern = arena_strdup(v->arena, store_col_text(s, 2));
    r->weight = store_col_real(s, 3);
    r->label = arena_strdup(v->arena, store_col_text(s, 4));
    r->active = store_col_int(s, 5) != 0;
    r->updated_at = store_col_int(s, 6);
    return 0;
}

int risk_rule_list(struct store_conn *c, int active_only, struct arena *a, struct risk_rule **out,
                   size_t *n, struct err *err)
{
    rule_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT id, factor, pattern, weight, label, active, updated_at"
                           " FROM risk_rules WHERE (? = 0 OR active = 1) ORDER BY factor, id",
                           STORE_ARGS(store_i64(active_only)), read_rule, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

static int text_ok(const char *s, size_t max)
{
    return s && *s && utf8_invalid_at(s, strlen(s)) < 0 && utf8_len(s) <= max;
}

int risk_rule_set(struct store_conn *c, const struct risk_rule *r, int64_t now, int64_t *id,
                  struct err *err)
{
    const char *f = r->factor ? r->factor : "";
    int word = strcmp(f, "word") == 0, category = strcmp(f, "category") == 0;
    int history = strcmp(f, "history") == 0, place = strcmp(f, "place") == 0;
    if (!word && !category && !history && !place)
        return err_field(err, ERR_BAD_REQUEST, "factor",
                         "field 'factor' must be word, category, history or place");
    if (!text_ok(r->pattern, RISK_PATTERN_MAX) ||
        (history && strcmp(r->pattern, "repeat") != 0 && strcmp(r->pattern, "unsolved") != 0) ||
        (place && strcmp(r->pattern, "spike") != 0))
        return err_field(err, ERR_BAD_REQUEST, "pattern",
                         "field 'pattern' must be a word or a category code (1 to %d characters),"
                         " 'repeat' or 'unsolved' for history, 'spike' for place",
                         RISK_PATTERN_MAX);
    if (!isfinite(r->weight) || r->weight < -100 || r->weight > 100)
        return err_field(err, ERR_BAD_REQUEST, "weight", "field 'weight' must be -100 to 100");
    if (!text_ok(r->label, RISK_LABEL_MAX))
        return err_field(err, ERR_BAD_REQUEST, "label", "field 'label' must be 1 to %d characters",
                         RISK_LABEL_MAX);
    int rc = store_one(c, "SELECT 1 FROM risk_rules WHERE factor = ? AND pattern = ? AND id <> ?",
                       STORE_ARGS(store_text(f), store_text(r->pattern), store_i64(r->id)), NULL,
                       NULL, err);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return err_field(err, ERR_CONFLICT, "pattern", "a %s rule for '%s' exists already", f,
                         r->pattern);
    if (r->id) {
        int64_t n =
            store_run(c,
                      "UPDATE risk_rules SET factor = ?, pattern = ?, weight = ?, label = ?,"
                      " active = ?, updated_at = ? WHERE id = ?",
                      STORE_ARGS(store_text(f), store_text(r->pattern), store_real(r->weight),
                                 store_text(r->label), store_i64(r->active ? 1 : 0), store_i64(now),
                                 store_i64(r->id)),
                      err);
        if (n < 0)
            return (int)n;
        *id = r->id;
        return n ? 0 : err_set(err, ERR_NOT_FOUND, "rule %lld does not exist", (long long)r->id);
    }
    rc = store_one_i64(c,
                       "INSERT INTO risk_rules(factor, pattern, weight, label, active, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_text(f), store_text(r->pattern), store_real(r->weight),
                                  store_text(r->label), store_i64(r->active ? 1 : 0),
                                  store_i64(now)),
                       id, err);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- the score */

static void add(struct risk_score *s, const char *label, double weight)
{
    s->score += weight;
    if (s->nreasons < RISK_REASONS_MAX)
        s->reasons[s->nreasons++] = (struct risk_reason){label, weight};
}

static int capped(int n)
{
    return n < RISK_HISTORY_MAX ? n : RISK_HISTORY_MAX;
}

void risk_features(const struct risk_rule *rules, size_t n, const struct risk_facts *f, double *x)
{
    const char *text = f->text ? f->text : "";
    const char *code = f->category_code ? f->category_code : "";
    for (size_t i = 0; i < n; i++) {
        const struct risk_rule *r = &rules[i];
        int k = 0;
        if (!r->active)
            k = 0;
        else if (strcmp(r->factor, "word") == 0)
            k = strstr(text, r->pattern) != NULL;
        else if (strcmp(r->factor, "category") == 0)
            k = *code && strncmp(code, r->pattern, strlen(r->pattern)) == 0;
        else if (strcmp(r->factor, "history") == 0)
            k = strcmp(r->pattern, "repeat") == 0     ? capped(f->repeats)
                : strcmp(r->pattern, "unsolved") == 0 ? capped(f->unsolved)
                                                      : 0;
        else if (strcmp(r->factor, "place") == 0)
            k = strcmp(r->pattern, "spike") == 0 && f->spike;
        x[i] = k;
    }
}

void risk_assess(const struct risk_rule *rules, size_t n, const struct risk_facts *f,
                 struct risk_score *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        double x;
        risk_features(&rules[i], 1, f, &x);
        if (x > 0)
            add(out, rules[i].label, rules[i].weight * x);
    }
    if (out->score < 0)
        out->score = 0;
    out->level = risk_level_of(out->score);
}

/* ---------------------------------------------------------------- grades */

int risk_grade_store(struct store_conn *c, int64_t id, const struct risk_score *s, int64_t now,
                     struct err *err)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '[');
    for (int i = 0; i < s->nreasons; i++) {
        buf_puts(&b, i ? ",{\"label\":" : "{\"label\":");
        buf_json_str(&b, s->reasons[i].label);
        buf_printf(&b, ",\"weight\":%.6g}", s->reasons[i].weight);
    }
    buf_putc(&b, ']');
    int64_t rc = store_run(
        c,
        "INSERT INTO case_risks(case_id, score, level, reasons, computed_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET score = excluded.score, level = excluded.level,"
        " reasons = excluded.reasons, computed_at = excluded.computed_at",
        STORE_ARGS(store_i64(id), store_real(s->score), store_text(LEVELS[s->level]),
                   store_text(b.p), store_i64(now)),
        err);
    buf_release(&b);
    return rc < 0 ? (int)rc : 0;
}

struct grade_read {
    struct risk_grade *g;
    struct arena *a;
};

static int read_grade(void *ctx, struct store_stmt *s)
{
    struct grade_read *q = ctx;
    struct risk_grade *g = q->g;
    g->case_id = store_col_int(s, 0);
    g->score = store_col_real(s, 1);
    g->level = (enum risk_level)risk_level_from_name(store_col_text(s, 2));
    g->reasons = arena_strdup(q->a, store_col_text(s, 3));
    g->computed_at = store_col_int(s, 4);
    g->confirmed = !store_col_is_null(s, 5);
    g->confirmed_level =
        g->confirmed ? (enum risk_level)risk_level_from_name(store_col_text(s, 5)) : g->level;
    g->confirmed_by = arena_strdup(q->a, store_col_text(s, 6));
    g->confirmed_at = store_col_int(s, 7);
    g->note = arena_strdup(q->a, store_col_text(s, 8));
    return 0;
}

int risk_grade_get(struct store_conn *c, int64_t id, struct arena *a, struct risk_grade *out,
                   struct err *err)
{
    struct grade_read q = {out, a};
    int rc = store_one(c,
                       "SELECT g.case_id, g.score, g.level, g.reasons, g.computed_at,"
                       " g.confirmed_level, coalesce(nullif(u.display_name, ''), u.name, ''),"
                       " coalesce(g.confirmed_at, 0), g.note FROM case_risks g"
                       " LEFT JOIN users u ON u.id = g.confirmed_by WHERE g.case_id = ?",
                       STORE_ARGS(store_i64(id)), read_grade, &q, err);
    if (rc < 0)
        return rc;
    return rc ? 0 : err_set(err, ERR_NOT_FOUND, "case %lld has no risk grade", (long long)id);
}

int risk_grade_confirm(struct store_conn *c, int64_t id, enum risk_level level, const char *note,
                       int64_t user_id, int64_t now, struct err *err)
{
    struct arena a;
    struct risk_grade g;
    int rc;
    if ((unsigned)level >= RISK_LEVEL_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "level",
                         "field 'level' must be high, medium or low");
    arena_init(&a, 1024);
    if ((rc = risk_grade_get(c, id, &a, &g, err)) < 0)
        goto out;
    if (level > g.level) {
        rc = err_field(err, ERR_BAD_REQUEST, "level",
                       "a grade is confirmed or lowered, not raised (computed: %s)",
                       LEVELS[g.level]);
        goto out;
    }
    if (note && *note &&
        (utf8_invalid_at(note, strlen(note)) >= 0 || utf8_len(note) > RISK_NOTE_MAX)) {
        rc = err_field(err, ERR_BAD_REQUEST, "note", "field 'note' must be at most %d characters",
                       RISK_NOTE_MAX);
        goto out;
    }
    if (level < g.level && (!note || !*note)) {
        rc = err_field(err, ERR_BAD_REQUEST, "note", "say why the grade is lowered");
        goto out;
    }
    int64_t r = store_run(c,
                          "UPDATE case_risks SET confirmed_level = ?, confirmed_by = ?,"
                          " confirmed_at = ?, note = ? WHERE case_id = ?",
                          STORE_ARGS(store_text(LEVELS[level]), store_i64(user_id), store_i64(now),
                                     store_text(note ? note : ""), store_i64(id)),
                          err);
    if (r >= 0)
        r = store_run(c,
                      "INSERT INTO risk_corrections(case_id, from_level, to_level, score, reasons,"
                      " note, user_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(store_i64(id), store_text(LEVELS[g.level]),
                                 store_text(LEVELS[level]), store_real(g.score),
                                 store_text(g.reasons), store_text(note ? note : ""),
                                 store_i64(user_id), store_i64(now)),
                      err);
    rc = r < 0 ? (int)r : 0;
out:
    arena_release(&a);
    return rc;
}

/* ---------------------------------------------------------------- re-fitting */

struct example_ctx {
    const struct risk_rule *rules;
    size_t nrules;
    const char *spike_label; /* JSON-quoted label of the place rule, or NULL */
    struct arena *a;
    struct vec_ex {
        struct risk_example *v;
        size_t n, cap;
    } ex;
};

static int example_row(void *ctx, struct store_stmt *s)
{
    struct example_ctx *k = ctx;
    int level = risk_level_from_name(store_col_text(s, 0));
    if (level < 0)
        return 0;
    const char *reasons = store_col_text(s, 4);
    struct risk_facts f = {
        .text = arena_printf(k->a, "%s %s", store_col_text(s, 1), store_col_text(s, 2)),
        .category_code = arena_strdup(k->a, store_col_text(s, 3)),
        .repeats = (int)store_col_int(s, 5),
        .unsolved = (int)store_col_int(s, 6),
        .spike = k->spike_label && reasons && strstr(reasons, k->spike_label) != NULL,
    };
    if (k->ex.n == k->ex.cap) {
        size_t cap = k->ex.cap ? k->ex.cap * 2 : 64;
        struct risk_example *v = arena_alloc(k->a, mem_size_mul(cap, sizeof(*v)));
        if (k->ex.n)
            memcpy(v, k->ex.v, k->ex.n * sizeof(*v));
        k->ex.v = v;
        k->ex.cap = cap;
    }
    struct risk_example *e = &k->ex.v[k->ex.n++];
    e->x = arena_alloc(k->a, mem_size_mul(k->nrules ? k->nrules : 1, sizeof(double)));
    e->target = (enum risk_level)level;
    risk_features(k->rules, k->nrules, &f, e->x);
    return 0;
}

int risk_refit_examples(struct store_conn *c, const struct risk_rule *rules, size_t nrules,
                        struct arena *a, struct risk_example **out, size_t *n, struct err *err)
{
    struct example_ctx k = {rules, nrules, NULL, a, {NULL, 0, 0}};
    for (size_t i = 0; i < nrules; i++)
        if (strcmp(rules[i].factor, "place") == 0 && strcmp(rules[i].pattern, "spike") == 0) {
            struct buf b;
            buf_init(&b);
            buf_puts(&b, "\"label\":");
            buf_json_str(&b, rules[i].label);
            k.spike_label = arena_strdup(a, b.p);
            buf_release(&b);
        }
    /* Each case's last decision: a later one replaces an earlier (a grade confirmed, then
     * lowered on second thought). */
    int64_t rc = store_all(
        c,
        "SELECT rc.to_level, c.title, c.description, coalesce(k.code, ''), rc.reasons,"
        " (SELECT count(*) FROM case_repeats r WHERE r.case_id = c.id),"
        " (SELECT count(*) FROM case_repeats r WHERE r.case_id = c.id AND r.unsolved <> 0)"
        " FROM risk_corrections rc JOIN cases c ON c.id = rc.case_id"
        " LEFT JOIN categories k ON k.id = c.category_id"
        " WHERE rc.id IN (SELECT max(id) FROM risk_corrections GROUP BY case_id)"
        " ORDER BY rc.id DESC LIMIT ?",
        STORE_ARGS(store_i64(RISK_REFIT_EXAMPLES)), example_row, &k, err);
    if (rc < 0)
        return (int)rc;
    *out = k.ex.v;
    *n = k.ex.n;
    return 0;
}

static double score_of(const double *w, const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += w[i] * x[i];
    return s < 0 ? 0 : s;
}

/* The bound an example scoring 's' violates (its level's band less the margin): 1 and *b,
 * or 0 when it lies inside. */
static int violated(double s, enum risk_level t, double *b)
{
    double lo = t == RISK_LOW ? -INFINITY : (t == RISK_MEDIUM ? RISK_MEDIUM_AT : RISK_HIGH_AT);
    double hi = t == RISK_HIGH ? INFINITY : (t == RISK_MEDIUM ? RISK_HIGH_AT : RISK_MEDIUM_AT);
    lo += RISK_REFIT_MARGIN;
    hi -= RISK_REFIT_MARGIN;
    *b = s < lo ? lo : hi;
    return s < lo || s > hi;
}

/* Solve m x = r in place (m symmetric positive definite, k x k): Cholesky. 0, or -1 when m is
 * not positive definite (cannot be with the change penalty, but a NaN could make it so). */
static int solve_spd(double *m, double *r, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        double d = m[j * k + j];
        for (size_t p = 0; p < j; p++)
            d -= m[j * k + p] * m[j * k + p];
        if (!(d > 0))
            return -1;
        d = sqrt(d);
        m[j * k + j] = d;
        for (size_t i = j + 1; i < k; i++) {
            double v = m[i * k + j];
            for (size_t p = 0; p < j; p++)
                v -= m[i * k + p] * m[j * k + p];
            m[i * k + j] = v / d;
        }
    }
    for (size_t i = 0; i < k; i++) { /* L y = r */
        for (size_t p = 0; p < i; p++)
            r[i] -= m[i * k + p] * r[p];
        r[i] /= m[i * k + i];
    }
    for (size_t i = k; i-- > 0;) { /* L^T x = y */
        for (size_t p = i + 1; p < k; p++)
            r[i] -= m[p * k + i] * r[p];
        r[i] /= m[i * k + i];
    }
    return 0;
}

static size_t agreeing(const double *w, size_t nrules, const struct risk_example *ex, size_t nex)
{
    size_t k = 0;
    for (size_t e = 0; e < nex; e++)
        k += risk_level_of(score_of(w, ex[e].x, nrules)) == ex[e].target;
    return k;
}

void risk_refit(const struct risk_rule *rules, size_t nrules, const struct risk_example *ex,
                size_t nex, struct arena *a, struct risk_refit_result *out)
{
    size_t nw = nrules ? nrules : 1;
    double *w0 = arena_alloc(a, mem_size_mul(nw, sizeof(double)));
    double *w = arena_alloc(a, mem_size_mul(nw, sizeof(double)));
    size_t *col = arena_alloc(a, mem_size_mul(nw, sizeof(size_t))); /* the rules fitted */
    unsigned char *act = arena_alloc(a, nex ? nex : 1), *prev = arena_alloc(a, nex ? nex : 1);
    memset(out, 0, sizeof(*out));
    out->met = arena_alloc(a, mem_size_mul(nw, sizeof(size_t)));
    memset(out->met, 0, nw * sizeof(size_t));
    memset(prev, 2, nex ? nex : 1);
    for (size_t i = 0; i < nrules; i++)
        w0[i] = w[i] = rules[i].active ? rules[i].weight : 0;
    for (size_t e = 0; e < nex; e++)
        for (size_t i = 0; i < nrules; i++)
            out->met[i] += ex[e].x[i] > 0;
    size_t k = 0;
    for (size_t i = 0; i < nrules; i++)
        if (rules[i].active && out->met[i])
            col[k++] = i;
    out->examples = nex;
    out->agree_before = agreeing(w0, nrules, ex, nex);
    double *m = arena_alloc(a, mem_size_mul(mem_size_mul(k ? k : 1, k ? k : 1), sizeof(double)));
    double *r = arena_alloc(a, mem_size_mul(k ? k : 1, sizeof(double)));
    /* Minimise sum over the examples outside their band of (score - the bound crossed)^2 plus
     * the change's squared length times RISK_REFIT_HOLD. With the set of examples outside fixed that is a least
     * squares problem (the normal equations, solved exactly); the set is recomputed from the
     * answer until it stops changing (Newton's method on a piecewise quadratic: a handful of
     * rounds). */
    for (int round = 0; round < 50 && k; round++) {
        int changed = 0;
        for (size_t j = 0; j < k * k; j++)
            m[j] = 0;
        for (size_t j = 0; j < k; j++) {
            m[j * k + j] = RISK_REFIT_HOLD;
            r[j] = RISK_REFIT_HOLD * w0[col[j]];
        }
        for (size_t e = 0; e < nex; e++) {
            double bound;
            act[e] = (unsigned char)violated(score_of(w, ex[e].x, nrules), ex[e].target, &bound);
            changed |= act[e] != prev[e];
            prev[e] = act[e];
            if (!act[e])
                continue;
            for (size_t p = 0; p < k; p++) {
                double xp = ex[e].x[col[p]];
                if (xp == 0)
                    continue;
                r[p] += bound * xp;
                for (size_t q = 0; q < k; q++)
                    m[p * k + q] += xp * ex[e].x[col[q]];
            }
        }
        if (!changed || solve_spd(m, r, k) < 0)
            break;
        for (size_t j = 0; j < k; j++)
            w[col[j]] = r[j] < -100 ? -100 : r[j] > 100 ? 100 : r[j];
    }
    for (size_t i = 0; i < nrules; i++)
        w[i] = rules[i].active ? round(w[i]) : rules[i].weight;
    out->weights = w;
    out->agree_after = agreeing(w, nrules, ex, nex);
}
