/* Runner of the cloudless model: the simulated continuum (sim/faas.h), the
 * UAV flight (sim/mobility.h), the broker under study (models/cloudless) and
 * its workload, wired together; every call's outcome goes to streaming
 * statistics (analysis/hist.h), a per-provider time series, and, on
 * request, one row per call. In per_provider mode each (function,
 * provider) pair gets its own one-provider broker and a serial client, all
 * running side by side (seed Fig. 5 and section 6.5). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless/benchmark.h"
#include "cloudless/billing.h"
#include "cloudless/cache.h"
#include "env_sim.h"
#include "hist.h"
#include "mobility.h"

/* Streaming figures of one lane (a provider, or a function x provider). */
struct lane_stats {
  uint64_t completed, cached, failed, cold, attempts;
  double lat_sum, lat_sq, exec_sum, exec_sq, cost;
  hist *lat;
};

/* One broker and the client driving it. */
struct lane {
  struct cl_run *r;
  sched *s;
  workload *w;
  uint32_t provider; /* per_provider: the only provider; else unused */
  const char *function;
};

struct cl_run {
  struct run_ctx *c;
  struct cl_config *cfg;
  env *e;
  faas_world *world;
  mobility *mob;
  billing *bill;
  cache *memo;
  benchmark_recorder *bench; /* per provider: T_e, T_n, cold, memory (not in per_provider mode) */
  benchmark_probe *probe;    /* periodic empty-function benchmark */
  struct lane *lanes;
  uint32_t nlanes;
  struct lane_stats *stats; /* per lane in per_provider mode, else per provider; plus [n] = all */
  uint32_t nstats;
  GArray *series;           /* per (bucket, provider): struct bucket, bucket-major */
  results_table *calls_t;
  results_table *events_t;
  int rc;
  uint64_t done, failed_total;
  int64_t overhead_ns;
  char zone[MOBILITY_NAME_MAX]; /* current flight zone ("" without a flight) */
};

struct bucket {
  uint32_t completed, failed;
  double lat_sum;
};

static const char create_calls[] =
    "CREATE TABLE IF NOT EXISTS cloudless_calls ("
    " run_id INTEGER NOT NULL, call INTEGER NOT NULL, function TEXT NOT NULL, provider TEXT, zone TEXT,"
    " submitted_ns INTEGER NOT NULL, finished_ns INTEGER NOT NULL, latency_ns INTEGER NOT NULL,"
    " exec_ns INTEGER, init_ns INTEGER, net_ns INTEGER, cold INTEGER, attempts INTEGER NOT NULL,"
    " cost_usd REAL NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL)";
static const char insert_calls[] = "INSERT INTO cloudless_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_events[] =
    "CREATE TABLE IF NOT EXISTS cloudless_events ("
    " run_id INTEGER NOT NULL, t_s REAL NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL)";
static const char insert_events[] = "INSERT INTO cloudless_events VALUES (?,?,?,?)";
static const char create_series[] =
    "CREATE TABLE IF NOT EXISTS cloudless_series ("
    " run_id INTEGER NOT NULL, t_s REAL NOT NULL, provider TEXT NOT NULL,"
    " completed INTEGER NOT NULL, failed INTEGER NOT NULL, throughput_per_s REAL NOT NULL, mean_latency_s REAL)";
static const char insert_series[] = "INSERT INTO cloudless_series VALUES (?,?,?,?,?,?,?)";
static const char create_providers[] =
    "CREATE TABLE IF NOT EXISTS cloudless_providers ("
    " run_id INTEGER NOT NULL, function TEXT NOT NULL, provider TEXT NOT NULL, tier TEXT NOT NULL,"
    " completed INTEGER NOT NULL, failed INTEGER NOT NULL, cold INTEGER NOT NULL,"
    " mean_latency_s REAL, sd_latency_s REAL, p50_latency_s REAL, p95_latency_s REAL, p99_latency_s REAL,"
    " mean_exec_s REAL, sd_exec_s REAL, cost_usd REAL NOT NULL)";
static const char insert_providers[] = "INSERT INTO cloudless_providers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static const char *tier_name(enum faas_tier t) {
  return t == FAAS_LOCAL_EDGE ? "local_edge" : t == FAAS_REMOTE_EDGE ? "remote_edge" : "cloud";
}

static double sd_of(double sum, double sq, uint64_t n) {
  if (n < 2) return NAN;
  double m = sum / (double)n, v = (sq - (double)n * m * m) / (double)(n - 1);
  return v > 0 ? sqrt(v) : 0;
}

static void stats_add(struct lane_stats *st, const struct sched_record *rec, cm_time lat) {
  st->attempts += rec->attempts;
  st->cost += rec->cost_usd;
  if (rec->outcome == SCHED_FAILED) {
    st->failed++;
    return;
  }
  if (rec->outcome == SCHED_CACHED) st->cached++;
  else st->completed++;
  st->cold += rec->cold;
  double l = cm_time_to_s(lat), x = cm_time_to_s(rec->exec);
  st->lat_sum += l;
  st->lat_sq += l * l;
  st->exec_sum += x;
  st->exec_sq += x * x;
  hist_add(st->lat, lat);
}

static void series_add(struct cl_run *r, const struct sched_record *rec, int provider, cm_time lat) {
  if (provider < 0) return;
  uint64_t b = (uint64_t)(rec->finished / r->cfg->series_step);
  uint32_t n = r->cfg->nproviders;
  if (b > 50000000ull / n) return; /* bounded memory: drop a series past 50 M cells */
  if (r->series->len < (b + 1) * n) g_array_set_size(r->series, (guint)((b + 1) * n));
  struct bucket *k = &g_array_index(r->series, struct bucket, b * n + (uint64_t)provider);
  if (rec->outcome == SCHED_FAILED) {
    k->failed++;
  } else {
    k->completed++;
    k->lat_sum += cm_time_to_s(lat);
  }
}

static void row_add(struct cl_run *r, const struct sched_record *rec, const char *pname, cm_time lat) {
  results_table *t = r->calls_t;
  results_bind_int(t, 1, r->c->run_id);
  results_bind_int(t, 2, (int64_t)rec->id);
  results_bind_text(t, 3, rec->function);
  results_bind_text(t, 4, pname);
  results_bind_text(t, 5, r->zone[0] ? r->zone : NULL);
  results_bind_int(t, 6, rec->submitted);
  results_bind_int(t, 7, rec->finished);
  results_bind_int(t, 8, lat);
  if (rec->outcome == SCHED_COMPLETED) {
    results_bind_int(t, 9, rec->exec);
    results_bind_int(t, 10, rec->init);
    results_bind_int(t, 11, rec->net);
    results_bind_int(t, 12, rec->cold);
  }
  results_bind_int(t, 13, rec->attempts);
  results_bind_double(t, 14, rec->cost_usd);
  results_bind_text(t, 15, rec->outcome == SCHED_COMPLETED ? "completed" : rec->outcome == SCHED_CACHED ? "cached" : "failed");
  results_bind_text(t, 16, rec->reason);
  if (results_row(t) != 0 && r->rc == 0) r->rc = CM_EDB;
}

static void on_done(void *arg, const struct sched_record *rec) {
  struct lane *ln = arg;
  struct cl_run *r = ln->r;
  cm_time lat = rec->finished - rec->submitted;
  int provider = rec->provider;
  /* the broker's index -> the world's */
  if (r->cfg->per_provider && provider >= 0) provider = (int)ln->provider;
  else if (r->cfg->only >= 0 && provider >= 0) provider = r->cfg->only;
  r->done++;
  r->overhead_ns += rec->overhead_ns;
  uint32_t lane_stat = r->cfg->per_provider ? (uint32_t)(ln - r->lanes) : (provider >= 0 ? (uint32_t)provider : r->nstats - 1);
  if (provider >= 0 || r->cfg->per_provider) stats_add(&r->stats[lane_stat], rec, lat);
  stats_add(&r->stats[r->nstats - 1], rec, lat);
  series_add(r, rec, provider, lat);
  if (r->calls_t) row_add(r, rec, provider >= 0 ? r->cfg->providers[provider].name : NULL, lat);
  workload_done(ln->w, rec->id);
}

static void on_link(void *arg, uint32_t provider, cm_time latency, cm_time jitter_sd, double bandwidth_bps, bool up) {
  struct cl_run *r = arg;
  faas_world_set_link(r->world, provider, latency, jitter_sd, bandwidth_bps);
  faas_world_set_link_up(r->world, provider, up);
}

static void event_add(struct cl_run *r, cm_time t, const char *kind, const char *what) {
  results_bind_int(r->events_t, 1, r->c->run_id);
  results_bind_double(r->events_t, 2, cm_time_to_s(t));
  results_bind_text(r->events_t, 3, kind);
  results_bind_text(r->events_t, 4, what);
  if (results_row(r->events_t) != 0 && r->rc == 0) r->rc = CM_EDB;
}

static void on_zone(void *arg, uint32_t zone CM_UNUSED, const struct mobility_zone *z) {
  struct cl_run *r = arg;
  g_strlcpy(r->zone, z->name, sizeof r->zone);
  event_add(r, env_now(r->e), "zone", z->name);
  for (uint32_t i = 0; i < r->nlanes; i++)
    if (r->lanes[i].w) workload_set_function(r->lanes[i].w, z->function[0] ? z->function : NULL, z->arrival_rate);
}

static int start_flight(struct cl_run *r, char **err) {
  struct cl_config *c = r->cfg;
  if (c->nwaypoints == 0) return 0;
  struct mobility_config mc;
  cl_mobility_config(c, &mc);
  r->mob = mobility_new(r->e, &mc, on_link, on_zone, r, err);
  cl_mobility_config_free(&mc);
  return r->mob ? 0 : -1;
}

static int build(struct cl_run *r, char **err) {
  struct cl_config *c = r->cfg;
  r->world = faas_world_new(r->e, c->providers, c->nproviders, c->functions, c->nfunctions, err);
  if (!r->world) return -1;
  static const char *const kinds[] = {"outage", "errors", "slowdown", "timeout", "link_down"};
  for (uint32_t i = 0; i < c->nfaults; i++) {
    const struct faas_fault *f = &c->faults[i];
    if (faas_world_add_fault(r->world, f) != 0) {
      *err = g_strdup_printf("fault %u refused by the world", i + 1);
      return -1;
    }
    char what[128];
    snprintf(what, sizeof what, "%s %s start", c->providers[f->provider].name, kinds[f->kind]);
    event_add(r, f->start, "fault", what);
    snprintf(what, sizeof what, "%s %s end", c->providers[f->provider].name, kinds[f->kind]);
    event_add(r, f->end, "fault", what);
  }
  r->bill = billing_new(c->nproviders, c->budget_usd, err);
  if (!r->bill) return -1;
  if (c->cache_entries && !(r->memo = cache_new(c->cache_entries, c->cache_ttl, err))) return -1;
  uint32_t nf = g_strv_length(c->functions_per_provider);
  r->nlanes = c->per_provider ? c->nproviders * nf : 1;
  r->lanes = g_new0(struct lane, r->nlanes);
  r->nstats = (c->per_provider ? r->nlanes : c->nproviders) + 1;
  r->stats = g_new0(struct lane_stats, r->nstats);
  for (uint32_t i = 0; i < r->nstats; i++) r->stats[i].lat = hist_new();
  r->series = g_array_new(FALSE, TRUE, sizeof(struct bucket));
  for (uint32_t i = 0; i < r->nlanes; i++) {
    struct lane *ln = &r->lanes[i];
    ln->r = r;
    struct sched_config sc = c->sched;
    if (c->per_provider) {
      ln->provider = i % c->nproviders;
      ln->function = c->functions_per_provider[i / c->nproviders];
      sc.providers = &c->sched_providers[ln->provider];
      sc.nproviders = 1;
      sc.explore_prob = 0;
    }
    ln->s = sched_new(r->e, &sc, r->bill, r->memo, on_done, ln, err);
    if (!ln->s) return -1;
  }
  if (!c->per_provider) {
    if (!(r->bench = benchmark_recorder_new(c->nproviders, err))) return -1;
    sched_add_benchmark(r->lanes[0].s, benchmark_recorder_benchmark(r->bench));
  }
  if (c->probe_period > 0) {
    struct benchmark_probe_config pc = {.providers = c->sched_providers, .nproviders = c->nproviders,
                                        .period = c->probe_period, .request_bytes = c->work.request_bytes,
                                        .response_bytes = c->work.response_bytes, .timeout = c->sched.timeout};
    if (!(r->probe = benchmark_probe_new(r->e, &pc, err))) return -1;
  }
  if (start_flight(r, err) != 0) return -1;
  for (uint32_t i = 0; i < r->nlanes; i++) {
    struct workload_config wc = c->work;
    struct lane *ln = &r->lanes[i];
    if (c->per_provider) {
      wc.mode = WORKLOAD_CLOSED;
      wc.threads_start = wc.threads_end = 1;
      wc.ramp = 0;
      wc.function = ln->function;
      wc.max_calls = c->calls_per_provider;
      wc.until = CM_TIME_MAX;
    } else if (r->mob) {
      const struct mobility_zone *z = mobility_zone_info(r->mob, mobility_zone(r->mob));
      if (z->function[0]) wc.function = z->function;
      if (z->arrival_rate > 0) wc.rate_per_s = z->arrival_rate;
    }
    ln->w = workload_new(r->e, ln->s, &wc, err);
    if (!ln->w) return -1;
  }
  return 0;
}

static int write_tables(struct cl_run *r) {
  struct cl_config *c = r->cfg;
  results *db = r->c->db;
  results_table *pt = results_table_new(db, create_providers, insert_providers);
  results_table *st = results_table_new(db, create_series, insert_series);
  if (!pt || !st) return CM_EDB;
  for (uint32_t i = 0; i + 1 < r->nstats; i++) {
    const struct lane_stats *x = &r->stats[i];
    uint32_t p = c->per_provider ? r->lanes[i].provider : i;
    uint64_t ok = x->completed + x->cached;
    results_bind_int(pt, 1, r->c->run_id);
    results_bind_text(pt, 2, c->per_provider ? r->lanes[i].function : "*");
    results_bind_text(pt, 3, c->providers[p].name);
    results_bind_text(pt, 4, tier_name(c->providers[p].tier));
    results_bind_int(pt, 5, (int64_t)ok);
    results_bind_int(pt, 6, (int64_t)x->failed);
    results_bind_int(pt, 7, (int64_t)x->cold);
    if (ok) {
      results_bind_double(pt, 8, x->lat_sum / (double)ok);
      results_bind_double(pt, 9, sd_of(x->lat_sum, x->lat_sq, ok));
      results_bind_double(pt, 10, cm_time_to_s(hist_percentile(x->lat, 0.50)));
      results_bind_double(pt, 11, cm_time_to_s(hist_percentile(x->lat, 0.95)));
      results_bind_double(pt, 12, cm_time_to_s(hist_percentile(x->lat, 0.99)));
      results_bind_double(pt, 13, x->exec_sum / (double)ok);
      results_bind_double(pt, 14, sd_of(x->exec_sum, x->exec_sq, ok));
    }
    /* per_provider lanes hold one provider each; otherwise the billing
     * engine's total for the provider (a call's cost may span providers) */
    results_bind_double(pt, 15, c->per_provider || c->only >= 0 ? x->cost : billing_provider_usd(r->bill, p));
    if (results_row(pt) != 0) return CM_EDB;
  }
  uint32_t n = c->nproviders;
  double step = cm_time_to_s(c->series_step);
  for (guint b = 0; b * n < r->series->len; b++)
    for (uint32_t p = 0; p < n; p++) {
      const struct bucket *k = &g_array_index(r->series, struct bucket, b * n + p);
      results_bind_int(st, 1, r->c->run_id);
      results_bind_double(st, 2, b * step);
      results_bind_text(st, 3, c->providers[p].name);
      results_bind_int(st, 4, k->completed);
      results_bind_int(st, 5, k->failed);
      results_bind_double(st, 6, k->completed / step);
      if (k->completed) results_bind_double(st, 7, k->lat_sum / k->completed);
      if (results_row(st) != 0) return CM_EDB;
    }
  return 0;
}

static void summarize(const struct cl_run *r, cm_time span, struct cl_summary *out) {
  const struct lane_stats *all = &r->stats[r->nstats - 1];
  uint64_t ok = all->completed + all->cached;
  *out = (struct cl_summary){
      .calls = r->done,
      .completed = all->completed,
      .cached = all->cached,
      .failed = all->failed,
      .mean_s = ok ? all->lat_sum / (double)ok : NAN,
      .p50_s = ok ? cm_time_to_s(hist_percentile(all->lat, 0.50)) : NAN,
      .p95_s = ok ? cm_time_to_s(hist_percentile(all->lat, 0.95)) : NAN,
      .p99_s = ok ? cm_time_to_s(hist_percentile(all->lat, 0.99)) : NAN,
      .cost_usd = billing_total(r->bill),
      .throughput_per_s = span > 0 ? (double)ok / cm_time_to_s(span) : NAN,
      .cache_hit_ratio = r->done ? (double)all->cached / (double)r->done : 0,
      .zone_changes = r->mob ? mobility_zone_changes(r->mob) : 0,
      .sched_overhead_ns = r->done ? (double)r->overhead_ns / (double)r->done : NAN,
  };
  out->cost_per_1000_usd = r->done ? out->cost_usd * 1000.0 / (double)r->done : NAN;
  uint64_t made = 0;
  for (uint32_t i = 0; i < r->nlanes; i++) made += workload_calls(r->lanes[i].w);
  out->unfinished = made - r->done;
}

static int write_metrics(struct cl_run *r, const struct cl_summary *m) {
  const struct {
    const char *name;
    double v;
  } ms[] = {
      {"calls", (double)m->calls},           {"completed", (double)m->completed},
      {"cached", (double)m->cached},         {"failed", (double)m->failed},
      {"unfinished", (double)m->unfinished}, {"mean_latency_s", m->mean_s},
      {"p50_latency_s", m->p50_s},           {"p95_latency_s", m->p95_s},
      {"p99_latency_s", m->p99_s},           {"cost_usd", m->cost_usd},
      {"cost_per_1000_usd", m->cost_per_1000_usd}, {"throughput_per_s", m->throughput_per_s},
      {"cache_hit_ratio", m->cache_hit_ratio},     {"zone_changes", (double)m->zone_changes},
      /* wall clock: excluded from the determinism rule (analysis/SCHEMA.md) */
      {"wall_sched_overhead_ns", m->sched_overhead_ns},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(ms); i++)
    if (results_metric(r->c->db, r->c->run_id, ms[i].name, ms[i].v) != 0) return CM_EDB;
  return 0;
}

static void print_summary(const struct cl_run *r, const struct cl_summary *m) {
  const struct cl_config *c = r->cfg;
  printf("cloudless: %u providers, policy %s, %s workload, seed %llu\n", c->nproviders,
         c->per_provider ? "(one provider per lane)" : c->policy,
         c->per_provider ? "per-provider serial" : c->work.mode == WORKLOAD_OPEN ? "open-loop" : "closed-loop",
         (unsigned long long)r->c->seed);
  printf("  %-28s %8s %7s %6s %9s %9s %9s %9s %10s\n", c->per_provider ? "function / provider" : "provider", "done",
         "failed", "cold", "mean (s)", "sd (s)", "p50 (s)", "p99 (s)", "cost ($)");
  for (uint32_t i = 0; i < r->nstats; i++) {
    const struct lane_stats *x = &r->stats[i];
    uint64_t ok = x->completed + x->cached;
    char name[96];
    if (i + 1 == r->nstats) snprintf(name, sizeof name, "all");
    else if (c->per_provider)
      snprintf(name, sizeof name, "%s / %s", r->lanes[i].function, c->providers[r->lanes[i].provider].name);
    else snprintf(name, sizeof name, "%s", c->providers[i].name);
    double cost = c->per_provider || c->only >= 0 || i + 1 == r->nstats ? x->cost : billing_provider_usd(r->bill, i);
    printf("  %-28s %8llu %7llu %6llu %9.3f %9.3f %9.3f %9.3f %10.6f\n", name, (unsigned long long)ok,
           (unsigned long long)x->failed, (unsigned long long)x->cold, ok ? x->lat_sum / (double)ok : NAN,
           sd_of(x->lat_sum, x->lat_sq, ok), ok ? cm_time_to_s(hist_percentile(x->lat, 0.5)) : NAN,
           ok ? cm_time_to_s(hist_percentile(x->lat, 0.99)) : NAN, cost);
  }
  printf("  calls %llu: completed %llu, cached %llu, failed %llu, without outcome %llu; cost $%.6f ($%.6f per 1000); "
         "throughput %.3f/s; T_s %.0f ns per call (wall)\n",
         (unsigned long long)m->calls, (unsigned long long)m->completed, (unsigned long long)m->cached,
         (unsigned long long)m->failed, (unsigned long long)m->unfinished, m->cost_usd, m->cost_per_1000_usd,
         m->throughput_per_s, m->sched_overhead_ns);
  if (r->mob) printf("  flight: %llu zone changes\n", (unsigned long long)m->zone_changes);
}

/* Calls in flight, or per-provider lanes still short of their count. */
static bool busy(struct cl_run *r) {
  for (uint32_t i = 0; i < r->nlanes; i++) {
    struct sched_stats ss;
    sched_stats(r->lanes[i].s, &ss);
    if (ss.in_flight) return true;
    if (r->probe && benchmark_probe_in_flight(r->probe)) return true;
    if (r->cfg->per_provider && workload_calls(r->lanes[i].w) < r->cfg->calls_per_provider) return true;
  }
  return false;
}

static void teardown(struct cl_run *r) {
  for (uint32_t i = 0; i < r->nlanes; i++) {
    workload_free(r->lanes[i].w);
    sched_free(r->lanes[i].s);
  }
  mobility_free(r->mob);
  benchmark_probe_free(r->probe);
  benchmark_recorder_free(r->bench);
  faas_world_free(r->world);
  cache_free(r->memo);
  billing_free(r->bill);
  for (uint32_t i = 0; i < r->nstats; i++) hist_free(r->stats[i].lat);
  g_free(r->stats);
  g_free(r->lanes);
  if (r->series) g_array_free(r->series, TRUE);
  env_free(r->e);
}

int cloudless_run(struct run_ctx *c, struct cl_summary *out) {
  char *err = NULL;
  struct cl_run r = {.c = c};
  r.cfg = cl_config_new(c->s, &err);
  if (!r.cfg) {
    fprintf(stderr, "cloudmix: %s\n", err);
    g_free(err);
    return CM_EXIT_USAGE;
  }
  r.e = env_sim_new(c->seed);
  if (!(r.events_t = results_table_new(c->db, create_events, insert_events))) r.rc = CM_EDB;
  if (r.cfg->record_calls && !(r.calls_t = results_table_new(c->db, create_calls, insert_calls))) {
    fprintf(stderr, "cloudmix: cannot create cloudless_calls: %s\n", results_errmsg(c->db));
    r.rc = CM_EDB;
  }
  int rc = CM_EXIT_OK;
  if (r.rc == 0 && build(&r, &err) != 0) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
    g_free(err);
    rc = CM_EXIT_USAGE;
  }
  if (rc == CM_EXIT_OK && r.rc == 0) {
    engine *en = env_sim_engine(r.e);
    struct progress pr;
    cm_time horizon = r.cfg->per_provider ? 0 : r.cfg->duration;
    progress_init(&pr, c->quiet, horizon);
    engine_set_progress(en, progress_tick, &pr, 1 << 16);
    if (!r.cfg->per_provider) env_run(r.e, r.cfg->duration);
    /* The flight ends with the run; then drain: every call made gets its
     * outcome (the world's own timers may run forever, so step). */
    mobility_free(r.mob);
    r.mob = NULL;
    if (r.probe) benchmark_probe_stop(r.probe);
    for (long guard = 0; busy(&r) && guard < 100000000L; guard++) env_run(r.e, engine_now(en) + CM_S(1));
    progress_done(&pr);
    c->events = engine_events(en);
    c->sim_end = engine_now(en);
    struct cl_summary m;
    summarize(&r, r.cfg->per_provider ? c->sim_end : r.cfg->duration, &m);
    if (write_tables(&r) != 0 || write_metrics(&r, &m) != 0 || r.rc != 0) {
      fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
      rc = CM_EXIT_FAILED;
    }
    if (m.unfinished) {
      fprintf(stderr, "cloudmix: %llu calls without an outcome at the end of the run\n", (unsigned long long)m.unfinished);
      rc = CM_EXIT_FAILED;
    }
    if (!c->quiet) print_summary(&r, &m);
    if (out) *out = m;
  }
  teardown(&r);
  cl_config_free(r.cfg);
  return rc;
}

int run_cloudless(struct run_ctx *c) { return cloudless_run(c, NULL); }
