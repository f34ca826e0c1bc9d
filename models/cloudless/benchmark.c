/* The benchmarking engine: the built-in recorder (per-provider Welford
 * accumulators for the seed 5.1.2 metrics, fed by the scheduler's hooks)
 * and the periodic probe (a timer per round; one empty-function invocation
 * per provider sent with env_invoke; benchmark_probe_free cancels the
 * probes in flight, so no result arrives after it). */
#include "cloudless/benchmark.h"

#include <math.h>
#include <string.h>

#include <glib.h>

/* ---- running mean and variance (Welford 1962) ---- */

struct acc {
  uint64_t n;
  double mean, m2;
};

static void acc_add(struct acc *a, double x) {
  a->n++;
  double d = x - a->mean;
  a->mean += d / (double)a->n;
  a->m2 += d * (x - a->mean);
}

static struct benchmark_stat acc_stat(const struct acc *a) {
  return (struct benchmark_stat){.n = a->n, .mean = a->mean, .sd = a->n > 1 ? sqrt(a->m2 / (double)(a->n - 1)) : 0};
}

/* ---- the built-in recorder ---- */

struct rec_prov {
  uint64_t attempts, ok, failed[INVOKE_NSTATUS], warm, cold, mem_samples;
  struct acc exec, net, init, latency, mem_peak, mem_mean, overhead;
};

struct benchmark_recorder {
  struct benchmark hooks;
  uint32_t n;
  struct rec_prov *p;
};

static void rec_before(void *state, const struct benchmark_attempt *a) {
  benchmark_recorder *r = state;
  if (a->provider >= r->n) return;
  struct rec_prov *p = &r->p[a->provider];
  p->attempts++;
  acc_add(&p->overhead, (double)a->overhead_ns);
}

static void rec_after(void *state, const struct benchmark_attempt *a, const struct invoke_result *res) {
  benchmark_recorder *r = state;
  if (a->provider >= r->n) return;
  struct rec_prov *p = &r->p[a->provider];
  if (res->status != INVOKE_OK) {
    if ((unsigned)res->status < INVOKE_NSTATUS) p->failed[res->status]++;
    return;
  }
  p->ok++;
  if (res->cold_start) {
    p->cold++;
    acc_add(&p->init, cm_time_to_s(res->init_time));
  } else {
    p->warm++;
  }
  acc_add(&p->exec, cm_time_to_s(res->exec_time));
  acc_add(&p->net, cm_time_to_s(res->latency - res->exec_time - res->init_time));
  acc_add(&p->latency, cm_time_to_s(res->latency));
  if (res->mem_samples > 0 || res->mem_peak_mb > 0) {
    acc_add(&p->mem_peak, res->mem_peak_mb);
    acc_add(&p->mem_mean, res->mem_mean_mb);
    p->mem_samples += res->mem_samples;
  }
}

benchmark_recorder *benchmark_recorder_new(uint32_t nproviders, char **err) {
  if (nproviders == 0) {
    if (err) *err = g_strdup("benchmark: recorder needs at least one provider");
    return NULL;
  }
  benchmark_recorder *r = g_new0(benchmark_recorder, 1);
  r->n = nproviders;
  r->p = g_new0(struct rec_prov, nproviders);
  r->hooks = (struct benchmark){.name = "builtin", .state = r, .before = rec_before, .after = rec_after};
  return r;
}

void benchmark_recorder_free(benchmark_recorder *r) {
  if (!r) return;
  g_free(r->p);
  g_free(r);
}

const struct benchmark *benchmark_recorder_benchmark(benchmark_recorder *r) { return &r->hooks; }

int benchmark_recorder_summary(const benchmark_recorder *r, uint32_t p, struct benchmark_summary *out) {
  if (p >= r->n || !out) return CM_EINVAL;
  const struct rec_prov *x = &r->p[p];
  *out = (struct benchmark_summary){.attempts = x->attempts, .ok = x->ok, .warm = x->warm, .cold = x->cold,
                                    .exec_s = acc_stat(&x->exec), .net_s = acc_stat(&x->net),
                                    .init_s = acc_stat(&x->init), .latency_s = acc_stat(&x->latency),
                                    .mem_peak_mb = acc_stat(&x->mem_peak), .mem_mean_mb = acc_stat(&x->mem_mean),
                                    .mem_samples = x->mem_samples, .overhead_ns = acc_stat(&x->overhead)};
  memcpy(out->failed, x->failed, sizeof(out->failed));
  return CM_OK;
}

/* ---- the periodic probe ---- */

struct probe_prov {
  benchmark_probe *b;
  uint32_t env_provider, bin;
  bool busy;     /* a probe is in flight */
  request_id req; /* of that probe, 0 if none */
  uint64_t sent, ok, failed, skipped;
  double sum_s, last_s;
};

struct benchmark_probe {
  env *e;
  char function[SCHED_NAME_MAX];
  cm_time period, timeout;
  size_t req, resp;
  uint32_t n;
  struct probe_prov *p;
  timer_id timer;
  uint64_t rounds, in_flight;
};

static void probe_result(benchmark_probe *b, uint32_t i, const struct invoke_result *res) {
  struct probe_prov *p = &b->p[i];
  p->busy = false;
  b->in_flight--;
  if (res->status == INVOKE_OK) {
    p->ok++;
    p->last_s = cm_time_to_s(res->latency);
    p->sum_s += p->last_s;
  } else {
    p->failed++;
  }
}

static void on_probe(env *e CM_UNUSED, void *arg, const struct invoke_result *res) {
  struct probe_prov *p = arg;
  p->req = 0;
  probe_result(p->b, (uint32_t)(p - p->b->p), res);
}

static void on_round(env *e, void *arg) {
  benchmark_probe *b = arg;
  b->timer = env_after(e, b->period, on_round, b);
  b->rounds++;
  for (uint32_t i = 0; i < b->n; i++) {
    struct probe_prov *p = &b->p[i];
    if (p->busy) {
      p->skipped++;
      continue;
    }
    struct invocation inv = {.id = b->rounds, .function = b->function, .provider = p->env_provider, .bin = p->bin,
                             .request_bytes = b->req, .response_bytes = b->resp, .timeout = b->timeout};
    p->busy = true;
    p->sent++;
    b->in_flight++;
    request_id id = env_invoke(e, &inv, on_probe, p);
    if (id < 0) probe_result(b, i, &(struct invoke_result){.status = INVOKE_NETWORK}); /* refused: failed at once */
    else p->req = id;
  }
}

benchmark_probe *benchmark_probe_new(env *e, const struct benchmark_probe_config *cfg, char **err) {
  char *msg = NULL;
  const char *fn = cfg && cfg->function ? cfg->function : "empty";
  if (!e || !cfg || !cfg->providers || cfg->nproviders == 0)
    msg = g_strdup("benchmark: probe needs an env and at least one provider");
  else if (cfg->period <= 0)
    msg = g_strdup_printf("benchmark: probe period %lld ns: expected > 0", (long long)cfg->period);
  else if (cfg->timeout < 0)
    msg = g_strdup("benchmark: probe: negative timeout");
  else if (strnlen(fn, SCHED_NAME_MAX) == SCHED_NAME_MAX)
    msg = g_strdup_printf("benchmark: probe function name longer than %d bytes", SCHED_NAME_MAX - 1);
  if (msg) {
    if (err) *err = msg; else g_free(msg);
    return NULL;
  }
  benchmark_probe *b = g_new0(benchmark_probe, 1);
  b->e = e;
  strcpy(b->function, fn);
  b->period = cfg->period;
  b->timeout = cfg->timeout;
  b->req = cfg->request_bytes;
  b->resp = cfg->response_bytes;
  b->n = cfg->nproviders;
  b->p = g_new0(struct probe_prov, b->n);
  for (uint32_t i = 0; i < b->n; i++) {
    b->p[i].b = b;
    b->p[i].env_provider = cfg->providers[i].env_provider;
    b->p[i].bin = cfg->providers[i].bin;
  }
  b->timer = env_after(e, 0, on_round, b);
  return b;
}

void benchmark_probe_stop(benchmark_probe *b) {
  if (b->timer) env_cancel(b->e, b->timer);
  b->timer = 0;
}

void benchmark_probe_free(benchmark_probe *b) {
  if (!b) return;
  benchmark_probe_stop(b);
  for (uint32_t i = 0; i < b->n; i++)
    if (b->p[i].req) env_invoke_cancel(b->e, b->p[i].req);
  g_free(b->p);
  g_free(b);
}

int benchmark_probe_estimate(const benchmark_probe *b, uint32_t i, struct benchmark_probe_stat *out) {
  if (i >= b->n || !out) return CM_EINVAL;
  const struct probe_prov *p = &b->p[i];
  *out = (struct benchmark_probe_stat){.sent = p->sent, .ok = p->ok, .failed = p->failed, .in_flight = p->busy,
                                       .skipped = p->skipped, .count = p->ok,
                                       .mean_s = p->ok ? p->sum_s / (double)p->ok : NAN,
                                       .last_s = p->ok ? p->last_s : NAN};
  return CM_OK;
}

uint64_t benchmark_probe_rounds(const benchmark_probe *b) { return b->rounds; }
uint64_t benchmark_probe_in_flight(const benchmark_probe *b) { return b->in_flight; }
