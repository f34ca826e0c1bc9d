/* Open- and closed-loop call generators over the seam's timers. Closed
 * loops add a thread at each time the linear ramp passes an integer; a
 * thread whose call ends either makes its next call (after the think time)
 * or retires when the ramp has gone down or the run is over. Trace mode
 * holds one pulled arrival at a time and a timer at its due time. */
#include "cloudless/workload.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct workload {
  env *e;
  sched *s;
  struct workload_config cfg;
  char function[SCHED_NAME_MAX];
  rng *arrivals, *keys;
  uint64_t calls;
  uint32_t threads;  /* closed: threads alive (a call in flight or thinking) */
  uint32_t ramped;   /* closed: ramp steps taken */
  timer_id next;     /* open: next arrival; closed: next ramp step */
  cm_time due;       /* open: when the next arrival is due; gaps add up from it, not from when a
                        timer fired, so a late timer (real mode) delays no later arrival */
  GHashTable *thinking; /* timer ids of thinking threads, to cancel at free */
  /* trace mode */
  cm_time t0;           /* when the workload started: arrival times count from here */
  struct workload_arrival pending; /* pulled, not yet made (its function in pending_fn) */
  char pending_fn[SCHED_NAME_MAX];
  bool trace_done;
  int trace_err;
};

static bool may_call(const workload *w) {
  return env_now(w->e) < w->cfg.until && (w->cfg.max_calls == 0 || w->calls < w->cfg.max_calls);
}

static void call_with(workload *w, const char *function, size_t req, size_t resp, cm_time exec_hint) {
  struct sched_call c = {
      .id = ++w->calls,
      .function = function,
      .input_key = w->cfg.memo_keys ? 1 + rng_below(w->keys, w->cfg.memo_keys) : 0,
      .request_bytes = req,
      .response_bytes = resp,
      .exec_hint = exec_hint,
  };
  if (sched_call(w->s, &c) != 0) cm_fatal(CM_LOC, "workload: the scheduler refused a valid call");
}

static void make_call(workload *w) {
  call_with(w, w->function, w->cfg.request_bytes, w->cfg.response_bytes, 0);
}

/* ---- trace mode ---- */

static void on_trace(env *e, void *arg);

static void trace_stop(workload *w, int err) {
  w->trace_done = true;
  if (err && !w->trace_err) w->trace_err = err;
}

/* Pull the next arrival into pending: true, or false with the workload
 * stopped. prev: the time of the arrival just made, or -1. */
static bool trace_pull(workload *w, cm_time prev) {
  struct workload_arrival a = {0};
  int rc = w->cfg.next(w->cfg.next_arg, &a);
  if (rc <= 0) {
    trace_stop(w, rc < 0 ? rc : 0);
    return false;
  }
  size_t n = a.function ? strlen(a.function) : 0;
  if (n == 0 || n >= SCHED_NAME_MAX) {
    trace_stop(w, CM_EINVAL);
    return false;
  }
  if (a.t < 0 || a.t < prev || a.t > CM_TIME_MAX - w->t0 || a.exec_hint < 0) {
    trace_stop(w, CM_ERANGE);
    return false;
  }
  memcpy(w->pending_fn, a.function, n + 1);
  a.function = w->pending_fn;
  w->pending = a;
  return true;
}

/* Arm the pending arrival's timer (at once if it is due or late). */
static void trace_arm(workload *w) {
  cm_time due = w->t0 + w->pending.t, now = env_now(w->e);
  w->next = env_after(w->e, due > now ? due - now : 0, on_trace, w);
}

/* Make the pending arrival and every later one due by now (several may
 * share a time; a late timer in real mode catches up), in order; then arm
 * the timer of the first one not yet due. */
static void on_trace(env *e CM_UNUSED, void *arg) {
  workload *w = arg;
  w->next = 0;
  do {
    if (!may_call(w)) {
      trace_stop(w, 0);
      return;
    }
    struct workload_arrival a = w->pending;
    g_strlcpy(w->function, w->pending_fn, sizeof w->function);
    call_with(w, w->function, a.request_bytes, a.response_bytes, a.exec_hint);
    if (!trace_pull(w, a.t)) return;
  } while (w->t0 + w->pending.t <= env_now(w->e));
  trace_arm(w);
}

/* Threads the ramp asks for at time t. */
static uint32_t target(const workload *w, cm_time t) {
  const struct workload_config *c = &w->cfg;
  if (c->ramp <= 0 || t >= c->ramp) return c->threads_end;
  double f = (double)t / (double)c->ramp;
  return (uint32_t)floor((double)c->threads_start + f * ((double)c->threads_end - (double)c->threads_start) + 1e-9);
}

static void on_arrival(env *e, void *arg);

/* Arm the next arrival a Poisson gap after from (in the past when the loop
 * was late: then it is due at once). */
static void next_arrival(workload *w, cm_time from) {
  cm_time now = env_now(w->e);
  w->due = from + cm_time_from_s(rng_exponential(w->arrivals, 1.0 / w->cfg.rate_per_s));
  w->next = env_after(w->e, w->due > now ? w->due - now : 0, on_arrival, w);
}

static void on_arrival(env *e CM_UNUSED, void *arg) {
  workload *w = arg;
  w->next = 0;
  if (!may_call(w)) return;
  make_call(w);
  if (may_call(w)) next_arrival(w, w->due);
}

static void on_think_done(env *e CM_UNUSED, void *arg);

struct think {
  workload *w;
  timer_id id;
};

static void thread_next(workload *w, bool failed) {
  if (!may_call(w) || w->threads > target(w, env_now(w->e))) {
    w->threads--;
    return;
  }
  cm_time pause = w->cfg.think + (failed ? w->cfg.fail_pause : 0);
  if (pause <= 0) {
    make_call(w);
    return;
  }
  struct think *t = g_new(struct think, 1);
  t->w = w;
  t->id = env_after(w->e, pause, on_think_done, t);
  g_hash_table_add(w->thinking, t);
}

static void on_think_done(env *e CM_UNUSED, void *arg) {
  struct think *t = arg;
  workload *w = t->w;
  g_hash_table_remove(w->thinking, t);
  g_free(t);
  if (may_call(w)) make_call(w);
  else w->threads--;
}

/* Closed loop: start the threads due now, then sleep until the next step. */
static void on_ramp(env *e, void *arg) {
  workload *w = arg;
  w->next = 0;
  cm_time now = env_now(e);
  uint32_t want = target(w, now);
  while (w->threads < want && may_call(w)) {
    w->threads++;
    make_call(w);
  }
  const struct workload_config *c = &w->cfg;
  if (c->ramp <= 0 || now >= c->ramp || !may_call(w)) return;
  /* the next integer crossing of start + (end - start) t / ramp */
  double lo = c->threads_start, hi = c->threads_end;
  if (hi <= lo) return; /* a falling ramp retires threads as their calls end */
  double k = floor(lo + (double)now / (double)c->ramp * (hi - lo) + 1e-9) + 1;
  cm_time at = (cm_time)ceil((k - lo) / (hi - lo) * (double)c->ramp);
  if (at <= now) at = now + 1;
  if (at < c->until) w->next = env_after(e, at - now, on_ramp, w);
}

workload *workload_new(env *e, sched *s, const struct workload_config *cfg, char **err) {
  const char *why = NULL;
  if (!e || !s || !cfg) why = "missing env, scheduler or config";
  else if (cfg->mode != WORKLOAD_TRACE && (!cfg->function || !cfg->function[0] || strlen(cfg->function) >= SCHED_NAME_MAX))
    why = "function name empty or too long";
  else if (cfg->mode == WORKLOAD_OPEN && !(cfg->rate_per_s > 0)) why = "open loop needs rate_per_s > 0";
  else if (cfg->mode == WORKLOAD_CLOSED && cfg->threads_start == 0 && cfg->threads_end == 0) why = "closed loop needs threads";
  else if (cfg->mode == WORKLOAD_TRACE && !cfg->next) why = "trace mode needs a next-arrival callback";
  else if (cfg->ramp < 0 || cfg->think < 0 || cfg->fail_pause < 0) why = "negative ramp, think or pause time";
  if (why) {
    if (err) *err = g_strdup_printf("workload: %s", why);
    return NULL;
  }
  workload *w = g_new0(workload, 1);
  w->e = e;
  w->s = s;
  w->cfg = *cfg;
  g_strlcpy(w->function, cfg->function ? cfg->function : "", sizeof w->function);
  w->cfg.function = w->function;
  w->arrivals = env_rng(e, "workload:arrivals");
  w->keys = env_rng(e, "workload:keys");
  w->thinking = g_hash_table_new(g_direct_hash, g_direct_equal);
  w->t0 = env_now(e);
  if (cfg->mode == WORKLOAD_OPEN)
    next_arrival(w, env_now(e));
  else if (cfg->mode == WORKLOAD_TRACE) {
    if (trace_pull(w, -1)) trace_arm(w);
  }
  else
    w->next = env_after(e, 0, on_ramp, w);
  return w;
}

void workload_free(workload *w) {
  if (!w) return;
  env_cancel(w->e, w->next);
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, w->thinking);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    struct think *t = k;
    env_cancel(w->e, t->id);
    g_free(t);
  }
  g_hash_table_destroy(w->thinking);
  g_free(w);
}

void workload_done(workload *w, uint64_t call_id CM_UNUSED, bool failed) {
  if (w->cfg.mode == WORKLOAD_CLOSED) thread_next(w, failed);
}

void workload_set_function(workload *w, const char *function, double rate_per_s) {
  if (w->cfg.mode == WORKLOAD_TRACE) return;
  if (function && function[0]) g_strlcpy(w->function, function, sizeof w->function);
  if (rate_per_s > 0 && w->cfg.mode == WORKLOAD_OPEN && rate_per_s != w->cfg.rate_per_s) {
    w->cfg.rate_per_s = rate_per_s;
    if (w->next && env_cancel(w->e, w->next)) next_arrival(w, env_now(w->e));
  }
}

uint64_t workload_calls(const workload *w) { return w->calls; }
uint32_t workload_threads(const workload *w) { return w->threads; }
const char *workload_function(const workload *w) { return w->function; }
bool workload_trace_done(const workload *w) { return w->cfg.mode == WORKLOAD_TRACE && w->trace_done; }
int workload_trace_error(const workload *w) { return w->trace_err; }
