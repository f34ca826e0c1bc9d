/* Least cost (seed 5.1.4, policy 2): the usable provider where this call is
 * expected to cost least (price x observed execution time; a provider not
 * yet observed counts 0, the edge is always 0). */
#include "cloudless/policy.h"

static int choose(const struct policy_view *v, rng *r) {
  double score[POLICY_MAX_PROVIDERS];
  if (v->n > POLICY_MAX_PROVIDERS) return -1;
  for (uint32_t i = 0; i < v->n; i++) score[i] = v->p[i].cost_usd;
  return policy__argmin(v, score, r);
}

const struct policy_ops policy_cost = {
    .name = "cost",
    .doc = "least expected cost of the call",
    .choose = choose,
};
