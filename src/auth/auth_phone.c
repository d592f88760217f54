/*
 * Account phone numbers, sealed at rest exactly as case phones are (src/case/case_phone.c):
 * a copy of the database shows neither, and the same data key opens both. The mask is what
 * every listing shows; the clear number is opened for the user's own session (a citizen's
 * report carries it) and for the audited reveal.
 */
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/mask.h"
#include "core/mem.h"
#include "core/vec.h"
#include "store/store.h"

/* The digits a person means: "138 0013-8000", "+86 13800138000" and "13800138000" are one
 * number. A mobile number written with China's country code (86 and eleven digits) loses it;
 * anything else keeps all its digits. A number stored only as digits hashes as it always did. */
static size_t phone_digits(const char *phone, char *out, size_t max)
{
    size_t n = 0;
    for (const char *p = phone; *p && n + 1 < max; p++)
        if (*p >= '0' && *p <= '9')
            out[n++] = *p;
    out[n] = '\0';
    if (n == 13 && out[0] == '8' && out[1] == '6' && out[2] == '1') {
        memmove(out, out + 2, 12);
        n = 11;
    }
    return n;
}

int auth_phone_hash(const unsigned char *key, const char *phone, char out[AUTH_PHONE_HASH_LEN + 1])
{
    char digits[64];
    unsigned char h[16];
    size_t n = phone_digits(phone, digits, sizeof(digits));
    out[0] = '\0';
    if (!n || !key)
        return -1;
    crypto_generichash(h, sizeof(h), (const unsigned char *)digits, n, key, 32);
    sodium_bin2hex(out, AUTH_PHONE_HASH_LEN + 1, h, sizeof(h));
    return 0;
}

int auth_phone_seal(const unsigned char *key, const char *phone, struct arena *a, char **enc,
                    char **mask, char **hash, struct err *err)
{
    size_t n = strlen(phone);
    if (!n) {
        *enc = *mask = *hash = arena_strdup(a, "");
        return 0;
    }
    if (!key)
        return err_set(err, ERR_INTERNAL, "no data key configured for personal data");
    size_t clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char *box = arena_alloc(a, clen);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)phone, n, box,
                          key);
    size_t b64 = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    *enc = arena_alloc(a, b64);
    sodium_bin2base64(*enc, b64, box, clen, sodium_base64_VARIANT_ORIGINAL);
    *hash = arena_alloc(a, AUTH_PHONE_HASH_LEN + 1);
    auth_phone_hash(key, phone, *hash);
    *mask = arena_alloc(a, n + 8);
    mask_phone(phone, *mask, n + 8);
    return 0;
}

int auth_phone_open(const unsigned char *key, const char *enc, struct arena *a, const char **out,
                    struct err *err)
{
    size_t cap = strlen(enc), len;
    if (!cap) {
        *out = "";
        return 0;
    }
    unsigned char *box = arena_alloc(a, cap + 1);
    if (!key ||
        sodium_base642bin(box, cap, enc, cap, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return err_set(err, ERR_INTEGRITY, "stored account phone number is not readable");
    size_t mlen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *plain = arena_alloc(a, mlen + 1);
    if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, box, key) != 0)
        return err_set(err, ERR_INTEGRITY,
                       "stored account phone number does not decrypt with the configured key");
    plain[mlen] = '\0';
    *out = plain;
    return 0;
}

int auth_user_phone(struct store_conn *c, const unsigned char *key, int64_t id, struct arena *a,
                    const char **phone, struct err *err)
{
    char *enc = NULL;
    int rc = store_one_text(c, "SELECT phone_enc FROM users WHERE id = ?",
                            STORE_ARGS(store_i64(id)), a, &enc, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "user %lld does not exist", (long long)id);
    return auth_phone_open(key, enc, a, phone, err);
}

struct clear_phone {
    int64_t id;
    char *phone;
};
typedef VEC(struct clear_phone) clear_vec;

static int push_clear(void *ctx, struct store_stmt *row)
{
    clear_vec *v = ctx;
    struct clear_phone *p = vec_push(v);
    p->id = store_col_int(row, 0);
    p->phone = arena_strdup(v->arena, store_col_text(row, 1));
    return 0;
}

int auth_user_seal_phones(struct store_conn *c, const unsigned char *key, int64_t *n,
                          struct err *err)
{
    struct arena a;
    int64_t rc;
    *n = 0;
    arena_init(&a, 1024);
    clear_vec v = VEC_IN(&a);
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    rc = store_all(c, "SELECT id, phone FROM users WHERE phone <> '' ORDER BY id", STORE_NO_ARGS,
                   push_clear, &v, err);
    for (size_t i = 0; rc >= 0 && i < v.n; i++) {
        char *enc, *mask, *hash;
        if ((rc = auth_phone_seal(key, v.v[i].phone, &a, &enc, &mask, &hash, err)) < 0)
            break;
        /* "phone <> ''": another node starting at the same time may have sealed it already. */
        rc = store_run(
            c,
            "UPDATE users SET phone = '', phone_enc = ?, phone_mask = ?, phone_hash = ?"
            " WHERE id = ? AND phone <> ''",
            STORE_ARGS(store_text(enc), store_text(mask), store_text(hash), store_i64(v.v[i].id)),
            err);
        *n += rc > 0 ? rc : 0;
    }
    if (rc >= 0)
        rc = store_commit(c, err);
    else
        store_rollback(c);
out:
    arena_release(&a);
    return rc < 0 ? (int)rc : 0;
}
