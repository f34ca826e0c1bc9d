/* The seam: the ping-pong model, unchanged, under the sim backend and under
 * the real backend over loopback UDP; the sim backend's links, loss and
 * outcome counters; the callback contract. */
#include "cmocka_inc.h"

#include "demo/pingpong.h"
#include "env_real.h"
#include "env_sim.h"

enum { A = 1, B = 2, ROUNDS = 50 };

/* The driver is the same for both backends: start, run, check, stop. */
static void run_pingpong(env *e, cm_time deadline) {
  struct pingpong pp;
  assert_int_equal(pingpong_start(&pp, e, A, B, ROUNDS, CM_MS(2), CM_S(1)), 0);
  assert_int_equal(env_run(e, deadline), 0);
  assert_true(pp.finished);
  assert_int_equal(pp.done, ROUNDS);
  assert_int_equal(pp.malformed, 0);
  assert_true(pp.rtt_min >= CM_MS(2)); /* B waits 2 ms before answering */
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.sent, 2 * (ROUNDS + pp.retries));
  pingpong_stop(&pp);
}

static void test_pingpong_sim(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct link_model m = {.latency = CM_MS(10), .jitter_sd = CM_MS(1)};
  assert_int_equal(env_sim_set_link(e, 0, 0, &m), 0);
  run_pingpong(e, CM_S(3600));
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.delivered, 2 * ROUNDS);
  assert_int_equal(st.lost + st.dropped_unbound + st.in_flight, 0);
  env_free(e);
}

static void test_pingpong_real(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  assert_non_null(e);
  assert_int_equal(env_real_add_peer(e, A, "127.0.0.1", 0), 0);
  assert_int_equal(env_real_add_peer(e, B, "127.0.0.1", 0), 0);
  run_pingpong(e, env_now(e) + CM_S(60)); /* generous: never fails on a slow machine */
  env_free(e);
}

/* With loss on the link, the model's timeout re-sends and still completes
 * every round; every datagram is accounted for. */
static void test_pingpong_sim_lossy(void **state CM_UNUSED) {
  env *e = env_sim_new(7);
  struct link_model m = {.latency = CM_MS(5), .loss = 0.2};
  assert_int_equal(env_sim_set_link(e, 0, 0, &m), 0);
  struct pingpong pp;
  assert_int_equal(pingpong_start(&pp, e, A, B, ROUNDS, CM_MS(1), CM_MS(100)), 0);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(pp.done, ROUNDS);
  assert_true(pp.retries > 0);
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_true(st.lost > 0);
  assert_int_equal(st.sent, st.delivered + st.lost + st.dropped_unbound + st.in_flight);
  pingpong_stop(&pp);
  env_free(e);
}

static int got;
static cm_time got_at;
static void on_dgram(env *e, void *arg CM_UNUSED, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED, const uint8_t *p CM_UNUSED, size_t len CM_UNUSED) {
  got++;
  got_at = env_now(e);
}

static void on_invoked(env *e CM_UNUSED, void *arg CM_UNUSED, const struct invoke_result *r CM_UNUSED) { fail(); }

/* Latency + bandwidth: 1000 bytes at 8 Mbit/s take 1 ms on the wire. */
static void test_sim_link_delay(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct link_model m = {.latency = CM_MS(3), .bandwidth_bps = 8e6};
  env_sim_set_link(e, A, B, &m);
  struct link_model bad = {.loss = 2};
  assert_int_equal(env_sim_set_link(e, A, B, &bad), CM_EINVAL);
  env_bind(e, A, on_dgram, NULL);
  env_bind(e, B, on_dgram, NULL);
  uint8_t buf[1000] = {0};
  got = 0;
  assert_int_equal(env_send(e, A, B, buf, sizeof buf), 0);
  assert_int_equal(got, 0); /* never inside the call */
  env_run(e, CM_TIME_MAX);
  assert_int_equal(got, 1);
  assert_int_equal(got_at, CM_MS(4));
  /* Refusals: unbound sender, oversize, address 0. Counted nowhere. */
  assert_int_equal(env_send(e, 3, B, buf, 1), CM_ENOENT);
  assert_int_equal(env_send(e, A, 0, buf, 1), CM_EINVAL);
  assert_int_equal(env_bind(e, A, on_dgram, NULL), CM_EEXIST);
  /* A datagram to an unbound address is dropped with its reason. */
  assert_int_equal(env_send(e, A, 9, buf, 1), 0);
  env_run(e, CM_TIME_MAX);
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.sent, 2);
  assert_int_equal(st.delivered, 1);
  assert_int_equal(st.dropped_unbound, 1);
  assert_int_equal(env_invoke(e, &(struct invocation){.function = "f"}, on_invoked, NULL), CM_ENOSYS);
  env_free(e);
}

/* Bindings below 2^24 (direct pages) and above (the hash table) behave
 * alike: bind, refuse a second bind, deliver, unbind, drop as unbound,
 * bind again. A link that draws nothing (no loss, no jitter) and one that
 * draws keep their own behaviour side by side. */
static void test_sim_bindings(void **state CM_UNUSED) {
  const cm_addr addrs[] = {1, 4095, 4096, 100000, (1u << 24) - 1, 1u << 24, 0xfffffff0u};
  const size_t n = sizeof addrs / sizeof addrs[0];
  env *e = env_sim_new(3);
  struct link_model m = {.latency = CM_MS(1)};
  assert_int_equal(env_sim_set_link(e, 0, 0, &m), 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(env_bind(e, addrs[i], on_dgram, NULL), 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(env_bind(e, addrs[i], on_dgram, NULL), CM_EEXIST);
  got = 0;
  uint8_t b = 0;
  for (size_t i = 0; i < n; i++) assert_int_equal(env_send(e, addrs[i], addrs[(i + 1) % n], &b, 1), 0);
  assert_int_equal(env_send(e, 2, 1, &b, 1), CM_ENOENT); /* 2 is not bound */
  env_run(e, CM_TIME_MAX);
  assert_int_equal(got, (int)n);
  for (size_t i = 0; i < n; i++) assert_int_equal(env_unbind(e, addrs[i]), 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(env_unbind(e, addrs[i]), CM_ENOENT);
  assert_int_equal(env_bind(e, 1, on_dgram, NULL), 0);
  assert_int_equal(env_bind(e, 1u << 24, on_dgram, NULL), 0);
  assert_int_equal(env_send(e, 1, 4096, &b, 1), 0);     /* unbound now */
  assert_int_equal(env_send(e, 1u << 24, 1, &b, 1), 0); /* bound again */
  env_run(e, CM_TIME_MAX);
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(got, (int)n + 1);
  assert_int_equal(st.dropped_unbound, 1);
  /* a lossy link beside the lossless default: only it loses */
  struct link_model lossy = {.latency = CM_MS(1), .loss = 0.5};
  assert_int_equal(env_sim_set_link(e, 1u << 24, 0, &lossy), 0);
  for (int i = 0; i < 200; i++) {
    assert_int_equal(env_send(e, 1, 1u << 24, &b, 1), 0);
    assert_int_equal(env_send(e, 1u << 24, 1, &b, 1), 0);
  }
  env_run(e, CM_TIME_MAX);
  env_net_stats(e, &st);
  assert_true(st.lost > 60 && st.lost < 140);
  assert_int_equal(st.delivered, (uint64_t)got);
  assert_int_equal(got, (int)n + 1 + 400 - (int)st.lost);
  env_free(e);
}

static int fired;
static void tick(env *e CM_UNUSED, void *arg CM_UNUSED) { fired++; }

static void test_sim_timers(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  fired = 0;
  timer_id t1 = env_after(e, CM_MS(1), tick, NULL);
  timer_id t2 = env_after(e, CM_MS(2), tick, NULL);
  assert_true(t1 && t2 && t1 != t2);
  assert_int_equal(fired, 0);
  assert_true(env_cancel(e, t2));
  assert_false(env_cancel(e, t2));
  assert_false(env_cancel(e, 0));
  env_run(e, CM_S(1));
  assert_int_equal(fired, 1);
  assert_false(env_cancel(e, t1)); /* fired */
  assert_int_equal(env_now(e), CM_S(1));
  /* Pending timers at free are dropped without leaks. */
  env_after(e, CM_S(5), tick, NULL);
  env_free(e);
}

/* Named streams: same seed and name give the same draws in both backends. */
static void test_rng_same_in_both(void **state CM_UNUSED) {
  env *s = env_sim_new(5), *r = env_real_new(5);
  for (int i = 0; i < 10; i++) assert_true(rng_uniform(env_rng(s, "x")) == rng_uniform(env_rng(r, "x")));
  assert_ptr_equal(env_rng(s, "x"), env_rng(s, "x"));
  env_free(s);
  env_free(r);
}

/* env_sim_next_event follows the sim env's timers; env_run to a time
 * before it only moves the clock. */
static void test_sim_next_event(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  assert_true(env_sim_next_event(e) == CM_TIME_MAX);
  timer_id t = env_after(e, CM_MS(5), tick, NULL);
  env_after(e, CM_MS(9), tick, NULL);
  assert_int_equal(env_sim_next_event(e), CM_MS(5));
  assert_true(env_cancel(e, t));
  assert_int_equal(env_sim_next_event(e), CM_MS(9));
  assert_int_equal(env_run(e, CM_MS(7)), 0);
  assert_int_equal(env_now(e), CM_MS(7));
  assert_int_equal(env_sim_next_event(e), CM_MS(9));
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pingpong_sim),   cmocka_unit_test(test_pingpong_real),
      cmocka_unit_test(test_pingpong_sim_lossy), cmocka_unit_test(test_sim_link_delay),
      cmocka_unit_test(test_sim_timers),     cmocka_unit_test(test_rng_same_in_both),
      cmocka_unit_test(test_sim_next_event), cmocka_unit_test(test_sim_bindings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
