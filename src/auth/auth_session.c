/*
 * Sessions and login throttling. Session lookups happen on every authenticated request, so
 * resolved sessions are cached in memory by token hash; a cached entry is trusted for
 * CACHE_TTL seconds and then re-read, which bounds how long a change made by another process
 * (the CLI) takes to apply. Changes made through this process invalidate the cache at once;
 * on PostgreSQL every node hears of a deleted session or a changed user at commit (migration
 * 0009's triggers, src/app/app_cluster.c) and drops the entry too.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

#define BUCKETS 1024
#define CACHE_TTL 30
#define CACHE_MAX 100000
/* A device token stays known this long after its last successful login. */
#define DEVICE_TTL (180 * 86400)
#define DEFAULT_BACKOFF 30
/* Known devices kept per user (the most recently used). */
#define DEVICES_PER_USER 20

struct cached {
    char hash[65];
    int64_t loaded_at;
    struct arena arena; /* owns the user's strings */
    struct auth_session s;
    struct cached *next;
};

struct auth {
    struct store *store;
    struct auth_limits lim;
    const unsigned char *data_key; /* borrowed; opens the session user's phone */
    pthread_mutex_t lock;
    struct cached *buckets[BUCKETS];
    size_t ncached;
    /* A real argon2id hash to verify against when the user does not exist, so a wrong
     * user name takes as long as a wrong password. */
    char dummy_hash[crypto_pwhash_STRBYTES];
    auth_invalidated_fn *on_invalidate;
    void *on_invalidate_ctx;
};

int auth_new(struct auth **out, struct store *st, const struct auth_limits *lim,
             const unsigned char *data_key, struct err *err)
{
    if (sodium_init() < 0)
        return err_set(err, ERR_INTERNAL, "cannot initialise libsodium");
    struct auth *a = xcalloc(1, sizeof(*a));
    a->store = st;
    a->lim = *lim;
    if (a->lim.backoff <= 0)
        a->lim.backoff = DEFAULT_BACKOFF;
    a->data_key = data_key;
    pthread_mutex_init(&a->lock, NULL);
    char pw[44];
    auth_token_new(pw);
    int rc = auth_password_hash(pw, a->dummy_hash, sizeof(a->dummy_hash), err);
    if (rc < 0) {
        free(a);
        return rc;
    }
    *out = a;
    return 0;
}

static void drop(struct cached *e)
{
    arena_release(&e->arena);
    free(e);
}

static void drop_all_locked(struct auth *a, int64_t user_id)
{
    for (int i = 0; i < BUCKETS; i++) {
        struct cached **pp = &a->buckets[i];
        while (*pp) {
            struct cached *e = *pp;
            if (user_id == 0 || e->s.user.id == user_id) {
                *pp = e->next;
                drop(e);
                a->ncached--;
            } else {
                pp = &e->next;
            }
        }
    }
}

/* Remove the cached session for one token hash, if any. Caller holds the lock. */
static void drop_token_locked(struct auth *a, unsigned b, const char *hash)
{
    for (struct cached **pp = &a->buckets[b]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->hash, hash) == 0) {
            struct cached *old = *pp;
            *pp = old->next;
            drop(old);
            a->ncached--;
            return;
        }
    }
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    drop_all_locked(a, 0);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void auth_on_invalidate(struct auth *a, auth_invalidated_fn *fn, void *ctx)
{
    a->on_invalidate = fn;
    a->on_invalidate_ctx = ctx;
}

static void invalidated(struct auth *a, int64_t user_id, const char *token_hash)
{
    if (a->on_invalidate)
        a->on_invalidate(a->on_invalidate_ctx, user_id, token_hash);
}

void auth_invalidate_user(struct auth *a, int64_t user_id)
{
    pthread_mutex_lock(&a->lock);
    drop_all_locked(a, user_id);
    pthread_mutex_unlock(&a->lock);
    invalidated(a, user_id, NULL);
}

static unsigned bucket_of(const char *hash);

void auth_invalidate_session(struct auth *a, const char *token_hash)
{
    if (strlen(token_hash) != 64)
        return;
    pthread_mutex_lock(&a->lock);
    drop_token_locked(a, bucket_of(token_hash), token_hash);
    pthread_mutex_unlock(&a->lock);
    invalidated(a, 0, token_hash);
}

static unsigned bucket_of(const char *hash)
{
    /* The key is a SHA-256 already: its first bytes are uniformly distributed. */
    return (unsigned)strtoul(
               (char[9]){hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7], 0},
               NULL, 16) %
           BUCKETS;
}

static void copy_user(struct arena *ar, const struct auth_user *from, struct auth_user *to)
{
    *to = *from;
    to->name = arena_strdup(ar, from->name);
    to->display_name = arena_strdup(ar, from->display_name);
    to->region_code = arena_strdup(ar, from->region_code);
    to->phone = arena_strdup(ar, from->phone);
    to->phone_mask = arena_strdup(ar, from->phone_mask);
}

/* ---- throttling ---- */

struct failures {
    int64_t n, last;
};

static int read_failures(void *ctx, struct store_stmt *row)
{
    struct failures *f = ctx;
    f->n = store_col_int(row, 0);
    f->last = store_col_is_null(row, 1) ? 0 : store_col_int(row, 1);
    return 0;
}

/* Seconds until a client with 'f' failures may try again (0: now). The first refusal past the
 * limit lasts 'backoff' seconds, each further failure doubles it, up to the window: a guesser
 * gets a few tries per window, never a permanent lock. */
static int64_t wait_for(const struct auth *a, const struct failures *f, int max, int64_t now)
{
    if (f->n < max)
        return 0;
    int64_t shift = f->n - max > 20 ? 20 : f->n - max;
    int64_t delay = (int64_t)a->lim.backoff << shift;
    if (delay > a->lim.window)
        delay = a->lim.window;
    int64_t left = f->last + delay - now;
    return left > 0 ? left : 0;
}

/* Is 'device' a token this user got from an earlier login, which has not itself sent too many
 * wrong passwords since? */
static int device_trusted(struct auth *a, struct store_conn *c, const struct auth_attempt *who,
                          int64_t now, struct err *err)
{
    char hash[65];
    int64_t failures;
    if (!who->device || strlen(who->device) != 43)
        return 0;
    auth_token_hash(who->device, hash);
    int rc = store_one_i64(
        c,
        "SELECT d.failures FROM login_devices d JOIN users u ON u.id = d.user_id"
        " WHERE d.token_hash = ? AND u.name = ? AND d.used_at > ?",
        STORE_ARGS(store_text(hash), store_text(who->name), store_i64(now - DEVICE_TTL)), &failures,
        err);
    if (rc <= 0)
        return rc;
    return failures < a->lim.max_user_failures;
}

/* 0 when 'who' may try a password now (*trusted: on a known device), else ERR_THROTTLED. */
static int throttle_check(struct auth *a, struct store_conn *c, const struct auth_attempt *who,
                          int64_t now, int *trusted, int *retry_after, struct err *err)
{
    struct failures by_user = {0, 0}, by_ip = {0, 0};
    int64_t since = now - a->lim.window;
    int rc;
    *retry_after = 0;
    if ((rc = device_trusted(a, c, who, now, err)) < 0)
        return rc;
    *trusted = rc;
    if (*trusted)
        return 0;
    if ((rc = store_one(
             c, "SELECT count(*), max(at) FROM login_failures WHERE user_name = ? AND at > ?",
             STORE_ARGS(store_text(who->name), store_i64(since)), read_failures, &by_user, err)) <
            0 ||
        (rc = store_one(c, "SELECT count(*), max(at) FROM login_failures WHERE ip = ? AND at > ?",
                        STORE_ARGS(store_text(who->ip), store_i64(since)), read_failures, &by_ip,
                        err)) < 0)
        return rc;
    int64_t wait_user = wait_for(a, &by_user, a->lim.max_user_failures, now);
    int64_t wait_ip = wait_for(a, &by_ip, a->lim.max_ip_failures, now);
    int64_t wait = wait_user > wait_ip ? wait_user : wait_ip;
    if (!wait)
        return 0;
    *retry_after = (int)wait;
    return err_set(err, ERR_THROTTLED,
                   "too many failed logins for this %s; try again in %d s, or from a device "
                   "that has logged in to this account before",
                   wait_user >= wait_ip ? "user" : "address", *retry_after);
}

/* Count one wrong password: for the name, the address and the device that sent it. Its own
 * statements, committed even though the request fails. */
static int record_failure(struct store_conn *c, const struct auth_attempt *who, int64_t now,
                          struct err *err)
{
    int64_t w =
        store_run(c, "INSERT INTO login_failures(user_name, ip, at) VALUES (?, ?, ?)",
                  STORE_ARGS(store_text(who->name), store_text(who->ip), store_i64(now)), err);
    if (w >= 0 && who->device && strlen(who->device) == 43) {
        char hash[65];
        auth_token_hash(who->device, hash);
        w = store_run(c, "UPDATE login_devices SET failures = failures + 1 WHERE token_hash = ?",
                      STORE_ARGS(store_text(hash)), err);
    }
    return w < 0 ? (int)w : 0;
}

/* The session's user carries the clear phone (a citizen's report is filed with it). A phone
 * that does not open is left out rather than refusing the login. */
static void open_phone(struct auth *a, struct store_conn *c, struct auth_user *u, struct arena *ar)
{
    struct err e = ERR_INIT;
    if (!u->phone_mask[0] || !a->data_key)
        return;
    if (auth_user_phone(c, a->data_key, u->id, ar, &u->phone, &e) < 0) {
        u->phone = "";
        log_msg(LOG_WARN, "user %lld: %s", (long long)u->id, e.msg);
    }
}

static int read_hash(void *ctx, struct store_stmt *row)
{
    snprintf(ctx, crypto_pwhash_STRBYTES, "%s", store_col_text(row, 0));
    return 0;
}

int auth_login(struct auth *a, const struct auth_attempt *who, const char *password, int64_t now,
               struct arena *ar, struct auth_session *out, int *retry_after, struct err *err)
{
    struct store_conn *c;
    struct auth_user u;
    int rc, user_found, ok, trusted = 0;
    char hash[crypto_pwhash_STRBYTES] = "";

    *retry_after = 0;
    out->device[0] = '\0';
    if ((rc = store_conn(a->store, &c, err)) < 0 ||
        (rc = throttle_check(a, c, who, now, &trusted, retry_after, err)) < 0)
        return rc;

    rc = auth_user_get_by_name(c, who->name, ar, &u, err);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    user_found = rc == 0;
    if (user_found && (rc = store_one(c, "SELECT password_hash FROM users WHERE id = ?",
                                      STORE_ARGS(store_i64(u.id)), read_hash, hash, err)) < 0)
        return rc;
    ok = auth_password_verify(user_found && hash[0] ? hash : a->dummy_hash, password) &&
         user_found && u.active;
    if (ok)
        open_phone(a, c, &u, ar);

    if (!ok) {
        if ((rc = record_failure(c, who, now, err)) < 0)
            return rc;
        return err_set(err, ERR_UNAUTHORIZED, "wrong user name or password");
    }
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    char token_hash[65], device_hash[65];
    auth_token_new(out->token);
    auth_token_new(out->csrf);
    auth_token_hash(out->token, token_hash);
    out->expires_at = now + a->lim.session_ttl;
    out->user = u;
    int64_t w = store_run(
        c,
        "INSERT INTO sessions(token_hash, user_id, csrf_token, ip, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        STORE_ARGS(store_text(token_hash), store_i64(u.id), store_text(out->csrf),
                   store_text(who->ip), store_i64(now), store_i64(out->expires_at)),
        err);
    /* The owner's own mistakes from this address are forgiven; failures others caused from
     * elsewhere keep counting until the window passes. */
    if (w >= 0)
        w = store_run(
            c, "DELETE FROM login_failures WHERE (user_name = ? AND ip = ?) OR at <= ?",
            STORE_ARGS(store_text(who->name), store_text(who->ip), store_i64(now - a->lim.window)),
            err);
    if (w >= 0 && trusted) {
        auth_token_hash(who->device, device_hash);
        w = store_run(c, "UPDATE login_devices SET failures = 0, used_at = ? WHERE token_hash = ?",
                      STORE_ARGS(store_i64(now), store_text(device_hash)), err);
    } else if (w >= 0) {
        auth_token_new(out->device);
        auth_token_hash(out->device, device_hash);
        w = store_run(
            c,
            "INSERT INTO login_devices(token_hash, user_id, failures, created_at, used_at)"
            " VALUES (?, ?, 0, ?, ?)",
            STORE_ARGS(store_text(device_hash), store_i64(u.id), store_i64(now), store_i64(now)),
            err);
    }
    /* A client that keeps no cookies gets a new token at every login: keep the user's most
     * recently used few, and none past their age. */
    if (w >= 0)
        w = store_run(c,
                      "DELETE FROM login_devices WHERE used_at <= ? OR (user_id = ? AND token_hash"
                      " NOT IN (SELECT token_hash FROM login_devices WHERE user_id = ?"
                      " ORDER BY used_at DESC, created_at DESC LIMIT ?))",
                      STORE_ARGS(store_i64(now - DEVICE_TTL), store_i64(u.id), store_i64(u.id),
                                 store_i64(DEVICES_PER_USER)),
                      err);
    if (w >= 0)
        w = store_run(c, "DELETE FROM sessions WHERE expires_at <= ?", STORE_ARGS(store_i64(now)),
                      err);
    if (w < 0) {
        store_rollback(c);
        return (int)w;
    }
    return store_commit(c, err);
}

int auth_session_open(struct auth *a, int64_t user_id, const char *ip, int64_t now,
                      struct arena *ar, struct auth_session *out, struct err *err)
{
    struct store_conn *c;
    struct auth_user u;
    char token_hash[65];
    int rc;
    out->device[0] = '\0';
    if ((rc = store_conn(a->store, &c, err)) < 0)
        return rc;
    rc = auth_user_get(c, user_id, ar, &u, err);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !u.active))
        return err_set(err, ERR_UNAUTHORIZED, "the account is not active");
    if (rc < 0)
        return rc;
    open_phone(a, c, &u, ar);
    auth_token_new(out->token);
    auth_token_new(out->csrf);
    auth_token_hash(out->token, token_hash);
    out->expires_at = now + a->lim.session_ttl;
    out->user = u;
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    int64_t w = store_run(
        c,
        "INSERT INTO sessions(token_hash, user_id, csrf_token, ip, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        STORE_ARGS(store_text(token_hash), store_i64(u.id), store_text(out->csrf), store_text(ip),
                   store_i64(now), store_i64(out->expires_at)),
        err);
    if (w < 0) {
        store_rollback(c);
        return (int)w;
    }
    return store_commit(c, err);
}

int auth_password_attempt(struct auth *a, const struct auth_attempt *who, int64_t user_id,
                          const char *password, int64_t now, int *retry_after, struct err *err)
{
    struct store_conn *c;
    char hash[crypto_pwhash_STRBYTES] = "";
    int rc, trusted;
    if ((rc = store_conn(a->store, &c, err)) < 0 ||
        (rc = throttle_check(a, c, who, now, &trusted, retry_after, err)) < 0 ||
        (rc = store_one(c, "SELECT password_hash FROM users WHERE id = ?",
                        STORE_ARGS(store_i64(user_id)), read_hash, hash, err)) < 0)
        return rc;
    if (hash[0] && auth_password_verify(hash, password))
        return 1;
    if ((rc = record_failure(c, who, now, err)) < 0)
        return rc;
    return 0;
}

int auth_session_get(struct auth *a, const char *token, int64_t now, struct arena *ar,
                     struct auth_session *out, struct err *err)
{
    char hash[65];
    if (!token || strlen(token) != 43)
        return err_set(err, ERR_UNAUTHORIZED, "invalid session token");
    auth_token_hash(token, hash);
    return auth_session_check(a, hash, now, ar, out, err);
}

int auth_session_check(struct auth *a, const char *hash, int64_t now, struct arena *ar,
                       struct auth_session *out, struct err *err)
{
    struct store_conn *c;
    struct store_stmt *s;
    int rc;

    if (!hash || strlen(hash) != 64)
        return err_set(err, ERR_UNAUTHORIZED, "invalid session token");
    unsigned b = bucket_of(hash);

    pthread_mutex_lock(&a->lock);
    for (struct cached *e = a->buckets[b]; e; e = e->next) {
        if (strcmp(e->hash, hash) == 0 && now - e->loaded_at < CACHE_TTL && now < e->s.expires_at) {
            memcpy(out->csrf, e->s.csrf, sizeof(out->csrf));
            out->token[0] = '\0';
            out->device[0] = '\0';
            out->expires_at = e->s.expires_at;
            copy_user(ar, &e->s.user, &out->user);
            pthread_mutex_unlock(&a->lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&a->lock);

    if ((rc = store_conn(a->store, &c, err)) < 0)
        return rc;
    if ((rc = store_prepare(
             c, "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ?",
             STORE_ARGS(store_text(hash)), &s, err)) < 0)
        return rc;
    rc = store_step(s, err);
    int64_t user_id = rc == 1 ? store_col_int(s, 0) : 0;
    if (rc == 1) {
        snprintf(out->csrf, sizeof(out->csrf), "%s", store_col_text(s, 1));
        out->expires_at = store_col_int(s, 2);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0 || out->expires_at <= now)
        return err_set(err, ERR_UNAUTHORIZED, "session expired or unknown; please log in again");
    if ((rc = auth_user_get(c, user_id, ar, &out->user, err)) < 0)
        return rc == ERR_NOT_FOUND ? err_set(err, ERR_UNAUTHORIZED, "session user no longer exists")
                                   : rc;
    if (!out->user.active)
        return err_set(err, ERR_UNAUTHORIZED, "account is disabled");
    open_phone(a, c, &out->user, ar);
    out->token[0] = '\0';
    out->device[0] = '\0';

    struct cached *e = xcalloc(1, sizeof(*e));
    arena_init(&e->arena, 512);
    memcpy(e->hash, hash, sizeof(e->hash));
    e->loaded_at = now;
    e->s = *out;
    copy_user(&e->arena, &out->user, &e->s.user);
    pthread_mutex_lock(&a->lock);
    /* Replace a stale entry for the same token, and never let the cache grow without bound. */
    drop_token_locked(a, b, hash);
    if (a->ncached >= CACHE_MAX)
        drop_all_locked(a, 0);
    e->next = a->buckets[b];
    a->buckets[b] = e;
    a->ncached++;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

int auth_logout(struct auth *a, const char *token, struct err *err)
{
    char hash[65];
    struct store_conn *c;
    int rc;
    if (!token)
        return 0;
    auth_token_hash(token, hash);
    if ((rc = store_conn(a->store, &c, err)) < 0)
        return rc;
    int64_t w = store_run(c, "DELETE FROM sessions WHERE token_hash = ?",
                          STORE_ARGS(store_text(hash)), err);
    if (w < 0)
        return (int)w;
    unsigned b = bucket_of(hash);
    pthread_mutex_lock(&a->lock);
    drop_token_locked(a, b, hash);
    pthread_mutex_unlock(&a->lock);
    invalidated(a, 0, hash);
    return 0;
}

int auth_rate_count(struct store_conn *c, int kind, int64_t id, int64_t minute, int64_t *count,
                    struct err *err)
{
    /* One upsert: two processes counting at once never both see the last free request. */
    int rc =
        store_one_i64(c,
                      "INSERT INTO rate_windows(kind, client_id, minute, n) VALUES (?, ?, ?, 1)"
                      " ON CONFLICT (kind, client_id) DO UPDATE SET"
                      " n = CASE WHEN rate_windows.minute = excluded.minute"
                      " THEN rate_windows.n + 1 ELSE 1 END,"
                      " minute = excluded.minute RETURNING n",
                      STORE_ARGS(store_i64(kind), store_i64(id), store_i64(minute)), count, err);
    return rc < 0 ? rc : 0;
}
