/* The live scheduler (seed 5.1.4): calls, their attempts and the public API.
 * Per provider it keeps this broker's outstanding count and an exponential
 * backoff; what it learns per (function, payload class, provider) lives in
 * sched_learn.c. A decision builds the policy's view in
 * O(providers) and asks the policy (or, with probability explore_prob, a
 * uniform draw). Call records come from a pool of fixed-size chunks, so
 * steady state allocates nothing per call; a call in flight keeps its
 * invocation's request id, and sched_free cancels it (env_invoke_cancel), so
 * no result arrives after the free. */
#include "cloudless/sched_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#define MAX_PROVIDERS (1u << 20)
#define MAX_WINDOW (1u << 20)
#define CHUNK_BITS 6 /* 64 call records a chunk: small for a fleet's thousand per-UAV schedulers */
#define CHUNK (1u << CHUNK_BITS)
#define MAX_RECORDS (1u << 24) /* calls in flight at most */
#define NIL UINT32_MAX

static const char *const why_name[] = {"throttled", "error", "timeout", "network", "budget", "no_provider"};

static enum why why_of(enum invoke_status st) {
  switch (st) {
  case INVOKE_THROTTLED: return W_THROTTLED;
  case INVOKE_TIMEOUT: return W_TIMEOUT;
  case INVOKE_NETWORK: return W_NETWORK;
  default: return W_ERROR;
  }
}

static void dispatch(sched *s, struct call *c, bool in_call);

/* ---- call records ---- */

static struct call *rec_at(sched *s, uint32_t slot) { return &s->chunks[slot >> CHUNK_BITS][slot & (CHUNK - 1)]; }

static struct call *rec_alloc(sched *s) {
  if (s->free_head == NIL) {
    if ((s->nchunks + 1) * CHUNK > MAX_RECORDS) cm_fatal(CM_LOC, "sched: more than %u calls in flight", MAX_RECORDS);
    s->chunks = g_renew(struct call *, s->chunks, s->nchunks + 1);
    struct call *ch = g_new0(struct call, CHUNK);
    s->chunks[s->nchunks] = ch;
    for (uint32_t i = CHUNK; i-- > 0;) {
      ch[i].next_free = s->free_head;
      s->free_head = s->nchunks * CHUNK + i;
    }
    s->nchunks++;
  }
  uint32_t slot = s->free_head;
  struct call *c = rec_at(s, slot);
  s->free_head = c->next_free;
  *c = (struct call){.s = s, .slot = slot, .provider = -1, .why = W_NONE};
  return c;
}

static void rec_free(sched *s, struct call *c) {
  g_free(c->tried_more);
  c->tried_more = NULL;
  c->state = C_FREE;
  c->next_free = s->free_head;
  s->free_head = c->slot;
}

static uint32_t tried_at(const struct call *c, uint32_t k) {
  return k < SCHED__TRIED_INLINE ? c->tried_in[k] : c->tried_more[k - SCHED__TRIED_INLINE];
}

static void tried_add(struct call *c, uint32_t p) {
  uint32_t k = c->attempts; /* attempts before this one */
  if (k < SCHED__TRIED_INLINE) {
    c->tried_in[k] = p;
    return;
  }
  k -= SCHED__TRIED_INLINE;
  if (k == 0 || (k >= 4 && (k & (k - 1)) == 0)) c->tried_more = g_renew(uint32_t, c->tried_more, k ? 2 * k : 4);
  c->tried_more[k] = p;
}

/* ---- outcomes ---- */

/* Ends c with one record; the done callback runs last, so it may make calls
 * or even free the scheduler. */
static void finish(sched *s, struct call *c, enum sched_outcome o, enum why why) {
  char fn[SCHED_NAME_MAX];
  memcpy(fn, c->function, sizeof(fn));
  const struct invoke_result *res = &c->res;
  struct sched_record r = {
      .id = c->id, .function = fn, .provider = c->attempts ? c->provider : -1, .attempts = c->attempts,
      .submitted = c->submitted, .finished = env_now(s->e), .exec = res->exec_time, .init = res->init_time,
      .net = c->attempts ? res->latency - res->exec_time - res->init_time : 0, .cold = res->cold_start,
      .mem_peak_mb = res->mem_peak_mb, .cost_usd = c->cost, .outcome = o,
      .reason = o == SCHED_COMPLETED ? "completed" : o == SCHED_CACHED ? "cached" : why_name[why],
      .overhead_ns = c->overhead, .request_bytes = c->req, .response_bytes = c->resp};
  s->st.in_flight--;
  if (o == SCHED_COMPLETED) {
    s->st.completed++;
  } else if (o == SCHED_CACHED) {
    s->st.cached++;
  } else {
    s->st.failed++;
    s->st.failed_by_reason[why]++;
  }
  rec_free(s, c);
  if (s->done) s->done(s->done_arg, &r);
}

static void on_end(env *e CM_UNUSED, void *arg) {
  struct call *c = arg;
  c->timer = 0;
  finish(c->s, c, c->outcome, c->why);
}

/* Ends c later (inside sched_call) or now. */
static void end(sched *s, struct call *c, enum sched_outcome o, enum why why, bool in_call) {
  if (!in_call) {
    finish(s, c, o, why);
    return;
  }
  c->state = C_ENDING;
  c->outcome = o;
  c->why = why;
  c->timer = env_after(s->e, 0, on_end, c);
}

/* ---- attempts ---- */

static struct benchmark_attempt attempt_of(const struct call *c) {
  return (struct benchmark_attempt){.provider = (uint32_t)c->provider, .function = c->function,
                                    .call_id = c->id, .attempt = c->attempts, .start = c->start,
                                    .overhead_ns = c->last_ts};
}

static cm_time backoff(const struct sched_config *cfg, uint32_t fails) {
  cm_time b = cfg->backoff_base;
  for (uint32_t k = 1; k < fails && b < cfg->backoff_max; k++) b = b > cfg->backoff_max / 2 ? cfg->backoff_max : 2 * b;
  return b < cfg->backoff_max ? b : cfg->backoff_max;
}

uint32_t sched_payload_class(size_t bytes) {
  uint32_t bits = 0;
  for (uint64_t b = bytes; b; b >>= 1) bits++;
  return bytes ? 1 + (bits - 1) / 2 : 0; /* 1 + floor(log4(bytes)) */
}

/* An attempt's result: charge it, tell the benchmarks, learn, then end the
 * call or retry it elsewhere. */
static void attempt_done(sched *s, struct call *c, const struct invoke_result *res) {
  struct prov *p = &s->p[c->provider];
  p->outstanding--;
  /* Not charged: a throttle, no answer at all, or a request refused before
   * it reached the function (401 / 403: AWS bills no request it rejects at
   * authentication, Lambda pricing page "Requests"). */
  if (res->status != INVOKE_THROTTLED && res->status != INVOKE_NETWORK && res->http_status != 401 &&
      res->http_status != 403) {
    double usd = cost_invocation(&p->cfg.price, res->exec_time, true);
    c->cost += usd;
    if (s->bill) billing_charge(s->bill, (uint32_t)c->provider, usd);
  }
  c->res = *res;
  if (s->cfg.breaker_failures) sched__learn(s, c, res, env_now(s->e));
  if (s->nbench) {
    struct benchmark_attempt a = attempt_of(c);
    for (uint32_t i = 0; i < s->nbench; i++)
      if (s->bench[i]->after) s->bench[i]->after(s->bench[i]->state, &a, res);
  }
  if (res->status == INVOKE_OK) {
    p->fails = 0;
    p->backoff_until = 0;
    /* The warm latency: a cold start's init is a one-off of that container,
     * not the provider's latency (the seed schedules on warm figures, 5.1.2 c). */
    sched__observe(s, p, sched__fstat_of(s, c->fn, (uint32_t)c->provider), res->latency - res->init_time,
                   res->exec_time);
    p->completed++;
    if (s->cache && c->key) cache_insert(s->cache, c->function, c->key, (uint64_t)c->provider, env_now(s->e));
    finish(s, c, SCHED_COMPLETED, W_NONE);
    return;
  }
  c->last_status = res->status;
  p->fails++;
  if (s->cfg.backoff_base > 0) {
    cm_time until = env_now(s->e) + backoff(&s->cfg, p->fails);
    if (until > p->backoff_until) p->backoff_until = until;
  }
  dispatch(s, c, false);
}

static void on_result(env *e CM_UNUSED, void *arg, const struct invoke_result *res) {
  struct call *c = arg;
  c->inv_id = 0;
  attempt_done(c->s, c, res);
}

static void on_refused(env *e CM_UNUSED, void *arg) {
  struct call *c = arg;
  c->timer = 0;
  attempt_done(c->s, c, &(struct invoke_result){.status = INVOKE_NETWORK});
}

static void launch(sched *s, struct call *c, uint32_t i, cm_time now) {
  struct prov *p = &s->p[i];
  tried_add(c, i);
  c->attempts++;
  s->st.attempts++;
  if (c->attempts > 1) s->st.retries++;
  c->provider = (int)i;
  c->start = now;
  c->state = C_INVOKING;
  p->outstanding++;
  if (s->nbench) {
    struct benchmark_attempt a = attempt_of(c);
    for (uint32_t k = 0; k < s->nbench; k++)
      if (s->bench[k]->before) s->bench[k]->before(s->bench[k]->state, &a);
  }
  struct invocation inv = {.id = c->id, .function = c->function, .provider = p->cfg.env_provider,
                           .bin = p->cfg.bin, .request_bytes = c->req, .response_bytes = c->resp,
                           .timeout = c->deadline == CM_TIME_MAX ? 0 : c->deadline - now,
                           .exec_hint = c->exec_hint, .client = c->client};
  request_id id = env_invoke(s->e, &inv, on_result, c);
  if (id < 0) c->timer = env_after(s->e, 0, on_refused, c); /* refused: a network failure of this attempt, later */
  else c->inv_id = id;
}

static void on_wake(env *e CM_UNUSED, void *arg) {
  struct call *c = arg;
  c->timer = 0;
  dispatch(c->s, c, false);
}

/* Place c's next attempt, wait for a backoff to end, or fail it. */
static void dispatch(sched *s, struct call *c, bool in_call) {
  cm_time now = env_now(s->e), wake = CM_TIME_MAX;
  enum why late = c->attempts ? why_of(c->last_status) : W_TIMEOUT;
  if (c->attempts >= s->cfg.max_attempts) {
    end(s, c, SCHED_FAILED, why_of(c->last_status), in_call);
    return;
  }
  if (now >= c->deadline) { /* no time left for another attempt */
    end(s, c, SCHED_FAILED, late, in_call);
    return;
  }
  int64_t t0 = env_wall_ns(s->e);
  bool budget = false, backing_off = false, learn = s->cfg.breaker_failures > 0;
  uint32_t usable = 0;
  int probe = -1;
  for (uint32_t k = 0; k < c->attempts; k++) s->mark[tried_at(c, k)] = 1;
  for (uint32_t i = 0; i < s->n; i++) {
    struct prov *p = &s->p[i];
    const struct fstat *f = sched__fstat_of(s, c->fn, i);
    struct policy_pstate *v = &s->pv[i];
    v->outstanding = p->outstanding;
    v->latency_s = f->ring_n ? (double)f->lat_sum / f->ring_n / 1e9 : NAN;
    v->cost_usd = f->exp_cost;
    v->fail_p = learn && f->att_fails ? (double)f->att_fails / (f->att_n + 1) : 0;
    v->fail_s = learn && f->att_fails ? (double)f->att_fail_sum / f->att_fails / 1e9 : 0;
    bool ok = !s->mark[i];
    if (ok && s->bill && !billing_allows(s->bill, f->exp_cost)) {
      ok = false;
      budget = true;
    }
    if (ok && p->backoff_until > now) {
      ok = false;
      backing_off = true;
      if (p->backoff_until < wake) wake = p->backoff_until;
    }
    if (ok && f->open) { /* open: excluded; half-open: one probe at a time */
      ok = now >= f->open_until && !f->probing;
      if (ok && probe < 0) probe = (int)i;
    }
    v->usable = ok;
    usable += ok;
  }
  for (uint32_t k = 0; k < c->attempts; k++) s->mark[tried_at(c, k)] = 0;
  int pick = -1;
  bool explored = false; /* not the policy's choice: an exploration draw or a breaker's probe */
  if (s->on_decision && usable) gsl_rng_memcpy(rng_gsl(s->snap), rng_gsl(s->r_policy)); /* the state it decides from */
  if (probe >= 0) {
    pick = probe; /* a half-open breaker's probe goes first, or the provider would never be seen to recover */
    explored = true;
  } else if (usable) {
    if (s->cfg.explore_prob > 0 && rng_uniform(s->r_explore) < s->cfg.explore_prob) {
      pick = s->uniform->choose(&s->view, s->r_explore);
      explored = true;
    } else {
      pick = s->policy->choose(&s->view, s->r_policy);
    }
  }
  c->last_ts = env_wall_ns(s->e) - t0;
  if (s->on_decision && usable) s->on_decision(s->decision_arg, &s->view, pick, explored, s->snap);
  c->overhead += c->last_ts;
  if (pick >= 0) {
    if (pick == probe) {
      c->probe = true;
      sched__fstat_of(s, c->fn, (uint32_t)pick)->probing = true;
    }
    launch(s, c, (uint32_t)pick, now);
  } else if (backing_off && wake < c->deadline) {
    c->state = C_WAITING;
    c->timer = env_after(s->e, wake - now, on_wake, c);
  } else if (backing_off) { /* the backoff outlasts the call's deadline */
    end(s, c, SCHED_FAILED, late, in_call);
  } else {
    end(s, c, SCHED_FAILED, budget ? W_BUDGET : c->attempts ? why_of(c->last_status) : W_NO_PROVIDER, in_call);
  }
}

/* ---- public ---- */

static bool bad_price(const struct cost_price *p) {
  const double v[] = {p->usd_per_gb_s, p->usd_per_vcpu_s, p->usd_per_gib_s, p->usd_per_request,
                      p->cluster_usd_per_s, p->memory_gb, p->vcpu};
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
    if (!(v[i] >= 0) || !isfinite(v[i])) return true;
  return p->kind > COST_CLUSTER || p->granularity < 0 || p->minimum < 0;
}

static char *check(const struct sched_config *cfg) {
  if (!cfg->providers || cfg->nproviders == 0) return g_strdup("sched: no providers");
  if (cfg->nproviders > MAX_PROVIDERS)
    return g_strdup_printf("sched: %u providers: at most %d", cfg->nproviders, MAX_PROVIDERS);
  for (uint32_t i = 0; i < cfg->nproviders; i++) {
    const struct sched_provider *p = &cfg->providers[i];
    if (strnlen(p->name, SCHED_NAME_MAX) == SCHED_NAME_MAX)
      return g_strdup_printf("sched: provider %u: name not terminated within %d bytes", i, SCHED_NAME_MAX);
    if (bad_price(&p->price)) return g_strdup_printf("sched: provider %u (%s): bad price", i, p->name);
  }
  if (!policy_find(cfg->policy))
    return g_strdup_printf("sched: unknown policy '%s'; expected one of %s", cfg->policy ? cfg->policy : "(null)",
                           policy_names());
  const double w[] = {cfg->w_outstanding, cfg->w_cost, cfg->w_latency};
  for (int i = 0; i < 3; i++)
    if (!(w[i] >= 0) || !isfinite(w[i])) return g_strdup("sched: mix weights must be finite and >= 0");
  if (strcmp(cfg->policy, "mix") == 0 && w[0] + w[1] + w[2] == 0)
    return g_strdup("sched: policy mix needs at least one positive weight");
  if (cfg->latency_window == 0 || cfg->latency_window > MAX_WINDOW)
    return g_strdup_printf("sched: latency_window %u: expected 1 .. %u", cfg->latency_window, MAX_WINDOW);
  if (!(cfg->explore_prob >= 0 && cfg->explore_prob <= 1))
    return g_strdup_printf("sched: explore_prob %g: expected 0 .. 1", cfg->explore_prob);
  if (cfg->max_attempts == 0) return g_strdup("sched: max_attempts must be >= 1");
  if (cfg->backoff_base < 0 || cfg->backoff_max < cfg->backoff_base)
    return g_strdup("sched: backoff: expected 0 <= backoff_base <= backoff_max");
  if (cfg->timeout < 0) return g_strdup("sched: negative timeout");
  if (cfg->breaker_failures &&
      (cfg->breaker_cooldown <= 0 || cfg->breaker_cooldown_max < cfg->breaker_cooldown))
    return g_strdup("sched: breaker: expected 0 < breaker_cooldown <= breaker_cooldown_max");
  return NULL;
}

sched *sched_new(env *e, const struct sched_config *cfg, billing *bill, cache *c, sched_done_fn done, void *arg,
                 char **err) {
  char *msg = !e || !cfg ? g_strdup("sched: NULL env or config") : check(cfg);
  if (!msg && bill && billing_nproviders(bill) < cfg->nproviders)
    msg = g_strdup_printf("sched: billing has %u providers, the scheduler %u", billing_nproviders(bill),
                          cfg->nproviders);
  if (msg) {
    if (err) *err = msg; else g_free(msg);
    return NULL;
  }
  sched *s = g_new0(sched, 1);
  s->e = e;
  s->cfg = *cfg;
  s->cfg.providers = NULL;
  s->cfg.policy = NULL;
  s->n = cfg->nproviders;
  s->p = g_new0(struct prov, s->n);
  for (uint32_t i = 0; i < s->n; i++) s->p[i].cfg = cfg->providers[i];
  sched__learn_init(s);
  s->mark = g_new0(uint8_t, s->n);
  s->scores = g_new0(double, s->n);
  s->policy = policy_find(cfg->policy);
  s->uniform = policy_find("random");
  s->pv = g_new0(struct policy_pstate, s->n);
  s->view = (struct policy_view){.n = s->n, .p = s->pv, .scratch = s->scores, .w_outstanding = cfg->w_outstanding,
                                 .w_cost = cfg->w_cost, .w_latency = cfg->w_latency};
  s->r_policy = env_rng(e, "cloudless:sched:policy");
  s->r_explore = env_rng(e, "cloudless:sched:explore");
  s->bill = bill;
  s->cache = c;
  s->done = done;
  s->done_arg = arg;
  s->free_head = NIL;
  return s;
}

void sched_on_decision(sched *s, sched_decision_fn fn, void *arg) {
  s->on_decision = fn;
  s->decision_arg = arg;
  if (fn && !s->snap) s->snap = rng_new(0, "cloudless:sched:snapshot");
}

void sched_free(sched *s) {
  if (!s) return;
  if (s->snap) rng_free(s->snap);
  for (uint32_t k = 0; k < s->nchunks; k++) {
    for (uint32_t i = 0; i < CHUNK; i++) {
      struct call *c = &s->chunks[k][i];
      if (c->state == C_FREE) continue;
      if (c->timer) env_cancel(s->e, c->timer);
      if (c->inv_id) env_invoke_cancel(s->e, c->inv_id);
      g_free(c->tried_more);
    }
    g_free(s->chunks[k]);
  }
  sched__learn_free(s);
  g_free(s->mark);
  g_free(s->scores);
  g_free(s->chunks);
  g_free(s->p);
  g_free(s->pv);
  g_free(s->bench);
  g_free(s);
}

void sched_add_benchmark(sched *s, const struct benchmark *b) {
  if (!b) return;
  s->bench = g_renew(const struct benchmark *, s->bench, s->nbench + 1);
  s->bench[s->nbench++] = b;
}

int sched_call(sched *s, const struct sched_call *call) {
  if (!call || !call->function) return CM_EINVAL;
  size_t len = strnlen(call->function, SCHED_NAME_MAX);
  if (len == SCHED_NAME_MAX) return CM_EINVAL;
  struct call *c = rec_alloc(s);
  memcpy(c->function, call->function, len + 1);
  c->fn = sched__fn_index(s, c->function, sched_payload_class(call->request_bytes));
  c->id = call->id;
  c->key = call->input_key;
  c->req = call->request_bytes;
  c->resp = call->response_bytes;
  c->exec_hint = call->exec_hint > 0 ? call->exec_hint : 0;
  c->client = call->client;
  c->submitted = env_now(s->e);
  c->deadline = s->cfg.timeout > 0 && s->cfg.timeout <= CM_TIME_MAX - c->submitted ? c->submitted + s->cfg.timeout
                                                                                   : CM_TIME_MAX;
  c->state = C_INVOKING;
  s->st.calls++;
  s->st.in_flight++;
  if (s->cache && c->key && cache_lookup(s->cache, c->function, c->key, c->submitted, NULL))
    end(s, c, SCHED_CACHED, W_NONE, true);
  else
    dispatch(s, c, true);
  return CM_OK;
}

void sched_stats(const sched *s, struct sched_stats *out) { *out = s->st; }
uint32_t sched_nproviders(const sched *s) { return s->n; }

double sched_latency_ma(const sched *s, const char *function, uint32_t p) {
  const struct fstat *f = sched__lookup(s, function, p);
  return f && f->ring_n ? (double)f->lat_sum / f->ring_n / 1e9 : NAN;
}

uint32_t sched_outstanding(const sched *s, uint32_t p) { return p < s->n ? s->p[p].outstanding : 0; }
double sched_expected_cost(const sched *s, const char *function, uint32_t p) {
  const struct fstat *f = sched__lookup(s, function, p);
  return f ? f->exp_cost : 0;
}
cm_time sched_backoff_until(const sched *s, uint32_t p) { return p < s->n ? s->p[p].backoff_until : 0; }
uint64_t sched_completed_on(const sched *s, uint32_t p) { return p < s->n ? s->p[p].completed : 0; }

int sched_breaker(const sched *s, const char *function, size_t request_bytes, uint32_t p, cm_time *open_until) {
  if (open_until) *open_until = 0;
  if (p >= s->n || !function) return -1;
  char key[SCHED_NAME_MAX + 16];
  snprintf(key, sizeof key, "%s\x1f%u", function, sched_payload_class(request_bytes));
  gpointer v = g_hash_table_lookup(s->fn_index, key);
  if (!v) return -1;
  const struct fstat *f = sched__fstat_of(s, GPOINTER_TO_UINT(v) - 1, p);
  if (!f->open) return 0;
  if (open_until) *open_until = f->open_until;
  return 1;
}
