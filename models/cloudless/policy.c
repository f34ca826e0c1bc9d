/* The policy registry and the helper every policy uses: an argmin over the
 * usable providers whose ties are split uniformly at random (count the ties,
 * then one draw picks among them, so a decision without a tie draws
 * nothing). Adding a policy: its file, plus one X(name) line in POLICY_LIST. */
#include "cloudless/policy.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#define POLICY_LIST(X) \
  X(loi)               \
  X(cost)              \
  X(latency)           \
  X(mix)               \
  X(random)

#define DECLARE(n) extern const struct policy_ops policy_##n;
POLICY_LIST(DECLARE)

#define ENTRY(n) &policy_##n,
const struct policy_ops *const policy_table[] = {POLICY_LIST(ENTRY) NULL};

const struct policy_ops *policy_find(const char *name) {
  if (!name) return NULL;
  for (const struct policy_ops *const *p = policy_table; *p; p++)
    if (strcmp((*p)->name, name) == 0) return *p;
  return NULL;
}

#define NAME(n) "|" #n
const char *policy_names(void) {
  static const char names[] = POLICY_LIST(NAME);
  return names + 1; /* past the leading '|' */
}

static double key(double x) { return isnan(x) ? INFINITY : x; }

double policy__expected_latency(const struct policy_pstate *p) {
  double l = isnan(p->latency_s) ? 0 : p->latency_s;
  if (p->fail_p > 0) l += p->fail_s * p->fail_p / (1 - p->fail_p);
  return l;
}

double *policy__scores(const struct policy_view *v, double *buf) {
  if (v->scratch) return v->scratch;
  return v->n <= POLICY__BUF ? buf : g_new(double, v->n);
}

void policy__scores_done(const struct policy_view *v, double *buf, double *score) {
  if (score != buf && score != v->scratch) g_free(score);
}

int policy__argmin(const struct policy_view *v, const double *score, rng *r) {
  double m = INFINITY;
  int first = -1;
  for (uint32_t i = 0; i < v->n; i++) {
    if (!v->p[i].usable) continue;
    double s = key(score[i]);
    if (first < 0 || s < m) {
      m = s;
      first = (int)i;
    }
  }
  if (first < 0) return -1;
  double lim = isinf(m) ? m : m + 1e-12 * fabs(m);
  uint32_t ties = 0;
  for (uint32_t i = 0; i < v->n; i++)
    if (v->p[i].usable && key(score[i]) <= lim) ties++;
  if (ties == 1) return first;
  uint64_t pick = rng_below(r, ties);
  for (uint32_t i = 0; i < v->n; i++)
    if (v->p[i].usable && key(score[i]) <= lim && pick-- == 0) return (int)i;
  return first; /* not reached */
}
