/* Billing totals: per-provider sums and a grand total kept as plain doubles
 * (each charge is added once, in call order, so totals are reproducible);
 * the budget check is total + usd <= budget. */
#include "cloudless/billing.h"

#include <math.h>

#include <glib.h>

#include "cm.h"

struct account {
  double usd;
  uint64_t invocations;
};

struct billing {
  uint32_t n;
  double budget, total;
  uint64_t invocations;
  struct account *acc;
};

billing *billing_new(uint32_t nproviders, double budget_usd, char **err) {
  if (nproviders == 0) {
    if (err) *err = g_strdup("billing: no providers");
    return NULL;
  }
  if (!(budget_usd >= 0) || !isfinite(budget_usd)) {
    if (err) *err = g_strdup_printf("billing: budget %g: expected a finite amount >= 0 (0 = none)", budget_usd);
    return NULL;
  }
  billing *b = g_new0(billing, 1);
  b->n = nproviders;
  b->budget = budget_usd;
  b->acc = g_new0(struct account, nproviders);
  return b;
}

void billing_free(billing *b) {
  if (!b) return;
  g_free(b->acc);
  g_free(b);
}

int billing_charge(billing *b, uint32_t p, double usd) {
  if (p >= b->n || !(usd >= 0) || !isfinite(usd)) return CM_EINVAL;
  b->acc[p].usd += usd;
  b->acc[p].invocations++;
  b->total += usd;
  b->invocations++;
  return CM_OK;
}

/* Spending nothing (a free provider) is always allowed, even once
 * concurrent attempts have overshot the budget. */
bool billing_allows(const billing *b, double usd) { return b->budget == 0 || usd <= 0 || b->total + usd <= b->budget; }

double billing_total(const billing *b) { return b->total; }
uint64_t billing_invocations(const billing *b) { return b->invocations; }
double billing_provider_usd(const billing *b, uint32_t p) { return p < b->n ? b->acc[p].usd : 0; }
uint64_t billing_provider_invocations(const billing *b, uint32_t p) { return p < b->n ? b->acc[p].invocations : 0; }
double billing_budget(const billing *b) { return b->budget; }
uint32_t billing_nproviders(const billing *b) { return b->n; }
