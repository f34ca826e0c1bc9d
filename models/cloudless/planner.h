/* The periodic planner (seed 5.1.2-5.1.4, 5.3, 6.4): benchmark a workflow
 * on every provider and store, choose each output's store, place the DAG
 * (exact ILP, chain CSP or the per-function heuristic; least time under a
 * budget or least cost under a deadline), run the placed workflow through
 * the DAG executor, re-plan every period with redeploy / cleanup decisions,
 * and sweep the cost-time Pareto front. Written only against the seam and
 * driven by its callbacks (no polling): the same planner runs on the sim
 * backend and on real endpoints.
 *
 * Order of work, one request at a time unless said:
 *  1. Benchmark (once, before the first plan; again at every re-planning
 *     round): per node and provider a warm-up call then bench_calls calls
 *     carrying the node's bytes in the workflow (a source's input, a sink's
 *     output); per distinct function and provider two calls at once (the
 *     second finds no idle container: its cold start, and how many
 *     containers are warm); per stored output one put, one get (length
 *     only) and one delete from every provider to every store (in real mode
 *     all storage requests leave this process, and the provider's link to
 *     the store is the backend's link model, env_real_set_store_links).
 *  2. Per plan: the search space over the plan's usable providers (a
 *     provider whose benchmark calls all failed is not a candidate; a pair
 *     of providers no store joins is forbidden), solved; an infeasible plan
 *     (a node with no usable provider, no placement within the bound) is
 *     reported as such with its reason, never as a number.
 *  3. The estimate of a placement is a list-scheduling simulation of the
 *     placed DAG over the benchmarks, as the executor runs it (reads after
 *     every parent is done, writes before a node is done), with each
 *     provider's concurrency slots (a FIFO queue beyond them) and its warm
 *     containers (a call finding none idle pays the measured cold start),
 *     averaged over the planned runs (planner_estimate.c). The solver's
 *     critical path without contention is reported beside it (path_s).
 *  4. Run the placed workflow `runs` times (or, when re-planning, back to
 *     back until the next round), resuming a run that failed midway once
 *     from the backup stores: its finished nodes are not run again, and the
 *     nodes still to run write their outputs to the first backup store
 *     (their own store may be the one that failed).
 *
 * Ownership: cfg and everything it points to are borrowed until done has
 * been called; the planner owns its own state and frees it in
 * planner_free. Results are handed to the observer's callbacks; pointers
 * in them are valid until the callback returns. */
#ifndef CM_CLOUDLESS_PLANNER_H
#define CM_CLOUDLESS_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/cost.h"
#include "cloudless/dag.h"
#include "cloudless/dagexec.h"
#include "cloudless/placement.h"
#include "cloudless/storage_cost.h"
#include "env.h"

enum planner_solver { PLANNER_EXACT, PLANNER_CSP, PLANNER_HEURISTIC };

/* Provider i is env provider (and storage location) i. */
struct planner_provider {
  const char *name;
  const char *cloud;          /* "" = the edge: picks egress prices */
  struct cost_price price;    /* per call of its bin */
  uint32_t bin;
  uint32_t slots;             /* calls it runs at once (concurrency limit, cluster cores); 0 = unlimited */
  uint32_t per_container;     /* calls one container serves at once, >= 1 (0 is taken as 1) */
};

struct planner_store {
  const char *name;
  const char *cloud;          /* "" = the edge; a store with a cloud takes persist writes */
  struct storage_price price;
};

struct planner_plan {
  const char *name;
  enum planner_solver solver;
  enum place_objective objective;
  double bound;               /* $ (time) or s (cost); INFINITY = none */
  const uint32_t *allowed;    /* provider indexes, distinct; NULL = all */
  uint32_t nallowed;
};

struct planner_config {
  const dag *d;               /* sealed */
  const struct planner_provider *providers;
  uint32_t nproviders;
  const struct planner_store *stores;
  uint32_t nstores;
  const uint32_t *backup;     /* stores every output is also written to (resume) */
  uint32_t nbackup;
  const struct planner_plan *plans;
  uint32_t nplans;
  uint32_t bench_calls;       /* >= 1, after a warm-up */
  uint32_t runs;              /* runs per plan without re-planning, >= 1 */
  cm_time replan, horizon;    /* re-plan every replan until horizon; 0 = once */
  uint32_t pareto_points;     /* 0 = no front */
  uint32_t max_attempts;      /* calls per node in a run */
  cm_time timeout;            /* per call; 0 = the backend's default */
  double time_limit_s;        /* per exact solve (GLPK, wall time), > 0 */
};

/* One plan's placement in one round, and its runs. */
struct planner_row {
  const struct planner_plan *plan;
  cm_time at;                 /* when it was placed (after its benchmark) */
  bool feasible;
  const char *reason;         /* infeasible: why (one line) */
  int status;                 /* infeasible: CM_ERANGE (the bound), CM_EIO (no usable provider), CM_EINVAL (the solver) */
  const char *key;            /* infeasible: the setting it concerns: budget_usd, deadline_s, providers, planner */
  double estimate_s;          /* contention-aware estimate of a run's time (NAN when infeasible) */
  double path_s;              /* the solver's critical path, without contention */
  double cost_usd;            /* one run by the benchmarks */
  bool optimal;               /* the solver proved it optimal */
  double gap;                 /* proven relative optimality gap (0 optimal; NAN unknown, heuristic) */
  double solve_s;             /* wall time of the solve (env_wall_ns: reported, never used in a decision) */
  const struct dagexec_place *place; /* one per node; NULL when infeasible */
  uint32_t runs, failed, resumed;
  uint64_t skipped_nodes;
  const char *failure;        /* the first failure of these runs, resumed or not ("node 'x': ..."), or NULL */
  double time_s, time_sd_s;   /* measured, over the runs that succeeded (NAN: none) */
};

/* A round moved a node: decision "redeploy" (provider = the new one) or
 * "cleanup" (the old one). */
struct planner_move {
  const struct planner_plan *plan;
  cm_time at;
  uint32_t node;
  const char *decision;
  uint32_t provider;
  double old_estimate_s, new_estimate_s; /* the old placement under this round's benchmarks, the new one */
};

/* One point of a plan's cost-time front: least time under budget. */
struct planner_point {
  const struct planner_plan *plan;
  double budget_usd, time_s, cost_usd;
  const uint32_t *provider;   /* per node */
};

struct planner_observer {
  void (*row)(void *arg, const struct planner_row *r);
  void (*move)(void *arg, const struct planner_move *m);   /* may be NULL */
  void (*point)(void *arg, const struct planner_point *p); /* may be NULL */
  /* Once, at the end. status 0; CM_ERANGE (a plan is infeasible within its
   * bound) or CM_EINVAL (a plan the solver cannot take, e.g. csp on a
   * non-chain): the caller's setting; CM_EIO (a plan without a usable
   * provider, a run that could not start) or CM_ENOSYS (the backend
   * refused a request: no invoker or no storage): the world's. msg: the
   * first failure, one line (NULL when status is 0). Plans after an
   * infeasible one still run; a CM_ENOSYS or CM_EINVAL stops at once. */
  void (*done)(void *arg, int status, const char *msg);
  void *arg;
};

typedef struct planner planner;

/* Check cfg and start: the first request is sent from the loop. NULL with
 * *err (one line) on a bad config. Run the env until done is called. */
planner *planner_start(env *e, const struct planner_config *cfg, const struct planner_observer *obs, char **err);
/* Free, after done (NULL is a no-op). Before done only while no workflow
 * run is in flight (the executor cannot be cancelled): the benchmark's
 * requests in flight and the round timer are cancelled. */
void planner_free(planner *p);

/* What planner_estimate.c simulates, exposed for tests and benches: the
 * placed DAG's mean time over nruns runs. call_s, exec_s: [node] the call's
 * latency and platform time on its provider; cold_s: [node] the cold start
 * it pays when no container is idle; warm: [node] containers of its
 * (function, provider) warm at the start, shared by nodes of one function
 * (pool: [node] an index shared by the nodes of that pool, < nnodes);
 * read_s[edge], write_s[node] (its slowest write). slots, per_container:
 * [provider]. */
struct planner_sim {
  const dag *d;
  const struct dagexec_place *place;
  const double *call_s, *exec_s, *cold_s, *write_s, *read_s;
  const uint32_t *pool, *warm;
  const uint32_t *slots, *per_container;
  uint32_t nproviders;
  uint32_t *containers_out;   /* NULL, or [pool]: containers of each pool after the runs */
};
double planner_simulate(const struct planner_sim *s, uint32_t nruns);

const char *planner_solver_name(enum planner_solver s);

#endif
