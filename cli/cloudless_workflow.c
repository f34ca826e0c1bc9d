/* `[cloudless] experiment = workflow`: the seed's periodic placement of a
 * DAG (5.1.4, 6.4, Table 1), once per [plan.NAME] group (a row of Table 1:
 * which providers it may use, what it optimises).
 *
 *  1. Benchmark, in virtual time, one request at a time: every node's call
 *     on every provider (a warm-up call, then bench_calls), with the bytes
 *     it carries in the workflow (a source's input, a sink's output), and
 *     one put and one get of every stored output (not a plain sink's) from
 *     every provider to every store. The call means and those times are
 *     the planner's estimates (seed 5.1.2).
 *  2. Place: per plan, the search space of seed Fig. 3 over its providers
 *     (one bin each); an edge u -> v costs the best store's write from u's
 *     provider plus its read from v's (the storage heuristic: least time),
 *     priced by the store's price list (a put, a get, egress when the
 *     reader is in another cloud). planner = exact (GLPK), csp (chains) or
 *     heuristic (per function); objective time under budget_usd, or cost
 *     under deadline_s. A persist node's time and cost include its writes
 *     to every cloud store (its children wait for them).
 *  3. Run the placed workflow `runs` times (models/cloudless/dagexec.h),
 *     one after another; each node's output goes to the store best for its
 *     readers; persist nodes write to every cloud store.
 *  With replan_s (seed 5.3 d, periodic scheduling), steps 1 to 3 repeat
 *  every replan_s until horizon_s, running the workflow back to back in
 *  between; a round that moves a node records a redeploy and a cleanup
 *  (cloudless_replan), with the old placement's estimate against the new.
 *
 * One cloudless_workflow row per plan: the planner's time and cost
 * estimates, the measured mean time over the runs, and where each node
 * ran (provider@store); with pareto_points, each plan's cost-time front
 * in cloudless_pareto (the tables: analysis/tab_cloudless_plan.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless/dagexec.h"
#include "cloudless/placement.h"
#include "cloudless/storage_cost.h"
#include "env_sim.h"
#include "tab_cloudless_plan.h"

#define WAIT_STEP CM_MS(100)
#define WAIT_MAX CM_S(3600) /* one request, or one workflow, should never take an hour of simulated time */

struct wf {
  struct run_ctx *c;
  struct cl_config *cfg;
  env *e;
  faas_world *world;
  storage_world *store;
  const dag *d;
  size_t n;
  uint32_t np, ns;
  double *t, *usd;     /* [node * np + p]: mean call latency (s) and cost ($) */
  bool *ok;            /* [node * np + p]: the benchmark calls succeeded */
  double *w, *r;       /* [wr_at(node, provider, s)]: write / read time of node's output (s) */
  struct storage_price *price; /* [s] */
  uint32_t *backup;            /* [workflow] backup_stores, as store indexes */
  uint32_t nbackup;
  uint32_t *persist;           /* the stores with a cloud: where persist nodes write */
  uint32_t npersist;
};

/* Run the sim until *flag is set; false (after printing why) if it never is. */
static bool wait_for(struct wf *x, const bool *flag, const char *what) {
  cm_time limit = env_now(x->e) + WAIT_MAX;
  while (!*flag && env_now(x->e) < limit) env_run(x->e, env_now(x->e) + WAIT_STEP);
  if (!*flag) fprintf(stderr, "cloudmix: %s: %s did not finish in an hour of simulated time\n",
                      scenario_path(x->c->s), what);
  return *flag;
}

struct call_wait {
  bool done;
  struct invoke_result res;
};

static void on_call(env *e CM_UNUSED, void *arg, const struct invoke_result *res) {
  struct call_wait *w = arg;
  w->res = *res;
  w->done = true;
}

/* One storage request from loc, timed; -1 when it failed. */
static double timed_store(struct wf *x, enum store_op op, uint32_t loc, uint32_t s, uint64_t bytes) {
  struct cl_store_wait w;
  struct store_req q = {.store = s, .location = loc, .key = "bench/object", .len = bytes};
  if (cl_store_issue(x->e, op, &q, &w) != 0 || !wait_for(x, &w.done, "a storage benchmark") || w.status != 0)
    return -1;
  return cm_time_to_s(w.took);
}

/* Where u's output written from, or read at, provider loc through store s
 * is in w and r. */
static size_t wr_at(const struct wf *x, size_t u, uint32_t loc, uint32_t s) {
  return (u * x->np + loc) * x->ns + s;
}

static bool benchmark(struct wf *x) {
  uint32_t calls = (uint32_t)scenario_int(x->c->s, "workflow", "bench_calls");
  for (size_t v = 0; v < x->n; v++) {
    const struct dag_node *nd = dag_node(x->d, v);
    size_t npar, nch;
    dag_parents(x->d, v, &npar);
    dag_children(x->d, v, &nch);
    for (uint32_t p = 0; p < x->np; p++) {
      double lat = 0, usd = 0;
      uint32_t good = 0;
      for (uint32_t k = 0; k <= calls; k++) { /* k = 0: the warm-up, not counted */
        struct call_wait w = {0};
        struct invocation inv = {.id = k, .function = nd->function, .provider = p,
                                 .request_bytes = npar ? 0 : dag_input(x->d), .response_bytes = nch ? 0 : nd->out_bytes,
                                 .timeout = x->cfg->sched.timeout};
        if (env_invoke(x->e, &inv, on_call, &w) < 0 || !wait_for(x, &w.done, "a benchmark call")) return false;
        if (k == 0 || w.res.status != INVOKE_OK) continue;
        lat += cm_time_to_s(w.res.latency);
        usd += cost_invocation(&x->cfg->sched_providers[p].price, w.res.exec_time, true);
        good++;
      }
      x->ok[v * x->np + p] = good > 0;
      x->t[v * x->np + p] = good ? lat / good : INFINITY;
      x->usd[v * x->np + p] = good ? usd / good : INFINITY;
    }
    if (!nch && !nd->persist) continue; /* a sink's output goes to the client, not to a store */
    for (uint32_t l = 0; l < x->np; l++) /* the providers; the client's data rides on the calls */
      for (uint32_t s = 0; s < x->ns; s++) {
        size_t i = wr_at(x, v, l, s);
        x->w[i] = timed_store(x, STORE_PUT, l, s, nd->out_bytes);
        x->r[i] = timed_store(x, STORE_GET, l, s, nd->out_bytes);
        if (x->w[i] < 0 || x->r[i] < 0) x->w[i] = x->r[i] = INFINITY; /* a store this location cannot use */
      }
  }
  return true;
}

/* Moving u's output from provider pu to pv through store s: time and $. */
static double xfer_time(const struct wf *x, uint32_t u, uint32_t pu, uint32_t pv, uint32_t s) {
  return x->w[wr_at(x, u, pu, s)] + x->r[wr_at(x, u, pv, s)];
}

static double xfer_cost(const struct wf *x, uint32_t u, uint32_t pv, uint32_t s) {
  const struct storage_price *p = &x->price[s];
  double usd = p->usd_per_write + p->usd_per_read;
  const char *sc = x->cfg->stores[s].cloud, *vc = x->cfg->locations[pv].cloud;
  if (*sc && strcmp(sc, vc) != 0) usd += (double)dag_node(x->d, u)->out_bytes / STORAGE_COST_GB * p->usd_per_gb_egress;
  return usd;
}

/* A persist node's writes to every cloud store, in parallel: time (the
 * slowest) and $ (a put each). */
static double persist_time(const struct wf *x, uint32_t u, uint32_t pu) {
  double t = 0;
  for (uint32_t i = 0; i < x->npersist; i++) t = fmax(t, x->w[wr_at(x, u, pu, x->persist[i])]);
  return t;
}

static double persist_cost(const struct wf *x) {
  double usd = 0;
  for (uint32_t i = 0; i < x->npersist; i++) usd += x->price[x->persist[i]].usd_per_write;
  return usd;
}

/* The storage heuristic: the store for moving u's output from pu to pv,
 * by measured write and read time, then cost (cost first when the plan
 * minimises cost). */
static uint32_t best_store(const struct wf *x, uint32_t u, uint32_t pu, uint32_t pv, bool cost_first) {
  uint32_t best = 0;
  for (uint32_t s = 1; s < x->ns; s++) {
    double t = xfer_time(x, u, pu, pv, s), tb = xfer_time(x, u, pu, pv, best);
    double c = xfer_cost(x, u, pv, s), cb = xfer_cost(x, u, pv, best);
    if (cost_first ? c < cb || (c == cb && t < tb) : t < tb || (t == tb && c < cb)) best = s;
  }
  return best;
}

struct plan {
  char name[64];
  char planner[16], objective[8];
  double bound;       /* $ or s; INFINITY: none */
  uint32_t *allowed;  /* provider indexes */
  uint32_t nallowed;
};

/* A plan's setting, or the [workflow] one when the plan leaves it empty. */
static const char *plan_string(const scenario *s, const char *group, const char *key) {
  const char *v = group ? scenario_string(s, group, key) : "";
  return *v ? v : scenario_string(s, "workflow", key);
}

/* The plan from its [plan.NAME] group (NULL: one plan, all providers, the
 * [workflow] settings); its providers from `providers` (empty: all). */
static int read_plan(struct wf *x, const char *group, struct plan *pl, char **err) {
  const scenario *s = x->c->s;
  const char *g = group ? group : "workflow";
  g_strlcpy(pl->name, group ? group + strlen("plan.") : "all", sizeof pl->name);
  g_strlcpy(pl->planner, plan_string(s, group, "planner"), sizeof pl->planner);
  g_strlcpy(pl->objective, plan_string(s, group, "objective"), sizeof pl->objective);
  if (strcmp(pl->planner, "exact") && strcmp(pl->planner, "csp") && strcmp(pl->planner, "heuristic")) {
    *err = g_strdup_printf("%s: [%s] planner: found '%s', expected one of: exact, csp, heuristic", scenario_path(s), g,
                           pl->planner);
    return -1;
  }
  if (strcmp(pl->objective, "time") && strcmp(pl->objective, "cost")) {
    *err = g_strdup_printf("%s: [%s] objective: found '%s', expected one of: time, cost", scenario_path(s), g,
                           pl->objective);
    return -1;
  }
  const char *bkey = strcmp(pl->objective, "time") == 0 ? "budget_usd" : "deadline_s";
  double b = group ? scenario_double(s, group, bkey) : -1;
  if (b < 0) b = scenario_double(s, "workflow", bkey);
  pl->bound = b > 0 ? b : INFINITY;
  pl->allowed = g_new0(uint32_t, x->np);
  gchar **names = g_strsplit(group ? scenario_string(s, group, "providers") : "", ",", -1);
  for (gchar **nm = names; *nm; nm++) {
    g_strstrip(*nm);
    if (!**nm) continue;
    int p = faas_world_find_provider(x->world, *nm);
    if (p < 0) {
      *err = g_strdup_printf("%s: [%s] providers: '%s' is not a [provider.*] group", scenario_path(s), g, *nm);
      g_strfreev(names);
      return -1;
    }
    pl->allowed[pl->nallowed++] = (uint32_t)p;
  }
  g_strfreev(names);
  if (pl->nallowed == 0)
    for (uint32_t p = 0; p < x->np; p++) pl->allowed[pl->nallowed++] = p;
  return 0;
}

/* The placement problem of plan pl: candidate k of every node is provider
 * pl->allowed[k]. A provider whose benchmark calls all failed, or a store a
 * location cannot reach, keeps a prohibitive finite time and cost (the
 * solvers want finite numbers) so that no solution picks it while another
 * exists. */
static struct place_problem *problem(const struct wf *x, const struct plan *pl, char **err) {
  uint32_t *npl = g_new(uint32_t, x->n);
  for (size_t v = 0; v < x->n; v++) npl[v] = pl->nallowed;
  struct place_problem *pr = place_problem_new(x->d, npl, err);
  g_free(npl);
  if (!pr) return NULL;
  const double BAD = 1e9; /* s or $: never chosen while any usable candidate exists */
  for (size_t v = 0; v < x->n; v++)
    for (uint32_t k = 0; k < pl->nallowed; k++) {
      uint32_t p = pl->allowed[k];
      bool ok = x->ok[v * x->np + p];
      bool persist = dag_node(x->d, v)->persist;
      double pt = persist ? persist_time(x, (uint32_t)v, p) : 0;
      ok = ok && isfinite(pt);
      pr->time[v][k] = ok ? x->t[v * x->np + p] + pt : BAD; /* a node is done when its writes are */
      pr->cost[v][k] = ok ? x->usd[v * x->np + p] + (persist ? persist_cost(x) : 0) : BAD;
    }
  bool cost_first = strcmp(pl->objective, "cost") == 0;
  for (size_t e = 0; e < pr->nedges; e++) {
    uint32_t u = pr->edge_from[e], v = pr->edge_to[e];
    uint32_t nl = pr->nplace[v];
    for (uint32_t k = 0; k < pl->nallowed; k++)
      for (uint32_t l = 0; l < nl; l++) {
        uint32_t pu = pl->allowed[k], pv = pl->allowed[l];
        uint32_t s = best_store(x, u, pu, pv, cost_first);
        double t = xfer_time(x, u, pu, pv, s);
        pr->xfer_time[e][k * nl + l] = isfinite(t) ? t : BAD;
        pr->xfer_cost[e][k * nl + l] = isfinite(t) ? xfer_cost(x, u, pv, s) : BAD;
      }
  }
  return pr;
}

struct exec_wait {
  bool done;
  int status;
  cm_time start, end;
  size_t n;
  bool *finished; /* n: done or skipped, for a resume */
};

static void on_dag(env *e CM_UNUSED, void *arg, const struct dagexec_result *r) {
  struct exec_wait *w = arg;
  w->status = r->status;
  w->start = r->start;
  w->end = r->end;
  for (size_t v = 0; v < w->n; v++)
    w->finished[v] = r->nodes[v].state == DAGEXEC_DONE || r->nodes[v].state == DAGEXEC_SKIPPED;
  w->done = true;
}

/* Among the optimal placements, the best on the other objective: the
 * cheapest of the fastest (or the fastest of the cheapest), an exact
 * second solve bounded by the first optimum. Otherwise ties go to
 * whichever the solver meets first. */
static int tie_break(const struct place_problem *pr, enum place_objective obj, struct place_solution *sol, char **err) {
  enum place_objective other = obj == PLACE_MIN_TIME ? PLACE_MIN_COST : PLACE_MIN_TIME;
  double bound = (obj == PLACE_MIN_TIME ? sol->time : sol->cost) * (1 + 1e-9);
  return place_solve_ilp(pr, other, bound, 10000, sol, err);
}

/* Solve plan pl over the current benchmarks into choice (candidate index
 * per node) and sol. An exit code, the error printed. */
static int solve(struct wf *x, const struct plan *pl, uint32_t *choice, struct place_solution *sol) {
  char *err = NULL;
  struct place_problem *pr = problem(x, pl, &err);
  if (!pr) {
    fprintf(stderr, "cloudmix: %s: plan '%s': %s\n", scenario_path(x->c->s), pl->name, err);
    g_free(err);
    return CM_EXIT_USAGE;
  }
  *sol = (struct place_solution){.place = choice};
  enum place_objective obj = strcmp(pl->objective, "time") == 0 ? PLACE_MIN_TIME : PLACE_MIN_COST;
  int rc = 0;
  if (strcmp(pl->planner, "heuristic") == 0) {
    place_heuristic(pr, obj, sol);
    if ((obj == PLACE_MIN_TIME ? sol->cost : sol->time) > pl->bound) {
      rc = CM_ERANGE;
      err = g_strdup("the per-function heuristic's placement breaks the bound");
    }
  } else {
    rc = strcmp(pl->planner, "csp") == 0 ? place_solve_csp(pr, obj, pl->bound, sol, &err)
                                         : place_solve_ilp(pr, obj, pl->bound, 10000, sol, &err);
    if (rc == 0) rc = tie_break(pr, obj, sol, &err);
  }
  place_problem_free(pr);
  if (rc == 0) return CM_EXIT_OK;
  const char *key = rc != CM_ERANGE ? "planner" : obj == PLACE_MIN_TIME ? "budget_usd" : "deadline_s";
  fprintf(stderr, "cloudmix: %s: plan '%s', %s: %s\n", scenario_path(x->c->s), pl->name, key,
          err ? err : "no placement");
  g_free(err);
  return rc == CM_ERANGE || rc == CM_EINVAL ? CM_EXIT_USAGE : CM_EXIT_FAILED;
}

/* The placement of choice: providers, and each output's store: the one
 * best for its slowest reader (least time), or for all its readers
 * together (least cost, when the plan minimises cost). */
static void placement_of(const struct wf *x, const struct plan *pl, const uint32_t *choice, struct dagexec_place *place) {
  bool by_cost = strcmp(pl->objective, "cost") == 0;
  for (size_t u = 0; u < x->n; u++) {
    uint32_t pu = pl->allowed[choice[u]];
    place[u] = (struct dagexec_place){.provider = pu};
    size_t nch;
    const uint32_t *ch = dag_children(x->d, u, &nch);
    double best = INFINITY;
    for (uint32_t s = 0; s < x->ns; s++) {
      double score = 0;
      for (size_t i = 0; i < nch; i++) {
        uint32_t pv = pl->allowed[choice[ch[i]]];
        double tt = xfer_time(x, (uint32_t)u, pu, pv, s);
        if (by_cost)
          score += isfinite(tt) ? xfer_cost(x, (uint32_t)u, pv, s) : INFINITY;
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

struct exec_stats {
  uint32_t runs, failed;
  uint32_t resumed;  /* runs that failed midway and were resumed from the backups */
  uint64_t skipped;  /* nodes those resumes did not run again */
  double sum, sum2;
};

/* Run the placed workflow, one run after another: `runs` of them, or (runs
 * 0) as many as start before `until`. An exit code. */
static int execute(struct wf *x, const struct plan *pl, const struct dagexec_place *place, uint32_t runs,
                   cm_time until, struct exec_stats *st) {
  bool *finished = g_new0(bool, x->n);
  int out = CM_EXIT_OK;
  while (out == CM_EXIT_OK && (runs ? st->runs < runs : env_now(x->e) < until)) {
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s/%u", pl->name, st->runs);
    struct dagexec_config dc = {.d = x->d, .place = place, .backup = x->backup, .nbackup = x->nbackup,
                                .persist = x->persist, .npersist = x->npersist, .key_prefix = prefix,
                                .max_attempts = x->cfg->sched.max_attempts, .timeout = x->cfg->sched.timeout};
    struct exec_wait w = {.n = x->n, .finished = finished};
    cm_time start = env_now(x->e);
    /* a run that fails midway is resumed once from its backups: its
     * finished nodes are not run again */
    for (int attempt = 0; attempt < (x->nbackup ? 2 : 1); attempt++) {
      if (attempt) {
        dc.resume = finished;
        st->resumed++;
        for (size_t v = 0; v < x->n; v++) st->skipped += finished[v];
      }
      w.done = false;
      if (dagexec_run(x->e, &dc, on_dag, &w) != 0) {
        fprintf(stderr, "cloudmix: %s: plan '%s': the workflow cannot run (a persist node needs a store with a cloud)\n",
                scenario_path(x->c->s), pl->name);
        out = CM_EXIT_USAGE;
        break;
      }
      if (!wait_for(x, &w.done, "a workflow run")) {
        out = CM_EXIT_FAILED;
        break;
      }
      if (w.status == 0) break;
    }
    if (out != CM_EXIT_OK) break;
    st->runs++;
    if (w.status != 0) {
      st->failed++;
      continue;
    }
    double t = cm_time_to_s(w.end - start); /* end to end, a resume's failed part included */
    st->sum += t;
    st->sum2 += t * t;
  }
  g_free(finished);
  return out;
}

static int write_row(struct wf *x, const struct plan *pl, cm_time at, const struct place_solution *sol,
                     const struct dagexec_place *place, const struct exec_stats *st,
                     struct tab_cloudless_plan_workflow *t) {
  uint32_t good = st->runs - st->failed;
  double mean = good ? st->sum / good : NAN;
  double sd = good > 1 ? sqrt(fmax(0, (st->sum2 - st->sum * mean) / (good - 1))) : 0;
  GString *where = g_string_new("");
  for (size_t v = 0; v < x->n; v++)
    g_string_append_printf(where, "%s%s=%s@%s", v ? ";" : "", dag_node(x->d, v)->name,
                           x->cfg->providers[place[v].provider].name, x->cfg->stores[place[v].store].name);
  struct tab_cloudless_plan_workflow_row row = {
      .run_id = x->c->run_id, .plan = pl->name, .at_s = cm_time_to_s(at), .planner = pl->planner,
      .objective = pl->objective, .bound = isfinite(pl->bound) ? pl->bound : NAN, .estimate_s = sol->time,
      .time_s = good ? mean : NAN, .time_sd_s = sd, .runs = st->runs, .failed = st->failed,
      .resumed = st->resumed, .skipped_nodes = (int64_t)st->skipped, .cost_usd = sol->cost,
      .placement = where->str};
  int rc = tab_cloudless_plan_workflow_add(t, &row);
  g_string_free(where, TRUE);
  if (!x->c->quiet) {
    printf("%-14s %8.0f %10.3f %10.3f %12.3g %4u/%-4u ", pl->name, cm_time_to_s(at), sol->time, mean, sol->cost, good,
           st->runs);
    for (size_t v = 0; v < x->n; v++) printf(" %s", x->cfg->providers[place[v].provider].name);
    printf("\n");
  }
  return rc == 0 ? CM_EXIT_OK : CM_EXIT_FAILED;
}

/* The placement changed at `at`: per moved node a redeploy (to the new
 * provider) and a cleanup (of the old one), with why: the old placement's
 * estimate under the new benchmarks against the new one's. */
static int record_change(struct wf *x, const struct plan *pl, cm_time at, const struct dagexec_place *old,
                         const struct dagexec_place *now, double old_est, double new_est,
                         struct tab_cloudless_plan_replan *t) {
  char reason[160];
  snprintf(reason, sizeof reason, "the placement's estimate went to %.3f s; the new one's is %.3f s", old_est,
           new_est);
  for (size_t v = 0; v < x->n; v++) {
    if (old[v].provider == now[v].provider) continue;
    static const char *const decisions[2] = {"redeploy", "cleanup"};
    for (int k = 0; k < 2; k++) {
      uint32_t p = k == 0 ? now[v].provider : old[v].provider;
      struct tab_cloudless_plan_replan_row row = {
          .run_id = x->c->run_id, .plan = pl->name, .at_s = cm_time_to_s(at), .node = dag_node(x->d, v)->name,
          .function = dag_node(x->d, v)->function, .decision = decisions[k], .provider = x->cfg->providers[p].name,
          .old_estimate_s = old_est, .new_estimate_s = new_est, .reason = reason};
      if (tab_cloudless_plan_replan_add(t, &row) != 0) return CM_EXIT_FAILED;
    }
    if (!x->c->quiet)
      printf("  at %.0f s: redeploy %s to %s, clean up %s (%s)\n", cm_time_to_s(at), dag_node(x->d, v)->name,
             x->cfg->providers[now[v].provider].name, x->cfg->providers[old[v].provider].name, reason);
  }
  return CM_EXIT_OK;
}

/* The old placement's estimate under the current benchmarks. */
static double estimate_of(struct wf *x, const struct plan *pl, const uint32_t *choice) {
  char *err = NULL;
  struct place_problem *pr = problem(x, pl, &err);
  g_free(err);
  if (!pr) return NAN;
  uint32_t *c = g_memdup2(choice, x->n * sizeof *c);
  struct place_solution sol = {.place = c};
  double t = place_evaluate(pr, &sol) == 0 ? sol.time : NAN;
  g_free(c);
  place_problem_free(pr);
  return t;
}

/* Plan pl once and run it `runs` times; or, with replan_s, re-benchmark and
 * re-plan every replan_s until horizon_s, running the workflow in between
 * and recording each change of placement (seed 5.3 d). */
static int run_plan(struct wf *x, const struct plan *pl, struct tab_cloudless_plan_workflow *t,
                    struct tab_cloudless_plan_replan *rt) {
  const scenario *s = x->c->s;
  cm_time period = cm_time_from_s(scenario_double(s, "workflow", "replan_s"));
  cm_time end = env_now(x->e) + cm_time_from_s(scenario_double(s, "workflow", "horizon_s"));
  uint32_t *choice = g_new0(uint32_t, x->n), *prev = g_new0(uint32_t, x->n);
  struct dagexec_place *place = g_new0(struct dagexec_place, x->n), *old = g_new0(struct dagexec_place, x->n);
  int out = CM_EXIT_OK;
  bool first = true;
  do {
    cm_time at = env_now(x->e);
    if (!first && !benchmark(x)) {
      out = CM_EXIT_FAILED;
      break;
    }
    struct place_solution sol;
    if ((out = solve(x, pl, choice, &sol)) != CM_EXIT_OK) break;
    placement_of(x, pl, choice, place);
    if (!first && memcmp(prev, choice, x->n * sizeof *choice) != 0 &&
        (out = record_change(x, pl, at, old, place, estimate_of(x, pl, prev), sol.time, rt)) != CM_EXIT_OK)
      break;
    struct exec_stats st = {0};
    if ((out = execute(x, pl, place, period ? 0 : (uint32_t)scenario_int(s, "workflow", "runs"),
                       at + period, &st)) != CM_EXIT_OK ||
        (out = write_row(x, pl, at, &sol, place, &st, t)) != CM_EXIT_OK)
      break;
    memcpy(prev, choice, x->n * sizeof *choice);
    memcpy(old, place, x->n * sizeof *place);
    first = false;
    if (period && env_now(x->e) < at + period) env_run(x->e, at + period); /* idle to the next period */
  } while (period && env_now(x->e) < end);
  g_free(choice);
  g_free(prev);
  g_free(place);
  g_free(old);
  return out;
}

/* The cost-time Pareto front of plan pl (`[workflow] pareto_points`): the
 * least time under budgets from the cheapest placement's cost to the
 * fastest placement's, evenly spaced; exact placements, not runs. */
static int pareto(struct wf *x, const struct plan *pl, uint32_t points) {
  char *err = NULL;
  struct place_problem *pr = problem(x, pl, &err);
  struct tab_cloudless_plan_pareto t = {0};
  uint32_t *choice = g_new0(uint32_t, x->n);
  struct place_solution cheap = {.place = choice}, fast = {.place = choice};
  int out = CM_EXIT_FAILED;
  if (!pr || tab_cloudless_plan_pareto_open(x->c->db, &t) != 0 ||
      place_solve_ilp(pr, PLACE_MIN_COST, INFINITY, 10000, &cheap, &err) != 0 ||
      tie_break(pr, PLACE_MIN_COST, &cheap, &err) != 0 ||
      place_solve_ilp(pr, PLACE_MIN_TIME, INFINITY, 10000, &fast, &err) != 0 ||
      tie_break(pr, PLACE_MIN_TIME, &fast, &err) != 0) {
    fprintf(stderr, "cloudmix: %s: plan '%s', pareto_points: %s\n", scenario_path(x->c->s), pl->name,
            err ? err : "cannot create cloudless_pareto");
    goto done;
  }
  for (uint32_t i = 0; i < points; i++) {
    double b = points > 1 ? cheap.cost + (fast.cost - cheap.cost) * i / (points - 1) : fast.cost;
    struct place_solution sol = {.place = choice};
    if (place_solve_ilp(pr, PLACE_MIN_TIME, b * (1 + 1e-9), 10000, &sol, &err) != 0 ||
        tie_break(pr, PLACE_MIN_TIME, &sol, &err) != 0) {
      fprintf(stderr, "cloudmix: %s: plan '%s', pareto_points: %s\n", scenario_path(x->c->s), pl->name, err);
      goto done;
    }
    GString *where = g_string_new("");
    for (size_t v = 0; v < x->n; v++)
      g_string_append_printf(where, "%s%s=%s", v ? ";" : "", dag_node(x->d, v)->name,
                             x->cfg->providers[pl->allowed[choice[v]]].name);
    struct tab_cloudless_plan_pareto_row row = {.run_id = x->c->run_id, .plan = pl->name, .budget_usd = b,
                                                .time_s = sol.time, .cost_usd = sol.cost, .placement = where->str};
    int rc = tab_cloudless_plan_pareto_add(&t, &row);
    g_string_free(where, TRUE);
    if (rc != 0) goto done;
  }
  out = CM_EXIT_OK;
done:
  g_free(err);
  g_free(choice);
  place_problem_free(pr);
  return out;
}

int cloudless_workflow_run(struct run_ctx *c, struct cl_config *cfg) {
  struct wf x = {.c = c, .cfg = cfg, .d = cfg->workflow, .n = dag_size(cfg->workflow), .np = cfg->nproviders,
                 .ns = cfg->nstores};
  char *err = NULL;
  int out = CM_EXIT_OK;
  x.e = env_sim_new(c->seed);
  x.world = faas_world_new(x.e, cfg->providers, cfg->nproviders, cfg->functions, cfg->nfunctions, &err);
  struct storage_config sc = {.stores = cfg->stores, .nstores = cfg->nstores, .locations = cfg->locations,
                              .nlocations = cfg->nlocations, .links = cfg->slinks};
  for (uint32_t i = 0; x.world && i < cfg->nfaults; i++)
    if (faas_world_add_fault(x.world, &cfg->faults[i]) != 0) {
      err = g_strdup_printf("fault %u refused by the world", i + 1);
      faas_world_free(x.world);
      x.world = NULL;
    }
  if (x.world) x.store = storage_world_new(x.e, &sc, &err);
  if (!x.world || !x.store) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
    g_free(err);
    out = CM_EXIT_USAGE;
    goto done;
  }
  x.price = g_new0(struct storage_price, x.ns);
  for (uint32_t s = 0; s < x.ns; s++)
    storage_price_builtin(storage_kind_name(cfg->stores[s].kind), &x.price[s]);
  x.persist = g_new0(uint32_t, x.ns);
  for (uint32_t s = 0; s < x.ns; s++)
    if (*cfg->stores[s].cloud) x.persist[x.npersist++] = s;
  x.backup = g_new0(uint32_t, x.ns);
  gchar **bk = g_strsplit(scenario_string(c->s, "workflow", "backup_stores"), ",", -1);
  for (gchar **b = bk; *b && out == CM_EXIT_OK; b++) {
    g_strstrip(*b);
    if (!**b) continue;
    int s = storage_world_find_store(x.store, *b);
    bool twice = false;
    for (uint32_t i = 0; i < x.nbackup; i++) twice |= x.backup[i] == (uint32_t)s;
    if (s < 0 || twice) {
      fprintf(stderr, "cloudmix: %s: [workflow] backup_stores: '%s' %s\n", scenario_path(c->s), *b,
              s < 0 ? "is not a [store.*] group" : "is given twice");
      out = CM_EXIT_USAGE;
    } else {
      x.backup[x.nbackup++] = (uint32_t)s;
    }
  }
  g_strfreev(bk);
  if (out != CM_EXIT_OK) goto done;
  x.t = g_new0(double, x.n * x.np);
  x.usd = g_new0(double, x.n * x.np);
  x.ok = g_new0(bool, x.n * x.np);
  x.w = g_new0(double, x.n * x.np * x.ns);
  x.r = g_new0(double, x.n * x.np * x.ns);
  if (!benchmark(&x)) {
    out = CM_EXIT_FAILED;
    goto done;
  }
  struct tab_cloudless_plan_workflow t = {0};
  struct tab_cloudless_plan_replan rt = {0};
  if (tab_cloudless_plan_workflow_open(c->db, &t) != 0 || tab_cloudless_plan_replan_open(c->db, &rt) != 0) {
    fprintf(stderr, "cloudmix: cannot create cloudless_workflow / cloudless_replan: %s\n", results_errmsg(c->db));
    out = CM_EXIT_FAILED;
    goto done;
  }
  if (!c->quiet) {
    printf("%-14s %8s %10s %10s %12s %9s  placement (", "plan", "at s", "estimate s", "time s", "cost $", "runs ok");
    for (size_t v = 0; v < x.n; v++) printf("%s%s", v ? ", " : "", dag_node(x.d, v)->name);
    printf(")\n");
  }
  /* one plan per [plan.*] group, or one plan "all" (NULL group) without any */
  const char *const *groups = scenario_groups(c->s, "plan.*");
  static const char *const no_groups[] = {NULL, NULL};
  const char *const *list = *groups ? groups : no_groups;
  uint32_t points = (uint32_t)scenario_int(c->s, "workflow", "pareto_points");
  for (size_t i = 0; out == CM_EXIT_OK && (i == 0 || list[i]); i++) {
    struct plan pl = {0};
    if (read_plan(&x, list[i], &pl, &err) != 0) {
      fprintf(stderr, "cloudmix: %s\n", err);
      g_free(err);
      out = CM_EXIT_USAGE;
    } else {
      out = run_plan(&x, &pl, &t, &rt);
      if (out == CM_EXIT_OK && points) out = pareto(&x, &pl, points);
    }
    g_free(pl.allowed);
  }
  c->sim_end = env_now(x.e);
  c->events = engine_events(env_sim_engine(x.e));
done:
  storage_world_free(x.store);
  faas_world_free(x.world);
  env_free(x.e);
  g_free(x.price);
  g_free(x.backup);
  g_free(x.persist);
  g_free(x.t);
  g_free(x.usd);
  g_free(x.ok);
  g_free(x.w);
  g_free(x.r);
  return out;
}
