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


/* Q_KS(lambda): the series converges fast; 1 for tiny lambda. */
static double q_ks(double lambda) {
  if (lambda < 0.2) return 1.0;
  double sum = 0, sign = 1, l2 = lambda * lambda;
  for (int j = 1; j <= 100; j++) {
    double term = sign * exp(-2.0 * j * j * l2);
    sum += term;
    if (fabs(term) < 1e-12 * fabs(sum)) break;
    sign = -sign;
  }
  double q = 2 * sum;
  return q < 0 ? 0 : q > 1 ? 1 : q;
}

int stats_ks2(const double *x, size_t n, const double *y, size_t m, double *d, double *p) {
  if (!x || !y || n == 0 || m == 0) return CM_EINVAL;
  double *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b);
  if (!a || !b) {
    free(a);
    free(b);
    return CM_ENOMEM;
  }
  memcpy(a, x, n * sizeof *a);
  memcpy(b, y, m * sizeof *b);
  for (size_t i = 0; i < n; i++)
    if (isnan(a[i])) goto bad;
  for (size_t i = 0; i < m; i++)
    if (isnan(b[i])) goto bad;
  qsort(a, n, sizeof *a, cmp_double);
  qsort(b, m, sizeof *b, cmp_double);
  double dmax = 0;
  size_t i = 0, j = 0;
  while (i < n && j < m) { /* step both CDFs past every copy of the next pooled value */
    double v = a[i] < b[j] ? a[i] : b[j];
    while (i < n && a[i] == v) i++;
    while (j < m && b[j] == v) j++;
    double diff = fabs((double)i / (double)n - (double)j / (double)m);
    if (diff > dmax) dmax = diff;
  }
  free(a);
  free(b);
  double ne = (double)n * (double)m / (double)(n + m), sq = sqrt(ne);
  *d = dmax;
  *p = q_ks((sq + 0.12 + 0.11 / sq) * dmax);
  return 0;
bad:
  free(a);
  free(b);
  return CM_EINVAL;
}
