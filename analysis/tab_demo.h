/* Owner of the demo model's table, demo_jobs (analysis/SCHEMA.md): its SQL,
 * a row struct and the calls that open the table and add a row. */
#ifndef CM_TAB_DEMO_H
#define CM_TAB_DEMO_H

#include <stdint.h>

#include "results.h"

/* demo_jobs, open in a results store. The table belongs to the store: the
 * handle is valid until results_close. */
struct tab_demo_jobs {
  results_table *t;
};

/* One invocation of the demo provider queue. Times are simulated ns. */
struct tab_demo_job {
  int64_t run_id;
  int64_t job;        /* 1, 2, ... in arrival order */
  int64_t arrival_ns;
  int64_t start_ns;   /* = arrival_ns when dropped */
  int64_t end_ns;     /* = arrival_ns when dropped */
  int64_t server;     /* 0-based container; < 0: none (dropped), stored NULL */
  const char *outcome; /* "completed" or "dropped_queue_full"; borrowed */
};

/* Create demo_jobs in r if missing and fill *out. Returns 0, CM_EINVAL (r
 * or out NULL) or CM_EDB (the reason in results_errmsg(r)). */
int tab_demo_jobs_open(results *r, struct tab_demo_jobs *out);
/* Append row j (copied). Returns what results_row returns: 0, CM_EINVAL or
 * CM_EDB (buffered rows: an insert failure may be reported later, see
 * results.h). */
int tab_demo_jobs_add(struct tab_demo_jobs *t, const struct tab_demo_job *j);

#endif
