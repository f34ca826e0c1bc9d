/* Internal to the cloudless runner: the state of one run, shared by
 * run_cloudless.c (building and driving it) and cloudless_out.c (its
 * tables, metrics and summary). */
#ifndef CM_CLI_CLOUDLESS_RUN_H
#define CM_CLI_CLOUDLESS_RUN_H

#include <glib.h>

#include "cloudless.h"
#include "cloudless/benchmark.h"
#include "cloudless/billing.h"
#include "cloudless/cache.h"
#include "hist.h"
#include "mobility.h"

/* Streaming figures of one lane (a provider, or a function x provider). */
struct lane_stats {
  uint64_t completed, cached, failed, cold, attempts;
  double lat_sum, lat_sq, exec_sum, exec_sq, cost;
  hist *lat;
};

/* One broker and the client driving it. */
struct lane {
  struct cl_run *r;
  sched *s;
  workload *w;
  uint32_t provider; /* per_provider: the only provider; else unused */
  const char *function;
};

struct cl_run {
  struct run_ctx *c;
  struct cl_config *cfg;
  env *e;
  faas_world *world;
  mobility *mob;
  bool flew;             /* the run had a flight (mob is freed when it ends) */
  uint64_t zone_changes; /* of the flight, read when it ended */
  billing *bill;
  cache *memo;
  benchmark_recorder *bench; /* per provider: T_e, T_n, cold, memory (not in per_provider mode) */
  benchmark_probe *probe;    /* periodic empty-function benchmark */
  struct lane *lanes;
  uint32_t nlanes;
  struct lane_stats *stats; /* per lane in per_provider mode, else per provider; plus [n] = all */
  uint32_t nstats;
  GArray *series;           /* per (bucket, provider): struct bucket, bucket-major */
  results_table *calls_t;
  results_table *events_t;
  int rc;
  uint64_t done;
  int64_t overhead_ns;
  char zone[MOBILITY_NAME_MAX]; /* current flight zone ("" without a flight) */
};

struct bucket {
  uint32_t completed, failed;
  double lat_sum;
};

/* cloudless_out.c */
int cl__write_tables(struct cl_run *r);
void cl__summarize(const struct cl_run *r, cm_time span, struct cl_summary *out);
int cl__write_metrics(struct cl_run *r, const struct cl_summary *m);
void cl__print_summary(const struct cl_run *r, const struct cl_summary *m);
double cl__sd(double sum, double sq, uint64_t n);

#endif
