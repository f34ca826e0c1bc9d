/* The fleet runner (`cloudmix run` of a scenario with [fleet] uavs > 0):
 * each broker placement in turn on a fresh sim env with the same seed, so
 * the UAVs fly the same paths and make their calls at the same times, on
 * the same providers and faults; only where the broker runs differs. A
 * placement is (the world, the fleet's flights and links, sim/fleet.h; the
 * brokers, models/cloudless/fleet_broker.h; the recorder,
 * analysis/fleet_rec.h). The run's tables get one fleet_placements row per
 * placement and one fleet_uavs row per UAV and placement, and the
 * placements are printed side by side. Simulation only. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless/fleet_broker.h"
#include "env_sim.h"
#include "fleet.h"
#include "fleet_rec.h"

struct placement_run {
  env *e;
  faas_world *w;
  fleet *f;
  fleet_broker *b;
  fleet_rec *rec;
};

static void on_zone(void *arg, uint32_t uav, const struct mobility_zone *z) {
  struct placement_run *r = arg;
  fleet_broker_set_zone(r->b, uav, z->function, z->arrival_rate);
}

static enum fleet_rec_tier tier_of(enum faas_tier t) {
  return t == FAAS_LOCAL_EDGE ? FLEET_REC_LOCAL : t == FAAS_REMOTE_EDGE ? FLEET_REC_REMOTE : FLEET_REC_CLOUD;
}

static int build(struct run_ctx *c, const struct cl_config *cfg, bool shared, struct placement_run *r, char **err) {
  const struct cl_fleet *fl = cfg->fleet;
  r->e = env_sim_new(c->seed);
  if (!(r->w = faas_world_new(r->e, cfg->providers, cfg->nproviders, cfg->functions, cfg->nfunctions, err)))
    return -1;
  for (uint32_t i = 0; i < cfg->nfaults; i++)
    if (faas_world_add_fault(r->w, &cfg->faults[i]) != 0) {
      *err = g_strdup_printf("fault %u refused by the world", i + 1);
      return -1;
    }
  enum fleet_rec_tier *tiers = g_new(enum fleet_rec_tier, cfg->nproviders);
  for (uint32_t i = 0; i < cfg->nproviders; i++) tiers[i] = tier_of(cfg->providers[i].tier);
  r->rec = fleet_rec_new(fl->uavs, shared ? "shared-cloud" : "per-uav-edge", tiers, cfg->nproviders);
  g_free(tiers);
  struct fleet_broker_config bc = {.nuavs = fl->uavs, .shared = shared, .sched = cfg->sched,
                                   .function = cfg->work.function, .rate_per_s = cfg->work.rate_per_s,
                                   .request_bytes = cfg->work.request_bytes,
                                   .response_bytes = cfg->work.response_bytes, .until = cfg->duration};
  if (!(r->b = fleet_broker_new(r->e, &bc, fleet_rec_call, r->rec, err))) return -1;
  struct mobility_config mc;
  cl_mobility_config(cfg, &mc);
  struct fleet_config fc = {
      .nuavs = fl->uavs, .placement = shared ? FLEET_SHARED_CLOUD : FLEET_PER_UAV_EDGE, .zones = mc.zones,
      .nzones = mc.nzones, .sites = mc.sites, .nsites = mc.nsites, .period = cfg->flight_update,
      .broker = {fl->broker_x_km, fl->broker_y_km, fl->broker_backhaul, fl->broker_peer},
      .paths = fl->paths, .npaths = fl->npaths,
      .gen = {fl->speed_min_kmh, fl->speed_max_kmh, cfg->duration}};
  r->f = fleet_new(r->e, r->w, &fc, on_zone, r, err);
  cl_mobility_config_free(&mc);
  return r->f ? 0 : -1;
}

static void teardown(struct placement_run *r) {
  fleet_broker_free(r->b);
  fleet_free(r->f);
  fleet_rec_free(r->rec);
  faas_world_free(r->w);
  env_free(r->e);
}

/* One placement: run to the horizon, land, drain, summarise and write. */
static int run_placement(struct run_ctx *c, const struct cl_config *cfg, bool shared, struct fleet_rec_summary *m) {
  struct placement_run r = {0};
  char *err = NULL;
  double t0 = cli_wall_s();
  int rc = CM_EXIT_OK;
  if (build(c, cfg, shared, &r, &err) != 0) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
    g_free(err);
    teardown(&r);
    return CM_EXIT_USAGE;
  }
  engine *en = env_sim_engine(r.e);
  env_run(r.e, cfg->duration);
  fleet_land(r.f);
  for (long guard = 0; fleet_broker_busy(r.b) && guard < 10000000L; guard++) env_run(r.e, env_now(r.e) + CM_S(1));
  c->events += engine_events(en);
  if (env_now(r.e) > c->sim_end) c->sim_end = env_now(r.e);
  uint64_t made = fleet_broker_calls(r.b), heard = fleet_rec_calls(r.rec);
  if (made != heard) {
    fprintf(stderr, "cloudmix: fleet %s: %llu calls made, %llu ended: %llu without an outcome\n",
            shared ? "shared-cloud" : "per-uav-edge", (unsigned long long)made, (unsigned long long)heard,
            (unsigned long long)(made - heard));
    rc = CM_EXIT_FAILED;
  }
  for (uint32_t u = 0; u < cfg->fleet->uavs; u++)
    fleet_rec_flight(r.rec, u, fleet_zone_changes(r.f, u), fleet_path_km(r.f, u));
  fleet_rec_summarize(r.rec, cli_wall_s() - t0, m);
  static char names[2][16] = {"shared-cloud", "per-uav-edge"};
  m->placement = names[shared ? 0 : 1]; /* outlives the recorder */
  if (fleet_rec_write(r.rec, c->db, c->run_id, m) != 0) {
    fprintf(stderr, "cloudmix: writing the fleet tables failed: %s\n", results_errmsg(c->db));
    rc = CM_EXIT_FAILED;
  }
  char name[64];
  const struct {
    const char *what;
    double v;
  } metrics[] = {{"calls", (double)m->calls},   {"failed", (double)m->failed}, {"p50_latency_s", m->p50_s},
                 {"p95_latency_s", m->p95_s}, {"p99_latency_s", m->p99_s}, {"cost_usd", m->cost_usd}};
  for (size_t i = 0; i < G_N_ELEMENTS(metrics); i++) {
    snprintf(name, sizeof name, "fleet_%s_%s", m->placement, metrics[i].what);
    if (results_metric(c->db, c->run_id, name, metrics[i].v) != 0) rc = CM_EXIT_FAILED;
  }
  teardown(&r);
  return rc;
}

int cloudless_fleet_run(struct run_ctx *c, struct cl_config *cfg) {
  if (c->real) {
    fprintf(stderr, "cloudmix: %s: [fleet] uavs: a fleet runs in simulation only; expected no --real\n",
            scenario_path(c->s));
    return CM_EXIT_USAGE;
  }
  struct fleet_rec_summary rows[2];
  uint32_t n = 0;
  int rc = CM_EXIT_OK;
  c->events = 0;
  c->sim_end = 0;
  if (cfg->fleet->shared_cloud) rc = run_placement(c, cfg, true, &rows[n++]);
  if (rc == CM_EXIT_OK && cfg->fleet->per_uav_edge) rc = run_placement(c, cfg, false, &rows[n++]);
  if (rc == CM_EXIT_OK && !c->quiet) {
    fleet_rec_print(rows, n, cm_time_to_s(cfg->duration));
    for (uint32_t i = 0; i < n; i++) printf("  %s: %.1f s wall\n", rows[i].placement, rows[i].wall_s);
  }
  return rc;
}
