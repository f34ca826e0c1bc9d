/* Least latency (seed 5.1.4, policy 3): the usable provider with the lowest
 * moving-average latency. A provider without one yet scores 0, so untried
 * providers are tried first. */
#include "cloudless/policy.h"

#include <math.h>

static int choose(const struct policy_view *v, rng *r) {
  double score[POLICY_MAX_PROVIDERS];
  if (v->n > POLICY_MAX_PROVIDERS) return -1;
  for (uint32_t i = 0; i < v->n; i++) score[i] = isnan(v->p[i].latency_s) ? 0 : v->p[i].latency_s;
  return policy__argmin(v, score, r);
}

const struct policy_ops policy_latency = {
    .name = "latency",
    .doc = "least moving-average latency; untried providers first",
    .choose = choose,
};
