/* Sim and real side by side: one live cloudless run of each (their results
 * files) compared as the agreement test asks (issue 12): latency
 * distributions by the two-sample Kolmogorov-Smirnov test, medians and
 * 99th percentiles, and the cost of each call recomputed from its billed
 * duration with the provider's price list against the cost recorded. */
#ifndef CM_AGREE_H
#define CM_AGREE_H

#include <stddef.h>
#include <stdint.h>

#include "cloudless/cost.h"

/* A provider's name and the price list its calls were charged with. */
struct agree_price {
  const char *provider;
  struct cost_price price;
};

/* One run's side. */
struct agree_side {
  uint64_t calls, completed, failed;
  double median_s, p99_s, mean_s;
  double cost_usd;        /* sum of cost_usd over calls */
  uint64_t cost_checked;  /* completed single-attempt calls whose cost was recomputed */
  double cost_max_diff;   /* max |recorded - recomputed| over them, $ */
  double *lat_s;          /* completed calls' latencies (g_malloc'd) */
  size_t n;
};

/* Load run_id's calls from the results file at path (a complete run
 * recorded with [cloudless] record = calls). 0, or an error with *err (one
 * line naming the file; a run that is not complete is refused with its
 * status). */
int agree_load(const char *path, int64_t run_id, const struct agree_price *prices, uint32_t nprices,
               struct agree_side *out, char **err);
void agree_side_free(struct agree_side *s);

#endif
