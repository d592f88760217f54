/*
 * auth: users, roles, scopes, passwords, sessions and login throttling.
 *
 * Passwords are argon2id hashes (libsodium crypto_pwhash_str). A login returns an opaque
 * 256-bit random token; only its SHA-256 is stored, so a copy of the database cannot be
 * used to log in. Each session also has a CSRF token that cookie-authenticated writes must
 * echo in a header.
 *
 * Scopes: a handler acts for the departments listed on the user; a user with a region acts
 * for that region's subtree; a citizen only for records they own. Roles without a scope
 * restriction (admin, supervisor without region...) see everything their role allows.
 *
 * Threading: struct auth is shared by all threads; its session cache is internally locked.
 * Ownership: strings in struct auth_user returned by lookups are in the caller's arena.
 */
#ifndef GRIDLOOP_AUTH_AUTH_H
#define GRIDLOOP_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store;
struct store_conn;

enum auth_role {
    ROLE_CITIZEN = 1u << 0,
    ROLE_OPERATOR = 1u << 1,    /* 话务员 */
    ROLE_DISPATCHER = 1u << 2,  /* 派单员 */
    ROLE_HANDLER = 1u << 3,     /* 承办人 */
    ROLE_GRID_WORKER = 1u << 4, /* 网格员 */
    ROLE_SUPERVISOR = 1u << 5,  /* 督办 */
    ROLE_DATA_OFFICER = 1u << 6,
    ROLE_ADMIN = 1u << 7,
};
#define ROLE_ALL 0xffu
#define ROLE_STAFF (ROLE_ALL & ~ROLE_CITIZEN)
#define AUTH_ROLE_COUNT 8

/* "operator" for ROLE_OPERATOR; NULL for anything but a single known bit. */
const char *auth_role_name(unsigned role);

/* Parse "operator,handler" into a mask. Unknown names → ERR_BAD_REQUEST naming 'roles'. */
int auth_roles_parse(const char *list, unsigned *mask, struct err *err);

/* Canonical comma-separated names, into 'out' (at least 128 bytes). */
void auth_roles_format(unsigned mask, char *out, size_t n);

#define AUTH_MAX_DEPTS 16

struct auth_user {
    int64_t id;
    const char *name;
    const char *display_name;
    unsigned roles;
    int64_t region_id;             /* 0 = no region scope */
    const char *region_code;       /* NULL when region_id is 0 */
    int64_t depts[AUTH_MAX_DEPTS]; /* departments a handler acts for */
    int ndepts;
    const char *phone;      /* clear number: only in sessions (auth_session_get), else "" */
    const char *phone_mask; /* "138****8000": what is shown by default */
    int active;
    int64_t created_at;
    int64_t updated_at;
};

/* ---- passwords and tokens (pure functions) ---- */

/* Needs libsodium to have been initialised (auth_new() does it). */
int auth_password_hash(const char *password, char *out, size_t n, struct err *err);
int auth_password_verify(const char *hash, const char *password); /* 1 = match */

/* 43-character URL-safe token from 32 random bytes, and the hex SHA-256 stored for it. */
void auth_token_new(char out[44]);
void auth_token_hash(const char *token, char out[65]);

/* Password rule: 8-128 characters. */
int auth_password_check(const char *password, struct err *err);

/* ---- users (caller owns the transaction for writes) ---- */

struct auth_user_input {
    const char *name;         /* 2-64 chars: letters, digits, '_', '.', '-' */
    const char *display_name; /* may be NULL */
    const char *password;     /* create only */
    unsigned roles;
    const char *region_code; /* NULL or "" = none */
    const int64_t *depts;
    int ndepts;
    const char *phone;             /* may be NULL */
    int demo_password;             /* demo accounts only: any non-empty password is accepted */
    const char *password_hash;     /* demo accounts only: auth_password_hash() of 'password',
                                    * made once for many accounts (NULL: hash it here) */
    const unsigned char *data_key; /* seals the phone; needed when a phone is given */
};

int auth_user_create(struct store_conn *c, const struct auth_user_input *in, int64_t now,
                     int64_t *id_out, struct err *err);

/* Update roles, region, departments, display name, phone and active flag of a user. Fields
 * set to NULL / negative keep their value: roles 0 keeps, region_code NULL keeps ("" clears),
 * depts NULL keeps, active -1 keeps. */
struct auth_user_update {
    const char *display_name;
    unsigned roles;
    const char *region_code;
    const int64_t *depts;
    int ndepts;
    const char *phone;
    int active;
    const unsigned char *data_key; /* seals the phone; needed when a phone is given */
};
int auth_user_update(struct store_conn *c, int64_t id, const struct auth_user_update *up,
                     int64_t now, struct err *err);

/* Is 'password' user id's current password? 1 yes, 0 no (or no such user), < 0 on failure. */
int auth_user_password_matches(struct store_conn *c, int64_t id, const char *password,
                               struct err *err);

int auth_user_set_password(struct store_conn *c, int64_t id, const char *password, int64_t now,
                           struct err *err);

int auth_user_get(struct store_conn *c, int64_t id, struct arena *a, struct auth_user *out,
                  struct err *err);
int auth_user_get_by_name(struct store_conn *c, const char *name, struct arena *a,
                          struct auth_user *out, struct err *err);
int auth_user_list(struct store_conn *c, struct arena *a, struct auth_user **out, size_t *n,
                   struct err *err);

/* ---- saved case-list filters (src/auth/auth_filter.c) ----
 * A user's own: every call takes the user, and a filter of another user is "not found". The
 * query is opaque text here (the API checks it and writes it as a JSON object). */
#define AUTH_FILTER_NAME_MAX 40    /* characters */
#define AUTH_FILTER_QUERY_MAX 2000 /* bytes */
#define AUTH_FILTERS_MAX 50        /* per user */
struct auth_filter {
    int64_t id, user_id;
    const char *name, *query; /* arena */
    int64_t created_at, updated_at;
};
/* Save under 'name' (1..AUTH_FILTER_NAME_MAX characters; an existing name is replaced, keeping its
 * id) and set *id. ERR_BAD_REQUEST names "name" or "query"; ERR_CONFLICT ("name") beyond
 * AUTH_FILTERS_MAX. */
int auth_filter_save(struct store_conn *c, int64_t user_id, const char *name, const char *query,
                     int64_t now, int64_t *id, struct err *err);
int auth_filter_get(struct store_conn *c, int64_t user_id, int64_t id, struct arena *a,
                    struct auth_filter *out, struct err *err);
/* By name; '*out' (arena) may be NULL when *n is 0. */
int auth_filter_list(struct store_conn *c, int64_t user_id, struct arena *a,
                     struct auth_filter **out, size_t *n, struct err *err);
/* ERR_NOT_FOUND when the user has no such filter. */
int auth_filter_delete(struct store_conn *c, int64_t user_id, int64_t id, struct err *err);

/* ---- account phones (src/auth/auth_phone.c) ----
 * Sealed at rest as case phones are: secretbox under the 32-byte data key (base64 of nonce ||
 * ciphertext), a mask for display and a keyed hash. Case phones
 * (src/case/case_phone.c) use the same two calls. */

/* Seal 'phone' under 'key': base64 secretbox, mask and keyed hash, in 'a'. "" seals to "". */
int auth_phone_seal(const unsigned char *key, const char *phone, struct arena *a, char **enc,
                    char **mask, char **hash, struct err *err);

/* The keyed hash of a phone number (hex, AUTH_PHONE_HASH_LEN characters): of its digits only, a
 * mobile number's +86 dropped, so the same number typed another way matches. -1 (and "") when
 * the number has no digits or there is no key. */
#define AUTH_PHONE_HASH_LEN 32
int auth_phone_hash(const unsigned char *key, const char *phone, char out[AUTH_PHONE_HASH_LEN + 1]);

/* Open a sealed phone ("" → ""); ERR_INTEGRITY when it does not decrypt with 'key'. */
int auth_phone_open(const unsigned char *key, const char *enc, struct arena *a, const char **out,
                    struct err *err);

/* The clear phone of user id ("" when none); ERR_INTEGRITY when it does not decrypt. */
int auth_user_phone(struct store_conn *c, const unsigned char *key, int64_t id, struct arena *a,
                    const char **phone, struct err *err);

/* Seal every account phone still stored in clear (databases from before migration 0013), in
 * one transaction of its own; *n is how many were sealed. Run at start-up by `serve`. */
int auth_user_seal_phones(struct store_conn *c, const unsigned char *key, int64_t *n,
                          struct err *err);

/* ---- sessions ---- */

struct auth;

struct auth_limits {
    int session_ttl;       /* seconds */
    int max_user_failures; /* within window */
    int max_ip_failures;
    int window;  /* seconds */
    int backoff; /* seconds of the first refusal past a limit; doubles per further failure (0: 30) */
};

/* 'data_key' (32 bytes, borrowed; may be NULL in tools without one) opens account phones for
 * sessions. */
int auth_new(struct auth **out, struct store *st, const struct auth_limits *lim,
             const unsigned char *data_key, struct err *err);
void auth_free(struct auth *a);

struct auth_session {
    char token[44];  /* only filled by auth_login() */
    char device[44]; /* auth_login(): a new device token to hand to the client, or "" */
    char csrf[44];
    int64_t expires_at;
    struct auth_user user;
};

/* Who is trying a password: the user name as typed, the client address and the device token
 * the client holds from an earlier successful login (NULL when none). */
struct auth_attempt {
    const char *name;
    const char *ip;
    const char *device;
};

/*
 * Check credentials and open a session. Failures are counted per user name and per address
 * over the window: past a limit, a client gets ERR_THROTTLED (*retry_after seconds, which
 * double with each further failure up to the window) instead of a password check. A client
 * holding a device token of that user from an earlier login is not held back by what others
 * did (unless the token itself sent too many wrong passwords), so guessing from elsewhere
 * never locks the owner out. A successful login without a valid device token issues one
 * (out->device). Wrong name or password → ERR_UNAUTHORIZED with one message for both.
 * Writes its own transactions.
 */
int auth_login(struct auth *a, const struct auth_attempt *who, const char *password, int64_t now,
               struct arena *ar, struct auth_session *out, int *retry_after, struct err *err);

/* Open a session for active user 'user_id' whose identity the caller has proven another way
 * (an SMS code, src/citizen): as auth_login() without the password and the device token.
 * ERR_UNAUTHORIZED for an inactive or missing user. Writes its own transaction. */
int auth_session_open(struct auth *a, int64_t user_id, const char *ip, int64_t now,
                      struct arena *ar, struct auth_session *out, struct err *err);

/*
 * Check the current password of user 'user_id' (named who->name) under the same throttle as
 * logins: 1 it matches, 0 it does not (counted as a failed login), ERR_THROTTLED past the
 * limits. Outside any transaction of the caller's (the failure must stay counted).
 */
int auth_password_attempt(struct auth *a, const struct auth_attempt *who, int64_t user_id,
                          const char *password, int64_t now, int *retry_after, struct err *err);

/* The session for a bearer token, or ERR_UNAUTHORIZED if unknown, expired or the user is
 * inactive. Served from an in-memory cache after the first lookup. */
int auth_session_get(struct auth *a, const char *token, int64_t now, struct arena *ar,
                     struct auth_session *out, struct err *err);

/* End the session (idempotent). */
int auth_logout(struct auth *a, const char *token, struct err *err);

/* The session of a token hash (hex SHA-256, as stored), as auth_session_get() finds it: for
 * a holder of a long-lived connection (an event stream) checking that the session it was
 * opened with still stands, without keeping the token itself. */
int auth_session_check(struct auth *a, const char *token_hash, int64_t now, struct arena *ar,
                       struct auth_session *out, struct err *err);

/* Drop cached sessions of a user after its roles, scope or password changed;
 * 0 drops every cached session. */
void auth_invalidate_user(struct auth *a, int64_t user_id);

/*
 * Told whenever sessions end or a user changes, after the cache dropped them: by
 * auth_logout() and the two invalidations above (which the API calls after its own writes and
 * the cluster thread calls for what other nodes announce), so whoever holds something opened
 * under a session (the API's event streams) can end it. 'user_id' > 0: that user changed (its
 * sessions may have ended); 'token_hash' not NULL: that session ended; both 0/NULL: anything
 * may have changed (check again). Called on the invalidating thread, with no auth lock held.
 * Set once before the server starts; NULL removes it.
 */
typedef void auth_invalidated_fn(void *ctx, int64_t user_id, const char *token_hash);
void auth_on_invalidate(struct auth *a, auth_invalidated_fn *fn, void *ctx);

/* Drop the cached session of one token hash (hex SHA-256, as stored): another process ended
 * that session. */
void auth_invalidate_session(struct auth *a, const char *token_hash);

/* Count one request of client 'id' of 'kind' in the fixed window 'minute' (the table
 * rate_windows, shared by every process of the database; the row starts again when the
 * minute changes): *count is the number counted in this minute, this one included. One
 * statement, outside any transaction. */
int auth_rate_count(struct store_conn *c, int kind, int64_t id, int64_t minute, int64_t *count,
                    struct err *err);

/* Delete every session and known device of a user (after a password change or when the
 * account is disabled). Caller owns the transaction. */
int auth_user_end_sessions(struct store_conn *c, int64_t user_id, struct err *err);

#endif /* GRIDLOOP_AUTH_AUTH_H */
