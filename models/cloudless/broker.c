/* The broker of a live run (broker.h): lanes of (scheduler, workload) with
 * the billing engine, cache and benchmarking engine they share. */
#include "cloudless/broker.h"

#include <string.h>

#include <glib.h>

struct lane {
  broker *b;
  sched *s;
  workload *w;
  int provider;         /* per_provider: the world index of its only provider; else -1 */
  const char *function; /* per_provider: its function; else NULL */
};

struct broker {
  env *e;
  struct broker_config cfg;
  broker_call_fn on_call;
  void *arg;
  billing *bill;
  cache *memo;
  benchmark_recorder *bench;
  benchmark_probe *probe;
  struct lane *lanes;
  uint32_t nlanes;
};

static void on_done(void *arg, const struct sched_record *rec) {
  struct lane *ln = arg;
  broker *b = ln->b;
  int provider = rec->provider; /* the scheduler's index -> the world's */
  if (provider >= 0) {
    if (ln->provider >= 0) provider = ln->provider;
    else if (b->cfg.only >= 0) provider = b->cfg.only;
    else provider = (int)b->cfg.sched.providers[provider].env_provider;
  }
  if (b->on_call) b->on_call(b->arg, (uint32_t)(ln - b->lanes), provider, rec);
  workload_done(ln->w, rec->id, rec->outcome == SCHED_FAILED);
}

static int build(broker *b, char **err) {
  const struct broker_config *c = &b->cfg;
  b->bill = billing_new(c->nall, c->budget_usd, err);
  if (!b->bill) return -1;
  if (c->cache_entries && !(b->memo = cache_new(c->cache_entries, c->cache_ttl, err))) return -1;
  uint32_t nf = c->per_provider ? g_strv_length((char **)c->functions_per_provider) : 0;
  b->nlanes = c->per_provider ? c->nall * nf : 1;
  if (b->nlanes == 0) {
    *err = g_strdup("broker: per-provider mode without functions");
    return -1;
  }
  b->lanes = g_new0(struct lane, b->nlanes);
  for (uint32_t i = 0; i < b->nlanes; i++) {
    struct lane *ln = &b->lanes[i];
    ln->b = b;
    ln->provider = -1;
    struct sched_config sc = c->sched;
    if (c->per_provider) {
      ln->provider = (int)(i % c->nall);
      ln->function = c->functions_per_provider[i / c->nall];
      sc.providers = &c->all[ln->provider];
      sc.nproviders = 1;
      sc.explore_prob = 0;
    }
    ln->s = sched_new(b->e, &sc, b->bill, b->memo, on_done, ln, err);
    if (!ln->s) return -1;
  }
  if (!c->per_provider) {
    if (!(b->bench = benchmark_recorder_new(c->nall, err))) return -1;
    sched_add_benchmark(b->lanes[0].s, benchmark_recorder_benchmark(b->bench));
  }
  if (c->probe_period > 0) {
    struct benchmark_probe_config pc = {.providers = c->all, .nproviders = c->nall, .period = c->probe_period,
                                        .request_bytes = c->work.request_bytes,
                                        .response_bytes = c->work.response_bytes, .timeout = c->sched.timeout};
    if (!(b->probe = benchmark_probe_new(b->e, &pc, err))) return -1;
  }
  for (uint32_t i = 0; i < b->nlanes; i++) {
    struct workload_config wc = c->work;
    struct lane *ln = &b->lanes[i];
    if (c->per_provider) {
      wc.mode = WORKLOAD_CLOSED;
      wc.threads_start = wc.threads_end = 1;
      wc.ramp = 0;
      wc.function = ln->function;
      wc.max_calls = c->calls_per_provider;
      wc.until = CM_TIME_MAX;
    }
    ln->w = workload_new(b->e, ln->s, &wc, err);
    if (!ln->w) return -1;
  }
  return 0;
}

broker *broker_new(env *e, const struct broker_config *cfg, broker_call_fn on_call, void *arg, char **err) {
  if (!e || !cfg || !cfg->all || cfg->nall == 0) {
    *err = g_strdup("broker: needs an env and at least one provider");
    return NULL;
  }
  broker *b = g_new0(broker, 1);
  b->e = e;
  b->cfg = *cfg;
  b->on_call = on_call;
  b->arg = arg;
  if (build(b, err) != 0) {
    broker_free(b);
    return NULL;
  }
  return b;
}

void broker_set_observer(broker *b, broker_call_fn on_call, void *arg) {
  b->on_call = on_call;
  b->arg = arg;
}

void broker_on_decision(broker *b, sched_decision_fn fn, void *arg) {
  if (!b->cfg.per_provider) sched_on_decision(b->lanes[0].s, fn, arg);
}

void broker_free(broker *b) {
  if (!b) return;
  for (uint32_t i = 0; i < b->nlanes; i++) {
    workload_free(b->lanes[i].w);
    sched_free(b->lanes[i].s);
  }
  benchmark_probe_free(b->probe);
  benchmark_recorder_free(b->bench);
  cache_free(b->memo);
  billing_free(b->bill);
  g_free(b->lanes);
  g_free(b);
}

uint32_t broker_nlanes(const broker *b) { return b->nlanes; }
int broker_lane_provider(const broker *b, uint32_t lane) { return lane < b->nlanes ? b->lanes[lane].provider : -1; }
const char *broker_lane_function(const broker *b, uint32_t lane) {
  return lane < b->nlanes ? b->lanes[lane].function : NULL;
}

void broker_set_function(broker *b, const char *function, double rate_per_s) {
  for (uint32_t i = 0; i < b->nlanes; i++)
    if (b->lanes[i].w) workload_set_function(b->lanes[i].w, function, rate_per_s);
}

void broker_wind_down(broker *b) {
  if (b->probe) benchmark_probe_stop(b->probe);
}

bool broker_busy(const broker *b) {
  if (b->probe && benchmark_probe_in_flight(b->probe)) return true;
  for (uint32_t i = 0; i < b->nlanes; i++) {
    struct sched_stats ss;
    sched_stats(b->lanes[i].s, &ss);
    if (ss.in_flight) return true;
    if (b->cfg.per_provider && workload_calls(b->lanes[i].w) < b->cfg.calls_per_provider) return true;
    if (b->cfg.work.mode == WORKLOAD_TRACE && !b->cfg.per_provider && !workload_trace_done(b->lanes[i].w)) return true;
  }
  return false;
}

uint64_t broker_calls_made(const broker *b) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < b->nlanes; i++) n += workload_calls(b->lanes[i].w);
  return n;
}

billing *broker_billing(const broker *b) { return b->bill; }
const benchmark_recorder *broker_bench(const broker *b) { return b->bench; }
const benchmark_probe *broker_probe(const broker *b) { return b->probe; }
