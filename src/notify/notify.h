/*
 * notify: delivery of the notification outbox.
 *
 * Case writes insert rows into `notifications` in the same transaction as the event they
 * announce (src/case). This module delivers them: a worker claims due rows in batches
 * (status 'pending', next_attempt_at <= now), hands each to a channel chosen by
 * configuration (log, webhook, or none), and marks it 'sent' or schedules a retry with
 * exponential back-off and jitter; after max_attempts it gives up and marks it 'failed'.
 * The outbox rows are the only state, so a restart resumes where the last process stopped.
 *
 * Delivery is at least once: claiming a row increments its attempts and leases it for
 * 'lease' seconds; a process that dies while delivering leaves the lease to run out and the
 * row is claimed again. Receivers deduplicate by notification id.
 *
 * Every row is also handed to a publish callback the first time it is claimed (live queues:
 * the API turns it into a server-sent event), whatever the channel then does with it.
 *
 * Threading: a worker runs in its own thread with its own store connection; the channel is
 * only used from that thread. notify_worker_wake() may be called from any thread.
 * Ownership: items and their strings live in the arena given to the call that returned them.
 */
#ifndef GRIDLOOP_NOTIFY_NOTIFY_H
#define GRIDLOOP_NOTIFY_NOTIFY_H

#include <stdint.h>

struct arena;
struct buf;
struct err;
struct store;
struct store_conn;

/* One outbox row, with the number of the case it concerns. */
struct notify_item {
    int64_t id;
    int64_t case_id;         /* 0 when the notification is not about a case */
    const char *case_number; /* "" when there is no case */
    int64_t event_id;
    int64_t created_at;
    const char *recipient_kind; /* department, user, citizen, supervisors, dispatchers */
    int64_t recipient_id;       /* 0 for the group kinds */
    const char *kind;           /* dispatched, overdue, replied, ... */
    const char *message;
    int attempts; /* including the one in progress */
    /* The case's region code ("" when none): a group notification goes only to the holders
     * whose region scope includes it. */
    const char *case_region;
};

/* ---- channels ---- */

struct notify_channel;

struct notify_channel_ops {
    const char *name;
    /* Deliver one notification; 0, or a negative ERR_* with 'err' set for a failure that
     * is worth retrying. */
    int (*deliver)(struct notify_channel *ch, const struct notify_item *n, struct err *err);
    void (*free)(struct notify_channel *ch);
    /* Notifications claimed at once: a batch is delivered within one lease, and under intake
     * load every claim and every outcome is one commit, so a channel that cannot block (the
     * log) takes many. */
    int batch;
};

/* Channels embed this as their first member. */
struct notify_channel {
    const struct notify_channel_ops *ops;
};

/* One JSON line per notification on stdout (next to the access log). */
int notify_channel_log_new(struct notify_channel **out, struct err *err);

/* HTTP POST of the notification as JSON to 'url'; a network error, a timeout or a status
 * outside 2xx is a failure. 'timeout_ms' bounds the whole request. */
int notify_channel_webhook_new(struct notify_channel **out, const char *url, int timeout_ms,
                               struct err *err);

/* The channel called 'name' ("log", "webhook"; "none" gives *out = NULL: rows are marked
 * sent without delivery, so only live streams see them). ERR_BAD_REQUEST for other names or
 * a webhook without a URL. */
int notify_channel_new(struct notify_channel **out, const char *name, const char *webhook_url,
                       int timeout_ms, struct err *err);

/* NULL is accepted. */
void notify_channel_free(struct notify_channel *ch);

/* The JSON object sent by the channels and the event stream:
 * {"id","case_id","case_number","event_id","kind","recipient":{"kind","id"},"message",
 *  "created_at","attempt"}. */
void notify_item_json(const struct notify_item *n, struct buf *out);

/* ---- the outbox ---- */

/*
 * Seconds to wait before the next attempt after 'attempts' failed ones: base * 2^(attempts-1)
 * capped at 'cap', minus up to half of it as jitter chosen by 'rnd'. Always >= 1.
 */
int64_t notify_backoff(int attempts, int base, int cap, uint32_t rnd);
/* When a retry 'delay' seconds after a failure in the second 'now' (whole seconds) is due:
 * never sooner than 'delay' after the failure itself, at most a second later. */
int64_t notify_retry_at(int64_t now, int64_t delay);

/*
 * Claim up to 'max' due rows, oldest first: in one transaction, increment their attempts and
 * move next_attempt_at to now + lease so no other claim returns them until the lease ends.
 * Returns the number claimed (items in '*out', arena) or a negative ERR_*.
 */
int notify_claim(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                 struct notify_item **out, struct err *err);

/* Record a delivery. */
int notify_mark_sent(struct store_conn *c, int64_t id, int64_t now, struct err *err);

/* Record a failed attempt: retry at now + delay, or, when the item has had 'max_attempts',
 * mark it failed. 'error' is kept in last_error. */
int notify_mark_failed(struct store_conn *c, const struct notify_item *n, int64_t now,
                       int64_t delay, int max_attempts, const char *error, struct err *err);

/*
 * Notifications already handed out (claimed at least once) with an id above 'after', oldest
 * first, at most 'max': what a reconnecting event stream missed. Returns the count or a
 * negative ERR_*.
 */
int notify_list_after(struct store_conn *c, int64_t after, int max, struct arena *a,
                      struct notify_item **out, struct err *err);

/* The highest notification id so far (0 when none): where "the latest N" starts from. */
int notify_last_id(struct store_conn *c, int64_t *id, struct err *err);

/* ---- the message centre (notify_inbox.c) ---- */

/*
 * Each person's view of the outbox: the notifications addressed to their user (kinds 'user'
 * and 'citizen'), to one of their departments, or to a group their role belongs to
 * (dispatchers, supervisors; a region-bound holder only for cases in its region, as the
 * event stream decides), newest first, each read or not for this person.
 */
#define NOTIFY_INBOX_DEPTS 16 /* departments a reader may act for (AUTH_MAX_DEPTS) */
#define NOTIFY_INBOX_MAX 100  /* messages per page */
#define NOTIFY_COUNT_DAYS 30  /* unread counts look this far back */
#define NOTIFY_COUNT_CAP 999  /* and stop counting here ("999+") */

struct notify_reader {
    int64_t user_id;
    int dispatcher, supervisor; /* holds the group's role */
    int64_t depts[NOTIFY_INBOX_DEPTS];
    int ndepts;
    const char *region; /* the reader's region scope; NULL or "" = none */
};

/* What a message is about, for the centre's tabs and counts: the notification kinds grouped
 * the way the issue names them (a table in notify_inbox.c; unknown kinds are 'other'). */
enum notify_group {
    NG_ASSIGN,     /* 新派单: dispatched, assist, new_case */
    NG_URGE,       /* 催办督办: urge, overdue, escalated */
    NG_APPROVAL,   /* 审批: approval requests and their answers */
    NG_REPLY,      /* 答复: replied, returned */
    NG_EVALUATION, /* 评价: an unsatisfied evaluation sends the case back (rectify) */
    NG_OTHER,
    NOTIFY_GROUP_COUNT
};
enum notify_group notify_group_of(const char *kind);
const char *notify_group_name(enum notify_group g);
int notify_group_from_name(const char *name); /* -1 if unknown */

struct notify_msg {
    struct notify_item n;
    enum notify_group group;
    int read;
};

struct notify_inbox_query {
    int group; /* -1 = every group */
    int unread_only;
    int64_t before; /* only ids below this (the next page); 0 = from the newest */
    int limit;      /* 1..NOTIFY_INBOX_MAX */
};

/* A page of the reader's messages, newest first: the count (items in '*out', arena) or a
 * negative ERR_*. */
int notify_inbox_list(struct store_conn *c, const struct notify_reader *r,
                      const struct notify_inbox_query *q, struct arena *a, struct notify_msg **out,
                      struct err *err);

/* How many messages the query matches from the newest ('before' ignored): the list's total. */
int notify_inbox_total(struct store_conn *c, const struct notify_reader *r,
                       const struct notify_inbox_query *q, int64_t *total, struct err *err);

/* Unread messages of the last NOTIFY_COUNT_DAYS per group, and their total (each at most
 * NOTIFY_COUNT_CAP). */
int notify_inbox_counts(struct store_conn *c, const struct notify_reader *r, int64_t now,
                        int counts[NOTIFY_GROUP_COUNT], int *total, struct err *err);

/* Mark messages read for the reader: the given ids (those it may see; others are ignored),
 * or, with 'all', everything up to now. A write: run it in a transaction of its own. */
int notify_inbox_read(struct store_conn *c, const struct notify_reader *r, const int64_t *ids,
                      int nids, int all, int64_t now, struct err *err);

/* ---- SMS (notify_sms.c) ----
 * Texts to citizens' phones: a template table the admin edits (sms_templates: receipt 受理回执,
 * evaluate 办结请评价, code 验证码, policy 政策提醒), an outbox (sms_messages) filled in the same
 * transaction as the event a text announces, delivered by the notification worker through the
 * SMS channel with the same retries and back-off as notifications, and Kannel's delivery
 * reports kept per message (sms_reports). Phones are sealed at rest as case phones are. */
#define NOTIFY_SMS_BODY_MAX 300 /* characters of a template */
#define NOTIFY_SMS_TEXT_MAX 700 /* characters of a rendered text (Kannel splits it in parts) */
#define NOTIFY_SMS_LIST_MAX 100 /* messages per page */
#define NOTIFY_SMS_TOKEN_LEN 32 /* hex characters of a delivery report's token */

struct notify_sms_template {
    int64_t id;
    const char *code; /* receipt, evaluate, code, policy */
    const char *name; /* 受理回执 ... */
    const char *body; /* with {placeholders} */
    int64_t updated_at;
};

int notify_sms_template_list(struct store_conn *c, struct arena *a,
                             struct notify_sms_template **out, size_t *n, struct err *err);
int notify_sms_template_get(struct store_conn *c, int64_t id, struct arena *a,
                            struct notify_sms_template *out, struct err *err);
/* Replace a template's body: 1..NOTIFY_SMS_BODY_MAX characters using only the placeholders its
 * code fills (an unknown or unclosed one is refused, field 'body'). */
int notify_sms_template_set(struct store_conn *c, int64_t id, const char *body, int64_t now,
                            struct err *err);

/* A placeholder's value for notify_sms_queue; value NULL keeps the placeholder in the stored
 * text: the sender fills it from the sealed secret. */
struct notify_sms_param {
    const char *name, *value;
};

/* Queue the text of template 'code' with 'params' for the sealed phone ('enc', 'mask', 'hash'
 * as auth_phone_seal gives them), about case 'case_id' (0 = none). Runs inside the caller's
 * transaction. '*id' (may be NULL) is the message's id. 'secret_enc' (NULL or "" = none) is a
 * value sealed under the data key that the sender puts in place of "{code}" and that is erased
 * once the message is sent or given up: a sign-in code is never stored in clear. */
int notify_sms_queue(struct store_conn *c, const char *code, const char *enc, const char *mask,
                     const char *hash, int64_t case_id, const struct notify_sms_param *params,
                     int nparams, const char *secret_enc, int64_t now, int64_t *id,
                     struct err *err);
/* Queue template 'code' with its one placeholder {text} to the phone of account 'user_id',
 * inside the caller's transaction; nothing when the account has no phone. */
int notify_sms_user(struct store_conn *c, const char *code, int64_t user_id, const char *text,
                    int64_t now, struct err *err);

/* One message of the outbox. */
struct notify_sms_msg {
    int64_t id;
    const char *template_code;
    int64_t case_id; /* 0 = none */
    const char *phone_enc, *phone_mask;
    const char *text;
    const char *status; /* pending, sent, failed, delivered, undelivered */
    int attempts;
    const char *last_error;
    const char *dlr_token;
    const char *secret_enc;                 /* "" = none */
    int64_t created_at, sent_at, report_at; /* 0 = not yet */
    int last_report;                        /* the last report's type, 0 = none */
};

/* Messages newest first, of one case (case_id > 0) or all; ids below 'before' (0 = from the
 * newest), at most 'limit'. The count, or a negative ERR_*. */
int notify_sms_list(struct store_conn *c, int64_t case_id, int64_t before, int limit,
                    struct arena *a, struct notify_sms_msg **out, struct err *err);
/* Messages sent to the phone with keyed hash 'hash', newest first, at most 'limit'. */
int notify_sms_list_phone(struct store_conn *c, const char *hash, int limit, struct arena *a,
                          struct notify_sms_msg **out, struct err *err);

/* Record Kannel's delivery report 'type' (its %d: 1 delivered, 2 failed, 4 buffered, 8 SMSC
 * ack, 16 SMSC reject) with the SMSC's answer for message 'id', if 'token' is the message's:
 * ERR_NOT_FOUND otherwise (no id and token pair is guessable). A final report sets the status
 * (1 delivered, 2 and 16 undelivered). '*case_id' gets the message's case (0 = none). */
int notify_sms_report(struct store_conn *c, int64_t id, const char *token, int type,
                      const char *status, int64_t now, int64_t *case_id, struct err *err);

/* The SMS channel: "log" writes each text (masked phone) as a JSON line, "kannel" sends it with
 * Kannel's sendsms interface (UTF-8 text as UCS-2, a delivery report requested when
 * 'dlr_base' is set), "none" leaves the outbox untouched. */
struct notify_sms_options {
    const char *channel; /* log, kannel or none */
    const char *url;     /* http://host:port/cgi-bin/sendsms */
    const char *user, *password;
    const char *from;     /* sender number shown on the phone */
    const char *dlr_base; /* gridloop's base URL as Kannel reaches it; "" = no reports */
    int timeout_ms;
    const unsigned char *key; /* 32-byte data key that opens the phones (borrowed) */
};
struct notify_sms_channel;
/* *out = NULL for "none"; ERR_BAD_REQUEST (field = the setting) for a bad name or URL. */
int notify_sms_channel_new(struct notify_sms_channel **out, const struct notify_sms_options *o,
                           struct err *err);
void notify_sms_channel_free(struct notify_sms_channel *ch);
/* Send one message: 0, or a negative ERR_* worth retrying (err set). */
int notify_sms_send(struct notify_sms_channel *ch, const struct notify_sms_msg *m, struct err *err);

/* Claim up to 'max' due pending messages (attempts incremented, leased for 'lease' seconds). */
int notify_sms_claim(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                     struct notify_sms_msg **out, struct err *err);
int notify_sms_mark_sent(struct store_conn *c, int64_t id, int64_t now, struct err *err);
/* Retry at now + delay, or mark it failed once it has had 'max_attempts'. */
int notify_sms_mark_failed(struct store_conn *c, const struct notify_sms_msg *m, int64_t now,
                           int64_t delay, int max_attempts, const char *error, struct err *err);

/* ---- the worker ---- */

struct notify_worker;

typedef void notify_publish_fn(void *ctx, const struct notify_item *n);
typedef int64_t notify_now_fn(void *ctx);

struct notify_options {
    int interval;     /* seconds between passes when not woken */
    int max_attempts; /* attempts before a row is marked failed */
    int retry_base;   /* seconds before the first retry */
    int retry_max;    /* cap on the back-off, seconds */
    int batch;        /* rows claimed per pass */
    int lease;        /* seconds a claimed row is reserved for this worker */
};

/*
 * A worker over 'st' delivering through 'ch' (owned by the worker from now on; NULL for the
 * channel "none"). 'publish' (may be NULL) sees every row the first time it is claimed;
 * 'now' gives the time (the API's clock, which tests can move).
 */
int notify_worker_new(struct notify_worker **out, struct store *st, const struct notify_options *o,
                      struct notify_channel *ch, notify_publish_fn *publish, notify_now_fn *now,
                      void *ctx, struct err *err);

/* Run one pass in the calling thread: claim, publish, deliver, record. Returns the number of
 * rows handled or a negative ERR_*. Used by the thread and by tests. */
int notify_worker_run_once(struct notify_worker *w, struct err *err);

/* Give the worker an SMS channel (owned by the worker from now on; NULL = none): each pass
 * then also delivers the due SMS messages. Call before notify_worker_start. */
void notify_worker_set_sms(struct notify_worker *w, struct notify_sms_channel *sms);

/* Run the worker's write transactions (claims, outcomes) as jobs of the group-commit writer
 * 'writer' (which must outlive the worker), so they share its commits instead of taking the
 * write lock and an fsync of their own. Call before notify_worker_start; without it the worker
 * commits on its own connection. */
struct store_writer;
void notify_worker_set_writer(struct notify_worker *w, struct store_writer *writer);

/* Start the background thread. */
int notify_worker_start(struct notify_worker *w, struct err *err);

/* Ask for a pass now (after a write that may have queued notifications). */
void notify_worker_wake(struct notify_worker *w);

/* Stop the thread (the pass in progress finishes) and free the worker. NULL is accepted. */
void notify_worker_free(struct notify_worker *w);

#endif /* GRIDLOOP_NOTIFY_NOTIFY_H */
