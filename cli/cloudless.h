/* The cloudless runner's pieces: the scenario turned into world and broker
 * configuration (cloudless_config.c), the run itself (run_cloudless.c), and
 * the per-run summary that `compare` collects across policies and seeds. */
#ifndef CM_CLI_CLOUDLESS_H
#define CM_CLI_CLOUDLESS_H

#include "cli.h"
#include "cloudless_rec.h"
#include "cloudless/dag.h"
#include "cloudless/planner.h"
#include "storage.h"
#include "cloudless/sched.h"
#include "cloudless/workload.h"
#include "faas.h"
#include "mobility.h"

#define CL_MAX_PROVIDERS (1u << 20) /* the scheduler's limit (models/cloudless/sched.c) */
#define CL_MAX_ZONES 32

struct cl_zone {
  char name[FAAS_NAME_MAX];
  double x_km, y_km, radius_km;
  cm_time radio_latency;
  double uplink_bps;
  cm_time up_mean, down_mean;
  char function[FAAS_NAME_MAX];
  double rate_per_s;
};

struct cl_site {
  double x_km, y_km;
  cm_time backhaul, offnet;
  bool onboard;
  int carrier_zone; /* index in zones, -1 none */
};


/* One [plan.NAME] group (or "all" without any), checked at load. */
struct cl_plan {
  char name[64];
  enum planner_solver solver;
  enum place_objective objective;
  double bound;       /* $ or s; INFINITY: none */
  uint32_t *allowed;  /* provider indexes; none: all */
  uint32_t nallowed;
};

/* [fleet] (cli/fleet_config.c): N UAVs over the zones. */
struct cl_fleet {
  uint32_t uavs;
  bool shared_cloud, per_uav_edge;   /* the placements to run, in this order */
  struct mobility_waypoint **paths;  /* paths = traces: one per UAV; NULL = generated */
  uint32_t *npaths;
  double speed_min_kmh, speed_max_kmh;
  double broker_x_km, broker_y_km;
  cm_time broker_backhaul, broker_peer;
};

/* Everything a run needs, parsed and cross-checked from the scenario. */
struct cl_config {
  char experiment[16]; /* live | storage-scan | workflow */
  struct faas_provider *providers;
  struct sched_provider *sched_providers;
  struct cl_site *sites;
  uint32_t nproviders;
  struct faas_function *functions;
  uint32_t nfunctions;
  struct faas_fault *faults;
  uint32_t nfaults;
  struct cl_zone *zones;
  uint32_t nzones;
  struct mobility_waypoint *waypoints;
  uint32_t nwaypoints;
  cm_time flight_update;
  struct sched_config sched;
  char policy[16];
  int only;                      /* provider index of a single-provider baseline, or -1 */
  struct workload_config work;
  bool per_provider;
  char **functions_per_provider; /* per_provider: NULL-terminated */
  uint64_t calls_per_provider;
  uint32_t cache_entries;
  cm_time cache_ttl;
  cm_time probe_period;
  bool record_calls;
  cm_time series_step;
  double budget_usd;
  cm_time duration;
  dag *workflow; /* from [workflow] and [dag.*], sealed; NULL without [dag.*] groups */
  /* universal storage: [store.*] in file order; locations are the providers
   * (same index) and then the client (index nproviders); links [l * nstores + s] */
  struct storage_store *stores;
  uint32_t nstores;
  struct storage_location *locations;
  uint32_t nlocations;
  struct storage_link *slinks;
  /* the periodic planner (experiment = workflow; cli/cloudless_plan.c) */
  struct cl_plan *plans;
  uint32_t nplans;
  uint32_t *backup; /* [workflow] backup_stores, as store indexes */
  uint32_t nbackup;
  struct cl_fleet *fleet; /* [fleet] uavs > 0; NULL = none */
};

/* Parse s into a config (NULL and *err, one line naming the file, group and
 * key, on a semantic problem the schema cannot see: an unknown provider in
 * a fault, a function that is not defined, a flight leaving every zone). */
struct cl_config *cl_config_new(const scenario *s, char **err);
void cl_config_free(struct cl_config *c);
/* Compress c's time by k (cli/cloudless_scale.c, [cloudless] time_scale);
 * 0, or -1 with *err naming path's key. */
int cl_config_scale(struct cl_config *c, double k, const char *path, char **err);

/* The flight's mobility config from c (zones and sites allocated; free
 * with cl_mobility_config_free; waypoints borrowed from c). */
void cl_mobility_config(const struct cl_config *c, struct mobility_config *mc);
void cl_mobility_config_free(struct mobility_config *mc);

/* One cloudless run recorded in c->db: its runs row begun (c->run_id set),
 * cloudless_run, the row ended "complete" or "failed" with its wall time. c->s,
 * c->db and c->seed are set by the caller. An exit code. */
int cloudless_run_recorded(struct run_ctx *c, struct cl_summary *out);
/* Run the cloudless model of c->s; fills *out if not NULL. */
int cloudless_run(struct run_ctx *c, struct cl_summary *out);
/* `experiment = workflow` (cli/cloudless_workflow.c): the periodic planner
 * (models/cloudless/planner.h) on the sim world, or with c->real on the
 * profile's endpoints: benchmark, place and run the [dag.*] workflow once
 * per [plan.*] group; an exit code (0, 1 failed, 2 the scenario's setting). */
int cloudless_workflow_run(struct run_ctx *c, struct cl_config *cfg);
/* The [plan.*] groups and [workflow] backup_stores into c (after its
 * providers and stores): 0, or -1 with *err "file:line: [group] key: ..."
 * (cli/cloudless_plan.c). cl_plans_free frees what it allocated. */
int cl_plans_parse(const scenario *s, struct cl_config *c, char **err);
void cl_plans_free(struct cl_config *c);
/* [fleet] into c->fleet (after every other group): 0, or -1 with *err
 * naming the key and what was expected; cl_fleet_free frees it. */
int cl_fleet_parse(const scenario *s, struct cl_config *c, char **err);
void cl_fleet_free(struct cl_fleet *f);
/* A fleet run (cli/run_fleet.c): each placement in turn on the same seed,
 * the tables fleet_uavs and fleet_placements, the comparison printed. An
 * exit code. */
int cloudless_fleet_run(struct run_ctx *c, struct cl_config *cfg);
/* The registry's check hook: cl_config_new then free. */
int cloudless_check(const scenario *s, char **err);
/* [cloudless] experiment = storage-scan (cloudless_scan.c): c's run with config cfg (borrowed). */
int cloudless_scan_run(struct run_ctx *c, struct cl_config *cfg);

/* A storage request the storage-scan and workflow experiments wait for:
 * done, status and took (issue to answer) are set when the answer comes. */
struct cl_store_wait {
  bool done;
  int status;
  cm_time issued, took;
};
/* Issue op (STORE_PUT or STORE_GET) of r, to be answered into *w (reset
 * here); 0, or the env's refusal (then no answer comes). The caller runs
 * the world until w->done. In cloudless_scan.c. */
int cl_store_issue(env *e, enum store_op op, const struct store_req *r, struct cl_store_wait *w);

#endif
