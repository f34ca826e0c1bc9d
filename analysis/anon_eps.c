/* Loopix's likelihood-difference eps (section 4.3, Eq. (3)) and our delta
 * over it (anon_eps.h). */
#include "anon_eps.h"

#include <math.h>
#include <stdlib.h>

#include "cm.h"

double anon_eps(double p0, double p1) {
  if (!isfinite(p0) || !isfinite(p1) || p0 < 0 || p1 < 0) return NAN;
  if (p0 == 0 && p1 == 0) return NAN;
  if (p0 == 0 || p1 == 0) return INFINITY;
  return fabs(log(p0 / p1));
}

double anon_eps_delta(const double *eps_msg, size_t n, double eps) {
  if (!eps_msg) return NAN;
  size_t k = 0, over = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(eps_msg[i])) continue;
    k++;
    if (eps_msg[i] > eps) over++;
  }
  return k ? (double)over / (double)k : NAN;
}

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int anon_eps_summarise(const double *eps_msg, size_t n, struct anon_eps_summary *out) {
  if (!eps_msg || !out) return CM_EINVAL;
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return CM_ENOMEM;
  size_t k = 0, inf = 0;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(eps_msg[i])) continue;
    v[k++] = eps_msg[i];
    if (isinf(eps_msg[i])) inf++;
    else sum += eps_msg[i];
  }
  if (k == 0) {
    free(v);
    return CM_EINVAL;
  }
  qsort(v, k, sizeof *v, dbl_cmp);
  /* quantiles by the nearest-rank rule, so +inf stays +inf */
  size_t i50 = (size_t)ceil(0.5 * (double)k), i95 = (size_t)ceil(0.95 * (double)k);
  *out = (struct anon_eps_summary){
      .n = k,
      .n_inf = inf,
      .mean = k > inf ? sum / (double)(k - inf) : NAN,
      .p50 = v[(i50 ? i50 : 1) - 1],
      .eps_d05 = v[(i95 ? i95 : 1) - 1],
      .delta_1 = anon_eps_delta(v, k, 1.0),
  };
  free(v);
  return 0;
}
