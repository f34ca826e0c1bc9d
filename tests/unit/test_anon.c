/* Anonymity metrics: entropy and degree of anonymity against values worked
 * by hand; then a single exponential-delay mix simulated in a plain loop
 * (Poisson arrivals from sim/rng.h streams, a binary heap of exit times),
 * checked within 1% against two closed forms: the M/M/inf occupancy, which
 * is Poisson with mean and variance rho = lambda / mu; and the mean entropy
 * per exit of the exponential-weight attacker over the messages inside,
 * anon_pmix_ref (our derivation, in anon.h, computed by GSL quadrature; it
 * is not a formula quoted from Loopix, whose text could not be consulted
 * here). A plain Monte Carlo of the INSIDE model (3 * 10^5 draws, outside
 * this file) gave 2.2185 bits at rho = 5 against the quadrature's 2.2192. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "anon.h"
#include "rng.h"

#define near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void test_entropy_by_hand(void **state CM_UNUSED) {
  struct anon_result r;
  const double u4[] = {1, 1, 1, 1};
  assert_int_equal(anon_entropy(u4, NULL, 4, 0, &r), 0);
  near(r.h, 2, 1e-12);
  near(r.d, 1, 1e-12);
  assert_int_equal(r.n, 4);
  near(r.p_true, 0.25, 1e-12);
  /* {1/2, 1/4, 1/4}: 1.5 bits, d = 1.5 / log2 3 = 0.946395. */
  const double w[] = {2, 1, 1};
  assert_int_equal(anon_entropy(w, NULL, 3, 0, &r), 0);
  near(r.h, 1.5, 1e-12);
  near(r.d, 0.9463946, 1e-6);
  /* Senders pool: candidates of senders {7, 9, 7, 9} with equal weight are
   * two senders at 1/2 each: 1 bit. */
  const double e[] = {1, 1, 1, 1};
  const uint64_t snd[] = {7, 9, 7, 9};
  assert_int_equal(anon_entropy(e, snd, 4, 9, &r), 0);
  near(r.h, 1, 1e-12);
  assert_int_equal(r.n, 2);
  near(r.p_true, 0.5, 1e-12);
  /* One candidate, or zero weight beside it: no anonymity, d = 0. */
  const double z[] = {3, 0};
  assert_int_equal(anon_entropy(z, NULL, 2, 0, &r), 0);
  near(r.h, 0, 0);
  near(r.d, 0, 0);
  assert_int_equal(r.n, 1);
  const double bad[] = {1, -1}, zero[] = {0, 0}, nan[] = {1, NAN};
  assert_int_equal(anon_entropy(bad, NULL, 2, 0, &r), CM_EINVAL);
  assert_int_equal(anon_entropy(zero, NULL, 2, 0, &r), CM_EINVAL);
  assert_int_equal(anon_entropy(nan, NULL, 2, 0, &r), CM_EINVAL);
  assert_int_equal(anon_entropy(u4, NULL, 0, 0, &r), CM_EINVAL);
}

static void test_agg(void **state CM_UNUSED) {
  anon_agg *a = anon_agg_new();
  assert_non_null(a);
  struct anon_summary s;
  assert_int_equal(anon_agg_summary(a, &s), CM_EINVAL);
  for (int i = 1; i <= 5; i++) {
    struct anon_result r = {.h = i, .d = i / 10.0, .n = 2, .p_true = 0.5};
    assert_int_equal(anon_agg_add(a, &r), 0);
  }
  struct anon_result bad = {.h = NAN};
  assert_int_equal(anon_agg_add(a, &bad), CM_EINVAL);
  assert_int_equal(anon_agg_summary(a, &s), 0);
  assert_int_equal(s.n, 5);
  near(s.h_mean, 3, 1e-12);
  near(s.h_sd, 1.5811388, 1e-6);
  near(s.h_min, 1, 0);
  near(s.h_p50, 3, 1e-12);
  near(s.h_p5, 1.2, 1e-12); /* h = 4 * 0.05 = 0.2 */
  near(s.h_p95, 4.8, 1e-12);
  near(s.d_mean, 0.3, 1e-12);
  near(s.d_min, 0.1, 1e-12);
  near(s.p_true_mean, 0.5, 1e-12);
  anon_agg_free(a);
}

/* Mean delay 1. A enters at 0 and leaves at 1, B enters at 0.5 and leaves
 * at 2. INSIDE: at t = 1 the candidates are A (delay 1) and B (0.5), weights
 * e^-1 and e^-0.5, p_A = 1 / (1 + e^0.5) = 0.377541, H = 0.956287 bits; at
 * t = 2 B is alone, H = 0. ENTERED: at t = 2 A still counts, delays 2 and
 * 1.5, the same two weights' ratio, so H = 0.956287 again. */
static void test_observe_by_hand(void **state CM_UNUSED) {
  const struct anon_obs obs[] = {{2, 20, 0.5, 2.0}, {1, 10, 0.0, 1.0}};
  double pa = 1 / (1 + exp(0.5));
  double h2 = -(pa * log2(pa) + (1 - pa) * log2(1 - pa));
  near(h2, 0.956287, 1e-6);
  anon_agg *a = anon_agg_new();
  struct anon_summary s;
  assert_int_equal(anon_pmix_observe(obs, 2, 1.0, ANON_PMIX_INSIDE, a), 0);
  assert_int_equal(anon_agg_summary(a, &s), 0);
  assert_int_equal(s.n, 2);
  near(s.h_mean, h2 / 2, 1e-12);
  near(s.p_true_mean, (pa + 1) / 2, 1e-12);
  anon_agg_free(a);
  a = anon_agg_new();
  assert_int_equal(anon_pmix_observe(obs, 2, 1.0, ANON_PMIX_ENTERED, a), 0);
  assert_int_equal(anon_agg_summary(a, &s), 0);
  near(s.h_mean, h2, 1e-12);
  near(s.h_min, h2, 1e-12);
  anon_agg_free(a);
  anon_pmix *p = anon_pmix_new(1.0, ANON_PMIX_INSIDE);
  struct anon_result r;
  assert_int_equal(anon_pmix_enter(p, 1, 1, 5.0), 0);
  assert_int_equal(anon_pmix_exit(p, 2, 6.0, &r), CM_ENOENT);
  assert_int_equal(anon_pmix_enter(p, 3, 3, 4.0), CM_EINVAL); /* time went back */
  assert_int_equal(anon_pmix_exit(p, 1, 6.0, &r), 0);
  assert_int_equal(anon_pmix_held(p), 0);
  anon_pmix_free(p);
  assert_null(anon_pmix_new(0, ANON_PMIX_INSIDE));
  const struct anon_obs back[] = {{1, 1, 2.0, 1.0}};
  a = anon_agg_new();
  assert_int_equal(anon_pmix_observe(back, 1, 1.0, ANON_PMIX_INSIDE, a), CM_EINVAL);
  anon_agg_free(a);
}

/* ---- one exponential-delay mix, simulated ---- */

struct slot {
  double t;
  uint64_t id;
};

struct heap {
  struct slot *s;
  size_t n, cap;
};

static void heap_push(struct heap *h, struct slot x) {
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 64;
    h->s = realloc(h->s, h->cap * sizeof *h->s);
    assert_non_null(h->s);
  }
  size_t i = h->n++;
  while (i > 0 && h->s[(i - 1) / 2].t > x.t) {
    h->s[i] = h->s[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h->s[i] = x;
}

static struct slot heap_pop(struct heap *h) {
  struct slot top = h->s[0], x = h->s[--h->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n) break;
    if (c + 1 < h->n && h->s[c + 1].t < h->s[c].t) c++;
    if (h->s[c].t >= x.t) break;
    h->s[i] = h->s[c];
    i = c;
  }
  if (h->n) h->s[i] = x;
  return top;
}

/* Called at each event with the time, the occupancy before it, and either
 * an entry (exit 0) or an exit of message id. */
typedef void (*mix_fn)(void *arg, double t, size_t inside, int exit, uint64_t id);

/* Poisson(lambda) arrivals over [0, horizon), each delayed Exp(mean 1/mu). */
static void mix_run(uint64_t seed, double lambda, double mu, double horizon, mix_fn fn, void *arg) {
  rng *ra = rng_new(seed, "anon/arrivals"), *rd = rng_new(seed, "anon/delays");
  assert_non_null(ra);
  assert_non_null(rd);
  struct heap h = {0};
  double next = rng_exponential(ra, 1 / lambda);
  uint64_t id = 0;
  while (next < horizon || h.n) {
    if (next < horizon && (h.n == 0 || next < h.s[0].t)) {
      fn(arg, next, h.n, 0, id);
      heap_push(&h, (struct slot){next + rng_exponential(rd, 1 / mu), id++});
      next += rng_exponential(ra, 1 / lambda);
    } else {
      struct slot s = h.s[0];
      fn(arg, s.t, h.n, 1, s.id);
      heap_pop(&h);
    }
  }
  free(h.s);
  rng_free(ra);
  rng_free(rd);
}

struct occ {
  double warm, end, last, t1, t2; /* integrals of N and N^2 over [warm, end) */
  uint64_t arrivals;
};

static void occ_fn(void *arg, double t, size_t inside, int exit, uint64_t id CM_UNUSED) {
  struct occ *o = arg;
  double a = fmax(o->last, o->warm), b = fmin(t, o->end);
  if (b > a) {
    o->t1 += (double)inside * (b - a);
    o->t2 += (double)inside * (double)inside * (b - a);
  }
  o->last = t;
  if (!exit) o->arrivals++;
}

/* M/M/inf: lambda = 2, mu = 1, so N ~ Poisson(2): mean 2, variance 2. The
 * time average over T has sd about sqrt(2 rho / (mu T)) for the mean and
 * rho sqrt(2 / (mu T)) for the variance (autocorrelations rho e^-mu tau and
 * 2 rho^2 e^-2 mu tau); with T = 10^6 mean delays (2 * 10^6 arrivals) these
 * are 0.10% and 0.14%, well under the 1% asked. */
static void test_mminf_occupancy(void **state CM_UNUSED) {
  const double lambda = 2, mu = 1, T = 1e6;
  struct occ o = {.warm = 50, .end = 50 + T};
  mix_run(11, lambda, mu, o.end, occ_fn, &o);
  double mean = o.t1 / T, var = o.t2 / T - mean * mean, rho = lambda / mu;
  printf("M/M/inf occupancy (rho = %g, %llu arrivals, %.0f mean delays): mean %.5f (closed form %.5f, rel err %+.3f%%), "
         "variance %.5f (closed form %.5f, rel err %+.3f%%)\n",
         rho, (unsigned long long)o.arrivals, T * mu, mean, rho, 100 * (mean - rho) / rho, var, rho,
         100 * (var - rho) / rho);
  near(mean / rho, 1, 0.01);
  near(var / rho, 1, 0.01);
}

struct ent {
  anon_pmix *p;
  anon_agg *agg;
  double warm;
};

static void ent_fn(void *arg, double t, size_t inside CM_UNUSED, int exit, uint64_t id) {
  struct ent *e = arg;
  if (!exit) {
    assert_int_equal(anon_pmix_enter(e->p, id, id, t), 0);
    return;
  }
  struct anon_result r;
  assert_int_equal(anon_pmix_exit(e->p, id, t, &r), 0);
  if (t >= e->warm) assert_int_equal(anon_agg_add(e->agg, &r), 0);
}

/* The references themselves: rho = 0 leaves the exiting message alone
 * (0 bits), the value grows with rho, and an attacker who cannot rule out
 * the messages that left is never better off. */
static void test_ref(void **state CM_UNUSED) {
  double h0, h1, h5, e0, e1;
  assert_int_equal(anon_pmix_ref(0, ANON_PMIX_INSIDE, &h0), 0);
  near(h0, 0, 1e-8);
  assert_int_equal(anon_pmix_ref(0, ANON_PMIX_ENTERED, &e0), 0);
  near(e0, 0, 1e-8);
  assert_int_equal(anon_pmix_ref(1, ANON_PMIX_INSIDE, &h1), 0);
  assert_int_equal(anon_pmix_ref(5, ANON_PMIX_INSIDE, &h5), 0);
  assert_true(h1 > 0 && h5 > h1 && h5 < log2(6.5));
  assert_int_equal(anon_pmix_ref(1, ANON_PMIX_ENTERED, &e1), 0);
  assert_true(e1 > h1);
  assert_int_equal(anon_pmix_ref(-1, ANON_PMIX_INSIDE, &h0), CM_EINVAL);
}

/* Simulate a mix at rho = lambda (mean delay 1) for warm-up 20 + T, one
 * message per sender, and check the mean entropy per exit after the warm-up
 * within 1% of anon_pmix_ref. */
static void check_entropy(enum anon_pmix_set set, const char *name, double lambda, double T, uint64_t seed) {
  double ref;
  assert_int_equal(anon_pmix_ref(lambda, set, &ref), 0);
  struct ent e = {anon_pmix_new(1, set), anon_agg_new(), 20};
  assert_non_null(e.p);
  assert_non_null(e.agg);
  mix_run(seed, lambda, 1, e.warm + T, ent_fn, &e);
  if (set == ANON_PMIX_INSIDE) assert_int_equal(anon_pmix_held(e.p), 0);
  struct anon_summary s;
  assert_int_equal(anon_agg_summary(e.agg, &s), 0);
  printf("Poisson mix entropy, %s attacker (rho = %g, %llu exits): mean %.5f bits (sd %.3f, ci95 %.5f) vs "
         "reference %.5f bits, rel err %+.3f%%; d mean %.4f, min %.4f; H p5 %.3f p50 %.3f p95 %.3f; "
         "p(true) mean %.4f\n",
         name, lambda, (unsigned long long)s.n, s.h_mean, s.h_sd, s.h_ci95, ref, 100 * (s.h_mean - ref) / ref,
         s.d_mean, s.d_min, s.h_p5, s.h_p50, s.h_p95, s.p_true_mean);
  near(s.h_mean / ref, 1, 0.01);
  anon_pmix_free(e.p);
  anon_agg_free(e.agg);
}

/* INSIDE (the exponential weights over the messages truly inside), rho = 5:
 * 4 * 10^5 exits; the per-exit entropy has sd about 0.6 bits and exits
 * about rho apart are correlated, so the mean's sd is about
 * 0.6 sqrt(2 rho / 4e5) = 0.003 bits, 0.1% of 2.22. */
static void test_pmix_entropy_inside(void **state CM_UNUSED) {
  check_entropy(ANON_PMIX_INSIDE, "INSIDE", 5, 8e4, 12);
}

/* ENTERED (every earlier entry a candidate: the attacker links no exits),
 * rho = 2: 2 * 10^5 exits, 80 candidates each; sd of the mean about 0.1%
 * as above. */
static void test_pmix_entropy_entered(void **state CM_UNUSED) {
  check_entropy(ANON_PMIX_ENTERED, "ENTERED", 2, 1e5, 13);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_entropy_by_hand),
      cmocka_unit_test(test_agg),
      cmocka_unit_test(test_observe_by_hand),
      cmocka_unit_test(test_ref),
      cmocka_unit_test(test_mminf_occupancy),
      cmocka_unit_test(test_pmix_entropy_inside),
      cmocka_unit_test(test_pmix_entropy_entered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
