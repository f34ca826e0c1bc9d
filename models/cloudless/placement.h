/* Periodic placement of a workflow DAG (seed 5.1.4, Fig. 3, and 6.4 /
 * Table 1): choose, for every function of the DAG, one candidate placement
 * (a provider and compute bin) so as to minimise end-to-end time under a
 * budget, or cost under a deadline.
 *
 * The search space (Fig. 3): node n has nplace[n] candidates k with an
 * execution time and cost; edge u -> v has a transfer time and cost for each
 * pair (k of u, l of v), computed by the caller (storage choice and network,
 * 0 when both run on the same provider); sources add the client's input
 * transfer, sinks the transfer of their output back to the client.
 *
 * End-to-end time is the critical path with fork and join:
 *   start(v)  = input(v) for a source, else max over parents u of
 *               finish(u) + transfer(u -> v);
 *   finish(v) = start(v) + exec(v);
 *   makespan  = max over sinks v of finish(v) + output(v).
 * Cost is the sum of every node's, edge's, input's and output's cost.
 *
 * Three solvers:
 *  - place_heuristic: the seed's per-function rule, each node on its own
 *    fastest (or cheapest) candidate, transfers ignored;
 *  - place_solve_ilp: exact, an integer program solved by GLPK. Binaries
 *    x[n][k] (sum_k x = 1); per edge, pair variables y[e][k][l] >= 0 whose
 *    row sums are x[u][k] and column sums x[v][l], so y is the product
 *    x[u][k] x[v][l] without being declared integer; continuous start
 *    times with one row per source, edge and sink as above; a makespan
 *    variable. Objective and bound are the makespan and the cost row, or the
 *    other way round;
 *  - place_solve_csp: exact on chains only, the seed's constrained shortest
 *    path: label setting over (node, placement) keeping the Pareto-optimal
 *    (time, cost) labels, pruned by the bound.
 *
 * Times are seconds, costs dollars; every value must be finite and >= 0,
 * except a transfer time of INFINITY: that pair (k of u, l of v) is
 * forbidden (no store both can use; its cost is then ignored), so no solver
 * picks it, and place_evaluate gives such an assignment time INFINITY.
 * Solvers return 0, CM_EINVAL (bad problem or bound, or a non-chain for the
 * CSP), CM_ERANGE (infeasible: no assignment meets the budget or deadline)
 * or CM_EIO (GLPK failed, hit its time limit before any solution, or kept
 * overshooting the bound beyond its tolerance); with err not NULL a failure
 * sets *err to a message (g_free it). */
#ifndef CLOUDLESS_PLACEMENT_H
#define CLOUDLESS_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudless/dag.h"

/* Filled in by the caller after place_problem_new, which allocates every
 * array (zeroed) and the edge numbering. The DAG is borrowed, must be sealed
 * and must outlive the problem. Edges are numbered child by child in node
 * order, each child's parents in dag_parents order: the edges into v are
 * in_edge[v] .. in_edge[v + 1] - 1. */
struct place_problem {
  const dag *d;
  size_t nnodes, nedges;
  uint32_t *nplace;               /* [node]: candidates, >= 1 */
  double **time, **cost;          /* [node][k]: execution s and $ */
  double **in_time, **in_cost;    /* [node][k]: client -> node, read for sources only */
  double **out_time, **out_cost;  /* [node][k]: node -> client, read for sinks only */
  uint32_t *edge_from, *edge_to;  /* [edge]: parent u and child v */
  uint32_t *in_edge;              /* [node + 1] */
  double **xfer_time, **xfer_cost; /* [edge][k * nplace[v] + l]: u on k, v on l */
};

/* An assignment and its value. place points to the caller's array of
 * nnodes entries; the solvers fill it, place_evaluate reads it. */
struct place_solution {
  uint32_t *place; /* [node]: candidate index */
  double time;     /* end-to-end s */
  double cost;     /* total $ */
  bool optimal;    /* false when the ILP stopped at its time limit with a solution */
  double best_bound; /* ILP: GLPK's proven lower bound on the objective (s or $) when it stopped; NAN unknown */
  double gap;        /* ILP: (value - best_bound) / value, 0 when optimal; NAN unknown */
};

enum place_objective {
  PLACE_MIN_TIME, /* minimise time, bound = budget in $ */
  PLACE_MIN_COST, /* minimise cost, bound = deadline in s */
};

/* A problem for sealed d with nplace[n] candidates for node n (copied);
 * NULL with *err on a zero count. Free with place_problem_free. */
struct place_problem *place_problem_new(const dag *d, const uint32_t *nplace, char **err);
void place_problem_free(struct place_problem *p);
/* Index of edge from -> to, or -1. */
int place_problem_edge(const struct place_problem *p, uint32_t from, uint32_t to);
/* 0, or CM_EINVAL with *err naming the first negative or non-finite value. */
int place_problem_check(const struct place_problem *p, char **err);

/* Time and cost of the assignment s->place: 0, or CM_EINVAL for an index
 * out of range. */
int place_evaluate(const struct place_problem *p, struct place_solution *s);

/* The per-function heuristic for obj (it ignores transfers and the bound;
 * the caller checks s against its bound). Ties go to the lower index. */
void place_heuristic(const struct place_problem *p, enum place_objective obj, struct place_solution *s);

/* A placement within the bound by local search (the exact solver's
 * fallback): from s->place when it is one within the bound, else the
 * per-function heuristic for obj, or for the other objective when that
 * breaks the bound; then sweeps moving one node at a
 * time to its best candidate within the bound until none improves. 0, or
 * CM_ERANGE when neither start meets the bound. s->optimal false, gap NAN. */
int place_local_search(const struct place_problem *p, enum place_objective obj, double bound,
                       struct place_solution *s);

/* Exact optimum for obj with s.time <= bound (PLACE_MIN_COST) or s.cost <=
 * bound (PLACE_MIN_TIME); bound INFINITY for none. time_limit_ms (> 0) caps
 * GLPK's branch and bound (wall time): past it the best integer solution
 * found is returned with s->optimal false and s->gap its proven optimality
 * gap (from GLPK's best node bound); with none found, CM_EIO
 * ("time limit reached") and s->best_bound still set when GLPK had one, so
 * the caller can rate a fallback. The bound holds to 1e-9 of its value,
 * measured with place_evaluate. */
int place_solve_ilp(const struct place_problem *p, enum place_objective obj, double bound, int time_limit_ms,
                    struct place_solution *s, char **err);

/* The same optimum by constrained shortest path, for chains (dag_is_chain);
 * the bound is exact. */
int place_solve_csp(const struct place_problem *p, enum place_objective obj, double bound,
                    struct place_solution *s, char **err);

#endif
