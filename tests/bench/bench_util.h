/* Internals shared by the benchmark files: the monotonic clock, the median
 * of three repetitions, the M/M/1 model run by two benchmarks, and the job
 * table the results benchmarks write. */
#ifndef CM_BENCH_UTIL_H
#define CM_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cm.h"
#include "results.h"

/* Seconds on CLOCK_MONOTONIC. */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_median3(double a, double b, double c) {
  if (a > b) { double t = a; a = b; b = t; }
  if (b > c) b = c;
  return a > b ? a : b;
}

/* Run fn(arg) in a child process (its peak RSS its own): its exit status
 * (0 ok), or 1; name is the benchmark's, for a fork failure. bench.c. */
int bench_isolated(const char *name, int (*fn)(const void *), const void *arg);

/* The benchmarks; 0 on success, 1 on failure (reported on stderr). */
int bench_engine_hold(bool quick);
int bench_mm1(bool quick);
int bench_results_store(bool quick);
int bench_cloudless_live(bool quick);
int bench_sphinx(bool quick);
int bench_mixnet_sim(bool quick);
/* `bench mixnet-sim --nodes N [--clients M]`: run that one size (clients
 * default 100 a node) instead of the table. */
void bench_mixnet_sim_size(uint32_t nodes, uint32_t clients);
int bench_buffer(bool quick);
int bench_mixnode_udp(bool quick);
int bench_dag_placement(bool quick);
int bench_real_invoke(bool quick);
int bench_real_storage(bool quick);
int bench_replay(bool quick);

/* The four simulated providers of cloudless-live and replay (bench_cloudless.c):
 * a local edge (OpenFaaS, 64 cores, no limit) and three clouds (Lambda
 * limit 1000, Azure 200, Cloud Run 100 with a queue of 1000), one 2 GB /
 * 2 vCPU bin each, cold starts of 2 s, keep-alive 600 s; the broker's view
 * of each (sp, with the built-in prices). */
struct faas_provider;
struct sched_provider;
void bench_cl_providers(struct faas_provider *ps, struct sched_provider *sp); /* 4 each */

/* M/M/1 parameters: arrival rate 0.9/s, service rate 1.0/s. */
#define MM1_LAMBDA 0.9
#define MM1_MU 1.0

struct mm1_result {
  uint64_t events;       /* arrivals + departures */
  uint64_t customers;    /* departures */
  double seconds;        /* wall time of engine_run_until */
  double mean_sojourn_s; /* simulated time in system, mean over customers */
};

/* Run the M/M/1 model on a fresh engine until `customers` have arrived and
 * left, with streams "mm1:arrivals" and "mm1:service" of master seed `seed`.
 * If rows is not NULL, one job row per departing customer is written to it
 * (see BENCH_JOBS_*). Returns 0, or -1 (message on stderr). */
int mm1_run(uint64_t customers, uint64_t seed, results_table *rows,
            int64_t run_id, struct mm1_result *out);

/* A job-record model table: 6 columns. */
#define BENCH_JOBS_CREATE \
  "CREATE TABLE IF NOT EXISTS bench_jobs(run_id INTEGER NOT NULL, job INTEGER NOT NULL, " \
  "host TEXT, arrival_ns INTEGER, end_ns INTEGER, sojourn_s REAL)"
#define BENCH_JOBS_INSERT \
  "INSERT INTO bench_jobs(run_id, job, host, arrival_ns, end_ns, sojourn_s) VALUES (?,?,?,?,?,?)"

#endif
