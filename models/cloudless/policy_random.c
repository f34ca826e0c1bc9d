/* Uniform random choice among the usable providers (the baseline, and the
 * scheduler's exploration draw). One draw per decision. */
#include "cloudless/policy.h"

static int choose(const struct policy_view *v, rng *r) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < v->n; i++) k += v->p[i].usable;
  if (k == 0) return -1;
  uint64_t pick = rng_below(r, k);
  for (uint32_t i = 0; i < v->n; i++)
    if (v->p[i].usable && pick-- == 0) return (int)i;
  return -1; /* not reached */
}

const struct policy_ops policy_random = {
    .name = "random",
    .doc = "uniform over the usable providers",
    .choose = choose,
};
