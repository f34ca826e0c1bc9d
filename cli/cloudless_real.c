/* Real mode of the cloudless runner (cloudless_real.h). */
#include "cloudless_real.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "env_real.h"
#include "profile.h"

struct cl_real {
  profile *prof;
  struct env_real_provider *eps;
  uint32_t n;
};

void cl_real_free(struct cl_real *r) {
  if (!r) return;
  profile_free(r->prof);
  g_free(r->eps);
  g_free(r);
}

int cl_real_world(struct run_ctx *c, struct cl_config *cfg, env **e, struct cl_real **out, char **err) {
  struct cl_real *r = g_new0(struct cl_real, 1);
  *out = r;
  if (!(r->prof = profile_load(c->real, err))) return -1;
  if (results_run_real(c->db, c->run_id, profile_text(r->prof)) != 0) {
    *err = g_strdup_printf("cannot record the run's mode: %s", results_errmsg(c->db));
    return -1;
  }
  /* A profile may serve several scenarios: its other providers are unused
   * (a misspelt one leaves a scenario provider without an endpoint: an
   * error below). */
  for (size_t i = 0; i < profile_count(r->prof); i++) {
    const struct provider *p = profile_provider(r->prof, i);
    bool used = false;
    for (uint32_t k = 0; k < cfg->nproviders && !used; k++) used = !strcmp(cfg->providers[k].name, p->name);
    if (!used && !c->quiet)
      fprintf(stderr, "cloudmix: note: %s: [provider.%s] is not a provider of %s: unused\n", profile_path(r->prof),
              p->name, scenario_path(c->s));
  }
  r->n = cfg->nproviders;
  r->eps = g_new0(struct env_real_provider, r->n);
  for (uint32_t i = 0; i < r->n; i++) {
    const struct faas_provider *fp = &cfg->providers[i];
    struct provider *p = profile_find(r->prof, fp->name);
    if (!p) {
      *err = g_strdup_printf("%s: no [provider.%s] group: every provider of the scenario (%s) needs its endpoint "
                             "in the real-mode profile", profile_path(r->prof), fp->name, scenario_path(c->s));
      return -1;
    }
    double mem[FAAS_MAX_BINS];
    for (uint32_t b = 0; b < fp->nbins; b++) mem[b] = fp->bins[b].memory_mb;
    if (provider_set_bins(p, mem, fp->nbins) != 0) {
      *err = g_strdup_printf("%s: [provider.%s]: cannot take the scenario's %u compute bins", profile_path(r->prof),
                             fp->name, fp->nbins);
      return -1;
    }
    r->eps[i] = (struct env_real_provider){.p = p};
    const char *price = profile_price(r->prof, (size_t)(p - profile_provider(r->prof, 0)));
    if (price) {
      struct sched_provider *sp = &cfg->sched_providers[i];
      const struct faas_bin *bin = &fp->bins[sp->bin];
      if (cost_price_builtin(price, bin->memory_mb, bin->vcpu, &sp->price) != 0) {
        *err = g_strdup_printf("%s: [provider.%s] price: '%s' does not fit bin %u (%g MB, %g vCPU)",
                               profile_path(r->prof), fp->name, price, sp->bin, bin->memory_mb, bin->vcpu);
        return -1;
      }
    }
  }
  if (!(*e = env_real_new(c->seed))) {
    *err = g_strdup("cannot create the real backend (out of memory or file descriptors)");
    return -1;
  }
  if (env_real_set_providers(*e, r->eps, r->n) != 0) {
    *err = g_strdup("cannot start the HTTP invoker (libcurl)");
    return -1;
  }
  return 0;
}

cm_time cl_real_drain_limit(const struct cl_config *cfg) {
  cm_time t = cfg->sched.timeout > 0 ? cfg->sched.timeout : CM_S(60);
  cm_time per = t + cfg->sched.backoff_max;
  uint32_t n = cfg->sched.max_attempts ? cfg->sched.max_attempts : 1;
  return per > (CM_TIME_MAX - CM_S(10)) / n ? CM_TIME_MAX : per * n + CM_S(10);
}

int cl_real_report(env *e, struct run_ctx *c) {
  struct env_real_http_stats st;
  env_real_http_stats(e, &st);
  uint64_t ended = st.cancelled + st.in_flight;
  for (int i = 0; i < INVOKE_NSTATUS; i++) ended += st.by_status[i];
  const struct {
    const char *name;
    uint64_t v;
  } ms[] = {{"real_invocations", st.invoked},        {"real_ok", st.by_status[INVOKE_OK]},
            {"real_throttled", st.by_status[INVOKE_THROTTLED]}, {"real_error", st.by_status[INVOKE_ERROR]},
            {"real_timeout", st.by_status[INVOKE_TIMEOUT]},     {"real_network", st.by_status[INVOKE_NETWORK]},
            {"real_cancelled", st.cancelled},       {"real_in_flight", st.in_flight},
            {"real_malformed", st.malformed},       {"real_connections", st.connections}};
  for (size_t i = 0; i < G_N_ELEMENTS(ms); i++) results_metric(c->db, c->run_id, ms[i].name, (double)ms[i].v);
  for (uint32_t i = 0; i < st.nreasons; i++) { /* why the failures failed: real_reason_auth, ... */
    char *name = g_strdup_printf("real_reason_%s", st.by_reason[i].reason);
    g_strcanon(name + 12, "abcdefghijklmnopqrstuvwxyz0123456789_", '_');
    results_metric(c->db, c->run_id, name, (double)st.by_reason[i].n);
    g_free(name);
  }
  if (!c->quiet)
    printf("real: %llu invocations: ok %llu, throttled %llu, error %llu, timeout %llu, network %llu, cancelled %llu, "
           "in flight %llu; %llu responses with malformed fields; %llu connections\n",
           (unsigned long long)st.invoked, (unsigned long long)st.by_status[INVOKE_OK],
           (unsigned long long)st.by_status[INVOKE_THROTTLED], (unsigned long long)st.by_status[INVOKE_ERROR],
           (unsigned long long)st.by_status[INVOKE_TIMEOUT], (unsigned long long)st.by_status[INVOKE_NETWORK],
           (unsigned long long)st.cancelled, (unsigned long long)st.in_flight, (unsigned long long)st.malformed,
           (unsigned long long)st.connections);
  if (!c->quiet && st.nreasons) {
    printf("real: failures by reason:");
    for (uint32_t i = 0; i < st.nreasons; i++)
      printf("%s %s %llu", i ? "," : "", st.by_reason[i].reason, (unsigned long long)st.by_reason[i].n);
    printf("\n");
  }
  if (ended != st.invoked || st.in_flight) {
    fprintf(stderr, "cloudmix: real mode: %llu invocations accepted, %llu accounted for, %llu still in flight\n",
            (unsigned long long)st.invoked, (unsigned long long)ended, (unsigned long long)st.in_flight);
    return -1;
  }
  return 0;
}
