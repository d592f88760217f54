/*
 * The citizen's phone number: sealed at rest (secretbox under the data key), a mask for display
 * and a keyed hash for matching; the clear number only for the audited reveal.
 */
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

/* Sealed exactly as account phones are (auth_phone_seal): one secretbox and keyed hash under
 * the one data key, so a number typed by an operator matches the same account's hash. */
int case_phone_seal(const struct case_config *cfg, const char *phone, struct arena *a, char **enc,
                    char **hash, struct err *err)
{
    char *mask;
    return auth_phone_seal(cfg->key, phone, a, enc, &mask, hash, err);
}

static int phone_open(const struct case_config *cfg, const char *enc, struct arena *a,
                      const char **out, struct err *err)
{
    return auth_phone_open(cfg->key, enc, a, out, err);
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
        return err_deny(err, ERR_REASON_SCOPE, "case %s is outside your scope", r.number);
    if ((rc = store_prepare(env->conn, "SELECT citizen_phone_enc FROM cases WHERE id = ?",
                            STORE_ARGS(store_i64(id)), &s, err)) < 0)
        return rc;
    char *enc =
        store_step(s, err) == 1 ? arena_strdup(a, store_col_text(s, 0)) : arena_strdup(a, "");
    store_done(s);
    return phone_open(env->cfg, enc, a, phone, err);
}
