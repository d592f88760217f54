/*
 * kb: the knowledge base (知识库). Articles are the answers the 12345 centre gives to
 * consultations: a title, the answer text, keywords, an owner department and a validity period.
 * They are found for a caller's words by the text features triage uses (character bigrams and
 * trigrams of normalised text, weighted by how rare each is among the articles), so the operator
 * sees the likely answers while typing, and an article used for a 直接答复 is counted.
 *
 * Threading: none of its own; each call uses the connection it is given. Strings of returned
 * records live in the caller's arena.
 */
#ifndef GRIDLOOP_KB_KB_H
#define GRIDLOOP_KB_KB_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define KB_TITLE_MAX 100     /* characters */
#define KB_BODY_MAX 4000     /* characters */
#define KB_KEYWORDS_MAX 200  /* characters */
#define KB_SUGGEST_MAX 10    /* articles a suggestion returns at most */
#define KB_TEXT_MAX 5000     /* characters of the text a suggestion is asked for */
#define KB_ARTICLES_MAX 5000 /* articles a suggestion scores (the active ones, newest first) */
#define KB_MIN_SCORE 0.12    /* below this share of the text's weight, an article is not offered */

struct kb_article {
    int64_t id;
    const char *title, *body, *keywords;
    int64_t category_id, department_id; /* 0 = none */
    const char *department_name;        /* "" when none */
    int64_t valid_from, valid_until;    /* 0 = open */
    int active;
    int64_t uses;
    int64_t created_at, updated_at;
};

struct kb_article_in {
    const char *title, *body, *keywords; /* keywords may be NULL */
    int64_t category_id, department_id;  /* 0 = none */
    int64_t valid_from, valid_until;     /* 0 = open; until after from */
    int active;
};

/* ERR_BAD_REQUEST names the field ("title", "body", "keywords", "valid_until", "category_id",
 * "department_id"). */
int kb_article_create(struct store_conn *c, const struct kb_article_in *in, int64_t now,
                      int64_t *id, struct err *err);
int kb_article_update(struct store_conn *c, int64_t id, const struct kb_article_in *in, int64_t now,
                      struct err *err);
int kb_article_get(struct store_conn *c, int64_t id, struct arena *a, struct kb_article *out,
                   struct err *err);
/* Every article, newest first (active ones first when 'active_only' is 0). */
int kb_article_list(struct store_conn *c, int active_only, struct arena *a, struct kb_article **out,
                    size_t *n, struct err *err);
/* Deactivated, not deleted: answers given from it keep their link. */
int kb_article_deactivate(struct store_conn *c, int64_t id, int64_t now, struct err *err);

/* An article in force at 'now': active, and now within [valid_from, valid_until]. */
int kb_article_in_force(const struct kb_article *k, int64_t now);

struct kb_hit {
    struct kb_article article;
    double score; /* 0..1: the share of the text's weighted features the article holds */
};
/* The articles in force that best match 'text', best first, at most 'max' (≤ KB_SUGGEST_MAX),
 * those scoring at least 'min_score'. */
int kb_suggest(struct store_conn *c, const char *text, int64_t now, int max, double min_score,
               struct arena *a, struct kb_hit *hits, size_t *n, struct err *err);

/* Count one use of article 'id' for a 直接答复 at 'now' (in the caller's transaction);
 * ERR_BAD_REQUEST (field 'field') when it does not exist or is not in force. */
int kb_article_use(struct store_conn *c, int64_t id, int64_t now, const char *field,
                   struct arena *a, struct kb_article *out, struct err *err);

#endif /* GRIDLOOP_KB_KB_H */
