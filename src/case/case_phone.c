/*
 * The citizen's phone number: sealed at rest (secretbox under the data key), a mask for display
 * and a keyed hash for matching; the clear number only for the audited reveal.
 */
#include <sodium.h>
#include <string.h>

#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

int case_phone_seal(const struct case_config *cfg, const char *phone, struct arena *a, char **enc,
                    char **hash, struct err *err)
{
    size_t n = strlen(phone);
    size_t clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char *box = arena_alloc(a, clen);
    unsigned char h[16];
    if (!cfg->key)
        return err_set(err, ERR_INTERNAL, "no data key configured for personal data");
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)phone, n, box,
                          cfg->key);
    size_t b64 = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    *enc = arena_alloc(a, b64);
    sodium_bin2base64(*enc, b64, box, clen, sodium_base64_VARIANT_ORIGINAL);
    crypto_generichash(h, sizeof(h), (const unsigned char *)phone, n, cfg->key, 32);
    *hash = arena_alloc(a, sizeof(h) * 2 + 1);
    sodium_bin2hex(*hash, sizeof(h) * 2 + 1, h, sizeof(h));
    return 0;
}

static int phone_open(const struct case_config *cfg, const char *enc, struct arena *a,
                      const char **out, struct err *err)
{
    size_t cap = strlen(enc), len;
    unsigned char *box = arena_alloc(a, cap + 1);
    if (!*enc) {
        *out = "";
        return 0;
    }
    if (!cfg->key ||
        sodium_base642bin(box, cap, enc, cap, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return err_set(err, ERR_INTEGRITY, "stored phone number is not readable");
    size_t mlen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *plain = arena_alloc(a, mlen + 1);
    if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, box, cfg->key) != 0)
        return err_set(err, ERR_INTEGRITY,
                       "stored phone number does not decrypt with the configured key");
    plain[mlen] = '\0';
    *out = plain;
    return 0;
}

int case_phone_check(const char *phone, const char *field, struct err *err)
{
    size_t digits = 0;
    int other = 0;
    for (const char *q = phone; *q; q++) {
        if (*q >= '0' && *q <= '9')
            digits++;
        else if (!strchr("+- ()", *q))
            other = 1;
    }
    if (other || digits < 5 || digits > 20)
        return err_field(
            err, ERR_BAD_REQUEST, field,
            "a phone number has 5 to 20 digits and may contain '+', '-', spaces and brackets");
    return 0;
}

int case_reveal_phone(const struct case_env *env, int64_t id, struct arena *a, const char **phone,
                      struct err *err)
{
    struct store_stmt *s;
    struct case_rec r;
    int rc;
    if ((rc = case_get(env->conn, id, a, &r, err)) < 0)
        return rc;
    if (!case_visible(env->actor, &r))
        return err_set(err, ERR_FORBIDDEN, "case %s is outside your scope", r.number);
    if ((rc = store_prepare(env->conn, "SELECT citizen_phone_enc FROM cases WHERE id = ?",
                            STORE_ARGS(store_i64(id)), &s, err)) < 0)
        return rc;
    char *enc =
        store_step(s, err) == 1 ? arena_strdup(a, store_col_text(s, 0)) : arena_strdup(a, "");
    store_done(s);
    return phone_open(env->cfg, enc, a, phone, err);
}
