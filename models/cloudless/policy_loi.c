/* Least outstanding invocations (seed 5.1.4, policy 1): the usable provider
 * with the fewest of this broker's calls in flight. */
#include "cloudless/policy.h"

static int choose(const struct policy_view *v, rng *r) {
  double buf[POLICY__BUF], *score = policy__scores(v, buf);
  for (uint32_t i = 0; i < v->n; i++) score[i] = (double)v->p[i].outstanding;
  int pick = policy__argmin(v, score, r);
  policy__scores_done(v, buf, score);
  return pick;
}

const struct policy_ops policy_loi = {
    .name = "loi",
    .doc = "least outstanding invocations: fewest calls in flight",
    .choose = choose,
};
