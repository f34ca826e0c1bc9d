/* The brokers of a UAV fleet (seed 5.3, last paragraph): N UAVs, each an
 * open-loop client (Poisson arrivals at its zone's rate, calling its zone's
 * function, as the single flight does), and where their calls are
 * scheduled:
 *   shared:  one scheduler for the whole fleet (the control plane in the
 *            cloud): every UAV's calls, load and measurements meet in one
 *            sched (one latency average, one outstanding count, one breaker
 *            per provider);
 *   per UAV: one scheduler per UAV (a control plane on board): each learns
 *            from its own calls alone and sees only its own load.
 * Every call carries its UAV as struct sched_call.client, so the world
 * sends it over that UAV's link (sim/fleet.h adds the hop to the cloud for
 * the shared placement; nothing here knows where the broker is).
 *
 * A UAV makes no call until its first fleet_broker_set_zone (its first
 * zone, from the flight); from then on arrivals are Poisson at the zone's
 * rate, drawn from env_rng stream "fleet:uav:<u>:arrivals", so UAV u's
 * arrival times depend only on the seed, u and its flight: identical under
 * both placements. No call starts at or after `until`.
 *
 * Every call made ends in exactly one fleet_broker_call_fn (the UAV, the
 * world's provider index or -1, the scheduler's record). Written only
 * against the seam. */
#ifndef CM_CLOUDLESS_FLEET_BROKER_H
#define CM_CLOUDLESS_FLEET_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/sched.h"
#include "env.h"

struct fleet_broker_config {
  uint32_t nuavs;              /* >= 1 */
  bool shared;                 /* one scheduler for all (true) or one per UAV */
  struct sched_config sched;   /* providers: the world's, [i].env_provider = i (copied by each sched) */
  const char *function;        /* each UAV's function until a zone names one (copied) */
  double rate_per_s;           /* each UAV's rate until a zone gives one; > 0 */
  size_t request_bytes, response_bytes;
  cm_time until;               /* no call starts at or after this */
};

typedef struct fleet_broker fleet_broker;

typedef void (*fleet_broker_call_fn)(void *arg, uint32_t uav, int provider, const struct sched_record *r);

/* NULL with *err (one line) on a bad config (no UAVs, a bad rate, a
 * scheduler refusing the config). */
fleet_broker *fleet_broker_new(env *e, const struct fleet_broker_config *cfg, fleet_broker_call_fn on_call,
                               void *arg, char **err);
/* Calls in flight never call back after this. NULL is a no-op. */
void fleet_broker_free(fleet_broker *b);

/* UAV u entered a zone: its function (NULL or "": keep u's current one)
 * and rate (<= 0: keep u's current one) from now on, as broker_set_function
 * does for the single flight; a UAV starts with the config's function and
 * rate. The first call starts u's arrivals; a later one that changes the
 * rate draws u's next arrival afresh from now. */
void fleet_broker_set_zone(fleet_broker *b, uint32_t u, const char *function, double rate_per_s);

/* Calls in flight anywhere. */
bool fleet_broker_busy(const fleet_broker *b);
/* Calls made so far: by UAV u, and by the fleet. */
uint64_t fleet_broker_calls_of(const fleet_broker *b, uint32_t u);
uint64_t fleet_broker_calls(const fleet_broker *b);
/* Schedulers: 1 (shared) or nuavs. */
uint32_t fleet_broker_nscheds(const fleet_broker *b);

#endif
