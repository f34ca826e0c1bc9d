/* Periodic placement (see placement.h): the problem's storage, the
 * critical-path evaluation, the per-function heuristic and the exact
 * integer program on GLPK. The chain-only constrained shortest path is in
 * placement_csp.c. */
#include "cloudless/placement.h"

#include <glib.h>
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char **err, char *msg) {
  if (err)
    *err = msg;
  else
    g_free(msg);
}

/* nrows rows of len(i) zeroed doubles in one block, freed with free(). */
static double **alloc_rows(size_t nrows, const struct place_problem *p, bool per_edge) {
  size_t total = 0;
  for (size_t i = 0; i < nrows; i++)
    total += per_edge ? (size_t)p->nplace[p->edge_from[i]] * p->nplace[p->edge_to[i]] : p->nplace[i];
  size_t bytes = nrows * sizeof(double *) + total * sizeof(double);
  double **rows = calloc(1, bytes ? bytes : 1);
  if (!rows) cm_fatal(CM_LOC, "placement: out of memory");
  double *data = (double *)(rows + nrows);
  for (size_t i = 0; i < nrows; i++) {
    rows[i] = data;
    data += per_edge ? (size_t)p->nplace[p->edge_from[i]] * p->nplace[p->edge_to[i]] : p->nplace[i];
  }
  return rows;
}

struct place_problem *place_problem_new(const dag *d, const uint32_t *nplace, char **err) {
  size_t n = dag_size(d);
  for (size_t i = 0; i < n; i++)
    if (nplace[i] == 0) {
      set_err(err, g_strdup_printf("placement: node '%s' has no candidate placement", dag_node(d, i)->name));
      return NULL;
    }
  struct place_problem *p = calloc(1, sizeof *p);
  if (!p) cm_fatal(CM_LOC, "placement: out of memory");
  p->d = d;
  p->nnodes = n;
  p->nedges = dag_edges(d);
  p->nplace = malloc(n * sizeof *p->nplace);
  p->in_edge = malloc((n + 1) * sizeof *p->in_edge);
  p->edge_from = malloc((p->nedges + 1) * sizeof *p->edge_from);
  p->edge_to = malloc((p->nedges + 1) * sizeof *p->edge_to);
  if (!p->nplace || !p->in_edge || !p->edge_from || !p->edge_to) cm_fatal(CM_LOC, "placement: out of memory");
  memcpy(p->nplace, nplace, n * sizeof *nplace);
  uint32_t e = 0;
  for (size_t v = 0; v < n; v++) {
    p->in_edge[v] = e;
    size_t np;
    const uint32_t *par = dag_parents(d, v, &np);
    for (size_t j = 0; j < np; j++, e++) {
      p->edge_from[e] = par[j];
      p->edge_to[e] = (uint32_t)v;
    }
  }
  p->in_edge[n] = e;
  p->time = alloc_rows(n, p, false);
  p->cost = alloc_rows(n, p, false);
  p->in_time = alloc_rows(n, p, false);
  p->in_cost = alloc_rows(n, p, false);
  p->out_time = alloc_rows(n, p, false);
  p->out_cost = alloc_rows(n, p, false);
  p->xfer_time = alloc_rows(p->nedges, p, true);
  p->xfer_cost = alloc_rows(p->nedges, p, true);
  return p;
}

void place_problem_free(struct place_problem *p) {
  if (!p) return;
  free(p->nplace);
  free(p->in_edge);
  free(p->edge_from);
  free(p->edge_to);
  free(p->time);
  free(p->cost);
  free(p->in_time);
  free(p->in_cost);
  free(p->out_time);
  free(p->out_cost);
  free(p->xfer_time);
  free(p->xfer_cost);
  free(p);
}

int place_problem_edge(const struct place_problem *p, uint32_t from, uint32_t to) {
  if (to >= p->nnodes) return -1;
  for (uint32_t e = p->in_edge[to]; e < p->in_edge[to + 1]; e++)
    if (p->edge_from[e] == from) return (int)e;
  return -1;
}

static bool bad(double x) { return !isfinite(x) || x < 0; }

/* Pair i of edge e is forbidden (see placement.h). */
static bool forbidden(const struct place_problem *p, size_t e, size_t i) {
  return isinf(p->xfer_time[e][i]) && p->xfer_time[e][i] > 0;
}

int place_problem_check(const struct place_problem *p, char **err) {
  static const char *what[] = {"execution time", "cost", "input time", "input cost", "output time", "output cost"};
  double **tab[] = {p->time, p->cost, p->in_time, p->in_cost, p->out_time, p->out_cost};
  for (size_t t = 0; t < 6; t++)
    for (size_t n = 0; n < p->nnodes; n++)
      for (uint32_t k = 0; k < p->nplace[n]; k++)
        if (bad(tab[t][n][k])) {
          set_err(err, g_strdup_printf("placement: node '%s' candidate %u: %s %g is not a finite value >= 0",
                                       dag_node(p->d, n)->name, k, what[t], tab[t][n][k]));
          return CM_EINVAL;
        }
  for (size_t e = 0; e < p->nedges; e++) {
    size_t m = (size_t)p->nplace[p->edge_from[e]] * p->nplace[p->edge_to[e]];
    for (size_t i = 0; i < m; i++)
      if (!forbidden(p, e, i) && (bad(p->xfer_time[e][i]) || bad(p->xfer_cost[e][i]))) {
        set_err(err, g_strdup_printf("placement: edge '%s' -> '%s': transfer time %g / cost %g is not a finite "
                                     "value >= 0", dag_node(p->d, p->edge_from[e])->name,
                                     dag_node(p->d, p->edge_to[e])->name, p->xfer_time[e][i], p->xfer_cost[e][i]));
        return CM_EINVAL;
      }
  }
  return 0;
}

static bool is_source(const struct place_problem *p, size_t v) { return p->in_edge[v] == p->in_edge[v + 1]; }

static bool is_sink(const struct place_problem *p, size_t v) {
  size_t n;
  dag_children(p->d, v, &n);
  return n == 0;
}

int place_evaluate(const struct place_problem *p, struct place_solution *s) {
  for (size_t n = 0; n < p->nnodes; n++)
    if (s->place[n] >= p->nplace[n]) return CM_EINVAL;
  double *finish = malloc(p->nnodes * sizeof *finish);
  if (!finish) cm_fatal(CM_LOC, "placement: out of memory");
  const uint32_t *topo = dag_topo(p->d);
  double cost = 0, makespan = 0;
  for (size_t i = 0; i < p->nnodes; i++) {
    uint32_t v = topo[i], l = s->place[v];
    double start = 0;
    if (is_source(p, v)) {
      start = p->in_time[v][l];
      cost += p->in_cost[v][l];
    }
    for (uint32_t e = p->in_edge[v]; e < p->in_edge[v + 1]; e++) {
      uint32_t u = p->edge_from[e];
      size_t kl = (size_t)s->place[u] * p->nplace[v] + l;
      start = fmax(start, finish[u] + p->xfer_time[e][kl]);
      if (!forbidden(p, e, kl)) cost += p->xfer_cost[e][kl];
    }
    finish[v] = start + p->time[v][l];
    cost += p->cost[v][l];
    if (is_sink(p, v)) {
      makespan = fmax(makespan, finish[v] + p->out_time[v][l]);
      cost += p->out_cost[v][l];
    }
  }
  free(finish);
  s->time = makespan;
  s->cost = cost;
  return 0;
}

void place_heuristic(const struct place_problem *p, enum place_objective obj, struct place_solution *s) {
  double **by = obj == PLACE_MIN_TIME ? p->time : p->cost;
  for (size_t n = 0; n < p->nnodes; n++) {
    uint32_t best = 0;
    for (uint32_t k = 1; k < p->nplace[n]; k++)
      if (by[n][k] < by[n][best]) best = k;
    s->place[n] = best;
  }
  place_evaluate(p, s);
  s->optimal = false;
  s->best_bound = s->gap = NAN;
}

static double value_of(enum place_objective obj, const struct place_solution *s) {
  return obj == PLACE_MIN_TIME ? s->time : s->cost;
}

static double other_of(enum place_objective obj, const struct place_solution *s) {
  return obj == PLACE_MIN_TIME ? s->cost : s->time;
}

/* Sweeps moving one node at a time to its best candidate within the bound,
 * until none improves; a move that leaves the objective as it is but
 * shortens the node itself also counts (with parallel branches of equal
 * length one move cannot shorten the makespan, several can). */
static void improve(const struct place_problem *p, enum place_objective obj, double bound, struct place_solution *cur) {
  for (bool better = true; better;) {
    better = false;
    for (size_t n = 0; n < p->nnodes; n++) {
      uint32_t was = cur->place[n], pick = was;
      double best = value_of(obj, cur), own = obj == PLACE_MIN_TIME ? p->time[n][was] : 0;
      for (uint32_t k = 0; k < p->nplace[n]; k++) {
        if (k == was) continue;
        cur->place[n] = k;
        place_evaluate(p, cur);
        double v = value_of(obj, cur), o = obj == PLACE_MIN_TIME ? p->time[n][k] : 0;
        if (isfinite(cur->time) && other_of(obj, cur) <= bound &&
            (v < best * (1 - 1e-12) || (v <= best && o < own * (1 - 1e-12)))) {
          best = v;
          own = o;
          pick = k;
        }
      }
      cur->place[n] = pick;
      place_evaluate(p, cur);
      better |= pick != was;
    }
  }
}

/* From the per-function best for obj (over the bound), move nodes one at
 * a time, each time the move that lowers the bounded quantity at the
 * least cost in the objective per unit saved, until within the bound. */
static bool repair(const struct place_problem *p, enum place_objective obj, double bound, struct place_solution *cur) {
  place_heuristic(p, obj, cur);
  while (isfinite(cur->time) && other_of(obj, cur) > bound) {
    double v0 = value_of(obj, cur), c0 = other_of(obj, cur), best = INFINITY, saved = 0;
    size_t bn = 0;
    uint32_t bk = UINT32_MAX;
    for (size_t n = 0; n < p->nnodes; n++) {
      uint32_t was = cur->place[n];
      for (uint32_t k = 0; k < p->nplace[n]; k++) {
        if (k == was) continue;
        cur->place[n] = k;
        place_evaluate(p, cur);
        double dc = c0 - other_of(obj, cur), dv = value_of(obj, cur) - v0;
        if (isfinite(cur->time) && dc > 0) {
          double r = fmax(dv, 0) / dc;
          if (r < best || (r == best && dc > saved)) {
            best = r;
            saved = dc;
            bn = n;
            bk = k;
          }
        }
      }
      cur->place[n] = was;
    }
    if (bk == UINT32_MAX) return false;
    cur->place[bn] = bk;
    place_evaluate(p, cur);
  }
  return isfinite(cur->time) && other_of(obj, cur) <= bound;
}

int place_local_search(const struct place_problem *p, enum place_objective obj, double bound,
                       struct place_solution *s) {
  enum place_objective other = obj == PLACE_MIN_TIME ? PLACE_MIN_COST : PLACE_MIN_TIME;
  uint32_t *mem = malloc(2 * p->nnodes * sizeof(uint32_t));
  if (!mem) cm_fatal(CM_LOC, "placement: out of memory");
  struct place_solution a = {.place = mem}, b = {.place = mem + p->nnodes};
  bool given = true; /* s->place, when it is a placement within the bound */
  for (size_t n = 0; n < p->nnodes; n++) given &= s->place[n] < p->nplace[n];
  bool have_a = false, have_b;
  if (given) {
    memcpy(a.place, s->place, p->nnodes * sizeof(uint32_t));
    place_evaluate(p, &a);
    have_a = isfinite(a.time) && other_of(obj, &a) <= bound;
  }
  if (!have_a) { /* the per-function best for the other objective: the easiest start within the bound */
    place_heuristic(p, other, &a);
    have_a = isfinite(a.time) && other_of(obj, &a) <= bound;
  }
  if (have_a) improve(p, obj, bound, &a);
  have_b = !given && repair(p, obj, bound, &b); /* and from the best for obj, repaired into the bound */
  if (have_b) improve(p, obj, bound, &b);
  const struct place_solution *w = have_b && (!have_a || value_of(obj, &b) < value_of(obj, &a)) ? &b : &a;
  int rc = have_a || have_b ? 0 : CM_ERANGE;
  if (rc == 0) {
    memcpy(s->place, w->place, p->nnodes * sizeof(uint32_t));
    place_evaluate(p, s);
  }
  s->optimal = false;
  s->best_bound = s->gap = NAN;
  free(mem);
  return rc;
}

/* The integer program (see placement.h). Times and costs are divided by
 * their largest coefficient so GLPK's absolute tolerances act alike on
 * seconds and on micro-dollars. Columns and rows are 1-based. */
struct ilp {
  const struct place_problem *p;
  glp_prob *lp;
  int *xcol; /* [node]: column of x[n][0] */
  int *ycol; /* [edge]: column of y[e][0][0] */
  int scol;  /* start(v) is scol + v */
  int mcol;  /* makespan */
  int bound_row; /* the cost row under PLACE_MIN_TIME, else 0 (the bound is on mcol) */
  int *ind;
  double *val;
  int len;
  double ts, cs; /* time and cost scales */
};

static void term(struct ilp *m, int col, double v) {
  if (v == 0) return;
  m->len++;
  m->ind[m->len] = col;
  m->val[m->len] = v;
}

static int row(struct ilp *m, int type, double lb, double ub) {
  int r = glp_add_rows(m->lp, 1);
  glp_set_row_bnds(m->lp, r, type, lb, ub);
  glp_set_mat_row(m->lp, r, m->len, m->ind, m->val);
  m->len = 0;
  return r;
}

/* Largest time and cost coefficient, or 1 when all are 0. */
static void scales(const struct place_problem *p, double *ts, double *cs) {
  double t = 0, c = 0;
  for (size_t n = 0; n < p->nnodes; n++)
    for (uint32_t k = 0; k < p->nplace[n]; k++) {
      t = fmax(t, fmax(p->time[n][k], fmax(p->in_time[n][k], p->out_time[n][k])));
      c = fmax(c, fmax(p->cost[n][k], fmax(p->in_cost[n][k], p->out_cost[n][k])));
    }
  for (size_t e = 0; e < p->nedges; e++)
    for (size_t i = 0; i < (size_t)p->nplace[p->edge_from[e]] * p->nplace[p->edge_to[e]]; i++) {
      if (forbidden(p, e, i)) continue;
      t = fmax(t, p->xfer_time[e][i]);
      c = fmax(c, p->xfer_cost[e][i]);
    }
  *ts = t > 0 ? t : 1;
  *cs = c > 0 ? c : 1;
}

/* Cost of x[n][k] alone: execution plus the input and output it implies. */
static double node_cost(const struct place_problem *p, size_t n, uint32_t k) {
  return p->cost[n][k] + (is_source(p, n) ? p->in_cost[n][k] : 0) + (is_sink(p, n) ? p->out_cost[n][k] : 0);
}

static void ilp_build(struct ilp *m, enum place_objective obj) {
  const struct place_problem *p = m->p;
  glp_prob *lp = m->lp;
  int ncols = 0;
  for (size_t n = 0; n < p->nnodes; n++) {
    m->xcol[n] = ncols + 1;
    ncols += (int)p->nplace[n];
  }
  for (size_t e = 0; e < p->nedges; e++) {
    m->ycol[e] = ncols + 1;
    ncols += (int)(p->nplace[p->edge_from[e]] * p->nplace[p->edge_to[e]]);
  }
  m->scol = ncols + 1;
  ncols += (int)p->nnodes;
  m->mcol = ++ncols;
  glp_add_cols(lp, ncols);
  for (int c = 1; c < m->scol; c++) glp_set_col_bnds(lp, c, GLP_DB, 0, 1);
  for (size_t n = 0; n < p->nnodes; n++)
    for (uint32_t k = 0; k < p->nplace[n]; k++) glp_set_col_kind(lp, m->xcol[n] + (int)k, GLP_BV);
  for (size_t e = 0; e < p->nedges; e++) /* a forbidden pair's product is 0 */
    for (uint32_t i = 0; i < p->nplace[p->edge_from[e]] * p->nplace[p->edge_to[e]]; i++)
      if (forbidden(p, e, i)) glp_set_col_bnds(lp, m->ycol[e] + (int)i, GLP_FX, 0, 0);
  for (int c = m->scol; c <= m->mcol; c++) glp_set_col_bnds(lp, c, GLP_LO, 0, 0);
  m->ind = malloc((size_t)(ncols + 1) * sizeof *m->ind);
  m->val = malloc((size_t)(ncols + 1) * sizeof *m->val);
  if (!m->ind || !m->val) cm_fatal(CM_LOC, "placement: out of memory");

  for (size_t n = 0; n < p->nnodes; n++) { /* one placement per node */
    for (uint32_t k = 0; k < p->nplace[n]; k++) term(m, m->xcol[n] + (int)k, 1);
    row(m, GLP_FX, 1, 1);
  }
  for (size_t e = 0; e < p->nedges; e++) { /* y's margins are x[u] and x[v] */
    uint32_t u = p->edge_from[e], v = p->edge_to[e], nu = p->nplace[u], nv = p->nplace[v];
    for (uint32_t k = 0; k < nu; k++) {
      for (uint32_t l = 0; l < nv; l++) term(m, m->ycol[e] + (int)(k * nv + l), 1);
      term(m, m->xcol[u] + (int)k, -1);
      row(m, GLP_FX, 0, 0);
    }
    for (uint32_t l = 0; l < nv; l++) {
      for (uint32_t k = 0; k < nu; k++) term(m, m->ycol[e] + (int)(k * nv + l), 1);
      term(m, m->xcol[v] + (int)l, -1);
      row(m, GLP_FX, 0, 0);
    }
    /* start(v) >= start(u) + exec(u) + transfer */
    term(m, m->scol + (int)v, 1);
    term(m, m->scol + (int)u, -1);
    for (uint32_t k = 0; k < nu; k++) term(m, m->xcol[u] + (int)k, -p->time[u][k] / m->ts);
    for (uint32_t i = 0; i < nu * nv; i++)
      if (!forbidden(p, e, i)) term(m, m->ycol[e] + (int)i, -p->xfer_time[e][i] / m->ts);
    row(m, GLP_LO, 0, 0);
  }
  for (size_t v = 0; v < p->nnodes; v++) {
    if (is_source(p, v)) { /* start(v) >= input(v) */
      term(m, m->scol + (int)v, 1);
      for (uint32_t k = 0; k < p->nplace[v]; k++) term(m, m->xcol[v] + (int)k, -p->in_time[v][k] / m->ts);
      row(m, GLP_LO, 0, 0);
    }
    if (is_sink(p, v)) { /* makespan >= finish(v) + output(v) */
      term(m, m->mcol, 1);
      term(m, m->scol + (int)v, -1);
      for (uint32_t k = 0; k < p->nplace[v]; k++)
        term(m, m->xcol[v] + (int)k, -(p->time[v][k] + p->out_time[v][k]) / m->ts);
      row(m, GLP_LO, 0, 0);
    }
  }
  /* total cost: the objective, or the budget row */
  glp_set_obj_dir(lp, GLP_MIN);
  for (size_t n = 0; n < p->nnodes; n++)
    for (uint32_t k = 0; k < p->nplace[n]; k++) term(m, m->xcol[n] + (int)k, node_cost(p, n, k) / m->cs);
  for (size_t e = 0; e < p->nedges; e++)
    for (uint32_t i = 0; i < p->nplace[p->edge_from[e]] * p->nplace[p->edge_to[e]]; i++)
      if (!forbidden(p, e, i)) term(m, m->ycol[e] + (int)i, p->xfer_cost[e][i] / m->cs);
  if (obj == PLACE_MIN_TIME) {
    m->bound_row = row(m, GLP_FR, 0, 0);
    glp_set_obj_coef(lp, m->mcol, 1);
  } else {
    for (int i = 1; i <= m->len; i++) glp_set_obj_coef(lp, m->ind[i], m->val[i]);
    m->len = 0;
  }
}

/* Bound the constrained quantity (scaled) by b; INFINITY lifts it. */
static void ilp_bound(struct ilp *m, double b) {
  if (m->bound_row)
    glp_set_row_bnds(m->lp, m->bound_row, isinf(b) ? GLP_FR : GLP_UP, 0, isinf(b) ? 0 : b);
  else
    glp_set_col_bnds(m->lp, m->mcol, isinf(b) ? GLP_LO : GLP_DB, 0, isinf(b) ? 0 : b);
}

/* What the branch-and-bound callback keeps. */
struct ios {
  double best; /* GLPK's best node bound (scaled) */
};

/* Keep GLPK's best node bound (scaled) as branch and bound goes on, so a
 * stop at the time limit still knows how far from optimal it may be. (An
 * incumbent cannot be offered here: the presolver renumbers the columns,
 * and without it GLPK is several times slower on these programs.) */
static void on_ios(glp_tree *t, void *info) {
  struct ios *io = info;
  int node = glp_ios_best_node(t);
  if (node) io->best = glp_ios_node_bound(t, node);
}

/* GLPK's feasibility tolerance can let the bound slip by ~1e-7; the
 * assignment found is measured exactly and, while it overshoots, the bound
 * handed to GLPK is lowered by the overshoot and the program solved again. */
#define BOUND_RTOL 1e-9
#define BOUND_RETRIES 4

int place_solve_ilp(const struct place_problem *p, enum place_objective obj, double bound, int time_limit_ms,
                    struct place_solution *s, char **err) {
  if (isnan(bound) || bound < 0 || time_limit_ms <= 0) {
    set_err(err, g_strdup_printf("placement: bad %s %g or time limit %d ms",
                                 obj == PLACE_MIN_TIME ? "budget" : "deadline", bound, time_limit_ms));
    return CM_EINVAL;
  }
  int rc = place_problem_check(p, err);
  if (rc) return rc;
  struct ilp m = {.p = p, .lp = glp_create_prob()};
  m.xcol = malloc(p->nnodes * sizeof *m.xcol);
  m.ycol = malloc((p->nedges + 1) * sizeof *m.ycol);
  if (!m.xcol || !m.ycol) cm_fatal(CM_LOC, "placement: out of memory");
  scales(p, &m.ts, &m.cs);
  ilp_build(&m, obj);
  glp_term_out(GLP_OFF);
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.msg_lev = GLP_MSG_OFF;
  parm.tm_lim = time_limit_ms;
  struct ios io = {.best = NAN};
  parm.cb_func = on_ios;
  parm.cb_info = &io;
  double oscale = obj == PLACE_MIN_TIME ? m.ts : m.cs; /* of the objective */
  double scale = obj == PLACE_MIN_TIME ? m.cs : m.ts, limit = bound;
  s->best_bound = s->gap = NAN;
  for (int attempt = 0;; attempt++) {
    ilp_bound(&m, limit / scale);
    io.best = NAN;
    int ret = glp_intopt(m.lp, &parm);
    int status = glp_mip_status(m.lp);
    s->best_bound = io.best * oscale;
    if (ret == GLP_ENOPFS || status == GLP_NOFEAS) {
      set_err(err, g_strdup_printf("placement: no assignment meets the %s of %g %s",
                                   obj == PLACE_MIN_TIME ? "budget" : "deadline", bound,
                                   obj == PLACE_MIN_TIME ? "$" : "s"));
      rc = CM_ERANGE;
      break;
    }
    if ((ret != 0 && ret != GLP_ETMLIM) || (status != GLP_OPT && status != GLP_FEAS)) {
      set_err(err, g_strdup_printf("placement: GLPK found no solution (%s)",
                                   ret == GLP_ETMLIM ? "time limit reached" : "solver failure"));
      rc = CM_EIO;
      break;
    }
    for (size_t n = 0; n < p->nnodes; n++) {
      uint32_t best = 0;
      for (uint32_t k = 1; k < p->nplace[n]; k++)
        if (glp_mip_col_val(m.lp, m.xcol[n] + (int)k) > glp_mip_col_val(m.lp, m.xcol[n] + (int)best)) best = k;
      s->place[n] = best;
    }
    place_evaluate(p, s);
    s->optimal = status == GLP_OPT && ret == 0;
    double value = obj == PLACE_MIN_TIME ? s->time : s->cost;
    if (s->optimal) {
      s->best_bound = value;
      s->gap = 0;
    } else {
      s->gap = value > 0 && isfinite(s->best_bound) ? fmax(0, (value - s->best_bound) / value) : NAN;
    }
    double over = (obj == PLACE_MIN_TIME ? s->cost : s->time) - bound;
    if (over <= BOUND_RTOL * bound) break;
    if (attempt == BOUND_RETRIES) {
      set_err(err, g_strdup_printf("placement: GLPK's solution exceeds the bound by %g", over));
      rc = CM_EIO;
      break;
    }
    limit -= over + BOUND_RTOL * bound;
  }
  glp_delete_prob(m.lp);
  free(m.xcol);
  free(m.ycol);
  free(m.ind);
  free(m.val);
  return rc;
}
