/* The broker of a live run (seed 5.1.4, 5.3): the scheduler, the client
 * workload that drives it, billing, the memoizing cache and the
 * benchmarking engine (recorder and periodic probe), composed on one env.
 * It is the same code under the sim backend (a synthetic continuum) and the
 * real one (live HTTP invocations): it sees the world only through the seam.
 *
 * Lanes: normally one lane (one scheduler over every provider, one
 * workload). In per-provider mode (seed Fig. 5 and 6.5) each (function,
 * provider) pair is its own lane: a one-provider scheduler and a serial
 * client making calls_per_provider calls.
 *
 * Every call a workload makes ends in exactly one broker_call_fn, with the
 * lane and the provider it ended on as an index of the world (the env's
 * provider table), or -1 if no attempt was made. */
#ifndef CM_CLOUDLESS_BROKER_H
#define CM_CLOUDLESS_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/benchmark.h"
#include "cloudless/billing.h"
#include "cloudless/cache.h"
#include "cloudless/sched.h"
#include "cloudless/workload.h"
#include "env.h"

struct broker_config {
  struct sched_config sched;      /* the one-lane scheduler (its providers borrowed) */
  const struct sched_provider *all; /* every provider of the world, [i].env_provider = i */
  uint32_t nall;
  int only;                       /* sched.providers is all[only] alone (a baseline), or -1 */
  struct workload_config work;
  bool per_provider;              /* a lane per (function, provider) */
  const char *const *functions_per_provider; /* per_provider: NULL-terminated */
  uint64_t calls_per_provider;
  uint32_t cache_entries;         /* 0: no cache */
  cm_time cache_ttl;
  double budget_usd;              /* 0: no budget */
  cm_time probe_period;           /* 0: no periodic probe */
};

typedef struct broker broker;

/* Where a call ended: its lane and the world's provider index (-1: none). */
typedef void (*broker_call_fn)(void *arg, uint32_t lane, int provider, const struct sched_record *r);

/* Build and start the broker on e: the workloads make their first calls
 * from the loop. NULL with *err (one line) on a bad configuration. cfg and
 * what it points to are copied or must outlive the broker (providers,
 * functions_per_provider). */
broker *broker_new(env *e, const struct broker_config *cfg, broker_call_fn on_call, void *arg, char **err);
/* Who hears of each call's end (replacing the observer given to
 * broker_new, which may be NULL: calls then end unheard). */
void broker_set_observer(broker *b, broker_call_fn on_call, void *arg);
/* Hear every decision of the one-lane scheduler (sched_on_decision); in
 * per-provider mode there is nothing to decide. */
void broker_on_decision(broker *b, sched_decision_fn fn, void *arg);
/* Calls in flight never call back after this. NULL is a no-op. */
void broker_free(broker *b);

uint32_t broker_nlanes(const broker *b);
/* The lane's only provider (world index) and function in per-provider mode;
 * -1 / NULL otherwise. */
int broker_lane_provider(const broker *b, uint32_t lane);
const char *broker_lane_function(const broker *b, uint32_t lane);

/* The flight entered a zone: its function mix and arrival rate (NULL / 0:
 * keep the scenario's) apply to every lane's workload from now on. */
void broker_set_function(broker *b, const char *function, double rate_per_s);

/* The run's horizon is over: stop the probe (workloads stop by themselves
 * at their `until`). */
void broker_wind_down(broker *b);
/* Calls in flight, probes in flight, per-provider lanes short of their
 * count, or a trace-driven workload with arrivals left: the run is not
 * drained yet. */
bool broker_busy(const broker *b);
/* Calls the workloads made so far. */
uint64_t broker_calls_made(const broker *b);

/* Borrowed parts, for recorders (NULL where absent). */
billing *broker_billing(const broker *b);
const benchmark_recorder *broker_bench(const broker *b);
const benchmark_probe *broker_probe(const broker *b);

#endif
