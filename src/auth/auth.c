#include "auth/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "store/store.h"

static const char *const role_names[AUTH_ROLE_COUNT] = {
    "citizen",     "operator",   "dispatcher",   "handler",
    "grid_worker", "supervisor", "data_officer", "admin",
};

const char *auth_role_name(unsigned role)
{
    for (int i = 0; i < AUTH_ROLE_COUNT; i++)
        if (role == 1u << i)
            return role_names[i];
    return NULL;
}

int auth_roles_parse(const char *list, unsigned *mask, struct err *err)
{
    unsigned m = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int found = 0;
        for (int i = 0; i < AUTH_ROLE_COUNT; i++) {
            if (strlen(role_names[i]) == n && strncmp(role_names[i], p, n) == 0) {
                m |= 1u << i;
                found = 1;
            }
        }
        if (!found)
            return err_field(err, ERR_BAD_REQUEST, "roles",
                             "unknown role '%.*s' (known: citizen, operator, dispatcher, handler, "
                             "grid_worker, supervisor, data_officer, admin)",
                             (int)(n > 40 ? 40 : n), p);
        p += n;
        if (*p == ',')
            p++;
    }
    if (!m)
        return err_field(err, ERR_BAD_REQUEST, "roles", "at least one role is required");
    *mask = m;
    return 0;
}

void auth_roles_format(unsigned mask, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < AUTH_ROLE_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(out + len, n - len, "%s%s", len ? "," : "", role_names[i]);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}

/* ---- passwords and tokens ---- */

/* OWASP's argon2id floor (19 MiB, 2 passes): a login costs tens of milliseconds, not the
 * ~0.5 s and 64 MiB of libsodium's "interactive" preset, so a burst of logins on a 2-core
 * server does not exhaust memory. */
#define PW_OPSLIMIT 2
#define PW_MEMLIMIT (19u << 20)

int auth_password_check(const char *password, struct err *err)
{
    size_t n = utf8_len(password);
    if (n < 8 || n > 128)
        return err_field(err, ERR_BAD_REQUEST, "password",
                         "password must be 8 to 128 characters long");
    return 0;
}

int auth_password_hash(const char *password, char *out, size_t n, struct err *err)
{
    if (n < crypto_pwhash_STRBYTES)
        return err_set(err, ERR_INTERNAL, "password hash buffer too small");
    if (crypto_pwhash_str_alg(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return err_set(err, ERR_INTERNAL, "cannot hash password (out of memory)");
    return 0;
}

int auth_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_token_new(char out[44])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 44, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* ---- users ---- */

static int check_name(const char *name, struct err *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 2 || n > 64)
        return err_field(err, ERR_BAD_REQUEST, "name", "user name must be 2 to 64 characters long");
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return err_field(err, ERR_BAD_REQUEST, "name",
                             "user name may only contain letters, digits, '_', '.' and '-'");
    return 0;
}

static int check_text(const char *v, const char *field, size_t max, struct err *err)
{
    if (v && utf8_len(v) > max)
        return err_field(err, ERR_BAD_REQUEST, field, "field '%s' must be at most %zu characters",
                         field, max);
    return 0;
}

static int region_id_of(struct store_conn *c, const char *code, int64_t *id, struct err *err)
{
    int rc = store_one_i64(c, "SELECT id FROM regions WHERE code = ?", STORE_ARGS(store_text(code)),
                           id, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "region", "region '%s' does not exist", code);
    return 0;
}

static int set_depts(struct store_conn *c, int64_t user_id, const int64_t *depts, int n,
                     struct err *err)
{
    int64_t rc;
    if (n > AUTH_MAX_DEPTS)
        return err_field(err, ERR_BAD_REQUEST, "departments", "at most %d departments per user",
                         AUTH_MAX_DEPTS);
    if ((rc = store_run(c, "DELETE FROM user_departments WHERE user_id = ?",
                        STORE_ARGS(store_i64(user_id)), err)) < 0)
        return (int)rc;
    for (int i = 0; i < n; i++) {
        int64_t found;
        rc = store_one_i64(c, "SELECT id FROM departments WHERE id = ?",
                           STORE_ARGS(store_i64(depts[i])), &found, err);
        if (rc < 0)
            return (int)rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "departments", "department %lld does not exist",
                             (long long)depts[i]);
        rc = store_run(c,
                       "INSERT INTO user_departments(user_id, department_id) VALUES (?, ?) "
                       "ON CONFLICT DO NOTHING",
                       STORE_ARGS(store_i64(user_id), store_i64(depts[i])), err);
        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

int auth_user_create(struct store_conn *c, const struct auth_user_input *in, int64_t now,
                     int64_t *id_out, struct err *err)
{
    char hash[crypto_pwhash_STRBYTES];
    char roles[128];
    int64_t region_id = 0, id, exists;
    int rc;

    if (!in->password || !*in->password)
        return err_field(err, ERR_BAD_REQUEST, "password", "password is required");
    if ((rc = check_name(in->name, err)) < 0 ||
        (!in->demo_password && (rc = auth_password_check(in->password, err)) < 0) ||
        (rc = check_text(in->display_name, "display_name", 100, err)) < 0 ||
        (rc = check_text(in->phone, "phone", 32, err)) < 0)
        return rc;
    if (!in->roles || (in->roles & ~ROLE_ALL))
        return err_field(err, ERR_BAD_REQUEST, "roles", "at least one known role is required");
    if (in->region_code && *in->region_code &&
        (rc = region_id_of(c, in->region_code, &region_id, err)) < 0)
        return rc;
    if ((rc = store_one_i64(c, "SELECT id FROM users WHERE name = ?",
                            STORE_ARGS(store_text(in->name)), &exists, err)) < 0)
        return rc;
    if (rc == 1)
        return err_field(err, ERR_CONFLICT, "name", "user '%s' already exists", in->name);
    struct arena a;
    char *enc, *mask, *phash;
    arena_init(&a, 256);
    if (in->password_hash && strlen(in->password_hash) < sizeof(hash))
        snprintf(hash, sizeof(hash), "%s", in->password_hash);
    else if ((rc = auth_password_hash(in->password, hash, sizeof(hash), err)) < 0) {
        arena_release(&a);
        return rc;
    }
    if ((rc = auth_phone_seal(in->data_key, in->phone ? in->phone : "", &a, &enc, &mask, &phash,
                              err)) < 0) {
        arena_release(&a);
        return rc;
    }
    auth_roles_format(in->roles, roles, sizeof(roles));
    rc = store_one_i64(
        c,
        "INSERT INTO users(name, display_name, password_hash, roles, region_id,"
        " phone_enc, phone_mask, phone_hash, active, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?, 1, ?, ?) RETURNING id",
        STORE_ARGS(store_text(in->name), store_text(in->display_name ? in->display_name : ""),
                   store_text(hash), store_text(roles), store_i64(region_id), store_text(enc),
                   store_text(mask), store_text(phash), store_i64(now), store_i64(now)),
        &id, err);
    arena_release(&a);
    if (rc < 0)
        return rc;
    if ((rc = set_depts(c, id, in->depts, in->ndepts, err)) < 0)
        return rc;
    *id_out = id;
    return 0;
}

int auth_user_update(struct store_conn *c, int64_t id, const struct auth_user_update *up,
                     int64_t now, struct err *err)
{
    int64_t exists, rc;
    if ((rc = store_one_i64(c, "SELECT id FROM users WHERE id = ?", STORE_ARGS(store_i64(id)),
                            &exists, err)) < 0)
        return (int)rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "user %lld does not exist", (long long)id);
    if ((rc = check_text(up->display_name, "display_name", 100, err)) < 0 ||
        (rc = check_text(up->phone, "phone", 32, err)) < 0)
        return (int)rc;
    if (up->display_name &&
        (rc = store_run(c, "UPDATE users SET display_name = ? WHERE id = ?",
                        STORE_ARGS(store_text(up->display_name), store_i64(id)), err)) < 0)
        return (int)rc;
    if (up->phone) {
        struct arena a;
        char *enc, *mask, *phash;
        arena_init(&a, 256);
        rc = auth_phone_seal(up->data_key, up->phone, &a, &enc, &mask, &phash, err);
        if (rc == 0)
            rc = store_run(
                c,
                "UPDATE users SET phone = '', phone_enc = ?, phone_mask = ?,"
                " phone_hash = ? WHERE id = ?",
                STORE_ARGS(store_text(enc), store_text(mask), store_text(phash), store_i64(id)),
                err);
        arena_release(&a);
        if (rc < 0)
            return (int)rc;
    }
    if (up->roles) {
        char roles[128];
        if (up->roles & ~ROLE_ALL)
            return err_field(err, ERR_BAD_REQUEST, "roles", "unknown role bits");
        auth_roles_format(up->roles, roles, sizeof(roles));
        if ((rc = store_run(c, "UPDATE users SET roles = ? WHERE id = ?",
                            STORE_ARGS(store_text(roles), store_i64(id)), err)) < 0)
            return (int)rc;
    }
    if (up->region_code) {
        int64_t region_id = 0;
        if (*up->region_code && (rc = region_id_of(c, up->region_code, &region_id, err)) < 0)
            return (int)rc;
        rc = store_run(c, "UPDATE users SET region_id = nullif(?, 0) WHERE id = ?",
                       STORE_ARGS(store_i64(region_id), store_i64(id)), err);
        if (rc < 0)
            return (int)rc;
    }
    if (up->depts && (rc = set_depts(c, id, up->depts, up->ndepts, err)) < 0)
        return (int)rc;
    if (up->active >= 0 &&
        (rc = store_run(c, "UPDATE users SET active = ? WHERE id = ?",
                        STORE_ARGS(store_i64(up->active ? 1 : 0), store_i64(id)), err)) < 0)
        return (int)rc;
    if (!up->active && (rc = auth_user_end_sessions(c, id, err)) < 0)
        return (int)rc;
    rc = store_run(c, "UPDATE users SET updated_at = ? WHERE id = ?",
                   STORE_ARGS(store_i64(now), store_i64(id)), err);
    return rc < 0 ? (int)rc : 0;
}

struct password_check {
    const char *password;
    int match;
};

/* The hash is compared while its row is current, so it is never copied out. */
static int verify_row(void *ctx, struct store_stmt *row)
{
    struct password_check *p = ctx;
    p->match = auth_password_verify(store_col_text(row, 0), p->password);
    return 0;
}

int auth_user_password_matches(struct store_conn *c, int64_t id, const char *password,
                               struct err *err)
{
    struct password_check p = {password, 0};
    int rc = store_one(c, "SELECT password_hash FROM users WHERE id = ?", STORE_ARGS(store_i64(id)),
                       verify_row, &p, err);
    return rc < 0 ? rc : p.match;
}

int auth_user_set_password(struct store_conn *c, int64_t id, const char *password, int64_t now,
                           struct err *err)
{
    char hash[crypto_pwhash_STRBYTES];
    int64_t rc;
    if ((rc = auth_password_check(password, err)) < 0 ||
        (rc = auth_password_hash(password, hash, sizeof(hash), err)) < 0)
        return (int)rc;
    rc = store_run(c, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                   STORE_ARGS(store_text(hash), store_i64(now), store_i64(id)), err);
    if (rc < 0)
        return (int)rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "user %lld does not exist", (long long)id);
    return auth_user_end_sessions(c, id, err);
}

int auth_user_end_sessions(struct store_conn *c, int64_t user_id, struct err *err)
{
    int64_t rc =
        store_run(c, "DELETE FROM sessions WHERE user_id = ?", STORE_ARGS(store_i64(user_id)), err);
    /* A device that knew the old password is no longer one the owner vouches for. */
    if (rc >= 0)
        rc = store_run(c, "DELETE FROM login_devices WHERE user_id = ?",
                       STORE_ARGS(store_i64(user_id)), err);
    return rc < 0 ? (int)rc : 0;
}

#define USER_COLS                                                                                  \
    "u.id, u.name, u.display_name, u.roles, coalesce(u.region_id, 0), r.code, u.phone_mask,"       \
    " u.active, "                                                                                  \
    "u.created_at, u.updated_at, (SELECT group_concat(department_id) FROM user_departments d "     \
    "WHERE d.user_id = u.id) "
#define USER_FROM "FROM users u LEFT JOIN regions r ON r.id = u.region_id "

static void read_user(struct store_stmt *s, struct arena *a, struct auth_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = store_col_int(s, 0);
    u->name = arena_strdup(a, store_col_text(s, 1));
    u->display_name = arena_strdup(a, store_col_text(s, 2));
    if (auth_roles_parse(store_col_text(s, 3), &u->roles, NULL) < 0)
        u->roles = 0; /* a hand-edited row with an unknown role grants nothing */
    u->region_id = store_col_int(s, 4);
    u->region_code = store_col_is_null(s, 5) ? NULL : arena_strdup(a, store_col_text(s, 5));
    u->phone = ""; /* opened only for sessions and the audited reveal */
    u->phone_mask = arena_strdup(a, store_col_text(s, 6));
    u->active = (int)store_col_int(s, 7);
    u->created_at = store_col_int(s, 8);
    u->updated_at = store_col_int(s, 9);
    const char *d = store_col_text(s, 10);
    while (*d && u->ndepts < AUTH_MAX_DEPTS) {
        char *end;
        long long v = strtoll(d, &end, 10);
        if (end == d)
            break;
        u->depts[u->ndepts++] = v;
        d = *end == ',' ? end + 1 : end;
    }
}

static int get_one(struct store_conn *c, const char *sql, const char *types, int64_t id,
                   const char *name, struct arena *a, struct auth_user *out, struct err *err)
{
    struct store_stmt *s;
    int rc = types[0] == 'i' ? store_prepare(c, sql, STORE_ARGS(store_i64(id)), &s, err)
                             : store_prepare(c, sql, STORE_ARGS(store_text(name)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1) {
        read_user(s, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = id ? err_set(err, ERR_NOT_FOUND, "user %lld does not exist", (long long)id)
                : err_set(err, ERR_NOT_FOUND, "user '%s' does not exist", name);
    }
    store_done(s);
    return rc;
}

int auth_user_get(struct store_conn *c, int64_t id, struct arena *a, struct auth_user *out,
                  struct err *err)
{
    return get_one(c, "SELECT " USER_COLS USER_FROM "WHERE u.id = ?", "i", id, NULL, a, out, err);
}

int auth_user_get_by_name(struct store_conn *c, const char *name, struct arena *a,
                          struct auth_user *out, struct err *err)
{
    return get_one(c, "SELECT " USER_COLS USER_FROM "WHERE u.name = ?", "t", 0, name, a, out, err);
}

typedef VEC(struct auth_user) user_vec;

static int push_user(void *ctx, struct store_stmt *row)
{
    user_vec *v = ctx;
    read_user(row, v->arena, vec_push(v));
    return 0;
}

int auth_user_list(struct store_conn *c, struct arena *a, struct auth_user **out, size_t *n,
                   struct err *err)
{
    user_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " USER_COLS USER_FROM "ORDER BY u.id", STORE_NO_ARGS,
                           push_user, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.n ? v.v : arena_alloc(a, sizeof(**out)); /* never NULL, as before */
    *n = v.n;
    return 0;
}
