/* What the network sweep's anonymity observer (cli/mixclaves_anon.c)
 * relies on: env_sim's datagram tap reports every datagram handed to a
 * link (SEND, at the send time; not the lost ones) and every one a bound
 * handler receives (DELIVER, at the arrival time, before the handler);
 * an abstract packet keeps its id through every hop while its hops left
 * count down, and its payload key equals the key of the payload the last
 * hop delivers; a packet of another length or a broken header gives no
 * id. */
#include "cmocka_inc.h"

#include <stdlib.h>
#include <string.h>

#include "env_sim.h"
#include "mixclaves/codec.h"
#include "rng.h"

struct rec {
  int n, handler_seen_at;
  enum env_sim_tap_event ev[8];
  cm_time t[8];
  cm_addr from[8], to[8];
};

static void tap(void *arg, enum env_sim_tap_event ev, cm_time t, cm_addr from, cm_addr to, const uint8_t *pkt,
                size_t len) {
  struct rec *r = arg;
  assert_true(len == 3 && pkt[0] == 'a');
  if (r->n < 8) {
    r->ev[r->n] = ev;
    r->t[r->n] = t;
    r->from[r->n] = from;
    r->to[r->n] = to;
  }
  r->n++;
}

static void handler(env *e CM_UNUSED, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                    const uint8_t *pkt CM_UNUSED, size_t len CM_UNUSED) {
  struct rec *r = arg;
  r->handler_seen_at = r->n; /* taps seen before the handler ran */
}

static void test_env_tap(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct link_model m = {.latency = CM_MS(2)};
  assert_int_equal(env_sim_set_link(e, 0, 0, &m), 0);
  struct rec r = {0};
  assert_int_equal(env_bind(e, 1, handler, &r), 0);
  assert_int_equal(env_bind(e, 2, handler, &r), 0);
  env_sim_set_tap(e, tap, &r);
  assert_int_equal(env_send(e, 1, 2, (const uint8_t *)"abc", 3), 0);
  assert_int_equal(r.n, 1);
  assert_int_equal(r.ev[0], ENV_SIM_TAP_SEND);
  assert_int_equal(r.t[0], 0);
  assert_int_equal(r.from[0], 1);
  assert_int_equal(r.to[0], 2);
  env_run(e, CM_MS(10));
  assert_int_equal(r.n, 2);
  assert_int_equal(r.ev[1], ENV_SIM_TAP_DELIVER);
  assert_int_equal(r.t[1], CM_MS(2));
  assert_int_equal(r.handler_seen_at, 2); /* the tap ran first */
  /* a lost datagram is not reported */
  struct link_model lossy = {.latency = CM_MS(2), .loss = 1};
  assert_int_equal(env_sim_set_link(e, 2, 1, &lossy), 0);
  assert_int_equal(env_send(e, 2, 1, (const uint8_t *)"abc", 3), 0);
  env_run(e, CM_MS(20));
  assert_int_equal(r.n, 2);
  /* off: nothing reported */
  env_sim_set_tap(e, NULL, NULL);
  assert_int_equal(env_send(e, 1, 2, (const uint8_t *)"abc", 3), 0);
  env_run(e, CM_MS(30));
  assert_int_equal(r.n, 2);
  env_free(e);
}

static void test_abstract_ids(void **state CM_UNUSED) {
  const struct codec_ops *c = codec_abstract();
  rng *r = rng_new(3, "tap");
  struct codec_hop path[3] = {{11, CM_MS(1), CODEC_ROUTE, NULL}, {12, CM_MS(1), CODEC_ROUTE, NULL},
                              {13, 0, CODEC_ROUTE, NULL}};
  uint8_t msg[40];
  for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7);
  size_t L = c->packet_bytes;
  uint8_t *p = malloc(L), *q = malloc(L), *p2 = malloc(L);
  assert_int_equal(c->build(path, 3, 0, 99, msg, sizeof msg, codec_random_rng, r, p), 0);
  assert_int_equal(c->build(path, 3, 0, 99, msg, sizeof msg, codec_random_rng, r, p2), 0);
  struct codec_abstract_info first, in, other;
  assert_int_equal(codec_abstract_packet_info(p, L, &first), 0);
  assert_int_equal(codec_abstract_packet_info(p2, L, &other), 0);
  assert_true(first.id != other.id); /* the same message twice: two packets */
  assert_int_equal(first.hops_left, 3);
  assert_int_equal(first.dest, 99);
  for (int h = 0; h < 3; h++) {
    assert_int_equal(codec_abstract_packet_info(p, L, &in), 0);
    assert_true(in.id == first.id);
    assert_int_equal(in.hops_left, 3 - h);
    assert_true(in.payload_key == first.payload_key);
    struct codec_unwrapped u;
    struct codec_node self = {.addr = path[h].addr};
    assert_int_equal(c->unwrap(&self, p, L, q, &u), 0);
    if (u.final) {
      assert_int_equal(u.dest, 99);
      assert_true(codec_abstract_payload_key(u.payload, c->payload_bytes, u.dest) == first.payload_key);
      assert_true(codec_abstract_payload_key(u.payload, c->payload_bytes, 98) != first.payload_key);
    }
    memcpy(p, q, L);
  }
  assert_int_equal(codec_abstract_packet_info(p, L - 1, &in), CM_EINVAL);
  p[0] ^= 1;
  assert_int_equal(codec_abstract_packet_info(p, L, &in), CM_EINVAL);
  free(p);
  free(q);
  free(p2);
  rng_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_env_tap), cmocka_unit_test(test_abstract_ids)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
