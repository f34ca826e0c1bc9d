/* The call generators (models/cloudless/workload.c): an open loop makes
 * its Poisson arrivals at their drawn times, in simulation and in real
 * mode, where a callback that holds the loop makes timers late: the
 * arrivals after it catch up instead of all moving later (which would make
 * fewer calls than the rate asks: coordinated omission). A trace-driven
 * workload makes each pulled arrival at exactly its time after it started,
 * with its function and sizes, and its execution-time hint is what the
 * simulated world runs (the model's time without one); a bad arrival or a
 * failed pull stops it with the error, after the calls made before. */
#include "cmocka_inc.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "cloudless/workload.h"
#include "env_real.h"
#include "env_sim.h"
#include "faas.h"
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

/* ---- trace mode ---- */

struct feed {
  const struct workload_arrival *a;
  size_t n, i;
  int fail_with; /* returned after the n arrivals instead of 0 */
};

static int feed_next(void *arg, struct workload_arrival *out) {
  struct feed *f = arg;
  if (f->i == f->n) return f->fail_with;
  *out = f->a[f->i++];
  return 1;
}

#define MAXREC 16
struct seen {
  struct sched_record r[MAXREC];
  char fn[MAXREC][SCHED_NAME_MAX];
  size_t n;
};

static void on_record(void *arg, const struct sched_record *r) {
  struct seen *s = arg;
  assert_true(s->n < MAXREC);
  s->r[s->n] = *r;
  g_strlcpy(s->fn[s->n], r->function, SCHED_NAME_MAX);
  s->n++;
}

/* Exec of f on p: 100 ms + 20 GFLOP / (10 GFLOP/s x 1 vCPU) = 2.1 s, no noise. */
static const struct faas_function tfns[] = {{"f", 20, 512}, {"g", 1, 128}};
#define MODEL_EXEC CM_MS(2100)

struct rig {
  env *e;
  faas_world *world;
  sched *s;
  workload *w;
  struct seen seen;
  struct feed feed;
};

static void rig_start(env *e CM_UNUSED, void *arg) {
  struct rig *g = arg;
  struct workload_config wc = {.mode = WORKLOAD_TRACE, .next = feed_next, .next_arg = &g->feed, .until = CM_TIME_MAX};
  char *err = NULL;
  g->w = workload_new(g->e, g->s, &wc, &err);
  if (!g->w) fail_msg("workload_new: %s", err);
}

/* Runs the feed through a workload started at `start` on a one-provider
 * world (Lambda, 10 GFLOP/s per vCPU, 100 ms overhead, no variability). */
static void rig_run(struct rig *g, cm_time start) {
  g->e = env_sim_new(SEED);
  struct faas_provider p = {.tier = FAAS_CLOUD, .nbins = 1, .gflops_per_vcpu = 10, .exec_overhead = CM_MS(100),
                            .cold_start_mean = CM_MS(500), .keep_alive = CM_S(600), .sched_delay_mean = CM_MS(20),
                            .link_latency = CM_MS(10), .container_concurrency = 1};
  g_strlcpy(p.name, "p", sizeof p.name);
  g_strlcpy(p.platform, "lambda", sizeof p.platform);
  p.bins[0] = (struct faas_bin){1769, 1};
  char *err = NULL;
  g->world = faas_world_new(g->e, &p, 1, tfns, 2, &err);
  if (!g->world) fail_msg("faas_world_new: %s", err);
  struct sched_provider sp = {.env_provider = 0};
  g_strlcpy(sp.name, "p", sizeof sp.name);
  struct sched_config sc = {.providers = &sp, .nproviders = 1, .policy = "loi", .latency_window = 10,
                            .max_attempts = 1, .backoff_base = CM_MS(1), .backoff_max = CM_MS(1)};
  g->s = sched_new(g->e, &sc, NULL, NULL, on_record, &g->seen, &err);
  assert_non_null(g->s);
  env_after(g->e, start, rig_start, g);
  env_run(g->e, CM_S(100));
}

static void rig_free(struct rig *g) {
  workload_free(g->w);
  sched_free(g->s);
  faas_world_free(g->world);
  env_free(g->e);
}

static void test_trace_exact(void **state CM_UNUSED) {
  static const struct workload_arrival a[] = {
      {.t = 0, .function = "f", .request_bytes = 10, .response_bytes = 20},
      {.t = 5, .function = "g", .request_bytes = 1, .response_bytes = 2, .exec_hint = 123456789},
      {.t = 5, .function = "f", .request_bytes = 3, .response_bytes = 4, .exec_hint = 1},
      {.t = CM_S(1) + 3, .function = "f", .request_bytes = 0, .response_bytes = 0, .exec_hint = CM_S(7)},
      {.t = CM_MS(2500), .function = "g", .request_bytes = 5, .response_bytes = 6},
  };
  const cm_time start = CM_MS(1234) + 1;
  struct rig g = {.feed = {.a = a, .n = G_N_ELEMENTS(a)}};
  rig_run(&g, start);
  assert_true(workload_trace_done(g.w));
  assert_int_equal(workload_trace_error(g.w), 0);
  assert_int_equal(workload_calls(g.w), G_N_ELEMENTS(a));
  assert_int_equal(g.seen.n, G_N_ELEMENTS(a));
  for (size_t k = 0; k < g.seen.n; k++) {
    const struct sched_record *r = &g.seen.r[k];
    assert_true(r->id >= 1 && r->id <= G_N_ELEMENTS(a));
    const struct workload_arrival *x = &a[r->id - 1]; /* ids in arrival order */
    assert_int_equal(r->outcome, SCHED_COMPLETED);
    assert_int_equal(r->submitted, start + x->t);
    assert_string_equal(g.seen.fn[k], x->function);
    assert_int_equal(r->request_bytes, x->request_bytes);
    assert_int_equal(r->response_bytes, x->response_bytes);
    cm_time model = !strcmp(x->function, "f") ? MODEL_EXEC : CM_MS(100) + CM_MS(100); /* g: 1 GFLOP */
    assert_int_equal(r->exec, x->exec_hint ? x->exec_hint : model);
  }
  rig_free(&g);
}

static void test_trace_errors(void **state CM_UNUSED) {
  static const struct workload_arrival back[] = {{.t = 10, .function = "f"}, {.t = 9, .function = "f"}};
  struct rig g = {.feed = {.a = back, .n = 2}};
  rig_run(&g, 0);
  assert_true(workload_trace_done(g.w));
  assert_int_equal(workload_trace_error(g.w), CM_ERANGE);
  assert_int_equal(workload_calls(g.w), 1);
  assert_int_equal(g.seen.n, 1);
  rig_free(&g);

  char longname[SCHED_NAME_MAX + 1];
  memset(longname, 'x', SCHED_NAME_MAX);
  longname[SCHED_NAME_MAX] = 0;
  const struct workload_arrival lng[] = {{.t = 0, .function = "f"}, {.t = 1, .function = longname}};
  g = (struct rig){.feed = {.a = lng, .n = 2}};
  rig_run(&g, 0);
  assert_int_equal(workload_trace_error(g.w), CM_EINVAL);
  assert_int_equal(g.seen.n, 1);
  rig_free(&g);

  g = (struct rig){.feed = {.a = lng, .n = 1, .fail_with = CM_EPARSE}};
  rig_run(&g, 0);
  assert_true(workload_trace_done(g.w));
  assert_int_equal(workload_trace_error(g.w), CM_EPARSE);
  assert_int_equal(g.seen.n, 1);
  rig_free(&g);

  /* no callback: refused */
  env *e = env_sim_new(1);
  struct sched_provider sp = {.env_provider = 0};
  struct sched_config sc = {.providers = &sp, .nproviders = 1, .policy = "loi", .latency_window = 1, .max_attempts = 1};
  sched *s = sched_new(e, &sc, NULL, NULL, on_done, NULL, NULL);
  struct workload_config wc = {.mode = WORKLOAD_TRACE, .until = CM_TIME_MAX};
  char *err = NULL;
  assert_null(workload_new(e, s, &wc, &err));
  assert_non_null(strstr(err, "next-arrival callback"));
  g_free(err);
  sched_free(s);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_sim),
      cmocka_unit_test(test_open_real_catches_up),
      cmocka_unit_test(test_trace_exact),
      cmocka_unit_test(test_trace_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
