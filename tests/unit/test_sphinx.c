/* Sphinx (smc-compat profile) and LIONESS: the published vectors of
 * go-sphinxmixcrypto (send-message and SURB packets), sphinxmixcrypto
 * (primitives) and lioness-rs, checked in under tests/data/sphinx/; then
 * round trips over 1 to 5 hops, tamper detection, replays, wrong keys,
 * fixed packet length, SURB replies and the replay filter's sizing. */
#include "cmocka_inc.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mixclaves/lioness.h"
#include "mixclaves/sphinx.h"
#include "mixclaves/sphinx_impl.h"

#define FIX(f) "tests/data/sphinx/" f

static const struct sphinx_profile *P = &sphinx_profile_smc_compat;

/* ---- data files: "name = hex [hex ...]" lines, '#' comments ---- */

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
  s[n] = 0;
  fclose(fp);
  return s;
}

/* The field-th hex word of the nth line named key, decoded into out (cap). */
static size_t field(const char *text, const char *key, int nth, int fieldno, uint8_t *out, size_t cap) {
  size_t klen = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    if (*l == '#' || strncmp(l, key, klen) != 0 || strncmp(l + klen, " = ", 3) != 0) continue;
    if (nth-- > 0) continue;
    const char *w = l + klen + 3;
    for (int f = 0; f < fieldno; f++) w = strchr(w, ' ') + 1;
    const char *end = w;
    while (*end && *end != ' ' && *end != '\n') end++;
    size_t n = 0;
    assert_int_equal(sodium_hex2bin(out, cap, w, (size_t)(end - w), NULL, &n, NULL), 0);
    return n;
  }
  fail_msg("no %s in data file", key);
  return 0;
}

/* ---- randomness: fixed noise (the references' FixedNoiseReader) ---- */

struct noise {
  uint8_t buf[512];
  size_t len, pos;
};

static void noise_read(void *ctx, uint8_t *out, size_t n) {
  struct noise *z = ctx;
  assert_true(z->pos + n <= z->len);
  memcpy(out, z->buf + z->pos, n);
  z->pos += n;
}

static void os_random(void *ctx CM_UNUSED, uint8_t *out, size_t n) { randombytes_buf(out, n); }

struct node {
  uint8_t id[16], pk[32], sk[32];
};

static void load_nodes(struct node nodes[5]) {
  char *t = slurp(FIX("nodes.txt"));
  for (int i = 0; i < 5; i++) {
    assert_int_equal(field(t, "node", i, 0, nodes[i].id, 16), 16);
    assert_int_equal(field(t, "node", i, 1, nodes[i].pk, 32), 32);
    assert_int_equal(field(t, "node", i, 2, nodes[i].sk, 32), 32);
    uint8_t pk[32];
    assert_int_equal(crypto_scalarmult_curve25519_base(pk, nodes[i].sk), 0);
    assert_memory_equal(pk, nodes[i].pk, 32);
  }
  free(t);
}

static struct node *find(struct node *nodes, size_t n, const uint8_t *id) {
  for (size_t i = 0; i < n; i++)
    if (memcmp(nodes[i].id, id, 16) == 0) return &nodes[i];
  return NULL;
}

/* Forward pkt through the route until a non-FORWARD result; compare the
 * packet that arrives at node `at` with the vector in text when text is set. */
static int mix(struct node *nodes, size_t n, const uint8_t *first, uint8_t *pkt, uint8_t *out,
               struct sphinx_unwrapped *u, const char *text, bool *checked) {
  const size_t PB = sphinx_packet_bytes(P), HB = sphinx_header_bytes(P);
  const uint8_t *hop = first;
  for (;;) {
    struct node *nd = find(nodes, n, hop);
    assert_non_null(nd);
    int rc = sphinx_packet_unwrap(P, nd->sk, NULL, pkt, PB, out, u);
    if (rc) return rc;
    if (u->action != SPHINX_FORWARD) return 0;
    memcpy(pkt, out, PB);
    hop = u->next_hop;
    if (text) {
      uint8_t want[1024];
      field(text, "hop", 0, 0, want, sizeof want);
      if (memcmp(want, hop, 16) == 0) {
        assert_int_equal(field(text, "alpha", 0, 0, want, sizeof want), 32);
        assert_memory_equal(pkt + 1, want, 32);
        assert_int_equal(field(text, "gamma", 0, 0, want, sizeof want), 16);
        assert_memory_equal(pkt + 33, want, 16);
        assert_int_equal(field(text, "beta", 0, 0, want, sizeof want), 176);
        assert_memory_equal(pkt + 49, want, 176);
        assert_int_equal(field(text, "delta", 0, 0, want, sizeof want), 1024);
        assert_memory_equal(pkt + HB, want, 1024);
        *checked = true;
      }
    }
  }
}

/* ---- published vectors ---- */

static void test_lioness_vector(void **state CM_UNUSED) {
  char *t = slurp(FIX("lioness.txt"));
  uint8_t key[LIONESS_KEY_BYTES], in[512], want[512], blk[512];
  assert_int_equal(field(t, "key", 0, 0, key, sizeof key), LIONESS_KEY_BYTES);
  size_t n = field(t, "input", 0, 0, in, sizeof in);
  assert_int_equal(field(t, "output", 0, 0, want, sizeof want), n);
  memcpy(blk, in, n);
  assert_int_equal(lioness_encrypt(blk, n, key), 0);
  assert_memory_equal(blk, want, n);
  assert_int_equal(lioness_decrypt(blk, n, key), 0);
  assert_memory_equal(blk, in, n);
  assert_int_equal(lioness_encrypt(blk, 32, key), CM_EINVAL);
  free(t);
}

static void test_primitive_vectors(void **state CM_UNUSED) {
  char *t = slurp(FIX("primitives.txt"));
  uint8_t a[32], b[32], want[192], got[192], s[32], key[64], data[64];
  /* group: X25519(clamp(secret), 9) */
  field(t, "group_base", 0, 0, a, 32);
  field(t, "group_base", 0, 1, want, 32);
  sphinx__clamp(a);
  assert_int_equal(crypto_scalarmult_curve25519_base(got, a), 0);
  assert_memory_equal(got, want, 32);
  /* two exponentiations, chained and as one scalar product (our O(hops) path) */
  field(t, "group_two", 0, 0, a, 32);
  field(t, "group_two", 0, 1, b, 32);
  field(t, "group_two", 0, 2, want, 32);
  sphinx__clamp(a);
  sphinx__clamp(b);
  uint8_t g[32] = {9}, tmp[32], ar[32], br[32], c[32];
  assert_int_equal(crypto_scalarmult_curve25519(tmp, a, g), 0);
  assert_int_equal(crypto_scalarmult_curve25519(got, b, tmp), 0);
  assert_memory_equal(got, want, 32);
  sphinx__scalar_reduce(a, ar);
  sphinx__scalar_reduce(b, br);
  crypto_core_ed25519_scalar_mul(c, ar, br);
  assert_int_equal(sphinx__mul_scalar(got, c, NULL), 0);
  assert_memory_equal(got, want, 32);
  /* blinding factor */
  field(t, "blinding", 0, 0, a, 32);
  field(t, "blinding", 0, 1, s, 32);
  field(t, "blinding", 0, 2, want, 32);
  sphinx__blind(P, a, s, got);
  assert_memory_equal(got, want, 32);
  /* stream key, block key */
  field(t, "stream_key", 0, 0, s, 32);
  field(t, "stream_key", 0, 1, want, 32);
  sphinx__stream_key(P, s, got);
  assert_memory_equal(got, want, 32);
  field(t, "block_key", 0, 0, s, 32);
  assert_int_equal(field(t, "block_key", 0, 1, want, 192), LIONESS_KEY_BYTES);
  sphinx__block_key(P, s, got);
  assert_memory_equal(got, want, LIONESS_KEY_BYTES);
  /* MAC key and MAC */
  field(t, "mac", 0, 0, s, 32);
  field(t, "mac", 0, 1, want, 16);
  sphinx__mac_key(P, s, key);
  assert_memory_equal(key, want, 16);
  size_t dn = field(t, "mac", 0, 2, data, sizeof data);
  field(t, "mac", 0, 3, want, 16);
  sphinx__mac(P, key, data, dn, got);
  assert_memory_equal(got, want, 16);
  free(t);
}

static void test_send_message_vector(void **state CM_UNUSED) {
  struct node nodes[5];
  load_nodes(nodes);
  char *t = slurp(FIX("send_message.txt"));
  struct noise z = {0};
  z.len = field(t, "noise", 0, 0, z.buf, sizeof z.buf);
  uint8_t msg[64];
  size_t mlen = field(t, "message", 0, 0, msg, sizeof msg);
  struct sphinx_hop path[5];
  for (int i = 0; i < 5; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
  const size_t PB = sphinx_packet_bytes(P);
  assert_int_equal(PB, 1249);
  uint8_t *pkt = malloc(PB), *out = malloc(PB);
  assert_int_equal(sphinx_packet_build(P, path, 5, nodes[4].id, 16, msg, mlen, noise_read, &z, pkt), 0);
  assert_int_equal(z.pos, z.len); /* exactly the reference's randomness consumed */
  struct sphinx_unwrapped u;
  bool checked = false;
  assert_int_equal(mix(nodes, 5, nodes[0].id, pkt, out, &u, t, &checked), 0);
  assert_true(checked);
  assert_int_equal(u.action, SPHINX_EXIT);
  assert_int_equal(u.dest_len, 16);
  assert_memory_equal(u.dest, nodes[4].id, 16);
  assert_int_equal(u.message_len, mlen);
  assert_memory_equal(u.message, msg, mlen);
  free(pkt);
  free(out);
  free(t);
}

static void test_surb_vector(void **state CM_UNUSED) {
  struct node nodes[5];
  load_nodes(nodes);
  char *t = slurp(FIX("surb.txt"));
  struct noise z = {0};
  z.len = field(t, "noise", 0, 0, z.buf, sizeof z.buf);
  uint8_t msg[300];
  size_t mlen = field(t, "message", 0, 0, msg, sizeof msg);
  /* the Go client names itself "Client %x" of 4 noise bytes */
  uint8_t four[4];
  char client[32];
  noise_read(&z, four, 4);
  snprintf(client, sizeof client, "Client %02x%02x%02x%02x", four[0], four[1], four[2], four[3]);
  struct sphinx_hop path[5];
  for (int i = 0; i < 5; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
  struct sphinx_surb surb;
  struct sphinx_surb_keys keys;
  assert_int_equal(sphinx_surb_create(P, path, 5, (const uint8_t *)client, strlen(client), noise_read,
                                      &z, &surb, &keys), 0);
  assert_int_equal(z.pos, 100);
  const size_t PB = sphinx_packet_bytes(P);
  uint8_t *pkt = malloc(PB), *out = malloc(PB);
  assert_int_equal(sphinx_surb_reply(P, &surb, msg, mlen, pkt), 0);
  struct sphinx_unwrapped u;
  bool checked = false;
  assert_int_equal(mix(nodes, 5, surb.first_hop, pkt, out, &u, t, &checked), 0);
  assert_true(checked);
  assert_int_equal(u.action, SPHINX_REPLY);
  assert_int_equal(u.dest_len, strlen(client));
  assert_memory_equal(u.dest, client, strlen(client));
  assert_memory_equal(u.surb_id, keys.surb_id, 16);
  const uint8_t *m;
  size_t ml;
  assert_int_equal(sphinx_surb_decrypt(P, &keys, out + sphinx_header_bytes(P), &m, &ml), 0);
  assert_int_equal(ml, mlen);
  assert_memory_equal(m, msg, mlen);
  free(pkt);
  free(out);
  free(t);
}

/* ---- properties, with fresh random keys ---- */

static void make_nodes(struct node *nodes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t seed[32];
    randombytes_buf(seed, 32);
    assert_int_equal(sphinx_keypair_from_seed(nodes[i].pk, nodes[i].sk, seed), 0);
    randombytes_buf(nodes[i].id, 16);
    nodes[i].id[0] = 0xff;
  }
}

static void test_round_trip_1_to_5_hops(void **state CM_UNUSED) {
  const size_t PB = sphinx_packet_bytes(P);
  uint8_t *pkt = malloc(PB), *out = malloc(PB);
  const uint8_t msg[] = "hello over the mixnet";
  for (size_t hops = 1; hops <= 5; hops++) {
    struct node nodes[5];
    struct sphinx_hop path[5];
    make_nodes(nodes, hops);
    for (size_t i = 0; i < hops; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
    assert_int_equal(sphinx_packet_build(P, path, hops, (const uint8_t *)"bob", 3, msg, sizeof msg,
                                         os_random, NULL, pkt), 0);
    struct sphinx_unwrapped u;
    size_t seen = 0;
    for (size_t i = 0; i < hops; i++) {
      /* every hop's packet has the packet length; any other is refused */
      assert_int_equal(sphinx_packet_unwrap(P, nodes[i].sk, NULL, pkt, PB - 1, out, &u), CM_EINVAL);
      assert_int_equal(sphinx_packet_unwrap(P, nodes[i].sk, NULL, pkt, PB + 1, out, &u), CM_EINVAL);
      assert_int_equal(sphinx_packet_unwrap(P, nodes[i].sk, NULL, pkt, PB, out, &u), 0);
      seen++;
      if (i + 1 < hops) {
        assert_int_equal(u.action, SPHINX_FORWARD);
        assert_memory_equal(u.next_hop, nodes[i + 1].id, 16);
        assert_memory_not_equal(out + 1, pkt + 1, 32); /* alpha re-blinded */
        memcpy(pkt, out, PB);
      }
    }
    assert_int_equal(seen, hops);
    assert_int_equal(u.action, SPHINX_EXIT);
    assert_int_equal(u.dest_len, 3);
    assert_memory_equal(u.dest, "bob", 3);
    assert_int_equal(u.message_len, sizeof msg);
    assert_memory_equal(u.message, msg, sizeof msg);
  }
  free(pkt);
  free(out);
}

/* Every header bit flipped is caught by the first hop (version check, then
 * MAC: alpha changes the key, gamma and beta the tag); payload bits pass the
 * mixes (LIONESS has no tag) and are caught at the exit by the 16 zero bytes
 * LIONESS-decryption must restore. */
static void test_bit_flips_detected(void **state CM_UNUSED) {
  const size_t PB = sphinx_packet_bytes(P), HB = sphinx_header_bytes(P);
  uint8_t *pkt = malloc(PB), *bad = malloc(PB), *out = malloc(PB), *out2 = malloc(PB);
  struct node nodes[2];
  struct sphinx_hop path[2];
  make_nodes(nodes, 2);
  for (int i = 0; i < 2; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
  assert_int_equal(sphinx_packet_build(P, path, 2, (const uint8_t *)"d", 1, (const uint8_t *)"m", 1,
                                       os_random, NULL, pkt), 0);
  struct sphinx_unwrapped u;
  for (size_t bit = 0; bit < HB * 8; bit++) {
    memcpy(bad, pkt, PB);
    bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, NULL, bad, PB, out, &u), CM_EPARSE);
  }
  for (size_t byte = HB; byte < PB; byte++) {
    memcpy(bad, pkt, PB);
    bad[byte] ^= (uint8_t)(1u << (byte % 8));
    assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, NULL, bad, PB, out, &u), 0);
    assert_int_equal(u.action, SPHINX_FORWARD);
    assert_int_equal(sphinx_packet_unwrap(P, nodes[1].sk, NULL, out, PB, out2, &u), CM_EPARSE);
  }
  /* untouched, it goes through */
  assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, NULL, pkt, PB, out, &u), 0);
  assert_int_equal(sphinx_packet_unwrap(P, nodes[1].sk, NULL, out, PB, out2, &u), 0);
  assert_int_equal(u.action, SPHINX_EXIT);
  free(pkt);
  free(bad);
  free(out);
  free(out2);
}

static void test_replay_dropped(void **state CM_UNUSED) {
  const size_t PB = sphinx_packet_bytes(P);
  uint8_t *pkt = malloc(PB), *out = malloc(PB);
  struct node nodes[3];
  struct sphinx_hop path[3];
  make_nodes(nodes, 3);
  for (int i = 0; i < 3; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
  assert_int_equal(sphinx_packet_build(P, path, 3, (const uint8_t *)"d", 1, (const uint8_t *)"m", 1,
                                       os_random, NULL, pkt), 0);
  sphinx_replay *f = sphinx_replay_new(100000, 0.001);
  assert_non_null(f);
  struct sphinx_unwrapped u, u2;
  assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, f, pkt, PB, out, &u), 0);
  assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, f, pkt, PB, out, &u2), CM_EEXIST);
  assert_memory_equal(u.tag, u2.tag, SPHINX_TAG_BYTES);
  /* a forged packet with a bad MAC never reaches (or pollutes) the filter */
  pkt[60] ^= 1;
  assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, f, pkt, PB, out, &u2), CM_EPARSE);
  pkt[60] ^= 1;
  /* key rotation resets the filter */
  sphinx_replay_reset(f);
  assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, f, pkt, PB, out, &u), 0);
  sphinx_replay_free(f);
  free(pkt);
  free(out);
}

static void test_wrong_key_fails(void **state CM_UNUSED) {
  const size_t PB = sphinx_packet_bytes(P);
  uint8_t *pkt = malloc(PB), *out = malloc(PB);
  struct node nodes[3];
  struct sphinx_hop path[2];
  make_nodes(nodes, 3);
  for (int i = 0; i < 2; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
  assert_int_equal(sphinx_packet_build(P, path, 2, (const uint8_t *)"d", 1, (const uint8_t *)"m", 1,
                                       os_random, NULL, pkt), 0);
  struct sphinx_unwrapped u;
  assert_int_equal(sphinx_packet_unwrap(P, nodes[2].sk, NULL, pkt, PB, out, &u), CM_EPARSE);
  assert_int_equal(sphinx_packet_unwrap(P, nodes[1].sk, NULL, pkt, PB, out, &u), CM_EPARSE);
  assert_int_equal(sphinx_packet_unwrap(P, nodes[0].sk, NULL, pkt, PB, out, &u), 0);
  free(pkt);
  free(out);
}

static void test_surb_round_trip(void **state CM_UNUSED) {
  const size_t PB = sphinx_packet_bytes(P), HB = sphinx_header_bytes(P);
  uint8_t *pkt = malloc(PB), *out = malloc(PB), *copy = malloc(PB);
  const uint8_t reply[] = "a reply through a single-use block";
  for (size_t hops = 1; hops <= 5; hops++) {
    struct node nodes[5];
    struct sphinx_hop path[5];
    make_nodes(nodes, hops);
    for (size_t i = 0; i < hops; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
    struct sphinx_surb surb;
    struct sphinx_surb_keys keys;
    assert_int_equal(sphinx_surb_create(P, path, hops, (const uint8_t *)"alice", 5, os_random, NULL,
                                        &surb, &keys), 0);
    assert_int_equal(sphinx_surb_reply(P, &surb, reply, sizeof reply, pkt), 0);
    struct sphinx_unwrapped u;
    for (size_t i = 0; i < hops; i++) {
      assert_int_equal(sphinx_packet_unwrap(P, nodes[i].sk, NULL, pkt, PB, out, &u), 0);
      if (i + 1 < hops) memcpy(pkt, out, PB);
    }
    assert_int_equal(u.action, SPHINX_REPLY);
    assert_int_equal(u.dest_len, 5);
    assert_memory_equal(u.dest, "alice", 5);
    assert_memory_equal(u.surb_id, keys.surb_id, 16);
    /* a flipped payload bit fails the client's check */
    memcpy(copy, out, PB);
    copy[HB + 100] ^= 0x20;
    const uint8_t *m;
    size_t ml;
    assert_int_equal(sphinx_surb_decrypt(P, &keys, copy + HB, &m, &ml), CM_EPARSE);
    assert_int_equal(sphinx_surb_decrypt(P, &keys, out + HB, &m, &ml), 0);
    assert_int_equal(ml, sizeof reply);
    assert_memory_equal(m, reply, sizeof reply);
  }
  free(pkt);
  free(out);
  free(copy);
}

/* The one-ladder scalar path equals the chained X25519 of the reference. */
static void test_scalar_product_matches_chain(void **state CM_UNUSED) {
  for (int t = 0; t < 32; t++) {
    uint8_t pk[32], sk[32], seed[32], x[32], y[32], c[32], xr[32], yr[32], chain[32], one[32];
    randombytes_buf(seed, 32);
    assert_int_equal(sphinx_keypair_from_seed(pk, sk, seed), 0);
    randombytes_buf(x, 32);
    randombytes_buf(y, 32);
    sphinx__clamp(x);
    sphinx__clamp(y);
    uint8_t mid[32];
    assert_int_equal(crypto_scalarmult_curve25519(mid, x, pk), 0);
    assert_int_equal(crypto_scalarmult_curve25519(chain, y, mid), 0);
    sphinx__scalar_reduce(x, xr);
    sphinx__scalar_reduce(y, yr);
    crypto_core_ed25519_scalar_mul(c, xr, yr);
    assert_int_equal(sphinx__mul_scalar(one, c, pk), 0);
    assert_memory_equal(one, chain, 32);
  }
}

static void test_replay_filter_sizing(void **state CM_UNUSED) {
  uint64_t m;
  unsigned k;
  assert_int_equal(sphinx_replay_size(10000000, 0.001, &m, &k), 0);
  double fp = pow(1.0 - exp(-(double)k * 1e7 / (double)m), (double)k);
  print_message("replay filter for 10M tags at 0.1%%: m = %llu bits (%.1f MiB), k = %u, fp = %.6f\n",
                (unsigned long long)m, (double)m / 8 / 1048576, k, fp);
  assert_true(fp < 0.001);
  assert_true(m < 160000000ull); /* near the optimum 1.44 * 10M * log2(1000) */
  assert_int_equal(sphinx_replay_size(0, 0.001, &m, &k), CM_EINVAL);
  assert_int_equal(sphinx_replay_size(10, 1.0, &m, &k), CM_EINVAL);
  /* measured: 20000 tags in a filter for 20000 at 1%, 20000 fresh probes */
  sphinx_replay *f = sphinx_replay_new(20000, 0.01);
  assert_non_null(f);
  uint8_t tag[32];
  for (int i = 0; i < 20000; i++) {
    randombytes_buf(tag, 32);
    assert_false(sphinx_replay_check_insert(f, tag) && i < 100); /* empty-ish: no early hits */
  }
  int hits = 0;
  for (int i = 0; i < 20000; i++) {
    randombytes_buf(tag, 32);
    hits += sphinx_replay_contains(f, tag);
  }
  print_message("measured false positives: %d of 20000 (design 1%%)\n", hits);
  assert_true(hits < 20000 * 0.02);
  sphinx_replay_free(f);
}

static void test_bad_arguments(void **state CM_UNUSED) {
  const size_t PB = sphinx_packet_bytes(P);
  uint8_t *pkt = malloc(PB);
  struct node nodes[6];
  struct sphinx_hop path[6];
  make_nodes(nodes, 6);
  for (int i = 0; i < 6; i++) path[i] = (struct sphinx_hop){nodes[i].id, nodes[i].pk};
  uint8_t big[1024] = {0};
  assert_int_equal(sphinx_packet_build(P, path, 6, (const uint8_t *)"d", 1, big, 1, os_random, NULL, pkt),
                   CM_EINVAL); /* more hops than the profile */
  assert_int_equal(sphinx_packet_build(P, path, 0, (const uint8_t *)"d", 1, big, 1, os_random, NULL, pkt),
                   CM_EINVAL);
  assert_int_equal(sphinx_packet_build(P, path, 2, (const uint8_t *)"d", 1, big, 1024 - 19, os_random,
                                       NULL, pkt), CM_ERANGE);
  assert_int_equal(sphinx_packet_build(P, path, 2, (const uint8_t *)"d", 1, big, 1024 - 20, os_random,
                                       NULL, pkt), 0);
  nodes[1].id[0] = 0x7f; /* smc-compat ids carry the 0xff "more hops" marker */
  assert_int_equal(sphinx_packet_build(P, path, 2, (const uint8_t *)"d", 1, big, 1, os_random, NULL, pkt),
                   CM_EINVAL);
  free(pkt);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lioness_vector),
      cmocka_unit_test(test_primitive_vectors),
      cmocka_unit_test(test_send_message_vector),
      cmocka_unit_test(test_surb_vector),
      cmocka_unit_test(test_round_trip_1_to_5_hops),
      cmocka_unit_test(test_bit_flips_detected),
      cmocka_unit_test(test_replay_dropped),
      cmocka_unit_test(test_wrong_key_fails),
      cmocka_unit_test(test_surb_round_trip),
      cmocka_unit_test(test_scalar_product_matches_chain),
      cmocka_unit_test(test_replay_filter_sizing),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
