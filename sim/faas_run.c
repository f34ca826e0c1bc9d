/* The life of one invocation in the serverless world, as engine events:
 *   submit   (inside env_invoke) checks, draws the uplink, schedules arrival;
 *   arrival  applies faults and errors, then admission by the platform type
 *            (sim/platform.h): start, queue or refuse;
 *   release  at exec end gives back the slot and the container and starts
 *            queued requests;
 *   deliver  hands the result to the caller.
 * A call that runs costs three events; everything about it (scheduling,
 * cold start, exec, the downlink) is drawn when it starts, so its release
 * and delivery times are known then. A queue-timeout timer per provider
 * (armed for the queue's head only) and, rarely, a client-timeout timer for
 * a queued call whose own timeout comes before the queue's complete the set.
 * Any result that would reach the client after its deadline (submit +
 * timeout) becomes INVOKE_TIMEOUT delivered at the deadline. */
#include <math.h>
#include <string.h>

#include "faas_impl.h"

static void deliver_at(struct faas__inv *r, cm_time t);
static void start(struct faas__prov *p, struct faas__inv *r, cm_time now);

/* ---- results ---------------------------------------------------------- */

static void on_deliver(engine *en CM_UNUSED, void *arg) {
  struct faas__inv *r = arg;
  struct faas__prov *p = r->p;
  faas_world *w = p->w;
  struct invoke_result res = r->res;
  env_invoke_fn done = r->done;
  void *darg = r->arg;
  p->st.in_flight--;
  if (res.status == INVOKE_OK) p->st.completed++;
  else p->st.failed[res.status]++;
  r->pending &= (uint8_t)~FAAS__EV_DELIVER;
  r->ev_deliver = 0;
  if (!r->pending) faas__inv_put(w, r);
  done(w->e, darg, &res);
}

/* A result that did not run: no platform times, no memory. */
static void set_failed(struct faas__inv *r, enum invoke_status st, int http) {
  r->res = (struct invoke_result){.status = st, .http_status = http};
}

static void set_timeout(struct faas__inv *r) { set_failed(r, INVOKE_TIMEOUT, 504); }

/* Deliver r->res at time t, or a timeout at the deadline if t is later. */
static void deliver_at(struct faas__inv *r, cm_time t) {
  if (t > r->deadline) {
    set_timeout(r);
    t = r->deadline;
  }
  r->res.latency = t - r->submit;
  r->pending |= FAAS__EV_DELIVER;
  r->ev_deliver = engine_at(r->p->w->en, t, on_deliver, r);
}

/* Fail at the provider (now) with an answer that comes back over the
 * downlink (an error body: latency only, no payload). */
static void fail_back(struct faas__prov *p, struct faas__inv *r, cm_time now, enum invoke_status st, int http) {
  set_failed(r, st, http);
  deliver_at(r, now + faas__link_of(p->w, p, r->client)->latency);
}

/* ---- exec time -------------------------------------------------------- */

static double contention(struct faas__prov *p, cm_time now) {
  const struct faas_variability *v = &p->cfg.var;
  while (now >= p->cont_until) { /* the on/off process, advanced lazily */
    p->cont_on = !p->cont_on;
    double mean = (double)(p->cont_on ? v->contention_on_mean : v->contention_off_mean);
    p->cont_until += 1 + (cm_time)rng_exponential(p->r_var, mean);
  }
  return p->cont_on ? v->contention_factor : 1.0;
}

static cm_time exec_time(struct faas__prov *p, const struct faas__inv *r, cm_time now) {
  double x;
  if (r->exec_hint > 0) { /* a replayed duration: one draw already, on the trace's own hardware */
    x = (double)r->exec_hint;
  } else {
    x = (double)p->cfg.exec_overhead + p->w->fns[r->fn].gflop * p->ns_per_gflop[r->bin];
    if (p->cfg.exec_cv > 0) x *= exp(rng_normal(p->r_exec, p->exec_mu, p->exec_sigma));
  }
  if (p->drift_omega != 0)
    x *= 1.0 + p->cfg.var.drift_amplitude * sin(p->drift_omega * (double)now + p->drift_phase);
  if (p->cfg.var.contention_factor > 1) x *= contention(p, now);
  x *= r->slow;
  return (cm_time)(x + 0.5);
}

static cm_time sched_delay(struct faas__prov *p) {
  double m = (double)p->cfg.sched_delay_mean;
  if (p->cfg.sched_delay_cv > 0 && m > 0) m = exp(rng_normal(p->r_sched, p->sched_mu, p->sched_sigma));
  return (cm_time)(m + 0.5);
}

/* ---- running ---------------------------------------------------------- */

static void on_release(engine *en, void *arg);

/* Start r now: take a slot, route it, cold-start if needed, run it. */
static void start(struct faas__prov *p, struct faas__inv *r, cm_time now) {
  faas_world *w = p->w;
  const struct faas_function *f = &w->fns[r->fn];
  const struct faas_bin *b = &p->cfg.bins[r->bin];
  struct platform_load *l = &p->load;
  r->node = platform_take(l, p->bin_cores[r->bin], p->bin_mem[r->bin]);
  if (l->running > p->st.peak_running) p->st.peak_running = l->running;
  r->state = FAAS__STARTED;

  cm_time t = now + sched_delay(p), init, begin, exec;
  bool cold = true;
  struct invoke_result *res = &r->res;
  r->oom = f->memory_mb > b->memory_mb;
  if (r->oom) { /* a fresh container, killed as the function outgrows the bin */
    r->c = NULL;
    init = faas__draw_cold(p);
    begin = t + init;
    exec = 0;
    *res = (struct invoke_result){.status = INVOKE_ERROR, .http_status = 500, .init_time = init, .cold_start = true,
                                  .mem_peak_mb = b->memory_mb, .mem_mean_mb = b->memory_mb, .mem_samples = 1};
  } else {
    begin = faas__pool_acquire(p, &p->pools[r->fn * p->cfg.nbins + r->bin], r, now, t, &init, &cold);
    exec = exec_time(p, r, now);
    uint32_t n = (uint32_t)(exec / CM_MS(100));
    if (n == 0) n = 1;
    *res = (struct invoke_result){.status = INVOKE_OK, .http_status = 200, .exec_time = exec, .init_time = init,
                                  .cold_start = cold, .mem_peak_mb = f->memory_mb,
                                  .mem_mean_mb = f->memory_mb * (0.75 + 0.25 / n), .mem_samples = n};
  }
  if (res->cold_start) p->st.cold_starts++;
  p->st.busy_s += (double)exec * 1e-9;
  cm_time end = begin + exec;
  r->pending |= FAAS__EV_RELEASE;
  r->ev_main = engine_at(w->en, end, on_release, r);
  const struct faas__link *lk = faas__link_of(w, p, r->client);
  cm_time down = lk->latency;
  if (lk->ns_per_byte > 0) down += (cm_time)((double)r->response_bytes * lk->ns_per_byte + 0.5);
  deliver_at(r, end + down);
}

/* ---- the queue -------------------------------------------------------- */

static void q_remove(struct faas__prov *p, struct faas__inv *r) {
  if (r->prev) r->prev->next = r->next;
  else p->qhead = r->next;
  if (r->next) r->next->prev = r->prev;
  else p->qtail = r->prev;
  p->load.queued--;
  if (r->client_timer) {
    engine_cancel(p->w->en, r->ev_main, NULL);
    r->client_timer = false;
    r->ev_main = 0;
  }
}

/* Start queued requests, head first, while the head fits. */
static void drain(struct faas__prov *p, cm_time now) {
  while (p->qhead && p->ops->fits(&p->load, p->bin_cores[p->qhead->bin], p->bin_mem[p->qhead->bin])) {
    struct faas__inv *r = p->qhead;
    q_remove(p, r);
    start(p, r, now);
  }
}

static void on_queue_timer(engine *en, void *arg);

static void arm_queue_timer(struct faas__prov *p) {
  if (!p->qtimer && p->qhead) p->qtimer = engine_at(p->w->en, p->qhead->qdeadline, on_queue_timer, p);
}

static void on_queue_timer(engine *en, void *arg) {
  struct faas__prov *p = arg;
  cm_time now = engine_now(en);
  p->qtimer = 0;
  bool removed = false;
  while (p->qhead && p->qhead->qdeadline <= now) {
    struct faas__inv *r = p->qhead;
    q_remove(p, r);
    fail_back(p, r, now, INVOKE_THROTTLED, p->ops->http_queue_timeout);
    removed = true;
  }
  if (removed) drain(p, now); /* a big head may have held back smaller requests */
  arm_queue_timer(p);
}

/* The client gave up on a queued request: the platform drops it. */
static void on_client_timeout(engine *en, void *arg) {
  struct faas__inv *r = arg;
  struct faas__prov *p = r->p;
  cm_time now = engine_now(en);
  bool was_head = p->qhead == r;
  r->client_timer = false; /* this event has fired: nothing to cancel */
  r->ev_main = 0;
  q_remove(p, r);
  set_timeout(r);
  deliver_at(r, now);
  if (was_head) drain(p, now);
}

static void enqueue(struct faas__prov *p, struct faas__inv *r, cm_time now) {
  r->state = FAAS__QUEUED;
  r->qdeadline = p->cfg.queue_timeout > CM_TIME_MAX - now ? CM_TIME_MAX : now + p->cfg.queue_timeout;
  r->next = NULL;
  r->prev = p->qtail;
  if (p->qtail) p->qtail->next = r;
  else p->qhead = r;
  p->qtail = r;
  p->load.queued++;
  if (r->deadline < r->qdeadline) {
    r->client_timer = true;
    r->ev_main = engine_at(p->w->en, r->deadline, on_client_timeout, r);
  }
  arm_queue_timer(p);
}

static void on_release(engine *en, void *arg) {
  struct faas__inv *r = arg;
  struct faas__prov *p = r->p;
  cm_time now = engine_now(en);
  platform_give(&p->load, r->node, p->bin_cores[r->bin], p->bin_mem[r->bin]);
  if (!r->oom) faas__pool_release(p, &p->pools[r->fn * p->cfg.nbins + r->bin], r, now);
  r->pending &= (uint8_t)~FAAS__EV_RELEASE;
  r->ev_main = 0;
  if (!r->pending) faas__inv_put(p->w, r);
  if (p->qhead) drain(p, now);
}

/* ---- arrival ---------------------------------------------------------- */

enum verdict { GO, OUTAGE, HANG };

/* Faults active at now, expired ones dropped. *perr: probability of an
 * error from ERRORS faults; *slow: product of SLOWDOWN factors. */
static enum verdict faults_at(struct faas__prov *p, cm_time now, double *perr, double *slow) {
  enum verdict v = GO;
  double ok = 1;
  for (uint32_t i = 0; i < p->nfaults;) {
    const struct faas_fault *f = &p->faults[i];
    if (f->end <= now) {
      p->faults[i] = p->faults[--p->nfaults];
      continue;
    }
    i++;
    if (f->start > now) continue;
    switch (f->kind) {
    case FAAS_FAULT_OUTAGE: v = OUTAGE; break;
    case FAAS_FAULT_TIMEOUT: if (v == GO) v = HANG; break;
    case FAAS_FAULT_ERRORS: ok *= 1 - f->value; break;
    case FAAS_FAULT_SLOWDOWN: *slow *= f->value; break;
    case FAAS_FAULT_LINK_DOWN: break; /* checked when the call is sent */
    }
  }
  *perr = 1 - ok;
  return v;
}

static void on_arrival(engine *en, void *arg) {
  struct faas__inv *r = arg;
  struct faas__prov *p = r->p;
  cm_time now = engine_now(en);
  r->ev_main = 0;
  r->slow = 1;
  double perr = p->cfg.error_rate;
  if (p->nfaults) {
    double fe = 0;
    enum verdict v = faults_at(p, now, &fe, &r->slow);
    if (v == OUTAGE) {
      fail_back(p, r, now, INVOKE_ERROR, 500);
      return;
    }
    if (v == HANG) {
      set_timeout(r);
      deliver_at(r, r->deadline);
      return;
    }
    perr = 1 - (1 - perr) * (1 - fe);
  }
  if (perr > 0 && rng_uniform(p->r_err) < perr) {
    fail_back(p, r, now, INVOKE_ERROR, 500);
    return;
  }
  if (!p->qhead && p->ops->fits(&p->load, p->bin_cores[r->bin], p->bin_mem[r->bin])) {
    start(p, r, now);
  } else if (p->ops->when_full(&p->cfg, &p->load) == PLATFORM_QUEUE) {
    enqueue(p, r, now);
  } else {
    fail_back(p, r, now, INVOKE_THROTTLED, p->ops->http_refused);
  }
}

/* ---- submit ----------------------------------------------------------- */

static bool link_down_fault(const struct faas__prov *p, cm_time now) {
  for (uint32_t i = 0; i < p->nfaults; i++) {
    const struct faas_fault *f = &p->faults[i];
    if (f->kind == FAAS_FAULT_LINK_DOWN && f->start <= now && now < f->end) return true;
  }
  return false;
}

static int find_function(faas_world *w, const char *name) {
  if (w->nf && strcmp(w->fns[w->last_fn].name, name) == 0) return (int)w->last_fn;
  gpointer v = g_hash_table_lookup(w->fn_index, name);
  if (!v) return -1;
  w->last_fn = (uint32_t)(GPOINTER_TO_UINT(v) - 1);
  return (int)w->last_fn;
}

int faas__invoke(void *world, env *e CM_UNUSED, const struct invocation *inv, env_invoke_fn done, void *arg) {
  faas_world *w = world;
  if (inv->provider >= w->np || !inv->function || inv->timeout < 0) return CM_EINVAL;
  if (inv->client >= faas_world_nclients(w)) return CM_EINVAL;
  struct faas__prov *p = faas__prov_for(w, inv->provider, inv->client);
  if (inv->bin >= p->cfg.nbins) return CM_EINVAL;
  const struct faas__link *lk = faas__link_of(w, p, inv->client);
  int fn = find_function(w, inv->function);
  if (fn < 0) return CM_EINVAL;

  cm_time now = engine_now(w->en);
  struct faas__inv *r = faas__inv_get(w);
  r->p = p;
  r->done = done;
  r->arg = arg;
  r->fn = (uint32_t)fn;
  r->bin = inv->bin;
  r->client = inv->client;
  r->response_bytes = inv->response_bytes;
  r->exec_hint = inv->exec_hint > 0 ? inv->exec_hint : 0;
  r->submit = now;
  cm_time timeout = inv->timeout ? inv->timeout : p->ops->default_timeout;
  r->deadline = timeout > CM_TIME_MAX - now ? CM_TIME_MAX : now + timeout;
  r->pending = 0;
  r->client_timer = false;
  r->oom = false;
  r->c = NULL;
  r->ev_main = r->ev_deliver = 0;
  r->state = FAAS__UPLINK;
  p->st.invoked++;
  p->st.in_flight++;

  if (!lk->up || (p->nfaults && link_down_fault(p, now))) { /* the connection attempt times out */
    set_failed(r, INVOKE_NETWORK, 0);
    deliver_at(r, r->deadline);
    return CM_OK;
  }
  cm_time up = lk->latency;
  if (lk->jitter_sd > 0) up += (cm_time)fabs(rng_normal(p->r_link, 0, (double)lk->jitter_sd));
  if (lk->ns_per_byte > 0) up += (cm_time)((double)inv->request_bytes * lk->ns_per_byte + 0.5);
  if (up >= r->deadline - now) { /* the request is still uploading when the client gives up */
    set_timeout(r);
    deliver_at(r, r->deadline);
    return CM_OK;
  }
  r->ev_main = engine_at(w->en, now + up, on_arrival, r);
  return CM_OK;
}
