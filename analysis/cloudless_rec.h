/* The recorder of a live cloudless run (owner of the tables
 * cloudless_calls, cloudless_events, cloudless_providers, cloudless_series
 * and cloudless_benchmarks, analysis/SCHEMA.md): it observes every call the
 * broker (models/cloudless/broker.h) ends, keeps streaming statistics per
 * provider (or per lane in per-provider mode) and a per-provider time
 * series, writes one row per call on request, and at the end the tables,
 * the run's metrics and the printed summary. The same recorder serves sim
 * and real runs. */
#ifndef CM_CLOUDLESS_REC_H
#define CM_CLOUDLESS_REC_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/broker.h"
#include "results.h"

struct cl_rec_config {
  results *db;
  int64_t run_id;
  uint64_t seed;
  const char *mode;                  /* "sim" or "real", for the summary */
  const char *const *provider_names; /* nproviders, borrowed until cl_rec_free */
  const char *const *provider_tiers; /* "local_edge", "remote_edge", "cloud" */
  uint32_t nproviders;
  bool per_provider;
  int only;                          /* a single-provider baseline's provider, or -1 */
  cm_time series_step;               /* > 0 */
  bool record_calls;                 /* a cloudless_calls row per call */
  const char *policy, *workload;     /* for the summary line */
};

/* One run's headline figures (latencies in s). */
struct cl_summary {
  uint64_t calls, completed, cached, failed, unfinished;
  double mean_s, p50_s, p95_s, p99_s;
  double cost_usd, cost_per_1000_usd, throughput_per_s, cache_hit_ratio;
  uint64_t zone_changes;
  double sched_overhead_ns; /* mean T_s per call (wall clock, not reproducible) */
};

typedef struct cl_rec cl_rec;

/* A recorder for broker b's run (b borrowed: it must outlive the recorder's
 * last use). NULL with *err if a table cannot be created. */
cl_rec *cl_rec_new(const struct cl_rec_config *cfg, const broker *b, char **err);
void cl_rec_free(cl_rec *r);

/* A broker_call_fn: arg is the recorder. */
void cl_rec_call(void *arg, uint32_t lane, int provider, const struct sched_record *rec);
/* An event row (kind "zone", "fault", ...) at time t. */
void cl_rec_event(cl_rec *r, cm_time t, const char *kind, const char *what);
/* The flight entered zone (recorded on the calls that follow, and as an event). */
void cl_rec_zone(cl_rec *r, cm_time t, const char *zone);

/* Headline figures over span (for throughput); zone_changes as counted by the flight. */
void cl_rec_summarize(const cl_rec *r, cm_time span, uint64_t zone_changes, struct cl_summary *out);
/* The per-provider, series and benchmark tables and the run's metrics.
 * 0, or CM_EDB (also when a row write failed during the run). */
int cl_rec_write(cl_rec *r, const struct cl_summary *m);
/* The summary on stdout; flew: print the flight's zone changes. */
void cl_rec_print(const cl_rec *r, const struct cl_summary *m, bool flew);

#endif
