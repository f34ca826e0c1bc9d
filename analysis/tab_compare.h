/* Owner of compare_results, the table `cloudmix compare` writes
 * (analysis/SCHEMA.md): its SQL, a row struct and the open / add calls. */
#ifndef CM_TAB_COMPARE_H
#define CM_TAB_COMPARE_H

#include <stdint.h>

#include "results.h"

/* compare_results, open in a results store; valid until results_close. */
struct tab_compare_results {
  results_table *t;
};

/* One (policy, metric) figure over the seeds. Strings are borrowed. */
struct tab_compare_result {
  int64_t first_run_id; /* the first of the runs compare made into the file */
  const char *scenario;
  const char *policy;
  const char *metric;   /* e.g. "mean_latency_s" */
  int64_t seeds;
  int64_t first_seed;
  double mean;          /* over the seeds; NaN is stored NULL */
  double ci95;          /* 95% CI half-width (Student t); NaN is stored NULL */
};

/* Create compare_results in r if missing and fill *out. Returns 0,
 * CM_EINVAL (r or out NULL) or CM_EDB (the reason in results_errmsg(r)). */
int tab_compare_results_open(results *r, struct tab_compare_results *out);
/* Append row x (copied). Returns what results_row returns. */
int tab_compare_results_add(struct tab_compare_results *t, const struct tab_compare_result *x);

#endif
