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
/* Pure: how many times each rule counts for 'f' (x[i] for rules[i]: 0 or 1 for a word,
 * category or place rule, up to RISK_HISTORY_MAX for a history rule; 0 when inactive). */
void risk_features(const struct risk_rule *rules, size_t n, const struct risk_facts *f, double *x);
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

/* ---- re-fitting the weights from the corrections (docs/warning.md §3) ----
 * Each case's last decision is an example: what the rules count for it today (risk_features
 * over its words, category, repeat links, and the spike its grade saw) and the level a person
 * gave. The fit moves the weights as little as it can (a small squared penalty on the change) while
 * putting each example's score inside its level's band with a margin of RISK_REFIT_MARGIN
 * (squared hinge losses; plain gradient descent, weights kept within -100..100 and rounded to
 * whole points). A rule no example meets keeps its weight. Nothing is applied here. */
#define RISK_REFIT_EXAMPLES 5000 /* the newest decisions used at most */
#define RISK_REFIT_MARGIN 3.0
/* What a point of change costs against a point squared outside a band: small, so that the
 * decisions win wherever they disagree with the weights (a proposal a person reviews). */
#define RISK_REFIT_HOLD 0.1
struct risk_example {
    double *x; /* one per rule of the list it was built for */
    enum risk_level target;
};
/* The examples for 'rules' (strings and vectors in 'a'): *n of them, newest first. */
int risk_refit_examples(struct store_conn *c, const struct risk_rule *rules, size_t nrules,
                        struct arena *a, struct risk_example **out, size_t *n, struct err *err);
struct risk_refit_result {
    size_t examples;
    size_t agree_before, agree_after; /* examples whose level the weights give as the person did */
    double *weights;                  /* proposed, one per rule (in the caller's arena) */
    size_t *met;                      /* examples meeting each rule */
};
/* Pure. */
void risk_refit(const struct risk_rule *rules, size_t nrules, const struct risk_example *ex,
                size_t nex, struct arena *a, struct risk_refit_result *out);

#endif /* GRIDLOOP_RISK_RISK_H */
