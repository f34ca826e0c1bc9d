/* Real mode of the cloudless runner (cloudless_real.h). */
#include "cloudless_real.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "env_real.h"
#include "profile.h"
#include "store.h"

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

/* The profile's [store.NAME] endpoints behind the scenario's stores, in
 * its store order, with the scenario's storage links as the link model
 * (env_real_set_store_links). required: every store of the scenario needs
 * one (the experiment moves data); else stores without one are left out
 * (a live run moves none). */
static int real_stores(struct run_ctx *c, const struct cl_config *cfg, struct cl_real *r, env *e, bool required,
                       char **err) {
  for (size_t i = 0; i < profile_store_count(r->prof); i++) {
    const struct store_endpoint *ep = profile_store(r->prof, i);
    bool used = false;
    for (uint32_t k = 0; k < cfg->nstores && !used; k++) used = !strcmp(cfg->stores[k].name, ep->name);
    if (!used && !c->quiet)
      fprintf(stderr, "cloudmix: note: %s: [store.%s] is not a store of %s: unused\n", profile_path(r->prof),
              ep->name, scenario_path(c->s));
  }
  bool all = true;
  for (uint32_t k = 0; k < cfg->nstores; k++) all = all && profile_find_store(r->prof, cfg->stores[k].name);
  if (!all && !required) return 0;
  struct store_client **cl = g_new0(struct store_client *, cfg->nstores ? cfg->nstores : 1);
  int rc = 0;
  for (uint32_t k = 0; k < cfg->nstores && rc == 0; k++) {
    const struct store_endpoint *ep = profile_find_store(r->prof, cfg->stores[k].name);
    if (!ep) {
      *err = g_strdup_printf("%s: no [store.%s] group: every store of the scenario (%s) needs its endpoint in the "
                             "real-mode profile for experiment = %s", profile_path(r->prof), cfg->stores[k].name,
                             scenario_path(c->s), cfg->experiment);
      rc = -1;
    } else if (strcmp(ep->kind, storage_kind_name(cfg->stores[k].kind)) != 0) {
      *err = g_strdup_printf("%s: [store.%s] kind: found '%s', but the scenario's store is of kind '%s'",
                             profile_path(r->prof), ep->name, ep->kind, storage_kind_name(cfg->stores[k].kind));
      rc = -1;
    } else {
      char *why = NULL;
      if (!(cl[k] = store_client_new(e, ep, &why))) {
        *err = g_strdup_printf("%s: [store.%s]: %s", profile_path(r->prof), ep->name, why);
        g_free(why);
        rc = -1;
      }
    }
  }
  if (rc != 0) {
    for (uint32_t k = 0; k < cfg->nstores; k++)
      if (cl[k]) cl[k]->ops->free(cl[k]);
  } else if (env_real_set_stores(e, cl, cfg->nstores) != 0 ||
             env_real_set_store_links(e, cfg->slinks, cfg->nlocations, cfg->nstores) != 0) {
    *err = g_strdup_printf("%s: cannot set the real stores and their link model", profile_path(r->prof));
    rc = -1;
  }
  g_free(cl);
  return rc;
}

int cl_real_world(struct run_ctx *c, struct cl_config *cfg, env **e, struct cl_real **out, char **err) {
  struct cl_real *r = g_new0(struct cl_real, 1);
  *out = r;
  if (!(r->prof = profile_load(c->real, err))) return -1;
  if (results_run_real(c->db, c->run_id, profile_text(r->prof)) != 0) {
    *err = g_strdup_printf("%s: cannot record the run's mode: %s", c->real, results_errmsg(c->db));
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
  /* the storage scan calls no function: its providers are only locations */
  bool invokes = strcmp(cfg->experiment, "storage-scan") != 0;
  r->n = cfg->nproviders;
  r->eps = g_new0(struct env_real_provider, r->n);
  for (uint32_t i = 0; i < r->n; i++) {
    const struct faas_provider *fp = &cfg->providers[i];
    struct provider *p = profile_find(r->prof, fp->name);
    if (!p && !invokes) {
      r->eps[i] = (struct env_real_provider){0};
      continue;
    }
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
    *err = g_strdup_printf("%s: cannot create the real backend (out of memory or file descriptors)", c->real);
    return -1;
  }
  if (invokes && env_real_set_providers(*e, r->eps, r->n) != 0) {
    *err = g_strdup_printf("%s: cannot start the HTTP invoker (libcurl)", c->real);
    return -1;
  }
  return real_stores(c, cfg, r, *e, strcmp(cfg->experiment, "live") != 0, err);
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
  struct env_real_store_stats ss;
  env_real_store_stats(e, &ss);
  if (ss.requested) {
    const struct {
      const char *name;
      uint64_t v;
    } sm[] = {{"real_store_requests", ss.requested}, {"real_store_ok", ss.ok},
              {"real_store_miss", ss.miss},          {"real_store_failed", ss.failed},
              {"real_store_cancelled", ss.cancelled}, {"real_store_in_flight", ss.in_flight},
              {"real_store_bytes_put", ss.bytes_put}, {"real_store_bytes_got", ss.bytes_got}};
    for (size_t i = 0; i < G_N_ELEMENTS(sm); i++) results_metric(c->db, c->run_id, sm[i].name, (double)sm[i].v);
    for (uint32_t i = 0; i < ss.nreasons; i++) {
      char *name = g_strdup_printf("real_store_reason_%s", ss.by_reason[i].reason);
      g_strcanon(name + 18, "abcdefghijklmnopqrstuvwxyz0123456789_", '_');
      results_metric(c->db, c->run_id, name, (double)ss.by_reason[i].n);
      g_free(name);
    }
    if (!c->quiet) {
      printf("real: %llu storage requests: ok %llu, missing %llu, failed %llu, cancelled %llu, in flight %llu; "
             "%llu bytes put, %llu got", (unsigned long long)ss.requested, (unsigned long long)ss.ok,
             (unsigned long long)ss.miss, (unsigned long long)ss.failed, (unsigned long long)ss.cancelled,
             (unsigned long long)ss.in_flight, (unsigned long long)ss.bytes_put, (unsigned long long)ss.bytes_got);
      for (uint32_t i = 0; i < ss.nreasons; i++)
        printf("%s %s %llu", i ? "," : "; failures by reason:", ss.by_reason[i].reason,
               (unsigned long long)ss.by_reason[i].n);
      printf("\n");
    }
  }
  bool store_ok = ss.requested == ss.ok + ss.miss + ss.failed + ss.cancelled + ss.in_flight && !ss.in_flight;
  if (!store_ok)
    fprintf(stderr, "cloudmix: real mode: %llu storage requests accepted, %llu still in flight\n",
            (unsigned long long)ss.requested, (unsigned long long)ss.in_flight);
  if (ended != st.invoked || st.in_flight) {
    fprintf(stderr, "cloudmix: real mode: %llu invocations accepted, %llu accounted for, %llu still in flight\n",
            (unsigned long long)st.invoked, (unsigned long long)ended, (unsigned long long)st.in_flight);
    return -1;
  }
  if (!store_ok) return -1;
  return 0;
}
