/* The latency histogram: percentiles of 1e6 lognormal samples within the
 * stated relative error (and 1%) of the exact order statistics; merging
 * equals adding everything to one histogram; exact count, sum, min, max and
 * mean; exact small values; full int64 range; fixed size; the percentiles
 * of a window (hist_percentile_since) match those of the window's values
 * alone. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "hist.h"

enum { N = 1000000 };

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Latencies in ns, lognormal around 50 ms with sigma 1.5: from ~0.1 ms to
 * tens of s, many powers of two. GSL directly, fixed seed. */
static int64_t *lognormal_samples(void) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20261125);
  int64_t *x = malloc(N * sizeof *x);
  for (int i = 0; i < N; i++) x[i] = (int64_t)llround(gsl_ran_lognormal(r, log(50e6), 1.5));
  gsl_rng_free(r);
  return x;
}

static const double qs[] = {0, 1e-6, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.999999, 1};

static void test_percentiles_lognormal(void **state CM_UNUSED) {
  int64_t *x = lognormal_samples();
  hist *h = hist_new();
  for (int i = 0; i < N; i++) assert_int_equal(hist_add(h, x[i]), 0);
  qsort(x, N, sizeof *x, cmp_i64);
  double worst = 0;
  for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
    double r = ceil(qs[k] * N); /* nearest rank, as hist.h defines it */
    int64_t exact = x[(r < 1 ? 1 : (size_t)r) - 1];
    int64_t got = hist_percentile(h, qs[k]);
    double rel = fabs((double)got - (double)exact) / (double)exact;
    if (rel > worst) worst = rel;
    assert_true(rel <= HIST_REL_ERROR);
    assert_true(rel <= 0.01);
  }
  /* The bound is not met trivially: some answer is off by more than 0. */
  assert_true(worst > 0);
  assert_int_equal(hist_percentile(h, 0), x[0]);
  assert_int_equal(hist_percentile(h, 1), x[N - 1]);
  hist_free(h);
  free(x);
}

static void test_exact_moments(void **state CM_UNUSED) {
  int64_t *x = lognormal_samples();
  hist *h = hist_new();
  int64_t mn = INT64_MAX, mx = 0;
  long double sum = 0;
  for (int i = 0; i < N; i++) {
    hist_add(h, x[i]);
    sum += x[i];
    if (x[i] < mn) mn = x[i];
    if (x[i] > mx) mx = x[i];
  }
  assert_int_equal(hist_count(h), N);
  assert_int_equal(hist_min(h), mn);
  assert_int_equal(hist_max(h), mx);
  assert_true(hist_sum(h) == (double)sum); /* < 2^53: exact */
  assert_true(hist_mean(h) == (double)(sum / N));
  hist_free(h);
  free(x);
}

static void test_merge(void **state CM_UNUSED) {
  int64_t *x = lognormal_samples();
  hist *all = hist_new(), *a = hist_new(), *b = hist_new(), *empty = hist_new();
  for (int i = 0; i < N; i++) {
    hist_add(all, x[i]);
    hist_add(i % 3 ? a : b, x[i]);
  }
  hist_merge(a, empty); /* no-op */
  hist_merge(a, b);
  assert_int_equal(hist_count(a), hist_count(all));
  assert_true(hist_sum(a) == hist_sum(all));
  assert_int_equal(hist_min(a), hist_min(all));
  assert_int_equal(hist_max(a), hist_max(all));
  for (int k = 0; k <= 1000; k++) assert_int_equal(hist_percentile(a, k / 1000.0), hist_percentile(all, k / 1000.0));
  /* Into an empty one: a copy. */
  hist_merge(empty, all);
  assert_int_equal(hist_min(empty), hist_min(all));
  assert_int_equal(hist_percentile(empty, 0.5), hist_percentile(all, 0.5));
  hist_reset(a);
  assert_int_equal(hist_count(a), 0);
  assert_true(isnan(hist_mean(a)));
  assert_int_equal(hist_percentile(a, 0.5), 0);
  assert_int_equal(hist_min(a), 0);
  hist_free(all);
  hist_free(a);
  hist_free(b);
  hist_free(empty);
  free(x);
}

/* Below 128 every value has its own bucket: percentiles are exact. */
static void test_small_values_exact(void **state CM_UNUSED) {
  hist *h = hist_new();
  for (int64_t v = 0; v < 100; v++) hist_add(h, v);
  assert_int_equal(hist_percentile(h, 0.5), 49);  /* rank 50 */
  assert_int_equal(hist_percentile(h, 0.505), 50); /* rank ceil(50.5) = 51 */
  assert_int_equal(hist_percentile(h, 0.01), 0);
  assert_int_equal(hist_percentile(h, 0.99), 98);
  assert_int_equal(hist_add(h, -1), CM_ERANGE);
  assert_int_equal(hist_count(h), 100);
  hist_free(h);
}

/* The extremes of the range, and add_n's 128-bit sum. */
static void test_range_and_add_n(void **state CM_UNUSED) {
  hist *h = hist_new();
  assert_int_equal(hist_add(h, INT64_MAX), 0);
  assert_int_equal(hist_add(h, 10000000000000LL), 0); /* 1e13 ns */
  assert_int_equal(hist_percentile(h, 1), INT64_MAX);
  assert_true(fabs((double)hist_percentile(h, 0.5) - 1e13) <= 1e13 * HIST_REL_ERROR);
  hist_reset(h);
  assert_int_equal(hist_add_n(h, INT64_MAX, 4), 0); /* sum 4 * (2^63 - 1) overflows 64 bits */
  assert_true(hist_sum(h) == ldexp(1.0, 65) - 4.0);
  assert_int_equal(hist_add_n(h, 3, 0), 0);
  assert_int_equal(hist_count(h), 4);
  assert_int_equal(hist_add_n(h, -5, 2), CM_ERANGE);
  hist_free(h);
}

/* Fixed memory: the stated ~58 KB, one allocation, whatever is added. */
static void test_fixed_size(void **state CM_UNUSED) {
  assert_int_equal(HIST_BUCKETS, 7296);
  assert_true(hist_bytes() >= HIST_BUCKETS * sizeof(uint64_t));
  assert_true(hist_bytes() <= HIST_BUCKETS * sizeof(uint64_t) + 64);
  assert_true(hist_bytes() < 60 * 1024);
}

/* A window: the first half of the samples in h, copied to `before`, then
 * the second half (shifted up 10x, so the two differ); the window's
 * percentiles are those of a histogram of the second half alone. */
static void test_percentile_since(void **state CM_UNUSED) {
  int64_t *x = lognormal_samples();
  hist *h = hist_new(), *before = hist_new(), *alone = hist_new();
  for (int i = 0; i < N / 2; i++) hist_add(h, x[i]);
  assert_int_equal(hist_percentile_since(h, h, 0.5), 0); /* nothing since */
  hist_merge(before, h);
  for (int i = N / 2; i < N; i++) {
    hist_add(h, 10 * x[i]);
    hist_add(alone, 10 * x[i]);
  }
  for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
    int64_t got = hist_percentile_since(h, before, qs[k]), want = hist_percentile(alone, qs[k]);
    double rel = fabs((double)got - (double)want) / (double)want;
    assert_true(rel <= 2 * HIST_REL_ERROR); /* both within it of the exact one */
    /* inside: same bucket, same midpoint (at the ends alone clamps to its own min, max) */
    if (qs[k] >= 0.001 && qs[k] <= 0.999) assert_int_equal(got, want);
  }
  /* the whole run is not the window: its median is 10x lower or so */
  assert_true(hist_percentile(h, 0.25) < hist_percentile_since(h, before, 0.25) / 3);
  /* before must be an earlier state of h */
  assert_true(hist_percentile_since(before, h, 0.5) == CM_EINVAL);
  hist_add(before, 1);
  hist_reset(alone);
  hist_add_n(alone, 2, hist_count(before) + 5);
  assert_true(hist_percentile_since(alone, before, 0.5) == CM_EINVAL);
  hist_free(h);
  hist_free(before);
  hist_free(alone);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_percentiles_lognormal), cmocka_unit_test(test_exact_moments),
      cmocka_unit_test(test_merge),                 cmocka_unit_test(test_small_values_exact),
      cmocka_unit_test(test_range_and_add_n),       cmocka_unit_test(test_fixed_size),
      cmocka_unit_test(test_percentile_since),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
