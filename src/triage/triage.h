/*
 * triage: what a request is about, who should handle it, how urgent it is, whether it was
 * already reported, and what many people are reporting at once (热点).
 *
 * Text is Chinese without a word segmenter: features are character n-grams of normalised text
 * (full-width → half-width, case folded, digits and phone/ID numbers masked). The classifier
 * is linear, trained and applied in pure C; every decision comes with the features that
 * pushed it most, so dispatchers can see why.
 *
 * Layering: no HTTP, JSON or SQL here except triage_route_* (reads the routing table through
 * store). The api module keeps the current model and swaps it when a new one is trained.
 *
 * Threading: a loaded model is immutable and may be shared by any number of threads. The
 * duplicate index locks internally. Everything else is a pure function.
 * Ownership: stated per function; "arena" outputs live in the caller's arena.
 */
#ifndef GRIDLOOP_TRIAGE_TRIAGE_H
#define GRIDLOOP_TRIAGE_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

/* ================================================================ text (triage_text.c) */

/*
 * Normalise 'in' (UTF-8, any length) into 'out' (capacity 'cap', always NUL-terminated when
 * cap > 0): full-width ASCII and the ideographic space → half-width, ASCII lower-cased, runs
 * of whitespace → one space, long digit runs (phones, ID numbers) → one mask character, other
 * digits → '0'. Invalid UTF-8 bytes are dropped. Returns the length written.
 */
size_t triage_normalize(const char *in, char *out, size_t cap);

/* The mask that replaces a phone, ID or other long number (7 or more digits). */
#define TRIAGE_NUMBER_MASK '#'

/* Feature kinds, combined as flags. A "word" is a run of text between spaces and punctuation
 * (so pre-segmented text yields its words; raw Chinese yields clauses); character n-grams run
 * over the text with spaces skipped and stop at punctuation. */
enum {
    TRIAGE_F_WORD1 = 1 << 0,
    TRIAGE_F_WORD2 = 1 << 1, /* adjacent word pairs */
    TRIAGE_F_CHAR1 = 1 << 2,
    TRIAGE_F_CHAR2 = 1 << 3,
    TRIAGE_F_CHAR3 = 1 << 4,
    TRIAGE_F_ALL = (1 << 5) - 1,
};

/* Called once per feature occurrence: its 64-bit hash (never 0), its kind (one TRIAGE_F_*
 * bit) and where it lies in the normalised text (byte offset and length, so the n-gram can
 * be shown). */
typedef void triage_ngram_fn(void *ctx, uint64_t hash, unsigned kind, size_t off, size_t len);

/* Extract the features selected by 'flags' from normalised text 'norm' (length 'len'),
 * in text order. Pure; no allocation. */
void triage_ngrams(const char *norm, size_t len, unsigned flags, triage_ngram_fn *fn, void *ctx);

/* ================================================================ classifier (triage_model.c) */

#define TRIAGE_TOPK 5
#define TRIAGE_WHY 8
#define TRIAGE_LABEL_MAX 64
#define TRIAGE_FEATURE_MAX 32

struct triage_model; /* opaque; immutable after train/load */

enum triage_loss { TRIAGE_LOSS_HINGE = 1, TRIAGE_LOSS_SQUARED_HINGE = 2 };

struct triage_train_opts {
    int threads; /* 0 = 1 */
    /* Progress for a person watching (each cross-validation fold, the summary), one line
     * without newline; NULL: none. The module prints nothing itself: the caller decides. */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;
    /* Tuning knobs; 0 = the defaults documented in docs/triage.md. */
    unsigned features;  /* TRIAGE_F_* */
    double c;           /* SVM cost: larger fits the training set more closely */
    int min_df;         /* features seen in fewer training texts are dropped */
    double word_weight; /* word features count this much more than character n-grams */
    double
        pos_weight; /* cost of a label's own texts × (others / own)^pos_weight; < 0: equal costs */
    int loss;       /* enum triage_loss */
    int nb;         /* scale features by their naive-Bayes log-count ratio (NB-SVM); < 0: off */
    double prune;   /* after training, drop features whose largest |weight| × IDF is below this
                        * (default 1 from 2,000 texts up, none below); < 0: keep all */
};

/* Train on n (text, label) pairs. Labels are arbitrary strings (category codes, class names).
 * Returns 0 and a new model the caller frees, or ERR_BAD_REQUEST (fewer than two labels, …). */
int triage_train(const char *const *texts, const char *const *labels, size_t n,
                 const struct triage_train_opts *opts, struct triage_model **out, struct err *err);

/* Written to a temporary file and renamed over 'path', so readers never see half a model. */
int triage_model_save(const struct triage_model *m, const char *path, struct err *err);
/* A corrupt or foreign file is ERR_BAD_REQUEST, never a crash. */
int triage_model_load(const char *path, struct triage_model **out, struct err *err);
/* The same from bytes in memory (borrowed; nothing is kept). */
int triage_model_parse(const void *data, size_t n, struct triage_model **out, struct err *err);
void triage_model_free(struct triage_model *m);

/* A short identifier of the trained weights (hash), stored on every triage event. */
const char *triage_model_version(const struct triage_model *m);
int triage_model_nlabels(const struct triage_model *m);
const char *triage_model_label(const struct triage_model *m, int i);

struct triage_feature {
    char text[TRIAGE_FEATURE_MAX]; /* the n-gram as it appears in the normalised text */
    double weight;                 /* its contribution to the chosen label's score */
};

struct triage_result {
    int label; /* index of the most probable label */
    double prob;
    int ntop;
    struct {
        int label;
        double prob;
    } top[TRIAGE_TOPK]; /* best first, top[0] = label */
    int nwhy;
    struct triage_feature why[TRIAGE_WHY]; /* largest positive contributions first */
};

/* Classify one text. Thread-safe; allocation-free on the hot path. */
int triage_classify(const struct triage_model *m, const char *text, struct triage_result *out);

/* ================================================================ labelled data (triage_tsv.c) */

/* A labelled TSV file: one header row naming the columns, then one text per line, every line
 * with as many tab-separated fields as the header. The text is the named text columns joined
 * by a space. Plain data, freed with triage_tsv_free(). */
struct triage_tsv {
    size_t n;
    const char **texts;  /* n */
    const char **labels; /* n; non-empty UTF-8, shorter than TRIAGE_LABEL_MAX */
    struct arena *arena; /* owns the strings */
};

/* 'text_cols' is a comma-separated list of header names, 'label_col' one name. A missing
 * column, a short or long line or a bad label is ERR_BAD_REQUEST naming the line. */
int triage_tsv_parse(const char *data, size_t len, const char *text_cols, const char *label_col,
                     struct triage_tsv **out, struct err *err);
int triage_tsv_read(const char *path, const char *text_cols, const char *label_col,
                    struct triage_tsv **out, struct err *err);
void triage_tsv_free(struct triage_tsv *t);

/* ================================================================ urgency (triage_urgency.c) */

#define TRIAGE_URGENCY_RULES 4

struct triage_urgency {
    int level;    /* 0 normal, 1 urgent, 2 emergency (enum case_urgency order) */
    double score; /* 0..1 */
    int nrules;
    const char *rules[TRIAGE_URGENCY_RULES]; /* names of the rules that fired (static strings) */
};

/* Rules over normalised wording (gas leak, fire, injury, an elderly person alone, flooding…),
 * with negations ("没有着火") not firing. */
void triage_urgency(const char *text, struct triage_urgency *out);
/* The version of the rules in use: an FNV-1a 64 checksum of the rule table (16 hex digits), so
 * the public register names the rules that decided, and a change of them shows. */
#define TRIAGE_VERSION_SIZE 17
void triage_urgency_version(char out[TRIAGE_VERSION_SIZE]);

/* ================================================================ reply quality (triage_reply.c) */

/* What the reply-quality check found; 'flagged' is the verdict shown to the reviewer. */
struct triage_reply {
    int empty;     /* no substance beyond greetings and thanks */
    int off_topic; /* shares almost none of the complaint's words */
    int no_action; /* nothing done or to be done */
    int no_detail; /* no time and no way to follow up */
    double topic;  /* share of the complaint's distinct character bigrams found in the reply */
    int flagged;   /* empty, off topic, or neither an action nor a detail */
};
/* Check 'reply' against 'complaint' (either may be NULL). Pure apart from allocation. */
void triage_reply_check(const char *complaint, const char *reply, struct triage_reply *out);
/* The version of the check's word lists and thresholds (as triage_urgency_version). */
void triage_reply_version(char out[TRIAGE_VERSION_SIZE]);
/* A reply's fingerprint for finding boilerplate (套话) reused across cases: a hash of its
 * substance (set phrases, spaces and punctuation left out, digits all alike, so a template
 * that differs only in dates and numbers is the same). Returns 0 (and "") when too little is
 * left to call a copy. */
int triage_reply_print(const char *reply, char out[TRIAGE_VERSION_SIZE]);

/* ================================================================ duplicates (triage_dup.c) */

struct triage_dup_index; /* opaque; internally locked */

/*
 * Two signals find a duplicate (method and figures: docs/triage.md, "Duplicates"):
 * - text: MinHash LSH tuned for similarities around 0.5 (pairs at 0.5 are found with
 *   probability ≈ 0.99, at 0.3 ≈ 0.6, below 0.2 only by chance);
 * - place and time: cases within PLACE_METERS (250 m) of each other or at a similar address,
 *   reported within a day, are compared whatever their words. Neighbours describe the same
 *   barbecue stall in their own words; what they share is the stall's address and the evening.
 * The score is text + (1 − text) × place × time × w, where w depends on the categories
 * (the same: 0.8; one unknown: 0.45; different: 0.3), so the same place alone matches only
 * complaints of the same kind.
 */
struct triage_dup_opts {
    int64_t
        window_seconds; /* only cases reported within this time of the query (7 days); 0 = any time */
    double max_meters; /* when both have a location, only those this close (1000); 0 = ignore */
    double min_score;  /* 0..1 similarity threshold (0.5) */
};

/* A case as the index sees it; strings are borrowed for the call. */
struct triage_dup_case {
    int64_t id;       /* ignored by queries */
    int64_t at;       /* reported, unix seconds */
    int has_location; /* 0 (or a non-finite lat/lon): no location */
    double lat, lon;
    const char *text;    /* title and description; may be NULL */
    const char *address; /* as written; may be NULL */
    int64_t category;    /* the case's (or triage's) category; 0 = unknown */
};

struct triage_dup_hit {
    int64_t id;
    double score;    /* 0..1, the combined score compared with min_score */
    double text;     /* 0..1, estimated Jaccard similarity of the texts' character bigrams */
    double place;    /* 0..1, how much the place says: 1 at ≤ 50 m or the same address */
    double meters;   /* -1 when either has no location */
    int64_t seconds; /* between the two reports */
};

/* What the index derives from a case's text and address: the expensive part of both a query
 * and an add. Intake queries for a case and then adds it: triage_dup_sign() once and the
 * _signed calls read the text once instead of twice. The fields are the index's business. */
#define TRIAGE_DUP_K 96     /* MinHash slots of a text */
#define TRIAGE_DUP_AK 24    /* an address's bottom-k sketch */
#define TRIAGE_DUP_ABANDS 6 /* and its MinHash keys */
struct triage_dup_sketch {
    uint16_t low[TRIAGE_DUP_AK];
    uint16_t key[TRIAGE_DUP_ABANDS];
    unsigned char n;    /* distinct shingles, at most 255 */
    unsigned char nlow; /* entries of low: min(n, TRIAGE_DUP_AK) */
};
struct triage_dup_sig {
    uint16_t text[TRIAGE_DUP_K];
    struct triage_dup_sketch addr;
    unsigned char has_text;    /* 0: no content characters, matches nothing */
    unsigned char has_address; /* only with has_text */
};

/* opts NULL = the defaults in parentheses above. The caller frees the index. */
struct triage_dup_index *triage_dup_new(const struct triage_dup_opts *opts);
void triage_dup_free(struct triage_dup_index *ix);
/* Re-adding an id replaces it. */
void triage_dup_add(struct triage_dup_index *ix, const struct triage_dup_case *c);
void triage_dup_remove(struct triage_dup_index *ix, int64_t id);
size_t triage_dup_count(struct triage_dup_index *ix);
/* Best matches first (score, then distance, then id); returns how many were written (≤ max).
 * A case already in the index is its own best match: query before adding, or skip its id.
 * The index keeps only signatures of the texts. A query without content characters in its
 * text matches nothing. */
int triage_dup_query(struct triage_dup_index *ix, const struct triage_dup_case *q,
                     struct triage_dup_hit *hits, int max);
/* The signature of 'text' and 'address' (either may be NULL), as add and query compute it. */
void triage_dup_sign(const struct triage_dup_index *ix, const char *text, const char *address,
                     struct triage_dup_sig *out);
/* triage_dup_add() and triage_dup_query() with the text and address of 'c' or 'q' already
 * signed by triage_dup_sign(): the same entries and the same answers. */
void triage_dup_add_signed(struct triage_dup_index *ix, const struct triage_dup_case *c,
                           const struct triage_dup_sig *sig);
int triage_dup_query_signed(struct triage_dup_index *ix, const struct triage_dup_case *q,
                            const struct triage_dup_sig *sig, struct triage_dup_hit *hits, int max);

/* ================================================================ hot topics (triage_hot.c) */

struct triage_hot_msg {
    int64_t id;
    int64_t at;         /* unix seconds */
    const char *author; /* may be NULL */
    const char *title;  /* may be NULL */
    const char *text;
    int likes; /* 0 when unknown */
};

/* Zero fields take the defaults in parentheses. */
struct triage_hot_opts {
    int64_t window_seconds; /* messages older than (newest - window) are ignored; 0 = all */
    double min_similarity;  /* clustering threshold, cosine of TF-IDF vectors (0.3) */
    int min_size;           /* smallest cluster reported (2) */
    int limit;              /* clusters returned (10) */
};

struct triage_hot_topic {
    double heat; /* the documented heat index */
    int count;   /* messages */
    int authors; /* distinct authors */
    int likes;
    int64_t first_at, last_at;
    const char *title; /* representative message's title (or text start) */
    int64_t representative_id;
    int nplaces;
    const char *
        *places; /* places mentioned (≤ 5), most telling first: members naming it × rarity */
    int nids;
    const int64_t *ids; /* member message ids, ascending */
};

/* Cluster and rank (method and heat index: docs/hot-topics.md). 'msgs' is borrowed; outputs
 * live in 'a'. Hottest first. ERR_BAD_REQUEST for out-of-range options. */
int triage_hot(const struct triage_hot_msg *msgs, size_t n, const struct triage_hot_opts *opts,
               struct arena *a, struct triage_hot_topic **out, int *nout, struct err *err);

/* ================================================================ routing (triage_route.c) */

/*
 * The routing table (派单目录): a rule sends cases of a category and its subcategories, in a
 * region's subtree (0 = anywhere), to a department. The most specific rule wins: higher
 * priority, then the deeper category, then the deeper region, then the newer rule. Without a
 * rule, the category's own department, or its nearest ancestor's.
 */
#define TRIAGE_RULE_PRIORITY_MAX 1000

struct triage_rule {
    int64_t id;
    int64_t category_id;
    int64_t region_id; /* 0 = any region */
    int64_t department_id;
    int priority;     /* -TRIAGE_RULE_PRIORITY_MAX..TRIAGE_RULE_PRIORITY_MAX */
    const char *note; /* may be NULL on input */
    /* filled on reading (arena) */
    const char *category_code, *category_name, *region_name, *department_name;
    int64_t created_at, updated_at;
};

int triage_rule_list(struct store_conn *c, struct arena *a, struct triage_rule **out, size_t *n,
                     struct err *err);
int triage_rule_get(struct store_conn *c, int64_t id, struct arena *a, struct triage_rule *out,
                    struct err *err);
/* ERR_BAD_REQUEST names the field of an unknown category, region or inactive department. */
int triage_rule_create(struct store_conn *c, const struct triage_rule *in, int64_t now, int64_t *id,
                       struct err *err);
int triage_rule_update(struct store_conn *c, int64_t id, const struct triage_rule *in, int64_t now,
                       struct err *err);
int triage_rule_delete(struct store_conn *c, int64_t id, struct err *err);

struct triage_route {
    int64_t department_id; /* 0 = nobody: the category has no department and no rule applies */
    int64_t rule_id;       /* 0 = the category's default */
};

int triage_route(struct store_conn *c, int64_t category_id, int64_t region_id,
                 struct triage_route *out, struct err *err);
/* A stamp of the routing table: how many rules, and a sum over their ids and update times that
 * any create, update or delete changes; for caches of what depends on the table. */
int triage_rule_stamp(struct store_conn *c, int64_t *count, int64_t *sum, struct err *err);

/* ================================================================ learning (triage_learn.c) */

/*
 * The labelled examples in the database: every closed case with a category (its final
 * category), and every case a dispatcher classified (the latest classification) that is not
 * closed yet. Text = title + " " + description; label = the category's code. Arena output.
 */
int triage_examples_load(struct store_conn *c, struct arena *a, const char ***texts,
                         const char ***labels, size_t *n, struct err *err);

/*
 * What a retraining from the database must show before its model replaces the current one:
 * enough examples, and on the held-out examples (every TRIAGE_HOLDOUT_EVERY-th by a hash of
 * the text, never trained on) an accuracy at most max_drop_permille below the current
 * model's on the same examples. With fewer than TRIAGE_HOLDOUT_MIN held out (a lowered
 * minimum) the model is trained on everything and not compared.
 */
#define TRIAGE_HOLDOUT_EVERY 5
#define TRIAGE_HOLDOUT_MIN 20
struct triage_check {
    size_t min_examples;
    int max_drop_permille;
};

/* What a retraining or a rollback did. Accuracies are -1 when not measured. */
struct triage_retrain {
    char version[TRIAGE_LABEL_MAX];  /* the model now in place */
    char previous[TRIAGE_LABEL_MAX]; /* the one it replaced ("" when there was none) */
    size_t examples;                 /* trained on */
    int labels;
    size_t held_out;
    double accuracy, current_accuracy; /* the new and the replaced model on the held-out set */
};

/*
 * Retrain from the database's examples (triage_examples_load), check the result (above:
 * ERR_CONFLICT with both accuracies, or the count, when it falls short: nothing changes), keep
 * the current model as the previous one (triage_previous_path) and replace the model file at
 * 'path' atomically (a running server never reads half a file and picks the new one up by
 * itself), and record the training (triage_trainings, by 'actor'). Used by the API's
 * retraining and by `gridloop triage train --from-db`.
 */
int triage_train_from_db(struct store_conn *c, const char *path, const char *actor, int64_t now,
                         const struct triage_check *check, struct triage_retrain *out,
                         struct err *err);

/* Put the previous model back (ERR_CONFLICT when there is none) and keep the replaced one as
 * the previous, so a rollback can be undone the same way; recorded as a training with source
 * "rollback". */
int triage_rollback(struct store_conn *c, const char *path, const char *actor, int64_t now,
                    struct triage_retrain *out, struct err *err);

/* Where the previous model of 'path' is kept: path + ".prev" (heap; the caller frees it). */
char *triage_previous_path(const char *path);

/* ================================================================ its records (triage_store.c) */

/* One training of the model from the database, as recorded in triage_trainings. */
struct triage_training {
    int64_t at;
    const char *version;
    int64_t examples;
    int labels;
    const char *source; /* "demo", "db", "file", "rollback"; NULL records "db" */
    const char *actor;
};

/* The latest training (arena strings): 1, 0 when the model was never trained, or < 0. */
int triage_training_last(struct store_conn *c, struct arena *a, struct triage_training *out,
                         struct err *err);
/* Record a training (source "db"). */
int triage_training_record(struct store_conn *c, const struct triage_training *t, struct err *err);
/* Dispatcher classifications kept as examples, and how many of them corrected triage. */
int triage_examples_count(struct store_conn *c, int64_t *examples, int64_t *corrected,
                          struct err *err);
/* The newest cases (at most 'max') created since 'since', except cancelled and merged ones, as
 * hot-topic messages (author: the citizen's phone hash, else the account, else the case). */
int triage_hot_recent(struct store_conn *c, int64_t since, size_t max, struct arena *a,
                      struct triage_hot_msg **out, size_t *n, struct err *err);

/* ---- the public register of automatic decisions (自动化决策公示) ---- */

/* How often an automatic decision agreed with the person who made the final one, per class. */
struct triage_class_accuracy {
    int64_t id;       /* the category or department */
    const char *name; /* arena */
    int64_t n;        /* decisions people made on cases triage had decided for */
    int64_t right;    /* of them, the same as triage's */
};
/* Per category, the dispatchers' classifications since 'since' (triage_examples, the latest of
 * each case) of cases triage had suggested a category for: how many, and how many agreed with
 * the suggestion. Most classified first. */
int triage_category_accuracy(struct store_conn *c, int64_t since, struct arena *a,
                             struct triage_class_accuracy **out, size_t *n, struct err *err);
/* Per department, the cases created since 'since' that triage routed and a dispatcher has
 * dispatched: how many went to the department (now the lead), and how many of those triage had
 * routed there. Most dispatched first. */
int triage_route_accuracy(struct store_conn *c, int64_t since, struct arena *a,
                          struct triage_class_accuracy **out, size_t *n, struct err *err);
/* Triage's accuracy per category and week (the assessment screen): the dispatchers'
 * classifications in [from, to) (triage_examples, the latest of each case, by its time) of
 * cases triage had suggested a category for, per final category and Beijing week (Monday
 * 00:00 UTC+8, 'week' in seconds since the epoch): how many, and how many kept the suggestion.
 * 'within' (a region code, or NULL) keeps the cases located in its subtree. By week, then
 * category id. */
struct triage_week_accuracy {
    int64_t week;
    int64_t category_id;
    const char *code, *name; /* arena */
    int64_t n, kept;
};
int triage_weekly_accuracy(struct store_conn *c, int64_t from, int64_t to, const char *within,
                           struct arena *a, struct triage_week_accuracy **out, size_t *n,
                           struct err *err);
/* How many decisions triage made since 'since'. */
struct triage_decisions {
    int64_t classified; /* cases given a suggested category */
    int64_t applied;    /* of them, cases that kept it without a dispatcher naming one */
    int64_t routed;     /* cases given a suggested department */
    int64_t urgent;     /* cases on which urgency rules fired */
    int64_t merged;     /* merges of duplicates (a person's decision on triage's candidates) */
    int64_t replies;    /* replies the reply-quality check could be run on */
};
int triage_decision_count(struct store_conn *c, int64_t since, struct triage_decisions *out,
                          struct err *err);

/* Column names of a tab-separated file with a header row; NULL or "" = not used (title,
 * author, likes, id). 'text' lists one or more columns, comma-separated, joined by a space.
 * In parentheses: the defaults (cols = NULL), the columns of the Teddy Cup 2020 附件3 export. */
struct triage_hot_columns {
    const char *text;  /* "detail" (the title is weighted on its own) */
    const char *title; /* "title" */
    const char
        *time; /* "message_time_iso": "YYYY-MM-DD HH:MM:SS", "YYYY/M/D H:MM[:SS]", RFC 3339 */
    const char *author; /* "user_id" */
    const char *likes;  /* "likes" */
    const char *id;     /* "message_id"; without it, the line number */
};

/* Parse TSV bytes (UTF-8, LF or CRLF lines, no quoting: fields hold no tab or newline) into
 * messages. A missing column, a row with the wrong number of fields, an unreadable time, id
 * or like count is ERR_BAD_REQUEST naming the line and column; nothing is returned then.
 * Strings and the array live in 'a'; 'data' may be freed afterwards. */
int triage_hot_read_tsv(const char *data, size_t len, const struct triage_hot_columns *cols,
                        struct arena *a, struct triage_hot_msg **out, size_t *nout,
                        struct err *err);

#endif
