/* Billing engine (seed section 4, component g): running totals of what the
 * broker has spent, per provider and overall, and an optional budget the
 * scheduler consults before placing a call. Amounts are US dollars; a
 * provider is the scheduler's provider index. */
#ifndef CM_CLOUDLESS_BILLING_H
#define CM_CLOUDLESS_BILLING_H

#include <stdbool.h>
#include <stdint.h>

typedef struct billing billing;

/* Totals for nproviders providers (>= 1) with a budget in USD (0 = none).
 * NULL with *err (g_malloc'd, one line) on a bad argument. */
billing *billing_new(uint32_t nproviders, double budget_usd, char **err);
void billing_free(billing *b);

/* Record one charged invocation of usd (>= 0, finite) on provider p:
 * 0, or CM_EINVAL for a bad provider or amount (nothing recorded). Calls
 * that are not charged (a throttle) are not recorded at all. */
int billing_charge(billing *b, uint32_t p, double usd);

/* Whether spending usd more keeps the total within the budget: always true
 * without one, and for usd <= 0 (a free provider stays usable after
 * concurrent attempts have overshot the budget). */
bool billing_allows(const billing *b, double usd);

double billing_total(const billing *b);             /* USD, all providers */
uint64_t billing_invocations(const billing *b);     /* charged invocations, all providers */
double billing_provider_usd(const billing *b, uint32_t p);             /* 0 for a bad index */
uint64_t billing_provider_invocations(const billing *b, uint32_t p);   /* 0 for a bad index */
double billing_budget(const billing *b);            /* 0 = none */
uint32_t billing_nproviders(const billing *b);

#endif
