/* A fleet of UAVs in the simulated world (seed 5.3, last paragraph): N
 * flights over one map of zones, each with its own path (generated from
 * the run's seed, or given), its own mobility (sim/mobility.h) and its own
 * link to every provider, set in the world per (client = UAV, provider)
 * (faas_world_set_clients). Providers that ride on board are one per UAV.
 *
 * Links by broker placement (one way; all times ns):
 *   FLEET_PER_UAV_EDGE (a broker on each UAV): the UAV's link to provider
 *     p is mobility's link for its own position and zone, exactly as for
 *     the single flight (sim/mobility.h): no extra hop.
 *   FLEET_SHARED_CLOUD (one broker in the cloud, seen by every UAV): each
 *     call goes UAV -> broker -> provider and back. hop(u) is mobility's
 *     link from UAV u to the broker's site (radio(zone) + broker backhaul
 *     + distance x MOBILITY_NS_PER_KM, the zone's jitter and uplink; down
 *     when u's zone link is down); then
 *       off-board p: latency = hop(u) + peer + |broker - site(p)| x
 *                    MOBILITY_NS_PER_KM, jitter and bandwidth of hop(u);
 *       on-board p:  the request goes up to the broker and back down to
 *                    the UAV: latency = 2 hop(u) + backhaul(p), jitter
 *                    sqrt(2) x hop's, bandwidth half of hop's (the payload
 *                    crosses the radio twice), down when hop(u) is down.
 *     So with the broker in the cloud a UAV whose radio link is down
 *     reaches no provider at all, not even its own on-board one.
 *
 * Generated paths (fleet_path_make): a start point uniform in a zone drawn
 * uniformly, then legs to a point uniform in a zone drawn uniformly, kept
 * when the straight leg stays inside the zones (mobility_segment_inside),
 * else drawn again, up to FLEET_LEG_TRIES times, after which the leg goes
 * to a point of the UAV's current zone (a disc is convex, so that leg
 * always stays inside): a map of zones that do not overlap keeps each UAV
 * in its first zone. Each leg is flown at a speed uniform in [speed_min,
 * speed_max] km/h, until the path's time reaches `until`. Draws come from
 * env_rng stream "fleet:path:<uav>", so UAV u's path depends only on the
 * seed and u: the same under both placements, different across UAVs. */
#ifndef CM_FLEET_H
#define CM_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "faas.h"
#include "mobility.h"

#define FLEET_MAX_UAVS 100000u
#define FLEET_LEG_TRIES 64
#define FLEET_MAX_WAYPOINTS 100000u

enum fleet_placement { FLEET_SHARED_CLOUD, FLEET_PER_UAV_EDGE };

/* The shared broker's place (FLEET_SHARED_CLOUD). */
struct fleet_broker_site {
  double x_km, y_km;
  cm_time backhaul; /* one way, radio network to the broker's data centre */
  cm_time peer;     /* one way, fixed part of broker -> an off-board provider */
};

struct fleet_path_config {
  double speed_min_kmh, speed_max_kmh; /* 0 < min <= max */
  cm_time until;                       /* the path covers [0, until]; > 0 */
};

/* A path for one UAV drawn from r within the zones (the rules above).
 * *out is g_malloc'd (*n >= 2 waypoints, caller g_frees). 0, or CM_EINVAL
 * with *err (one line) on a bad config. */
int fleet_path_make(const struct mobility_zone *zones, uint32_t nzones, rng *r, const struct fleet_path_config *pc,
                    struct mobility_waypoint **out, uint32_t *n, char **err);

struct fleet_config {
  uint32_t nuavs; /* 1 .. FLEET_MAX_UAVS */
  enum fleet_placement placement;
  const struct mobility_zone *zones; /* copied by each mobility */
  uint32_t nzones;
  const struct mobility_site *sites; /* one per provider of the world, borrowed during fleet_new */
  uint32_t nsites;
  cm_time period;                    /* mobility update period; 0 = its default */
  struct fleet_broker_site broker;
  /* Paths: given (paths[u] with npaths[u] waypoints, borrowed during
   * fleet_new), or generated with gen when paths is NULL. */
  struct mobility_waypoint *const *paths;
  const uint32_t *npaths;
  struct fleet_path_config gen;
};

typedef struct fleet fleet;

/* UAV uav entered zone z (z owned by its mobility, valid during the call). */
typedef void (*fleet_zone_fn)(void *arg, uint32_t uav, const struct mobility_zone *z);

/* Put the fleet into world w on sim env e: per-client links and on-board
 * providers (faas_world_set_clients, so before any invocation), a path and
 * a mobility per UAV. Each UAV's first zone_fn runs from a timer due now,
 * as mobility_new's first update. NULL with *err naming the UAV and what
 * was expected (a given path leaving every zone, say). */
fleet *fleet_new(env *e, faas_world *w, const struct fleet_config *cfg, fleet_zone_fn zone_fn, void *arg,
                 char **err);
/* The flights end (the horizon): mobilities are freed, links stay as they
 * are. Zone changes are kept for fleet_zone_changes. */
void fleet_land(fleet *f);
void fleet_free(fleet *f);

uint32_t fleet_nuavs(const fleet *f);
/* UAV u's path (owned by f, valid until fleet_free). */
const struct mobility_waypoint *fleet_path(const fleet *f, uint32_t u, uint32_t *n);
/* Length of u's path, km. */
double fleet_path_km(const fleet *f, uint32_t u);
/* Zone changes of UAV u so far (or when the fleet landed). */
uint64_t fleet_zone_changes(const fleet *f, uint32_t u);
/* UAV u's current zone index (into cfg.zones); before landing only. */
uint32_t fleet_zone(const fleet *f, uint32_t u);

#endif
