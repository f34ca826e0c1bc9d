/* Small-sample statistics for replications: mean, sample standard deviation
 * and the 95% confidence interval half-width from Student's t (GSL), and an
 * exact percentile over an array by linear interpolation between order
 * statistics (Hyndman and Fan 1996, definition 7: R's default, numpy's
 * "linear"). For streams too long to keep, see hist.h. */
#ifndef CM_STATS_H
#define CM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct stats_summary {
  uint64_t n;
  double mean; /* NAN when n = 0 */
  double sd;   /* sample standard deviation (divisor n - 1); NAN when n < 2 */
  double ci95; /* half-width of the 95% CI of the mean,
                  gsl_cdf_tdist_Pinv(0.975, n - 1) * sd / sqrt(n); NAN when n < 2 */
};

/* Summarise x[0..n). Returns 0, or CM_EINVAL for n = 0, x NULL or a
 * non-finite value (out then holds n and NANs). Mean and sd by Welford's
 * one-pass update. */
int stats_summary(const double *x, size_t n, struct stats_summary *out);

/* The 95% CI half-width for a sample of n values with sample sd `sd`:
 * t_{0.975, n-1} * sd / sqrt(n); NAN for n < 2. */
double stats_ci95(double sd, uint64_t n);

/* The q-quantile (q in [0, 1]) of x[0..n), which is not modified (a sorted
 * copy is made): with h = (n - 1) q and the sorted values s,
 * s[floor h] + (h - floor h) (s[floor h + 1] - s[floor h]).
 * Returns 0 with *out set, CM_EINVAL (n = 0, q outside [0, 1], a NaN in x)
 * or CM_ENOMEM. */
int stats_percentile(const double *x, size_t n, double q, double *out);
/* The same over values already sorted ascending (no copy, no check). */
double stats_percentile_sorted(const double *sorted, size_t n, double q);

/* Two-sample Kolmogorov-Smirnov test of x[0..n) against y[0..m) (neither
 * modified): *d = sup |F_x - F_y| over the pooled values, and *p its
 * asymptotic p-value Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2
 * lambda^2) with lambda = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) d and ne =
 * n m / (n + m) (Stephens 1970, the form Numerical Recipes gives; GSL has
 * no KS test). Good for n, m of about 4 and more. Returns 0, CM_EINVAL
 * (n or m 0, a NaN) or CM_ENOMEM. */
int stats_ks2(const double *x, size_t n, const double *y, size_t m, double *d, double *p);

#endif
