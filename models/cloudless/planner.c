/* The periodic planner (planner.h): its life as a chain of callbacks —
 * benchmark, then per plan rounds of solve, moves and runs (each run a
 * dagexec_run whose completion starts the next), the Pareto front, the
 * next plan, done. Benchmarking is in planner_bench.c, the search space,
 * solvers and estimate in planner_model.c and planner_estimate.c. */
#include "cloudless/planner_impl.h"

#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *planner_solver_name(enum planner_solver s) {
  return s == PLANNER_EXACT ? "exact" : s == PLANNER_CSP ? "csp" : "heuristic";
}

static void finish(planner *p) {
  if (p->stopped) return;
  p->stopped = true;
  p->obs.done(p->obs.arg, p->status, p->msg);
}

void planner__fail(planner *p, int status, const char *fmt, ...) {
  if (p->status == 0) {
    va_list ap;
    va_start(ap, fmt);
    p->msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p->status = status;
  }
  if (status == CM_ENOSYS || status == CM_EINVAL) finish(p); /* nothing else can go on */
}

static void plan_begin(planner *p);
static void round_begin(planner *p);
static void run_next(planner *p);

static void plan_end(planner *p) {
  if (p->cfg.pareto_points && planner__pareto(p) != 0)
    planner__fail(p, CM_EIO, "plan '%s', pareto_points: %s", p->pl->name, p->reason);
  if (p->stopped) return;
  p->plan++;
  plan_begin(p);
}

static void on_round_timer(env *e CM_UNUSED, void *arg) {
  planner *p = arg;
  p->timer = 0;
  round_begin(p);
}

static void emit_row(planner *p) {
  struct planner_row *r = &p->row;
  uint32_t good = r->runs - r->failed;
  r->time_s = good ? p->sum / good : NAN;
  r->time_sd_s = good > 1 ? sqrt(fmax(0, (p->sum2 - p->sum * r->time_s) / (good - 1))) : 0;
  p->obs.row(p->obs.arg, r);
}

static void round_end(planner *p) {
  emit_row(p);
  memcpy(p->prev, p->choice, p->n * sizeof *p->choice);
  memcpy(p->old, p->place, p->n * sizeof *p->place);
  p->first_round = false;
  cm_time next = p->round_at + p->cfg.replan, now = env_now(p->e);
  if (p->cfg.replan && now < p->end) {
    p->timer = env_after(p->e, next > now ? next - now : 0, on_round_timer, p);
    return;
  }
  plan_end(p);
}

/* The old placement's estimate under this round's benchmarks, and a
 * redeploy and a cleanup per moved node. */
static void record_moves(planner *p) {
  if (!p->obs.move) return;
  double old_est = planner__estimate(p, p->old, 1, false);
  for (uint32_t v = 0; v < p->n; v++) {
    if (p->old[v].provider == p->place[v].provider) continue;
    struct planner_move m = {.plan = p->pl, .at = p->row.at, .node = v, .decision = "redeploy",
                             .provider = p->place[v].provider, .old_estimate_s = old_est,
                             .new_estimate_s = p->row.estimate_s};
    p->obs.move(p->obs.arg, &m);
    m.decision = "cleanup";
    m.provider = p->old[v].provider;
    p->obs.move(p->obs.arg, &m);
  }
}

static void round_solve(planner *p) {
  if (p->stopped) return;
  int rc = planner__solve(p);
  if (rc != 0) {
    const char *key = rc == CM_ERANGE ? (p->pl->objective == PLACE_MIN_TIME ? "budget_usd" : "deadline_s")
                      : rc == CM_EINVAL ? "planner" : "providers";
    p->row.status = rc == CM_ERANGE || rc == CM_EINVAL ? rc : CM_EIO;
    p->row.key = key;
    p->obs.row(p->obs.arg, &p->row);
    planner__fail(p, rc == CM_ERANGE || rc == CM_EINVAL ? rc : CM_EIO, "plan '%s', %s: %s%s", p->pl->name, key,
                  rc == CM_EINVAL ? "" : "infeasible: ", p->reason);
    if (!p->stopped) plan_end(p);
    return;
  }
  if (!p->first_round && memcmp(p->prev, p->choice, p->n * sizeof *p->choice) != 0) record_moves(p);
  p->sum = p->sum2 = 0;
  run_next(p);
}

static void round_begin(planner *p) {
  p->round_at = env_now(p->e);
  if (p->first_round)
    round_solve(p);
  else
    planner__bench(p, round_solve);
}

static void plan_begin(planner *p) {
  if (p->plan >= p->cfg.nplans) {
    finish(p);
    return;
  }
  p->pl = &p->cfg.plans[p->plan];
  p->nallowed = 0;
  if (p->pl->allowed && p->pl->nallowed)
    for (uint32_t k = 0; k < p->pl->nallowed; k++) p->allowed[p->nallowed++] = p->pl->allowed[k];
  else
    for (uint32_t q = 0; q < p->np; q++) p->allowed[p->nallowed++] = q;
  p->first_round = true;
  p->end = env_now(p->e) + p->cfg.horizon;
  round_begin(p);
}

static void start_run(planner *p);

/* Why run r failed, into p->failure when it is the row's first: its first
 * failed node and what failed there, a storage request or the call. */
static void note_failure(planner *p, const struct dagexec_result *r) {
  if (p->failure[0] || r->failed_node < 0) return;
  const struct dagexec_node_result *nr = &r->nodes[r->failed_node];
  const char *node = dag_node(p->cfg.d, (uint32_t)r->failed_node)->name;
  if (nr->store_status != 0)
    snprintf(p->failure, sizeof p->failure, "run %u, node '%s': %s store '%s' failed (%s)", p->row.runs, node,
             nr->store_op == STORE_PUT ? "writing its output to" : "reading a parent's output from",
             p->cfg.stores[nr->store].name, cm_strerror(nr->store_status));
  else
    snprintf(p->failure, sizeof p->failure, "run %u, node '%s': its call failed after %u attempts (%s)", p->row.runs,
             node, nr->attempts, nr->call.reason ? nr->call.reason : planner__status_word(nr->call.status));
  p->row.failure = p->failure;
}

static void on_dag(env *e, void *arg, const struct dagexec_result *r) {
  planner *p = arg;
  if (r->status != 0) note_failure(p, r);
  for (size_t v = 0; v < p->n; v++)
    p->finished[v] = r->nodes[v].state == DAGEXEC_DONE || r->nodes[v].state == DAGEXEC_SKIPPED;
  /* a run that fails midway is resumed once from its backups: its
   * finished nodes are not run again */
  if (r->status != 0 && p->attempt == 0 && p->cfg.nbackup) {
    p->attempt = 1;
    p->row.resumed++;
    for (size_t v = 0; v < p->n; v++) p->row.skipped_nodes += p->finished[v];
    start_run(p);
    return;
  }
  p->row.runs++;
  if (r->status != 0) {
    p->row.failed++;
  } else {
    double t = cm_time_to_s(env_now(e) - p->run_start); /* end to end, a resume's failed part included */
    p->sum += t;
    p->sum2 += t * t;
  }
  run_next(p);
}

static void start_run(planner *p) {
  snprintf(p->prefix, sizeof p->prefix, "%s/%u", p->pl->name, p->row.runs); /* borrowed by the run */
  /* a resume fails over to the backups: what has still to run writes its
   * output to the first backup store (its own store may be what failed) */
  memcpy(p->again, p->place, p->n * sizeof *p->again);
  for (size_t v = 0; p->attempt && v < p->n; v++)
    if (!p->finished[v]) p->again[v].store = p->cfg.backup[0];
  struct dagexec_config dc = {.d = p->cfg.d, .place = p->attempt ? p->again : p->place, .backup = p->cfg.backup, .nbackup = p->cfg.nbackup,
                              .persist = p->persist, .npersist = p->npersist, .key_prefix = p->prefix,
                              .resume = p->attempt ? p->finished : NULL, .max_attempts = p->cfg.max_attempts,
                              .timeout = p->cfg.timeout};
  if (dagexec_run(p->e, &dc, on_dag, p) != 0)
    planner__fail(p, CM_EINVAL, "plan '%s': the workflow cannot run (a persist node needs a store with a cloud)",
                  p->pl->name);
}

static void run_next(planner *p) {
  bool more = p->cfg.replan ? env_now(p->e) < p->round_at + p->cfg.replan : p->row.runs < p->cfg.runs;
  if (!more) {
    round_end(p);
    return;
  }
  p->attempt = 0;
  p->run_start = env_now(p->e);
  start_run(p);
}

static void on_start(env *e CM_UNUSED, void *arg) {
  planner *p = arg;
  p->timer = 0;
  planner__bench(p, plan_begin);
}

static int check(const struct planner_config *c, const struct planner_observer *obs, char **err) {
  const char *why = NULL;
  if (!c->d || !dag_topo(c->d)) why = "the workflow is not sealed";
  else if (!c->nproviders || !c->providers) why = "no providers";
  else if (!c->nstores || !c->stores) why = "no stores";
  else if (!c->nplans || !c->plans) why = "no plans";
  else if (!c->bench_calls || !c->runs || !c->max_attempts) why = "bench_calls, runs and max_attempts must be >= 1";
  else if (!(c->time_limit_s > 0)) why = "the time limit must be > 0";
  else if (c->replan < 0 || c->horizon < 0 || (c->replan > 0) != (c->horizon > 0)) why = "replan and horizon go together";
  else if (!obs || !obs->row || !obs->done) why = "the observer needs row and done";
  for (uint32_t i = 0; !why && i < c->nbackup; i++)
    if (c->backup[i] >= c->nstores) why = "a backup store out of range";
  for (uint32_t i = 0; !why && i < c->nplans; i++)
    for (uint32_t k = 0; k < c->plans[i].nallowed; k++)
      if (c->plans[i].allowed[k] >= c->nproviders) why = "a plan's provider out of range";
  if (why && err) *err = g_strdup_printf("planner: %s", why);
  return why ? CM_EINVAL : 0;
}

planner *planner_start(env *e, const struct planner_config *cfg, const struct planner_observer *obs, char **err) {
  if (!e || check(cfg, obs, err) != 0) return NULL;
  planner *p = g_new0(planner, 1);
  p->e = e;
  p->cfg = *cfg;
  p->obs = *obs;
  p->n = dag_size(cfg->d);
  p->np = cfg->nproviders;
  p->ns = cfg->nstores;
  size_t nq = p->n * p->np, nw = nq * p->ns;
  p->t = g_new0(double, nq);
  p->exec = g_new0(double, nq);
  p->usd = g_new0(double, nq);
  p->ok = g_new0(bool, nq);
  p->why = g_new0(const char *, nq);
  p->w = g_new0(double, nw);
  p->r = g_new0(double, nw);
  p->fn = g_new0(uint32_t, p->n);
  for (uint32_t v = 0; v < p->n; v++) {
    p->fn[v] = v;
    for (uint32_t u = 0; u < v; u++)
      if (!strcmp(dag_node(cfg->d, u)->function, dag_node(cfg->d, v)->function)) {
        p->fn[v] = u;
        break;
      }
  }
  p->cold = g_new0(double, nq);
  p->warm = g_new0(uint32_t, nq);
  p->persist = g_new0(uint32_t, p->ns);
  for (uint32_t s = 0; s < p->ns; s++)
    if (*cfg->stores[s].cloud) p->persist[p->npersist++] = s;
  p->allowed = g_new0(uint32_t, p->np);
  p->choice = g_new0(uint32_t, p->n);
  p->prev = g_new0(uint32_t, p->n);
  p->place = g_new0(struct dagexec_place, p->n);
  p->again = g_new0(struct dagexec_place, p->n);
  p->old = g_new0(struct dagexec_place, p->n);
  p->finished = g_new0(bool, p->n);
  p->timer = env_after(e, 0, on_start, p);
  return p;
}

void planner_free(planner *p) {
  if (!p) return;
  if (p->timer) env_cancel(p->e, p->timer);
  for (int i = 0; i < 2; i++)
    if (p->breq[i] > 0) p->breq_store ? env_store_cancel(p->e, p->breq[i]) : env_invoke_cancel(p->e, p->breq[i]);
  if (p->bsteps) g_array_free(p->bsteps, TRUE);
  g_free(p->t);
  g_free(p->exec);
  g_free(p->usd);
  g_free(p->ok);
  g_free(p->why);
  g_free(p->w);
  g_free(p->r);
  g_free(p->fn);
  g_free(p->cold);
  g_free(p->warm);
  g_free(p->persist);
  g_free(p->allowed);
  g_free(p->choice);
  g_free(p->prev);
  g_free(p->place);
  g_free(p->again);
  g_free(p->old);
  g_free(p->finished);
  g_free(p->msg);
  g_free(p);
}
