/* Internal to sched*.c: the scheduler's records, shared by the calls and
 * dispatch (sched.c) and what it learns per (function, payload class,
 * provider) (sched_learn.c). */
#ifndef CLOUDLESS_SCHED_IMPL_H
#define CLOUDLESS_SCHED_IMPL_H

#include <glib.h>

#include "cloudless/benchmark.h"
#include "cloudless/billing.h"
#include "cloudless/cache.h"
#include "cloudless/policy.h"
#include "cloudless/sched.h"

#define SCHED__TRIED_INLINE 8

/* Failure reasons, in sched_stats.failed_by_reason order. */
enum why { W_THROTTLED, W_ERROR, W_TIMEOUT, W_NETWORK, W_BUDGET, W_NO_PROVIDER, W_NONE };

enum state { C_FREE, C_INVOKING, C_WAITING, C_ENDING };

struct call {
  sched *s;
  char function[SCHED_NAME_MAX];
  uint64_t id, key;
  size_t req, resp;
  cm_time exec_hint;
  uint32_t client;          /* struct sched_call.client */
  cm_time submitted, start; /* start: of the current attempt */
  cm_time deadline;         /* submitted + timeout; CM_TIME_MAX without one */
  uint32_t tried_in[SCHED__TRIED_INLINE]; /* providers tried, in order: here, then in tried_more */
  uint32_t *tried_more;
  uint32_t attempts, slot, next_free;
  int provider;             /* of the current / last attempt */
  uint32_t fn;              /* index of the (function, payload class) statistics */
  bool probe;               /* the current attempt is its breaker's half-open probe */
  enum state state;
  enum sched_outcome outcome; /* C_ENDING: how it ends */
  enum why why;             /* C_ENDING and failed: why */
  enum invoke_status last_status;
  timer_id timer;
  request_id inv_id;          /* C_INVOKING: the attempt's invocation, 0 if none */
  double cost;
  int64_t overhead, last_ts; /* T_s of the call; of its last decision */
  struct invoke_result res;  /* of the last attempt */
};

struct prov {
  struct sched_provider cfg;
  uint32_t outstanding, fails;
  cm_time backoff_until;
  uint64_t completed;
};

/* What the broker learned of one (function, payload class) on one
 * provider: benchmarks are per function (seed 5.1.2), so a UAV switching
 * from ResNet18 to ResNet152 does not judge a provider by the other model's
 * latencies, and per payload class, so 5 GB requests that time out do not
 * condemn a provider for 4 MB ones. Rings are allocated on first use. */
struct fstat {
  uint32_t ring_n, ring_pos;
  cm_time *lat, *exec; /* rings of latency_window successes */
  int64_t lat_sum, exec_sum;
  double exp_cost;
  /* the last latency_window attempts: -1 a success, else a failure's latency */
  cm_time *att;
  uint32_t att_n, att_pos, att_fails;
  int64_t att_fail_sum;
  /* the circuit breaker */
  uint32_t consec, opens; /* consecutive failures; times opened since it last closed */
  cm_time open_until;     /* open: excluded before this, then half-open */
  bool open, probing;     /* probing: the half-open probe is in flight */
};

struct sched {
  env *e;
  struct sched_config cfg;
  uint32_t n;
  struct prov *p;
  const struct policy_ops *policy, *uniform;
  struct policy_pstate *pv;
  struct policy_view view;
  rng *r_policy, *r_explore;
  billing *bill;
  cache *cache;
  sched_done_fn done;
  void *done_arg;
  const struct benchmark **bench;
  uint32_t nbench;
  uint8_t *mark; /* dispatch's scratch: providers the call tried */
  double *scores; /* the policies' scratch */
  struct call **chunks;
  uint32_t nchunks, free_head;
  struct sched_stats st;
  GHashTable *fn_index; /* "function\x1fclass" -> index + 1 */
  GHashTable *fn_last;  /* function name -> index + 1 of its last call's class */
  GPtrArray *fstats;    /* per index: struct fstat[n] */
  char last_name[SCHED_NAME_MAX];
  uint32_t last_class, last_fn;
  sched_decision_fn on_decision;
  void *decision_arg;
  rng *snap; /* with on_decision: the policy stream's state before each decision */
};

/* The statistics of (function name, payload class), created on first use. */
uint32_t sched__fn_index(sched *s, const char *name, uint32_t cls);
static inline struct fstat *sched__fstat_of(const sched *s, uint32_t fn, uint32_t p) {
  return &((struct fstat *)g_ptr_array_index(s->fstats, fn))[p];
}
/* The statistics of function (NULL: the last called) on provider p, or NULL. */
const struct fstat *sched__lookup(const sched *s, const char *function, uint32_t p);
/* A success's warm latency and execution time into p's rings on pr. */
void sched__observe(sched *s, struct prov *pr, struct fstat *p, cm_time latency, cm_time exec);
/* An attempt's outcome into its statistics and circuit breaker. */
void sched__learn(sched *s, struct call *c, const struct invoke_result *res, cm_time now);
/* The per-function tables: created empty; freed with every ring. */
void sched__learn_init(sched *s);
void sched__learn_free(sched *s);

#endif
