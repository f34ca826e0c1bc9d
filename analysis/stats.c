/* Small-sample summaries (Welford mean and variance, Student-t confidence
 * interval from GSL) and exact interpolated percentiles (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cm.h"

double stats_ci95(double sd, uint64_t n) {
  if (n < 2 || !isfinite(sd)) return NAN;
  return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

int stats_summary(const double *x, size_t n, struct stats_summary *out) {
  *out = (struct stats_summary){.n = n, .mean = NAN, .sd = NAN, .ci95 = NAN};
  if (!n || !x) return CM_EINVAL;
  double mean = 0, m2 = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return CM_EINVAL;
    double d = x[i] - mean;
    mean += d / (double)(i + 1);
    m2 += d * (x[i] - mean);
  }
  out->mean = mean;
  if (n >= 2) {
    out->sd = sqrt(m2 / (double)(n - 1));
    out->ci95 = stats_ci95(out->sd, n);
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double stats_percentile_sorted(const double *s, size_t n, double q) {
  double h = (double)(n - 1) * q, f = floor(h);
  size_t lo = (size_t)f;
  if (lo >= n - 1) return s[n - 1];
  if (h == f) return s[lo]; /* also keeps an infinite neighbour out */
  return s[lo] + (h - f) * (s[lo + 1] - s[lo]);
}

int stats_percentile(const double *x, size_t n, double q, double *out) {
  if (!n || !x || !(q >= 0 && q <= 1)) return CM_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (isnan(x[i])) return CM_EINVAL;
  double *s = malloc(n * sizeof *s);
  if (!s) return CM_ENOMEM;
  memcpy(s, x, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_double);
  *out = stats_percentile_sorted(s, n, q);
  free(s);
  return 0;
}
