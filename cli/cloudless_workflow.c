/* `[cloudless] experiment = workflow`: the seed's periodic placement of a
 * DAG (5.1.4, 5.3 d, 6.4, Table 1) by the planner of
 * models/cloudless/planner.h, once per [plan.NAME] group (checked at load,
 * cli/cloudless_plan.c). This file only wires: the env (the simulated
 * continuum and its storage, or with --real the profile's endpoints, as
 * the live runner does), the planner's configuration from the scenario,
 * the env run until the planner is done, and its results written to
 * cloudless_workflow, cloudless_replan and cloudless_pareto
 * (analysis/tab_cloudless_plan.h) and printed.
 *
 * Exit codes: 0; 2 (CM_EXIT_USAGE) when a plan is infeasible within its
 * budget or deadline, or its planner cannot take the workflow (the
 * scenario's setting); 1 (CM_EXIT_FAILED) when a plan has no usable
 * provider, the backend refused a request (real mode without a storage
 * client) or the results cannot be written. Each failure is one stderr
 * line; an infeasible plan also has its row (feasible 0, the reason). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless_real.h"
#include "env_sim.h"
#include "tab_cloudless_plan.h"

struct wf {
  struct run_ctx *c;
  struct cl_config *cfg;
  env *e;
  faas_world *world;      /* sim */
  storage_world *store;   /* sim */
  struct cl_real *real;   /* real mode */
  struct tab_cloudless_plan_workflow t;
  struct tab_cloudless_plan_replan rt;
  struct tab_cloudless_plan_pareto pt;
  bool done, write_failed, told; /* told: a failure is on stderr already */
  int status;
  double solve_s, solve_max_s; /* wall time of the solves (run_metrics wall_solve_s, wall_solve_max_s) */
};

static const char *pname(const struct wf *x, uint32_t p) { return x->cfg->providers[p].name; }

static void on_row(void *arg, const struct planner_row *r) {
  struct wf *x = arg;
  const dag *d = x->cfg->workflow;
  size_t n = dag_size(d);
  GString *where = g_string_new("");
  for (size_t v = 0; r->place && v < n; v++)
    g_string_append_printf(where, "%s%s=%s@%s", v ? ";" : "", dag_node(d, v)->name, pname(x, r->place[v].provider),
                           x->cfg->stores[r->place[v].store].name);
  const struct planner_plan *pl = r->plan;
  struct tab_cloudless_plan_workflow_row row = {
      .run_id = x->c->run_id, .plan = pl->name, .at_ns = r->at, .planner = planner_solver_name(pl->solver),
      .objective = pl->objective == PLACE_MIN_TIME ? "time" : "cost", .bound = isfinite(pl->bound) ? pl->bound : NAN,
      .estimate_s = r->estimate_s, .time_s = r->time_s, .time_sd_s = r->time_sd_s, .runs = r->runs,
      .failed = r->failed, .resumed = r->resumed, .skipped_nodes = (int64_t)r->skipped_nodes, .cost_usd = r->cost_usd,
      .placement = r->place ? where->str : NULL, .feasible = r->feasible, .infeasible_reason = r->reason,
      .failure = r->failure,
      .path_s = r->path_s, .optimal = r->optimal, .gap = r->gap};
  if (tab_cloudless_plan_workflow_add(&x->t, &row) != 0) x->write_failed = true;
  if (!r->feasible) { /* every infeasible plan on stderr, one line each */
    fprintf(stderr, "cloudmix: %s: plan '%s', %s: %s%s\n", scenario_path(x->c->s), pl->name, r->key,
            r->status == CM_EINVAL ? "" : "infeasible: ", r->reason);
    x->told = true;
  }
  x->solve_s += r->solve_s;
  x->solve_max_s = fmax(x->solve_max_s, r->solve_s);
  if (!x->c->quiet) {
    if (!r->feasible) {
      printf("%-14s %8.0f  infeasible: %s\n", pl->name, cm_time_to_s(r->at), r->reason);
    } else {
      char gap[24];
      if (isnan(r->gap)) snprintf(gap, sizeof gap, "-");
      else snprintf(gap, sizeof gap, "%.2f%%", 100 * r->gap);
      printf("%-14s %8.0f %10.3f %10.3f %10.3f %12.3g %4u/%-4u %7s ", pl->name, cm_time_to_s(r->at), r->estimate_s,
             r->path_s, r->time_s, r->cost_usd, r->runs - r->failed, r->runs, gap);
      for (size_t v = 0; v < n && v < 12; v++) printf(" %s", pname(x, r->place[v].provider));
      printf("%s (solved in %.3f s)\n", n > 12 ? " ..." : "", r->solve_s);
      if (r->failure)
        printf("  %u failed, %u resumed; first failure: %s\n", r->failed, r->resumed, r->failure);
    }
  }
  g_string_free(where, TRUE);
}

static void on_move(void *arg, const struct planner_move *m) {
  struct wf *x = arg;
  const struct dag_node *nd = dag_node(x->cfg->workflow, m->node);
  char reason[160];
  snprintf(reason, sizeof reason, "the placement's estimate went to %.3f s; the new one's is %.3f s",
           m->old_estimate_s, m->new_estimate_s);
  struct tab_cloudless_plan_replan_row row = {
      .run_id = x->c->run_id, .plan = m->plan->name, .at_ns = m->at, .node = nd->name,
      .function = nd->function, .decision = m->decision, .provider = pname(x, m->provider),
      .old_estimate_s = m->old_estimate_s, .new_estimate_s = m->new_estimate_s, .reason = reason};
  if (tab_cloudless_plan_replan_add(&x->rt, &row) != 0) x->write_failed = true;
  if (!x->c->quiet && !strcmp(m->decision, "cleanup"))
    printf("  at %.0f s: redeploy %s, clean up %s (%s)\n", cm_time_to_s(m->at), nd->name, pname(x, m->provider),
           reason);
}

static void on_point(void *arg, const struct planner_point *p) {
  struct wf *x = arg;
  const dag *d = x->cfg->workflow;
  GString *where = g_string_new("");
  for (size_t v = 0; v < dag_size(d); v++)
    g_string_append_printf(where, "%s%s=%s", v ? ";" : "", dag_node(d, v)->name, pname(x, p->provider[v]));
  struct tab_cloudless_plan_pareto_row row = {.run_id = x->c->run_id, .plan = p->plan->name,
                                              .budget_usd = p->budget_usd, .time_s = p->time_s,
                                              .cost_usd = p->cost_usd, .placement = where->str};
  if (tab_cloudless_plan_pareto_add(&x->pt, &row) != 0) x->write_failed = true;
  g_string_free(where, TRUE);
}

static void on_done(void *arg, int status, const char *msg) {
  struct wf *x = arg;
  x->done = true;
  x->status = status;
  if (status != 0 && !x->told) fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(x->c->s), msg);
  env_stop(x->e);
}

/* The simulated world: the continuum, its faults and its stores. */
static int sim_world(struct wf *x, char **err) {
  struct cl_config *cfg = x->cfg;
  x->e = env_sim_new(x->c->seed);
  x->world = faas_world_new(x->e, cfg->providers, cfg->nproviders, cfg->functions, cfg->nfunctions, err);
  if (!x->world) return -1;
  for (uint32_t i = 0; i < cfg->nfaults; i++)
    if (faas_world_add_fault(x->world, &cfg->faults[i]) != 0) {
      *err = g_strdup_printf("fault %u refused by the world", i + 1);
      return -1;
    }
  struct storage_config sc = {.stores = cfg->stores, .nstores = cfg->nstores, .locations = cfg->locations,
                              .nlocations = cfg->nlocations, .links = cfg->slinks};
  x->store = storage_world_new(x->e, &sc, err);
  return x->store ? 0 : -1;
}

/* Calls provider p runs at once, by its scenario settings (0: no limit):
 * the concurrency limit, and a Kubernetes cluster's cores, memory and pods
 * for its bin (sim/platform_k8s.c). */
static uint32_t slots_of(const struct faas_provider *fp, uint32_t bin, uint32_t cc) {
  double slots = fp->concurrency_limit ? (double)fp->concurrency_limit * cc : INFINITY;
  bool k8s = !strcmp(fp->platform, "openfaas") || !strcmp(fp->platform, "fission");
  if (k8s) {
    double nodes = fp->nodes ? fp->nodes : 1, pods = fp->pods_per_node ? fp->pods_per_node : 110;
    double per = pods;
    if (fp->cpu_cores > 0 && fp->bins[bin].vcpu > 0) per = fmin(per, floor(fp->cpu_cores / fp->bins[bin].vcpu));
    if (fp->memory_mb > 0 && fp->bins[bin].memory_mb > 0)
      per = fmin(per, floor(fp->memory_mb / fp->bins[bin].memory_mb));
    slots = fmin(slots, nodes * per);
  }
  return isinf(slots) ? 0 : slots < 1 ? 1 : (uint32_t)fmin(slots, 1e9);
}

static void planner_config(const struct wf *x, struct planner_config *pc, struct planner_provider *pp,
                           struct planner_store *ps, struct planner_plan *plans) {
  const struct cl_config *cfg = x->cfg;
  const scenario *s = x->c->s;
  for (uint32_t p = 0; p < cfg->nproviders; p++) {
    const struct faas_provider *fp = &cfg->providers[p];
    uint32_t bin = cfg->sched_providers[p].bin;
    uint32_t cc = fp->container_concurrency ? fp->container_concurrency : !strcmp(fp->platform, "cloudrun") ? 80 : 1;
    pp[p] = (struct planner_provider){.name = fp->name, .cloud = cfg->locations[p].cloud,
                                      .price = cfg->sched_providers[p].price, .bin = bin,
                                      .slots = slots_of(fp, bin, cc), .per_container = cc};
  }
  for (uint32_t i = 0; i < cfg->nstores; i++) {
    ps[i] = (struct planner_store){.name = cfg->stores[i].name, .cloud = cfg->stores[i].cloud};
    storage_price_builtin(storage_kind_name(cfg->stores[i].kind), &ps[i].price);
  }
  for (uint32_t i = 0; i < cfg->nplans; i++) {
    const struct cl_plan *cp = &cfg->plans[i];
    plans[i] = (struct planner_plan){.name = cp->name, .solver = cp->solver, .objective = cp->objective,
                                     .bound = cp->bound, .allowed = cp->allowed, .nallowed = cp->nallowed};
  }
  double k = scenario_double(s, "cloudless", "time_scale");
  *pc = (struct planner_config){
      .d = cfg->workflow, .providers = pp, .nproviders = cfg->nproviders, .stores = ps, .nstores = cfg->nstores,
      .backup = cfg->backup, .nbackup = cfg->nbackup, .plans = plans, .nplans = cfg->nplans,
      .bench_calls = (uint32_t)scenario_int(s, "workflow", "bench_calls"),
      .runs = (uint32_t)scenario_int(s, "workflow", "runs"),
      /* the periods follow [cloudless] time_scale, as every duration of the
       * world does (cli/cloudless_scale.c) */
      .replan = cm_time_from_s(scenario_double(s, "workflow", "replan_s") * k),
      .horizon = cm_time_from_s(scenario_double(s, "workflow", "horizon_s") * k),
      .pareto_points = (uint32_t)scenario_int(s, "workflow", "pareto_points"),
      .max_attempts = cfg->sched.max_attempts, .timeout = cfg->sched.timeout,
      .time_limit_s = scenario_double(s, "workflow", "time_limit_s")};
}

static void header(const struct wf *x) {
  if (x->c->quiet) return;
  printf("%-14s %8s %10s %10s %10s %12s %9s %7s  placement (", "plan", "at s", "estimate s", "path s", "time s",
         "cost $", "runs ok", "gap");
  size_t n = dag_size(x->cfg->workflow);
  for (size_t v = 0; v < n && v < 12; v++) printf("%s%s", v ? ", " : "", dag_node(x->cfg->workflow, v)->name);
  printf("%s)\n", n > 12 ? ", ..." : "");
}

int cloudless_workflow_run(struct run_ctx *c, struct cl_config *cfg) {
  struct wf x = {.c = c, .cfg = cfg};
  char *err = NULL;
  int out = CM_EXIT_OK;
  planner *pl = NULL;
  struct planner_provider *pp = g_new0(struct planner_provider, cfg->nproviders);
  struct planner_store *ps = g_new0(struct planner_store, cfg->nstores);
  struct planner_plan *plans = g_new0(struct planner_plan, cfg->nplans);
  if (c->real ? cl_real_world(c, cfg, &x.e, &x.real, &err) != 0 : sim_world(&x, &err) != 0) {
    if (c->real) fprintf(stderr, "cloudmix: %s\n", err); /* it names the profile */
    else fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
    out = CM_EXIT_USAGE;
    goto done;
  }
  if (tab_cloudless_plan_workflow_open(c->db, &x.t) != 0 || tab_cloudless_plan_replan_open(c->db, &x.rt) != 0 ||
      (scenario_int(c->s, "workflow", "pareto_points") && tab_cloudless_plan_pareto_open(c->db, &x.pt) != 0)) {
    fprintf(stderr, "cloudmix: cannot create the workflow tables: %s\n", results_errmsg(c->db));
    out = CM_EXIT_FAILED;
    goto done;
  }
  struct planner_config pc;
  planner_config(&x, &pc, pp, ps, plans);
  struct planner_observer obs = {.row = on_row, .move = on_move, .point = on_point, .done = on_done, .arg = &x};
  header(&x);
  if (!(pl = planner_start(x.e, &pc, &obs, &err))) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
    out = CM_EXIT_USAGE;
    goto done;
  }
  int rc = env_run(x.e, CM_TIME_MAX);
  if (!x.done) {
    fprintf(stderr, "cloudmix: %s: the planner stopped before it was done (%s)\n", scenario_path(c->s),
            rc ? cm_strerror(rc) : "nothing left to wait for");
    out = CM_EXIT_FAILED;
  } else if (x.status != 0) {
    out = x.status == CM_ERANGE || x.status == CM_EINVAL ? CM_EXIT_USAGE : CM_EXIT_FAILED;
  }
  if (x.write_failed) {
    fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
    out = CM_EXIT_FAILED;
  }
  results_metric(c->db, c->run_id, "wall_solve_s", x.solve_s); /* wall_*: not compared across reruns */
  results_metric(c->db, c->run_id, "wall_solve_max_s", x.solve_max_s);
  c->sim_end = env_now(x.e);
  c->events = x.world ? engine_events(env_sim_engine(x.e)) : 0;
  if (x.real && cl_real_report(x.e, c) != 0) out = CM_EXIT_FAILED;
done:
  g_free(err);
  planner_free(pl);
  storage_world_free(x.store);
  faas_world_free(x.world);
  env_free(x.e);
  cl_real_free(x.real);
  g_free(pp);
  g_free(ps);
  g_free(plans);
  return out;
}
