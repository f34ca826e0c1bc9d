/* Scenario -> cloudless configuration: functions, providers (world side,
 * broker side with prices, flight sites), faults, zones and waypoints, the
 * broker and the workload. The schema has checked every value's type and
 * range; this file checks what spans keys: names that must refer to
 * groups, windows that must be ordered, a flight that must stay in zones. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless/cost.h"
#include "env_sim.h"

static const char *suffix(const char *group) { return strchr(group, '.') + 1; }

static cm_time ms(const scenario *s, const char *g, const char *k) { return cm_time_from_s(scenario_double(s, g, k) / 1e3); }
static cm_time sec(const scenario *s, const char *g, const char *k) { return cm_time_from_s(scenario_double(s, g, k)); }

static int find_provider(const struct cl_config *c, const char *name) {
  for (uint32_t i = 0; i < c->nproviders; i++)
    if (!strcmp(c->providers[i].name, name)) return (int)i;
  return -1;
}

static bool has_function(const struct cl_config *c, const char *name) {
  for (uint32_t i = 0; i < c->nfunctions; i++)
    if (!strcmp(c->functions[i].name, name)) return true;
  return false;
}

static char *names_of(const scenario *s, const char *pattern) {
  GString *g = g_string_new(NULL);
  for (const char *const *gr = scenario_groups(s, pattern); *gr; gr++)
    g_string_append_printf(g, "%s%s", g->len ? ", " : "", suffix(*gr));
  return g_string_free(g, FALSE);
}

static char *ref_error(const scenario *s, const char *group, const char *key, const char *value, const char *pattern) {
  char *known = names_of(s, pattern);
  char *msg = g_strdup_printf("%s: [%s] %s: '%s' is not defined; expected one of: %s", scenario_path(s), group, key,
                              value, *known ? known : "(none)");
  g_free(known);
  return msg;
}

static int parse_functions(const scenario *s, struct cl_config *c, char **err) {
  const char *const *gs = scenario_groups(s, "function.*");
  uint32_t n = g_strv_length((gchar **)gs);
  c->functions = g_new0(struct faas_function, n + 1);
  for (uint32_t i = 0; i < n; i++) {
    struct faas_function *f = &c->functions[c->nfunctions++];
    if (strlen(suffix(gs[i])) >= sizeof f->name) {
      *err = g_strdup_printf("%s: [%s]: function name longer than %zu bytes", scenario_path(s), gs[i], sizeof f->name - 1);
      return -1;
    }
    g_strlcpy(f->name, suffix(gs[i]), sizeof f->name);
    f->gflop = scenario_double(s, gs[i], "gflop");
    f->memory_mb = scenario_double(s, gs[i], "memory_mb");
  }
  if (!has_function(c, "empty")) { /* the periodic benchmark's empty function (seed 5.1.2) */
    struct faas_function *f = &c->functions[c->nfunctions++];
    g_strlcpy(f->name, "empty", sizeof f->name);
    f->gflop = 0;
    f->memory_mb = 64;
  }
  return 0;
}

/* The world's field names -> the scenario's [provider.*] keys, for the
 * checks the world makes after parsing (faas_provider_check): a message
 * names the user's group and key, never an internal field. */
static const struct {
  const char *field, *key;
} provider_keys[] = {
    {"bins.memory_mb", "bin_memory_mb"}, {"bins.vcpu", "bin_vcpu"},
    {"var.contention_on_mean", "contention_on_s"}, {"var.contention_off_mean", "contention_off_s"},
    {"var.contention_factor", "contention_factor"}, {"var.drift_amplitude", "drift_amplitude"},
    {"var.drift_period", "drift_period_s"}, {"exec_overhead", "exec_overhead_ms"},
    {"cold_start_mean", "cold_start_ms"}, {"keep_alive", "keep_alive_s"}, {"sched_delay_mean", "sched_delay_ms"},
    {"queue_timeout", "queue_timeout_s"}, {"link_latency", "latency_ms"}, {"link_jitter_sd", "jitter_ms"},
    {"link_bandwidth_bps", "bandwidth_mbps"},
};

static const char *provider_key(const char *field) {
  for (size_t i = 0; i < G_N_ELEMENTS(provider_keys); i++)
    if (!strcmp(provider_keys[i].field, field)) return provider_keys[i].key;
  return field; /* the same name: cpu_cores, memory_mb, nodes, error_rate, ... */
}

/* Provider group g as the world will check it; an error at g's key. */
static int check_provider(const scenario *s, const char *g, const struct faas_provider *p, char **err) {
  const char *field = NULL;
  char *why = faas_provider_check(p, &field);
  if (!why) return 0;
  GString *msg = g_string_new(why);
  for (size_t i = 0; i < G_N_ELEMENTS(provider_keys); i++)
    g_string_replace(msg, provider_keys[i].field, provider_keys[i].key, 0);
  scenario_error(s, g, provider_key(field), err, "%s", msg->str);
  g_string_free(msg, TRUE);
  g_free(why);
  return -1;
}

static int parse_providers(const scenario *s, struct cl_config *c, char **err) {
  const char *const *gs = scenario_groups(s, "provider.*");
  uint32_t n = g_strv_length((gchar **)gs);
  if (n == 0) {
    *err = g_strdup_printf("%s: no [provider.*] group; expected at least one provider", scenario_path(s));
    return -1;
  }
  if (n > CL_MAX_PROVIDERS) {
    *err = g_strdup_printf("%s: %u providers; at most %u", scenario_path(s), n, CL_MAX_PROVIDERS);
    return -1;
  }
  c->providers = g_new0(struct faas_provider, n);
  c->sched_providers = g_new0(struct sched_provider, n);
  c->sites = g_new0(struct cl_site, n);
  for (uint32_t i = 0; i < n; i++) {
    const char *g = gs[i];
    struct faas_provider *p = &c->providers[i];
    if (strlen(suffix(g)) >= sizeof p->name) {
      *err = g_strdup_printf("%s: [%s]: provider name longer than %zu bytes", scenario_path(s), g, sizeof p->name - 1);
      return -1;
    }
    g_strlcpy(p->name, suffix(g), sizeof p->name);
    g_strlcpy(p->platform, scenario_string(s, g, "platform"), sizeof p->platform);
    const char *tier = scenario_string(s, g, "tier");
    p->tier = !strcmp(tier, "local_edge") ? FAAS_LOCAL_EDGE : !strcmp(tier, "remote_edge") ? FAAS_REMOTE_EDGE : FAAS_CLOUD;
    g_strlcpy(p->region, scenario_string(s, g, "region"), sizeof p->region);
    p->bins[0] = (struct faas_bin){scenario_double(s, g, "bin_memory_mb"), scenario_double(s, g, "bin_vcpu")};
    p->nbins = 1;
    p->gflops_per_vcpu = scenario_double(s, g, "gflops_per_vcpu");
    p->exec_overhead = ms(s, g, "exec_overhead_ms");
    p->exec_cv = scenario_double(s, g, "exec_cv");
    p->cold_start_mean = ms(s, g, "cold_start_ms");
    p->cold_start_cv = scenario_double(s, g, "cold_start_cv");
    p->keep_alive = sec(s, g, "keep_alive_s");
    p->prewarm = (uint32_t)scenario_int(s, g, "prewarm");
    p->sched_delay_mean = ms(s, g, "sched_delay_ms");
    p->sched_delay_cv = scenario_double(s, g, "sched_delay_cv");
    p->concurrency_limit = (uint32_t)scenario_int(s, g, "concurrency_limit");
    p->container_concurrency = (uint32_t)scenario_int(s, g, "container_concurrency");
    p->queue_max = (uint32_t)scenario_int(s, g, "queue_max");
    p->queue_timeout = sec(s, g, "queue_timeout_s");
    p->cpu_cores = scenario_double(s, g, "cpu_cores");
    p->memory_mb = scenario_double(s, g, "memory_mb");
    p->nodes = (uint32_t)scenario_int(s, g, "nodes");
    p->pods_per_node = (uint32_t)scenario_int(s, g, "pods_per_node");
    p->var = (struct faas_variability){
        .drift_amplitude = scenario_double(s, g, "drift_amplitude"),
        .drift_period = sec(s, g, "drift_period_s"),
        .contention_factor = scenario_double(s, g, "contention_factor"),
        .contention_on_mean = sec(s, g, "contention_on_s"),
        .contention_off_mean = sec(s, g, "contention_off_s"),
    };
    p->link_latency = ms(s, g, "latency_ms");
    p->link_jitter_sd = ms(s, g, "jitter_ms");
    p->link_bandwidth_bps = scenario_double(s, g, "bandwidth_mbps") * 1e6;
    p->error_rate = scenario_double(s, g, "error_rate");
    if (check_provider(s, g, p, err) != 0) return -1;

    struct sched_provider *sp = &c->sched_providers[i];
    g_strlcpy(sp->name, p->name, sizeof sp->name);
    sp->env_provider = i;
    sp->bin = 0;
    const char *price = scenario_string(s, g, "price");
    if (cost_price_builtin(price, p->bins[0].memory_mb, p->bins[0].vcpu, &sp->price) != 0) {
      *err = g_strdup_printf("%s: [%s] price: unknown price list '%s'; expected one of: lambda, azure, cloudrun, "
                             "openfaas-eks, fission-eks, openfaas-aks, fission-aks, openfaas-gke, fission-gke, edge",
                             scenario_path(s), g, price);
      return -1;
    }
    struct cl_site *st = &c->sites[i];
    st->x_km = scenario_double(s, g, "x_km");
    st->y_km = scenario_double(s, g, "y_km");
    st->backhaul = ms(s, g, "backhaul_ms");
    st->offnet = ms(s, g, "offnet_ms");
    st->onboard = scenario_bool(s, g, "onboard");
    st->carrier_zone = -1;
    c->nproviders++;
  }
  return 0;
}

static int parse_faults(const scenario *s, struct cl_config *c, char **err) {
  const char *const *gs = scenario_groups(s, "fault.*");
  uint32_t n = g_strv_length((gchar **)gs);
  c->faults = g_new0(struct faas_fault, n + 1);
  static const char *kinds[] = {"outage", "errors", "slowdown", "timeout", "link_down"};
  for (uint32_t i = 0; i < n; i++) {
    const char *g = gs[i];
    const char *pname = scenario_string(s, g, "provider");
    int p = find_provider(c, pname);
    if (p < 0) {
      *err = ref_error(s, g, "provider", pname, "provider.*");
      return -1;
    }
    struct faas_fault *f = &c->faults[c->nfaults++];
    f->provider = (uint32_t)p;
    const char *kind = scenario_string(s, g, "kind");
    for (uint32_t k = 0; k < G_N_ELEMENTS(kinds); k++)
      if (!strcmp(kind, kinds[k])) f->kind = (enum faas_fault_kind)k;
    f->start = sec(s, g, "start_s");
    f->end = sec(s, g, "end_s");
    f->value = scenario_double(s, g, "value");
    if (f->end < f->start) {
      *err = g_strdup_printf("%s: [%s] end_s: %g is before start_s %g; expected end_s >= start_s", scenario_path(s), g,
                             cm_time_to_s(f->end), cm_time_to_s(f->start));
      return -1;
    }
    if ((f->kind == FAAS_FAULT_ERRORS && f->value > 1) || (f->kind == FAAS_FAULT_SLOWDOWN && f->value < 1)) {
      *err = g_strdup_printf("%s: [%s] value: %g; expected %s", scenario_path(s), g, f->value,
                             f->kind == FAAS_FAULT_ERRORS ? "a probability in [0, 1]" : "a slow-down factor >= 1");
      return -1;
    }
  }
  return 0;
}

/* "t:x,y;t:x,y;..." */
static int parse_waypoints(const scenario *s, const char *text, struct cl_config *c, char **err) {
  gchar **items = g_strsplit(text, ";", -1);
  uint32_t n = g_strv_length(items);
  c->waypoints = g_new0(struct mobility_waypoint, n + 1);
  int rc = 0;
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    char *item = g_strstrip(items[i]);
    if (!*item) continue;
    double t, x, y;
    int used = 0;
    if (sscanf(item, "%lf : %lf , %lf %n", &t, &x, &y, &used) != 3 || item[used] != 0 || !isfinite(t) || t < 0) {
      *err = g_strdup_printf("%s: [flight] waypoints: item %u '%s': expected T_S:X_KM,Y_KM with T_S >= 0",
                             scenario_path(s), i + 1, item);
      rc = -1;
    } else if (c->nwaypoints && cm_time_from_s(t) <= c->waypoints[c->nwaypoints - 1].t) {
      *err = g_strdup_printf("%s: [flight] waypoints: item %u '%s': time %g s does not increase", scenario_path(s), i + 1,
                             item, t);
      rc = -1;
    } else {
      c->waypoints[c->nwaypoints++] = (struct mobility_waypoint){cm_time_from_s(t), x, y};
    }
  }
  g_strfreev(items);
  return rc;
}

static void noop_link(void *arg CM_UNUSED, uint32_t p CM_UNUSED, cm_time l CM_UNUSED, cm_time j CM_UNUSED,
                      double bw CM_UNUSED, bool up CM_UNUSED) {}

static int parse_flight(const scenario *s, struct cl_config *c, char **err) {
  const char *wp = scenario_string(s, "flight", "waypoints"), *trace = scenario_string(s, "flight", "trace");
  const char *const *gs = scenario_groups(s, "zone.*");
  uint32_t nz = g_strv_length((gchar **)gs);
  if (nz > CL_MAX_ZONES) {
    *err = g_strdup_printf("%s: %u zones; at most %d", scenario_path(s), nz, CL_MAX_ZONES);
    return -1;
  }
  c->zones = g_new0(struct cl_zone, nz + 1);
  for (uint32_t i = 0; i < nz; i++) {
    const char *g = gs[i];
    struct cl_zone *z = &c->zones[c->nzones++];
    g_strlcpy(z->name, suffix(g), sizeof z->name);
    z->x_km = scenario_double(s, g, "x_km");
    z->y_km = scenario_double(s, g, "y_km");
    z->radius_km = scenario_double(s, g, "radius_km");
    z->radio_latency = ms(s, g, "radio_ms");
    z->uplink_bps = scenario_double(s, g, "uplink_mbps") * 1e6;
    z->up_mean = sec(s, g, "up_s");
    z->down_mean = sec(s, g, "down_s");
    if ((z->up_mean > 0) != (z->down_mean > 0)) {
      *err = g_strdup_printf("%s: [%s] up_s/down_s: set both (an intermittent link) or neither", scenario_path(s), g);
      return -1;
    }
    const char *fn = scenario_string(s, g, "function");
    if (*fn && !has_function(c, fn)) {
      *err = ref_error(s, g, "function", fn, "function.*");
      return -1;
    }
    g_strlcpy(z->function, fn, sizeof z->function);
    z->rate_per_s = scenario_double(s, g, "rate_per_s");
  }
  for (uint32_t i = 0; i < c->nproviders; i++) {
    char *g = g_strdup_printf("provider.%s", c->providers[i].name);
    const char *cz = scenario_string(s, g, "carrier_zone");
    for (uint32_t z = 0; *cz && z < c->nzones; z++)
      if (!strcmp(c->zones[z].name, cz)) c->sites[i].carrier_zone = (int)z;
    if (*cz && c->sites[i].carrier_zone < 0) {
      *err = ref_error(s, g, "carrier_zone", cz, "zone.*");
      g_free(g);
      return -1;
    }
    g_free(g);
  }
  c->flight_update = sec(s, "flight", "update_s");
  if (*wp && *trace) {
    *err = g_strdup_printf("%s: [flight]: both waypoints and trace are set; expected one of them", scenario_path(s));
    return -1;
  }
  if (*wp && parse_waypoints(s, wp, c, err) != 0) return -1;
  if (*trace) {
    char *dir = g_path_get_dirname(scenario_path(s));
    char *path = g_path_is_absolute(trace) ? g_strdup(trace) : g_build_filename(dir, trace, NULL);
    struct mobility_waypoint *wp = NULL;
    uint32_t n = 0;
    char *why = NULL;
    int rc = mobility_trace_load(path, &wp, &n, &why);
    g_free(dir);
    g_free(path);
    if (rc != 0) {
      *err = g_strdup_printf("%s: [flight] trace: %s", scenario_path(s), why);
      g_free(why);
      return -1;
    }
    g_free(c->waypoints);
    c->waypoints = wp;
    c->nwaypoints = n;
  }
  if (c->nwaypoints == 0) return 0;
  if (c->nzones == 0) {
    *err = g_strdup_printf("%s: [flight]: a flight needs at least one [zone.*] group", scenario_path(s));
    return -1;
  }
  /* the flight itself (zones covering it, carrier zones): mobility_new on a
   * throwaway env says what is wrong */
  env *e = env_sim_new(0);
  struct mobility_config mc;
  cl_mobility_config(c, &mc);
  char *why = NULL;
  mobility *m = mobility_new(e, &mc, noop_link, NULL, NULL, &why);
  cl_mobility_config_free(&mc);
  mobility_free(m);
  env_free(e);
  if (!m) {
    *err = g_strdup_printf("%s: [flight]: %s", scenario_path(s), why);
    g_free(why);
    return -1;
  }
  return 0;
}

static int parse_broker(const scenario *s, struct cl_config *c, char **err) {
  g_strlcpy(c->policy, scenario_string(s, "cloudless", "policy"), sizeof c->policy);
  c->sched = (struct sched_config){
      .providers = c->sched_providers,
      .nproviders = c->nproviders,
      .policy = c->policy,
      .w_outstanding = scenario_double(s, "cloudless", "w_outstanding"),
      .w_cost = scenario_double(s, "cloudless", "w_cost"),
      .w_latency = scenario_double(s, "cloudless", "w_latency"),
      .latency_window = (uint32_t)scenario_int(s, "cloudless", "latency_window"),
      .explore_prob = scenario_double(s, "cloudless", "explore_prob"),
      .max_attempts = (uint32_t)scenario_int(s, "cloudless", "max_attempts"),
      .backoff_base = ms(s, "cloudless", "backoff_ms"),
      .backoff_max = sec(s, "cloudless", "backoff_max_s"),
      .timeout = sec(s, "cloudless", "timeout_s"),
      .breaker_failures = (uint32_t)scenario_int(s, "cloudless", "breaker_failures"),
      .breaker_cooldown = sec(s, "cloudless", "breaker_cooldown_s"),
      .breaker_cooldown_max = sec(s, "cloudless", "breaker_cooldown_max_s"),
  };
  if (c->sched.breaker_cooldown_max < c->sched.breaker_cooldown) {
    *err = g_strdup_printf("%s: [cloudless] breaker_cooldown_max_s: below breaker_cooldown_s; expected "
                           "breaker_cooldown_max_s >= breaker_cooldown_s", scenario_path(s));
    return -1;
  }
  const char *only = scenario_string(s, "cloudless", "only");
  c->only = *only ? find_provider(c, only) : -1;
  if (*only && c->only < 0) {
    *err = ref_error(s, "cloudless", "only", only, "provider.*");
    return -1;
  }
  if (c->only >= 0) {
    c->sched.providers = &c->sched_providers[c->only];
    c->sched.nproviders = 1;
  }
  c->budget_usd = scenario_double(s, "cloudless", "budget_usd");
  c->cache_entries = (uint32_t)scenario_int(s, "cloudless", "cache_entries");
  c->cache_ttl = sec(s, "cloudless", "cache_ttl_s");
  c->probe_period = sec(s, "cloudless", "probe_period_s");
  c->record_calls = !strcmp(scenario_string(s, "cloudless", "record"), "calls");
  c->series_step = sec(s, "cloudless", "series_step_s");
  c->duration = sec(s, "run", "duration_s");

  const char *mode = scenario_string(s, "workload", "mode");
  const char *fn = scenario_string(s, "workload", "function");
  if (!has_function(c, fn)) {
    *err = ref_error(s, "workload", "function", fn, "function.*");
    return -1;
  }
  c->work = (struct workload_config){
      .mode = !strcmp(mode, "open") ? WORKLOAD_OPEN : WORKLOAD_CLOSED,
      .function = fn,
      .rate_per_s = scenario_double(s, "workload", "rate_per_s"),
      .threads_start = (uint32_t)scenario_int(s, "workload", "threads_start"),
      .threads_end = (uint32_t)scenario_int(s, "workload", "threads_end"),
      .ramp = sec(s, "workload", "ramp_s"),
      .think = ms(s, "workload", "think_ms"),
      .fail_pause = sec(s, "workload", "fail_pause_s"),
      .until = c->duration,
      .max_calls = (uint64_t)scenario_int(s, "workload", "max_calls"),
      .request_bytes = (size_t)(scenario_double(s, "workload", "request_kb") * 1024),
      .response_bytes = (size_t)(scenario_double(s, "workload", "response_kb") * 1024),
      .memo_keys = (uint64_t)scenario_int(s, "workload", "memo_keys"),
  };
  if (c->work.mode == WORKLOAD_CLOSED && c->work.threads_start == 0 && c->work.threads_end == 0) {
    *err = g_strdup_printf("%s: [workload] threads_end: 0 threads; expected threads_start or threads_end > 0",
                           scenario_path(s));
    return -1;
  }
  c->per_provider = !strcmp(mode, "per_provider");
  c->calls_per_provider = (uint64_t)scenario_int(s, "workload", "calls_per_provider");
  const char *list = scenario_string(s, "workload", "functions");
  c->functions_per_provider = g_strsplit(*list ? list : fn, ",", -1);
  for (char **f = c->functions_per_provider; *f; f++) {
    g_strstrip(*f);
    if (!has_function(c, *f)) {
      *err = ref_error(s, "workload", "functions", *f, "function.*");
      return -1;
    }
  }
  return 0;
}

/* The workflow: one [dag.NAME] group a node, edges from each node's
 * `after` list (its parents). Errors name the group and key: an unknown
 * function, a parent that is not a node (a dangling edge), a cycle. */
static int parse_workflow(const scenario *s, struct cl_config *c, char **err) {
  const char *const *gs = scenario_groups(s, "dag.*");
  bool wanted = strcmp(c->experiment, "workflow") == 0;
  if (!*gs && !wanted) return 0;
  if (!*gs || !wanted) {
    *err = g_strdup_printf("%s: [cloudless] experiment: %s", scenario_path(s),
                           *gs ? "the [dag.*] workflow runs only with experiment = workflow"
                               : "workflow needs [dag.*] groups, one a node");
    return -1;
  }
  dag *d = dag_new();
  c->workflow = d;
  dag_set_input(d, (uint64_t)(scenario_double(s, "workflow", "input_kb") * 1024));
  for (const char *const *g = gs; *g; g++) {
    struct dag_node n = {.out_bytes = (uint64_t)(scenario_double(s, *g, "out_kb") * 1024),
                         .persist = scenario_bool(s, *g, "persist")};
    const char *fn = scenario_string(s, *g, "function");
    if (!has_function(c, fn)) {
      *err = ref_error(s, *g, "function", fn, "function.*");
      return -1;
    }
    g_strlcpy(n.name, suffix(*g), sizeof n.name);
    g_strlcpy(n.function, fn, sizeof n.function);
    char *why = NULL;
    if (dag_add_node(d, &n, &why) < 0) {
      *err = g_strdup_printf("%s: [%s]: %s", scenario_path(s), *g, why);
      g_free(why);
      return -1;
    }
  }
  for (const char *const *g = gs; *g; g++) {
    gchar **parents = g_strsplit(scenario_string(s, *g, "after"), ",", -1);
    for (gchar **p = parents; *p; p++) {
      g_strstrip(*p);
      if (!**p) continue;
      if (dag_find(d, *p) < 0) {
        *err = ref_error(s, *g, "after", *p, "dag.*");
        g_strfreev(parents);
        return -1;
      }
      char *why = NULL;
      if (dag_add_edge(d, *p, suffix(*g), &why) != 0) {
        *err = g_strdup_printf("%s: [%s] after: %s", scenario_path(s), *g, why);
        g_free(why);
        g_strfreev(parents);
        return -1;
      }
    }
    g_strfreev(parents);
  }
  double replan = scenario_double(s, "workflow", "replan_s"), horizon = scenario_double(s, "workflow", "horizon_s");
  if ((replan > 0) != (horizon > 0) || horizon < replan) {
    *err = g_strdup_printf("%s: [workflow] %s: expected replan_s > 0 and horizon_s >= replan_s together (periodic "
                           "scheduling), or neither", scenario_path(s), replan > 0 ? "horizon_s" : "replan_s");
    return -1;
  }
  char *why = NULL;
  if (dag_seal(d, &why) != 0) {
    *err = g_strdup_printf("%s: [dag.*]: %s", scenario_path(s), why);
    g_free(why);
    return -1;
  }
  return 0;
}

/* How a location relates to a store picks its [storage] link class. */
static const char *link_class(const char *loc_cloud, const char *store_cloud) {
  if (*loc_cloud && *store_cloud) return strcmp(loc_cloud, store_cloud) ? "cross_cloud" : "same_cloud";
  if (!*loc_cloud && *store_cloud) return "edge_cloud";
  return *loc_cloud ? "cloud_edge" : "local";
}

/* Universal storage: [store.*], the locations (each provider in its cloud,
 * then the client at the edge), and a link per (location, store) from its
 * [storage] class or an [slink.LOCATION.STORE] override. A store that some
 * location would reach at 0 Mbps is an error naming the key to set. */
static int parse_storage(const scenario *s, struct cl_config *c, char **err) {
  const char *const *gs = scenario_groups(s, "store.*");
  uint32_t ns = g_strv_length((gchar **)gs), nl = c->nproviders + 1;
  if (ns == 0) {
    if (strcmp(c->experiment, "live") == 0) return 0;
    *err = g_strdup_printf("%s: [cloudless] experiment: %s needs at least one [store.*] group", scenario_path(s),
                           c->experiment);
    return -1;
  }
  c->stores = g_new0(struct storage_store, ns);
  c->locations = g_new0(struct storage_location, nl);
  c->slinks = g_new0(struct storage_link, (size_t)ns * nl);
  c->nstores = ns;
  c->nlocations = nl;
  for (uint32_t i = 0; i < ns; i++) {
    struct storage_store *st = &c->stores[i];
    if (strlen(suffix(gs[i])) >= sizeof st->name || strlen(scenario_string(s, gs[i], "cloud")) >= sizeof st->cloud) {
      *err = g_strdup_printf("%s: [%s]: store or cloud name too long", scenario_path(s), gs[i]);
      return -1;
    }
    g_strlcpy(st->name, suffix(gs[i]), sizeof st->name);
    st->kind = (enum storage_kind)storage_kind_find(scenario_string(s, gs[i], "kind"));
    g_strlcpy(st->cloud, scenario_string(s, gs[i], "cloud"), sizeof st->cloud);
  }
  for (uint32_t l = 0; l < nl; l++) {
    struct storage_location *lo = &c->locations[l];
    if (l < c->nproviders) {
      char g[96];
      snprintf(g, sizeof g, "provider.%s", c->providers[l].name);
      if (strlen(scenario_string(s, g, "cloud")) >= sizeof lo->cloud) {
        *err = g_strdup_printf("%s: [%s] cloud: name too long", scenario_path(s), g);
        return -1;
      }
      g_strlcpy(lo->name, c->providers[l].name, sizeof lo->name);
      g_strlcpy(lo->cloud, scenario_string(s, g, "cloud"), sizeof lo->cloud);
    } else {
      g_strlcpy(lo->name, "client", sizeof lo->name);
    }
    for (uint32_t k = 0; k < ns; k++) {
      const char *cls = link_class(lo->cloud, c->stores[k].cloud);
      char kms[32], kmbps[32], over[128];
      snprintf(kms, sizeof kms, "%s_ms", cls);
      snprintf(kmbps, sizeof kmbps, "%s_mbps", cls);
      snprintf(over, sizeof over, "slink.%s.%s", lo->name, c->stores[k].name);
      double ms_v = scenario_double(s, "storage", kms), mbps = scenario_double(s, "storage", kmbps);
      if (scenario_has(s, over, "ms") && scenario_double(s, over, "ms") >= 0) ms_v = scenario_double(s, over, "ms");
      if (scenario_has(s, over, "mbps") && scenario_double(s, over, "mbps") >= 0) mbps = scenario_double(s, over, "mbps");
      if (!(mbps > 0)) {
        *err = g_strdup_printf("%s: [storage] %s: %s reaches store %s at 0 Mbps; expected a bandwidth > 0 "
                               "(or [%s] mbps)", scenario_path(s), kmbps, lo->name, c->stores[k].name, over);
        return -1;
      }
      c->slinks[(size_t)l * ns + k] = (struct storage_link){.latency = cm_time_from_s(ms_v / 1e3),
                                                            .up_bps = mbps * 1e6, .down_bps = mbps * 1e6};
    }
  }
  /* an override naming no location or store is a typo, not a no-op */
  for (const char *const *g = scenario_groups(s, "slink.*"); *g; g++) {
    bool found = false;
    for (uint32_t l = 0; l < nl && !found; l++)
      for (uint32_t k = 0; k < ns && !found; k++) {
        char want[128];
        snprintf(want, sizeof want, "slink.%s.%s", c->locations[l].name, c->stores[k].name);
        found = !strcmp(want, *g);
      }
    if (!found) {
      *err = g_strdup_printf("%s: [%s]: expected [slink.LOCATION.STORE] with a provider (or client) and a "
                             "[store.*] name", scenario_path(s), *g);
      return -1;
    }
  }
  return 0;
}

struct cl_config *cl_config_new(const scenario *s, char **err) {
  struct cl_config *c = g_new0(struct cl_config, 1);
  g_strlcpy(c->experiment, scenario_string(s, "cloudless", "experiment"), sizeof c->experiment);
  if (parse_functions(s, c, err) || parse_providers(s, c, err) || parse_faults(s, c, err) || parse_flight(s, c, err) ||
      parse_broker(s, c, err) || parse_workflow(s, c, err) || parse_storage(s, c, err) || cl_plans_parse(s, c, err) ||
      cl_config_scale(c, scenario_double(s, "cloudless", "time_scale"), scenario_path(s), err) ||
      cl_fleet_parse(s, c, err)) {
    cl_config_free(c);
    return NULL;
  }
  return c;
}

void cl_config_free(struct cl_config *c) {
  if (!c) return;
  g_free(c->providers);
  g_free(c->sched_providers);
  g_free(c->sites);
  g_free(c->functions);
  g_free(c->faults);
  g_free(c->zones);
  g_free(c->waypoints);
  g_strfreev(c->functions_per_provider);
  dag_free(c->workflow);
  g_free(c->stores);
  g_free(c->locations);
  g_free(c->slinks);
  cl_plans_free(c);
  cl_fleet_free(c->fleet);
  g_free(c);
}

void cl_mobility_config(const struct cl_config *c, struct mobility_config *mc) {
  struct mobility_zone *zs = g_new0(struct mobility_zone, c->nzones + 1);
  struct mobility_site *ss = g_new0(struct mobility_site, c->nproviders + 1);
  for (uint32_t i = 0; i < c->nzones; i++) {
    const struct cl_zone *z = &c->zones[i];
    g_strlcpy(zs[i].name, z->name, sizeof zs[i].name);
    zs[i].x_km = z->x_km;
    zs[i].y_km = z->y_km;
    zs[i].radius_km = z->radius_km;
    zs[i].radio_latency = z->radio_latency;
    zs[i].uplink_bps = z->uplink_bps;
    zs[i].link_up_mean = z->up_mean;
    zs[i].link_down_mean = z->down_mean;
    g_strlcpy(zs[i].function, z->function, sizeof zs[i].function);
    zs[i].arrival_rate = z->rate_per_s;
  }
  for (uint32_t i = 0; i < c->nproviders; i++) {
    const struct cl_site *st = &c->sites[i];
    ss[i] = (struct mobility_site){.x_km = st->x_km, .y_km = st->y_km, .backhaul_latency = st->backhaul,
                                   .onboard = st->onboard, .offnet_penalty = st->offnet};
    if (st->carrier_zone >= 0) g_strlcpy(ss[i].carrier_zone, c->zones[st->carrier_zone].name, sizeof ss[i].carrier_zone);
  }
  *mc = (struct mobility_config){.waypoints = c->waypoints,
                                 .nwaypoints = c->nwaypoints, .zones = zs, .nzones = c->nzones, .sites = ss,
                                 .nsites = c->nproviders, .period = c->flight_update};
}

void cl_mobility_config_free(struct mobility_config *mc) {
  g_free((void *)mc->zones);
  g_free((void *)mc->sites);
}

int cloudless_check(const scenario *s, char **err) {
  struct cl_config *c = cl_config_new(s, err);
  int rc = c ? 0 : CM_EINVAL;
  cl_config_free(c);
  return rc;
}
