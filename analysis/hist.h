/* A mergeable streaming histogram of latencies (int64 ns, any value in
 * [0, INT64_MAX]), for runs too long to keep every sample.
 *
 * Method: log-linear buckets, as in HdrHistogram. Values below 2^7 = 128
 * have a bucket each (exact). A value v >= 128 with highest set bit e lies in
 * [2^e, 2^(e+1)), which is split into 2^HIST_SUB_BITS = 128 equal
 * sub-buckets of width 2^(e-7); the bucket index is found with one
 * count-leading-zeros and one shift. A bucket is reported by its midpoint,
 * which is within width/2 <= 2^e / 256 of every value in it: relative error
 * <= 1/256 = 0.39% (HIST_REL_ERROR), under the 1% asked with margin.
 * Memory is fixed: (64 - 7) * 128 = 7296 uint64 counters plus a few words,
 * about 58 KB per histogram (hist_bytes), whatever the number of samples;
 * adding is O(1) and never allocates. Count, sum (128-bit, exact), min and
 * max are exact. */
#ifndef CM_HIST_H
#define CM_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_BUCKETS ((64 - HIST_SUB_BITS) * (1 << HIST_SUB_BITS))
#define HIST_REL_ERROR (1.0 / (double)(2 << HIST_SUB_BITS))

typedef struct hist hist;

/* A new empty histogram (one allocation of hist_bytes()); NULL if out of
 * memory. */
hist *hist_new(void);
void hist_free(hist *h);
/* Bytes one histogram holds: a constant. */
size_t hist_bytes(void);

/* Record v (ns). Returns 0, or CM_ERANGE for v < 0 (not recorded). */
int hist_add(hist *h, int64_t v);
/* Record v count times. Returns 0 or CM_ERANGE (v < 0). */
int hist_add_n(hist *h, int64_t v, uint64_t count);

/* dst += src: afterwards dst is exactly what adding both streams to one
 * histogram gives. */
void hist_merge(hist *dst, const hist *src);
/* Empty h. */
void hist_reset(hist *h);

uint64_t hist_count(const hist *h);
/* Exact sum, returned as a double (exact below 2^53 ns, about 104 days). */
double hist_sum(const hist *h);
/* NAN when empty. */
double hist_mean(const hist *h);
/* Exact smallest and largest value; 0 when empty. */
int64_t hist_min(const hist *h);
int64_t hist_max(const hist *h);

/* The q-quantile, q in [0, 1] (clamped), by the nearest-rank definition:
 * the order statistic of rank max(1, ceil(q * count)), i.e. the smallest
 * recorded value with at least q * count values <= it. Returned as the
 * midpoint of its bucket clamped to [min, max], so within HIST_REL_ERROR of
 * the exact order statistic (exact below 128 ns, and for q = 0 and q = 1).
 * 0 when empty. */
int64_t hist_percentile(const hist *h, double q);

/* The q-quantile (same definition) of the values recorded in h since it
 * was `before`, an earlier copy of h (hist_merge of h into an empty one):
 * the bucket-wise difference, without changing either. Returned as its
 * bucket's midpoint clamped to h's min and max, so within HIST_REL_ERROR
 * of the exact order statistic (exact below 128 ns), q = 0 and 1 included
 * (the lowest and highest non-empty buckets). 0 when nothing was recorded
 * since; CM_EINVAL (negative) if before is not an earlier state of h (a
 * bucket of before holds more than h's). */
int64_t hist_percentile_since(const hist *h, const hist *before, double q);

#endif
