/* Billing totals per provider and overall, charged-invocation counts, the
 * budget check at and past its edge, and bad arguments. */
#include "cmocka_inc.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless/billing.h"

static void test_totals(void **state CM_UNUSED) {
  billing *b = billing_new(3, 0, NULL);
  assert_non_null(b);
  assert_int_equal(billing_charge(b, 0, 0.25), 0);
  assert_int_equal(billing_charge(b, 2, 0.5), 0);
  assert_int_equal(billing_charge(b, 0, 0.125), 0);
  assert_int_equal(billing_charge(b, 1, 0), 0); /* the free edge: charged, $0 */
  assert_true(billing_total(b) == 0.875);
  assert_true(billing_provider_usd(b, 0) == 0.375);
  assert_true(billing_provider_usd(b, 1) == 0);
  assert_true(billing_provider_usd(b, 2) == 0.5);
  assert_int_equal(billing_provider_invocations(b, 0), 2);
  assert_int_equal(billing_provider_invocations(b, 1), 1);
  assert_int_equal(billing_invocations(b), 4);
  assert_true(billing_allows(b, 1e9)); /* no budget */
  assert_int_equal(billing_charge(b, 3, 1), CM_EINVAL);
  assert_int_equal(billing_charge(b, 0, -1), CM_EINVAL);
  assert_int_equal(billing_charge(b, 0, NAN), CM_EINVAL);
  assert_true(billing_total(b) == 0.875); /* refused charges change nothing */
  assert_true(billing_provider_usd(b, 7) == 0);
  assert_int_equal(billing_nproviders(b), 3);
  billing_free(b);
}

static void test_budget(void **state CM_UNUSED) {
  billing *b = billing_new(2, 1.0, NULL);
  assert_true(billing_budget(b) == 1.0);
  assert_true(billing_allows(b, 1.0));
  assert_false(billing_allows(b, 1.0001));
  billing_charge(b, 1, 0.75);
  assert_true(billing_allows(b, 0.25));  /* exactly at the budget */
  assert_false(billing_allows(b, 0.26));
  assert_true(billing_allows(b, 0));
  billing_charge(b, 0, 0.25);
  assert_false(billing_allows(b, 1e-9));
  assert_true(billing_allows(b, 0));
  billing_charge(b, 1, 0.5); /* concurrent attempts overshoot the budget */
  assert_false(billing_allows(b, 1e-9));
  assert_true(billing_allows(b, 0)); /* the free edge stays usable */
  billing_free(b);
}

static void test_bad(void **state CM_UNUSED) {
  char *err = NULL;
  assert_null(billing_new(0, 0, &err));
  assert_non_null(err);
  g_free(err);
  err = NULL;
  assert_null(billing_new(1, -1, &err));
  assert_non_null(strstr(err, "budget"));
  g_free(err);
  assert_null(billing_new(1, INFINITY, NULL));
  billing_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_totals),
      cmocka_unit_test(test_budget),
      cmocka_unit_test(test_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
