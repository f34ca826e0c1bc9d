/* The planner's model (planner.h, steps 2 and 3): the search space of a
 * plan over its usable providers, the storage heuristic, the solvers with
 * the exact one's time limit, gap and fallback, the contention-aware
 * estimate of a placement, and the cost-time front. */
#include "cloudless/planner_impl.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Moving u's output from provider pu to pv through store s: time and $. */
static double xfer_time(const planner *p, uint32_t u, uint32_t pu, uint32_t pv, uint32_t s) {
  return p->w[planner__wr(p, u, pu, s)] + p->r[planner__wr(p, u, pv, s)];
}

static double xfer_cost(const planner *p, uint32_t u, uint32_t pv, uint32_t s) {
  const struct storage_price *pr = &p->cfg.stores[s].price;
  double usd = pr->usd_per_write + pr->usd_per_read;
  const char *sc = p->cfg.stores[s].cloud, *vc = p->cfg.providers[pv].cloud;
  if (*sc && strcmp(sc, vc) != 0) usd += (double)dag_node(p->cfg.d, u)->out_bytes / STORAGE_COST_GB * pr->usd_per_gb_egress;
  return usd;
}

/* A persist node's writes to every cloud store, in parallel: the slowest. */
static double persist_time(const planner *p, uint32_t u, uint32_t pu) {
  double t = 0;
  for (uint32_t i = 0; i < p->npersist; i++) t = fmax(t, p->w[planner__wr(p, u, pu, p->persist[i])]);
  return t;
}

static double persist_cost(const planner *p) {
  double usd = 0;
  for (uint32_t i = 0; i < p->npersist; i++) usd += p->cfg.stores[p->persist[i]].price.usd_per_write;
  return usd;
}

/* The storage heuristic: the store for moving u's output from pu to pv, by
 * measured write and read time, then cost (cost first when minimising it). */
static uint32_t best_store(const planner *p, uint32_t u, uint32_t pu, uint32_t pv, bool cost_first) {
  uint32_t best = 0;
  for (uint32_t s = 1; s < p->ns; s++) {
    double t = xfer_time(p, u, pu, pv, s), tb = xfer_time(p, u, pu, pv, best);
    double c = xfer_cost(p, u, pv, s), cb = xfer_cost(p, u, pv, best);
    if (!isfinite(t)) continue;
    if (!isfinite(tb) || (cost_first ? c < cb || (c == cb && t < tb) : t < tb || (t == tb && c < cb))) best = s;
  }
  return best;
}

struct space {
  struct place_problem *pr;
  uint32_t **cand; /* [node][k]: provider */
};

static void space_free(struct space *sp, size_t n) {
  place_problem_free(sp->pr);
  if (sp->cand)
    for (size_t v = 0; v < n; v++) g_free(sp->cand[v]);
  g_free(sp->cand);
  sp->pr = NULL;
  sp->cand = NULL;
}

/* The plan's search space over its usable providers; CM_EIO with
 * p->reason when a node has none. */
static int space_build(planner *p, struct space *sp) {
  sp->cand = g_new0(uint32_t *, p->n);
  uint32_t *npl = g_new0(uint32_t, p->n);
  for (size_t v = 0; v < p->n; v++) {
    sp->cand[v] = g_new0(uint32_t, p->nallowed);
    bool persist = dag_node(p->cfg.d, v)->persist;
    for (uint32_t k = 0; k < p->nallowed; k++) {
      uint32_t q = p->allowed[k];
      if (p->ok[v * p->np + q] && (!persist || isfinite(persist_time(p, (uint32_t)v, q)))) sp->cand[v][npl[v]++] = q;
    }
    if (npl[v] == 0) {
      GString *why = g_string_new("");
      for (uint32_t k = 0; k < p->nallowed && why->len < 160; k++) {
        uint32_t q = p->allowed[k];
        const char *w = p->ok[v * p->np + q] ? "cannot write to any cloud store" : p->why[v * p->np + q];
        g_string_append_printf(why, "%s%s: %s", k ? ", " : "", p->cfg.providers[q].name, w ? w : "failed");
      }
      snprintf(p->reason, sizeof p->reason, "node '%s' has no usable provider (every benchmark call failed: %s)",
               dag_node(p->cfg.d, v)->name, why->str);
      g_string_free(why, TRUE);
      g_free(npl);
      return CM_EIO;
    }
  }
  char *err = NULL;
  sp->pr = place_problem_new(p->cfg.d, npl, &err);
  g_free(npl);
  if (!sp->pr) {
    snprintf(p->reason, sizeof p->reason, "%s", err);
    g_free(err);
    return CM_EINVAL;
  }
  struct place_problem *pr = sp->pr;
  for (size_t v = 0; v < p->n; v++)
    for (uint32_t k = 0; k < pr->nplace[v]; k++) {
      uint32_t q = sp->cand[v][k];
      bool persist = dag_node(p->cfg.d, v)->persist;
      pr->time[v][k] = p->t[v * p->np + q] + (persist ? persist_time(p, (uint32_t)v, q) : 0);
      pr->cost[v][k] = p->usd[v * p->np + q] + (persist ? persist_cost(p) : 0);
    }
  bool cost_first = p->pl->objective == PLACE_MIN_COST;
  for (size_t e = 0; e < pr->nedges; e++) {
    uint32_t u = pr->edge_from[e], v = pr->edge_to[e], nl = pr->nplace[v];
    for (uint32_t k = 0; k < pr->nplace[u]; k++)
      for (uint32_t l = 0; l < nl; l++) {
        uint32_t pu = sp->cand[u][k], pv = sp->cand[v][l];
        uint32_t s = best_store(p, u, pu, pv, cost_first);
        double t = xfer_time(p, u, pu, pv, s);
        pr->xfer_time[e][k * nl + l] = isfinite(t) ? t : INFINITY; /* INFINITY: forbidden */
        pr->xfer_cost[e][k * nl + l] = isfinite(t) ? xfer_cost(p, u, pv, s) : 0;
      }
  }
  return 0;
}

/* The placement of providers choice: each output's store, the one best for
 * its slowest reader (least time) or all its readers (least cost). */
static void stores_of(const planner *p, const uint32_t *choice, struct dagexec_place *place) {
  bool by_cost = p->pl->objective == PLACE_MIN_COST;
  for (size_t u = 0; u < p->n; u++) {
    uint32_t pu = choice[u];
    place[u] = (struct dagexec_place){.provider = pu, .bin = p->cfg.providers[pu].bin};
    size_t nch;
    const uint32_t *ch = dag_children(p->cfg.d, u, &nch);
    double best = INFINITY;
    for (uint32_t s = 0; s < p->ns; s++) {
      double score = 0;
      for (size_t i = 0; i < nch; i++) {
        double tt = xfer_time(p, (uint32_t)u, pu, choice[ch[i]], s);
        if (by_cost)
          score += isfinite(tt) ? xfer_cost(p, (uint32_t)u, choice[ch[i]], s) : INFINITY;
        else if (tt > score)
          score = tt;
      }
      if (score < best) {
        best = score;
        place[u].store = s;
      }
    }
  }
}

static bool in_list(const uint32_t *l, uint32_t n, uint32_t x) {
  for (uint32_t i = 0; i < n; i++)
    if (l[i] == x) return true;
  return false;
}

double planner__estimate(planner *p, const struct dagexec_place *pl, uint32_t nruns, bool commit) {
  size_t n = p->n, ne = dag_edges(p->cfg.d);
  double *call = g_new(double, n), *ex = g_new(double, n), *cold = g_new(double, n), *wr = g_new(double, n);
  double *rd = g_new0(double, ne + 1);
  uint32_t *pool = g_new(uint32_t, n), *warm = g_new(uint32_t, n), *out = g_new0(uint32_t, n);
  uint32_t *slots = g_new(uint32_t, p->np), *cc = g_new(uint32_t, p->np);
  for (uint32_t q = 0; q < p->np; q++) {
    slots[q] = p->cfg.providers[q].slots;
    cc[q] = p->cfg.providers[q].per_container;
  }
  /* pools: the nodes of one function on one provider share containers */
  size_t e = 0;
  for (size_t v = 0; v < n; v++) {
    uint32_t q = pl[v].provider;
    size_t i = v * p->np + q, pi = (size_t)p->fn[v] * p->np + q;
    call[v] = p->t[i];
    ex[v] = p->exec[i];
    cold[v] = p->cold[pi];
    warm[v] = p->warm[pi];
    pool[v] = (uint32_t)v;
    for (size_t u = 0; u < v; u++)
      if (p->fn[u] == p->fn[v] && pl[u].provider == q) {
        pool[v] = pool[u];
        break;
      }
    size_t nch, npar;
    dag_children(p->cfg.d, v, &nch);
    const uint32_t *par = dag_parents(p->cfg.d, v, &npar);
    uint32_t tg[64], nt = 0;
    if (nch) tg[nt++] = pl[v].store;
    for (uint32_t b = 0; b < p->cfg.nbackup && nt < 64; b++)
      if (!in_list(tg, nt, p->cfg.backup[b])) tg[nt++] = p->cfg.backup[b];
    if (dag_node(p->cfg.d, v)->persist)
      for (uint32_t b = 0; b < p->npersist && nt < 64; b++)
        if (!in_list(tg, nt, p->persist[b])) tg[nt++] = p->persist[b];
    wr[v] = 0;
    for (uint32_t b = 0; b < nt; b++) wr[v] = fmax(wr[v], p->w[planner__wr(p, v, q, tg[b])]);
    for (size_t j = 0; j < npar; j++, e++) rd[e] = p->r[planner__wr(p, par[j], q, pl[par[j]].store)];
  }
  struct planner_sim s = {.d = p->cfg.d, .place = pl, .call_s = call, .exec_s = ex, .cold_s = cold, .write_s = wr,
                          .read_s = rd, .pool = pool, .warm = warm, .slots = slots, .per_container = cc,
                          .nproviders = p->np, .containers_out = out};
  double t = planner_simulate(&s, nruns);
  for (size_t v = 0; commit && v < n; v++) {
    size_t pi = (size_t)p->fn[v] * p->np + pl[v].provider;
    if (out[pool[v]] > p->warm[pi]) p->warm[pi] = out[pool[v]];
  }
  g_free(call);
  g_free(ex);
  g_free(cold);
  g_free(wr);
  g_free(rd);
  g_free(pool);
  g_free(warm);
  g_free(out);
  g_free(slots);
  g_free(cc);
  return t;
}

/* Among the optimal placements, the best on the other objective: a second
 * exact solve bounded by the first optimum, in ms; past that, local moves
 * from the first optimum within its value. Kept when better on the other
 * objective (any it finds is optimal on the first, by its bound). */
static void tie_break(const struct place_problem *pr, enum place_objective obj, int ms,
                      struct place_solution *sol) {
  enum place_objective other = obj == PLACE_MIN_TIME ? PLACE_MIN_COST : PLACE_MIN_TIME;
  double bound = (obj == PLACE_MIN_TIME ? sol->time : sol->cost) * (1 + 1e-9);
  uint32_t *c = g_new(uint32_t, pr->nnodes);
  struct place_solution t = {.place = c};
  bool exact = ms > 0 && place_solve_ilp(pr, other, bound, ms, &t, NULL) == 0 && t.optimal;
  if (!exact) { /* out of time: local moves from the optimum found, within its value */
    memcpy(c, sol->place, pr->nnodes * sizeof *c);
    place_local_search(pr, other, bound, &t);
  }
  if (other == PLACE_MIN_COST ? t.cost < sol->cost : t.time < sol->time) {
    memcpy(sol->place, c, pr->nnodes * sizeof *c);
    sol->time = t.time;
    sol->cost = t.cost;
  }
  g_free(c);
}

/* Solve the space for the plan: 0, CM_ERANGE (nothing within the bound),
 * CM_EINVAL (the solver cannot take it), p->reason set on failure. */
static int solve_space(planner *p, const struct space *sp, enum place_objective obj, double bound,
                       struct place_solution *sol) {
  char *err = NULL;
  int rc = 0;
  enum planner_solver solver = p->pl->solver;
  if (solver == PLANNER_EXACT) {
    int64_t t0 = env_wall_ns(p->e); /* the limit is GLPK's wall time: shared by both solves */
    int limit_ms = (int)fmax(1, p->cfg.time_limit_s * 1e3);
    rc = place_solve_ilp(sp->pr, obj, bound, limit_ms, sol, &err);
    int took_ms = (int)((env_wall_ns(p->e) - t0) / 1000000);
    /* the tie-break is a refinement: at most twice the first solve (GLPK
     * overshoots its limit by its LP relaxation on large programs) */
    int tb_ms = (int)fmin(limit_ms - took_ms, fmax(100, 2.0 * took_ms));
    if (rc == 0 && sol->optimal) tie_break(sp->pr, obj, tb_ms, sol);
    if (rc == CM_EIO) { /* no integer solution in time: local search within the bound, rated by GLPK's bound */
      double lb = sol->best_bound;
      sol->place[0] = UINT32_MAX; /* start from the per-function placements */
      rc = place_local_search(sp->pr, obj, bound, sol);
      double v = obj == PLACE_MIN_TIME ? sol->time : sol->cost;
      sol->best_bound = lb;
      sol->gap = isfinite(lb) && v > 0 ? fmax(0, (v - lb) / v) : NAN;
      if (rc != 0) {
        g_free(err);
        err = g_strdup_printf("GLPK found no placement within time_limit_s = %g s, and the local search none within "
                              "the %s of %g %s", p->cfg.time_limit_s, obj == PLACE_MIN_TIME ? "budget" : "deadline",
                              bound, obj == PLACE_MIN_TIME ? "$" : "s");
      }
    }
  } else if (solver == PLANNER_CSP) {
    rc = place_solve_csp(sp->pr, obj, bound, sol, &err);
  } else {
    place_heuristic(sp->pr, obj, sol);
  }
  if (rc == 0 && !isfinite(sol->time)) {
    rc = CM_ERANGE;
    snprintf(p->reason, sizeof p->reason, "the %s placement moves an output between providers no store joins",
             solver == PLANNER_HEURISTIC ? "heuristic's" : "solver's");
  } else if (rc == 0 && solver == PLANNER_HEURISTIC && (obj == PLACE_MIN_TIME ? sol->cost : sol->time) > bound) {
    rc = CM_ERANGE;
    snprintf(p->reason, sizeof p->reason, "the per-function heuristic's placement breaks the %s of %g %s",
             obj == PLACE_MIN_TIME ? "budget" : "deadline", bound, obj == PLACE_MIN_TIME ? "$" : "s");
  } else if (rc != 0) {
    snprintf(p->reason, sizeof p->reason, "%s", err ? err : "no placement");
  }
  g_free(err);
  return rc;
}

static uint32_t est_runs(const planner *p, double path_s) {
  if (!p->cfg.replan) return p->cfg.runs;
  double k = cm_time_to_s(p->cfg.replan) / fmax(path_s, 1e-3);
  return k < 1 ? 1 : k > 1000 ? 1000 : (uint32_t)k;
}

int planner__solve(planner *p) {
  struct space sp = {0};
  struct planner_row *row = &p->row;
  p->failure[0] = 0;
  *row = (struct planner_row){.plan = p->pl, .at = env_now(p->e), .estimate_s = NAN, .path_s = NAN,
                              .cost_usd = NAN, .gap = NAN, .time_s = NAN, .time_sd_s = NAN};
  int rc = space_build(p, &sp);
  if (rc == 0) {
    uint32_t *k = g_new0(uint32_t, p->n);
    struct place_solution sol = {.place = k};
    int64_t t0 = env_wall_ns(p->e);
    rc = solve_space(p, &sp, p->pl->objective, p->pl->bound, &sol);
    row->solve_s = (double)(env_wall_ns(p->e) - t0) / 1e9;
    if (rc == 0) {
      for (size_t v = 0; v < p->n; v++) p->choice[v] = sp.cand[v][k[v]];
      stores_of(p, p->choice, p->place);
      row->feasible = true;
      row->path_s = sol.time;
      row->cost_usd = sol.cost;
      row->optimal = sol.optimal;
      row->gap = sol.gap;
      row->place = p->place;
      row->estimate_s = planner__estimate(p, p->place, est_runs(p, sol.time), true);
    }
    g_free(k);
  }
  if (rc != 0) row->reason = p->reason;
  space_free(&sp, p->n);
  return rc;
}

int planner__pareto(planner *p) {
  struct space sp = {0};
  int rc = space_build(p, &sp);
  uint32_t *k = g_new0(uint32_t, p->n), *prov = g_new0(uint32_t, p->n);
  struct place_solution cheap = {.place = k}, fast = {.place = k};
  struct planner_plan exact = *p->pl;
  exact.solver = PLANNER_EXACT;
  p->pl = &exact;
  if (rc == 0) rc = solve_space(p, &sp, PLACE_MIN_COST, INFINITY, &cheap);
  if (rc == 0) rc = solve_space(p, &sp, PLACE_MIN_TIME, INFINITY, &fast);
  uint32_t points = p->cfg.pareto_points;
  for (uint32_t i = 0; rc == 0 && i < points; i++) {
    double b = points > 1 ? cheap.cost + (fast.cost - cheap.cost) * i / (points - 1) : fast.cost;
    struct place_solution sol = {.place = k};
    if ((rc = solve_space(p, &sp, PLACE_MIN_TIME, b * (1 + 1e-9), &sol)) != 0) break;
    for (size_t v = 0; v < p->n; v++) prov[v] = sp.cand[v][k[v]];
    struct planner_point pt = {.plan = &p->cfg.plans[p->plan], .budget_usd = b,
                               .time_s = sol.time, .cost_usd = sol.cost, .provider = prov};
    if (p->obs.point) p->obs.point(p->obs.arg, &pt);
  }
  p->pl = &p->cfg.plans[p->plan];
  g_free(k);
  g_free(prov);
  space_free(&sp, p->n);
  return rc;
}
