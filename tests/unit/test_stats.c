/* Small-sample statistics: mean, sd and the Student-t CI of a sample worked
 * by hand; the n = 0 and n = 1 cases; interpolated percentiles against
 * values worked by hand (and numpy's "linear" method). */
#include "cmocka_inc.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include <math.h>

#include "stats.h"

#define near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* {1,2,3,4,5}: mean 3; squared deviations 4+1+0+1+4 = 10, sd = sqrt(10/4)
 * = 1.58114; t(0.975, 4) = 2.77645 (tables); half-width 2.77645 * 1.58114 /
 * sqrt(5) = 1.96324. */
static void test_ci_by_hand(void **state CM_UNUSED) {
  const double x[] = {1, 2, 3, 4, 5};
  struct stats_summary s;
  assert_int_equal(stats_summary(x, 5, &s), 0);
  assert_int_equal(s.n, 5);
  near(s.mean, 3.0, 1e-12);
  near(s.sd, 1.5811388, 1e-6);
  near(s.ci95, 1.9632, 1e-4);
  near(stats_ci95(1.0, 5) * sqrt(5.0), 2.7764451, 1e-6);
  /* Large n: t tends to the normal quantile 1.95996. */
  near(stats_ci95(1.0, 100001) * sqrt(100001.0), 1.959987, 1e-4);
}

/* Welford is stable where the textbook sum of squares is not. */
static void test_large_offset(void **state CM_UNUSED) {
  const double x[] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5};
  struct stats_summary s;
  assert_int_equal(stats_summary(x, 5, &s), 0);
  near(s.mean, 1e9 + 3, 1e-6);
  near(s.sd, 1.5811388, 1e-6);
}

static void test_small_n(void **state CM_UNUSED) {
  const double one[] = {4.5};
  struct stats_summary s;
  assert_int_equal(stats_summary(one, 1, &s), 0);
  assert_int_equal(s.n, 1);
  near(s.mean, 4.5, 0);
  assert_true(isnan(s.sd));
  assert_true(isnan(s.ci95));
  assert_true(isnan(stats_ci95(2.0, 1)));
  assert_int_equal(stats_summary(one, 0, &s), CM_EINVAL);
  assert_true(isnan(s.mean));
  const double bad[] = {1, NAN};
  assert_int_equal(stats_summary(bad, 2, &s), CM_EINVAL);
}

static void test_percentile(void **state CM_UNUSED) {
  const double x[] = {5, 1, 4, 2, 3};
  double v;
  assert_int_equal(stats_percentile(x, 5, 0.5, &v), 0);
  near(v, 3, 0);
  assert_int_equal(stats_percentile(x, 5, 0.1, &v), 0); /* h = 0.4: 1 + 0.4 */
  near(v, 1.4, 1e-12);
  assert_int_equal(stats_percentile(x, 5, 0, &v), 0);
  near(v, 1, 0);
  assert_int_equal(stats_percentile(x, 5, 1, &v), 0);
  near(v, 5, 0);
  assert_true(x[0] == 5 && x[1] == 1); /* input untouched */
  const double y[] = {10, 20, 30, 40}; /* numpy.percentile(y, 25) = 17.5, (y, 90) = 37 */
  assert_int_equal(stats_percentile(y, 4, 0.25, &v), 0);
  near(v, 17.5, 1e-12);
  assert_int_equal(stats_percentile(y, 4, 0.9, &v), 0);
  near(v, 37, 1e-12);
  const double one[] = {7};
  assert_int_equal(stats_percentile(one, 1, 0.3, &v), 0);
  near(v, 7, 0);
  const double inf[] = {1, 2, INFINITY};
  assert_int_equal(stats_percentile(inf, 3, 0.5, &v), 0);
  near(v, 2, 0);
  assert_int_equal(stats_percentile(x, 5, 1.5, &v), CM_EINVAL);
  assert_int_equal(stats_percentile(x, 5, -0.1, &v), CM_EINVAL);
  assert_int_equal(stats_percentile(x, 0, 0.5, &v), CM_EINVAL);
  const double nan[] = {1, NAN};
  assert_int_equal(stats_percentile(nan, 2, 0.5, &v), CM_EINVAL);
}

/* Two-sample KS: identical, disjoint, a hand case at the 5% point, and
 * seeded normal samples from the same and from shifted distributions. */
static void test_ks2(void **state CM_UNUSED) {
  double x[100], y[100], d, p;
  for (int i = 0; i < 100; i++) x[i] = y[i] = i;
  assert_int_equal(stats_ks2(x, 100, y, 100, &d, &p), 0);
  assert_true(d == 0 && p == 1);
  for (int i = 0; i < 100; i++) y[i] = 100 + i;
  assert_int_equal(stats_ks2(x, 100, y, 100, &d, &p), 0);
  assert_true(d == 1 && p < 1e-10);
  for (int i = 0; i < 100; i++) y[i] = i + 19; /* D = 0.19: lambda = 1.369, just past the 5% point 1.358 */
  assert_int_equal(stats_ks2(x, 100, y, 100, &d, &p), 0);
  assert_true(fabs(d - 0.19) < 1e-12);
  assert_true(p > 0.040 && p < 0.050);
  gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(g, 7);
  enum { N = 1000 };
  double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * sizeof *c);
  for (int i = 0; i < N; i++) {
    a[i] = gsl_ran_gaussian(g, 1);
    b[i] = gsl_ran_gaussian(g, 1);
    c[i] = gsl_ran_gaussian(g, 1) + 0.5;
  }
  assert_int_equal(stats_ks2(a, N, b, N, &d, &p), 0);
  assert_true(p > 0.01);
  assert_int_equal(stats_ks2(a, N, c, N, &d, &p), 0);
  assert_true(p < 1e-6 && d > 0.15);
  a[3] = NAN;
  assert_int_equal(stats_ks2(a, N, b, N, &d, &p), CM_EINVAL);
  assert_int_equal(stats_ks2(a, 0, b, N, &d, &p), CM_EINVAL);
  free(a);
  free(b);
  free(c);
  gsl_rng_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ci_by_hand),
      cmocka_unit_test(test_ks2),
      cmocka_unit_test(test_large_offset),
      cmocka_unit_test(test_small_n),
      cmocka_unit_test(test_percentile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
