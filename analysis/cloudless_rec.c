/* The recorder of a live cloudless run (cloudless_rec.h). */
#include "cloudless_rec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "hist.h"

static const char create_calls[] =
    "CREATE TABLE IF NOT EXISTS cloudless_calls ("
    " run_id INTEGER NOT NULL, call INTEGER NOT NULL, function TEXT NOT NULL, provider TEXT, zone TEXT,"
    " submitted_ns INTEGER NOT NULL, finished_ns INTEGER NOT NULL, latency_ns INTEGER NOT NULL,"
    " exec_ns INTEGER, init_ns INTEGER, net_ns INTEGER, cold INTEGER, attempts INTEGER NOT NULL,"
    " cost_usd REAL NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL)";
static const char insert_calls[] = "INSERT INTO cloudless_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_events[] =
    "CREATE TABLE IF NOT EXISTS cloudless_events ("
    " run_id INTEGER NOT NULL, t_ns INTEGER NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL)";
static const char insert_events[] = "INSERT INTO cloudless_events VALUES (?,?,?,?)";
static const char create_series[] =
    "CREATE TABLE IF NOT EXISTS cloudless_series ("
    " run_id INTEGER NOT NULL, t_ns INTEGER NOT NULL, provider TEXT NOT NULL,"
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

/* Streaming figures of one lane (a provider, or a function x provider). */
struct lane_stats {
  uint64_t completed, cached, failed, cold, attempts;
  double lat_sum, lat_sq, exec_sum, exec_sq, cost;
  hist *lat;
};

struct bucket {
  uint32_t completed, failed;
  double lat_sum;
};

struct cl_rec {
  struct cl_rec_config cfg;
  const broker *b;
  struct lane_stats *stats; /* per lane in per_provider mode, else per provider; plus [n] = all */
  uint32_t nstats;
  GArray *series;           /* per (bucket, provider): struct bucket, bucket-major */
  results_table *calls_t, *events_t;
  int rc;
  uint64_t done;
  int64_t overhead_ns;
  char zone[64];            /* current flight zone ("" without a flight) */
};

cl_rec *cl_rec_new(const struct cl_rec_config *cfg, const broker *b, char **err) {
  cl_rec *r = g_new0(cl_rec, 1);
  r->cfg = *cfg;
  r->b = b;
  r->nstats = (cfg->per_provider ? broker_nlanes(b) : cfg->nproviders) + 1;
  r->stats = g_new0(struct lane_stats, r->nstats);
  for (uint32_t i = 0; i < r->nstats; i++) r->stats[i].lat = hist_new();
  r->series = g_array_new(FALSE, TRUE, sizeof(struct bucket));
  if (!(r->events_t = results_table_new(cfg->db, create_events, insert_events)) ||
      (cfg->record_calls && !(r->calls_t = results_table_new(cfg->db, create_calls, insert_calls)))) {
    *err = g_strdup_printf("cannot create the cloudless tables: %s", results_errmsg(cfg->db));
    cl_rec_free(r);
    return NULL;
  }
  return r;
}

void cl_rec_free(cl_rec *r) {
  if (!r) return;
  for (uint32_t i = 0; i < r->nstats; i++) hist_free(r->stats[i].lat);
  g_free(r->stats);
  g_array_free(r->series, TRUE);
  g_free(r);
}

/* ---- during the run ---- */

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

static void series_add(cl_rec *r, const struct sched_record *rec, int provider, cm_time lat) {
  if (provider < 0) return;
  uint64_t b = (uint64_t)(rec->finished / r->cfg.series_step);
  uint32_t n = r->cfg.nproviders;
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

static void row_add(cl_rec *r, const struct sched_record *rec, const char *pname, cm_time lat) {
  results_table *t = r->calls_t;
  results_bind_int(t, 1, r->cfg.run_id);
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

void cl_rec_call(void *arg, uint32_t lane, int provider, const struct sched_record *rec) {
  cl_rec *r = arg;
  cm_time lat = rec->finished - rec->submitted;
  r->done++;
  r->overhead_ns += rec->overhead_ns;
  uint32_t st = r->cfg.per_provider ? lane : (provider >= 0 ? (uint32_t)provider : r->nstats - 1);
  if (provider >= 0 || r->cfg.per_provider) stats_add(&r->stats[st], rec, lat);
  stats_add(&r->stats[r->nstats - 1], rec, lat);
  series_add(r, rec, provider, lat);
  if (r->calls_t) row_add(r, rec, provider >= 0 ? r->cfg.provider_names[provider] : NULL, lat);
}

void cl_rec_event(cl_rec *r, cm_time t, const char *kind, const char *what) {
  results_bind_int(r->events_t, 1, r->cfg.run_id);
  results_bind_int(r->events_t, 2, t);
  results_bind_text(r->events_t, 3, kind);
  results_bind_text(r->events_t, 4, what);
  if (results_row(r->events_t) != 0 && r->rc == 0) r->rc = CM_EDB;
}

void cl_rec_zone(cl_rec *r, cm_time t, const char *zone) {
  g_strlcpy(r->zone, zone, sizeof r->zone);
  cl_rec_event(r, t, "zone", zone);
}

/* ---- at the end ---- */

static void bind_stat(results_table *t, int col, const struct benchmark_stat *st, bool sd) {
  if (st->n > (sd ? 1u : 0u)) results_bind_double(t, col, sd ? st->sd : st->mean);
}

/* The benchmarking engine's figures per provider (seed 5.1.2), and the
 * periodic empty-function probe's scheduling-delay estimate. T_s is wall
 * clock, so it is printed, not stored. */
static int write_benchmarks(cl_rec *r) {
  const benchmark_recorder *bench = broker_bench(r->b);
  const benchmark_probe *probe = broker_probe(r->b);
  if (!bench) return 0;
  results_table *t = results_table_new(r->cfg.db, create_bench, insert_bench);
  if (!t) return CM_EDB;
  int only = r->cfg.only;
  for (uint32_t p = 0; p < r->cfg.nproviders; p++) {
    struct benchmark_summary b;
    if (benchmark_recorder_summary(bench, only >= 0 ? 0 : p, &b) != 0) continue;
    if (only >= 0 && (int)p != only) continue;
    results_bind_int(t, 1, r->cfg.run_id);
    results_bind_text(t, 2, r->cfg.provider_names[p]);
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
    if (probe && benchmark_probe_estimate(probe, p, &ps) == 0) {
      results_bind_int(t, 15, (int64_t)ps.count);
      if (ps.count) results_bind_double(t, 16, ps.mean_s);
    }
    if (results_row(t) != 0) return CM_EDB;
  }
  return 0;
}

static double sd_of(double sum, double sq, uint64_t n) {
  if (n < 2) return NAN;
  double m = sum / (double)n, v = (sq - (double)n * m * m) / (double)(n - 1);
  return v > 0 ? sqrt(v) : 0;
}

/* Cost of stats row i: per_provider lanes, a single-provider run and the
 * "all" row sum their own calls; otherwise the billing engine's total for
 * the provider (a call's cost may span providers). */
static double lane_cost(const cl_rec *r, uint32_t i) {
  return r->cfg.per_provider || r->cfg.only >= 0 || i + 1 == r->nstats ? r->stats[i].cost
                                                                       : billing_provider_usd(broker_billing(r->b), i);
}

/* The world provider of stats row i (not the last). */
static uint32_t row_provider(const cl_rec *r, uint32_t i) {
  return r->cfg.per_provider ? (uint32_t)broker_lane_provider(r->b, i) : i;
}

static int write_tables(cl_rec *r) {
  if (write_benchmarks(r) != 0) return CM_EDB;
  results *db = r->cfg.db;
  results_table *pt = results_table_new(db, create_providers, insert_providers);
  results_table *st = results_table_new(db, create_series, insert_series);
  if (!pt || !st) return CM_EDB;
  for (uint32_t i = 0; i + 1 < r->nstats; i++) {
    const struct lane_stats *x = &r->stats[i];
    uint32_t p = row_provider(r, i);
    uint64_t ok = x->completed + x->cached;
    results_bind_int(pt, 1, r->cfg.run_id);
    results_bind_text(pt, 2, r->cfg.per_provider ? broker_lane_function(r->b, i) : "*");
    results_bind_text(pt, 3, r->cfg.provider_names[p]);
    results_bind_text(pt, 4, r->cfg.provider_tiers[p]);
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
    results_bind_double(pt, 15, lane_cost(r, i));
    if (results_row(pt) != 0) return CM_EDB;
  }
  uint32_t n = r->cfg.nproviders;
  double step = cm_time_to_s(r->cfg.series_step);
  for (guint b = 0; b * n < r->series->len; b++)
    for (uint32_t p = 0; p < n; p++) {
      const struct bucket *k = &g_array_index(r->series, struct bucket, b * n + p);
      results_bind_int(st, 1, r->cfg.run_id);
      results_bind_int(st, 2, (int64_t)b * r->cfg.series_step);
      results_bind_text(st, 3, r->cfg.provider_names[p]);
      results_bind_int(st, 4, k->completed);
      results_bind_int(st, 5, k->failed);
      results_bind_double(st, 6, k->completed / step);
      if (k->completed) results_bind_double(st, 7, k->lat_sum / k->completed);
      if (results_row(st) != 0) return CM_EDB;
    }
  return 0;
}

void cl_rec_summarize(const cl_rec *r, cm_time span, uint64_t zone_changes, struct cl_summary *out) {
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
      .cost_usd = billing_total(broker_billing(r->b)),
      .throughput_per_s = span > 0 ? (double)ok / cm_time_to_s(span) : NAN,
      .cache_hit_ratio = r->done ? (double)all->cached / (double)r->done : 0,
      .zone_changes = zone_changes,
      .sched_overhead_ns = r->done ? (double)r->overhead_ns / (double)r->done : NAN,
  };
  out->cost_per_1000_usd = r->done ? out->cost_usd * 1000.0 / (double)r->done : NAN;
  out->unfinished = broker_calls_made(r->b) - r->done;
}

int cl_rec_write(cl_rec *r, const struct cl_summary *m) {
  if (r->rc != 0 || write_tables(r) != 0) return CM_EDB;
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
    if (results_metric(r->cfg.db, r->cfg.run_id, ms[i].name, ms[i].v) != 0) return CM_EDB;
  return 0;
}

void cl_rec_print(const cl_rec *r, const struct cl_summary *m, bool flew) {
  const struct cl_rec_config *c = &r->cfg;
  printf("cloudless (%s): %u providers, policy %s, %s workload, seed %llu\n", c->mode, c->nproviders,
         c->per_provider ? "(one provider per lane)" : c->policy, c->per_provider ? "per-provider serial" : c->workload,
         (unsigned long long)c->seed);
  printf("  %-28s %8s %7s %6s %9s %9s %9s %9s %10s\n", c->per_provider ? "function / provider" : "provider", "done",
         "failed", "cold", "mean (s)", "sd (s)", "p50 (s)", "p99 (s)", "cost ($)");
  for (uint32_t i = 0; i < r->nstats; i++) {
    const struct lane_stats *x = &r->stats[i];
    uint64_t ok = x->completed + x->cached;
    char name[96];
    if (i + 1 == r->nstats) snprintf(name, sizeof name, "all");
    else if (c->per_provider)
      snprintf(name, sizeof name, "%s / %s", broker_lane_function(r->b, i), c->provider_names[row_provider(r, i)]);
    else snprintf(name, sizeof name, "%s", c->provider_names[i]);
    printf("  %-28s %8llu %7llu %6llu %9.3f %9.3f %9.3f %9.3f %10.6f\n", name, (unsigned long long)ok,
           (unsigned long long)x->failed, (unsigned long long)x->cold, ok ? x->lat_sum / (double)ok : NAN,
           sd_of(x->lat_sum, x->lat_sq, ok), ok ? cm_time_to_s(hist_percentile(x->lat, 0.5)) : NAN,
           ok ? cm_time_to_s(hist_percentile(x->lat, 0.99)) : NAN, lane_cost(r, i));
  }
  printf("  calls %llu: completed %llu, cached %llu, failed %llu, without outcome %llu; cost $%.6f ($%.6f per 1000); "
         "throughput %.3f/s; T_s %.0f ns per call (wall)\n",
         (unsigned long long)m->calls, (unsigned long long)m->completed, (unsigned long long)m->cached,
         (unsigned long long)m->failed, (unsigned long long)m->unfinished, m->cost_usd, m->cost_per_1000_usd,
         m->throughput_per_s, m->sched_overhead_ns);
  if (flew) printf("  flight: %llu zone changes\n", (unsigned long long)m->zone_changes);
  const benchmark_recorder *bench = broker_bench(r->b);
  const benchmark_probe *probe = broker_probe(r->b);
  if (!bench) return;
  printf("  benchmarks (seed 5.1.2; successful attempts)\n  %-28s %8s %8s %8s %6s %9s %9s %10s\n", "provider",
         "T_e (s)", "T_n (s)", "init (s)", "cold", "mem (MB)", "T_s (ns)", "probe (s)");
  for (uint32_t p = 0; p < c->nproviders; p++) {
    struct benchmark_summary b;
    if (c->only >= 0 && (int)p != c->only) continue;
    if (benchmark_recorder_summary(bench, c->only >= 0 ? 0 : p, &b) != 0 || b.attempts == 0) continue;
    struct benchmark_probe_stat ps = {.mean_s = NAN};
    if (probe) benchmark_probe_estimate(probe, p, &ps);
    char pr[16] = "-";
    if (ps.count) snprintf(pr, sizeof pr, "%.4f", ps.mean_s);
    printf("  %-28s %8.3f %8.3f %8.3f %6llu %9.1f %9.0f %10s\n", c->provider_names[p], b.exec_s.mean, b.net_s.mean,
           b.init_s.n ? b.init_s.mean : 0.0, (unsigned long long)b.cold, b.mem_peak_mb.mean, b.overhead_ns.mean, pr);
  }
}
