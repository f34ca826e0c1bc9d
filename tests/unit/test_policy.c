/* The live policies on constructed views: each picks what it should (loi the
 * fewest outstanding, cost the free edge, latency the lowest average and an
 * untried provider first, mix its weighted sum), random covers the usable
 * providers uniformly, ties split at random, and nothing usable gives -1. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "cloudless/policy.h"

static const struct policy_ops *P(const char *name) {
  const struct policy_ops *p = policy_find(name);
  assert_non_null(p);
  return p;
}

static struct policy_view view(struct policy_pstate *ps, uint32_t n) {
  return (struct policy_view){.n = n, .p = ps};
}

static void test_table(void **state CM_UNUSED) {
  assert_string_equal(policy_names(), "loi|cost|latency|mix|random");
  for (const struct policy_ops *const *p = policy_table; *p; p++) {
    assert_ptr_equal(policy_find((*p)->name), *p);
    assert_non_null((*p)->doc);
  }
  assert_null(policy_find("fastest"));
  assert_null(policy_find(NULL));
}

static void test_loi(void **state CM_UNUSED) {
  rng *r = rng_new(1, "t");
  struct policy_pstate ps[3] = {{.usable = true, .outstanding = 3},
                                {.usable = true, .outstanding = 1},
                                {.usable = true, .outstanding = 2}};
  struct policy_view v = view(ps, 3);
  assert_int_equal(P("loi")->choose(&v, r), 1);
  ps[1].usable = false;
  assert_int_equal(P("loi")->choose(&v, r), 2);
  rng_free(r);
}

static void test_cost_picks_free_edge(void **state CM_UNUSED) {
  rng *r = rng_new(1, "t");
  struct policy_pstate ps[3] = {{.usable = true, .cost_usd = 1e-5, .outstanding = 0},
                                {.usable = true, .cost_usd = 0, .outstanding = 9},
                                {.usable = true, .cost_usd = 2e-6}};
  struct policy_view v = view(ps, 3);
  assert_int_equal(P("cost")->choose(&v, r), 1);
  ps[1].usable = false; /* edge full: the cheaper cloud */
  assert_int_equal(P("cost")->choose(&v, r), 2);
  rng_free(r);
}

static void test_latency(void **state CM_UNUSED) {
  rng *r = rng_new(1, "t");
  struct policy_pstate ps[3] = {{.usable = true, .latency_s = 0.3},
                                {.usable = true, .latency_s = 0.1},
                                {.usable = true, .latency_s = 0.2}};
  struct policy_view v = view(ps, 3);
  assert_int_equal(P("latency")->choose(&v, r), 1);
  ps[0].latency_s = NAN; /* never tried: counts 0, so tried first */
  assert_int_equal(P("latency")->choose(&v, r), 0);
  rng_free(r);
}

/* Weights (1, 0, 0) are loi and (0, 0, 1) latency, on 1000 random views
 * without ties. */
static void test_mix_subsets(void **state CM_UNUSED) {
  rng *r = rng_new(2, "views"), *t = rng_new(2, "ties");
  for (int k = 0; k < 1000; k++) {
    struct policy_pstate ps[5];
    uint32_t perm[5] = {0, 1, 2, 3, 4};
    gsl_ran_shuffle(rng_gsl(r), perm, 5, sizeof(perm[0]));
    for (int i = 0; i < 5; i++)
      ps[i] = (struct policy_pstate){.usable = rng_uniform(r) < 0.8, .outstanding = perm[i],
                                     .cost_usd = rng_uniform(r) * 1e-4, .latency_s = 0.05 + rng_uniform(r)};
    struct policy_view v = {.n = 5, .p = ps, .w_outstanding = 1};
    assert_int_equal(P("mix")->choose(&v, t), P("loi")->choose(&v, t));
    v = (struct policy_view){.n = 5, .p = ps, .w_latency = 2.5};
    assert_int_equal(P("mix")->choose(&v, t), P("latency")->choose(&v, t));
    v = (struct policy_view){.n = 5, .p = ps, .w_cost = 1};
    assert_int_equal(P("mix")->choose(&v, t), P("cost")->choose(&v, t));
  }
  rng_free(r);
  rng_free(t);
}

/* By hand: maxima o 4, c 0.2, l 2 -> scores (weights 1, 1, 1)
 * p0 2/4 + 0.1/0.2 + 1/2 = 1.5, p1 4/4 + 0 + 0.5/2 = 1.25, p2 0 + 1 + 1 = 2:
 * p1. With weights (1, 0, 0) p2 (loi); with (0, 3, 1): p0 1.5 + 0.5 = 2,
 * p1 0 + 0.25, p2 3 + 1 = 4: p1; with (1, 0, 4): p0 0.5 + 2 = 2.5,
 * p1 1 + 1 = 2, p2 0 + 4: p1; with (4, 1, 1): p0 2 + 0.5 + 0.5 = 3,
 * p1 4 + 0 + 0.25, p2 0 + 1 + 1 = 2: p2. */
static void test_mix_by_hand(void **state CM_UNUSED) {
  rng *r = rng_new(1, "t");
  struct policy_pstate ps[3] = {{.usable = true, .outstanding = 2, .cost_usd = 0.1, .latency_s = 1.0},
                                {.usable = true, .outstanding = 4, .cost_usd = 0.0, .latency_s = 0.5},
                                {.usable = true, .outstanding = 0, .cost_usd = 0.2, .latency_s = 2.0}};
  struct { double o, c, l; int want; } cases[] = {{1, 1, 1, 1}, {1, 0, 0, 2}, {0, 3, 1, 1}, {1, 0, 4, 1}, {4, 1, 1, 2}};
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    struct policy_view v = {.n = 3, .p = ps, .w_outstanding = cases[k].o, .w_cost = cases[k].c,
                            .w_latency = cases[k].l};
    assert_int_equal(P("mix")->choose(&v, r), cases[k].want);
  }
  /* Normalisation is over usable providers only: without p2 the maxima are
   * o 4, c 0.1, l 1, so (0, 1, 1) scores p0 1 + 1 = 2, p1 0 + 0.5: p1. */
  ps[2].usable = false;
  struct policy_view v = {.n = 3, .p = ps, .w_cost = 1, .w_latency = 1};
  assert_int_equal(P("mix")->choose(&v, r), 1);
  rng_free(r);
}

/* 10000 draws over 3 usable of 4: each usable within 5 sd (sd = 47) of
 * 3333, the unusable never. */
static void test_random_uniform(void **state CM_UNUSED) {
  rng *r = rng_new(42, "random");
  struct policy_pstate ps[4] = {{.usable = true}, {.usable = false}, {.usable = true}, {.usable = true}};
  struct policy_view v = view(ps, 4);
  int count[4] = {0};
  for (int k = 0; k < 10000; k++) {
    int c = P("random")->choose(&v, r);
    assert_true(c >= 0 && c < 4);
    count[c]++;
  }
  assert_int_equal(count[1], 0);
  for (int i = 0; i < 4; i++)
    if (i != 1) assert_true(abs(count[i] - 3333) < 5 * 47);
  rng_free(r);
}

static void test_none_usable(void **state CM_UNUSED) {
  rng *r = rng_new(1, "t");
  struct policy_pstate ps[2] = {{.usable = false, .latency_s = NAN}, {.usable = false, .outstanding = 1}};
  struct policy_view v = {.n = 2, .p = ps, .w_outstanding = 1, .w_cost = 1, .w_latency = 1};
  struct policy_view empty = {.n = 0, .p = ps, .w_outstanding = 1};
  for (const struct policy_ops *const *p = policy_table; *p; p++) {
    assert_int_equal((*p)->choose(&v, r), -1);
    assert_int_equal((*p)->choose(&empty, r), -1);
  }
  rng_free(r);
}

/* loi with outstanding (1, 1, 5, 1): the three tied providers share 3000
 * draws evenly (within 5 sd = 130 of 1000), the loaded one never. */
static void test_ties_split(void **state CM_UNUSED) {
  rng *r = rng_new(9, "ties");
  struct policy_pstate ps[4] = {{.usable = true, .outstanding = 1},
                                {.usable = true, .outstanding = 1},
                                {.usable = true, .outstanding = 5},
                                {.usable = true, .outstanding = 1}};
  struct policy_view v = view(ps, 4);
  int count[4] = {0};
  for (int k = 0; k < 3000; k++) count[P("loi")->choose(&v, r)]++;
  assert_int_equal(count[2], 0);
  for (int i = 0; i < 4; i++)
    if (i != 2) assert_true(abs(count[i] - 1000) < 130);
  rng_free(r);
}

/* policy__argmin: ties within a relative 1e-12, NaN as +infinity, and no
 * draw without a tie (the stream is untouched). */
static void test_argmin(void **state CM_UNUSED) {
  rng *r = rng_new(5, "a"), *ref = rng_new(5, "a");
  struct policy_pstate ps[3] = {{.usable = true}, {.usable = true}, {.usable = true}};
  struct policy_view v = view(ps, 3);
  double nan_first[3] = {NAN, 2.0, 3.0};
  assert_int_equal(policy__argmin(&v, nan_first, r), 1);
  double near[3] = {1.0 + 1e-13, 1.0, 7.0};
  int seen[3] = {0};
  for (int k = 0; k < 200; k++) seen[policy__argmin(&v, near, r)]++;
  assert_true(seen[0] > 50 && seen[1] > 50 && seen[2] == 0);
  double apart[3] = {1.0 + 1e-9, 1.0, 7.0};
  rng_free(r);
  r = rng_new(5, "a");
  for (int k = 0; k < 100; k++) assert_int_equal(policy__argmin(&v, apart, r), 1);
  assert_true(rng_uniform(r) == rng_uniform(ref)); /* no draw was taken */
  double all_nan[3] = {NAN, NAN, NAN};
  ps[2].usable = false;
  int c = policy__argmin(&v, all_nan, r);
  assert_true(c == 0 || c == 1);
  rng_free(r);
  rng_free(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),          cmocka_unit_test(test_loi),
      cmocka_unit_test(test_cost_picks_free_edge), cmocka_unit_test(test_latency),
      cmocka_unit_test(test_mix_subsets),    cmocka_unit_test(test_mix_by_hand),
      cmocka_unit_test(test_random_uniform), cmocka_unit_test(test_none_usable),
      cmocka_unit_test(test_ties_split),     cmocka_unit_test(test_argmin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
