/* The mix node's delay buffer, all three variants: every packet released
 * exactly once, at or after its release time, in release order; counters
 * that add up; the queue bound; one (store, read) address pair per packet;
 * the oblivious variant's access trace independent of the delays; and the
 * seed's Fig. 1 correlations (buffer_experiment.c) at 1e5 packets/s and a
 * 1 ms mean delay (about 100 packets held), fixed seed. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdlib.h>

#include "mixclaves/buffer.h"

/* Under ASan the oblivious 1e6-packet check takes several times its 1.5 s
 * at -O2; there it runs over 2e5 packets with a wider bound. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static const enum buffer_variant all[] = {BUFFER_APPEND, BUFFER_RANDOM, BUFFER_OBLIVIOUS};

static void test_names(void **state CM_UNUSED) {
  for (unsigned i = 0; i < BUFFER_NVARIANTS; i++) {
    enum buffer_variant v;
    assert_int_equal(buffer_variant_parse(buffer_variant_name(all[i]), &v), 0);
    assert_int_equal(v, all[i]);
  }
  assert_string_equal(buffer_variant_name(BUFFER_OBLIVIOUS), "oblivious");
  enum buffer_variant v;
  assert_int_equal(buffer_variant_parse("twisted", &v), CM_EINVAL);
  assert_null(buffer_variant_name((enum buffer_variant)7));
}

static void test_bad_args(void **state CM_UNUSED) {
  rng *r = rng_new(1, "t");
  assert_null(buffer_new(BUFFER_APPEND, 0, r));
  assert_null(buffer_new(BUFFER_APPEND, BUFFER_CAPACITY_MAX + 1, r));
  assert_null(buffer_new(BUFFER_RANDOM, 8, NULL));
  assert_null(buffer_new(BUFFER_OBLIVIOUS, 8, NULL));
  assert_null(buffer_new((enum buffer_variant)3, 8, r));
  buffer *b = buffer_new(BUFFER_APPEND, 8, NULL); /* append needs no rng */
  assert_non_null(b);
  buffer_free(b);
  struct buffer_experiment x = {.variant = BUFFER_APPEND, .packets = 1, .arrival_rate_per_s = 1, .mean_delay_s = 1};
  struct buffer_experiment_result res;
  assert_int_equal(buffer_experiment_run(&x, &res), CM_EINVAL);
  x.packets = 10;
  x.mean_delay_s = 0;
  assert_int_equal(buffer_experiment_run(&x, &res), CM_EINVAL);
  x.mean_delay_s = NAN;
  assert_int_equal(buffer_experiment_run(&x, &res), CM_EINVAL);
  double rr;
  assert_int_equal(buffer_correlation(BUFFER_APPEND, 10, -1, 1, 1, &rr), CM_EINVAL);
  rng_free(r);
}

/* What the release callback checks. */
struct tally {
  cm_time now;
  uint8_t *seen;          /* per id: times released */
  uint64_t n, released;
  cm_time last_release;
  uint64_t last_seq;
  bool any, ordered, on_time;
  uint32_t capacity;
  enum buffer_variant v;
  bool addr_ok;
};

static void on_release(void *arg, const struct buffer_release *rel) {
  struct tally *t = arg;
  assert_true(rel->id < t->n);
  t->seen[rel->id]++;
  t->released++;
  if (rel->release > t->now) t->on_time = false;
  if (t->any && (rel->release < t->last_release ||
                 (rel->release == t->last_release && rel->seq <= t->last_seq)))
    t->ordered = false;
  t->any = true;
  t->last_release = rel->release;
  t->last_seq = rel->seq;
  uint32_t lo = t->v == BUFFER_OBLIVIOUS ? t->capacity : 0;
  if (rel->store_addr >= t->capacity || rel->read_addr < lo || rel->read_addr >= lo + t->capacity)
    t->addr_ok = false;
}

/* 20,000 packets, release times in the future when put (some tied), takes
 * at random times, a capacity small enough to refuse some: every stored
 * packet comes out once, on time, in (release, put order) order. */
static void run_order(enum buffer_variant v) {
  enum { N = 20000, CAP = 64 };
  rng *slots = rng_new(7, "slots"), *w = rng_new(7, "workload");
  buffer *b = buffer_new(v, CAP, slots);
  assert_non_null(b);
  assert_int_equal(buffer_instrument(b, BUFFER_LOG_PAIRS), 0);
  struct tally t = {.seen = calloc(N, 1), .n = N, .ordered = true, .on_time = true,
                    .capacity = CAP, .v = v, .addr_ok = true};
  bool *stored = calloc(N, sizeof *stored);
  cm_time now = 0;
  uint64_t refused = 0;
  for (uint64_t id = 0; id < N; id++) {
    now += (cm_time)rng_below(w, 2000);
    cm_time rel = now + (cm_time)rng_below(w, 3) * 50000; /* many ties, some due at once */
    stored[id] = buffer_put(b, id, rel);
    refused += !stored[id];
    if (rng_below(w, 4) == 0) {
      now += (cm_time)rng_below(w, 1000);
      t.now = now;
      buffer_take_due(b, now, on_release, &t);
    }
  }
  t.now = CM_TIME_MAX;
  buffer_take_due(b, CM_TIME_MAX, on_release, &t);
  struct buffer_stats s;
  buffer_stats(b, &s);
  assert_int_equal(s.offered, N);
  assert_int_equal(s.offered, s.stored + s.refused_full);
  assert_int_equal(s.stored, s.released + s.held);
  assert_int_equal(s.held, 0);
  assert_int_equal(s.refused_full, refused);
  assert_true(refused > 0 && refused < N / 2);
  assert_true(s.max_held == CAP);
  assert_int_equal(t.released, s.released);
  for (uint64_t id = 0; id < N; id++) assert_int_equal(t.seen[id], stored[id] ? 1 : 0);
  assert_true(t.ordered);
  assert_true(t.on_time);
  assert_true(t.addr_ok);
  const struct buffer_addr_pair *p;
  assert_int_equal(buffer_addr_pairs(b, &p), s.released);
  /* Nothing is released early: a take before any release time is empty. */
  assert_true(buffer_put(b, 1, 100));
  assert_int_equal(buffer_take_due(b, 99, NULL, NULL), 0);
  assert_int_equal(buffer_take_due(b, 100, NULL, NULL), 1);
  buffer_free(b);
  free(stored);
  free(t.seen);
  rng_free(slots);
  rng_free(w);
}

static void test_order_append(void **state CM_UNUSED) { run_order(BUFFER_APPEND); }
static void test_order_random(void **state CM_UNUSED) { run_order(BUFFER_RANDOM); }
static void test_order_oblivious(void **state CM_UNUSED) { run_order(BUFFER_OBLIVIOUS); }

/* The queue bound: a full buffer refuses and counts it, then accepts again
 * once a packet has left. */
static void test_full_refuses(void **state CM_UNUSED) {
  rng *r = rng_new(3, "slots");
  for (unsigned i = 0; i < BUFFER_NVARIANTS; i++) {
    buffer *b = buffer_new(all[i], 4, r);
    for (uint64_t id = 0; id < 4; id++) assert_true(buffer_put(b, id, CM_MS(10 - (int64_t)id)));
    assert_false(buffer_put(b, 4, CM_MS(1)));
    assert_false(buffer_put(b, 5, CM_MS(1)));
    struct buffer_stats s;
    buffer_stats(b, &s);
    assert_int_equal(s.refused_full, 2);
    assert_int_equal(s.stored, 4);
    assert_int_equal(s.held, 4);
    assert_int_equal(buffer_take_due(b, CM_MS(7), NULL, NULL), 1); /* id 3 */
    assert_true(buffer_put(b, 6, CM_MS(1)));
    assert_int_equal(buffer_take_due(b, CM_MS(100), NULL, NULL), 4);
    buffer_stats(b, &s);
    assert_int_equal(s.offered, 7);
    assert_int_equal(s.released, 5);
    assert_int_equal(s.held, 0);
    assert_int_equal(s.take_calls, 2);
    buffer_free(b);
  }
  rng_free(r);
}

/* The addresses, by hand, for the append variant: the store address is the
 * end of the array, the read address its last live cell. */
static void test_addresses_append(void **state CM_UNUSED) {
  buffer *b = buffer_new(BUFFER_APPEND, 8, NULL);
  assert_int_equal(buffer_instrument(b, BUFFER_LOG_PAIRS), 0);
  buffer_put(b, 10, 30); /* stored at 0 */
  buffer_put(b, 11, 10); /* stored at 1, stays at 1 (the front) */
  buffer_put(b, 12, 20); /* stored at 2, sorted to 1 */
  assert_int_equal(buffer_take_due(b, 10, NULL, NULL), 1); /* read 2 */
  buffer_put(b, 13, 40); /* stored at 2, sorted to 0 */
  assert_int_equal(buffer_take_due(b, 50, NULL, NULL), 3); /* reads 2, 1, 0 */
  const struct buffer_addr_pair *p;
  assert_int_equal(buffer_addr_pairs(b, &p), 4);
  const struct buffer_addr_pair want[] = {{1, 2}, {2, 2}, {0, 1}, {2, 0}};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(p[i].store, want[i].store);
    assert_int_equal(p[i].read, want[i].read);
  }
  buffer_free(b);
}

/* Obliviousness: two workloads with the same public profile (the same puts
 * and takes, the same number released by each take) but different delays.
 * The oblivious variant's access trace is identical, even with different
 * slot draws; the sorted variants' traces differ (the sort shows the ranks). */
static uint64_t trace_of(enum buffer_variant v, uint64_t delay_seed, uint64_t slot_seed, uint64_t *len) {
  enum { N = 300 };
  rng *slots = rng_new(slot_seed, "slots"), *d = rng_new(delay_seed, "delays");
  buffer *b = buffer_new(v, 512, slots);
  assert_int_equal(buffer_instrument(b, BUFFER_LOG_TRACE), 0);
  cm_time now = 0;
  for (uint64_t id = 0; id < N; id++) {
    now += CM_US(10);
    /* every release after the last put, so each early take releases 0 */
    buffer_put(b, id, CM_S(1) + (cm_time)rng_below(d, 1000000));
    if (id % 10 == 9) assert_int_equal(buffer_take_due(b, now, NULL, NULL), 0);
  }
  assert_int_equal(buffer_take_due(b, CM_S(1) + CM_MS(1), NULL, NULL), N);
  uint64_t h = buffer_trace_digest(b, len);
  buffer_free(b);
  rng_free(slots);
  rng_free(d);
  return h;
}

static void test_trace_oblivious(void **state CM_UNUSED) {
  uint64_t l1, l2, l3;
  uint64_t h1 = trace_of(BUFFER_OBLIVIOUS, 1, 1, &l1);
  uint64_t h2 = trace_of(BUFFER_OBLIVIOUS, 2, 1, &l2);
  uint64_t h3 = trace_of(BUFFER_OBLIVIOUS, 3, 9, &l3);
  assert_true(l1 > 0);
  assert_int_equal(l1, l2);
  assert_int_equal(l1, l3);
  assert_true(h1 == h2 && h1 == h3);
  for (unsigned i = 0; i < 2; i++) {
    uint64_t a = trace_of(all[i], 1, 1, &l1), c = trace_of(all[i], 2, 1, &l2);
    assert_true(a != c);
  }
}

static double corr(enum buffer_variant v, uint64_t packets, struct buffer_experiment_result *res) {
  struct buffer_experiment x = {.variant = v, .packets = packets, .arrival_rate_per_s = 1e5,
                                .mean_delay_s = 1e-3, .seed = 42};
  assert_int_equal(buffer_experiment_run(&x, res), 0);
  assert_int_equal(res->released, packets);
  assert_int_equal(res->refused_full, 0);
  return res->r;
}

/* (a): R is the occupancy's autocorrelation over one delay, 1/2 in theory
 * for a stationary Poisson load (buffer_experiment.c); 0.48 measured over
 * 1e6 packets. Asserted: 0.4 < R < 0.6 (the seed's 0.738 needs a drifting
 * load). */
static void test_correlation_append(void **state CM_UNUSED) {
  struct buffer_experiment_result res;
  double r = corr(BUFFER_APPEND, 200000, &res);
  print_message("append: R = %.4f (mean held %.1f)\n", r, res.mean_held);
  assert_true(r > 0.4 && r < 0.6);
}

/* (b): |R| < 0.1, and within 0.02 of sqrt(3 / (4 (m + 6))) for the mean
 * number held m (0.083 at m = 103). */
static void test_correlation_random(void **state CM_UNUSED) {
  struct buffer_experiment_result res;
  double r = corr(BUFFER_RANDOM, 200000, &res);
  double theory = sqrt(3 / (4 * (res.mean_held + 6)));
  print_message("random: R = %.4f (theory %.4f at mean held %.1f)\n", r, theory, res.mean_held);
  assert_true(fabs(r) < 0.1);
  assert_true(fabs(r - theory) < 0.02);
}

/* (c): |R| <= 0.01 over 1e6 packets (2e5 under ASan: |R| <= 0.015, about
 * three standard errors of 1 / sqrt(2e5)). */
static void test_correlation_oblivious(void **state CM_UNUSED) {
  struct buffer_experiment_result res;
  uint64_t n = SANITIZED ? 200000 : 1000000;
  double bound = SANITIZED ? 0.015 : 0.01;
  double r = corr(BUFFER_OBLIVIOUS, n, &res);
  print_message("oblivious: R = %.5f over %llu packets\n", r, (unsigned long long)n);
  assert_true(fabs(r) <= bound);
}

/* A fixed seed gives the same R to the bit; another seed another R. */
static void test_deterministic(void **state CM_UNUSED) {
  for (unsigned i = 0; i < BUFFER_NVARIANTS; i++) {
    double a, b, c;
    assert_int_equal(buffer_correlation(all[i], 20000, 1e5, 1e-3, 5, &a), 0);
    assert_int_equal(buffer_correlation(all[i], 20000, 1e5, 1e-3, 5, &b), 0);
    assert_int_equal(buffer_correlation(all[i], 20000, 1e5, 1e-3, 6, &c), 0);
    assert_true(a == b);
    assert_true(a != c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_bad_args),
      cmocka_unit_test(test_order_append),
      cmocka_unit_test(test_order_random),
      cmocka_unit_test(test_order_oblivious),
      cmocka_unit_test(test_full_refuses),
      cmocka_unit_test(test_addresses_append),
      cmocka_unit_test(test_trace_oblivious),
      cmocka_unit_test(test_correlation_append),
      cmocka_unit_test(test_correlation_random),
      cmocka_unit_test(test_correlation_oblivious),
      cmocka_unit_test(test_deterministic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
