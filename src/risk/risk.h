/*
 * risk: risk grades (风险等级 高/中/低) for disputes and petitions (issue 16 item 3;
 * docs/warning.md §3). A case's score is the sum of the weights of the rules it meets — words in
 * what it says (讨薪, 上访, 轻生, 打架, 多人, 老人…), its category (a code's subtree), its history
 * (each earlier repeat complaint, each unsolved one, up to RISK_HISTORY_MAX) and its place (a
 * spike open in its street) — and every rule met is a reason shown with its weight. The rules
 * are rows an administrator edits. A person confirms or lowers a grade; each correction is kept
 * with the score and reasons it corrected, the material to re-fit the weights.
 *
 * Threading: risk_assess is pure; the rest use the connection given (the caller's
 * transaction). Strings of returned records live in the caller's arena.
 */
#ifndef GRIDLOOP_RISK_RISK_H
#define GRIDLOOP_RISK_RISK_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define RISK_MEDIUM_AT 30.0 /* a score from here is 中 */
#define RISK_HIGH_AT 60.0   /* and from here 高 */
#define RISK_REASONS_MAX 16
#define RISK_HISTORY_MAX 3 /* earlier cases a history rule counts at most */
#define RISK_PATTERN_MAX 40
#define RISK_LABEL_MAX 40
#define RISK_NOTE_MAX 500

enum risk_level { RISK_LOW, RISK_MEDIUM, RISK_HIGH, RISK_LEVEL_COUNT };
const char *risk_level_name(enum risk_level l);
int risk_level_from_name(const char *s); /* -1 if unknown */
enum risk_level risk_level_of(double score);

struct risk_rule {
    int64_t id;
    const char *factor; /* word, category, history, place */
    const char *pattern;
    double weight;
    const char *label;
    int active;
    int64_t updated_at;
};
int risk_rule_list(struct store_conn *c, int active_only, struct arena *a, struct risk_rule **out,
                   size_t *n, struct err *err);
/* Insert (id 0) or update rule 'r'. ERR_BAD_REQUEST naming "factor", "pattern" (a history or
 * place rule names one of its keys), "weight" (-100..100), "label"; a second rule of the same
 * factor and pattern is ERR_CONFLICT naming "pattern". */
int risk_rule_set(struct store_conn *c, const struct risk_rule *r, int64_t now, int64_t *id,
                  struct err *err);

/* What the score is computed over. */
struct risk_facts {
    const char *text;          /* title and description */
    const char *category_code; /* "" when none */
    int repeats, unsolved;     /* repeat complaints linked, unsolved among them */
    int spike;                 /* a spike warning is open in the case's street */
};
struct risk_reason {
    const char *label; /* the rule's (borrowed from it) */
    double weight;     /* as counted (a history rule times its count) */
};
struct risk_score {
    double score;
    enum risk_level level;
    int nreasons;
    struct risk_reason reasons[RISK_REASONS_MAX];
};
/* Pure: the rules (active ones) met by 'f'. A score of 0 with no reason: no risk seen. */
void risk_assess(const struct risk_rule *rules, size_t n, const struct risk_facts *f,
                 struct risk_score *out);

/* The grade of case 'id' (computed at intake) and a person's confirmation. */
struct risk_grade {
    int64_t case_id;
    double score;
    enum risk_level level;
    const char *reasons; /* JSON array of {"label", "weight"} */
    int64_t computed_at;
    int confirmed; /* 0: not yet */
    enum risk_level confirmed_level;
    const char *confirmed_by, *note;
    int64_t confirmed_at;
};
/* Store the grade of case 'id' (replacing one computed before). */
int risk_grade_store(struct store_conn *c, int64_t id, const struct risk_score *s, int64_t now,
                     struct err *err);
/* ERR_NOT_FOUND when the case has none (no risk seen). */
int risk_grade_get(struct store_conn *c, int64_t id, struct arena *a, struct risk_grade *out,
                   struct err *err);
/* A person confirms the grade or lowers it ('level' at or below the computed one, else
 * ERR_BAD_REQUEST naming "level"; lowering needs a 'note', naming "note"); the correction is
 * kept. */
int risk_grade_confirm(struct store_conn *c, int64_t id, enum risk_level level, const char *note,
                       int64_t user_id, int64_t now, struct err *err);

#endif /* GRIDLOOP_RISK_RISK_H */
