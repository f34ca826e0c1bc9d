/* The simulated serverless world (sim/faas.h, sim/platform.h): latencies
 * hand-computed with every cv 0 (uplink + scheduling + cold start + exec +
 * downlink), warm pools and keep-alive, each platform's behaviour at its
 * limit, faults by time window, timeouts, OOM, bad calls, the gflop ranking
 * flip of the seed's Fig. 5, contention variance, accounting after a random
 * mixed run, and reproducibility by seed. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "env_sim.h"
#include "faas.h"
#include "platform.h"

static const struct faas_function fns[] = {
    {"f", 20, 512}, {"big", 20, 4096}, {"tiny", 1, 128}, {"heavy", 30, 512},
};
#define NFNS 4

/* Defaults: exec of f = 100 ms + 20 / (10 x 1) s = 2.1 s; cold start 500
 * ms; scheduling 20 ms; link 10 ms each way. Warm call: 2140 ms, cold 2640. */
static struct faas_provider prov(const char *name, const char *platform) {
  struct faas_provider p = {.tier = FAAS_CLOUD, .nbins = 1, .gflops_per_vcpu = 10, .exec_overhead = CM_MS(100),
                            .cold_start_mean = CM_MS(500), .keep_alive = CM_S(600), .sched_delay_mean = CM_MS(20),
                            .link_latency = CM_MS(10), .container_concurrency = 1};
  snprintf(p.name, sizeof p.name, "%s", name);
  snprintf(p.platform, sizeof p.platform, "%s", platform);
  p.bins[0] = (struct faas_bin){1769, 1};
  return p;
}

static faas_world *world(env *e, const struct faas_provider *p, uint32_t n) {
  char *err = NULL;
  faas_world *w = faas_world_new(e, p, n, fns, NFNS, &err);
  if (!w) fail_msg("faas_world_new: %s", err);
  return w;
}

struct call {
  struct invocation inv;
  struct invoke_result res;
  int got;
  cm_time at, got_at;
};

static void on_done(env *e, void *arg, const struct invoke_result *res) {
  struct call *c = arg;
  c->res = *res;
  c->got++;
  c->got_at = env_now(e);
}

static void submit_cb(env *e, void *arg) {
  struct call *c = arg;
  c->at = env_now(e);
  assert_true(env_invoke(e, &c->inv, on_done, c) > 0);
  assert_int_equal(c->got, 0); /* never inside the call */
}

static struct call *call_at(env *e, struct call *c, cm_time t, uint32_t provider, const char *fn) {
  c->inv = (struct invocation){.function = fn, .provider = provider};
  env_after(e, t - env_now(e), submit_cb, c);
  return c;
}

static void assert_ok(const struct call *c, cm_time latency, bool cold) {
  assert_int_equal(c->got, 1);
  assert_int_equal(c->res.status, INVOKE_OK);
  assert_int_equal(c->res.http_status, 200);
  assert_int_equal(c->res.latency, latency);
  assert_int_equal(c->res.cold_start, cold);
  assert_int_equal(c->got_at - c->at, latency);
}

static void assert_failed(const struct call *c, enum invoke_status st, int http, cm_time latency) {
  assert_int_equal(c->got, 1);
  assert_int_equal(c->res.status, st);
  assert_int_equal(c->res.http_status, http);
  assert_int_equal(c->res.latency, latency);
  assert_int_equal(c->res.exec_time, 0);
}

static void assert_drained(faas_world *w) {
  for (uint32_t p = 0; p < faas_world_nproviders(w); p++) {
    struct faas_stats s;
    faas_world_stats(w, p, &s);
    uint64_t failed = 0;
    for (int k = 0; k < INVOKE_NSTATUS; k++) failed += s.failed[k];
    assert_int_equal(s.invoked, s.completed + failed);
    assert_int_equal(s.in_flight, 0);
    assert_int_equal(s.running, 0);
    assert_int_equal(s.queued, 0);
  }
}

static void test_platform_table(void **state CM_UNUSED) {
  const char *names[] = {"lambda", "azure", "cloudrun", "openfaas", "fission"};
  for (int i = 0; i < 5; i++) {
    const struct platform_ops *o = platform_find(names[i]);
    assert_non_null(o);
    assert_string_equal(o->name, names[i]);
    assert_true(o->default_timeout > 0);
  }
  assert_null(platform_find("knative"));
  assert_non_null(strstr(platform_names(), "fission"));
  double mu, sigma;
  faas_lognormal_params(2.0, 0.5, &mu, &sigma);
  assert_true(fabs(sigma * sigma - log(1.25)) < 1e-12);
  assert_true(fabs(exp(mu + sigma * sigma / 2) - 2.0) < 1e-12);
}

/* Cold, then warm: every part of the latency by hand. */
static void test_latency_hand_computed(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  faas_world *w = world(e, &p, 1);
  struct call c[2] = {0};
  call_at(e, &c[0], 0, 0, "f");
  call_at(e, &c[1], CM_S(5), 0, "f");
  env_run(e, CM_TIME_MAX);
  assert_ok(&c[0], CM_MS(10 + 20 + 500 + 2100 + 10), true);
  assert_int_equal(c[0].res.exec_time, CM_MS(2100));
  assert_int_equal(c[0].res.init_time, CM_MS(500));
  assert_ok(&c[1], CM_MS(10 + 20 + 2100 + 10), false);
  assert_int_equal(c[1].res.init_time, 0);
  assert_int_equal(c[1].res.mem_samples, 21);
  assert_true(c[1].res.mem_peak_mb == 512);
  assert_true(fabs(c[1].res.mem_mean_mb - 512 * (0.75 + 0.25 / 21)) < 1e-9);
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.invoked, 2);
  assert_int_equal(s.completed, 2);
  assert_int_equal(s.cold_starts, 1);
  assert_int_equal(s.warm_idle, 1);
  assert_true(fabs(s.busy_s - 4.2) < 1e-9);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* 4 MB at 100 Mbit/s adds 0.32 s, up or down. */
static void test_bandwidth(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  p.link_bandwidth_bps = 100e6;
  faas_world *w = world(e, &p, 1);
  struct call c[3] = {0};
  call_at(e, &c[0], 0, 0, "f");
  call_at(e, &c[1], CM_S(10), 0, "f")->inv.request_bytes = 4000000;
  call_at(e, &c[2], CM_S(20), 0, "f")->inv.response_bytes = 4000000;
  env_run(e, CM_TIME_MAX);
  assert_ok(&c[0], CM_MS(2640), true);
  assert_ok(&c[1], CM_MS(2140 + 320), false);
  assert_ok(&c[2], CM_MS(2140 + 320), false);
  /* Still uploading at its timeout: it never reaches the platform. */
  faas_world_set_link(w, 0, CM_MS(10), 0, 1e6); /* 4 MB: 32 s */
  struct call slow = {0};
  call_at(e, &slow, CM_S(30), 0, "f")->inv.request_bytes = 4000000;
  slow.inv.timeout = CM_S(10);
  env_run(e, CM_TIME_MAX);
  assert_failed(&slow, INVOKE_TIMEOUT, 504, CM_S(10));
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_true(fabs(s.busy_s - 3 * 2.1) < 1e-9);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* keep_alive 60 s: warm within it (it restarts at each use), cold after. */
static void test_keep_alive(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  p.keep_alive = CM_S(60);
  faas_world *w = world(e, &p, 1);
  struct call c[4] = {0};
  call_at(e, &c[0], 0, 0, "f");        /* idle from 2.63 s */
  call_at(e, &c[1], CM_S(10), 0, "f"); /* idle from 12.13 s */
  call_at(e, &c[2], CM_S(70), 0, "f"); /* arrives 70.01 < 72.13; idle from 72.14 */
  call_at(e, &c[3], CM_S(140), 0, "f"); /* arrives 140.01 >= 132.14 */
  env_run(e, CM_TIME_MAX);
  assert_ok(&c[0], CM_MS(2640), true);
  assert_ok(&c[1], CM_MS(2140), false);
  assert_ok(&c[2], CM_MS(2140), false);
  assert_ok(&c[3], CM_MS(2640), true);
  faas_world_free(w);
  env_free(e);
}

/* Lambda, account limit 10: the 11th concurrent call is throttled at once. */
static void test_lambda_throttles(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  p.concurrency_limit = 10;
  p.queue_max = 5; /* ignored: Lambda never queues */
  faas_world *w = world(e, &p, 1);
  struct call c[11] = {0};
  for (int i = 0; i < 11; i++) call_at(e, &c[i], 0, 0, "f");
  env_run(e, CM_TIME_MAX);
  for (int i = 0; i < 10; i++) assert_ok(&c[i], CM_MS(2640), true);
  assert_failed(&c[10], INVOKE_THROTTLED, 429, CM_MS(20));
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.failed[INVOKE_THROTTLED], 1);
  assert_int_equal(s.peak_running, 10);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* Cloud Run, 2 instances x concurrency 1: extra requests wait, then 429. */
static void test_cloudrun_queue(void **state CM_UNUSED) {
  for (int variant = 0; variant < 3; variant++) {
    env *e = env_sim_new(1);
    struct faas_provider p = prov("gcp", "cloudrun");
    p.concurrency_limit = 2;
    p.queue_max = variant == 2 ? 0 : 10;
    p.queue_timeout = variant == 0 ? CM_S(1) : CM_S(5);
    faas_world *w = world(e, &p, 1);
    struct call c[4] = {0};
    for (int i = 0; i < 4; i++) call_at(e, &c[i], 0, 0, "f");
    env_run(e, CM_TIME_MAX);
    assert_ok(&c[0], CM_MS(2640), true);
    assert_ok(&c[1], CM_MS(2640), true);
    for (int i = 2; i < 4; i++) {
      if (variant == 0) assert_failed(&c[i], INVOKE_THROTTLED, 429, CM_MS(10 + 1000 + 10));
      else if (variant == 1) assert_ok(&c[i], CM_MS(2630 + 20 + 2100 + 10), false); /* warm after a wait */
      else assert_failed(&c[i], INVOKE_THROTTLED, 429, CM_MS(20));
    }
    assert_drained(w);
    faas_world_free(w);
    env_free(e);
  }
  /* Defaults: 80 requests per instance, a 10 s wait. */
  env *e = env_sim_new(1);
  struct faas_provider p = prov("gcp", "cloudrun");
  p.container_concurrency = 0;
  p.queue_max = 1;
  faas_world *w = world(e, &p, 1);
  assert_int_equal(faas_world_provider(w, 0)->container_concurrency, 80);
  assert_int_equal(faas_world_provider(w, 0)->queue_timeout, CM_S(10));
  faas_world_free(w);
  env_free(e);
}

/* Container concurrency 2, one instance: the second request shares the
 * starting container (and waits for its start), the third is refused. */
static void test_container_concurrency(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("gcp", "cloudrun");
  p.concurrency_limit = 1;
  p.container_concurrency = 2;
  faas_world *w = world(e, &p, 1);
  struct call c[3] = {0};
  for (int i = 0; i < 3; i++) call_at(e, &c[i], 0, 0, "f");
  env_run(e, CM_TIME_MAX);
  assert_ok(&c[0], CM_MS(2640), true);
  assert_ok(&c[1], CM_MS(2640), true);
  assert_int_equal(c[1].res.init_time, CM_MS(500));
  assert_failed(&c[2], INVOKE_THROTTLED, 429, CM_MS(20));
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.warm_idle, 1); /* one container served both */
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
  /* Two instances: the third request starts a second container. */
  e = env_sim_new(1);
  p.concurrency_limit = 2;
  w = world(e, &p, 1);
  memset(c, 0, sizeof c);
  for (int i = 0; i < 3; i++) call_at(e, &c[i], 0, 0, "f");
  env_run(e, CM_TIME_MAX);
  for (int i = 0; i < 3; i++) assert_ok(&c[i], CM_MS(2640), true);
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.warm_idle, 2);
  assert_int_equal(s.peak_running, 3);
  faas_world_free(w);
  env_free(e);
}

/* The edge's cores and memory: beyond them requests queue, or are
 * refused with queue_max 0, or give up with 503 after queue_timeout. */
static void test_edge_capacity(void **state CM_UNUSED) {
  for (int variant = 0; variant < 4; variant++) {
    env *e = env_sim_new(1);
    struct faas_provider p = prov("edge", variant == 3 ? "fission" : "openfaas");
    p.tier = FAAS_LOCAL_EDGE;
    p.cpu_cores = 2;
    p.memory_mb = 8192;
    p.bins[0] = (struct faas_bin){1024, 1};
    p.queue_max = variant == 1 ? 0 : 5;
    p.queue_timeout = variant == 2 ? CM_S(1) : CM_S(60);
    if (variant == 3) { /* memory bound: one 1500 MB request at a time */
      p.memory_mb = 2048;
      p.cpu_cores = 8;
      p.bins[0] = (struct faas_bin){1500, 0.5};
    }
    faas_world *w = world(e, &p, 1);
    struct call c[3] = {0};
    for (int i = 0; i < 3; i++) call_at(e, &c[i], 0, 0, "f");
    env_run(e, CM_TIME_MAX);
    cm_time ex = variant == 3 ? CM_MS(100 + 4000) : CM_MS(2100); /* 0.5 vCPU halves the speed */
    assert_ok(&c[0], CM_MS(540) + ex, true);
    if (variant == 3) {
      assert_ok(&c[1], CM_MS(530) + ex + CM_MS(30) + ex, false);
      assert_ok(&c[2], CM_MS(530) + 2 * (ex + CM_MS(20)) + CM_MS(10) + ex, false);
    } else {
      assert_ok(&c[1], CM_MS(2640), true);
      if (variant == 0) assert_ok(&c[2], CM_MS(2630 + 20 + 2100 + 10), false);
      if (variant == 1) assert_failed(&c[2], INVOKE_THROTTLED, 429, CM_MS(20));
      if (variant == 2) assert_failed(&c[2], INVOKE_THROTTLED, 503, CM_MS(1020));
    }
    assert_drained(w);
    faas_world_free(w);
    env_free(e);
  }
}

/* Kubernetes capacity (issue 12): a flood of 2,000 calls at once on an
 * OpenFaaS cluster of 2 nodes of 3 pods runs 6, queues queue_max = 10
 * (each gives up after 50 ms with 503, before any running call ends) and
 * refuses the rest at once with 429; nothing is absorbed. With the
 * kubelet's default 110 pods per node and no queue, 110 run and the rest
 * get 429. Pods are placed per node: 2 nodes of 5 cores hold 2 requests of
 * 2 vCPU each (4 in all, not the 5 that 10 pooled cores would take). */
static void test_k8s_cluster_capacity(void **state CM_UNUSED) {
  enum { N = 2000 };
  for (int variant = 0; variant < 3; variant++) {
    env *e = env_sim_new(1);
    struct faas_provider p = prov("wavelength", variant == 1 ? "fission" : "openfaas");
    p.tier = FAAS_REMOTE_EDGE;
    if (variant == 0) {
      p.nodes = 2;
      p.pods_per_node = 3;
      p.queue_max = 10;
      p.queue_timeout = CM_MS(50);
    } else if (variant == 2) {
      p.nodes = 2;
      p.cpu_cores = 5;
      p.bins[0] = (struct faas_bin){1024, 2};
    }
    faas_world *w = world(e, &p, 1);
    assert_int_equal(faas_world_provider(w, 0)->pods_per_node, variant == 0 ? 3 : 110);
    assert_int_equal(faas_world_provider(w, 0)->nodes, variant == 1 ? 1 : 2);
    struct call *c = g_new0(struct call, N);
    for (int i = 0; i < N; i++) call_at(e, &c[i], 0, 0, "f");
    env_run(e, CM_TIME_MAX);
    int ok = 0, q503 = 0, r429 = 0;
    for (int i = 0; i < N; i++) {
      assert_int_equal(c[i].got, 1);
      if (c[i].res.status == INVOKE_OK) ok++;
      else if (c[i].res.status == INVOKE_THROTTLED && c[i].res.http_status == 503) q503++;
      else if (c[i].res.status == INVOKE_THROTTLED && c[i].res.http_status == 429) r429++;
    }
    struct faas_stats st;
    faas_world_stats(w, 0, &st);
    const int run[3] = {6, 110, 4}, queued[3] = {10, 0, 0};
    assert_int_equal(st.peak_running, run[variant]);
    assert_int_equal(ok, run[variant]);
    assert_int_equal(q503, queued[variant]);
    assert_int_equal(r429, N - run[variant] - queued[variant]);
    assert_drained(w);
    g_free(c);
    faas_world_free(w);
    env_free(e);
  }
}

/* The edge queue is FIFO: a small request that would fit waits behind a
 * queued big one (2 cores) until the big one has started. */
static void test_edge_fifo(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("edge", "openfaas");
  p.cpu_cores = 2;
  p.nbins = 2;
  p.bins[0] = (struct faas_bin){1024, 1};
  p.bins[1] = (struct faas_bin){1024, 2};
  p.queue_max = 5;
  faas_world *w = world(e, &p, 1);
  struct call c[3] = {0};
  call_at(e, &c[0], 0, 0, "f");
  call_at(e, &c[1], CM_MS(1), 0, "f")->inv.bin = 1;
  call_at(e, &c[2], CM_MS(2), 0, "f");
  env_run(e, CM_TIME_MAX);
  assert_ok(&c[0], CM_MS(2640), true);
  /* c[1] starts at 2630 ms (cold: its own bin), exec 100 + 1000 ms */
  assert_ok(&c[1], CM_MS(2630 + 20 + 500 + 1100 + 10) - CM_MS(1), true);
  /* c[2] starts when c[1] ends (4250 ms), warm */
  assert_ok(&c[2], CM_MS(4250 + 20 + 2100 + 10) - CM_MS(2), false);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* An outage over [3 s, 6 s), judged at arrival: calls arriving at exactly
 * 3 s fail, at exactly 6 s succeed. */
static void test_outage_window(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  faas_world *w = world(e, &p, 1);
  assert_int_equal(faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_OUTAGE, CM_S(3), CM_S(6), 0}), 0);
  struct call c[10] = {0};
  for (int k = 1; k < 10; k++) call_at(e, &c[k], CM_S(k) - CM_MS(10), 0, "tiny");
  env_run(e, CM_TIME_MAX);
  for (int k = 1; k < 10; k++) {
    if (k >= 3 && k < 6) assert_failed(&c[k], INVOKE_ERROR, 500, CM_MS(20));
    else assert_int_equal(c[k].res.status, INVOKE_OK);
  }
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* Slow-down x3 inside its window; a TIMEOUT fault hangs calls until their
 * timeout; a short invocation timeout ends the call at exactly its timeout
 * while the platform finishes the work. */
static void test_slowdown_and_timeouts(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  faas_world *w = world(e, &p, 1);
  faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_SLOWDOWN, 0, CM_S(100), 3.0});
  faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_TIMEOUT, CM_S(200), CM_S(300), 0});
  struct call c[6] = {0};
  call_at(e, &c[0], 0, 0, "f");
  call_at(e, &c[1], CM_S(150), 0, "f");
  call_at(e, &c[2], CM_S(400), 0, "f")->inv.timeout = CM_S(1);
  call_at(e, &c[3], CM_S(250), 0, "f")->inv.timeout = CM_S(5);
  call_at(e, &c[4], CM_S(250), 0, "f"); /* the default: Lambda's 900 s */
  call_at(e, &c[5], CM_S(500), 0, "f")->inv.timeout = CM_MS(2140); /* just in time */
  struct call late = {0};
  call_at(e, &late, CM_S(510), 0, "f")->inv.timeout = CM_MS(2140) - 1; /* 1 ns short */
  env_run(e, CM_S(401) + CM_MS(500));
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.in_flight, 1); /* c[4], hanging until 1150 s */
  assert_int_equal(s.running, 1);   /* c[2] timed out for its client, still runs */
  env_run(e, CM_TIME_MAX);
  assert_int_equal(c[0].res.exec_time, CM_MS(6300));
  assert_ok(&c[1], CM_MS(2140), false);
  assert_failed(&c[2], INVOKE_TIMEOUT, 504, CM_S(1));
  assert_int_equal(c[2].got_at, CM_S(401));
  assert_failed(&c[3], INVOKE_TIMEOUT, 504, CM_S(5));
  assert_failed(&c[4], INVOKE_TIMEOUT, 504, CM_S(900));
  assert_ok(&c[5], CM_MS(2140), false);
  assert_failed(&late, INVOKE_TIMEOUT, 504, CM_MS(2140) - 1);
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.failed[INVOKE_TIMEOUT], 4);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* A link taken down fails calls with INVOKE_NETWORK at their timeout; a
 * LINK_DOWN window does the same; set_link changes the latency. */
static void test_links(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  faas_world *w = world(e, &p, 1);
  faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_LINK_DOWN, CM_S(10), CM_S(20), 0});
  assert_int_equal(faas_world_set_link_up(w, 0, false), 0);
  struct call c[4] = {0};
  call_at(e, &c[0], 0, 0, "f")->inv.timeout = CM_S(3);
  env_run(e, CM_S(5));
  faas_world_set_link_up(w, 0, true);
  call_at(e, &c[1], CM_S(15), 0, "f")->inv.timeout = CM_S(3);
  call_at(e, &c[2], CM_S(25), 0, "f");
  env_run(e, CM_S(30));
  assert_int_equal(faas_world_set_link(w, 0, CM_MS(50), 0, 0), 0);
  call_at(e, &c[3], CM_S(40), 0, "f");
  env_run(e, CM_TIME_MAX);
  assert_failed(&c[0], INVOKE_NETWORK, 0, CM_S(3));
  assert_failed(&c[1], INVOKE_NETWORK, 0, CM_S(3));
  assert_ok(&c[2], CM_MS(2640), true);
  assert_ok(&c[3], CM_MS(2140 + 80), false);
  assert_int_equal(faas_world_set_link(w, 1, 0, 0, 0), CM_EINVAL);
  assert_int_equal(faas_world_set_link(w, 0, -1, 0, 0), CM_EINVAL);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

/* A function needing more memory than its bin is killed: 500, never warm. */
static void test_oom(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  faas_world *w = world(e, &p, 1);
  struct call c[2] = {0};
  call_at(e, &c[0], 0, 0, "big");
  call_at(e, &c[1], CM_S(10), 0, "big");
  env_run(e, CM_TIME_MAX);
  for (int i = 0; i < 2; i++) {
    assert_failed(&c[i], INVOKE_ERROR, 500, CM_MS(10 + 20 + 500 + 10));
    assert_true(c[i].res.cold_start);
    assert_true(c[i].res.mem_peak_mb == 1769);
  }
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.warm_idle, 0);
  assert_drained(w);
  faas_world_free(w);
  env_free(e);
}

static int ncalled;
static void count_cb(env *e CM_UNUSED, void *arg CM_UNUSED, const struct invoke_result *r CM_UNUSED) { ncalled++; }

/* Bad calls are refused synchronously and never call back; bad configs
 * and faults are refused with a message naming the field. */
static void test_bad_calls_and_configs(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("aws", "lambda");
  faas_world *w = world(e, &p, 1);
  ncalled = 0;
  struct invocation bad[] = {{.function = "f", .provider = 1},
                             {.function = "nope", .provider = 0},
                             {.function = "f", .provider = 0, .bin = 1},
                             {.function = NULL, .provider = 0},
                             {.function = "f", .provider = 0, .timeout = -1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(env_invoke(e, &bad[i], count_cb, NULL), CM_EINVAL);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(ncalled, 0);
  struct faas_stats s;
  faas_world_stats(w, 0, &s);
  assert_int_equal(s.invoked, 0);
  assert_int_equal(faas_world_find_provider(w, "aws"), 0);
  assert_int_equal(faas_world_find_function(w, "heavy"), 3);
  assert_int_equal(faas_world_find_function(w, "x"), -1);
  assert_int_equal(faas_world_add_fault(w, &(struct faas_fault){1, FAAS_FAULT_OUTAGE, 0, 1, 0}), CM_EINVAL);
  assert_int_equal(faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_OUTAGE, 5, 1, 0}), CM_EINVAL);
  assert_int_equal(faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_SLOWDOWN, 0, 1, 0.5}), CM_EINVAL);
  assert_int_equal(faas_world_add_fault(w, &(struct faas_fault){0, FAAS_FAULT_ERRORS, 0, 1, 1.5}), CM_EINVAL);
  faas_world_free(w);

  struct faas_provider two[2] = {prov("a", "lambda"), prov("a", "knative")};
  char *err = NULL;
  assert_null(faas_world_new(e, two, 2, fns, NFNS, &err));
  assert_non_null(strstr(err, "platform 'knative' unknown"));
  g_free(err);
  snprintf(two[1].platform, sizeof two[1].platform, "azure");
  assert_null(faas_world_new(e, two, 2, fns, NFNS, &err));
  assert_non_null(strstr(err, "name already used"));
  g_free(err);
  snprintf(two[1].name, sizeof two[1].name, "b");
  two[1].keep_alive = -5;
  assert_null(faas_world_new(e, two, 2, fns, NFNS, &err));
  assert_non_null(strstr(err, "provider 1 'b': keep_alive"));
  g_free(err);
  two[1].keep_alive = 0;
  two[1].nbins = 0;
  assert_null(faas_world_new(e, two, 2, fns, NFNS, &err));
  assert_non_null(strstr(err, "nbins"));
  g_free(err);
  env_free(e);
}

/* Seed Fig. 5: a provider with a low overhead and slow vCPUs wins on small
 * models and loses on large ones to one with a high overhead and fast vCPUs. */
static void test_gflop_ranking(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p[2] = {prov("fission-ish", "lambda"), prov("fast", "lambda")};
  p[0].exec_overhead = CM_MS(50);
  p[0].gflops_per_vcpu = 5;
  p[1].exec_overhead = CM_MS(800);
  p[1].gflops_per_vcpu = 50;
  faas_world *w = world(e, p, 2);
  struct call c[4] = {0};
  call_at(e, &c[0], 0, 0, "tiny");
  call_at(e, &c[1], 0, 1, "tiny");
  call_at(e, &c[2], 0, 0, "heavy");
  call_at(e, &c[3], 0, 1, "heavy");
  env_run(e, CM_TIME_MAX);
  assert_int_equal(c[0].res.exec_time, CM_MS(250));
  assert_int_equal(c[1].res.exec_time, CM_MS(820));
  assert_int_equal(c[2].res.exec_time, CM_MS(6050));
  assert_int_equal(c[3].res.exec_time, CM_MS(1400));
  assert_true(c[0].res.latency < c[1].res.latency); /* small: the low overhead wins */
  assert_true(c[2].res.latency > c[3].res.latency); /* large: the fast vCPU wins */
  faas_world_free(w);
  env_free(e);
}

/* Serial calls on one provider, summing exec times. */
struct serial {
  struct invocation inv;
  int left, n;
  double sum, sumsq;
};

static void serial_done(env *e, void *arg, const struct invoke_result *r) {
  struct serial *s = arg;
  double x = cm_time_to_s(r->exec_time);
  s->n++;
  s->sum += x;
  s->sumsq += x * x;
  if (--s->left > 0) assert_true(env_invoke(e, &s->inv, serial_done, s) > 0);
}

static double serial_var(const struct serial *s) {
  double m = s->sum / s->n;
  return s->sumsq / s->n - m * m;
}

/* Contention (seed 6.5: the edge varies most) raises the variance of exec. */
static void test_contention_variance(void **state CM_UNUSED) {
  env *e = env_sim_new(7);
  struct faas_provider p[2] = {prov("calm", "openfaas"), prov("busy", "openfaas")};
  for (int i = 0; i < 2; i++) p[i].exec_cv = 0.1;
  p[1].var = (struct faas_variability){.contention_factor = 3, .contention_on_mean = CM_S(10),
                                       .contention_off_mean = CM_S(10)};
  faas_world *w = world(e, p, 2);
  struct serial s[2];
  for (uint32_t i = 0; i < 2; i++) {
    s[i] = (struct serial){.inv = {.function = "f", .provider = i}, .left = 500};
    assert_true(env_invoke(e, &s[i].inv, serial_done, &s[i]) > 0);
  }
  env_run(e, CM_TIME_MAX);
  assert_int_equal(s[0].n, 500);
  assert_int_equal(s[1].n, 500);
  assert_true(fabs(s[0].sum / 500 - 2.1) < 0.05);
  assert_true(serial_var(&s[1]) > 10 * serial_var(&s[0]));
  faas_world_free(w);
  env_free(e);
}

/* A random mixed run over every platform with faults: every call ends once;
 * returns a hash of the results in callback order. */
#define MIX_MAX 3000
struct mix {
  env *e;
  faas_world *w;
  rng *r;
  struct call calls[MIX_MAX];
  int n, done;
  uint64_t hash;
  uint64_t by_status[INVOKE_NSTATUS];
};

static void mix_done(env *e CM_UNUSED, void *arg, const struct invoke_result *res) {
  struct call *c = arg;
  struct mix *m = (struct mix *)(uintptr_t)c->inv.id;
  c->got++;
  c->res = *res;
  m->done++;
  m->by_status[res->status]++;
  int64_t v[] = {(int64_t)(c - m->calls), res->status, res->http_status, res->latency, res->exec_time,
                 res->init_time, res->cold_start, res->mem_samples};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) m->hash = (m->hash ^ (uint64_t)v[i]) * 0x100000001b3ull;
}

static void mix_arrive(env *e, void *arg) {
  struct mix *m = arg;
  if (m->n == MIX_MAX || env_now(e) > CM_S(60)) return;
  struct call *c = &m->calls[m->n++];
  static const cm_time timeouts[] = {0, CM_S(1), CM_S(5)};
  uint32_t p = (uint32_t)rng_below(m->r, 5);
  c->inv = (struct invocation){.id = (uint64_t)(uintptr_t)m, .function = fns[rng_below(m->r, NFNS)].name,
                               .provider = p, .bin = (uint32_t)rng_below(m->r, faas_world_provider(m->w, p)->nbins),
                               .request_bytes = (size_t)rng_below(m->r, 4000000), .response_bytes = 1000,
                               .timeout = timeouts[rng_below(m->r, 3)]};
  assert_true(env_invoke(e, &c->inv, mix_done, c) > 0);
  env_after(e, (cm_time)rng_exponential(m->r, 5e7), mix_arrive, m);
}

static void link_flip(env *e CM_UNUSED, void *arg) {
  struct mix *m = arg;
  faas_world_set_link_up(m->w, 3, false);
}

static uint64_t mix_run(uint64_t seed, struct mix *m) {
  memset(m, 0, sizeof(*m));
  m->hash = 0xcbf29ce484222325ull;
  env *e = env_sim_new(seed);
  struct faas_provider p[5] = {prov("aws", "lambda"), prov("gcp", "cloudrun"), prov("azr", "azure"),
                               prov("edge", "openfaas"), prov("aws-fission", "fission")};
  p[0].concurrency_limit = 5, p[0].error_rate = 0.05, p[0].exec_cv = 0.3, p[0].cold_start_cv = 0.5;
  p[0].link_jitter_sd = CM_MS(2);
  p[1].concurrency_limit = 3, p[1].container_concurrency = 2, p[1].queue_max = 4, p[1].queue_timeout = CM_S(2);
  p[1].sched_delay_cv = 0.5, p[1].keep_alive = CM_S(5);
  p[2].concurrency_limit = 4;
  p[3].cpu_cores = 4, p[3].memory_mb = 4096, p[3].nbins = 2, p[3].queue_max = 3, p[3].exec_cv = 0.2;
  p[3].bins[0] = (struct faas_bin){1024, 1}, p[3].bins[1] = (struct faas_bin){2048, 2};
  p[3].var = (struct faas_variability){0.2, CM_S(30), 2.0, CM_S(3), CM_S(5)};
  p[4].concurrency_limit = 2, p[4].link_bandwidth_bps = 50e6;
  m->w = world(e, p, 5);
  m->e = e;
  m->r = env_rng(e, "test:mix");
  struct faas_fault f[] = {{2, FAAS_FAULT_OUTAGE, CM_S(20), CM_S(30), 0}, {0, FAAS_FAULT_ERRORS, CM_S(10), CM_S(40), 0.5},
                           {1, FAAS_FAULT_SLOWDOWN, 0, CM_S(50), 2}, {4, FAAS_FAULT_TIMEOUT, CM_S(30), CM_S(35), 0},
                           {3, FAAS_FAULT_LINK_DOWN, CM_S(40), CM_S(45), 0}};
  for (int i = 0; i < 5; i++) assert_int_equal(faas_world_add_fault(m->w, &f[i]), 0);
  env_after(e, CM_S(55), link_flip, m);
  env_after(e, 0, mix_arrive, m);
  env_run(e, CM_TIME_MAX);
  assert_drained(m->w);
  uint64_t total = 0;
  for (uint32_t i = 0; i < 5; i++) {
    struct faas_stats s;
    faas_world_stats(m->w, i, &s);
    total += s.invoked;
  }
  assert_int_equal(total, m->n);
  assert_int_equal(m->done, m->n);
  for (int i = 0; i < m->n; i++) assert_int_equal(m->calls[i].got, 1);
  faas_world_free(m->w);
  env_free(e);
  return m->hash;
}

static void test_mixed_accounting_and_seed(void **state CM_UNUSED) {
  struct mix *m = g_new0(struct mix, 1);
  uint64_t h1 = mix_run(42, m);
  assert_true(m->n > 1000);
  for (int k = 0; k < INVOKE_NSTATUS; k++) assert_true(m->by_status[k] > 0); /* every outcome occurred */
  uint64_t h2 = mix_run(42, m);
  uint64_t h3 = mix_run(43, m);
  assert_true(h1 == h2);
  assert_true(h1 != h3);
  g_free(m);
}

/* Freeing the world with calls in flight: they never call back, even if
 * the env keeps running. */
static void test_free_in_flight(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct faas_provider p = prov("gcp", "cloudrun");
  p.concurrency_limit = 2;
  p.queue_max = 10;
  faas_world *w = world(e, &p, 1);
  struct call c[8] = {0};
  for (int i = 0; i < 8; i++) call_at(e, &c[i], CM_MS(i), 0, "f");
  env_run(e, CM_S(1));
  faas_world_free(w);
  env_run(e, CM_TIME_MAX);
  for (int i = 0; i < 8; i++) assert_int_equal(c[i].got, 0);
  struct invocation inv = {.function = "f"};
  assert_int_equal(env_invoke(e, &inv, count_cb, NULL), CM_ENOSYS);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_platform_table),
      cmocka_unit_test(test_latency_hand_computed),
      cmocka_unit_test(test_bandwidth),
      cmocka_unit_test(test_keep_alive),
      cmocka_unit_test(test_lambda_throttles),
      cmocka_unit_test(test_cloudrun_queue),
      cmocka_unit_test(test_container_concurrency),
      cmocka_unit_test(test_edge_capacity),
      cmocka_unit_test(test_k8s_cluster_capacity),
      cmocka_unit_test(test_edge_fifo),
      cmocka_unit_test(test_outage_window),
      cmocka_unit_test(test_slowdown_and_timeouts),
      cmocka_unit_test(test_links),
      cmocka_unit_test(test_oom),
      cmocka_unit_test(test_bad_calls_and_configs),
      cmocka_unit_test(test_gflop_ranking),
      cmocka_unit_test(test_contention_variance),
      cmocka_unit_test(test_mixed_accounting_and_seed),
      cmocka_unit_test(test_free_in_flight),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
