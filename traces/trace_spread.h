/* Inside traces/: what the importers of per-interval counts (Azure
 * Functions 2019 per minute, Huawei Cloud 2023 per minute and per second)
 * share: turning one function's count for one interval into arrival times
 * in increasing order, one at a time (trace.h's spreading rules), a
 * min-heap that merges the functions' streams in arrival order, and the
 * piecewise-linear inverse CDF that draws a duration or a memory size from
 * a percentile table. Nothing here holds more than one pending arrival per
 * function, so a day of 40 M invocations streams in memory proportional to
 * its functions. */
#ifndef CM_TRACE_SPREAD_H
#define CM_TRACE_SPREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"
#include "trace.h"

/* Largest count of one function in one interval the importers accept
 * (1e8 a minute is 1.7 M/s for one function; Huawei's busiest private
 * function peaks near 70 k/s). Also keeps interval * k within int64. */
#define TRACE_COUNT_MAX 100000000ull

/* One function's arrivals within [start, start + len). */
struct trace_spreader {
  enum trace_spread how;
  cm_time start, len;
  uint64_t n, k; /* the interval's count; arrivals made so far */
  double x;      /* uniform: the last order statistic, in [0, 1); poisson: seconds into the interval */
};

/* Begin an interval of count n (n <= TRACE_COUNT_MAX). */
void trace__spread_begin(struct trace_spreader *sp, enum trace_spread how, cm_time start, cm_time len, uint64_t n);
/* The interval's next arrival (non-decreasing, within [start, start + len)):
 * true with *t, false when the interval has no more. Equidistant: start +
 * k * len / n exactly, k = 0..n-1. Uniform: the n sorted uniform points,
 * made in increasing order by the sequential order-statistic rule
 * x_k = 1 - (1 - x_{k-1}) * V^(1/(n-k+1)) (V uniform on (0, 1]), which has
 * the distribution of n sorted uniforms. Poisson: exponential gaps of mean
 * len / n from start until the interval ends (the count is the expected
 * one). Draws come from r, in the order the arrivals are made. */
bool trace__spread_next(struct trace_spreader *sp, rng *r, cm_time *t);

/* A min-heap of (time, index): ties break by the smaller index. */
struct trace_heap {
  cm_time *t;
  uint32_t *idx;
  size_t n, cap;
};
void trace__heap_push(struct trace_heap *h, cm_time t, uint32_t idx);
/* The smallest; false when empty. */
bool trace__heap_pop(struct trace_heap *h, cm_time *t, uint32_t *idx);
void trace__heap_free(struct trace_heap *h);

/* A percentile table: n points (p[i] probabilities in [0, 1], increasing;
 * v[i] values, non-decreasing). The draw for u uniform on [0, 1) is v
 * interpolated linearly between the two points around u, v[0] below p[0]
 * and v[n-1] at or above p[n-1]. */
double trace__pct_draw(const double *p, const double *v, int n, double u);

#endif
