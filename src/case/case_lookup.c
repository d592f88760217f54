/*
 * The public lookup by case number and check code, with its failure limits: a guess costs the
 * guesser one of a few attempts per address and the case one of a few per number, so a code
 * cannot be found by trying (docs/security.md, "Public lookup and Open311").
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "case/case.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

int case_check_code_normalize(const char *in, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = 0;
    while (*s) {
        int d = -1;
        if (*s >= '0' && *s <= '9') {
            d = *s - '0';
            s++;
        } else if (*s == ' ' || *s == '-' || *s == '\t') {
            s++;
            continue;
        } else if (s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99) {
            d = s[2] - 0x90; /* U+FF10..U+FF19, full-width digits (a Chinese input method) */
            s += 3;
        } else if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) {
            s += 3; /* U+3000 ideographic space */
            continue;
        } else {
            return -1;
        }
        if (n >= CASE_CHECK_CODE_MAX)
            return -1;
        out[n++] = (char)('0' + d);
    }
    out[n] = '\0';
    return 0;
}

/* Failures of (kind, key) since 'since', and when the oldest of the last 'max' of them leaves
 * the window (when one more attempt is allowed again). */
static int failures(struct store_conn *c, const char *kind, const char *key, int64_t since, int max,
                    int64_t *count, int64_t *oldest, struct err *err)
{
    int rc;
    *count = *oldest = 0;
    if ((rc = store_one_i64(
             c, "SELECT count(*) FROM lookup_failures WHERE kind = ? AND key = ? AND at > ?",
             STORE_ARGS(store_text(kind), store_text(key), store_i64(since)), count, err)) < 0)
        return rc;
    if (*count < max)
        return 0;
    rc = store_one_i64(
        c,
        "SELECT min(at) FROM (SELECT at FROM lookup_failures WHERE kind = ? AND"
        " key = ? AND at > ? ORDER BY at DESC LIMIT ?) last",
        STORE_ARGS(store_text(kind), store_text(key), store_i64(since), store_i64(max)), oldest,
        err);
    return rc < 0 ? rc : 0;
}

static int record_failure(struct store_conn *c, const char *ip, const char *number, int64_t now,
                          int64_t since, struct err *err)
{
    int rc;
    if ((rc = store_begin(c, err)) < 0)
        return rc;
    if (store_run(c,
                  "INSERT INTO lookup_failures(kind, key, at) VALUES ('ip', ?, ?), ('case', ?, ?)",
                  STORE_ARGS(store_text(ip), store_i64(now), store_text(number), store_i64(now)),
                  err) < 0 ||
        store_run(c, "DELETE FROM lookup_failures WHERE at <= ?", STORE_ARGS(store_i64(since)),
                  err) < 0) {
        store_rollback(c);
        return err->code;
    }
    return store_commit(c, err);
}

int case_lookup(struct store_conn *c, const char *number, const char *code, const char *ip,
                int64_t now, const struct case_lookup_limits *lim, struct arena *a,
                struct case_rec *out, int *retry_after, struct err *err)
{
    char want[CASE_CHECK_CODE_MAX + 1];
    int64_t since = now - lim->window, by_ip, by_case, ip_oldest, case_oldest;
    int rc;
    *retry_after = 0;
    /* A case number is digits and '-' (20261202-000001). Anything else is no case, counted
     * under one key no number has: a guesser cannot make up keys of any size or bytes (which
     * PostgreSQL would refuse as text). */
    char key[32];
    size_t len = strspn(number, "0123456789-");
    int plausible = len == strlen(number) && len >= 1 && len < sizeof(key);
    snprintf(key, sizeof(key), "%s", plausible ? number : "?");
    if ((rc = failures(c, "ip", ip, since, lim->max_ip_failures, &by_ip, &ip_oldest, err)) < 0 ||
        (rc = failures(c, "case", key, since, lim->max_case_failures, &by_case, &case_oldest,
                       err)) < 0)
        return rc;
    if (by_ip >= lim->max_ip_failures || by_case >= lim->max_case_failures) {
        int64_t oldest = 0;
        if (by_ip >= lim->max_ip_failures)
            oldest = ip_oldest;
        if (by_case >= lim->max_case_failures && case_oldest > oldest)
            oldest = case_oldest;
        *retry_after = (int)(oldest + lim->window - now);
        if (*retry_after < 1)
            *retry_after = 1;
        return err_set(err, ERR_THROTTLED,
                       "too many failed lookups from this address or for this case number; try"
                       " again in %d s",
                       *retry_after);
    }
    rc = plausible ? case_get_by_number(c, key, a, out, err) : ERR_NOT_FOUND;
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    /* Constant time over the code: the answer's timing says nothing about how much matched. */
    int ok = rc == 0 && case_check_code_normalize(code, want) == 0 &&
             strlen(number) < sizeof(key) && strlen(want) == strlen(out->check_code) &&
             sodium_memcmp(want, out->check_code, strlen(want)) == 0;
    if (ok)
        return 0;
    err_clear(err);
    if ((rc = record_failure(c, ip, key, now, since, err)) < 0)
        return rc;
    return err_set(err, ERR_NOT_FOUND, "no case with this number and check code");
}
