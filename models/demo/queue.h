/* The demo model: one serverless provider as an M/G/c queue, written only
 * against the seam. Invocations arrive as a Poisson stream, wait FIFO for
 * one of c warm containers, and hold it for a service time drawn from an
 * exponential, lognormal or constant distribution. With a finite queue
 * capacity an arrival that finds it full is dropped. Every job ends in
 * exactly one outcome: completed, or dropped (queue full). The Cloudless
 * issue replaces this demo with a UAV flight. */
#ifndef CM_QUEUE_H
#define CM_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"

enum queue_service { QUEUE_EXPONENTIAL, QUEUE_LOGNORMAL, QUEUE_CONSTANT };

struct queue_config {
  double arrival_rate_per_s; /* > 0 */
  uint32_t servers;          /* >= 1 */
  enum queue_service service;
  double service_mean_s;     /* > 0 */
  double service_cv;         /* lognormal only: sd / mean, > 0 */
  uint64_t queue_capacity;   /* waiting room; 0 = unbounded */
  cm_time arrivals_until;    /* no arrivals at or after this time */
};

enum queue_outcome { QUEUE_COMPLETED = 0, QUEUE_DROPPED_FULL = 1 };

/* One finished job, handed to the sink (valid during the call). */
struct queue_job {
  uint64_t id; /* 1, 2, ... in arrival order */
  cm_time arrival, start, end; /* start = end = arrival when dropped */
  uint32_t server;             /* 0-based; UINT32_MAX when dropped */
  enum queue_outcome outcome;
};

typedef void (*queue_job_fn)(void *arg, const struct queue_job *job);

struct queue_summary {
  uint64_t arrivals, completed, dropped, in_system;
  double mean_wait_s, mean_sojourn_s;
  double p50_sojourn_s, p95_sojourn_s, p99_sojourn_s, max_sojourn_s;
  double utilization;     /* busy server-time / (c x makespan) */
  double throughput_per_s; /* completed / makespan */
  double makespan_s;       /* first arrival to last departure */
};

typedef struct queue queue;

/* Create and start the model on e: the first arrival is scheduled. sink may
 * be NULL. cfg is copied. NULL on a bad config (see field comments). */
queue *queue_new(env *e, const struct queue_config *cfg, queue_job_fn sink, void *sink_arg);
void queue_free(queue *q);

/* Summary of the jobs finished so far. */
void queue_summary(const queue *q, struct queue_summary *out);

/* The Erlang C mean waiting time (s) of an M/M/c queue, or -1 when
 * unstable (lambda >= c mu). */
double queue_erlang_c_wait_s(double lambda, double mu, uint32_t c);

#endif
