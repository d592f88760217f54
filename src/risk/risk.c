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

void risk_assess(const struct risk_rule *rules, size_t n, const struct risk_facts *f,
                 struct risk_score *out)
{
    memset(out, 0, sizeof(*out));
    const char *text = f->text ? f->text : "";
    const char *code = f->category_code ? f->category_code : "";
    for (size_t i = 0; i < n; i++) {
        const struct risk_rule *r = &rules[i];
        if (!r->active)
            continue;
        if (strcmp(r->factor, "word") == 0) {
            if (strstr(text, r->pattern))
                add(out, r->label, r->weight);
        } else if (strcmp(r->factor, "category") == 0) {
            if (*code && strncmp(code, r->pattern, strlen(r->pattern)) == 0)
                add(out, r->label, r->weight);
        } else if (strcmp(r->factor, "history") == 0) {
            int k = strcmp(r->pattern, "repeat") == 0     ? capped(f->repeats)
                    : strcmp(r->pattern, "unsolved") == 0 ? capped(f->unsolved)
                                                          : 0;
            if (k)
                add(out, r->label, r->weight * k);
        } else if (strcmp(r->factor, "place") == 0) {
            if (strcmp(r->pattern, "spike") == 0 && f->spike)
                add(out, r->label, r->weight);
        }
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
