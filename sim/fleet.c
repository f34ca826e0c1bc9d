/* A fleet of UAVs in the simulated world: generated paths, one mobility per
 * UAV, and each UAV's links to the providers composed by broker placement.
 * The rules are in fleet.h. */
#include "fleet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

struct uav {
  fleet *f;
  uint32_t idx;
  mobility *m;
  struct mobility_waypoint *wps;
  uint32_t nwps;
  uint64_t zone_changes;
  /* FLEET_SHARED_CLOUD: the link to the broker's site as mobility last gave it */
  cm_time hop_lat, hop_jit;
  double hop_bw;
  bool hop_up;
};

struct fleet {
  env *e;
  faas_world *w;
  struct fleet_config cfg;
  struct mobility_site *sites; /* the providers' sites (+ the broker's, shared placement) */
  uint32_t nsites;             /* providers */
  cm_time *peer;               /* shared: broker -> off-board provider p, one way */
  struct uav *u;
  fleet_zone_fn zone_fn;
  void *arg;
  bool landed;
};

/* ---- paths --------------------------------------------------------------- */

static void point_in(const struct mobility_zone *z, rng *r, double *x, double *y) {
  double rad = z->radius_km * sqrt(rng_uniform(r)), th = rng_uniform_range(r, 0, 2 * M_PI);
  *x = z->x_km + rad * cos(th);
  *y = z->y_km + rad * sin(th);
}

static int zone_of(const struct mobility_zone *z, uint32_t nz, double x, double y) {
  int best = -1;
  for (uint32_t i = 0; i < nz; i++) {
    double dx = x - z[i].x_km, dy = y - z[i].y_km;
    if (dx * dx + dy * dy <= z[i].radius_km * z[i].radius_km && (best < 0 || z[i].radius_km < z[best].radius_km))
      best = (int)i;
  }
  return best;
}

int fleet_path_make(const struct mobility_zone *zones, uint32_t nz, rng *r, const struct fleet_path_config *pc,
                    struct mobility_waypoint **out, uint32_t *n, char **err) {
  if (!zones || !nz || !r || !pc || !(pc->speed_min_kmh > 0) || !(pc->speed_max_kmh >= pc->speed_min_kmh) ||
      !isfinite(pc->speed_max_kmh) || pc->until <= 0) {
    if (err) *err = g_strdup("fleet: path: expected zones, 0 < speed_min <= speed_max and until > 0");
    return CM_EINVAL;
  }
  GArray *a = g_array_new(FALSE, FALSE, sizeof(struct mobility_waypoint));
  uint32_t cur = (uint32_t)rng_below(r, nz);
  struct mobility_waypoint p = {0, 0, 0};
  point_in(&zones[cur], r, &p.x_km, &p.y_km);
  g_array_append_val(a, p);
  while (p.t < pc->until && a->len < FLEET_MAX_WAYPOINTS) {
    double x = 0, y = 0;
    bool ok = false;
    for (int k = 0; k < FLEET_LEG_TRIES && !ok; k++) {
      uint32_t z = (uint32_t)rng_below(r, nz);
      point_in(&zones[z], r, &x, &y);
      ok = mobility_segment_inside(zones, nz, p.x_km, p.y_km, x, y);
    }
    if (!ok) point_in(&zones[cur], r, &x, &y);
    double km = hypot(x - p.x_km, y - p.y_km);
    double kmh = rng_uniform_range(r, pc->speed_min_kmh, pc->speed_max_kmh + 1e-12);
    cm_time dt = cm_time_from_s(km / kmh * 3600);
    if (dt < CM_S(1)) dt = CM_S(1); /* a leg of (almost) no length: hover a second */
    p = (struct mobility_waypoint){p.t + dt, x, y};
    int zi = zone_of(zones, nz, x, y);
    if (zi >= 0) cur = (uint32_t)zi;
    g_array_append_val(a, p);
  }
  *n = a->len;
  *out = (struct mobility_waypoint *)(void *)g_array_free(a, FALSE);
  return 0;
}

/* ---- links --------------------------------------------------------------- */

static void set_link(struct uav *u, uint32_t p, cm_time lat, cm_time jit, double bw, bool up) {
  faas_world *w = u->f->w;
  if (faas_world_set_client_link(w, u->idx, p, lat, jit, bw) != 0 || faas_world_set_client_link_up(w, u->idx, p, up))
    cm_fatal(CM_LOC, "fleet: the world refused UAV %u's link to provider %u", u->idx, p);
}

/* Shared placement: every provider's link through the broker (fleet.h). */
static void apply_shared(struct uav *u) {
  fleet *f = u->f;
  for (uint32_t p = 0; p < f->nsites; p++) {
    if (f->sites[p].onboard)
      set_link(u, p, 2 * u->hop_lat + f->sites[p].backhaul_latency, (cm_time)llround((double)u->hop_jit * M_SQRT2),
               u->hop_bw / 2, u->hop_up);
    else
      set_link(u, p, u->hop_lat + f->peer[p], u->hop_jit, u->hop_bw, u->hop_up);
  }
}

static void on_link(void *arg, uint32_t site, cm_time lat, cm_time jit, double bw, bool up) {
  struct uav *u = arg;
  fleet *f = u->f;
  if (f->cfg.placement == FLEET_PER_UAV_EDGE) {
    set_link(u, site, lat, jit, bw, up);
    return;
  }
  if (site < f->nsites) return; /* shared: only the hop to the broker matters; on-board backhauls are fixed */
  u->hop_lat = lat, u->hop_jit = jit, u->hop_bw = bw, u->hop_up = up;
  apply_shared(u);
}

static void on_zone(void *arg, uint32_t zone CM_UNUSED, const struct mobility_zone *z) {
  struct uav *u = arg;
  if (u->f->zone_fn) u->f->zone_fn(u->f->arg, u->idx, z);
}

/* ---- the fleet ----------------------------------------------------------- */

static char *check_config(const struct fleet_config *c) {
  if (c->nuavs == 0 || c->nuavs > FLEET_MAX_UAVS)
    return g_strdup_printf("fleet: uavs: expected 1 .. %u, found %u", FLEET_MAX_UAVS, c->nuavs);
  if (!c->zones || !c->nzones) return g_strdup("fleet: expected at least one zone");
  if (!c->sites || !c->nsites) return g_strdup("fleet: expected one site per provider");
  if (c->placement != FLEET_SHARED_CLOUD && c->placement != FLEET_PER_UAV_EDGE)
    return g_strdup("fleet: placement: expected shared-cloud or per-uav-edge");
  if (c->broker.backhaul < 0 || c->broker.peer < 0 || !isfinite(c->broker.x_km) || !isfinite(c->broker.y_km))
    return g_strdup("fleet: broker: expected a finite site and latencies >= 0");
  if (c->paths && !c->npaths) return g_strdup("fleet: paths given without their lengths");
  return NULL;
}

fleet *fleet_new(env *e, faas_world *w, const struct fleet_config *cfg, fleet_zone_fn zone_fn, void *arg,
                 char **err) {
  char *msg = cfg ? check_config(cfg) : g_strdup("fleet: expected a config");
  if (!msg && (!e || !w || faas_world_nproviders(w) != cfg->nsites))
    msg = g_strdup("fleet: expected an env and a world with one site per provider");
  if (msg) {
    if (err) *err = msg;
    else g_free(msg);
    return NULL;
  }
  fleet *f = g_new0(fleet, 1);
  f->e = e;
  f->w = w;
  f->cfg = *cfg;
  f->cfg.paths = NULL, f->cfg.npaths = NULL, f->cfg.sites = NULL, f->cfg.zones = NULL;
  f->zone_fn = zone_fn;
  f->arg = arg;
  f->nsites = cfg->nsites;
  bool shared = cfg->placement == FLEET_SHARED_CLOUD;
  f->sites = g_new0(struct mobility_site, cfg->nsites + 1);
  memcpy(f->sites, cfg->sites, sizeof *f->sites * cfg->nsites);
  f->peer = g_new0(cm_time, cfg->nsites);
  bool *onboard = g_new0(bool, cfg->nsites);
  for (uint32_t p = 0; p < cfg->nsites; p++) {
    onboard[p] = cfg->sites[p].onboard;
    double km = hypot(cfg->sites[p].x_km - cfg->broker.x_km, cfg->sites[p].y_km - cfg->broker.y_km);
    f->peer[p] = cfg->broker.peer + (cm_time)llround(km * MOBILITY_NS_PER_KM);
  }
  if (shared) /* the broker's site, last: mobility gives each UAV's hop to it */
    f->sites[cfg->nsites] = (struct mobility_site){.x_km = cfg->broker.x_km, .y_km = cfg->broker.y_km,
                                                   .backhaul_latency = cfg->broker.backhaul};
  if (faas_world_set_clients(w, cfg->nuavs, onboard) != 0)
    msg = g_strdup("fleet: the world already has clients or calls; expected a fresh world");
  g_free(onboard);
  f->u = g_new0(struct uav, cfg->nuavs);
  for (uint32_t i = 0; i < cfg->nuavs && !msg; i++) {
    struct uav *u = &f->u[i];
    u->f = f;
    u->idx = i;
    char *why = NULL;
    if (cfg->paths) {
      u->wps = g_memdup2(cfg->paths[i], sizeof **cfg->paths * cfg->npaths[i]);
      u->nwps = cfg->npaths[i];
    } else {
      char name[48];
      snprintf(name, sizeof name, "fleet:path:%u", i);
      if (fleet_path_make(cfg->zones, cfg->nzones, env_rng(e, name), &cfg->gen, &u->wps, &u->nwps, &why) != 0) {
        msg = g_strdup_printf("fleet: UAV %u: %s", i, why);
        g_free(why);
        break;
      }
    }
    struct mobility_config mc = {.waypoints = u->wps, .nwaypoints = u->nwps, .zones = cfg->zones,
                                 .nzones = cfg->nzones, .sites = f->sites, .nsites = cfg->nsites + (shared ? 1 : 0),
                                 .period = cfg->period};
    u->m = mobility_new(e, &mc, on_link, on_zone, u, &why);
    if (!u->m) {
      msg = g_strdup_printf("fleet: UAV %u: %s", i, why);
      g_free(why);
    }
  }
  if (msg) {
    fleet_free(f);
    if (err) *err = msg;
    else g_free(msg);
    return NULL;
  }
  return f;
}

void fleet_land(fleet *f) {
  if (!f || f->landed) return;
  for (uint32_t i = 0; i < f->cfg.nuavs; i++) {
    struct uav *u = &f->u[i];
    if (u->m) u->zone_changes = mobility_zone_changes(u->m);
    mobility_free(u->m);
    u->m = NULL;
  }
  f->landed = true;
}

void fleet_free(fleet *f) {
  if (!f) return;
  for (uint32_t i = 0; f->u && i < f->cfg.nuavs; i++) {
    mobility_free(f->u[i].m);
    g_free(f->u[i].wps);
  }
  g_free(f->u);
  g_free(f->sites);
  g_free(f->peer);
  g_free(f);
}

uint32_t fleet_nuavs(const fleet *f) { return f->cfg.nuavs; }

const struct mobility_waypoint *fleet_path(const fleet *f, uint32_t u, uint32_t *n) {
  if (u >= f->cfg.nuavs) return NULL;
  if (n) *n = f->u[u].nwps;
  return f->u[u].wps;
}

double fleet_path_km(const fleet *f, uint32_t u) {
  double km = 0;
  const struct uav *x = u < f->cfg.nuavs ? &f->u[u] : NULL;
  for (uint32_t i = 1; x && i < x->nwps; i++)
    km += hypot(x->wps[i].x_km - x->wps[i - 1].x_km, x->wps[i].y_km - x->wps[i - 1].y_km);
  return km;
}

uint64_t fleet_zone_changes(const fleet *f, uint32_t u) {
  if (u >= f->cfg.nuavs) return 0;
  return f->u[u].m ? mobility_zone_changes(f->u[u].m) : f->u[u].zone_changes;
}

uint32_t fleet_zone(const fleet *f, uint32_t u) {
  return u < f->cfg.nuavs && f->u[u].m ? mobility_zone(f->u[u].m) : 0;
}
