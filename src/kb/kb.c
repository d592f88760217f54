/*
 * The knowledge base: articles (table kb_articles, migration 0028) and the suggestion of
 * articles for a caller's words. Matching uses triage's text features (normalisation, then
 * character bigrams and trigrams), so "燃气费怎么交" finds the article titled "燃气费缴纳方式"
 * as triage would relate them; each feature of the text weighs by how rare it is among the
 * articles (a feature every article has tells nothing), and a feature found in an article's
 * title or keywords counts fully, one found only in its body half.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "kb/kb.h"
#include "store/store.h"
#include "triage/triage.h"

#define COLS                                                                                       \
    "k.id, k.title, k.body, k.keywords, coalesce(k.category_id, 0), coalesce(k.department_id, 0)," \
    " coalesce(d.name, ''), coalesce(k.valid_from, 0), coalesce(k.valid_until, 0), k.active,"      \
    " k.uses, k.created_at, k.updated_at"
#define FROM " FROM kb_articles k LEFT JOIN departments d ON d.id = k.department_id"

/* The part of a body that is matched: an answer's opening says what it is about. */
#define BODY_MATCHED 600

static void read_article(struct store_stmt *s, struct arena *a, struct kb_article *k)
{
    k->id = store_col_int(s, 0);
    k->title = arena_strdup(a, store_col_text(s, 1));
    k->body = arena_strdup(a, store_col_text(s, 2));
    k->keywords = arena_strdup(a, store_col_text(s, 3));
    k->category_id = store_col_int(s, 4);
    k->department_id = store_col_int(s, 5);
    k->department_name = arena_strdup(a, store_col_text(s, 6));
    k->valid_from = store_col_int(s, 7);
    k->valid_until = store_col_int(s, 8);
    k->active = store_col_int(s, 9) != 0;
    k->uses = store_col_int(s, 10);
    k->created_at = store_col_int(s, 11);
    k->updated_at = store_col_int(s, 12);
}

typedef VEC(struct kb_article) article_vec;

static int push_article(void *ctx, struct store_stmt *row)
{
    article_vec *v = ctx;
    read_article(row, v->arena, vec_push(v));
    return 0;
}

struct one {
    struct arena *a;
    struct kb_article *out;
};

static int one_article(void *ctx, struct store_stmt *row)
{
    struct one *o = ctx;
    read_article(row, o->a, o->out);
    return 0;
}

int kb_article_get(struct store_conn *c, int64_t id, struct arena *a, struct kb_article *out,
                   struct err *err)
{
    struct one o = {a, out};
    int rc = store_one(c, "SELECT " COLS FROM " WHERE k.id = ?", STORE_ARGS(store_i64(id)),
                       one_article, &o, err);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "article %lld does not exist", (long long)id);
    return rc < 0 ? rc : 0;
}

int kb_article_list(struct store_conn *c, int active_only, struct arena *a, struct kb_article **out,
                    size_t *n, struct err *err)
{
    article_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        active_only ? "SELECT " COLS FROM " WHERE k.active <> 0 ORDER BY k.id DESC LIMIT ?"
                    : "SELECT " COLS FROM " ORDER BY k.active DESC, k.id DESC LIMIT ?",
        STORE_ARGS(store_i64(KB_ARTICLES_MAX)), push_article, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

static int exists(struct store_conn *c, const char *sql, int64_t id, const char *field,
                  struct err *err)
{
    if (!id)
        return 0;
    int rc = store_one(c, sql, STORE_ARGS(store_i64(id)), NULL, NULL, err);
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, field, "%s %lld does not exist", field,
                         (long long)id);
    return rc < 0 ? rc : 0;
}

static int check_in(struct store_conn *c, const struct kb_article_in *in, struct err *err)
{
    int rc;
    if ((rc = utf8_check_field(in->title, "title", 1, KB_TITLE_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->body, "body", 1, KB_BODY_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->keywords, "keywords", 0, KB_KEYWORDS_MAX, err)) < 0 ||
        (rc = exists(c, "SELECT 1 FROM categories WHERE id = ?", in->category_id, "category_id",
                     err)) < 0 ||
        (rc = exists(c, "SELECT 1 FROM departments WHERE id = ?", in->department_id,
                     "department_id", err)) < 0)
        return rc;
    if (in->valid_from && in->valid_until && in->valid_until <= in->valid_from)
        return err_field(err, ERR_BAD_REQUEST, "valid_until",
                         "'valid_until' must be after 'valid_from'");
    return 0;
}

int kb_article_create(struct store_conn *c, const struct kb_article_in *in, int64_t now,
                      int64_t *id, struct err *err)
{
    int rc;
    if ((rc = check_in(c, in, err)) < 0)
        return rc;
    rc = store_one_i64(
        c,
        "INSERT INTO kb_articles(title, body, keywords, category_id, department_id, valid_from,"
        " valid_until, active, created_at, updated_at) VALUES (?, ?, ?, nullif(?, 0), nullif(?, 0),"
        " nullif(?, 0), nullif(?, 0), ?, ?, ?) RETURNING id",
        STORE_ARGS(store_text(in->title), store_text(in->body),
                   store_text(in->keywords ? in->keywords : ""), store_i64(in->category_id),
                   store_i64(in->department_id), store_i64(in->valid_from),
                   store_i64(in->valid_until), store_i64(in->active ? 1 : 0), store_i64(now),
                   store_i64(now)),
        id, err);
    return rc < 0 ? rc : 0;
}

int kb_article_update(struct store_conn *c, int64_t id, const struct kb_article_in *in, int64_t now,
                      struct err *err)
{
    int rc;
    if ((rc = check_in(c, in, err)) < 0)
        return rc;
    int64_t n = store_run(
        c,
        "UPDATE kb_articles SET title = ?, body = ?, keywords = ?, category_id = nullif(?, 0),"
        " department_id = nullif(?, 0), valid_from = nullif(?, 0), valid_until = nullif(?, 0),"
        " active = ?, updated_at = ? WHERE id = ?",
        STORE_ARGS(store_text(in->title), store_text(in->body),
                   store_text(in->keywords ? in->keywords : ""), store_i64(in->category_id),
                   store_i64(in->department_id), store_i64(in->valid_from),
                   store_i64(in->valid_until), store_i64(in->active ? 1 : 0), store_i64(now),
                   store_i64(id)),
        err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "article %lld does not exist", (long long)id);
}

int kb_article_deactivate(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    int64_t n = store_run(c, "UPDATE kb_articles SET active = 0, updated_at = ? WHERE id = ?",
                          STORE_ARGS(store_i64(now), store_i64(id)), err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "article %lld does not exist", (long long)id);
}

int kb_article_in_force(const struct kb_article *k, int64_t now)
{
    return k->active && (!k->valid_from || now >= k->valid_from) &&
           (!k->valid_until || now <= k->valid_until);
}

int kb_article_use(struct store_conn *c, int64_t id, int64_t now, const char *field,
                   struct arena *a, struct kb_article *out, struct err *err)
{
    int rc = kb_article_get(c, id, a, out, err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !kb_article_in_force(out, now)))
        return err_field(err, ERR_BAD_REQUEST, field,
                         "article %lld is not in the knowledge base or no longer in force",
                         (long long)id);
    if (rc < 0)
        return rc;
    int64_t n = store_run(c, "UPDATE kb_articles SET uses = uses + 1 WHERE id = ?",
                          STORE_ARGS(store_i64(id)), err);
    return n < 0 ? (int)n : 0;
}

/* ---------------------------------------------------------------- matching */

typedef VEC(uint64_t) hash_vec;

static void add_hash(void *ctx, uint64_t hash, unsigned kind, size_t off, size_t len)
{
    (void)kind;
    (void)off;
    (void)len;
    *vec_push((hash_vec *)ctx) = hash;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The distinct bigram and trigram hashes of 'text' (its first 'max' bytes), sorted. */
static void features(struct arena *a, const char *text, size_t max, hash_vec *out)
{
    size_t n = strnlen(text, max);
    char *cut = arena_strndup(a, text, n);
    size_t cap = mem_size_add(mem_size_mul(n, 3), 1);
    char *norm = arena_alloc(a, cap);
    size_t len = triage_normalize(cut, norm, cap);
    *out = (hash_vec)VEC_IN(a);
    triage_ngrams(norm, len, TRIAGE_F_CHAR2 | TRIAGE_F_CHAR3, add_hash, out);
    if (!out->n)
        return;
    qsort(out->v, out->n, sizeof(uint64_t), cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < out->n; i++)
        if (out->v[i] != out->v[k - 1])
            out->v[k++] = out->v[i];
    out->n = k;
}

static int holds(const hash_vec *v, uint64_t h)
{
    return v->n && bsearch(&h, v->v, v->n, sizeof(uint64_t), cmp_u64) != NULL;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct kb_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->article.id < y->article.id ? 1 : -1;
}

int kb_suggest(struct store_conn *c, const char *text, int64_t now, int max, double min_score,
               struct arena *a, struct kb_hit *hits, size_t *n, struct err *err)
{
    struct kb_article *all;
    size_t na, k = 0;
    int rc;
    *n = 0;
    if (!text || utf8_invalid_at(text, strlen(text)) >= 0 || utf8_len(text) > KB_TEXT_MAX)
        return err_field(err, ERR_BAD_REQUEST, "text", "field 'text' must be at most %d characters",
                         KB_TEXT_MAX);
    if (max > KB_SUGGEST_MAX)
        max = KB_SUGGEST_MAX;
    if ((rc = kb_article_list(c, 1, a, &all, &na, err)) < 0)
        return rc;
    hash_vec q;
    features(a, text, strlen(text), &q);
    if (!q.n || !na || max <= 0)
        return 0;
    hash_vec *head = arena_alloc(a, mem_size_mul(na, sizeof(*head)));
    hash_vec *body = arena_alloc(a, mem_size_mul(na, sizeof(*body)));
    for (size_t i = 0; i < na; i++) {
        features(a, arena_printf(a, "%s %s", all[i].title, all[i].keywords), KB_TITLE_MAX * 8,
                 &head[i]);
        features(a, all[i].body, BODY_MATCHED, &body[i]);
    }
    /* Each feature of the text weighs log(1 + N / df): df the articles holding it. */
    double *w = arena_alloc(a, mem_size_mul(q.n, sizeof(double))), total = 0;
    for (size_t j = 0; j < q.n; j++) {
        size_t df = 0;
        for (size_t i = 0; i < na; i++)
            df += holds(&head[i], q.v[j]) || holds(&body[i], q.v[j]);
        /* A feature no article has weighs as one every article has: it tells nothing of which
         * article answers, but a text of many such words is less answerable than a short one. */
        w[j] = log(1.0 + (double)na / (double)(df ? df : na));
        total += w[j];
    }
    if (total <= 0)
        return 0;
    struct kb_hit *cand = arena_alloc(a, mem_size_mul(na, sizeof(*cand)));
    for (size_t i = 0; i < na; i++) {
        if (!kb_article_in_force(&all[i], now))
            continue;
        double s = 0;
        int matched = 0;
        for (size_t j = 0; j < q.n; j++) {
            int h = holds(&head[i], q.v[j]), b = !h && holds(&body[i], q.v[j]);
            s += h ? w[j] : b ? w[j] / 2 : 0;
            matched += h || b;
        }
        double score = s / total;
        /* One shared bigram ("每天") is a coincidence, not an answer. */
        if (matched >= 2 && score >= min_score)
            cand[k++] = (struct kb_hit){all[i], score};
    }
    qsort(cand, k, sizeof(*cand), cmp_hit);
    *n = k < (size_t)max ? k : (size_t)max;
    memcpy(hits, cand, *n * sizeof(*hits));
    return 0;
}
