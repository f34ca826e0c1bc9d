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
static void test_order_matches_sort(void **state CM_UNUSED) {
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
static void test_hold_order(void **state CM_UNUSED) {
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

static void test_cancel(void **state CM_UNUSED) {
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
static void test_sweep(void **state CM_UNUSED) {
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
static void test_bounded_memory(void **state CM_UNUSED) {
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

/* A push earlier than a peeked (not popped) minimum waits in the side heap
 * and still comes out first, ties in insertion order. */
static void test_push_below_peeked(void **state CM_UNUSED) {
  eventq *q = eventq_new();
  eventq_push(q, 1000, fn_a, (void *)1);
  assert_int_equal(eventq_peek_time(q), 1000);
  eventq_push(q, 500, fn_a, (void *)2);
  eventq_push(q, 500, fn_a, (void *)3);
  eventq_push(q, 700, fn_a, (void *)4);
  uint64_t c = eventq_push(q, 600, fn_a, (void *)5);
  void *arg;
  assert_true(eventq_cancel(q, c, &arg));
  assert_int_equal((intptr_t)arg, 5);
  intptr_t want[] = {2, 3, 4, 1};
  struct eventq_item it;
  for (int i = 0; i < 4; i++) {
    assert_true(eventq_pop(q, &it));
    assert_int_equal((intptr_t)it.arg, want[i]);
  }
  assert_false(eventq_pop(q, &it));
  eventq_free(q);
}

/* Differential test against a reference: random pushes (at or after the
 * last popped time, many ties), peeks, pops and cancels; every pop must be
 * the reference's minimum by (time, insertion). */
struct ref_ev {
  cm_time t;
  uint64_t seq, id;
  bool live;
};

/* Push probability (percent of operations): fixed, or swinging between
 * growth and shrinkage so that the queue crosses the small-array / radix
 * boundary (32 up, 8 down) again and again. */
static void differential(unsigned seed, bool swing) {
  enum { OPS = 100000, MAXN = 4096 };
  eventq *q = eventq_new();
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(g, seed);
  unsigned push_pct = 45;
  struct ref_ev *ref = calloc(MAXN, sizeof *ref);
  size_t nref = 0, nlive = 0;
  uint64_t seq = 0;
  cm_time now = 0;
  struct eventq_item it;
  for (int op = 0; op < OPS; op++) {
    if (swing && nlive > 60) push_pct = 25;
    if (swing && nlive < 3) push_pct = 65;
    unsigned r = (unsigned)gsl_rng_uniform_int(g, 100);
    unsigned cut = push_pct; /* then 10% cancels, 10% peeks, the rest pops */
    if (r < cut && nref < MAXN) {
      /* spread: 0 (a tie with now), small, or huge increments */
      unsigned k = (unsigned)gsl_rng_uniform_int(g, 4);
      cm_time d = k == 0   ? 0
                  : k == 1 ? (cm_time)gsl_rng_uniform_int(g, 8)
                  : k == 2 ? (cm_time)gsl_rng_uniform_int(g, 100000)
                           : (cm_time)gsl_rng_uniform_int(g, 1u << 30) << 12;
      cm_time t = now + d;
      ref[nref] = (struct ref_ev){t, ++seq, eventq_push(q, t, fn_a, (void *)(uintptr_t)seq), true};
      assert_int_not_equal(ref[nref].id, 0);
      nref++;
      nlive++;
    } else if (r < cut + 10 && nref) {
      size_t i = gsl_rng_uniform_int(g, nref);
      void *arg = NULL;
      bool ok = eventq_cancel(q, ref[i].id, &arg);
      assert_int_equal(ok, ref[i].live);
      if (ok) {
        assert_int_equal((uintptr_t)arg, ref[i].seq);
        ref[i].live = false;
        nlive--;
      }
    } else if (r < cut + 20) {
      cm_time best = CM_TIME_MAX;
      for (size_t i = 0; i < nref; i++)
        if (ref[i].live && ref[i].t < best) best = ref[i].t;
      assert_int_equal(eventq_peek_time(q), best);
    } else {
      size_t bi = SIZE_MAX;
      for (size_t i = 0; i < nref; i++)
        if (ref[i].live &&
            (bi == SIZE_MAX || ref[i].t < ref[bi].t || (ref[i].t == ref[bi].t && ref[i].seq < ref[bi].seq)))
          bi = i;
      if (bi == SIZE_MAX) {
        assert_false(eventq_pop(q, &it));
        continue;
      }
      assert_true(eventq_pop(q, &it));
      assert_int_equal(it.time, ref[bi].t);
      assert_int_equal((uintptr_t)it.arg, ref[bi].seq);
      assert_false(eventq_cancel(q, ref[bi].id, NULL)); /* fired */
      ref[bi].live = false;
      nlive--;
      now = it.time;
    }
    assert_int_equal(eventq_size(q), nlive);
    if (nref == MAXN || nref > 2 * nlive + 64) { /* compact the reference */
      size_t w = 0;
      for (size_t i = 0; i < nref; i++)
        if (ref[i].live) ref[w++] = ref[i];
      nref = w;
    }
  }
  free(ref);
  gsl_rng_free(g);
  eventq_free(q);
}

static void test_differential(void **state CM_UNUSED) { differential(11, false); }
static void test_differential_modes(void **state CM_UNUSED) {
  differential(12, true);
  differential(13, true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_matches_sort), cmocka_unit_test(test_hold_order), cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_sweep),              cmocka_unit_test(test_bounded_memory),
      cmocka_unit_test(test_push_below_peeked),  cmocka_unit_test(test_differential),
      cmocka_unit_test(test_differential_modes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
