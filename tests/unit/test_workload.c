/* The call generators (models/cloudless/workload.c): an open loop makes
 * its Poisson arrivals at their drawn times, in simulation and in real
 * mode, where a callback that holds the loop makes timers late: the
 * arrivals after it catch up instead of all moving later (which would make
 * fewer calls than the rate asks: coordinated omission). */
#include "cmocka_inc.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "cloudless/workload.h"
#include "env_real.h"
#include "env_sim.h"
#include "rng.h"

enum { SEED = 7 };
#define RATE 200.0
#define UNTIL CM_S(1)

/* Arrivals the stream "workload:arrivals" of seed SEED puts before UNTIL. */
static uint64_t expected_calls(void) {
  env *e = env_sim_new(SEED);
  rng *r = env_rng(e, "workload:arrivals");
  cm_time t = 0;
  uint64_t n = 0;
  for (;;) {
    t += cm_time_from_s(rng_exponential(r, 1.0 / RATE));
    if (t >= UNTIL) break;
    n++;
  }
  env_free(e);
  return n;
}

static void on_done(void *arg CM_UNUSED, const struct sched_record *r CM_UNUSED) {}

/* Holds the loop for 300 ms (60 arrivals' worth at RATE). */
static void hold(env *e CM_UNUSED, void *arg CM_UNUSED) { usleep(300 * 1000); }

/* Calls an open loop makes by UNTIL on e, whose one provider answers
 * nothing (sim: no world; real: no provider table; each call fails at
 * once, which does not matter here), with the loop held at 100 ms. */
static uint64_t calls_made(env *e) {
  struct sched_provider p = {.env_provider = 0};
  g_strlcpy(p.name, "p", sizeof p.name);
  struct sched_config sc = {.providers = &p, .nproviders = 1, .policy = "loi", .latency_window = 10,
                            .max_attempts = 1, .backoff_base = CM_MS(1), .backoff_max = CM_MS(1)};
  sched *s = sched_new(e, &sc, NULL, NULL, on_done, NULL, NULL);
  assert_non_null(s);
  struct workload_config wc = {.mode = WORKLOAD_OPEN, .function = "f", .rate_per_s = RATE, .until = UNTIL};
  workload *w = workload_new(e, s, &wc, NULL);
  assert_non_null(w);
  env_after(e, CM_MS(100), hold, NULL);
  env_run(e, UNTIL + CM_MS(200));
  uint64_t n = workload_calls(w);
  workload_free(w);
  sched_free(s);
  return n;
}

static void test_open_sim(void **state CM_UNUSED) {
  env *e = env_sim_new(SEED);
  assert_int_equal(calls_made(e), expected_calls());
  env_free(e);
}

/* Real mode: the 300 ms hold does not cost 60 calls; at most one arrival
 * due right at UNTIL may fall after it. */
static void test_open_real_catches_up(void **state CM_UNUSED) {
  env *e = env_real_new(SEED);
  assert_non_null(e);
  uint64_t want = expected_calls(), got = calls_made(e);
  if (got + 2 < want || got > want) fail_msg("%llu calls, expected %llu", (unsigned long long)got, (unsigned long long)want);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_sim),
      cmocka_unit_test(test_open_real_catches_up),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
