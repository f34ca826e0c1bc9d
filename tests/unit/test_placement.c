/* Periodic placement (models/cloudless/placement.h): the critical path with
 * fork and join by hand; the ILP against brute force over every assignment
 * of random small DAGs, both objectives, random budgets and deadlines (some
 * infeasible); the constrained shortest path against brute force on random
 * chains; the per-function heuristic never beating the optimum, with its gap
 * printed; the bounded local search within the bound and never better than
 * the optimum; a forbidden pair never chosen; and the errors. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless/dag.h"
#include "cloudless/placement.h"
#include "rng.h"

#define TIME_LIMIT_MS 10000
#define RTOL 1e-9

static void add(dag *d, const char *name) {
  struct dag_node n = {0};
  g_strlcpy(n.name, name, sizeof n.name);
  g_strlcpy(n.function, name, sizeof n.function);
  assert_true(dag_add_node(d, &n, NULL) >= 0);
}

static void edge(dag *d, const char *a, const char *b) { assert_int_equal(dag_add_edge(d, a, b, NULL), 0); }

static void set_xfer(struct place_problem *p, const dag *d, const char *a, const char *b, double t, double c) {
  int e = place_problem_edge(p, (uint32_t)dag_find(d, a), (uint32_t)dag_find(d, b));
  assert_true(e >= 0);
  p->xfer_time[e][0] = t;
  p->xfer_cost[e][0] = c;
}

/* Fig. 7 with one placement a node: the join waits for the slower branch
 * (vgg's, through its slow transfer), and every cost is counted once. */
static void test_fork_join(void **state CM_UNUSED) {
  dag *d = dag_new();
  add(d, "preprocess");
  add(d, "resnet");
  add(d, "vgg");
  add(d, "persist");
  edge(d, "preprocess", "resnet");
  edge(d, "preprocess", "vgg");
  edge(d, "resnet", "persist");
  edge(d, "vgg", "persist");
  assert_int_equal(dag_seal(d, NULL), 0);
  struct place_problem *p = place_problem_new(d, (uint32_t[]){1, 1, 1, 1}, NULL);
  assert_non_null(p);
  assert_int_equal(p->nedges, 4);
  const double t[] = {2, 3, 1, 1}, c[] = {1, 2, 4, 8};
  for (int n = 0; n < 4; n++) {
    p->time[n][0] = t[n];
    p->cost[n][0] = c[n];
    p->in_time[n][0] = n == 0 ? 1 : 100; /* read for the source only */
    p->in_cost[n][0] = n == 0 ? 16 : 100;
    p->out_time[n][0] = n == 3 ? 0.5 : 100; /* read for the sink only */
    p->out_cost[n][0] = n == 3 ? 32 : 100;
  }
  set_xfer(p, d, "preprocess", "resnet", 0.5, 64);
  set_xfer(p, d, "preprocess", "vgg", 1.5, 128);
  set_xfer(p, d, "resnet", "persist", 0.25, 256);
  set_xfer(p, d, "vgg", "persist", 2, 512);
  assert_int_equal(place_problem_edge(p, 3, 0), -1);
  uint32_t place[4] = {0};
  struct place_solution s = {.place = place};
  assert_int_equal(place_evaluate(p, &s), 0);
  /* preprocess 1..3; resnet 3.5..6.5; vgg 4.5..5.5; persist from
   * max(6.5 + 0.25, 5.5 + 2) = 7.5 to 8.5; output 0.5 */
  assert_true(s.time == 9.0);
  assert_true(s.cost == 1023.0);
  place[2] = 1;
  assert_int_equal(place_evaluate(p, &s), CM_EINVAL);
  place_problem_free(p);
  dag_free(d);
}

/* Two sources and two sinks: each source starts at its own input time,
 * the makespan is the latest sink plus its output. */
static void test_many_sources_sinks(void **state CM_UNUSED) {
  dag *d = dag_new();
  add(d, "a");
  add(d, "b");
  add(d, "c");
  add(d, "x");
  add(d, "y");
  edge(d, "a", "c");
  edge(d, "b", "c");
  edge(d, "c", "x");
  edge(d, "c", "y");
  assert_int_equal(dag_seal(d, NULL), 0);
  struct place_problem *p = place_problem_new(d, (uint32_t[]){1, 1, 1, 1, 1}, NULL);
  const double t[] = {1, 1, 1, 1, 3}, in[] = {5, 1, 0, 0, 0}, out[] = {0, 0, 0, 4, 1};
  for (int n = 0; n < 5; n++) {
    p->time[n][0] = t[n];
    p->in_time[n][0] = in[n];
    p->out_time[n][0] = out[n];
    p->in_cost[n][0] = p->out_cost[n][0] = 1;
  }
  uint32_t place[5] = {0};
  struct place_solution s = {.place = place};
  assert_int_equal(place_evaluate(p, &s), 0);
  /* c starts at max(5 + 1, 1 + 1) = 6, ends 7; x: 8 + 4 = 12; y: 10 + 1 = 11 */
  assert_true(s.time == 12.0);
  assert_true(s.cost == 4.0); /* two inputs, two outputs */
  place_problem_free(p);
  dag_free(d);
}

static int solve(const struct place_problem *p, bool csp, enum place_objective obj, double bound,
                 struct place_solution *s) {
  return csp ? place_solve_csp(p, obj, bound, s, NULL) : place_solve_ilp(p, obj, bound, TIME_LIMIT_MS, s, NULL);
}

/* One node, a fast dear candidate and a slow cheap one. */
static void test_single_node(void **state CM_UNUSED) {
  dag *d = dag_new();
  add(d, "f");
  assert_int_equal(dag_seal(d, NULL), 0);
  struct place_problem *p = place_problem_new(d, (uint32_t[]){2}, NULL);
  p->time[0][0] = 1, p->cost[0][0] = 3;
  p->time[0][1] = 2, p->cost[0][1] = 1;
  p->in_time[0][0] = p->in_time[0][1] = 0.5;
  p->out_time[0][0] = p->out_time[0][1] = 0.25;
  uint32_t place[1];
  struct place_solution s = {.place = place};
  for (int csp = 0; csp < 2; csp++) {
    assert_int_equal(solve(p, csp, PLACE_MIN_TIME, INFINITY, &s), 0);
    assert_int_equal(place[0], 0);
    assert_true(s.time == 1.75 && s.cost == 3 && s.optimal);
    assert_int_equal(solve(p, csp, PLACE_MIN_TIME, 2.5, &s), 0);
    assert_int_equal(place[0], 1);
    assert_int_equal(solve(p, csp, PLACE_MIN_TIME, 1, &s), 0); /* a bound met exactly */
    assert_int_equal(place[0], 1);
    assert_int_equal(solve(p, csp, PLACE_MIN_COST, INFINITY, &s), 0);
    assert_int_equal(place[0], 1);
    assert_int_equal(solve(p, csp, PLACE_MIN_COST, 2, &s), 0);
    assert_int_equal(place[0], 0);
  }
  place_heuristic(p, PLACE_MIN_COST, &s);
  assert_int_equal(place[0], 1);
  assert_true(s.time == 2.75);
  place_problem_free(p);
  dag_free(d);
}

static void test_infeasible_and_errors(void **state CM_UNUSED) {
  dag *d = dag_new();
  add(d, "a");
  add(d, "b");
  add(d, "c");
  edge(d, "a", "b");
  edge(d, "a", "c");
  assert_int_equal(dag_seal(d, NULL), 0);
  char *err = NULL;
  assert_null(place_problem_new(d, (uint32_t[]){2, 0, 1}, &err));
  assert_non_null(strstr(err, "'b' has no candidate"));
  g_free(err);
  struct place_problem *p = place_problem_new(d, (uint32_t[]){2, 2, 1}, NULL);
  for (int n = 0; n < 3; n++)
    for (uint32_t k = 0; k < p->nplace[n]; k++) p->time[n][k] = p->cost[n][k] = 1;
  uint32_t place[3];
  struct place_solution s = {.place = place};
  err = NULL;
  assert_int_equal(place_solve_ilp(p, PLACE_MIN_TIME, 2.5, TIME_LIMIT_MS, &s, &err), CM_ERANGE);
  assert_non_null(strstr(err, "no assignment meets the budget of 2.5 $"));
  g_free(err);
  err = NULL;
  assert_int_equal(place_solve_ilp(p, PLACE_MIN_COST, 1.5, TIME_LIMIT_MS, &s, &err), CM_ERANGE);
  assert_non_null(strstr(err, "deadline of 1.5 s"));
  g_free(err);
  assert_int_equal(place_solve_ilp(p, PLACE_MIN_TIME, 3, TIME_LIMIT_MS, &s, NULL), 0);
  assert_int_equal(place_solve_ilp(p, PLACE_MIN_TIME, NAN, TIME_LIMIT_MS, &s, NULL), CM_EINVAL);
  assert_int_equal(place_solve_ilp(p, PLACE_MIN_TIME, 3, 0, &s, NULL), CM_EINVAL);
  err = NULL;
  assert_int_equal(place_solve_csp(p, PLACE_MIN_TIME, 3, &s, &err), CM_EINVAL);
  assert_non_null(strstr(err, "chain"));
  g_free(err);
  p->xfer_time[place_problem_edge(p, 0, 2)][1] = -1;
  err = NULL;
  assert_int_equal(place_solve_ilp(p, PLACE_MIN_TIME, 3, TIME_LIMIT_MS, &s, &err), CM_EINVAL);
  assert_non_null(strstr(err, "edge 'a' -> 'c'"));
  g_free(err);
  p->xfer_time[place_problem_edge(p, 0, 2)][1] = 0;
  p->in_cost[0][1] = NAN;
  err = NULL;
  assert_int_equal(place_problem_check(p, &err), CM_EINVAL);
  assert_non_null(strstr(err, "node 'a' candidate 1: input cost"));
  g_free(err);
  place_problem_free(p);
  dag_free(d);
}

/* A random DAG of n nodes: edge perm[i] -> perm[j] (i < j) with
 * probability 0.5, or the chain perm[0] -> perm[1] -> ... */
static dag *random_dag(rng *r, size_t n, bool chain) {
  dag *d = dag_new();
  uint32_t perm[8];
  char name[24];
  for (size_t i = 0; i < n; i++) {
    snprintf(name, sizeof name, "f%zu", i);
    add(d, name);
    perm[i] = (uint32_t)i;
  }
  for (size_t i = n; i > 1; i--) {
    size_t j = rng_below(r, i), t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = (uint32_t)t;
  }
  char a[24], b[24];
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (chain ? j == i + 1 : rng_uniform(r) < 0.5) {
        snprintf(a, sizeof a, "f%u", perm[i]);
        snprintf(b, sizeof b, "f%u", perm[j]);
        edge(d, a, b);
      }
  assert_int_equal(dag_seal(d, NULL), 0);
  return d;
}

static struct place_problem *random_problem(rng *r, const dag *d) {
  uint32_t np[8];
  for (size_t n = 0; n < dag_size(d); n++) np[n] = 2 + (uint32_t)rng_below(r, 3);
  struct place_problem *p = place_problem_new(d, np, NULL);
  for (size_t n = 0; n < p->nnodes; n++)
    for (uint32_t k = 0; k < p->nplace[n]; k++) {
      p->time[n][k] = rng_uniform_range(r, 0.05, 3);
      p->cost[n][k] = rng_uniform_range(r, 1e-6, 1e-3);
      p->in_time[n][k] = rng_uniform_range(r, 0, 0.5);
      p->in_cost[n][k] = rng_uniform_range(r, 0, 1e-4);
      p->out_time[n][k] = rng_uniform_range(r, 0, 0.5);
      p->out_cost[n][k] = rng_uniform_range(r, 0, 1e-4);
    }
  for (size_t e = 0; e < p->nedges; e++) {
    uint32_t nv = p->nplace[p->edge_to[e]];
    for (uint32_t k = 0; k < p->nplace[p->edge_from[e]]; k++)
      for (uint32_t l = 0; l < nv; l++) {
        bool same = rng_uniform(r) < 0.3; /* as if on the same provider */
        p->xfer_time[e][k * nv + l] = same ? 0 : rng_uniform_range(r, 0, 1);
        p->xfer_cost[e][k * nv + l] = same ? 0 : rng_uniform_range(r, 0, 2e-4);
      }
  }
  return p;
}

/* Every assignment: the range of the constrained quantity, and the best
 * objective within bound (INFINITY if none). */
static double brute(const struct place_problem *p, enum place_objective obj, double bound, double *lo, double *hi) {
  uint32_t place[8] = {0};
  struct place_solution s = {.place = place};
  double best = INFINITY;
  *lo = INFINITY;
  *hi = 0;
  for (;;) {
    assert_int_equal(place_evaluate(p, &s), 0);
    double val = obj == PLACE_MIN_TIME ? s.time : s.cost, con = obj == PLACE_MIN_TIME ? s.cost : s.time;
    *lo = fmin(*lo, con);
    *hi = fmax(*hi, con);
    if (con <= bound) best = fmin(best, val);
    size_t n = 0;
    while (n < p->nnodes && ++place[n] == p->nplace[n]) place[n++] = 0;
    if (n == p->nnodes) return best;
  }
}

static double objective(enum place_objective obj, const struct place_solution *s) {
  return obj == PLACE_MIN_TIME ? s->time : s->cost;
}

/* The exact method (ILP, or CSP for chains) against brute force, with a
 * random bound from just under the smallest reachable value to the largest,
 * and with none. */
static void check_exact(const struct place_problem *p, rng *r, bool csp, int *infeasible) {
  uint32_t place[8];
  struct place_solution s = {.place = place};
  for (int o = 0; o < 2; o++) {
    enum place_objective obj = o ? PLACE_MIN_COST : PLACE_MIN_TIME;
    double lo, hi;
    brute(p, obj, INFINITY, &lo, &hi);
    double bounds[2] = {INFINITY, rng_uniform_range(r, lo - 0.15 * (hi - lo), hi)};
    for (int b = 0; b < 2; b++) {
      double want = brute(p, obj, bounds[b], &lo, &hi);
      char *err = NULL;
      int rc = csp ? place_solve_csp(p, obj, bounds[b], &s, &err)
                   : place_solve_ilp(p, obj, bounds[b], TIME_LIMIT_MS, &s, &err);
      if (isinf(want)) {
        assert_int_equal(rc, CM_ERANGE);
        assert_non_null(err);
        (*infeasible)++;
      } else {
        if (rc) fail_msg("%s: %s", csp ? "csp" : "ilp", err);
        assert_true(s.optimal);
        assert_true(s.gap == 0 && s.best_bound == objective(obj, &s));
        double got = objective(obj, &s), con = obj == PLACE_MIN_TIME ? s.cost : s.time;
        if (fabs(got - want) > RTOL * want) fail_msg("%s objective %.17g, brute force %.17g", csp ? "csp" : "ilp", got, want);
        assert_true(con <= bounds[b] * (1 + RTOL));
      }
      g_free(err);
      /* the bounded local search (the fallback past the time limit): within
       * the bound when it answers, never better than the optimum */
      uint32_t lp[8];
      struct place_solution ls = {.place = lp};
      lp[0] = UINT32_MAX;
      if (place_local_search(p, obj, bounds[b], &ls) == 0) {
        assert_true((obj == PLACE_MIN_TIME ? ls.cost : ls.time) <= bounds[b]);
        assert_true(objective(obj, &ls) >= want * (1 - RTOL));
        assert_false(ls.optimal);
      } else {
        assert_true(isinf(want) || isfinite(bounds[b]));
      }
    }
  }
}

static void test_ilp_vs_brute_force(void **state CM_UNUSED) {
  rng *r = rng_new(20240601, "test:placement:ilp");
  int infeasible = 0, worse[2] = {0}, runs = 300;
  double gap_sum[2] = {0}, gap_max[2] = {0};
  for (int i = 0; i < runs; i++) {
    dag *d = random_dag(r, 2 + rng_below(r, 5), false);
    struct place_problem *p = random_problem(r, d);
    check_exact(p, r, false, &infeasible);
    /* the heuristic against the unconstrained optimum of its objective */
    uint32_t hp[8], op[8];
    struct place_solution h = {.place = hp}, opt = {.place = op};
    for (int o = 0; o < 2; o++) {
      enum place_objective obj = o ? PLACE_MIN_COST : PLACE_MIN_TIME;
      place_heuristic(p, obj, &h);
      assert_int_equal(place_solve_ilp(p, obj, INFINITY, TIME_LIMIT_MS, &opt, NULL), 0);
      double gap = (objective(obj, &h) - objective(obj, &opt)) / objective(obj, &opt);
      assert_true(gap >= -RTOL);
      if (gap > RTOL) worse[o]++;
      gap_sum[o] += gap;
      gap_max[o] = fmax(gap_max[o], gap);
    }
    place_problem_free(p);
    dag_free(d);
  }
  assert_true(infeasible > 0);
  print_message("placement: %d random DAGs x 2 objectives x 2 bounds, ILP = brute force; %d infeasible bounds\n",
                runs, infeasible);
  for (int o = 0; o < 2; o++)
    print_message("placement: heuristic (%s) worse than the optimum on %d of %d DAGs; gap mean %.1f%% max %.1f%%\n",
                  o ? "cost" : "time", worse[o], runs, 100 * gap_sum[o] / runs, 100 * gap_max[o]);
  rng_free(r);
}

static void test_csp_vs_brute_force(void **state CM_UNUSED) {
  rng *r = rng_new(20240601, "test:placement:csp");
  int infeasible = 0;
  for (int i = 0; i < 250; i++) {
    dag *d = random_dag(r, 1 + rng_below(r, 6), true);
    assert_true(dag_is_chain(d));
    struct place_problem *p = random_problem(r, d);
    check_exact(p, r, true, &infeasible);
    check_exact(p, r, false, &infeasible);
    place_problem_free(p);
    dag_free(d);
  }
  assert_true(infeasible > 0);
  rng_free(r);
}

/* A pair no store joins (transfer time INFINITY) is never chosen, though
 * it would be the fastest and cheapest; a placement using it evaluates to
 * INFINITY. a -> b, two candidates each: (0, 0) forbidden. */
static void test_forbidden_pair(void **state CM_UNUSED) {
  dag *d = dag_new();
  add(d, "a");
  add(d, "b");
  edge(d, "a", "b");
  assert_int_equal(dag_seal(d, NULL), 0);
  struct place_problem *p = place_problem_new(d, (uint32_t[]){2, 2}, NULL);
  for (int n = 0; n < 2; n++) {
    p->time[n][0] = 1;
    p->time[n][1] = 2;
    p->cost[n][0] = 1;
    p->cost[n][1] = 2;
  }
  p->xfer_time[0][0] = INFINITY;
  assert_int_equal(place_problem_check(p, NULL), 0);
  uint32_t place[2] = {0, 0};
  struct place_solution s = {.place = place};
  assert_int_equal(place_evaluate(p, &s), 0);
  assert_true(isinf(s.time));
  for (int o = 0; o < 2; o++) {
    enum place_objective obj = o ? PLACE_MIN_COST : PLACE_MIN_TIME;
    assert_int_equal(place_solve_ilp(p, obj, INFINITY, TIME_LIMIT_MS, &s, NULL), 0);
    assert_true(isfinite(s.time) && !(place[0] == 0 && place[1] == 0));
    assert_true(objective(obj, &s) == 3);
    assert_int_equal(place_solve_csp(p, obj, INFINITY, &s, NULL), 0);
    assert_true(isfinite(s.time) && objective(obj, &s) == 3);
  }
  place_problem_free(p);
  dag_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fork_join),          cmocka_unit_test(test_many_sources_sinks),
      cmocka_unit_test(test_single_node),        cmocka_unit_test(test_infeasible_and_errors),
      cmocka_unit_test(test_ilp_vs_brute_force), cmocka_unit_test(test_forbidden_pair),
      cmocka_unit_test(test_csp_vs_brute_force),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
