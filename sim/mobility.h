/* UAV mobility (seed section 3): the client flies a path of waypoints over
 * zones (countryside, city, ...), and its links to each provider change with
 * where it is.
 *
 * Method. The position is a linear interpolation between waypoints (held
 * before the first and after the last). The zone is the smallest-radius zone
 * containing the position. Every `period` of env time (a chain of env_after
 * timers) the position and zone are recomputed; a zone change calls zone_fn,
 * and every provider whose link parameters changed gets one link_fn call.
 * Link model, per provider site (one way; all times ns):
 *   onboard site (local edge riding on the UAV):
 *     latency = backhaul, jitter 0, bandwidth unlimited, never down;
 *   carrier site (e.g. AWS Wavelength, inside a carrier's 5G network) while
 *   the UAV is in the carrier zone:
 *     latency = radio(zone) + backhaul(site)  (the carrier's metro path is
 *     part of the site's backhaul figure);
 *   any other off-board site (cloud, or a carrier site from outside its zone):
 *     latency = radio(zone) + backhaul(site) + distance_km * 0.01 ms/km
 *               (+ offnet_penalty for a carrier site reached from outside)
 *   jitter = the zone's radio jitter, bandwidth = the zone's uplink.
 * 0.01 ms/km: light in fibre covers about 5 us/km (refractive index about
 * 1.47, so about 204,000 km/s), times a route-inflation factor of 2 for fibre
 * paths longer than the straight line: an assumption of the order of the
 * path inflation Singla et al. report ("The Internet at the speed of light",
 * HotNets 2014).
 * Intermittent links: each zone with nonzero on/off means runs an
 * alternating renewal process with exponential up and down durations,
 * drawn from env_rng stream "mobility:<zone name>", for the whole run and
 * whether or not the UAV is there (so one zone's draws never depend on the
 * flight). It starts in its stationary state (up with probability
 * on/(on+off); by memorylessness the first duration has the same mean).
 * While the current zone's process is down, every off-board provider's link
 * is down (link_fn with up = false); the onboard link never goes down.
 * A flight leaving all zones is refused at setup: for each path segment the
 * part inside each zone is an interval (a disc meets a line segment in one
 * interval), and the union of those intervals must cover the segment. */
#ifndef CM_MOBILITY_H
#define CM_MOBILITY_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"

#define MOBILITY_NAME_MAX 48
/* Propagation latency per km of distance to an off-board site (see above). */
#define MOBILITY_NS_PER_KM 10000.0
/* Default update period. */
#define MOBILITY_PERIOD_DEFAULT CM_S(1)

/* A point of the flight path: at env time t (ns, on env_now's clock) the UAV
 * is at (x_km, y_km). Times strictly increase along a path. */
struct mobility_waypoint {
  cm_time t;
  double x_km, y_km;
};

/* A cell or region. */
struct mobility_zone {
  char name[MOBILITY_NAME_MAX]; /* unique, non-empty */
  double x_km, y_km, radius_km; /* a disc; radius > 0 */
  cm_time radio_latency;        /* one way, UAV to the radio network */
  cm_time radio_jitter_sd;      /* passed on as the link's jitter */
  double uplink_bps;            /* 0 = unlimited */
  cm_time link_up_mean, link_down_mean; /* intermittent link; both 0 = always up */
  /* Optional workload tag for the runner: in this zone the UAV runs
   * `function` at `arrival_rate` invocations per s. "" and 0 = none. */
  char function[MOBILITY_NAME_MAX];
  double arrival_rate;
};

/* Where provider i's platform is (sites[i] is provider i). */
struct mobility_site {
  double x_km, y_km;
  cm_time backhaul_latency; /* one way, radio network (or UAV bus) to the platform */
  bool onboard;             /* local edge on the UAV: link = backhaul only */
  /* A remote edge inside a carrier network: the name of the carrier's zone
   * ("" = none). From outside that zone, offnet_penalty is added. */
  char carrier_zone[MOBILITY_NAME_MAX];
  cm_time offnet_penalty;
};

/* The configuration; everything is copied by mobility_new. Give the path
 * either as waypoints or as trace_path (a CSV file, mobility_trace_load). */
struct mobility_config {
  const struct mobility_waypoint *waypoints;
  uint32_t nwaypoints;
  const char *trace_path; /* NULL = use waypoints */
  const struct mobility_zone *zones;
  uint32_t nzones; /* >= 1 */
  const struct mobility_site *sites;
  uint32_t nsites; /* one per provider; may be 0 */
  cm_time period;  /* update period; 0 = MOBILITY_PERIOD_DEFAULT */
};

typedef struct mobility mobility;

/* The link to `provider` changed (any of the values, or up/down). The
 * runner wires it to faas_world_set_link and faas_world_set_link_up. */
typedef void (*mobility_link_fn)(void *arg, uint32_t provider, cm_time latency, cm_time jitter_sd,
                                 double bandwidth_bps, bool up);
/* The UAV entered zone `zone` (z is owned by the mobility, valid until
 * mobility_free). */
typedef void (*mobility_zone_fn)(void *arg, uint32_t zone, const struct mobility_zone *z);

/* Start the mobility model on e. The first update runs from a timer due now
 * (so before any event the caller schedules for now after this returns): it
 * calls zone_fn once for the starting zone and link_fn once per provider.
 * Later, zone_fn runs on each zone change and link_fn for each provider
 * whose link changed. Periodic updates stop once the flight has ended (the
 * position no longer changes); intermittent-link timers run until
 * mobility_free, so a run with intermittent zones needs a horizon.
 * zone_fn may be NULL; link_fn may be NULL only when nsites is 0.
 * Callbacks must not free m. Returns NULL and sets *err (g_malloc'd, one
 * line naming the zone, site or file and what was expected) on a bad
 * config, including a path that leaves every zone. */
mobility *mobility_new(env *e, const struct mobility_config *cfg, mobility_link_fn link_fn, mobility_zone_fn zone_fn,
                       void *arg, char **err);
/* Cancel m's timers and free it. NULL is a no-op. */
void mobility_free(mobility *m);

/* Zone index (into cfg.zones) and name as of the last update. */
uint32_t mobility_zone(const mobility *m);
const char *mobility_zone_name(const mobility *m);
const struct mobility_zone *mobility_zone_info(const mobility *m, uint32_t zone);
uint32_t mobility_nzones(const mobility *m);

/* Position now (interpolated at env_now), and at any time t. */
void mobility_position(const mobility *m, double *x_km, double *y_km);
void mobility_position_at(const mobility *m, cm_time t, double *x_km, double *y_km);
/* Index of the smallest-radius zone containing (x, y), or -1. */
int mobility_zone_at(const mobility *m, double x_km, double y_km);

/* Whether the straight segment (ax, ay) -> (bx, by) lies inside the union
 * of the nz zones (the coverage rule mobility_new applies to a path). */
bool mobility_segment_inside(const struct mobility_zone *zones, uint32_t nz, double ax, double ay, double bx,
                             double by);

/* Zone changes after the start; link-down periods of the off-board links
 * (a period that is down at the start counts); total time they were down up
 * to now. */
uint64_t mobility_zone_changes(const mobility *m);
uint64_t mobility_link_down_periods(const mobility *m);
cm_time mobility_link_down_time(const mobility *m);
/* Whether the off-board links are up now. */
bool mobility_link_up(const mobility *m);

/* Parse a CSV flight trace: a header line `t_s,x_km,y_km`, then one row per
 * waypoint (time in s, position in km); blank lines and lines starting with
 * '#' are skipped; times must strictly increase. name is used in messages.
 * On success *out is a g_malloc'd array of *n >= 1 waypoints (caller
 * g_frees). Returns 0, or CM_EPARSE with *err "NAME:LINE: what was expected,
 * what was found". */
int mobility_trace_parse(const char *text, size_t len, const char *name, struct mobility_waypoint **out,
                         uint32_t *n, char **err);
/* Read and parse the trace file at path: CM_ENOENT (no such file) or
 * CM_EIO (unreadable) with *err "PATH: cannot read: REASON", or as above. */
int mobility_trace_load(const char *path, struct mobility_waypoint **out, uint32_t *n, char **err);

#endif
