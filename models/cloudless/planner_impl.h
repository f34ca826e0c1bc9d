/* What planner.c, planner_bench.c and planner_model.c share: the planner's
 * state (benchmarks, the current plan and round) and their internal calls. */
#ifndef CM_CLOUDLESS_PLANNER_IMPL_H
#define CM_CLOUDLESS_PLANNER_IMPL_H

#include "cloudless/planner.h"

struct planner {
  env *e;
  struct planner_config cfg;
  struct planner_observer obs;
  size_t n;
  uint32_t np, ns;
  /* benchmarks: [node * np + p] */
  double *t, *exec, *usd;
  bool *ok;
  const char **why;           /* a failed benchmark's reason (static) */
  /* [wr_at(node, provider, store)]: write / read time of node's output (s); INFINITY: unusable */
  double *w, *r;
  /* per (function, provider) pool, [pool_of(node) * np + p] */
  uint32_t *fn;               /* [node]: index of the first node with its function */
  double *cold;               /* cold start measured (s) */
  uint32_t *warm;             /* containers known warm */
  uint32_t *persist;          /* stores with a cloud */
  uint32_t npersist;
  /* the benchmark in progress */
  void *bsteps;               /* GArray of steps (planner_bench.c) */
  request_id breq[2];         /* in flight, 0 = none */
  bool breq_store;            /* breq[0] is a storage request */
  size_t bstep;
  uint32_t bk, bpending;
  double blat, busd, bexec;
  uint32_t bgood;
  cm_time bissued;
  bool bput;
  bool bdel; /* the step's delete of its benchmark object, after the get */
  void (*bench_done)(planner *p);
  /* the plan in progress */
  uint32_t plan;
  const struct planner_plan *pl;
  uint32_t *allowed, nallowed;
  cm_time round_at, round_end, end;
  bool first_round;
  uint32_t *choice, *prev;    /* [node]: provider */
  struct dagexec_place *place, *old;
  struct dagexec_place *again; /* a resumed run's placement: unfinished outputs to the first backup store */
  bool have_old;
  struct planner_row row;
  char reason[256];
  double sum, sum2;
  bool *finished;
  uint32_t attempt;
  cm_time run_start;
  char prefix[96];            /* the run's object keys */
  char failure[256];          /* the row's first failure (struct planner_row.failure) */
  timer_id timer;
  int status;
  char *msg;
  bool stopped;
};

static inline size_t planner__wr(const planner *p, size_t u, uint32_t loc, uint32_t s) {
  return (u * p->np + loc) * p->ns + s;
}

/* planner_bench.c: benchmark every node on every provider and store, then
 * call then(p). */
void planner__bench(planner *p, void (*then)(planner *p));

/* planner_model.c */
/* Solve the current plan into p->choice (providers), p->place (with
 * stores) and p->row (feasible, reason, estimate, path, cost, gap); 0, or
 * the CM_E* code of an infeasible or unsolvable plan (reason in p->reason). */
int planner__solve(planner *p);
/* The estimate of placement pl (one per node) under the current benchmarks
 * over nruns runs; updates the warm containers when commit. */
double planner__estimate(planner *p, const struct dagexec_place *pl, uint32_t nruns, bool commit);
/* The current plan's cost-time front to the observer; 0 or a CM_E* code
 * with p->reason. */
int planner__pareto(planner *p);

/* planner.c: the first failure wins; stop at once when fatal. */
void planner__fail(planner *p, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "ok", "error", "throttled", "timeout", "network" (planner_bench.c). */
const char *planner__status_word(enum invoke_status s);

#endif
