/* A fleet of UAVs (sim/fleet.h, models/cloudless/fleet_broker.h,
 * analysis/fleet_rec.h, and the world's per-client links and instances,
 * sim/faas_clients.c): generated paths reproducible per seed, distinct per
 * UAV and inside the zones; each UAV's links worked by hand from its own
 * zone, with the shared cloud broker's hop and without it per UAV; call
 * latencies end to end that differ by exactly that hop; on-board providers
 * one per UAV; every call of every UAV ends in one outcome under both
 * placements, with the same arrivals. Each test ends with everything freed
 * and nothing pending in the engine. */
#include "cmocka_inc.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless/fleet_broker.h"
#include "env_sim.h"
#include "faas.h"
#include "fleet.h"
#include "fleet_rec.h"

/* Two far-apart zones: A (rural, 30 ms, 8 Mbps) and B (5G, 5 ms, 80 Mbps). */
static const struct mobility_zone apart[2] = {
    {.name = "A", .x_km = 0, .y_km = 0, .radius_km = 10, .radio_latency = CM_MS(30), .uplink_bps = 8e6},
    {.name = "B", .x_km = 100, .y_km = 0, .radius_km = 10, .radio_latency = CM_MS(5), .uplink_bps = 80e6},
};
/* Provider 0 rides on board (0.3 ms bus); provider 1 is a cloud at (50, 0), 8 ms backhaul. */
static const struct mobility_site sites[2] = {
    {.backhaul_latency = CM_US(300), .onboard = true},
    {.x_km = 50, .y_km = 0, .backhaul_latency = CM_MS(8)},
};
/* UAV 0 hovers in A, UAV 1 in B. */
static struct mobility_waypoint path0[2] = {{0, 0, 0}, {CM_S(1000), 0, 0}};
static struct mobility_waypoint path1[2] = {{0, 100, 0}, {CM_S(1000), 100, 0}};
static struct mobility_waypoint *const paths[2] = {path0, path1};
static const uint32_t npaths[2] = {2, 2};

static const struct faas_function fns[] = {{"f", 20, 256}, {"g", 20, 256}};

/* exec = 100 ms + 20 / 10 s = 2.1 s; scheduling 20 ms; no cold start. */
static struct faas_provider prov(const char *name, const char *platform, enum faas_tier tier) {
  struct faas_provider p = {.tier = tier, .nbins = 1, .gflops_per_vcpu = 10, .exec_overhead = CM_MS(100),
                            .keep_alive = CM_S(600), .sched_delay_mean = CM_MS(20), .container_concurrency = 1};
  g_strlcpy(p.name, name, sizeof p.name);
  g_strlcpy(p.platform, platform, sizeof p.platform);
  p.bins[0] = (struct faas_bin){1769, 1};
  return p;
}

static faas_world *two_providers(env *e) {
  struct faas_provider p[2] = {prov("edge", "openfaas", FAAS_LOCAL_EDGE), prov("cloud", "lambda", FAAS_CLOUD)};
  char *err = NULL;
  faas_world *w = faas_world_new(e, p, 2, fns, 2, &err);
  if (!w) fail_msg("faas_world_new: %s", err);
  return w;
}

static struct fleet_config fleet_cfg(enum fleet_placement pl) {
  return (struct fleet_config){.nuavs = 2, .placement = pl, .zones = apart, .nzones = 2, .sites = sites,
                               .nsites = 2, .broker = {0, 0, CM_MS(10), CM_MS(1)}, .paths = paths,
                               .npaths = npaths};
}

static void assert_link(faas_world *w, uint32_t u, uint32_t p, cm_time lat, double bw, bool up) {
  cm_time l = -1, j = -1;
  double b = -1;
  bool ok = !up;
  assert_int_equal(faas_world_client_link(w, u, p, &l, &j, &b, &ok), 0);
  assert_int_equal(l, lat);
  assert_int_equal(j, 0);
  assert_true(fabs(b - bw) < 1e-6);
  assert_int_equal(ok, up);
}

static void finish(env *e, faas_world *w, fleet *f) {
  fleet_free(f);
  faas_world_free(w);
  assert_int_equal(engine_pending(env_sim_engine(e)), 0);
  env_free(e);
}

/* ---- paths ---------------------------------------------------------------- */

static struct mobility_waypoint *path_for(uint64_t seed, const char *stream, const struct mobility_zone *z,
                                          uint32_t nz, uint32_t *n) {
  env *e = env_sim_new(seed);
  struct fleet_path_config pc = {60, 180, CM_S(1800)};
  struct mobility_waypoint *w = NULL;
  char *err = NULL;
  assert_int_equal(fleet_path_make(z, nz, env_rng(e, stream), &pc, &w, n, &err), 0);
  env_free(e);
  return w;
}

static void test_paths(void **state CM_UNUSED) {
  /* a region with a town on its edge and a city inside: connected */
  const struct mobility_zone map[3] = {
      {.name = "region", .x_km = 0, .y_km = 0, .radius_km = 30},
      {.name = "city", .x_km = 0, .y_km = 0, .radius_km = 8},
      {.name = "town", .x_km = 30, .y_km = 0, .radius_km = 6},
  };
  uint32_t na, nb, nc, nd;
  struct mobility_waypoint *a = path_for(7, "fleet:path:0", map, 3, &na);
  struct mobility_waypoint *b = path_for(7, "fleet:path:0", map, 3, &nb);
  struct mobility_waypoint *c = path_for(7, "fleet:path:1", map, 3, &nc);
  struct mobility_waypoint *d = path_for(8, "fleet:path:0", map, 3, &nd);
  assert_int_equal(na, nb); /* same seed and UAV: the same path */
  assert_memory_equal(a, b, sizeof *a * na);
  assert_true(nc != na || memcmp(a, c, sizeof *a * na) != 0); /* another UAV */
  assert_true(nd != na || memcmp(a, d, sizeof *a * na) != 0); /* another seed */
  assert_true(na >= 2);
  assert_int_equal(a[0].t, 0);
  assert_true(a[na - 1].t >= CM_S(1800));
  assert_true(a[na - 2].t < CM_S(1800)); /* no leg beyond the horizon's */
  for (uint32_t i = 1; i < na; i++) {
    assert_true(a[i].t > a[i - 1].t);
    assert_true(mobility_segment_inside(map, 3, a[i - 1].x_km, a[i - 1].y_km, a[i].x_km, a[i].y_km));
    double kmh = hypot(a[i].x_km - a[i - 1].x_km, a[i].y_km - a[i - 1].y_km) / cm_time_to_s(a[i].t - a[i - 1].t) * 3600;
    assert_true(kmh <= 180 + 1e-6); /* hovering legs of 1 s may be slower than 60 */
  }
  /* zones that do not touch: a UAV stays in the zone it starts in */
  uint32_t ne;
  struct mobility_waypoint *s = path_for(3, "fleet:path:5", apart, 2, &ne);
  double cx = hypot(s[0].x_km, s[0].y_km) <= 10 ? 0 : 100;
  for (uint32_t i = 0; i < ne; i++) assert_true(hypot(s[i].x_km - cx, s[i].y_km) <= 10 + 1e-9);
  /* a bad config is refused, with a reason */
  struct fleet_path_config bad = {100, 50, CM_S(10)};
  char *err = NULL;
  env *e = env_sim_new(1);
  assert_int_equal(fleet_path_make(map, 3, env_rng(e, "x"), &bad, &s, &ne, &err), CM_EINVAL);
  assert_non_null(strstr(err, "speed"));
  g_free(err);
  env_free(e);
  g_free(a), g_free(b), g_free(c), g_free(d), g_free(s);
}

/* ---- links ---------------------------------------------------------------- */

/* Per UAV: mobility's link from each UAV's own zone, no hop. */
static void test_links_per_uav(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  faas_world *w = two_providers(e);
  struct fleet_config fc = fleet_cfg(FLEET_PER_UAV_EDGE);
  char *err = NULL;
  fleet *f = fleet_new(e, w, &fc, NULL, NULL, &err);
  assert_non_null(f);
  env_run(e, 0);
  assert_link(w, 0, 0, CM_US(300), 0, true);                     /* on board: the bus */
  assert_link(w, 1, 0, CM_US(300), 0, true);
  assert_link(w, 0, 1, CM_MS(30) + CM_MS(8) + CM_US(500), 8e6, true); /* radio A + backhaul + 50 km */
  assert_link(w, 1, 1, CM_MS(5) + CM_MS(8) + CM_US(500), 80e6, true); /* radio B + backhaul + 50 km */
  assert_int_equal(fleet_zone(f, 0), 0);
  assert_int_equal(fleet_zone(f, 1), 1);
  fleet_land(f);
  finish(e, w, f);
}

/* Shared cloud broker at (0, 0), 10 ms backhaul, 1 ms peer: every link
 * goes through it; the on-board one crosses the radio twice. */
static void test_links_shared(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  faas_world *w = two_providers(e);
  struct fleet_config fc = fleet_cfg(FLEET_SHARED_CLOUD);
  char *err = NULL;
  fleet *f = fleet_new(e, w, &fc, NULL, NULL, &err);
  assert_non_null(f);
  env_run(e, 0);
  cm_time hop0 = CM_MS(30) + CM_MS(10), hop1 = CM_MS(5) + CM_MS(10) + CM_MS(1); /* UAV 1 is 100 km away */
  assert_link(w, 0, 1, hop0 + CM_MS(1) + CM_US(500), 8e6, true);
  assert_link(w, 1, 1, hop1 + CM_MS(1) + CM_US(500), 80e6, true);
  assert_link(w, 0, 0, 2 * hop0 + CM_US(300), 4e6, true);
  assert_link(w, 1, 0, 2 * hop1 + CM_US(300), 40e6, true);
  finish(e, w, f);
}

/* ---- calls end to end ------------------------------------------------------ */

struct lat_rec {
  GArray *lat[2]; /* per UAV, s */
  uint64_t failed;
};

static void on_lat(void *arg, uint32_t uav, int provider CM_UNUSED, const struct sched_record *r) {
  struct lat_rec *l = arg;
  if (r->outcome == SCHED_FAILED) {
    l->failed++;
    return;
  }
  cm_time d = r->finished - r->submitted;
  g_array_append_val(l->lat[uav], d);
}

static void zone_to_broker(void *arg, uint32_t uav, const struct mobility_zone *z CM_UNUSED) {
  fleet_broker_set_zone(arg, uav, NULL, 0);
}

/* Two UAVs calling only provider p (0 on board, 1 cloud) under a
 * placement: every call's latency is the same, returned per UAV. */
static void run_calls(enum fleet_placement pl, uint32_t p, cm_time out[2], uint64_t calls[2]) {
  env *e = env_sim_new(5);
  faas_world *w = two_providers(e);
  struct sched_provider sp[2] = {{.name = "edge", .env_provider = 0}, {.name = "cloud", .env_provider = 1}};
  struct fleet_broker_config bc = {
      .nuavs = 2, .shared = pl == FLEET_SHARED_CLOUD, .function = "f", .rate_per_s = 0.05, .until = CM_S(600),
      .sched = {.providers = &sp[p], .nproviders = 1, .policy = "latency", .latency_window = 10,
                .max_attempts = 3, .backoff_base = CM_MS(100), .backoff_max = CM_S(1), .timeout = CM_S(60)}};
  struct lat_rec l = {{g_array_new(FALSE, FALSE, sizeof(cm_time)), g_array_new(FALSE, FALSE, sizeof(cm_time))}, 0};
  char *err = NULL;
  fleet_broker *b = fleet_broker_new(e, &bc, on_lat, &l, &err);
  assert_non_null(b);
  struct fleet_config fc = fleet_cfg(pl);
  fleet *f = fleet_new(e, w, &fc, zone_to_broker, b, &err);
  assert_non_null(f);
  env_run(e, CM_S(600));
  fleet_land(f);
  while (fleet_broker_busy(b)) env_run(e, env_now(e) + CM_S(1));
  assert_int_equal(l.failed, 0);
  for (int u = 0; u < 2; u++) {
    calls[u] = fleet_broker_calls_of(b, u);
    assert_true(l.lat[u]->len >= 10);
    assert_int_equal(l.lat[u]->len, calls[u]);
    out[u] = g_array_index(l.lat[u], cm_time, 0);
    for (guint i = 0; i < l.lat[u]->len; i++) assert_int_equal(g_array_index(l.lat[u], cm_time, i), out[u]);
    g_array_free(l.lat[u], TRUE);
  }
  fleet_broker_free(b);
  finish(e, w, f);
}

static void test_hop_end_to_end(void **state CM_UNUSED) {
  cm_time per[2], shared[2], eper[2], eshared[2];
  uint64_t c1[2], c2[2], c3[2], c4[2];
  run_calls(FLEET_PER_UAV_EDGE, 1, per, c1);
  run_calls(FLEET_SHARED_CLOUD, 1, shared, c2);
  cm_time body = CM_MS(20) + CM_MS(2100); /* scheduling + exec; no payload */
  assert_int_equal(per[0], 2 * (CM_MS(38) + CM_US(500)) + body);
  assert_int_equal(per[1], 2 * (CM_MS(13) + CM_US(500)) + body);
  /* the shared broker adds UAV -> broker -> provider instead of the direct path */
  assert_int_equal(shared[0], 2 * (CM_MS(40) + CM_MS(1) + CM_US(500)) + body);
  assert_int_equal(shared[1], 2 * (CM_MS(16) + CM_MS(1) + CM_US(500)) + body);
  run_calls(FLEET_PER_UAV_EDGE, 0, eper, c3);
  run_calls(FLEET_SHARED_CLOUD, 0, eshared, c4);
  assert_int_equal(eper[0], 2 * CM_US(300) + body); /* on board, no hop */
  assert_int_equal(eshared[0], 2 * (2 * CM_MS(40) + CM_US(300)) + body);
  for (int u = 0; u < 2; u++) { /* the same arrivals under every placement */
    assert_int_equal(c1[u], c2[u]);
    assert_int_equal(c1[u], c3[u]);
    assert_int_equal(c1[u], c4[u]);
  }
  assert_true(c1[0] != c1[1] || per[0] != per[1]); /* and not one UAV's copy of the other's */
}

struct inv_count {
  int got, ok;
};

static void on_inv(env *e CM_UNUSED, void *arg, const struct invoke_result *r) {
  struct inv_count *x = arg;
  x->got++;
  x->ok += r->status == INVOKE_OK;
}

/* On-board providers are one per UAV: one UAV's calls do not take another's slots. */
static void test_onboard_per_uav(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("edge", "openfaas", FAAS_LOCAL_EDGE);
  p.cpu_cores = 1; /* one 1-vCPU call at a time, no queue */
  char *err = NULL;
  faas_world *w = faas_world_new(e, &p, 1, fns, 1, &err);
  assert_non_null(w);
  bool per_client = true;
  assert_int_equal(faas_world_set_clients(w, 2, &per_client), 0);
  assert_int_equal(faas_world_set_clients(w, 2, &per_client), CM_EINVAL); /* once */
  assert_int_equal(faas_world_set_link(w, 0, 0, 0, 0), CM_EINVAL);          /* per client now */
  struct inv_count x[3] = {{0, 0}, {0, 0}, {0, 0}};
  struct invocation inv = {.function = "f", .client = 0};
  assert_true(env_invoke(e, &inv, on_inv, &x[0]) > 0);
  assert_true(env_invoke(e, &inv, on_inv, &x[1]) > 0); /* UAV 0 again: no room */
  inv.client = 1;
  assert_true(env_invoke(e, &inv, on_inv, &x[2]) > 0); /* UAV 1: its own computer */
  inv.client = 2;
  assert_true(env_invoke(e, &inv, on_inv, &x[2]) < 0); /* no such UAV */
  env_run(e, CM_TIME_MAX);
  for (int i = 0; i < 3; i++) assert_int_equal(x[i].got, 1);
  assert_int_equal(x[0].ok, 1);
  assert_int_equal(x[1].ok, 0);
  assert_int_equal(x[2].ok, 1);
  struct faas_stats s;
  faas_world_stats(w, 0, &s); /* the instances summed */
  assert_int_equal(s.invoked, 3);
  assert_int_equal(s.completed, 2);
  assert_int_equal(s.in_flight, 0);
  faas_world_free(w);
  env_free(e);
}

/* ---- every call ends once ---------------------------------------------------- */

static void zone_fn(void *arg, uint32_t uav, const struct mobility_zone *z) {
  fleet_broker_set_zone(arg, uav, z->function, z->arrival_rate);
}

static void run_counts(bool shared, uint64_t made_per_uav[8]) {
  const struct mobility_zone map[2] = {
      {.name = "rural", .x_km = 0, .y_km = 0, .radius_km = 20, .radio_latency = CM_MS(30), .uplink_bps = 5e6,
       .link_up_mean = CM_S(20), .link_down_mean = CM_S(5), .function = "f", .arrival_rate = 0.5},
      {.name = "city", .x_km = 15, .y_km = 0, .radius_km = 8, .radio_latency = CM_MS(8), .uplink_bps = 150e6,
       .function = "f", .arrival_rate = 1},
  };
  const struct mobility_site st[2] = {sites[0], {.x_km = 10, .backhaul_latency = CM_MS(8)}};
  env *e = env_sim_new(11);
  struct faas_provider p[2] = {prov("edge", "openfaas", FAAS_LOCAL_EDGE), prov("cloud", "lambda", FAAS_CLOUD)};
  p[0].cpu_cores = 1;
  p[1].concurrency_limit = 2; /* throttles */
  p[1].cold_start_mean = CM_MS(500);
  char *err = NULL;
  faas_world *w = faas_world_new(e, p, 2, fns, 1, &err);
  assert_non_null(w);
  struct faas_fault out = {.provider = 1, .kind = FAAS_FAULT_OUTAGE, .start = CM_S(30), .end = CM_S(60)};
  assert_int_equal(faas_world_add_fault(w, &out), 0);
  struct sched_provider sp[2] = {{.name = "edge", .env_provider = 0}, {.name = "cloud", .env_provider = 1}};
  struct fleet_broker_config bc = {
      .nuavs = 8, .shared = shared, .function = "f", .rate_per_s = 1, .until = CM_S(120), .request_bytes = 1 << 20,
      .sched = {.providers = sp, .nproviders = 2, .policy = "loi", .latency_window = 10, .explore_prob = 0.1,
                .max_attempts = 2, .backoff_base = CM_MS(100), .backoff_max = CM_S(1), .timeout = CM_S(5)}};
  enum fleet_rec_tier tiers[2] = {FLEET_REC_LOCAL, FLEET_REC_CLOUD};
  fleet_rec *rec = fleet_rec_new(8, shared ? "shared-cloud" : "per-uav-edge", tiers, 2);
  fleet_broker *b = fleet_broker_new(e, &bc, fleet_rec_call, rec, &err);
  assert_non_null(b);
  assert_int_equal(fleet_broker_nscheds(b), shared ? 1 : 8);
  struct fleet_config fc = {.nuavs = 8, .placement = shared ? FLEET_SHARED_CLOUD : FLEET_PER_UAV_EDGE,
                            .zones = map, .nzones = 2, .sites = st, .nsites = 2, .broker = {0, 0, CM_MS(8), CM_MS(1)},
                            .gen = {60, 180, CM_S(120)}};
  fleet *f = fleet_new(e, w, &fc, zone_fn, b, &err);
  assert_non_null(f);
  env_run(e, CM_S(120));
  fleet_land(f);
  while (fleet_broker_busy(b)) env_run(e, env_now(e) + CM_S(1));
  uint64_t sum = 0;
  for (uint32_t u = 0; u < 8; u++) {
    uint64_t calls, completed, failed;
    fleet_rec_uav_counts(rec, u, &calls, &completed, &failed);
    made_per_uav[u] = fleet_broker_calls_of(b, u);
    assert_int_equal(calls, made_per_uav[u]);
    assert_int_equal(completed + failed, calls);
    assert_true(calls > 0);
    sum += calls;
  }
  assert_int_equal(sum, fleet_broker_calls(b));
  assert_int_equal(fleet_rec_calls(rec), sum);
  struct fleet_rec_summary m;
  fleet_rec_summarize(rec, 0, &m);
  assert_int_equal(m.calls, sum);
  assert_int_equal(m.completed + m.failed, sum);
  uint64_t by = 0;
  for (int k = 0; k < FLEET_REC_NREASONS; k++) by += m.failed_by[k];
  assert_int_equal(by, m.failed);
  assert_true(m.failed > 0 && m.completed > 0); /* the outage, throttles and dropped links bite */
  assert_true(m.p50_s <= m.p95_s && m.p95_s <= m.p99_s);
  assert_true(fabs(m.share[0] + m.share[1] + m.share[2] - 1) < 1e-9);
  for (uint32_t p2 = 0; p2 < 2; p2++) {
    struct faas_stats s;
    faas_world_stats(w, p2, &s);
    assert_int_equal(s.in_flight, 0);
  }
  fleet_rec_free(rec);
  fleet_broker_free(b);
  finish(e, w, f);
}

static void test_every_call_once(void **state CM_UNUSED) {
  uint64_t a[8], b[8];
  run_counts(true, a);
  run_counts(false, b);
  assert_memory_equal(a, b, sizeof a); /* the same arrivals under both placements */
}

struct fn_rec {
  env *e;
  uint64_t f_before, g_after, other;
};

static void on_fn(void *arg, uint32_t uav CM_UNUSED, int provider CM_UNUSED, const struct sched_record *r) {
  struct fn_rec *x = arg;
  if (!strcmp(r->function, "f") && r->submitted < CM_S(100)) x->f_before++;
  else if (!strcmp(r->function, "g") && r->submitted >= CM_S(100)) x->g_after++;
  else x->other++;
}

static void switch_fn(env *e CM_UNUSED, void *arg) { fleet_broker_set_zone(arg, 0, "g", 0); }

/* A zone without a rate keeps the UAV's rate; without a function, its function. */
static void test_zone_keeps(void **state CM_UNUSED) {
  env *e = env_sim_new(3);
  faas_world *w = two_providers(e);
  struct sched_provider sp = {.name = "cloud", .env_provider = 1};
  struct fleet_broker_config bc = {
      .nuavs = 1, .shared = true, .function = "f", .rate_per_s = 0.01, .until = CM_S(200),
      .sched = {.providers = &sp, .nproviders = 1, .policy = "loi", .latency_window = 10, .max_attempts = 1,
                .timeout = CM_S(60)}};
  struct fn_rec x = {e, 0, 0, 0};
  char *err = NULL;
  fleet_broker *b = fleet_broker_new(e, &bc, on_fn, &x, &err);
  assert_non_null(b);
  env_run(e, CM_S(10));
  assert_int_equal(fleet_broker_calls(b), 0); /* no zone yet: no call */
  fleet_broker_set_zone(b, 0, NULL, 2);        /* 2 calls/s, function kept: f */
  env_after(e, CM_S(90), switch_fn, b);        /* at 100 s: g, rate kept */
  env_run(e, CM_S(200));
  while (fleet_broker_busy(b)) env_run(e, env_now(e) + CM_S(1));
  assert_int_equal(x.other, 0);
  assert_in_range(x.f_before, 130, 230); /* 2/s over 90 s: 180 expected */
  assert_in_range(x.g_after, 150, 250);  /* 2/s over 100 s (not 0.01/s): 200 expected */
  fleet_broker_free(b);
  faas_world_free(w);
  env_free(e);
}

static void test_bad_configs(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  faas_world *w = two_providers(e);
  char *err = NULL;
  struct fleet_config fc = fleet_cfg(FLEET_PER_UAV_EDGE);
  fc.nuavs = 0;
  assert_null(fleet_new(e, w, &fc, NULL, NULL, &err));
  assert_non_null(strstr(err, "uavs"));
  g_free(err);
  fc = fleet_cfg(FLEET_PER_UAV_EDGE);
  struct mobility_waypoint away[2] = {{0, 0, 0}, {CM_S(10), 50, 0}}; /* leaves zone A */
  struct mobility_waypoint *const bad[2] = {away, path1};
  fc.paths = bad;
  assert_null(fleet_new(e, w, &fc, NULL, NULL, &err));
  assert_non_null(strstr(err, "UAV 0"));
  assert_non_null(strstr(err, "leaves every zone"));
  g_free(err);
  struct fleet_broker_config bc = {.nuavs = 1, .function = "f", .rate_per_s = 0};
  assert_null(fleet_broker_new(e, &bc, NULL, NULL, &err));
  assert_non_null(strstr(err, "rate_per_s"));
  g_free(err);
  faas_world_free(w);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_paths),           cmocka_unit_test(test_links_per_uav),
      cmocka_unit_test(test_links_shared),    cmocka_unit_test(test_hop_end_to_end),
      cmocka_unit_test(test_onboard_per_uav), cmocka_unit_test(test_every_call_once),
      cmocka_unit_test(test_zone_keeps),      cmocka_unit_test(test_bad_configs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
