/* The serverless world's configuration and public accessors: checking and
 * copying providers and functions, deriving the per-provider constants the
 * hot path uses (lognormal parameters, ns per byte and per GFLOP, integer
 * capacities), opening the random streams, faults, links and statistics.
 * The life of an invocation is in faas_run.c, pools in faas_pool.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_impl.h"
#include "env_sim.h"
#include "faas_impl.h"

void faas_lognormal_params(double mean, double cv, double *mu, double *sigma) {
  double s2 = log1p(cv * cv);
  *sigma = sqrt(s2);
  *mu = log(mean) - s2 / 2;
}

static uint64_t micro(double x) { return (uint64_t)llround(x * 1e6); }

static bool name_ok(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  return n > 0 && n < max;
}

/* Check a provider (already given its platform defaults): NULL if fine,
 * else the message (naming fields as struct faas_provider does, bins[b]
 * as "bins") and *field the field at fault. */
static char *check_fields(const struct faas_provider *p, const char **field) {
#define BAD(f, ...) return (*field = (f), g_strdup_printf(__VA_ARGS__))
  if (p->nbins == 0 || p->nbins > FAAS_MAX_BINS) BAD("nbins", "nbins %u: expected 1..%d", p->nbins, FAAS_MAX_BINS);
  for (uint32_t b = 0; b < p->nbins; b++) {
    if (!(p->bins[b].memory_mb > 0)) BAD("bins.memory_mb", "bins.memory_mb must be > 0");
    if (!(p->bins[b].vcpu > 0)) BAD("bins.vcpu", "bins.vcpu must be > 0");
    if (p->cpu_cores > 0 && p->bins[b].vcpu > p->cpu_cores)
      BAD("bins.vcpu", "bins.vcpu %g exceeds cpu_cores %g: a request must fit on one node", p->bins[b].vcpu,
          p->cpu_cores);
    if (p->memory_mb > 0 && p->bins[b].memory_mb > p->memory_mb)
      BAD("bins.memory_mb", "bins.memory_mb %g exceeds memory_mb %g: a request must fit on one node",
          p->bins[b].memory_mb, p->memory_mb);
  }
  if (!(p->gflops_per_vcpu > 0) || !isfinite(p->gflops_per_vcpu)) BAD("gflops_per_vcpu", "gflops_per_vcpu must be > 0");
  const struct {
    const char *name;
    cm_time t;
  } times[] = {{"exec_overhead", p->exec_overhead},     {"cold_start_mean", p->cold_start_mean},
               {"keep_alive", p->keep_alive},           {"sched_delay_mean", p->sched_delay_mean},
               {"queue_timeout", p->queue_timeout},     {"link_latency", p->link_latency},
               {"link_jitter_sd", p->link_jitter_sd},   {"var.drift_period", p->var.drift_period},
               {"var.contention_on_mean", p->var.contention_on_mean},
               {"var.contention_off_mean", p->var.contention_off_mean}};
  for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
    if (times[k].t < 0) BAD(times[k].name, "%s %lld: a time must be >= 0", times[k].name, (long long)times[k].t);
  if (!(p->exec_cv >= 0)) BAD("exec_cv", "exec_cv must be >= 0");
  if (!(p->cold_start_cv >= 0)) BAD("cold_start_cv", "cold_start_cv must be >= 0");
  if (!(p->sched_delay_cv >= 0)) BAD("sched_delay_cv", "sched_delay_cv must be >= 0");
  if (!(p->error_rate >= 0 && p->error_rate <= 1)) BAD("error_rate", "error_rate %g: expected [0, 1]", p->error_rate);
  if (!(p->cpu_cores >= 0)) BAD("cpu_cores", "cpu_cores must be >= 0");
  if (!(p->memory_mb >= 0)) BAD("memory_mb", "memory_mb must be >= 0");
  if (p->nodes > 100000) BAD("nodes", "nodes %u: expected at most 100000", p->nodes);
  if (!(p->link_bandwidth_bps >= 0)) BAD("link_bandwidth_bps", "link_bandwidth_bps must be >= 0");
  if (!(p->var.drift_amplitude >= 0 && p->var.drift_amplitude < 1))
    BAD("var.drift_amplitude", "var.drift_amplitude %g: expected [0, 1)", p->var.drift_amplitude);
  if (p->var.drift_amplitude > 0 && p->var.drift_period == 0)
    BAD("var.drift_period", "var.drift_period must be > 0 with var.drift_amplitude > 0");
  if (!(p->var.contention_factor >= 1 || p->var.contention_factor == 0))
    BAD("var.contention_factor", "var.contention_factor %g: expected >= 1 (0 = 1)", p->var.contention_factor);
  if (p->var.contention_factor > 1 && p->var.contention_on_mean == 0)
    BAD("var.contention_on_mean", "var.contention_on_mean must be > 0 with var.contention_factor > 1");
  if (p->var.contention_factor > 1 && p->var.contention_off_mean == 0)
    BAD("var.contention_off_mean", "var.contention_off_mean must be > 0 with var.contention_factor > 1");
  return NULL;
#undef BAD
}

static void apply_defaults(struct faas_provider *c, const struct platform_ops *ops) {
  ops->defaults(c);
  if (c->container_concurrency == 0) c->container_concurrency = 1;
  if (c->var.contention_factor == 0) c->var.contention_factor = 1;
}

char *faas_provider_check(const struct faas_provider *p, const char **field) {
  const char *f = NULL;
  if (!field) field = &f;
  char plat[sizeof p->platform];
  g_strlcpy(plat, p->platform, sizeof plat);
  const struct platform_ops *ops = platform_find(plat);
  if (!ops) {
    *field = "platform";
    return g_strdup_printf("platform '%s' unknown (known: %s)", plat, platform_names());
  }
  struct faas_provider c = *p;
  apply_defaults(&c, ops);
  return check_fields(&c, field);
}

/* Check provider i (already given its platform defaults). NULL if fine. */
static char *check_provider(const struct faas_provider *p, uint32_t i) {
  const char *field;
  char *why = check_fields(p, &field);
  if (!why) return NULL;
  char *msg = g_strdup_printf("faas: provider %u '%s': %s", i, p->name, why);
  g_free(why);
  return msg;
}

char *faas__prov_setup(faas_world *w, struct faas__prov *p, const struct faas_provider *cfg, uint32_t i) {
  if (!name_ok(cfg->name, FAAS_NAME_MAX)) return g_strdup_printf("faas: provider %u: name empty or not terminated", i);
  if (!name_ok(cfg->platform, sizeof cfg->platform))
    return g_strdup_printf("faas: provider %u '%s': platform empty or not terminated", i, cfg->name);
  p->ops = platform_find(cfg->platform);
  if (!p->ops)
    return g_strdup_printf("faas: provider %u '%s': platform '%s' unknown (known: %s)", i, cfg->name, cfg->platform,
                           platform_names());
  p->cfg = *cfg;
  p->cfg.region[sizeof p->cfg.region - 1] = '\0';
  apply_defaults(&p->cfg, p->ops);
  char *err = check_provider(&p->cfg, i);
  if (err) return err;
  for (uint32_t k = 0; k < i; k++)
    if (strcmp(w->provs[k].cfg.name, cfg->name) == 0)
      return g_strdup_printf("faas: provider %u '%s': name already used by provider %u", i, cfg->name, k);

  const struct faas_provider *c = &p->cfg;
  p->w = w;
  p->idx = i;
  p->load.slots = c->concurrency_limit ? (uint64_t)c->concurrency_limit * c->container_concurrency : UINT64_MAX;
  p->load.cores_cap = micro(c->cpu_cores);
  p->load.mem_cap = micro(c->memory_mb);
  if (p->ops->has_nodes) {
    p->load.nnodes = c->nodes ? c->nodes : 1;
    p->load.pods_cap = c->pods_per_node;
    p->load.node = g_new0(struct platform_node, p->load.nnodes);
  }
  for (uint32_t b = 0; b < c->nbins; b++) {
    p->bin_cores[b] = micro(c->bins[b].vcpu);
    p->bin_mem[b] = micro(c->bins[b].memory_mb);
    p->ns_per_gflop[b] = 1e9 / (c->gflops_per_vcpu * c->bins[b].vcpu);
  }
  faas_lognormal_params(1.0, c->exec_cv, &p->exec_mu, &p->exec_sigma);
  if (c->sched_delay_mean > 0) faas_lognormal_params((double)c->sched_delay_mean, c->sched_delay_cv, &p->sched_mu, &p->sched_sigma);
  if (c->cold_start_mean > 0) faas_lognormal_params((double)c->cold_start_mean, c->cold_start_cv, &p->cold_mu, &p->cold_sigma);
  p->link = (struct faas__link){c->link_latency, c->link_jitter_sd,
                                 c->link_bandwidth_bps > 0 ? 8e9 / c->link_bandwidth_bps : 0, true};

  char name[FAAS_NAME_MAX + 32];
#define STREAM(field, what) \
  (snprintf(name, sizeof name, "faas:%s:" what, c->name), p->field = env_rng(w->e, name))
  STREAM(r_link, "link");
  STREAM(r_sched, "sched");
  STREAM(r_cold, "cold");
  STREAM(r_exec, "exec");
  STREAM(r_err, "error");
  STREAM(r_var, "variability");
#undef STREAM
  if (c->var.drift_amplitude > 0) {
    p->drift_omega = 2 * M_PI / (double)c->var.drift_period;
    p->drift_phase = rng_uniform_range(p->r_var, 0, 2 * M_PI);
  }
  if (c->var.contention_factor > 1) { /* the on/off process in its stationary state at time 0 */
    double on = (double)c->var.contention_on_mean, off = (double)c->var.contention_off_mean;
    p->cont_on = rng_uniform(p->r_var) < on / (on + off);
    p->cont_until = 1 + (cm_time)rng_exponential(p->r_var, p->cont_on ? on : off);
  }
  p->pools = calloc((size_t)w->nf * c->nbins + 1, sizeof(*p->pools));
  if (!p->pools) cm_fatal(CM_LOC, "faas: out of memory");
  for (size_t k = 0; k < (size_t)w->nf * c->nbins; k++) faas__pool_prewarm(&p->pools[k], c->prewarm, env_now(w->e));
  return NULL;
}

faas_world *faas_world_new(env *e, const struct faas_provider *providers, uint32_t nproviders,
                           const struct faas_function *functions, uint32_t nfunctions, char **err) {
  char *msg = NULL;
  if (err) *err = NULL;
  if (!e || strcmp(e->ops->name, "sim") != 0) {
    if (err) *err = g_strdup("faas: the world needs a sim env");
    return NULL;
  }
  if (nproviders == 0 || !providers || (nfunctions && !functions)) {
    if (err) *err = g_strdup("faas: no providers");
    return NULL;
  }
  faas_world *w = calloc(1, sizeof(*w));
  if (!w) cm_fatal(CM_LOC, "faas: out of memory");
  w->e = e;
  w->en = env_sim_engine(e);
  w->inv_chunks = g_ptr_array_new_with_free_func(free);
  w->cont_chunks = g_ptr_array_new_with_free_func(free);
  w->fn_index = g_hash_table_new(g_str_hash, g_str_equal);
  w->fns = calloc(nfunctions + 1, sizeof(*w->fns));
  w->provs = calloc(nproviders, sizeof(*w->provs));
  if (!w->fns || !w->provs) cm_fatal(CM_LOC, "faas: out of memory");
  for (uint32_t i = 0; i < nfunctions; i++) {
    const struct faas_function *f = &functions[i];
    if (!name_ok(f->name, FAAS_NAME_MAX)) {
      msg = g_strdup_printf("faas: function %u: name empty or not terminated", i);
      goto fail;
    }
    if (!(f->gflop >= 0) || !isfinite(f->gflop) || !(f->memory_mb >= 0)) {
      msg = g_strdup_printf("faas: function %u '%s': gflop and memory_mb must be >= 0", i, f->name);
      goto fail;
    }
    if (g_hash_table_contains(w->fn_index, f->name)) {
      msg = g_strdup_printf("faas: function %u '%s': name already used", i, f->name);
      goto fail;
    }
    w->fns[i] = *f;
    w->nf = i + 1;
    g_hash_table_insert(w->fn_index, w->fns[i].name, GUINT_TO_POINTER(i + 1));
  }
  for (uint32_t i = 0; i < nproviders; i++) {
    w->np = i + 1; /* so that faas_world_free frees provider i's pools */
    msg = faas__prov_setup(w, &w->provs[i], &providers[i], i);
    if (msg) goto fail;
  }
  env_sim_set_invoker(e, faas__invoke, w);
  w->installed = true;
  return w;
fail:
  faas_world_free(w);
  if (err) *err = msg;
  else g_free(msg);
  return NULL;
}

void faas_world_free(faas_world *w) {
  if (!w) return;
  if (w->installed) {
    faas__cancel_all(w);
    env_sim_set_invoker(w->e, NULL, NULL);
  }
  for (uint32_t i = 0; w->provs && i < w->np; i++) faas__prov_free(w, &w->provs[i]);
  for (size_t i = 0; w->reps && i < (size_t)w->nclients * w->nrep; i++) faas__prov_free(w, &w->reps[i]);
  g_free(w->reps);
  g_free(w->rep_slot);
  g_free(w->clinks);
  g_ptr_array_free(w->inv_chunks, TRUE);
  g_ptr_array_free(w->cont_chunks, TRUE);
  g_hash_table_destroy(w->fn_index);
  free(w->fns);
  free(w->provs);
  free(w);
}

void faas__prov_free(faas_world *w, struct faas__prov *p) {
  if (p->qtimer) engine_cancel(w->en, p->qtimer, NULL);
  if (p->pools)
    for (size_t k = 0; k < (size_t)w->nf * p->cfg.nbins; k++) faas__pool_free(&p->pools[k]);
  free(p->pools);
  free(p->faults);
  g_free(p->load.node);
}

int faas__prov_add_fault(struct faas__prov *p, const struct faas_fault *f) {
  if (p->nfaults == p->faults_cap) {
    uint32_t cap = p->faults_cap ? p->faults_cap * 2 : 4;
    struct faas_fault *a = realloc(p->faults, cap * sizeof(*a));
    if (!a) return CM_ENOMEM;
    p->faults = a;
    p->faults_cap = cap;
  }
  p->faults[p->nfaults++] = *f;
  return CM_OK;
}

int faas_world_add_fault(faas_world *w, const struct faas_fault *f) {
  if (!w || !f || f->provider >= w->np || f->start < 0 || f->end < f->start) return CM_EINVAL;
  switch (f->kind) {
  case FAAS_FAULT_OUTAGE:
  case FAAS_FAULT_TIMEOUT:
  case FAAS_FAULT_LINK_DOWN: break;
  case FAAS_FAULT_ERRORS:
    if (!(f->value >= 0 && f->value <= 1)) return CM_EINVAL;
    break;
  case FAAS_FAULT_SLOWDOWN:
    if (!(f->value >= 1) || !isfinite(f->value)) return CM_EINVAL;
    break;
  default: return CM_EINVAL;
  }
  if (f->end <= engine_now(w->en)) return CM_OK; /* already over: nothing to do */
  int rc = faas__prov_add_fault(&w->provs[f->provider], f);
  int slot = w->rep_slot ? w->rep_slot[f->provider] : -1; /* one per client: every client's instance */
  for (uint32_t c = 0; rc == CM_OK && slot >= 0 && c < w->nclients; c++)
    rc = faas__prov_add_fault(&w->reps[(size_t)c * w->nrep + (uint32_t)slot], f);
  return rc;
}

int faas_world_set_link(faas_world *w, uint32_t p, cm_time latency, cm_time jitter_sd, double bandwidth_bps) {
  if (!w || w->clinks) return CM_EINVAL;
  return faas_world_set_client_link(w, 0, p, latency, jitter_sd, bandwidth_bps);
}

int faas_world_set_link_up(faas_world *w, uint32_t p, bool up) {
  if (!w || w->clinks) return CM_EINVAL;
  return faas_world_set_client_link_up(w, 0, p, up);
}

uint32_t faas_world_nproviders(const faas_world *w) { return w->np; }

const struct faas_provider *faas_world_provider(const faas_world *w, uint32_t p) {
  return p < w->np ? &w->provs[p].cfg : NULL;
}

int faas_world_find_provider(const faas_world *w, const char *name) {
  for (uint32_t i = 0; name && i < w->np; i++)
    if (strcmp(w->provs[i].cfg.name, name) == 0) return (int)i;
  return -1;
}

int faas_world_find_function(const faas_world *w, const char *name) {
  gpointer v = name ? g_hash_table_lookup(w->fn_index, name) : NULL;
  return v ? (int)GPOINTER_TO_UINT(v) - 1 : -1;
}

void faas__prov_stats(const faas_world *w, const struct faas__prov *pr, struct faas_stats *out) {
  *out = pr->st;
  out->running = pr->load.running;
  out->queued = pr->load.queued;
  cm_time now = engine_now(w->en);
  uint32_t warm = 0;
  for (size_t k = 0; k < (size_t)w->nf * pr->cfg.nbins; k++) warm += faas__pool_warm(pr, &pr->pools[k], now);
  out->warm_idle = warm;
}

void faas_world_stats(const faas_world *w, uint32_t p, struct faas_stats *out) {
  memset(out, 0, sizeof(*out));
  if (p >= w->np) return;
  faas__prov_stats(w, &w->provs[p], out);
  if (w->rep_slot && w->rep_slot[p] >= 0) faas__reps_stats(w, p, out);
}
