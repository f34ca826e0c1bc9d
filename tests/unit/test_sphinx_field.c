/* The arithmetic mod p = 2^255 - 19 behind Sphinx creation's fixed-base
 * paths: inversion on known values and edge cases (0, 1, p - 1, inputs
 * >= p, the ignored top bit), the Edwards-to-Montgomery map on edge
 * encodings and against libsodium's own conversion, sphinx__mul_base
 * against X25519 on the base point 9 for clamped and unclamped scalars,
 * the per-key tables (sphinx__mul_key) against X25519 and a ladder oracle:
 * random and chosen scalars, more keys than the cache holds; and the key
 * check (sphinx_pk_check), which refuses every key without a table. */
#include "cmocka_inc.h"

#include <sodium.h>
#include <string.h>

#include "mixclaves/sphinx_impl.h"
#include "sphinx_ref.h"

/* Test-only oracle, variable time in c (it branches on c): u([c]P) for a
 * scalar c mod L and P of the prime-order subgroup (u, or the base point 9
 * when u is NULL) with one X25519 call, as X25519(k, P) = u([k mod L]P)
 * and u([c]P) = u([-c]P): a clamped k = 8m, 2^251 <= m < 2^252, with
 * 8m = +-c (mod L). CM_ERANGE when neither c/8 nor -c/8 is such an m
 * (about 2^-126 for a random c, and for small c). */
static int ladder_scalar(uint8_t out[32], const uint8_t c[32], const uint8_t *u) {
  uint8_t m[32], k[32];
  crypto_core_ed25519_scalar_mul(m, c, sphinx__inv8);
  if ((m[31] & 0xf8) != 0x08) crypto_core_ed25519_scalar_negate(m, m);
  if ((m[31] & 0xf8) != 0x08) return CM_ERANGE;
  uint8_t carry = 0;
  for (int i = 0; i < 32; i++) { /* k = 8m */
    k[i] = (uint8_t)((m[i] << 3) | carry);
    carry = (uint8_t)(m[i] >> 5);
  }
  int rc = u ? crypto_scalarmult_curve25519(out, k, u) : crypto_scalarmult_curve25519_base(out, k);
  return rc ? CM_EPARSE : 0;
}

/* The little-endian encoding of v. */
static void small(uint8_t out[32], uint8_t v) {
  memset(out, 0, 32);
  out[0] = v;
}

/* The encoding of p + k (p = 2^255 - 19), for -0xed <= k <= 18: low byte
 * 0xed + k, then 0xff, top byte 0x7f. */
static void p_plus(uint8_t out[32], int k) {
  memset(out, 0xff, 32);
  out[0] = (uint8_t)(0xed + k);
  out[31] = 0x7f;
}

/* A canonical encoding: below p and top bit clear. */
static bool canonical(const uint8_t u[32]) {
  uint8_t p[32];
  p_plus(p, 0);
  for (int i = 31; i >= 0; i--)
    if (u[i] != p[i]) return u[i] < p[i];
  return false;
}

static void test_invert_known_values(void **state CM_UNUSED) {
  uint8_t in[32], got[32], want[32];
  /* 1/0 = 0 by convention (Fermat), also for p itself */
  small(in, 0);
  sphinx__fp_invert(got, in);
  small(want, 0);
  assert_memory_equal(got, want, 32);
  p_plus(in, 0);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  /* 1/1 = 1, also for p + 1 and for 1 with the ignored top bit set */
  small(in, 1);
  small(want, 1);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  p_plus(in, 1);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  small(in, 1);
  in[31] = 0x80;
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  /* 1/(p - 1) = p - 1 */
  p_plus(in, -1);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, in, 32);
  /* 1/2 = (p + 1) / 2 = 2^254 - 9 */
  small(in, 2);
  memset(want, 0xff, 32);
  want[0] = 0xf7;
  want[31] = 0x3f;
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  /* 1/9, computed with Python's pow(9, p - 2, p) */
  static const uint8_t inv9[32] = {
      0x12, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c,
      0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0x47};
  small(in, 9);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, inv9, 32);
  /* and back: 1/(1/9) = 9 */
  sphinx__fp_invert(got, inv9);
  assert_memory_equal(got, in, 32);
}

static void test_invert_is_an_involution(void **state CM_UNUSED) {
  for (int t = 0; t < 200; t++) {
    uint8_t a[32], inv[32], back[32];
    randombytes_buf(a, 32);
    a[31] &= 0x3f; /* below p, so a is its own canonical encoding */
    sphinx__fp_invert(inv, a);
    assert_true(canonical(inv));
    assert_memory_not_equal(inv, a, 32); /* only +-1 are their own inverse */
    sphinx__fp_invert(back, inv);
    assert_memory_equal(back, a, 32);
  }
}

/* u = (1 + y) / (1 - y) on chosen y. */
static void test_edwards_to_u_edges(void **state CM_UNUSED) {
  uint8_t y[32], got[32], want[32];
  small(y, 0); /* (1 + 0) / 1 = 1 */
  small(want, 1);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  small(y, 1); /* the identity: 2 / 0, which the map sends to 0 */
  small(want, 0);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  p_plus(y, -1); /* y = -1, the point of order 2: 0 / 2 = 0 */
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  small(y, 2); /* 3 / -1 = p - 3 */
  p_plus(want, -3);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  p_plus(y, 2); /* the non-canonical p + 2 is y = 2 */
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  /* the base point (y = 4/5) is u = 9, whatever the sign bit */
  memset(y, 0x66, 32);
  y[0] = 0x58;
  small(want, 9);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  y[31] |= 0x80;
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
}

/* Random points of the prime-order subgroup, both signs of x: libsodium's
 * own conversion (which also checks the subgroup) agrees. */
static void test_edwards_to_u_matches_libsodium(void **state CM_UNUSED) {
  int negative = 0;
  for (int t = 0; t < 256; t++) {
    uint8_t ed[32], got[32], want[32];
    crypto_core_ed25519_random(ed);
    negative += ed[31] >> 7;
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(want, ed), 0);
    sphinx__edwards_to_u(got, ed);
    assert_memory_equal(got, want, 32);
  }
  assert_true(negative > 0 && negative < 256);
}

static void test_mul_base_clamped_matches_x25519(void **state CM_UNUSED) {
  for (int t = 0; t < 256; t++) {
    uint8_t k[32], c[32], got[32], want[32];
    randombytes_buf(k, 32);
    sphinx__clamp(k);
    assert_int_equal(crypto_scalarmult_curve25519_base(want, k), 0);
    sphinx__scalar_reduce(k, c); /* the base point has order L */
    assert_int_equal(sphinx__mul_base(got, c), 0);
    assert_memory_equal(got, want, 32);
  }
}

/* Any scalar mod L; compared with the one-ladder path where it applies. */
static void test_mul_base_unclamped_matches_ladder(void **state CM_UNUSED) {
  int compared = 0;
  for (int t = 0; t < 256; t++) {
    uint8_t wide[64], c[32], got[32], want[32];
    randombytes_buf(wide, sizeof wide);
    crypto_core_ed25519_scalar_reduce(c, wide);
    assert_int_equal(sphinx__mul_base(got, c), 0);
    assert_true(canonical(got));
    int rc = ladder_scalar(want, c, NULL);
    if (rc == CM_ERANGE) continue;
    assert_int_equal(rc, 0);
    assert_memory_equal(got, want, 32);
    compared++;
  }
  assert_true(compared > 200);
}

/* 1 and L - 1 = -1 give the base point itself, u = 9; 0 has no u here. */
static void test_mul_base_edges(void **state CM_UNUSED) {
  uint8_t c[32], got[32], nine[32];
  small(nine, 9);
  small(c, 1);
  assert_int_equal(sphinx__mul_base(got, c), 0);
  assert_memory_equal(got, nine, 32);
  crypto_core_ed25519_scalar_negate(c, c);
  assert_int_equal(sphinx__mul_base(got, c), 0);
  assert_memory_equal(got, nine, 32);
  small(c, 0);
  assert_int_equal(sphinx__mul_base(got, c), CM_ERANGE);
}

/* A node key, as sphinx_keypair_from_seed makes them. */
static void node_key(uint8_t pk[32]) {
  uint8_t seed[32], sk[32];
  randombytes_buf(seed, 32);
  assert_int_equal(sphinx_keypair_from_seed(pk, sk, seed), 0);
}

/* c = 8m mod L, so that the table recodes exactly m. */
static void times8(uint8_t c[32], const uint8_t m[32]) {
  uint8_t eight[32];
  small(eight, 8);
  crypto_core_ed25519_scalar_mul(c, m, eight);
}

/* u([c]P) by ladders alone, also where the one-ladder form does not
 * apply (c/8 = +-m with m small): X25519(k, u([c/k]P)). */
static void ladder(uint8_t out[32], const uint8_t c[32], const uint8_t pk[32]) {
  uint8_t k[32], kr[32], ck[32], mid[32];
  if (ladder_scalar(out, c, pk) == 0) return;
  randombytes_buf(k, 32);
  sphinx__clamp(k);
  sphinx__scalar_reduce(k, kr);
  assert_int_equal(crypto_core_ed25519_scalar_invert(kr, kr), 0);
  crypto_core_ed25519_scalar_mul(ck, c, kr);
  assert_int_equal(ladder_scalar(mid, ck, pk), 0);
  assert_int_equal(crypto_scalarmult_curve25519(out, k, mid), 0);
}

/* The table against X25519 itself: X25519(k, P) = u([k mod L]P). */
static void test_mul_key_matches_x25519(void **state CM_UNUSED) {
  for (int t = 0; t < 64; t++) {
    uint8_t pk[32], k[32], c[32], got[32], want[32];
    node_key(pk);
    for (int j = 0; j < 8; j++) {
      randombytes_buf(k, 32);
      sphinx__clamp(k);
      assert_int_equal(crypto_scalarmult_curve25519(want, k, pk), 0);
      sphinx__scalar_reduce(k, c);
      assert_int_equal(sphinx__mul_key(got, c, pk), 0);
      assert_memory_equal(got, want, 32);
    }
  }
}

/* Any scalar mod L, against the one-ladder path where it applies. */
static void test_mul_key_unclamped_matches_ladder(void **state CM_UNUSED) {
  uint8_t pk[4][32];
  int compared = 0;
  for (int k = 0; k < 4; k++) node_key(pk[k]);
  for (int t = 0; t < 256; t++) {
    uint8_t wide[64], c[32], got[32], want[32];
    randombytes_buf(wide, sizeof wide);
    crypto_core_ed25519_scalar_reduce(c, wide);
    assert_int_equal(sphinx__mul_key(got, c, pk[t % 4]), 0);
    assert_true(canonical(got));
    int rc = ladder_scalar(want, c, pk[t % 4]);
    if (rc == CM_ERANGE) continue;
    assert_int_equal(rc, 0);
    assert_memory_equal(got, want, 32);
    compared++;
  }
  assert_true(compared > 200);
}

/* Scalars at the edges: 1 and L - 1 give P itself; small c; recoded
 * digits m = c/8 with every nibble 8 or 15 (a carry out of each), 0, 1
 * and L - 1; c = 0 is the identity, refused with CM_ERANGE. */
static void test_mul_key_edge_scalars(void **state CM_UNUSED) {
  uint8_t pk[32], c[32], m[32], got[32], want[32];
  node_key(pk);
  small(c, 1);
  assert_int_equal(sphinx__mul_key(got, c, pk), 0);
  assert_memory_equal(got, pk, 32);
  crypto_core_ed25519_scalar_negate(c, c);
  assert_int_equal(sphinx__mul_key(got, c, pk), 0);
  assert_memory_equal(got, pk, 32);
  for (uint8_t v = 2; v <= 40; v++) {
    small(c, v);
    assert_int_equal(sphinx__mul_key(got, c, pk), 0);
    ladder(want, c, pk);
    assert_memory_equal(got, want, 32);
    crypto_core_ed25519_scalar_negate(c, c);
    assert_int_equal(sphinx__mul_key(got, c, pk), 0);
    assert_memory_equal(got, want, 32);
  }
  const uint8_t fill[] = {0x88, 0xff, 0x80, 0x08, 0x78, 0x87};
  for (size_t f = 0; f < sizeof fill; f++) {
    memset(m, fill[f], 32);
    m[31] = 0x08 | (fill[f] & 0x07); /* below 2^252 < L */
    times8(c, m);
    assert_int_equal(sphinx__mul_key(got, c, pk), 0);
    ladder(want, c, pk);
    assert_memory_equal(got, want, 32);
  }
  small(m, 1);
  crypto_core_ed25519_scalar_negate(m, m); /* m = L - 1 */
  times8(c, m);
  assert_int_equal(sphinx__mul_key(got, c, pk), 0);
  ladder(want, c, pk);
  assert_memory_equal(got, want, 32);
  small(c, 0);
  assert_int_equal(sphinx__mul_key(got, c, pk), CM_ERANGE);
}

/* Three times as many keys as the cache holds, visited in two orders:
 * every answer, fresh table or rebuilt after eviction, is the ladder's. */
static void test_mul_key_cache_eviction(void **state CM_UNUSED) {
  enum { N = 3 * SPHINX_TABLE_KEYS + 1 };
  static uint8_t pk[N][32], want[N][32];
  uint8_t k[32], c[32], got[32];
  randombytes_buf(k, 32);
  sphinx__clamp(k);
  sphinx__scalar_reduce(k, c);
  for (int i = 0; i < N; i++) {
    node_key(pk[i]);
    assert_int_equal(crypto_scalarmult_curve25519(want[i], k, pk[i]), 0);
  }
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < N; i++) {
      int j = pass == 1 ? N - 1 - i : (i * 7 + pass) % N;
      assert_int_equal(sphinx__mul_key(got, c, pk[j]), 0);
      assert_memory_equal(got, want[j], 32);
    }
  /* a few keys in turn, all cached: hits return the right table */
  for (int t = 0; t < 4 * SPHINX_TABLE_KEYS; t++) {
    int j = (t * 5) % 3;
    assert_int_equal(sphinx__mul_key(got, c, pk[j]), 0);
    assert_memory_equal(got, want[j], 32);
  }
}

/* Keys with no table: points of small order, non-canonical forms, twist
 * points, and points with a torsion part (sphinx_ref.h). sphinx_pk_check
 * refuses each and sphinx__mul_key gives CM_EPARSE, writing nothing: there
 * is no other path. The small-order constants are checked first against
 * X25519 itself (all-zero output for every clamped scalar), the twist
 * points against the ladder's refusal of no key (X25519 works on the twist,
 * which is why the check must exist). */
static void test_pk_check_refuses_bad_keys(void **state CM_UNUSED) {
  uint8_t ed[32], pk[32], k[32], c[32], got[32], bad[REF_BAD_KEYS][32];
  crypto_core_ed25519_random(ed);
  sphinx__edwards_to_u(pk, ed);
  assert_int_equal(sphinx_pk_check(pk), 0);
  assert_true(ref_bad_keys(bad, ed, pk));
  randombytes_buf(k, 32);
  sphinx__clamp(k);
  sphinx__scalar_reduce(k, c);
  for (int i = 0; i < 5; i++) /* small order: X25519 gives 0 */
    assert_int_equal(crypto_scalarmult_curve25519(got, k, bad[i]), -1);
  for (int i = 10; i < 18; i++) { /* P + torsion: on the curve, refused by the subgroup test */
    ref_fe f;
    ref_from_bytes(&f, bad[i]);
    assert_true(ref_on_curve(&f));
    assert_int_equal(crypto_scalarmult_curve25519(got, k, bad[i]), 0); /* X25519 takes it */
  }
  for (int i = 0; i < REF_BAD_KEYS; i++) {
    assert_int_equal(sphinx_pk_check(bad[i]), CM_EPARSE);
    memset(got, 0x5a, 32);
    assert_int_equal(sphinx__mul_key(got, c, bad[i]), CM_EPARSE);
    for (int j = 0; j < 32; j++) assert_int_equal(got[j], 0x5a);
    assert_int_equal(sphinx_pk_check(bad[i]), CM_EPARSE); /* cached verdict */
  }
  assert_int_equal(sphinx_pk_check(NULL), CM_EINVAL);
}

/* Random u: about half on the twist, most of the rest with a torsion part;
 * sphinx_pk_check accepts exactly the u of points in the prime-order
 * subgroup, decided here independently: on the curve by Euler's criterion
 * (sphinx_ref.h), in the subgroup by libsodium's Edwards point validation
 * (crypto_core_ed25519_is_valid_point: on the curve, [L]P = O, not of
 * small order) of y = (u - 1) / (u + 1). */
static void test_pk_check_random_u(void **state CM_UNUSED) {
  int valid = 0, twist = 0, torsion = 0;
  for (int t = 0; t < 400; t++) {
    uint8_t u[32];
    ref_fe f;
    randombytes_buf(u, 32);
    u[31] &= 0x7f;
    ref_from_bytes(&f, u);
    ref_to_bytes(u, &f);
    bool on = ref_on_curve(&f);
    bool sub = false;
    if (on) {
      ref_fe y;
      uint8_t yb[32];
      ref_u_to_y(&y, &f);
      ref_to_bytes(yb, &y);
      sub = crypto_core_ed25519_is_valid_point(yb) == 1;
    }
    int want = on && sub ? 0 : CM_EPARSE;
    assert_int_equal(sphinx_pk_check(u), want);
    valid += want == 0;
    twist += !on;
    torsion += on && !sub;
  }
  print_message("random u: %d valid, %d twist, %d with torsion\n", valid, twist, torsion);
  assert_true(twist > 120 && torsion > 100);
  /* points of the subgroup are rare among random u; make some */
  for (int t = 0; t < 64; t++) {
    uint8_t ed[32], u[32];
    crypto_core_ed25519_random(ed);
    sphinx__edwards_to_u(u, ed);
    assert_int_equal(sphinx_pk_check(u), 0);
  }
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_invert_known_values),
      cmocka_unit_test(test_invert_is_an_involution),
      cmocka_unit_test(test_edwards_to_u_edges),
      cmocka_unit_test(test_edwards_to_u_matches_libsodium),
      cmocka_unit_test(test_mul_base_clamped_matches_x25519),
      cmocka_unit_test(test_mul_base_unclamped_matches_ladder),
      cmocka_unit_test(test_mul_base_edges),
      cmocka_unit_test(test_mul_key_matches_x25519),
      cmocka_unit_test(test_mul_key_unclamped_matches_ladder),
      cmocka_unit_test(test_mul_key_edge_scalars),
      cmocka_unit_test(test_mul_key_cache_eviction),
      cmocka_unit_test(test_pk_check_refuses_bad_keys),
      cmocka_unit_test(test_pk_check_random_u),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
