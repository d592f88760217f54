/*
 * warn: the math of spike detection (method: warn.h and docs/warning.md).
 */
#include <math.h>
#include <stdio.h>

#include "core/err.h"
#include "core/mem.h"
#include "warn/warn.h"

/* log P(Y = k) of the NB(mean, size), or of the Poisson when size is infinite. */
static double log_pmf(double k, double mean, double size)
{
    if (!isfinite(size))
        return -mean + k * log(mean) - lgamma(k + 1);
    double p = size / (size + mean); /* success probability */
    return lgamma(k + size) - lgamma(size) - lgamma(k + 1) + size * log(p) + k * log1p(-p);
}

/* pmf(k + 1) / pmf(k) */
static double up_ratio(double k, double mean, double size)
{
    if (!isfinite(size))
        return mean / (k + 1);
    return (k + size) / (k + 1) * (mean / (size + mean));
}

double warn_nb_tail(int64_t y, double mean, double size)
{
    if (y <= 0)
        return 1.0;
    if (!(mean > 0))
        return 0.0;
    if (size > 1e12)
        size = INFINITY;
    double k = (double)y;
    if (k > mean) {
        /* Upper tail summed upwards from y: the terms fall from the start. */
        double term = exp(log_pmf(k, mean, size)), sum = 0;
        for (int i = 0; i < 10000000 && term > 0; i++) {
            sum += term;
            if (term < sum * 1e-17)
                break;
            term *= up_ratio(k, mean, size);
            k += 1;
        }
        return sum > 1 ? 1 : sum;
    }
    /* 1 − P(Y ≤ y − 1), the lower part summed downwards from y − 1. */
    k = (double)(y - 1);
    double term = exp(log_pmf(k, mean, size)), sum = 0;
    for (; k >= 0 && term > 0; k -= 1) {
        sum += term;
        if (term < sum * 1e-17)
            break;
        if (k >= 1)
            term /= up_ratio(k - 1, mean, size);
    }
    double t = 1 - sum;
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

/* Ratio-to-mean factors of 'nslots' slots; rate = (count + ½) / bins, slots without bins 1. */
static void factors(const double *sum, const double *bins, int nslots, double *f)
{
    double total = 0;
    int present = 0;
    for (int s = 0; s < nslots; s++)
        if (bins[s] > 0) {
            f[s] = (sum[s] + 0.5) / bins[s];
            total += f[s];
            present++;
        }
    double mean = present ? total / present : 1;
    for (int s = 0; s < nslots; s++)
        f[s] = bins[s] > 0 && mean > 0 ? f[s] / mean : 1;
}

int warn_season(const double *pooled, size_t nfit, size_t n, int bin_hours, int first_slot,
                double *w, struct err *err)
{
    if (bin_hours != 1 && bin_hours != 24)
        return err_field(err, ERR_BAD_REQUEST, "bin_hours", "bins of %d hours: 1 or 24 only",
                         bin_hours);
    if (first_slot < 0 || first_slot >= 168 || first_slot % bin_hours)
        return err_field(err, ERR_BAD_REQUEST, "first_slot",
                         "slot %d is not an hour of the week starting a bin", first_slot);
    double dsum[7] = {0}, dbins[7] = {0}, hsum[24] = {0}, hbins[24] = {0}, dow[7], hod[24];
    if (nfit > n)
        return err_field(err, ERR_BAD_REQUEST, "nfit", "%zu bins to fit of %zu", nfit, n);
    for (size_t i = 0; i < nfit; i++) {
        size_t how = ((size_t)first_slot + i * (size_t)bin_hours) % 168;
        double y = pooled[i] > 0 ? pooled[i] : 0;
        dsum[how / 24] += y;
        dbins[how / 24] += 1;
        hsum[how % 24] += y;
        hbins[how % 24] += 1;
    }
    factors(dsum, dbins, 7, dow);
    factors(hsum, hbins, 24, hod);
    for (size_t i = 0; i < n; i++) {
        size_t how = ((size_t)first_slot + i * (size_t)bin_hours) % 168;
        w[i] = dow[how / 24] * (bin_hours == 1 ? hod[how % 24] : 1);
    }
    return 0;
}

int warn_test(const double *counts, const double *w, size_t n, const struct warn_params *p,
              struct warn_result *out, struct err *err)
{
    double alpha = p->alpha > 0 ? p->alpha : WARN_ALPHA;
    int64_t min_count = p->min_count > 0 ? p->min_count : WARN_MIN_COUNT;
    if (p->window < 1)
        return err_field(err, ERR_BAD_REQUEST, "window", "the window needs at least one bin");
    if (p->baseline < 1)
        return err_field(err, ERR_BAD_REQUEST, "baseline", "the baseline needs at least one bin");
    if (!(alpha < 0.5))
        return err_field(err, ERR_BAD_REQUEST, "alpha", "alpha %g is not below 0.5", alpha);
    if (n < p->window || n - p->window < p->guard || n - p->window - p->guard < p->baseline)
        return err_field(err, ERR_BAD_REQUEST, "baseline",
                         "%zu bins do not hold window %zu + guard %zu + baseline %zu", n, p->window,
                         p->guard, p->baseline);
    size_t win0 = n - p->window, b1 = win0 - p->guard, b0 = b1 - p->baseline;
    double S = 0, Wb = 0, Ww = 0, Y = 0;
    for (size_t i = b0; i < n; i++) {
        double wi = w ? w[i] : 1;
        if (!(counts[i] >= 0) || !isfinite(counts[i]))
            return err_field(err, ERR_BAD_REQUEST, "counts", "count %zu is not a number >= 0", i);
        if (!(wi > 0) || !isfinite(wi))
            return err_field(err, ERR_BAD_REQUEST, "weights", "weight %zu is not positive", i);
        if (i < b1) {
            S += counts[i];
            Wb += wi;
        } else if (i >= win0) {
            Y += counts[i];
            Ww += wi;
        }
    }
    double level = S / Wb;
    /* Over-dispersion over window-long blocks of the baseline, newest block first; on a handful
     * of cases one pair on a day reads as φ = 2, so a sparse baseline keeps φ = 1 (its
     * uncertainty is in the gamma posterior below). */
    double chi2 = 0, phi = 1;
    size_t blocks = p->baseline / p->window;
    if (blocks >= 2 && S >= WARN_DISPERSION_MIN_CASES) {
        for (size_t b = 0; b < blocks; b++) {
            double yb = 0, wb = 0;
            for (size_t i = b1 - (b + 1) * p->window; i < b1 - b * p->window; i++) {
                yb += counts[i];
                wb += w ? w[i] : 1;
            }
            double mu = level * wb;
            chi2 += (yb - mu) * (yb - mu) / mu;
        }
        phi = chi2 / (double)(blocks - 1);
        if (phi < 1)
            phi = 1;
    }
    /* Predictive NB: gamma posterior of the level (shape S + ½), widened by φ. */
    double r0 = S + 0.5, m = r0 * Ww / Wb, v = phi * (m + m * m / r0);
    double size = m * m / (v - m);
    out->observed = (int64_t)llround(Y);
    out->expected = m;
    out->baseline = S;
    out->dispersion = phi;
    out->p_value = warn_nb_tail(out->observed, m, size);
    /* The smallest count at or above min_count whose tail is within alpha. */
    int64_t t = (int64_t)floor(m) + 1;
    if (t < min_count)
        t = min_count;
    double tail = warn_nb_tail(t, m, size);
    for (int i = 0; tail > alpha && i < 10000000; i++) {
        tail -= exp(log_pmf((double)t, m, isfinite(size) && size <= 1e12 ? size : INFINITY));
        t++;
    }
    out->threshold = t;
    out->alarm = out->observed >= min_count && out->p_value <= alpha;
    return 0;
}

const char *warn_window_words(int window_hours, struct arena *a)
{
    if (window_hours == 24)
        return "24 小时";
    if (window_hours % 24 == 0)
        return arena_printf(a, "%d 天", window_hours / 24);
    return arena_printf(a, "%d 小时", window_hours);
}
