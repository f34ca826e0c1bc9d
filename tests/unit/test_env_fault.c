/* The fault decorator (sim/env_fault.h) over the sim backend and, where it
 * can, over the real one on loopback: timers pass through with the outer
 * env, in order, cancellable; the live scheduler, unchanged, moves calls
 * off a provider while a FAIL rule holds and loses none; DELAY adds exactly
 * its delay, DROP ends in a timeout, a probability of 0.5 fails half of the
 * calls (fixed seed); datagram drops and delays with their accounting; the
 * ping-pong model completes through injected loss; bad rules are refused
 * with a message naming rule and field; freeing the decorator with things
 * pending calls nothing back and leaks nothing (run under ASan). The inner
 * sim env answers invocations from a scripted platform installed with
 * env_sim_set_invoker, as in test_sched.c. */
#include "cmocka_inc.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless/sched.h"
#include "demo/pingpong.h"
#include "env_fault.h"
#include "env_real.h"
#include "env_sim.h"

/* ---- the scripted platform: provider p answers OK after latency[p] ---- */

#define NPROV 4

struct fake_call {
  struct fake *f;
  env_invoke_fn done;
  void *arg;
  struct invoke_result res;
};

struct fake {
  cm_time latency[NPROV];
  uint64_t invoked[NPROV], pending;
  GPtrArray *calls; /* every struct fake_call, owned */
};

static void fake_fire(env *e, void *arg) {
  struct fake_call *c = arg;
  c->f->pending--;
  c->done(e, c->arg, &c->res);
}

static int fake_invoke(void *world, env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  struct fake *f = world;
  assert_true(inv->provider < NPROV);
  assert_false(env_real_is(e));
  struct fake_call *c = g_new(struct fake_call, 1);
  cm_time lat = f->latency[inv->provider];
  *c = (struct fake_call){f, done, arg, {.status = INVOKE_OK, .http_status = 200, .latency = lat, .exec_time = lat / 2}};
  g_ptr_array_add(f->calls, c);
  f->invoked[inv->provider]++;
  f->pending++;
  env_after(e, lat, fake_fire, c);
  return 0;
}

static struct fake *fake_new(env *inner) {
  struct fake *f = g_new0(struct fake, 1);
  f->calls = g_ptr_array_new_with_free_func(g_free);
  env_sim_set_invoker(inner, fake_invoke, f);
  return f;
}

static void fake_free(struct fake *f) {
  g_ptr_array_free(f->calls, TRUE);
  g_free(f);
}

static env *decorate(env *inner, const struct env_fault_rule *rules, size_t n) {
  char *err = NULL;
  env *e = env_fault_new(inner, rules, n, &err);
  if (!e) fail_msg("env_fault_new: %s", err);
  return e;
}

static void never(env *e CM_UNUSED, void *arg CM_UNUSED) { fail_msg("a timer fired after the decorator was freed"); }

/* ---- timers, the same check under both backends ---- */

struct order {
  env *outer;
  int seen[16], n, expect;
  cm_time at[16], scheduled; /* when schedule() ran */
};

struct tag {
  struct order *o;
  int id;
};

static void record(env *e, void *arg) {
  struct tag *t = arg;
  assert_ptr_equal(e, t->o->outer);
  t->o->at[t->o->n] = env_now(e);
  t->o->seen[t->o->n++] = t->id;
  if (t->o->n == t->o->expect) env_stop(e);
}

/* From inside a callback (one value of now): equal delays fire in the
 * order they were made; a cancelled timer never fires. */
static void schedule(env *e, void *arg) {
  struct tag *t = arg; /* t[0..5] */
  t->o->scheduled = env_now(e);
  timer_id id[6] = {
      env_after(e, CM_MS(5), record, &t[0]), env_after(e, CM_MS(2), record, &t[1]),
      env_after(e, CM_MS(5), record, &t[2]), env_after(e, CM_MS(2), record, &t[3]),
      env_after(e, 0, record, &t[4]),        env_after(e, CM_MS(3), record, &t[5]),
  };
  for (int i = 0; i < 6; i++) {
    assert_true(id[i] != 0);
    for (int j = 0; j < i; j++) assert_true(id[i] != id[j]);
  }
  assert_int_equal(t->o->n, 0); /* none ran inside env_after */
  assert_true(env_cancel(e, id[5]));
  assert_false(env_cancel(e, id[5]));
  assert_false(env_cancel(e, id[0] ^ ((timer_id)1 << 40))); /* a pending timer's slot, another generation */
}

/* exact: the sim's virtual times are checked to the nanosecond. */
static void check_timers(env *inner, bool exact) {
  env *e = decorate(inner, NULL, 0);
  assert_int_equal(env_seed(e), env_seed(inner));
  rng *mine = env_rng(e, "x");
  assert_ptr_not_equal(mine, env_rng(inner, "x"));
  for (int i = 0; i < 5; i++) assert_true(rng_uniform(mine) == rng_uniform(env_rng(inner, "x")));
  struct order o = {.outer = e, .expect = 5};
  struct tag t[6];
  for (int i = 0; i < 6; i++) t[i] = (struct tag){&o, i};
  cm_time t0 = env_now(e);
  timer_id first = env_after(e, CM_MS(1), schedule, t);
  assert_true(first != 0);
  assert_int_equal(env_run(e, t0 + CM_S(5)), 0);
  assert_int_equal(o.n, 5);
  const int want[5] = {4, 1, 3, 0, 2};
  for (int i = 0; i < 5; i++) assert_int_equal(o.seen[i], want[i]);
  if (exact) {
    const cm_time at[5] = {CM_MS(1), CM_MS(3), CM_MS(3), CM_MS(6), CM_MS(6)};
    for (int i = 0; i < 5; i++) assert_int_equal(o.at[i], at[i]);
  }
  const cm_time delay[5] = {0, CM_MS(2), CM_MS(2), CM_MS(5), CM_MS(5)}; /* lower bounds in real */
  for (int i = 0; i < 5; i++) assert_true(o.at[i] - o.scheduled >= delay[i]);
  for (int i = 1; i < 5; i++) assert_true(o.at[i] >= o.at[i - 1]);
  if (exact) assert_int_equal(env_now(e), env_now(inner)); /* real: two reads of a live clock */
  assert_false(env_cancel(e, first)); /* fired, and its record since reused */
  /* Pending timers at the free never fire, even when the inner env runs on. */
  env_after(e, CM_MS(1), never, NULL);
  env_after(e, CM_S(3600), never, NULL);
  env_free(e);
  env_run(inner, env_now(inner) + CM_MS(20));
}

static void test_timers_sim(void **state CM_UNUSED) {
  env *inner = env_sim_new(1);
  check_timers(inner, true);
  env_free(inner);
}

static void test_timers_real(void **state CM_UNUSED) {
  env *inner = env_real_new(1);
  assert_non_null(inner);
  check_timers(inner, false);
  env_free(inner);
}

/* ---- invocations ---- */

#define MAXC 10000

struct calls {
  env *outer;
  bool in_call, inside;
  uint32_t n, by_status[INVOKE_NSTATUS];
  uint32_t stop_after; /* env_stop at this many results (0: never) */
  cm_time at[MAXC];
  struct invoke_result res[MAXC];
};

static void on_result(env *e, void *arg, const struct invoke_result *r) {
  struct calls *c = arg;
  assert_ptr_equal(e, c->outer);
  if (c->in_call) c->inside = true;
  c->at[c->n] = env_now(e);
  c->res[c->n++] = *r;
  c->by_status[r->status]++;
  if (c->n == c->stop_after) env_stop(e);
}

static int call(env *e, struct calls *c, uint32_t provider, cm_time timeout) {
  c->in_call = true;
  request_id id = env_invoke(e, &(struct invocation){.function = "f", .provider = provider, .timeout = timeout}, on_result, c);
  c->in_call = false;
  assert_true(id != 0);
  return id < 0 ? (int)id : 0; /* 0: accepted */
}

/* Provider 0 delayed by 5 ms, 1 dropped, 2 untouched, 3 failed after 1 ms
 * with 503: in that order of results, each at its exact time. */
static void test_invoke_delay_drop_fail(void **state CM_UNUSED) {
  env *inner = env_sim_new(2);
  struct fake *f = fake_new(inner);
  for (int p = 0; p < NPROV; p++) f->latency[p] = CM_MS(10);
  const struct env_fault_rule rules[] = {
      {.what = FAULT_INVOKE, .provider_or_addr = 0, .probability = 1, .action = FAULT_DELAY, .delay = CM_MS(5)},
      {.what = FAULT_INVOKE, .provider_or_addr = 1, .probability = 1, .action = FAULT_DROP},
      {.what = FAULT_INVOKE, .provider_or_addr = 3, .probability = 1, .action = FAULT_FAIL, .status = INVOKE_ERROR,
       .http_status = 503, .delay = CM_MS(1)},
  };
  env *e = decorate(inner, rules, 3);
  struct calls *c = g_new0(struct calls, 1);
  c->outer = e;
  assert_int_equal(call(e, c, 0, 0), 0);
  assert_int_equal(call(e, c, 1, CM_S(2)), 0);
  assert_int_equal(call(e, c, 1, 0), 0);
  assert_int_equal(call(e, c, 2, 0), 0);
  assert_int_equal(call(e, c, 3, 0), 0);
  assert_int_equal(c->n, 0);
  env_run(e, CM_TIME_MAX);
  assert_false(c->inside);
  assert_int_equal(c->n, 5);
  /* results in time order: fail 1 ms, plain 10 ms, delayed 15 ms, drops 2 s and 60 s */
  const cm_time at[5] = {CM_MS(1), CM_MS(10), CM_MS(15), CM_S(2), ENV_FAULT_DROP_TIMEOUT};
  const enum invoke_status st[5] = {INVOKE_ERROR, INVOKE_OK, INVOKE_OK, INVOKE_TIMEOUT, INVOKE_TIMEOUT};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(c->at[i], at[i]);
    assert_int_equal(c->res[i].latency, at[i]); /* as the caller sees it */
    assert_int_equal(c->res[i].status, st[i]);
  }
  assert_int_equal(c->res[0].http_status, 503);
  assert_int_equal(c->res[2].exec_time, CM_MS(5)); /* the platform's figures pass through */
  assert_int_equal(c->res[3].http_status, 504);
  assert_int_equal(f->invoked[0] + f->invoked[1] + f->invoked[2] + f->invoked[3], 2); /* drop and fail never forward */
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  assert_int_equal(fs.invocations, 5);
  assert_int_equal(fs.invocations_delayed, 1);
  assert_int_equal(fs.invocations_dropped, 2);
  assert_int_equal(fs.invocations_failed, 1);
  assert_ptr_equal(env_fault_inner(e), inner);
  env_free(e);
  g_free(c);
  fake_free(f);
  env_free(inner);
}

/* A FAIL rule of probability 0.5 over 10000 calls fails 5000 +- 250 (5 sd)
 * of them; the same seed fails the same calls. Returns a digest of the
 * statuses in call order. */
static uint64_t half_run(uint64_t seed, uint32_t *failed) {
  env *inner = env_sim_new(seed);
  struct fake *f = fake_new(inner);
  f->latency[0] = CM_MS(2);
  const struct env_fault_rule rule = {.what = FAULT_INVOKE, .provider_or_addr = ENV_FAULT_ANY, .probability = 0.5,
                                      .action = FAULT_FAIL, .status = INVOKE_THROTTLED, .http_status = 429,
                                      .delay = CM_MS(1)};
  env *e = decorate(inner, &rule, 1);
  struct calls *c = g_new0(struct calls, 1);
  c->outer = e;
  for (int i = 0; i < MAXC; i++) assert_int_equal(call(e, c, 0, 0), 0);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(c->n, MAXC);
  assert_int_equal(c->by_status[INVOKE_THROTTLED] + c->by_status[INVOKE_OK], MAXC);
  assert_int_equal(f->invoked[0], c->by_status[INVOKE_OK]);
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  assert_int_equal(fs.invocations_failed, c->by_status[INVOKE_THROTTLED]);
  *failed = c->by_status[INVOKE_THROTTLED];
  uint64_t h = 14695981039346656037ull; /* FNV-1a over (status, time) */
  for (uint32_t i = 0; i < c->n; i++) h = (h ^ (uint64_t)(c->res[i].status * 1000003 + c->at[i])) * 1099511628211ull;
  env_free(e);
  g_free(c);
  fake_free(f);
  env_free(inner);
  return h;
}

static void test_probability_half(void **state CM_UNUSED) {
  uint32_t a, b, c;
  uint64_t ha = half_run(3, &a), hb = half_run(3, &b), hc = half_run(4, &c);
  assert_true(a >= 4750 && a <= 5250);
  assert_true(c >= 4750 && c <= 5250);
  assert_int_equal(a, b);
  assert_true(ha == hb);
  assert_true(ha != hc);
}

/* ---- the scheduler through the decorator ---- */

struct sched_run {
  sched *s;
  uint64_t next, left;
  int provider_of[400]; /* by call id: provider of the completing attempt, -1 failed */
  uint64_t done;
};

static void on_sched_done(void *arg, const struct sched_record *r) {
  struct sched_run *g = arg;
  assert_true(r->id < 400);
  g->provider_of[r->id] = r->outcome == SCHED_COMPLETED ? r->provider : -1;
  g->done++;
}

static void make_call(env *e, void *arg) {
  struct sched_run *g = arg;
  assert_int_equal(sched_call(g->s, &(struct sched_call){.id = g->next++, .function = "resnet18"}), 0);
  if (--g->left) env_after(e, CM_MS(100), make_call, g);
}

/* Two providers, 0 faster (10 ms) than 1 (20 ms), latency policy, a call
 * every 100 ms for 40 s; a FAIL rule on provider 0 in [10 s, 20 s). Before
 * the window provider 0 serves; in it every call completes on provider 1
 * (the scheduler backs off 0 and retries its failed attempts elsewhere);
 * from 22 s (the 1 s backoff cap after the window) provider 0 serves again;
 * no call is lost, and the platform never saw provider 0 in the window. */
static void test_sched_moves_off_failing_provider(void **state CM_UNUSED) {
  env *inner = env_sim_new(5);
  struct fake *f = fake_new(inner);
  f->latency[0] = CM_MS(10);
  f->latency[1] = CM_MS(20);
  const struct env_fault_rule rule = {.what = FAULT_INVOKE, .provider_or_addr = 0, .start = CM_S(10),
                                      .end = CM_S(20), .probability = 1, .action = FAULT_FAIL,
                                      .status = INVOKE_ERROR, .http_status = 500, .delay = CM_MS(1)};
  env *e = decorate(inner, &rule, 1);
  struct sched_provider ps[2] = {{.name = "fast", .env_provider = 0}, {.name = "slow", .env_provider = 1}};
  struct sched_config cfg = {.providers = ps, .nproviders = 2, .policy = "latency", .latency_window = 10,
                             .max_attempts = 3, .backoff_base = CM_MS(100), .backoff_max = CM_S(1)};
  struct sched_run *g = g_new0(struct sched_run, 1);
  g->left = 400;
  g->s = sched_new(e, &cfg, NULL, NULL, on_sched_done, g, NULL);
  assert_non_null(g->s);
  env_after(e, 0, make_call, g);
  env_run(e, CM_TIME_MAX);
  struct sched_stats st;
  sched_stats(g->s, &st);
  assert_int_equal(st.calls, 400);
  assert_int_equal(st.calls, st.completed + st.failed);
  assert_int_equal(st.failed, 0);
  assert_int_equal(st.in_flight, 0);
  assert_int_equal(g->done, 400);
  for (int id = 10; id < 100; id++) assert_int_equal(g->provider_of[id], 0);   /* 1 s .. 10 s */
  for (int id = 100; id < 200; id++) assert_int_equal(g->provider_of[id], 1);  /* 10 s .. 20 s */
  for (int id = 220; id < 400; id++) assert_int_equal(g->provider_of[id], 0);  /* 22 s .. 40 s */
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  assert_true(fs.invocations_failed > 0);
  assert_int_equal(fs.invocations_failed, st.attempts - st.calls); /* each failure retried once */
  assert_int_equal(fs.invocations, st.attempts);
  assert_int_equal(f->invoked[0], sched_completed_on(g->s, 0));
  assert_int_equal(f->invoked[1], sched_completed_on(g->s, 1));
  assert_int_equal(f->pending, 0);
  sched_free(g->s);
  g_free(g);
  env_free(e);
  fake_free(f);
  env_free(inner);
}

/* ---- datagrams ---- */

enum { A = 1, B = 2, C = 3, D = 4, E = 5, X = 9 };

struct inbox {
  env *outer;
  uint32_t got[16];
  cm_time at[16];
};

static void on_dgram(env *e, void *arg, cm_addr from CM_UNUSED, cm_addr to, const uint8_t *pkt, size_t len) {
  struct inbox *in = arg;
  assert_ptr_equal(e, in->outer);
  assert_int_equal(len, 3);
  assert_memory_equal(pkt, "abc", 3);
  in->got[to]++;
  in->at[to] = env_now(e);
}

static void check_net_identity(env *e) {
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.sent, st.delivered + st.lost + st.dropped_unbound + st.dropped_unknown + st.dropped_oversize +
                                st.send_errors + st.in_flight);
}

static void unbind_a(env *e, void *arg CM_UNUSED) { assert_int_equal(env_unbind(e, A), 0); }

/* Links of 3 ms; B dropped, C delayed 7 ms, E untouched, D unbound. */
static void test_datagrams_sim(void **state CM_UNUSED) {
  env *inner = env_sim_new(6);
  assert_int_equal(env_sim_set_link(inner, 0, 0, &(struct link_model){.latency = CM_MS(3)}), 0);
  const struct env_fault_rule rules[] = {
      {.what = FAULT_DATAGRAM, .provider_or_addr = B, .probability = 1, .action = FAULT_DROP},
      {.what = FAULT_DATAGRAM, .provider_or_addr = C, .probability = 1, .action = FAULT_DELAY, .delay = CM_MS(7)},
  };
  env *e = decorate(inner, rules, 2);
  struct inbox in = {.outer = e};
  for (cm_addr a = A; a <= E; a++)
    if (a != D) assert_int_equal(env_bind(e, a, on_dgram, &in), 0);
  assert_int_equal(env_bind(e, A, on_dgram, &in), CM_EEXIST);
  const uint8_t *p = (const uint8_t *)"abc";
  for (int i = 0; i < 10; i++) assert_int_equal(env_send(e, A, B, p, 3), 0);
  assert_int_equal(env_send(e, A, C, p, 3), 0);
  assert_int_equal(env_send(e, A, E, p, 3), 0);
  assert_int_equal(env_send(e, A, D, p, 3), 0);
  /* refused at once, counted nowhere: an unbound sender, an oversize datagram */
  assert_int_equal(env_send(e, X, B, p, 3), CM_ENOENT);
  assert_int_equal(env_send(e, X, E, p, 3), CM_ENOENT);
  static uint8_t big[CM_DATAGRAM_MAX + 1];
  assert_int_equal(env_send(e, A, C, big, sizeof big), CM_EINVAL);
  assert_int_equal(in.got[B] + in.got[C] + in.got[E], 0); /* nothing inside env_send */
  env_run(e, CM_MS(5));
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.in_flight, 1); /* C's, held */
  assert_int_equal(in.got[E], 1);
  check_net_identity(e);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(in.got[B], 0);
  assert_int_equal(in.got[C], 1);
  assert_int_equal(in.at[C], CM_MS(3) + CM_MS(7));
  assert_int_equal(in.at[E], CM_MS(3));
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  assert_int_equal(fs.datagrams, 13);
  assert_int_equal(fs.datagrams_dropped, 10);
  assert_int_equal(fs.datagrams_delayed, 1);
  env_net_stats(e, &st);
  assert_int_equal(st.sent, 13);
  assert_int_equal(st.lost, 10);
  assert_int_equal(st.delivered, 2);
  assert_int_equal(st.dropped_unbound, 1);
  assert_int_equal(st.in_flight, 0);
  check_net_identity(e);
  /* A held datagram whose sender is unbound before it is handed on ends
   * as a send error. */
  assert_int_equal(env_send(e, A, C, p, 3), 0);
  env_after(e, CM_MS(1), unbind_a, NULL);
  env_run(e, CM_TIME_MAX);
  env_net_stats(e, &st);
  assert_int_equal(st.send_errors, 1);
  assert_int_equal(in.got[C], 1);
  check_net_identity(e);
  env_free(e);
  /* the decorator's bindings went with it */
  struct env_net_stats ist;
  env_net_stats(inner, &ist);
  assert_int_equal(env_bind(inner, X, on_dgram, &in), 0);
  assert_int_equal(env_send(inner, X, E, p, 3), 0);
  env_run(inner, CM_TIME_MAX);
  env_net_stats(inner, &st);
  assert_int_equal(st.dropped_unbound, ist.dropped_unbound + 1);
  env_free(inner);
}

/* The ping-pong model through the decorator: 30% of the pings dropped,
 * every pong delayed 2 ms; all rounds complete by re-sending. */
static void run_pingpong(env *inner, cm_time deadline, bool exact) {
  const struct env_fault_rule rules[] = {
      {.what = FAULT_DATAGRAM, .provider_or_addr = B, .probability = 0.3, .action = FAULT_DROP},
      {.what = FAULT_DATAGRAM, .provider_or_addr = A, .probability = 1, .action = FAULT_DELAY, .delay = CM_MS(2)},
  };
  env *e = decorate(inner, rules, 2);
  struct pingpong pp;
  assert_int_equal(pingpong_start(&pp, e, A, B, 20, CM_MS(1), CM_MS(50)), 0);
  assert_int_equal(env_run(e, deadline), 0);
  assert_true(pp.finished);
  assert_int_equal(pp.done, 20);
  assert_true(pp.retries > 0);
  assert_true(pp.rtt_min >= CM_MS(3));
  if (exact) assert_int_equal(pp.rtt_min, CM_MS(1) + CM_MS(2)); /* ideal links */
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  /* every dropped ping is re-sent; in sim nothing else times out */
  if (exact) assert_int_equal(fs.datagrams_dropped, pp.retries);
  else assert_true(fs.datagrams_dropped > 0 && fs.datagrams_dropped <= pp.retries);
  assert_true(fs.datagrams_delayed >= 20);
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.lost, fs.datagrams_dropped); /* the backends lose nothing themselves here */
  pingpong_stop(&pp);
  env_free(e);
}

static void test_pingpong_sim(void **state CM_UNUSED) {
  env *inner = env_sim_new(7);
  run_pingpong(inner, CM_S(3600), true);
  struct env_net_stats st;
  env_net_stats(inner, &st);
  assert_int_equal(st.lost, 0);
  env_free(inner);
}

static void test_pingpong_real(void **state CM_UNUSED) {
  env *inner = env_real_new(7);
  assert_non_null(inner);
  assert_int_equal(env_real_add_peer(inner, A, "127.0.0.1", 0), 0);
  assert_int_equal(env_real_add_peer(inner, B, "127.0.0.1", 0), 0);
  run_pingpong(inner, env_now(inner) + CM_S(60), false);
  env_free(inner);
}

/* Under the real backend (no invoker): FAIL and DROP outcomes still come
 * back, later, to the outer env; an untouched call is refused (ENOSYS). */
static void test_invoke_real(void **state CM_UNUSED) {
  env *inner = env_real_new(8);
  assert_non_null(inner);
  const struct env_fault_rule rules[] = {
      {.what = FAULT_INVOKE, .provider_or_addr = 0, .probability = 1, .action = FAULT_FAIL,
       .status = INVOKE_NETWORK, .delay = CM_MS(2)},
      {.what = FAULT_INVOKE, .provider_or_addr = 1, .probability = 1, .action = FAULT_DROP},
  };
  env *e = decorate(inner, rules, 2);
  struct calls *c = g_new0(struct calls, 1);
  c->outer = e;
  c->stop_after = 2;
  cm_time t0 = env_now(e);
  assert_int_equal(call(e, c, 0, 0), 0);
  assert_int_equal(call(e, c, 1, CM_MS(3)), 0);
  assert_int_equal(call(e, c, 2, 0), CM_ENOSYS);
  env_run(e, t0 + CM_S(5)); /* generous: stops at the second result */
  assert_false(c->inside);
  assert_int_equal(c->n, 2);
  assert_int_equal(c->res[0].status, INVOKE_NETWORK);
  assert_true(c->at[0] - t0 >= CM_MS(2));
  assert_int_equal(c->res[1].status, INVOKE_TIMEOUT);
  assert_true(c->at[1] - t0 >= CM_MS(3));
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  assert_int_equal(fs.invocations, 2); /* the refused one is not counted */
  env_free(e);
  g_free(c);
  env_free(inner);
}

/* ---- bad rules ---- */

static void test_bad_rules(void **state CM_UNUSED) {
  env *inner = env_sim_new(1);
  const struct env_fault_rule ok = {.what = FAULT_INVOKE, .provider_or_addr = ENV_FAULT_ANY, .probability = 1,
                                    .action = FAULT_FAIL, .status = INVOKE_ERROR};
  struct {
    struct env_fault_rule r;
    const char *msg;
  } bad[] = {
      {{.what = FAULT_INVOKE, .probability = 1.5, .action = FAULT_DROP}, "rule 1: probability"},
      {{.what = FAULT_INVOKE, .probability = -0.1, .action = FAULT_DROP}, "rule 1: probability"},
      {{.what = FAULT_INVOKE, .probability = NAN, .action = FAULT_DROP}, "rule 1: probability"},
      {{.what = FAULT_INVOKE, .start = CM_S(2), .end = CM_S(1), .action = FAULT_DROP}, "rule 1: end"},
      {{.what = FAULT_INVOKE, .start = -1, .action = FAULT_DROP}, "rule 1: start"},
      {{.what = FAULT_DATAGRAM, .action = FAULT_DELAY, .delay = -1}, "rule 1: delay"},
      {{.what = FAULT_INVOKE, .action = FAULT_FAIL, .status = INVOKE_OK}, "rule 1: status"},
      {{.what = FAULT_INVOKE, .action = FAULT_FAIL, .status = (enum invoke_status)9}, "rule 1: status"},
      {{.what = FAULT_DATAGRAM, .action = FAULT_FAIL, .status = INVOKE_ERROR}, "rule 1: action"},
      {{.what = (enum env_fault_what)7, .action = FAULT_DROP}, "rule 1: what"},
      {{.what = FAULT_INVOKE, .action = (enum env_fault_action)7}, "rule 1: action"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct env_fault_rule rules[2] = {ok, bad[i].r};
    char *err = NULL;
    assert_null(env_fault_new(inner, rules, 2, &err));
    assert_non_null(err);
    if (!strstr(err, bad[i].msg)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
    assert_null(strchr(err, '\n'));
    g_free(err);
    assert_null(env_fault_new(inner, rules, 2, NULL)); /* err may be NULL */
  }
  char *err = NULL;
  assert_null(env_fault_new(NULL, &ok, 1, &err));
  assert_non_null(strstr(err, "inner"));
  g_free(err);
  err = NULL;
  assert_null(env_fault_new(inner, NULL, 2, &err));
  assert_non_null(strstr(err, "rules"));
  g_free(err);
  /* edge values are fine: an empty window, probability 0 and 1, end 0 */
  struct env_fault_rule edge[3] = {ok, ok, ok};
  edge[0].start = edge[0].end = CM_S(1);
  edge[1].probability = 0;
  edge[2].start = CM_S(5);
  env *e = env_fault_new(inner, edge, 3, NULL);
  assert_non_null(e);
  env_free(e);
  env_free(inner);
}

/* ---- freeing with things pending ---- */

struct late {
  env *inner, *outer, *second;
  struct calls *c;
};

static void on_store(env *e CM_UNUSED, void *arg CM_UNUSED, int status CM_UNUSED, const uint8_t *d CM_UNUSED,
                     size_t len CM_UNUSED) {
  fail_msg("a refused storage call called back");
}

/* At 1.2 s, from one of its own timers: free the decorator, make a second
 * one, whose record 0 a stale handle would name, and call through it. */
static void free_now(env *e, void *arg) {
  struct late *l = arg;
  assert_ptr_equal(e, l->outer);
  env_free(l->outer);
  l->outer = NULL;
  l->second = decorate(l->inner, NULL, 0);
  l->c->outer = l->second;
  assert_true(env_invoke(l->second, &(struct invocation){.function = "f", .provider = 1}, on_result, l->c) > 0);
}

static void test_free_pending(void **state CM_UNUSED) {
  env *inner = env_sim_new(9);
  struct fake *f = fake_new(inner);
  f->latency[0] = CM_S(3);
  f->latency[1] = CM_S(1);
  const struct env_fault_rule rules[] = {
      {.what = FAULT_INVOKE, .provider_or_addr = 1, .probability = 1, .action = FAULT_DELAY, .delay = CM_MS(500)},
      {.what = FAULT_INVOKE, .provider_or_addr = 2, .probability = 1, .action = FAULT_FAIL,
       .status = INVOKE_ERROR, .delay = CM_S(2)},
      {.what = FAULT_DATAGRAM, .provider_or_addr = B, .probability = 1, .action = FAULT_DELAY, .delay = CM_S(5)},
  };
  env *e = decorate(inner, rules, 3);
  struct calls *c = g_new0(struct calls, 1);
  c->outer = (env *)1; /* no result may reach the first decorator's caller */
  struct late l = {.inner = inner, .outer = e, .c = c};
  assert_true(env_invoke(e, &(struct invocation){.function = "f", .provider = 0}, on_result, c) > 0); /* forwarded, back at 3 s */
  assert_true(env_invoke(e, &(struct invocation){.function = "f", .provider = 1}, on_result, c) > 0); /* held 1 .. 1.5 s */
  assert_true(env_invoke(e, &(struct invocation){.function = "f", .provider = 2}, on_result, c) > 0); /* fails at 2 s */
  const struct store_req sr = {.key = "k", .value = (const uint8_t *)"v", .len = 1};
  assert_int_equal(env_put(e, &sr, on_store, NULL), CM_ENOSYS); /* the inner sim env has no storage */
  assert_int_equal(env_get(e, &sr, on_store, NULL), CM_ENOSYS);
  assert_int_equal(env_delete(e, &sr, on_store, NULL), CM_ENOSYS);
  struct inbox in = {.outer = e};
  assert_int_equal(env_bind(e, A, on_dgram, &in), 0);
  assert_int_equal(env_bind(e, B, on_dgram, &in), 0);
  assert_int_equal(env_send(e, A, B, (const uint8_t *)"abc", 3), 0); /* held until 5 s */
  env_after(e, CM_S(10), never, NULL);
  env_after(e, CM_MS(1200), free_now, &l);
  env_run(inner, CM_TIME_MAX);
  assert_null(l.outer);
  assert_int_equal(c->n, 1); /* only the second decorator's call, at 1.2 + 1 s */
  assert_int_equal(c->at[0], CM_MS(2200));
  assert_int_equal(in.got[B], 0);
  assert_int_equal(f->pending, 0); /* the late result at 3 s was ignored */
  struct env_net_stats st;
  env_net_stats(inner, &st);
  assert_int_equal(st.sent, 0); /* the held datagram was never handed on */
  env_free(l.second);
  g_free(c);
  fake_free(f);
  env_free(inner);
}

/* Request ids and cancellation, through the decorator and on the sim env
 * under it: a cancelled call never calls back, whether it was forwarded,
 * held by a delay rule or failed by one; cancelling again, a stale id, a
 * made-up id and an id of the other kind (storage) all answer false; the
 * inner platform still ran the forwarded call (a real one would). */
static void test_cancel(void **state CM_UNUSED) {
  env *inner = env_sim_new(10);
  struct fake *f = fake_new(inner);
  for (int p = 0; p < NPROV; p++) f->latency[p] = CM_MS(10);
  const struct env_fault_rule rules[] = {
      {.what = FAULT_INVOKE, .provider_or_addr = 1, .probability = 1, .action = FAULT_DELAY, .delay = CM_MS(5)},
      {.what = FAULT_INVOKE, .provider_or_addr = 2, .probability = 1, .action = FAULT_FAIL,
       .status = INVOKE_ERROR, .delay = CM_MS(1)},
  };
  env *e = decorate(inner, rules, 2);
  struct calls *c = g_new0(struct calls, 1);
  c->outer = e;
  struct invocation inv = {.function = "f"};
  request_id fwd = env_invoke(e, &inv, on_result, c);
  inv.provider = 1;
  request_id held = env_invoke(e, &inv, on_result, c);
  inv.provider = 2;
  request_id failed = env_invoke(e, &inv, on_result, c);
  inv.provider = 3;
  request_id kept = env_invoke(e, &inv, on_result, c);
  assert_true(fwd > 0 && held > 0 && failed > 0 && kept > 0);
  assert_true(fwd != held && held != failed && failed != kept);
  assert_true(env_invoke_cancel(e, fwd));
  assert_false(env_invoke_cancel(e, fwd));         /* twice */
  assert_false(env_store_cancel(e, failed));       /* the wrong kind */
  assert_true(env_invoke_cancel(e, failed));
  assert_false(env_invoke_cancel(e, 12345));       /* never issued */
  assert_false(env_invoke_cancel(e, 0));
  assert_false(env_invoke_cancel(e, -1));
  env_run(inner, CM_MS(12));                      /* held's inner result is in, its delay running */
  assert_true(env_invoke_cancel(e, held));
  env_run(inner, CM_TIME_MAX);
  assert_int_equal(c->n, 1);                       /* only `kept` */
  assert_int_equal(c->res[0].status, INVOKE_OK);
  assert_false(env_invoke_cancel(e, kept));        /* already called back */
  assert_int_equal(f->invoked[0], 1);              /* the platform ran the cancelled call */
  assert_int_equal(f->pending, 0);

  /* On the sim env directly: a cancelled call's answer is swallowed, and
   * its id is not reused while another call is in flight. */
  struct calls *d = g_new0(struct calls, 1);
  d->outer = inner;
  inv.provider = 0;
  request_id a = env_invoke(inner, &inv, on_result, d);
  assert_true(env_invoke_cancel(inner, a));
  request_id b = env_invoke(inner, &inv, on_result, d);
  assert_true(b > 0 && b != a);
  assert_false(env_invoke_cancel(inner, a));
  env_run(inner, CM_TIME_MAX);
  assert_int_equal(d->n, 1);
  request_id again = env_invoke(inner, &inv, on_result, d); /* a's slot reused: a new id */
  assert_true(again != a && again != b);
  assert_false(env_invoke_cancel(inner, a));
  env_run(inner, CM_TIME_MAX);
  assert_int_equal(d->n, 2);
  env_free(e);
  g_free(c);
  g_free(d);
  fake_free(f);
  env_free(inner);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timers_sim),
      cmocka_unit_test(test_timers_real),
      cmocka_unit_test(test_invoke_delay_drop_fail),
      cmocka_unit_test(test_probability_half),
      cmocka_unit_test(test_sched_moves_off_failing_provider),
      cmocka_unit_test(test_datagrams_sim),
      cmocka_unit_test(test_pingpong_sim),
      cmocka_unit_test(test_pingpong_real),
      cmocka_unit_test(test_invoke_real),
      cmocka_unit_test(test_bad_rules),
      cmocka_unit_test(test_free_pending),
      cmocka_unit_test(test_cancel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
