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

#include "cloudless_run.h"
#include "env_sim.h"

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
  workload_done(ln->w, rec->id, rec->outcome == SCHED_FAILED);
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
  if (out && strcmp(r.cfg->experiment, "live") != 0) { /* compare's table is of live scheduling */
    fprintf(stderr, "cloudmix: %s: [cloudless] experiment: compare runs only experiment = live, not %s\n",
            scenario_path(c->s), r.cfg->experiment);
    cl_config_free(r.cfg);
    return CM_EXIT_USAGE;
  }
  if (strcmp(r.cfg->experiment, "live") != 0) {
    int rc = strcmp(r.cfg->experiment, "workflow") == 0 ? cloudless_workflow_run(c, r.cfg) : cloudless_scan_run(c, r.cfg);
    cl_config_free(r.cfg);
    return rc;
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
    if (r.mob) {
      r.flew = true;
      r.zone_changes = mobility_zone_changes(r.mob);
    }
    mobility_free(r.mob);
    r.mob = NULL;
    if (r.probe) benchmark_probe_stop(r.probe);
    for (long guard = 0; busy(&r) && guard < 100000000L; guard++) env_run(r.e, engine_now(en) + CM_S(1));
    progress_done(&pr);
    c->events = engine_events(en);
    c->sim_end = engine_now(en);
    struct cl_summary m;
    cl__summarize(&r, r.cfg->per_provider ? c->sim_end : r.cfg->duration, &m);
    if (cl__write_tables(&r) != 0 || cl__write_metrics(&r, &m) != 0 || r.rc != 0) {
      fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
      rc = CM_EXIT_FAILED;
    }
    if (m.unfinished) {
      fprintf(stderr, "cloudmix: %llu calls without an outcome at the end of the run\n", (unsigned long long)m.unfinished);
      rc = CM_EXIT_FAILED;
    }
    if (!c->quiet) cl__print_summary(&r, &m);
    if (out) *out = m;
  }
  teardown(&r);
  cl_config_free(r.cfg);
  return rc;
}

int run_cloudless(struct run_ctx *c) { return cloudless_run(c, NULL); }
