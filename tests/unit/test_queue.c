/* The demo queue model: the Erlang C formula against hand-computed values,
 * the simulated mean wait against Erlang C, drops with a finite queue, and
 * the "every job has one outcome" accounting. */
#include "cmocka_inc.h"

#include <math.h>

#include "demo/queue.h"
#include "env_sim.h"

static void test_erlang_c_formula(void **state CM_UNUSED) {
  /* M/M/1: Wq = rho / (mu - lambda) = 0.8 / 0.2 = 4 s. */
  assert_true(fabs(queue_erlang_c_wait_s(0.8, 1.0, 1) - 4.0) < 1e-12);
  /* M/M/2, lambda 1, mu 1 (a = 1, rho 0.5): P(wait) = 1/3, Wq = (1/3)/(2-1). */
  assert_true(fabs(queue_erlang_c_wait_s(1.0, 1.0, 2) - 1.0 / 3.0) < 1e-12);
  assert_true(queue_erlang_c_wait_s(2.0, 1.0, 2) < 0); /* unstable */
}

struct tally {
  uint64_t completed, dropped, last_id;
  bool ordered;
};

static void count(void *arg, const struct queue_job *j) {
  struct tally *t = arg;
  if (j->outcome == QUEUE_COMPLETED) {
    t->completed++;
    if (j->start < j->arrival || j->end < j->start) t->ordered = false;
  } else {
    t->dropped++;
  }
}

/* M/M/10 at load 0.8 over 10 simulated hours: the mean wait is within 5%
 * of Erlang C (the seed is fixed, so this is a fixed check, not a flaky
 * one; over 10 seeds the mean is within 0.3%). */
static void test_mmc_matches_erlang_c(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct queue_config cfg = {.arrival_rate_per_s = 40, .servers = 10, .service = QUEUE_EXPONENTIAL,
                             .service_mean_s = 0.2, .arrivals_until = CM_S(36000)};
  struct tally t = {.ordered = true};
  queue *q = queue_new(e, &cfg, count, &t);
  assert_non_null(q);
  env_run(e, CM_TIME_MAX);
  struct queue_summary s;
  queue_summary(q, &s);
  double want = queue_erlang_c_wait_s(40, 5, 10);
  assert_true(fabs(s.mean_wait_s - want) / want < 0.05);
  assert_true(fabs(s.utilization - 0.8) < 0.01);
  assert_int_equal(s.arrivals, s.completed);
  assert_int_equal(t.completed, s.completed);
  assert_int_equal(s.in_system, 0);
  assert_true(t.ordered);
  queue_free(q);
  env_free(e);
}

/* A finite waiting room drops, and every arrival has exactly one outcome. */
static void test_drops_accounted(void **state CM_UNUSED) {
  env *e = env_sim_new(3);
  struct queue_config cfg = {.arrival_rate_per_s = 30, .servers = 2, .service = QUEUE_LOGNORMAL,
                             .service_mean_s = 0.1, .service_cv = 2, .queue_capacity = 1,
                             .arrivals_until = CM_S(600)};
  struct tally t = {.ordered = true};
  queue *q = queue_new(e, &cfg, count, &t);
  env_run(e, CM_TIME_MAX);
  struct queue_summary s;
  queue_summary(q, &s);
  assert_true(s.dropped > 0);
  assert_int_equal(s.arrivals, s.completed + s.dropped);
  assert_int_equal(t.completed + t.dropped, s.arrivals);
  assert_true(t.ordered);
  queue_free(q);
  env_free(e);
}

static void test_bad_config(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct queue_config cfg = {.arrival_rate_per_s = 0, .servers = 1, .service_mean_s = 1, .arrivals_until = 1};
  assert_null(queue_new(e, &cfg, NULL, NULL));
  cfg.arrival_rate_per_s = 1;
  cfg.servers = 0;
  assert_null(queue_new(e, &cfg, NULL, NULL));
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_erlang_c_formula),
      cmocka_unit_test(test_mmc_matches_erlang_c),
      cmocka_unit_test(test_drops_accounted),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
