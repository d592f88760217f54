/*
 * particip: residents' participation (issue 18 item 5). A proposal is scoped to a street or a
 * community; officials moderate it (hide with a reason, restore) and its author may appeal a
 * hiding. An official opens one poll on a proposal with open and close times, a quorum (the
 * share of the scope's residents who must vote) and optionally a secret ballot; residents of
 * the scope vote once each; after the close an official publishes the results, which set the
 * proposal's outcome (adopted, rejected, or no quorum).
 *
 * A resident of a scope is an active account with the citizen role whose region lies in the
 * scope (its region code starts with the scope's code). One vote per resident is the database's
 * UNIQUE (poll_id, user_id) on poll_voters, used through INSERT ... ON CONFLICT DO NOTHING, so
 * concurrent requests cannot vote twice. A vote on a secret ballot writes the voter's "has
 * voted" row without the choice and adds one to the choice's count in poll_tally, in the
 * caller's one transaction: nothing stored links a secret choice to a voter.
 *
 * Threading: none of its own. Strings of returned records live in the caller's arena.
 */
#ifndef GRIDLOOP_PARTICIP_PARTICIP_H
#define GRIDLOOP_PARTICIP_PARTICIP_H
#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define PARTICIP_TITLE_MAX 100    /* characters of a proposal's title */
#define PARTICIP_BODY_MAX 4000    /* characters of its text */
#define PARTICIP_REASON_MAX 500   /* characters of a hiding's reason or an appeal */
#define PARTICIP_LIST_MAX 1000    /* proposals a list answers (newest first) */
#define PARTICIP_POLL_MAX_DAYS 90 /* longest a poll may stay open */

struct particip_proposal {
    int64_t id, region_id;
    const char *region_code, *region_name;
    const char *title, *body;
    int64_t author_id;
    const char *author_name;
    const char *status; /* open | voting | adopted | rejected | no_quorum */
    int hidden;
    const char *hide_reason, *appeal;
    const char *project_status; /* "" | planned | in_progress | done (adopted proposals only) */
    const char *project_note;
    int64_t project_at;
    int64_t created_at, updated_at;
    /* The poll; poll_id 0 when none was opened. */
    int64_t poll_id, opens_at, closes_at, quorum_pct;
    int secret;
    int64_t published_at, eligible;
    const char *outcome;      /* "" until published */
    int64_t voters;           /* residents who have voted so far */
    int64_t yes, no, abstain; /* counted once published, 0 before */
};

/* A proposal by 'author_id' for street or community 'region_id'. 'resident' (the author is a
 * citizen) requires the author to live in that scope. ERR_BAD_REQUEST naming "title", "body" or
 * "region_id" (no such region, not a street or community, not the author's). */
int particip_proposal_create(struct store_conn *c, int64_t region_id, const char *title,
                             const char *body, int64_t author_id, int resident, int64_t now,
                             int64_t *id, struct err *err);
int particip_proposal_get(struct store_conn *c, int64_t id, struct arena *a,
                          struct particip_proposal *out, struct err *err);
/* The region code where citizen 'user_id' counts as a resident (see RESIDENT_REGION in
 * particip.c: the account's region, else a checked profile's), "" when none; arena-owned. */
int particip_resident_code(struct store_conn *c, int64_t user_id, struct arena *a,
                           const char **code, struct err *err);

/* Newest first. 'viewer_code' NULL: every proposal (officials). Otherwise a resident's view:
 * the proposals whose scope contains region code 'viewer_code' ("" for none) and are not
 * hidden, plus the viewer's own (hidden or not). 'voted' (may be NULL) gets, per proposal,
 * whether 'viewer_id' has voted in its poll. */
int particip_proposal_list(struct store_conn *c, const char *viewer_code, int64_t viewer_id,
                           struct arena *a, struct particip_proposal **out, int **voted, size_t *n,
                           struct err *err);
/* Hide with a reason (ERR_BAD_REQUEST naming "reason" when empty or too long). */
int particip_proposal_hide(struct store_conn *c, int64_t id, const char *reason, int64_t by,
                           int64_t now, struct err *err);
/* Show a hidden proposal again (an appeal granted, or a mistake undone). */
int particip_proposal_restore(struct store_conn *c, int64_t id, int64_t now, struct err *err);
/* The author's appeal against a hiding: ERR_FORBIDDEN for anyone else, ERR_CONFLICT naming
 * "hidden" when the proposal is not hidden; "text" as for a reason. */
int particip_proposal_appeal(struct store_conn *c, int64_t id, int64_t user_id, const char *text,
                             int64_t now, struct err *err);

/* Open the proposal's poll: ERR_BAD_REQUEST naming "closes_at" (not after opens_at, in the past,
 * or more than PARTICIP_POLL_MAX_DAYS after opens_at) or "quorum_pct"; ERR_CONFLICT naming
 * "status" when the proposal is hidden or already has a poll. */
int particip_poll_open(struct store_conn *c, int64_t proposal_id, int64_t opens_at,
                       int64_t closes_at, int64_t quorum_pct, int secret, int64_t by, int64_t now,
                       struct err *err);
/* One vote ("yes", "no", "abstain") by resident 'user_id': ERR_BAD_REQUEST naming "choice";
 * ERR_CONFLICT naming "poll" (no poll, not open yet, closed) or "voted" (already voted);
 * ERR_FORBIDDEN naming "region" when the user is not a resident of the scope. Call inside a
 * write transaction. */
int particip_vote(struct store_conn *c, int64_t proposal_id, int64_t user_id, const char *choice,
                  int64_t now, struct err *err);
/* Publish the results once the poll has closed (ERR_CONFLICT naming "closes_at" before, "poll"
 * when there is none or it is published): counts the scope's residents, decides the outcome
 * (no_quorum when voters * 100 < quorum_pct * residents or nobody voted; adopted when yes > no;
 * else rejected) and sets the proposal's status to it. */
int particip_publish(struct store_conn *c, int64_t proposal_id, int64_t now, struct err *err);

/* The outcome of a closed poll (what particip_publish decides): "no_quorum" when nobody voted or
 * voters * 100 < quorum_pct * eligible (the quorum is met exactly at the percentage), otherwise
 * "adopted" when yes > no, else "rejected" (a tie is not adopted; abstentions count towards the
 * quorum only). */
const char *particip_outcome(int64_t eligible, int64_t voters, int64_t quorum_pct, int64_t yes,
                             int64_t no);

/* Track an adopted proposal as a project: 'status' planned, in_progress or done, forward only
 * (ERR_BAD_REQUEST naming "status" or "note"; ERR_CONFLICT naming "status" when the proposal is
 * not adopted or the status would go back). */
int particip_project_set(struct store_conn *c, int64_t id, const char *status, const char *note,
                         int64_t now, struct err *err);

/* Participation per community, by code: its residents (as for a vote) and how many of them have
 * voted in at least one poll. */
struct particip_rate {
    int64_t region_id;
    const char *code, *name;
    int64_t residents, voters;
};
int particip_rates(struct store_conn *c, struct arena *a, struct particip_rate **out, size_t *n,
                   struct err *err);

/*
 * Public consultations (公开征求意见, consult.c, migration 0071): officials put a draft out for
 * comment (a policy still in 'draft', or a document given as title and text) for the whole city
 * (region_id 0) or a street or community, between opens_at and closes_at. Residents of the scope
 * (any active citizen when city-wide) comment while it is open, at most PARTICIP_CONSULT_COMMENTS_PER_USER
 * times each (a cap, not a rate: the count is read and the comment inserted in one write
 * transaction, which the store serialises on both databases). After the close officials answer
 * every comment (adopted, partly, not_adopted, each with a reason) and publish a summary of what
 * was adopted and why; publishing is refused while a comment is unanswered. Comments are shown
 * to everyone with the author's name masked (particip_consult_mask_name).
 */
#define PARTICIP_CONSULT_TITLE_MAX 100
#define PARTICIP_CONSULT_BODY_MAX 20000      /* characters of the draft's text */
#define PARTICIP_CONSULT_COMMENT_MAX 1000    /* characters of a comment */
#define PARTICIP_CONSULT_REASON_MAX 500      /* characters of an answer's reason */
#define PARTICIP_CONSULT_SUMMARY_MAX 4000    /* characters of the published summary */
#define PARTICIP_CONSULT_COMMENTS_PER_USER 5 /* comments one account may make on one consultation */
#define PARTICIP_CONSULT_MAX_DAYS 90         /* longest a consultation may stay open */
#define PARTICIP_CONSULT_LIST_MAX 500        /* consultations a list answers (newest first) */
#define PARTICIP_CONSULT_COMMENTS_MAX 5000   /* comments a consultation's record carries */

struct particip_consult_comment {
    int64_t id, user_id;
    const char *author; /* masked: 张* */
    const char *body;
    int64_t created_at;
    const char *answer; /* "" | adopted | partly | not_adopted */
    const char *reason;
    int64_t answered_at;
};

struct particip_consult {
    int64_t id, policy_id, region_id;      /* policy_id, region_id 0: none, the whole city */
    const char *region_code, *region_name; /* "" for the whole city */
    const char *title, *body;
    int64_t opens_at, closes_at, created_at;
    const char *summary;
    int64_t published_at;
    int64_t comments, answered; /* counts */
    struct particip_consult_comment
        *c; /* particip_consult_get only, oldest first; NULL in a list */
    size_t nc;
};

struct particip_consult_in {
    int64_t policy_id;        /* 0: the draft is 'title' and 'body' */
    const char *title, *body; /* with a policy: default its name and summary */
    int64_t region_id;        /* 0: the whole city */
    int64_t opens_at, closes_at;
};

/* ERR_BAD_REQUEST naming "policy_id" (no such policy), "title", "body", "region_id" (not a
 * street or community) or "closes_at" (not after the opening, in the past, longer than
 * PARTICIP_CONSULT_MAX_DAYS); ERR_CONFLICT naming "policy_id" when the policy is no longer a draft. */
int particip_consult_create(struct store_conn *c, const struct particip_consult_in *in, int64_t by,
                            int64_t now, int64_t *id, struct err *err);
/* With its comments. ERR_NOT_FOUND when there is none. */
int particip_consult_get(struct store_conn *c, int64_t id, struct arena *a,
                         struct particip_consult *out, struct err *err);
/* Newest first, without comments (counts only). */
int particip_consult_list(struct store_conn *c, struct arena *a, struct particip_consult **out,
                          size_t *n, struct err *err);
/* A resident's comment: ERR_BAD_REQUEST naming "body"; ERR_CONFLICT naming "consultation" (not
 * open yet, or closed) or "comments_per_user" (the cap reached); ERR_FORBIDDEN naming "region_id"
 * when 'user_id' is not a resident of the scope. Call inside a write transaction. */
int particip_consult_comment(struct store_conn *c, int64_t id, int64_t user_id, const char *body,
                             int64_t now, int64_t *comment_id, struct err *err);
/* Answer comment 'comment_id' of consultation 'id' (again, until published): ERR_BAD_REQUEST
 * naming "answer" or "reason"; ERR_CONFLICT naming "closes_at" before the close or
 * "published_at" once published; ERR_NOT_FOUND for a comment not of this consultation. */
int particip_consult_answer(struct store_conn *c, int64_t id, int64_t comment_id,
                            const char *answer, const char *reason, int64_t by, int64_t now,
                            struct err *err);
/* Publish the summary: ERR_BAD_REQUEST naming "summary"; ERR_CONFLICT naming "published_at"
 * (already), "closes_at" (still open) or "comments" (some unanswered). */
int particip_consult_publish(struct store_conn *c, int64_t id, const char *summary, int64_t by,
                             int64_t now, struct err *err);
/* Whether 'user_id' may comment on a consultation of scope 'region_id' (0: the city): an active
 * citizen, living in the scope unless city-wide. */
int particip_consult_is_resident(struct store_conn *c, int64_t region_id, int64_t user_id,
                                 struct err *err);
/* How many comments 'user_id' has made on consultation 'id'. */
int particip_consult_user_comments(struct store_conn *c, int64_t id, int64_t user_id, int64_t *n,
                                   struct err *err);
/* A name as shown next to a public comment: its first character and "*" (张三 → 张*; an empty or
 * invalid name → "*"), in 'a'. Pure. */
const char *particip_consult_mask_name(const char *name, struct arena *a);

#endif /* GRIDLOOP_PARTICIP_PARTICIP_H */
