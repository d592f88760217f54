/*
 * Sign-up and sign-in by SMS code (see citizen.h; table sms_codes, migration 0065).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "citizen/citizen.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "notify/notify.h"
#include "org/org.h"
#include "store/store.h"
#include "valid/valid.h"

int citizen_mobile_check(const char *phone, char out[12], struct err *err)
{
    if (valid_mobile(phone, out) != VALID_OK)
        return err_field(err, ERR_BAD_REQUEST, "phone",
                         "a mobile number has 11 digits and starts with 13 to 19");
    return 0;
}

/* Keyed with the data key: a stolen database does not give the codes away by trying all 10^6. */
static void code_hash(const unsigned char *key, const char *phone_hash, const char *code,
                      char out[65])
{
    unsigned char h[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, 32, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)phone_hash, strlen(phone_hash));
    crypto_generichash_update(&st, (const unsigned char *)":", 1);
    crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

int citizen_code_request(struct store_conn *c, const unsigned char *key, const char *phone,
                         const char *ip, int64_t now, struct arena *a, const char **mask,
                         int *retry_after, struct err *err)
{
    char digits[12], code[CITIZEN_CODE_DIGITS + 1], chash[65], minutes[8];
    char *enc, *hash, *code_enc, *unused_mask, *unused_hash;
    int64_t n_phone = 0, n_ip = 0, last = 0;
    int rc;
    *retry_after = 0;
    if ((rc = citizen_mobile_check(phone, digits, err)) < 0 ||
        (rc = auth_phone_seal(key, digits, a, &enc, (char **)mask, &hash, err)) < 0)
        return rc;
    if ((rc = store_one_i64(
             c, "SELECT count(*) FROM sms_codes WHERE phone_hash = ? AND created_at > ?",
             STORE_ARGS(store_text(hash), store_i64(now - 3600)), &n_phone, err)) < 0 ||
        (rc = store_one_i64(
             c, "SELECT coalesce(max(created_at), 0) FROM sms_codes WHERE phone_hash = ?",
             STORE_ARGS(store_text(hash)), &last, err)) < 0 ||
        (rc = store_one_i64(c, "SELECT count(*) FROM sms_codes WHERE ip = ? AND created_at > ?",
                            STORE_ARGS(store_text(ip), store_i64(now - 3600)), &n_ip, err)) < 0)
        return rc;
    if (last && now - last < CITIZEN_CODE_GAP) {
        *retry_after = (int)(CITIZEN_CODE_GAP - (now - last));
        return err_set(err, ERR_THROTTLED, "a code was sent to this number less than %d s ago",
                       CITIZEN_CODE_GAP);
    }
    if (n_phone >= CITIZEN_CODES_PER_PHONE || n_ip >= CITIZEN_CODES_PER_IP) {
        *retry_after = 3600;
        return err_set(err, ERR_THROTTLED, "too many codes asked for this hour");
    }
    snprintf(code, sizeof(code), "%06u", randombytes_uniform(1000000));
    code_hash(key, hash, code, chash);
    if ((rc = auth_phone_seal(key, code, a, &code_enc, &unused_mask, &unused_hash, err)) < 0)
        return rc;
    sodium_memzero(code, sizeof(code));
    int64_t w =
        store_run(c,
                  "INSERT INTO sms_codes (phone_hash, code_hash, ip, created_at, expires_at)"
                  " VALUES (?, ?, ?, ?, ?)",
                  STORE_ARGS(store_text(hash), store_text(chash), store_text(ip), store_i64(now),
                             store_i64(now + CITIZEN_CODE_TTL)),
                  err);
    if (w < 0)
        return (int)w;
    snprintf(minutes, sizeof(minutes), "%d", CITIZEN_CODE_TTL / 60);
    struct notify_sms_param p[] = {{"code", NULL}, {"minutes", minutes}};
    return notify_sms_queue(c, "code", enc, *mask, hash, 0, p, 2, code_enc, now, NULL, err);
}

struct live {
    int64_t id;
    char hash[65];
};

static int read_live(void *ctx, struct store_stmt *s)
{
    struct live *l = ctx;
    l->id = store_col_int(s, 0);
    snprintf(l->hash, sizeof(l->hash), "%s", store_col_text(s, 1));
    return 0;
}

int citizen_code_verify(struct store_conn *c, const unsigned char *key, const char *phone,
                        const char *code, int64_t now, struct arena *a, int64_t *code_id,
                        int64_t *user_id, int *created, struct err *err)
{
    char digits[12], chash[65], ph[AUTH_PHONE_HASH_LEN + 1];
    struct live l = {0, ""};
    int rc;
    *code_id = *user_id = 0;
    *created = 0;
    if ((rc = citizen_mobile_check(phone, digits, err)) < 0)
        return rc;
    size_t n = strlen(code);
    if (n != CITIZEN_CODE_DIGITS || strspn(code, "0123456789") != n)
        return err_field(err, ERR_BAD_REQUEST, "code", "the code has %d digits",
                         CITIZEN_CODE_DIGITS);
    if ((rc = auth_phone_hash(key, digits, ph)) < 0)
        return err_set(err, rc, "cannot hash the phone number");
    if ((rc = store_one(
             c,
             "SELECT id, code_hash FROM sms_codes WHERE phone_hash = ? AND used_at IS NULL"
             " AND expires_at > ? AND attempts < ? ORDER BY id DESC LIMIT 1",
             STORE_ARGS(store_text(ph), store_i64(now), store_i64(CITIZEN_CODE_ATTEMPTS)),
             read_live, &l, err)) < 0)
        return rc;
    code_hash(key, ph, code, chash);
    if (!l.id || sodium_memcmp(chash, l.hash, 64) != 0) {
        *code_id = l.id;
        return err_field(err, ERR_UNAUTHORIZED, "code", "the code is wrong or has expired");
    }
    int64_t w = store_run(c, "UPDATE sms_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
                          STORE_ARGS(store_i64(now), store_i64(l.id)), err);
    if (w < 0)
        return (int)w;
    if (w == 0) /* used by a concurrent sign-in */
        return err_field(err, ERR_UNAUTHORIZED, "code", "the code is wrong or has expired");
    if ((rc = store_one_i64(c,
                            "SELECT id FROM users WHERE phone_hash = ? AND active = 1"
                            " AND (',' || roles || ',') LIKE '%,citizen,%' ORDER BY id LIMIT 1",
                            STORE_ARGS(store_text(ph)), user_id, err)) < 0)
        return rc;
    if (rc == 1)
        return 0;
    /* A new account: a name no one types (signing in is by code), a display name from the
     * masked number until the citizen sets theirs, a random password no one knows. */
    char name[32], password[44];
    unsigned char raw[24];
    char *enc, *mask, *hash;
    if ((rc = auth_phone_seal(key, digits, a, &enc, &mask, &hash, err)) < 0)
        return rc;
    snprintf(name, sizeof(name), "m-%.16s", hash);
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(password, sizeof(password), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    struct auth_user_input in = {
        .name = name,
        .display_name = arena_printf(a, "市民%s", mask),
        .password = password,
        .roles = ROLE_CITIZEN,
        .phone = digits,
        .data_key = key,
    };
    rc = auth_user_create(c, &in, now, user_id, err);
    sodium_memzero(password, sizeof(password));
    if (rc < 0)
        return rc;
    *created = 1;
    return 0;
}

int citizen_code_failed(struct store_conn *c, int64_t code_id, struct err *err)
{
    int64_t w = store_run(c, "UPDATE sms_codes SET attempts = attempts + 1 WHERE id = ?",
                          STORE_ARGS(store_i64(code_id)), err);
    return w < 0 ? (int)w : 0;
}

/* ---------------------------------------------------------------- the profile */

struct prof_row {
    struct arena *a;
    struct citizen_profile *p;
    int found;
};

static int read_profile(void *ctx, struct store_stmt *s)
{
    struct prof_row *r = ctx;
    r->found = 1;
    r->p->name = arena_strdup(r->a, store_col_text(s, 0));
    r->p->id_number = arena_strdup(r->a, store_col_text(s, 1));
    r->p->region_id = store_col_int(s, 2);
    r->p->region_name = arena_strdup(r->a, store_col_text(s, 3));
    r->p->address = arena_strdup(r->a, store_col_text(s, 4));
    r->p->consent_offers = store_col_int(s, 5) != 0;
    r->p->updated_at = store_col_int(s, 6);
    return 0;
}

typedef VEC(struct citizen_member) member_vec;

static int push_member(void *ctx, struct store_stmt *s)
{
    member_vec *v = ctx;
    struct citizen_member *m = vec_push(v);
    m->name = arena_strdup(v->arena, store_col_text(s, 0));
    m->relation = arena_strdup(v->arena, store_col_text(s, 1));
    return 0;
}

int citizen_profile_get(struct store_conn *c, int64_t user_id, struct arena *a,
                        struct citizen_profile *out, struct err *err)
{
    struct prof_row r = {a, out, 0};
    member_vec v = VEC_IN(a);
    memset(out, 0, sizeof(*out));
    out->name = out->id_number = out->region_name = out->address = "";
    int64_t rc =
        store_all(c,
                  "SELECT p.name, p.id_number_mask, coalesce(p.region_id, 0), coalesce(g.name, ''),"
                  " p.address, p.consent_offers, p.updated_at FROM citizen_profiles p"
                  " LEFT JOIN regions g ON g.id = p.region_id WHERE p.user_id = ?",
                  STORE_ARGS(store_i64(user_id)), read_profile, &r, err);
    if (rc < 0)
        return (int)rc;
    if ((rc = store_all(c,
                        "SELECT name, relation FROM citizen_household WHERE user_id = ?"
                        " ORDER BY position",
                        STORE_ARGS(store_i64(user_id)), push_member, &v, err)) < 0)
        return (int)rc;
    out->household = v.v;
    out->nhousehold = (int)v.n;
    return 0;
}

int citizen_profile_set(struct store_conn *c, const unsigned char *key, int64_t user_id,
                        const struct citizen_profile *in, int today_ymd, int64_t now,
                        struct arena *a, struct err *err)
{
    char *enc = "", *mask = "", *unused;
    int rc;
    if ((rc = utf8_check_field(in->name, "name", 0, CITIZEN_NAME_MAX, err)) < 0 ||
        (rc = utf8_check_field(in->address, "address", 0, CITIZEN_ADDRESS_MAX, err)) < 0)
        return rc;
    if (in->nhousehold > CITIZEN_HOUSEHOLD_MAX)
        return err_field(err, ERR_BAD_REQUEST, "household", "at most %d household members",
                         CITIZEN_HOUSEHOLD_MAX);
    for (int i = 0; i < in->nhousehold; i++) {
        char f[48];
        snprintf(f, sizeof(f), "household[%d].name", i);
        if ((rc = utf8_check_field(in->household[i].name, f, 1, CITIZEN_NAME_MAX, err)) < 0)
            return rc;
        snprintf(f, sizeof(f), "household[%d].relation", i);
        if ((rc = utf8_check_field(in->household[i].relation, f, 1, CITIZEN_RELATION_MAX, err)) < 0)
            return rc;
    }
    int keep_id = in->id_number == NULL;
    if (!keep_id && *in->id_number) {
        enum valid_reason why = valid_id_card(in->id_number, today_ymd);
        if (why != VALID_OK)
            return err_field(err, ERR_BAD_REQUEST, "id_number",
                             "the ID number is not a valid GB 11643 number (%s)",
                             valid_reason_key(why));
        if ((rc = auth_phone_seal(key, in->id_number, a, &enc, &unused, &unused, err)) < 0)
            return rc;
        /* First 3 and last 2 shown, as a clerk reads it back. */
        mask = arena_printf(a, "%.3s*************%s", in->id_number, in->id_number + 16);
    }
    if (in->region_id) {
        struct org_region g;
        if ((rc = org_region_get(c, in->region_id, a, &g, err)) < 0) {
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "region_id", "region %lld does not exist",
                               (long long)in->region_id);
            return rc;
        }
    }
    int64_t w = store_run(
        c,
        "INSERT INTO citizen_profiles (user_id, name, id_number_enc, id_number_mask, region_id,"
        " address, consent_offers, updated_at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,"
        " id_number_enc = CASE WHEN ? <> 0 THEN citizen_profiles.id_number_enc"
        " ELSE excluded.id_number_enc END,"
        " id_number_mask = CASE WHEN ? <> 0 THEN citizen_profiles.id_number_mask"
        " ELSE excluded.id_number_mask END,"
        " region_id = excluded.region_id, address = excluded.address,"
        " consent_offers = excluded.consent_offers, updated_at = excluded.updated_at",
        STORE_ARGS(store_i64(user_id), store_text(in->name), store_text(enc), store_text(mask),
                   store_i64(in->region_id), store_text(in->address),
                   store_i64(in->consent_offers ? 1 : 0), store_i64(now), store_i64(keep_id),
                   store_i64(keep_id)),
        err);
    if (w < 0)
        return (int)w;
    if ((w = store_run(c, "DELETE FROM citizen_household WHERE user_id = ?",
                       STORE_ARGS(store_i64(user_id)), err)) < 0)
        return (int)w;
    for (int i = 0; i < in->nhousehold; i++)
        if ((w = store_run(c,
                           "INSERT INTO citizen_household (user_id, position, name, relation)"
                           " VALUES (?, ?, ?, ?)",
                           STORE_ARGS(store_i64(user_id), store_i64(i),
                                      store_text(in->household[i].name),
                                      store_text(in->household[i].relation)),
                           err)) < 0)
            return (int)w;
    return 0;
}

int citizen_erase(struct store_conn *c, int64_t user_id, int64_t now, int64_t *cases,
                  struct err *err)
{
    char hash[AUTH_PHONE_HASH_LEN + 1] = "";
    int64_t w;
    *cases = 0;
    struct store_stmt *s;
    int rc;
    if ((rc = store_prepare(c, "SELECT phone_hash FROM users WHERE id = ?",
                            STORE_ARGS(store_i64(user_id)), &s, err)) < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1)
        snprintf(hash, sizeof(hash), "%s", store_col_text(s, 0));
    store_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "user %lld does not exist", (long long)user_id);
    /* clang-format off */
    static const char *const sql[] = {
        "DELETE FROM citizen_household WHERE user_id = ?",
        "DELETE FROM citizen_profiles WHERE user_id = ?",
        "DELETE FROM sessions WHERE user_id = ?",
        "DELETE FROM login_devices WHERE user_id = ?",
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
        if ((w = store_run(c, sql[i], STORE_ARGS(store_i64(user_id)), err)) < 0)
            return (int)w;
    if ((w = store_run(c,
                       "UPDATE cases SET citizen_name = '', citizen_phone_enc = '',"
                       " citizen_phone_mask = '', citizen_phone_hash = '' WHERE created_by = ?",
                       STORE_ARGS(store_i64(user_id)), err)) < 0)
        return (int)w;
    *cases = w;
    if (*hash) {
        if ((w = store_run(c,
                           "UPDATE sms_messages SET phone_enc = '', phone_mask = '',"
                           " phone_hash = '', secret_enc = '' WHERE phone_hash = ?",
                           STORE_ARGS(store_text(hash)), err)) < 0 ||
            (w = store_run(c, "DELETE FROM sms_codes WHERE phone_hash = ?",
                           STORE_ARGS(store_text(hash)), err)) < 0)
            return (int)w;
    }
    /* The row stays (cases, audit entries and ledgers refer to it), nameless and inactive. */
    char name[40];
    snprintf(name, sizeof(name), "deleted-%lld", (long long)user_id);
    w = store_run(c,
                  "UPDATE users SET active = 0, display_name = '', phone = '', phone_enc = '',"
                  " phone_mask = '', phone_hash = '', password_hash = '', name = ?, updated_at = ?"
                  " WHERE id = ?",
                  STORE_ARGS(store_text(name), store_i64(now), store_i64(user_id)), err);
    return w < 0 ? (int)w : 0;
}

typedef VEC(struct citizen_case) case_vec;

static int push_case(void *ctx, struct store_stmt *s)
{
    case_vec *v = ctx;
    struct citizen_case *k = vec_push(v);
    k->id = store_col_int(s, 0);
    k->number = arena_strdup(v->arena, store_col_text(s, 1));
    k->title = arena_strdup(v->arena, store_col_text(s, 2));
    k->state = arena_strdup(v->arena, store_col_text(s, 3));
    k->created_at = store_col_int(s, 4);
    return 0;
}

int citizen_cases(struct store_conn *c, int64_t user_id, int limit, struct arena *a,
                  struct citizen_case **out, struct err *err)
{
    case_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT id, number, title, state, created_at FROM cases"
                           " WHERE created_by = ? ORDER BY id DESC LIMIT ?",
                           STORE_ARGS(store_i64(user_id), store_i64(limit)), push_case, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    return (int)v.n;
}
