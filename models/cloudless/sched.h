/* The live scheduler (seed 5.1.4): each call is placed on a provider by a
 * policy at the moment it is made, with a probability of random exploration.
 * It learns from outcomes, per (function, provider) as the seed benchmarks
 * per function: successful latencies, less any cold-start init
 * (the seed schedules on warm figures, 5.1.2 c), feed a moving average over
 * a window; a throttle (429), an error, a timeout or a network failure puts
 * the provider in exponential backoff (excluded from choice until it
 * expires; a success resets it) and the call is retried on another provider,
 * up to max_attempts. The scheduler is not told the providers' concurrency
 * limits or failures: it adapts to them from what comes back.
 *
 * Memoised functions consult the cache first (a hit ends the call as
 * "cached" without invoking). Every attempt is charged by the billing
 * engine; with a budget, a provider whose expected cost would exceed it is
 * unusable, and a call with no usable provider fails with reason "budget".
 * Registered benchmarks (benchmark.h) run before and after every attempt.
 *
 * The rules in full:
 *  - A provider is usable for a call when the call has not tried it yet, it
 *    is not backing off, and (with billing) billing_allows(its expected
 *    cost). Expected cost = cost_invocation(price, mean execution time of
 *    its last latency_window successes); 0 before the first.
 *  - A decision picks, with probability explore_prob, a uniformly random
 *    usable provider (stream "cloudless:sched:explore"), else the policy's
 *    choice (ties from "cloudless:sched:policy").
 *  - No provider usable: if an untried, affordable provider is only backing
 *    off, the call waits until the earliest such backoff ends and decides
 *    again. Otherwise it fails: "budget" if an untried provider was
 *    excluded by the budget, else the status name of its last attempt
 *    ("no_provider" if it made none). It also fails, with its last
 *    attempt's status, after max_attempts attempts.
 *  - A failed attempt (THROTTLED, ERROR, TIMEOUT, NETWORK) puts its
 *    provider in backoff for backoff_base x 2^(k-1), capped at backoff_max,
 *    after k consecutive failures there (a success resets k and ends the
 *    backoff); the call retries at once elsewhere. Failed attempts do not
 *    feed the averages. An attempt env_invoke refuses counts as NETWORK.
 *  - Each attempt is charged cost_invocation(price, its exec time), except
 *    throttled and network failures (not charged).
 *  - A completed call with input_key != 0 is inserted into the cache.
 *
 * Every call handed to sched_call ends in exactly one sched_done_fn with
 * one outcome; sched_stats counts them. Written only against the seam. */
#ifndef CM_CLOUDLESS_SCHED_H
#define CM_CLOUDLESS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/cost.h"
#include "env.h"

#define SCHED_NAME_MAX 48

struct benchmark;
typedef struct billing billing;
typedef struct cache cache;

/* A provider as the broker knows it: its env index, the compute bin it
 * uses there, and its price for that bin. */
struct sched_provider {
  char name[SCHED_NAME_MAX];
  uint32_t env_provider; /* struct invocation.provider */
  uint32_t bin;          /* struct invocation.bin */
  struct cost_price price;
};

struct sched_config {
  const struct sched_provider *providers; /* copied */
  uint32_t nproviders;       /* 1 .. 64 */
  const char *policy;        /* a name in policy_table */
  double w_outstanding, w_cost, w_latency; /* mix weights */
  uint32_t latency_window;   /* successful latencies in the moving average, >= 1 */
  double explore_prob;       /* probability a call goes to a uniformly random usable provider */
  uint32_t max_attempts;     /* attempts per call, >= 1 */
  cm_time backoff_base;      /* first backoff after a failure; doubles per consecutive failure */
  cm_time backoff_max;
  cm_time timeout;           /* per attempt, passed in struct invocation */
};

enum sched_outcome { SCHED_COMPLETED, SCHED_CACHED, SCHED_FAILED };

/* One call as made by the workload. */
struct sched_call {
  uint64_t id;
  const char *function;  /* copied (shorter than SCHED_NAME_MAX bytes) */
  uint64_t input_key;    /* memoisation key; 0 = do not consult the cache */
  size_t request_bytes, response_bytes;
};

/* How a call ended. Strings are static or borrowed from the call; valid
 * until the callback returns. */
struct sched_record {
  uint64_t id;
  const char *function;
  int provider;          /* sched provider index of the last attempt; -1 if none was made */
  uint32_t attempts;
  cm_time submitted, finished;
  cm_time exec, init, net; /* T_e, cold-start init, T_n = latency - exec - init of the last attempt */
  bool cold;
  double mem_peak_mb;
  double cost_usd;       /* all attempts of this call */
  enum sched_outcome outcome;
  const char *reason;    /* "completed", "cached", or why it failed: "throttled", "error", "timeout",
                            "network", "budget", "no_provider" */
  int64_t overhead_ns;   /* T_s: wall ns spent choosing providers for this call (non-deterministic) */
};

typedef void (*sched_done_fn)(void *arg, const struct sched_record *r);

typedef struct sched sched;

/* A scheduler on env e. bill and c may be NULL (no billing / no cache); they
 * are borrowed and must outlive the scheduler. Returns NULL and sets *err
 * (g_malloc'd one line) on a bad config (unknown policy with the list of
 * known ones, no providers, window 0, ...). */
sched *sched_new(env *e, const struct sched_config *cfg, billing *bill, cache *c, sched_done_fn done, void *arg,
                 char **err);
/* Frees the scheduler; calls still in flight never call back (their
 * timers are cancelled, and results the world returns later are ignored). */
void sched_free(sched *s);

/* Hear every decision made with a usable provider: the policy's view (valid
 * during the call), the provider picked (a sched index), whether it was an
 * exploration draw rather than the policy, and the policy's random stream
 * as it was just before deciding (a scratch copy, valid during the call:
 * draw from it or copy it, the scheduler does not use it). For
 * audits such as the sim/real agreement test: the same view and stream
 * state must give the same decision. */
struct policy_view;
typedef void (*sched_decision_fn)(void *arg, const struct policy_view *view, int pick, bool explored,
                                  rng *before);
void sched_on_decision(sched *s, sched_decision_fn fn, void *arg);

/* Register a benchmark (borrowed; runs before and after every attempt, in
 * registration order). */
void sched_add_benchmark(sched *s, const struct benchmark *b);

/* Start a call. The outcome arrives later through done, never inside this
 * call. Returns 0 (always, for a valid call) or CM_EINVAL (NULL call or
 * function, or a function name of SCHED_NAME_MAX bytes or more). */
int sched_call(sched *s, const struct sched_call *call);

struct sched_stats {
  uint64_t calls, completed, cached, failed, in_flight;
  uint64_t attempts, retries;
  uint64_t failed_by_reason[6]; /* throttled, error, timeout, network, budget, no_provider */
  uint64_t per_provider_completed[64];
};
void sched_stats(const sched *s, struct sched_stats *out);

/* The policy's per-provider view right now (for tests and logs). A bad
 * index gives NAN / 0. */
uint32_t sched_nproviders(const sched *s);
/* Per (function, provider): what the broker learned. function NULL = the
 * function of the last call made. */
double sched_latency_ma(const sched *s, const char *function, uint32_t p); /* s; NAN before the first success */
uint32_t sched_outstanding(const sched *s, uint32_t p);
double sched_expected_cost(const sched *s, const char *function, uint32_t p); /* USD; 0 before the first success */
cm_time sched_backoff_until(const sched *s, uint32_t p);  /* excluded before this time; 0 = never backed off */

#endif
