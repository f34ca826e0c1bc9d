/* The full codec (codec_full.c, Sphinx mixclaves profile) at the codec
 * seam: a 3-hop round trip with the right fields at every hop and the same
 * length throughout; a flipped bit in every byte of the packet rejected;
 * wrong keys, wrong lengths and bad builds refused; a 1-hop DROP and a
 * loop home. (The abstract codec's own test is in test_mixnode.c; the
 * networks that run both codecs are there too.) */
#include "cmocka_inc.h"

#include <string.h>

#include <sodium.h>

#include "mixclaves/codec.h"
#include "mixclaves/sphinx.h"
#include "rng.h"

struct keys {
  uint8_t pk[4][32], sk[4][32];
};

static void make_keys(struct keys *k, rng *r) {
  for (int i = 0; i < 4; i++) {
    uint8_t seed[32];
    codec_random_rng(r, seed, sizeof seed);
    assert_int_equal(sphinx_keypair_from_seed(k->pk[i], k->sk[i], seed), 0);
  }
}

static void test_full_round_trip(void **state CM_UNUSED) {
  assert_true(sodium_init() >= 0);
  const struct codec_ops *c = NULL;
  assert_int_equal(codec_lookup("full", &c), 0);
  assert_true(c->keyed);
  assert_int_equal(c->packet_bytes, sphinx_packet_bytes(&sphinx_profile_mixclaves));
  assert_int_equal(c->max_hops, sphinx_profile_mixclaves.max_hops);
  rng *r = rng_new(7, "codec");
  struct keys k;
  make_keys(&k, r);
  struct codec_hop path[3] = {{11, CM_MS(1), CODEC_ROUTE, k.pk[0]},
                              {12, CM_US(5) + 400, CODEC_ROUTE, k.pk[1]}, /* rounds to 5 us */
                              {13, 0, CODEC_LOOP, k.pk[2]}};
  uint8_t msg[5] = "hello";
  size_t L = c->packet_bytes;
  uint8_t *p = malloc(L), *q = malloc(L);
  assert_int_equal(c->build(path, 3, 0, 99, msg, sizeof msg, codec_random_rng, r, p), 0);
  uint8_t tags[3][CODEC_TAG_BYTES];
  for (int h = 0; h < 3; h++) {
    struct codec_unwrapped u;
    struct codec_node self = {.addr = path[h].addr, .sk = k.sk[h]};
    struct codec_node other = {.addr = 77, .sk = k.sk[3]};
    struct codec_node nokey = {.addr = path[h].addr};
    assert_int_equal(c->unwrap(&other, p, L, q, &u), CM_EPARSE); /* wrong key: the MAC fails */
    assert_int_equal(c->unwrap(&nokey, p, L, q, &u), CM_EINVAL);
    assert_int_equal(c->unwrap(&self, p, L - 1, q, &u), CM_EINVAL);
    assert_int_equal(c->unwrap(&self, p, L, q, &u), 0);
    assert_int_equal(u.delay, h == 1 ? CM_US(5) : path[h].delay);
    assert_int_equal(u.type, path[h].type);
    assert_int_equal(u.final, h == 2);
    memcpy(tags[h], u.tag, CODEC_TAG_BYTES);
    if (h < 2) {
      assert_int_equal(u.next, path[h + 1].addr);
      memcpy(p, q, L); /* same length at every hop */
    } else {
      assert_int_equal(u.dest, 99);
      assert_true(u.payload >= q && u.payload + c->payload_bytes <= q + L);
      assert_memory_equal(u.payload, "hello", 5);
      for (size_t i = 5; i < c->payload_bytes; i++) assert_int_equal(u.payload[i], 0);
    }
  }
  assert_memory_not_equal(tags[0], tags[1], CODEC_TAG_BYTES);
  assert_memory_not_equal(tags[1], tags[2], CODEC_TAG_BYTES);
  /* the same packet at the same node gives the same tag (the node's replay check) */
  assert_int_equal(c->build(path, 3, 0, 99, msg, sizeof msg, codec_random_rng, r, p), 0);
  struct codec_unwrapped u1, u2;
  struct codec_node n0 = {.addr = 11, .sk = k.sk[0]};
  assert_int_equal(c->unwrap(&n0, p, L, q, &u1), 0);
  assert_int_equal(c->unwrap(&n0, p, L, q, &u2), 0);
  assert_memory_equal(u1.tag, u2.tag, CODEC_TAG_BYTES);
  /* bad builds */
  struct codec_hop nopk[1] = {{5, 0, CODEC_ROUTE, NULL}}, ctrl[1] = {{5, 0, CODEC_CTRL, k.pk[0]}},
                   neg[1] = {{5, -1, CODEC_ROUTE, k.pk[0]}}, zero[1] = {{0, 0, CODEC_ROUTE, k.pk[0]}},
                   huge[1] = {{5, CM_S(5000), CODEC_ROUTE, k.pk[0]}};
  assert_int_equal(c->build(path, 0, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_int_equal(c->build(nopk, 1, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_int_equal(c->build(ctrl, 1, 0, 99, msg, 5, codec_random_rng, r, p), 0); /* CTRL at the last hop */
  struct codec_hop ctrl2[2] = {{5, 0, CODEC_CTRL, k.pk[0]}, {6, 0, CODEC_ROUTE, k.pk[0]}};
  assert_int_equal(c->build(ctrl2, 2, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL); /* only there */
  assert_int_equal(c->build(neg, 1, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_int_equal(c->build(zero, 1, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_int_equal(c->build(huge, 1, 0, 99, msg, 5, codec_random_rng, r, p), CM_ERANGE);
  assert_int_equal(c->build(path, 3, 0, 99, msg, c->payload_bytes + 1, codec_random_rng, r, p), CM_ERANGE);
  struct codec_hop nine[9];
  for (int i = 0; i < 9; i++) nine[i] = path[0];
  assert_int_equal(c->build(nine, 9, 0, 99, msg, 5, codec_random_rng, r, p), CM_ERANGE);
  /* a full-size payload */
  uint8_t *big = malloc(c->payload_bytes);
  memset(big, 0xab, c->payload_bytes);
  assert_int_equal(c->build(path, 1, 0, 99, big, c->payload_bytes, codec_random_rng, r, p), 0);
  assert_int_equal(c->unwrap(&n0, p, L, q, &u1), 0);
  assert_true(u1.final);
  assert_memory_equal(u1.payload, big, c->payload_bytes);
  free(big);
  free(p);
  free(q);
  rng_free(r);
}

/* A flipped bit in every byte (header and payload) is rejected. The
 * payload check is at the exit, so the packet is 1 hop. */
static void test_full_bit_flips(void **state CM_UNUSED) {
  assert_true(sodium_init() >= 0);
  const struct codec_ops *c = &codec__full_ops;
  rng *r = rng_new(8, "flips");
  struct keys k;
  make_keys(&k, r);
  struct codec_hop h = {.addr = 11, .delay = CM_US(100), .type = CODEC_ROUTE, .pk = k.pk[0]};
  size_t L = c->packet_bytes;
  uint8_t *p = malloc(L), *q = malloc(L);
  assert_int_equal(c->build(&h, 1, 0, 99, (const uint8_t *)"x", 1, codec_random_rng, r, p), 0);
  struct codec_node self = {.addr = 11, .sk = k.sk[0]};
  struct codec_unwrapped u;
  assert_int_equal(c->unwrap(&self, p, L, q, &u), 0);
  for (size_t i = 0; i < L; i++) {
    uint8_t bit = (uint8_t)(1u << (i % 8));
    p[i] ^= bit;
    assert_int_equal(c->unwrap(&self, p, L, q, &u), CM_EPARSE);
    p[i] ^= bit;
  }
  /* random bytes */
  codec_random_rng(r, q, L);
  memcpy(p, q, L);
  assert_int_equal(c->unwrap(&self, p, L, q, &u), CM_EPARSE);
  /* a DROP at the first hop, a loop home */
  h.type = CODEC_DROP;
  assert_int_equal(c->build(&h, 1, 0, 0, NULL, 0, codec_random_rng, r, p), 0);
  assert_int_equal(c->unwrap(&self, p, L, q, &u), 0);
  assert_int_equal(u.type, CODEC_DROP);
  assert_int_equal(u.dest, 0);
  h.type = CODEC_LOOP;
  assert_int_equal(c->build(&h, 1, 0, 11, NULL, 0, codec_random_rng, r, p), 0);
  assert_int_equal(c->unwrap(&self, p, L, q, &u), 0);
  assert_int_equal(u.dest, 11);
  free(p);
  free(q);
  rng_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_round_trip),
      cmocka_unit_test(test_full_bit_flips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
