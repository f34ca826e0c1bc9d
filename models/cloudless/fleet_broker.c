/* The brokers of a UAV fleet (fleet_broker.h): per-UAV Poisson clients
 * over one shared scheduler or one scheduler per UAV. A call's id carries
 * its UAV in the high bits, so the shared scheduler's answers find it. */
#include "cloudless/fleet_broker.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#define SEQ_BITS 40 /* call id = uav << SEQ_BITS | sequence (1 ..) */

struct client {
  fleet_broker *b;
  uint32_t idx;
  sched *s;    /* its scheduler (the shared one, or its own) */
  rng *arrivals;
  char function[SCHED_NAME_MAX];
  double rate;
  uint64_t calls;
  timer_id next;
  cm_time due;
  bool started;
};

struct fleet_broker {
  env *e;
  struct fleet_broker_config cfg;
  char function[SCHED_NAME_MAX];
  fleet_broker_call_fn on_call;
  void *arg;
  struct sched_provider *providers; /* a copy, for the index map */
  sched **scheds;
  uint32_t nscheds;
  struct client *c;
  uint64_t calls;
};

static void on_done(void *arg, const struct sched_record *r) {
  fleet_broker *b = arg;
  uint64_t u = r->id >> SEQ_BITS;
  if (u >= b->cfg.nuavs) cm_fatal(CM_LOC, "fleet_broker: an answer for call %llu of no UAV", (unsigned long long)r->id);
  int provider = r->provider >= 0 ? (int)b->cfg.sched.providers[r->provider].env_provider : -1;
  if (b->on_call) b->on_call(b->arg, (uint32_t)u, provider, r);
}

static void on_arrival(env *e, void *arg);

static void arm(struct client *c, cm_time from) {
  fleet_broker *b = c->b;
  cm_time now = env_now(b->e);
  c->due = from + cm_time_from_s(rng_exponential(c->arrivals, 1.0 / c->rate));
  c->next = c->due < b->cfg.until ? env_after(b->e, c->due > now ? c->due - now : 0, on_arrival, c) : 0;
}

static void on_arrival(env *e CM_UNUSED, void *arg) {
  struct client *c = arg;
  fleet_broker *b = c->b;
  c->next = 0;
  if (env_now(b->e) >= b->cfg.until) return;
  c->calls++;
  b->calls++;
  struct sched_call call = {.id = (uint64_t)c->idx << SEQ_BITS | c->calls, .function = c->function,
                            .request_bytes = b->cfg.request_bytes, .response_bytes = b->cfg.response_bytes,
                            .client = c->idx};
  if (sched_call(c->s, &call) != 0) cm_fatal(CM_LOC, "fleet_broker: the scheduler refused a valid call");
  arm(c, c->due);
}

fleet_broker *fleet_broker_new(env *e, const struct fleet_broker_config *cfg, fleet_broker_call_fn on_call,
                               void *arg, char **err) {
  const char *why = NULL;
  if (!e || !cfg) why = "missing env or config";
  else if (cfg->nuavs == 0 || cfg->nuavs >= (1u << (64 - SEQ_BITS))) why = "uavs: expected 1 .. 2^24 - 1";
  else if (!(cfg->rate_per_s > 0)) why = "rate_per_s: expected > 0";
  else if (!cfg->function || !cfg->function[0] || strlen(cfg->function) >= SCHED_NAME_MAX)
    why = "function: expected a name shorter than SCHED_NAME_MAX";
  if (why) {
    if (err) *err = g_strdup_printf("fleet_broker: %s", why);
    return NULL;
  }
  fleet_broker *b = g_new0(fleet_broker, 1);
  b->e = e;
  b->cfg = *cfg;
  g_strlcpy(b->function, cfg->function, sizeof b->function);
  b->cfg.function = b->function;
  b->on_call = on_call;
  b->arg = arg;
  b->providers = g_memdup2(cfg->sched.providers, sizeof *b->providers * cfg->sched.nproviders);
  b->cfg.sched.providers = b->providers;
  b->nscheds = cfg->shared ? 1 : cfg->nuavs;
  b->scheds = g_new0(sched *, b->nscheds);
  b->c = g_new0(struct client, cfg->nuavs);
  for (uint32_t i = 0; i < b->nscheds; i++)
    if (!(b->scheds[i] = sched_new(e, &b->cfg.sched, NULL, NULL, on_done, b, err))) {
      fleet_broker_free(b);
      return NULL;
    }
  for (uint32_t i = 0; i < cfg->nuavs; i++) {
    struct client *c = &b->c[i];
    char name[64];
    snprintf(name, sizeof name, "fleet:uav:%u:arrivals", i);
    *c = (struct client){.b = b, .idx = i, .s = b->scheds[cfg->shared ? 0 : i], .arrivals = env_rng(e, name),
                         .rate = cfg->rate_per_s};
    g_strlcpy(c->function, b->function, sizeof c->function);
  }
  return b;
}

void fleet_broker_free(fleet_broker *b) {
  if (!b) return;
  for (uint32_t i = 0; b->c && i < b->cfg.nuavs; i++)
    if (b->c[i].next) env_cancel(b->e, b->c[i].next);
  for (uint32_t i = 0; i < b->nscheds; i++) sched_free(b->scheds[i]);
  g_free(b->providers);
  g_free(b->scheds);
  g_free(b->c);
  g_free(b);
}

void fleet_broker_set_zone(fleet_broker *b, uint32_t u, const char *function, double rate_per_s) {
  if (u >= b->cfg.nuavs) return;
  struct client *c = &b->c[u];
  if (function && function[0]) g_strlcpy(c->function, function, sizeof c->function);
  if (c->started && !(rate_per_s > 0 && rate_per_s != c->rate)) return; /* the rate stays: the next arrival too */
  if (rate_per_s > 0) c->rate = rate_per_s;
  if (c->next) env_cancel(b->e, c->next);
  c->next = 0;
  c->started = true;
  if (env_now(b->e) < b->cfg.until) arm(c, env_now(b->e));
}

bool fleet_broker_busy(const fleet_broker *b) {
  for (uint32_t i = 0; i < b->nscheds; i++) {
    struct sched_stats ss;
    sched_stats(b->scheds[i], &ss);
    if (ss.in_flight) return true;
  }
  return false;
}

uint64_t fleet_broker_calls_of(const fleet_broker *b, uint32_t u) { return u < b->cfg.nuavs ? b->c[u].calls : 0; }
uint64_t fleet_broker_calls(const fleet_broker *b) { return b->calls; }
uint32_t fleet_broker_nscheds(const fleet_broker *b) { return b->nscheds; }
