/* The cost model against prices computed by hand: Lambda's 1 ms rounding,
 * Azure's 100 ms minimum and 128 MB memory steps, Cloud Run's vCPU + GiB
 * with 100 ms rounding, a cluster's $/s, the free edge, and the rules for
 * calls that did not run or were not charged. */
#include "cmocka_inc.h"

#include <math.h>

#include "cloudless/cost.h"

static void near(double got, double want) {
  if (fabs(got - want) > 1e-12 * fabs(want) + 1e-18) fail_msg("got %.15g, want %.15g", got, want);
}

static struct cost_price builtin(const char *name, double mb, double vcpu) {
  struct cost_price p;
  assert_int_equal(cost_price_builtin(name, mb, vcpu, &p), 0);
  assert_non_null(cost_source(name));
  return p;
}

/* 2048 MB for 1234.5 ms: billed 1235 ms; 2 GB x 1.235 s x 0.0000166667 +
 * 0.0000002 = 0.000041366749. */
static void test_lambda(void **state CM_UNUSED) {
  struct cost_price p = builtin("lambda", 2048, 0);
  assert_int_equal(p.kind, COST_GB_S);
  assert_int_equal(cost_billed(&p, CM_US(1234500)), CM_MS(1235));
  assert_int_equal(cost_billed(&p, CM_MS(1235)), CM_MS(1235));
  assert_int_equal(cost_billed(&p, 1), CM_MS(1));
  near(cost_invocation(&p, CM_US(1234500), true), 2.0 * 1.235 * 0.0000166667 + 0.0000002);
  near(cost_invocation(&p, CM_US(1234500), true), 0.000041366749); /* the same, multiplied out */
  near(cost_invocation(&p, 0, true), 0.0000002); /* failed before running: the request fee */
  near(cost_invocation(&p, CM_S(5), false), 0);  /* throttled: not charged */
  struct cost_price q = builtin("aws-lambda", 128, 0);
  near(cost_invocation(&q, CM_MS(50), true), 0.125 * 0.05 * 0.0000166667 + 0.0000002);
}

/* 200 MB is billed as 256 MB, 2000 MB as the 1536 MB maximum; 30 ms as the
 * 100 ms minimum; 123.4 ms rounds up to 124 ms. */
static void test_azure(void **state CM_UNUSED) {
  struct cost_price p = builtin("azure", 200, 0);
  near(p.memory_gb, 0.25);
  assert_int_equal(cost_billed(&p, CM_MS(30)), CM_MS(100));
  assert_int_equal(cost_billed(&p, CM_US(123400)), CM_MS(124));
  near(cost_invocation(&p, CM_MS(30), true), 0.25 * 0.1 * 0.000016 + 0.0000002);
  near(cost_invocation(&p, CM_US(123400), true), 0.25 * 0.124 * 0.000016 + 0.0000002);
  struct cost_price big = builtin("azure-functions", 2000, 0);
  near(big.memory_gb, 1.5);
  near(cost_invocation(&big, CM_S(2), true), 1.5 * 2 * 0.000016 + 0.0000002);
  struct cost_price exact = builtin("azure", 128, 0);
  near(exact.memory_gb, 0.125);
}

/* 1 vCPU, 512 MiB, 250 ms: billed 300 ms; 0.3 x (0.000024 + 0.5 x
 * 0.0000025) + 0.0000004 = 0.000007975. */
static void test_cloudrun(void **state CM_UNUSED) {
  struct cost_price p = builtin("cloudrun", 512, 1);
  assert_int_equal(p.kind, COST_VCPU_GIB_S);
  assert_int_equal(cost_billed(&p, CM_MS(250)), CM_MS(300));
  assert_int_equal(cost_billed(&p, CM_MS(300)), CM_MS(300));
  near(cost_invocation(&p, CM_MS(250), true), 0.000007975);
  struct cost_price two = builtin("gcp-cloudrun", 4096, 2);
  near(cost_invocation(&two, CM_MS(1001), true), 1.1 * (2 * 0.000024 + 4 * 0.0000025) + 0.0000004);
  assert_int_equal(cost_price_builtin("cloudrun", 512, 0, &p), CM_EINVAL);
}

/* EKS: ($0.10 + 3 x $0.096) / 3600 per second; 2 s cost 2 x that, exactly
 * (no rounding, no request fee). GKE with e2-standard-2 nodes is cheaper. */
static void test_cluster_and_edge(void **state CM_UNUSED) {
  struct cost_price eks = builtin("openfaas-eks", 0, 0);
  assert_int_equal(eks.kind, COST_CLUSTER);
  near(eks.cluster_usd_per_s, 0.388 / 3600);
  near(cost_invocation(&eks, CM_S(2), true), 2 * 0.388 / 3600);
  near(cost_invocation(&eks, CM_US(1500), true), 0.0015 * 0.388 / 3600);
  struct cost_price fission = builtin("fission-eks", 1024, 1);
  near(fission.cluster_usd_per_s, eks.cluster_usd_per_s);
  struct cost_price aks = builtin("openfaas-aks", 0, 0), gke = builtin("fission-gke", 0, 0);
  near(aks.cluster_usd_per_s, 0.388 / 3600);
  near(gke.cluster_usd_per_s, (0.10 + 3 * 0.067006) / 3600);
  assert_true(gke.cluster_usd_per_s < eks.cluster_usd_per_s);
  struct cost_price edge = builtin("edge", 4096, 4);
  assert_int_equal(edge.kind, COST_FREE);
  near(cost_invocation(&edge, CM_S(100), true), 0);
  builtin("openfaas-edge", 0, 0);
}

static void test_errors(void **state CM_UNUSED) {
  struct cost_price p;
  assert_int_equal(cost_price_builtin("ibm", 128, 1, &p), CM_ENOENT);
  assert_null(cost_source("ibm"));
  assert_int_equal(cost_price_builtin(NULL, 128, 1, &p), CM_EINVAL);
  assert_int_equal(cost_price_builtin("lambda", 0, 1, &p), CM_EINVAL);
  assert_int_equal(cost_price_builtin("lambda", NAN, 1, &p), CM_EINVAL);
  assert_int_equal(cost_price_builtin("lambda", 128, 1, NULL), CM_EINVAL);
  /* A hand-made list: 10 ms granularity and a 50 ms minimum. */
  struct cost_price h = {.kind = COST_GB_S, .usd_per_gb_s = 1, .memory_gb = 1, .granularity = CM_MS(10),
                         .minimum = CM_MS(50)};
  assert_int_equal(cost_billed(&h, 0), 0);
  assert_int_equal(cost_billed(&h, -5), 0);
  assert_int_equal(cost_billed(&h, CM_MS(3)), CM_MS(50));
  assert_int_equal(cost_billed(&h, CM_MS(51)), CM_MS(60));
  assert_int_equal(cost_billed(&h, CM_MS(60)), CM_MS(60));
  h.granularity = 0;
  assert_int_equal(cost_billed(&h, CM_MS(51) + 1), CM_MS(51) + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lambda),           cmocka_unit_test(test_azure),  cmocka_unit_test(test_cloudrun),
      cmocka_unit_test(test_cluster_and_edge), cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
