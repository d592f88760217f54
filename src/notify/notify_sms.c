/*
 * SMS: the template table, the outbox, Kannel's delivery reports and the channel that sends
 * through Kannel's sendsms HTTP interface (migration 0065). The worker (notify.c) claims due
 * messages and records outcomes as it does for notifications.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "notify/notify.h"
#include "notify/notify_internal.h"
#include "store/store.h"

/* ---------------------------------------------------------------- templates */

#define TPL_COLS "id, code, name, body, updated_at"

typedef VEC(struct notify_sms_template) tpl_vec;

static int push_tpl(void *ctx, struct store_stmt *s)
{
    tpl_vec *v = ctx;
    struct notify_sms_template *t = vec_push(v);
    t->id = store_col_int(s, 0);
    t->code = arena_strdup(v->arena, store_col_text(s, 1));
    t->name = arena_strdup(v->arena, store_col_text(s, 2));
    t->body = arena_strdup(v->arena, store_col_text(s, 3));
    t->updated_at = store_col_int(s, 4);
    return 0;
}

int notify_sms_template_list(struct store_conn *c, struct arena *a,
                             struct notify_sms_template **out, size_t *n, struct err *err)
{
    tpl_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " TPL_COLS " FROM sms_templates ORDER BY id", STORE_NO_ARGS,
                           push_tpl, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int notify_sms_template_get(struct store_conn *c, int64_t id, struct arena *a,
                            struct notify_sms_template *out, struct err *err)
{
    tpl_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " TPL_COLS " FROM sms_templates WHERE id = ?",
                           STORE_ARGS(store_i64(id)), push_tpl, &v, err);
    if (rc < 0)
        return (int)rc;
    if (!v.n)
        return err_set(err, ERR_NOT_FOUND, "sms template %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

/* The placeholders each template is given (notify_sms_queue's callers fill exactly these). */
/* clang-format off */
static const struct {
    const char *code;
    const char *names[3];
} placeholders[] = {
    {"receipt",  {"number", "check_code", NULL}},
    {"evaluate", {"number", NULL, NULL}},
    {"code",     {"code", "minutes", NULL}},
    {"policy",   {"text", NULL, NULL}},
    {"service",  {"text", NULL, NULL}},
};
/* clang-format on */

static int placeholder_known(const char *code, const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
        if (strcmp(placeholders[i].code, code) != 0)
            continue;
        for (int j = 0; j < 3 && placeholders[i].names[j]; j++)
            if (strlen(placeholders[i].names[j]) == len &&
                memcmp(placeholders[i].names[j], name, len) == 0)
                return 1;
    }
    return 0;
}

int notify_sms_template_set(struct store_conn *c, int64_t id, const char *body, int64_t now,
                            struct err *err)
{
    struct notify_sms_template cur;
    struct arena a;
    int rc;
    if ((rc = utf8_check_field(body, "body", 1, NOTIFY_SMS_BODY_MAX, err)) < 0)
        return rc;
    arena_init(&a, 1024);
    if ((rc = notify_sms_template_get(c, id, &a, &cur, err)) < 0)
        goto out;
    for (const char *p = body; *p; p++) {
        if (*p == '}') {
            rc = err_field(err, ERR_BAD_REQUEST, "body", "a '}' without its '{' in the text");
            goto out;
        }
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end) {
            rc = err_field(err, ERR_BAD_REQUEST, "body", "a '{' without its '}' in the text");
            goto out;
        }
        if (!placeholder_known(cur.code, p + 1, (size_t)(end - p - 1))) {
            rc = err_field(err, ERR_BAD_REQUEST, "body",
                           "placeholder '%.*s' is not given to template '%s'",
                           (int)(end - p - 1) > 40 ? 40 : (int)(end - p - 1), p + 1, cur.code);
            goto out;
        }
        p = end;
    }
    int64_t n = store_run(c, "UPDATE sms_templates SET body = ?, updated_at = ? WHERE id = ?",
                          STORE_ARGS(store_text(body), store_i64(now), store_i64(id)), err);
    rc = n < 0 ? (int)n : 0;
out:
    arena_release(&a);
    return rc;
}

/* ---------------------------------------------------------------- the outbox */

static void render(struct buf *out, const char *body, const struct notify_sms_param *params,
                   int nparams)
{
    for (const char *p = body; *p; p++) {
        const char *end;
        if (*p == '{' && (end = strchr(p, '}'))) {
            size_t len = (size_t)(end - p - 1);
            for (int i = 0; i < nparams; i++)
                if (strlen(params[i].name) == len && memcmp(params[i].name, p + 1, len) == 0) {
                    if (params[i].value)
                        buf_puts(out, params[i].value);
                    else
                        buf_append(out, p, len + 2);
                    break;
                }
            p = end;
            continue;
        }
        buf_putc(out, *p);
    }
}

int notify_sms_queue(struct store_conn *c, const char *code, const char *enc, const char *mask,
                     const char *hash, int64_t case_id, const struct notify_sms_param *params,
                     int nparams, const char *secret_enc, int64_t now, int64_t *id, struct err *err)
{
    struct store_stmt *s;
    struct buf text;
    unsigned char raw[NOTIFY_SMS_TOKEN_LEN / 2];
    char token[NOTIFY_SMS_TOKEN_LEN + 1];
    int64_t tid = 0, mid = 0;
    int rc;
    if ((rc = store_prepare(c, "SELECT id, body FROM sms_templates WHERE code = ?",
                            STORE_ARGS(store_text(code)), &s, err)) < 0)
        return rc;
    buf_init(&text);
    if ((rc = store_step(s, err)) == 1) {
        tid = store_col_int(s, 0);
        render(&text, store_col_text(s, 1), params, nparams);
    }
    store_done(s);
    if (rc < 0)
        goto out;
    if (!tid)
        BUG("sms template '%s' is not in the table (migration 0065 seeds every code)", code);
    if (utf8_len(text.p ? text.p : "") > NOTIFY_SMS_TEXT_MAX) {
        rc = err_set(err, ERR_BAD_REQUEST, "the text of sms template '%s' is longer than %d", code,
                     NOTIFY_SMS_TEXT_MAX);
        goto out;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    rc = store_one_i64(
        c,
        "INSERT INTO sms_messages (template_id, case_id, phone_enc, phone_mask, phone_hash, text,"
        " next_attempt_at, dlr_token, secret_enc, created_at)"
        " VALUES (?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        STORE_ARGS(store_i64(tid), store_i64(case_id), store_text(enc), store_text(mask),
                   store_text(hash), store_text(text.p ? text.p : ""), store_i64(now),
                   store_text(token), store_text(secret_enc ? secret_enc : ""), store_i64(now)),
        &mid, err);
    if (rc >= 0) {
        rc = 0;
        if (id)
            *id = mid;
    }
out:
    buf_release(&text);
    return rc;
}

#define MSG_COLS                                                                                   \
    "m.id, t.code, coalesce(m.case_id, 0), m.phone_enc, m.phone_mask, m.text, m.status,"           \
    " m.attempts, m.last_error, m.dlr_token, m.created_at, coalesce(m.sent_at, 0),"                \
    " coalesce(m.report_at, 0),"                                                                   \
    " coalesce((SELECT r.type FROM sms_reports r WHERE r.message_id = m.id"                        \
    " ORDER BY r.id DESC LIMIT 1), 0), m.secret_enc"
#define MSG_FROM " FROM sms_messages m JOIN sms_templates t ON t.id = m.template_id"

typedef VEC(struct notify_sms_msg) msg_vec;

static int push_msg(void *ctx, struct store_stmt *s)
{
    msg_vec *v = ctx;
    struct arena *a = v->arena;
    struct notify_sms_msg *m = vec_push(v);
    m->id = store_col_int(s, 0);
    m->template_code = arena_strdup(a, store_col_text(s, 1));
    m->case_id = store_col_int(s, 2);
    m->phone_enc = arena_strdup(a, store_col_text(s, 3));
    m->phone_mask = arena_strdup(a, store_col_text(s, 4));
    m->text = arena_strdup(a, store_col_text(s, 5));
    m->status = arena_strdup(a, store_col_text(s, 6));
    m->attempts = (int)store_col_int(s, 7);
    m->last_error = arena_strdup(a, store_col_text(s, 8));
    m->dlr_token = arena_strdup(a, store_col_text(s, 9));
    m->created_at = store_col_int(s, 10);
    m->sent_at = store_col_int(s, 11);
    m->report_at = store_col_int(s, 12);
    m->last_report = (int)store_col_int(s, 13);
    m->secret_enc = arena_strdup(a, store_col_text(s, 14));
    return 0;
}

static int msgs(struct store_conn *c, const char *sql, struct store_args args, struct arena *a,
                struct notify_sms_msg **out, struct err *err)
{
    msg_vec v = VEC_IN(a);
    int64_t rc = store_all(c, sql, args, push_msg, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    return (int)v.n;
}

int notify_sms_list(struct store_conn *c, int64_t case_id, int64_t before, int limit,
                    struct arena *a, struct notify_sms_msg **out, struct err *err)
{
    return msgs(c,
                "SELECT " MSG_COLS MSG_FROM
                " WHERE (? = 0 OR m.case_id = ?) AND (? = 0 OR m.id < ?)"
                " ORDER BY m.id DESC LIMIT ?",
                STORE_ARGS(store_i64(case_id), store_i64(case_id), store_i64(before),
                           store_i64(before), store_i64(limit)),
                a, out, err);
}

int notify_sms_list_phone(struct store_conn *c, const char *hash, int limit, struct arena *a,
                          struct notify_sms_msg **out, struct err *err)
{
    return msgs(c, "SELECT " MSG_COLS MSG_FROM " WHERE m.phone_hash = ? ORDER BY m.id DESC LIMIT ?",
                STORE_ARGS(store_text(hash), store_i64(limit)), a, out, err);
}

int notify_sms_claim_in_tx(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                           struct notify_sms_msg **out, struct err *err)
{
    int rc, n;
    if ((rc = n = msgs(c,
                       "SELECT " MSG_COLS MSG_FROM " WHERE m.status = 'pending'"
                       " AND m.next_attempt_at <= ? ORDER BY m.next_attempt_at, m.id LIMIT ?",
                       STORE_ARGS(store_i64(now), store_i64(max)), a, out, err)) < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct notify_sms_msg *m = &(*out)[i];
        if ((rc = (int)store_run(
                 c,
                 "UPDATE sms_messages SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                 STORE_ARGS(store_i64(now + lease), store_i64(m->id)), err)) < 0)
            return rc;
        m->attempts++;
    }
    return n;
}

int notify_sms_claim(struct store_conn *c, int64_t now, int lease, int max, struct arena *a,
                     struct notify_sms_msg **out, struct err *err)
{
    int rc, n;
    /* As notify_claim: the write lock first, so two claimers never read the same rows. */
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    if ((rc = n = notify_sms_claim_in_tx(c, now, lease, max, a, out, err)) < 0 ||
        (rc = store_commit(c, err)) < 0) {
        store_rollback(c);
        return rc;
    }
    return n;
}

int notify_sms_mark_sent(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    /* A report may have come back before this is recorded: it keeps its status. */
    int64_t rc = store_run(c,
                           "UPDATE sms_messages SET status = CASE WHEN status = 'pending' THEN"
                           " 'sent' ELSE status END, sent_at = ?, last_error = '', secret_enc = ''"
                           " WHERE id = ?",
                           STORE_ARGS(store_i64(now), store_i64(id)), err);
    return rc < 0 ? (int)rc : 0;
}

int notify_sms_mark_failed(struct store_conn *c, const struct notify_sms_msg *m, int64_t now,
                           int64_t delay, int max_attempts, const char *error, struct err *err)
{
    int64_t rc;
    if (m->attempts >= max_attempts)
        rc = store_run(c,
                       "UPDATE sms_messages SET status = 'failed', last_error = ?, secret_enc = ''"
                       " WHERE id = ?",
                       STORE_ARGS(store_text(error), store_i64(m->id)), err);
    else
        rc = store_run(
            c, "UPDATE sms_messages SET next_attempt_at = ?, last_error = ? WHERE id = ?",
            STORE_ARGS(store_i64(notify_retry_at(now, delay)), store_text(error), store_i64(m->id)),
            err);
    return rc < 0 ? (int)rc : 0;
}

int notify_sms_report(struct store_conn *c, int64_t id, const char *token, int type,
                      const char *status, int64_t now, int64_t *case_id, struct err *err)
{
    struct store_stmt *s;
    char stored[NOTIFY_SMS_TOKEN_LEN + 1] = "";
    int rc;
    *case_id = 0;
    if ((rc = store_prepare(c,
                            "SELECT dlr_token, coalesce(case_id, 0) FROM sms_messages WHERE id = ?",
                            STORE_ARGS(store_i64(id)), &s, err)) < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1) {
        snprintf(stored, sizeof(stored), "%s", store_col_text(s, 0));
        *case_id = store_col_int(s, 1);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    if (!*stored || strlen(token) != strlen(stored) ||
        sodium_memcmp(token, stored, strlen(stored)) != 0)
        return err_set(err, ERR_NOT_FOUND, "no sms message %lld with this token", (long long)id);
    if (type < 1 || type > 31)
        return err_field(err, ERR_BAD_REQUEST, "type", "a delivery report's type is 1..31");
    if (utf8_check_field(status, "status", 0, 200, err) < 0)
        return err->code;
    int64_t n = store_run(
        c, "INSERT INTO sms_reports (message_id, type, status, at) VALUES (?, ?, ?, ?)",
        STORE_ARGS(store_i64(id), store_i64(type), store_text(status), store_i64(now)), err);
    if (n < 0)
        return (int)n;
    const char *final = type & 1 ? "delivered" : type & (2 | 16) ? "undelivered" : NULL;
    n = store_run(
        c, "UPDATE sms_messages SET report_at = ?, status = coalesce(?, status) WHERE id = ?",
        STORE_ARGS(store_i64(now), final ? store_text(final) : store_null(), store_i64(id)), err);
    return n < 0 ? (int)n : 0;
}

/* ---------------------------------------------------------------- the channel */

enum sms_kind { SMS_LOG, SMS_KANNEL };

struct notify_sms_channel {
    enum sms_kind kind;
    char *url, *user, *password, *from, *dlr_base;
    unsigned char key[32];
    int timeout_ms;
    CURL *curl;
};

void notify_sms_channel_free(struct notify_sms_channel *ch)
{
    if (!ch)
        return;
    if (ch->curl)
        curl_easy_cleanup(ch->curl);
    free(ch->url);
    free(ch->user);
    free(ch->password);
    free(ch->from);
    free(ch->dlr_base);
    sodium_memzero(ch->key, sizeof(ch->key));
    free(ch);
}

static int http_url(const char *u)
{
    return u && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
}

int notify_sms_channel_new(struct notify_sms_channel **out, const struct notify_sms_options *o,
                           struct err *err)
{
    *out = NULL;
    enum sms_kind kind;
    if (strcmp(o->channel, "none") == 0)
        return 0;
    if (strcmp(o->channel, "log") == 0)
        kind = SMS_LOG;
    else if (strcmp(o->channel, "kannel") == 0)
        kind = SMS_KANNEL;
    else
        return err_field(err, ERR_BAD_REQUEST, "sms_channel",
                         "setting 'sms_channel' must be log, kannel or none, got '%s'", o->channel);
    if (!o->key)
        return err_set(err, ERR_BAD_REQUEST, "the sms channel needs the data key to open phones");
    if (kind == SMS_KANNEL && !http_url(o->url))
        return err_field(err, ERR_BAD_REQUEST, "sms_kannel_url",
                         "setting 'sms_kannel_url' must be an http:// or https:// URL, got '%s'",
                         o->url ? o->url : "");
    if (kind == SMS_KANNEL && o->dlr_base && *o->dlr_base && !http_url(o->dlr_base))
        return err_field(err, ERR_BAD_REQUEST, "sms_dlr_url",
                         "setting 'sms_dlr_url' must be an http:// or https:// URL, got '%s'",
                         o->dlr_base);
    struct notify_sms_channel *ch = xcalloc(1, sizeof(*ch));
    ch->kind = kind;
    ch->url = xstrdup(o->url ? o->url : "");
    ch->user = xstrdup(o->user ? o->user : "");
    ch->password = xstrdup(o->password ? o->password : "");
    ch->from = xstrdup(o->from ? o->from : "");
    ch->dlr_base = xstrdup(o->dlr_base ? o->dlr_base : "");
    memcpy(ch->key, o->key, sizeof(ch->key));
    ch->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    if (kind == SMS_KANNEL) {
        /* notify_channel_webhook_new's global init has the same once-guard; curl_easy_init
         * also initialises on first use. */
        ch->curl = curl_easy_init();
        if (!ch->curl) {
            notify_sms_channel_free(ch);
            return err_set(err, ERR_INTERNAL, "cannot create a curl handle");
        }
        curl_easy_setopt(ch->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(ch->curl, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
        curl_easy_setopt(ch->curl, CURLOPT_USERAGENT, "gridloop/" GRIDLOOP_VERSION);
        curl_easy_setopt(ch->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(ch->curl, CURLOPT_FOLLOWLOCATION, 0L);
    }
    *out = ch;
    return 0;
}

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    if (b->len < 1024)
        buf_append(b, p, size * n);
    return size * n;
}

static void param(struct buf *q, CURL *c, const char *name, const char *value)
{
    char *e = curl_easy_escape(c, value, 0);
    buf_printf(q, "%s%s=%s", q->len ? "&" : "", name, e ? e : "");
    curl_free(e);
}

int notify_sms_send(struct notify_sms_channel *ch, const struct notify_sms_msg *m, struct err *err)
{
    struct arena a;
    const char *phone;
    int rc;
    arena_init(&a, 512);
    const char *text = m->text;
    if ((rc = auth_phone_open(ch->key, m->phone_enc, &a, &phone, err)) < 0)
        goto done;
    if (m->secret_enc && *m->secret_enc) {
        const char *secret, *at = strstr(m->text, "{code}");
        if ((rc = auth_phone_open(ch->key, m->secret_enc, &a, &secret, err)) < 0)
            goto done;
        if (at)
            text = arena_printf(&a, "%.*s%s%s", (int)(at - m->text), m->text, secret, at + 6);
    }
    if (ch->kind == SMS_LOG) {
        struct buf b;
        buf_init(&b);
        buf_printf(&b, "{\"sms\":{\"id\":%lld,\"to\":", (long long)m->id);
        buf_json_str(&b, m->phone_mask);
        buf_puts(&b, ",\"text\":");
        buf_json_str(&b, m->text); /* a code stays "{code}" in the log */
        buf_puts(&b, "}}");
        log_line_stdout(b.p, b.len);
        buf_release(&b);
        goto done;
    }
    /* Digits (and a leading '+') only: Kannel reads a space as a second recipient. */
    char to[64];
    size_t k = 0;
    for (const char *p = phone; *p && k + 1 < sizeof(to); p++)
        if ((*p >= '0' && *p <= '9') || (*p == '+' && k == 0))
            to[k++] = *p;
    to[k] = 0;
    struct buf q, url, body;
    long status = 0;
    buf_init(&q);
    buf_init(&url);
    buf_init(&body);
    CURL *c = ch->curl;
    param(&q, c, "username", ch->user);
    param(&q, c, "password", ch->password);
    param(&q, c, "from", ch->from);
    param(&q, c, "to", to);
    param(&q, c, "text", text);
    /* Without both, Kannel sends the UTF-8 bytes as GSM text or as if they were UCS-2. */
    param(&q, c, "charset", "UTF-8");
    param(&q, c, "coding", "2");
    if (*ch->dlr_base) {
        struct buf d;
        buf_init(&d);
        /* %d and %A are Kannel's: the report type and the SMSC's answer. */
        buf_printf(&d, "%s/api/v1/sms/dlr?id=%lld&token=%s&type=%%d&status=%%A", ch->dlr_base,
                   (long long)m->id, m->dlr_token);
        param(&q, c, "dlr-mask", "31");
        param(&q, c, "dlr-url", d.p);
        buf_release(&d);
    }
    buf_printf(&url, "%s%s%s", ch->url, strchr(ch->url, '?') ? "&" : "?", q.p);
    curl_easy_setopt(c, CURLOPT_URL, url.p);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = err_set(err, ERR_UNAVAILABLE, "kannel: %s", curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        /* sendsms answers 202 "0: Accepted for delivery" (or 3: queued for later delivery). */
        if (status < 200 || status > 299)
            rc = err_set(err, ERR_UNAVAILABLE, "kannel answered %ld: %.200s", status,
                         body.p ? body.p : "");
    }
    sodium_memzero(url.p, url.len);
    sodium_memzero(q.p, q.len);
    buf_release(&url);
    buf_release(&q);
    buf_release(&body);
done:
    arena_release(&a);
    return rc;
}

struct sealed_phone {
    char *enc, *mask, *hash;
    struct arena *a;
};

static int read_sealed_phone(void *ctx, struct store_stmt *s)
{
    struct sealed_phone *p = ctx;
    p->enc = arena_strdup(p->a, store_col_text(s, 0));
    p->mask = arena_strdup(p->a, store_col_text(s, 1));
    p->hash = arena_strdup(p->a, store_col_text(s, 2));
    return 0;
}

int notify_sms_user(struct store_conn *c, const char *code, int64_t user_id, const char *text,
                    int64_t now, struct err *err)
{
    struct arena a;
    struct sealed_phone p = {.a = &a};
    arena_init(&a, 512);
    int rc = store_one(c, "SELECT phone_enc, phone_mask, phone_hash FROM users WHERE id = ?",
                       STORE_ARGS(store_i64(user_id)), read_sealed_phone, &p, err);
    if (rc > 0 && p.enc && *p.enc) {
        struct notify_sms_param param = {"text", text};
        rc = notify_sms_queue(c, code, p.enc, p.mask, p.hash, 0, &param, 1, NULL, now, NULL, err);
    }
    arena_release(&a);
    return rc < 0 ? rc : 0;
}
