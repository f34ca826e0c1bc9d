/* The log-linear latency histogram: bucket index arithmetic, exact count,
 * 128-bit sum, min and max, and nearest-rank percentiles (see hist.h). */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"

#define SUB (1u << HIST_SUB_BITS)

struct hist {
  uint64_t count;
  uint64_t sum_lo, sum_hi; /* 128-bit sum */
  int64_t min, max;
  uint64_t bucket[HIST_BUCKETS];
};

/* Values below SUB: bucket v. Above: with e the highest set bit,
 * SUB + (e - HIST_SUB_BITS) * SUB + the HIST_SUB_BITS bits below bit e. */
static inline uint32_t index_of(uint64_t v) {
  if (v < SUB) return (uint32_t)v;
  uint32_t e = 63u - (uint32_t)__builtin_clzll(v);
  uint32_t shift = e - HIST_SUB_BITS;
  return SUB + shift * SUB + (uint32_t)((v >> shift) - SUB);
}

/* Lowest value and width of bucket i. */
static void bucket_range(uint32_t i, uint64_t *lo, uint64_t *width) {
  if (i < SUB) {
    *lo = i, *width = 1;
    return;
  }
  uint32_t shift = (i - SUB) / SUB, sub = (i - SUB) % SUB;
  *lo = (uint64_t)(SUB + sub) << shift;
  *width = (uint64_t)1 << shift;
}

hist *hist_new(void) {
  hist *h = malloc(sizeof *h);
  if (h) hist_reset(h);
  return h;
}

void hist_free(hist *h) { free(h); }

size_t hist_bytes(void) { return sizeof(struct hist); }

void hist_reset(hist *h) {
  memset(h, 0, sizeof *h);
  h->min = INT64_MAX;
  h->max = 0;
}

static void add_sum(hist *h, uint64_t lo, uint64_t hi) {
  uint64_t s = h->sum_lo + lo;
  h->sum_hi += hi + (s < lo);
  h->sum_lo = s;
}

int hist_add(hist *h, int64_t v) {
  if (v < 0) return CM_ERANGE;
  h->bucket[index_of((uint64_t)v)]++;
  h->count++;
  add_sum(h, (uint64_t)v, 0);
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
  return 0;
}

int hist_add_n(hist *h, int64_t v, uint64_t count) {
  if (v < 0) return CM_ERANGE;
  if (!count) return 0;
  h->bucket[index_of((uint64_t)v)] += count;
  h->count += count;
  /* v * count as a 128-bit product of two 64-bit numbers, in 32-bit halves. */
  uint64_t a = (uint64_t)v, al = a & 0xffffffffu, ah = a >> 32, bl = count & 0xffffffffu, bh = count >> 32;
  uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
  uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
  add_sum(h, lo, hi);
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
  return 0;
}

void hist_merge(hist *dst, const hist *src) {
  if (!src->count) return;
  for (uint32_t i = 0; i < HIST_BUCKETS; i++) dst->bucket[i] += src->bucket[i];
  dst->count += src->count;
  add_sum(dst, src->sum_lo, src->sum_hi);
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
}

uint64_t hist_count(const hist *h) { return h->count; }

double hist_sum(const hist *h) { return ldexp((double)h->sum_hi, 64) + (double)h->sum_lo; }

double hist_mean(const hist *h) {
  if (!h->count) return NAN;
  long double s = ldexpl((long double)h->sum_hi, 64) + (long double)h->sum_lo;
  return (double)(s / (long double)h->count);
}

int64_t hist_min(const hist *h) { return h->count ? h->min : 0; }
int64_t hist_max(const hist *h) { return h->count ? h->max : 0; }

int64_t hist_percentile(const hist *h, double q) {
  if (!h->count) return 0;
  if (!(q > 0)) return h->min; /* also NaN */
  if (q >= 1) return h->max;
  double r = ceil(q * (double)h->count);
  uint64_t rank = r < 1 ? 1 : r > (double)h->count ? h->count : (uint64_t)r;
  uint64_t seen = 0;
  uint32_t i = index_of((uint64_t)h->min);
  for (; i < HIST_BUCKETS; i++) {
    seen += h->bucket[i];
    if (seen >= rank) break;
  }
  uint64_t lo, width;
  bucket_range(i, &lo, &width);
  int64_t v = (int64_t)(lo + width / 2);
  if (v < h->min) v = h->min;
  if (v > h->max) v = h->max;
  return v;
}

int64_t hist_percentile_since(const hist *h, const hist *before, double q) {
  if (before->count > h->count) return CM_EINVAL;
  uint64_t count = h->count - before->count, seen = 0;
  for (uint32_t i = 0; i < HIST_BUCKETS; i++)
    if (before->bucket[i] > h->bucket[i]) return CM_EINVAL;
  if (!count) return 0;
  double r = ceil(q * (double)count);
  uint64_t rank = !(r >= 1) ? 1 : r > (double)count ? count : (uint64_t)r;
  uint32_t i = 0;
  for (; i < HIST_BUCKETS; i++) {
    seen += h->bucket[i] - before->bucket[i];
    if (seen >= rank) break;
  }
  uint64_t lo, width;
  bucket_range(i, &lo, &width);
  int64_t v = (int64_t)(lo + width / 2);
  if (v < h->min) v = h->min;
  if (v > h->max) v = h->max;
  return v;
}
