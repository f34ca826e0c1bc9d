/* Owner of the tables of the cloudless offline experiments (analysis/
 * SCHEMA.md): the storage scan's cloudless_storage_scan (seed 6.3, Fig. 6),
 * and the workflow experiment's cloudless_workflow, cloudless_replan and
 * cloudless_pareto (seed 5.1.4, 5.3 d, 6.4, Table 1): what the periodic
 * planner measures and what it decides. (The live-run tables are elsewhere.)
 *
 * Per table a handle, a row struct, and calls that open it and add a row.
 * Handles are valid until results_close; row strings are borrowed for the
 * call; a double that is NaN is stored NULL. Open calls return 0, CM_EINVAL
 * (r or out NULL) or CM_EDB (the reason in results_errmsg(r)); add calls
 * return what results_row returns. */
#ifndef CM_TAB_CLOUDLESS_PLAN_H
#define CM_TAB_CLOUDLESS_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "results.h"

struct tab_cloudless_plan_scan {
  results_table *t;
};

/* cloudless_storage_scan: one (location, store, size) of the scan. */
struct tab_cloudless_plan_scan_row {
  int64_t run_id;
  const char *location;   /* a provider, or "client" */
  const char *store;      /* the [store.*] name */
  const char *store_kind; /* s3, gcs, azure-blob, redis */
  int64_t bytes;          /* object size */
  double write_s, read_s; /* mean simulated put and get time */
};

int tab_cloudless_plan_scan_open(results *r, struct tab_cloudless_plan_scan *out);
int tab_cloudless_plan_scan_add(struct tab_cloudless_plan_scan *t, const struct tab_cloudless_plan_scan_row *x);

struct tab_cloudless_plan_workflow {
  results_table *t;
};

/* cloudless_workflow: one plan's placement (per planning round) and the
 * runs of the placed workflow. */
struct tab_cloudless_plan_workflow_row {
  int64_t run_id;
  const char *plan;       /* [plan.NAME] name, or "all" */
  int64_t at_ns;          /* simulated time of the placement, ns */
  const char *planner;    /* exact, csp, heuristic */
  const char *objective;  /* time, cost */
  double bound;           /* budget ($) or deadline (s); NaN: none */
  double estimate_s;      /* the placement's end-to-end time by the benchmarks */
  double time_s, time_sd_s; /* over the runs that succeeded; NaN: none did */
  int64_t runs, failed, resumed, skipped_nodes;
  double cost_usd;        /* one run by the benchmarks */
  const char *placement;  /* node=provider@store;...; NULL when infeasible */
  bool feasible;          /* false: no placement, infeasible_reason says why */
  const char *infeasible_reason; /* NULL when feasible */
  double path_s;          /* the solver's critical path (no contention); NaN when infeasible */
  bool optimal;           /* the solver proved the placement optimal */
  double gap;             /* proven relative optimality gap; 0 optimal, NaN unknown (heuristic) */
  const char *failure;    /* the first failure of the runs (resumed or not): node, and what failed; NULL: none */
};

int tab_cloudless_plan_workflow_open(results *r, struct tab_cloudless_plan_workflow *out);
int tab_cloudless_plan_workflow_add(struct tab_cloudless_plan_workflow *t,
                                    const struct tab_cloudless_plan_workflow_row *x);

struct tab_cloudless_plan_replan {
  results_table *t;
};

/* cloudless_replan: one decision of a planning round that moved a node. */
struct tab_cloudless_plan_replan_row {
  int64_t run_id;
  const char *plan;
  int64_t at_ns;          /* simulated time of the round, ns */
  const char *node, *function;
  const char *decision;   /* redeploy, cleanup */
  const char *provider;
  double old_estimate_s, new_estimate_s;
  const char *reason;     /* the same, as a sentence */
};

int tab_cloudless_plan_replan_open(results *r, struct tab_cloudless_plan_replan *out);
int tab_cloudless_plan_replan_add(struct tab_cloudless_plan_replan *t, const struct tab_cloudless_plan_replan_row *x);

struct tab_cloudless_plan_pareto {
  results_table *t;
};

/* cloudless_pareto: one point of a plan's cost-time front. */
struct tab_cloudless_plan_pareto_row {
  int64_t run_id;
  const char *plan;
  double budget_usd;
  double time_s, cost_usd; /* the placement's estimates */
  const char *placement;   /* node=provider;... */
};

int tab_cloudless_plan_pareto_open(results *r, struct tab_cloudless_plan_pareto *out);
int tab_cloudless_plan_pareto_add(struct tab_cloudless_plan_pareto *t, const struct tab_cloudless_plan_pareto_row *x);

#endif
