/* The hold-model benchmark (Vaucher & Duval; Jones 1986): N pending events,
 * then K times pop the minimum and push it back at t + Exp(mean 1 s). Four
 * variants see the same pre-generated increments: the engine (a callback
 * that reschedules itself with engine_after), the event queue alone (pop +
 * push, no callbacks), a textbook array binary heap (the baseline), and the
 * 4-ary hole-sifted heap the event queue replaced (heap4.c); repetitions
 * are interleaved and the median of 3 is reported. */
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "bench_util.h"
#include "engine.h"
#include "eventq.h"
#include "heap4.h"
#include "rng.h"

#define RING_BITS 20
#define RING_MASK (((size_t)1 << RING_BITS) - 1)
#define REPS 3

/* ---- the baseline: a plain binary min-heap of (time, seq, payload) ---- */

struct bh_ent {
  cm_time time;
  uint64_t seq;
  void *payload;
};

struct binheap {
  struct bh_ent *a;
  size_t n, cap;
  uint64_t seq;
};

static inline bool bh_less(const struct bh_ent *x, const struct bh_ent *y) {
  return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

static bool bh_push(struct binheap *h, cm_time t, void *payload) {
  if (h->n == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 256;
    struct bh_ent *na = realloc(h->a, nc * sizeof(*na));
    if (!na) return false;
    h->a = na;
    h->cap = nc;
  }
  struct bh_ent x = {t, ++h->seq, payload};
  struct bh_ent *a = h->a;
  size_t i = h->n++;
  while (i > 0) { /* sift up with a hole */
    size_t p = (i - 1) / 2;
    if (!bh_less(&x, &a[p])) break;
    a[i] = a[p];
    i = p;
  }
  a[i] = x;
  return true;
}

/* Remove the minimum into *out; false if empty. */
static bool bh_pop(struct binheap *h, struct bh_ent *out) {
  if (h->n == 0) return false;
  struct bh_ent *a = h->a;
  *out = a[0];
  size_t n = --h->n;
  if (n == 0) return true;
  struct bh_ent x = a[n];
  size_t i = 0;
  for (;;) { /* sift the last entry down from the root with a hole */
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && bh_less(&a[c + 1], &a[c])) c++;
    if (!bh_less(&a[c], &x)) break;
    a[i] = a[c];
    i = c;
  }
  a[i] = x;
  return true;
}

/* ---- the three variants; each returns the timed seconds of k holds after
 * n prefills and `warm` untimed holds, and the time of the last event ---- */

struct hold_ctx {
  const cm_time *inc;
  size_t idx;
  uint64_t left;
};

static void hold_cb(engine *en, void *arg) {
  struct hold_ctx *c = arg;
  engine_after(en, c->inc[c->idx++ & RING_MASK], hold_cb, c);
  if (--c->left == 0) engine_stop(en);
}

static int run_engine(const cm_time *inc, size_t n, uint64_t warm, uint64_t k, double *secs, cm_time *last) {
  engine *en = engine_new();
  if (!en) return -1;
  struct hold_ctx c = {inc, 0, 0};
  for (size_t i = 0; i < n; i++) engine_at(en, inc[c.idx++ & RING_MASK], hold_cb, &c);
  c.left = warm;
  uint64_t ran = engine_run_until(en, CM_TIME_MAX);
  c.left = k;
  double t0 = bench_now();
  ran += engine_run_until(en, CM_TIME_MAX);
  *secs = bench_now() - t0;
  *last = engine_now(en);
  int rc = (ran == warm + k && engine_pending(en) == n) ? 0 : -1;
  engine_free(en);
  return rc;
}

static void dummy_fn(void) {}

static int run_eventq(const cm_time *inc, size_t n, uint64_t warm, uint64_t k, double *secs, cm_time *last) {
  eventq *q = eventq_new();
  if (!q) return -1;
  size_t idx = 0;
  int rc = 0;
  struct eventq_item it = {0, NULL, NULL};
  for (size_t i = 0; i < n; i++)
    if (!eventq_push(q, inc[idx++ & RING_MASK], dummy_fn, NULL)) rc = -1;
  double t0 = 0;
  for (uint64_t j = 0; j < warm + k && rc == 0; j++) {
    if (j == warm) t0 = bench_now();
    if (!eventq_pop(q, &it) || !eventq_push(q, it.time + inc[idx++ & RING_MASK], it.fn, it.arg)) rc = -1;
  }
  *secs = bench_now() - t0;
  *last = it.time;
  if (eventq_size(q) != n) rc = -1;
  eventq_free(q);
  return rc;
}

static int run_binheap(const cm_time *inc, size_t n, uint64_t warm, uint64_t k, double *secs, cm_time *last) {
  struct binheap h = {NULL, 0, 0, 0};
  size_t idx = 0;
  int rc = 0;
  struct bh_ent e = {0, 0, NULL};
  for (size_t i = 0; i < n; i++)
    if (!bh_push(&h, inc[idx++ & RING_MASK], NULL)) rc = -1;
  double t0 = 0;
  for (uint64_t j = 0; j < warm + k && rc == 0; j++) {
    if (j == warm) t0 = bench_now();
    if (!bh_pop(&h, &e) || !bh_push(&h, e.time + inc[idx++ & RING_MASK], e.payload)) rc = -1;
  }
  *secs = bench_now() - t0;
  *last = e.time;
  if (h.n != n) rc = -1;
  free(h.a);
  return rc;
}

static int run_heap4(const cm_time *inc, size_t n, uint64_t warm, uint64_t k, double *secs, cm_time *last) {
  heap4 *q = heap4_new();
  if (!q) return -1;
  size_t idx = 0;
  int rc = 0;
  struct eventq_item it = {0, NULL, NULL};
  for (size_t i = 0; i < n; i++)
    if (!heap4_push(q, inc[idx++ & RING_MASK], dummy_fn, NULL)) rc = -1;
  double t0 = 0;
  for (uint64_t j = 0; j < warm + k && rc == 0; j++) {
    if (j == warm) t0 = bench_now();
    if (!heap4_pop(q, &it) || !heap4_push(q, it.time + inc[idx++ & RING_MASK], it.fn, it.arg)) rc = -1;
  }
  *secs = bench_now() - t0;
  *last = it.time;
  heap4_free(q);
  return rc;
}

typedef int (*hold_variant)(const cm_time *, size_t, uint64_t, uint64_t, double *, cm_time *);

int bench_engine_hold(bool quick) {
  static const size_t sizes_full[] = {1000, 100000, 1000000};
  static const size_t sizes_quick[] = {1000, 100000};
  const size_t *sizes = quick ? sizes_quick : sizes_full;
  size_t nsizes = quick ? 2 : 3;
  uint64_t k = quick ? 200000 : 10000000;

  rng *r = rng_new(1, "bench:hold");
  cm_time *inc = malloc((RING_MASK + 1) * sizeof(*inc));
  if (!r || !inc) {
    fprintf(stderr, "bench engine-hold: out of memory\n");
    rng_free(r);
    free(inc);
    return 1;
  }
  for (size_t i = 0; i <= RING_MASK; i++) inc[i] = (cm_time)(gsl_ran_exponential(rng_gsl(r), 1e9) + 0.5);
  rng_free(r);

  enum { NV = 4 };
  static const hold_variant variants[NV] = {run_engine, run_eventq, run_binheap, run_heap4};
  static const char *const vname[NV] = {"engine", "eventq", "binheap", "heap4"};
  int rc = 0;
  for (size_t s = 0; s < nsizes && rc == 0; s++) {
    size_t n = sizes[s];
    uint64_t warm = n > k / 20 ? n : k / 20;
    fprintf(stderr, "bench engine-hold: pending=%zu, %llu timed holds after %llu warm-up holds, "
                    "%d interleaved repetitions per variant...\n",
            n, (unsigned long long)k, (unsigned long long)warm, REPS);
    double secs[NV][REPS];
    cm_time last[NV][REPS];
    for (int rep = 0; rep < REPS && rc == 0; rep++) {
      for (int j = 0; j < NV; j++) {
        int v = (j + rep) % NV; /* rotate the order so no variant always runs first */
        if (variants[v](inc, n, warm, k, &secs[v][rep], &last[v][rep]) != 0) {
          fprintf(stderr, "bench engine-hold: %s variant failed at pending=%zu\n", vname[v], n);
          rc = 1;
          break;
        }
      }
    }
    if (rc) break;
    /* Same input, same tie-breaking: every run must end on the same event. */
    for (int v = 0; v < NV; v++)
      for (int rep = 0; rep < REPS; rep++)
        if (last[v][rep] != last[0][0]) {
          fprintf(stderr, "bench engine-hold: %s ended at t=%lld, engine at %lld: variants disagree\n",
                  vname[v], (long long)last[v][rep], (long long)last[0][0]);
          rc = 1;
        }
    if (rc) break;
    double rate[NV];
    for (int v = 0; v < NV; v++) {
      double med = bench_median3(secs[v][0], secs[v][1], secs[v][2]);
      rate[v] = (double)k / med;
      fprintf(stderr, "  %-7s %.3f %.3f %.3f s (median %.3f s)\n", vname[v], secs[v][0], secs[v][1], secs[v][2], med);
    }
    printf("bench engine-hold pending=%zu engine_events_per_s=%.0f eventq_ops_per_s=%.0f binheap_ops_per_s=%.0f "
           "heap4_ops_per_s=%.0f ratio_engine_vs_binheap=%.2f ratio_eventq_vs_binheap=%.2f ratio_heap4_vs_binheap=%.2f\n",
           n, rate[0], rate[1], rate[2], rate[3], rate[0] / rate[2], rate[1] / rate[2], rate[3] / rate[2]);
    fflush(stdout);
  }
  free(inc);
  return rc;
}
