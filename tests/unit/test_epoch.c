/* The epoch digest (models/mixclaves/epoch.h), property tests over seeded
 * random digests drawn from small pools (few versions, addresses and keys,
 * so concurrent digests of one epoch collide): the digest merge and the
 * (committed, pending) pair's merge (epoch_state.h) are commutative,
 * associative and idempotent, over every order and grouping of three,
 * and the pair never retracts a committed digest over random merge
 * sequences; encode
 * and decode round trip; every truncation, extension and single-byte change
 * of a signed encoding is refused or fails the operator's signature; wrong
 * keys, nonces and nodes refused; bad arguments. */
#include "cmocka_inc.h"

#include <string.h>

#include <sodium.h>

#include "mixclaves/epoch.h"
#include "mixclaves/epoch_state.h"
#include "rng.h"

#define SEED 15
#define ROUNDS 400

struct op {
  uint8_t pk[EPOCH_PK_BYTES], sk[EPOCH_SK_BYTES];
};

static void keypair(rng *r, struct op *k) {
  uint8_t seed[crypto_sign_SEEDBYTES];
  rng_bytes(r, seed, sizeof seed);
  assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

/* A random digest: version 0..2, up to 10 of the addresses 1..12, one of
 * two key variants per address, signed by op half of the time. */
static void random_digest(rng *r, const struct op *op, struct epoch_digest *d) {
  epoch_digest_init(d, (uint32_t)rng_below(r, 3), (cm_time)rng_below(r, 4) * CM_S(60));
  d->committed = rng_below(r, 2);
  uint32_t n = (uint32_t)rng_below(r, 11);
  for (uint32_t i = 0; i < n; i++) {
    struct epoch_node nd = {.addr = (cm_addr)(1 + rng_below(r, 12))};
    uint8_t variant = (uint8_t)rng_below(r, 2);
    memset(nd.sign_pk, (int)(nd.addr * 2 + variant), sizeof nd.sign_pk);
    memset(nd.sphinx_pk, (int)(nd.addr * 3 + variant), sizeof nd.sphinx_pk);
    nd.layer = (uint8_t)(nd.addr % 3);
    nd.role = nd.addr > 9 ? EPOCH_ROLE_PROVIDER : EPOCH_ROLE_MIX;
    assert_int_equal(epoch_digest_put(d, &nd), 0);
  }
  if (rng_below(r, 2)) assert_int_equal(epoch_digest_sign(d, op->sk), 0);
}

/* Flip the committed flag (the body changed: the signature goes). */
static void set_committed(struct epoch_digest *d, bool committed) {
  d->committed = committed;
  memset(d->sig, 0, sizeof d->sig);
}

static void merge(const struct epoch_digest *a, const struct epoch_digest *b, struct epoch_digest *out) {
  assert_int_equal(epoch_digest_merge(a, b, out), 0);
}

static void test_round_trip(void **state CM_UNUSED) {
  rng *r = rng_new(SEED, "epoch:round-trip");
  struct op op;
  keypair(r, &op);
  static struct epoch_digest d, e;
  static uint8_t buf[EPOCH_MAX_BYTES], buf2[EPOCH_MAX_BYTES];
  for (int k = 0; k < ROUNDS; k++) {
    random_digest(r, &op, &d);
    size_t len, len2;
    assert_int_equal(epoch_digest_encode(&d, buf, sizeof buf, &len), 0);
    assert_int_equal(len, EPOCH_ENCODED_BYTES(d.n));
    assert_int_equal(epoch_digest_decode(buf, len, &e), 0);
    assert_true(epoch_digest_equal(&d, &e));
    assert_int_equal(epoch_digest_encode(&e, buf2, sizeof buf2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    bool is_signed = false;
    for (int i = 0; i < EPOCH_SIG_BYTES; i++) is_signed |= d.sig[i] != 0;
    assert_int_equal(epoch_digest_verify(&e, op.pk), is_signed ? 0 : CM_EINVAL);
  }
  rng_free(r);
}

static void test_merge_laws(void **state CM_UNUSED) {
  rng *r = rng_new(SEED, "epoch:laws");
  struct op op;
  keypair(r, &op);
  struct op op2; /* a second operator: one body, two signatures */
  keypair(r, &op2);
  static struct epoch_digest a, b, c, ab, ba, bc, ab_c, a_bc, aa;
  int concurrent = 0, unsigned_merges = 0;
  for (int k = 0; k < ROUNDS; k++) {
    random_digest(r, &op, &a);
    random_digest(r, &op, &b);
    random_digest(r, &op, &c);
    /* digests of one kind merge (the pair of kinds: test_state_*) */
    if (b.committed != a.committed) set_committed(&b, a.committed);
    if (c.committed != a.committed) set_committed(&c, a.committed);
    if (k % 4 == 0) b = a; /* now and then an exact copy */
    if (k % 8 == 0) assert_int_equal(epoch_digest_sign(&b, op2.sk), 0); /* or the same body signed by another */
    merge(&a, &b, &ab);
    merge(&b, &a, &ba);
    assert_true(epoch_digest_equal(&ab, &ba));
    merge(&ab, &c, &ab_c);
    merge(&b, &c, &bc);
    merge(&a, &bc, &a_bc);
    assert_true(epoch_digest_equal(&ab_c, &a_bc));
    merge(&a, &a, &aa);
    assert_true(epoch_digest_equal(&aa, &a));
    /* the join is an upper bound: merging an input again changes nothing */
    merge(&ab, &a, &aa);
    assert_true(epoch_digest_equal(&aa, &ab));
    /* aliasing */
    aa = a;
    merge(&aa, &b, &aa);
    assert_true(epoch_digest_equal(&aa, &ab));
    if (a.version == b.version) {
      concurrent++;
      if (!epoch_digest_equal(&a, &b) && !epoch_digest_equal(&ab, &a) && !epoch_digest_equal(&ab, &b)) {
        unsigned_merges++;
        assert_int_equal(epoch_digest_verify(&ab, op.pk), CM_EINVAL);
        assert_int_equal(epoch_digest_sign(&ab, op.sk), 0);
        assert_int_equal(epoch_digest_verify(&ab, op.pk), 0);
      }
    } else {
      /* the higher version wins byte for byte, signature included */
      assert_true(epoch_digest_equal(&ab, a.version > b.version ? &a : &b));
    }
  }
  print_message("laws: %d triples, %d equal-rank pairs, %d new (unsigned) bodies\n", ROUNDS, concurrent,
                unsigned_merges);
  assert_true(concurrent > ROUNDS / 8);
  assert_true(unsigned_merges > 10);
  rng_free(r);
}

/* A random lattice element: the join of 0..3 random digests. */
static void random_state(rng *r, const struct op *op, struct epoch_state *s) {
  static struct epoch_digest d;
  epoch_state_init(s);
  for (int k = (int)rng_below(r, 4); k > 0; k--) {
    random_digest(r, op, &d);
    assert_int_equal(epoch_state_add(s, &d), 0);
  }
}

static void smerge(const struct epoch_state *a, const struct epoch_state *b, struct epoch_state *out) {
  assert_int_equal(epoch_state_merge(a, b, out), 0);
}

/* The pair's join: commutative, idempotent, and every permutation and
 * grouping of three random elements gives one result. */
static void test_state_laws(void **state CM_UNUSED) {
  rng *r = rng_new(SEED, "epoch:state-laws");
  struct op op;
  keypair(r, &op);
  static struct epoch_state x[3], t, u, first, aa;
  static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  int both = 0;
  for (int k = 0; k < ROUNDS; k++) {
    for (int i = 0; i < 3; i++) random_state(r, &op, &x[i]);
    if (k % 5 == 0) x[1] = x[0];
    for (int p = 0; p < 6; p++) {
      const struct epoch_state *a = &x[perm[p][0]], *b = &x[perm[p][1]], *c = &x[perm[p][2]];
      smerge(a, b, &t); /* (a b) c */
      smerge(&t, c, &t);
      smerge(b, c, &u); /* a (b c) */
      smerge(a, &u, &u);
      if (p == 0) first = t;
      assert_true(epoch_state_equal(&t, &first));
      assert_true(epoch_state_equal(&u, &first));
    }
    smerge(&x[0], &x[0], &aa);
    assert_true(epoch_state_equal(&aa, &x[0]));
    smerge(&first, &x[1], &aa); /* an upper bound of every input */
    assert_true(epoch_state_equal(&aa, &first));
    if (first.has_committed && first.has_pending) both++;
  }
  print_message("state laws: %d triples x 6 orders x 2 groupings, %d results with a commit and a proposal\n", ROUNDS,
                both);
  assert_true(both > ROUNDS / 10);
  rng_free(r);
}

/* A committed reconfiguration is never retracted, checked after every
 * step of random merge sequences: once set, the committed part stays set,
 * its version never falls and at its version it keeps all its nodes; a
 * proposal of a higher epoch sits beside it, never in its place; a
 * proposal at or below it is gone. */
static void test_committed_never_retracted(void **state CM_UNUSED) {
  rng *r = rng_new(SEED, "epoch:committed");
  struct op op;
  keypair(r, &op);
  static struct epoch_state s, x, before;
  static struct epoch_digest d;
  int steps = 0, hidden_before = 0;
  for (int k = 0; k < ROUNDS / 4; k++) {
    epoch_state_init(&s);
    for (int step = 0; step < 12; step++, steps++) {
      before = s;
      if (rng_below(r, 2)) {
        random_digest(r, &op, &d);
        if (d.version > 0 && rng_below(r, 2)) d.version += 2; /* now and then a proposal far ahead */
        assert_int_equal(epoch_state_add(&s, &d), 0);
        if (!d.committed && before.has_committed && d.version > before.committed.version) hidden_before++;
      } else {
        random_state(r, &op, &x);
        smerge(&s, &x, &s);
      }
      if (before.has_committed) {
        assert_true(s.has_committed);
        assert_true(s.committed.committed);
        assert_true(s.committed.version >= before.committed.version);
        if (s.committed.version == before.committed.version)
          for (uint32_t i = 0; i < before.committed.n; i++)
            assert_true(epoch_digest_find(&s.committed, before.committed.nodes[i].addr) >= 0);
      }
      if (s.has_pending) {
        assert_false(s.pending.committed);
        if (s.has_committed) assert_true(s.pending.version > s.committed.version);
      }
    }
  }
  print_message("never retracted: %d steps, %d proposals above a commit (the old merge let those win)\n", steps,
                hidden_before);
  assert_true(hidden_before > 20);
  /* the case of the issue, by hand: committed epoch 1, then a proposal of 2 */
  static struct epoch_digest c1, p2;
  epoch_digest_init(&c1, 1, CM_S(10));
  c1.committed = true;
  epoch_digest_init(&p2, 2, CM_S(20));
  epoch_state_init(&s);
  assert_int_equal(epoch_state_add(&s, &c1), 0);
  assert_int_equal(epoch_state_add(&s, &p2), 0);
  assert_true(s.has_committed && s.has_pending);
  assert_true(epoch_digest_equal(&s.committed, &c1));
  assert_true(epoch_digest_equal(&s.pending, &p2));
  assert_int_equal(epoch_digest_merge(&c1, &p2, &d), CM_EINVAL); /* kinds are not mixed in one digest */
  p2.committed = true; /* epoch 2 committed: the proposal is overtaken */
  assert_int_equal(epoch_state_add(&s, &p2), 0);
  assert_true(s.has_committed && !s.has_pending);
  assert_int_equal(s.committed.version, 2);
  rng_free(r);
}

/* Every truncation and extension is refused; every single-byte change is
 * refused or decodes to a digest the operator's signature fails on. */
static void test_mutations(void **state CM_UNUSED) {
  rng *r = rng_new(SEED, "epoch:mutations");
  struct op op;
  keypair(r, &op);
  static struct epoch_digest d, e;
  static uint8_t buf[EPOCH_MAX_BYTES + 1], mut[EPOCH_MAX_BYTES + 1];
  uint64_t refused = 0, unverified = 0, tried = 0;
  for (int k = 0; k < 40; k++) {
    random_digest(r, &op, &d);
    assert_int_equal(epoch_digest_sign(&d, op.sk), 0);
    size_t len;
    assert_int_equal(epoch_digest_encode(&d, buf, sizeof buf, &len), 0);
    for (size_t t = 0; t < len; t++) {
      /* (reads past t in exact-size buffers: test_truncations_exact) */
      memcpy(mut, buf, t);
      assert_int_equal(epoch_digest_decode(mut, t, &e), CM_EPARSE);
    }
    memcpy(mut, buf, len);
    mut[len] = 0;
    assert_int_equal(epoch_digest_decode(mut, len + 1, &e), CM_EPARSE);
    for (size_t i = 0; i < len; i++) {
      uint8_t xs[3] = {0x01, 0x80, (uint8_t)(1 + rng_below(r, 255))};
      for (int v = 0; v < 3; v++) {
        memcpy(mut, buf, len);
        mut[i] ^= xs[v];
        tried++;
        int rc = epoch_digest_decode(mut, len, &e);
        if (rc != 0) {
          assert_int_equal(rc, CM_EPARSE);
          refused++;
          continue;
        }
        assert_int_equal(epoch_digest_verify(&e, op.pk), CM_EINVAL);
        unverified++;
      }
    }
  }
  print_message("mutations: %llu single-byte changes, %llu refused by the decoder, %llu fail the signature\n",
                (unsigned long long)tried, (unsigned long long)refused, (unsigned long long)unverified);
  assert_int_equal(tried, refused + unverified);
  rng_free(r);
}

/* Truncations into exact-size heap buffers, so ASan catches any read past
 * the end. */
static void test_truncations_exact(void **state CM_UNUSED) {
  rng *r = rng_new(SEED, "epoch:exact");
  struct op op;
  keypair(r, &op);
  static struct epoch_digest d, e;
  static uint8_t buf[EPOCH_MAX_BYTES];
  for (int k = 0; k < 10; k++) {
    random_digest(r, &op, &d);
    size_t len;
    assert_int_equal(epoch_digest_encode(&d, buf, sizeof buf, &len), 0);
    for (size_t t = 0; t <= len; t++) {
      uint8_t *p = test_malloc(t ? t : 1);
      memcpy(p, buf, t);
      assert_int_equal(epoch_digest_decode(p, t, &e), t == len ? 0 : CM_EPARSE);
      test_free(p);
    }
  }
  rng_free(r);
}

static void test_signatures(void **state CM_UNUSED) {
  assert_true(sodium_init() >= 0);
  rng *r = rng_new(SEED, "epoch:keys");
  struct op op, other, nk[3];
  keypair(r, &op);
  keypair(r, &other);
  static struct epoch_digest d, d2;
  epoch_digest_init(&d, 7, CM_S(1000));
  d.committed = true;
  for (int i = 0; i < 3; i++) {
    keypair(r, &nk[i]);
    struct epoch_node nd = {.addr = (cm_addr)(100 + i), .layer = (uint8_t)i, .role = EPOCH_ROLE_MIX};
    memcpy(nd.sign_pk, nk[i].pk, EPOCH_PK_BYTES);
    rng_bytes(r, nd.sphinx_pk, sizeof nd.sphinx_pk);
    assert_int_equal(epoch_digest_put(&d, &nd), 0);
  }
  assert_int_equal(epoch_digest_verify(&d, op.pk), CM_EINVAL); /* unsigned */
  assert_int_equal(epoch_digest_sign(&d, op.sk), 0);
  assert_int_equal(epoch_digest_verify(&d, op.pk), 0);
  assert_int_equal(epoch_digest_verify(&d, other.pk), CM_EINVAL);
  d2 = d;
  assert_int_equal(epoch_digest_sign(&d2, other.sk), 0);
  assert_int_equal(epoch_digest_verify(&d2, op.pk), CM_EINVAL);
  d2 = d;
  d2.timestamp++;
  assert_int_equal(epoch_digest_verify(&d2, op.pk), CM_EINVAL);
  d2 = d;
  d2.committed = false;
  assert_int_equal(epoch_digest_verify(&d2, op.pk), CM_EINVAL);

  uint8_t nonce[EPOCH_NONCE_BYTES], nonce2[EPOCH_NONCE_BYTES], sig[EPOCH_SIG_BYTES];
  rng_bytes(r, nonce, sizeof nonce);
  memcpy(nonce2, nonce, sizeof nonce);
  nonce2[5] ^= 1;
  for (int i = 0; i < 3; i++) {
    cm_addr a = (cm_addr)(100 + i);
    assert_int_equal(epoch_node_sign(&d, nk[i].sk, nonce, sig), 0);
    assert_int_equal(epoch_node_verify(&d, a, nonce, sig), 0);
    assert_int_equal(epoch_node_verify(&d, a, nonce2, sig), CM_EINVAL);
    assert_int_equal(epoch_node_verify(&d, (cm_addr)(100 + (i + 1) % 3), nonce, sig), CM_EINVAL);
    assert_int_equal(epoch_node_verify(&d, 99, nonce, sig), CM_ENOENT);
    assert_int_equal(epoch_node_verify(&d2, a, nonce, sig), CM_EINVAL); /* another digest */
    assert_int_equal(epoch_node_sign(&d, op.sk, nonce, sig), 0);     /* the operator is not the node */
    assert_int_equal(epoch_node_verify(&d, a, nonce, sig), CM_EINVAL);
  }
  rng_free(r);
}

static void test_bad_args(void **state CM_UNUSED) {
  static struct epoch_digest d, m;
  static uint8_t buf[EPOCH_MAX_BYTES];
  size_t len;
  epoch_digest_init(&d, 1, 0);
  struct epoch_node nd = {.addr = 0};
  assert_int_equal(epoch_digest_put(&d, &nd), CM_EINVAL);
  nd.addr = 5;
  nd.role = EPOCH_NROLES;
  assert_int_equal(epoch_digest_put(&d, &nd), CM_EINVAL);
  nd.role = EPOCH_ROLE_PROVIDER;
  assert_int_equal(epoch_digest_put(&d, &nd), 0);
  nd.layer = 2;
  assert_int_equal(epoch_digest_put(&d, &nd), 0); /* replaced */
  assert_int_equal(d.n, 1);
  assert_int_equal(d.nodes[0].layer, 2);
  assert_int_equal(epoch_digest_find(&d, 6), CM_ENOENT);
  assert_int_equal(epoch_digest_encode(&d, buf, EPOCH_ENCODED_BYTES(1) - 1, &len), CM_ERANGE);
  assert_int_equal(epoch_digest_decode(NULL, 0, &d), CM_EPARSE);
  /* a hand-broken digest is refused everywhere */
  m = d;
  nd.addr = 3;
  m.nodes[m.n++] = nd; /* out of order */
  assert_int_equal(epoch_digest_encode(&m, buf, sizeof buf, &len), CM_EINVAL);
  assert_int_equal(epoch_digest_merge(&m, &d, &m), CM_EINVAL);
  /* a full digest, and a union past EPOCH_MAX_NODES */
  static struct epoch_digest lo, hi;
  epoch_digest_init(&lo, 1, 0);
  epoch_digest_init(&hi, 1, 0);
  for (uint32_t i = 0; i < EPOCH_MAX_NODES; i++) {
    nd.addr = 1 + i;
    assert_int_equal(epoch_digest_put(&lo, &nd), 0);
    nd.addr = 1 + i + EPOCH_MAX_NODES;
    assert_int_equal(epoch_digest_put(&hi, &nd), 0);
  }
  assert_int_equal(epoch_digest_put(&lo, &nd), CM_ERANGE);
  assert_int_equal(epoch_digest_encode(&lo, buf, sizeof buf, &len), 0);
  assert_int_equal(len, EPOCH_MAX_BYTES);
  assert_int_equal(epoch_digest_decode(buf, len, &m), 0);
  m = d;
  assert_int_equal(epoch_digest_merge(&lo, &hi, &m), CM_ERANGE);
  assert_true(epoch_digest_equal(&m, &d)); /* unchanged */
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_merge_laws),
      cmocka_unit_test(test_state_laws),       cmocka_unit_test(test_committed_never_retracted),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_truncations_exact), cmocka_unit_test(test_signatures),
      cmocka_unit_test(test_bad_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
