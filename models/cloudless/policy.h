/* Live scheduling policies (seed 5.1.4). A policy is one file holding a
 * const struct policy_ops, registered in the table in policy.c: adding a
 * policy is that file plus one line there. A policy sees only the
 * scheduler's per-provider view below and picks one usable provider. */
#ifndef CM_CLOUDLESS_POLICY_H
#define CM_CLOUDLESS_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

/* What the broker knows of one provider at decision time. */
struct policy_pstate {
  bool usable;          /* false: already tried for this call, backing off, or over budget */
  uint32_t outstanding; /* this broker's invocations in flight there */
  double latency_s;     /* moving average of recent successful latencies; NAN before the first */
  double cost_usd;      /* expected cost of this call there (price x observed exec time) */
  /* What failing costs there, for this function and payload class
   * (sched.h): fail_p the estimated chance an attempt fails, fail_s the
   * mean time a failed attempt took. 0 and 0 when failures are not learnt. */
  double fail_p, fail_s;
};

struct policy_view {
  uint32_t n;           /* providers, any number */
  const struct policy_pstate *p;
  double *scratch;      /* n doubles a policy may use as scores; NULL = the policy allocates */
  /* weights of the linear mix over normalised outstanding, cost, latency
   * (each metric divided by its largest value among usable providers; an
   * unknown latency counts as 0, so untried providers get tried). */
  double w_outstanding, w_cost, w_latency;
};

struct policy_ops {
  const char *name; /* as written in scenarios: loi, cost, latency, mix, random */
  const char *doc;  /* one line */
  /* Index of the chosen usable provider, or -1 if none is usable. Ties are
   * broken uniformly at random with draws from r. Pure: depends only on
   * v and r. */
  int (*choose)(const struct policy_view *v, rng *r);
};

/* NULL-terminated table of the built-in policies. */
extern const struct policy_ops *const policy_table[];
/* The policy named, or NULL. */
const struct policy_ops *policy_find(const char *name);
/* "loi|cost|latency|mix|random" (static), for schemas and errors. */
const char *policy_names(void);

/* Helpers shared by the policy files. */
/* Choose uniformly among usable indices i whose score[i] equals the
 * minimum (within a relative 1e-12); -1 if none usable. A NaN score counts
 * as +infinity. Draws from r only when two or more indices tie. */
int policy__argmin(const struct policy_view *v, const double *score, rng *r);
/* Expected latency of a call on p, in s: the moving average of successes
 * (an unknown one counts 0, so untried providers are tried first) plus,
 * with failures, fail_s x fail_p / (1 - fail_p), the expected time lost to
 * failed attempts before one succeeds (a geometric number of failures).
 * Exactly latency_s when fail_p is 0. */
double policy__expected_latency(const struct policy_pstate *p);
/* n doubles for scores: v->scratch, else buf (POLICY__BUF entries) when n
 * fits, else allocated; give it back with policy__scores_done. */
#define POLICY__BUF 64
double *policy__scores(const struct policy_view *v, double *buf);
void policy__scores_done(const struct policy_view *v, double *buf, double *score);

#endif
