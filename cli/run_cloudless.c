/* The cloudless runner: one composition for both backends. A run is (a
 * backend, its world, the broker, the recorder): in simulation the env is
 * the sim backend with the synthetic continuum (sim/faas.h) and its
 * scripted faults; in real mode (--real PROFILE) it is the real backend
 * with the profile's endpoints, and the providers are real (or the
 * emulator). The UAV flight (sim/mobility.h) drives the zones in both: in
 * simulation its link changes reach the world; in real mode the network is
 * the real one. The broker (models/cloudless/broker.h) and the recorder
 * (analysis/cloudless_rec.h) are the same code in both. The workflow
 * experiment (cloudless_workflow.c) composes the periodic planner the same
 * way, on either backend. With --record-trace every call the workload
 * made is also written, as it ends, to a trace of our format. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless_real.h"
#include "env_sim.h"
#include "trace_write.h"

struct cl_run {
  struct run_ctx *c;
  struct cl_config *cfg;
  env *e;
  faas_world *world;      /* sim */
  struct cl_real *real;   /* real mode */
  mobility *mob;
  bool flew;              /* the run had a flight (mob is freed when it ends) */
  uint64_t zone_changes;  /* of the flight, read when it ended */
  broker *b;
  cl_rec *rec;
  const char **names, **tiers;
  trace_writer *tw;       /* --record-trace */
  uint64_t tw_refused;    /* rows the writer refused or failed to write */
};

static const char *tier_name(enum faas_tier t) {
  return t == FAAS_LOCAL_EDGE ? "local_edge" : t == FAAS_REMOTE_EDGE ? "remote_edge" : "cloud";
}

static void on_link(void *arg, uint32_t provider, cm_time latency, cm_time jitter_sd, double bandwidth_bps, bool up) {
  struct cl_run *r = arg;
  if (!r->world) return; /* real mode: the network is the real one */
  faas_world_set_link(r->world, provider, latency, jitter_sd, bandwidth_bps);
  faas_world_set_link_up(r->world, provider, up);
}

static void on_zone(void *arg, uint32_t zone CM_UNUSED, const struct mobility_zone *z) {
  struct cl_run *r = arg;
  if (r->rec) cl_rec_zone(r->rec, env_now(r->e), z->name);
  if (r->b) broker_set_function(r->b, z->function[0] ? z->function : NULL, z->arrival_rate);
}

/* The recorder, then the trace row of the call (--record-trace). */
static void on_call_traced(void *arg, uint32_t lane, int provider, const struct sched_record *rec) {
  struct cl_run *r = arg;
  cl_rec_call(r->rec, lane, provider, rec);
  char outcome[80];
  if (rec->outcome == SCHED_FAILED) /* dropped: never placed */
    snprintf(outcome, sizeof outcome, "%s:%s", provider >= 0 ? "failed" : "dropped", rec->reason);
  struct trace_inv v = {.id = rec->id, .t = rec->submitted, .function = rec->function,
                        .duration = rec->outcome == SCHED_COMPLETED ? rec->exec : 0,
                        .memory_mb = rec->outcome == SCHED_COMPLETED ? rec->mem_peak_mb : 0,
                        .request_bytes = rec->request_bytes, .response_bytes = rec->response_bytes,
                        .outcome = rec->outcome == SCHED_COMPLETED ? "completed"
                                   : rec->outcome == SCHED_CACHED  ? "cached" : outcome,
                        .provider = provider >= 0 ? r->cfg->providers[provider].name : NULL,
                        .latency = rec->finished - rec->submitted};
  if (trace_writer_add(r->tw, &v) != 0) r->tw_refused++;
}

/* The simulated world: the continuum and its scripted faults. */
static int sim_world(struct cl_run *r, char **err) {
  struct cl_config *c = r->cfg;
  r->e = env_sim_new(r->c->seed);
  r->world = faas_world_new(r->e, c->providers, c->nproviders, c->functions, c->nfunctions, err);
  if (!r->world) return -1;
  for (uint32_t i = 0; i < c->nfaults; i++)
    if (faas_world_add_fault(r->world, &c->faults[i]) != 0) {
      *err = g_strdup_printf("fault %u refused by the world", i + 1);
      return -1;
    }
  return 0;
}

static void record_faults(struct cl_run *r) {
  static const char *const kinds[] = {"outage", "errors", "slowdown", "timeout", "link_down"};
  const struct cl_config *c = r->cfg;
  for (uint32_t i = 0; i < c->nfaults; i++) {
    const struct faas_fault *f = &c->faults[i];
    char what[128];
    snprintf(what, sizeof what, "%s %s start", c->providers[f->provider].name, kinds[f->kind]);
    cl_rec_event(r->rec, f->start, "fault", what);
    snprintf(what, sizeof what, "%s %s end", c->providers[f->provider].name, kinds[f->kind]);
    cl_rec_event(r->rec, f->end, "fault", what);
  }
}

static int build(struct cl_run *r, char **err) {
  struct cl_config *c = r->cfg;
  if (r->c->real ? cl_real_world(r->c, c, &r->e, &r->real, err) != 0 : sim_world(r, err) != 0) return -1;
  struct broker_config bc = {.sched = c->sched, .all = c->sched_providers, .nall = c->nproviders, .only = c->only,
                             .work = c->work, .per_provider = c->per_provider,
                             .functions_per_provider = (const char *const *)c->functions_per_provider,
                             .calls_per_provider = c->calls_per_provider, .cache_entries = c->cache_entries,
                             .cache_ttl = c->cache_ttl, .budget_usd = c->budget_usd, .probe_period = c->probe_period};
  if (c->nwaypoints) {
    struct mobility_config mc;
    cl_mobility_config(c, &mc);
    r->mob = mobility_new(r->e, &mc, on_link, on_zone, r, err);
    cl_mobility_config_free(&mc);
    if (!r->mob) return -1;
    r->flew = true;
    const struct mobility_zone *z = mobility_zone_info(r->mob, mobility_zone(r->mob)); /* the first zone's mix */
    if (!c->per_provider && z->function[0]) bc.work.function = z->function;
    if (!c->per_provider && z->arrival_rate > 0) bc.work.rate_per_s = z->arrival_rate;
  }
  r->names = g_new(const char *, c->nproviders);
  r->tiers = g_new(const char *, c->nproviders);
  for (uint32_t i = 0; i < c->nproviders; i++) {
    r->names[i] = c->providers[i].name;
    r->tiers[i] = tier_name(c->providers[i].tier);
  }
  if (r->c->record_trace) {
    if (c->per_provider) {
      *err = g_strdup("--record-trace: [workload] mode = per_provider is not recorded (its lanes number their calls "
                      "each from 1); use open or closed");
      return -1;
    }
    if (!(r->tw = trace_writer_open(r->c->record_trace, err))) return -1;
  }
  if (!(r->b = broker_new(r->e, &bc, cl_rec_call, NULL, err))) return -1;
  struct cl_rec_config rc = {.db = r->c->db, .run_id = r->c->run_id, .seed = r->c->seed,
                             .mode = r->c->real ? "real" : "sim", .provider_names = r->names,
                             .provider_tiers = r->tiers, .nproviders = c->nproviders,
                             .per_provider = c->per_provider, .only = c->only, .series_step = c->series_step,
                             .record_calls = c->record_calls, .policy = c->policy,
                             .workload = c->work.mode == WORKLOAD_OPEN    ? "open-loop"
                                         : c->work.mode == WORKLOAD_TRACE ? "trace-driven"
                                                                          : "closed-loop"};
  if (!(r->rec = cl_rec_new(&rc, r->b, err))) return -1;
  if (r->tw) broker_set_observer(r->b, on_call_traced, r);
  else broker_set_observer(r->b, cl_rec_call, r->rec);
  if (r->c->on_decision) broker_on_decision(r->b, r->c->on_decision, r->c->decision_arg);
  if (r->world) record_faults(r);
  return 0;
}

static void teardown(struct cl_run *r) {
  broker_free(r->b);
  trace_writer_close(r->tw, NULL); /* only on a failed build: a run closes it itself */
  mobility_free(r->mob);
  cl_rec_free(r->rec);
  faas_world_free(r->world);
  env_free(r->e);
  cl_real_free(r->real);
  g_free(r->names);
  g_free(r->tiers);
}

/* The flight ends with the horizon; then drain: every call made gets its
 * outcome. In simulation the world's own timers may run forever, so step;
 * in real mode wait in wall-clock time, at most drain_limit. */
static void drain(struct cl_run *r, cm_time drain_limit) {
  if (r->mob) r->zone_changes = mobility_zone_changes(r->mob);
  mobility_free(r->mob);
  r->mob = NULL;
  broker_wind_down(r->b);
  cm_time now = env_now(r->e), until = drain_limit > CM_TIME_MAX - now ? CM_TIME_MAX : now + drain_limit;
  cm_time step = r->world ? CM_S(1) : CM_MS(20); /* real mode: look often, the wait is wall-clock time */
  for (long guard = 0; broker_busy(r->b) && guard < 100000000L && env_now(r->e) < until; guard++)
    env_run(r->e, env_now(r->e) + step);
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
  if (r.cfg->fleet) { /* N UAVs, placements side by side: cli/run_fleet.c */
    const char *no = out ? "compare runs one client; a fleet's placements are compared by `cloudmix run`"
                     : c->record_trace ? "--record-trace records one client's calls; expected no --record-trace"
                     : c->cl_adjust    ? "replay drives one client; expected a scenario without [fleet] uavs"
                                       : NULL;
    int rc = no ? CM_EXIT_USAGE : cloudless_fleet_run(c, r.cfg);
    if (no) fprintf(stderr, "cloudmix: %s: [fleet] uavs: %s\n", scenario_path(c->s), no);
    cl_config_free(r.cfg);
    return rc;
  }
  if (strcmp(r.cfg->experiment, "live") != 0 && (c->record_trace || c->cl_adjust)) {
    fprintf(stderr, "cloudmix: %s: [cloudless] experiment: %s records and replays only experiment = live, not %s\n",
            scenario_path(c->s), c->record_trace ? "--record-trace" : "replay", r.cfg->experiment);
    cl_config_free(r.cfg);
    return CM_EXIT_USAGE;
  }
  if (c->cl_adjust && c->cl_adjust(c->cl_adjust_arg, r.cfg, &err) != 0) {
    fprintf(stderr, "cloudmix: %s\n", err);
    g_free(err);
    cl_config_free(r.cfg);
    return CM_EXIT_USAGE;
  }
  if (strcmp(r.cfg->experiment, "live") != 0) {
    int rc;
    /* both backends: the planner, or the storage scan */
    rc = strcmp(r.cfg->experiment, "workflow") == 0 ? cloudless_workflow_run(c, r.cfg) : cloudless_scan_run(c, r.cfg);
    cl_config_free(r.cfg);
    return rc;
  }
  int rc = CM_EXIT_OK;
  if (build(&r, &err) != 0) {
    if (c->real) fprintf(stderr, "cloudmix: %s\n", err); /* it names the profile */
    else fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
    g_free(err);
    rc = CM_EXIT_USAGE;
  }
  if (rc == CM_EXIT_OK) {
    struct progress pr;
    cm_time horizon = r.cfg->per_provider ? 0 : r.cfg->duration;
    progress_init(&pr, c->quiet, horizon);
    engine *en = r.world ? env_sim_engine(r.e) : NULL;
    if (en) engine_set_progress(en, progress_tick, &pr, 1 << 16);
    if (!r.cfg->per_provider) env_run(r.e, r.cfg->duration);
    drain(&r, en ? CM_TIME_MAX : cl_real_drain_limit(r.cfg));
    progress_done(&pr);
    c->events = en ? engine_events(en) : 0;
    c->sim_end = env_now(r.e);
    struct cl_summary m;
    cl_rec_summarize(r.rec, r.cfg->per_provider ? c->sim_end : r.cfg->duration, r.zone_changes, &m);
    if (cl_rec_write(r.rec, &m) != 0) {
      fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
      rc = CM_EXIT_FAILED;
    }
    if (m.unfinished) {
      fprintf(stderr, "cloudmix: %llu calls without an outcome at the end of the run\n", (unsigned long long)m.unfinished);
      rc = CM_EXIT_FAILED;
    }
    if (r.real && cl_real_report(r.e, c) != 0) rc = CM_EXIT_FAILED;
    if (r.tw) {
      uint64_t rows = trace_writer_rows(r.tw);
      char *why = NULL;
      if (trace_writer_close(r.tw, &why) != 0 || r.tw_refused) {
        fprintf(stderr, "cloudmix: --record-trace: %s\n", why ? why : "a call's row was refused (see traces/README.md)");
        rc = CM_EXIT_FAILED;
      } else if (rows != m.calls - m.unfinished) {
        fprintf(stderr, "cloudmix: --record-trace: %llu rows for %llu calls\n", (unsigned long long)rows,
                (unsigned long long)m.calls);
        rc = CM_EXIT_FAILED;
      } else if (!c->quiet) {
        printf("trace: %llu calls written to %s\n", (unsigned long long)rows, c->record_trace);
      }
      g_free(why);
      r.tw = NULL;
    }
    if (!c->quiet) cl_rec_print(r.rec, &m, r.flew);
    if (out) *out = m;
  }
  teardown(&r);
  cl_config_free(r.cfg);
  return rc;
}

int run_cloudless(struct run_ctx *c) { return cloudless_run(c, NULL); }

int cloudless_run_recorded(struct run_ctx *c, struct cl_summary *out) {
  c->run_id = results_run_begin(c->db, "cloudless", scenario_path(c->s), scenario_text(c->s), c->seed);
  if (c->run_id <= 0) {
    fprintf(stderr, "cloudmix: cannot record the run: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  double t0 = cli_wall_s();
  int rc = cloudless_run(c, out);
  if (results_run_end(c->db, c->run_id, rc == 0 ? "complete" : "failed", cli_wall_s() - t0, c->events, c->sim_end) != 0)
    rc = CM_EXIT_FAILED;
  return rc;
}
