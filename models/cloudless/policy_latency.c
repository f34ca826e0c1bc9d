/* Least latency (seed 5.1.4, policy 3): the usable provider with the lowest
 * expected latency: its moving-average latency plus the expected cost of
 * its failures (policy__expected_latency). A provider without either yet
 * scores 0, so untried providers are tried first. */
#include "cloudless/policy.h"

static int choose(const struct policy_view *v, rng *r) {
  double buf[POLICY__BUF], *score = policy__scores(v, buf);
  for (uint32_t i = 0; i < v->n; i++) score[i] = policy__expected_latency(&v->p[i]);
  int pick = policy__argmin(v, score, r);
  policy__scores_done(v, buf, score);
  return pick;
}

const struct policy_ops policy_latency = {
    .name = "latency",
    .doc = "least moving-average latency; untried providers first",
    .choose = choose,
};
