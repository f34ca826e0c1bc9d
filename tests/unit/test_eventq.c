/* Event queue: order against a sorted reference, ties in insertion order,
 * cancellation, the dead-entry sweep and bounded memory. */
#include "cmocka_inc.h"

#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "eventq.h"

static void fn_a(void) {}

static int cmp_pair(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
  return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Random times with many ties come out sorted by (time, insertion). */
static void test_order_matches_sort(void **state) {
  enum { N = 20000 };
  eventq *q = eventq_new();
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  int64_t (*ref)[2] = malloc(sizeof(int64_t[2]) * N);
  for (int i = 0; i < N; i++) {
    ref[i][0] = (int64_t)gsl_rng_uniform_int(g, 500); /* ~40 ties per time */
    ref[i][1] = i;
    assert_int_not_equal(eventq_push(q, ref[i][0], fn_a, (void *)(intptr_t)i), 0);
  }
  qsort(ref, N, sizeof ref[0], cmp_pair);
  struct eventq_item it;
  for (int i = 0; i < N; i++) {
    assert_true(eventq_pop(q, &it));
    assert_int_equal(it.time, ref[i][0]);
    assert_int_equal((intptr_t)it.arg, ref[i][1]);
  }
  assert_false(eventq_pop(q, &it));
  assert_int_equal(eventq_size(q), 0);
  free(ref);
  gsl_rng_free(g);
  eventq_free(q);
}

/* Interleaved pops and pushes (the root-hole path) keep the order. */
static void test_hold_order(void **state) {
  eventq *q = eventq_new();
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  for (int i = 0; i < 1000; i++) eventq_push(q, (cm_time)gsl_rng_uniform_int(g, 1000), fn_a, NULL);
  struct eventq_item it;
  cm_time last = -1;
  for (int i = 0; i < 100000; i++) {
    assert_true(eventq_pop(q, &it));
    assert_true(it.time >= last);
    last = it.time;
    eventq_push(q, it.time + (cm_time)gsl_rng_uniform_int(g, 1000), fn_a, NULL);
  }
  assert_int_equal(eventq_size(q), 1000);
  gsl_rng_free(g);
  eventq_free(q);
}

static void test_cancel(void **state) {
  eventq *q = eventq_new();
  uint64_t ids[100];
  for (int i = 0; i < 100; i++) ids[i] = eventq_push(q, i, fn_a, (void *)(intptr_t)i);
  void *arg = NULL;
  assert_false(eventq_cancel(q, 0, NULL));
  assert_false(eventq_cancel(q, 12345678901ull, NULL));
  for (int i = 0; i < 100; i += 2) {
    assert_true(eventq_cancel(q, ids[i], &arg));
    assert_int_equal((intptr_t)arg, i);
    assert_false(eventq_cancel(q, ids[i], NULL)); /* twice: false */
  }
  assert_int_equal(eventq_size(q), 50);
  struct eventq_item it;
  assert_true(eventq_pop(q, &it));
  assert_int_equal(it.time, 1);
  assert_false(eventq_cancel(q, ids[1], NULL)); /* already popped */
  /* A recycled slot does not answer to the old id. */
  uint64_t fresh = eventq_push(q, 1000, fn_a, NULL);
  assert_false(eventq_cancel(q, ids[1], NULL));
  assert_true(eventq_cancel(q, fresh, NULL));
  for (int i = 3; i < 100; i += 2) {
    assert_true(eventq_pop(q, &it));
    assert_int_equal(it.time, i);
  }
  assert_false(eventq_pop(q, &it));
  assert_int_equal(eventq_peek_time(q), CM_TIME_MAX);
  eventq_free(q);
}

/* Cancelling most of a large queue sweeps dead entries; order survives. */
static void test_sweep(void **state) {
  enum { N = 10000 };
  eventq *q = eventq_new();
  uint64_t *ids = malloc(sizeof(uint64_t) * N);
  for (int i = 0; i < N; i++) ids[i] = eventq_push(q, N - i, fn_a, (void *)(intptr_t)i);
  size_t before = eventq_bytes(q);
  for (int i = 0; i < N; i++)
    if (i % 10) assert_true(eventq_cancel(q, ids[i], NULL));
  assert_int_equal(eventq_size(q), N / 10);
  assert_true(eventq_bytes(q) <= before);
  struct eventq_item it;
  cm_time last = -1;
  size_t n = 0;
  while (eventq_pop(q, &it)) {
    assert_int_equal((intptr_t)it.arg % 10, 0);
    assert_true(it.time > last);
    last = it.time;
    n++;
  }
  assert_int_equal(n, N / 10);
  free(ids);
  eventq_free(q);
}

/* Memory grows with pending events, not with events processed: a hold
 * model with timeouts that are set and cancelled keeps a flat footprint. */
static void test_bounded_memory(void **state) {
  eventq *q = eventq_new();
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  for (int i = 0; i < 1000; i++) eventq_push(q, (cm_time)gsl_rng_uniform_int(g, 1000), fn_a, NULL);
  struct eventq_item it;
  size_t bytes_after_warmup = 0;
  for (int i = 0; i < 2000000; i++) {
    eventq_pop(q, &it);
    eventq_push(q, it.time + 1 + (cm_time)gsl_rng_uniform_int(g, 1000), fn_a, NULL);
    uint64_t tmo = eventq_push(q, it.time + 5000, fn_a, NULL); /* a timeout ... */
    assert_true(eventq_cancel(q, tmo, NULL));                 /* ... cancelled */
    if (i == 10000) bytes_after_warmup = eventq_bytes(q);
  }
  assert_int_equal(eventq_size(q), 1000);
  assert_int_equal(eventq_bytes(q), bytes_after_warmup);
  gsl_rng_free(g);
  eventq_free(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_matches_sort), cmocka_unit_test(test_hold_order), cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_sweep),              cmocka_unit_test(test_bounded_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
