/* The benchmarking engine: the built-in recorder's per-provider summaries
 * on a scripted run (T_e, T_n, cold starts, memory, T_s, failures), custom
 * hooks run before and after every attempt in registration order, and the
 * periodic empty-function probe (its estimates, its skips while a probe is
 * in flight, stop, every probe ending in a recorded outcome, and results
 * after free being ignored). */
#include "cmocka_inc.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless/benchmark.h"
#include "cloudless/sched.h"
#include "env_sim.h"

/* ---- a scripted platform: fixed latency, exec and status per provider;
 * the first call to a provider is a cold start; memory peaks alternate
 * between mem_a and mem_b, one 0.1 s sample per 100 ms of execution ---- */

struct fprov {
  cm_time latency, exec, init;
  enum invoke_status status;
  double mem_a, mem_b;
  uint64_t invoked;
};

struct fake {
  struct fprov p[4];
  uint64_t pending, empty_calls;
};

struct pend {
  env_invoke_fn done;
  void *arg;
  struct invoke_result res;
  struct fake *f;
};

static void fire(env *e, void *arg) {
  struct pend *x = arg;
  x->f->pending--;
  x->done(e, x->arg, &x->res);
  g_free(x);
}

static int invoke(void *world, env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  struct fake *f = world;
  struct fprov *p = &f->p[inv->provider];
  struct pend *x = g_new0(struct pend, 1);
  x->done = done;
  x->arg = arg;
  x->f = f;
  bool cold = p->invoked == 0;
  if (p->status == INVOKE_OK) {
    x->res = (struct invoke_result){.status = INVOKE_OK, .latency = p->latency + (cold ? p->init : 0),
                                    .exec_time = p->exec, .init_time = cold ? p->init : 0, .cold_start = cold,
                                    .mem_peak_mb = p->invoked % 2 ? p->mem_b : p->mem_a,
                                    .mem_mean_mb = 0.5 * (p->invoked % 2 ? p->mem_b : p->mem_a),
                                    .mem_samples = (uint32_t)(p->exec / CM_MS(100))};
  } else {
    x->res = (struct invoke_result){.status = p->status, .latency = p->latency};
  }
  p->invoked++;
  if (strcmp(inv->function, "empty") == 0) f->empty_calls++;
  f->pending++;
  env_after(e, x->res.latency, fire, x);
  return 0;
}

static struct sched_provider prov(const char *name, uint32_t i) {
  struct sched_provider p = {.env_provider = i};
  g_strlcpy(p.name, name, sizeof(p.name));
  return p;
}

struct gen {
  sched *s;
  uint64_t id, left;
};

static void gen_fire(env *e, void *arg) {
  struct gen *g = arg;
  sched_call(g->s, &(struct sched_call){.id = g->id++, .function = "resnet18"});
  if (--g->left) env_after(e, CM_S(1), gen_fire, g);
}

/* Provider 0: 150 ms latency, 100 ms exec (T_n 50 ms), 20 ms cold start on
 * the first call, memory peaks 100 / 200 MB. Provider 1 always answers
 * 500 after 5 ms. 20 sequential calls under loi. */
static void test_recorder_summary(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct fake f = {.p = {{.latency = CM_MS(150), .exec = CM_MS(100), .init = CM_MS(20), .mem_a = 100, .mem_b = 200},
                         {.latency = CM_MS(5), .status = INVOKE_ERROR}}};
  env_sim_set_invoker(e, invoke, &f);
  struct sched_provider ps[2] = {prov("aws", 0), prov("bad", 1)};
  struct sched_config cfg = {.providers = ps, .nproviders = 2, .policy = "loi", .latency_window = 5,
                             .max_attempts = 2, .backoff_base = CM_MS(100), .backoff_max = CM_MS(400)};
  sched *s = sched_new(e, &cfg, NULL, NULL, NULL, NULL, NULL);
  benchmark_recorder *r = benchmark_recorder_new(2, NULL);
  sched_add_benchmark(s, benchmark_recorder_benchmark(r));
  assert_string_equal(benchmark_recorder_benchmark(r)->name, "builtin");
  struct gen g = {.s = s, .left = 20};
  env_after(e, 0, gen_fire, &g);
  env_run(e, CM_TIME_MAX);
  struct sched_stats st;
  sched_stats(s, &st);
  assert_int_equal(st.completed, 20);
  struct benchmark_summary a, b;
  assert_int_equal(benchmark_recorder_summary(r, 0, &a), 0);
  assert_int_equal(benchmark_recorder_summary(r, 1, &b), 0);
  assert_int_equal(a.attempts, 20);
  assert_int_equal(a.ok, 20);
  assert_int_equal(a.cold, 1);
  assert_int_equal(a.warm, 19);
  assert_int_equal(a.exec_s.n, 20);
  assert_true(fabs(a.exec_s.mean - 0.1) < 1e-12 && a.exec_s.sd < 1e-12);
  assert_true(fabs(a.net_s.mean - 0.05) < 1e-12 && a.net_s.sd < 1e-12);
  assert_int_equal(a.init_s.n, 1);
  assert_true(fabs(a.init_s.mean - 0.02) < 1e-12);
  /* latencies: one 0.17, nineteen 0.15 */
  assert_true(fabs(a.latency_s.mean - (0.17 + 19 * 0.15) / 20) < 1e-12);
  /* peaks 100, 200, 100, ...: mean 150, sample sd sqrt(20 * 50^2 / 19) */
  assert_true(fabs(a.mem_peak_mb.mean - 150) < 1e-9);
  assert_true(fabs(a.mem_peak_mb.sd - sqrt(20 * 2500.0 / 19)) < 1e-9);
  assert_true(fabs(a.mem_mean_mb.mean - 75) < 1e-9);
  assert_int_equal(a.mem_samples, 20);
  assert_int_equal(a.overhead_ns.n, 20);
  assert_true(a.overhead_ns.mean > 0); /* measured in wall ns: a decision takes some */
  /* Provider 1: tried, failed, never measured. */
  assert_int_equal(b.attempts, f.p[1].invoked);
  assert_true(b.attempts > 0);
  assert_int_equal(b.failed[INVOKE_ERROR], b.attempts);
  assert_int_equal(b.ok, 0);
  assert_int_equal(b.exec_s.n, 0);
  assert_true(b.exec_s.mean == 0 && b.exec_s.sd == 0);
  assert_int_equal(b.overhead_ns.n, b.attempts);
  assert_int_equal(benchmark_recorder_summary(r, 2, &a), CM_EINVAL);
  sched_free(s);
  benchmark_recorder_free(r);
  env_free(e);
}

/* Two custom benchmarks: before and after pair up per attempt with the same
 * attempt data, in registration order, after() once per before(). */
struct seen {
  int which;
  GArray *log; /* shared: struct entry */
};

struct entry {
  int which;
  bool after;
  struct benchmark_attempt a;
  enum invoke_status status;
};

static void hook_before(void *state, const struct benchmark_attempt *a) {
  struct seen *s = state;
  struct entry x = {.which = s->which, .a = *a};
  x.a.function = NULL;
  assert_string_equal(a->function, "resnet18");
  g_array_append_val(s->log, x);
}

static void hook_after(void *state, const struct benchmark_attempt *a, const struct invoke_result *r) {
  struct seen *s = state;
  struct entry x = {.which = s->which, .after = true, .a = *a, .status = r->status};
  x.a.function = NULL;
  g_array_append_val(s->log, x);
}

static bool same_attempt(const struct benchmark_attempt *x, const struct benchmark_attempt *y) {
  return x->provider == y->provider && x->call_id == y->call_id && x->attempt == y->attempt &&
         x->start == y->start && x->overhead_ns == y->overhead_ns;
}

static void test_custom_hooks(void **state CM_UNUSED) {
  env *e = env_sim_new(2);
  struct fake f = {.p = {{.latency = CM_MS(30), .exec = CM_MS(10)}, {.latency = CM_MS(5), .status = INVOKE_THROTTLED}}};
  env_sim_set_invoker(e, invoke, &f);
  struct sched_provider ps[2] = {prov("ok", 0), prov("full", 1)};
  struct sched_config cfg = {.providers = ps, .nproviders = 2, .policy = "random", .latency_window = 5,
                             .max_attempts = 2};
  sched *s = sched_new(e, &cfg, NULL, NULL, NULL, NULL, NULL);
  GArray *log = g_array_new(FALSE, TRUE, sizeof(struct entry));
  struct seen s1 = {1, log}, s2 = {2, log};
  struct benchmark b1 = {"one", &s1, hook_before, hook_after}, b2 = {"two", &s2, hook_before, hook_after};
  sched_add_benchmark(s, &b1);
  sched_add_benchmark(s, &b2);
  struct gen g = {.s = s, .left = 30};
  env_after(e, 0, gen_fire, &g);
  env_run(e, CM_TIME_MAX);
  struct sched_stats st;
  sched_stats(s, &st);
  assert_int_equal(log->len, 4 * st.attempts);
  assert_true(st.retries > 0);
  for (guint i = 0; i < log->len; i += 2) {
    struct entry *x = &g_array_index(log, struct entry, i), *y = &g_array_index(log, struct entry, i + 1);
    assert_int_equal(x->which, 1); /* registration order */
    assert_int_equal(y->which, 2);
    assert_int_equal(x->after, y->after);
    assert_true(same_attempt(&x->a, &y->a));
    if (!x->after) { /* its after() comes later, with the same attempt */
      bool found = false;
      for (guint j = i + 2; j < log->len && !found; j++) {
        struct entry *z = &g_array_index(log, struct entry, j);
        found = z->after && z->which == 1 && same_attempt(&z->a, &x->a);
        if (found) assert_int_equal(z->status, z->a.provider == 1 ? INVOKE_THROTTLED : INVOKE_OK);
      }
      assert_true(found);
      assert_true(x->a.attempt >= 1 && x->a.attempt <= 2);
    }
  }
  sched_free(s);
  g_array_free(log, TRUE);
  env_free(e);
}

/* Probes every second on three providers (10 and 20 ms, and one that
 * errors), stopped at 10.5 s: 11 rounds, the estimates are the latencies,
 * the failing provider has none, and the probes used "empty". */
static void test_probe_estimates(void **state CM_UNUSED) {
  env *e = env_sim_new(3);
  struct fake f = {
      .p = {{.latency = CM_MS(10)}, {.latency = CM_MS(20)}, {.latency = CM_MS(7), .status = INVOKE_ERROR}}};
  env_sim_set_invoker(e, invoke, &f);
  struct sched_provider ps[3] = {prov("aws", 0), prov("gcp", 1), prov("down", 2)};
  struct benchmark_probe_config cfg = {.providers = ps, .nproviders = 3, .period = CM_S(1)};
  benchmark_probe *p = benchmark_probe_new(e, &cfg, NULL);
  assert_non_null(p);
  env_run(e, CM_MS(10500));
  benchmark_probe_stop(p);
  env_run(e, CM_S(100)); /* drains; a bounded run, so a probe that failed to stop fails the test */
  assert_int_equal(benchmark_probe_rounds(p), 11);
  assert_int_equal(benchmark_probe_in_flight(p), 0);
  struct benchmark_probe_stat st;
  const double want[2] = {0.010, 0.020};
  for (uint32_t i = 0; i < 2; i++) {
    assert_int_equal(benchmark_probe_estimate(p, i, &st), 0);
    assert_int_equal(st.sent, 11);
    assert_int_equal(st.ok, 11);
    assert_int_equal(st.count, 11);
    assert_true(fabs(st.mean_s - want[i]) < 1e-12);
    assert_true(fabs(st.last_s - want[i]) < 1e-12);
  }
  benchmark_probe_estimate(p, 2, &st);
  assert_int_equal(st.sent, 11);
  assert_int_equal(st.failed, 11);
  assert_int_equal(st.count, 0);
  assert_true(isnan(st.mean_s) && isnan(st.last_s));
  assert_int_equal(f.empty_calls, 33);
  assert_int_equal(benchmark_probe_estimate(p, 3, &st), CM_EINVAL);
  benchmark_probe_free(p);
  env_free(e);
}

/* A provider answering in 2.5 s probed every second: rounds at 0 .. 10 s
 * send at 0, 3, 6 and 9 s and skip the rest. Stopped at 10.5 s with a probe
 * in flight, which still ends in a recorded outcome: sent = ok + failed. A
 * custom function name is used. */
static void test_probe_skips_and_drains(void **state CM_UNUSED) {
  env *e = env_sim_new(4);
  struct fake f = {.p = {{.latency = CM_MS(2500)}}};
  env_sim_set_invoker(e, invoke, &f);
  struct sched_provider ps[1] = {prov("slow", 0)};
  struct benchmark_probe_config cfg = {.providers = ps, .nproviders = 1, .period = CM_S(1), .function = "noop"};
  benchmark_probe *p = benchmark_probe_new(e, &cfg, NULL);
  env_run(e, CM_MS(10500));
  benchmark_probe_stop(p);
  struct benchmark_probe_stat st;
  benchmark_probe_estimate(p, 0, &st);
  assert_int_equal(st.sent, 4);
  assert_int_equal(st.skipped, 7);
  assert_int_equal(st.in_flight, 1);
  assert_int_equal(st.ok, 3);
  env_run(e, CM_S(100));
  assert_int_equal(benchmark_probe_rounds(p), 11);
  benchmark_probe_estimate(p, 0, &st);
  assert_int_equal(st.in_flight, 0);
  assert_int_equal(st.sent, st.ok + st.failed);
  assert_int_equal(st.ok, 4);
  assert_true(fabs(st.mean_s - 2.5) < 1e-12);
  assert_int_equal(f.empty_calls, 0);
  assert_int_equal(f.p[0].invoked, 4);
  benchmark_probe_free(p);
  env_free(e);
}

/* Freed with a probe in flight: the late result is ignored (ASan checks). */
static void test_probe_free_in_flight(void **state CM_UNUSED) {
  env *e = env_sim_new(5);
  struct fake f = {.p = {{.latency = CM_S(2)}}};
  env_sim_set_invoker(e, invoke, &f);
  struct sched_provider ps[1] = {prov("slow", 0)};
  struct benchmark_probe_config cfg = {.providers = ps, .nproviders = 1, .period = CM_S(1)};
  benchmark_probe *p = benchmark_probe_new(e, &cfg, NULL);
  env_run(e, CM_MS(500));
  assert_int_equal(benchmark_probe_in_flight(p), 1);
  benchmark_probe_free(p);
  env_run(e, CM_S(100));
  assert_int_equal(f.pending, 0);
  assert_int_equal(f.p[0].invoked, 1);
  env_free(e);
}

static void test_bad_config(void **state CM_UNUSED) {
  env *e = env_sim_new(6);
  char *err = NULL;
  assert_null(benchmark_recorder_new(0, &err));
  assert_non_null(err);
  g_free(err);
  struct sched_provider ps[1] = {prov("a", 0)};
  struct benchmark_probe_config cfg = {.providers = ps, .nproviders = 1, .period = 0};
  err = NULL;
  assert_null(benchmark_probe_new(e, &cfg, &err));
  assert_non_null(strstr(err, "period"));
  g_free(err);
  cfg.period = CM_S(1);
  cfg.nproviders = 0;
  assert_null(benchmark_probe_new(e, &cfg, NULL));
  char longname[SCHED_NAME_MAX + 1];
  memset(longname, 'x', SCHED_NAME_MAX);
  longname[SCHED_NAME_MAX] = 0;
  cfg = (struct benchmark_probe_config){.providers = ps, .nproviders = 1, .period = CM_S(1), .function = longname};
  assert_null(benchmark_probe_new(e, &cfg, NULL));
  benchmark_probe_free(NULL);
  benchmark_recorder_free(NULL);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recorder_summary),       cmocka_unit_test(test_custom_hooks),
      cmocka_unit_test(test_probe_estimates),        cmocka_unit_test(test_probe_skips_and_drains),
      cmocka_unit_test(test_probe_free_in_flight),   cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
