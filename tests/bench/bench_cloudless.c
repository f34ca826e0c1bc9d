/* `bench cloudless-live`: simulated calls per wall second through the whole
 * Cloudless stack (open-loop workload -> live scheduler with its policy,
 * billing and built-in benchmark -> simulated four-provider continuum ->
 * outcome into a streaming histogram), for each live policy, 10 M calls
 * (1 M with --quick); and the process's peak resident memory, which the
 * streaming statistics keep flat whatever the number of calls. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>

#include "bench_util.h"
#include "cloudless/benchmark.h"
#include "cloudless/billing.h"
#include "cloudless/cost.h"
#include "cloudless/sched.h"
#include "cloudless/workload.h"
#include "env_sim.h"
#include "faas.h"
#include "hist.h"

struct sink {
  workload *w;
  hist *lat;
  uint64_t ok, failed;
};

static void on_done(void *arg, const struct sched_record *r) {
  struct sink *k = arg;
  if (r->outcome == SCHED_FAILED) k->failed++;
  else {
    k->ok++;
    hist_add(k->lat, r->finished - r->submitted);
  }
  workload_done(k->w, r->id, r->outcome == SCHED_FAILED);
}

static void provider(struct faas_provider *p, const char *name, const char *platform, enum faas_tier tier,
                     double gflops, cm_time overhead, cm_time lat, uint32_t limit) {
  *p = (struct faas_provider){.tier = tier, .nbins = 1, .gflops_per_vcpu = gflops, .exec_overhead = overhead,
                              .exec_cv = 0.05, .cold_start_mean = CM_MS(2000), .cold_start_cv = 0.3,
                              .keep_alive = CM_S(600), .sched_delay_mean = CM_MS(10), .sched_delay_cv = 0.3,
                              .concurrency_limit = limit, .container_concurrency = 1, .link_latency = lat,
                              .link_jitter_sd = CM_MS(1), .link_bandwidth_bps = 100e6};
  g_strlcpy(p->name, name, sizeof p->name);
  g_strlcpy(p->platform, platform, sizeof p->platform);
  p->bins[0] = (struct faas_bin){2048, 2};
}

void bench_cl_providers(struct faas_provider *ps, struct sched_provider *sp) {
  provider(&ps[0], "edge", "openfaas", FAAS_LOCAL_EDGE, 10, CM_MS(5), CM_US(300), 0);
  provider(&ps[1], "lambda", "lambda", FAAS_CLOUD, 14, CM_MS(20), CM_MS(5), 1000);
  provider(&ps[2], "azure", "azure", FAAS_CLOUD, 12, CM_MS(15), CM_MS(6), 200);
  provider(&ps[3], "cloudrun", "cloudrun", FAAS_CLOUD, 16, CM_MS(30), CM_MS(9), 100);
  ps[0].cpu_cores = 64;
  ps[3].queue_max = 1000;
  ps[3].queue_timeout = CM_S(10);
  const char *prices[4] = {"edge", "lambda", "azure", "cloudrun"};
  for (uint32_t i = 0; i < 4; i++) {
    sp[i] = (struct sched_provider){.env_provider = i, .bin = 0};
    g_strlcpy(sp[i].name, ps[i].name, sizeof sp[i].name);
    cost_price_builtin(prices[i], 2048, 2, &sp[i].price);
  }
}

/* One run of `calls` calls under policy; fills calls/s. */
static int run(const char *policy, uint64_t calls, double *per_s, double *wall_s, uint64_t *events, uint64_t *failed) {
  struct faas_provider ps[4];
  struct sched_provider sp[4];
  bench_cl_providers(ps, sp);
  struct faas_function fn = {.name = "small", .gflop = 0.5, .memory_mb = 256};
  env *e = env_sim_new(1);
  char *err = NULL;
  faas_world *w = faas_world_new(e, ps, 4, &fn, 1, &err);
  billing *b = w ? billing_new(4, 0, &err) : NULL;
  benchmark_recorder *rec = b ? benchmark_recorder_new(4, &err) : NULL;
  struct sink k = {.lat = hist_new()};
  struct sched_config sc = {.providers = sp, .nproviders = 4, .policy = policy, .w_outstanding = 1, .w_cost = 1,
                            .w_latency = 1, .latency_window = 10, .explore_prob = 0.05, .max_attempts = 8,
                            .backoff_base = CM_MS(100), .backoff_max = CM_S(10), .timeout = CM_S(60)};
  sched *s = rec ? sched_new(e, &sc, b, NULL, on_done, &k, &err) : NULL;
  double rate = 2000;
  struct workload_config wc = {.mode = WORKLOAD_OPEN, .function = "small", .rate_per_s = rate,
                               .until = CM_TIME_MAX, .max_calls = calls, .request_bytes = 1024, .response_bytes = 256};
  if (s) {
    sched_add_benchmark(s, benchmark_recorder_benchmark(rec));
    k.w = workload_new(e, s, &wc, &err);
  }
  int rc = 0;
  if (!k.w) {
    fprintf(stderr, "bench cloudless-live: %s\n", err ? err : "set-up failed");
    rc = 1;
  } else {
    double t0 = bench_now();
    env_run(e, CM_TIME_MAX);
    *wall_s = bench_now() - t0;
    *per_s = (double)(k.ok + k.failed) / *wall_s;
    *events = engine_events(env_sim_engine(e));
    *failed = k.failed;
    struct sched_stats st;
    sched_stats(s, &st);
    fprintf(stderr, "  failed by reason: throttled %llu error %llu timeout %llu network %llu budget %llu none %llu; retries %llu\n",
            (unsigned long long)st.failed_by_reason[0], (unsigned long long)st.failed_by_reason[1],
            (unsigned long long)st.failed_by_reason[2], (unsigned long long)st.failed_by_reason[3],
            (unsigned long long)st.failed_by_reason[4], (unsigned long long)st.failed_by_reason[5],
            (unsigned long long)st.retries);
    if (k.ok + k.failed != calls) {
      fprintf(stderr, "bench cloudless-live: %llu of %llu calls ended\n", (unsigned long long)(k.ok + k.failed),
              (unsigned long long)calls);
      rc = 1;
    }
  }
  workload_free(k.w);
  sched_free(s);
  benchmark_recorder_free(rec);
  billing_free(b);
  faas_world_free(w);
  hist_free(k.lat);
  env_free(e);
  g_free(err);
  return rc;
}

int bench_cloudless_live(bool quick) {
  uint64_t calls = quick ? 200000 : 10000000;
  const char *policies[] = {"loi", "cost", "latency", "mix", "random"};
  int rc = 0;
  for (size_t i = 0; i < sizeof policies / sizeof policies[0] && rc == 0; i++) {
    double per_s = 0, wall = 0;
    uint64_t events = 0, failed = 0;
    fprintf(stderr, "bench cloudless-live: %s, %llu calls...\n", policies[i], (unsigned long long)calls);
    rc = run(policies[i], calls, &per_s, &wall, &events, &failed);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (rc == 0)
      printf("bench cloudless-live policy=%s calls=%llu wall_s=%.2f calls_per_s=%.0f events_per_s=%.0f failed=%llu "
             "goal_calls_per_s=1000000 max_rss_mb=%.1f\n",
             policies[i], (unsigned long long)calls, wall, per_s, (double)events / wall, (unsigned long long)failed,
             (double)ru.ru_maxrss / 1024.0);
  }
  return rc;
}
