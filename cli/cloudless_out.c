/* The cloudless runner's output: per-provider (or per-lane) figures, the
 * time series, the benchmarking engine's per-provider measurements and the
 * periodic probe's scheduling-delay estimates as tables; the run's metrics;
 * and the summary printed after a run. */
#include <math.h>
#include <stdio.h>

#include "cloudless_run.h"

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

static const char create_bench[] =
    "CREATE TABLE IF NOT EXISTS cloudless_benchmarks ("
    " run_id INTEGER NOT NULL, provider TEXT NOT NULL, attempts INTEGER NOT NULL, ok INTEGER NOT NULL,"
    " warm INTEGER NOT NULL, cold INTEGER NOT NULL, mean_exec_s REAL, sd_exec_s REAL, mean_net_s REAL,"
    " sd_net_s REAL, mean_init_s REAL, mean_mem_peak_mb REAL, mean_mem_mb REAL, mem_samples INTEGER NOT NULL,"
    " probes INTEGER, probe_mean_s REAL)";
static const char insert_bench[] = "INSERT INTO cloudless_benchmarks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static void bind_stat(results_table *t, int col, const struct benchmark_stat *st, bool sd) {
  if (st->n > (sd ? 1u : 0u)) results_bind_double(t, col, sd ? st->sd : st->mean);
}

/* The benchmarking engine's figures per provider (seed 5.1.2), and the
 * periodic empty-function probe's scheduling-delay estimate. T_s is wall
 * clock, so it is printed, not stored. */
static int write_benchmarks(struct cl_run *r) {
  if (!r->bench) return 0;
  results_table *t = results_table_new(r->c->db, create_bench, insert_bench);
  if (!t) return CM_EDB;
  for (uint32_t p = 0; p < r->cfg->nproviders; p++) {
    struct benchmark_summary b;
    if (benchmark_recorder_summary(r->bench, r->cfg->only >= 0 ? 0 : p, &b) != 0) continue;
    if (r->cfg->only >= 0 && (int)p != r->cfg->only) continue;
    results_bind_int(t, 1, r->c->run_id);
    results_bind_text(t, 2, r->cfg->providers[p].name);
    results_bind_int(t, 3, (int64_t)b.attempts);
    results_bind_int(t, 4, (int64_t)b.ok);
    results_bind_int(t, 5, (int64_t)b.warm);
    results_bind_int(t, 6, (int64_t)b.cold);
    bind_stat(t, 7, &b.exec_s, false);
    bind_stat(t, 8, &b.exec_s, true);
    bind_stat(t, 9, &b.net_s, false);
    bind_stat(t, 10, &b.net_s, true);
    bind_stat(t, 11, &b.init_s, false);
    bind_stat(t, 12, &b.mem_peak_mb, false);
    bind_stat(t, 13, &b.mem_mean_mb, false);
    results_bind_int(t, 14, (int64_t)b.mem_samples);
    struct benchmark_probe_stat ps;
    if (r->probe && benchmark_probe_estimate(r->probe, p, &ps) == 0) {
      results_bind_int(t, 15, (int64_t)ps.count);
      if (ps.count) results_bind_double(t, 16, ps.mean_s);
    }
    if (results_row(t) != 0) return CM_EDB;
  }
  return 0;
}

static const char *tier_name(enum faas_tier t) {
  return t == FAAS_LOCAL_EDGE ? "local_edge" : t == FAAS_REMOTE_EDGE ? "remote_edge" : "cloud";
}

double cl__sd(double sum, double sq, uint64_t n) {
  if (n < 2) return NAN;
  double m = sum / (double)n, v = (sq - (double)n * m * m) / (double)(n - 1);
  return v > 0 ? sqrt(v) : 0;
}

/* Cost of stats row i: per_provider lanes, a single-provider run and the
 * "all" row sum their own calls; otherwise the billing engine's total for
 * the provider (a call's cost may span providers). */
static double lane_cost(const struct cl_run *r, uint32_t i) {
  const struct cl_config *c = r->cfg;
  return c->per_provider || c->only >= 0 || i + 1 == r->nstats ? r->stats[i].cost : billing_provider_usd(r->bill, i);
}

int cl__write_tables(struct cl_run *r) {
  if (write_benchmarks(r) != 0) return CM_EDB;
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
      results_bind_double(pt, 9, cl__sd(x->lat_sum, x->lat_sq, ok));
      results_bind_double(pt, 10, cm_time_to_s(hist_percentile(x->lat, 0.50)));
      results_bind_double(pt, 11, cm_time_to_s(hist_percentile(x->lat, 0.95)));
      results_bind_double(pt, 12, cm_time_to_s(hist_percentile(x->lat, 0.99)));
      results_bind_double(pt, 13, x->exec_sum / (double)ok);
      results_bind_double(pt, 14, cl__sd(x->exec_sum, x->exec_sq, ok));
    }
    results_bind_double(pt, 15, lane_cost(r, i));
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

void cl__summarize(const struct cl_run *r, cm_time span, struct cl_summary *out) {
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
      .zone_changes = r->zone_changes,
      .sched_overhead_ns = r->done ? (double)r->overhead_ns / (double)r->done : NAN,
  };
  out->cost_per_1000_usd = r->done ? out->cost_usd * 1000.0 / (double)r->done : NAN;
  uint64_t made = 0;
  for (uint32_t i = 0; i < r->nlanes; i++) made += workload_calls(r->lanes[i].w);
  out->unfinished = made - r->done;
}

int cl__write_metrics(struct cl_run *r, const struct cl_summary *m) {
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

void cl__print_summary(const struct cl_run *r, const struct cl_summary *m) {
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
    printf("  %-28s %8llu %7llu %6llu %9.3f %9.3f %9.3f %9.3f %10.6f\n", name, (unsigned long long)ok,
           (unsigned long long)x->failed, (unsigned long long)x->cold, ok ? x->lat_sum / (double)ok : NAN,
           cl__sd(x->lat_sum, x->lat_sq, ok), ok ? cm_time_to_s(hist_percentile(x->lat, 0.5)) : NAN,
           ok ? cm_time_to_s(hist_percentile(x->lat, 0.99)) : NAN, lane_cost(r, i));
  }
  printf("  calls %llu: completed %llu, cached %llu, failed %llu, without outcome %llu; cost $%.6f ($%.6f per 1000); "
         "throughput %.3f/s; T_s %.0f ns per call (wall)\n",
         (unsigned long long)m->calls, (unsigned long long)m->completed, (unsigned long long)m->cached,
         (unsigned long long)m->failed, (unsigned long long)m->unfinished, m->cost_usd, m->cost_per_1000_usd,
         m->throughput_per_s, m->sched_overhead_ns);
  if (r->flew) printf("  flight: %llu zone changes\n", (unsigned long long)m->zone_changes);
  if (!r->bench) return;
  printf("  benchmarks (seed 5.1.2; successful attempts)\n  %-28s %8s %8s %8s %6s %9s %9s %10s\n", "provider",
         "T_e (s)", "T_n (s)", "init (s)", "cold", "mem (MB)", "T_s (ns)", "probe (s)");
  for (uint32_t p = 0; p < c->nproviders; p++) {
    struct benchmark_summary b;
    if (c->only >= 0 && (int)p != c->only) continue;
    if (benchmark_recorder_summary(r->bench, c->only >= 0 ? 0 : p, &b) != 0 || b.attempts == 0) continue;
    struct benchmark_probe_stat ps = {.mean_s = NAN};
    if (r->probe) benchmark_probe_estimate(r->probe, p, &ps);
    char probe[16] = "-";
    if (ps.count) snprintf(probe, sizeof probe, "%.4f", ps.mean_s);
    printf("  %-28s %8.3f %8.3f %8.3f %6llu %9.1f %9.0f %10s\n", c->providers[p].name, b.exec_s.mean, b.net_s.mean,
           b.init_s.n ? b.init_s.mean : 0.0, (unsigned long long)b.cold, b.mem_peak_mb.mean, b.overhead_ns.mean, probe);
  }
}

