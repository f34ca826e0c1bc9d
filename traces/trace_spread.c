/* Per-interval counts to arrival times, the arrival heap, and the
 * percentile tables' inverse CDF (trace_spread.h). */
#include "trace_spread.h"

#include <math.h>

#include <glib.h>

void trace__spread_begin(struct trace_spreader *sp, enum trace_spread how, cm_time start, cm_time len, uint64_t n) {
  sp->how = how;
  sp->start = start;
  sp->len = len;
  sp->n = n;
  sp->k = 0;
  sp->x = 0;
}

bool trace__spread_next(struct trace_spreader *sp, rng *r, cm_time *t) {
  if (!sp->n) return false;
  switch (sp->how) {
  case TRACE_SPREAD_UNIFORM: {
    if (sp->k >= sp->n) return false;
    double v = 1.0 - rng_uniform(r); /* (0, 1] */
    sp->x = 1.0 - (1.0 - sp->x) * pow(v, 1.0 / (double)(sp->n - sp->k));
    sp->k++;
    cm_time d = (cm_time)(sp->x * (double)sp->len);
    if (d >= sp->len) d = sp->len - 1;
    *t = sp->start + d;
    return true;
  }
  case TRACE_SPREAD_POISSON: {
    double len_s = cm_time_to_s(sp->len);
    sp->x += rng_exponential(r, len_s / (double)sp->n);
    if (sp->x >= len_s) {
      sp->n = 0;
      return false;
    }
    cm_time d = cm_time_from_s(sp->x);
    if (d >= sp->len) d = sp->len - 1;
    *t = sp->start + d;
    sp->k++;
    return true;
  }
  default: /* TRACE_SPREAD_EQUIDISTANT */
    if (sp->k >= sp->n) return false;
    *t = sp->start + (cm_time)(((unsigned __int128)sp->len * sp->k) / sp->n);
    sp->k++;
    return true;
  }
}

static bool less(const struct trace_heap *h, size_t a, size_t b) {
  return h->t[a] < h->t[b] || (h->t[a] == h->t[b] && h->idx[a] < h->idx[b]);
}

static void swap(struct trace_heap *h, size_t a, size_t b) {
  cm_time t = h->t[a];
  h->t[a] = h->t[b];
  h->t[b] = t;
  uint32_t i = h->idx[a];
  h->idx[a] = h->idx[b];
  h->idx[b] = i;
}

void trace__heap_push(struct trace_heap *h, cm_time t, uint32_t idx) {
  if (h->n == h->cap) {
    h->cap = h->cap ? h->cap * 2 : 64;
    h->t = g_renew(cm_time, h->t, h->cap);
    h->idx = g_renew(uint32_t, h->idx, h->cap);
  }
  size_t i = h->n++;
  h->t[i] = t;
  h->idx[i] = idx;
  while (i && less(h, i, (i - 1) / 2)) {
    swap(h, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

bool trace__heap_pop(struct trace_heap *h, cm_time *t, uint32_t *idx) {
  if (!h->n) return false;
  *t = h->t[0];
  *idx = h->idx[0];
  h->n--;
  if (h->n) {
    h->t[0] = h->t[h->n];
    h->idx[0] = h->idx[h->n];
    size_t i = 0;
    for (;;) {
      size_t l = 2 * i + 1, m = i;
      if (l < h->n && less(h, l, m)) m = l;
      if (l + 1 < h->n && less(h, l + 1, m)) m = l + 1;
      if (m == i) break;
      swap(h, i, m);
      i = m;
    }
  }
  return true;
}

void trace__heap_free(struct trace_heap *h) {
  g_free(h->t);
  g_free(h->idx);
  h->t = NULL;
  h->idx = NULL;
  h->n = h->cap = 0;
}

double trace__pct_draw(const double *p, const double *v, int n, double u) {
  if (u < p[0]) return v[0];
  for (int i = 0; i + 1 < n; i++)
    if (u < p[i + 1]) return v[i] + (v[i + 1] - v[i]) * (u - p[i]) / (p[i + 1] - p[i]);
  return v[n - 1];
}
