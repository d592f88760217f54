/*
 * The pure parts of access through a grant (docs/data-sharing.md): Laplace noise and the
 * privacy budget, cell suppression, masking rules and the export watermark.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "grant/grant.h"
#include "valid/valid.h"

double grant_laplace(double scale)
{
    uint64_t r;
    randombytes_buf(&r, sizeof r);
    /* u uniform in the open interval (-1/2, 1/2): 53 random bits, centred on a half step, so
     * that 1 - 2|u| is never 0 and the logarithm always finite. */
    double u = ((double)(r >> 11) + 0.5) / 9007199254740992.0 - 0.5;
    double a = fabs(u);
    double x = -scale * log(1.0 - 2.0 * a);
    return u < 0 ? -x : x;
}

double grant_noise_scale(double sensitivity, double epsilon)
{
    return sensitivity / epsilon;
}

int grant_sum_sensitivity(int has_lo, double lo, int has_hi, double hi, double *out,
                          const char *field_name, struct err *err)
{
    if (!has_lo || !has_hi)
        return err_field(err, ERR_BAD_REQUEST, "measures",
                         "a noisy sum needs both bounds of field '%s'", field_name);
    *out = fmax(fabs(lo), fabs(hi));
    return 0;
}

double grant_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int grant_budget_check(double total, double spent, double asked, struct err *err)
{
    /* A hair of tolerance so that ten queries of 0.1 fit a budget of 1.0 (and PostgreSQL's REAL
     * is single precision). */
    if (asked <= 0 || spent + asked > total + 1e-6)
        return err_field(err, ERR_FORBIDDEN, "epsilon",
                         "the privacy budget of the grant is exhausted (%.3g of %.3g spent)", spent,
                         total);
    return 0;
}

size_t grant_suppress(struct grant_cell *cells, size_t n, int k)
{
    size_t nsup = 0;
    int64_t supsum = 0;
    for (size_t i = 0; i < n; i++) {
        cells[i].suppressed = cells[i].count < k;
        if (cells[i].suppressed) {
            nsup++;
            supsum += cells[i].count;
        }
    }
    /* The total is shown: one suppressed cell would be the total minus the others, and a
     * suppressed group of fewer than k rows in all would be bounded by the same difference. */
    while (nsup > 0 && nsup < n && (nsup < 2 || supsum < k)) {
        size_t m = n;
        for (size_t i = 0; i < n; i++)
            if (!cells[i].suppressed && (m == n || cells[i].count < cells[m].count))
                m = i;
        cells[m].suppressed = 2;
        nsup++;
        supsum += cells[m].count;
    }
    return nsup;
}

/* ---- masking ---- */

const char *grant_mask(const char *rule, const char *v, struct arena *a)
{
    if (!v || !*v)
        return "";
    int r = valid_mask_rule_parse(rule);
    /* "full" and anything unknown: nothing of the value, not even its length. */
    if (r < 0 || r == MASK_FULL)
        return "***";
    /* A masked value is at most the value plus the rule's few added characters ("****"). */
    size_t cap = strlen(v) + 16;
    char *out = arena_alloc(a, cap);
    if (valid_mask((enum valid_mask_rule)r, v, out, cap, 0) < 0)
        return "***";
    return out;
}

/* ---- the watermark ---- */

void grant_key_new(char out[GRANT_KEY_HEX + 1])
{
    unsigned char k[GRANT_KEY_HEX / 2];
    randombytes_buf(k, sizeof k);
    sodium_bin2hex(out, GRANT_KEY_HEX + 1, k, sizeof k);
    sodium_memzero(k, sizeof k);
}

int grant_row_bit(const char *key_hex, const char *const *cells, size_t n)
{
    unsigned char k[GRANT_KEY_HEX / 2], mac[crypto_auth_hmacsha256_BYTES];
    size_t klen;
    if (strlen(key_hex) != GRANT_KEY_HEX ||
        sodium_hex2bin(k, sizeof k, key_hex, GRANT_KEY_HEX, NULL, &klen, NULL) != 0 ||
        klen != sizeof k)
        return -1;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k, sizeof k);
    for (size_t i = 0; i < n; i++) {
        if (i)
            crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\x1f", 1);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)cells[i], strlen(cells[i]));
    }
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(k, sizeof k);
    return mac[0] & 1;
}

size_t grant_mark_cell(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cells[i][0])
            return i;
    return 0;
}

int grant_mark_strip(char *cell)
{
    size_t len = strlen(cell), m = strlen(GRANT_MARK_ONE);
    if (len < m)
        return -1;
    if (!memcmp(cell + len - m, GRANT_MARK_ONE, m)) {
        cell[len - m] = 0;
        return 1;
    }
    if (!memcmp(cell + len - m, GRANT_MARK_ZERO, m)) {
        cell[len - m] = 0;
        return 0;
    }
    return -1;
}

double grant_trace_score(const char *key_hex, const struct grant_trace_row *rows, size_t n,
                         size_t *marked)
{
    size_t m = 0, agree = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].bit < 0)
            continue;
        int b = grant_row_bit(key_hex, (const char *const *)rows[i].cells, rows[i].n);
        if (b < 0)
            break;
        m++;
        agree += b == rows[i].bit;
    }
    *marked = m;
    return m ? (double)agree / (double)m : 0;
}
