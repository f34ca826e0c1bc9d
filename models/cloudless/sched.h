/* The live scheduler (seed 5.1.4): each call is placed on a provider by a
 * policy at the moment it is made, with a probability of random exploration.
 * It learns from outcomes, per (function, payload class, provider), as the
 * seed benchmarks per function: successful latencies, less any cold-start
 * init (the seed schedules on warm figures, 5.1.2 c), feed a moving average
 * over a window; failures feed a failure estimate and a circuit breaker, so
 * a provider that always fails for a kind of call is learnt and left alone,
 * with a probe now and then to notice its recovery. A throttle (429), an
 * error, a timeout or a network failure also puts the provider in
 * exponential backoff (excluded from choice until it expires; a success
 * resets it) and the call is retried on another provider, up to
 * max_attempts and within its timeout. The scheduler is not told the
 * providers' concurrency limits or failures: it adapts to them from what
 * comes back.
 *
 * Memoised functions consult the cache first (a hit ends the call as
 * "cached" without invoking). Every attempt is charged by the billing
 * engine; with a budget, a provider whose expected cost would exceed it is
 * unusable, and a call with no usable provider fails with reason "budget".
 * Registered benchmarks (benchmark.h) run before and after every attempt.
 *
 * The rules in full:
 *  - Statistics are kept per (function, payload class, provider). The
 *    payload class of a call is sched_payload_class(request_bytes): 0 for
 *    an empty request, else 1 + floor(log4(bytes)) (4 MB and 5 GB requests
 *    are classes 12 and 17; sizes within a factor of 4 share a class).
 *  - A provider is usable for a call when the call has not tried it yet, it
 *    is not backing off, (with billing) billing_allows(its expected cost),
 *    and its breaker for the call's (function, class) is closed, or
 *    half-open with no probe in flight. Expected cost =
 *    cost_invocation(price, mean execution time of its last latency_window
 *    successes); 0 before the first.
 *  - A decision: if a usable provider's breaker is half-open, the call is
 *    its probe (the lowest such index; no draw). Else, with probability
 *    explore_prob, a uniformly random usable provider (stream
 *    "cloudless:sched:explore"), else the policy's choice (ties from
 *    "cloudless:sched:policy").
 *  - The policies see, per provider, the success moving average
 *    (latency_s) and what failing costs: fail_p = f / (a + 1) and fail_s =
 *    the mean latency of those f failures, over the last latency_window
 *    attempts there (a of them, f failed; throttles are not counted). The
 *    latency policy (and mix's latency term) ranks by the expected latency
 *    latency_s + fail_s x fail_p / (1 - fail_p) (policy.h): a provider whose
 *    attempts all time out after 60 s ranks as slower than 60 s, not as
 *    untried; the + 1 keeps one that has only failed finite, so it is ranked
 *    by what its failures cost; the breaker is what excludes it. Without
 *    failures the view is exactly the success average.
 *  - The breaker, per (function, class, provider), when breaker_failures > 0:
 *    after breaker_failures consecutive failures (ERROR, TIMEOUT, NETWORK;
 *    a success resets the count) it opens for a cool-down of
 *    breaker_cooldown x 2^(k-1), capped at breaker_cooldown_max, the k-th
 *    time it opens without closing in between. While open the provider is
 *    not usable for that kind of call; when the cool-down ends it is
 *    half-open and the next call that may use it probes it (one at a time).
 *    A probe's success closes the breaker and forgets the failures of the
 *    window (the provider recovered); its failure reopens it with the next,
 *    longer cool-down. A throttled probe only ends the probe. Over a run of
 *    length T an always-failing provider is so tried at most
 *    breaker_failures + (attempts in flight there when it opens) +
 *    log2(cooldown_max / cooldown) + 1 + T / cooldown_max times per kind
 *    of call.
 *    breaker_failures = 0 turns failure learning off: the view's fail_p is
 *    0 and no breaker opens (the rules before issue 12).
 *  - A call's timeout bounds it across all its attempts and waits: it ends
 *    no later than submitted + timeout. Each attempt is sent with what is
 *    left (struct invocation.timeout = deadline - now); a call with no time
 *    left, or whose only way forward is a backoff ending at or after its
 *    deadline, fails at once with its last attempt's status ("timeout" if
 *    it made none). timeout 0: no deadline; attempts use the platform's.
 *  - No provider usable: if an untried, affordable provider is only backing
 *    off, the call waits until the earliest such backoff ends and decides
 *    again. Otherwise it fails: "budget" if an untried provider was
 *    excluded by the budget, else the status name of its last attempt
 *    ("no_provider" if it made none: every provider's breaker open, say).
 *    It also fails, with its last attempt's status, after max_attempts
 *    attempts.
 *  - A failed attempt (THROTTLED, ERROR, TIMEOUT, NETWORK) puts its
 *    provider in backoff for backoff_base x 2^(k-1), capped at backoff_max,
 *    after k consecutive failures there (a success resets k and ends the
 *    backoff); the call retries at once elsewhere. Failed attempts do not
 *    feed the latency averages. An attempt env_invoke refuses counts as
 *    NETWORK.
 *  - Each attempt is charged cost_invocation(price, its exec time), except
 *    throttled and network failures and requests refused with HTTP 401 or
 *    403 before reaching the function (not charged).
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
  uint32_t nproviders;       /* 1 .. 2^20 */
  const char *policy;        /* a name in policy_table */
  double w_outstanding, w_cost, w_latency; /* mix weights */
  uint32_t latency_window;   /* successful latencies in the moving average, >= 1 */
  double explore_prob;       /* probability a call goes to a uniformly random usable provider */
  uint32_t max_attempts;     /* attempts per call, >= 1 */
  cm_time backoff_base;      /* first backoff after a failure; doubles per consecutive failure */
  cm_time backoff_max;
  cm_time timeout;           /* per call, across its attempts; 0 = none (each attempt the platform's) */
  uint32_t breaker_failures; /* consecutive failures that open a breaker; 0 = failures not learnt */
  cm_time breaker_cooldown;  /* first open period; doubles each time it reopens (> 0 with a breaker) */
  cm_time breaker_cooldown_max;
};

enum sched_outcome { SCHED_COMPLETED, SCHED_CACHED, SCHED_FAILED };

/* One call as made by the workload. */
struct sched_call {
  uint64_t id;
  const char *function;  /* copied (shorter than SCHED_NAME_MAX bytes) */
  uint64_t input_key;    /* memoisation key; 0 = do not consult the cache */
  size_t request_bytes, response_bytes;
  cm_time exec_hint;     /* struct invocation.exec_hint of each attempt; 0 = the platform's model */
  uint32_t client;       /* struct invocation.client of every attempt (a fleet's UAV); 0 = the one client */
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
  size_t request_bytes, response_bytes; /* as the call was made */
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
 * during the call), the provider picked (a sched index), whether it was not
 * the policy's choice (an exploration draw or a half-open breaker's probe),
 * and the policy's random stream
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
};
void sched_stats(const sched *s, struct sched_stats *out);
/* Calls completed on provider p (0 for a bad index). */
uint64_t sched_completed_on(const sched *s, uint32_t p);

/* The payload class of a request of this size (the rules above). */
uint32_t sched_payload_class(size_t bytes);
/* The breaker of (function, class of request_bytes, provider p): 1 open
 * (or half-open; *open_until, if not NULL, the end of its cool-down), 0
 * closed, -1 if no such call was made or p is bad. */
int sched_breaker(const sched *s, const char *function, size_t request_bytes, uint32_t p, cm_time *open_until);

/* The policy's per-provider view right now (for tests and logs). A bad
 * index gives NAN / 0. */
uint32_t sched_nproviders(const sched *s);
/* Per (function, payload class, provider): what the broker learned.
 * function NULL = the function and class of the last call made; else that
 * function's last call's class. */
double sched_latency_ma(const sched *s, const char *function, uint32_t p); /* s; NAN before the first success */
uint32_t sched_outstanding(const sched *s, uint32_t p);
double sched_expected_cost(const sched *s, const char *function, uint32_t p); /* USD; 0 before the first success */
cm_time sched_backoff_until(const sched *s, uint32_t p);  /* excluded before this time; 0 = never backed off */

#endif
