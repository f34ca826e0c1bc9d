/* Per-epoch keys (models/mixclaves/keyring.h) and the node's epochs
 * (node_epoch_publish_next, node_epoch_install, node_epoch_attest): each
 * key has its own replay filter, a next key published ahead accepts
 * packets and keeps its filter when it becomes current, the previous key
 * accepts packets for the grace window only, and an install calls the
 * persist hook first, aborting on its error. The node tests run full
 * Sphinx over the sim backend. */
#include "cmocka_inc.h"

#include <string.h>

#include <sodium.h>

#include "env_sim.h"
#include "mixclaves/keyring.h"
#include "mixclaves/node.h"
#include "rng.h"

#define SELF 10
#define TAP 200

static void x25519(rng *r, uint8_t pk[32], uint8_t sk[32]) {
  rng_bytes(r, sk, 32);
  crypto_scalarmult_base(pk, sk);
}

/* ---- the ring alone ---- */

static void test_ring(void **state CM_UNUSED) {
  rng *r = rng_new(3, "keyring");
  uint8_t pk[4][32], sk[4][32], tag[SPHINX_TAG_BYTES];
  for (int i = 0; i < 4; i++) x25519(r, pk[i], sk[i]);
  rng_bytes(r, tag, sizeof tag);
  keyring *k = keyring_new(10000, 1e-3, CM_S(60));
  assert_non_null(k);
  assert_int_equal(keyring_publish_next(k, 1, pk[1], sk[1]), CM_EINVAL); /* no current key yet */
  assert_int_equal(keyring_switch(k, 0, pk[0], sk[0], 0), 0);
  assert_int_equal(keyring_switch(k, 0, pk[0], sk[0], 0), 0);            /* the same key: nothing */
  assert_int_equal(keyring_switch(k, 0, pk[1], sk[1], 0), CM_EINVAL);    /* another key, same epoch */
  assert_int_equal(keyring_publish_next(k, 0, pk[1], sk[1]), CM_EINVAL); /* not ahead */
  assert_int_equal(keyring_publish_next(k, 1, pk[1], sk[1]), 0);
  /* a filter per key: the same tag is new to each */
  struct keyring_key *k0 = keyring_find(k, 0, CM_S(1)), *k1 = keyring_find(k, 1, CM_S(1));
  assert_non_null(k0);
  assert_non_null(k1);
  assert_ptr_not_equal(k0->replay, k1->replay);
  assert_memory_equal(k1->pk, pk[1], 32);
  assert_false(sphinx_replay_check_insert(k0->replay, tag));
  assert_false(sphinx_replay_check_insert(k1->replay, tag));
  assert_true(sphinx_replay_check_insert(k1->replay, tag));
  assert_null(keyring_find(k, 2, CM_S(1)));
  uint32_t ep[KEYRING_SLOTS];
  assert_int_equal(keyring_epochs(k, CM_S(1), ep), 2);
  assert_int_equal(ep[0], 0);
  assert_int_equal(ep[1], 1);
  /* switch at 10 s to the published key: it keeps its filter (the tag is
   * still a replay), epoch 0 stays for the 60 s grace */
  assert_int_equal(keyring_switch(k, 1, pk[1], sk[1], CM_S(10)), 0);
  k1 = keyring_find(k, 1, CM_S(11));
  assert_non_null(k1);
  assert_true(sphinx_replay_check_insert(k1->replay, tag));
  k0 = keyring_find(k, 0, CM_S(69));
  assert_non_null(k0);
  assert_true(sphinx_replay_check_insert(k0->replay, tag)); /* its filter too: never reset while it accepts */
  assert_int_equal(keyring_epochs(k, CM_S(69), ep), 2);
  assert_null(keyring_find(k, 0, CM_S(70))); /* grace over: key and filter gone */
  assert_int_equal(keyring_epochs(k, CM_S(70), ep), 1);
  assert_int_equal(ep[0], 1);
  assert_int_equal(keyring_switch(k, 0, pk[0], sk[0], CM_S(71)), CM_EINVAL); /* never back */
  /* a switch to a key never published drops a stale next and gets a fresh filter */
  assert_int_equal(keyring_publish_next(k, 2, pk[2], sk[2]), 0);
  assert_int_equal(keyring_switch(k, 3, pk[3], sk[3], CM_S(80)), 0);
  assert_null(keyring_next(k));
  assert_null(keyring_find(k, 2, CM_S(80)));
  struct keyring_key *k3 = keyring_find(k, 3, CM_S(80));
  assert_false(sphinx_replay_check_insert(k3->replay, tag));
  assert_int_equal(keyring_epochs(k, CM_S(80), ep), 2); /* 1 in its grace, 3 */
  keyring_free(k);
  /* no grace: the old key goes at the switch */
  k = keyring_new(10000, 1e-3, 0);
  assert_int_equal(keyring_switch(k, 5, pk[0], sk[0], 0), 0);
  assert_int_equal(keyring_switch(k, 6, pk[1], sk[1], CM_S(1)), 0);
  assert_null(keyring_find(k, 5, CM_S(1)));
  keyring_free(k);
  assert_null(keyring_new(0, 1e-3, 0));
  assert_null(keyring_new(10, 0, 0));
  assert_null(keyring_new(10, 1e-3, -1));
  rng_free(r);
}

/* ---- the node ---- */

static uint64_t tapped;
static void on_tap(env *e CM_UNUSED, void *arg CM_UNUSED, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                   const uint8_t *p CM_UNUSED, size_t len CM_UNUSED) {
  tapped++;
}

/* A 1-hop full-Sphinx packet for SELF sealed to pk in epoch, to TAP. */
static void packet(rng *r, const uint8_t pk[32], uint32_t epoch, uint8_t *pkt) {
  struct codec_hop h = {.addr = SELF, .delay = CM_US(100), .type = CODEC_ROUTE, .pk = pk};
  assert_int_equal(codec__full_ops.build(&h, 1, epoch, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, pkt), 0);
}

struct persist_log {
  node *n;
  int calls, fail;          /* fail: the error to return */
  uint32_t epoch_at_call;   /* the node's epoch when persist ran */
  uint32_t version;
};

static int persist(void *arg, const struct epoch_digest *d, const uint8_t pk[32] CM_UNUSED,
                   const uint8_t sk[32] CM_UNUSED) {
  struct persist_log *l = arg;
  struct node_config c;
  node_config(l->n, &c);
  l->calls++;
  l->epoch_at_call = c.epoch;
  l->version = d->version;
  return l->fail;
}

/* params.replay_log: the tags logged, with their epochs. */
static struct {
  int n;
  uint32_t epoch[16];
  uint8_t tag[16][CODEC_TAG_BYTES];
} journal;

static void log_tag(void *arg CM_UNUSED, uint32_t epoch, const uint8_t tag[CODEC_TAG_BYTES]) {
  if (journal.n < 16) {
    journal.epoch[journal.n] = epoch;
    memcpy(journal.tag[journal.n++], tag, CODEC_TAG_BYTES);
  }
}

static void test_node_epochs(void **state CM_UNUSED) {
  env *e = env_sim_new(9);
  struct link_model m = {.latency = CM_MS(1)};
  env_sim_set_link(e, 0, 0, &m);
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  rng *r = env_rng(e, "test");
  struct node_identity id;
  x25519(r, id.pk, id.sk);
  uint8_t seed[32];
  rng_bytes(r, seed, sizeof seed);
  crypto_sign_seed_keypair(id.sign_pk, id.sign_sk, seed);
  uint8_t op_pk[32], op_sk[64];
  rng_bytes(r, seed, sizeof seed);
  crypto_sign_seed_keypair(op_pk, op_sk, seed);
  struct persist_log log = {0};
  struct node_params p = {.addr = SELF, .codec = &codec__full_ops, .identity = &id, .epoch = 4,
                          .epoch_grace = CM_S(2), .persist = persist, .persist_arg = &log, .operator_pk = op_pk,
                          .replay_log = log_tag};
  node *n = node_new(e, &p, NULL, 0);
  assert_non_null(n);
  log.n = n;
  size_t L = codec__full_ops.packet_bytes;
  static uint8_t p4[4096], p5[4096], p5b[4096], p6[4096];
  assert_true(L <= sizeof p4);
  struct node_config c;
  node_config(n, &c);
  assert_int_equal(c.nepochs, 1);
  assert_int_equal(c.epochs[0], 4);
  assert_null(c.digest);
  /* the key of epoch 5 published ahead: packets for it get through now */
  assert_int_equal(node_epoch_publish_next(n, NULL), 0);
  node_config(n, &c);
  assert_true(c.has_next);
  assert_int_equal(c.nepochs, 2);
  assert_int_equal(c.epochs[1], 5);
  uint8_t pk5[32];
  memcpy(pk5, c.next_pk, 32);
  packet(r, id.pk, 4, p4);
  packet(r, pk5, 5, p5);
  packet(r, pk5, 5, p5b);
  packet(r, id.pk, 5, p6); /* epoch 5 stamped, sealed to epoch 4's key: fails epoch 5's unwrap */
  env_send(e, TAP, SELF, p4, L);
  env_send(e, TAP, SELF, p5, L);
  env_send(e, TAP, SELF, p6, L);
  env_run(e, CM_S(1));
  struct node_counters k;
  node_counters(n, &k);
  assert_int_equal(tapped, 2);
  assert_int_equal(k.malformed, 1);
  assert_int_equal(journal.n, 2); /* the two accepted, with their epochs; not the malformed one */
  assert_int_equal(journal.epoch[0] + journal.epoch[1], 4 + 5);
  /* install epoch 5 (committed, signed by the operator, listing the
   * published key); persist runs first: its error aborts */
  static struct epoch_digest d;
  epoch_digest_init(&d, 5, CM_S(1));
  d.committed = true;
  struct epoch_node me = {.addr = SELF, .role = EPOCH_ROLE_MIX};
  memcpy(me.sign_pk, id.sign_pk, 32);
  memcpy(me.sphinx_pk, pk5, 32);
  assert_int_equal(epoch_digest_put(&d, &me), 0);
  assert_int_equal(node_epoch_install(n, &d, NULL), CM_EINVAL); /* unsigned */
  assert_int_equal(epoch_digest_sign(&d, op_sk), 0);
  log.fail = CM_EIO;
  assert_int_equal(node_epoch_install(n, &d, NULL), CM_EIO);
  assert_int_equal(log.calls, 1);
  node_config(n, &c);
  assert_int_equal(c.epoch, 4); /* nothing changed */
  assert_null(c.digest);
  log.fail = 0;
  assert_int_equal(node_epoch_install(n, &d, NULL), 0);
  assert_int_equal(log.calls, 2);
  assert_int_equal(log.epoch_at_call, 4); /* persisted before the install */
  assert_int_equal(log.version, 5);
  node_config(n, &c);
  assert_int_equal(c.epoch, 5);
  assert_memory_equal(c.pk, pk5, 32);
  assert_non_null(c.digest);
  assert_int_equal(c.nepochs, 2); /* 4 in its grace, 5 */
  assert_int_equal(node_epoch_install(n, &d, NULL), 0); /* again: nothing */
  assert_int_equal(log.calls, 2);
  uint8_t hash[32];
  epoch_digest_hash(&d, hash);
  assert_memory_equal(c.digest_hash, hash, 32);
  /* the node's attestation over a client nonce */
  uint8_t nonce[EPOCH_NONCE_BYTES], sig[EPOCH_SIG_BYTES];
  rng_bytes(r, nonce, sizeof nonce);
  assert_int_equal(node_epoch_attest(n, nonce, sig), 0);
  assert_int_equal(epoch_node_verify(&d, SELF, nonce, sig), 0);
  /* after the switch: epoch 5's filter kept (p5 again is a replay), p5b is
   * new, epoch 4 still accepted in its grace (p4 again: a replay there) */
  env_send(e, TAP, SELF, p5, L);
  env_send(e, TAP, SELF, p5b, L);
  env_send(e, TAP, SELF, p4, L);
  env_run(e, CM_S(2));
  node_counters(n, &k);
  assert_int_equal(k.replay, 2);
  assert_int_equal(tapped, 3);
  /* grace over (switch at ~1 s + 2 s): epoch 4 is stale */
  packet(r, id.pk, 4, p4);
  env_run(e, CM_S(3) + CM_MS(500));
  env_send(e, TAP, SELF, p4, L);
  env_run(e, CM_S(4));
  node_counters(n, &k);
  assert_int_equal(k.stale_epoch, 1);
  node_config(n, &c);
  assert_int_equal(c.nepochs, 1);
  assert_int_equal(c.epochs[0], 5);
  assert_true(node_counters_balanced(&k));
  /* refused installs: an older epoch, another digest of epoch 5, a digest
   * without this node, one naming another packet key */
  static struct epoch_digest old, other;
  old = d;
  old.version = 4;
  epoch_digest_sign(&old, op_sk);
  assert_int_equal(node_epoch_install(n, &old, NULL), CM_ERANGE);
  other = d;
  other.timestamp++;
  epoch_digest_sign(&other, op_sk);
  assert_int_equal(node_epoch_install(n, &other, NULL), CM_EEXIST);
  other.version = 6;
  other.nodes[0].addr = SELF + 1;
  epoch_digest_sign(&other, op_sk);
  struct node_identity k6 = id;
  x25519(r, k6.pk, k6.sk);
  assert_int_equal(node_epoch_install(n, &other, &k6), CM_ENOENT);
  other.nodes[0].addr = SELF;
  epoch_digest_sign(&other, op_sk);
  assert_int_equal(node_epoch_install(n, &other, &k6), CM_EPARSE);
  memcpy(other.nodes[0].sphinx_pk, k6.pk, 32);
  epoch_digest_sign(&other, op_sk);
  assert_int_equal(node_epoch_install(n, &other, &k6), 0); /* a key given with the digest */
  node_config(n, &c);
  assert_int_equal(c.epoch, 6);
  assert_int_equal(log.calls, 3);
  node_free(n);
  /* a node restored from a persisted digest publishes it at once */
  struct node_identity id6 = id;
  memcpy(id6.pk, k6.pk, 32);
  memcpy(id6.sk, k6.sk, 32);
  p.identity = &id6;
  p.epoch = 6;
  p.digest = &other;
  n = node_new(e, &p, NULL, 0);
  assert_non_null(n);
  node_config(n, &c);
  assert_non_null(c.digest);
  assert_true(epoch_digest_equal(c.digest, &other));
  /* a journal put back after a restart: a packet seen before is a replay */
  static uint8_t p6b[4096];
  packet(r, k6.pk, 6, p6b);
  int before = journal.n;
  env_send(e, TAP, SELF, p6b, L);
  env_run(e, env_now(e) + CM_S(1));
  assert_int_equal(journal.n, before + 1);
  assert_int_equal(journal.epoch[before], 6);
  node_free(n);
  n = node_new(e, &p, NULL, 0); /* restarted: an empty filter */
  assert_non_null(n);
  assert_int_equal(node_replay_restore(n, 6, journal.tag[before]), 0);
  assert_int_equal(node_replay_restore(n, 5, journal.tag[before]), CM_ENOENT); /* no key of 5 held */
  env_send(e, TAP, SELF, p6b, L);
  env_run(e, env_now(e) + CM_S(1));
  node_counters(n, &k);
  assert_int_equal(k.replay, 1);
  assert_int_equal(k.delivered, 0);
  node_free(n);
  p.epoch = 5; /* the digest's version must be the node's epoch */
  assert_null(node_new(e, &p, NULL, 0));
  env_free(e);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_ring), cmocka_unit_test(test_node_epochs)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
