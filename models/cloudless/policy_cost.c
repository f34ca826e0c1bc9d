/* Least cost (seed 5.1.4, policy 2): the usable provider where this call is
 * expected to cost least (price x observed execution time; a provider not
 * yet observed counts 0, the edge is always 0). */
#include "cloudless/policy.h"

static int choose(const struct policy_view *v, rng *r) {
  double buf[POLICY__BUF], *score = policy__scores(v, buf);
  for (uint32_t i = 0; i < v->n; i++) score[i] = v->p[i].cost_usd;
  int pick = policy__argmin(v, score, r);
  policy__scores_done(v, buf, score);
  return pick;
}

const struct policy_ops policy_cost = {
    .name = "cost",
    .doc = "least expected cost of the call",
    .choose = choose,
};
