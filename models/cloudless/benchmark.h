/* Benchmarking engine (seed 5.1.2). A benchmark is a pair of hooks the
 * scheduler runs before and after every attempt (the seed's base class with
 * two methods); a built-in recorder keeps, per provider, the seed's metrics:
 * execution time T_e, network delay T_n, warm/cold starts, memory (the
 * platform's 0.1 s samples) and the broker's decision overhead T_s. The
 * periodic probe invokes an empty function on every provider directly, each
 * period, and keeps its latency as the provider's scheduling-delay estimate
 * (seed 5.1.2 "Networking", 6.1). Written only against the seam. */
#ifndef CM_CLOUDLESS_BENCHMARK_H
#define CM_CLOUDLESS_BENCHMARK_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/sched.h"
#include "env.h"

/* One attempt of a call, as the hooks see it. Valid until the hook returns;
 * after() gets the same values before() got. */
struct benchmark_attempt {
  uint32_t provider;    /* sched provider index */
  const char *function;
  uint64_t call_id;
  uint32_t attempt;     /* 1 for a call's first attempt */
  cm_time start;        /* env_now when the invocation was sent */
  int64_t overhead_ns;  /* T_s: wall ns of the decision that chose this attempt */
};

/* A benchmark: hooks (either may be NULL) and their state, borrowed by
 * sched_add_benchmark. after() runs once per before(), when the attempt's
 * result arrives, before the scheduler acts on it. Hooks must not free the
 * scheduler. */
struct benchmark {
  const char *name;
  void *state;
  void (*before)(void *state, const struct benchmark_attempt *a);
  void (*after)(void *state, const struct benchmark_attempt *a, const struct invoke_result *r);
};

/* Mean and sample standard deviation (Welford); mean and sd are 0 when
 * n = 0, sd is 0 when n < 2. */
struct benchmark_stat {
  uint64_t n;
  double mean, sd;
};

/* What the built-in recorder knows of one provider. Times in seconds except
 * T_s (wall ns). Execution, network, latency and memory figures are over
 * successful attempts; T_s over every attempt. */
struct benchmark_summary {
  uint64_t attempts;                 /* before() calls */
  uint64_t ok;                       /* attempts that succeeded */
  uint64_t failed[INVOKE_NSTATUS];   /* by invoke_status (INVOKE_OK unused) */
  uint64_t warm, cold;               /* successful attempts by start state */
  struct benchmark_stat exec_s;      /* T_e as the platform reports it */
  struct benchmark_stat net_s;       /* T_n = latency - exec - init */
  struct benchmark_stat init_s;      /* cold-start initialisation, cold attempts only */
  struct benchmark_stat latency_s;
  struct benchmark_stat mem_peak_mb; /* per-invocation peaks (attempts with memory samples) */
  struct benchmark_stat mem_mean_mb;
  uint64_t mem_samples;              /* 0.1 s samples behind the memory figures */
  struct benchmark_stat overhead_ns; /* T_s per attempt */
};

typedef struct benchmark_recorder benchmark_recorder;

/* A recorder for providers 0 .. nproviders-1 (>= 1). NULL with *err on a
 * bad argument. Register it with sched_add_benchmark(s,
 * benchmark_recorder_benchmark(r)); it must outlive the scheduler's use. */
benchmark_recorder *benchmark_recorder_new(uint32_t nproviders, char **err);
void benchmark_recorder_free(benchmark_recorder *r);
/* The recorder's hooks (name "builtin"), owned by r. */
const struct benchmark *benchmark_recorder_benchmark(benchmark_recorder *r);
/* Provider p's summary: 0, or CM_EINVAL for a bad index. */
int benchmark_recorder_summary(const benchmark_recorder *r, uint32_t p, struct benchmark_summary *out);

/* Periodic benchmarking. */
struct benchmark_probe_config {
  const struct sched_provider *providers; /* copied; the probe uses env_provider and bin */
  uint32_t nproviders;
  cm_time period;            /* > 0: a round every period, the first at once */
  const char *function;      /* copied (< SCHED_NAME_MAX bytes); NULL = "empty" */
  size_t request_bytes, response_bytes; /* the real function's sizes (seed 5.1.2) */
  cm_time timeout;           /* per probe; 0 = the backend's default */
};

/* A provider's scheduling-delay estimate. Every probe sent ends in ok or
 * failed, or is still in flight: sent = ok + failed + in_flight. A round
 * skips a provider whose previous probe is still in flight. */
struct benchmark_probe_stat {
  uint64_t sent, ok, failed, in_flight, skipped;
  uint64_t count;         /* latencies in the estimate (= ok) */
  double mean_s, last_s;  /* of successful probes; NAN before the first */
};

typedef struct benchmark_probe benchmark_probe;

/* Starts probing on e now. NULL with *err on a bad config. */
benchmark_probe *benchmark_probe_new(env *e, const struct benchmark_probe_config *cfg, char **err);
/* No further rounds. Probes in flight still end in a recorded outcome when
 * they return: stop, let the env run, then free. */
void benchmark_probe_stop(benchmark_probe *p);
/* Frees the probe; probes still in flight are then never recorded. */
void benchmark_probe_free(benchmark_probe *p);
/* Provider p's estimate: 0, or CM_EINVAL for a bad index. */
int benchmark_probe_estimate(const benchmark_probe *p, uint32_t provider, struct benchmark_probe_stat *out);
uint64_t benchmark_probe_rounds(const benchmark_probe *p); /* rounds started */
uint64_t benchmark_probe_in_flight(const benchmark_probe *p);

#endif
