/* Linear combination (seed 5.1.4, policy 4): score = w_o * o / max o +
 * w_c * c / max c + w_l * l / max l over outstanding, expected cost and
 * moving-average latency, each normalised by its largest value among the
 * usable providers (a metric whose largest value is 0 contributes 0). The
 * latency is the expected one, failures included (policy__expected_latency;
 * an unknown latency is 0). A zero weight drops its metric, so any subset of
 * the three policies can be combined. */
#include "cloudless/policy.h"

#include <math.h>

static double latency(const struct policy_pstate *p) { return policy__expected_latency(p); }

static int choose(const struct policy_view *v, rng *r) {
  double buf[POLICY__BUF], *score = policy__scores(v, buf);
  double mo = 0, mc = 0, ml = 0;
  for (uint32_t i = 0; i < v->n; i++) {
    const struct policy_pstate *p = &v->p[i];
    if (!p->usable) continue;
    if (p->outstanding > mo) mo = p->outstanding;
    if (p->cost_usd > mc) mc = p->cost_usd;
    if (latency(p) > ml) ml = latency(p);
  }
  for (uint32_t i = 0; i < v->n; i++) {
    const struct policy_pstate *p = &v->p[i];
    double s = 0;
    if (v->w_outstanding != 0 && mo > 0) s += v->w_outstanding * p->outstanding / mo;
    if (v->w_cost != 0 && mc > 0) s += v->w_cost * p->cost_usd / mc;
    if (v->w_latency != 0 && ml > 0) s += v->w_latency * latency(p) / ml;
    score[i] = s;
  }
  int pick = policy__argmin(v, score, r);
  policy__scores_done(v, buf, score);
  return pick;
}

const struct policy_ops policy_mix = {
    .name = "mix",
    .doc = "weighted sum of normalised outstanding, cost and latency",
    .choose = choose,
};
