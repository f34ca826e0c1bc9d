/* The recorder of a UAV fleet run (owner of the tables fleet_uavs and
 * fleet_placements, analysis/SCHEMA.md): it hears every call of every UAV
 * end (models/cloudless/fleet_broker.h), keeps each UAV's latencies,
 * failures, cost and where its calls ran, and at the end of one broker
 * placement summarises it per UAV and fleet-wide (exact percentiles,
 * analysis/stats.h), writes the rows, and prints the placements side by
 * side. Latency is a call's end minus its start (all attempts and waits);
 * percentiles are over completed calls; failures are counted apart. */
#ifndef CM_FLEET_REC_H
#define CM_FLEET_REC_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/sched.h"
#include "results.h"

enum fleet_rec_tier { FLEET_REC_LOCAL, FLEET_REC_REMOTE, FLEET_REC_CLOUD };
/* Failure reasons counted apart: throttled, error, timeout, network, and
 * any other (budget, no_provider). */
#define FLEET_REC_NREASONS 5

/* One placement's fleet-wide figures (latencies in s, NAN without a
 * completed call). */
struct fleet_rec_summary {
  const char *placement; /* borrowed from the recorder */
  uint32_t uavs;
  uint64_t calls, completed, failed;
  uint64_t failed_by[FLEET_REC_NREASONS]; /* failed, by reason (sum = failed) */
  double mean_s, p50_s, p95_s, p99_s;
  double uav_p95_median_s, uav_p95_max_s; /* over UAVs with a completed call: the median and the worst UAV's p95 */
  uint64_t uav_failed_max;                /* failures of the UAV that failed most */
  double cost_usd, cost_per_1000_usd;
  double share[3];                        /* of completed calls, by tier (enum fleet_rec_tier) */
  uint64_t zone_changes;
  double wall_s;                          /* wall time of this placement's run: printed, never stored (not
                                             reproducible; the run's is runs.wall_seconds) */
};

typedef struct fleet_rec fleet_rec;

/* A recorder for nuavs UAVs under placement (a name, copied); tiers[p] is
 * provider p's tier (nproviders, copied). */
fleet_rec *fleet_rec_new(uint32_t nuavs, const char *placement, const enum fleet_rec_tier *tiers,
                         uint32_t nproviders);
void fleet_rec_free(fleet_rec *r);

/* A fleet_broker_call_fn: arg is the recorder. */
void fleet_rec_call(void *arg, uint32_t uav, int provider, const struct sched_record *rec);
/* Per-UAV facts the world knows: zone changes and path length (km). */
void fleet_rec_flight(fleet_rec *r, uint32_t uav, uint64_t zone_changes, double path_km);

/* Calls heard (for "every call ends in one outcome" checks). */
uint64_t fleet_rec_calls(const fleet_rec *r);
/* UAV u's calls, completed and failed (0 for a bad index). */
void fleet_rec_uav_counts(const fleet_rec *r, uint32_t u, uint64_t *calls, uint64_t *completed, uint64_t *failed);

void fleet_rec_summarize(const fleet_rec *r, double wall_s, struct fleet_rec_summary *out);
/* One fleet_uavs row per UAV and one fleet_placements row for m, in run
 * run_id of db. 0, or CM_EDB (the reason in results_errmsg(db)). */
int fleet_rec_write(const fleet_rec *r, results *db, int64_t run_id, const struct fleet_rec_summary *m);
/* The placements side by side on stdout (n rows), with a header naming
 * the UAV count and duration. */
void fleet_rec_print(const struct fleet_rec_summary *rows, uint32_t n, double duration_s);

#endif
